"""Turn one validated document into the ordered CRM commands a mapping asks for.

Pure functions over dicts, so the planner is tested without Kafka. Commands follow
``schemas/crm.commands.avsc``; each carries the mapping version and
``idempotency_key = sha256(doc_id|operation|object|mapping_version)``, and ``depends_on``
names the keys that must be applied first (a contact after its account, the file after
the deal it is attached to).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from typing import Any

from connectors.crm.matching import ACCOUNT_OBJECT, DEAL_RULES, RECORD_ID_FIELD
from connectors.crm.mapping import Mapping, ObjectSpec, render_fields, render_template, source_value
from streams.esign.request_plan import signature_plan
from schemas.records import envelope

__all__ = ["document_values", "plan_commands", "idempotency_key", "FREEMAIL_DOMAINS"]

# A signer at gmail.com says nothing about the counterparty's company.
FREEMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com",
                              "yahoo.com", "icloud.com", "me.com", "aol.com", "gmx.de", "gmx.net",
                              "web.de", "proton.me", "protonmail.com", "mail.com", "yandex.ru"})


def idempotency_key(doc_id: str, operation: str, obj: str, mapping_version: str) -> str:
    return hashlib.sha256(f"{doc_id}|{operation}|{obj}|{mapping_version}".encode()).hexdigest()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def document_values(record: dict) -> dict[str, Any]:
    """Canonical field values (normalised form first) plus the derived ones mappings may use."""
    values: dict[str, Any] = {}
    for field in record.get("fields") or []:
        if field.get("status") == "reject":
            continue  # a rejected reading must not reach a CRM
        value = field.get("normalized") or field.get("value")
        if value not in (None, ""):
            values[field["name"]] = value
    email = str(values.get("signer_email", "")).strip().lower()
    domain = email.rsplit("@", 1)[1] if "@" in email else None
    if domain in FREEMAIL_DOMAINS:
        domain = None
    company = values.get("counterparty") or values.get("customer")
    values.update({
        "doc_id": record["doc_id"], "doc_type": record.get("doc_type"), "trace": record.get("trace"),
        "source": record.get("source"), "crm_ref": record.get("crm_ref"),
        "original_sha256": (record.get("original") or {}).get("sha256"),
        "company_name": company, "company_domain": domain,
        "company_key": domain or (_slug(company) if company else None),
        "document_date": values.get("effective_date") or values.get("invoice_date"),
    })
    return {k: v for k, v in values.items() if v not in (None, "")}


def _command(record: dict, mapping: Mapping, *, target: str, operation: str, obj: str,
             external_id_field: str | None = None, external_id: str | None = None, **extra: Any) -> dict:
    key = idempotency_key(record["doc_id"], operation, obj, mapping.version)
    return {
        **envelope(record["doc_id"], producer="map", trace=record.get("trace")),
        "target": target, "operation": operation, "object": obj,
        "external_id_field": external_id_field, "external_id": external_id,
        "fields": extra.pop("fields", {}), "file": extra.pop("file", None), "match": extra.pop("match", {}),
        "idempotency_key": key, "mapping_version": mapping.version,
        "depends_on": extra.pop("depends_on", []), "links": extra.pop("links", []),
    }


def _upsert(record: dict, mapping: Mapping, role: str, spec: ObjectSpec, values: dict,
            done: dict[str, dict]) -> dict | None:
    ext = source_value(spec.external_id, values)
    if ext is None:
        return None  # nothing to upsert on (no e-mail for a contact, no company for an account)
    links = [{"object": done[link.to]["object"], "external_id_field": done[link.to]["external_id_field"],
              "external_id": done[link.to]["external_id"], "relationship": link.relationship}
             for link in spec.links if link.to in done]
    field, match = spec.external_id.field, {kind: str(values[src]) for kind, src in spec.match.items() if src in values}
    if "crm_ref" in match:
        # The capture client named the record: address it by the CRM's own id, so every
        # later command of this document (file, timeline, signature status) finds it too.
        field, ext, match = RECORD_ID_FIELD[mapping.crm], match["crm_ref"], {}
    else:
        if match and spec.on_miss == "review":
            match["on_miss"] = "review"
        account = next((done[link.to] for link in spec.links
                        if link.to in done and done[link.to]["object"] == ACCOUNT_OBJECT[mapping.crm]), None)
        if account is not None and set(DEAL_RULES) & set(match):
            # The deal rules look among this account's open deals (connectors/crm/matching.py).
            match.update(account_object=account["object"], account_id_field=account["external_id_field"],
                         account_id=account["external_id"])
    return _command(
        record, mapping, target=mapping.crm, operation="upsert", obj=spec.object,
        external_id_field=field, external_id=str(ext),
        fields=render_fields(spec, values), links=links, match=match,
        depends_on=[done[link.to]["idempotency_key"] for link in spec.links if link.to in done],
    )


def _file_fields(record: dict, title: str) -> dict[str, Any]:
    content_type = (record.get("original") or {}).get("content_type") or "application/octet-stream"
    ext = mimetypes.guess_extension(content_type) or ".bin"
    return {"title": title, "file_name": f"{_slug(title) or record['doc_id']}{ext}"}


def plan_commands(record: dict, mapping: Mapping, *, esign_provider: str) -> list[dict]:
    """Every command for one accepted/approved document, in dependency order."""
    values = document_values(record)
    doc_type = record.get("doc_type")
    done: dict[str, dict] = {}
    for role in mapping.upsert_order():
        spec = mapping.objects[role]
        if doc_type in spec.doc_types:
            command = _upsert(record, mapping, role, spec, values, done)
            if command is not None:
                done[role] = command
    commands = list(done.values())
    for action in ("attach_file", "timeline_event", "request_signature"):
        spec = getattr(mapping, action)
        if spec is None or doc_type not in spec.doc_types or spec.to not in done:
            continue
        parent = done[spec.to]
        title = render_template(spec.title, values)
        fields: dict[str, Any] = {"title": title}
        if spec.body:
            fields["body"] = render_template(spec.body, values)
        if action == "request_signature":
            if "signer_email" not in values:
                continue  # nobody to ask; the review page shows the contract as unsigned
            fields.update(signer_name=values.get("signer_name"), signer_email=values["signer_email"],
                          crm=mapping.crm)
            fields.update(signature_plan(spec, values, doc_type))  # e-sign's (streams/esign/request_plan.py)
        if action in ("attach_file", "request_signature"):
            fields.update(_file_fields(record, title))
        commands.append(_command(
            record, mapping, target=esign_provider if action == "request_signature" else mapping.crm,
            operation=action, obj=parent["object"], external_id_field=parent["external_id_field"],
            external_id=parent["external_id"], fields=fields,
            file=record.get("original") if action != "timeline_event" else None,
            # The file is also linked to the deal's account/company (ContentDocumentLink,
            # note association); the e-sign provider does not need them.
            links=parent["links"] if action == "attach_file" else [],
            # A deal matched by rules keeps another document's key: the parent is found
            # again by the same rules (connectors/crm/matching.py).
            match=parent["match"],
            depends_on=[parent["idempotency_key"]],
        ))
    return commands

"""The least-privilege OAuth scopes inkstream asks each CRM and e-sign provider for.

One source of truth: the consent URLs (``connectors.consent``) and DocuSign's JWT grant
(``connectors.esign.docusign.jwt_assertion``) request exactly these, and SECURITY.md
("Least-privilege scopes") lists them; ``tests/connectors/test_least_privilege_scopes.py``
fails when the code, the document or (for Acrobat Sign and Dropbox Sign) the vendor's
own API specification drift apart.

CRM scopes follow the objects of the mapping in use: a record scope per mapped object,
never a whole-CRM scope. ``setup`` scopes are only for ``inkstream crm setup`` (custom
fields), run once by an administrator with a separate, short-lived consent; the
pipeline's own token never holds them.

>>> crm_scopes("hubspot", ["companies"])
('crm.objects.companies.read', 'crm.objects.companies.write', 'crm.objects.contacts.read', 'crm.objects.contacts.write', 'files')
>>> crm_scopes("zoho", ["Accounts"], setup=True)
('ZohoCRM.settings.fields.ALL',)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from inkstream.errors import ConfigError

__all__ = ["ESIGN_SCOPES", "crm_scopes", "mapped_objects", "scopes_for"]

# E-sign providers: what the connector's calls need, nothing more.
ESIGN_SCOPES: dict[str, tuple[str, ...]] = {
    # JWT grant: `signature` for the eSignature REST API, `impersonation` to act as the
    # integration user without them present (DocuSign "Authentication scopes").
    "docusign": ("signature", "impersonation"),
    # POST /transientDocuments and /agreements need agreement_write; GET /agreements and
    # .../combinedDocument need agreement_read (shared/specs/acrobat-sign/rest-v6);
    # `:self` limits both to agreements the integration user sent.
    "acrobat_sign": ("agreement_read:self", "agreement_write:self"),
    # An API key (HTTP basic) cannot be scoped: no OAuth scopes are requested at all.
    "dropbox_sign": (),
}

_ROOT = Path(__file__).resolve().parents[1]


def mapped_objects(crm: str, mapping_file: Path | None = None) -> list[str]:
    """The CRM objects a mapping writes (default: the shipped ``mappings/<crm>.yaml``)."""
    from connectors.crm.mapping import check_text

    path = mapping_file or _ROOT / "mappings" / f"{crm}.yaml"
    mapping, issues = check_text(path.read_text())
    if mapping is None:
        raise ConfigError(f"{path}: invalid mapping ({len(issues)} issues); `inkstream mapping check {path}`")
    return sorted({spec.object for spec in mapping.objects.values()})


def crm_scopes(crm: str, objects: Iterable[str], *, setup: bool = False) -> tuple[str, ...]:
    """The scopes for writing ``objects`` (or, ``setup``, for creating their custom fields)."""
    objs = sorted({o.lower() for o in objects})
    if crm == "salesforce":
        # Salesforce scopes are not per object: `api` (REST API as the integration user,
        # whose permission set limits the objects) and `refresh_token` (offline access).
        return ("api",) if setup else ("api", "refresh_token")
    if crm == "hubspot":
        if setup:  # POST /crm/v3/properties/{objectType}
            return tuple(f"crm.schemas.{o}.write" for o in objs)
        # Notes need the contacts scopes (HubSpot's notes API), files v3 needs `files`,
        # the signature's timeline events (Timeline API v3) need `timeline`.
        out = {f"crm.objects.{o}.{op}" for o in objs + ["contacts"] for op in ("read", "write")}
        return tuple(sorted(out | {"files", "timeline"}))
    if crm == "zoho":
        if setup:  # GET and POST /settings/fields
            return ("ZohoCRM.settings.fields.ALL",)
        # search (READ) and upsert (WRITE) per module; notes and attachments are read
        # (idempotency: an existing one is adopted) and created, never deleted.
        zoho = [f"ZohoCRM.modules.{o}.{op}" for o in objs for op in ("READ", "WRITE")]
        zoho += [f"ZohoCRM.modules.{m}.{op}" for m in ("notes", "attachments") for op in ("READ", "CREATE")]
        return tuple(zoho)
    raise ConfigError(f"unknown CRM {crm!r}")


def scopes_for(provider: str, *, setup: bool = False) -> tuple[str, ...]:
    """Scopes of a CRM (for its shipped mapping) or an e-sign provider."""
    if provider in ESIGN_SCOPES:
        if setup:
            raise ConfigError(f"{provider} has no setup step")
        return ESIGN_SCOPES[provider]
    return crm_scopes(provider, mapped_objects(provider), setup=setup)

"""Adding a CRM is one module plus one registry line: TinyCRM (tests/fakes/vendors/tiny_crm.py),
registered here through the public registry API, goes through every real consumer: the
mapping check, the mapper, the factory, the CRM sink, the dry run, setup, scopes, consent,
the e-sign status fields and the settings check. Any consumer that still knows CRMs by
name fails here (the vendor is unknown to it)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from prometheus_client import CollectorRegistry

from connectors.access_scopes import crm_scopes, scopes_for
from connectors.consent import consent_url
from connectors.crm.factory import build_connector
from connectors.crm.mapping import check_file, load_mapping
from connectors.crm.metrics import CrmMetrics
from connectors.crm.registry import CRMS, vendor_settings
from connectors.crm.setup import run_setup
from fakes.crm_records import validated_contract
from fakes.vendors.tiny_crm import TINY_CRM, TinyCrmApi
from inkstream.errors import ConfigError
from inkstream.settings import load_settings
from streams.crm.processor import CrmSink
from streams.esign.crm_fields import crm_command, discriminator_hash, signature_fields
from streams.mapper.processor import factory as mapper_factory
from streams.runtime import Processor
from streams.runtime.testing import run_processor

PDF = b"%PDF-1.7 tinycrm contract\n%%EOF\n"

MAPPING = """\
version: "tinycrm-1"
crm: tinycrm
objects:
  company:
    object: accounts
    external_id: {field: ink_key, from: company_key}
    fields:
      title: {from: company_name, required: true}
  deal:
    object: deals
    external_id: {field: ink_doc, from: doc_id}
    match: {amount: total_amount}
    links: [{to: company}]
    fields:
      title: {template: "{company_name} {doc_type}", required: true}
      amount: {from: total_amount}
attach_file: {to: deal}
timeline_event: {to: deal, title: "inkstream: {doc_type} received", body: "Document {doc_id}"}
"""


@pytest.fixture
def tinycrm():
    with CRMS.registered(TINY_CRM):   # the one registry line a real CRM adds to connectors/crm/registry.py
        yield TINY_CRM


@pytest.fixture
def mapping_file(tmp_path) -> Path:
    path = tmp_path / "tinycrm.yaml"
    path.write_text(MAPPING)
    return path


@pytest.fixture
def api() -> TinyCrmApi:
    return TinyCrmApi()


def _settings(mapping_file: Path, **crm):
    return load_settings(crm={"crm": "tinycrm", "mapping_file": str(mapping_file), "max_attempts": 2,
                              "tinycrm": {"client_id": TinyCrmApi.client_id, "client_secret": TinyCrmApi.client_secret},
                              **crm})


def _record(doc_id: str = "doc-t1") -> dict:
    record = validated_contract(doc_id)
    record["original"] = {**record["original"], "sha256": hashlib.sha256(PDF).hexdigest(), "size_bytes": len(PDF)}
    return record


def test_mapping_to_commands_to_the_added_crms_connector_end_to_end(tinycrm, mapping_file, api):
    settings = _settings(mapping_file)
    mapped = run_processor(mapper_factory(settings), [("fields.validated", _record())])
    commands = mapped.on("crm.commands")
    assert [(c["operation"], c["object"], c["target"]) for c in commands] == [
        ("upsert", "accounts", "tinycrm"), ("upsert", "deals", "tinycrm"),
        ("attach_file", "deals", "tinycrm"), ("timeline_event", "deals", "tinycrm")]
    # The deal's amount rule looks under the account object TinyCRM's vendor object names.
    deal_cmd = commands[1]
    assert deal_cmd["match"]["account_object"] == "accounts"

    registry = CollectorRegistry()
    connector = build_connector(settings, "tinycrm", client=httpx.Client(transport=api.transport),
                                sleep=lambda s: None, metrics=CrmMetrics.create(registry))
    sink = CrmSink(connector, fetch=lambda ref: PDF)
    proc = Processor(name="crm", inputs=("crm.commands",), handle=sink.handle, sink=True, stage="crm")
    run = run_processor(proc, [("crm.commands", c) for c in commands])
    assert run.dead == []
    assert [s["status"] for s in run.on("documents.status")] == ["created"] * 4
    account = api.records["accounts", "ink_key", "acme.example"]
    deal = api.records["deals", "ink_doc", "doc-t1"]
    assert account["fields"] == {"title": "Acme GmbH"}
    assert deal["fields"]["title"] == "Acme GmbH contract" and deal["links"] == ["accounts:acme.example"]
    assert [a["sha256"] for a in api.attachments] == [hashlib.sha256(PDF).hexdigest()]
    assert [n["body"] for n in api.notes] == ["Document doc-t1"]
    # The daily quota as TinyCRM's object reads it from its answers.
    assert registry.get_sample_value("inkstream_crm_api_quota_used", {"crm": "tinycrm"}) == len(api.requests)
    assert registry.get_sample_value("inkstream_crm_api_quota_limit", {"crm": "tinycrm"}) == 1000

    # Replayed: nothing new in TinyCRM (upserts by external id, files and notes by key).
    again = run_processor(proc, [("crm.commands", c) for c in commands])
    assert [s["status"] for s in again.on("documents.status")] == ["updated", "updated", "unchanged", "unchanged"]
    assert len(api.records) == 2 and len(api.attachments) == 1 and len(api.notes) == 1


def test_the_dry_run_records_what_the_added_crms_own_connector_would_send(tinycrm, mapping_file, api):
    settings = _settings(mapping_file, dry_run=True)
    commands = run_processor(mapper_factory(settings), [("fields.validated", _record())]).on("crm.commands")
    connector = build_connector(settings, "tinycrm", client=httpx.Client(transport=api.transport))
    result = connector.apply(commands[1])
    recorded = connector.take()
    assert result.status == "dry_run" and api.requests == []  # nothing sent
    assert [(r.method, r.url) for r in recorded] == [("PUT", "https://api.tinycrm.test/v1/deals/by/ink_doc/doc-t1")]
    assert recorded[0].headers["authorization"] == "[redacted]"


def test_setup_creates_the_fields_the_added_crm_names_once(tinycrm, mapping_file, api):
    connector = build_connector(_settings(mapping_file), "tinycrm", client=httpx.Client(transport=api.transport))
    first = run_setup(connector)
    assert {(r.object, r.field) for r in first} == {(f.object, f.name) for f in TINY_CRM.custom_fields()}
    assert {r.result for r in first} == {"created"}
    assert {r.result for r in run_setup(connector)} == {"exists"}


def test_the_mapping_check_knows_the_added_crm_and_its_rules(tinycrm, mapping_file, tmp_path):
    assert check_file(mapping_file) == [] and load_mapping(mapping_file).crm == "tinycrm"
    bad = tmp_path / "bad.yaml"
    bad.write_text(MAPPING.replace("field: ink_doc", "field: Document Id"))
    assert any("'Document Id' cannot be an external id field in tinycrm" in p for p in check_file(bad))


def test_an_unregistered_crm_is_refused_everywhere(mapping_file, api):
    assert "tinycrm" not in CRMS
    assert any("unknown CRM 'tinycrm'" in p for p in check_file(mapping_file))
    with pytest.raises(ConfigError, match="unknown CRM 'tinycrm'"):
        build_connector(_settings(mapping_file), "tinycrm", client=httpx.Client(transport=api.transport))
    with pytest.raises(ConfigError, match="crm.tinycrm: not a setting and not a registered CRM"):
        build_connector(_settings(mapping_file, crm="salesforce"), "salesforce", client=httpx.Client(), dry_run=True)


def test_scopes_and_consent_come_from_the_added_crms_object(tinycrm, mapping_file):
    assert crm_scopes("tinycrm", ["deals", "accounts"]) == ("records.accounts.write", "records.deals.write")
    assert crm_scopes("tinycrm", ["deals"], setup=True) == ("fields:write",)
    settings = _settings(mapping_file)
    url = consent_url(settings, "tinycrm", redirect_uri="https://inkstream.example/cb", state="st")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://auth.tinycrm.test/consent"
    # The scopes of the objects the mapping in use writes; the client id from crm.tinycrm.
    assert query["scope"] == ["records.accounts.write records.deals.write"]
    assert query["client_id"] == [TinyCrmApi.client_id]
    with pytest.raises(ConfigError, match="no mapping for tinycrm"):  # none shipped in mappings/ for it
        scopes_for("tinycrm")


def test_esign_status_commands_use_the_added_crms_field_names(tinycrm):
    assert signature_fields("tinycrm") == TINY_CRM.signature_fields
    names = signature_fields("tinycrm")
    event = {"doc_id": "doc-t1", "trace": "tr", "provider": "standard", "envelope_id": "env-1",
             "signer": {"name": "Ada", "email": "ada@acme.example"}}
    command = crm_command({"crm_object": "deals", "crm_external_id_field": "ink_doc", "crm_external_id": "doc-t1"},
                          event, operation="update_signature_status", crm="tinycrm", discriminator="completed",
                          fields={names["status"]: "completed", names["hash"]: "abc123"})
    assert discriminator_hash(command["fields"]) == "abc123"
    assert command["fields"]["signature.sha256"] == "abc123" and command["target"] == "tinycrm"


def test_settings_of_the_added_crm_are_validated_with_its_model(tinycrm, mapping_file):
    section = vendor_settings(_settings(mapping_file), "tinycrm")
    assert section.client_id == TinyCrmApi.client_id and section.base_url == "https://api.tinycrm.test"
    with pytest.raises(ConfigError, match="invalid settings crm.tinycrm"):
        vendor_settings(_settings(mapping_file, tinycrm={"no_such_setting": 1}), "tinycrm")


def test_the_crm_service_checks_the_added_crms_credentials_before_it_starts(tinycrm, mapping_file):
    from connectors.startable import require_startable

    require_startable(_settings(mapping_file, dry_run=False).model_copy(update={"environment": "development"}), "crm")
    without = load_settings(environment="development", crm={"crm": "tinycrm", "dry_run": False, "tinycrm": {}})
    with pytest.raises(ConfigError, match="the CRM tinycrm has no credentials"):
        require_startable(without, "crm")

"""Mapping files: the shipped ones are valid; broken ones are reported precisely."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.commands.crm import register
from connectors.crm.mapping import check_file, load_mapping, render_fields
from connectors.crm.transforms import apply_transforms
from inkstream.errors import MappingError

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
SHIPPED = sorted(MAPPINGS.glob("*.yaml"))

GOOD = """\
version: "t-1"
crm: salesforce
objects:
  account:
    object: Account
    external_id: {field: Key__c, from: company_key}
    fields:
      Name: {from: company_name}
"""


def _cli(*args: str):
    import typer
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, list(args))


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "m.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_mappings_are_valid_and_versioned(path):
    assert check_file(path) == []
    assert load_mapping(path).version


def test_three_crms_have_a_mapping():
    assert {load_mapping(p).crm for p in SHIPPED} == {"salesforce", "hubspot", "zoho"}


def test_unknown_field_name_is_reported_with_file_and_line(tmp_path):
    p = _write(tmp_path, GOOD.replace("from: company_name", "from: company_nmae"))
    (problem,) = check_file(p)
    assert problem.startswith(f"{p}:8: objects.account.fields.Name.from: unknown field name 'company_nmae'")


def test_unknown_transform_is_reported(tmp_path):
    p = _write(tmp_path, GOOD.replace("{from: company_name}", "{from: company_name, transform: shout}"))
    (problem,) = check_file(p)
    assert f"{p}:8:" in problem and "unknown transform 'shout'" in problem


def test_bad_transform_argument_is_reported(tmp_path):
    p = _write(tmp_path, GOOD.replace("{from: company_name}", "{from: company_name, transform: {truncate: many}}"))
    (problem,) = check_file(p)
    assert "truncate" in problem and "int" in problem


def test_missing_external_id_is_reported_at_the_object(tmp_path):
    p = _write(tmp_path, GOOD.replace("    external_id: {field: Key__c, from: company_key}\n", ""))
    (problem,) = check_file(p)
    assert problem == f"{p}:4: objects.account.external_id: missing external id (external_id: {{field: ..., from: ...}})"


def test_salesforce_external_id_must_be_a_custom_field(tmp_path):
    p = _write(tmp_path, GOOD.replace("Key__c", "Key"))
    (problem,) = check_file(p)
    assert f"{p}:6: objects.account.external_id.field" in problem


def test_link_to_unknown_role_and_unknown_key_are_both_reported(tmp_path):
    text = GOOD + "  deal:\n    object: Opportunity\n    external_id: {field: D__c, from: doc_id}\n    links: [{to: acount}]\n"
    p = _write(tmp_path, text)
    assert check_file(p) == [f"{p}:12: objects.deal.links.0.to: link to unknown object role 'acount'"]
    p = _write(tmp_path, GOOD + "    colour: red\n")
    assert check_file(p) == [f"{p}:9: objects.account.colour: unknown key 'colour'"]


def test_invalid_yaml_is_reported_with_a_line(tmp_path):
    p = _write(tmp_path, GOOD + "  broken: [\n")
    (problem,) = check_file(p)
    assert problem.startswith(f"{p}:") and "not valid YAML" in problem


def test_load_mapping_raises_with_every_problem(tmp_path):
    p = _write(tmp_path, GOOD.replace("company_name", "nope").replace("company_key", "nada"))
    with pytest.raises(MappingError) as exc:
        load_mapping(p)
    assert "'nope'" in str(exc.value) and "'nada'" in str(exc.value)


def test_mapping_check_cli_exits_non_zero_and_names_the_problem(tmp_path):
    p = _write(tmp_path, GOOD.replace("from: company_name", "from: company_nmae"))
    result = _cli("mapping", "check", str(p))
    assert result.exit_code == 1
    assert "unknown field name 'company_nmae'" in result.output


def test_mapping_check_cli_accepts_a_valid_file():
    result = _cli("mapping", "check", str(MAPPINGS / "hubspot.yaml"))
    assert result.exit_code == 0 and "ok (hubspot" in result.output


def test_transforms_convert_dates_amounts_and_picklists():
    assert apply_transforms("2026-12-31", [("date", "%d.%m.%Y")]) == "31.12.2026"
    assert apply_transforms("1000.005", [("amount", None)]) == 1000.0
    assert apply_transforms("1000.015", [("amount", None), ("string", None)]) == "1000.02"
    assert apply_transforms("invoice", [("picklist", {"values": {"invoice": "Closed Won"}})]) == "Closed Won"
    assert apply_transforms("other", [("picklist", {"values": {}, "default": "X"})]) == "X"
    with pytest.raises(MappingError):
        apply_transforms("other", [("picklist", {"values": {"a": "b"}})])
    with pytest.raises(MappingError):
        apply_transforms("31/12/2026", [("date", None)])


def test_required_field_missing_raises_mapping_error():
    spec = load_mapping(MAPPINGS / "salesforce.yaml").objects["deal"]
    with pytest.raises(MappingError, match="CloseDate"):
        render_fields(spec, {"company_name": "Acme", "doc_type": "contract"})


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_custom_field_a_shipped_mapping_writes_is_created_by_crm_setup(path):
    from connectors.crm.setup import custom_fields
    mapping = load_mapping(path)
    created = {(f.object, f.name) for f in custom_fields(mapping.crm)}
    custom = {"salesforce": lambda n: n.endswith("__c"), "hubspot": lambda n: n.startswith("inkstream_"),
              "zoho": lambda n: n.startswith("Inkstream_")}[mapping.crm]
    written = {(spec.object, name) for spec in mapping.objects.values()
               for name in [spec.external_id.field, *spec.fields] if custom(name)}
    assert written and written <= created


def test_crm_setup_cli_creates_hubspot_properties_then_reports_them_as_existing(monkeypatch):
    import httpx

    from fakes.crm_hubspot import FakeHubSpot
    fake = FakeHubSpot(with_inkstream_properties=False)
    real_client = httpx.Client
    monkeypatch.setattr(httpx, "Client", lambda **kw: real_client(transport=fake.transport, **kw))
    monkeypatch.setenv("INKSTREAM_CRM__HUBSPOT__ACCESS_TOKEN", fake.private_app_token)
    first = _cli("crm", "setup", "--crm", "hubspot")
    assert first.exit_code == 0, first.output
    assert "inkstream_document_id" in first.output and "created" in first.output
    second = _cli("crm", "setup", "--crm", "hubspot")
    assert second.exit_code == 0 and "created" not in second.output and "exists" in second.output
    assert fake.properties["deals"]["inkstream_document_id"] is True


def test_crm_setup_cli_without_credentials_says_what_to_set(monkeypatch):
    for var in ("INKSTREAM_CRM__ZOHO__CLIENT_ID", "INKSTREAM_CRM__ZOHO__CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)
    result = _cli("crm", "setup", "--crm", "zoho")
    assert result.exit_code == 1 and "INKSTREAM_CRM__ZOHO__CLIENT_ID" in result.output.replace("\n", "")


def test_structural_and_field_name_problems_are_reported_together(tmp_path):
    text = GOOD.replace("    external_id: {field: Key__c, from: company_key}\n", "").replace(
        "{from: company_name}", "{from: company_nmae, transform: shout}")
    problems = check_file(_write(tmp_path, text))
    assert any("missing external id" in p for p in problems)
    assert any("unknown field name 'company_nmae'" in p for p in problems)
    assert any("unknown transform 'shout'" in p for p in problems)

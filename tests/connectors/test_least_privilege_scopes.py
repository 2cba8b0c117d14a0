"""Least-privilege scopes: what the code requests (consent URLs, DocuSign's JWT grant), what
SECURITY.md documents, and what the vendors' own API specifications say the calls need
must all be the same sets; any drift fails here."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from connectors.access_scopes import ESIGN_SCOPES, crm_scopes, mapped_objects, scopes_for
from connectors.consent import consent_url
from connectors.crm.registry import CRMS as CRM_REGISTRY
from connectors.esign.registry import ESIGN
from connectors.esign import EnvelopeRequest, Recipient
from connectors.esign.acrobat_sign import AcrobatSign
from connectors.esign.docusign import jwt_assertion
from connectors.esign.dropbox_sign import DropboxSign
from fakes.esign_acrobat_sign import FakeAcrobatSign
from fakes.esign_dropbox_sign import FakeDropboxSign
from inkstream.errors import ConfigError
from inkstream.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT.parent / "shared" / "specs" if (ROOT.parent / "shared" / "specs").is_dir() else Path("/work/shared/specs")
# Every registered CRM, and every registered e-sign provider with an API (Standard Webhooks
# has none: no token, no scope): a vendor added to a registry must be documented too.
CRMS = CRM_REGISTRY.names()
PROVIDERS = CRMS + tuple(v.name for v in ESIGN if v.build is not None)


def documented() -> dict[tuple[str, str], set[str]]:
    """(provider, step) -> scopes, from the table between the scopes markers in SECURITY.md."""
    text = (ROOT / "SECURITY.md").read_text()
    table = text.split("<!-- scopes:begin -->", 1)[1].split("<!-- scopes:end -->", 1)[0]
    out: dict[tuple[str, str], set[str]] = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[0] in ("provider", "") or set(cells[0]) <= {"-"}:
            continue
        out[(cells[0], cells[1])] = set(re.findall(r"`([^`]+)`", cells[2]))
    return out


def test_security_md_documents_every_provider_and_setup_step():
    assert {"salesforce", "hubspot", "zoho", "docusign", "acrobat_sign", "dropbox_sign"} <= set(PROVIDERS)  # not vacuous
    doc = documented()
    assert {p for p, step in doc if step == "runtime"} == set(PROVIDERS)
    assert {p for p, step in doc if step == "setup"} == set(CRMS)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_code_asks_for_exactly_the_documented_scopes(provider):
    assert set(scopes_for(provider)) == documented()[(provider, "runtime")]
    if provider in CRMS:
        assert set(scopes_for(provider, setup=True)) == documented()[(provider, "setup")]


_SEPARATOR = {"zoho": ","}


@pytest.mark.parametrize("provider,setup", [(p, False) for p in PROVIDERS if p != "dropbox_sign"]
                         + [(p, True) for p in CRMS])
def test_each_consent_url_requests_exactly_the_documented_scopes(provider, setup):
    url = consent_url(load_settings(), provider, client_id="cid", redirect_uri="https://inkstream.example/cb",
                      state="st", setup=setup)
    query = parse_qs(urlsplit(url).query)
    requested = set(query["scope"][0].split(_SEPARATOR.get(provider, " ")))
    assert requested == documented()[(provider, "setup" if setup else "runtime")]
    assert query["client_id"] == ["cid"] and query["state"] == ["st"] and query["response_type"] == ["code"]


def test_dropbox_sign_has_no_consent_step_because_an_api_key_cannot_be_scoped():
    with pytest.raises(ConfigError, match="API key"):
        consent_url(load_settings(), "dropbox_sign", client_id="c", redirect_uri="https://x/cb", state="s")


def test_docusign_jwt_grant_asserts_exactly_the_documented_scopes():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    token = jwt_assertion(integration_key="ik", user_id="u", audience="account-d.docusign.com", private_key_pem=pem)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(claims["scope"].split()) == documented()[("docusign", "runtime")]


def _request() -> EnvelopeRequest:
    return EnvelopeRequest(doc_id="doc-1", idempotency_key="k-1", title="t", pdf=b"%PDF-1.4\n",
                           recipients=(Recipient("Ada", "ada@acme.example"),))


def _recorded(fake, build) -> list[httpx.Request]:
    """Every request the connector makes in create / find / download, answered by the fake."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fake.handle(request)

    provider = build(httpx.Client(transport=httpx.MockTransport(handle)))
    created = provider.create_envelope(_request())
    if hasattr(provider, "find_envelope"):
        provider.find_envelope(_request())
    try:
        provider.download_signed(created.envelope_id)
    except Exception:  # noqa: BLE001 - not signed yet: the request was still made, that is what counts
        pass
    return seen


def _template_match(template: str, path: str) -> bool:
    return re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) is not None


def _acrobat_needs(request: httpx.Request) -> set[str]:
    """Any-of scopes the Acrobat Sign spec names for this request's operation."""
    path = request.url.path.removeprefix("/api/rest/v6")
    for name in ("agreements", "transientDocuments"):
        spec = json.loads((SPECS / "acrobat-sign" / "rest-v6" / f"{name}.json").read_text())
        for api in spec["apis"]:
            if _template_match(api["path"], path):
                for op in api["operations"]:
                    if op["httpMethod"] == request.method:
                        return {a["scope"] for a in op["authorizations"]["oauth2"]}
    raise AssertionError(f"{request.method} {path} is not in the Acrobat Sign spec")


def test_acrobat_sign_scopes_are_exactly_what_its_calls_need_per_the_vendor_spec():
    fake = FakeAcrobatSign()
    calls = _recorded(fake, lambda c: AcrobatSign(c, base_url="https://api.na1.adobesign.com", access_token=fake.token))
    assert {(r.method, r.url.path.rsplit("/", 1)[-1]) for r in calls} >= {
        ("POST", "transientDocuments"), ("POST", "agreements"), ("GET", "agreements"), ("GET", "combinedDocument")}
    granted = {s.split(":")[0] for s in documented()[("acrobat_sign", "runtime")]}
    needs = [_acrobat_needs(r) for r in calls]
    assert all(need & granted for need in needs), needs  # every call is allowed
    for scope in granted:  # and nothing documented is superfluous
        assert any(not (need & (granted - {scope})) for need in needs), f"{scope} is not needed"
    assert all(s.endswith(":self") for s in documented()[("acrobat_sign", "runtime")])


def test_dropbox_sign_uses_only_its_api_key_and_the_documented_oauth_equivalent_matches_its_spec():
    key = "4" * 64
    fake = FakeDropboxSign(api_key=key)
    calls = _recorded(fake, lambda c: DropboxSign(c, api_key=key))
    assert calls and all(r.headers["authorization"].startswith("Basic ") for r in calls)
    spec = yaml.safe_load((SPECS / "dropbox-sign" / "openapi.yaml").read_text())
    needed: set[str] = set()
    for r in calls:
        path = r.url.path.removeprefix("/v3")
        # The most literal template wins (/signature_request/send over /signature_request/{id}).
        _, ops = min(((t, o) for t, o in spec["paths"].items() if _template_match(t, path)),
                     key=lambda item: item[0].count("{"))
        for sec in ops[r.method.lower()]["security"]:
            needed |= set(sec.get("oauth2", []))
    assert documented()[("dropbox_sign", "runtime")] == set() == set(ESIGN_SCOPES["dropbox_sign"])
    assert documented()[("dropbox_sign", "oauth-equivalent")] == needed


@pytest.mark.parametrize("crm,object_scope", [
    ("hubspot", re.compile(r"crm\.objects\.(\w+)\.(?:read|write)")),
    ("zoho", re.compile(r"ZohoCRM\.modules\.(\w+)\.(?:READ|WRITE)")),
])
def test_crm_record_scopes_name_only_the_objects_the_mapping_writes(crm, object_scope):
    objects = {o.lower() for o in mapped_objects(crm)}
    named = {m.group(1) for s in crm_scopes(crm, objects) if (m := object_scope.fullmatch(s))}
    # Child records, whatever the mapping: HubSpot notes need the contacts scopes; Zoho notes
    # and attachments have their own (read + create) scopes.
    extra = {"contacts"} if crm == "hubspot" else {"notes", "attachments"}
    assert named == objects | extra
    # One object fewer in the mapping, its scopes go too (they follow the mapping, not a list).
    dropped = sorted(objects)[0]
    fewer = {m.group(1) for s in crm_scopes(crm, objects - {dropped}) if (m := object_scope.fullmatch(s))}
    assert dropped not in fewer or dropped in extra


def test_inkstream_crm_consent_url_prints_the_documented_scopes(monkeypatch):
    import typer

    from app.commands import crm as commands

    monkeypatch.setenv("INKSTREAM_CRM__HUBSPOT__CLIENT_ID", "hub-client")
    app = typer.Typer()
    commands.register(app)
    result = CliRunner().invoke(app, ["crm", "consent-url", "--crm", "hubspot", "--redirect-uri", "https://x/cb"])
    assert result.exit_code == 0, result.output
    query = parse_qs(urlsplit(result.output.strip()).query)
    assert set(query["scope"][0].split()) == documented()[("hubspot", "runtime")]
    assert query["client_id"] == ["hub-client"] and len(query["state"][0]) >= 16

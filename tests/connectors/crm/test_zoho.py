"""Zoho connector against the Zoho fake (tests/fakes/crm_zoho.py)."""

from __future__ import annotations

import logging

import httpx
import pytest

from connectors.crm.factory import build_connector
from connectors.crm.zoho import criteria_value
from fakes.crm_zoho import FakeZoho
from crm_helpers import apply_all, planned
from inkstream.errors import CrmAuthError, CrmError, CrmPermanentError, CrmRateLimited


@pytest.fixture
def fake():
    return FakeZoho(dc="eu")


def _connector(fake, crm_settings, slept, **extra):
    settings = crm_settings(zoho={"auth_url": fake.accounts, "client_id": fake.client_id,
                                  "client_secret": fake.client_secret, "refresh_token": fake.refresh_token, **extra})
    return build_connector(settings, "zoho", client=httpx.Client(transport=fake.transport), dry_run=False,
                           sleep=slept.append)


@pytest.fixture
def zoho(fake, crm_settings, slept):
    return _connector(fake, crm_settings, slept)


def _one(fake, module):
    (r,) = fake.records[module].values()
    return r


def test_contract_commands_upsert_with_lookups_attachment_and_note(zoho, fake):
    results = apply_all(zoho, planned("zoho"))
    assert [r.status for r in results] == ["created"] * 5
    account, contact, deal = _one(fake, "Accounts"), _one(fake, "Contacts"), _one(fake, "Deals")
    assert contact["Account_Name"] == {"id": account["id"]}
    assert deal["Account_Name"] == {"id": account["id"]} and deal["Contact_Name"] == {"id": contact["id"]}
    assert deal["Amount"] == 125000.5 and deal["Inkstream_Document_Id"] == "doc-1"
    (attachment,) = fake.attachments[deal["id"]]
    assert attachment["File_Name"].endswith(".pdf")
    (note,) = fake.notes[deal["id"]]
    assert "inkstream ref:" in note["Note_Content"]


def test_api_calls_go_to_the_api_domain_named_by_the_data_centre(zoho, fake):
    apply_all(zoho, planned("zoho"))
    hosts = {r.url.host for r in fake.requests}
    assert hosts == {"accounts.zoho.eu", "www.zohoapis.eu"}
    assert all(r.headers["authorization"].startswith("Zoho-oauthtoken ") for r in fake.requests
               if r.url.host == "www.zohoapis.eu")


def test_applying_every_command_twice_changes_nothing(zoho, fake):
    commands = planned("zoho")
    apply_all(zoho, commands)
    snapshot = repr((fake.records, fake.attachments, fake.notes))
    second = apply_all(zoho, commands)
    assert repr((fake.records, fake.attachments, fake.notes)) == snapshot
    assert [r.status for r in second] == ["updated"] * 3 + ["unchanged"] * 2


def test_existing_contact_with_the_same_email_is_updated_not_duplicated(zoho, fake):
    apply_all(zoho, planned("zoho", doc_id="doc-a"))
    apply_all(zoho, planned("zoho", doc_id="doc-b"))
    # the second document of the same customer also finds the open deal (test_matching.py)
    assert len(fake.records["Contacts"]) == 1 and len(fake.records["Deals"]) == 1


def test_expired_token_is_refreshed_at_the_accounts_host(zoho, fake):
    commands = planned("zoho")
    zoho.apply(commands[0])
    fake.expire_tokens()
    assert zoho.apply(commands[1]).status == "created"
    assert fake.token_requests == 2


def test_bad_refresh_token_is_an_auth_error_even_with_http_200(fake, crm_settings, slept):
    zoho = _connector(fake, crm_settings, slept, refresh_token="1000.revoked-refresh-token")
    with pytest.raises(CrmAuthError) as exc:
        zoho.apply(planned("zoho")[0])
    assert "invalid_code" in exc.value.body and "revoked-refresh-token" not in str(exc.value) + exc.value.body


def test_429_with_and_without_retry_after(zoho, fake, slept):
    fake.script.fail(1, 429, json={"code": "TOO_MANY_REQUESTS", "status": "error"})
    fake.script.fail(1, 429, headers={"Retry-After": "2"})
    zoho.apply(planned("zoho")[0])
    assert len(slept) == 2 and 0.05 <= slept[0] <= 0.1 and slept[1] == 2.0
    fake.script.fail(1, 429, headers={"Retry-After": "60"})
    with pytest.raises(CrmRateLimited):
        zoho.apply(planned("zoho")[0])


def test_5xx_storm_is_bounded_and_retryable(zoho, fake, slept):
    fake.script.fail(100, 500, json={"code": "INTERNAL_ERROR", "status": "error"})
    with pytest.raises(CrmError) as exc:
        zoho.apply(planned("zoho")[0])
    assert type(exc.value) is CrmError and len(slept) == 3


def test_invalid_field_is_permanent_with_zohos_body(zoho, fake):
    cmd = planned("zoho")[0]
    cmd["fields"]["Colour"] = "red"
    with pytest.raises(CrmPermanentError) as exc:
        zoho.apply(cmd)
    assert exc.value.status == 400 and "INVALID_DATA" in exc.value.body and "Colour" in exc.value.body


def test_attachment_for_a_missing_deal_is_permanent(zoho, fake):
    attach = next(c for c in planned("zoho") if c["operation"] == "attach_file")
    from crm_helpers import attachment_for
    with pytest.raises(CrmPermanentError) as exc:
        zoho.apply(attach, attachment_for(attach))
    assert exc.value.status == 404


def test_secrets_never_reach_logs_or_errors(zoho, fake, caplog):
    caplog.set_level(logging.DEBUG)
    apply_all(zoho, planned("zoho"))
    fake.expire_tokens()
    fake.script.fail(100, 503)
    with pytest.raises(CrmError) as exc:
        zoho.apply(planned("zoho")[0])
    tokens = {r.headers["authorization"].split(" ", 1)[1] for r in fake.requests if "authorization" in r.headers}
    text = caplog.text + str(exc.value) + (exc.value.body or "")
    for secret in [fake.client_secret, fake.refresh_token, *tokens]:
        assert secret not in text


def test_setup_creates_fields_through_the_fields_api_once(crm_settings, slept):
    from connectors.crm.setup import run_setup
    fake = FakeZoho(dc="com", with_inkstream_fields=False)
    zoho = _connector(fake, crm_settings, slept)
    assert {r.result for r in run_setup(zoho)} == {"created"}
    assert {r.result for r in run_setup(zoho)} == {"exists"}
    assert "Inkstream_Document_Id" in fake.fields["Deals"]
    apply_all(zoho, planned("zoho"))
    assert _one(fake, "Deals")["Inkstream_Document_Id"] == "doc-1"


def test_search_criteria_values_are_escaped():
    assert criteria_value("acme (gmbh), x") == "acme \\(gmbh\\)\\, x"


def test_lost_attachment_response_is_not_resent_blindly_and_the_retry_finds_it(zoho, fake):
    from crm_helpers import attachment_for
    commands = planned("zoho")
    apply_all(zoho, commands[:3])
    attach = commands[3]
    fake.script.fail(1, 500, path_suffix="/Attachments", method="POST", after=True)
    with pytest.raises(CrmError):
        zoho.apply(attach, attachment_for(attach))
    assert zoho.apply(attach, attachment_for(attach)).status == "unchanged"
    (deal,) = fake.records["Deals"].values()
    assert len(fake.attachments[deal["id"]]) == 1


def test_existing_account_with_the_same_website_is_adopted(zoho, fake):
    fake.records["Accounts"]["42"] = {"id": "42", "Account_Name": "ACME (old)", "Website": "acme.example"}
    apply_all(zoho, planned("zoho"))
    assert list(fake.records["Accounts"]) == ["42"]
    assert fake.records["Accounts"]["42"]["Inkstream_Key"] == "acme.example"
    upsert = next(r for r in fake.requests if r.url.path.endswith("/Accounts/upsert"))
    import json
    assert json.loads(upsert.content)["duplicate_check_fields"] == ["Inkstream_Key", "Website", "Account_Name"]

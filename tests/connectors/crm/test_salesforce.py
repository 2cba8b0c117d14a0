"""Salesforce connector against the Salesforce fake (tests/fakes/crm_salesforce.py)."""

from __future__ import annotations

import logging

import httpx
import pytest

from connectors.crm.factory import build_connector
from fakes.crm_salesforce import FakeSalesforce
from crm_helpers import apply_all, attachment_for, planned
from inkstream.errors import CrmAuthError, CrmError, CrmPermanentError, CrmRateLimited


@pytest.fixture
def fake():
    return FakeSalesforce()


@pytest.fixture
def sf(fake, crm_settings, slept):
    settings = crm_settings(salesforce={"auth_url": fake.login_url, "client_id": fake.client_id,
                                        "client_secret": fake.client_secret, "refresh_token": fake.refresh_token})
    return build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport),
                           dry_run=False, sleep=slept.append)


def _one(fake, obj):
    (record,) = fake.records[obj].values()
    return record


def test_contract_commands_create_linked_records_file_and_task(sf, fake):
    results = apply_all(sf, planned("salesforce"))
    assert [r.status for r in results] == ["created"] * 6
    account, contact, opp = _one(fake, "Account"), _one(fake, "Contact"), _one(fake, "Opportunity")
    assert account["Inkstream_Key__c"] == "acme.example" and account["Name"] == "Acme GmbH"
    assert contact["AccountId"] == account["Id"] and contact["LastName"] == "Lovelace"
    assert opp["AccountId"] == account["Id"] and opp["Amount"] == 125000.5 and opp["CloseDate"] == "2026-03-01"
    assert _one(fake, "Contract")["AccountId"] == account["Id"]
    version = _one(fake, "ContentVersion")
    assert version["FirstPublishLocationId"] == opp["Id"] and version["VersionData"].startswith(b"%PDF")
    linked = {l["LinkedEntityId"] for l in fake.records["ContentDocumentLink"].values()}
    assert linked == {opp["Id"], account["Id"]}
    assert _one(fake, "Task")["WhatId"] == opp["Id"]
    # instance_url came from the token response; one token for the whole run
    assert fake.token_requests == 1


def test_applying_every_command_twice_changes_nothing(sf, fake):
    commands = planned("salesforce")
    apply_all(sf, commands)
    before = {obj: {i: dict(r) for i, r in recs.items()} for obj, recs in fake.records.items()}
    second = apply_all(sf, commands)
    assert fake.records == before
    assert {r.status for r in second} <= {"updated", "unchanged"}
    assert [r.status for r in second if r.status == "unchanged"] == ["unchanged"]  # the file


def test_a_different_file_under_the_same_key_is_attached(sf, fake):
    commands = planned("salesforce")
    apply_all(sf, commands)
    attach = next(c for c in commands if c["operation"] == "attach_file")
    assert sf.apply(attach, attachment_for(attach, b"%PDF-1.7 signed")).status == "created"
    assert len(fake.records["ContentVersion"]) == 2


def test_existing_contact_found_by_email_is_updated_not_duplicated(sf, fake):
    existing = {"Id": fake.new_id("Contact"), "Email": "ada@acme.example", "LastName": "Lovelace"}
    fake.records["Contact"] = {existing["Id"]: existing}
    apply_all(sf, planned("salesforce"))
    assert list(fake.records["Contact"]) == [existing["Id"]]
    assert existing["Inkstream_Email__c"] == "ada@acme.example"


def test_429_without_retry_after_backs_off_with_jitter_and_succeeds(sf, fake, slept):
    fake.script.fail(2, 429, json=[{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "too many"}])
    assert sf.apply(planned("salesforce")[0]).status == "created"
    assert len(slept) == 2 and 0.05 <= slept[0] <= 0.1 and 0.1 <= slept[1] <= 0.2


def test_429_with_short_retry_after_waits_that_long(sf, fake, slept):
    fake.script.fail(1, 429, headers={"Retry-After": "3"})
    sf.apply(planned("salesforce")[0])
    assert slept == [3.0]


def test_429_with_long_retry_after_raises_rate_limited_for_backpressure(sf, fake, slept):
    fake.script.fail(1, 429, headers={"Retry-After": "120"})
    with pytest.raises(CrmRateLimited) as exc:
        sf.apply(planned("salesforce")[0])
    assert exc.value.retry_after == 120.0 and slept == []


def test_expired_token_is_refreshed_once_and_the_call_succeeds(sf, fake):
    commands = planned("salesforce")
    sf.apply(commands[0])
    fake.expire_tokens()
    assert sf.apply(commands[1]).status == "created"
    assert fake.token_requests == 2
    assert [r.url.path for r in fake.requests].count("/services/oauth2/token") == 2


def test_401_after_refresh_is_an_auth_error(sf, fake):
    fake.script.fail(2, 401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}])
    with pytest.raises(CrmAuthError) as exc:
        sf.apply(planned("salesforce")[0])
    assert "INVALID_SESSION_ID" in exc.value.body


def test_5xx_storm_is_retried_a_bounded_number_of_times_then_retryable(sf, fake, slept):
    fake.script.fail(50, 503, json=[{"errorCode": "SERVER_UNAVAILABLE", "message": "down"}])
    with pytest.raises(CrmError) as exc:
        sf.apply(planned("salesforce")[0])
    assert not isinstance(exc.value, CrmPermanentError) and exc.value.status == 503
    api_calls = [r for r in fake.requests if "/services/data/" in r.url.path]
    assert len(api_calls) == 4 and len(slept) == 3
    # exponential from 0.1 s with equal jitter: attempt n waits in [ceiling/2, ceiling]
    for n, wait in enumerate(slept, start=1):
        ceiling = 0.1 * 2 ** (n - 1)
        assert ceiling / 2 <= wait <= ceiling


def test_400_is_permanent_and_carries_the_vendor_body(sf, fake):
    fake.script.fail(1, 400, json=[{"errorCode": "INVALID_FIELD", "message": "No such column 'Amount'"}])
    with pytest.raises(CrmPermanentError) as exc:
        sf.apply(planned("salesforce")[0])
    assert exc.value.status == 400 and "INVALID_FIELD" in exc.value.body


def test_attach_to_a_missing_deal_is_permanent_404(sf, fake):
    attach = next(c for c in planned("salesforce") if c["operation"] == "attach_file")
    with pytest.raises(CrmPermanentError) as exc:
        sf.apply(attach, attachment_for(attach))
    assert exc.value.status == 404 and "NOT_FOUND" in exc.value.body


def test_several_matches_for_an_external_id_is_permanent_300(sf, fake):
    for _ in range(2):
        rid = fake.new_id("Account")
        fake.records.setdefault("Account", {})[rid] = {"Id": rid, "Inkstream_Key__c": "acme.example"}
    with pytest.raises(CrmPermanentError) as exc:
        sf.apply(planned("salesforce")[0])
    assert exc.value.status == 300


def test_api_usage_near_the_limit_slows_down_then_pauses(sf, fake, slept):
    fake.api_used = 13_000          # 86.7% of 15,000 after the next call: slow down
    sf.apply(planned("salesforce")[0])
    sf.apply(planned("salesforce")[0])
    assert slept and 0 < slept[-1] < 2.0
    fake.api_used = 14_400          # 96%: stop before burning the last calls
    with pytest.raises(CrmRateLimited) as exc:
        sf.apply(planned("salesforce")[0])
    assert exc.value.retry_after == 300.0


def test_wrong_client_secret_is_an_auth_error_without_the_secret(fake, crm_settings):
    settings = crm_settings(salesforce={"auth_url": fake.login_url, "client_id": fake.client_id,
                                        "client_secret": "not-the-secret-xyz", "refresh_token": fake.refresh_token})
    sf = build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport), dry_run=False)
    with pytest.raises(CrmAuthError) as exc:
        sf.apply(planned("salesforce")[0])
    assert "invalid_client" in exc.value.body and "not-the-secret-xyz" not in str(exc.value) + exc.value.body


def test_client_credentials_flow_is_used_without_a_refresh_token(fake, crm_settings):
    settings = crm_settings(salesforce={"auth_url": fake.login_url, "client_id": fake.client_id,
                                        "client_secret": fake.client_secret})
    sf = build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport), dry_run=False)
    sf.apply(planned("salesforce")[0])
    assert b"grant_type=client_credentials" in fake.requests[0].content


def test_secrets_never_reach_logs_or_errors(sf, fake, caplog):
    caplog.set_level(logging.DEBUG)
    commands = planned("salesforce")
    apply_all(sf, commands)
    fake.expire_tokens()
    fake.script.fail(1, 429)
    fake.script.fail(50, 500, json=[{"errorCode": "UNKNOWN", "message": "boom"}])
    with pytest.raises(CrmError) as exc:
        sf.apply(commands[0])
    tokens = [r.headers["authorization"][7:] for r in fake.requests if "authorization" in r.headers]
    assert tokens
    text = caplog.text + str(exc.value) + (exc.value.body or "")
    for secret in [fake.client_secret, fake.refresh_token, *tokens]:
        assert secret not in text
    assert "salesforce PATCH" in caplog.text  # the log does say what happened


def test_setup_creates_custom_fields_once(sf, fake):
    from connectors.crm.setup import run_setup
    first = run_setup(sf)
    assert first and {r.result for r in first} == {"created"}
    assert {r.result for r in run_setup(sf)} == {"exists"}
    names = {(r["TableEnumOrId"], r["DeveloperName"]) for r in fake.tooling.values()}
    assert ("Opportunity", "Inkstream_Signature_Status") in names and ("Account", "Inkstream_Key") in names
    assert len(names) == len(first) - 2  # less the signature object and the permission set assignment
    # field-level security: one permission set, edit rights on every field, assigned once
    (ps,) = fake.records["PermissionSet"].values()
    granted = {p["Field"] for p in fake.records["FieldPermissions"].values()
               if p["ParentId"] == ps["Id"] and p["PermissionsEdit"]}
    assert "Opportunity.Inkstream_Document_Id__c" in granted and "Task.Inkstream_Idempotency_Key__c" in granted
    (assignment,) = fake.records["PermissionSetAssignment"].values()
    assert assignment["AssigneeId"] == "005XX" and assignment["PermissionSetId"] == ps["Id"]


def test_lost_upload_response_is_not_resent_blindly_and_the_retry_finds_it(sf, fake):
    commands = planned("salesforce")
    apply_all(sf, commands[:4])
    attach = commands[4]
    fake.script.fail(1, 503, path_suffix="/sobjects/ContentVersion", after=True)
    with pytest.raises(CrmError) as exc:
        sf.apply(attach, attachment_for(attach))
    assert not isinstance(exc.value, CrmPermanentError)
    assert sf.apply(attach, attachment_for(attach)).status == "unchanged"  # the command-level retry
    assert len(fake.records["ContentVersion"]) == 1


def test_a_field_the_org_does_not_have_is_salesforces_invalid_field(sf, fake):
    cmd = planned("salesforce")[2]
    cmd["fields"]["Colour__c"] = "red"
    apply_all(sf, planned("salesforce")[:1])
    with pytest.raises(CrmPermanentError) as exc:
        sf.apply(cmd)
    assert exc.value.status == 400 and "INVALID_FIELD" in exc.value.body and "Colour__c" in exc.value.body

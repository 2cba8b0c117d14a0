"""HubSpot connector against the HubSpot fake (tests/fakes/crm_hubspot.py)."""

from __future__ import annotations

import logging

import httpx
import pytest

from connectors.crm.factory import build_connector
from connectors.crm.hubspot import HubSpotConnector
from connectors.crm.vendor_http import RetryPolicy, VendorHttp
from connectors.crm.oauth import StaticToken
from connectors.crm.ratelimit import TokenBucket
from fakes.crm_hubspot import FakeHubSpot
from crm_helpers import apply_all, planned
from inkstream.errors import CrmAuthError, CrmError, CrmPermanentError, CrmRateLimited


@pytest.fixture
def fake():
    return FakeHubSpot()


@pytest.fixture
def hs(fake, crm_settings, slept):
    settings = crm_settings(hubspot={"access_token": fake.private_app_token})
    return build_connector(settings, "hubspot", client=httpx.Client(transport=fake.transport), dry_run=False,
                           sleep=slept.append)


@pytest.fixture
def hs_oauth(fake, crm_settings, slept):
    settings = crm_settings(hubspot={"client_id": fake.client_id, "client_secret": fake.client_secret,
                                     "refresh_token": fake.refresh_token})
    return build_connector(settings, "hubspot", client=httpx.Client(transport=fake.transport), dry_run=False,
                           sleep=slept.append)


def _one(fake, t):
    (obj,) = fake.objects[t].values()
    return obj


def test_contract_commands_upsert_associate_and_attach_a_note_with_the_file(hs, fake):
    results = apply_all(hs, planned("hubspot"))
    assert [r.status for r in results] == ["created"] * 5
    company, contact, deal = _one(fake, "companies"), _one(fake, "contacts"), _one(fake, "deals")
    assert company["properties"]["inkstream_company_key"] == "acme.example"
    assert contact["properties"]["email"] == "ada@acme.example"
    assert deal["properties"]["amount"] == "125000.5" and deal["properties"]["dealstage"] == "contractsent"
    assert ("deals", deal["id"], "companies", company["id"]) in fake.associations
    assert ("deals", deal["id"], "contacts", contact["id"]) in fake.associations
    assert ("contacts", contact["id"], "companies", company["id"]) in fake.associations
    (file,) = fake.files.values()
    assert file["access"] == "PRIVATE" and file["path"].startswith("/inkstream/")
    notes = list(fake.objects["notes"].values())
    with_file = [n for n in notes if n["properties"].get("hs_attachment_ids") == file["id"]]
    assert len(notes) == 2 and len(with_file) == 1
    assert ("notes", with_file[0]["id"], "deals", deal["id"]) in fake.associations


def test_applying_every_command_twice_changes_nothing(hs, fake):
    commands = planned("hubspot")
    apply_all(hs, commands)
    snapshot = (repr(fake.objects), set(fake.associations), set(fake.files))
    second = apply_all(hs, commands)
    assert (repr(fake.objects), set(fake.associations), set(fake.files)) == snapshot
    assert [r.status for r in second] == ["updated"] * 3 + ["unchanged"] * 2


def test_existing_company_found_by_domain_is_adopted(hs, fake):
    fake.objects["companies"]["7"] = {"id": "7", "properties": {"name": "Acme", "domain": "acme.example"}}
    apply_all(hs, planned("hubspot"))
    assert list(fake.objects["companies"]) == ["7"]
    assert fake.objects["companies"]["7"]["properties"]["inkstream_company_key"] == "acme.example"


def test_client_side_bucket_keeps_under_the_ten_second_limit():
    now = [0.0]
    fake = FakeHubSpot(limit_per_10s=5, clock=lambda: now[0])
    bucket = TokenBucket(5, 10.0, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    http = VendorHttp("hubspot", httpx.Client(transport=fake.transport), StaticToken(fake.private_app_token),
                      pacer=bucket, sleep=lambda s: now.__setitem__(0, now[0] + s))
    apply_all(HubSpotConnector(http), planned("hubspot"))
    assert len(fake.requests) > 10 and fake.rate_limited == 0
    assert now[0] >= (len(fake.requests) - 5) * 2.0 - 1e-6


def test_429_without_retry_after_backs_off(hs, fake, slept):
    fake.script.fail(1, 429, json={"status": "error", "errorType": "RATE_LIMIT", "policyName": "TEN_SECONDLY_ROLLING"})
    assert hs.apply(planned("hubspot")[0]).status == "created"
    assert len(slept) == 1 and 0.05 <= slept[0] <= 0.1


def test_429_with_retry_after_is_honoured(hs, fake, slept):
    fake.script.fail(1, 429, headers={"Retry-After": "1"})
    hs.apply(planned("hubspot")[0])
    assert slept == [1.0]


def test_429_that_persists_becomes_rate_limited(hs, fake, slept):
    fake.script.fail(10, 429)
    with pytest.raises(CrmRateLimited) as exc:
        hs.apply(planned("hubspot")[0])
    assert exc.value.retry_after > 0 and len(slept) == 3


def test_expired_oauth_token_is_refreshed_once(hs_oauth, fake):
    commands = planned("hubspot")
    hs_oauth.apply(commands[0])
    fake.expire_tokens()
    assert hs_oauth.apply(commands[1]).status == "created"
    assert fake.token_requests == 2


def test_private_app_token_rejected_is_an_auth_error(fake, crm_settings):
    settings = crm_settings(hubspot={"access_token": "pat-na1-revoked"})
    hs = build_connector(settings, "hubspot", client=httpx.Client(transport=fake.transport), dry_run=False)
    with pytest.raises(CrmAuthError) as exc:
        hs.apply(planned("hubspot")[0])
    assert "INVALID_AUTHENTICATION" in exc.value.body and "pat-na1-revoked" not in str(exc.value) + exc.value.body


def test_5xx_storm_ends_in_a_retryable_error_after_bounded_retries(hs, fake, slept):
    fake.script.fail(100, 502)
    with pytest.raises(CrmError) as exc:
        hs.apply(planned("hubspot")[0])
    assert type(exc.value) is CrmError and len(fake.requests) == 4 and len(slept) == 3


def test_unknown_property_is_permanent_with_hubspots_body(hs, fake):
    cmd = planned("hubspot")[0]
    cmd["fields"]["colour"] = "red"
    with pytest.raises(CrmPermanentError) as exc:
        hs.apply(cmd)
    assert exc.value.status == 400 and "PROPERTY_DOESNT_EXIST" in exc.value.body


def test_note_for_a_missing_deal_is_permanent_404(hs, fake):
    timeline = next(c for c in planned("hubspot") if c["operation"] == "timeline_event")
    with pytest.raises(CrmPermanentError) as exc:
        hs.apply(timeline)
    assert exc.value.status == 404 and "OBJECT_NOT_FOUND" in exc.value.body


def test_secrets_never_reach_logs_or_errors(hs_oauth, fake, caplog):
    caplog.set_level(logging.DEBUG)
    apply_all(hs_oauth, planned("hubspot"))
    fake.script.fail(100, 500, json={"status": "error", "message": "internal"})
    with pytest.raises(CrmError) as exc:
        hs_oauth.apply(planned("hubspot")[0])
    tokens = {r.headers["authorization"][7:] for r in fake.requests if "authorization" in r.headers}
    text = caplog.text + str(exc.value) + (exc.value.body or "")
    for secret in [fake.client_secret, fake.refresh_token, *tokens]:
        assert secret not in text
    assert "hubspot POST" in caplog.text


def test_setup_creates_properties_and_409_means_exists():
    from connectors.crm.setup import run_setup
    fake = FakeHubSpot(with_inkstream_properties=False)
    http = VendorHttp("hubspot", httpx.Client(transport=fake.transport), StaticToken(fake.private_app_token),
                      policy=RetryPolicy(max_attempts=2), sleep=lambda s: None)
    hs = HubSpotConnector(http)
    assert {r.result for r in run_setup(hs)} == {"created"}
    assert {r.result for r in run_setup(hs)} == {"exists"}
    assert fake.properties["deals"]["inkstream_document_id"] is True
    apply_all(hs, planned("hubspot"))  # the upserts now find their unique idProperty
    assert _one(fake, "deals")["properties"]["inkstream_document_id"] == "doc-1"


def test_lost_note_response_is_not_resent_blindly_and_the_retry_finds_it(hs, fake):
    commands = planned("hubspot")
    apply_all(hs, commands[:3])
    timeline = commands[4]
    fake.script.fail(1, 502, path_suffix="/crm/v3/objects/notes", after=True)
    with pytest.raises(CrmError) as exc:
        hs.apply(timeline)
    assert not isinstance(exc.value, CrmPermanentError)
    assert hs.apply(timeline).status == "unchanged"
    assert len(fake.objects["notes"]) == 1


def test_document_text_in_a_note_is_escaped_not_markup(hs, fake):
    commands = planned("hubspot")
    commands[4]["fields"]["title"] = "<img src=x onerror=alert(1)> Ltd"
    apply_all(hs, commands)
    bodies = [n["properties"]["hs_note_body"] for n in fake.objects["notes"].values()]
    assert all("<img" not in b for b in bodies) and any("&lt;img" in b for b in bodies)

"""Batching (issue 15 item 2): a backlog goes to the CRM in few calls. Against the vendor
fakes: Salesforce Bulk API 2.0 / sObject Collections (tests/fakes/crm_salesforce.py, checked
against the developer guides' documented requests), HubSpot batch upsert + v4 batch
associate, Zoho multi-record upsert (each fake names the documents it follows)."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from connectors.crm import ApplyResult
from connectors.crm.batching import apply_upserts
from connectors.crm.factory import build_connector
from connectors.crm.mapping import load_mapping
from connectors.crm.matching import NeedsReview
from crm_helpers import MAPPINGS
from fakes.crm_hubspot import FakeHubSpot
from fakes.crm_records import validated_contract
from fakes.crm_salesforce import FakeSalesforce
from fakes.crm_zoho import FakeZoho
from streams.mapper.plan import plan_commands


def _upserts(crm: str, n: int, *, start: int = 0, prefix: str = "doc", amount: str | None = None) -> list[dict]:
    mapping = load_mapping(MAPPINGS / f"{crm}.yaml")
    out = []
    for i in range(start, start + n):
        record = validated_contract(f"{prefix}-{i}", counterparty=f"Customer {i} Ltd", signer_name=f"Signer {i}",
                                    signer_email=f"signer{i}@customer{i}.example",
                                    total_amount=amount or f"{1000 + i}.00")
        out += [c for c in plan_commands(record, mapping, esign_provider="docusign") if c["operation"] == "upsert"]
    # The bulk lane takes the backlog object by object: accounts, contacts, deals, contracts.
    order = {o: i for i, o in enumerate(dict.fromkeys(c["object"] for c in out))}
    return sorted(out, key=lambda c: order[c["object"]])


@pytest.fixture
def sf():
    fake = FakeSalesforce(daily_limit=100_000)
    from inkstream.settings import load_settings
    settings = load_settings(crm={"salesforce": {"auth_url": fake.login_url, "client_id": fake.client_id,
                                                 "client_secret": fake.client_secret,
                                                 "refresh_token": fake.refresh_token}})
    return fake, build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport),
                                 dry_run=False, sleep=lambda s: None)


def _calls(fake) -> Counter:
    base = f"/services/data/v{fake.api_version}"
    kinds: Counter = Counter()
    for r in fake.requests:
        path = r.url.path.removeprefix(base)
        kind = ("token" if path.endswith("/oauth2/token") else "job" if path.startswith("/jobs/ingest")
                else "query" if path.startswith("/query") else "collection" if path.startswith("/composite")
                else "record")
        kinds[kind] += 1
    return kinds


def test_a_backlog_of_2000_documents_goes_to_salesforce_in_bulk_api_jobs(sf):
    fake, connector = sf
    commands = _upserts("salesforce", 2000)
    assert len(commands) == 8000
    results = apply_upserts(connector, commands)
    assert len(results) == 8000 and all(isinstance(r, ApplyResult) and r.status == "created" for r in results.values())
    assert {o: len(fake.records[o]) for o in ("Account", "Contact", "Opportunity", "Contract")} == {
        "Account": 2000, "Contact": 2000, "Opportunity": 2000, "Contract": 2000}
    calls = _calls(fake)
    # 4 ingest jobs (Account, Contact, Opportunity, Contract): create, upload, close, 2 polls,
    # 2 result files each; 3 key/open-deal lookups of 10 chunks each for the deal rules.
    assert len(fake.jobs) == 4 and calls["job"] == 4 * 7
    assert calls["record"] == 0 and calls["collection"] == 0
    assert calls["query"] == 30
    assert sum(calls.values()) - calls["token"] == 58  # one record at a time: 24,000 (bench/crm_batch_calls.py)
    opp = next(iter(fake.records["Opportunity"].values()))
    account = fake.records["Account"][opp["AccountId"]]  # linked through Account.Inkstream_Key__c
    assert account["Name"] == opp["Name"].split(" contract")[0]


def test_the_same_customers_again_update_their_open_deals_in_a_second_wave_of_jobs(sf):
    fake, connector = sf
    apply_upserts(connector, _upserts("salesforce", 2000))
    fake.requests.clear()
    again = apply_upserts(connector, _upserts("salesforce", 2000, prefix="next"))
    assert len(fake.records["Opportunity"]) == 2000  # matched by account + amount: no duplicates
    deals = [r for c, r in again.items() if r.detail == "matched"]
    assert len(deals) == 2000
    assert all(j["operation"] in ("upsert", "update") for j in fake.jobs.values()) and _calls(fake)["record"] == 0


def test_two_documents_of_one_customer_in_one_backlog_share_one_deal(sf):
    fake, connector = sf
    first = validated_contract("doc-a")
    second = validated_contract("doc-b", effective_date="2026-06-01")
    mapping = load_mapping(MAPPINGS / "salesforce.yaml")
    commands = [c for r in (first, second) for c in plan_commands(r, mapping, esign_provider="docusign")
                if c["operation"] == "upsert"]
    commands.sort(key=lambda c: ["Account", "Contact", "Opportunity", "Contract"].index(c["object"]))
    results = apply_upserts(connector, commands, bulk_min_rows=1)
    assert len(fake.records["Opportunity"]) == 1 and len(fake.records["Account"]) == 1
    (opp,) = fake.records["Opportunity"].values()
    assert opp["CloseDate"] == "2026-06-01"  # the later document updated the deal the first created
    assert sorted(r.status for c, r in results.items() if isinstance(r, ApplyResult)).count("created") >= 3


def test_small_batches_use_sobject_collections_and_ties_go_to_review(sf):
    fake, connector = sf
    apply_upserts(connector, _upserts("salesforce", 3))
    assert _calls(fake)["collection"] == 4 and not fake.jobs  # one collection call per object
    (opp,) = [o for o in fake.records["Opportunity"].values() if o["Amount"] == 1001.0]
    twin = {**opp, "Id": fake.new_id("Opportunity"), "Inkstream_Document_Id__c": "manual"}
    fake.records["Opportunity"][twin["Id"]] = twin
    results = apply_upserts(connector, _upserts("salesforce", 1, start=1, prefix="again"))
    ties = [r for r in results.values() if isinstance(r, NeedsReview)]
    assert len(ties) == 1 and ties[0].candidates == 2 and len(fake.records["Opportunity"]) == 4


def test_hubspot_backlog_uses_batch_upserts_of_at_most_100_inputs():
    fake = FakeHubSpot()
    from inkstream.settings import load_settings
    connector = build_connector(load_settings(crm={"hubspot": {"access_token": fake.private_app_token}}), "hubspot",
                                client=httpx.Client(transport=fake.transport), dry_run=False, sleep=lambda s: None)
    commands = [c for c in _upserts("hubspot", 250) if c["object"] == "contacts"]
    # the contacts' companies exist already (made by the one-record path)
    for c in _upserts("hubspot", 250):
        if c["object"] == "companies":
            connector.apply(c)
    fake.requests.clear()
    results = apply_upserts(connector, commands)
    assert all(r.status == "created" for r in results.values()) and len(fake.objects["contacts"]) == 250
    upserts = [r for r in fake.requests if r.url.path.endswith("/batch/upsert")]
    import json
    assert [len(json.loads(r.content)["inputs"]) for r in upserts] == [100, 100, 50]
    contact = next(iter(fake.objects["contacts"].values()))
    assert any(a[:3] == ("contacts", contact["id"], "companies") for a in fake.associations)
    assert len(fake.requests) == 3 + 3 * 2  # upserts, then per batch one company read and one batch associate


def test_zoho_backlog_uses_multi_record_upserts_of_at_most_100():
    fake = FakeZoho(dc="eu")
    from inkstream.settings import load_settings
    settings = load_settings(crm={"zoho": {"auth_url": fake.accounts, "client_id": fake.client_id,
                                           "client_secret": fake.client_secret, "refresh_token": fake.refresh_token}})
    connector = build_connector(settings, "zoho", client=httpx.Client(transport=fake.transport), dry_run=False,
                                sleep=lambda s: None)
    commands = [c for c in _upserts("zoho", 250) if c["object"] == "Accounts"]
    results = apply_upserts(connector, commands)
    assert all(r.status == "created" for r in results.values()) and len(fake.records["Accounts"]) == 250
    import json
    sizes = [len(json.loads(r.content)["data"]) for r in fake.requests if r.url.path.endswith("/Accounts/upsert")]
    assert sizes == [100, 100, 50]

"""Matching (issue 15 item 1): a document finds its CRM record by crm_ref or by the
mapping's rules, per CRM, against the vendor fakes (tests/fakes/crm_*.py: each names the
vendor documents it follows). Ties and misses the mapping will not create go to review."""

from __future__ import annotations

import httpx
import pytest

from connectors.crm.factory import build_connector
from connectors.crm.matching import NeedsReview
from crm_helpers import apply_all, attachment_for, planned
from fakes.crm_hubspot import FakeHubSpot
from fakes.crm_salesforce import FakeSalesforce
from fakes.crm_zoho import FakeZoho


def _salesforce(crm_settings):
    fake = FakeSalesforce()
    settings = crm_settings(salesforce={"auth_url": fake.login_url, "client_id": fake.client_id,
                                        "client_secret": fake.client_secret, "refresh_token": fake.refresh_token})
    return fake, build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport),
                                 dry_run=False, sleep=lambda s: None)


def _hubspot(crm_settings):
    fake = FakeHubSpot()
    settings = crm_settings(hubspot={"access_token": fake.private_app_token})
    return fake, build_connector(settings, "hubspot", client=httpx.Client(transport=fake.transport),
                                 dry_run=False, sleep=lambda s: None)


def _zoho(crm_settings):
    fake = FakeZoho(dc="eu")
    settings = crm_settings(zoho={"auth_url": fake.accounts, "client_id": fake.client_id,
                                  "client_secret": fake.client_secret, "refresh_token": fake.refresh_token})
    return fake, build_connector(settings, "zoho", client=httpx.Client(transport=fake.transport),
                                 dry_run=False, sleep=lambda s: None)


# (connector builder, deal records of the fake, the deal's name field, its files on a deal id)
def _sf_deals(fake):
    return fake.records.get("Opportunity", {})


def _sf_files(fake, deal_id):
    return [v for v in fake.records.get("ContentVersion", {}).values() if v["FirstPublishLocationId"] == deal_id]


def _hs_files(fake, deal_id):
    notes = {a[3] for a in fake.associations if a[:3] == ("deals", deal_id, "notes")}
    return [n for n in notes if fake.objects["notes"][n]["properties"].get("hs_attachment_ids")]


def _zo_files(fake, deal_id):
    return fake.attachments.get(deal_id, [])


CRMS = {
    "salesforce": (_salesforce, _sf_deals, "Name", _sf_files),
    "hubspot": (_hubspot, lambda f: f.objects["deals"], "dealname", _hs_files),
    "zoho": (_zoho, lambda f: f.records["Deals"], "Deal_Name", _zo_files),
}


def _name(record, field):
    return record.get("properties", record).get(field)


@pytest.mark.parametrize("crm", sorted(CRMS))
def test_second_document_for_the_same_customer_updates_the_same_deal(crm, crm_settings):
    build, deals, name_field, files = CRMS[crm]
    fake, connector = build(crm_settings)
    first = apply_all(connector, planned(crm, "doc-1"))
    assert len(deals(fake)) == 1
    (deal_id,) = deals(fake)
    # Same customer, same amount, a later date: the open deal is found, not duplicated.
    second = apply_all(connector, planned(crm, "doc-2", effective_date="2026-04-15"))
    assert len(deals(fake)) == 1, f"{crm} created a second deal"
    assert _name(deals(fake)[deal_id], name_field) == "Acme GmbH contract 2026-04-15"
    deal_results = [r for c, r in zip(planned(crm, "doc-2"), second) if c["operation"] == "upsert"
                    and r.crm_id == deal_id]
    assert [r.status for r in deal_results] == ["updated"] and deal_results[0].detail == "matched"
    # The second document's file lands on that same deal (its parent found by the same rules).
    assert len(files(fake, deal_id)) == 2
    assert {r.status for r in first} == {"created"}


@pytest.mark.parametrize("crm", sorted(CRMS))
def test_a_document_with_another_amount_and_name_creates_its_own_deal(crm, crm_settings):
    build, deals, _, _ = CRMS[crm]
    fake, connector = build(crm_settings)
    apply_all(connector, planned(crm, "doc-1"))
    apply_all(connector, planned(crm, "doc-2", total_amount="990.00", counterparty="Acme GmbH", signer_email="ada@acme.example"))
    # Same account, other amount: the name rule still finds the account's one open deal.
    assert len(deals(fake)) == 1
    apply_all(connector, planned(crm, "doc-3", total_amount="5.00", counterparty="Initech AG",
                                 signer_email="bob@initech.example", signer_name="Bob Slydell"))
    assert len(deals(fake)) == 2  # another customer: a deal of its own


@pytest.mark.parametrize("crm", sorted(CRMS))
def test_two_open_deals_with_the_amount_are_a_tie_for_review_not_a_new_deal(crm, crm_settings):
    build, deals, _, _ = CRMS[crm]
    fake, connector = build(crm_settings)
    apply_all(connector, planned(crm, "doc-1"))
    # A second open deal of the same account with the same amount, created by someone in the CRM.
    # Made through the connector with matching switched off (a command without rules).
    copy = [c for c in planned(crm, "doc-x") if c["operation"] == "upsert"]
    for c in copy:
        c["match"] = {}
    apply_all(connector, copy)
    assert len(deals(fake)) == 2
    commands = planned(crm, "doc-3")
    deal_cmd = next(c for c in commands if c["operation"] == "upsert" and "amount" in c["match"])
    for c in commands[: commands.index(deal_cmd)]:
        connector.apply(c, attachment_for(c))
    with pytest.raises(NeedsReview) as info:
        connector.apply(deal_cmd)
    assert info.value.candidates == 2 and "2 records match" in str(info.value)
    assert len(deals(fake)) == 2


@pytest.mark.parametrize("crm", sorted(CRMS))
def test_crm_ref_given_at_capture_updates_the_named_deal(crm, crm_settings):
    build, deals, name_field, files = CRMS[crm]
    fake, connector = build(crm_settings)
    apply_all(connector, planned(crm, "doc-1"))
    apply_all(connector, planned(crm, "doc-9", total_amount="1.00", counterparty="Initech AG",
                                 signer_email="bob@initech.example", signer_name="Bob Slydell"))
    assert len(deals(fake)) == 2
    named = next(i for i, d in deals(fake).items() if "Initech" in _name(d, name_field))
    commands = planned(crm, "doc-2", crm_ref=None)
    from fakes.crm_records import validated_contract
    from connectors.crm.mapping import load_mapping
    from crm_helpers import MAPPINGS
    from streams.mapper.plan import plan_commands
    record = validated_contract("doc-2", effective_date="2026-05-05")
    record["crm_ref"] = named
    commands = [c for c in plan_commands(record, load_mapping(MAPPINGS / f"{crm}.yaml"), esign_provider="docusign")
                if c["operation"] != "request_signature"]
    apply_all(connector, commands)
    assert len(deals(fake)) == 2
    # The Acme document went where the capture client said, whatever the rules would say.
    assert _name(deals(fake)[named], name_field) == "Acme GmbH contract 2026-05-05"
    assert len(files(fake, named)) == 2


@pytest.mark.parametrize("crm", sorted(CRMS))
def test_crm_ref_naming_no_record_goes_to_review(crm, crm_settings):
    build, deals, _, _ = CRMS[crm]
    fake, connector = build(crm_settings)
    from fakes.crm_records import validated_contract
    from connectors.crm.mapping import load_mapping
    from crm_helpers import MAPPINGS
    from streams.mapper.plan import plan_commands
    record = validated_contract("doc-2")
    record["crm_ref"] = {"salesforce": "006000000000999AAA", "hubspot": "999999", "zoho": "5725767000000999999"}[crm]
    commands = plan_commands(record, load_mapping(MAPPINGS / f"{crm}.yaml"), esign_provider="docusign")
    deal_cmd = next(c for c in commands if c["external_id"] == record["crm_ref"])
    for c in commands[: commands.index(deal_cmd)]:
        connector.apply(c, attachment_for(c))
    with pytest.raises(NeedsReview):
        connector.apply(deal_cmd)
    assert len(deals(fake)) == 0


@pytest.mark.parametrize("crm", sorted(CRMS))
def test_the_signature_status_of_a_matched_document_never_creates_a_deal(crm, crm_settings):
    from streams.esign.crm_fields import crm_command, signature_fields
    build, deals, _, _ = CRMS[crm]
    fake, connector = build(crm_settings)
    if crm == "salesforce":
        from connectors.crm.setup import run_setup
        run_setup(connector)
    apply_all(connector, planned(crm, "doc-1"))
    apply_all(connector, planned(crm, "doc-2"))  # matched onto doc-1's deal
    (deal_id,) = deals(fake)
    request = next(c for c in plan_commands_for(crm, "doc-2") if c["operation"] == "request_signature")
    state = {"crm_object": request["object"], "crm_external_id_field": request["external_id_field"],
             "crm_external_id": request["external_id"]}  # what the e-sign dispatcher keeps: doc-2's key
    names = signature_fields(crm)
    status = crm_command(state, {"doc_id": "doc-2", "trace": "t"}, operation="update_signature_status", crm=crm,
                         discriminator="declined", fields={names["status"]: "declined"})
    if crm == "salesforce":  # found where doc-2's file was filed: the matched deal
        assert connector.apply(status).crm_id == deal_id
        assert deals(fake)[deal_id][names["status"]] == "declined"
    else:  # no file location to follow: refused, and still no second deal
        from inkstream.errors import CrmPermanentError
        with pytest.raises(CrmPermanentError):
            connector.apply(status)
    assert len(deals(fake)) == 1


def plan_commands_for(crm: str, doc_id: str) -> list[dict]:
    from connectors.crm.mapping import load_mapping
    from crm_helpers import MAPPINGS
    from fakes.crm_records import validated_contract
    from streams.mapper.plan import plan_commands
    return plan_commands(validated_contract(doc_id), load_mapping(MAPPINGS / f"{crm}.yaml"), esign_provider="docusign")

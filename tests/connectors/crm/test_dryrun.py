"""The dry-run target: the real connectors' requests, recorded, never sent."""

from __future__ import annotations

import json

import httpx

from connectors.crm.dryrun import redact_headers
from connectors.crm.factory import build_connector
from crm_helpers import apply_all, planned
from inkstream.settings import load_settings


def _recorded(crm: str, **vendor) -> list:
    connector = build_connector(load_settings(crm={crm: vendor, "dry_run": True} if vendor else {"dry_run": True}),
                                crm, client=httpx.Client())
    out = []
    for command in planned(crm):
        from crm_helpers import attachment_for
        connector.apply(command, attachment_for(command))
        out += connector.take()
    return out


def test_zoho_dry_run_targets_the_api_domain_of_the_configured_data_centre():
    recorded = _recorded("zoho", auth_url="https://accounts.zoho.eu")
    assert recorded and all(r.url.startswith("https://www.zohoapis.eu/crm/v8/") for r in recorded)
    upsert = next(r for r in recorded if r.url.endswith("/Deals/upsert"))
    body = json.loads(upsert.body)
    assert body["duplicate_check_fields"] == ["Inkstream_Document_Id"] and body["data"][0]["Amount"] == 125000.5
    assert all(r.headers["authorization"] == "[redacted]" for r in recorded)


def test_salesforce_dry_run_records_the_upsert_url_and_multipart_summary():
    recorded = _recorded("salesforce", base_url="https://acme.my.salesforce.com")
    urls = [f"{r.method} {r.url}" for r in recorded]
    assert "PATCH https://acme.my.salesforce.com/services/data/v62.0/sobjects/Opportunity/Inkstream_Document_Id__c/doc-1" in urls
    upload = next(r for r in recorded if r.url.endswith("/sobjects/ContentVersion"))
    parts = {p["name"]: p for p in json.loads(upload.body)["multipart"]}
    entity = json.loads(parts["entity_content"]["value"])
    assert entity["FirstPublishLocationId"].startswith("DRYRUN-") and parts["VersionData"]["size"] > 0


def test_secret_headers_are_redacted():
    headers = httpx.Headers({"Authorization": "Bearer abc", "X-Api-Key": "k", "Content-Type": "application/json",
                             "X-Refresh-Token": "r"})
    assert redact_headers(headers) == {"authorization": "[redacted]", "x-api-key": "[redacted]",
                                       "content-type": "application/json", "x-refresh-token": "[redacted]"}


def test_dry_run_apply_reports_dry_run_status():
    connector = build_connector(load_settings(crm={"dry_run": True}), "hubspot", client=httpx.Client())
    results = apply_all(connector, planned("hubspot"))
    assert {r.status for r in results} == {"dry_run"}


def test_zoho_accounts_hosts_map_to_their_api_domains():
    from connectors.crm.zoho import api_domain_of as _zoho_api_domain
    assert _zoho_api_domain("https://accounts.zoho.com") == "https://www.zohoapis.com"
    assert _zoho_api_domain("https://accounts.zoho.com.cn") == "https://www.zohoapis.com.cn"
    assert _zoho_api_domain("https://accounts.zohocloud.ca") == "https://www.zohoapis.ca"

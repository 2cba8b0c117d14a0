"""What one document costs each CRM: HTTP requests (API quota) and in-process apply rate,
side by side in one run, through the real connectors against the vendor fakes (no
network: the rate is inkstream's overhead plus the in-process fake, not vendor latency).
The dry run answers look-ups with "nothing found", so its redelivery repeats the uploads
it would send (it cannot know what the CRM holds).

    .venv/bin/python bench/crm_apply.py --docs 100

For each target: requests per contract document (first delivery, and a redelivery that
must change nothing), documents/s, and ratios against Salesforce.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402

from connectors.crm import Attachment  # noqa: E402
from connectors.crm.factory import build_connector  # noqa: E402
from connectors.crm.mapping import load_mapping  # noqa: E402
from fakes.crm_hubspot import FakeHubSpot  # noqa: E402
from fakes.crm_records import validated_contract  # noqa: E402
from fakes.crm_salesforce import FakeSalesforce  # noqa: E402
from fakes.crm_zoho import FakeZoho  # noqa: E402
from inkstream.settings import load_settings  # noqa: E402
from streams.mapper.plan import plan_commands  # noqa: E402

PDF = b"%PDF-1.7\n" + b"0" * 200_000 + b"\n%%EOF\n"


def _connectors():
    sf, hs, zo = FakeSalesforce(), FakeHubSpot(), FakeZoho()
    settings = load_settings(crm={
        "salesforce": {"auth_url": sf.login_url, "client_id": sf.client_id, "client_secret": sf.client_secret,
                       "refresh_token": sf.refresh_token},
        "hubspot": {"access_token": hs.private_app_token},
        "zoho": {"auth_url": zo.accounts, "client_id": zo.client_id, "client_secret": zo.client_secret,
                 "refresh_token": zo.refresh_token, "requests_per_10s": None}})
    out = {}
    for name, fake in (("salesforce", sf), ("hubspot", hs), ("zoho", zo)):
        out[name] = (build_connector(settings, name, client=httpx.Client(transport=fake.transport), dry_run=False,
                                     sleep=lambda s: None), fake)
    dry = build_connector(load_settings(), "salesforce", client=httpx.Client(), dry_run=True)
    out["dryrun(salesforce)"] = (dry, None)
    return out


def _apply(connector, commands, attachment) -> int:
    """Applies the commands; returns the HTTP requests the dry run recorded (0 if live)."""
    recorded = 0
    for c in commands:
        connector.apply(c, attachment if c["operation"] == "attach_file" else None)
        recorded += len(connector.take()) if hasattr(connector, "take") else 0
    return recorded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=100)
    args = parser.parse_args()
    attachment = Attachment(PDF, "contract.pdf", "application/pdf", hashlib.sha256(PDF).hexdigest())
    rows = []
    for name, (connector, fake) in _connectors().items():
        if name == "hubspot":  # its 100-per-10-s bucket would sleep: measure our overhead instead
            connector.http.pacer = None
        crm = name.split("(")[-1].rstrip(")")
        mapping = load_mapping(ROOT / "mappings" / f"{crm}.yaml")
        plans = [[c for c in plan_commands(validated_contract(f"doc-{i}"), mapping, esign_provider="docusign")
                  if c["operation"] != "request_signature"] for i in range(args.docs)]
        before = len(fake.requests) if fake else 0
        start = time.perf_counter()
        recorded = sum(_apply(connector, cmds, attachment) for cmds in plans)
        elapsed = time.perf_counter() - start
        first = (len(fake.requests) - before if fake else recorded) / args.docs
        mid = len(fake.requests) if fake else 0
        recorded = sum(_apply(connector, cmds, attachment) for cmds in plans[:10])
        again = (len(fake.requests) - mid if fake else recorded) / 10
        rows.append((name, first, again, args.docs / elapsed))
    base = rows[0]
    print(f"{'target':20} {'req/doc':>8} {'req/redelivery':>15} {'docs/s':>8} {'req ratio':>10} {'rate ratio':>10}")
    for name, first, again, rate in rows:
        print(f"{name:20} {first:8.1f} {again:15.1f} {rate:8.1f} {first / base[1]:10.2f} {rate / base[3]:10.2f}")


if __name__ == "__main__":
    main()

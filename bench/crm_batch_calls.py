"""API calls for a backlog of N contracts' upserts (Account, Contact, Opportunity, Contract)
against the Salesforce fake: one record at a time vs the bulk lane (Bulk API 2.0 jobs /
sObject Collections). Prints calls, not time.  python bench/crm_batch_calls.py --docs 200"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "connectors" / "crm")]


def _connector():
    import httpx

    from connectors.crm.factory import build_connector
    from fakes.crm_salesforce import FakeSalesforce
    from inkstream.settings import load_settings
    fake = FakeSalesforce(daily_limit=10_000_000)
    settings = load_settings(crm={"salesforce": {"auth_url": fake.login_url, "client_id": fake.client_id,
                                                 "client_secret": fake.client_secret,
                                                 "refresh_token": fake.refresh_token}})
    return fake, build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport),
                                 dry_run=False, sleep=lambda s: None)


def main() -> None:
    from connectors.crm.batching import apply_upserts
    from test_batching import _upserts

    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=200)
    n = parser.parse_args().docs
    commands = _upserts("salesforce", n)
    fake, connector = _connector()
    for c in commands:
        connector.apply(c)
    one = fake.api_used
    fake, connector = _connector()
    apply_upserts(connector, commands)
    bulk = fake.api_used
    print(f"{n} documents ({len(commands)} upserts): one record at a time {one} API calls "
          f"({one / n:.1f} per document); bulk lane {bulk} API calls ({len(fake.jobs)} ingest jobs)")


if __name__ == "__main__":
    main()

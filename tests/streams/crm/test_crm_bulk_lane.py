"""The bulk lane of ``inkstream run crm`` (issue 15 item 2): a backlog of crm.commands goes
through the runtime's batch sink (streams/crm/batch.py) to the vendor fakes' batch APIs
(tests/fakes/crm_salesforce.py follows the Bulk API 2.0 and REST API developer guides;
crm_hubspot.py the CRM v3 batch endpoints), through the same decode/flush/DLQ code as the
Kafka loop (run_processor), and through the worker loop on the in-memory broker."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import httpx
import pytest

from connectors.crm.factory import build_connector
from connectors.crm.mapping import load_mapping
from fakes.crm_hubspot import FakeHubSpot
from fakes.crm_records import validated_contract
from fakes.crm_salesforce import FakeSalesforce
from inkstream.errors import ConfigError
from inkstream.settings import load_settings
from schemas.codec import Codec
from streams.crm.batch import CrmBatchSink
from streams.crm.sink import CrmSink
from streams.mapper.plan import plan_commands
from streams.mapper.processor import MAPPINGS_DIR
from streams.runtime import Processor
from streams.runtime.loop import Worker, group_id
from streams.runtime.memory import MemoryBroker, MemoryConsumer, MemoryProducer
from streams.runtime.testing import run_processor

PDF = b"%PDF-1.7 contract bytes\n%%EOF\n"
IN = "crm.commands"


def _backlog(crm: str, n: int) -> list[dict]:
    """The mapper's commands for ``n`` contracts of ``n`` customers, document after document."""
    mapping = load_mapping(MAPPINGS_DIR / f"{crm}.yaml")
    out = []
    for i in range(n):
        record = validated_contract(f"doc-{i}", counterparty=f"Customer {i} Ltd", signer_name=f"Signer {i}",
                                    signer_email=f"signer{i}@customer{i}.example", total_amount=f"{1000 + i}.00")
        record["original"] = {**record["original"], "sha256": hashlib.sha256(PDF).hexdigest(), "size_bytes": len(PDF)}
        out += plan_commands(record, mapping, esign_provider="docusign")
    return out


def _salesforce(fake: FakeSalesforce):
    settings = load_settings(crm={"crm": "salesforce", "max_attempts": 3, "backoff_base_s": 0.01, "salesforce": {
        "auth_url": fake.login_url, "client_id": fake.client_id, "client_secret": fake.client_secret,
        "refresh_token": fake.refresh_token}})
    return build_connector(settings, "salesforce", client=httpx.Client(transport=fake.transport),
                           dry_run=False, sleep=lambda s: None)


def _bulk_proc(connector, *, bulk_min_rows: int, batch_max_records: int = 100_000) -> Processor:
    sink = CrmBatchSink(CrmSink(connector, fetch=lambda ref: PDF), bulk_min_rows=bulk_min_rows, sleep=lambda s: None)
    return Processor(name="crm", inputs=(IN,), batch_sink=sink, stage="crm", batch_max_records=batch_max_records)


def _calls(fake: FakeSalesforce) -> Counter:
    base = f"/services/data/v{fake.api_version}"
    kinds: Counter = Counter()
    for r in fake.requests:
        path = r.url.path.removeprefix(base)
        kinds["token" if path.endswith("/oauth2/token") else "job" if path.startswith("/jobs/ingest")
              else "query" if path.startswith("/query") else "collection" if path.startswith("/composite")
              else "upsert" if r.method == "PATCH" and path.split("/")[2:3] in (["Account"], ["Contact"],
                                                                              ["Opportunity"], ["Contract"])
              else "task" if r.method == "PATCH" and path.startswith("/sobjects/Task/") else "other"] += 1
    return kinds


def test_a_backlog_goes_to_salesforce_as_bulk_api_jobs_and_a_refused_row_to_the_dlq():
    fake = FakeSalesforce(daily_limit=100_000)
    commands = _backlog("salesforce", 250)
    # The vendor refuses one deal: a column its Opportunity does not have (INVALID_FIELD).
    bad = next(c for c in commands if c["doc_id"] == "doc-7" and c["object"] == "Opportunity"
               and c["operation"] == "upsert")
    bad["fields"] = {**bad["fields"], "Bogus__c": "x"}
    run = run_processor(_bulk_proc(_salesforce(fake), bulk_min_rows=200), [(IN, c) for c in commands])

    calls = _calls(fake)
    # Account, Contact, Opportunity, Contract: one ingest job each (create, upload, close,
    # poll, poll, successful and failed results), and no upsert one record at a time.
    assert len(fake.jobs) == 4 and calls["job"] == 4 * 7
    assert calls["upsert"] == 0 and calls["collection"] == 0
    assert calls["task"] == 249  # timeline events stay on the record path (doc-7's waits on its deal)
    assert {o: len(fake.records[o]) for o in ("Account", "Contact", "Opportunity", "Contract")} == {
        "Account": 250, "Contact": 250, "Opportunity": 249, "Contract": 250}
    assert run.flushes == 1

    # The refused row is on the DLQ with the vendor's reason; the deal's file and timeline
    # event that depend on it are refused after it instead of becoming orphans.
    dead = {(d["offset"], d["error_type"]) for d in run.dead}
    offsets = {c["idempotency_key"]: i for i, c in enumerate(commands)}
    doc7 = [c for c in commands if c["doc_id"] == "doc-7" and c["operation"] in ("attach_file", "timeline_event")]
    assert dead == {(offsets[bad["idempotency_key"]], "CrmPermanentError"),
                    *((offsets[c["idempotency_key"]], "CrmPermanentError") for c in doc7)}
    (refused,) = [d for d in run.dead if d["offset"] == offsets[bad["idempotency_key"]]]
    assert "INVALID_FIELD" in refused["error"] and "Bogus__c" in refused["error"]

    # Nothing else lost: every other command of the salesforce target has its crm status.
    applied = Counter((s["doc_id"], s["detail"].split()[0]) for s in run.on("documents.status") if s["stage"] == "crm")
    for i in range(250):
        expected = {"upsert": 4, "attach_file": 1, "timeline_event": 1} if i != 7 else {"upsert": 3}
        assert {op: applied[(f"doc-{i}", op)] for op in expected} == expected, i
    assert sum(applied.values()) == 250 * 6 - 3
    assert len(run.skipped) == 250  # request_signature: the e-sign provider's
    assert Counter(s["status"] for s in run.statuses) == Counter({"failed": 3})


def test_a_small_batch_uses_sobject_collections_and_a_rerun_changes_nothing():
    fake = FakeSalesforce()
    connector = _salesforce(fake)
    commands = [c for c in _backlog("salesforce", 3) if c["operation"] == "upsert"]
    first = run_processor(_bulk_proc(connector, bulk_min_rows=2000), [(IN, c) for c in commands])
    assert _calls(fake)["collection"] == 4 and not fake.jobs and first.dead == []
    assert Counter(s["status"] for s in first.on("documents.status")) == Counter({"created": 12})
    # At-least-once: the batch read again after a crash before the commit writes no duplicate.
    again = run_processor(_bulk_proc(connector, bulk_min_rows=2000), [(IN, c) for c in commands])
    assert {len(fake.records[o]) for o in ("Account", "Contact", "Opportunity", "Contract")} == {3}
    assert again.dead == [] and len(again.on("documents.status")) == 12


def test_a_rate_limit_on_the_record_path_is_waited_out_without_writing_the_batch_again():
    fake = FakeSalesforce()
    commands = [c for c in _backlog("salesforce", 3) if c["operation"] in ("upsert", "timeline_event")]
    task = next(c for c in commands if c["operation"] == "timeline_event")
    # The connector's own retries (crm.max_attempts 3) all meet 429: it raises CrmRateLimited.
    fake.script.fail(3, 429, headers={"Retry-After": "7"}, json=[{"errorCode": "REQUEST_LIMIT_EXCEEDED",
                     "message": "slow down"}], path_suffix=task["idempotency_key"])
    waited: list[float] = []
    sink = CrmBatchSink(CrmSink(_salesforce(fake), fetch=lambda ref: PDF), sleep=waited.append)
    run = run_processor(Processor(name="crm", inputs=(IN,), batch_sink=sink, stage="crm"), [(IN, c) for c in commands])
    assert 7.0 in waited and run.dead == []
    assert _calls(fake)["collection"] == 4  # the upserts were written once, not again after the 429
    assert len(run.on("documents.status")) == len(commands)


def test_hubspot_backlog_uses_batch_upserts_through_the_processor():
    fake = FakeHubSpot()
    connector = build_connector(load_settings(crm={"hubspot": {"access_token": fake.private_app_token}}), "hubspot",
                                client=httpx.Client(transport=fake.transport), dry_run=False, sleep=lambda s: None)
    commands = [c for c in _backlog("hubspot", 150) if c["operation"] == "upsert" and c["object"] == "contacts"]
    run = run_processor(_bulk_proc(connector, bulk_min_rows=2000), [(IN, c) for c in commands])
    batches = [r for r in fake.requests if r.url.path.endswith("/batch/upsert")]
    assert len(batches) == 2 and run.dead == []  # 150 contacts: 100 + 50 inputs
    assert not [r for r in fake.requests if r.method in ("PATCH", "POST") and r.url.path.endswith("/contacts")]
    assert Counter(s["status"] for s in run.on("documents.status")) == Counter({"created": 150})


def test_a_hubspot_batch_refused_for_one_bad_input_is_written_one_by_one_and_the_bad_one_dead_lettered():
    fake = FakeHubSpot()
    connector = build_connector(load_settings(crm={"hubspot": {"access_token": fake.private_app_token}}), "hubspot",
                                client=httpx.Client(transport=fake.transport), dry_run=False, sleep=lambda s: None)
    commands = [c for c in _backlog("hubspot", 150) if c["operation"] == "upsert"
                and c["object"] in ("companies", "contacts")]
    bad = [c for c in commands if c["object"] == "contacts"][3]
    bad["fields"] = {**bad["fields"], "no_such_property": "x"}
    run = run_processor(_bulk_proc(connector, bulk_min_rows=2000), [(IN, c) for c in commands])
    sizes = [len(json.loads(r.content)["inputs"]) for r in fake.requests
             if r.url.path.endswith("/contacts/batch/upsert")]
    # The batch of 100 holding the bad input is refused whole; its 100 go one by one (the
    # record path's one-input upsert), the other batch of 50 is written as one.
    assert sizes == [100, 50] + [1] * 100
    (dead,) = run.dead
    assert dead["offset"] == commands.index(bad) and "PROPERTY_DOESNT_EXIST" in dead["error"]
    assert "no_such_property" in dead["error"]
    assert len(fake.objects["contacts"]) == 149 and len(fake.objects["companies"]) == 150
    assert sorted(s["doc_id"] for s in run.on("documents.status")) == sorted(c["doc_id"] for c in commands
                                                                             if c is not bad)


def test_the_lane_is_a_setting_and_record_stays_the_default(tmp_path):
    from streams.crm.processor import factory
    record = factory(load_settings(data_dir=tmp_path, crm={"dry_run": True}))
    assert record.handle is not None and record.batch_sink is None  # one command at a time
    bulk = factory(load_settings(data_dir=tmp_path, crm={"dry_run": True, "lane": "bulk", "bulk_min_rows": 50}))
    assert isinstance(bulk.batch_sink, CrmBatchSink) and bulk.batch_sink.bulk_min_rows == 50
    assert bulk.name == record.name == "crm"  # one consumer group: switching lanes resumes at the committed offsets
    with pytest.raises(ConfigError, match="lane"):
        load_settings(crm={"lane": "fast"})
    # The dry run on the bulk lane records each request; the runtime adds the crm/done status.
    commands = [c for c in _backlog("salesforce", 2) if c["operation"] in ("upsert", "timeline_event")]
    run = run_processor(bulk, [(IN, c) for c in commands])
    assert {r["command_event_id"] for r in run.on("crm.dryrun")} == {c["event_id"] for c in commands}
    assert run.dead == []
    assert sorted((s["doc_id"], s["stage"], s["status"]) for s in run.statuses) == [
        ("doc-0", "crm", "done"), ("doc-1", "crm", "done")]


def test_the_worker_loop_delivers_the_bulk_lanes_statuses_and_dead_letters_before_committing(tmp_path):
    settings = load_settings(data_dir=tmp_path)
    codec = Codec(seal=False)
    fake = FakeSalesforce()
    commands = [c for c in _backlog("salesforce", 5) if c["operation"] == "upsert"]
    bad = next(c for c in commands if c["object"] == "Contract")
    bad["fields"] = {**bad["fields"], "Bogus__c": "x"}
    name = settings.topics.name
    broker = MemoryBroker({name(IN): 1, name(f"{IN}.dlq"): 1, name("documents.status"): 1})
    for c in commands:
        broker.append(name(IN), codec.encode(IN, c), key=c["doc_id"].encode())
    proc = _bulk_proc(_salesforce(fake), bulk_min_rows=2000, batch_max_records=1000)
    consumer = MemoryConsumer(broker, {"group.id": group_id(settings, proc)})
    status_at_commit: list[int] = []
    commit = consumer.commit
    consumer.commit = lambda **kw: (status_at_commit.append(len(broker.committed_records(name("documents.status")))),
                                    commit(**kw))[1]
    worker = Worker(proc, settings, codec=codec, consumer=consumer,
                    producer_factory=lambda config: MemoryProducer(broker, config))
    worker.start()
    for _ in range(20):
        worker.step()
        if sum(broker.offsets[group_id(settings, proc)].values()) == len(commands):
            break
    assert sum(broker.offsets[group_id(settings, proc)].values()) == len(commands)
    statuses = [codec.decode(m.value()) for m in broker.committed_records(name("documents.status"))]
    assert status_at_commit[-1] == len(statuses) == len(commands)  # 19 applied + 1 failed, all before the commit
    assert Counter(s["status"] for s in statuses) == Counter({"created": 19, "failed": 1})
    (dead,) = [codec.decode(m.value()) for m in broker.committed_records(name(f"{IN}.dlq"))]
    assert "INVALID_FIELD" in dead["error"] and codec.decode(dead["value"], IN)["idempotency_key"] == bad["idempotency_key"]
    assert _calls(fake)["collection"] == 4 and _calls(fake)["upsert"] == 0

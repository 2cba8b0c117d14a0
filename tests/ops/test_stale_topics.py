"""The broker does not fill up with test topics: ``inkstream status`` warns above
``kafka.partition_warn`` with the count and the command, and ``inkstream prune-test-topics``
deletes idle, old test runs' topics and groups, never the platform's nor a live run's
(ops/stack/stale_topics.py). Every topic here is made under this test's own prefixes and
pruned with ``only=`` them: other people's runs share the broker."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from inkstream.settings import load_settings
from inkstream.topic_plan import planned_topics
from ops.stack.stale_topics import partition_warning, prune, run_prefix
from stack_helpers import cli
from topic_admin import create_topics, delete_topics


def _with_prefix(base, prefix: str):
    return base.model_copy(update={"topics": base.topics.model_copy(update={"prefix": prefix})})


@pytest.mark.parametrize("name, prefix", [
    ("t0123456789.ocr.results", "t0123456789."),
    ("t01234567.documents.ingested.dlq", "t01234567."),          # the audit tests' older 8-hex form
    ("e2e1a2b3c4d.extract.memory", "e2e1a2b3c4d."),
    ("e2ex1a2b3c4d.fields.validated", "e2ex1a2b3c4d."),
    ("dw1a2b3c4d.webhooks.log", "dw1a2b3c4d."),
    ("ext1a2b3c4d.crm.commands.dlq", "ext1a2b3c4d."),
    ("t1796621043.documents.status", "t1796621043."),          # a time-based one
])
def test_test_topics_are_known_by_their_run_prefix(name, prefix):
    assert run_prefix(name, load_settings()) == prefix


def test_the_platforms_and_the_brokers_topics_are_never_test_topics():
    settings = load_settings()
    names = [settings.topics.name(t) for t in planned_topics(settings)]
    assert {"documents.ingested", "ocr.results.dlq", "crm.commands", "esign.events.dlq"} <= set(names)
    for name in names + ["__consumer_offsets", "__transaction_state", "unit.ocr.results", "drillx.esign.events"]:
        assert run_prefix(name, settings) is None, name
    # Under a configured prefix that looks like a test's, the plan's names still are not.
    prod = _with_prefix(settings, "a0123456789.")
    assert all(run_prefix(prod.topics.name(t), prod) is None for t in planned_topics(prod))


@pytest.mark.stack
def test_prune_deletes_an_idle_old_run_with_its_groups_and_keeps_young_and_consuming_runs(topic_prefix):
    base = load_settings()
    old, young, live, gone = (_with_prefix(base, topic_prefix()) for _ in range(4))
    for s in (old, young, live, gone):
        create_topics(s, {"ocr.results": 2, "ocr.results.dlq": 1})
    # The old run's worker committed offsets and left: an EMPTY group that outlives it. So did
    # the gone run's, whose topics were deleted since.
    for s in (old, gone):
        committed = Consumer({"bootstrap.servers": base.kafka.bootstrap, "group.id": f"{s.topics.prefix}inkstream-ocr",
                              "enable.auto.commit": False})
        committed.commit(offsets=[TopicPartition(s.topics.name("ocr.results"), 0, 0)], asynchronous=False)
        committed.close()
    delete_topics(gone, [gone.topics.name("ocr.results"), gone.topics.name("ocr.results.dlq")])
    _wait_gone(base, {gone.topics.name("ocr.results"), gone.topics.name("ocr.results.dlq")})
    # The live run is consuming now.
    consumer = Consumer({"bootstrap.servers": base.kafka.bootstrap, "group.id": f"{live.topics.prefix}inkstream-ocr",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([live.topics.name("ocr.results")])
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(0.2)
    assert consumer.assignment()
    try:
        prefixes = {s.topics.prefix for s in (old, young, live, gone)}
        ages = {old.topics.prefix: time.time() - 7200, young.topics.prefix: time.time() - 60,
                live.topics.prefix: time.time() - 7200}
        made = lambda _settings, topic: ages[run_prefix(topic, base)]  # noqa: E731

        dry = prune(base, older_than_s=3600, dry_run=True, only=prefixes, created_at=made)
        assert set(dry.deleted) == {old.topics.name("ocr.results"), old.topics.name("ocr.results.dlq")}
        assert dry.partitions == 3
        assert dry.groups == [f"{old.topics.prefix}inkstream-ocr", f"{gone.topics.prefix}inkstream-ocr"]
        assert old.topics.name("ocr.results") in _topics(base)  # a dry run deletes nothing

        result = prune(base, older_than_s=3600, only=prefixes, created_at=made)
        assert set(result.deleted) == set(dry.deleted) and result.groups == dry.groups
        assert result.young == [young.topics.prefix] and result.active == [live.topics.prefix]
        left = _wait_gone(base, set(result.deleted))
        assert not set(result.deleted) & left
        assert {young.topics.name("ocr.results"), live.topics.name("ocr.results")} <= left
        assert "documents.ingested" in left  # the platform's own
        groups = _groups(base, until=f"{live.topics.prefix}inkstream-ocr")
        assert f"{live.topics.prefix}inkstream-ocr" in groups
        assert not {f"{old.topics.prefix}inkstream-ocr", f"{gone.topics.prefix}inkstream-ocr"} & groups
    finally:
        consumer.close()


@pytest.mark.stack
def test_prune_without_ages_keeps_runs_whose_age_is_unknown_unless_told_older_than_0(topic_prefix):
    base = load_settings()
    run = _with_prefix(base, topic_prefix())
    create_topics(run, ["crm.commands"])
    unknown = prune(base, older_than_s=60, only={run.topics.prefix}, created_at=lambda s, t: None)
    assert unknown.unknown_age == [run.topics.prefix] and not unknown.deleted
    every = prune(base, older_than_s=0, only={run.topics.prefix}, created_at=lambda s, t: None)
    assert list(every.deleted) == [run.topics.name("crm.commands")]


@pytest.mark.stack
def test_status_warns_with_the_partition_count_and_the_cleanup_command_above_the_limit():
    base = load_settings()
    total = sum(len(t.partitions) for t in _admin(base).list_topics(timeout=10).topics.values())
    low = base.model_copy(update={"kafka": base.kafka.model_copy(update={"partition_warn": 1})})
    warning = partition_warning(low)
    assert warning is not None and "inkstream prune-test-topics" in warning and "partitions" in warning
    shown = int(warning.split(" partitions")[0].rsplit(" ", 1)[1])
    assert abs(shown - total) < 500  # other runs create and delete topics meanwhile
    assert partition_warning(base.model_copy(update={"kafka": base.kafka.model_copy(
        update={"partition_warn": 10**9})})) is None

    result = cli("status", "--json", env={"INKSTREAM_KAFKA__PARTITION_WARN": "1"})
    warnings = json.loads(result.stdout)["warnings"]
    assert len(warnings) == 1 and "inkstream prune-test-topics" in warnings[0]
    table = cli("status", env={"INKSTREAM_KAFKA__PARTITION_WARN": "1"})
    assert "warning:" in table.stderr and "prune-test-topics" in table.stderr
    quiet = cli("status", "--json", env={"INKSTREAM_KAFKA__PARTITION_WARN": str(10**9)})
    assert json.loads(quiet.stdout)["warnings"] == []


@pytest.mark.stack
def test_prune_command_dry_run_counts_idle_runs_and_deletes_nothing(topic_prefix):
    base = load_settings()
    run = _with_prefix(base, topic_prefix())
    (name,) = create_topics(run, ["esign.events"])
    result = cli("prune-test-topics", "--dry-run", "--older-than", "0")
    assert result.returncode == 0, result.stdout + result.stderr
    would = int(result.stdout.split("would delete ")[1].split(" ")[0])
    assert would >= 1 and name in _topics(base)


def _admin(settings) -> AdminClient:
    return AdminClient({"bootstrap.servers": settings.kafka.bootstrap})


def _topics(settings) -> set[str]:
    return set(_admin(settings).list_topics(timeout=10).topics)


def _groups(settings, until: str, timeout: float = 15.0) -> set[str]:
    """Consumer groups (asked again while ``until`` is not among them: the group's join may lag)."""
    deadline = time.monotonic() + timeout
    while True:
        admin = _admin(settings)  # must outlive the future
        groups = {g.group_id for g in admin.list_consumer_groups(request_timeout=10).result(15).valid}
        if until in groups or time.monotonic() > deadline:
            return groups
        time.sleep(0.5)


def _wait_gone(settings, names: set[str], timeout: float = 15.0) -> set[str]:
    """Topic deletion reaches the metadata a moment after the admin call returns."""
    deadline = time.monotonic() + timeout
    while True:
        left = _topics(settings)
        if not names & left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)

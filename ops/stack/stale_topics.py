"""Topics that test runs leave on the local broker: count them, warn, prune them.

The local Kafka runs with a small heap (``kafka.heap_mb``, 512 MB); each partition costs it
memory, and it died of a heap OOM holding ~12,000 partitions left by test runs (the
platform's own topics are ~80). ``inkstream status`` and ``up`` warn above
``kafka.partition_warn``; ``inkstream prune-test-topics`` deletes what runs left behind.

A test topic is named ``<word><8-10 hex>.<topic>`` (tests/topic_admin.py:new_prefix: ``t…``,
``e2e…``, ``e2ex…``, ``dw…``, ``ext…``). Pruning never deletes the platform's topics (the plan
of ``inkstream.yaml`` under the configured prefix, with their DLQs), the broker's own
(``__consumer_offsets``...), a prefix whose consumer group is active, or (on the local broker)
a prefix with a topic younger than ``older_than_s``: other people's runs share the broker.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

from inkstream.kafka_config import client_config
from inkstream.settings import Settings
from inkstream.topic_plan import planned_topics

__all__ = ["TEST_PREFIX", "PruneResult", "partition_warning", "prune", "run_prefix"]

# <word><hex>.: t0123456789. e2e01234567. e2ex01234567. dw.. ext.. (a time-based t<digits>. too)
TEST_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,3}?[0-9a-f]{8,10}\.")
_IDLE_GROUP_STATES = {"EMPTY", "DEAD"}  # any other (or unknown) state: someone is consuming


def _admin(settings: Settings):
    from confluent_kafka.admin import AdminClient

    return AdminClient(client_config(settings, log_level=0))


def _protected(settings: Settings) -> frozenset[str]:
    return frozenset(settings.topics.name(t) for t in planned_topics(settings))


def run_prefix(name: str, settings: Settings) -> str | None:
    """The test prefix of topic ``name``, or None when it is not a test topic (the platform's,
    the broker's, anything under the configured prefix)."""
    if name.startswith("_") or name in _protected(settings):
        return None
    if settings.topics.prefix and name.startswith(settings.topics.prefix):
        return None
    match = TEST_PREFIX.match(name)
    return match.group(0) if match else None


def partition_warning(settings: Settings, timeout: float = 5.0) -> str | None:
    """A line for ``status``/``up`` when the broker holds more than ``kafka.partition_warn``
    partitions, else None (also when the broker does not answer: status says that)."""
    limit = settings.kafka.partition_warn
    if limit <= 0:
        return None
    try:
        topics = _admin(settings).list_topics(timeout=timeout).topics
    except Exception:  # noqa: BLE001 - the health column reports an unreachable broker
        return None
    total = sum(len(t.partitions) for t in topics.values())
    if total <= limit:
        return None
    tests = sum(len(t.partitions) for n, t in topics.items() if run_prefix(n, settings))
    return (f"kafka holds {total} partitions in {len(topics)} topics (warning above {limit}, "
            f"kafka.partition_warn; the {settings.kafka.heap_mb} MB heap ran out near 12,000); "
            f"{tests} are test topics: `inkstream prune-test-topics` deletes those left behind")


@dataclass
class PruneResult:
    deleted: dict[str, int] = field(default_factory=dict)        # topic -> partitions
    groups: list[str] = field(default_factory=list)              # consumer groups deleted
    active: list[str] = field(default_factory=list)              # prefixes kept: a consumer is in them
    young: list[str] = field(default_factory=list)               # prefixes kept: too recent
    unknown_age: list[str] = field(default_factory=list)         # prefixes kept: age unknown

    @property
    def partitions(self) -> int:
        return sum(self.deleted.values())


def _created_at(settings: Settings, topic: str) -> float | None:
    """When the local broker made ``topic``: its partition 0 log dir's change time. None on an
    external cluster (its log dirs are not here)."""
    if settings.kafka.external:
        return None
    from ops.stack.layout import Layout

    path = Layout.of(settings).data / "kafka" / f"{topic}-0"
    try:
        return Path(path).stat().st_ctime
    except OSError:
        return None


def prune(settings: Settings, *, older_than_s: float = 3600.0, dry_run: bool = False,
          only: Collection[str] | None = None, created_at: Callable[[Settings, str], float | None] = _created_at,
          timeout: float = 30.0) -> PruneResult:
    """Delete test topics (and their consumer groups) that runs left behind; see the module
    doc for what is never touched. ``older_than_s`` 0 prunes every idle test prefix, also on
    an external cluster where ages are unknown. ``only``: just these prefixes."""
    admin = _admin(settings)
    topics = admin.list_topics(timeout=timeout).topics
    by_prefix: dict[str, dict[str, int]] = defaultdict(dict)
    for name, meta in topics.items():
        prefix = run_prefix(name, settings)
        if prefix and (only is None or prefix in only):
            by_prefix[prefix][name] = len(meta.partitions)
    groups = admin.list_consumer_groups(request_timeout=timeout).result(timeout).valid
    result = PruneResult()
    doomed_groups: list[str] = []
    now = time.time()
    for prefix, names in sorted(by_prefix.items()):
        mine = [g for g in groups if g.group_id.startswith(prefix)]
        if any(getattr(g.state, "name", "UNKNOWN") not in _IDLE_GROUP_STATES for g in mine):
            result.active.append(prefix)
            continue
        if older_than_s > 0:
            made = [created_at(settings, n) for n in names]
            if any(t is None for t in made):
                result.unknown_age.append(prefix)
                continue
            if now - max(t for t in made if t is not None) < older_than_s:
                result.young.append(prefix)
                continue
        result.deleted.update(names)
        doomed_groups += [g.group_id for g in mine]
    # Groups of runs whose topics are gone already, idle: nothing can consume there any more.
    doomed_groups += [g.group_id for g in groups if getattr(g.state, "name", "") in _IDLE_GROUP_STATES
                      and (prefix := run_prefix(g.group_id, settings)) and prefix not in by_prefix
                      and (only is None or prefix in only)]
    if dry_run or not (result.deleted or doomed_groups):
        result.groups = doomed_groups
        return result
    failed = []
    for name, future in (admin.delete_topics(list(result.deleted), request_timeout=timeout).items()
                         if result.deleted else ()):
        try:
            future.result(timeout)
        except Exception:  # noqa: BLE001 - gone meanwhile (its run cleaned up): not ours to report
            failed.append(name)
    for name in failed:
        result.deleted.pop(name, None)
    if doomed_groups:
        for group, future in admin.delete_consumer_groups(doomed_groups, request_timeout=timeout).items():
            try:
                future.result(timeout)
                result.groups.append(group)
            except Exception:  # noqa: BLE001 - a member joined meanwhile: the group stays, harmless
                pass
    return result

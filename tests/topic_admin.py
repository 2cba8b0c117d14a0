"""A test run's topics on the shared dev broker: create them, delete them, and account for
every one the run made (shared by the stack tests: the ``settings``, ``topic_prefix`` and
``kafka_topics`` fixtures in tests/conftest.py and tests/streams/runtime/kafka_helpers.py).

The broker is shared by everyone's runs and by the platform's own topics, so cleanup only
ever deletes names this process made or that start with a prefix this process handed out.
A run that leaves topics behind fills the broker: a full run once left ~1,300 partitions and
many runs took the local Kafka down (heap exhausted by ~12,000 partitions)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterable, Mapping

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

__all__ = ["create_topics", "delete_topics", "new_prefix", "delete_prefixed", "record_creations",
           "leftovers", "delete_leftovers", "delete_pending_groups", "broker_up", "owned_prefixes"]

# What this process made: prefix -> the test that took it; topic -> the test that created it.
_PREFIXES: dict[str, str] = {}
_CREATED: dict[str, str] = {}
_PENDING_GROUPS: set[str] = set()
_current_test = ["(outside a test)"]


_ADMINS: dict[tuple, AdminClient] = {}


def _admin(settings) -> AdminClient:
    """One client per broker for the run: every test's cleanup reuses its connection."""
    key = (settings.kafka.bootstrap, tuple(sorted(settings.kafka.client.items())))
    if key not in _ADMINS:
        _ADMINS[key] = AdminClient({"bootstrap.servers": settings.kafka.bootstrap, **settings.kafka.client})
    return _ADMINS[key]


def broker_up(bootstrap: str, timeout: float = 1.0) -> bool:
    """Whether something listens at the first bootstrap address (no Kafka client wait)."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    with socket.socket() as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, int(port))) == 0


def new_prefix(kind: str = "t") -> str:
    """A fresh topic prefix ``<kind><hex10>.``, remembered so the run can delete and check
    everything under it. ``kind`` says which tests made it (``e2e``, ``dw``, ...)."""
    if not kind or "." in kind:
        raise ValueError(f"prefix kind must be a non-empty word, not {kind!r}")
    prefix = f"{kind}{uuid.uuid4().hex[:10]}."
    _PREFIXES[prefix] = _current_test[0]
    return prefix


def owned_prefixes() -> dict[str, str]:
    return dict(_PREFIXES)


def _owned(name: str, protect: frozenset[str] = frozenset()) -> bool:
    """Made by this process: under one of its prefixes, or created by one of its tests, but
    never a platform topic (``protect``) or the broker's own (``__consumer_offsets``)."""
    if any(name.startswith(p) for p in _PREFIXES):
        return True
    return name in _CREATED and name not in protect and not name.startswith("_")


def record_creations(test_id: str | None = None) -> None:
    """Remember every topic this process asks the broker to create, and in which test
    (``test_id``: the test now running). Idempotent; wraps ``AdminClient.create_topics``, the
    one call every topic of a test goes through in-process (ensure_topics, fixtures, helpers)."""
    if test_id is not None:
        _current_test[0] = test_id
    if getattr(AdminClient.create_topics, "_records", False):
        return
    original = AdminClient.create_topics

    def create_topics(self, new_topics, *args, **kwargs):
        for topic in new_topics:
            _CREATED.setdefault(topic.topic, _current_test[0])
        return original(self, new_topics, *args, **kwargs)

    create_topics._records = True  # type: ignore[attr-defined]
    AdminClient.create_topics = create_topics  # type: ignore[method-assign]


def create_topics(settings, partitions: Mapping[str, int] | Iterable[str]) -> list[str]:
    """Create logical topics (prefixed): ``{topic: partitions}``, or names with one
    partition each. Returns the physical names."""
    counts = dict(partitions) if isinstance(partitions, Mapping) else dict.fromkeys(partitions, 1)
    admin = _admin(settings)  # must outlive the futures
    futures = admin.create_topics(
        [NewTopic(settings.topics.name(t), num_partitions=n, replication_factor=1) for t, n in counts.items()],
        request_timeout=15)
    for future in futures.values():
        future.result(30)
    return [settings.topics.name(t) for t in counts]


def delete_topics(settings, names: list[str]) -> None:
    _delete(_admin(settings), names)


def _delete(admin: AdminClient, names: list[str]) -> list[str]:
    if not names:
        return []
    deleted = []
    for name, future in admin.delete_topics(names, request_timeout=30).items():
        try:
            future.result(30)
            deleted.append(name)
        except Exception:  # noqa: BLE001 - already gone, or the broker went away: cleanup only
            pass
    return deleted


def delete_prefixed(settings, prefix: str) -> list[str]:
    """Delete every topic and consumer group named ``prefix...`` (a prefix this run handed
    out: never the platform's unprefixed topics). Returns the topics deleted."""
    if prefix not in _PREFIXES:
        raise ValueError(f"{prefix!r} was not handed out by new_prefix(): refusing to delete under it")
    if not broker_up(settings.kafka.bootstrap):
        return []
    admin = _admin(settings)
    topics = [t for t in admin.list_topics(timeout=10).topics if t.startswith(prefix)]
    deleted = _delete(admin, topics)  # (the kafka_topics fixture may have deleted them first)
    _delete_groups(admin, prefix)
    if _PENDING_GROUPS:  # earlier tests' groups whose static members have timed out since
        delete_pending_groups(settings, timeout=0)
    return deleted


def _delete_groups(admin: AdminClient, prefix: str) -> None:
    """Consumer groups of the test's workers are ``<prefix>inkstream-<processor>``
    (streams/runtime/loop.py:group_id); their committed offsets outlive the topics. A worker
    is a static member (group.instance.id): closing it does not leave the group, so the group
    keeps it until session.timeout.ms (45 s) and cannot be deleted yet. Such groups are asked
    again at later tests' ends and at the end of the run (:func:`delete_pending_groups`)."""
    try:
        listed = admin.list_consumer_groups(request_timeout=10).result(15)
        groups = [g.group_id for g in listed.valid if g.group_id.startswith(prefix)]
        if groups:
            for group, future in admin.delete_consumer_groups(groups, request_timeout=15).items():
                try:
                    future.result(15)
                except Exception:  # noqa: BLE001 - still has members: later
                    _PENDING_GROUPS.add(group)
    except Exception:  # noqa: BLE001 - cleanup only
        pass


def delete_pending_groups(settings, timeout: float = 20.0) -> list[str]:
    """Delete the groups that still had members when their test ended, waiting up to
    ``timeout`` for the members to time out. Returns those still there: without topics they
    hold no offsets, and the broker drops such a group once it is empty."""
    deadline = time.monotonic() + timeout
    while _PENDING_GROUPS and broker_up(settings.kafka.bootstrap):
        admin = _admin(settings)
        for group, future in admin.delete_consumer_groups(sorted(_PENDING_GROUPS), request_timeout=15).items():
            try:
                future.result(15)
                _PENDING_GROUPS.discard(group)
            except Exception as exc:  # noqa: BLE001 - still has members, or gone already
                if "GROUP_ID_NOT_FOUND" in str(exc):
                    _PENDING_GROUPS.discard(group)
        if not _PENDING_GROUPS or time.monotonic() > deadline:
            break
        time.sleep(2)
    return sorted(_PENDING_GROUPS)


def leftovers(bootstrap: str, protect: frozenset[str], client: Mapping[str, str] | None = None,
              ) -> dict[str, tuple[int, str]]:
    """Topics still on the broker that this process made or that carry one of its prefixes:
    ``{topic: (partitions, test that made it)}``. Other runs' topics and the platform's
    (``protect``) are never listed."""
    if not (_PREFIXES or _CREATED) or not broker_up(bootstrap):
        return {}
    admin = AdminClient({"bootstrap.servers": bootstrap, **(client or {})})
    deadline = time.monotonic() + 10
    while True:
        out = {}
        for name, meta in admin.list_topics(timeout=15).topics.items():
            if _owned(name, protect):
                owner = _CREATED.get(name) or next(t for p, t in _PREFIXES.items() if name.startswith(p))
                out[name] = (len(meta.partitions), owner)
        # A topic deleted by the last test's teardown leaves the metadata a moment later.
        if not out or time.monotonic() > deadline:
            return out
        time.sleep(1)


def delete_leftovers(bootstrap: str, names: Iterable[str], protect: frozenset[str],
                     client: Mapping[str, str] | None = None) -> list[str]:
    names = [n for n in names if _owned(n, protect)]  # never a name this run did not make
    return _delete(AdminClient({"bootstrap.servers": bootstrap, **(client or {})}), names)


# A topic made a moment ago on a loaded broker may answer these until its leader is in place.
_NO_LEADER_YET = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART}


def watermarks(consumer, tp, patience: float = 20.0) -> tuple[int, int]:
    """``consumer.get_watermark_offsets(tp)``, waiting out a leader not yet in place (a
    clean-clone CI run failed on NOT_LEADER_FOR_PARTITION right after create_topics)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return consumer.get_watermark_offsets(tp, timeout=10)
        except KafkaException as exc:
            if exc.args[0].code() not in _NO_LEADER_YET or time.monotonic() > deadline:
                raise
            time.sleep(0.5)

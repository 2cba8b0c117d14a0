"""``inkstream run audit``: the audit sink processor (the only ClickHouse writer).

It consumes every inkstream topic, DLQs included, and hands each record to
:class:`streams.audit.sink.AuditSink` (a ``BatchSink``: at-least-once, deduplicated on
``event_id``; checkpoints bounded by ``settings.audit.batch_max_records`` and
``batch_max_seconds``). The factory runs in the worker process and opens the store there
at once, so that process owns chDB from the start and serves the read-only query
endpoint (``streams.audit.query``) that ``inkstream query`` and ``inkstream audit verify``
use while it runs. On chDB run it with one worker: chains are per ``doc_id`` across
topics and chDB has one owner; a second worker fails at start with a clear message. With
``CLICKHOUSE_URL`` run as many instances as you like (``streams.audit.sink``: partition
ownership); the start checks that the audited topics are co-partitioned
(``streams.audit.ownership``) and says which are not.
"""

from __future__ import annotations

import atexit
import logging

from prometheus_client import CollectorRegistry

from inkstream.errors import ConfigError
from inkstream.settings import Settings
from streams.audit.query import QueryServer
from streams.audit.sink import AuditMetrics, AuditSink
from streams.audit.store import connect
from streams.runtime import Processor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["factory", "audit_topics"]

log = logging.getLogger("inkstream.audit")

def audit_topics(settings: Settings) -> tuple[str, ...]:
    """Every logical topic the stack creates (``inkstream.topic_plan.planned_topics``: the
    mission topics, the priority lane, everything in ``inkstream.yaml`` such as
    documents.status, crm.dryrun, review.actions, webhooks.rejected, and the ``.dlq`` twin
    of each). Subscribing only to topics that exist keeps the consumer free of
    unknown-topic errors; a new topic is audited once it is listed in ``inkstream.yaml``."""
    from inkstream.topic_plan import planned_topics

    return tuple(sorted(planned_topics(settings)))


def factory(settings: Settings, *, codec: Codec) -> Processor:
    store = connect(settings)  # fails here, clearly, if another process holds chDB
    _apply_retention(settings, store)
    registry = CollectorRegistry()
    try:
        server = QueryServer(store, settings, registry).start()
    except OSError as exc:
        raise ConfigError(f"audit query endpoint cannot bind {settings.audit.query_host}:{settings.audit.query_port} "
                          f"({exc.strerror}); set INKSTREAM_AUDIT__QUERY_PORT to a free port, or 0 for any") from exc
    log.info("audit: ClickHouse %s; read-only query endpoint on %s:%d",
             "server" if settings.clickhouse.url else "chDB (embedded)", settings.audit.query_host, server.port)
    _register_scrape(settings, server.port)
    if settings.clickhouse.url:
        _check_ownership(settings)
    sink = AuditSink(lambda: store, prefix=settings.topics.prefix, decode=codec.decode,
                     metrics=AuditMetrics.create(registry))
    return Processor(name="audit", inputs=audit_topics(settings), batch_sink=sink,
                     batch_max_records=settings.audit.batch_max_records,
                     batch_max_seconds=settings.audit.batch_max_seconds,
                     close=server.stop)  # the worker stops it: a restart in this process binds again


def _check_ownership(settings: Settings) -> None:
    """Several instances against one server need co-partitioned inputs; say so loudly
    (one instance is still correct, so this never stops the sink)."""
    from streams.audit.ownership import misaligned, partition_counts

    try:
        bad = misaligned(partition_counts(settings, audit_topics(settings)))
    except Exception as exc:  # noqa: BLE001 - a metadata hiccup must not stop the audit trail
        log.warning("audit: could not read the topics' partition counts: %s", exc)
        return
    if bad:
        log.error("audit: topics %s have another partition count than the rest: run ONE audit instance against "
                  "this ClickHouse server, or give them the same count (several instances would write the chains "
                  "of the documents seen on them from two members)", ", ".join(f"{t} ({n})" for t, n in bad.items()))


def _apply_retention(settings: Settings, store) -> None:
    """The sink is chDB's one writer, so it sets the retention TTLs (``ops.retention``) at
    start; a failure is logged and shows as drift in ``inkstream retention report``."""
    from ops.retention.clickhouse import apply

    try:
        for item in apply(settings, store):
            if item.state == "changed":
                log.info("audit: retention TTL of %s set to %s", item.target, item.configured)
    except Exception as exc:  # noqa: BLE001 - retention drift is reported, it does not stop the audit trail
        log.error("audit: could not apply the retention TTLs: %s", exc)


def _register_scrape(settings: Settings, port: int) -> None:
    """The sink's own metrics live on the query port: tell the local Prometheus, and take
    the target back on a graceful exit (a killed sink stays a target, so it alerts)."""
    from streams.runtime.scrape_targets import register_target, unregister_target

    try:
        register_target(settings, "audit-sink", port)
    except Exception as exc:  # noqa: BLE001 - monitoring never stops the sink
        log.warning("could not register the audit sink with Prometheus: %s", exc)
        return
    atexit.register(unregister_target, settings, "audit-sink", port)

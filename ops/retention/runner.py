"""Report and apply across the three stores; one store failing does not hide the others
(its row says why, and counts as drift)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from inkstream.errors import InkstreamError
from inkstream.settings import Settings
from ops.retention.policy import Item

__all__ = ["STORES", "report_all", "apply_all"]

STORES = ("kafka", "clickhouse", "s3")


def _guard(store: str, fn: Callable[[], list[Item]]) -> list[Item]:
    try:
        return fn()
    except (InkstreamError, OSError) as exc:
        return [Item(store, "-", "-", "-", "pending", f"could not read {store}: {exc}")]
    except Exception as exc:  # noqa: BLE001 - S3Error, KafkaException: reported, not a traceback
        return [Item(store, "-", "-", "-", "pending", f"could not read {store}: {type(exc).__name__}: {exc}")]


def _reader(settings: Settings) -> Any:
    from streams.audit.query import open_reader

    return open_reader(settings)


def _s3(settings: Settings) -> Any:
    from ops.stack.s3 import client

    return client(settings)


def report_all(settings: Settings, stores: tuple[str, ...] = STORES, *, now: dt.datetime | None = None) -> list[Item]:
    from ops.retention import clickhouse, kafka, s3

    out: list[Item] = []
    if "kafka" in stores:
        out += _guard("kafka", lambda: kafka.report(settings))
    if "clickhouse" in stores:
        out += _guard("clickhouse", lambda: clickhouse.report(settings, _reader(settings)))
    if "s3" in stores:
        out += _guard("s3", lambda: s3.report(settings, _s3(settings), _reader(settings), now))
    return out


def _clickhouse_apply(settings: Settings, dry_run: bool) -> list[Item]:
    """Apply where this process can write; a running sink (chDB's one writer) gets them at restart."""
    from ops.retention import clickhouse
    from streams.audit.query import running_endpoint
    from streams.audit.store import connect

    if not settings.clickhouse.url:
        endpoint = running_endpoint(settings)
        if endpoint is not None:
            note = ("the running audit sink owns chDB and applies these TTLs at its start: "
                    "restart `inkstream run audit`")
            return [Item(i.store, i.target, i.configured, i.actual, "pending" if i.drift else i.state,
                         note if i.drift else i.note)
                    for i in clickhouse.report(settings, endpoint)]
    return clickhouse.apply(settings, connect(settings, ddl=not settings.clickhouse.url), dry_run=dry_run)


def apply_all(settings: Settings, stores: tuple[str, ...] = STORES, *, dry_run: bool = False,
              now: dt.datetime | None = None) -> list[Item]:
    from ops.retention import kafka, s3

    out: list[Item] = []
    if "kafka" in stores:
        out += _guard("kafka", lambda: kafka.apply(settings, dry_run=dry_run))
    if "clickhouse" in stores:
        out += _guard("clickhouse", lambda: _clickhouse_apply(settings, dry_run))
    if "s3" in stores:
        out += _guard("s3", lambda: s3.apply(settings, _s3(settings), _reader(settings), dry_run=dry_run, now=now))
    return out

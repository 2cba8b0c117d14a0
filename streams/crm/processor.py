"""``inkstream run crm``: ``crm.commands`` through the configured CRM connector, one
command at a time (``record`` lane, ``streams/crm/sink.py``) or a checkpoint's upserts
through the vendors' batch APIs (``bulk`` lane, ``streams/crm/batch.py``). Guarantees and
failure handling: ``streams/crm/sink.py``.
"""

from __future__ import annotations

from inkstream.settings import Settings
from connectors.crm.metrics import CrmMetrics
from streams.crm.batch import CrmBatchSink
from streams.crm.sink import CrmSink
from streams.runtime import Processor

__all__ = ["factory"]


def factory(settings: Settings) -> Processor:
    import httpx
    from prometheus_client import CollectorRegistry

    from connectors.crm.factory import build_connector
    from connectors.objectstore import open_store

    registry = CollectorRegistry()  # served by the worker on /metrics (Processor.registry)
    metrics = CrmMetrics.create(registry)
    client = httpx.Client(timeout=settings.crm.timeout_s)
    connector = build_connector(settings, settings.crm.crm, client=client, metrics=metrics)
    store = open_store(settings)
    sink = CrmSink(connector, fetch=store.get, metrics=metrics)
    if settings.crm.lane == "bulk":  # a backlog: the batch APIs at each checkpoint (streams/crm/batch.py)
        return Processor(name="crm", inputs=("crm.commands",), stage="crm",
                         batch_sink=CrmBatchSink(sink, bulk_min_rows=settings.crm.bulk_min_rows),
                         batch_max_records=settings.crm.bulk_max_records,
                         batch_max_seconds=settings.crm.bulk_max_seconds,
                         retry_backoff_s=1.0, registry=registry)
    return Processor(name="crm", inputs=("crm.commands",), handle=sink.handle, sink=True, stage="crm",
                     max_attempts=3, retry_backoff_s=1.0, retry_backoff_max_s=30.0, registry=registry)

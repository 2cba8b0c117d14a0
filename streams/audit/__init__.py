"""The audit trail and analytics store: every Kafka record, hash-chained, in ClickHouse.

Pieces (one module each):

- ``store``       clickhouse-connect client: embedded chDB (``<data_dir>/clickhouse``) or a
                  server (``CLICKHOUSE_URL``); applies ``ops/clickhouse/*.sql``.
- ``chain``       the per-document hash chain and its checker.
- ``rows``        decoded records → analytics rows (documents, ocr_quality, extractions,
                  fields, signatures, crm_syncs, crm_dryrun, dlq_events,
                  webhook_rejections, admin_actions, status_changes).
- ``sink``        ``AuditSink``, the runtime ``BatchSink``: at-least-once, deduplicated on
                  ``event_id``.
- ``erasure``     data-subject erasures (``privacy.erasures``): personal columns and earlier
                  payloads of an erased document blanked, the chain still verifying.
- ``processor``   ``inkstream run audit`` (registered in ``streams/registry.py``).
- ``query``       the sink's read-only SQL endpoint and ``open_reader``.
- ``verify``      ``inkstream audit verify``; ``certificate``: ``inkstream audit certificate``.

chDB has one owner. ClickHouse is written only by the audit sink. On the embedded default
the sink process opens ``<data_dir>/clickhouse`` at start (a second sink fails there with
a clear message) and serves reads to every other process on 127.0.0.1 (port
``settings.audit.query_port``, bearer token in ``<data_dir>/audit-query.json``, mode 0600):
one parameterised SELECT per request, ``readonly=1`` enforced by ClickHouse, at most
``settings.audit.query_row_limit`` rows. ``inkstream query`` / ``audit verify`` /
``audit certificate`` use that endpoint while the sink runs, open chDB themselves when it
does not, and talk to the server directly when ``CLICKHOUSE_URL`` is set. While one of
those commands holds chDB directly (sink stopped), a sink started at the same moment
fails to open it and exits; the supervisor (or the user) starts it again.
"""

__all__: list[str] = []

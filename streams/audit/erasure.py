"""Data-subject erasure, sink side: what the audit sink does with a ``privacy.erasures``
record (written by ``inkstream subject erase``, see ``streams/privacy``).

The erasure record is chained like any other: it becomes a link of the document's chain,
so the erasure itself is audited. Then, in the same flush, after the link is stored:

1. the personal columns of the document's analytics rows are blanked
   (``PERSONAL_COLUMNS``; ``ALTER TABLE ... UPDATE`` waited for with ``mutations_sync``);
2. the ``payload`` of every earlier ``audit_events`` row of the document becomes
   ``ERASED_PAYLOAD``. ``payload_sha256`` is kept: the link hash covers it, not the
   payload, so the chain still verifies, and ``inkstream audit verify`` counts such rows
   as *erased* (only in a chain that holds an erasure link, and only before that link);
3. a row goes into ``erasures``: the CLI polls it to know its request is applied.

Records of an erased document that arrive later (replays, in-flight records, the DLQ
record of a sealed record whose key is gone) are chained with ``ERASED_PAYLOAD`` as their
payload and get no analytics rows: never dropped, never readable.

Every step is idempotent, so a batch replayed after a crash applies it again harmlessly.
"""

from __future__ import annotations

from streams.audit.chain import ERASED_PAYLOAD
from streams.audit.store import ClickHouse

__all__ = ["ERASURE_TOPIC", "ERASED_PAYLOAD", "PERSONAL_COLUMNS", "blank_documents", "erased_documents"]

ERASURE_TOPIC = "privacy.erasures"

# Per analytics table keyed by doc_id: the columns that can hold personal data, and what
# they become. Amounts, dates, statuses and hashes stay (the analytics keep counting the
# document); every field value goes, because a field's name does not say whether its
# value names a person (counterparty, signer_name, notes...).
PERSONAL_COLUMNS: dict[str, str] = {
    "documents": "filename = '', source_ref = NULL, crm_ref = NULL",
    "fields": "value = NULL, normalized = NULL",
    "signatures": "signer_name = NULL, signer_email = NULL, signer_ip = NULL, signer_user_agent = NULL",
    "crm_syncs": "error = NULL",
    "crm_dryrun": "body = NULL, url = ''",
    "dlq_events": "error = ''",
    "status_changes": "detail = NULL",
}
# ALTER ... UPDATE returns once the mutation is done on every replica (chDB: at once).
_SYNC = {"mutations_sync": 2}


def blank_documents(store: ClickHouse, doc_ids: list[str]) -> dict[str, int]:
    """Blank the personal columns and earlier audit payloads of ``doc_ids``; returns, per
    document, how many ``audit_events`` payloads were replaced by the marker now."""
    if not doc_ids:
        return {}
    ids = {"ids": sorted(set(doc_ids))}
    for table, assignments in PERSONAL_COLUMNS.items():
        store.command(f"ALTER TABLE {table} UPDATE {assignments} WHERE doc_id IN {{ids:Array(String)}}",
                      ids, settings=_SYNC)
    where = ("doc_id IN {ids:Array(String)} AND payload != {marker:String} "
             "AND topic != {topic:String}")
    params = {**ids, "marker": ERASED_PAYLOAD, "topic": ERASURE_TOPIC}
    _, rows = store.query(f"SELECT doc_id, count() FROM audit_events WHERE {where} GROUP BY doc_id", params)
    counts = {d: int(n) for d, n in rows}
    if counts:
        store.command(f"ALTER TABLE audit_events UPDATE payload = {{marker:String}} WHERE {where}", params,
                      settings=_SYNC)
    return {d: counts.get(d, 0) for d in ids["ids"]}


def erased_documents(store: ClickHouse, doc_ids: list[str] | None = None) -> set[str]:
    """Documents with an applied erasure (all, or among ``doc_ids``)."""
    if doc_ids is None:
        _, rows = store.query("SELECT DISTINCT doc_id FROM erasures")
    else:
        _, rows = store.query("SELECT DISTINCT doc_id FROM erasures WHERE doc_id IN {ids:Array(String)}",
                              {"ids": doc_ids})
    return {r[0] for r in rows}

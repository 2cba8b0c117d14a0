"""``inkstream audit verify``: recompute every hash chain and check every stored file.

Reads ``audit_events`` in pages (keyset on ``(doc_id, seq, hash)``, so a duplicated seq
is still seen), checks each chain with :func:`streams.audit.chain.check_chain` against
the head the sink recorded, and collects the files the *chained* payloads name (the
original of ``documents.ingested``, the signed PDF of ``esign.events``): the analytics
tables are not trusted for this, the chain is. Each file is then read from the object
store: the recorded version must hash to the recorded SHA-256, and the key's latest
version must too (a new version put over a signed PDF is reported).

Erasures (``streams/audit/erasure.py``): in a chain holding an intact ``privacy.erasures``
link, rows before it whose payload is the erasure marker are counted as ``erased_rows``
(their ``payload_sha256``, covered by the links, still verifies the chain); a marker
anywhere else is a ``payload_edited`` finding. Files the erasure link lists as deleted are
``erased_files`` when another chain still names them, not ``file_missing``. ``--kafka``
skips erased rows (their records are ciphertext whose key was destroyed).

>>> report = verify(reader, objects)                      # doctest: +SKIP
>>> report.ok, [str(p) for p in report.problems]          # doctest: +SKIP
(False, ['doc-7 seq 3: edited: columns of event ... were changed (expected ..., found ...)'])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.objectstore import ObjectRef, ObjectStore
from inkstream.errors import InkstreamError
from streams.audit.chain import ERASED_PAYLOAD, Problem, check_chain, sha256_hex
from streams.audit.store import Reader

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["verify", "kafka_verifier", "VerifyReport", "CHAIN_COLUMNS", "read_chain"]

CHAIN_COLUMNS = ("doc_id, seq, event_id, topic, partition, offset, "
                 "toUnixTimestamp64Milli(occurred_at) AS occurred_at_ms, producer, payload, payload_sha256, "
                 "prev_hash, hash")
_PAGE = 500  # rows per request: payloads (OCR pages) can be tens of kB each
_FILE_TOPICS = {"documents.ingested": "original", "documents.ingested.priority": "original",
                "esign.events": "signed"}


@dataclass
class VerifyReport:
    chains: int = 0
    rows: int = 0
    files: int = 0
    problems: list[Problem] = field(default_factory=list)
    kafka_checked: int = 0
    kafka_unavailable: int = 0
    erased_rows: int = 0     # payloads blanked by a data-subject erasure (chain intact)
    erased_files: int = 0    # files deleted by an erasure (not "missing")

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict:
        return {"ok": self.ok, "chains": self.chains, "rows": self.rows, "files": self.files,
                "erased_rows": self.erased_rows, "erased_files": self.erased_files,
                "kafka_checked": self.kafka_checked, "kafka_unavailable": self.kafka_unavailable,
                "problems": [p.to_dict() for p in self.problems]}


@dataclass(frozen=True)
class _FileClaim:
    doc_id: str
    seq: int
    role: str
    ref: ObjectRef


def verify(reader: Reader, objects: ObjectStore | None, *, doc_id: str | None = None,
           progress: Callable[[int], None] | None = None, kafka: Callable | None = None) -> VerifyReport:
    """Check the chains (all, or ``doc_id``'s), the files when ``objects`` is given, and
    every row against the Kafka record it came from when ``kafka`` is given (a callable
    ``(refs, reader) -> (problems, KafkaCheck)``, see ``kafka_verifier``)."""
    report = VerifyReport()
    refs: list = []
    claims: dict[tuple, _FileClaim] = {}
    seen: set[str] = set()
    erased_keys: set[str] = set()
    group_size = min(200, getattr(reader, "limit", 200))
    for group in _batched(_chains(reader, doc_id), group_size):
        heads = _heads(reader, [chain for chain, _ in group])  # one query per group of chains
        for chain, rows in group:
            report.chains += 1
            report.rows += len(rows)
            erasure_seq, keys = _erasure_link(rows)
            found = check_chain(chain, rows, heads.get(chain), erased_before=erasure_seq)
            report.problems += found
            erased_keys |= keys
            if erasure_seq is not None:
                report.erased_rows += sum(1 for r in rows if r["seq"] < erasure_seq and r["payload"] == ERASED_PAYLOAD
                                          and sha256_hex(r["payload"]) != r["payload_sha256"])
            seen.add(chain)
            if kafka is not None:
                # An erased row's Kafka copy is ciphertext whose key is gone, by design:
                # nothing to compare it with (the chain still covers the row).
                refs += [_kafka_ref(r) for r in rows
                         if erasure_seq is None or r["payload"] != ERASED_PAYLOAD]
            for claim in _file_claims(chain, rows, found):
                claims.setdefault((claim.ref.bucket, claim.ref.key, claim.ref.version_id, claim.ref.sha256), claim)
            if progress:
                progress(len(rows))
    report.problems += _vanished_chains(reader, doc_id, seen)
    if objects is not None:
        for claim in claims.values():
            report.files += 1
            found = _check_file(objects, claim)
            if claim.ref.key in erased_keys and all(p.kind == "file_missing" for p in found) and found:
                report.erased_files += 1  # the same bytes named by a chain that was not erased
                continue
            report.problems += found
    if kafka is not None:
        found, stats = kafka(refs, reader)
        report.problems += found
        report.kafka_checked, report.kafka_unavailable = stats.checked, stats.unavailable
    return report


def kafka_verifier(settings: Settings) -> Callable:
    """The ``kafka=`` argument of :func:`verify` for these settings (codec, topic prefix)."""
    from schemas.codec import Codec
    from streams.audit.kafka_check import check_against_kafka

    decode = Codec.from_settings(settings).decode
    return lambda refs, reader: check_against_kafka(refs, reader, settings, decode)


def _kafka_ref(row: dict):
    from streams.audit.kafka_check import KafkaRef

    return KafkaRef(row["doc_id"], row["seq"], row["event_id"], row["topic"], row["partition"], row["offset"],
                    row["payload_sha256"])


def _batched(items: Iterator, size: int) -> Iterator[list]:
    group: list = []
    for item in items:
        group.append(item)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def read_chain(reader: Reader, doc_id: str) -> list[dict]:
    """Every row of one chain, in seq order (pages through a row-limited reader)."""
    return next((rows for _, rows in _chains(reader, doc_id)), [])


def _chains(reader: Reader, doc_id: str | None) -> Iterator[tuple[str, list[dict]]]:
    """Yield (chain, rows) one chain at a time, reading audit_events page by page."""
    current: str | None = None
    rows: list[dict[str, Any]] = []
    after = ("", -1, "")
    page_size = min(_PAGE, getattr(reader, "limit", _PAGE))  # never ask for more than the reader returns
    only = "AND doc_id = {only:String}" if doc_id is not None else ""
    while True:
        cols, page = reader.query(
            f"SELECT {CHAIN_COLUMNS} FROM audit_events "
            "WHERE (doc_id, seq, hash) > ({d:String}, {s:Int64}, {h:String}) " + only +
            f" ORDER BY doc_id, seq, hash LIMIT {page_size}",
            {"d": after[0], "s": after[1], "h": after[2], **({"only": doc_id} if doc_id is not None else {})})
        for values in page:
            row = dict(zip(cols, values))
            row["seq"], row["partition"], row["offset"] = int(row["seq"]), int(row["partition"]), int(row["offset"])
            row["occurred_at_ms"] = int(row["occurred_at_ms"])
            if current is not None and row["doc_id"] != current and rows:
                yield current, rows
                rows = []
            current = row["doc_id"]
            rows.append(row)
        if len(page) < page_size:
            break
        last = dict(zip(cols, page[-1]))
        after = (last["doc_id"], int(last["seq"]), last["hash"])
    if current is not None and rows:
        yield current, rows


def _heads(reader: Reader, chains: list[str]) -> dict[str, tuple[int, str]]:
    _, rows = reader.query("SELECT doc_id, max(seq), argMax(hash, seq) FROM audit_chain_heads "
                           "WHERE doc_id IN {c:Array(String)} GROUP BY doc_id", {"c": chains})
    return {d: (int(s), h) for d, s, h in rows}


def _vanished_chains(reader: Reader, doc_id: str | None, seen: set[str]) -> list[Problem]:
    """Chains the sink recorded a head for but of which no row is left."""
    only = "WHERE doc_id = {only:String}" if doc_id is not None else ""
    _, rows = reader.query(f"SELECT doc_id, max(seq) FROM audit_chain_heads {only} GROUP BY doc_id "
                           "HAVING doc_id NOT IN (SELECT DISTINCT doc_id FROM audit_events)",
                           {"only": doc_id} if doc_id is not None else {})
    return [Problem(d, 1, "deleted", f"every row of the chain is gone (the sink recorded {int(s)} rows)",
                    expected=str(int(s)), found="0") for d, s in rows if d not in seen]


def _erasure_link(rows: list[dict]) -> tuple[int | None, set[str]]:
    """The seq of the chain's last intact erasure link (``privacy.erasures``, payload
    untouched) and the object keys it says were deleted."""
    seq, keys = None, set()
    for row in rows:
        if row["topic"] != "privacy.erasures" or sha256_hex(row["payload"]) != row["payload_sha256"]:
            continue
        try:
            objects = json.loads(row["payload"]).get("objects") or []
        except ValueError:
            continue
        seq = max(seq or 0, row["seq"])
        keys |= {o["key"] for o in objects if isinstance(o, dict) and isinstance(o.get("key"), str)}
    return seq, keys


def _file_claims(chain: str, rows: list[dict], problems: list[Problem]) -> Iterator[_FileClaim]:
    # Only rows whose content is intact are trusted to name a file.
    tampered = {(p.doc_id, p.seq) for p in problems if p.kind in ("edited", "payload_edited")}
    for row in rows:
        role = _FILE_TOPICS.get(row["topic"])
        if role is None or (chain, row["seq"]) in tampered:
            continue
        try:
            ref = json.loads(row["payload"]).get(role)
        except ValueError:
            continue
        if isinstance(ref, dict) and ref.get("key") and ref.get("sha256"):
            yield _FileClaim(chain, row["seq"], role, ObjectRef.from_record(ref))


def _check_file(objects: ObjectStore, claim: _FileClaim) -> list[Problem]:
    ref, where = claim.ref, f"{claim.role} {claim.ref.key}"
    try:
        recorded = hashlib.sha256(objects.get(ref)).hexdigest()
    except InkstreamError as exc:
        return [Problem(claim.doc_id, claim.seq, "file_missing",
                        f"{where} version {ref.version_id} cannot be read: {exc}", expected=ref.sha256)]
    if recorded != ref.sha256:
        return [Problem(claim.doc_id, claim.seq, "file_changed", f"{where} version {ref.version_id} "
                        "no longer holds the recorded bytes", expected=ref.sha256, found=recorded)]
    try:
        latest = objects.exists(ref.key)
    except InkstreamError as exc:
        return [Problem(claim.doc_id, claim.seq, "unreadable", f"{where}: {exc}")]
    if latest is None:
        return [Problem(claim.doc_id, claim.seq, "file_missing", f"{where} was deleted (no current version)",
                        expected=ref.sha256)]
    if latest.version_id == ref.version_id:
        return []
    current = hashlib.sha256(objects.get(latest)).hexdigest()
    if current != ref.sha256:
        return [Problem(claim.doc_id, claim.seq, "file_changed", f"{where} was overwritten: current version "
                        f"{latest.version_id} differs from recorded version {ref.version_id}",
                        expected=ref.sha256, found=current)]
    return []

"""The hash chain of the audit trail, and its verification.

Each chain (a ``doc_id``; records without one chain per topic as ``~<topic>``) is a
sequence of links ``seq = 1, 2, ...``. A link's hash covers the previous link's hash and
the row's content, so editing, deleting, inserting or reordering rows breaks it:

    hash = sha256(prev_hash + "\\n" + canonical_json(doc_id, seq, event_id, topic,
                  partition, offset, occurred_at_ms, producer, payload_sha256))

with ``prev_hash = GENESIS`` (64 zeros) for ``seq = 1`` and ``payload_sha256`` the SHA-256
of the stored ``payload`` text (so the payload is covered too).

>>> a = link(GENESIS, doc_id="d", seq=1, event_id="e1", topic="t", partition=0, offset=5,
...          occurred_at_ms=1, producer="p", payload='{"x":1}')
>>> check_chain("d", [a]) == []
True
>>> b = {**a, "payload": '{"x":2}'}
>>> [p.kind for p in check_chain("d", [b])]
['payload_edited']
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Iterable

__all__ = ["GENESIS", "ERASED_PAYLOAD", "canonical_json", "content_hash", "link", "check_chain", "Problem",
           "sha256_hex"]

GENESIS = "0" * 64
# What a payload becomes when its document is erased (streams/audit/erasure.py). The row
# keeps its payload_sha256, which the link hash covers, so the chain still verifies.
ERASED_PAYLOAD = '{"$erased":"data-subject request"}'
_COVERED = ("doc_id", "seq", "event_id", "topic", "partition", "offset", "occurred_at_ms", "producer",
            "payload_sha256")


def sha256_hex(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return {"$base64": base64.b64encode(bytes(value)).decode()}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept; bytes as ``{"$base64": ...}``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def content_hash(prev_hash: str, row: dict) -> str:
    covered = {k: row[k] for k in _COVERED}
    return sha256_hex(prev_hash + "\n" + canonical_json(covered))


def link(prev_hash: str, *, doc_id: str, seq: int, event_id: str, topic: str, partition: int, offset: int,
         occurred_at_ms: int, producer: str, payload: str) -> dict:
    """A new chain row (dict with every audit_events column except recorded_at)."""
    row = {"doc_id": doc_id, "seq": seq, "event_id": event_id, "topic": topic, "partition": partition,
           "offset": offset, "occurred_at_ms": occurred_at_ms, "producer": producer, "payload": payload,
           "payload_sha256": sha256_hex(payload), "prev_hash": prev_hash}
    row["hash"] = content_hash(prev_hash, row)
    return row


@dataclass(frozen=True)
class Problem:
    """One finding. ``kind``: edited | payload_edited | deleted | reordered | duplicated |
    broken_link | truncated | file_changed | file_missing | unreadable."""

    doc_id: str
    seq: int | None
    kind: str
    detail: str
    expected: str | None = None
    found: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.doc_id} seq {self.seq}" if self.seq is not None else self.doc_id
        tail = f" (expected {self.expected}, found {self.found})" if self.expected or self.found else ""
        return f"{where}: {self.kind}: {self.detail}{tail}"


def check_chain(doc_id: str, rows: Iterable[dict], head: tuple[int, str] | None = None, *,
                erased_before: int | None = None) -> list[Problem]:
    """Verify one chain. ``rows`` in any order; ``head`` is the (seq, hash) the sink last
    recorded for this chain in ``audit_chain_heads``, to catch deleted tail rows.
    ``erased_before``: seq of the chain's (intact) erasure link; a row before it whose
    payload is ``ERASED_PAYLOAD`` is erased, not edited. Anywhere else the marker is an
    edit like any other, so forging it cannot hide tampering."""
    ordered = sorted(rows, key=lambda r: (r["seq"], r["hash"]))
    max_seq = ordered[-1]["seq"] if ordered else 0
    problems: list[Problem] = []
    expected_seq, prev, moved = 1, None, False
    for row in ordered:
        seq = row["seq"]
        if prev is not None and seq == prev["seq"]:
            problems.append(Problem(doc_id, seq, "duplicated", f"two rows hold seq {seq} "
                                    f"(event_id {prev['event_id']} and {row['event_id']})"))
            continue
        if seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
            problems.append(Problem(doc_id, expected_seq, "deleted", f"row(s) seq {missing} missing",
                                    expected=str(expected_seq), found=str(seq)))
        found = _check_row(doc_id, row, prev, max_seq, gap=seq > expected_seq or moved,
                           erased=erased_before is not None and seq < erased_before)
        # A moved row breaks its successor's link too; the move already says why.
        moved = any(p.kind == "reordered" for p in found)
        problems += found
        expected_seq, prev = seq + 1, row
    if head is not None and ordered:
        head_seq, head_hash = head
        last = ordered[-1]
        if head_seq > last["seq"]:
            problems.append(Problem(doc_id, last["seq"] + 1, "truncated",
                                    f"chain ends at seq {last['seq']} but the sink recorded seq {head_seq}",
                                    expected=head_hash, found=last["hash"]))
    elif head is not None:
        problems.append(Problem(doc_id, 1, "deleted", f"every row of the chain is gone (sink recorded seq {head[0]})"))
    return problems


def _check_row(doc_id: str, row: dict, prev: dict | None, max_seq: int, *, gap: bool,
               erased: bool = False) -> list[Problem]:
    seq = row["seq"]
    out: list[Problem] = []
    payload_hash = sha256_hex(row["payload"])
    if payload_hash != row["payload_sha256"] and not (erased and row["payload"] == ERASED_PAYLOAD):
        out.append(Problem(doc_id, seq, "payload_edited", f"payload of event {row['event_id']} was changed",
                           expected=row["payload_sha256"], found=payload_hash))
    recomputed = content_hash(row["prev_hash"], row)
    if recomputed != row["hash"]:
        moved_from = _original_seq(row, max_seq)
        if moved_from is not None and moved_from != seq:
            out.append(Problem(doc_id, seq, "reordered", f"event {row['event_id']} was chained at seq "
                               f"{moved_from} and now sits at seq {seq}", expected=str(moved_from), found=str(seq)))
            return out
        if not out:
            out.append(Problem(doc_id, seq, "edited", f"columns of event {row['event_id']} were changed",
                               expected=row["hash"], found=recomputed))
        return out
    expected_prev = prev["hash"] if prev is not None else GENESIS
    if row["prev_hash"] != expected_prev and not gap:
        out.append(Problem(doc_id, seq, "broken_link", "prev_hash does not match the previous row's hash",
                           expected=expected_prev, found=row["prev_hash"]))
    return out


def _original_seq(row: dict, max_seq: int) -> int | None:
    """Where a self-consistent row really belonged: the seq it was hashed with (chains
    are short, one per document, so trying each position is cheap)."""
    for candidate in range(1, max_seq + 2):
        if content_hash(row["prev_hash"], {**row, "seq": candidate}) == row["hash"]:
            return candidate
    return None

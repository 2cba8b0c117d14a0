"""A reviewer's decision becomes a new ``fields.validated`` record.

>>> rec = {"doc_id": "d1", "trace": "t", "status": "review", "fields": [
...     {"name": "total_amount", "value": "4?,250.00", "normalized": None, "confidence": 0.4,
...      "status": "reject", "page": 1, "box": None, "reason": "unreadable"}], "review": None}
>>> out = decide(rec, reviewer="ana", decision="approved", corrections={"total_amount": "48250.00"})
>>> out["status"], out["fields"][0]["normalized"], out["review"]["changes"][0]["new"]
('approved', '48250.00', '48250.00')
"""

from __future__ import annotations

import copy

from inkstream.errors import ExtractionError
from schemas.records import envelope, now_ms

__all__ = ["decide", "DECISIONS"]

DECISIONS = ("approved", "rejected")


def decide(record: dict, *, reviewer: str, decision: str, corrections: dict[str, str] | None = None,
           comment: str | None = None) -> dict:
    """Return the record that carries ``reviewer``'s decision on ``record``.

    Corrected fields take the reviewer's value as their normalised value with confidence
    1.0; confirmed fields keep their value and are marked accepted. Only real changes are
    listed in ``review.changes``.
    """
    if decision not in DECISIONS:
        raise ExtractionError(f"decision must be one of {DECISIONS}, not {decision!r}")
    corrections = {k: v.strip() for k, v in (corrections or {}).items() if v is not None}
    known = {f["name"] for f in record["fields"]}
    unknown = set(corrections) - known
    if unknown:
        raise ExtractionError(f"unknown fields: {', '.join(sorted(unknown))}")
    out = copy.deepcopy(record)
    out.update(envelope(record["doc_id"], producer="review", trace=record["trace"]))
    changes = []
    for field in out["fields"]:
        new = corrections.get(field["name"])
        if new is not None and new != (field["normalized"] or ""):
            changes.append({"field": field["name"], "old": field["normalized"], "new": new or None})
            field["normalized"] = new or None
            field["confidence"] = 1.0
            field["reason"] = f"corrected by {reviewer}"
        elif decision == "approved":
            field["reason"] = f"confirmed by {reviewer}"
        if decision == "approved":
            field["status"] = "accept"
    out["status"] = decision
    out["review"] = {"reviewer": reviewer, "decided_at": now_ms(), "decision": decision,
                     "comment": comment or None, "changes": changes}
    return out

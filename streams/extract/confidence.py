"""Confidence: OCR confidence × parse quality, then cross-checks; thresholds → status.

Why multiply: a value is only as good as the weaker of "the engine read these
characters" and "these characters are an unambiguous value". Cross-checks come in two
strengths. A *strong* one (line items add up to the total; the amount in words says the
same as the digits) is independent evidence that the characters are right, so passing
it closes half the remaining gap to 1.0. A *weak* one (due date after invoice date;
e-mail domain matches the counterparty) holds for most wrong values too, so it can only
take confidence away.

>>> t = Thresholds(accept=0.9, review=0.6)
>>> t.status(0.95), t.status(0.75), t.status(0.3)
('accept', 'review', 'reject')
"""

from __future__ import annotations

from dataclasses import dataclass, field

from streams.extract.finders import Candidate

__all__ = ["Thresholds", "FieldValue", "field_from", "missing_field", "boost", "penalise", "cap_unchecked",
           "document_status", "STATUS_ORDER", "UNCHECKED_CAP"]

STATUS_ORDER = {"accept": 0, "review": 1, "reject": 2}
_DOC_STATUS = {"accept": "accepted", "review": "review", "reject": "rejected"}


@dataclass(frozen=True)
class Thresholds:
    accept: float = 0.90
    review: float = 0.60
    per_field: dict[str, dict[str, float]] = field(default_factory=dict)
    # Which optional fields hold a document when printed (streams/extract/policy.py); None = its defaults.
    when_printed: dict[str, tuple[str, ...]] | None = None
    # The buyer's own companies (names, VAT ids) the customer must be one of; () = not checked.
    own_companies: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, extraction) -> "Thresholds":
        chosen = getattr(extraction, "when_printed", None)
        return cls(extraction.accept, extraction.review, dict(extraction.per_field),
                   None if chosen is None else {k: tuple(v) for k, v in chosen.items()},
                   tuple(getattr(extraction, "own_companies", None) or ()))

    def status(self, confidence: float, name: str | None = None) -> str:
        own = self.per_field.get(name or "", {})
        if confidence >= own.get("accept", self.accept):
            return "accept"
        if confidence >= own.get("review", self.review):
            return "review"
        return "reject"


@dataclass
class FieldValue:
    """A field on its way to the Field record of ``fields.validated``."""

    name: str
    value: str | None
    normalized: str | None
    confidence: float
    page: int | None = None
    box: dict | None = None
    reasons: list[str] = field(default_factory=list)
    force_review: bool = False  # ambiguous: never auto-accepted, never auto-rejected
    checked: bool = False  # a strong cross-check confirmed it
    # OCR: the second model read the value's line with the same characters (the reader's digit
    # check: a date or a document number on two cuts of the line; ``Line.agreed``)
    read_twice: bool = False
    source: str | None = "ocr"  # layout.FIELD_SOURCES: text, ocr, e-invoice or memory; None = not found
    status: str = "review"
    # A cross-check failed (arithmetic, dates in the wrong order, a value cut across boxes):
    # no other reading, the sender memory included, may make it acceptable.
    contradicted: bool = False
    anchor: dict | None = None  # {"label", "page_width", "page_height"} for the sender memory

    def decide(self, thresholds: Thresholds) -> "FieldValue":
        if self.normalized is None or self.force_review:
            # Not found, unreadable or ambiguous: nothing wrong can be accepted, and a person
            # can read the page and type the value in.
            self.status = "review"
        else:
            self.status = thresholds.status(self.confidence, self.name)
        return self

    def record(self) -> dict:
        return {"name": self.name, "value": self.value, "normalized": self.normalized,
                "confidence": round(float(self.confidence), 4), "status": self.status,
                "page": self.page, "box": _round_box(self.box),
                "reason": "; ".join(self.reasons) or None, "source": self.source, "anchor": self.anchor}


def _round_box(box: dict | None) -> dict | None:
    return None if box is None else {k: round(float(box[k]), 1) for k in ("x0", "y0", "x1", "y1")}


def field_from(name: str, cand: Candidate) -> FieldValue:
    """Base confidence of a found value: source OCR confidence × parse quality."""
    parsed = cand.parsed
    reasons = [f"found by {cand.how}"]
    if parsed.reason:
        reasons.append(parsed.reason)
    conf = cand.source_confidence * parsed.quality
    if cand.source_confidence < 0.9:
        reasons.append(f"OCR confidence {cand.source_confidence:.2f}")
    raw = cand.raw.strip()
    holders = [ln for ln in cand.span.lines if raw and raw in ln.text] or list(cand.span.lines)
    # a text layer's words that OCR read again (the layer's codes were garbled) are OCR's reading
    source = "ocr" if cand.source == "text" and any(ln.reread for ln in holders) else cand.source
    return FieldValue(name, cand.raw, parsed.normalized, conf, cand.span.page, cand.box or cand.span.box,
                      reasons, force_review=parsed.ambiguous, checked=parsed.confirmed, source=source,
                      read_twice=cand.source == "ocr" and bool(holders) and all(ln.agreed for ln in holders))


def missing_field(name: str, reason: str = "not found") -> FieldValue:
    return FieldValue(name, None, None, 0.0, reasons=[reason], source=None)  # read from nowhere


def boost(f: FieldValue | None, why: str) -> None:
    """A strong cross-check passed: close half of the gap to 1.0."""
    if f is not None and f.normalized is not None:
        f.confidence = f.confidence + (1.0 - f.confidence) * 0.5
        f.checked = True
        f.reasons.append(why)


def penalise(f: FieldValue | None, why: str, factor: float = 0.75) -> None:
    if f is not None and f.normalized is not None:
        f.confidence *= factor
        f.reasons.append(why)


def document_status(fields: list[FieldValue], required: tuple[str, ...]) -> str:
    """The worst status among the required fields (accepted < review < rejected)."""
    statuses = [f.status for f in fields if f.name in required]
    if not statuses:
        return "review"
    return _DOC_STATUS[max(statuses, key=STATUS_ORDER.__getitem__)]


UNCHECKED_CAP = 0.85  # below every accept threshold: a value nothing else on the page confirms


def cap_unchecked(f: FieldValue, why: str) -> None:
    """Hold a value nothing confirms below every accept threshold, and say why."""
    if f.normalized is not None and f.confidence > UNCHECKED_CAP:
        f.confidence = UNCHECKED_CAP
        f.reasons.append(why)

"""One ``ocr.results`` record → the typed fields of ``fields.validated``.

>>> from inkstream.settings import ExtractionSettings
>>> page = {"number": 1, "width": 1700, "height": 2200, "dpi": 200, "text_source": "text_layer",
...         "lines": [{"text": "Dear Sir,", "confidence": 1.0, "box": {"x0": 0, "y0": 0, "x1": 90, "y1": 20}}]}
>>> extract({"doc_id": "d1", "pages": [page]}, ExtractionSettings())["status"]
'review'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from streams.extract import contract, invoice, multilingual, receipt
from streams.extract.classify import classify, classify_document
from streams.extract.confidence import FieldValue, Thresholds, boost, document_status, penalise
from streams.extract.layout import Layout
from streams.extract import parties, terms
from streams.extract.policy import confirm_own_company, decide_document
from streams.extract.versions import RuleSet, route_for_settings, ruleset

__all__ = ["extract", "Extraction", "DIGIT_FIELDS", "NAME_FIELDS"]

# Values whose characters OCR can misread into another valid value (a 3 for an 8).
NAME_FIELDS = {"counterparty", "signer_name", "customer"}
_ABBREVIATIONS = {"inc", "corp", "ltd", "llc", "bros", "mrs", "sen", "rev", "hon", "jr", "sr", "dr", "st", "co", "plc",
                  "intl", "assn", "dept", "univ", "mfg"}
DIGIT_FIELDS = {"effective_date", "term_months", "total_amount", "invoice_number", "invoice_date", "due_date"}
# The digit fields the OCR reader reads a second time on two cuts (streams/ocr/reader.py: a date or a
# document number, which no arithmetic checks); an amount's check is the arithmetic.
READ_TWICE_FIELDS = {"effective_date", "invoice_number", "invoice_date", "due_date"}


@dataclass(frozen=True)
class Extraction:
    doc_type: str
    status: str
    version: str
    fields: list[dict]
    line_items: list[dict]
    reason: str | None = None
    sender: str | None = None  # the sender fingerprint (streams.extract.memory)

    def as_dict(self) -> dict:
        return {"doc_type": self.doc_type, "status": self.status, "extractor_version": self.version,
                "fields": self.fields, "line_items": self.line_items, "reason": self.reason,
                "sender": self.sender}


def extract(ocr_record: dict, extraction, *, version: str | None = None, memory=None) -> dict:
    """Classify, extract, cross-check and route; ``version`` overrides the A/B choice.
    ``memory``: a :class:`streams.extract.memory.SenderMemory` for versions that read it."""
    chosen = version or route_for_settings(ocr_record.get("doc_id", ""), extraction)
    rules = ruleset(chosen)
    thresholds = Thresholds.from_settings(extraction)
    layout = Layout.from_ocr(ocr_record)
    # Day-first or month-first for numeric dates like 03/04/2026; unset = never guess.
    locale = extraction.date_locale
    if rules.multilingual:
        return _extract_multilingual(ocr_record, layout, rules, thresholds, locale, memory)
    doc_type = classify(layout.text)
    items: list[dict] = []
    required: tuple[str, ...]
    if doc_type == "contract":
        values, required = contract.extract_contract(layout, rules, locale=locale), contract.REQUIRED
    elif doc_type == "invoice":
        (values, items), required = invoice.extract_invoice(layout, rules, locale=locale), invoice.REQUIRED
    else:
        values, required = [], ()
    if rules.signer_matches_email:
        _check_signer_against_email(values)
    for f in values:
        _check_name_shape(f)
        _cap_unchecked(f, rules, thresholds)
        f.decide(thresholds)
    status = document_status(values, required) if doc_type != "unknown" else "review"
    return Extraction(doc_type, status, rules.version, [f.record() for f in values], items).as_dict()


def _narrow(ocr_record: dict) -> bool:
    """A till roll: the page is narrow, or its text is one narrow column (a receipt scanned or
    photographed on a larger background)."""
    pages = ocr_record.get("pages") or []
    return bool(pages) and all((p.get("width") and p.get("height") and p["width"] < 0.55 * p["height"])
                               or _narrow_column(p.get("lines") or []) for p in pages)


def _narrow_column(lines: list[dict]) -> bool:
    boxes = [ln["box"] for ln in lines if ln.get("box")]
    if len(boxes) < 8:
        return False
    width = max(b["x1"] for b in boxes) - min(b["x0"] for b in boxes)
    height = max(b["y1"] for b in boxes) - min(b["y0"] for b in boxes)
    return width < 0.55 * height


def _extract_multilingual(ocr_record: dict, layout: Layout, rules: RuleSet, thresholds: Thresholds,
                          locale: str | None, memory) -> dict:
    """rules-3 and memory-1: any of the seven languages, six document types."""
    title = "\n".join(layout.row_text(r) for r in layout.rows[:8])
    doc_type, why = classify_document(layout.text, title=title, narrow=_narrow(ocr_record))
    items: list[dict] = []
    values: list[FieldValue] = []
    required: tuple[str, ...] = ()
    if doc_type in ("invoice", "credit_note"):
        values, items, _ = multilingual.extract_invoice(layout, locale=locale, credit=doc_type == "credit_note")
        required = multilingual.INVOICE_REQUIRED
    elif doc_type == "receipt":
        values, items, _ = receipt.extract_receipt(layout, locale=locale, agreed=receipt.agreed_lines(ocr_record))
        required = receipt.RECEIPT_REQUIRED
    elif doc_type == "contract":
        values, required = contract.extract_contract(layout, rules, locale=locale), contract.REQUIRED
        _check_signer_against_email(values)
    from streams.extract.memory import anchor_label, fingerprint

    if doc_type in ("invoice", "credit_note", "receipt"):
        parties.cross_check(layout, values)  # names on two readings, VAT ids on check digits
        terms.cross_check(layout, values)  # invoice date + the terms' days = due date

    sender = fingerprint(layout, values) if doc_type not in ("other", "unknown") else None
    if memory is not None and rules.sender_memory and sender:
        values = memory.apply(sender, doc_type, layout, values)
    if doc_type in ("invoice", "credit_note"):
        confirm_own_company(layout, values, thresholds.own_companies)  # the buyer's company list
    for f in values:
        size = layout.page_sizes.get(f.page or 0)
        if f.box is not None and size:
            f.anchor = {"label": anchor_label(layout, f), "page_width": size[0], "page_height": size[1]}
        _check_name_shape(f)
        _cap_unchecked(f, rules, thresholds)
        f.decide(thresholds)
    reason: str | None
    if doc_type in ("other", "unknown"):
        status, reason = "review", f"document type {doc_type}: {why}"
    else:
        status, reason = decide_document(doc_type, values, required, layout, thresholds.when_printed,
                                         thresholds.own_companies)
    return Extraction(doc_type, status, rules.version, [f.record() for f in values], items, reason,
                      sender).as_dict()


def _check_name_shape(f: FieldValue) -> None:
    """OCR drops spaces ("RahulMehta") and invents full stops ("Fabrikam. GmbH") at high
    confidence; names have no checksum, so a name of an odd shape is not auto-accepted."""
    if f.name not in NAME_FIELDS or f.normalized is None or f.source == "text":
        return
    for token in f.normalized.split():
        if re.search(r"[a-z]{2,}[A-Z][a-z]", token) and not re.match(r"^(?:Mac|Mc)[A-Z][a-z]+$", token):
            penalise(f, f"{token!r} looks like two words run together", 0.85)
            return
    m = re.search(r"\b([A-Za-z]{3,})\.\s+\S", f.normalized)
    if m and m[1].lower() not in _ABBREVIATIONS:
        penalise(f, f"unexpected full stop after {m[1]!r}", 0.85)
    elif re.search(r"[^\w\s.,&'()\-/]|\d", f.normalized) and f.name == "signer_name":
        penalise(f, "unexpected characters in a person's name", 0.85)


def _check_signer_against_email(values: list[FieldValue]) -> None:
    """rules-2: "Jane Doe" and "jane.doe@acme.com" are two readings of the same letters."""
    by_name = {f.name: f for f in values}
    name, email = by_name.get("signer_name"), by_name.get("signer_email")
    if not (name and email and name.normalized and email.normalized):
        return
    local = email.normalized.split("@")[0]
    tokens = [t for t in re.split(r"[._\-+]", local) if t]
    words = [re.sub(r"[^a-z]", "", w.lower()) for w in name.normalized.split()]
    if len(tokens) >= 2 and tokens == words:
        boost(name, "signer name matches the e-mail address")
        boost(email, "e-mail address matches the signer name")


def _cap_unchecked(f: FieldValue, rules: RuleSet, thresholds: Thresholds) -> None:
    """rules-2: an OCR-read digit value below the cap, with no strong cross-check, goes to review."""
    if (rules.unchecked_digits_cap and f.name in DIGIT_FIELDS and f.source != "text"
            and not f.checked and f.normalized is not None):
        if f.read_twice and f.name in READ_TWICE_FIELDS:
            # the reader's cross-check: a second model read the line alike on two cuts
            f.reasons.insert(1, "read alike by a second OCR model on two cuts of its line")  # not what holds it
            return
        source_conf = f.confidence
        if source_conf < rules.unchecked_digits_cap:
            cap = thresholds.per_field.get(f.name, {}).get("accept", thresholds.accept) - 0.001
            if f.confidence > cap:
                f.confidence = cap
                f.reasons.append("digits read by OCR without a cross-check")

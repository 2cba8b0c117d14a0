"""One ``ocr.results`` record → the typed fields of ``fields.validated``.

>>> from inkstream.settings import ExtractionSettings
>>> page = {"number": 1, "width": 1700, "height": 2200, "dpi": 200, "text_source": "text_layer",
...         "lines": [{"text": "Dear Sir,", "confidence": 1.0, "box": {"x0": 0, "y0": 0, "x1": 90, "y1": 20}}]}
>>> extract({"doc_id": "d1", "pages": [page]}, ExtractionSettings())["status"]
'review'
"""

from __future__ import annotations

from dataclasses import dataclass

from streams.extract import contract, invoice
from streams.extract.classify import classify
from streams.extract.confidence import FieldValue, Thresholds, document_status
from streams.extract.layout import Layout
from streams.extract.versions import RuleSet, route_for_settings, ruleset

__all__ = ["extract", "Extraction", "DIGIT_FIELDS"]

# Values whose characters OCR can misread into another valid value (a 3 for an 8).
DIGIT_FIELDS = {"effective_date", "term_months", "total_amount", "invoice_number", "invoice_date", "due_date"}


@dataclass(frozen=True)
class Extraction:
    doc_type: str
    status: str
    version: str
    fields: list[dict]
    line_items: list[dict]

    def as_dict(self) -> dict:
        return {"doc_type": self.doc_type, "status": self.status, "extractor_version": self.version,
                "fields": self.fields, "line_items": self.line_items}


def extract(ocr_record: dict, extraction, *, version: str | None = None) -> dict:
    """Classify, extract, cross-check and route; ``version`` overrides the A/B choice."""
    chosen = version or route_for_settings(ocr_record.get("doc_id", ""), extraction)
    rules = ruleset(chosen)
    thresholds = Thresholds.from_settings(extraction)
    layout = Layout.from_ocr(ocr_record)
    # Day-first or month-first for numeric dates like 03/04/2026; unset = never guess.
    locale = extraction.date_locale
    doc_type = classify(layout.text)
    items: list[dict] = []
    if doc_type == "contract":
        values, required = contract.extract_contract(layout, rules, locale=locale), contract.REQUIRED
    elif doc_type == "invoice":
        (values, items), required = invoice.extract_invoice(layout, rules, locale=locale), invoice.REQUIRED
    else:
        values, required = [], ()
    for f in values:
        _cap_unchecked(f, rules, thresholds)
        f.decide(thresholds)
    status = document_status(values, required) if doc_type != "unknown" else "review"
    return Extraction(doc_type, status, rules.version, [f.record() for f in values], items).as_dict()


def _cap_unchecked(f: FieldValue, rules: RuleSet, thresholds: Thresholds) -> None:
    """rules-2: an OCR-read digit value below the cap, with no strong cross-check, goes to review."""
    if (rules.unchecked_digits_cap and f.name in DIGIT_FIELDS and f.source != "text_layer"
            and not f.checked and f.normalized is not None):
        source_conf = f.confidence
        if source_conf < rules.unchecked_digits_cap:
            cap = thresholds.per_field.get(f.name, {}).get("accept", thresholds.accept) - 0.001
            if f.confidence > cap:
                f.confidence = cap
                f.reasons.append("digits read by OCR without a cross-check")

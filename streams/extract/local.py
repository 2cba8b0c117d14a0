"""OCR + extraction of one file without Kafka: ``inkstream extract FILE`` and the evaluation.

>>> cli_view({"doc_type": "unknown", "status": "review", "extractor_version": "rules-1",
...           "fields": [], "line_items": []})
{'doc_type': 'unknown', 'status': 'review', 'fields': {}, 'line_items': []}
"""

from __future__ import annotations

from streams.extract.extractor import extract

__all__ = ["ocr_record", "extract_pages", "cli_view"]


def ocr_record(doc_id: str, pages: list[dict]) -> dict:
    """The part of an ``ocr.results`` record extraction reads."""
    return {"doc_id": doc_id, "pages": pages}


def extract_pages(doc_id: str, pages: list[dict], extraction, *, version: str | None = None) -> dict:
    return extract(ocr_record(doc_id, pages), extraction, version=version)


def cli_view(result: dict) -> dict:
    """The documented ``--json`` shape: fields keyed by name, seven keys each (``source``:
    text, ocr, e-invoice or memory)."""
    keys = ("value", "normalized", "confidence", "status", "page", "box", "source")
    view = {"doc_type": result["doc_type"], "status": result["status"],
            "fields": {f["name"]: {k: f.get(k) for k in keys} for f in result["fields"]},
            "line_items": result["line_items"]}
    if result.get("einvoice_checks"):  # where the printed page disagrees with its e-invoice XML
        view["einvoice_checks"] = result["einvoice_checks"]
    return view

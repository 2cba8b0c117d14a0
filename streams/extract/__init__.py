"""Extraction: ``ocr.results`` → typed, normalised, confidence-routed ``fields.validated``.

    layout.py      OCR lines in reading order (rows, joined text) with a way back to boxes
    normalize.py   pure normalisers: dates, amounts + currency, e-mails, names, terms
    finders.py     value patterns; labelled values beside or below their labels
    classify.py    contract / invoice / unknown
    contract.py    contract fields and their cross-checks
    invoice.py     invoice fields, line items and their cross-checks
    confidence.py  OCR confidence × parse quality, cross-checks, thresholds → status
    versions.py    rule versions (rules-1, rules-2) and the deterministic A/B split
    extractor.py   one OCR record → doc_type, status, fields, line_items
    processor.py   ``inkstream run extract``; local.py + commands.py: ``inkstream extract FILE``

>>> from inkstream.settings import ExtractionSettings
>>> extract({"doc_id": "d", "pages": []}, ExtractionSettings())["doc_type"]
'unknown'
"""

from streams.extract.extractor import extract
from streams.extract.versions import RULESETS, route

__all__ = ["extract", "route", "RULESETS"]

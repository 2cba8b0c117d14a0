"""Synthetic ``ocr.results`` records: lines laid out on rows and columns like a page."""

from __future__ import annotations

from schemas.records import envelope

CHAR_W, ROW_H, LINE_H = 12.0, 44.0, 30.0


def line(text: str, *, row: int, x: float = 120.0, conf: float = 0.99) -> dict:
    y0 = 100 + row * ROW_H
    return {"text": text, "confidence": conf, "low_confidence": conf < 0.8, "words": [],
            "box": {"x0": x, "y0": y0, "x1": x + CHAR_W * len(text), "y1": y0 + LINE_H}}


def page(lines: list[dict], *, number: int = 1, source: str = "ocr") -> dict:
    return {"number": number, "width": 1700, "height": 2200, "dpi": 200, "text_source": source,
            "rotation": 0, "skew": 0.0, "lines": lines}


def rows(texts: list[str], *, conf: float = 0.99, low: dict[int, float] | None = None) -> list[dict]:
    """One line per row; ``low`` = {row index: confidence} for the doubtful ones."""
    low = low or {}
    return [line(t, row=i, conf=low.get(i, conf)) for i, t in enumerate(texts)]


def ocr_result(pages: list[dict], doc_id: str = "doc-1") -> dict:
    return {
        **envelope(doc_id, producer="ocr"), "source": "http",
        "original": {"bucket": "inkstream", "key": f"originals/ab/{'ab' * 32}", "version_id": None,
                     "sha256": "ab" * 32, "size_bytes": 1234, "content_type": "application/pdf"},
        "priority": "normal", "crm_ref": None,
        "engine": {"name": "rapidocr", "version": "3.10.0", "models": ["det", "rec"], "device": "cpu"},
        "pages": pages, "duration_ms": 1200,
    }


CONTRACT_PROSE = [
    "SERVICES AGREEMENT",
    'This Agreement is entered into as of March 3, 2026 (the "Effective Date")',
    'by and between Inkstream Demo Inc. ("Provider"), and Acme Corporation',
    '("Client"). 1. Term. This Agreement remains in force for a term of',
    "twelve (12) months from the Effective Date.",
    "2. Fees. Client shall pay the total sum of Forty-Eight Thousand Two Hundred",
    "Fifty US Dollars (USD 48,250.00), payable within thirty (30) days.",
    "IN WITNESS WHEREOF, the parties hereto have executed this Agreement.",
    "CLIENT: Acme Corporation",
    "Name: Jane Doe",
    "Email: Jane.Doe@acme.com",
]

INVOICE = [
    "INVOICE",
    "Invoice No.: INV-2026-0042",
    "Invoice Date: 3 March 2026",
    "Due Date: 2026-04-02",
    "Bill To: Globex Inc.",
]


def invoice_lines(items: list[tuple[str, str, str, str]], total: str, *, conf: float = 0.99,
                  total_conf: float | None = None) -> list[dict]:
    """The INVOICE header rows, an items table with one box per cell, and a total row."""
    out = rows(INVOICE, conf=conf)
    r = len(INVOICE)
    cols = (120, 900, 1100, 1350)
    out += [line(h, row=r, x=x, conf=conf) for h, x in zip(("Description", "Qty", "Unit Price", "Amount"), cols)]
    for i, cells in enumerate(items, start=r + 1):
        out += [line(c, row=i, x=x, conf=conf) for c, x in zip(cells, cols)]
    out.append(line(f"Total Due: {total}", row=r + len(items) + 1, x=900, conf=total_conf or conf))
    return out

"""Rows of OCR lines in reading order when the page was read crooked (streams/extract/layout.py)."""

from __future__ import annotations

import math

from streams.extract.layout import Layout, page_slope


def _line(text: str, x0: float, baseline: float, slope: float, char_w: float = 10, h: float = 14) -> dict:
    """A line box as OCR gives it on a tilted page: axis-aligned around its tilted words."""
    words, x = [], x0
    for w in text.split():
        cx = x + len(w) * char_w / 2
        cy = baseline + slope * cx
        words.append({"text": w, "confidence": 0.99,
                      "box": {"x0": x, "y0": cy - h / 2, "x1": x + len(w) * char_w, "y1": cy + h / 2}})
        x += (len(w) + 1) * char_w
    return {"text": text, "confidence": 0.99, "words": words,
            "box": {"x0": min(w["box"]["x0"] for w in words), "y0": min(w["box"]["y0"] for w in words),
                    "x1": max(w["box"]["x1"] for w in words), "y1": max(w["box"]["y1"] for w in words)}}


def _receipt(slope: float) -> dict:
    rows = [("SUBTOTAL", "239.43"), ("TAX 6%", "14.37"), ("TOTAL (RM)", "253.80"), ("CASH", "260.00")]
    lines = []
    for i, (label, amount) in enumerate(rows):
        base = 100 + 24 * i
        lines.append(_line(f"1 x ITEM NUMBER {i} LONG NAME", 40, base - 200, slope))  # rows of several words
        lines.append(_line(label, 40, base, slope))
        lines.append(_line(amount, 470, base, slope))
    return {"pages": [{"number": 1, "text_source": "ocr", "width": 600, "height": 600, "lines": lines}]}


def test_page_slope_comes_from_the_words_inside_lines():
    slope = math.tan(math.radians(-3))
    assert abs(page_slope(_receipt(slope)["pages"][0]["lines"]) - slope) < 1e-6
    assert page_slope(_receipt(0.0)["pages"][0]["lines"]) == 0.0
    assert page_slope([{"text": "x", "box": {"x0": 0, "y0": 0, "x1": 9, "y1": 9}}]) == 0.0  # no words: level


def test_a_crooked_receipt_keeps_each_amount_on_its_labels_row():
    for degrees in (-3.0, 3.0):
        text = Layout.from_ocr(_receipt(math.tan(math.radians(degrees)))).text
        for row in ("SUBTOTAL  239.43", "TAX 6%  14.37", "TOTAL (RM)  253.80", "CASH  260.00"):
            assert row in text.split("\n"), (degrees, text)
        assert text.index("SUBTOTAL") < text.index("TAX 6%") < text.index("TOTAL (RM)") < text.index("CASH")


def test_without_levelling_the_same_receipt_pairs_amounts_wrongly():
    """What the slope fixes: the rows the old grouping made from the same boxes (no words given)."""
    record = _receipt(math.tan(math.radians(3.0)))
    for ln in record["pages"][0]["lines"]:
        ln["words"] = []
    rows = Layout.from_ocr(record).text.split("\n")
    assert "SUBTOTAL  239.43" not in rows


def test_the_two_models_agreed_flag_reaches_the_layout_lines():
    record = _receipt(0.0)
    record["pages"][0]["lines"][2]["agreed"] = True  # the amount of the first row
    lines = Layout.from_ocr(record).lines
    assert [ln.text for ln in lines if ln.agreed] == ["239.43"]

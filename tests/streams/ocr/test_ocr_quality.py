"""The scan bench's diagnostic: OCR words against the PDF text layer of the same page."""

from __future__ import annotations

import pytest

from streams.ocr.quality import compare_pages, token_recall, tokens, word_error_rate


def _page(rows: list[list[tuple[str, float]]]) -> dict:
    """Lines at (x, row): each row a list of (text, x0)."""
    lines = []
    for i, row in enumerate(rows):
        for text, x in row:
            lines.append({"text": text, "confidence": 1.0, "box": {"x0": x, "y0": 20 * i, "x1": x + 8 * len(text),
                                                                     "y1": 20 * i + 12}})
    return {"number": 1, "lines": lines}


def test_word_error_rate_counts_word_edits():
    assert word_error_rate(["a", "b", "c", "d"], ["a", "b", "c", "d"]) == 0
    assert word_error_rate(["a", "b", "c", "d"], ["a", "x", "c"]) == pytest.approx(0.5)
    assert word_error_rate(["Total", "12,50"], ["Total:", "12,50", "EUR"]) == pytest.approx(1.0)


def test_recall_is_order_free_and_digits_only_counts_numbers():
    ref = tokens("Total 12,50 EUR Datum 06.08.2013")
    assert token_recall(ref, tokens("06.08.2013 Datum Total 12,50 EUR")) == (5, 5)
    assert token_recall(ref, tokens("Total 12,5O EUR Datum 06.08.2013"), digits_only=True) == (1, 2)
    assert tokens("Datum：06.08.2013") == ["Datum:", "06.08.2013"] == tokens("Datum: 06.08.2013")


def test_compare_pages_names_the_digit_words_ocr_lost():
    ref = _page([[("Rechnung Nr. 4711", 10)], [("Summe", 10), ("119,00", 300)]])
    ocr = _page([[("Rechnung Nr. 4711", 12)], [("Summe", 11), ("119,O0", 301)]])
    got = compare_pages(ref, ocr)
    assert got["missed_digits"] == ["119,00"]
    assert (got["digit_found"], got["digit_total"]) == (1, 2)
    assert (got["found"], got["total"]) == (4, 5)
    assert got["wer"] == pytest.approx(1 / 5)

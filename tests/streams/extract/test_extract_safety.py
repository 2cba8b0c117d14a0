"""No wrong value accepted: identifiers read once by OCR and header fields read from a later
page (another document stapled to the invoice) go to review (streams/extract/multilingual.py)."""

from __future__ import annotations

import pytest

from inkstream.settings import ExtractionSettings
from streams.extract import extract
from streams.extract.layout import MAX_LINE_CHARS, Layout
from tests.streams.extract.extract_records import ocr_result, page
from tests.streams.extract.test_extract_multilingual import GERMAN, fields_of, layout


def _ocr(rows, agreed_rows=()):
    lines = layout(rows, conf=0.99)
    for ln in lines:
        ln["agreed"] = any(ln["text"] == rows[r][0][0] or ln["text"] in [c[0] for c in rows[r]] for r in agreed_rows)
    return lines


def _run_pages(*pages_lines, source="ocr"):
    pgs = [page(lines, number=n, source=source) for n, lines in enumerate(pages_lines, start=1)]
    return fields_of(extract(ocr_result(pgs), ExtractionSettings(), version="rules-3"))


def test_an_invoice_number_read_once_by_ocr_is_not_accepted():
    f = _run_pages(_ocr(GERMAN))["invoice_number"]
    assert f["normalized"] == "RE-2026-0042" and f["status"] == "review"
    assert "read once by OCR" in f["reason"]


def test_an_invoice_number_two_ocr_models_agree_on_or_printed_twice_may_be_accepted():
    f = _run_pages(_ocr(GERMAN, agreed_rows=(2,)))["invoice_number"]
    assert f["normalized"] == "RE-2026-0042" and "read once by OCR" not in f["reason"]
    again = GERMAN + [[("Rechnung Nr. RE-2026-0042", 120)]]
    f = _run_pages(_ocr(again))["invoice_number"]
    assert f["normalized"] == "RE-2026-0042" and "read once by OCR" not in f["reason"]


def test_an_ocr_invoice_date_below_the_digit_cap_is_accepted_only_when_a_second_model_read_it_alike():
    """The reader reads every date line again with a second model on two cuts; that agreement is
    the date's cross-check (no arithmetic checks a date). Read once, the same value stays in review."""
    def date_at(conf, agreed):
        lines = _ocr(GERMAN, agreed_rows=(2, 3) if agreed else (2,))
        for ln in lines:
            if ln["text"] == "03.04.2026":
                ln["confidence"] = conf
        return _run_pages(lines)["invoice_date"]

    once = date_at(0.95, agreed=False)
    assert once["normalized"] == "2026-04-03" and once["status"] == "review"
    assert "without a cross-check" in once["reason"]
    twice = date_at(0.95, agreed=True)
    assert twice["normalized"] == "2026-04-03" and twice["status"] == "accept"
    assert "read alike by a second OCR model" in twice["reason"]


FIRST = [[("Muster GmbH", 120)], [("RECHNUNG", 120)], [("Rechnungsnummer:", 120), ("RE-7", 700)],
         [("Dated 16.02.2019", 120)],
         [("Nettobetrag", 900), ("100,00 EUR", 1200)], [("MwSt 19%", 900), ("19,00 EUR", 1200)],
         [("Gesamtbetrag", 900), ("119,00 EUR", 1200)]]
LEDGER = [[("Account Statement", 120)], [("Transaction Date", 120), ("Rechnungsdatum:", 500), ("14.03.2019", 900)],
          [("Opening Balance", 120), ("0,00", 900)]]


def test_a_date_from_a_later_page_is_not_accepted_when_page_one_prints_a_date():
    f = _run_pages(layout(FIRST), layout(LEDGER), source="text_layer")["invoice_date"]
    assert f["normalized"] == "2019-03-14" and f["status"] == "review"
    assert "reads as another document" in f["reason"]
    # A later page with an invoice date label but no ledger words: page 1's date still rules.
    second = [[("Rechnungsdatum:", 120), ("14.03.2019", 700)]]
    f = _run_pages(layout(FIRST), layout(second), source="text_layer")["invoice_date"]
    assert f["normalized"] == "2019-03-14" and f["status"] == "review"
    assert "page 1 prints a date of its own" in f["reason"]


# A hostile page: lines far longer than any printed line, of one long word, labels, amounts or dates.
# Several patterns cost the square (one the fourth power) of a line's length; before the cap and the
# fixes one 4 000-letter word cost minutes. On the CI box each page now takes a few seconds.
@pytest.mark.timeout(60)
@pytest.mark.parametrize("title", ["Rechnung", "AGREEMENT", "KASSENBON"])
@pytest.mark.parametrize("text", ["x" * 100_000, "Subtotal: " * 10_000, "Total 1,00 " * 9_000, "12.03.2024 " * 9_000])
def test_a_page_of_hostile_lines_is_read_in_bounded_time(title, text):
    rows = [[(title, 100)]] + [[(text, 100)] for _ in range(20)]
    result = extract(ocr_result([page(layout(rows), source="text_layer")]), ExtractionSettings(), version="rules-3")
    assert result["doc_type"] in ("invoice", "contract", "receipt", "other", "unknown")
    assert all(len(ln.text) <= MAX_LINE_CHARS for ln in Layout.from_ocr(ocr_result([page(layout(rows))])).lines)


def test_a_dateline_place_is_words_apart_not_one_word_split_every_way():
    """ "Berlin, den 5. März 2024" is a dateline; one 1 000-letter word is no place (it cost n⁴)."""
    rows = [[("Muster GmbH", 100)], [("Hauptstr. 1, 10115 Berlin", 100)], [("Berlin, den 5. März 2024", 900)],
            [("Rechnung Nr. 4711", 100)], [("Gesamtbetrag", 900), ("119,00 €", 1300)]]
    assert fields_of(extract(ocr_result([page(layout(rows), source="text_layer")]), ExtractionSettings(),
                             version="rules-3"))["invoice_date"]["normalized"] == "2024-03-05"

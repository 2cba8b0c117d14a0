"""Text layers read as words and lines in reading order, whatever objects the producer drew.

Synthetic pages pin each producer habit (one text object per glyph, rotated text, columns,
ligatures, a /Rotate page); real pages from the ZUGFeRD corpus (tests/corpus/zugferd) are the
ones that came out of the old run-based reader one character per line.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from streams.ocr.raster import iter_pages
from streams.ocr.textlayer import read_text_layer

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "zugferd"
DPI = 200
SCALE = DPI / 72
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _pdf(draw) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="a4", unit="pt")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "", 11)
    draw(pdf)
    return bytes(pdf.output())


def _glyph_by_glyph(pdf, x: float, y: float, text: str) -> None:
    """One text object per character, placed by its advance: what many PDF printers emit."""
    for ch in text:
        pdf.text(x, y, ch)
        x += pdf.get_string_width(ch)


def _lines(data: bytes, page_no: int = 0):
    doc = pdfium.PdfDocument(data)
    page = doc[page_no]
    tp = page.get_textpage()
    try:
        return read_text_layer(page, tp, SCALE)
    finally:
        tp.close()
        doc.close()


def _old_runs(data: bytes) -> list[str]:
    """What the previous reader returned: PDFium's text rectangles, one run each."""
    doc = pdfium.PdfDocument(data)
    tp = doc[0].get_textpage()
    runs = [tp.get_text_bounded(*tp.get_rect(k)).strip() for k in range(tp.count_rects())]
    doc.close()
    return [r for r in runs if r]


def test_one_text_object_per_glyph_reads_as_words_and_lines():
    drawn = ["Invoice No: INV-2026-0042", "Total due: EUR 1,234.50", "Rechnungsdatum 05.03.2026"]

    def draw(pdf):
        for i, line in enumerate(drawn):
            _glyph_by_glyph(pdf, 60, 100 + 30 * i, line)

    data = _pdf(draw)
    assert max(len(r) for r in _old_runs(data)) == 1  # the old reader: one character per line
    lines = _lines(data)
    assert [ln.text for ln in lines] == drawn
    words = lines[0].words
    assert [w.text for w in words] == ["Invoice", "No:", "INV-2026-0042"]
    assert all(a.box[2] <= b.box[0] for a, b in zip(words, words[1:]))  # left to right, not overlapping
    assert abs(words[0].box[0] - 60 * SCALE) < 5 and abs(words[0].box[3] - 100 * SCALE) < 12


def test_rotated_text_is_one_line_not_a_column_of_letters():
    def draw(pdf):
        pdf.text(60, 100, "Upright heading")
        with pdf.rotation(90, 30, 600):
            pdf.text(30, 600, "Printed sideways in the margin")

    lines = _lines(_pdf(draw))
    texts = {ln.text: ln for ln in lines}
    assert set(texts) == {"Upright heading", "Printed sideways in the margin"}
    side = texts["Printed sideways in the margin"]
    assert side.rotation == 270  # reads bottom to top on the page
    assert side.box[3] - side.box[1] > 5 * (side.box[2] - side.box[0])  # a tall, narrow box
    assert lines[0].text == "Upright heading"  # upright text first, rotated after


def test_two_columns_read_column_by_column():
    left = ["Left column line one", "left column line two", "left column line three"]
    right = ["Right column line one", "right column line two"]

    def draw(pdf):
        for i, t in enumerate(left):
            pdf.text(60, 200 + 16 * i, t)
        for i, t in enumerate(right):
            pdf.text(330, 200 + 16 * i, t)
        pdf.text(60, 120, "A heading across the page")

    lines = _lines(_pdf(draw))
    assert [ln.text for ln in lines] == ["A heading across the page", *left, *right]


def test_label_and_value_far_apart_are_two_lines_on_one_row():
    def draw(pdf):
        pdf.text(60, 100, "Rechnungsnummer")
        pdf.text(420, 100, "471102")

    lines = _lines(_pdf(draw))
    assert [ln.text for ln in lines] == ["Rechnungsnummer", "471102"]
    centres = [(ln.box[1] + ln.box[3]) / 2 for ln in lines]
    assert abs(centres[0] - centres[1]) < 0.5 * (lines[1].box[3] - lines[1].box[1])  # one row


@pytest.mark.skipif(not DEJAVU.exists(), reason="needs the DejaVu font for ligature glyphs")
def test_ligature_glyphs_are_expanded():
    def draw(pdf):
        pdf.add_font("DejaVu", "", str(DEJAVU))
        pdf.set_font("DejaVu", "", 12)
        pdf.text(60, 100, "O\ufb03ce \ufb01nance \ufb02oor")

    assert [ln.text for ln in _lines(_pdf(draw))] == ["Office finance floor"]


def test_a_rotated_page_reads_in_its_writing_direction():
    data = _pdf(lambda pdf: pdf.text(60, 100, "Invoice INV-77 total 12.50"))
    doc = pdfium.PdfDocument(data)
    doc[0].set_rotation(90)
    out = io.BytesIO()
    doc.save(out)
    doc.close()
    pages = list(iter_pages(out.getvalue(), dpi=DPI, max_pages=2))
    (run,) = pages[0].text_runs
    assert run.text == "Invoice INV-77 total 12.50"
    assert [w for w, _ in run.words] == ["Invoice", "INV-77", "total", "12.50"]
    x0, y0, x1, y1 = run.box
    assert 0 <= x0 < x1 <= pages[0].width and 0 <= y0 < y1 <= pages[0].height
    assert y1 - y0 > x1 - x0  # the line runs down the turned page


def _corpus_pdfs() -> list[Path]:
    truth = json.loads((CORPUS / "truth.json").read_text())
    return [CORPUS / n for n in sorted(truth) if n.endswith(".pdf")]


def test_real_pages_that_came_out_one_character_per_line_now_read_as_lines():
    # intarsys ZUGFeRD 1.0: the old reader gave 44% one-character runs (the rotated margin
    # note letter by letter, phone numbers in pieces).
    data = (CORPUS / "ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach.pdf").read_bytes()
    old = _old_runs(data)
    assert sum(len(r) <= 2 for r in old) / len(old) > 0.3
    lines = _lines(data)
    texts = [ln.text for ln in lines]
    assert "ZUGFeRD Beispielrechnung COMFORT 2014 -Copyright AWV e.V. 2014" in texts
    assert {"Rechnungsnummer", "471102", "Rechnungssumme Brutto (inkl. USt.)", "235,62",
            "DE08 7009 0100 1234 5678 90"} <= set(texts)
    label = next(ln for ln in lines if ln.text == "Rechnungsnummer")
    value = next(ln for ln in lines if ln.text == "471102")
    assert abs((label.box[1] + label.box[3]) / 2 - (value.box[1] + value.box[3]) / 2) < 12  # one row
    # FNFE Factur-X: telephone numbers drawn digit group by digit group
    fr = [ln.text for ln in _lines((CORPUS / "ZUGFeRDv2__correct__FNFE-factur-x-examples__Facture_FR_BASICWL.pdf").read_bytes())]
    assert "+33 4 72 07 08 55" in fr and "Facture FA-2017-0010" in fr and "671,15 €" in fr


@pytest.mark.parametrize("path", _corpus_pdfs(), ids=lambda p: p.name[:60])
def test_no_corpus_page_reads_one_character_per_line(path):
    lines = _lines(path.read_bytes())
    # a lone letter is a word torn apart (a table's item numbers 1, 2, 3 are fine)
    letters = [ln.text for ln in lines if len(ln.text) == 1 and ln.text.isalpha()]
    assert lines and len(letters) / len(lines) < 0.03, letters
    assert all(ln.text == ln.text.strip() and "  " not in ln.text for ln in lines)


def test_words_a_font_maps_to_impossible_codes_are_flagged_and_nothing_else():
    from streams.ocr.textlayer import garbled_words

    # a subset font's ToUnicode map gave "%" for "U" (tests/corpus/digital-invoices-2, docca)
    assert garbled_words("Amount due in A%D:".split()) == {3}
    assert garbled_words(["CustomersR%s"]) == {0} and garbled_words(["Widgets", "R", "%s"]) == {2}
    assert garbled_words(["Inv\ue001ice"]) == {0}  # a private-use code among letters
    fine = ["19%", "10%VAT", "(7%)", "%", "AT&T", "info@example.com", "\uf095", "19", "%S19", "0", "%AE"]
    assert garbled_words(fine) == set()  # "19 %S19": a rate and its VAT category code (einvoice-eu)


def test_a_page_with_garbled_words_is_rendered_for_them_and_a_clean_one_is_not():
    docca = (Path(__file__).resolve().parents[2] / "corpus" / "digital-invoices-2"
             / "docca__invoice-nologo-demo.pdf").read_bytes()
    [page] = iter_pages(docca, dpi=DPI, max_pages=2)
    assert page.text_runs is not None and page.image is not None
    assert any("A%D" in run.text for run in page.text_runs)  # the layer itself, as the producer wrote it
    clean = _pdf(lambda pdf: pdf.text(72, 72, "Invoice INV-7 total 19% VAT 42.00 EUR due in AUD"))
    [page] = iter_pages(clean, dpi=DPI, max_pages=2)
    assert page.text_runs is not None and page.image is None

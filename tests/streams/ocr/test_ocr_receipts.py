"""Receipts and photos: faint thermal print, a photo's dark surround, small print on a long
roll (streams/ocr/receiptpages.py makes them; the real receipt set is held out)."""

from __future__ import annotations

import numpy as np
import pytest

from streams.ocr.engines import det_longer_side
from streams.ocr.preprocess import _FAINT_INK, _grey, enhance, estimate_skew, ink_level
from streams.ocr.quality import page_text
from streams.ocr.receiptpages import receipt_page


def _rows(page: dict) -> set[str]:
    return {"".join(r.split()) for r in page_text(page).split("\n")}


def test_a_photographed_receipts_skew_is_measured_despite_the_dark_table_around_it():
    r = receipt_page("photo", 0)
    assert r.image.mean(axis=(0, 1)).min() < 200  # the table is in the picture
    assert abs(estimate_skew(r.image) - r.skew) < 0.5


def test_faint_print_is_darkened_and_good_print_left_alone():
    faint = receipt_page("faded-small-skew", 1).image
    assert ink_level(_grey(faint)) > _FAINT_INK
    out = enhance(faint)
    assert out is not None and out.shape == faint.shape
    assert ink_level(_grey(out)) < 80
    clean = receipt_page("clean", 0).image
    assert enhance(clean) is None


def test_the_area_detection_budget_lets_a_till_roll_keep_its_width():
    assert det_longer_side(2200, 1700, 1280) == pytest.approx(1280, abs=2)  # a letter page: as before
    assert det_longer_side(2000, 600, 1280) == 2000  # a receipt roll under the budget: not shrunk
    long = det_longer_side(6000, 600, 1280)
    budget = 1280 * 1280 * 8.5 / 11
    assert abs(long * (long / 10) - budget) / budget < 0.01  # shrunk to the budget, shape kept


@pytest.fixture(scope="module")
def plain_reader(ocr_settings):
    from streams.ocr.reader import DocumentReader

    return DocumentReader.from_settings(ocr_settings.model_copy(update={"enhance": False}))


def test_a_faded_crooked_receipt_gives_its_total_and_subtotal_rows(reader, plain_reader):
    r = receipt_page("faded-small-skew", 1)
    want = {"".join(r.key_lines["total"].split()), "".join(r.key_lines["date"].split())}
    subtotal = "".join(next(t for t in r.truth if t.startswith("SUBTOTAL")).split())
    rows = _rows(reader.read_image(r.image))
    assert want <= rows and subtotal in rows
    # without darkening the faint print the bottom of the roll is lost
    assert not (want | {subtotal}) <= _rows(plain_reader.read_image(r.image))


def test_a_photographed_receipt_pairs_each_amount_with_its_own_label(reader):
    r = receipt_page("photo", 0)
    rows = _rows(reader.read_image(r.image))
    for name in ("SUBTOTAL", "CASH", "CHANGE"):
        line = next(t for t in r.truth if t.startswith(name))
        assert "".join(line.split()) in rows, (line, sorted(rows))


class _Second:
    """A second recogniser with fixed answers, one list per call (the real one is exercised
    end to end above); ``asked`` counts the lines of its first call."""

    name, version, models, device = "fake", "0", ("fake_rec_x",), "cpu"

    def __init__(self, *calls: list[tuple[str, float]]) -> None:
        self.calls = list(calls)
        self.asked = 0

    def read(self, image):
        raise AssertionError("only recognize() is used")

    def recognize(self, crops):
        answers = self.calls.pop(0)
        assert len(answers) == len(crops)
        self.asked = self.asked or len(crops)
        return answers


def test_digit_lines_read_twice_agreement_raises_the_score_disagreement_caps_it():
    from streams.ocr.engines import Box, Line, Word
    from streams.ocr.reader import cross_check_digits

    img = np.full((100, 400, 3), 255, np.uint8)
    w = (Word("TOTAL", 0.93, Box(10, 10, 60, 30)), Word("12.50", 0.93, Box(200, 10, 260, 30)))
    lines = [Line("TOTAL 12.50", 0.93, Box(10, 10, 260, 30), w),   # agreed (spacing/width aside)
             Line("TAX 64", 0.95, Box(10, 40, 100, 60)),             # the second model reads 6% better
             Line("CASH 20.00", 0.96, Box(10, 70, 120, 90)),         # the second model is worse
             Line("THANK YOU", 0.50, Box(10, 70, 120, 90)),          # no digits: not asked
             Line("Qty 4711", 0.99, Box(10, 70, 120, 90)),            # sure already: not asked
             Line("DATE 01/02/2025", 0.99, Box(10, 70, 120, 90)),    # a date: always asked
             Line("Invoice No. GT15153", 0.99, Box(10, 70, 160, 90))]  # a document number: always asked
    second = _Second([("Total １２.５０", 0.99), ("TAX 6%", 0.98), ("CASH 28.00", 0.70), ("DATE 01/02/2025", 0.98),
                      ("Invoice No. GT\\5153", 0.97)],
                     [("DATE 01/02/2025", 0.97)])  # the date, agreed, is cut out again; the total is not
    out, agreed, disagreed = cross_check_digits(img, lines, 0.97, second)
    assert (agreed, disagreed, second.asked) == (2, 3, 5) and not second.calls
    assert not out[6].agreed and out[6].confidence == 0.90
    assert out[0].text == "TOTAL 12.50" and out[0].confidence == 0.99 and out[0].words == w and out[0].agreed
    assert not any(ln.agreed for ln in out[1:5])
    assert out[5].agreed and out[5].confidence == 0.99 and out[5].text == "DATE 01/02/2025"
    assert out[1].text == "TAX 6%" and out[1].confidence == 0.90
    assert out[2].text == "CASH 20.00" and out[2].confidence == 0.90
    assert out[3:5] == lines[3:5]


@pytest.mark.parametrize(("text", "asked"), [
    ("Invoice No. 4711", True), ("Rechnung Nr: R-88", True), ("N° F2024-7", True), ("# INV-3", True),
    ("INV-2026-7309", True), ("35040727", True),                      # a number under its header-row label
    ("Qty 4711", False), ("Total 1,234.56", False), ("12.345,67 EUR", False), ("Page 1 of 2", False),
])
def test_a_document_number_is_read_twice_whatever_its_score(text, asked):
    from streams.ocr.engines import Box, Line
    from streams.ocr.reader import cross_check_digits

    second = _Second([(text, 0.99)], [(text, 0.99)])
    out, agreed, _ = cross_check_digits(np.full((40, 400, 3), 255, np.uint8), [Line(text, 0.995, Box(10, 5, 300, 30))],
                                        0.97, second)
    assert second.asked == int(asked) and out[0].agreed is asked


def test_a_letterhead_name_is_read_twice_for_agreement_only():
    from streams.ocr.engines import Box, Line
    from streams.ocr.reader import cross_check_digits

    lines = [Line("KEDAI MAJU JAYA", 0.96, Box(10, 5, 300, 30)),           # the first line, above any number
             Line("ROSSMANN", 0.97, Box(10, 40, 300, 60)),                  # a logo the second model misreads
             Line("NO 5, JALAN RIA", 0.99, Box(10, 70, 300, 90)),           # the first number: the letterhead ends
             Line("THANK YOU", 0.99, Box(10, 100, 300, 120)),               # below it: not asked
             Line("UNIHAKKA TRADING SDN BHD", 0.95, Box(10, 130, 300, 150))]  # a company's legal form: asked anywhere
    img = np.full((160, 400, 3), 255, np.uint8)
    second = _Second([("KEDAI MAJU JAYA", 0.99), ("RSSMANN", 0.99), ("UNIHAKKA TRADING SDN BHD", 0.99)],
                     [("KEDAI MAJU JAYA", 0.98), ("UNIHAKKA TRADING SDN BHD", 0.98)])  # the second cut
    out, agreed, disagreed = cross_check_digits(img, lines, 0.97, second)
    assert (second.asked, agreed, disagreed) == (3, 2, 1)
    assert out[0].agreed and out[0].confidence == 0.96  # agreement flagged, the score left as it was
    assert out[1] == lines[1]  # a disagreement leaves a name's first reading alone
    assert out[4].agreed and out[2:4] == lines[2:4]
    # a name the second cut reads otherwise is not agreed, and stays as it was
    second = _Second([("KEDAI MAJU JAYA", 0.99), ("ROSSMANN", 0.99), ("UNIHAKKA TRADING SDN BHD", 0.99)],
                     [("KEDAI MAJU JAVA", 0.98), ("ROSSMANN", 0.99), ("UNIHAKKA TRADING SDN BHD", 0.98)])
    out, agreed, _ = cross_check_digits(img, lines, 0.97, second)
    assert out[0] == lines[0] and out[1].agreed and out[4].agreed and agreed == 2


def test_a_reading_that_changes_with_the_cut_is_not_an_agreement():
    """The second model read "GT15153" like the first on one cut and "GT\\5153" on the other
    (a scanned invoice, measured): the line is doubtful, not confirmed."""
    from streams.ocr.engines import Box, Line
    from streams.ocr.reader import _CHECK_PADS, cross_check_digits

    assert len(_CHECK_PADS) == 2
    line = Line("Invoice No. GT15153", 0.97, Box(10, 5, 300, 30))
    second = _Second([("Invoice No. GT15153", 0.97)], [("Invoice No. GT\\5153", 0.98)])
    out, agreed, disagreed = cross_check_digits(np.full((40, 400, 3), 255, np.uint8), [line], 0.97, second)
    assert (agreed, disagreed) == (0, 1)
    assert not out[0].agreed and out[0].confidence <= 0.90
    both = _Second([("Invoice No. GT15153", 0.97)], [("Invoice No. GT15153", 0.98)])
    out, agreed, _ = cross_check_digits(np.full((40, 400, 3), 255, np.uint8), [line], 0.97, both)
    assert agreed == 1 and out[0].agreed and out[0].confidence == 0.97 and not both.calls


def test_small_print_dates_and_numbers_are_confirmed_by_a_second_cut_that_stays_on_their_line(reader):
    """A public invoice image in 14 px print (Azure-Samples, MIT; tests/corpus/public-invoices): a
    second cut at 8 px took in half of the lines above and below, read "654123" as "65412323" and
    left every date and number of the header unconfirmed; the tighter cut confirms them."""
    from pathlib import Path

    from streams.ocr.raster import iter_pages

    data = (Path(__file__).parents[2] / "corpus/public-invoices/azdi__invoice-english-britain2.png").read_bytes()
    page = reader.read_image(next(iter_pages(data, dpi=200, max_pages=1)).image)
    agreed = {ln["text"] for ln in page["lines"] if ln["agreed"]}
    assert {"654123", "15/01/2023", "MSFT987"} <= agreed

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


def test_detection_budget_is_an_area_so_a_till_roll_keeps_its_width():
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

"""Invoices accepted whole only on second readings: the due date beside an early-payment
discount deadline, totals printed once and confirmed by another printing or by the tax at its
printed rate (streams/extract/multilingual.py, amounts.py)."""

from __future__ import annotations

import pytest

from tests.streams.extract.test_extract_multilingual import fields_of, layout, run

HEAD = [[("Muster GmbH", 120)], [("RECHNUNG", 120)],
        [("Rechnungsnummer:", 120), ("RE-2026-0042", 700)],
        [("Rechnungsdatum:", 120), ("03.04.2026", 700)],
        [("Nettobetrag", 900), ("100,00 EUR", 1200)],
        [("MwSt 19%", 900), ("19,00 EUR", 1200)],
        [("Gesamtbetrag", 900), ("119,00 EUR", 1200)]]


@pytest.mark.parametrize("discount", [
    [("Zahlbar mit 2% Skonto bis", 120), ("14.04.2026", 700)],  # its own row, label and date in two boxes
    [("Zahlbar innerhalb 30 Tagen netto bis 03.05.2026, 2% Skonto innerhalb 10 Tagen bis 13.04.2026.", 120)],
])
def test_an_early_payment_discount_deadline_is_not_a_second_due_date(discount):
    rows = [*HEAD, [("Zahlbar ohne Abzug bis", 120), ("03.05.2026", 700)], discount]
    f = fields_of(run(layout(rows)))["due_date"]
    assert f["normalized"] == "2026-05-03" and f["status"] == "accept"


def test_two_due_dates_that_are_not_a_discount_deadline_still_go_to_review():
    rows = [*HEAD, [("Zahlbar ohne Abzug bis", 120), ("03.05.2026", 700)], [("Fällig am", 120), ("13.04.2026", 700)]]
    f = fields_of(run(layout(rows)))["due_date"]
    assert f["status"] == "review" and "read differently" in f["reason"]

"""Payment terms join the invoice date and the due date (streams/extract/terms.py)."""

from __future__ import annotations

import pytest

from streams.extract.terms import days_of_terms
from tests.streams.extract.test_extract_multilingual import fields_of, layout, run


@pytest.mark.parametrize("text, days", [
    ("Payment terms: Net 30.", 30), ("Zahlbar innerhalb von 14 Tagen ohne Abzug.", 14),
    ("Paiement à 45 jours.", 45), ("Te betalen binnen 30 dagen.", 30), ("Pago a 60 días.", 60),
    ("Pagamento entro 30 giorni.", 30), ("Płatne w terminie 14 dni.", 14),
    ("Zahlbar innerhalb 10 Tagen mit 2 % Skonto, innerhalb 30 Tagen netto.", 30),
    ("Payable within 10 days, or within 30 days.", None),  # two periods, neither net: no check
    ("Due upon receipt.", None),
])
def test_the_net_period_of_the_payment_terms(text, days):
    assert days_of_terms(text) == days


def _invoice(due: str, terms: str, source: str = "ocr"):
    rows = [[("RECHNUNG", 900)], [("Rechnungsnummer:", 900), ("RE-7", 1300)],
            [("Rechnungsdatum:", 900), ("03.04.2026", 1300)], [("Fälligkeitsdatum:", 900), (due, 1300)],
            [("Nettobetrag", 900), ("100,00 EUR", 1300)], [("MwSt 19%", 900), ("19,00 EUR", 1300)],
            [("Gesamtbetrag", 900), ("119,00 EUR", 1300)], [(terms, 120)]]
    return fields_of(run(layout(rows, conf=0.95), source=source))


def test_ocr_dates_that_the_terms_join_are_accepted_and_others_are_not():
    f = _invoice("03.05.2026", "Zahlbar innerhalb von 30 Tagen ohne Abzug.")
    assert f["invoice_date"]["status"] == f["due_date"]["status"] == "accept"
    assert "30 days of the payment terms" in f["due_date"]["reason"]
    f = _invoice("04.05.2026", "Zahlbar innerhalb von 30 Tagen ohne Abzug.")  # 31 days: a misread somewhere
    assert f["invoice_date"]["status"] == f["due_date"]["status"] == "review"
    f = _invoice("03.05.2026", "Vielen Dank für Ihren Auftrag.")  # no terms: nothing joins them
    assert f["due_date"]["status"] == "review"

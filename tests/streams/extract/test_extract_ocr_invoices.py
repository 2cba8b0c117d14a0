"""OCR'd invoice images in Portuguese, Italian, Spanish, Dutch, French, German and English:
labels of those languages, values beside or under them on rows OCR did not align, and
what is inferred (a currency from the country) staying in review."""

from __future__ import annotations

import pytest

from streams.extract.normalize import normalize_date
from tests.streams.extract.test_extract_multilingual import fields_of, layout, run

PORTUGUESE = [[("CONTOSO LDA.", 120), ("FATURA", 1200)],
              [("N.º Fatura: FT2020/15", 120)],
              [("Data da Emissão: 12 de março de 2020", 120)],
              [("Data de vencimento: 11/04/2020", 120)],
              [("Descrição", 120), ("Quantidade", 600), ("Preço Unitário", 900), ("Valor", 1200)],
              [("Janelas", 120), ("3", 600), ("20,00 €", 900), ("60,00 €", 1200)],
              [("Subtotal", 900), ("100,00 €", 1200)],
              [("IVA 23%", 900), ("23,00 €", 1200)],
              [("Total a pagar", 900), ("123,00 €", 1200)]]


def test_a_portuguese_invoice_is_classified_and_read():
    result = run(layout(PORTUGUESE), source="ocr")
    f = fields_of(result)
    assert result["doc_type"] == "invoice"
    assert {k: f[k]["normalized"] for k in ("invoice_number", "invoice_date", "due_date", "total_amount", "currency")} == {
        "invoice_number": "FT2020/15", "invoice_date": "2020-03-12", "due_date": "2020-04-11",
        "total_amount": "123.00", "currency": "EUR"}
    assert f["total_amount"]["status"] == "accept"  # 100,00 + 23,00 = 123,00


@pytest.mark.parametrize("text, iso", [("12 de março de 2020", "2020-03-12"), ("3 fevereiro 2021", "2021-02-03"),
                                       ("30 de setembro de 2019", "2019-09-30"), ("1 outubro 2022", "2022-10-01"),
                                       ("5 dezembro 2020", "2020-12-05")])
def test_portuguese_month_names_are_read(text, iso):
    assert normalize_date(text).normalized == iso


def test_an_english_out_is_not_taken_for_outubro():
    assert normalize_date("checked 5 out 2020").normalized is None


@pytest.mark.parametrize("head, value", [("Numero Documento", "54321"), ("Número de documento", "A-2021-77"),
                                         ("N.º Documento", "FT 77".replace(" ", ""))])
def test_the_document_number_head_of_an_italian_or_iberian_reference_row_is_the_invoice_number(head, value):
    rows = [[("Fattura", 1200)],
            [("Codice Cliente", 120), ("Data Documento", 700), (head, 1100)],
            [("1234ABC", 120), ("10-02-2022", 700), (value, 1100)],
            [("Totale", 900), ("125,00 €", 1200)]]
    f = fields_of(run(layout(rows), source="ocr"))
    assert f["invoice_number"]["normalized"] == value
    assert f["invoice_date"]["normalized"] == "2022-02-10"

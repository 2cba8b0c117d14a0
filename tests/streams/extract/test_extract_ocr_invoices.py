"""OCR'd invoice images in Portuguese, Italian, Spanish, Dutch, French, German and English:
labels of those languages, values beside or under them on rows OCR did not align, and
what is inferred (a currency from the country) staying in review."""

from __future__ import annotations

import pytest

from streams.extract.normalize import normalize_amount, normalize_date
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


def box(text: str, x: float, y: float, h: float = 20.0, conf: float = 0.99) -> dict:
    """One OCR line at page pixels (x, y): OCR rows are not aligned like a text layer's."""
    return {"text": text, "confidence": conf, "low_confidence": False, "words": [],
            "box": {"x0": x, "y0": y, "x1": x + 9.0 * len(text), "y1": y + h}}


HEAD = [box("INVOICE", 300, 40), box("Invoice No", 700, 150), box("12345678", 800, 150),
        box("Invoice Date", 700, 180), box("19/2/2024", 800, 180),
        box("VAT Registration No: GB 123 4567 89", 700, 90)]


def test_a_stacked_sub_total_and_a_total_whose_amount_ocr_put_on_the_next_row_are_read_and_checked():
    # "Sub" over "Total" (one label cut in two), "Total" over "GBP", each amount half a row
    # lower than its label: the boxes of one printed row that OCR placed on two rows.
    lines = HEAD + [box("Bank Details", 348, 647, 17), box("SWIFT CODE", 507, 647, 17), box("MSFTGB99", 574, 645, 19),
                    box("Bank, Redmond", 416, 659, 14), box("IBAN GBP", 507, 661, 18),
                    box("Sub", 737, 644, 22), box("150.00", 830, 654, 21), box("Total", 733, 658, 21),
                    box("IBAN EURO", 507, 677), box("VAT", 737, 692, 19), box("30.00", 834, 699, 21),
                    box("Total", 733, 730, 18), box("GBP", 738, 744, 18), box("180.00", 830, 741, 20),
                    box("IBAN US$", 507, 692)]
    f = fields_of(run(lines, source="ocr"))
    assert {k: f[k]["normalized"] for k in ("subtotal_amount", "tax_amount", "total_amount", "currency")} == {
        "subtotal_amount": "150.00", "tax_amount": "30.00", "total_amount": "180.00", "currency": "GBP"}
    # OCR read each once; subtotal + tax = total is the second reading that lets them through
    assert f["total_amount"]["status"] == "accept" and "150.00 + tax 30.00 = total" in f["total_amount"]["reason"]


def test_an_amount_on_the_next_printed_row_is_not_the_labels():
    # no vertical overlap: "Total" has no value beside it, the row below is another row
    lines = HEAD + [box("Total", 733, 700, 18), box("180.00", 830, 722, 20)]
    assert fields_of(run(lines, source="ocr"))["total_amount"]["normalized"] is None


def test_an_amount_on_a_row_with_a_label_of_its_own_is_not_taken_across_rows():
    lines = HEAD + [box("Total", 733, 700, 18), box("Discount", 650, 712, 18), box("5.00", 830, 710, 20)]
    assert fields_of(run(lines, source="ocr"))["total_amount"]["normalized"] is None


def test_a_discount_pair_in_another_column_does_not_hide_the_total_or_tax_beside_it():
    rows = [[("INVOICE", 700)], [("NUMBER:", 700), ("654123", 900)],
            [("Agency Discount @ 0%", 100), ("0.00", 500), ("Net", 700), ("98,640.00", 900)],
            [("Prepayment Discount 0%", 100), ("0.00", 500), ("VAT@20%", 700), ("19,728.00", 900)],
            [("Series Discount 0%", 100), ("0.00", 500), ("GBP TOTAL", 700), ("118,368.00", 900)]]
    f = fields_of(run(layout(rows), source="ocr"))
    assert {k: f[k]["normalized"] for k in ("subtotal_amount", "tax_amount", "total_amount")} == {
        "subtotal_amount": "98640.00", "tax_amount": "19728.00", "total_amount": "118368.00"}
    assert f["total_amount"]["status"] == "accept"


def test_a_discount_on_the_total_labels_own_side_still_blocks_it():
    rows = [[("INVOICE", 700)], [("Discount", 500), ("Total", 700), ("10.00", 900)]]
    assert fields_of(run(layout(rows), source="ocr"))["total_amount"]["normalized"] is None


def test_a_number_under_a_title_standing_alone_is_read_for_review():
    # "Tax Invoice" with the number under it in its column; a row of the address beside
    # comes between them
    lines = [box("Contoso LTD", 303, 99, 14), box("Windsor tower, 123th Floor", 302, 115, 17),
             box("Tax Invoice", 547, 111, 24), box("Kalina, Santacruz East", 305, 133, 16),
             box("400098 GSTIN: 12ABCDE0123A1A2", 301, 149, 18), box("MSFT0011223344", 530, 145, 19),
             box("INVOICE TO", 302, 182, 17), box("Microsoft Corporation India Pvt Ltd", 302, 201, 17),
             box("SUBTOTAL", 618, 591, 17), box("6,00,000.00", 807, 592, 17), box("IGST", 619, 609, 18),
             box("1,08,000.00", 806, 610, 17), box("TOTAL DUE", 621, 706, 24), box("7,08,000.00", 788, 705, 20)]
    f = fields_of(run(lines, source="ocr"))["invoice_number"]
    assert f["normalized"] == "MSFT0011223344" and f["status"] == "review"


def test_a_plain_number_label_beside_the_title_is_read_for_review_and_a_labelled_number_wins():
    rows = [[("INVOICE", 700)], [("NUMBER:", 700), ("654123", 900)], [("DATE:", 700), ("15/01/2023", 900)]]
    f = fields_of(run(layout(rows), source="ocr"))["invoice_number"]
    assert f["normalized"] == "654123" and f["status"] == "review"
    labelled = fields_of(run(layout(rows + [[("Invoice No:", 700), ("INV-9", 900)]]), source="ocr"))["invoice_number"]
    assert labelled["normalized"] == "INV-9"


@pytest.mark.parametrize("rows", [
    [[("Statement", 700)], [("NUMBER:", 700), ("654123", 900)], [("Bill to: Acme Ltd", 100)],  # no invoice title
     [("Subtotal", 700), ("10.00", 900)], [("VAT", 700), ("2.00", 900)], [("Amount due", 700), ("12.00", 900)]],
    [[("INVOICE", 700)], [("Account Number:", 700), ("654123", 900)]],  # a word before the plain label
    [[("INVOICE", 700)], [("NUMBER:", 700), ("654123", 900)], [("INVOICE", 700)], [("777888", 700)]],  # two disagree
])
def test_unlabelled_numbers_are_not_guessed(rows):
    result = run(layout(rows), source="ocr")
    assert result["doc_type"] == "invoice"
    assert fields_of(run(layout(rows), source="ocr"))["invoice_number"]["normalized"] is None


DUTCH_NO_CURRENCY = [[("CONTOSO B.V.", 120), ("FACTUUR", 1200)], [("Damrak 1", 120)], [("1012 LG Amsterdam", 120)],
                     [("{country}", 120)], [("Factuurnummer:", 120), ("2020-17", 700)],
                     [("Factuurdatum:", 120), ("02.01.2020", 700)],
                     [("Subtotaal", 900), ("100,00", 1200)], [("BTW 10%", 900), ("10,00", 1200)],
                     [("Totaal", 900), ("110,00", 1200)]]


def _with_country(*names: str) -> list[dict]:
    rows = [r for r in DUTCH_NO_CURRENCY if r[0][0] != "{country}"]
    return layout(rows[:3] + [[(n, 120)] for n in names] + rows[3:])


def test_a_currency_inferred_from_the_one_country_the_addresses_name_stays_in_review():
    f = fields_of(run(_with_country("Nederland"), source="ocr"))
    assert f["currency"]["normalized"] == "EUR" and f["currency"]["status"] == "review"
    assert "inferred" in f["currency"]["reason"]
    # the amounts it would belong to are still read and checked on their own
    assert f["total_amount"]["normalized"] == "110.00" and f["total_amount"]["status"] == "accept"


@pytest.mark.parametrize("names", [(), ("Nederland", "United Kingdom")])
def test_no_country_or_two_countries_infer_no_currency(names):
    assert fields_of(run(_with_country(*names), source="ocr"))["currency"]["normalized"] is None


@pytest.mark.parametrize("title, label, field", [
    ("FACTUUR", "Factuur datum:", "invoice_date"), ("RECHNUNG", "Rechnungs datum:", "invoice_date"),
    ("FATTURA", "Datafattura:", "invoice_date"), ("FACTURA", "Fechade factura:", "invoice_date"),
    ("FACTUUR", "Verval datum:", "due_date"), ("FATTURA", "Numerofattura:", "invoice_number"),
    ("FATURA", "N.ºFatura:", "invoice_number"),
])
def test_labels_ocr_split_at_their_joint_or_joined_are_still_labels(title, label, field):
    value = "2020-0042" if field == "invoice_number" else "03.04.2026"
    rows = [[(title, 120)], [(label, 120), (value, 700)], [("Totaal / Total", 900), ("110,00 €", 1200)]]
    f = fields_of(run(layout(rows), source="ocr"))
    assert f[field]["normalized"] == ("2020-0042" if field == "invoice_number" else "2026-04-03")


@pytest.mark.parametrize("text, want", [("1.234, 56 €", "1234.56"), ("110 ,00€", "110.00"), ("EUR 1 234, 56", "1234.56")])
def test_a_space_ocr_put_beside_the_decimal_mark_is_closed_up_and_said(text, want):
    parsed = normalize_amount(text)
    assert parsed.normalized == want and parsed.quality < 1.0 and "decimal mark" in (parsed.reason or "")


def test_a_gap_beside_a_comma_without_a_currency_is_no_amount():
    assert normalize_amount("12, 50").normalized is None


def test_an_amount_with_an_ocr_decimal_gap_is_the_whole_amount_not_its_cents():
    rows = [[("FACTUUR", 120)], [("Factuurnummer:", 120), ("2020-17", 700)],
            [("Subtotaal", 900), ("1.020, 30 €", 1200)], [("BTW 21%", 900), ("214, 26 €", 1200)],
            [("Totaal", 900), ("1.234, 56 €", 1200)]]
    f = fields_of(run(layout(rows), source="ocr"))
    assert (f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"], f["total_amount"]["normalized"]) == (
        "1020.30", "214.26", "1234.56")
    assert f["total_amount"]["status"] == "accept"  # subtotal + tax = total: the arithmetic is the second reading

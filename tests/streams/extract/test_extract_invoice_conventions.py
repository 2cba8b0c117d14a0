"""rules-3 on conventions that digital invoices from many producers print (found on the
development half of tests/corpus/digital-invoices; the layouts here are made up): Swiss
apostrophe thousands, a paid amount beside a total's column head, a series prefix before the
number, shipping in the arithmetic, a bare "$" on a Canadian address, the number's case,
"Total paid with VAT", a Czech total printed with no label, a date by the number, a prime for
thousands, Spanish "Impuesto", a total before tax alone, "Termin zapłaty", a series letter after
the number, a peso "$", a letter's dateline, more ISO currency codes."""

from __future__ import annotations

import pytest

from tests.streams.extract.test_extract_multilingual import fields_of, layout, run

HEAD = [[("Beispiel AG", 120)], [("Invoice", 120)], [("Invoice No: R-2023-5", 120)], [("Date: 30.06.2023", 120)]]


def test_swiss_apostrophe_thousands_are_one_amount_and_the_arithmetic_holds():
    """ "8'390.40" read as 390.40 once made 360.00 + 30.40 = 390.40 add up: a wrong total accepted."""
    rows = HEAD + [[("Sub-Total", 900), ("7'360.00", 1300)], [("plus VAT 14%", 900), ("1'030.40", 1300)],
                   [("Total", 900), ("CHF 8’390.40", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"]) == (
        "8390.40", "7360.00", "1030.40")
    assert f["total_amount"]["status"] == "accept" and "subtotal 7360.00 + tax 1030.40" in f["total_amount"]["reason"]


def test_a_paid_amount_beside_a_totals_column_head_is_not_the_total():
    """Polish tax summary: "Wartość brutto | Zapłacono 0,00 zł" on the head row, the gross under it."""
    rows = [[("Faktura nr FV 7/2021", 120)], [("Data wystawienia: 2021-07-30", 120)],
            [("Stawka VAT", 120), ("Wartość netto", 400), ("Kwota VAT", 700), ("Wartość brutto", 1000),
             ("Zapłacono", 1300), ("0,00 zł", 1500)],
            [("23%", 120), ("22 222,00", 400), ("5 111,06", 700), ("27 333,06", 1000), ("Do zapłaty", 1300),
             ("27 333,06 zł", 1500)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "27333.06"
    assert f["invoice_number"]["normalized"] == "FV 7/2021"  # the series prefix belongs to the number


@pytest.mark.parametrize("title, number", [("RECHNUNG NR 4711", "4711"), ("Invoice No. INV 0042", "INV 0042"),
                                           ("Faktura nr FV/2021/07/001", "FV/2021/07/001")])
def test_a_series_prefix_is_kept_and_the_labels_own_number_word_is_not_one(title, number):
    rows = [[("Muster GmbH", 120)], [(title, 120)], [("Datum: 05.03.2024", 120)],
            [("Nettobetrag", 900), ("100,00 EUR", 1300)], [("MwSt 19%", 900), ("19,00 EUR", 1300)],
            [("Gesamtbetrag", 900), ("119,00 EUR", 1300)]]
    result = run(layout(rows))
    assert result["doc_type"] == "invoice"
    assert fields_of(result)["invoice_number"]["normalized"] == number


@pytest.mark.parametrize("label", ["Payment until:", "Fecha de Vencimiento de Pago:"])
def test_due_date_labels_that_name_the_payment(label):
    rows = HEAD + [[(label, 120), ("30.07.2023", 600)], [("Total", 900), ("EUR 119.00", 1300)]]
    assert fields_of(run(layout(rows)))["due_date"]["normalized"] == "2023-07-30"


def test_shipping_and_handling_is_part_of_the_arithmetic():
    rows = [[("Company Inc.", 120)], [("123 Main St, Springfield, IL 62701", 120)], [("INVOICE NO. 98765432", 120)],
            [("Invoice Date: 01/15/2024", 120)],
            [("SUBTOTAL", 900), ("109.90", 1300)], [("SALES TAX", 900), ("10.99", 1300)],
            [("SHIPPING & HANDLING", 900), ("5.00", 1300)], [("TOTAL DUE", 900), ("$125.89", 1300)]]
    total = fields_of(run(layout(rows)))["total_amount"]
    assert total["normalized"] == "125.89" and total["status"] == "accept"
    assert "charges 5.00 = total" in total["reason"]
    # a wrong charge does not make another number the total
    rows[-2] = [("SHIPPING & HANDLING", 900), ("7.00", 1300)]
    assert fields_of(run(layout(rows)))["total_amount"]["status"] != "accept"


@pytest.mark.parametrize("address, code, accepted", [
    ("Seattle, WA 98109", "USD", True),            # a US address: the US dollar
    ("Redmond WA, 98052", "USD", True),
    ("North Saanich, BC V8L 4Z8", "CAD", False),   # a Canadian postcode: its dollar, for a person to confirm
    ("GST/HST No. 123456789 RT0001", "CAD", False),
    ("Sydney NSW 2000", "USD", False),             # an Australian address without its ABN: which dollar?
    (None, "USD", True),                           # no country at all: every labelled one was USD
])
def test_a_bare_dollar_is_not_the_us_dollar_on_a_canadian_or_australian_document(address, code, accepted):
    rows = [[("Acme Consulting", 120)]] + ([[(address, 120)]] if address else []) + [
        [("Invoice Number: 1001", 120)], [("Invoice Date: January 26, 2019", 120)],
        [("Subtotal", 900), ("$100.00", 1300)], [("Tax", 900), ("$10.00", 1300)], [("Total", 900), ("$110.00", 1300)]]
    currency = fields_of(run(layout(rows)))["currency"]
    assert currency["normalized"] == code
    assert (currency["status"] == "accept") is accepted


@pytest.mark.parametrize("label, code", [("Amount due in AUD:", "AUD"), ("Total (CAD)", "CAD"), ("Total", "USD")])
def test_a_dollar_code_in_the_totals_own_row_says_which_dollar_the_sign_is(label, code):
    rows = [[("Widgets R Us", 120)], [("Sydney NSW 2000", 120)], [("Invoice Number: 987654321", 120)],
            [("Subtotal", 900), ("$474.35", 1300)], [("GST (10%):", 900), ("$47.44", 1300)],
            [(label, 900), ("$521.79", 1300)]]
    currency = fields_of(run(layout(rows)))["currency"]
    assert currency["normalized"] == code
    assert (currency["status"] == "accept") is (code != "USD")  # without it, an Australian page's "$" is in doubt


@pytest.mark.parametrize("printed", ["Tuesday, March 12, 2024", "Tue, 12 Mar 2024", "12-Mar-24", "12/Mar/2024"])
def test_a_labelled_date_with_its_weekday_or_a_ledgers_short_year_is_read_by_its_label(printed):
    rows = [[("Acme Ltd", 120)], [("INVOICE", 120)], [("Invoice No: 4711", 120)], [(f"Invoice Date: {printed}", 120)],
            [("Total", 900), ("EUR 10.00", 1300)]]
    f = fields_of(run(layout(rows)))["invoice_date"]
    assert (f["normalized"], f["reason"].split(";")[0]) == ("2024-03-12", "found by label")


@pytest.mark.parametrize("label", ["Destinataire", "Dirección de facturación", "Intestatario", "Kupujący", "Kund",
                                   "Invoiced to", "Recipient"])
def test_buyer_headings_of_more_languages_and_forms_head_the_customers_block(label):
    rows = [[("Acme Ltd", 120)], [("1 High Street, London", 120)], [("INVOICE", 120)], [("Invoice No: 4711", 120)],
            [("Date: 2024-03-12", 120)], [(label, 120)], [("Globex Trading Ltd", 120)], [("42 Elm Road", 120)],
            [("Leeds LS1 4AP", 120)], [("Total", 900), ("GBP 120.00", 1300)]]
    f = fields_of(run(layout(rows)))["customer"]
    assert f["normalized"] == "Globex Trading Ltd" and f"the label {label!r}" in f["reason"]


def test_a_documents_title_is_never_the_addressee():
    rows = [[("Acme Ltd", 120)], [("1 High Street, London", 120)], [("INVOICE", 120)], [("Invoice No: 4711", 120)],
            [("Date: 2024-03-12", 120)], [("Attention", 120)], [("Globex Trading Ltd", 120)], [("42 Elm Road", 120)],
            [("Leeds LS1 4AP", 120)], [("Total", 900), ("GBP 120.00", 1300)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] != "INVOICE"


def test_a_customer_label_in_a_forms_row_takes_the_cell_beside_it_not_the_next_label_under_it():
    # a payment advice: "Customer  Globex Trading" as two cells, "Amount Due" (another field's label) under it
    rows = [[("Acme Ltd", 120)], [("INVOICE", 120)], [("Invoice No: 4711", 120)], [("Date: 2024-03-12", 120)],
            [("Total", 900), ("$100.00", 1300)], [("PAYMENT ADVICE", 120)], [("Customer", 900), ("Globex Trading", 1250)],
            [("Amount Due", 900), ("$100.00", 1250)]]
    f = fields_of(run(layout(rows)))["customer"]
    assert (f["normalized"], f["reason"].split(";")[0]) == ("Globex Trading", "found by right of the label 'Customer'")
    rows[6] = [("Customer", 900), ("Invoice Date", 1250)]  # a grid of labels: nothing to take
    assert fields_of(run(layout(rows)))["customer"]["normalized"] not in ("Invoice Date", "Amount Due")


def test_a_currency_code_beside_a_customer_label_is_no_customer():
    # "Please make cheques payable / to:" broken over two lines, the total's "GBP" cell beside the "to:"
    rows = [[("Contoso", 120)], [("INVOICE", 120)], [("Invoice No: 4711", 120)], [("Date: 2024-03-12", 120)],
            [("Sub Total", 900), ("150.00", 1300)], [("VAT", 900), ("30.00", 1300)], [("cheques payable", 120)],
            [("to:", 120), ("GBP", 900), ("180.00", 1300)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] is None


def test_an_institutions_quoted_title_under_its_name_is_part_of_the_name():
    rows = [[("Macelleria Rossi S.n.c.", 120)], [("FATTURA n. 211", 900)], [("Data 30/06/2015", 900)], [("Spett.le", 900)],
            [("ISTITUTO SALESIANO", 900)], [('"MARIA AUSILIATRICE"', 900)], [("Via Verdi 1", 900)], [("12045 FOSSANO", 900)],
            [("TOTALE FATTURA EUR", 900), ("277,71", 1300)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] == 'ISTITUTO SALESIANO "MARIA AUSILIATRICE"'


def test_german_labels_with_their_umlauts_written_out_are_labels():
    rows = [[("BüroTech Handels GmbH", 120)], [("GUTSCHRIFT", 120)], [("Rechnungsnummer: GS26-00102", 120)],
            [("Rechnungsdatum: 02.04.2026", 120)], [("Faellig am: 16.04.2026", 120)],
            [("Rechnungsempfaenger: Kanzlei Dr. Sommer", 120)], [("Rechnungsbetrag: -343,91 EUR", 120)]]
    f = fields_of(run(layout(rows)))
    assert f["customer"]["normalized"] == "Kanzlei Dr. Sommer" and f["due_date"]["normalized"] == "2026-04-16"


def test_to_beside_from_heads_the_buyers_block():
    rows = [[("Invoice", 900)], [("Invoice number: 14", 900)], [("Date of issue: May 4, 2026", 900)],
            [("From", 120), ("To", 700)], [("Ada Lovelace", 120), ("Babbage Instruments Ltd", 700)],
            [("12 Analytical Way", 120), ("5 Difference Street", 700)], [("EC1A 1BB London", 120), ("10115 Berlin", 700)],
            [("Total", 900), ("£120.00", 1300)]]
    f = fields_of(run(layout(rows)))["customer"]
    assert (f["normalized"], f["reason"].split(";")[0]) == ("Babbage Instruments Ltd", "found by the block under the label 'To'")


TALLY = [[("Tax Invoice", 700)], [("Sharma Traders", 120), ("Invoice No.", 700), ("Dated", 1100)],
         [("12, MG Road, Pune 411001", 120), ("ST/23-24/0412", 700), ("12-Mar-24", 1100)],
         [("GSTIN/UIN: 27AAPFU0939F1ZV", 120)], [("Buyer (Bill to)", 120)], [("Kumar Enterprises", 120)],
         [("CGST @ 9%", 1000), ("9,000.00", 1300)], [("SGST @ 9%", 1000), ("9,000.00", 1300)],
         [("Total", 120), ("₹ 1,18,000.00", 1300)], [("Amount Chargeable (in words)", 120)],
         [("INR One Lakh Eighteen Thousand Only", 120)]]


def test_an_indian_invoices_cgst_and_sgst_are_two_taxes_and_unconfirmed_parts_stay_for_review():
    f = fields_of(run(layout(TALLY)))
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == ("118000.00", "accept")  # in words
    # equal amounts, two taxes: their sum, and nothing but the total's own reading confirms it
    assert (f["tax_amount"]["normalized"], f["tax_amount"]["status"]) == ("18000.00", "review")
    assert (f["invoice_date"]["normalized"], f["invoice_date"]["reason"].split(";")[0]) == (
        "2024-03-12", "found by label 'Date' (below)")  # "Dated" over the date, Tally's heading


def test_a_uk_postcode_says_a_numeric_date_is_day_first():
    rows = [[("Bright Ideas Ltd", 120)], [("VAT INVOICE", 700)], [("Invoice No:", 900), ("BI-2041", 1200)],
            [("Invoice Date:", 900), ("03/04/2024", 1200)], [("Invoice To:", 120)], [("Northwind Traders Ltd", 120)],
            [("Bristol BS1 4DJ", 120)], [("Net", 1000), ("£500.00", 1300)], [("VAT @ 20%", 1000), ("£100.00", 1300)],
            [("Total", 1000), ("£600.00", 1300)]]
    assert fields_of(run(layout(rows)))["invoice_date"]["normalized"] == "2024-04-03"


@pytest.mark.parametrize("title, number", [("Tax Invoice INV-0042", "INV-0042"), ("VAT INVOICE 0042", "0042"),
                                           ("Proforma Invoice PF-12", "PF-12")])
def test_a_qualified_invoice_title_is_followed_by_its_number(title, number):
    rows = [[("Acme Ltd", 120)], [(title, 900)], [("Date: 12.03.2024", 900)], [("Total", 900), ("EUR 10.00", 1300)]]
    assert fields_of(run(layout(rows)))["invoice_number"]["normalized"] == number


def test_a_nordic_company_number_says_the_country_its_crowns_and_day_first_dates():
    rows = [[("Dansk Design ApS", 120)], [("CVR 12345678", 120)], [("FAKTURA", 900)], [("Fakturanr.", 900), ("3021", 1250)],
            [("Fakturadato", 900), ("05-03-2024", 1250)], [("Kunde", 120)], [("Hygge Møbler A/S", 120)],
            [("Subtotal", 900), ("1.000,00 kr.", 1300)], [("Moms 25%", 900), ("250,00 kr.", 1300)],
            [("I alt", 900), ("1.250,00 kr.", 1300)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_date"]["normalized"] == "2024-03-05"  # a Danish CVR: the day first
    assert (f["currency"]["normalized"], f["currency"]["status"]) == ("DKK", "review")  # "kr." read as the CVR's crowns
    rows[1] = [("Org.nr 556123-4567", 120)]  # a Swedish organisation number
    assert fields_of(run(layout(rows)))["currency"]["normalized"] == "SEK"


def test_a_credit_notes_own_total_label_and_a_corrective_invoices_short_number_label():
    rows = [[("Müller GmbH", 120)], [("Gutschrift", 900)], [("Gutschriftsnummer:", 900), ("GS-2024-5", 1250)],
            [("Datum:", 900), ("05.03.2024", 1250)], [("Netto", 900), ("100,00 €", 1300)],
            [("MwSt. 19 %", 900), ("19,00 €", 1300)], [("Gutschriftsbetrag", 900), ("119,00 €", 1300)]]
    f = fields_of(run(layout(rows)))["total_amount"]
    assert (f["normalized"], f["status"]) == ("119.00", "accept")
    rows = [[("Talleres García S.L.", 120)], [("FACTURA RECTIFICATIVA", 900)], [("Nº:", 900), ("R-2024/002", 1250)],
            [("Fecha:", 900), ("05/03/2024", 1250)], [("Total", 900), ("-121,00 €", 1300)]]
    assert fields_of(run(layout(rows)))["invoice_number"]["normalized"] == "R-2024/002"


@pytest.mark.parametrize("discount", ["-$10.00", "$10.00"])  # printed with or without its minus
def test_a_discount_below_the_subtotal_joins_the_arithmetic(discount):
    rows = [[("Acme Ltd", 120)], [("INVOICE", 900)], [("Invoice No: 4711", 900)], [("Date: 2024-03-12", 900)],
            [("Subtotal", 900), ("$100.00", 1300)], [("Discount 10%", 900), (discount, 1300)], [("Tax", 900), ("$9.00", 1300)],
            [("Total", 900), ("$99.00", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == ("99.00", "accept")
    assert "- discount 10.00 = total" in f["total_amount"]["reason"] and f["tax_amount"]["status"] == "accept"


def test_a_discount_already_inside_the_subtotal_does_not_spoil_the_shippings_arithmetic():
    rows = [[("Acme Ltd", 120)], [("INVOICE", 900)], [("Invoice No: 4711", 900)], [("Date: 2024-03-12", 900)],
            [("Discount (SAVE10)", 900), ("-$10.00", 1300)], [("Subtotal", 900), ("$90.00", 1300)],
            [("Shipping", 900), ("$5.00", 1300)], [("Tax", 900), ("$9.00", 1300)], [("Total", 900), ("$104.00", 1300)]]
    f = fields_of(run(layout(rows)))["total_amount"]
    assert (f["normalized"], f["status"]) == ("104.00", "accept") and "+ charges 5.00" in f["reason"]


def test_the_invoice_number_keeps_its_printed_case_on_a_text_layer_and_is_capitalised_from_ocr():
    rows = HEAD[:2] + [[("Invoice No: 2024-03-10t172205", 120)], [("Date: 10.03.2024", 120)],
                       [("Total", 900), ("EUR 10.00", 1300)]]
    assert fields_of(run(layout(rows)))["invoice_number"]["normalized"] == "2024-03-10t172205"
    rows[2] = [("Invoice No: INv-2026-3840", 120)]  # two OCR models read the v alike
    assert fields_of(run(layout(rows), source="ocr"))["invoice_number"]["normalized"] == "INV-2026-3840"


def test_a_finnish_invoice_with_euros_written_e_is_read_whole():
    rows = [[("Yritys Oy", 120)], [("LASKU", 120)], [("Laskun nro: 4321", 120)], [("Päivämäärä: 18.01.2014", 120)],
            [("Eräpäivä: 01.02.2014", 120)], [("Maksettava: 248,00 e", 120)],
            [("Tuote/palvelu", 120), ("Veroton e", 700), ("ALV e", 1000), ("Verollinen e", 1300)],
            [("Tietotekninen konsultointi", 120), ("200,00", 700), ("48,00", 1000), ("248,00", 1300)],
            [("Maksettava", 900), ("248,00 e", 1300)], [("VAT: FI76543218", 120)]]
    result = run(layout(rows))
    f = fields_of(result)
    assert {k: f[k]["normalized"] for k in ("invoice_number", "invoice_date", "due_date", "total_amount", "currency")} == {
        "invoice_number": "4321", "invoice_date": "2014-01-18", "due_date": "2014-02-01", "total_amount": "248.00",
        "currency": "EUR"}


def test_an_e_after_one_amount_is_not_a_currency():
    rows = HEAD + [[("Subtotal", 900), ("100.00", 1300)], [("Tax", 900), ("10.00", 1300)], [("Total", 900), ("110.00 e", 1300)]]
    assert fields_of(run(layout(rows)))["currency"]["normalized"] != "EUR"


@pytest.mark.parametrize("number_label, date_label", [("Invoice Ref:", "Issued:"), ("Invoice Reference No.", "Document date")])
def test_reference_and_issued_labels(number_label, date_label):
    rows = [[("Acme Ltd", 120)], [("INVOICE", 120)], [(number_label, 120), ("AB-2024-77", 600)],
            [(date_label, 120), ("05.03.2024", 600)], [("Total", 900), ("EUR 119.00", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"]) == ("AB-2024-77", "2024-03-05")


def test_a_plain_reference_under_an_invoice_title_is_its_number_for_review():
    rows = [[("My company", 120)], [("INVOICE", 120)], [("Reference: MG202200000", 120)],
            [("Due date: 20/08/2022", 120)], [("Subtotal without tax", 900), ("165.00 EUR", 1300)],
            [("Tax", 900), ("16.50 EUR", 1300)], [("Amount due", 900), ("181.50 EUR", 1300)]]
    f = fields_of(run(layout(rows)))["invoice_number"]
    assert (f["normalized"], f["status"]) == ("MG202200000", "review")


def test_total_paid_with_vat_is_the_total_and_vat_paid_is_its_tax():
    """A paid invoice: "Paid" there is the tax and the total, not a payment against them."""
    rows = HEAD + [[("Nike Air Max", 120), ("1", 900), ("53 EUR", 1300)], [("Discount", 120), ("1", 900), ("-10 EUR", 1300)],
                   [("Total without VAT", 900), ("43.00 EUR", 1300)], [("VAT Rate", 900), ("20%", 1300)],
                   [("VAT Paid", 900), ("8.60 EUR", 1300)], [("Total paid with VAT", 900), ("51.60 EUR", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"]) == (
        "51.60", "43.00", "8.60")
    assert f["total_amount"]["status"] == "accept"


def test_a_total_printed_without_a_label_under_subtotal_and_tax_is_found_for_review():
    rows = [[("Faktura 20150009", 120)], [("Datum vystavení 10. 02. 2015", 120)],
            [("Celkem bez DPH", 900), ("1 000,00 Kč", 1300)], [("DPH 21 %", 900), ("210,00 Kč", 1300)],
            [("1 210,00 Kč", 1300)], [("Fakturujeme vám následující služby", 120)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["tax_amount"]["normalized"]) == ("1210.00", "210.00")
    # subtotal + tax agree, but no label names it: a person confirms it
    assert f["total_amount"]["status"] == "review" and "without a label" in f["total_amount"]["reason"]


def test_an_unlabelled_amount_that_is_not_subtotal_plus_tax_is_no_total():
    rows = [[("Faktura 20150009", 120)], [("Datum vystavení 10. 02. 2015", 120)],
            [("Celkem bez DPH", 900), ("1 000,00 Kč", 1300)], [("DPH 21 %", 900), ("210,00 Kč", 1300)],
            [("1 200,00 Kč", 1300)]]
    assert fields_of(run(layout(rows)))["total_amount"]["normalized"] is None


def test_the_date_beside_the_invoice_number_is_the_invoice_date_for_review():
    rows = [[("Company Inc.", 120)], [("123 Main St, Springfield, IL 62701", 120)],
            [("INVOICE NO. 98765432 3/14/2024", 120)], [("SUBTOTAL", 900), ("109.90", 1300)],
            [("SALES TAX", 900), ("10.99", 1300)], [("TOTAL DUE BY 4/13/2024", 900), ("$120.89", 1300)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_date"]["normalized"] == "2024-03-14" and f["invoice_date"]["status"] == "review"
    assert f["due_date"]["normalized"] == "2024-04-13"


def test_a_labelled_invoice_date_wins_over_a_date_beside_the_number():
    rows = [[("Company Inc.", 120)], [("INVOICE NO. 98765432 3/14/2024", 120)], [("Invoice Date: 3/15/2024", 120)],
            [("TOTAL", 900), ("$120.89", 1300)]]
    assert fields_of(run(layout(rows)))["invoice_date"]["normalized"] == "2024-03-15"


def test_the_date_under_an_unlabelled_number_under_the_title_is_the_invoice_date_for_review():
    rows = [[("Jane Doe", 120)], [("12 rue de la Paix, 69001 Lyon", 120)], [("N° TVA : FR12123456789", 120)],
            [("FACTURE", 120)], [("2026F02-001", 120)], [("02/03/2026", 120)],
            [("Prestation de services et conseil", 120), ("7 200,00", 1300)], [("Sous-total HT", 900), ("7 200,00 €", 1300)], [("TVA (20 %)", 900), ("1 440,00 €", 1300)],
            [("Total TTC", 900), ("8 640,00 €", 1300)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] == "2026F02-001"
    assert f["invoice_date"]["normalized"] == "2026-03-02" and f["invoice_date"]["status"] == "review"


def test_a_prime_between_thousands_is_a_swiss_thousands_mark():
    """Typst prints "12′760.00" (U+2032): read as 760.00 before."""
    rows = HEAD + [[("Software-Entwicklung", 120), ("CHF 7′200.00", 1300)], [("Frontend", 120), ("CHF 5′560.00", 1300)],
                   [("Gesamtbetrag", 900), ("CHF 12′760.00", 1300)]]
    assert fields_of(run(layout(rows)))["total_amount"]["normalized"] == "12760.00"


def test_spanish_impuesto_is_the_tax_not_a_second_total():
    rows = [[("Festrol Corp Ltd.", 120)], [("Factura", 120)], [("Factura Nº: 1721", 120)], [("Fecha: 25/12/2023", 120)],
            [("Subtotal", 900), ("£720.00", 1300)], [("Total Impuesto", 900), ("£54.70", 1300)],
            [("Total", 900), ("£774.70", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["tax_amount"]["normalized"]) == ("774.70", "54.70")
    assert f["total_amount"]["status"] == "accept"


def test_a_total_before_tax_printed_alone_is_the_total_for_review():
    rows = [[("FerroTech SARL", 120)], [("Invoice No: F-2026-7", 120)], [("Date: 17.03.2026", 120)],
            [("Development", 120), ("12", 700), ("2160 EUR", 1300)], [("Total excl. tax:", 900), ("12030 EUR", 1300)]]
    total = fields_of(run(layout(rows)))["total_amount"]
    assert total["normalized"] == "12030.00" and total["status"] == "review"
    assert "before tax" in total["reason"]


def test_polish_termin_zaplaty_is_the_due_date():
    rows = [[("JP Consulting", 120)], [("Faktura VAT nr FV/123/2018/02", 120)], [("Data wystawienia: 2018-02-06", 120)],
            [("Termin zapłaty: 2018-02-20", 120)], [("Razem do zapłaty:", 900), ("12 340,59 zł", 1300)]]
    assert fields_of(run(layout(rows)))["due_date"]["normalized"] == "2018-02-20"


@pytest.mark.parametrize("number_row, due_row", [
    ([("Reference: MG202200000", 120)], [("Due date:", 120), ("20/08/2022", 300)]),  # the label right beside it
    ([("Reference:", 85), ("MG202200000", 363)], [("Due date:", 86), ("20/08/2022", 362)]),  # a form's label column
])
def test_a_labelled_due_date_under_the_number_is_not_the_invoice_date(number_row, due_row):
    rows = [[("My company", 120)], [("INVOICE", 120)], number_row, due_row, [("Subtotal", 900), ("165.00 EUR", 1300)],
            [("Tax", 900), ("16.50 EUR", 1300)], [("Amount due", 900), ("181.50 EUR", 1300)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_date"]["normalized"] is None and f["due_date"]["normalized"] == "2022-08-20"


def test_a_seller_block_beside_an_unlabelled_buyer_block_is_not_accepted_as_the_customer():
    """A US HTML template: the seller's block (street, ZIP) left, the buyer's (a company, a
    contact, an e-mail) right, no labels. The left block looks like an envelope window."""
    rows = [[("LOGO", 120), ("Invoice #: 123", 1100)], [("Created: January 1, 2023", 1100)],
            [("Due: February 1, 2023", 1100)],
            [("Northwind Traders, Inc.", 120), ("Contoso Corp.", 1100)], [("12345 Sunny Road", 120), ("John Doe", 1100)],
            [("Sunnyville, CA 12345", 120), ("john@example.com", 1100)],
            [("Item", 120), ("Price", 1300)], [("Website design", 120), ("$300.00", 1300)],
            [("Total:", 900), ("$300.00", 1300)]]
    customer = fields_of(run(layout(rows)))["customer"]
    assert not (customer["normalized"] == "Northwind Traders, Inc." and customer["status"] == "accept")


def test_a_series_letter_after_the_number_belongs_to_it():
    rows = [[("Macelleria Rossi S.n.c.", 120)], [("FATTURA n. 211 C", 120)], [("Data: 30/06/2015", 120)],
            [("Imponibile 10%", 900), ("252,46", 1300)], [("IVA 10%", 900), ("25,25", 1300)],
            [("TOTALE FATTURA EUR", 900), ("277,71", 1300)]]
    assert fields_of(run(layout(rows)))["invoice_number"]["normalized"] == "211 C"


@pytest.mark.parametrize("rows", [
    # a Chilean factura: pesos written with a "$" and dots between thousands
    [[("FACTURA ELECTRONICA", 120)], [("Factura N°: 1234", 120)], [("Fecha: 05/03/2024", 120)],
     [("Señor(es): Empresa de prueba", 120)], [("Descripción del servicio prestado", 120), ("$1.030.000", 1300)],
     [("Neto:", 900), ("$1.030.000", 1300)], [("IVA 19%:", 900), ("$195.700", 1300)], [("Total:", 900), ("$1.225.700", 1300)]],
    # no language to go by, but no US amount is written "1.225.700"
    [[("INVOICE", 120)], [("Invoice No: 1234", 120)], [("Date: 2024-03-05", 120)],
     [("Net:", 900), ("$1.030.000", 1300)], [("Tax:", 900), ("$195.700", 1300)], [("Total:", 900), ("$1.225.700", 1300)]],
])
def test_a_bare_dollar_sign_that_may_be_pesos_is_left_for_review(rows):
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "1225700.00"
    assert f["currency"]["status"] == "review"


def test_a_letters_dateline_whose_place_is_the_senders_town_is_the_invoice_date_for_review():
    rows = [[("Macelleria Rossi S.n.c.", 120)], [("Saint- Vincent 30/06/2015", 120)],
            [("P.za Zerbion 27 - 11027 SAINT-VINCENT (AO)", 120)], [("FATTURA n. 211", 120)],
            [("IVA 10%", 900), ("25,25", 1300)], [("TOTALE FATTURA EUR", 900), ("277,71", 1300)]]
    f = fields_of(run(layout(rows)))["invoice_date"]
    assert f["normalized"] == "2015-06-30" and f["status"] == "review"


def test_a_word_before_a_date_that_is_no_town_on_the_page_is_no_dateline():
    rows = [[("Macelleria Rossi S.n.c.", 120)], [("Consegna 24/06/2015", 120)],
            [("P.za Zerbion 27 - 11027 SAINT-VINCENT (AO)", 120)], [("FATTURA n. 211", 120)],
            [("TOTALE FATTURA EUR", 900), ("277,71", 1300)]]
    assert fields_of(run(layout(rows)))["invoice_date"]["normalized"] is None


def test_a_tunisian_dinar_code_is_a_currency():
    rows = [[("Avoir", 120)], [("Avoir N° AV-31", 120)], [("Date : 10/03/2025", 120)],
            [("Total Avoir :", 900), ("570.66 TND", 1300)]]
    assert fields_of(run(layout(rows)))["currency"]["normalized"] == "TND"


def test_a_plain_reference_label_with_a_number_sign_gives_the_number_for_review():
    rows = [[("Festrol Corp Ltd.", 120)], [("FACTURA", 120)], [("Referencia: #1721", 120)], [("Fecha: 25/12/2023", 120)],
            [("Total", 900), ("£774.70", 1300)]]
    number = fields_of(run(layout(rows)))["invoice_number"]
    assert number["normalized"] == "1721" and number["status"] == "review"


def test_a_bilingual_buyer_heading_with_its_translation_in_brackets_heads_the_buyers_column():
    rows = [[("Faktura VAT nr. / VAT Invoice no: FV/123/2018/02", 900)], [("Data wystawienia / Date of issue: 2018-02-06", 900)],
            [("Sprzedawca (Seller)", 130), ("Nabywca (Buyer)", 840)],
            [("JP Consulting Jędrzej Pompka", 130), ("Jakaś Sp. z o.o.", 840)],
            [("Sezamkowa 13", 130), ("Kowalskiego 1a/23", 840)], [("Warszawa 01-234", 130), ("Kraków 67-890", 840)],
            [("Razem do zapłaty:", 260), ("12 340,59 zł", 620)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] == "Jakaś Sp. z o.o."


@pytest.mark.parametrize("tax_id, code", [("RUT: 76.192.083-9", "CLP"), ("CUIT: 30-71234567-1", "ARS")])
def test_a_dollar_sign_on_a_page_with_a_chilean_or_argentine_tax_id_is_their_peso_for_review(tax_id, code):
    rows = [[("Empresa de Prueba", 120)], [(tax_id, 120)], [("FACTURA ELECTRONICA", 120)], [("Factura N°: 1234", 120)],
            [("Fecha: 05/03/2024", 120)], [("Neto:", 900), ("$1.030.000", 1300)], [("IVA:", 900), ("$195.700", 1300)],
            [("Total:", 900), ("$1.225.700", 1300)]]
    currency = fields_of(run(layout(rows)))["currency"]
    assert currency["normalized"] == code and currency["status"] == "review"


def test_a_first_invoices_one_digit_after_the_titles_number_sign_is_its_number_for_review():
    rows = [[("FERROTECH", 120), ("INVOICE #1", 1000)], [("Date: 03/17/2026", 1000)],
            [("Client", 900)], [("Acme Corp", 900)], [("Total", 900), ("2160 EUR", 1300)]]
    f = fields_of(run(layout(rows)))["invoice_number"]
    assert (f["normalized"], f["status"]) == ("1", "review")
    rows[0] = [("FERROTECH", 120), ("INVOICE", 1000)]  # no number sign: a lone digit elsewhere is no number
    rows.insert(1, [("1", 1000)])
    assert fields_of(run(layout(rows)))["invoice_number"]["normalized"] is None


def test_a_shops_return_slip_numbers_its_credit_note_as_a_ticket():
    rows = [[("Ticket d'Avoir", 300)], [("Numéro de Ticket : 31", 300)], [("Produit : savon", 100)],
            [("Quantité : 0", 300)], [("Montant : 0.00 TND", 300)], [("Produit : shampoing", 100)],
            [("Quantité : 4", 300)], [("Montant : 570.66 TND", 300)], [("Total Avoir : 570.66 TND", 300)],
            [("Date : 10/03/2025", 100)], [("Merci pour votre retour !", 100)]]
    result = run(layout(rows))
    assert result["doc_type"] == "credit_note"
    assert fields_of(result)["invoice_number"]["normalized"] == "31"


def test_the_only_date_a_page_prints_is_its_invoice_date_for_review():
    rows = [[("Acme Consulting", 120)], [("INVOICE", 120)], [("Invoice No: 2024-117", 120)], [("March 4, 2024", 1000)],
            [("Subtotal", 900), ("$100.00", 1300)], [("Tax", 900), ("$10.00", 1300)], [("Total", 900), ("$110.00", 1300)]]
    f = fields_of(run(layout(rows)))["invoice_date"]
    assert (f["normalized"], f["status"]) == ("2024-03-04", "review") and "the only date printed" in f["reason"]
    for other in ([("Delivery:", 700), ("March 4, 2024", 1000)],   # a date that says it is another one
                  [("Printed 04.03.2024 10:15", 1000)]):
        rows[3] = other
        assert fields_of(run(layout(rows)))["invoice_date"]["normalized"] is None
    rows[3] = [("March 4, 2024", 1000)]
    rows.insert(4, [("Service: April 1, 2024", 120)])  # two days printed: which one, nothing says
    assert fields_of(run(layout(rows)))["invoice_date"]["normalized"] is None


@pytest.mark.parametrize("label, name", [
    ("ODBĚRATEL", "Apple Czech s.r.o."),       # Czech: the buyer (DODAVATEL is the supplier)
    ("Spett.le_", "Istituto Salesiano"),        # Italian courtesy heading, its underline read as "_"
    ("Asiakas", "Yritys Oy"),                   # Finnish
])
def test_buyer_headings_in_more_languages_head_the_customers_block(label, name):
    rows = [[("Faktura 20150009", 900)], [("Datum: 05.03.2024", 900)], [(label, 900)], [(name, 900)],
            [("Klimentská 1216/46", 900)], [("110 00 Praha", 900)], [("Celkem", 900), ("1 210,00 CZK", 1300)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] == name


@pytest.mark.parametrize("row", ["Sr.(s): Joao Da Silva", "Señor(es): Joao Da Silva", "Receptor: Joao Da Silva"])
def test_spanish_addressee_labels_name_the_customer(row):
    rows = [[("Factura", 900)], [("Nº: 4000-12345678", 900)], [("Fecha: 27/03/2011", 900)], [(row, 120)],
            [("Total:", 900), ("122,00", 1300)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] == "Joao Da Silva"


@pytest.mark.parametrize("number_label, date_label", [("Inv. No.", "Inv. Date"), ("INV #", "Tax point"),
                                                      ("Document No.", "Date/Tax point"), ("Invoice Num", "Invoice Date")])
def test_short_and_uk_labels_of_the_number_and_the_date(number_label, date_label):
    rows = [[("Acme Ltd", 120)], [("VAT INVOICE", 120)], [(f"{number_label}: 10-4471", 120)],
            [(f"{date_label}: 14/02/2024", 120)], [("London EC1A 1BB", 120)], [("United Kingdom", 120)],
            [("Net", 900), ("£100.00", 1300)], [("VAT 20%", 900), ("£20.00", 1300)], [("Total", 900), ("£120.00", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"]) == ("10-4471", "2024-02-14")
    assert "label" in f["invoice_date"]["reason"] and "only date" not in f["invoice_date"]["reason"]


@pytest.mark.parametrize("row", [[("No. 2024-0117", 120)], [("Nr: 2024-0117", 120)], [("N° 2024-0117", 120)],
                                 [("No.", 120), ("2024-0117", 300)]])
def test_a_short_number_label_under_an_invoice_title_is_its_number_for_review(row):
    rows = [[("My company", 120)], [("INVOICE", 120)], row, [("Invoice date: 05.03.2024", 120)],
            [("Net", 900), ("100.00 EUR", 1300)], [("VAT 19%", 900), ("19.00 EUR", 1300)], [("Total", 900), ("119.00 EUR", 1300)]]
    f = fields_of(run(layout(rows)))["invoice_number"]
    assert (f["normalized"], f["status"]) == ("2024-0117", "review")
    rows[1] = [("Order confirmed", 120)]  # no invoice title standing alone: nothing says whose number it is
    result = run(layout(rows))
    assert result["doc_type"] == "invoice" and fields_of(result)["invoice_number"]["normalized"] is None


@pytest.mark.parametrize("rows, total, tax", [
    ([[("Exempel AB", 120)], [("FAKTURA", 120)], [("Fakturanummer: 1001", 120)], [("Fakturadatum: 2024-03-05", 120)],
      [("Summa exkl. moms", 900), ("1 000,00", 1300)], [("Moms 25%", 900), ("250,00", 1300)],
      [("Att betala", 900), ("1 250,00 SEK", 1300)]], "1250.00", "250.00"),
    ([[("Yritys Oy", 120)], [("LASKU", 120)], [("Laskun numero: 4321", 120)], [("Laskun päivämäärä: 18.01.2024", 120)],
      [("Veroton", 900), ("200,00 EUR", 1300)], [("ALV 24%", 900), ("48,00 EUR", 1300)],
      [("Yhteensä", 900), ("248,00 EUR", 1300)]], "248.00", "48.00"),
    ([[("Eksempel ApS", 120)], [("FAKTURA", 120)], [("Fakturanr.: 77", 120)], [("Fakturadato: 05.03.2024", 120)],
      [("Subtotal", 900), ("400,00 DKK", 1300)], [("Moms 25%", 900), ("100,00 DKK", 1300)],
      [("I alt inkl. moms", 900), ("500,00 DKK", 1300)]], "500.00", "100.00"),
])
def test_nordic_and_finnish_totals_add_up_with_their_vat(rows, total, tax):
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["tax_amount"]["normalized"]) == (total, tax)
    assert f["total_amount"]["status"] == "accept" and "+ tax" in f["total_amount"]["reason"]


def test_a_date_written_with_its_month_name_under_the_number_and_a_due_date_right_after_due():
    """invoices-4 dev: the month name's capital once kept the date under the number from matching."""
    rows = [[("My Company AB", 120), ("INVOICE#69", 900)], [("September 14, 2022", 960)], [("due October 14, 2022", 960)],
            [("Client:", 120)], [("Client name", 120)], [("Subtotal", 900), ("$607.50", 1300)],
            [("VAT 0%", 900), ("$0.00", 1300)], [("Balance Due", 900), ("$607.50", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"], f["due_date"]["normalized"]) == (
        "69", "2022-09-14", "2022-10-14")
    rows[2] = [("due upon receipt", 960)]  # "due" before no date is no label
    assert fields_of(run(layout(rows)))["due_date"]["normalized"] is None


def test_a_swiss_rechnungstotal_is_the_total_that_items_and_vat_add_up_to():
    rows = [[("SwissQRBill", 120)], [("Rechnung Nr. 1071672", 120)], [("Musterstadt 29.10.2023", 900)],
            [("Position", 120), ("Anzahl", 250), ("Bezeichnung", 400), ("Total", 1100)],
            [("1", 120), ("14 Std.", 250), ("Programmierung", 400), ("CHF 1'540.00", 1100)],
            [("2", 120), ("8 Std.", 250), ("Dokumentation", 400), ("CHF 880.00", 1100)],
            [("Summe", 400), ("CHF 2'420.00", 1100)], [("MwSt.", 400), ("7.7%", 1100)],
            [("MwSt. Betrag", 400), ("CHF 186.35", 1100)], [("Rechnungstotal", 400), ("CHF 2'606.35", 1100)],
            [("Zahlungsziel: 28.11.2023", 120)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == ("2606.35", "accept")
    assert f["due_date"]["normalized"] == "2023-11-28"


def test_a_to_label_beside_from_names_the_customer():
    rows = [[("Invoice", 1200)], [("DATE: 01/01/2024", 1200)], [("INVOICE: NO. 001", 1200)],
            [("FROM: Company ABC", 200), ("TO: John Doe", 850)], [("ADDRESS: 111 Main Street", 200), ("ADDRESS: 222 Main Street", 850)],
            [("Amount", 1200)], [("Total", 900), ("$1,000.00", 1200)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] == "John Doe"
    rows[3] = [("FROM: Company ABC", 200), ("Ship to John Doe", 850)]  # "to" inside other words is no label
    assert fields_of(run(layout(rows)))["customer"]["normalized"] is None


def test_a_web_shops_products_total_is_not_the_invoice_total():
    """invoices-5 dev: "Total produits" equal to the items once passed as the total, accepted."""
    rows = [[("FACTURE", 1300)], [("Numéro de facture", 100), ("Date de facturation", 400)],
            [("#FA003761", 100), ("29/10/2020", 400)],
            [("Produit", 500), ("Prix unitaire (HT)", 1000), ("Qté", 1250), ("Total (HT)", 1450)],
            [("Soude caustique", 500), ("45,90 €", 1000), ("4", 1280), ("183,60 €", 1450)],
            [("Total produits", 1200), ("183,60 €", 1450)], [("Frais d'expédition", 1150), ("35,00 €", 1450)],
            [("Total (HT)", 1230), ("218,60 €", 1450)], [("Total Taxes", 1220), ("43,72 €", 1450)],
            [("Total", 1290), ("262,32 €", 1450)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"]) == (
        "262.32", "218.60", "43.72")
    assert f["total_amount"]["status"] == "accept"


def test_a_brazilian_nfse_is_an_invoice_read_from_its_grid_of_labels_over_values():
    """invoices-5 dev: the national DANFSe layout (labels over values, withheld taxes beside the value)."""
    rows = [[("DANFSe v2.0", 750)], [("Documento Auxiliar da NFS-e", 650)],
            [("NÚMERO DA NFS-e", 40), ("COMPETÊNCIA DA NFS-e", 440), ("DATA E HORA DA EMISSÃO DA NFS-e", 842)],
            [("999", 40), ("07/04/2026", 440), ("11/02/2026 10:00:00", 843)],
            [("PRESTADOR / FORNECEDOR", 40), ("CNPJ / CPF / NIF", 440)], [("Nome / Nome Empresarial", 40)],
            [("Serviços de Publicidade e Propaganda", 40)], [("Endereço", 40)],
            [("Rua Adolfo Cavalcanti, 686, Vila Cascatinha", 40)],
            [("TOMADOR / ADQUIRENTE", 40), ("CNPJ / CPF / NIF", 440)], [("Nome / Nome Empresarial", 40)],
            [("Bento e Silvana Doces e Salgados Ltda", 40)], [("Endereço", 40)],
            [("Rua José Beraldo Rosa, 100, Parque Campolim", 40)],
            [("TRIBUTAÇÃO MUNICIPAL (ISSQN)", 40)], [("BC ISSQN", 40), ("Alíquota Aplicada", 440)],
            [("R$ 10.000,00", 40), ("5,00%", 440)],
            [("Valor da Operação / Serviço", 440), ("Desconto Incondicionado", 842)], [("VALOR TOTAL DA NFS-E", 40)],
            [("R$ 10.000,00", 441), ("-", 842)],
            [("Total das Retenções (ISSQN / Federais)", 40), ("Valor Líquido da NFS-e", 440)],
            [("R$ 1.115,00", 40), ("R$ 8.885,00", 441)]]
    result = run(layout(rows))
    f = fields_of(result)
    assert result["doc_type"] == "invoice"
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"], f["total_amount"]["normalized"],
            f["currency"]["normalized"]) == ("999", "2026-02-11", "10000.00", "BRL")
    # the parties: the value under each section's "Nome / Nome Empresarial", not the heading or the label
    assert (f["supplier"]["normalized"], f["customer"]["normalized"]) == (
        "Serviços de Publicidade e Propaganda", "Bento e Silvana Doces e Salgados Ltda")


def test_a_chilean_dte_form_with_its_colons_in_the_value_column():
    """invoices-6 dev: "Señor(es)   : Universo Informatico", "Fecha Venc.   : 01-06-2024", "FACTURA
    ELECTRONICA" over "N° 4117"."""
    rows = [[("ERKE CHILE SPA", 700), ("R.U.T.: 76.269.769-6", 1200)], [("FACTURA ELECTRONICA", 1170)], [("N° 4117", 1250)],
            [("Señor(es)", 150), (": Universo Informatico", 360), ("Fecha Venc.", 935), (": 01-06-2024", 1305)],
            [("RUT", 150), (": 44552142-6", 360), ("Fecha emisión", 935), (": 01-06-2024", 1305)],
            [("Dirección", 150), (": JUNIN 605", 360)],
            [("MONTO NETO", 1000), ("$ 27.166", 1300)], [("I.V.A. 19%", 1000), ("$ 5.162", 1300)],
            [("TOTAL", 1000), ("$ 32.328", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["customer"]["normalized"], f["invoice_number"]["normalized"], f["due_date"]["normalized"],
            f["invoice_date"]["normalized"]) == ("Universo Informatico", "4117", "2024-06-01", "2024-06-01")


def test_a_credit_memo_is_a_credit_note_numbered_in_its_title():
    rows = [[("Credit memo 2021/07/000000002", 200)], [("Issued for order: #000000021 Issued at: 14-07-2021", 200)],
            [("BUYER", 80), ("SELLER", 1480)], [("John Doe", 80), ("Sylius", 1480)],
            [("Net value", 1270), ("Tax amount", 1850), ("Gross value", 2130)],
            [("Total", 1000), ("130.35", 1270), ("16.55", 1850), ("146.90", 2130)]]
    result = run(layout(rows))
    assert result["doc_type"] == "credit_note"
    assert fields_of(result)["invoice_number"]["normalized"] == "2021/07/000000002"


def test_a_czech_tax_base_is_the_net_amount_and_share_capital_is_not():
    rows = [[("Jiná firma s.r.o.", 100)], [("Základní kapitál", 100), ("200 000,00 Kč", 400)],
            [("Faktura 20150009", 900)], [("Datum vystavení: 05.03.2024", 900)], [("Datum splatnosti: 19.03.2024", 900)],
            [("Základ daně", 900), ("1 000,00 CZK", 1300)], [("DPH 21%", 900), ("210,00 CZK", 1300)],
            [("Celkem k úhradě", 900), ("1 210,00 CZK", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["subtotal_amount"]["normalized"], f["total_amount"]["normalized"]) == ("1000.00", "1210.00")
    assert f["total_amount"]["status"] == "accept"
    from streams.extract.amounts import _role_of

    assert _role_of("Základní kapitál 200 000,00 Kč") is None  # a company's share capital is no amount of the invoice


def test_a_stripe_style_head_reads_date_due_and_no_date_is_the_supplier():
    """Stripe's invoices label the due date "Date due" and print the dates above the seller's block."""
    rows = [[("Invoice", 120)], [("Invoice number", 120), ("9F3C1A2B-0004", 450)], [("Date of issue", 120), ("March 14, 2024", 450)],
            [("Date due", 120), ("April 13, 2024", 450)], [("Acme Inc.", 120), ("Bill to", 700)],
            [("123 Main Street", 120), ("Jane Doe", 700)], [("San Francisco, California 94103", 120), ("456 Oak Avenue", 700)],
            [("Subtotal", 900), ("$100.00", 1400)], [("Tax (10%)", 900), ("$10.00", 1400)], [("Amount due", 900), ("$110.00 USD", 1400)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_date"]["normalized"], f["due_date"]["normalized"]) == ("2024-03-14", "2024-04-13")
    assert f["supplier"]["normalized"] == "Acme Inc."


def test_a_title_with_its_kind_is_no_supplier():
    """Xero prints "TAX INVOICE" top left and the seller's name in the right column of that row."""
    rows = [[("TAX INVOICE", 120), ("Invoice Date", 800), ("Acme Pty Ltd", 1200)], [("14 Mar 2024", 800)],
            [("Invoice Number", 800)], [("INV-0042", 800)],
            [("Subtotal", 1000), ("1,000.00", 1400)], [("TOTAL GST 10%", 1000), ("100.00", 1400)], [("TOTAL AUD", 1000), ("1,100.00", 1400)]]
    assert fields_of(run(layout(rows)))["supplier"]["normalized"] == "Acme Pty Ltd"


@pytest.mark.parametrize("sub, tax, total, currency", [
    ("¥100,000", "¥10,000", "¥110,000 JPY", "JPY"),
    ("100,000 JPY", "10,000 JPY", "110,000 JPY", "JPY"),
    ("₩1,000,000", "₩100,000", "₩1,100,000", "KRW"),
])
def test_an_invoice_in_a_currency_without_minor_units_reads_its_whole_amounts(sub, tax, total, currency):
    """The yen and the won have no cents: "¥110,000" is a whole amount, not an unreadable one."""
    rows = HEAD + [[("Subtotal", 900), (sub, 1300)], [("Consumption tax 10%", 900), (tax, 1300)], [("Total", 900), (total, 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == (str(int(total.strip("¥₩ JPY").replace(",", ""))) + ".00", "accept")
    assert f["currency"]["normalized"] == currency


@pytest.mark.parametrize("extra, currency", [([], "JPY"), ([[("Beijing, China", 120)]], "CNY")])
def test_a_bare_yen_sign_is_the_yen_or_the_yuan_for_a_person_to_confirm(extra, currency):
    rows = HEAD + extra + [[("Subtotal", 900), ("¥100,000", 1300)], [("Tax 10%", 900), ("¥10,000", 1300)],
                           [("Total", 900), ("¥110,000", 1300)]]
    f = fields_of(run(layout(rows)))["currency"]
    assert (f["normalized"], f["status"]) == (currency, "review")


def test_the_next_fields_label_and_value_under_a_label_is_no_second_reading_of_it():
    """"Invoice No." in its cell with its value beside it, and "Date: 14/03/2024" in the cell under
    it: the date line is the date's, not a second invoice number that disagrees with the first."""
    rows = [[("Acme Ltd", 120)], [("INVOICE", 120)], [("Invoice No.", 900), ("A-1042", 1200)], [("Date: 14/03/2024", 900)],
            [("Subtotal", 900), ("100.00", 1400)], [("VAT 20%", 900), ("20.00", 1400)], [("Total", 900), ("£120.00", 1400)]]
    f = fields_of(run(layout(rows)))["invoice_number"]
    assert (f["normalized"], f["status"]) == ("A-1042", "accept")


@pytest.mark.parametrize("label", ["Total inc VAT", "Total inc. GST", "Total incl. VAT", "Amount Payable", "Invoice Total",
                                   "Total amount due", "Net payable", "Please Pay"])
def test_uk_and_commonwealth_total_labels(label):
    rows = [[("Acme Ltd", 120)], [("INVOICE", 120)], [("Invoice No: A-1042", 900)], [("Date: 14/03/2024", 900)],
            [("Subtotal", 900), ("100.00", 1400)], [("VAT 20%", 900), ("20.00", 1400)], [(label, 900), ("£120.00", 1400)]]
    f = fields_of(run(layout(rows)))["total_amount"]
    assert (f["normalized"], f["status"]) == ("120.00", "accept")


@pytest.mark.parametrize("label", ["Total ilíquido", "Base tributável", "Incidência", "Total sem IVA"])
def test_portuguese_amounts_before_vat(label):
    rows = [[("Exemplo, Lda", 120)], [("FATURA", 120)], [("Fatura n.º", 900), ("FT 2024/42", 1200)], [("Data", 900), ("14/03/2024", 1200)],
            [(label, 900), ("100,00 €", 1400)], [("IVA 23%", 900), ("23,00 €", 1400)], [("Total a pagar", 900), ("123,00 €", 1400)]]
    f = fields_of(run(layout(rows)))
    assert (f["subtotal_amount"]["normalized"], f["total_amount"]["normalized"], f["total_amount"]["status"]) == (
        "100.00", "123.00", "accept")


def _central_european(title, numl, datel, datev, subl, taxl, totl, cur, sup):
    return [[(sup, 120)], [(title, 120)], [(numl, 900), ("2024-042", 1200)], [(datel, 900), (datev, 1200)],
            [(subl, 900), ("1 000,00 " + cur, 1400)], [(taxl, 900), ("210,00 " + cur, 1400)], [(totl, 900), ("1 210,00 " + cur, 1400)]]


@pytest.mark.parametrize("rows, currency", [
    (_central_european("FAKTURA - DAŇOVÝ DOKLAD", "Číslo faktury", "Datum vystavení", "14.03.2024", "Základ daně", "DPH 21 %",
                       "Celkem k úhradě", "Kč", "Firma s.r.o."), "CZK"),
    (_central_european("FAKTÚRA", "Číslo faktúry", "Dátum vyhotovenia", "14.03.2024", "Základ dane", "DPH 20 %",
                       "Celkom k úhrade", "€", "Firma s.r.o."), "EUR"),
    (_central_european("FACTURĂ", "Nr. facturii", "Data emiterii", "14.03.2024", "Total fără TVA", "TVA 19%",
                       "Total de plată", "lei", "Exemplu SRL"), "RON"),
    (_central_european("SZÁMLA", "Számla sorszáma", "Számla kelte", "2024.03.14.", "Nettó összesen", "ÁFA 27%",
                       "Bruttó összesen", "Ft", "Példa Kft."), "HUF"),
    (_central_european("FAKTURA", "Fakturanummer", "Fakturadato", "14.03.2024", "Sum eks. mva", "MVA 25%",
                       "Å betale", "NOK", "Eksempel AS"), "NOK"),
])
def test_czech_slovak_romanian_hungarian_and_norwegian_invoices(rows, currency):
    result = run(layout(rows))
    assert result["doc_type"] == "invoice"
    f = fields_of(result)
    assert {k: f[k]["normalized"] for k in ("invoice_number", "invoice_date", "subtotal_amount", "tax_amount", "total_amount",
                                            "currency")} == {
        "invoice_number": "2024-042", "invoice_date": "2024-03-14", "subtotal_amount": "1000.00", "tax_amount": "210.00",
        "total_amount": "1210.00", "currency": currency}
    assert f["total_amount"]["status"] == "accept"


@pytest.mark.parametrize("text, want", [("12 700 Ft", ("12700.00", "HUF")), ("10 ft", ("10.00", None)),
                                        ("2024.03.14.", None), ("2024. 03. 14.", None)])
def test_forint_amounts_and_hungarian_dates(text, want):
    from streams.extract.normalize import normalize_amount, normalize_date

    if want is None:
        assert normalize_date(text).normalized == "2024-03-14"
    else:
        parsed = normalize_amount(text)
        assert (parsed.normalized, parsed.currency) == want


@pytest.mark.parametrize("sup, totl, want", [("Exempel AB", "Att betala", "SEK"), ("Eksempel AS", "Å betale", "NOK"),
                                             ("Eksempel ApS", "At betale", "DKK"), ("Example", "Total", None)])
def test_kr_without_a_company_number_is_the_crown_its_words_and_legal_form_name_for_review(sup, totl, want):
    rows = _central_european("FAKTURA", "Fakturanummer", "Fakturadato", "14.03.2024", "Subtotal", "Moms 25%", totl, "kr", sup)
    f = fields_of(run(layout(rows)))["currency"]
    assert f["normalized"] == want
    if want:
        assert f["status"] == "review"


@pytest.mark.parametrize("label", ["Invoice/Tax Date", "Tax Date", "Tax Point"])
def test_a_uk_tax_date_is_the_invoice_date(label):
    """Sage's UK invoice prints "Invoice/Tax Date" (the tax point) beside "Invoice No."."""
    rows = [[("Brightwell Supplies Ltd", 100), ("INVOICE", 1300)], [("Invoice No.", 1000), ("12345", 1350)],
            [(label, 1000), ("15/01/2024", 1350)], [("Invoice Total", 1000), ("£1,200.00", 1350)]]
    d = fields_of(run(layout(rows)))["invoice_date"]
    assert (d["normalized"], d["status"]) == ("2024-01-15", "accept")


def test_a_field_label_with_its_colon_at_the_top_is_never_the_supplier():
    """Invoice Ninja's header column starts "PO Number:" beside the logo: a label, not the seller."""
    rows = [[("INVOICE", 100)], [("PO Number:", 900), ("PO-7", 1300)], [("Acme Widgets LLC", 100)],
            [("Invoice Number:", 900), ("0001", 1300)], [("Invoice Date:", 900), ("Jan 15, 2024", 1300)],
            [("Balance Due:", 900), ("$110.00", 1300)]]
    assert fields_of(run(layout(rows)))["supplier"]["normalized"] == "Acme Widgets LLC"


def test_invoice_for_alone_in_its_cell_heads_the_customer_and_an_items_header_is_no_block():
    """Harvest's header table: "Invoice For | Contoso Ltd" without a colon, the items table right under it."""
    rows = [[("Invoice", 100)], [("Northwind Design Co.", 100)], [("Invoice ID", 100), ("001", 500)],
            [("Issue Date", 100), ("01/15/2024", 500)], [("Invoice For", 100), ("Contoso Ltd", 500)],
            [("Item Type", 100), ("Description", 400), ("Quantity", 900), ("Unit Price", 1100), ("Amount", 1350)],
            [("Service", 100), ("Design", 400), ("20.00", 900), ("$50.00", 1100), ("$1,000.00", 1350)],
            [("Amount Due", 1050), ("$1,000.00", 1350)]]
    assert fields_of(run(layout(rows)))["customer"]["normalized"] == "Contoso Ltd"


def test_one_date_for_invoice_and_delivery_is_the_invoice_date():
    """Amazon's EU invoices: "Invoice date / Delivery date  12.03.2024"."""
    rows = [[("Invoice", 100)], [("Invoice date / Delivery date", 100), ("12.03.2024", 700)],
            [("Invoice #", 100), ("DE4ABC12345", 700)], [("Total payable", 100), ("€119.00", 700)]]
    d = fields_of(run(layout(rows)))["invoice_date"]
    assert (d["normalized"], d["status"]) == ("2024-03-12", "accept")


@pytest.mark.parametrize("sentence, due", [
    ("Bitte überweisen Sie den Rechnungsbetrag unter Angabe der Rechnungsnummer bis zum 15.02.2024.", "2024-02-15"),
    # a discount's date after the due date, wrapped to the next line (the ZUGFeRD corpus's intarsys invoice)
    ("Zahlbar innerhalb 30 Tagen netto bis 04.04.2018, 3% Skonto innerhalb 10 Tagen bis\n15.03.2018.", "2018-04-04"),
])
def test_a_long_payment_sentence_gives_the_due_date_and_not_a_later_discount_date(sentence, due):
    rows = [[("Nordlicht Medien UG", 100)], [("Rechnung", 100)], [("Rechnungs-Nr.", 1000), ("RE-1042", 1350)],
            [("Rechnungsdatum", 1000), ("01.02.2018", 1350)], [("Gesamtbetrag", 900), ("595,00 €", 1300)],
            *([(part, 100)] for part in sentence.split("\n"))]
    d = fields_of(run(layout(rows)))["due_date"]
    assert d["normalized"] == due


def test_an_items_amount_under_a_total_column_head_is_never_the_total():
    """Holded's items table heads its last column "Total". Its one item's 1.500,00 under that head was
    taken for the total and "confirmed" by the items' sum (itself): 1500.00 accepted where the invoice's
    total, after IVA and IRPF, is 1.590,00. A wrong value accepted at confidence 1.0."""
    rows = [[("Estudio Sol S.L.", 100)], [("FACTURA", 1300)], [("Nº factura", 1000), ("F240012", 1350)],
            [("Fecha", 1000), ("07/03/2024", 1350)],
            [("Concepto", 100), ("Precio", 800), ("Unidades", 1000), ("Subtotal", 1200), ("Total", 1400)],
            [("Diseño web", 100), ("1.500,00 €", 800), ("1", 1000), ("1.500,00 €", 1200), ("1.500,00 €", 1400)],
            [("Base imponible", 1100), ("1.500,00 €", 1400)], [("IVA 21%", 1100), ("315,00 €", 1400)],
            [("Total", 1100), ("1.590,00 €", 1400)]]
    t = fields_of(run(layout(rows)))["total_amount"]
    assert t["normalized"] == "1590.00" and t["status"] != "accept"


def test_a_date_label_after_a_separator_is_read():
    rows = [[("Acme Ltd", 100)], [("INVOICE", 100)], [("Invoice # A-100 | Date: 15/01/2024 | Due: 14/02/2024", 100)],
            [("Total", 900), ("£120.00", 1300)]]
    d = fields_of(run(layout(rows)))["invoice_date"]
    assert (d["normalized"], d["status"]) == ("2024-01-15", "accept")

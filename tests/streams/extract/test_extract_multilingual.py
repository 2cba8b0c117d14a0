"""rules-3: documents in seven languages, totals by role and arithmetic, receipts, and
an unknown type that goes to review with its reason."""

from __future__ import annotations

import pytest

from inkstream.settings import ExtractionSettings
from streams.extract import extract
from streams.extract.classify import classify_document
from tests.streams.extract.extract_records import line, ocr_result, page


def run(lines, *, version="rules-3", source="text_layer", width=1700, height=2200, **settings):
    pg = page(lines, source=source)
    pg["width"], pg["height"] = width, height
    return extract(ocr_result([pg]), ExtractionSettings(**settings), version=version)


def fields_of(result):
    return {f["name"]: f for f in result["fields"]}


def layout(rows: list[list[tuple[str, float]]], conf: float = 1.0) -> list[dict]:
    return [line(text, row=r, x=x, conf=conf) for r, cells in enumerate(rows) for text, x in cells]


GERMAN = [[("Muster GmbH", 120)], [("RECHNUNG", 120)],
          [("Rechnungsnummer:", 120), ("RE-2026-0042", 700)],
          [("Rechnungsdatum:", 120), ("03.04.2026", 700)],
          [("Kunde:", 120), ("Beispiel AG", 700)],
          [("Beschreibung", 120), ("Menge", 700), ("Einzelpreis", 900), ("Gesamt", 1200)],
          [("Beratung", 120), ("2", 700), ("50,00", 900), ("100,00", 1200)],
          [("Nettobetrag", 900), ("100,00 EUR", 1200)],
          [("MwSt 19%", 900), ("19,00 EUR", 1200)],
          [("Gesamtbetrag", 900), ("119,00 EUR", 1200)],
          [("USt-IdNr. DE123456789  IBAN DE89 3704 0044 0532 0130 00", 120)]]


def test_a_german_invoice_is_read_checked_and_accepted_whole():
    result = run(layout(GERMAN))
    f = fields_of(result)
    assert result["doc_type"] == "invoice"
    assert {k: f[k]["normalized"] for k in ("invoice_number", "invoice_date", "total_amount", "currency",
                                             "subtotal_amount", "tax_amount", "supplier_vat_id", "iban")} == {
        "invoice_number": "RE-2026-0042", "invoice_date": "2026-04-03", "total_amount": "119.00",
        "currency": "EUR", "subtotal_amount": "100.00", "tax_amount": "19.00",
        "supplier_vat_id": "DE123456789", "iban": "DE89370400440532013000"}
    assert f["total_amount"]["status"] == "accept" and "subtotal 100.00 + tax 19.00" in f["total_amount"]["reason"]
    assert result["status"] == "accepted"
    assert all(x["source"] == "text" for x in result["fields"] if x["normalized"])
    # "Kunde: Beispiel AG": an explicit label and plainly a name.
    assert f["customer"]["normalized"] == "Beispiel AG" and f["customer"]["status"] == "accept"
    # The first line at the top has no label: a person or the sender memory confirms it.
    assert f["supplier"]["normalized"] == "Muster GmbH" and f["supplier"]["status"] == "review"


@pytest.mark.parametrize("label, below", [("Käufer/Leistungsempfänger:", "Nummer : GE2020211"),
                                          ("Rechnungsempfänger", "Warenempfänger"), ("Kunde:", "Herrn"),
                                          ("Customer VAT Number", "ESA12345674")])
def test_a_line_under_a_party_label_that_is_not_plainly_a_name_is_not_accepted(label, below):
    rows = [r for r in GERMAN if not r[0][0].startswith("Kunde")]
    rows = rows[:4] + [[(label, 120)], [(below, 120)]] + rows[4:]
    f = fields_of(run(layout(rows)))
    assert f["customer"]["status"] != "accept"


def test_subtotal_and_tax_rows_are_never_the_total():
    rows = [r for r in GERMAN if not r[0][0].startswith("Gesamtbetrag")]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] is None and f["total_amount"]["status"] == "review"


def test_a_total_the_arithmetic_contradicts_goes_to_review():
    rows = [r if not r[0][0].startswith("Gesamtbetrag") else [("Gesamtbetrag", 900), ("129,00 EUR", 1200)]
            for r in GERMAN]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "129.00"
    assert f["total_amount"]["status"] == "review" and "!= total" in f["total_amount"]["reason"]


def test_a_header_row_of_labels_gives_each_label_the_amount_under_it():
    rows = GERMAN[:7] + [[("Warenwert   Nettobetrag   MwSt-Betrag   Endbetrag", 100)],
                         [("100,00      100,00        19,00         119,00", 100)]]
    f = fields_of(run(layout(rows)))
    assert (f["total_amount"]["normalized"], f["tax_amount"]["normalized"]) == ("119.00", "19.00")
    assert f["total_amount"]["status"] == "accept"


@pytest.mark.parametrize("title, number_label, total_label, kind", [
    ("FACTURE", "N° de facture :", "Total TTC", "invoice"),
    ("FACTUUR", "Factuurnummer:", "Te betalen", "invoice"),
    ("FACTURA", "Nº factura:", "Importe total", "invoice"),
    ("FATTURA", "Numero fattura:", "Totale documento", "invoice"),
    ("FAKTURA VAT", "Numer faktury:", "Razem do zapłaty", "invoice"),
    ("AVOIR", "N° d'avoir :", "Total TTC", "credit_note"),
    ("GUTSCHRIFT", "Gutschriftsnummer:", "Gesamtbetrag", "credit_note"),
])
def test_invoices_in_other_languages_are_classified_and_read(title, number_label, total_label, kind):
    rows = [[(title, 120)], [(number_label, 120), ("A-77", 700)], [("Date: 2026-05-06", 120)],
            [("IBAN FR76 3000 6000 0112 3456 7890 189", 120)],
            [("Sub-total", 900), ("200,00 €", 1200)], [("TVA / VAT / IVA", 900), ("40,00 €", 1200)],
            [(total_label, 900), ("240,00 €", 1200)]]
    result = run(layout(rows))
    f = fields_of(result)
    assert result["doc_type"] == kind
    assert f["invoice_number"]["normalized"] == "A-77"
    assert f["total_amount"]["normalized"] == "240.00" and f["total_amount"]["status"] == "accept"
    assert f["currency"]["normalized"] == "EUR"


def test_an_english_numeric_date_from_nowhere_in_particular_goes_to_review():
    rows = [[("INVOICE", 120)], [("Invoice No: 1001", 120)], [("Invoice Date: 03/04/2026", 120)],
            [("Subtotal", 900), ("$100.00", 1200)], [("Tax", 900), ("$8.00", 1200)],
            [("Total Due", 900), ("$108.00", 1200)], [("Bill To: Globex", 120)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_date"]["normalized"] is None and f["invoice_date"]["status"] == "review"
    assert "ambiguous" in f["invoice_date"]["reason"]
    assert f["total_amount"]["status"] == "accept"


def test_an_address_on_the_next_line_is_not_an_invoice_number():
    rows = [[("INVOICE", 120)], [("Invoice Number", 120)], [("42 Warehouse Road", 600)],
            [("Total Due", 900), ("$108.00", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["status"] != "accept"


def test_a_narrow_till_receipt_yields_merchant_date_total_and_tax():
    rows = [[("BÄCKEREI SONNE", 20)], [("Kassenbon", 20)], [("12.03.2026 08:14", 20)],
            [("Brötchen   1,20", 20)], [("Kaffee   2,80", 20)], [("SUMME EUR   4,00", 20)],
            [("MwSt 7%   0,26", 20)], [("BAR   5,00", 20)], [("Rückgeld   1,00", 20)], [("Vielen Dank", 20)]]
    result = run(layout(rows, conf=0.99), source="ocr", width=600, height=1600)
    f = fields_of(result)
    assert result["doc_type"] == "receipt"
    assert f["receipt_date"]["normalized"] == "2026-03-12"
    assert f["total_amount"]["normalized"] == "4.00" and f["total_amount"]["status"] == "accept"
    assert f["currency"]["normalized"] == "EUR" and f["merchant"]["normalized"] == "BÄCKEREI SONNE"
    assert f["tax_amount"]["normalized"] == "0.26"
    assert all(x["source"] == "ocr" for x in result["fields"] if x["normalized"])


def test_an_unknown_document_goes_to_review_with_its_reason():
    result = run(layout([[("Hello there, see you on Monday.", 120)]]))
    assert (result["doc_type"], result["status"]) == ("unknown", "review")
    assert "too few cues" in result["reason"]


@pytest.mark.parametrize("text, kind", [
    ("SERVICES AGREEMENT\nThis Agreement is made by and between the parties. Term: 12 months. Signature", "contract"),
    ("DIENSTLEISTUNGSVERTRAG\nDieser Vertrag wird zwischen den Parteien geschlossen. Laufzeit 12 Monate. Unterschrift", "contract"),
    ("CONTRAT DE SERVICES\nLe présent contrat entre les parties. Durée: 12 mois. Signature", "contract"),
    ("UMOWA\nNiniejsza umowa zawarta między stronami. Okres 12 miesięcy. Podpis", "contract"),
    ("SCONTRINO\nTotale 12,00\nContanti 20,00\nResto 8,00\nGrazie", "receipt"),
    ("TICKET DE CAISSE\nTotal 12,00\nEspèces 20,00\nRendu 8,00\nMerci", "receipt"),
])
def test_document_types_are_told_apart_in_other_languages(text, kind):
    assert classify_document(text)[0] == kind


def test_older_versions_are_unchanged_by_rules_3():
    result = run(layout(GERMAN), version="rules-1")
    assert result["doc_type"] == "unknown"


def test_a_value_cut_by_the_pdf_producer_into_two_boxes_is_not_accepted():
    rows = [[("INVOICE", 120)], [("Invoice # RE-20", 120), ("201121/508", 120 + 12 * 15 + 2)],
            [("Total Due", 900), ("$108.00", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] == "RE-20" and f["invoice_number"]["status"] == "review"


def test_a_credit_note_reads_its_own_number_not_the_corrected_invoices():
    rows = [[("GUTSCHRIFT", 120)], [("Rechnungs-Nr: R8765", 120)], [("Gutschrift-Nr: GS-0001", 120)],
            [("Datum: 16.09.2026", 120)], [("Gesamtbetrag", 900), ("-50,00 EUR", 1200)]]
    result = run(layout(rows))
    assert result["doc_type"] == "credit_note"
    assert fields_of(result)["invoice_number"]["normalized"] == "GS-0001"


def test_the_date_after_the_documents_own_number_is_its_date_not_the_order_date():
    rows = [[("Handelsrechnung\u00a0Nr.\u00a0471102\u00a0vom\u00a005.03.2018", 120)],
            [("Rechnung gemäß Bestellung vom 01.03.2018.", 120)], [("Zwischensumme 10,00 EUR", 120)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"]) == ("471102", "2018-03-05")


CONTRACT = ["MASTER SERVICES AGREEMENT",
            "This Agreement is made by and between Fabrikam LLC and Contoso Ltd (\"Client\").",
            "Effective Date: March 1, 2026",
            "{term}",
            "{fees}",
            "This Agreement shall be governed by the laws of the State of New York.",
            "IN WITNESS WHEREOF the parties have signed this Agreement.",
            "CLIENT", "Name: Jane Doe", "Email: jane.doe@contoso.com"]


@pytest.mark.parametrize("term, months", [
    ("This Agreement runs for twelve (12) months from the Effective Date.", "12"),
    ("The Services will be provided for a period of 24 months.", "24"),
    ("The initial term is two (2) years, renewing automatically.", "24"),
    ("This Agreement remains in effect until February 28, 2027.", "12"),
])
def test_contract_terms_phrased_in_many_ways_become_months(term, months):
    texts = [t.format(term=term, fees="The total fees payable under this Agreement are $62,646.33.") for t in CONTRACT]
    result = run(layout([[(t, 120)] for t in texts]))
    f = fields_of(result)
    assert result["doc_type"] == "contract"
    assert f["term_months"]["normalized"] == months
    assert (f["total_amount"]["normalized"], f["currency"]["normalized"]) == ("62646.33", "USD")


def test_an_end_date_that_is_not_a_whole_number_of_months_goes_to_review():
    texts = [t.format(term="This Agreement remains in effect until February 10, 2027.", fees="") for t in CONTRACT]
    f = fields_of(run(layout([[(t, 120)] for t in texts])))
    assert f["term_months"]["status"] == "review"


def test_rules_2_does_not_read_the_new_phrasings():
    texts = [t.format(term="This Agreement runs for twelve (12) months.",
                      fees="The total fees payable under this Agreement are $62,646.33.") for t in CONTRACT]
    f = fields_of(run(layout([[(t, 120)] for t in texts]), version="rules-2"))
    assert f["term_months"]["normalized"] is None and f["total_amount"]["normalized"] is None


def test_the_due_date_in_payment_terms_and_a_labelled_currency_are_read():
    no_codes = [[(t.replace(" EUR", ""), x) for t, x in r] for r in GERMAN[:-1]]
    rows = no_codes + [[("Zahlbar innerhalb 30 Tagen netto bis 04.05.2026, 3% Skonto bis 13.04.2026", 120)],
                       [("Rechnungswährung: EUR   Umrechnung in USD auf Anfrage", 120)]]
    f = fields_of(run(layout(rows)))
    assert f["due_date"]["normalized"] == "2026-05-04"
    assert f["currency"]["normalized"] == "EUR" and f["currency"]["status"] == "accept"


def test_a_number_label_inside_a_sentence_yields_to_the_title_line():
    # "... Kundennummer 35040727 und Belegnummer 2018092011804 angeben": a reference in prose.
    rows = [[("Handelsrechnung (380) Nr. E2018092011804 vom 20.09.2018", 120)],
            [("Bei Schriftwechsel bitte Ihre Kundennummer 35040727 und Belegnummer 2018092011804 angeben", 120)],
            [("Bruttosumme", 900), ("9,00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] == "E2018092011804"
    assert f["invoice_number"]["status"] == "accept"


def test_an_order_reference_sentence_is_neither_the_number_nor_the_date():
    rows = [[("Handelsrechnung Nr. 471102 vom 05.06.2018", 120)],
            [("Rechnung gemäß Bestellung Nr. 2018-471331 vom 01.03.2018.", 120)],
            [("Rechnung gemäß Betriebskostenrechnung vom 21.11.2011.", 120)],
            [("Bruttosumme", 900), ("9,00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_number"]["normalized"], f["invoice_date"]["normalized"]) == ("471102", "2018-06-05")
    assert f["invoice_number"]["status"] == f["invoice_date"]["status"] == "accept"


def test_two_form_readings_of_a_field_that_differ_go_to_review():
    rows = [[("Rechnung Nr. 471102 vom 13.11.2019", 120)],
            [("Zahlbar innerhalb 30 Tagen netto bis 04.04.2020.", 120)],
            [("Fälligkeit", 120), ("Teilzahlung", 700)], [("13.12.2017", 120)],
            [("Bruttosumme", 900), ("9,00 EUR", 1200)]]
    due = fields_of(run(layout(rows)))["due_date"]
    assert due["status"] == "review" and "read differently" in due["reason"]
    # The same value printed twice is no conflict.
    rows[3] = [("04.04.2020", 120)]
    due = fields_of(run(layout(rows)))["due_date"]
    assert due["normalized"] == "2020-04-04" and due["status"] == "accept"


@pytest.mark.parametrize("other", ["Ursprungsbeleg-Nr : R87654321012345", "Ihre Nr. 4500012345"])
def test_a_number_label_inside_a_longer_word_is_not_that_label(other):
    rows = [[("RECHNUNG", 120)], [(other, 120)], [("Rechnungsnummer: RK21012345", 120)],
            [("Datum: 16.09.2026", 120)], [("Gesamtbetrag", 900), ("50,00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] == "RK21012345" and f["invoice_number"]["status"] == "accept"


def test_a_hash_number_word_von_date_bitte_ueberweisen_and_summe_inkl_ust():
    rows = [[("Rechnung # RE-20170509/505 von 09.05.2017", 120)],
            [("Summe netto:", 900), ("496,00 €", 1200)], [("Zuzügl. USt:", 900), ("75,04 €", 1200)],
            [("Bitte überweisen Sie bis zum 30.05.2017.", 120)],
            [("Summe inkl. USt:", 900), ("571,04 €", 1200)]]
    f = fields_of(run(layout(rows)))
    assert {k: f[k]["normalized"] for k in ("invoice_number", "invoice_date", "due_date", "total_amount", "tax_amount")} == {
        "invoice_number": "RE-20170509/505", "invoice_date": "2017-05-09", "due_date": "2017-05-30",
        "total_amount": "571.04", "tax_amount": "75.04"}
    assert f["total_amount"]["status"] == "accept" and "subtotal 496.00 + tax 75.04" in f["total_amount"]["reason"]


def test_a_bare_dollar_on_a_document_from_another_dollar_country_goes_to_review():
    rows = [[("TAX INVOICE", 120)], [("ABN 51 824 753 556", 120)], [("Invoice No: 1001", 120)],
            [("Invoice Date: 15 March 2024", 120)], [("Subtotal", 900), ("$100.00", 1200)],
            [("GST", 900), ("$10.00", 1200)], [("Total", 900), ("$110.00", 1200)]]
    cur = fields_of(run(layout(rows)))["currency"]
    # the ABN says Australia: its dollar is proposed, for a person to confirm
    assert cur["normalized"] == "AUD" and cur["status"] == "review" and "read as AUD" in cur["reason"]
    rows[1] = [("Australia", 120)]  # named, but no tax id to say the document is from there
    cur = fields_of(run(layout(rows)))["currency"]
    assert cur["normalized"] == "USD" and cur["status"] == "review" and "which dollar" in cur["reason"]
    rows[1] = [("Seattle, WA 98109", 120)]
    cur = fields_of(run(layout(rows)))["currency"]
    assert cur["normalized"] == "USD" and cur["status"] == "accept"


def test_a_date_label_in_a_column_beside_the_address_and_a_credit_note_titled_under_it():
    rows = [[("Acme Ltd.", 700)],
            [("Acme Ltd. • 42 Milky Way • 1234 Faraway", 160), ("Date:", 1053), ("24 Sep 2024", 1187)],
            [("Globex Corp.", 160), ("Start of service:", 886), ("23 Apr 2024", 1187)],
            [("142 Scorpio Drive", 160), ("Due Date:", 982), ("8 Oct 2024", 1186)],
            [("80085 Springfield", 160)], [("Germany", 160)], [("Phone: +49 221 765", 1029)],
            [("Credit note No. 1234567890", 593)],
            [("Net Total", 900), ("-100.00 €", 1300)], [("Tax Total", 900), ("-19.00 €", 1300)],
            [("Grand Total", 900), ("-119.00 €", 1300)]]
    result = run(layout(rows))
    f = fields_of(result)
    assert result["doc_type"] == "credit_note"
    assert (f["invoice_date"]["normalized"], f["due_date"]["normalized"]) == ("2024-09-24", "2024-10-08")
    assert f["total_amount"]["normalized"] == "119.00" and f["total_amount"]["status"] == "accept"


@pytest.mark.parametrize("rows, field, want", [
    ([[("FACTURA: A-2024-117", 120)], [("Fecha de expedición: 15/03/2024", 120)],
      [("Fecha límite de pago: 14/04/2024", 120)]], ("invoice_number", "invoice_date", "due_date"),
     ("A-2024-117", "2024-03-15", "2024-04-14")),
    ([[("Facture N° F-0042", 120)], [("Date de facturation : 05/06/2024", 120)],
      [("Date limite de paiement : 05/07/2024", 120)], [("Montant total", 900), ("120,00 €", 1200)]],
     ("invoice_number", "invoice_date", "due_date", "total_amount"), ("F-0042", "2024-06-05", "2024-07-05", "120.00")),
    ([[("INVOICE", 120)], [("Invoice #: 7781", 120)], [("Billing Date: March 3, 2024", 120)],
      [("Pay by: April 2, 2024", 120)]], ("invoice_number", "invoice_date", "due_date"), ("7781", "2024-03-03", "2024-04-02")),
])
def test_more_issue_due_and_number_labels_in_english_french_and_spanish(rows, field, want):
    f = fields_of(run(layout(rows)))
    assert tuple(f[k]["normalized"] for k in field) == want


def test_an_invoice_number_followed_by_a_space_and_digits_is_not_accepted():
    rows = [[("INVOICE", 120)], [("Invoice No: 12 345", 120)], [("Total Due", 900), ("$108.00", 1200)]]
    number = fields_of(run(layout(rows)))["invoice_number"]
    assert number["normalized"] == "12" and number["status"] == "review"


@pytest.mark.parametrize("where, iso", [("Seattle, WA 98109", "2017-05-02"),
                                        ("GSTIN: 29ABCDE1234F1Z5", "2017-02-05"),
                                        ("ABN 51 824 753 556", "2017-02-05"),
                                        ("London", None)])
def test_an_english_numeric_date_follows_the_country_the_address_or_tax_id_names(where, iso):
    rows = [[("INVOICE", 120)], [("Acme Inc.", 120)], [(where, 120)], [("Invoice No: 1001", 120)],
            [("Invoice Date: 05/02/2017", 120)], [("Total Due", 900), ("$10.00", 1200)]]
    date = fields_of(run(layout(rows)))["invoice_date"]
    assert date["normalized"] == iso
    if iso is None:
        assert date["status"] == "review"  # English from nowhere in particular: ambiguous


def test_two_digit_years_and_an_untaxed_amount_on_an_odoo_like_invoice():
    rows = [[("Invoice INV/2019/0042", 120)],
            [("Invoice Date:", 120), ("Due Date:", 600)], [("05.03.19", 120), ("04.04.19", 600)],
            [("Untaxed Amount", 900), ("100.00 €", 1200)], [("Tax 15%", 900), ("15.00 €", 1200)],
            [("Total", 900), ("115.00 €", 1200)]]
    f = fields_of(run(layout(rows)))
    assert {k: f[k]["normalized"] for k in ("invoice_number", "invoice_date", "due_date", "subtotal_amount", "total_amount")} == {
        "invoice_number": "INV/2019/0042", "invoice_date": "2019-03-05", "due_date": "2019-04-04",
        "subtotal_amount": "100.00", "total_amount": "115.00"}
    assert f["total_amount"]["status"] == "accept"


# Layout conventions of other producers and countries, each read and checked by arithmetic.
CONVENTIONS = {
    "month day , year and a total due on a date": (
        [[("Cloud Services Invoice", 120)], [("Invoice Number:", 900), ("123456789", 1200)],
         [("Invoice Date:", 900), ("May 2 , 2017", 1200)], [("Seattle, WA 98109-5210", 120)],
         [("TOTAL AMOUNT DUE ON May 2 , 2017", 120), ("$4.11", 1200)]],
        {"invoice_date": "2017-05-02", "total_amount": "4.11", "currency": "USD"}),
    "Gesamtsumme": (
        [[("Rechnung", 120)], [("Rechnungsnummer: 2019-123", 120)], [("Summe netto", 900), ("10,00 €", 1200)],
         [("zzgl. 19% MwSt", 900), ("1,90 €", 1200)], [("Gesamtsumme", 900), ("11,90 €", 1200)]],
        {"total_amount": "11.90", "tax_amount": "1.90"}),
    "Indian GST: taxable value, CGST + SGST of one amount": (
        [[("Tax Invoice", 120)], [("Invoice No: FAABC12345", 120)], [("Invoice Date: 05-02-2019", 120)],
         [("GSTIN: 29ABCDE1234F1Z5", 120)], [("Taxable Value", 900), ("1,000.00", 1200)],
         [("CGST 9%", 900), ("90.00", 1200)], [("SGST 9%", 900), ("90.00", 1200)],
         [("Grand Total", 900), ("₹ 1,180.00", 1200)]],
        {"invoice_date": "2019-02-05", "subtotal_amount": "1000.00", "tax_amount": "180.00", "total_amount": "1180.00",
         "currency": "INR"}),
    "Italian 'Fattura n. X del DATE'": (
        [[("Fattura n. 12/2019 del 15/01/2019", 120)], [("Imponibile", 900), ("100,00 €", 1200)],
         [("IVA 22%", 900), ("22,00 €", 1200)], [("Totale documento", 900), ("122,00 €", 1200)]],
        {"invoice_number": "12/2019", "invoice_date": "2019-01-15", "total_amount": "122.00"}),
    "British 'Net' and 'VAT @ 20%'": (
        [[("INVOICE", 120)], [("Invoice No. 2019-77", 120)], [("VAT Reg No: GB123456789", 120)],
         [("Net", 900), ("£100.00", 1200)], [("VAT @ 20%", 900), ("£20.00", 1200)], [("Total", 900), ("£120.00", 1200)]],
        {"subtotal_amount": "100.00", "tax_amount": "20.00", "total_amount": "120.00", "currency": "GBP"}),
    "year-first and day-month-name dates": (
        [[("INVOICE", 120)], [("Invoice No: 88", 120)], [("Invoice Date: 2019/01/15", 120)], [("Due Date: 14-Feb-2019", 120)],
         [("Total Due", 900), ("€10.00", 1200)]],
        {"invoice_date": "2019-01-15", "due_date": "2019-02-14"}),
}


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_layout_and_country_conventions_are_read_and_checked(name):
    rows, want = CONVENTIONS[name]
    f = fields_of(run(layout(rows)))
    assert {k: f[k]["normalized"] for k in want} == want
    for k in want:
        if k in ("total_amount", "subtotal_amount", "tax_amount") and "subtotal_amount" in want:
            assert f[k]["status"] == "accept", (k, f[k]["reason"])


def test_private_limited_is_no_vat_and_netto_a_pagare_is_what_is_due():
    rows = [[("FATTURA", 120)], [("Fattura n. 7", 120)], [("Private cloud hosting", 120), ("50,00 €", 1200)],
            [("Imponibile", 900), ("100,00 €", 1200)], [("IVA 22%", 900), ("22,00 €", 1200)],
            [("Netto a pagare", 900), ("122,00 €", 1200)]]
    f = fields_of(run(layout(rows)))
    assert (f["tax_amount"]["normalized"], f["total_amount"]["normalized"]) == ("22.00", "122.00")
    assert f["total_amount"]["status"] == "accept"


def test_an_order_reference_sentence_whose_date_wraps_to_the_next_line_is_no_second_reading():
    rows = [[("Rechnungsnummer", 1014), ("471102", 1494)], [("Rechnungsdatum", 1014), ("05.03.2014", 1444)],
            [("Rechnung gemäß Bestellung Nr. 2014-471331 vom", 1014)], [("01.03.2014.", 1014)],
            [("Bruttosumme", 900), ("9,00 EUR", 1200)]]
    date = fields_of(run(layout(rows)))["invoice_date"]
    assert date["normalized"] == "2014-03-05" and date["status"] == "accept"


@pytest.mark.parametrize("title, date_row, total_row", [
    ("FACTURE", "Facturée le 05/03/2019", ("Montant total TTC", "120,00 €")),
    ("FACTURE", "Émise le 05/03/2019 pour la période de mars", ("Net à payer", "120,00 €")),
    ("FATTURA", "Data documento: 05/03/2019", ("Totale documento", "120,00 €")),
    ("INVOICE", "Issue Date: 5 March 2019", ("Amount to pay", "€120.00")),
    ("FACTURA", "Fecha de expedición: 05/03/2019", ("Importe a pagar", "120,00 €")),
])
def test_issue_date_and_amount_to_pay_phrasings(title, date_row, total_row):
    rows = [[(title, 120)], [("No. 2019-5", 120)], [(date_row, 120)], [(total_row[0], 900), (total_row[1], 1200)]]
    f = fields_of(run(layout(rows)))
    assert (f["invoice_date"]["normalized"], f["total_amount"]["normalized"]) == ("2019-03-05", "120.00")


def test_a_value_from_a_text_layer_line_ocr_read_again_reports_source_ocr():
    """The reader re-reads a text layer's garbled words from pixels ("A%D" for "AUD"; ``reread``):
    a field read from such a line is OCR's reading, and says so."""
    lines = layout(GERMAN)
    customer = next(ln for ln in lines if ln["text"] == "Beispiel AG")
    customer["reread"], customer["confidence"] = True, 0.97
    f = fields_of(run(lines))
    assert f["customer"]["source"] == "ocr"
    assert f["invoice_number"]["source"] == "text" and f["total_amount"]["source"] == "text"


def _commercial(title: str, number_line: str = "No.  Q-1042") -> str:
    return "\n".join(["Acme Ltd", title, number_line, "Date: 14/03/2024", "Description  Qty  Unit price  Amount",
                      "Consulting  1  100.00  100.00", "Subtotal  100.00", "VAT 20%  20.00", "Total  £120.00"])


@pytest.mark.parametrize("title", ["QUOTATION", "Quote #1234", "ESTIMATE", "Angebot Nr. 17", "DEVIS", "Offerte", "PRESUPUESTO",
                                   "PREVENTIVO", "Oferta", "PURCHASE ORDER", "Bestellung", "Bon de commande", "DELIVERY NOTE",
                                   "Lieferschein", "Albarán", "Order Confirmation", "Auftragsbestätigung", "Statement of Account",
                                   "Mahnung", "PAYMENT REMINDER", "Zahlungserinnerung", "Relance"])
def test_quotations_orders_delivery_notes_and_reminders_are_no_invoices(title):
    """Booked as an invoice, a quotation or an order makes a claim nobody owes, and a reminder books
    its invoice a second time: each goes to review as "other", with the title that says so."""
    doc_type, why = classify_document(_commercial(title, "Customer No.  C-77"))
    assert doc_type == "other" and "not an invoice" in why


@pytest.mark.parametrize("title", ["Mahnung", "PAYMENT REMINDER", "Zahlungserinnerung"])
def test_a_reminder_is_no_invoice_though_it_prints_the_invoices_number(title):
    assert classify_document(_commercial(title, "Invoice No.  4711"))[0] == "other"


@pytest.mark.parametrize("text", [
    _commercial("INVOICE", "Delivery Note No. 4712"),          # an invoice names its delivery note
    _commercial("Rechnung Nr. 4711", "Lieferschein Nr. 4712"),  # its numbered title beside the reference
    _commercial("Rechnung / Lieferschein"),                     # one paper, both titles
    _commercial("INVOICE", "Bestellung: 2018-471331"),          # the buyer's order, a field of the invoice
    _commercial("STATEMENT"),                                   # a US utility's bill
    _commercial("PROFORMA INVOICE"),
])
def test_an_invoice_that_refers_to_its_order_or_delivery_note_stays_an_invoice(text):
    assert classify_document(text)[0] == "invoice"


@pytest.mark.timeout(20)
def test_a_hostile_title_line_is_classified_in_one_pass():
    """A 100 000-character "number" after a quotation's title once cost n² steps of backtracking."""
    assert classify_document("Quote " + "1" * 100_000 + "!\nSubtotal 1.00\nVAT 0.20\nTotal 1.20")[0] in (
        "invoice", "other", "unknown")

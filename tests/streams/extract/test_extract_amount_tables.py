"""rules-3 amounts on layouts real invoices use: a tax summary table whose last row sums
the rates, negative amounts of a corrective invoice, a credit note stated positive, and
rows that look like totals but are a unit price, a discount, freight or share capital."""

from __future__ import annotations

import pytest

from tests.streams.extract.test_extract_multilingual import fields_of, layout, run

HEAD = [[("Muster GmbH", 120)], [("RECHNUNG", 120)], [("Rechnungsnummer:", 120), ("RE-9", 700)],
        [("Rechnungsdatum:", 120), ("03.04.2026", 700)]]


def total(rows):
    f = fields_of(run(layout(HEAD + rows)))
    return f["total_amount"], f


def test_a_tax_summary_table_takes_the_sum_row_of_each_column_and_is_checked():
    rows = [[("Warenwert", 140), ("Zu-/Abschlag", 290), ("Nettobetrag", 940), ("MwSt-Betrag", 1140), ("Endbetrag", 1460)],
            [("326,50", 180), ("-8,10", 340), ("321,40", 994), ("61,07", 1208), ("382,47", 1500)],
            [("130,70", 180), ("-3,11", 340), ("127,59", 994), ("8,93", 1221), ("136,52", 1500)],
            [("457,20", 180), ("-11,21", 327), ("448,99", 993), ("70,00", 1206), ("518,99", 1500)]]
    t, f = total(rows)
    assert t["normalized"] == "518.99" and t["status"] == "accept"
    assert "subtotal 448.99 + tax 70.00" in t["reason"] and "column sum" in t["reason"]
    assert f["subtotal_amount"]["normalized"] == "448.99" and f["tax_amount"]["normalized"] == "70.00"


def test_a_unit_price_a_discount_and_freight_are_never_the_total():
    rows = [[("Bruttopreis: 1,5000 €", 312), ("Artikelgesamtrabatt: -2,50 €", 658)],
            [("Rechnungsrabatt 1:", 112), ("Basisbetrag: 280,00, MwSt.-% 19,0, Rabattbetrag:", 380), ("-5,60", 1127)],
            [("Transportkosten", 113), ("MwSt.-% 19,0, Frachtbetrag:", 738), ("3,00", 1140)],
            [("Nettobetrag", 900), ("100,00 EUR", 1200)], [("MwSt 19%", 900), ("19,00 EUR", 1200)],
            [("Gesamtbetrag", 900), ("119,00 EUR", 1200)]]
    t, f = total(rows)
    assert t["normalized"] == "119.00" and t["status"] == "accept"
    assert f["tax_amount"]["normalized"] == "19.00"


def test_a_corrective_invoice_keeps_its_minus_and_a_credit_note_is_stated_positive():
    amounts = [[("Rechnungssumme ohne USt.", 820), ("-7,67", 1430)], [("USt. 19%", 820), ("-1,12", 1430)],
               [("Bruttosumme", 820), ("-8,79", 1430)]]
    rows = [[("Muster GmbH", 120)], [("RECHNUNGSKORREKTUR", 120)], [("Rechnungsnummer:", 120), ("RK-1", 700)],
            [("Rechnungsdatum:", 120), ("03.04.2026", 700)]] + amounts
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "-8.79" and f["total_amount"]["status"] == "accept"
    rows = [[("Au bon moulin SARL", 120)], [("AVOIR", 120)], [("N° d'avoir :", 120), ("AV-5", 700)],
            [("Date de facture", 120), ("16/11/2017", 700)],
            [("Total HT", 820), ("-218,48 €", 1430)], [("TVA 20%", 820), ("-14,99 €", 1430)],
            [("Total TTC", 820), ("-233,47 €", 1430)]]
    f = fields_of(run(layout(rows)))
    assert f["total_amount"]["normalized"] == "233.47" and "stated positive" in f["total_amount"]["reason"]


def test_share_capital_in_the_letterhead_does_not_make_the_total_doubtful():
    rows = [[("TVA : FR11999999998 - SARL au capital de 120 000,00 €", 300)],
            [("Total TTC", 820), ("671,15 €", 1430)]]
    t, _ = total(rows)
    assert t["normalized"] == "671.15" and "larger amount" not in (t["reason"] or "")


def test_an_invoice_number_shaped_like_an_iban_but_failing_mod_97_is_a_number():
    rows = [[("Muster GmbH", 120)], [("RECHNUNG", 120)], [("Beleg-Nr", 1018), (": KR87654321012", 1275)],
            [("Beleg-Datum", 1018), (": 06.08.2013", 1275)], [("Gesamtbetrag", 900), ("119,00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] == "KR87654321012"


def test_the_number_on_the_title_line_after_a_parenthesis_and_a_remit_until_due_date():
    rows = [[("Muster GmbH", 120)], [("Gutschrift (Selbst ausgestellte Rechnung) Nr. 471102", 140)],
            [("vom 05.03.2018", 140)], [("Gesamtbetrag", 900), ("119,00 EUR", 1200)],
            [("Please remit until 2018-04-04.", 140)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_number"]["normalized"] == "471102"
    assert f["due_date"]["normalized"] == "2018-04-04"


def test_fullwidth_punctuation_from_the_ocr_model_reads_as_ascii():
    rows = [[("Muster GmbH", 120)], [("RECHNUNG", 120)], [("Beleg-Nr", 1018), ("：R-77", 1275)],
            [("Beleg-Datum", 1018), ("：06.08.2013", 1275)], [("Gesamtbetrag", 900), ("119,00 EUR", 1200)]]
    f = fields_of(run(layout(rows)))
    assert f["invoice_date"]["normalized"] == "2013-08-06" and f["invoice_number"]["normalized"] == "R-77"


def test_a_faelligkeit_column_and_a_sepa_debit_date_are_due_dates():
    rows = HEAD + [[("Beschreibung", 141), ("Fälligkeit", 1081)], [("29.11.2018", 1082)],
                   [("Gesamtbetrag", 900), ("119,00 EUR", 1200)]]
    assert fields_of(run(layout(rows)))["due_date"]["normalized"] == "2018-11-29"
    rows = HEAD + [[("Gesamtbetrag", 900), ("119,00 EUR", 1200)],
                   [("Der Betrag in Höhe von EUR 119,00 wird am 20.03.2014 von Ihrem Konto eingezogen.", 114)]]
    assert fields_of(run(layout(rows)))["due_date"]["normalized"] == "2014-03-20"


def test_an_items_tax_rate_column_is_not_a_tax_row_and_a_tax_amount_label_is():
    # Item rows print their rate between price and amount ("7 % VAT (S)"); the tax is the
    # "Steuerbetrag" row of the totals block, and it closes subtotal + tax = total.
    rows = [[("Pos Beschreibung", 120), ("Nettopreis", 600), ("Menge", 800), ("Steuer", 1000), ("Entgelt", 1300)],
            [("1", 120), ("Übernachtung", 300), ("158,88", 600), ("1 Stk", 800), ("7 % VAT (S)", 1000), ("158,88", 1300)],
            [("2", 120), ("Verpflegung", 300), ("55,21", 600), ("1 Stk", 800), ("19 % VAT (S)", 1000), ("55,21", 1300)],
            [("Rechnungssumme ohne USt.", 800), ("214,09", 1300)],
            [("Steuerbetrag", 800), ("21,61", 1300)],
            [("Bruttosumme", 800), ("235,70 EUR", 1300)]]
    f = fields_of(run(layout(rows)))
    assert (f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"], f["total_amount"]["normalized"]) == (
        "214.09", "21.61", "235.70")
    assert f["total_amount"]["status"] == f["tax_amount"]["status"] == "accept"


def test_a_label_takes_the_amounts_up_to_the_next_label_on_its_row():
    # A tax table's header ("Taxe  Base  Montant") printed on the row of "Total HT -218,48 €":
    # the amount is the net total's, not a tax.
    rows = [[("AVOIR N° AV-2017-0005", 120)],
            [("Taxe", 240), ("Base", 520), ("Montant", 700), ("Total HT", 1260), ("218,48 €", 1440)],
            [("TVA collectée (vente) 20,0%", 95), ("20,48 €", 560), ("4,10 €", 770)],
            [("Total taxes", 1230), ("14,99 €", 1460)],
            [("TVA collectée (vente) 5,5%", 95), ("198,00 €", 550), ("10,89 €", 760)],
            [("Total TTC", 1245), ("233,47 €", 1445)]]
    f = fields_of(run(layout(rows)))
    assert (f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"], f["total_amount"]["normalized"]) == (
        "218.48", "14.99", "233.47")
    assert f["total_amount"]["status"] == "accept"


def test_a_net_weight_is_not_the_net_amount():
    rows = [[("INVOICE", 120)], [("Invoice No. 5", 120)], [("Net weight", 900), ("12.50 kg", 1200)],
            [("Net", 900), ("£100.00", 1200)], [("VAT @ 20%", 900), ("£20.00", 1200)], [("Total", 900), ("£120.00", 1200)]]
    f = fields_of(run(layout(rows)))
    assert (f["subtotal_amount"]["normalized"], f["total_amount"]["normalized"]) == ("100.00", "120.00")
    assert f["total_amount"]["status"] == "accept"
    # without a net amount printed, the weight is no subtotal (and does not put the total in doubt)
    f = fields_of(run(layout([rows[0], rows[1], rows[2], [("Grand Total", 900), ("£120.00", 1200)]])))
    assert f["subtotal_amount"]["normalized"] is None and f["total_amount"]["normalized"] == "120.00"


def test_a_balance_of_zero_on_a_paid_invoice_is_never_the_accepted_total():
    rows = [[("INVOICE", 120)], [("Invoice #: 991", 120)], [("Total", 900), ("$100.00", 1200)],
            [("Amount Paid", 900), ("$100.00", 1200)], [("Balance Due", 900), ("$0.00", 1200)]]
    total = fields_of(run(layout(rows)))["total_amount"]
    assert total["normalized"] == "100.00" and total["status"] == "review"
    # no other total printed: the zero balance is read, but a larger amount stands elsewhere
    total = fields_of(run(layout([rows[0], rows[1], rows[3], rows[4]])))["total_amount"]
    assert total["normalized"] == "0.00" and total["status"] == "review"


def test_a_letter_spaced_total_label_is_read_and_accepted_only_with_arithmetic():
    # "Br uttosumme": the PDF producer's kerning gap splits the label word.
    rows = [[("Rechnung Nr. 471102 vom 13.11.2019", 120)],
            [("Rechnungssumme ohne USt.", 800), ("624,90", 1300)], [("Steuerbetrag", 800), ("46,25", 1300)],
            [("Br uttosumme", 800), ("671,15", 1300)], [("Erhaltene Anzahlungen", 800), ("-201,00", 1300)],
            [("Zahlbetrag", 800), ("470,15 EUR", 1300)]]
    total = fields_of(run(layout(rows)))["total_amount"]
    assert total["normalized"] == "671.15" and total["status"] == "accept"
    # without the net and tax rows nothing confirms it: review
    total = fields_of(run(layout([rows[0], [("Br uttosumme", 800), ("671,15 EUR", 1300)]])))["total_amount"]
    assert total["normalized"] == "671.15" and total["status"] == "review"


@pytest.mark.parametrize("boxes", [False, True])
def test_an_items_rate_in_its_description_is_not_a_tax_row(boxes):
    """ "Catering Speisen (7% USt)  1  860,00  860,00": an item whose description names its VAT rate,
    printed as one text run or as one box per column. Taken as a tax row, its 860,00 joined the two
    real tax rows, so subtotal + tax = total never held and a right total went to review."""
    def item(desc, *nums):
        return [(desc, 120), *((n, 700 + 150 * i) for i, n in enumerate(nums))] if boxes else [(" ".join((desc, *nums)), 120)]
    rows = [[("Pos. Beschreibung Menge Einzelpreis Gesamt", 120)],
            item("Catering Speisen (7% USt)", "1", "860,00", "860,00"),
            item("Getraenke (19% USt)", "1", "412,00", "412,00"),
            item("Servicepersonal 6 Std (19% USt)", "6", "38,00", "228,00"),
            [("Nettobetrag: 1.500,00 EUR", 120)],
            [("USt 7% (860,00 EUR): 60,20 EUR", 120)],
            [("USt 19% (640,00 EUR): 121,60 EUR", 120)],
            [("Rechnungsbetrag: 1.681,80 EUR", 120)]]
    t, f = total(rows)
    assert t["normalized"] == "1681.80" and t["status"] == "accept"
    assert f["tax_amount"]["normalized"] == "181.80" and "subtotal 1500.00 + tax 181.80" in t["reason"]


@pytest.mark.parametrize("vat, held", [("IVA 21%", ("IRPF -15%", "-225,00 €")),
                                       ("IVA (21%)", ("Retención IRPF (15%)", "225,00 €"))])
def test_income_tax_withheld_by_the_buyer_closes_the_arithmetic(vat, held):
    """A Spanish freelancer's invoice: base + IVA - IRPF withheld = the total to pay."""
    rows = [[("Base imponible", 1100), ("1.500,00 €", 1400)], [(vat, 1100), ("315,00 €", 1400)],
            [(held[0], 1100), (held[1], 1400)], [("Total", 1100), ("1.590,00 €", 1400)]]
    t, f = total(rows)
    assert (t["normalized"], t["status"]) == ("1590.00", "accept")
    assert "withholding 225.00" in t["reason"] and f["tax_amount"]["normalized"] == "315.00"


def test_an_italian_pension_levy_and_ritenuta_d_acconto_close_the_arithmetic():
    """Imponibile + Cassa previdenza 4% (VAT is on both) + IVA 22% - Ritenuta d'acconto 20% = Netto a pagare."""
    rows = [[("Imponibile", 1100), ("1.000,00", 1400)], [("Cassa previdenza 4%", 1100), ("40,00", 1400)],
            [("IVA 22%", 1100), ("228,80", 1400)], [("Ritenuta d'acconto 20%", 1100), ("-200,00", 1400)],
            [("Netto a pagare", 1100), ("1.068,80 €", 1400)]]
    t, _ = total(rows)
    assert (t["normalized"], t["status"]) == ("1068.80", "accept")


def test_a_withholding_that_does_not_close_the_arithmetic_confirms_nothing():
    rows = [[("Base imponible", 1100), ("1.500,00 €", 1400)], [("IVA 21%", 1100), ("315,00 €", 1400)],
            [("IRPF -15%", 1100), ("-225,00 €", 1400)], [("Total", 1100), ("1.600,00 €", 1400)]]
    t, _ = total(rows)
    assert t["normalized"] == "1600.00" and t["status"] != "accept"


@pytest.mark.parametrize("source", ["text_layer", "ocr"])
def test_a_total_row_of_net_tax_and_gross_columns_gives_subtotal_and_tax(source):
    """A Polish "Faktura VAT": the table's "Razem:" row prints net, VAT and gross under their columns;
    net + VAT = gross there confirms the "Do zapłaty" total, also when the page was OCR'd."""
    rows = [[("Faktura VAT nr FV/12/03/2024", 100)], [("Data wystawienia: 2024-03-12", 100)],
            [("Lp.", 100), ("Nazwa towaru lub usługi", 200), ("Ilość", 800), ("Cena netto", 950), ("Wartość netto", 1100),
             ("VAT", 1250), ("Wartość brutto", 1400)],
            [("1", 100), ("Usługa IT", 200), ("1", 800), ("1 000,00", 950), ("1 000,00", 1100), ("23%", 1250), ("1 230,00", 1400)],
            [("Razem:", 900), ("1 000,00", 1100), ("230,00", 1250), ("1 230,00", 1400)],
            [("Do zapłaty: 1 230,00 PLN", 100)]]
    f = fields_of(run(layout(rows, 0.97 if source == "ocr" else 1.0), source=source))
    assert (f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"]) == ("1000.00", "230.00")
    assert f["total_amount"]["normalized"] == "1230.00" and f["total_amount"]["status"] == "accept"


def test_a_total_row_whose_parts_do_not_add_up_gives_no_subtotal():
    rows = [[("Razem:", 900), ("1 000,00", 1100), ("230,00", 1250), ("1 240,00", 1400)]]
    _, f = total(rows)
    assert f["subtotal_amount"]["normalized"] is None


@pytest.mark.parametrize("run_text, want", [
    ("Subtotal: £100.00   VAT (20%): £20.00   Total: £120.00", ("100.00", "20.00", "120.00")),
    ("Total 119,00 EUR   inkl. MwSt 19% 19,00 EUR   Nettobetrag 100,00 EUR", ("100.00", "19.00", "119.00")),
])
def test_labels_and_amounts_printed_as_one_run_pair_up(run_text, want):
    """A text layer that prints the totals block as one run: each label takes the amount after it,
    not the run's last amount (the subtotal was read as 120.00 and the total sent to review)."""
    _, f = total([[(run_text, 100)]])
    got = (f["subtotal_amount"]["normalized"], f["tax_amount"]["normalized"], f["total_amount"]["normalized"])
    assert got == want and f["total_amount"]["status"] == "accept"

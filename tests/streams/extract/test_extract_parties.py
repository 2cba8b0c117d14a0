"""Party names on two readings, VAT ids on their check digits (streams/extract/parties.py),
and when a document is accepted whole (streams/extract/policy.py)."""

from __future__ import annotations

import pytest

from streams.extract.parties import canonical_name, legal_form, vat_id_valid
from tests.streams.extract.test_extract_address import TAIL
from tests.streams.extract.test_extract_multilingual import fields_of, layout, run

WINDOW = [[("Acme GmbH | Europa-Allee 1 | 60486 Frankfurt", 120)]]


def doc(rows, **kw):
    return run(layout(rows), **kw)


@pytest.mark.parametrize("printed, name", [
    ("Herrn Max Mustermann", "Max Mustermann"), ("Frau Dr. Erika Muster", "Dr. Erika Muster"),
    ("Firma Kunden AG", "Kunden AG"), ("M. Jean Martin", "Jean Martin"), ("Mme Claire Dupont", "Claire Dupont"),
    ("Mr. John Smith", "John Smith"), ("Mrs Jane Doe", "Jane Doe"), ("Dhr. J. de Vries", "J. de Vries"),
    ("Sr. Juan García", "Juan García"), ("Sig.ra Maria Rossi", "Maria Rossi"), ("Pan Jan Kowalski", "Jan Kowalski"),
    ("Herr", "Herr"),  # a salutation alone is left as it is (not a name; the reader skips it)
    ("Mister Minit Ltd", "Mister Minit Ltd"), ("Marc  Müller ", "Marc Müller"),
])
def test_salutations_are_not_part_of_a_name(printed, name):
    assert canonical_name(printed) == name


@pytest.mark.parametrize("name, form", [
    ("MUSTER-KUNDE GMBH", "GMBH"), ("Metallbau Leipzig GmbH & Co. KG", "GmbH & Co. KG"), ("Au bon moulin SARL", "SARL"),
    ("Acme Ltd", "Ltd"), ("Brouwerij Jansen B.V.", "B.V."), ("Construcciones Pérez S.L.", "S.L."),
    ("Rossi Forniture S.r.l.", "S.r.l."), ("Kowalski Sp. z o.o.", "Sp. z o.o."), ("Kunden AG Mitte", "AG"),
    ("Theodor Est", None), ("Hôtel Saint Denis", None), ("Sagittarius", None), ("Agathe Blanc", None),
])
def test_a_legal_form_marks_a_company_name(name, form):
    assert legal_form(name) == form


@pytest.mark.parametrize("code, ok", [
    ("DE136695976", True), ("DE136695977", False),  # ISO 7064 mod 11,10
    ("FR40303265045", True), ("FR41303265045", False),  # the key over the SIREN
    ("NL004495445B01", True), ("NL004495446B01", False), ("IT00743110157", True), ("IT00743110158", False),
    ("ESA28015865", True), ("ESA28015866", False), ("BE0403019261", True), ("BE0403019262", False),
    ("PL5260250274", True), ("PL5260250275", False), ("ATU13585627", True),
    ("XX123456789", None),  # no country module: cannot be checked
])
def test_vat_ids_are_checked_by_their_countrys_check_digits(code, ok):
    assert vat_id_valid(code) is ok


@pytest.mark.parametrize("text, want", [
    ("SIRET 401 112 024 00039 NAF 2013B TVA FR62 401 112 024", [("FR62401112024", "FR62 401 112 024")]),
    ("USt-IdNr. DE 136 695 976", [("DE136695976", "DE 136 695 976")]),
    ("VAT: NL004495445B01", [("NL004495445B01", "NL004495445B01")]),
    ("TVA FR62 401 112 025", []),        # grouped, but its check digits fail: a SIRET, a phone, a typo
    ("Tel. DE 49 5251 1234 56", []),
])
def test_vat_ids_printed_together_or_in_groups(text, want):
    from streams.extract.lexicon import vat_ids

    assert vat_ids(text) == want


def test_the_customers_vat_id_printed_again_outside_its_block_is_not_the_suppliers():
    rows = [[("FACTURE", 1300)], [("#FA003761", 1300)],
            [("Adresse de livraison", 500), ("Adresse de facturation", 1000)],
            [("Camille Lannoy", 500), ("Camille Lannoy", 1000)], [("FR39853344802", 500), ("FR39853344802", 1000)],
            [("48 rue Claude Balbastre", 500), ("48 rue Claude Balbastre", 1000)],
            [("34070 Montpellier", 500), ("34070 Montpellier", 1000)],
            [("Numéro de facture", 100), ("Numéro de TVA", 1300)], [("#FA003761", 100), ("FR39853344802", 1300)],
            [("Total", 1200), ("262,32 €", 1400)],
            [("Arcane Industries - 13400 Aubagne - SIRET 401 112 024 00039 NAF 2013B TVA FR62 401 112 024", 300)]]
    f = fields_of(doc(rows))
    assert f["customer_vat_id"]["normalized"] == "FR39853344802"
    assert f["supplier_vat_id"]["normalized"] == "FR62401112024"


def test_a_contact_over_the_company_in_both_address_blocks_leaves_the_customer_for_review():
    """invoices-5 dev: the delivery and billing blocks agreed on "Camille Lannoy", the contact over
    the company "Cemena", and the contact was accepted as the customer."""
    rows = [[("FACTURE", 1300)], [("#FA003761", 1300)],
            [("Adresse de livraison", 500), ("Adresse de facturation", 1000)],
            [("Camille Lannoy", 500), ("Camille Lannoy", 1000)], [("Cemena", 500), ("Cemena", 1000)],
            [("48 rue Claude Balbastre", 500), ("48 rue Claude Balbastre", 1000)],
            [("34070 Montpellier", 500), ("34070 Montpellier", 1000)],
            [("Numéro de facture", 100)], [("#FA003761", 100)], [("Total", 1200), ("262,32 €", 1400)]]
    f = fields_of(doc(rows))["customer"]
    assert f["status"] == "review" and "two lines before the address" in f["reason"]
    rows[4] = [("Cemena SARL", 500), ("Cemena SARL", 1000)]  # the company under its contact: still a person's call
    assert fields_of(doc(rows))["customer"]["status"] == "review"
    rows[3], rows[4] = [("Cemena SARL", 500), ("Cemena SARL", 1000)], [("Camille Lannoy", 500), ("Camille Lannoy", 1000)]
    f = fields_of(doc(rows))["customer"]  # the company first, its contact under it: the company
    assert (f["normalized"], f["status"]) == ("Cemena SARL", "accept")
    # no legal form, but the buyer's own e-mail domain spells the first line: the company over its contact
    rows[3], rows[4] = [("Ma jolie boutique", 500), ("Ma jolie boutique", 1000)], [("Alexandre Payet", 500), ("Alexandre Payet", 1000)]
    rows.insert(7, [("sav@majolieboutique.net", 500)])
    f = fields_of(doc(rows))["customer"]
    assert (f["normalized"], f["status"]) == ("Ma jolie boutique", "accept")


def test_a_valid_vat_id_is_checked_and_an_invalid_one_goes_to_review():
    good = fields_of(doc([*WINDOW, [("USt-IdNr.: DE136695976", 900)], *TAIL]))["supplier_vat_id"]
    assert good["status"] == "accept" and "check digits valid" in good["reason"]
    bad = fields_of(doc([*WINDOW, [("USt-IdNr.: DE136695977", 900)], *TAIL]))["supplier_vat_id"]
    assert bad["normalized"] == "DE136695977" and bad["status"] == "review"
    assert "check digits do not match" in bad["reason"]


def test_a_company_with_its_contact_person_is_accepted_two_companies_in_one_block_are_not():
    rows = [[("Rechnungsempfänger", 120)], [("Kunden AG Mitte", 120)], [("Hans Muster", 120)],
            [("Kundenstraße 15", 120)], [("69876 Frankfurt", 120)], *TAIL]
    f = fields_of(doc(rows))["customer"]
    assert f["normalized"] == "Kunden AG Mitte" and f["status"] == "accept"
    rows[2] = [("Beispiel GmbH", 120)]  # which of the two is billed? a person decides
    assert fields_of(doc(rows))["customer"]["status"] == "review"


def test_a_name_with_no_address_under_it_or_read_by_ocr_stays_in_review():
    no_address = [[("Rechnungsempfänger", 120)], [("Kunden AG Mitte", 120)], *TAIL]
    assert fields_of(doc(no_address))["customer"]["status"] == "review"
    rows = [[("Rechnungsempfänger", 120)], [("Kunden AG Mitte", 120)], [("Kundenstraße 15", 120)],
            [("69876 Frankfurt", 120)], *TAIL]
    assert fields_of(doc(rows))["customer"]["status"] == "accept"
    # OCR may have misread a letter of it: no second reading checks the characters.
    assert fields_of(doc(rows, source="ocr"))["customer"]["status"] == "review"


def test_the_email_domain_in_the_block_spelling_the_name_is_a_second_reading():
    rows = [[("Bill to", 120)], [("Customer ID: C-4711", 120)], [("Sagittarius Dental", 120)], [("12 Harbour Road", 120)],
            [("Springfield, IL 62704", 120)], [("accounts@sagittarius-dental.com", 120)], *TAIL]
    f = fields_of(doc(rows))["customer"]
    assert f["status"] == "accept" and "domain" in f["reason"]
    rows[5] = [("accounts@example.com", 120)]
    assert fields_of(doc(rows))["customer"]["status"] == "review"


def test_a_salutation_printed_on_the_name_line_is_dropped_and_the_name_still_needs_a_second_reading():
    rows = [[("Rechnungsempfänger", 120)], [("Kundennummer: 4711", 120)], [("Herrn Max Mustermann", 120)],
            [("Musterweg 1", 120)], [("12345 Musterstadt", 120)], *TAIL]
    f = fields_of(doc(rows))["customer"]
    assert f["normalized"] == "Max Mustermann" and f["value"] == "Herrn Max Mustermann"
    assert f["status"] == "review"  # a person's name, not first under its label, no second reading
    # The name first under its label (with or without a colon) and its street right under it: accepted.
    for label in ("Rechnungsempfänger:", "Rechnungsempfänger"):
        first = [[(label, 120)], *rows[2:]]
        f = fields_of(doc(first))["customer"]
        assert f["normalized"] == "Max Mustermann" and f["status"] == "accept" and "street" in f["reason"]
    first.insert(2, [("Abteilung Einkauf", 120)])  # something between the name and its street: review
    assert fields_of(doc(first))["customer"]["status"] == "review"


def test_a_street_and_town_on_one_line_is_an_address():
    rows = [[("Rechnungsempfänger:", 120)], [("Müller & Söhne KG", 120)], [("Hauptstraße 5, 80331 München", 120)],
            *TAIL]
    f = fields_of(doc(rows))["customer"]
    assert f["normalized"] == "Müller & Söhne KG" and f["status"] == "accept"


def test_the_supplier_printed_twice_is_accepted_once_or_as_the_customer_is_not():
    rows = [[("Verkäufer:", 120)], [("Lieferant GmbH", 120)], [("Lieferantenstraße 20", 120)], [("80333 München", 120)],
            *TAIL, [("Lieferant GmbH", 120)], [("Geschäftsführer: Hans Muster", 120)]]
    f = fields_of(doc(rows))["supplier"]
    assert f["normalized"] == "Lieferant GmbH" and f["status"] == "accept" and "printed twice" in f["reason"]
    once = rows[:-2]
    assert fields_of(doc(once))["supplier"]["status"] == "review"
    no_form = [[("Verkäufer:", 120)], [("Lieferant Meier", 120)], [("Lieferantenstraße 20", 120)],
               [("80333 München", 120)], *TAIL, [("Lieferant Meier", 120)]]
    assert fields_of(doc(no_form))["supplier"]["status"] == "review"


# --- the document-status policy (policy.py) ---

def _invoice(*extra, customer=True):
    head = [*WINDOW, [("Kunden AG", 120)], [("Kundenweg 8", 120)], [("40235 Düsseldorf", 120)]] if customer else []
    return [*head, *TAIL, *extra]


def test_an_invoice_that_prints_no_due_date_is_accepted_whole():
    result = doc(_invoice([("Die Rechnung ist sofort fällig.", 120)]))
    f = fields_of(result)
    assert f["due_date"]["normalized"] is None and f["customer"]["status"] == "accept"
    assert result["status"] == "accepted" and result["reason"] is None


def test_a_due_date_label_with_no_value_read_holds_the_document():
    result = doc(_invoice([("Fälligkeitsdatum:", 120)]))
    assert fields_of(result)["due_date"]["normalized"] is None
    assert result["status"] == "review" and "due_date (its label is printed" in result["reason"]


def test_without_a_company_list_the_customer_is_shown_and_holds_nothing():
    # No extraction.own_companies: nothing to check the bill-to against; one buyer is posting.
    rows = _invoice(customer=False)
    result = doc([[("Rechnungsempfänger", 120)], [("Kunden Mitte", 120)], *rows])
    assert fields_of(result)["customer"]["normalized"] == "Kunden Mitte"
    assert fields_of(result)["customer"]["status"] == "review"  # read once: still not accepted
    assert result["status"] == "accepted"


def test_with_a_company_list_the_customer_must_be_one_of_ours():
    rows = [[("Rechnungsempfänger", 120)], [("Kunden Mitte", 120)], *_invoice(customer=False)]
    ours = doc(rows, own_companies=["Kunden Mitte", "DE136695976"])
    f = fields_of(ours)["customer"]
    assert f["status"] == "accept" and "one of our companies" in f["reason"] and ours["status"] == "accepted"
    # case, punctuation, a salutation aside; the legal form left off when only one of ours has the words
    assert fields_of(doc(rows, own_companies=["KUNDEN MITTE GmbH"]))["customer"]["status"] == "accept"
    assert fields_of(doc(rows, own_companies=["Kunden Mitte GmbH", "Kunden Mitte AG"]))["customer"]["status"] == "review"
    other = doc(rows, own_companies=["Kunden Nord GmbH"])
    assert fields_of(other)["customer"]["status"] == "review"
    assert other["status"] == "review" and "not one of our companies" in other["reason"]
    # not found: held only when its label is printed (the value is there and was not read)
    assert doc(_invoice(customer=False), own_companies=["Kunden Nord GmbH"])["status"] == "accepted"
    assert doc([[("Rechnungsempfänger", 120)], *_invoice(customer=False)],
               own_companies=["Kunden Nord GmbH"])["status"] == "review"


def test_a_page_naming_two_of_our_companies_leaves_the_choice_to_a_person():
    rows = [[("Rechnungsempfänger", 120)], [("Kunden Mitte", 120)], *_invoice(customer=False),
            [("Lieferung an: Kunden Nord GmbH, Lager 2", 120)]]
    result = doc(rows, own_companies=["Kunden Mitte", "Kunden Nord GmbH"])
    assert fields_of(result)["customer"]["status"] == "review" and "another of our companies" in result["reason"]


def test_a_vat_id_of_ours_does_not_confirm_the_name_read():
    from streams.extract.confidence import FieldValue
    from streams.extract.layout import Layout
    from streams.extract.policy import confirm_own_company

    customer = FieldValue("customer", "Accounts Payable", "Accounts Payable", 0.85, 1, None, [], source="text")
    vat = FieldValue("customer_vat_id", "DE136695976", "DE136695976", 1.0, 1, None, [], source="text")
    confirm_own_company(Layout(lines=[]), [customer, vat], ("Kunden Mitte GmbH", "DE 136 695 976"))
    assert not customer.force_review and customer.confidence == 0.85  # not flagged as someone else's, not accepted


def test_a_missing_total_always_holds_the_document():
    rows = [r for r in _invoice() if r[0][0] != "Gesamtbetrag"]
    rows = [r for r in rows if r[0][0] not in ("Nettobetrag", "MwSt 19%")]
    result = doc(rows)
    assert fields_of(result)["total_amount"]["normalized"] is None
    assert result["status"] == "review" and "total_amount" in result["reason"]


def _contract(extra: list[str] = (), sig_extra: tuple[str, str] = ("", "")):
    from extract_records import ocr_result, page, rows

    from inkstream.settings import ExtractionSettings
    from streams.extract.extractor import extract
    from tests.streams.extract.test_extract_contract_parties import PREAMBLE, two_columns

    sig = two_columns(
        ["NORTHWIND TRADERS, LLC", "By: /s/ Oskar Lindqvist", "Name: Oskar Lindqvist", "Title: Managing Member",
         sig_extra[0]],
        ["BLUEFIN ANALYTICS, INC.", "By: /s/ Maria de la Cruz", "Name: Maria de la Cruz",
         "Title: Chief Executive Officer", sig_extra[1]], start=len(PREAMBLE) + len(extra))
    lines = rows([*PREAMBLE[:-1], *extra, PREAMBLE[-1]]) + sig
    return extract(ocr_result([page(lines, source="text")]), ExtractionSettings(), version="rules-3")


def test_a_contract_with_no_fee_and_no_signer_email_printed_is_accepted_whole():
    result = _contract()
    f = fields_of(result)
    assert f["total_amount"]["normalized"] is None and f["signer_email"]["normalized"] is None
    assert result["status"] == "accepted", result["reason"]


def test_a_contract_that_prints_a_fee_or_an_email_slot_that_was_not_read_is_held():
    # A fee the rules do not take as the contract's value ("per unit"): the amount is printed, so a person reads it.
    fee = _contract(["2. Payment. Compensation: USD 7 per unit shipped."])
    assert fields_of(fee)["total_amount"]["normalized"] is None
    assert fee["status"] == "review" and "total_amount" in fee["reason"]
    slot = _contract(sig_extra=("Email:", "Email:"))
    assert slot["status"] == "review" and "signer_email (its label is printed" in slot["reason"]


def test_an_ocr_name_is_accepted_only_when_two_blocks_read_the_same_characters():
    def rows(left, right):
        return [[("Rechnungsempfänger", 120), ("Warenempfänger", 800)], [(left, 120), (right, 800)],
                [("Kundenweg 8", 120), ("Hauptstraße 44", 800)], [("40235 Düsseldorf", 120), ("31157 Sarstedt", 800)],
                *TAIL]
    f = fields_of(doc(rows("MUSTER-KUNDE GMBH", "MUSTER-KUNDE GMBH"), source="ocr"))["customer"]
    assert f["status"] == "accept" and "read identically by OCR" in f["reason"]
    # One reading lost the hyphen: the blocks agree on the words, not on the characters.
    f = fields_of(doc(rows("MUSTER-KUNDE GMBH", "MUSTER KUNDE GMBH"), source="ocr"))["customer"]
    assert f["status"] == "review"


def test_a_one_box_letterhead_gives_the_name_up_to_its_legal_form():
    rows = [[("Fabrikam GmbH Industriestrasse 12, 70173 Stuttgart VAT DE123456789", 120)], *TAIL]
    f = fields_of(doc(rows))["supplier"]
    assert f["normalized"] == "Fabrikam GmbH" and f["status"] == "review"  # read once
    rows = [[("Maison Dupont SARL", 120)], *TAIL]
    assert fields_of(doc(rows))["supplier"]["normalized"] == "Maison Dupont SARL"


def test_the_account_holder_confirms_the_supplier_a_web_domain_does_not():
    seller = [[("Verkäufer:", 120)], [("Nordlicht Möbel GmbH", 120)], [("Fjordweg 3", 120)], [("24103 Kiel", 120)]]
    f = fields_of(doc([*seller, *TAIL, [("Kontoinhaber: Nordlicht Möbel GmbH", 120)]]))["supplier"]
    assert f["status"] == "accept" and "account's holder" in f["reason"]
    # The domain spells the words, not the legal form the truth may or may not carry.
    assert fields_of(doc([*seller, *TAIL, [("www.nordlicht-moebel.de", 120)]]))["supplier"]["status"] == "review"
    f = fields_of(doc([*seller, *TAIL, [("Kontoinhaber: Südlicht Möbel GmbH", 120)]]))
    assert f["supplier"]["status"] == "review"


def test_a_seller_named_like_a_salutation_keeps_its_name():
    rows = [[("MR. D.I.Y. (M) SDN BHD", 120)], [("Lot 1851-A, Jalan KPB 6, 43300 Seri Kembangan", 120)], *TAIL]
    assert fields_of(doc(rows))["supplier"]["normalized"].startswith("MR. D.I.Y.")


@pytest.mark.parametrize("sentence", [
    "Bitte überweisen Sie den Betrag bis zum 3.10.2018 auf unser Konto.",
    "Please pay by 3 October 2018.", "Paiement à effectuer avant le 03/10/2018.",
    "Gelieve te betalen uiterlijk 03-10-2018.",
])
def test_a_due_date_in_a_sentence_is_a_sign_of_one(sentence):
    from streams.extract.layout import Layout
    from streams.extract.policy import label_printed
    from tests.streams.extract.extract_records import ocr_result, page

    assert label_printed(Layout.from_ocr(ocr_result([page(layout([[(sentence, 120)]]))])), "due_date")
    none = Layout.from_ocr(ocr_result([page(layout([[("Die Rechnung ist sofort fällig. Vielen Dank!", 120)]]))]))
    assert not label_printed(none, "due_date")


@pytest.mark.parametrize("greeting, ok", [
    ("Sehr geehrter Herr Mustermann,", True), ("Dear Mr Mustermann,", True), ("Monsieur Mustermann,", True),
    ("Sehr geehrte Damen und Herren,", False), ("Sehr geehrter Herr Muster,", False), ("Hallo Max,", False),
    ("Sehr geehrter Herr Mann,", False),
])
def test_the_letters_salutation_confirms_a_persons_name(greeting, ok):
    rows = [[("Rechnungsempfänger", 120)], [("Kundennummer: 4711", 120)], [("Herrn Max Mustermann", 120)],
            [("Musterweg 1", 120)], [("12345 Musterstadt", 120)], [(greeting, 120)], *TAIL]
    f = fields_of(doc(rows))["customer"]
    assert f["normalized"] == "Max Mustermann" and (f["status"] == "accept") is ok


def test_a_seller_block_with_a_valid_vat_id_confirms_the_supplier_a_specimen_id_does_not():
    def seller(vat):
        return [[("Verkäufer:", 120)], [("Nordlicht Möbel GmbH", 120)], [("Fjordweg 3", 120)], [("24103 Kiel", 120)],
                [(f"USt-IdNr.: {vat}", 120)], *TAIL]
    f = fields_of(doc(seller("DE136695976")))["supplier"]
    assert f["status"] == "accept" and "valid check digits" in f["reason"]
    assert fields_of(doc(seller("DE123456789")))["supplier"]["status"] == "review"


@pytest.mark.parametrize("block, name, status", [
    # DIN 5008: company, then the person it is for; the company is the customer
    (["Firma", "Beispiel GmbH", "z. Hd. Herrn Müller", "Weg 2", "54321 Ort"], "Beispiel GmbH", "accept"),
    # a department or a person above the company: which one is "the customer"? a person decides
    (["Buchhaltung", "Beispiel GmbH", "Weg 2", "54321 Ort"], "Buchhaltung", "review"),
    (["Max Mustermann", "Beispiel GmbH", "Weg 2", "54321 Ort"], "Max Mustermann", "review"),
    (["Beispiel GmbH", "Muster AG", "Weg 2", "54321 Ort"], "Beispiel GmbH", "review"),
    (["Karl Muster", "Uferstraße 113", "88045 Friedrichshafen"], "Karl Muster", "accept"),
])
def test_the_window_addressee_is_accepted_only_when_one_line_can_be_the_name(block, name, status):
    rows = [*WINDOW, *[[(text, 120)] for text in block], *TAIL]
    f = fields_of(doc(rows))["customer"]
    assert (f["normalized"], f["status"]) == (name, status)


def test_the_when_printed_setting_chooses_which_optional_fields_hold_an_invoice():
    rows = [[("Rechnungsempfänger", 120)], [("Kundennummer: 4711", 120)], [("Kunden Mitte", 120)], *_invoice(customer=False)]
    assert doc(rows, own_companies=["Kunden Nord"])["status"] == "review"  # printed, not ours
    assert doc(rows, own_companies=["Kunden Nord"], when_printed={"invoice": ["due_date"]})["status"] == "accepted"
    assert doc(rows, when_printed={"invoice": ["due_date", "customer"]})["status"] == "review"


def test_an_ocr_vat_id_without_check_digits_is_not_accepted_a_checked_one_is():
    from streams.extract.confidence import FieldValue
    from streams.extract.parties import _check_vat

    unchecked = FieldValue("supplier_vat_id", "XX123456789", "XX123456789", 0.99, 1, None, [], source="ocr")
    _check_vat(unchecked)
    assert unchecked.force_review and "publishes no check digits" in unchecked.reasons[-1]
    same_on_text = FieldValue("supplier_vat_id", "XX123456789", "XX123456789", 1.0, 1, None, [], source="text")
    _check_vat(same_on_text)
    assert not same_on_text.force_review
    valid = FieldValue("supplier_vat_id", "DE136695976", "DE136695976", 0.99, 1, None, [], source="ocr")
    _check_vat(valid)
    assert valid.checked and not valid.force_review


@pytest.mark.parametrize("label, status", [("Remit To:", "accept"), ("Please remit payment to:", "accept"),
                                           ("Make checks payable to:", "accept"),  # a seller label already
                                           ("Sold To:", "review")])  # a second buyer block naming someone else
def test_the_payees_remit_to_block_is_no_rival_addressee(label, status):
    rows = [[("Acme Inc.", 120)], [("123 Main St, Springfield, IL 62701", 120)], [("INVOICE", 120)], [("Invoice No: 42", 900)],
            [("Date: 03/14/2024", 900)], [("Bill To:", 120), (label, 700)], [("Beta Corp", 120), ("Acme Inc. Lockbox", 700)],
            [("456 Oak Ave", 120), ("PO Box 1234", 700)], [("Austin, TX 78701", 120), ("Chicago, IL 60601", 700)],
            [("Subtotal", 900), ("100.00", 1400)], [("Tax", 900), ("10.00", 1400)], [("Total", 900), ("$110.00", 1400)]]
    f = fields_of(run(layout(rows)))["customer"]
    assert (f["normalized"], f["status"]) == ("Beta Corp", status)


@pytest.mark.parametrize("seller, buyer", [("Billed By", "Billed To"), ("Issued by", "Issued to"),
                                           ("Service Provider", "Client"), ("Invoice From", "Invoice To")])
def test_seller_and_buyer_headings_side_by_side(seller, buyer):
    rows = [[("INVOICE", 120)], [("Invoice No: 42", 900)], [("Date: 03/14/2024", 900)], [(seller, 120), (buyer, 700)],
            [("Acme Inc.", 120), ("Beta Corp", 700)], [("123 Main St", 120), ("456 Oak Ave", 700)],
            [("Springfield, IL 62701", 120), ("Austin, TX 78701", 700)],
            [("Subtotal", 900), ("100.00", 1400)], [("Tax", 900), ("10.00", 1400)], [("Total", 900), ("$110.00", 1400)]]
    f = fields_of(run(layout(rows)))
    assert (f["customer"]["normalized"], f["supplier"]["normalized"]) == ("Beta Corp", "Acme Inc.")


@pytest.mark.parametrize("line, iban", [
    ("IBAN: AT611904300234573201 BIC: SPSBAT21XXX", "AT611904300234573201"),
    ("IBAN AT61 1904 3002 3457 3201 BIC BKAUATWW", "AT611904300234573201"),
    ("IBAN: DE89370400440532013000 BIC: GENODEF1S02", "DE89370400440532013000"),
])
def test_an_iban_followed_by_the_bic_on_its_line_is_read(line, iban):
    """An Austrian IBAN has four groups after its check digits; the pattern's optional short last
    group took the " BIC" after it, the mod-97 check failed and the IBAN was lost."""
    rows = [[("Muster GmbH", 120)], [("RECHNUNG", 120)], [("Rechnungsnummer: R-1", 120)],
            [("Rechnungsdatum: 03.04.2026", 120)], [("Rechnungsbetrag: 119,00 EUR", 120)], [(line, 120)]]
    assert fields_of(run(layout(rows)))["iban"]["normalized"] == iban

"""The supplier (issuer) name on invoices: where it is read and when a second printing
confirms it (streams/extract/address.py supplier_name, streams/extract/parties.py)."""

from __future__ import annotations

from tests.streams.extract.test_extract_address import TAIL
from tests.streams.extract.test_extract_multilingual import fields_of, layout, run


def supplier(rows, **kw):
    return fields_of(run(layout(rows), **kw))["supplier"]


SELLER_VAT = [[("USt-IdNr.: DE136695976", 120)]]  # valid check digits (ISO 7064 mod 11,10)


def test_a_seller_label_split_by_a_kerning_gap_finds_the_name_but_never_accepts_it():
    rows = [[("Stylesheet zur Lesbarmachung der XML-Daten", 120)], [("Handelsrechnung Nr. 7", 120)],
            [("Ver käufer:", 120)], [("Lieferant GmbH", 120)], [("Lieferantenstraße 20", 120)], [("80333 München", 120)],
            *SELLER_VAT, *TAIL, [("Kontoinhaber: Lieferant GmbH", 120)]]
    f = supplier(rows)
    assert f["normalized"] == "Lieferant GmbH"
    # Joined letters may be running text: the account holder and the VAT id do not confirm it.
    assert f["status"] == "review" and "kerning gap" in f["reason"]
    assert supplier([r for r in rows if r[0][0] != "Ver käufer:"])["normalized"] != "Lieferant GmbH"
    # The label as printed is read before the kerned one, and accepts as before.
    f = supplier([r if r[0][0] != "Ver käufer:" else [("Verkäufer:", 120)] for r in rows])
    assert f["normalized"] == "Lieferant GmbH" and f["status"] == "accept"


def test_a_kerned_label_is_only_a_short_line_and_only_after_the_letterhead():
    # A sentence whose letters happen to join into a label word is not a label.
    rows = [[("Wir danken für Ihren Auftrag und liefern wie folgt ver käufer", 120)], [("Lieferant GmbH", 120)],
            [("Lieferantenstraße 20", 120)], [("80333 München", 120)], *TAIL]
    assert supplier(rows)["normalized"] != "Lieferant GmbH"
    # A one-line letterhead comes first.
    rows = [[("Acme GmbH | Europa-Allee 1 | 60486 Frankfurt", 120)], [("Ver käufer:", 120)], [("Lieferant GmbH", 120)],
            [("80333 München", 120)], *TAIL]
    assert supplier(rows)["normalized"] == "Acme GmbH"


def test_a_company_name_wrapped_onto_a_second_line_ending_in_its_legal_form_is_one_name():
    rows = [[("Verkäufer:", 120)], [("MVM Musterhafter", 120)], [("Versicherungsverein Musterstadt a.G.", 120)],
            [("Musterstr. 12", 120)], [("12345 Musterstadt", 120)], *TAIL]
    assert supplier(rows)["normalized"] == "MVM Musterhafter Versicherungsverein Musterstadt a.G."
    # A contact person under a complete company name is not part of it.
    rows = [[("Verkäufer:", 120)], [("Nordlicht Möbel GmbH", 120)], [("Einkauf Nord GmbH", 120)],
            [("Fjordweg 3", 120)], [("24103 Kiel", 120)], *TAIL]
    assert supplier(rows)["normalized"] == "Nordlicht Möbel GmbH"
    # The line under the name is a street, not the rest of the name.
    rows = [[("Verkäufer:", 120)], [("Nordlicht Möbel", 120)], [("Fjordweg 3", 120)], [("24103 Kiel", 120)], *TAIL]
    assert supplier(rows)["normalized"] == "Nordlicht Möbel"


def test_a_forms_name_row_takes_the_names_first_line_from_the_row_above():
    rows = [[("Verkäufer", 120)], [("Nummer:", 120), ("549910", 700)], [("MVM Musterhafter", 700)],
            [("Name:", 120), ("Versicherungsverein Musterstadt a.G.", 700)], [("Anschrift:", 120), ("Musterstr. 12", 700)],
            [("12345 Musterstadt", 700)], *TAIL]
    f = supplier(rows)
    assert f["normalized"] == "MVM Musterhafter Versicherungsverein Musterstadt a.G."
    # Without the row above, the name row alone.
    f = supplier([r for r in rows if r[0][0] != "MVM Musterhafter"])
    assert f["normalized"] == "Versicherungsverein Musterstadt a.G."


# The envelope layout: letterhead top right, the sender's return address over the window.
LETTERHEAD = [[("Bei Spiel GmbH", 1250)], [("Ecke 12", 1250)],
              [("Bei Spiel GmbH - Ecke 12 - 12345 Stadt", 120)], [("Theodor Est", 120)],
              [("Bahnstr. 42", 120)], [("88802 Spielkreis", 120)]]


def test_the_letterhead_and_the_return_address_over_the_window_are_two_printings_of_the_seller():
    f = supplier([*LETTERHEAD, *TAIL])
    assert f["normalized"] == "Bei Spiel GmbH" and f["status"] == "accept" and "printed twice" in f["reason"]
    # The return address alone is one printing.
    f = supplier([[("Bei Spiel GmbH - Ecke 12 - 12345 Stadt", 120)], *LETTERHEAD[3:], *TAIL])
    assert f["normalized"] == "Bei Spiel GmbH" and f["status"] == "review"
    # A second printing under the buyer's label is the customer's block, not the seller's letterhead.
    rows = [[("Bei Spiel GmbH - Ecke 12 - 12345 Stadt", 120)], [("Kunde:", 1250)], [("Bei Spiel GmbH", 1250)],
            *LETTERHEAD[3:], *TAIL]
    assert supplier(rows)["status"] == "review"


def test_the_footers_legal_line_naming_the_company_confirms_the_letterhead():
    # The footer at the foot of the page (a one-line register row in the top part is a letterhead).
    head = [[("Nordlicht Möbel GmbH", 120)], [("Fjordweg 3, 24103 Kiel", 120)], *TAIL, [("Vielen Dank!", 120)],
            *[[] for _ in range(40)]]
    for footer in ("Nordlicht Möbel GmbH · Sitz Kiel · Amtsgericht Kiel HRB 1234 · Geschäftsführer: O. Berg",
                   "Nordlicht Möbel GmbH - Fjordweg 3 - 24103 Kiel", "Nordlicht Möbel GmbH | USt-IdNr. DE136695976"):
        f = supplier([*head, [(footer, 120)]])
        assert f["normalized"] == "Nordlicht Möbel GmbH" and f["status"] == "accept", footer
        assert "footer's legal line" in f["reason"]
    # Another company whose name starts the same, or the name in a sentence: no second printing.
    for footer in ("Nordlicht Möbel GmbH & Co. KG · Sitz Kiel · HRB 99", "Nordlicht Möbel GmbH dankt für Ihren Auftrag",
                   "Südlicht Möbel GmbH · Sitz Kiel · HRB 1234"):
        assert supplier([*head, [(footer, 120)]])["status"] == "review", footer
    french = [[("Moulin Durand SAS", 120)], [("12 rue de la Paix, 75002 Paris", 120)], *head[2:]]
    f = supplier([*french, [("Moulin Durand SAS au capital de 10 000 € - RCS Paris 424 761 419", 120)]])
    assert f["status"] == "accept" and "footer's legal line" in f["reason"]
    # A name without its legal form is never confirmed (which company is it?).
    f = supplier([[("Nordlicht Möbel", 120)], *head[1:], [("Nordlicht Möbel · Sitz Kiel · HRB 1234", 120)]])
    assert f["normalized"] == "Nordlicht Möbel"
    assert f["status"] == "review"


def test_a_forms_seller_block_with_a_valid_vat_id_confirms_the_name_the_buyers_does_not():
    def form(seller_vat, buyer_vat):
        return [[("Verkäufer", 120)], [("Nummer:", 120), ("549910", 700)], [("Name:", 120), ("Elektron Service GmbH", 700)],
                [("Anschrift:", 120), ("Erfurter Strasse 13", 700)], [("74465 Demoort", 700)],
                *([[("USt.-Id.-Nr.:", 120), (seller_vat, 700)]] if seller_vat else []),
                [], [], [], [("Käufer", 120)], [("Name:", 120), ("Consulting AG", 700)],
                [("Anschrift:", 120), ("Musterstr. 18", 700)], [("76138 Karlsruhe", 700)],
                *([[("USt.-Id.-Nr.:", 120), (buyer_vat, 700)]] if buyer_vat else []), *TAIL]
    f = supplier(form("DE136695976", None))
    assert f["normalized"] == "Elektron Service GmbH" and f["status"] == "accept" and "valid check digits" in f["reason"]
    assert supplier(form("DE123456789", None))["status"] == "review"  # a specimen id
    assert supplier(form(None, "DE136695976"))["status"] == "review"  # the buyer's id is not the seller's


def test_a_domain_that_is_the_sellers_name_letter_for_letter_confirms_it_on_a_text_layer():
    def rows(name, contact, *, buyer=False):
        block = [[("Kunde:", 120)], [(contact, 120)]] if buyer else [[(contact, 120)]]
        return [[(name, 120)], [("12 High Street, London W1 1AA", 120)], *block, *TAIL]
    for name, contact in (("Company ABC", "info@companyabc.com"), ("ADISHAKTI CARS PVT. LTD.", "www.adishakticarspvtltd.com"),
                          ("Acme Widgets Ltd", "https://www.acmewidgetsltd.co.uk")):
        f = supplier(rows(name, contact))
        assert f["normalized"] == name and f["status"] == "accept" and "domain is its name" in f["reason"], name
    # Only a word of the name, a longer domain, the buyer's e-mail, or no legal form: no confirmation.
    assert supplier(rows("Acme Widgets Ltd", "sales@acme.com"))["status"] == "review"
    assert supplier(rows("Acme Ltd", "sales@acmegroup.com"))["status"] == "review"
    # The words without the legal form: which form of the name is the issuer's, the domain does not say.
    assert supplier(rows("Au bon moulin SARL", "contact@aubonmoulin.fr"))["status"] == "review"
    assert supplier(rows("Acme Ltd", "buyer@acme.com", buyer=True))["status"] == "review"
    assert supplier(rows("Contoso Suites", "hello@contososuites.com"))["status"] == "review"
    # An OCR reading may have misread the name's punctuation: the domain says only its letters.
    assert supplier(rows("Company ABC", "info@companyabc.com"), source="ocr")["status"] == "review"


def test_issued_by_and_emetteur_head_the_sellers_block_remit_to_does_not():
    for label in ("Issued by:", "Émetteur :", "Aussteller:", "Billed from:"):
        rows = [[("Acme Corp logo", 1250)], [(label, 120)], [("Northwind Traders Inc.", 120)], [("100 Main Street", 120)],
                [("Springfield, IL 62704", 120)], *TAIL]
        assert supplier(rows)["normalized"] == "Northwind Traders Inc.", label
    # The remittance address names a billing department or a lockbox, not the issuer.
    rows = [[("CONTOSO LTD.", 120)], [("123 456 St, New York, NY 10001", 120)], *TAIL, [("REMIT TO:", 120)],
            [("Contoso Billing", 120)], [("123 Remit St", 120)], [("New York, NY, 10001", 120)]]
    assert supplier(rows)["normalized"] == "CONTOSO LTD."


def test_a_two_word_seller_label_is_read_as_printed_not_joined():
    rows = [[("Acme Corp logo", 1250)], [("Make checks payable to:", 120)], [("Northwind Traders Inc.", 120)],
            [("100 Main Street", 120)], [("Springfield, IL 62704", 120)], *TAIL]
    f = supplier(rows)
    assert f["normalized"] == "Northwind Traders Inc." and "kerned" not in f["reason"]


def test_where_the_top_gives_no_name_the_footers_legal_line_names_the_issuer():
    footer = [*[[] for _ in range(40)], [("Nordlicht Möbel GmbH · Sitz Kiel · Amtsgericht Kiel HRB 1234", 120)]]
    body = [[("Fjordweg 3, 24103 Kiel", 120)], *TAIL]
    f = supplier([[("17. Februar 2026", 120)], *body, *footer])
    assert f["normalized"] == "Nordlicht Möbel GmbH" and f["status"] == "review" and "footer's legal line" in f["reason"]
    # A name at the top stays the reading; the footer then only confirms or not.
    assert supplier([[("Südlicht Design", 120)], *body, *footer])["normalized"] == "Südlicht Design"
    # The same line high on the page is the letterhead, read as such (not as the footer).
    f = supplier([[("17. Februar 2026", 120)], footer[-1], *body])
    assert "letterhead" in f["reason"] and "footer's legal line" not in f["reason"]

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

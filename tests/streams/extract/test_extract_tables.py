"""Line items read by columns from word boxes (streams/extract/tables.py).

Pages are built as the text-layer reader and OCR give them: lines with word boxes, cells
split or merged however the producer drew them.
"""

from __future__ import annotations

from decimal import Decimal

from inkstream.settings import ExtractionSettings
from streams.extract.layout import Layout
from streams.extract.local import extract_pages
from streams.extract.tables import table_items

CHAR = 10.0  # px per character: word boxes follow the text


def cell(text: str, x0: float, y: float, *, words: bool = True, height: float = 20.0) -> dict:
    """One text box at (x0, y); its words' boxes where the reader gives them."""
    out_words, x = [], x0
    for w in text.split(" "):
        if w:
            out_words.append({"text": w, "confidence": 1.0,
                              "box": {"x0": x, "y0": y, "x1": x + CHAR * len(w), "y1": y + height}})
        x += CHAR * (len(w) + 1)
    line = {"text": text, "confidence": 1.0, "box": {"x0": x0, "y0": y, "x1": x0 + CHAR * len(text), "y1": y + height}}
    if words:
        line["words"] = out_words
    return line


def page(number: int, *lines: dict) -> dict:
    return {"number": number, "width": 1240, "height": 1754, "text_source": "text_layer", "lines": list(lines)}


def items_of(*pages: dict) -> tuple[list[tuple], Decimal | None]:
    got = table_items(Layout.from_ocr({"pages": list(pages)}))
    assert got is not None, "no item table found"
    records, total = got
    return [(r["description"], r["quantity"], r["unit_price"], r["amount"]) for r in records], total


GERMAN_HEADER = (cell("Pos", 50, 100), cell("Bezeichnung", 120, 100), cell("Menge", 600, 100),
                 cell("Einzelpreis", 720, 100), cell("Betrag", 900, 100))


def test_a_description_box_running_into_the_quantity_column_is_cut_at_the_column():
    items, total = items_of(page(1, *GERMAN_HEADER,
                                 # one box for two cells: "Kunstrasen grün 3m breit" and the quantity
                                 cell("1", 50, 140), cell("Kunstrasen grün 3m breit 3,00", 330, 140),
                                 cell("4,00", 760, 140), cell("12,00", 900, 140),
                                 cell("Zwischensumme", 600, 200), cell("12,00", 900, 200)))
    assert items == [("Kunstrasen grün 3m breit", "3", "4.00", "12.00")]
    assert total == Decimal("12.00")


def test_numbers_inside_a_description_stay_text():
    items, _ = items_of(page(1, *GERMAN_HEADER,
                             cell("2", 50, 140), cell("Mischpalette Karton 3 x 20", 120, 140), cell("2", 640, 140),
                             cell("29,10", 760, 140), cell("58,20", 900, 140)))
    assert items == [("Mischpalette Karton 3 x 20", "2", "29.10", "58.20")]


def test_a_description_over_several_lines_is_joined_until_a_key_value_line():
    items, _ = items_of(page(1, *GERMAN_HEADER,
                             cell("1", 50, 140), cell("Stadtfahrt", 120, 140), cell("6,5 Stk", 600, 140),
                             cell("2,0000", 740, 140), cell("13,00", 900, 140),
                             cell("- 2,00 Euro je", 120, 165), cell("gefahrene Kilometer", 120, 190),
                             cell("GTIN: 4012345001235", 120, 215), cell("Lieferung in 4 Kartons", 120, 240),
                             cell("2", 50, 300), cell("Grundpreis", 120, 300), cell("1 Stk", 600, 300),
                             cell("3,9000", 740, 300), cell("3,90", 900, 300),
                             cell("Summe netto", 600, 360), cell("16,90", 900, 360)))
    assert items == [("Stadtfahrt - 2,00 Euro je gefahrene Kilometer", "6.5", "2.00", "13.00"),
                     ("Grundpreis", "1", "3.90", "3.90")]


def test_german_numbers_thousands_and_four_decimal_prices():
    items, total = items_of(page(1, *GERMAN_HEADER,
                                 cell("1", 50, 140), cell("Amboss", 120, 140), cell("1 Stück", 600, 140),
                                 cell("1.000,00", 720, 140), cell("1.000,00", 900, 140),
                                 cell("2", 50, 170), cell("Wirkarbeit HT", 120, 170), cell("10000,0000 KWh", 560, 170),
                                 cell("0,0520", 740, 170), cell("520,00", 900, 170),
                                 cell("Gesamtbetrag", 600, 230), cell("1.520,00", 880, 230)))
    assert items == [("Amboss", "1", "1000.00", "1000.00"), ("Wirkarbeit HT", "10000", "0.05", "520.00")]
    assert total == Decimal("1520.00")


def test_hours_and_minutes_in_the_quantity_column_are_a_quantity_of_hours():
    # a time-tracking invoice (Kimai): 5 h 58 min at 109,00 €/h = 650,37 €
    items, total = items_of(page(1, *GERMAN_HEADER,
                                 cell("1", 50, 140), cell("Beratung", 120, 140), cell("05:58 h", 600, 140),
                                 cell("109,00 €", 720, 140), cell("650,37 €", 900, 140),
                                 cell("Rechnungsendbetrag", 600, 200), cell("650,37 €", 900, 200)))
    assert items == [("Beratung", "5.9667", "109.00", "650.37")]
    assert total == Decimal("650.37")
    # a clock time in the description or price column is no quantity
    assert table_items(Layout.from_ocr({"pages": [page(1, *GERMAN_HEADER, cell("1", 50, 140), cell("Beratung 05:58", 120, 140),
                                                       cell("109,00 €", 720, 140), cell("650,37 €", 900, 140))]})) is None


def test_a_pack_size_column_between_quantity_and_price_is_not_the_quantity():
    header = (cell("Artikelbezeichnung", 120, 100), cell("Menge", 560, 100), cell("VKE/Geb", 660, 100),
              cell("Nettopreis", 760, 100), cell("Nettowert", 900, 100))
    items, _ = items_of(page(1, *header,
                             cell("ZS997", 120, 140), cell("100,0000 Stk.", 520, 140), cell("1", 690, 140),
                             cell("1,0000", 780, 140), cell("100,00", 920, 140),
                             cell("Zitronensäure 100ml", 120, 165),
                             cell("Bierbrau Pils", 120, 200), cell("15,0000 Stk.", 530, 200), cell("20", 680, 200),
                             cell("12,0000", 770, 200), cell("180,00", 920, 200)))
    # "ZS997" alone on the item row is the article number; the name is on the line below.
    assert items == [("Zitronensäure 100ml", "100", "1.00", "100.00"), ("Bierbrau Pils", "15", "12.00", "180.00")]


def test_a_discount_row_is_the_allowance_of_the_item_above():
    items, total = items_of(page(1, *GERMAN_HEADER,
                                 cell("1", 50, 140), cell("Kunstrasen", 120, 140), cell("3", 620, 140),
                                 cell("4,00", 760, 140), cell("12,00", 900, 140),
                                 cell("abzgl.", 600, 170), cell("16,7% Rabatt", 680, 170), cell("-2,00", 900, 170),
                                 cell("2", 50, 200), cell("Schweinesteak", 120, 200), cell("5", 620, 200),
                                 cell("5,50", 760, 200), cell("27,50", 900, 200),
                                 cell("Zwischensumme", 600, 260), cell("37,50", 900, 260)))
    assert items == [("Kunstrasen", "3", "3.33", "10.00"), ("Schweinesteak", "5", "5.50", "27.50")]
    assert total == Decimal("37.50")


def test_a_discount_column_enters_the_arithmetic_and_a_stacked_header_is_read_as_one_label():
    header = (cell("Prix", 760, 80), cell("Description", 200, 100), cell("Quantité", 560, 100),
              cell("Rem.", 900, 100), cell("Prix HT", 1000, 100), cell("unitaire", 740, 120))
    items, _ = items_of(page(1, *header,
                             cell("Nougat de l'Abbaye 250g", 40, 160), cell("50 Unit(s)", 580, 160),
                             cell("4,55 €", 760, 160), cell("10%", 910, 160), cell("204,75 €", 1000, 160),
                             cell("Total HT", 800, 220), cell("204,75 €", 1000, 220)))
    # Net unit price after the 10% discount, as EN 16931 states it.
    assert items == [("Nougat de l'Abbaye 250g", "50", "4.10", "204.75")]


def test_the_totals_block_ends_the_table_and_is_no_item():
    items, total = items_of(page(1, *GERMAN_HEADER,
                                 cell("1", 50, 140), cell("Beratung", 120, 140), cell("3", 620, 140),
                                 cell("80,00", 740, 140), cell("240,00", 900, 140),
                                 cell("Summe netto", 600, 200), cell("240,00", 900, 200),
                                 cell("Umsatzsteuer 19%", 600, 230), cell("45,60", 900, 230),
                                 cell("Rechnungsbetrag", 600, 260), cell("285,60", 900, 260),
                                 # a later row that would read as an item had the table not ended
                                 cell("Nachlieferung", 120, 300), cell("1", 620, 300), cell("9,00", 740, 300),
                                 cell("9,00", 900, 300)))
    assert items == [("Beratung", "3", "80.00", "240.00")]
    assert total == Decimal("240.00")


def test_a_table_continues_on_the_next_page():
    first = page(1, *GERMAN_HEADER, cell("1", 50, 140), cell("Trennblätter A4", 120, 140), cell("20 Stk", 600, 140),
                 cell("9,9000", 740, 140), cell("198,00", 900, 140))
    second = page(2, cell("2", 50, 60), cell("5,5000", 730, 60), cell("50 Stk", 590, 60), cell("275,00", 895, 60),
                  cell("Joghurt", 120, 90), cell("Banane", 120, 115),
                  cell("Positionssumme", 600, 200), cell("473,00", 895, 200))
    items, total = items_of(first, second)
    assert items == [("Trennblätter A4", "20", "9.90", "198.00"), ("Joghurt Banane", "50", "5.50", "275.00")]
    assert total == Decimal("473.00")


def test_english_dutch_spanish_italian_and_polish_headers_are_tables():
    for desc, qty, price, amount in [("Description", "Qty", "Unit price", "Amount"),
                                     ("Omschrijving", "Aantal", "Prijs", "Bedrag"),
                                     ("Descripción", "Cantidad", "Precio", "Importe"),
                                     ("Descrizione", "Quantità", "Prezzo", "Importo"),
                                     ("Opis", "Ilość", "Cena", "Wartość")]:
        items, _ = items_of(page(1, cell(desc, 120, 100), cell(qty, 600, 100), cell(price, 720, 100),
                                 cell(amount, 900, 100),
                                 cell("Widget", 120, 140), cell("2", 620, 140), cell("10.00", 740, 140),
                                 cell("20.00", 900, 140)))
        assert items == [("Widget", "2", "10.00", "20.00")], desc


def test_ocr_lines_without_word_boxes_are_split_by_characters():
    items, _ = items_of(page(1, *(dict(c, words=[]) for c in GERMAN_HEADER),
                             cell("Beratung vor Ort", 120, 140, words=False), cell("3", 620, 140, words=False),
                             cell("80,00", 740, 140, words=False), cell("240,00", 900, 140, words=False)))
    assert items == [("Beratung vor Ort", "3", "80.00", "240.00")]


def test_a_credit_note_printing_negative_amounts_states_them_positive_a_correction_keeps_its_signs():
    credit, _ = items_of(page(1, *GERMAN_HEADER, cell("Huile d'olive", 120, 140), cell("10", 620, 140),
                              cell("19,80", 740, 140), cell("-198,00", 890, 140)))
    assert credit == [("Huile d'olive", "10", "19.80", "198.00")]
    correction, _ = items_of(page(1, *GERMAN_HEADER, cell("Zitronensäure", 120, 140), cell("-5 Stk", 600, 140),
                                  cell("1,0000", 740, 140), cell("-5,00", 900, 140)))
    assert correction == [("Zitronensäure", "-5", "1.00", "-5.00")]


def test_a_rotated_margin_note_does_not_merge_rows():
    margin = {"text": "Beispielrechnung Copyright", "confidence": 1.0, "box": {"x0": 5, "y0": 100, "x1": 20, "y1": 400}}
    items, _ = items_of(page(1, margin, *GERMAN_HEADER,
                             cell("1", 50, 140), cell("Beratung", 120, 140), cell("3", 620, 140),
                             cell("80,00", 740, 140), cell("240,00", 900, 140),
                             cell("2", 50, 250), cell("Anfahrt", 120, 250), cell("1", 620, 250),
                             cell("30,00", 740, 250), cell("30,00", 900, 250)))
    assert [i[0] for i in items] == ["Beratung", "Anfahrt"]


def test_a_page_without_an_item_table_or_items_under_its_header_leaves_it_to_the_line_reader():
    assert table_items(Layout.from_ocr({"pages": [page(1, cell("Rechnung Nr. 42", 50, 50),
                                                          cell("Gesamtbetrag 119,00 EUR", 50, 100))]})) is None
    assert table_items(Layout.from_ocr({"pages": [page(1, *GERMAN_HEADER, cell("Gesamtbetrag", 600, 200),
                                                          cell("119,00", 900, 200))]})) is None


def test_items_adding_up_to_the_subtotal_confirm_it():
    lines = [cell("Rechnung", 50, 40), cell("Rechnungsnummer: R-2024-17", 50, 70),
             cell("Rechnungsdatum: 03.05.2024", 50, 95),
             *GERMAN_HEADER,
             cell("1", 50, 140), cell("Beratung", 120, 140), cell("3", 620, 140), cell("80,00", 740, 140),
             cell("240,00", 900, 140),
             cell("2", 50, 170), cell("Anfahrt", 120, 170), cell("1", 620, 170), cell("30,00", 740, 170),
             cell("30,00", 900, 170),
             cell("Summe netto", 600, 230), cell("270,00 EUR", 880, 230),
             cell("Versand", 600, 260), cell("5,00 EUR", 880, 260)]
    result = extract_pages("t.pdf", [page(1, *lines)], ExtractionSettings(), version="rules-3")
    fields = {f["name"]: f for f in result["fields"]}
    assert len(result["line_items"]) == 2
    subtotal = fields["subtotal_amount"]
    assert subtotal["normalized"] == "270.00"
    assert "line items add up to it" in subtotal["reason"]
    assert subtotal["status"] == "accept"
    assert all(i["confidence"] > 0.9 for i in result["line_items"])


def test_rows_no_arithmetic_confirms_are_items_but_give_no_sum_to_check_totals_against():
    items, total = items_of(page(1, *GERMAN_HEADER, cell("Transport", 120, 140), cell("Pauschal", 600, 140),
                                 cell("120,00", 740, 140), cell("120,00", 900, 140)))
    assert items == [("Transport", None, "120.00", "120.00")]
    assert total is None


def test_a_header_stacked_over_two_rows_is_found_when_ocr_garbles_one_label():
    header = (cell("Menge", 600, 80), cell("Preisl", 720, 80),  # "Preis/" read as "Preisl"
              cell("Artikelbeschreibung", 120, 105), cell("Einheit", 720, 105), cell("Betrag", 900, 105))
    # The article number alone on the item row, as OCR reads it ("zS997"), the name below it.
    items, _ = items_of(page(1, *header, cell("zS997", 120, 150), cell("20", 620, 150), cell("9,90", 740, 150),
                             cell("198,00", 900, 150), cell("Trennblätter A4", 120, 175)))
    assert items == [("Trennblätter A4", "20", "9.90", "198.00")]


def test_the_module_docstring_example_runs():
    import doctest

    import streams.extract.tables as tables

    outcome = doctest.testmod(tables)
    assert outcome.attempted > 0 and outcome.failed == 0


def test_an_amount_printed_a_line_below_its_quantity_and_price_completes_the_item():
    items, total = items_of(page(1, *GERMAN_HEADER,
                                 cell("1", 50, 140), cell("Miettage", 120, 140), cell("2 Tag(e)", 580, 140),
                                 cell("86,5500", 740, 140), cell("173,10", 900, 162),
                                 cell("Weitere Eigenschaften:", 120, 200),
                                 cell("2", 50, 240), cell("Vollkasko", 120, 240), cell("2", 620, 240),
                                 cell("23,1000", 740, 240), cell("46,20", 900, 262)))
    assert items == [("Miettage", "2", "86.55", "173.10"), ("Vollkasko", "2", "23.10", "46.20")]
    assert total == Decimal("219.30")


def test_an_amount_a_line_below_beside_an_attribute_makes_an_item_the_arithmetic_cannot_confirm():
    # No unit price printed (an intra-community delivery): quantity and amount, lower confidence.
    items, total = items_of(page(1, *GERMAN_HEADER,
                                 cell("1", 50, 140), cell("Stahlcoil", 120, 140), cell("10 Stk", 600, 140),
                                 cell("Basismenge: 1 Stk", 120, 162), cell("1.000,00", 880, 162)))
    assert items == [("Stahlcoil", "10", None, "1000.00")]
    assert total is None


def test_decimal_counts_under_a_number_sign_column_are_quantities_running_numbers_are_not():
    header = (cell("#", 50, 100), cell("Produkt", 120, 100), cell("USt", 500, 100), cell("Einzelpreis", 620, 100),
              cell("Summe", 900, 100))
    items, _ = items_of(page(1, *header, cell("400,00", 30, 140), cell("Luftballon", 120, 140), cell("19%", 500, 140),
                             cell("0,79 €", 640, 140), cell("316,00 €", 880, 140)))
    assert items == [("Luftballon", "400", "0.79", "316.00")]
    numbered, _ = items_of(page(1, *GERMAN_HEADER, cell("3", 50, 140), cell("Beratung", 120, 140),
                                cell("80,00", 740, 140), cell("240,00", 900, 140)))
    assert numbered == [("Beratung", None, "80.00", "240.00")]  # "3" is the position, not 3 × 80


def test_a_thousands_space_and_a_sign_before_the_currency_keep_the_number_whole():
    header = (cell("Désignation", 120, 100), cell("Qté", 560, 100), cell("Prix unitaire", 660, 100),
              cell("Montant HT", 900, 100))
    items, total = items_of(page(1, *header,
                                 cell("Serveur", 120, 140), cell("2", 580, 140), cell("617,28 €", 680, 140),
                                 cell("1 234,56 €", 880, 140),
                                 cell("Remboursement", 120, 170), cell("1", 580, 170), cell("-€20,00", 680, 170),
                                 cell("-€20,00", 900, 170)))
    assert items == [("Serveur", "2", "617.28", "1234.56"), ("Remboursement", "1", "-20.00", "-20.00")]
    assert total == Decimal("1214.56")


def test_the_bench_counts_an_item_close_when_its_numbers_match_and_its_description_begins_alike():
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    sys.path.insert(0, str(root / "bench"))
    spec = importlib.util.spec_from_file_location("extraction_eval", root / "bench" / "extraction_eval.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    want = [{"description": "Schweinesteak", "quantity": "5", "unit_price": "5.50", "amount": "27.50"},
            {"description": "Pfand", "quantity": "20", "unit_price": "2.77", "amount": "55.46"},
            {"description": "", "quantity": None, "unit_price": None, "amount": None}]
    got = [{"description": "Schweinesteak aus Deutschland", "quantity": "5", "unit_price": "5.50", "amount": "27.50"},
           {"description": "Pfand", "quantity": "20", "unit_price": "2.77", "amount": "55.47"}]
    assert bench._items_close(want, got) == 1
    assert bench._items_close(want + want[:1], got) == 1  # each item found counts once


def test_items_adding_up_to_the_total_count_once_as_its_check():
    lines = [cell("Invoice", 50, 40), cell("Invoice No: INV-2024-17", 50, 70), cell("Invoice Date: 2024-05-03", 50, 95),
             cell("Description", 120, 120), cell("Qty", 600, 120), cell("Unit price", 700, 120), cell("Amount", 900, 120),
             cell("Consulting", 120, 150), cell("3", 620, 150), cell("80.00", 740, 150), cell("240.00", 900, 150),
             cell("Total", 600, 220), cell("USD 240.00", 860, 220)]
    result = extract_pages("t.pdf", [page(1, *lines)], ExtractionSettings(), version="rules-3")
    total = {f["name"]: f for f in result["fields"]}["total_amount"]
    assert total["normalized"] == "240.00"
    assert total["reason"].count("line items") == 1

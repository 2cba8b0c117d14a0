"""Address blocks: the customer's name from the block under its label or in the envelope
window, and the supplier's name from the one-line return address above that window.

Layout conventions that hold across the seven languages (DIN 5008, NF Z 11-001, the
window envelopes of every EU post):
- a labelled party block ("Rechnungsempfänger", "Bill to", "Client", "Nabywca") lists
  identifiers (customer number, GLN, department) and then the name, street and
  ``postcode city`` lines, left-aligned under the label;
- an unlabelled block in the top half of page 1 that ends in a ``postcode city`` line is
  the recipient in the envelope window; a small-font line right above it, with its parts
  separated by ``|``, ``●`` or ``-``, is the sender's return address;
- a block under a supplier or delivery label ("Verkäufer", "Ship to", "Adresse de
  livraison") is not the customer's billing address.

Names have no checksum: the customer is accepted only when two readings agree (the
labelled block and the window block, or the same name heading two address blocks).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from streams.extract.layout import Layout, Line
from streams.extract.lexicon import LABELS, TABLE_HEADER, address_country

__all__ = ["PartyName", "customer_name", "customer_rivals", "party_section", "supplier_name", "return_address_sender", "is_id_line", "title_or_label", "column_below",
           "POSTCODE_LINE"]

# Lines in a party block that are not its name: identifiers, contact data, tax ids.
_ID_LINE = re.compile(
    r"\b(?:GLN|GTIN|ILN|EAN|Nummer|Nr|No|Number|N[°º]|ID|Id|Kunden-?nr|Kd\.?-?Nr|Abteilung|Department|Dept"
    r"|Tel|Telefon|Phone|Fax|Mobile?|E-?Mail|USt|UID|VAT|TVA|BTW|IVA|NIP|SIRET|SIREN|Steuer-?nummer|St\.?-?Nr"
    r"|Ref|Reference|Referenz|R[ée]f[ée]rence|Codice|C[óo]digo)\b|www\.|https?:|@|^\s*[:#]", re.I)
_SALUTATION_ONLY = re.compile(r"^\s*(?:Herrn?|Frau|Firma|An|To|Attn\.?|z\.\s*Hd\.?(?:\s*v\.)?|Mr\.?|Mrs\.?|Ms\.?|Miss|M\.|Mme|Mlle"
                              r"|Monsieur|Madame|Dhr\.?|Mevr\.?|Sr\.?|Sra\.?|Sig\.?|Sig\.ra|Pan|Pani)\s*$", re.I)
# "12345 Stadt", "D-12345 Stadt", "88802Spielkreis", "00-950 Warszawa", "1012 AB Amsterdam",
# "London SW1A 1AA", "Springfield, IL 62704".
# Not shared with merchant_address._POSTCODE_TOWN (receipts), on purpose: a party block needs the
# four-digit forms ("8001 Zürich", "1012 AB Amsterdam") and PL "00-950 Warszawa", which on a till
# roll read a US street ("1600 Lakeview Pkwy") as a town line; one pattern for both changes results
# (tests/streams/extract/test_extract_merchant_address.py US and street-beside-the-logo fail).
POSTCODE_LINE = re.compile(
    r"^\s*(?:[A-Z]{1,2}[- ]?)?\d{4,5}\s*[^\W\d_]|^\s*\d{2}-\d{3}\s+[^\W\d_]|^\s*\d{4}\s?[A-Z]{2}\s+[^\W\d_]"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\s*$|,\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?\s*$")
_SEPARATORS = re.compile(r"\s[|●•·–]\s|\s[|●•·]|[|●•·]\s|\s-\s.*\s-\s")
_DELIVERY = re.compile(
    r"^\s*(?:Ship(?:ped)?\s+to|Deliver(?:y|ed)?\s+(?:to|address)|Lieferadresse|Lieferanschrift|Warenempf[äa]nger"
    r"|Adresse\s+de\s+livraison|Livr[ée]\s+[àa]|Afleveradres|Leveringsadres|Direcci[óo]n\s+de\s+entrega"
    r"|Indirizzo\s+di\s+consegna|Adres\s+dostawy)\b", re.I)


_SUPPLIER = re.compile(rf"^\s*(?:{LABELS['supplier']})\b\s*(?:/[^:]*)?:?\s*$", re.I)
# (?!\w), not \b: a label may end in a bracket ("Senhor(es):")
_CUSTOMER = re.compile(rf"^\s*(?P<label>{LABELS['customer']})(?!\w)(?P<rest>.*)$", re.I)


@dataclass(frozen=True)
class PartyName:
    name: str
    line: Line
    how: str  # which reading found it
    block: tuple[Line, ...]  # the lines of its block (a VAT id in them is the customer's)
    address: bool  # a postcode line follows the name in its block
    explicit: bool = False  # "Label: Name", or the first line under a "Label:" line


# "Kundennummer: 4711", "Klantnummer 12", "Customer ID: C-4711": a label word and a code with digits.
_CODE_LINE = re.compile(r"^\s*[^\W\d_][^:\n]{0,30}?(?:nummer|nr\.?|\b(?:no\.?|id|n[°º]|code|codice|número|numer))\s*[:.#]?\s*"
                        r"[\w\-/.]*\d[\w\-/. ]*$|^\s*[^\W\d_][^:\n]{0,30}:\s*[A-Z]{0,4}[\-/]?\d[\w\-/.]*\s*$", re.I)


def is_id_line(text: str) -> bool:
    return (bool(_ID_LINE.search(text) or _CODE_LINE.search(text))
            or len(re.findall(r"\d", text)) > len(re.findall(r"[^\W\d_]", text)))


def _letters(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]{2}", text))


def column_below(layout: Layout, top: Line, rows: int = 9, gap: float = 2.6) -> list[Line]:
    """Lines left-aligned with ``top`` in the rows under it, until a gap of blank rows
    (``gap`` line heights)."""
    out: list[Line] = []
    last_y = top.box["y1"]
    h = top.height
    for ln in layout.lines:
        if ln.page != top.page or not top.row < ln.row <= top.row + rows:
            continue
        if not -1.5 * h <= ln.box["x0"] - top.box["x0"] <= 4 * h:
            continue  # a block is left-aligned with its label, or indented under it
        if ln.box["y0"] - last_y > gap * h:
            break
        if len(layout.rows[ln.row]) >= 3 and TABLE_HEADER.search(layout.row_text(layout.rows[ln.row])):
            break  # "Item Type | Description | Quantity | Unit Price": the items table starts, no block
        out.append(ln)
        last_y = ln.box["y1"]
    return out


# A form's name row inside a party block: "Name:  Kunden AG Mitte", "Raison sociale : ...", a Brazilian
# NFS-e's "Nome / Nome Empresarial" over its value.
_NAME_WORD = (r"Name|Firma|Firmenname|Company(?:\s+name)?|Nom|Raison\s+sociale|Naam|Bedrijfsnaam|Nombre"
              r"|Raz[óo]n\s+social|Nome(?:\s+Empresarial)?|Ragione\s+sociale|Nazwa(?:\s+firmy)?")
_FORM_NAME = re.compile(rf"^\s*(?:{_NAME_WORD})(?:\s*/\s*(?:{_NAME_WORD}))?\s*:?\s*$", re.I)


# A document's title standing alone ("INVOICE", "Rechnung", "Tax Invoice"): no address block holds it.
_TITLE_ALONE = re.compile(r"^\s*(?:tax\s+|proforma\s+|pro\s+forma\s+|commercial\s+)?(?:invoice|rechnung|facture|factuur|factura"
                          r"|fattura|fatura|faktura|credit\s*note|gutschrift|avoir|receipt|quittung|statement|quotation|quote"
                          r"|angebot|devis|offerte|lasku|nota\s+fiscal)\b[\s:#.]*$", re.I)


# Another field's label standing alone ("Amount Due", "Invoice Number", "Due Date"): a form's
# next cell, not a name; a block that starts with one is no address block.
_FIELD_LABEL_ALONE = re.compile(
    r"^\s*(?:" + "|".join(f"(?:{LABELS[k]})" for k in ("invoice_number", "invoice_date", "due_date", "total_strong",
                                                         "total_due", "total_plain", "subtotal", "tax"))
    + r")\s*[:#.]?\s*$", re.I)


def title_or_label(text: str) -> bool:
    """The page's title ("TAX INVOICE") or another field's label ("Invoice Number") alone: no name."""
    return bool(_TITLE_ALONE.match(text) or _FIELD_LABEL_ALONE.match(text))


def _name_in(block: list[Line]) -> tuple[Line, int] | None:
    """The block's first line that is a name: not an identifier, not a bare salutation,
    not the postcode line, not a label, not the document's title."""
    for i, ln in enumerate(block):
        text = ln.text.strip()
        if (text.endswith(":") or _DELIVERY.match(text) or _SUPPLIER.match(text) or _TITLE_ALONE.match(text)
                or _FIELD_LABEL_ALONE.match(text)):
            return None  # the next block's label, another field's, or the page's title: this one had no name
        if _SALUTATION_ONLY.match(text) or _FORM_NAME.match(text) or is_id_line(text) or not _letters(text):
            continue  # a form's "Name" label: its value follows
        if POSTCODE_LINE.search(text):
            return None
        return ln, i
    return None


# A name's own words in quotes on the line under it ('ISTITUTO SALESIANO' / '"MARIA AUSILIATRICE"'):
# schools, associations and foundations print their title so.
_QUOTED_LINE = re.compile(r'^\s*["“„«][^"“”„«»]{3,60}["”“»]\s*$')


def _party(block: list[Line], how: str, colon: bool = False) -> PartyName | None:
    hit = _name_in(block)
    if hit is None:
        return None
    ln, i = hit
    has_address = any(POSTCODE_LINE.search(x.text) for x in block[i + 1:])
    name = ln.text.strip()
    if i + 1 < len(block) and _QUOTED_LINE.match(block[i + 1].text):
        name = f"{name} {block[i + 1].text.strip()}"
    return PartyName(name, ln, how, tuple(block), has_address, explicit=colon and i == 0)


def _form_name(layout: Layout, head: Line, label: str, rows: int = 8) -> PartyName | None:
    """The value right of a "Name:" row in the block under ``head`` (a form printed as a label
    column and a value column), before the next party heading."""
    for row in layout.rows[head.row + 1: head.row + 1 + rows]:
        if row[0].page != head.page or any(_heading_kind(x.text) for x in row):
            return None
        for i, ln in enumerate(row):
            right = row[i + 1:]
            if _FORM_NAME.match(ln.text) and right and _letters(right[0].text) and not is_id_line(right[0].text):
                value = right[0]
                block = (value, *column_below(layout, value, rows=4))
                has_address = any(POSTCODE_LINE.search(x.text) for x in block[1:])
                return PartyName(value.text.strip(), value, f"right of the label 'Name' in the block under {label!r}",
                                 block, has_address, explicit=True)
    return None


def _labelled(layout: Layout) -> PartyName | None:
    """The name right of a customer label (after a colon) or first in the block under it."""
    for ln in layout.lines:
        m = _CUSTOMER.match(ln.text) or _to_beside_from(layout, ln)
        if not m:
            continue
        # "Nabywca (Buyer)": a bilingual form's translation in brackets is part of the label
        rest = re.sub(r"^\s*\([^()\d]{1,30}\)", "", m["rest"])
        if rest.lstrip().startswith("/"):  # "Käufer/Leistungsempfänger:": one label
            rest = rest.split(":", 1)[1] if ":" in rest else ""
        colon = rest.lstrip().startswith(":")
        rest = rest.strip().lstrip(":").strip()
        if rest.endswith(":"):
            continue  # "Facture à régler par virement sur le compte :": another label
        if rest and not _letters(rest):
            continue  # "Customer: 2", "Kunde 12345": a customer number, not an address block
        if rest and not colon:
            continue  # "Facture à régler par virement": a label word in running text
        if rest and not is_id_line(rest):
            return PartyName(rest, ln, f"right of the label {m['label']!r}", (ln,), False, explicit=True)
        label_colon = ln.text.rstrip().endswith(":")
        right = [x for x in layout.rows[ln.row] if x.box["x0"] > ln.box["x1"]]
        # the form's colon printed with the value ("Señor(es)   : Universo Informatico")
        value_colon = bool(right) and not rest and right[0].text.lstrip().startswith(":")
        if (label_colon or value_colon) and right and _letters(right[0].text) and not right[0].text.rstrip().endswith(":") \
                and not is_id_line(right[0].text.lstrip(" :")) and not _CURRENCY_CELL.match(right[0].text.lstrip(" :")):
            # "Kunde:  Beispiel AG" as two boxes on one row (a form's label and value cells)
            return PartyName(right[0].text.strip().lstrip(": ").strip(), right[0], f"right of the label {m['label']!r}",
                             (ln, right[0]), False, explicit=True)
        party = _party(column_below(layout, ln), f"the block under the label {m['label']!r}", colon=label_colon)
        if party is None and _heading_kind(ln.text) == "buyer":
            party = _form_name(layout, ln, m["label"])
        if party is None and not rest and right and _is_value_cell(right[0].text):
            # a form's row: "Customer   My Client", the label alone in its cell and nothing under it to read
            return PartyName(right[0].text.strip(), right[0], f"right of the label {m['label']!r}", (ln, right[0]), False,
                             explicit=True)
        if party is not None:
            return party
    return None


# A currency's code or sign alone in a cell ("GBP" over an amount column): no name.
_CURRENCY_CELL = re.compile(r"^\s*(?:[A-Z]{3}|[$€£¥₹]|US\$)\s*$")


def _is_value_cell(text: str) -> bool:
    """A form cell holding a name: letters, not another label, heading, identifier or currency."""
    text = text.strip()
    return (bool(_letters(text)) and not text.endswith(":") and not is_id_line(text) and _heading_kind(text) is None
            and not _CURRENCY_CELL.match(text)
            and not _DELIVERY.match(text) and not _FIELD_LABEL_ALONE.match(text) and not _TITLE_ALONE.match(text))


_TO_ALONE = re.compile(r"^\s*(?P<label>To)(?P<rest>)\s*$", re.I)
_FROM_ALONE = re.compile(r"^\s*From\s*:?\s*$", re.I)


def _to_beside_from(layout: Layout, ln: Line) -> re.Match | None:
    """"To" alone as a heading is the buyer's only beside a "From" heading on its row (side by
    side blocks); alone, "To" is too common a word to head anything."""
    m = _TO_ALONE.match(ln.text)
    if m and any(_FROM_ALONE.match(x.text) and x.box["x1"] <= ln.box["x0"] for x in layout.rows[ln.row]):
        return m
    return None


# A party block's heading alone on its line: "Verkäufer", "Käufer/Leistungsempfänger:", "Bill to".
_SELLER_HEAD = re.compile(rf"^\s*(?:{LABELS['supplier']})\b\s*(?:/[^:]*)?:?\s*$", re.I)
_BUYER_HEAD = re.compile(rf"^\s*(?:{LABELS['customer']})(?!\w)\s*(?:/[^:]*)?:?\s*$", re.I)


def _heading_kind(text: str) -> str | None:
    text = text.strip()
    if _SELLER_HEAD.match(text):
        return "seller"
    if _DELIVERY.match(text) and (text.endswith(":") or len(text.split()) <= 4):
        return "delivery"
    if _BUYER_HEAD.match(text):
        return "buyer"
    return None


def party_section(layout: Layout, line: Line) -> str | None:
    """Which party's block ``line`` sits in: "seller", "buyer", "delivery" or None. The block is
    headed by its label alone on a line ("Verkäufer", "Käufer", "Bill to:", "Ship to") at or left
    of the line's start (a form prints "Name:  Lieferant GmbH" under "Verkäufer" in two columns);
    the nearest heading above wins (side by side: the nearest to the left), and the block ends
    at a blank gap of more than four line heights."""
    heads = [h for h in layout.lines if h.page == line.page and h.box["y0"] <= line.box["y0"] + 1 and h is not line
             and h.box["x0"] <= line.box["x0"] + 2 * h.height and _heading_kind(h.text)]
    if not heads:
        return None
    lowest = max(h.box["y0"] for h in heads)
    head = max((h for h in heads if lowest - h.box["y0"] <= 0.6 * line.height), key=lambda h: h.box["x0"])
    ys = sorted({(ln.box["y0"], ln.box["y1"]) for ln in layout.lines if ln.page == line.page
                 and head.box["y0"] <= ln.box["y0"] <= line.box["y0"]})
    bottom = head.box["y1"]
    for y0, y1 in ys:
        if y0 - bottom > 4 * head.height:
            return None
        bottom = max(bottom, y1)
    return _heading_kind(head.text)


def _window_blocks(layout: Layout) -> list[tuple[list[Line], Line | None]]:
    """Unlabelled blocks in the top half of page 1 that end in a postcode line, with the
    line just above each (a label, a return address, or nothing)."""
    if not layout.lines:
        return []
    page = layout.lines[0].page
    height = layout.page_sizes.get(page, (0, 0))[1] or max(ln.box["y1"] for ln in layout.lines if ln.page == page)
    lines = [ln for ln in layout.lines if ln.page == page]
    out = []
    for p in lines:
        if p.box["y0"] > 0.5 * height or _SEPARATORS.search(layout.row_text(layout.rows[p.row])):
            continue
        if not (POSTCODE_LINE.search(p.text) or _country_under_town(lines, p)):
            continue
        block = [p]
        above = None
        for ln in sorted((x for x in lines if x.box["y1"] <= p.box["y0"] + 1 and x is not p), key=lambda x: -x.box["y0"]):
            dx = ln.box["x0"] - p.box["x0"]
            if not -4 * p.height <= dx <= 1.5 * p.height:
                continue
            if block[0].box["y0"] - ln.box["y1"] > 2.6 * p.height:
                break
            text = ln.text.strip()
            if dx < -1.5 * p.height or (_SEPARATORS.search(layout.row_text(layout.rows[ln.row])) or text.endswith(":")
                    or _DELIVERY.match(text) or _SUPPLIER.match(text) or _CUSTOMER.match(text)):
                above = ln
                break
            if len(block) > 1 and (POSTCODE_LINE.search(text) or address_country(text)):
                break  # the last line of the address block above (the sender's, stacked over the window)
            if _SALUTATION_ONLY.match(block[0].text):
                break  # "Herrn" / "Firma" alone on its line opened the addressee's block (DIN 5008)
            block.insert(0, ln)
            if len(block) > 6:
                break
        if not _contact_lines_follow(lines, p):
            out.append((block, above))
    return out


_CONTACT = re.compile(r"^\s*(?:Tel(?:efon)?|Phone|Fax|T[ée]l[ée]phone|Telefoon|Tel[ée]fono|Telefax|Mobil[ee]?)\b", re.I)


def _contact_lines_follow(lines: list[Line], last: Line) -> bool:
    """The block goes on with phone and fax lines: the sender's office or contact block beside
    the letter ("Versicherungsbüro / ... / 12345 Musterstadt / Tel.: ..."), not the addressee in the window."""
    below = [x for x in lines if x.box["y0"] >= last.box["y1"] - 0.5 * last.height
             and x.box["y0"] - last.box["y1"] <= 1.5 * last.height and abs(x.box["x0"] - last.box["x0"]) <= 1.5 * last.height
             and x is not last]
    return bool(below) and bool(_CONTACT.match(min(below, key=lambda x: x.box["y0"]).text))


def _country_under_town(lines: list[Line], ln: Line) -> bool:
    """A country alone on its line right under a town line whose postcode OCR cut short
    ("234Berlin" / "Deutschland"): the end of a postal address all the same."""
    if not address_country(ln.text.strip()):
        return False
    # OCR boxes of adjacent lines overlap by a few pixels
    above = [x for x in lines if x.box["y0"] < ln.box["y0"] - 0.5 * ln.height and ln.box["y0"] - x.box["y1"] <= ln.height
             and abs(x.box["x0"] - ln.box["x0"]) <= 1.5 * ln.height]
    if not above:
        return False
    town = max(above, key=lambda x: x.box["y0"]).text.strip()
    return bool(re.match(r"^(?:[A-Z]{1,2}[- ]?)?\d{2,5}(?:-\d{3})?\s*[^\W\d_]{3}", town)) and not POSTCODE_LINE.search(town)


def return_address_sender(layout: Layout) -> Line | None:
    """The one-line return address over the envelope window ("Acme GmbH | Street 1 | City")."""
    for _block, above in _window_blocks(layout):
        # A producer may cut the line into boxes ("Acme GmbH", "●", "Street 1", ...): read its row.
        text = layout.row_text(layout.rows[above.row]) if above is not None else ""
        if above is not None and _SEPARATORS.search(text) and re.search(r"\d{4,5}", text):
            return above
    return None


def _window(layout: Layout, supplier_names: set[str]) -> list[PartyName]:
    found = []
    for block, above in _window_blocks(layout):
        if above is not None and (_SUPPLIER.match(above.text.strip()) or _CUSTOMER.match(above.text.strip())):
            continue  # a labelled block: the seller's (or the labelled reading has it)
        party = _party(block, "the address block in the envelope window")
        if party is None or _norm(party.name) in supplier_names or party_section(layout, party.line) == "seller":
            continue  # the seller's own block (a form's "Verkäufer" section) is never the addressee
        delivery = above is not None and bool(_DELIVERY.match(above.text.strip()))
        found.append((delivery, party.line.box["y0"], party.line.box["x0"], party))
    return [p for *_, p in sorted(found, key=lambda t: t[:3])]


_SEPARATED = re.compile(r"\s[|●•·–-]\s|[|●•·]")


def _separated_rows(layout: Layout) -> Iterator[list[Line]]:
    """Rows of page 1 printed as "name | street | 12345 town": a letterhead or return address."""
    first_page = layout.lines[0].page if layout.lines else None
    for row in layout.rows:
        if row[0].page != first_page:
            return
        text = layout.row_text(row)
        if len(re.findall(r"[|●•·]|\s[-–]\s", text)) >= 2 and re.search(r"\d{4,5}", text):
            yield row


def _norm(name: str) -> str:
    return re.sub(r"\W+", " ", name).strip().casefold()


def _sender_names(layout: Layout) -> set[str]:
    """Names the supplier prints of itself: the return address's first part, and the
    first row of page 1 (the letterhead)."""
    names = set()
    ret = return_address_sender(layout)
    if ret is not None:
        names.add(_norm(_SEPARATED.split(ret.text)[0]))
    for row in _separated_rows(layout):
        names.add(_norm(_SEPARATED.split(row[0].text)[0]))  # a return address row
    for row in layout.rows[:1]:
        for ln in row:
            names.add(_norm(_SEPARATED.split(ln.text)[0]))
    # Every line right above a supplier label's block is the seller's, too.
    for ln in layout.lines:
        if _SUPPLIER.match(ln.text.strip()):
            hit = _name_in(column_below(layout, ln))
            if hit is not None:
                names.add(_norm(hit[0].text))
            form = _form_name(layout, ln, ln.text.strip())
            if form is not None:
                names.add(_norm(form.name))
    names.discard("")
    return names


def customer_name(layout: Layout) -> tuple[PartyName | None, bool]:
    """(the customer's name, whether a second reading agrees)."""
    supplier_names = _sender_names(layout)
    labelled = _labelled(layout)
    if labelled is not None and _norm(labelled.name) in supplier_names:
        labelled = None
    windows = _window(layout, supplier_names)
    first = labelled or (windows[0] if windows else None)
    if first is None:
        return None, False
    others = [w for w in windows if w.line is not first.line]
    agree = any(_norm(w.name) == _norm(first.name) for w in others)
    # A labelled block read twice (billing and delivery) under the same name also agrees.
    if not agree and labelled is not None:
        agree = sum(1 for ln in layout.lines if _norm(ln.text) == _norm(first.name)) >= 2 and first.address
    return first, agree


# Where the payment goes (a US invoice's "Remit To:" lockbox): the seller's, no addressee. ("Make checks
# payable to:" is a seller label already, _SUPPLIER.)
_PAYEE = re.compile(r"^\s*(?:(?:please\s+)?remit(?:\s+payment)?\s+to|pay\s+to|payee|(?:send|mail)\s+payment\s+to)\b", re.I)


def customer_rivals(layout: Layout, name: str) -> list[str]:
    """Other names the page's address blocks put forward as the addressee: envelope-window
    blocks and buyer-labelled blocks naming someone else (not the seller's, not a delivery
    address). Two different names claimed as the customer: which one is it? A person decides."""
    supplier_names = _sender_names(layout)
    out = []
    for block, above in _window_blocks(layout):
        above_text = above.text.strip() if above is not None else ""
        if above is not None and (_SUPPLIER.match(above_text) or _DELIVERY.match(above_text) or _PAYEE.match(above_text)):
            continue
        party = _party(block, "the address block in the envelope window")
        if party is None or _norm(party.name) in supplier_names or _norm(party.name) == _norm(name):
            continue
        if party_section(layout, party.line) in ("seller", "delivery"):
            continue
        out.append(party.name)
    return out


# "Friedrich-Wagner-Straße 16 · D-60318 Frankfurt/M · ...": a footer that starts with the street.
_HOUSE_NUMBER_END = re.compile(r"^\s*[^\W\d_][^\d\n]{1,40}?\s\d{1,5}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,5}[a-zA-Z]?)?\s*$")


def _unkerned(text: str) -> str:
    """A short label line with the gaps a PDF producer's kerning left inside words closed
    ("Ver käufer:" -> "Verkäufer:"): a lower-case letter, one space, a lower-case letter."""
    return re.sub(r"(?<=[a-zäöüß]) (?=[a-zäöüß])", "", text) if len(text) <= 40 else text


# The legal form that ends a company's name, as the last word of a line ("... Musterstadt a.G.").
_FORM_END = re.compile(r"(?<![^\W_])(?:GmbH(?:\s*&\s*Co\.?\s*KG)?|mbH|AG|KGaA|KG|OHG|SE|UG|a\.\s?G\.|VVaG|e\.\s?V\.|e\.\s?K\."
                       r"|SAS|SARL|S\.A\.S\.|S\.A\.|SA|Ltd\.?|Limited|LLC|Inc\.?|PLC|B\.V\.|BV|N\.V\.|S\.L\.|S\.r\.l\.|S\.p\.A\."
                       r"|Sp\.\s?z\s?o\.\s?o\.)\s*$", re.I)


def _wrapped(layout: Layout, party: PartyName) -> PartyName:
    """A company's name wrapped onto a second line: the name line carries no legal form and the
    line right under it, left-aligned, ends with one and holds no digits ("MVM Musterhafter" /
    "Versicherungsverein Musterstadt a.G."): the name is both lines."""
    if party.how.startswith("right of the label 'Name'"):
        # A form's value column: the name's first line may sit on the row above "Name:", alone.
        above = [x for x in layout.lines if x.page == party.line.page and x.row == party.line.row - 1]
        if len(above) == 1 and abs(above[0].box["x0"] - party.line.box["x0"]) <= party.line.height \
                and party.line.box["y0"] - above[0].box["y1"] <= party.line.height and _letters(above[0].text) \
                and not re.search(r"\d", above[0].text) and not is_id_line(above[0].text) \
                and not above[0].text.rstrip().endswith(":") and not _FORM_END.search(above[0].text):
            return PartyName(f"{above[0].text.strip()} {party.name}", party.line,
                             party.how + ", its first line on the row above", party.block, party.address, party.explicit)
        return party
    if _FORM_END.search(party.name):
        return party
    below = column_below(layout, party.line, rows=1, gap=1.0)
    if not below or abs(below[0].box["x0"] - party.line.box["x0"]) > party.line.height:
        return party
    nxt = below[0].text.strip()
    if re.search(r"\d", nxt) or is_id_line(nxt) or POSTCODE_LINE.search(nxt) or not _FORM_END.search(nxt) \
            or len(nxt.split()) > 6:
        return party
    return PartyName(f"{party.name} {nxt}", party.line, party.how + ", wrapped onto the next line", party.block,
                     party.address, party.explicit)


def _under_seller_label(layout: Layout, kerned: bool) -> PartyName | None:
    for ln in layout.lines:
        text = ln.text.strip()
        plain = bool(_SUPPLIER.match(text))
        if plain == kerned or (kerned and not _SUPPLIER.match(_unkerned(text))):
            continue  # the plain pass: a label as printed; the kerned pass: only a label split by a gap
        label = f"the kerned label {text!r}" if kerned else f"the label {text!r}"
        party = _party(column_below(layout, ln), f"the block under {label}") or _form_name(layout, ln, text)
        if party is not None:
            if kerned and "kerned" not in party.how:
                party = PartyName(party.name, party.line, party.how + " (a kerned label)", party.block,
                                  party.address, party.explicit)
            return _wrapped(layout, party)
    return None


def supplier_name(layout: Layout) -> PartyName | None:
    """The seller's name: first in the block under its label ("Verkäufer:", "Lieferant",
    "Seller"), else the first part of a one-line letterhead or return address on page 1
    ("Acme GmbH | Europa-Allee 1 | 60486 Frankfurt"), else under a label split by a kerning
    gap ("Ver käufer:"). A name found under a kerned label says "kerned" in its ``how``:
    parties.py never accepts it (joining letters may make a label of running text)."""
    party = _under_seller_label(layout, kerned=False)
    if party is not None:
        return party
    for row in _separated_rows(layout):
        size = layout.page_sizes.get(row[0].page)
        if size and row[0].box["y0"] > 0.4 * size[1]:
            continue  # a footer's bank or register line, not the letterhead or return address
        name = _SEPARATED.split(row[0].text)[0].strip(" ,")
        if _letters(name) and not is_id_line(name) and not _HOUSE_NUMBER_END.match(name):
            return PartyName(name, row[0], "the first part of the letterhead or return address line",
                             tuple(row), True)
    return _under_seller_label(layout, kerned=True)

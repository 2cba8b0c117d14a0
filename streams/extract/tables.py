"""Line items read from the item table's word boxes, in EN, DE, FR, NL, ES, IT and PL.

PDF producers and OCR cut a table as they like: one cell as several text boxes, two cells
as one box ("Kunstrasen grün 3m breit 3,00"), a description over four lines, a header
stacked over three ("Positions" / "betrag" / "ohne USt."). Read as loose lines such a
table yields nothing; read by columns it does:

1. **header**: a row with column labels of two kinds or more (description, quantity,
   unit price, amount: :data:`ROLE_LABELS`), one of them a quantity or a price, and the
   label rows stacked right above and below it ("Prix" / "unitaire");
2. **columns**: each label's x-range from its word boxes; labels stacked in one column
   are read together ("Preis/ Einheit" is a unit price);
3. **items**: under the header, a row whose numbers make quantity × unit price
   (× (1 − discount %)) = amount is an item; the arithmetic picks the numbers, the header
   columns break ties (a pack-size "1" column is not the quantity). A row with a money
   amount in the amount column and no such product is an item the arithmetic does not
   confirm (lower confidence);
4. **descriptions**: the description column of the item row and of the rows under it
   until the next item, a ``Key: value`` line (GTIN:, Verpackung:, Bruttopreis :) or a
   gap; an article code alone on the item row ("ZS997") is not the description;
5. **discount rows** ("abzgl. 16,7% Rabatt  -2,00" in the amount column) are the
   allowance of the item above: EN 16931 counts a line's net amount after it;
6. **the end**: the totals block (subtotal / total / Summe labels), possibly pages later.

The items' sum is the strong cross-check of :func:`check_items_sum`: it equals the
subtotal (net), or the total with or without tax.

>>> from streams.extract.layout import Layout
>>> def line(text, x0, x1, y): return {"text": text, "confidence": 1.0, "box": {"x0": x0, "y0": y, "x1": x1, "y1": y + 20}}
>>> page = {"number": 1, "lines": [line("Bezeichnung", 100, 300, 100), line("Menge", 500, 560, 100),
...         line("Einzelpreis", 620, 740, 100), line("Betrag", 820, 900, 100),
...         line("Beratung", 100, 220, 140), line("3", 540, 560, 140), line("80,00", 680, 740, 140),
...         line("240,00", 830, 900, 140), line("Summe netto", 600, 760, 200), line("240,00", 830, 900, 200)]}
>>> items, total = table_items(Layout.from_ocr({"pages": [page]}))
>>> [(i["description"], i["quantity"], i["unit_price"], i["amount"]) for i in items], total
([('Beratung', '3', '80.00', '240.00')], Decimal('240.00'))
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from streams.extract.confidence import FieldValue, boost
from streams.extract.layout import Layout, Line, union_box
from streams.extract.lexicon import LABELS

__all__ = ["ROLE_LABELS", "table_items", "check_items_sum"]

# Column labels by role, checked in this order on a column's (stacked) text: "Prix HT" is
# the line amount before "Prix" is a price, "Positions betrag ohne USt." an amount before
# "USt." is the tax rate, "Gesamtpreis" an amount before "Preis" is a price.
ROLE_LABELS: dict[str, str] = {
    "amount": (r"Prix\s+HT|Total\s+HT|Montant(?:\s+HT)?|Line\s*total|Amount|Total|\w*[Bb]etrag|Gesamt\w*|Nettowert"
               r"|Entgelt|Summe|Bedrag|Totaal|Importe|Importo|Totale|Warto[śs][ćc]|Kwota|Net\s+amount"),
    "unit_price": (r"Unit\s*(?:price|cost)|Price|Rate|Einzel\w*|\w*[Pp]reis|Prix(?:\s+unit\w*)?|P\.\s?U\.?|\w*[Pp]rijs"
                   r"|Precio|Prezzo|Cena"),
    "discount": r"Rabatt|Rem\.?|Remise|Discount|Disc\.?|Korting|Descuento|Dto\.?|Sconto|Rabat|Nachlass",
    "vat": r"MwSt\.?|USt\.?|VAT|TVA|BTW|IVA|Tax|Steuer|%",
    "quantity": (r"Qty|Quantity|Quant\.?|Menge|Anzahl|Quantit[ée]|Qt[ée]|Aantal|Cantidad|Cant\.?|Quantit[àa]|Q\.?t[àa]"
                 r"|Ilo[śs][ćc]|Hours|Stunden|Units?|Hrs"),
    "description": (r"Description|\w*[Bb]eschreibung|\w*[Bb]ezeichnung|Artikel|Leistung|Produkt|Product|Item|Article"
                    r"|D[ée]signation|Libell[ée]|Produit|Omschrijving|Descripci[óo]n|Concepto|Art[íi]culo|Descrizione"
                    r"|Articolo|Opis|Nazwa|Services?"),
    "pos": r"Pos\.?|Position|Nr\.?|No\.?|Lp\.?|#",
}
_ROLE_RE = {role: re.compile(rf"(?<![\w.\-])(?:{pat})(?![\w\-])", re.I) for role, pat in ROLE_LABELS.items()}
_TABLE_ROLES = {"description", "quantity", "unit_price", "amount"}
# Where the items end: a subtotal, total or sum label, the tax summary, the payment terms.
_STOP = re.compile(r"(?<![\w])(?:\w*summen?|Sub-?total|Total\w*|Totaal|Totale|Razem|Suma|Warenwert|Nettobetrag"
                   r"|Rechnungsbetrag|Endbetrag|Gesamtbetrag|Montant\s+(?:total|HT|TTC|net)|Net\s+amount"
                   r"|Steueraufschl\w*|Zahlungsbedingungen|Payment\s+terms|Conditions\s+de\s+paiement|Importe\s+total"
                   r"|Imponibile|Base\s+imponible)(?!\w)", re.I)
# ... and the subtotal and total labels of every language the amounts are read with.
_TOTALS = re.compile(rf"(?<!\w)(?:{LABELS['subtotal']}|{LABELS['total_strong']}|{LABELS['total_due']})(?!\w)", re.I)
_DISCOUNT_ROW = re.compile(r"(?<!\w)(?:abzgl\.?|Abschlag|Rabatt\w*|Nachlass\w*|Discount|Remise|Korting|Descuento|Sconto|Rabat"
                           r"|Allowance)(?!\w)", re.I)
_CURRENCY = r"US\$|€|\$|£|EUR|USD|GBP|CHF|PLN|zł"
_NUMBER = re.compile(rf"^(?P<s>[-−])?(?:{_CURRENCY})?(?P<n>[-−]?\s?\d[\d.,' ]*)(?:{_CURRENCY})?$")
# A unit after a quantity ("Stk.", "kg", "Unit(s)", "€/Std."); not "x" of "3 x 20", which is text.
_UNIT_WORD = re.compile(rf"^(?:{_CURRENCY}|%|(?![xX]$)[A-Za-zÄÖÜäöüéè²³]{{1,6}}\.?(?:\(s\))?|€/\w+\.?)$")


@dataclass(frozen=True)
class Token:
    """One word of a line with its box (estimated from the line's box when the reader gave none)."""

    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    line: Line

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass
class Column:
    role: str
    x0: float
    x1: float
    texts: list[tuple[float, str]] = field(default_factory=list)  # (y, label) stacked top to bottom


def tokens_of(line: Line) -> list[Token]:
    """A line's words with boxes: the reader's word boxes, else spread over the line's box by characters."""
    b = line.box
    if line.words:
        toks = [Token(t.strip(), wb["x0"], wb["x1"], wb["y0"], wb["y1"], line) for t, wb in line.words if t.strip()]
    else:
        width = (b["x1"] - b["x0"]) / max(len(line.text), 1)
        toks = [Token(m[0], b["x0"] + width * m.start(), b["x0"] + width * m.end(), b["y0"], b["y1"], line)
                for m in re.finditer(r"\S+", line.text)]
    # "1 234,56 €": a thousands space splits one number into two words; a space narrower
    # than half the line's height between 1-3 digits and 3 digits (+ decimals) joins them.
    out: list[Token] = []
    for t in toks:
        prev = out[-1] if out else None
        if prev is not None and re.fullmatch(r"[-−]?(?:\d{1,3}\s)*\d{1,3}", prev.text) and \
                re.fullmatch(r"\d{3}(?:[.,]\d{1,4})?(?:€|\$|£)?", t.text) and t.x0 - prev.x1 <= 0.5 * line.height:
            out[-1] = Token(f"{prev.text} {t.text}", prev.x0, t.x1, min(prev.y0, t.y0), max(prev.y1, t.y1), line)
        else:
            out.append(t)
    return out


def _page_rows(layout: Layout) -> list[list[list[Line]]]:
    """The layout's rows, page by page, in its reading order and grouping (layout.py levels
    them), without rotated text: a margin note running up the page is dropped, and a row it
    pulled out of place goes back where its other lines' centre puts it."""
    by_page: dict[int, list[list[Line]]] = {}
    for row in layout.rows:
        by_page.setdefault(row[0].page, []).append(row)
    pages = []
    for number in sorted(by_page):
        rows = by_page[number]
        heights = sorted(ln.height for row in rows for ln in row)
        median = heights[len(heights) // 2]
        kept: list[list[Line]] = []
        moved: list[list[Line]] = []
        for row in rows:
            flat = [ln for ln in row if not (ln.height > 2.5 * median and ln.height > ln.box["x1"] - ln.box["x0"])]
            if flat:
                (moved if len(flat) < len(row) else kept).append(flat)
        for row in moved:
            centre = _centre_y(row)
            at = next((k for k, other in enumerate(kept) if _centre_y(other) > centre), len(kept))
            kept.insert(at, row)
        pages.append(kept)
    return pages


def _centre_y(row: list[Line]) -> float:
    return sum((ln.box["y0"] + ln.box["y1"]) / 2 for ln in row) / len(row)


def _parse_number(text: str, decimal: str) -> tuple[Decimal, int] | None:
    """"1.000,00" / "1,000.00" / "0,0520" / "-5" / "19,80 €" → (value, decimals); ids (GTIN) → None."""
    m = _NUMBER.match(text.replace("\u00a0", "").strip())
    if not m:
        return None
    raw = (m["s"] or "") + re.sub(r"[\s']", "", m["n"])
    raw = raw.replace("−", "-")
    neg = raw.startswith("-")
    digits = raw.lstrip("-").rstrip(".,")
    if not digits or not digits[0].isdigit():
        return None
    seps = [c for c in digits if c in ".,"]
    if seps and len(set(seps)) == 2:
        dec = digits.rstrip("0123456789")[-1]  # the last separator is the decimal one
    elif seps:
        sep = seps[0]
        tail = digits.rsplit(sep, 1)[1]
        # "1.000" with ',' as the document's decimal mark (or "1,000" with '.') is a thousand.
        dec = sep if (len(seps) == 1 and not (len(tail) == 3 and sep != decimal)) else None
    else:
        dec = None
    if dec is None:
        whole, frac = digits.replace(".", "").replace(",", ""), ""
    else:
        whole, frac = digits.rsplit(dec, 1)
        whole = whole.replace(".", "").replace(",", "")
    if not whole.isdigit() or (frac and not frac.isdigit()) or (not frac and len(whole) > 9):
        return None  # a GTIN or an order number, not a quantity or an amount
    try:
        value = Decimal(f"{'-' if neg else ''}{whole}.{frac or '0'}")
    except InvalidOperation:
        return None
    return value, len(frac)


def _decimal_mark(lines: list[Line]) -> str:
    comma = sum(len(re.findall(r"\d,\d{2}(?!\d)", ln.text)) for ln in lines)
    dot = sum(len(re.findall(r"\d\.\d{2}(?!\d)", ln.text)) for ln in lines)
    return "," if comma > dot else "."


def _roles_in(text: str) -> set[str]:
    return {role for role, rx in _ROLE_RE.items() if rx.search(text)}


def _has_number(row: list[Line], decimal: str) -> bool:
    return any(_parse_number(t.text, decimal) for ln in row for t in tokens_of(ln))


def _label_like(row: list[Line], decimal: str) -> bool:
    return not _has_number(row, decimal) and all(len(ln.text) <= 40 and ":" not in ln.text for ln in row)


def _is_header(rows: list[list[Line]], decimal: str) -> bool:
    """Labels of two kinds or more, one a quantity or a price, over one or several stacked
    rows (OCR may misread one label of a row: "Preisl"; its neighbour row still counts)."""
    roles = set().union(*(_roles_in(ln.text) for row in rows for ln in row)) & _TABLE_ROLES
    return len(roles) >= 2 and bool(roles & {"quantity", "unit_price"}) and \
        all(_label_like(row, decimal) for row in rows)


def _is_anchor(row: list[Line], decimal: str) -> bool:
    return _is_header([row], decimal)


def _band(rows: list[list[Line]], i: int, decimal: str) -> tuple[int, int]:
    """The header rows: the anchor and the label rows stacked right above and below it."""
    lh = min(ln.height for ln in rows[i])
    lo = hi = i
    while lo > 0 and _label_like(rows[lo - 1], decimal) and \
            rows[lo][0].box["y0"] - max(x.box["y1"] for x in rows[lo - 1]) <= 1.6 * lh:
        lo -= 1
    while hi + 1 < len(rows) and _label_like(rows[hi + 1], decimal) and \
            min(x.box["y0"] for x in rows[hi + 1]) - max(x.box["y1"] for x in rows[hi]) <= 1.6 * lh:
        hi += 1
    return lo, hi


def _labels(line: Line) -> list[tuple[str, float, float, str]]:
    """(role, x0, x1, text) of each label in a header line; words no label claims are 'other'."""
    toks = tokens_of(line)
    offsets, pos = [], 0
    for t in toks:  # each word's character span in the line's text
        start = line.text.find(t.text, pos)
        start = pos if start < 0 else start
        offsets.append((start, start + len(t.text)))
        pos = start + len(t.text)
    owner: list[str | None] = [None] * len(toks)
    for role, rx in _ROLE_RE.items():
        for m in rx.finditer(line.text):
            hit = [k for k, (s, e) in enumerate(offsets) if s < m.end() and e > m.start() and owner[k] is None]
            for k in hit:
                owner[k] = role
    out: list[tuple[str, float, float, str]] = []
    for k, t in enumerate(toks):
        role = owner[k] or "other"
        if out and out[-1][0] == role and role == "other":
            r, x0, _, text = out[-1]
            out[-1] = (r, x0, t.x1, f"{text} {t.text}")
        else:
            out.append((role, t.x0, t.x1, t.text))
    return out


def _columns(rows: list[list[Line]]) -> list[Column]:
    """Header labels → columns; labels of different rows that overlap in x are one column."""
    cols: list[Column] = []
    for row in rows:
        for ln in row:
            for role, x0, x1, text in _labels(ln):
                over = [c for c in cols if c.x0 < x1 and x0 < c.x1 and all(y != ln.box["y0"] for y, _ in c.texts)]
                if over:
                    c = max(over, key=lambda c: min(c.x1, x1) - max(c.x0, x0))
                    c.x0, c.x1 = min(c.x0, x0), max(c.x1, x1)
                    c.texts.append((ln.box["y0"], text))
                else:
                    cols.append(Column(role, x0, x1, [(ln.box["y0"], text)]))
    for c in cols:
        text = " ".join(t for _, t in sorted(c.texts))
        c.role = next((role for role, rx in _ROLE_RE.items() if rx.search(text)), "other")
    return sorted(cols, key=lambda c: c.x0)


def _overlaps(tok: Token, cols: list[Column]) -> str | None:
    """The role of the column the word stands under (None: under no label)."""
    over = [(min(c.x1, tok.x1) - max(c.x0, tok.x0), c) for c in cols]
    width, col = max(over, key=lambda o: o[0])
    return col.role if width > 0 else None


def _column_of(tok: Token, cols: list[Column]) -> Column:
    overlap = [(min(c.x1, tok.x1) - max(c.x0, tok.x0), c) for c in cols]
    best = max(overlap, key=lambda o: o[0])
    if best[0] > 0:
        return best[1]
    return min(cols, key=lambda c: max(c.x0 - tok.x1, tok.x0 - c.x1))


@dataclass
class _Value:
    tok: Token
    col: Column
    value: Decimal
    decimals: int
    percent: bool


@dataclass
class _Item:
    desc: list[str]
    quantity: Decimal | None
    unit: Decimal | None
    amount: Decimal
    consistent: bool
    lines: list[Line]
    tokens: list[Token]
    open: bool = True  # the description may still go on in the rows below
    notes: list[str] = field(default_factory=list)


# "05:58 h" under "Anzahl"/"Hours": hours and minutes (time-tracking invoices: Kimai, Toggl, Harvest)
_DURATION = re.compile(r"^(?P<h>\d{1,4}):(?P<m>[0-5]\d)$")


def _split_row(row: list[Line], cols: list[Column], decimal: str) -> tuple[list[Token], list[_Value]]:
    """A row's description words and its numbers (with the column each stands in)."""
    desc: list[Token] = []
    values: list[_Value] = []
    for ln in row:
        toks = tokens_of(ln)
        if not toks:
            continue
        first_desc = _column_of(toks[0], cols).role == "description"
        cut = 0
        if first_desc:
            # The description box may run on into numbers of the next columns
            # ("Kunstrasen grün 3m breit 3,00"): only a trailing block of numbers and units
            # standing in another column is cut off; "3 x 20" inside the text stays text.
            cut = len(toks)
            for k in range(1, len(toks)):
                if _parse_number(toks[k].text, decimal) and _overlaps(toks[k], cols) not in (None, "description") and \
                        all(_parse_number(t.text, decimal) or _UNIT_WORD.match(t.text) for t in toks[k:]):
                    cut = k
                    break
            desc.extend(toks[:cut])
        for k in range(cut, len(toks)):
            t = toks[k]
            col = _column_of(t, cols)
            if col.role == "description" and not first_desc:
                desc.append(t)
                continue
            parsed = _parse_number(t.text.rstrip("%"), decimal)
            if parsed is None and col.role == "quantity" and (d := _DURATION.match(t.text)):
                parsed = ((Decimal(d["h"]) + Decimal(d["m"]) / 60).quantize(Decimal("0.0001")), 4)
            # A running number ("Pos", "#", "Nr.") is an integer; "400,00" under "#" is a count.
            if parsed is None or col.role == "description" or (col.role == "pos" and parsed[1] == 0):
                continue
            nxt = toks[k + 1].text if k + 1 < len(toks) else ""
            values.append(_Value(t, col, parsed[0], parsed[1], t.text.endswith("%") or nxt == "%"))
    return desc, values


def _triple(values: list[_Value]) -> tuple[_Value, _Value, _Value, Decimal] | None:
    """The quantity, unit price and amount of an item row: q × u × (1 − r/100) = a, where r
    is a discount percentage printed on the row (0 if none); header columns break ties."""
    money = [v for v in values if not v.percent and v.col.role != "vat"]
    rates = [Decimal(0)] + [v.value for v in values if v.percent and v.col.role != "vat" and 0 < v.value < 100]
    if len(money) < 2:
        return None
    rightmost = max(money, key=lambda v: v.tok.x1)
    best, best_score = None, None
    for a in money:
        if a.decimals > 2 or (a.col.role != "amount" and a is not rightmost):
            continue
        for q in money:
            if q is a or q.value == 0:
                continue
            for u in money:
                if u is a or u is q:
                    continue
                for r in rates:
                    product = q.value * u.value * (1 - r / 100)
                    # A credit note may print its amounts negative beside positive quantities.
                    if abs(product - a.value) > Decimal("0.0051") and \
                            not (a.value < 0 < product and abs(product + a.value) <= Decimal("0.0051")):
                        continue
                    score = 2 * (a.col.role == "amount") + 2 * (u.col.role == "unit_price") + \
                        2 * (q.col.role == "quantity") + (a is rightmost) + (q.tok.x0 < u.tok.x0) - (r != 0)
                    if best_score is None or score > best_score:
                        best, best_score = (q, u, a, r), score
    return best


def _code_like(toks: list[Token]) -> bool:
    """An article number or GTIN alone ("ZS997", "1805"; OCR may read "zS997"), not a description."""
    text = toks[0].text if len(toks) == 1 else ""
    return sum(c.isdigit() for c in text) >= 2 and sum(c.islower() for c in text) <= 1


def _two(d: Decimal) -> str:
    return f"{d.quantize(Decimal('0.01'), rounding=ROUND_HALF_EVEN):f}"


def _record(it: _Item) -> dict:
    conf = min(ln.confidence for ln in it.lines) * (1.0 if it.consistent else 0.7)
    box = union_box([{"x0": t.x0, "y0": t.y0, "x1": t.x1, "y1": t.y1} for t in it.tokens]) or it.lines[0].box
    return {"description": " ".join(it.desc).strip()[:200],
            "quantity": None if it.quantity is None else f"{it.quantity.normalize():f}",
            "unit_price": None if it.unit is None else _two(it.unit),
            "amount": _two(it.amount), "confidence": round(conf, 4), "page": it.lines[0].page,
            "box": {k: round(v, 1) for k, v in box.items()}}


def _amount_below(rows: list[list[Line]], r: int, values: list[_Value], cols: list[Column], decimal: str
                  ) -> _Value | None:
    """The amount cell may sit a line lower than the quantity and price (bottom-aligned, or
    wrapped): the next row's amount, when that row carries no other number, is this row's."""
    if not values or r + 1 >= len(rows) or any(v.col.role == "amount" and not v.percent for v in values):
        return None
    row, below = rows[r], rows[r + 1]
    money = [v for v in _split_row(below, cols, decimal)[1] if not v.percent]
    if money and all(v.col.role == "amount" and v.decimals == 2 for v in money) and \
            below[0].box["y0"] - max(ln.box["y1"] for ln in row) <= min(ln.height for ln in row):
        return money[-1]
    return None


def _allow(it: _Item, allowance: _Value) -> None:
    """A line allowance printed under a gross item: its net amount and net unit price."""
    it.amount += allowance.value
    if it.quantity:
        it.unit = it.amount / it.quantity
    it.tokens.append(allowance.tok)
    it.notes.append(f"allowance {allowance.value}")
    it.open = False


def _read_table(pages: list[list[list[Line]]], start: tuple[int, int], cols: list[Column], decimal: str
                ) -> tuple[list[_Item], tuple[int, int]]:
    """Items from the row after ``start`` (page index, row index) to the totals block."""
    items: list[_Item] = []
    p, r = start
    last_y1: float | None = None
    while p < len(pages):
        rows = pages[p]
        while r < len(rows):
            row = rows[r]
            text = "  ".join(ln.text for ln in row)
            lh = min(ln.height for ln in row)
            desc, values = _split_row(row, cols, decimal)
            below = _amount_below(rows, r, values, cols, decimal)
            if below is not None:
                values, row, r = values + [below], row + rows[r + 1], r + 1
            hit = _triple(values)
            amount_col = [v for v in values if v.col.role == "amount" and not v.percent and v.decimals == 2]
            near = last_y1 is not None and row[0].box["y0"] - last_y1 <= 2.5 * lh
            if hit is None and _is_anchor(row, decimal):
                pass  # the header again, on a later page
            elif hit is not None:
                q, u, a, rate = hit
                item_desc = [] if _code_like(desc) else desc
                it = _Item([t.text for t in item_desc], q.value, u.value * (1 - rate / 100), a.value, True, list(row),
                           item_desc + [q.tok, u.tok, a.tok])
                if rate:
                    it.notes.append(f"{rate}% discount")
                items.append(it)
                last_y1 = max(ln.box["y1"] for ln in row)
            elif _STOP.search(text) or _TOTALS.search(text):
                return items, (p, r)  # the totals block
            elif _DISCOUNT_ROW.search(text):
                # The allowance of the item above, when that item's amount is still its gross
                # quantity × price: its net amount and price. Printed after a net amount, it is
                # already counted; either way the row is not an item of its own.
                above = items[-1] if items else None
                if above is not None and near and above.consistent and not above.notes and amount_col and \
                        amount_col[-1].value < 0 and not [v for v in values if v.col.role == "quantity" and not v.percent]:
                    _allow(above, amount_col[-1])
                    last_y1 = max(ln.box["y1"] for ln in row)
            elif amount_col and ":" not in text and (desc or any(v.col.role == "quantity" for v in values)):
                qty = next((v.value for v in values if v.col.role == "quantity" and not v.percent), None)
                unit = next((v.value for v in values if v.col.role == "unit_price" and not v.percent), None)
                item_desc = [] if _code_like(desc) else desc
                items.append(_Item([t.text for t in item_desc], qty, unit, amount_col[-1].value, False, list(row),
                                   item_desc + [amount_col[-1].tok]))
                last_y1 = max(ln.box["y1"] for ln in row)
            elif items and items[-1].open and near and desc:
                words = [t.text for t in desc]
                last_y1 = max(ln.box["y1"] for ln in row)
                if any(":" in w for w in words):
                    items[-1].open = False  # "GTIN: 4012345001235", "Verpackung : Flasche"
                else:
                    items[-1].desc.extend(words)
                    items[-1].tokens.extend(desc)
            elif items and not near:
                items[-1].open = False
            r += 1
        p, r, last_y1 = p + 1, 0, None
        if items:
            items[-1].open = False
    return items, (p, r)


def table_items(layout: Layout) -> tuple[list[dict], Decimal | None] | None:
    """(line-item records, their sum) from every item table of the document; None when no
    table header is found or no item under it (the caller falls back to line-by-line
    reading). The sum is None when no item is confirmed by its arithmetic."""
    pages = _page_rows(layout)
    decimal = _decimal_mark(layout.lines)
    items: list[_Item] = []
    found = False
    p = 0
    r = 0
    while p < len(pages):
        rows = pages[p]
        if r >= len(rows):
            p, r = p + 1, 0
            continue
        if not _roles_in(" ".join(ln.text for ln in rows[r])) & _TABLE_ROLES or not _label_like(rows[r], decimal):
            r += 1
            continue
        lo, hi = _band(rows, r, decimal)
        if not _is_header(rows[lo:hi + 1], decimal):
            r += 1
            continue
        found = True
        cols = _columns(rows[lo:hi + 1])
        got, (p, r) = _read_table(pages, (p, hi + 1), cols, decimal)
        items += got
        r += 1
    if not found or not items:
        return None  # no table, or none read by columns: the line reader may still read it
    if items and all(it.amount < 0 and (it.quantity is None or it.quantity > 0) for it in items):
        # A credit note printing every amount negative beside positive quantities: EN 16931
        # states a credit note's amounts positive (its type carries the sign). A corrective
        # invoice prints the quantities negative too and keeps its signs.
        for it in items:
            it.amount = -it.amount
    records = [_record(it) for it in items]
    # The sum is a cross-check only when arithmetic confirms some item: rows read from
    # column positions alone could be the totals block itself.
    total = sum((it.amount for it in items), Decimal(0)) if any(it.consistent for it in items) else None
    return records, total


def check_items_sum(items: list[dict], items_sum: Decimal | None, fields: dict[str, FieldValue]) -> None:
    """The strong cross-check: items adding up to the subtotal (net) or the total confirm
    that amount and the items. A disagreement proves nothing (a row may be unread)."""
    if not items or items_sum is None:
        return
    why = f"{len(items)} line items add up to it"
    hit = False
    for name in ("subtotal_amount", "total_amount"):
        f = fields.get(name)
        if f is None or f.normalized is None or f.contradicted or Decimal(f.normalized) != items_sum:
            continue
        hit = True
        if not any("line items" in r for r in f.reasons):  # amounts.choose_total may have counted them already
            boost(f, why)
    if hit:
        for rec in items:
            rec["confidence"] = round(rec["confidence"] + (1 - rec["confidence"]) * 0.5, 4)

"""Amounts by role: the total, the subtotal, the tax lines, each read from the row of its
label (in any language of :mod:`streams.extract.lexicon`), then the total chosen by
arithmetic.

The rules that keep a wrong total from being accepted:
- a row labelled subtotal / net or tax is never a total candidate, however it is worded;
- the total is *checked* (a strong cross-check) when subtotal + tax = total or the line
  items (+ tax) = total; only a checked total, or a unique strongly labelled total that
  is the largest amount on the page read from a text layer, may be accepted;
- two total labels with different amounts, a total equal to the subtotal while tax is
  printed, or a total below the subtotal send it to review with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache

from streams.extract.finders import AMOUNT, Candidate
from streams.extract.layout import Layout, Line, Span
from streams.extract.lexicon import LABELS, TABLE_HEADER, VAT_ID
from streams.extract.normalize import Parsed, normalize_amount

__all__ = ["Amount", "labelled_amounts", "choose_total", "TotalChoice", "tax_rate_plausible", "settled_amounts", "amounts_in_row",
           "charge_amounts", "withheld_amounts", "unlabelled_sum", "tax_kind", "numbers_in", "quantity_and_price"]

_ROLE_ORDER = ("total_strong", "total_due", "subtotal", "tax", "total_plain")
_NOT_TOTAL = re.compile(LABELS["not_total"], re.I)
_EXCLUDING = re.compile(r"\b(?:ohne|exkl\.?|excl\.?|excluding|without|hors|zonder|sin|senza|bez)\s+(?:USt|MwSt|VAT|tax|TVA|BTW|IVA|"
                        r"taxes|podatku|DPH)\b\.?|\b(?:Total|Montant)\s+\(?HT\b|\bnetto\b", re.I)
_TAX_TOTAL_WORD = re.compile(r"Total|Summe|Gesamt|Betrag|Montant|Bedrag|Importe|Importo|Kwota|Amount", re.I)
_ROLE_RE = {role: re.compile(rf"(?:{LABELS[role]})", re.I) for role in _ROLE_ORDER}
# An amount: not a percentage, not part of a date, an id or a longer number.
# A minus right before it is the amount's sign (credit notes, corrections: "Bruttosumme  -8,79").
_AMOUNT_RE = re.compile(rf"(?<![\w/.,'’-])(?P<neg>-\s?)?(?P<v>{AMOUNT})(?!\s?%|[\w/]|[.,-]\d)")
_ID_NEAR = re.compile(r"(?:Id(?:ent)?[.\-]*\s*Nr|(?<![^\W\d_])ID\b|identification|intracom|SIRET|Steuernummer|Nummer|number|n[°º])", re.I)
VAT_ID_RE = re.compile(VAT_ID)
# Money, not a count: cents, or a currency's sign or code ("3" alone on a total row is a count).
_MONEY_MARK = re.compile(r"[.,]\d{2}\b|[$€£₹¥￥₩]|EUR|USD|GBP|CHF|PLN|INR|JPY|KRW|HUF|CNY|zł|Ft")
_OWN_LABEL = re.compile(r"[^\W\d_]{3,}[^:]*:")
_RATE_RE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,2})?)\s?%")


@dataclass(frozen=True)
class Amount:
    role: str  # total_strong, total_due, subtotal, tax, total_plain
    value: Decimal
    cand: Candidate
    rate: Decimal | None = None  # the tax rate printed on a tax row
    label: str = ""  # the label's text ("CGST @ 9%"): two tax rows of one value may be two taxes


def _role_of(text: str) -> tuple[str, re.Match] | None:
    if _NOT_TOTAL.search(text):
        return None  # "Gesamtbetrag der Abschläge", "SARL au capital de 120 000,00"
    m = _ROLE_RE["total_due"].search(text)
    if m:
        return "total_due", m  # "Netto a pagare", "Net à payer": what is to be paid, not a net amount
    m = _EXCLUDING.search(text)
    if m:
        return "subtotal", m  # "Rechnungssumme ohne USt.", "Total excl. VAT": before tax, whatever the noun
    for role in _ROLE_ORDER:
        m = _ROLE_RE[role].search(text)
        if m:
            return role, m
    return None


_SPACED = "letter-spaced label"


def _unspaced(text: str) -> str:
    """A label word a PDF producer split by a kerning gap ("Br uttosumme", "Ver käufer"):
    a lower-case letter, one space, a lower-case letter, joined. Only where the text as
    printed names no role; an amount found so is accepted only with arithmetic."""
    return re.sub(r"(?<=[a-zäöüß]) (?=[a-zäöüß])", "", text)


def _amounts_in(layout: Layout, lines: list[Line], after_x: float) -> list[tuple[Line, re.Match, Parsed]]:
    out = []
    for ln in lines:
        for m in _AMOUNT_RE.finditer(ln.text):
            if ln.box["x0"] + (ln.box["x1"] - ln.box["x0"]) * m.start() / max(len(ln.text), 1) < after_x - 1:
                continue
            raw = m["v"].strip()
            if not _MONEY_MARK.search(raw):
                continue  # a bare "3" on a total row is a count, not money
            parsed = normalize_amount(raw)
            if parsed.ok and m["neg"] and parsed.normalized is not None and Decimal(parsed.normalized) != 0:
                parsed = replace(parsed, normalized=f"-{parsed.normalized}")
            if parsed.ok:
                out.append((ln, m, parsed))
    return out


def labelled_amounts(layout: Layout) -> list[Amount]:
    """Every amount on a labelled row, right of its label; or, for a label alone in its
    cell, the amount below it in the same column."""
    found: list[Amount] = []
    for row in layout.rows:
        if TABLE_HEADER.search(layout.row_text(row)):
            continue  # "Menge  Einzelpreis  Gesamt": the column of line totals, not the total
        # OCR'd pages: boxes of one printed row misaligned or split (a text layer's rows are exact)
        ocr = layout.sources.get(row[0].page, "ocr") == "ocr"
        for i, ln in enumerate(row):
            if pairs := _pairs_in_one_run(layout, ln):
                found.extend(pairs)  # "Subtotal: £100.00   VAT (20%): £20.00   Total: £120.00"
                continue
            hit = (_stacked_role(layout, ln) if ocr else None) or _role_of(ln.text)
            spaced = False
            if not hit and (joined := _unspaced(ln.text)) != ln.text:
                hit, spaced = _role_of(joined), True  # "Br uttosumme": a producer's kerning gap
            if not hit:
                continue
            if hit[0] == "tax" and (_ID_NEAR.search(ln.text) or VAT_ID_RE.search(ln.text)):
                continue  # "USt-IdNr", "TVA : FR11…": the VAT id, not the tax
            if hit[0] == "tax" and i > 0 and len(_amounts_in(layout, row, 0)) >= 2 and not (ocr and _pair_left(layout, row, i)):
                # "1  Übernachtung  158,88  1 Stk  7 % VAT (S)  158,88": an item's tax-rate
                # column between its price and its amount; a tax row starts with its label.
                continue
            if hit[0] == "tax" and _item_row(ln.text, hit[1], [x.text for x in row[i + 1:]]):
                continue  # "Catering (7% USt)  1  860,00  860,00": the rate in an item's description
            role, m = hit
            label_end_x = ln.box["x0"] + (ln.box["x1"] - ln.box["x0"]) * m.end() / max(len(ln.text), 1)
            # Boxes further right that carry their own label ("Artikelrabatt: -2,50") are
            # another field's; a row that names a discount or a charge is not a total's.
            # A label's amounts stop at the next labelled box: "Taxe  Base  Montant  Total HT
            # -218,48 €" (a tax table's header beside the net total) gives the amount to "Total HT".
            # So does a box naming a payment ("Wartość brutto  Zapłacono 0,00 zł": what was paid).
            rest = []
            for x in row[i + 1:]:
                if _role_of(x.text) or _SETTLED.match(x.text.strip()):
                    break
                if not _OWN_LABEL.search(x.text):
                    rest.append(x)
            # A discount named in another column's label-and-amount pair ("Series Discount 0%
            # 0.00 | GBP TOTAL 118,368.00") is that pair's; the label's own part of the row
            # starts after the last amount left of it.
            own = (row[next((j + 1 for j in range(i - 1, -1, -1) if _amounts_in(layout, [row[j]], 0)), 0):i + 1] + rest
                   if ocr else row)
            same_row = [] if _NOT_TOTAL.search("  ".join(x.text for x in own)) else _amounts_in(layout, [ln] + rest, label_end_x)
            if same_row:
                src, am, parsed = same_row[-1]  # "MwSt 19% auf 100,00  19,00": the last one
                found.append(_make(layout, role, src, am, parsed, ln.text, how=_SPACED if spaced else "label"))
                if role.startswith("total") and len(same_row) >= 3:
                    found.extend(_net_and_tax(layout, same_row[-3:], ln.text))
                continue
            if ocr and not _amounts_in(layout, row, 0) and not _NOT_TOTAL.search(ln.text):
                beside = _beside_across_rows(layout, ln, label_end_x)
                if beside is not None:
                    src, am, parsed = beside
                    found.append(_make(layout, role, src, am, parsed, ln.text, how="label (OCR row beside)"))
                    continue
            # A header of labels ("Nettobetrag  MwSt-Betrag  Endbetrag") over a row of
            # amounts: each label takes the amount under its own words. Headers split
            # into one box per label are read box by box.
            if _amounts_in(layout, row, 0):
                continue  # amounts on the row itself: they belong to a later label, not a column
            heads = [x for x in row[i:] if _role_of(x.text)]
            for head in heads:
                found.extend(_column_under(layout, head))
            break
    return found + _header_row_totals(layout)


_NUMBER = re.compile(r"(?<![\w.,'’])\d[\d.,'’]*\d(?!\w)|(?<![\w.,'’])\d(?![\w.,])")


def numbers_in(text: str) -> list[Decimal]:
    """Every number in a text, as amounts parse it ("1.500,00" → 1500.00, "6" → 6)."""
    return [Decimal(p.normalized) for m in _NUMBER.finditer(text)
            if (p := normalize_amount(m[0])).ok and p.normalized is not None]


def quantity_and_price(values: list[Decimal]) -> tuple[Decimal, Decimal] | None:
    """An item row's arithmetic: two numbers before the last whose product is it, to the cent."""
    return next(((q, u) for i, q in enumerate(values[:-1]) for u in values[i + 1:-1]
                 if q > 0 and (q * u).quantize(Decimal("0.01")) == values[-1]), None)


def _item_row(text: str, label: re.Match, after: list[str]) -> bool:
    """An item row whose description names its tax ("Getränke (19% USt) | 6 | 38,00 | 228,00"):
    words before the tax word, and after it quantity × unit price = amount (in the label's box
    or the boxes right of it, ``after``)."""
    if not re.search(r"[^\W\d_]{3}", text[:label.start()]):
        return False  # "MwSt 19% auf 100,00  19,00", "USt 7% (860,00 EUR): 60,20": a tax row
    values = numbers_in("  ".join([text[label.end():], *after]))
    return len(values) >= 3 and bool(values[-1]) and quantity_and_price(values) is not None


def _pair_left(layout: Layout, row: list[Line], i: int) -> bool:
    """The amounts left of box ``i`` belong to a label-and-amount pair of another column
    ("Prepayment Discount 0%  0.00 | VAT@20%  19,728.00"): a role or discount label
    stands before the last of them."""
    last = next((j for j in range(i - 1, -1, -1) if _amounts_in(layout, [row[j]], 0)), None)
    return last is not None and any(_role_of(x.text) or _NOT_TOTAL.search(x.text) for x in row[:last + 1]
                                    if not _AMOUNT_ONLY.fullmatch(x.text))


_CODE_ALONE = re.compile(r"\s*(?:[A-Z]{3}|[€$£₹])\s*")
_AMOUNT_ONLY = re.compile(rf"\s*-?\s*{AMOUNT}\s*")


def _y_overlap(a: Line, b: Line) -> float:
    """How much of the lower box's height the two boxes share vertically (0 to 1)."""
    shared = min(a.box["y1"], b.box["y1"]) - max(a.box["y0"], b.box["y0"])
    return max(shared, 0.0) / min(a.height, b.height)


def _x_shared(a: Line, b: Line) -> float:
    return min(a.box["x1"], b.box["x1"]) - max(a.box["x0"], b.box["x0"])


def _stacked_role(layout: Layout, ln: Line) -> tuple[str, re.Match] | None:
    """A two-word label OCR cut into two boxes stacked one over the other ("Sub" over
    "Total"): the role of the words joined, when the joined label spans both boxes and
    names another role than the lower box alone."""
    above = [x for x in layout.lines if x.page == ln.page and x is not ln and x.box["y0"] < ln.box["y0"]
             and _y_overlap(x, ln) > 0 and _x_shared(x, ln) >= 0.5 * min(x.box["x1"] - x.box["x0"], ln.box["x1"] - ln.box["x0"])
             and re.fullmatch(r"[^\W\d_]{2,12}[.:]?", x.text.strip())]
    if len(above) != 1:
        return None
    head = above[0].text.strip()
    joined = f"{head} {ln.text}"
    hit, alone = _role_of(joined), _role_of(ln.text)
    if hit is None or alone is None or hit[0] == alone[0] or not (hit[1].start() < len(head) < hit[1].end()):
        return None
    # the lower box's text keeps its offsets: the role's match is re-found in it
    m = re.search(re.escape(ln.text.strip()[:1]) + ".*", ln.text)
    return (hit[0], m) if m else None


def _beside_across_rows(layout: Layout, ln: Line, label_end_x: float) -> tuple[Line, re.Match, Parsed] | None:
    """OCR boxes of one printed row placed on two rows: a label with no amount on its own
    row, and right of it, in the row just below or above, one amount whose box shares at
    least a third of its height with the label's ("Total" 730-748, "180.00" 741-761).
    That row must name no role of its own (then the amount is that label's)."""
    picks = []
    for dr in (1, -1):
        other = [x for x in layout.lines if x.page == ln.page and x.row == ln.row + dr]
        if any(_role_of(x.text) or _NOT_TOTAL.search(x.text) or _stacked_role(layout, x) for x in other):
            continue
        for src, am, parsed in _amounts_in(layout, other, label_end_x):
            # words between the label and the amount are another label's, a currency is not
            # ("Sub" stacked over "Total" is the label's own first word)
            between = [x for x in other if x is not src and x.box["x1"] > ln.box["x0"] and x.box["x0"] < src.box["x0"]
                       and re.search(r"[^\W\d_]", x.text) and not _CODE_ALONE.fullmatch(x.text)
                       and not (x.box["y0"] < ln.box["y0"] and _x_shared(x, ln) > 0)]
            if _y_overlap(src, ln) >= 0.33 and not between:
                picks.append((src, am, parsed))
    if len(picks) != 1:
        return None
    src, am, parsed = picks[0]
    if not parsed.currency:
        # "Total" over "GBP", the amount beside them: a code alone between label and amount
        for x in layout.lines:
            code = normalize_amount(x.text + " 1").currency if _CODE_ALONE.fullmatch(x.text) else None
            if (code and x.page == ln.page and x.row in (ln.row, src.row) and ln.box["x0"] - 1 <= x.box["x0"]
                    and x.box["x1"] <= src.box["x0"] + 1):
                parsed = Parsed(parsed.normalized, parsed.quality, parsed.reason, currency=code)
                break
    return src, am, parsed


# A row of field labels over one row of values ("Invoice Number | Invoice Date | Invoice Due
# Date | Charges"): the money column's head is a word no total label is ("Charges", "Amount",
# "Betrag", "Montant"), so it is read only beside the number and date heads of such a row.
_FIELD_HEAD = re.compile(rf"^\s*(?:{LABELS['invoice_number']}|{LABELS['invoice_date']}|{LABELS['due_date']}"
                         r"|(?:Invoice|Rechnungs|Factuur)?[ \t]*(?:Due[ \t]*)?Date|Datum|F[äa]lligkeit)\s*[:#]?\s*$", re.I)
_MONEY_HEAD = re.compile(r"^\s*(?:(?:Total[ \t]+)?Charges|Amount|Total[ \t]+Amount|Betrag|Rechnungsbetrag|Montant"
                         r"|Bedrag|Importe|Importo|Kwota)\s*:?\s*$", re.I)


def _header_row_totals(layout: Layout) -> list[Amount]:
    """The amount right under the money head of a header row of field labels; a plain total
    (review) unless arithmetic confirms it (:func:`choose_total`)."""
    out: list[Amount] = []
    for row in layout.rows:
        if sum(1 for x in row if _FIELD_HEAD.match(x.text)) < 2:
            continue
        cells = sorted(row, key=lambda x: x.box["x0"])
        for i, head in enumerate(cells):
            if not _MONEY_HEAD.match(head.text):
                continue
            # its column: left-aligned values start before the next head, right-aligned ones
            # end after the previous head
            right = cells[i + 1].box["x0"] if i + 1 < len(cells) else float("inf")
            left = cells[i - 1].box["x1"] if i > 0 else float("-inf")
            picks: list[tuple[Line, re.Match, Parsed]] = []
            more: list[tuple[Line, re.Match, Parsed]] = []
            for ahead, into in ((1, picks), (2, more)):
                below = [x for x in layout.lines if x.page == head.page and x.row == head.row + ahead]
                if ahead == 2 and any(_role_of(x.text) for x in below):
                    break  # the totals block under the header's row, not a second row of it
                for src, am, parsed in _amounts_in(layout, below, 0):
                    ax0, ax1 = _x_of(src, am.start("v"), am.end("v"))
                    if head.box["x0"] - 1 <= ax0 < right or left < ax1 <= head.box["x1"] + 1:
                        into.append((src, am, parsed))
            # one row of values; a column that goes on is a table (a statement's list of invoices)
            if len(picks) == 1 and not more:
                src, am, parsed = picks[0]
                out.append(_make(layout, "total_plain", src, am, parsed, head.text, how="label (header row)"))
    return out


def _column_under(layout: Layout, ln: Line) -> list[Amount]:
    """The amounts under each label of a header line. Several rows under it (one per tax
    rate, then their sum): the last row when it is the sum of the rows above, else the first."""
    out: list[Amount] = []
    rows = [[x for x in layout.lines if x.page == ln.page and x.row == r] for r in range(ln.row + 1, ln.row + 7)]
    for r2, m2 in _all_roles(ln.text):
        if r2 == "tax" and not _TAX_TOTAL_WORD.search(ln.text):
            continue  # a "USt." column header over the items is each item's rate or net amount
        picks: list[tuple] = []  # (line, match, parsed) as _under gives them
        lx0, lx1 = _x_of(ln, m2.start(), m2.end())
        for lines in rows:
            if not picks and not any(x.box["x0"] < lx1 and x.box["x1"] > lx0 for x in lines):
                continue  # nothing printed under the label on this row (a heading in another column)
            pick = _under(ln, m2, _amounts_in(layout, lines, 0)) if lines else None
            if pick is None:
                break
            picks.append(pick)
        if not picks:
            continue
        label = ln.text[m2.start():m2.end()]
        values = [Decimal(p[2].normalized) for p in picks]
        if len(picks) >= 3 and sum(values[:-1], Decimal(0)) == values[-1]:
            src, am, parsed = picks[-1]
            out.append(_make(layout, r2, src, am, parsed, label, how="label (column sum)"))
        else:
            src, am, parsed = picks[0]
            out.append(_make(layout, r2, src, am, parsed, label, how="label (below)"))
    return out


@lru_cache(maxsize=256)
def _all_roles(text: str) -> tuple[tuple[str, re.Match], ...]:
    """Every label in a header line, the stronger role where two overlap. (Linear in the line:
    a hostile line of ten thousand labels once cost minutes, label against label.)"""
    taken: list[tuple[str, re.Match]] = []
    used = bytearray(len(text))
    for role in _ROLE_ORDER:
        for m in _ROLE_RE[role].finditer(text):
            if not any(used[m.start():m.end()]):
                taken.append((role, m))
                used[m.start():m.end()] = b"\1" * (m.end() - m.start())
    return tuple(taken)


def _x_of(ln: Line, start: int, end: int) -> tuple[float, float]:
    if len(_all_roles(ln.text)) == 1:  # a label in its own box: the box is its extent
        return ln.box["x0"], ln.box["x1"]
    w = (ln.box["x1"] - ln.box["x0"]) / max(len(ln.text), 1)
    return ln.box["x0"] + w * start, ln.box["x0"] + w * end


def _under(ln: Line, m: re.Match, amounts: list) -> tuple | None:
    """The amount whose centre lies nearest the label's centre, within the label's width
    (+ one label width of slack: numbers are right-aligned under left-aligned headers)."""
    lx0, lx1 = _x_of(ln, m.start(), m.end())
    centre, width = (lx0 + lx1) / 2, lx1 - lx0
    best, best_d = None, None
    for src, am, parsed in amounts:
        ax0, ax1 = _x_of(src, am.start("v"), am.end("v"))
        d = abs((ax0 + ax1) / 2 - centre)
        if d <= width and (best_d is None or d < best_d):
            best, best_d = (src, am, parsed), d
    return best


def _make(layout: Layout, role: str, ln: Line, m: re.Match, parsed: Parsed, label_text: str,
          how: str = "label") -> Amount:
    n = max(len(ln.text), 1)
    w = ln.box["x1"] - ln.box["x0"]
    box = {"x0": ln.box["x0"] + w * m.start("v") / n, "y0": ln.box["y0"],
           "x1": ln.box["x0"] + w * m.end("v") / n, "y1": ln.box["y1"]}
    # The currency may stand apart from the number ("EUR  119,00", or a column header).
    cur = parsed.currency or normalize_amount(ln.text).currency
    if cur and not parsed.currency:
        parsed = Parsed(parsed.normalized, parsed.quality, parsed.reason, currency=cur)
    cand = Candidate(m["v"].strip(), Span(m["v"], (ln,)), parsed, f"{how} {label_text.strip()[:40]!r}", box,
                     layout.sources.get(ln.page, "ocr"))
    rate = _RATE_RE.search(label_text) if role == "tax" else None
    assert parsed.normalized is not None  # callers pass amounts that parsed (ok)
    return Amount(role, Decimal(parsed.normalized), cand,
                  Decimal(rate[1].replace(",", ".")) if rate else None, label_text.strip())


def _pairs_in_one_run(layout: Layout, ln: Line) -> list[Amount]:
    """Several labels and their amounts printed as one text run: each label takes the amount
    after it, up to the next label. Only where every label has one, and no label names a
    discount, a charge or a VAT id."""
    if _NOT_TOTAL.search(ln.text):
        return []
    labels = sorted(_all_roles(ln.text), key=lambda rm: rm[1].start())
    if not 2 <= len(labels) <= 12:
        return []  # a totals block has a few labels; hundreds are no totals block (or a hostile page)
    out = []
    for (role, m), nxt in zip(labels, [*labels[1:], None]):
        end = nxt[1].start() if nxt else len(ln.text)
        found = [a for a in _AMOUNT_RE.finditer(ln.text, m.end(), end)
                 if _MONEY_MARK.search(a["v"]) and normalize_amount(a["v"].strip()).ok]
        if not found or (role == "tax" and (_ID_NEAR.search(ln.text, m.start(), end) or VAT_ID_RE.search(ln.text, m.start(), end))):
            return []
        am = found[-1]
        out.append(_make(layout, role, ln, am, normalize_amount(am["v"].strip()), ln.text[m.start():am.start()]))
    return out


def _net_and_tax(layout: Layout, three: list[tuple[Line, re.Match, Parsed]], label: str) -> list[Amount]:
    """A total row of a tax table's columns ("Razem:  1 000,00  230,00  1 230,00", "Summe  100,00  19,00
    119,00"): net + tax = gross in the row itself gives the subtotal and the tax."""
    net, tax, gross = (Decimal(p.normalized) for _, _, p in three if p.normalized is not None)
    if net + tax != gross or not tax_rate_plausible(net, tax):
        return []
    how = "the total's row (net + tax = gross)"
    return [_make(layout, "subtotal", three[0][0], three[0][1], three[0][2], label, how=how),
            _make(layout, "tax", three[1][0], three[1][1], three[1][2], label, how=how)]


def tax_rate_plausible(subtotal: Decimal, tax: Decimal) -> bool:
    """A tax between 0 and 27% of the subtotal (the highest EU standard rate), of the same
    sign (a credit note's negative subtotal has a negative tax)."""
    if subtotal < 0:
        subtotal, tax = -subtotal, -tax
    return subtotal > 0 and Decimal(0) <= tax <= subtotal * Decimal("0.27")


@dataclass
class TotalChoice:
    total: Amount | None
    checked: str | None = None  # the arithmetic that confirmed it
    doubt: str | None = None  # why it must not be accepted
    subtotal: Amount | None = None
    tax: Decimal | None = None
    tax_rows: tuple[Amount, ...] = ()


# Money already settled or carried over between an invoice's total and what is left to pay.
_SETTLED = re.compile(r"(?<![^\W\d_])(?:(?:Amount\s+|Total\s+)?Paid(?!\s+(?:with|incl))|Payments?(?:\s+(?:received|made))?|Credits?(?:\s+applied)?"
                      r"|Deposit|Prepaid|Previous\s+balance|Balance\s+forward|Less\s+payment|Anzahlung|Vorauszahlung"
                      r"|bereits\s+(?:gezahlt|bezahlt)|Acompte|D[ée]j[àa]\s+(?:pay[ée]|r[ée]gl[ée])|Voorschot|Reeds\s+betaald|Anticipo"
                      r"|Pagado|Acconto|Gi[àa]\s+pagato|Zaliczka|Zap[łl]acono)(?![^\W\d_])", re.I)


# A charge added between the subtotal and the total: "SHIPPING & HANDLING 5.00", "Versandkosten 4,90".
_CHARGE = re.compile(r"(?<![^\W\d_])(?:Shipping(?:\s*(?:&|and)\s*Handling)?|Handling|Freight|Delivery(?:\s+charges?)?|Postage"
                     r"|Versand(?:kosten)?|Fracht(?:kosten)?|Porto|Frais\s+de\s+(?:port|livraison|transport)|Verzendkosten"
                     r"|Gastos\s+de\s+env[íi]o|Spese\s+di\s+(?:spedizione|trasporto)|Koszty?\s+(?:wysy[łl]ki|dostawy|transportu)"
                     r"|Cassa\s+(?:di\s+)?previdenza|Contributo\s+integrativo|Rivalsa\s+(?:INPS|previdenziale))"
                     r"(?![^\W\d_])", re.I)


# A discount taken off below the subtotal ("Discount 10%  -$10.00"): subtotal - discount + tax = total.
_DISCOUNT = re.compile(r"(?<![^\W\d_])(?:Discount|Rabatt|Nachlass|Remise|Descuento|Sconto|Korting|Rabat|Sleva)(?![^\W\d_])", re.I)


# Income tax the buyer withholds from a freelancer's invoice and pays to the state itself: Spanish
# "IRPF -15%" / "Retención", Italian "Ritenuta d'acconto", Portuguese "Retenção na fonte" (IRS). The
# total to pay is subtotal + VAT - the withholding; the VAT is on the whole subtotal.
_WITHHOLDING = re.compile(r"(?<![^\W\d_])(?:IRPF|Retenci[óo]n|Ritenuta(?:\s+d['’]acconto)?|Reten[çc][ãa]o(?:\s+na\s+fonte)?"
                          r"|Withholding(?:\s+tax)?)(?![^\W\d_])", re.I)


def withheld_amounts(layout: Layout) -> list[Decimal]:
    """The amount of each withholding row (its last amount), positive however it is printed."""
    out = []
    for row in layout.rows:
        if _WITHHOLDING.search(layout.row_text(row)):
            values = [Decimal(p.normalized) for _, _, p in _amounts_in(layout, row, 0) if p.normalized]
            if values and values[-1]:
                out.append(abs(values[-1]))
    return out


def charge_amounts(layout: Layout) -> list[Decimal]:
    """The amount of each row naming a shipping, handling or delivery charge (its last amount),
    and of each discount row, taken off (negative, however it is printed)."""
    out = []
    for row in layout.rows:
        text = layout.row_text(row)
        charge, discount = _CHARGE.search(text), _DISCOUNT.search(text)
        if charge or discount:
            values = [Decimal(p.normalized) for _, _, p in _amounts_in(layout, row, 0) if p.normalized]
            if values:
                out.append(-abs(values[-1]) if discount and not charge else values[-1])
    return out


def amounts_in_row(layout: Layout, row: list[Line]) -> list[Decimal]:
    """The money amounts printed on a row (a decimal part or a currency mark; not a percentage,
    a date or an id), as positive values."""
    return [abs(Decimal(p.normalized)) for _, _, p in _amounts_in(layout, row, 0) if p.normalized]


def settled_amounts(layout: Layout) -> list[Decimal]:
    """Amounts on rows naming a payment, credit, deposit or previous balance."""
    out = []
    for row in layout.rows:
        if _SETTLED.search(layout.row_text(row)):
            out += [abs(Decimal(p.normalized)) for _, _, p in _amounts_in(layout, row, 0) if p.normalized]
    return out


def unlabelled_sum(layout: Layout, choice: TotalChoice) -> Amount | None:
    """A total printed without a label on the row right under the subtotal and tax rows
    ("Celkem bez DPH 1 000,00 Kč / DPH 21 % 210,00 Kč / 1 210,00 Kč"): that row's one
    amount, equal to subtotal + tax. Nothing else may be on the row but a currency."""
    if choice.total is not None or choice.subtotal is None or not choice.tax:
        return None
    want = choice.subtotal.value + choice.tax
    if not tax_rate_plausible(choice.subtotal.value, choice.tax):
        return None
    anchors = {id(ln) for a in (choice.subtotal, *choice.tax_rows) for ln in a.cand.span.lines}
    last = max((i for i, row in enumerate(layout.rows) if any(id(ln) in anchors for ln in row)), default=None)
    if last is None or last + 1 >= len(layout.rows):
        return None
    row = layout.rows[last + 1]
    if row[0].page != layout.rows[last][0].page:
        return None
    found = _amounts_in(layout, row, 0)
    rest = _AMOUNT_RE.sub(" ", layout.row_text(row))
    if len(found) != 1 or any(not normalize_amount(f"1 {w}").currency for w in re.findall(r"[^\W\d_]+", rest)):
        return None
    ln, m, parsed = found[0]
    if Decimal(parsed.normalized or "0") != want:
        return None
    return _make(layout, "total_plain", ln, m, parsed, "", how="no label, the row under the subtotal and tax")


# Taxes charged side by side, each on its own row, often of the same amount (India's CGST and
# SGST halves, Canada's GST and PST/QST): rows naming two of these are two taxes.
_TAX_COMPONENT = re.compile(r"\b(CGST|SGST|UTGST|IGST|CESS|GST|HST|PST|QST)\b", re.I)


def tax_kind(label: str) -> str:
    """Which tax component a tax row's label names ("CGST @ 9%" -> "CGST"), or "" for a plain
    tax: a rate row and its total row ("VAT 20%" / "Total VAT", "Umsatzsteuer" / "Steuerbetrag")
    print one tax, and equal amounts there count once."""
    m = _TAX_COMPONENT.search(label)
    return m[1].upper() if m else ""


def choose_total(amounts: list[Amount], items_sum: Decimal | None, largest: Decimal | None,
                 settled: list[Decimal] | None = None, charges: list[Decimal] | None = None,
                 withheld: list[Decimal] | None = None) -> TotalChoice:
    """The total by label strength and arithmetic; see the module docstring. ``settled``:
    payments, credits and previous balances printed (:func:`settled_amounts`); ``charges``:
    shipping and handling added to the subtotal (:func:`charge_amounts`); ``withheld``: income
    tax the buyer withholds (:func:`withheld_amounts`)."""
    subs = [a for a in amounts if a.role == "subtotal"]
    taxes = [a for a in amounts if a.role == "tax"]
    grand = [a for a in amounts if a.role == "total_strong"]
    due = [a for a in amounts if a.role == "total_due"]
    strong = grand + due
    plain = [a for a in amounts if a.role == "total_plain"]
    sub = subs[0] if subs else None
    # Several tax rows (7% and 19%) add up; the same tax printed twice (same label, same
    # amount) counts once; CGST 9% and SGST 9% are two taxes of the same amount.
    per_label = list({(re.sub(r"\s+", " ", a.cand.how).lower(), a.value): a.value for a in taxes}.values())
    # one value per tax: a rate row and its tax-total row ("VAT 20%" / "Total VAT") are one tax
    tax_values = [v for _, v in dict.fromkeys((tax_kind(a.label), a.value) for a in taxes)]
    tax = sum(tax_values, Decimal(0)) if taxes else None
    # Which tax rows are the tax: one of them (a "tax total" row), or all rates together.
    # The two rate rows without the total-of-taxes row is the usual layout.
    tax_options = list(dict.fromkeys(tax_values + ([tax] if tax is not None else [])
                                     + ([sum(per_label, Decimal(0))] if len(per_label) > len(tax_values) else [])))
    if len(tax_values) > 2:
        for skip in tax_values:
            rest = [t for t in tax_values if t != skip]
            tax_options.append(sum(rest, Decimal(0)))
    choice = TotalChoice(None, subtotal=sub, tax=tax, tax_rows=tuple(taxes))
    candidates = strong + plain
    if not candidates:
        return choice
    # Arithmetic first: a candidate that the subtotal and tax, or the line items, explain.
    # the charges, the discounts, or both (a discount row may repeat one already inside the subtotal)
    charged = sum((c for c in charges or [] if c > 0), Decimal(0))
    discounted = sum((c for c in charges or [] if c < 0), Decimal(0))
    adds = list(dict.fromkeys([Decimal(0)] + [x for x in (charged, discounted, charged + discounted) if x]))
    for a in candidates:
        # Subtotal + tax first; charges and discounts only where no subtotal adds up without them (a
        # net total after them is the subtotal): "SUBTOTAL 109.90 / SALES TAX 10.99 / SHIPPING &
        # HANDLING 5.00 / TOTAL 125.89", "Subtotal 100.00 / Discount -10.00 / Tax 9.00 / Total 99.00".
        for add in adds:
            for t in tax_options:
                for s in subs:  # "Warenwert" before a discount, "Nettobetrag" after it
                    if s.value + t + add != a.value or not tax_rate_plausible(s.value + min(add, Decimal(0)), t):
                        continue
                    choice.total, choice.tax, choice.subtotal = a, t, s
                    adjusted = "" if not add else f" + charges {add}" if add > 0 else f" - discount {-add}"
                    choice.checked = f"subtotal {s.value} + tax {t}{adjusted} = total"
                    choice.tax_rows = tuple(x for x in taxes if x.value == t) or tuple(taxes)
                    return choice
        # "Base imponible 1.500,00 / IVA 21% 315,00 / IRPF -15% -225,00 / Total 1.590,00"
        # (an Italian professional's pension levy, "Cassa previdenza 4%", is a charge the VAT is on)
        held = sum(withheld or [], Decimal(0))
        for add, t in ((add, t) for add in adds for t in tax_options) if held else ():
            for s in subs:
                if (s.value + add + t - held == a.value and tax_rate_plausible(s.value + add, t)
                        and held <= s.value * Decimal("0.35")):
                    choice.total, choice.tax, choice.subtotal = a, t, s
                    adjusted = "" if not add else f" + charges {add}" if add > 0 else f" - discount {-add}"
                    choice.checked = f"subtotal {s.value}{adjusted} + tax {t} - withholding {held} = total"
                    choice.tax_rows = tuple(x for x in taxes if x.value == t) or tuple(taxes)
                    return choice
        if items_sum is not None and items_sum > 0 and a.value in (items_sum, items_sum + (tax or 0)):
            plus = f" + tax {tax}" if tax and a.value != items_sum else ""
            choice.total, choice.checked = a, f"line items {items_sum}{plus} = total"
            return choice
    # No subtotal printed: "Total 119,00 / MwSt 19 % 19,00": the tax is its printed rate of the
    # total less the tax (to the cent, a rounding either way). Three printed numbers that fit
    # are arithmetic like subtotal + tax; a net total would need the tax to be its rate of
    # the net minus the tax, which no rate printed beside it gives.
    # Only where every total label prints that amount (a balance of 0.00 aside): a total and
    # an amount due that differ are for the payment rows below to tie together.
    if not subs and len({a.value for a in candidates if a.value != 0}) == 1:
        for a in candidates:
            for row in taxes:
                net = a.value - row.value
                if row.rate and row.value and net > 0 and abs(net * row.rate / 100 - row.value) <= Decimal("0.01"):
                    choice.total, choice.tax, choice.tax_rows = a, row.value, (row,)
                    choice.checked = f"tax {row.value} is {row.rate.normalize():f}% of the total less tax ({net})"
                    return choice
    # "Total 110.00 / Paid 20.00 / Balance Due 90.00" (or a previous balance added): the
    # invoice's total is the "Total"; the payment or carried balance ties the two together.
    owing = [a for a in due if a.value != 0]
    if not grand and plain and owing and plain[-1].value != owing[-1].value:
        tot, bal = plain[-1], owing[-1]
        for x in settled or []:
            if x and x not in (tot.value, bal.value) and bal.value in (tot.value - x, tot.value + x):
                sign = "-" if bal.value < tot.value else "+"
                choice.total, choice.checked = tot, f"total {tot.value} {sign} {x} = balance due {bal.value}"
                return choice
        if settled:
            choice.total = tot
            choice.doubt = f"total {tot.value} and balance due {bal.value} differ by no payment printed"
            return choice
        # no payment printed: which of the two is the invoice's total is a person's call
        choice.total = bal
        choice.doubt = f"'Total' {tot.value} and the amount due {bal.value} differ and nothing ties them"
        return choice
    # The invoice total; what is left to pay only when no total is printed.
    # A balance of 0.00 is a paid invoice, not its total: the plain "Total" then is.
    pool = grand or [a for a in due if a.value != 0] or plain or due
    choice.total = pool[-1]
    values = {a.value for a in pool}
    plausible_tax = [t for t in tax_values if t < choice.total.value]
    if len(values) > 1:
        choice.doubt = "total labels disagree: " + ", ".join(sorted(str(v) for v in values))
    elif choice.total.cand.how.startswith(_SPACED):
        choice.doubt = "the total's label was read from letter-spaced text and no arithmetic confirms it"
    elif sub is not None and plausible_tax and choice.total.value == sub.value:
        choice.doubt = "the total equals the subtotal before tax"
    elif sub is not None and abs(choice.total.value) < abs(sub.value):
        choice.doubt = f"the total is below the subtotal {sub.value}"
    elif taxes and not plausible_tax and choice.total.value in tax_values and choice.total.value != 0:
        choice.doubt = "the total equals the tax"
    elif sub is not None and plausible_tax:
        choice.doubt = f"subtotal {sub.value} + tax {sum(plausible_tax, Decimal(0))} != total {choice.total.value}"
    elif choice.total.role == "total_plain":
        choice.doubt = ("only a plain 'Total' label and no arithmetic confirms it"
                        if not choice.total.cand.how.startswith("label (header row)")
                        else "only a column head beside the number and date ('Charges', 'Amount') and no arithmetic confirms it")
    elif largest is not None and abs(choice.total.value) < largest:
        choice.doubt = f"a larger amount ({largest}) is printed elsewhere"
    return choice

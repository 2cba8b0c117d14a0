"""Shop receipts (rules-3 on): merchant, date, total, tax and currency from a till roll.

A till receipt is a column of rows: the letterhead, the items, then a block of money rows
(total, tax, rounding, what was tendered and the change) and a footer. Each money row is
classed by its words in any of the languages we read (TOTAL / GRAND TOTAL / TOTAL INCL. GST /
NETT TOTAL / Summe / zu zahlen / Total TTC ...; CASH / Bargeld / CHANGE / Rückgeld; ROUNDING;
SUBTOTAL; GST / SST / VAT / MwSt), and the total is the amount on a total row that the other
rows confirm by arithmetic:

- the VAT table adds up to it (net + tax = gross per rate, the gross column sums to the total);
- subtotal + tax (+ rounding) = total;
- cash tendered - change = total; or the card/cash payment row prints the same amount;
- the item rows above it add up to it; or a total before rounding + the rounding row = it.

Confidence is honest: only a value some second reading confirms can reach ``accept``. A total
no arithmetic confirms, a date printed once, and every merchant name stay below the accept
threshold (names have no checksum; the sender memory is how they become trusted).
Numeric dates are read day-first where the receipt says where it is from (RM / MYR / S$ / €
/ £, GST or SST, Sdn Bhd, a European language, dots as separators); a 12/03/2018 from nowhere
in particular goes to a reviewer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from streams.extract.confidence import FieldValue, boost, field_from, missing_field, penalise
from streams.extract.finders import Candidate
from streams.extract.layout import Layout, Line, Span
from streams.extract.lexicon import COUNTRY_CURRENCY, country_of, language_of
from streams.extract.normalize import Parsed, normalize_name

__all__ = ["RECEIPT_REQUIRED", "extract_receipt", "agreed_lines", "clean_name", "classify_row", "parse_receipt_date", "receipt_currency",
           "money_in", "day_first", "UNCHECKED_CAP"]

RECEIPT_REQUIRED = ("receipt_date", "total_amount", "currency")
UNCHECKED_CAP = 0.85  # below every accept threshold: a value nothing else on the receipt confirms

# -- two OCR models --------------------------------------------------------------------------------

LineKey = tuple[int, float, float, float, float]


def _key(page: int, box: dict) -> LineKey:
    return (page, *(round(float(box[k]), 1) for k in ("x0", "y0", "x1", "y1")))  # type: ignore[return-value]


def agreed_lines(ocr_record: dict) -> frozenset[LineKey]:
    """The lines of an ``ocr.results`` record that a second OCR model read the same
    (``"agreed": true``, set by the reader's digit check on wip3/scans, the ocr.results line
    field there): their digits are two readings."""
    return frozenset(_key(int(p.get("number") or 1), ln["box"]) for p in ocr_record.get("pages") or []
                     for ln in p.get("lines") or [] if ln.get("agreed") is True and ln.get("box"))


def _read_twice(line: Line, agreed: frozenset[LineKey]) -> bool:
    # layout.Line.agreed where the layout carries it (wip3/scans), else the record's flags by box
    return bool(getattr(line, "agreed", False)) or (bool(agreed) and _key(line.page, line.box) in agreed)


# -- money ---------------------------------------------------------------------------------------

_CURRENCY_CODES = {"rm": "MYR", "myr": "MYR", "s$": "SGD", "sgd": "SGD", "us$": "USD", "usd": "USD", "€": "EUR",
                   "eur": "EUR", "euro": "EUR", "£": "GBP", "gbp": "GBP", "chf": "CHF", "zł": "PLN", "pln": "PLN",
                   "a$": "AUD", "aud": "AUD", "c$": "CAD", "cad": "CAD", "hk$": "HKD", "hkd": "HKD", "rp": "IDR",
                   "idr": "IDR", "₹": "INR", "inr": "INR", "฿": "THB", "thb": "THB", "₱": "PHP", "php": "PHP",
                   "¥": "JPY", "jpy": "JPY", "sek": "SEK", "dkk": "DKK", "nok": "NOK", "czk": "CZK", "$": "$"}
_CUR = (r"RM|MYR|S\$|SGD|US\$|USD|A\$|AUD|C\$|CAD|HK\$|HKD|EUR(?:O)?|€|£|GBP|CHF|zł|PLN|Rp|IDR|₹|INR|฿|THB|₱|"
        r"JPY|¥|SEK|DKK|NOK|CZK|\$")
# An amount has two decimals; digits, a percent sign or a third decimal place must not touch it
# ("7,00%" is a rate, "02.03.20" a date, "0000545" a till number). No space as a thousands
# separator: "2 120.00" on a till is a quantity and an amount.
MONEY = re.compile(rf"(?<![\w.,])(?P<minus>-\s?)?(?:(?P<cur>{_CUR})\s?)?(?P<minus2>-)?"
                   r"(?P<num>\d{1,3}(?:[,.']\d{3})+[.,]\d{2}|\d+[.,]\d{2})(?P<trail>-)?"
                   r"(?:\s?(?P<tcur>€|£|zł|EUR|GBP|CHF|PLN)(?![^\W\d_]))?"  # "9,50 €", "6,00€": the sign after (FR, DE, PL)
                   r"(?![\d%]|[.,]\d|\s?%)", re.I)


def _decimal(num: str) -> Decimal:
    """``1.234,56`` / ``1,234.56`` / ``12,50`` → Decimal: the last separator before two digits is the point."""
    whole, cents = num[:-3], num[-2:]
    return (Decimal(re.sub(r"[^\d]", "", whole) or "0") + Decimal(cents) / 100).quantize(Decimal("0.01"))


def money_in(text: str) -> list[tuple[Decimal, str | None, re.Match]]:
    """Every amount in a row: (value, currency code or None, match); ``-1,20`` / ``1,20-`` negative."""
    out = []
    # OCR runs a label into its amount ("TOTAL30.00", "RM12.50"): a word of 3+ letters is no digit's neighbour
    text = re.sub(r"(?<=[A-Za-z]{3})(?=\d+[.,]\d{2}(?!\d))", " ", text)
    for m in MONEY.finditer(text):
        value = _decimal(m["num"])
        if m["minus"] or m["minus2"] or m["trail"]:
            value = -value
        sign = m["cur"] or m["tcur"]
        cur = _CURRENCY_CODES.get(sign.lower()) if sign else None
        out.append((value, cur, m))
    return out


# -- rows ----------------------------------------------------------------------------------------

_W = r"(?<![^\W\d_])"  # a word start that also works before "€" and digits
_ROW_CLASSES: list[tuple[str, re.Pattern]] = [(kind, re.compile(rx, re.I)) for kind, rx in [
    # Rows with a total-like word that are not money owed: counts, savings, points, deposits.
    ("not_total", r"total\s*(?:qty|quantity|items?|pcs|units|savings?|saved|discount|points?)|no\.?\s*of\s+items"
                  r"|anzahl|\bartikel\b|item\s*count|\bqty\b|you\s+saved|\bsavings?\b|\bpoints?\b|\bpunkte\b"
                  r"|deutschlandcard|payback|umsatz\s+(?:von|vor)|auf\s+den\s+umsatz"),
    # a tip is added to the bill after tax (US / CA / restaurants everywhere): not part of the subtotal
    ("tip", r"\b(?:tips?|gratuity|pourboire|trinkgeld|propina|mancia|fooi|napiwek)\b"),
    ("change", r"\b(?:change(?:\s+due)?|r[üu]c\S?geld|zur[üu]ck|rendu|rendu\s+monnaie|wisselgeld|cambio|resto|reszta|kembali|baki)\b"),
    ("rounding", r"\b(?:round(?:ing|ed)?(?:\s*adj\w*)?|rnd\s*adj|adj(?:ustment)?|rundung|arrondi)\b"),
    ("subtotal", r"sub\s*-?\s*total|total\s*(?:excl\w*|exc\b|ex\.?\s|before\s+(?:tax|gst|sst|vat)|w/o|sales\s*\(?\s*excl\w*)"
                 r"|amount\s+excl\w*|zwischensumme|total\s+ht\b|sous-?\s*total|subtotaal|base\s+imponible|imponibile"
                 r"|\bnet\s+(?:amount|sales)\b|\bnetto\b|netto-?\s?(?:waren)?(?:wert|betrag|umsatz|summe)|warenwert"),
    ("total", r"grand\s*total|total\s*(?:\(?incl\w*|inc\b|amount|amt|payable|due|sales|rounded|after\s+round\w*|\(?rm\)?|\(?\$\)?|to\s+pay)"
              r"|nett?\s*total|total\s*nett?\b|amount\s*(?:due|payable)|balance\s+due|\bto\s+pay\b|zu\s*zahlen|gesamt(?:betrag|summe)?\b"
              r"|endbetrag|\bsumme\b|total\s+ttc|net\s+[àa]\s+payer|montant\s+(?:total|ttc|[àa]\s+payer)|[àa]\s+payer"
              r"|te\s+betalen|\btotaal\b|importe\s+total|total\s+a\s+pagar|\btotale\b|\brazem\b|do\s+zap[łl]aty|\bsuma\b"
              r"|\btotal\b|jumlah"),
    ("tendered", r"\b(?:cash|tender(?:ed)?|bargeld|bar|gegeben|bezahlt|paid|pay[ée]|payment|r[èe]glement|received|pagado|pagato"
                 r"|betaald|zap[łl]acono|dibayar|visa|master\s*card|amex|credit"
                 r"|debit|card|karte|kreditkarte|ec-?karte|ec\s+lastschrift|girocard|esp[èe]ces|cb|carte|efectivo"
                 r"|tarjeta|contanti|contant|pinbetaling|got[óo]wka|karta|e-?wallet|tunai|kad)\b"),
    # PTU: the Polish till's VAT ("SUMA PTU"); cukai: Malay tax ("JUMLAH CUKAI")
    ("tax", r"\b(?:gst|sst|[cis]gst|[phq]st|vat|tax|mwst\.?|mw\.?st|ust|mehrwertst\w*|tva|btw|iva|ppn|ptu|cukai|service\s+tax)\b"),
]]
# A "total" row whose words name a tax ("Total GST", "MwSt Total") is the tax; one that says
# the tax is included ("Total incl. GST") is the total.
_INCL = re.compile(r"incl\w*|inclusive|inkl\w*|mit\s+mwst|ttc|\bgross\b|brutto", re.I)
_BANNER = re.compile(r"tax\s+invoice|invoice|receipt|kassenbon|quittung|beleg|simplified", re.I)
_RATE = re.compile(r"(?<![\d,])(?<!\d\.)(\d{1,2}(?:[.,]\d{1,2})?)\s?%")  # "B.19%", "C 7,00%", "@6%"


def classify_row(words: str) -> str | None:
    """The kind of money row from its words (amounts taken out): total, subtotal, tax, rounding,
    tendered, change, not_total, or None for an item or anything else."""
    hits = {kind for kind, rx in _ROW_CLASSES if rx.search(words)}
    if not hits:
        return None
    if "rounding" in hits and "total" in hits and re.search(r"total\s*(?:rounded|after\s+round)|round\w*\s+total", words, re.I):
        return "total"  # "TOTAL ROUNDED", "Total after rounding": the rounded total itself
    if "tip" in hits and "total" in hits and re.search(r"incl\w*|inkl\w*|with|avec|mit|after|plus", words, re.I):
        return "total"  # "Total incl. tip", "Total with gratuity"
    for kind in ("not_total", "change", "rounding", "tip", "subtotal"):
        if kind in hits:
            return kind
    if "total" in hits and "tax" in hits:
        if re.search(r"includ\w*\s+in\s+(?:the\s+)?total|enthalten", words, re.I):
            return "tax"  # "GST 6% included in total", "enthaltene MwSt"
        return "total" if _INCL.search(words) else "tax"
    if "total" in hits and "tendered" in hits:
        # "TOTAL PAID", "Total Cash": what was tendered, not the bill
        return "tendered" if re.search(r"paid|cash|tender|card|bar", words, re.I) and not re.search(
            r"total\s*(?:amount|payable|due|\(?incl)", words, re.I) else "total"
    for kind in ("total", "tendered", "tax"):
        if kind in hits:
            return kind
    return None


@dataclass
class MoneyRow:
    index: int  # row index in the layout
    kind: str | None
    words: str
    amounts: list[tuple[Decimal, str | None, Line]]
    rate: Decimal | None  # a VAT rate printed on the row ("C 7,00%")

    @property
    def last(self) -> tuple[Decimal, str | None, Line] | None:
        return self.amounts[-1] if self.amounts else None


def _rows(layout: Layout) -> list[MoneyRow]:
    out = []
    for i, row in enumerate(layout.rows):
        amounts: list[tuple[Decimal, str | None, Line]] = []
        words = []
        for ln in row:
            found = money_in(ln.text)
            amounts += [(v, c, ln) for v, c, _ in found]
            words.append(MONEY.sub(" ", ln.text))
        text = "  ".join(words)
        rate_m = _RATE.search(text)
        rate = Decimal(rate_m[1].replace(",", ".")) / 100 if rate_m else None
        kind = classify_row(text)
        if kind is None and amounts and _misread_total(text):
            kind = "total"  # "Tatal EUR", "Gesanthetrag": the arithmetic still has to confirm it
        if kind and _BANNER.search(text) and not amounts:
            kind = None  # "TAX INVOICE", "Kassenbon": a title, not a money row
        out.append(MoneyRow(i, kind, text, amounts, rate))
    return out


# Total words OCR misreads by a letter or two ("Tatal", "Gesanthetrag"): a row with an amount
# and one of these, alone, is a total row; a total found by it is accepted only by arithmetic.
_TOTAL_WORDS = {"total": 1, "summe": 1, "gesamtbetrag": 2, "endbetrag": 1, "montant": 1, "totaal": 1, "importe": 1,
                "totale": 1, "jumlah": 1}


def _misread_total(words: str) -> bool:
    tokens = [t.lower() for t in re.findall(r"[^\W\d_]{5,}", words)]
    return len(tokens) <= 2 and any(_distance(t, w) <= d for t in tokens for w, d in _TOTAL_WORDS.items())


def _value_of(rows: list[MoneyRow], k: int) -> tuple[Decimal, str | None, Line] | None:
    """A money row's amount: the rightmost on its row, or alone on the next row ("SUMME" / "EUR 9,90")."""
    row = rows[k]
    if row.last is not None:
        return row.last
    if k + 1 < len(rows):
        nxt = rows[k + 1]
        if nxt.kind is None and len(nxt.amounts) == 1 and not re.search(r"[^\W\d_]{4,}", nxt.words):
            return nxt.amounts[0]
    return None


@dataclass
class VatTable:
    tax: Decimal
    gross: Decimal | None  # sum of net + tax over the rates (None when a row has no net)
    rows: list[MoneyRow]
    first_tax: Decimal | None = None  # the first rate's tax amount


def _vat_table(rows: list[MoneyRow]) -> VatTable | None:
    """Rows with a rate and net/tax/gross amounts where tax = net × rate (to the cent, either
    rounding) or net + tax = gross: the receipt's own VAT summary."""
    found: list[tuple[MoneyRow, Decimal, Decimal]] = []
    for row in rows:
        if row.rate is None or row.rate <= 0 or row.rate > Decimal("0.3") or len(row.amounts) < 2:
            continue
        if re.search(r"disc\w*|rabatt|remise|descuento|sconto|off\b|promo|member", row.words, re.I):
            continue  # "10% DISC 5.00 0.50": a discount, not a tax rate
        vals = [v for v, _, _ in row.amounts if v >= 0]
        best = None
        for net in vals:
            for tax in vals:
                if tax >= net:
                    continue
                by_rate = abs(net * row.rate - tax) <= Decimal("0.011") or abs(
                    (net + tax) * row.rate / (1 + row.rate) - tax) <= Decimal("0.011")
                if by_rate and (len(vals) < 3 or net + tax in vals):
                    best = (net, tax)
                    break
            if best:
                break
        if best:
            found.append((row, best[0], best[1]))
    if not found:
        return None
    return VatTable(sum((t for _, _, t in found), Decimal(0)), sum((n + t for _, n, t in found), Decimal(0)),
                    [r for r, _, _ in found], found[0][2])


def _vat_line(rows: list[MoneyRow], vat: VatTable) -> Line:
    """Where the tax is printed: the table's sum row if it prints the total tax, else the
    first rate's tax amount."""
    first = vat.rows[0].index
    for row in rows[first:first + len(vat.rows) + 3]:
        for value, _, ln in row.amounts:
            if value == vat.tax and (row not in vat.rows or len(vat.rows) == 1):
                return ln
    return next((ln for value, _, ln in vat.rows[0].amounts if value == vat.first_tax), vat.rows[0].amounts[-1][2])


def _items_sum(rows: list[MoneyRow], stop: int) -> Decimal | None:
    """Rows above the first money row that end in one amount: a till's item lines."""
    total, seen = Decimal(0), 0
    for row in rows[:stop]:
        if row.kind is not None or len(row.amounts) != 1 or not re.search(r"[^\W\d_]{2}", row.words):
            continue
        if re.search(r"\d\s*[x×*]\s*\d|\b(?:x|@)\b", row.words, re.I):
            return None  # "2,59 x 2": a quantity row; its price is not the line's amount
        total += row.amounts[0][0]
        seen += 1
    return total if seen >= 2 else None


# -- the total ----------------------------------------------------------------------------------


@dataclass
class TotalChoice:
    total: tuple[Decimal, str | None, Line] | None
    checks: list[str]
    doubt: str | None
    tax: Decimal | None
    tax_line: Line | None
    tax_checked: bool
    tax_how: str = "the tax row"
    single: bool = False  # one total value on the slip, alone on its row, no rounding: only its digits in doubt


def choose_total(rows: list[MoneyRow]) -> TotalChoice:
    totals = [(k, v) for k, r in enumerate(rows) if r.kind == "total" and (v := _value_of(rows, k)) and v[0] > 0]
    if not totals:
        return _paid_as_total(rows)
    first_money = min(k for k, _ in totals)
    vat = _vat_table(rows)
    # the VAT table's own "Summe" row repeats the table's sums; it is not a second total
    totals = [(k, v) for k, v in totals if not (vat and rows[k].rate is None and len(rows[k].amounts) >= 2
                                                 and any(a[0] == vat.tax for a in rows[k].amounts))] or totals
    vals = [(rows[k], v) for k, v in totals]
    subtotals = [v[0] for k, r in enumerate(rows) if r.kind == "subtotal" and (v := _value_of(rows, k))]
    # "NETTO 33,07 EUR  BRUTTO 39,35 EUR": the net is the row's first amount, the gross its last
    subtotals += [r.amounts[0][0] for r in rows if r.kind == "subtotal" and len(r.amounts) == 2]
    tax_rows = [(v[0], v[2]) for k, r in enumerate(rows) if r.kind == "tax" and (v := _value_of(rows, k))
                and v[0] >= 0 and not (vat and r in vat.rows)]
    roundings = [v[0] for k, r in enumerate(rows) if r.kind == "rounding" and (v := _value_of(rows, k))]
    tips = [v[0] for k, r in enumerate(rows) if r.kind == "tip" and (v := _value_of(rows, k)) and v[0] >= 0]
    tip = sum(tips, Decimal(0)) if tips else None
    # Payment rows come after the bill ("SNACK BAR 5.00" above the total is an item, not cash).
    tendered = [v[0] for k, r in enumerate(rows) if r.kind == "tendered" and k > first_money and (v := _value_of(rows, k))]
    change = [v[0] for k, r in enumerate(rows) if r.kind == "change" and k > first_money and (v := _value_of(rows, k))]
    items = _items_sum(rows, first_money)
    tax_sum = vat.tax if vat else (tax_rows[0][0] if len({t for t, _ in tax_rows}) == 1 else None)
    # two taxes on one bill (GST + PST, state + city tax, CGST + SGST): their sum, checked by the subtotal
    taxes = sum((t for t, _ in tax_rows), Decimal(0)) if len(tax_rows) >= 2 and not vat else None

    def checks_for(value: Decimal) -> list[str]:
        why = []
        if vat and vat.gross == value:
            why.append("the VAT table's gross amounts add up to it")
        for sub in subtotals:
            if tax_sum is not None and sub + tax_sum == value:
                why.append(f"subtotal {sub} + tax {tax_sum} = total")
            for rnd in roundings:
                if tax_sum is not None and sub + tax_sum + rnd == value:
                    why.append(f"subtotal {sub} + tax {tax_sum} + rounding {rnd} = total")
        if taxes is not None and taxes != tax_sum:
            for sub in subtotals:
                if sub + taxes + (tip or 0) == value:
                    why.append(f"subtotal {sub} + the {len(tax_rows)} tax rows {taxes} = total")
        if tip is not None:
            for sub in subtotals:
                if sub + (tax_sum or 0) + tip == value:
                    why.append(f"subtotal {sub}" + (f" + tax {tax_sum}" if tax_sum is not None else "") + f" + tip {tip} = total")
        for cash in tendered:
            for back in change:  # some tills print the change negative ("Rückgeld -2,84")
                if cash - abs(back) == value and cash > value:
                    why.append(f"cash {cash} - change {abs(back)} = total")
        if not any(change) and value in tendered:  # "CHANGE DUE 0.00" is no change
            why.append("the payment row prints the same amount")
        if items is not None and items == value:
            why.append("the item rows add up to it")
        for _, other in vals:
            if tax_sum is not None and tax_sum > 0 and other[0] + tax_sum == value:
                why.append(f"total before tax {other[0]} + tax {tax_sum} = total")
            for rnd in roundings:
                if rnd != 0 and other[0] + rnd == value:
                    why.append(f"total {other[0]} + rounding {rnd} = total")
            if tip and other[0] + tip == value:
                why.append(f"total {other[0]} + tip {tip} = total")
        return why

    scored = [(r, v, checks_for(v[0])) for r, v in vals]
    # "TOTAL 28.30" before tax and "TOTAL AMOUNT 30.00" after it: the items confirm the first,
    # but a total that tax turns into another printed total is not the one owed.
    if tax_sum is not None and tax_sum > 0:
        printed = {v[0] for _, v in vals}
        scored = [(r, v, why) for r, v, why in scored if v[0] + tax_sum not in printed] or scored
    if tip:  # likewise the total before the tip, where the slip prints the one after it
        printed = {v[0] for _, v in vals}
        scored = [(r, v, why) for r, v, why in scored if v[0] + tip not in printed] or scored
    confirmed = [s for s in scored if s[2]]
    doubt = None
    single = False
    if confirmed:
        # After rounding, what was paid: prefer a value the payment confirms, then the last one.
        paid = [s for s in confirmed if any("cash" in w or "payment" in w or "rounding" in w or "tip" in w for w in s[2])]
        row, value, why = (paid or confirmed)[-1]
        other = {s[1][0] for s in confirmed} - {value[0]}
        if other and not roundings:
            doubt = f"two totals are each confirmed: {sorted(map(str, other | {value[0]}))}"
        # A different total printed further down (after a discount, a voucher) is what is owed:
        # the one the arithmetic found may be the amount before it.
        later = {s[1][0] for s in scored if s[0].index > row.index and s[1][0] != value[0] and not s[2]}
        if later and not roundings and not doubt:
            doubt = f"a later total row says {sorted(map(str, later))}"
        # The payment row is the same OCR reading the same print again: "19,46" read "19,16" on
        # both the SUMME and the card row while the VAT table adds up to 19,46. A VAT table that
        # disagrees outvotes an echo, and a one-digit difference is a misread whatever confirmed it.
        if vat and vat.gross is not None and vat.gross != value[0] and not doubt and (
                _one_digit_apart(vat.gross, value[0]) or all("payment row" in w for w in why)):
            doubt = f"the VAT table adds up to {vat.gross}, not {value[0]}"
    else:
        # No arithmetic: the largest amount on a total row (a total is never below its parts);
        # a second, different total that no rounding row explains is a doubt.
        row, value, why = max(scored, key=lambda s: (s[1][0], s[0].index))
        distinct = {s[1][0] for s in scored}
        # Two models can agree on a misread (19,46 read 19,16 by both): their agreement counts only
        # where the slip offers no arithmetic that could have caught it (which then failed).
        single = (len(distinct) == 1 and not roundings and len(row.amounts) <= 1 and vat is None
                  and not (tendered and change) and not (subtotals and tax_sum is not None) and items is None)
        if len(distinct) > 1 and not roundings:
            doubt = f"total rows disagree: {sorted(map(str, distinct))}"
        if tendered and all(t < value[0] for t in tendered) and not change:
            doubt = f"the payment {max(tendered)} is less than the total {value[0]}"
        if vat and vat.gross is not None and vat.gross != value[0] and len(vat.rows) >= 1 and not doubt:
            doubt = f"the VAT table adds up to {vat.gross}, not {value[0]}"
    tax_line = _vat_line(rows, vat) if vat else (tax_rows[0][1] if tax_rows else None)
    how = (f"the sum of the VAT table's {len(vat.rows)} rates" if vat and len(vat.rows) > 1 else
           "the VAT table" if vat else "the tax row")
    if any("tax rows" in w for w in why):
        tax_sum, how = taxes, f"the sum of the {len(tax_rows)} tax rows"
    tax_checked = bool(why) and tax_sum is not None and any("VAT table" in w or "tax" in w for w in why)
    return TotalChoice(value, why, doubt, tax_sum, tax_line, tax_checked, how, single)


def _one_digit_apart(a: Decimal, b: Decimal) -> bool:
    x, y = f"{a:.2f}", f"{b:.2f}"
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y)) == 1


def _paid_as_total(rows: list[MoneyRow]) -> TotalChoice:
    """A slip with no total row ("Payé 9,50€" under the items, a "Total" column header): the
    one payment amount is the total when the item rows above it add up to it and no change is
    given back; anything else is no total."""
    paid = [(k, v) for k, r in enumerate(rows) if r.kind == "tendered" and (v := _value_of(rows, k)) and v[0] > 0]
    if len({v[0] for _, v in paid}) != 1 or any(r.kind == "change" for r in rows):
        return TotalChoice(None, [], None, None, None, False)
    k, value = paid[0]
    if _items_sum(rows, k) != value[0]:
        return TotalChoice(None, [], None, None, None, False)
    return TotalChoice(value, ["no total row: the item rows add up to the amount paid"], None, None, None, False)


# -- dates ---------------------------------------------------------------------------------------

_MONTHS = {m: i + 1 for i, names in enumerate([
    "jan january januar januari janvier enero gennaio januari stycznia", "feb february februar februari fevrier février febrero febbraio lutego",
    "mar march märz maerz mac mars marzo marzo marca", "apr april avril abril aprile kwietnia",
    "may mai mei mayo maggio maja", "jun june juni juin junio giugno czerwca",
    "jul july juli julai juillet julio luglio lipca", "aug august ogos août aout agosto sierpnia",
    "sep sept september septembre septiembre settembre września", "oct october oktober okt octobre octubre ottobre października",
    "nov november novembre noviembre listopada", "dec december dezember dis disember décembre decembre diciembre dicembre grudnia"])
    for m in names.split()}
_MON = r"(?P<mon>[A-Za-zäéûłś]{3,10})\.?"
_DATE_RES = [
    ("iso", re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")),
    # "25/12/201811:30", "21.04.2015:52": a four- or two-digit year glued to the time after it
    ("glued4", re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>(?:19|20)\d{2})(?=\d{1,2}:\d{2})")),
    ("glued", re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{2})(?=\d{1,2}:\d{2})")),
    ("numeric", re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})(?![\d]|[.,]\d)")),
    ("dmy_name", re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th|er)?[\s\-./]*{_MON}[\s\-./,]*(?P<y>(?:19|20)?\d{{2}})(?![\d:])", re.I)),
    ("mdy_name", re.compile(rf"{_MON}[\s\-./]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|[\s\-./]+)(?P<y>(?:19|20)\d{{2}})(?!\d)", re.I)),
]
_DATE_LABEL = re.compile(r"\b(?:date|dated|datum|tarikh|fecha|data|trans(?:action)?\s*date|bill\s*date|inv(?:oice)?\s*date"
                         r"|date\s+de\s+vente|le)\b\s*[:.]?", re.I)
# "13:59", "12:22 PM", "12h42" (French tills)
_TIME = re.compile(r"(?<!\d)\d{1,2}(?::\d{2}(?::\d{2})?|h\d{2})(?!\d)(?:\s?[AP]\.?M\b\.?)?", re.I)


def _iso(y: int, m: int, d: int) -> str | None:
    if y < 100:
        y += 2000
    if not 1990 <= y <= 2099:
        return None
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def parse_receipt_date(raw: str, day_first_hint: bool | None) -> Parsed:
    """One date as receipts print it → ISO. ``day_first_hint``: True (dd/mm), False (mm/dd) or
    None (unknown: a date both ways valid and different is ambiguous)."""
    for kind, rx in _DATE_RES:
        m = rx.search(raw)
        if not m:
            continue
        if kind == "iso":
            iso = _iso(int(m["y"]), int(m["m"]), int(m["d"]))
        elif kind in ("dmy_name", "mdy_name"):
            month = _MONTHS.get(m["mon"].lower())
            if month is None:
                continue
            iso = _iso(int(m["y"]), month, int(m["d"]))
        else:
            a, b, y = int(m["a"]), int(m["b"]), int(m["y"])
            dmy, mdy = _iso(y, b, a), _iso(y, a, b)
            if dmy and mdy and dmy != mdy:
                if m["s"] == "." and day_first_hint is not False:
                    return Parsed(dmy, 1.0)  # dots are a day-first convention (DE, NL, PL, ...)
                if day_first_hint is None:
                    return Parsed(None, 0.5, f"ambiguous date {m[0]!r}: {dmy} or {mdy}", ambiguous=True)
                return Parsed(dmy if day_first_hint else mdy, 1.0,
                              "numeric date read " + ("day-first" if day_first_hint else "month-first"))
            iso = dmy or mdy
        if iso:
            return Parsed(iso, 1.0, "a year glued to the time" if kind.startswith("glued") else None)
        return Parsed(None, 0.0, f"not a calendar date: {m[0]!r}")
    return Parsed(None, 0.0, "no date")


_DAY_FIRST_CUES = re.compile(r"\bRM\s?\d|\bMYR\b|\bS\$|\bSGD\b|€|£|\bEUR\b|\bGBP\b|\bGST\b|\bSST\b|\bSdn\.?\s*Bhd\b|\bS/B\b"
                             r"|\bMalaysia\b|\bSingapore\b|\bPte\.?\s*Ltd\b|\bJalan\b|\bJln\b|\bTaman\b|\bVAT\b|\bABN\b", re.I)
# US: a state code and ZIP ("WA 98052"), "City, ST" ending a line ("CHICAGO, IL"; DE left out: Germany),
# a phone in the US dash form ("800-532-2918", "(425) 555-0100"), sales tax, USD.
_US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
              "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY")
_MONTH_FIRST_CUES = re.compile(r"\bUSD\b|US\$|\bsales\s+tax\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"
                               rf"|[^\W\d_]{{3,}},\s?(?:{_US_STATES})[ \t]*$", re.M)
# a phone number's shape is a weaker cue: it decides only where nothing says day-first
_US_PHONE = re.compile(r"(?<![\d+\-/.])(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}-)[2-9]\d{2}-\d{4}(?![\d\-])")


def _us_cues(text: str) -> bool:
    return bool(_MONTH_FIRST_CUES.search(text) or _US_PHONE.search(text))


def day_first(text: str, locale: str | None) -> bool | None:
    """Whether 03/04/2026 is the 3rd of April here: the setting, then the receipt's cues."""
    if locale:
        return locale.upper() not in ("US", "MDY")
    lang = language_of(text)
    if lang and lang != "en":
        return True
    eu = bool(_DAY_FIRST_CUES.search(text)) or (country_of(text) not in (None, "US"))
    us = bool(_MONTH_FIRST_CUES.search(text))
    if not eu and not us and _US_PHONE.search(text):
        return False
    if eu and not us:
        return True
    if us and not eu:
        return False
    return None


def _in_a_number(layout: Layout, iso: str, raw: str) -> bool:
    """Is the date also the start of a receipt/transaction number ("CS20181225-0031",
    "Bon 251218/0042")? That is a second reading of its digits."""
    y, m, d = iso.split("-")
    forms = {y + m + d, d + m + y}
    short = {y[2:] + m + d, d + m + y[2:]}
    for token in re.findall(r"(?<!\d)\d{6,20}(?!\d)", layout.text.replace(raw, " ")):
        if any(token.startswith(f) for f in forms) or (len(token) <= 12 and any(token.startswith(f) for f in short)):
            return True
    return False


def _receipt_date(layout: Layout, hint: bool | None, agreed: frozenset[LineKey] = frozenset()) -> FieldValue:
    row_of = {id(x): row for row in layout.rows for x in row}
    cands: list[tuple[Parsed, Line, re.Match, bool, bool]] = []
    for ln in layout.lines:
        for kind, rx in _DATE_RES:
            for m in rx.finditer(ln.text):
                if any(c[1] is ln and c[2].start() <= m.start() < c[2].end() for c in cands):
                    continue  # already read by an earlier form
                p = parse_receipt_date(m[0] + (ln.text[m.end():m.end() + 6] if kind.startswith("glued") else ""), hint)
                if p.ok or p.ambiguous:
                    before = ln.text[:m.start()]
                    # the label in its own box to the left on the same row ("Datum:" | "20.05.2020")
                    left = " ".join(x.text for x in row_of.get(id(ln), ()) if x.box["x1"] <= ln.box["x0"])
                    labelled = bool(_DATE_LABEL.search(before[-14:]) or (not before.strip() and re.search(
                        rf"{_DATE_LABEL.pattern}\s*$", left, re.I)))
                    # the time in its own box beside the date ("12/07/2019" | "12:22 PM") counts too
                    after = ln.text[m.end():].strip()
                    right = sorted((x for x in row_of.get(id(ln), ()) if x.box["x0"] >= ln.box["x1"] - 1),
                                   key=lambda x: x.box["x0"])
                    beside = right[:1]  # the next box on the row, nothing between
                    timed = bool(_TIME.search(ln.text[m.end():m.end() + 9]) or _TIME.search(before[-9:])
                                 or kind.startswith("glued") or (not after and any(
                                     _TIME.fullmatch(x.text.strip()) for x in beside)))
                    cands.append((p, ln, m, labelled, timed))
    if not cands:
        return missing_field("receipt_date", "no date printed")
    # The till's stamp (a date with a time) or a labelled date is the receipt's date; a date in
    # running text ("Produkte vom 28.01.2020") is not, when there is one of those.
    preferred = [c for c in cands if c[3] or c[4]] or cands
    values = {c[0].normalized for c in preferred if c[0].normalized is not None}
    if not values:
        p, ln, m, _, _ = preferred[0]
        f = field_from("receipt_date", Candidate(m[0], Span(m[0], (ln,)), p, "the date printed", ln.box,
                                                 layout.sources.get(ln.page, "ocr")))
        f.force_review = True
        return f
    p, ln, m, labelled, timed = next(c for c in preferred if c[0].ok)
    how = "a labelled date" if labelled else ("the till's date and time" if timed else "the only date printed")
    f = field_from("receipt_date", Candidate(m[0], Span(m[0], (ln,)), p, how, ln.box, layout.sources.get(ln.page, "ocr")))
    if len(values) > 1:
        f.force_review = True
        f.reasons.append(f"several dates printed: {sorted(values)}")
    elif sum(1 for c in cands if c[0].normalized == p.normalized) >= 2:
        boost(f, "printed twice, both readings agree")
    elif p.normalized is not None and _in_a_number(layout, p.normalized, m[0]):
        boost(f, "the receipt number carries the same date")
    elif (labelled or timed) and _read_twice(ln, agreed):
        # the till's stamp or a labelled date, and a second OCR model read the same digits
        boost(f, "two OCR models read the same date")
    else:
        _cap(f, "printed once: nothing else on the receipt confirms the digits")
    return f


# -- currency, merchant -------------------------------------------------------------------------

_SGD_CUES = re.compile(r"\bSingapore\b|\bS'pore\b|\bPte\.?\s*Ltd\b|\bUEN\b", re.I)
_MYR_CUES = re.compile(r"\bSdn\.?\s*Bhd\b|\bS/B\b|\bMalaysia\b|\bSelangor\b|\bKuala\s+Lumpur\b|\bJohor\b|\bJalan\b|\bSST\b", re.I)


def _dollar(code: str, text: str) -> str:
    """A bare "$" is the dollar of the receipt's country (Singapore, else US)."""
    if code != "$":
        return code
    return "SGD" if _SGD_CUES.search(text) else ("MYR" if _MYR_CUES.search(text) else "USD")


def receipt_currency(text: str) -> tuple[str | None, str]:
    """(ISO code, why) from the symbols and codes next to amounts, then the country's cues."""
    codes = [_CURRENCY_CODES[(m["cur"] or m["tcur"]).lower()] for m in MONEY.finditer(text) if m["cur"] or m["tcur"]]
    # a code standing alone as a column header ("EUR" over the prices) or a label "(RM)"
    codes += [_CURRENCY_CODES[m[1].lower()] for m in re.finditer(r"(?:^|\s|\()(RM|MYR|SGD|EUR|EURO|GBP|USD|CHF|€|£)(?=$|\s|\))",
                                                                 text, re.M)]
    resolved = [_dollar(c, text) for c in codes]
    if resolved:
        best = max(set(resolved), key=resolved.count)
        others = [c for c in resolved if c != best]
        if len(others) * 3 <= resolved.count(best):  # a stray OCR "$" among many "EUR"
            return best, f"{best} printed beside the amounts"
        return None, f"several currencies printed: {sorted(set(resolved))}"
    if _MYR_CUES.search(text):
        return "MYR", "no symbol printed; a Malaysian receipt (Sdn Bhd / SST / address)"
    vat = re.search(r"\b(?:USt|UST|VAT|TVA|BTW|IVA|UID|NIF|P\.?\s?IVA)[\w\-. :]{0,14}?\b([A-Z]{2})\s?\d{3}\s?\d{3}\s?\d{3}", text)
    from stdnum.eu import vat as eu_vat  # python-stdnum (locked): the id's own check digits

    if vat and vat[1] in COUNTRY_CURRENCY:
        valid = eu_vat.is_valid(re.sub(r"[^A-Z0-9]", "", vat[0][vat.start(1) - vat.start():]))
        return COUNTRY_CURRENCY[vat[1]], f"no symbol printed; the {vat[1]} VAT id" + (
            " (its check digits hold)" if valid else "")

    for m in re.finditer(r"(?<![A-Z0-9])([A-Z]{2})\s?(\d[\d ]{6,12}\d)(?![\d])", text):
        number = m[1] + m[2].replace(" ", "")
        if m[1] in COUNTRY_CURRENCY and eu_vat.is_valid(number):  # "DE213413740" printed bare
            return COUNTRY_CURRENCY[m[1]], f"no symbol printed; the {m[1]} VAT id (its check digits hold)"
    if _SGD_CUES.search(text):
        return "SGD", "no symbol printed; a Singapore receipt"
    return None, "no currency printed"


_COMPANY = re.compile(r"(?:Ges\.?\s?m\.?\s?b\.?\s?H\b)|\b(?:Sdn\.?\s*Bhd|S/B|Bhd|Berhad|Enterprise|Trading|Pte\.?\s*Ltd|Ltd|Limited|LLC|Inc|Corp|GmbH|AG|KG"
                      r"|OHG|e\.?\s?K|S\.?A\.?R\.?L|SARL|S\.?A\.?S|S\.?L\.?|S\.?p\.?A|S\.?r\.?l|B\.?V\.?|N\.?V\.?|Sp\.?\s*z\s*o\.?\s*o)\b\.?", re.I)
_NOT_MERCHANT = re.compile(
    r"tax\s+invoice|\binvoice\b|\breceipt\b|kassenbon|quittung|\bbeleg\b|cash\s+(?:bill|sale)|simplified|official"
    r"|\b(?:tel|telefon|phone|fax|hp|mobile)\b|www\.|https?:|@|\b(?:gst|sst|vat|ust|mwst|steuer\w*|uid|tin|co\.?\s*reg|reg\.?\s*no|company\s+no)\b"
    r"|\b(?:jalan|jln|lorong|taman|no\.?\s*\d|lot\s+\d|road|rd\.|street|st\.|avenue|ave\.|blvd|stra(?:ss|ß)e|str\.|weg|platz|allee"
    r"|gasse|rue|avenue|via|calle|ul\.)\b|\b\d{5}\b|\bwelcome\b|willkommen|\bhours?\b|[öo]ffnungszeiten|\buhr\b"
    r"|\b(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)\b\.?\s*[-–]|thank|danke|\bdate\b|\btime\b|\bcashier\b"
    rf"|^\s*\(?(?:{_CUR})\)?\s*$", re.I)  # a currency column header ("EUR") is no name


# A trade word on the line under a name completes it ("DELPHIN" / "APOTHEKE").
_TRADE = re.compile(r"(?:APOTHEKE|PHARMACY|FARMASI|PHARMACIE|FARMACIA|APTEKA|RESTAURANT|RESTORAN|RISTORANTE|CAF[EÉ]|BAKERY"
                    r"|B[ÄA]CKEREI|BOULANGERIE|BAKKERIJ|PANADER[IÍ]A|BISTRO|HOTEL|SUPERMARKET|MINIMARKET|MINI\s*MARKET"
                    r"|KEDAI\s+\w+|STORE|SHOP|MART|MARKT|METZGEREI|BUCHHANDLUNG|TANKSTELLE)", re.I)


_LEGAL_WORDS = {"gmbh", "mbh", "ag", "kg", "co", "ohg", "ek", "sdn", "bhd", "berhad", "pte", "ltd", "limited", "llc",
                "inc", "corp", "sarl", "sas", "spa", "srl", "bv", "nv", "sp", "z", "o", "m", "s", "b", "l", "a"}
_TLD = r"(?:de|com|my|sg|fr|nl|es|it|pl|at|ch|be|eu|net|org|co\.uk|uk|com\.my|com\.sg)\b"
# "www.roller.de", "thalia.paderborn@thalia.de", and after "www." a dot OCR lost ("www.marktkauf-1ehr de")
_DOMAIN = re.compile(rf"\bw{{2,3}}\s?[.,]\s?([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*?)(?:\s?\.\s?|\s){_TLD}"
                     rf"|(?:@|https?://)?\b([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*)\s?\.\s?{_TLD}", re.I)


def _fold(text: str) -> str:
    """Lower case without accents: an OCR "Thalía" and a domain's "thalia" are one spelling."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def clean_name(text: str) -> str:
    """A letterhead as OCR reads wide type: "t o o m  B a u m a r k t GmbH", "Baum ar_k t GmbH" ->
    "toom Baumarkt GmbH"; a 0 or @ between letters is an O ("R@SSMANN", "t o0m")."""
    text = re.sub(r"(?<=[^\W\d_])[0@](?=[^\W\d_])", lambda m: "O" if m.string[m.start() - 1].isupper() else "o", text)
    tokens = text.replace("_", " ").split()
    if len(tokens) == 2 and all(t.isalpha() and t.isupper() for t in tokens) and min(map(len, tokens)) == 1 \
            and len("".join(tokens)) <= 5:
        return "".join(tokens)  # a short logo word OCR split at one letter: "A LDI", "ALD I"
    singles = sum(1 for t in tokens if len(t) == 1 and t.isalpha() and t != "&")
    if singles < 2 and "_" not in text:
        return text.strip()
    out: list[str] = []
    for t in tokens:
        # in spaced-out type a lower-case piece continues the word before it; a capital starts one
        if out and t.isalpha() and t[0].islower() and len(t) <= 3 and out[-1].isalpha():
            out[-1] += t
        else:
            out.append(t)
    return " ".join(out)


def _core(name: str) -> list[str]:
    """The words that make a name this merchant's: its letters, legal forms left out."""
    return [w for w in re.findall(r"[^\W\d_]+", _fold(name)) if w not in _LEGAL_WORDS]


def _readings(layout: Layout, skip: set[int]) -> list[tuple[str, list[str]]]:
    """Other printings of names on the slip: every line outside the letterhead name and the
    item/money rows (a logo read again, the footer's "Aldi GmbH & Co. KG", "Ihr Kaufland-Team"),
    and the labels of every web or e-mail domain ("www.marktkauf-lehr.de" -> marktkauf, lehr)."""
    out = []
    for row in layout.rows:
        if money_in(layout.row_text(row)):
            continue
        for ln in row:
            if id(ln) in skip or _ADDRESS.search(ln.text) or re.search(r"\b\d{4,5}\b", ln.text):
                continue  # an address prints the town, not the name ("33102 Paderborn")
            out.append((ln.text, _core(_name_part(ln.text))))
    for m in _DOMAIN.finditer(layout.text):
        # OCR reads a domain's l as 1 and its o as 0 ("marktkauf-1ehr.de")
        host = re.sub(r"(?<![0-9])1(?=[a-z])", "l", re.sub(r"(?<=[a-z])0(?=[a-z])", "o", _fold(m[1] or m[2])))
        labels = [w for w in re.split(r"[.\-]", host) if w and w not in ("www", "ww", "wwv", "wwvs")]
        if labels:
            out.append((_WEB + m[0], labels))
    return out


_WEB = "web:"  # marks a reading taken from a web or e-mail address
_ADDRESS = re.compile(r"\b(?:jalan|jln|lorong|taman|lot\s+\d|road|rd\.|street|st\.|avenue|ave\.|blvd|stra(?:ss|ß)e|str\.|weg"
                      r"|platz|allee|gasse|rue|via|calle|ul\.)|(?:stra(?:ss|ß)e|weg|platz|allee|gasse)\b|\b\d{4,5}\s+[^\W\d_]{3,}"
                      r"|^\s*\d+[a-z]?,?\s+[^\W\d_]{3,}|[^\W\d_]{3,}\s+\d+[a-z]?\s*$"
                      r"|\b(?:place|plaza|piazza|plein|quai|boulevard|chemin|impasse|cours|square|lane|drive)\b", re.I)


# A footer's words around a name: "Vielen Dank für Ihren Einkauf bei X", "Ihr X-Team",
# "Thank you for shopping at X", "Welcome to X".
_AROUND_NAME = re.compile(r"^.*?\b(?:einkauf|shopping|visit(?:ing)?|besuch|dining)\s+(?:bei|at|im|in|with)\b"
                          r"|^\s*(?:ihr(?:e)?|your|welcome\s+to|willkommen\s+(?:bei|im)|bienvenue\s+chez)\b"
                          r"|[-\s]team\b.*$", re.I)


def _name_part(text: str) -> str:
    """The name in a line that prints it again: before its legal form or a comma ("Aldi GmbH &
    Co. KG, Schloß Holte" -> "Aldi"), without a footer's words around it."""
    text = clean_name(text)
    m = _COMPANY.search(text)
    if m:
        text = text[:m.start()]
    return _AROUND_NAME.sub(" ", text.split(",")[0])


def _printed_again(core: list[str], readings: list[tuple[str, list[str]]]) -> str | None:
    """The other printing that is the whole name and nothing else (its words run together or
    apart: "Kauf land", "MediaMarkt"; a domain's labels: marktkauf-lehr), or None. A line that
    holds the name among other words ("KEDAI MAJU JAYA" for "MAJU") does not confirm it."""
    want = "".join(core)
    if len(want) < 4:
        return None
    return next((text for text, words in readings if "".join(words) == want), None)


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _respell(name: str, readings: list[tuple[str, list[str]]]) -> tuple[str, str | None]:
    """A logo word OCR misread by one letter ("ALbDI", "ROLER", "Thalía") that the slip spells
    elsewhere ("Aldi GmbH & Co. KG", "www.roller.de", "thalia.de") takes that spelling, in the
    letterhead's case. Returns (name, what was respelt)."""
    spelt = {w for _, words in readings for w in words if len(w) >= 4}
    web = {w for text, words in readings if text.startswith(_WEB) for w in words if len(w) >= 4}
    changed = []

    def fix(m: re.Match) -> str:
        word = m[0]
        low = _fold(word)
        if len(low) < 4 or low in _LEGAL_WORDS or word.lower() in spelt:
            return word
        # a word that reads as a word is trusted over another line's reading ("Tankstelle" is not
        # "Tankstellen-Nr."); a garbled one (a small letter inside capitals, an accent the other
        # spelling lacks) or one a web address spells otherwise is not
        garbled = bool(re.search(r"[A-Z][a-z]+[A-Z]", word)) or low != word.lower()
        if garbled:
            near = {low} if low in spelt else {w for w in spelt if abs(len(w) - len(low)) <= 1 and _distance(low, w) <= 1}
        else:  # wide type merges a double letter ("ROLER" for ROLLER); the web address keeps both
            near = {w for w in web if len(w) == len(low) + 1 and any(
                w[i] == w[i + 1] and w[:i] + w[i + 1:] == low for i in range(len(w) - 1))}
        if len(near) != 1:
            return word
        (w,) = near
        new = w.upper() if word.isupper() or sum(c.isupper() for c in word) > len(word) / 2 else (
            w.capitalize() if word[0].isupper() else w)
        if new != word:
            changed.append(f"{word} -> {new}")
        return new

    fixed = re.sub(r"[^\W\d_]+", fix, name)
    return fixed, ", ".join(changed) or None


def _merchant(layout: Layout) -> FieldValue:
    """The letterhead: in the top rows, a line naming a company (Sdn Bhd, GmbH, Ltd ...) wins;
    else a line the slip prints again (a logo's text, the footer, its web domain); else the
    first line of letters that is no address, phone, banner, slogan or garbled logo.
    Accepted only when a second printing spells the whole name; a name with nothing else on
    the slip to check it against stays in review (names have no checksum)."""
    if not layout.rows:
        return missing_field("merchant")
    page = layout.rows[0][0].page
    # The letterhead ends where the money starts (the first row with an amount or a money word).
    head = []
    for row in layout.rows[:12]:
        text = layout.row_text(row)
        if row[0].page != page or money_in(text) or classify_row(MONEY.sub(" ", text)) in ("total", "tendered", "subtotal"):
            break
        head.append(row)
    top = [ln for row in head for ln in row]
    height = layout.page_sizes.get(page, (0, 0))[1]
    if height:
        top = [ln for ln in top if ln.box["y0"] < 0.35 * height] or top[:6]
    everything = _readings(layout, set())

    def plausible(ln: Line) -> bool:
        text = _before_address(clean_name(ln.text))
        letters = re.findall(r"[^\W\d_]", text)
        return (len(letters) >= 3 and len(letters) >= 0.5 * len(text.replace(" ", "")) and ln.confidence >= 0.85
                and not _NOT_MERCHANT.search(text) and not money_in(text))

    def elsewhere(ln: Line, whole: bool = True) -> bool:
        core = _core(clean_name(ln.text))
        if not whole:  # its first word in a web address ("Marktkauf Lehr" and "www.marktkauf.de")
            core = core[:1] if core and len(core[0]) >= 4 else []
        return _printed_again(core, [r for r in everything if r[0] != ln.text and (whole or r[0].startswith(_WEB))]) is not None

    chosen = next((ln for ln in top if _COMPANY.search(ln.text) and ln.confidence >= 0.85
                   and not re.search(r"\b(?:tel|fax|www|gst|reg)\b", ln.text, re.I)), None)
    how = "the company name in the letterhead"
    if chosen is None:
        # A line the slip prints again is the name, not the slogan over it ("FRISCHE EINKAUFEN");
        # the one set right above the address first (a feedback service's logo is printed again too).
        # the name comes before its address: a town printed again below it ("SELANGOR") is no name
        first_address = next((i for i, ln in enumerate(top) if _ADDRESS.search(ln.text) or re.search(r"\b\d{5}\b", ln.text)),
                             len(top))
        twice = [i for i, ln in enumerate(top[:first_address]) if plausible(ln) and elsewhere(ln)]
        partly = [i for i, ln in enumerate(top[:first_address]) if plausible(ln) and elsewhere(ln, whole=False)]

        def above_address(found: list[int]) -> list[int]:
            return [i for i in found if i + 1 < len(top) and _ADDRESS.search(top[i + 1].text)]
        pick = above_address(twice) or twice or above_address(partly)
        chosen = top[pick[0]] if pick else None
        how = "the letterhead line printed again on the slip"
    if chosen is None:
        # Slogans end in a full stop or a question mark; a name does not.
        chosen = next((ln for ln in top if plausible(ln) and not re.search(r"[.!?]\s*$", ln.text.strip())), None)
        how = "the first line of the letterhead"
    if chosen is None:
        return missing_field("merchant", "no readable name at the top (a logo?)")
    at = top.index(chosen)
    # a logo's word over the full name ("Thalia" / "Thalia Bücher"): the full name
    if how.startswith("the first") or how.startswith("the letterhead line"):
        nxt = top[at + 1] if at + 1 < len(top) else None
        if nxt is not None and plausible(nxt) and not _COMPANY.search(nxt.text):
            mine, theirs = _core(clean_name(chosen.text)), _core(clean_name(nxt.text))
            if mine and len(theirs) > len(mine) and [_fold(w) for w in theirs[:len(mine)]] == mine:
                chosen, at = nxt, at + 1
    row_of = next((row for row in head if chosen in row), [chosen])
    lines = [chosen]
    # words set to the left on the same row ("t o0m" | "Baumar_k t GmbH") belong to the name
    left = [ln for ln in row_of if ln.box["x1"] <= chosen.box["x0"] and ln.confidence >= 0.8
            and re.fullmatch(r"[^\W\d_][^\W\d_ 0@]*(?: [^\W\d_0@]+)*", ln.text.strip().replace("0", "o").replace("@", "o"))
            and not _NOT_MERCHANT.search(ln.text)]
    lines = left + lines
    name = clean_name(" ".join(ln.text.strip() for ln in lines))
    name = re.sub(r"\s*\(\s*\d[\w\-]*\s*\)\s*$", "", name)  # "(81109-A)": a registration no.
    name = _before_address(name)
    if how.startswith("the company") and at > 0 and not re.search(r"[^\W\d_]{2,}", _COMPANY.sub(" ", name).replace("&", " ")):
        above = top[at - 1]  # "AUTO SPREVES" over a small "GmbH", "UNIHAKKA INTERNATIONAL" over "SDN BHD"
        if above.confidence >= 0.85 and not _NOT_MERCHANT.search(above.text) and re.search(r"[^\W\d_]{3}", above.text):
            name = f"{clean_name(above.text.strip())} {name}"
            lines.insert(0, above)
    elif at + 1 < len(top) and _COMPANY.search(top[at + 1].text) and top[at + 1].confidence >= 0.85 and not re.search(
            r"[^\W\d_]{2,}", _COMPANY.sub(" ", top[at + 1].text).replace("&", " ")):
        name = f"{name} {top[at + 1].text.strip()}"  # "UNIHAKKA TRADING" over "SDN BHD"
        lines.append(top[at + 1])
    if not how.startswith("the company") and at + 1 < len(top) and _TRADE.fullmatch(top[at + 1].text.strip()) \
            and top[at + 1].confidence >= 0.85:
        name = f"{name} {top[at + 1].text.strip()}"  # "DELPHIN" / "APOTHEKE": a name set on two lines
        lines.append(top[at + 1])
    readings = _readings(layout, {id(ln) for ln in lines})
    name, respelt = _respell(name, readings)
    f = field_from("merchant", Candidate(name, Span(name, (chosen,)), normalize_name(name), how, chosen.box,
                                         layout.sources.get(chosen.page, "ocr")))
    again = _printed_again(_core(name), readings)
    ocr_conf = min(ln.confidence for ln in lines)
    spaced = {" ".join(w) for _, w in readings if "".join(w) == "".join(_core(name))} - {" ".join(_core(name))}
    if spaced:  # "Kauf land" under a "Kaufland" logo: which spacing is the name's, nothing says
        _cap(f, f"the name is printed again, spaced differently ({sorted(spaced)[0]!r})")
        f.force_review = True
    elif respelt:
        _cap(f, f"the letterhead reads differently from the name printed elsewhere ({respelt})")
        f.force_review = True
    elif again is not None and ocr_conf >= 0.9:
        boost(f, f"the name is printed again on the slip ({again.strip()[:40]!r})")
    else:
        _cap(f, "a name printed once: confirmed by a reviewer or the sender memory")
    return f


def _before_address(name: str) -> str:
    """"Maison X, Place de Gaulle", "Cafe Y, 12 High Street": the name, not where it is."""
    head, comma, tail = name.partition(",")
    if comma and re.search(r"[^\W\d_]{3}", head) and (_ADDRESS.search(tail) or _NOT_MERCHANT.search(tail)) \
            and not _NOT_MERCHANT.search(head):
        return head.strip()
    return name


def _cap(f: FieldValue, why: str) -> None:
    if f.normalized is not None and f.confidence > UNCHECKED_CAP:
        f.confidence = UNCHECKED_CAP
        f.reasons.append(why)


def _money_field(name: str, layout: Layout, value: Decimal, line: Line, how: str) -> FieldValue:
    raw = next((m[0] for v, _, m in money_in(line.text) if abs(v) == abs(value)), f"{value:.2f}")
    return field_from(name, Candidate(raw.strip(), Span(raw, (line,)), Parsed(f"{value:.2f}", 1.0), how, line.box,
                                      layout.sources.get(line.page, "ocr")))


# -- the receipt --------------------------------------------------------------------------------


def extract_receipt(layout: Layout, *, locale: str | None = None,
                    agreed: frozenset[LineKey] = frozenset()) -> tuple[list[FieldValue], list[dict], dict]:
    """(fields, line items, what was learnt): merchant, receipt_date, total_amount, tax_amount, currency.
    ``agreed``: the lines a second OCR model read the same (``agreed_lines``)."""
    lang, country = language_of(layout.text), country_of(layout.text)
    rows = _rows(layout)
    choice = choose_total(rows)
    if choice.total is not None:
        value, cur, line = choice.total
        total = _money_field("total_amount", layout, value, line, f"a total row ({rows[line.row].words.strip()[:30]!r})"
                             if line.row < len(rows) else "a total row")
        if choice.doubt:
            total.force_review = total.contradicted = True
            penalise(total, choice.doubt, 0.8)
        elif choice.checks:
            boost(total, "; ".join(choice.checks))
        elif _read_twice(line, agreed) and choice.single:
            # one total row, one amount on it, and two OCR models read the same digits
            boost(total, "two OCR models read the same total")
        else:
            _cap(total, "no arithmetic on the receipt confirms the total")
    else:
        total = missing_field("total_amount", "no total row")
    if choice.tax is not None and choice.tax_line is not None:
        tax = _money_field("tax_amount", layout, choice.tax, choice.tax_line, choice.tax_how)
        if choice.tax_checked and not choice.doubt:
            boost(tax, "the tax is part of the arithmetic that confirms the total")
        else:
            _cap(tax, "not confirmed by the total's arithmetic")
    else:
        tax = missing_field("tax_amount", "no tax row")
    code, why = ((_dollar(choice.total[1], layout.text), "printed beside the total") if choice.total and choice.total[1]
                 else receipt_currency(layout.text))
    bare_dollar = bool(re.search(r"(?<![A-Z])\$", layout.text)) and code == "USD" and not _us_cues(layout.text)
    if code:
        # A country that says its currency beyond doubt counts as printed: a VAT id whose check
        # digits hold, a Malaysian company's address; a guess from fewer cues stays in review.
        printed = not why.startswith("no symbol printed") or "check digits hold" in why or "Malaysian" in why
        currency = FieldValue("currency", code, code, 0.95 if printed else UNCHECKED_CAP, reasons=[why],
                              source=layout.sources.get(layout.lines[0].page, "ocr") if layout.lines else "ocr")
        if not printed:
            currency.reasons.append("inferred, not printed")
        elif total.checked:
            boost(currency, "the amount it belongs to is confirmed")
        else:
            _cap(currency, "the amount it belongs to is not confirmed")
        if bare_dollar:  # US, Canadian, Australian ...: nothing on the receipt says which dollar
            currency.force_review = True
            currency.reasons.append("a bare $ and no country on the receipt")
    else:
        currency = missing_field("currency", why)
    fields = [_merchant(layout), _receipt_date(layout, day_first(layout.text, locale), agreed), total, tax, currency]
    return fields, [], {"language": lang, "country": country}

"""The money rows of a till receipt and the total they confirm (used by ``receipt.py``).

Each row with an amount is classed by its words in any language we read (total, subtotal, tax,
rounding, tendered, change, not-a-total), and ``choose_total`` picks the total that the other rows
confirm by arithmetic: the VAT table, subtotal + tax (+ rounding, + tip), cash - change, a payment
row, the item rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from streams.extract.layout import Layout, Line

__all__ = ["CURRENCY", "CURRENCY_CODES", "MONEY", "MoneyRow", "TotalChoice", "VatTable", "choose_total", "classify_row",
           "edit_distance", "money_in", "money_rows", "whole_units"]

CURRENCY_CODES = {"rm": "MYR", "myr": "MYR", "s$": "SGD", "sgd": "SGD", "us$": "USD", "usd": "USD", "€": "EUR",
                   "eur": "EUR", "euro": "EUR", "£": "GBP", "gbp": "GBP", "chf": "CHF", "zł": "PLN", "pln": "PLN",
                   "a$": "AUD", "aud": "AUD", "c$": "CAD", "cad": "CAD", "hk$": "HKD", "hkd": "HKD", "rp": "IDR",
                   "idr": "IDR", "₹": "INR", "inr": "INR", "฿": "THB", "thb": "THB", "₱": "PHP", "php": "PHP",
                   "¥": "JPY", "jpy": "JPY", "sek": "SEK", "dkk": "DKK", "nok": "NOK", "czk": "CZK", "$": "$",
                   # a card terminal's "USD$ 29.01": the code with its sign
                   "usd$": "USD", "sgd$": "SGD", "aud$": "AUD", "cad$": "CAD", "hkd$": "HKD",
                   # an app's or a terminal's "CA$ 12.50", "AU$", "NZ$": the country's letters before the sign
                   "ca$": "CAD", "au$": "AUD", "nz$": "NZD", "nzd": "NZD",
                   # Norwegian, Swedish and Danish crowns all print "kr": resolved by the receipt's country
                   "kr": "kr", "kr.": "kr", "kč": "CZK", "ft": "HUF", "huf": "HUF", "lei": "RON", "ron": "RON",
                   "krw": "KRW", "vnd": "VND", "clp": "CLP", "isk": "ISK"}
CURRENCY = (r"RM|MYR|S\$|SGD\$?|US\$|USD\$?|CA\$|AU\$|NZ\$|NZD|A\$|AUD\$?|C\$|CAD\$?|HK\$|HKD\$?|EUR(?:O)?|€|£|GBP|CHF|zł|PLN|Rp|IDR|₹|INR|฿|THB|₱|"
        r"JPY|¥|SEK|DKK|NOK|CZK|HUF|RON|kr\.?(?=\s?\d)|\$")
# An amount has two decimals; digits, a percent sign or a third decimal place must not touch it
# ("7,00%" is a rate, "02.03.20" a date, "0000545" a till number). No space as a thousands
# separator: "2 120.00" on a till is a quantity and an amount.
MONEY = re.compile(rf"(?<![\w.,])(?P<minus>-\s?)?(?:(?P<cur>{CURRENCY})\s?)?(?P<minus2>-)?"
                   # India's lakh grouping first: "1,23,456.00", "12,34,567.89"; a US till's cents with no
                   # leading zero ("TAX .19", "CHANGE .00")
                   r"(?P<num>\d{1,2}(?:,\d{2})+,\d{3}\.\d{2}|\d{1,3}(?:[,.']\d{3})+[.,]\d{2}|\d+[.,]\d{2}|\.\d{2})(?P<trail>-)?"
                   # "9,50 €", "6,00€", "129,00 kr", "25,50 LEI": the sign after (FR, DE, PL, Nordic, CZ, HU, RO)
                   r"(?:\s?(?P<tcur>€|£|zł|EUR|GBP|CHF|PLN|NOK|SEK|DKK|CZK|HUF|RON|kr\.?|Kč|Ft|lei)(?![^\W\d_]))?"
                   r"(?![\d%]|[.,]\d|\s?%)", re.I)


def _decimal(num: str) -> Decimal:
    """``1.234,56`` / ``1,234.56`` / ``12,50`` → Decimal: the last separator before two digits is the point."""
    whole, cents = num[:-3], num[-2:]
    return (Decimal(re.sub(r"[^\d]", "", whole) or "0") + Decimal(cents) / 100).quantize(Decimal("0.01"))


# Currencies without minor units on the till (IDR, JPY, KRW, VND, CLP, HUF ...): "25,000", "36.000",
# grouped by thousands, never "0,456" (a weight) nor "1,250 kg".
WHOLE_MONEY = re.compile(rf"(?<![\w.,])(?P<minus>-\s?)?(?:(?P<cur>{CURRENCY})\s?)?(?P<minus2>-)?"
                         r"(?P<num>[1-9]\d{0,2}(?:(?P<sep>[,.])\d{3})(?:(?P=sep)\d{3})*)(?P<trail>-)?"
                         r"(?:\s?(?P<tcur>€|£|zł|EUR|GBP|CHF|PLN|NOK|SEK|DKK|CZK|HUF|RON|kr\.?|Kč|Ft|lei|IDR|JPY|KRW|VND|CLP|ISK)"
                         r"(?![^\W\d_]))?(?![\d%]|[.,]\d|\s?%|\s?[^\W\d_])", re.I)


def whole_units(texts: list[str]) -> bool:
    """The slip prints its money in whole units: no amount with two decimals anywhere, and three
    lines at least with a thousands-grouped number ("TOTAL 49,500")."""
    if any(MONEY.search(t) for t in texts):
        return False
    return sum(1 for t in texts if WHOLE_MONEY.search(t)) >= 3


def money_in(text: str, *, whole: bool = False) -> list[tuple[Decimal, str | None, re.Match]]:
    """Every amount in a row: (value, currency code or None, match); ``-1,20`` / ``1,20-`` negative.
    ``whole``: the slip's amounts have no decimals (:func:`whole_units`)."""
    out = []
    # OCR runs a label into its amount ("TOTAL30.00", "RM12.50"): a word of 3+ letters is no digit's neighbour
    text = re.sub(r"(?<=[A-Za-z]{3})(?=\d+[.,]\d{2}(?!\d))", " ", text)
    for m in (WHOLE_MONEY if whole else MONEY).finditer(text):
        value = Decimal(re.sub(r"\D", "", m["num"])).quantize(Decimal("0.01")) if whole else _decimal(m["num"])
        if m["minus"] or m["minus2"] or m["trail"]:
            value = -value
        sign = m["cur"] or m["tcur"]
        cur = CURRENCY_CODES.get(sign.lower()) if sign else None
        out.append((value, cur, m))
    return out


# -- rows ----------------------------------------------------------------------------------------

_W = r"(?<![^\W\d_])"  # a word start that also works before "€" and digits
_ROW_CLASSES: list[tuple[str, re.Pattern]] = [(kind, re.compile(rx, re.I)) for kind, rx in [
    # Rows with a total-like word that are not money owed: counts, savings, points, deposits.
    ("not_total", r"total\s*(?:qty|quantity|items?|pcs|units|savings?|saved|discount|points?)|no\.?\s*of\s+items"
                  r"|anzahl|\bartikel\b|item\s*count|\bqty\b|you\s+saved|\bsavings?\b|\bpoints?\b|\bpunkte\b"
                  r"|deutschlandcard|payback|umsatz\s+(?:von|vor)|auf\s+den\s+umsatz|\bantall\b|\bantal\b"),
    # a tip is added to the bill after tax (US / CA / restaurants everywhere): not part of the subtotal
    ("tip", r"\b(?:tips?|gratuity|pourboire|trinkgeld|propina|mancia|fooi|napiwek)\b"),
    # a restaurant's service charge is added to the bill before the tax (MY/SG "SERVICE CHARGE 10%",
    # "SVC CHG"; Malay "CAJ PERKHIDMATAN"); "service tax" is the Malaysian SST, a tax
    ("charge", r"\b(?:service\s*(?:charge|chrg|chg)|svc\.?\s*(?:charge|chrg|chg)|serv\.?\s*chg|caj\s+perkhidmatan"
               r"|(?:delivery|service|booking|convenience|small\s+order|handling|packaging|bag)\s+fee"
               # AU/UK: a card, public-holiday or weekend surcharge and an "optional service" are added to
               # the bill, whatever card word they carry ("Card Surcharge 1.5%" is no payment)
               r"|surcharge|(?:optional|discretionary)\s+service)\b"),
    ("change", r"\b(?:change(?:\s+due)?|r[üu]c\S?geld|zur[üu]ck|rendu|rendu\s+monnaie|wisselgeld|cambio|resto|reszta|kembali|baki"
               r"|tilbake|veksel|v[äa]xel|byttepenge|vaihtoraha|rest|atlikums|vr[áa]ceno|visszaj[áa]r[óo])\b"),
    ("rounding", r"\b(?:round(?:ing|ed)?(?:\s*adj\w*)?|rnd\s*adj|adj(?:ustment)?|rundung|arrondi)\b"),
    ("subtotal", r"sub\s*-?\s*total|pre-?\s?tax\s+total|total\s*(?:excl\w*|exc\b|ex\.?\s|before\s+(?:tax|gst|sst|vat)|w/o|sales\s*\(?\s*excl\w*)"
                 r"|amount\s+excl\w*|zwischensumme|total\s+ht\b|sous-?\s*total|subtotaal|base\s+imponible|imponibile"
                 r"|\bnet\s+(?:amount|sales)\b|\bnetto\b|netto-?\s?(?:waren)?(?:wert|betrag|umsatz|summe)|warenwert"),
    ("total", r"grand\s*total|total\s*(?:\(?incl\w*|inc\b|amount|amt|payable|due|sales|rounded|after\s+round\w*|\(?rm\)?|\(?\$\)?|to\s+pay)"
              r"|nett?\s*total|total\s*nett?\b|amount\s*(?:due|payable)|balance\s+due|\bto\s+pay\b|zu\s*zahlen|gesamt(?:betrag|summe)?\b"
              r"|\bnet\s+payable\b|endbetrag|\bsumme\b|total\s+ttc|net\s+[àa]\s+payer|montant\s+(?:total|ttc|[àa]\s+payer)|[àa]\s+payer"
              r"|te\s+betalen|\btotaal\b|importe\s+total|total\s+a\s+pagar|\btotale\b|\brazem\b|do\s+zap[łl]aty|\bsuma\b"
              r"|\btotal\b|jumlah"
              # "BALANCE" or "AMOUNT" alone on the money row (US and UK tills); not a card's or points' balance
              r"|^\W*balance(?!\s+(?:remaining|forward|brought|left|on\s+card))\W*$|^\W*amount\W*$"
              # a fuel pump's sale and a card terminal's purchase row ("FUEL SALE", "PURCHASE AUD")
              r"|\bfuel\s+sale\b|\bsale\s+(?:amount|total)\b|^\W*purchase(?:\s+amount)?(?:\s+[A-Z]{3})?\W*$"
              # Nordic, Finnish, Baltic, Czech/Slovak, Hungarian, Romanian, Croatian till totals
              r"|\btotalt\b|[åa]\s+betale|att\s+betala|\bi\s+alt\b|yhteens[äa]|maksettava|\bkop[āa]\b|summa\s+apmaksai"
              r"|\bsumma\b|\bsum\b|celkem|k\s+[úu]hrad[ěe]|\bspolu\b|[öo]sszesen|fizetend[őo]|total\s+de\s+plat[ăa]"
              r"|i[šs]\s+viso|\bkokku\b|ukupno"),
    ("tendered", r"\b(?:cash|tender(?:ed)?|bargeld|bar|gegeben|bezahlt|paid|pay[ée]|payment|r[èe]glement|received|pagado|pagato"
                 r"|betaald|zap[łl]acono|dibayar|visa|master\s*card|amex|credit"
                 r"|debit|card|karte|kreditkarte|ec-?karte|ec\s+lastschrift|girocard|esp[èe]ces|cb|carte|efectivo"
                 r"|tarjeta|contanti|contant|pinbetaling|got[óo]wka|karta|e-?wallet|tunai|kad"
                 r"|nets|eftpos|paywave|grabpay|contactless|kontant|bankkort|kort|bankaxept|vipps|swish|dankort|mobilepay"
                 r"|numerar|skaidra\s+nauda|hotovost|k[ée]szp[ée]nz|k[äa]teinen|pankkikortti"
                 # McDonald's "Cashless", a US food-stamp card "EBT"; wallets and card schemes: India's UPI,
                 # Paytm, PhonePe; Singapore's PayNow; Canada's Interac; Apple / Google / Samsung Pay
                 r"|cashless|ebt|upi|paytm|phonepe|g\s?pay|(?:apple|google|samsung|android)\s*pay|paynow|interac"
                 r"|discover|jcb|maestro|diners(?:\s+club)?|unionpay|alipay|wechat\s*pay)\b"),
    # PTU: the Polish till's VAT ("SUMA PTU"); cukai: Malay tax ("JUMLAH CUKAI")
    # mva/moms/alv: Nordic and Finnish VAT; pvn: Latvian; dph: Czech/Slovak; áfa: Hungarian; dds, pdv, kdv;
    # pajak / PB1: Indonesian tax (a restaurant's "PB1 10%", Pajak Pembangunan 1)
    ("tax", r"\b(?:gst|sst|[cis]gst|[phq]st|vat|tax|mwst\.?|mw\.?st|ust|mehrwertst\w*|tva|btw|iva|ppn|ptu|cukai|service\s+tax"
            r"|mva|moms|alv|pvn|dph|[áa]fa|dds|pdv|kdv|pajak|pb1"
            # Quebec's and French Canada's GST, QST and HST: TPS, TVQ, TVH
            r"|tps|tvq|tvh)\b"),
]]
# A "total" row whose words name a tax ("Total GST", "MwSt Total") is the tax; one that says
# the tax is included ("Total incl. GST") is the total.
# "Total Inc GST", "Total inc. VAT" (Australian and UK tills): "inc" abbreviated before the tax's name
_INCL = re.compile(r"incl\w*|inclusive|inkl\w*|mit\s+mwst|ttc|\bgross\b|brutto|\binc\b\.?\s*(?:gst|vat|tax)\b", re.I)
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
    for kind in ("not_total", "charge", "change", "rounding", "tip", "subtotal"):
        if kind in hits:
            return kind
    if "total" in hits and "tax" in hits:
        if re.search(r"includ\w*\s+in\s+(?:the\s+)?total|enthalten|\bincludes?\b|\b(?:gst|vat|tax)\s+incl(?:uded|\.)?(?!\w)",
                     words, re.I):
            # "GST 6% included in total", "enthaltene MwSt"; a sentence, not a label: "TOTAL INCLUDES
            # GST $0.41" (Australian slips) and "Total GST included" state the tax in the total
            return "tax"
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


def money_rows(layout: Layout) -> list[MoneyRow]:
    out = []
    whole = whole_units([ln.text for ln in layout.lines])
    for i, row in enumerate(layout.rows):
        amounts: list[tuple[Decimal, str | None, Line]] = []
        words = []
        for ln in row:
            found = money_in(ln.text, whole=whole)
            amounts += [(v, c, ln) for v, c, _ in found]
            words.append((WHOLE_MONEY if whole else MONEY).sub(" ", ln.text))
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
    return len(tokens) <= 2 and any(edit_distance(t, w) <= d for t in tokens for w, d in _TOTAL_WORDS.items())


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
    zero: list[tuple[MoneyRow, Decimal, Decimal]] = []
    for row in rows:
        if row.rate == 0 and 2 <= len(row.amounts) <= 3 and not re.search(r"disc\w*|off\b|promo", row.words, re.I):
            # a zero-rated line of the summary (UK/IE "Z 0.00%  1.25  0.00  1.25", AU GST-free): its
            # net is part of the gross, its tax nothing; counted only beside a taxed rate's row
            vals = [v for v, _, _ in row.amounts]
            nets = [v for v in vals if v > 0]
            if vals.count(Decimal(0)) == 1 and nets and len(set(nets)) == 1 and len(nets) == len(vals) - 1:
                zero.append((row, nets[0], Decimal(0)))
            continue
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
    first, last = found[0][0].index, found[-1][0].index
    # the zero-rated row within the table's rows or right beside them, not one elsewhere on the slip
    found += [z for z in zero if first - 2 <= z[0].index <= last + 2]
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


def choose_total(rows: list[MoneyRow], implied_rate: Decimal | None = None) -> TotalChoice:
    """``implied_rate``: the one rate of the slip's country (Australia's GST, 10%), for an
    included-tax row that prints no rate."""
    totals = [(k, v) for k, r in enumerate(rows) if r.kind == "total" and (v := _value_of(rows, k)) and v[0] > 0]
    if not totals:
        return _paid_as_total(rows)
    first_money = min(k for k, _ in totals)

    def remainder(k: int, v: tuple[Decimal, str | None, Line]) -> bool:
        # "TOTAL 42.75 / GIFT CARD 25.00 / BALANCE DUE 17.75": what is left after a part payment, no rival total
        if not re.search(r"balance|remaining|left\s+to\s+pay", rows[k].words, re.I):
            return False
        for j, w in totals:
            paid = [p[0] for i in range(j + 1, k) if rows[i].kind == "tendered" and (p := _value_of(rows, i)) and p[0] > 0]
            if j < k and paid and w[0] - sum(paid, Decimal(0)) == v[0]:
                return True
        return False
    totals = [(k, v) for k, v in totals if not remainder(k, v)]
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
    charges = [v[0] for k, r in enumerate(rows) if r.kind == "charge" and (v := _value_of(rows, k)) and v[0] > 0]
    charge = sum(charges, Decimal(0)) if charges else None
    # Payment rows come after the bill ("SNACK BAR 5.00" above the total is an item, not cash).
    tendered = [v[0] for k, r in enumerate(rows) if r.kind == "tendered" and k > first_money and (v := _value_of(rows, k))]
    change = [v[0] for k, r in enumerate(rows) if r.kind == "change" and k > first_money and (v := _value_of(rows, k))]
    items = _items_sum(rows, first_money)
    # a discount printed under the subtotal ("Discount 10%  -2.00", "Coupon 1.00-"): taken off before the tax
    sub_at = min((k for k, r in enumerate(rows) if r.kind == "subtotal"), default=None)
    discounts = [r.amounts[0][0] for k, r in enumerate(rows) if sub_at is not None and k > sub_at and r.kind is None
                 and len(r.amounts) == 1 and r.amounts[0][0] < 0
                 and re.search(r"\b(?:disc(?:ount)?|coupon|promo(?:tion)?|voucher|markdown|offer)\b", r.words, re.I)
                 and any(t > k for t, _ in totals)]
    discount = sum(discounts, Decimal(0)) if discounts else None
    tax_sum = vat.tax if vat else (tax_rows[0][0] if len({t for t, _ in tax_rows}) == 1 else None)
    # CGST 2.5% and SGST 2.5% of one amount (India), GST and PST, state and city tax: two taxes, not one
    # printed twice; their sum is the tax even where no subtotal checks it (for review then)
    kinds = [_tax_kind(rows, line) for _, line in tax_rows]
    if not vat and len(tax_rows) == 2 and tax_sum is not None and None not in kinds and len(set(kinds)) == 2:
        tax_sum = tax_rows[0][0] + tax_rows[1][0]
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
        if charge is not None:  # subtotal + service charge / fees (+ the tax on both) (+ tip) (+ rounding) = total
            for sub in subtotals:
                for rnd in [Decimal(0), *roundings]:
                    if sub + charge + (tax_sum or 0) + (tip or 0) + rnd == value:
                        why.append(f"subtotal {sub} + service charge / fees {charge}" + (f" + tax {tax_sum}" if tax_sum else "")
                                   + (f" + tip {tip}" if tip else "") + (f" + rounding {rnd}" if rnd else "") + " = total")
        if taxes is not None and taxes != tax_sum:
            for sub in subtotals:
                for rnd in [Decimal(0), *roundings]:  # an Indian bill's "Round Off" after CGST + SGST
                    if sub + taxes + (tip or 0) + rnd == value:
                        why.append(f"subtotal {sub} + the {len(tax_rows)} tax rows {taxes}"
                                   + (f" + rounding {rnd}" if rnd else "") + " = total")
        if discount is not None and tax_sum is not None:
            for sub in subtotals:
                if sub + discount + tax_sum == value:
                    why.append(f"subtotal {sub} - discount {-discount} + tax {tax_sum} = total")
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
        table_sum = vat.gross if vat and vat.gross is not None and vat.gross != value[0] and not doubt and (
            _one_digit_apart(vat.gross, value[0]) or all("payment row" in w for w in why)) else None
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
        table_sum = vat.gross if vat and vat.gross is not None and vat.gross != value[0] and len(vat.rows) >= 1 \
            and not doubt else None
    if table_sum is not None:
        doubt = f"the VAT table adds up to {table_sum}, not {value[0]}"
    if table_sum is not None and _one_digit_apart(table_sum, value[0]) and all("payment row" in w for w in why):
        # one digit of the total misread (4 as 1, 8 as 3), echoed at most by a payment row of the
        # same print, where the VAT table's rows each add up: the table's sum is the better
        # reading, still for a person to confirm (cash less change for the misread keeps it)
        doubt = f"the VAT table adds up to {table_sum}, not {value[0]} as the total row reads: one digit apart, read as the table's"
        value, why = (table_sum, *value[1:]), []
    tax_line = _vat_line(rows, vat) if vat else (tax_rows[0][1] if tax_rows else None)
    how = (f"the sum of the VAT table's {len(vat.rows)} rates" if vat and len(vat.rows) > 1 else
           "the VAT table" if vat else "the tax row")
    if any("tax rows" in w for w in why):
        tax_sum, how = taxes, f"the sum of the {len(tax_rows)} tax rows"
    tax_checked = bool(why) and tax_sum is not None and any("VAT table" in w or "tax" in w for w in why)
    if why and not doubt and not tax_checked and not vat and len(tax_rows) == 1 and tax_sum:
        # "VAT 20% INCLUDED 1.75" under a total of 10.49 the payment confirms: the tax is the
        # total's share at the printed rate (r / (100 + r), to the cent), a check of the tax only
        tax_row = next((r for r in rows if r.kind == "tax" and any(a[2] is tax_rows[0][1] for a in r.amounts)), None)
        rate = tax_row.rate if tax_row else None
        implied = rate is None and tax_row is not None and implied_rate is not None and bool(
            re.search(r"\bgst\b", tax_row.words, re.I))
        rate = implied_rate if implied else rate  # "GST INCLUDED IN TOTAL $5.93" on an Australian slip: 1/11
        if rate and abs(value[0] * rate / (1 + rate) - tax_sum) <= Decimal("0.011"):
            tax_checked, how = True, f"the tax row ({(rate * 100).normalize():f}% included in the confirmed total" + (
                ", the country's one GST rate)" if implied else ")")
    return TotalChoice(value, why, doubt, tax_sum, tax_line, tax_checked, how, single)


def _tax_kind(rows: list[MoneyRow], line: Line) -> str | None:
    """Which tax a tax row names (cgst, sgst, igst, gst, pst, hst, qst, state, city ...), or None."""
    row = next((r for r in rows if any(a[2] is line for a in r.amounts)), None)
    m = re.search(r"\b(cgst|sgst|utgst|igst|gst|pst|hst|qst|tps|tvq|state|city|county|local)\b", row.words, re.I) if row else None
    return m[1].lower() if m else None


def _one_digit_apart(a: Decimal, b: Decimal) -> bool:
    x, y = f"{a:.2f}", f"{b:.2f}"
    return len(x) == len(y) and sum(c != d for c, d in zip(x, y)) == 1


def _paid_as_total(rows: list[MoneyRow]) -> TotalChoice:
    """A slip with no total row ("Payé 9,50€" under the items, a "Total" column header): the
    one payment amount is the total when the item rows above it add up to it and no change is
    given back; anything else is no total."""
    paid = [(k, v) for k, r in enumerate(rows) if r.kind == "tendered" and (v := _value_of(rows, k)) and v[0] > 0]
    if len({v[0] for _, v in paid}) != 1:
        return TotalChoice(None, [], None, None, None, False)
    k, value = paid[0]
    changes = [v for j, r in enumerate(rows) if r.kind == "change" and (v := _value_of(rows, j))]
    if changes:
        # "Gross Amount 185.00 / Net Amount 185.00 / Tender 185.00 / Change 0.00" (a Nepali slip): with no
        # tax and no total row, the last net row that the payment less the change equals is what was owed
        owed = value[0] - sum((c[0] for c in changes), Decimal(0))
        nets = [v for j, r in enumerate(rows[:k]) if r.kind == "subtotal" and (v := _value_of(rows, j)) and v[0] == owed]
        if nets and owed > 0 and not any(r.kind == "tax" and r.amounts for r in rows):
            return TotalChoice(nets[-1], [f"no total row: the payment {value[0]} less the change is the net row {owed}"],
                               None, None, None, False)
        return TotalChoice(None, [], None, None, None, False)
    if _items_sum(rows, k) != value[0]:
        return TotalChoice(None, [], None, None, None, False)
    return TotalChoice(value, ["no total row: the item rows add up to the amount paid"], None, None, None, False)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: how many letters OCR got wrong in a word."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]

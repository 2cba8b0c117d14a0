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

The money rows and the total live in ``receipt_money.py``, the merchant in ``merchant.py``; this
module reads the date and currency and puts the receipt together.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from streams.extract.confidence import UNCHECKED_CAP, FieldValue, boost, cap_unchecked, field_from, missing_field, penalise
from streams.extract.finders import Candidate
from streams.extract.layout import Layout, Line, Span
from streams.extract.lexicon import COUNTRY_CURRENCY, DOLLAR_SIGN_COUNTRIES, country_of, language_of
from streams.extract.merchant import merchant_field
from streams.extract.merchant_address import country_currency, letterhead_country, merchant_address_field
from streams.extract.normalize import Parsed, page_date_order
from streams.extract.receipt_money import CURRENCY_CODES, MONEY, choose_total, money_in, money_rows, whole_units

__all__ = ["RECEIPT_REQUIRED", "extract_receipt", "agreed_lines", "parse_receipt_date", "receipt_currency", "day_first"]

RECEIPT_REQUIRED = ("receipt_date", "total_amount", "currency")

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
# "002205/24/2022 1:10 PM": OCR dropped the space after the register number; a till's
# two-digit day and month, a four-digit year and the time after it
_GLUED_NUMBER = re.compile(r"(?<=\d)(?P<a>\d{2})(?P<s>[/-])(?P<b>\d{2})(?P=s)(?P<y>(?:19|20)\d{2})(?=\s+\d{1,2}:\d{2})")
_DATE_RES = [
    ("iso", re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")),
    # "25/12/201811:30", "21.04.2015:52": a four- or two-digit year glued to the time after it
    ("glued4", re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>(?:19|20)\d{2})(?=\d{1,2}:\d{2})")),
    ("glued", re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})(?P<s>[./-])(?P<b>\d{1,2})(?P=s)(?P<y>\d{2})(?=\d{1,2}:\d{2})")),
    ("glued_number", _GLUED_NUMBER),
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
                             r"|\bMalaysia\b|\bSingapore\b|\bPte\.?\s*Ltd\b|\bJalan\b|\bJln\b|\bTaman\b|\bVAT\b|\bABN\b"
                             # continental Europe's tax words and ids: every one of these countries writes the day first
                             r"|\b(?:IVA|NIF|CIF|TVA|BTW|MwSt|USt|SIRET|P\.\s?IVA|MVA|moms|ALV|PVN|DPH|NIP|PTU)\b", re.I)
# US: a state code and ZIP ("WA 98052"), "City, ST" ending a line ("CHICAGO, IL"; DE left out: Germany),
# a phone in the US dash form ("800-532-2918", "(425) 555-0100"), sales tax, USD.
_US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
              "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY")
_MONTH_FIRST_CUES = re.compile(r"\bUSD\b|US\$|\bsales\s+tax\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b"
                               rf"|(?<![^\W\d_])[^\W\d_]{{3,}},\s?(?:{_US_STATES})[ \t]*$", re.M)
# a phone number's shape is a weaker cue: it decides only where nothing says day-first
_US_PHONE = re.compile(r"(?<![\d+\-/.])(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}-)[2-9]\d{2}-\d{4}(?![\d\-])")


def _us_cues(text: str) -> bool:
    return bool(_MONTH_FIRST_CUES.search(text) or _US_PHONE.search(text))


def day_first(text: str, locale: str | None) -> bool | None:
    """Whether 03/04/2026 is the 3rd of April here: the setting; then the receipt's own
    unambiguous dates and its cues, which must not contradict each other (as for invoices:
    multilingual.date_locale)."""
    if locale:
        return locale.upper() not in ("US", "MDY")
    cue = _cue_day_first(text)
    order = page_date_order(text)
    if order is None:
        return cue
    return (order == "DMY") if cue in (None, order == "DMY") else None


def _cue_day_first(text: str) -> bool | None:
    lang = language_of(text)
    if lang and lang != "en":
        return True
    # Canada writes dates both ways (its tills are often US-made): no cue either way
    eu = bool(_DAY_FIRST_CUES.search(text)) or (country_of(text) not in (None, "US", "CA"))
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
    if m.re is _GLUED_NUMBER:
        # where the number ends and the date begins is a guess ("0012/05/2022": 12 May or 2 May?)
        cap_unchecked(f, "the date is run together with the number before it")
        return f
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
    elif (labelled or timed) and f.source == "text" and p.quality == 1.0:
        # an e-receipt's text layer: its digits are exact (the order of day and month settled by
        # the date itself or the slip's country, as for an OCR reading two models agree on)
        boost(f, "the till's stamp or a labelled date, its digits read from the text layer")
    else:
        cap_unchecked(f, "printed once: nothing else on the receipt confirms the digits")
    return f


# -- currency, merchant -------------------------------------------------------------------------

_SGD_CUES = re.compile(r"\bSingapore\b|\bS'pore\b|\bPte\.?\s*Ltd\b|\bUEN\b", re.I)
_MYR_CUES = re.compile(r"\bSdn\.?\s*Bhd\b|\bS/B\b|\bMalaysia\b|\bSelangor\b|\bKuala\s+Lumpur\b|\bJohor\b|\bJalan\b|\bSST\b", re.I)


# Which crown a bare "kr" is: Norwegian, Swedish and Danish tills all print it. Each country's own
# words and ids on the slip say which ("MVA", "Å betale", BankAxept; "Att betala", "Varav moms",
# Swish; "At betale", "I alt", CVR, Dankort); "moms" and "Totalt" are both Swedish and Danish.
_CROWN_CUES = {
    "NOK": re.compile(r"\bmva\b|\bå\s+betale\b|\bnorge\b|\bbankaxept\b|\bvipps\b|\bforetaksregisteret\b|\bveksel\b"
                      r"|\btilbake\b|\bherav\b", re.I),
    "SEK": re.compile(r"\batt\s+betala\b|\bsverige\b|\bswish\b|\bkvitto\b|\bv[äa]xel\b|\bvarav\b|\bkontokort\b", re.I),
    "DKK": re.compile(r"\bat\s+betale\b|\bdanmark\b|\bcvr\b|\bdankort\b|\bmobilepay\b|\bi\s+alt\b|\bbyttepenge\b"
                      r"|\bheraf\b", re.I),
}


def crown_of(text: str) -> str | None:
    """NOK, SEK or DKK where the slip's company number or VAT id says the country, or it prints two
    or more of one country's cues and none of the others' (one word alone is a guess), else None."""
    if (country := country_of(text)) in ("NO", "SE", "DK"):
        return COUNTRY_CURRENCY[country]
    found = {code: len(rx.findall(text)) for code, rx in _CROWN_CUES.items()}
    named = [code for code, n in found.items() if n]
    return named[0] if len(named) == 1 and found[named[0]] >= 2 else None


def _dollar(code: str, text: str) -> str | None:
    """A bare "$" is the dollar of the receipt's country (Singapore, else US); a bare "kr" its
    crown (None when the slip does not say which)."""
    if code == "kr":
        return crown_of(text)
    if code != "$":
        return code
    if _SGD_CUES.search(text):
        return "SGD"
    if _MYR_CUES.search(text):
        return "MYR"
    # an ABN, a Canadian province and postcode or GST/HST number, a Chilean RUT: that country's "$"
    return COUNTRY_CURRENCY[country] if (country := country_of(text)) in DOLLAR_SIGN_COUNTRIES else "USD"


def receipt_currency(text: str) -> tuple[str | None, str]:
    """(ISO code, why) from the symbols and codes next to amounts, then the country's cues."""
    codes = [CURRENCY_CODES[(m["cur"] or m["tcur"]).lower()] for m in MONEY.finditer(text) if m["cur"] or m["tcur"]]
    # a code standing alone as a column header ("EUR" over the prices) or a label "(RM)"
    codes += [CURRENCY_CODES[m[1].lower()] for m in re.finditer(
        r"(?:^|\s|\()(RM|MYR|SGD|EUR|EURO|GBP|USD|CHF|NOK|SEK|DKK|CZK|HUF|RON|LEI|PLN|€|£)(?=$|\s|\))", text, re.M)]
    if codes and set(codes) == {"kr"} and _dollar("kr", text) is None:
        return None, "'kr' printed, and nothing says whose crowns (NOK, SEK, DKK)"
    resolved = [r for c in codes if (r := _dollar(c, text)) is not None]
    if resolved:
        best = max(set(resolved), key=resolved.count)
        others = [c for c in resolved if c != best]
        if len(others) * 3 <= resolved.count(best):  # a stray OCR "$" among many "EUR"
            return best, f"{best} printed beside the amounts"
        return None, f"several currencies printed: {sorted(set(resolved))}"
    if re.search(r"(?<![^\W\d_])Rs\.?\s?\d", text) and country_of(text) == "IN":
        # "Rs." is the rupee of India, Pakistan, Sri Lanka and Nepal: India's where its GSTIN is printed
        return "INR", "'Rs.' printed beside the amounts, and an Indian GSTIN"
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
    # a UK VAT number printed without its "GB" ("VAT No. 660 4548 36"): grouped 3-4-2, the way only UK
    # tills print it, and its GB check digits hold; still a guess from one cue, for review
    from stdnum.gb import vat as gb_vat

    uk = re.search(r"\bVAT\s*(?:Reg(?:istration)?\.?\s*)?(?:No|Number|#)\.?\s*:?\s*(\d{3})\s(\d{4})\s(\d{2})(?!\s?\d)", text, re.I)
    if uk and gb_vat.is_valid("".join(uk.groups())):
        return "GBP", "no symbol printed; a UK VAT number grouped 123 4567 89 (its GB checksum agrees)"
    if _SGD_CUES.search(text):
        return "SGD", "no symbol printed; a Singapore receipt"
    return None, "no currency printed"


def _money_field(name: str, layout: Layout, value: Decimal, line: Line, how: str) -> FieldValue:
    whole = whole_units([ln.text for ln in layout.lines])
    raw = next((m[0] for v, _, m in money_in(line.text, whole=whole) if abs(v) == abs(value)), f"{value:.2f}")
    return field_from(name, Candidate(raw.strip(), Span(raw, (line,)), Parsed(f"{value:.2f}", 1.0), how, line.box,
                                      layout.sources.get(line.page, "ocr")))


# -- the receipt --------------------------------------------------------------------------------


def extract_receipt(layout: Layout, *, locale: str | None = None,
                    agreed: frozenset[LineKey] = frozenset()) -> tuple[list[FieldValue], list[dict], dict]:
    """(fields, line items, what was learnt): merchant, merchant_address, receipt_date, total_amount, tax_amount, currency.
    ``agreed``: the lines a second OCR model read the same (``agreed_lines``)."""
    lang, country = language_of(layout.text), country_of(layout.text)
    rows = money_rows(layout)
    # Australia's GST has one rate (10%): a "GST included" row with no rate is the total's eleventh
    choice = choose_total(rows, Decimal("0.10") if country == "AU" else None)
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
            cap_unchecked(total, "no arithmetic on the receipt confirms the total")
    else:
        total = missing_field("total_amount", "no total row")
    if choice.tax is not None and choice.tax_line is not None:
        tax = _money_field("tax_amount", layout, choice.tax, choice.tax_line, choice.tax_how)
        if choice.tax_checked and not choice.doubt:
            boost(tax, "the tax is part of the arithmetic that confirms the total")
        else:
            cap_unchecked(tax, "not confirmed by the total's arithmetic")
    else:
        tax = missing_field("tax_amount", "no tax row")
    beside = _dollar(choice.total[1], layout.text) if choice.total and choice.total[1] else None
    code, why = (beside, "printed beside the total") if beside else receipt_currency(layout.text)
    if code is None and why == "no currency printed" and (place := letterhead_country([ln.text for ln in layout.lines[:8]])):
        # "Narephat, Kathmandu" and no symbol: the country's currency, for a person to confirm
        code, why = country_currency(place[0]), f"no symbol printed; the letterhead's town {place[1]} is in {place[0]}"
    if code is None and why == "no currency printed" and country in COUNTRY_CURRENCY:
        # "Palo Alto, CA 94306", an ABN, a UK postcode: the country's currency, for a person to confirm
        code, why = COUNTRY_CURRENCY[country], f"no symbol printed; the receipt's address or tax id is in {country}"
    dollar_sign = bool(re.search(r"(?<![A-Z])\$", layout.text))
    bare_dollar = dollar_sign and code == "USD" and not _us_cues(layout.text)
    # "$" read as the dollar of the country the slip's tax id or address names: for a person to confirm
    other_dollar = dollar_sign and country in DOLLAR_SIGN_COUNTRIES and code == COUNTRY_CURRENCY.get(country)
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
            cap_unchecked(currency, "the amount it belongs to is not confirmed")
        if other_dollar:
            currency.force_review = True
            currency.reasons.append(f"a bare $ on a receipt from {country}: read as {code}")
        if bare_dollar:  # US, Canadian, Australian ...: nothing on the receipt says which dollar
            currency.force_review = True
            currency.reasons.append("a bare $ and no country on the receipt")
    else:
        currency = missing_field("currency", why)
    merchant = merchant_field(layout)
    address = merchant_address_field(layout, merchant, lambda ln: _read_twice(ln, agreed))
    fields = [merchant, address, _receipt_date(layout, day_first(layout.text, locale), agreed), total, tax, currency]
    return fields, [], {"language": lang, "country": country}

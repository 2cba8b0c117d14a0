"""Normalisers: raw text as read → one normal form, plus how well it parsed.

Pure functions, no I/O. Each returns a :class:`Parsed`; ``normalized`` is ``None`` when
the text does not hold a value, and ``ambiguous`` is set when it holds more than one
(a numeric date like ``03/04/2026`` without a locale): such a value is never guessed,
it goes to a reviewer.

>>> normalize_date("the 3rd day of March, 2026").normalized
'2026-03-03'
>>> normalize_date("03/04/2026").ambiguous
True
>>> normalize_amount("EUR 48.250,00").normalized, normalize_amount("EUR 48.250,00").currency
('48250.00', 'EUR')
>>> normalize_term("twelve (12) months").normalized
'12'
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = [
    "Parsed", "normalize_date", "normalize_amount", "normalize_currency", "normalize_email",
    "normalize_name", "normalize_term", "normalize_text", "words_to_number", "amount_in_words", "MONTHS", "CURRENCY_MARKS",
    "page_date_order",
]


@dataclass(frozen=True)
class Parsed:
    """Outcome of one normaliser. ``quality`` in [0, 1]: 1.0 = a clean, unambiguous parse."""

    normalized: str | None
    quality: float = 1.0
    reason: str | None = None
    ambiguous: bool = False
    currency: str | None = None  # amounts only: ISO 4217 code found beside the number
    confirmed: bool = False  # the text says it twice ("twelve (12) months") and both agree

    @property
    def ok(self) -> bool:
        return self.normalized is not None


_NONE = Parsed(None, 0.0, "no value")

MONTHS = {
    name: i for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
         ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
         ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
         ("december", "dec")], start=1)
    for name in names
} | {  # DE, FR, NL, ES, IT, PL (Polish dates use the genitive: "3 marca 2026")
    name: i for i, names in enumerate(
        [("januar", "jänner", "janvier", "januari", "enero", "gennaio", "stycznia", "styczeń", "ene", "gen", "janv"),
         ("februar", "février", "fevrier", "februari", "febrero", "febbraio", "lutego", "luty", "févr", "fevr"),
         ("märz", "maerz", "mars", "maart", "marzo", "marca", "marzec", "mrz", "mär", "mrt"),
         ("avril", "abril", "aprile", "kwietnia", "kwiecień", "avr", "abr"),
         ("mai", "mei", "mayo", "maggio", "maja", "maj", "mag"),
         ("juni", "juin", "junio", "giugno", "czerwca", "czerwiec", "giu"),
         ("juli", "juillet", "julio", "luglio", "lipca", "lipiec", "juil", "lug"),
         ("août", "aout", "augustus", "agosto", "sierpnia", "sierpień", "ago"),
         ("septembre", "septiembre", "setiembre", "settembre", "września", "wrzesień", "set"),
         ("oktober", "octobre", "octubre", "ottobre", "października", "październik", "okt", "ott"),
         ("novembre", "noviembre", "listopada", "listopad"),
         ("dezember", "décembre", "decembre", "diciembre", "dicembre", "grudnia", "grudzień", "dez", "déc", "dic")],
        start=1)
    for name in names
} | {  # CS ("5. ledna 2024", the genitive), FI ("5. maaliskuuta 2024"), SV/DA/NO spellings not above
    name: i for i, names in enumerate(
        [("ledna", "tammikuuta", "tammikuu"), ("února", "unora", "helmikuuta", "helmikuu"),
         ("března", "brezna", "maaliskuuta", "maaliskuu", "marts"), ("dubna", "huhtikuuta", "huhtikuu"),
         ("května", "kvetna", "toukokuuta", "toukokuu"), ("června", "cervna", "kesäkuuta", "kesäkuu"),
         ("července", "cervence", "heinäkuuta", "heinäkuu"), ("srpna", "elokuuta", "elokuu", "augusti"),
         ("září", "zari", "syyskuuta", "syyskuu"), ("října", "rijna", "lokakuuta", "lokakuu"),
         ("listopadu", "marraskuuta", "marraskuu"), ("prosince", "joulukuuta", "joulukuu", "desember")], start=1)
    for name in names
} | {  # PT ("12 de março de 2020"); "out" (outubro) is left out: it is an English word
    name: i for i, names in enumerate(
        [("janeiro",), ("fevereiro", "fev"), ("março",), (), ("maio",), ("junho",), ("julho",), (),
         ("setembro",), ("outubro",), (), ("dezembro",)], start=1)
    for name in names
}
# OCR drops the space between a number and a word ("25November 2026", "October8, 2026"),
# so spaces there are optional; letters must not touch the month ("sumMARy").
_MONTH_RE = r"(?<![A-Za-z])(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
_DAY_RE = r"(?<!\d)(?P<day>\d{1,2})(?:st|nd|rd|th|er|\.)?"
_YEAR_RE = r"(?P<year>\d{4})(?!\d)"
_DAY_YEAR_SEP = r"(?:\s*,\s*|\s+)"  # "May 2, 2017", "May 2 , 2017"

# Order matters: the most specific forms first.
_DATE_FORMS = [
    re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?!\d)"),  # ISO 8601
    # Year first is year-month-day in every convention ("2019/01/15", "2019.01.15" in CJK and HU forms).
    # Hungarian prints "2024.03.14." or "2024. 03. 14.": a space after each dot and one after the day.
    re.compile(r"(?<![\d.,/])(?P<year>(?:19|20)\d{2})(?P<sep>[/.])[ \u00a0]?(?P<month>\d{1,2})(?P=sep)[ \u00a0]?(?P<day>\d{1,2})"
               r"(?![\d,/]|\.\d)"),
    # "01-Jan-2019", "12/Mar/2024", "5-Mar-19": day, month name, year by hyphens or slashes; the
    # month's name makes a two-digit year safe to read (Tally and other ledgers print "12-Mar-24").
    re.compile(rf"{_DAY_RE}-{_MONTH_RE}-(?P<year>\d{{4}}|\d{{2}})(?!\d)", re.I),
    re.compile(rf"{_DAY_RE}/{_MONTH_RE}/(?P<year>\d{{4}}|\d{{2}})(?!\d)", re.I),
    re.compile(rf"(?:the\s+)?{_DAY_RE}\s*day\s*of\s+{_MONTH_RE},?\s*{_YEAR_RE}", re.I),
    re.compile(rf"{_MONTH_RE}\s*{_DAY_RE}{_DAY_YEAR_SEP}{_YEAR_RE}", re.I),
    re.compile(rf"{_DAY_RE}\s*(?:of\s+|de\s+)?{_MONTH_RE},?\s*(?:de\s+)?{_YEAR_RE}", re.I),
]
_NUMERIC_DATE = re.compile(r"(?<!\d)(?P<a>\d{1,2})(?P<sep>[/.\-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})(?!\d)")
# "10. 02. 2015": dotted with a space after each dot (Czech, Slovak, some German printers).
_SPACED_DOTS_DATE = re.compile(r"(?<!\d)(?P<a>\d{1,2})(?P<sep>\.)[ \u00a0](?P<b>\d{1,2})\.[ \u00a0]?(?P<year>\d{4})(?!\d)")
# "05.03.18", "5/2/19": a two-digit year, only where the caller allows it (invoice dates).
_SHORT_YEAR_DATE = re.compile(r"(?<![\d.,/])(?P<a>\d{1,2})(?P<sep>[/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{2})(?![\d%]|[./,]\d)")


def page_date_order(text: str) -> str | None:
    """"DMY" or "MDY" when the page's own numeric dates say which: one that can only be read
    day-first ("26/02/2019") and none that can only be read month-first, or the other way
    round. A page writes its dates one way, so "11/02/2019" beside "26/02/2019" is the 11th of
    February, whatever the address's country suggests. None: no such date, or both kinds."""
    orders = set()
    for m in _NUMERIC_DATE.finditer(text):
        if m["sep"] == ".":
            continue  # dotted dates are day-first anyway (dots_day_first)
        a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
        if _iso(year, b, a) and not _iso(year, a, b):
            orders.add("DMY")
        elif _iso(year, a, b) and not _iso(year, b, a):
            orders.add("MDY")
    return orders.pop() if len(orders) == 1 else None


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def normalize_date(text: str, *, locale: str | None = None, dots_day_first: bool = False,
                   short_years: bool = False) -> Parsed:
    """Any of the date forms contracts use → ``YYYY-MM-DD``.

    Numeric dates (``03/03/2026``, ``3.4.2026``) are read day-first or month-first only
    when one reading is impossible, both agree, or ``locale`` says which ("US" =
    month first, "EU"/"GB" = day first; "DMY"/"MDY" = :func:`page_date_order`); otherwise
    the result is ``ambiguous``.
    """
    text = normalize_text(text)
    for form in _DATE_FORMS:
        m = form.search(text)
        if m:
            month = m["month"]
            # re.I matches "ſept" (long s) and "K" (Kelvin sign) too: look up their plain forms.
            month_no = int(month) if month.isdigit() else MONTHS.get(unicodedata.normalize("NFKC", month).lower())
            if month_no is None:
                continue
            year = int(m["year"])
            if len(m["year"]) == 2:
                year += 2000 if year < 70 else 1900
            iso = _iso(year, month_no, int(m["day"]))
            if iso:
                return Parsed(iso, 1.0)
            return Parsed(None, 0.0, f"not a calendar date: {m[0]!r}")
    m = (_NUMERIC_DATE.search(text) or _SPACED_DOTS_DATE.search(text)
         or (_SHORT_YEAR_DATE.search(text) if short_years else None))
    if not m:
        return _NONE
    a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
    if len(m["year"]) == 2:
        year += 2000 if year < 70 else 1900
    mdy, dmy = _iso(year, a, b), _iso(year, b, a)
    if dots_day_first and m["sep"] == "." and dmy:
        # 03.04.2026 is German, Dutch, Polish...: month-first dates are not written with dots.
        return Parsed(dmy, 1.0)
    if mdy and dmy and mdy != dmy:
        if locale and locale.upper() == "US":
            return Parsed(mdy, 0.95, "numeric date read month-first (locale US)")
        if locale and locale.upper() in ("EU", "GB", "UK"):
            return Parsed(dmy, 0.95, "numeric date read day-first (locale)")
        if locale and locale.upper() in ("DMY", "MDY"):  # page_date_order
            first = "day" if locale.upper() == "DMY" else "month"
            return Parsed(dmy if first == "day" else mdy, 0.95,
                          f"numeric date read {first}-first, like the page's other dates")
        return Parsed(None, 0.5, f"ambiguous date {m[0]!r}: {mdy} or {dmy}", ambiguous=True)
    iso = mdy or dmy
    if iso is None:
        return Parsed(None, 0.0, f"not a calendar date: {m[0]!r}")
    return Parsed(iso, 1.0)


# More ISO 4217 codes, in capitals only; not those that are also capitalised words on an invoice
# ("PHP" the language, "PEN", "MAD", "ALL", "TOP", "CUP", "BOB", "CRC", "Hong Kong SAR").
_MORE_CODES = ("ISK|BGN|HRK|RSD|UAH|ILS|AED|QAR|KWD|BHD|OMR|EGP|TND|DZD|NGN|KES|GHS|THB|IDR|MYR|VND|KRW|TWD"
               "|CLP|ARS|COP|UYU|PYG|DOP|GTQ")
# ISO 4217 currencies with no minor unit in use (printed as whole amounts)
ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "PYG", "UGX", "HUF", "IDR", "TWD", "COP"})
_CURRENCY_TOKENS = {"$": "USD", "us$": "USD", "usd": "USD", "€": "EUR", "eur": "EUR",
                    "euro": "EUR", "euros": "EUR", "£": "GBP", "gbp": "GBP", "dollars": "USD",
                    "chf": "CHF", "pln": "PLN", "zł": "PLN", "zl": "PLN", "sek": "SEK", "dkk": "DKK",
                    "nok": "NOK", "czk": "CZK", "kč": "CZK", "lei": "RON",
                    # Other dollars carry their country's letters; "A$ 10" is not USD.
                    "a$": "AUD", "au$": "AUD", "aud": "AUD", "c$": "CAD", "ca$": "CAD", "cad": "CAD",
                    "nz$": "NZD", "nzd": "NZD", "hk$": "HKD", "hkd": "HKD", "s$": "SGD", "sgd": "SGD",
                    "r$": "BRL", "brl": "BRL", "mx$": "MXN", "mxn": "MXN",
                    "₹": "INR", "inr": "INR", "rs.": "INR", "rs": "INR", "rupee": "INR", "rupees": "INR", "jpy": "JPY", "cny": "CNY", "rmb": "CNY",
                    "¥": "JPY", "￥": "JPY", "₩": "KRW", "ft": "HUF", "huf": "HUF", "ron": "RON", "zar": "ZAR", "try": "TRY", "₺": "TRY", "₽": "RUB", "rub": "RUB",
                    **{code.lower(): code for code in _MORE_CODES.split("|")}}
# Codes may touch the digits ("GBP214,064.50" as OCR reads it): letters must not, digits may.
# "Rs" is the rupee only right before a number ("Rs. 499", "Rs 1,200").
CURRENCY_MARKS = (r"(?<![A-Za-z])(?:US|(?-i:AU|CA|NZ|HK|MX|[ACSR]))\$|(?<![A-Za-z])\$|€|£|₹|₺|₽|¥|￥|₩|"
                  # the forint's "Ft" right after its amount ("12 700 Ft"), capital F: "10 ft" is feet
                  r"(?<=\d)(?-i:Ft)(?![^\W\d_])|(?<=\d )(?-i:Ft)(?![^\W\d_])|(?<![A-Za-z])Rs\.?(?=\s?\d)"
                  r"|(?<![^\W\d_])(?:USD|EUR|GBP|CHF|PLN|SEK|DKK|NOK|CZK|zł|zl|Kč|lei|euros?|dollars|rupees?"
                  # codes that are words too ("try", "ron") count in capitals only; a letter of any
                  # script ends a code ("plnění" is no PLN)
                  rf"|(?-i:AUD|CAD|NZD|HKD|SGD|BRL|MXN|INR|JPY|CNY|RMB|HUF|RON|ZAR|TRY|RUB|{_MORE_CODES}))(?![^\W\d_])")
_CURRENCY_RE = re.compile(CURRENCY_MARKS, re.I)
# Digits with optional grouping by , . space, NBSP, thin space or apostrophe.
_NUMBER_RE = re.compile(r"\d[\d,.' \u00a0\u202f\u2009]*\d|\d")
_DECIMAL_GAP = re.compile(r"(?<=\d)(?: (?P<m1>[,.])|(?P<m2>[,.]) )(?=\d{2}$)")


def normalize_currency(text: str) -> Parsed:
    """``$``/``USD``/``€``/``EUR``/``£``/``GBP`` → ISO 4217 code."""
    codes = {_CURRENCY_TOKENS[m.lower()] for m in _CURRENCY_RE.findall(text or "")}
    if len(codes) == 1:
        return Parsed(codes.pop(), 1.0)
    if len(codes) > 1:
        return Parsed(None, 0.3, f"several currencies: {sorted(codes)}", ambiguous=True)
    return _NONE


def _split_number(raw: str) -> tuple[str, str, float, str | None] | None:
    """(integer digits, fraction digits, quality, reason) of one written number."""
    s = re.sub(r"[ \u00a0\u202f\u2009']", " ", raw.strip())
    seps = [(i, c) for i, c in enumerate(s) if c in ",. "]
    if not seps:
        return s, "", 1.0, None
    last_i, last_c = seps[-1]
    tail = s[last_i + 1:]
    groups_sep = {c for _, c in seps[:-1]}
    if last_c != " " and len(tail) in (1, 2) and last_c not in groups_sep:
        int_part, frac = s[:last_i], tail  # the last separator is the decimal mark
        group_chars = groups_sep
    elif len(tail) == 3 and last_c != " " and groups_sep in (set(), {last_c}) and len(seps) == 1 and last_c in ",.":
        # "48,250" or "48.250": one separator, three digits after it. Read as grouping
        # (amounts with three decimals do not occur in contracts), but say so.
        return s.replace(last_c, ""), "", 0.85, f"read {raw!r} as a whole amount"
    else:
        int_part, frac, group_chars = s, "", groups_sep | {last_c}
    if len(group_chars) > 1:
        return None
    groups = re.split(r"[,. ]", int_part)
    if len(groups) > 1 and re.fullmatch(r"\d{1,2}(?:,\d{2})+,\d{3}", int_part):
        return "".join(groups), frac, 1.0, None  # Indian lakh grouping: "1,23,456.00"
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        return None  # "4,82,50" is not a number any style writes
    return "".join(groups), frac, 1.0, None


def normalize_amount(text: str) -> Parsed:
    """``$48,250.00``, ``48.250,00 EUR``, ``€ 48 250,00`` → ``48250.00`` (+ ``currency``)."""
    text = normalize_text(text)
    currency = normalize_currency(text)
    candidates = [m for m in _NUMBER_RE.finditer(text) if any(ch.isdigit() for ch in m[0])]
    if not candidates:
        return _NONE
    mark = _CURRENCY_RE.search(text) if currency.ok else None
    if mark is not None:  # the number nearest to the currency mark is the amount
        candidates.sort(key=lambda m: min(abs(m.start() - mark.end()), abs(mark.start() - m.end())))
    raw = candidates[0][0].strip(" \u00a0\u202f\u2009")
    gap = _DECIMAL_GAP.search(raw) if currency.ok else None
    if gap:  # "1.234, 56 €": OCR put a space beside the decimal mark; read, but say so
        raw = raw[:gap.start()] + (gap["m1"] or gap["m2"]) + raw[gap.end():]
    split = _split_number(raw)
    if split is None:
        return Parsed(None, 0.0, f"unreadable number {raw!r}")
    whole, frac, quality, reason = split
    if not frac and currency.normalized in ZERO_DECIMAL:
        quality, reason = 1.0, None  # "¥110,000": the yen has no minor unit, a whole amount is its form
    try:
        value = Decimal(f"{whole}.{frac or '0'}").quantize(Decimal("0.01"))
    except InvalidOperation:
        return Parsed(None, 0.0, f"unreadable number {raw!r}")
    if len(frac) == 1:
        quality, reason = min(quality, 0.9), f"one decimal digit in {raw!r}"
    if gap:
        quality, reason = min(quality, 0.9), "a space beside the decimal mark closed up"
    return Parsed(f"{value:f}", quality, reason, currency=currency.normalized)


_EMAIL_RE = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
                       r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
_EMAIL_FIND = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+\s?@\s?[\w-]+(?:\s?\.\s?[\w-]+)+", re.ASCII)


def normalize_email(text: str) -> Parsed:
    """Finds one e-mail address, lower-cases and validates it (RFC 5321 dot-atom subset)."""
    m = _EMAIL_FIND.search(normalize_text(text))
    if not m:
        return _NONE
    raw = m[0]
    candidate = re.sub(r"\s", "", raw).lower().strip(".")
    if not _EMAIL_RE.match(candidate) or ".." in candidate:
        return Parsed(None, 0.0, f"not a valid e-mail address: {raw!r}")
    quality = 1.0 if raw == raw.strip() and " " not in raw else 0.8
    return Parsed(candidate, quality, None if quality == 1.0 else "spaces removed from e-mail")


def normalize_name(text: str) -> Parsed:
    """Names stay as written: trimmed, inner runs of spaces collapsed, trailing punctuation dropped."""
    name = re.sub(r"\s+", " ", normalize_text(text)).strip(" ,;:")
    if not name or not any(ch.isalpha() for ch in name):
        return _NONE
    return Parsed(name, 1.0)


_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
          "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
# lakh and crore: Indian English writes amounts in words with them ("One Lakh Twenty Thousand")
_SCALES = {"hundred": 100, "thousand": 1_000, "lakh": 100_000, "lakhs": 100_000, "million": 1_000_000,
           "crore": 10_000_000, "crores": 10_000_000}
_WORD_VALUES = {w: i for i, w in enumerate(_UNITS)} | _TENS


def words_to_number(text: str) -> int | None:
    """``"forty-eight thousand two hundred fifty"`` → 48250; None when a word is not a number."""
    words = [w for w in re.split(r"[\s-]+", text.lower().replace(",", " ")) if w and w != "and"]
    if not words:
        return None
    total = current = 0
    for word in words:
        if word in _WORD_VALUES:
            current += _WORD_VALUES[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current = 0
        else:
            return None
    return total + current


_NUMBER_WORD = r"\b(?:" + "|".join(sorted(list(_WORD_VALUES) + list(_SCALES), key=len, reverse=True)) + r")\b"
_MONEY_WORD = r"(?:Rupees?|Rs\.?|INR|(?:US\s+)?Dollars?|USD|Euros?|EUR|Pounds?(?:\s+Sterling)?|GBP)"
# "Rupees Four Hundred Thirteen Only", "USD One Thousand Two Hundred and 50/100 Only",
# "Two Hundred Dollars and Fifty Cents": a currency word or "Only" says it is money.
_IN_WORDS = re.compile(
    rf"(?<![^\W\d_])(?P<pre>{_MONEY_WORD}\s+)?(?P<w>{_NUMBER_WORD}(?:[\s,-]+(?:and\s+)?{_NUMBER_WORD})*)"
    rf"(?P<post>\s+{_MONEY_WORD})?(?:\s+and\s+(?:(?P<frac>\d{{1,2}})\s*/\s*100|(?P<cw>{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*)"
    r"\s+(?:Paise|Cents?)))?(?P<only>\s+Only)?(?![^\W\d_])", re.I)


def amount_in_words(text: str) -> Decimal | None:
    """The amount a line writes in words ("Rupees Four Hundred Thirteen Only" → 413), or None
    when the line holds no amount in words, or words without a currency word and "Only"."""
    for m in _IN_WORDS.finditer(text):
        if not ((m["pre"] or m["post"]) and (m["only"] or m["frac"] or m["cw"] or len(m["w"].split()) >= 2)):
            continue
        whole = words_to_number(m["w"])
        cents = int(m["frac"]) if m["frac"] else (words_to_number(m["cw"]) if m["cw"] else 0)
        if whole is None or cents is None or cents >= 100:
            continue
        return Decimal(whole) + Decimal(cents) / 100
    return None
_TERM_RE = re.compile(
    rf"(?P<words>{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*)?\s*(?:\(\s*(?P<paren>\d{{1,3}})\s*\)|(?P<digits>\d{{1,3}}))?"
    r"\s*(?P<unit>months?|years?|Monate[n]?|Jahre[n]?|mois|ans?|années?|maanden|jaar|meses|años|mesi|anni"
    r"|miesi[ęa]c[ey]?|miesięcy|lat[a]?)(?![^\W\d_])", re.I)


# Indian and some British drafting put the digits first: "2 (two) years", "24 (twenty-four) months".
_TERM_DIGITS_FIRST = re.compile(
    rf"(?<![\d.,])(?P<digits>\d{{1,3}})\s*\(\s*(?P<words>{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*)\s*\)\s*"
    r"(?P<unit>months?|years?)(?![^\W\d_])", re.I)


def normalize_term(text: str) -> Parsed:
    """``twelve (12) months``, ``24 months``, ``2 years``, ``one (1) year`` → months as a string."""
    first = _TERM_DIGITS_FIRST.search(normalize_text(text))
    if first:
        count, said = int(first["digits"]), words_to_number(first["words"])
        if said != count:
            return Parsed(None, 0.3, f"term words and digits disagree: {first[0]!r}", ambiguous=True)
        if count <= 0:
            return Parsed(None, 0.0, f"zero term: {first[0]!r}")
        return Parsed(str(count * (12 if first["unit"].lower().startswith("year") else 1)), 1.0, "term in words and digits agree",
                      confirmed=True)
    for m in _TERM_RE.finditer(normalize_text(text)):
        digits = m["paren"] or m["digits"]
        from_words = words_to_number(m["words"]) if m["words"] else None
        if digits is None and from_words is None:
            continue
        n = int(digits) if digits is not None else from_words
        if n is None:  # one of the two is set (checked above)
            continue
        factor = 12 if re.match(r"year|jahr|an|jaar|año|anni|lat", m["unit"].lower()) else 1
        if digits is not None and from_words is not None and from_words != int(digits):
            return Parsed(None, 0.3, f"term words and digits disagree: {m[0]!r}", ambiguous=True)
        both = digits is not None and from_words is not None
        quality = 1.0 if digits is not None else 0.95
        if n <= 0:
            return Parsed(None, 0.0, f"zero term: {m[0]!r}")
        return Parsed(str(n * factor), quality, "term in words and digits agree" if both else None, confirmed=both)
    return _NONE


_TRANSLATE = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'",
                            "\u201c": '"', "\u201d": '"', "\uff0c": ",", "\uff1a": ":", "\uff08": "(",
                            "\uff09": ")", "\uff0e": "."})


def normalize_text(text: str) -> str:
    """OCR engines trained on CJK return full-width punctuation and typographic dashes and quotes."""
    return (text or "").translate(_TRANSLATE)

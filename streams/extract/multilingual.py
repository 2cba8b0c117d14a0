"""rules-3: invoices and credit notes in English, German, French, Dutch,
Spanish, Italian and Polish.

Labels come from :mod:`streams.extract.lexicon` and pair with their value on the same
row (right of the label, same text box or the next) or in the cell below; never across
a line break in running text (that is how an address became an invoice number).
Amounts go through :mod:`streams.extract.amounts`. Day/month order of numeric dates
follows the document's language and VAT country; an English document from nowhere in
particular leaves 03/04/2026 to a reviewer.

Names (supplier, customer, merchant) have no checksum and no second reading, so they
are capped below ``accept``; the sender memory (memory.py) is how they become trusted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial

from streams.extract.address import customer_name, supplier_name, title_or_label
from streams.extract.amounts import (Amount, charge_amounts, choose_total, labelled_amounts, numbers_in, quantity_and_price,
                                     settled_amounts, tax_kind, unlabelled_sum, withheld_amounts)
from streams.extract.confidence import FieldValue, boost, field_from, missing_field, penalise
from streams.extract.finders import DATE, Candidate, find_all, find_all_below, find_below, find_pattern
from streams.extract.layout import Layout, Line, Span, union_box
from streams.extract.lexicon import (COUNTRY_CURRENCY, DAY_FIRST_LANGUAGES, DOLLAR_SIGN_COUNTRIES, IBAN, LABELS, VAT_ID, address_country, country_of,
                                     language_of, vat_ids)
from streams.extract.normalize import (CURRENCY_MARKS, Parsed, amount_in_words, normalize_amount, normalize_currency, normalize_date,
                                      normalize_name, page_date_order)
from streams.extract.tables import check_items_sum, table_items

__all__ = ["INVOICE_REQUIRED", "extract_invoice", "date_locale", "NAME_CAP"]

INVOICE_REQUIRED = ("invoice_number", "invoice_date", "total_amount", "currency")
NAME_CAP = 0.85  # below every accept threshold: names need a person or the sender memory

# An upper-case series and a space may lead (Polish "FV 7/2021", "INV 0042"; not the label's own
# "NR 4711"), or one capital may follow, ending its line ("FATTURA n. 211 C", an Italian sezionale;
# not I or O, which OCR also makes of a table's rule or a ring).
_INVOICE_NO = (r"(?:(?!(?i:nr|no|num|nummer|number|numer|nro)\b)(?-i:[A-Z]{1,4})[ \t](?=\d))?"
               r"[A-Z0-9][A-Z0-9\-/_.]{0,30}[A-Z0-9](?:[ \t](?-i:[A-HJ-NP-Z])(?=[ \t]*(?:\n|$)|[ \t]{2}))?")
# "Tax Invoice", "VAT Invoice", "Proforma Invoice", "Commercial Invoice": the same title
_TITLES = (r"(?:(?:Tax|VAT|GST|Pro-?\s?forma|Commercial)[ \t]+)?Invoice|Rechnung|Facture|Factuur|Factura|Fattura|Fatura"
           r"|Faktura(?:[ \t]+VAT)?|Credit[ \t]+(?:Note|Memo)|Gutschrift"
           r"|Avoir|Creditnota|Nota[ \t]+de[ \t]+cr[ée]dito|Nota[ \t]+di[ \t]+credito")
_SAME_ROW = "[ \t\u00a0]*(?:[:#.\\-][ \t\u00a0]*)?"
# "Invoice No: #INV-0042": a number sign between the label's colon and the value
_HASH = "(?:#[ \t\u00a0]*)?"


def date_locale(text: str, configured: str | None) -> tuple[str | None, str | None, str | None]:
    """(locale for numeric dates, language, country): the setting wins; then the page's own
    unambiguous dates and its language and country, which must not contradict each other
    ("26/02/2019" on a page with a US address: neither is sure, so ambiguous dates stay for review)."""
    lang, country = language_of(text), country_of(text)
    if configured:
        return configured, lang, country
    cue = _locale_cue(lang, country)
    order = page_date_order(text)
    if order is None:
        return cue, lang, country
    if cue is None or {"US": "MDY", "EU": "DMY"}[cue] == order:
        return order, lang, country
    return None, lang, country


def _locale_cue(lang: str | None, country: str | None) -> str | None:
    """"US" or "EU" from the page's language and country, None when they do not say."""
    if lang in DAY_FIRST_LANGUAGES:
        return "EU"
    # English is written month-first in the US and by many exporters elsewhere (a French
    # company's English invoice dated 11/03/2017 meant November): only GB/IE say day-first.
    if lang == "en":
        # US addresses write month first; GB, IE, India and Australia day first.
        if country == "US":
            return "US"
        return "EU" if country in ("GB", "IE", "IN", "AU") else None
    if country and country != "US":
        return "EU"
    return None


def _invoice_number(raw: str) -> Parsed:
    # "#INV03181", "# 23413561D": the number sign is the label's, not the number's
    raw = re.sub(r"^#[ \t\u00a0]*", "", raw.strip()).rstrip(".")
    if not re.search(r"\d", raw):
        return Parsed(None, 0.0, "no digits in invoice number")
    if re.fullmatch(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d+[.,]\d{2}", raw):
        return Parsed(None, 0.0, f"{raw!r} is a date or an amount, not an invoice number")
    if re.fullmatch(VAT_ID, raw) or (re.fullmatch(IBAN, raw) and _iban_ok(re.sub(r"\s", "", raw))):
        return Parsed(None, 0.0, f"{raw!r} is a VAT id or IBAN")
    return Parsed(raw, 1.0)  # as printed ("2024-03-10t172205"), like an e-invoice's XML; OCR: see _ocr_case


def _labelled(layout: Layout, label: str, value: str, parser, how: str = "label") -> Candidate | None:
    """Label then value on one row, or the value in the cell below a label standing alone."""
    return (find_pattern(layout, rf"(?:{label})(?![^\W\d_]){_SAME_ROW}(?:\s{{2}})?[ \t\u00a0]*{_HASH}(?P<v>{value})", parser, how, flags=re.I | re.M)
            or find_below(layout, label, parser, how + " (below)", max_rows=1))


def _labelled_all(layout: Layout, label: str, value: str, parser, how: str = "label") -> list[Candidate]:
    """Every reading of a label: on its row, then in the cell below (as :func:`_labelled`)."""
    return (find_all(layout, rf"(?:{label})(?![^\W\d_]){_SAME_ROW}(?:\s{{2}})?[ \t\u00a0]*{_HASH}(?P<v>{value})", parser, how,
                     flags=re.I | re.M)
            + find_all_below(layout, label, parser, how + " (below)", max_rows=1))


def _in_prose(layout: Layout, cand: Candidate, label: str) -> bool:
    """The value stands in a sentence ("Rechnung gemäß Bestellung Nr. 2018-471331 vom ...",
    "... Kundennummer 35040727 und Belegnummer 2018092011804 angeben"): before its label,
    or between a title word and its number word, its line has a word starting lower-case
    (nouns and labels start upper-case in German and in forms; function words do not)."""
    if len(cand.span.lines) != 1:
        return False
    line = cand.span.lines[0]
    text = line.text.replace("\u00a0", " ")
    at = text.find(cand.raw)
    before = text[:at] if at > 0 else ""
    if cand.how.endswith("(below)"):
        # the value under its label: the sentence, if any, is the label's line above
        above = [x for x in layout.lines if x.page == line.page and line.row - 2 <= x.row < line.row
                 and min(x.box["x1"], line.box["x1"]) > max(x.box["x0"], line.box["x0"])]
        if above:
            before = max(above, key=lambda x: x.row).text.replace("\u00a0", " ") + " "
    gap = re.match(rf".*(?:{_TITLES})\b([^\n]*?)(?<![^\W\d_])(?:Nr|No|N[°º]|Nummer|Number|#)", before, re.I)
    if gap and re.search(r"(?<![^\W\d_])[a-zß-ÿ][a-zß-ÿ]+\b", gap[1]):
        return True  # "Rechnung gemäß Bestellung Nr. 2018-471331 vom 01.03.2018"
    before = re.sub(rf"(?:{label})(?:{_SAME_ROW})?\s*$", "", before, flags=re.I)
    before = re.sub(r"(?:Nr|No|N[°º]|Nummer|Number|n[úu]mero)\.?[ \t]*[:#]?[ \t]*$", "", before, flags=re.I)
    return bool(re.search(r"(?<![^\W\d_])[a-zß-ÿ][a-zß-ÿ]+\b", before))


def _agree(f: FieldValue, readings: list[Candidate], what: str) -> FieldValue:
    """Two readings of one field in forms or title lines that differ: neither is accepted, a
    person chooses (the sender memory may too). The same value printed twice is no conflict;
    a value in a sentence counts only where no form or title gives one."""
    values = sorted({c.parsed.normalized for c in readings if c.parsed.normalized is not None})
    if f.normalized is not None and len(values) > 1:
        f.force_review = True
        f.reasons.append(f"{what} read differently where printed again: {', '.join(values[:4])}")
    return f


# A clock time to the second after the date: "Datum: 30.10.2024 Zeit: 04:59:13 Seite: 1", the
# stamp an ERP system prints on every page it prints (SAP and others), not the date of the invoice.
_CLOCK = re.compile(r"(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d:[0-5]\d(?!\d)")


def _print_stamp(layout: Layout, f: FieldValue, cand: Candidate | None, labelled: bool) -> FieldValue:
    """A date under the plain label 'Date' with a clock time to the second after it on its row is
    when the page was printed: shown for review, never accepted as the invoice date."""
    if labelled or cand is None or f.normalized is None or not cand.span.lines:
        return f
    at = next((ln for ln in cand.span.lines if cand.raw in ln.text), cand.span.lines[0])
    after = " ".join(ln.text for ln in layout.lines if ln.page == at.page and ln.row == at.row
                     and ln.box["x0"] >= at.box["x0"])
    if _CLOCK.search(after[after.find(cand.raw) + len(cand.raw):] if cand.raw in after else after):
        f.force_review = True
        f.reasons.append("a date with a clock time to the second beside it: a print stamp, not necessarily the invoice date")
    return f


def _ocr_case(f: FieldValue) -> FieldValue:
    """OCR cannot tell "INv-2026" from "INV-2026" (two models read the same wrong case): an OCR'd
    number is given in capitals; a text layer's as printed."""
    if f.source == "ocr" and f.normalized:
        f.normalized = f.normalized.upper()
    return f


def _ocr_read_twice(layout: Layout, f: FieldValue, cand: Candidate | None, readings: list[Candidate]) -> FieldValue:
    """An identifier read by OCR has no checksum: one recognition at any confidence may swap a
    character ("GT\\5153" read "GT15153" at 0.97). It is accepted only on a second reading: two
    OCR models gave the same characters (``Line.agreed``), or the same value is printed again."""
    if cand is None or f.normalized is None or f.source != "ocr" or f.checked:
        return f
    raw = cand.raw.strip()
    holders = [ln for ln in cand.span.lines if raw and raw in ln.text] or list(cand.span.lines)
    if holders and all(ln.agreed for ln in holders):
        return f
    where = {(c.span.page, round((c.box or {}).get("y0", 0))) for c in readings if c.parsed.normalized == f.normalized}
    if len(where) >= 2:
        return f
    f.force_review = True
    f.reasons.append("an identifier read once by OCR (no second model or second printing agrees)")
    return f


# A page that is another document stapled to the invoice: a bank ledger, a statement, terms.
_OTHER_DOCUMENT = re.compile(
    r"\b(?:Transaction\s+Date|Account\s+Statement|Statement\s+of\s+Account|Bank\s+Statement|Opening\s+Balance"
    r"|Closing\s+Balance|Terms\s+and\s+Conditions|General\s+Terms|Kontoauszug|Buchungstag|Anfangssaldo|Endsaldo"
    r"|Allgemeine\s+Gesch[äa]ftsbedingungen|Relev[ée]\s+de\s+compte|Conditions\s+g[ée]n[ée]rales|Rekeningafschrift"
    r"|Algemene\s+voorwaarden|Extracto\s+(?:de\s+cuenta|bancario)|Condiciones\s+generales|Estratto\s+conto"
    r"|Condizioni\s+generali|Wyci[ąa]g\s+bankowy|Og[óo]lne\s+warunki)\b", re.I)


def _later_page(layout: Layout, fields: dict[str, FieldValue], date_re: str) -> None:
    """The invoice's own fields are printed on its first page. A value read from a later page
    is not accepted when that page is another document (a ledger, a statement, terms), nor -
    for the number and the invoice date - when page 1 prints a value of that kind itself (a due
    date in the payment terms on the last page is normal)."""
    if not layout.lines:
        return
    first = layout.lines[0].page
    page_text: dict[int, str] = {}
    for ln in layout.lines:
        page_text[ln.page] = page_text.get(ln.page, "") + ln.text + "\n"
    for name, f in fields.items():
        if f.normalized is None or f.page is None or f.page == first or f.source not in ("text", "ocr"):
            continue
        if _OTHER_DOCUMENT.search(page_text.get(f.page, "")):
            f.force_review = True
            f.reasons.append(f"read on page {f.page}, which reads as another document (a ledger, statement or terms)")
        elif name == "invoice_date" and re.search(date_re, page_text.get(first, "")):
            f.force_review = True
            f.reasons.append(f"read on page {f.page} while page 1 prints a date of its own")
        elif name == "invoice_number" and re.search(rf"(?:{LABELS['invoice_number']})", page_text.get(first, ""), re.I):
            f.force_review = True
            f.reasons.append(f"read on page {f.page} while page 1 prints an invoice number label")


def _discount_deadline(layout: Layout, cand: Candidate) -> bool:
    """ "Zahlbar mit 2% Skonto bis 14.11.2018", "2 % d'escompte avant le ...": the last day of an
    early-payment discount, printed beside the due date ("Zahlbar ohne Abzug bis 20.11.2018"); it
    is not the due date, and not a second reading of it. The clause is the row's text before the
    date back to a comma or semicolon ("... netto bis 04.04.2020, 3% Skonto ... bis 15.03.2020")."""
    from streams.extract.terms import DISCOUNT

    if len(cand.span.lines) != 1:
        return False
    line = cand.span.lines[0]
    before = [x for x in layout.rows[line.row] if x.box["x1"] <= line.box["x0"] + 1 and x is not line]
    text = "  ".join([*(x.text for x in sorted(before, key=lambda x: x.box["x0"])), line.text])
    at = text.rfind(cand.raw)
    clause = re.split(r"[,;]", text[:at] if at > 0 else "")[-1]
    return bool(DISCOUNT.search(clause))


def _formal(layout: Layout, readings: list[tuple[Candidate, str]]) -> list[Candidate]:
    """Readings outside sentences first, those in sentences after; only the formal ones are
    compared when there are any (:func:`_agree`)."""
    formal = [c for c, label in readings if not _in_prose(layout, c, label)]
    prose = [c for c, label in readings if _in_prose(layout, c, label)]
    return formal or prose


def _take(name: str, cand: Candidate | None, reason: str = "not found") -> FieldValue:
    return field_from(name, cand) if cand else missing_field(name, reason)


def _cap(f: FieldValue, cap: float, why: str) -> None:
    if f.normalized is not None and f.confidence > cap:
        f.confidence = cap
        f.reasons.append(why)


def _amount_field(name: str, a: Amount | None) -> FieldValue:
    return field_from(name, a.cand) if a else missing_field(name)


# Countries that write their own dollar as a bare "$": there "$" is not the US dollar.
_OTHER_DOLLAR = re.compile(r"\b(?:Australia|ABN|A\.B\.N\.|Canada|GST/HST|HST|QST|New\s+Zealand|NZBN|Singapore|UEN"
                           r"|Hong\s+Kong|M[ée]xico|RFC|Brasil|Brazil|CNPJ|Taiwan)\b", re.I)
# Words and legal forms one Scandinavian country's invoices print and the others' do not
_CROWN_COUNTRY_WORDS = {
    "SE": re.compile(r"\b(?:att\s+betala|f[öo]rfallodag|fakturadatum|bankgiro|plusgiro|sverige)\b|(?<![^\W\d_])(?-i:AB)\b|\bmomsreg", re.I),
    "NO": re.compile(r"\b(?:[åa]\s+betale|forfallsdato|norge|mva)\b|(?<![^\W\d_])(?-i:AS)\b(?!/)", re.I),
    "DK": re.compile(r"\b(?:at\s+betale|forfaldsdato|danmark|i\s+alt)\b|(?<![^\W\d_])(?:ApS|A/S)(?![^\W\d_])", re.I),
}
_CROWNS = re.compile(r"(?<=\d)[ \u00a0]?kr\.?(?![^\W\d_])|(?<![^\W\d_])kr\.?[ \u00a0]?(?=\d)", re.I)
_US_DOLLAR = re.compile(r"USD|US\$|U\.S\.\s*dollars?", re.I)
# The ISO codes of currencies written with a bare "$"; one in the total's own row ("Amount due in
# AUD:  $521.79") says which dollar the sign is.
_SIGN_DOLLAR_CODES = re.compile(r"\b(AUD|CAD|NZD|SGD|HKD|MXN|CLP|ARS|COP|TWD|BRL)\b")
_DOT_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?![.,]?\d)")
_E_FOR_EURO = re.compile(r"\d[.,]\d{2}[ \t\u00a0]?e(?![^\W\d_])")
# Addresses that say which dollar: Canadian (province + "V8L 4Z8") and Australian (state + 4 digits)
# ones. A bare "$" with no country at all stays the US dollar: every such document in the labelled
# sets (4 real, the synthetic ones) billed in USD.
_OTHER_DOLLAR_ADDRESS = re.compile(r"\b(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)\s+[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"
                                   r"|\b(?:NSW|VIC|QLD|WA|SA|TAS|ACT|NT)\s+\d{4}\b")


def _currency(layout: Layout, total: Amount | None, country: str | None, lang: str | None) -> FieldValue:
    """The total's currency, a labelled one, or the only one printed; a bare "$" on a
    document from another dollar or peso country (ABN, GST/HST, Canada ...), on a page not
    in English, or with "1.225.700" thousands goes to review."""
    f = _currency_reading(layout, total, country)
    if f.normalized == "JPY" and not re.search(r"\bJPY\b|\bJapan\b|日本|円", layout.text):
        # "¥" is the yen's sign and the yuan's: only a page that says Japan makes it the yen
        if re.search(r"\b(?:CNY|RMB|China|PRC)\b|人民币|中国|元", layout.text):
            f.normalized = f.value = "CNY"
        f.force_review = True
        f.reasons.append(f"a bare '¥' (the yen's sign and the yuan's) on a page that does not say Japan: read as "
                         f"{f.normalized}, for a person to confirm")
    if f.normalized == "USD" and total is not None and total.cand.raw.lstrip().startswith("$"):
        row = total.cand.span.lines[0].row if total.cand.span.lines else -1
        named = {m[1] for ln in layout.rows[row] for m in _SIGN_DOLLAR_CODES.finditer(ln.text)} if row >= 0 else set()
        if len(named) == 1:
            f.normalized = f.value = named.pop()
            f.reasons.append(f"the total's row names its '$': {f.normalized}")
            return f
    if f.normalized == "USD" and not _US_DOLLAR.search(layout.text):
        other = _OTHER_DOLLAR.search(layout.text) or _OTHER_DOLLAR_ADDRESS.search(layout.text)
        if country in DOLLAR_SIGN_COUNTRIES:
            # the page's tax id says where it is from: its own "$" currency, for a person to confirm
            f.normalized, f.force_review = COUNTRY_CURRENCY[country], True
            f.reasons.append(f"a bare '$' on a document from {country}: read as {f.normalized}")
        elif other:
            f.force_review = True
            f.reasons.append(f"a bare '$' on a document that names {other[0]!r}: which dollar?")
        elif lang not in (None, "en"):
            f.force_review = True  # "Total: $1.225.700" on a Chilean factura is pesos
            f.reasons.append(f"a bare '$' on a page in {lang!r}: dollars or pesos?")
        elif total is not None and _DOT_THOUSANDS.search(total.cand.raw):
            f.force_review = True
            f.reasons.append(f"'{total.cand.raw}' is not how a US dollar amount is written: which '$'?")
    return f


def _currency_reading(layout: Layout, total: Amount | None, country: str | None) -> FieldValue:
    if total is not None and total.cand.parsed.currency:
        f = field_from("currency", total.cand)
        f.normalized, f.value = total.cand.parsed.currency, total.cand.parsed.currency
        return f
    labelled = _labelled(layout, LABELS["currency"], r"[A-Z]{3}\b|€|\$|£|zł|₹", normalize_currency)
    if labelled is not None:  # "Rechnungswährung: EUR", "Currency: GBP"
        return field_from("currency", labelled)
    codes = {code for m in re.finditer(CURRENCY_MARKS, layout.text, re.I)
             if (code := normalize_currency(m[0]).normalized) is not None}
    if len(codes) == 1:
        code = codes.pop()
        m = re.search(CURRENCY_MARKS, layout.text, re.I)
        assert m is not None  # the same pattern found the code above
        span = layout.span(*m.span())
        return FieldValue("currency", m[0], code, span.confidence, span.page, span.box,
                          ["the only currency printed on the document"], source=layout.sources.get(span.page or 0, "ocr"))
    if len(codes) > 1:
        return missing_field("currency", f"several currencies printed: {sorted(codes)}")
    kr = _CROWNS.search(layout.text)
    if kr and country not in ("SE", "NO", "DK"):
        # no company number: the words only one of the three languages uses, and its legal forms
        by_words = {c for c, rx in _CROWN_COUNTRY_WORDS.items() if rx.search(layout.text)}
        country = by_words.pop() if len(by_words) == 1 else country
    if kr and country in ("SE", "NO", "DK"):
        # "1 250,00 kr": Swedish, Norwegian and Danish crowns print alike; the company number or the
        # language says which
        span = layout.span(*kr.span())
        code = COUNTRY_CURRENCY[country]
        return FieldValue("currency", kr[0].strip(), code, span.confidence, span.page, span.box,
                          [f"'kr' on a document from {country}: read as {code}"], force_review=True,
                          source=layout.sources.get(span.page or 0, "ocr"))
    if (total is not None and _E_FOR_EURO.search(" ".join(ln.text for ln in total.cand.span.lines))
            and len(_E_FOR_EURO.findall(layout.text)) >= 2):
        # "Maksettava: 248,00 e" (Finnish shorthand), "2 900,00 e" (LaTeX eurosym's glyph in the text layer)
        f = field_from("currency", total.cand)
        f.value, f.normalized = "e", "EUR"
        f.reasons.append("amounts written with 'e' for euro")
        return f
    if country in COUNTRY_CURRENCY:
        f = FieldValue("currency", None, COUNTRY_CURRENCY[country], NAME_CAP,
                       reasons=[f"no currency printed; {COUNTRY_CURRENCY[country]} from the {country} VAT id, IBAN, tax id or address"])
        return f
    named = address_country(layout.text)
    if named in COUNTRY_CURRENCY:
        # Inferred, not read: a page that names one country may still bill in another
        # currency, so this stays for review (a reviewer or the sender memory confirms it).
        return FieldValue("currency", None, COUNTRY_CURRENCY[named], NAME_CAP, reasons=[
            f"no currency printed; {COUNTRY_CURRENCY[named]} inferred from the one country the addresses name ({named})"],
            force_review=True)
    return missing_field("currency", "no currency printed and no country to infer it from")


def _dates(layout: Layout, locale: str | None) -> tuple[partial, str]:
    # Invoices print two-digit years too ("Datum: 05.03.18", "Bill date 5/2/19").
    short = r"(?<![\d.,/])(?:\d{1,2}/\d{1,2}/|\d{1,2}\.\d{1,2}\.)\d{2}(?![\d%]|[./,]\d)"
    # "2019/01/15", "2019.01.15" (year first) and "01-Jan-2019" (normalize.py reads both).
    year_first = r"(?<![\d.,/])(?:19|20)\d{2}(?:/\d{1,2}/|\.\d{1,2}\.)\d{1,2}(?![\d.,/])"
    day_mon = r"(?<!\d)\d{1,2}-[^\W\d_]{3,9}\.?-\d{4}(?!\d)"
    return (partial(normalize_date, locale=locale, dots_day_first=True, short_years=True),
            rf"(?i:{DATE}|{year_first}|{day_mon}|{short})")  # month names in any case, whatever flags a caller uses


def _items(layout: Layout) -> tuple[list[dict], Decimal | None]:
    """Item rows: quantity × unit price = amount somewhere in the row, between a table
    header (description + quantity words in any language) and the first total row."""
    from streams.extract.invoice import _line_items

    english = _line_items(layout)  # "Description  Qty  Unit Price  Amount" tables, as rules-1/2 read them
    if english:
        records = [it["record"] for it in english]
        ok = all(it["consistent"] for it in english) and None not in [r["amount"] for r in records]
        return records, (sum((Decimal(r["amount"]) for r in records), Decimal(0)) if ok else None)
    header = re.compile(r"\b(?:Description|Beschreibung|Bezeichnung|Artikel|Leistung|D[ée]signation|Omschrijving|"
                        r"Descripci[óo]n|Concepto|Descrizione|Nazwa|Item|Product|Produkt|Produit|Artikel)\b", re.I)
    qty_word = re.compile(r"\b(?:Qty|Quantity|Menge|Anzahl|Quantit[ée]|Qt[ée]|Aantal|Cantidad|Cant\.?|Quantit[àa]|Q\.t[àa]|Ilo[śs][ćc]|Hours|Units)\b", re.I)
    stop = re.compile(rf"(?:{LABELS['subtotal']}|{LABELS['total_strong']}|{LABELS['total_due']}|{LABELS['total_plain']})", re.I)
    items: list[dict] = []
    in_table = False
    for row in layout.rows:
        text = layout.row_text(row)
        if header.search(text) and qty_word.search(text):
            in_table = True
            continue
        if not in_table:
            continue
        if stop.search(text):
            break
        values = numbers_in(text)
        if len(values) < 2:
            continue
        amount = values[-1]
        hit = quantity_and_price(values)
        conf = min(ln.confidence for ln in row)
        items.append({"description": re.split(r"\s{2,}|\s\d", text.strip())[0][:200] or text[:200],
                      "quantity": None if hit is None else f"{hit[0].normalize():f}",
                      "unit_price": None if hit is None else f"{hit[1]:.2f}", "amount": f"{amount:.2f}",
                      "confidence": round(conf if hit else conf * 0.7, 4), "page": row[0].page,
                      "box": {k: round(v, 1) for k, v in (union_box([ln.box for ln in row]) or {}).items()},
                      "_ok": hit is not None})
    if items and all(it["_ok"] for it in items):
        total = sum((Decimal(it["amount"]) for it in items), Decimal(0))
    else:
        total = None
    for it in items:
        it.pop("_ok")
    return items, total


def _largest(layout: Layout) -> Decimal | None:
    """The largest amount printed, leaving out rows that are not money owed (share capital)."""
    values = []
    not_total = re.compile(LABELS["not_total"], re.I)
    for line in layout.lines:
        if not_total.search(line.text):
            continue
        for m in re.finditer(r"(?<![\w/.,'’])\d{1,3}(?:[.,'’ ]\d{3})*[.,]\d{2}(?![\d%])", line.text):
            p = normalize_amount(m[0])
            if p.ok and p.normalized is not None:
                values.append(Decimal(p.normalized))
    return max(values, default=None)


def _within(box: dict, item: dict) -> bool:
    """A box on an item's row and inside its span of columns (the item's box is its tokens')."""
    y = min(box["y1"], item["y1"]) - max(box["y0"], item["y0"])
    return y >= 0.5 * (box["y1"] - box["y0"]) and min(box["x1"], item["x1"]) > max(box["x0"], item["x0"])


def _in_words(layout: Layout) -> Decimal | None:
    """The one amount the page writes in words (None for none, or two that differ)."""
    found = {v for ln in layout.lines if (v := amount_in_words(ln.text)) is not None}
    return found.pop() if len(found) == 1 else None


# A second printing of the amount to pay, in the words of paying it: a payment slip ("Amount
# enclosed"), a direct debit notice ("sera prélevé", "wird ... abgebucht"), a request to pay.
_PAYMENT = re.compile(
    r"Amount\s+(?:enclosed|remitted|to\s+(?:pay|remit))|Payment\s+amount|Please\s+(?:pay|remit)|Remit(?:tance)?\s+amount"
    r"|will\s+be\s+(?:debited|charged|collected|direct\s+debited)|Montant\s+(?:pr[ée]lev[ée]|[àa]\s+r[ée]gler|du\b|vers[ée])"
    r"|sera\s+pr[ée]lev[ée]|pr[ée]l[èe]vement|Betrag\s+von|abgebucht|eingezogen|Lastschrift|[ÜU]berweisungsbetrag"
    r"|Bitte\s+[üu]berweisen|wordt\s+(?:afgeschreven|ge[ïi]ncasseerd)|Bedrag\s+te\s+betalen|Importe\s+(?:a\s+pagar|domiciliado)"
    r"|se\s+cargar[áa]|Importo\s+da\s+(?:pagare|versare)|verr[àa]\s+addebitat|Kwota\s+do\s+zap[łl]aty", re.I)


def _paid_again(layout: Layout, total: Amount) -> str | None:
    """The total read from a text layer, printed again on another row that speaks of paying it
    (payment slip, debit notice, "please pay"): two labels of the page agree on which amount is
    owed. A text layer's characters are exact, so the second printing confirms the role; on OCR
    both printings can be misread alike, so this is no check there."""
    from streams.extract.amounts import amounts_in_row

    own = total.cand.span.lines[0] if total.cand.span.lines else None
    for row in layout.rows:
        if own is not None and own in row:
            continue
        text = layout.row_text(row)
        m = _PAYMENT.search(text)
        if m and any(v == abs(total.value) for v in amounts_in_row(layout, row)):
            return f"the same amount printed again where the page asks for payment ({m[0]!r})"
    return None


def _total_fields(layout: Layout, items_sum: Decimal | None, country: str | None, lang: str | None,
                  items: list[dict] | None = None) -> dict[str, FieldValue]:
    amounts = labelled_amounts(layout)
    if items_sum is not None:
        # A line item's own amount under a "Total" or "Subtotal" column head is no total: the
        # items' sum would then "confirm" the item it was read from. (Only column heads: a row's
        # own label, "Sub Total  150.00", stands even where an item row was misread around it.)
        amounts = [a for a in amounts if not (a.cand.how.startswith("label (below)") and a.cand.box is not None and any(
            _within(a.cand.box, it["box"]) for it in items or () if it["page"] == a.cand.span.page))]
    choice = choose_total(amounts, items_sum, _largest(layout), settled_amounts(layout), charge_amounts(layout),
                          withheld_amounts(layout))
    bare = unlabelled_sum(layout, choice)
    if bare is not None:  # the arithmetic holds, but a value with no label is a person's to confirm
        choice.total = bare
        choice.doubt = "printed without a label (only subtotal + tax equal it)"
    elif choice.total is None and choice.subtotal is not None and not choice.tax_rows:
        # "Total excl. tax: 12030 EUR" and no tax row, no other total: what is owed when no tax is
        # charged (a small business, a reverse charge), which a person confirms
        choice.total = choice.subtotal
        choice.doubt = "only a total before tax is printed and no tax row"
    words = _in_words(layout)
    if (choice.total is not None and not choice.checked and words == abs(choice.total.value)
            and (choice.doubt is None or choice.doubt.startswith(("only a plain", "only a column head")))):
        # "Rupees Four Hundred Thirteen Only": the total read a second time, in words
        choice.checked, choice.doubt = f"the amount in words ({words}) agrees", None
    if (choice.total is not None and not choice.checked and choice.total.cand.source == "text"
            and (choice.doubt is None or choice.doubt.startswith(("only a plain", "only a column head")))):
        again = _paid_again(layout, choice.total)
        if again:
            choice.checked, choice.doubt = again, None
    total = _amount_field("total_amount", choice.total)
    subtotal = _amount_field("subtotal_amount", choice.subtotal)
    # One tax row, or rows printing the same tax again; CGST 9% + SGST 9% are two taxes, even of one value.
    taxes = {tax_kind(a.label) for a in choice.tax_rows}
    one_value = (len({a.value for a in choice.tax_rows}) == 1 and len(taxes) <= 1
                 and choice.tax in (None, choice.tax_rows[0].value))
    tax = _amount_field("tax_amount", choice.tax_rows[0] if one_value else None)
    if choice.tax is not None and not one_value:
        tax = FieldValue("tax_amount", None, f"{choice.tax:.2f}", min(a.cand.source_confidence for a in choice.tax_rows),
                         choice.tax_rows[0].cand.span.page, choice.tax_rows[0].cand.box,
                         [f"sum of {len(choice.tax_rows)} tax rows"], source=choice.tax_rows[0].cand.source)
    currency = _currency(layout, choice.total, country, lang)
    if choice.checked:
        boost(total, choice.checked)
        if "subtotal" in choice.checked:
            boost(subtotal, choice.checked)
            boost(tax, choice.checked)
        else:  # the total confirmed another way (its items and tax, in words): the parts it did not use are not
            _cap(subtotal, NAME_CAP, "not confirmed by subtotal + tax = total")
            if re.search(r"\btax\b", choice.checked):
                boost(tax, choice.checked)
            else:
                _cap(tax, NAME_CAP, "not confirmed by the total's arithmetic")
        if currency.normalized and currency.value:
            boost(currency, "the amount it belongs to is confirmed")
    else:
        why = choice.doubt or ("no arithmetic confirms the total" if choice.total else None)
        if choice.doubt:
            penalise(total, choice.doubt, 0.8)
            total.force_review = total.contradicted = True
        elif choice.total is not None and choice.total.cand.source != "text":
            _cap(total, NAME_CAP, "read by OCR and no arithmetic confirms the total")
        elif why and choice.total is not None:
            total.reasons.append("the only strongly labelled total and the largest amount printed")
        # Subtotal and tax are only as sure as the arithmetic that ties them to the total.
        _cap(subtotal, NAME_CAP, "not confirmed by subtotal + tax = total")
        _cap(tax, NAME_CAP, "not confirmed by subtotal + tax = total")
    return {"total_amount": total, "subtotal_amount": subtotal, "tax_amount": tax, "currency": currency}


_SALUTATION = re.compile(r"^(?:Herrn?|Frau|Mr|Mrs|Ms|Miss|M|Mme|Mlle|Dhr|Mevr|Sr|Sra|Sig|Sig\.ra|Pan|Pani|Attn|z\.\s*H(?:d)?)\.?$", re.I)
_NOT_NAME_WORDS = re.compile(r"\b(?:number|nummer|nr|no|vat|tax|ust|tva|btw|iva|order|bestellung|iban|date|datum|tel|phone|"
                             r"fax|e-?mail|page|seite|address|adresse|invoice|rechnung|facture|factuur|factura|fattura|fatura|faktura)\b",
                             re.I)


def _not_plainly_a_name(raw: str, explicit_label: bool) -> str | None:
    """Why a party name read beside or under its label is not certain (None = it is)."""
    if not explicit_label:
        return "label without a colon (it may be running text)"
    if re.search(r"\d", raw):
        return "digits in a name (a customer number or an address line)"
    if _NOT_NAME_WORDS.search(raw) or re.search(LABELS["customer"] + "|" + LABELS["supplier"], raw, re.I):
        return "the words of a label, not a name"
    if _SALUTATION.match(raw.strip()) or len(re.findall(r"[^\W\d_]{2,}", raw)) < 1:
        return "a salutation or a fragment, not a whole name"
    return None


def _customer(layout: Layout) -> tuple[FieldValue, list[Line]]:
    """The customer's name from its labelled block or the envelope window (address.py)."""
    party, agree = customer_name(layout)
    if party is None:
        return missing_field("customer", "no labelled block and no address window with a name"), []
    src = party.line
    cand = Candidate(party.name, Span(party.name, (src,)), normalize_name(party.name), party.how, src.box,
                     layout.sources.get(src.page, "ocr"))
    customer = field_from("customer", cand)
    if agree and party.address and customer.source == "text":
        # Two layout readings name the same party and an address follows: accept-worthy.
        boost(customer, "two address blocks agree on the name")
    elif not party.explicit:
        _cap(customer, NAME_CAP, "a name read once: confirmed by a reviewer or the sender memory")
    else:
        doubt = _not_plainly_a_name(party.name, True)
        if doubt:
            _cap(customer, NAME_CAP, f"{doubt}: confirmed by a reviewer or the sender memory")
    return customer, list(party.block)


def _parties(layout: Layout) -> dict[str, FieldValue]:
    customer, block = _customer(layout)
    supplier = _supplier(layout)
    block_ids = {id(x) for x in block}
    vats = [(code, ln, raw) for ln in layout.lines for code, raw in vat_ids(ln.text)]
    mine = [v for v in vats if id(v[1]) not in block_ids
            and not re.search(r"\b(?:your|ihre|votre|uw|su|vostra|customer|kunde|client|klant|cliente|nabywc)", v[1].text, re.I)]
    theirs = [v for v in vats if v not in mine]
    # the customer's id printed again elsewhere (its delivery block, a header table) is still the customer's
    mine = [v for v in mine if v[0] not in {c for c, _, _ in theirs}]
    out = {"supplier": supplier, "customer": customer,
           "supplier_vat_id": _id_field(layout, "supplier_vat_id", mine, "VAT id outside the customer block"),
           "customer_vat_id": _id_field(layout, "customer_vat_id", theirs, "VAT id in the customer block")}
    ibans = []
    for ln in layout.lines:
        for m in re.finditer(IBAN, ln.text):
            if (raw := _iban_in(m[0])) is not None:
                ibans.append((re.sub(r"\s", "", raw), ln, raw))
    out["iban"] = _id_field(layout, "iban", ibans, "IBAN with a valid mod-97 check digit", checked=True)
    return out


def _id_field(layout: Layout, name: str, found: list, how: str, *, checked: bool = False) -> FieldValue:
    if not found:
        return missing_field(name)
    code, ln, raw = found[0]
    f = FieldValue(name, raw, code, ln.confidence, ln.page, ln.box, [how], source=layout.sources.get(ln.page, "ocr"))
    distinct = sorted({c for c, _, _ in found})
    if len(distinct) > 1:
        f.reasons.append(f"several printed: {', '.join(distinct)}")
        f.force_review = True
    elif checked:
        f.checked = True
    return f


def _iban_in(raw: str) -> str | None:
    """The IBAN in a match of the pattern: the match itself, or less its last group when that
    is the next word ("AT61 1904 3002 3457 3201 BIC": an Austrian IBAN has four groups)."""
    if _iban_ok(re.sub(r"\s", "", raw)):
        return raw
    head, _, word = raw.rpartition(" ")
    return head if word.isalpha() and _iban_ok(re.sub(r"\s", "", head)) else None


def _iban_ok(code: str) -> bool:
    if not 15 <= len(code) <= 34:
        return False
    moved = code[4:] + code[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def _run_on_checked(layout: Layout, f: FieldValue, cand: Candidate | None) -> FieldValue:
    """A PDF producer may cut "RE-20201121/508" into boxes "RE-20" and "201121/508": a value
    ending where its box ends, with the next box on the row right against it, may run on."""
    if cand is None or len(cand.span.lines) != 1:
        return f
    ln = cand.span.lines[0]
    after = ln.text[ln.text.find(cand.raw) + len(cand.raw):] if cand.raw in ln.text else ""
    if re.match(r" \d", after):
        # "Invoice No: 12 345": a number written in groups may go on past the space.
        f.force_review = True
        f.reasons.append(f"may go on after a space: {after[:12]!r}")
        return f
    if not ln.text.rstrip().endswith(cand.raw):
        return f
    row = layout.rows[ln.row]
    nxt = [x for x in row if x.box["x0"] >= ln.box["x1"] - 1]
    if nxt and nxt[0].box["x0"] - ln.box["x1"] < 0.6 * ln.height and re.match(r"[\w/\-.]", nxt[0].text):
        f.force_review = f.contradicted = True
        f.reasons.append(f"may run on into the next text box {nxt[0].text[:20]!r}")
    return f


def _supplier(layout: Layout) -> FieldValue:
    """The seller's labelled block or letterhead line (address.py); else the first line of
    letters at the top of page 1 that is not a title or a label."""
    party = supplier_name(layout)
    if party is not None:
        src = party.line
        f = field_from("supplier", Candidate(party.name, Span(party.name, (src,)), normalize_name(party.name),
                                             party.how, src.box, layout.sources.get(src.page, "ocr")))
        _cap(f, NAME_CAP, "a name: confirmed by a reviewer or the sender memory")
        return f
    skip = re.compile(rf"^\s*(?:invoice|rechnung|facture|factuur|factura|fattura|faktura|credit\s*note|gutschrift|avoir|"
                      rf"receipt|page|seite|{LABELS['customer']}|{LABELS['invoice_date_plain']}|{LABELS['due_date']})\b"
                      # a copy mark stamped on the page: "ORIGINAL", "COPY", "Duplikat", "Duplicata", "Copia"
                      r"|^\s*(?:original|copy|duplicate|triplicate|kopie|duplikat|zweitschrift|copie|duplicata|origineel"
                      r"|copia|duplicado|originale|kopia|orygina[łl])(?:\s+(?:for|f[üu]r|pour)\b.*)?\s*$", re.I)
    for ln in layout.lines[:8]:
        if ln.page != layout.lines[0].page:
            break
        # a title with its kind ("TAX INVOICE"), a field's label ("PO Number:") or a date standing
        # alone is no name
        if skip.match(ln.text) or not re.search(r"[^\W\d_]{3}", ln.text) or title_or_label(ln.text) \
                or ln.text.rstrip().endswith(":") \
                or re.fullmatch(DATE, ln.text.strip(" .,"), re.I):
            continue
        # "FROM: Company ABC": the seller's label, then its name
        name = re.sub(rf"^\s*(?:{LABELS['supplier']})\s*:\s*", "", ln.text, flags=re.I).strip()
        f = field_from("supplier", Candidate(name, Span(ln.text, (ln,)), normalize_name(name),
                                             "first line at the top of the page", ln.box,
                                             layout.sources.get(ln.page, "ocr")))
        _cap(f, NAME_CAP, "a name: confirmed by a reviewer or the sender memory")
        return f
    return missing_field("supplier")


# A label is a word of its own: "Ursprungsbeleg-Nr" (the corrected invoice) is not
# "Beleg-Nr", "Ihre Nr." is not "Re-Nr.".
_WORD_START = r"(?<![^\W\d_])"


def _number(layout: Layout, credit: bool) -> tuple[Candidate | None, list[Candidate]]:
    """The document's own number and the readings to compare it with. Labels first (a credit
    note's own number label before the invoice number it corrects), then the title line
    ("Rechnung Nr. 42", "Gutschrift (...) Nr. 9"); a value in a sentence only when nothing
    else gives one."""
    readings: list[tuple[Candidate, str]] = []
    for key in (("credit_number", "invoice_number") if credit else ("invoice_number",)):
        label = _WORD_START + f"(?:{LABELS[key]})"
        readings = [(c, label) for c in _labelled_all(layout, label, _INVOICE_NO, _invoice_number)]
        if readings:
            break
    readings += [(c, _TITLES) for c in find_all(
        layout, rf"^[ \t\u00a0]*(?:{_TITLES})[ \t\u00a0]*[:#]?[ \t\u00a0]+(?P<v>{_INVOICE_NO})(?![^\n]*\d{{1,2}}[./]\d)",
        _invoice_number, "the number after the title", flags=re.I | re.M)]
    # "Contoso Headquarters  INVOICE: INV-100": the title and its number in a box of their own
    # beside another column (a colon or number sign says it is a label, not a sentence)
    readings += [(c, _TITLES) for c in find_all(
        layout, rf"(?<=\S[ \t\u00a0]{{2}})(?:{_TITLES})[ \t\u00a0]*[:#][ \t\u00a0]*(?P<v>{_INVOICE_NO})(?=[ \t\u00a0]{{2}}|[ \t\u00a0]*$)",
        _invoice_number, "the number after the title", flags=re.I | re.M)]
    readings += _hash_under_title(layout)
    # "Gutschrift (Selbst ausgestellte Rechnung) Nr. 471102", "Handelsrechnung Nr. 9": a title
    # word, a few words, then a number word on the title's own line.
    readings += [(c, rf"[^\W\d_]*(?:{_TITLES})") for c in find_all(
        layout, rf"^[ \t\u00a0]*[^\W\d_]*(?:{_TITLES})\b(?:[ \t\u00a0]*:)?[^\n:]{{0,40}}?(?:(?<![^\W\d_])(?:Nr|No|N[°º]|Nummer|Number|n[úu]mero)|#)"
                rf"\.?[ \t\u00a0]*[:#]?[ \t\u00a0]*(?P<v>{_INVOICE_NO})", _invoice_number, "the number on the title line",
        flags=re.I | re.M)]
    ranked = _formal(layout, readings)
    return (ranked[0] if ranked else None), ranked


# "FACTURA ELECTRONICA" (a Latin American DTE), "Fattura elettronica": the title with its qualifier
# "FACTURA RECTIFICATIVA" (a Spanish corrective invoice), "FACTURA SIMPLIFICADA": the same
_TITLE_ALONE = re.compile(rf"^\s*(?:Tax[ \t]+|Commercial[ \t]+|Proforma[ \t]+|Steuer)?(?:{_TITLES})"
                          r"(?:[ \t]+(?:electr[óo]nica|elettronica|[ée]lectronique|electronic|rectificativa|simplificada"
                          r"|corretiva|correctiva))?\s*$", re.I)
_HASH_NO = re.compile(rf"^\s*#[ \t\u00a0]*(?P<v>{_INVOICE_NO})\s*$", re.I)


# "NUMBER:" alone in a stack of labels (NUMBER: / DATE: / ACCOUNT NO:) beside the title, or
# "Reference:" under it: the plain word, no word before it in its box, its colon, the value beside it.
# The short forms "No. 4711", "Nr: 4711", "N° 4711" the same way, their colon optional.
_PLAIN_NUMBER = re.compile(rf"^[ \t\u00a0]*(?:(?:Number|Nummer|Num[ée]ro|N[úu]mero|Numer|Reference|R[ée]f[ée]rence|Referenz|Referencia"
                           rf"|Riferimento)[ \t\u00a0]*:|(?:No\.|Nr\.|N[°º]\.?)[ \t\u00a0]*:?|(?:No|Nr)[ \t\u00a0]*:|(?:No|Nr)(?=[ \t\u00a0]+\d))"
                           rf"[ \t\u00a0]*#?(?P<v>{_INVOICE_NO})?[ \t\u00a0]*$", re.I)
_VALUE_ALONE = re.compile(rf"^[ \t\u00a0]*(?P<v>{_INVOICE_NO})[ \t\u00a0]*$", re.I)
# "INVOICE #1": a first invoice's one digit, too short for a labelled reading (a stray digit is no number)
_TITLE_DIGIT = re.compile(rf"^[ \t\u00a0]*(?:{_TITLES})[ \t\u00a0]*#[ \t\u00a0]*(?P<v>[1-9])[ \t\u00a0]*$", re.I)


def _unlabelled_number(layout: Layout) -> FieldValue:
    """No labelled number: a value printed without the label's full words, always for review
    (no label says it is the invoice's number): the box right under a title standing alone
    ("Tax Invoice" over "MSFT0011223344") or the value of a plain "Number:" on a page
    that carries an invoice title, or the one digit after a title's number sign."""
    picks: list[tuple[Candidate, str]] = [
        (Candidate(m["v"], Span(x.text, (x,)), _invoice_number(m["v"]), "the one digit after the title's '#'", x.box,
                   layout.sources.get(x.page, "ocr")), "title") for x in layout.lines if (m := _TITLE_DIGIT.match(x.text))]
    if not picks and not any(_TITLE_ALONE.match(x.text) for x in layout.lines):
        return missing_field("invoice_number")
    for ln in layout.lines:
        m = _PLAIN_NUMBER.match(ln.text)
        if m is None:
            continue
        vals = [(m, ln)] if m["v"] else [
            (v, x) for x in layout.lines if x.page == ln.page and x.row == ln.row and x.box["x0"] > ln.box["x1"]
            and (v := _VALUE_ALONE.match(x.text))][:1]
        picks += [(Candidate(v["v"], Span(x.text, (x,)), _invoice_number(v["v"]), "plain label 'Number'", x.box,
                             layout.sources.get(x.page, "ocr")), "plain") for v, x in vals]
    for title in (x for x in layout.lines if _TITLE_ALONE.match(x.text)):
        # the first box below it in its column (a row of the address beside may come between)
        under = sorted((x for x in layout.lines if x.page == title.page and title.row < x.row <= title.row + 2
                        and min(x.box["x1"], title.box["x1"]) > max(x.box["x0"], title.box["x0"])), key=lambda x: x.row)
        for x in (x for x in under if x.row == under[0].row):
            v = _VALUE_ALONE.match(x.text)
            if v and len(re.findall(r"\d", v["v"])) >= 3:
                picks.append((Candidate(v["v"], Span(x.text, (x,)), _invoice_number(v["v"]), "the value under the title",
                                        x.box, layout.sources.get(x.page, "ocr")), "title"))
    values = {c.parsed.normalized for c, _ in picks if c.parsed.normalized is not None}
    if len(values) != 1:
        return missing_field("invoice_number", "not found" if not values else f"unlabelled numbers disagree: {sorted(values)}")
    f = field_from("invoice_number", next(c for c, _ in picks if c.parsed.ok))
    _cap(f, NAME_CAP, "no label names it the invoice number: confirmed by a reviewer or the sender memory")
    f.force_review = True
    return f


def _hash_under_title(layout: Layout) -> list[tuple[Candidate, str]]:
    """"TAX INVOICE" with "# INV-000001" in the box right under it (or beside it on its row):
    the number sign stands for the title's number word."""
    out = []
    for ln in layout.lines:
        m = _HASH_NO.match(ln.text)
        if not m:
            continue
        near = [x for x in layout.lines if x.page == ln.page and x is not ln and _TITLE_ALONE.match(x.text)
                and ((ln.row - 2 <= x.row < ln.row and min(x.box["x1"], ln.box["x1"]) > max(x.box["x0"], ln.box["x0"]))
                     or (x.row == ln.row and 0 <= ln.box["x0"] - x.box["x1"] < 3 * ln.height))]
        if not near:
            continue
        parsed = _invoice_number(m["v"])
        if parsed.ok:
            out.append((Candidate(m["v"], Span(ln.text, (ln,)), parsed, "'#' under the title", ln.box,
                                  layout.sources.get(ln.page, "ocr")), _TITLES))
    return out


def _labelled_on_its_row(layout: Layout, x: Line) -> bool:
    """The box left of ``x`` on its row is a label ("Due date:  20/08/2022" in two boxes, a form's
    column of labels) or stands right beside it."""
    left = [y for y in layout.lines if y.page == x.page and y.row == x.row and y.box["x1"] <= x.box["x0"]]
    if not left:
        return False
    y = max(left, key=lambda y: y.box["x1"])
    return y.text.rstrip().endswith(":") or x.box["x0"] - y.box["x1"] < 4 * (x.box["y1"] - x.box["y0"])


# (words apart by a space or a hyphen: an optional separator split one long word every way, n⁴)
_DATELINE_PLACE = r"(?P<place>[^\W\d_]+(?:(?:[ \t]+|[ \t]*-[ \t]*)[^\W\d_]+){0,3})"


def _dateline(layout: Layout, date: Callable[[str], Parsed], date_re: str) -> Candidate | None:
    """A letter's dateline among page 1's first lines, "Saint- Vincent 30/06/2015" or "Berlin, den
    5. März 2024", whose place is the town of an address printed on the page (so "Lieferdatum
    30/06/2015" is no dateline: a label is no town)."""
    def squash(text: str) -> str:
        return re.sub(r"[\W_]+", "", text).casefold()

    addresses = [(x, squash(x.text)) for x in layout.lines if re.search(r"\d{4,5}", x.text)]
    for ln in layout.lines[:15]:
        m = re.fullmatch(rf"[ \t]*{_DATELINE_PLACE},?[ \t]+(?:(?:den|le|il|l[iì]|el|am)[ \t]+)?(?P<v>{date_re})[ \t]*",
                         ln.text)
        place = squash(m["place"]) if m else ""
        if m and len(place) >= 3 and any(place in text for x, text in addresses if x is not ln):
            parsed = date(m["v"])
            if parsed.ok or parsed.ambiguous:
                return Candidate(m["v"], Span(ln.text, (ln,)), parsed, "the dateline in the letter's head", ln.box,
                                 layout.sources.get(ln.page, "ocr"))
    return None


# A line that says its date is another one: delivery, order, service period, due, validity, a print stamp.
_OTHER_DATE = re.compile(
    rf"(?:{LABELS['due_date']})|deliver|liefer|livraison|lever|entrega|consegna|dostaw|order|bestell|commande|pedido"
    r"|ordine|zam[óo]wien|period|zeitraum|p[ée]riode|periodo|okres|(?<![^\W\d_])(?:from|to|von|bis|du|au|van|tot|desde|hasta|dal|al|od|do)(?![^\W\d_])"
    r"|valid|g[üu]ltig|expir|birth|geburt|print|druck|\d{1,2}:\d{2}", re.I)


def _only_date(layout: Layout, date: Callable[[str], Parsed], date_re: str) -> Candidate | None:
    """The one day the page prints (however often), on lines that name no other kind of date."""
    found = find_all(layout, rf"(?<![\w/.,-])(?P<v>{date_re})(?![\w/-])", date, "the only date printed")
    if not found or len({c.parsed.normalized or c.raw for c in found}) != 1:
        return None

    def context(ln: Line) -> str:  # its row, and the label over it ("Due date:" / "20/08/2022")
        above = [x.text for x in layout.lines if x.page == ln.page and x.row == ln.row - 1
                 and min(x.box["x1"], ln.box["x1"]) > max(x.box["x0"], ln.box["x0"])]
        return " ".join([layout.row_text(layout.rows[ln.row]), *above])

    lines = {id(ln): ln for c in found for ln in c.span.lines}  # each line once: a page of dates repeats them
    if any(_OTHER_DATE.search(context(ln)) for ln in lines.values()):
        return None
    return found[0]


def _unlabelled_date(layout: Layout, number: FieldValue, date: Callable[[str], Parsed], date_re: str) -> FieldValue:
    """No date label anywhere: the date printed right after the invoice number on its line
    ("INVOICE NO. 98765432  1/1/2000"), alone in the box right under it ("FACTURE /
    2026F02-001 / 02/03/2026"), a letter's dateline, or the only date the page prints is the
    invoice's. No label names it: for review."""
    cand = None
    if number.value is not None:
        cand = find_pattern(layout, rf"(?<![^\W\d_]){re.escape(number.value)}[ \t]+(?P<v>{date_re})(?!\S)", date,
                            "the date beside the invoice number")
    if cand is None and number.box is not None:
        box = number.box
        own = next((x for x in layout.lines if x.page == number.page and x.box["y0"] <= (box["y0"] + box["y1"]) / 2 <= x.box["y1"]
                    and min(x.box["x1"], box["x1"]) > max(x.box["x0"], box["x0"])), None)
        under = [] if own is None else [
            x for x in layout.lines if x.page == own.page and x.row == own.row + 1
            and min(x.box["x1"], own.box["x1"]) > max(x.box["x0"], own.box["x0"]) and re.fullmatch(date_re, x.text.strip())
            and not _labelled_on_its_row(layout, x)]
        if len(under) == 1 and (parsed := date(under[0].text.strip())) and (parsed.ok or parsed.ambiguous):
            x = under[0]
            cand = Candidate(x.text.strip(), Span(x.text, (x,)), parsed, "the date under the invoice number", x.box,
                             layout.sources.get(x.page, "ocr"))
    if cand is None:
        cand = _dateline(layout, date, date_re) or _only_date(layout, date, date_re)
    f = _take("invoice_date", cand)
    _cap(f, NAME_CAP, "no label names it the invoice date")
    return f


def extract_invoice(layout: Layout, *, locale: str | None = None, credit: bool = False
                    ) -> tuple[list[FieldValue], list[dict], dict]:
    """Invoice or credit note fields, line items, and what was learnt (language, country)."""
    loc, lang, country = date_locale(layout.text, locale)
    date, date_re = _dates(layout, loc)
    number, numbers = _number(layout, credit)
    inv_dates = _formal(layout, [(c, LABELS["invoice_date"]) for c in _labelled_all(layout, LABELS["invoice_date"], date_re, date)])
    inv_date = (inv_dates[0] if inv_dates else None
                or find_pattern(layout, rf"(?:^|(?<=\s\s)|(?<=[|·•]\s))(?:{LABELS['invoice_date_plain']})(?![^\W\d_]){_SAME_ROW}(?:\s{{2}})?[ \t]*(?P<v>{date_re})",
                                date, "label 'Date'", flags=re.I | re.M)
                or find_below(layout, LABELS["invoice_date_plain"], date, "label 'Date' (below)", max_rows=1))
    dues = _formal(layout, [(c, LABELS["due_date"]) for c in _labelled_all(layout, LABELS["due_date"], date_re, date)
                            if not _discount_deadline(layout, c)])
    due = dues[0] if dues else None
    items, items_sum = table_items(layout) or _items(layout)  # tables.py: by columns; else line by line
    number_f = _ocr_case(_ocr_read_twice(layout, _agree(_run_on_checked(layout, _take("invoice_number", number), number),
                                                        numbers, "the document's number"),
                                         number, numbers) if number else _unlabelled_number(layout))
    fields = {"invoice_number": number_f,
              "invoice_date": _print_stamp(layout, _agree(_take("invoice_date", inv_date), inv_dates, "the invoice date"),
                                           inv_date, bool(inv_dates)) if inv_date else _unlabelled_date(layout, number_f, date, date_re),
              "due_date": _agree(_take("due_date", due), dues, "the due date")}
    fields |= _total_fields(layout, items_sum, country, lang, items)
    check_items_sum(items, items_sum, fields)
    # A corrective invoice ("Rechnungskorrektur", "factura rectificativa", EN 16931 type 384)
    # keeps its printed sign; only a credit note proper states its amounts positive.
    head = "\n".join(ln.text for ln in layout.lines[:15])
    if credit and not re.search(r"korrektur|rectificativ|koryguj|correct(?:ive|ed|ion)", head, re.I):
        for name in ("total_amount", "subtotal_amount", "tax_amount"):
            f = fields[name]
            if f.normalized and f.normalized.startswith("-"):
                # EN 16931 states a credit note's amounts positive: the type carries the sign.
                f.normalized = f.normalized[1:]
                f.reasons.append("a credit note's amount, stated positive")
    fields |= _parties(layout)
    _later_page(layout, fields, date_re)
    inv, due_f = fields["invoice_date"], fields["due_date"]
    if inv.normalized and due_f.normalized and due_f.normalized < inv.normalized:
        penalise(due_f, f"due date {due_f.normalized} is before the invoice date {inv.normalized}", 0.7)
        due_f.force_review = due_f.contradicted = True
    return list(fields.values()), items, {"language": lang, "country": country}

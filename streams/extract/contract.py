"""Contract fields: effective_date, term_months, total_amount, currency, counterparty,
signer_name, signer_email.

Two ways contracts state them: prose ("entered into as of March 3, 2026 ... by and
between ... and Acme Corporation ("Client")") and cover sheets or forms
("Effective Date: 2026-03-03"). Each field tries its rules in order; the first value
that parses wins, and the rule's name goes into the field's reason.
"""

from __future__ import annotations

import re
from functools import partial

from streams.extract.confidence import FieldValue, boost, field_from, missing_field, penalise
from streams.extract.contract_checks import (
    check_counterparty, check_effective, check_fee, check_term, effective_readings, stated_end, term_readings, whole_months,
)
from streams.extract.contract_parties import (
    declared_individual, effective_phrase, fee_in_words_and_digits, looks_like_person, looks_like_prose, opening_parties, preamble_counterparty, signature_block_signer,
    term_phrase,
)
from streams.extract.finders import AMOUNT, DATE, EMAIL, NAME, TERM, Candidate, find_labelled, find_pattern
from streams.extract.layout import Layout, Line, Span
from streams.extract.normalize import (
    normalize_amount, normalize_currency, normalize_date, normalize_email, normalize_name,
    normalize_term, words_to_number,
)
from streams.extract.versions import RuleSet

__all__ = ["REQUIRED", "extract_contract", "domain_matches"]

REQUIRED = ("effective_date", "term_months", "total_amount", "currency", "counterparty",
            "signer_name", "signer_email")

_CUR = r"(?:US\$|A\$|C\$|NZ\$|S\$|\$|€|£|₹|USD|EUR|GBP|AUD|CAD|NZD|SGD|INR|CHF|Rs\.?)"
# In prose a bare "30" is days or a clause number: an amount needs a currency or cents.
_STRICT_AMOUNT = (rf"(?:{_CUR}\s?\d[\d,.\u00a0\u202f '’]*\d|\d[\d,.\u00a0\u202f '’]*[.,]\d{{2}}(?:\s?{_CUR})?"
                  rf"|\d[\d,.\u00a0 ]*\d\s?{_CUR})")
_TERM_ML = (r"(?:[A-Za-z][A-Za-z\- ]{0,30}?\s*\(\s*\d{1,3}\s*\)\s*|\d{1,3}\s*|[A-Za-z\-]{3,20}\s+)"
            r"(?:months?|years?|Monate[n]?|Jahre[n]?|mois|ans?|années?|maanden|jaar|meses|años|mesi|anni|miesi[ęa]c[ey]?|miesięcy|lat[a]?)")
_TO_EOL = r"[^\n]+?(?=\s{2,}|\n|$)"
_PARTY_WORDS = r"(?:Client|Customer|Counterparty|Buyer|Purchaser|Licensee)"
_SIG_HEADING = re.compile(r"^\s*(?:CLIENT|CUSTOMER|COUNTERPARTY|BUYER|LICENSEE)\b")
_LEGAL_SUFFIXES = {"inc", "incorporated", "corp", "corporation", "ltd", "limited", "llc", "llp", "gmbh",
                   "ag", "sa", "sas", "bv", "nv", "plc", "co", "company", "the", "group", "holdings", "and"}


def extract_contract(layout: Layout, rules: RuleSet, *, locale: str | None = None) -> list[FieldValue]:
    fields = {
        "effective_date": _effective_date(layout, partial(normalize_date, locale=locale), rules),
        "term_months": _term(layout),
    }
    if rules.multilingual:
        if fields["term_months"].normalized is None:
            fields["term_months"] = _term_phrased(layout, fields["effective_date"], locale)
        if fields["term_months"].normalized is None:
            fields["term_months"] = _take("term_months", term_phrase(layout))
        if fields["effective_date"].normalized is None:
            fields["effective_date"] = _take("effective_date", find_pattern(
                layout, rf"(?:{_EFFECTIVE_ML})\s*[:\-]?\s*(?P<v>{DATE})", partial(normalize_date, locale=locale,
                                                                                 dots_day_first=True), "label"))
        # Every statement of the start and the term is read; disagreeing ones send the field to review.
        fields["effective_date"] = check_effective(fields["effective_date"], effective_readings(layout.text, locale),
                                                   layout.text, locale)
        set_aside: list = []
        readings = term_readings(layout.text, fields["effective_date"].normalized, set_aside)
        fields["term_months"] = check_term(fields["term_months"], readings, set_aside)
        end = stated_end(layout.text) if fields["effective_date"].normalized is None else None
        if end and fields["term_months"].normalized and not fields["term_months"].force_review:
            fields["term_months"].force_review = True
            fields["term_months"].reasons.append(f"the contract also states an end date ({end!r}) that cannot be "
                                                 "checked against it without the effective date")
    amount = _amount(layout) or (_fees_phrased(layout) or fee_in_words_and_digits(layout) if rules.multilingual else None)
    fields["total_amount"] = field_from("total_amount", amount) if amount else missing_field("total_amount")
    fields["currency"] = _currency(layout, amount)
    fields["counterparty"] = _counterparty(layout, rules)
    name, email = _signer(layout, rules, fields["counterparty"].normalized)
    if rules.multilingual:
        name, email = _signer_from_block(layout, fields["counterparty"], name, email)
        fields["counterparty"] = _cross_checked_party(layout, fields["counterparty"], name)
    fields["signer_name"], fields["signer_email"] = name, email
    if rules.amount_words_check and amount is not None:
        _check_amount_words(layout, amount, fields["total_amount"], fields["currency"])
    if rules.multilingual and amount is not None:
        fields["total_amount"] = check_fee(fields["total_amount"], layout.text)
        stated = _fee_statements(layout)
        others = sorted(stated - {fields["total_amount"].normalized})
        if fields["total_amount"].normalized and others and not fields["total_amount"].force_review:
            # "The total fees ... are $100,000" and a schedule's "Total Fees: $120,000": which one, a person decides.
            fields["total_amount"].force_review = True
            fields["total_amount"].reasons.append(f"the contract also states a total of {', '.join(others)}")
        if fields["total_amount"].normalized is None:
            fields["currency"] = missing_field("currency", "its amount is not the fee for the term")
        elif fields["total_amount"].force_review and fields["currency"].normalized:
            fields["currency"].force_review = True
            fields["currency"].reasons.append("its amount is in review")
    party, mail = fields["counterparty"].normalized, email.normalized
    if party and mail and not domain_matches(mail, party):
        penalise(email, f"e-mail domain {mail.split('@')[1]!r} does not match counterparty {party!r}", 0.8)
    return list(fields.values())


def _take(name: str, cand: Candidate | None) -> FieldValue:
    return field_from(name, cand) if cand else missing_field(name)


def _effective_date(layout: Layout, _date, rules: RuleSet) -> FieldValue:
    label = find_labelled(layout, r"Effective\s*Date|Commencement\s*Date|Start\s*Date", DATE, _date, "label")
    effective = effective_phrase(layout, _date)
    cand = (label
            or (effective if rules.multilingual else None)
            or find_pattern(layout, rf"(?:entered\s+into|made|effective|dated)\s+(?:as\s+of|on|this)\s+(?:the\s+)?(?P<v>{DATE})",
                            _date, "prose 'entered into as of'")
            or find_pattern(layout, rf"(?P<v>{DATE})\s*\(\s*the\s*[\"'“]?Effective", _date, "prose '(the Effective Date)'")
            # "This Agreement shall commence on 1 March 2021 (the "Commencement Date")"
            or (find_pattern(layout, rf"\bthis\s+(?:[A-Z][\w-]*\s+){{0,4}}?(?:Agreement|Contract)\s+(?:shall|will)\s+(?:commence|begin)\s+on\s+"
                             rf"(?:the\s+)?(?P<v>{DATE})\s*\(\s*the\s*[\"'“]?Commencement\s+Date", _date,
                             "prose 'this Agreement shall commence on DATE (the Commencement Date)'")
                if rules.multilingual else None)
            or (find_pattern(layout, rf"(?:entered\s+into|made|dated|signed)\s+on\s+this\s+(?P<v>{DATE})", _date,
                             "prose 'made on this DATE'") if rules.multilingual else None)
            # British drafting opens "THIS AGREEMENT is dated 1 April 2020" / "is made on the 3rd of February 2020"
            or (find_pattern(layout, rf"\bthis\s+(?:[A-Z][\w-]*\s+){{0,4}}?(?:Agreement|Deed|Contract)\s+is\s+(?:dated|made\s+on)\s+(?:the\s+)?"
                             rf"(?P<v>{DATE})", _date, "prose 'this Agreement is dated / made on DATE'", flags=re.I)
                if rules.multilingual else None)
            # "is entered into between the following two parties on November 24, 2009 in Beijing"
            or (find_pattern(layout, rf"(?:is|was)\s+(?:entered\s+into|made)\s+(?:by\s+and\s+)?between\b[^.;]{{0,120}}?\s+on\s+"
                             rf"(?:this\s+)?(?P<v>{DATE})", _date, "prose 'entered into between ... on DATE'")
                if rules.multilingual else None)
            # "This Master Services Agreement, dated June 30, 2017, is by and between": the opening's date
            or (find_pattern(layout, rf"\bAgreement\b[^.;]{{0,40}}?,\s*dated\s+(?:as\s+of\s+)?(?P<v>{DATE})\s*,?\s+"
                             rf"(?:is|was)\s+(?:made\s+|entered\s+into\s+)?(?:by\s+and\s+)?between", _date,
                             "prose 'this Agreement, dated DATE, is between'")
                if rules.multilingual else None)
            # nothing says when it was made: "The term is 12 months beginning March 1, 2005"
            or (find_pattern(layout, rf"\b(?:term|agreement)\b[^.;]{{0,60}}?\b(?:beginning|commencing|starting)\s+(?:on\s+)?"
                             rf"(?P<v>{DATE})", _date, "prose 'the term ... beginning DATE'")
                if rules.multilingual else None))
    f = _take("effective_date", cand)
    # "executed on the 5th ... to be effective January 1": the signing date is not the effective one.
    if f.normalized and effective and effective.parsed.normalized != f.normalized:
        f.force_review = True
        f.reasons.append(f"the text also says effective {effective.raw!r}")
    return f


def _term(layout: Layout) -> FieldValue:
    cand = (find_pattern(layout, rf"\b(?:term|period|duration)\s+of\s+(?P<v>{TERM})", normalize_term, "prose 'term of'")
            or find_labelled(layout, r"(?:Initial\s+)?Term(?:\s+of\s+Agreement)?\s*:", TERM, normalize_term, "label"))
    return _take("term_months", cand)


# rules-3: how else contracts say how long they run and what they cost.
_RUNS = (r"\b(?:runs?|continues?(?:\s+in\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?)?"
         r"|shall\s+(?:run|continue|remain\s+in\s+(?:full\s+)?(?:force|effect))|remains?\s+in\s+"
         r"(?:full\s+)?(?:force|effect)|is\s+valid|be\s+valid)\s+for\s+(?:a\s+(?:period|term)\s+of\s+)?"
         r"|\bfor\s+an?\s+(?:initial\s+)?(?:period|term)\s+of\s+|\binitial\s+term\s+(?:of|is|shall\s+be)\s+"
         r"|\b(?:Vertrags)?[Ll]aufzeit\s+(?:von|beträgt|:)?\s*|\bdurée\s+(?:de|est\s+de|:)\s*|\blooptijd\s+(?:van|:)?\s*"
         r"|\bduración\s+(?:de|:)\s*|\bdurata\s+(?:di|:)\s*|\bna\s+okres\s+|\bokres\s+")
_UNTIL = (r"\b(?:until|through|ending\s+on|expires?\s+on|terminates?\s+on|bis\s+(?:zum|einschließlich)|"
          r"jusqu'(?:au|à)|tot\s+en\s+met|hasta\s+el|fino\s+al|do\s+dnia)\s+")
_EFFECTIVE_ML = (r"Effective\s*Date|Inkrafttreten|Vertragsbeginn|Beginn|Date\s+d'effet|Date\s+d'entrée\s+en\s+vigueur"
                 r"|Ingangsdatum|Fecha\s+de\s+(?:entrada\s+en\s+vigor|inicio)|Data\s+di\s+decorrenza|Data\s+(?:wejścia|rozpoczęcia)")
_FEES = (r"\b(?:total\s+(?:fees?|price|amount|consideration|contract\s+(?:value|price)|compensation|value(?=\s+of\s+this))"
         # "an aggregate purchase price of $3,500,000 (the "Purchase Price")"; not an aggregate amount of notes or cover
         r"|aggregate\s+(?:fees?|(?:purchase\s+)?price|consideration|compensation))"
         r"(?:\s+(?:payable|due|to\s+be\s+paid))?(?:\s+(?:under|pursuant\s+to|of)\s+this\s+(?:Agreement|Contract))?"
         r"\s*(?:is|are|shall\s+be|will\s+be|amounts?\s+to|of|:)\s+"
         # "The fees payable under this Agreement are €48.000,00", "Compensation: $75,000"
         # a sale's or a works contract's defined price: "The Purchase Price shall be $2,500,000", "The Contract Sum
         # is £1,250,000", "for a fixed price of EUR 250,000"
         r"|\b(?:the\s+)?(?:Purchase\s+Price|Contract\s+(?:Price|Sum)|fixed\s+(?:price|fee))\s+(?:is|shall\s+be|will\s+be|of|:)\s+"
         # "agrees to pay Provider a total of $50,000"
         r"|\b(?:pay|paid)\b(?:[^.;]|\.(?=\d)){0,60}?\ba\s+total\s+of\s+"
         r"|\b(?:the\s+)?fees?\s+(?:payable|due)\s+(?:under|pursuant\s+to)\s+this\s+(?:Agreement|Contract)\s+"
         r"(?:is|are|shall\s+be|will\s+be|amounts?\s+to)\s+|(?m:^\s*Compensation\s*:\s*)"
         r"|\b(?:Gesamtvergütung|Vergütung|Gesamtpreis)\s+(?:beträgt|von|:)\s*|\b(?:montant|prix)\s+total\s+(?:est\s+de|de|:)\s*"
         r"|\btotale\s+(?:bedrag|prijs|vergoeding)\s+(?:bedraagt|van|:)\s*|\b(?:importe|precio)\s+total\s+(?:es\s+de|de|:)\s*"
         r"|\bcorrispettivo\s+(?:totale|complessivo)\s+(?:è\s+(?:di|pari\s+a)|di|:)\s*|\bwynagrodzenie\s+(?:łączne\s+)?(?:wynosi|:)\s*")


def _term_phrased(layout: Layout, effective: FieldValue, locale: str | None) -> FieldValue:
    cand = find_pattern(layout, rf"(?:{_RUNS})(?P<v>{_TERM_ML})", normalize_term, "prose 'runs for / period of'")
    if cand:
        return field_from("term_months", cand)
    until = find_pattern(layout, rf"(?:{_UNTIL})(?P<v>{DATE})", partial(normalize_date, locale=locale, dots_day_first=True),
                         "prose 'until DATE'")
    if until is None or effective.normalized is None or until.parsed.normalized is None:
        return missing_field("term_months")
    import datetime as dt

    start, end = dt.date.fromisoformat(effective.normalized), dt.date.fromisoformat(until.parsed.normalized)
    # "from 1 March 2026 until 28 February 2027" is twelve months; so is "until 1 March 2027"
    whole = whole_months(effective.normalized, until.parsed.normalized)
    months = whole if whole is not None else (end.year - start.year) * 12 + end.month - start.month
    f = field_from("term_months", until)
    f.normalized = str(months) if months > 0 else None
    f.reasons.append(f"months from the effective date {effective.normalized} to {end.isoformat()}")
    f.confidence = min(f.confidence, effective.confidence) * 0.95
    if whole is None:
        f.force_review = True
        f.reasons.append("not a whole number of months")
    return f


# A rate is no contract value: "$10,000 per month", "€150 / hour"
_PER_PERIOD = r"(?![\d.,]*\d)(?!\s*(?:per|/|a|an|each|every)\s*(?:calendar\s+)?(?:month|year|annum|hour|day|week|quarter))"


_TOTAL_LABELS = (r"Total\s*Contract\s*Value|Contract\s*Value|Total\s*Value|Total\s*Fees|Total\s*Amount"
                 r"|Contract\s*Amount|Contract\s*Price")


def _fee_statements(layout: Layout) -> set[str]:
    """Every amount the contract states as its total (a label or a 'total fees ... are' sentence), rates aside."""
    out = set()
    for pattern in (rf"\b(?:{_TOTAL_LABELS})\s*:\s*(?P<v>{_STRICT_AMOUNT}){_PER_PERIOD}",
                    rf"(?:{_FEES})(?P<v>{_STRICT_AMOUNT}){_PER_PERIOD}"):
        for m in re.finditer(pattern, layout.text, re.I):
            parsed = normalize_amount(m["v"])
            if parsed.ok and parsed.normalized and not re.match(r"\s*(?:per|/|a|an|each|every)\b", layout.text[m.end():], re.I):
                out.add(parsed.normalized)
    return out


def _fees_phrased(layout: Layout) -> Candidate | None:
    return find_pattern(layout, rf"(?:{_FEES})(?P<v>{_STRICT_AMOUNT}){_PER_PERIOD}", normalize_amount,
                        "prose 'total fees payable ... are'", flags=re.I | re.S)


def _amount(layout: Layout) -> Candidate | None:
    labels = _TOTAL_LABELS
    unreadable: list[Candidate] = []
    return (find_labelled(layout, labels, AMOUNT, normalize_amount, "label", unparsed=unreadable)
            or find_pattern(layout, r"(?:total\s+(?:sum|amount|fees?|price|consideration)|sum|fees?|amount)\s+of\b"
                                    rf"[^()\d$€£]{{0,200}}?[(\s]\s*(?P<v>{_STRICT_AMOUNT})",
                            normalize_amount, "prose 'total sum of'", flags=re.I | re.S)
            or (unreadable[0] if unreadable else None))


def _currency(layout: Layout, amount: Candidate | None) -> FieldValue:
    if amount is not None and amount.parsed.currency:
        f = field_from("currency", amount)
        f.normalized = amount.parsed.currency
        f.value = next(iter(re.findall(r"(?:US|A|C|NZ|S)\$|\$|€|£|₹|USD|EUR|GBP|AUD|CAD|NZD|SGD|INR|CHF|Rs\.?|[Dd]ollars|[Ee]uros?",
                                       amount.raw)), amount.raw)
        return f
    cand = find_labelled(layout, r"Currency", r"[A-Za-z$€£]{1,8}", normalize_currency, "label")
    return _take("currency", cand)


def _counterparty(layout: Layout, rules: RuleSet) -> FieldValue:
    cand = (find_pattern(layout, rf"\b{_PARTY_WORDS}(?:\s+Name)?\s*:\s*(?P<v>{_TO_EOL})", normalize_name, "label")
            or find_pattern(layout, rf"\band\s+(?P<v>{NAME}?)\s*(?:,[^()\"\n]{{0,80}})?\(\s*(?:the\s+)?[\"']?{_PARTY_WORDS}",
                            normalize_name, "prose 'and X (\"Client\")'", flags=re.S))
    if rules.multilingual and cand is not None and not _looks_like_org(cand.parsed.normalized or ""):
        cand = None  # "CLIENT: All Costs, Marketing, sales reports ...": a label word heading a clause
    opening = preamble_counterparty(layout) if rules.multilingual and cand is None else None
    if opening is not None:
        opening = _trimmed_party(opening)
    f = _take("counterparty", cand or opening)
    if f.normalized:
        f.normalized = f.normalized.rstrip(", ").strip()
    if opening is not None:
        # Found by sentence shape alone; the signature block naming it is the cross-check.
        f.force_review = True
        f.reasons.append("no label: the party's name is not confirmed by a signature block yet")
    elif rules.multilingual and cand is not None and cand.how.startswith("prose") and f.normalized \
            and not _named_in_full(layout, f.normalized):
        # 'and X ("Client")' cuts the name where its words stop looking like a name ("Sphere" of
        # "Sphere 3D Corp."): accepted only when the signature pages print the same name again.
        f.force_review = True
        f.reasons.append("the signature pages do not print this name again")
    return f


def _cross_checked_party(layout: Layout, party: FieldValue, signer: FieldValue) -> FieldValue:
    """rules-3: the last gate before a counterparty may be accepted (contract_checks.check_counterparty)."""
    name = party.normalized or ""
    opening = preamble_counterparty(layout)
    trimmed = _trimmed_party(opening) if opening is not None else None
    himself = looks_like_person(name) and declared_individual(layout.text, name) and \
        name.casefold() == (signer.normalized or "").casefold()
    if party.force_review and party.reasons and party.reasons[-1].startswith("no label") \
            and _signed_pages_print(layout, name) and not _printed_longer(layout, name) and _LEGAL_FORM_END.search(name):
        # No signer read under it, but the signature pages print the whole name with its legal form
        # again: a second printing of the party the opening clause names (the gates below still apply).
        party.reasons.pop()
        party.force_review = False
        boost(party, "the signature pages print the whole name again")
    return check_counterparty(party, layout.text, opening=trimmed.parsed.normalized if trimmed else None,
                              printed_again=bool(name) and _named_in_full(layout, name), signs_himself=himself,
                              openings=tuple(opening_parties(layout)))


_LEGAL_FORM_END = re.compile(r"\b(?:Inc|Incorporated|Corp|Corporation|Company|Co|Ltd|Limited|LLC|L\.L\.C|LLP|L\.P|LP|PLC|GmbH|AG|"
                             r"S\.A|SA|N\.V|NV|B\.V|BV|Pty|Pte)\.?$", re.I)
# A company's name with its legal form: a capitalised word, then the form ("Northwind Traders, LLC", "ACME CORP.").
_ANY_FORM = re.compile(r"\b[A-Za-z][\w&.'-]*,?\s+(?:Inc|INC|inc|Incorporated|Corp|CORP|Corporation|CORPORATION|Company|COMPANY|Ltd|LTD|"
                       r"Limited|LIMITED|LLC|L\.L\.C|LLP|L\.P|LP|PLC|plc|GmbH|AG|N\.V|B\.V|Pty|Pte)\b\.?")
_REGISTRY = {"ACN", "ABN", "ARBN", "CIN", "UEN", "CRN", "NZBN"}
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "shri", "sri", "smt", "mx"}
_NOT_A_PARTY = {"whereas", "now", "witnesseth", "recitals", "logo", "background", "section", "article"}
_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                "november", "december")


def _trimmed_party(cand: Candidate) -> Candidate | None:
    """The opening clause's second party as a name: a recital word ("and WHEREAS") or a logo
    caption is none; an address or date run on after it ("PLAN_B MEDIA AG Schaafenstr. 25 ...",
    "... Co., Ltd. November 24, 2009") is cut off at its first number or month."""
    name = cand.parsed.normalized or ""
    words = name.split()
    if not words or words[0].strip(",.").lower() in _NOT_A_PARTY or name.lower() == "the":
        return None
    if len(words) >= 3 and words[0].rstrip(".").lower() in _HONORIFICS:
        # "and Mr. Rahul Sharma (hereinafter referred to as the "Employee")": the person, without the courtesy title
        kept = " ".join(words[1:])
        parsed = normalize_name(kept)
        if not parsed.ok:
            return None
        cand = Candidate(kept, cand.span, parsed, cand.how, cand.box, cand.source)
        words = words[1:]
    for i, w in enumerate(words[1:], start=1):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        # "Bluefin Analytics Pty Ltd ACN 987 654 321", "... Private Limited CIN U72200KA2010PTC": a registry number
        if w[0].isdigit() or (w.strip("(,:").upper() in _REGISTRY and any(c.isdigit() for c in nxt)) or (w.lower().strip(",.") in _MONTH_NAMES and nxt[:1].isdigit()) \
                or re.search(r"(?:str|straße|strasse|street|st|avenue|ave|road|rd)\.?$", w, re.I) and nxt[:1].isdigit():
            kept = " ".join(words[:i]).rstrip(", ")
            parsed = normalize_name(kept)
            return Candidate(kept, cand.span, parsed, cand.how, cand.box, cand.source) if parsed.ok else None
    return cand


_NAME_PARTICLES = {"of", "and", "de", "du", "des", "la", "le", "van", "von", "der", "den", "di", "da", "for", "the", "&"}


def _looks_like_org(name: str) -> bool:
    """A party's name is capitalised words (and "of", "and", "de" ...); two lower-case words
    besides those are a sentence."""
    words = re.findall(r"[^\s,;]+", name)
    lower = [w for w in words if w[0].islower() and w.lower() not in _NAME_PARTICLES and "@" not in w and "." not in w]
    return bool(words) and len(lower) < 2 and len(words) <= 12


_FORMS = re.compile(r"\b(?:the|inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.l\.c|lp|l\.p|plc|llp)\b\.?")


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", _FORMS.sub(" ", text.casefold().replace("&", "and")))


def _named_in_full(layout: Layout, name: str) -> bool:
    """A second reading of a party's name: the whole name (case, punctuation and legal form
    aside) printed again on the signature pages, and it looks like a name at all."""
    key = _squashed(name)
    if len(re.sub(r"[^a-z]", "", key)) < 3 or not name[:1].isalpha() or not _looks_like_org(name):
        return False
    start = max((m.start() for m in re.finditer(r"IN\s+WITNESS\s+WHEREOF|Accepted\s+and\s+Agreed|AGREED\s+AND\s+ACCEPTED",
                                                 layout.text, re.I)), default=len(layout.text) * 2 // 3)
    return key in _squashed(layout.text[start:])


_SIGNED_PAGES = re.compile(r"(?i:IN\s+WITNESS\s+WHEREOF|Accepted\s+and\s+Agreed|AGREED\s+AND\s+ACCEPTED)|(?:^|(?<=\s))(?:By|BY)\s*:",
                           re.M)


def _signed_pages_print(layout: Layout, name: str) -> bool:
    """The whole name printed again after the witness clause or a signature line ("By:") that
    follows the opening clause; a document with neither has no signature pages to confirm it."""
    first = layout.text.find(name)
    marks = [m.start() for m in _SIGNED_PAGES.finditer(layout.text) if m.start() > first + len(name)]
    if first < 0 or not marks or not _named_in_full(layout, name):
        return False
    words = [re.escape(w) for w in re.findall(r"[A-Za-z0-9]+", name)]
    pages = layout.text[marks[0]:]
    # The second party signs second: another company's name (with its legal form) is printed before it
    # on the signature pages; printed first, the parties' order there is not the opening clause's.
    return any(_ANY_FORM.search(pages, 0, m.start())
               for m in re.finditer(r"(?<![A-Za-z0-9])" + r"[\W_]+".join(words), pages, re.I)) if words else False


def _printed_longer(layout: Layout, name: str) -> str | None:
    """The name as printed somewhere with more words of a name after it (", Inc.", "Solution")."""
    if not name or re.search(r"\b(?:Inc|Corp|Corporation|Co|Ltd|Limited|LLC|LLP|L\.P|LP|GmbH|AG|S\.A|SA|plc|N\.V|B\.V)\.?$",
                             name, re.I):
        return None  # a name that ends in its legal form is whole
    flat = re.sub(r"\s+", " ", layout.text)
    for m in re.finditer(rf"(?<![\w]){re.escape(name)}(,?\s|\s(?:of|for|de|du)\s(?:the\s)?)([A-Z][\w&.'-]*)", flat):
        if m[2].rstrip(".") not in _SENTENCE_WORDS:
            return m[0]
    return None


_SENTENCE_WORDS = {"The", "This", "That", "These", "In", "As", "Whereas", "Now", "By", "And", "Each", "Any", "All",
                   "If", "For", "Such", "It", "Its", "On", "At", "To", "With", "Under", "Upon", "A", "An", "Agreement"}


def _signer_from_block(layout: Layout, party: FieldValue, name: FieldValue, email: FieldValue
                       ) -> tuple[FieldValue, FieldValue]:
    """rules-3: the counterparty's column of the signature block; two lines agreeing confirm it."""
    cand, agreeing, mail = signature_block_signer(layout, party.normalized)
    if cand is None:
        return name, email
    if name.normalized is not None and name.force_review and any(r.startswith(_SEVERAL) for r in name.reasons):
        name = missing_field("signer_name")  # the counterparty's block says which of the labelled signatories is its own
    if name.normalized is not None:  # the labelled reading stays; the block may confirm it
        if name.normalized == cand.parsed.normalized:
            boost(name, "the counterparty's signature block names the same person")
        return name, email
    # An individual party signs for himself: the opening clause and the signature are two
    # readings of one name, each confirming the other.
    himself = looks_like_person(party.normalized) and declared_individual(layout.text, party.normalized or "") and \
        (party.normalized or "").casefold() == (cand.parsed.normalized or "").casefold()
    if himself and party.force_review and party.reasons[-1].startswith("no label"):
        party.reasons.pop()
        party.force_review = False
        boost(party, "the party signs the contract himself: the signature names the same person")
    elif party.force_review and party.reasons[-1].startswith("no label"):
        longer = _printed_longer(layout, party.normalized or "")
        if longer:
            # The block matched on the first word; the document prints a longer name
            # ("Affinity Group" cut at a line break of "Affinity Group, Inc."): not confirmed.
            party.reasons.append(f"printed elsewhere as the longer {longer!r}")
        elif not _named_in_full(layout, party.normalized or ""):
            # The block matched one distinctive word; the name itself is not printed there again.
            party.reasons.append("the signature pages do not print the whole name")
        else:
            party.reasons.pop()
            party.force_review = False
            boost(party, "its signature block names it")
    f = field_from("signer_name", cand)
    if agreeing >= 2:
        boost(f, f"{agreeing} lines of the signature block name the same person")
    elif himself:
        boost(f, "the opening clause names the same person as the party")
    else:
        f.force_review = True
        f.reasons.append("one reading in the signature block, no second line confirms it")
    if mail is not None and email.normalized is None:
        email = field_from("signer_email", mail)
    return f, email


_SEVERAL = "the contract labels several signatories:"


def _signer(layout: Layout, rules: RuleSet, counterparty: str | None) -> tuple[FieldValue, FieldValue]:
    """The counterparty's signature block: lines under its heading, in its column."""
    block = _signature_block(layout, counterparty)
    name = email = None
    if block:
        labels = [("Name|Printed\\s+Name|Signatory", normalize_name, "signature block 'Name:'")]
        if rules.signer_by_line:
            labels.append(("By", normalize_name, "signature block 'By:'"))
        for label, parser, how in labels:
            name = name or _block_value(layout, block, label, parser, how)
        email = _block_value(layout, block, r"E-?mail(?:\s+Address)?", normalize_email, "signature block 'Email:'")
    # "DocuSigned by:" is an e-signature stamp over whichever party signs, not a signatory label.
    signatory = r"Signatory|Signer|(?<![A-Za-z])Signed\s*by|Authori[sz]ed\s*Signatory"
    several: list[str] = []
    if name is None:
        name = find_labelled(layout, signatory, _TO_EOL, normalize_name, "label")
        # One "Signed by:" per party: the first is not the counterparty's more than the others.
        several = sorted({p.normalized for m in re.finditer(rf"(?:{signatory})\s*[:#\-]?\s*(?P<v>{_TO_EOL})", layout.text, re.I)
                          if (p := normalize_name(m["v"])).ok and p.normalized and looks_like_person(p.normalized)})
    email = email or find_labelled(layout, r"(?:Signatory|Signer)\s*E-?mail|E-?mail", EMAIL, normalize_email, "label")
    name_f = _take("signer_name", name)
    # "signed by both parties. This Agreement": a label word in prose is not a signature line.
    if name_f.normalized and looks_like_prose(name_f.normalized):
        name_f = missing_field("signer_name", f"not a person's name: {name_f.value!r}")
    elif name_f.normalized and len(several) > 1:
        name_f.force_review = True
        name_f.reasons.append(f"{_SEVERAL} {', '.join(several)}")
    return name_f, _take("signer_email", email)


def _signature_block(layout: Layout, counterparty: str | None) -> list[Line]:
    headings = [ln for ln in layout.lines if _SIG_HEADING.match(ln.text)
                or (counterparty and re.match(rf"^\s*(?:For|On behalf of)\s+{re.escape(counterparty)}", ln.text, re.I))]
    if not headings:
        return []
    head = headings[-1]
    column = [ln for ln in layout.lines if ln.page == head.page and head.row < ln.row <= head.row + 8
              and abs(ln.box["x0"] - head.box["x0"]) < 6 * head.height]
    return [head] + column


def _block_value(layout: Layout, block: list[Line], label: str, parser, how: str) -> Candidate | None:
    label_re = re.compile(rf"^\s*(?:{label})\s*[:\-]?\s*(?P<v>.*)$", re.I)
    for ln in block[1:]:
        m = label_re.match(ln.text)
        if not m:
            continue
        raw = m["v"].strip()
        source = ln
        if not raw.strip("_ ."):  # label alone in its box: the value is the next box right
            right = [x for x in layout.rows[ln.row] if x.box["x0"] > ln.box["x1"]]
            if not right:
                continue
            source, raw = right[0], right[0].text.strip()
        parsed = parser(raw)
        if parsed.ok and not raw.startswith("_"):
            box = dict(source.box)
            if source is ln and len(ln.text):
                box["x0"] = ln.box["x0"] + (ln.box["x1"] - ln.box["x0"]) * (len(ln.text) - len(m["v"])) / len(ln.text)
            return Candidate(raw, Span(raw, (source,)), parsed, how, box, layout.sources.get(source.page, "ocr"))
    return None


_WORD_CURRENCY = {"dollar": "USD", "pound": "GBP", "sterling": "GBP", "euro": "EUR"}
_AMOUNT_WORDS_TAIL = re.compile(
    r"\b(?:US|U\.S\.|United States|Dollars?|Euros?|Pounds?|Sterling|GBP|USD|EUR|only)\b|and\s+\d{1,2}/100|[$€£]", re.I)


def _check_amount_words(layout: Layout, amount: Candidate, total: FieldValue, currency: FieldValue) -> None:
    """rules-2: the amount in words, written just before the digits, must say the same number."""
    end = layout.text.find(amount.raw)
    if end < 0:
        return
    window = layout.text[max(0, end - 220):end]
    # The last "sum of" before the digits: "In consideration of the Assets, ... the sum of Two Hundred Dollars ($200)".
    m = None
    for head in re.finditer(r"(?:sum|amount|fees?|price|consideration)\s+of\s+", window, re.I):
        m = re.match(r"(?P<w>[A-Za-z\-\s,]+?)\s*\(?\s*(?:US\$|\$|£|€|USD|GBP|EUR)?\s*$", window[head.end():], re.S) or m
    if not m:
        return
    words = _AMOUNT_WORDS_TAIL.sub(" ", m["w"])
    number = words_to_number(words)
    if number is None or total.normalized is None:
        return
    named = {_WORD_CURRENCY[w.lower().rstrip("s")] for w in re.findall(r"\b(?:[Dd]ollars?|[Pp]ounds?|[Ss]terling|[Ee]uros?)\b", m["w"])}
    if amount.parsed.currency and named and named != {amount.parsed.currency}:
        penalise(total, f"the words name {'/'.join(sorted(named))}, the digits {amount.parsed.currency}", 0.6)
        total.force_review = True
        currency.force_review = True
        currency.reasons.append("the amount in words names another currency")
    elif number == int(float(total.normalized)):
        boost(total, "amount in words agrees with the digits")
        boost(currency, "amount in words agrees with the digits")
    else:
        penalise(total, f"amount in words ({number}) disagrees with the digits", 0.6)
        total.force_review = True


def domain_matches(email: str, company: str) -> bool:
    """``jane@acme-corp.com`` matches "Acme Corporation": a name token (or initials) in the domain."""
    domain = email.rsplit("@", 1)[-1].lower()
    labels = domain.split(".")
    host = "".join(labels[:-1]) if len(labels) > 1 else domain
    tokens = [t for t in re.findall(r"[a-z0-9]+", company.lower()) if t not in _LEGAL_SUFFIXES]
    if not tokens:
        return False
    if any(len(t) >= 3 and t in host for t in tokens):
        return True
    initials = "".join(t[0] for t in tokens)
    return len(initials) >= 2 and host.replace("-", "").startswith(initials)

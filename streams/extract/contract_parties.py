"""Contract parties, signers and the effective date as US/UK contracts write them.

- Parties are named once, in the opening clause: "by and between A, a Delaware corporation
  ("Company"), and B, Inc., a Nevada corporation (the "Sponsor")". Each party is followed by
  its defined term in brackets (or "referred to as "X""); the counterparty is the second one.
- The signer is in the signature block after "IN WITNESS WHEREOF": the party's name as a
  heading, then "By: /s/ Jane Doe", "Name: Jane Doe", "Jane Doe, President". Blocks sit side
  by side, so a line belongs to a party by its column under that party's heading. Two lines
  of the block naming the same person (the signature and the printed name) cross-check it.
- "executed on DATE ... to be effective DATE2": the effective date is when it takes effect.
"""

from __future__ import annotations

import re

from streams.extract.finders import DATE, TERM, Candidate, find_pattern
from streams.extract.layout import Layout, Line, Span
from streams.extract.normalize import (
    Parsed, normalize_amount, normalize_email, normalize_name, normalize_term, words_to_number,
)

__all__ = ["opening_parties", "declared_individual", "looks_like_person", "looks_like_prose", "effective_phrase", "preamble_counterparty", "signature_block_signer",
           "term_phrase", "fee_in_words_and_digits"]

# Lower-case name particles ("Ludwig van Beethoven", "María de la Cruz").
_PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "la", "le", "da", "di", "du", "dos", "bin", "al", "ter"}
# Capitalised words that are not part of a person's name where contracts print them.
_NOT_NAME = {"agreement", "party", "parties", "company", "inc", "llc", "ltd", "corp", "corporation", "limited",
             "president", "vice", "chief", "executive", "officer", "ceo", "cfo", "coo", "svp", "evp", "vp",
             "director", "manager", "secretary", "treasurer", "title", "name", "date", "signature", "by",
             "print", "printed", "witness", "the", "this", "both", "either", "each", "all", "counsel",
             "representative", "authorized", "sales", "member", "partner", "owner", "general", "senior"}
_GIVEN = r"[A-Z\u00c0-\u00de](?:[a-z\u00df-\u00ff]+|[a-z\u00df-\u00ff]*'[A-Z][a-z\u00df-\u00ff]+)(?:-[A-Z][a-z\u00df-\u00ff]+)?"
_PERSON = rf"{_GIVEN}(?:\s+(?:[A-Z]\.|{_GIVEN}|(?:(?:{'|'.join(sorted(_PARTICLES))})\s+)+{_GIVEN})){{1,3}}"


def looks_like_person(name: str | None) -> bool:
    """Given and family name, capitalised (initials and particles allowed); never a phrase."""
    if not name:
        return False
    tokens = name.replace(",", " ").split()
    if not 2 <= len(tokens) <= 5 or re.search(r"\d|[;:!?()\"“”/]|\.\s*$(?<![A-Z]\.)", name):
        return False
    capitalised = 0
    for t in tokens:
        bare = t.strip(".,").lower()
        if bare in _NOT_NAME:
            return False
        if t[0].isupper():
            capitalised += 1
        elif bare not in _PARTICLES:
            return False
    return capitalised >= 2


def declared_individual(text: str, name: str) -> bool:
    """The opening clause makes ``name`` a party in person: its defined term follows the name at
    once ('and Paul Silas ("Celebrity")') or it is called "an individual"; not a person named
    inside another party's description ("a company to be formed by James Billie and Craig Talesman,
    having an office at ...")."""
    flat = re.sub(r"\s+", " ", text[:6000])
    for m in re.finditer(re.escape(name), flat):
        after = flat[m.end():m.end() + 200]
        if re.match(r"\s*,?\s*\(", after) or re.match(r"[^.;]{0,120}?\ban\s+individual\b", after, re.I):
            return True
    return False


def looks_like_prose(text: str) -> bool:
    """Words of a sentence ("both parties. This Agreement", "the Parties."), not a name that OCR
    may have misread ("JaneDoe" stays: a reviewer can correct it)."""
    tokens = text.replace(",", " ").split()
    if len(tokens) > 5 or re.search(r"[a-z]{2}\.(?:\s|$)", text):
        return True
    return any(t.strip(".,").lower() in {"the", "this", "both", "either", "each", "all", "party", "parties",
                                         "agreement", "hereto", "whom", "any"}
               or (t[0].islower() and t.strip(".,").lower() not in _PARTICLES) for t in tokens)


def effective_phrase(layout: Layout, parser) -> Candidate | None:
    """"to be effective DATE", "made effective as of DATE", "entered into effective DATE",
    "shall be effective as of DATE": the date the contract takes effect, not when it was signed."""
    # Only the agreement itself taking effect ("to be", "shall be", "made", "entered into"), not
    # "the new price is effective from ...".
    return find_pattern(layout, rf"\b(?:to\s+be|shall\s+be|made|entered\s+into|becomes?)\s+effective\s+"
                                rf"(?:as\s+of\s+|on\s+|from\s+)?(?:this\s+)?_*(?P<v>{DATE})", parser,
                        "prose 'effective (as of) DATE'")


# "payment of Fifty Thousand Dollars ($50,000)", "an aggregate consideration of ... Dollars (US$120,000)",
# "the Contract Price of Two Million Dollars ($2,000,000.00)", "a fee of Forty Thousand Pounds (£40,000)".
_WORDS_FEE = re.compile(
    r"\b(?i:payment|compensation|fee|sum|consideration|price)\s+of\s+(?P<w>[A-Z][A-Za-z\-]*(?:[\s,]+[A-Za-z\-]+){0,10}?)"
    r"(?:\s+and\s+(?:NO|\d{1,2})/100)?\s+(?P<c>(?:U\.?S\.?|United\s+States)\s+Dollars|Dollars|Pounds(?:\s+Sterling)?|Euros?)"
    r"\s*\(\s*(?P<v>(?:US\$|\$|£|€|USD\s?|GBP\s?|EUR\s?)\d[\d,]*(?:\.\d{2})?)\s*\)")

_WORD_CURRENCY = {"dollar": "USD", "pound": "GBP", "sterling": "GBP", "euro": "EUR"}
# Digits first, words after: "shall pay Provider USD 1,000,000 (One Million US Dollars)".
_DIGITS_WORDS_FEE = re.compile(
    r"\b(?i:pay|paid|payment|fee|sum|consideration|price|compensation)\b[^.;()]{0,60}?"
    r"(?P<v>(?:US\$|\$|£|€|USD\s?|GBP\s?|EUR\s?)\d[\d,]*(?:\.\d{2})?)\s*\(\s*(?P<w>[A-Z][A-Za-z\-]*(?:[\s,]+[A-Za-z\-]+){0,10}?)"
    r"(?:\s+and\s+(?:NO|\d{1,2})/100)?\s+(?P<c>(?:U\.?S\.?|United\s+States)\s+Dollars|Dollars|Pounds(?:\s+Sterling)?|Euros?)"
    r"(?:\s+only)?\s*\)", re.I)


def fee_in_words_and_digits(layout: Layout) -> Candidate | None:
    """"payment of Fifty Thousand and NO/100 Dollars ($50,000)": the words and the digits are two
    readings of one amount; only when they agree is it taken (and then it is cross-checked)."""
    for m in [*_WORDS_FEE.finditer(layout.text), *_DIGITS_WORDS_FEE.finditer(layout.text)]:
        parsed = normalize_amount(m["v"])
        number = words_to_number(re.sub(r"[,\s]+", " ", m["w"]))
        if not parsed.ok or parsed.normalized is None or number is None or number != int(float(parsed.normalized)):
            continue
        if parsed.currency and parsed.currency != _WORD_CURRENCY.get(m["c"].split()[-1].lower().rstrip("s"), parsed.currency):
            continue  # "Dollars (£40,000)": the two readings name different currencies
        start, end = m.span("v")
        span = layout.span(start, end)
        agreed = Parsed(parsed.normalized, 1.0, "the amount in words agrees with the digits",
                        currency=parsed.currency, confirmed=True)
        return Candidate(m["v"], span, agreed, "prose 'payment of WORDS Dollars ($N)'", span.box,
                         layout.sources.get(span.page or 0, "ocr"))
    return None


def term_phrase(layout: Layout) -> Candidate | None:
    """"the term of this Agreement shall be three years", "shall remain in effect until one (1)
    year after the Effective Date": a duration counted from the start."""
    return (find_pattern(layout, rf"\bterm\s+of\s+this\s+(?:Agreement|Contract)\s+(?:shall|will)\s+be\s+(?:for\s+)?"
                                 rf"(?:a\s+period\s+of\s+)?(?P<v>{TERM})", normalize_term, "prose 'the term ... shall be'")
            or find_pattern(layout, rf"\buntil\s+(?:the\s+date\s+)?(?P<v>{TERM})\s+(?:subsequent\s+to|after|following|from)"
                                    r"\s+the\s+(?:Effective|Commencement|Start)\s+Date", normalize_term,
                            "prose 'until N years after the Effective Date'"))


# The defined term after a party: '("Company")', '(the "Sponsor")', '(hereinafter "X")',
# '(hereinafter referred to as "VET TECH")', '(referred to herein as "X")', ', referred to ... as "X"'.
_DEFINED = (r"(?:\(\s*(?:the\s+|hereinafter,?\s+(?:collectively\s+)?(?:(?:referred\s+to|called|named|designated)\s+(?:as\s+)?)?"
            r"(?:the\s+)?|(?:referred\s+to|called)\s+(?:herein\s+|hereafter\s+)?as\s+(?:the\s+)?)?(?:[\"“”'][A-Za-z]|[A-Z])|,?\s*(?:referred\s+to\s+(?:in\s+this\s+\w+\s+)?|hereinafter\s+(?:called\s+)?)as\s+[\"“])")
# A name's first word is capitalised, or a brand in camel case ("mPhase", "eBay").
_ORG = r"(?:[A-Z0-9]|[a-z]{1,2}[A-Z])[\w&.'/\-]*(?:,?\s(?:[A-Z0-9&][\w&.'/\-]*))*"
# A company's legal form ends its name: "Sicap Ltd", "XINHUA FINANCIAL NETWORK LIMITED", "IREYA B.V".
_FORM_END = (r"(?:Inc|Incorporated|Corp|Corporation|Company|Co|Ltd|Limited|LLC|L\.L\.C|LLP|L\.P|LP|PLC|plc|GmbH|AG|KG|"
             r"S\.A|SA|S\.p\.A|N\.V|NV|B\.V|BV|Pty|Pte|A/S|a\.s|AB|Oy|INC|CORP|CORPORATION|COMPANY|LTD|LIMITED)\.?")
_FORMED = rf"(?:[A-Z0-9][\w&'/\-]*\.?,?\s+){{0,7}}?{_FORM_END}(?:,?\s+{_FORM_END})*(?![\w])"


def preamble_counterparty(layout: Layout, after: int = 0) -> Candidate | None:
    """The second party of "between A (...) and B, a ... corporation ("B-term")"."""
    head = layout.text[:4000]
    # "by and between A (...) and B (...)"; or, with no "between", the parties as the subject of the
    # opening sentence: 'Aduro Biotech, Inc. (“Aduro”) and IREYA B.V ... (“Consultant”) agree to ...'.
    # British drafting may head the numbered parties "PARTIES" instead: "PARTIES (1) A ... (2) B ...".
    m = re.compile(r"\bbetween\s*:?\s+|(?m:^[ \t]*(?:THE\s+)?PARTIES[ \t]*:?[ \t]*\n)", re.I).search(head, after) or (None if after else re.search(
        r"\(\s*(?:the\s+)?[\"“][^\"”]{1,40}[\"”]\s*\)(?=,?\s+and\s)", head[:1500]))
    if not m:
        return None if after else _party_b(layout)
    flat = re.sub(r"\s+", " ", head[m.end():m.end() + 1500])
    if re.match(r"\s*\(\s*1\s*\)", flat):
        # Numbered parties: the second is "(2)", with or without "and" before it; the first party's
        # description ("incorporated in England and Wales ...") holds no second party.
        return _second_party(layout, m.end(), numbered=True)
    # Indian drafting: "... of the ONE PART; AND Bluefin Analytics Private Limited, ... (hereinafter referred to as ...)"
    # and in capitals right after the first party's defined term: '... LLC ("Company") AND BLUEFIN ANALYTICS, INC.'
    for p in re.finditer(rf"(?:[,;)\"”]?\s+(?:and|And)|\b(?i:part|party)\s*[;,.]?\s+AND|[\"”]\s*\)\s*,?\s+AND):?\s+(?:[Aa]n?\s+(?=[A-Z]))?(?P<v>{_ORG})(?P<rest>[\s,][^()]{{0,260}}?)?\s*{_DEFINED}", flat):
        # A title's last name runs into the opening sentence under it ("... and B, Inc. This Agreement").
        raw = re.split(r"(?<=\.)\s+(?=(?:This|The|These|WHEREAS|Whereas)\b)", p["v"])[0]
        raw = re.sub(r"\s*,\s*$", "", raw).strip()
        raw = re.sub(r"\.{2,}$", ".", raw)
        # "Kingdom Connect, Inc., a Corporation" stops at ", a": the name runs while words are capitalised.
        if not raw or raw.split()[0].lower() in {"the"} and len(raw.split()) == 1:
            continue
        parsed = normalize_name(raw)
        if not parsed.ok:
            continue
        start = layout.text.find(raw.split()[0], m.end())
        span = layout.span(start, start + len(raw)) if start >= 0 else Span(raw, ())
        return Candidate(raw, span, parsed, "opening clause 'between A (...) and B (\"...\")'", span.box,
                         layout.sources.get(span.page or 0, "ocr"))
    return _second_party(layout, m.end())


def opening_parties(layout: Layout) -> list[str]:
    """The second party named by each "between A and B" of the head, in order: a title ("Promotion
    Agreement Between A and B") and the opening clause ("by and between B ... and A") may disagree."""
    names = []
    for m in re.finditer(r"\bbetween\s*:?\s+", layout.text[:2000], re.I):
        cand = preamble_counterparty(layout, m.start())
        if cand is not None and cand.parsed.normalized:
            names.append(cand.parsed.normalized)
    return names


# Other ways an opening clause names the second party (found by shape: review until confirmed):
_SECOND = (
    # UK drafting numbers the parties: "BETWEEN (1) A ...; and (2) B, a company incorporated in ..."
    ("opening clause '(1) A ... and (2) B'", re.compile(rf"(?:;|,)?\s*and\s*\(\s*2\s*\)\s*(?P<v>{_ORG})")),
    # No defined term: "concluded between: A, <address> and Sicap Ltd, Bernstrasse 34": a name with its legal form.
    ("opening clause 'between A and B <legal form>'", re.compile(rf"[,;.)\s]and:?\s+(?P<v>(?:the\s+)?{_FORMED})")),
)


_NUMBERED_SECOND = re.compile(rf"(?:[;,.]\s*)?(?:and\s*)?\(\s*2\s*\)\s*(?P<v>{_ORG})")


def _second_party(layout: Layout, after: int, *, numbered: bool = False) -> Candidate | None:
    flat = re.sub(r"\s+", " ", layout.text[after:after + 1500])
    for how, rx in ((("opening clause '(1) A ... (2) B'", _NUMBERED_SECOND),) if numbered else _SECOND):
        m = rx.search(flat)
        if not m:
            continue
        raw = re.split(r",\s+(?:a|an|the|having|with|whose|of|registered|located|incorporated)\b", m["v"])[0].strip(" ,;")
        parsed = normalize_name(raw)
        if not parsed.ok or not re.search(_FORM_END + r"$", raw):
            continue
        start = layout.text.find(raw.split()[0], after)
        span = layout.span(start, start + len(raw)) if start >= 0 else Span(raw, ())
        return Candidate(raw, span, parsed, how, span.box, layout.sources.get(span.page or 0, "ocr"))
    return _party_b(layout)


_PARTY_B = re.compile(rf"(?m)(?:^|\s)Party\s+B\s*[:：]\s*(?P<v>{_FORMED})")


def _party_b(layout: Layout) -> Candidate | None:
    """"Party A: ... Party B: Xinyu Xinwei New Energy Co., Ltd." (contracts drafted in China and
    elsewhere name the parties by letter): Party B is the second party."""
    m = _PARTY_B.search(layout.text[:4000])
    if not m:
        return None
    raw = m["v"].strip(" ,;")
    parsed = normalize_name(raw)
    if not parsed.ok:
        return None
    span = layout.span(m.start("v"), m.start("v") + len(raw))
    return Candidate(raw, span, parsed, "opening 'Party B:'", span.box, layout.sources.get(span.page or 0, "ocr"))


_SIG_START = re.compile(r"IN\s+WITNESS\s+WHEREOF|Accepted\s+and\s+Agreed|AGREED\s+AND\s+ACCEPTED", re.I)
_LEGAL = {"inc", "incorporated", "corp", "corporation", "ltd", "limited", "llc", "llp", "co", "company", "the",
          "group", "holdings", "and", "com"}


def _key(counterparty: str) -> str | None:
    words = [w for w in re.findall(r"[a-z0-9]+", counterparty.lower()) if w not in _LEGAL and len(w) >= 3]
    return words[0] if words else None


def _columns(row: list[Line], head: Line) -> tuple[float, float]:
    """The x-range of ``head``'s column: from its left edge to the next heading on its row."""
    xs = sorted(ln.box["x0"] for ln in row)
    pad = 3 * head.height
    lo = head.box["x0"] - pad if head.box["x0"] != xs[0] else float("-inf")
    nxt = [x for x in xs if x > head.box["x0"]]
    return lo, (nxt[0] - pad if nxt else float("inf"))


def _column_text(row: list[Line], lo: float, hi: float) -> tuple[str, list[Line]]:
    inside = [ln for ln in row if lo <= ln.box["x0"] < hi]
    return " ".join(ln.text.strip() for ln in inside), inside


_SIGN_LINE = re.compile(r"^(?:By\b|/s/|Signature\s*:|DocuSigned\s+by\b)", re.I)
# "Signed for and on behalf of", "For and on behalf of", "Executed by": a heading's lead-in, not the party's name.
_ON_BEHALF = re.compile(r"^\s*(?:(?:Signed|Executed)\s+(?:by\s+.{1,60}?\s+)?)?(?:(?:for\s+and\s+)?on\s+behalf\s+of|for|by)\s+", re.I)
_NAME_LABEL = re.compile(r"(?i:(?:Print(?:ed)?\s+)?Name)\s*:")
_ORG_LINE = re.compile(r"\b(?:Inc|LLC|L\.L\.C|Ltd|Corp|Corporation|Company|GmbH|plc|LLP)\b\.?(?!\w)", re.I)

_TITLE = r"(?:President|Vice|Chief|CEO|CFO|COO|Director|Manager|Secretary|Treasurer|Partner|Member|Owner)\b"

_SIGNED_BY_FOR = re.compile(rf"^\s*(?i:signed|executed)\s+(?i:by)\s+(?P<n>{_PERSON})\s*,?\s+(?i:(?:for\s+and\s+)?on\s+behalf\s+of|for)\b")
# A courtesy title before the signer's name is not part of it: "/s/ Dr. Robert Chen", "Name: Ms. Jane Roe".
_COURTESY = r"(?:(?:Mr|Mrs|Ms|Dr|Prof|Miss)\.?\s+)?"
_READINGS = (
    ("signature '/s/'", re.compile(rf"^(?:By\s*:?\s*)?(?:Signature\s*:\s*)?/s/\s*{_COURTESY}(?P<n>{_PERSON})")),
    ("signature block 'Name:'", re.compile(rf"^(?i:(?:Print(?:ed)?\s+)?Name(?:\s+and\s+Title)?|Signed\s+by|(?:Authori[sz]ed\s+)?Signatory)"
                                          rf"\s*:\s*{_COURTESY}(?P<n>{_PERSON})")),
    ("signature block 'Name, Title'", re.compile(rf"^(?P<n>{_PERSON})\s*,\s*[A-Z]")),
    ("signature block name line", re.compile(rf"^(?P<n>{_PERSON})(?:\s*$|\s+(?={_TITLE}))")),
)


def _person(raw: str) -> str:
    """Drop title words a name line runs into ("Rick Bailey President")."""
    out: list[str] = []
    for t in raw.split():
        if t.strip(".,").lower() in _NOT_NAME:
            break
        out.append(t)
    return " ".join(out)


def signature_block_signer(layout: Layout, counterparty: str | None
                           ) -> tuple[Candidate | None, int, Candidate | None]:
    """(name, how many lines of the block agree on it, e-mail) under the counterparty's heading."""
    key = _key(counterparty) if counterparty else None
    if key is None:
        return None, 0, None
    starts = [i for i, row in enumerate(layout.rows) if _SIG_START.search(layout.row_text(row))]
    first = starts[-1] if starts else max(0, len(layout.rows) - 40)
    word = re.compile(rf"(?<![a-z0-9]){re.escape(key)}(?![a-z0-9])", re.I)
    for r in range(first, len(layout.rows)):
        row = layout.rows[r]
        # A heading is a short line ("ACME, INC.", "Representative of Acme"), not a sentence naming the party.
        heads = [ln for ln in row if word.search(ln.text) and len(_ON_BEHALF.sub("", ln.text).split()) <= 8]
        if not heads:
            continue
        head = heads[0]
        lo, hi = _columns(row, head)
        found: dict[str, list[tuple[str, Line]]] = {}
        # British execution blocks name the signer in the heading: "Signed by Robert Chen for and on behalf of X".
        by = _SIGNED_BY_FOR.match(head.text)
        if by and looks_like_person(_person(by["n"])):
            found.setdefault(_person(by["n"]), []).append(("execution block 'Signed by NAME for and on behalf of'", head))
        email = None
        order = list(range(r + 1, min(len(layout.rows), r + 10))) + [r - 1, r - 2]
        signed_below, ended, heads_block = 0, False, None
        for rr in order:
            if rr < first or layout.rows[rr][0].page != head.page or (ended and rr > r):
                continue
            text, lines = _column_text(layout.rows[rr], lo, hi)
            if not lines:
                continue
            if heads_block is None:
                # The heading's next line signs ("By:", "/s/", "Name:"): it heads its block, and a different
                # name above it closes the previous party's ("Name: Alice Morgan / Title: CEO").
                heads_block = bool(_SIGN_LINE.match(text) or _NAME_LABEL.match(text))
            if rr > r:
                # The next party's block starts under this one: its company line or a second "By:".
                if signed_below and (_ORG_LINE.search(text) or _SIGN_LINE.match(text)):
                    ended = True
                    continue
                signed_below += bool(_SIGN_LINE.match(text))
            m = re.search(r"E-?mail(?:\s+Address)?\s*:\s*(?P<e>\S+@\S+)", text, re.I)
            if m and email is None and normalize_email(m["e"]).ok:
                email = Candidate(m["e"], Span(m["e"], tuple(lines)), normalize_email(m["e"]),
                                  "signature block 'Email:'", lines[0].box, layout.sources.get(head.page, "ocr"))
            for how, rx in _READINGS:
                if rx is _READINGS[3][1] and rr < r:
                    continue  # a bare name above the heading may be the other party's
                hit = rx.match(text)
                if hit:
                    name = _person(hit["n"])
                    # Another name above a heading that heads its signed block is the previous party's.
                    if looks_like_person(name) and not (rr < r and heads_block and found and name not in found):
                        found.setdefault(name, []).append((how, lines[0]))
                    break
        if not found:
            continue
        name, seen = max(found.items(), key=lambda kv: len(kv[1]))
        how, line = seen[0]
        parsed = normalize_name(name)
        if not parsed.ok:
            parsed = Parsed(name, True)
        cand = Candidate(name, Span(name, (line,)), parsed, how, line.box, layout.sources.get(line.page, "ocr"))
        return cand, len(seen) if len(found) == 1 else 0, email
    return None, 0, None

"""Finding a field's raw text in a :class:`Layout`: value patterns, labelled values, and
the geometric fallback for forms whose values sit below their labels.

A finder returns a :class:`Candidate` (raw text, where it came from, how it parsed); the
confidence arithmetic lives in :mod:`streams.extract.confidence`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from streams.extract.layout import Layout, Line, Span
from streams.extract.normalize import MONTHS, Parsed

__all__ = [
    "Candidate", "DATE", "AMOUNT", "TERM", "EMAIL", "NAME", "find_pattern", "find_below",
    "find_labelled", "sub_box", "find_all", "find_all_below",
]

_MONTH = r"(?<![A-Za-z])(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")(?![a-z])\.?"
# Spaces OCR may drop are optional (see normalize.py); digits must not run on.
# A weekday before the date belongs to it ("Invoice Date: Tuesday, March 12, 2024").
_WEEKDAY = r"(?i:(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?\.?,?\s+)?"
DATE = (rf"{_WEEKDAY}(?:(?<!\d)\d{{4}}-\d{{1,2}}-\d{{1,2}}(?!\d)"
        # year first with slashes or dots: "2019/01/15", Hungarian "2024.03.14." and "2024. 03. 14."
        r"|(?<![\d.,/])(?:19|20)\d{2}(?:/\d{1,2}/\d{1,2}|\.[ \u00a0]?\d{1,2}\.[ \u00a0]?\d{1,2}\.?)(?![\d,/]|\.\d)"
        # "12-Mar-24", "12/Mar/2024" (Tally and other ledgers, log-style stamps): the month's name
        # makes a two-digit year safe to read
        rf"|(?<!\d)\d{{1,2}}-{_MONTH}-(?:\d{{4}}|\d{{2}})(?!\d)|(?<!\d)\d{{1,2}}/{_MONTH}/(?:\d{{4}}|\d{{2}})(?!\d)"
        rf"|(?:the\s+)?(?<!\d)\d{{1,2}}(?:st|nd|rd|th)?\s*day\s*of\s+{_MONTH},?\s*\d{{4}}"
        rf"|{_MONTH}\s*(?<!\d)\d{{1,2}}(?:st|nd|rd|th)?(?:\s*,\s*|\s+)\d{{4}}"
        rf"|(?<!\d)\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s*(?:of\s+|de\s+)?{_MONTH},?\s*(?:de\s+)?\d{{4}}"
        r"|(?<!\d)\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}"
        r"|(?<!\d)\d{1,2}\.[ \u00a0]\d{1,2}\.[ \u00a0]?\d{4}(?!\d))")  # "10. 02. 2015" (Czech, Slovak, German)
# (the yen, won and forint signs and codes: currencies printed without minor units, "¥110,000")
_CUR = r"(?:US\$|\$|€|£|₹|¥|￥|₩|Rs\.?|USD|EUR|GBP|CHF|INR|CAD|AUD|JPY|KRW|HUF|CNY|(?-i:Ft))"
# Digits may not run on either side: "214.06450" must not be read as "214.064".
# Indian English groups lakhs and crores by two digits ("7,08,000.00"; normalize.py reads it),
# Swiss and Liechtenstein print an apostrophe ("8'390.40", "8’390.40": else read as 390.40).
_NUM = (r"(?<!\d)(?:\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?|\d{1,3}(?:[,.\u00a0\u202f '’]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
        r"(?!\d|[.,]\d)")
# OCR puts a space beside the decimal mark ("1.234, 56 €", "110 ,00€"): read as one amount only
# with a currency mark beside it ("1, 23" alone may be a list).
_NUM_GAP = r"(?<!\d)\d{1,3}(?:[.\u00a0\u202f ]\d{3})*(?:[,.] | [,.])\d{2}(?![\d.,])"
AMOUNT = rf"(?:{_CUR}\s?(?:{_NUM_GAP}|{_NUM})|(?:{_NUM_GAP}|{_NUM})\s?{_CUR}|(?:{_NUM}))"
TERM = r"(?:[A-Za-z][A-Za-z\- ]{0,30}?\s*\(\s*\d{1,3}\s*\)\s*(?:months?|years?)|\d{1,3}\s*(?:months?|years?)|[A-Za-z\-]{3,20}\s+(?:months?|years?))"
EMAIL = r"[\w.+'-]+\s?@\s?[\w-]+(?:\.[\w-]+)+"
NAME = r"[A-Z][\w&.,'\-]*(?: [A-Z&][\w&.,'\-]*){0,6}"


@dataclass(frozen=True)
class Candidate:
    """One value found in the document: its raw text, source and parse."""

    raw: str
    span: Span
    parsed: Parsed
    how: str  # which rule found it, for the reviewer's "why"
    box: dict | None = None
    source: str = "ocr"  # "text" when the page was read exactly from a digital PDF's text layer

    @property
    def source_confidence(self) -> float:
        return self.span.confidence


def sub_box(layout: Layout, start: int, end: int, span: Span) -> dict | None:
    """Narrow a one-line span's box to the characters of the value (proportional to offsets).

    Engines give line boxes; a reviewer wants the value highlighted, not the whole line.
    """
    owned = [i for i in range(start, end) if layout._owner[i] >= 0]
    if len(span.lines) != 1 or not owned:
        return span.box
    line = span.lines[0]
    line_start = owned[0]
    while line_start > 0 and layout._owner[line_start - 1] == layout._owner[owned[0]]:
        line_start -= 1
    before = owned[0] - line_start
    offsets = owned
    width = line.box["x1"] - line.box["x0"]
    n = max(len(line.text), 1)
    return {"x0": line.box["x0"] + width * before / n, "y0": line.box["y0"],
            "x1": line.box["x0"] + width * min(before + len(offsets), n) / n, "y1": line.box["y1"]}


def find_pattern(layout: Layout, pattern: str, parser: Callable[[str], Parsed], how: str,
                 *, flags: int = re.I, group: str = "v", unparsed: list | None = None) -> Candidate | None:
    """First match of ``pattern`` (value in group ``v``) whose value parses; the first one
    that did not parse is appended to ``unparsed`` so a reviewer can still see it."""
    for m in re.finditer(pattern, layout.text, flags):
        start, end = m.span(group)
        raw = re.sub(r"\s*\n\s*", " ", m[group].strip())  # a value wrapped across lines reads as one
        parsed = parser(raw)
        span = layout.span(start, end)
        cand = Candidate(raw, span, parsed, how, sub_box(layout, start, end, span),
                         layout.sources.get(span.page or 0, "ocr"))
        if parsed.ok or parsed.ambiguous:
            return cand
        if unparsed is not None and not unparsed and raw:
            unparsed.append(cand)
    return None


def find_all(layout: Layout, pattern: str, parser: Callable[[str], Parsed], how: str,
             *, flags: int = re.I, group: str = "v") -> list[Candidate]:
    """Every match of ``pattern`` whose value parses, in reading order: a label printed
    twice (page headers, a summary box, a sentence) gives a second reading to compare."""
    out = []
    for m in re.finditer(pattern, layout.text, flags):
        start, end = m.span(group)
        raw = re.sub(r"\s*\n\s*", " ", m[group].strip())
        parsed = parser(raw)
        if parsed.ok or parsed.ambiguous:
            span = layout.span(start, end)
            out.append(Candidate(raw, span, parsed, how, sub_box(layout, start, end, span),
                                 layout.sources.get(span.page or 0, "ocr")))
    return out


# A line that is a label with its own value ("Date: 14/03/2024", "Due: 30 days")
_OWN_LABEL = re.compile(r"^\s*[^\W\d_][^\W\d_ .]*(?:[ .][^\W\d_]+){0,3}\.?\s*:\s*\S")


def find_all_below(layout: Layout, label: str, parser: Callable[[str], Parsed], how: str,
                   *, max_rows: int = 2) -> list[Candidate]:
    """For every label alone in its cell, the first value in the cell below it."""
    label_re = re.compile(rf"^\s*(?:{label})\s*[:#]?\s*$", re.I)
    out = []
    for ln in layout.lines:
        if not label_re.match(ln.text):
            continue
        below = [x for x in layout.lines if x.page == ln.page and ln.row < x.row <= ln.row + max_rows]
        below.sort(key=lambda x: (x.row, -_overlap(ln, x)))
        for x in below:
            if _overlap(ln, x) <= 0:
                continue
            if _OWN_LABEL.match(x.text):
                break  # "Date: 14/03/2024" under "Invoice No.": the next field's label and value, not this one's
            parsed = parser(x.text)
            if parsed.ok or parsed.ambiguous:
                out.append(Candidate(x.text.strip(), Span(x.text, (x,)), parsed, how, x.box,
                                     layout.sources.get(x.page, "ocr")))
                break
    return out


def find_below(layout: Layout, label: str, parser: Callable[[str], Parsed], how: str,
               *, max_rows: int = 2) -> Candidate | None:
    """Label alone in its cell, value in the cell below it (column headers over values)."""
    found = find_all_below(layout, label, parser, how, max_rows=max_rows)
    return found[0] if found else None


def find_labelled(layout: Layout, label: str, value: str, parser: Callable[[str], Parsed],
                  how: str, *, unparsed: list | None = None) -> Candidate | None:
    """``Label: value`` on one row (same box or the next box right), else the value below."""
    pattern = rf"(?:{label})\s*[:#\-]?\s*(?P<v>{value})"
    found = (find_pattern(layout, pattern, parser, how, unparsed=unparsed)
             or find_below(layout, label, parser, how + " (below)"))
    if found is None and unparsed is not None and not unparsed:
        # Keep whatever stands after "Label:" for the reviewer; the caller decides whether
        # other rules come first.
        find_pattern(layout, rf"(?:{label})\s*:[ \t]*(?P<v>\S[^\n]*?)(?=\s{{2,}}|\n|$)", parser, how,
                     unparsed=unparsed)
    return found


def _overlap(a: Line, b: Line) -> float:
    return min(a.box["x1"], b.box["x1"]) - max(a.box["x0"], b.box["x0"])

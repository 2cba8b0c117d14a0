"""Cross-checks of a contract's term and effective date (rules-3).

A contract states its term and its start more than once, and states other periods and dates
beside them: how long confidentiality survives ("for a period of one year thereafter"), how a
renewal runs ("extended until December 31, 1999"), when an earlier agreement was dated ("a Split
Dollar Agreement, dated as of December 5, 1995" in a WHEREAS recital). So every statement is read,
those about other periods or other agreements are set aside, and a value may be accepted only
when no remaining statement about this agreement says otherwise. Conventions of US/UK drafting,
none keyed to one document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from streams.extract.confidence import FieldValue, boost, missing_field
from streams.extract.finders import DATE
from streams.extract.lexicon import US_STATE_NAMES
from streams.extract.normalize import normalize_date, normalize_term, words_to_number

__all__ = ["Reading", "agreements_in", "check_counterparty", "check_effective", "check_fee", "check_term", "effective_readings",
           "last_signature", "name_problem", "other_start_dates", "same_party", "start_contested", "stated_end", "signed_dates", "term_readings", "whole_months"]

_TERM_V = (r"(?:[A-Za-z][A-Za-z\- ]{0,30}?\s*\(\s*\d{1,3}\s*\)\s*|\d{1,3}\s*\(\s*[A-Za-z][A-Za-z\- ]{0,30}?\)\s*|\d{1,3}[\s-]*"
           r"|[A-Za-z\-]{3,20}\s+)"
           r"(?:calendar\s+)?(?:months?|years?)(?![\w-])")
# A period that is not the agreement's own: what survives it, a renewal, a notice, a warranty.
_AFTER_OTHER = re.compile(
    r"^[\s,'’]*(?:\)\s*)?(?:thereafter|after\s+(?:which|that)|(?:following|after|from|beyond|upon)\s+(?:the\s+)?"
    r"(?:date\s+of\s+)?(?:any\s+|such\s+|its\s+)?(?:expiration|expiry|termination|end|cessation)"
    r"|(?:following|after|beyond)\s+(?:the\s+)?(?:(?:Initial\s+)?Term\b|term\s+of\s+this)"
    r"|(?:prior\s+|advance\s+|written\s+|'?s?\s*)*notice|(?:each|thereof)\b|prior\s+to|before\s+the\s+(?:end|expiration))",
    re.I)
_BEFORE_OTHER = re.compile(
    r"(?:renew\w*|extend\w*|extension|successive|additional|surviv\w*|warrant\w*|notice|confidential\w*|"
    r"solicit\w*|compet\w*|restrict\w*|thereafter|within|exclusiv\w*|guarantee\w*|retain\w*|records?|audit\w*|"
    r"last|past|preceding|trial|probation\w*|grace)"
    r"\b[^.;:]{0,60}$", re.I)
_OTHER_AGREEMENT = re.compile(r"\b(?:original|prior|existing|previous|underlying|earlier)\b[^.;]{0,120}$", re.I)
_DEFINES_OTHER = re.compile(r"^\s*,?\s*\(\s*(?:the\s+)?[\"“]\s*(?!Effective|Commencement|Agreement\b|Start)"
                            r"[^\"”]{0,40}(?:Agreement|Contract|Note|Plan|License|Lease|Amendment)\s*[\"”]", re.I)
_ANCHORED = re.compile(r"^[\s,]*(?:\)\s*)?(?:(?:commencing|beginning|starting|running|counted|effective)\s+)?(?:from|on|as\s+of|after)"
                       r"\s+(?:and\s+after\s+)?(?:the\s+)?(?:Effective\s+Date|Commencement\s+Date|Start\s+Date|date\s+(?:hereof|of\s+"
                       r"this\s+(?:Agreement|Contract)|first\s+(?:above\s+)?written)|(?:full\s+)?execution\s+(?:hereof|of\s+this))",
                       re.I)
# "This Agreement shall be for the term of", "The term of this Agreement shall be": the sentence's
# subject is the agreement itself, so the duration is its own.
_AGREEMENT_RUNS = re.compile(r"\b(?:(?:the\s+)?term\s+of\s+)?this\s+(?:[A-Z][\w-]*\s+){0,3}(?:Agreement|Contract)\b"
                             r"(?:\s*\([^)]{0,30}\))?\s+(?:shall|will|is)\b", re.I)
_HEAD_CHARS = 3000  # the title, opening clause and first sections of a contract
_HEDGED = re.compile(r"\b(?:later|earlier|sooner|longer|shorter|lesser|greater)\s+of\b", re.I)
_WHEREAS = re.compile(r"\bWHEREAS\b[^.;]*$", re.I)


@dataclass(frozen=True)
class Reading:
    value: str  # normalized: months as a string, or an ISO date
    raw: str
    start: int  # offset in the layout's text
    how: str
    confirmed: bool = False  # words and digits agree, or two dates give it
    hedged: bool = False  # "the later of (i) five years ... or (ii) ...": one of alternatives
    kind: str = "made"  # effective dates: "made" (made, dated, signed) or "effective" (takes effect, begins)
    about: bool = True  # terms: the sentence says the period is this agreement's (or its term's)


def whole_months(start: str, end: str) -> int | None:
    """Months from ``start`` to ``end`` when whole: the same day of the month, or the day before
    ("from January 1, 2010 through December 31, 2010" is 12); otherwise None."""
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    for day in (b, b + dt.timedelta(days=1)):
        if day.day == a.day:
            months = (day.year - a.year) * 12 + day.month - a.month
            return months if months > 0 else None
    return None


def _sentence_before(text: str, at: int, width: int = 300) -> str:
    """The words before ``at`` back to the start of their sentence (or clause number)."""
    head = text[max(0, at - width):at]
    cut = max(head.rfind(". "), head.rfind(".\n"), head.rfind(";"))
    return head[cut + 1:] if cut >= 0 else head


# "The term of this Agreement shall commence on the Effective Date and shall continue for a period of five (5)
# years thereafter": "thereafter" is after the start just named, not after termination.
_STARTS_THEN = re.compile(r"\b(?:commenc|begin|start)\w*\s+(?:on|as\s+of|upon)\s+(?:the\s+)?(?:Effective\s+Date|Commencement\s+Date"
                          r"|date\s+(?:hereof|of\s+this\s+Agreement))\b(?![^.;]*\b(?:terminat|expir|surviv)\w*)", re.I)


def _other_period(text: str, start: int, end: int) -> bool:
    before = re.sub(r"\s+", " ", _sentence_before(text, start, 160))
    after = re.sub(r"\s+", " ", text[end:end + 80])
    if re.match(r"[\s,'’]*thereafter\b", after) and _STARTS_THEN.search(before) and not _BEFORE_OTHER.search(before):
        return False
    # "shall remain in force for two (2) years, after which it shall continue until terminated": the period
    # before its renewal or continuation is the term itself.
    if re.match(r"[\s,]*(?:and\s+)?(?:after\s+which|thereafter)\s*,?\s+(?:it|this\s+Agreement)\s+(?:shall|will)\s+(?:automatically\s+)?"
                r"(?:continue|renew|be\s+(?:automatically\s+)?renewed|remain)\b", after) and not _BEFORE_OTHER.search(before):
        return False
    return bool(_AFTER_OTHER.match(after) or _BEFORE_OTHER.search(before))


_TERM_STATEMENTS = [
    ("prose 'term of this Agreement shall be'",
     rf"\bterm\s+of\s+this\s+(?:Agreement|Contract)\s+(?:shall|will|is)\s+(?:be\s+)?(?:for\s+)?(?:an?\s+(?:initial\s+)?"
     rf"(?:period|term)\s+of\s+)?(?P<v>{_TERM_V})"),
    ("label 'Term:'", rf"(?m)^\s*(?:Initial\s+)?(?:Contract\s+|Agreement\s+)?(?:Term|Duration)(?:\s+of\s+(?:the\s+)?Agreement)?\s*:\s*"
                      rf"(?P<v>{_TERM_V})"),
    ("prose 'the term is'", rf"\b(?:the\s+)?(?:effective\s+|initial\s+)?term\s+(?:hereof\s+)?(?:is|shall\s+be|will\s+be)\s+(?:for\s+)?"
                            rf"(?:an?\s+(?:period|term)\s+of\s+)?(?P<v>{_TERM_V})"),
    ("prose 'expires N years from the date hereof'",
     rf"\b(?:expire|terminate|end)s?\s+(?:on\s+the\s+date\s+(?:(?:that|which)\s+is\s+)?|on\s+the\s+(?:later|earlier)\s+of\s+(?:\(\w{{1,3}}\)\s+)?)?"
     rf"(?P<v>{_TERM_V})\s+(?:from|after)\s+(?:the\s+)?"
     r"(?:date\s+(?:hereof|of\s+this\s+Agreement)|Effective\s+Date|Commencement\s+Date)"),
    ("prose 'term / period of'", rf"\b(?:term|period|duration)\s+of\s+(?:approximately\s+)?(?P<v>{_TERM_V})"),
    ("prose 'runs / remains in effect for'",
     rf"\b(?:run|(?:continue|remain)\s+in\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?|continue|be\s+valid|be\s+effective|"
     rf"be\s+in\s+effect|last)s?\s+for\s+(?:an?\s+(?:initial\s+)?(?:period|term)\s+of\s+)?(?P<v>{_TERM_V})"),
    ("prose 'initial term'", rf"\binitial\s+term\s*(?:of|is|shall\s+be|will\s+be|:)\s*(?P<v>{_TERM_V})"),
    ("prose 'a N-year term'", r"\ban?\s+(?P<v>(?:[A-Za-z\-]{3,12}|\d{1,2})(?:\s*\(\s*\d{1,2}\s*\))?[\s-]+(?:year|month))"
                              r"\s+(?:initial\s+)?(?:term|engagement)\b"),
    ("prose 'a N-year period commencing on the Effective Date'",
     r"\ban?\s+(?P<v>(?:[A-Za-z\-]{3,12}|\d{1,2})(?:\s*\(\s*\d{1,2}\s*\))?[\s-]+(?:year|month))\s+period\s+"
     r"(?:commencing|beginning|starting|running)?\s*(?:on|from|as\s+of)\s+the\s+(?:Effective|Commencement)\s+Date"),
    ("prose 'until N years after the Effective Date'",
     rf"\buntil\s+(?:the\s+(?:date|day)\s+(?:which\s+is\s+)?)?(?P<v>{_TERM_V})\s+(?:subsequent\s+to|after|following|from)"
     r"\s+the\s+(?:Effective|Commencement|Start)\s+Date"),
]


# Phrasings that name a duration but not whose: "for a period of", "continues for", "a one-year term".
_GENERIC = {"prose 'term / period of'", "prose 'runs / remains in effect for'", "prose 'a N-year term'",
            "prose 'a N-year period commencing on the Effective Date'"}
_SUBJECT = re.compile(r"\b(?:this\s+(?:[\w-]+\s+){0,3}?(?:Agreement|Contract)|the\s+(?:Agreement|Contract)\b|(?:Initial\s+)?Term\b|"
                      r"initial\s+period|hereof|hereunder|engagement|appointment|sponsorship)"
                      r"|^\s*(?:It|This\s+(?:[\w-]+\s+){0,3}?(?:Agreement|Contract))\s+(?:shall|will|is)\b", re.I)
_QUALIFIED = re.compile(r"\b(?:at\s+least|not\s+less\s+than|no\s+less\s+than|(?:not\s+)?more\s+than|up\s+to|maximum|minimum|"
                        r"in\s+excess\s+of|not\s+(?:to\s+)?exceed(?:ing)?|longer\s+than|shorter\s+than)\s*(?:a\s+(?:period|term)\s+of\s+)?$",
                        re.I)
_CONDITION = re.compile(r"^\s*(?:\(?[\divx]+[.)]\s*)?(?:if|in\s+the\s+event|unless|should|where|provided|in\s+case)\b", re.I)


def _title_nouns(text: str) -> list[str]:
    """What the title calls the agreement ("MAINTENANCE AGREEMENT", "Sponsorship Agreement"):
    a sentence whose subject is "The maintenance" speaks of this agreement."""
    words = re.findall(r"\b([A-Za-z]{4,})\s+(?:Agreement|AGREEMENT|Contract|CONTRACT)\b", text[:600])
    return sorted({w.lower() for w in words} - {"this", "that", "such", "each", "other", "said"})


def _of_this_agreement(text: str, value_at: int, end: int) -> bool:
    """A duration phrased generically ("for a period of two (2) years") is this agreement's term
    only when its sentence is about the agreement or its term, not under a condition ("If Force
    Majeure continues for a period of at least six (6) months") and not a bound ("up to", "at least")."""
    sentence = _sentence_before(text, end, 300)
    nouns = _title_nouns(text)
    titled = bool(nouns) and bool(re.match(rf"\s*(?:the|this)\s+(?:{'|'.join(nouns)})\b", sentence, re.I))
    return ((bool(_SUBJECT.search(sentence)) or titled) and not _QUALIFIED.search(text[max(0, value_at - 40):value_at])
            and not _CONDITION.match(sentence))


def _number_words(raw: str) -> bool:
    """'five (5) years', 'twenty-four (24) months', '36 months': the words before the digits are a
    number; 'term of this Agreement and the five (5) year period following ...' is no statement."""
    words = raw.split("(")[0].strip() if "(" in raw else ""
    if words.isdigit():
        return True  # "2 (two) years": normalize_term has checked the words in brackets
    # a hedge or a bound before the number stays a reading (check_term sends those to review)
    words = _QUALIFIERS.sub("", words).strip()
    return not words or words_to_number(words) is not None


_QUALIFIERS = re.compile(r"^(?:.*\b(?:later|earlier|greater|lesser|longer|shorter)\s+of|.*\b(?:at\s+least|at\s+most|up\s+to|"
                         r"not\s+(?:less|more)\s+than|no\s+(?:less|more)\s+than|minimum\s+of|maximum\s+of|approximately|"
                         r"about|least))\s*|^(?:an?|the)\s+", re.I)


def term_readings(text: str, effective: str | None, set_aside: list[Reading] | None = None) -> list[Reading]:
    """Every statement of how long this agreement runs; other periods go to ``set_aside``."""
    out: list[Reading] = []
    unsure: list[Reading] = []
    for how, pattern in _TERM_STATEMENTS:
        for m in re.finditer(pattern, text, re.I):
            # "36-months", "one (1) calendar year"
            raw = re.sub(r"\bcalendar\s+", "", re.sub(r"\s+", " ", m["v"]).replace("-", " "))
            parsed = normalize_term(raw)
            if not parsed.ok or not parsed.normalized or parsed.ambiguous or not _number_words(raw):
                continue
            if _other_period(text, m.start(), m.end()):
                if set_aside is not None:
                    set_aside.append(Reading(parsed.normalized, raw, m.start("v"), how))
                continue
            if how in _GENERIC and not _of_this_agreement(text, m.start("v"), m.end()):
                # Whose period it is, the sentence does not say: a value for review at most. A bound
                # ("at least six months") or a condition ("If Force Majeure continues ...") is no term at all.
                bound = bool(_QUALIFIED.search(text[max(0, m.start("v") - 40):m.start("v")])
                             or _CONDITION.match(_sentence_before(text, m.end(), 300)))
                unsure.append(Reading(parsed.normalized, raw, m.start("v"), how, about=False,
                                      kind="bound" if bound else "unsaid"))
                continue
            hedged = bool(_HEDGED.search(text[max(0, m.start("v") - 60):m.end("v")]))
            # A label on a cover sheet ("Term: 24 months") or a duration counted from the
            # agreement's own start ("two years from the Effective Date") names what it measures.
            anchored = (how.startswith("label") or bool(_ANCHORED.match(text[m.end("v"):m.end("v") + 80]))
                        or bool(_AGREEMENT_RUNS.search(_sentence_before(text, m.start("v"), 200))))
            out.append(Reading(parsed.normalized, raw, m.start("v"), how, parsed.confirmed or anchored, hedged))
    # "commence on January 1, 2010 and extend through December 31, 2010": two dates, whole months.
    span = (rf"\b(?:commenc\w*|begin\w*|start\w*|effective)\s+(?:on\s+|as\s+of\s+)?(?P<a>{DATE})[^.;]{{0,80}}?"
            rf"\b(?:through|until|to|(?:and\s+)?(?:end|expir|terminat)\w*\s+(?:on\s+)?)\s*(?P<b>{DATE})")
    for m in re.finditer(span, text, re.I):
        a, b = normalize_date(m["a"]).normalized, normalize_date(m["b"]).normalized
        months = whole_months(a, b) if a and b else None
        if months and not _other_period(text, m.start(), m.start()):
            out.append(Reading(str(months), m[0], m.start(), "prose 'commence on DATE ... through DATE'", True))
    # "The Services shall be provided from 1 April 2020 to 31 March 2023": whole months; this agreement's
    # term where the sentence says so, else a value for review.
    # and a cover sheet's "Term: 1 January 2021 to 31 December 2021"
    for m in re.finditer(rf"(?:\b(?:from|for\s+the\s+period\s+(?:from|of))|(?m:^[ \t]*(?:Contract\s+|Agreement\s+)?Term[ \t]*:))\s+"
                         rf"(?P<a>{DATE})\s*(?:to|until|till|through|-|–)\s*"
                         rf"(?:and\s+including\s+)?(?P<b>{DATE})", text, re.I):
        a, b = normalize_date(m["a"]).normalized, normalize_date(m["b"]).normalized
        months = whole_months(a, b) if a and b else None
        if not months or _other_period(text, m.start(), m.start()) \
                or any(r.how.startswith("prose 'commence") and abs(r.start - m.start()) < 40 for r in out):
            continue
        if _of_this_agreement(text, m.start("a"), m.end()) or not m[0].lower().startswith(("from", "for")):
            out.append(Reading(str(months), m[0], m.start(), "prose 'from DATE to DATE'", True))
        else:
            unsure.append(Reading(str(months), m[0], m.start(), "prose 'from DATE to DATE'", about=False, kind="unsaid"))
    # "ends on the third anniversary of the Effective Date": whole years from the agreement's own start
    for m in _ANNIVERSARY.finditer(text):
        years = _ORDINALS.get(m["n"].lower()) or int(re.sub(r"\D", "", m["n"]) or 0)
        if m["ref"] and m["ref"].lower() == "thereof" and not _START_NAMED.search(_sentence_before(text, m.start(), 300)):
            continue
        if 0 < years <= 50 and not _other_period(text, m.start(), m.end()) and _of_this_agreement(text, m.start("n"), m.end()):
            out.append(Reading(str(12 * years), re.sub(r"\s+", " ", m[0]), m.start("n"),
                               "prose 'ends on the Nth anniversary of the Effective Date'", True))
    if effective:
        for m in re.finditer(rf"\b(?:until|through|expires?\s+on|terminates?\s+on|ending\s+on|end\s+on)\s+(?P<v>{DATE})",
                             text, re.I):
            end = normalize_date(m["v"]).normalized
            months = whole_months(effective, end) if end else None
            if months and not _other_period(text, m.start(), m.end()):
                out.append(Reading(str(months), m["v"], m.start("v"), "prose 'until DATE' from the effective date"))
    if out and set_aside is not None:
        # Not the term, but a duration that may compete with it (check_term); bounds and conditions do not.
        set_aside.extend(r for r in unsure if r.kind != "bound")
    return sorted(out or unsure, key=lambda r: r.start)


_ORDINALS = {w: i for i, w in enumerate(("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                                           "ninth", "tenth"), start=1)}
_ANNIVERSARY = re.compile(
    r"\b(?:(?:end|expire|terminate)s?|continue\s+(?:in\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?\s+)?until"
    r"|remain\s+in\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?\s+until|run\s+until)\s+(?:on\s+)?"
    r"the\s+(?:(?:date|day)\s+(?:of\s+)?(?:the\s+)?)?(?P<n>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
    r"|\d{1,2}(?:st|nd|rd|th))(?:\s*\(\s*\d{1,2}(?:st|nd|rd|th)?\s*\))?\s+anniversary\s+(?:of\s+(?:the\s+)?(?:Effective\s+Date"
    r"|Commencement\s+Date|date\s+(?:hereof|of\s+this\s+Agreement))|(?P<ref>hereof|thereof))", re.I)
# "shall become effective on the Effective Date and shall remain in effect until the third anniversary thereof":
# "thereof" is the agreement's start only when the sentence has just named it.
_START_NAMED = re.compile(r"\b(?:Effective\s+Date|Commencement\s+Date|date\s+(?:hereof|of\s+this\s+Agreement)|becomes?\s+effective"
                          r"|shall\s+(?:become\s+)?effective|commenc\w*\s+on)\b[^.;]{0,120}$", re.I)
_STATED_END = re.compile(rf"\b(?:this\s+Agreement|the\s+(?:Initial\s+)?Term)\b[^.;]{{0,80}}?\b(?:until|through|expir\w*\s+on|"
                         rf"terminat\w*\s+on|end\w*\s+on)\s+(?P<v>{DATE})", re.I)


def stated_end(text: str) -> str | None:
    """"This Agreement shall continue until December 31, 2002": an end date a term in months must
    agree with; without the start it cannot be checked."""
    for m in _STATED_END.finditer(text):
        if not _other_period(text, m.start(), m.end()):
            return re.sub(r"\s+", " ", m["v"])
    return None


def check_term(f: FieldValue, readings: list[Reading], set_aside: Sequence[Reading] = ()) -> FieldValue:
    """Keep the term only where this agreement's statements agree with it: a value read from a
    survival or renewal period is replaced by the agreement's own; statements that disagree send
    it to review; one statement alone is accepted only when its words and digits agree."""
    values = sorted({r.value for r in readings}, key=int)
    if f.normalized is not None and f.normalized not in values and not any(r.value == f.normalized for r in set_aside):
        # Read by a rule these statements do not cover: kept, but never beside a disagreeing one.
        if values:
            f.force_review = True
            f.reasons.append("the contract states several terms: "
                             + ", ".join(f"{v} months" for v in sorted({f.normalized, *values}, key=int)))
        return f
    if f.normalized is None or f.normalized not in values:
        if not readings:
            return f if f.normalized is None else missing_field(
                "term_months", f"{f.value!r} is another period (survival, renewal or notice)")
        first = readings[0]
        why = [f"found by {first.how}"] + ([] if f.normalized is None else
                                           [f"{f.value!r} is another period (survival, renewal or notice)"])
        f = FieldValue("term_months", first.raw, first.value, 0.95, f.page, None, why,
                       checked=first.confirmed, source=f.source or "text")
    if f.normalized is None:
        return f
    if len(values) > 1:
        f.force_review = True
        f.reasons.append("the contract states several terms: " + ", ".join(f"{v} months" for v in values))
        return f
    agreeing = [r for r in readings if r.value == f.normalized]
    if any(r.hedged for r in agreeing):
        f.force_review = True
        f.reasons.append("the term is one of alternatives ('the later of ...')")
        return f
    if not any(r.about for r in agreeing):
        f.force_review = True
        f.reasons.append("its sentence does not say the period is this agreement's term (a condition, a bound or "
                         "another subject)")
        return f
    # A duration whose sentence does not say whose it is ("the exclusive right to distribute ... for a
    # period of five (5) years") may still be what a reader takes for the term: a different one competes.
    unsure = sorted({r.value for r in set_aside if not r.about} - {f.normalized}, key=int)
    if unsure:
        f.force_review = True
        f.reasons.append("another duration may be meant: " + ", ".join(f"{v} months" for v in unsure))
        return f
    if len({r.start for r in agreeing}) >= 2 or any(r.confirmed for r in agreeing) or f.checked:
        if len(agreeing) >= 2:
            boost(f, f"{len(agreeing)} statements of the term agree")
    else:
        f.force_review = True
        f.reasons.append("one statement of the term, not confirmed by words and digits or a second statement")
    return f


_EFFECTIVE_STATEMENTS = [
    ("opening 'made / entered into / dated as of'",
     rf"\b(?:made|entered\s+into|dated|executed|concluded|signed)(?:\s+and\s+(?:entered\s+into|effective))?"
     # the place it was signed ("executed at Bengaluru on this 5th day of April, 2021", "made in New York on")
     rf"(?:\s+(?:at|in)\s+(?-i:[A-Z])[\w.\-]*(?:\s+(?-i:[A-Z])[\w.\-]*){{0,3}},?(?=\s+(?:on|this)\b))?"
     rf"(?:\s+(?:effective|to\s+be\s+effective))?\s*(?:as\s+of|on|at|effective|this|,)?\s*(?:this\s+|the\s+)?_*(?P<v>{DATE})"),
    ("'effective (as of) DATE'", rf"\beffective\s+(?:as\s+of\s+|on\s+|from\s+|date\s*:?\s*)?(?:this\s+|the\s+)?_*(?P<v>{DATE})"),
    # British and Commonwealth drafting: "This Agreement ... with effect from 1 July 2021"
    ("'with effect from DATE'", rf"\bwith\s+effect\s+(?:from|on|as\s+of)\s+(?:the\s+)?(?P<v>{DATE})"),
    # an order form's "Order Start Date:" / "Subscription Start Date:" too
    ("label 'Effective Date:'", rf"\b(?:Effective|Commencement|Start)\s+Date\s*[:\-]\s*(?P<v>{DATE})"),
    ("'the term begins on DATE'", rf"\b(?:commenc\w*|begin\w*|start\w*)\s+(?:on|as\s+of)\s+(?:the\s+)?(?P<v>{DATE})"),
    ("witness clause 'executed ... as of DATE'",
     rf"\bIN\s+(?:WITNESS|EVIDENCE)\s+WHEREOF[^.]{{0,160}}?\b(?:as\s+of|on|this)\s+(?:this\s+|the\s+)?(?P<v>{DATE})"),
]


def effective_readings(text: str, locale: str | None = None) -> list[Reading]:
    """Every statement of when this agreement was made or takes effect; dates of other
    agreements (in recitals, "the original ... made effective on", `(the "Note")`) set aside."""
    out: list[Reading] = []
    for how, pattern in _EFFECTIVE_STATEMENTS:
        for m in re.finditer(pattern, text, re.I):
            before = _sentence_before(text, m.start(), 400)
            if _WHEREAS.search(before) or _OTHER_AGREEMENT.search(before) or _DEFINES_OTHER.match(text[m.end():]):
                continue
            if how.startswith(("'effective", "'with effect")) and not re.search(
                    r"\b(?:to\s+be|shall\s+be|become|becomes|made|entered\s+into)\s*$", text[max(0, m.start() - 30):m.start()],
                    re.I) and not re.search(
                    r"\b(?:Agreement|Contract|Amendment|Addendum|hereof|hereto|hereunder)\b", before + text[m.end():m.end() + 60],
                    re.I):
                continue  # "termination effective on DATE", "the new price is effective ...": not the contract's start
            # "on 01.04.2020 at New Delhi": a dotted date is day first wherever dots are written (not in the US)
            parsed = normalize_date(re.sub(r"\s+", " ", m["v"]), locale=locale, dots_day_first=True)
            if parsed.normalized and not parsed.ambiguous:
                kind = "effective" if re.search(r"effect|commenc|begin|start", m[0], re.I) and not \
                    how.startswith("witness") else "made"
                if how.startswith("label") and m.start() > _HEAD_CHARS:
                    kind = "made"  # "Effective Date:" on a schedule or price list, pages after the contract's head
                out.append(Reading(parsed.normalized, m["v"], m.start("v"), how, kind=kind))
    return sorted(out, key=lambda r: r.start)


_LAST_SIGNATURE = re.compile(
    r"\beffective\s+(?:as\s+of\s+|on\s+|upon\s+)?(?:the\s+)?(?:date\s+(?:of\s+)?(?:the\s+)?)?(?:last|later|latest|final)\s+"
    r"(?:signature|of\s+the\s+(?:dates?|signatures?)|date\s+of\s+(?:execution|signature))"
    r"|\b(?:Effective\s+Date|effective)[^.;]{0,60}\bdate\s+(?:on\s+which|when)\s+[^.;]{0,60}\b(?:signed|executed)\b"
    r"|\bas\s+of\s+the\s+(?:date|day)\s+last\s+(?:(?:above|below|hereinafter)\s+)?(?:written|signed|set\s+forth)\b",
    re.I)


def last_signature(text: str) -> str | None:
    """"effective as of the date of the last signature": the date lies in the signature block."""
    m = _LAST_SIGNATURE.search(text)
    return re.sub(r"\s+", " ", m[0]) if m else None


_SIGNED_DATE = re.compile(rf"(?m)^\s*(?:Dated|Date|Date\s+signed|Signed\s+on)\s*:\s*(?P<v>{DATE})", re.I)
_SET_FORTH_BELOW = re.compile(r"\bas\s+of\s+the\s+(?:date|day)\s+(?:set\s+forth|written|indicated|stated)\s+below\b", re.I)


def signed_dates(text: str, locale: str | None = None) -> list[Reading]:
    """``Dated: April 8, 2020`` / ``Date: June 29, 2009`` lines: when the parties signed."""
    out = []
    for m in _SIGNED_DATE.finditer(text):
        parsed = normalize_date(re.sub(r"\s+", " ", m["v"]), locale=locale)
        if parsed.normalized and not parsed.ambiguous:
            out.append(Reading(parsed.normalized, m["v"], m.start("v"), "signature date 'Dated:'"))
    return out


# A contract under US law or filed under the US securities acts writes "4/8/2020" month first.
_US_CONTRACT = re.compile(rf"\bSecurities\s+(?:Exchange\s+)?Act\s+of\s+19(?:33|34)\b|\blaws\s+of\s+the\s+State\s+of\s+(?:{US_STATE_NAMES})\b"
                          rf"|\b(?:a|an)\s+(?:{US_STATE_NAMES})\s+(?:corporation|limited\s+liability\s+company|limited\s+partnership)\b")
_NOT_US = re.compile(r"\b(?:England|Wales|Scotland|Canada|Ontario|Australia|India|Hong\s+Kong|People'?s\s+Republic|PRC|Singapore"
                     r"|Germany|France|Netherlands|Israel|Cayman|British\s+Virgin|Bermuda|Ireland|Japan|Korea|Taiwan)\b")


def _from_signatures(f: FieldValue, text: str, locale: str | None) -> FieldValue:
    """No opening clause states a date: the dates the parties signed on. One date that the text
    points to ("effective as of the date set forth below") or two signatures on the same day are
    cross-checked; signatures on different days give the last one, for review. "Dated: 4/8/2020"
    in a US contract (its state's law, the securities acts, and no other country named) is read
    month first, for a person to confirm: the page does not print the order."""
    signed = signed_dates(text, locale)
    guessed = False
    if not signed and locale is None and _US_CONTRACT.search(text) and not _NOT_US.search(text):
        signed, guessed = signed_dates(text, "US"), True
    if not signed:
        return f
    values = sorted({r.value for r in signed})
    last = max(signed, key=lambda r: r.value)
    out = FieldValue("effective_date", last.raw, last.value, 0.95, f.page, None, [f"found by {last.how}"],
                     source=f.source or "text")
    if guessed:
        out.force_review = True
        out.reasons.append("numeric date read month first, as a US contract writes it (its governing law or the "
                           "securities acts); the page does not print the order")
    elif len(values) > 1:
        out.force_review = True
        out.reasons.append(f"signed on different days ({', '.join(values)}): the last signature's date")
    elif len(signed) >= 2 or _SET_FORTH_BELOW.search(text):
        out.checked = True
        boost(out, "the signature dates agree" if len(signed) >= 2 else "the text points to the date below")
    else:
        out.force_review = True
        out.reasons.append("one signature date, no clause states when the agreement was made")
    return out


def check_effective(f: FieldValue, readings: list[Reading], text: str, locale: str | None = None) -> FieldValue:
    """The effective date stays `accept`-able only when no statement about this agreement gives
    another date and it was not read from a recital or another agreement's date."""
    if f.normalized is None and not readings and last_signature(text) is None:
        return _from_signatures(f, text, locale)
    if f.normalized is None and not readings:
        # "effective as of the date of the last signature below": the last of the dates signed on.
        out = _from_signatures(f, text, locale)
        if out.normalized:
            out.checked = False
            out.force_review = True
            out.reasons.append(f"the contract says {last_signature(text)!r}: the last signature's date")
        return out
    if f.normalized is None:
        if readings and last_signature(text) is None:
            first = readings[0]
            f = FieldValue("effective_date", first.raw, first.value, 0.9, f.page, None, [f"found by {first.how}"],
                           source=f.source)
            f.force_review = True
            f.reasons.append("no opening clause or label states it")
        return f
    # A contract made on one day "to be effective" on another: the effective statements decide.
    effective = [r for r in readings if r.kind == "effective"]
    made_days = {r.value for r in readings if r.kind == "made"} if effective else set()
    readings = effective or readings
    values = {r.value for r in readings}
    signed_last = last_signature(text)
    if signed_last:
        f.force_review = True
        f.reasons.append(f"the contract says {signed_last!r}: the date is the last signature's")
        return f
    if f.normalized not in values:
        if len(values) == 1 and effective:
            first = readings[0]
            was = f.value
            f = FieldValue("effective_date", first.raw, first.value, f.confidence, f.page, None,
                           [f"found by {first.how}"], source=f.source)
            f.force_review = True
            f.reasons.append(f"the contract was made or dated {was!r} and takes effect on this date")
            return f
        f.force_review = True
        f.reasons.append("read from a recital or another agreement's date; this agreement's statements "
                         + (f"say {', '.join(sorted(values))}" if values else "give no date"))
        return f
    others = sorted(values - {f.normalized})
    if others:
        f.force_review = True
        f.reasons.append(f"the contract also states {', '.join(others)}")
        return f
    # A later commencement ("shall commence on") or a signature date, where it differs, may be the
    # date meant: only a date nothing else contradicts is accepted. (The day it was made is no rival
    # when the text says it takes effect on another: "made ... to be effective DATE".)
    rivals = sorted({r.value for r in other_start_dates(text, locale)} - {f.normalized} - made_days)
    if rivals:
        f.force_review = True
        f.reasons.append(f"a commencement or signature date could be meant: {', '.join(rivals)}")
        return f
    if agreements_in(text) >= 2:
        f.force_review = True
        f.reasons.append("the document holds more than one agreement (an amendment beside it)")
        return f
    agreeing = [r for r in readings if r.value == f.normalized]
    contest = start_contested(text, f.normalized, locale, explicit=any(r.kind == "effective" for r in agreeing))
    if contest is None and not any(_states_start(text, r) for r in agreeing):
        contest = "no opening clause, label or 'effective' statement names it the date the agreement is made or takes effect"
    if contest:
        f.force_review = True
        f.reasons.append(contest)
        return f
    if len(agreeing) >= 2:
        boost(f, f"{len(agreeing)} statements of the date agree")
    return f


_SIG_PAGES = re.compile(r"IN\s+WITNESS\s+WHEREOF|Accepted\s+and\s+Agreed|AGREED\s+AND\s+ACCEPTED", re.I)
_BLOCK_DATE = re.compile(rf"(?<!\w)(?<!Effective )(?<!Commencement )(?<!Start )(?:Dated|Date|Date\s+signed|Signed\s+on)\s*:\s*_*(?P<v>{DATE})",
                         re.I)
_COMMENCES = re.compile(
    rf"\b(?:shall|will|is\s+to)\s+(?:commence|begin|start)\s+(?:(?:on|upon|as\s+of|effective|from)\s+)?(?:the\s+)?(?P<v>{DATE})"
    rf"|\b(?:commencing|beginning|starting|(?:commence|begin|start)s)\s+(?:on\s+|as\s+of\s+)?(?P<w>{DATE})"
    rf"|(?P<x>{DATE})\s*\(\s*(?:the\s+)?[\"“]\s*(?:Commencement|Start|Launch|Operational)\s+Date\s*[\"”]", re.I)


_ANY_DATE = re.compile(rf"(?P<v>{DATE})", re.I)
_DATELINE = re.compile(rf"(?m)^[ \t]*(?:Dated:?\s*)?(?P<v>{DATE})[ \t]*$", re.I)
_SIG_PAGE_CHARS = 1500  # the witness clause and the blocks under it, not the exhibits after them


def other_start_dates(text: str, locale: str | None = None) -> list[Reading]:
    """Dates a reader may take for the start besides the opening clause's: the signature block's
    ``Date:`` lines (side by side, so anywhere on a line), any date printed on the signature
    page (a date beside a signature is when that party signed), and a commencement ("the term shall
    commence on DATE", "DATE (the "Commencement Date")")."""
    marks = [m.start() for m in _SIG_PAGES.finditer(text)]
    out = []
    sig = marks[-1] if marks else len(text) * 2 // 3
    for how, rx, start, end in (("signature date 'Date:'", _BLOCK_DATE, sig, len(text)),
                                ("a date on the signature page", _ANY_DATE, sig, sig + _SIG_PAGE_CHARS if marks else sig),
                                ("a dateline (a date alone on its line)", _DATELINE, 0, len(text)),
                                ("commencement 'shall commence on DATE'", _COMMENCES, 0, len(text))):
        for m in rx.finditer(text, start, end):
            raw = next(v for v in m.groupdict().values() if v)
            if how.startswith("commencement") and _other_period(text, m.start(), m.end()):
                continue
            parsed = normalize_date(re.sub(r"\s+", " ", raw), locale=locale)
            if parsed.normalized and not parsed.ambiguous:
                out.append(Reading(parsed.normalized, raw, m.start(), how))
    return out


_THIS_AGREEMENT = re.compile(r"\b(?:this|the\s+present)\s+(?:[\w-]+\s+){0,5}?(?:Agreement|Amendment|Contract|Addendum)\b", re.I)
_DEFINED_AS_THIS = re.compile(r"^[^.;]{0,80}?\(\s*(?:this|the)?\s*[\"“](?:Agreement|Amendment|Contract|Addendum)[\"”]", re.I)
_TITLE = re.compile(r"\b[A-Z]{3,}\s+(?:AGREEMENT|CONTRACT|AMENDMENT|ADDENDUM)\b")
_ANOTHER = re.compile(r"\b(?:an?|that\s+certain|the|each|such)\s+(?:[\w-]+\s+){0,3}?(?:agreement|contract|amendment)s?\b[^.;]*$", re.I)


def _states_start(text: str, r: Reading) -> bool:
    """A statement a paralegal takes as this agreement's date: it takes effect or begins on it
    ("effective as of", "commences on", "Effective Date:"), or the opening clause dates *this*
    agreement with it ("This Agreement is made as of", "SUPPLY AGREEMENT dated as of ... (this
    "Agreement")") on the contract's head; "the agreement between X and Y dated as of" in the
    same head dates another one."""
    if r.kind == "effective":
        return True
    if r.start >= _HEAD_CHARS or r.how.startswith("witness"):
        return False
    before = _sentence_before(text, r.start, 400)
    after = text[r.start + len(r.raw):r.start + len(r.raw) + 120]
    first = len(before) == r.start or r.start < 400 and "." not in before.strip()
    this = _THIS_AGREEMENT.search(before)
    if this and not _ANOTHER.search(before[this.end():]):
        return True
    return bool(_DEFINED_AS_THIS.match(after)) or (first and bool(_TITLE.search(before)) and not _ANOTHER.search(before))


# Where a reader would look for the start besides the dated opening clause, and find it open.
# Underscores a text layer may drop: "Dated this day of , 2015" is as blank as "this ___ day of ____, 2015".
_BLANK_DATE = re.compile(r"(?:_{3,}|\[\s*\]|\bXX\b)[ \t,]*(?:day\s+of\s+(?:_{3,}|\[\s*\])[ \t,]*)?(?:19|20)(?:_+|\d\d\b)"
                         r"|\b(?:19|20)_{1,2}(?!\w)|\b(?:this|the)\s+day\s+of\s*(?:,\s*)?(?:[A-Z][a-z]+\s*,?\s*)?(?:19|20)\d\d\b"
                         r"|\b(?:dated|made|entered\s+into|effective)\s+(?:as\s+of\s+|on\s+)?,\s*(?:19|20)\d\d\b", re.I)
_EVENT_START = re.compile(
    r"\b(?:this\s+Agreement|the\s+(?:Initial\s+)?Term(?:\s+of\s+this\s+Agreement)?)\s+(?:shall|will)\s+(?:commence|begin|start|"
    r"become\s+effective|be\s+effective|take\s+effect)\s+(?:up)?on\s+(?:the\s+)?(?!Effective\s+Date|date\s+(?:hereof|first|of\s+this|"
    r"set\s+forth|above|written))(?:(?:date|day)\s+(?:of|on\s+which|when|that)|later|earlier|first|execution|signing|signature|"
    r"approval|completion|receipt|launch|closing|delivery)"
    r"|[\"“]?(?:Effective|Commencement|Start)\s+Date[\"”]?\s*(?:\)\s*)?(?:means|shall\s+mean|shall\s+be|is)\s+(?:the\s+)?"
    r"(?!date\s+(?:hereof|first|of\s+this|set\s+forth|above|written))(?:date|day|later|earlier|first)"
    r"|\b(?:effective|commenc\w*|begin\w*|take\s+effect|enter\s+into\s+force)\s+(?:up)?on\s+(?:the\s+)?(?:full\s+|mutual\s+)?"
    r"(?:execution|signature|signing)\s+(?:hereof\s+)?(?:by|of)\s+(?:both|all|each)"
    r"|\b(?:this\s+Agreement|the\s+(?:Initial\s+)?Term)\s+(?:shall|will)\s+(?:become\s+|be\s+)?(?:effective|commence|begin|take\s+effect)\s+"
    r"(?:up)?on\s+(?:the\s+)?(?:closing|completion|consummation|receipt|approval|occurrence|satisfaction|fulfil\w*|issuance)\b"
    r"|\b(?:this\s+Agreement|the\s+(?:Initial\s+)?Term)\s+(?:shall|will)\s+(?:become\s+|be\s+)?(?:effective|commence|begin)\s+"
    r"(?:as\s+of|from)\s+the\s+(?:date|day)\s+(?:of\s+(?:its\s+)?(?:execution|signature|signing)|on\s+which|when)"
    r"|\b(?:later|earlier)\s+of\s+[^.;]{0,120}\b(?:Effective|Commencement)\s+Date"
    r"|\b(?:Effective|Commencement)\s+Date[^.;]{0,60}\b(?:later|earlier)\s+of\b", re.I)
_PERIOD_FROM = re.compile(rf"\b(?:period|term)\s+(?:commencing\s+|beginning\s+|starting\s+|running\s+)?(?:from|of)\s+(?P<v>{DATE})"
                          rf"\s*(?:,\s*)?(?:to|through|until|and\s+end\w*)\b"
                          rf"|\b(?:this\s+Agreement|the\s+(?:Initial\s+)?Term)\s+(?:shall|will)\s+(?:be\s+|remain\s+|continue\s+|run\s+)?"
                          rf"(?:in\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?\s+|valid\s+|effective\s+)?from\s+(?P<w>{DATE})", re.I)
# A signature line, at a line's start or beside another party's column: "By:", "Signature:".
_SIGN_LINE = re.compile(r"(?m)(?:^|(?<=\s))(?:By|BY|Signature|SIGNATURE|Signed\s+by)\s*:")
_SHORT_YEAR = re.compile(r"(?<![\d/.\-])\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2}(?![\d/.\-])")


def start_contested(text: str, value: str | None, locale: str | None = None, *, explicit: bool = False) -> str | None:
    """Why a careful reader would not type ``value`` in as the effective date though a clause
    states it: the date is left blank to fill in at signing (``____ 20__``), the start is an event
    ("shall commence on the date of first shipment", "the later of ..."), a period runs from another
    date, or a signature block (with or without a witness clause) carries another date, or a date
    written with a two-digit year that cannot be compared. None when nothing competes. A date the
    text states ``explicit``ly as the one it takes effect on ("executed on December 5 ... to be
    effective January 1") is not contested by the days the parties signed."""
    marks = [m.start() for m in _SIG_PAGES.finditer(text)] + [m.start() for m in _SIGN_LINE.finditer(text)]
    for start, end in [(0, _HEAD_CHARS)] + [(at, at + _SIG_PAGE_CHARS) for at in marks]:
        blank = _BLANK_DATE.search(text, start, end)
        if blank:
            where = "the contract's head" if start == 0 else "the signature page"
            return f"a date is left blank on {where} ({blank[0].strip()!r}): it is filled in at signing"
    m = _EVENT_START.search(text)
    if m:
        event = re.sub(r"\s+", " ", m[0])
        return f"the start is tied to an event or alternatives: {event!r}"
    for m in _PERIOD_FROM.finditer(text):
        parsed = normalize_date(re.sub(r"\s+", " ", m["v"] or m["w"]), locale=locale)
        if parsed.normalized and parsed.normalized != value and not _other_period(text, m.start(), m.end()):
            return f"a period runs from another date: {parsed.normalized}"
    for m in _SIGN_LINE.finditer(text) if not explicit else ():
        block = text[max(0, m.start() - 200):m.start() + 400]
        for d in _ANY_DATE.finditer(block):
            parsed = normalize_date(re.sub(r"\s+", " ", d["v"]), locale=locale)
            if parsed.normalized and parsed.normalized != value:
                return f"a signature block carries another date: {parsed.normalized}"
        short = _SHORT_YEAR.search(block)
        if short:
            return f"a signature block carries a date with a two-digit year: {short[0]!r}"
    return None


_OPENING = re.compile(r"\b(?:made|entered\s+into|executed)\b[^.;]{0,300}?\bbetween\b[^;]{0,400}?\(\s*(?:the\s+)?[\"“]", re.I)


def agreements_in(text: str) -> int:
    """How many opening clauses ("... is entered into ... by and between A ("X") and B") the
    document holds: an exhibit often files an amendment with the agreement it amends."""
    return len(_OPENING.findall(text))


# ---- counterparty -----------------------------------------------------------------------------
_LEGAL_FORM = re.compile(
    r"(?<![\w.])(?:Inc|Incorporated|Corp|Corporation|Co|Company|Ltd|Limited|LLC|L\.L\.C|LLP|L\.L\.P|LP|L\.P|PLC|GmbH|AG|KG|"
    r"S\.?A|S\.?A\.?S|SARL|S\.?p\.?A|N\.?V|B\.?V|Pty|Pte|S\.?L|Oy|AB|AS|A/S|K\.?K)\.?(?![\w])", re.I)
_ADDRESS = re.compile(r"\b(?:Road|Rd|Street|St|Avenue|Ave|Boulevard|Blvd|Suite|Floor|Parkway|Drive|Lane|P\.?\s?O\.?\s+Box)\b\.?",
                      re.I)
_TRADE_NAME = r",?\s*(?:d/b/a|d\.b\.a\.?|dba|doing\s+business\s+as|trading\s+as|t/a)\b"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a party's name at all: one word under three letters ("a."), a
    number or address ("9062 Old Annapolis Road"), the end of a sentence ("the Company.")."""
    words = name.split()
    if not words:
        return "no name"
    if len(words) == 1 and len(re.sub(r"[^A-Za-z]", "", name)) < 3:
        return "one word under three letters is not a name"
    if name[0].isdigit():
        return "a name does not begin with a digit (an address or a number)"
    last = words[-1]
    if last.endswith(".") and not _LEGAL_FORM.fullmatch(last) and not re.fullmatch(r"(?:[A-Z]\.)+", last):
        return "it ends a sentence"
    if _ADDRESS.search(name) and re.search(r"\d", name) or re.search(r"\b\d{3,}\b", name):
        return "an address or a number, not a name"
    return None


def _canon(name: str) -> str:
    s = re.sub(r"\b(?:the|inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.l\.c|lp|l\.p|plc|llp)\b\.?", " ",
               name.casefold().replace("&", "and"))
    return re.sub(r"[^a-z0-9]+", "", s)


def same_party(a: str, b: str) -> bool:
    """Two printings of one party's name (case, punctuation and legal form aside)."""
    return bool(_canon(a)) and _canon(a) == _canon(b)


# "by and among A ("Buyer"), B ("Seller") and C ("Guarantor")": each party's defined term in the opening clause
_PARTY_TERM = re.compile(r"\(\s*(?:the\s+|each\s+|hereinafter\s+(?:referred\s+to\s+as\s+)?(?:the\s+)?)?[\"“](?!(?:Agreement|Effective\s+Date"
                         r"|Parties|Party|Commencement\s+Date)[\"”])[A-Z][^\"”]{0,40}[\"”]")
# the clause ends with its last party's term ('... (the "Seller").') or where the recitals begin
_OPENING_END = re.compile(r"[)”\"]\s*\.(?=\s|$)|\bWHEREAS\b|\bRECITALS\b|\bNOW,?\s+THEREFORE\b|\bagree\s+as\s+follows\b|\bBACKGROUND\b",
                          re.I)


def parties_defined(text: str) -> int:
    """How many parties the opening clause ("between" / "among" up to the recitals) defines by a term."""
    m = re.search(r"\b(?:between|among)\b", text[:4000], re.I)
    if not m:
        return 0
    clause = text[m.end():m.end() + 1500]
    end = _OPENING_END.search(clause)
    clause = clause[:end.start()] if end else clause
    # a party's term follows its name with a legal form or "an individual"; "(the "Products")" is no party
    count, last = 0, 0
    for t in _PARTY_TERM.finditer(clause):
        if _LEGAL_FORM.search(clause[last:t.start()]) or re.search(r"\bindividual\b", clause[last:t.start()], re.I):
            count += 1
        last = t.end()
    return count


def check_counterparty(f: FieldValue, text: str, *, opening: str | None, printed_again: bool,
                       signs_himself: bool = False, openings: tuple[str, ...] = ()) -> FieldValue:
    """A counterparty is `accept`-able only when it is a name at all, carries a legal form (or is
    a person who signs himself), is printed whole again on the signature pages, agrees with the
    party the opening clause defines and with every other "between A and B" of the head
    (``openings``), is not cut before a trade name ("X, Inc. d/b/a Y"), and
    the document holds one agreement only."""
    name = f.normalized
    if not name or f.force_review:
        return f
    flat = re.sub(r"\s+", " ", text)
    problems = [name_problem(name)]
    if not signs_himself:
        problems += ["no legal form (Inc., LLC, AG ...): a fragment or trade name is not told from a name"
                     if not _LEGAL_FORM.search(name) else None,
                     None if printed_again else "the signature pages do not print the whole name again"]
    rival = next((o for o in openings if not same_party(o, name)), None)
    many = parties_defined(text)
    problems += [f"the opening clause defines {many} parties: which is the counterparty, a person decides" if many > 2 else None,
                 f"the opening clause defines {opening!r}" if opening and not same_party(opening, name) else None,
                 f"another 'between A and B' of the head names {rival!r} second (a title and the opening clause "
                 "order the parties differently)" if rival else None,
                 "printed with a trade name after it ('d/b/a')"
                 if re.search(re.escape(name) + r"[^()]{0,120}?" + _TRADE_NAME, flat, re.I) else None,
                 "the document holds more than one agreement (an amendment beside it)" if agreements_in(text) >= 2 else None]
    found = [p for p in problems if p]
    if found:
        f.force_review = True
        f.reasons.append(found[0])
    return f


# ---- fees -------------------------------------------------------------------------------------
# What an amount in a contract may be besides the fee for the term: a rate, a cap, a threshold.
_RATE_AFTER = re.compile(
    r"^[\s)]*(?:\([^)]{0,40}\)\s*)?(?:,\s*)?(?:(?:inclusive|exclusive)\s+of\s+\w+,?\s*)?(?:US\s*|USD\s*)?"
    r"(?:per\b|each\b|a\s+(?:month|year|week|day|quarter)|an\s+hour|/\s*\w|monthly|annually|yearly|quarterly|weekly|"
    r"hourly|per\s+annum|for\s+each|every)", re.I)
_LIMIT_BEFORE = re.compile(
    r"\b(?:not\s+(?:to\s+)?exceed\w*|up\s+to|maximum|minimum|at\s+least|no\s+(?:more|less)\s+than|exceeds?|in\s+excess\s+of|"
    r"limit\w*|cap\b|insurance|coverage|penalt\w*|liquidated|deductible|threshold|annual|monthly|yearly|quarterly|weekly|"
    r"hourly|per\b|each|royalt\w*|commission\w*|bonus|deposit|advance|installment\w*)\b[^.;]{0,120}$", re.I)
_TOTAL_BEFORE = re.compile(r"\b(?:total|aggregate|in\s+full|lump\s+sum|for\s+the\s+(?:initial\s+)?term|entire)\b[^.;]{0,100}$",
                           re.I)

_TOTAL_AFTER = re.compile(r"^[\s)]*(?:\([^)]{0,40}\)\s*)?,?\s*(?:for|during|over)\s+the\s+(?:initial\s+|entire\s+)?Term\b"
                          r"|^[\s)]*(?:in\s+total|in\s+the\s+aggregate|in\s+full)\b", re.I)
_FEE_BEFORE = re.compile(r"\b(?:fees?|compensation|consideration|price|sum|payment)\b[^.;]{0,80}$", re.I)


def check_fee(f: FieldValue, text: str) -> FieldValue:
    """A fee is `accept`-able only when cross-checked: its words and digits agree, or the
    sentence calls it the total or the fee, or the same amount is printed twice; a rate
    ("$1.00 per tonne"), a cap or a threshold ("not to exceed $5,000,000", "exceeds $100") is
    not the fee at all and is dropped."""
    if f.normalized is None or not f.value:
        return f
    at = text.find(f.value)
    if at < 0:
        return f
    before = re.sub(r"\s+", " ", _sentence_before(text, at, 240))
    after = re.sub(r"\s+", " ", text[at + len(f.value):at + len(f.value) + 80])
    # "$5,000 per month, for a total of $60,000 over the Term": the rate is another clause of the sentence
    totalled = bool(re.search(r"\b(?:a|the)\s+total\s+(?:amount\s+)?of\s*$", before, re.I)) \
        and not _LIMIT_BEFORE.search(before.rsplit(",", 1)[-1])
    if _RATE_AFTER.match(after) or (_LIMIT_BEFORE.search(before) and not totalled):
        # Not the fee for the term: not taken (the contract states none a reader could type in).
        return missing_field("total_amount", f"{f.value!r} is a rate, a limit or a periodic amount, not the fee for the term")
    if f.checked:
        return f
    digits = re.sub(r"[^\d]", "", f.value)
    printed = len(re.findall(rf"(?<![\d,.]){re.escape(f.value.strip())}(?![\d])", text)) if digits else 0
    if _TOTAL_BEFORE.search(before) or _TOTAL_AFTER.match(after) or printed >= 2:
        boost(f, "the amount is printed twice" if printed >= 2 else "the sentence states the total")
        return f
    if _FEE_BEFORE.search(before):
        f.reasons.append("the sentence names it the fee, with no rate or limit")
        return f
    f.force_review = True
    f.reasons.append("one statement of an amount, not named the fee, the total or printed twice")
    return f

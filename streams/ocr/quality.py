"""How well OCR read a page, against a reference text of the same page (its PDF text layer).

A diagnostic for the bench's scan path: the word error rate of the page text in reading
order, and the share of the reference's words (and of its words with digits: amounts,
dates, numbers, the words fields are made of) found anywhere on the OCR page. Reading
order differs between a text layer and OCR on multi-column pages, so the recall (order
free) tells lost words from reordered ones.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from streams.ocr.testpages import levenshtein

__all__ = ["page_text", "tokens", "word_error_rate", "token_recall", "compare_pages"]

_DIGIT = re.compile(r"\d")


def page_text(page: dict) -> str:
    """The page record's text in reading order (rows of lines, as extraction sees it)."""
    from streams.extract.layout import Layout

    return Layout.from_ocr({"pages": [{**page, "number": 1}]}).text


def tokens(text: str) -> list[str]:
    """Words as compared: NFKC (fullwidth colons are colons), split on whitespace and after a
    colon ("Datum:06.08.2013" and "Datum: 06.08.2013" are the same words to every label rule)."""
    return [t for t in re.split(r"\s+|(?<=:)", unicodedata.normalize("NFKC", text)) if t]


def word_error_rate(ref: list[str], hyp: list[str]) -> float:
    """Word-level edit distance / reference length (each distinct word is one symbol)."""
    ids: dict[str, str] = {}
    code = lambda ws: "".join(ids.setdefault(w, chr(0xE000 + len(ids))) for w in ws)  # noqa: E731
    a, b = code(ref), code(hyp)
    return levenshtein(b, a) / max(1, len(ref))


def token_recall(ref: list[str], hyp: list[str], *, digits_only: bool = False) -> tuple[int, int]:
    """(reference words found on the OCR page, reference words), counted as multisets."""
    want = Counter(w for w in ref if not digits_only or _DIGIT.search(w))
    got = Counter(hyp)
    return sum(min(n, got[w]) for w, n in want.items()), sum(want.values())


def compare_pages(reference: dict, ocr: dict) -> dict:
    """WER, word recall and digit-word recall of an OCR page against its reference page;
    ``missed_digits``: the reference's digit words OCR did not produce (first few)."""
    ref, hyp = tokens(page_text(reference)), tokens(page_text(ocr))
    found, total = token_recall(ref, hyp)
    dfound, dtotal = token_recall(ref, hyp, digits_only=True)
    left = Counter(hyp)
    missed = []
    for w in ref:
        if _DIGIT.search(w):
            if left[w]:
                left[w] -= 1
            else:
                missed.append(w)
    return {"words": len(ref), "wer": word_error_rate(ref, hyp), "found": found, "total": total,
            "digit_found": dfound, "digit_total": dtotal, "missed_digits": missed[:12]}

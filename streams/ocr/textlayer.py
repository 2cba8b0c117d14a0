"""A PDF page's text layer as words and lines in reading order, from character boxes.

PDF producers place text in any unit they like: a run per line, a run per word, or one text
object per glyph (typesetters that kern by hand, PDF printers, many invoicing tools). PDFium's
"text rectangles" follow those objects, so a glyph-per-object page came out one character per
line. Here every character is placed by its own box and the page is rebuilt from geometry:

1. characters are bucketed by writing direction (0°, 90°, 180°, 270°; PDFium gives each
   character's angle) so rotated margin text reads as a line, not a column of letters;
2. in each bucket, characters on the same baseline form a line; a line is cut where the gap
   is wider than ``_COLUMN_GAP`` font heights (a label and its value in another column become two
   lines, as an OCR engine returns them);
3. words break at a space in the text stream or at a gap wider than ``_WORD_GAP`` font heights;
   ligature glyphs (ﬁ, ﬂ, ﬀ, ...) are expanded and PDFium's soft-hyphen marks dropped;
4. upright lines are ordered by recursive XY-cut (bands top to bottom, columns left to right
   inside a band); rotated lines follow.

Boxes are page pixels at the render scale, origin top-left, after the page's /Rotate.
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Word", "TextLine", "read_text_layer", "garbled_words"]

# Distances in line heights of the font (≈ 1.1 em): a space is about 0.25 em, letter
# spacing under 0.1 em.
_WORD_GAP = 0.15      # wider than letter spacing, narrower than a space in most fonts
_COLUMN_GAP = 0.9     # wider than a (justified) word space: a table column or a form's value
_SAME_BASELINE = 0.3  # baselines closer than this share a line (sub/superscripts drift less)
_LIGATURES = {chr(c) for c in range(0xFB00, 0xFB07)}
_DROP = {"\x02", "\u00ad", "\ufeff"}  # PDFium's end-of-line hyphen mark, soft hyphen, BOM
# A word whose font maps a glyph to a code it cannot have printed: a private-use code among
# letters or digits (a font subset without a usable ToUnicode map), or a "%" right before a
# letter, not after a number ("Amount due in A%D", "Widgets R %s": the subset's "U" mapped to
# "%"; "19 %S19" is a rate and its VAT category code). Such a word is read again from its
# pixels (``streams.ocr.reader``). An icon font's glyph standing alone is left as it is.
_GARBLED = re.compile(r"(?<!\d)(?<!\d )%[^\W\d_]|[\ue000-\uf8ff](?=\w)|(?<=\w)[\ue000-\uf8ff]")


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class TextLine:
    words: tuple[Word, ...]
    box: tuple[float, float, float, float]
    rotation: int = 0  # writing direction on the rendered page, degrees clockwise
    size: float = 0.0  # font height in pixels (for the reading-order cuts)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass
class _Char:
    text: str
    index: int
    box: tuple[float, float, float, float]  # pixels, the glyph's ink
    along: tuple[float, float]   # extent in the writing direction
    baseline: float              # the origin's position towards the next line
    em: float                    # line height of its font in pixels (loose box, ≈ 1.1 em)


# Writing direction in pixel space (y down) per 90° bucket, and the direction of the next line.
_DIRS = {0: ((1, 0), (0, 1)), 90: ((0, 1), (-1, 0)), 180: ((-1, 0), (0, -1)), 270: ((0, -1), (1, 0))}


def garbled_words(words: list[str]) -> set[int]:
    """Which of a line's words hold a code their glyphs cannot be (see ``_GARBLED``); read as a
    line, so "19 %S19" is a rate beside a code, not a garbled word."""
    starts, at = [], 0
    for word in words:
        starts.append(at)
        at += len(word) + 1
    line = " ".join(words)
    return {bisect.bisect_right(starts, m.start()) - 1 for m in _GARBLED.finditer(line)}


def read_text_layer(page, textpage, scale: float) -> list[TextLine]:
    """Every line of the page in reading order (empty when the page has no text)."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    ox, oy = ctypes.c_double(), ctypes.c_double()
    w, h = page.get_size()
    rot = page.get_rotation() % 360
    buckets: dict[int, list[_Char]] = {}
    spaces: set[int] = set()
    raw = textpage.raw
    count = textpage.count_chars()
    for i in range(count):
        code = pdfium_c.FPDFText_GetUnicode(raw, i)
        if 0xDC00 <= code < 0xE000:
            continue  # the low half of a pair, taken with its high half
        if 0xD800 <= code < 0xDC00:  # PDFium gives UTF-16 code units: join the pair
            low = pdfium_c.FPDFText_GetUnicode(raw, i + 1) if i + 1 < count else 0
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00) if 0xDC00 <= low < 0xE000 else 0xFFFD
        if not 0 < code < 0x110000 or code == 0xFFFD:
            continue  # an icon glyph without a Unicode mapping: nothing to read
        ch = chr(code)
        if ch.isspace() or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
            spaces.add(i)
            continue
        if ch in _DROP or unicodedata.category(ch) == "Cc":
            continue
        if ch in _LIGATURES:
            ch = unicodedata.normalize("NFKC", ch)
        # The loose box spans the glyph's advance and the font's ascent to descent: a narrow
        # "1" or a comma then touches its neighbours as on the page (tight boxes leave gaps
        # that read as spaces, and a comma's box would fall out of its line).
        left, bottom, right, top = textpage.get_charbox(i, loose=True)
        if right <= left and top <= bottom:
            continue
        box = _to_pixels((left, bottom, right, top), w, h, rot, scale)
        tight = textpage.get_charbox(i)  # what the reviewer sees highlighted: the ink
        shown = _to_pixels(tight, w, h, rot, scale) if tight[2] > tight[0] and tight[3] > tight[1] else box
        # PDFium's angle runs clockwise from the x axis of user space (y up); add the page's
        # /Rotate to get the direction as the page is shown.
        angle = math.degrees(pdfium_c.FPDFText_GetCharAngle(raw, i))
        bucket = (int(round(angle / 90.0)) * 90 + rot) % 360
        d, n = _DIRS[bucket]
        xs, ys = (box[0], box[2]), (box[1], box[3])
        along = sorted(d[0] * x + d[1] * y for x in xs for y in ys)
        # Lines are told apart by baseline: loose boxes of neighbouring lines overlap, and
        # tight boxes of a comma or an apostrophe sit below or above their line.
        pdfium_c.FPDFText_GetCharOrigin(raw, i, ctypes.byref(ox), ctypes.byref(oy))
        px, py, _, _ = _to_pixels((ox.value, oy.value, ox.value, oy.value), w, h, rot, scale)
        # The loose box's height across the line (the font's ascent to descent) stands for the
        # font size: FPDFText_GetFontSize says 1.0 when a producer scales text by its matrix.
        across = [n[0] * x + n[1] * y for x in xs for y in ys]
        em = max(max(across) - min(across), 1.0)
        buckets.setdefault(bucket, []).append(_Char(ch, i, shown, (along[0], along[-1]), n[0] * px + n[1] * py, em))
    upright = _lines(buckets.pop(0, []), spaces, 0)
    rotated = [ln for b in sorted(buckets) for ln in _lines(buckets[b], spaces, b)]
    return _xy_cut(upright) + rotated


def _lines(chars: list[_Char], spaces: set[int], rotation: int) -> list[TextLine]:
    """Characters of one writing direction → lines (cut at column gaps) of words."""
    if not chars:
        return []
    chars.sort(key=lambda c: c.baseline)
    rows: list[list[_Char]] = []
    for c in chars:
        if rows and c.baseline - rows[-1][-1].baseline <= _SAME_BASELINE * min(c.em, rows[-1][-1].em):
            rows[-1].append(c)
        else:
            rows.append([c])
    out = []
    for row in rows:
        row.sort(key=lambda c: (c.along[0], c.index))
        segment: list[list[_Char]] = [[row[0]]]  # words of the current line
        lines: list[list[list[_Char]]] = [segment]
        for prev, c in zip(row, row[1:]):
            gap = c.along[0] - prev.along[1]
            em = max(prev.em, c.em, 1.0)
            if gap > _COLUMN_GAP * em:
                segment = [[c]]
                lines.append(segment)
            elif gap > _WORD_GAP * em or _space_between(prev.index, c.index, spaces):
                segment.append([c])
            else:
                segment[-1].append(c)
        for words in lines:
            made = tuple(Word("".join(c.text for c in word), _union([c.box for c in word])) for word in words)
            sizes = sorted(c.em for word in words for c in word)
            out.append(TextLine(made, _union([wd.box for wd in made]), rotation, sizes[len(sizes) // 2]))
    return out


def _space_between(i: int, j: int, spaces: set[int]) -> bool:
    """A space in the text stream between two neighbours in the text order (i, j close)."""
    lo, hi = min(i, j), max(i, j)
    return hi - lo <= 3 and any(k in spaces for k in range(lo + 1, hi))


def _union(boxes) -> tuple[float, float, float, float]:
    return (round(min(b[0] for b in boxes), 1), round(min(b[1] for b in boxes), 1),
            round(max(b[2] for b in boxes), 1), round(max(b[3] for b in boxes), 1))


def _xy_cut(lines: list[TextLine]) -> list[TextLine]:
    """Reading order: cut into horizontal bands at gaps taller than a line's leading, each band
    into columns at empty vertical strips, recursively; a block that cannot be cut reads top
    to bottom, left to right."""
    if len(lines) <= 1:
        return list(lines)
    sizes = sorted(ln.size for ln in lines)
    unit = max(sizes[len(sizes) // 2], 1.0)
    for axis, min_gap in ((1, 0.8 * unit), (0, 1.0 * unit)):  # y bands first, then x columns
        groups = _split(lines, axis, min_gap)
        if len(groups) > 1:
            return [ln for g in groups for ln in _xy_cut(g)]
    return sorted(lines, key=lambda ln: ((ln.box[1] + ln.box[3]) / 2, ln.box[0]))


def _split(lines: list[TextLine], axis: int, min_gap: float) -> list[list[TextLine]]:
    ordered = sorted(lines, key=lambda ln: ln.box[axis])
    groups: list[list[TextLine]] = [[ordered[0]]]
    reach = ordered[0].box[axis + 2]
    for ln in ordered[1:]:
        if ln.box[axis] - reach >= min_gap:
            groups.append([ln])
        else:
            groups[-1].append(ln)
        reach = max(reach, ln.box[axis + 2])
    return groups


def _to_pixels(rect, w: float, h: float, rot: int, scale: float) -> tuple[float, float, float, float]:
    """PDF user space (bottom-left origin, before /Rotate) -> rendered pixels (top-left)."""
    left, bottom, right, top = rect
    uw, uh = (h, w) if rot in (90, 270) else (w, h)  # w/h from get_size are after rotation
    if rot == 0:
        x0, y0, x1, y1 = left, uh - top, right, uh - bottom
    elif rot == 90:   # clockwise: user x -> down, user y -> right
        x0, y0, x1, y1 = bottom, left, top, right
    elif rot == 180:
        x0, y0, x1, y1 = uw - right, bottom, uw - left, top
    else:             # 270
        x0, y0, x1, y1 = uh - top, uw - right, uh - bottom, uw - left
    return (x0 * scale, y0 * scale, x1 * scale, y1 * scale)

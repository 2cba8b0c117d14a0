"""The text of an ``ocr.results`` record in reading order, with a way back to the boxes.

OCR engines return lines in detection order and split one visual row into several
boxes when the gap is wide (a label and its value in a form). Extractors want two
views: the *rows* (label → value to the right or below), and one running *text*
(prose that wraps across lines). Both map every character back to the line it came
from, so a field can report the page, box and OCR confidence of its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Line", "Span", "Layout", "union_box", "field_source", "FIELD_SOURCES"]

# Where a field's value was read (Field.source in fields.validated): a PDF text layer,
# OCR, an e-invoice's XML, or the sender memory of reviewed documents.
FIELD_SOURCES = ("text", "ocr", "e-invoice", "memory")


def field_source(text_source: str | None) -> str:
    """A page's ``text_source`` (ocr.results) → the field source a value read from it has."""
    return "text" if text_source == "text_layer" else "ocr"


@dataclass(frozen=True)
class Line:
    text: str
    confidence: float
    page: int
    box: dict  # {"x0","y0","x1","y1"} in page pixels
    row: int = 0  # row index on its page, reading order
    words: tuple = ()  # ((text, box), ...) where the reader gave word boxes (tables.py reads columns from them)
    agreed: bool = False  # OCR read the line twice with two models and both gave these characters
    reread: bool = False  # a text-layer line whose garbled words OCR read again: a value from it is OCR's

    @property
    def height(self) -> float:
        return max(self.box["y1"] - self.box["y0"], 1.0)


def union_box(boxes: list[dict]) -> dict | None:
    if not boxes:
        return None
    return {"x0": min(b["x0"] for b in boxes), "y0": min(b["y0"] for b in boxes),
            "x1": max(b["x1"] for b in boxes), "y1": max(b["y1"] for b in boxes)}


# No printed line holds more: a visual line at 4 pt across an A3 page is about 600 characters. A
# longer one is a producer's quirk or a hostile page, and several of the rules' patterns cost the
# square of a line's length (a 4 000-character word took 3 s, 100 000 would take minutes).
MAX_LINE_CHARS = 1000

# Swiss thousands are printed with any apostrophe-like mark ("12′760.00": a prime, from Typst);
# the finders know "'" and "’" only. One character for another, so offsets and boxes hold.
_APOSTROPHES = str.maketrans({"\u2032": "\u2019", "\u02bc": "\u2019", "\u00b4": "\u2019"})


@dataclass(frozen=True)
class Span:
    """A stretch of text and the lines it came from (one page: a value never spans pages)."""

    text: str
    lines: tuple[Line, ...]

    @property
    def page(self) -> int | None:
        return self.lines[0].page if self.lines else None

    @property
    def box(self) -> dict | None:
        return union_box([ln.box for ln in self.lines])

    @property
    def confidence(self) -> float:
        # The weakest line bounds how sure we are of any character taken from it.
        return min((ln.confidence for ln in self.lines), default=0.0)


@dataclass
class Layout:
    """Lines grouped into rows per page, and the page texts joined with offsets."""

    lines: list[Line]
    rows: list[list[Line]] = field(default_factory=list)
    text: str = ""
    _owner: list[int] = field(default_factory=list)  # line index owning each char of text
    sources: dict[int, str] = field(default_factory=dict)  # page number → field source
    page_sizes: dict[int, tuple[float, float]] = field(default_factory=dict)  # page number → (width, height)

    @classmethod
    def from_ocr(cls, record: dict) -> "Layout":
        lines: list[Line] = []
        rows: list[list[Line]] = []
        for page in sorted(record.get("pages") or [], key=lambda p: p["number"]):
            page_rows = _group_rows(page["number"], page.get("lines") or [])
            for r_index, row in enumerate(page_rows, start=len(rows)):
                placed = [Line(ln.text[:MAX_LINE_CHARS].translate(_APOSTROPHES), ln.confidence, ln.page, ln.box, r_index,
                               ln.words, ln.agreed, ln.reread) for ln in row]
                rows.append(placed)
                lines.extend(placed)
        sources = {p["number"]: field_source(p.get("text_source")) for p in record.get("pages") or []}
        sizes = {p["number"]: (float(p["width"]), float(p["height"])) for p in record.get("pages") or []
                 if p.get("width") and p.get("height")}
        layout = cls(lines=lines, rows=rows, sources=sources, page_sizes=sizes)
        layout._join()
        return layout

    def _join(self) -> None:
        parts: list[str] = []
        owner: list[int] = []
        index = {id(ln): i for i, ln in enumerate(self.lines)}
        previous_page = None
        for row in self.rows:
            if parts:
                sep = "\n\n" if row[0].page != previous_page else "\n"
                parts.append(sep)
                owner.extend([-1] * len(sep))
            for j, ln in enumerate(row):
                if j:
                    parts.append("  ")  # two spaces: a column gap, not a word gap
                    owner.extend([-1, -1])
                parts.append(ln.text)
                owner.extend([index[id(ln)]] * len(ln.text))
            previous_page = row[0].page
        self.text = "".join(parts)
        self._owner = owner

    def span(self, start: int, end: int) -> Span:
        """The lines that hold text[start:end]; only the first page's lines if it crosses one."""
        ids = sorted({o for o in self._owner[start:end] if o >= 0})
        lines = [self.lines[i] for i in ids]
        if lines:
            lines = [ln for ln in lines if ln.page == lines[0].page]
        return Span(self.text[start:end], tuple(lines))

    def row_text(self, row: list[Line]) -> str:
        return "  ".join(ln.text for ln in row)


# OCR models trained on CJK text read a colon or a digit as its fullwidth form (U+FF01-FF5E:
# "：06.08.2013"); the ASCII character is what every label and value pattern expects.
_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


_MAX_SLOPE = 0.27  # tan 15°: beyond this the words are not one tilted row but a column or noise


def _centre(box: dict) -> tuple[float, float]:
    return (box["x0"] + box["x1"]) / 2, (box["y0"] + box["y1"]) / 2


def _line_slope(words: list[dict]) -> tuple[float, float] | None:
    """(dy/dx of the word centres by least squares, their horizontal span), or None."""
    pts = [_centre(w["box"]) for w in words if isinstance(w, dict) and w.get("box")]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    span = max(x for x, _ in pts) - min(x for x, _ in pts)
    if sxx <= 0 or span <= 0:
        return None
    return sum((x - mx) * (y - my) for x, y in pts) / sxx, span


def page_slope(raw_lines: list[dict]) -> float:
    """How far the page's rows climb or fall (dy per dx), from the word boxes OCR gives
    inside each line: the length-weighted median over lines of several words. A page read
    crooked (a photo deskew missed, a bent receipt) puts a label and its value, far apart
    on one printed row, at different heights; this is what undoes it. 0 without words."""
    fits = []
    for r in raw_lines:
        box = r.get("box") or {}
        fit = _line_slope(r.get("words") or [])
        if fit is None or not box:
            continue
        slope, span = fit
        if abs(slope) <= _MAX_SLOPE and span >= 2 * max(box["y1"] - box["y0"] - abs(slope) * span, 1.0):
            fits.append(fit)
    if len(fits) < 3:
        return 0.0
    fits.sort()
    half, run = sum(w for _, w in fits) / 2, 0.0
    for slope, w in fits:
        run += w
        if run >= half:
            return slope
    return 0.0


def _group_rows(page_no: int, raw_lines: list[dict]) -> list[list[Line]]:
    """Rows = lines whose vertical centres, levelled by the page's slope, fall within half a
    line height of each other; a line's height is its box's less what the slope adds."""
    kept = [r for r in raw_lines if str(r.get("text") or "").strip()]
    slope = page_slope(kept)
    lines = [Line(str(r.get("text") or "").translate(_FULLWIDTH), float(r.get("confidence") or 0.0), page_no,
                  dict(r["box"]), words=tuple((str(w.get("text") or "").translate(_FULLWIDTH), dict(w["box"]))
                                              for w in r.get("words") or [] if w.get("box")),
                  agreed=bool(r.get("agreed")), reread=bool(r.get("reread")))
             for r in kept]

    def level(ln: Line) -> float:  # the centre's height moved to x = 0 along the slope
        x, y = _centre(ln.box)
        return y - slope * x

    def height(ln: Line) -> float:
        return max(ln.height - abs(slope) * (ln.box["x1"] - ln.box["x0"]), 0.5 * ln.height, 1.0)

    lines.sort(key=level)
    rows: list[list[Line]] = []
    for ln in lines:
        centre = level(ln)
        if rows:
            last = rows[-1]
            last_centre = sum(level(x) for x in last) / len(last)
            if abs(centre - last_centre) < 0.5 * min(height(ln), height(last[0])):
                last.append(ln)
                continue
        rows.append([ln])
    for row in rows:
        row.sort(key=lambda ln: ln.box["x0"])
    return rows

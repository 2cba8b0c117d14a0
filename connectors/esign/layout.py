"""Where an envelope's tabs go on the document: signature, date-signed and pre-filled text
tabs placed beside anchor text found in the PDF's text layer (pypdfium2), so the boxes
follow the layout ("Signature", "Signed by", "Unterschrift", "Signature du client", ...)
instead of a fixed spot.

Coordinates are PDF points (1/72 in) from the page's top-left corner, pages from 1; each
provider converts (Acrobat Sign measures ``top`` from the page bottom). A signer whose
anchor is not found (a scan without a text layer, a layout without the words) signs at
the bottom of the last page, one row per signer; a pre-filled value whose label is not
found goes in the last page's footer. A tab remembers its anchor text only when that text
occurs once in the document, so a provider that places tabs by anchor itself (DocuSign)
cannot put one signer's box at another signer's line.

>>> from connectors.esign.simulated import signed_pdf
>>> hits = find_text(signed_pdf("e1"), "Signed by")
>>> len(hits), hits[0].page
(1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Tab", "Hit", "find_text", "place_tabs", "SIGNATURE_SIZE", "DATE_SIZE"]

SIGNATURE_SIZE = (150.0, 28.0)
DATE_SIZE = (90.0, 18.0)
_GAP = 6.0


@dataclass(frozen=True)
class Hit:
    text: str
    page: int
    left: float
    top: float
    right: float
    bottom: float
    page_width: float
    page_height: float


@dataclass(frozen=True)
class Tab:
    """One tab. ``recipient``: index into the request's recipients; ``kind``: signature,
    date or text (a locked, pre-filled value: ``label``/``value``)."""

    kind: str
    recipient: int
    page: int
    x: float
    y: float
    width: float
    height: float
    page_height: float
    label: str = ""
    value: str | None = None
    anchor: str | None = None
    anchor_dx: float = 0.0   # the tab's offset from the anchor text's top-left corner
    anchor_dy: float = 0.0


def find_text(pdf: bytes, needle: str) -> list[Hit]:
    """Every occurrence of ``needle`` (case-insensitive) in the PDF's text layer."""
    import pypdfium2 as pdfium

    hits: list[Hit] = []
    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return hits  # not a readable PDF: the fallback places the tabs
    try:
        for number in range(len(document)):
            page = document[number]
            width, height = page.get_size()
            text = page.get_textpage()
            searcher = text.search(needle, match_case=False)
            while (found := searcher.get_next()) is not None:
                index, count = found
                boxes = [text.get_charbox(i) for i in range(index, index + count)]
                left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
                bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
                hits.append(Hit(needle, number + 1, left, height - top, right, height - bottom, width, height))
            searcher.close()
            text.close()
            page.close()
        return hits
    finally:
        document.close()


def _page_count_and_size(pdf: bytes) -> tuple[int, float, float]:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError:
        return 1, 612.0, 792.0  # US Letter: the provider renders the file, we only need a spot
    try:
        width, height = document[len(document) - 1].get_size()
        return len(document), width, height
    finally:
        document.close()


def _overlaps(a: Hit, b: Hit) -> bool:
    return a.page == b.page and a.left < b.right and b.left < a.right and a.top < b.bottom and b.top < a.bottom


def place_tabs(pdf: bytes, *, signer_anchors: list[str | None], anchors: list[str],
               prefill: list[tuple[str, str, str]]) -> tuple[Tab, ...]:
    """Signature + date tabs for each signer (``signer_anchors[i]``: its own anchor text or
    None for the request's ``anchors``), then locked text tabs for ``prefill``
    (label, value, anchor text)."""
    counts: dict[str, int] = {}
    candidates: list[Hit] = []
    # Longer anchors first: "Signature du client" must not also count as a bare "Signature".
    for needle in sorted({*anchors, *(a for a in signer_anchors if a)}, key=len, reverse=True):
        found = find_text(pdf, needle)
        counts[needle.lower()] = len(found)
        candidates += [h for h in found if not any(_overlaps(h, c) for c in candidates)]
    candidates.sort(key=lambda h: (h.page, h.top, h.left))
    pages, width, height = _page_count_and_size(pdf)
    taken: set[int] = set()

    def take(needle: str | None) -> Hit | None:
        for i, hit in enumerate(candidates):
            if i not in taken and (needle is None and hit.text in anchors or needle is not None and hit.text == needle):
                taken.add(i)
                return hit
        return None

    tabs: list[Tab] = []
    # Signers with their own anchor choose first, so the shared ones go to the others in order.
    chosen = {i: take(a) for i, a in enumerate(signer_anchors) if a}
    chosen.update({i: take(None) for i, a in enumerate(signer_anchors) if not a})
    for i in range(len(signer_anchors)):
        hit = chosen.get(i)
        if hit is None:
            x, y, page, page_height, page_width = 72.0, height - 144.0 + 40.0 * i - 40.0 * len(signer_anchors), pages, height, width
            anchor = None
        else:
            x, y, page, page_height, page_width = hit.right + _GAP, hit.top - 10.0, hit.page, hit.page_height, hit.page_width
            anchor = hit.text if counts.get(hit.text.lower()) == 1 else None
        sw, sh = SIGNATURE_SIZE
        x = min(x, page_width - sw - 18.0)
        origin = (hit.left, hit.top) if hit is not None else (x, y)
        tabs.append(Tab("signature", i, page, x, y, sw, sh, page_height, anchor=anchor,
                        anchor_dx=x - origin[0], anchor_dy=y - origin[1]))
        dx, dy = (x + sw + _GAP, y + sh - DATE_SIZE[1]) if x + sw + _GAP + DATE_SIZE[0] <= page_width - 18.0 \
            else (x, y + sh + _GAP)
        tabs.append(Tab("date", i, page, dx, dy, *DATE_SIZE, page_height, anchor=anchor,
                        anchor_dx=dx - origin[0], anchor_dy=dy - origin[1]))
    footer = 0
    for label, value, needle in prefill:
        hits = find_text(pdf, needle) if needle else []
        tw = max(60.0, 6.5 * len(value))
        if hits:
            hit = hits[0]
            tx = min(hit.right + _GAP, hit.page_width - tw - 18.0)
            tabs.append(Tab("text", 0, hit.page, tx, hit.top - 1.0, tw, 14.0, hit.page_height, label, value,
                            needle if len(hits) == 1 else None, tx - hit.left, -1.0))
        else:
            tabs.append(Tab("text", 0, pages, 72.0, height - 60.0 - 16.0 * footer, tw, 14.0, height, label, value))
            footer += 1
    return tuple(tabs)

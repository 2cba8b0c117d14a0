"""Documents to pages: PDFs through pypdfium2 (a page's real text layer is read, not
OCRed), images (PNG, JPEG, TIFF with several frames) through Pillow.

Pages come out in document order, lazily, so a long document never sits in memory as
bitmaps; the page limit is checked before the first page is rendered.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from inkstream.errors import OcrError

__all__ = ["RasterPage", "TextRun", "sniff", "page_count", "iter_pages", "PageLimitExceeded"]

_MIN_TEXT_CHARS = 20  # fewer alphanumerics than this is a stray label on a scan, not a text layer


class PageLimitExceeded(OcrError):
    """The document has more pages than ``ocr.max_pages``; goes to the DLQ with this reason."""


@dataclass(frozen=True)
class TextRun:
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in page pixels, top-left origin
    words: tuple = ()  # ((text, box), ...) in reading order (streams/ocr/textlayer.py)


@dataclass(frozen=True)
class RasterPage:
    number: int              # 1-based, document order
    width: int
    height: int
    dpi: int
    image: np.ndarray | None  # BGR, None when the text layer is used
    text_runs: tuple[TextRun, ...] | None = None


def sniff(data: bytes) -> str:
    """``pdf`` or ``image`` from the magic bytes (the declared content type can lie)."""
    head = data[:1024]
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")) or head[8:12] == b"WEBP":
        return "image"
    raise OcrError("not a PDF or a supported image (PNG, JPEG, TIFF, BMP, GIF, WebP)")


def _open_pdf(data: bytes):
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise OcrError(f"cannot open the PDF: {exc}") from exc


def _open_image(data: bytes):
    from PIL import Image

    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (OSError, Image.DecompressionBombError, ValueError) as exc:
        raise OcrError(f"cannot read the image: {exc}") from exc
    return img


def page_count(data: bytes) -> int:
    if sniff(data) == "pdf":
        doc = _open_pdf(data)
        try:
            return len(doc)
        finally:
            doc.close()
    return getattr(_open_image(data), "n_frames", 1)


def _check_limit(n: int, max_pages: int) -> None:
    if n > max_pages:
        raise PageLimitExceeded(f"document has {n} pages; the limit is {max_pages} (ocr.max_pages)")
    if n == 0:
        raise OcrError("document has no pages")


def iter_pages(data: bytes, *, dpi: int, max_pages: int, use_text_layer: bool = True) -> Iterator[RasterPage]:
    """Every page in order: a text-layer page as text runs, any other page as a bitmap."""
    if sniff(data) == "pdf":
        yield from _pdf_pages(data, dpi, max_pages, use_text_layer)
    else:
        yield from _image_pages(data, dpi, max_pages)


def _pdf_pages(data: bytes, dpi: int, max_pages: int, use_text_layer: bool) -> Iterator[RasterPage]:
    import pypdfium2 as pdfium

    doc = _open_pdf(data)
    try:
        _check_limit(len(doc), max_pages)
        scale = dpi / 72
        for i in range(len(doc)):
            page = doc[i]
            try:
                w_pt, h_pt = page.get_size()  # after /Rotate, as rendered
                runs = _text_runs(page, scale) if use_text_layer else None
                if runs:
                    yield RasterPage(i + 1, round(w_pt * scale), round(h_pt * scale), dpi, None, runs)
                    continue
                try:
                    pil = page.render(scale=scale).to_pil()
                except pdfium.PdfiumError as exc:
                    raise OcrError(f"cannot render page {i + 1}: {exc}") from exc
                rgb = np.asarray(pil.convert("RGB"))
                yield RasterPage(i + 1, rgb.shape[1], rgb.shape[0], dpi, np.ascontiguousarray(rgb[:, :, ::-1]))
            finally:
                page.close()
    finally:
        doc.close()


def _text_runs(page, scale: float) -> tuple[TextRun, ...] | None:
    """The page's text as lines of words with boxes, in reading order, or None when it has no
    real text layer. Built from character boxes (``textlayer``), whatever objects the
    producer drew the text with."""
    from streams.ocr.textlayer import read_text_layer

    tp = page.get_textpage()
    try:
        whole = tp.get_text_range()
        if sum(ch.isalnum() for ch in whole) < _MIN_TEXT_CHARS:
            return None
        lines = read_text_layer(page, tp, scale)
        runs = tuple(TextRun(ln.text, ln.box, tuple((wd.text, wd.box) for wd in ln.words)) for ln in lines)
        return runs or None
    finally:
        tp.close()


def _image_pages(data: bytes, dpi: int, max_pages: int) -> Iterator[RasterPage]:
    from PIL import ImageSequence

    img = _open_image(data)
    _check_limit(getattr(img, "n_frames", 1), max_pages)
    for i, frame in enumerate(ImageSequence.Iterator(img)):
        rgb = np.asarray(frame.convert("RGB"))
        frame_dpi = frame.info.get("dpi", (dpi, dpi))[0] or dpi
        yield RasterPage(i + 1, rgb.shape[1], rgb.shape[0], int(round(float(frame_dpi))),
                         np.ascontiguousarray(rgb[:, :, ::-1]))

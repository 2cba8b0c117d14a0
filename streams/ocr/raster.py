"""Documents to pages: PDFs through pypdfium2 (a page's real text layer is read, not
OCRed), images (PNG, JPEG, TIFF with several frames) through Pillow.

Pages come out in document order, lazily, so a long document never sits in memory as
bitmaps; the page limit is checked before the first page is rendered.

Hostile files: a 331-byte PDF can declare a 7200 pt page (20000 x 20000 px at 200 dpi,
1.2 GB as RGB) and a small PNG can declare 40000 x 40000 pixels. Every page has a pixel
budget (``ocr.max_page_pixels``): a PDF page over it is rendered at the dpi that fits, an
image frame over it is reduced after decoding, and the page records why
(``RasterPage.downscaled``). An image frame whose header declares more than
``ocr.max_image_pixels`` is refused before a byte of it is decoded (a PNG cannot be
decoded at a smaller size; a JPEG can, and is, through the decoder's draft mode).
"""

from __future__ import annotations

from inkstream.errors import ImageTooLarge  # noqa: F401 - defined in the one error tree
from inkstream.errors import PageLimitExceeded  # noqa: F401 - defined in the one error tree

import io
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from inkstream.errors import OcrError

__all__ = ["RasterPage", "TextRun", "sniff", "page_count", "iter_pages", "PageLimitExceeded", "ImageTooLarge",
           "PixelBudget", "pdf_scale", "open_image_checked", "fit_frame", "DEFAULT_BUDGET"]

_MIN_TEXT_CHARS = 20  # fewer alphanumerics than this is a stray label on a scan, not a text layer


@dataclass(frozen=True)
class PixelBudget:
    """``page``: most pixels a page is rendered or kept at (over it: a lower dpi, recorded).
    ``image``: most pixels an image frame may declare to be decoded at all."""

    page: int = 25_000_000
    image: int = 89_478_485

    @classmethod
    def from_settings(cls, ocr) -> "PixelBudget":
        return cls(page=ocr.max_page_pixels, image=ocr.max_image_pixels)


DEFAULT_BUDGET = PixelBudget()


def pdf_scale(w_pt: float, h_pt: float, dpi: int, budget: PixelBudget) -> tuple[float, str | None]:
    """Render scale (pixels per point) for a page of ``w_pt`` x ``h_pt`` at ``dpi`` within
    the budget, and the reason when it had to be lowered (None when not)."""
    if not (w_pt > 0 and h_pt > 0 and math.isfinite(w_pt * h_pt)):
        raise OcrError(f"page size {w_pt} x {h_pt} pt is not a drawable page")
    scale = dpi / 72
    wanted = math.ceil(w_pt * scale) * math.ceil(h_pt * scale)
    if wanted <= budget.page:
        return scale, None
    fit = math.sqrt(budget.page / (w_pt * h_pt)) * 0.999  # rounding up must not cross the budget
    return fit, (f"page of {w_pt:.0f} x {h_pt:.0f} pt is {wanted:,} px at {dpi} dpi, over "
                 f"ocr.max_page_pixels={budget.page:,}: rendered at {fit * 72:.0f} dpi")


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
    image: np.ndarray | None  # BGR; with text_runs, only for the words the text layer garbles
    text_runs: tuple[TextRun, ...] | None = None
    downscaled: str | None = None  # why the page is below the dpi asked for (pixel budget)


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


def open_image_checked(data: bytes, budget: PixelBudget = DEFAULT_BUDGET):
    """The image opened lazily (only its header read) with its first frame checked against
    ``budget.image``; frames are checked again by :func:`fit_frame` before decoding."""
    from PIL import Image

    try:
        with warnings.catch_warnings():  # Pillow warns past its MAX_IMAGE_PIXELS; our check decides
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # header only: nothing decoded yet
    except Image.DecompressionBombError as exc:  # Pillow's own ceiling (2 x MAX_IMAGE_PIXELS), at open
        raise ImageTooLarge(f"image refused before decoding (ocr.max_image_pixels; Pillow's own "
                            f"ceiling is twice its MAX_IMAGE_PIXELS): {exc}") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise OcrError(f"cannot read the image: {exc}") from exc
    _check_declared(img, budget, 1)
    return img


def _check_declared(frame, budget: PixelBudget, number: int) -> None:
    w, h = frame.size
    if w <= 0 or h <= 0:
        raise OcrError(f"image frame {number} declares {w} x {h} pixels")
    if w * h > budget.image and frame.format != "JPEG":  # a JPEG is decoded reduced (draft)
        raise ImageTooLarge(f"image frame {number} declares {w} x {h} = {w * h:,} pixels, over "
                            f"ocr.max_image_pixels={budget.image:,}: refused before decoding")


def fit_frame(frame, budget: PixelBudget, number: int = 1):
    """Decode one frame within the budget: (RGB image, reason it was reduced or None)."""
    from PIL import Image

    _check_declared(frame, budget, number)
    w, h = frame.size
    reason = None
    if w * h > budget.page:
        reason = f"image frame of {w} x {h} = {w * h:,} px is over ocr.max_page_pixels={budget.page:,}"
        if frame.format == "JPEG":
            # DCT scaling: the decoder itself produces 1/2, 1/4 or 1/8 of the width. draft()
            # picks the smallest such scale at least the size asked, so asking for half the
            # scale that fits gives the largest scale under the budget.
            k = math.sqrt(budget.page / (w * h)) / 2
            frame.draft("RGB", (max(1, int(w * k)), max(1, int(h * k))))
            if frame.size[0] * frame.size[1] > budget.image:
                raise ImageTooLarge(f"JPEG of {w} x {h} px cannot be decoded under "
                                    f"ocr.max_image_pixels={budget.image:,}")
    try:
        rgb = frame.convert("RGB")
    except (OSError, Image.DecompressionBombError, ValueError, SyntaxError) as exc:
        raise OcrError(f"cannot decode image frame {number}: {exc}") from exc
    except MemoryError as exc:
        raise OcrError(f"image frame {number} does not fit the memory ceiling (ocr.memory_limit_mb)") from exc
    if rgb.width * rgb.height > budget.page:
        k = math.sqrt(budget.page / (rgb.width * rgb.height)) * 0.999
        rgb = rgb.resize((max(1, int(rgb.width * k)), max(1, int(rgb.height * k))), Image.Resampling.BOX)
    if reason:
        reason += f": kept at {rgb.width} x {rgb.height} px"
    return rgb, reason


def page_count(data: bytes, budget: PixelBudget = DEFAULT_BUDGET) -> int:
    if sniff(data) == "pdf":
        doc = _open_pdf(data)
        try:
            return len(doc)
        finally:
            doc.close()
    return _frames(open_image_checked(data, budget))


def _frames(img) -> int:
    """Pages in an image file: a multi-page TIFF's frames; a phone camera's MPO JPEG carries a
    preview or depth picture of the same shot as its second frame, which is no page."""
    return 1 if img.format == "MPO" else getattr(img, "n_frames", 1)


def _check_limit(n: int, max_pages: int) -> None:
    if n > max_pages:
        raise PageLimitExceeded(f"document has {n} pages; the limit is {max_pages} (ocr.max_pages)")
    if n == 0:
        raise OcrError("document has no pages")


def iter_pages(data: bytes, *, dpi: int, max_pages: int, use_text_layer: bool = True,
               budget: PixelBudget = DEFAULT_BUDGET) -> Iterator[RasterPage]:
    """Every page in order: a text-layer page as text runs, any other page as a bitmap."""
    if sniff(data) == "pdf":
        yield from _pdf_pages(data, dpi, max_pages, use_text_layer, budget)
    else:
        yield from _image_pages(data, dpi, max_pages, budget)


def render_pdf_page(page, scale: float, number: int) -> np.ndarray:
    """One PDF page as a contiguous BGR array (PDFium's own byte order: no PIL round trip,
    one bitmap and one copy at most)."""
    import pypdfium2 as pdfium

    try:
        bitmap = page.render(scale=scale)
        arr = bitmap.to_numpy()
    except pdfium.PdfiumError as exc:
        raise OcrError(f"cannot render page {number}: {exc}") from exc
    except MemoryError as exc:
        raise OcrError(f"page {number} does not fit the memory ceiling (ocr.memory_limit_mb)") from exc
    if bitmap.mode == "L":
        arr = np.repeat(arr[:, :, None] if arr.ndim == 2 else arr, 3, axis=2)
    elif bitmap.mode in ("RGB", "RGBA", "RGBX"):
        arr = arr[:, :, 2::-1]
    else:  # BGR, BGRA, BGRX
        arr = arr[:, :, :3]
    return np.ascontiguousarray(arr)


def _pdf_pages(data: bytes, dpi: int, max_pages: int, use_text_layer: bool,
               budget: PixelBudget) -> Iterator[RasterPage]:
    doc = _open_pdf(data)
    try:
        _check_limit(len(doc), max_pages)
        for i in range(len(doc)):
            page = doc[i]
            try:
                w_pt, h_pt = page.get_size()  # after /Rotate, as rendered
                scale, reason = pdf_scale(w_pt, h_pt, dpi, budget)
                page_dpi = int(round(scale * 72))
                runs = _text_runs(page, scale) if use_text_layer else None
                if runs:
                    # words whose font maps glyphs to impossible codes are read again from the
                    # pixels: the bitmap comes along for them (``reader.text_layer_record``)
                    pixels = render_pdf_page(page, scale, i + 1) if _garbled_words(runs) else None
                    yield RasterPage(i + 1, round(w_pt * scale), round(h_pt * scale), page_dpi, pixels, runs, reason)
                    continue
                bgr = render_pdf_page(page, scale, i + 1)
                yield RasterPage(i + 1, bgr.shape[1], bgr.shape[0], page_dpi, bgr, None, reason)
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


def _garbled_words(runs: tuple[TextRun, ...]) -> bool:
    from streams.ocr.textlayer import garbled_words

    return any(garbled_words([text for text, _ in run.words]) for run in runs)


def _image_pages(data: bytes, dpi: int, max_pages: int, budget: PixelBudget) -> Iterator[RasterPage]:
    from PIL import ImageSequence

    img = open_image_checked(data, budget)
    pages = _frames(img)
    _check_limit(pages, max_pages)
    try:
        for i, frame in zip(range(pages), ImageSequence.Iterator(img)):
            declared_w = frame.size[0]
            pil, reason = fit_frame(frame, budget, i + 1)
            frame_dpi = float(frame.info.get("dpi", (dpi, dpi))[0] or dpi)
            if pil.width != declared_w:  # reduced: the page's dpi falls with it (boxes stay true)
                frame_dpi *= pil.width / declared_w
            rgb = np.asarray(pil)
            yield RasterPage(i + 1, rgb.shape[1], rgb.shape[0], max(1, int(round(frame_dpi))),
                             np.ascontiguousarray(rgb[:, :, ::-1]), None, reason)
    except (OSError, EOFError, ValueError, SyntaxError) as exc:
        raise OcrError(f"cannot read the image: {exc}") from exc

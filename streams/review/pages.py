"""Render one page of an original as PNG, at the DPI the OCR read it, so that the boxes
recorded in fields.validated line up with the picture.

The same pixel budget as the OCR raster (``streams.ocr.raster``): a page over
``ocr.max_page_pixels`` comes out at the lower dpi OCR read it at (so the boxes still line
up), an image frame declaring more than ``ocr.max_image_pixels`` is refused undecoded
(OcrError: the app answers 422)."""

from __future__ import annotations

import io

from streams.ocr.raster import DEFAULT_BUDGET, PixelBudget, fit_frame, open_image_checked, pdf_scale

__all__ = ["render_page", "PixelBudget"]


def render_page(data: bytes, content_type: str, page: int, dpi: int, budget: PixelBudget = DEFAULT_BUDGET) -> bytes:
    """PNG of 1-based ``page``; raises IndexError when the document has no such page and
    OcrError when it cannot be drawn within the budget."""
    from PIL import Image

    if content_type == "application/pdf" or data[:5] == b"%PDF-":
        from streams.ocr.raster import _open_pdf, render_pdf_page

        pdf = _open_pdf(data)
        try:
            if not 1 <= page <= len(pdf):
                raise IndexError(page)
            p = pdf[page - 1]
            width, height = p.get_size()
            scale, _ = pdf_scale(width, height, dpi, budget)
            image = Image.fromarray(render_pdf_page(p, scale, page)[:, :, ::-1])
        finally:
            pdf.close()
    else:
        frames = open_image_checked(data, budget)
        try:
            frames.seek(page - 1)
        except EOFError as exc:
            raise IndexError(page) from exc
        image, _ = fit_frame(frames, budget, page)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()

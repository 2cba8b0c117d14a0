"""Render one page of an original as PNG, at the DPI the OCR read it, so that the boxes
recorded in fields.validated line up with the picture."""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["render_page"]


def render_page(data: bytes, content_type: str, page: int, dpi: int) -> bytes:
    """PNG of 1-based ``page``; raises IndexError when the document has no such page."""
    if content_type == "application/pdf" or data[:5] == b"%PDF-":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            if not 1 <= page <= len(pdf):
                raise IndexError(page)
            image = pdf[page - 1].render(scale=dpi / 72).to_pil()
        finally:
            pdf.close()
    else:
        image = Image.open(io.BytesIO(data))
        try:
            image.seek(page - 1)
        except EOFError as exc:
            raise IndexError(page) from exc
        image = image.convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()

"""Synthetic contract and invoice pages with their ground truth, for tests and benchmarks.

Pages are written with fpdf2 (so the truth is exactly the text drawn), rendered at a set
DPI with pypdfium2, then degraded the way scans are: rotated, skewed, noisy, blurred,
JPEG-compressed. ``cer`` scores an OCR result against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SamplePage", "contract_lines", "invoice_lines", "text_pdf", "mixed_pdf", "scanned_pdf",
           "render_pdf_page", "degrade", "sample_pages", "cer", "levenshtein", "reading_order_text"]


@dataclass(frozen=True)
class SamplePage:
    name: str
    image: np.ndarray          # BGR uint8, as a scanner would deliver it
    truth: list[str]           # the lines drawn, top to bottom
    rotation: int = 0          # degrees the page was turned (clockwise) before "scanning"
    skew: float = 0.0


def contract_lines(seed: int = 0) -> list[str]:
    n = 4000 + seed * 37
    return [
        "MASTER SERVICES AGREEMENT",
        f"Agreement No. MSA-2026-{n:05d}",
        "This Agreement is made on 14 March 2026 between Northwind Traders GmbH,",
        "Hauptstrasse 12, 10115 Berlin (the Customer) and Contoso Analytics Ltd,",
        "5 Fleet Street, London EC4Y 1AA (the Supplier).",
        "1. Services. The Supplier shall provide data processing services as set out",
        "in Schedule A, including document capture, recognition and CRM synchronisation.",
        f"2. Fees. The Customer shall pay a total contract amount of EUR {48 + seed},750.00",
        "(forty-eight thousand seven hundred fifty euros) payable within 30 days of invoice.",
        "3. Term. This Agreement starts on 1 April 2026 and ends on 31 March 2029 unless",
        "terminated earlier by either party with 90 days written notice.",
        "4. Confidentiality. Each party keeps the other party's information confidential.",
        "5. Governing law. This Agreement is governed by the laws of England and Wales.",
        "Signed for the Customer: Anna Schmidt, Head of Procurement",
        "Signed for the Supplier: James O'Connor, Managing Director",
        "Contact: contracts@contoso-analytics.example  Phone: +44 20 7946 0958",
    ]


def invoice_lines(seed: int = 0) -> list[str]:
    return [
        "INVOICE",
        f"Invoice number: INV-2026-{7310 + seed}",
        "Invoice date: 2026-05-02   Due date: 2026-06-01",
        "Bill to: Fabrikam Logistics Inc, 400 Pine Avenue, Seattle, WA 98101",
        "VAT ID: DE 811 907 980   Purchase order: PO-88213",
        "Item  Description                       Qty   Unit price     Amount",
        "1     Document capture licence          12      149.00      1,788.00",
        "2     OCR processing, per 1,000 pages   40       18.50        740.00",
        "3     CRM connector, annual              1    2,400.00      2,400.00",
        "4     Implementation days                5      950.00      4,750.00",
        "Subtotal                                                    9,678.00",
        "VAT 19%                                                     1,838.82",
        "Total due                                            EUR 11,516.82",
        "IBAN: DE89 3704 0044 0532 0130 00   BIC: COBADEFFXXX",
        "Please quote the invoice number with your payment.",
    ]


def text_pdf(pages: list[list[str]]) -> bytes:
    """A digital PDF (real text layer), one list of lines per page, letter size."""
    return mixed_pdf(pages)


def mixed_pdf(pages: list, dpi: int = 200) -> bytes:
    """A letter-size PDF; each item is a list of lines (a text-layer page) or a BGR image
    at ``dpi`` (a scanned page, no text layer)."""
    from fpdf import FPDF
    from PIL import Image

    pdf = FPDF(format="letter", unit="pt")
    pdf.set_auto_page_break(False)
    for item in pages:
        pdf.add_page()
        if isinstance(item, np.ndarray):
            pil = Image.fromarray(np.ascontiguousarray(item[:, :, ::-1]))
            pdf.image(pil, x=0, y=0, w=item.shape[1] * 72 / dpi, h=item.shape[0] * 72 / dpi)
            continue
        y = 72.0
        for i, line in enumerate(item):
            bold = i == 0
            pdf.set_font("Helvetica", "B" if bold else "", 16 if bold else 11)
            pdf.set_xy(60, y)
            pdf.cell(0, 14, line)
            y += 30 if bold else 24
    return bytes(pdf.output())


def render_pdf_page(pdf: bytes, index: int = 0, dpi: int = 200) -> np.ndarray:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        bitmap = doc[index].render(scale=dpi / 72)
        rgb = np.array(bitmap.to_pil().convert("RGB"))
    finally:
        doc.close()
    return np.ascontiguousarray(rgb[:, :, ::-1])


def scanned_pdf(images: list[np.ndarray], dpi: int = 200) -> bytes:
    """An image-only PDF (no text layer), one BGR image per letter page."""
    return mixed_pdf(images, dpi)


def degrade(img: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, int, float]:
    """Return (image, rotation, skew) for one kind of scan damage."""
    import cv2

    if kind == "rot90":
        return cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE), 90, 0.0
    if kind == "rot180":
        return cv2.rotate(img, cv2.ROTATE_180), 180, 0.0
    if kind.startswith("skew"):
        angle = float(kind[4:])
        h, w = img.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        return cv2.warpAffine(img, m, (w, h), borderValue=(255, 255, 255)), 0, angle
    if kind == "noisy":
        noise = rng.normal(0, 28, img.shape)
        out = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
        speckle = rng.random(img.shape[:2]) < 0.004
        out[speckle] = 0
        return out, 0, 0.0
    if kind == "blurred":
        return cv2.GaussianBlur(img, (0, 0), 1.4), 0, 0.0
    if kind == "jpeg":
        ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 20])
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if decoded is None:
            raise ValueError("JPEG round trip of a test page failed")
        return decoded, 0, 0.0
    if kind == "clean":
        return img, 0, 0.0
    raise ValueError(f"unknown degradation {kind!r}")


_SET = [("contract", "clean"), ("invoice", "clean"), ("contract", "rot90"), ("invoice", "rot180"),
        ("contract", "skew2.5"), ("invoice", "skew-4"), ("contract", "noisy"), ("invoice", "blurred"),
        ("contract", "jpeg")]


def sample_pages(dpi: int = 200, kinds: list[tuple[str, str]] | None = None) -> list[SamplePage]:
    """The benchmark set: 2 clean pages and 7 damaged ones, with ground truth."""
    rng = np.random.default_rng(7)
    out = []
    for i, (doc, kind) in enumerate(kinds or _SET):
        truth = contract_lines(i) if doc == "contract" else invoice_lines(i)
        img = render_pdf_page(text_pdf([truth]), 0, dpi)
        img, rotation, skew = degrade(img, kind, rng)
        out.append(SamplePage(f"{doc}-{kind}", img, truth, rotation, skew))
    return out


def levenshtein(a: str, b: str) -> int:
    """Edit distance, one numpy pass per character of ``a``."""
    if not a or not b:
        return max(len(a), len(b))
    bb = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1)
    prev = idx.copy()
    for i, ch in enumerate(a, 1):
        cost = (bb != ord(ch)).astype(np.int64)
        tmp = np.empty_like(prev)
        tmp[0] = i
        tmp[1:] = np.minimum(prev[1:] + 1, prev[:-1] + cost)
        # row[j] = min_k<=j tmp[k] + (j - k): the insertion chain as a running minimum
        prev = np.minimum.accumulate(tmp - idx) + idx
    return int(prev[-1])


def _norm(text: str) -> str:
    return " ".join(text.split())


def reading_order_text(lines: list[dict]) -> str:
    """Join OCR lines top to bottom, left to right (boxes that share a row stay on it)."""
    items = sorted(lines, key=lambda ln: (ln["box"]["y0"] + ln["box"]["y1"]) / 2)
    rows: list[list[dict]] = []
    for ln in items:
        cy = (ln["box"]["y0"] + ln["box"]["y1"]) / 2
        if rows:
            last = rows[-1][-1]["box"]
            if abs(cy - (last["y0"] + last["y1"]) / 2) < 0.5 * (last["y1"] - last["y0"]):
                rows[-1].append(ln)
                continue
        rows.append([ln])
    return "\n".join(" ".join(ln["text"] for ln in sorted(r, key=lambda ln: ln["box"]["x0"])) for r in rows)


def cer(truth: list[str], lines: list[dict]) -> float:
    """Character error rate of the page (whitespace runs count as one space)."""
    ref = _norm(" ".join(truth))
    hyp = _norm(reading_order_text(lines).replace("\n", " "))
    return levenshtein(hyp, ref) / max(1, len(ref))

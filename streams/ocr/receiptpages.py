"""Synthetic shop receipts as a scanner or a phone would give them, with their truth.

A receipt is long and narrow (80 mm till roll), printed in a small monospace font on
thermal paper that fades; it is scanned or photographed crooked, in uneven light. The
lines are written with fpdf2 (so the truth is exactly the text drawn), rendered with
pypdfium2 at a chosen dpi, then degraded. Used by ``bench/ocr_receipts.py`` and the OCR
tests; no real receipt set is involved (the public one is held out for acceptance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from streams.ocr.testpages import render_pdf_page

__all__ = ["Receipt", "receipt_lines", "receipt_pdf", "receipt_page", "DEGRADATIONS"]

_WIDTH = 40  # characters per line of an 80 mm roll in a 7.5 pt monospace font

_SHOPS = [("KEDAI RUNCIT MAJU JAYA", "NO 12, JALAN MERANTI 3", "47100 PUCHONG", "RM"),
          ("CORNER MARKET LTD", "221 HIGH STREET", "LEEDS LS1 4AB", "GBP"),
          ("BÄCKEREI SONNENSCHEIN", "LINDENSTR. 7", "80331 MÜNCHEN", "EUR"),
          ("CAFE DU COIN SARL", "14 RUE DES ECOLES", "69002 LYON", "EUR")]
_ITEMS = ["MINERAL WATER 1.5L", "WHITE BREAD", "FRESH MILK 1L", "EGGS GRADE A 10S", "INSTANT NOODLE",
          "COFFEE 3IN1", "SUGAR 1KG", "TISSUE BOX", "APPLE GREEN", "BATTERY AA 4S", "PEN BLUE 0.5",
          "CHOCOLATE BAR", "RICE 5KG", "COOKING OIL 2KG", "SOAP BAR"]


@dataclass(frozen=True)
class Receipt:
    name: str
    image: np.ndarray          # BGR uint8
    truth: list[str]           # the lines drawn, top to bottom
    key_lines: dict[str, str] = field(default_factory=dict)  # date / total / tax line as drawn
    skew: float = 0.0


def _row(left: str, right: str) -> str:
    return left[: _WIDTH - len(right) - 1].ljust(_WIDTH - len(right)) + right


def receipt_lines(seed: int = 0, items: int = 6) -> tuple[list[str], dict[str, str]]:
    """The receipt's lines and the lines a reader must get exactly (date, total, tax)."""
    rng = np.random.default_rng(seed)
    shop, street, town, cur = _SHOPS[seed % len(_SHOPS)]
    day, month = int(rng.integers(1, 29)), int(rng.integers(1, 13))
    date = f"{day:02d}/{month:02d}/2025" if cur in ("RM", "GBP") else f"{day:02d}.{month:02d}.2025"
    lines = [shop.center(_WIDTH).rstrip(), street.center(_WIDTH).rstrip(), town.center(_WIDTH).rstrip(),
             f"TAX ID: {int(rng.integers(10**8, 10**9))}".center(_WIDTH).rstrip(), "-" * _WIDTH,
             _row(f"DATE: {date}", f"TIME: {int(rng.integers(8, 22)):02d}:{int(rng.integers(0, 60)):02d}"),
             _row(f"RECEIPT NO: {int(rng.integers(1000, 99999))}", f"CASHIER: {int(rng.integers(1, 9))}"),
             "-" * _WIDTH]
    subtotal = Decimal(0)
    for _ in range(items):
        name = _ITEMS[int(rng.integers(len(_ITEMS)))]
        qty = int(rng.integers(1, 4))
        price = Decimal(int(rng.integers(50, 2500))) / 100
        amount = price * qty
        subtotal += amount
        lines.append(_row(f"{qty} x {name}", f"{amount:.2f}"))
    tax = (subtotal * Decimal("0.06")).quantize(Decimal("0.01"))
    total = subtotal + tax
    tax_line = _row("TAX 6%", f"{tax:.2f}")
    total_line = _row(f"TOTAL ({cur})", f"{total:.2f}")
    lines += ["-" * _WIDTH, _row("SUBTOTAL", f"{subtotal:.2f}"), tax_line, total_line,
              _row("CASH", f"{(total // 10 + 1) * 10:.2f}"), _row("CHANGE", f"{(total // 10 + 1) * 10 - total:.2f}"),
              "-" * _WIDTH, "THANK YOU, PLEASE COME AGAIN".center(_WIDTH).rstrip()]
    date_line = next(ln for ln in lines if ln.startswith("DATE:"))
    return lines, {"date": date_line, "tax": tax_line, "total": total_line}


def receipt_pdf(lines: list[str], font_pt: float = 7.5) -> bytes:
    """An 80 mm wide page, as long as the lines need, Courier (a till printer's font)."""
    from fpdf import FPDF

    step = font_pt * 1.35
    height = 24 + step * len(lines) + 24
    pdf = FPDF(unit="pt", format=(226.8, height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0)
    pdf.add_page()
    pdf.set_font("Courier", "", font_pt)
    for i, line in enumerate(lines):
        pdf.set_xy(12, 24 + i * step)
        pdf.cell(0, step, line)
    return bytes(pdf.output())


def _rotate(img: np.ndarray, angle: float, fill: int = 255) -> np.ndarray:
    import cv2

    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(img, m, (nw, nh), flags=cv2.INTER_CUBIC, borderValue=(fill, fill, fill))


def _thermal(img: np.ndarray, rng: np.random.Generator, fade: float) -> np.ndarray:
    """Faded thermal print: ink lightened unevenly (streaks down the roll, a gradient along
    it), slightly soft, on off-white paper."""
    import cv2

    grey = img.astype(np.float32)
    h, w = grey.shape[:2]
    streaks = 1.0 - 0.25 * np.abs(np.sin(np.linspace(0, rng.uniform(3, 9), w)))[None, :, None]
    along = np.linspace(1.0, rng.uniform(0.6, 0.9), h)[:, None, None]
    strength = fade * streaks * along
    paper = rng.uniform(225, 240)
    out = paper - (255.0 - grey) * strength * (paper / 255.0)
    soft: np.ndarray = cv2.GaussianBlur(out, (0, 0), 0.7)
    return soft


def _photo(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A phone photo: the receipt on a darker table, lit from one side, noisy, JPEG."""
    import cv2

    h, w = img.shape[:2]
    pad = int(0.08 * w)
    table = np.full((h + 2 * pad, w + 2 * pad, 3), rng.uniform(70, 110), np.float32)
    table[pad:pad + h, pad:pad + w] = img
    yy, xx = np.mgrid[0:table.shape[0], 0:table.shape[1]].astype(np.float32)
    light = 0.55 + 0.45 * (xx / table.shape[1] * 0.6 + (1 - yy / table.shape[0]) * 0.4)
    out = np.clip(table * light[:, :, None] + rng.normal(0, 6, table.shape), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, 60])
    if not ok:
        raise ValueError("JPEG encoding of a test receipt failed")
    decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if decoded is None:
        raise ValueError("JPEG round trip of a test receipt failed")
    return np.asarray(decoded)


# name -> (dpi, items, fade, skew degrees, photo)
DEGRADATIONS: dict[str, tuple[int, int, float, float, bool]] = {
    "clean": (200, 6, 1.0, 0.0, False),
    "thermal": (200, 6, 0.35, 0.0, False),
    "small": (120, 6, 1.0, 0.0, False),
    "skew": (200, 6, 1.0, 4.0, False),
    "long": (200, 40, 0.6, 1.5, False),
    "faded-small-skew": (150, 12, 0.3, -2.5, False),
    "photo": (170, 8, 0.55, 3.0, True),
    "hires-long": (300, 30, 0.6, 1.0, False),  # a 300 dpi scan of a long roll: over 2000 px tall
}


def receipt_page(kind: str, seed: int = 0) -> Receipt:
    """One receipt with the damage ``kind`` names (see ``DEGRADATIONS``)."""
    dpi, items, fade, skew, photo = DEGRADATIONS[kind]
    rng = np.random.default_rng(1000 + seed)
    lines, keys = receipt_lines(seed, items)
    img = render_pdf_page(receipt_pdf(lines), 0, dpi).astype(np.float32)
    if fade < 1.0:
        img = _thermal(img, rng, fade)
    img = np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    if skew:
        img = _rotate(img, skew, 235)
    if photo:
        img = _photo(img, rng)
    return Receipt(f"receipt-{kind}-{seed}", np.ascontiguousarray(img), lines, keys, skew)

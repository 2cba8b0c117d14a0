"""Labelled contracts and invoices, digital or scanned, for the extraction evaluation and
the demo samples.

Every document is drawn with fpdf2 from values chosen by a seeded RNG, so the ground
truth is exactly what was drawn. Variation: core fonts (Helvetica, Times, Courier),
layouts (prose contract, cover sheet; invoice with labels beside or above values;
signature blocks stacked or side by side), every date form, money in US and European
styles with $, USD, €, EUR, £, GBP. Scans are rendered at 200 dpi with pypdfium2 and
degraded (skew, noise, blur, JPEG, a quarter turn) with the OCR package's helpers.

    python bench/docgen.py OUT_DIR --count 40        # writes PDFs + labels.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["GenDoc", "make_contract", "make_invoice", "generate_set", "scan", "blur_value", "demo_samples"]

FONTS = ["Helvetica", "Times", "Courier"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
COMPANIES = [("Acme Corporation", "acme.com"), ("Northwind Traders Ltd", "northwind.co.uk"),
             ("Fabrikam GmbH", "fabrikam.de"), ("Globex Inc.", "globex.com"),
             ("Initech LLC", "initech.com"), ("Umbrella Logistics S.A.", "umbrella-logistics.fr"),
             ("Blue Yonder Airlines", "blueyonder.com"), ("Contoso Pharmaceuticals", "contoso.com"),
             ("Tailspin Toys Inc.", "tailspintoys.com"), ("Wingtip Analytics Ltd", "wingtip.io")]
PEOPLE = ["Jane Doe", "Anna Schmidt", "Rahul Mehta", "Maria Garcia", "Tom O'Brien", "Li Wei",
          "Sophie Martin", "David Okafor", "Emma Johansson", "Carlos Ruiz"]
TERMS = [("twelve (12) months", 12), ("24 months", 24), ("2 years", 24), ("thirty-six (36) months", 36),
         ("one (1) year", 12), ("18 months", 18), ("three (3) years", 36), ("six (6) months", 6)]
ITEMS = ["Document capture licence", "OCR processing (1,000 pages)", "CRM connector, annual",
         "Implementation day", "Support plan, monthly", "Training session", "Data migration"]
_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


_FIXED_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@dataclass
class GenDoc:
    name: str
    kind: str              # contract | invoice
    pdf: bytes
    labels: dict[str, str]
    line_items: list[dict] = field(default_factory=list)
    scanned: bool = False
    degradation: str = "digital"
    font: str = "Helvetica"
    layout: str = ""


def number_words(n: int) -> str:
    if n < 20:
        return _WORDS[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _WORDS[n % 10] if n % 10 else "")
    if n < 1000:
        return _WORDS[n // 100] + " hundred" + (" " + number_words(n % 100) if n % 100 else "")
    if n < 1_000_000:
        return number_words(n // 1000) + " thousand" + (" " + number_words(n % 1000) if n % 1000 else "")
    return number_words(n // 1_000_000) + " million" + (" " + number_words(n % 1_000_000) if n % 1_000_000 else "")


def write_date(rng: random.Random, y: int, m: int, d: int, *, numeric: bool = True) -> str:
    forms = ["long", "dmy", "ordinal", "abbrev", "iso"] + (["numeric"] if numeric else [])
    form = rng.choice(forms)
    suffix = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    if form == "long":
        return f"{MONTHS[m - 1]} {d}, {y}"
    if form == "dmy":
        return f"{d} {MONTHS[m - 1]} {y}"
    if form == "ordinal":
        return f"the {d}{suffix} day of {MONTHS[m - 1]}, {y}"
    if form == "abbrev":
        return f"{MONTHS[m - 1][:3]}. {d}, {y}"
    if form == "iso":
        return f"{y}-{m:02d}-{d:02d}"
    # Numeric only where it cannot be misread (day > 12 or day == month): "03/03/2026", "23/03/2026".
    if d > 12:
        return rng.choice([f"{d:02d}/{m:02d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{d:02d}.{m:02d}.{y}"])
    return f"{m:02d}/{m:02d}/{y}" if d == m else f"{MONTHS[m - 1]} {d}, {y}"


def write_amount(rng: random.Random, cents: int, currency: str) -> str:
    whole, frac = divmod(cents, 100)
    us = f"{whole:,}.{frac:02d}"
    eu = us.replace(",", "X").replace(".", ",").replace("X", ".")
    eu_space = f"{whole:,}".replace(",", " ") + f",{frac:02d}"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}[currency]
    forms = {"USD": [f"${us}", f"USD {us}", f"US$ {us}"],
             "EUR": [f"EUR {eu}", f"{eu} EUR", f"€{eu}", f"{eu_space} €", f"EUR {us}"],
             "GBP": [f"£{us}", f"GBP {us}", f"{us} GBP"]}[currency]
    del symbol
    return rng.choice(forms)


def _date(rng: random.Random) -> tuple[int, int, int]:
    return 2026, rng.randint(1, 12), rng.randint(1, 28)


class _Page:
    """A letter page in points with a cursor; text is latin-1/cp1252 (core fonts)."""

    def __init__(self, font: str) -> None:
        from fpdf import FPDF

        self.pdf = FPDF(format="letter", unit="pt")
        self.pdf.core_fonts_encoding = "windows-1252"  # € is in cp1252, not latin-1
        self.pdf.set_auto_page_break(False)
        self.pdf.set_creation_date(_FIXED_DATE)  # same seed, same bytes
        self.pdf.add_page()
        self.font, self.y = font, 64.0

    def text(self, s: str, *, x: float = 64, size: float = 11, bold: bool = False, dy: float | None = None) -> None:
        self.pdf.set_font(self.font, "B" if bold else "", size)
        self.pdf.set_xy(x, self.y)
        self.pdf.cell(0, size + 3, s)
        self.y += dy if dy is not None else size * 2.0

    def para(self, s: str, *, size: float = 11) -> None:
        self.pdf.set_font(self.font, "", size)
        self.pdf.set_xy(64, self.y)
        self.pdf.multi_cell(484, size * 1.9, s)
        self.y = self.pdf.get_y() + size

    def bytes(self) -> bytes:
        return bytes(self.pdf.output())


def make_contract(seed: int) -> GenDoc:
    rng = random.Random(seed)
    company, domain = rng.choice(COMPANIES)
    signer = rng.choice(PEOPLE)
    email = f"{signer.split()[0].lower()}.{signer.split()[-1].lower().replace(chr(39), '')}@{domain}"
    y, m, d = _date(rng)
    term_text, term = rng.choice(TERMS)
    currency = rng.choice(["USD", "EUR", "GBP"])
    cents = rng.randint(2_000, 250_000) * 100 + rng.choice([0, 0, 50, 99, 25])
    amount_text = write_amount(rng, cents, currency)
    layout = rng.choice(["prose", "prose", "summary"])
    by_line = layout == "prose" and rng.random() < 0.25
    page = _Page(rng.choice(FONTS))
    labels = {"effective_date": f"{y}-{m:02d}-{d:02d}", "term_months": str(term),
              "total_amount": f"{cents // 100}.{cents % 100:02d}", "currency": currency,
              "counterparty": company, "signer_name": signer, "signer_email": email}
    if layout == "prose":
        _contract_prose(page, rng, company, write_date(rng, y, m, d), term_text, cents, currency, amount_text)
        _signatures(page, rng, company, signer, email, by_line)
    else:
        _contract_summary(page, rng, company, write_date(rng, y, m, d), term_text, amount_text, signer, email)
    return GenDoc(f"contract-{seed}", "contract", page.bytes(), labels, font=page.font,
                  layout=layout + ("+by" if by_line else ""))


def _contract_prose(page: _Page, rng, company, date_text, term_text, cents, currency, amount_text) -> None:
    page.text(rng.choice(["SERVICES AGREEMENT", "MASTER SERVICES AGREEMENT", "SOFTWARE LICENSE AGREEMENT"]),
              size=15, bold=True, dy=34)
    opening = (f"This Agreement is made this {date_text}" if date_text.startswith("the ")
               else f"This Agreement is entered into as of {date_text} (the \"Effective Date\")")
    page.para(f"{opening} by and between Inkstream Demo Inc., a Delaware corporation (\"Provider\"), "
              f"and {company} (\"Client\").")
    page.para("1. Services. Provider shall provide the document capture and processing services "
              "described in Schedule A, and Client shall cooperate in good faith.")
    page.para(f"2. Term. This Agreement shall remain in force for a term of {term_text} from the "
              "Effective Date, unless terminated earlier in accordance with Section 5.")
    unit = {"USD": "US Dollars", "EUR": "Euros", "GBP": "Pounds Sterling"}[currency]
    words = number_words(cents // 100).title() + f" {unit}"
    page.para(f"3. Fees. Client shall pay Provider the total sum of {words} ({amount_text}), "
              "payable within thirty (30) days of each invoice.")
    page.para("4. Governing law. This Agreement is governed by the laws of the State of New York.")
    page.para("IN WITNESS WHEREOF, the parties hereto have executed this Agreement as of the Effective Date.")


def _signatures(page: _Page, rng, company, signer, email, by_line: bool) -> None:
    ours = [("PROVIDER: Inkstream Demo Inc.", True), ("By: ____________________", False),
            ("Name: Alex Morgan", False), ("Email: alex.morgan@inkstream.example", False)]
    theirs = [(f"CLIENT: {company}", True), ("By: ____________________", False)]
    theirs += [(f"By: {signer}", False)] if by_line else [(f"Name: {signer}", False)]
    theirs += [(f"Email: {email}", False)]
    if rng.random() < 0.5:  # side by side
        y0 = page.y + 10
        for col, block in ((64, ours), (320, theirs)):
            page.y = y0
            for text, bold in block:
                page.text(text, x=col, size=10, bold=bold, dy=22)
    else:
        page.y += 6
        for text, bold in ours + [("", False)] + theirs:
            page.text(text, size=10, bold=bold, dy=20)


def _contract_summary(page: _Page, rng, company, date_text, term_text, amount_text, signer, email) -> None:
    page.text("CONTRACT SUMMARY", size=15, bold=True, dy=30)
    page.text("Agreement for document processing services", size=11, dy=34)
    rows = [("Counterparty", company), ("Effective Date", date_text), ("Term", term_text),
            ("Total Contract Value", amount_text), ("Signatory", signer), ("Signatory Email", email)]
    split = rng.random() < 0.5  # labels and values in separate columns
    for label, value in rows:
        if split:
            page.text(f"{label}:", size=11, dy=0)
            page.text(value, x=250, size=11, dy=26)
        else:
            page.text(f"{label}: {value}", size=11, dy=26)
    page.y += 10
    page.para("The parties agree to the terms of the attached Master Services Agreement. "
              "This summary forms part of the contract and its signature page.")


def make_invoice(seed: int) -> GenDoc:
    rng = random.Random(seed)
    company, _ = rng.choice(COMPANIES)
    y, m, d = _date(rng)
    inv = dt.date(y, m, d)
    due = inv + dt.timedelta(days=rng.choice([14, 30, 45]))
    currency = rng.choice(["USD", "EUR", "GBP"])
    n_items = rng.randint(1, 4)
    items = []
    for desc in rng.sample(ITEMS, n_items):
        qty, unit = rng.randint(1, 12), rng.randint(20, 2_500) * 100 + rng.choice([0, 50])
        items.append({"description": desc, "quantity": str(qty), "unit_price": f"{unit / 100:.2f}",
                      "amount": f"{qty * unit / 100:.2f}"})
    total = sum(round(float(it["amount"]) * 100) for it in items)
    number = f"INV-{y}-{rng.randint(100, 9999):04d}"
    layout = rng.choice(["beside", "grid"])
    page = _Page(rng.choice(FONTS))
    page.text("INVOICE", size=18, bold=True, dy=30)
    page.text("Inkstream Demo Inc.  100 Main Street, Springfield", size=9, dy=30)
    inv_text, due_text = write_date(rng, y, m, d), write_date(rng, due.year, due.month, due.day)
    if layout == "beside":
        for label, value in (("Invoice No.", number), ("Invoice Date", inv_text), ("Due Date", due_text)):
            page.text(f"{label}: {value}", size=11, dy=22)
    else:
        y0 = page.y
        for col, (label, value) in zip((64, 230, 400), (("Invoice Number", number), ("Invoice Date", inv_text),
                                                          ("Due Date", due_text))):
            page.y = y0
            page.text(label, x=col, size=10, bold=True, dy=18)
            page.text(value, x=col, size=10, dy=0)
        page.y = y0 + 44
    page.y += 8
    page.text("Bill To:", size=11, bold=True, dy=18)
    page.text(company, size=11, dy=18)
    page.text(f"{rng.randint(1, 999)} Commerce Way, Springfield", size=10, dy=32)
    _items_table(page, items, currency)
    # A separate stream, so adding tax did not change the other documents of a seed.
    if random.Random(seed * 7919).random() < 0.35:
        subtotal, tax = total, round(total * 0.2)
        total += tax
        page.text(f"Subtotal: {subtotal / 100:,.2f}", x=330, size=10, dy=20)
        page.text(f"VAT 20%: {tax / 100:,.2f}", x=330, size=10, dy=24)
    total_text = write_amount(rng, total, currency)
    page.text(f"Total Due: {total_text}", x=330, size=12, bold=True, dy=34)
    page.text("Payment terms: Net 30. Please quote the invoice number with your payment.", size=9, dy=20)
    labels = {"invoice_number": number, "invoice_date": inv.isoformat(), "due_date": due.isoformat(),
              "total_amount": f"{total // 100}.{total % 100:02d}", "currency": currency, "customer": company}
    return GenDoc(f"invoice-{seed}", "invoice", page.bytes(), labels, items, font=page.font, layout=layout)


def _items_table(page: _Page, items: list[dict], currency: str) -> None:
    cols = (64, 330, 390, 480)
    y0 = page.y
    for x, head in zip(cols, ("Description", "Qty", "Unit Price", "Amount")):
        page.y = y0
        page.text(head, x=x, size=10, bold=True, dy=0)
    page.y = y0 + 22
    for it in items:
        y1 = page.y
        unit, amount = f"{float(it['unit_price']):,.2f}", f"{float(it['amount']):,.2f}"
        for x, value in zip(cols, (it["description"], it["quantity"], unit, amount)):
            page.y = y1
            page.text(value, x=x, size=10, dy=0)
        page.y = y1 + 20
    page.y += 10


def jpeg_pdf(img, dpi: int = 200, quality: int = 80) -> bytes:
    """An image-only PDF holding the page as a JPEG, as scanners and MFPs write them."""
    import cv2
    from fpdf import FPDF

    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img  # office scans are greyscale
    ok, buf = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality])
    h, w = img.shape[:2]
    pdf = FPDF(unit="pt", format=(w * 72 / dpi, h * 72 / dpi))
    pdf.set_auto_page_break(False)
    pdf.set_creation_date(_FIXED_DATE)
    pdf.add_page()
    pdf.image(io.BytesIO(buf.tobytes()), x=0, y=0, w=w * 72 / dpi, h=h * 72 / dpi)
    return bytes(pdf.output())


def scan(doc: GenDoc, kind: str, seed: int, dpi: int = 200) -> GenDoc:
    """Render the page, damage it the way a scanner would, wrap the bitmap in a PDF."""
    import numpy as np

    from streams.ocr.testpages import degrade, render_pdf_page

    img = render_pdf_page(doc.pdf, 0, dpi)
    rng = np.random.default_rng(seed)
    for step in kind.split("+"):
        img, _, _ = degrade(img, step, rng)
    return GenDoc(doc.name + f"-scan-{kind}", doc.kind, jpeg_pdf(img, dpi), doc.labels, doc.line_items,
                  True, kind, doc.font, doc.layout)


def blur_value(doc: GenDoc, label: str, sigma: float = 6.0, dpi: int = 200) -> GenDoc:
    """A scan with the value after ``label`` smudged: the sample that must land in review.

    The OCR pool re-reads doubtful lines with a second model, which still reads a blur of
    sigma 3.5 at 0.96; from about 4.5 the value is gone, as on a badly smudged page."""
    import cv2

    from streams.ocr.raster import iter_pages
    from streams.ocr.testpages import render_pdf_page

    page = next(iter_pages(doc.pdf, dpi=dpi, max_pages=1))
    head = next(r for r in page.text_runs if r.text.startswith(label))
    row = [r for r in page.text_runs if abs((r.box[1] + r.box[3]) / 2 - (head.box[1] + head.box[3]) / 2) < 10]
    x0, y0, _, y1 = head.box
    # Everything right of the label's colon on that row, whether one run or two.
    start = x0 + (head.box[2] - x0) * (len(label) + 1) / max(len(head.text), 1)
    end = max(r.box[2] for r in row) + 6
    img = render_pdf_page(doc.pdf, 0, dpi)
    ya, yb, xa, xb = int(y0) - 6, int(y1) + 6, int(start), int(end)
    img[ya:yb, xa:xb] = cv2.GaussianBlur(img[ya:yb, xa:xb], (0, 0), sigma)
    return GenDoc(doc.name + "-blurred", doc.kind, jpeg_pdf(img, dpi), doc.labels, doc.line_items,
                  True, f"blurred:{label}", doc.font, doc.layout)


SCAN_KINDS = ["clean", "skew1.2", "noisy", "blurred", "jpeg", "skew-0.8+jpeg", "rot90"]


def generate_set(count: int, seed: int = 1000, scanned_share: float = 0.6) -> list[GenDoc]:
    """``count`` documents, half contracts and half invoices; a share of them scanned."""
    docs = []
    rng = random.Random(seed)
    for i in range(count):
        make = make_contract if i % 2 == 0 else make_invoice
        doc = make(seed + i)
        if rng.random() < scanned_share:
            doc = scan(doc, SCAN_KINDS[i // 2 % len(SCAN_KINDS)], seed + i)
        docs.append(doc)
    return docs


def demo_samples() -> dict[str, GenDoc]:
    """The small set shipped in ``samples/`` (file name -> document)."""
    from bench.docgen_intl import make_facturx, make_rechnung  # the e-invoice and the German invoice

    return {
        "contract-digital.pdf": make_contract(7),
        "contract-scanned.pdf": scan(make_contract(4), "skew1.2", 4),
        "invoice-digital.pdf": make_invoice(3),
        "invoice-scanned.pdf": scan(make_invoice(12), "skew-0.8+jpeg", 12),
        "invoice-scanned-rotated.pdf": scan(make_invoice(14), "rot90", 14),
        "contract-scanned-blurred-amount.pdf": blur_value(make_contract(2), "Total Contract Value:"),
        "invoice-facturx.pdf": make_facturx(),
        "rechnung-digital.pdf": make_rechnung(),
    }


def _write(out: Path, docs: dict[str, GenDoc], expected: dict[str, str] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    labels = {}
    for name, doc in docs.items():
        (out / name).write_bytes(doc.pdf)
        labels[name] = {"doc_type": doc.kind, "fields": doc.labels, "line_items": doc.line_items,
                        "scanned": doc.scanned, "degradation": doc.degradation, "font": doc.font,
                        "layout": doc.layout}
        if expected and name in expected:
            labels[name]["expected_status"] = expected[name]
    (out / "labels.json").write_text(json.dumps(labels, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(labels)} documents and labels.json to {out}")


def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--samples", action="store_true", help="write the demo set shipped in samples/")
    args = parser.parse_args()
    if args.samples:
        expected = {name: "accepted" for name in demo_samples()}
        expected["contract-scanned-blurred-amount.pdf"] = "review"
        _write(args.out, demo_samples(), expected)
    else:
        _write(args.out, {f"{d.name}.pdf": d for d in generate_set(args.count, args.seed)})


if __name__ == "__main__":
    _main()

"""The real-document corpora's truth files parse, and their labels are on the page.

Hand-written labels (``evidence`` per field, e.g. ``tests/corpus/cuad``) must quote words that are
in the document's text layer, and the labelled value must follow from those words; labels made
from an e-invoice's XML (``tests/corpus/zugferd``) must at least name a number printed on the
document. A typo in a label, a wrong file, or a swapped document then fails here rather than
showing up as an extractor error in the bench.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest

CORPUS = Path(__file__).resolve().parent
TRUTHS = sorted(CORPUS.glob("*/truth.json"))
MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
DOC_TYPES = {"invoice", "credit_note", "contract", "receipt"}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()


def _text(path: Path) -> str:
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        return _norm(data.decode("utf-8", "replace"))  # a plain XML invoice: its text is the file
    doc = pdfium.PdfDocument(data)
    try:
        return _norm(" ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))))
    finally:
        doc.close()


def _dates_in(text: str) -> list[date]:
    """``January 1, 2010`` / ``1st day of October 2008`` / ``Dec. 8, 2005`` spelled dates in ``text``."""
    out = []
    mon = r"(?P<m>[a-z]{3})[a-z]*\.?"
    for m in re.finditer(rf"{mon},? (?P<d>\d{{1,2}})(?:st|nd|rd|th)?,? (?P<y>\d{{4}})", text):
        out.append((m["m"], m["d"], m["y"]))
    for m in re.finditer(rf"(?P<d>\d{{1,2}})(?:st|nd|rd|th)? day of {mon},? (?P<y>\d{{4}})", text):
        out.append((m["m"], m["d"], m["y"]))
    abbr = [x[:3] for x in MONTHS]
    return [date(int(y), abbr.index(mo) + 1, int(d)) for mo, d, y in out if mo in abbr]


def _follows(field: str, value: str, evidence: str) -> bool:
    """Is the labelled ``value`` what the quoted page words say?"""
    ev = _norm(evidence)
    if field in ("counterparty", "signer_name", "signer_email"):
        return _norm(value) in ev
    if field == "total_amount":
        numbers = {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*(?:\.\d+)?", ev)}
        return float(value) in numbers
    if field == "currency":
        return {"USD": "$", "EUR": "€", "GBP": "£"}.get(value, value.lower()) in ev
    if field == "effective_date":
        want = date.fromisoformat(value)
        if want in _dates_in(ev):
            return True
        # a date split by the page's layout ("1st day of --- November, 2003"): month and year here
        return MONTHS[want.month - 1] in ev and str(want.year) in ev
    if field == "term_months":
        from streams.extract.normalize import normalize_term

        if normalize_term(evidence).normalized == value:
            return True
        dates = _dates_in(ev)  # "commence on January 1, 2010 and extend through December 31, 2010"
        if len(dates) == 2:
            start, end = dates
            for stop in (end, end + timedelta(days=1)):  # "through December 31" ends a whole month
                if stop.day == start.day and str((stop.year - start.year) * 12 + stop.month - start.month) == value:
                    return True
        return False
    raise AssertionError(f"no check for field {field!r}")


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.parent.name)
def test_truth_parses_and_labels_are_on_the_page(truth_path: Path):
    truth = json.loads(truth_path.read_text())
    assert truth, f"{truth_path} is empty"
    source = truth_path.parent
    assert (source / "SOURCE.md").exists() and (source / "LICENSE").exists()
    for name, label in truth.items():
        path = source / name
        assert path.is_file(), f"{name}: labelled but not in the folder"
        assert label["doc_type"] in DOC_TYPES, name
        assert isinstance(label["fields"], dict) and label["fields"], name
        assert label["source"]["repo"] and re.fullmatch(r"[0-9a-f]{40}", label["source"]["commit"]), name
        if path.suffix in (".jpg", ".jpeg", ".png") or label.get("scanned"):  # a scan: no text layer to quote
            _check_image_label(path, label)
            continue
        text = _text(path)
        evidence = label.get("evidence")
        if evidence is not None:  # labelled by hand: every field quotes the page
            assert set(evidence) == set(label["fields"]), f"{name}: a field without evidence"
            for field, value in label["fields"].items():
                assert _norm(evidence[field]) in text, f"{name}: {field} evidence not in the text layer: {evidence[field]!r}"
                assert _follows(field, value, evidence[field]), f"{name}: {field}={value!r} does not follow from {evidence[field]!r}"
        else:  # labelled from the e-invoice XML: the invoice number is printed on the document
            number = label["fields"].get("invoice_number")
            if label["doc_type"] == "receipt":  # a receipt has no number: its total is printed
                number = f"{float(label['fields']['total_amount']):,.2f}"
            assert number and _norm(number) in text, f"{name}: invoice number {number!r} not in the document"


def _check_image_label(path: Path, label: dict) -> None:
    """A labelled image (no text layer): the unchanged file, and labels in the shapes the bench compares;
    receipt scans of tests/corpus/receipts also the date and total that the dataset's own file name
    states (``MERCHANT_DDMMYYYY_ITEMS_TOTAL.jpg``)."""
    import hashlib

    assert hashlib.sha256(path.read_bytes()).hexdigest() == label["source"]["sha256"], f"{path.name}: changed bytes"
    assert label.get("scanned") is True, f"{path.name}: an image is a scan"
    for field, value in label["fields"].items():
        if field.endswith("_date"):
            date.fromisoformat(value)
        elif field.endswith("_amount"):
            assert re.fullmatch(r"\d+\.\d{2}", value), f"{path.name}: {field}={value!r} is not a decimal amount"
        elif field == "currency":
            assert re.fullmatch(r"[A-Z]{3}", value), f"{path.name}: currency {value!r}"
    if path.parent.name != "receipts":
        return
    parts = path.stem.split("_")
    day, cents = parts[1], int(parts[-1])
    assert label["fields"]["receipt_date"] == f"{day[4:]}-{day[2:4]}-{day[:2]}", path.name
    assert label["fields"]["total_amount"] == f"{cents // 100}.{cents % 100:02d}", path.name
    if "tax_amount" in label["fields"]:
        assert 0 < float(label["fields"]["tax_amount"]) < cents / 100 * 0.2, f"{path.name}: tax above 19% of the total"


def test_evidence_check_catches_a_wrong_label():
    # the checks above must be able to fail: a wrong date, amount, term or name is refused
    assert not _follows("effective_date", "2010-02-01", "entered into effective January 1, 2010")
    assert not _follows("total_amount", "75000.00", "a sponsorship fee in the amount of $750,000.00")
    assert not _follows("term_months", "24", "The term of this Agreement shall be one (1) year")
    assert not _follows("term_months", "11", "commence on January 1, 2010 and extend through December 31, 2010")
    assert _follows("term_months", "12", "commence on January 1, 2010 and extend through December 31, 2010")
    assert not _follows("counterparty", "GAINSCO Inc.", "and GAINSCO, INC., a Texas corporation")

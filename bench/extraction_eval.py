"""Extraction evaluation: OCR + extraction over labelled sets, every extractor version side
by side on the same OCR output, per document source.

    OMP_NUM_THREADS=1 .venv/bin/python bench/extraction_eval.py --count 48
    .venv/bin/python bench/extraction_eval.py --dir samples      # the committed demo set
    # real documents (the committed ZUGFeRD subset), text layers and XML; --render N also
    # renders the first N PDFs to page images and OCRs them against the same truth:
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/zugferd --render 4
    # real corpora are split dev/test by a hash of the file name (rows NAME-dev, NAME-test; plain
    # XML invoices NAME-xml); --scans N also OCRs N PDFs as noisy, slightly turned 200-dpi scans:
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/zugferd --scans 8 --cache /tmp/ocr-cache
    # real shop receipts (German till scans, CC-BY-4.0; bench/corpus_receipts.py fetches all 47),
    # rows receipts-dev / receipts-test; images go through the OCR once with --cache:
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/receipts --cache /tmp/ocr-cache
    # real contracts (CUAD v1 / SEC EDGAR, labelled by hand; bench/corpus_cuad.py):
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/cuad
    # ordinary vendor invoices and receipts, hand-labelled (SDK and e-invoicing library samples,
    # MIT/Apache; tests/corpus/*/SOURCE.md): 28 + 18 documents, text layers and images
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/vendor-samples --corpus tests/corpus/public-invoices --cache /tmp/ocr-cache
    # digital invoices (PDF text layers) from varied invoicing software and countries, hand-labelled
    # (MIT, Apache, ISC, GPL/LGPL, EPL, public domain; tests/corpus/digital-invoices/SOURCE.md):
    # 21 invoices and 2 receipts, rows digital-invoices-dev / -test:
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/digital-invoices --versions rules-3
    # English shop receipts from outside Germany (US, Nepal, Indonesia; MIT, CC BY 4.0, Unlicense;
    # tests/corpus/receipts-en/SOURCE.md), hand-labelled photos, rows receipts-en-dev / -test:
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/receipts-en --versions rules-3 --cache /tmp/ocr-cache
    # everything at once (samples + synthetic + corpus), machine-readable copy for calibration:
    .venv/bin/python bench/extraction_eval.py --dir samples --count 12 --corpus tests/corpus/zugferd --json /tmp/eval.json
    ... --cache /tmp/ocr-cache     # keep OCR output; re-running the rules then takes seconds
    # the whole ZUGFeRD corpus (fetched, not committed; truth from each PDF's XML), invoice fields only:
    .venv/bin/python bench/corpus_zugferd.py fetch --dest /tmp/zugferd-corpus
    .venv/bin/python bench/extraction_eval.py --zugferd-src /tmp/zugferd-corpus --versions rules-3 \
        --fields invoice_number,invoice_date,due_date,total_amount,currency,subtotal_amount,tax_amount

Sources: ``samples`` (--dir), ``synthetic`` (the generator, --count), each --corpus folder
by name (PDF text layers and plain XML files) and ``NAME-rendered`` (--render: the same PDFs
as page images, no text layer, no XML). Versions: the rules versions (--versions) and
``e-invoice``: the pipeline's e-invoice step on top of the last rules version (the XML's values
where a document carries one, scored against the XML's own values; the visual reading
elsewhere). The summary table gives, per source and version: field accuracy, precision of
``accept``, documents accepted whole (and of those, all fields right), review rate and seconds
per document; the calibration table bins field confidence against accuracy.

Prints per-field precision and recall, the routing table (correct & accepted, correct &
review, correct & rejected, wrong & accepted, wrong & caught by review/reject, missing)
and the share of fields correct on clean pages (digital PDFs and clean scans). Exit
status 1 when a wrong value was auto-accepted, so CI can run it as a gate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("OMP_NUM_THREADS", "1")

import docgen  # noqa: E402

ROUTES = ["correct & accepted", "correct & review", "correct & rejected", "wrong & accepted",
          "wrong & review/reject", "missing", "absent & not found", "found, no truth"]
# Party names compare without salutations (streams.extract.parties.canonical_name): some
# producers' XML writes "Herrn Max Mustermann" as the buyer's name, others do not.
NAME_FIELDS = {"customer", "supplier", "counterparty"}
# Addresses compare without case and whitespace ("Detmolder Straße 8 33102 PADERBORN" is
# "Detmolder Straße 8  33102 Paderborn"): line breaks and letter case are the printer's, not the address.
ADDRESS_FIELDS = {"merchant_address"}
# An IBAN or a VAT id is printed in groups ("CH44 3199 9123 ...", "FR62 401 112 024"), read without the spaces.
SPACED_FIELDS = ADDRESS_FIELDS | {"iban", "supplier_vat_id", "customer_vat_id"}


def same_address(got: str, want: str) -> bool:
    return "".join(got.split()).casefold() == "".join(want.split()).casefold()


def _route(want: str | None, got: dict | None, field: str = "") -> str:
    if want is None:
        # The document does not have the field (its truth says so): not finding it is right;
        # a value found anyway cannot be scored (the truth may lack what the page prints).
        return "absent & not found" if not got or got.get("normalized") is None else "found, no truth"
    if not got or got.get("normalized") is None:
        return "missing"
    if field == "supplier":
        correct = same_company(got["normalized"], want)
    elif field in NAME_FIELDS:
        from streams.extract.parties import canonical_name

        correct = canonical_name(got["normalized"]) == canonical_name(want)
    elif field in SPACED_FIELDS:
        correct = same_address(got["normalized"], want)
    else:
        correct = got["normalized"] == want
    status = got["status"]
    if correct:
        return {"accept": "correct & accepted", "review": "correct & review"}.get(status, "correct & rejected")
    return "wrong & accepted" if status == "accept" else "wrong & review/reject"


def same_company(got: str, want: str) -> bool:
    """The supplier (issuer) compared as a company: letter case and the legal form only may
    differ ("CONTOSO LTD." is "Contoso Ltd."; the FNFE samples' XML names "Au bon moulin" where
    the page prints "Au bon moulin SARL"). Every other letter, word and space must match."""
    import re

    from streams.extract.parties import canonical_name, legal_form

    def key(name: str) -> tuple[str, str]:
        plain = canonical_name(name) or ""
        form = legal_form(plain) or legal_form(plain.upper())
        if form and plain.upper().endswith(form.upper()) and len(plain) > len(form):
            plain = plain[: len(plain) - len(form)]  # the trailing legal form only, never a word inside
        else:
            form = ""
        return re.sub(r"[\s,.]+$", "", plain).casefold(), re.sub(r"[\s.]", "", form).casefold()

    (g, g_form), (w, w_form) = key(got), key(want)
    # A form printed on one side only is the same company; two different forms are not.
    return g == w and (g_form == w_form or not g_form or not w_form)


def _item_key(item: dict) -> tuple:
    return ("".join(item["description"].split()), item["quantity"], item["unit_price"], item["amount"])


EINVOICE = "e-invoice"


def _render_to_tiff(pdf: bytes, dpi: int) -> bytes:
    """A PDF's pages as a multi-page TIFF: the same document with no text layer and no XML."""
    import io

    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        images = [doc[i].render(scale=dpi / 72).to_pil().convert("RGB") for i in range(len(doc))]
    finally:
        doc.close()
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:], dpi=(dpi, dpi),
                   compression="tiff_lzw")
    return out.getvalue()


def _documents(args) -> list[tuple[str, str, bytes, dict]]:
    """(source, name, bytes, label) for every document of every requested source."""
    out: list[tuple[str, str, bytes, dict]] = []
    if args.dir:
        labels = json.loads((args.dir / "labels.json").read_text())
        out += [(args.dir.name, name, (args.dir / name).read_bytes(), lab) for name, lab in sorted(labels.items())]
    count = args.count if args.count is not None else (0 if args.dir or args.corpus or args.zugferd_src else 48)
    for d in docgen.generate_set(count, args.seed) if count else []:
        out.append(("synthetic", d.name, d.pdf, {"doc_type": d.kind, "fields": d.labels, "line_items": d.line_items,
                                                 "scanned": d.scanned, "degradation": d.degradation}))
    for folder in args.corpus or []:
        truth = json.loads((folder / "truth.json").read_text())
        names = sorted(truth)
        # A field labelled on some documents of a type and not on another: that one lacks it
        # (an invoice without a due date), and finding none there is right.
        per_type: dict[str, set] = defaultdict(set)
        for lab in truth.values():
            per_type[lab["doc_type"]] |= set(lab["fields"])
        # A field the labeller did not look at on this document ("unlabelled") is not scored there.
        truth = {n: {**lab, "absent_fields": sorted(per_type[lab["doc_type"]] - set(lab["fields"])
                                                    - set(lab.get("unlabelled", ())))}
                 for n, lab in truth.items()}
        out += [(corpus_source(folder.name, n), n, (folder / n).read_bytes(), truth[n]) for n in names]
        pdfs = [n for n in names if n.endswith(".pdf")]
        for n in pdfs[: args.render]:
            label = {**truth[n], "scanned": True, "degradation": "rendered", "xml_fields": None}
            out.append((f"{folder.name}-rendered", n, _render_to_tiff((folder / n).read_bytes(), args.render_dpi), label))
        # Scans: each half's PDFs in turn (dev, test, dev, ...), so both halves get a row.
        halves = {h: [n for n in pdfs if half_of(n) == h] for h in ("dev", "test")}
        picked = [n for pair in zip(halves["dev"], halves["test"]) for n in pair][: getattr(args, "scans", 0)]
        for i, n in enumerate(picked):
            label = {**truth[n], "scanned": True, "degradation": "scan", "xml_fields": None,
                     "reference_pdf": folder / n}  # its text layer: what OCR should have read
            out.append((f"{folder.name}-{half_of(n)}-scans", n, _scan_tiff((folder / n).read_bytes(), args.render_dpi, i),
                        label))
    if getattr(args, "zugferd_src", None):
        out += _zugferd_full(args.zugferd_src)
    return out


def _zugferd_full(src: Path) -> list[tuple[str, str, bytes, dict]]:
    """The whole ZUGFeRD corpus from a fetched copy, truth from each PDF's XML (rows
    ``zugferd-full-dev`` / ``zugferd-full-test``, split by ``half_of`` like the subset)."""
    import corpus_zugferd

    docs, skipped = corpus_zugferd.full_set(src)
    for why, names in skipped.items():
        print(f"zugferd-full: {len(names)} skipped ({why})", file=sys.stderr)
    return [(f"zugferd-full-{half_of(n)}", n, data, label) for n, data, label in docs]


def half_of(name: str) -> str:
    """The hold-out split of a real corpus: by a hash of the file name, fixed for ever.
    Rules are tuned on ``dev`` only; ``test`` is reported beside it, never looked into."""
    import hashlib

    return "test" if hashlib.sha256(name.encode()).digest()[0] % 2 else "dev"


def corpus_source(corpus: str, name: str) -> str:
    """``zugferd-dev`` / ``zugferd-test`` for documents with pages; ``zugferd-xml`` for plain XML
    invoices, which have no visual layer (only the e-invoice reader can score on them)."""
    if name.endswith(".xml"):
        return f"{corpus}-xml"
    return f"{corpus}-{half_of(name)}"


def _scan_tiff(pdf: bytes, dpi: int, seed: int) -> bytes:
    """A PDF's pages as a scanner would give them: rendered at ``dpi``, turned by a small
    angle (±0.3–1.2°), grey, with sensor noise; no text layer, no XML."""
    import io
    import random

    import numpy as np
    import pypdfium2 as pdfium
    from PIL import Image

    rng = random.Random(seed)
    doc = pdfium.PdfDocument(pdf)
    try:
        pages = [doc[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(doc))]
    finally:
        doc.close()
    out_pages = []
    for img in pages:
        angle = rng.choice([-1, 1]) * rng.uniform(0.3, 1.2)
        img = img.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)
        arr = np.asarray(img, dtype=np.float32)
        noise = np.random.default_rng(seed).normal(0, 12, arr.shape)
        out_pages.append(Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8)))
    out = io.BytesIO()
    out_pages[0].save(out, format="TIFF", save_all=True, append_images=out_pages[1:], dpi=(dpi, dpi),
                      compression="tiff_lzw")
    return out.getvalue()


def _read(reader, name: str, data: bytes, cache: Path | None) -> list[dict]:
    """OCR pages, cached by content hash when ``cache`` is set (re-running rules is then instant)."""
    import hashlib

    from streams.extract.einvoice import looks_like_xml

    if looks_like_xml(data):
        return []  # a plain XML invoice: a document without pages
    path = cache / f"{hashlib.sha256(data).hexdigest()[:20]}.json" if cache else None
    if path is not None and path.exists():
        return json.loads(path.read_text())
    pages = reader().read(data)
    # Only OCR output is kept: text layers re-read in milliseconds, so a reader change shows.
    if path is not None and any(p.get("text_source") == "ocr" for p in pages):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(pages))
    return pages


def _einvoice(data: bytes):
    from streams.extract.einvoice import EInvoiceError, from_pdf, looks_like_xml, read_xml

    try:
        return read_xml(data) if looks_like_xml(data) else from_pdf(data) if data[:5] == b"%PDF-" else None
    except EInvoiceError:
        return None


def _new_stats() -> dict:
    return {"routes": defaultdict(Counter), "docs": Counter(), "clean": Counter(), "items": Counter(),
            "types": Counter(), "wrong_accepted": [], "details": [], "whole_right": 0, "n": 0,
            "extract_s": 0.0, "read_s": 0.0, "conf": [], "checks": 0, "parties": defaultdict(Counter)}


def evaluate(docs, versions: list[str], settings, cache: Path | None = None) -> dict:
    """Per source and version: routes per field, document outcomes, timings, (confidence, right) pairs."""
    from functools import cache as once

    from streams.extract.einvoice import merge
    from streams.extract.local import extract_pages
    from streams.ocr.reader import DocumentReader

    reader = once(lambda: DocumentReader.from_settings(settings.ocr))
    visual = [v for v in versions if v != EINVOICE]
    stats: dict[str, dict[str, dict]] = defaultdict(lambda: {v: _new_stats() for v in versions})
    ocr_s = 0.0
    word_checks: list[tuple[str, str, float, list[dict]]] = []
    for n, (source, name, data, label) in enumerate(docs, start=1):
        started = time.perf_counter()
        pages = _read(reader, name, data, cache)
        read_s = time.perf_counter() - started
        ocr_s += read_s
        print(f"[{n}/{len(docs)}] {source}/{name}: {read_s:.1f} s", file=sys.stderr, flush=True)
        if label.get("scanned") and source.endswith("-scans"):
            print(f"  scan OCR: {read_s:.1f} s for {len(pages)} page(s)", file=sys.stderr, flush=True)
        if label.get("reference_pdf"):
            word_checks.append((source, name, read_s, _word_check(label["reference_pdf"], pages, settings.ocr)))
        clean = not label.get("scanned") or label.get("degradation") == "clean"
        results = {}
        for v in visual:
            t0 = time.perf_counter()
            results[v] = (extract_pages(name, pages, settings.extraction, version=v), time.perf_counter() - t0)
        if EINVOICE in versions:
            t0 = time.perf_counter()
            inv = _einvoice(data) if label.get("degradation") not in ("rendered", "scan") else None
            base, base_s = results[visual[-1]] if visual else (
                extract_pages(name, pages, settings.extraction), 0.0)
            results[EINVOICE] = (merge(base, inv, pages) if inv else base, base_s + time.perf_counter() - t0)
        for v in versions:
            result, extract_s = results[v]
            want_fields = label["fields"]
            if v == EINVOICE and result.get("einvoice") and label.get("xml_fields"):
                want_fields = {k: label["xml_fields"][k] for k in label["fields"] if k in label["xml_fields"]}
            _score(stats[source][v], name, label, want_fields, result, clean, read_s, extract_s)
    return {"stats": stats, "ocr_s": ocr_s, "n": len(docs), "word_checks": word_checks}


def _word_check(pdf_path: Path, pages: list[dict], ocr) -> list[dict]:
    """Per OCR'd page: WER and word / digit-word recall against the PDF's own text layer."""
    from streams.ocr.quality import compare_pages
    from streams.ocr.raster import iter_pages
    from streams.ocr.reader import text_layer_record

    refs = {p.number: text_layer_record(p) for p in iter_pages(pdf_path.read_bytes(), dpi=ocr.dpi,
                                                                 max_pages=ocr.max_pages) if p.text_runs is not None}
    out = []
    for page in pages:
        ref = refs.get(page["number"])
        if ref is not None and page.get("text_source") == "ocr":
            out.append({"page": page["number"], **compare_pages(ref, page)})
    return out


def _print_word_checks(console, checks: list[tuple[str, str, float, list[dict]]]) -> None:
    """The scan path's OCR against each PDF's text layer: where fields are lost before the rules."""
    from rich.table import Table

    if not checks:
        return
    table = Table(title="Scan OCR vs the PDF's text layer (per document)")
    for col in ("source", "document", "pages", "s/page", "WER", "word recall", "digit-word recall", "missed digit words"):
        table.add_column(col, justify="left" if col in ("source", "document", "missed digit words") else "right")
    tot = Counter()
    for source, name, read_s, pages in checks:
        c = Counter()
        for p in pages:
            c.update({k: p[k] for k in ("found", "total", "digit_found", "digit_total")})
            c["wer_x_words"] += p["wer"] * p["words"]
            c["words"] += p["words"]
        tot.update(c)
        tot["pages"] += len(pages)
        tot["read_s"] += read_s
        missed = " ".join(w for p in pages for w in p["missed_digits"])[:60]
        table.add_row(source, name[:48], str(len(pages)), f"{read_s / max(1, len(pages)):.1f}",
                      _pct(round(c["wer_x_words"]), c["words"]), _pct(c["found"], c["total"]),
                      _pct(c["digit_found"], c["digit_total"]), missed)
    table.add_row("all", "", str(tot["pages"]), f"{tot['read_s'] / max(1, tot['pages']):.1f}",
                  _pct(round(tot["wer_x_words"]), tot["words"]), _pct(tot["found"], tot["total"]),
                  _pct(tot["digit_found"], tot["digit_total"]), "")
    console.print(table)


def _score(st: dict, name: str, label: dict, want_fields: dict, result: dict, clean: bool,
           read_s: float, extract_s: float) -> None:
    got = {f["name"]: f for f in result["fields"]}
    # Fields this source labels on other documents of the type but not on this one: absent.
    want_fields = {**{f: None for f in label.get("absent_fields", ())}, **want_fields}
    st["n"] += 1
    st["read_s"] += read_s
    st["extract_s"] += extract_s
    st["checks"] += len(result.get("einvoice_checks") or [])
    st["types"]["right" if result["doc_type"] == label["doc_type"] else "wrong"] += 1
    st["docs"][result["status"]] += 1
    all_right = True
    for field, want in want_fields.items():
        route = _route(want, got.get(field), field)
        st["routes"][field][route] += 1
        if route == "found, no truth":
            g = got[field]
            st["details"].append((name, field, route, None, g.get("value"), g.get("confidence"), g.get("reason")))
            continue
        all_right &= route in ("correct & accepted", "absent & not found")
        g = got.get(field) or {}
        if g.get("normalized") is not None and want is not None:
            st["conf"].append((float(g["confidence"]), route.startswith("correct"), g["status"] == "accept"))
        if route == "wrong & accepted":
            st["wrong_accepted"].append((name, field, want, got[field]["normalized"]))
        if route not in ("correct & accepted", "absent & not found"):
            st["details"].append((name, field, route, want, g.get("value"), g.get("confidence"), g.get("reason")))
        if clean:
            st["clean"]["correct" if route.startswith("correct") or route == "absent & not found" else "other"] += 1
    if result["status"] == "accepted" and all_right:
        st["whole_right"] += 1
    _score_parties(st, name, label, got)
    # Numbers exactly; descriptions without spaces (OCR drops them: "CRM connector,annual").
    want_items = {_item_key(i) for i in label.get("line_items", [])}
    got_items = {_item_key(i) for i in result["line_items"]}
    st["items"]["labelled"] += len(want_items)
    st["items"]["found"] += len(got_items)
    st["items"]["correct"] += len(want_items & got_items)
    st["items"]["close"] += _items_close(label.get("line_items", []), result["line_items"])


def _items_close(want: list[dict], got: list[dict]) -> int:
    """Items whose numbers are exact and whose printed description begins with the labelled
    one (case and spaces aside): a page prints "Schweinesteak aus Deutschland" where the
    e-invoice's item name is "Schweinesteak". Each item found counts once."""
    def desc(item: dict) -> str:
        return "".join((item.get("description") or "").split()).casefold()

    left = list(got)
    hits = 0
    for w in want:
        if not w.get("description") or w.get("amount") is None:
            continue
        for g in left:
            if (g.get("quantity"), g.get("unit_price"), g.get("amount")) == (w["quantity"], w["unit_price"], w["amount"]) \
                    and desc(g).startswith(desc(w)):
                left.remove(g)
                hits += 1
                break
    return hits


PARTY_FIELDS = ("supplier", "supplier_vat_id", "customer_vat_id", "iban")


def _score_parties(st: dict, name: str, label: dict, got: dict) -> None:
    """The informational party fields against the e-invoice's own seller and buyer data
    (``more_fields``), outside field accuracy: they hold no document (streams/extract/policy.py),
    but an accepted one must still be right. Pages that print other values than their XML
    (``printed_differs``) are left out: there the XML is another invoice's."""
    more = label.get("more_fields")
    if more is None or label.get("printed_differs"):
        return
    for field in PARTY_FIELDS:
        g = got.get(field)
        if field not in more and (g is None or g.get("normalized") is None):
            continue
        route = _route(more.get(field), g, field)
        st["parties"][field][route] += 1
        if route == "wrong & accepted":  # a gate like the scored fields: no wrong value accepted
            st["wrong_accepted"].append((name, field, more[field], g["normalized"]))


def _merged(per_version: list[dict]) -> dict:
    """Sum several sources' stats of one version (the old all-documents tables)."""
    out = _new_stats()
    for st in per_version:
        for f, c in st["routes"].items():
            out["routes"][f].update(c)
        for k in ("docs", "clean", "items", "types"):
            out[k].update(st[k])
        for k in ("wrong_accepted", "details", "conf"):
            out[k] += st[k]
        for k in ("whole_right", "n", "extract_s", "read_s", "checks"):
            out[k] += st[k]
    return out


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "–"


BINS = [0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001]


def summary_rows(stats: dict, versions: list[str]) -> list[dict]:
    """One row per (source, version): the figures the issue asks for, also written by --json."""
    rows = []
    for source, per_version in stats.items():
        for v in versions:
            st = per_version[v]
            r = Counter()
            for c in st["routes"].values():
                r.update(c)
            labelled = sum(n for k, n in r.items() if k != "found, no truth")
            correct = sum(n for k, n in r.items() if k.startswith("correct") or k == "absent & not found")
            accepted = r["correct & accepted"] + r["wrong & accepted"]
            rows.append({"source": source, "version": v, "documents": st["n"], "fields": labelled,
                         "field_accuracy": correct / labelled if labelled else None,
                         "accepted_fields": accepted,
                         "accept_precision": r["correct & accepted"] / accepted if accepted else None,
                         "wrong_accepted": r["wrong & accepted"],
                         "docs_accepted": st["docs"]["accepted"], "docs_accepted_all_right": st["whole_right"],
                         "review_rate": st["docs"]["review"] / st["n"] if st["n"] else None,
                         "seconds_per_doc": (st["read_s"] + st["extract_s"]) / st["n"] if st["n"] else None,
                         "doc_type_right": st["types"]["right"], "einvoice_disagreements": st["checks"],
                         "line_items_labelled": st["items"]["labelled"], "line_items_right": st["items"]["correct"],
                         "line_items_close": st["items"]["close"]})
    return rows


def calibration_rows(stats: dict, versions: list[str]) -> list[dict]:
    """Confidence bins vs accuracy per version, over every source (fields that have a value)."""
    rows = []
    for v in versions:
        pairs = [p for per_version in stats.values() for p in per_version[v]["conf"]]
        for lo, hi in zip(BINS, BINS[1:]):
            inside = [p for p in pairs if lo <= p[0] < hi]
            right = sum(1 for p in inside if p[1])
            acc = [p for p in inside if p[2]]
            rows.append({"version": v, "low": lo, "high": min(hi, 1.0), "n": len(inside),
                         "accuracy": right / len(inside) if inside else None, "accepted": len(acc),
                         "accepted_right": sum(1 for p in acc if p[1])})
    return rows


def _f(x, pct=True) -> str:
    if x is None:
        return "–"
    return f"{100 * x:.1f}%" if pct else f"{x:.2f}"


def _print_tables(console, title: str, st_by_version: dict, versions: list[str], n: int) -> None:
    from rich.table import Table

    fields = sorted({f for v in versions for f in st_by_version[v]["routes"]})
    prf = Table(title=f"{title}: per-field precision / recall ({n} documents)")
    prf.add_column("field")
    for v in versions:
        prf.add_column(f"{v} precision", justify="right")
        prf.add_column(f"{v} recall", justify="right")
        prf.add_column(f"{v} auto-accepted", justify="right")
    for f in fields:
        row = [f]
        for v in versions:
            r = st_by_version[v]["routes"][f]
            correct = sum(k for key, k in r.items() if key.startswith("correct"))
            predicted = sum(k for key, k in r.items() if key not in ("missing", "absent & not found", "found, no truth"))
            total = sum(k for key, k in r.items() if key not in ("absent & not found", "found, no truth"))
            row += [_pct(correct, predicted), _pct(correct, total), _pct(r["correct & accepted"], total)]
        prf.add_row(*row)
    console.print(prf)

    routing = Table(title=f"{title}: routing table (fields)")
    routing.add_column("route")
    for v in versions:
        routing.add_column(v, justify="right")
    for route in ROUTES:
        routing.add_row(route, *[str(sum(st_by_version[v]["routes"][f][route] for f in fields)) for v in versions])
    routing.add_row("documents accepted / review / rejected",
                    *[f"{st_by_version[v]['docs']['accepted']} / {st_by_version[v]['docs']['review']} / "
                      f"{st_by_version[v]['docs']['rejected']}" for v in versions])
    routing.add_row("doc type right", *[f"{st_by_version[v]['types']['right']}/{n}" for v in versions])
    routing.add_row("fields correct on clean pages",
                    *[_pct(st_by_version[v]["clean"]["correct"], sum(st_by_version[v]["clean"].values()))
                      for v in versions])
    routing.add_row("line items right (found / labelled)",
                    *[f"{st_by_version[v]['items']['correct']} ({st_by_version[v]['items']['found']} / "
                      f"{st_by_version[v]['items']['labelled']})" for v in versions])
    routing.add_row("line items close (numbers exact, description begins alike)",
                    *[f"{st_by_version[v]['items']['close']} / {st_by_version[v]['items']['labelled']}" for v in versions])
    console.print(routing)


def shown(source: str, details: str | None) -> bool:
    """Whether a source's detail lines print: all of them, or (``dev``) only what is not a held-out
    test half, so that tuning on the dev half never shows a test document's values by accident.

    >>> shown("invoices-3-test", "dev"), shown("invoices-3-dev", "dev"), shown("samples", "dev"), shown("x-test", "all")
    (False, True, True, True)
    """
    return details == "all" or (details == "dev" and not source.endswith("-test"))


def report(result: dict, versions: list[str], details: str | None = None, json_out: Path | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    stats = result["stats"]
    for source, per_version in stats.items():
        n = per_version[versions[0]]["n"]
        _print_tables(console, source, per_version, versions, n)

    summary = summary_rows(stats, versions)
    table = Table(title="Summary per document source and extractor version")
    for col in ("source", "version", "docs", "field accuracy", "accept precision", "wrong accepted",
                "accepted whole (all right)", "review rate", "s/doc", "doc type right", "XML≠page",
                "line items right / close / labelled"):
        table.add_column(col, justify="left" if col in ("source", "version") else "right")
    for r in summary:
        table.add_row(r["source"], r["version"], str(r["documents"]), _f(r["field_accuracy"]),
                      _f(r["accept_precision"]) + f" ({r['accepted_fields']})", str(r["wrong_accepted"]),
                      f"{r['docs_accepted']} ({r['docs_accepted_all_right']})", _f(r["review_rate"]),
                      _f(r["seconds_per_doc"], pct=False), f"{r['doc_type_right']}/{r['documents']}",
                      str(r["einvoice_disagreements"]) if r["version"] == EINVOICE else "",
                      f"{r['line_items_right']} / {r['line_items_close']} / {r['line_items_labelled']}")
    console.print(table)

    calibration = calibration_rows(stats, versions)
    cal = Table(title="Calibration: field confidence vs accuracy (every source, fields with a value)")
    for col in ("version", "confidence", "fields", "accuracy", "accepted", "accepted right"):
        cal.add_column(col, justify="left" if col == "version" else "right")
    for r in calibration:
        if r["n"]:
            cal.add_row(r["version"], f"[{r['low']:.2f}, {r['high']:.2f}{']' if r['high'] == 1.0 else ')'}",
                        str(r["n"]), _f(r["accuracy"]), str(r["accepted"]), str(r["accepted_right"]))
    console.print(cal)
    parties = Table(title="Party fields vs the e-invoice's seller/buyer data (informational: not in field accuracy)")
    for col in ("source", "version", "field", "accepted right", "accepted wrong", "review right", "review wrong",
                "missing", "no truth"):
        parties.add_column(col, justify="left" if col in ("source", "version", "field") else "right")
    for source, per_version in stats.items():
        for v in versions:
            for field in PARTY_FIELDS:
                r = per_version[v]["parties"].get(field)
                if r:
                    parties.add_row(source, v, field, str(r["correct & accepted"]), str(r["wrong & accepted"]),
                                    str(r["correct & review"]), str(r["wrong & review/reject"]), str(r["missing"]),
                                    str(r["found, no truth"] + r["absent & not found"]))
    console.print(parties)
    console.print(f"read time (text layer / OCR): {result['ocr_s']:.0f} s for {result['n']} documents")
    _print_word_checks(console, result.get("word_checks") or [])
    if json_out is not None:
        json_out.write_text(json.dumps({"summary": summary, "calibration": calibration}, indent=1))
    for source, per_version in stats.items():
        for v in versions:
            for row in per_version[v]["details"] if shown(source, details) else ():
                console.print(f"{v}: {source}/" + " | ".join(map(str, row)), highlight=False)
    failed = 0
    for source, per_version in stats.items():
        for v in versions:
            for name, field, want, got in per_version[v]["wrong_accepted"]:
                values = f"want {want!r}, got {got!r}" if details != "dev" or shown(source, details) else "(a test half: values withheld)"
                console.print(f"[red]{v}: wrong value auto-accepted[/] {source}/{name} {field}: {values}")
                failed = 1
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description="Extraction evaluation over a labelled set.")
    parser.add_argument("--count", type=int, help="documents to generate (half contracts); default 48, "
                        "or 0 when --dir or --corpus is given")
    parser.add_argument("--seed", type=int, default=2000)
    parser.add_argument("--dir", type=Path, help="evaluate PDFs + labels.json in this folder instead")
    parser.add_argument("--versions", help="comma-separated; default every rules version without sender "
                        f"memory (streams/extract/versions.py) and {EINVOICE} on top of the last one")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="a labelled real-document folder with truth.json (repeatable), e.g. tests/corpus/zugferd")
    parser.add_argument("--render", type=int, default=0, help="also OCR the first N corpus PDFs as page images")
    parser.add_argument("--render-dpi", type=int, default=200)
    parser.add_argument("--scans", type=int, default=0, help="also OCR N corpus PDFs as scans (200 dpi, turned a "
                        "little, noisy), alternating the dev and test halves; one row per half")
    parser.add_argument("--zugferd-src", type=Path, help="a fetched copy (bench/corpus_zugferd.py fetch) or git mirror "
                        "of the whole ZUGFeRD corpus: every distinct PDF, truth from its XML, rows zugferd-full-dev/-test")
    parser.add_argument("--fields", help="comma-separated: score only these fields (e.g. the invoice fields)")
    parser.add_argument("--json", type=Path, help="write the summary and calibration tables here")
    parser.add_argument("--details", nargs="?", const="all", choices=("all", "dev"),
                        help="list every field not correct & accepted; '--details dev': only outside the held-out "
                             "test halves (their wrong accepts are counted, their values withheld)")
    parser.add_argument("--cache", type=Path, help="keep OCR output here (keyed by file hash) to re-run rules fast")
    args = parser.parse_args()

    from inkstream.settings import load_settings

    if args.versions:
        versions = args.versions.split(",")
    else:
        from streams.extract.versions import RULESETS

        versions = [v for v, r in RULESETS.items() if not getattr(r, "sender_memory", False)] + [EINVOICE]
    docs = _documents(args)
    if args.fields:
        keep = set(args.fields.split(","))
        docs = [(s, n, d, {**lab, "fields": {k: v for k, v in lab["fields"].items() if k in keep}})
                for s, n, d, lab in docs]
    return report(evaluate(docs, versions, load_settings(), args.cache), versions, args.details, args.json)


if __name__ == "__main__":
    sys.exit(main())

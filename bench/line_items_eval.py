"""Line items on the full ZUGFeRD corpus: every PDF whose embedded XML lists items, the XML's
items as truth, per hold-out half (``half_of``: tune on dev, report test).

    .venv/bin/python bench/corpus_zugferd.py fetch --dest /tmp/zugferd-corpus   # pinned, SHA-256 checked
    .venv/bin/python bench/line_items_eval.py --dir /tmp/zugferd-corpus [--cache /tmp/zugferd-pages]

Prints, per half and extractor version: documents, items labelled / found, right (exact:
description without spaces, quantity, unit price, amount), close (numbers exact, the
printed description begins with the XML's item name), and the subtotals and totals accepted
with how many of them differ from the XML (the strong "items add up" check must not add any).
The committed subset's rows are in ``extraction_eval.py`` (``line items right / close``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("OMP_NUM_THREADS", "1")

from corpus_zugferd import local_name  # noqa: E402
from extraction_eval import _item_key, _items_close, half_of  # noqa: E402


def _pages(reader, data: bytes, cache: Path | None) -> list[dict]:
    path = cache / f"{hashlib.sha256(data).hexdigest()[:20]}.json" if cache else None
    if path is not None and path.exists():
        return json.loads(path.read_text())
    pages = reader().read(data)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(pages))
    return pages


def evaluate(folder: Path, versions: list[str], cache: Path | None) -> Counter:
    from functools import cache as once

    from inkstream.settings import load_settings
    from streams.extract.einvoice import EInvoiceError, from_pdf
    from streams.extract.local import extract_pages
    from streams.ocr.reader import DocumentReader

    settings = load_settings()
    reader = once(lambda: DocumentReader.from_settings(settings.ocr))
    counts: Counter = Counter()
    for path in sorted(folder.rglob("*.pdf")):
        data = path.read_bytes()
        try:
            inv = from_pdf(data)
        except EInvoiceError:
            inv = None
        if inv is None or not inv.line_items:
            continue
        half = half_of(local_name(str(path.relative_to(folder))))
        pages = _pages(reader, data, cache)
        for v in versions:
            result = extract_pages(path.name, pages, settings.extraction, version=v)
            want = {_item_key(i) for i in inv.line_items}
            got = {_item_key(i) for i in result["line_items"]}
            key = (half, v)
            counts[key, "documents"] += 1
            counts[key, "labelled"] += len(inv.line_items)
            counts[key, "found"] += len(result["line_items"])
            counts[key, "right"] += len(want & got)
            counts[key, "close"] += _items_close(inv.line_items, result["line_items"])
            for f in result["fields"]:
                if f["name"] in ("subtotal_amount", "total_amount") and f["status"] == "accept":
                    counts[key, f"{f['name']} accepted"] += 1
                    if inv.fields.get(f["name"]) not in (None, f["normalized"]):
                        counts[key, f"{f['name']} accepted, XML differs"] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, required=True, help="a fetched copy of the ZUGFeRD corpus")
    parser.add_argument("--versions", default="rules-3")
    parser.add_argument("--cache", type=Path, help="keep the pages read (text layer / OCR) here")
    args = parser.parse_args()
    versions = args.versions.split(",")
    counts = evaluate(args.dir, versions, args.cache)

    from rich.console import Console
    from rich.table import Table

    cols = ("documents", "labelled", "found", "right", "close", "subtotal_amount accepted",
            "subtotal_amount accepted, XML differs", "total_amount accepted", "total_amount accepted, XML differs")
    table = Table(title="Line items on the full ZUGFeRD corpus (XML items as truth)")
    table.add_column("half")
    table.add_column("version")
    for c in cols:
        table.add_column(c, justify="right")
    for half in ("dev", "test"):
        for v in versions:
            table.add_row(half, v, *[str(counts[(half, v), c]) for c in cols])
    Console(width=200).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

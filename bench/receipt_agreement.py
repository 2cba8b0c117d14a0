"""Two OCR models on the same line: does their agreement make a receipt's date or total safe to accept?

Reads a receipt corpus's cached OCR (``extraction_eval.py --cache``), cuts every line with a
digit out of the page again (the page prepared exactly as the reader does) and has a second
recogniser read it (``--engine``, default ``rapidocr:small`` beside the default tiny model).
A line both models read alike (spacing, width and case aside: the scans work's
``cross_check_digits`` rule) is written back with ``"agreed": true`` into a copy of the cache;
then score the corpus on that copy:

    .venv/bin/python bench/receipt_agreement.py --corpus /tmp/rc/receipts --cache /tmp/ocr-cache --out /tmp/ocr-agreed
    .venv/bin/python bench/extraction_eval.py --corpus /tmp/rc/receipts --cache /tmp/ocr-agreed --versions rules-3

It also prints, over the labelled dates and totals, how often the two models agreed on a line
that carries a wrong value (the number that must stay 0 for agreement to count as a check).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
import unicodedata
from pathlib import Path


def squash(text: str) -> str:
    """What two readings must share to agree: characters, not spacing, width or case."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="extraction_eval's OCR cache (read)")
    parser.add_argument("--out", type=Path, required=True, help="the cache copy with 'agreed' flags (written)")
    parser.add_argument("--engine", default="rapidocr:small")
    parser.add_argument("--limit", type=int, default=0, help="only the first N receipts")
    args = parser.parse_args()

    from inkstream.settings import load_settings
    from streams.ocr.engines import Box, Line, load_engine
    from streams.ocr.preprocess import Orienter, prepare
    from streams.ocr.raster import PixelBudget, iter_pages
    from streams.ocr.reader import _crop

    ocr = load_settings().ocr
    orienter = Orienter(threads=ocr.threads) if ocr.preprocess else None
    second = load_engine(ocr, engine=args.engine)
    truth = json.loads((args.corpus / "truth.json").read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    seen = agreed = 0
    wrong_agreed: list[tuple[str, str]] = []
    names = sorted(truth)[: args.limit or None]
    t0 = time.perf_counter()
    for n, name in enumerate(names, 1):
        data = (args.corpus / name).read_bytes()
        key = f"{hashlib.sha256(data).hexdigest()[:20]}.json"
        pages = json.loads((args.cache / key).read_text())
        images = list(iter_pages(data, dpi=ocr.dpi, max_pages=ocr.max_pages, budget=PixelBudget.from_settings(ocr)))
        for rec, raster in zip(pages, images):
            if raster.image is None or rec.get("text_source") != "ocr":
                continue
            img = prepare(raster.image, orienter).image if ocr.preprocess else raster.image
            if (img.shape[1], img.shape[0]) != (rec["width"], rec["height"]):
                print(f"{name}: page size differs from the cache; skipped", file=sys.stderr)
                continue
            idx = [i for i, ln in enumerate(rec["lines"]) if re.search(r"\d", ln["text"])]
            lines = [Line(rec["lines"][i]["text"], rec["lines"][i]["confidence"],
                          Box(*(rec["lines"][i]["box"][k] for k in ("x0", "y0", "x1", "y1")))) for i in idx]
            crops = [(i, c) for i, ln in zip(idx, lines) if (c := _crop(img, ln, 1.0)).size]
            for (i, _), (text, _score) in zip(crops, second.recognize([c for _, c in crops])):
                same = squash(text) == squash(rec["lines"][i]["text"])
                rec["lines"][i]["agreed"] = same
                seen += 1
                agreed += same
                f = truth[name]["fields"]
                # a line two models agree on that shows a date/total digit string unlike the truth's
                if same and re.search(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", text):
                    y, m, d = f["receipt_date"].split("-")
                    if not any(s in squash(text) for s in (f"{d}.{m}.{y}", f"{d}.{m}.{y[2:]}", f"{d}/{m}/{y}")):
                        wrong_agreed.append((name, text))
        (args.out / key).write_text(json.dumps(pages))
        print(f"[{n}/{len(names)}] {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    print(f"lines with digits re-read: {seen}; both models agreed: {agreed} ({agreed / max(seen, 1):.0%})")
    print(f"date-shaped lines both models agreed on that are not the labelled date: {len(wrong_agreed)}")
    for name, text in wrong_agreed:
        print(f"  {name}: {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

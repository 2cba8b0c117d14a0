"""How wide the OCR cross-check's second cut may be (streams/ocr/reader.py, ``_CHECK_PADS``).

The reader reads every date and document-number line again with a second model, cut out at
``_CHECK_PADS[0]`` px around its box, then again at ``_CHECK_PADS[1]`` px; both readings must match
the first model's. For each development-half image of the given corpora this takes the
date/number lines that agree on the first cut and counts how many agree again at each candidate
second margin (fixed pixels, or a share of the line's height). A margin that takes in the
neighbouring lines turns right readings into disagreements; one that still disagrees on a known
misread (the "GT\\5153" line of vendor-samples' ``azuredp__invoice_5.pdf``, printed when met) keeps
the check's point.

    OMP_NUM_THREADS=1 .venv/bin/python bench/ocr_check_cuts.py tests/corpus/public-invoices \
        tests/corpus/vendor-samples /path/to/receipts47   # bench/corpus_receipts.py fetch --dest
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MARGINS = {"8 px": lambda h: 8, "2 px": lambda h: 2, "0 px": lambda h: 0,
           "h/4": lambda h: max(1, round(h / 4)), "h/2 (2..8)": lambda h: min(8, max(2, round(h / 2)))}
_IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
_KNOWN_MISREAD = "azuredp__invoice_5.pdf"  # test half, read only for its "GT\5153" line


def main() -> int:
    from extraction_eval import half_of

    from inkstream.settings import load_settings
    from streams.ocr.preprocess import prepare
    from streams.ocr.raster import PixelBudget, iter_pages
    from streams.ocr.reader import _CHECK_PADS, _DATE, _IDENT, DocumentReader, _crop, _squash

    settings = load_settings().ocr
    reader = DocumentReader.from_settings(settings)
    files = []
    for folder in map(Path, sys.argv[1:]):
        truth = json.loads((folder / "truth.json").read_text())
        files += [folder / name for name, label in truth.items()
                  if (name.lower().endswith(_IMAGES) or label.get("scanned"))
                  and (half_of(name) == "dev" or name == _KNOWN_MISREAD)]
    first_cut, totals = 0, dict.fromkeys(MARGINS, 0)
    for path in files:
        for page in iter_pages(path.read_bytes(), dpi=settings.dpi, max_pages=settings.max_pages,
                               budget=PixelBudget.from_settings(settings)):
            if page.image is None or page.text_runs is not None:
                continue  # a text layer: nothing to cross-check
            img = prepare(page.image, reader.orienter, faint=settings.enhance).image
            lines = reader.engine.read(img)
            asked = [i for i, ln in enumerate(lines)
                     if (_DATE.search(ln.text) or _IDENT.search(ln.text)) and ln.box.x1 - ln.box.x0 > 2]
            if not asked:
                continue
            once = reader.digit_engine.recognize([_crop(img, lines[i], 1.0, _CHECK_PADS[0]) for i in asked])
            agreed = [i for i, (text, _) in zip(asked, once) if _squash(text) == _squash(lines[i].text)]
            first_cut += len(agreed)
            row = []
            for name, margin in MARGINS.items():
                crops = [_crop(img, lines[i], 1.0, margin(lines[i].box.y1 - lines[i].box.y0)) for i in agreed]
                again = reader.digit_engine.recognize(crops) if crops else []
                same = [i for i, (text, _) in zip(agreed, again) if _squash(text) == _squash(lines[i].text)]
                totals[name] += len(same)
                row.append(f"{name}: {len(same)}")
                for i, (text, _) in zip(agreed, again):
                    if "5153" in lines[i].text:
                        print(f"  known misread {lines[i].text!r}, second cut at {name}: {text!r}")
            print(f"{path.name[:40]:40} agree at {_CHECK_PADS[0]} px: {len(agreed):3}  " + "  ".join(row), flush=True)
    print(f"all: {first_cut} lines agree on the first cut; again at " +
          ", ".join(f"{name}: {n}" for name, n in totals.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

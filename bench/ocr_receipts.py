"""OCR on synthetic shop receipts (streams/ocr/receiptpages.py): faded thermal print, small
fonts, skew, long narrow rolls, phone photos. Per variant of the OCR settings, side by side
on the same images, page by page in turn (the machine's load falls on all alike):

    OMP_NUM_THREADS=1 .venv/bin/python bench/ocr_receipts.py --seeds 2
    OMP_NUM_THREADS=1 .venv/bin/python bench/ocr_receipts.py --seeds 1 --variants default,no-enhance

CER = edit distance of the page text as extraction sees it (rows of lines, spaces
removed, rules of dashes not counted) / truth length; "key lines" = the date, tax and total lines read exactly as one
row (what a receipt's fields are taken from); digit words = words with digits found;
digit lines >= 0.97: OCR lines with digits scored at least 0.97 (what extraction may accept
unreviewed) that lie inside a truth line / that do not (the wrong-accept risk).
CPU s/page is this process's ``time.process_time()`` (one thread), comparable across rows.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

# variant name -> OcrSettings overrides
VARIANTS: dict[str, dict] = {
    "default": {},
    "no enhance": {"enhance": False},
    "no digit check": {"digit_check_below": 0.0},
    "all characters": {"charset": "all"},
    "det area (a letter page's pixels)": {"det_limit": "area"},
    "rapidocr shrinks pages > 2000 px": {"max_side": 2000},
    "old (rapidocr shrinks pages > 2000 px, no enhance, all characters, no digit check)": {
        "max_side": 2000, "enhance": False, "charset": "all", "digit_check_below": 0.0},
}


def _norm(text: str) -> str:
    """Spaces dropped: the tiny model's "DATE:24/08/2025" for "DATE: 24/08/2025" is harmless to
    every label pattern; characters are what fields are made of."""
    return "".join(text.split())


def score(truth: list[str], keys: dict[str, str], page: dict) -> dict:
    from streams.ocr.quality import page_text, token_recall, tokens
    from streams.ocr.testpages import levenshtein

    text = page_text(page)
    truth = [t for t in truth if t.strip(" -=")]  # rules of dashes are drawn, not text
    ref = _norm(" ".join(truth))
    rows = {_norm(r) for r in text.split("\n")}
    found, total = token_recall(tokens(" ".join(truth)), tokens(text), digits_only=True)
    # lines with digits OCR scored >= 0.97 (what extraction may accept): right = inside a truth line
    from streams.extract.layout import Layout

    truths = [_norm(t).casefold() for t in truth]  # "1 X SOAP" for "1 x SOAP" is no field error
    sure = [ln for ln in Layout.from_ocr({"pages": [{**page, "number": 1}]}).lines
            if ln.confidence >= 0.97 and any(c.isdigit() for c in ln.text)]
    bad = [ln for ln in sure if not any(_norm(ln.text).casefold() in t for t in truths)]
    wrong = len(bad)
    if bad and os.environ.get("SHOW_WRONG"):
        print("confident and wrong:", [(ln.text, round(ln.confidence, 3)) for ln in bad], file=sys.stderr)
    digit_lines = sum(1 for t in truth if any(c.isdigit() for c in t))
    return {"cer": levenshtein(_norm(text), ref) / max(1, len(ref)), "keys": sum(_norm(k) in rows for k in keys.values()),
            "nkeys": len(keys), "dfound": found, "dtotal": total, "sure": len(sure) - wrong, "sure_wrong": wrong,
            "digit_lines": digit_lines}


def real_score(label: dict, page: dict) -> dict:
    """A labelled real receipt (tests/corpus/receipts/truth.json shape): are the printed total
    and date on the OCR page, and how sure was OCR of the lines holding them?"""
    import re

    from streams.extract.layout import Layout

    fields = label["fields"]
    lines = Layout.from_ocr({"pages": [{**page, "number": 1}]}).lines
    total = fields.get("total_amount")
    y, m, d = (fields.get("receipt_date") or "--").split("-")
    forms = [re.escape(total.replace(".", sep)) for sep in (",", ".")] if total else []
    date_re = re.compile(rf"{d}\s*[./-]\s*{m}\s*[./-]\s*(?:{y}|{y[2:]})(?!\d)") if d else None
    out = {}
    for key, hit in (("total", lambda t: any(re.search(rf"(?<![\d,.]){f}(?!\d)", t) for f in forms)),
                     ("date", lambda t: bool(date_re and date_re.search(t)))):
        found = [ln.confidence for ln in lines if hit(ln.text)]
        out[key] = max(found) if found else None
    return out


def real_main(folder: Path, names: list[str]) -> int:
    """``--real DIR``: per labelled real receipt image, per variant: total and date found (and
    the OCR score of the line holding them), CPU seconds."""
    import json

    import cv2
    from rich.console import Console
    from rich.table import Table

    from inkstream.settings import load_settings
    from streams.ocr.reader import DocumentReader

    truth = json.loads((folder / "truth.json").read_text())
    base = load_settings().ocr
    readers = {v: DocumentReader.from_settings(base.model_copy(update=VARIANTS[v])) for v in names}
    table = Table(title=f"Real receipts ({folder}): total / date found (OCR score of the line)")
    for col in ("image", "px", *[f"{v[:28]}: total / date / CPU s" for v in names]):
        table.add_column(col)
    sums = {v: [0, 0, 0.0] for v in names}
    for name in sorted(n for n in truth if (folder / n).exists() and not n.endswith(".pdf")):
        img = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        row = [name[:30], f"{img.shape[1]}x{img.shape[0]}"]
        for v in names:
            t0 = time.process_time()
            page = readers[v].read_image(img)
            cpu = time.process_time() - t0
            sc = real_score(truth[name], page)
            sums[v][0] += sc["total"] is not None
            sums[v][1] += sc["date"] is not None
            sums[v][2] += cpu
            row.append(" / ".join("-" if sc[k] is None else f"{sc[k]:.2f}" for k in ("total", "date")) + f" / {cpu:.1f}")
        table.add_row(*row)
        print(f"{name} done", file=sys.stderr, flush=True)
    n = len(table.rows)
    table.add_row("found", str(n), *[f"{t}/{n} / {d}/{n} / {c / max(1, n):.1f}" for t, d, c in sums.values()])
    Console(width=220).print(table)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=1, help="receipts per kind of damage")
    parser.add_argument("--kinds", help="comma-separated kinds (streams/ocr/receiptpages.DEGRADATIONS)")
    parser.add_argument("--variants", help="comma-separated variant names (prefixes match); default all")
    parser.add_argument("--letters", type=int, default=0, help="also the first N letter pages of bench/ocr_engines.py")
    parser.add_argument("--show", action="store_true", help="print each page's text under the default variant")
    parser.add_argument("--real", type=Path, help="a folder of labelled real receipt images (truth.json), e.g. "
                        "tests/corpus/receipts; reports total and date found per variant")
    args = parser.parse_args()
    if args.real:
        return real_main(args.real, [v for v in VARIANTS if not args.variants
                                     or any(v.startswith(p) for p in args.variants.split(","))])

    from rich.console import Console
    from rich.table import Table

    from inkstream.settings import load_settings
    from streams.ocr.quality import page_text
    from streams.ocr.receiptpages import DEGRADATIONS, receipt_page
    from streams.ocr.reader import DocumentReader

    base = load_settings().ocr
    names = [v for v in VARIANTS if not args.variants or any(v.startswith(p) for p in args.variants.split(","))]
    readers = {v: DocumentReader.from_settings(base.model_copy(update=VARIANTS[v])) for v in names}
    kinds = args.kinds.split(",") if args.kinds else list(DEGRADATIONS)
    letters = {}
    if args.letters:  # the OCR bench's letter pages (streams/ocr/testpages.py), for the cost on invoices
        from streams.ocr.receiptpages import Receipt
        from streams.ocr.testpages import sample_pages

        for p in sample_pages(200)[: args.letters]:
            letters[f"letter-{p.name}"] = Receipt(p.name, p.image, p.truth, {}, p.skew)
        kinds += list(letters)
    acc: dict[str, dict[str, dict]] = {v: defaultdict(lambda: defaultdict(float)) for v in names}
    for kind in kinds:
        for seed in range(1 if kind in letters else args.seeds):
            r = letters[kind] if kind in letters else receipt_page(kind, seed)
            for v in names:
                t0 = time.process_time()
                page = readers[v].read_image(r.image)
                cpu = time.process_time() - t0
                s = score(r.truth, r.key_lines, page)
                a = acc[v][kind]
                for k, x in s.items():
                    a[k] += x
                a["n"] += 1
                a["cpu"] += cpu
                if args.show and v == names[0]:
                    print(f"--- {r.name} ({v}): CER {s['cer']:.1%}, keys {s['keys']}/{s['nkeys']}\n{page_text(page)}")
            print(f"{kind} seed {seed} done", file=sys.stderr, flush=True)

    table = Table(title=f"Receipts: OCR per kind of damage ({args.seeds} per kind)")
    for col in ("variant", "kind", "CER", "key lines exact", "digit words", "OCR digit lines >= 0.97: right / truth digit lines / wrong",
                "CPU s/page"):
        table.add_column(col, justify="left" if col in ("variant", "kind") else "right")
    for v in names:
        tot = defaultdict(float)
        for kind in kinds:
            a = acc[v][kind]
            for k, x in a.items():
                tot[k] += x
            table.add_row(v, kind, f"{a['cer'] / a['n']:.1%}", f"{int(a['keys'])}/{int(a['nkeys'])}",
                          f"{a['dfound'] / max(1, a['dtotal']):.1%}",
                          f"{int(a['sure'])}/{int(a['digit_lines'])} / {int(a['sure_wrong'])}", f"{a['cpu'] / a['n']:.2f}")
        table.add_row(v, "all", f"{tot['cer'] / tot['n']:.1%}", f"{int(tot['keys'])}/{int(tot['nkeys'])}",
                      f"{tot['dfound'] / max(1, tot['dtotal']):.1%}",
                      f"{int(tot['sure'])}/{int(tot['digit_lines'])} / {int(tot['sure_wrong'])}",
                      f"{tot['cpu'] / tot['n']:.2f}", end_section=True)
    Console(width=160).print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

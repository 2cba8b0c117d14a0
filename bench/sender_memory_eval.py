"""Sender memory on a labelled corpus: documents in order, a simulated reviewer.

Each document is extracted with ``memory-1``; when it lands in review, a reviewer
corrects every labelled field to its truth and approves, and the approval becomes a
memory record (what ``inkstream run extract-memory`` does with a real one, the document's
pages at hand). The
table compares rules-3 (no memory) with memory-1 on the same documents: fields accepted
right and wrong, documents accepted whole, and how many of memory-1's documents came
from a sender it had seen.

    .venv/bin/python bench/sender_memory_eval.py --corpus tests/corpus/zugferd

Reads text-layer PDFs only (no OCR): the point is what the memory adds, not the OCR.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    from inkstream.settings import ExtractionSettings, load_settings
    from streams.extract.extractor import extract
    from streams.extract.layout import Layout
    from streams.extract.memory import SenderMemory, memory_record
    from streams.extract.parties import canonical_name
    from streams.extract.processor import validated_record
    from streams.ocr.reader import DocumentReader
    from streams.review.decision import decide

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder with truth.json and the PDFs")
    args = parser.parse_args()
    truth = json.loads((args.corpus / "truth.json").read_text())
    reader = DocumentReader.from_settings(load_settings().ocr)
    settings = ExtractionSettings()
    memory = SenderMemory()
    stats = {v: {"right": 0, "wrong": 0, "whole": 0, "whole_right": 0, "docs": 0, "known": 0}
             for v in ("rules-3", "memory-1")}
    names = {"customer", "supplier"}  # compared without salutations, as bench/extraction_eval.py does
    wrong: list[str] = []
    for name in sorted(truth):
        label = truth[name]
        if not name.endswith(".pdf") or label.get("printed_differs"):
            continue  # pages that print other values than their XML say nothing about the memory
        pages = reader.read((args.corpus / name).read_bytes())
        if any(p.get("text_source") != "text_layer" for p in pages):
            continue
        record = {"doc_id": name, "pages": pages, "trace": "bench", "source": "bench",
                  "original": {"bucket": "b", "key": name, "version_id": None, "sha256": "0" * 64,
                               "size_bytes": 0, "content_type": "application/pdf"}}
        want = label["fields"]
        for version in ("rules-3", "memory-1"):
            result = extract(record, settings, version=version, memory=memory if version == "memory-1" else None)
            st = stats[version]
            st["docs"] += 1
            st["whole"] += result["status"] == "accepted"
            if version == "memory-1" and result.get("sender") and memory.known(result["sender"], result["doc_type"]):
                st["known"] += 1
            right = 0
            for f in result["fields"]:
                if f["name"] in want and f["status"] == "accept":
                    same = canonical_name if f["name"] in names else (lambda v: v)
                    ok = same(f["normalized"]) == same(want[f["name"]])
                    st["right" if ok else "wrong"] += 1
                    right += ok
                    if not ok:
                        wrong.append(f"{version}: {name} {f['name']}: {f['normalized']!r} != {want[f['name']]!r}")
            st["whole_right"] += result["status"] == "accepted" and right == len(want)
        if result["status"] != "accepted":  # the reviewer corrects to the truth and approves
            fields = {f["name"] for f in result["fields"]}
            fixes = {k: v for k, v in want.items() if k in fields and v is not None}
            learnt = memory_record(decide(validated_record(record, result), reviewer="bench",
                                          decision="approved", corrections=fixes), Layout.from_ocr(record))
            if learnt:
                memory.learn(learnt)
    table = Table(title=f"sender memory on {args.corpus} (documents in name order)")
    for col in ("version", "docs", "fields accepted right", "accepted wrong", "accepted whole (all right)",
                "sender known"):
        table.add_column(col)
    for version, st in stats.items():
        table.add_row(version, str(st["docs"]), str(st["right"]), str(st["wrong"]), f"{st['whole']} ({st['whole_right']})",
                      str(st["known"]) if version == "memory-1" else "–")
    Console().print(table)
    for line in wrong:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A hand-labelled corpus is exactly the files its SOURCE.md names, byte for byte, and every one is labelled.

Corpora committed with a ``## Files (SHA-256)`` table in SOURCE.md (``tests/corpus/public-invoices``,
``tests/corpus/vendor-samples``): each listed file is in the folder with that SHA-256, no other document
lies there, truth.json labels exactly those files and states the same repository and hash. A file
swapped, re-encoded or added without its source then fails here, not as an odd figure in the bench.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent
META = {"LICENSE", "SOURCE.md", "truth.json"}
ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| (?P<repo>[\w.-]+/[\w.-]+) \| `(?P<path>[^`]+)` \| (?P<type>\w+) \| "
                 r"(?P<kind>\w+) \| `(?P<sha>[0-9a-f]{64})` \|$")
LISTED = sorted(p.parent for p in CORPUS.glob("*/SOURCE.md") if "## Files (SHA-256)" in p.read_text())


def _table(source_md: Path) -> dict[str, dict]:
    """The rows of SOURCE.md's files table, by file name."""
    text = source_md.read_text().split("## Files (SHA-256)", 1)[1]
    rows = {}
    for line in text.splitlines():
        if line.startswith("| `"):
            m = ROW.match(line)
            assert m, f"{source_md}: a files-table row in an unknown shape: {line!r}"
            assert m["file"] not in rows, f"{source_md}: {m['file']} listed twice"
            rows[m["file"]] = m.groupdict()
    return rows


def problems(folder: Path) -> list[str]:
    """What is wrong between a corpus folder, its SOURCE.md table and its truth.json (empty: nothing)."""
    rows = _table(folder / "SOURCE.md")
    truth = json.loads((folder / "truth.json").read_text())
    found = []
    if not rows:
        found.append("SOURCE.md lists no file")
    present = {p.name for p in folder.iterdir() if p.is_file() and p.name not in META}
    found += [f"{n}: in the folder, not in SOURCE.md" for n in sorted(present - set(rows))]
    found += [f"{n}: in SOURCE.md, not in the folder" for n in sorted(set(rows) - present)]
    found += [f"{n}: not labelled in truth.json" for n in sorted(set(rows) - set(truth))]
    found += [f"{n}: labelled but not in SOURCE.md" for n in sorted(set(truth) - set(rows))]
    for name in sorted(set(rows) & present):
        row = rows[name]
        sha = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        if sha != row["sha"]:
            found.append(f"{name}: SHA-256 {sha} is not SOURCE.md's {row['sha']}")
        label = truth.get(name)
        if label is None:
            continue
        src = label.get("source", {})
        if src.get("sha256") not in (None, row["sha"]):
            found.append(f"{name}: truth.json's sha256 is not SOURCE.md's")
        if src.get("repo") != row["repo"]:
            found.append(f"{name}: truth.json's repo {src.get('repo')!r} is not SOURCE.md's {row['repo']!r}")
        if label.get("doc_type") != row["type"]:
            found.append(f"{name}: truth.json's doc_type {label.get('doc_type')!r} is not SOURCE.md's {row['type']!r}")
    return found


def test_the_hand_labelled_corpora_have_files_tables():
    # the check below must not pass by finding no corpus to check
    assert {"public-invoices", "vendor-samples"} <= {p.name for p in LISTED}


@pytest.mark.parametrize("folder", LISTED, ids=lambda p: p.name)
def test_files_match_source_hashes_and_truth_covers_them(folder: Path):
    assert problems(folder) == []


@pytest.mark.parametrize("folder", LISTED, ids=lambda p: p.name)
def test_source_names_each_files_repository_commit(folder: Path):
    # every repository in the table is pinned to a 40-hex commit in truth.json (the bytes' provenance)
    truth = json.loads((folder / "truth.json").read_text())
    for name, label in truth.items():
        assert re.fullmatch(r"[0-9a-f]{40}", label["source"]["commit"]), name
        assert label["source"]["commit"] in (folder / "SOURCE.md").read_text(), f"{name}: commit not named in SOURCE.md"


def test_a_changed_added_or_unlabelled_file_is_caught(tmp_path: Path):
    folder = tmp_path / "public-invoices"
    shutil.copytree(CORPUS / "public-invoices", folder)
    assert problems(folder) == []
    victim = sorted(p for p in folder.iterdir() if p.name not in META)[0]
    victim.write_bytes(victim.read_bytes() + b"\n")  # one byte more
    (folder / "stray.pdf").write_bytes(b"%PDF-1.4\n")
    truth = json.loads((folder / "truth.json").read_text())
    dropped = sorted(truth)[-1]
    del truth[dropped]
    (folder / "truth.json").write_text(json.dumps(truth))
    found = problems(folder)
    assert any(victim.name in f and "SHA-256" in f for f in found), found
    assert "stray.pdf: in the folder, not in SOURCE.md" in found
    assert f"{dropped}: not labelled in truth.json" in found

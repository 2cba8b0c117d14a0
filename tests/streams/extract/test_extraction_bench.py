"""bench/extraction_eval.py on the committed corpus: the tables it prints are computed right
(plain XML invoices: no OCR, runs in a second on a fresh clone)."""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "corpus" / "zugferd"


def _bench():
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location("extraction_eval", ROOT / "bench" / "extraction_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bench_scores_sources_and_versions_and_bins_confidence(tmp_path):
    from inkstream.settings import load_settings

    bench = _bench()
    args = argparse.Namespace(dir=None, count=0, seed=1, corpus=[CORPUS], render=0, render_dpi=100)
    docs = [d for d in bench._documents(args) if d[1].endswith(".xml")]
    assert len(docs) == 6 and {d[0] for d in docs} == {"zugferd-xml"}
    versions = ["rules-1", bench.EINVOICE]
    result = bench.evaluate(docs, versions, load_settings())
    rows = {r["version"]: r for r in bench.summary_rows(result["stats"], versions)}
    # A document without pages has nothing to read for the visual rules: all to review, nothing wrong.
    visual = rows["rules-1"]
    # (the only fields right are the due dates that these invoices do not have and that were not found)
    assert (visual["documents"], visual["field_accuracy"], visual["accepted_fields"]) == (6, 4 / 36, 0)
    assert visual["review_rate"] == 1.0 and visual["docs_accepted"] == 0
    labelled = sum(len(label["fields"]) for _, _, _, label in docs)
    assert sum(len(label["absent_fields"]) for _, _, _, label in docs) == 4  # no due date on 4 of them
    exact = rows[bench.EINVOICE]
    assert exact["fields"] == labelled + 4 and exact["field_accuracy"] == 1.0 and exact["accept_precision"] == 1.0
    assert (exact["docs_accepted"], exact["docs_accepted_all_right"], exact["review_rate"]) == (6, 6, 0.0)
    cal = [r for r in bench.calibration_rows(result["stats"], versions) if r["n"]]
    assert cal == [{"version": bench.EINVOICE, "low": 0.99, "high": 1.0, "n": labelled, "accuracy": 1.0,
                    "accepted": labelled, "accepted_right": labelled}]
    out = tmp_path / "eval.json"
    assert bench.report(result, versions, json_out=out) == 0  # no wrong value accepted
    assert json.loads(out.read_text())["summary"][1]["version"] == bench.EINVOICE


def test_real_corpora_split_into_fixed_dev_and_test_halves_and_scans_are_images_of_both():
    bench = _bench()
    args = argparse.Namespace(dir=None, count=0, seed=1, corpus=[CORPUS], render=0, render_dpi=60, scans=2)
    docs = bench._documents(args)
    sources = {d[0] for d in docs}
    assert sources == {"zugferd-xml", "zugferd-dev", "zugferd-test", "zugferd-dev-scans", "zugferd-test-scans"}
    # The split is a function of the name alone: the same file is in the same half on every machine.
    assert bench.half_of("ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach.pdf") == "test"
    assert bench.half_of("ZUGFeRDv1__correct__Konik__acme_invoice-42_ZUGFeRD.pdf") == "dev"
    halves = {d[1]: d[0] for d in docs if d[0] in ("zugferd-dev", "zugferd-test")}
    assert 10 <= sum(v == "zugferd-test" for v in halves.values()) <= 20
    scans = [d for d in docs if d[0].endswith("-scans")]
    assert len(scans) == 2 and all(d[2][:4] in (b"II*\x00", b"MM\x00*") for d in scans)  # TIFF, no text layer
    assert all(d[3]["xml_fields"] is None and d[3]["scanned"] for d in scans)
    assert {halves[d[1]] + "-scans" for d in scans} == {d[0] for d in scans}


def test_the_whole_corpus_truth_keeps_only_values_the_page_prints(tmp_path):
    # --zugferd-src reads truth from each PDF's XML; a value the page does not print is no
    # truth for reading the page, and a page printed twice (another folder) counts once.
    sys.path.insert(0, str(ROOT / "bench"))
    import corpus_zugferd

    text = "Rechnung 42 vom 31.01.2014 Summe 1.589,80 EUR, fällig 5 March 2018, Steuer 7,67"
    assert corpus_zugferd.printed("total_amount", "1589.80", text)
    assert corpus_zugferd.printed("tax_amount", "-7.67", text)  # the sign aside
    assert not corpus_zugferd.printed("total_amount", "589.80", text)
    assert corpus_zugferd.printed("invoice_date", "2014-01-31", text)
    assert corpus_zugferd.printed("due_date", "2018-03-05", text)
    assert not corpus_zugferd.printed("due_date", "2018-03-06", text)
    # a fetched copy made of the committed subset's files under their repository paths
    truth = json.loads((CORPUS / "truth.json").read_text())
    name = next(n for n in sorted(truth) if n.endswith(".pdf") and "Einfach" in n)
    path = truth[name]["source"]["path"]
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_bytes((CORPUS / name).read_bytes())
    docs, skipped = corpus_zugferd.full_set(tmp_path)
    assert [n for n, _, _ in docs] == [name]
    label = docs[0][2]
    assert label["fields"]["invoice_number"] == truth[name]["fields"]["invoice_number"]
    assert "subtotal_amount" in label["fields"] and not sum(map(len, skipped.values()))
    bench = _bench()
    assert bench.half_of(name) in ("dev", "test")


def test_the_scan_path_compares_ocr_words_with_the_pdfs_text_layer():
    """--scans: each scanned page against its PDF's own text layer (no OCR needed here: a
    text-layer page posing as OCR output, then one with an amount misread)."""
    import copy

    from rich.console import Console

    from inkstream.settings import load_settings
    from streams.ocr.raster import iter_pages
    from streams.ocr.reader import text_layer_record

    bench = _bench()
    ocr = load_settings().ocr
    pdf = next(p for p in sorted(CORPUS.glob("*.pdf")))
    pages = [{**text_layer_record(p), "text_source": "ocr"} for p in iter_pages(pdf.read_bytes(), dpi=ocr.dpi,
                                                                                max_pages=ocr.max_pages)]
    same = bench._word_check(pdf, pages, ocr)
    assert same and all(c["wer"] == 0 and c["found"] == c["total"] > 0 for c in same)
    bad = copy.deepcopy(pages)
    line = next(ln for ln in bad[0]["lines"] if any(ch.isdigit() for ch in ln["text"]))
    word = next(w for w in line["text"].split() if any(ch.isdigit() for ch in w))
    line["text"] = line["text"].replace(word, "X" * len(word), 1)
    got = bench._word_check(pdf, bad, ocr)[0]
    assert got["wer"] > 0 and word in got["missed_digits"] and got["digit_found"] < got["digit_total"]
    console = Console(record=True, width=200)
    bench._print_word_checks(console, [("zugferd-dev-scans", pdf.name, 2.0, [got])])
    assert "digit-word recall" in console.export_text()

"""The demo's e-invoice and German invoice (``samples/``, drawn by bench/docgen_intl.py) through
``inkstream extract FILE --json``: the labels are what the extraction must give."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
LABELS = json.loads((SAMPLES / "labels.json").read_text())


def _extract(name: str, *args: str) -> dict:
    exe = Path(sys.executable).with_name("inkstream")
    proc = subprocess.run([str(exe), "extract", str(SAMPLES / name), "--json", *args], capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_facturx_sample_is_read_from_its_xml_and_accepted():
    out = _extract("invoice-facturx.pdf")
    assert (out["doc_type"], out["status"]) == ("invoice", "accepted")
    assert {k: f["normalized"] for k, f in out["fields"].items()} == LABELS["invoice-facturx.pdf"]["fields"]
    assert {f["source"] for f in out["fields"].values()} == {"e-invoice"}
    assert [(li["description"], li["amount"]) for li in out["line_items"]] == [
        (li["description"], li["amount"]) for li in LABELS["invoice-facturx.pdf"]["line_items"]]


def test_the_generator_embeds_xml_that_round_trips_and_passes_the_facturx_xsd():
    from bench.docgen_intl import make_facturx
    from streams.extract.einvoice import from_pdf

    doc = make_facturx()  # factur-x's generate_from_binary(check_xsd=True) raises on an invalid XML
    inv = from_pdf(doc.pdf)
    assert (inv.syntax, inv.doc_type, inv.xml_name) == ("cii", "invoice", "factur-x.xml")
    assert inv.fields == doc.labels and inv.line_items == doc.line_items


def test_the_german_invoice_is_read_from_its_text_layer_by_the_default_rules():
    out = _extract("rechnung-digital.pdf")  # extraction.version, as the demo runs it (rules-1 says `unknown`)
    want = LABELS["rechnung-digital.pdf"]["fields"]
    assert (out["doc_type"], out["status"]) == ("invoice", "accepted")
    assert {k: out["fields"][k]["normalized"] for k in want} == want
    assert {out["fields"][k]["source"] for k in want} == {"text"}

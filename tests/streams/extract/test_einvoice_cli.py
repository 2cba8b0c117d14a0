"""``inkstream extract FILE --json`` on an XML e-invoice: its fields with ``source: e-invoice``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "zugferd"


def _extract(path: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("inkstream")
    return subprocess.run([str(exe), "extract", str(path), "--json"], capture_output=True, text=True, timeout=300)


def test_extract_reads_a_plain_ubl_invoice_and_keeps_the_output_contract():
    proc = _extract(CORPUS / "XML-Rechnung__UBL__ubl-tc434-creditnote1.xml")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["doc_type"], out["status"]) == ("credit_note", "accepted")
    total = out["fields"]["total_amount"]
    assert set(total) == {"value", "normalized", "confidence", "status", "page", "box", "source"}
    assert (total["normalized"], total["status"], total["source"]) == ("100.11", "accept", "e-invoice")


def test_extract_refuses_xml_that_is_no_invoice_with_exit_code_2(tmp_path):
    note = tmp_path / "note.xml"
    note.write_text("<?xml version='1.0'?><note>hi</note>")
    proc = _extract(note)
    assert proc.returncode == 2 and "not a CII, ZUGFeRD 1 or UBL" in proc.stderr

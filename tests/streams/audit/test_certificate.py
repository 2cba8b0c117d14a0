"""Completion certificates: built from the chain, JSON and a readable PDF."""

from __future__ import annotations

import audit_samples as s
import pypdfium2
import pytest

from inkstream.errors import InkstreamError
from streams.audit.certificate import build_certificate, render_pdf
from streams.audit.query import _Direct
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor

D = s.DAY_MS


@pytest.fixture
def signed_doc(store):
    original = s.obj("originals/ab/abc", b"%PDF original")
    signed = s.obj("signed/c1/def.pdf", b"%PDF signed", version_id="v-signed")
    records = [("documents.ingested", s.ingested("c1", original=original)),
               ("documents.status", s.status("c1", "ingested", at=s.T0 + 1)),
               ("fields.validated", s.validated("c1", at=s.T0 + 2)),
               ("documents.status", s.status("c1", "extracted", at=s.T0 + 3)),
               ("esign.events", s.esign("c1", "sent", at=s.T0 + D, signer_name="Zoë Ünal")),
               ("esign.events", s.esign("c1", "signed", at=s.T0 + 2 * D, signer_name="Zoë Ünal")),
               ("esign.events", s.esign("c1", "completed", at=s.T0 + 2 * D + 5, signed=signed,
                                        signer_name="Zoë Ünal")),
               ("documents.status", s.status("c1", "signature", "completed", at=s.T0 + 2 * D + 9))]
    run_processor(Processor(name="audit", inputs=("x",), batch_sink=AuditSink(lambda: store)), records)
    return original, signed


def test_certificate_holds_hashes_signers_and_every_state_change(store, signed_doc):
    original, signed = signed_doc
    cert = build_certificate(_Direct(store, 10_000), "c1")
    assert cert["completed"] is True
    assert cert["document"]["sha256"] == original["sha256"]
    assert cert["signed"]["sha256"] == signed["sha256"] and cert["signed"]["object"]["version_id"] == "v-signed"
    [signer] = cert["signers"]
    assert signer["email"] == "ada@example.com" and signer["ip"] == "203.0.113.7"
    assert signer["auth_method"] == "email" and signer["user_agent"].startswith("Mozilla/5.0")
    assert signer["signed_at"] == "2026-01-03T00:00:00.000+00:00"
    assert [e["event"] for e in signer["events"]] == ["sent", "signed", "completed"]
    assert [(c["stage"], c["status"]) for c in cert["state_changes"]] == [
        ("ingested", "done"), ("extracted", "done"), ("signature", "completed")]
    assert len(cert["events"]) == 8 and cert["audit_chain"]["verified"] is True


def test_certificate_says_when_the_chain_was_tampered_with(store, signed_doc):
    store.command("ALTER TABLE audit_events UPDATE producer = 'x' WHERE doc_id = 'c1' AND seq = 2 "
                  "SETTINGS mutations_sync = 2")
    chain = build_certificate(_Direct(store, 10_000), "c1")["audit_chain"]
    assert chain["verified"] is False and "c1 seq 2: edited" in chain["problems"][0]


def test_certificate_pdf_is_a_readable_pdf_with_the_hashes(store, signed_doc, tmp_path):
    _, signed = signed_doc
    cert = build_certificate(_Direct(store, 10_000), "c1")
    path = render_pdf(cert, tmp_path / "c1.pdf")
    pdf = pypdfium2.PdfDocument(str(path))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Completion certificate" in text and signed["sha256"] in text.replace("\r", "").replace("\n", "")
    assert "Zoë Ünal" in text and "203.0.113.7" in text


def test_a_document_without_trail_has_no_certificate(store):
    with pytest.raises(InkstreamError, match="no audit trail"):
        build_certificate(_Direct(store, 10_000), "nope")


def test_the_certificate_command_prints_json_and_writes_the_pdf(store, signed_doc, env, tmp_path):
    import json

    import typer
    from typer.testing import CliRunner

    from app.commands.audit import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["audit", "certificate", "c1", "--no-files", "--pdf", str(tmp_path / "c.pdf")],
                                env=env)
    assert result.exit_code == 0, result.output
    cert = json.loads(result.stdout)
    assert cert["doc_id"] == "c1" and cert["signed"]["sha256"] == signed_doc[1]["sha256"]
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF")

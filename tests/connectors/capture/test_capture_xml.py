"""XML e-invoices (XRechnung, Peppol BIS, Factur-X XML) are accepted at every capture point as
documents without pages; other XML is refused with a reason, by its bytes, never by its name."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from connectors.capture import CapturedDocument
from connectors.capture.ingest import ingest
from connectors.capture.intake import REASONS, check, sniff
from connectors.capture.mail import documents_from_mail
from connectors.capture.testing import make_pdf
from inkstream.errors import CaptureError
from inkstream.settings import load_settings

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "zugferd"
UBL = (CORPUS / "XML-Rechnung__UBL__XRECHNUNG_Einfach.ubl.xml").read_bytes()
CII = (CORPUS / "XML-Rechnung__CII__XRECHNUNG_Einfach.cii.xml").read_bytes()
LIMITS = dict(max_bytes=5 * 1024 * 1024, max_image_pixels=89_478_485)


@pytest.mark.parametrize("data", [UBL, CII], ids=["ubl", "cii"])
def test_an_xml_invoice_is_accepted_as_a_document_without_pages(data, tmp_path):
    assert sniff(data[:1024]) == "application/xml"
    checked = check(data, "rechnung.xml", **LIMITS)
    assert (checked.content_type, checked.pages) == ("application/xml", 0)
    on_disk = tmp_path / "upload.bin"  # the name says nothing: the bytes decide
    on_disk.write_bytes(data)
    assert check(on_disk, "upload.bin", **LIMITS).content_type == "application/xml"


@pytest.mark.parametrize("data,reason", [
    (b"<?xml version='1.0'?><note><to>Tove</to></note>", "unsupported_type"),
    (b"<?xml version='1.0'?><Invoice><broken></Invoice>", "corrupt"),
    (b"<!DOCTYPE html><html><body>hi</body></html>", "unsupported_type"),
], ids=["other-xml", "broken-xml", "html"])
def test_xml_that_is_no_invoice_is_refused_with_a_reason(data, reason):
    with pytest.raises(CaptureError) as err:
        check(data, "thing.xml", **LIMITS)
    assert err.value.reason == reason and "thing.xml" in str(err.value)


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=512), st.text(max_size=512).map(str.encode)),
       cut=st.integers(0, len(UBL)))
def test_arbitrary_xml_is_accepted_or_refused_never_a_crash(body, cut):
    for data in (b"<?xml version='1.0'?>" + body, UBL[:cut] + body):
        try:
            checked = check(data, "x.xml", **LIMITS)
        except CaptureError as exc:
            assert exc.reason in REASONS
        else:
            assert checked.content_type in ("application/xml", "application/pdf", "image/png")


def test_an_emailed_xrechnung_attachment_becomes_a_document():
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "billing@lieferant.example", "Rechnung 471102", "<m1@x>"
    msg.set_content("Anbei die Rechnung.")
    msg.add_attachment(UBL, maintype="application", subtype="xml", filename="471102.xml")
    msg.add_attachment(CII, maintype="text", subtype="xml", filename="471102-cii")
    mail = documents_from_mail(msg, source="email", source_ref=None, envelope_sender=None, inline_min_bytes=1024)
    assert [(d.filename, d.data) for d in mail.documents] == [("471102.xml", UBL), ("471102-cii", CII)]


@pytest.fixture
def settings():
    s = load_settings()
    return s.model_copy(update={"topics": s.topics.model_copy(update={"prefix": "unit."})})


@pytest.mark.parametrize("source", ["folder", "ftp", "email", "cli"])
def test_every_source_ingests_an_xml_invoice_with_its_content_type(source, memstore, sink, settings):
    result = ingest(CapturedDocument(source=source, filename="invoice.xml", data=CII),
                    store=memstore, producer=sink, codec=sink.codec, settings=settings)
    [record] = sink.decoded("documents.ingested")
    assert record["doc_id"] == result.doc_id and record["original"]["content_type"] == "application/xml"


def test_the_http_upload_accepts_an_xml_invoice_and_refuses_other_xml(memstore, sink, tmp_path):
    from fastapi.testclient import TestClient
    from prometheus_client import CollectorRegistry

    from connectors.capture.apikeys_shared import open_key_store
    from connectors.capture.http import create_app
    from connectors.capture.status import StatusView

    s = load_settings(data_dir=tmp_path)
    s = s.model_copy(update={"topics": s.topics.model_copy(update={"prefix": "unit."})})
    keys = open_key_store(s)
    headers = {"X-API-Key": keys.create("erp")[1]}
    app = create_app(s, store=memstore, producer=sink, codec=sink.codec, keys=keys, status=StatusView("unit.documents.status"),
                     registry=CollectorRegistry())
    with TestClient(app) as api:
        ok = api.post("/v1/documents", headers=headers, files={"file": ("r.xml", UBL, "application/xml")})
        assert ok.status_code in (200, 201, 202), ok.text
        bad = api.post("/v1/documents", headers=headers,
                       files={"file": ("n.xml", b"<?xml version='1.0'?><note/>", "application/xml")})
        assert bad.status_code == 415 and "e-invoice" in bad.text
        pdf = api.post("/v1/documents", headers=headers, files={"file": ("c.pdf", make_pdf("x"), "application/pdf")})
        assert pdf.status_code == ok.status_code
    types = [r["original"]["content_type"] for r in sink.decoded("documents.ingested")]
    assert types == ["application/xml", "application/pdf"]

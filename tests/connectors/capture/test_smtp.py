"""The SMTP endpoint: attachments become documents; bad mail gets an SMTP error, never a crash."""

from __future__ import annotations

import functools
import smtplib
import socket
from email import policy
from email.message import EmailMessage

import pytest

from connectors.capture.ingest import ingest
from connectors.capture.smtp import CaptureHandler, start_smtp
from connectors.capture.testing import make_pdf, make_png
from inkstream.settings import load_settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(memstore, sink, tmp_path):
    settings = load_settings(data_dir=tmp_path)
    ingest_one = functools.partial(ingest, store=memstore, producer=sink, codec=sink.codec, settings=settings)
    port = free_port()
    controller = start_smtp(CaptureHandler(ingest_one, inline_min_bytes=2000), host="127.0.0.1",
                            port=port, max_bytes=300_000)
    yield port
    controller.stop()


def noisy_png() -> bytes:
    import io
    import os

    from PIL import Image

    buf = io.BytesIO()
    Image.frombytes("L", (200, 150), os.urandom(200 * 150)).save(buf, format="PNG")
    return buf.getvalue()


def mail(*attachments, subject="Scan from MFP-3", sender="mfp3@acme.test") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "inbox@inkstream.test", subject
    msg["Message-ID"] = "<scan-0001@mfp3.acme.test>"
    msg.set_content("Please find the scan attached.")
    for data, maintype, subtype, name in attachments:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def send(port: int, msg) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo()
        client.mail("mfp3@acme.test")
        client.rcpt("inbox@inkstream.test")
        raw = msg.as_bytes(policy=policy.SMTP) if hasattr(msg, "as_bytes") else msg
        return client.data(raw)


def test_each_pdf_and_image_attachment_becomes_a_document_with_its_origin(smtp, sink):
    big_png = noisy_png()
    assert len(big_png) > 2000
    code, reply = send(smtp, mail((make_pdf("Mailed contract"), "application", "pdf", "contract.pdf"),
                                  (big_png, "image", "png", "page2.png")))
    assert code == 250, reply
    records = sink.decoded("documents.ingested")
    assert [r["filename"] for r in records] == ["contract.pdf", "page2.png"]
    assert records[0]["email"] == {"sender": "mfp3@acme.test", "subject": "Scan from MFP-3",
                                   "message_id": "<scan-0001@mfp3.acme.test>"}
    assert all(r["source"] == "email" for r in records)
    assert records[0]["doc_id"].encode() in reply


def test_a_small_signature_logo_is_skipped_but_the_pdf_is_taken(smtp, sink):
    logo = make_png(8, 8)
    assert len(logo) < 2000
    code, _ = send(smtp, mail((logo, "image", "png", "logo.png"), (make_pdf("With logo"), "application", "pdf", "c.pdf")))
    assert code == 250
    assert [r["filename"] for r in sink.decoded("documents.ingested")] == ["c.pdf"]


def test_a_mail_without_attachments_is_refused_with_550(smtp, sink):
    code, reply = send(smtp, mail())
    assert code == 550 and b"No PDF or image attachment" in reply and sink.records == []


def test_an_encrypted_pdf_attachment_is_refused_with_its_reason(smtp, sink):
    locked = make_pdf(owner_password="o", user_password="u")
    code, reply = send(smtp, mail((locked, "application", "pdf", "locked.pdf")))
    assert code == 550 and b"locked.pdf: encrypted" in reply and sink.records == []


def test_a_refused_attachment_beside_a_good_one_is_named_in_the_250_reply(smtp, sink):
    code, reply = send(smtp, mail((make_pdf("Good"), "application", "pdf", "good.pdf"),
                                  (b"not a pdf", "application", "pdf", "fake.pdf")))
    assert code == 250 and b"fake.pdf: type_mismatch" in reply
    assert len(sink.decoded("documents.ingested")) == 1


def test_data_that_is_not_a_mail_is_refused_and_the_listener_keeps_serving(smtp, sink):
    code, reply = send(smtp, b"\x00\x01\x02 binary junk with no headers at all\r\n")
    assert code in (550, 554), reply
    assert send(smtp, mail((make_pdf("After junk"), "application", "pdf", "a.pdf")))[0] == 250


def test_a_message_over_the_size_limit_is_refused_with_552(smtp, sink):
    big = make_pdf("Big") + b"%" + b"0" * 400_000
    code, _ = send(smtp, mail((big, "application", "pdf", "big.pdf")))
    assert code == 552
    assert sink.records == []


def test_the_same_mail_sent_twice_is_flagged_duplicate_without_a_second_copy(smtp, sink, memstore):
    m = mail((make_pdf("Twice by mail"), "application", "pdf", "t.pdf"))
    send(smtp, m)
    send(smtp, m)
    first, second = sink.decoded("documents.ingested")
    assert second["duplicate_of"] == first["doc_id"]
    assert sum(len(v) for v in memstore.versions.values()) == 1


def test_a_storage_outage_answers_451_so_the_sender_retries(tmp_path, sink):
    from inkstream.errors import ConnectorError

    def down(doc):
        raise ConnectorError("S3 unreachable")

    port = free_port()
    controller = start_smtp(CaptureHandler(down, inline_min_bytes=2000), host="127.0.0.1", port=port,
                            max_bytes=300_000)
    try:
        code, reply = send(port, mail((make_pdf("Outage"), "application", "pdf", "o.pdf")))
    finally:
        controller.stop()
    assert code == 451 and b"try again later" in reply

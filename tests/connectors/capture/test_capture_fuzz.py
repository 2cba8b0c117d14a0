"""Fuzzing capture's parsers (hypothesis, bounded for CI): the e-mail parser and the
PDF/image intake check. Random and mutated input gives a result or the documented error
(ValueError: not mail; CaptureError with a reason from REASONS), nothing else."""

from __future__ import annotations

from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.capture.intake import REASONS, check
from connectors.capture.mail import documents_from_mail, parse_mail
from connectors.capture.testing import make_image, make_pdf, make_png
from inkstream.errors import CaptureError

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = {"pdf": make_pdf("Fuzz contract", pages=2), "png": make_png(), "jpg": make_image("JPEG"),
         "tif": make_image("TIFF")}
names = st.sampled_from(["a.pdf", "scan.png", "x.jpg", "y.tiff", "noext", "", "weird.PDF", "../../etc/passwd"])


@st.composite
def mutated(draw, seeds=SEEDS):
    """A real file with bytes flipped, inserted, deleted, or cut short."""
    kind = draw(st.sampled_from(sorted(seeds)))
    data = bytearray(seeds[kind])
    for _ in range(draw(st.integers(1, 8))):
        op, pos = draw(st.sampled_from(["flip", "insert", "delete", "truncate"])), draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[pos] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=64))
        elif op == "delete":
            del data[pos:pos + draw(st.integers(1, 64))]
        elif pos > 0:
            del data[pos:]
        if not data:
            break
    return bytes(data), kind


def _checked_or_refused(data: bytes, filename: str) -> None:
    try:
        result = check(data, filename, max_bytes=1_000_000, max_image_pixels=4_000_000)
    except CaptureError as exc:
        assert exc.reason in REASONS, exc.reason
    else:
        assert result.content_type in ("application/pdf", "image/png", "image/jpeg", "image/tiff")


@FUZZ
@given(data=st.binary(max_size=2048), filename=names)
def test_random_bytes_are_refused_with_a_documented_reason(data, filename):
    _checked_or_refused(data, filename)


@FUZZ
@given(sample=mutated(), filename=names)
def test_damaged_pdfs_and_images_are_accepted_or_refused_with_a_documented_reason(sample, filename):
    _checked_or_refused(sample[0], filename)


def _mail(subject: str, sender: str, filename: str, ctype: str, payload: bytes, cte: str | None) -> bytes:
    """A well-formed mail whose From, Subject and attachment filename are then replaced by
    raw (possibly 8-bit, unencoded) header text, as hostile senders write them."""
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "sender@example.com", "SUBJECT", "<fuzz@example.com>"
    msg.set_content("Please find the contract attached.")
    maintype, _, subtype = ctype.partition("/")
    msg.add_attachment(payload, maintype=maintype or "application", subtype=subtype or "octet-stream",
                       filename="FILENAME.pdf")
    raw = msg.as_bytes()
    for placeholder, value in ((b"sender@example.com", sender), (b"SUBJECT", subject), (b"FILENAME.pdf", filename)):
        raw = raw.replace(placeholder, value.encode("utf-8", "surrogateescape"))
    if cte:  # a lying Content-Transfer-Encoding on the attachment
        raw = raw.replace(b"Content-Transfer-Encoding: base64", f"Content-Transfer-Encoding: {cte}".encode(), 1)
    return raw


# No line breaks: one header stays one header; damaged bytes come in below.
header_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
                      max_size=60)


@st.composite
def mails(draw):
    raw = _mail(draw(header_text), draw(header_text), draw(header_text),
                draw(st.sampled_from(["application/pdf", "image/png", "application/octet-stream", "text/x-junk",
                                      "image/x-junk"])),
                draw(st.binary(max_size=300) | st.just(SEEDS["pdf"])),
                draw(st.none() | st.sampled_from(["quoted-printable", "7bit", "x-uuencode", "base64;;", ""])))
    if draw(st.booleans()):  # damage the MIME structure itself
        cut = draw(st.integers(0, len(raw)))
        raw = raw[:cut] + draw(st.binary(max_size=80)) + raw[cut + draw(st.integers(0, 200)):]
    return raw


def _parse_all(raw: bytes) -> None:
    try:
        msg = parse_mail(raw)
    except ValueError:
        return
    assert isinstance(msg, EmailMessage)
    result = documents_from_mail(msg, source="email", source_ref="fuzz", envelope_sender="env@example.com",
                                 inline_min_bytes=100)
    for doc in result.documents:
        assert isinstance(doc.data, bytes) and doc.filename
        _checked_or_refused(doc.data, doc.filename)


@FUZZ
@given(raw=st.binary(max_size=2048))
def test_random_bytes_are_either_not_mail_or_mail_without_a_crash(raw):
    _parse_all(raw)


@FUZZ
@given(raw=mails())
def test_mails_with_hostile_headers_and_damaged_mime_yield_documents_or_a_documented_refusal(raw):
    _parse_all(raw)

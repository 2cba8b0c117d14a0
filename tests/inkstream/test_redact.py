"""inkstream.redact: personal data becomes placeholders, identifiers the pipeline logs on
purpose survive, and the log hook redacts every record (arguments and tracebacks)."""

from __future__ import annotations

import io
import logging
import string
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkstream.redact import install_log_redaction, redact

FAST = settings(max_examples=100, deadline=None)
# Free text around the personal datum; the space keeps it a separate token.
filler = st.text(alphabet=string.ascii_letters + " ,;:()[]'\"=", max_size=30)


def _iban(country: str, bban: str) -> str:
    """A valid IBAN (ISO 13616 mod-97 check digits)."""
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


ibans = st.builds(_iban, st.sampled_from(["DE", "FR", "GB", "NL", "ES", "IT", "CH"]),
                  st.text(alphabet=string.digits + string.ascii_uppercase, min_size=11, max_size=26))
phones = st.builds(lambda cc, area, number, sep: f"+{cc}{sep}{area}{sep}{number}",
                   st.integers(1, 998), st.integers(10, 99999), st.integers(10_000, 99_999_999),
                   st.sampled_from([" ", "-", ".", ""]))
long_numbers = st.text(alphabet=string.digits, min_size=9, max_size=24)


@FAST
@given(before=filler, email=st.emails(), after=filler)
def test_an_email_address_in_free_text_is_replaced(before, email, after):
    out = redact(f"{before} {email} {after}")
    assert email not in out and "<email>" in out


@FAST
@given(before=filler, iban=ibans, grouped=st.booleans(), after=filler)
def test_an_iban_compact_or_in_groups_of_four_is_replaced(before, iban, grouped, after):
    shown = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if grouped else iban
    out = redact(f"{before} {shown} {after}")
    assert shown not in out and "<iban>" in out


@FAST
@given(before=filler, phone=phones, after=filler)
def test_an_international_phone_number_is_replaced(before, phone, after):
    out = redact(f"{before} {phone} {after}")
    assert phone not in out and "<phone>" in out


@FAST
@given(before=filler, number=long_numbers, after=filler)
def test_a_run_of_nine_or_more_digits_is_replaced(before, number, after):
    out = redact(f"{before} {number} {after}")
    assert number not in out


@FAST
@given(doc_id=st.uuids(), digest=st.binary(min_size=1).map(lambda b: __import__("hashlib").sha256(b).hexdigest()),
       partition=st.integers(0, 999), port=st.integers(1, 65535))
def test_identifiers_the_pipeline_logs_on_purpose_are_kept(doc_id, digest, partition, port):
    line = (f"doc {doc_id} sha256={digest} topic t1.documents.ingested [{partition}] "
            f"listening on 127.0.0.1:{port} at 2026-11-25 20:52:19")
    assert redact(line) == line


@FAST
@given(st.text(max_size=200))
def test_redaction_is_idempotent_and_total(text):
    once = redact(text)
    assert redact(once) == once


@pytest.fixture
def log_lines(monkeypatch):
    """The hook installed for this test only: it is process-wide, and other tests' caplog
    assertions must see their records as logged."""
    original = logging.getLogRecordFactory()
    install_log_redaction()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger(f"redact-test-{uuid.uuid4().hex}")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield logger, stream
    finally:
        logging.setLogRecordFactory(original)


def test_the_log_hook_redacts_arguments_and_tracebacks(log_lines):
    logger, stream = log_lines
    logger.info("signer %s phone %s", "anna.schmidt@acme.com", "+49 30 1234567")
    try:
        raise ValueError("no CRM contact for rahul.mehta@umbrella-logistics.fr")
    except ValueError:
        logger.exception("lookup failed for %s", "DE89370400440532013000")
    text = stream.getvalue()
    for personal in ("anna.schmidt@acme.com", "+49 30 1234567", "rahul.mehta@umbrella-logistics.fr",
                     "DE89370400440532013000"):
        assert personal not in text
    assert "signer <email> phone <phone>" in text and "ValueError: no CRM contact for <email>" in text


def test_the_log_hook_covers_loggers_created_by_third_parties(log_lines):
    _, stream = log_lines
    handler = logging.StreamHandler(stream)
    uv = logging.getLogger("uvicorn.access.redact-test")
    uv.addHandler(handler)
    uv.propagate = False
    uv.warning('127.0.0.1:5000 - "GET /v1/status?email=tom.obrien@globex.com HTTP/1.1" 404')
    uv.removeHandler(handler)
    assert "tom.obrien@globex.com" not in stream.getvalue() and "email=<email>" in stream.getvalue()


def test_uvicorns_access_formatter_still_formats_a_redacted_request_line(log_lines):
    from uvicorn.logging import AccessFormatter

    _, stream = log_lines
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False))
    uv = logging.getLogger("uvicorn.access.redact-format-test")
    uv.setLevel(logging.INFO)
    uv.addHandler(handler)
    uv.propagate = False
    uv.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/v1/status?email=tom.obrien@globex.com", "1.1", 404)
    uv.removeHandler(handler)
    assert '127.0.0.1:5000 - "GET /v1/status?email=<email> HTTP/1.1" 404' in stream.getvalue()

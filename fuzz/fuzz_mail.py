"""Harness: raw bytes as the SMTP listener or IMAP poller receives a message.

The contract (``connectors/capture/mail.py``, relied on by ``smtp.py`` and ``imap.py``):
``parse_mail`` either returns a message or raises ``ValueError`` (not mail → 554);
``documents_from_mail`` never raises on a parsed message (hostile headers fall back to
their raw text); every document it yields has bytes and a name, and the intake check of
that document accepts it or refuses it with ``CaptureError`` and a reason from
``REASONS``. Anything else escaping loses the whole mail (a 451/554 for every retry).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The stdlib's email package is pure Python: instrumenting it guides the fuzzer through
# the MIME and header parsers themselves, where the hostile-header crash was.
with atheris.instrument_imports(include=["connectors.capture", "email"]):
    from email.message import EmailMessage

    from connectors.capture.intake import REASONS, SUPPORTED_TYPES, check
    from connectors.capture.mail import documents_from_mail, parse_mail
    from inkstream.errors import CaptureError


def TestOneInput(data: bytes) -> None:
    try:
        msg = parse_mail(data)
    except ValueError:
        return
    assert isinstance(msg, EmailMessage)
    found = documents_from_mail(msg, source="email", source_ref="fuzz", envelope_sender="env@example.com",
                                inline_min_bytes=64)
    origin = found.origin
    assert all(isinstance(v, str) for v in (origin.sender, origin.subject, origin.message_id)) and origin.message_id
    for doc in found.documents:
        assert isinstance(doc.data, bytes) and isinstance(doc.filename, str) and doc.filename
        try:
            checked = check(doc.data, doc.filename, max_bytes=1_000_000, max_image_pixels=4_000_000)
        except CaptureError as exc:
            assert exc.reason in REASONS, exc.reason
        else:
            assert checked.content_type in SUPPORTED_TYPES


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

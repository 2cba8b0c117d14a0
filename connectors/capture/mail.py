"""Turn one e-mail into captured documents (shared by the SMTP endpoint and IMAP poller).

Every PDF or image attachment becomes a ``CapturedDocument`` carrying the sender,
subject and Message-ID. Images smaller than ``inline_min_bytes`` (signature logos,
tracking pixels, inline pictures) are skipped; PDFs are never skipped for size.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email import policy
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr

from connectors.capture.document import CapturedDocument, EmailOrigin

__all__ = ["MailDocuments", "documents_from_mail", "parse_mail"]

_DOC_EXTENSIONS = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")
_XML_TYPES = ("application/xml", "text/xml")


@dataclass(frozen=True)
class MailDocuments:
    origin: EmailOrigin
    documents: list[CapturedDocument]
    skipped: list[str]  # why each non-document part was left out (for logs; no content)


def parse_mail(raw: bytes) -> EmailMessage:
    """Parse leniently (mail in the wild is messy); raise ValueError if it is not mail."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    if not any(_header(msg, h) for h in ("From", "Message-ID", "Subject", "Content-Type")):
        raise ValueError("no mail headers (From, Subject, Message-ID, Content-Type) found")
    return msg


# What the stdlib's (lazy) header parser raises on hostile headers, e.g. From: "a<" (found
# by tests/connectors/capture/test_capture_fuzz.py).
_HEADER_ERRORS = (IndexError, ValueError, TypeError, AttributeError, LookupError, MessageError)


def _header(msg: EmailMessage, name: str) -> str:
    """The header's parsed value, or its raw text when the parser chokes on it."""
    try:
        return str(msg.get(name, ""))
    except _HEADER_ERRORS:
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), "")
        return str(raw).replace("\r", " ").replace("\n", " ").strip()


def documents_from_mail(msg: EmailMessage, *, source: str, source_ref: str | None,
                        envelope_sender: str | None, inline_min_bytes: int) -> MailDocuments:
    sender = parseaddr(_header(msg, "From"))[1] or (envelope_sender or "")
    origin = EmailOrigin(sender=sender, subject=_header(msg, "Subject"),
                         message_id=_header(msg, "Message-ID").strip() or f"<generated-{uuid.uuid4().hex}>")
    docs, skipped = [], []
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            continue
        try:
            ctype = part.get_content_type()
            filename = part.get_filename() or ""
        except _HEADER_ERRORS:  # a part header the parser chokes on: that part is unreadable
            skipped.append(f"part {index}: unreadable part headers")
            continue
        is_pdf = ctype == "application/pdf" or filename.lower().endswith(".pdf")
        is_image = ctype.startswith("image/") or filename.lower().endswith(_DOC_EXTENSIONS[1:])
        # an XRechnung / Peppol invoice is an XML attachment; intake refuses XML that is no invoice
        is_xml = ctype in _XML_TYPES or filename.lower().endswith(".xml")
        if not (is_pdf or is_image or is_xml or (ctype == "application/octet-stream"
                                                 and filename.lower().endswith(_DOC_EXTENSIONS))):
            continue  # the body text, HTML, calendar invites...
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else b""  # decode=True: bytes, or None for a multipart
        if is_image and not is_pdf and len(payload) < inline_min_bytes:
            skipped.append(f"part {index}: {ctype} of {len(payload)} bytes (inline image or logo)")
            continue
        docs.append(CapturedDocument(
            source=source, source_ref=source_ref, filename=filename or f"attachment-{index}",
            data=payload, email=origin, trace=None,
            metadata={"mail_part": str(index)}))
    return MailDocuments(origin=origin, documents=docs, skipped=skipped)

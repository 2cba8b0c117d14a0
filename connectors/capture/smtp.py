"""SMTP endpoint (aiosmtpd) for scan-to-e-mail MFPs and forwarded mail.

Each accepted message's PDF/image attachments go through ``ingest``. Replies:

- ``250`` at least one document was accepted (refused attachments are named in the reply);
- ``550 5.6.0`` nothing usable: no attachment, or every attachment refused (with reasons);
- ``554 5.6.0`` the data is not a mail message at all;
- ``552`` over the size limit (aiosmtpd's ``data_size_limit``);
- ``451 4.3.0`` S3 or Kafka unavailable: the sender's MTA retries later, and whatever
  was already stored comes back as a duplicate, so a retry never loses or doubles data;
- ``530`` TLS is required (``capture.require_tls``) and the client has not sent STARTTLS.

With a certificate (``inkstream.tls.capture_tls``) the listener offers STARTTLS, TLS 1.2+.

A handler error is turned into a reply; it never takes the listener down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from connectors.capture.document import CapturedDocument, IngestResult
from connectors.capture.mail import documents_from_mail, parse_mail
from inkstream.errors import CaptureError, ConnectorError
from inkstream.tls import ListenerTls, server_context

__all__ = ["CaptureHandler", "start_smtp"]

log = logging.getLogger(__name__)


class CaptureHandler:
    """aiosmtpd handler; ``ingest_one`` is ``functools.partial(ingest, store=..., ...)``."""

    def __init__(self, ingest_one: Callable[[CapturedDocument], IngestResult], *, inline_min_bytes: int,
                 source_ref: str = "smtp") -> None:
        self._ingest_one = ingest_one
        self._inline_min = inline_min_bytes
        self._source_ref = source_ref

    async def handle_DATA(self, server, session, envelope) -> str:
        try:
            return await self._handle(envelope)
        except Exception:  # never crash the listener: the MTA keeps the mail and retries
            log.exception("SMTP handler failed")
            return "451 4.3.0 Internal error, try again later"

    async def _handle(self, envelope) -> str:
        try:
            msg = parse_mail(envelope.original_content or envelope.content)
            found = documents_from_mail(msg, source="email", source_ref=self._source_ref,
                                        envelope_sender=envelope.mail_from, inline_min_bytes=self._inline_min)
        except CaptureError as exc:
            return f"550 5.6.0 {_one_line(str(exc))}"
        except Exception as exc:  # noqa: BLE001 - any unreadable message is a 554, never a crashed listener
            return f"554 5.6.0 Not a readable mail message: {_one_line(str(exc))}"
        if not found.documents:
            return "550 5.6.0 No PDF or image attachment found"
        loop = asyncio.get_running_loop()
        accepted, refused = [], []
        for doc in found.documents:
            try:
                accepted.append(await loop.run_in_executor(None, self._ingest_one, doc))
            except CaptureError as exc:
                refused.append(f"{doc.filename}: {exc.reason}")
            except ConnectorError as exc:
                log.warning("SMTP: storage or Kafka unavailable: %s", exc)
                return "451 4.3.0 Storage temporarily unavailable, try again later"
        if not accepted:
            return f"550 5.6.0 Refused: {_one_line('; '.join(refused))}"
        ids = " ".join(r.doc_id for r in accepted)
        note = f"; refused: {'; '.join(refused)}" if refused else ""
        return _one_line(f"250 2.0.0 Accepted {len(accepted)} document(s): {ids}{note}")


def start_smtp(handler: CaptureHandler, *, host: str, port: int, max_bytes: int, tls: ListenerTls | None = None):
    """Start the endpoint in a background thread; returns the aiosmtpd ``Controller``
    (``.stop()`` it). Binds ``host`` only (127.0.0.1 by default). ``tls``: offer STARTTLS,
    and with ``tls.required`` answer everything but EHLO/HELO/NOOP/QUIT/STARTTLS with 530
    until the client has upgraded (RFC 3207), so no mail crosses the network in clear."""
    from aiosmtpd.controller import Controller

    smtp_kwargs: dict[str, Any] = {} if tls is None else {"tls_context": server_context(tls.cert, tls.key),
                                          "require_starttls": tls.required}
    controller = Controller(handler, hostname=host, port=port, data_size_limit=max_bytes, enable_SMTPUTF8=True,
                            **smtp_kwargs)
    controller.start()
    return controller


def _one_line(text: str, limit: int = 400) -> str:
    return " ".join(text.split())[:limit]

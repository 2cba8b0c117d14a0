"""Personal data out of free text and out of every log line.

``redact(text)`` replaces e-mail addresses, IBANs, phone numbers, card/ID-like long digit
runs and US SSNs with placeholders (``<email>``, ``<iban>``, ``<phone>``, ``<number>``).
Names cannot be found by pattern: the code never logs them (tests/e2e scans a whole
pipeline run's logs for the sample documents' names and e-mails).

``install_log_redaction()`` hooks the logging record factory, so every record of every
logger (ours, uvicorn's, librdkafka's via confluent-kafka, tracebacks included) is
redacted before any handler or formatter sees it. Identifiers the pipeline logs on
purpose (uuids, sha256 digests, topic names, ports) are left alone.
"""

from __future__ import annotations

import logging
import re

__all__ = ["install_log_redaction", "redact", "PLACEHOLDERS"]

# Not inside a longer word/identifier: a uuid's or a digest's digits are not a number.
_L, _R = r"(?<![\w@.+\-])", r"(?![\w@\-])"
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("<email>", re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)),
    # ISO 13616: country, 2 check digits, 11-30 alphanumerics, optionally in groups of 4.
    ("<iban>", re.compile(_L + r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?" + _R)),
    ("<number>", re.compile(_L + r"\d{3}-\d{2}-\d{4}" + _R)),  # US SSN
    # International (+49 30 1234567, 0044 20 7946 0958) and (555) 123-4567 forms.
    ("<phone>", re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}(?:[ .\-/]?\(?\d{1,5}\)?){2,6}" + _R)),
    ("<phone>", re.compile(r"(?<![\w)])\(\d{2,5}\) ?\d{3,4}[ .\-]?\d{3,4}" + _R)),
    # Account, card and ID numbers: 9+ digits in a run, or a card's groups of four. Dates
    # and times (2026-11-25 20:52) are not numbers; epoch milliseconds are (a price paid).
    ("<number>", re.compile(_L + r"(?:\d{9,}|\d{4}(?:[ \-]\d{4}){2,4})" + _R)),
)
PLACEHOLDERS = frozenset(p for p, _ in _PATTERNS)


def redact(text: str) -> str:
    """``text`` with personal data replaced by placeholders (idempotent)."""
    for placeholder, pattern in _PATTERNS:
        text = pattern.sub(_keep_url_prefix if placeholder == "<email>" else placeholder, text)
    return text


def _keep_url_prefix(match: re.Match) -> str:
    """``/status?email=a@b.c`` -> ``/status?email=<email>``: the URL around an address stays
    readable; an address that is all such characters goes whole."""
    local = match.group().split("@", 1)[0]
    cut = max(local.rfind(c) for c in "/?&=") + 1
    return (local[:cut] if cut < len(local) else "") + "<email>"


def install_log_redaction() -> None:
    """Redact every log record created from now on in this process (idempotent: the
    logging module's record factory says whether it already is ours)."""
    base = logging.getLogRecordFactory()
    if getattr(base, "inkstream_redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: logging reports it later, unredacted args dropped
            message = str(record.msg)
            record.args = None
        if isinstance(record.args, tuple) and record.args and isinstance(record.msg, str):
            # Formatters that read the arguments themselves (uvicorn's access log unpacks
            # the five of a request line) keep them, each redacted.
            record.msg = redact(record.msg)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        else:
            record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    factory.inkstream_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)

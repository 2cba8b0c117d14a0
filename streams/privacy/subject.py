"""Which documents carry a subject's e-mail address, read through the audit store.

Sources (each a query on the read-only ``Reader``, so it works through the running
sink's endpoint):

- ``audit_events.payload``: every record of every topic, decoded (e-mail sender of a
  captured mail, extracted fields, CRM commands, e-sign signers, review actions...). An
  address matches when it is one of the addresses found in the payload (not a substring
  of a longer one), compared trimmed and case-insensitively;
- ``fields.value`` / ``fields.normalized`` equal to the address;
- ``signatures.signer_email`` equal to the address.

Then the set is closed over *the same bytes*: documents whose original has the same
SHA-256, or that are a ``duplicate_of`` one of them, hold the same personal data (and
share the content-addressed original in S3), so they go together.

>>> normalize_email("  Ana.Lopez@Example.COM ")
'ana.lopez@example.com'
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from streams.audit.store import Reader

__all__ = ["SubjectDocuments", "find_documents", "normalize_email", "new_request_id"]

_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# What counts as an address inside a payload (ClickHouse re2 syntax); dots trimmed after.
_IN_TEXT = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+"
_PAGE = 500


def normalize_email(email: str) -> str:
    """Trimmed, lower-cased; ``ValueError`` when it does not look like an e-mail address."""
    value = (email or "").strip().lower()
    if not _SHAPE.fullmatch(value):
        raise ValueError("not an e-mail address")
    return value


def new_request_id() -> str:
    """The opaque name of one request in logs, audit records and metrics (never the e-mail)."""
    return f"dsr-{uuid.uuid4().hex}"


@dataclass
class SubjectDocuments:
    """The documents of a subject and why each was found (``matched_by``: payload,
    field, signer, same_bytes)."""

    doc_ids: list[str] = field(default_factory=list)
    matched_by: dict[str, list[str]] = field(default_factory=dict)


def find_documents(reader: Reader, email: str) -> SubjectDocuments:
    address = normalize_email(email)
    found: dict[str, set[str]] = {}
    queries = {
        "payload": ("SELECT DISTINCT doc_id FROM audit_events WHERE NOT startsWith(doc_id, '~') "
                    "AND topic != 'privacy.erasures' AND positionCaseInsensitive(payload, {e:String}) > 0 "
                    "AND arrayExists(x -> lower(trim(BOTH '.' FROM x)) = {e:String}, "
                    f"extractAll(payload, '{_IN_TEXT}'))"),
        "field": ("SELECT DISTINCT doc_id FROM fields WHERE doc_id != '' AND "
                  "(lower(trim(ifNull(value, ''))) = {e:String} OR lower(trim(ifNull(normalized, ''))) = {e:String})"),
        "signer": ("SELECT DISTINCT doc_id FROM signatures WHERE doc_id != '' "
                   "AND lower(trim(ifNull(signer_email, ''))) = {e:String}"),
    }
    for why, sql in queries.items():
        for doc_id in _distinct(reader, sql, {"e": address}):
            found.setdefault(doc_id, set()).add(why)
    for doc_id in _same_bytes(reader, set(found)):
        found.setdefault(doc_id, set()).add("same_bytes")
    return SubjectDocuments(sorted(found), {d: sorted(w) for d, w in sorted(found.items())})


def _distinct(reader: Reader, sql: str, params: dict) -> list[str]:
    """``sql`` selects DISTINCT doc_id; paged by doc_id so a row-limited reader sees all."""
    out: list[str] = []
    after = ""
    while True:
        _, rows = reader.query(f"SELECT doc_id FROM ({sql}) WHERE doc_id > {{after:String}} "
                               f"ORDER BY doc_id LIMIT {min(_PAGE, getattr(reader, 'limit', _PAGE))}",
                               {**params, "after": after})
        out += [r[0] for r in rows]
        if len(rows) < min(_PAGE, getattr(reader, "limit", _PAGE)):
            return out
        after = rows[-1][0]


def _same_bytes(reader: Reader, doc_ids: set[str]) -> set[str]:
    """Documents sharing an original (same SHA-256, or duplicate_of either way), to a fixpoint."""
    known, frontier = set(doc_ids), set(doc_ids)
    while frontier:
        sql = ("SELECT DISTINCT doc_id FROM documents WHERE "
               "(sha256 != '' AND sha256 IN (SELECT sha256 FROM documents WHERE doc_id IN {ids:Array(String)})) "
               "OR duplicate_of IN {ids:Array(String)} "
               "OR doc_id IN (SELECT assumeNotNull(duplicate_of) FROM documents "
               "WHERE doc_id IN {ids:Array(String)} AND duplicate_of IS NOT NULL)")
        frontier = set(_distinct(reader, sql, {"ids": sorted(frontier)})) - known
        known |= frontier
    return known - doc_ids

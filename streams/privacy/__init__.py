"""Data-subject requests: find, export and erase everything about a person (by e-mail).

- ``subject``   the lookup: which documents carry an e-mail address (audit payloads,
                extracted fields, e-sign signers), closed over documents with the same
                original bytes; an opaque request id names the subject everywhere else.
- ``gather``    what the store knows about those documents (rows, chained events, files).
- ``export``    ``inkstream subject export EMAIL --out DIR``: a folder with ``manifest.json``
                and the decrypted original and signed files.
- ``erase``     ``inkstream subject erase EMAIL``: crypto-shredding (the documents' data
                keys destroyed), every S3 version deleted, one ``privacy.erasures`` record
                per document that the audit sink chains and applies (``streams/audit/erasure.py``).
- ``commands``  the CLI.

Design: one data key per *document* (the OCR text of a contract cannot be split per
person), so erasing a subject erases every document that carries their e-mail address,
whole, even if it also names someone else. Matching is by e-mail only (trimmed,
case-insensitive); a person named without an e-mail address is not found (SECURITY.md).
"""

__all__: list[str] = []

"""Extraction: ``ocr.results`` → typed, normalised, confidence-routed ``fields.validated``.

    layout.py      OCR lines in reading order (rows, joined text) with a way back to boxes
    normalize.py   pure normalisers: dates, amounts + currency, e-mails, names, terms
    finders.py     value patterns; labelled values beside or below their labels
    classify.py    contract / invoice / unknown (rules-1/2); + credit_note, receipt, other (rules-3)
    lexicon.py     labels and type cues in EN, DE, FR, NL, ES, IT, PL; language and VAT country
    contract.py    contract fields; contract_parties.py: parties and signer
    invoice.py     invoice fields, line items and their cross-checks (rules-1/2, English)
    multilingual.py  rules-3 invoices and credit notes in seven languages
    receipt.py     rules-3 till receipts: date, currency, the whole receipt
    receipt_money.py  a receipt's money rows and the total their arithmetic confirms
    merchant.py    a receipt's merchant: the letterhead, confirmed by a second printing
    tables.py      line items by columns from word boxes; items adding up as a check
    parties.py     supplier / customer second readings, VAT ids (check digits)
    address.py     customer and supplier blocks (labels, envelope window)
    terms.py       payment terms: invoice date + net days = due date
    contract_checks.py  contract term / effective date / fee / counterparty cross-checks
    policy.py      document status: required, when-printed and informational fields
    amounts.py     amounts by role (total, amount due, subtotal, tax) and the arithmetic between them
    memory.py      sender memory: learnt from reviewers (extract.memory), read by memory-1
    confidence.py  OCR confidence × parse quality, cross-checks, thresholds → status
    versions.py    rule versions (rules-1, rules-2, rules-3, memory-1) and the deterministic A/B split
    extractor.py   one OCR record → doc_type, status, fields, line_items
    processor.py   ``inkstream run extract``; local.py + commands.py: ``inkstream extract FILE``

>>> from inkstream.settings import ExtractionSettings
>>> extract({"doc_id": "d", "pages": []}, ExtractionSettings())["doc_type"]
'unknown'
"""

from streams.extract.extractor import extract
from streams.extract.versions import RULESETS, route

__all__ = ["extract", "route", "RULESETS"]

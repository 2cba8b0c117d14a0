"""When a document is accepted whole: the document-status policy of an AP intake.

What accounts-payable intake systems do (straight-through processing): an invoice posts
without a person when every field needed to post it is read and confirmed, and nothing the
system shows is in doubt. A field the document does not print is not a doubt, unless the
page says it is there. Three kinds of fields:

- **required**: must be found and accepted, whatever the page shows (an invoice without a
  readable total, number, date or currency cannot be posted): invoice and credit note
  ``invoice_number``, ``invoice_date``, ``total_amount``, ``currency``; receipt
  ``receipt_date``, ``total_amount``, ``currency``; contract ``effective_date``,
  ``term_months``, ``counterparty``, ``signer_name``.
- **when printed**: optional, because many documents do not print them, but when the document
  prints one it must be accepted: ``due_date`` (an invoice "due immediately" or with no terms
  has none; the payment terms of the vendor master apply), ``customer`` (the buyer: which of
  our companies is billed). Found but not accepted → review. Not found → review only when the
  page shows the field's label (a "Due date" / "Fällig" / "Échéance" label, a "Bill to" /
  "Rechnungsempfänger" label), because then the value is there and was not read.
  Contracts: ``total_amount`` and ``currency`` (a fixed fee; many contracts have none) and
  ``signer_email`` (held when an "Email:" slot is printed and nothing was read in it).
- **informational**: everything else (supplier name, VAT ids, IBAN, subtotal, tax). Shown with
  their own status for the person who posts; they never hold a document by themselves. The
  vendor is matched downstream against the vendor master (VAT id, IBAN, name).

A document whose type is ``other`` or ``unknown`` always goes to review with its reason.
"""

from __future__ import annotations

import re

from streams.extract.confidence import FieldValue, document_status
from streams.extract.layout import Layout
from streams.extract.lexicon import LABELS

__all__ = ["WHEN_PRINTED", "decide_document", "label_printed"]

WHEN_PRINTED: dict[str, tuple[str, ...]] = {
    "invoice": ("due_date", "customer"),
    "credit_note": ("customer",),
    # Many contracts carry no fixed fee (NDAs, affiliate and licence agreements paid by
    # royalty) and most signature blocks no e-mail address.
    "contract": ("total_amount", "currency", "signer_email"),
}

# A contract's fee: a money amount printed after a word of payment.
_FEE = re.compile(
    r"\b(?:fees?|price|payments?|pay|paid|payable|compensation|consideration|sum|amount|value|royalt(?:y|ies)"
    r"|Verg[üu]tung|Honorar|Preis|Entgelt|Betrag|r[ée]mun[ée]ration|prix|montant|vergoeding|prijs|bedrag"
    r"|honorarios?|precio|importe|compenso|corrispettivo|prezzo|importo|wynagrodzeni[ea]|cen[ay]|kwot[ay])\b"
    r"[^\n]{0,80}?(?:US\$|\$|€|£|\b(?:USD|EUR|GBP|CHF|PLN)\b)\s?\d", re.I)
# A due date in a sentence: "Bitte überweisen Sie den Betrag bis zum 03.10.2018", "please pay
# by 3 October 2018", "à régler avant le 03/10/2018": a payment word, then "by/until" and a date.
_DUE_SENTENCE = re.compile(
    r"(?:[üu]berweis|zahl|bezahl|pay|paiement|r[ée]gl|versement|betal|pag(?:a|o|ar|are|amento)\b|p[łl]at|remit)[^\W\d_]*"
    r"[^\n]{0,60}?\b(?:bis(?:\s+(?:zum|sp[äa]testens))?|by|until|before|no\s+later\s+than|avant\s+le|au\s+plus\s+tard\s+le"
    r"|v[óo][óo]r|uiterlijk|antes\s+del?|entro\s+il|do(?:\s+dnia)?)\s+(?:the\s+)?\d", re.I)
# The label that says a field is printed. A due date's label must be one that takes a date
# ("Due date", "Fällig am", "Zahlbar bis"), not "fällig" in "sofort fällig" / "due upon receipt".
_LABEL_OF = {
    "due_date": re.compile(rf"(?<![^\W_])(?:{LABELS['due_date']})(?![^\W_])[ \t]*:?[ \t]*(?:\d|$)|{_DUE_SENTENCE.pattern}",
                           re.I | re.M),
    "customer": re.compile(rf"^[ \t]*(?:{LABELS['customer']})(?![^\W_])[ \t]*:?[ \t]*$", re.I | re.M),
    # (an invoice's total is required anyway, so this only decides for contracts)
    "total_amount": _FEE,
    "currency": _FEE,
    # "Email:" with nothing after it in a signature block: a slot left for an address that was not read.
    "signer_email": re.compile(r"^[ \t]*E-?mail(?:\s+address)?[ \t]*:[ \t]*$", re.I | re.M),
}


def label_printed(layout: Layout, name: str) -> bool:
    """Whether the page shows the field's label with a value slot (a date after it, or the
    label alone on its line with the value under it)."""
    rx = _LABEL_OF.get(name)
    if rx is None:
        return False
    if name == "signer_email":
        # Signature blocks stand side by side: each party's "Email:" is a text box of its own.
        return any(rx.search(ln.text) for ln in layout.lines)
    # Rows, not text boxes: a "Fälligkeit" or "Kunde" box alone is as often a table's column
    # heading as the label of the document's own value.
    return bool(rx.search(layout.text))


def decide_document(doc_type: str, values: list[FieldValue], required: tuple[str, ...],
                    layout: Layout, when_printed: dict[str, tuple[str, ...]] | None = None) -> tuple[str, str | None]:
    """(status, reason) of a typed document whose fields have been decided; ``when_printed``
    replaces :data:`WHEN_PRINTED` (the ``extraction.when_printed`` setting)."""
    by_name = {f.name: f for f in values}
    optional = (WHEN_PRINTED if when_printed is None else when_printed).get(doc_type, ())
    required = tuple(n for n in required if n not in optional)
    held: list[str] = []
    for name in required:
        f = by_name.get(name)
        if f is None or f.status != "accept":
            held.append(f"{name} ({_why(f)})")
    for name in optional:
        f = by_name.get(name)
        if f is None:
            continue
        if f.normalized is not None and f.status != "accept":
            held.append(f"{name} ({_why(f)})")
        elif f.normalized is None and label_printed(layout, name):
            held.append(f"{name} (its label is printed but no value was read)")
    status = document_status(values, required)
    if status == "accepted" and held:
        status = "review"
    if status == "accepted":
        return status, None
    return status, ("required fields not accepted: " + "; ".join(held)) if held else "no required field"


def _why(f: FieldValue | None) -> str:
    if f is None:
        return "not extracted"
    return f.reasons[-1] if f.reasons else f.status

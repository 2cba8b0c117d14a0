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
  has none; the payment terms of the vendor master apply), and ``customer`` when the buyer has
  said which companies it is (``extraction.own_companies``, below). Found but not accepted →
  review. Not found → review only when the page shows the field's label (a "Due date" /
  "Fällig" / "Échéance" label, a "Bill to" / "Rechnungsempfänger" label), because then the
  value is there and was not read.
  Contracts: ``total_amount`` and ``currency`` (a fixed fee; many contracts have none) and
  ``signer_email`` (held when an "Email:" slot is printed and nothing was read in it).
- **informational**: everything else (supplier name, VAT ids, IBAN, subtotal, tax). Shown with
  their own status for the person who posts; they never hold a document by themselves. The
  vendor is matched downstream against the vendor master (VAT id, IBAN, name).

The customer (bill-to) is the buyer's own company. What an AP intake needs from it is *which of
our companies is billed*, and commercial intake systems answer that by matching the bill-to
against the buyer's list of its legal entities, not by trusting a name read from the page. So:
``extraction.own_companies`` set (names, and VAT ids if wanted) → the customer is "when printed"
and is accepted only when it *is* one of them (the list is the second reading; a name printed
once on the page has none); found and not one of them → review ("billed to someone else?").
Not set → there is nothing to check the customer against and one company is posting: the
customer is informational, shown with its own status, and holds nothing. On the development
rows the customers held were right names read once (Azure's "Invoice For: Alpine Ski House"),
or the delivery/contact block where the buyer's legal name is printed elsewhere ("Microsoft
Finance" / "MICROSOFT CORPORATION"): neither is a doubt about what to post, both are exactly
what the company list decides.

A document whose type is ``other`` or ``unknown`` always goes to review with its reason.
"""

from __future__ import annotations

import re

from streams.extract.confidence import UNCHECKED_CAP, FieldValue, boost, document_status
from streams.extract.layout import Layout
from streams.extract.lexicon import LABELS
from streams.extract.parties import canonical_name, legal_form

__all__ = ["WHEN_PRINTED", "decide_document", "label_printed", "confirm_own_company", "when_printed_for"]

WHEN_PRINTED: dict[str, tuple[str, ...]] = {
    "invoice": ("due_date",),
    "credit_note": (),
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
    r"[^\n]{0,80}?\b(?:bis(?:\s+(?:zum|sp[äa]testens))?|by|until|before|no\s+later\s+than|avant\s+le|au\s+plus\s+tard\s+le"
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


def when_printed_for(when_printed: dict[str, tuple[str, ...]] | None,
                     own_companies: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """The ``extraction.when_printed`` setting when given; else :data:`WHEN_PRINTED`, with the
    customer added to invoices and credit notes when the buyer lists its own companies."""
    if when_printed is not None:
        return when_printed
    if not own_companies:
        return WHEN_PRINTED
    return {**WHEN_PRINTED, **{t: (*WHEN_PRINTED.get(t, ()), "customer") for t in ("invoice", "credit_note")}}


def _company_key(name: str) -> str:
    """A name as companies are compared: salutation, case, punctuation and spacing aside."""
    return " ".join(re.sub(r"[^\w&]+", " ", (canonical_name(name) or "").casefold()).split())


def _stem(name: str) -> str:
    form = legal_form(name)
    return _company_key(name.replace(form, " ") if form else name)


_VAT_SHAPE = re.compile(r"^[A-Z]{2}(?=(?:[A-Z]*\d){6})[0-9A-Z]{8,12}$")  # a country, then mostly digits


def confirm_own_company(layout: Layout, values: list[FieldValue], own_companies: tuple[str, ...]) -> None:
    """The customer against the buyer's own companies (``extraction.own_companies``: legal
    names, VAT ids). A customer name equal to one of them is confirmed by that list; a name
    that is none of them, with no VAT id of ours beside it, goes to review. Equal means the
    same words (case, punctuation, a salutation aside), or the same words without the legal
    form when only one listed company has them ("Contoso" for "Contoso Ltd."). A VAT id of
    ours says the invoice is ours, not that the line read is our name: it confirms nothing.
    A page that names another of our companies too leaves the choice to a person."""
    by_name = {f.name: f for f in values}
    customer = by_name.get("customer")
    if not own_companies or customer is None or customer.normalized is None:
        return
    compact = {c: re.sub(r"[\s.-]", "", c).upper() for c in own_companies}
    vat_ids = {v for v in compact.values() if _VAT_SHAPE.match(v)}
    names = [c for c in own_companies if compact[c] not in vat_ids]
    key, stem = _company_key(customer.normalized), _stem(customer.normalized)
    match = next((c for c in names if _company_key(c) == key), None)
    if match is None and stem:
        same_stem = [c for c in names if _stem(c) == stem]
        match = same_stem[0] if len(same_stem) == 1 else None
    if match is None:
        vat = by_name.get("customer_vat_id")
        if not (vat is not None and vat.normalized is not None and vat.normalized.upper() in vat_ids):
            customer.force_review = True
            customer.reasons.append("not one of our companies (extraction.own_companies): billed to someone else?")
        return
    if customer.contradicted:
        return  # a failed cross-check stands whatever the list says
    page = f" {_company_key(layout.text)} ".replace(f" {key} ", " ").replace(f" {_company_key(match)} ", " ")
    others = [c for c in names if _stem(c) not in (stem, _stem(match)) and f" {_stem(c) or _company_key(c)} " in page]
    if others:
        customer.force_review = True
        customer.reasons.append(f"the page names another of our companies too ({others[0]!r})")
        return
    customer.force_review = False
    customer.confidence = max(customer.confidence, UNCHECKED_CAP)
    boost(customer, f"one of our companies ({match!r}, extraction.own_companies)")


def decide_document(doc_type: str, values: list[FieldValue], required: tuple[str, ...],
                    layout: Layout, when_printed: dict[str, tuple[str, ...]] | None = None,
                    own_companies: tuple[str, ...] = ()) -> tuple[str, str | None]:
    """(status, reason) of a typed document whose fields have been decided; ``when_printed``
    replaces :data:`WHEN_PRINTED` (the ``extraction.when_printed`` setting); ``own_companies``
    (the setting of that name) makes the customer a field that holds the document."""
    by_name = {f.name: f for f in values}
    optional = when_printed_for(when_printed, own_companies).get(doc_type, ())
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

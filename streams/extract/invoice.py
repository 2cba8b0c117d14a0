"""Invoice fields: invoice_number, invoice_date, due_date, total_amount, currency, customer,
and the line items (description, quantity, unit price, amount).

Cross-checks: the line items must add up to the total (strong: both are boosted when
they agree, the total goes to review when they do not), each item's quantity × unit
price must equal its amount, and the due date must not precede the invoice date.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import partial
from decimal import Decimal, InvalidOperation

from streams.extract.confidence import FieldValue, boost, field_from, missing_field, penalise
from streams.extract.finders import AMOUNT, DATE, Candidate, find_below, find_labelled, find_pattern
from streams.extract.layout import Layout, Line, union_box
from streams.extract.normalize import (
    Parsed, normalize_amount, normalize_currency, normalize_date, normalize_name,
)
from streams.extract.versions import RuleSet

__all__ = ["REQUIRED", "extract_invoice"]

REQUIRED = ("invoice_number", "invoice_date", "due_date", "total_amount", "currency", "customer")

_INVOICE_NO = r"[A-Z0-9][A-Z0-9\-/_.]{2,24}"
_TOTAL_LABEL = r"(?<![Ss]ub)(?<![Ss]ub-)(?:Total\s*Due|Amount\s*Due|Balance\s*Due|Grand\s*Total|Invoice\s*Total|Total(?:\s*\((?:USD|EUR|GBP)\))?)"
_ITEM_AMOUNT = r"(?:US\$|\$|€|£)?\s?\d[\d,.]*\d(?:\s?(?:€|EUR|USD|GBP))?"
_ITEM_ROW = re.compile(rf"^(?P<desc>.*?[A-Za-z].*?)\s+(?P<qty>\d+(?:[.,]\d+)?)\s+(?P<unit>{_ITEM_AMOUNT})\s+(?P<amount>{_ITEM_AMOUNT})\s*$")


def _invoice_number(raw: str) -> Parsed:
    raw = raw.strip().rstrip(".")
    if not re.search(r"\d", raw):
        return Parsed(None, 0.0, "no digits in invoice number")
    return Parsed(raw.upper(), 1.0)


def extract_invoice(layout: Layout, rules: RuleSet, *, locale: str | None = None) -> tuple[list[FieldValue], list[dict]]:
    date = partial(normalize_date, locale=locale)
    number = find_labelled(layout, r"Invoice\s*(?:No\.?|Number|#|Nr\.?)|Invoice\s*ID", _INVOICE_NO, _invoice_number, "label")
    inv_date = (find_labelled(layout, r"Invoice\s*Date|Date\s+of\s+Invoice|Issue\s*Date|Date\s*Issued", DATE, date, "label")
                or find_labelled(layout, r"(?<![Dd]ue )(?<![Dd]ue)\bDate", DATE, date, "label 'Date'"))
    due = find_labelled(layout, r"Due\s*Date|Payment\s*Due(?:\s*Date)?|Due\s+(?:by|on)", DATE, date, "label")
    unreadable: list[Candidate] = []
    total = find_labelled(layout, _TOTAL_LABEL, AMOUNT, normalize_amount, "label", unparsed=unreadable)
    total = total or (unreadable[0] if unreadable else None)
    fields = {
        "invoice_number": _take("invoice_number", number),
        "invoice_date": _take("invoice_date", inv_date),
        "due_date": _take("due_date", due),
        "total_amount": _take("total_amount", total),
        "currency": _currency(layout, total),
        "customer": _customer(layout),
    }
    if due is None and rules.due_from_net_terms:
        fields["due_date"] = _due_from_terms(layout, fields["invoice_date"])
    items = _line_items(layout)
    _check_items(items, fields["total_amount"], fields["currency"], _tax(layout))
    _check_dates(fields["invoice_date"], fields["due_date"])
    return list(fields.values()), [it["record"] for it in items]


def _take(name: str, cand: Candidate | None) -> FieldValue:
    return field_from(name, cand) if cand else missing_field(name)


def _currency(layout: Layout, total: Candidate | None) -> FieldValue:
    if total is not None and total.parsed.currency:
        f = field_from("currency", total)
        f.normalized = total.parsed.currency
        f.value = next(iter(re.findall(r"US\$|\$|€|£|USD|EUR|GBP", total.raw)), total.raw)
        return f
    cand = find_labelled(layout, r"Currency", r"[A-Za-z$€£]{1,8}", normalize_currency, "label")
    return _take("currency", cand)


def _customer(layout: Layout) -> FieldValue:
    labels = r"Bill(?:ed)?\s*To|Customer|Client|Sold\s*To"
    cand = find_pattern(layout, rf"(?:{labels})\s*:\s*(?P<v>[^\n]+?)(?=\s{{2,}}|\n|$)", normalize_name, "label")
    if cand is None:  # "Bill To:" alone, the name on the next line in the same column
        cand = find_below(layout, labels, normalize_name, "label (below)", max_rows=1)
    return _take("customer", cand)


def _due_from_terms(layout: Layout, inv_date: FieldValue) -> FieldValue:
    m = re.search(r"\bNet\s+(\d{1,3})\b", layout.text)
    if not m or not inv_date.normalized:
        return missing_field("due_date")
    due = dt.date.fromisoformat(inv_date.normalized) + dt.timedelta(days=int(m[1]))
    span = layout.span(*m.span())
    f = FieldValue("due_date", m[0], due.isoformat(), inv_date.confidence * span.confidence * 0.95,
                   span.page, span.box, [f"derived from payment terms {m[0]!r} and the invoice date"],
                   source=layout.sources.get(span.page or 0, "ocr"))
    return f


def _line_items(layout: Layout) -> list[dict]:
    """Rows between the table header (Description … Qty … Amount) and the first total row."""
    items: list[dict] = []
    in_table = False
    for row in layout.rows:
        text = layout.row_text(row)
        if re.search(r"\bDescription\b", text, re.I) and re.search(r"\b(?:Qty|Quantity|Hours|Units)\b", text, re.I):
            in_table = True
            continue
        if not in_table:
            continue
        if re.search(r"\b(?:Sub-?total|Total|Tax|VAT|Amount\s+Due|Balance)\b", text, re.I):
            break
        m = _ITEM_ROW.match(text)
        if m:
            items.append(_item(m, row))
    return items


def _item(m: re.Match, row: list[Line]) -> dict:
    qty, unit, amount = (_decimal(m["qty"]), normalize_amount(m["unit"]), normalize_amount(m["amount"]))
    conf = min(ln.confidence for ln in row)
    consistent = qty is not None and unit.normalized is not None and amount.normalized is not None and \
        (qty * Decimal(unit.normalized)).quantize(Decimal("0.01")) == Decimal(amount.normalized)
    if not consistent:
        conf *= 0.7
    record = {"description": m["desc"].strip(), "quantity": None if qty is None else f"{qty.normalize():f}",
              "unit_price": unit.normalized, "amount": amount.normalized, "confidence": round(conf, 4),
              "page": row[0].page, "box": {k: round(v, 1) for k, v in (union_box([ln.box for ln in row]) or {}).items()}}
    return {"record": record, "consistent": consistent}


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _tax(layout: Layout) -> Decimal:
    """Tax/VAT printed between the items and the total (0 when there is none)."""
    cand = find_pattern(layout, rf"\b(?:Tax|VAT|Sales\s*Tax|GST)\b[^\n]{{0,20}}?(?P<v>{AMOUNT})\s*$",
                        normalize_amount, "label", flags=re.I | re.M)
    return Decimal(cand.parsed.normalized) if cand and cand.parsed.normalized else Decimal(0)


def _check_items(items: list[dict], total: FieldValue, currency: FieldValue, tax: Decimal = Decimal(0)) -> None:
    if not items or total.normalized is None:
        return
    amounts = [it["record"]["amount"] for it in items]
    if None in amounts or not all(it["consistent"] for it in items):
        penalise(total, "a line item's quantity × unit price does not match its amount", 0.9)
        return
    if sum(Decimal(a) for a in amounts) + tax == Decimal(total.normalized):
        boost(total, f"{len(items)} line items{' and tax' if tax else ''} add up to the total")
        boost(currency, "line items add up to the total")
        for it in items:
            rec = it["record"]
            rec["confidence"] = round(rec["confidence"] + (1 - rec["confidence"]) * 0.5, 4)
    else:
        penalise(total, f"line items add up to {sum(Decimal(a) for a in amounts)}, not the total", 0.7)
        total.force_review = True


def _check_dates(invoice_date: FieldValue, due_date: FieldValue) -> None:
    if invoice_date.normalized and due_date.normalized and due_date.normalized < invoice_date.normalized:
        why = f"due date {due_date.normalized} is before the invoice date {invoice_date.normalized}"
        penalise(due_date, why, 0.7)
        penalise(invoice_date, why, 0.9)
        due_date.force_review = invoice_date.force_review = True

"""Payment terms as a cross-check of the dates: the due date is the invoice date plus the
days the terms print ("Net 30", "zahlbar innerhalb von 30 Tagen", "à 30 jours", "binnen 30
dagen", "a 30 días", "entro 30 giorni", "w terminie 30 dni").

Two dates read independently and a number of days that makes one from the other is
arithmetic, like subtotal + tax = total: both dates are confirmed (an OCR misread of either
would have to land on exactly the printed number of days). When the terms name several
periods (an early-payment discount: "10 Tage 2 % Skonto, 30 Tage netto") only the net one
counts, and if that cannot be told, nothing is checked.

>>> days_of_terms("Zahlbar innerhalb von 30 Tagen ohne Abzug.")
30
>>> days_of_terms("Zahlbar innerhalb 10 Tagen mit 2 % Skonto, innerhalb 30 Tagen netto.")
30
>>> days_of_terms("Payment due upon receipt.") is None
True
"""

from __future__ import annotations

import datetime as dt
import re

from streams.extract.confidence import FieldValue, boost
from streams.extract.layout import Layout

__all__ = ["days_of_terms", "cross_check", "DISCOUNT"]

_DAYS = r"(?P<n>\d{1,3})\s*(?:-\s*)?(?:days?|Tage[n]?|jours?|dagen|d[íi]as|giorni|dni)"
_TERMS = re.compile(
    rf"\bNet\s*(?P<net>\d{{1,3}})\b"
    rf"|(?:within|innerhalb(?:\s+von)?|binnen|dans\s+les|[àa]|en|entro|w\s+terminie|in|payable|zahlbar|net|netto|Zahlungsziel:?)"
    rf"\s+{_DAYS}(?=(?P<tail>[^\n.;]{{0,25}}))", re.I)
_NET_WORD = re.compile(r"\b(?:net|netto|ohne\s+Abzug|rein\s+netto|nett?)\b", re.I)
DISCOUNT = re.compile(r"Skonto|discount|escompte|korting|descuento|sconto|rabat", re.I)


def days_of_terms(text: str) -> int | None:
    """The net payment period in days, or None when none or several disagree."""
    plain: set[int] = set()
    net: set[int] = set()
    for m in _TERMS.finditer(text):
        if m["net"]:
            net.add(int(m["net"]))
            continue
        n, tail = int(m["n"]), m["tail"] or ""
        head = text[max(0, m.start() - 12):m.start()]
        if DISCOUNT.search(tail):
            continue  # the early-payment period, not the due date
        (net if _NET_WORD.search(tail) or _NET_WORD.search(head) else plain).add(n)
    chosen = net or plain
    return next(iter(chosen)) if len(chosen) == 1 and 0 < next(iter(chosen)) <= 180 else None


def cross_check(layout: Layout, values: list[FieldValue]) -> None:
    """Confirm the invoice and due dates when the payment terms join them."""
    by_name = {f.name: f for f in values}
    inv, due = by_name.get("invoice_date"), by_name.get("due_date")
    if not (inv and due and inv.normalized and due.normalized) or inv.contradicted or due.contradicted:
        return
    if inv.force_review or due.force_review:
        return  # an ambiguous date (03/04) is not decided by arithmetic on one of its readings
    if any("derived" in r or "terms" in r for r in due.reasons):
        return  # a due date computed from the terms cannot confirm itself
    days = days_of_terms(layout.text)
    try:
        gap = (dt.date.fromisoformat(due.normalized) - dt.date.fromisoformat(inv.normalized)).days
    except ValueError:
        return
    if days is not None and gap == days:
        why = f"invoice date + {days} days of the payment terms = due date"
        boost(inv, why)
        boost(due, why)

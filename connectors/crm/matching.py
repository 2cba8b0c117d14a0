"""How a document finds its CRM record: the rules every connector applies the same way.

A command's ``match`` (``crm.commands.match``, a string map the mapper fills from the
mapping's ``match:``) says how:

- ``crm_ref``: the capture client named the record; the mapper then addresses it by the
  CRM's own id field (:data:`RECORD_ID_FIELD`), so nothing is guessed;
- ``email`` (Contact), ``domain`` / ``name`` (Account): adopt the one existing record;
- ``amount`` / ``name`` on a deal-like object linked to an account: the one *open*
  deal of that account with the same amount, else whose name contains ``name``;
- ``on_miss``: ``create`` (default) or ``review``.

Several candidates (a tie) never pick one and never create a duplicate: the connector
raises :class:`NeedsReview`, and the sink routes the document to review.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from connectors.crm.registry import CRMS
from connectors.registry import AttributeView
from inkstream.errors import NeedsReview  # defined in the one error tree (inkstream/errors.py)

__all__ = ["NeedsReview", "RECORD_ID_FIELD", "ACCOUNT_OBJECT", "DEAL_RULES", "pick_open_deal", "one_or_review",
           "is_record_id"]

# The field that *is* the record id, per CRM: a crm_ref is addressed through it.
RECORD_ID_FIELD = AttributeView(CRMS, "record_id_field")
# The object a deal's ``amount``/``name`` rules look under.
ACCOUNT_OBJECT = AttributeView(CRMS, "account_object")
DEAL_RULES = ("amount", "name")


def is_record_id(crm: str, field: str | None) -> bool:
    return field == RECORD_ID_FIELD[crm]


def _amount(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def one_or_review(what: str, ids: list[str], match: dict) -> str | None:
    """The one id; None for a miss the mapping lets create; NeedsReview otherwise."""
    if len(ids) == 1:
        return ids[0]
    if len(ids) > 1:
        raise NeedsReview(f"{what}: {len(ids)} records match", candidates=len(ids))
    if match.get("on_miss") == "review":
        raise NeedsReview(f"{what}: no record matches and the mapping says on_miss: review", candidates=0)
    return None


def pick_open_deal(what: str, deals: Iterable[tuple[str, str | None, object]], match: dict) -> str | None:
    """``deals``: (id, name, amount) of the account's *open* deals. Amount first (exact
    to the cent), then name (the deal name contains the match's name, case-insensitive)."""
    deals = list(deals)
    wanted = _amount(match["amount"]) if match.get("amount") else None
    if wanted is not None:
        by_amount = [i for i, _, amount in deals if _amount(amount) == wanted]
        if by_amount:
            return one_or_review(f"{what} by amount", by_amount, match)
    name = (match.get("name") or "").strip().lower()
    by_name = [i for i, deal_name, _ in deals if name and name in (deal_name or "").lower()]
    return one_or_review(f"{what} by name" if name else what, by_name, match)

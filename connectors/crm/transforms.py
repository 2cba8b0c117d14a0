"""Value transforms a mapping may name (``transform: lower`` or ``transform: {date: "%d/%m/%Y"}``).

Inputs are the normalised canonical values (ISO dates, decimal strings, ISO 4217 codes,
lower-case e-mails); outputs are what the CRM's field expects.

>>> apply_transforms("2026-03-01", [("date", "%m/%d/%Y")])
'03/01/2026'
>>> apply_transforms("1234.5", [("amount", None)])
1234.5
>>> apply_transforms("Ada M. Lovelace", [("last_name", None)])
'Lovelace'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation, ROUND_HALF_EVEN
from typing import Any

from inkstream.errors import MappingError

__all__ = ["TRANSFORMS", "ARG_REQUIRED", "apply_transforms", "check_arg"]

Value = Any


def _date(value: Value, fmt: str | None) -> str:
    try:
        parsed = date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise MappingError(f"{value!r} is not an ISO date") from exc
    return parsed.strftime(fmt or "%Y-%m-%d")


def _amount(value: Value, places: int | None) -> float:
    try:
        dec = Decimal(str(value).replace(",", ""))
    except InvalidOperation as exc:
        raise MappingError(f"{value!r} is not a decimal amount") from exc
    quantum = Decimal(1).scaleb(-(2 if places is None else int(places)))
    return float(dec.quantize(quantum, rounding=ROUND_HALF_EVEN))


def _integer(value: Value, _arg: None) -> int:
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise MappingError(f"{value!r} is not a number") from exc


def _picklist(value: Value, arg: dict) -> Value:
    # A picklist the CRM does not know makes the whole upsert fail, so unknown values
    # fall back to an explicit default or fail here, where the message is clear.
    values = arg.get("values", {})
    if str(value) in values:
        return values[str(value)]
    if "default" in arg:
        return arg["default"]
    raise MappingError(f"{value!r} is not in the picklist map {sorted(values)}")


def _email_domain(value: Value, _arg: None) -> str:
    text = str(value).strip().lower()
    if "@" not in text:
        raise MappingError(f"{value!r} is not an e-mail address")
    return text.rsplit("@", 1)[1]


def _name_part(value: Value, last: bool) -> str:
    parts = str(value).split()
    if not parts:
        return ""
    if last:
        return parts[-1]
    return " ".join(parts[:-1])


TRANSFORMS: dict[str, Callable[[Value, Any], Value]] = {
    "lower": lambda v, _a: str(v).lower(),
    "upper": lambda v, _a: str(v).upper(),
    "strip": lambda v, _a: str(v).strip(),
    "string": lambda v, _a: str(v),
    "date": _date,
    "amount": _amount,
    "integer": _integer,
    "picklist": _picklist,
    "email_domain": _email_domain,
    "first_name": lambda v, _a: _name_part(v, last=False),
    "last_name": lambda v, _a: _name_part(v, last=True),
    "truncate": lambda v, n: str(v)[: int(n)],
}

# Transforms whose argument is mandatory, with the type it must have.
ARG_REQUIRED: dict[str, type] = {"picklist": dict, "truncate": int}
_ARG_TYPES: dict[str, type] = {"date": str, "amount": int, **ARG_REQUIRED}


def check_arg(name: str, arg: Any) -> str | None:
    """Why ``arg`` is not valid for transform ``name``, or None."""
    if name not in TRANSFORMS:
        return f"unknown transform {name!r} (known: {', '.join(sorted(TRANSFORMS))})"
    if arg is None:
        return f"transform {name!r} needs an argument" if name in ARG_REQUIRED else None
    expected = _ARG_TYPES.get(name)
    if expected is None:
        return f"transform {name!r} takes no argument"
    if not isinstance(arg, expected):
        return f"transform {name!r} takes a {expected.__name__} argument, got {arg!r}"
    if name == "date" and isinstance(arg, str):  # the isinstance check above: a str
        try:
            date(2001, 2, 3).strftime(arg)
        except ValueError as exc:
            return f"bad date format {arg!r}: {exc}"
        if "%" not in arg:
            return f"date format {arg!r} has no % directive"
    if name == "picklist" and isinstance(arg, dict):  # the isinstance check above: a dict
        if not isinstance(arg.get("values"), dict):
            return "picklist needs 'values: {canonical: crm value}'"
        extra = set(arg) - {"values", "default"}
        if extra:
            return f"picklist takes 'values' and 'default', not {sorted(extra)}"
    return None


def apply_transforms(value: Value, chain: list[tuple[str, Any]]) -> Value:
    for name, arg in chain:
        value = TRANSFORMS[name](value, arg)
    return value

"""A signature request built from the document: who signs in which order, with which
recipient authentication for this document type, which validated values are pre-filled,
and which anchor texts place the signature boxes.

The mapper (``streams.mapper.plan``) calls :func:`signature_plan` with the mapping's
``request_signature`` section (``connectors.crm.mapping.SignatureRequestSpec``) and puts
the result in the command's ``fields`` (``esign_plan``, JSON: the command's field map
holds scalars only); the dispatcher reads it back with :func:`read_plan`.

>>> from connectors.crm.mapping import SignatureRequestSpec
>>> spec = SignatureRequestSpec(to="deal", auth={"contract": "sms"}, prefill={"Amount": {"from": "total_amount"}})
>>> plan = read_plan(signature_plan(spec, {"signer_name": "Ada", "signer_email": "ada@x.example",
...                                        "total_amount": "1200.00"}, "contract"))
>>> plan["signers"][0]["auth"], plan["prefill"]
('sms', [{'label': 'Amount', 'value': '1200.00', 'anchor': 'Amount'}])
"""

from __future__ import annotations

import json
from typing import Any

from connectors.crm.mapping import FieldSpec, SignatureRequestSpec, render_template, source_value
from connectors.crm.transforms import apply_transforms
from inkstream.errors import EsignError

__all__ = ["PLAN_FIELD", "signature_plan", "read_plan"]

PLAN_FIELD = "esign_plan"


def _value(spec: FieldSpec | None, values: dict[str, Any]) -> str | None:
    if spec is None:
        return None
    if spec.const is not None:
        value = apply_transforms(spec.const, spec.transform)
    elif spec.template is not None:
        value = apply_transforms(render_template(spec.template, values), spec.transform)
    else:
        value = source_value(spec, values)
    return str(value) if value not in (None, "") else None


def signature_plan(spec: SignatureRequestSpec, values: dict[str, Any], doc_type: str | None) -> dict[str, str]:
    """``{"esign_plan": json}``; signers without an e-mail are left out (nobody to ask)."""
    auth = spec.auth.get(doc_type, "email") if doc_type in ("contract", "invoice") else "email"  # type: ignore[call-overload]  # one of the Literal keys after the `in` test (mypy does not narrow a str by it)
    signers = []
    for signer in spec.signers:
        email = _value(signer.email, values)
        if not email:
            continue
        signers.append({"name": _value(signer.name, values) or email, "email": email,
                        "phone": _value(signer.phone, values), "routing_order": signer.routing_order,
                        "auth": auth, "anchor": signer.anchor})
    prefill = []
    for label, pspec in spec.prefill.items():
        value = source_value(pspec, values)
        if value not in (None, ""):
            prefill.append({"label": label, "value": str(value), "anchor": pspec.anchor or label})
    return {PLAN_FIELD: json.dumps({"signers": signers, "prefill": prefill, "anchors": list(spec.anchors)},
                                   separators=(",", ":"))}


def read_plan(fields: dict[str, Any]) -> dict | None:
    """The plan in a command's fields (None: a command from before plans existed)."""
    raw = fields.get(PLAN_FIELD)
    if raw is None:
        return None
    try:
        plan = json.loads(raw)
        signers = plan["signers"]
        ok = isinstance(signers, list) and all(isinstance(s, dict) and isinstance(s.get("email"), str) for s in signers) \
            and isinstance(plan.get("prefill", []), list) and isinstance(plan.get("anchors", []), list)
    except (TypeError, ValueError, KeyError) as exc:
        raise EsignError(f"request_signature: {PLAN_FIELD} is not a signature plan ({type(exc).__name__})") from exc
    if not ok:
        raise EsignError(f"request_signature: {PLAN_FIELD} has the wrong shape")
    if not signers:
        raise EsignError("request_signature: the plan names no signer with an e-mail")
    return plan

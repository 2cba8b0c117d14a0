"""Standard Webhooks v1 (standardwebhooks.com, ``shared/specs/standard-webhooks``): a generic
sender of signed lifecycle events, e.g. an e-sign tool inkstream has no connector for.

Not a provider with an API: nothing is created or confirmed through it (its HMAC covers
the whole body, id and timestamp). Verification: :func:`connectors.esign.verify.verify_standard`;
payload ``{"type": "envelope.<lifecycle>", "timestamp", "data": {...}}``.
"""

from __future__ import annotations

import json
import uuid

from connectors.esign.events import LIFECYCLE, parse_standard
from connectors.esign.simulate import SimRequest, sim_iso
from connectors.esign.vendor import EsignVendor, Inbound, json_object, secret_values
from connectors.esign.verify import check_standard_secrets, standard_signature, verify_standard

__all__ = ["STANDARD"]


async def _verify(inbound: Inbound) -> dict:
    verify_standard(inbound.body, inbound.headers, inbound.keys, now=inbound.now, tolerance_s=inbound.tolerance_s)
    return json_object(inbound.body)


def _simulate(step, envelope_id, doc_id, key, at, signer, event_id) -> SimRequest:
    msg_id = event_id or f"msg_{uuid.uuid4().hex}"
    body = {"type": f"envelope.{step}", "timestamp": sim_iso(at, 6),
            "data": {"envelope_id": envelope_id, "doc_id": doc_id,
                     "signer": {"name": signer.name, "email": signer.email, "ip": signer.ip,
                                "user_agent": signer.user_agent, "auth_method": signer.auth_method,
                                "signed_at": sim_iso(at, 6) if step in ("signed", "completed") else None}}}
    content = json.dumps(body).encode()
    stamp = str(int(at))
    return SimRequest("POST", STANDARD.route, {
        "content-type": "application/json", "webhook-id": msg_id, "webhook-timestamp": stamp,
        "webhook-signature": standard_signature(key, msg_id, stamp, content)}, content)


STANDARD = EsignVendor(
    name="standard", label="Standard Webhooks", route="/webhooks/standard",
    verify=_verify, parse=lambda payload, inbound: parse_standard(payload, inbound.headers["webhook-id"]),
    simulate=_simulate, event_names={s: f"envelope.{s}" for s in LIFECYCLE},
    # A secret no reference library accepts could only ever answer 401: refused at start.
    check_settings=lambda section: check_standard_secrets(secret_values(section)))

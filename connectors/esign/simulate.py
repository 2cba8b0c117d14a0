"""Build the webhook requests a provider would send, signed the way that provider signs
them, for ``inkstream simulate esign`` and for tests. Each provider builds its own
(``EsignVendor.simulate``, in its module); shapes follow the vendors' samples: DocuSign
``connect.schema-v2.json``, Dropbox Sign ``EventCallbackRequest`` (multipart ``json``
part), Acrobat Sign ``webhook-payloads/*.json``, Standard Webhooks spec.

>>> req = build_request("standard", "completed", envelope_id="e1", doc_id="d1",
...                     key="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", at=1614265330)
>>> req.path, req.headers["webhook-signature"].startswith("v1,")
('/webhooks/standard', True)
"""

from __future__ import annotations

from datetime import datetime, timezone

from connectors.esign.registry import ESIGN
from connectors.registry import AttributeView
from connectors.esign.vendor import SimRequest, SimSigner

__all__ = ["SimSigner", "SimRequest", "build_request", "SEQUENCES", "PATHS", "provider_event_name", "sim_iso"]

# provider → its webhook route / its usual lifecycle, as each provider's object says.
PATHS = AttributeView(ESIGN, "route")
SEQUENCES = AttributeView(ESIGN, "sequence")


def provider_event_name(provider: str, step: str) -> str:
    return ESIGN.get(provider).event_names[step]


def sim_iso(at: float, digits: int = 7) -> str:
    dt = datetime.fromtimestamp(at, tz=timezone.utc)
    frac = f"{dt.microsecond:06d}{'0' * max(0, digits - 6)}"[:digits]
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z"


def build_request(provider: str, step: str, *, envelope_id: str, doc_id: str | None, key: str,
                  at: float, signer: SimSigner = SimSigner(), event_id: str | None = None) -> SimRequest:
    """One signed webhook for ``step`` (sent, delivered, viewed, signed, completed, ...) at epoch ``at``.

    ``key``: what the provider's webhooks are verified with (``EsignVendor.webhook_keys``:
    DocuSign Connect HMAC key, Dropbox Sign API key, Acrobat Sign client id, a Standard
    Webhooks ``whsec_`` secret). ``event_id`` fixes the delivery id where the vendor sends
    one (Acrobat Sign, Standard Webhooks); DocuSign and Dropbox Sign deliveries are
    identified by their signed timestamps, so a replay there is the same request resent."""
    return ESIGN.get(provider).simulate_request(step, envelope_id=envelope_id, doc_id=doc_id, key=key, at=at,
                                                signer=signer, event_id=event_id)

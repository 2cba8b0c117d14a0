"""What an e-sign provider is to inkstream: one frozen :class:`EsignVendor` per provider,
defined in the provider's own module (``connectors/esign/docusign.py`` ...) and listed in
``connectors/esign/registry.py``.

Everything that differs between providers is a field here: the API client it builds, its
scopes and consent page, its webhook route, how a delivery is verified (exactly as the
vendor specifies), parsed and answered, and how the simulation signs one. The gateway,
the confirmer, the dispatcher, consent, scopes and ``inkstream simulate esign`` ask these
fields and know no provider by name.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inkstream.settings import EsignProviderSettings

if TYPE_CHECKING:
    import httpx
    from fastapi import Request
    from fastapi.responses import Response

    from connectors.esign import EsignProvider
    from connectors.esign.events import ProviderEvent

__all__ = ["EsignVendor", "Inbound", "MalformedWebhook", "SimRequest", "SimSigner", "json_object", "json_reply",
           "secret_values"]


class MalformedWebhook(Exception):
    """A verified (or not yet verifiable) body that cannot be read: 400 ``malformed``."""


def json_object(data: bytes | str) -> dict:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedWebhook("body is not JSON") from exc
    if not isinstance(value, dict):
        raise MalformedWebhook("body is not a JSON object")
    return value


def json_reply(outcome: str | None, inbound: "Inbound") -> "Response":
    from fastapi.responses import JSONResponse

    return JSONResponse({"status": outcome})


def secret_values(section: EsignProviderSettings) -> list[str]:
    """The configured ``webhook_keys`` as plain strings (most providers' webhook secrets)."""
    return [k.get_secret_value() for k in section.webhook_keys]


@dataclass(frozen=True)
class SimSigner:
    name: str = "Ada Lovelace"
    email: str = "ada@example.com"
    ip: str = "203.0.113.7"           # TEST-NET-3: documentation address
    user_agent: str = "Mozilla/5.0 (inkstream simulate)"
    auth_method: str = "email"


@dataclass(frozen=True)
class SimRequest:
    method: str
    path: str
    headers: dict[str, str]
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class Inbound:
    """One webhook delivery as the gateway hands it to a provider: the raw body, the
    request (headers, form), the provider's verification keys and the clock."""

    request: "Request"
    body: bytes
    keys: list[str]
    now: float
    tolerance_s: int

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers


@dataclass(frozen=True)
class EsignVendor:
    """One e-sign provider (or webhook sender). Fields:

    - ``name``: the name in settings (``esign.<name>``), records (``esign.events.provider``)
      and metrics; ``route``: its webhook path on the gateway;
    - ``scopes``: least-privilege OAuth scopes (SECURITY.md); ``authorize_url(section, params,
      scopes)`` its consent page (None: no consent step); ``oauth_client_id(section)``;
    - ``has_credentials(section)`` / ``build(section, client)``: its API client (None: no API,
      so its final events are not confirmed with one: ``confirmed_with_api`` False);
    - ``webhook_keys(section)``: what verifies its deliveries (and what the simulation signs with);
    - ``verify(inbound)`` (async): check the delivery exactly as the vendor specifies
      (``WebhookVerificationError``), return its payload (``MalformedWebhook`` if unreadable);
    - ``parse(payload, inbound)``: → :class:`~connectors.esign.events.ProviderEvent` (``EsignError``);
    - ``reply(outcome, inbound)``: the answer the vendor expects; ``challenge``: the route also
      answers GET (a subscription check): verify, then reply with no outcome;
    - ``simulate(step, envelope_id, doc_id, key, at, signer, event_id)``: a signed delivery
      for ``inkstream simulate esign``; ``sequence``: its usual lifecycle; ``event_names``:
      the vendor's event for each lifecycle step;
    - ``check_settings(section)``: ConfigError for settings that could never verify (at start);
    - ``max_event_age_s``: older signed events are refused as replays (settings may override).
    """

    name: str
    label: str
    route: str
    verify: Callable[[Inbound], Awaitable[dict]]
    parse: Callable[[dict, Inbound], "ProviderEvent"]
    simulate: Callable[..., SimRequest]
    webhook_keys: Callable[[EsignProviderSettings], list[str]] = secret_values
    reply: Callable[[str | None, Inbound], "Response"] = json_reply
    challenge: bool = False
    sequence: tuple[str, ...] = ("sent", "delivered", "signed", "completed")
    event_names: Mapping[str, str] = field(default_factory=dict)   # lifecycle step → the vendor's event
    scopes: tuple[str, ...] = ()
    authorize_url: Callable[[EsignProviderSettings, dict[str, str], tuple[str, ...]], str] | None = None
    oauth_client_id: Callable[[EsignProviderSettings], str | None] = lambda section: None
    has_credentials: Callable[[EsignProviderSettings], bool] = lambda section: False
    build: Callable[[EsignProviderSettings, "httpx.Client"], "EsignProvider"] | None = None
    check_settings: Callable[[EsignProviderSettings], None] = lambda section: None
    # Oldest signed event accepted (the vendor's retry horizon + a margin), unless
    # esign.max_event_age_s names the provider; None: no limit (a sender that signs a timestamp).
    max_event_age_s: int | None = None
    settings_model: type[EsignProviderSettings] = EsignProviderSettings
    settings_defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def confirmed_with_api(self) -> bool:
        return self.build is not None

    def simulate_request(self, step: str, *, envelope_id: str, doc_id: str | None, key: str, at: float,
                         signer: SimSigner, event_id: str | None = None) -> SimRequest:
        return self.simulate(step, envelope_id, doc_id, key, at, signer, event_id)

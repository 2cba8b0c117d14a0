"""Final webhook events are confirmed with the provider before they change anything.

A verified webhook proves only who could have sent it, not that it is true now: Dropbox
Sign's ``event_hash`` covers just ``event_time + event_type`` (a captured hash can be replayed
for another envelope), and Acrobat Sign notifications carry only the client id, which is
no secret. So before a final event (completed, declined, voided, expired: each one sticks
in ``esign.envelopes``) is produced, :class:`Confirmer` asks the provider's API for the
envelope (``EsignProvider.envelope_status``) and requires

- that the provider's state proves the event (a ``completed`` needs a completed envelope);
- that the envelope carries the document id the state knows (or, for an envelope no state
  knows yet, the document id is taken from the provider, never from the payload).

Outcomes: confirmed → the event goes on (with the provider's doc id); contradicted →
``WebhookVerificationError(reason="unconfirmed")`` (401, counted, audited; nothing
produced); provider unreachable, rate limited or without API credentials → ``EsignTransient``
(503 + Retry-After: the vendor redelivers; retry, never drop).

Not confirmed with an API, on purpose: events of a sender without an API (its object has no
``build``: Standard Webhooks, whose HMAC covers the whole body, id and timestamp), and envelopes created by
the local SIMULATION (provider ``simulated`` in the state). Providers without credentials
are let through only in the explicit simulation mode (``esign.provider: simulated``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from connectors.esign import EsignProvider, ProviderStatus
from connectors.esign.events import ProviderEvent
from connectors.esign.registry import ESIGN, SIMULATED
from connectors.esign.state import TERMINAL, EnvelopeBook
from inkstream.errors import EsignTransient, WebhookVerificationError

__all__ = ["Confirmer", "confirming_providers"]

log = logging.getLogger(__name__)



class Confirmer:
    """``providers(name)`` → the provider's API client, or None when no credentials are set
    for it; ``simulation``: the explicit simulation mode, where such providers pass."""

    def __init__(self, *, providers: Callable[[str], EsignProvider | None], book: EnvelopeBook,
                 refresh: Callable[[], object] | None = None, simulation: bool = False) -> None:
        self._providers = providers
        self._book = book
        self._refresh = refresh
        self._simulation = simulation
        self._warned: set[str] = set()

    def confirm(self, event: ProviderEvent) -> ProviderEvent:
        if event.event_type not in TERMINAL:
            return event  # non-final events only move a state forward; they complete nothing
        state = self._book.get(event.envelope_id)
        if state is None and self._refresh is not None:
            self._refresh()
            state = self._book.get(event.envelope_id)
        source = state["provider"] if state else event.provider
        if source == SIMULATED or (source in ESIGN and not ESIGN.get(source).confirmed_with_api):
            return event
        provider = self._providers(source)
        if provider is None:
            if self._simulation:
                self._warn_once(source)
                return event
            raise EsignTransient(f"cannot confirm a {source} {event.event_type} event: no {source} API "
                                 f"credentials are configured (esign.{source}.*)")
        truth: ProviderStatus = provider.envelope_status(event.envelope_id)  # EsignTransient/RateLimited pass up
        if event.event_type not in truth.confirms:
            raise WebhookVerificationError(
                f"{source} says envelope {event.envelope_id} is {truth.status!r}, not {event.event_type}",
                provider=event.provider, reason="unconfirmed")
        known = state["doc_id"] if state else None
        if known is not None and truth.doc_id is not None and truth.doc_id != known:
            raise WebhookVerificationError(f"{source} envelope {event.envelope_id} belongs to another document",
                                           provider=event.provider, reason="unconfirmed")
        # The payload's doc id is not trusted (Dropbox Sign's hash does not cover it).
        return dataclasses.replace(event, doc_id=known or truth.doc_id)

    def _warn_once(self, source: str) -> None:
        if source not in self._warned:
            self._warned.add(source)
            log.warning("SIMULATION mode: %s final events are NOT confirmed with the provider (no credentials)", source)


def confirming_providers(settings, client=None) -> Callable[[str], EsignProvider | None]:
    """The providers' API clients the gateway confirms final events with (built on first
    use; None for a provider without API credentials, never the simulation)."""
    import httpx

    from connectors.esign import provider_name
    from connectors.esign.providers import build_provider, has_credentials
    from connectors.esign.simulated import SimulatedProvider

    http = client or httpx.Client(timeout=settings.esign.timeout_s)
    cache: dict[str, EsignProvider | None] = {}

    def providers(name: str) -> EsignProvider | None:
        name = provider_name(name)
        if name not in cache:
            built = build_provider(settings, name, http) if has_credentials(settings, name) else None
            # In the simulation mode the builder answers with the simulation: nothing to ask.
            cache[name] = None if isinstance(built, SimulatedProvider) else built
        return cache[name]
    return providers

"""E-sign: providers behind one Protocol, webhook verification, the webhook gateway and
envelope state.

Plug-in point: one :class:`~connectors.esign.vendor.EsignVendor` per provider, listed in
``connectors/esign/registry.py``; its API client keeps :class:`EsignProvider`. Implementations (each following the vendor's
published API, named in its module docstring):

- ``connectors.esign.docusign.DocuSign`` — eSignature REST v2.1 envelopes;
- ``connectors.esign.acrobat_sign.AcrobatSign`` — Acrobat Sign REST v6 agreements;
- ``connectors.esign.dropbox_sign.DropboxSign`` — Dropbox Sign v3 signature requests;
- ``connectors.esign.simulated.SimulatedProvider`` — a local SIMULATION used when no
  credentials are configured (demo, tests); it signs nothing for real.

``connectors.esign.providers.build_provider(settings, name, client)`` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from connectors.esign.layout import Tab

__all__ = [
    "AUTH_METHODS", "EsignProvider", "Recipient", "EnvelopeRequest", "CreatedEnvelope",
    "ProviderStatus", "Tab", "provider_name",
]

# Recipient authentication options inkstream understands; each provider maps the ones it
# offers and refuses (EsignError) the ones it does not, rather than silently sending less.
AUTH_METHODS = ("email", "access_code", "sms", "phone", "kba", "idv")

# Provider names as they appear in records (esign.events.provider): the registered ones
# (connectors/esign/registry.py) and ``simulated``.


def provider_name(name: str) -> str:
    """``acrobat-sign`` / ``Acrobat_Sign`` → ``acrobat_sign``; unknown names are returned as given."""
    return name.strip().lower().replace("-", "_")


@dataclass(frozen=True)
class Recipient:
    """One signer. ``auth`` is one of :data:`AUTH_METHODS`; ``phone`` (E.164) is needed for
    sms/phone, ``access_code`` for access_code. The access code is a secret: never logged."""

    name: str
    email: str
    auth: str = "email"
    phone: str | None = None
    access_code: str | None = field(default=None, repr=False)
    routing_order: int = 1


@dataclass(frozen=True)
class EnvelopeRequest:
    """What to send for signature. ``doc_id`` MUST travel to the provider as metadata so
    that webhooks link back; ``idempotency_key`` travels too (for reconciliation)."""

    doc_id: str
    idempotency_key: str
    title: str
    pdf: bytes = field(repr=False)
    recipients: tuple[Recipient, ...]
    message: str = ""
    file_name: str = "document.pdf"
    # Where each signer signs and dates, and the locked pre-filled values
    # (connectors.esign.layout.place_tabs); empty: one box per signer at a fixed spot.
    tabs: tuple[Tab, ...] = ()


@dataclass(frozen=True)
class CreatedEnvelope:
    provider: str
    envelope_id: str
    status: str = "sent"


@dataclass(frozen=True)
class ProviderStatus:
    """What the provider's own API says about an envelope (never what a webhook claims).

    ``confirms``: the lifecycle event types this state proves (a completed DocuSign envelope
    proves ``completed``; an Acrobat Sign ``CANCELLED`` agreement proves ``declined`` or
    ``voided``, which v6 does not tell apart); ``doc_id``: the document id the envelope
    carries in the provider's metadata; ``status``: the vendor's own word, for logs."""

    status: str
    confirms: frozenset[str]
    doc_id: str | None = None


@runtime_checkable
class EsignProvider(Protocol):
    """Contract every e-sign provider MUST keep.

    - ``name`` is a registered provider's name (connectors/esign/registry.py) or ``simulated``.
    - ``create_envelope(request)`` sends ``request.pdf`` for signature to every recipient
      with its authentication option, carrying ``request.doc_id`` in the provider's
      metadata (DocuSign text custom field ``doc_id``, Acrobat Sign ``externalId``,
      Dropbox Sign ``metadata.doc_id``), and returns the provider's envelope id. An auth
      option the provider does not offer raises ``EsignError`` (never silently dropped).
    - ``download_signed(envelope_id)`` returns the bytes of the combined signed PDF.
    - ``envelope_status(envelope_id)`` asks the provider's API for the envelope's current
      state (:class:`ProviderStatus`); the gateway confirms every final webhook with it
      before the envelope state changes, so a forged or replayed callback completes nothing.
    - MAY offer ``find_envelope(request) -> CreatedEnvelope | None``: the envelope already
      created for this request (by idempotency key or doc id), which the dispatcher asks
      before creating; this closes the crash window between "created at the provider" and
      "recorded in esign.envelopes" where the vendor API can search.
    - HTTP goes through the ``httpx.Client`` given to the constructor (tests pass a
      ``MockTransport``). Errors are converted where they enter: 429 → ``CrmRateLimited``-like
      ``EsignRateLimited`` with ``retry_after``; 5xx/transport → ``EsignTransient``; other
      4xx → ``EsignError`` carrying the vendor's error body (no credentials).
    - Credentials are never logged nor put in exception messages.
    """

    name: str

    def create_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope: ...

    def download_signed(self, envelope_id: str) -> bytes: ...

    def envelope_status(self, envelope_id: str) -> ProviderStatus: ...

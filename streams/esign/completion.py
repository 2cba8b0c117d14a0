"""``esign.complete``: act on an envelope's final state.

On ``completed``: download the combined signed PDF from the provider that created the
envelope, compute its SHA-256, store it at ``signed/<doc_id>/<sha256>.pdf`` (a new key:
the original under ``originals/`` is never touched; a redelivery finds the same
content-addressed key and stores nothing new), then emit

- ``crm.commands`` ``attach_file`` (the signed PDF's claim check) and
  ``update_signature_status`` (status ``signed``, signed-at, signer, the file's hash);
- ``esign.events`` ``stored`` with ``signed`` set, so the audit trail holds the hash.

On ``declined``/``voided``/``expired``: only ``update_signature_status``. Other events
are skipped, and so is a final event that contradicts the envelope's terminal state in
``esign.envelopes`` (terminal states stick, so a late ``voided`` never un-signs a deal). Sink processor (at-least-once): every output is idempotent (content-addressed
object, commands keyed on doc/operation/hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from connectors.esign import EsignProvider
from connectors.esign.state import TERMINAL, EnvelopeBook
from connectors.objectstore import ObjectStore
from connectors.objectstore.readback import stored_once
from inkstream.errors import EsignError, EsignRateLimited, EsignTransient
from streams.esign.crm_fields import crm_command, signature_fields
from schemas.records import envelope
from streams.runtime import Backpressure, Context, Emit, Processor, Retryable, SkipRecord

if TYPE_CHECKING:
    from schemas.codec import Codec

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["make_completion", "factory", "signed_key"]

_FINAL = {"completed": "signed", "declined": "declined", "voided": "voided", "expired": "expired"}


def signed_key(doc_id: str, sha256: str) -> str:
    return f"signed/{doc_id}/{sha256}.pdf"


def make_completion(settings: Settings, *, providers: Callable[[str], EsignProvider], store: ObjectStore,
                    book: EnvelopeBook, refresh: Callable[[], object] | None = None) -> Processor:
    def handle(event: dict, ctx: Context) -> Iterator[Emit]:
        if event.get("event_type") not in _FINAL or event.get("signed"):
            raise SkipRecord("not a final envelope event")
        if refresh is not None:
            # Final events are rare (one or two per envelope), so always catch up: the gateway
            # wrote this event's state in the same transaction, so the state is now current.
            refresh()
        state = book.get(event["envelope_id"]) or {}
        if state.get("status") in TERMINAL and state["status"] != event["event_type"]:
            # A terminal state sticks: a 'voided' after 'completed' must not un-sign the CRM record.
            raise SkipRecord(f"envelope is already {state['status']}")
        crm = state.get("crm_target") or settings.esign.crm_target
        names = signature_fields(crm)
        status_fields: dict[str, Any] = {names["status"]: _FINAL[event["event_type"]]}
        if event["event_type"] != "completed":
            yield Emit("crm.commands", crm_command(state, event, operation="update_signature_status", crm=crm,
                                                   discriminator=event["event_type"], fields=status_fields))
            return
        ref = _store_signed(event, providers(state.get("provider") or event["provider"]), store)
        signer = event.get("signer") or {}
        status_fields.update({names["signed_at"]: _iso(signer.get("signed_at") or event.get("provider_time")),
                              names["signer"]: signer.get("email"), names["hash"]: ref["sha256"]})
        attach = crm_command(state, event, operation="attach_file", crm=crm, discriminator=f"signed:{ref['sha256']}",
                             fields={"title": f"Signed: {event['doc_id']}", "file_name": f"{event['doc_id']}-signed.pdf"},
                             file=ref)
        yield Emit("crm.commands", attach)
        yield Emit("crm.commands", crm_command(state, event, operation="update_signature_status", crm=crm,
                                               discriminator="completed", fields=status_fields,
                                               depends_on=[attach["idempotency_key"]]))
        yield Emit("esign.events", {
            **envelope(event["doc_id"], producer="esign.complete", trace=event["trace"]),
            "provider": event["provider"], "envelope_id": event["envelope_id"], "event_type": "stored",
            "provider_event": "inkstream.signed_file_stored", "provider_event_id": f"stored:{ref['sha256']}",
            "provider_time": None, "signer": event.get("signer"), "signed": ref, "payload_sha256": ref["sha256"]})

    # stage: documents.status shows the signature stage closed (or failed, with the DLQ reason).
    return Processor(name="esign.complete", inputs=("esign.events",), handle=handle, sink=True, stage="signature")


def _iso(ms: int | None) -> str | None:
    # CRMs take ISO 8601 date-times (Salesforce, HubSpot and Zoho all accept the UTC 'Z' form).
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _store_signed(event: dict, provider: EsignProvider, store: ObjectStore) -> dict:
    try:
        pdf = provider.download_signed(event["envelope_id"])
    except EsignRateLimited as exc:
        raise Backpressure(exc.retry_after, reason=f"{provider.name} rate limit") from exc
    except EsignTransient as exc:
        raise Retryable(str(exc)) from exc
    if not pdf.startswith(b"%PDF-"):
        raise EsignError(f"{provider.name} returned something that is not a PDF for envelope {event['envelope_id']}")
    sha = hashlib.sha256(pdf).hexdigest()
    key = signed_key(event["doc_id"], sha)
    ref = stored_once(store, key, pdf, content_type="application/pdf", metadata={
        "sha256": sha, "doc_id": event["doc_id"], "envelope_id": event["envelope_id"], "provider": provider.name})
    if ref.sha256 != sha:
        raise EsignError(f"stored object {key} has sha256 {ref.sha256}, expected {sha}")
    return ref.to_record()


def factory(settings: Settings, *, codec: Codec) -> Processor:
    """``inkstream run esign.complete``."""
    from streams.esign.wiring import wire

    w = wire(settings, codec)
    return make_completion(settings, providers=w.providers, store=w.store, book=w.book, refresh=w.refresh)

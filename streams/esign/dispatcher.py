"""``esign.dispatch``: ``crm.commands`` with ``operation=request_signature`` → an envelope.

Sink processor (at-least-once; the provider call is a side effect). Idempotent by the
command's ``idempotency_key``: the envelope state written for each created envelope
(``esign.envelopes``, materialised at start and updated in memory at once) names the
key, so a redelivered command creates no second envelope.

Command fields used (as the mapper writes them): ``fields.title``, ``signer_name``,
``signer_email``, optional ``signer_auth`` (email, sms, phone, kba) and ``signer_phone``,
``crm`` (the CRM that gets the signed file), ``file_name``, and ``esign_plan`` (signers with
routing order and auth, pre-filled values, anchors: :mod:`streams.esign.request_plan`;
tabs placed by :mod:`connectors.esign.layout`); ``file`` = the original's claim
check; ``object``/``external_id_field``/``external_id`` = the CRM record to update later.
``target`` names the provider (``docusign``, ``acrobat-sign``, ``dropbox-sign``); a
provider with no credentials is replaced by the local SIMULATED provider.

Before creating, a provider that can search (DocuSign by custom field, Acrobat Sign by
external id) is asked for an envelope already made for the command: that covers a crash
after the provider call but before the state was recorded.

Provider errors: 429 → Backpressure(retry_after); 5xx/transport → Retryable (bounded,
then DLQ); any other refusal → DLQ with the vendor's error body.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from connectors.esign import EnvelopeRequest, EsignProvider, Recipient
from connectors.esign.layout import place_tabs
from connectors.esign.state import TOPIC as ENVELOPES, EnvelopeBook, initial_state
from connectors.objectstore import ObjectRef, ObjectStore
from inkstream.errors import EsignError, EsignRateLimited, EsignTransient
from streams.esign.request_plan import read_plan
from streams.runtime import Backpressure, Context, Emit, Processor, Retryable, SkipRecord
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["make_dispatcher", "factory", "envelope_request"]


def envelope_request(command: dict, pdf: bytes) -> EnvelopeRequest:
    fields = command.get("fields") or {}
    plan = read_plan(fields)
    tabs: tuple = ()
    if plan is not None:
        # Several signers, routing order and auth from the mapping; tabs from the layout.
        recipients = tuple(Recipient(name=s.get("name") or s["email"], email=s["email"], auth=s.get("auth") or "email",
                                     phone=s.get("phone"), routing_order=int(s.get("routing_order") or 1))
                           for s in plan["signers"])
        tabs = place_tabs(pdf, signer_anchors=[s.get("anchor") for s in plan["signers"]],
                          anchors=[str(a) for a in plan.get("anchors") or []],
                          prefill=[(str(p["label"]), str(p["value"]), str(p.get("anchor") or p["label"]))
                                   for p in plan.get("prefill") or []])
    else:
        email = fields.get("signer_email")
        if not email:
            raise EsignError("request_signature without fields.signer_email")
        recipients = (Recipient(name=fields.get("signer_name") or email, email=email,
                                auth=fields.get("signer_auth") or "email", phone=fields.get("signer_phone")),)
    return EnvelopeRequest(doc_id=command["doc_id"], idempotency_key=command["idempotency_key"],
                           title=fields.get("title") or f"Please sign {command['doc_id']}", pdf=pdf,
                           recipients=recipients, message=fields.get("body") or "",
                           file_name=fields.get("file_name") or f"{command['doc_id']}.pdf", tabs=tabs)


def make_dispatcher(settings, *, providers: Callable[[str], EsignProvider], store: ObjectStore,
                    book: EnvelopeBook, refresh: Callable[[], object] | None = None) -> Processor:
    def handle(command: dict, ctx: Context) -> Iterator[Emit]:
        if command.get("operation") != "request_signature":
            raise SkipRecord("not a signature request")
        key = command["idempotency_key"]
        if book.by_idempotency_key(key) is None and refresh is not None:
            refresh()
        existing = book.by_idempotency_key(key)
        if existing is not None:
            raise SkipRecord(f"envelope {existing['envelope_id']} already created for this command")
        if not command.get("file"):
            raise EsignError("request_signature without a file")
        request = envelope_request(command, store.get(ObjectRef.from_record(command["file"])))
        provider = providers(command.get("target") or settings.esign.provider)
        find = getattr(provider, "find_envelope", None)
        try:
            created = (find(request) if find is not None else None) or provider.create_envelope(request)
        except EsignRateLimited as exc:
            raise Backpressure(exc.retry_after, reason=f"{provider.name} rate limit") from exc
        except EsignTransient as exc:
            raise Retryable(str(exc)) from exc
        fields = command.get("fields") or {}
        state = initial_state(
            doc_id=command["doc_id"], provider=created.provider, envelope_id=created.envelope_id,
            trace=command["trace"], idempotency_key=key, crm_target=fields.get("crm") or settings.esign.crm_target,
            crm_object=command.get("object"), crm_external_id_field=command.get("external_id_field"),
            crm_external_id=command.get("external_id"), auth_method=request.recipients[0].auth)
        book.apply(state)  # at once: a redelivery in this process must see it before Kafka does
        yield Emit(ENVELOPES, state, key=created.envelope_id)

    return Processor(name="esign.dispatch", inputs=("crm.commands",), handle=handle, sink=True)


def factory(settings, *, codec: Codec) -> Processor:
    """``inkstream run esign.dispatch``: Kafka-materialised envelope state, S3, real or simulated providers."""
    from streams.esign.wiring import wire

    w = wire(settings, codec)
    return make_dispatcher(settings, providers=w.providers, store=w.store, book=w.book, refresh=w.refresh)

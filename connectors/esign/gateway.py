"""The webhook gateway: one endpoint per provider plus Standard Webhooks.

``create_app(settings, publisher=..., book=...)`` builds the FastAPI app;
``serve(settings, port)`` wires Kafka (transactional publisher, ``esign.envelopes``
materialised before the first request) and runs it (``inkstream run webhooks --port N``).
Runs behind a TLS-terminating proxy in production; binds 127.0.0.1 by default. Runs as N
instances behind any load balancer: all they share is Kafka (seen event ids and envelope
states on ``esign.envelopes``; :mod:`connectors.esign.intake`).

One ``POST`` route per registered provider (``EsignVendor.route``, connectors/esign/registry.py):
DocuSign ``/webhooks/docusign`` (Connect JSON, ``X-DocuSign-Signature-1..N``), Dropbox Sign
``/webhooks/dropbox-sign`` (multipart ``json`` part; replies ``Hello API Event Received``),
Acrobat Sign ``/webhooks/acrobat-sign`` (also ``GET``: ``X-AdobeSign-ClientId`` checked and
echoed), Standard Webhooks ``/webhooks/standard``; plus ``GET /metrics``, ``GET /healthz``.
Each provider's object verifies, parses and answers its own deliveries; the gateway
knows none by name.

Final events (completed, declined, voided, expired) are confirmed with the provider's API
first (:mod:`connectors.esign.confirm`): contradicted → 401 reason ``unconfirmed``;
provider unreachable → 503 + Retry-After (the vendor redelivers).

Unverified → 401 ``{"error": "unverified", "reason": ...}``, counted in
``inkstream_webhook_verification_failures_total{provider,reason}``, audited on
``webhooks.rejected``, nothing on ``esign.events``. A verified but unreadable body → 400
(also counted and audited, reason ``malformed``). Publishing failed → 503 (the vendor retries).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from connectors.crm.inbound import crm_router
from connectors.esign import EsignProvider
from connectors.esign.confirm import Confirmer, confirming_providers
from connectors.esign.events import ProviderEvent
from connectors.esign.intake import Intake
from connectors.esign.metrics import GatewayMetrics
from connectors.esign.publisher import Publisher
from connectors.esign.registry import ESIGN, SIMULATED, check_settings, esign_settings
from connectors.esign.state import EnvelopeBook
from connectors.esign.vendor import EsignVendor, Inbound, MalformedWebhook, json_object
from connectors.esign.verify import check_event_age
from inkstream.body_limit import BodyLimit
from inkstream.errors import ConnectorError, EsignError, WebhookVerificationError
from inkstream.errors import EsignRateLimited, EsignTransient  # provider look-ups (confirm.py)

__all__ = ["create_app", "serve", "webhook_keys"]

log = logging.getLogger(__name__)
_Malformed = MalformedWebhook
_json = json_object


def webhook_keys(settings, provider: str) -> list[str]:
    """The values that verify ``provider``'s webhooks (``EsignVendor.webhook_keys``)."""
    return ESIGN.get(provider).webhook_keys(esign_settings(settings, provider))


def create_app(settings, *, publisher: Publisher, book: EnvelopeBook, refresh: Callable[[], object] | None = None,
               registry: CollectorRegistry | None = None, clock: Callable[[], float] = time.time,
               providers: Callable[[str], EsignProvider | None] = lambda name: None) -> FastAPI:
    """``providers(name)``: the provider's API client that final events are confirmed with,
    None where no credentials are set (then only the simulation mode lets them through)."""
    check_settings(settings)
    registry = registry or CollectorRegistry()
    intake = Intake(publisher=publisher, book=book, metrics=GatewayMetrics.create(registry), refresh=refresh)
    confirmer = Confirmer(providers=providers, book=book, refresh=refresh,
                          simulation=settings.esign.provider == SIMULATED)
    hooks = _Webhooks(settings, intake, confirmer, clock)
    app = FastAPI(title="inkstream webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.intake, app.state.registry = intake, registry
    # Counted while reading, chunked or not (inkstream/body_limit.py): the endpoint is public.
    app.add_middleware(BodyLimit, limit=settings.esign.max_webhook_bytes, on_refuse=hooks.too_large)
    for vendor in ESIGN:
        app.add_api_route(vendor.route, hooks.endpoint(vendor), methods=["POST"])
        if vendor.challenge:
            app.add_api_route(vendor.route, hooks.challenge(vendor), methods=["GET"])
    app.include_router(crm_router(settings, publisher=publisher, reject=intake.reject, clock=clock))  # CRM-started (crm)

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz")
    async def healthz() -> dict:
        return {"status": "ok", "envelopes": len(book)}

    return app


class _Webhooks:
    """One method per endpoint; each verifies exactly as its vendor specifies, then hands
    the parsed event to :class:`Intake`."""

    def __init__(self, settings, intake: Intake, confirmer: Confirmer, clock: Callable[[], float]) -> None:
        self._settings, self._esign, self._intake, self._clock = settings, settings.esign, intake, clock
        self._confirmer = confirmer

    async def _handle(self, provider: str, request: Request, body: bytes, step, ok) -> Response:
        """``step()`` verifies and parses (raising to refuse); ``ok(outcome)`` builds the reply."""
        try:
            event: ProviderEvent = await step()
            check_event_age(provider, event.provider_time, now=self._clock(),
                            max_age_s=self._esign.max_event_age_s.get(provider, ESIGN.get(provider).max_event_age_s))
        except WebhookVerificationError as exc:
            return await self._refuse(provider, exc.reason, 401, request, body)
        except (MalformedWebhook, EsignError) as exc:
            log.info("malformed %s webhook: %s", provider, exc)
            return await self._refuse(provider, "malformed", 400, request, body)
        try:
            event = await run_in_threadpool(self._confirmer.confirm, event)
        except WebhookVerificationError as exc:
            log.warning("%s webhook not confirmed by the provider: %s", provider, exc)
            return await self._refuse(provider, exc.reason, 401, request, body)
        except EsignTransient as exc:
            log.warning("could not confirm a %s webhook with the provider: %s", provider, exc)
            wait = int(exc.retry_after) + 1 if isinstance(exc, EsignRateLimited) else 30
            return JSONResponse({"error": "unavailable", "reason": "provider_unreachable"}, status_code=503,
                                headers={"Retry-After": str(wait)})
        except EsignError as exc:  # the provider refused the look-up (404: no such envelope there)
            log.warning("%s webhook names an envelope the provider does not confirm: %s", provider, exc)
            return await self._refuse(provider, "unconfirmed", 401, request, body)
        try:
            outcome = await run_in_threadpool(self._intake.accept, event, body)
        except ConnectorError:
            log.exception("could not publish a %s webhook", provider)
            return JSONResponse({"error": "unavailable"}, status_code=503, headers={"Retry-After": "30"})
        return ok(outcome)

    async def _refuse(self, provider: str, reason: str, status: int, request: Request, body: bytes) -> Response:
        await run_in_threadpool(self._intake.reject, provider, reason, body=body, path=request.url.path,
                                remote_addr=request.client.host if request.client else None,
                                header_names=list(request.headers.keys()))
        error = {401: "unverified", 413: "too_large"}.get(status, "malformed")
        return JSONResponse({"error": error, "reason": reason}, status_code=status)

    async def too_large(self, scope) -> None:
        """BodyLimit refused a body: recorded like every other refusal."""
        request = Request(scope)
        path = request.url.path
        if path.startswith("/webhooks/"):
            # A provider's route names it; the CRM-started routes (connectors/crm/inbound.py) by their tail.
            provider = next((v.name for v in ESIGN if v.route == path), path.rsplit("/", 1)[-1].replace("-", "_"))
            await self._refuse(provider, "too_large", 413, request, b"")

    async def _inbound(self, vendor: EsignVendor, request: Request, body: bytes) -> Inbound:
        keys = vendor.webhook_keys(esign_settings(self._settings, vendor.name))
        return Inbound(request, body, keys, self._clock(), self._esign.replay_window_s)

    def endpoint(self, vendor: EsignVendor):
        """POST ``vendor.route``: the provider verifies and parses; the gateway does the rest."""
        async def receive(request: Request) -> Response:
            body = await request.body()
            inbound = await self._inbound(vendor, request, body)

            async def step() -> ProviderEvent:
                return vendor.parse(await vendor.verify(inbound), inbound)
            return await self._handle(vendor.name, request, body, step, lambda outcome: vendor.reply(outcome, inbound))
        receive.__name__ = f"{vendor.name}_webhook"
        return receive

    def challenge(self, vendor: EsignVendor):
        """GET ``vendor.route``: the provider's subscription check (Acrobat Sign's intent verification)."""
        async def answer(request: Request) -> Response:
            inbound = await self._inbound(vendor, request, b"")
            try:
                await vendor.verify(inbound)
            except WebhookVerificationError as exc:
                return await self._refuse(vendor.name, exc.reason, 401, request, b"")
            return vendor.reply(None, inbound)
        answer.__name__ = f"{vendor.name}_challenge"
        return answer


def serve(settings, *, port: int, host: str | None = None) -> None:
    """Materialise ``esign.envelopes``, then serve until SIGTERM/SIGINT."""
    import uvicorn

    from connectors.esign.publisher import KafkaPublisher
    from connectors.esign.state import KafkaEnvelopeReader
    from schemas.codec import Codec

    from inkstream.tls import uvicorn_tls_options

    from connectors.startable import require_startable

    require_startable(settings, "webhooks")  # shipped webhook keys: refused outside development
    tls = uvicorn_tls_options(settings.http)  # before Kafka: a bad TLS setting fails fast
    book = EnvelopeBook(max_seen=settings.esign.seen_ids_per_envelope)
    check_settings(settings)  # before Kafka: fail fast
    for vendor in ESIGN:  # e.g. a Standard Webhooks secret no library accepts
        vendor.check_settings(esign_settings(settings, vendor.name))
    codec = Codec.from_settings(settings)  # the gateway's one codec: reads envelopes, writes events
    reader = KafkaEnvelopeReader(settings, book, codec=codec)
    log.info("materialised %d envelope states from esign.envelopes", reader.catch_up(timeout_s=60))
    # Stable per host and port: a restarted gateway fences its own zombie, never a sibling.
    publisher = KafkaPublisher(settings, codec=codec, transactional_id=f"inkstream-webhooks-{settings.topics.prefix}"
                                                          f"{settings.instance.name}-{port}")
    app = create_app(settings, publisher=publisher, book=book, refresh=lambda: reader.catch_up(timeout_s=5),
                     providers=confirming_providers(settings))
    try:
        uvicorn.run(app, host=host or settings.http.host, port=port, log_level="info", **tls)
    finally:
        publisher.close()
        reader.close()

"""The webhook gateway: one endpoint per provider plus Standard Webhooks.

``create_app(settings, publisher=..., book=...)`` builds the FastAPI app;
``serve(settings, port)`` wires Kafka (transactional publisher, ``esign.envelopes``
materialised before the first request) and runs it (``inkstream run webhooks --port N``).
Runs behind a TLS-terminating proxy in production; binds 127.0.0.1 by default. Runs as N
instances behind any load balancer: all they share is Kafka (seen event ids and envelope
states on ``esign.envelopes``; :mod:`connectors.esign.intake`).

====================================  ==============================================
``POST /webhooks/docusign``           Connect JSON, ``X-DocuSign-Signature-1..N``
``POST /webhooks/dropbox-sign``       multipart ``json`` part; replies ``Hello API Event Received``
``GET|POST /webhooks/acrobat-sign``   ``X-AdobeSign-ClientId`` checked and echoed (header + JSON)
``POST /webhooks/standard``           Standard Webhooks v1
``GET /metrics``, ``GET /healthz``
====================================  ==============================================

Final events (completed, declined, voided, expired) are confirmed with the provider's API
first (:mod:`connectors.esign.confirm`): contradicted → 401 reason ``unconfirmed``;
provider unreachable → 503 + Retry-After (the vendor redelivers).

Unverified → 401 ``{"error": "unverified", "reason": ...}``, counted in
``inkstream_webhook_verification_failures_total{provider,reason}``, audited on
``webhooks.rejected``, nothing on ``esign.events``. A verified but unreadable body → 400
(also counted and audited, reason ``malformed``). Publishing failed → 503 (the vendor retries).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from connectors.crm.inbound import crm_router
from connectors.esign.events import (
    ProviderEvent, parse_acrobat_sign, parse_docusign, parse_dropbox_sign, parse_standard,
)
from connectors.esign.intake import Intake
from connectors.esign.metrics import GatewayMetrics
from connectors.esign import EsignProvider
from connectors.esign.confirm import Confirmer, confirming_providers
from connectors.esign.publisher import Publisher
from connectors.esign.state import EnvelopeBook
from connectors.esign.verify import (
    check_event_age, check_standard_secrets, verify_acrobat_client_id, verify_docusign, verify_dropbox_sign,
    verify_standard,
)
from inkstream.body_limit import BodyLimit
from inkstream.errors import ConnectorError, EsignError, WebhookVerificationError
from inkstream.errors import EsignRateLimited, EsignTransient  # provider look-ups (confirm.py)

__all__ = ["create_app", "serve", "webhook_keys", "DROPBOX_SIGN_REPLY"]

log = logging.getLogger(__name__)
DROPBOX_SIGN_REPLY = "Hello API Event Received"


def webhook_keys(settings, provider: str) -> list[str]:
    """The secrets that verify ``provider``'s webhooks (Dropbox Sign: the API key when set)."""
    section = getattr(settings.esign, provider)
    if provider == "dropbox_sign" and section.api_key is not None:
        return [section.api_key.get_secret_value()]
    return [k.get_secret_value() for k in section.webhook_keys]


class _Malformed(Exception):
    pass


def _json(data: bytes | str) -> dict:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Malformed("body is not JSON") from exc
    if not isinstance(value, dict):
        raise _Malformed("body is not a JSON object")
    return value


def create_app(settings, *, publisher: Publisher, book: EnvelopeBook, refresh: Callable[[], object] | None = None,
               registry: CollectorRegistry | None = None, clock: Callable[[], float] = time.time,
               providers: Callable[[str], EsignProvider | None] = lambda name: None) -> FastAPI:
    """``providers(name)``: the provider's API client that final events are confirmed with,
    None where no credentials are set (then only the simulation mode lets them through)."""
    registry = registry or CollectorRegistry()
    intake = Intake(publisher=publisher, book=book, metrics=GatewayMetrics.create(registry), refresh=refresh)
    confirmer = Confirmer(providers=providers, book=book, refresh=refresh,
                          simulation=settings.esign.provider == "simulated")
    hooks = _Webhooks(settings, intake, confirmer, clock)
    app = FastAPI(title="inkstream webhooks", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.intake, app.state.registry = intake, registry
    # Counted while reading, chunked or not (inkstream/body_limit.py): the endpoint is public.
    app.add_middleware(BodyLimit, limit=settings.esign.max_webhook_bytes, on_refuse=hooks.too_large)
    app.add_api_route("/webhooks/docusign", hooks.docusign, methods=["POST"])
    app.add_api_route("/webhooks/dropbox-sign", hooks.dropbox_sign, methods=["POST"])
    app.add_api_route("/webhooks/acrobat-sign", hooks.acrobat_verify, methods=["GET"])
    app.add_api_route("/webhooks/acrobat-sign", hooks.acrobat_sign, methods=["POST"])
    app.add_api_route("/webhooks/standard", hooks.standard, methods=["POST"])
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
                            max_age_s=self._esign.max_event_age_s.get(provider))
        except WebhookVerificationError as exc:
            return await self._refuse(provider, exc.reason, 401, request, body)
        except (_Malformed, EsignError) as exc:
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
        if request.url.path.startswith("/webhooks/"):
            provider = request.url.path.rsplit("/", 1)[-1].replace("-", "_")
            await self._refuse(provider, "too_large", 413, request, b"")

    async def docusign(self, request: Request) -> Response:
        body = await request.body()

        async def step() -> ProviderEvent:
            verify_docusign(body, request.headers, [k.encode() for k in webhook_keys(self._settings, "docusign")])
            return parse_docusign(_json(body))
        return await self._handle("docusign", request, body, step, lambda outcome: JSONResponse({"status": outcome}))

    async def dropbox_sign(self, request: Request) -> Response:
        body = await request.body()

        async def step() -> ProviderEvent:
            try:
                form = await request.form()
            except Exception as exc:  # python-multipart refuses a broken body
                raise _Malformed("body is not a form") from exc
            part = form.get("json")
            if part is None:
                raise WebhookVerificationError("no json part", provider="dropbox_sign", reason="missing_signature")
            payload = _json(part if isinstance(part, str) else await part.read())
            keys = [k.encode() for k in webhook_keys(self._settings, "dropbox_sign")]
            verify_dropbox_sign(payload.get("event") or {}, keys)
            return parse_dropbox_sign(payload)
        return await self._handle("dropbox_sign", request, body, step,
                                  lambda outcome: PlainTextResponse(DROPBOX_SIGN_REPLY))

    @staticmethod
    def _acrobat_echo(client_id: str, **extra) -> JSONResponse:
        return JSONResponse({"xAdobeSignClientId": client_id, **extra}, headers={"X-AdobeSign-ClientId": client_id})

    async def acrobat_verify(self, request: Request) -> Response:
        try:
            client_id = verify_acrobat_client_id(request.headers.get("x-adobesign-clientid"),
                                                 self._esign.acrobat_sign.client_ids)
        except WebhookVerificationError as exc:
            return await self._refuse("acrobat_sign", exc.reason, 401, request, b"")
        return self._acrobat_echo(client_id)

    async def acrobat_sign(self, request: Request) -> Response:
        body = await request.body()
        client_id = request.headers.get("x-adobesign-clientid") or ""

        async def step() -> ProviderEvent:
            verify_acrobat_client_id(client_id, self._esign.acrobat_sign.client_ids)
            return parse_acrobat_sign(_json(body))
        return await self._handle("acrobat_sign", request, body, step,
                                  lambda outcome: self._acrobat_echo(client_id, status=outcome))

    async def standard(self, request: Request) -> Response:
        body = await request.body()

        async def step() -> ProviderEvent:
            verify_standard(body, request.headers, webhook_keys(self._settings, "standard"), now=self._clock(),
                            tolerance_s=self._esign.replay_window_s)
            return parse_standard(_json(body), request.headers["webhook-id"])
        return await self._handle("standard", request, body, step, lambda outcome: JSONResponse({"status": outcome}))


def serve(settings, *, port: int, host: str | None = None) -> None:
    """Materialise ``esign.envelopes``, then serve until SIGTERM/SIGINT."""
    import uvicorn

    from connectors.esign.publisher import KafkaPublisher
    from connectors.esign.state import KafkaEnvelopeReader

    from inkstream.tls import uvicorn_tls_options

    from connectors.startable import require_startable

    require_startable(settings, "webhooks")  # shipped webhook keys: refused outside development
    tls = uvicorn_tls_options(settings.http)  # before Kafka: a bad TLS setting fails fast
    book = EnvelopeBook(max_seen=settings.esign.seen_ids_per_envelope)
    check_standard_secrets(webhook_keys(settings, "standard"))  # before Kafka: fail fast
    reader = KafkaEnvelopeReader(settings, book)
    log.info("materialised %d envelope states from esign.envelopes", reader.catch_up(timeout_s=60))
    # Stable per host and port: a restarted gateway fences its own zombie, never a sibling.
    publisher = KafkaPublisher(settings, transactional_id=f"inkstream-webhooks-{settings.topics.prefix}"
                                                          f"{settings.instance.name}-{port}")
    app = create_app(settings, publisher=publisher, book=book, refresh=lambda: reader.catch_up(timeout_s=5),
                     providers=confirming_providers(settings))
    try:
        uvicorn.run(app, host=host or settings.http.host, port=port, log_level="info", **tls)
    finally:
        publisher.close()
        reader.close()

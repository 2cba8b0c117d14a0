"""Processor ``webhooks.deliver``: sign and POST each job of ``webhooks.deliveries``.

Signing follows Standard Webhooks v1 (standardwebhooks.com, spec/standard-webhooks.md):
``webhook-id``, ``webhook-timestamp`` (seconds), ``webhook-signature: v1,<base64
HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`` with the secret's base64 part decoded.

Retries come from Kafka, not from a sleeping thread: a failed attempt (network error,
timeout, non-2xx) re-produces the job on ``webhooks.deliveries`` with ``attempt + 1`` and
``not_before = now + min(backoff_s * 2**(attempt-1), backoff_max_s)``; a job whose time has
not come pauses its partition (``Backpressure``). After ``max_attempts`` the job goes to
``webhooks.deliveries.dlq`` (schemas/dlq.avsc, the job's bytes kept). Every attempt is
one ``webhooks.log`` record. At-least-once (``sink=True``): a crash between the POST and
the commit sends the job again with the same ``webhook-id``, which receivers dedupe on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

from connectors.webhooks_out import WebhookError
from connectors.webhooks_out.subscriptions import Subscriptions, check_url, subscriptions_path
from schemas.records import envelope
from streams.runtime import Backpressure, Context, Emit, Processor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["sign", "deliverer", "factory", "backoff"]

_MAX_PAUSE_S = 30.0


def sign(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value for one message."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def backoff(cfg: Any, attempt: int) -> float:
    return min(cfg.backoff_s * 2 ** (attempt - 1), cfg.backoff_max_s)


def deliverer(subs: Subscriptions, client: Any, cfg: Any, codec: Any,
              now: Callable[[], float] = time.time) -> Callable[[dict, Context], Iterator[Emit]]:
    """``client``: an ``httpx.Client`` (tests pass one on a MockTransport or a live server)."""

    def log(job: dict, outcome: str, *, status: int | None = None, error: str | None = None,
            duration_ms: int = 0, host: str = "") -> Emit:
        record = {**envelope(job["doc_id"], producer="webhooks.deliver", trace=job.get("trace")),
                  "webhook_id": job["webhook_id"], "subscription_id": job["subscription_id"],
                  "event_type": job["event_type"], "attempt": job["attempt"], "outcome": outcome,
                  "status_code": status, "error": error, "duration_ms": duration_ms, "target_host": host}
        return Emit("webhooks.log", record, key=job["subscription_id"])

    def handle(job: dict, ctx: Context) -> Iterator[Emit]:
        sub = subs.get(job["subscription_id"])
        if sub is None:
            return iter([log(job, "dropped", error="subscription deleted")])
        wait = job["not_before"] / 1000 - now()
        if wait > 0:
            raise Backpressure(min(wait, _MAX_PAUSE_S), "webhook backoff")
        host = urlsplit(sub.url).hostname or ""
        stamp = int(now())
        headers = {"webhook-id": job["webhook_id"], "webhook-timestamp": str(stamp),
                   "webhook-signature": sign(sub.secret, job["webhook_id"], stamp, job["payload"]),
                   "content-type": "application/json", "user-agent": "inkstream-webhooks/1"}
        started = time.monotonic()
        status, error = None, None
        try:
            # Again at send time: a name that resolved to a public address when subscribed
            # may point inside now (DNS rebinding).
            check_url(sub.url, allow_http=cfg.allow_http, allow_private=cfg.allow_private)
            resp = client.post(sub.url, content=job["payload"].encode(), headers=headers,
                               timeout=cfg.timeout_s, follow_redirects=False)
            status = resp.status_code
        except WebhookError as exc:
            error = f"refused: {exc}"[:200]
        except Exception as exc:  # noqa: BLE001 - httpx.HTTPError and friends: the receiver is unreachable
            error = type(exc).__name__
        took = int((time.monotonic() - started) * 1000)
        if status is not None and 200 <= status < 300:
            return iter([log(job, "delivered", status=status, duration_ms=took, host=host)])
        error = error or f"HTTP {status}"
        if job["attempt"] >= cfg.max_attempts:
            dead = {"event_id": str(uuid.uuid4()), "occurred_at": int(now() * 1000), "processor": ctx.processor,
                    "topic": ctx.topic, "partition": ctx.partition, "offset": ctx.offset,
                    "key": job["doc_id"].encode(), "value": codec.encode("webhooks.deliveries", job),
                    "error_type": "DeliveryFailed", "error": f"{error} after {job['attempt']} attempts",
                    "attempts": job["attempt"]}
            return iter([log(job, "dead", status=status, error=error, duration_ms=took, host=host),
                         Emit("webhooks.deliveries.dlq", dead, key=job["doc_id"])])
        again = {**job, "attempt": job["attempt"] + 1,
                 "not_before": int((now() + backoff(cfg, job["attempt"])) * 1000)}
        return iter([log(job, "retry", status=status, error=error, duration_ms=took, host=host),
                     Emit("webhooks.deliveries", again)])

    return handle


def factory(settings, *, codec: Codec) -> Processor:
    import httpx

    client = httpx.Client(timeout=settings.webhooks_out.timeout_s)
    handle = deliverer(Subscriptions(subscriptions_path(settings)), client, settings.webhooks_out, codec)
    return Processor(name="webhooks.deliver", inputs=("webhooks.deliveries",), handle=handle, sink=True,
                     max_attempts=1)

"""Outbound webhooks for integrators (issue 14 item 4), signed per Standard Webhooks v1.

- ``subscriptions``  per-API-key subscriptions (URL, event types, a ``whsec_`` secret) in a
                     0600 JSON file; the ``/v1/webhooks`` routes (``routes``) manage them.
- ``events``         processor ``webhooks.fanout``: pipeline records → events → one job per
                     matching subscription on ``webhooks.deliveries`` (exactly-once).
- ``deliver``        processor ``webhooks.deliver``: signs and POSTs each job; a failure is
                     re-produced on ``webhooks.deliveries`` with ``attempt + 1`` and a
                     backoff ``not_before``; after ``webhooks_out.max_attempts`` the job
                     goes to ``webhooks.deliveries.dlq``; every attempt is one
                     ``webhooks.log`` record (ClickHouse ``webhook_deliveries``).

Errors: ``WebhookError(ConnectorError)``; ``DeliveryFailed`` marks a job that ran out of tries.
"""

from inkstream.errors import ConnectorError

__all__ = ["WebhookError", "DeliveryFailed", "EVENT_TYPES"]

EVENT_TYPES = ("document.ingested", "document.read", "document.needs_review", "document.accepted",
               "crm.synced", "esign.completed", "document.failed")


class WebhookError(ConnectorError):
    """A subscription request or a delivery that cannot be done as asked."""


class DeliveryFailed(WebhookError):
    """A job that ran out of attempts: the runtime routes it to ``webhooks.deliveries.dlq``."""

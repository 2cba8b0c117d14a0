"""Outbound webhooks for integrators (issue 14 item 4), signed per Standard Webhooks v1.

- ``subscriptions``  per-API-key subscriptions (URL, event types, a ``whsec_`` secret) in a
                     0600 JSON file; the ``/v1/webhooks`` routes (``routes``) manage them.
- the processors that fan records out and deliver them are ``streams.webhooks``
  (``fanout``, ``deliver``): they run on the stream runtime, a layer above connectors.

Errors: ``WebhookError(ConnectorError)``; ``DeliveryFailed`` marks a job that ran out of tries.
"""

from inkstream.errors import DeliveryFailed  # noqa: F401 - defined in the one error tree
from inkstream.errors import WebhookError  # noqa: F401 - defined in the one error tree

__all__ = ["WebhookError", "DeliveryFailed", "EVENT_TYPES"]

EVENT_TYPES = ("document.ingested", "document.read", "document.needs_review", "document.accepted",
               "crm.synced", "esign.completed", "document.failed")



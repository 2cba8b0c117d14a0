"""Gateway metrics, built on a registry passed in (no module-level collectors).
Labels are provider, reason, event type and outcome: never a doc id, e-mail or IP."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

__all__ = ["GatewayMetrics"]


@dataclass(frozen=True)
class GatewayMetrics:
    verification_failures: Counter
    events: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> "GatewayMetrics":
        return cls(
            verification_failures=Counter(
                "inkstream_webhook_verification_failures", "Webhook requests refused (401), by reason",
                ["provider", "reason"], registry=registry),
            events=Counter(
                "inkstream_webhook_events", "Verified webhook events by outcome "
                "(produced, duplicate, unmatched, ignored)", ["provider", "event_type", "outcome"], registry=registry),
        )

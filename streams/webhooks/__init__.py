"""The outbound-webhook processors; subscriptions, routes and signing are
``connectors.webhooks_out``.

- ``fanout``   processor ``webhooks.fanout``: pipeline records → events → one job per
               matching subscription on ``webhooks.deliveries`` (exactly-once).
- ``deliver``  processor ``webhooks.deliver``: signs and POSTs each job; a failure is
               re-produced on ``webhooks.deliveries`` with ``attempt + 1`` and a backoff
               ``not_before``; after ``webhooks_out.max_attempts`` the job goes to
               ``webhooks.deliveries.dlq``; every attempt is one ``webhooks.log`` record
               (ClickHouse ``webhook_deliveries``).
"""

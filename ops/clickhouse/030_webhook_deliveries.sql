-- Outbound webhook delivery log (connectors/webhooks_out): one row per attempt, from
-- webhooks.log. No body, no secret, no URL path: the receiver's host only.
CREATE TABLE IF NOT EXISTS webhook_deliveries
(
    event_id        String,
    doc_id          String,
    occurred_at     DateTime64(3, 'UTC'),
    webhook_id      String,
    subscription_id String,
    event_type      LowCardinality(String),
    attempt         UInt32,
    outcome         LowCardinality(String),
    status_code     Nullable(Int32),
    error           Nullable(String),
    duration_ms     Int64,
    target_host     String
)
ENGINE = ReplacingMergeTree
ORDER BY (subscription_id, webhook_id, event_id);

-- The audit trail: one row per Kafka record the audit sink consumed, on every topic.
-- Append-only and hash-chained per chain (the doc_id, or "~<topic>" for records without
-- one): hash = sha256(prev_hash || "\n" || canonical JSON of the row's other columns),
-- see streams/audit/chain.py. Plain MergeTree on purpose: a duplicated or deleted row must
-- stay visible to `inkstream audit verify`, never be merged away. The sink checks event_id
-- before chaining, so a redelivered record never becomes a second link.
CREATE TABLE IF NOT EXISTS audit_events
(
    doc_id          String,
    seq             UInt64,
    event_id        String,
    topic           LowCardinality(String),
    partition       Int32,
    offset          Int64,
    occurred_at     DateTime64(3, 'UTC'),
    producer        LowCardinality(String),
    payload         String,
    payload_sha256  String,
    prev_hash       String,
    hash            String,
    recorded_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (doc_id, seq);

-- Latest link per chain, written in the same flush as the links: lets verify notice a
-- chain whose last rows (or all rows) were deleted, which the links alone cannot show.
CREATE TABLE IF NOT EXISTS audit_chain_heads
(
    doc_id      String,
    seq         UInt64,
    hash        String,
    updated_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY doc_id;

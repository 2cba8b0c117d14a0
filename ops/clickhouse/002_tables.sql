-- Analytics tables, one row per source event (or per field). ReplacingMergeTree keyed on
-- event_id: a redelivered record is inserted again and collapses into the first; the
-- views read with FINAL so an unmerged duplicate never counts twice.

CREATE TABLE IF NOT EXISTS documents
(
    doc_id          String,
    event_id        String,
    ingested_at     DateTime64(3, 'UTC'),
    source          LowCardinality(String),
    source_ref      Nullable(String),
    filename        String,
    bucket          String,
    object_key      String,
    version_id      Nullable(String),
    sha256          String,
    size_bytes      Int64,
    content_type    LowCardinality(String),
    duplicate_of    Nullable(String),
    priority        LowCardinality(String),
    crm_ref         Nullable(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

CREATE TABLE IF NOT EXISTS ocr_quality
(
    doc_id              String,
    event_id            String,
    occurred_at         DateTime64(3, 'UTC'),
    source              LowCardinality(String),
    engine              LowCardinality(String),
    engine_version      String,
    device              LowCardinality(String),
    pages               UInt32,
    text_layer_pages    UInt32,
    lines               UInt32,
    low_confidence_lines UInt32,
    mean_confidence     Float64,
    min_confidence      Float64,
    duration_ms         Int64
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

-- One row per fields.validated event (automatic decision or a reviewer's).
CREATE TABLE IF NOT EXISTS extractions
(
    doc_id              String,
    event_id            String,
    occurred_at         DateTime64(3, 'UTC'),
    source              LowCardinality(String),
    doc_type            LowCardinality(String),
    status              LowCardinality(String),
    extractor_version   String,
    reviewer            Nullable(String),
    decision            Nullable(String),
    changes             UInt32
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

CREATE TABLE IF NOT EXISTS fields
(
    doc_id          String,
    event_id        String,
    name            String,
    occurred_at     DateTime64(3, 'UTC'),
    source          LowCardinality(String),
    doc_type        LowCardinality(String),
    doc_status      LowCardinality(String),
    value           Nullable(String),
    normalized      Nullable(String),
    confidence      Float64,
    status          LowCardinality(String),
    page            Nullable(Int32)
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id, name);

CREATE TABLE IF NOT EXISTS signatures
(
    doc_id              String,
    event_id            String,
    occurred_at         DateTime64(3, 'UTC'),
    provider            LowCardinality(String),
    envelope_id         String,
    event_type          LowCardinality(String),
    provider_event      String,
    provider_event_id   String,
    provider_time       Nullable(DateTime64(3, 'UTC')),
    signer_name         Nullable(String),
    signer_email        Nullable(String),
    signer_ip           Nullable(String),
    signer_user_agent   Nullable(String),
    signer_auth_method  Nullable(String),
    signed_at           Nullable(DateTime64(3, 'UTC')),
    signed_bucket       Nullable(String),
    signed_key          Nullable(String),
    signed_version_id   Nullable(String),
    signed_sha256       Nullable(String),
    payload_sha256      String
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

-- What happened to CRM commands: queued (crm.commands), failed (crm.commands.dlq, with
-- the vendor's error). The runtime's documents.status "failed" record for the same
-- failure is not counted again.
CREATE TABLE IF NOT EXISTS crm_syncs
(
    doc_id          String,
    event_id        String,
    occurred_at     DateTime64(3, 'UTC'),
    outcome         LowCardinality(String),
    target          LowCardinality(String),
    operation       LowCardinality(String),
    object          String,
    idempotency_key String,
    mapping_version String,
    error_type      Nullable(String),
    error           Nullable(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

-- HTTP requests the CRM connectors would have sent in dry-run mode (topic crm.dryrun).
CREATE TABLE IF NOT EXISTS crm_dryrun
(
    doc_id              String,
    event_id            String,
    occurred_at         DateTime64(3, 'UTC'),
    command_event_id    String,
    crm                 LowCardinality(String),
    operation           LowCardinality(String),
    object              String,
    sequence            Int32,
    method              LowCardinality(String),
    url                 String,
    headers             String,
    body                Nullable(String),
    body_sha256         Nullable(String),
    idempotency_key     String,
    mapping_version     String
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

CREATE TABLE IF NOT EXISTS dlq_events
(
    event_id        String,
    doc_id          String,
    occurred_at     DateTime64(3, 'UTC'),
    dlq_topic       LowCardinality(String),
    processor       LowCardinality(String),
    source_topic    LowCardinality(String),
    source_partition Int32,
    source_offset   Int64,
    error_type      LowCardinality(String),
    error           String,
    attempts        Int32,
    value_size      Int64,
    value_sha256    String
)
ENGINE = ReplacingMergeTree
ORDER BY (dlq_topic, event_id);

-- Webhook requests the gateway refused (topic webhooks.rejected): never a secret, a
-- signature value or the body, only their digest and the header names.
CREATE TABLE IF NOT EXISTS webhook_rejections
(
    event_id        String,
    occurred_at     DateTime64(3, 'UTC'),
    provider        LowCardinality(String),
    reason          LowCardinality(String),
    path            String,
    remote_addr     Nullable(String),
    payload_sha256  String,
    size_bytes      Int64,
    header_names    Array(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (provider, event_id);

-- Administrative actions (topic admin.actions): who did what to which key or user.
-- Opaque ids only (key ids, user names, email-sha256:...), never a secret or an e-mail.
CREATE TABLE IF NOT EXISTS admin_actions
(
    event_id        String,
    occurred_at     DateTime64(3, 'UTC'),
    actor           String,
    action          LowCardinality(String),
    target          String,
    detail          String,
    producer        LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (action, event_id);

-- Every state change of every document (documents.status is compacted in Kafka; here
-- the whole history stays).
CREATE TABLE IF NOT EXISTS status_changes
(
    doc_id          String,
    event_id        String,
    occurred_at     DateTime64(3, 'UTC'),
    stage           LowCardinality(String),
    status          LowCardinality(String),
    detail          Nullable(String),
    producer        LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

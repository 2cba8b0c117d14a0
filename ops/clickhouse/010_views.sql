-- Views a finance analyst queries directly (`inkstream query "SELECT * FROM v_..."`).
-- They read the tables with FINAL so a redelivered record never counts twice.

-- The decision that stands for each document: the latest fields.validated event
-- (a reviewer's decision comes after the automatic one), and the first (automatic) one.
CREATE OR REPLACE VIEW v_document_decisions AS
SELECT
    doc_id,
    argMin(status, (occurred_at, event_id))     AS first_status,
    argMax(status, (occurred_at, event_id))     AS final_status,
    argMax(event_id, (occurred_at, event_id))   AS final_event_id,
    argMax(doc_type, (occurred_at, event_id))   AS doc_type,
    argMax(source, (occurred_at, event_id))     AS source,
    max(occurred_at)                            AS decided_at
FROM extractions FINAL
GROUP BY doc_id;

-- Contract value and count by month of ingestion, capture source and currency, over
-- contracts whose standing decision is accepted (automatically) or approved (review).
CREATE OR REPLACE VIEW v_contract_value_by_month AS
SELECT
    toStartOfMonth(d.first_ingested_at)                          AS month,
    dd.source                                              AS source,
    a.currency                                             AS currency,
    count()                                                AS contracts,
    sum(toDecimal128OrZero(a.amount, 2))                   AS total_value
FROM v_document_decisions AS dd
INNER JOIN
(
    SELECT doc_id, event_id,
           ifNull(anyIf(normalized, name = 'total_amount'), '') AS amount,
           ifNull(anyIf(normalized, name = 'currency'), '')     AS currency
    FROM fields FINAL
    GROUP BY doc_id, event_id
) AS a ON a.doc_id = dd.doc_id AND a.event_id = dd.final_event_id
INNER JOIN
(
    SELECT doc_id, min(ingested_at) AS first_ingested_at FROM documents FINAL GROUP BY doc_id
) AS d ON d.doc_id = dd.doc_id
WHERE dd.doc_type = 'contract' AND dd.final_status IN ('accepted', 'approved')
GROUP BY month, source, currency
ORDER BY month, source, currency;

-- Per signed document: seconds from ingestion to the completed signature.
CREATE OR REPLACE VIEW v_ingest_to_signature AS
SELECT
    d.doc_id                                                        AS doc_id,
    d.first_source                                                  AS source,
    d.first_ingested_at                                             AS ingested_at,
    s.first_completed_at                                            AS completed_at,
    (toUnixTimestamp64Milli(s.first_completed_at) - toUnixTimestamp64Milli(d.first_ingested_at)) / 1000.0 AS seconds
FROM
(
    SELECT doc_id, min(ingested_at) AS first_ingested_at, argMin(source, ingested_at) AS first_source
    FROM documents FINAL GROUP BY doc_id
) AS d
INNER JOIN
(
    SELECT doc_id, min(ifNull(provider_time, occurred_at)) AS first_completed_at
    FROM signatures FINAL WHERE event_type = 'completed' GROUP BY doc_id
) AS s ON s.doc_id = d.doc_id;

-- p50/p90 of that time by source, interpolated between ranks (like PERCENTILE.INC);
-- the row with source = '' is every source together.
CREATE OR REPLACE VIEW v_time_to_signature AS
SELECT
    source,
    count()                           AS documents,
    quantileExactInclusive(0.5)(seconds) AS p50_seconds,
    quantileExactInclusive(0.9)(seconds) AS p90_seconds
FROM v_ingest_to_signature
GROUP BY source WITH ROLLUP
ORDER BY source;

-- Review rate (first, automatic decision was "review") and reject rate (standing decision
-- is "rejected", automatically or by a reviewer) by source and document type.
CREATE OR REPLACE VIEW v_review_reject_rates AS
SELECT
    source,
    doc_type,
    count()                                          AS documents,
    countIf(first_status = 'review')                 AS reviewed,
    countIf(final_status = 'rejected')               AS rejected,
    round(countIf(first_status = 'review') / count(), 4)   AS review_rate,
    round(countIf(final_status = 'rejected') / count(), 4) AS reject_rate
FROM v_document_decisions
GROUP BY source, doc_type
ORDER BY source, doc_type;

-- CRM sync failures by day, target, operation and error type.
CREATE OR REPLACE VIEW v_crm_sync_failures AS
SELECT
    toDate(occurred_at)                   AS day,
    target,
    operation,
    ifNull(error_type, '')                AS error_type,
    count()                               AS failures,
    uniqExact(doc_id)                     AS documents,
    argMax(ifNull(error, ''), occurred_at) AS last_error
FROM crm_syncs FINAL
WHERE outcome = 'failed'
GROUP BY day, target, operation, error_type
ORDER BY day, target, operation, error_type;

-- Dead letters by topic and reason, for the on-call engineer.
CREATE OR REPLACE VIEW v_dlq_summary AS
SELECT
    dlq_topic, processor, error_type,
    count()           AS records,
    max(occurred_at)  AS last_seen,
    argMax(error, occurred_at) AS last_error
FROM dlq_events FINAL
GROUP BY dlq_topic, processor, error_type
ORDER BY records DESC;

-- OCR quality by day, engine and device: what the models read and how sure they were.
CREATE OR REPLACE VIEW v_ocr_quality AS
SELECT
    toDate(occurred_at)                                        AS day,
    engine,
    device,
    count()                                                    AS documents,
    sum(pages)                                                 AS pages,
    sum(text_layer_pages)                                      AS text_layer_pages,
    round(sum(mean_confidence * lines) / nullIf(sum(lines), 0), 4) AS mean_line_confidence,
    round(sum(low_confidence_lines) / nullIf(sum(lines), 0), 4)    AS low_confidence_share,
    quantileExactInclusive(0.5)(duration_ms)                   AS p50_ms_per_document
FROM ocr_quality FINAL
GROUP BY day, engine, device
ORDER BY day, engine, device;

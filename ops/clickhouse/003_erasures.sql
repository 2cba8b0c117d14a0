-- Data-subject erasures the audit sink has applied (topic privacy.erasures): one row per
-- erasure record, written after the document's personal columns and earlier audit
-- payloads were blanked (streams/audit/erasure.py). `inkstream subject erase` polls it to
-- know its request is done; the sink reads it to blank later records of erased documents.
-- Opaque ids only: the request id stands for the subject, never an e-mail.
CREATE TABLE IF NOT EXISTS erasures
(
    doc_id          String,
    event_id        String,
    request_id      String,
    erased_at       DateTime64(3, 'UTC'),
    rows_blanked    UInt64,
    applied_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (doc_id, event_id);

-- Views behind the finance dashboard (ops/grafana/dashboards/finance/finance.json), read
-- by analysts' tools over the ClickHouse HTTP interface (streams/audit/clickhouse_http.py).

-- The supplier of each document, from its standing decision's fields: an e-invoice's
-- seller when extracted, else a contract's counterparty; '(unknown)' when neither was read.
CREATE OR REPLACE VIEW v_document_supplier AS
SELECT
    dd.doc_id                                                          AS doc_id,
    dd.doc_type                                                        AS doc_type,
    dd.source                                                          AS source,
    dd.first_status                                                    AS first_status,
    dd.final_status                                                    AS final_status,
    if(f.supplier = '', '(unknown)', f.supplier)                       AS supplier
FROM v_document_decisions AS dd
LEFT JOIN
(
    SELECT doc_id, event_id,
           coalesce(nullIf(ifNull(anyIf(normalized, name IN ('supplier', 'seller', 'seller_name', 'vendor')), ''), ''),
                    ifNull(anyIf(normalized, name = 'counterparty'), ''))  AS supplier
    FROM fields FINAL
    GROUP BY doc_id, event_id
) AS f ON f.doc_id = dd.doc_id AND f.event_id = dd.final_event_id;

-- Straight-through rate by supplier: the share of documents accepted automatically (no
-- review, no rejection); review_rate: the share whose automatic decision was "review".
CREATE OR REPLACE VIEW v_straight_through_by_supplier AS
SELECT
    supplier,
    count()                                                                    AS documents,
    countIf(first_status = 'accepted' AND final_status = 'accepted')           AS straight_through,
    round(countIf(first_status = 'accepted' AND final_status = 'accepted') / count(), 4) AS straight_through_rate,
    round(countIf(first_status = 'review') / count(), 4)                       AS review_rate
FROM v_document_supplier
GROUP BY supplier
ORDER BY documents DESC, supplier;

"""Retention per document type: Kafka topic retention, ClickHouse TTLs and S3 expiry,
applied by ``inkstream retention apply`` and compared with the servers by
``inkstream retention report`` (``app.commands.retention``)."""

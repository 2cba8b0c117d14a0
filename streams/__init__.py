"""The processors and their shared runtime (consume, produce, DLQ, metrics)."""

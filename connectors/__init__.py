"""Everything that talks to the world outside Kafka: capture, object store, CRM, e-sign."""

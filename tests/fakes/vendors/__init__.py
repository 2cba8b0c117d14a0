"""Test-only vendors: each one module holding one vendor object (and the in-memory API it
talks to), registered by a test through the public registry API. They prove that adding a
vendor is one module plus one registry line (connectors/crm/README.md, connectors/esign/README.md)."""

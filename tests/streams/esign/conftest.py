"""Fixtures for the e-sign processor tests (harness in esign_flow_harness.py)."""

from esign_flow_harness import docusign, original, store  # noqa: F401  (pytest fixtures)

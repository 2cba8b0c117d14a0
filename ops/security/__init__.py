"""Supply-chain checks run by CI (``python -m ops.security.lock_check``)."""

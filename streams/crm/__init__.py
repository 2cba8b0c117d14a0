"""The CRM sink: ``crm.commands`` -> the configured CRM (or the dry run)."""

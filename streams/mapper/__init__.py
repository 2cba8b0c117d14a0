"""The map processor: approved ``fields.validated`` records -> ``crm.commands``."""

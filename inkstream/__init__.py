"""inkstream: scanned and e-mailed contracts and invoices to CRM records and signed agreements."""

__version__ = "0.1.0"
__all__ = ["__version__"]

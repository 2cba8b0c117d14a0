"""Every runnable processor: ``name -> "module:factory"``, ``factory(settings) -> Processor``.

``inkstream run <name>`` imports the factory only when asked, so a processor with heavy
dependencies (OCR models) costs nothing to the others. Add one line per processor.
"""

from __future__ import annotations

import importlib

from inkstream.errors import ConfigError

__all__ = ["PROCESSORS", "load_processor"]

PROCESSORS: dict[str, str] = {
    "audit": "streams.audit.processor:factory",
    "passthrough": "streams.runtime.examples:passthrough",
    "ocr": "streams.ocr.processor:factory",  # lanes per ocr.lane (default: both)
    "ocr.priority": "streams.ocr.processor:priority_factory",  # documents.ingested.priority only
    "ocr.bulk": "streams.ocr.processor:bulk_factory",  # documents.ingested only
    "extract": "streams.extract.processor:factory",
    "extract-memory": "streams.extract.memory:learner",  # reviewers' decisions -> extract.memory
    "map": "streams.mapper.processor:factory",
    "crm": "streams.crm.processor:factory",
    "esign.dispatch": "streams.esign.dispatcher:factory",  # request_signature -> envelope
    "esign.complete": "streams.esign.completion:factory",  # completed -> signed PDF stored, CRM commands
    "webhooks.fanout": "streams.webhooks.fanout:factory",  # pipeline records -> webhook jobs
    "webhooks.deliver": "streams.webhooks.deliver:factory",  # signed POSTs, retries, DLQ
}


def load_processor(name: str, settings):
    """Build processor ``name`` for ``settings``; ConfigError names the known ones."""
    try:
        target = PROCESSORS[name]
    except KeyError:
        raise ConfigError(f"unknown processor {name!r}; known: {', '.join(sorted(PROCESSORS))}") from None
    module_name, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory(settings)

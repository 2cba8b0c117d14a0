"""Every runnable processor: ``name -> "module:factory"``, ``factory(settings) -> Processor``,
or ``factory(settings, *, codec) -> Processor`` for a processor that reads or writes records
besides its inputs and outputs (it gets the worker's one codec: one key store per process).

``inkstream run <name>`` imports the factory only when asked, so a processor with heavy
dependencies (OCR models) costs nothing to the others. Add one line per processor.
"""

from __future__ import annotations

import importlib
import inspect

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


def load_processor(name: str, settings, codec):
    """Build processor ``name`` for ``settings`` (with ``codec`` when its factory takes one);
    ConfigError names the known ones."""
    try:
        target = PROCESSORS[name]
    except KeyError:
        raise ConfigError(f"unknown processor {name!r}; known: {', '.join(sorted(PROCESSORS))}") from None
    module_name, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    if "codec" in inspect.signature(factory).parameters:
        return factory(settings, codec=codec)
    return factory(settings)

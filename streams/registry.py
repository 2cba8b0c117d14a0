"""Every production processor: ``name -> "module:factory"``, ``factory(settings) -> Processor``
(or ``factory(settings, *, codec) -> Processor`` for a processor that reads or writes records
besides its inputs and outputs: it gets the worker's one codec, one key store per process),
and ``PIPELINE``, the processes one deployment runs: ``docker-compose.yml``, its Prometheus
config and ``inkstream demo`` are built from or checked against it
(``tests/ops/test_process_list.py``).

``inkstream run <name>`` imports the factory only when asked, so a processor with heavy
dependencies (OCR models) costs nothing to the others. Add one line per processor, and its
name to ``PIPELINE`` if a deployment runs it.
"""

from __future__ import annotations

import importlib
import inspect

from inkstream.errors import ConfigError

__all__ = ["PROCESSORS", "PIPELINE", "EXAMPLES", "runnable", "load_processor"]

PROCESSORS: dict[str, str] = {
    "audit": "streams.audit.processor:factory",
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


# What a deployment runs, one process (group) each. Not here: the single-lane variants of
# ocr (ocr.priority, ocr.bulk: run instead of ocr to give each lane its own workers).
PIPELINE: tuple[str, ...] = (
    "ocr", "extract", "map", "crm", "esign.dispatch", "esign.complete", "audit",
    "webhooks.fanout", "webhooks.deliver", "extract-memory",
)

# Examples for tests and benchmarks, runnable by name only with ``environment: development``.
EXAMPLES: dict[str, str] = {
    "passthrough": "streams.runtime.examples:passthrough",  # documents.ingested -> .priority, unchanged
}


def runnable(settings) -> dict[str, str]:
    """The processors ``settings`` may run: the examples too in development."""
    return {**PROCESSORS, **EXAMPLES} if settings.environment == "development" else PROCESSORS


def load_processor(name: str, settings, codec):
    """Build processor ``name`` for ``settings`` (with ``codec`` when its factory takes one);
    ConfigError names the known ones."""
    known = runnable(settings)
    try:
        target = known[name]
    except KeyError:
        raise ConfigError(f"unknown processor {name!r}; known: {', '.join(sorted(known))}") from None
    module_name, _, attr = target.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    if "codec" in inspect.signature(factory).parameters:
        return factory(settings, codec=codec)
    return factory(settings)

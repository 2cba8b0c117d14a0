"""``inkstream run map``: accepted or approved ``fields.validated`` -> ``crm.commands``.

Kafka->Kafka, so exactly-once: the commands of one document are produced in the same
transaction as the consumed offset (and the ``mapped`` status). Records that are not
accepted/approved are skipped; a record the mapping cannot render (a required field
missing, a value not in a picklist) raises MappingError and goes to the DLQ with why.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from connectors.crm.mapping import Mapping, load_mapping
from inkstream.settings import Settings
from streams.mapper.plan import plan_commands
from streams.runtime import Context, Emit, Processor, SkipRecord

__all__ = ["factory", "make_handler", "mapping_path", "ACTIONABLE"]

ACTIONABLE = frozenset({"accepted", "approved"})
MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "mappings"


def mapping_path(settings: Settings) -> Path:
    return settings.crm.mapping_file or MAPPINGS_DIR / f"{settings.crm.crm}.yaml"


def make_handler(mapping: Mapping, *, esign_provider: str):
    def handle(record: dict, ctx: Context) -> Iterator[Emit]:
        if record.get("status") not in ACTIONABLE:
            raise SkipRecord(f"status {record.get('status')!r} is not accepted/approved")
        commands = plan_commands(record, mapping, esign_provider=esign_provider)
        if not commands:  # counted and visible as skipped, never a silent drop
            raise SkipRecord(f"mapping {mapping.version} writes nothing for doc_type {record.get('doc_type')!r}")
        for command in commands:
            yield Emit("crm.commands", command)
    return handle


def factory(settings: Settings) -> Processor:
    # Loading here, not per record: a broken mapping stops the processor at start with
    # every problem listed, instead of sending each document to the DLQ.
    mapping = load_mapping(mapping_path(settings))
    return Processor(name="map", inputs=("fields.validated",), stage="mapped",
                     handle=make_handler(mapping, esign_provider=settings.crm.esign_provider),
                     version=mapping.version)

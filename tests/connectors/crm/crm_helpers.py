"""Helpers shared by the connector tests: planned commands and their attachment."""

from __future__ import annotations

import hashlib
from pathlib import Path

from connectors.crm import Attachment
from connectors.crm.mapping import load_mapping
from fakes.crm_records import validated_contract
from streams.mapper.plan import plan_commands

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def planned(crm: str, doc_id: str = "doc-1", **overrides) -> list[dict]:
    """The CRM commands the mapper makes for a contract (request_signature left out)."""
    record = validated_contract(doc_id, **overrides)
    cmds = plan_commands(record, load_mapping(MAPPINGS / f"{crm}.yaml"), esign_provider="docusign")
    return [c for c in cmds if c["operation"] != "request_signature"]


def attachment_for(command: dict, data: bytes = PDF) -> Attachment | None:
    if command["operation"] != "attach_file":
        return None
    return Attachment(data=data, file_name=command["fields"]["file_name"], content_type="application/pdf",
                      sha256=hashlib.sha256(data).hexdigest())


def apply_all(connector, commands: list[dict]) -> list:
    return [connector.apply(c, attachment_for(c)) for c in commands]

"""The ``crm.commands`` operations and the one dispatch every connector's ``apply`` uses,
so the operation names, the "attach_file needs file bytes" rule and the refusal of an
unknown operation are the same for every CRM."""

from __future__ import annotations

from collections.abc import Callable

from connectors.crm import ApplyResult, Attachment
from inkstream.errors import CrmPermanentError

__all__ = ["OPERATIONS", "dispatch"]

OPERATIONS = ("upsert", "update_signature_status", "attach_file", "timeline_event")


def dispatch(crm: str, command: dict, attachment: Attachment | None, *,
             upsert: Callable[[dict], ApplyResult],
             attach: Callable[[dict, Attachment], ApplyResult],
             timeline: Callable[[dict], ApplyResult]) -> ApplyResult:
    """Run ``command`` through the connector's handler for its operation. A signature status
    is an upsert of the status fields; anything unknown is a permanent error (DLQ)."""
    op = command["operation"]
    if op in ("upsert", "update_signature_status"):
        return upsert(command)
    if op == "attach_file":
        if attachment is None:
            raise CrmPermanentError("attach_file without file bytes")
        return attach(command, attachment)
    if op == "timeline_event":
        return timeline(command)
    raise CrmPermanentError(f"{crm} cannot apply operation {op!r}")

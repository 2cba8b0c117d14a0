"""The record lane of ``inkstream run crm`` (``streams/crm/processor.py``): apply each
``crm.commands`` record through the configured CRM connector.

A sink (``sink=True``): **at-least-once** — offsets are committed after ``handle``
returns, so after a crash a command can be applied again; connectors are idempotent on
the command's external id / idempotency key, so the replay changes nothing.

- Commands for another target (``request_signature`` for the e-sign provider, another
  CRM) are skipped.
- ``depends_on``: commands of one document arrive in order on one partition; a command
  whose dependency failed permanently here is refused (to the DLQ) instead of creating
  an orphan (a file on a deal that was never written).
- ``NeedsReview`` (connectors/crm/matching.py: several records fit, or none and the mapping
  says ``on_miss: review``) -> a ``documents.status`` stage ``review``, status
  ``needs_match``; nothing is written and the document's later commands wait with it.
- ``CrmRateLimited`` -> ``Backpressure(retry_after)``: the runtime pauses the partition.
- ``CrmPermanentError``/``CrmAuthError`` -> DLQ with the vendor's error body;
  other ``CrmError`` (5xx storm, network) -> ``Retryable`` (bounded, then DLQ).
- Lanes (``crm.lane``): ``record`` (default) applies each command as it comes, for the
  latency of single documents; ``bulk`` (streams/crm/batch.py) collects a checkpoint's
  commands and writes their upserts with the vendors' batch APIs (Bulk API 2.0, HubSpot and
  Zoho batch upserts), for backlogs.
- Outcome: a ``documents.status`` record (stage ``crm``, status created/updated/unchanged,
  detail: operation, object, CRM id) per applied command; in dry-run mode one
  ``crm.dryrun`` record per HTTP request that would have been sent (the runtime then
  writes the ``crm``/``done`` status).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterator

from connectors.crm import ApplyResult, Attachment, CrmConnector
from connectors.crm.matching import NeedsReview
from connectors.crm.metrics import CrmMetrics
from connectors.objectstore import ObjectRef
from inkstream.errors import CrmAuthError, CrmError, CrmPermanentError, CrmRateLimited, ObjectStoreError
from schemas.records import envelope
from streams.runtime import Backpressure, Context, Emit, Retryable, SkipRecord

__all__ = ["CrmSink", "status_emit"]

_MAX_FAILED = 10_000


def status_emit(command: dict, result: ApplyResult) -> Emit:
    """The ``documents.status`` (stage ``crm``) of an applied command, on either lane."""
    detail = f"{command['operation']} {command['object']} {result.crm_id or ''} {result.detail}".strip()
    return Emit("documents.status", {**envelope(command["doc_id"], producer="crm", trace=command.get("trace")),
                                     "stage": "crm", "status": result.status, "detail": detail[:500]})


class CrmSink:
    def __init__(self, connector: CrmConnector, fetch: Callable[[ObjectRef], bytes], *,
                 metrics: CrmMetrics | None = None) -> None:
        self.connector, self.fetch, self.metrics = connector, fetch, metrics
        # Idempotency keys that failed permanently (bounded; oldest forgotten first).
        self.failed: OrderedDict[str, None] = OrderedDict()
        # Keys routed to review (no single CRM record fits); their dependents wait too.
        self.held: OrderedDict[str, None] = OrderedDict()

    def handle(self, command: dict, ctx: Context) -> Iterator[Emit]:
        if not self._mine(command.get("target")):
            raise SkipRecord(f"target {command.get('target')!r} is not {self.connector.name}")
        if not command.get("external_id_field") or not command.get("external_id"):
            self._fail(command)
            raise CrmPermanentError(f"{command['operation']} {command['object']}: the command names no external id")
        waiting = [k for k in command.get("depends_on", []) if k in self.held]
        if waiting:  # its record is waiting for a person to pick it: so is this command
            yield from self._review(command, f"waits for {waiting[0][:12]}, held for review")
            return
        blocked = [k for k in command.get("depends_on", []) if k in self.failed]
        if blocked:
            self._fail(command)
            raise CrmPermanentError(f"{command['operation']} {command['object']}: dependency {blocked[0][:12]} failed")
        attachment = self._attachment(command)
        try:
            result = self.connector.apply(command, attachment)
        except CrmRateLimited as exc:
            if self.metrics is not None:  # the partition pause is a rate-limit wait too
                self.metrics.waited(self.connector.name, exc.retry_after)
            raise Backpressure(exc.retry_after, reason=str(exc)) from exc
        except NeedsReview as exc:
            # A tie or a miss the mapping will not create: never a duplicate, a person decides.
            yield from self._review(command, str(exc))
            return
        except (CrmPermanentError, CrmAuthError) as exc:
            self._fail(command)
            # The DLQ keeps str(exc): put the vendor's (secret-free) answer in it.
            raise type(exc)(f"{exc}; vendor said: {exc.body}", status=exc.status, body=exc.body) from exc
        except CrmError as exc:
            raise Retryable(f"{exc} (status {exc.status})") from exc
        recordings = list(self._recordings(command))
        if recordings:
            # Dry run: the recordings are the outcome; the runtime adds the crm/done status.
            yield from recordings
            return
        yield status_emit(command, result)

    def _review(self, command: dict, why: str) -> Iterator[Emit]:
        self.held[command["idempotency_key"]] = None
        while len(self.held) > _MAX_FAILED:
            self.held.popitem(last=False)
        if self.metrics is not None:
            self.metrics.routed_to_review(self.connector.name, command["object"])
        yield Emit("documents.status", {**envelope(command["doc_id"], producer="crm", trace=command.get("trace")),
                                        "stage": "review", "status": "needs_match",
                                        "detail": f"{command['operation']} {command['object']}: {why}"[:500]})

    def _mine(self, target: str | None) -> bool:
        # "dryrun" is a valid target (schemas/crm.commands.avsc): the dry run takes it.
        return target == self.connector.name or (target == "dryrun" and getattr(self.connector, "dry_run", False))

    def _fail(self, command: dict) -> None:
        self.failed[command["idempotency_key"]] = None
        while len(self.failed) > _MAX_FAILED:
            self.failed.popitem(last=False)

    def _attachment(self, command: dict) -> Attachment | None:
        if not command.get("file") or command["operation"] != "attach_file":
            return None
        too_big = getattr(self.connector, "too_big", None)
        if too_big is not None and too_big(command):
            return None  # the connector links the object-store copy instead (Zoho's size limit)
        ref = ObjectRef.from_record(command["file"])
        try:
            data = self.fetch(ref)
        except ObjectStoreError as exc:  # S3 unreachable is worth retrying; bounded, then DLQ
            raise Retryable(f"cannot read {ref.key} from the object store: {exc}") from exc
        digest = hashlib.sha256(data).hexdigest()
        if digest != ref.sha256:
            self._fail(command)
            raise CrmPermanentError(f"object {ref.key} has sha256 {digest[:12]}, the claim check says {ref.sha256[:12]}")
        name = (command.get("fields") or {}).get("file_name") or ref.key.rsplit("/", 1)[-1]
        return Attachment(data=data, file_name=name, content_type=ref.content_type, sha256=digest)

    def _recordings(self, command: dict) -> Iterator[Emit]:
        take = getattr(self.connector, "take", None)
        if take is None:
            return
        for i, req in enumerate(take()):
            yield Emit("crm.dryrun", {
                **envelope(command["doc_id"], producer="crm", trace=command.get("trace")),
                "command_event_id": command["event_id"], "idempotency_key": command["idempotency_key"],
                "mapping_version": command["mapping_version"], "crm": self.connector.name,
                "operation": command["operation"], "object": command["object"], "sequence": i,
                "method": req.method, "url": req.url, "headers": req.headers, "body": req.body,
                "body_sha256": req.body_sha256})

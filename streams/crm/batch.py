"""The bulk lane of ``inkstream run crm`` (``crm.lane: bulk``): a BatchSink that collects a
checkpoint's commands and writes their upserts with the vendors' batch APIs at flush.

- ``upsert`` commands go through ``connectors.crm.batching.apply_upserts``: Salesforce Bulk
  API 2.0 ingest jobs from ``crm.bulk_min_rows`` rows, sObject Collections below; HubSpot
  ``batch/upsert`` (≤100); Zoho multi-record ``upsert`` (≤100). The mapper's per-document
  order (accounts before the contacts and deals linking to them) becomes object order.
- Per row: success -> the same ``documents.status`` (stage ``crm``) as the record path; a row
  the vendor refused -> ``Refused`` (the runtime writes the DLQ record with the vendor's
  reason and a ``failed`` status); a tie or miss -> review (``needs_match``), as the record
  path does. The document's later commands see those outcomes (``depends_on``).
- Everything else (``attach_file``, ``timeline_event``, ``update_signature_status``, an upsert
  waiting on a held or failed dependency, the dry run) runs after the upserts through the
  record path (``CrmSink.handle``), in the order consumed.
- A whole-batch failure (rate limit, 5xx left after the connector's retries) raises: the
  runtime repeats the batch from the committed offsets. Upserts are idempotent by external id,
  uploads look up their idempotency key, so the repeat changes nothing already written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from connectors.crm import ApplyResult
from connectors.crm.batching import apply_upserts
from connectors.crm.matching import NeedsReview
from connectors.crm.salesforce_bulk import BULK_MIN_ROWS
from inkstream.errors import CrmAuthError, CrmPermanentError, CrmRateLimited
from streams.crm.sink import CrmSink, status_emit
from streams.runtime import Backpressure, Context, Emit, Refused, Retryable, SkipRecord

__all__ = ["CrmBatchSink"]

log = logging.getLogger("inkstream.crm")

_MAX_RATE_WAIT_S = 30.0  # longest a flush waits out one 429
_MAX_RATE_WAITS = 5       # 429s waited out for one command before the whole batch repeats


class CrmBatchSink:
    def __init__(self, sink: CrmSink, *, bulk_min_rows: int = BULK_MIN_ROWS, max_attempts: int = 3,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.sink, self.bulk_min_rows, self.max_attempts, self.sleep = sink, bulk_min_rows, max_attempts, sleep
        # Added since the last flush, by position: a record read again after a rewind replaces itself.
        self.pending: dict[tuple[str, int, int], tuple[dict, Context]] = {}

    @property
    def connector(self):
        return self.sink.connector

    def add(self, command: dict, ctx: Context) -> None:
        if not self.sink._mine(command.get("target")):
            raise SkipRecord(f"target {command.get('target')!r} is not {self.connector.name}")
        self.pending[(ctx.topic, ctx.partition, ctx.offset)] = (command, ctx)

    def flush(self) -> list[Emit | Refused]:
        batch, self.pending = list(self.pending.values()), {}
        out: list[Emit | Refused] = []
        upserts = [(c, ctx) for c, ctx in batch if self._batchable(c)]
        written = {id(c) for c, _ in upserts}
        if upserts:
            out += self._upserts(upserts)
        for command, ctx in batch:
            if id(command) not in written:
                out += self._one(command, ctx)
        return out

    def _batchable(self, c: dict) -> bool:
        deps = c.get("depends_on") or []
        return (c["operation"] == "upsert" and bool(c.get("external_id_field")) and bool(c.get("external_id"))
                and not getattr(self.connector, "dry_run", False)
                and not any(k in self.sink.held or k in self.sink.failed for k in deps))

    def _upserts(self, upserts: list[tuple[dict, Context]]) -> list[Emit | Refused]:
        try:
            results = apply_upserts(self.connector, [c for c, _ in upserts], bulk_min_rows=self.bulk_min_rows)
        except CrmRateLimited as exc:  # the whole batch waits and repeats; nothing is lost
            if self.sink.metrics is not None:
                self.sink.metrics.waited(self.connector.name, exc.retry_after)
            self.sleep(min(exc.retry_after, _MAX_RATE_WAIT_S))
            raise
        except (CrmPermanentError, CrmAuthError) as exc:
            # A whole request refused (e.g. one bad input fails a HubSpot batch): the record
            # path finds which command it was and writes the rest.
            log.warning("%s: batch write refused (%s); applying the batch one record at a time",
                        self.connector.name, exc)
            return [item for c, ctx in upserts for item in self._one(c, ctx)]
        out: list[Emit | Refused] = []
        for command, ctx in upserts:
            result = results.get(command["idempotency_key"])
            if isinstance(result, ApplyResult):
                out.append(status_emit(command, result))
            elif isinstance(result, NeedsReview):
                out += self.sink._review(command, str(result))
            elif isinstance(result, (CrmPermanentError, CrmAuthError)):
                self.sink._fail(command)
                out.append(Refused(ctx, type(result)(f"{command['operation']} {command['object']}: {result}; "
                                                    f"vendor said: {result.body}",
                                                    status=result.status, body=result.body)))
            else:  # a transient error, or no result at all: the record path decides
                out += self._one(command, ctx)
        return out

    def _one(self, command: dict, ctx: Context) -> list[Emit | Refused]:
        """The record path, with the runtime's bounded retries; failures become Refused. A
        rate limit here is waited out for this command (the batch's upserts are written
        already: repeating them would spend the quota again), a few times, then the batch repeats."""
        attempt, waits = 1, 0
        while True:
            try:
                return list(self.sink.handle(command, ctx))
            except SkipRecord:
                return []
            except Backpressure as exc:
                waits += 1
                if waits > _MAX_RATE_WAITS:
                    raise
                self.sleep(min(exc.retry_after, _MAX_RATE_WAIT_S))
            except Retryable as exc:
                if attempt >= self.max_attempts:
                    return [Refused(ctx, exc)]
                self.sleep(min(2.0 ** (attempt - 1), 30.0))
                attempt += 1
            except Exception as exc:  # noqa: BLE001 - a refused command goes to the DLQ with its reason
                return [Refused(ctx, exc)]

"""Salesforce batch writes: Bulk API 2.0 ingest jobs for a backlog, sObject Collections for
small batches.

Follows the Salesforce "Bulk API 2.0 and Bulk API Developer Guide" (ingest jobs):
``POST /jobs/ingest`` (object, externalIdFieldName, contentType CSV, operation
upsert/update, lineEnding LF) -> ``PUT /jobs/ingest/{id}/batches`` (``text/csv``, relationship
columns as ``Account.Inkstream_Key__c``) -> ``PATCH /jobs/ingest/{id}`` state
``UploadComplete`` -> poll ``GET /jobs/ingest/{id}`` until ``JobComplete``/``Failed``/
``Aborted`` -> ``GET .../successfulResults/`` (``sf__Id``, ``sf__Created``) and
``.../failedResults/`` (``sf__Id``, ``sf__Error``); and the REST API Developer Guide,
"sObject Collections": ``PATCH /composite/sobjects/{Obj}/{ExtIdField}`` (upsert, ≤200
records, ``allOrNone: false``, per-record ``id``/``success``/``created``/``errors``).
One job costs five calls plus its polls, whatever the number of rows (≤ 150 MB of CSV):
that is what spares the daily API quota.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inkstream.errors import CrmError, CrmPermanentError

__all__ = ["BulkRow", "RowResult", "SalesforceBatch", "COLLECTION_MAX", "BULK_MIN_ROWS"]

COLLECTION_MAX = 200          # sObject Collections: records per request
BULK_MIN_ROWS = 2000          # Salesforce's advice: Bulk API above about 2,000 records
_CSV_MAX_BYTES = 100 * 1024 * 1024  # under the 150 MB per upload limit (base64 overhead)
_NULL = "#N/A"                # Bulk API CSV: sets a field to null


@dataclass(frozen=True)
class BulkRow:
    """One record: its key (``key``, the external id or, for ``update``, the Id), fields,
    and relationships by the parent's external id ({"Account": ("Inkstream_Key__c", "acme")})."""

    ref: str                                  # the caller's handle (a command's idempotency key)
    key: str
    fields: dict[str, Any]
    relationships: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class RowResult:
    ref: str
    ok: bool
    crm_id: str | None
    created: bool = False
    error: str = ""


def _cell(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class SalesforceBatch:
    """Writes many records of one object in few calls; ``http`` is the connector's VendorHttp."""

    def __init__(self, http, base: Callable[[], str], *, sleep: Callable[[float], None] = time.sleep,
                 poll_s: float = 2.0, max_poll_s: float = 600.0) -> None:
        self.http, self._base, self._sleep, self.poll_s, self.max_poll_s = http, base, sleep, poll_s, max_poll_s

    def write(self, obj: str, key_field: str, rows: list[BulkRow], *, operation: str = "upsert",
              bulk_min_rows: int = BULK_MIN_ROWS) -> list[RowResult]:
        if not rows:
            return []
        if len(rows) >= bulk_min_rows:
            return self.bulk(obj, key_field, rows, operation=operation)
        out: list[RowResult] = []
        for start in range(0, len(rows), COLLECTION_MAX):
            out += self.collection(obj, key_field, rows[start:start + COLLECTION_MAX], operation=operation)
        return out

    # --- sObject Collections --------------------------------------------------------------

    def collection(self, obj: str, key_field: str, rows: list[BulkRow], *, operation: str) -> list[RowResult]:
        records = []
        for row in rows:
            record: dict[str, Any] = {"attributes": {"type": obj}, **row.fields, key_field: row.key}
            for rel, (field, value) in row.relationships.items():
                record[rel] = {field: value}
            records.append(record)
        body = {"allOrNone": False, "records": records}
        url = (f"{self._base()}/composite/sobjects/{obj}/{key_field}" if operation == "upsert"
               else f"{self._base()}/composite/sobjects")
        resp = self.http.request("PATCH", url, json=body, headers={"Content-Type": "application/json"})
        results = resp.json()
        if len(results) != len(rows):
            raise CrmError(f"sObject Collections answered {len(results)} results for {len(rows)} records")
        return [RowResult(row.ref, bool(r.get("success")), r.get("id"), bool(r.get("created")),
                          "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in r.get("errors") or []))
                for row, r in zip(rows, results)]

    # --- Bulk API 2.0 -----------------------------------------------------------------------

    def bulk(self, obj: str, key_field: str, rows: list[BulkRow], *, operation: str = "upsert") -> list[RowResult]:
        out: list[RowResult] = []
        for chunk in self._chunks(obj, key_field, rows):
            out += self._job(obj, key_field, chunk, operation)
        return out

    def _columns(self, key_field: str, rows: list[BulkRow]) -> list[str]:
        names: dict[str, None] = {key_field: None}
        for row in rows:
            names.update(dict.fromkeys(row.fields))
            names.update(dict.fromkeys(f"{rel}.{field}" for rel, (field, _) in row.relationships.items()))
        return list(names)

    def _csv(self, key_field: str, rows: list[BulkRow]) -> str:
        columns = self._columns(key_field, rows)
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            values = {key_field: row.key, **row.fields,
                      **{f"{rel}.{field}": value for rel, (field, value) in row.relationships.items()}}
            writer.writerow([_cell(values.get(c)) if c in values else "" for c in columns])
        return buf.getvalue()

    def _chunks(self, obj: str, key_field: str, rows: list[BulkRow]) -> list[list[BulkRow]]:
        # One job per upload under the size limit; a normal backlog is one job.
        chunks: list[list[BulkRow]] = []
        current: list[BulkRow] = []
        size = 0
        for row in rows:
            row_size = len(self._csv(key_field, [row]).encode())
            if current and size + row_size > _CSV_MAX_BYTES:
                chunks.append(current)
                current, size = [], 0
            current.append(row)
            size += row_size
        if current:
            chunks.append(current)
        return chunks

    def _job(self, obj: str, key_field: str, rows: list[BulkRow], operation: str) -> list[RowResult]:
        base = f"{self._base()}/jobs/ingest"
        spec = {"object": obj, "contentType": "CSV", "operation": operation, "lineEnding": "LF"}
        if operation == "upsert":
            spec["externalIdFieldName"] = key_field
        job = self.http.request("POST", f"{base}/", json=spec, headers={"Content-Type": "application/json"},
                                idempotent=False).json()
        job_id = job["id"]
        self.http.request("PUT", f"{base}/{job_id}/batches", content=self._csv(key_field, rows).encode(),
                          headers={"Content-Type": "text/csv"}, idempotent=False)
        self.http.request("PATCH", f"{base}/{job_id}/", json={"state": "UploadComplete"},
                          headers={"Content-Type": "application/json"})
        state = self._wait(f"{base}/{job_id}/")
        if state["state"] != "JobComplete":
            raise CrmPermanentError(f"bulk job {job_id} {state['state']}: {state.get('errorMessage') or ''}",
                                    body=str(state)[:4000])
        return self._results(f"{base}/{job_id}", key_field, rows)

    def _wait(self, url: str) -> dict:
        waited = 0.0
        while True:
            state = self.http.request("GET", url).json()
            if state["state"] in ("JobComplete", "Failed", "Aborted"):
                return state
            if waited >= self.max_poll_s:
                raise CrmError(f"bulk job still {state['state']} after {waited:.0f}s")
            self._sleep(self.poll_s)
            waited += self.poll_s

    def _results(self, url: str, key_field: str, rows: list[BulkRow]) -> list[RowResult]:
        by_key = {row.key: row for row in rows}
        out: dict[str, RowResult] = {}
        for kind in ("successfulResults", "failedResults"):
            text = self.http.request("GET", f"{url}/{kind}/").text
            for rec in csv.DictReader(io.StringIO(text)):
                row = by_key.get(rec.get(key_field) or rec.get("Id") or "")
                if row is None:
                    continue
                out[row.ref] = RowResult(row.ref, kind == "successfulResults", rec.get("sf__Id") or None,
                                         rec.get("sf__Created") == "true", rec.get("sf__Error") or "")
        # A row in neither file was not processed (the job's unprocessedrecords): retry it.
        return [out.get(row.ref) or RowResult(row.ref, False, None, error="unprocessed") for row in rows]

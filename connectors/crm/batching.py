"""Many documents' upserts in few API calls: the bulk lane of the CRM sink.

``apply_upserts(connector, commands)`` takes ``upsert`` commands of many documents (in the
mapper's dependency order: accounts before the contacts and deals that link to them) and
writes each object's records together:

- Salesforce: a Bulk API 2.0 ingest job from ``BULK_MIN_ROWS`` records, sObject Collections
  (≤200 a call) below that (connectors/crm/salesforce_bulk.py). Deals with matching rules
  are resolved in *waves*: one SOQL query for the open deals of every account in the wave,
  at most one document per account per wave (the next one of the same customer then sees
  the deal the first one created or updated), ties to review;
- HubSpot: ``batch/upsert`` with up to 100 inputs; Zoho: ``upsert`` with up to 100 records.
  Their deal rules and crm_refs go through the one-record path (``connector.apply``).

The result per command (by idempotency key) is an ApplyResult, or the exception the
one-record path would have raised (NeedsReview, CrmPermanentError), so the caller routes
each the same way the sink does.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from connectors.crm import ApplyResult
from connectors.crm.matching import ACCOUNT_OBJECT, DEAL_RULES, NeedsReview, is_record_id, pick_open_deal
from connectors.crm.signature import split_fields
from connectors.crm.salesforce_bulk import BULK_MIN_ROWS, BulkRow, SalesforceBatch
from inkstream.errors import CrmError, CrmPermanentError

__all__ = ["apply_upserts", "HUBSPOT_BATCH_MAX", "ZOHO_BATCH_MAX"]

HUBSPOT_BATCH_MAX = 100   # HubSpot CRM v3 batch endpoints: inputs per request
ZOHO_BATCH_MAX = 100      # Zoho "Upsert Records": records per request
_IN_CHUNK = 200           # ids per SOQL IN (...): keeps the GET URL under its 16 KB limit

Outcome = ApplyResult | CrmError


def _groups(commands: list[dict]) -> OrderedDict[tuple[str, str], list[dict]]:
    groups: OrderedDict[tuple[str, str], list[dict]] = OrderedDict()
    for c in commands:
        if c["operation"] not in ("upsert", "update_signature_status"):
            raise CrmPermanentError(f"the bulk lane writes upserts, not {c['operation']}")
        groups.setdefault((c["object"], c["external_id_field"]), []).append(c)
    return groups


def _outcome(r) -> Outcome:
    if r.ok:
        return ApplyResult("created" if r.created else "updated", r.crm_id)
    return CrmPermanentError(f"bulk write failed: {r.error}", body=r.error[:4000])


def apply_upserts(connector, commands: list[dict], *, bulk_min_rows: int = BULK_MIN_ROWS) -> dict[str, Outcome]:
    if connector.name == "salesforce":
        return _SalesforceLane(connector, bulk_min_rows).run(commands)
    return _chunked(connector, commands)


# --- Salesforce -----------------------------------------------------------------------------

def _sql_list(values: list[str]) -> str:
    from connectors.crm.salesforce import soql_literal
    return "(" + ", ".join(soql_literal(v) for v in values) + ")"


class _SalesforceLane:
    def __init__(self, connector, bulk_min_rows: int) -> None:
        self.sf, self.bulk_min_rows = connector, bulk_min_rows
        self.batch = SalesforceBatch(connector.http, lambda: connector.base, sleep=connector.http._sleep)

    @staticmethod
    def _row(c: dict, key: str | None = None) -> BulkRow:
        field = c["external_id_field"]
        return BulkRow(ref=c["idempotency_key"], key=key or c["external_id"],
                       fields={k: v for k, v in split_fields(c.get("fields"))[0].items() if k != field},
                       relationships={link["relationship"]: (link["external_id_field"], link["external_id"])
                                      for link in c.get("links", []) if link.get("relationship")})

    def _write(self, obj: str, field: str, rows: list[BulkRow], operation: str = "upsert") -> dict[str, Outcome]:
        # One row per key (a job refuses a key twice); every command of that key shares its outcome.
        last: dict[str, BulkRow] = {}
        refs: dict[str, list[str]] = {}
        for row in rows:
            last[row.key] = row
            refs.setdefault(row.key, []).append(row.ref)
        written = self.batch.write(obj, field, list(last.values()), operation=operation,
                                   bulk_min_rows=self.bulk_min_rows)
        return {ref: _outcome(r) for r, row in zip(written, last.values()) for ref in refs[row.key]}

    def run(self, commands: list[dict]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for (obj, field), group in _groups(commands).items():
            by_id = [c for c in group if is_record_id("salesforce", field)]
            ruled = [c for c in group if c not in by_id and set(DEAL_RULES) & set(c.get("match") or {})
                     and "account_id" in c["match"] and obj != ACCOUNT_OBJECT["salesforce"]]
            plain = [c for c in group if c not in by_id and c not in ruled]
            if plain:
                out.update(self._write(obj, field, [self._row(c) for c in plain]))
            if by_id:  # crm_refs: an update by Id
                out.update(self._write(obj, "Id", [self._row(c) for c in by_id], operation="update"))
            if ruled:
                out.update(self._waves(obj, field, ruled))
        return out

    def _waves(self, obj: str, field: str, commands: list[dict]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        pending = list(commands)
        while pending:
            wave: list[dict[str, Any]] = []
            later: list[dict[str, Any]] = []
            seen: set[str] = set()
            for c in pending:
                (later if c["match"]["account_id"] in seen else wave).append(c)
                seen.add(c["match"]["account_id"])
            accounts = self._account_ids(wave)
            deals = self._open_deals(obj, sorted(set(accounts.values())))
            # Documents whose own deal exists already (a replay) upsert onto it by their key.
            keyed = self._keyed(obj, field, [c["external_id"] for c in wave])
            creates: list[dict[str, Any]] = []
            updates: list[tuple[dict[str, Any], str]] = []
            for c in wave:
                account = accounts.get(c["match"]["account_id"])
                if account is None:
                    out[c["idempotency_key"]] = CrmPermanentError(f"account {c['match']['account_id']!r} not found")
                    continue
                if c["external_id"] in keyed:
                    creates.append(c)
                    continue
                try:
                    target = pick_open_deal(f"open {obj} of the account", deals.get(account, []), c["match"])
                except NeedsReview as exc:
                    out[c["idempotency_key"]] = exc
                    continue
                if target:
                    updates.append((c, target))
                else:
                    creates.append(c)
            if creates:
                out.update(self._write(obj, field, [self._row(c) for c in creates]))
            if updates:
                written = self._write(obj, "Id", [self._row(c, key=t) for c, t in updates], operation="update")
                for c, target in updates:
                    result = written[c["idempotency_key"]]
                    out[c["idempotency_key"]] = (ApplyResult("updated", target, "matched")
                                                 if isinstance(result, ApplyResult) else result)
            pending = later
        return out

    def _query_in(self, soql: str, values: list[str]) -> list[dict]:
        rows: list[dict] = []
        for start in range(0, len(values), _IN_CHUNK):
            rows += self.sf.query(soql.format(ids=_sql_list(values[start:start + _IN_CHUNK])))
        return rows

    def _account_ids(self, wave: list[dict]) -> dict[str, str]:
        first = wave[0]["match"]
        obj, field = first["account_object"], first["account_id_field"]
        keys = sorted({c["match"]["account_id"] for c in wave})
        return {r[field]: r["Id"] for r in self._query_in(f"SELECT Id, {field} FROM {obj} WHERE {field} IN {{ids}}", keys)}

    def _open_deals(self, obj: str, account_ids: list[str]) -> dict[str, list[tuple[str, Any, Any]]]:
        deals: dict[str, list[tuple[str, Any, Any]]] = {}
        for r in self._query_in(f"SELECT Id, Name, Amount, AccountId FROM {obj} WHERE IsClosed = false "
                                f"AND AccountId IN {{ids}}", account_ids):
            deals.setdefault(r["AccountId"], []).append((r["Id"], r.get("Name"), r.get("Amount")))
        return deals

    def _keyed(self, obj: str, field: str, keys: list[str]) -> set[str]:
        return {r[field] for r in self._query_in(f"SELECT Id, {field} FROM {obj} WHERE {field} IN {{ids}}", keys)}


# --- HubSpot, Zoho --------------------------------------------------------------------------

def _chunked(connector, commands: list[dict]) -> dict[str, Outcome]:
    out: dict[str, Outcome] = {}
    size = HUBSPOT_BATCH_MAX if connector.name == "hubspot" else ZOHO_BATCH_MAX
    for (obj, field), group in _groups(commands).items():
        single = [c for c in group if is_record_id(connector.name, field) or "account_id" in (c.get("match") or {})
                  or (connector.name == "hubspot" and obj == "companies" and c.get("match"))]
        batched = [c for c in group if c not in single]
        for start in range(0, len(batched), size):
            chunk = batched[start:start + size]
            try:
                out.update(connector.upsert_many(chunk))
            except CrmPermanentError:
                # One bad input fails a HubSpot batch as a whole (400): the one-record path
                # writes the others and names the one the vendor refuses.
                single = chunk + single
        for c in single:  # matching needs lookups per record: the one-record path
            try:
                out[c["idempotency_key"]] = connector.apply(c)
            except CrmError as exc:
                out[c["idempotency_key"]] = exc
    return out

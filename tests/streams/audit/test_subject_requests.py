"""Data-subject requests against real parts: chDB (the audit store, fed by the real sink),
the S3 server of the stack (versioned bucket) and real destroyable document keys.

The erasure records go through the real audit sink in-process (``flush`` runs it), so the
whole erase path runs here without Kafka; tests/e2e/test_subject_erasure.py runs it with
every process of the pipeline."""

from __future__ import annotations

import hashlib
import json
import stat
import uuid

import audit_samples as s
import pytest

from connectors.objectstore.s3 import S3ObjectStore
from inkstream.crypto import DocumentKeys, KeyDestroyed, LocalKeyRing
from schemas.codec import Codec
from streams.audit.query import _Direct
from streams.audit.sink import AuditSink
from streams.audit.verify import read_chain, verify
from streams.privacy.erase import erase_subject
from streams.privacy.export import export_subject
from streams.privacy.subject import find_documents, normalize_email
from streams.runtime import Processor
from streams.runtime.testing import run_processor

pytestmark = pytest.mark.stack  # the S3 server of the local stack

EMAIL = "ana.lopez@example.com"
NAME = "Ana Lopez"


def _sink(store, records) -> None:
    sink = AuditSink(lambda: store, decode=Codec().decode)
    run = run_processor(Processor(name="audit", inputs=("x",), batch_sink=sink, batch_max_records=50), records)
    assert run.dead == []


def _field(name: str, value: str) -> dict:
    return {"name": name, "value": value, "normalized": value.strip().lower() if "@" in value else value,
            "confidence": 0.9, "status": "accept", "page": 1, "box": None, "reason": None}


def _document(s3, doc_id: str, *, email: str | None = None, sender: str | None = None, signer: str | None = None,
              data: bytes | None = None, duplicate_of: str | None = None) -> tuple[list, dict]:
    """Records of one document whose original (two versions) and signed PDF are in S3."""
    data = data or f"%PDF-1.7 contract {doc_id} {uuid.uuid4()}".encode()
    sha = hashlib.sha256(data).hexdigest()
    key = f"originals/{sha[:2]}/{sha}"
    original = s3.put(key, data, content_type="application/pdf", metadata={"sha256": sha})
    s3.put(key, data, content_type="application/pdf", metadata={"sha256": sha})  # a second version
    signed_bytes = data + b" signed"
    signed_sha = hashlib.sha256(signed_bytes).hexdigest()
    signed = s3.put(f"signed/{doc_id}/{signed_sha}.pdf", signed_bytes, content_type="application/pdf")
    ingested = {**s.ingested(doc_id, original=original.to_record()), "duplicate_of": duplicate_of}
    if sender:
        ingested["email"] = {"sender": sender, "subject": "contract", "message_id": f"<{doc_id}@mail>"}
    validated = s.validated(doc_id)
    validated["fields"] += [_field("counterparty", "Umbrella Logistics"), _field("signer_name", NAME)]
    if email:
        validated["fields"].append(_field("signer_email", email))
    esign = s.esign(doc_id, "completed", signed=signed.to_record(), signer_name=NAME)
    esign["signer"]["email"] = signer or "someone.else@example.org"
    records = [("documents.ingested", ingested), ("ocr.results", s.ocr(doc_id)), ("fields.validated", validated),
               ("crm.commands", s.command(doc_id)), ("esign.events", esign)]
    return records, {"original": original, "signed": signed}


@pytest.fixture
def s3(base_settings):
    return S3ObjectStore.from_settings(base_settings)


@pytest.fixture
def reader(store):
    return _Direct(store, 10_000)


@pytest.fixture
def keys(tmp_path):
    return DocumentKeys(tmp_path / "documents", LocalKeyRing(tmp_path / "keyring.json"), cache_seconds=0)


def _ids(prefix: str) -> dict[str, str]:
    run = uuid.uuid4().hex[:8]
    return {k: f"{prefix}-{k}-{run}" for k in ("field", "sender", "signer", "dup", "other")}


def test_lookup_finds_the_address_in_every_source_and_nothing_longer(store, reader, s3):
    d = _ids("lk")
    records = []
    records += _document(s3, d["field"], email=" Ana.Lopez@Example.com ")[0]
    sender, files = _document(s3, d["sender"], sender=f"{NAME} <ANA.LOPEZ@example.com>")
    records += sender
    records += _document(s3, d["signer"], signer=EMAIL.upper())[0]
    same_bytes = json.loads(json.dumps(sender[0][1]))
    same_bytes.update(doc_id=d["dup"], event_id=str(uuid.uuid4()), duplicate_of=d["sender"], email=None)
    records.append(("documents.ingested", same_bytes))  # the same original, sent again without a sender
    records += _document(s3, d["other"], email="xana.lopez@example.com", sender="ana.lopez@example.co")[0]
    _sink(store, records)

    found = find_documents(reader, "  ANA.LOPEZ@EXAMPLE.COM")
    assert found.doc_ids == sorted([d["field"], d["sender"], d["signer"], d["dup"]])
    assert found.matched_by[d["field"]] == ["field", "payload"]
    assert found.matched_by[d["signer"]] == ["payload", "signer"]
    assert found.matched_by[d["dup"]] == ["same_bytes"]
    with pytest.raises(ValueError):
        normalize_email("Ana Lopez")


def test_export_holds_every_document_field_event_and_file(store, reader, s3, tmp_path):
    d = _ids("ex")
    records, files = _document(s3, d["field"], email=EMAIL)
    _sink(store, records + _document(s3, d["other"])[0])
    audited = []
    out = tmp_path / "export"
    report = export_subject(EMAIL, out, reader=reader, objects=s3, actor="os:test",
                            audit=lambda **kw: audited.append(kw))

    manifest = json.loads((out / "manifest.json").read_text())
    [doc] = manifest["documents"]
    assert doc["doc_id"] == d["field"] and report.documents == 1
    assert {f["name"]: f["value"] for f in doc["fields"]}["signer_email"] == EMAIL
    assert [e["topic"] for e in doc["events"]] == [t for t, _ in records]
    assert doc["events"][2]["payload"]["fields"][-1]["value"] == EMAIL  # decoded payloads
    by_role = {f["role"]: f for f in doc["files"] if f["path"]}
    for role in ("original", "signed"):
        body = (out / by_role[role]["path"]).read_bytes()
        assert hashlib.sha256(body).hexdigest() == files[role].sha256
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    [action] = audited
    assert action["action"] == "subject.export" and report.request_id in action["target"]
    assert EMAIL not in json.dumps(action).lower()


def _traces(store, values, doc_id: str | None = None) -> list[str]:
    """Every String column of every table that holds one of ``values`` (in ``doc_id``'s
    rows where the table has a doc_id; everywhere else in every row)."""
    _, tables = store.query("SELECT name FROM system.tables WHERE database = currentDatabase() "
                            "AND engine LIKE '%MergeTree'")
    found = []
    for (table,) in tables:
        _, cols = store.query("SELECT name, type FROM system.columns WHERE database = currentDatabase() "
                              "AND table = {t:String} AND type LIKE '%String%'", {"t": table})
        scoped = doc_id is not None and any(c == "doc_id" for c, _ in cols)
        for col, typ in cols:
            text = f"arrayStringConcat(`{col}`, ' ')" if typ.startswith("Array") else f"`{col}`"
            where = " AND doc_id = {d:String}" if scoped else ""
            for value in values:
                _, hit = store.query(f"SELECT count() FROM `{table}` WHERE positionCaseInsensitive("
                                     f"ifNull({text}, ''), {{v:String}}) > 0{where}", {"v": value, "d": doc_id or ""})
                if hit[0][0]:
                    found.append(f"{table}.{col}: {value}")
    return found


def test_erase_shreds_keys_deletes_every_version_blanks_the_store_and_verifies(store, reader, s3, keys):
    d = _ids("er")
    mine, files = _document(s3, d["field"], email=EMAIL)
    theirs, their_files = _document(s3, d["other"])
    for doc_id in (d["field"], d["other"]):
        keys.key(doc_id)  # the codec made them when it sealed the records
    sealed = keys.encrypt(d["field"], b"sealed record")
    _sink(store, mine + theirs)
    assert _traces(store, [EMAIL])  # the check can see it

    queued, audited = [], []

    def send(doc_id, record):
        queued.append(("privacy.erasures", record))

    def flush():  # the audit sink consumes the topic
        _sink(store, queued)

    report = erase_subject(EMAIL, reader=reader, keys=keys, s3=s3, send=send, flush=flush,
                           audit=lambda **kw: audited.append(kw), actor="os:test", wait_s=5, poll_s=0.1)

    assert report.complete and report.documents == report.applied == 1
    assert report.keys_destroyed == 1 and report.object_versions_deleted == 3  # 2 originals + 1 signed
    assert report.payloads_blanked == len(mine)
    with pytest.raises(KeyDestroyed):
        keys.decrypt(d["field"], sealed)
    for ref in files.values():
        assert s3.versions(ref.key) == [] and s3.exists(ref.key) is None
    assert s3.exists(their_files["original"].key) is not None
    assert _traces(store, [EMAIL]) == []
    assert _traces(store, [NAME, "Umbrella Logistics", "203.0.113.7"], doc_id=d["field"]) == []
    assert _traces(store, [NAME], doc_id=d["other"])  # the other document keeps its data
    _, rows = store.query("SELECT count() FROM fields WHERE doc_id = {d:String} AND value IS NOT NULL",
                          {"d": d["field"]})
    assert rows[0][0] == 0
    chain = read_chain(reader, d["field"])
    assert chain[-1]["topic"] == "privacy.erasures" and report.request_id in chain[-1]["payload"]
    assert EMAIL not in chain[-1]["payload"]

    result = verify(reader, s3)
    assert result.ok, [str(p) for p in result.problems]
    assert result.erased_rows == len(mine)
    [action] = audited
    assert action["action"] == "subject.erase" and EMAIL not in json.dumps(action).lower()

    again = erase_subject(EMAIL, reader=reader, keys=keys, s3=s3, send=send, flush=flush,
                          audit=lambda **kw: None, actor="os:test", wait_s=1, poll_s=0.1)
    assert (again.documents, again.records_sent, again.complete) == (0, 0, True)
    assert verify(reader, s3).ok


def test_erasure_of_a_shared_original_is_not_a_missing_file(store, reader, s3, keys):
    """Another document with the same bytes that the lookup could not tie to the subject
    (no documents row: its analytics row was lost) still names the deleted original."""
    d = _ids("sh")
    mine, files = _document(s3, d["field"], email=EMAIL)
    _sink(store, mine)
    twin = {**mine[0][1], "doc_id": d["other"], "event_id": str(uuid.uuid4())}
    _sink(store, [("documents.ingested", twin)])
    store.command("ALTER TABLE documents DELETE WHERE doc_id = {d:String}", {"d": d["other"]},
                  settings={"mutations_sync": 2})
    queued = []
    report = erase_subject(EMAIL, reader=reader, keys=keys, s3=s3, send=lambda _d, r: queued.append(
        ("privacy.erasures", r)), flush=lambda: _sink(store, queued), audit=lambda **kw: None, actor="os:test",
        wait_s=5, poll_s=0.1)
    assert report.documents == 1 and s3.versions(files["original"].key) == []
    result = verify(reader, s3)
    assert result.ok, [str(p) for p in result.problems]
    assert result.erased_files == 1


def test_a_request_that_cannot_be_audited_touches_nothing(store, reader, s3, keys, tmp_path):
    from inkstream.admin_audit import AdminAuditError

    d = _ids("na")
    mine, files = _document(s3, d["field"], email=EMAIL)
    keys.key(d["field"])
    _sink(store, mine)

    def refuse(**_kw):
        raise AdminAuditError("Kafka did not acknowledge the audit record")

    with pytest.raises(AdminAuditError):
        export_subject(EMAIL, tmp_path / "out", reader=reader, objects=s3, audit=refuse, actor="os:test")
    assert not (tmp_path / "out").exists()
    sent = []
    with pytest.raises(AdminAuditError):
        erase_subject(EMAIL, reader=reader, keys=keys, s3=s3, send=lambda *a: sent.append(a), flush=lambda: None,
                      audit=refuse, actor="os:test")
    assert not keys.is_destroyed(d["field"]) and sent == []
    assert len(s3.versions(files["original"].key)) == 2 and s3.exists(files["signed"].key) is not None

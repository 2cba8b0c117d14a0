"""S3 expiry per document type against the running S3 server (versitygw: no bucket
lifecycle, so the sweep runs): the type comes from ClickHouse (real chDB), expired
current and noncurrent versions are deleted, younger ones and locked ones are kept."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from inkstream.settings import DocRetention
from ops.retention import s3
from ops.retention.s3 import Version, _expired
from ops.stack.s3 import client

pytestmark = pytest.mark.stack

NOW = dt.datetime.now(dt.timezone.utc)


def _policy(settings, **over):
    r = settings.retention.model_copy(update={
        "doc_types": {"contract": DocRetention(originals_days=30, signed_days=60)},
        "default": DocRetention(originals_days=1, signed_days=1), **over})
    return settings.model_copy(update={"retention": r})


@pytest.fixture
def bucket(rsettings):
    from minio.commonconfig import ENABLED
    from minio.versioningconfig import VersioningConfig

    c = client(rsettings)
    c.make_bucket(rsettings.s3.bucket)
    c.set_bucket_versioning(rsettings.s3.bucket, VersioningConfig(ENABLED))
    yield c
    for obj in list(c.list_objects(rsettings.s3.bucket, recursive=True, include_version=True)):
        c.remove_object(rsettings.s3.bucket, obj.object_name, version_id=obj.version_id)
    c.remove_bucket(rsettings.s3.bucket)


def _put(c, bucket: str, key: str, body: bytes) -> str:
    return c.put_object(bucket, key, io.BytesIO(body), len(body)).version_id


def _versions(c, bucket: str) -> set[tuple[str, str]]:
    return {(o.object_name, o.version_id) for o in c.list_objects(bucket, recursive=True, include_version=True)}


def _classify(store, doc_id: str, doc_type: str, object_key: str, signed_key: str | None = None) -> None:
    store.command("INSERT INTO documents (doc_id, event_id, ingested_at, source, filename, bucket, object_key, sha256, "
                  "size_bytes, content_type, priority) VALUES ({d:String}, 'e1', now64(3), 'api', 'f.pdf', 'b', {k:String}, "
                  "'x', 1, 'application/pdf', 'normal')", {"d": doc_id, "k": object_key})
    store.command("INSERT INTO extractions (doc_id, event_id, occurred_at, source, doc_type, status, extractor_version, "
                  "changes) VALUES ({d:String}, 'e2', now64(3), 'api', {t:String}, 'accepted', 'rules-1', 0)",
                  {"d": doc_id, "t": doc_type})
    if signed_key:
        store.command("INSERT INTO signatures (doc_id, event_id, occurred_at, provider, envelope_id, event_type, "
                      "provider_event, provider_event_id, signed_key, payload_sha256) VALUES ({d:String}, 'e3', now64(3), "
                      "'simulated', 'env', 'completed', 'c', 'p', {k:String}, 'x')", {"d": doc_id, "k": signed_key})


def test_versitygw_has_no_lifecycle_so_apply_sweeps(rsettings, bucket):
    supported, said = s3.lifecycle_support(bucket, rsettings.s3.bucket)
    assert not supported and said == "not supported by this S3 server: NotImplemented"


def test_sweep_deletes_expired_versions_per_doc_type(rsettings, rstore, bucket):
    s = _policy(rsettings)
    b = s.s3.bucket
    contract, unknown, signed = "originals/aa/" + "a" * 64, "originals/bb/" + "b" * 64, "signed/d1/" + "c" * 64 + ".pdf"
    c1 = _put(bucket, b, contract, b"v1")
    c2 = _put(bucket, b, contract, b"v2")  # c1 is now noncurrent
    u1 = _put(bucket, b, unknown, b"u")    # never classified: the default policy (1 day)
    s1 = _put(bucket, b, signed, b"s")
    _classify(rstore, "d1", "contract", contract, signed)

    # Two days on: only the unclassified original is past its retention.
    later = NOW + dt.timedelta(days=2)
    found = {i.target: i for i in s3.report(s, bucket, rstore, later)}
    assert found["originals/ default"].state == "drift" and "1 versions past" in found["originals/ default"].actual
    assert found["originals/ contract"].state == "ok"
    dry = {i.target: i.state for i in s3.apply(s, bucket, rstore, dry_run=True, now=later)}
    assert dry["originals/ default"] == "would change" and (unknown, u1) in _versions(bucket, b)
    done = {i.target: i for i in s3.apply(s, bucket, rstore, now=later)}
    assert done["originals/ default"].state == "changed" and "sweep (not supported" in done["originals/ default"].note
    assert _versions(bucket, b) == {(contract, c1), (contract, c2), (signed, s1)}
    assert all(i.state == "ok" for i in s3.report(s, bucket, rstore, later))
    assert all(i.state == "unchanged" for i in s3.apply(s, bucket, rstore, now=later))  # idempotent

    # 31 days on: the contract original (30 d), current and noncurrent, goes; its signed
    # file (60 d) stays.
    s3.apply(s, bucket, rstore, now=NOW + dt.timedelta(days=31))
    assert _versions(bucket, b) == {(signed, s1)}


def test_locked_version_is_kept_and_reported(rsettings, rstore):
    import time

    from minio.commonconfig import GOVERNANCE
    from minio.retention import Retention

    s = _policy(rsettings)
    c = client(s)
    b = s.s3.bucket
    c.make_bucket(b, object_lock=True)  # versitygw implements object lock (and versioning with it)
    key = "originals/dd/" + "d" * 64
    vid = _put(c, b, key, b"locked")
    # A short real lock (versitygw ignores the governance bypass header, so the test must
    # outwait it to clean up); the sweep itself runs "two days later".
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=10)
    c.set_object_retention(b, key, Retention(GOVERNANCE, until), version_id=vid)
    try:
        row = {i.target: i for i in s3.apply(s, c, rstore, now=NOW + dt.timedelta(days=2))}["originals/ default"]
        assert dt.datetime.now(dt.timezone.utc) < until, "the sweep took longer than the lock; the test proves nothing"
        assert "1 locked (object lock) and kept" in row.note
        assert _versions(c, b) == {(key, vid)}
    finally:
        time.sleep(max(0.0, (until - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1)
        c.remove_object(b, key, version_id=vid)
        c.remove_bucket(b)


def test_tags_each_version_with_its_type(rsettings, rstore, bucket):
    """The lifecycle path's tagging (versitygw implements object tagging)."""
    s = _policy(rsettings)
    key = "originals/ee/" + "e" * 64
    v1, v2 = _put(bucket, s.s3.bucket, key, b"1"), _put(bucket, s.s3.bucket, key, b"2")
    _classify(rstore, "d9", "contract", key)
    expiries = s3.plan(s, bucket, rstore, NOW)
    assert s3.tag_versions(s, bucket, expiries) == 2
    assert bucket.get_object_tags(s.s3.bucket, key, version_id=v1) == {s3.TAG: "contract"}
    assert bucket.get_object_tags(s.s3.bucket, key, version_id=v2) == {s3.TAG: "contract"}
    assert s3.tag_versions(s, bucket, expiries) == 0


def test_lifecycle_rules_cover_current_and_noncurrent_versions(rsettings):
    s = _policy(rsettings, default=DocRetention(originals_days=1, signed_days=None))
    rules = {r.rule_id: r for r in s3.lifecycle_config(s).rules}
    assert set(rules) == {"inkstream-originals-contract", "inkstream-signed-contract", "inkstream-originals-default"}
    r = rules["inkstream-originals-contract"]
    assert r.expiration.days == 30 and r.noncurrent_version_expiration.noncurrent_days == 30
    assert r.rule_filter.and_operator.prefix == "originals/" and r.rule_filter.and_operator.tags[s3.TAG] == "contract"


def test_noncurrent_version_expires_from_its_successors_write():
    t0 = NOW - dt.timedelta(days=100)
    versions = [Version("k", "v3", NOW - dt.timedelta(days=5), False),    # current, 5 d old
                Version("k", "v2", NOW - dt.timedelta(days=12), False),   # noncurrent for 5 d
                Version("k", "v1", t0, False)]                            # noncurrent for 12 d
    assert [v.version_id for v in _expired(versions, 10, NOW)] == ["v1"]
    assert [v.version_id for v in _expired(versions, 4, NOW)] == ["v3", "v2", "v1"]
    # Deleted (marker) 20 days ago: v1 is noncurrent for 20 d; once it goes, so does the marker.
    marker = [Version("k", "m", NOW - dt.timedelta(days=20), True), Version("k", "v1", t0, False)]
    assert [v.version_id for v in _expired(marker, 10, NOW)] == ["v1", "m"]
    assert _expired(marker, 30, NOW) == []  # noncurrent for 20 d only, though written 100 d ago
    assert _expired(versions, None, NOW) == []


def test_a_version_listed_twice_at_a_page_boundary_counts_once(rsettings, rstore, bucket):
    """versitygw repeats the entry at the 1000-version page boundary of ListObjectVersions."""
    s = _policy(rsettings)
    keys = [f"originals/{i % 16:02x}/{i:064x}" for i in range(1001)]
    for key in keys:
        _put(bucket, s.s3.bucket, key, b"x")
    expiries = s3.plan(s, bucket, rstore, NOW + dt.timedelta(days=2))
    assert sorted(e.key for e in expiries) == sorted(keys)
    assert sum(len(e.expired) for e in expiries) == 1001

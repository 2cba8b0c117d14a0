"""S3 expiry of originals (``originals/``) and signed files (``signed/``) per document type.

The object key does not say the document type (originals are content-addressed and
stored before classification), so the type is looked up in ClickHouse: ``documents``
(object key -> doc_id) or ``signatures`` (signed key -> doc_id), then the standing
decision's ``doc_type`` (``v_document_decisions``). A file shared by documents of several
types keeps the longest of their retentions; a file no classified document names yet
(unclassified, or the audit sink behind) gets ``retention.default``.

Two ways to enforce it, ``retention.s3_mode``:

- ``lifecycle`` (``auto`` picks it where the server implements GetBucketLifecycle): every
  version is tagged ``inkstream-doc-type=<type>`` and one rule per prefix and type
  expires current versions after N days and noncurrent ones N days after they were
  replaced. The server does the deleting.
- ``sweep`` (``auto`` falls back to it, e.g. on versitygw, which answers NotImplemented):
  ``apply`` deletes the expired versions itself with the same semantics: a current
  version N days after it was written, a noncurrent one N days after its successor was
  written, and a key's delete markers once no version is left. Run it daily (cron/CI).
  A version under object lock is left alone and reported as locked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterator

from inkstream.settings import DocRetention, Settings
from ops.retention.policy import Item, fmt_days

__all__ = ["PREFIXES", "TAG", "lifecycle_support", "lifecycle_config", "doc_types", "plan", "report", "apply",
           "tag_versions"]

PREFIXES = {"originals/": "originals_days", "signed/": "signed_days"}
TAG = "inkstream-doc-type"
DEFAULT = "default"
_BATCH = 200
_LOOKUP = {
    "originals/": "SELECT DISTINCT d.object_key, x.doc_type FROM (SELECT DISTINCT doc_id, object_key FROM documents "
                  "WHERE object_key IN {keys:Array(String)}) AS d INNER JOIN v_document_decisions AS x ON x.doc_id = d.doc_id",
    "signed/": "SELECT DISTINCT s.signed_key, x.doc_type FROM (SELECT DISTINCT doc_id, signed_key FROM signatures "
               "WHERE signed_key IN {keys:Array(String)}) AS s INNER JOIN v_document_decisions AS x ON x.doc_id = s.doc_id",
}


@dataclass(frozen=True)
class Version:
    key: str
    version_id: str | None
    last_modified: dt.datetime
    delete_marker: bool


@dataclass
class Expiry:
    """One key's verdict: its type, its retention and the versions past it."""

    prefix: str
    key: str
    doc_type: str
    days: int | None
    expired: list[Version]


def lifecycle_support(client: Any, bucket: str) -> tuple[bool, str]:
    """(server implements bucket lifecycle, what it said)."""
    from minio.error import S3Error

    try:
        client.get_bucket_lifecycle(bucket)
        return True, "lifecycle supported"
    except S3Error as exc:
        if exc.code in ("NotImplemented", "MethodNotAllowed", "NotSupported"):
            return False, f"not supported by this S3 server: {exc.code}"
        raise


def _mode(settings: Settings, client: Any) -> tuple[str, str]:
    mode = settings.retention.s3_mode
    supported, said = lifecycle_support(client, settings.s3.bucket)
    if mode == "lifecycle" and not supported:
        return "sweep", f"s3_mode=lifecycle but bucket lifecycle is {said}; swept instead"
    if mode == "auto":
        mode = "lifecycle" if supported else "sweep"
    return mode, said


def _days(policy: DocRetention, prefix: str) -> int | None:
    return getattr(policy, PREFIXES[prefix])


def _retention(settings: Settings, prefix: str, types: set[str]) -> tuple[str, int | None]:
    """The type whose retention applies (the longest; None = forever beats any number)."""
    if not types:
        return DEFAULT, _days(settings.retention.default, prefix)
    ranked = sorted(types, key=lambda t: (_days(settings.retention.for_type(t), prefix) is None,
                                          _days(settings.retention.for_type(t), prefix) or 0, t))
    best = ranked[-1]
    return (best if best in settings.retention.doc_types else DEFAULT), _days(settings.retention.for_type(best), prefix)


def doc_types(reader: Any, prefix: str, keys: list[str]) -> dict[str, set[str]]:
    """Key -> the doc types of the classified documents that name it."""
    out: dict[str, set[str]] = {}
    for i in range(0, len(keys), _BATCH):
        _, rows = reader.query(_LOOKUP[prefix], {"keys": keys[i:i + _BATCH]})
        for key, doc_type in rows:
            out.setdefault(key, set()).add(doc_type)
    return out


def _versions(client: Any, bucket: str, prefix: str) -> Iterator[tuple[str, list[Version]]]:
    """(key, its versions newest first, as the server lists them)."""
    current_key: str | None = None
    versions: list[Version] = []
    for obj in client.list_objects(bucket, prefix=prefix, recursive=True, include_version=True):
        v = Version(obj.object_name, obj.version_id, obj.last_modified, bool(obj.is_delete_marker))
        if current_key is not None and v.key != current_key and versions:
            yield current_key, versions
            versions = []
        current_key = v.key
        # versitygw v1.7.0 listed the version at a 1000-entry page boundary twice (measured):
        # a version seen already is not a newer one of its own.
        if all(x.version_id != v.version_id for x in versions):
            versions.append(v)
    if current_key is not None and versions:
        yield current_key, versions


def _expired(versions: list[Version], days: int | None, now: dt.datetime) -> list[Version]:
    """S3 lifecycle semantics: current after ``days`` from its write, noncurrent after
    ``days`` from its successor's write; markers go once nothing else is left."""
    if days is None:
        return []
    limit = dt.timedelta(days=days)
    out = []
    for i, v in enumerate(versions):
        if v.delete_marker:
            continue
        since = v.last_modified if i == 0 else versions[i - 1].last_modified
        if now - since >= limit:
            out.append(v)
    data = [v for v in versions if not v.delete_marker]
    if len(out) == len(data):
        out += [v for v in versions if v.delete_marker]
    return out


def plan(settings: Settings, client: Any, reader: Any, now: dt.datetime | None = None) -> list[Expiry]:
    """Every key under the managed prefixes with its type, retention and expired versions."""
    now = now or dt.datetime.now(dt.timezone.utc)
    out: list[Expiry] = []
    for prefix in PREFIXES:
        listed = list(_versions(client, settings.s3.bucket, prefix))
        types = doc_types(reader, prefix, [k for k, _ in listed])
        for key, versions in listed:
            doc_type, days = _retention(settings, prefix, types.get(key, set()))
            out.append(Expiry(prefix, key, doc_type, days, _expired(versions, days, now)))
    return out


def _configured(settings: Settings) -> list[tuple[str, str, int | None]]:
    types = [*sorted(settings.retention.doc_types), DEFAULT]
    return [(prefix, t, _days(settings.retention.for_type(None if t == DEFAULT else t), prefix))
            for prefix in PREFIXES for t in types]


def lifecycle_config(settings: Settings):
    """One rule per prefix and type, on the type tag; forever = no rule."""
    from minio.commonconfig import ENABLED, AndOperator, Filter, Tags
    from minio.lifecycleconfig import Expiration, LifecycleConfig, NoncurrentVersionExpiration, Rule

    rules = []
    for prefix, doc_type, days in _configured(settings):
        if days is None:
            continue
        tags = Tags()
        tags[TAG] = doc_type
        rules.append(Rule(ENABLED, rule_filter=Filter(and_operator=AndOperator(prefix, tags)),
                          rule_id=f"inkstream-{prefix.rstrip('/')}-{doc_type}", expiration=Expiration(days=days),
                          noncurrent_version_expiration=NoncurrentVersionExpiration(noncurrent_days=days)))
    return LifecycleConfig(rules)


def _rule_days(config: Any) -> dict[str, int | None]:
    out = {}
    for rule in (config.rules if config else []):
        out[rule.rule_id] = rule.expiration.days if rule.expiration else None
    return out


def tag_versions(settings: Settings, client: Any, expiries: list[Expiry], *, dry_run: bool = False) -> int:
    """Tag every version with its key's type where the tag differs; returns how many changed."""
    from minio.commonconfig import Tags

    changed = 0
    bucket = settings.s3.bucket
    for e in expiries:
        for obj in client.list_objects(bucket, prefix=e.key, include_version=True):
            if obj.object_name != e.key or obj.is_delete_marker:
                continue
            have = client.get_object_tags(bucket, e.key, version_id=obj.version_id) or {}
            if have.get(TAG) == e.doc_type:
                continue
            changed += 1
            if not dry_run:
                tags = Tags.new_object_tags()
                tags.update({**have, TAG: e.doc_type})
                client.set_object_tags(bucket, e.key, tags, version_id=obj.version_id)
    return changed


def report(settings: Settings, client: Any, reader: Any, now: dt.datetime | None = None) -> list[Item]:
    mode, said = _mode(settings, client)
    expiries = plan(settings, client, reader, now)
    rules = _rule_days(client.get_bucket_lifecycle(settings.s3.bucket)) if mode == "lifecycle" else {}
    out = []
    for prefix, doc_type, days in _configured(settings):
        due = [e for e in expiries if e.prefix == prefix and e.doc_type == doc_type]
        n = sum(len(e.expired) for e in due)
        target = f"{prefix} {doc_type}"
        if mode == "lifecycle":
            rule = f"inkstream-{prefix.rstrip('/')}-{doc_type}"
            actual = fmt_days(rules.get(rule)) if rule in rules else "no rule"
            ok = rules.get(rule) == days if days is not None else rule not in rules
            out.append(Item("s3", target, fmt_days(days), f"lifecycle {actual}", "ok" if ok else "drift", said))
        else:
            actual = f"{len(due)} keys, {n} versions past retention"
            out.append(Item("s3", target, fmt_days(days), actual, "drift" if n else "ok",
                            f"{said}: `retention apply` deletes expired versions (sweep)"))
    return out


def apply(settings: Settings, client: Any, reader: Any, *, dry_run: bool = False,
          now: dt.datetime | None = None) -> list[Item]:
    from minio.error import S3Error

    mode, said = _mode(settings, client)
    expiries = plan(settings, client, reader, now)
    bucket = settings.s3.bucket
    out: list[Item] = []
    if mode == "lifecycle":
        tagged = tag_versions(settings, client, expiries, dry_run=dry_run)
        config = lifecycle_config(settings)
        want = _rule_days(config)
        have = _rule_days(client.get_bucket_lifecycle(bucket))
        state = "unchanged" if want == have else ("would change" if dry_run else "changed")
        if state == "changed":
            client.set_bucket_lifecycle(bucket, config)
        out.append(Item("s3", f"{bucket} lifecycle", f"{len(want)} rules", f"{len(have)} rules", state,
                        f"{tagged} versions {'to tag' if dry_run else 'tagged'} {TAG}"))
        return out
    for prefix, doc_type, days in _configured(settings):
        due = [e for e in expiries if e.prefix == prefix and e.doc_type == doc_type]
        deleted, locked = 0, 0
        for e in due:
            for v in e.expired:
                if dry_run:
                    deleted += 1
                    continue
                try:
                    client.remove_object(bucket, v.key, version_id=v.version_id)
                    deleted += 1
                except S3Error as exc:
                    if exc.code not in ("AccessDenied", "ObjectLocked", "InvalidRequest"):
                        raise
                    locked += 1  # object lock: kept until its retain-until date
        state = ("would change" if dry_run else "changed") if deleted else "unchanged"
        note = f"sweep ({said}): {deleted} versions {'to delete' if dry_run else 'deleted'}"
        if locked:
            note += f", {locked} locked (object lock) and kept"
        out.append(Item("s3", f"{prefix} {doc_type}", fmt_days(days), f"{len(due)} keys", state, note))
    return out

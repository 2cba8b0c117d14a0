"""Document keys every host reaches: wrapped data keys in a compacted Kafka topic.

Why Kafka and not the object store: every inkstream process already reaches the broker
and follows topics; a compacted topic keyed by the document's key id keeps one record
per document, and the same log is the broadcast: an erasure is one record that every
process following the topic applies within its poll interval (well under a second), so
no cache has to time out and no host polls a bucket. The object store would need
a listing or an object per document plus a separate channel for erasures.

Records (key: the document's key id, value JSON)::

    {"kek_id": "vault:inkstream", "wrapped": "<b64>", "at": <unix ms>}   a wrapped data key
    {"erased": <unix ms>}                                                 its erasure, for good

Rules every reader applies in log order: the first key record of a document is its key
(two hosts racing to make one converge on the first; the loser writes the winner's
record again so compaction, which keeps the last record, keeps the winner); an erasure
record wins over everything and is never followed by a key. Compaction then drops the
wrapped key of an erased document from the log (``segment.ms`` one hour, a low dirty
ratio); the erasure marker stays (it is not a null tombstone, which compaction would
eventually delete, letting a new key be made). Keys are wrapped by the KMS (Vault
transit in production), so the topic alone never yields a key.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from inkstream.crypto.datakeys import DocumentKeys, KeyDestroyed
from inkstream.crypto.keyring import KeyProvider, KeyUnavailable

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["KafkaDocumentKeys", "TOPIC_CONFIG"]

TOPIC_CONFIG = {"cleanup.policy": "compact", "segment.ms": str(3600 * 1000), "min.cleanable.dirty.ratio": "0.01",
                "retention.ms": "-1"}
_CACHE_MAX = 10_000


class KafkaDocumentKeys(DocumentKeys):
    """``DocumentKeys`` whose wrapped keys and erasures live in a compacted topic.

    One instance per process (it runs one follower thread); ``close()`` stops it."""

    def __init__(self, settings: Settings, topic: str, provider: KeyProvider, *, ready_timeout: float = 30.0) -> None:
        from confluent_kafka import Consumer, Producer

        from inkstream.kafka_config import client_config

        self.provider, self.topic = provider, topic
        self.cache_seconds = float("inf")  # an erasure evicts at once; nothing to time out
        self._conf = client_config(settings)  # the cluster's security settings, like every client
        _ensure_topic(settings, topic)
        self._producer = Producer({**self._conf, "enable.idempotence": True, "acks": "all"})
        self._consumer = Consumer({**self._conf, "group.id": f"inkstream-keys-{uuid.uuid4().hex}",
                                   "enable.auto.commit": False, "auto.offset.reset": "earliest"})
        # A second handle for watermarks: the follower thread owns the first one.
        self._meta = Consumer({**self._conf, "group.id": f"inkstream-keys-meta-{uuid.uuid4().hex}",
                               "enable.auto.commit": False})
        self._meta_lock = threading.Lock()
        self._stored: dict[str, dict[str, Any]] = {}  # key id -> first key record
        self._erased: set[str] = set()
        self._plain: dict[str, bytes] = {}  # unwrapped keys, evicted by erasure records
        self._position = 0  # next offset the follower will apply
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name=f"keys:{topic}", daemon=True)
        self._thread.start()
        self._sync(ready_timeout)

    # -- following the topic ----------------------------------------------------------------
    def _follow(self) -> None:
        from confluent_kafka import OFFSET_BEGINNING, TopicPartition

        self._consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
        try:
            while not self._stop.is_set():
                msg = self._consumer.poll(0.1)
                if msg is None or msg.error() is not None:
                    continue
                raw_key, offset = msg.key(), msg.offset()
                if offset is not None:  # set on every consumed record
                    self._apply(raw_key.decode() if raw_key else "", msg.value(), offset)
        finally:
            self._consumer.close()

    def _apply(self, key_id: str, value: bytes | None, offset: int) -> None:
        try:
            record = json.loads(value) if value else {}
        except ValueError:
            record = {}
        with self._cond:
            if "erased" in record:
                self._erased.add(key_id)
                self._stored.pop(key_id, None)
                self._plain.pop(key_id, None)
            elif "wrapped" in record and key_id not in self._erased:
                self._stored.setdefault(key_id, record)
            self._position = offset + 1
            self._cond.notify_all()

    def _sync(self, timeout: float = 10.0) -> None:
        """Wait until the follower applied everything written to the topic before now."""
        from confluent_kafka import TopicPartition

        deadline = time.monotonic() + timeout
        while True:
            try:
                with self._meta_lock:
                    _low, high = self._meta.get_watermark_offsets(TopicPartition(self.topic, 0), timeout=timeout,
                                                                  cached=False)
                break
            except Exception as exc:  # KafkaException: a just-created topic's metadata, or no broker
                if time.monotonic() > deadline:
                    raise KeyUnavailable(f"key topic {self.topic}: cannot read its end offset: {exc}") from exc
                time.sleep(0.2)
        self._wait_for(high, max(1.0, deadline - time.monotonic()))

    def _wait_for(self, offset: int, timeout: float) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._position >= offset, timeout):
                raise KeyUnavailable(f"key topic {self.topic} not read up to offset {offset} in {timeout:.0f}s")

    def _write(self, key_id: str, record: dict[str, Any]) -> int:
        done: dict[str, Any] = {}
        self._producer.produce(self.topic, json.dumps(record).encode(), key_id.encode(), partition=0,
                               on_delivery=lambda err, msg: done.update(err=err, msg=msg))
        self._producer.flush(30)
        if done.get("err") is not None or "msg" not in done:
            raise KeyUnavailable(f"key topic {self.topic}: write failed: {done.get('err')}")
        offset: int = done["msg"].offset()
        return offset

    # -- DocumentKeys --------------------------------------------------------------------------
    def key(self, doc_id: str, *, create: bool = True) -> bytes | None:
        with self._cond:
            if doc_id in self._erased:
                raise KeyDestroyed(f"the key of document {doc_id} was destroyed")
            plain = self._plain.get(doc_id)
            stored = self._stored.get(doc_id)
        if plain is not None:
            return plain
        if stored is None:
            self._sync()  # made on another host a moment ago?
            with self._cond:
                if doc_id in self._erased:
                    raise KeyDestroyed(f"the key of document {doc_id} was destroyed")
                stored = self._stored.get(doc_id)
        if stored is None:
            if not create:
                return None
            stored = self._create(doc_id)
        key = self.provider.unwrap(stored["kek_id"], base64.b64decode(stored["wrapped"]),
                                   context=f"document:{doc_id}")
        with self._cond:
            if doc_id in self._erased:  # erased while we unwrapped
                raise KeyDestroyed(f"the key of document {doc_id} was destroyed")
            self._plain[doc_id] = key
            while len(self._plain) > _CACHE_MAX:
                self._plain.pop(next(iter(self._plain)))
        return key

    def _create(self, doc_id: str, path: Path | None = None) -> dict[str, Any]:  # no file: the topic holds it
        kek_id, wrapped = self.provider.wrap(AESGCM.generate_key(bit_length=256), context=f"document:{doc_id}")
        mine = {"kek_id": kek_id, "wrapped": base64.b64encode(wrapped).decode(), "at": int(time.time() * 1000)}
        self._wait_for(self._write(doc_id, mine) + 1, 30)
        with self._cond:
            if doc_id in self._erased:
                raise KeyDestroyed(f"the key of document {doc_id} was destroyed")
            winner = self._stored[doc_id]
        if winner != mine:  # another host made it first: its key is the key; make it the last record too
            self._write(doc_id, winner)
        return winner

    def destroy(self, doc_id: str) -> bool:
        """Write the erasure record and wait until this process applied it. True if a key existed."""
        self._sync()
        with self._cond:
            existed = doc_id in self._stored
        self._wait_for(self._write(doc_id, {"erased": int(time.time() * 1000)}) + 1, 30)
        return existed

    def is_destroyed(self, doc_id: str) -> bool:
        with self._cond:
            return doc_id in self._erased

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        with self._meta_lock:
            self._meta.close()


def _ensure_topic(settings: Settings, topic: str) -> None:
    """The key topic exists, compacted, one partition (one order for every document)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    from inkstream.kafka_config import client_config

    admin = AdminClient(client_config(settings))
    if topic in admin.list_topics(timeout=10).topics:
        return
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config=TOPIC_CONFIG)])
    try:
        futures[topic].result(30)
    except Exception as exc:  # TOPIC_ALREADY_EXISTS from a racing process is fine
        if "TOPIC_ALREADY_EXISTS" not in str(exc):
            raise KeyUnavailable(f"cannot create the key topic {topic}: {exc}") from exc

"""Audit every administrative action on the ``admin.actions`` topic, before it counts.

``record_admin_action`` publishes one ``schemas/admin.actions.avsc`` record and blocks
until Kafka has acknowledged it. If Kafka cannot take it (unreachable, refused, timed out)
it raises :class:`AdminAuditError` and the caller must not go on: an admin action that
cannot be audited does not happen silently. Callers therefore audit *first* and act
second where the action can be refused (a refused record then leaves no trace of an
action that did not take place), or act and audit where the action must exist to be
named (a new key's id); in the latter case a failure is reported to the operator.

No personal data goes into the record: every e-mail address found in the actor, target
or detail values is replaced by ``email-sha256:<hex>`` (:func:`opaque_email`), so a
caller that passes one by mistake still writes an opaque id. Secrets are the callers'
business: they pass key ids and user names, never keys, tokens or passwords.

>>> opaque_email("Ana@Example.com") == opaque_email("ana@example.com")
True
>>> _scrub("reset for ana@example.com")[:23]
'reset for email-sha256:'
"""

from __future__ import annotations

import getpass
import hashlib
import re
import threading
import time
from typing import TYPE_CHECKING, Any

from inkstream.errors import AdminAuditError  # defined in the one error tree (inkstream/errors.py)

if TYPE_CHECKING:
    from schemas.codec import Codec

__all__ = ["TOPIC", "AdminAudit", "AdminAuditError", "record_admin_action", "opaque_email", "os_actor"]

TOPIC = "admin.actions"
# How long an admin action waits for the broker's acknowledgement before it is refused.
_DELIVERY_TIMEOUT_S = 10.0
_TOPIC_WAIT_S = 5.0  # metadata of a topic created just before
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")



def opaque_email(email: str) -> str:
    """An e-mail address as an opaque, stable id (case-insensitive)."""
    return "email-sha256:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def os_actor() -> str:
    """The actor of a CLI action: the operating-system user running it."""
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no passwd entry (containers): still an actor
        return "os:unknown"


def _scrub(value: str) -> str:
    return _EMAIL.sub(lambda m: opaque_email(m.group(0)), value)


def _producer_props() -> dict[str, Any]:
    return {"enable.idempotence": True, "acks": "all",
            # A message that cannot be delivered fails within the wait below, rather than
            # being retried in the background and appearing after the action was refused.
            "message.timeout.ms": int(_DELIVERY_TIMEOUT_S * 1000)}


class AdminAudit:
    """The admin-action publisher of one process (a web app holds one for its lifetime): one
    idempotent producer, made on first use and dropped after a failure (a dead broker's
    client does not linger and retry), and the codec of the process's edge."""

    def __init__(self, settings: Any, codec: Codec) -> None:
        self.settings, self.codec = settings, codec
        self._producer: Any = None
        self._topic_known = False
        self._lock = threading.Lock()

    def record(self, *, actor: str, action: str, target: str, detail: dict[str, str] | None = None) -> None:
        """Publish one admin action to ``admin.actions`` and wait for the broker's ack.

        Raises :class:`AdminAuditError` when it is not delivered (the caller must then not
        carry out, or must report, the action) and ``ValueError`` on an empty actor/action."""
        from schemas.records import envelope

        if not actor or not action:
            raise ValueError("an admin action needs an actor and an action")
        record = {**envelope("", producer="admin"), "actor": _scrub(actor), "action": action,
                  "target": _scrub(target), "detail": {k: _scrub(str(v)) for k, v in (detail or {}).items()}}
        value = self.codec.encode(TOPIC, record)
        topic = self.settings.topics.name(TOPIC)
        with self._lock:  # one action at a time: the ack waited for is this action's
            producer = self._open()
            try:
                _deliver(producer, topic, record["target"], value, action, self.settings.kafka.bootstrap,
                         check_topic=not self._topic_known)
                self._topic_known = True
            except AdminAuditError:
                self._producer = None
                raise

    def _open(self) -> Any:
        if self._producer is None:
            from confluent_kafka import Producer

            from inkstream.kafka_config import client_config

            self._producer = Producer(client_config(self.settings, **_producer_props()))
        return self._producer


def record_admin_action(settings: Any, *, actor: str, action: str, target: str,
                        detail: dict[str, str] | None = None, codec: Codec | None = None) -> None:
    """One admin action of a one-shot process (a CLI command is its own edge): an
    :class:`AdminAudit` for this action alone, with ``codec`` or one built from ``settings``.
    Raises as :meth:`AdminAudit.record` does."""
    if not actor or not action:
        raise ValueError("an admin action needs an actor and an action")
    if codec is None:
        from schemas.codec import Codec

        codec = Codec.from_settings(settings)
    AdminAudit(settings, codec).record(actor=actor, action=action, target=target, detail=detail)


def _check_topic(producer: Any, topic: str) -> None:
    """Fail at once, saying how to fix it, when the topic is missing (the broker does not
    auto-create topics, so a produce would only time out)."""
    # A topic created a moment ago can still be unknown to the broker's metadata: ask again
    # for a few seconds before calling it missing.
    deadline = time.monotonic() + _TOPIC_WAIT_S
    while True:
        meta = producer.list_topics(topic, timeout=_DELIVERY_TIMEOUT_S).topics.get(topic)
        if (meta is not None and meta.error is None) or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    if meta is None or meta.error is not None:
        raise AdminAuditError(f"admin actions cannot be audited: topic {topic} does not exist "
                              f"({meta.error if meta else 'no metadata'}); `inkstream up` creates it")


def _deliver(producer: Any, topic: str, key: str, value: bytes, action: str, bootstrap: str, *,
             check_topic: bool) -> None:
    outcome: list[Any] = []
    try:
        if check_topic:
            _check_topic(producer, topic)
        producer.produce(topic, key=key.encode() or None, value=value,
                         on_delivery=lambda err, _msg: outcome.append(err))
        producer.flush(_DELIVERY_TIMEOUT_S + 5)
    except AdminAuditError:
        raise
    except Exception as exc:  # noqa: BLE001 - BufferError, KafkaException...: all mean "not audited"
        raise AdminAuditError(f"admin action {action!r} refused: its audit record could not be sent to "
                              f"{topic} at {bootstrap} ({type(exc).__name__}: {exc})") from exc
    if not outcome:
        raise AdminAuditError(f"admin action {action!r} refused: Kafka at {bootstrap} did not "
                              f"acknowledge its audit record on {topic} within {_DELIVERY_TIMEOUT_S:.0f} s")
    if outcome[0] is not None:
        raise AdminAuditError(f"admin action {action!r} refused: its audit record was not delivered to "
                              f"{topic}: {outcome[0]}")

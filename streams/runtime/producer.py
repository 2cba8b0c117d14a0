"""A worker's Kafka producer, replaced by a fresh one when it is stuck or broken.

librdkafka keeps some states inside one producer instance for good: after a broker
restart the drill saw the e-sign completion sink's idempotent producer log "Failed to
acquire idempotence PID ... Coordinator load in progress: retrying" for 15 minutes, so its
unbounded ``flush()`` never returned and the worker stalled; a fatal error (an idempotence
sequence gap, a broken transaction) ends an instance outright. Waiting cures neither; a
new instance (a new PID) does. So the runtime bounds every wait
on the producer and, when one runs out or the producer turns fatal, calls
:meth:`RenewableProducer.renew`: the old instance's queued records are purged (the
caller repeats its batch, which is at-least-once/idempotent for sinks and an aborted
transaction for exactly-once processors), it is closed off the hot path, and a new one
is built from the same configuration, with ``init_transactions`` for a transactional
one (which also fences and aborts whatever the old instance left open).

A fenced transactional producer is NOT renewed: another instance owns the
``transactional.id``; taking it back would fence that one in turn.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from streams.runtime.ports import ProducerPort

__all__ = ["RenewableProducer", "fenced", "needs_renewal"]

log = logging.getLogger("inkstream.runtime")

_CLOSE_WAIT_S = 10.0
_INIT_ATTEMPTS = 5
_FENCED = {KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH,
           KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED}


def fenced(error: KafkaError) -> bool:
    """Another instance took our transactional.id (or we may not use it): stop, never renew."""
    return error.code() in _FENCED


def needs_renewal(error: KafkaError) -> bool:
    """A fatal producer error a new instance cures (the instance is unusable from now on)."""
    return error.fatal() and not fenced(error)


class RenewableProducer:
    """Holds the current producer (``confluent_kafka.Producer`` or a test's); ``renew(reason)`` swaps it for a fresh one.

    ``on_renew(reason)`` is called once per renewal (the worker counts it in a metric);
    ``reason`` is a short fixed word (``flush_timeout``, ``fatal``, ``init_failed``,
    ``abort_failed``), never record data."""

    def __init__(self, config: dict[str, Any], *, transactional: bool, name: str,
                 on_renew: Callable[[str], None] | None = None, txn_timeout_s: float = 30.0,
                 factory: Callable[[dict[str, Any]], ProducerPort]) -> None:
        # The caller makes the producer (``Producer`` over a ``client_config`` it built, so
        # every renewed instance keeps the SASL/SSL settings; tests pass fakes).
        self._config, self._transactional, self._name = dict(config), transactional, name
        self._on_renew, self._txn_timeout_s = on_renew, txn_timeout_s
        self._factory = factory
        self.producer = self._factory(self._config)
        self.renewals = 0

    def start(self) -> None:
        """``init_transactions`` (transactional only): fences a predecessor and aborts its
        open transaction. A timeout or fatal error renews the producer and tries again,
        a few times, before the error is raised (the worker then fails and is restarted)."""
        if not self._transactional:
            return
        for attempt in range(1, _INIT_ATTEMPTS + 1):
            try:
                self.producer.init_transactions(self._txn_timeout_s)
                return
            except KafkaException as exc:
                error: KafkaError = exc.args[0]
                if fenced(error) or attempt == _INIT_ATTEMPTS:
                    raise
                log.warning("%s: init_transactions failed (%s), attempt %d", self._name, error.str(), attempt)
                self._replace("init_failed")

    def renew(self, reason: str) -> None:
        """Drop the current producer (its queued records are lost: the caller repeats its
        batch) and build a ready one. Raises what ``start`` raises."""
        self._replace(reason)
        self.start()

    def _replace(self, reason: str) -> None:
        old = self.producer
        self.renewals += 1
        log.warning("%s: producer renewed (%s): a new instance replaces the stuck or failed one",
                    self._name, reason)
        if self._on_renew is not None:
            self._on_renew(reason)
        try:
            old.purge(in_queue=True, in_flight=True, blocking=True)
            old.poll(0)  # purged records' delivery reports (errors), so nothing waits on them
        except (KafkaException, RuntimeError) as exc:  # a fatal instance may refuse even this
            log.warning("%s: could not purge the old producer: %s", self._name, exc)
        # close() aborts an open transaction and flushes: on a stuck instance either may hang,
        # so it runs aside and the worker goes on with the new instance.
        closer = threading.Thread(target=_close_quietly, args=(old,), daemon=True,
                                  name=f"close-producer-{self._name}")
        closer.start()
        closer.join(_CLOSE_WAIT_S)
        self.producer = self._factory(self._config)


def _close_quietly(producer: ProducerPort) -> None:
    started = time.monotonic()
    try:
        producer.close()
    except Exception as exc:  # noqa: BLE001 - the old instance is being thrown away
        log.debug("closing a replaced producer failed after %.1fs: %s", time.monotonic() - started, exc)

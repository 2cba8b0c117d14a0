"""Start processor workers: one in this process, or N supervised child processes.

Each worker is a consumer-group member with its own transactional.id (index 0..N-1),
its own Prometheus registry and its own ``/metrics`` + ``/healthz`` port (``port + index``;
0 = a free port). SIGTERM/SIGINT: each worker finishes the record in hand, commits what
is done (or aborts the open transaction), leaves the group and exits 0; the supervisor
forwards the signal and waits. A child that dies unexpectedly is restarted after a pause.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import time
from typing import Any

from prometheus_client import CollectorRegistry

from inkstream.tls import http_server_context
from schemas.codec import Codec

from streams.runtime.health import Health, HealthServer
from streams.runtime.loop import Worker
from streams.runtime.metrics import Metrics
from streams.runtime.processor import Processor
from streams.runtime.scrape_targets import register_target, unregister_target

__all__ = ["serve", "run_workers"]

log = logging.getLogger("inkstream.runtime")

_RESTART_PAUSE_S = 2.0


def _register_target(settings: Any, name: str, index: int, port: int) -> bool:
    """Tell the local Prometheus about this worker: the address it advertises and its
    instance id as a target label (so every series scraped from it carries ``instance_id``)."""
    try:
        register_target(settings, name, port, host=settings.instance.advertised,
                                   labels={"worker": str(index), "instance_id": settings.instance.name})
        return True
    except Exception as exc:  # noqa: BLE001 - monitoring must never stop a worker
        log.warning("could not register %s with Prometheus: %s", name, exc)
        return False


def _unregister_target(settings: Any, name: str, port: int) -> None:
    try:
        unregister_target(settings, name, port)
    except Exception as exc:  # noqa: BLE001
        log.warning("could not unregister %s from Prometheus: %s", name, exc)


def _instance_info(registry: CollectorRegistry, processor: str, instance: str, index: int) -> None:
    """``inkstream_worker_info{processor, instance_id, worker} 1``: which host and worker a
    scrape came from, also where Prometheus has no file_sd label (compose, static configs)."""
    from prometheus_client import Gauge

    Gauge("inkstream_worker_info", "This worker's processor, instance id and index (always 1).",
          ["processor", "instance_id", "worker"], registry=registry).labels(processor, instance, str(index)).set(1)


def serve(proc: Processor, settings: Any, *, codec: Codec, index: int = 0, metrics_port: int | None = 0,
          exactly_once: bool | None = None, handle_signals: bool = True) -> None:
    """Run one worker until SIGTERM/SIGINT (or a fatal Kafka error, which raises), with the
    process's one ``codec`` (the one its processor was built with)."""
    # The processor's own collectors (if its factory made any) share the worker's /metrics.
    registry = proc.registry if proc.registry is not None else CollectorRegistry()
    metrics = Metrics.create(registry, processor=proc.name)
    _instance_info(registry, proc.name, settings.instance.name, index)
    health = Health()
    server, registered = None, False
    if metrics_port is not None:
        # http.tls_cert/tls_key: the same certificate and TLS 1.2 floor as the HTTP services;
        # http.require_tls without one raises ConfigError here, before any Kafka work.
        tls = http_server_context(settings.http)
        server = HealthServer(registry, health, metrics_port, host=settings.instance.bind, tls=tls).start()
        log.info("%s[%d]: /metrics and /healthz on %s://%s:%d", proc.name, index, server.scheme,
                 settings.instance.bind, server.port)
        registered = _register_target(settings, proc.name, index, server.port)
    worker = Worker(proc, settings, codec=codec, index=index, metrics=metrics, health=health,
                    exactly_once=exactly_once)
    if handle_signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: worker.stop())
    try:
        worker.run()
    finally:
        if proc.close is not None:
            proc.close()
        if server is not None:
            if registered:
                _unregister_target(settings, proc.name, server.port)
            server.stop()


def _child(name: str, settings: Any, index: int, metrics_port: int | None, exactly_once: bool | None) -> None:
    from inkstream.redact import install_log_redaction
    from streams.registry import load_processor

    install_log_redaction()  # a spawned child starts without the parent's record factory
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name}[{index}] %(levelname)s %(message)s")
    # The worker's edge: its one codec (and key store), shared by the loop and the processor.
    codec = Codec.from_settings(settings)
    proc = load_processor(name, settings, codec)
    if proc.memory_limit_mb:
        from streams.ocr.limits import apply_memory_limit

        apply_memory_limit(proc.memory_limit_mb)
    serve(proc, settings, codec=codec, index=index, metrics_port=metrics_port, exactly_once=exactly_once)


def run_workers(name: str, settings: Any, *, workers: int = 1, metrics_port: int | None = 0,
                exactly_once: bool | None = None) -> int:
    """Run ``workers`` processes of registered processor ``name``; returns the exit code."""
    if workers <= 1:
        # A fatal client error (a fenced static member or producer) ends that consumer and
        # producer, not the processor: start them afresh, as the multi-worker parent does.
        from confluent_kafka import KafkaException

        while True:
            try:
                _child(name, settings, 0, metrics_port, exactly_once)
                return 0
            except KafkaException as exc:
                log.error("%s: fatal Kafka error (%s); starting again in %.0fs", name, exc, _RESTART_PAUSE_S)
                time.sleep(_RESTART_PAUSE_S)
    if metrics_port is not None:
        http_server_context(settings.http)  # a bad or required-but-missing certificate: fail here, not N times
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start(index: int):
        port = metrics_port + index if metrics_port else metrics_port
        proc = ctx.Process(target=_child, args=(name, settings, index, port, exactly_once),
                           name=f"inkstream-{name}-{index}")
        proc.start()
        return proc

    def on_signal(signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: the child's graceful path

    children = [start(i) for i in range(workers)]
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stopping:
        time.sleep(0.5)
        for index, child in enumerate(children):
            if not child.is_alive() and not stopping:
                log.error("worker %d exited with %s; restarting in %.0fs", index, child.exitcode, _RESTART_PAUSE_S)
                time.sleep(_RESTART_PAUSE_S)
                children[index] = start(index)
    for child in children:
        child.join()
    return max((abs(c.exitcode or 0) for c in children), default=0)

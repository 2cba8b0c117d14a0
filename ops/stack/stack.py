"""``up``, ``down`` and ``status`` over the stack's components.

Each component is local (a process we start, by pid) or external (its URL is set:
``KAFKA_BOOTSTRAP_SERVERS``, ``S3_ENDPOINT``, ``CLICKHOUSE_URL``; then we only check it).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from inkstream.errors import StackError
from inkstream.settings import Settings
from ops.stack import alertmanager, kafka, process, prometheus, s3
from ops.stack import schema_registry as registry
from ops.stack.layout import Layout

__all__ = ["ComponentStatus", "up", "down", "status", "clickhouse_http", "UP_TIMEOUT_S"]

UP_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    address: str
    pid: int | None
    healthy: bool
    detail: str = ""
    rss_mb: float | None = None


def _say(log: Callable[[str], None] | None, msg: str) -> None:
    if log:
        log(msg)


def _wait_healthy(name: str, check: Callable[[], bool], proc: process.Managed, pid: int) -> None:
    died = False

    def ready() -> bool:
        nonlocal died
        died = process.running_pid(proc) != pid
        return died or check()  # a dead process ends the wait at once

    ok = process.wait_until(ready, UP_TIMEOUT_S, interval=0.5) and not died
    if not ok:
        # Kafka's own log (log4j2) says more than its stdout; show whichever has the story.
        log = next((f for f in (proc.log_file.with_name(f"{proc.name}.log"), proc.log_file)
                    if f.exists() and f.stat().st_size), proc.log_file)
        raise StackError(f"{name} {'exited while starting' if died else 'did not become healthy in time'}; "
                         f"see {log}:\n{_tail(log)}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def up(settings: Settings, log: Callable[[str], None] | None = None) -> dict[str, float]:
    """Provision and start every local component, create the bucket and topics.
    Idempotent: what runs is left alone. Returns seconds spent per step."""
    layout = Layout.of(settings)
    timings: dict[str, float] = {}
    try:
        process.require_disk(layout.root)
        t = time.monotonic()
        if not settings.kafka.external and kafka.provision(layout, settings):
            _say(log, f"kafka: resolved {settings.kafka.version} jars with Maven")
        if not settings.s3.external and s3.provision(layout):
            _say(log, f"s3: built versitygw {s3.VERSITYGW}")
        timings["provision"] = time.monotonic() - t
        plan = _plan(layout, settings)
        # Check every port before starting anything, so a conflict leaves nothing half-started.
        for name, proc, host, port, setting, _start, _check in plan:
            if process.running_pid(proc) is None:
                process.require_port_free(name, host, port, setting)
        started = [(name, check, proc, start()) for name, proc, _h, _p, _s, start, check in plan]
        layout.chdb.mkdir(parents=True, exist_ok=True)
        # All processes start first, then we wait for them together: Kafka's JVM start dominates.
        t = time.monotonic()
        for name, check, proc, pid in started:
            _wait_healthy(name, check, proc, pid)
        timings["start"] = time.monotonic() - t
        t = time.monotonic()
        s3.ensure_bucket(settings)
        from ops.stack.topics import ensure_topics

        created = [n for n, state in ensure_topics(settings).items() if state == "created"]
        if created:
            _say(log, f"topics: created {len(created)}")
        timings["bucket+topics"] = time.monotonic() - t
        if not settings.s3.external:
            from inkstream.fail_closed import LEGACY_S3, s3_credentials, s3_credentials_file

            if s3_credentials(settings) == LEGACY_S3:  # provisioned before generated credentials
                _say(log, "s3: this data dir keeps the fixed development key pair (accepted only with "
                          "environment: development); a new data dir gets a generated one")
            elif s3_credentials_file(settings).exists():
                _say(log, f"s3: credentials in {s3_credentials_file(settings)} (0600)")
    except OSError as exc:
        if process.is_disk_full(exc):
            raise StackError(f"disk full while starting the stack under {layout.root}: {exc}. "
                             "Free space or set INKSTREAM_DATA_DIR to a bigger disk.") from exc
        raise
    return timings


def _plan(layout: Layout, settings: Settings) -> list[tuple]:
    """(name, managed, host, port, port setting, start(), healthy()) for each local process."""
    plan = []
    k, s, p = settings.kafka, settings.s3, settings.prometheus
    if not k.external:
        plan.append(("Kafka", kafka.managed(layout), k.host, k.port, "INKSTREAM_KAFKA__PORT",
                     lambda: kafka.start(layout, settings), lambda: kafka.healthy(settings, timeout=2)))
        plan.append(("Kafka controller", kafka.managed(layout), k.host, k.controller_port,
                     "INKSTREAM_KAFKA__CONTROLLER_PORT", lambda: kafka.start(layout, settings), lambda: True))
    if not s.external:
        plan.append(("S3 server", s3.managed(layout), s.host, s.port, "INKSTREAM_S3__PORT",
                     lambda: s3.start(layout, settings), lambda: s3.healthy(settings) or _bucket(settings)))
    if p.enabled and settings.alertmanager.enabled:   # with the local Prometheus, started before it
        a = settings.alertmanager
        plan.append(("Alertmanager", alertmanager.managed(layout), a.host, a.port, "INKSTREAM_ALERTMANAGER__PORT",
                     lambda: alertmanager.start(layout, settings), lambda: alertmanager.healthy(settings)))
    if p.enabled:
        plan.append(("Prometheus", prometheus.managed(layout), p.host, p.port, "INKSTREAM_PROMETHEUS__PORT",
                     lambda: prometheus.start(layout, settings), lambda: prometheus.healthy(settings)))
    r = settings.registry
    if r.enabled and not k.schema_registry_url:  # SCHEMA_REGISTRY_URL names an external one
        plan.append(("Schema registry", registry.managed(layout), r.host, r.port, "INKSTREAM_REGISTRY__PORT",
                     lambda: registry.start(layout, settings), lambda: registry.healthy(settings)))
    return plan


def _bucket(settings: Settings) -> bool:
    """The S3 server answers but the bucket is not there yet (first start): create it."""
    s3.ensure_bucket(settings)
    return True


def down(settings: Settings, timeout: float = 30.0) -> list[str]:
    """Stop what ``up`` started (by pid), Prometheus, Alertmanager and S3 first, Kafka last. Data stays."""
    layout = Layout.of(settings)
    stopped = []
    for proc in (registry.managed(layout), prometheus.managed(layout), alertmanager.managed(layout), s3.managed(layout),
                 kafka.managed(layout)):
        if process.stop(proc, timeout=timeout):
            stopped.append(proc.name)
    return stopped


def status(settings: Settings) -> list[ComponentStatus]:
    layout = Layout.of(settings)
    out = []

    def local(name: str, address: str, proc: process.Managed, check: Callable[[], bool]) -> ComponentStatus:
        pid = process.running_pid(proc)
        if pid is None:
            return ComponentStatus(name, address, None, False, "not running: run `inkstream up`")
        ok = check()
        return ComponentStatus(name, address, pid, ok, "" if ok else f"not answering; see {proc.log_file}",
                               process.rss_mb(pid))

    k = settings.kafka
    if k.external:
        ok = kafka.healthy(settings)
        out.append(ComponentStatus("kafka", k.bootstrap, None, ok, "external" if ok else "external: not answering"))
    else:
        out.append(local("kafka", k.bootstrap, kafka.managed(layout), lambda: kafka.healthy(settings)))
    if settings.s3.external:
        ok = s3.healthy(settings)
        out.append(ComponentStatus("s3", settings.s3.url, None, ok,
                                   "external" if ok else f"external: not answering or bucket {settings.s3.bucket} missing"))
    else:
        out.append(local("s3", settings.s3.url, s3.managed(layout), lambda: s3.healthy(settings)))
    if settings.prometheus.enabled:
        p = settings.prometheus
        out.append(local("prometheus", f"http://{p.host}:{p.port}", prometheus.managed(layout),
                         lambda: prometheus.healthy(settings)))
    if settings.kafka.schema_registry_url:
        from schemas.registry import registry_answers

        ok = registry_answers(settings.kafka.schema_registry_url, timeout=3)
        out.append(ComponentStatus("registry", settings.kafka.schema_registry_url, None, ok,
                                   "external" if ok else "external: not answering"))
    elif settings.registry.enabled:
        out.append(local("registry", settings.registry.url, registry.managed(layout),
                         lambda: registry.healthy(settings)))
    if settings.prometheus.enabled and settings.alertmanager.enabled:
        out.append(local("alertmanager", alertmanager.address(settings), alertmanager.managed(layout),
                         lambda: alertmanager.healthy(settings)))
    out.append(_clickhouse(settings, layout))
    return out


def clickhouse_http(settings: Settings) -> ComponentStatus:
    """The audit sink's ClickHouse HTTP interface for analysts (``streams/audit/clickhouse_http.py``).
    Not part of the stack's health: it runs while ``inkstream run audit`` does."""
    import json

    import httpx

    from streams.audit.query import discovery_file

    a = settings.audit
    try:
        info = json.loads(discovery_file(settings).read_text())
        address = f"{info.get('scheme', 'http')}://{info['host']}:{info['port']}"
        pid = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return ComponentStatus("clickhouse-http", f"http://{a.query_host}:{a.query_port}", None, False,
                               "no audit sink running (`inkstream run audit`)")
    try:
        ok = httpx.get(f"{address}/ping", timeout=3, verify=False).text == "Ok.\n"  # noqa: S501 - a liveness ping
    except httpx.HTTPError:
        ok = False
    return ComponentStatus("clickhouse-http", address, pid if ok else None, ok,
                           "audit sink; users: `inkstream analyst add`" if ok else "audit sink not answering")


def _clickhouse(settings: Settings, layout: Layout) -> ComponentStatus:
    ch = settings.clickhouse
    if ch.external:
        import httpx
        from urllib.parse import urlparse

        u = urlparse(ch.url)
        ping = f"{'https' if u.scheme == 'https' else 'http'}://{u.hostname}:{u.port or 8123}/ping"
        try:
            ok = httpx.get(ping, timeout=3).status_code == 200
        except httpx.HTTPError:
            ok = False
        return ComponentStatus("clickhouse", ch.url, None, ok, "external" if ok else f"external: {ping} not answering")
    # chDB is embedded: no process; healthy means its directory is there and writable.
    d = layout.chdb
    import os

    ok = d.is_dir() and os.access(d, os.W_OK)
    return ComponentStatus("clickhouse", f"chdb://{d}", None, ok, "embedded (chDB)" if ok else "run `inkstream up`")

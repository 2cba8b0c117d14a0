"""Prometheus from Debian's package, run as our own process (not the systemd unit) with
the config rendered from ``ops/prometheus/prometheus.yml``.

Processors become scrape targets with ``streams.runtime.scrape_targets.register_target``:
one file_sd JSON file per (job, port) under ``<data_dir>/conf/prometheus/targets``;
:func:`prune_targets` removes those of local processes that died.
"""

from __future__ import annotations

import json
from pathlib import Path
from string import Template

from inkstream.settings import Settings
from inkstream.tls import client_ca
from ops.stack import process
from ops.stack.layout import Layout

__all__ = ["TEMPLATE", "prune_targets", "start", "healthy", "managed"]

TEMPLATE = Path(__file__).resolve().parents[1] / "prometheus" / "prometheus.yml"
RULES_DIR = TEMPLATE.parent / "rules"
def prune_targets(settings: Settings) -> list[Path]:
    """Remove target files of local processes that no longer listen (killed, crashed), so
    Prometheus does not report dead workers forever. Returns the removed files."""
    removed = []
    for f in Layout.of(settings).prometheus_targets.glob("*.json"):
        try:
            groups = json.loads(f.read_text())
            addrs = [t.rsplit(":", 1) for g in groups for t in g["targets"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        local = [(h, int(p)) for h, p in addrs if h in ("127.0.0.1", "localhost")]
        if local and len(local) == len(addrs) and not any(process.port_open(h, p) for h, p in local):
            f.unlink(missing_ok=True)
            removed.append(f)
    return removed


def managed(layout: Layout) -> process.Managed:
    return process.Managed("prometheus", layout.run / "prometheus.pid", layout.logs / "prometheus.log",
                           marker=str(layout.conf / "prometheus" / "prometheus.yml"))


def render(layout: Layout, settings: Settings) -> Path:
    conf = layout.conf / "prometheus" / "prometheus.yml"
    layout.prometheus_targets.mkdir(parents=True, exist_ok=True)
    p = settings.prometheus
    conf.write_text(Template(TEMPLATE.read_text()).substitute(
        targets_dir=str(layout.prometheus_targets), rules_dir=str(RULES_DIR), self=f"{p.host}:{p.port}",
        alertmanagers=json.dumps([f"{settings.alertmanager.host}:{settings.alertmanager.port}"]
                                 if settings.alertmanager.enabled else []),
        **_scrape_tls(settings)))
    return conf


def _scrape_tls(settings: Settings) -> dict[str, str]:
    """The inkstream job's scheme and tls_config (JSON is YAML) from ``http.tls_cert``: the
    processors' /metrics follow that setting (inkstream/tls.py), so must the scrape."""
    ca = client_ca(settings.http)
    if ca is None:
        return {"scheme": "http", "tls_config": "{}"}
    return {"scheme": "https", "tls_config": json.dumps({"ca_file": str(ca.resolve()), "min_version": "TLS12"})}


def start(layout: Layout, settings: Settings) -> int:
    proc = managed(layout)
    pid = process.running_pid(proc)
    prune_targets(settings)
    if pid:
        # Already running: pick up a changed template or rules without a restart.
        render(layout, settings)
        _reload(settings)
        return pid
    binary = process.require_tool("prometheus")
    p = settings.prometheus
    process.require_port_free("Prometheus", p.host, p.port, "INKSTREAM_PROMETHEUS__PORT")
    conf = render(layout, settings)
    tsdb = layout.data / "prometheus"
    tsdb.mkdir(parents=True, exist_ok=True)
    argv = [binary, f"--config.file={conf}", f"--storage.tsdb.path={tsdb}",
            f"--web.listen-address={p.host}:{p.port}", "--storage.tsdb.retention.time=7d",
            "--web.enable-lifecycle", "--log.level=warn"]
    return process.start_detached(proc, argv)


def _reload(settings: Settings) -> None:
    import httpx

    p = settings.prometheus
    try:
        httpx.post(f"http://{p.host}:{p.port}/-/reload", timeout=5)
    except httpx.HTTPError:
        pass  # not answering yet; it reads the file when it does


def healthy(settings: Settings) -> bool:
    import httpx

    p = settings.prometheus
    try:
        return httpx.get(f"http://{p.host}:{p.port}/-/ready", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False

"""Alertmanager from Debian's ``prometheus-alertmanager`` package, run as our own process
(not the systemd unit), with the config rendered from ``ops/alertmanager/alertmanager.yml``.

Prometheus sends its alerts here (``ops/prometheus/prometheus.yml``'s ``alerting``
section, filled in by ``ops.stack.prometheus.render``). Clustering is off
(``--cluster.listen-address=``): one local instance, nothing else bound.
"""

from __future__ import annotations

import json
from pathlib import Path
from string import Template

from inkstream.settings import Settings
from ops.stack import process
from ops.stack.layout import Layout

__all__ = ["TEMPLATE", "PRODUCTION", "managed", "render", "start", "healthy", "address"]

TEMPLATE = Path(__file__).resolve().parents[1] / "alertmanager" / "alertmanager.yml"
PRODUCTION = TEMPLATE.with_name("alertmanager.production.yml")


def address(settings: Settings) -> str:
    a = settings.alertmanager
    return f"http://{a.host}:{a.port}"


def managed(layout: Layout) -> process.Managed:
    return process.Managed("alertmanager", layout.run / "alertmanager.pid", layout.logs / "alertmanager.log",
                           marker=str(layout.conf / "alertmanager" / "alertmanager.yml"))


def render(layout: Layout, settings: Settings) -> Path:
    a = settings.alertmanager
    conf = layout.conf / "alertmanager" / "alertmanager.yml"
    conf.parent.mkdir(parents=True, exist_ok=True)
    receiver = ("    webhook_configs:\n      - url: " + json.dumps(a.webhook_url) + "\n        send_resolved: true"
                if a.webhook_url else "    # no webhook_url: alerts are listed, not sent")
    conf.write_text(Template(TEMPLATE.read_text()).substitute(receiver_configs=receiver, group_wait=a.group_wait))
    return conf


def start(layout: Layout, settings: Settings) -> int:
    proc = managed(layout)
    conf = render(layout, settings)
    pid = process.running_pid(proc)
    if pid:
        _reload(settings)   # a changed receiver without a restart
        return pid
    binary = process.require_tool("prometheus-alertmanager")
    a = settings.alertmanager
    process.require_port_free("Alertmanager", a.host, a.port, "INKSTREAM_ALERTMANAGER__PORT")
    storage = layout.data / "alertmanager"
    storage.mkdir(parents=True, exist_ok=True)
    argv = [binary, f"--config.file={conf}", f"--storage.path={storage}",
            f"--web.listen-address={a.host}:{a.port}", "--cluster.listen-address=", "--log.level=warn"]
    return process.start_detached(proc, argv)


def _reload(settings: Settings) -> None:
    import httpx

    try:
        httpx.post(f"{address(settings)}/-/reload", timeout=5)
    except httpx.HTTPError:
        pass


def healthy(settings: Settings) -> bool:
    import httpx

    try:
        return httpx.get(f"{address(settings)}/-/ready", timeout=3).status_code == 200
    except httpx.HTTPError:
        return False

"""The schema registry of the local stack: a Confluent Schema Registry API on its own port
(``registry.port``, default 8085), state under ``<data_dir>/data/registry``.

Which server: Apicurio Registry was tried first (its Confluent-compatible API under
``/apis/ccompat/v7``), from Maven Central as Kafka's jars are. It does not resolve there:
``io.apicurio:apicurio-registry-app:3.3.3`` needs
``io.apicurio:apicurio-registry-schema-util-provider:3.3.3``, whose POM is not served
("Could not transfer artifact io.apicurio:apicurio-registry-schema-util-provider:pom:3.3.3"),
and 3.0.9's parent POM ``io.apicurio:apicurio-registry:3.0.9`` is not on Maven Central at
all; the app jar is also an un-augmented Quarkus module, not a runnable server. Karapace
is not on PyPI. So the stack runs ``ops/stack/registry_server.py``, the Confluent API
subset confluent-kafka's clients use, with compatibility checks (default FULL), started
with the venv's Python: nothing to provision.
"""

from __future__ import annotations

import sys

import httpx

from inkstream.settings import Settings
from ops.stack import process
from ops.stack.layout import Layout

__all__ = ["start", "healthy", "managed", "url"]


def managed(layout: Layout) -> process.Managed:
    return process.Managed("registry", layout.run / "registry.pid", layout.logs / "registry.log",
                           marker="ops.stack.registry_server")


def url(settings: Settings) -> str:
    return f"http://{settings.registry.host}:{settings.registry.port}"


def start(layout: Layout, settings: Settings) -> int:
    proc = managed(layout)
    pid = process.running_pid(proc)
    if pid:
        return pid
    r = settings.registry
    process.require_port_free("Schema registry", r.host, r.port, "INKSTREAM_REGISTRY__PORT")
    store = layout.data / "registry" / "registry.json"
    store.parent.mkdir(parents=True, exist_ok=True)
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]  # the server imports schemas/ from this checkout
    argv = [sys.executable, "-m", "ops.stack.registry_server", "--host", r.host, "--port", str(r.port),
            "--store", str(store), "--compatibility", r.compatibility]
    return process.start_detached(proc, argv, cwd=root, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)})


def healthy(settings: Settings) -> bool:
    try:
        return httpx.get(url(settings) + "/subjects", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False

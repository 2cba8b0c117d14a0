"""docker-compose.yml cannot run here (no Docker engine), so its references are checked:
services, volumes, bind mounts, ports, the inkstream commands and the scrape targets."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml


ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _depends(service: dict) -> list[str]:
    deps = service.get("depends_on", [])
    return list(deps) if isinstance(deps, (dict, list)) else []


def test_the_topology_has_every_component_and_processor(compose):
    services = set(compose["services"])
    assert {"kafka", "minio", "clickhouse", "prometheus", "grafana", "init", "api", "webhooks", "registry"} <= services
    assert {"ocr", "extract", "map", "crm", "audit"} <= services
    assert "KAFKA_PROCESS_ROLES" in compose["services"]["kafka"]["environment"]  # KRaft, no ZooKeeper
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:")


def test_every_dependency_names_a_service_and_a_valid_condition(compose):
    services = compose["services"]
    for name, svc in services.items():
        deps = svc.get("depends_on", {})
        for dep in _depends(svc):
            assert dep in services and dep != name, f"{name} depends on unknown {dep}"
            if isinstance(deps, dict):
                cond = deps[dep]["condition"]
                assert cond in {"service_started", "service_healthy", "service_completed_successfully"}
                if cond == "service_healthy":
                    assert "healthcheck" in services[dep], f"{name} waits for {dep}, which has no healthcheck"


def test_named_volumes_are_declared_and_bind_mounts_exist_in_the_repository(compose):
    declared = set(compose.get("volumes") or {})
    used = set()
    for name, svc in compose["services"].items():
        for vol in svc.get("volumes", []):
            source = vol.split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in declared, f"{name} uses undeclared volume {source}"
                used.add(source)
    assert used == declared, f"declared but unused: {declared - used}"


def test_host_ports_are_unique_and_bound_to_loopback(compose):
    seen: dict[str, str] = {}
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            host_ip, host_port, _container = str(port).split(":")
            assert host_ip == "127.0.0.1", f"{name} publishes {port} beyond loopback"
            assert host_port not in seen, f"{name} and {seen.get(host_port)} both publish {host_port}"
            seen[host_port] = name


def test_inkstream_commands_name_registered_processors_and_listeners(compose):
    from streams.services import SERVICES
    from streams.registry import PROCESSORS

    assert (ROOT / compose["x-inkstream"]["build"] / "Dockerfile").exists()
    for name, svc in compose["services"].items():
        if svc.get("image") != "inkstream:local" or "entrypoint" in svc:   # registry: not `inkstream`
            continue
        cmd = svc["command"]
        if cmd[0] == "run":
            assert cmd[1] in PROCESSORS or cmd[1] in SERVICES, f"{name} runs unknown processor {cmd[1]}"
        else:
            assert cmd[0] == "up", cmd


def test_service_urls_point_at_services_and_their_listening_ports(compose):
    services = compose["services"]
    env = compose["x-inkstream"]["environment"]
    kafka_host, kafka_port = env["KAFKA_BOOTSTRAP_SERVERS"].split(":")
    assert kafka_host in services
    assert f"://{kafka_host}:{kafka_port}" in services[kafka_host]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    s3 = urlparse(env["S3_ENDPOINT"])
    assert s3.hostname in services and s3.port == 9000 and "server" in services[s3.hostname]["command"]
    assert any(p.endswith(":9000") for p in services[s3.hostname]["ports"])
    ch = urlparse(env["CLICKHOUSE_URL"])
    assert ch.hostname in services and ch.port == 8123
    assert ch.username == services["clickhouse"]["environment"]["CLICKHOUSE_USER"]
    assert ch.path.strip("/") == services["clickhouse"]["environment"]["CLICKHOUSE_DB"]


def test_prometheus_scrapes_each_processor_on_the_port_it_serves_metrics_on(compose):
    services = compose["services"]
    mounts = dict(v.split(":")[:2] for v in services["prometheus"]["volumes"] if v.startswith("./"))
    config_src = next(src for src, dst in mounts.items() if dst == "/etc/prometheus/prometheus.yml")
    config = yaml.safe_load((ROOT / config_src).read_text())
    from streams.services import SERVICES

    def job(name):
        out = []
        for j in config["scrape_configs"]:
            if j["job_name"] != name:
                continue
            out += [t for group in j.get("static_configs", []) for t in group["targets"]]
            # DNS discovery (every replica of a scaled service): name + port
            out += [f"{n}:{sd['port']}" for sd in j.get("dns_sd_configs", []) for n in sd["names"]]
        return out
    runs = {name: svc["command"] for name, svc in services.items() if svc.get("command", [None])[0] == "run"}
    processors = {name for name, cmd in runs.items() if cmd[1] not in SERVICES}
    assert {t.split(":")[0] for t in job("inkstream")} == processors
    for target in job("inkstream"):
        host, port = target.split(":")
        cmd = services[host]["command"]
        assert cmd[cmd.index("--metrics-port") + 1] == port
    # Services (upload API, webhook gateway) serve /metrics on their listening port.
    assert {t.split(":")[0] for t in job("inkstream-services")} == set(runs) - processors
    for target in job("inkstream-services"):
        host, port = target.split(":")
        assert any(p.endswith(f":{port}") for p in services[host].get("ports", [])) or port in runs[host]


def test_the_dockerfile_copies_only_paths_that_exist_and_installs_the_package():
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    copies = [line.split()[1:-1] for line in lines if line.startswith("COPY ")]
    assert copies
    for sources in copies:
        for src in sources:
            assert (ROOT / src).exists(), f"Dockerfile copies missing {src}"
    copied = {src for sources in copies for src in sources}
    # Every top-level package the wheel needs is copied in before `pip install .`.
    assert {"pyproject.toml", "inkstream", "streams", "schemas", "connectors", "ops", "app"} <= copied
    assert any(line.startswith("RUN pip install .") for line in lines)
    assert 'ENTRYPOINT ["inkstream"]' in lines


def test_compose_passwords_come_from_the_env_file_one_per_service(compose, tmp_path):
    """Issue 12 item 1: no password in the compose file, none shared between services."""
    import os
    import re
    import stat

    from ops.stack.compose_env import write

    text = (ROOT / "docker-compose.yml").read_text()
    assert "inkstream-local-secret" not in text
    services = compose["services"]
    secrets_of = {"minio": services["minio"]["environment"]["MINIO_ROOT_PASSWORD"],
                  "clickhouse": services["clickhouse"]["environment"]["CLICKHOUSE_PASSWORD"],
                  "grafana": services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]}
    names = {svc: re.fullmatch(r"\$\{(\w+):\?.+\}", value).group(1) for svc, value in secrets_of.items()}
    assert len(set(names.values())) == 3  # distinct variables: no shared password
    example = ROOT / ".env.example"
    listed = dict(line.split("=", 1) for line in example.read_text().splitlines() if "=" in line and not line.startswith("#"))
    assert all(listed[name] == "" for name in names.values())  # no committed password
    old = os.umask(0o022)
    try:
        assert write(example, tmp_path / ".env") and not write(example, tmp_path / ".env")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
    values = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines() if "=" in line
                  and not line.startswith("#"))
    generated = [values[name] for name in names.values()]
    assert len(set(generated)) == 3 and all(len(v) >= 24 for v in generated)
    env = compose["x-inkstream"]["environment"]
    assert env["INKSTREAM_S3__SECRET_KEY"] == "${%s}" % names["minio"] and env["INKSTREAM_ENVIRONMENT"] == "production"


def _runs(compose) -> dict[str, list[str]]:
    return {name: svc["command"] for name, svc in compose["services"].items()
            if svc.get("command", [None])[0] == "run"}


def test_compose_runs_the_pipeline_and_nothing_unregistered(compose):
    from streams.registry import PIPELINE
    from streams.services import SERVICES

    ran = {cmd[1] for cmd in _runs(compose).values() if cmd[1] not in SERVICES}
    assert ran == set(PIPELINE), (f"in streams.registry.PIPELINE but not in compose: {set(PIPELINE) - ran}; "
                                  f"in compose but not in PIPELINE: {ran - set(PIPELINE)}")


def test_processors_scale_out_without_fixed_names_or_host_ports(compose):
    """``docker compose up --scale ocr=4`` works in principle: a container name or a host
    port would make the second replica fail to start."""
    from streams.services import SERVICES

    for name, cmd in _runs(compose).items():
        svc = compose["services"][name]
        assert "container_name" not in svc, f"{name} has a fixed container name"
        if cmd[1] not in SERVICES:
            assert not svc.get("ports"), f"processor {name} publishes host ports {svc['ports']}"
            assert "hostname" not in svc, f"{name}: a fixed hostname would give every replica one instance id"
    assert not any("container_name" in svc for svc in compose["services"].values())


def test_compose_workers_bind_metrics_beyond_loopback_and_take_their_instance_id_from_the_host(compose, monkeypatch):
    """The setting names in the compose file are the ones inkstream reads."""
    from inkstream.settings import load_settings

    env = compose["x-inkstream"]["environment"]
    assert "INKSTREAM_INSTANCE__ID" not in env  # each replica: its own hostname
    for key in [k for k in env if k.startswith("INKSTREAM_")]:
        monkeypatch.setenv(key, str(env[key]))
    settings = load_settings()
    assert settings.instance.bind == "0.0.0.0" and settings.http.host == "0.0.0.0"
    assert settings.instance.advertised not in ("0.0.0.0", "")


def test_prometheus_discovers_every_replica_of_each_processor_by_dns(compose):
    services = compose["services"]
    mounts = dict(v.split(":")[:2] for v in services["prometheus"]["volumes"] if v.startswith("./"))
    config_src = next(src for src, dst in mounts.items() if dst == "/etc/prometheus/prometheus.yml")
    config = yaml.safe_load((ROOT / config_src).read_text())
    [job] = [j for j in config["scrape_configs"] if j["job_name"] == "inkstream"]
    assert "static_configs" not in job  # a static target would reach one replica only
    from streams.services import SERVICES

    processors = {name for name, cmd in _runs(compose).items() if cmd[1] not in SERVICES}
    assert {n for sd in job["dns_sd_configs"] for n in sd["names"]} == processors
    assert all(sd["type"] == "A" for sd in job["dns_sd_configs"])


def test_promtool_accepts_the_compose_prometheus_config(tmp_path):
    """Debian's prometheus package ships promtool (as tests/ops/test_observability.py: fail, never skip)."""
    import shutil
    import subprocess

    conf = tmp_path / "prometheus.yml"
    shutil.copy(ROOT / "ops/prometheus/prometheus-compose.yml", conf)  # rule_files point into the container
    result = subprocess.run([shutil.which("promtool") or "promtool", "check", "config", "--syntax-only", str(conf)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_registry_service_runs_the_stacks_registry_server_and_every_process_gets_its_url(compose, monkeypatch):
    """The schema registry `inkstream up` runs (ops/stack/registry_server.py) is a compose
    service too; the processors' SCHEMA_REGISTRY_URL names it on the port it listens on, and
    inkstream reads that variable as ``kafka.schema_registry_url``."""
    from inkstream.settings import RegistrySettings, load_settings
    from ops.stack.registry_server import LEVELS

    services = compose["services"]
    registry = services["registry"]
    assert registry["image"] == "inkstream:local" and registry["build"] == "."
    entry = registry["entrypoint"]
    assert entry[:2] == ["python", "-m"] and (ROOT / (entry[2].replace(".", "/") + ".py")).exists()
    assert entry[2] == "ops.stack.registry_server"
    args = dict(zip(registry["command"][::2], registry["command"][1::2]))
    assert args["--host"] == "0.0.0.0" and args["--compatibility"] in LEVELS
    assert args["--compatibility"] == RegistrySettings().compatibility   # FULL, as locally
    # its state lives in its own named volume, mounted where --store writes
    [volume] = registry["volumes"]
    name, mount = volume.split(":")
    assert name in compose["volumes"] and args["--store"].startswith(mount.rstrip("/") + "/")
    url = urlparse(compose["x-inkstream"]["environment"]["SCHEMA_REGISTRY_URL"])
    assert url.hostname == "registry" and str(url.port) == args["--port"]
    assert f":{args['--port']}/" in " ".join(registry["healthcheck"]["test"])
    assert any(p.endswith(f":{args['--port']}") for p in registry["ports"])   # stock consumers on the host
    # the processors start after `init`, which waits for a healthy registry: no record is
    # written before the registry answers (codecs write the Confluent wire format while it does)
    assert services["init"]["depends_on"]["registry"]["condition"] == "service_healthy"
    for svc_name in _runs(compose):
        assert "init" in _depends(services[svc_name]), f"{svc_name} may start before the registry"
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", compose["x-inkstream"]["environment"]["SCHEMA_REGISTRY_URL"])
    assert load_settings().kafka.schema_registry_url == "http://registry:8085"

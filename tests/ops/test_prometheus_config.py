"""The Prometheus config we render is valid (Debian's promtool says so) and reads the
file_sd directory that register_target writes into."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from inkstream.settings import load_settings
from ops.stack import prometheus
from ops.stack.layout import Layout
from streams.runtime import scrape_targets


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


def test_rendered_config_scrapes_the_file_sd_directory_register_target_writes_to(settings):
    layout = Layout.of(settings)
    conf = yaml.safe_load(prometheus.render(layout, settings).read_text())
    jobs = {j["job_name"]: j for j in conf["scrape_configs"]}
    pattern = jobs["inkstream"]["file_sd_configs"][0]["files"][0]
    written = scrape_targets.register_target(settings, "ocr", 9311)
    assert written.parent == layout.prometheus_targets and written.match(pattern.rsplit("/", 1)[1])
    assert pattern.rsplit("/", 1)[0] == str(layout.prometheus_targets) == str(scrape_targets.targets_dir(settings))
    assert json.loads(written.read_text()) == [{"targets": ["127.0.0.1:9311"], "labels": {"job": "ocr"}}]
    assert scrape_targets.targets(settings) == json.loads(written.read_text())
    scrape_targets.unregister_target(settings, "ocr", 9311)
    assert scrape_targets.targets(settings) == []


@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool comes with Debian's prometheus package")
def test_promtool_accepts_the_rendered_config_and_the_target_files(settings):
    layout = Layout.of(settings)
    conf = prometheus.render(layout, settings)
    scrape_targets.register_target(settings, "extract", 9312)
    result = subprocess.run(["promtool", "check", "config", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_register_target_refuses_a_job_name_that_could_escape_the_directory(settings):
    with pytest.raises(ValueError):
        scrape_targets.register_target(settings, "../etc/passwd", 9000)


def test_prune_targets_drops_only_processes_that_stopped_listening(settings):
    import socket

    with socket.socket() as alive:
        alive.bind(("127.0.0.1", 0))
        alive.listen()
        live_port = alive.getsockname()[1]
        with socket.socket() as gone:
            gone.bind(("127.0.0.1", 0))
            dead_port = gone.getsockname()[1]  # bound, never listening: nothing answers there
        live = scrape_targets.register_target(settings, "ocr-0", live_port)
        dead = scrape_targets.register_target(settings, "ocr-1", dead_port)
        remote = scrape_targets.register_target(settings, "crm-0", 9400, host="crm")
        assert prometheus.prune_targets(settings) == [dead]
        assert live.exists() and remote.exists() and not dead.exists()

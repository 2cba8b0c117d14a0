"""One list of processes (issue 16 item 4): ``streams.registry.PIPELINE`` is what a deployment
runs. docker-compose.yml and its Prometheus config are checked against it
(tests/ops/test_docker_compose.py); here: the registry itself, ``inkstream demo`` (built
from it), bench/load.py (built from it), bench/drill.py and the end-to-end tests (checked:
the processes they start exist).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path

import pytest

from streams.registry import EXAMPLES, PIPELINE, PROCESSORS, load_processor, runnable
from streams.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
OCR_LANES = {"ocr.priority", "ocr.bulk"}  # run instead of ocr, never beside it


def _literal(path: Path, name: str):
    """A module-level ``NAME = <literal>`` of a script, read without running it."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no literal {name}")


def test_the_pipeline_is_every_production_processor_but_the_ocr_lanes():
    assert len(set(PIPELINE)) == len(PIPELINE)
    assert set(PIPELINE) | OCR_LANES == set(PROCESSORS)


def test_the_example_processor_is_not_in_production(base_settings, codec):
    assert "passthrough" in EXAMPLES and "passthrough" not in PROCESSORS and "passthrough" not in PIPELINE
    production = base_settings.model_copy(update={"environment": "production"})
    development = base_settings.model_copy(update={"environment": "development"})
    assert "passthrough" not in runnable(production) and "passthrough" in runnable(development)
    from inkstream.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown processor 'passthrough'"):
        load_processor("passthrough", production, codec)
    assert load_processor("passthrough", development, codec).name == "passthrough"


def test_the_demo_runs_the_pipeline_and_the_services_it_talks_to():
    from app.demo_processes import PROCESSES

    processors = {name for name, (argv, _) in PROCESSES.items() if argv[1] not in SERVICES}
    assert processors == set(PIPELINE)
    assert {name for name in PROCESSES if name not in processors} == {"webhooks", "review"} <= set(SERVICES)
    for name, (argv, port) in PROCESSES.items():
        assert argv[:2] == ["run", name]
        assert str(port) in argv or name == "review"  # the review page's default port is 8081
    ports = [port for _, port in PROCESSES.values()]
    assert len(set(ports)) == len(ports)
    # ocr runs one worker per core on consecutive ports: nothing else may sit right above it
    assert not any(PROCESSES["ocr"][1] < p < PROCESSES["ocr"][1] + 10 for p in ports)


def test_the_load_bench_takes_its_processes_from_the_pipeline(monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
    load = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_load", load)  # its dataclasses look themselves up there
    spec.loader.exec_module(load)
    assert set(load.PROCESSORS) == set(PIPELINE) - set(load.OFF_PATH)
    assert set(load.OFF_PATH) <= set(PIPELINE)


def test_the_drill_names_only_processes_that_exist():
    drill = ROOT / "bench" / "drill.py"
    killable = _literal(drill, "KILLABLE")
    exactly_once = _literal(drill, "EXACTLY_ONCE")
    assert set(killable) <= set(PIPELINE) | set(SERVICES), set(killable) - set(PIPELINE) - set(SERVICES)
    assert set(exactly_once) <= set(killable) & set(PIPELINE)


@pytest.mark.parametrize("script", ["tests/e2e/test_pipeline.py", "tests/e2e/test_subject_erasure.py"])
def test_the_end_to_end_tests_run_only_pipeline_processes(script):
    processors = _literal(ROOT / script, "PROCESSORS")
    assert set(processors) <= set(PIPELINE), set(processors) - set(PIPELINE)

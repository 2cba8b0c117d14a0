"""A test run accounts for the topics it makes on the shared broker (tests/topic_check.py,
tests/topic_admin.py): a test's prefix is emptied when it ends, and a run that leaves its
topics behind fails naming them, without touching topics it did not make.

The run under test is a separate pytest process with only the ``topic_check`` plugin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

import topic_admin
from inkstream.settings import load_settings
from topic_admin import create_topics, delete_prefixed, new_prefix

TESTS = Path(__file__).resolve().parents[1]

INNER = '''
import uuid

from confluent_kafka.admin import AdminClient, NewTopic
from inkstream.settings import load_settings
from topic_admin import create_topics, new_prefix


def _settings(prefix):
    base = load_settings()
    return base.model_copy(update={"topics": base.topics.model_copy(update={"prefix": prefix})})


def test_cleans_up(topic_prefix):
    create_topics(_settings(topic_prefix("tidy")), {"crm.commands": 2})


def test_leaks_under_its_own_prefix():
    create_topics(_settings(new_prefix("leak")), ["ocr.results"])


def test_leaks_a_hand_named_topic():
    admin = AdminClient({"bootstrap.servers": load_settings().kafka.bootstrap})
    name = "hand" + uuid.uuid4().hex[:10] + ".esign.events"
    for future in admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)]).values():
        future.result(30)
'''


def _run(tmp_path: Path, select: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)])}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "topic_check", "-p", "no:cacheprovider",
                           "-q", "-k", select, "test_inner.py"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)


def _topics() -> set[str]:
    admin = AdminClient({"bootstrap.servers": load_settings().kafka.bootstrap})
    return set(admin.list_topics(timeout=10).topics)


def _eventually_gone(names: set[str], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while names & _topics():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.stack
def test_a_run_that_cleans_up_passes(tmp_path):
    result = _run(tmp_path, "cleans_up")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "left behind" not in result.stdout


@pytest.mark.stack
def test_a_run_that_leaves_its_topics_fails_naming_them_and_the_tests_that_made_them(tmp_path, settings):
    (others,) = create_topics(settings, ["ocr.results"])  # another run's topic, live on the same broker
    result = _run(tmp_path, "leaks or cleans_up")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr   # every test passed: the check failed the run
    assert "3 passed" in out and "topics left behind" in out
    leaked = set(re.findall(r"\b(?:leak|hand)[0-9a-f]{10}\.[a-z.]+\b", out))
    assert {n.split(".", 1)[1] for n in leaked} == {"ocr.results", "esign.events"}, out
    assert "made by test_inner.py::test_leaks_under_its_own_prefix" in out
    assert "made by test_inner.py::test_leaks_a_hand_named_topic" in out
    assert "tidy" not in out  # the fixture's prefix was emptied when its test ended
    assert "2 of its topics (2 partitions)" in out and "2 deleted now" in out
    assert _eventually_gone(leaked)
    assert others in _topics() and others not in out  # never another run's


@pytest.mark.stack
def test_delete_prefixed_empties_a_prefix_and_refuses_one_it_did_not_hand_out():
    base = load_settings()
    prefix = new_prefix("own")
    mine = base.model_copy(update={"topics": base.topics.model_copy(update={"prefix": prefix})})
    names = set(create_topics(mine, {"ocr.results": 2, "ocr.results.dlq": 1}))
    assert set(delete_prefixed(mine, prefix)) == names
    assert _eventually_gone(names)
    for foreign in ("", "documents.", "t0123456789."):
        with pytest.raises(ValueError, match="refusing"):
            delete_prefixed(base, foreign)


def test_a_platform_topic_is_never_the_runs_even_when_a_test_created_it(monkeypatch):
    monkeypatch.setitem(topic_admin._CREATED, "documents.ingested", "tests/x.py::test_y")
    monkeypatch.setitem(topic_admin._CREATED, "__consumer_offsets", "tests/x.py::test_y")
    monkeypatch.setitem(topic_admin._CREATED, "x0123456789.ocr.results", "tests/x.py::test_y")
    protect = frozenset({"documents.ingested"})
    assert not topic_admin._owned("documents.ingested", protect)
    assert not topic_admin._owned("__consumer_offsets", protect)
    assert topic_admin._owned("x0123456789.ocr.results", protect)
    assert not topic_admin._owned("y0123456789.ocr.results", protect)  # another run's

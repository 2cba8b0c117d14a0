"""Every confluent-kafka client the code builds carries ``settings.kafka.client``: a
cluster that demands SASL_SSL gets SASL_SSL from the producers, consumers and admin
clients of every process, never a plaintext fallback."""

from __future__ import annotations

import ast
import contextlib
from pathlib import Path

import pytest

from inkstream.kafka_config import client_config
from inkstream.settings import load_settings
from session_codec import session_codec
from schemas.codec import Codec

ROOT = Path(__file__).resolve().parents[2]
SECURE = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "inkstream",
          "sasl.password": "s3cret", "ssl.ca.location": "/etc/inkstream/ca.pem"}


class _Built(Exception):
    """Raised by the recording client so the constructor under test stops right there."""


@pytest.fixture
def secure_settings():
    return load_settings(kafka={"bootstrap_servers": "broker.example:9094", "client": SECURE})


# Every module that builds a client, imported BEFORE the classes are patched: a module
# first imported under the patch would bind the recorder at import and keep it for the
# rest of the session (monkeypatch only restores what it set).
_CLIENT_MODULES = (
    "connectors.capture.sink", "connectors.capture.status", "connectors.esign.publisher",
    "connectors.esign.state", "app.tracker", "ops.stack.kafka", "ops.stack.topics",
    "streams.audit.kafka_check", "streams.review.follower", "streams.runtime", "streams.runtime.loop",
    "streams.runtime.producer", "inkstream.admin_audit",
)


@pytest.fixture
def built(monkeypatch):
    import importlib
    import sys

    import confluent_kafka
    import confluent_kafka.admin

    for name in _CLIENT_MODULES:
        importlib.import_module(name)
    configs: list[dict] = []

    def recorder(conf, *args, **kwargs):
        configs.append(dict(conf))
        raise _Built

    real = {name: getattr(confluent_kafka, name) for name in ("Producer", "Consumer")}
    real["AdminClient"] = confluent_kafka.admin.AdminClient
    # The classes themselves, and every module that imported them at module level.
    for module in list(sys.modules.values()):
        for name, cls in real.items():
            if getattr(module, "__dict__", {}).get(name) is cls:
                monkeypatch.setattr(module, name, recorder)
    return configs


def _client_builders(settings):
    """One call per place in the code that builds a Kafka client."""
    from connectors.capture.sink import KafkaRecordSink
    from connectors.capture.status import StatusView
    from connectors.esign.publisher import KafkaPublisher as EsignPublisher
    from connectors.esign.state import EnvelopeBook, KafkaEnvelopeReader
    from app.tracker import Tracker
    from ops.stack.kafka import healthy
    from ops.stack.topics import ensure_topics
    from streams.audit.kafka_check import check_against_kafka
    from streams.review.follower import KafkaPublisher as ReviewPublisher
    from streams.review.follower import QueueFollower
    from streams.runtime import Processor
    from streams.runtime.loop import Worker

    proc = Processor(name="probe", inputs=("documents.ingested",), handle=lambda record, ctx: ())
    return {
        "capture producer": lambda: KafkaRecordSink.from_settings(settings),
        "capture status consumer": lambda: StatusView.from_settings(settings, Codec())._consumer_factory(),
        "esign webhook producer": lambda: EsignPublisher(settings, codec=object()),
        "esign envelope reader": lambda: KafkaEnvelopeReader(settings, EnvelopeBook(), codec=object()),
        "review follower": lambda: QueueFollower(settings, queue=None, codec=None),
        "review publisher": lambda: ReviewPublisher(settings, codec=None),
        "tracker": lambda: Tracker(settings, codec=None),
        "runtime worker": lambda: Worker(proc, settings, codec=session_codec()),
        "stack health probe": lambda: healthy(settings),
        "topic admin": lambda: ensure_topics(settings),
        "audit kafka check": lambda: check_against_kafka([], None, settings, decode=None),
    }


def test_the_helper_puts_the_security_properties_over_whatever_the_caller_passes(secure_settings):
    conf = client_config(secure_settings, **{"group.id": "g", "security.protocol": "PLAINTEXT"})
    assert conf["security.protocol"] == "SASL_SSL" and conf["group.id"] == "g"
    assert conf["bootstrap.servers"] == "broker.example:9094"
    assert {k: conf[k] for k in SECURE} == SECURE


def test_every_kafka_client_the_code_builds_carries_the_sasl_ssl_settings(secure_settings, built):
    missing = []
    for where, build in _client_builders(secure_settings).items():
        before = len(built)
        with contextlib.suppress(_Built, Exception):
            build()
        if len(built) == before:
            missing.append(f"{where}: built no client")
            continue
        for conf in built[before:]:
            if {k: conf.get(k) for k in SECURE} != SECURE:
                missing.append(f"{where}: {conf}")
    assert not missing, missing


def _kafka_client_calls(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("Producer", "Consumer", "AdminClient"):
            yield node


def test_no_production_module_builds_a_kafka_client_without_the_helper():
    """A new client added later without ``client_config`` fails here (the dynamic test
    above only knows the clients that existed when it was written)."""
    offenders = []
    for package in ("connectors", "streams", "inkstream", "ops", "schemas"):
        for path in (ROOT / package).rglob("*.py"):
            for call in _kafka_client_calls(path):
                arg = call.args[0] if call.args else None
                helper = isinstance(arg, ast.Call) and getattr(arg.func, "id", None) in ("client_config", "kafka_config")
                # A config built earlier in the function from the helper (runtime loop).
                if not helper and "client_config(" not in ast.get_source_segment(path.read_text(), _function_of(path, call)):
                    offenders.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not offenders, offenders


def _function_of(path: Path, call: ast.Call) -> ast.AST:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.lineno <= call.lineno <= node.end_lineno:
            best = node
    return best

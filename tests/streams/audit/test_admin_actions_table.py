"""admin.actions records, read back from the real broker, land in ``admin_actions`` and chain
under ``~admin.actions`` (real Kafka, real codec, real chDB)."""

from __future__ import annotations

import pytest

from inkstream.admin_audit import record_admin_action
from session_codec import session_codec
from streams.audit.sink import AuditSink
from streams.runtime import Processor
from streams.runtime.testing import run_processor
from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions

pytestmark = pytest.mark.stack


def test_admin_actions_are_stored_and_chained(store, settings):
    create_admin_topic(settings)
    record_admin_action(settings, actor="os:ops", action="apikey.create", target="k_abc",
                        detail={"scopes": "admin"})
    record_admin_action(settings, actor="apikey:k_abc", action="apikey.revoke", target="k_old")
    raw = read_admin_actions(settings)
    codec = session_codec()  # reads the registry's Confluent ids the admin records were written with
    sink = AuditSink(lambda: store, decode=codec.decode)
    proc = Processor(name="audit", inputs=("admin.actions",), batch_sink=sink)
    assert run_processor(proc, [("admin.actions", value, key.decode()) for key, value in raw], codec=codec).dead == []
    assert store.query("SELECT actor, action, target, detail FROM admin_actions FINAL ORDER BY action")[1] == [
        ("os:ops", "apikey.create", "k_abc", '{"scopes":"admin"}'), ("apikey:k_abc", "apikey.revoke", "k_old", "{}")]
    assert store.query("SELECT seq FROM audit_events WHERE doc_id = '~admin.actions' ORDER BY seq")[1] == [(1,), (2,)]

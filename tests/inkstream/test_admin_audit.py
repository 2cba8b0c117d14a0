"""Admin actions are audited on the real broker, with opaque ids only, or refused."""

from __future__ import annotations

import pytest
from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions

import inkstream.admin_audit as admin_audit
from inkstream.admin_audit import AdminAuditError, opaque_email, record_admin_action
from session_codec import decode


@pytest.mark.stack
def test_an_admin_action_is_on_the_topic_when_the_call_returns(settings):
    create_admin_topic(settings)
    record_admin_action(settings, actor="os:ops", action="apikey.revoke", target="k_1a2b3c",
                        detail={"source": "scanner-1", "scopes": "ingest,status"})
    [(key, value)] = read_admin_actions(settings)
    record = decode(value)
    assert key == b"k_1a2b3c"
    assert (record["actor"], record["action"], record["target"]) == ("os:ops", "apikey.revoke", "k_1a2b3c")
    assert record["detail"] == {"source": "scanner-1", "scopes": "ingest,status"}
    assert record["doc_id"] == "" and record["producer"]["name"] == "admin" and record["event_id"]


@pytest.mark.stack
def test_no_email_address_reaches_the_topic(settings):
    create_admin_topic(settings)
    email = "Ana.Silva@example.com"
    record_admin_action(settings, actor=f"reviewer:{email}", action="reviewer.add", target=email,
                        detail={"note": f"invited {email}", "role": "admin"})
    [(key, value)] = read_admin_actions(settings)
    # Not in the bytes at all (key or value), in any case, nor any "@" in a decoded string.
    assert email.lower().encode() not in value.lower() and b"@" not in (key or b"")
    record = decode(value)
    strings = [record["actor"], record["target"], *record["detail"].keys(), *record["detail"].values()]
    assert not [v for v in strings if "@" in v]
    assert record["target"] == opaque_email(email) == opaque_email("ana.silva@EXAMPLE.com")
    assert record["actor"] == f"reviewer:{opaque_email(email)}"
    assert record["detail"] == {"note": f"invited {opaque_email(email)}", "role": "admin"}


def test_an_unreachable_kafka_refuses_the_action(settings, monkeypatch):
    monkeypatch.setattr(admin_audit, "_DELIVERY_TIMEOUT_S", 1.5)
    dead = settings.model_copy(update={"kafka": settings.kafka.model_copy(update={"bootstrap_servers": "127.0.0.1:1"})})
    with pytest.raises(AdminAuditError, match=r"apikey\.create.*refused.*admin\.actions"):
        record_admin_action(dead, actor="os:ops", action="apikey.create", target="k_x")


@pytest.mark.stack
def test_a_missing_topic_refuses_the_action_and_says_how_to_fix_it(settings):
    with pytest.raises(AdminAuditError, match=r"admin\.actions does not exist.*inkstream up"):
        record_admin_action(settings, actor="os:ops", action="apikey.create", target="k_x")


def test_admin_actions_is_created_by_the_stack_and_read_by_the_audit_sink(base_settings):
    from inkstream.topic_plan import planned_topics
    from streams.audit.processor import audit_topics

    assert {"admin.actions", "admin.actions.dlq"} <= set(planned_topics(base_settings))
    assert planned_topics(base_settings)["admin.actions"].partitions == 1
    assert {"admin.actions", "admin.actions.dlq"} <= set(audit_topics(base_settings))


def test_an_action_without_actor_is_refused(settings):
    with pytest.raises(ValueError, match="actor"):
        record_admin_action(settings, actor="", action="apikey.create", target="k_x")

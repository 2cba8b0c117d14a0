"""Reviewer roles on the real review app: only an ``admin`` manages reviewers (a plain
reviewer gets 403), and every admin action is on ``admin.actions`` (real Kafka) before it
takes effect, or it does not happen."""

from __future__ import annotations

import pytest
import typer
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from inkstream.admin_audit import opaque_email, os_actor
from app.commands import review as commands
from session_codec import decode
from streams.review.app import ReviewDeps, create_app
from streams.review.queue import ReviewQueue
from streams.review.users import Reviewers
from tests.inkstream.admin_audit_kafka import create_admin_topic, read_admin_actions
from tests.streams.review.conftest import MemoryStore, review_record
from tests.streams.review.review_login import login

pytestmark = pytest.mark.stack
PASSWORD = "correct horse battery"


@pytest.fixture
def audited(settings, tmp_path):
    s = settings.model_copy(update={"data_dir": tmp_path / "data"})
    create_admin_topic(s)
    return s


@pytest.fixture
def reviewers(audited):
    from streams.review.users import reviewers_path

    r = Reviewers(reviewers_path(audited))
    r.add_user("ana", PASSWORD, role="reviewer")
    r.add_user("root", PASSWORD, role="admin")
    return r


def _app(settings, reviewers):
    store, queue = MemoryStore(), ReviewQueue()
    queue.apply(review_record(store))
    # No record_admin given: the app audits on admin.actions itself, as in production.
    deps = ReviewDeps(queue=queue, reviewers=reviewers, store=store, publish=lambda r: None,
                      record_action=lambda *a: None)
    return create_app(settings, deps)


def _logged_in(app, name: str) -> TestClient:
    client = TestClient(app)
    assert login(client, name, PASSWORD).status_code == 303
    return client


def _actions(settings) -> list[tuple[dict, bytes]]:
    return [(decode(v), v) for _, v in read_admin_actions(settings)]


def _calls(client, **kw):
    return [client.get("/review/admin/users", **kw),
            client.post("/review/admin/users", data={"name": "eve", "password": PASSWORD, "role": "admin"}, **kw),
            client.post("/review/admin/users/eve/tokens", data={"role": "admin"}, **kw),
            client.delete("/review/admin/users/root", **kw)]


def test_a_plain_reviewer_gets_403_on_every_admin_action_and_nothing_changes(audited, reviewers):
    app = _app(audited, reviewers)
    by_cookie = _logged_in(app, "ana")
    token = reviewers.add_token("proxy-user", role="reviewer")
    for resp in _calls(by_cookie) + _calls(TestClient(app), headers={"Authorization": f"Bearer {token}"}):
        assert resp.status_code == 403, resp.text
    assert [r.status_code for r in _calls(TestClient(app))] == [401] * 4
    assert [u["name"] for u in reviewers.list_users()] == ["ana", "proxy-user", "root"]
    assert _actions(audited) == []


def test_an_admin_adds_a_reviewer_who_can_then_log_in_and_it_is_audited(audited, reviewers):
    app = _app(audited, reviewers)
    admin = _logged_in(app, "root")
    resp = admin.post("/review/admin/users", data={"name": "bob", "password": "another long password"})
    assert resp.status_code == 201 and resp.json() == {"name": "bob", "role": "reviewer"}
    assert login(TestClient(app), "bob", "another long password").status_code == 303
    [(record, raw)] = _actions(audited)
    assert (record["actor"], record["action"], record["target"], record["detail"]) == (
        "reviewer:root", "reviewer.add", "bob", {"role": "reviewer"})
    assert b"another long password" not in raw


def test_an_admin_token_works_for_its_user_and_is_never_in_the_audit(audited, reviewers):
    app = _app(audited, reviewers)
    admin = _logged_in(app, "root")
    resp = admin.post("/review/admin/users/carol/tokens", data={"role": "reviewer"})
    assert resp.status_code == 201 and resp.headers["cache-control"] == "no-store"
    token = resp.json()["token"]
    assert TestClient(app).get("/review", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    [(record, raw)] = _actions(audited)
    assert (record["action"], record["target"]) == ("reviewer.token", "carol")
    assert token.encode() not in raw


def test_removing_a_reviewer_ends_their_session_and_tokens_at_once(audited, reviewers):
    app = _app(audited, reviewers)
    ana = _logged_in(app, "ana")
    token = reviewers.add_token("ana", role="reviewer")
    assert ana.get("/review").status_code == 200
    admin = _logged_in(app, "root")
    assert admin.delete("/review/admin/users/ana").status_code == 200
    assert ana.get("/review").status_code == 401
    assert TestClient(app).get("/review", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert admin.delete("/review/admin/users/ana").status_code == 404  # nothing done, nothing audited
    assert [(r["actor"], r["action"], r["target"]) for r, _ in _actions(audited)] == [
        ("reviewer:root", "reviewer.remove", "ana")]


def test_an_admin_lists_reviewers_without_hashes_and_the_listing_is_audited(audited, reviewers):
    admin = _logged_in(_app(audited, reviewers), "root")
    resp = admin.get("/review/admin/users")
    assert resp.status_code == 200
    assert {(u["name"], u["role"]) for u in resp.json()["users"]} == {("ana", "reviewer"), ("root", "admin")}
    assert "hash" not in resp.text and "salt" not in resp.text
    assert [(r["action"], r["target"]) for r, _ in _actions(audited)] == [("reviewer.list", "reviewers")]


def test_an_e_mail_login_is_audited_as_an_opaque_id(audited, reviewers):
    admin = _logged_in(_app(audited, reviewers), "root")
    assert admin.post("/review/admin/users", data={"name": "Dana@Example.org", "password": PASSWORD}).status_code == 201
    [(record, raw)] = _actions(audited)
    assert record["target"] == opaque_email("dana@example.org") and b"example.org" not in raw.lower()


def test_bad_input_is_422_and_nothing_is_audited(audited, reviewers):
    admin = _logged_in(_app(audited, reviewers), "root")
    assert admin.post("/review/admin/users", data={"name": "bob", "password": "short"}).status_code == 422
    assert admin.post("/review/admin/users", data={"name": "bob", "password": PASSWORD, "role": "owner"}).status_code == 422
    assert admin.post("/review/admin/users", data={"name": " bob", "password": PASSWORD}).status_code == 422
    assert _actions(audited) == [] and reviewers.role_of("bob") is None


def test_when_the_audit_cannot_be_written_the_change_is_refused(audited, reviewers, monkeypatch):
    import inkstream.admin_audit as admin_audit

    monkeypatch.setattr(admin_audit, "_DELIVERY_TIMEOUT_S", 1.5)
    dead = audited.model_copy(update={"kafka": audited.kafka.model_copy(update={"bootstrap_servers": "127.0.0.1:1"})})
    admin = _logged_in(_app(dead, reviewers), "root")
    assert admin.post("/review/admin/users", data={"name": "bob", "password": PASSWORD}).status_code == 503
    assert admin.delete("/review/admin/users/ana").status_code == 503
    assert reviewers.role_of("bob") is None and reviewers.role_of("ana") == "reviewer"


@pytest.fixture
def cli(audited, monkeypatch):
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(audited.data_dir))
    monkeypatch.setenv("INKSTREAM_TOPICS__PREFIX", audited.topics.prefix)
    monkeypatch.setenv("INKSTREAM_REVIEWER_PASSWORD", PASSWORD)
    app = typer.Typer()
    commands.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_cli_add_token_and_remove_are_audited_as_the_os_user(cli, audited, reviewers):
    assert cli("reviewer", "add", "bob", "--role", "admin").exit_code == 0
    token = cli("reviewer", "token", "bob").output.strip()
    assert reviewers.check_token(token).name == "bob"
    assert cli("reviewer", "remove", "bob").exit_code == 0
    assert cli("reviewer", "remove", "bob").exit_code == 1
    records = [(r["actor"], r["action"], r["target"], r["detail"]) for r, _ in _actions(audited)]
    assert records == [(os_actor(), "reviewer.add", "bob", {"role": "admin"}),
                       (os_actor(), "reviewer.token", "bob", {"role": "reviewer"}),
                       (os_actor(), "reviewer.remove", "bob", {})]
    assert all(token.encode() not in raw for _, raw in _actions(audited))


def test_cli_without_kafka_exits_1_and_changes_nothing(cli, audited, reviewers, monkeypatch):
    import inkstream.admin_audit as admin_audit

    monkeypatch.setattr(admin_audit, "_DELIVERY_TIMEOUT_S", 1.5)
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    result = cli("reviewer", "add", "mallory", "--role", "admin")
    assert result.exit_code == 1 and "refused" in result.output and "Traceback" not in result.output
    assert reviewers.role_of("mallory") is None

"""The review page as N instances sharing reviewers and sessions through Kafka
(``state.backend: kafka``): two apps, each with its own tables (two hosts), one broker; the
browser's cookie goes to whichever instance the load balancer picks."""

from __future__ import annotations


import pytest
from tests.streams.review.conftest import MemoryStore, review_record
from fastapi.testclient import TestClient
from tests.streams.review.review_login import PASSWORD, login

from inkstream.admin_audit import record_admin_action
from session_codec import decode
from streams.review.app import ReviewDeps, create_app
from streams.review.queue import ReviewQueue
from streams.review.shared import KafkaSessionStore, SharedReviewers, open_reviewers, open_session_store
from tests.inkstream.admin_audit_kafka import read_admin_actions

from tests.polling import until

pytestmark = pytest.mark.stack


@pytest.fixture
def hosts(settings, tmp_path, kafka_topics):
    base = settings.model_copy(update={"state": settings.state.model_copy(update={"backend": "kafka"})})
    kafka_topics(base, {"admin.actions": 1})
    made = []

    def host(name: str):
        s = base.model_copy(update={"data_dir": tmp_path / f"host-{name}"})
        reviewers, sessions = open_reviewers(s), open_session_store(s)
        assert isinstance(reviewers, SharedReviewers) and isinstance(sessions, KafkaSessionStore)
        made.extend([reviewers, sessions])
        store, queue = MemoryStore(), ReviewQueue()
        queue.apply(review_record(store))
        deps = ReviewDeps(queue=queue, reviewers=reviewers, session_store=sessions, store=store,
                          publish=lambda *a: None, record_action=lambda *a: None,
                          reread_page=lambda *a: [], record_admin=lambda **kw: None)
        return s, reviewers, TestClient(create_app(s, deps))

    yield host
    for thing in made:
        thing.close()
    from topic_admin import delete_topics
    delete_topics(base, [base.topics.name("admin.state")])


def _as_browser_on(client: TestClient, other: TestClient) -> TestClient:
    """``other`` with ``client``'s cookies and CSRF header: the next request of the same browser."""
    other.cookies = client.cookies
    other.headers["X-CSRF-Token"] = client.headers.get("X-CSRF-Token", "")
    return other


def test_a_reviewer_added_on_one_host_logs_in_on_another_and_the_session_works_everywhere(hosts):
    (sa, ra, a), (_, rb, b) = hosts("a"), hosts("b")
    ra.add_user("ana", PASSWORD, before_save=lambda: record_admin_action(
        sa, actor="os:test", action="reviewer.add", target="ana", detail={"role": "reviewer"}))
    [(_, raw)] = read_admin_actions(sa)  # audited before it was written
    assert decode(raw)["action"] == "reviewer.add"
    assert "hash" in ra._users.get("ana") and PASSWORD not in str(ra._users.items())
    until(lambda: rb.role_of("ana") == "reviewer")
    assert login(b).status_code == 303  # logs in on B
    # The very next page of that browser, served by A: the session made on B is found there.
    assert _as_browser_on(b, a).get("/review", headers={"accept": "text/html"}).status_code == 200


def test_logout_on_one_host_ends_the_session_on_the_other(hosts):
    (_, ra, a), (_, rb, b) = hosts("a"), hosts("b")
    ra.add_user("ana", PASSWORD)
    until(lambda: rb.role_of("ana") is not None)
    assert login(a).status_code == 303
    cookies, token = dict(a.cookies), a.headers["X-CSRF-Token"]
    assert _as_browser_on(a, b).get("/review").status_code == 200
    assert a.post("/review/logout", follow_redirects=False).status_code == 303
    # The same cookie replayed on B (a stolen copy, or a tab still open there).
    b.cookies = cookies
    b.headers["X-CSRF-Token"] = token
    took = until(lambda: b.get("/review").status_code == 401)
    assert took < 5


def test_a_password_change_on_one_host_ends_sessions_on_every_host(hosts):
    (_, ra, a), (_, rb, b) = hosts("a"), hosts("b")
    ra.add_user("ana", PASSWORD)
    until(lambda: rb.role_of("ana") is not None)
    assert login(b).status_code == 303
    assert b.get("/review").status_code == 200
    rb.add_user("ana", "a brand new passphrase")  # changed on B
    until(lambda: _as_browser_on(b, a).get("/review").status_code == 401)
    assert b.get("/review").status_code == 401
    assert login(a, password=PASSWORD).status_code == 401  # the old password is gone on A too

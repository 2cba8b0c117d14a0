"""Issue 12 item 6, the review page's attacks: a cross-origin POST riding the admin's cookie
(it added an admin user), login CSRF, a cookie still valid after logout, no CSP or
frame-ancestors. Each is tried here and must now fail."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from streams.review.app import ReviewDeps, create_app
from streams.review.queue import ReviewQueue
from streams.review.sessions import MemorySessionStore
from streams.review.users import Reviewers
from tests.streams.review.conftest import MemoryStore, review_record
from tests.streams.review.review_login import PASSWORD, form_token, login

EVIL = "https://evil.example"


@pytest.fixture
def app_and_reviewers(tmp_path, base_settings):
    reviewers = Reviewers(tmp_path / "users.json")
    reviewers.add_user("ana", PASSWORD, role="reviewer")
    reviewers.add_user("root", PASSWORD, role="admin")
    store, queue = MemoryStore(), ReviewQueue()
    record = review_record(store)
    queue.apply(record)
    store_sessions = MemorySessionStore()
    deps = ReviewDeps(queue=queue, reviewers=reviewers, store=store, publish=lambda r: None,
                      record_action=lambda *a: None, record_admin=lambda *a: None,
                      reread_page=lambda data, ctype, page: [], session_store=store_sessions)
    app = create_app(base_settings.model_copy(update={"data_dir": tmp_path}), deps)
    return app, reviewers, record, store_sessions


def test_a_cross_origin_post_with_the_admins_cookie_adds_no_user(app_and_reviewers):
    app, reviewers, _, _ = app_and_reviewers
    admin = TestClient(app)
    assert login(admin, "root").status_code == 303
    form = {"name": "mallory", "password": "mallory's long password", "role": "admin"}
    # Another site's page posting with the victim's cookie: Origin says where it came from.
    assert admin.post("/review/admin/users", data=form, headers={"Origin": EVIL}).status_code == 403
    assert admin.post("/review/admin/users", data=form, headers={"Origin": "null"}).status_code == 403
    assert admin.post("/review/admin/users", data=form,
                      headers={"Referer": f"{EVIL}/x", "X-CSRF-Token": ""}).status_code == 403
    assert admin.post("/review/admin/users", data=form, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    # Without Origin (an old browser, a form from a sibling host): no CSRF token, no change.
    bare = TestClient(app)
    bare.cookies.update(admin.cookies)
    assert bare.post("/review/admin/users", data=form).status_code == 403
    assert bare.post("/review/admin/users", data={**form, "csrf_token": "guess"}).status_code == 403
    assert reviewers.role_of("mallory") is None
    # The admin's own page (same origin, the session's token) still works.
    ok = admin.post("/review/admin/users", data=form, headers={"Origin": "http://testserver"})
    assert ok.status_code == 201 and reviewers.role_of("mallory") == "admin"


def test_a_cross_origin_decision_is_refused(app_and_reviewers):
    app, _, record, _ = app_and_reviewers
    client = TestClient(app)
    login(client)
    r = client.post(f"/review/docs/{record['doc_id']}/decision", data={"decision": "rejected"},
                    headers={"Origin": EVIL})
    assert r.status_code == 403
    del client.headers["X-CSRF-Token"]
    assert client.post(f"/review/docs/{record['doc_id']}/decision", data={"decision": "rejected"}).status_code == 403


def test_login_csrf_another_site_cannot_log_the_victim_into_its_account(app_and_reviewers):
    app, _, _, _ = app_and_reviewers
    attacker = TestClient(app)
    token = form_token(attacker.get("/review/login").text)  # the attacker's own valid form
    victim = TestClient(app)
    forged = {"username": "ana", "password": PASSWORD, "csrf_token": token}
    r = victim.post("/review/login", data=forged, follow_redirects=False)  # no matching pre-login cookie
    assert r.status_code == 403 and "inkstream_review=" not in r.headers.get("set-cookie", "")
    r = victim.post("/review/login", data={"username": "ana", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    victim.get("/review/login")
    r = victim.post("/review/login", data=forged, headers={"Origin": EVIL}, follow_redirects=False)
    assert r.status_code == 403
    assert victim.get("/review").status_code == 401


def test_logout_ends_the_session_on_the_server(app_and_reviewers):
    app, _, _, sessions = app_and_reviewers
    client = TestClient(app)
    login(client)
    stolen = client.cookies.get("inkstream_review")
    assert client.post("/review/logout", follow_redirects=False).status_code == 303
    replay = TestClient(app)
    replay.cookies.set("inkstream_review", stolen)
    assert replay.get("/review").status_code == 401  # was valid for 8 hours before
    assert sessions.delete_where(lambda s: True) == 0


@pytest.mark.parametrize("change", ["password", "role", "removed"])
def test_a_password_change_ends_every_session_of_that_reviewer(app_and_reviewers, change):
    app, reviewers, _, _ = app_and_reviewers
    browsers = [TestClient(app), TestClient(app)]
    for b in browsers:
        login(b)
        assert b.get("/review").status_code == 200
    other = TestClient(app)
    login(other, "root")
    if change == "password":
        reviewers.add_user("ana", "a brand new long password")  # as `inkstream reviewer add` does
    elif change == "role":
        reviewers.add_user("ana", PASSWORD, role="admin")
    else:
        reviewers.remove_user("ana")
    assert [b.get("/review").status_code for b in browsers] == [401, 401]
    assert other.get("/review").status_code == 200


def test_the_cookie_is_an_opaque_id_and_the_store_keeps_only_its_hash(app_and_reviewers):
    app, _, _, sessions = app_and_reviewers
    client = TestClient(app)
    login(client)
    cookie = client.cookies.get("inkstream_review")
    assert "ana" not in cookie and len(cookie) >= 40
    assert cookie not in sessions._items and len(sessions._items) == 1


def test_every_answer_carries_csp_frame_ancestors_nosniff_and_referrer_policy(app_and_reviewers):
    app, _, record, _ = app_and_reviewers
    client = TestClient(app)
    answers = [client.get("/review/login"), client.get("/review"),
               client.post("/review/login", data={}, headers={"Origin": EVIL})]
    login(client)
    page = client.get(f"/review/docs/{record['doc_id']}")
    answers.append(page)
    for r in answers:
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin" and r.headers["x-frame-options"] == "DENY"
    nonce = re.search(r"script-src 'nonce-([^']+)'", page.headers["content-security-policy"]).group(1)
    assert f'<script nonce="{nonce}">' in page.text  # the page's own script runs, injected ones do not
    assert "unsafe-inline" not in page.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    assert client.get("/review/login").headers["content-security-policy"] != page.headers["content-security-policy"]


def test_a_bearer_token_client_needs_no_csrf_token(app_and_reviewers):
    app, reviewers, record, _ = app_and_reviewers
    token = reviewers.add_token("ana")
    r = TestClient(app).post(f"/review/docs/{record['doc_id']}/pages/1/ocr",
                             headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200

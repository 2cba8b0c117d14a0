"""The review session cookie: HttpOnly and SameSite=strict always, Secure when the page is
served over TLS; failed logins are audited without the typed user name."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from streams.review.app import ReviewDeps, create_app
from streams.review.queue import ReviewQueue
from streams.review.users import Reviewers
from tests.streams.review.conftest import MemoryStore, review_record
from tests.streams.review.review_login import login


def _app(settings, tmp_path, actions):
    reviewers = Reviewers(tmp_path / "users.json")
    reviewers.add_user("ana", "correct horse battery", role="reviewer")
    store, queue = MemoryStore(), ReviewQueue()
    queue.apply(review_record(store))
    deps = ReviewDeps(queue=queue, reviewers=reviewers, store=store, publish=lambda r: None,
                      record_action=lambda who, action, doc, detail: actions.append((who.name, action, detail)),
                      reread_page=lambda data, ctype, page: [])
    return create_app(settings, deps)


@pytest.mark.parametrize("tls", [True, False])
def test_the_session_cookie_is_httponly_strict_and_secure_exactly_under_tls(tls, tmp_path, base_settings):
    http = base_settings.http.model_copy(update={"tls_cert": Path("/etc/inkstream/cert.pem"),
                                                 "tls_key": Path("/etc/inkstream/key.pem")} if tls else {})
    settings = base_settings.model_copy(update={"data_dir": tmp_path, "http": http})
    client = TestClient(_app(settings, tmp_path, []), base_url="https://testserver" if tls else "http://testserver")
    resp = login(client)
    assert resp.status_code == 303
    cookie = next(c for c in resp.headers.get_list("set-cookie") if c.startswith("inkstream_review=")).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert ("; secure" in cookie) is tls


def test_a_failed_login_is_audited_without_the_typed_user_name(tmp_path, base_settings):
    actions: list = []
    client = TestClient(_app(base_settings.model_copy(update={"data_dir": tmp_path}), tmp_path, actions))
    typed = "correct horse battery"  # people type passwords into the user field
    assert login(client, typed, "x").status_code == 401
    assert [a for a in actions if a[1] == "login_failed"] and typed not in repr(actions)

"""A reviewer deciding a document whose subject was erased meanwhile: 410, nothing written,
the document leaves the queue (the real sealing codec refuses to seal for a destroyed key)."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from schemas.codec import Codec
from schemas.records import envelope
from streams.review import ReviewQueue, Reviewers
from streams.review.app import ReviewDeps, create_app
from tests.streams.review.review_login import login


def test_a_decision_on_an_erased_document_is_gone_not_a_server_error(base_settings, tmp_path) -> None:
    crypto = base_settings.crypto.model_copy(update={"document_keys_dir": tmp_path / "documents",
                                                     "keyring_file": tmp_path / "keyring.json"})
    settings = base_settings.model_copy(update={"data_dir": tmp_path, "crypto": crypto})
    codec = Codec.from_settings(settings)
    doc_id = uuid.uuid4().hex
    original = {"bucket": "b", "key": "originals/ab/abc", "version_id": None, "sha256": "ab" * 32,
                "size_bytes": 1, "content_type": "application/pdf"}
    record = {**envelope(doc_id, producer="extract"), "source": "http", "original": original, "crm_ref": None,
              "doc_type": "contract", "status": "review", "extractor_version": "rules-1", "line_items": [],
              "review": None, "fields": []}
    queue = ReviewQueue()
    queue.apply(codec.decode(codec.encode("fields.validated", record)))  # as the follower read it
    written: list[bytes] = []
    reviewers = Reviewers(tmp_path / "users.json")
    reviewers.add_user("ana", "correct horse battery", role="reviewer")
    deps = ReviewDeps(queue=queue, reviewers=reviewers, store=None,
                      publish=lambda out: written.append(codec.encode("fields.validated", out)),
                      record_action=lambda *a: None, reread_page=None)
    client = TestClient(create_app(settings, deps))
    login(client)
    codec.keys.destroy(doc_id)  # the subject is erased while the page is open (the app's key store)
    r = client.post(f"/review/docs/{doc_id}/decision", data={"decision": "rejected"})
    assert r.status_code == 410 and "erased" in r.json()["detail"]
    assert written == [] and queue.get(doc_id) is None

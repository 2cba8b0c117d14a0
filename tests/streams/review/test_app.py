from fastapi.testclient import TestClient
from tests.streams.review.review_login import login as _login


def login(client, password="correct horse battery"):
    return _login(client, "ana", password)


def test_pages_refuse_anonymous_visitors(review):
    client = TestClient(review.app)
    assert client.get("/review").status_code == 401
    assert client.get("/review", headers={"accept": "text/html"}, follow_redirects=False).headers["location"] == "/review/login"


def test_wrong_password_is_refused_without_a_session(review):
    client = TestClient(review.app)
    assert login(client, "not the password").status_code == 401
    assert client.get("/review").status_code == 401


def test_forged_session_cookie_is_refused(review):
    client = TestClient(review.app)
    client.cookies.set("inkstream_review", "ana")
    assert client.get("/review").status_code == 401


def test_list_shows_documents_waiting_for_review(review):
    client = TestClient(review.app)
    assert login(client).status_code == 303
    page = client.get("/review").text
    assert review.record["doc_id"] in page and "total_amount" in page


def test_document_page_draws_the_source_box_of_each_field(review):
    client = TestClient(review.app)
    login(client)
    html = client.get(f"/review/docs/{review.record['doc_id']}").text
    assert 'id="box-total_amount"' in html and 'y="200.0"' in html
    png = client.get(f"/review/docs/{review.record['doc_id']}/pages/1.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(f"/review/docs/{review.record['doc_id']}/pages/9.png").status_code == 404


def test_correcting_a_field_and_approving_publishes_an_approved_record(review):
    client = TestClient(review.app)
    login(client)
    doc_id = review.record["doc_id"]
    r = client.post(f"/review/docs/{doc_id}/decision", follow_redirects=False,
                    data={"field.counterparty": "Acme Corp", "field.total_amount": "48250.00",
                          "field.currency": "USD", "decision": "approved"})
    assert r.status_code == 303
    [out] = review.published
    assert out["status"] == "approved" and out["review"]["reviewer"] == "ana"
    assert out["review"]["changes"] == [{"field": "total_amount", "old": None, "new": "48250.00"}]
    amount = next(f for f in out["fields"] if f["name"] == "total_amount")
    assert (amount["normalized"], amount["status"], amount["confidence"]) == ("48250.00", "accept", 1.0)
    assert out["trace"] == review.record["trace"] and out["event_id"] != review.record["event_id"]
    assert review.queue.pending() == []
    assert ("ana", "approved", doc_id) in review.actions
    # A second decision on the same document is refused, not published twice.
    again = client.post(f"/review/docs/{doc_id}/decision", data={"decision": "rejected"})
    assert again.status_code == 409 and len(review.published) == 1


def test_unknown_field_or_decision_is_refused_with_a_reason(review):
    client = TestClient(review.app)
    login(client)
    doc_id = review.record["doc_id"]
    r = client.post(f"/review/docs/{doc_id}/decision", data={"field.iban": "x", "decision": "approved"})
    assert r.status_code == 422 and "iban" in r.json()["detail"]
    r = client.post(f"/review/docs/{doc_id}/decision", data={"decision": "maybe"})
    assert r.status_code == 422
    assert review.published == []


def test_bearer_token_from_a_proxy_authenticates_and_is_stored_hashed(review):
    token = review.reviewers.add_token("bob", role="admin")
    client = TestClient(review.app)
    assert client.get("/review", headers={"authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/review", headers={"authorization": "Bearer nope"}).status_code == 401
    assert token not in review.reviewers.path.read_text()


def test_rerun_ocr_on_a_page_is_recorded(review):
    client = TestClient(review.app)
    login(client)
    r = client.post(f"/review/docs/{review.record['doc_id']}/pages/1/ocr")
    assert r.json()["lines"][0]["text"] == "USD 48,250.00"
    assert ("ana", "reread_page", review.record["doc_id"]) in review.actions


def test_an_unknown_document_shows_why_it_is_waiting_and_where_values_were_read(review):
    review.record.update({"doc_type": "credit_note", "reason": "required fields not accepted: total_amount"})
    review.record["fields"][0]["source"] = "memory"
    client = TestClient(review.app)
    login(client)
    html = client.get(f"/review/docs/{review.record['doc_id']}").text
    assert "credit note" in html and "Why it is here: required fields not accepted: total_amount" in html
    assert "read (memory)" in html

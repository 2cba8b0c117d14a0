"""The whole pipeline as real processes on the real stack (Kafka, S3, chDB), one document
at a time through the paths users take:

- a scanned contract whose amount is blurred lands in review; a reviewer fixes the amount
  in headless Chromium and approves; the approved record follows on fields.validated;
- the approved contract becomes CRM commands (dry run) and an envelope; the provider's
  webhooks (signed, Standard Webhooks) complete it; the signed PDF is stored next to the
  original with its hash; the final CRM commands follow; the audit chain verifies.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from pathlib import Path

import pytest

from inkstream.settings import load_settings
from app.supervise import Supervisor
from topic_admin import delete_prefixed, new_prefix  # tests/topic_admin.py

pytestmark = [pytest.mark.stack, pytest.mark.slow]
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
BLURRED = "contract-scanned-blurred-amount.pdf"
PORTS = {"review": 9581, "webhooks": 9582, "audit_query": 9583}
PROCESSORS = ("ocr", "extract", "map", "crm", "esign.dispatch", "esign.complete", "audit")


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e")
    prefix = new_prefix("e2e")  # its topics and groups are deleted when the module ends
    env = {"INKSTREAM_DATA_DIR": str(data_dir), "INKSTREAM_TOPICS__PREFIX": prefix,
           "INKSTREAM_CRM__DRY_RUN": "true",  # explicit, as in the demo (no CRM credentials here)
           "INKSTREAM_REVIEW__PORT": str(PORTS["review"]), "INKSTREAM_ESIGN__WEBHOOKS_PORT": str(PORTS["webhooks"]),
           "INKSTREAM_AUDIT__QUERY_PORT": str(PORTS["audit_query"])}
    settings = load_settings(data_dir=str(data_dir), topics={"prefix": prefix},
                             review={"port": PORTS["review"]}, esign={"webhooks_port": PORTS["webhooks"]},
                             audit={"query_port": PORTS["audit_query"]})
    from ops.stack.topics import ensure_topics
    from streams.review.users import reviewers_path
    from streams.review.users import Reviewers

    Reviewers(reviewers_path(settings)).add_user("rita", "a long enough password", role="reviewer")
    sup = Supervisor(data_dir / "logs", env=env)
    for i, name in enumerate(PROCESSORS):  # 10 ports each: a processor may run one worker per core
        sup.add(name, ["run", name, "--metrics-port", str(9500 + 10 * i)], port=9500 + 10 * i)
    sup.add("webhooks", ["run", "webhooks", "--port", str(PORTS["webhooks"])], port=PORTS["webhooks"])
    sup.add("review", ["run", "review", "--port", str(PORTS["review"])], port=PORTS["review"])
    try:
        ensure_topics(settings)
        sup.start_all()
        sup.wait_healthy(timeout=240)
        yield settings, sup
    finally:
        sup.stop_all()
        delete_prefixed(settings, prefix)


@pytest.fixture(scope="module")
def tracker(pipeline):
    from app.tracker import Tracker
    from schemas.codec import Codec

    settings, _ = pipeline
    t = Tracker(settings, Codec.from_settings(settings), since_ms=0)
    yield t
    t.close()


def wait_for(tracker, condition, what: str, timeout: float = 300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tracker.poll(1.0)
        value = condition()
        if value:
            return value
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def blurred_contract(pipeline):
    from connectors.capture.document import CapturedDocument
    from connectors.capture.listeners import Capture

    settings, _ = pipeline
    capture = Capture(settings, client_id="e2e")
    try:
        # Fresh bytes (a comment appended after %%EOF) so the object is not a duplicate of
        # what other runs stored; PDF readers ignore the trailer comment.
        data = (SAMPLES / BLURRED).read_bytes() + f"\n% e2e {uuid.uuid4()}\n".encode()
        result = capture.ingest_one(CapturedDocument(source="http", filename=BLURRED, data=data))
    finally:
        capture.close()
    return result.doc_id, hashlib.sha256(data).hexdigest()


def test_blurred_amount_goes_to_review_and_the_browser_fix_is_approved(pipeline, tracker, blurred_contract):
    from playwright.sync_api import sync_playwright

    settings, _ = pipeline
    doc_id, _ = blurred_contract
    view = tracker.view(doc_id)
    wait_for(tracker, lambda: view.decision == "review", "the contract to land in review")
    amount = next(f for f in view.latest_fields["fields"] if f["name"] == "total_amount")
    assert amount["status"] != "accept"
    truth = json.loads((SAMPLES / "labels.json").read_text())[BLURRED]["fields"]["total_amount"]

    base = f"http://127.0.0.1:{PORTS['review']}"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.goto(f"{base}/review/login")
        page.fill("input[name=username]", "rita")
        page.fill("input[name=password]", "a long enough password")
        page.click("button[type=submit]")
        # The follower may take a moment to read the record the tracker already saw.
        for _ in range(30):
            if page.locator(f"a[href='/review/docs/{doc_id}']").count():
                break
            page.wait_for_timeout(1000)
            page.reload()
        page.click(f"a[href='/review/docs/{doc_id}']")
        img = page.locator("figure.page img").first  # polled: the page's CSP forbids eval'd waits
        for _ in range(300):
            if img.evaluate("i => i.naturalWidth") > 0:
                break
            page.wait_for_timeout(100)
        page.fill("#field-total_amount", truth)
        page.click("button.approve")
        assert "recorded" in page.inner_text(".flash")
        browser.close()

    approved = wait_for(tracker, lambda: view.decision == "approved" and view.latest_fields, "the approved record")
    assert approved["review"]["reviewer"] == "rita"
    fixed = next(f for f in approved["fields"] if f["name"] == "total_amount")
    assert (fixed["normalized"], fixed["status"]) == (truth, "accept")
    assert approved["trace"] == view.ingested["trace"]


def test_approved_contract_is_signed_stored_and_synced(pipeline, tracker, blurred_contract):
    from app.commands.esign import run_simulation
    from connectors.esign.simulate import SEQUENCES, SimSigner
    from connectors.objectstore import ObjectRef, open_store

    settings, _ = pipeline
    doc_id, original_sha = blurred_contract
    view = tracker.view(doc_id)
    wait_for(tracker, lambda: view.decision == "approved", "the approval (previous test)")
    wait_for(tracker, lambda: view.envelopes, "an envelope for the approved contract")
    ops = view.operations()
    assert {"upsert", "attach_file", "request_signature"} <= set(ops)
    assert all(c["mapping_version"] for c in view.commands.values())

    rows = run_simulation(settings, provider="standard", doc_id=doc_id,
                          url=f"http://127.0.0.1:{PORTS['webhooks']}", envelope_id=next(iter(view.envelopes)),
                          events=list(SEQUENCES["standard"]), key=None,
                          signer=SimSigner("Rita Signer", "rita.signer@example.com", auth_method="email"))
    assert [status for _, status, _ in rows] == [200] * len(rows)

    wait_for(tracker, lambda: view.signed and "update_signature_status" in view.operations(),
             "the signed PDF and the signature-status command", timeout=180)
    signed = ObjectRef.from_record(view.signed)
    store = open_store(settings)
    assert hashlib.sha256(store.get(signed)).hexdigest() == signed.sha256
    assert signed.key == f"signed/{doc_id}/{signed.sha256}.pdf"
    original = ObjectRef.from_record(view.ingested["original"])
    assert hashlib.sha256(store.get(original)).hexdigest() == original_sha  # never overwritten
    completed = [e for e in view.esign if e["event_type"] == "completed"]
    assert len(completed) == 1 and completed[0]["signer"]["email"] == "rita.signer@example.com"


def test_audit_chain_of_the_document_verifies(pipeline, tracker, blurred_contract):
    from connectors.objectstore import open_store
    from streams.audit.query import open_reader
    from streams.audit.verify import verify

    settings, _ = pipeline
    doc_id, _ = blurred_contract
    view = tracker.view(doc_id)
    wait_for(tracker, lambda: view.signed, "the signed PDF (previous test)")
    reader = open_reader(settings)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the sink flushes at most every second
        _, rows = reader.query("SELECT countIf(topic LIKE '%esign.events') FROM audit_events "
                               "WHERE doc_id = {d:String}", {"d": doc_id})
        if rows[0][0] >= 5:
            break
        time.sleep(1)
    report = verify(reader, open_store(settings), doc_id=doc_id)
    assert report.ok, [str(p) for p in report.problems]
    assert report.rows >= 10 and report.files >= 2  # original and signed PDF re-hashed


def test_a_stock_avro_consumer_reads_every_mission_topic_the_pipeline_wrote(pipeline, tracker, blurred_contract):
    """Issue 14: after a real run, confluent-kafka's own DeserializingConsumer with the stock
    AvroDeserializer and the stack's registry reads every record the processors wrote on the
    five mission topics (no inkstream code on the reading side); the document's personal
    values come out as ciphertext, its ids and statuses in clear."""
    from confluent_kafka import DeserializingConsumer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer

    from schemas.field_encryption import is_encrypted_value

    settings, _ = pipeline
    doc_id, _ = blurred_contract
    view = tracker.view(doc_id)
    wait_for(tracker, lambda: view.signed and "update_signature_status" in view.operations(),
             "the signed contract (previous tests)", timeout=180)
    mission = ("documents.ingested", "ocr.results", "fields.validated", "esign.events", "crm.commands")
    names = {settings.topics.name(t): t for t in mission}
    consumer = DeserializingConsumer({
        "bootstrap.servers": settings.kafka.bootstrap, "group.id": f"stock-{uuid.uuid4()}",
        "auto.offset.reset": "earliest", "enable.auto.commit": False, "isolation.level": "read_committed",
        **settings.kafka.client,
        "value.deserializer": AvroDeserializer(SchemaRegistryClient({"url": settings.registry.url}))})
    seen: dict[str, list[dict]] = {t: [] for t in mission}
    try:
        consumer.subscribe(list(names))
        deadline, quiet = time.monotonic() + 90, 0
        while time.monotonic() < deadline and (not all(seen.values()) or quiet < 10):
            msg = consumer.poll(0.5)  # raises on any record the stock deserializer cannot read
            if msg is None or msg.error() is not None:
                quiet += 1
                continue
            quiet = 0
            seen[names[msg.topic()]].append(msg.value())
    finally:
        consumer.close()
    assert all(seen.values()), {t: len(v) for t, v in seen.items()}
    mine = {t: [r for r in rows if r["doc_id"] == doc_id] for t, rows in seen.items()}
    assert all(mine.values()), {t: len(v) for t, v in mine.items()}
    assert mine["fields.validated"][-1]["status"] == "approved"
    assert any(r["event_type"] == "completed" for r in mine["esign.events"])
    completed = next(r for r in mine["esign.events"] if r["event_type"] == "completed")
    assert is_encrypted_value(completed["signer"]["email"])  # personal: ciphertext, not the address
    text = mine["ocr.results"][0]["pages"][0]["lines"][0]["text"]
    assert is_encrypted_value(text)
    assert "rita.signer@example.com" not in json.dumps(seen, default=str)


def test_no_log_of_the_run_carries_the_documents_personal_data(pipeline, tracker, blurred_contract):
    """Last in the module: every process's log of the whole run (OCR text, extracted
    fields, CRM commands, envelope, webhooks, review) holds none of the document's names
    and e-mail addresses, nor the signer's (SECURITY.md, "Personal data in logs")."""
    import re

    settings, _ = pipeline
    view = tracker.view(blurred_contract[0])
    wait_for(tracker, lambda: view.signed, "the signed PDF (previous tests)")
    fields = json.loads((SAMPLES / "labels.json").read_text())[BLURRED]["fields"]
    personal = {fields[k] for k in ("counterparty", "signer_name", "signer_email", "customer") if fields.get(k)}
    personal |= {"Rita Signer", "rita.signer@example.com"}  # the signer of the e-sign step
    assert len(personal) >= 3
    logs = sorted(p for p in (Path(settings.data_dir) / "logs").rglob("*") if p.is_file())
    assert {p.stem for p in logs} >= {"ocr", "extract", "crm", "webhooks", "review"}, logs
    email = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
    leaks = []
    for path in logs:
        text = path.read_text(errors="replace")
        leaks += [f"{path.name}: {value!r}" for value in personal if value.lower() in text.lower()]
        leaks += [f"{path.name}: e-mail {m!r}" for m in email.findall(text)]
    assert not leaks, leaks

"""A review app over an in-memory object store and list sinks: no broker needed."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from fpdf import FPDF

from connectors.objectstore import ObjectRef
from schemas.records import envelope
from streams.review import ReviewQueue, Reviewers
from streams.review.app import ReviewDeps, create_app

DPI = 200


class MemoryStore:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key, data, *, content_type, metadata=None):
        data = data if isinstance(data, bytes) else data.read()
        self.objects[key] = data
        return ObjectRef("inkstream", key, "v1", hashlib.sha256(data).hexdigest(), len(data), content_type)

    def get(self, ref):
        return self.objects[ref.key]

    def exists(self, key):
        return None


def contract_pdf() -> bytes:
    pdf = FPDF(format="letter")
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="SERVICES AGREEMENT")
    pdf.ln(12)
    pdf.cell(text="Total contract value: USD 48,250.00")
    return bytes(pdf.output())


def review_record(store: MemoryStore) -> dict:
    ref = store.put("originals/ab/abc", contract_pdf(), content_type="application/pdf")
    doc_id = uuid.uuid4().hex
    field = lambda name, raw, norm, conf, status, y: {  # noqa: E731
        "name": name, "value": raw, "normalized": norm, "confidence": conf, "status": status, "page": 1,
        "box": {"x0": 60.0, "y0": y, "x1": 700.0, "y1": y + 40.0}, "reason": None}
    return {
        **envelope(doc_id, producer="extract"), "source": "http", "original": ref.to_record(), "crm_ref": None,
        "doc_type": "contract", "status": "review", "extractor_version": "rules-1", "line_items": [], "review": None,
        "fields": [field("counterparty", "Acme Corp", "Acme Corp", 0.97, "accept", 100.0),
                   field("total_amount", "USD 4B,250.00", None, 0.41, "reject", 200.0),
                   field("currency", "USD", "USD", 0.95, "accept", 200.0)],
    }


@pytest.fixture
def review(tmp_path, base_settings):
    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    store, queue = MemoryStore(), ReviewQueue()
    reviewers = Reviewers(tmp_path / "users.json")
    reviewers.add_user("ana", "correct horse battery", role="reviewer")
    published, actions = [], []
    record = review_record(store)
    queue.apply(record)
    deps = ReviewDeps(queue=queue, reviewers=reviewers, store=store, publish=published.append,
                      record_action=lambda who, action, doc, detail: actions.append((who.name, action, doc)),
                      reread_page=lambda data, ctype, page: [{"text": "USD 48,250.00", "confidence": 0.99}])
    app = create_app(settings, deps)
    return type("Review", (), {"app": app, "record": record, "published": published, "actions": actions,
                               "queue": queue, "reviewers": reviewers})

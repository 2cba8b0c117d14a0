"""Sender memory: where a sender puts each field, learnt from reviewers' decisions.

Commercial intake tools learn a supplier's layout from the first corrected document;
so does inkstream. When a reviewer approves a document (correcting fields or not), the
``extract-memory`` processor turns the decision into records on the compacted topic
``extract.memory``, one per (sender, doc type, field): the page, the field's box relative
to the page, the label printed beside it, for the sender's own identifiers (name, VAT id,
IBAN, currency, a receipt's merchant address) a SHA-256 of the value (never a value, nor a
hash of a customer's name or an amount) and, for dates, the day/month order the reviewer's
value proves. Every extract worker follows the topic from the beginning
(:class:`MemoryFollower`), so all of them read with the same memory.

Reading (extractor version ``memory-1``): for each remembered field, the text at the
remembered place, next to the remembered label, parsed like the rules parse it, is a
second reading, source ``memory``:
- it agrees with the rules' value → a strong check (both readings, independent);
- the rules found nothing, could not decide (an ambiguous date) or could not confirm a
  name → the memory's reading is used; the same value as last time (hash) is a check, a
  sender's constant that is not the same value as last time is capped below accept;
- the rules' value was *contradicted* by a cross-check, or an accepted rules value
  disagrees with the memory → review, with both readings in the reason.

The sender is the supplier's VAT id, else the first e-mail domain printed, else a
fingerprint of the letterhead's words, each hashed.

>>> mem = SenderMemory()
>>> mem.learn({"sender": "vat:0123", "doc_type": "invoice", "doc_id": "d1", "fields": []})
>>> mem.known("vat:0123", "invoice")
True
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from streams.extract.confidence import UNCHECKED_CAP, FieldValue, boost
from streams.extract.finders import DATE, AMOUNT
from streams.extract.layout import Layout, Line
from streams.extract.lexicon import IBAN, VAT_ID
from streams.extract.normalize import (
    Parsed, normalize_amount, normalize_currency, normalize_date, normalize_name,
)
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemas.codec import Codec
    from inkstream.settings import Settings

__all__ = ["SenderMemory", "fingerprint", "memory_record", "MemoryFollower", "learner", "TOPIC"]

log = logging.getLogger(__name__)
TOPIC = "extract.memory"
_FREEMAIL = {"gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "hotmail.com", "gmx.de", "gmx.net",
             "web.de", "t-online.de", "orange.fr", "free.fr", "live.com", "icloud.com", "wp.pl", "libero.it"}


def _h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# A sender's own identifiers repeat on every document: "the same value as last time" is a
# check for them. Other values (customers, amounts, numbers) change and are not kept, not
# even hashed.
SENDER_CONSTANTS = {"supplier", "supplier_vat_id", "iban", "currency", "merchant", "merchant_address"}
# Fields printed as a block of lines, read back whole: a receipt's address under its letterhead.
# No label is printed beside it (the line above is the merchant's name, a value, never kept).
BLOCK_FIELDS = {"merchant_address"}


def value_hash(name: str, normalized: str) -> str:
    return hashlib.sha256(f"{name}\x00{normalized}".encode()).hexdigest()


def fingerprint(layout: Layout, values: list[FieldValue]) -> str | None:
    """vat:/mail:/layout: + 16 hex digits of SHA-256 (no plain identifier leaves here)."""
    from streams.extract.parties import vat_id_valid

    vat = next((f.normalized for f in values if f.name == "supplier_vat_id" and f.normalized), None)
    # An id whose check digits fail is a misread or a specimen (DE123456789 heads the samples of
    # many producers): two senders would share it, so the next reading decides instead.
    if vat and vat_id_valid(vat) is not False:
        return "vat:" + _h(vat)
    # from the start of an address only: tried inside a 100 000-character word, each start ran to its end (n²)
    for m in re.finditer(r"(?<![\w.+-])[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", layout.text):
        domain = m[1].lower()
        if domain not in _FREEMAIL:
            return "mail:" + _h(domain)
    if not layout.lines:
        return None
    first = layout.lines[0].page
    words = [w.lower() for ln in layout.lines[:12] if ln.page == first for w in re.findall(r"[^\W\d_]{3,}", ln.text)]
    return "layout:" + _h(" ".join(sorted(set(words)))) if len(set(words)) >= 3 else None


# How each field is read back from the page (the same normalisers the rules use).
def _parser(name: str, date_order: str | None):
    if name.endswith("_date"):
        locale = {"dmy": "EU", "mdy": "US"}.get(date_order or "")
        return partial(normalize_date, locale=locale, dots_day_first=True), DATE
    if name.endswith("_amount"):
        return normalize_amount, AMOUNT
    if name == "currency":
        return normalize_currency, r"US\$|\$|€|£|[A-Z]{3}|zł"
    if name.endswith("vat_id"):
        return (lambda s: Parsed(re.sub(r"[\s.\-]", "", s).upper()) if re.fullmatch(VAT_ID, s.strip()) else Parsed(None, 0.0)), VAT_ID
    if name == "iban":
        return (lambda s: Parsed(re.sub(r"\s", "", s))), IBAN
    if name in BLOCK_FIELDS:  # the lines joined by one space, as merchant_address.py reads them
        return (lambda s: Parsed(" ".join(s.split())) if re.search(r"[^\W\d_]", s) else Parsed(None, 0.0)), r"\S.*\S|\S"
    if name == "invoice_number":
        from streams.extract.multilingual import _INVOICE_NO, _invoice_number
        return _invoice_number, _INVOICE_NO
    return normalize_name, r"\S.*\S|\S"


@dataclass(frozen=True)
class Place:
    name: str
    page: int
    box: dict  # fractions of the page: x0, y0, x1, y1 in [0, 1]
    label: str | None
    value_sha256: str | None
    date_order: str | None


class SenderMemory:
    """(sender, doc_type) → where each field is. Thread-safe: the follower writes it."""

    def __init__(self) -> None:
        self._places: dict[tuple[str | None, str], dict[str, Place]] = {}
        self._from: dict[tuple[str | None, str], str] = {}
        self._lock = threading.Lock()

    def known(self, sender: str | None, doc_type: str) -> bool:
        with self._lock:
            return (sender, doc_type) in self._places

    def learn(self, record: dict) -> None:
        """Apply one ``extract.memory`` record: its fields replace those fields' places (the
        topic is keyed per field, so compaction keeps the latest place of every field)."""
        places = {f["name"]: Place(f["name"], f["page"], f["box"], f.get("label"), f.get("value_sha256"),
                                   f.get("date_order")) for f in record.get("fields") or []}
        key = (record["sender"], record["doc_type"])
        with self._lock:
            self._places.setdefault(key, {}).update(places)
            self._from[key] = record.get("doc_id", "")

    def forget(self, sender: str, doc_type: str, field: str | None = None) -> None:
        with self._lock:
            if field is None:
                self._places.pop((sender, doc_type), None)
            else:
                self._places.get((sender, doc_type), {}).pop(field, None)

    def apply(self, sender: str | None, doc_type: str, layout: Layout, values: list[FieldValue]) -> list[FieldValue]:
        with self._lock:
            places = dict(self._places.get((sender, doc_type), {}))
            learnt_from = self._from.get((sender, doc_type), "")
        if not places:
            return values
        by_name = {f.name: f for f in values}
        out = list(values)
        for name, place in places.items():
            read = _read_place(layout, place)
            if read is None:
                continue
            why = f"sender memory (learnt from reviewed document {learnt_from})"
            mem = FieldValue(name, read[0], read[1].normalized, read[2].confidence, read[2].page, read[2].box,
                             [f"read where {why} says"], source="memory")
            same_as_before = place.value_sha256 and mem.normalized is not None and \
                value_hash(name, mem.normalized) == place.value_sha256
            rules = by_name.get(name)
            if rules is not None and rules.normalized is not None and rules.normalized == mem.normalized:
                boost(rules, f"{why} agrees")
                continue
            if rules is not None and rules.contradicted:
                rules.reasons.append(f"{why} reads {mem.normalized!r}")
                continue
            if rules is not None and rules.normalized is not None and not rules.force_review and rules.confidence >= 0.9:
                rules.force_review = True
                rules.reasons.append(f"two readings disagree: {why} reads {mem.normalized!r}")
                continue
            if same_as_before:
                boost(mem, "the same value as on the reviewed document")
            elif place.value_sha256:
                # A sender's constant (its name, its address) that is not what the reviewer saw last
                # time: read at the right place, but nothing checks it.
                mem.confidence = min(mem.confidence, UNCHECKED_CAP)
                mem.reasons.append("not the value on the reviewed document")
            if rules is not None and rules.normalized is not None:
                mem.reasons.append(f"the rules read {rules.normalized!r} but could not confirm it")
            out = [mem if f.name == name else f for f in out]
            if rules is None:
                out.append(mem)
        return out


def _read_place(layout: Layout, place: Place) -> tuple[str, Parsed, Line] | None:
    """The value at the remembered place, next to the remembered label."""
    parse, pattern = _parser(place.name, place.date_order)
    dims = layout.page_sizes.get(place.page)
    if not dims:
        return None
    w, h = dims
    box = {"x0": place.box["x0"] * w, "y0": place.box["y0"] * h, "x1": place.box["x1"] * w, "y1": place.box["y1"] * h}
    if place.name in BLOCK_FIELDS:
        return _read_block(layout, place.page, box, parse)
    cy = (box["y0"] + box["y1"]) / 2
    tol = max(box["y1"] - box["y0"], 10.0)
    for ln in layout.lines:
        if ln.page != place.page or abs((ln.box["y0"] + ln.box["y1"]) / 2 - cy) > tol:
            continue
        if min(ln.box["x1"], box["x1"]) - max(ln.box["x0"], box["x0"]) <= 0:
            continue
        if place.label and not _label_near(layout, ln, place.label):
            continue
        text = ln.text
        if place.label and place.label.lower() in text.lower():
            text = text[text.lower().index(place.label.lower()) + len(place.label):]
        m = re.search(pattern, text, re.I)
        if not m:
            continue
        parsed = parse(m[0].strip(" :"))
        if parsed.ok:
            return m[0].strip(" :"), parsed, ln
    return None


def _read_block(layout: Layout, page: int, box: dict, parse) -> tuple[str, Parsed, Line] | None:
    """The lines whose middles lie inside the remembered block, in reading order, joined by one
    space (the line returned is the first: it carries the page and the OCR confidence)."""
    inside = [ln for ln in layout.lines if ln.page == page
              and box["y0"] - 0.5 * ln.height <= (ln.box["y0"] + ln.box["y1"]) / 2 <= box["y1"] + 0.5 * ln.height
              and min(ln.box["x1"], box["x1"]) - max(ln.box["x0"], box["x0"]) > 0]
    if not inside:
        return None
    raw = " ".join(ln.text.strip() for ln in inside)
    parsed = parse(raw)
    return (raw, parsed, inside[0]) if parsed.ok else None


def _locate_block(layout: Layout, name: str, new: str) -> tuple[dict, dict, str | None] | None:
    """Where a block value a reviewer typed is printed: the one run of consecutive lines of a page
    that, joined, reads it (two runs = which one is unknown). No label: see BLOCK_FIELDS."""
    parse, _ = _parser(name, None)
    found = []
    for i, first in enumerate(layout.lines):
        run: list[Line] = []
        for ln in layout.lines[i:]:
            if ln.page != first.page:
                break
            run.append(ln)
            joined = parse(" ".join(x.text.strip() for x in run)).normalized or ""
            if joined == new:
                found.append(run)
            if len(joined) >= len(new):
                break
    size = layout.page_sizes.get(first.page) if found else None
    if len(found) != 1 or not size:
        return None
    run = found[0]
    box = {"x0": min(x.box["x0"] for x in run), "y0": min(x.box["y0"] for x in run),
           "x1": max(x.box["x1"] for x in run), "y1": max(x.box["y1"] for x in run)}
    value = " ".join(x.text.strip() for x in run)
    return ({"name": name, "value": value, "normalized": new, "page": run[0].page, "box": box},
            {"label": None, "page_width": size[0], "page_height": size[1]}, None)


def _label_near(layout: Layout, ln: Line, label: str) -> bool:
    label = label.lower()
    if label in ln.text.lower():
        return True
    row = layout.rows[ln.row] if ln.row < len(layout.rows) else []
    left = [x for x in row if x.box["x1"] <= ln.box["x0"] + 1]
    if left and label in left[-1].text.lower():
        return True
    above = [x for x in layout.lines if x.page == ln.page and x.row == ln.row - 1
             and min(x.box["x1"], ln.box["x1"]) - max(x.box["x0"], ln.box["x0"]) > 0]
    return any(label in x.text.lower() for x in above)


def anchor_label(layout: Layout, f: FieldValue) -> str | None:
    """The label printed left of the value on its line, in the box to its left, or above it."""
    if f.box is None or f.page is None:
        return None
    for ln in layout.lines:
        if ln.page != f.page or ln.box["y1"] < f.box["y0"] or ln.box["y0"] > f.box["y1"]:
            continue
        if not (ln.box["x0"] - 1 <= f.box["x0"] <= ln.box["x1"] + 1):
            continue
        before = ln.text[:max(0, round((f.box["x0"] - ln.box["x0"]) / max(ln.box["x1"] - ln.box["x0"], 1) * len(ln.text)))]
        words = re.findall(r"[^\W\d_][^\W\d_.\-/]*(?:[ .\-/][^\W\d_]+)*\.?", before)
        if words:
            return words[-1][-40:].strip()
        row = layout.rows[ln.row]
        left = [x for x in row if x.box["x1"] <= ln.box["x0"] + 1]
        if left:
            words = re.findall(r"[^\W\d_][^\W\d_.\-/]*(?:[ .\-/][^\W\d_]+)*\.?", left[-1].text)
            if words:
                return words[-1][-40:].strip()
        above = [x for x in layout.lines if x.page == ln.page and x.row == ln.row - 1
                 and min(x.box["x1"], ln.box["x1"]) - max(x.box["x0"], ln.box["x0"]) > 0]
        if above and re.search(r"[^\W\d_]{3}", above[0].text) and len(above[0].text) <= 40:
            return above[0].text.strip()
        return None
    return None


def _date_order(raw: str | None, new: str) -> str | None:
    if not raw:
        return None
    for order, locale in (("dmy", "EU"), ("mdy", "US")):
        if normalize_date(raw, locale=locale).normalized == new:
            other = normalize_date(raw, locale="US" if order == "dmy" else "EU").normalized
            return order if other != new else None
    return None


def _locate(layout: Layout, name: str, new: str) -> tuple[dict, dict, str | None] | None:
    """Where the value a reviewer typed is printed: (field dict with value/page/box, anchor,
    date order). Only a place with a label beside or above it, and only if the document
    prints the value in one labelled place (two = which one is unknown)."""
    if name in BLOCK_FIELDS:
        return _locate_block(layout, name, new)
    found: list[tuple[dict[str, Any], dict[str, Any], Any]] = []
    for order in ((None, "dmy", "mdy") if name.endswith("_date") else (None,)):
        parse, pattern = _parser(name, order)
        for ln in layout.lines:
            for m in re.finditer(pattern, ln.text, re.I):
                raw = m[0].strip(" :")
                if not raw or parse(raw).normalized != new:
                    continue
                w = (ln.box["x1"] - ln.box["x0"]) / max(len(ln.text), 1)
                box = {"x0": ln.box["x0"] + w * m.start(), "y0": ln.box["y0"], "x1": ln.box["x0"] + w * m.end(),
                       "y1": ln.box["y1"]}
                probe = FieldValue(name, raw, new, 1.0, ln.page, box)
                label = anchor_label(layout, probe)
                size = layout.page_sizes.get(ln.page)
                if label and size:
                    found.append(({"name": name, "value": raw, "normalized": new, "page": ln.page, "box": box},
                                  {"label": label, "page_width": size[0], "page_height": size[1]}, order))
        if found:
            break
    places = {(f["page"], round(f["box"]["y0"]), a["label"]) for f, a, _ in found}
    return found[0] if len(places) == 1 else None


def memory_record(decision: dict, layout: Layout | None = None) -> dict | None:
    """A reviewer's approved ``fields.validated`` record → an ``extract.memory`` record,
    or None when there is nothing to learn (no sender, not approved, no located field).
    With the document's ``layout`` a value the extractor never located (or located at the
    wrong place) is found where the document prints it."""
    review = decision.get("review") or {}
    if decision.get("status") != "approved" or not decision.get("sender") or review.get("decision") != "approved":
        return None
    changed = {c["field"]: c for c in review.get("changes") or []}
    places = []
    for f in decision["fields"]:
        new, anchor, box = f.get("normalized"), f.get("anchor"), f.get("box")
        order = None
        if new is not None and layout is not None and (f["name"] in changed or box is None):
            located = _locate(layout, f["name"], new)
            if located is not None:
                f, anchor, order = located
                box = f["box"]
        if new is None or not anchor or box is None or f.get("page") is None:
            continue
        if order is None and f["name"].endswith("_date"):
            order = _date_order(f.get("value"), new)
        parse, _ = _parser(f["name"], order)
        # A corrected value learns its place only if the text there says what the reviewer typed.
        if f["name"] in changed and parse(f.get("value") or "").normalized != new:
            continue
        w, h = anchor["page_width"], anchor["page_height"]
        places.append({"name": f["name"], "page": f["page"],
                       "box": {"x0": box["x0"] / w, "y0": box["y0"] / h, "x1": box["x1"] / w, "y1": box["y1"] / h},
                       "label": None if f["name"] in BLOCK_FIELDS else anchor.get("label"), "date_order": order,
                       "value_sha256": value_hash(f["name"], new) if f["name"] in SENDER_CONSTANTS else None})
    if not places:
        return None
    from schemas.records import envelope

    env = envelope(decision["doc_id"], producer="extract-memory", trace=decision.get("trace"))
    return {"event_id": env["event_id"], "occurred_at": env["occurred_at"], "producer": env["producer"],
            "sender": decision["sender"], "doc_type": decision["doc_type"], "doc_id": decision["doc_id"],
            "fields": places}


class LayoutCache:
    """The pages of documents waiting for a reviewer, so a correction can be located.

    ``ocr.results`` arrives first, then the extractor's verdict on ``fields.validated``:
    accepted documents are dropped at once, those in review are kept (at most ``size``,
    oldest out) until their decision. In memory only: after a restart a decision on an
    older document learns from the boxes in the record alone."""

    def __init__(self, size: int = 2000) -> None:
        from collections import OrderedDict

        self.size = size
        self._pages: OrderedDict[Any, Any] = OrderedDict()

    def offer(self, doc_id: str, pages: list) -> None:
        self._pages[doc_id] = pages
        self._pages.move_to_end(doc_id)
        while len(self._pages) > self.size:
            self._pages.popitem(last=False)

    def verdict(self, record: dict) -> Layout | None:
        """The layout of a decided document (and forget it); None for anything else."""
        doc_id = record.get("doc_id")
        if record.get("review"):
            pages = self._pages.pop(doc_id, None)
            return Layout.from_ocr({"pages": pages}) if pages else None
        if record.get("status") != "review":
            self._pages.pop(doc_id, None)
        return None


def learner(settings: Settings | None = None):
    """``inkstream run extract-memory``: reviewers' decisions on fields.validated → extract.memory.

    It reads ``ocr.results`` too (same key, same partition count, so the same worker sees
    a document's pages and its decision) to locate values the extractor never found."""
    from streams.runtime import Emit, Processor

    cache = LayoutCache()

    def handle(record: dict, ctx) -> Iterator[Emit]:
        if ctx.topic == "ocr.results":
            if isinstance(record.get("pages"), list) and record["pages"]:
                cache.offer(record["doc_id"], record["pages"])
            return
        layout = cache.verdict(record)
        out = memory_record(record, layout) if record.get("review") else None
        if out is None:
            return
        # One record per field, keyed "<sender>|<doc_type>|<field>": compaction keeps the
        # latest place of each field, and a later review that teaches only some fields
        # does not erase the others.
        for place in out["fields"]:
            yield Emit(TOPIC, {**out, "fields": [place]}, key=f"{out['sender']}|{out['doc_type']}|{place['name']}")

    return Processor(name="extract-memory", inputs=("ocr.results", "fields.validated"), handle=handle,
                     version="memory-1")


class MemoryFollower(threading.Thread):
    """Keeps a :class:`SenderMemory` current from ``extract.memory`` (replayed from the start)."""

    def __init__(self, settings: Settings, memory: SenderMemory, codec: Codec) -> None:
        super().__init__(name="extract-memory-follower", daemon=True)
        from confluent_kafka import Consumer

        from inkstream.kafka_config import client_config

        self.memory, self.codec = memory, codec
        self.topic = settings.topics.name(TOPIC)
        self.caught_up = threading.Event()
        self._stopping = threading.Event()
        self._consumer = Consumer(client_config(settings, **{
            "group.id": f"inkstream.extract-memory.{uuid.uuid4().hex}", "enable.auto.commit": False,
            "isolation.level": "read_committed", "auto.offset.reset": "earliest"}))

    def run(self) -> None:
        self._consumer.subscribe([self.topic])
        idle_since = time.monotonic()
        try:
            while not self._stopping.is_set():
                msg = self._consumer.poll(0.5)
                if msg is None:
                    if time.monotonic() - idle_since > 1.0:
                        self.caught_up.set()
                    continue
                idle_since = time.monotonic()
                if msg.error():
                    log.warning("memory follower: %s", msg.error())
                    continue
                if msg.value() is None:  # a tombstone: that place was erased
                    sender, doc_type, field = ((msg.key() or b"").decode().split("|") + ["", ""])[:3]
                    self.memory.forget(sender, doc_type, field or None)
                    continue
                try:
                    self.memory.learn(self.codec.decode(msg.value() or b"", msg.topic()))  # a tombstone fails to decode
                except Exception as exc:  # noqa: BLE001 - a bad record must not stop every extract worker
                    log.warning("memory follower skipped offset %s: %s", msg.offset(), type(exc).__name__)
        finally:
            self._consumer.close()

    def stop(self) -> None:
        self._stopping.set()

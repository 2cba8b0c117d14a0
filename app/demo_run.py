"""The steps of ``inkstream demo`` (see app/demo.py)."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.demo_processes import PROCESSES
from inkstream.errors import StackError
from inkstream.settings import Settings
from app.supervise import Supervisor
from app.tracker import DocView, Tracker

__all__ = ["DemoRun"]

_KEY_FIELDS = {"contract": ("counterparty", "total_amount", "currency", "effective_date"),
               "invoice": ("customer", "invoice_number", "total_amount", "currency")}


class DemoRun:
    def __init__(self, settings: Settings, console: Console, *, samples: Path, review_by_hand: bool,
                 keep_running: bool, timeout: float, webhook_receiver: str | None = None) -> None:
        self.settings, self.console = settings, console
        self.samples, self.labels = samples, labels(samples)
        self.review_by_hand, self.keep_running, self.timeout = review_by_hand, keep_running, timeout
        self.docs: dict[str, str] = {}          # doc_id -> file name
        self.reviewed: set[str] = set()
        self.simulated: set[str] = set()
        self.webhook_receiver = webhook_receiver

    # -- steps -------------------------------------------------------------------------
    def run(self) -> bool:
        self._stack()
        from schemas.codec import Codec

        self.codec = Codec.from_settings(self.settings)
        log_dir = Path(self.settings.data_dir) / "logs" / "demo"
        from inkstream.tls import client_ca

        from app.demo_webhooks import DemoWebhooks

        # subscribed before the processors start (every event of the run reaches it), and
        # deleted after they stop, --keep-running's Ctrl-C included
        with DemoWebhooks(self.settings, self.webhook_receiver) as self.webhooks, \
                Supervisor(log_dir, tls_ca=client_ca(self.settings.http)) as sup:
            for name, (argv, port) in PROCESSES.items():
                sup.add(name, argv, port=port)
            with self.console.status("starting the processors…"):
                sup.start_all()
                sup.wait_healthy(timeout=180)
            self.console.print(f"[green]✓[/green] {len(PROCESSES)} processes running (logs: {log_dir})")
            tracker = Tracker(self.settings, self.codec, since_ms=int(time.time() * 1000) - 1000)
            try:
                self._ingest()
                done = self._follow(tracker)
                with self.console.status("waiting for the outbound webhooks…"):
                    self.webhooks.wait([tracker.view(d) for d in self.docs])
                audit = self._audit()
                hooks_ok = self._report(tracker, audit)
            finally:
                tracker.close()
            if self.keep_running:
                self.console.print("processors keep running; press Ctrl-C to stop them")
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    pass
        return done and audit.ok and hooks_ok

    def _stack(self) -> None:
        from ops.stack import stack
        from ops.stack.topics import ensure_topics

        if not all(c.healthy for c in stack.status(self.settings)):
            with self.console.status("starting the local stack (Kafka, S3, Prometheus)…"):
                stack.up(self.settings, log=lambda msg: self.console.log(msg))
        ensure_topics(self.settings)
        self.console.print("[green]✓[/green] stack up: Kafka, S3, Prometheus, chDB")

    def _ingest(self) -> None:
        from connectors.capture.document import CapturedDocument
        from connectors.capture.listeners import Capture

        files = sorted(p for p in self.samples.iterdir() if p.suffix.lower() in (".pdf", ".png", ".jpg", ".tif"))
        if not files:
            raise StackError(f"no sample documents in {self.samples}")
        capture = Capture(self.settings, client_id="inkstream-demo")
        try:
            with self._progress() as bar:
                task = bar.add_task("ingest", total=len(files))
                for path in files:
                    result = capture.ingest_one(CapturedDocument(source="cli", filename=path.name, path=path,
                                                                 source_ref="demo"))
                    self.docs[result.doc_id] = path.name
                    bar.advance(task)
        finally:
            capture.close()

    def _follow(self, tracker: Tracker) -> bool:
        deadline = time.monotonic() + self.timeout
        stages = ("read", "extracted", "decided", "in CRM", "finished")
        with self._progress() as bar:
            tasks = {s: bar.add_task(s, total=len(self.docs)) for s in stages}
            while time.monotonic() < deadline:
                tracker.poll(1.0)
                counts = dict.fromkeys(stages, 0)
                for doc_id in self.docs:
                    view = tracker.view(doc_id)
                    self._act(view)
                    for stage, reached in zip(stages, self._progress_of(view)):
                        counts[stage] += reached
                for stage, n in counts.items():
                    bar.update(tasks[stage], completed=n)
                if counts["finished"] == len(self.docs):
                    return True
        self.console.print(f"[red]timed out after {self.timeout:.0f}s[/red]")
        return False

    def _act(self, view: DocView) -> None:
        """Play the reviewer and the e-sign provider where the document waits for them."""
        if view.decision == "review" and view.doc_id not in self.reviewed:
            self.reviewed.add(view.doc_id)
            if self.review_by_hand:
                self.console.print(f"review needed: {'https' if self.settings.http.tls_cert else 'http'}://{self.settings.review.host}:{self.settings.review.port}"
                                   f"/review/docs/{view.doc_id}")
            else:
                self._review(view)
        if view.envelopes and view.doc_id not in self.simulated:
            self.simulated.add(view.doc_id)
            self._sign(view.doc_id, next(iter(view.envelopes)))

    def _review(self, view: DocView) -> None:
        """Correct the fields the extractor was unsure of from the samples' labels, and approve."""
        from app.actors import approve_with_labels
        from streams.review.follower import KafkaPublisher

        truth = self.labels.get(self.docs[view.doc_id], {}).get("fields", {})
        fixed = approve_with_labels(KafkaPublisher(self.settings, self.codec), view.latest_fields, truth,
                                    reviewer="demo-reviewer")
        self.console.print(f"reviewed {self.docs[view.doc_id]}: corrected {', '.join(fixed) or 'nothing'}")

    def _sign(self, doc_id: str, envelope_id: str) -> None:
        from app.actors import sign_envelope

        refused = sign_envelope(self.settings, doc_id, envelope_id, port=PROCESSES["webhooks"][1])
        if refused:
            self.console.print(f"[red]webhooks refused for {doc_id}: {refused}[/red]")

    @staticmethod
    def _progress_of(view: DocView) -> tuple[bool, ...]:
        decided = view.decision in ("accepted", "approved", "rejected")
        needs_signature = any(c["operation"] == "request_signature" for c in view.commands.values())
        signed = any(c["operation"] == "update_signature_status" for c in view.commands.values())
        finished = bool(view.dead) or view.decision == "rejected" or (
            decided and bool(view.commands) and (signed or not needs_signature))
        return (view.ocr is not None or bool(view.dead), bool(view.fields), decided,
                bool(view.commands), finished)

    def _audit(self):
        """Wait for the audit sink to store the run, then verify its chains and files."""
        from connectors.objectstore import open_store
        from streams.audit.query import open_reader
        from streams.audit.verify import verify

        reader = open_reader(self.settings)
        ids = list(self.docs)
        last, stable_since = -1, time.monotonic()
        with self.console.status("waiting for the audit sink…"):
            while time.monotonic() - stable_since < 4:
                _, rows = reader.query("SELECT count() FROM audit_events WHERE doc_id IN {ids:Array(String)}",
                                       {"ids": ids})
                count = rows[0][0]
                if count != last:
                    last, stable_since = count, time.monotonic()
                time.sleep(1)
        report = verify(reader, open_store(self.settings, ensure_bucket=False))
        return report

    def _report(self, tracker: Tracker, audit) -> bool:
        table = Table(title="What happened to each document")
        for column in ("document", "type", "read from", "outcome", "party", "amount", "fields right",
                       "CRM commands", "signature", "webhooks received"):
            table.add_column(column, overflow="fold")
        for doc_id, name in self.docs.items():
            view = tracker.view(doc_id)
            record = view.latest_fields or {}
            fields = {f["name"]: f.get("normalized") for f in record.get("fields", [])}
            outcome = record.get("status", "failed" if view.dead else "pending")
            if record.get("review"):
                outcome += f" by {record['review']['reviewer']}"
            truth = self.labels.get(name, {}).get("fields", {})
            right = sum(fields.get(k) == v for k, v in truth.items())
            ops = view.operations()
            signed = view.signed
            signature = f"signed {signed['sha256'][:10]}…" if signed else (
                "requested" if "request_signature" in ops else "-")
            if view.dead:
                signature = f"DLQ: {view.dead[-1]['error'][:60]}"
            table.add_row(
                f"{name}\n…{doc_id[-8:]}", record.get("doc_type", "?"), _sources(record), outcome,
                fields.get("counterparty") or fields.get("customer") or "-",
                f"{fields.get('total_amount') or '?'} {fields.get('currency') or ''}",
                f"{right}/{len(truth)}" if truth else "-",
                f"{len(ops)} ({', '.join(sorted(set(ops)))})" if ops else "-", signature, self.webhooks.cell(view))
        self.console.print(table)
        hooks_ok, hooks_line = self.webhooks.summary(list(self.docs))
        hooks_ok = hooks_ok and not any(self.webhooks.missing(tracker.view(d)) for d in self.docs)
        self.console.print(hooks_line, style="green" if hooks_ok else "red", markup=False)
        verdict = "[green]intact[/green]" if audit.ok else f"[red]{len(audit.problems)} problem(s)[/red]"
        self.console.print(f"audit trail: {audit.chains} chains, {audit.rows} rows, {audit.files} files "
                           f"re-hashed in S3: {verdict}")
        for problem in audit.problems[:10]:
            self.console.print(f"  [red]{problem}[/red]")
        self.console.print("try: inkstream query \"SELECT * FROM v_contract_value_by_month\" · "
                           "inkstream audit certificate <doc id> · review page: "
                           f"http://{self.settings.review.host}:{self.settings.review.port}/review")
        return hooks_ok

    def _progress(self) -> Progress:
        return Progress(TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=self.console, transient=False)


def _sources(record: dict) -> str:
    """Where the fields' values came from, most first: "e-invoice 13", "text 11, ocr 1".
    A value with no source after a review is the reviewer's."""
    unsourced = "reviewer" if record.get("review") else "?"
    counts = Counter(f.get("source") or unsourced for f in record.get("fields") or []
                     if f.get("normalized") is not None)
    return ", ".join(f"{source} {n}" for source, n in counts.most_common()) or "-"


def labels(samples: Path) -> dict:
    path = samples / "labels.json"
    return json.loads(path.read_text()) if path.exists() else {}

"""Ingest many files from disk (the CLI path): a few in parallel, records queued without
waiting per file, every delivery confirmed before the summary is printed."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from connectors.capture.document import CapturedDocument
from connectors.capture.ingest import ingest
from inkstream.errors import CaptureError, ConnectorError

__all__ = ["Summary", "ingest_paths", "print_summary"]


@dataclass
class Summary:
    ingested: list[tuple[str, str]] = field(default_factory=list)      # (file, doc_id)
    duplicates: list[tuple[str, str]] = field(default_factory=list)    # (file, duplicate_of)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (file, reason, message)
    failed: list[tuple[str, str]] = field(default_factory=list)        # (file, error)

    @property
    def exit_code(self) -> int:
        return 2 if self.failed else 1 if self.refused else 0


def ingest_paths(files: list[Path], settings, *, priority: str = "normal", source: str = "cli",
                 crm_ref: str | None = None, jobs: int = 4, store=None, producer=None,
                 codec=None, metrics=None, progress: bool = False) -> Summary:
    """Ingest ``files``; builds the real S3 store, Kafka producer and codec (this command
    is its process's edge) unless passed in."""
    owned = producer is None
    if codec is None:
        from schemas.codec import Codec

        codec = Codec.from_settings(settings)
    if store is None:
        from connectors.objectstore import open_store

        store = open_store(settings)
    if producer is None:
        from connectors.capture.sink import KafkaRecordSink

        producer = KafkaRecordSink.from_settings(settings, client_id="inkstream-capture-cli")
    summary = Summary()
    pending = []

    def one(path: Path):
        try:
            doc = CapturedDocument(source=source, filename=path.name, path=path, priority=priority,
                                   crm_ref=crm_ref, source_ref="cli")
            return path, ingest(doc, store=store, producer=producer, settings=settings, codec=codec,
                                metrics=metrics, wait=False), None
        except (CaptureError, ConnectorError, OSError) as exc:
            return path, None, exc

    try:
        with _progress(progress, len(files)) as advance, ThreadPoolExecutor(max_workers=jobs) as pool:
            for path, result, exc in pool.map(one, files):
                advance()
                if isinstance(exc, CaptureError):
                    summary.refused.append((str(path), exc.reason, str(exc)))
                elif exc is not None:
                    summary.failed.append((str(path), str(exc)))
                else:
                    pending.append((path, result))
        for path, result in pending:
            try:
                result.delivered.result(timeout=60)
            except Exception as exc:  # noqa: BLE001 - any delivery failure is reported per file
                summary.failed.append((str(path), f"not acknowledged by Kafka: {exc}"))
                continue
            if result.duplicate:
                summary.duplicates.append((str(path), result.duplicate_of or "?"))
            else:
                summary.ingested.append((str(path), result.doc_id))
    finally:
        if owned:
            producer.close()
    return summary


class _progress:
    """A Rich progress bar, or nothing."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total

    def __enter__(self):
        if not self.enabled:
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                             TimeRemainingColumn(), transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("ingesting", total=self.total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._bar.__exit__(*exc)


def print_summary(summary: Summary, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table("outcome", "files", title="inkstream ingest")
    table.add_row("ingested", str(len(summary.ingested)))
    table.add_row("duplicates", str(len(summary.duplicates)))
    reasons = Counter(reason for _, reason, _ in summary.refused)
    table.add_row("refused", str(len(summary.refused)) +
                  (f" ({', '.join(f'{r}: {n}' for r, n in reasons.most_common())})" if reasons else ""))
    table.add_row("failed", str(len(summary.failed)))
    console.print(table)
    if summary.refused or summary.failed:
        detail = Table("file", "reason", title="not ingested")
        for path, _reason, message in summary.refused:
            detail.add_row(path, message)
        for path, error in summary.failed:
            detail.add_row(path, error)
        console.print(detail)

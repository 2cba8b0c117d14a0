"""The hot folder takes a file only once it is completely written, then files it away."""

from __future__ import annotations

import fcntl
import functools

import pytest

from connectors.capture.folder import HotFolder
from connectors.capture.ingest import ingest
from connectors.capture.testing import make_pdf
from inkstream.errors import ConnectorError
from inkstream.settings import load_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def folder(tmp_path, memstore, sink, clock):
    settings = load_settings(data_dir=tmp_path / "data")
    ingest_one = functools.partial(ingest, store=memstore, producer=sink, codec=sink.codec, settings=settings)
    return HotFolder(tmp_path / "inbox", ingest_one, stable_s=2.0, clock=clock)


def settle(folder, clock):
    """Two scans stable_s apart: the first notes the file, the second takes it."""
    first = folder.scan_once()
    clock.now += 2.5
    return first + folder.scan_once()


def test_a_stable_file_is_ingested_and_moved_to_done(folder, clock, sink):
    (folder.root / "scan1.pdf").write_bytes(make_pdf("Hot folder"))
    [outcome] = settle(folder, clock)
    assert outcome.status == "ingested"
    assert (folder.done / "scan1.pdf").exists() and not (folder.root / "scan1.pdf").exists()
    [record] = sink.decoded("documents.ingested")
    assert (record["source"], record["filename"], record["doc_id"]) == ("folder", "scan1.pdf", outcome.detail)


def test_a_file_still_growing_is_not_taken(folder, clock, sink):
    path = folder.root / "growing.pdf"
    data = make_pdf("Growing")
    path.write_bytes(data[:100])
    folder.scan_once()
    clock.now += 2.5
    path.write_bytes(data[:500])  # the MFP is still writing
    assert folder.scan_once() == [] and sink.records == []
    path.write_bytes(data)
    assert settle(folder, clock)[0].status == "ingested"


def test_a_file_locked_by_its_writer_waits(folder, clock, sink):
    path = folder.root / "locked.pdf"
    path.write_bytes(make_pdf("Locked"))
    with path.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert settle(folder, clock) == [] and path.exists()
    assert folder.scan_once()[0].status == "ingested"


def test_a_bad_file_goes_to_failed_with_a_reason_file(folder, clock, sink):
    (folder.root / "word.pdf").write_bytes(b"PK\x03\x04 docx inside")
    (folder.root / "empty.pdf").write_bytes(b"")
    outcomes = {o.name: o.detail for o in settle(folder, clock)}
    assert outcomes == {"word.pdf": "type_mismatch", "empty.pdf": "empty"}
    assert (folder.failed / "word.pdf.reason.txt").read_text().startswith("type_mismatch: ")
    assert (folder.failed / "empty.pdf").exists() and sink.records == []


def test_a_second_copy_is_a_duplicate_and_does_not_overwrite_the_first_in_done(folder, clock, sink):
    data = make_pdf("Copy")
    (folder.root / "a.pdf").write_bytes(data)
    settle(folder, clock)
    (folder.root / "a.pdf").write_bytes(data)
    [outcome] = settle(folder, clock)
    assert outcome.status == "duplicate"
    assert sorted(p.name for p in folder.done.iterdir()) == ["a.1.pdf", "a.pdf"]


def test_when_storage_is_down_the_file_stays_in_the_inbox_for_a_retry(tmp_path, clock):
    def down(doc):
        raise ConnectorError("S3 unreachable")

    folder = HotFolder(tmp_path / "inbox", down, stable_s=1.0, clock=clock)
    (folder.root / "r.pdf").write_bytes(make_pdf("Retry"))
    [outcome] = settle(folder, clock)
    assert outcome.status == "retry" and (folder.root / "r.pdf").exists()


def test_a_file_left_in_processing_by_a_crash_is_put_back(tmp_path, memstore, sink, clock):
    inbox = tmp_path / "inbox"
    (inbox / ".processing").mkdir(parents=True)
    (inbox / ".processing" / "crashed.pdf").write_bytes(make_pdf("Crash"))
    HotFolder(inbox, lambda d: None, clock=clock)
    assert (inbox / "crashed.pdf").exists()


def test_partial_uploads_and_hidden_files_are_ignored(folder, clock, sink):
    (folder.root / "scan.pdf.part").write_bytes(make_pdf("Part"))
    (folder.root / ".hidden.pdf").write_bytes(make_pdf("Hidden"))
    assert settle(folder, clock) == []


def _swap_after_scan(folder, make_evil):
    """take() runs with the inbox entry replaced between the scan and the open."""
    real_take = folder.take

    def take(path):
        path.unlink()
        make_evil(path)
        return real_take(path)
    folder.take = take


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "fifo"])
def test_an_entry_swapped_after_the_scan_is_refused_not_followed(folder, clock, sink, memstore, tmp_path, kind):
    """Issue 12 item 9: a symlink (or hard link, or FIFO) swapped in after the scan is
    refused with a reason; the file it points to is never read or stored."""
    import os

    secret = tmp_path / "outside" / "keyring.pdf"
    secret.parent.mkdir()
    secret.write_bytes(make_pdf("Secret outside the inbox"))
    make = {"symlink": lambda p: p.symlink_to(secret), "hardlink": lambda p: os.link(secret, p),
            "fifo": lambda p: os.mkfifo(p)}[kind]
    (folder.root / "scan.pdf").write_bytes(make_pdf("Harmless scan"))
    folder.scan_once()
    clock.now += 2.5
    _swap_after_scan(folder, make)
    [outcome] = folder.scan_once()
    assert (outcome.status, outcome.detail) == ("refused", "not_a_regular_file")
    assert sink.records == [] and memstore.versions == {}
    assert (folder.failed / "scan.pdf.reason.txt").read_text().startswith("not_a_regular_file")
    assert secret.read_bytes().startswith(b"%PDF")  # untouched, still outside

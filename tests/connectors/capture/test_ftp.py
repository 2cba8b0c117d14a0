"""The FTP endpoint ingests a scan as soon as its upload completes."""

from __future__ import annotations

import ftplib
import functools
import io
import threading

import pytest

pytest.importorskip("pyftpdlib", reason="optional extra inkstream[ftp]")

from connectors.capture.ftp import build_ftp_server  # noqa: E402
from connectors.capture.ingest import ingest  # noqa: E402
from connectors.capture.testing import make_pdf  # noqa: E402
from inkstream.settings import load_settings  # noqa: E402


def eventually(path, timeout: float = 10.0) -> bool:
    """pyftpdlib replies 226 before calling on_file_received, so the client returns first."""
    import time

    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return path.exists()


@pytest.fixture
def ftp(tmp_path, memstore, sink):
    settings = load_settings(data_dir=tmp_path)
    ingest_one = functools.partial(ingest, store=memstore, producer=sink, codec=sink.codec, settings=settings)
    server = build_ftp_server(tmp_path / "ftp", ingest_one, host="127.0.0.1", port=0,
                              user="scanner", password="s3cret")
    thread = threading.Thread(target=server.serve_forever, kwargs={"handle_exit": False}, daemon=True)
    thread.start()
    client = ftplib.FTP()
    client.connect("127.0.0.1", server.address[1])
    client.login("scanner", "s3cret")
    yield client, server.folder
    client.close()
    server.close_all()


def test_an_uploaded_scan_is_ingested_and_filed_in_done(ftp, sink):
    client, folder = ftp
    data = make_pdf("FTP scan")
    client.storbinary("STOR scan-0001.pdf", io.BytesIO(data))
    assert eventually(folder.done / "scan-0001.pdf")
    [record] = sink.decoded("documents.ingested")
    assert (record["source"], record["filename"], record["source_ref"]) == ("ftp", "scan-0001.pdf", "ftp/scanner")
    assert (folder.done / "scan-0001.pdf").read_bytes() == data


def test_a_bad_upload_is_filed_in_failed_with_its_reason(ftp, sink):
    client, folder = ftp
    client.storbinary("STOR broken.pdf", io.BytesIO(b"%PDF-1.4 truncated"))
    assert eventually(folder.failed / "broken.pdf.reason.txt")
    assert (folder.failed / "broken.pdf.reason.txt").read_text().startswith("corrupt: ")
    assert sink.records == []


def test_the_scanner_account_cannot_download(ftp):
    client, folder = ftp
    client.storbinary("STOR a.pdf", io.BytesIO(make_pdf("A")))
    assert eventually(folder.done / "a.pdf")
    with pytest.raises(ftplib.error_perm):
        client.retrbinary("RETR done/a.pdf", lambda _b: None)


def test_a_wrong_password_is_refused(tmp_path, ftp):
    client, _ = ftp
    other = ftplib.FTP()
    other.connect("127.0.0.1", client.sock.getpeername()[1])
    with pytest.raises(ftplib.error_perm):
        other.login("scanner", "wrong")
    other.close()

"""The IMAP poller reads each message once, across restarts, and retries on outages.

It talks real IMAP (stdlib imaplib) to a small IMAP4rev1 server written here for the
test: just the commands imaplib sends (CAPABILITY, LOGIN, EXAMINE, UID SEARCH,
UID FETCH, LOGOUT), with the UID range semantics of RFC 3501 §6.4.8."""

from __future__ import annotations

import functools
import imaplib
import re
import socketserver
import threading
from email.message import EmailMessage
from email import policy

import pytest

from connectors.capture.imap import ImapPoller
from connectors.capture.ingest import ingest
from connectors.capture.testing import make_pdf
from inkstream.errors import ConnectorError
from inkstream.settings import load_settings


class Mailbox:
    def __init__(self) -> None:
        self.uidvalidity = 1000
        self.messages: dict[int, bytes] = {}
        self.fetched: list[int] = []
        self.next_uid = 1

    def deliver(self, raw: bytes) -> int:
        uid, self.next_uid = self.next_uid, self.next_uid + 1
        self.messages[uid] = raw
        return uid


class _Handler(socketserver.StreamRequestHandler):
    def send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def handle(self) -> None:
        box: Mailbox = self.server.mailbox
        self.send(b"* OK test IMAP4rev1 ready")
        while line := self.rfile.readline():
            tag, _, rest = line.strip().partition(b" ")
            cmd = rest.split(b" ")[0].upper()
            if cmd == b"CAPABILITY":
                self.send(b"* CAPABILITY IMAP4rev1")
            elif cmd == b"LOGIN":
                pass
            elif cmd in (b"EXAMINE", b"SELECT"):
                self.send(b"* %d EXISTS" % len(box.messages))
                self.send(b"* OK [UIDVALIDITY %d] UIDs valid" % box.uidvalidity)
            elif cmd == b"UID" and rest.split(b" ")[1].upper() == b"SEARCH":
                lo, hi = re.search(rb"UID (\d+):(\*|\d+)", rest).groups()
                uids = sorted(box.messages)
                found = [u for u in uids if u >= int(lo)]
                if not found and uids:  # n:* always includes the highest UID (RFC 3501)
                    found = [uids[-1]]
                self.send(b"* SEARCH" + b"".join(b" %d" % u for u in found))
            elif cmd == b"UID" and rest.split(b" ")[1].upper() == b"FETCH":
                uid = int(rest.split(b" ")[2])
                body = box.messages[uid]
                box.fetched.append(uid)
                self.wfile.write(b"* %d FETCH (UID %d BODY[] {%d}\r\n" % (uid, uid, len(body)) + body + b")\r\n")
            elif cmd == b"LOGOUT":
                self.send(b"* BYE")
                self.send(tag + b" OK LOGOUT completed")
                return
            self.send(tag + b" OK done")


@pytest.fixture
def imap_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.mailbox = Mailbox()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def mail(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "ap@supplier.test", f"Invoice {n}", f"<inv-{n}@supplier.test>"
    msg.set_content("invoice attached")
    msg.add_attachment(make_pdf(f"Invoice {n}"), maintype="application", subtype="pdf", filename=f"inv{n}.pdf")
    return msg.as_bytes(policy=policy.SMTP)


@pytest.fixture
def poller_for(imap_server, memstore, sink, tmp_path):
    settings = load_settings(data_dir=tmp_path)
    ingest_one = functools.partial(ingest, store=memstore, producer=sink, codec=sink.codec, settings=settings)

    def connect():
        conn = imaplib.IMAP4("127.0.0.1", imap_server.server_address[1])
        conn.login("scanner", "secret")
        return conn

    def make(ingest_fn=ingest_one):
        return ImapPoller(connect, ingest_fn, mailbox="INBOX", state_path=tmp_path / "imap-state.json",
                          inline_min_bytes=1000, source_ref="scanner/INBOX")
    return make


def test_new_mail_is_ingested_with_its_origin_and_never_fetched_twice(imap_server, poller_for, sink):
    box = imap_server.mailbox
    box.deliver(mail(1))
    box.deliver(mail(2))
    poller = poller_for()
    assert poller.poll_once() == 2
    assert poller.poll_once() == 0  # 3:* still answers UID 2; it is filtered, not re-fetched
    box.deliver(mail(3))
    assert poller.poll_once() == 1
    assert box.fetched == [1, 2, 3]
    records = sink.decoded("documents.ingested")
    assert [r["email"]["subject"] for r in records] == ["Invoice 1", "Invoice 2", "Invoice 3"]
    assert {r["source"] for r in records} == {"imap"}


def test_a_restarted_poller_remembers_where_it_stopped(imap_server, poller_for):
    box = imap_server.mailbox
    box.deliver(mail(1))
    poller_for().poll_once()
    box.deliver(mail(2))
    assert poller_for().poll_once() == 1  # a new process, same state file
    assert box.fetched == [1, 2]


def test_a_new_uidvalidity_rereads_the_mailbox_and_flags_duplicates(imap_server, poller_for, sink, memstore):
    box = imap_server.mailbox
    box.deliver(mail(1))
    poller_for().poll_once()
    box.uidvalidity += 1  # mailbox recreated: old UIDs mean nothing
    assert poller_for().poll_once() == 1
    first, again = sink.decoded("documents.ingested")
    assert again["duplicate_of"] == first["doc_id"]
    assert sum(len(v) for v in memstore.versions.values()) == 1


def test_a_storage_outage_leaves_the_message_for_the_next_poll(imap_server, poller_for, sink):
    box = imap_server.mailbox
    box.deliver(mail(1))

    def down(doc):
        raise ConnectorError("S3 unreachable")

    with pytest.raises(ConnectorError):
        poller_for(down).poll_once()
    assert poller_for().poll_once() == 1
    assert len(sink.decoded("documents.ingested")) == 1


def test_unreadable_mail_is_skipped_without_blocking_the_mailbox(imap_server, poller_for, sink):
    box = imap_server.mailbox
    box.deliver(b"\x00\x01 not mail")
    box.deliver(mail(2))
    assert poller_for().poll_once() == 2
    assert [r["email"]["subject"] for r in sink.decoded("documents.ingested")] == ["Invoice 2"]

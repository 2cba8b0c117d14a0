"""IMAP poller (stdlib ``imaplib``): mail already seen is never fetched again.

State per mailbox is ``{"uidvalidity": V, "last_uid": N}`` in a small JSON file,
written atomically after each message is fully handled. A poll asks only for
``UID N+1:*``; because ``N+1:*`` always matches the newest message even when it is
older than N (RFC 3501 §6.4.8), UIDs ≤ N are filtered out again. If the server's
UIDVALIDITY changes (mailbox recreated) the UIDs mean something new and the poll
starts over — the only case in which mail is read twice, and the content-addressed
store then flags every re-read attachment as a duplicate instead of storing it again.

Messages are fetched with ``BODY.PEEK[]`` so the mailbox's \\Seen flags are untouched.
If S3 or Kafka are down, the poll stops before that message and retries it next time.
"""

from __future__ import annotations

import imaplib
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.capture.document import CapturedDocument, IngestResult
from connectors.capture.mail import documents_from_mail, parse_mail
from inkstream.errors import CaptureError, ConnectorError

if TYPE_CHECKING:
    from inkstream.settings import CaptureSettings

__all__ = ["ImapPoller", "imap_connector"]

log = logging.getLogger(__name__)


def imap_connector(cap: CaptureSettings) -> Callable[[], imaplib.IMAP4]:
    """A function that opens a logged-in ``imaplib`` connection from capture settings."""

    def connect() -> imaplib.IMAP4:
        cls = imaplib.IMAP4_SSL if cap.imap_ssl else imaplib.IMAP4
        # serve_imap refuses to start without imap_host and imap_user
        conn = cls(cap.imap_host or "", cap.imap_port)
        conn.login(cap.imap_user or "", cap.imap_password or "")
        return conn

    return connect


class ImapPoller:
    def __init__(self, connect: Callable[[], imaplib.IMAP4], ingest_one: Callable[[CapturedDocument], IngestResult],
                 *, mailbox: str, state_path: Path, inline_min_bytes: int, source_ref: str) -> None:
        self._connect, self._ingest_one = connect, ingest_one
        self.mailbox, self.state_path = mailbox, state_path
        self._inline_min, self._source_ref = inline_min_bytes, source_ref

    def poll_once(self) -> int:
        """Fetch and ingest new mail; returns how many messages were handled."""
        conn = self._connect()
        try:
            status, _ = conn.select(self.mailbox, readonly=True)
            if status != "OK":
                raise ConnectorError(f"IMAP: cannot select {self.mailbox}")
            validity = int(conn.response("UIDVALIDITY")[1][0])
            state = self._load()
            if state.get("uidvalidity") != validity:
                state = {"uidvalidity": validity, "last_uid": 0}
            status, data = conn.uid("SEARCH", None, f"UID {state['last_uid'] + 1}:*")  # type: ignore[arg-type]  # charset None: imaplib sends none (typeshed says str)
            if status != "OK":
                raise ConnectorError(f"IMAP: UID SEARCH failed: {data}")
            uids = sorted(u for u in (int(x) for x in (data[0] or b"").split()) if u > state["last_uid"])
            for uid in uids:
                self._handle(conn, uid)
                state["last_uid"] = uid
                self._save(state)
            return len(uids)
        finally:
            try:
                conn.logout()
            except Exception:  # noqa: BLE001 - the connection may already be gone; nothing to clean up
                pass

    def run(self, stop: threading.Event, interval_s: float = 60.0) -> None:
        while not stop.is_set():
            try:
                handled = self.poll_once()
                if handled:
                    log.info("IMAP: handled %d new message(s) in %s", handled, self.mailbox)
            except (ConnectorError, OSError) as exc:
                log.warning("IMAP poll failed, retrying in %.0f s: %s", interval_s, exc)
            except Exception as exc:  # noqa: BLE001 - imaplib.IMAP4.error and friends: keep polling
                log.warning("IMAP error, retrying in %.0f s: %s", interval_s, exc)
            stop.wait(interval_s)

    def _handle(self, conn: imaplib.IMAP4, uid: int) -> None:
        status, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
        if status != "OK" or not data or not isinstance(data[0], tuple):
            raise ConnectorError(f"IMAP: cannot fetch UID {uid}: {status}")
        try:
            found = documents_from_mail(parse_mail(data[0][1]), source="imap", source_ref=self._source_ref,
                                        envelope_sender=None, inline_min_bytes=self._inline_min)
        except Exception as exc:  # noqa: BLE001 - malformed mail: note it and move on, never block the mailbox
            log.warning("IMAP: UID %s is not readable mail (%s); skipped", uid, exc)
            return
        for doc in found.documents:
            try:
                self._ingest_one(doc)
            except CaptureError as exc:
                log.warning("IMAP: UID %s attachment %s refused: %s", uid, doc.filename, exc.reason)
            # ConnectorError propagates: the UID is not recorded, so it is retried

    def _load(self) -> dict:
        try:
            return json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return {}

    def _save(self, state: dict) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_path)

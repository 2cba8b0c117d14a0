"""Reviewers and review sessions shared by every review page instance through Kafka
(``state.backend: kafka``), on the compacted ``admin.state`` topic (inkstream/shared_table.py):

- ``reviewer/<name>``: ``{salt, hash, role}`` (scrypt hash, never the password);
  ``reviewer-token/<sha256 of the token>``: ``{user, role}``. The same :class:`Reviewers`
  (same checks, same audit-first ``before_save`` hooks of the CLI and the admin page); only
  ``_load``/``_save`` differ: they read the table and write what changed.
- ``session/<sha256 of the session id>``: ``{name, csrf, credential, expires_at}`` behind
  harden's :class:`~streams.review.sessions.SessionStore` seam. Logout writes a tombstone;
  a password or role change ends every session on every instance (the credential check in
  :class:`~streams.review.sessions.Sessions` reads the shared reviewer).

A session opened on one instance is found on another at once: a miss waits for that
instance's follower to catch up (``sync``, at most 0.5 s) before it says "no session", so a
login answered by A and the next page served by B do not bounce to the login form. Only one
request waits at a time (others answer the miss at once): made-up cookies cannot tie up
the threadpool.

``open_reviewers(settings)`` and ``open_session_store(settings)`` pick the file (one host)
or the Kafka backend.
"""

from __future__ import annotations

import threading
from typing import Callable

from inkstream.shared_table import SharedTable
from streams.review.sessions import MemorySessionStore, Session, SessionStore
from streams.review.users import Reviewers, reviewers_path

__all__ = ["SharedReviewers", "KafkaSessionStore", "open_reviewers", "open_session_store"]


class SharedReviewers(Reviewers):
    def __init__(self, settings, *, start_timeout_s: float = 30.0) -> None:
        super().__init__(path=None)  # type: ignore[arg-type]  # no file: the table is the store
        topic = settings.state.topic
        self._users = SharedTable(settings, topic, prefix="reviewer/").start(start_timeout_s)
        self._tokens = SharedTable(settings, topic, prefix="reviewer-token/").start(start_timeout_s)

    def close(self) -> None:
        self._users.stop()
        self._tokens.stop()

    def _load(self) -> dict:
        return {"users": dict(self._users.items()), "tokens": dict(self._tokens.items())}

    def _save(self, data: dict) -> None:
        for table, wanted in ((self._users, data["users"]), (self._tokens, data["tokens"])):
            current = dict(table.items())
            for key, value in wanted.items():
                if current.get(key) != value:
                    table.put(key, value)
            for key in current.keys() - wanted.keys():
                table.delete(key)


class KafkaSessionStore:
    """The ``SessionStore`` contract over the shared table (keys are already SHA-256 digests)."""

    def __init__(self, settings, *, start_timeout_s: float = 30.0, miss_wait_s: float = 0.5) -> None:
        self._table = SharedTable(settings, settings.state.topic, prefix="session/").start(start_timeout_s)
        self._miss_wait = miss_wait_s
        self._waiting = threading.Lock()  # single flight for the miss wait

    def close(self) -> None:
        self._table.stop()

    def put(self, key: str, session: Session) -> None:
        self._table.put(key, {"name": session.name, "csrf": session.csrf, "credential": session.credential,
                              "expires_at": session.expires_at})

    def get(self, key: str) -> Session | None:
        value = self._table.get(key)
        if value is None and self._waiting.acquire(blocking=False):  # opened elsewhere just now?
            try:
                if self._table.sync(self._miss_wait):
                    value = self._table.get(key)
            finally:
                self._waiting.release()
        return Session(**value) if value is not None else None

    def delete(self, key: str) -> None:
        if self._table.get(key) is not None:
            self._table.delete(key)

    def delete_where(self, match: Callable[[Session], bool]) -> int:
        gone = [key for key, value in self._table.items() if match(Session(**value))]
        for key in gone:
            self._table.delete(key)
        return len(gone)


def open_reviewers(settings) -> Reviewers:
    if settings.state.backend == "kafka":
        return SharedReviewers(settings)
    return Reviewers(reviewers_path(settings))


def open_session_store(settings) -> SessionStore:
    return KafkaSessionStore(settings) if settings.state.backend == "kafka" else MemorySessionStore()

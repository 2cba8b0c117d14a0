"""Server-side review sessions: the cookie holds only a random id; what it grants lives here,
so logout ends it at once, and a password change (or removal) ends every session of that
reviewer wherever the change was made (the CLI too): a session remembers the credential it
was opened with and dies when that credential changes.

``SessionStore`` is the seam for several review hosts (e.g. a compacted Kafka topic keyed by
the id's hash, materialised by each host); ``MemorySessionStore`` serves one process. Only the
SHA-256 of a session id is ever stored, so a dump of the store opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

__all__ = ["Session", "SessionStore", "MemorySessionStore", "Sessions"]


@dataclass(frozen=True)
class Session:
    name: str               # reviewer login
    csrf: str               # this session's CSRF token (forms and X-CSRF-Token)
    credential: str         # the reviewer's credential version at login (changes with the password)
    expires_at: float


class SessionStore(Protocol):
    """Keyed by ``sha256(session id)``; implementations need not be more than these four."""

    def put(self, key: str, session: Session) -> None: ...
    def get(self, key: str) -> Session | None: ...
    def delete(self, key: str) -> None: ...
    def delete_where(self, match: Callable[[Session], bool]) -> int: ...


class MemorySessionStore:
    def __init__(self) -> None:
        self._items: dict[str, Session] = {}
        self._lock = threading.Lock()

    def put(self, key: str, session: Session) -> None:
        with self._lock:
            self._items[key] = session

    def get(self, key: str) -> Session | None:
        with self._lock:
            return self._items.get(key)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def delete_where(self, match: Callable[[Session], bool]) -> int:
        with self._lock:
            gone = [k for k, s in self._items.items() if match(s)]
            for k in gone:
                del self._items[k]
            return len(gone)


class Sessions:
    """Open, look up and end sessions over a store; ``credential_of(name)`` is the reviewer's
    current credential version (None = no such reviewer)."""

    def __init__(self, store: SessionStore, *, max_age_s: float,
                 credential_of: Callable[[str], str | None], clock: Callable[[], float] = time.time) -> None:
        self._store, self._max_age, self._credential_of, self._clock = store, max_age_s, credential_of, clock

    @staticmethod
    def _key(session_id: str) -> str:
        return hashlib.sha256(session_id.encode()).hexdigest()

    def open(self, name: str) -> tuple[str, Session]:
        """A new session id (for the cookie) and its session."""
        now = self._clock()
        self._store.delete_where(lambda s: s.expires_at <= now)  # expired ones never pile up
        session_id = secrets.token_urlsafe(32)
        session = Session(name=name, csrf=secrets.token_urlsafe(32),
                          credential=self._credential_of(name) or "", expires_at=now + self._max_age)
        self._store.put(self._key(session_id), session)
        return session_id, session

    def get(self, session_id: str | None) -> Session | None:
        if not session_id:
            return None
        key = self._key(session_id)
        session = self._store.get(key)
        if session is None:
            return None
        if session.expires_at <= self._clock() or self._credential_of(session.name) != session.credential:
            self._store.delete(key)  # expired, password changed, or reviewer removed
            return None
        return session

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._store.delete(self._key(session_id))

    def end_all(self, name: str) -> int:
        return self._store.delete_where(lambda s: s.name == name)

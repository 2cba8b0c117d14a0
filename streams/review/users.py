"""Reviewers: local users with scrypt-hashed passwords, and bearer tokens for a reverse
proxy that authenticates users itself. Both stored hashed in one JSON file (mode 0600).
Roles: ``reviewer`` decides documents; ``admin`` also manages reviewers (``streams.review.admin``).
Changes take a ``before_save`` hook, run after validation and before the write, so the
admin audit can refuse a change that it cannot record.

>>> import tempfile, pathlib
>>> r = Reviewers(pathlib.Path(tempfile.mkdtemp()) / "users.json")
>>> r.add_user("ana", "correct horse", role="reviewer")
>>> r.check_password("ana", "correct horse").role, r.check_password("ana", "wrong")
('reviewer', None)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from inkstream.errors import ConfigError
from inkstream.secure_files import write_private

__all__ = ["Reviewer", "Reviewers", "ROLES", "reviewers_path"]

ROLES = ("reviewer", "admin")
# OWASP's scrypt floor (N=2^17, r=8, p=1) costs 128 MiB per check; 2^15 keeps a login
# under ~100 ms on a small host while staying far from brute-forceable.
_SCRYPT = {"n": 2**15, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _scrypt(password: str, salt: bytes) -> str:
    return hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT).hex()


class Reviewers:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _load(self) -> dict:
        if not self.path.exists():
            return {"users": {}, "tokens": {}}
        return json.loads(self.path.read_text())

    def _save(self, data: dict) -> None:
        # A fresh 0600 temp file, then rename: password hashes are never readable by others.
        write_private(self.path, json.dumps(data, indent=2).encode())

    def add_user(self, name: str, password: str, *, role: str = "reviewer",
                 before_save: Callable[[], None] | None = None) -> None:
        if role not in ROLES:
            raise ConfigError(f"role must be one of {ROLES}")
        if len(password) < 8:
            raise ConfigError("a reviewer password needs at least 8 characters")
        _check_name(name)
        salt = secrets.token_bytes(16)
        hashed = _scrypt(password, salt)
        if before_save is not None:
            before_save()
        with self._lock:
            data = self._load()
            data["users"][name] = {"salt": salt.hex(), "hash": hashed, "role": role}
            self._save(data)

    def add_token(self, name: str, *, role: str = "reviewer", before_save: Callable[[], None] | None = None) -> str:
        """Create a bearer token for ``name``; only its SHA-256 is stored. Returns the token."""
        if role not in ROLES:
            raise ConfigError(f"role must be one of {ROLES}")
        _check_name(name)
        token = secrets.token_urlsafe(32)
        if before_save is not None:
            before_save()
        with self._lock:
            data = self._load()
            data["tokens"][hashlib.sha256(token.encode()).hexdigest()] = {"user": name, "role": role}
            self._save(data)
        return token

    def check_password(self, name: str, password: str) -> Reviewer | None:
        user = self._load()["users"].get(name)
        if user is None:
            _scrypt(password, b"0" * 16)  # same cost whether or not the user exists
            return None
        if hmac.compare_digest(_scrypt(password, bytes.fromhex(user["salt"])), user["hash"]):
            return Reviewer(name, user["role"])
        return None

    def check_token(self, token: str) -> Reviewer | None:
        entry = self._load()["tokens"].get(hashlib.sha256(token.encode()).hexdigest())
        return Reviewer(entry["user"], entry["role"]) if entry else None

    def role_of(self, name: str) -> str | None:
        user = self._load()["users"].get(name)
        return user["role"] if user else None

    def credential_of(self, name: str) -> str | None:
        """Changes whenever ``name``'s password (new salt) or role changes; None = no password
        login. Sessions opened with an older value are over (streams/review/sessions.py)."""
        user = self._load()["users"].get(name)
        return f"{user['salt']}:{user['role']}" if user else None

    def list_users(self) -> list[dict]:
        """Every name with a password or a token: its role(s) and token count (no hashes)."""
        data = self._load()
        out: dict[str, dict] = {n: {"name": n, "role": u["role"], "password": True, "tokens": 0}
                                for n, u in data["users"].items()}
        for entry in data["tokens"].values():
            row = out.setdefault(entry["user"], {"name": entry["user"], "role": entry["role"],
                                                 "password": False, "tokens": 0})
            row["tokens"] += 1
        return sorted(out.values(), key=lambda r: r["name"])

    def remove_user(self, name: str, *, before_save: Callable[[], None] | None = None) -> bool:
        """Remove ``name``'s password and every token of theirs; access ends at once (the
        session cookie is checked against this file on every request). False: unknown."""
        if not any(r["name"] == name for r in self.list_users()):
            return False
        if before_save is not None:
            before_save()
        with self._lock:
            data = self._load()
            data["users"].pop(name, None)
            data["tokens"] = {h: e for h, e in data["tokens"].items() if e["user"] != name}
            self._save(data)
        return True


def _check_name(name: str) -> None:
    # A login, not free text: it is written to the audit trail as the target of admin actions.
    if not name or len(name) > 100 or not name.isprintable() or name != name.strip():
        raise ConfigError("a reviewer name must be 1-100 printable characters without surrounding spaces")


def reviewers_path(settings) -> Path:
    """The reviewers file of this host (``state.backend: file``)."""
    return settings.review.users_file or Path(settings.data_dir) / "review" / "users.json"

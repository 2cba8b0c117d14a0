"""Webhook subscriptions: one per (API key source, URL), with event types and a secret.

A subscription belongs to the *source* of the API key that created it (the same rule as
document status: every key of a source sees that source's documents); an ``admin`` key's
subscription receives every document's events. The secret (``whsec_`` + base64 of 32
random bytes, the Standard Webhooks form) must be kept to sign, so the file is created
0600 from its first byte and the secret is shown in the create answer only.

>>> import tempfile, pathlib
>>> subs = Subscriptions(pathlib.Path(tempfile.mkdtemp()) / "s.json")
>>> sub = subs.create("crm-button", "https://hooks.example.com/in", ["document.read"], all_documents=False)
>>> [s.id for s in subs.matching("document.read", "crm-button")] == [sub.id]
True
"""

from __future__ import annotations

import builtins
import base64
import ipaddress
import json
import os
import secrets
import socket
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit
from typing import TYPE_CHECKING

from connectors.webhooks_out import EVENT_TYPES, WebhookError

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["Subscription", "Subscriptions", "subscriptions_path", "check_url"]


@dataclass(frozen=True)
class Subscription:
    id: str
    owner: str                  # the API key's source
    url: str
    events: tuple[str, ...]
    secret: str                 # whsec_...
    all_documents: bool         # created by an admin key
    created_at: float
    created_by: str             # the key id

    def public(self) -> dict:
        return {"id": self.id, "url": self.url, "events": list(self.events), "all_documents": self.all_documents,
                "created_at": self.created_at}


def subscriptions_path(settings: Settings) -> Path:
    default = Path(settings.data_dir).resolve() / "webhooks" / "subscriptions.json"
    return settings.webhooks_out.subscriptions_file or default


def check_url(url: str, *, allow_http: bool, allow_private: bool) -> str:
    """An https URL of a public host (SSRF: no loopback, link-local or private address,
    checked on every address the name resolves to); ``allow_*`` for tests and local dev."""
    parts = urlsplit(url)
    if parts.scheme not in (("https", "http") if allow_http else ("https",)) or not parts.hostname:
        raise WebhookError("the URL must be https://host/... (webhooks_out.allow_http for local tests)")
    if parts.username or parts.password:
        raise WebhookError("the URL must not carry credentials")
    if not allow_private:
        try:
            infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise WebhookError(f"the URL's host does not resolve: {exc}") from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not address.is_global:
                raise WebhookError("the URL points at a private, loopback or link-local address")
    return url


class Subscriptions:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[int, dict] | None = None

    def _load(self) -> dict:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache is None or self._cache[0] != mtime:
            self._cache = (mtime, json.loads(self.path.read_text()))
        return self._cache[1]

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
        os.replace(tmp, self.path)
        self._cache = None

    def create(self, owner: str, url: str, events: list[str], *, all_documents: bool,
               created_by: str = "") -> Subscription:
        unknown = sorted(set(events) - set(EVENT_TYPES))
        if unknown or not events:
            raise WebhookError(f"event types must be some of {', '.join(EVENT_TYPES)}; unknown: {unknown}")
        sub = Subscription(id=f"wh_{secrets.token_hex(8)}", owner=owner, url=url,
                           events=tuple(sorted(set(events))), secret="whsec_" + base64.b64encode(
                               secrets.token_bytes(32)).decode(), all_documents=all_documents,
                           created_at=time.time(), created_by=created_by)
        with self._lock:
            data = dict(self._load())
            data[sub.id] = {**asdict(sub), "events": list(sub.events)}
            self._save(data)
        return sub

    def get(self, sub_id: str) -> Subscription | None:
        entry = self._load().get(sub_id)
        return Subscription(**{**entry, "events": tuple(entry["events"])}) if entry else None

    def list(self, owner: str | None = None) -> list[Subscription]:
        subs = [self.get(i) for i in sorted(self._load())]
        return [s for s in subs if s is not None and (owner is None or s.owner == owner)]

    def delete(self, owner: str, sub_id: str, *, admin: bool = False) -> bool:
        with self._lock:
            data = dict(self._load())
            entry = data.get(sub_id)
            if entry is None or not (admin or entry["owner"] == owner):
                return False   # another source's subscription answers like an unknown one
            del data[sub_id]
            self._save(data)
        return True

    def matching(self, event_type: str, doc_owner: str | None) -> builtins.list[Subscription]:  # list: the method
        """Subscriptions that receive ``event_type`` for a document of ``doc_owner`` (the
        source of the API key that uploaded it; None: not uploaded over the API)."""
        return [s for s in self.list() if event_type in s.events
                and (s.all_documents or (doc_owner is not None and s.owner == doc_owner))]

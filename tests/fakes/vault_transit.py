"""A fake HashiCorp Vault serving the transit secrets engine's HTTP API, so the Vault key
provider runs through the real ``hvac`` client. Follows Vault's "Transit Secrets Engine
(API)" (developer.hashicorp.com/vault/api-docs/secret/transit), engine mounted at
``/v1/transit``:

- ``POST /v1/transit/keys/:name``            create (``derived``; type aes256-gcm96) → 204
- ``GET  /v1/transit/keys/:name``            read → ``{"data": {"name", "type", "derived",
  "keys": {"1": <unix time>}, "latest_version", "min_decryption_version", ...}}``
- ``POST /v1/transit/keys/:name/rotate``     new latest version (old ones still decrypt)
- ``POST /v1/transit/encrypt/:name``         ``{"plaintext": b64, "context": b64}`` →
  ``{"data": {"ciphertext": "vault:v<N>:<b64>", "key_version": N}}``
- ``POST /v1/transit/decrypt/:name``         ``{"ciphertext", "context"}`` → ``{"data": {"plaintext": b64}}``

Requests need ``X-Vault-Token`` (403 ``{"errors": ["permission denied"]}`` otherwise);
errors are ``{"errors": [...]}`` with 400/404, as Vault answers. A derived key needs a
context; Vault derives a key from it, here it is bound as AES-GCM associated data: for a
client the effect is the same (a ciphertext decrypts only with its context). Every
request is recorded in ``requests`` (method, path).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["FakeVault"]


class FakeVault:
    def __init__(self, token: str = "s.test-root-token") -> None:
        self.token = token
        self.keys: dict[str, dict] = {}  # name -> {"derived": bool, "versions": {n: (material, created)}}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeVault":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- the engine -----------------------------------------------------------------------
    def create(self, name: str, body: dict) -> tuple[int, dict | None]:
        with self._lock:
            if name not in self.keys:  # Vault: creating an existing key is a no-op
                self.keys[name] = {"derived": bool(body.get("derived")),
                                   "versions": {1: (AESGCM.generate_key(bit_length=256), int(time.time()))}}
        return 204, None

    def read(self, name: str) -> tuple[int, dict]:
        key = self.keys.get(name)
        if key is None:
            return 404, {"errors": []}
        latest = max(key["versions"])
        return 200, {"data": {"name": name, "type": "aes256-gcm96", "derived": key["derived"],
                              "keys": {str(v): c for v, (_m, c) in key["versions"].items()},
                              "latest_version": latest, "min_decryption_version": 1,
                              "min_encryption_version": 0, "supports_encryption": True,
                              "supports_decryption": True, "deletion_allowed": False}}

    def rotate(self, name: str) -> tuple[int, dict | None]:
        with self._lock:
            key = self.keys.get(name)
            if key is None:
                return 400, {"errors": ["encryption key not found"]}
            key["versions"][max(key["versions"]) + 1] = (AESGCM.generate_key(bit_length=256), int(time.time()))
        return 200, self.read(name)[1]

    def _context(self, key: dict, body: dict) -> bytes | None:
        context = body.get("context")
        if key["derived"] and not context:
            return None
        return base64.b64decode(context) if context else b""

    def encrypt(self, name: str, body: dict) -> tuple[int, dict]:
        key = self.keys.get(name)
        if key is None:  # Vault creates the key on first encrypt with update policy; keep it explicit here
            return 400, {"errors": [f"encryption key not found: {name}"]}
        context = self._context(key, body)
        if context is None:
            return 400, {"errors": ["missing 'context' for key derivation; the key was created using a "
                                    "derived key, which means additional, per-request information must be "
                                    "included in order to perform operations with the key"]}
        try:
            plaintext = base64.b64decode(body["plaintext"], validate=True)
        except (KeyError, ValueError):
            return 400, {"errors": ["failed to base64-decode plaintext"]}
        version = max(key["versions"])
        nonce = os.urandom(12)
        sealed = nonce + AESGCM(key["versions"][version][0]).encrypt(nonce, plaintext, context)
        return 200, {"data": {"ciphertext": f"vault:v{version}:{base64.b64encode(sealed).decode()}",
                              "key_version": version}}

    def decrypt(self, name: str, body: dict) -> tuple[int, dict]:
        key = self.keys.get(name)
        if key is None:
            return 400, {"errors": [f"encryption key not found: {name}"]}
        context = self._context(key, body)
        if context is None:
            return 400, {"errors": ["missing 'context' for key derivation"]}
        try:
            prefix, version, data = str(body["ciphertext"]).split(":", 2)
            material = key["versions"][int(version.removeprefix("v"))][0]
            blob = base64.b64decode(data)
            plaintext = AESGCM(material).decrypt(blob[:12], blob[12:], context)
        except (KeyError, ValueError, InvalidTag):
            return 400, {"errors": ["cipher: message authentication failed"]}
        if prefix != "vault":
            return 400, {"errors": ["invalid ciphertext: no prefix"]}
        return 200, {"data": {"plaintext": base64.b64encode(plaintext).decode()}}


def _handler(vault: FakeVault):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            pass

        def _answer(self, status: int, body: dict | None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            vault.requests.append((method, path))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if self.headers.get("X-Vault-Token") != vault.token:
                return self._answer(403, {"errors": ["permission denied"]})
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return self._answer(400, {"errors": ["failed to parse JSON input"]})
            parts = path.strip("/").split("/")
            if parts[:2] != ["v1", "transit"] or len(parts) < 4:
                return self._answer(404, {"errors": []})
            action, name = parts[2], parts[3]
            if action == "keys" and len(parts) == 4:
                return self._answer(*(vault.read(name) if method == "GET" else vault.create(name, body)))
            if action == "keys" and parts[4:] == ["rotate"] and method in ("POST", "PUT"):
                return self._answer(*vault.rotate(name))
            if action == "encrypt" and method in ("POST", "PUT"):
                return self._answer(*vault.encrypt(name, body))
            if action == "decrypt" and method in ("POST", "PUT"):
                return self._answer(*vault.decrypt(name, body))
            return self._answer(405, {"errors": ["unsupported operation"]})

        def do_GET(self) -> None:
            self._route("GET")

        def do_POST(self) -> None:
            self._route("POST")

        def do_PUT(self) -> None:
            self._route("PUT")

    return Handler

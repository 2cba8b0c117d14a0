"""HashiCorp Vault's transit engine (or OpenBao's, same API) as the key provider: the KEK
never leaves Vault; data keys are wrapped and unwrapped by ``transit/encrypt`` and
``transit/decrypt`` through the ``hvac`` client, the document bound as the derivation
context (a key wrapped for one document does not unwrap for another).

The KEK id stored beside each wrapped key is ``vault:<key name>``; Vault's ciphertext
(``vault:v<N>:...``) carries the key version, so ``rotate`` (a new version in Vault) needs
nothing re-written: old versions still decrypt.
"""

from __future__ import annotations

import base64
from typing import Any

from inkstream.errors import KeyUnavailable
from inkstream.errors import ConfigError

__all__ = ["VaultTransit"]


class VaultTransit:
    """``KeyProvider`` over Vault transit; ``key`` is created (derived) on first use."""

    def __init__(self, url: str, token: str, key: str = "inkstream", *, mount: str = "transit",
                 client: Any = None, timeout: float = 10.0) -> None:
        import hvac

        self.key, self.mount = key, mount
        self.client = client or hvac.Client(url=url, token=token, timeout=timeout)
        self._ready = False

    @property
    def kek_id(self) -> str:
        return f"vault:{self.key}"

    def _transit(self):
        return self.client.secrets.transit

    def _ensure(self) -> None:
        if not self._ready:
            self._call("create key", lambda: self._transit().create_key(self.key, derived=True,
                                                                        mount_point=self.mount))
            self._ready = True

    def wrap(self, data_key: bytes, *, context: str) -> tuple[str, bytes]:
        self._ensure()
        answer = self._call("encrypt", lambda: self._transit().encrypt_data(
            self.key, plaintext=base64.b64encode(data_key).decode(), context=_b64(context), mount_point=self.mount))
        return self.kek_id, answer["data"]["ciphertext"].encode()

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: str) -> bytes:
        if kek_id != self.kek_id:
            raise KeyUnavailable(f"key-encryption key {kek_id!r} is not this Vault key ({self.kek_id})")
        answer = self._call("decrypt", lambda: self._transit().decrypt_data(
            self.key, ciphertext=wrapped.decode(), context=_b64(context), mount_point=self.mount), unwrap=True)
        return base64.b64decode(answer["data"]["plaintext"])

    @property
    def current(self) -> str:
        return f"{self.kek_id}:v{self._read()['latest_version']}"

    def keys(self) -> list[tuple[str, str, bool]]:
        """``(version id, created, is_current)`` of the Vault key's versions."""
        data = self._read()
        return [(f"{self.kek_id}:v{v}", str(created), int(v) == data["latest_version"])
                for v, created in sorted(data["keys"].items(), key=lambda kv: int(kv[0]))]

    def rotate(self) -> str:
        """A new version of the Vault key; what the old ones wrapped still unwraps."""
        self._ensure()
        self._call("rotate", lambda: self._transit().rotate_key(self.key, mount_point=self.mount))
        return self.current

    def _read(self) -> dict:
        self._ensure()
        return self._call("read key", lambda: self._transit().read_key(self.key, mount_point=self.mount))["data"]

    def _call(self, what: str, fn, *, unwrap: bool = False):
        import hvac.exceptions as errors
        import requests

        try:
            return fn()
        except (errors.InvalidRequest, errors.InvalidPath) as exc:
            if unwrap:  # altered, moved to another document, or another key
                raise KeyUnavailable(f"Vault transit {what} refused: {exc}") from exc
            raise ConfigError(f"Vault transit {what} refused: {exc}") from exc
        except (errors.Forbidden, errors.Unauthorized) as exc:
            raise ConfigError(f"Vault transit {what}: the token is not allowed ({exc})") from exc
        except (errors.VaultError, requests.RequestException) as exc:
            raise KeyUnavailable(f"Vault transit {what} failed: {type(exc).__name__}: {exc}") from exc


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()

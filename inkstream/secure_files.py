"""Secret files (keys, credentials, password hashes) are 0600 from their first byte.

``os.open(..., O_CREAT | O_EXCL, 0o600)`` creates the inode with the mode, so no umask and
no window between create and chmod can leave it readable by others; a fresh random temp
name (O_EXCL) means a file an attacker placed beforehand is never reused, and O_NOFOLLOW
means a planted symlink is never written through.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["create_private", "write_private", "read_or_create_private"]

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _private_dir(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)


def create_private(path: Path, data: bytes) -> None:
    """Create ``path`` (0600) holding ``data``; FileExistsError if it exists (first writer wins)."""
    path = Path(path)
    _private_dir(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    _write_new(tmp, data)
    try:
        os.link(tmp, path)  # atomic and exclusive: readers never see a half-written key
    finally:
        os.unlink(tmp)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data`` in a new 0600 file."""
    path = Path(path)
    _private_dir(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    _write_new(tmp, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def read_or_create_private(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes; created 0600 with ``make()`` when absent (racing creators agree)."""
    path = Path(path)
    if not path.exists():
        try:
            create_private(path, make())
        except FileExistsError:
            pass
    return path.read_bytes()


def _write_new(tmp: Path, data: bytes) -> None:
    fd = os.open(tmp, _FLAGS, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        os.unlink(tmp)
        raise

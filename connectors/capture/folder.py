"""MFP hot folder: take a scan only once it is completely written.

A file is taken when its size and mtime have not changed for ``stable_s`` seconds AND
it can be locked exclusively (a writer that locks, like Samba with strict locking or
an MFP's FTP server, still holds it otherwise). It is then renamed into
``.processing/`` (atomic, so two pollers never take the same file), ingested, and moved
to ``done/`` or to ``failed/`` beside a ``<name>.reason.txt`` saying why. If S3 or Kafka
are down it goes back to the inbox and is retried on a later scan.

>>> folder = HotFolder(Path("/srv/scans"), ingest_one, stable_s=2)   # doctest: +SKIP
>>> folder.run(stop_event)                                          # doctest: +SKIP
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connectors.capture.document import CapturedDocument, IngestResult
from inkstream.errors import CaptureError, ConnectorError

__all__ = ["HotFolder", "Outcome"]

log = logging.getLogger(__name__)
_SKIP_SUFFIXES = (".part", ".tmp", ".crdownload", ".filepart", ".reason.txt")


@dataclass(frozen=True)
class Outcome:
    name: str
    status: str  # ingested | duplicate | refused | retry
    detail: str


class HotFolder:
    def __init__(self, root: Path, ingest_one: Callable[[CapturedDocument], IngestResult], *,
                 stable_s: float = 2.0, source_ref: str | None = None, source: str = "folder",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.root = root
        self.done, self.failed, self.processing = root / "done", root / "failed", root / ".processing"
        for d in (root, self.done, self.failed, self.processing):
            d.mkdir(parents=True, exist_ok=True)
        self._ingest_one = ingest_one
        self._stable_s = stable_s
        self._source_ref = source_ref or root.name
        self._source = source
        self._clock = clock
        self._seen: dict[str, tuple[int, int, float]] = {}  # name -> (size, mtime_ns, since)
        self._recover()

    def scan_once(self) -> list[Outcome]:
        """Look at the inbox once; process every file that has become stable."""
        now = self._clock()
        outcomes, present = [], set()
        for entry in os.scandir(self.root):
            if not entry.is_file(follow_symlinks=False) or entry.name.startswith(".") \
                    or entry.name.endswith(_SKIP_SUFFIXES):
                continue
            present.add(entry.name)
            st = entry.stat(follow_symlinks=False)
            sig = (st.st_size, st.st_mtime_ns)
            seen = self._seen.get(entry.name)
            if seen is None or seen[:2] != sig:
                self._seen[entry.name] = (*sig, now)  # new or still growing: wait
                continue
            if now - seen[2] < self._stable_s:
                continue
            outcome = self.take(Path(entry.path))
            if outcome is not None:
                outcomes.append(outcome)
        for gone in set(self._seen) - present:
            self._seen.pop(gone, None)
        return outcomes

    def run(self, stop: threading.Event, interval_s: float = 1.0) -> None:
        while not stop.is_set():
            for o in self.scan_once():
                log.info("hot folder: %s %s %s", o.name, o.status, o.detail)
            stop.wait(interval_s)

    def take(self, path: Path) -> Outcome | None:
        """Claim and ingest ``path`` now (the FTP endpoint calls this once a STOR has
        completed, so no stability wait is needed); None if it is locked or gone."""
        if not _lockable(path):
            return None  # a writer still holds it
        claimed = self.processing / path.name
        try:
            path.rename(claimed)
        except FileNotFoundError:
            return None  # another poller took it
        self._seen.pop(path.name, None)
        return self._ingest(claimed)

    def _ingest(self, claimed: Path) -> Outcome:
        name = claimed.name
        try:
            fd = _open_regular(claimed)
            try:
                # Every later read goes to the inode checked here, whatever the name points to by then.
                result = self._ingest_one(CapturedDocument(source=self._source, source_ref=self._source_ref,
                                                           filename=name, path=Path(f"/proc/self/fd/{fd}")))
            finally:
                os.close(fd)
        except CaptureError as exc:
            target = _unique(self.failed / name)
            try:
                claimed.rename(target)
            except FileNotFoundError:  # removed meanwhile (a racing writer): nothing left to file
                return Outcome(name, "refused", exc.reason)
            target.with_name(target.name + ".reason.txt").write_text(f"{exc.reason}: {exc}\n")
            return Outcome(name, "refused", exc.reason)
        except ConnectorError as exc:
            claimed.rename(self.root / name)  # back to the inbox: retried on a later scan
            return Outcome(name, "retry", str(exc))
        claimed.rename(_unique(self.done / name))
        status = "duplicate" if result.duplicate else "ingested"
        return Outcome(name, status, result.doc_id)

    def _recover(self) -> None:
        """Files left in .processing by a crash go back to the inbox (ingest is idempotent
        by content: a file already stored comes back as a duplicate)."""
        for leftover in self.processing.iterdir():
            leftover.rename(_unique(self.root / leftover.name))


_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def _open_regular(path: Path) -> int:
    """A descriptor on ``path`` itself: never through a symlink swapped in after the scan
    (O_NOFOLLOW), and only a plain file with one name (fstat after open: no FIFO or device,
    no hard link to a file the scanner account may not hand out)."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CaptureError("the inbox entry is a symbolic link", reason="not_a_regular_file") from exc
        raise CaptureError(f"cannot open the file: {exc.strerror}", reason="unreadable") from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        os.close(fd)
        kind = "a hard link" if stat.S_ISREG(st.st_mode) else "not a regular file"
        raise CaptureError(f"the inbox entry is {kind}", reason="not_a_regular_file")
    return fd


def _lockable(path: Path) -> bool:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        # A link swapped in after the scan: claim it, so that it is refused with a reason.
        return exc.errno == errno.ELOOP
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _unique(path: Path) -> Path:
    if not path.exists():
        return path
    stem, suffix = path.stem, path.suffix
    for i in range(1, 10_000):
        candidate = path.with_name(f"{stem}.{i}{suffix}")
        if not candidate.exists():
            return candidate
    raise CaptureError(f"too many files named {path.name}", reason="name_collision")

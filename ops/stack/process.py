"""Detached local processes: start with a pid file, find them again, stop them by pid.

A pid file alone is not proof: pids are reused. ``running_pid`` also checks that the
process's command line still names the marker we started it with (its config path under
the data dir), so ``down`` never signals an unrelated process.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from inkstream.errors import StackError

__all__ = [
    "Managed", "running_pid", "start_detached", "stop", "port_open", "require_port_free",
    "require_tool", "require_disk", "rss_mb", "wait_until",
]


@dataclass(frozen=True)
class Managed:
    """One local process: its name, pid file, log file, and the marker in its command line."""

    name: str
    pid_file: Path
    log_file: Path
    marker: str


def _alive(pid: int) -> bool:
    try:
        # Reap it if it is our own child that already exited (tests start stacks in-process).
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running_pid(proc: Managed) -> int | None:
    """The pid of ``proc`` if it is running (pid file present, alive, command line matches)."""
    try:
        pid = int(proc.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if _alive(pid) and proc.marker in _cmdline(pid):
        return pid
    return None


def start_detached(proc: Managed, argv: list[str], *, env: dict[str, str] | None = None,
                   cwd: Path | None = None) -> int:
    """Start ``argv`` in its own session (it outlives the CLI), output appended to the log."""
    proc.log_file.parent.mkdir(parents=True, exist_ok=True)
    proc.pid_file.parent.mkdir(parents=True, exist_ok=True)
    with open(proc.log_file, "ab") as log:
        child = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, env=env, cwd=cwd, close_fds=True,
        )
    proc.pid_file.write_text(f"{child.pid}\n")
    return child.pid


def stop(proc: Managed, *, timeout: float = 30.0) -> bool:
    """SIGTERM, then SIGKILL after ``timeout`` s. Returns True if something was stopped."""
    pid = running_pid(proc)
    if pid is None:
        proc.pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not _alive(pid), timeout, interval=0.1):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not _alive(pid), 10.0, interval=0.1)
    proc.pid_file.unlink(missing_ok=True)
    return True


def wait_until(check, timeout: float, *, interval: float = 0.25) -> bool:
    """Poll ``check()`` until it is truthy or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except Exception:  # a probe failing is the same as "not yet"
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _port_owner(port: int) -> str:
    """Best effort: which process listens on ``port`` (``ss`` is in iproute2)."""
    if not shutil.which("ss"):
        return ""
    try:
        out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" ({out.split('users:', 1)[1].strip()})" if "users:" in out else ""


def require_port_free(component: str, host: str, port: int, setting: str) -> None:
    """Refuse to start when another process already listens where we would."""
    if port_open(host, port):
        raise StackError(
            f"{component}: port {host}:{port} is taken by another process{_port_owner(port)}. "
            f"Stop that process, or choose another port with {setting}=<port>."
        )


_TOOL_HINTS = {
    "java": "Java 17+ runs Kafka: apt-get install -y openjdk-17-jre-headless",
    "mvn": "Maven resolves the Kafka jars from Maven Central: apt-get install -y maven",
    "go": "Go builds the S3 server (versitygw) from the Go module proxy: "
          "apt-get install -y golang-go (1.22+) or put a Go toolchain on PATH",
    "prometheus": "Prometheus comes from Debian: apt-get install -y prometheus",
    "prometheus-alertmanager": "Alertmanager comes from Debian: apt-get install -y prometheus-alertmanager "
                               "(ops/stack/system-deps.sh)",
}


# Where a tool lives when it is installed but not on PATH (Go's official tarball layout).
_KNOWN_PLACES = {"go": ("/usr/local/go/bin/go",)}


def require_tool(tool: str) -> str:
    path = shutil.which(tool) or next((p for p in _KNOWN_PLACES.get(tool, ()) if os.access(p, os.X_OK)), None)
    if not path:
        raise StackError(f"`{tool}` is not on PATH. {_TOOL_HINTS.get(tool, '')}".strip())
    return path


def require_disk(path: Path, min_free_mb: int = 1024) -> None:
    path.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(path).free // (1024 * 1024)
    if free < min_free_mb:
        raise StackError(
            f"disk full: only {free} MB free under {path} (need {min_free_mb} MB). "
            "Free space there, or point INKSTREAM_DATA_DIR at a bigger disk."
        )


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` in MB (VmRSS from /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno == errno.ENOSPC

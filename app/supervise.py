"""Run a set of inkstream processes (``inkstream run <name>``) as children: start, wait
until healthy, kill, restart, stop. Used by ``inkstream demo``, the end-to-end tests
and the failure drills, so all three exercise the same real processes.
"""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from inkstream.errors import StackError

__all__ = ["Child", "Supervisor"]


def _raise_exit(signum, frame) -> None:
    raise SystemExit(128 + signum)


@dataclass
class Child:
    name: str
    args: list[str]
    port: int                       # /healthz and /metrics
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    restarts: int = 0

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class Supervisor:
    """Children of one pipeline run, with logs under ``log_dir`` (one file per child)."""

    def __init__(self, log_dir: Path, *, env: dict[str, str] | None = None, tls_ca: Path | None = None) -> None:
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **(env or {})}
        self.children: dict[str, Child] = {}
        # The children serve /healthz over HTTPS when http.tls_cert is set (inkstream/tls.py);
        # tls_ca (inkstream.tls.client_ca) is then what their certificate is verified against.
        self._scheme = "https" if tls_ca else "http"
        self._verify = ssl.create_default_context(cafile=str(tls_ca)) if tls_ca else True

    def add(self, name: str, args: list[str], *, port: int, env: dict[str, str] | None = None) -> Child:
        child = Child(name, args, port, env or {})
        self.children[name] = child
        return child

    def start(self, name: str) -> None:
        from ops.stack.process import port_open, require_port_free, wait_until

        child = self.children[name]
        # A leftover process on the port would answer our health checks for the new child;
        # the workers of one just killed need a moment to be reaped.
        wait_until(lambda: not port_open("127.0.0.1", child.port), 15)
        require_port_free(name, "127.0.0.1", child.port, f"{name} port")
        log = open(self.log_dir / f"{name}.log", "ab")
        child.proc = subprocess.Popen(
            [sys.executable, "-m", "inkstream", *child.args], stdout=log, stderr=subprocess.STDOUT,
            env={**self.env, **child.env}, start_new_session=True)
        log.close()

    def start_all(self) -> None:
        for name in self.children:
            self.start(name)

    def healthy(self, name: str) -> bool:
        child = self.children[name]
        if not child.alive:
            return False
        try:
            return httpx.get(f"{self._scheme}://127.0.0.1:{child.port}/healthz", timeout=1,
                             verify=self._verify).status_code == 200
        except httpx.HTTPError:
            return False

    def wait_healthy(self, names: list[str] | None = None, timeout: float = 120) -> None:
        pending = set(names or self.children)
        deadline = time.monotonic() + timeout
        while pending and time.monotonic() < deadline:
            for name in list(pending):
                child = self.children[name]
                if child.proc is not None and child.proc.poll() is not None:
                    raise StackError(f"{name} exited with {child.proc.returncode}; see {self.log_dir / (name + '.log')}")
                if self.healthy(name):
                    pending.discard(name)
            time.sleep(0.3)
        if pending:
            raise StackError(f"not healthy after {timeout:.0f}s: {', '.join(sorted(pending))}; logs in {self.log_dir}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        child = self.children[name]
        if child.alive:
            os.killpg(child.proc.pid, sig)
            child.proc.wait(30)

    def restart(self, name: str) -> None:
        self.kill(name)
        self.children[name].restarts += 1
        self.start(name)

    def stop_all(self, timeout: float = 20) -> None:
        """SIGTERM everyone (graceful shutdown), then SIGKILL what is left."""
        for child in self.children.values():
            if child.alive:
                os.killpg(child.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children.values():
            if child.proc is None:
                continue
            try:
                child.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(child.proc.pid, signal.SIGKILL)
                child.proc.wait(5)

    def __enter__(self) -> "Supervisor":
        # SIGTERM must stop the children too (they run in their own sessions).
        signal.signal(signal.SIGTERM, _raise_exit)
        return self

    def __exit__(self, *exc) -> None:
        self.stop_all()

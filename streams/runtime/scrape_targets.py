"""Processes announce themselves to Prometheus: one file_sd JSON file per (job, port) under
``<data_dir>/conf/prometheus/targets`` (``ops.stack.layout.Layout.prometheus_targets``), which
the Prometheus of ``inkstream up`` reads. The ``job`` label is the processor name; no
document data ever goes into a label. Here, below ``ops``, because workers and the audit
sink write these files; the stack (``ops.stack.prometheus``) only reads and prunes them.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inkstream.settings import Settings

__all__ = ["targets_dir", "register_target", "unregister_target", "targets"]

_JOB = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_.-]{0,63}$")


def targets_dir(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser().resolve() / "conf" / "prometheus" / "targets"


def _target_file(settings: Settings, job: str, port: int) -> Path:
    if not _JOB.match(job):
        raise ValueError(f"job name {job!r} must match {_JOB.pattern}")
    # the instance id in the name: hosts sharing one target directory never overwrite each other
    return targets_dir(settings) / f"{job}-{settings.instance.name}-{int(port)}.json"


def register_target(settings: Settings, job: str, port: int, *, host: str = "127.0.0.1",
                    labels: dict[str, str] | None = None) -> Path:
    """Tell Prometheus to scrape ``host:port/metrics`` as ``job``; returns the target file.

    Written atomically (rename), because Prometheus may read the directory at any time.
    """
    path = _target_file(settings, job, port)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = [{"targets": [f"{host}:{int(port)}"], "labels": {"job": job, **(labels or {})}}]
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(body, indent=2) + "\n")
    tmp.replace(path)
    return path


def unregister_target(settings: Settings, job: str, port: int) -> None:
    _target_file(settings, job, port).unlink(missing_ok=True)


def targets(settings: Settings) -> list[dict[str, Any]]:
    """Every registered target group (what Prometheus will read)."""
    out: list[dict[str, Any]] = []
    for f in sorted(targets_dir(settings).glob("*.json")):
        try:
            out.extend(json.loads(f.read_text()))
        except (OSError, json.JSONDecodeError):
            continue
    return out

"""Where the stack keeps things under the one data directory.

    <data_dir>/cache/   downloads and builds (Kafka jars, Maven repo, the S3 server): kept forever
    <data_dir>/conf/    configuration written by ``up`` from the settings
    <data_dir>/data/    Kafka log dirs, S3 objects, Prometheus TSDB, chDB
    <data_dir>/logs/    one log per process
    <data_dir>/run/     pid files
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inkstream.settings import Settings

__all__ = ["Layout"]


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def of(cls, settings: Settings) -> "Layout":
        return cls(Path(settings.data_dir).expanduser().resolve())

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def conf(self) -> Path:
        return self.root / "conf"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def chdb(self) -> Path:
        return self.data / "chdb"

    @property
    def prometheus_targets(self) -> Path:
        return self.conf / "prometheus" / "targets"

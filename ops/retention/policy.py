"""What the retention report and apply say about one thing they looked at.

Every store module (``kafka``, ``clickhouse``, ``s3``) returns a list of ``Item``: the
policy configured for a target, what the server actually has, and a state. Drift is any
state in ``DRIFT``; ``report --check`` exits non-zero on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Item", "DRIFT", "days", "fmt_days", "ms_days"]

# States. ok: server matches policy. drift: it does not (apply fixes it). missing: the target
# does not exist. conflict: the configuration contradicts the per-type policy (apply cannot fix
# it; change inkstream.yaml). pending: apply could not reach the target now (said why).
# changed/unchanged/would change/deleted: what apply did (or would do with --dry-run).
DRIFT = frozenset({"drift", "missing", "conflict", "pending"})

_DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Item:
    store: str        # kafka | clickhouse | s3
    target: str       # topic, table, or "<prefix> <doc type>"
    configured: str
    actual: str
    state: str
    note: str = ""

    def to_dict(self) -> dict[str, str | bool]:
        return {**asdict(self), "drift": self.drift}

    @property
    def drift(self) -> bool:
        return self.state in DRIFT


def days(ms: int | None) -> float | None:
    return None if ms is None or ms < 0 else ms / _DAY_MS


def ms_days(n: int) -> int:
    return n * _DAY_MS


def fmt_days(value: float | int | None) -> str:
    if value is None:
        return "forever"
    return f"{value:g}d"

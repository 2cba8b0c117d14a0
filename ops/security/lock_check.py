"""``python -m ops.security.lock_check``: ``requirements.lock`` against the committed advisory
snapshot (``ops/security/advisories.json``, the PyPA advisory database pinned by commit:
``ops/security/advisories.py``), offline, with an allow-list.

Exit 0: no advisory, or only allow-listed ones. Exit 1: a locked version inside an
affected range (or an allow-list entry without a reason). Nothing depends on reaching an
advisory service, so every locked package is checked on every run; the snapshot's date is
printed so a stale one shows (SECURITY.md, "Supply chain").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ops.security.advisories import SNAPSHOT, check_lock, load_snapshot

__all__ = ["Verdict", "judge", "load_allowlist", "audit", "main"]

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
ALLOWLIST = ROOT / ".ci" / "pip-audit-allowlist.txt"


@dataclass(frozen=True)
class Verdict:
    code: int  # 0 pass, 1 fail
    lines: tuple[str, ...]


def load_allowlist(path: Path) -> dict[str, str]:
    """``ID  # reason`` per line; an entry without a reason is an error (ValueError)."""
    allowed: dict[str, str] = {}
    for n, raw in enumerate(path.read_text().splitlines(), 1) if path.exists() else ():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _, reason = (part.strip() for part in line.partition("#"))
        if not reason:
            raise ValueError(f"{path.name}:{n}: {vuln_id} needs a reason after '#'")
        allowed[vuln_id] = reason
    return allowed


def judge(report: dict, allowed: dict[str, str]) -> Verdict:
    """The CI verdict for one report (pip-audit's JSON shape: ``dependencies`` with ``vulns``)."""
    audited = report.get("dependencies", [])
    if not audited:
        return Verdict(1, ("no locked packages found: nothing was audited",))
    lines, new = [], 0
    for dep in audited:
        for vuln in dep.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            known = sorted(ids & allowed.keys())
            if known:
                lines.append(f"allowed {dep['name']} {dep['version']} {vuln['id']}: {allowed[known[0]]}")
            else:
                new += 1
                fix = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
                lines.append(f"NEW ADVISORY {dep['name']} {dep['version']} {vuln['id']} (fixed in: {fix})")
    lines.append(f"{len(audited)} packages audited, {new} new advisories")
    return Verdict(1 if new else 0, tuple(lines))


def audit(lock: Path = LOCK, snapshot: Path = SNAPSHOT, allowlist: Path = ALLOWLIST) -> Verdict:
    """``lock`` checked against ``snapshot``, offline."""
    try:
        allowed = load_allowlist(allowlist)
    except ValueError as exc:
        return Verdict(1, (f"advisory allow-list: {exc}",))
    snap = load_snapshot(snapshot)
    verdict = judge(check_lock(lock.read_text(), snap), allowed)
    source = (f"advisories: {snap['source']} at {snap['commit'][:12]} of {snap['date'][:10]} "
              f"({len(snap['advisories'])} advisories, offline snapshot)")
    return Verdict(verdict.code, (source, *verdict.lines))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Check a lock file against the advisory snapshot.")
    parser.add_argument("--lock", type=Path, default=LOCK)
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    args = parser.parse_args(argv)
    verdict = audit(args.lock, args.snapshot)
    print("\n".join(verdict.lines))
    return verdict.code


if __name__ == "__main__":
    raise SystemExit(main())

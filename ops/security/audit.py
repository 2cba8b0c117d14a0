"""``python -m ops.security.audit``: pip-audit over ``requirements.lock`` with an allow-list.

Exit 0: no advisory, or only allow-listed ones. Exit 1: a new advisory (or an allow-list
entry without a reason). When pip-audit's vulnerability service (the PyPI JSON API)
cannot be reached, which is the case on machines that only see a package index, every
dependency comes back "could not be audited": that is reported as SKIPPED, loudly, and
is not a pass and not a failure (SECURITY.md, "Supply chain").
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Verdict", "judge", "load_allowlist", "main"]

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
ALLOWLIST = ROOT / ".ci" / "pip-audit-allowlist.txt"


@dataclass(frozen=True)
class Verdict:
    code: int  # 0 pass, 1 fail, 0 with skipped=True: could not audit
    skipped: bool
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
    """The CI verdict for one pip-audit JSON report."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    if deps and not audited:
        return Verdict(0, True, (f"SKIPPED: pip-audit could not reach its vulnerability service for any of "
                                 f"the {len(deps)} locked packages ({skipped[0]['skip_reason']}). "
                                 "Nothing was audited; run `python -m ops.security.audit` where "
                                 "https://pypi.org/pypi/<name>/<version>/json is reachable.",))
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
    lines += [f"not audited: {d['name']}: {d['skip_reason']}" for d in skipped]
    lines.append(f"{len(audited)} packages audited, {new} new advisories")
    return Verdict(1 if new else 0, False, tuple(lines))


def main() -> int:
    try:
        allowed = load_allowlist(ALLOWLIST)
    except ValueError as exc:
        print(f"pip-audit allow-list: {exc}", file=sys.stderr)
        return 1
    cmd = [sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes", "-r", str(LOCK),
           "--format", "json", "--progress-spinner", "off"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}", file=sys.stderr)
        return 1
    verdict = judge(report, allowed)
    print("\n".join(verdict.lines))
    return verdict.code


if __name__ == "__main__":
    raise SystemExit(main())

"""Python advisories, checked offline against a dated snapshot committed beside this file.

The advisory services cannot be reached from CI here, so ``advisories.json`` holds a
compact copy of the PyPA advisory database (github.com/pypa/advisory-database, OSV
format), pinned by commit: per advisory its id, aliases, package, affected ranges (or
versions) and fixed versions, nothing else. Every package of the database is kept, so a
dependency added later is checked too.

Refresh (where GitHub can be reached), then commit the result:

    python -m ops.security.advisories refresh --commit <sha of pypa/advisory-database>
    python -m ops.security.advisories refresh --repo /path/to/a/clone --commit <sha>

``python -m ops.security.lock_check`` reads the snapshot; a locked version inside an affected
range fails CI.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

__all__ = ["SNAPSHOT", "build", "affected", "check_lock", "locked_versions", "load_snapshot"]

SNAPSHOT = Path(__file__).with_name("advisories.json")
UPSTREAM = "https://github.com/pypa/advisory-database"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _compact(doc: dict) -> list[dict]:
    """The parts of one OSV advisory needed to match a pin, one entry per PyPI package."""
    out = []
    for item in doc.get("affected") or []:
        package = item.get("package") or {}
        if package.get("ecosystem") != "PyPI":
            continue
        ranges = [[{k: str(v) for k, v in e.items()} for e in r.get("events", [])]
                  for r in item.get("ranges") or [] if r.get("type") == "ECOSYSTEM"]
        entry = {"id": doc["id"], "package": canonicalize_name(package["name"]), "ranges": ranges}
        if doc.get("aliases"):
            entry["aliases"] = sorted(doc["aliases"])
        if not ranges:  # only an explicit version list (e.g. GIT ranges upstream)
            entry["versions"] = [str(v) for v in item.get("versions") or []]
        fixed = sorted({e["fixed"] for r in ranges for e in r if "fixed" in e})
        if fixed:
            entry["fixed"] = fixed
        out.append(entry)
    return out


def build(repo: Path, commit: str) -> dict:
    """The snapshot of ``repo`` (a git clone of the database) at ``commit``."""
    commit = _git(repo, "rev-parse", f"{commit}^{{commit}}").strip()
    date = _git(repo, "show", "-s", "--format=%cI", commit).strip()
    names = [n for n in _git(repo, "ls-tree", "-r", "--name-only", commit, "vulns").splitlines()
             if n.endswith((".yaml", ".yml"))]
    advisories = []
    for name in names:
        doc = yaml.safe_load(_git(repo, "show", f"{commit}:{name}"))
        if isinstance(doc, dict) and doc.get("id") and not doc.get("withdrawn"):
            advisories += _compact(doc)
    advisories.sort(key=lambda a: (a["package"], a["id"]))
    return {"source": UPSTREAM, "commit": commit, "date": date, "advisories": advisories}


def dump(snapshot: dict) -> str:
    """One advisory per line: a refresh shows in review as the lines it adds and removes."""
    head = {k: v for k, v in sorted(snapshot.items()) if k != "advisories"}
    rows = [json.dumps(a, separators=(",", ":"), sort_keys=True) for a in snapshot["advisories"]]
    return (json.dumps(head, separators=(",", ":"))[:-1] + ',"advisories":[\n' + ",\n".join(rows) + "\n]}\n")


def load_snapshot(path: Path = SNAPSHOT) -> dict:
    return json.loads(path.read_text())


def _v(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def affected(version: str, advisory: dict) -> bool:
    """OSV's ECOSYSTEM range rule: affected from an ``introduced`` until the next ``fixed``
    (exclusive) or ``last_affected`` (inclusive); or listed in ``versions``."""
    if version in advisory.get("versions", ()):
        return True
    v = _v(version)
    if v is None:
        return False
    for events in advisory.get("ranges", ()):
        inside = False
        for event in events:
            if "introduced" in event:
                start = event["introduced"]
                if start == "0" or ((sv := _v(start)) is not None and v >= sv):
                    inside = True
            elif "fixed" in event and inside and (fv := _v(event["fixed"])) is not None:
                inside = v < fv
                if inside:
                    return True
            elif "last_affected" in event and inside and (lv := _v(event["last_affected"])) is not None:
                inside = v <= lv
                if inside:
                    return True
        if inside:  # introduced with no end: every later version
            return True
    return False


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)(?:\[[^\]]*\])?==([^\s\\;]+)", re.M)


def locked_versions(lock_text: str) -> dict[str, str]:
    """name -> pinned version, from a pip/uv requirements file."""
    return {canonicalize_name(m.group(1)): m.group(2) for m in _PIN.finditer(lock_text)}


def check_lock(lock_text: str, snapshot: dict) -> dict:
    """A pip-audit-shaped report (``dependencies`` with ``vulns``) for every pin."""
    by_package: dict[str, list[dict]] = {}
    for adv in snapshot["advisories"]:
        by_package.setdefault(adv["package"], []).append(adv)
    deps = []
    for name, version in sorted(locked_versions(lock_text).items()):
        vulns = [{"id": a["id"], "aliases": a.get("aliases", []), "fix_versions": a.get("fixed", [])}
                 for a in by_package.get(name, ()) if affected(version, a)]
        deps.append({"name": name, "version": version, "vulns": vulns})
    return {"dependencies": deps, "fixes": []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Refresh the committed advisory snapshot.")
    sub = parser.add_subparsers(dest="command", required=True)
    refresh = sub.add_parser("refresh")
    refresh.add_argument("--repo", default=UPSTREAM, help="a clone (path) or the upstream URL")
    refresh.add_argument("--commit", required=True, help="the database commit to pin")
    refresh.add_argument("--out", type=Path, default=SNAPSHOT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(args.repo)
        if not repo.exists():
            repo = Path(tmp) / "db"
            subprocess.run(["git", "clone", "--quiet", "--filter=blob:none", "--no-checkout", args.repo, str(repo)],
                           check=True)
        snapshot = build(repo, args.commit)
    args.out.write_text(dump(snapshot))
    print(f"{args.out}: {len(snapshot['advisories'])} advisories, {snapshot['source']} at "
          f"{snapshot['commit']} ({snapshot['date']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Supply chain: requirements.lock pins every deployable dependency with hashes, and the
CI audit step fails on a new advisory, passes allow-listed ones (each with a reason) and
says SKIPPED, not "no vulnerabilities", when nothing could be audited."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ops.security.audit import ALLOWLIST, LOCK, judge, load_allowlist

ROOT = Path(__file__).resolve().parents[2]


def _locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from requirements.lock."""
    entries: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text()):
        m = re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)", block)
        if m:
            entries[canonicalize_name(m.group(1))] = (m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def test_every_deployable_dependency_is_locked_at_an_allowed_version_with_hashes():
    locked = _locked()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in map(Requirement, deps):
        name = canonicalize_name(dep.name)
        assert name in locked, f"{dep.name} is not in requirements.lock (re-run the command in its header)"
        assert dep.specifier.contains(locked[name][0], prereleases=True), (dep, locked[name][0])
    assert all(hashes for _, hashes in locked.values()), [n for n, (_, h) in locked.items() if not h]
    assert len(locked) > len(deps)  # transitive dependencies are pinned too


VULN = {"id": "PYSEC-2099-1", "aliases": ["GHSA-xxxx-yyyy-zzzz"], "fix_versions": ["9.9"], "description": "d"}


def _report(*deps):
    return {"dependencies": list(deps), "fixes": []}


def test_a_new_advisory_fails_the_audit():
    verdict = judge(_report({"name": "jinja2", "version": "3.1.6", "vulns": [VULN]},
                            {"name": "rich", "version": "15.0.0", "vulns": []}), {})
    assert verdict.code == 1 and not verdict.skipped
    assert any("NEW ADVISORY jinja2 3.1.6 PYSEC-2099-1" in line for line in verdict.lines)


def test_an_allow_listed_advisory_passes_with_its_reason_shown_also_by_alias():
    verdict = judge(_report({"name": "jinja2", "version": "3.1.6", "vulns": [VULN]}),
                    {"GHSA-xxxx-yyyy-zzzz": "sandbox not used"})
    assert verdict.code == 0 and any("sandbox not used" in line for line in verdict.lines)


def test_nothing_audited_is_reported_as_skipped_not_as_clean():
    verdict = judge(_report({"name": "rich", "skip_reason": "Dependency not found on PyPI"}), {})
    assert verdict.skipped and verdict.lines[0].startswith("SKIPPED")


def test_an_allow_list_entry_without_a_reason_is_rejected(tmp_path):
    path = tmp_path / "allow.txt"
    path.write_text("# header\nPYSEC-2099-1  # accepted: not reachable from input\nGHSA-aaaa-bbbb-cccc\n")
    with pytest.raises(ValueError, match="GHSA-aaaa-bbbb-cccc needs a reason"):
        load_allowlist(path)
    path.write_text("PYSEC-2099-1  # accepted: not reachable from input\n")
    assert load_allowlist(path) == {"PYSEC-2099-1": "accepted: not reachable from input"}


def test_the_committed_allow_list_is_well_formed():
    load_allowlist(ALLOWLIST)


def _cited_tests(text: str):
    """(file, test) for every ``path::test`` in SECURITY.md; a bare ``::test`` continues
    the file cited before it."""
    current = None
    for path, name in re.findall(r"`(tests/[\w/]+\.py)?::(\w+)`", text):
        current = path or current
        yield current, name


def test_every_test_security_md_cites_exists():
    """SECURITY.md claims nothing without a test: each cited test is a real function."""
    cited = list(_cited_tests((ROOT / "SECURITY.md").read_text()))
    assert len(cited) >= 40
    missing = [f"{path}::{name}" for path, name in cited
               if not re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.M)]
    assert not missing, missing

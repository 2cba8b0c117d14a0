"""Supply chain: requirements.lock pins every deployable dependency with hashes, and the
CI audit step checks it offline against the committed advisory snapshot (issue 12 item 10):
it fails on a known-vulnerable pin and passes allow-listed ones (each with a reason)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from ops.security.lock_check import ALLOWLIST, LOCK, judge, load_allowlist

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
    assert verdict.code == 1
    assert any("NEW ADVISORY jinja2 3.1.6 PYSEC-2099-1" in line for line in verdict.lines)


def test_an_allow_listed_advisory_passes_with_its_reason_shown_also_by_alias():
    verdict = judge(_report({"name": "jinja2", "version": "3.1.6", "vulns": [VULN]}),
                    {"GHSA-xxxx-yyyy-zzzz": "sandbox not used"})
    assert verdict.code == 0 and any("sandbox not used" in line for line in verdict.lines)


def test_nothing_audited_is_a_failure_not_a_pass():
    verdict = judge(_report(), {})
    assert verdict.code == 1 and "nothing was audited" in verdict.lines[0]


FIXTURE = ROOT / "tests" / "ops" / "fixtures" / "vulnerable-requirements.lock"


def test_a_known_vulnerable_pin_fails_the_offline_audit(capsys):
    from ops.security.lock_check import main

    assert main(["--lock", str(FIXTURE)]) == 1
    out = capsys.readouterr().out
    assert "NEW ADVISORY urllib3 1.26.4 PYSEC-2021-108 (fixed in: 1.26.5)" in out
    assert "NEW ADVISORY requests 2.30.0 PYSEC-2023-74" in out  # extras in the pin are read too
    assert "fastapi" not in out.split("NEW ADVISORY")[-1].split("\n")[0]
    assert "3 packages audited" in out and "offline snapshot" in out


def test_the_committed_lock_passes_and_every_locked_package_is_checked(capsys):
    from ops.security.lock_check import main

    assert main([]) == 0
    assert f"{len(_locked())} packages audited, 0 new advisories" in capsys.readouterr().out


def test_the_snapshot_is_pinned_and_compact():
    from ops.security.advisories import SNAPSHOT, load_snapshot

    snap = load_snapshot()
    assert re.fullmatch(r"[0-9a-f]{40}", snap["commit"]) and snap["source"].endswith("pypa/advisory-database")
    assert len(snap["advisories"]) > 1000 and SNAPSHOT.stat().st_size < 3 * 1024 * 1024
    assert {"jinja2", "urllib3", "requests", "pillow"} <= {a["package"] for a in snap["advisories"]}


@pytest.mark.parametrize("version,expected", [
    ("0.9", False), ("1.0", True), ("1.4.9", True), ("1.5", False), ("2.0", True), ("2.3", True),
    ("2.3.1", False), ("3.0", True), ("9.0", True), ("not-a-version", False)])
def test_osv_ranges_introduced_fixed_last_affected_and_open_ended(version, expected):
    from ops.security.advisories import affected

    advisory = {"ranges": [[{"introduced": "1.0"}, {"fixed": "1.5"}, {"introduced": "2.0"}, {"last_affected": "2.3"}],
                           [{"introduced": "3.0"}]]}
    assert affected(version, advisory) is expected
    assert affected("0.1.dev1", {"ranges": [], "versions": ["0.1.dev1"]})


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

"""Runs each coverage-guided harness in fuzz/ for a bounded time (CI budget: about 15 s
each, ``INKSTREAM_FUZZ_SECONDS`` to change it) from its seed corpus plus the inputs that
once crashed it (``fuzz/regressions/<target>``). A crash is an exception outside the
harness's documented contract: atheris prints the traceback and exits non-zero, and the
test fails with that traceback and the crashing input's file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="dev extra: coverage-guided fuzzing")

ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("INKSTREAM_FUZZ_SECONDS", "15"))
TARGETS = ("webhooks", "mail", "intake")


def run_harness(script: Path, corpus: list[Path], artifacts: Path, seconds: int) -> subprocess.CompletedProcess:
    """libFuzzer flags: stop after ``seconds``; an input slower than 10 s is a hang (a
    crash too); crashing inputs are written under ``artifacts``."""
    artifacts.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, str(script), *map(str, corpus), f"-max_total_time={seconds}", "-timeout=10",
           "-rss_limit_mb=2048", f"-artifact_prefix={artifacts}/", "-print_final_stats=1"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    return subprocess.run(cmd, cwd=artifacts, env=env, capture_output=True, text=True, errors="replace",
                          timeout=seconds + 120)


def _report(proc: subprocess.CompletedProcess, artifacts: Path) -> str:
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines()
             if not ln.startswith(("#", "0x", "INFO:", "WARNING:")) and "Uses:" not in ln]
    crashes = sorted(p.name for p in artifacts.glob("*-*"))
    return f"exit {proc.returncode}; crashing inputs in {artifacts}: {crashes}\n" + "\n".join(lines[-60:])


@pytest.mark.parametrize("target", TARGETS)
def test_the_harness_finds_no_crash_within_its_ci_budget(target, tmp_path):
    from fuzz.seeds import write

    corpus = tmp_path / "corpus"  # libFuzzer adds what it finds here; the repository's seeds stay as they are
    assert write(target, corpus) > 0
    dirs = [corpus] + [d for d in [ROOT / "fuzz" / "regressions" / target] if d.is_dir()]
    proc = run_harness(ROOT / "fuzz" / f"fuzz_{target}.py", dirs, tmp_path / "artifacts", SECONDS)
    assert proc.returncode == 0, _report(proc, tmp_path / "artifacts")
    stats = proc.stdout + proc.stderr
    assert "Done " in stats and "stat::number_of_executed_units" in stats, _report(proc, tmp_path / "artifacts")
    runs = int(stats.split("stat::number_of_executed_units:")[1].split()[0])
    assert runs > 100, f"only {runs} inputs in {SECONDS} s: the harness is not fuzzing"


def test_a_contract_violation_is_reported_as_a_crash_with_its_input(tmp_path):
    """The runner itself: a harness that lets an undocumented exception escape fails."""
    script = tmp_path / "fuzz_broken.py"
    script.write_text(textwrap.dedent("""
        import sys
        import atheris

        def TestOneInput(data):
            if data.startswith(b"BOOM"):
                raise KeyError("not in the contract")

        atheris.Setup(sys.argv, TestOneInput)
        atheris.Fuzz()
    """))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "seed").write_bytes(b"BOOM")
    proc = run_harness(script, [corpus], tmp_path / "artifacts", 5)
    assert proc.returncode != 0
    assert "KeyError" in proc.stdout + proc.stderr
    [crash] = (tmp_path / "artifacts").glob("crash-*")
    assert crash.read_bytes() == b"BOOM"

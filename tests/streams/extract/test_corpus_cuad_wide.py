"""CUAD's own labels (master_clauses.csv) normalised to the contract fields (bench/corpus_cuad.py wide)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("corpus_cuad", ROOT / "bench" / "corpus_cuad.py")
cuad = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cuad)


def row(parties="", agreement="", effective="", expiration=""):
    return {"Parties-Answer": parties, "Agreement Date-Answer": agreement, "Effective Date-Answer": effective,
            "Expiration Date-Answer": expiration, "Renewal Term-Answer": ""}


@pytest.mark.parametrize("answer,iso", [("2/17/99", "1999-02-17"), ("5/8/14", "2014-05-08"),
                                        ("12/31/2010", "2010-12-31"), ("[]/[]/2000", None), ("12/01/[]", None),
                                        ("perpetual", None), ("2/30/2010", None), ("", None)])
def test_cuad_dates_are_month_first_and_blanks_are_no_label(answer, iso):
    assert cuad.cuad_date(answer) == iso


@pytest.mark.parametrize("start,end,months", [("2010-01-01", "2010-12-31", 12), ("1999-02-17", "2000-02-17", 12),
                                              ("2006-07-11", "2010-06-30", None), ("2014-02-10", "2019-02-10", 60),
                                              ("2010-01-01", "2010-01-01", None)])
def test_a_term_is_labelled_only_when_whole_months(start, end, months):
    assert cuad.whole_months(start, end) == months


def test_the_effective_date_falls_back_to_the_agreement_date_only_when_cuad_has_no_answer():
    assert cuad.wide_label(row(agreement="5/8/14"))["fields"]["effective_date"] == "2014-05-08"
    # A blank printed in the contract ("[]/[]/2000") is not replaced by another date: no label.
    assert "effective_date" not in cuad.wide_label(row(agreement="5/8/14", effective="[]/[]/2000"))["fields"]


def test_counterparty_is_the_second_of_exactly_two_parties_without_its_defined_term():
    two = row(parties='Birch First Global Investments Inc. ("Company"); CONVERGTV,\u00a0INC.\u00a0(“ConvergTV”)')
    assert cuad.wide_label(two)["fields"]["counterparty"] == "CONVERGTV, INC."
    quoted = row(parties='Tickets.com, Inc. ("Tickets"); MP3.com Inc. "MP3.com"')
    assert cuad.wide_label(quoted)["fields"]["counterparty"] == "MP3.com Inc."
    three = row(parties="A Corp. (\"A\"); B LLC (\"B\"); C Inc. (\"C\")")
    assert "counterparty" not in cuad.wide_label(three)["fields"]


def test_term_comes_from_the_effective_and_expiration_dates():
    fields = cuad.wide_label(row(agreement="1/1/10", expiration="12/31/10"))["fields"]
    assert fields == {"effective_date": "2010-01-01", "term_months": "12"}


def test_the_wide_manifest_pins_every_file_by_sha256():
    manifest = json.loads(cuad.WIDE_MANIFEST.read_text())
    assert manifest["commit"] == cuad.COMMIT
    assert len(manifest["files"]) >= 100
    assert all(len(v["sha256"]) == 64 and v["path"].startswith(cuad.BASE) for v in manifest["files"].values())

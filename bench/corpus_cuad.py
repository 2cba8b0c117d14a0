"""Real contracts (SEC EDGAR exhibits, via CUAD v1, CC BY 4.0) as a labelled development set.

CUAD (the Contract Understanding Atticus Dataset, The Atticus Project) collects 510 commercial
contracts filed as exhibits with the US SEC; its ``full_contract_pdf`` folder has each as a PDF
with a text layer. The Atticus Project's own repository does not hold the PDFs (only a zip the
mirror lacks); the course repository below carries an unmodified copy of ``CUAD_v1/`` with its
README (licence: CC BY 4.0, line 345). We take 12 short contracts phrased by many drafters
(sponsorship, endorsement, hosting, maintenance, distribution, services) and label the fields
the contract extractor reads, by hand, from each PDF's text layer.

    # the committed subset (≈1 MB) from the pinned commit, every file's SHA-256 checked:
    .venv/bin/python bench/corpus_cuad.py subset                      # downloads raw files
    .venv/bin/python bench/corpus_cuad.py subset --src /path/to/law3027.git   # or a git mirror

    # a wider set (not committed): the short CUAD PDFs with CUAD's own labels as truth
    .venv/bin/python bench/corpus_cuad.py wide --dest /tmp/cuadwide [--src /path/to/law3027.git]
    .venv/bin/python bench/extraction_eval.py --corpus /tmp/cuadwide --versions rules-3   # cuadwide-dev/-test

Labelling rules (``SOURCE.md`` says the same):
- ``effective_date``: the date the contract says it takes effect; where it names none, the date
  it is made/dated.
- ``term_months``: the initial term, only where the contract states it as a duration or as a
  start and end date a whole number of months apart; renewals are not counted.
- ``total_amount`` + ``currency``: only where the contract states one fee/consideration for the
  term (not per-unit, per-month, insurance limits or redacted ``$[***]``).
- ``counterparty``: the party named second in the opening clause (as printed there; where the
  contract has no such clause, as printed in the signature block).
- ``signer_name`` / ``signer_email``: that party's signatory as printed in the signature block.
Fields a contract does not state are left out (the bench scores only labelled fields).
Each label carries ``evidence``: for every field the exact words on the page it was read from;
``tests/corpus/test_corpus_truth.py`` checks those words are in the text layer.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO = "maastrichtlawtech/law3027-advanced-legal-analytics"
COMMIT = "77c8f5a3cc2e6e5e3793b43f84a3bc097a414f9e"  # master of 2024-05-08
BASE = "data/CUAD_v1/full_contract_pdf/"
SUBSET_DIR = ROOT / "tests" / "corpus" / "cuad"
LABELLED_BY = "inkstream helper, 2026-12-06"

# path under BASE -> sha256, fields, evidence (the printed words each field was read from)
CONTRACTS: dict[str, dict] = {
    "Part_II/Maintenance/NETZEEINC_11_14_2002-EX-10.3-MAINTENANCE AGREEMENT.PDF": {
        "fields": {"effective_date": "2001-03-01", "term_months": "12", "counterparty": "THE BANKERS BANK",
                   "signer_name": "Kevin Tweddle"},
        "evidence": {"effective_date": "COMMENCEMENT DATE FOR MAINTENANCE UNDER THIS ADDENDUM: MARCH 1, 2001",
                     "term_months": "The maintenance is for a period of one (1) year",
                     "counterparty": "THE BANKERS BANK, a Georgia", "signer_name": "Name: Kevin Tweddle"}},
    "Part_III/Sponsorship/TICKETSCOMINC_06_22_1999-EX-10.22-SPONSORSHIP AGREEMENT.PDF": {
        "fields": {"effective_date": "1999-02-17", "term_months": "12", "counterparty": "MP3.com, Inc.",
                   "signer_name": "Greg Flores"},
        "evidence": {"effective_date": "entered into on February 17, 1999 (\"Effective Date\")",
                     "term_months": "until one (1) year subsequent to the Effective Date",
                     "counterparty": "and MP3.com, Inc., having an address",
                     "signer_name": "/s/ Greg Flores, VP Sales"}},
    "Part_II/Sponsorship/CANOPETROLEUM,INC_12_13_2007-EX-10.1-Sponsorship Agreement.PDF": {
        "fields": {"effective_date": "2008-01-01", "term_months": "12", "total_amount": "150000.00",
                   "currency": "USD", "counterparty": "Cano Petroleum, Inc.", "signer_name": "Jeff Johnson"},
        "evidence": {"effective_date": "to be effective January 1, 2008",
                     "term_months": "The term of this Agreement shall be one (1) year",
                     "total_amount": "compensation in the amount of $150,000.00", "currency": "$150,000.00",
                     "counterparty": "and Cano Petroleum, Inc., a Delaware corporation",
                     "signer_name": "Printed name: Jeff Johnson"}},
    "Part_III/Sponsorship/CURAEGISTECHNOLOGIES,INC_05_26_2010-EX-1-CORPORATE SPONSORSHIP AGREEMENT.PDF": {
        "fields": {"effective_date": "2010-05-18", "counterparty": "Torvec Inc.", "signer_name": "Keith E. Gleasman"},
        "evidence": {"effective_date": "entered into as of May 18, 2010, (the “Effective Date”)",
                     "counterparty": "and Torvec Inc.., a New York corporation",
                     "signer_name": "Keith E. Gleasman, President"}},
    "Part_II/Sponsorship/GAINSCOINC_01_21_2010-EX-10.41-SPONSORSHIP AGREEMENT.PDF": {
        "fields": {"effective_date": "2010-01-01", "term_months": "12", "total_amount": "750000.00",
                   "currency": "USD", "counterparty": "GAINSCO, INC.", "signer_name": "Glenn W. Anderson"},
        "evidence": {"effective_date": "entered into effective January 1, 2010",
                     "term_months": "shall commence on January 1, 2010 and extend through December 31, 2010",
                     "total_amount": "a sponsorship fee in the amount of $750,000.00 for the term",
                     "currency": "$750,000.00", "counterparty": "and GAINSCO, INC., a Texas corporation",
                     "signer_name": "Glenn W. Anderson, President"}},
    "Part_III/Hosting/BOLIVARMININGCORP_05_23_2003-EX-2.1-VISP WEB SITE BUILDING AND HOSTING AGREEMENT.PDF": {
        "fields": {"effective_date": "2003-05-12", "term_months": "60", "counterparty": "Kingdom Connect, Inc.",
                   "signer_name": "Gene Jackson"},
        "evidence": {"effective_date": "made on this 12th day of May 2003",
                     "term_months": "for a term of five years from the date of this document",
                     "counterparty": "and Kingdom Connect, Inc., a Corporation",
                     "signer_name": "Print Name: Gene Jackson"}},
    "Part_III/Endorsement Agreement/MARSHALLHOLDINGSINTERNATIONAL,INC_04_14_2004-EX-10.15-ENDORSEMENT AGREEMENT.PDF": {
        "fields": {"effective_date": "2003-11-01", "term_months": "12", "counterparty": "The Right Solution",
                   "signer_name": "Rick Bailey"},
        "evidence": {"effective_date": "November, 2003 by and between",
                     "term_months": "agrees to a one year engagement",
                     "counterparty": "and The Right Solution, a Nevada Corporation",
                     "signer_name": "Rick Bailey President / CEO"}},
    "Part_III/Endorsement Agreement/HOLIDAYRVSUPERSTORESINC_04_15_2002-EX-10.13-ENDORSEMENT AGREEMENT.PDF": {
        "fields": {"effective_date": "2002-03-20", "term_months": "36", "total_amount": "1500000.00",
                   "currency": "USD", "counterparty": "Affinity Group, Inc.", "signer_name": "Paul E. Schedler"},
        "evidence": {"effective_date": "made as of the 20th day of March 2002",
                     "term_months": "this Agreement shall be three years, commencing on the date of this Agreement",
                     "total_amount": "a fee in the amount of $1,500,000.", "currency": "$1,500,000",
                     "counterparty": "and Affinity Group, Inc. (\"AGI\")",
                     "signer_name": "Name: Paul E. Schedler"}},
    "Part_III/Distributor/LEGACYTECHNOLOGYHOLDINGS,INC_12_09_2005-EX-10.2-DISTRIBUTOR AGREEMENT.PDF": {
        "fields": {"effective_date": "2005-12-08", "term_months": "24",
                   "counterparty": "Sierra Mountain Minerals, Inc.", "signer_name": "Michael Bentley"},
        "evidence": {"effective_date": "effective as of _Dec. 8, 2005 (hereinafter \"Effective Date\")",
                     "term_months": "The term of this Agreement shall be two (2) years from the Effective Date",
                     "counterparty": "and Sierra Mountain Minerals, Inc., a Canadian company",
                     "signer_name": "/s/ Michael Bentley"}},
    "Part_I/Affiliate_Agreements/SteelVaultCorp_20081224_10-K_EX-10.16_3074935_EX-10.16_Affiliate Agreement.pdf": {
        "fields": {"effective_date": "2008-10-01", "term_months": "12",
                   "counterparty": "National Credit Report.com, LLC", "signer_name": "Ivan Posniak",
                   "signer_email": "ivan.posniak@nationalcreditreport.com"},
        "evidence": {"effective_date": "made this 1st day of October 2008, (the “Effective Date”)",
                     "term_months": "This Agreement shall be for the term of one year",
                     "counterparty": "and National Credit Report.com, LLC a Corporation",
                     "signer_name": "Print Name: Ivan Posniak",
                     "signer_email": "Email Address: ivan.posniak@nationalcreditreport.com"}},
    "Part_I/Endorsement/PharmagenInc_20120803_8-KA_EX-10.1_7693204_EX-10.1_Endorsement Agreement.pdf": {
        "fields": {"effective_date": "2012-02-20", "term_months": "12", "total_amount": "50000.00",
                   "currency": "USD", "counterparty": "Paul Silas", "signer_name": "Paul Silas"},
        "evidence": {"effective_date": "made effective as of February 20, 2012 (\"Effective Date\")",
                     "term_months": "shall be for one (1) year commencing on the Effective Date",
                     "total_amount": "Fifty Thousand and NO/100 Dollars ($50,000)", "currency": "($50,000)",
                     "counterparty": "and Paul Silas (\"Celebrity), an individual",
                     "signer_name": "By: /s/ Paul Silas"}},
    "Part_III/Service/SCOUTCAMINC_05_12_2020-EX-10.22-SERVICES AGREEMENT.PDF": {
        "fields": {"effective_date": "2019-04-01", "term_months": "12",
                   "counterparty": "Intellisense Solutions, Inc.", "signer_name": "Oded Gilboa"},
        "evidence": {"effective_date": "dated as of April 1, 2019",
                     "term_months": "continue for a minimum period of 12 months",
                     "counterparty": "and Intellisense Solutions, Inc., a Nevada corporation",
                     "signer_name": "Oded Gilboa, CFO"}},
}


def local_name(path: str) -> str:
    """File name in the subset: the CUAD name with spaces and punctuation made safe, ``.pdf``."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("_") + ".pdf"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fetch(src: Path | None, path: str) -> bytes:
    return _fetch_raw(src, BASE + path)


def label_for(path: str, meta: dict) -> dict:
    fields = meta["fields"]
    return {
        "doc_type": "contract",
        "fields": fields,
        "evidence": meta["evidence"],
        "line_items": [],
        "scanned": False,
        "degradation": "digital",
        "language": "en",
        "labelled_by": LABELLED_BY,
        "source": {"repo": REPO, "commit": COMMIT, "path": BASE + path, "dataset": "CUAD v1 (CC BY 4.0)"},
    }


def cmd_subset(args) -> int:
    manifest_path = SUBSET_DIR / "manifest.json"
    pinned = json.loads(manifest_path.read_text())["files"] if manifest_path.exists() and not args.pin else {}
    SUBSET_DIR.mkdir(parents=True, exist_ok=True)
    truth, hashes, bad = {}, {}, 0
    for path, meta in CONTRACTS.items():
        data = _fetch(args.src, path)
        name = local_name(path)
        digest = _sha(data)
        if pinned and pinned.get(name, {}).get("sha256") != digest:
            print(f"SHA-256 mismatch, not kept: {path}", file=sys.stderr)
            bad += 1
            continue
        (SUBSET_DIR / name).write_bytes(data)
        hashes[name] = {"sha256": digest, "size": len(data), "path": BASE + path}
        truth[name] = label_for(path, meta)
    (SUBSET_DIR / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    if args.pin:
        manifest_path.write_text(json.dumps({"repo": REPO, "commit": COMMIT, "license": "CC-BY-4.0 (CUAD v1)",
                                             "files": hashes}, indent=1, sort_keys=True) + "\n")
    print(f"{len(truth)} contracts -> {SUBSET_DIR}")
    return 1 if bad else 0


# ---- the wide set: CUAD's own labels (master_clauses.csv) normalised to our fields ----------------
WIDE_MANIFEST = Path(__file__).with_name("cuad_wide_manifest.json")
WIDE_MAX_BYTES = 100_000  # short contracts (≈1-8 pages): the bench stays minutes, not hours
CLAUSES = "data/CUAD_v1/master_clauses.csv"
_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\s*$")


def cuad_date(answer: str) -> str | None:
    """CUAD writes dates as ``M/D/YY`` or ``M/D/YYYY``; ``[]/[]/2000`` (a blank in the contract)
    and anything else is no label."""
    m = _US_DATE.match(answer or "")
    if not m:
        return None
    month, day, year = int(m[1]), int(m[2]), int(m[3])
    if year < 100:
        year += 1900 if year > 30 else 2000
    import datetime as dt

    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def whole_months(start: str, end: str) -> int | None:
    """Months from ``start`` to ``end`` when whole: the same day of the month, or the day before it
    (1 Jan 2010 - 31 Dec 2010 is 12); else None. Written again here on purpose, not imported from
    streams.extract.contract_checks: the truth must not share a bug with the extractor it scores."""
    import datetime as dt

    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    for day in (b, b + dt.timedelta(days=1)):
        if day.day == a.day:
            months = (day.year - a.year) * 12 + day.month - a.month
            return months if months > 0 else None
    return None


def _party_name(answer: str) -> str:
    """``Birch First Global Investments Inc. ("Company")`` -> the name before its defined term."""
    name = re.split(r"\s*[(\[\"“]", answer.replace("\u00a0", " "), maxsplit=1)[0]
    return re.sub(r"\s+", " ", name).strip(" ,;")


def wide_label(row: dict) -> dict:
    """Our fields from one row of CUAD's master_clauses.csv (the same rules as the hand labels:
    the effective date, else the agreement date; the initial term from it to the expiration date
    when whole months; the counterparty = the second of exactly two parties). Amount, currency
    and signer are not among CUAD's categories: left unlabelled (unscored)."""
    fields: dict[str, str] = {}
    effective = cuad_date(row["Effective Date-Answer"]) or (
        None if row["Effective Date-Answer"].strip() else cuad_date(row["Agreement Date-Answer"]))
    if effective:
        fields["effective_date"] = effective
    end = cuad_date(row["Expiration Date-Answer"])
    if effective and end:
        months = whole_months(effective, end)
        if months:
            fields["term_months"] = str(months)
    parties = [p for p in row["Parties-Answer"].split(";") if p.strip()]
    if len(parties) == 2 and _party_name(parties[1]):
        fields["counterparty"] = _party_name(parties[1])
    return {
        "doc_type": "contract", "fields": fields, "evidence": {}, "line_items": [], "scanned": False,
        "degradation": "digital", "language": "en", "labelled_by": "CUAD v1 master_clauses.csv (normalised)",
        "source": {"repo": REPO, "commit": COMMIT, "dataset": "CUAD v1 (CC BY 4.0)",
                   "cuad": {k: row[k] for k in ("Parties-Answer", "Agreement Date-Answer", "Effective Date-Answer",
                                                "Expiration Date-Answer", "Renewal Term-Answer")}},
    }


def _git_listing(src: Path) -> list[tuple[str, int]]:
    out = subprocess.run(["git", f"--git-dir={src}", "ls-tree", "-r", "-l", COMMIT, BASE], check=True,
                         capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        rows.append((path[len(BASE):], int(meta.split()[3])))
    return rows


def cmd_wide(args) -> int:
    import csv
    import io

    pinned = json.loads(WIDE_MANIFEST.read_text())["files"] if WIDE_MANIFEST.exists() and not args.pin else None
    if pinned is None and args.src is None:
        print("--pin (or a missing manifest) needs --src, a git mirror to list the PDFs from", file=sys.stderr)
        return 2
    rows = {r["Filename"]: r for r in csv.DictReader(io.StringIO(_fetch_raw(args.src, CLAUSES).decode("utf-8")))}
    if pinned is None:  # maintainers: choose the short PDFs CUAD labelled, from a git mirror's listing
        subset = {p.rsplit("/", 1)[-1] for p in CONTRACTS}
        paths = sorted(p for p, size in _git_listing(args.src) if size <= WIDE_MAX_BYTES
                       and p.rsplit("/", 1)[-1] in rows and p.rsplit("/", 1)[-1] not in subset)
    else:
        paths = sorted(v["path"][len(BASE):] for v in pinned.values())
    args.dest.mkdir(parents=True, exist_ok=True)
    truth, hashes, bad = {}, {}, 0
    for path in paths[: args.limit]:
        data = _fetch(args.src, path)
        name = local_name(path)
        if pinned is not None and pinned[name]["sha256"] != _sha(data):
            print(f"SHA-256 mismatch, not kept: {path}", file=sys.stderr)
            bad += 1
            continue
        (args.dest / name).write_bytes(data)
        hashes[name] = {"sha256": _sha(data), "size": len(data), "path": BASE + path}
        truth[name] = wide_label(rows[path.rsplit("/", 1)[-1]])
    (args.dest / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    if args.pin:
        WIDE_MANIFEST.write_text(json.dumps({"repo": REPO, "commit": COMMIT, "license": "CC-BY-4.0 (CUAD v1)",
                                             "files": hashes}, indent=1, sort_keys=True) + "\n")
    print(f"{len(truth)} contracts -> {args.dest}")
    return 1 if bad else 0


def _fetch_raw(src: Path | None, name: str) -> bytes:
    """One file of the pinned commit: from a git mirror (``--src``), else GitHub's raw URL."""
    if src is not None:
        return subprocess.run(["git", f"--git-dir={src}", "show", f"{COMMIT}:{name}"],
                              check=True, capture_output=True).stdout
    url = f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/{urllib.parse.quote(name)}"
    with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - pinned https URL
        return resp.read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("subset", help="write tests/corpus/cuad/ (PDFs + truth.json) from the pinned commit")
    s.add_argument("--src", type=Path, help="a git mirror of the repository instead of raw downloads")
    s.add_argument("--pin", action="store_true", help="(maintainers) re-write manifest.json from what was read")
    w = sub.add_parser("wide", help="fetch the short CUAD PDFs (pinned in cuad_wide_manifest.json) + truth.json "
                                    "from CUAD's own labels into --dest (not committed)")
    w.add_argument("--dest", type=Path, required=True)
    w.add_argument("--src", type=Path, help="a git mirror of the repository instead of raw downloads")
    w.add_argument("--limit", type=int, default=None, help="only the first N (by path)")
    w.add_argument("--pin", action="store_true", help="(maintainers, needs --src) choose the files, write the manifest")
    args = parser.parse_args()
    return cmd_wide(args) if args.cmd == "wide" else cmd_subset(args)


if __name__ == "__main__":
    sys.exit(main())

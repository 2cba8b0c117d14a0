"""The ZUGFeRD corpus (github.com/ZUGFeRD/corpus, Apache-2.0) as a labelled development set.

Real and sample e-invoices from many producers (intarsys, Mustang, FNFE/Factur-X, Konik,
4s4u, @gp, symtrax ...); each PDF carries its CII XML, which is its ground truth.

    # the full corpus (≈240 files, 63 MB) at the pinned commit, every file's SHA-256 checked:
    .venv/bin/python bench/corpus_zugferd.py fetch --dest /tmp/zugferd-corpus
    # re-make the committed subset and its truth from a fetched copy (or a git mirror):
    .venv/bin/python bench/corpus_zugferd.py subset --src /tmp/zugferd-corpus
    # (maintainers) re-make the manifest from a git mirror of the repository:
    .venv/bin/python bench/corpus_zugferd.py manifest --git-dir /path/to/corpus.git

The subset under ``tests/corpus/zugferd/`` (a few MB) is committed so tests and the bench run on a
fresh clone without the network; ``truth.json`` there has one label per file in the shape of
``samples/labels.json`` (doc_type, fields, line_items, scanned, degradation) plus ``more_fields``
(supplier, VAT ids, subtotal, tax, amount due, IBAN), ``syntax`` and ``language``.
Truth = the embedded XML read by ``streams.extract.einvoice``; ``subset`` also checks that
each invoice number appears in the PDF's printed text, so a reader bug cannot hide in the truth;
where the page and its XML disagree (PRINTED, read by hand) ``fields`` is the page and
``xml_fields`` the XML.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REPO = "ZUGFeRD/corpus"
COMMIT = "47b61beb29b7de98c3c91cdb3657415c0ede783b"  # master of 2025-02-18
MANIFEST = Path(__file__).with_name("corpus_zugferd.manifest.json")
SUBSET_DIR = ROOT / "tests" / "corpus" / "zugferd"

# Picked for spread (producers, ZUGFeRD 1 / 2 / Factur-X, German / French, invoice / credit
# note, BASIC ... EXTENDED) at about 4 MB; the 1 MB symtrax copies are the same invoices again.
SUBSET = [
    "ZUGFeRDv2/correct/FNFE-factur-x-examples/Avoir_FR_type381_BASIC.pdf",
    "ZUGFeRDv2/correct/FNFE-factur-x-examples/Facture_DOM_BASICWL.pdf",
    "ZUGFeRDv2/correct/FNFE-factur-x-examples/Facture_FR_BASICWL.pdf",
    "ZUGFeRDv2/correct/FNFE-factur-x-examples/Facture_UE_BASICWL.pdf",
    "ZUGFeRDv2/correct/Mustangproject/MustangGnuaccountingBeispielRE-20190610_507.pdf",
    "ZUGFeRDv2/correct/Mustangproject/MustangGnuaccountingBeispielRE-20201121_508.pdf",
    "ZUGFeRDv2/correct/PHP_@gpFacturX/sample_inofficial_20190125_atgp_factur-x_v_1_0.pdf",
    "ZUGFeRDv2/correct/intarsys/BASIC/zugferd_2p0_BASIC_Taxifahrt.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_1_Teilrechnung.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Einfach.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Gutschrift.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Haftpflichtversicherung_Versicherungssteuer.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Innergemeinschaftliche_Lieferungen.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Kraftfahrversicherung_Bruttopreise.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Miete.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_OEPNV.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Physiotherapeut.pdf",
    "ZUGFeRDv2/correct/intarsys/EN16931/zugferd_2p0_EN16931_Rechnungskorrektur.pdf",
    "ZUGFeRDv2/correct/intarsys/EXTENDED/zugferd_2p0_EXTENDED_Fremdwaehrung.pdf",
    "ZUGFeRDv2/correct/intarsys/EXTENDED/zugferd_2p0_EXTENDED_Warenrechnung.pdf",
    "ZUGFeRDv1/correct/4s4u/additional-data-sample-1.pdf",
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_BASIC_Einfach.pdf",
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_BASIC_Rechnungskorrektur.pdf",
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_COMFORT_Haftpflichtversicherung_Versicherungssteuer.pdf",
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_COMFORT_Rabatte.pdf",
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_COMFORT_SEPA_Prenotification.pdf",
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_EXTENDED_Kostenrechnung.pdf",
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_EXTENDED_Warenrechnung.pdf",
    "ZUGFeRDv1/correct/Konik/acme_invoice-42_ZUGFeRD.pdf",
    # plain XML invoices: documents without pages (XRechnung CII and UBL, Peppol BIS UBL)
    "XML-Rechnung/CII/XRECHNUNG_Einfach.cii.xml",
    "XML-Rechnung/CII/EN16931_OEPNV.cii.xml",
    "XML-Rechnung/UBL/XRECHNUNG_Einfach.ubl.xml",
    "XML-Rechnung/UBL/EN16931_Einfach.ubl.xml",
    "XML-Rechnung/UBL/EN16931_Physiotherapeut.ubl.xml",
    "XML-Rechnung/UBL/ubl-tc434-creditnote1.xml",
]

# Where the printed page says something else than its XML (read by hand from the page): the
# visual truth is the page. These samples pair a demo PDF with another invoice's XML.
PRINTED = {
    "ZUGFeRDv2/correct/PHP_@gpFacturX/sample_inofficial_20190125_atgp_factur-x_v_1_0.pdf": {
        "invoice_number": "RE-20190121/507", "invoice_date": "2019-01-21", "due_date": None,
        "total_amount": "571.04", "customer": "Theodor Est"},
    "ZUGFeRDv1/correct/Konik/acme_invoice-42_ZUGFeRD.pdf": {
        "invoice_number": "42", "invoice_date": "2014-01-31", "total_amount": "1589.80",
        "customer": "Karl E. Coyote"},
    # a premium notice: the printed reference is the policy number, the XML adds "-2014-1"
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_COMFORT_Haftpflichtversicherung_Versicherungssteuer.pdf": {
        "invoice_number": "01.234.567.8"},
    "ZUGFeRDv1/correct/Intarsys/ZUGFeRD_1p0_BASIC_Rechnungskorrektur.pdf": {"customer": "MUSTER-KUNDE GMBH"},
}

CORE = ("invoice_number", "invoice_date", "due_date", "total_amount", "currency", "customer")


def local_name(path: str) -> str:
    """File name in the subset: the repository path flattened (names repeat across folders)."""
    return path.replace("/", "__").replace("@", "")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cmd_manifest(args) -> int:
    names = subprocess.run(["git", f"--git-dir={args.git_dir}", "ls-tree", "-r", "--name-only", COMMIT],
                           check=True, capture_output=True, text=True).stdout.splitlines()
    files = {}
    for name in names:
        if not name.endswith((".pdf", ".xml")):
            continue
        shown = subprocess.run(["git", f"--git-dir={args.git_dir}", "show", f"{COMMIT}:{name}"], capture_output=True)
        if shown.returncode:  # a file the mirror holds only as a name (too large to store)
            print(f"skipped, not in the mirror: {name}", file=sys.stderr)
            continue
        data = shown.stdout
        files[name] = {"sha256": _sha(data), "size": len(data)}
    MANIFEST.write_text(json.dumps({"repo": REPO, "commit": COMMIT, "license": "Apache-2.0",
                                    "files": files}, indent=1, sort_keys=True) + "\n")
    print(f"{len(files)} files -> {MANIFEST}")
    return 0


def cmd_fetch(args) -> int:
    manifest = json.loads(MANIFEST.read_text())
    bad = 0
    for name, meta in sorted(manifest["files"].items()):
        out = args.dest / name
        if out.exists() and _sha(out.read_bytes()) == meta["sha256"]:
            continue
        url = f"https://raw.githubusercontent.com/{REPO}/{manifest['commit']}/{urllib.request.quote(name)}"
        with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - pinned https URL
            data = resp.read()
        if _sha(data) != meta["sha256"]:
            print(f"SHA-256 mismatch, not kept: {name}", file=sys.stderr)
            bad += 1
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    print(f"{len(manifest['files']) - bad} files verified under {args.dest}")
    return 1 if bad else 0


def _source_bytes(src: Path, name: str) -> bytes:
    if (src / "HEAD").exists() and not (src / name).exists():  # a bare git mirror
        return subprocess.run(["git", f"--git-dir={src}", "show", f"{COMMIT}:{name}"],
                              check=True, capture_output=True).stdout
    return (src / name).read_bytes()


def _printed_text(pdf: bytes) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def label_for(name: str, data: bytes) -> dict:
    from streams.extract.einvoice import FIELDS, from_pdf, read_xml

    is_pdf = name.endswith(".pdf")
    inv = from_pdf(data) if is_pdf else read_xml(data)
    if inv is None:
        raise SystemExit(f"{name}: no embedded invoice XML")
    fields = {k: inv.fields[k] for k in CORE if k in inv.fields}
    printed = PRINTED.get(name, {})
    for k, v in printed.items():
        if v is None:
            fields.pop(k, None)
        else:
            fields[k] = v
    return {
        "doc_type": inv.doc_type,
        "fields": fields,  # what the page shows: the truth for visual reading
        "xml_fields": dict(inv.fields),  # what the XML says: the truth for the e-invoice reader
        "printed_differs": sorted(printed),
        "more_fields": {k: inv.fields[k] for k in FIELDS if k not in CORE and k in inv.fields},
        "line_items": inv.line_items,
        "scanned": False,
        "degradation": "digital" if is_pdf else "xml",
        "syntax": inv.syntax,
        "profile": inv.profile,
        "language": "fr" if "FNFE" in name else "en" if "Konik" in name else "de",
        "source": {"repo": REPO, "commit": COMMIT, "path": name},
    }


def full_set(src: Path, extra: tuple[str, ...] = ("subtotal_amount", "tax_amount")) -> tuple[list, dict]:
    """Every PDF of a fetched copy (or git mirror) of the whole corpus with its truth read from
    its embedded XML, for the bench (``--zugferd-src``); nothing is written to the repository.

    Returns ``([(local_name, bytes, label), ...], skipped)``. A PDF is skipped when it carries no
    readable invoice XML, when the XML's invoice number is not on its page (the XML belongs to
    another invoice: the truth would be wrong), or when its printed text repeats one already taken
    (the symtrax and XML-Rechnung/FX folders re-issue the intarsys samples). ``extra`` fields of
    the XML (subtotal, tax) are scored too where the XML has them."""
    manifest = json.loads(MANIFEST.read_text())["files"]
    out, skipped, seen = [], {"no XML": [], "number not printed": [], "same page as another": []}, set()
    for name in sorted(manifest):
        if not name.endswith(".pdf"):
            continue
        try:
            data = _source_bytes(src, name)
        except (OSError, subprocess.CalledProcessError):
            continue  # not in this copy (the mirror may lack the largest files)
        try:
            label = label_for(name, data)
        except (SystemExit, Exception):  # noqa: BLE001 - no XML, or an XML the reader refuses
            skipped["no XML"].append(name)
            continue
        text = _printed_text(data)
        key = _sha(" ".join(text.split()).encode())
        if key in seen:
            skipped["same page as another"].append(name)
            continue
        seen.add(key)
        if name not in PRINTED and label["fields"].get("invoice_number", "") not in text.replace("\t", ""):
            skipped["number not printed"].append(name)
            continue
        if name not in PRINTED:
            for k in extra:
                if k in label["more_fields"]:
                    label["fields"][k] = label["more_fields"][k]
            # A value the page does not show (a demo page over another invoice's XML) is no
            # truth for reading the page: it is left out, not scored.
            flat = " ".join(text.replace("\u00a0", " ").split())
            for k in [k for k, v in label["fields"].items() if not printed(k, v, flat)]:
                label["fields"].pop(k)
                label.setdefault("not_printed", []).append(k)
        out.append((local_name(name), data, label))
    return out, skipped


def printed(field: str, value: str, text: str) -> bool:
    """Whether an amount or date of the XML appears on the page in one of its usual forms
    (amounts: 1.234,56 / 1,234.56 / 1234,56 / 1 234,56, sign dropped; dates: numeric day-first,
    month-first or ISO, or day + month name + year in EN/DE/FR). Other fields: True."""
    import re

    if field.endswith("_amount"):
        whole, _, frac = value.lstrip("-").partition(".")
        groups = f"{int(whole):,}"
        forms = {f"{whole},{frac}", f"{whole}.{frac}", f"{groups.replace(',', '.')},{frac}", f"{groups}.{frac}", f"{groups.replace(',', ' ')},{frac}", f"{groups.replace(',', ' ')}.{frac}"}
        return any(re.search(rf"(?<![\d.,]){re.escape(f)}(?![\d])", text) for f in forms)
    if field.endswith("_date"):
        y, m, d = value.split("-")
        rx = [rf"0?{int(d)}[./-]0?{int(m)}[./-](?:{y}|{y[2:]})", rf"0?{int(m)}/0?{int(d)}/(?:{y}|{y[2:]})", value]
        names = {1: "jan|januar", 2: "feb|februar|f[ée]v", 3: "m[äa]r|mars", 4: "apr|avr", 5: "ma[iy]", 6: "jun|juin",
                 7: "jul|juil", 8: "aug|ao[uû]t", 9: "sep", 10: "o[ck]t", 11: "nov", 12: "de[cz]|d[ée]c"}[int(m)]
        rx += [rf"\b0?{int(d)}\.?\s*(?:{names})[a-zéû]*\.?,?\s*{y}", rf"\b(?:{names})[a-zéû]*\.?\s*0?{int(d)},?\s*{y}"]
        return any(re.search(r, text, re.I) for r in rx)
    return True


def cmd_subset(args) -> int:
    manifest = json.loads(MANIFEST.read_text())["files"]
    SUBSET_DIR.mkdir(parents=True, exist_ok=True)
    for stale in SUBSET_DIR.glob("*.*"):  # files dropped from SUBSET go, LICENSE and SOURCE.md stay
        if stale.suffix in (".pdf", ".xml"):
            stale.unlink()
    truth, unprinted = {}, []
    for name in SUBSET:
        data = _source_bytes(args.src, name)
        if _sha(data) != manifest[name]["sha256"]:
            raise SystemExit(f"{name}: SHA-256 differs from the manifest")
        out = local_name(name)
        (SUBSET_DIR / out).write_bytes(data)
        truth[out] = label = label_for(name, data)
        if name.endswith(".pdf") and label["fields"].get("invoice_number", "") not in _printed_text(data).replace("\t", ""):
            unprinted.append(out)
    (SUBSET_DIR / "truth.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    size = sum((SUBSET_DIR / n).stat().st_size for n in truth)
    print(f"{len(truth)} documents, {size / 1e6:.1f} MB -> {SUBSET_DIR}")
    if unprinted:
        print("invoice number not found in the printed text of: " + ", ".join(unprinted))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("manifest")
    p.add_argument("--git-dir", type=Path, required=True)
    p = sub.add_parser("fetch")
    p.add_argument("--dest", type=Path, required=True)
    p = sub.add_parser("subset")
    p.add_argument("--src", type=Path, required=True, help="a fetched copy or a bare git mirror")
    args = parser.parse_args()
    return {"manifest": cmd_manifest, "fetch": cmd_fetch, "subset": cmd_subset}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

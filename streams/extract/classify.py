"""Document type from its words and shape.

``classify`` (rules-1, rules-2): English cues, contract / invoice / unknown.
``classify_document`` (rules-3 on): cues in English, German, French, Dutch, Spanish,
Italian and Polish, and the page's shape (a till roll is narrow), → invoice,
credit_note, receipt, contract, other or unknown, with the reason a reviewer sees.
The winner needs cues worth at least 3 and a clear lead, so a letter that mentions
"the agreement" once is not a contract; ``unknown`` and ``other`` go to review.

>>> classify("INVOICE  Invoice No: 42  Bill To: Acme  Due Date: 2026-04-01  Total Due $10.00")
'invoice'
>>> classify("Dear Sir, thank you for your letter.")
'unknown'
>>> classify_document("RECHNUNG\\nRechnungsnummer 42\\nZwischensumme 100,00\\nMwSt 19,00\\nIBAN DE89")[0]
'invoice'
>>> classify_document("Gutschrift\\nRechnungskorrektur zu Rechnung 41\\nNetto 10,00 MwSt 1,90")[0]
'credit_note'
"""

from __future__ import annotations

import re

from streams.extract.lexicon import TYPE_CUES

__all__ = ["classify", "scores", "classify_document", "DOC_TYPES"]

DOC_TYPES = ("invoice", "credit_note", "receipt", "contract", "other", "unknown")

_CUES = {
    "invoice": [r"\binvoice\b", r"\bbill(?:ed)?\s+to\b", r"\bdue\s+date\b", r"\bamount\s+due\b",
                r"\binvoice\s+(?:no|number|date|#)", r"\bsubtotal\b", r"\bqty\b|\bquantity\b",
                r"\bunit\s+price\b", r"\bremit\b", r"\bpayment\s+terms\b"],
    "contract": [r"\bagreement\b", r"\bcontract\b", r"\beffective\s+date\b", r"\bterm\b",
                 r"\bparties\b", r"\bhereby\b|\bhereto\b|\bhereof\b", r"\bin\s+witness\s+whereof\b",
                 r"\bsignature\b|\bsignatory\b", r"\bby\s+and\s+between\b", r"\bgoverning\s+law\b"],
}


def scores(text: str) -> dict[str, int]:
    return {kind: sum(1 for cue in cues if re.search(cue, text, re.I)) for kind, cues in _CUES.items()}


def classify(text: str) -> str:
    s = scores(text)
    best = max(s, key=lambda kind: s[kind])
    other = min(s, key=lambda kind: s[kind])
    if s[best] >= 2 and s[best] >= s[other] + 2:
        return best
    return "unknown"


_NUMBERED_TITLE = re.compile(
    r"^\s*[^\W\d_]*(?:invoice|rechnung|facture|factuur|factura|fattura|fatura|faktura|credit\s*note|gutschrift|avoir|creditnota"
    r"|nota\s+de\s+cr[ée]dito|nota\s+di\s+credito|rechnungskorrektur)\b[^\n]{0,20}?"
    r"(?<![^\W\d_])(?:No|Nr|N[°º]|Number|Nummer|n[úu]mero|numer)\b", re.I)


# Commercial documents that look like invoices and are not: a quotation or offer, an order and its
# confirmation, a delivery note, a statement of account, a payment reminder (it repeats an invoice
# already booked). Each by its title standing alone on its line, or with its own number ("Angebot
# Nr. 17"): a reference line on an invoice ("Lieferschein-Nr.: 4711", "Order No. 12") is not a title.
# "Statement" alone stays an invoice (US utilities title their bills so), and so does a pro-forma
# invoice (it asks for payment).
_NOT_INVOICE_TITLE = re.compile(
    r"^\s*(?P<t>quotation|quote|estimate|offer|angebot|kostenvoranschlag|devis|offerte|presupuesto|cotizaci[óo]n|preventivo"
    r"|offerta|oferta|or[çc]amento|purchase\s+order|bestellung|bon\s+de\s+commande|bestelling|orden\s+de\s+compra"
    r"|ordine\s+d'acquisto|zam[óo]wienie|order\s+confirmation|auftragsbest[äa]tigung|confirmation\s+de\s+commande"
    r"|orderbevestiging|delivery\s+note|packing\s+(?:slip|list)|lieferschein|bon\s+de\s+livraison|pakbon|albar[áa]n"
    r"|documento\s+di\s+trasporto|ddt|statement\s+of\s+account|kontoauszug|relev[ée]\s+de\s+compte"
    r"|(?:payment\s+)?reminder|mahnung|zahlungserinnerung|relance|lettre\s+de\s+relance|betalingsherinnering|herinnering"
    r"|recordatorio\s+de\s+pago|sollecito(?:\s+di\s+pagamento)?|wezwanie\s+do\s+zap[łl]aty)"
    # its own number after it, with no colon of a field label ("Bestellung: 2018-471331" is the order an
    # invoice refers to): "Angebot Nr.: 17", "QUOTE #123", "Quotation Q-1042"
    # (a lookahead finds the digit, so a hostile 100 000-character "number" costs one pass, not n²)
    r"(?:[ \t]*#[ \t]*(?=[\w\-/.]*\d)[\w\-/.]+|[ \t]+(?:(?:No\.?|Nr\.?|N[°º]\.?|Number|Nummer)[ \t]*:?[ \t]*)?"
    r"(?=[\w\-/.]*\d)[\w\-/.]+)?[ \t]*$", re.I | re.M)
_INVOICE_TITLE_ALONE = re.compile(r"^\s*(?:tax\s+|commercial\s+)?(?:invoice|rechnung|facture|factuur|factura|fattura|faktura|fatura"
                                  r"|credit\s*note|gutschrift|avoir)[ \t:]*$", re.I | re.M)


def _not_an_invoice(title: str) -> str | None:
    """The title of a quotation, order, delivery note, statement of account or reminder; None when
    the page is titled an invoice as well (a combined "Rechnung / Lieferschein"). Standing alone
    ("PAYMENT REMINDER") it names the page even beside an invoice's number it refers to; with a
    number ("Lieferschein Nr. 4711") only where no line is an invoice's numbered title ("Rechnung Nr.
    4711" beside its delivery note's reference)."""
    if _INVOICE_TITLE_ALONE.search(title):
        return None
    found = list(_NOT_INVOICE_TITLE.finditer(title))
    alone = [m for m in found if not re.search(r"\d", m[0])]
    numbered_invoice = any(_NUMBERED_TITLE.match(ln) for ln in title.splitlines())
    m = alone[0] if alone else (found[0] if found and not numbered_invoice else None)
    return re.sub(r"\s+", " ", m["t"]).strip() if m else None


def _weighted(text: str, title: str) -> dict[str, float]:
    out = {}
    for kind, cues in TYPE_CUES.items():
        total = 0.0
        for cue, weight in cues.items():
            if re.search(cue, text, re.I):
                total += weight + (1 if re.search(cue, title, re.I) else 0)
        out[kind] = total
    return out


def classify_document(text: str, *, title: str | None = None, narrow: bool = False) -> tuple[str, str]:
    """(doc_type, reason). ``title``: the first rows (a type named there counts double);
    ``narrow``: the page is a till roll (width under 55% of height), a strong receipt cue."""
    title = title if title is not None else "\n".join(text.splitlines()[:6])
    # "Credit note No. 42" under the address block is the heading too: a type word that starts
    # its line and is followed by its number word, wherever the layout puts it.
    title += "\n" + "\n".join(ln for ln in text.splitlines() if _NUMBERED_TITLE.match(ln))
    s = _weighted(text, title)
    if narrow:
        # a till roll: the strongest sign there is (Australian slips are titled "TAX INVOICE", UK ones
        # print "VAT" and "BALANCE DUE": invoice words on a receipt). The till's heading is the
        # legal one its country requires above a sum (AU, NZ, MY, SG, IN), so on a roll an invoice
        # word in the title counts once, not double.
        s["receipt"] += 3
        s["invoice"] = _weighted(text, "")["invoice"]
    # A credit note is an invoice that says so in its title: its cues outrank the invoice
    # words it shares. "Gutschrift" in running text ("the credit will be...") does not, nor
    # does a self-billed invoice ("Gutschrift (selbst ausgestellte Rechnung)", autofacturation).
    titled = any(re.search(cue, title, re.I) for cue in TYPE_CUES["credit_note"])
    if re.search(r"selbst\s*ausgestellte\s+Rechnung|self-?billed|autofactur|autofactura|autofattura|samofaktur", text, re.I):
        titled = False
    if not titled:
        s["credit_note"] = 0
    if s["credit_note"] >= 3:
        s["credit_note"] += s["invoice"]
        s["invoice"] = 0
    ranked = sorted(s.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (second, runner) = ranked[0], ranked[1]
    found = ", ".join(f"{k} {v:g}" for k, v in ranked if v)
    if top < 3:
        if len(re.findall(r"[^\W\d_]{2,}", text)) >= 30 and top <= 1:
            return "other", f"no invoice, receipt or contract cues in any known language ({found or 'none'})"
        return "unknown", f"too few cues to tell the type ({found or 'none'})"
    if top < runner + 2:
        return "unknown", f"cues of {best} and {second} are close ({found})"
    if best in ("invoice", "credit_note") and (kind := _not_an_invoice(title)):
        return "other", f"titled {kind!r}: a commercial document that is not an invoice (cues: {found})"
    return best, f"cues: {found}"

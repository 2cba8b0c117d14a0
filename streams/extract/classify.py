"""Document type from its words: contract, invoice, or unknown (which goes to review).

A keyword score per type; the winner needs at least two distinct cues and a clear lead,
so a letter that mentions "the agreement" once is not a contract.

>>> classify("INVOICE  Invoice No: 42  Bill To: Acme  Due Date: 2026-04-01  Total Due $10.00")
'invoice'
>>> classify("Dear Sir, thank you for your letter.")
'unknown'
"""

from __future__ import annotations

import re

__all__ = ["classify", "scores"]

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
    best = max(s, key=s.get)
    other = min(s, key=s.get)
    if s[best] >= 2 and s[best] >= s[other] + 2:
        return best
    return "unknown"

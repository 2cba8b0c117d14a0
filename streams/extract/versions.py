"""Extraction rule versions and A/B routing between them.

Every ``fields.validated`` record names the version that produced it
(``extractor_version``). ``settings.extraction.version`` is the production rules;
``candidate_version`` with ``candidate_share`` sends that share of documents to a
candidate. The split hashes ``doc_id``, so a document always gets the same version,
however often it is replayed and on whichever worker.

>>> route("doc-1", version="rules-1", candidate=None, share=0.5)
'rules-1'
>>> route("doc-1", version="rules-1", candidate="rules-2", share=1.0)
'rules-2'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from inkstream.errors import ConfigError

__all__ = ["RuleSet", "RULESETS", "route", "ruleset", "route_for_settings"]


@dataclass(frozen=True)
class RuleSet:
    """What differs between versions. Add a version here; never change a released one."""

    version: str
    # rules-2: "the sum of Forty-Eight Thousand ... Dollars ($48,250.00)" – the words are
    # an independent reading of the amount; agreeing words boost it, disagreeing send it
    # to review.
    amount_words_check: bool = False
    # rules-2: signature blocks written "By: Jane Doe" (no "Name:" line).
    signer_by_line: bool = False
    # rules-2: "Payment terms: Net 30" gives the due date when none is printed.
    due_from_net_terms: bool = False
    # rules-2: a digit-bearing value read by OCR needs a cross-check to be auto-accepted
    # when its line scored below this (0 = off).
    unchecked_digits_cap: float = 0.0
    # rules-2: "Jane Doe" and jane.doe@… agreeing is a strong check on both.
    signer_matches_email: bool = False
    # rules-3: invoice, credit_note, receipt, contract, other from cues in EN, DE, FR, NL,
    # ES, IT, PL and the page shape; labels in those languages; totals by role and
    # arithmetic (multilingual.py, amounts.py); contract terms and fees in more phrasings.
    multilingual: bool = False
    # memory-1: fields a reviewer corrected are read next time from where that sender
    # put them (memory.py).
    sender_memory: bool = False


RULESETS: dict[str, RuleSet] = {
    "rules-1": RuleSet("rules-1"),
    "rules-2": RuleSet("rules-2", amount_words_check=True, signer_by_line=True,
                       due_from_net_terms=True, unchecked_digits_cap=0.97,
                       signer_matches_email=True),
    "rules-3": RuleSet("rules-3", amount_words_check=True, signer_by_line=True,
                       due_from_net_terms=True, unchecked_digits_cap=0.97,
                       signer_matches_email=True, multilingual=True),
    "memory-1": RuleSet("memory-1", amount_words_check=True, signer_by_line=True,
                        due_from_net_terms=True, unchecked_digits_cap=0.97,
                        signer_matches_email=True, multilingual=True, sender_memory=True),
}


def ruleset(version: str) -> RuleSet:
    try:
        return RULESETS[version]
    except KeyError:
        raise ConfigError(f"unknown extractor version {version!r}; known: {sorted(RULESETS)}") from None


def route(doc_id: str, *, version: str, candidate: str | None, share: float) -> str:
    """Deterministic A/B split: the first 8 bytes of SHA-256(doc_id) as a fraction of 2**64."""
    if not candidate or share <= 0:
        return version
    bucket = int.from_bytes(hashlib.sha256(doc_id.encode()).digest()[:8], "big") / 2**64
    return candidate if bucket < share else version


def route_for_settings(doc_id: str, extraction) -> str:
    return route(doc_id, version=extraction.version, candidate=extraction.candidate_version,
                 share=extraction.candidate_share)

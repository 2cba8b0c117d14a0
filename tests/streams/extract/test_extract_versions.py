"""Rule versions and the deterministic A/B split."""

from __future__ import annotations

import pytest
from extract_records import CONTRACT_PROSE, line, ocr_result, page, rows

from inkstream.errors import ConfigError
from inkstream.settings import ExtractionSettings
from streams.extract.extractor import extract
from streams.extract.versions import RULESETS, route, ruleset


def test_the_same_doc_id_always_gets_the_same_version():
    picks = {route(f"doc-{i}", version="rules-1", candidate="rules-2", share=0.3) for _ in range(3) for i in [7]}
    assert len(picks) == 1
    first = [route(f"doc-{i}", version="rules-1", candidate="rules-2", share=0.3) for i in range(200)]
    again = [route(f"doc-{i}", version="rules-1", candidate="rules-2", share=0.3) for i in range(200)]
    assert first == again


def test_the_candidate_gets_about_its_share_of_documents():
    picks = [route(f"doc-{i}", version="rules-1", candidate="rules-2", share=0.25) for i in range(4000)]
    assert 0.22 < picks.count("rules-2") / len(picks) < 0.28


def test_growing_the_share_only_moves_documents_towards_the_candidate():
    small = {i for i in range(2000) if route(f"d{i}", version="rules-1", candidate="rules-2", share=0.1) == "rules-2"}
    large = {i for i in range(2000) if route(f"d{i}", version="rules-1", candidate="rules-2", share=0.5) == "rules-2"}
    assert small < large


def test_no_candidate_or_zero_share_means_production_rules_only():
    assert {route(f"d{i}", version="rules-1", candidate=None, share=0.9) for i in range(50)} == {"rules-1"}
    assert {route(f"d{i}", version="rules-1", candidate="rules-2", share=0.0) for i in range(50)} == {"rules-1"}


def test_every_result_names_the_version_that_produced_it():
    settings = ExtractionSettings(candidate_version="rules-2", candidate_share=0.5)
    versions = {extract(ocr_result([page(rows(CONTRACT_PROSE))], doc_id=f"doc-{i}"), settings)["extractor_version"]
                for i in range(40)}
    assert versions == {"rules-3", "rules-2"}


def test_an_unknown_version_is_a_configuration_error():
    with pytest.raises(ConfigError, match="rules-9"):
        ruleset("rules-9")


def test_the_versions_differ_in_what_they_find():
    assert set(RULESETS) >= {"rules-1", "rules-2"}
    texts = [t.replace("Name: Jane Doe", "By: Jane Doe") for t in CONTRACT_PROSE]
    record = ocr_result([page(rows(texts))])
    one = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-1")["fields"]}
    two = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-2")["fields"]}
    assert one["signer_name"]["normalized"] is None
    assert two["signer_name"]["normalized"] == "Jane Doe"


def test_rules_2_checks_the_amount_in_words_against_the_digits():
    wrong = [t.replace("USD 48,250.00", "USD 43,250.00") for t in CONTRACT_PROSE]
    record = ocr_result([page(rows(wrong))])
    one = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-1")["fields"]}
    two = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-2")["fields"]}
    assert one["total_amount"]["status"] == "accept"  # rules-1 cannot tell
    assert two["total_amount"]["status"] == "review"
    assert "disagrees" in two["total_amount"]["reason"]


def test_rules_2_does_not_auto_accept_ocr_digits_without_a_cross_check_below_its_cap():
    texts = [t.replace("(USD 48,250.00)", "($48,250.00)") for t in CONTRACT_PROSE]
    lines = rows(texts, conf=0.95)
    lines.append(line("Governing law: New York", row=len(texts)))
    record = ocr_result([page(lines)])
    one = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-1")["fields"]}
    two = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-2")["fields"]}
    assert one["effective_date"]["status"] == "accept"
    assert two["effective_date"]["status"] == "review"
    assert two["total_amount"]["status"] == "accept"  # the words confirmed it


def test_rules_2_lifts_a_doubtful_signer_name_that_the_email_spells_the_same():
    lines = rows(CONTRACT_PROSE, low={CONTRACT_PROSE.index("Name: Jane Doe"): 0.85})
    record = ocr_result([page(lines)])
    one = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-1")["fields"]}
    two = {f["name"]: f for f in extract(record, ExtractionSettings(), version="rules-2")["fields"]}
    assert one["signer_name"]["status"] == "review"
    assert two["signer_name"]["status"] == "accept" and "matches the e-mail" in two["signer_name"]["reason"]


def test_rules_2_counts_a_term_written_in_words_and_digits_as_cross_checked():
    lines = rows(CONTRACT_PROSE, conf=0.95)
    two = {f["name"]: f for f in extract(ocr_result([page(lines)]), ExtractionSettings(), version="rules-2")["fields"]}
    assert two["term_months"]["normalized"] == "12" and two["term_months"]["status"] == "accept"
    assert two["effective_date"]["status"] == "review"  # no second reading of the date

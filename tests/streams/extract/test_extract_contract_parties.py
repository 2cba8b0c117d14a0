"""Contract parties, signers and effective dates as US contracts write them (contract_parties.py)."""

from __future__ import annotations

import pytest
from extract_records import line, ocr_result, page, rows

from inkstream.settings import ExtractionSettings
from streams.extract.contract_parties import looks_like_person, looks_like_prose
from streams.extract.extractor import extract

PREAMBLE = [
    "LICENSE AND SERVICES AGREEMENT",
    "This License and Services Agreement (the \"Agreement\") is made as of the 3rd day of June 2024,",
    "by and between Northwind Traders, LLC, an Ohio limited liability company (\"Licensor\"),",
    "and Bluefin Analytics, Inc., a Delaware corporation with offices at 12 Harbor Road,",
    "Portland, ME 04101 (the \"Licensee\").",
    "1. Term. This Agreement shall remain in force for a period of two (2) years.",
    "IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first above written.",
]


def two_columns(left: list[str], right: list[str], *, start: int) -> list[dict]:
    """A signature page: the first party's block on the left, the second's on the right."""
    out = []
    for i, (a, b) in enumerate(zip(left, right)):
        if a:
            out.append(line(a, row=start + i, x=120.0))
        if b:
            out.append(line(b, row=start + i, x=900.0))
    return out


SIGNATURES = two_columns(
    ["NORTHWIND TRADERS, LLC", "By: /s/ Oskar Lindqvist", "Name: Oskar Lindqvist", "Title: Managing Member"],
    ["BLUEFIN ANALYTICS, INC.", "By: /s/ Maria de la Cruz", "Name: Maria de la Cruz", "Title: Chief Executive Officer"],
    start=len(PREAMBLE))


def run(lines, version="rules-3"):
    result = extract(ocr_result([page(lines, source="text")]), ExtractionSettings(), version=version)
    return {f["name"]: f for f in result["fields"]}


@pytest.mark.parametrize("name", ["Jane Doe", "Keith E. Gleasman", "Maria de la Cruz", "Anne-Marie O'Neil",
                                  "José Álvarez"])
def test_a_person_name_looks_like_one(name):
    assert looks_like_person(name)


@pytest.mark.parametrize("text", ["both parties. This Agreement", "the Parties.", "authorized representatives of both",
                                  "the party against whom any waiver is sought", "Acme Corporation", "Jane",
                                  "Chief Executive Officer", "Title: CEO"])
def test_a_sentence_fragment_or_a_company_is_not_a_person(text):
    assert not looks_like_person(text)


def test_the_counterparty_is_the_second_party_of_the_opening_clause_and_its_block_names_the_signer():
    f = run(rows(PREAMBLE) + SIGNATURES)
    assert f["counterparty"]["normalized"] == "Bluefin Analytics, Inc."
    assert f["signer_name"]["normalized"] == "Maria de la Cruz"  # the right-hand column, not the left
    # "/s/" and "Name:" agree, and the block's heading names the party: both cross-checked.
    assert f["signer_name"]["status"] == "accept"
    assert f["counterparty"]["status"] == "accept"
    assert f["term_months"]["normalized"] == "24"


def test_a_party_named_with_referred_to_as_is_found_too():
    text = ["THIS AGREEMENT made this 2nd day of March, 2023, between Granite Peak Outfitters, LLC, a Colorado",
            "limited liability company, referred to in this Agreement as \"Company\", and Larkspur Media, Inc., a",
            "Utah corporation, referred to in this Agreement as \"Sponsor\"."]
    assert run(rows(text))["counterparty"]["normalized"] == "Larkspur Media, Inc."


def test_a_counterparty_with_no_signature_block_to_confirm_it_goes_to_review():
    f = run(rows(PREAMBLE[:5]))
    assert f["counterparty"]["normalized"] == "Bluefin Analytics, Inc."
    assert f["counterparty"]["status"] == "review"


def test_a_signer_read_from_one_line_only_goes_to_review():
    sig = two_columns(["FOR NORTHWIND:", "Signature", "Oskar Lindqvist, Managing Member"],
                      ["FOR BLUEFIN:", "Signature", "Maria de la Cruz, President"], start=len(PREAMBLE))
    f = run(rows(PREAMBLE) + sig)
    assert f["signer_name"]["normalized"] == "Maria de la Cruz"
    assert f["signer_name"]["status"] == "review"


@pytest.mark.parametrize("version", ["rules-1", "rules-2", "rules-3"])
def test_signed_by_in_a_sentence_is_never_a_signer(version):
    text = PREAMBLE[:5] + ["Changes to this Agreement must be in writing and signed by both parties. This Agreement",
                           "is governed by the laws of the State of Maine."]
    f = run(rows(text), version)
    assert f["signer_name"]["normalized"] is None
    assert f["signer_name"]["status"] != "accept"


def test_the_effective_date_wins_over_the_signing_date():
    text = ["SPONSORSHIP AGREEMENT",
            "THIS AGREEMENT made this 9th day of November, 2022, between Red Mesa Events, LLC (\"Company\") and",
            "Copperline Foods, Inc. (\"Sponsor\").",
            "Signed in two counterparts on the 9th day of November, 2022, to be effective January 1, 2023."]
    f = run(rows(text))
    assert f["effective_date"]["normalized"] == "2023-01-01"


@pytest.mark.parametrize("version", ["rules-1", "rules-2"])
def test_older_versions_send_a_signing_date_contradicted_by_an_effective_date_to_review(version):
    text = PREAMBLE + ["Executed in two counterparts to be effective July 1, 2024."]
    f = run(rows(text), version)
    assert f["effective_date"]["normalized"] == "2024-06-03"
    assert f["effective_date"]["status"] == "review"


def test_made_effective_as_of_beats_an_undated_execution_line():
    text = ["ENDORSEMENT AGREEMENT (the \"Agreement\") is dated as of this ____ day of ______, 2021, but made",
            "effective as of March 15, 2021 (\"Effective Date\") between Sunbeam Labs LLC (\"Sunbeam\") and",
            "Dana Whitfield (\"Talent\"), an individual."]
    f = run(rows(text))
    assert f["effective_date"]["normalized"] == "2021-03-15"
    assert f["counterparty"]["normalized"] == "Dana Whitfield"


def test_the_signer_e_mail_in_the_counterpartys_column_is_read_and_matches_the_name():
    sig = two_columns(["Company Name: Northwind Traders, LLC", "Email Address: ol@northwind.example",
                       "Print Name: Oskar Lindqvist", "Signature: /s/ Oskar Lindqvist"],
                      ["Licensee Name: Bluefin Analytics, Inc.", "Email Address: maria.cruz@bluefin.com",
                       "Print Name: Maria Cruz", "Signature: /s/ Maria Cruz"], start=len(PREAMBLE))
    f = run(rows(PREAMBLE) + sig)
    assert f["signer_name"]["normalized"] == "Maria Cruz"
    assert f["signer_email"]["normalized"] == "maria.cruz@bluefin.com"
    assert f["signer_email"]["status"] == "accept"


def test_a_block_stacked_under_the_counterpartys_is_not_read_as_its_signer():
    sig = rows(PREAMBLE) + [line(t, row=len(PREAMBLE) + i) for i, t in enumerate([
        "Bluefin Analytics, Inc.", "By: /s/ Priya Raman", "Name: Priya Raman", "Title: Vice President",
        "Northwind Traders, LLC", "By: /s/ Oskar Lindqvist", "Name: Oskar Lindqvist"])]
    f = run(sig)
    assert f["signer_name"]["normalized"] == "Priya Raman"
    assert f["signer_name"]["status"] == "accept"  # Oskar's lines belong to the next block


@pytest.mark.parametrize("sentence, months", [
    ("Unless terminated earlier, the term of this Agreement shall be three years from the Effective Date.", "36"),
    ("This Agreement shall remain in full force and effect until two (2) years after the Effective Date.", "24"),
])
def test_term_phrasings_of_us_contracts(sentence, months):
    text = PREAMBLE[:5] + [sentence]
    assert run(rows(text))["term_months"]["normalized"] == months


def test_made_on_this_day_is_the_date_it_is_made():
    text = ["HOSTING AGREEMENT", "This Agreement is made on this 4th day of August 2021 by and between",
            "Alder Web Services, Inc. (\"Provider\") and Quarry Lane Foods, Inc., a Corporation (\"QLF\")."]
    f = run(rows(text))
    assert f["effective_date"]["normalized"] == "2021-08-04"
    assert f["counterparty"]["normalized"] == "Quarry Lane Foods, Inc."


@pytest.mark.parametrize("text", ["both parties. This Agreement", "the Parties.", "authorized representatives of both",
                                  "the party against whom any waiver is sought"])
def test_sentence_words_read_as_prose_but_a_glued_ocr_name_does_not(text):
    assert looks_like_prose(text)
    assert not looks_like_prose("JaneDoe") and not looks_like_prose("Maria de la Cruz")


@pytest.mark.parametrize("words, amount, found", [
    ("Seventy-Five Thousand and NO/100 Dollars", "$75,000", "75000.00"),
    ("Seventy Thousand Dollars", "$75,000", None),  # the two readings disagree: neither is taken
])
def test_a_fee_written_in_words_and_digits_is_taken_only_when_both_agree(words, amount, found):
    text = PREAMBLE[:5] + [f"Licensee shall make a payment of {words} ({amount}) to Licensor within ten days."]
    f = run(rows(text))
    assert f["total_amount"]["normalized"] == found
    if found:
        assert f["currency"]["normalized"] == "USD"
        assert f["total_amount"]["status"] == "accept"


def test_a_price_change_effective_later_is_not_the_agreements_effective_date():
    text = PREAMBLE[:5] + ["The revised rate card is effective from January 1, 2025."]
    assert run(rows(text))["effective_date"]["normalized"] == "2024-06-03"


def test_a_counterparty_cut_short_where_the_page_prints_it_longer_is_not_confirmed_by_its_block():
    """OCR may cut "Affinity Group, Inc." at a line break; the block heading matches on the
    first word only, so a name printed longer elsewhere stays in review."""
    preamble = [PREAMBLE[0], PREAMBLE[1], PREAMBLE[2],
                "and Bluefin Analytics (\"Sponsor\").",
                "Payments go to Bluefin Analytics Group, Portland, ME 04101.", *PREAMBLE[5:]]
    f = run(rows(preamble) + SIGNATURES)
    assert f["counterparty"]["normalized"] == "Bluefin Analytics"
    assert f["counterparty"]["status"] == "review" and "longer" in f["counterparty"]["reason"]


@pytest.mark.parametrize("defined", ['(hereinafter referred to as "VET TECH")', '(referred to herein as "VET TECH")',
                                     '(hereinafter, "VET TECH")', '(hereinafter called the "Sponsor")'])
def test_a_party_defined_in_brackets_with_hereinafter_or_referred_to_is_found(defined):
    text = ["THIS AGREEMENT is made as of March 2, 2023 by and between Granite Peak Outfitters, LLC",
            f"(hereinafter referred to as \"Company\"), and Vet Tech Partners, Inc. {defined}."]
    assert run(rows(text))["counterparty"]["normalized"] == "Vet Tech Partners, Inc."


# ---- contracts4: more ways an opening clause names the second party ------------------------------
@pytest.mark.parametrize("opening,want", [
    # UK drafting numbers the parties.
    (['THIS AGREEMENT is made the 15th day of December 2001.',
      'BETWEEN (1) CHINA ECONOMIC INFORMATION SERVICE, with offices at 57 Xuanwumen Xidajie, Beijing ("CEIS"); and',
      '(2) XINHUA FINANCIAL NETWORK LIMITED, a company incorporated in Hong Kong ("XFN").'],
     "XINHUA FINANCIAL NETWORK LIMITED"),
    # No defined terms: a name with its legal form after "and".
    (["MAINTENANCE CONTRACT concluded between: EuroTel Bratislava a.s., Stefanikova 17, 838 01 Bratislava,",
      "Slovakia and Sicap Ltd, Bernstrasse 34, 3072 Ostermundigen, Switzerland."], "Sicap Ltd"),
    # Parties named by letter.
    (["Cooperation Agreement of 50MWp Photovoltaic Project", "Party A: People's Government of Fenyi County",
      "Party B: Xinyu Xinwei New Energy Co., Ltd.", "Party A welcomes and supports Party B to invest."],
     "Xinyu Xinwei New Energy Co., Ltd."),
    # A brand in camel case and its defined term in lower case.
    (['This Agreement is made this 21st day of January 2003 by and between Lucent Technologies Inc., a Delaware',
      'corporation ("Lucent") and mPhase Technologies Inc., a New Jersey corporation located at 587 Connecticut',
      'Avenue, Norwalk ("mPhase").'], "mPhase Technologies Inc."),
    # "Between: A ...; And: A company ...": the article is not part of the name.
    (['This Agreement is made and entered into this 30th day of June 2017, Between: Turnkey Capital Inc., having its',
      'office in Florida, hereinafter referred to as "TKCI"; And: A Seminole Indian Company to be formed by',
      'James E. Billie and Craig Talesman, hereinafter referred to as "SIC".'], "Seminole Indian Company"),
    # No "between": the parties are the subject of the opening sentence.
    (['CONSULTING AGREEMENT', 'Aduro Biotech, Inc., with a place of business at 740 Heinz Avenue, Berkeley (“Aduro”)',
      'and IREYA B.V having an address at Staalwijkstraat 16, Leiden, represented by Andrea van Elsas, (“Consultant”)',
      'agree to all terms and conditions of this Consulting Agreement.'], "IREYA B.V"),
])
def test_the_second_party_is_found_in_other_opening_shapes_and_left_for_review(opening, want):
    f = run(rows(opening))["counterparty"]
    assert f["normalized"] == want and f["status"] == "review", f


def test_a_person_named_inside_a_partys_description_does_not_sign_as_a_party_himself():
    from streams.extract.contract_parties import declared_individual
    text = ('between Acme Corp. ("Acme") and Paul Silas ("Celebrity"), an individual. ... a company to be formed by '
            'James Billie and Craig Talesman, having an office at 1800 Frank Huff Road, hereinafter "SIC".')
    assert declared_individual(text, "Paul Silas")
    assert not declared_individual(text, "Craig Talesman")


def test_the_signature_pages_printing_the_whole_name_with_its_form_confirm_a_party_with_no_signer_read():
    opening = PREAMBLE[:5]
    # No one signs on the page yet (a filed copy), but the block prints the party's whole name again.
    signed = opening + ["IN WITNESS WHEREOF, the parties have executed this Agreement.", "NORTHWIND TRADERS, LLC",
                        "BLUEFIN ANALYTICS, INC."]
    f = run(rows(signed))["counterparty"]
    assert (f["normalized"], f["status"]) == ("Bluefin Analytics, Inc.", "accept"), f
    # Printed once, in the opening clause only: nothing confirms it.
    f = run(rows(opening))["counterparty"]
    assert (f["normalized"], f["status"]) == ("Bluefin Analytics, Inc.", "review"), f
    # The signature page prints one word of it: not the whole name.
    f = run(rows(opening + ["IN WITNESS WHEREOF, the parties have executed this Agreement.", "BLUEFIN"]))["counterparty"]
    assert f["status"] == "review", f


def test_a_counterparty_printed_first_on_the_signature_pages_is_not_confirmed_by_them():
    # The opening clause's second party signs first: which party is "the other" is not settled.
    swapped = PREAMBLE[:5] + ["IN WITNESS WHEREOF, the parties have executed this Agreement.", "BLUEFIN ANALYTICS, INC.",
                              "NORTHWIND TRADERS, LLC"]
    f = run(rows(swapped))["counterparty"]
    assert (f["normalized"], f["status"]) == ("Bluefin Analytics, Inc.", "review"), f


def test_a_title_naming_the_parties_in_the_other_order_contests_the_counterparty():
    # A filed contract's shape: 'Promotion Agreement Between PageMaster Corporation and Go Call,
    # Inc.' over 'by and between Go Call, Inc. ... and PageMaster Corporation': which party is
    # the second is not settled, whatever the signature pages print.
    body = ['This Promotion Agreement (herein "Agreement") dated June 3, 2024, by',
            'and between Northwind Traders, Inc. (herein "Northwind") located at 1 Main Street,',
            'Columbus, Ohio 43004 and Bluefin Analytics, Inc. located at 12 Harbor Road,',
            'Portland, ME 04101, shall set forth the terms of a promotion.',
            '1. Term. This Agreement shall remain in force for a period of two (2) years.',
            "IN WITNESS WHEREOF, the parties have executed this Agreement.", "By: /s/ Jane Doe", "Name: Jane Doe",
            "NORTHWIND TRADERS, INC.", "By: /s/ Mark Ruge", "Name: Mark Ruge", "BLUEFIN ANALYTICS, INC."]
    agreeing = ["Promotion Agreement Between", "Northwind Traders, Inc. and Bluefin Analytics, Inc.", "AGREEMENT"]
    f = run(rows(agreeing + body))["counterparty"]
    assert (f["normalized"], f["status"]) == ("Bluefin Analytics, Inc.", "accept"), f
    swapped = ["Promotion Agreement Between", "Bluefin Analytics, Inc. and Northwind Traders, Inc.", "AGREEMENT"]
    assert run(rows(swapped + body))["counterparty"]["status"] == "review"

"""Contract term and effective date: every statement read, other periods and agreements set aside,
disagreement sent to review (contract_checks.py, rules-3)."""

from __future__ import annotations

import pytest
from extract_records import line, ocr_result, page, rows

from inkstream.settings import ExtractionSettings
from streams.extract.contract_checks import effective_readings, last_signature, term_readings, whole_months
from streams.extract.extractor import extract

OPENING = ['SPONSORSHIP AGREEMENT',
           'This Sponsorship Agreement is made and entered into as of March 1, 2024, by and between',
           'Northwind Traders, LLC ("Company") and Bluefin Analytics, Inc. (the "Sponsor").']


def run(lines, version="rules-3"):
    result = extract(ocr_result([page(rows(lines), source="text_layer")]), ExtractionSettings(), version=version)
    return {f["name"]: f for f in result["fields"]}


def terms(text, effective=None):
    return [r.value for r in term_readings(text, effective)]


@pytest.mark.parametrize("text", [
    "During the term of this Agreement and the five (5) year period immediately following termination of this "
    "Agreement, Licensor may audit",  # 'term of' + words that are not a number: no statement
    "During the Term of this Agreement and for a period of one year thereafter, neither party shall solicit",
    "the obligations of confidentiality survive for a period of five (5) years following termination",
    "for a period of six (6) months following expiration or termination of this Agreement",
    "either party may terminate on six (6) months' prior written notice",
    "this Agreement will automatically be renewed for successive additional periods of one year",
    "a warranty period of twelve (12) months",
])
def test_periods_that_are_not_the_agreements_term_are_set_aside(text):
    assert terms(text) == []


@pytest.mark.parametrize("text,months", [
    ("The term of this Agreement shall be two (2) years from the Effective Date.", "24"),
    ("This Agreement shall remain in full force and effect for a period of eighteen (18) months.", "18"),
    ("The effective term is 12 months beginning March 1, 2005 and ending February 28, 2006.", "12"),
    ("The Initial Term is thirty-six (36) months.", "36"),
    ("the Company agrees to a one year engagement", "12"),
    ("and have a term of five (5) years commencing as of the effective date hereof", "60"),
    ("shall continue until one (1) year subsequent to the Effective Date", "12"),
    ("The term shall commence on January 1, 2010 and extend through December 31, 2010.", "12"),
])
def test_the_agreements_own_term_is_read_in_many_phrasings(text, months):
    assert months in terms(text)


def test_until_a_date_counts_months_from_the_effective_date_but_not_an_extension():
    text = ("This Agreement shall commence upon the Effective Date and continue until March 31, 2003. "
            "The term of this Agreement will be automatically extended until December 31, 2004.")
    assert terms(text, "2001-10-01") == ["18"]


def test_whole_months_allow_the_day_before_and_nothing_else():
    assert whole_months("2010-01-01", "2010-12-31") == 12
    assert whole_months("1999-02-17", "2000-02-17") == 12
    assert whole_months("2006-07-11", "2010-06-30") is None


def test_a_term_in_words_and_digits_is_accepted():
    f = run(OPENING + ["1. Term. The term of this Agreement shall be two (2) years from the Effective Date."])
    assert (f["term_months"]["normalized"], f["term_months"]["status"]) == ("24", "accept")


def test_a_term_in_words_only_stated_once_and_not_of_the_agreement_goes_to_review():
    f = run(OPENING + ["1. Engagement. The Sponsor agrees to a two year engagement of the Celebrity."])
    assert (f["term_months"]["normalized"], f["term_months"]["status"]) == ("24", "review")
    assert "one statement of the term" in f["term_months"]["reason"]


@pytest.mark.parametrize("sentence", ["1. Term. The term of this Agreement shall be two years.",
                                      "1. This Agreement shall be for the term of two years.",
                                      "1. Term. This Agreement runs for two years from the Effective Date."])
def test_a_term_whose_sentence_names_this_agreement_or_its_start_is_accepted(sentence):
    f = run(OPENING + [sentence])
    assert (f["term_months"]["normalized"], f["term_months"]["status"]) == ("24", "accept")


def test_made_on_one_day_to_be_effective_on_another_takes_the_effective_one():
    lines = ["SPONSORSHIP AGREEMENT", "THIS AGREEMENT made this 5th day of December, 2007, between",
             'Northwind Traders, LLC ("Company") and Bluefin Analytics, Inc. (the "Sponsor").',
             "Executed in duplicate on the 5th day of December, 2007, to be effective January 1, 2008."]
    f = run(lines)
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2008-01-01", "accept")


def test_a_term_whose_dates_agree_with_its_months_is_accepted():
    f = run(OPENING + ["1. Term. The term of this Agreement is twelve months, beginning March 1, 2024 and",
                       "ending February 28, 2025."])
    assert (f["term_months"]["normalized"], f["term_months"]["status"]) == ("12", "accept")


def test_two_different_terms_go_to_review():
    f = run(OPENING + ["1. Term. The term of this Agreement shall be three (3) years.",
                       "2. This Agreement shall remain in effect for a period of one (1) year."])
    assert f["term_months"]["status"] == "review"
    assert "several terms" in f["term_months"]["reason"]


def test_a_survival_period_is_not_taken_for_the_term():
    f = run(OPENING + ["9. Confidentiality. During the Term and for a period of three (3) years thereafter,",
                       "each party shall keep the other's information confidential."])
    assert f["term_months"]["normalized"] is None


def test_a_later_of_alternative_goes_to_review():
    f = run(OPENING + ["1. This Agreement shall remain in effect for the later of five (5) years or",
                       "the completion of the Services."])
    assert f["term_months"]["status"] != "accept"


@pytest.mark.parametrize("text", [
    "WHEREAS, the Company and the Trust entered into a Split Dollar Agreement, dated as of December 5, 1995;",
    "which was an integral part of the original LICENSE CONTRACT, made effective on 06 April 1998.",
    'a Demand Note, dated as of December 5, 1995 (the "Demand Note")',
    "Either party may give notice of termination effective on December 5, 1995.",
])
def test_dates_of_other_agreements_and_recitals_are_not_this_agreements(text):
    assert effective_readings(text) == []


def test_the_opening_witness_clause_and_label_are_readings_of_the_effective_date():
    text = ("This Agreement is dated as of April 4, 2003 between A and B. ... IN WITNESS WHEREOF, the parties "
            "have executed this Agreement as of this 4th day of April, 2003. Effective Date: April 4, 2003")
    assert [r.value for r in effective_readings(text)] == ["2003-04-04"] * 3


def test_an_effective_date_contradicted_by_the_start_of_the_term_goes_to_review():
    f = run(OPENING + ["2. Term. The term of this Agreement will begin on April 1, 2024 and end on",
                       "the first anniversary of the date of this Agreement."])
    # The start of the term is when it takes effect; the dated opening clause said otherwise: review.
    assert f["effective_date"]["normalized"] == "2024-04-01"
    assert f["effective_date"]["status"] == "review"
    assert "March 1, 2024" in f["effective_date"]["reason"]


def test_an_effective_date_taken_from_a_recital_goes_to_review():
    lines = ["AMENDMENT", "WHEREAS, the parties entered into a License Agreement, dated as of December 5, 1995;",
             "NOW THEREFORE, this Amendment is executed as of April 4, 2003 by and between A Corp. and B Inc."]
    f = run(lines)
    assert f["effective_date"]["normalized"] != "1995-12-05" or f["effective_date"]["status"] == "review"


def test_effective_on_the_last_signature_goes_to_review_with_its_reason():
    assert last_signature("This Agreement is effective as of the date of the last signature below.")
    f = run(OPENING + ["This Agreement shall be effective as of the date of the last signature below."])
    assert f["effective_date"]["status"] == "review"
    assert "last signature" in f["effective_date"]["reason"]


def test_an_effective_date_stated_once_in_the_opening_clause_stays_acceptable():
    f = run(OPENING + ["1. Term. The term of this Agreement shall be two (2) years."])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2024-03-01", "accept")


def test_a_clause_headed_by_a_party_label_is_not_the_counterparty():
    f = run(OPENING + ["(iv) COST AND EXPENSES FOR CLIENT: All Costs, Marketing, sales reports and office locations"])
    assert f["counterparty"]["normalized"] != "All Costs, Marketing, sales reports and office locations"


def test_an_effective_date_label_on_a_later_schedule_does_not_overrule_the_opening_clause():
    text = ("This Agency Agreement is made as of March 29, 1999, by and between A Corp. and B Inc. "
            + "The Agent shall use its best efforts. " * 120 + "EXHIBIT A PRICE LIST Effective Date: January 5, 1999")
    readings = effective_readings(text)
    assert {(r.value, r.kind) for r in readings} == {("1999-03-29", "made"), ("1999-01-05", "made")}


SIGNATURE_ONLY = ["JOINT FILING AGREEMENT",
                  "The undersigned agree that the statement on Schedule 13D is filed on behalf of each of them.",
                  "IN WITNESS WHEREOF, the undersigned have executed this agreement effective as of the date set forth below."]


def test_with_no_opening_date_the_date_the_text_points_to_is_taken_and_accepted():
    f = run(SIGNATURE_ONLY + ["Date: April 7, 2020", "BANK OF AMERICA CORPORATION", "By: /s/ Ally Pecarro"])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2020-04-07", "accept")


def test_signatures_on_different_days_give_the_last_for_review():
    lines = SIGNATURE_ONLY[:2] + ["Agreed:", "ConAgra Foods Canada Inc.", "Date: June 25, 2009", "Charity Tunes, Inc.",
                                  "Date: June 29, 2009"]
    f = run(lines)
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2009-06-29", "review")
    assert "different days" in f["effective_date"]["reason"]


def test_one_signature_date_alone_goes_to_review():
    f = run(SIGNATURE_ONLY[:2] + ["Dated: March 27, 2020.", "/s/ Shelby J. Butterfield"])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2020-03-27", "review")


US_FILING = ["JOINT FILING AGREEMENT",
             "The undersigned agree that the statement on Schedule 13G is filed on behalf of each of them pursuant to "
             "Rule 13d-1(k) under the Securities Exchange Act of 1934, as amended.",
             "This agreement may be executed in counterparts."]


def test_a_us_filings_numeric_signature_dates_are_read_month_first_for_review():
    f = run(US_FILING + ["Dated: 4/8/2020", "YA II PN, Ltd.", "Date: 4/8/2020", "By: /s/ Troy J. Rillo"])["effective_date"]
    assert (f["normalized"], f["status"]) == ("2020-04-08", "review") and "month first" in f["reason"]


def test_a_numeric_signature_date_with_no_country_to_say_its_order_stays_unread():
    lines = [US_FILING[0], "The undersigned agree that the statement is filed on behalf of each of them.", US_FILING[2]]
    assert run(lines + ["Dated: 4/8/2020", "/s/ Troy J. Rillo"])["effective_date"]["normalized"] is None


@pytest.mark.parametrize("second,want", [
    ("PLAN_B MEDIA AG Schaafenstr. 25 50676 Cologne Germany", "PLAN_B MEDIA AG"),
    ("The Right Solution", "The Right Solution"),
    ("Beijing Tianying Network Technology Co., Ltd. November 24, 2009", "Beijing Tianying Network Technology Co., Ltd."),
])
def test_an_address_or_date_run_on_after_the_second_party_is_cut_off(second, want):
    from streams.extract.contract import _trimmed_party
    from streams.extract.finders import Candidate
    from streams.extract.layout import Span
    from streams.extract.normalize import normalize_name

    cand = Candidate(second, Span(second, ()), normalize_name(second), "opening clause")
    assert _trimmed_party(cand).parsed.normalized == want


def test_a_recital_word_after_and_is_not_a_party():
    from streams.extract.contract import _trimmed_party
    from streams.extract.finders import Candidate
    from streams.extract.layout import Span
    from streams.extract.normalize import normalize_name

    assert _trimmed_party(Candidate("WHEREAS", Span("WHEREAS", ()), normalize_name("WHEREAS"), "opening")) is None


@pytest.mark.parametrize("sentence", [
    "5.1 The Principal shall pay the Company a fee of $1.00 (one dollar), inclusive of VAT, per one net tonne of coal.",
    "Commissions are only paid each month if the amount owing exceeds $100.00 US.",
    "The Investor shall lend to the Borrowers an aggregate amount not to exceed $5,000,000.00 during the term.",
    "The Company shall pay an annual consulting fee of $30,000.00, in equal quarterly installments.",
    "Affiliate shall receive a fee of $35.00 per paid enrollment.",
])
def test_a_rate_a_cap_or_a_threshold_is_not_the_fee(sentence):
    f = run(OPENING + [sentence])
    assert f["total_amount"]["normalized"] is None
    assert f["currency"]["normalized"] is None


@pytest.mark.parametrize("sentence,amount", [
    ("The Sponsor agrees to pay a total amount of US$400,000.00, payable in two parts.", "400000.00"),
    ("Company shall pay a sponsorship fee in the amount of $750,000.00 for the term of this Agreement.", "750000.00"),
    ("In consideration of the rights, Sponsor shall pay compensation in the amount of $150,000.00.", "150000.00"),
])
def test_a_fee_named_as_such_or_as_the_total_is_accepted(sentence, amount):
    f = run(OPENING + [sentence])
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == (amount, "accept")


def test_a_bare_amount_not_named_a_fee_goes_to_review():
    f = run(OPENING + ["Sponsor will deliver banners in an amount of $12,500.00 to the venue."])
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == ("12500.00", "review")


def test_a_counterparty_is_confirmed_only_when_the_signature_pages_print_its_whole_name():
    from streams.extract.contract import _named_in_full
    from streams.extract.layout import Layout

    lines = OPENING + ["IN WITNESS WHEREOF, the parties have signed.", "NORTHWIND TRADERS, LLC",
                       "BLUEFIN ANALYTICS INC.", "By: /s/ Maria de la Cruz"]
    layout = Layout.from_ocr(ocr_result([page(rows(lines), source="text_layer")]))
    assert _named_in_full(layout, "Bluefin Analytics, Inc.")
    assert not _named_in_full(layout, "Bluefin Analytics Holdings, Inc.")  # one word matched is not the name
    assert not _named_in_full(layout, "9062 Old Annapolis Road")


def test_a_prose_party_is_accepted_only_when_the_signature_pages_print_it_again():
    lines = ["SERVICES AGREEMENT", 'This Agreement is entered into as of March 3, 2026 by Acme Holdings LLC',
             'and Bluefin Analytics Inc. ("Client").']
    signed = lines + ["IN WITNESS WHEREOF, the parties have signed.", "ACME HOLDINGS LLC", "BLUEFIN ANALYTICS INC."]
    assert run(signed)["counterparty"]["status"] == "accept"
    unsigned = lines + ["IN WITNESS WHEREOF, the parties have signed.", "ACME HOLDINGS LLC", "BLUEFIN INC."]
    f = run(unsigned)["counterparty"]
    assert f["status"] == "review" and "signature pages" in f["reason"]


def test_an_individual_party_who_signs_himself_confirms_party_and_signer():
    lines = ["ENDORSEMENT AGREEMENT",
             'This Endorsement Agreement is made effective as of February 20, 2012 ("Effective Date"), by and between',
             'Pharmagen Inc., a Nevada corporation ("Company"), and Paul Silas ("Celebrity"), an individual.',
             "IN WITNESS WHEREOF, the parties have executed this Agreement."]
    sig = [line("PHARMAGEN INC.", row=len(lines), x=120.0), line("PAUL SILAS", row=len(lines), x=900.0),
           line("By: /s/ Mackie Barch", row=len(lines) + 1, x=120.0),
           line("By: /s/ Paul Silas", row=len(lines) + 1, x=900.0)]
    result = extract(ocr_result([page(rows(lines) + sig, source="text_layer")]), ExtractionSettings(), version="rules-3")
    f = {x["name"]: x for x in result["fields"]}
    assert (f["counterparty"]["normalized"], f["counterparty"]["status"]) == ("Paul Silas", "accept")
    assert (f["signer_name"]["normalized"], f["signer_name"]["status"]) == ("Paul Silas", "accept")


# ---- contracts2: counterparty and effective-date gates ----------------------------------------
@pytest.mark.parametrize("name, why", [
    ("a.", "three letters"),
    ("9062 Old Annapolis Road", "digit"),
    ("Bluefin Analytics and its affiliates.", "sentence"),
    ("Suite 400 Main Street Holdings LLC", "address"),
])
def test_a_fragment_a_number_an_address_or_a_sentence_end_is_never_a_name(name, why):
    from streams.extract.contract_checks import name_problem
    assert why in (name_problem(name) or "")


@pytest.mark.parametrize("name", ["Sphere 3D Corp.", "UBS AG", "Bluefin Analytics, Inc.", "N.V. Philips", "J.C. Penney Co."])
def test_legal_names_pass_the_name_shape_test(name):
    from streams.extract.contract_checks import name_problem
    assert name_problem(name) is None


def _party(name):
    from streams.extract.confidence import FieldValue
    return FieldValue("counterparty", name, name, 0.98, 1, None, ["found by label"])


def test_a_counterparty_needs_a_legal_form_the_signature_pages_and_the_opening_clause():
    from streams.extract.contract_checks import check_counterparty
    text = 'between Acme LLC ("Company") and Sphere 3D Corp. ("Client"). IN WITNESS WHEREOF SPHERE 3D CORP.'
    ok = check_counterparty(_party("Sphere 3D Corp."), text, opening="Sphere 3D Corp.", printed_again=True)
    assert not ok.force_review
    frag = check_counterparty(_party("Sphere"), text, opening="Sphere 3D Corp.", printed_again=True)
    assert frag.force_review and "legal form" in frag.reasons[-1]
    unsigned = check_counterparty(_party("Sphere 3D Corp."), text, opening="Sphere 3D Corp.", printed_again=False)
    assert unsigned.force_review and "signature pages" in unsigned.reasons[-1]
    other = check_counterparty(_party("Acme LLC"), text, opening="Sphere 3D Corp.", printed_again=True)
    assert other.force_review and "opening clause" in other.reasons[-1]


def test_a_person_who_signs_himself_needs_no_legal_form():
    from streams.extract.contract_checks import check_counterparty
    f = check_counterparty(_party("Paul Silas"), "and Paul Silas (\"Celebrity\")", opening="Paul Silas",
                           printed_again=True, signs_himself=True)
    assert not f.force_review


def test_a_name_cut_before_its_trade_name_goes_to_review():
    from streams.extract.contract_checks import check_counterparty
    for text in ['between Acme LLC ("Company") and TIME LIFE, INC. d/b/a Time Life Music ("Licensee"). TIME LIFE, INC.',
                 'between Acme LLC ("Company") and TIME LIFE, INC., a Delaware corporation d/b/a Time Life Music, with\n'
                 'offices at 2000 Duke Street ("TL"). TIME LIFE, INC.']:
        f = check_counterparty(_party("TIME LIFE, INC."), text, opening="TIME LIFE, INC.", printed_again=True)
        assert f.force_review and "d/b/a" in f.reasons[-1]


AMENDED = ['AMENDMENT TO DISTRIBUTOR AGREEMENT',
           'This Amendment is entered into effective October 1, 1996 by and between Northwind Traders, Inc.',
           '("Vendor") and Bluefin Analytics, Inc. ("Distributor").',
           'AMENDMENT NO. 1',
           'This Amendment is made as of June 1, 1997 by and between Bluefin Analytics, Inc. ("Distributor")',
           'and Northwind Traders, Inc. ("Vendor").']


def test_a_document_holding_two_agreements_sends_party_and_date_to_review():
    from streams.extract.contract_checks import agreements_in, check_counterparty
    text = "\n".join(AMENDED)
    assert agreements_in(text) == 2 and agreements_in("\n".join(OPENING)) == 1
    f = check_counterparty(_party("Bluefin Analytics, Inc."), text, opening="Bluefin Analytics, Inc.", printed_again=True)
    assert f.force_review and "more than one agreement" in f.reasons[-1]
    f = run(AMENDED)
    assert f["effective_date"]["normalized"] == "1996-10-01" and f["effective_date"]["status"] == "review"


@pytest.mark.parametrize("extra", [
    "The term of this Agreement shall commence on April 1, 2024.",
    'Services start on April 1, 2024 (the "Commencement Date").',
    "IN WITNESS WHEREOF, the parties have signed.  Date: March 1, 2024  Date: March 24, 2024",
    "IN WITNESS WHEREOF, the parties have signed.  /s/ Jane Doe  April 6, 2024",
    "January 22, 2025",  # a dateline: the document is dated that day
    "The Term begins April 1, 2024 and runs for one year.",
    "for a period beginning April 1, 2024.",
    "The term of the license hereby granted shall commence April 1, 2024 and continue until March 31, 2026.",
    "The term of this Agreement for the Hosted Site shall commence upon April 1, 2024 and continue for six months.",
])
def test_an_effective_date_is_accepted_only_when_no_commencement_or_signature_date_differs(extra):
    assert run(OPENING)["effective_date"]["status"] == "accept"
    f = run(OPENING + [extra])["effective_date"]
    assert f["status"] == "review" and f["normalized"] in {"2024-03-01", "2024-04-01"}


def test_signature_dates_on_the_effective_day_keep_it_acceptable():
    f = run(OPENING + ["IN WITNESS WHEREOF, the parties have signed.", "Date: March 1, 2024  Date: March 1, 2024"])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2024-03-01", "accept")


# ---- contracts4: what a careful paralegal demands before typing an effective date in ----------
@pytest.mark.parametrize("extra", [
    "IN WITNESS WHEREOF, the parties have signed. Rockaway, April ____, 2024   Ballerup, April ____, 2024",
    "IN WITNESS WHEREOF, the parties have signed. Dated this day of , 2024.",
    "2. Term. The Term shall commence on the date of first shipment of Product and run for one year.",
    '"Effective Date" shall mean the later of the date of regulatory approval or June 1, 2024.',
    "This Agreement shall become effective upon execution by both parties.",
    "Fees are due for the period from April 1, 2024 through March 31, 2025.",
    "Northwind Traders, LLC   By: /s/ Jane Doe   Date: 3/24/24",
    "Bluefin Analytics, Inc.   By: /s/ Jane Doe   April 6, 2024",
    "IN WITNESS WHEREOF, the parties have executed this Agreement as of the date last below written.",
    # a definitions section in capitals, the term not quoted
    "EFFECTIVE DATE shall mean the Date of Installation of the System, i.e. December 10, 2023.",
])
def test_a_dated_opening_is_not_accepted_when_a_blank_an_event_or_another_signature_date_competes(extra):
    assert run(OPENING)["effective_date"]["status"] == "accept"
    f = run(OPENING + [extra])["effective_date"]
    assert f["status"] == "review" and f["normalized"] in {"2024-03-01", "2024-04-01"}, f["reason"]


@pytest.mark.parametrize("extra", [
    "The Term shall commence on the Effective Date and continue for two years.",
    "IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first above written.",
    "Northwind Traders, LLC   By: /s/ Jane Doe   Date: March 1, 2024",
    "Title:_______________________ 20 Exhibit A Severity Levels",  # a page number after a blank line
])
def test_what_agrees_with_the_dated_opening_keeps_it_acceptable(extra):
    f = run(OPENING + [extra])["effective_date"]
    assert (f["normalized"], f["status"]) == ("2024-03-01", "accept"), f["reason"]


def test_a_date_on_the_head_that_dates_another_agreement_is_not_accepted():
    lines = ["DEVELOPMENT AGREEMENT",
             "WHEREAS Galen Chemicals Limited has acquired rights under the agreement between Bristol-Myers Squibb",
             "Company and LEO Pharma dated as of April 8, 1993 (each as may be amended) and desires to develop",
             "the Product; NOW THEREFORE the parties agree as follows. 1. Development."]
    f = run(lines)["effective_date"]
    assert f["status"] != "accept"


@pytest.mark.parametrize("opening", [
    'SPONSORSHIP AGREEMENT dated as of May 1, 2002 (this "Agreement"), between Xybernaut Corp. and Racing Team LLC.',
    "This Agreement is made and entered into this 30th day of June 2017, between Turnkey Capital, Inc. and Seminole LLC.",
    'FEE WAIVER AGREEMENT dated as of June 24, 2020, between PFS Funds and Wilshire Capital, LLC.',
])
def test_an_opening_clause_that_dates_this_agreement_states_its_start(opening):
    from streams.extract.contract_checks import _states_start
    readings = effective_readings(opening)
    assert readings and all(_states_start(opening, r) for r in readings)


# ---- contracts4: a duration is the agreement's term only when its sentence says so --------------
@pytest.mark.parametrize("line", [
    "If Force Majeure has occurred and is continuing for a period of at least six (6) months, either party may terminate.",
    "The Warrants shall be exercisable for a period of three (3) years from their date of issue.",
    "Company shall keep its books for a period of five (5) years.",
])
def test_a_duration_whose_sentence_is_not_about_the_agreement_is_never_accepted_as_its_term(line):
    from streams.extract.contract_checks import term_readings
    assert all(not r.about for r in term_readings(line, None))
    f = run(OPENING + ["1. Services. The Sponsor shall provide the services.", line])["term_months"]
    assert f["status"] != "accept"


@pytest.mark.parametrize("line,months", [
    ("5.0. TERM. This Agreement shall have an initial term of three (3) years.", "36"),
    ("It shall be effective on 06 October 2000 and shall have a duration of two (2) years.", "24"),
    ("The Sponsorship shall continue for a period of two (2) years from the Effective Date.", "24"),
])
def test_a_duration_whose_sentence_names_the_agreement_or_its_term_is_accepted(line, months):
    f = run(OPENING + [line])["term_months"]
    assert (f["normalized"], f["status"]) == (months, "accept"), f["reason"]


def test_a_bound_or_a_condition_beside_the_agreements_own_term_does_not_contest_it():
    lines = OPENING + ["3. TERM. The initial term of this Agreement shall be for a period of one (1) year from the",
                       "Effective Date. 8. If Force Majeure continues for a period of at least six (6) months, either",
                       "party may terminate."]
    f = run(lines)["term_months"]
    assert (f["normalized"], f["status"]) == ("12", "accept"), f["reason"]


def test_a_duration_whose_sentence_does_not_say_whose_it_is_contests_the_agreements_own_term():
    # A reader may take "may distribute the Products ... for a period of three (3) years" for the term: review.
    lines = OPENING + ["3. TERM. The initial term of this Agreement shall be for a period of one (1) year from the",
                       "Effective Date. 4. Licensee may distribute the Products in the Territory",
                       "for a period of three (3) years."]
    f = run(lines)["term_months"]
    assert (f["normalized"], f["status"]) == ("12", "review"), f["reason"]
    assert "36 months" in f["reason"]


def test_a_sentence_about_what_the_title_calls_the_agreement_states_its_term():
    lines = ["MAINTENANCE AGREEMENT", "This Maintenance Agreement is made as of March 1, 2024 by and between",
             'Northwind Traders, LLC ("Company") and Bluefin Analytics, Inc. (the "Bank").',
             "The maintenance is for a period of one (1) year commencing upon installation of the System."]
    f = run(lines)["term_months"]
    assert (f["normalized"], f["status"]) == ("12", "accept"), f["reason"]
    f = run(["SUPPLY AGREEMENT", lines[1].replace("Maintenance", "Supply")] + lines[2:])["term_months"]
    assert f["status"] != "accept"  # "the maintenance" is not what a supply agreement is


def test_signature_dates_do_not_contest_a_date_stated_as_the_one_it_takes_effect_on():
    lines = ["ENDORSEMENT AGREEMENT", 'between Northwind Traders, LLC ("Company") and Bluefin Analytics, Inc. ("Sponsor").',
             "This Agreement is executed on the 5th day of December, 2023, to be effective January 1, 2024.",
             "BLUEFIN ANALYTICS, INC.   By: /s/ Jane Doe   Date: December 5, 2023"]
    f = run(lines)["effective_date"]
    assert (f["normalized"], f["status"]) == ("2024-01-01", "accept"), f["reason"]


@pytest.mark.parametrize("extra", [
    "This Agreement shall become effective upon the closing of the Merger.",
    "This Agreement shall be effective as of the date of its execution by the Sponsor.",
    "This Agreement shall remain in full force and effect from April 1, 2024 until terminated.",
])
def test_a_start_tied_to_a_closing_an_execution_or_another_date_contests_the_dated_opening(extra):
    f = run(OPENING + [extra])["effective_date"]
    assert f["status"] == "review", f["reason"]


def test_a_period_after_the_term_is_not_the_term():
    assert terms("Licensee may sell its inventory for a period of five (5) years after the Term of this Agreement.") == []


def test_a_term_beside_an_end_date_goes_to_review_when_the_start_is_unknown():
    lines = ["SPONSORSHIP AGREEMENT", 'between Northwind Traders, LLC ("Company") and Bluefin Analytics, Inc. ("Sponsor").',
             "1. Term. The term of this Agreement shall be two (2) years from the Effective Date.",
             "This Agreement shall continue until December 31, 2025, unless terminated earlier."]
    f = run(lines)["term_months"]
    assert (f["normalized"], f["status"]) == ("24", "review"), f["reason"]
    f = run(OPENING + lines[2:3])["term_months"]
    assert (f["normalized"], f["status"]) == ("24", "accept"), f["reason"]


@pytest.mark.parametrize("clause,want", [
    ("IN WITNESS WHEREOF, the undersigned hereby execute this Agreement this 14th day of February 2020.", "2020-02-14"),
    ("In evidence whereof, the undersigned have caused this Agreement to be executed on their behalf this 7 day of "
     "April, 2020.", "2020-04-07"),
])
def test_a_witness_clause_dated_on_or_this_day_is_read_but_left_for_review(clause, want):
    assert [r.value for r in effective_readings(clause)] == [want]
    f = run(SIGNATURE_ONLY[:2] + [clause])["effective_date"]
    assert (f["normalized"], f["status"]) == (want, "review"), f["reason"]


def test_a_term_ending_with_a_period_counted_from_the_effective_date_is_read():
    text = ('6.1 Term. The term of this Agreement (the "Term") shall commence on the Effective Date and terminate at the '
            'end of the Exclusivity Period (i.e., a three (3) year period commencing on the Effective Date).')
    assert terms(text) == ["36"]
    f = run(OPENING + [text])["term_months"]
    assert (f["normalized"], f["status"]) == ("36", "accept"), f["reason"]


def test_an_expiry_on_the_later_of_alternatives_is_read_for_review():
    text = ("This Agreement shall be effective as of the date first set forth above and shall expire on the later of "
            "(i) five (5) years from the date hereof, or (ii) upon the completion of the Services.")
    f = run(OPENING + [text])["term_months"]
    assert (f["normalized"], f["status"]) == ("60", "review"), f["reason"]


def test_an_agreement_entered_into_between_the_parties_on_a_date_takes_effect_then():
    lines = ["CONTENT LICENSE AGREEMENT",
             "This Content License Agreement (\"Agreement\") is entered into between the following two parties on",
             "November 24, 2009 in Beijing:", "Licensor: Phoenix Satellite Television Company Limited",
             "Licensee: Beijing Yitian Xindong Network Technology Co., Ltd."]
    f = run(lines)
    assert f["effective_date"]["normalized"] == "2009-11-24"
    assert run(lines, version="rules-2")["effective_date"]["normalized"] is None  # rules-2 stays as it was


def test_the_start_of_the_term_is_the_effective_date_when_nothing_else_says_it():
    lines = ["PREMIUM MANAGED HOSTING AGREEMENT", "Deep Systems and Bangi Inc. agree as follows.",
             "1. The term is 12 months beginning March 1, 2005 and ending February 28, 2006."]
    f = run(lines)
    assert f["effective_date"]["normalized"] == "2005-03-01"
    assert run(lines, version="rules-2")["effective_date"]["normalized"] is None  # rules-2 stays as it was


def test_an_opening_dated_between_commas_and_a_term_that_continues_in_effect_are_read():
    f = run(["MASTER SERVICES AGREEMENT",
             "This Master Services Agreement, dated June 30, 2017, is by and between Eta Inc. and Theta LLC.",
             "This Agreement will continue in effect for one year and renew annually unless terminated."])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2017-06-30", "accept")
    assert f["term_months"]["normalized"] == "12"


@pytest.mark.parametrize("until, months", [("2 March 2025", "36"), ("3 March 2025", "36")])
def test_until_the_day_before_the_anniversary_is_whole_years(until, months):
    f = run(["SERVICES AGREEMENT", "This Services Agreement is entered into on 3 March 2022 between Alpha GmbH and Beta AG.",
             f"This Agreement shall remain in force until {until}."])
    assert f["term_months"]["normalized"] == months  # was 37 for "until 2 March 2025"


ANNIVERSARY_HEAD = ['SERVICES AGREEMENT',
                    'This Services Agreement (the "Agreement") is entered into as of January 15, 2024 (the "Effective Date") by and between',
                    'Acme Corporation, a Delaware corporation ("Acme"), and Beta Systems LLC ("Client").']


@pytest.mark.parametrize("line, months", [
    ("The Term begins on the Effective Date and ends on the third anniversary of the Effective Date.", "36"),
    ("This Agreement shall continue in full force and effect until the fifth anniversary of the Effective Date.", "60"),
    ("This Agreement shall expire on the 2nd anniversary of the date of this Agreement unless renewed.", "24"),
    # another obligation's end, or no statement of how long the agreement runs
    ("The obligations of confidentiality shall continue until the fifth anniversary of the Effective Date.", None),
    ("Licensee shall maintain insurance through the third anniversary of the Effective Date.", None),
])
def test_a_term_that_ends_on_an_anniversary_of_the_effective_date(line, months):
    f = run(ANNIVERSARY_HEAD + [line])["term_months"]
    assert f["normalized"] == months


@pytest.mark.parametrize("line, amount", [
    ("The fees payable under this Agreement are €48.000,00 (forty-eight thousand euros).", "48000.00"),
    ("Compensation: $75,000 payable in three equal installments.", "75000.00"),
    ("The fees payable under this Agreement are $10,000 per month.", None),  # a rate, not the contract's value
    ("Compensation: $150 / hour", None),
])
def test_fees_payable_under_this_agreement_and_a_compensation_label(line, amount):
    assert run(ANNIVERSARY_HEAD + [line])["total_amount"]["normalized"] == amount

"""Contract conventions probed in session 10 (synthetic wording of US, UK, Australian and Indian
agreements): each test is one convention that failed before its rule."""

from __future__ import annotations

import pytest
from test_extract_contract_checks import run

from streams.extract.contract_checks import term_readings

OPENING = ['CONSULTING AGREEMENT',
           'This Consulting Agreement is made and entered into as of the 1st day of March, 2019, by and between',
           'Northwind Traders, LLC, a Delaware limited liability company (the "Company"), and Bluefin Analytics, Inc., '
           'a California corporation ("Consultant").',
           '1. Term. This Agreement shall commence on the date hereof and continue for a period of three (3) years.']
WITNESS = ['IN WITNESS WHEREOF, the parties have executed this Agreement as of the date first written above.']


def test_blocks_stacked_in_one_column_each_heading_its_own_signer():
    # The first party's block ends with "Name: / Title:" right above the counterparty's heading:
    # those lines are not a rival reading of the counterparty's signer.
    f = run(OPENING + WITNESS + ['NORTHWIND TRADERS, LLC', 'By: /s/ Alice Morgan', 'Name: Alice Morgan', 'Title: CEO',
                                 'BLUEFIN ANALYTICS, INC.', 'By: /s/ Robert Chen', 'Name: Robert Chen',
                                 'Title: President'])
    assert (f["signer_name"]["normalized"], f["signer_name"]["status"]) == ("Robert Chen", "accept")


def test_a_company_line_under_the_signature_still_sees_the_lines_above_it():
    # "/s/ Name" printed above the company it signs for: the heading does not head a signed block,
    # so the lines above stay rival readings (review), as before.
    f = run(OPENING + WITNESS + ['/s/ Robert Chen', 'Robert Chen, President', 'BLUEFIN ANALYTICS, INC.',
                                 'NORTHWIND TRADERS, LLC', 'By: /s/ Alice Morgan', 'Name: Alice Morgan'])
    assert f["signer_name"]["status"] == "review"


SIGNED = WITNESS + ['NORTHWIND TRADERS, LLC', 'By: /s/ Alice Morgan', 'Name: Alice Morgan',
                    'BLUEFIN ANALYTICS, INC.', 'By: /s/ Robert Chen', 'Name: Robert Chen']


@pytest.mark.parametrize("sentence, amount, currency", [
    ("The Company shall pay Consultant an aggregate consideration of One Hundred Twenty Thousand Dollars ($120,000).",
     "120000.00", "USD"),
    ("The Company shall pay Consultant the Contract Price of Two Million Dollars ($2,000,000.00).", "2000000.00", "USD"),
    ("The Company shall pay Consultant a fee of Forty Thousand Pounds Sterling (£40,000).", "40000.00", "GBP"),
])
def test_a_price_or_consideration_in_words_and_digits_is_the_fee_when_both_agree(sentence, amount, currency):
    f = run(OPENING + [sentence] + SIGNED)
    assert (f["total_amount"]["normalized"], f["currency"]["normalized"]) == (amount, currency)
    if amount:
        assert f["total_amount"]["status"] == "accept"


def test_words_naming_another_currency_than_the_digits_send_the_fee_to_review():
    f = run(OPENING + ["The Company shall pay Consultant a fee of Forty Thousand Dollars (£40,000)."] + SIGNED)
    assert (f["total_amount"]["status"], f["currency"]["status"]) == ("review", "review")


@pytest.mark.parametrize("words, status", [("Two Hundred Fifty Thousand", "accept"), ("Two Hundred Thousand", "review")])
def test_the_words_checked_against_the_digits_are_those_of_the_last_sum_of_before_them(words, status):
    # "In consideration of the Assets, ... the sum of WORDS (US$N)": not "consideration of the Assets ...".
    f = run(OPENING + [f"In consideration of the Assets, the Company shall pay Consultant the sum of {words} Dollars "
                       "(US$250,000)."] + SIGNED)
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == ("250000.00", status)


def test_an_aggregate_purchase_price_is_the_contracts_value():
    f = run(OPENING + ['The Buyer shall pay to the Seller an aggregate purchase price of $3,500,000 (the "Purchase Price").']
            + SIGNED)
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == ("3500000.00", "accept")


PARTIES_UK = ['(1) NORTHWIND TRADERS LIMITED, a company incorporated in England and Wales (the "Supplier"); and',
              '(2) BLUEFIN ANALYTICS LIMITED, a company incorporated in England and Wales (the "Customer").',
              'This Agreement shall continue for a period of two (2) years from the Commencement Date.']


def test_an_agreement_dated_in_british_style_is_dated_that_day():
    f = run(['THIS AGREEMENT is dated 3 February 2020', 'PARTIES'] + PARTIES_UK)
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2020-02-03", "accept")


@pytest.mark.parametrize("opening, date", [
    ("This Distribution Agreement is made between the parties below with effect from 1 July 2021.", "2021-07-01"),
    ("This Service Agreement is executed at Bengaluru on this 5th day of April, 2021 by and between the parties below.",
     "2021-04-05"),
    ("This Agreement is made in New York on June 2, 2020 by and between the parties below.", "2020-06-02"),
])
def test_with_effect_from_and_the_place_of_signing_before_the_date_are_read_for_review(opening, date):
    f = run(['DISTRIBUTION AGREEMENT', opening] + PARTIES_UK)
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == (date, "review")


def test_effective_on_the_last_signature_takes_the_last_date_signed_for_review():
    f = run(['MUTUAL NON-DISCLOSURE AGREEMENT',
             'This Agreement is effective as of the date of the last signature below (the "Effective Date") between '
             'Northwind Traders, LLC and Bluefin Analytics, Inc.', 'This Agreement shall remain in effect for two (2) years.',
             'Northwind Traders, LLC', 'By: /s/ Alice Morgan', 'Date: March 3, 2023',
             'Bluefin Analytics, Inc.', 'By: /s/ Robert Chen', 'Date: March 9, 2023'])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2023-03-09", "review")
    assert "last signature" in f["effective_date"]["reason"]


def test_an_order_forms_start_date_is_its_effective_date():
    f = run(['ORDER FORM', 'Customer: Bluefin Analytics, Inc.', 'Order Start Date: January 1, 2024',
             'Subscription Term: 12 months', 'Total Fees: $36,000.00', 'This Order Form is governed by the Agreement.'])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2024-01-01", "accept")


def terms_of(text, effective=None):
    return [(r.value, r.confirmed) for r in term_readings(text, effective)]


@pytest.mark.parametrize("text, months", [
    ("This Agreement shall be valid for a period of 2 (two) years from the date of execution.", "24"),
    ("The term of this Agreement shall be 24 (twenty-four) months.", "24"),
])
def test_a_term_written_digits_first_with_the_words_in_brackets_is_read(text, months):
    assert terms_of(text)[0] == (months, True)


def test_a_term_whose_digits_and_bracketed_words_disagree_is_not_read():
    assert terms_of("The term of this Agreement shall be 2 (three) years.") == []


@pytest.mark.parametrize("text, months", [
    ("This Agreement shall become effective on the Effective Date and shall remain in effect until the third "
     "anniversary thereof.", ["36"]),
    ("This Agreement shall expire on the fifth (5th) anniversary of the Effective Date.", ["60"]),
    ("This Agreement shall continue in force until the second anniversary hereof.", ["24"]),
    # "thereof" after another event: not the agreement's start
    ("The Warrants issued at the Closing shall remain in effect until the third anniversary thereof.", []),
])
def test_an_anniversary_of_the_start_named_in_the_sentence_gives_the_term(text, months):
    assert [v for v, _ in terms_of(text)] == months


def test_a_period_from_one_date_to_another_is_the_term_where_the_sentence_says_so():
    assert terms_of("This Agreement shall be in force from 1 April 2020 to 31 March 2023.") == [("36", True)]
    f = run(['THIS AGREEMENT is dated 1 April 2020', 'PARTIES'] + PARTIES_UK[:2]
            + ['The Services shall be provided from 1 April 2020 to 31 March 2023.'])
    assert (f["term_months"]["normalized"], f["term_months"]["status"]) == ("36", "review")


UK_PARTIES = ['THIS AGREEMENT is dated 3 February 2020', 'PARTIES',
              '(1) NORTHWIND TRADERS LIMITED incorporated and registered in England and Wales with company number 01234567 '
              'whose registered office is at 1 High Street, London (the "Supplier").',
              '(2) BLUEFIN ANALYTICS LIMITED incorporated and registered in England and Wales with company number 07654321 '
              'whose registered office is at 2 Low Road, Leeds (the "Customer").',
              'This Agreement shall continue for a period of two (2) years.']


def test_numbered_parties_under_a_parties_heading_give_the_second_party():
    # not "Wales" from "England and Wales ... (the "Supplier")"
    f = run(UK_PARTIES)
    assert f["counterparty"]["normalized"] == "BLUEFIN ANALYTICS LIMITED"


def test_a_british_execution_block_names_the_party_and_its_signer():
    f = run(UK_PARTIES + ['Signed for and on behalf of NORTHWIND TRADERS LIMITED', 'Signature: ', 'Name: Alice Morgan',
                          'Title: Director', 'Signed for and on behalf of BLUEFIN ANALYTICS LIMITED', 'Signature: ',
                          'Name: Robert Chen', 'Title: Director'])
    assert (f["counterparty"]["normalized"], f["counterparty"]["status"]) == ("BLUEFIN ANALYTICS LIMITED", "accept")
    assert f["signer_name"]["normalized"] == "Robert Chen"


def test_signed_by_name_for_and_on_behalf_of_the_party_is_its_signer():
    f = run(UK_PARTIES + ['Signed by Alice Morgan for and on behalf of NORTHWIND TRADERS LIMITED', '......... Director',
                          'Signed by Robert Chen for and on behalf of BLUEFIN ANALYTICS LIMITED', '......... Director'])
    assert (f["signer_name"]["normalized"], f["signer_name"]["status"]) == ("Robert Chen", "review")


def test_an_indian_opening_names_the_other_part_after_a_capital_and():
    f = run(['SERVICE AGREEMENT', 'This Service Agreement is made on this 5th day of April, 2021 by and between:',
             'Northwind Software Private Limited, a company incorporated under the Companies Act, 1956, having its '
             'registered office at MG Road, Bengaluru (hereinafter referred to as the "Client", which expression shall '
             'unless repugnant to the context include its successors and permitted assigns) of the ONE PART;', 'AND',
             'Bluefin Analytics Private Limited, a company incorporated under the Companies Act, 2013, having its '
             'registered office at Andheri, Mumbai (hereinafter referred to as the "Service Provider") of the OTHER PART.',
             'This Agreement shall be valid for a period of two (2) years.'])
    assert f["counterparty"]["normalized"] == "Bluefin Analytics Private Limited"


def test_a_person_party_is_named_without_his_courtesy_title():
    f = run(['EMPLOYMENT AGREEMENT', 'This Employment Agreement is made on this 10th day of January, 2022 between ABC '
             'Technologies Private Limited (hereinafter referred to as the "Company") and Mr. Rahul Sharma (hereinafter '
             'referred to as the "Employee").', 'The term of employment shall be two (2) years.'])
    assert f["counterparty"]["normalized"] == "Rahul Sharma"


def test_docusign_stamps_are_signatures_in_each_block_not_a_signatory_label():
    f = run(OPENING + WITNESS + ['NORTHWIND TRADERS, LLC', 'DocuSigned by:', 'Alice Morgan', 'Name: Alice Morgan',
                                 'BLUEFIN ANALYTICS, INC.', 'DocuSigned by:', 'Robert Chen', 'Name: Robert Chen',
                                 'Title: President'])
    assert (f["signer_name"]["normalized"], f["signer_name"]["status"]) == ("Robert Chen", "accept")


def test_one_signed_by_label_per_party_is_read_in_the_counterpartys_block():
    f = run(OPENING + WITNESS + ['NORTHWIND TRADERS, LLC', 'Signed by: Alice Morgan', 'Title: CEO',
                                 'BLUEFIN ANALYTICS, INC.', 'Signed by: Robert Chen', 'Title: President'])
    assert (f["signer_name"]["normalized"], f["signer_name"]["status"]) == ("Robert Chen", "review")


def test_several_labelled_signatories_with_no_block_are_never_accepted():
    f = run(OPENING + ['Authorized Signatory: Alice Morgan', 'Authorized Signatory: Robert Chen'])
    assert f["signer_name"]["status"] == "review"
    assert "several signatories" in f["signer_name"]["reason"]


@pytest.mark.parametrize("sentence, amount, currency", [
    ("The Purchase Price shall be $2,500,000, payable at Closing.", "2500000.00", "USD"),
    ("The Contract Sum is £1,250,000 (exclusive of VAT).", "1250000.00", "GBP"),
    ("Provider shall perform the Services for a fixed price of EUR 250,000.00.", "250000.00", "EUR"),
    ("The Purchase Price shall be $12.50 per share.", None, None),  # a price per unit is no contract value
])
def test_a_defined_purchase_price_contract_sum_or_fixed_price_is_the_contract_value(sentence, amount, currency):
    f = run(OPENING + [sentence] + SIGNED)
    assert (f["total_amount"]["normalized"], f["currency"]["normalized"]) == (amount, currency)


@pytest.mark.parametrize("second, name", [
    ('Bluefin Analytics Pty Ltd ACN 987 654 321 ("Distributor")', "Bluefin Analytics Pty Ltd"),
    ('Bluefin Analytics Private Limited CIN U72200KA2010PTC054321 ("Distributor")', "Bluefin Analytics Private Limited"),
])
def test_a_company_registry_number_after_the_name_is_not_part_of_it(second, name):
    f = run(['DISTRIBUTION AGREEMENT', f'This Agreement is made on 1 July 2021 between Northwind Traders Pty Ltd '
             f'ACN 123 456 789 ("Supplier") and {second}.',
             'This Agreement shall continue for a period of two (2) years from the Commencement Date.'])
    assert f["counterparty"]["normalized"] == name


def test_a_dotted_date_in_the_opening_is_read_day_first():
    f = run(['SERVICE AGREEMENT', 'This Agreement is made and entered into on 01.04.2020 at New Delhi between ABC '
             'Technologies Private Limited (hereinafter referred to as the "Company") and XYZ Consulting LLP '
             '(hereinafter referred to as the "Consultant").', 'This Agreement shall be valid for a period of one year.'])
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2020-04-01", "review")


@pytest.mark.parametrize("text, months", [
    ("The term of this Agreement shall commence on the Effective Date and shall continue for a period of five (5) "
     "years thereafter.", ["60"]),
    ("This Agreement shall expire on the date that is three (3) years after the Effective Date.", ["36"]),
])
def test_a_term_counted_from_the_start_just_named_is_the_agreements(text, months):
    assert sorted({v for v, _ in terms_of(text)}) == months


def test_thereafter_after_termination_stays_another_period():
    assert terms_of("During the Term and for a period of one (1) year thereafter, neither party shall solicit.") == []


@pytest.mark.parametrize("sentence, amount, currency", [
    ("Company agrees to pay Consultant a total of $50,000.00 for the Services.", "50000.00", "USD"),
    ("The total value of this Agreement is $250,000.00.", "250000.00", "USD"),
    ("Company shall pay Consultant USD 1,000,000 (One Million US Dollars) for the Services.", "1000000.00", "USD"),
    ("The Company shall pay a total fee of AUD 120,000.00.", "120000.00", "AUD"),
    ("The Company shall pay a total consideration of INR 24,00,000 (Rupees Twenty Four Lakhs only).", "2400000.00", "INR"),
])
def test_more_ways_to_state_the_contract_value_and_its_currency(sentence, amount, currency):
    f = run(OPENING + [sentence] + SIGNED)
    assert (f["total_amount"]["normalized"], f["currency"]["normalized"]) == (amount, currency)
    assert f["total_amount"]["status"] == "accept"


def test_an_agreement_made_on_a_day_in_british_style_is_dated_that_day():
    f = run(['THIS AGREEMENT is made on the 3rd of February 2020', 'BETWEEN'] + PARTIES_UK)
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == ("2020-02-03", "accept")


@pytest.mark.parametrize("label, months", [("Term: 1 January 2021 to 31 December 2021", "12"), ("Duration: 2 years", "24")])
def test_a_cover_sheets_term_as_a_date_range_or_a_duration(label, months):
    f = run(['SERVICE ORDER', 'Customer: Bluefin Analytics, Inc.', label, 'Total Fees: $12,000.00',
             'This Service Order is governed by the Master Services Agreement.'])
    assert (f["term_months"]["normalized"], f["term_months"]["status"]) == (months, "accept")


def test_a_second_party_after_a_capital_and_following_the_first_partys_defined_term():
    f = run(['CONSULTING AGREEMENT', 'THIS CONSULTING AGREEMENT is made as of March 1, 2021 BY AND BETWEEN NORTHWIND '
             'TRADERS, LLC ("Company") AND BLUEFIN ANALYTICS, INC. ("Consultant").',
             'This Agreement shall remain in effect for two (2) years.'] + SIGNED)
    assert (f["counterparty"]["normalized"], f["counterparty"]["status"]) == ("BLUEFIN ANALYTICS, INC.", "accept")


def test_two_different_totals_send_the_fee_to_review():
    f = run(OPENING + ['The total fees payable under this Agreement are $100,000.00.', 'Schedule A', 'Total Fees: $120,000.00']
            + SIGNED)
    assert (f["total_amount"]["status"], f["currency"]["status"]) == ("review", "review")
    assert "100000.00" in f["total_amount"]["reason"]


def test_the_same_total_stated_twice_stays_accepted():
    f = run(OPENING + ['The total fees payable under this Agreement are $100,000.00.', 'Schedule A', 'Total Fees: $100,000.00']
            + SIGNED)
    assert (f["total_amount"]["normalized"], f["total_amount"]["status"]) == ("100000.00", "accept")


@pytest.mark.parametrize("lines", [
    ['By: /s/ Dr. Robert Chen', 'Name: Dr. Robert Chen', 'Title: President'],
    ['By: /s/ Robert Chen', 'Name and Title: Robert Chen, President'],
])
def test_a_courtesy_title_or_a_name_and_title_label_does_not_hide_the_signer(lines):
    f = run(OPENING + WITNESS + ['NORTHWIND TRADERS, LLC', 'By: /s/ Alice Morgan', 'Name: Alice Morgan', 'Title: CEO',
                                 'BLUEFIN ANALYTICS, INC.'] + lines)
    assert (f["signer_name"]["normalized"], f["signer_name"]["status"]) == ("Robert Chen", "accept")


@pytest.mark.parametrize("opening, date", [
    ('This Agreement shall commence on 1 March 2021 (the "Commencement Date") and is made by and between Northwind '
     'Traders, LLC ("Company") and Bluefin Analytics, Inc. ("Consultant").', "2021-03-01"),
    ('This Agreement is entered into as of the 15th of June, 2020 by and between Northwind Traders, LLC ("Company") '
     'and Bluefin Analytics, Inc. ("Consultant").', "2020-06-15"),
])
def test_a_commencement_date_defined_in_the_opening_and_as_of_the_nth_of_month_date_the_agreement(opening, date):
    f = run(['CONSULTING AGREEMENT', opening, 'This Agreement shall remain in force for one (1) year.'] + SIGNED)
    assert (f["effective_date"]["normalized"], f["effective_date"]["status"]) == (date, "accept")


@pytest.mark.parametrize("text, months", [
    ("This Agreement shall remain in force for two (2) years, after which it shall continue until terminated.", ["24"]),
    ("This Agreement shall be for a period of three (3) years and thereafter this Agreement shall automatically renew "
     "for successive one-year periods.", ["36"]),
    ("The confidentiality obligations survive for five (5) years, after which they shall lapse.", []),
])
def test_the_period_before_the_agreement_continues_or_renews_is_its_term(text, months):
    assert sorted({v for v, _ in terms_of(text)}) == months


@pytest.mark.parametrize("text, months", [
    ("The Agreement shall have an initial term of 36-months.", ["36"]),
    ("The Term shall be one (1) calendar year.", ["12"]),
])
def test_a_hyphenated_or_calendar_term_is_read(text, months):
    assert sorted({v for v, _ in terms_of(text)}) == months


@pytest.mark.parametrize("sentence, amount", [
    ("The Company shall pay Consultant $5,000.00 per month, for a total of $60,000.00 over the Term.", "60000.00"),
    ("The Company shall pay Consultant $5,000.00 per month, up to a total of $60,000.00.", None),  # a cap stays one
])
def test_a_total_after_a_rate_in_the_same_sentence_is_the_contract_value(sentence, amount):
    f = run(OPENING + [sentence] + SIGNED)
    assert f["total_amount"]["normalized"] == amount


def test_an_opening_among_three_parties_never_accepts_one_as_the_counterparty():
    f = run(['PURCHASE AGREEMENT', 'This Agreement is entered into as of March 1, 2021 by and among Northwind Traders, LLC '
             '("Buyer"), Bluefin Analytics, Inc. ("Seller") and Harbor Holdings Corp. ("Guarantor").',
             'This Agreement shall remain in force for two (2) years.'] + SIGNED
            + ['HARBOR HOLDINGS CORP.', 'By: /s/ Dana White', 'Name: Dana White'])
    assert f["counterparty"]["status"] == "review"
    assert "3 parties" in f["counterparty"]["reason"]


def test_a_term_defined_after_the_opening_clause_is_no_third_party():
    f = run(OPENING + ['The Company shall pay Consultant the sum of USD 75,000 (the "Fee").'] + SIGNED)
    assert (f["counterparty"]["normalized"], f["counterparty"]["status"]) == ("Bluefin Analytics, Inc.", "accept")

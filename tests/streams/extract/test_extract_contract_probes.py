"""Contract conventions probed in session 10 (synthetic wording of US, UK, Australian and Indian
agreements): each test is one convention that failed before its rule."""

from __future__ import annotations

from test_extract_contract_checks import run

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

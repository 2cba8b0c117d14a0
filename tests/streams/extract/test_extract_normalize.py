"""Normalisers: every date and money form contracts use, ambiguity, and properties."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.extract.normalize import (
    normalize_amount, normalize_currency, normalize_date, normalize_email, normalize_name, normalize_term,
    words_to_number,
)

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


@pytest.mark.parametrize("text", [
    "March 3, 2026", "3 March 2026", "03/03/2026", "the 3rd day of March, 2026", "Mar. 3, 2026",
    "2026-03-03", "Mar 3 2026", "March 3rd, 2026", "3rd of March 2026", "3 Mar 2026",
    "Effective as of March 3, 2026.", "03.03.2026", "3-3-2026",
])
def test_every_written_form_of_march_third_becomes_iso(text):
    assert normalize_date(text).normalized == "2026-03-03"


@pytest.mark.parametrize("text, iso", [
    ("23/03/2026", "2026-03-23"),  # day first: 23 cannot be a month
    ("03/23/2026", "2026-03-23"),  # month first: 23 cannot be a month
    ("the 21st day of September, 2026", "2026-09-21"),
    ("Sept. 30, 2026", "2026-09-30"),
    ("1st of May 2026", "2026-05-01"),
    ("12-Mar-24", "2024-03-12"), ("12/Mar/2024", "2024-03-12"), ("5-Mar-99", "1999-03-05"),  # the month by name
    ("Tuesday, March 12, 2024", "2024-03-12"),
])
def test_unambiguous_dates_are_read_whichever_order_they_use(text, iso):
    parsed = normalize_date(text)
    assert parsed.normalized == iso and not parsed.ambiguous


def test_an_ambiguous_numeric_date_is_never_guessed():
    parsed = normalize_date("03/04/2026")
    assert parsed.normalized is None
    assert parsed.ambiguous
    assert "2026-03-04" in parsed.reason and "2026-04-03" in parsed.reason


def test_a_locale_setting_resolves_an_ambiguous_numeric_date():
    assert normalize_date("03/04/2026", locale="US").normalized == "2026-03-04"
    assert normalize_date("03/04/2026", locale="EU").normalized == "2026-04-03"


def test_impossible_calendar_dates_are_refused():
    assert normalize_date("2026-02-30").normalized is None
    assert normalize_date("February 30, 2026").normalized is None
    assert normalize_date("31/31/2026").normalized is None


@pytest.mark.parametrize("text, amount, currency", [
    ("$48,250.00", "48250.00", "USD"),
    ("USD 48,250.00", "48250.00", "USD"),
    ("US$ 48,250.00", "48250.00", "USD"),
    ("€48.250,00", "48250.00", "EUR"),
    ("EUR 48.250,00", "48250.00", "EUR"),
    ("48.250,00 EUR", "48250.00", "EUR"),
    ("48 250,00 €", "48250.00", "EUR"),
    ("48\u00a0250,00 €", "48250.00", "EUR"),
    ("£1,234.50", "1234.50", "GBP"),
    ("GBP 1,234.50", "1234.50", "GBP"),
    ("1.234.567,89 €", "1234567.89", "EUR"),
    ("$ 1 234.56", "1234.56", "USD"),
    ("Total Due: 3,400.00 USD", "3400.00", "USD"),
    ("EUR 950", "950.00", "EUR"),
])
def test_amounts_in_us_and_european_styles_become_two_place_decimals_with_iso_codes(text, amount, currency):
    parsed = normalize_amount(text)
    assert (parsed.normalized, parsed.currency) == (amount, currency)


def test_a_comma_and_three_digits_is_read_as_thousands_but_not_fully_trusted():
    parsed = normalize_amount("48,250")
    assert parsed.normalized == "48250.00"
    assert parsed.quality < 0.9  # below the default accept threshold on its own


def test_inconsistent_digit_grouping_is_not_a_number():
    assert normalize_amount("$4,82,50.00").normalized is None
    assert normalize_amount("1.234,567.89").normalized is None


def test_two_currencies_in_one_value_is_ambiguous():
    assert normalize_currency("$ 100 or € 90").ambiguous


@pytest.mark.parametrize("text, months", [
    ("twelve (12) months", "12"), ("24 months", "24"), ("2 years", "24"), ("one (1) year", "12"),
    ("thirty-six (36) months", "36"), ("for a term of eighteen months", "18"), ("3 years", "36"),
])
def test_terms_become_months(text, months):
    assert normalize_term(text).normalized == months


def test_a_term_whose_words_and_digits_disagree_is_not_guessed():
    parsed = normalize_term("twelve (13) months")
    assert parsed.normalized is None and parsed.ambiguous


def test_emails_are_lower_cased_and_validated():
    assert normalize_email("Email: Jane.Doe@Acme.COM").normalized == "jane.doe@acme.com"
    assert normalize_email("jane@localhost").normalized is None
    assert normalize_email("jane..doe@acme.com").normalized is None
    spaced = normalize_email("jane @ acme.com")
    assert spaced.normalized == "jane@acme.com" and spaced.quality < 1.0


def test_names_stay_as_written_but_trimmed():
    assert normalize_name("  Tom  O'Brien ,").normalized == "Tom O'Brien"
    assert normalize_name("Umbrella Logistics S.A.").normalized == "Umbrella Logistics S.A."
    assert normalize_name(" 123 ").normalized is None


def test_amounts_in_words():
    assert words_to_number("Forty-Eight Thousand Two Hundred Fifty") == 48250
    assert words_to_number("one million two hundred thousand and five") == 1_200_005
    assert words_to_number("forty-eight apples") is None


# ---- properties -------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))


def _ordinal(d: int) -> str:
    return f"{d}{'th' if 11 <= d <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(d % 10, 'th')}"


@given(dates, st.sampled_from(["long", "dmy", "ordinal", "abbrev", "iso", "numeric"]))
def test_any_date_written_in_any_form_reads_back_or_is_flagged_ambiguous(day, form):
    m = MONTHS[day.month - 1]
    text = {"long": f"{m} {day.day}, {day.year}", "dmy": f"{day.day} {m} {day.year}",
            "ordinal": f"the {_ordinal(day.day)} day of {m}, {day.year}",
            "abbrev": f"{m[:3]}. {day.day}, {day.year}", "iso": day.isoformat(),
            "numeric": f"{day.day:02d}/{day.month:02d}/{day.year}"}[form]
    parsed = normalize_date(text)
    if form == "numeric" and day.day <= 12 and day.day != day.month:
        assert parsed.ambiguous and parsed.normalized is None
    else:
        assert parsed.normalized == day.isoformat()
    assert normalize_date(text, locale="EU").normalized == day.isoformat()


@given(st.integers(min_value=0, max_value=10**11), st.sampled_from(["USD", "EUR", "GBP"]),
       st.sampled_from(["us", "eu", "eu_space", "plain"]), st.booleans())
def test_any_amount_written_in_either_style_reads_back_exactly(cents, currency, style, code_first):
    whole, frac = divmod(cents, 100)
    us = f"{whole:,}.{frac:02d}"
    number = {"us": us, "eu": us.replace(",", "X").replace(".", ",").replace("X", "."),
              "eu_space": f"{whole:,}".replace(",", " ") + f",{frac:02d}", "plain": f"{whole}.{frac:02d}"}[style]
    mark = {"USD": "$", "EUR": "€", "GBP": "£"}[currency] if code_first else currency
    text = f"{mark} {number}" if code_first else f"{number} {mark}"
    parsed = normalize_amount(text)
    assert parsed.normalized == f"{Decimal(cents) / 100:.2f}"
    assert parsed.currency == currency


@given(st.emails())
def test_valid_emails_normalise_to_their_lower_case_form(address):
    parsed = normalize_email(address)
    if parsed.normalized is not None:  # hypothesis writes RFC forms (quoted, IP literals) we refuse
        assert parsed.normalized == address.lower()
        assert parsed.normalized == normalize_email(parsed.normalized).normalized


@settings(max_examples=300)
@given(st.text())
def test_normalisers_never_crash_on_arbitrary_text(text):
    for fn in (normalize_date, normalize_amount, normalize_email, normalize_name, normalize_term,
               normalize_currency):
        parsed = fn(text)
        assert parsed.normalized is None or isinstance(parsed.normalized, str)
        assert 0.0 <= parsed.quality <= 1.0


def test_a_currency_code_touching_the_digits_is_still_found():
    parsed = normalize_amount("GBP214,064.50")
    assert (parsed.normalized, parsed.currency) == ("214064.50", "GBP")
    assert normalize_currency("EUROPE").normalized is None  # a code inside a longer word is not one


@pytest.mark.parametrize("text, iso", [
    ("25November 2026", "2026-11-25"), ("October8, 2026", "2026-10-08"), ("October 8,2026", "2026-10-08"),
    ("Mar.3, 2026", "2026-03-03"), ("the 2nd dayof September, 2026", "2026-09-02"),
])
def test_dates_whose_spaces_ocr_dropped_are_still_read(text, iso):
    assert normalize_date(text).normalized == iso


def test_month_names_inside_other_words_are_not_months():
    assert normalize_date("Summary 5, 2026").normalized is None
    assert normalize_date("Maybe 3 2026").normalized is None


@pytest.mark.parametrize("text, iso", [("01-Jan-2019", "2019-01-01"), ("2019/01/15", "2019-01-15"),
                                       ("2019.01.15", "2019-01-15"), ("Date: 15-Mar-2020 10:00", "2020-03-15")])
def test_year_first_and_hyphenated_month_name_dates_are_read_whatever_the_locale(text, iso):
    from streams.extract.normalize import normalize_date

    assert normalize_date(text).normalized == iso
    assert normalize_date(text, locale="US").normalized == iso


def test_indian_lakh_grouping_and_the_rupee_are_read():
    from streams.extract.normalize import normalize_amount

    p = normalize_amount("₹ 1,23,456.00")
    assert (p.normalized, p.currency) == ("123456.00", "INR")
    assert normalize_amount("Rs. 499.00").currency == "INR"
    assert normalize_amount("4,82,50").normalized is None  # not lakh grouping either


@pytest.mark.parametrize("text, code", [("A$ 12.00", "AUD"), ("C$5.00", "CAD"), ("US$ 3.00", "USD"), ("$3.00", "USD"),
                                        ("CAD 5.00", "CAD"), ("try 12.00", None), ("Hrs 12.00", None)])
def test_other_dollars_keep_their_country_and_words_are_not_codes(text, code):
    from streams.extract.normalize import normalize_amount

    assert normalize_amount(text).currency == code


@pytest.mark.parametrize("text, order", [
    ("Invoice date 11/02/2019\nDue date 26/02/2019", "DMY"),     # the due date can only be day-first
    ("Invoice date 02/11/2019\nDue date 02/26/2019", "MDY"),
    ("Invoice date 11/02/2019\nDue date 12/03/2019", None),      # nothing on the page decides
    ("Ordered 26/02/2019\nShipped 02/27/2019", None),            # both kinds: the page contradicts itself
    ("Rechnungsdatum 11.02.2019\nFällig 26.02.2019", None),      # dotted dates are day-first anyway
])
def test_the_pages_own_unambiguous_dates_decide_the_order_of_the_others(text, order):
    from streams.extract.normalize import normalize_date, page_date_order

    assert page_date_order(text) == order
    if order:
        got = normalize_date("11/02/2019" if order == "DMY" else "02/11/2019", locale=order)
        assert got.normalized == "2019-02-11" and "like the page's other dates" in got.reason


def test_the_pages_own_dates_decide_unless_its_language_and_country_say_otherwise():
    """"11/02/2019" beside "26/02/2019": day-first on a page with nothing else to go by; on a page with a US
    address (a public AWS invoice sample, measured: its dates were day-first) neither is sure, so the
    ambiguous date stays for review instead of being read month-first and accepted."""
    from streams.extract.multilingual import date_locale

    dates = "Invoice Date: 11/02/2019\nDue Date: 26/02/2019\n"
    assert date_locale(dates, None)[0] == "DMY"
    assert date_locale("Invoice Date: 02/11/2019\nDue Date: 02/26/2019\n", None)[0] == "MDY"
    us = "Thank you for your business\nAmazon Web Services, Inc.\n410 Terry Ave North\nSeattle, WA 98109-5210\n"
    assert date_locale(us + "Invoice Date: 11/02/2019", None)[0] == "US"
    assert date_locale(us + "Invoice Date: 02/11/2019\nDue Date: 02/26/2019", None)[0] == "MDY"  # they agree
    assert date_locale(us + dates, None)[0] is None  # they contradict: review
    assert date_locale(us + dates, "US")[0] == "US"  # the setting wins


def test_dotted_dates_with_a_space_after_each_dot_are_read_day_first_on_invoices():
    from streams.extract.normalize import normalize_date

    assert normalize_date("Datum vystavení 10. 02. 2015", dots_day_first=True).normalized == "2015-02-10"
    assert normalize_date("1. 2.2020", dots_day_first=True).normalized == "2020-02-01"
    assert normalize_date("Pos. 1. 20 Stück 2015").normalized is None  # a list number, not a date


def test_a_currency_code_inside_a_word_of_any_script_is_no_currency():
    from streams.extract.normalize import normalize_currency

    assert normalize_currency("Datum zdan. plnění 10. 02. 2015").normalized is None  # Czech "plnění", no PLN
    assert normalize_currency("1 210,00 Kč").normalized == "CZK"


@pytest.mark.parametrize("raw, want", [("5. ledna 2024", "2024-01-05"), ("17. července 2023", "2023-07-17"),
                                       ("5. maaliskuuta 2024", "2024-03-05"), ("5 marts 2024", "2024-03-05"),
                                       ("3 augusti 2024", "2024-08-03"), ("24. desember 2024", "2024-12-24")])
def test_czech_finnish_and_nordic_month_names(raw, want):
    assert normalize_date(raw).normalized == want


@pytest.mark.parametrize("text, code", [("1.234,56 lei", "RON"), ("1.234,56 LEI", "RON"), ("RON 10,00", "RON"),
                                        ("12 345,00 Kč", "CZK")])
def test_romanian_and_czech_currency_words_are_their_codes(text, code):
    assert normalize_currency(text).normalized == code

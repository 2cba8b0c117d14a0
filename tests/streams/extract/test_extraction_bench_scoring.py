"""The bench's scoring of absent fields, names and party fields (bench/extraction_eval.py)."""

from __future__ import annotations

from tests.streams.extract.test_extraction_bench import _bench


def test_a_field_the_document_lacks_is_right_when_not_found_and_names_compare_without_salutations():
    bench = _bench()
    assert bench._route(None, None, "due_date") == "absent & not found"
    assert bench._route(None, {"normalized": None, "status": "review"}, "due_date") == "absent & not found"
    # The truth may lack what the page prints: a value found there is not scored either way.
    assert bench._route(None, {"normalized": "2018-04-04", "status": "accept"}, "due_date") == "found, no truth"
    got = {"normalized": "Max Mustermann", "status": "accept"}
    assert bench._route("Herrn Max Mustermann", got, "customer") == "correct & accepted"
    assert bench._route("Herrn Max Mustermann", got, "invoice_number") == "wrong & accepted"
    assert bench._route("Moritz Mustermann", got, "customer") == "wrong & accepted"


def test_party_fields_are_scored_against_the_xml_outside_field_accuracy_and_skip_pages_that_differ():
    bench = _bench()
    st = bench._new_stats()
    label = {"more_fields": {"supplier": "Lieferant GmbH", "iban": "DE02120300000000202051"}, "printed_differs": []}
    got = {"supplier": {"normalized": "Lieferant GmbH", "status": "accept"},
           "iban": {"normalized": "DE02120300000000202051", "status": "review"},
           "supplier_vat_id": {"normalized": "DE136695976", "status": "accept"}}
    bench._score_parties(st, "a.pdf", label, got)
    assert st["parties"]["supplier"]["correct & accepted"] == 1
    assert st["parties"]["iban"]["correct & review"] == 1
    assert st["parties"]["supplier_vat_id"]["found, no truth"] == 1
    got["supplier"]["normalized"] = "Seller Inc."
    bench._score_parties(st, "a.pdf", label, got)
    assert st["parties"]["supplier"]["wrong & accepted"] == 1
    assert st["wrong_accepted"] == [("a.pdf", "supplier", "Lieferant GmbH", "Seller Inc.")]  # fails the gate
    bench._score_parties(st, "a.pdf", {**label, "printed_differs": ["customer"]}, got)  # another invoice's XML: not scored
    assert sum(st["parties"]["supplier"].values()) == 2


def test_an_iban_or_a_vat_id_compares_without_the_spaces_of_its_groups():
    bench = _bench()
    got = {"normalized": "CH4431999123000889012", "status": "accept"}
    assert bench._route("CH44 3199 9123 0008 8901 2", got, "iban") == "correct & accepted"
    assert bench._route("CH44 3199 9123 0008 8901 3", got, "iban") == "wrong & accepted"
    vat = {"normalized": "FR62401112024", "status": "accept"}
    assert bench._route("FR62 401 112 024", vat, "supplier_vat_id") == "correct & accepted"


def test_the_supplier_compares_as_a_company_letter_case_and_a_legal_form_on_one_side_only():
    bench = _bench()
    got = {"normalized": "CONTOSO LTD.", "status": "accept"}
    assert bench._route("Contoso Ltd.", got, "supplier") == "correct & accepted"
    # The FNFE samples' XML names the company without the legal form its page prints.
    assert bench._route("Au bon moulin", {"normalized": "Au bon moulin SARL", "status": "review"},
                        "supplier") == "correct & review"
    # Two different legal forms, another word, or a word cut off: another company.
    assert bench._route("Lieferant AG", {"normalized": "Lieferant GmbH", "status": "accept"}, "supplier") == "wrong & accepted"
    assert bench._route("Contoso", {"normalized": "Contoso Suites", "status": "accept"}, "supplier") == "wrong & accepted"
    assert bench._route("CONTOSO LTD.", {"normalized": "ontoso", "status": "review"}, "supplier") == "wrong & review/reject"
    # The customer still compares letter for letter.
    assert bench._route("Contoso Ltd.", got, "customer") == "wrong & accepted"


def test_an_address_compares_without_case_and_whitespace_and_an_unlabelled_one_is_not_scored(tmp_path):
    bench = _bench()
    got = {"normalized": "Detmolder Str. 4  33102 PADERBORN", "status": "accept"}
    assert bench._route("Detmolder Str. 4 33102 Paderborn", got, "merchant_address") == "correct & accepted"
    assert bench._route("Detmolder Str. 44 33102 Paderborn", got, "merchant_address") == "wrong & accepted"
    # other fields stay exact
    assert bench._route("detmolder str. 4 33102 paderborn", got, "invoice_number") == "wrong & accepted"
    # a receipt whose address was not labelled ("unlabelled") is not taken to have none
    import json
    from types import SimpleNamespace

    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "b.png").write_bytes(b"y")
    (tmp_path / "truth.json").write_text(json.dumps({
        "a.png": {"doc_type": "receipt", "fields": {"total_amount": "1.00", "merchant_address": "Pohlweg 110 33100 Paderborn"}},
        "b.png": {"doc_type": "receipt", "fields": {"total_amount": "2.00"}, "unlabelled": ["merchant_address"]}}))
    args = SimpleNamespace(dir=None, count=0, seed=0, corpus=[tmp_path], zugferd_src=None, render=0, render_dpi=150, scans=0)
    labels = {name: label for _, name, _, label in bench._documents(args)}
    assert labels["b.png"]["absent_fields"] == []


def test_details_for_the_dev_halves_never_print_a_test_documents_values():
    """`--details dev`: detail lines of dev halves and unsplit sets only; a test half's wrong accept is
    counted with its values withheld (reading them would be tuning on the held-out half)."""
    bench = _bench()
    assert [bench.shown(s, "dev") for s in ("invoices-3-test", "invoices-3-dev", "samples")] == [False, True, True]
    assert bench.shown("invoices-3-test", "all") and not bench.shown("invoices-3-dev", None)

"""The demo table's "read from" column: where a document's fields came from, most first."""

from app.demo_run import _sources


def test_sources_counts_fields_with_a_value_by_source_most_first():
    fields = [{"normalized": "1", "source": "e-invoice"}, {"normalized": "2", "source": "e-invoice"},
              {"normalized": "3", "source": "text"}, {"normalized": None, "source": "ocr"}]
    assert _sources({"fields": fields}) == "e-invoice 2, text 1"
    assert _sources({"fields": []}) == "-"
    assert _sources({}) == "-"
    typed = [{"normalized": "42625.00", "source": None}, {"normalized": "EUR", "source": "ocr"}]
    assert _sources({"fields": typed, "review": {"reviewer": "ana"}}) == "reviewer 1, ocr 1"

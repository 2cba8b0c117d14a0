"""Every topic's current schema stays compatible with its latest release, both ways."""

from __future__ import annotations

import copy

import pytest
from avro_strategies import records_for
from hypothesis import HealthCheck, given, settings, strategies as st

from schemas.compat import IncompatibleSchema, check_record, current, latest_release
from schemas.codec import HISTORY_DIR

RELEASED = sorted(p.name for p in HISTORY_DIR.iterdir() if p.is_dir())
_EXAMPLES = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_every_released_topic_still_has_a_current_schema() -> None:
    assert RELEASED, "schemas/history is empty"
    for topic in RELEASED:
        assert current(topic), topic


@pytest.mark.parametrize("topic", RELEASED)
def test_records_of_the_previous_release_read_with_the_current_schema(topic: str) -> None:
    previous, new = latest_release(topic), current(topic)

    @_EXAMPLES
    @given(records_for(previous))
    def backward(record: dict) -> None:
        check_record(topic, previous, new, record, written_with="previous")

    backward()


@pytest.mark.parametrize("topic", RELEASED)
def test_records_of_the_current_schema_read_with_the_previous_release(topic: str) -> None:
    previous, new = latest_release(topic), current(topic)

    @_EXAMPLES
    @given(records_for(new))
    def forward(record: dict) -> None:
        check_record(topic, previous, new, record, written_with="current")

    forward()


def _with_field(schema: dict, field: dict) -> dict:
    changed = copy.deepcopy(schema)
    changed["fields"].append(field)
    return changed


@_EXAMPLES
@given(st.data())
def test_adding_a_field_without_a_default_is_caught_with_a_clear_message(data) -> None:
    previous = latest_release("documents.status")
    broken = _with_field(previous, {"name": "reviewer", "type": "string"})
    record = data.draw(records_for(previous))
    with pytest.raises(IncompatibleSchema, match=r"documents.status: .*\(backward\).*No default value for field reviewer"):
        check_record("documents.status", previous, broken, record, written_with="previous")


@_EXAMPLES
@given(st.data())
def test_removing_a_field_without_a_default_is_caught_in_the_forward_direction(data) -> None:
    previous = latest_release("documents.status")
    broken = copy.deepcopy(previous)
    broken["fields"] = [f for f in broken["fields"] if f["name"] != "stage"]
    record = data.draw(records_for(broken))
    with pytest.raises(IncompatibleSchema, match=r"\(forward\).*stage"):
        check_record("documents.status", previous, broken, record, written_with="current")


def test_changing_a_field_type_is_caught() -> None:
    previous = latest_release("documents.status")
    broken = copy.deepcopy(previous)
    next(f for f in broken["fields"] if f["name"] == "status")["type"] = "long"
    record = {"event_id": "7d0c9a3e-0d7e-4f55-a6f3-5f1d1b0c2a11", "doc_id": "d", "occurred_at": 1,
              "producer": {"name": "p", "version": "1"}, "trace": "t", "stage": "ocr", "status": "done",
              "detail": None}
    with pytest.raises(IncompatibleSchema):
        check_record("documents.status", previous, broken, record, written_with="previous")


def test_adding_a_field_with_a_default_passes_both_ways() -> None:
    previous = latest_release("documents.status")
    evolved = _with_field(previous, {"name": "reviewer", "type": ["null", "string"], "default": None})
    record = {"event_id": "7d0c9a3e-0d7e-4f55-a6f3-5f1d1b0c2a11", "doc_id": "d", "occurred_at": 1,
              "producer": {"name": "p", "version": "1"}, "trace": "t", "stage": "ocr", "status": "done",
              "detail": None}
    assert check_record("documents.status", previous, evolved, record)["reviewer"] is None
    assert check_record("documents.status", previous, evolved, {**record, "reviewer": "ann"},
                        written_with="current") == record

"""Envelope lifecycle rules and the in-memory book."""

from __future__ import annotations

import itertools

import pytest

from connectors.esign.events import LIFECYCLE, ProviderEvent
from connectors.esign.state import TERMINAL, EnvelopeBook, advance, initial_state


@pytest.mark.parametrize("order", list(itertools.permutations(["sent", "delivered", "viewed", "signed", "completed"])))
def test_any_delivery_order_ends_completed(order):
    state = None
    for step in order:
        state = advance(state, step)
    assert state == "completed"


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
def test_terminal_states_stick_against_every_later_event(terminal):
    assert all(advance(terminal, step) == terminal for step in LIFECYCLE)


def test_book_finds_an_envelope_by_the_commands_idempotency_key_and_bounds_seen_ids():
    book = EnvelopeBook(max_seen=3)
    book.apply(initial_state(doc_id="d", provider="docusign", envelope_id="e", idempotency_key="k"))
    assert book.by_idempotency_key("k")["envelope_id"] == "e" and book.by_idempotency_key("x") is None
    state = book.get("e")
    for n in range(5):
        state = book.next_state(state, ProviderEvent("docusign", "e", "sent", "envelope-sent", f"id-{n}"), "d")
    assert state["seen_event_ids"] == ["id-2", "id-3", "id-4"] and state["status"] == "sent"
    assert book.get("e")["seen_event_ids"] == []  # next_state does not mutate the book
    book.apply(None, key="e")  # a tombstone
    assert book.get("e") is None


def test_two_instances_writes_merge_the_same_whichever_lands_last():
    created = initial_state(doc_id="d", provider="docusign", envelope_id="e", crm_object="Deal")
    book = EnvelopeBook()
    done = book.next_state(created, ProviderEvent("docusign", "e", "completed", "envelope-completed", "id-c"), "d")
    viewed = {**book.next_state(created, ProviderEvent("docusign", "e", "viewed", "recipient-viewed", "id-v"), "d"),
              "crm_object": None}
    for order in ([created, done, viewed], [created, viewed, done]):
        book = EnvelopeBook()
        for record in order:
            book.apply(record)
        state = book.get("e")
        assert state["status"] == "completed" and set(state["seen_event_ids"]) == {"id-c", "id-v"}
        assert state["crm_object"] == "Deal"
        # Both were computed from "created": whichever landed last lacks the other's id.
        assert book.behind("e")
        book.apply({**state, "event_id": "write-back"})
        assert not book.behind("e")

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

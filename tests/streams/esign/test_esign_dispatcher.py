"""``esign.dispatch``: request_signature commands become envelopes, exactly once per command."""

from __future__ import annotations

import base64
import uuid

import httpx
import pytest
from esign_flow_harness import signature_command

from connectors.esign.providers import build_provider
from connectors.esign.simulated import SimulatedProvider
from connectors.esign.state import EnvelopeBook
from streams.esign.dispatcher import make_dispatcher
from streams.runtime.testing import run_processor

pytestmark = pytest.mark.stack


def _dispatcher(settings, store, provider, book=None):
    return make_dispatcher(settings, providers=lambda name: provider, store=store, book=book or EnvelopeBook())


def test_signature_request_creates_one_envelope_with_the_original_pdf(settings, store, original, docusign):
    fake, client = docusign
    ref, data = original
    doc_id = f"doc-{uuid.uuid4().hex[:8]}"
    command = signature_command(doc_id, ref)
    run = run_processor(_dispatcher(settings, store, client), [("crm.commands", command), ("crm.commands", command)])
    assert run.dead == [] and len(fake.envelopes) == 1
    [(envelope_id, body)] = fake.envelopes.items()
    assert base64.b64decode(body["documents"][0]["documentBase64"]) == data
    [state] = run.on("esign.envelopes")
    assert run.emitted[0].key == envelope_id
    assert (state["doc_id"], state["envelope_id"], state["status"], state["provider"]) == (doc_id, envelope_id, "created", "docusign")
    assert (state["crm_target"], state["crm_object"], state["crm_external_id"]) == ("salesforce", "Opportunity", doc_id)
    assert state["idempotency_key"] == command["idempotency_key"] and state["trace"] == command["trace"]
    assert run.skipped == [f"envelope {envelope_id} already created for this command"]


def test_redelivered_command_after_a_restart_creates_no_second_envelope(settings, store, original, docusign):
    fake, client = docusign
    command = signature_command("doc-restart", original[0])
    first = run_processor(_dispatcher(settings, store, client), [("crm.commands", command)])
    book = EnvelopeBook()
    for state in first.on("esign.envelopes"):  # what a new process materialises from esign.envelopes
        book.apply(state)
    again = run_processor(_dispatcher(settings, store, client, book), [("crm.commands", command)])
    assert len(fake.envelopes) == 1 and again.on("esign.envelopes") == [] and len(again.skipped) == 1


def test_other_crm_commands_are_skipped(settings, store, original, docusign):
    fake, client = docusign
    command = {**signature_command("doc-other", original[0]), "operation": "upsert", "target": "salesforce"}
    run = run_processor(_dispatcher(settings, store, client), [("crm.commands", command)])
    assert run.skipped == ["not a signature request"] and fake.envelopes == {}


def test_provider_rate_limit_pauses_and_then_creates_the_envelope(settings, store, original, docusign):
    fake, client = docusign
    fake.fail_next = [429]
    run = run_processor(_dispatcher(settings, store, client), [("crm.commands", signature_command("doc-429", original[0]))])
    assert run.backpressure == [7.0] and len(fake.envelopes) == 1 and run.dead == []


def test_an_auth_method_the_provider_lacks_goes_to_the_dlq_with_the_reason(settings, store, original, docusign):
    fake, client = docusign
    run = run_processor(_dispatcher(settings, store, client),
                        [("crm.commands", signature_command("doc-idv", original[0], auth="idv"))])
    [dead] = run.dead
    assert dead["error_type"] == "EsignError" and "idv" in dead["error"] and fake.envelopes == {}


def test_without_credentials_the_dispatcher_uses_the_simulated_provider(settings, store, original):
    provider = build_provider(settings, "docusign", httpx.Client())
    assert isinstance(provider, SimulatedProvider)
    command = signature_command("doc-sim", original[0], target="docusign")
    run = run_processor(_dispatcher(settings, store, provider), [("crm.commands", command)])
    [state] = run.on("esign.envelopes")
    assert state["provider"] == "simulated" and state["envelope_id"].startswith("sim-")
    assert provider.created[0].pdf == original[1]


def test_a_crash_between_create_and_record_does_not_send_a_second_envelope(settings, store, original, docusign):
    """The envelope exists at DocuSign but its state never reached esign.envelopes."""
    fake, client = docusign
    command = signature_command("doc-crash", original[0])
    run_processor(_dispatcher(settings, store, client), [("crm.commands", command)])  # state lost with the process
    again = run_processor(_dispatcher(settings, store, client), [("crm.commands", command)])
    [state] = again.on("esign.envelopes")
    assert len(fake.envelopes) == 1 and state["envelope_id"] in fake.envelopes and fake.searches == 2

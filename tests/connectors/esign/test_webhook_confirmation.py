"""Final webhook events are confirmed with the provider's API before they change anything
(issue 12, finding 5): a replayed Dropbox Sign event_hash or an Acrobat Sign notification
that carries only the client id cannot complete a document the provider says is still out
for signature. The providers' APIs are the spec-built fakes in tests/fakes."""

from __future__ import annotations

import json

import httpx
import pytest
from esign_gateway_harness import KEYS, NOW, gateway_settings, make_gateway

from connectors.esign import EnvelopeRequest, Recipient
from connectors.esign.acrobat_sign import AcrobatSign
from connectors.esign.docusign import DocuSign
from connectors.esign.dropbox_sign import DropboxSign
from connectors.esign.simulate import build_request
from connectors.esign.state import EnvelopeBook, initial_state
from fakes.esign_acrobat_sign import FakeAcrobatSign
from fakes.esign_docusign import FakeDocuSign
from fakes.esign_dropbox_sign import FakeDropboxSign

PDF = b"%PDF-1.4\n% inkstream test\n"


@pytest.fixture
def live_settings(base_settings):
    """Real providers configured (not the simulation mode): confirmation is mandatory."""
    settings = gateway_settings(base_settings)
    return settings.model_copy(update={"esign": settings.esign.model_copy(update={"provider": "docusign"})})


class Vendors:
    """The three providers' fakes, API clients over them, and the envelope book the
    dispatcher would have filled."""

    def __init__(self) -> None:
        self.dropbox, self.acrobat, self.docusign = FakeDropboxSign(api_key=KEYS["dropbox_sign"]), FakeAcrobatSign(), FakeDocuSign()
        self.clients = {
            "dropbox_sign": DropboxSign(httpx.Client(transport=self.dropbox.transport()), api_key=KEYS["dropbox_sign"]),
            "acrobat_sign": AcrobatSign(httpx.Client(transport=self.acrobat.transport()),
                                        base_url="https://api.na1.adobesign.com", access_token=self.acrobat.token),
            "docusign": DocuSign(httpx.Client(transport=self.docusign.transport()), base_url="https://demo.docusign.net/restapi",
                                 account_id=self.docusign.account_id, access_token=self.docusign.token),
        }
        self.book = EnvelopeBook()

    def send(self, provider: str, doc_id: str) -> str:
        request = EnvelopeRequest(doc_id=doc_id, idempotency_key=f"key-{doc_id}", title="Please sign", pdf=PDF,
                                  recipients=(Recipient("Ada Lovelace", "ada@acme.example"),))
        created = self.clients[provider].create_envelope(request)
        self.book.apply(initial_state(doc_id=doc_id, provider=provider, envelope_id=created.envelope_id,
                                      idempotency_key=request.idempotency_key, status="sent"))
        return created.envelope_id

    def gateway(self, settings):
        return make_gateway(settings, book=self.book, providers=self.clients.get)


@pytest.fixture
def vendors() -> Vendors:
    return Vendors()


def _produced(gateway) -> list[tuple[str, str, str]]:
    return [(e["doc_id"], e["envelope_id"], e["event_type"]) for e in gateway.publisher.on("esign.events")]


def test_a_captured_dropbox_sign_event_hash_replayed_for_another_envelope_does_not_complete_it(live_settings, vendors):
    first, second = vendors.send("dropbox_sign", "doc-a"), vendors.send("dropbox_sign", "doc-b")
    vendors.dropbox.state[first] = "complete"
    gateway = vendors.gateway(live_settings)
    genuine = build_request("dropbox_sign", "completed", envelope_id=first, doc_id="doc-a", key=KEYS["dropbox_sign"], at=NOW)
    assert gateway.post(genuine).status_code == 200
    # The attacker swaps the envelope id (and doc id) in the captured body: event_hash still
    # verifies, since it covers only event_time + event_type.
    replay = genuine.__class__(genuine.method, genuine.path, genuine.headers,
                               genuine.content.replace(first.encode(), second.encode()).replace(b"doc-a", b"doc-b"))
    response = gateway.post(replay)
    assert response.status_code == 401 and response.json()["reason"] == "unconfirmed"
    assert _produced(gateway) == [("doc-a", first, "completed")]
    assert vendors.book.get(second)["status"] == "sent"  # the state did not move
    assert gateway.metric("inkstream_webhook_verification_failures_total", provider="dropbox_sign", reason="unconfirmed") == 1
    [audit] = gateway.publisher.on("webhooks.rejected")
    assert audit["reason"] == "unconfirmed"
    # When the provider really completes it, the (genuine) callback is accepted.
    vendors.dropbox.state[second] = "complete"
    later = build_request("dropbox_sign", "completed", envelope_id=second, doc_id="doc-b", key=KEYS["dropbox_sign"], at=NOW + 5)
    assert gateway.post(later).status_code == 200
    assert _produced(gateway)[-1] == ("doc-b", second, "completed")


def test_an_acrobat_sign_callback_with_only_the_client_id_does_not_complete_an_agreement_still_out_for_signature(
        live_settings, vendors):
    agreement = vendors.send("acrobat_sign", "doc-acro")
    gateway = vendors.gateway(live_settings)
    forged = build_request("acrobat_sign", "completed", envelope_id=agreement, doc_id="doc-acro",
                           key=KEYS["acrobat_sign"], at=NOW)
    response = gateway.post(forged)
    assert response.status_code == 401 and response.json()["reason"] == "unconfirmed"
    assert _produced(gateway) == [] and vendors.book.get(agreement)["status"] == "sent"
    # The provider's GET /agreements/{id} is what was asked.
    vendors.acrobat.status[agreement] = "SIGNED"
    genuine = build_request("acrobat_sign", "completed", envelope_id=agreement, doc_id="doc-acro",
                            key=KEYS["acrobat_sign"], at=NOW + 1)
    response = gateway.post(genuine)
    assert response.status_code == 200 and response.json()["status"] == "produced"
    assert _produced(gateway) == [("doc-acro", agreement, "completed")]
    assert vendors.book.get(agreement)["status"] == "completed"


def test_a_forged_declined_cannot_lock_an_envelope_the_provider_still_has_out(live_settings, vendors):
    agreement = vendors.send("acrobat_sign", "doc-dec")
    gateway = vendors.gateway(live_settings)
    forged = build_request("acrobat_sign", "declined", envelope_id=agreement, doc_id="doc-dec", key=KEYS["acrobat_sign"], at=NOW)
    assert gateway.post(forged).status_code == 401 and vendors.book.get(agreement)["status"] == "sent"
    vendors.acrobat.status[agreement] = "CANCELLED"  # v6 reports a rejection as CANCELLED
    assert gateway.post(build_request("acrobat_sign", "declined", envelope_id=agreement, doc_id="doc-dec",
                                      key=KEYS["acrobat_sign"], at=NOW + 1)).status_code == 200
    assert vendors.book.get(agreement)["status"] == "declined"


def test_an_unknown_envelope_takes_its_doc_id_from_the_provider_never_from_the_payload(live_settings, vendors):
    envelope = vendors.send("docusign", "doc-real")
    vendors.book = EnvelopeBook()  # the gateway has not seen the dispatcher's state yet
    vendors.docusign.status[envelope] = "completed"
    gateway = vendors.gateway(live_settings)
    hostile = build_request("docusign", "completed", envelope_id=envelope, doc_id="doc-victim", key=KEYS["docusign"], at=NOW)
    assert gateway.post(hostile).status_code == 200
    assert _produced(gateway) == [("doc-real", envelope, "completed")]
    # An envelope the provider does not know at all (404) is refused.
    ghost = build_request("docusign", "completed", envelope_id="0c0ffee0-0000-4000-8000-000000000000", doc_id="doc-victim",
                          key=KEYS["docusign"], at=NOW + 1)
    response = gateway.post(ghost)
    assert response.status_code == 401 and response.json()["reason"] == "unconfirmed"
    assert len(_produced(gateway)) == 1


def test_a_provider_that_cannot_be_reached_means_retry_not_drop(live_settings, vendors):
    request_id = vendors.send("dropbox_sign", "doc-retry")
    vendors.dropbox.state[request_id] = "complete"
    gateway = vendors.gateway(live_settings)
    callback = build_request("dropbox_sign", "completed", envelope_id=request_id, doc_id="doc-retry",
                             key=KEYS["dropbox_sign"], at=NOW)
    vendors.dropbox.fail_next = [503]
    response = gateway.post(callback)
    assert response.status_code == 503 and response.headers["retry-after"]
    assert _produced(gateway) == [] and vendors.book.get(request_id)["status"] == "sent"
    # The vendor redelivers the same callback: now it is confirmed and produced once.
    assert gateway.post(callback).status_code == 200
    assert _produced(gateway) == [("doc-retry", request_id, "completed")]


def test_without_api_credentials_final_events_are_not_trusted_outside_the_simulation(live_settings, vendors):
    agreement = vendors.send("acrobat_sign", "doc-nocreds")
    vendors.acrobat.status[agreement] = "SIGNED"
    gateway = make_gateway(live_settings, book=vendors.book, providers=lambda name: None)
    callback = build_request("acrobat_sign", "completed", envelope_id=agreement, doc_id="doc-nocreds",
                             key=KEYS["acrobat_sign"], at=NOW)
    assert gateway.post(callback).status_code == 503 and _produced(gateway) == []


@pytest.mark.parametrize("provider, state, event", [
    ("docusign", "voided", "voided"), ("docusign", "declined", "declined"),
    ("dropbox_sign", "cancelled", "voided"), ("dropbox_sign", "declined", "declined"),
    ("acrobat_sign", "EXPIRED", "expired"),
])
def test_every_final_event_is_confirmed_by_the_matching_provider_state(live_settings, vendors, provider, state, event):
    envelope = vendors.send(provider, f"doc-{provider}-{event}")
    gateway = vendors.gateway(live_settings)
    key = KEYS[provider]
    assert gateway.post(build_request(provider, event, envelope_id=envelope, doc_id=None, key=key, at=NOW)).status_code == 401
    {"docusign": vendors.docusign.status, "acrobat_sign": vendors.acrobat.status,
     "dropbox_sign": vendors.dropbox.state}[provider][envelope] = state
    assert gateway.post(build_request(provider, event, envelope_id=envelope, doc_id=None, key=key, at=NOW + 1)).status_code == 200
    assert _produced(gateway) == [(f"doc-{provider}-{event}", envelope, event)]


def test_non_final_events_need_no_confirmation(live_settings, vendors):
    agreement = vendors.send("acrobat_sign", "doc-viewed")
    gateway = vendors.gateway(live_settings)
    vendors.acrobat.fail_next = [503]  # a look-up would answer 503 (and the webhook with it)
    assert gateway.post(build_request("acrobat_sign", "viewed", envelope_id=agreement, doc_id=None,
                                      key=KEYS["acrobat_sign"], at=NOW)).status_code == 200
    assert _produced(gateway) == [("doc-viewed", agreement, "viewed")] and vendors.acrobat.fail_next == [503]


def test_a_webhook_envelope_id_never_becomes_another_url_path(live_settings, vendors):
    gateway = vendors.gateway(live_settings)
    body = build_request("acrobat_sign", "completed", envelope_id="../../users/me", doc_id="d", key=KEYS["acrobat_sign"], at=NOW)
    response = gateway.post(body)
    assert response.status_code == 401 and _produced(gateway) == []
    assert json.loads(response.content)["reason"] == "unconfirmed"


def test_the_gateway_confirms_with_a_provider_only_where_its_api_credentials_are_set(base_settings):
    from pydantic import SecretStr

    from connectors.esign.confirm import confirming_providers

    esign = base_settings.esign
    settings = base_settings.model_copy(update={"esign": esign.model_copy(update={
        "provider": "dropbox_sign",
        "dropbox_sign": esign.dropbox_sign.model_copy(update={"api_key": SecretStr(KEYS["dropbox_sign"])}),
        "acrobat_sign": esign.acrobat_sign.model_copy(update={"access_token": None}),
        "docusign": esign.docusign.model_copy(update={"account_id": None, "access_token": None}),
    })})
    providers = confirming_providers(settings, client=httpx.Client(transport=FakeDropboxSign(api_key=KEYS["dropbox_sign"]).transport()))
    assert isinstance(providers("dropbox-sign"), DropboxSign)
    assert providers("acrobat_sign") is None and providers("docusign") is None  # never the simulation
    simulation = settings.model_copy(update={"esign": settings.esign.model_copy(update={"provider": "simulated"})})
    from connectors.esign.simulated import SimulatedProvider

    assert not isinstance(confirming_providers(simulation)("dropbox_sign"), SimulatedProvider)

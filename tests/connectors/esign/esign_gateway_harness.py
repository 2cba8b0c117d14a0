"""Gateway test harness: settings with known webhook secrets, a fixed clock, and a
publisher that records what the gateway would commit (each record encoded with the real
Avro codec, so a record that does not match its schema fails the test)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient
from pydantic import SecretStr

from connectors.esign.gateway import create_app
from connectors.esign.state import EnvelopeBook
from inkstream.errors import ConnectorError
from session_codec import decode, encode

NOW = 1_764_000_000.0  # 2025-11-24T16:00:00Z
KEYS = {
    "docusign": "connect-key-2026",
    # The API key of Dropbox Sign's own callback fixtures (test_fixtures/EventCallbackHelper_*.json).
    "dropbox_sign": "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782",
    "acrobat_sign": "CBJCHBCAABAAinkstreamclient",
    # The secret of the Standard Webhooks reference libraries' test vector.
    "standard": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
}
PROVIDERS = tuple(KEYS)


class RecordingPublisher:
    def __init__(self) -> None:
        self.records: list[tuple[str, str | None, bytes]] = []
        self.fail = False

    def publish(self, records) -> None:
        if self.fail:
            raise ConnectorError("broker unavailable")
        self.records.extend((topic, key, encode(topic, value)) for topic, key, value in records)

    def on(self, topic: str) -> list[dict]:
        return [decode(raw) for t, _, raw in self.records if t == topic]

    def keys(self, topic: str) -> list[str | None]:
        return [k for t, k, _ in self.records if t == topic]


def gateway_settings(base):
    esign = base.esign
    return base.model_copy(update={"esign": esign.model_copy(update={
        "docusign": esign.docusign.model_copy(update={"webhook_keys": [SecretStr("connect-key-2025"), SecretStr(KEYS["docusign"])]}),
        "dropbox_sign": esign.dropbox_sign.model_copy(update={"api_key": SecretStr(KEYS["dropbox_sign"])}),
        "acrobat_sign": esign.acrobat_sign.model_copy(update={"client_ids": [KEYS["acrobat_sign"]]}),
        "standard": esign.standard.model_copy(update={"webhook_keys": [SecretStr(KEYS["standard"])]}),
    })})


@dataclass
class Gateway:
    client: TestClient
    publisher: RecordingPublisher
    book: EnvelopeBook
    settings: object

    def post(self, req):
        return self.client.request(req.method, req.path, headers=req.headers, content=req.content)

    def metric(self, name: str, **labels) -> float:
        value = self.client.app.state.registry.get_sample_value(name, labels)
        return value or 0.0

    def restarted(self) -> "Gateway":
        """A new gateway process: state materialised from what this one published."""
        book = EnvelopeBook()
        for value in self.publisher.on("esign.envelopes"):
            book.apply(value)
        return make_gateway(self.settings, publisher=self.publisher, book=book)


def make_gateway(settings, *, publisher=None, book=None, providers=None) -> Gateway:
    publisher = publisher or RecordingPublisher()
    book = book if book is not None else EnvelopeBook()
    app = create_app(settings, publisher=publisher, book=book, clock=lambda: NOW,
                     **({"providers": providers} if providers is not None else {}))
    return Gateway(TestClient(app), publisher, book, settings)

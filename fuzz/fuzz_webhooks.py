"""Harness: a webhook body through verification, parsing and the Avro record, per provider.

Input: first byte picks the provider and mode (``fuzz.seeds.WEBHOOK_MODES``; +4 = unsigned),
the rest is the body (unsigned: three header lines first). The contract, as the gateway
relies on it (``connectors/esign/gateway.py``):

- a correctly signed body always verifies; an unsigned one never does, and is refused
  only with ``WebhookVerificationError`` (→ 401);
- a body that is not a JSON object is only ``_Malformed``, a bad payload only
  ``EsignError`` (→ 400 + DLQ), a stale or future event only ``WebhookVerificationError``;
- a parsed event goes through the gateway's real ``Intake`` (ignored, dead-lettered or
  produced with the envelope's next state) and every record it publishes encodes with the
  topic's Avro schema, as ``KafkaPublisher`` does.

Anything else escaping is a crash (a 500, or a record lost at the publisher).
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

with atheris.instrument_imports(include=["connectors.esign", "schemas"]):
    from connectors.esign import events, verify
    from connectors.esign.gateway import _json, _Malformed
    from connectors.esign.intake import Intake
    from connectors.esign.metrics import GatewayMetrics
    from connectors.esign.state import EnvelopeBook
    from inkstream.errors import EsignError, WebhookVerificationError
    from inkstream.settings import EsignSettings
    from schemas.codec import Codec

from prometheus_client import CollectorRegistry  # noqa: E402

from fuzz.seeds import KEYS, NOW, WEBHOOK_MODES  # noqa: E402

METRICS = GatewayMetrics.create(CollectorRegistry())
# Unsigned mode verifies against keys that sign nothing in the corpus: a pass is a forgery.
SECRET = {"docusign": "never-in-the-corpus", "dropbox_sign": "never-in-the-corpus",
          "acrobat_sign": "never-in-the-corpus", "standard": "whsec_bmV2ZXItaW4tdGhlLWNvcnB1cy1zZWNyZXQ="}
# Avro only (no sealing with document keys, which needs a key store on disk): the question
# here is whether every record the gateway publishes fits its topic's schema.
CODEC = Codec()


class EncodingPublisher:
    """The Publisher contract minus Kafka: each record is Avro-encoded as
    ``KafkaPublisher.publish`` does (an encode error there is a 500 and a lost event)."""

    def publish(self, records) -> None:
        for topic, _key, value in records:
            CODEC.encode(topic, value)


MAX_AGE = EsignSettings().max_event_age_s  # the gateway's default replay windows
PARSE = {"docusign": events.parse_docusign, "dropbox_sign": events.parse_dropbox_sign,
         "acrobat_sign": events.parse_acrobat_sign, "standard": lambda p: events.parse_standard(p, "msg_fuzz")}


def _verify_signed(provider: str, body: bytes, payload: dict | None) -> None:
    """Sign exactly as the vendor would, then verify: this must pass."""
    if provider == "docusign":
        headers = {"x-docusign-signature-1": verify.docusign_signature(KEYS[provider].encode(), body)}
        verify.verify_docusign(body, headers, [KEYS[provider].encode()])
    elif provider == "standard":
        stamp = str(int(NOW))
        headers = {"webhook-id": "msg_fuzz", "webhook-timestamp": stamp,
                   "webhook-signature": verify.standard_signature(KEYS[provider], "msg_fuzz", stamp, body)}
        verify.verify_standard(body, headers, [KEYS[provider]], now=NOW)
    elif provider == "acrobat_sign":
        verify.verify_acrobat_client_id(KEYS[provider], [KEYS[provider]])
    else:  # Dropbox Sign signs event_time + event_type inside the payload
        event = payload.get("event") if payload is not None else None
        if isinstance(event, dict) and all(isinstance(event.get(k), str) and event.get(k)
                                           for k in ("event_time", "event_type")):
            event["event_hash"] = verify.dropbox_sign_event_hash(KEYS[provider].encode(), event["event_time"],
                                                                 event["event_type"])
            verify.verify_dropbox_sign(event, [KEYS[provider].encode()])
        else:
            try:
                verify.verify_dropbox_sign(event or {}, [KEYS[provider].encode()])
            except WebhookVerificationError:
                raise _Unsigned() from None
            raise AssertionError("a Dropbox Sign event without time/type verified")


class _Unsigned(Exception):
    pass


def _verify_unsigned(provider: str, rest: bytes) -> bytes:
    """Attacker-chosen headers and body: must be refused with WebhookVerificationError."""
    lines = rest.split(b"\n", 3)
    h = [line.decode("latin-1") for line in lines[:3]] + [""] * (3 - min(3, len(lines)))
    body = lines[3] if len(lines) > 3 else b""
    checks = {
        "docusign": lambda: verify.verify_docusign(body, {"x-docusign-signature-1": h[0], "x-docusign-signature-2": h[1]},
                                                   [SECRET["docusign"].encode()]),
        "standard": lambda: verify.verify_standard(body, {"webhook-id": h[0], "webhook-timestamp": h[1],
                                                          "webhook-signature": h[2]}, [SECRET["standard"]], now=NOW),
        "acrobat_sign": lambda: verify.verify_acrobat_client_id(h[0], [SECRET["acrobat_sign"]]),
        "dropbox_sign": lambda: verify.verify_dropbox_sign(_event_of(body), [SECRET["dropbox_sign"].encode()]),
    }
    try:
        checks[provider]()
    except WebhookVerificationError as exc:
        assert exc.reason and exc.provider == provider
        return body
    if provider == "acrobat_sign" and h[0] == SECRET["acrobat_sign"]:
        return body  # the client id is an identifier, not a secret: naming it is a pass
    raise AssertionError(f"an unsigned {provider} request verified: {h!r}")


def _event_of(body: bytes):
    try:
        payload = _json(body)
    except _Malformed:
        return {}
    return payload.get("event") or {}


def TestOneInput(data: bytes) -> None:
    if not data:
        return
    mode = data[0] % 8
    provider = WEBHOOK_MODES[mode % 4]
    if mode >= 4:
        _verify_unsigned(provider, data[1:])
        return
    body = data[1:]
    try:
        payload = _json(body)
    except _Malformed:
        payload = None
    try:
        _verify_signed(provider, body, payload)
    except _Unsigned:
        return
    if payload is None:
        return  # → 400 malformed
    try:
        event = PARSE[provider](payload)
    except WebhookVerificationError:
        raise  # a parser must not claim a verification failure
    except EsignError:
        return  # → 400 + DLQ
    try:
        verify.check_event_age(provider, event.provider_time, now=NOW, max_age_s=MAX_AGE.get(provider))
    except WebhookVerificationError as exc:
        assert exc.reason in ("stale_timestamp", "future_timestamp"), exc.reason
    intake = Intake(publisher=EncodingPublisher(), book=EnvelopeBook(), metrics=METRICS)
    assert intake.accept(event, body) in ("ignored", "unmatched", "produced")


def main() -> None:
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

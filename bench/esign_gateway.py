"""Webhook gateway throughput, side by side in one run: each provider's verification and
parsing with an in-memory publisher, then DocuSign with the real transactional Kafka
publisher (one transaction per event: esign.events + esign.envelopes), and that again as one
of N instances (catching up with esign.envelopes before and after each event).

    .venv/bin/python bench/esign_gateway.py --events 300     # needs `inkstream up`

Requests go one at a time over HTTP/1.1 keep-alive to uvicorn on 127.0.0.1. Prints
events/s and ratios against the in-memory DocuSign run.
"""

from __future__ import annotations

import argparse
import time
import uuid

from pydantic import SecretStr

from connectors.esign.gateway import create_app
from connectors.esign.simulate import build_request
from connectors.esign.state import EnvelopeBook
from inkstream.settings import load_settings

KEYS = {"docusign": "bench-connect-key", "dropbox_sign": "bench-api-key", "acrobat_sign": "bench-client-id",
        "standard": "whsec_YmVuY2gtc3RhbmRhcmQta2V5LWJ5dGVz"}


class Memory:
    def __init__(self, codec) -> None:
        self.codec = codec

    def publish(self, records) -> None:
        for topic, _, value in records:
            self.codec.encode(topic, value)  # same encoding cost as the Kafka path


def _settings():
    s = load_settings()
    e = s.esign
    return s.model_copy(update={"topics": s.topics.model_copy(update={"prefix": f"bench{uuid.uuid4().hex[:8]}."}),
                                "esign": e.model_copy(update={
        "docusign": e.docusign.model_copy(update={"webhook_keys": [SecretStr(KEYS["docusign"])]}),
        "dropbox_sign": e.dropbox_sign.model_copy(update={"api_key": SecretStr(KEYS["dropbox_sign"])}),
        "acrobat_sign": e.acrobat_sign.model_copy(update={"client_ids": [KEYS["acrobat_sign"]]}),
        "standard": e.standard.model_copy(update={"webhook_keys": [SecretStr(KEYS["standard"])]})})})


def _serve(app):
    """The app under uvicorn on a free 127.0.0.1 port, in a thread (as in production)."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def _run(settings, provider: str, publisher, n: int, *, codec, shared: bool = False) -> float:
    """``shared``: as one of N instances, catching up with esign.envelopes around each event."""
    import httpx

    book, refresh, reader = EnvelopeBook(), None, None
    if shared:
        from connectors.esign.state import KafkaEnvelopeReader

        reader = KafkaEnvelopeReader(settings, book, codec=codec)
        reader.catch_up()
        refresh = lambda: reader.catch_up(timeout_s=5)  # noqa: E731 - as gateway.serve() wires it
    server, thread, url = _serve(create_app(settings, publisher=publisher, book=book, refresh=refresh))
    now = time.time()
    requests = [build_request(provider, "sent", envelope_id=f"env-{i}", doc_id=f"doc-{i}", key=KEYS[provider], at=now)
                for i in range(n)]
    try:
        with httpx.Client(base_url=url) as client:
            start = time.perf_counter()
            for req in requests:
                response = client.request(req.method, req.path, headers=req.headers, content=req.content)
                assert response.status_code == 200, response.text
            return n / (time.perf_counter() - start)
    finally:
        server.should_exit = True
        thread.join(10)
        if reader is not None:
            reader.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--no-kafka", action="store_true")
    args = parser.parse_args()
    settings = _settings()
    from schemas.codec import Codec

    codec = Codec.from_settings(settings)  # one per process, as the gateway builds it
    rates = {f"{p} (memory)": _run(settings, p, Memory(codec), args.events, codec=codec) for p in KEYS}
    if not args.no_kafka:
        from connectors.esign.publisher import KafkaPublisher
        from ops.stack.topics import ensure_topics

        ensure_topics(settings)
        publisher = KafkaPublisher(settings, codec=codec)
        rates["docusign (Kafka, transactional)"] = _run(settings, "docusign", publisher, args.events, codec=codec)
        rates["docusign (Kafka, N-instance catch-up)"] = _run(settings, "docusign", publisher, args.events,
                                                              codec=codec, shared=True)
        publisher.close()
    base = rates["docusign (memory)"]
    print(f"{'run':40} {'events/s':>10} {'vs docusign memory':>20}")
    for name, rate in rates.items():
        print(f"{name:40} {rate:10.0f} {rate / base:19.2f}x")


if __name__ == "__main__":
    main()

"""CLI: ``inkstream simulate esign``. The gateway itself runs as ``inkstream run webhooks``
(streams/services.py)."""

from __future__ import annotations

import typer

__all__ = ["register", "run_simulation"]

_KEY_HELP = "Secret to sign with (default: the configured one for that provider)."


def run_simulation(settings, *, provider: str, doc_id: str, url: str, envelope_id: str | None,
                   events: list[str], key: str | None, signer, client=None,
                   start: float | None = None) -> list[tuple[str, int, str]]:
    """Send ``events`` for one envelope to a running gateway; returns (event, status, body) rows."""
    import time

    import httpx

    from connectors.esign import provider_name
    from connectors.esign.gateway import webhook_keys
    from connectors.esign.simulate import build_request

    provider = provider_name(provider)
    if key is None:
        key = webhook_keys(settings, provider)[0]  # what the provider's object verifies with
    envelope_id = envelope_id or _known_envelope(settings, doc_id) or f"sim-{doc_id}"
    rows = []
    with (client or httpx.Client(timeout=30)) as http:
        start = time.time() if start is None else start
        for i, step in enumerate(events):
            req = build_request(provider, step, envelope_id=envelope_id, doc_id=doc_id, key=key,
                                at=start + i, signer=signer)
            response = http.request(req.method, url.rstrip("/") + req.path, headers=req.headers, content=req.content)
            rows.append((step, response.status_code, response.text[:200]))
    return rows


def _known_envelope(settings, doc_id: str) -> str | None:
    """The newest envelope esign.envelopes knows for ``doc_id`` (None without Kafka)."""
    try:
        from connectors.esign.state import EnvelopeBook, KafkaEnvelopeReader
        from schemas.codec import Codec

        book = EnvelopeBook()
        reader = KafkaEnvelopeReader(settings, book, codec=Codec.from_settings(settings))
        try:
            reader.catch_up(timeout_s=10)
        finally:
            reader.close()
    except Exception:  # noqa: BLE001 - no broker: the simulation still works with a fresh envelope id
        return None
    matches = book.for_doc(doc_id)
    return max(matches, key=lambda s: s["occurred_at"])["envelope_id"] if matches else None


def register(app: typer.Typer) -> None:
    simulate = typer.Typer(no_args_is_help=True, help="Drive simulated external systems against inkstream.")
    app.add_typer(simulate, name="simulate")

    @simulate.command("esign")
    def esign(
        provider: str = typer.Option(..., "--provider", help="docusign | dropbox-sign | acrobat-sign | standard"),
        doc_id: str = typer.Option(..., "--doc-id"),
        url: str = typer.Option("http://127.0.0.1:8082", "--url", help="Base URL of the running webhook gateway."),
        envelope_id: str = typer.Option(None, "--envelope-id", help="Default: the doc's envelope in esign.envelopes."),
        events: str = typer.Option(None, "--events", help="Comma-separated steps; default: the provider's sequence."),
        signer_name: str = typer.Option("Ada Lovelace", "--signer-name"),
        signer_email: str = typer.Option("ada@example.com", "--signer-email"),
        auth_method: str = typer.Option("email", "--auth-method"),
        key: str = typer.Option(None, "--key", help=_KEY_HELP),
    ) -> None:
        """Send a provider's documented webhook sequence (sent, delivered, signed, completed), signed
        with the configured secret, to the gateway. A SIMULATION for demos and tests."""
        from rich.console import Console
        from rich.table import Table

        from connectors.esign import provider_name
        from connectors.esign.simulate import SEQUENCES, SimSigner
        from inkstream.settings import load_settings

        name = provider_name(provider)
        if name not in SEQUENCES:
            raise typer.BadParameter(f"unknown provider {provider!r}; known: {', '.join(SEQUENCES)}")
        steps = [s.strip() for s in events.split(",")] if events else list(SEQUENCES[name])
        rows = run_simulation(load_settings(), provider=name, doc_id=doc_id, url=url, envelope_id=envelope_id,
                              events=steps, key=key, signer=SimSigner(signer_name, signer_email, auth_method=auth_method))
        table = Table("event", "HTTP status", "reply", title=f"simulated {name} webhooks for {doc_id}")
        for step, status, body in rows:
            table.add_row(step, str(status), body)
        Console().print(table)
        if any(status >= 300 for _, status, _ in rows):
            raise typer.Exit(1)

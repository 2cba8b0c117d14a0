"""Stand-ins for the people and providers outside the pipeline, for the demo and the
failure drill: a reviewer who corrects uncertain fields from known labels and approves,
and an e-sign provider that sends its documented, signed webhook sequence."""

from __future__ import annotations

from inkstream.settings import Settings

__all__ = ["approve_with_labels", "sign_envelope"]


def approve_with_labels(publisher, record: dict, truth: dict[str, str], *, reviewer: str) -> list[str]:
    """Publish an approval of ``record`` whose non-accepted fields take the labelled
    value; returns the corrected field names."""
    from streams.review.decision import decide

    fixes = {f["name"]: truth[f["name"]] for f in record["fields"] if f["status"] != "accept" and f["name"] in truth}
    publisher.publish(decide(record, reviewer=reviewer, decision="approved", corrections=fixes,
                             comment=f"approved by {reviewer}"))
    return sorted(fixes)


def sign_envelope(settings: Settings, doc_id: str, envelope_id: str, *, port: int,
                  signer: tuple[str, str] = ("Dana Signer", "dana.signer@example.com")) -> list[tuple[str, int]]:
    """Send the simulated provider's webhook sequence (Standard Webhooks, signed with the
    configured secret) to the gateway on ``port``; returns the refused (step, status), empty
    when every delivery was accepted."""
    import httpx

    from app.commands.esign import run_simulation
    from connectors.esign.simulate import SEQUENCES, SimSigner
    from inkstream.tls import client_context

    # With http.tls_cert the gateway serves HTTPS only: verify it against http.tls_ca.
    tls = client_context(settings.http)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    try:
        rows = run_simulation(settings, provider="standard", doc_id=doc_id, url=url,
                              envelope_id=envelope_id, events=list(SEQUENCES["standard"]), key=None,
                              signer=SimSigner(*signer, auth_method="email"),
                              client=httpx.Client(timeout=30, verify=tls or True))
    except httpx.TransportError as exc:  # the gateway went away mid-sequence: a provider retries
        return [(f"transport: {type(exc).__name__}", 0)]
    return [(step, status) for step, status, _ in rows if status >= 300]

"""``inkstream simulate esign`` drives each provider's documented sequence against a gateway."""

from __future__ import annotations

import pytest
from esign_gateway_harness import PROVIDERS, make_gateway
from typer.testing import CliRunner

from app.commands.esign import run_simulation
from connectors.esign.simulate import SEQUENCES, SimSigner


@pytest.mark.parametrize("provider", PROVIDERS)
def test_simulation_drives_the_sequence_to_completed_with_signer_info(base_settings, provider):
    from esign_gateway_harness import NOW, gateway_settings

    settings = gateway_settings(base_settings)
    gateway = make_gateway(settings)
    rows = run_simulation(settings, provider=provider, doc_id="doc-sim", url="http://testserver", envelope_id="env-sim",
                          events=list(SEQUENCES[provider]), key=None,
                          signer=SimSigner("Grace Hopper", "grace@example.com", auth_method="sms"),
                          client=gateway.client, start=NOW - 60)
    assert [status for _, status, _ in rows] == [200] * len(SEQUENCES[provider])
    events = gateway.publisher.on("esign.events")
    assert [e["event_type"] for e in events] == list(SEQUENCES[provider])
    completed = events[-1]
    assert completed["doc_id"] == "doc-sim" and completed["signer"]["email"] == "grace@example.com"
    assert gateway.book.get("env-sim")["status"] == "completed"


def test_simulate_command_refuses_an_unknown_provider():
    import typer

    from app.commands.esign import register

    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["simulate", "esign", "--provider", "docusin", "--doc-id", "d"])
    assert result.exit_code != 0 and "unknown provider" in result.output

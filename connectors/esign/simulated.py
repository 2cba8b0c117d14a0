"""A local SIMULATION of an e-sign provider, for the demo and for runs with no credentials.

Nothing is sent to anyone and nothing is signed for real: ``create_envelope`` derives an
envelope id from the idempotency key, and ``download_signed`` renders a one-page PDF
(fpdf2) that says plainly that it is a simulation. Use ``inkstream simulate esign`` to
drive the webhooks a real provider would send.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from connectors.esign import CreatedEnvelope, EnvelopeRequest, ProviderStatus
from inkstream.errors import EsignError

__all__ = ["SimulatedProvider", "signed_pdf"]

_NAMESPACE = uuid.UUID("8f6b2f1e-4a8e-4b59-9d7e-5f3a2b1c0d9e")
# Fixed metadata date: the same envelope always renders the same bytes, so a redelivered
# completion stores the same content-addressed object instead of a second one.
_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)


def signed_pdf(envelope_id: str, *, provider: str = "simulated", signer: str = "Signer") -> bytes:
    """A small, deterministic 'signed' PDF for ``envelope_id`` (simulation and vendor fakes)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(_EPOCH)
    pdf.set_producer("inkstream simulated e-sign")
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    pdf.cell(0, 10, "SIMULATED SIGNATURE - not legally binding", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for line in (f"Provider: {provider}", f"Envelope: {envelope_id}", f"Signed by: {signer}"):
        pdf.cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


class SimulatedProvider:
    """SIMULATION: creates no real envelope. ``envelope_id`` = uuid5(idempotency key)."""

    name = "simulated"

    def __init__(self) -> None:
        self.created: list[EnvelopeRequest] = []

    def create_envelope(self, request: EnvelopeRequest) -> CreatedEnvelope:
        self.created.append(request)
        return CreatedEnvelope(self.name, f"sim-{uuid.uuid5(_NAMESPACE, request.idempotency_key)}", "sent")

    def download_signed(self, envelope_id: str) -> bytes:
        return signed_pdf(envelope_id)

    def envelope_status(self, envelope_id: str) -> ProviderStatus:
        # A simulation keeps no envelope anywhere: there is nothing to confirm against. The
        # gateway never asks it (connectors.esign.confirm decides what simulated envelopes get).
        raise EsignError("the SIMULATED provider has no envelope state to confirm an event with")

"""``inkstream demo``: the whole pipeline on the embedded defaults, with no credentials.

Brings the local stack up if it is down, starts every processor as a real process,
ingests the sample contracts and invoices in ``samples/`` (scanned and digital), plays
the reviewer for the document that lands in review (or leaves it to you with
``--review-by-hand``), drives the e-sign webhooks a provider would send, and prints what
happened to each document, then proves the audit chain.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

__all__ = ["register", "DEMO_MODES", "SAMPLES"]

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

DEMO_MODES = {"INKSTREAM_ENVIRONMENT": "development", "INKSTREAM_CRM__DRY_RUN": "true",
              "INKSTREAM_ESIGN__PROVIDER": "simulated",
              # the demo's webhook receiver listens on http://127.0.0.1 (app/demo_webhooks.py)
              "INKSTREAM_WEBHOOKS_OUT__ALLOW_HTTP": "true", "INKSTREAM_WEBHOOKS_OUT__ALLOW_PRIVATE": "true"}


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        samples: Path = typer.Option(SAMPLES, "--samples", help="Folder of PDFs (and labels.json)."),
        review_by_hand: bool = typer.Option(False, "--review-by-hand",
                                            help="Wait for you to decide in the review page instead."),
        keep_running: bool = typer.Option(False, "--keep-running", help="Leave the processors running."),
        timeout: float = typer.Option(900, "--timeout", help="Seconds to wait for every document."),
        webhook_receiver: str = typer.Option(None, "--webhook-receiver", metavar="URL",
                                             help="Send the outbound webhooks to your receiver instead of "
                                                  "the demo's own (the secret is printed)."),
    ) -> None:
        """Run the whole pipeline on the sample documents and show what happened."""
        from rich.console import Console

        from app.demo_run import DemoRun
        from inkstream.errors import InkstreamError
        from inkstream.settings import load_settings

        # The demo is explicitly local: development secrets, a CRM dry run, simulated e-sign;
        # set in the environment so every process it starts runs in the same modes.
        for var, value in DEMO_MODES.items():
            os.environ.setdefault(var, value)
        console = Console()
        if not console.is_terminal:  # logs and CI: wide enough for the report table
            console = Console(width=160)
        try:
            ok = DemoRun(load_settings(), console, samples=samples, review_by_hand=review_by_hand,
                         keep_running=keep_running, timeout=timeout, webhook_receiver=webhook_receiver).run()
        except InkstreamError as exc:
            console.print(f"[red]demo failed:[/red] {exc}")
            raise typer.Exit(1) from exc
        raise typer.Exit(0 if ok else 1)

"""``inkstream run <processor> [--workers N] [--metrics-port P]``."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        processor: str = typer.Argument(..., help="Registered processor name (streams/registry.py)."),
        workers: int = typer.Option(None, "--workers", "-w", min=1,
                                    help="Worker processes (consumer-group members); default 1, OCR: ocr.workers (0 = one per core)."),
        metrics_port: int = typer.Option(0, "--metrics-port", help="First /metrics+/healthz port (worker i: P+i); 0 = any free port."),
        port: int = typer.Option(None, "--port", help="Listening port of a service (webhooks, review)."),
        no_transactions: bool = typer.Option(False, "--no-transactions", hidden=True,
                                             help="At-least-once instead of exactly-once (tests and benchmarks only)."),
    ) -> None:
        """Run a processor until SIGTERM (graceful: the open batch is committed or aborted)."""
        import logging
        import os

        from inkstream.errors import ConfigError
        from inkstream.settings import load_settings
        from streams.registry import EXAMPLES, PROCESSORS, runnable
        from streams.runtime.workers import run_workers
        from streams.services import SERVICES, run_service

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        # httpx logs every request URL at INFO; CRM URLs can carry external ids (e-mails).
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if processor not in PROCESSORS and processor not in SERVICES and processor not in EXAMPLES:
            known = ", ".join(sorted([*PROCESSORS, *SERVICES]))
            raise typer.BadParameter(f"unknown processor {processor!r}; known: {known}; "
                                     f"examples (environment: development): {', '.join(sorted(EXAMPLES))}")
        from connectors.startable import require_startable

        try:
            settings = load_settings()
            if processor not in SERVICES and processor not in runnable(settings):
                raise ConfigError(f"{processor} is an example processor: it runs with environment: development only")
            require_startable(settings, processor)
        except ConfigError as exc:
            typer.echo(f"inkstream run: {exc}", err=True)
            raise typer.Exit(2) from exc
        if processor in SERVICES:
            raise typer.Exit(run_service(processor, settings, port=port, metrics_port=metrics_port or None))
        if workers is None:
            workers = (settings.ocr.workers or os.cpu_count() or 1) if processor.startswith("ocr") else 1
        code = run_workers(processor, settings, workers=workers, metrics_port=metrics_port,
                           exactly_once=False if no_transactions else None)
        raise typer.Exit(code)

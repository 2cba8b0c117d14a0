"""``inkstream up | down | status``. Light module: the stack code is imported inside
each command so ``inkstream --help`` stays fast."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

import typer

__all__ = ["register"]

_DATA_DIR = typer.Option(None, "--data-dir", help="Data directory (default ./.inkstream or $INKSTREAM_DATA_DIR).")


def _settings(data_dir: Optional[Path]):
    from inkstream.settings import load_settings

    return load_settings(data_dir=data_dir) if data_dir else load_settings()


def _fail(exc: Exception) -> None:
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(2)


def up(data_dir: Optional[Path] = _DATA_DIR) -> None:
    """Provision (once) and start Kafka, the S3 server and Prometheus; create bucket and topics."""
    from rich.console import Console

    from inkstream.errors import InkstreamError
    from ops.stack import stack

    console = Console()
    t = time.monotonic()
    try:
        settings = _settings(data_dir)
        timings = stack.up(settings, log=lambda m: console.print(f"  {m}", highlight=False))
    except InkstreamError as exc:
        _fail(exc)
    steps = ", ".join(f"{k} {v:.1f}s" for k, v in timings.items())
    console.print(f"[green]stack up[/] in {time.monotonic() - t:.1f}s ({steps}); data in {settings.data_dir}",
                  highlight=False)
    _print_status(stack.status(settings))


def down(data_dir: Optional[Path] = _DATA_DIR,
         timeout: float = typer.Option(30.0, help="Seconds to wait after SIGTERM before SIGKILL.")) -> None:
    """Stop what `up` started (by pid). Data stays in the data directory."""
    from inkstream.errors import InkstreamError
    from ops.stack import stack

    try:
        stopped = stack.down(_settings(data_dir), timeout=timeout)
    except InkstreamError as exc:
        _fail(exc)
    typer.echo(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


def status(data_dir: Optional[Path] = _DATA_DIR,
           as_json: bool = typer.Option(False, "--json", help="Print the components as JSON (for scripts).")) -> None:
    """Each component, its address, pid and health. Exits 1 if one is down (the audit
    sink's ClickHouse HTTP interface is shown but runs only with `inkstream run audit`)."""
    import json
    from dataclasses import asdict

    from inkstream.errors import InkstreamError
    from ops.stack import stack

    try:
        settings = _settings(data_dir)
        rows = stack.status(settings)
        extra = [stack.clickhouse_http(settings)]
    except InkstreamError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json.dumps({"healthy": all(r.healthy for r in rows), "data_dir": str(settings.data_dir),
                               "components": [{**asdict(r), "required": True} for r in rows]
                               + [{**asdict(r), "required": False} for r in extra]}, indent=2))
    else:
        _print_status(rows + extra)
    if not all(r.healthy for r in rows):
        raise typer.Exit(1)


def _print_status(rows) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="inkstream stack")
    for col in ("component", "address", "pid", "RSS MB", "health", "detail"):
        table.add_column(col)
    for r in rows:
        table.add_row(r.name, r.address, str(r.pid or "-"), f"{r.rss_mb:.0f}" if r.rss_mb else "-",
                      "[green]healthy[/]" if r.healthy else "[red]down[/]", r.detail)
    total = sum(r.rss_mb or 0 for r in rows)
    table.caption = f"resident memory of the stack processes: {total:.0f} MB"
    # Wide enough that addresses are not cut when the output is not a terminal (CI logs).
    Console(width=max(120, int(os.environ.get("COLUMNS", "0") or 0))).print(table)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)

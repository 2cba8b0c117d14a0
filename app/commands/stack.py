"""``inkstream up | down | status | prune-test-topics``. Light module: the stack code is imported inside
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
    rows = stack.status(settings)
    _print_status(rows)
    _print_warnings(_warnings(settings, rows))


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
    warnings = _warnings(settings, rows)
    if as_json:
        typer.echo(json.dumps({"healthy": all(r.healthy for r in rows), "data_dir": str(settings.data_dir),
                               "components": [{**asdict(r), "required": True} for r in rows]
                               + [{**asdict(r), "required": False} for r in extra],
                               "warnings": warnings}, indent=2))
    else:
        _print_status(rows + extra)
        _print_warnings(warnings)
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


def _warnings(settings, rows) -> list[str]:
    """What is healthy now but will not stay so (a broker filling up with test topics).
    Asked only of a broker that answered, so a down stack's status stays quick."""
    from ops.stack.stale_topics import partition_warning

    if not any(r.name == "kafka" and r.healthy for r in rows):
        return []
    return [w for w in (partition_warning(settings),) if w]


def _print_warnings(warnings: list[str]) -> None:
    from rich.console import Console

    console = Console(stderr=True, width=max(120, int(os.environ.get("COLUMNS", "0") or 0)))
    for line in warnings:
        console.print(f"[bold yellow]warning:[/] {line}", highlight=False)


def prune_test_topics(
        data_dir: Optional[Path] = _DATA_DIR,
        older_than: float = typer.Option(60.0, "--older-than", min=0,
                                         help="Minutes since a run made its topics (0: every idle run's, "
                                              "also on an external cluster where ages are unknown)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="List what would go; delete nothing.")) -> None:
    """Delete the topics (and consumer groups) test runs left on the broker: names
    `<word><hex>.<topic>` such as t0123456789.ocr.results. Never the platform's topics
    (inkstream.yaml's plan and their DLQs), nor a run that is still consuming or younger
    than --older-than: other people's test runs share the broker."""
    from inkstream.errors import InkstreamError
    from ops.stack.stale_topics import prune

    try:
        result = prune(_settings(data_dir), older_than_s=older_than * 60, dry_run=dry_run)
    except InkstreamError as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - the Kafka client's errors: say them, exit 2
        _fail(RuntimeError(f"cannot reach Kafka: {exc}. Is the stack up (`inkstream status`)?"))
    verb = "would delete" if dry_run else "deleted"
    runs = len({n.split(".", 1)[0] for n in result.deleted})
    typer.echo(f"{verb} {len(result.deleted)} test topics ({result.partitions} partitions) of {runs} runs, "
               f"{len(result.groups)} consumer groups")
    for label, prefixes in (("still consuming", result.active), (f"younger than {older_than:g} min", result.young),
                            ("age unknown (external cluster; --older-than 0 to include)", result.unknown_age)):
        if prefixes:
            typer.echo(f"kept {len(prefixes)} runs {label}: {' '.join(prefixes)}")


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.command("prune-test-topics")(prune_test_topics)

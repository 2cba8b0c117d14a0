"""``inkstream retention report|apply``: per document type retention in Kafka, ClickHouse
and S3 (``ops.retention``)."""

from __future__ import annotations

import typer

from app.cli import settings_or_exit

__all__ = ["register"]

_STORES = "kafka,clickhouse,s3"


def _stores(value: str) -> tuple[str, ...]:
    from ops.retention.runner import STORES

    names = tuple(s.strip() for s in value.split(",") if s.strip())
    bad = [s for s in names if s not in STORES]
    if bad or not names:
        typer.echo(f"inkstream: --stores takes a comma list of {', '.join(STORES)} (got {value!r})", err=True)
        raise typer.Exit(2)
    return names


def _print(items, title: str, as_json: bool) -> None:
    import json

    if as_json:
        typer.echo(json.dumps([i.to_dict() for i in items], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    colours = {"ok": "green", "unchanged": "green", "changed": "yellow", "would change": "yellow",
               "drift": "red", "missing": "red", "conflict": "red", "pending": "red"}
    table = Table("store", "target", "configured", "actual", "state", "note", title=title)
    for i in items:
        c = colours.get(i.state, "white")
        table.add_row(i.store, i.target, i.configured, i.actual, f"[{c}]{i.state}[/{c}]", i.note)
    Console(width=200).print(table)


def register(app: typer.Typer) -> None:
    retention = typer.Typer(help="How long documents, fields, OCR text and Kafka records are kept.",
                            no_args_is_help=True)

    @retention.command("report")
    def report_cmd(
        stores: str = typer.Option(_STORES, "--stores", help="Comma list of stores to look at."),
        check: bool = typer.Option(False, "--check", help="Exit 1 when any store differs from the policy."),
        as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
    ) -> None:
        """Policy configured vs what each server has (drift, conflicts, expired versions)."""
        from ops.retention.runner import report_all

        items = report_all(settings_or_exit(), _stores(stores))
        _print(items, "retention report", as_json)
        if check and any(i.drift for i in items):
            raise typer.Exit(1)

    @retention.command("apply")
    def apply_cmd(
        stores: str = typer.Option(_STORES, "--stores", help="Comma list of stores to apply to."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; change nothing."),
        as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
    ) -> None:
        """Set topic retention, ClickHouse TTLs and S3 expiry (lifecycle, or delete expired versions)."""
        from inkstream.errors import InkstreamError
        from ops.retention.runner import apply_all

        settings = settings_or_exit()
        names = _stores(stores)
        if not dry_run:
            from inkstream.admin_audit import os_actor, record_admin_action

            try:  # audited first: an apply that cannot be audited does not run
                record_admin_action(settings, actor=os_actor(), action="retention.apply", target=",".join(names),
                                    detail={"s3_mode": settings.retention.s3_mode})
            except InkstreamError as exc:
                typer.echo(f"inkstream: {exc}", err=True)
                raise typer.Exit(2) from exc
        items = apply_all(settings, names, dry_run=dry_run)
        _print(items, "retention apply" + (" (dry run)" if dry_run else ""), as_json)
        if any(i.state == "pending" for i in items):
            raise typer.Exit(1)

    app.add_typer(retention, name="retention")

"""``inkstream analyst add|remove|list``: read-only users of the ClickHouse HTTP interface;
with ``--writer``, the audit sinks' own users (the interface's write side, for sink
instances whose ``CLICKHOUSE_URL`` points here: ``ops/clickhouse/SERVER.md``).

add and remove are admin actions: recorded on ``admin.actions`` as the OS user before the
analysts' file changes, and refused (exit 1, nothing changed) if they cannot be recorded.
The secret is printed once, on stdout, and stored only as a scrypt hash.
"""

from __future__ import annotations

import typer

from app.cli import admin_action_errors, settings_or_exit

__all__ = ["register"]


_WRITER = typer.Option(False, "--writer", help="An audit writer (INSERT/CREATE in the audit database), not an analyst.")


def _context(writer: bool = False):
    from inkstream.admin_audit import os_actor, record_admin_action
    from streams.audit.analysts import Analysts, analysts_path, writers_path

    settings = settings_or_exit()

    def audit(action: str, target: str):
        return lambda: record_admin_action(settings, actor=os_actor(), action=action, target=target)

    return settings, Analysts((writers_path if writer else analysts_path)(settings)), audit


def register(app: typer.Typer) -> None:
    analyst = typer.Typer(help="Read-only users of the audit store's ClickHouse HTTP interface.",
                          no_args_is_help=True)

    @analyst.command("add")
    def add(name: str, writer: bool = _WRITER) -> None:
        """Create NAME (or give it a new secret); the secret is printed once. Audited."""
        settings, analysts, audit = _context(writer)
        role = "writer" if writer else "analyst"
        with admin_action_errors("analyst"):
            secret = analysts.add(name, before_save=audit(f"{role}.add", name))
        typer.echo(secret)
        typer.echo(f"{role} {name} saved; connect with user {name} to "
                   f"{settings.audit.query_host}:{settings.audit.query_port} (ClickHouse HTTP)", err=True)

    @analyst.command("remove")
    def remove(name: str, writer: bool = _WRITER) -> None:
        """Remove NAME; their next request is refused. Audited."""
        _, analysts, audit = _context(writer)
        role = "writer" if writer else "analyst"
        with admin_action_errors("analyst"):
            if not analysts.remove(name, before_save=audit(f"{role}.remove", name)):
                typer.echo(f"no {role} {name}", err=True)
                raise typer.Exit(1)
        typer.echo(f"{role} {name} removed")

    @analyst.command("list")
    def list_(writer: bool = _WRITER) -> None:
        """The analysts' (or writers') names, never their secrets."""
        _, analysts, _ = _context(writer)
        for name in analysts.names():
            typer.echo(name)

    app.add_typer(analyst, name="analyst")

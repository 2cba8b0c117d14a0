"""Capture commands: ``inkstream ingest PATH...`` and ``inkstream apikey create|revoke|list``
(create and revoke are audited on ``admin.actions`` as the OS user, or refused).
The listeners (``streams.services.CAPTURE``) start with ``inkstream run api|smtp|imap|folder|ftp``.
Heavy imports live inside the commands."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli import admin_action_errors

__all__ = ["register", "expand_paths"]


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given, folders walked recursively (hidden files and folders left out)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file()
                              and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        else:
            out.append(path)
    return out


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    keys = typer.Typer(help="API keys of the upload API (stored hashed).", no_args_is_help=True)
    keys.command("create")(apikey_create)
    keys.command("revoke")(apikey_revoke)
    keys.command("list")(apikey_list)
    app.add_typer(keys, name="apikey")
    # Listeners start with `inkstream run api|smtp|imap|folder|ftp` (streams.services.CAPTURE),
    # like the stream processors.


def ingest_command(
    paths: list[Path] = typer.Argument(..., help="Files or folders (walked recursively)."),
    priority: str = typer.Option("normal", help="Lane: high, normal or bulk."),
    source: str = typer.Option("cli", help="Source recorded on the documents."),
    crm_ref: str = typer.Option(None, help="CRM record to link every document to."),
    jobs: int = typer.Option(4, "--jobs", "-j", min=1, help="Files stored in parallel (S3 round trips overlap)."),
) -> None:
    """Ingest files like any other capture source; prints a summary table."""
    from connectors.capture.batch import ingest_paths, print_summary
    from inkstream.settings import load_settings

    settings = load_settings()
    files = expand_paths(paths)
    if not files:
        typer.echo("inkstream ingest: no files found", err=True)
        raise typer.Exit(2)
    summary = ingest_paths(files, settings, priority=priority, source=source, crm_ref=crm_ref,
                           jobs=jobs, progress=True)
    print_summary(summary)
    raise typer.Exit(summary.exit_code)


def apikey_create(source: str = typer.Argument(..., help="Who the key speaks for, e.g. crm-button."),
                  scope: list[str] = typer.Option(["ingest", "read"],
                                                  help="ingest, read and/or admin (key management).")) -> None:
    """Create a key; the secret is printed once and never stored."""
    from connectors.capture.apikey_admin import create_key
    from connectors.capture.apikeys_shared import open_key_store
    from inkstream.admin_audit import os_actor
    from inkstream.settings import load_settings

    settings = load_settings()
    with admin_action_errors("apikey"):
        entry, secret = create_key(settings, open_key_store(settings), actor=os_actor(),
                                   source=source, scopes=tuple(scope))
    typer.echo(f"id: {entry.id}\nsource: {entry.source}\nscopes: {','.join(entry.scopes)}\nkey: {secret}")
    typer.echo("Store the key now: only its hash is kept.", err=True)


def apikey_revoke(key_id: str = typer.Argument(..., help="The key's id (see `inkstream apikey list`).")) -> None:
    """Revoke a key; a running API refuses it from its next request."""
    from connectors.capture.apikey_admin import revoke_key
    from connectors.capture.apikeys_shared import open_key_store
    from inkstream.admin_audit import os_actor
    from inkstream.settings import load_settings

    settings = load_settings()
    with admin_action_errors("apikey"):
        revoked = revoke_key(settings, open_key_store(settings), actor=os_actor(), key_id=key_id)
    if not revoked:
        typer.echo(f"no live key {key_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def apikey_list() -> None:
    """Keys with their source, scopes, state and last use (never the secret)."""
    import datetime as dt

    from rich.console import Console
    from rich.table import Table

    from connectors.capture.apikeys_shared import open_key_store
    from inkstream.settings import load_settings

    def when(ts):
        return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M") if ts else "-"

    table = Table("id", "source", "scopes", "created", "last used", "state")
    for k in open_key_store(load_settings()).list():
        table.add_row(k.id, k.source, ",".join(k.scopes), when(k.created_at), when(k.last_used_at),
                      "revoked" if k.revoked_at else "live")
    Console().print(table)

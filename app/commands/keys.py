"""``inkstream keys list|rotate``: the key-encryption keys (KEKs) of the key ring.

``list`` shows ids, creation times and which KEK is current — never key material.
``rotate`` adds a KEK and makes it current: new objects and data keys are wrapped by it,
everything stored before still opens with the KEK id it recorded (nothing is re-written).
A rotation is an admin action recorded on ``admin.actions`` (``keys.rotate``, target the
new KEK id). The key only has an id once it exists, so it is made first and audited
second; if the audit record cannot be delivered the command says so and exits 1.
"""

from __future__ import annotations

import typer

from app.cli import settings_or_exit

__all__ = ["register"]


def _ring(settings):
    from inkstream.crypto import key_provider

    ring = key_provider(settings)
    if not (hasattr(ring, "keys") and hasattr(ring, "rotate")):  # a KMS rotates its keys itself
        typer.echo(f"inkstream: the key provider {type(ring).__name__} is managed outside inkstream", err=True)
        raise typer.Exit(2)
    return ring


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="Key-encryption keys of encryption at rest: list, rotate.", no_args_is_help=True)

    @keys.command("list")
    def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print the keys as JSON.")) -> None:
        """KEK ids, when each was made and which is current (never the key material)."""
        import json

        from inkstream.errors import InkstreamError

        settings = settings_or_exit()
        path = settings.crypto.keyring_path(settings.data_dir)
        if not path.exists():
            typer.echo(f"no key ring at {path} yet: it is created when something is first encrypted")
            return
        try:
            rows = _ring(settings).keys()
        except InkstreamError as exc:
            typer.echo(f"inkstream: {exc}", err=True)
            raise typer.Exit(2) from exc
        if as_json:
            typer.echo(json.dumps([{"kek_id": k, "created": c, "current": cur} for k, c, cur in rows], indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table("KEK id", "created", "current", title=f"key ring {path}")
        for kek_id, created, current in rows:
            table.add_row(kek_id, created, "yes" if current else "")
        Console().print(table)

    @keys.command("rotate")
    def rotate_cmd() -> None:
        """Make a new KEK current; old ones stay so everything stored before still opens."""
        from inkstream.admin_audit import os_actor, record_admin_action
        from inkstream.errors import InkstreamError

        settings = settings_or_exit()
        try:
            ring = _ring(settings)
            previous = ring.current
            new = ring.rotate()
        except InkstreamError as exc:
            typer.echo(f"inkstream: {exc}", err=True)
            raise typer.Exit(2) from exc
        try:
            record_admin_action(settings, actor=os_actor(), action="keys.rotate", target=new,
                                detail={"previous": previous})
        except InkstreamError as exc:
            # The new key is in use already; taking it back would strand what it wrapped.
            typer.echo(f"inkstream: rotated to {new}, but the rotation is NOT audited: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(f"rotated: {new} is current (previous {previous}); nothing stored was re-written")

    app.add_typer(keys, name="keys")

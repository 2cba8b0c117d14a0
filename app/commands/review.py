"""``inkstream reviewer add|token|remove|list``: manage who may review.

add, token and remove are admin actions: each is recorded on ``admin.actions`` as the OS
user before it is saved, and refused (exit 1, nothing changed) if it cannot be recorded.
"""

from __future__ import annotations

import typer

from app.cli import admin_action_errors

__all__ = ["register"]


def _context():
    from inkstream.admin_audit import os_actor, record_admin_action
    from inkstream.settings import load_settings
    from streams.review.shared import open_reviewers

    settings = load_settings()

    def audit(action: str, target: str, detail: dict | None = None):
        return lambda: record_admin_action(settings, actor=os_actor(), action=action, target=target, detail=detail)

    return open_reviewers(settings), audit


def register(app: typer.Typer) -> None:
    reviewer = typer.Typer(help="Manage reviewers of low-confidence documents.", no_args_is_help=True)

    @reviewer.command("add")
    def add(name: str, role: str = typer.Option("reviewer", help="reviewer or admin"),
            password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                         envvar="INKSTREAM_REVIEWER_PASSWORD")) -> None:
        """Create or reset a reviewer with a password (stored as a scrypt hash). Audited."""
        reviewers, audit = _context()
        with admin_action_errors("reviewer"):
            reviewers.add_user(name, password, role=role, before_save=audit("reviewer.add", name, {"role": role}))
        typer.echo(f"reviewer {name} ({role}) saved")

    @reviewer.command("token")
    def token(name: str, role: str = typer.Option("reviewer", help="reviewer or admin")) -> None:
        """Create a bearer token for a reverse proxy that authenticates NAME; printed once. Audited."""
        reviewers, audit = _context()
        with admin_action_errors("reviewer"):
            typer.echo(reviewers.add_token(name, role=role, before_save=audit("reviewer.token", name, {"role": role})))

    @reviewer.command("remove")
    def remove(name: str) -> None:
        """Remove NAME's password and tokens; their access ends at once. Audited."""
        reviewers, audit = _context()
        with admin_action_errors("reviewer"):
            if not reviewers.remove_user(name, before_save=audit("reviewer.remove", name)):
                typer.echo(f"no reviewer {name}", err=True)
                raise typer.Exit(1)
        typer.echo(f"reviewer {name} removed")

    @reviewer.command("list")
    def list_() -> None:
        """Reviewers with their role, whether they have a password, and their token count."""
        reviewers, _ = _context()
        for row in reviewers.list_users():
            typer.echo(f"{row['name']}\t{row['role']}\tpassword={'yes' if row['password'] else 'no'}"
                       f"\ttokens={row['tokens']}")

    app.add_typer(reviewer, name="reviewer")

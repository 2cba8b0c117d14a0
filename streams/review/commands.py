"""``inkstream reviewer add|token``: manage who may review."""

from __future__ import annotations

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    reviewer = typer.Typer(help="Manage reviewers of low-confidence documents.", no_args_is_help=True)

    @reviewer.command("add")
    def add(name: str, role: str = typer.Option("reviewer", help="reviewer or admin"),
            password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True,
                                         envvar="INKSTREAM_REVIEWER_PASSWORD")) -> None:
        """Create or reset a reviewer with a password (stored as a scrypt hash)."""
        from inkstream.settings import load_settings
        from streams.review.service import reviewers_path
        from streams.review.users import Reviewers

        Reviewers(reviewers_path(load_settings())).add_user(name, password, role=role)
        typer.echo(f"reviewer {name} ({role}) saved")

    @reviewer.command("token")
    def token(name: str, role: str = typer.Option("reviewer", help="reviewer or admin")) -> None:
        """Create a bearer token for a reverse proxy that authenticates NAME; printed once."""
        from inkstream.settings import load_settings
        from streams.review.service import reviewers_path
        from streams.review.users import Reviewers

        typer.echo(Reviewers(reviewers_path(load_settings())).add_token(name, role=role))

    app.add_typer(reviewer, name="reviewer")

"""CLI: ``inkstream mapping check FILE`` and ``inkstream crm setup --crm NAME``.

Light at import time; the connectors are imported inside the commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    mapping_app = typer.Typer(help="Field mappings (canonical fields -> CRM objects).", no_args_is_help=True)
    crm_app = typer.Typer(help="CRM connectors.", no_args_is_help=True)

    @mapping_app.command("check")
    def check(file: Path = typer.Argument(..., help="Mapping YAML, e.g. mappings/salesforce.yaml")) -> None:
        """Validate a mapping file; print every problem as file:line: path: message."""
        from rich.console import Console

        from connectors.crm.mapping import check_file, load_mapping

        console = Console(stderr=True, highlight=False)
        problems = check_file(file)
        if problems:
            for line in problems:
                typer.echo(line, err=True)
            console.print(f"{len(problems)} problem(s) in {file}", style="red")
            raise typer.Exit(1)
        mapping = load_mapping(file)
        typer.echo(f"{file}: ok ({mapping.crm}, version {mapping.version}, "
                   f"objects: {', '.join(s.object for s in mapping.objects.values())})")

    @crm_app.command("setup")
    def setup(crm: str = typer.Option(..., "--crm", help="a registered CRM (connectors/crm/registry.py), e.g. salesforce")) -> None:
        """Create the custom fields/properties inkstream writes; safe to run twice."""
        import httpx
        from rich.console import Console
        from rich.table import Table

        from connectors.crm.factory import build_connector
        from connectors.crm.setup import run_setup
        from inkstream.errors import InkstreamError
        from inkstream.settings import load_settings

        settings = load_settings()
        console = Console()
        try:
            with httpx.Client(timeout=settings.crm.timeout_s) as client:
                connector = build_connector(settings, crm, client=client, dry_run=False)
                results = run_setup(connector)
        except InkstreamError as exc:
            console.print(f"crm setup failed: {exc}", style="red", markup=False)
            raise typer.Exit(1) from None
        table = Table("object", "field", "result")
        for r in results:
            table.add_row(r.object, r.field, r.result)
        console.print(table)

    @crm_app.command("consent-url")
    def consent(crm: str = typer.Option(..., "--crm", help="a registered CRM (connectors/crm/registry.py), e.g. salesforce"),
                redirect_uri: str = typer.Option(..., help="The redirect URI registered with the app."),
                setup: bool = typer.Option(False, help="The one-off scopes of `crm setup` instead."),
                client_id: str = typer.Option(None, help="Default: crm.<crm>.client_id.")) -> None:
        """Print the consent URL asking for exactly inkstream's least-privilege scopes (SECURITY.md)."""
        import secrets

        from connectors.consent import consent_url
        from inkstream.errors import InkstreamError
        from inkstream.settings import load_settings

        try:
            typer.echo(consent_url(load_settings(), crm, redirect_uri=redirect_uri, state=secrets.token_urlsafe(16),
                                   client_id=client_id, setup=setup))
        except InkstreamError as exc:
            typer.echo(f"crm consent-url: {exc}", err=True)
            raise typer.Exit(1) from None

    app.add_typer(mapping_app, name="mapping")
    app.add_typer(crm_app, name="crm")

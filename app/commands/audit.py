"""``inkstream audit verify|certificate`` and ``inkstream query``.

While ``inkstream run audit`` runs it owns chDB; these commands then go through its
read-only query endpoint (``streams.audit.query``). Without a running sink they open
chDB directly; with ``CLICKHOUSE_URL`` they talk to the server.
"""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli import settings_or_exit

__all__ = ["register"]


def _reader(settings):
    from inkstream.errors import InkstreamError
    from streams.audit.query import open_reader

    try:
        return open_reader(settings)
    except InkstreamError as exc:
        typer.echo(f"inkstream: {exc}", err=True)
        raise typer.Exit(2) from exc


def _objects(settings, enabled: bool):
    if not enabled:
        return None
    from connectors.objectstore import open_store

    return open_store(settings, ensure_bucket=False)


def register(app: typer.Typer) -> None:
    audit = typer.Typer(help="Prove the audit trail: hash chains, stored files, certificates.", no_args_is_help=True)

    @audit.command("verify")
    def verify_cmd(
        doc: str | None = typer.Option(None, "--doc", help="Only this document's chain."),
        files: bool = typer.Option(True, "--files/--no-files", help="Also hash every original and signed file in S3."),
        kafka: bool = typer.Option(False, "--kafka", help="Also compare every row with the Kafka record it came "
                                   "from (catches a re-hashed, rewritten chain; needs the broker)."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Recompute every hash chain and check stored files; exit 1 on any finding."""
        import json

        from rich.console import Console
        from rich.table import Table

        from streams.audit.verify import kafka_verifier, verify

        settings = settings_or_exit()
        report = verify(_reader(settings), _objects(settings, files), doc_id=doc,
                        kafka=kafka_verifier(settings) if kafka else None)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            console = Console()
            via_kafka = f", Kafka records {report.kafka_checked} ({report.kafka_unavailable} past retention)" if kafka else ""
            erased = (f", erased by data-subject requests: rows {report.erased_rows}, files {report.erased_files}"
                      if report.erased_rows or report.erased_files else "")
            console.print(f"chains {report.chains}, rows {report.rows}, files {report.files}{via_kafka}{erased}: "
                          + ("[green]intact[/green]" if report.ok else f"[red]{len(report.problems)} problem(s)[/red]"))
            if not report.ok:
                table = Table("document", "seq", "finding", "detail", "expected", "found")
                for p in report.problems:
                    table.add_row(p.doc_id, str(p.seq or ""), p.kind, p.detail, p.expected or "", p.found or "")
                console.print(table)
        raise typer.Exit(0 if report.ok else 1)

    @audit.command("certificate")
    def certificate_cmd(
        doc_id: str = typer.Argument(..., help="Document id."),
        pdf: Path | None = typer.Option(None, "--pdf", help="Also write the certificate as a PDF here."),
        files: bool = typer.Option(True, "--files/--no-files", help="Re-hash the original and signed file."),
    ) -> None:
        """Print the completion certificate (JSON): hashes, signers, every state change."""
        import json

        from inkstream.errors import InkstreamError
        from streams.audit.certificate import build_certificate, render_pdf

        settings = settings_or_exit()
        try:
            cert = build_certificate(_reader(settings), doc_id, _objects(settings, files))
        except InkstreamError as exc:
            typer.echo(f"inkstream: {exc}", err=True)
            raise typer.Exit(1) from exc
        typer.echo(json.dumps(cert, indent=2))
        if pdf is not None:
            render_pdf(cert, pdf)
            typer.echo(f"PDF written to {pdf}", err=True)
        raise typer.Exit(0 if cert["audit_chain"]["verified"] else 1)

    app.add_typer(audit, name="audit")

    @app.command("query")
    def query_cmd(
        sql: str = typer.Argument(..., help="One SELECT; bind values with {name:Type} and --param name=value."),
        param: list[str] = typer.Option([], "--param", "-p", help="name=value for a {name:Type} placeholder."),
        limit: int | None = typer.Option(None, "--limit", help="Most rows to print (capped by settings.audit)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Run a read-only SQL query on the audit and analytics store and print a table."""
        import json

        from rich.console import Console
        from rich.table import Table

        from inkstream.errors import InkstreamError
        from streams.audit.query import ReadOnlyViolation

        settings = settings_or_exit()
        params = {}
        for item in param:
            name, sep, value = item.partition("=")
            if not sep:
                raise typer.BadParameter(f"--param {item!r} must be name=value")
            params[name] = value
        row_limit = min(limit or settings.audit.query_row_limit, settings.audit.query_row_limit)
        try:
            body = _reader(settings).query_json(sql, params, row_limit)
        except (InkstreamError, ReadOnlyViolation) as exc:
            typer.echo(f"inkstream query: {exc}", err=True)
            raise typer.Exit(1) from exc
        if as_json:
            typer.echo(json.dumps(body, indent=2, default=str))
            return
        table = Table(*body["columns"])
        for row in body["rows"]:
            table.add_row(*("" if v is None else str(v) for v in row))
        console = Console()
        console.print(table)
        if body["truncated"]:
            console.print(f"[yellow]first {row_limit} rows shown (--limit, settings.audit.query_row_limit)[/yellow]")

"""``inkstream subject export|erase``: data-subject requests (see ``streams/privacy``).

Both are admin actions recorded on ``admin.actions`` before they run (target: an opaque
request id, never the e-mail), and refused (exit 1) when that record cannot be written.
Nothing they print or log names the person: counts and ids only.
"""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def _fail(exc: Exception) -> None:
    typer.echo(f"inkstream subject: {exc}", err=True)
    raise typer.Exit(1) from exc


def _context():
    from inkstream.admin_audit import os_actor, record_admin_action
    from inkstream.errors import InkstreamError
    from inkstream.settings import load_settings
    from streams.audit.query import open_reader

    try:
        settings = load_settings()
        reader = open_reader(settings)
    except InkstreamError as exc:
        _fail(exc)
    actor = os_actor()

    def audit(*, action: str, target: str, detail: dict | None = None) -> None:
        record_admin_action(settings, actor=actor, action=action, target=target, detail=detail)

    return settings, reader, actor, audit


def register(app: typer.Typer) -> None:
    subject = typer.Typer(help="Data-subject requests: export or erase everything about a person (by e-mail).",
                          no_args_is_help=True)

    @subject.command("export")
    def export_cmd(
        email: str = typer.Argument(..., help="The person's e-mail address (case-insensitive)."),
        out: Path = typer.Option(..., "--out", help="New folder for manifest.json and the files (made 0700)."),
        files: bool = typer.Option(True, "--files/--no-files", help="Also copy the original and signed files."),
    ) -> None:
        """Every document, field, event and file about a person, into a folder."""
        from inkstream.admin_audit import AdminAuditError
        from inkstream.errors import InkstreamError
        from streams.privacy.export import export_subject
        from streams.privacy.wiring import object_store

        settings, reader, actor, audit = _context()
        try:
            objects = object_store(settings) if files else None
            report = export_subject(email, out, reader=reader, objects=objects, audit=audit, actor=actor)
        except (InkstreamError, AdminAuditError, ValueError) as exc:
            _fail(exc)
        typer.echo(f"request {report.request_id}: {report.documents} document(s), {report.fields} field value(s), "
                   f"{report.events} event(s), {report.files} file(s) ({report.files_unavailable} unavailable) "
                   f"-> {report.manifest}")

    @subject.command("erase")
    def erase_cmd(
        email: str = typer.Argument(..., help="The person's e-mail address (case-insensitive)."),
        yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
        wait: float = typer.Option(120.0, "--wait", help="Seconds to wait for the audit sink to apply it."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Crypto-shred every document carrying the address: keys destroyed, S3 versions
        deleted, ClickHouse rows blanked by the audit sink. Irreversible."""
        import json

        from connectors.objectstore.s3 import S3ObjectStore
        from inkstream.admin_audit import AdminAuditError
        from inkstream.errors import InkstreamError
        from schemas.codec import Codec
        from streams.privacy.erase import erase_subject, sink_wait_s
        from streams.privacy.wiring import kafka_sender

        if not yes:
            typer.confirm("Erase every document carrying this address, irreversibly?", abort=True)
        settings, reader, actor, audit = _context()
        wait_s = sink_wait_s(settings, reader, wait)
        try:
            codec = Codec.from_settings(settings)  # this command's one key store: destroys, and encodes
            send, flush = kafka_sender(settings, codec)
            report = erase_subject(email, reader=reader, keys=codec.keys,
                                   s3=S3ObjectStore.from_settings(settings, ensure_bucket=False), send=send,
                                   flush=flush, audit=audit, actor=actor, wait_s=wait_s)
        except (InkstreamError, AdminAuditError, ValueError) as exc:
            _fail(exc)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), indent=2))
        else:
            typer.echo(f"request {report.request_id}: {report.documents} document(s); keys destroyed "
                       f"{report.keys_destroyed}; S3 versions deleted {report.object_versions_deleted}; "
                       f"erasure records {report.records_sent}, applied by the audit sink {report.applied} "
                       f"({report.payloads_blanked} audit payload(s) blanked)")
            if report.pending:
                typer.echo(f"{len(report.pending)} document(s) not yet applied by the audit sink (is `inkstream run "
                           "audit` running?): they are applied when it consumes privacy.erasures", err=True)
        raise typer.Exit(0 if report.complete else 3)

    app.add_typer(subject, name="subject")

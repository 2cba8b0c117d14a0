"""``inkstream extract FILE``: OCR and extraction of one file, no Kafka, no object store."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("extract")
    def extract_file(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                    help="PDF or image; or the JSON that `inkstream ocr FILE --json` printed"),
        as_json: bool = typer.Option(False, "--json", help="Print {doc_type, status, fields, line_items} as JSON."),
        version: str = typer.Option(None, "--rules", help="Rules version (default: extraction.version)."),
    ) -> None:
        """Read FILE, classify it, extract and normalise its fields, and route them by confidence."""
        import json

        from inkstream.errors import InkstreamError
        from inkstream.settings import load_settings
        from streams.extract.local import cli_view, extract_pages

        settings = load_settings()
        try:
            if file.suffix.lower() == ".json":
                pages = json.loads(file.read_text())["pages"]
            else:
                from streams.ocr.reader import DocumentReader

                pages = DocumentReader.from_settings(settings.ocr).read(file.read_bytes())
            result = extract_pages(file.name, pages, settings.extraction, version=version)
        except (InkstreamError, ValueError, KeyError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(cli_view(result), ensure_ascii=False, indent=1))
            return
        _print(file, result)


def _print(file: Path, result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    colours = {"accept": "green", "review": "yellow", "reject": "red"}
    console = Console()
    console.print(f"[bold]{file}[/] — {result['doc_type']}, status [bold]{result['status']}[/] "
                  f"({result['extractor_version']})")
    table = Table()
    for col in ("field", "read", "normalised", "conf", "status", "page", "why"):
        table.add_column(col)
    for f in result["fields"]:
        table.add_row(f["name"], f["value"] or "", f["normalized"] or "", f"{f['confidence']:.2f}",
                      f"[{colours[f['status']]}]{f['status']}[/]", str(f["page"] or ""), f["reason"] or "")
    console.print(table)
    if result["line_items"]:
        items = Table(title="line items")
        for col in ("description", "qty", "unit price", "amount", "conf"):
            items.add_column(col)
        for it in result["line_items"]:
            items.add_row(it["description"], it["quantity"] or "", it["unit_price"] or "", it["amount"] or "",
                          f"{it['confidence']:.2f}")
        console.print(items)

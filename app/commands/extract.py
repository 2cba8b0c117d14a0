"""``inkstream extract FILE``: OCR and extraction of one file, no Kafka, no object store."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("extract")
    def extract_file(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                    help="PDF, image or XML e-invoice (CII/UBL); or the JSON that `inkstream ocr FILE --json` printed"),
        as_json: bool = typer.Option(False, "--json", help="Print {doc_type, status, fields, line_items} as JSON."),
        version: str = typer.Option(None, "--rules", help="Rules version (default: extraction.version)."),
    ) -> None:
        """Read FILE, classify it, extract and normalise its fields, and route them by confidence."""
        import json

        from inkstream.errors import InkstreamError
        from inkstream.settings import load_settings
        from streams.extract.einvoice import extract_document, for_ocr_record, looks_like_xml
        from streams.extract.local import cli_view

        settings = load_settings()
        try:
            if file.suffix.lower() == ".json":
                record = json.loads(file.read_text())
                result = extract_document({"doc_id": file.name, "pages": record["pages"],
                                           "einvoice": record.get("einvoice")}, settings.extraction, version=version)
            else:
                data = file.read_bytes()
                einvoice = for_ocr_record(data)  # Factur-X/ZUGFeRD attachment, or an XML invoice itself
                pages = [] if looks_like_xml(data) else _reader(settings).read(data)
                result = extract_document({"doc_id": file.name, "pages": pages, "einvoice": einvoice},
                                          settings.extraction, version=version)
        except (InkstreamError, ValueError, KeyError) as exc:  # EInvoiceError is a ValueError
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(cli_view(result), ensure_ascii=False, indent=1))
            return
        _print(file, result)


def _reader(settings):
    from streams.ocr.reader import DocumentReader

    return DocumentReader.from_settings(settings.ocr)


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
    for d in result.get("einvoice_checks") or []:
        console.print(f"[yellow]the page disagrees with the e-invoice XML[/] on {d['field']}: "
                      f"XML {d['e_invoice']!r}, page {d['visual']!r}")

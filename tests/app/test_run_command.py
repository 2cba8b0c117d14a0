"""``inkstream run``: the example processor (``streams.registry.EXAMPLES``) is refused outside
development with the reason, exit 2, before anything starts; an unknown name lists the
production processors and, apart, the examples."""

from __future__ import annotations

import re

import typer
from typer.testing import CliRunner

from app.commands.run import register


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    app.command("noop", hidden=True)(lambda: None)  # a group, so `run` stays a subcommand
    return app


def test_the_example_processor_is_refused_in_production(monkeypatch, tmp_path):
    monkeypatch.setenv("INKSTREAM_ENVIRONMENT", "production")
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(_cli(), ["run", "passthrough"])
    assert result.exit_code == 2
    assert "passthrough is an example processor" in result.output and "environment: development" in result.output


def test_an_unknown_name_lists_processors_and_examples_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("INKSTREAM_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(_cli(), ["run", "nope"])
    assert result.exit_code == 2
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # rich's error box, wrapped
    known, _, examples = text.partition("examples (environment: development):")
    assert "extract-memory" in known and "passthrough" not in known and "passthrough" in examples

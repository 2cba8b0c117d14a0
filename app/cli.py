"""The ``inkstream`` command. Each area registers its own commands (``register(app)``)
from a light module that imports its heavy dependencies only inside the command, so
``inkstream status`` starts in a fraction of a second.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager

import typer

__all__ = ["app", "main", "settings_or_exit", "admin_action_errors"]

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="Scanned and e-mailed contracts and invoices to CRM records and signed agreements.")

# Modules that define ``register(app: typer.Typer) -> None``; each owns its commands.
_COMMAND_MODULES = [
    "app.commands.stack",     # up, down, status, prune-test-topics
    "app.commands.run",       # run <processor>
    "app.commands.capture",   # ingest
    "app.commands.ocr",       # ocr FILE
    "app.commands.extract",   # extract FILE
    "app.commands.review",    # reviewer add|token
    "app.commands.crm",       # crm setup, mapping check
    "app.commands.esign",     # simulate esign
    "app.commands.audit",     # audit verify|certificate, query
    "app.commands.analysts",  # analyst add|remove|list (ClickHouse HTTP users)
    "app.commands.retention", # retention apply|report
    "app.commands.keys",      # keys list|rotate
    "app.commands.privacy",   # subject export|erase
    "app.demo",               # demo
]


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # area not built yet
            raise
        module.register(app)


def settings_or_exit(**overrides):
    """The settings for a command; a configuration error ends it with exit code 2 and the
    reason, never a traceback."""
    from inkstream.errors import ConfigError
    from inkstream.settings import load_settings

    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        typer.echo(f"inkstream: {exc}", err=True)
        raise typer.Exit(2) from exc


@contextmanager
def admin_action_errors(command: str):
    """An admin action that could not be audited (``AdminAuditError``) or configured is not
    done: one line on stderr naming the command, exit 1, no traceback."""
    from inkstream.admin_audit import AdminAuditError
    from inkstream.errors import ConfigError

    try:
        yield
    except (AdminAuditError, ConfigError) as exc:
        typer.echo(f"inkstream {command}: {exc}", err=True)
        raise typer.Exit(1) from exc


def main() -> None:
    from inkstream.redact import install_log_redaction

    install_log_redaction()  # before any command logs: no personal data in any log line
    _register_all()
    app()

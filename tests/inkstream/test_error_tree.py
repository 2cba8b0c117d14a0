"""The one error tree: every inkstream error is defined in inkstream/errors.py and drawn in
its docstring, so a reader finds the whole tree in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import inkstream.errors as errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "connectors", "inkstream", "ops", "schemas", "streams")


def test_no_inkstream_error_is_defined_outside_the_tree_module():
    tree_names = set(errors.__all__)
    strays = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "inkstream" / "errors.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef) and any(
                        isinstance(b, ast.Name) and b.id in tree_names for b in node.bases):
                    strays.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not strays, strays


def test_every_error_is_drawn_in_the_docstring_and_exported():
    defined = {name for name, value in vars(errors).items()
               if isinstance(value, type) and issubclass(value, errors.InkstreamError)}
    assert defined == set(errors.__all__)
    undrawn = [name for name in defined if not re.search(rf"(──|^) *{name}\b", errors.__doc__, flags=re.M)]
    assert not undrawn, undrawn


def test_an_erased_record_is_not_a_schema_fault():
    assert not issubclass(errors.RecordErased, errors.SchemaError)

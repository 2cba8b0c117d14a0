"""Imports point down the layers, and no two modules import each other (issue 16 item 4).

The layers, bottom to top (docs/design.md, "Layers"):

    inkstream (core: settings, errors, crypto, tls, kafka_config, topic_plan ...)
      <- schemas (Avro schemas, codec, sealing, record envelopes; ops.clickhouse's DDL)
      <- connectors (capture, object store, CRM and e-sign vendors, outbound webhooks)
      <- streams (processors, the runtime, services, the audit store; ClickHouse TTLs)
      <- ops (local stack, Prometheus, Grafana, security audit)
      <- app (the ``inkstream`` command and the demo)

Every import counts for the layers: module level, inside functions, under ``TYPE_CHECKING``,
and ``importlib.import_module("literal")``, so a lazy import cannot hide an upward edge. For
cycles every import that runs counts (function level too), type-only ones do not.
Read from the source with ``ast``; nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Bottom first. A module's layer is the one of its longest matching prefix.
# Three modules sit above or below their package's layer, each for a reason of its own:
# - inkstream.admin_audit writes admin.actions records with the codec: a Kafka client, so
#   at the connectors layer (it stays in inkstream/ until the admin tools move);
# - ops.clickhouse is the audit store's DDL, data the audit store reads: schemas, like *.avsc;
# - ops.retention.clickhouse (with the policy's report items) is applied by the audit sink
#   at start, chDB's one writer: streams. The rest of ops.retention is ops.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("inkstream",),
    ("schemas", "ops.clickhouse"),
    ("connectors", "inkstream.admin_audit"),
    ("streams", "ops.retention.clickhouse", "ops.retention.policy"),
    ("ops",),
    ("app",),
)
PACKAGES = tuple(sorted({prefix.split(".")[0] for layer in LAYERS for prefix in layer}))

# The only upward import: ``python -m inkstream`` starts the app; nothing imports it.
ENTRY_POINTS = {"inkstream.__main__": {"app.cli"}}


# Known upward edges, each with its reason; the test fails when one disappears, so the list
# cannot go stale. Capture accepts an XML upload only if it reads as an e-invoice, and the
# reader is the extractor's (streams/extract is another lane this session): it moves down
# (a formats module under schemas/ or core) with the extractor's next change.
KNOWN_UPWARD = {
    ("connectors.capture.intake", "streams.extract.einvoice"),
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def repo_modules(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    return {module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}


def _type_only(tree: ast.AST) -> set[int]:
    """ids of the nodes under ``if TYPE_CHECKING:`` (never run)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def imports(name: str, path: Path, known: set[str] | dict[str, Path], *,
            type_only: bool = True) -> Iterator[tuple[str, int]]:
    """``(imported module, line)`` for every import in the file; ``from a import b`` names
    ``a.b`` when that is a module, else ``a``. ``type_only=False`` leaves out the imports
    under ``if TYPE_CHECKING:``."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    tree = ast.parse(path.read_text(), str(path))
    skip = set() if type_only else _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
            yield from ((sub, node.lineno) for sub in subs)
            if len(subs) < len(node.names):
                yield module, node.lineno
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value, node.lineno


def layer_of(module: str, layers: tuple[tuple[str, ...], ...] = LAYERS) -> int | None:
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, prefixes in enumerate(layers):
        for prefix in prefixes:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), index)
    return None if best is None else best[1]


def upward_imports(modules: dict[str, Path], layers=LAYERS, entry_points=ENTRY_POINTS) -> list[str]:
    found = []
    for name, path in modules.items():
        own = layer_of(name, layers)
        for target, line in imports(name, path, modules):
            theirs = layer_of(target, layers)
            if own is None or theirs is None or theirs <= own or target in entry_points.get(name, ()):
                continue
            found.append(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}: {name} "
                         f"({layers[own][0]}) imports {target} ({layers[theirs][0]}), a layer above")
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Who imports whom when the code runs: a type-only import (``if TYPE_CHECKING:``) runs
    never and orders nothing, so it is no edge here (the layer check still sees it)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _ in imports(name, path, modules, type_only=False):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_every_repo_module_has_a_layer():
    modules = repo_modules()
    assert {"app.cli", "inkstream.settings", "schemas.codec", "streams.runtime.loop"} <= set(modules)
    assert [m for m in modules if layer_of(m) is None] == []


def test_imports_point_down_the_layers():
    found = upward_imports(repo_modules())
    known = [line for line in found if any(f" {a} (" in line and f" {b} (" in line for a, b in KNOWN_UPWARD)]
    new = [line for line in found if line not in known]
    assert new == [], "imports that point up a layer:\n" + "\n".join(new)
    still = {(a, b) for a, b in KNOWN_UPWARD if any(f" {a} (" in line and f" {b} (" in line for line in known)}
    assert still == KNOWN_UPWARD, f"fixed, take them off KNOWN_UPWARD: {sorted(KNOWN_UPWARD - still)}"


def test_no_import_cycles_between_modules():
    found = cycles(import_graph(repo_modules()))
    assert found == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_nothing_but_the_entry_points_imports_the_app():
    modules = repo_modules()
    importers = {name for name, path in modules.items() if layer_of(name) != len(LAYERS) - 1
                 for target, _ in imports(name, path, modules) if target.split(".")[0] == "app"}
    assert importers == set(ENTRY_POINTS)


def _write(root: Path, files: dict[str, str]) -> dict[str, Path]:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return repo_modules(root, ("low", "high"))


def test_the_checks_catch_an_upward_import_inside_a_function_or_for_types_only(tmp_path):
    modules = _write(tmp_path, {
        "low/__init__.py": "",
        "low/core.py": "def f():\n    from high.app import run\n    return run\n",
        "high/__init__.py": "",
        "low/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from high import app\n",
        "high/app.py": "import importlib\nfrom low import core\nrun = importlib.import_module('low.core')\n",
    })
    layers = (("low",), ("high",))
    found = upward_imports(modules, layers, {})
    assert len(found) == 2, found
    assert "low.core (low) imports high.app (high)" in found[0] and "low.typed (low) imports high.app" in found[1]


def test_the_checks_catch_a_cycle_through_a_lazy_and_a_relative_import_but_not_a_type_only_one(tmp_path):
    modules = _write(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "from .b import thing\n",
        "low/b.py": "thing = 1\ndef f():\n    import low.c\n",
        "low/c.py": "from low import a\n",
        "low/d.py": "from low import a, b\nimport low.e\n",
        "low/e.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from low.d import x\n",
    })
    assert cycles(import_graph(modules)) == [["low.a", "low.b", "low.c"]]

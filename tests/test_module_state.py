"""No module-level mutable state in the production packages (issue 16 item 1).

A process builds what it shares (the codec and its key store, the OCR reader, the admin
audit publisher, producers) once at its edge and passes it down; nothing is kept in a
module for "the process". This test reads every module of the production packages with
``ast`` (nothing is imported) and lists what would be process-wide state:

- any ``global`` statement (a module variable rebound at run time, e.g. ``None`` then
  assigned);
- a module-level (or class-level) assignment of a mutable value: a dict/list/set literal
  or comprehension, or a call to a mutable container, a lock or another synchronisation
  primitive (a module-level lock guards module-level state);
- a module-level instance of anything else, unless its kind is allowed below.

What is allowed, and why (each category is immutable, or the same for every caller):

- constants: an UPPER_CASE name (``_PRIVATE`` too) bound to a literal container (or to
  what a function of the same module computes at import from constants) that no
  module ever mutates (no item assignment, ``del``, augmented assignment or mutating
  method call on that name anywhere in the packages), and ``__all__``. A constant table
  is a pure function of nothing; a lower-case ``_cache = {}`` is never a constant;
- ``KINDS`` below: compiled regexes (immutable), loggers (``logging`` keys them by name:
  configured at the edge, not state of ours), immutable values (frozensets, tuples,
  read-only mappings, UUIDs, datetimes, paths), declarations read by a framework
  (Typer options and the CLI app that import fills with its commands, FastAPI security
  schemes, Jinja2 templates whose cache is a pure function of the package's template
  files, dataclass and pydantic field declarations, which make a value per instance),
  and instances of the packages' own frozen dataclasses, NamedTuples and enums;
- ``functools.cache``/``lru_cache`` on functions: none exists today; one is a pure cache
  only if its function is pure and its arguments hashable values (never a settings
  object), so add it here with that argument when it comes;
- class attributes of pydantic models: pydantic copies every default per instance.

``ALLOWED`` names the exceptions one by one, each with its reason (today: the embedded
chDB engine, a process-wide singleton of the library itself); a new entry needs an
argument of the same kind, in review.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("inkstream", "schemas", "connectors", "streams", "ops", "app")

MUTABLE_LITERALS = (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
# Calls that build a mutable container (constants when never mutated, as literals are).
MUTABLE_CONTAINERS = {"dict", "list", "set", "bytearray", "defaultdict", "OrderedDict", "deque", "Counter",
                      "maketrans"}
# Calls that build state by nature: never a constant.
STATEFUL = {"Lock", "RLock", "Event", "Semaphore", "BoundedSemaphore", "Condition", "Barrier", "local",
            "WeakValueDictionary", "WeakKeyDictionary", "WeakSet", "Queue", "SimpleQueue", "LifoQueue",
            "PriorityQueue", "ThreadPoolExecutor", "ProcessPoolExecutor"}
MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "remove", "discard",
            "clear", "sort", "reverse", "appendleft", "extendleft", "difference_update", "intersection_update",
            "symmetric_difference_update", "__setitem__", "__delitem__"}
# Module-level instances allowed by kind (the callee's last name), grouped as argued above.
KINDS = {
    "compile", "getLogger",  # compiled regexes; loggers
    "frozenset", "tuple", "MappingProxyType", "UUID", "datetime", "date", "Path", "with_name",
    "Decimal", "timedelta", "Struct",  # immutable values (a struct.Struct is a compiled format)
    "Option", "Argument", "Typer", "APIKeyHeader", "HTTPBearer", "Jinja2Templates",  # framework declarations
    "TypeVar", "ParamSpec", "NewType", "namedtuple",  # typing constructs
    "field", "Field", "PrivateAttr",  # dataclass/pydantic field declarations: a value per instance
}
PYDANTIC_ROOTS = {"BaseModel", "BaseSettings", "RootModel"}
ALLOWED: dict[tuple[str, str], str] = {
    # The embedded ClickHouse engine is itself a process-wide singleton (chDB opens one
    # directory per process, for the life of the process): these two mirror that fact of the
    # library, not a choice of ours. The dict remembers which directory the engine opened, so
    # a second one fails with a clear ConfigError instead of the engine's; the lock
    # serialises calls into the one engine that every client in the process shares.
    ("streams.audit.store", "_CHDB_OPEN"): "chDB's one engine per process",
    ("streams.audit.store", "_LOCK"): "calls into chDB's one engine per process",
    # The vendor registries (connectors/registry.py): their lines are fixed at import; the one
    # change is Registry.registered(), a with-block that adds a test-only vendor and removes
    # it again (tests/connectors/*/test_added_*.py), never called by production code.
    ("connectors.crm.registry", "CRMS"): "the CRM registry: fixed lines; registered() only in tests",
    ("connectors.esign.registry", "ESIGN"): "the e-sign registry: fixed lines; registered() only in tests",
}


@dataclass(frozen=True)
class Finding:
    module: str
    line: int
    name: str
    why: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.name}: {self.why}"


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
            yield name, ast.parse(path.read_text(), str(path))


def _callee(node: ast.expr) -> str | None:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _top_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import: the body, and inside module-level if/try/with blocks."""
    for node in body:
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            yield from _top_level(node.body)
            yield from _top_level(getattr(node, "orelse", []))
            yield from _top_level(getattr(node, "finalbody", []))
            for handler in getattr(node, "handlers", []):
                yield from _top_level(handler.body)
        else:
            yield node


def _assignments(body: list[ast.stmt]) -> Iterator[tuple[str, ast.expr, int]]:
    for node in _top_level(body):
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name):
                    yield leaf.id, value, node.lineno


def _mutated_names(trees: list[ast.Module]) -> set[str]:
    """Every name some module mutates in place: ``X[k] = v``, ``del X[k]``, ``X += ...``,
    ``X.append(...)`` (as a bare name or an attribute, ``mod.X``)."""

    def name_of(node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute):
            return node.attr
        return None

    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            targets: list[ast.expr] = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = list(node.targets)
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript):
                    names.add(name_of(target.value) or "")
                elif isinstance(node, ast.AugAssign):
                    names.add(name_of(target) or "")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in MUTATORS):
                names.add(name_of(node.func.value) or "")
    return names


def _immutable_classes(trees: list[ast.Module]) -> set[str]:
    """The packages' frozen dataclasses, NamedTuples and enums (by class name)."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            frozen = any(isinstance(d, ast.Call) and _callee(d) == "dataclass"
                         and any(k.arg == "frozen" and getattr(k.value, "value", False) for k in d.keywords)
                         for d in node.decorator_list)
            if frozen or bases & {"NamedTuple", "Enum", "IntEnum", "StrEnum"}:
                names.add(node.name)
    return names


def _pydantic_classes(trees: list[ast.Module]) -> set[str]:
    """Class names that derive (through classes of the packages) from a pydantic model."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases)
    found = set(PYDANTIC_ROOTS)
    while True:
        more = {name for name, of in bases.items() if name not in found and of & found}
        if not more:
            return found - PYDANTIC_ROOTS | {n for n in PYDANTIC_ROOTS if n in bases}
        found |= more


def _is_constant_name(name: str) -> bool:
    return name == "__all__" or (name.strip("_").isupper() and any(c.isalpha() for c in name))


def _judge(name: str, value: ast.expr, mutated: set[str], immutable: set[str],
           local: frozenset[str] = frozenset()) -> str | None:
    """Why ``name = value`` is process-wide state, or None when it is not. ``local``: the
    module's own functions; a constant computed by one at import is judged as a literal."""
    callee = _callee(value)
    container = (isinstance(value, MUTABLE_LITERALS) or callee in MUTABLE_CONTAINERS
                 or (isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and callee in local))
    if callee in STATEFUL:
        return f"{callee}() at import: state shared by everything in the process"
    if container:
        if not _is_constant_name(name):
            return "a mutable container bound to a lower-case name: state, not a constant"
        if name in mutated:
            return "a constant-named container that some module mutates"
        return None
    if isinstance(value, ast.Call) and callee not in KINDS and callee not in immutable:
        return f"an instance of {callee or ast.unparse(value.func)} made at import (not an allowed kind)"
    return None


def findings() -> list[Finding]:
    modules = list(_modules())
    trees = [tree for _, tree in modules]
    mutated, immutable, pydantic = _mutated_names(trees), _immutable_classes(trees), _pydantic_classes(trees)
    found: list[Finding] = []
    for module, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found.append(Finding(module, node.lineno, ", ".join(node.names),
                                     "`global`: a module variable rebound at run time"))
        local = frozenset(n.name for n in _top_level(tree.body) if isinstance(n, ast.FunctionDef))
        for name, value, line in _assignments(tree.body):
            why = _judge(name, value, mutated, immutable, local)
            if why:
                found.append(Finding(module, line, name, why))
        for cls in (n for n in _top_level(tree.body) if isinstance(n, ast.ClassDef)):
            if cls.name in pydantic:
                continue  # pydantic copies mutable defaults per instance
            for name, value, line in _assignments(cls.body):
                why = _judge(name, value, mutated, immutable)
                if why:
                    found.append(Finding(module, line, f"{cls.name}.{name}", f"class attribute: {why}"))
    return [f for f in found if (f.module, f.name) not in ALLOWED]


def test_no_module_level_mutable_state_in_the_production_packages() -> None:
    assert [str(f) for f in findings()] == []


def test_the_check_sees_a_module_level_cache_a_global_a_lock_and_a_mutable_class_attribute(tmp_path) -> None:
    """The check itself: what it must report, and the constants it must let through."""
    source = (
        "import re, threading\n"
        "from dataclasses import dataclass\n"
        "_cache = {}\n"
        "_seen: set[str] = set()\n"
        "_LOCK = threading.Lock()\n"
        "_default = None\n"
        "def install(x):\n"
        "    global _default\n"
        "    _default = x\n"
        "_TABLE = {'a': 1}\n"
        "_GROWN = []\n"
        "_GROWN.append(1)\n"
        "_WORD = re.compile('w')\n"
        "__all__ = ['install']\n"
        "@dataclass(frozen=True)\n"
        "class Budget:\n"
        "    pixels: int = 1\n"
        "DEFAULT = Budget()\n"
        "class Registry:\n"
        "    items = []\n"
        "SINGLETON = Registry()\n"
        "def _table():\n"
        "    return {'b': 2}\n"
        "COMPUTED = _table()\n"
        "_computed = _table()\n"
    )
    tree = ast.parse(source)
    mutated, immutable = _mutated_names([tree]), _immutable_classes([tree])
    local = frozenset(n.name for n in tree.body if isinstance(n, ast.FunctionDef))
    judged = {name for name, value, _ in _assignments(tree.body) if _judge(name, value, mutated, immutable, local)}
    classes = {f"{c.name}.{name}" for c in tree.body if isinstance(c, ast.ClassDef)
               for name, value, _ in _assignments(c.body) if _judge(name, value, mutated, immutable)}
    globals_ = {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
    assert judged == {"_cache", "_seen", "_LOCK", "_GROWN", "SINGLETON", "_computed"}
    assert classes == {"Registry.items"} and globals_ == {"_default"}

"""One registry per kind of vendor (CRMs, e-sign providers): name → the vendor's description.

Each entry is one line, ``"name": "module:OBJECT"``, loaded on first use (entry-point
style: the CLI imports the registries at start without importing every vendor's HTTP
client). Every consumer (factory, dry run, setup, mapping validation, scopes, consent,
the webhook gateway, verification, simulation, settings checks) asks the registry, never
a name of its own, so adding a vendor is one module plus one line here.

The entries are fixed at import. Tests add a vendor of their own with
:meth:`Registry.registered` (a context manager that removes it again): the one way a
registry changes, and production code never does it (tests/test_module_state.py lists the
two registries as its argued exceptions).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel

from inkstream.errors import ConfigError

__all__ = ["Registry", "Named", "AttributeView", "vendor_section"]


class Named(Protocol):
    @property
    def name(self) -> str: ...


V = TypeVar("V", bound=Named)
M = TypeVar("M", bound=BaseModel)


def vendor_section(where: str, model: type[M], defaults: Mapping[str, Any], section: object) -> M:
    """A vendor's settings section ``where`` (e.g. ``crm.hubspot``): the section declared in
    inkstream/settings.py as it is, or (a vendor without one) the mapping given in config/env
    validated with the vendor's own model over its defaults."""
    if isinstance(section, model):
        return section
    if section is not None and not isinstance(section, dict):
        raise ConfigError(f"{where} must be a mapping of settings")
    try:
        return model.model_validate({**defaults, **(section or {})})
    except ValueError as exc:
        raise ConfigError(f"invalid settings {where}: {exc}") from exc


class Registry(Generic[V]):
    """``entries``: name → ``"module:attribute"`` of the vendor object, in display order."""

    def __init__(self, kind: str, entries: dict[str, str]) -> None:
        self.kind = kind
        self._entries: dict[str, str | V] = dict(entries)   # changed only by registered()

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[V]:
        return iter([self.get(name) for name in self._entries])

    def get(self, name: str) -> V:
        """The vendor ``name``; ConfigError naming the known ones otherwise."""
        entry = self._entries.get(name)
        if entry is None:
            raise ConfigError(f"unknown {self.kind} {name!r}; known: {', '.join(self._entries)}")
        if not isinstance(entry, str):
            return entry
        # Imported on first use (sys.modules keeps the module), looked up every time.
        module, _, attr = entry.partition(":")
        vendor = getattr(importlib.import_module(module), attr)
        if vendor.name != name:
            raise ConfigError(f"{entry} describes {vendor.name!r}, registered as {name!r}")
        return vendor

    @contextmanager
    def registered(self, vendor: V) -> Iterator[V]:
        """``vendor`` known for the duration of the block (tests: a test-only vendor)."""
        if vendor.name in self._entries:
            raise ConfigError(f"{self.kind} {vendor.name!r} is registered already")
        self._entries[vendor.name] = vendor
        try:
            yield vendor
        finally:
            del self._entries[vendor.name]


@dataclass(frozen=True, eq=False)   # equality as a Mapping's, not the fields'
class AttributeView(Mapping):
    """A read-only mapping name → one attribute of each registered vendor, always current
    (for callers that index by name: ``AttributeView(CRMS, "account_object")``)."""

    registry: Registry
    attribute: str

    def __getitem__(self, name: str):
        if name not in self.registry:
            raise KeyError(name)
        return getattr(self.registry.get(name), self.attribute)

    def __iter__(self) -> Iterator[str]:
        return iter(self.registry.names())

    def __len__(self) -> int:
        return len(self.registry.names())

"""Versioned mapping files: which canonical field goes to which CRM object and field.

A mapping is YAML (``mappings/salesforce.yaml``), validated by :class:`Mapping`, then by
:func:`lint` for what a schema cannot say (unknown field names, unknown transforms,
links to roles that do not exist, external ids the CRM cannot upsert on). Every problem
is reported as ``file:line: path: message`` by :func:`check_file`.

>>> m = load_mapping("mappings/salesforce.yaml")
>>> m.crm, m.objects["deal"].object
('salesforce', 'Opportunity')
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.crm.matching import ACCOUNT_OBJECT
from connectors.crm.registry import CRMS
from connectors.crm.transforms import apply_transforms, check_arg
from inkstream.errors import MappingError

__all__ = [
    "CANONICAL_FIELDS", "DERIVED_FIELDS", "Mapping", "ObjectSpec", "FieldSpec", "Issue", "SignatureRequestSpec",
    "load_mapping", "check_file", "lint", "render_fields", "render_template", "source_value",
]

CANONICAL_FIELDS: dict[str, frozenset[str]] = {
    "contract": frozenset({"effective_date", "term_months", "total_amount", "currency",
                           "counterparty", "signer_name", "signer_email"}),
    "invoice": frozenset({"invoice_number", "invoice_date", "due_date", "total_amount",
                          "currency", "customer"}),
}
# Computed by the mapper from the record (see streams.mapper.values).
DERIVED_FIELDS = frozenset({"doc_id", "doc_type", "trace", "source", "company_name",
                            "company_domain", "company_key", "document_date",
                            "original_sha256", "crm_ref"})
KNOWN_SOURCES = frozenset().union(*CANONICAL_FIELDS.values()) | DERIVED_FIELDS
DOC_TYPES = tuple(CANONICAL_FIELDS)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _chain(value: Any) -> list[tuple[str, Any]]:
    """``lower`` | ``{date: "%d/%m/%Y"}`` | a list of those -> [(name, arg)]."""
    items = value if isinstance(value, list) else ([] if value is None else [value])
    chain: list[tuple[str, Any]] = []
    for item in items:
        if isinstance(item, str):
            chain.append((item, None))
        elif isinstance(item, dict) and len(item) == 1:
            (name, arg), = item.items()
            chain.append((str(name), arg))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            chain.append((str(item[0]), item[1]))
        else:
            raise ValueError(f"a transform is a name or a one-key mapping, not {item!r}")
    return chain


class _Sourced(_Model):
    from_: str | list[str] | None = Field(None, alias="from")
    transform: list[tuple[str, Any]] = []

    _norm = field_validator("transform", mode="before")(lambda v: _chain(v))

    @property
    def sources(self) -> list[str]:
        if self.from_ is None:
            return []
        return [self.from_] if isinstance(self.from_, str) else list(self.from_)


class FieldSpec(_Sourced):
    """One CRM field: exactly one of ``from`` (first present wins), ``const``, ``template``."""

    const: str | int | float | bool | None = None
    template: str | None = None
    required: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> "FieldSpec":
        given = [k for k, v in (("from", self.from_), ("const", self.const), ("template", self.template))
                 if v is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of from/const/template (got {given or 'none'})")
        return self


class ExternalId(_Sourced):
    field: str
    from_: str | list[str] = Field(alias="from")


class Link(_Model):
    to: str
    relationship: str | None = None   # Salesforce relationship name, e.g. Account


class ObjectSpec(_Model):
    object: str
    doc_types: list[Literal["contract", "invoice"]] = list(DOC_TYPES)
    external_id: ExternalId
    # How a document finds an existing record (connectors/crm/matching.py); ties and, with
    # on_miss: review, misses go to review instead of creating a record.
    match: dict[Literal["crm_ref", "email", "domain", "name", "amount"], str] = {}
    on_miss: Literal["create", "review"] = "create"
    links: list[Link] = []
    fields: dict[str, FieldSpec] = {}


class ActionSpec(_Model):
    to: str
    doc_types: list[Literal["contract", "invoice"]] = list(DOC_TYPES)
    title: str = "{doc_type} {doc_id}"
    body: str | None = None


class SignerSpec(_Model):
    """One signer of ``request_signature`` (name/email/phone: from, const or template)."""

    name: FieldSpec = FieldSpec(**{"from": "signer_name"})
    email: FieldSpec = FieldSpec(**{"from": "signer_email"})
    phone: FieldSpec | None = None
    routing_order: int = Field(1, ge=1)
    anchor: str | None = None   # text this signer's signature goes beside (default: request's anchors)


class PrefillSpec(_Sourced):
    anchor: str | None = None   # text the pre-filled value goes beside (default: the tab label)


# Envelope options, read by streams.esign.request_plan; auth per document type.
class SignatureRequestSpec(ActionSpec):
    signers: list[SignerSpec] = Field(default_factory=lambda: [SignerSpec()], min_length=1)
    auth: dict[Literal["contract", "invoice"], Literal["email", "sms", "phone", "kba", "idv"]] = {}
    prefill: dict[str, PrefillSpec] = {}
    anchors: list[str] = ["Signature", "Signed by", "Unterschrift", "Signature du client"]


class Mapping(_Model):
    version: str = Field(min_length=1)
    crm: str                                # a registered CRM (connectors/crm/registry.py)
    objects: dict[str, ObjectSpec]
    attach_file: ActionSpec | None = None
    timeline_event: ActionSpec | None = None
    request_signature: SignatureRequestSpec | None = None

    @field_validator("crm")
    @classmethod
    def _registered(cls, value: str) -> str:
        if value not in CRMS:
            raise ValueError(f"unknown CRM {value!r} (known: {', '.join(CRMS.names())})")
        return value

    def upsert_order(self) -> list[str]:
        """Roles ordered so that every link target comes first."""
        order: list[str] = []
        def visit(role: str, seen: tuple[str, ...]) -> None:
            if role in order or role in seen:
                return
            for link in self.objects[role].links:
                if link.to in self.objects:
                    visit(link.to, seen + (role,))
            order.append(role)
        for role in self.objects:
            visit(role, ())
        return order


@dataclass(frozen=True)
class Issue:
    path: tuple[str | int, ...]
    message: str
    line: int | None = None

    def format(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        dotted = ".".join(str(p) for p in self.path) or "<top>"
        return f"{where}: {dotted}: {self.message}"


# --- loading with line numbers ------------------------------------------------------------

def _lines(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = path + (key.value,)
            out[sub] = key.start_mark.line + 1
            _lines(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, path + (i,), out)
    return out


def _line_for(lines: dict[tuple, int], path: tuple) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def _parse(text: str) -> tuple[Any, dict[tuple, int]]:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise MappingError(f"{(mark.line + 1) if mark else '?'}: not valid YAML: {exc}") from exc
    return data, (_lines(node) if node is not None else {})


def _validate(data: Any) -> tuple[Mapping | None, list[Issue]]:
    try:
        return Mapping.model_validate(data), []
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            message = err["msg"]
            if err["type"] == "missing":
                message = f"missing required key {loc[-1]!r}" if loc else message
                if loc and loc[-1] == "external_id":
                    message = "missing external id (external_id: {field: ..., from: ...})"
            elif err["type"] == "extra_forbidden":
                message = f"unknown key {loc[-1]!r}"
            issues.append(Issue(loc, message))
        return None, issues


def check_text(text: str) -> tuple[Mapping | None, list[Issue]]:
    """Validate mapping text; returns the mapping (if structurally valid) and every issue."""
    data, lines = _parse(text)
    if not isinstance(data, dict):
        return None, [Issue((), "a mapping file holds a YAML mapping at the top level", 1)]
    mapping, issues = _validate(data)
    # Field names and transforms are checked even when the structure is wrong, so one run
    # of `mapping check` lists every problem.
    issues = lint(mapping) if mapping is not None else issues + _raw_issues(data)
    return mapping, [Issue(i.path, i.message, _line_for(lines, i.path)) for i in issues]


def check_file(path: str | Path) -> list[str]:
    """Every problem in the mapping file at ``path``, formatted ``file:line: path: message``."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        return [f"{path}: cannot read: {exc.strerror}"]
    try:
        _, issues = check_text(text)
    except MappingError as exc:
        return [f"{path}:{exc}"]
    return [issue.format(str(path)) for issue in sorted(issues, key=lambda i: i.line or 0)]


def load_mapping(path: str | Path) -> Mapping:
    """The mapping at ``path``; raises MappingError listing every problem."""
    problems = check_file(path)
    if problems:
        raise MappingError("invalid mapping:\n" + "\n".join(problems))
    mapping, _ = check_text(Path(path).read_text())
    assert mapping is not None
    return mapping


# --- semantic checks ----------------------------------------------------------------------

def _raw_issues(data: dict) -> list[Issue]:
    """Source names and transforms of a mapping that failed structural validation."""
    issues: list[Issue] = []
    objects = data.get("objects") if isinstance(data.get("objects"), dict) else {}
    for role, spec in objects.items():
        if not isinstance(spec, dict):
            continue
        specs = [(("external_id",), spec.get("external_id"))]
        fields = spec.get("fields") if isinstance(spec.get("fields"), dict) else {}
        specs += [(("fields", name), f) for name, f in fields.items()]
        for sub, raw in specs:
            if not isinstance(raw, dict):
                continue
            try:
                probe = _Sourced.model_validate({k: raw[k] for k in ("from", "transform") if k in raw})
            except ValidationError:
                continue  # already reported by the structural pass
            issues += _check_sources(probe, ("objects", role) + sub)
    return issues


def _template_names(template: str) -> list[str]:
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name]
    except ValueError as exc:
        raise ValueError(f"bad template {template!r}: {exc}") from exc


def _check_sources(spec: _Sourced, path: tuple) -> list[Issue]:
    issues = [Issue(path + ("from",), f"unknown field name {s!r} (known: {', '.join(sorted(KNOWN_SOURCES))})")
              for s in spec.sources if s not in KNOWN_SOURCES]
    for name, arg in spec.transform:
        why = check_arg(name, arg)
        if why:
            issues.append(Issue(path + ("transform",), why))
    return issues


def _check_template(template: str | None, path: tuple) -> list[Issue]:
    if template is None:
        return []
    try:
        names = _template_names(template)
    except ValueError as exc:
        return [Issue(path, str(exc))]
    return [Issue(path, f"unknown field name {n!r} in template") for n in names if n not in KNOWN_SOURCES]


def lint(mapping: Mapping) -> list[Issue]:
    """Problems a schema cannot see; empty when the mapping can be applied."""
    issues: list[Issue] = []
    if not mapping.objects:
        issues.append(Issue(("objects",), "no objects: nothing would be written"))
    for role, spec in mapping.objects.items():
        base = ("objects", role)
        ext = spec.external_id
        issues += _check_sources(ext, base + ("external_id",))
        if not CRMS.get(mapping.crm).external_id_ok(ext.field):
            issues.append(Issue(base + ("external_id", "field"),
                                f"{ext.field!r} cannot be an external id field in {mapping.crm}"))
        for kind, src in spec.match.items():
            if src not in KNOWN_SOURCES:
                issues.append(Issue(base + ("match", kind), f"unknown field name {src!r}"))
        if "amount" in spec.match and not any(
                mapping.objects[link.to].object == ACCOUNT_OBJECT[mapping.crm]
                for link in spec.links if link.to in mapping.objects):
            issues.append(Issue(base + ("match", "amount"),
                                f"an amount rule looks for open deals of an account: link this object to "
                                f"a {ACCOUNT_OBJECT[mapping.crm]} role"))
        for i, link in enumerate(spec.links):
            if link.to not in mapping.objects:
                issues.append(Issue(base + ("links", i, "to"), f"link to unknown object role {link.to!r}"))
            elif link.to == role:
                issues.append(Issue(base + ("links", i, "to"), "an object cannot link to itself"))
        for name, fspec in spec.fields.items():
            issues += _check_sources(fspec, base + ("fields", name))
            issues += _check_template(fspec.template, base + ("fields", name, "template"))
    for action in ("attach_file", "timeline_event", "request_signature"):
        spec = getattr(mapping, action)
        if spec is None:
            continue
        if spec.to not in mapping.objects:
            issues.append(Issue((action, "to"), f"unknown object role {spec.to!r}"))
        issues += _check_template(spec.title, (action, "title"))
        issues += _check_template(spec.body, (action, "body"))
    signing = mapping.request_signature
    for i, signer in enumerate(signing.signers if signing else []):
        for part in ("name", "email", "phone"):
            fspec = getattr(signer, part)
            if fspec is not None:
                path = ("request_signature", "signers", i, part)
                issues += _check_sources(fspec, path) + _check_template(fspec.template, path + ("template",))
    for label, pspec in (signing.prefill if signing else {}).items():
        issues += _check_sources(pspec, ("request_signature", "prefill", label))
    return issues


# --- rendering ----------------------------------------------------------------------------

def source_value(spec: _Sourced, values: dict[str, Any]) -> Any:
    """The first present source value, transformed; None when no source is present."""
    for name in spec.sources:
        value = values.get(name)
        if value not in (None, ""):
            return apply_transforms(value, spec.transform)
    return None


def render_template(template: str, values: dict[str, Any]) -> str:
    return template.format_map({n: values.get(n) or "" for n in _template_names(template)}).strip()


def render_fields(spec: ObjectSpec, values: dict[str, Any]) -> dict[str, Any]:
    """The CRM field values for one object; MappingError when a required one is missing."""
    out: dict[str, Any] = {}
    for name, fspec in spec.fields.items():
        if fspec.const is not None:
            value = apply_transforms(fspec.const, fspec.transform)
        elif fspec.template is not None:
            value = apply_transforms(render_template(fspec.template, values), fspec.transform) or None
        else:
            value = source_value(fspec, values)
        if value is None:
            if fspec.required:
                raise MappingError(f"{spec.object}.{name}: required, but {fspec.sources} are all missing")
            continue
        out[name] = value
    return out

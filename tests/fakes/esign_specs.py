"""Request validation against the e-sign vendors' own published specs in ``shared/specs``
(see ``shared/specs/SOURCES.md``): DocuSign eSignature v2.1 swagger, Dropbox Sign
OpenAPI 3, Acrobat Sign REST v6 (Swagger 1.2 models converted here).

Validation is *strict*: every object schema that lists properties gets
``additionalProperties: false``, so a misspelt or invented field fails the test instead of
being silently ignored by the vendor.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jsonschema
import yaml

__all__ = ["SPECS", "docusign_errors", "dropbox_sign_errors", "acrobat_sign_errors"]

SPECS = Path(__file__).resolve().parents[2] / "shared" / "specs"
if not SPECS.exists():  # the shared tree sits beside the checkout in this workspace
    SPECS = Path("/work/shared/specs")


def _strict(node):
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _errors(validator: jsonschema.protocols.Validator, instance) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(instance)]


@functools.lru_cache(maxsize=None)
def _docusign(definition: str) -> jsonschema.Draft4Validator:
    spec = json.loads((SPECS / "docusign" / "esignature.rest.swagger-v2.1.json").read_text())
    return jsonschema.Draft4Validator({"definitions": _strict(spec["definitions"]),
                                       "$ref": f"#/definitions/{definition}"})


def docusign_errors(definition: str, body: dict) -> list[str]:
    """Errors of ``body`` against swagger ``definitions/<definition>`` (empty = valid)."""
    return _errors(_docusign(definition), body)


def _nullable(node):
    if isinstance(node, dict):
        node = {k: _nullable(v) for k, v in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@functools.lru_cache(maxsize=None)
def _dropbox(schema: str) -> jsonschema.Draft4Validator:
    spec = yaml.safe_load((SPECS / "dropbox-sign" / "openapi.yaml").read_text())
    schemas = _strict(_nullable(spec["components"]["schemas"]))
    return jsonschema.Draft4Validator({"components": {"schemas": schemas}, "$ref": f"#/components/schemas/{schema}"})


def dropbox_sign_errors(schema: str, body: dict) -> list[str]:
    return _errors(_dropbox(schema), body)


_PRIMITIVES = {"string": "string", "integer": "integer", "boolean": "boolean", "number": "number",
               "date": "string", "date-time": "string", "object": "object",
               # Swagger 1.2 names its numeric formats as types (FormFieldLocation: double)
               "double": "number", "float": "number", "int": "integer", "long": "integer"}


def _swagger12_property(prop: dict) -> dict:
    out: dict = {}
    kind = prop.get("type") or prop.get("$ref")
    if kind == "array":
        item = (prop.get("items") or {}).get("$ref") or (prop.get("items") or {}).get("type") or "string"
        out["type"] = "array"
        out["items"] = {"type": _PRIMITIVES[item]} if item in _PRIMITIVES else {"$ref": f"#/definitions/{item}"}
    elif kind in _PRIMITIVES:
        out["type"] = _PRIMITIVES[kind]
    else:
        out["$ref"] = f"#/definitions/{kind}"
    if "enum" in prop:
        out["enum"] = prop["enum"]
    return out


@functools.lru_cache(maxsize=None)
def _acrobat(model: str) -> jsonschema.Draft4Validator:
    definitions = {}
    for resource in ("agreements", "transientDocuments"):
        listing = json.loads((SPECS / "acrobat-sign" / "rest-v6" / f"{resource}.json").read_text())
        for name, spec in listing["models"].items():
            props = spec.get("properties", {})
            definitions[name] = {
                "type": "object", "additionalProperties": False,
                "properties": {k: _swagger12_property(v) for k, v in props.items()},
                "required": [k for k, v in props.items() if v.get("required") is True] or None,
            }
            if definitions[name]["required"] is None:
                del definitions[name]["required"]
    return jsonschema.Draft4Validator({"definitions": definitions, "$ref": f"#/definitions/{model}"})


def acrobat_sign_errors(model: str, body: dict) -> list[str]:
    """Errors of ``body`` against the v6 Swagger 1.2 model ``model`` (converted to JSON Schema)."""
    return _errors(_acrobat(model), body)


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str | None, bytes, str]]]:
    """A multipart/form-data body → (text fields, files {name: (filename, bytes, content type)})."""
    import email
    import email.policy

    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body,
                                       policy=email.policy.HTTP)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True) or b""
        if filename is not None:
            files[name] = (filename, payload, part.get_content_type())
        else:
            fields[name] = payload.decode()
    return fields, files


def unflatten(form: dict[str, str]) -> dict:
    """Bracket notation (``signers[0][email_address]``) → nested dicts and lists."""
    import re

    root: dict = {}
    for key, value in form.items():
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt = parts[i + 1] if not last else None
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append({} if nxt is not None and not nxt.isdigit() else [])
                if last:
                    node[index] = value
                else:
                    node = node[index]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt.isdigit() else {})
    return root

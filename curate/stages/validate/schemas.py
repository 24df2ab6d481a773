"""JSON Schemas: one per record kind (generated from the pydantic Record, committed under schemas/), user
output schemas for structured-output fine-tunes, and a registry that never fetches anything remote."""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from referencing.exceptions import NoSuchResource

from curate.records import Record

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schemas"
DRAFT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("chat", "instruction", "preference", "classification", "text")
_NON_EMPTY_MESSAGES = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Message"}}
PAYLOAD: dict[str, dict[str, Any]] = {
    "chat": {"messages": _NON_EMPTY_MESSAGES, "label": {"type": "boolean", "description": "KTO: desirable or not"}},
    "instruction": {"messages": _NON_EMPTY_MESSAGES},
    "preference": {"prompt": _NON_EMPTY_MESSAGES, "chosen": _NON_EMPTY_MESSAGES, "rejected": _NON_EMPTY_MESSAGES},
    "classification": {"text": {"type": "string"}, "label": {"type": "string"}},
    "text": {"text": {"type": "string"}},
}
REQUIRED = {"chat": ["messages"], "instruction": ["messages"], "preference": ["prompt", "chosen", "rejected"],
            "classification": ["text", "label"], "text": ["text"]}


class SchemaRefused(Exception):
    """A schema that cannot be used (remote $ref, unreadable file, invalid schema); one plain sentence."""


def _strip_nullable(prop: dict[str, Any]) -> dict[str, Any]:
    """pydantic writes Optional[X] as anyOf [X, null]; records are validated with None fields left out."""
    options = [o for o in prop.get("anyOf", []) if o != {"type": "null"}]
    out = {k: v for k, v in prop.items() if k not in ("anyOf", "default", "title")}
    if len(options) == 1:
        out.update(options[0])
    return out


def kind_schema(kind: str) -> dict[str, Any]:
    """The schema of one kind, derived from the pydantic Record so the two cannot drift apart."""
    base = copy.deepcopy(Record.model_json_schema())
    defs = base["$defs"]
    for model in defs.values():
        model["properties"] = {k: _strip_nullable(v) for k, v in model["properties"].items()}
        model.pop("title", None)
    common = {k: _strip_nullable(base["properties"][k]) for k in ("id", "tools", "metadata", "provenance")}
    props = {"id": common["id"], "kind": {"const": kind}, **PAYLOAD[kind], "tools": common["tools"],
             "metadata": common["metadata"], "provenance": common["provenance"]}
    return {"$schema": DRAFT, "$id": f"urn:curate:schema:{kind}", "title": f"curate {kind} record",
            "type": "object", "required": ["kind", *REQUIRED[kind], "provenance"], "properties": props,
            "additionalProperties": False, "$defs": defs}


def write_kind_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in KINDS:
        path = folder / f"{kind}.schema.json"
        path.write_text(json.dumps(kind_schema(kind), indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _local_registry(extra_dirs: tuple[Path, ...]) -> Registry:
    """References resolve only to files in schemas/ and the user's schema folders; anything else is refused."""
    roots = [SCHEMA_DIR.resolve(), *(d.resolve() for d in extra_dirs)]

    def retrieve(uri: str) -> Resource:
        name = uri.removeprefix("file://")
        if "://" in name or uri.startswith(("http:", "https:")):
            raise SchemaRefused(f"remote $ref {uri} refused: schemas resolve only local files")
        for root in roots:
            path = (root / name).resolve()
            if path.is_file() and path.is_relative_to(root):
                # Files without "$schema" are read as draft 2020-12, like the schema that refers to them.
                return Resource.from_contents(json.loads(path.read_text(encoding="utf-8")),
                                              default_specification=DRAFT202012)
        raise SchemaRefused(f"$ref {uri} not found in {', '.join(str(r) for r in roots)}")

    return Registry(retrieve=retrieve)


@lru_cache(maxsize=None)
def kind_validator(kind: str) -> Draft202012Validator:
    """Built once per kind: jsonschema.validate() would re-check the schema on every call."""
    path = SCHEMA_DIR / f"{kind}.schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=_local_registry(()))


def load_user_schema(path: Path) -> Draft202012Validator:
    """A user's output schema (local file). Its local $refs resolve beside it; remote ones are refused."""
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SchemaRefused(f"Schema file {path} cannot be read ({exc.strerror}).") from None
    except json.JSONDecodeError as exc:
        raise SchemaRefused(f"Schema file {path} is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise SchemaRefused(f"Schema file {path} is not a valid JSON Schema ({exc.message}).") from None
    validator = Draft202012Validator(schema, registry=_local_registry((path.parent,)))
    _resolve_all_refs(validator, schema, path)
    return validator


def _resolve_all_refs(validator: Draft202012Validator, schema: Any, path: Path) -> None:
    """Resolve every $ref up front, so a remote or missing one fails at load time with a clear sentence."""
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(schema)
    resolver = validator._resolver  # the referencing.Resolver jsonschema built for this schema
    for ref in refs:
        try:
            resolver.lookup(ref)
        except SchemaRefused as exc:
            raise SchemaRefused(f"Schema file {path}: {exc}.") from None
        except NoSuchResource:
            raise SchemaRefused(f"Schema file {path}: $ref {ref} cannot be resolved.") from None
        except Exception as exc:  # referencing wraps retrieval errors (Unretrievable) around ours
            cause = exc
            while cause is not None and not isinstance(cause, SchemaRefused):
                cause = cause.__cause__ or cause.__context__
            raise SchemaRefused(f"Schema file {path}: {cause or f'$ref {ref} cannot be resolved'}.") from None

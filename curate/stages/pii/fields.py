"""A record's text fields and back: every payload string with its path (message contents and names, tool-call
argument values inside their JSON, plain text), the record rebuilt from scrubbed strings, and where a residual
finding sits (field and offsets, never the value)."""

from __future__ import annotations

import json
from typing import Any


from curate.records import Record

SEP = "\n\n"  # between the text fields of one record: NER sees the conversation, spans never cross it


def _field_name(path: tuple) -> str:
    """('messages', 1, 'content') -> 'messages[1].content'; tool-call arguments by their JSON path."""
    if path == ("text",):
        return "text"
    name = f"{path[0]}[{path[1]}]"
    if path[2] in ("content", "name"):
        return f"{name}.{path[2]}"
    name += f".tool_calls[{path[3]}].arguments"
    return name if path[4] == "raw" else name + "".join(f"/{p}" for p in path[5:])


def locate(rec: Record, paths: list[tuple], texts: list[str], residual) -> list[dict[str, Any]]:
    """Residual findings for a person to review: type, source, locator, field and offsets in it; never the value."""
    out = []
    spans = bounds(texts)
    for kind, a, b in residual:
        k = next((j for j, (x, y) in enumerate(spans) if x <= a < y), len(spans) - 1)
        out.append({"type": kind, "source": rec.provenance.source, "locator": rec.provenance.locator,
                    "field": _field_name(paths[k]), "start": a - spans[k][0], "end": b - spans[k][0],
                    "record": rec.id})
    return out


def bounds(texts: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for t in texts:
        out.append((pos, pos + len(t)))
        pos += len(t) + len(SEP)
    return out


def _json_strings(value: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _json_strings(v, (*path, k))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _json_strings(v, (*path, i))]
    return []


def fields(rec: Record) -> list[tuple[tuple, str]]:
    """Every payload string: message contents and names, tool-call argument values (inside the JSON, so a
    replacement cannot break it), and plain text."""
    out: list[tuple[tuple, str]] = []
    for part in ("messages", "prompt", "chosen", "rejected"):
        for i, m in enumerate(getattr(rec, part) or []):
            if m.content:
                out.append(((part, i, "content"), m.content))
            if m.name:
                out.append(((part, i, "name"), m.name))
            for j, call in enumerate(m.tool_calls or []):
                try:
                    args = json.loads(call.function.arguments)
                except json.JSONDecodeError:
                    out.append(((part, i, "args", j, "raw"), call.function.arguments))
                    continue
                out += [((part, i, "args", j, "json", *p), s) for p, s in _json_strings(args) if s.strip()]
    if rec.text:
        out.append((("text",), rec.text))
    return out


def _set_json(value: Any, path: tuple, new: str) -> Any:
    if not path:
        return new
    value[path[0]] = _set_json(value[path[0]], path[1:], new)
    return value


def apply(rec: Record, paths: list[tuple], texts: list[str]) -> Record:
    """A new record with the scrubbed texts; the input record is not modified (only touched parts are copied)."""
    new = rec.model_copy(update={"metadata": dict(rec.metadata)})
    for part in {p[0] for p in paths} - {"text"}:
        setattr(new, part, [m.model_copy(deep=bool(m.tool_calls)) for m in getattr(rec, part)])
    args: dict[tuple, Any] = {}
    for path, text in zip(paths, texts):
        if path == ("text",):
            new.text = text
            continue
        msg = getattr(new, path[0])[path[1]]
        if path[2] in ("content", "name"):
            setattr(msg, path[2], text)
        elif path[4] == "raw":
            msg.tool_calls[path[3]].function.arguments = text
        else:
            call = msg.tool_calls[path[3]]
            if path[:4] not in args:
                args[path[:4]] = json.loads(call.function.arguments)
            args[path[:4]] = _set_json(args[path[:4]], path[5:], text)
    for path, value in args.items():
        getattr(new, path[0])[path[1]].tool_calls[path[3]].function.arguments = json.dumps(value, ensure_ascii=False)
    return new



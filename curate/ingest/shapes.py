"""Recognise the shape of one parsed value and normalise it to Records.

Detection is per record, so a file that mixes shapes still ingests. Errors name keys and rules, never values.
"""
from __future__ import annotations

import json
import math
from typing import Any

from curate.records import Message, Provenance, Record, ToolCall, ToolFunction

ROLE_ALIASES = {
    "user": "user", "human": "user", "prompter": "user",
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant", "chatgpt": "assistant",
    "system": "system",
    "tool": "tool", "function": "tool", "observation": "tool", "ipython": "tool",
}
# Tabular header aliases, applied only when the canonical name is absent.
HEADER_ALIASES = {
    "text": ("content", "body", "message", "sentence", "utterance", "document"),
    "label": ("category", "class", "intent", "queue", "tag"),
}


# Fields each format defines; anything else on a JSON record is reported (validation rule unexpected_field).
KNOWN_FIELDS = {
    "openai-chat": {"messages", "tools", "parallel_tool_calls", "functions", "metadata"},
    "kto": {"messages", "label", "tools", "system"},
    "sharegpt": {"conversations", "tools", "system"},
    "openai-preference": {"input", "preferred_output", "non_preferred_output", "tools", "metadata"},
    "preference": {"prompt", "chosen", "rejected", "conversations", "messages", "system", "tools", "score_chosen",
                   "score_rejected"},
    "alpaca": {"instruction", "input", "output", "system", "history"},
    "prompt-completion": {"prompt", "completion", "system", "history"},
    "prompt-response": {"prompt", "response", "system", "history"},
    "input-output": {"input", "output", "system", "history"},
    "question-answer": {"question", "answer", "system", "history"},
}
ALWAYS_ALLOWED = {"id", "source", "lang", "language", "split", "meta", "metadata", "category"}


class ShapeError(ValueError):
    """The value is not a shape curate reads; the message is a plain reason."""


def _text(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):  # OpenAI content parts: keep the text parts
        parts = [p.get("text") for p in value if isinstance(p, dict) and p.get("type") in ("text", "input_text")]
        if len(parts) == len(value) and all(isinstance(p, str) for p in parts):
            return "".join(parts)
    raise ShapeError(f"{where} is not text")


def _tool_calls(raw: Any, where: str) -> list[ToolCall]:
    if not isinstance(raw, list):
        raise ShapeError(f"{where}.tool_calls is not a list")
    calls = []
    for i, call in enumerate(raw):
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise ShapeError(f"{where}.tool_calls[{i}] has no function name")
        args = fn.get("arguments", "{}")
        # Keep arguments as given (a string); a non-string is encoded so the OpenAI shape holds.
        args = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        calls.append(ToolCall(id=call.get("id"), type=call.get("type", "function"),
                              function=ToolFunction(name=fn["name"], arguments=args)))
    return calls


def _message(raw: Any, where: str) -> Message:
    if not isinstance(raw, dict):
        raise ShapeError(f"{where} is not an object")
    if "from" in raw and "role" not in raw:  # ShareGPT turn
        role_raw, content = raw.get("from"), raw.get("value")
    else:
        role_raw, content = raw.get("role"), raw.get("content")
    if not isinstance(role_raw, str):
        raise ShapeError(f"{where} has no role")
    role = ROLE_ALIASES.get(role_raw.strip().lower(), role_raw)
    if role_raw == "function_call":  # LLaMA-Factory/ShareGPT: the assistant calling a tool, value is JSON
        try:
            call = json.loads(content) if isinstance(content, str) else content
            calls = call if isinstance(call, list) else [call]
            tool_calls = _tool_calls([{"type": "function", "function": c} for c in calls], where)
        except (json.JSONDecodeError, TypeError, AttributeError):
            raise ShapeError(f"{where} is a function_call whose value is not JSON") from None
        return Message(role="assistant", content=None, tool_calls=tool_calls)
    tool_calls = _tool_calls(raw["tool_calls"], where) if raw.get("tool_calls") else None
    return Message(role=role, content=_text(content, f"{where}.content"), tool_calls=tool_calls,
                   tool_call_id=raw.get("tool_call_id"), name=raw.get("name") if isinstance(raw.get("name"), str) else None)


def _messages(raw: Any, where: str) -> list[Message]:
    if isinstance(raw, str):
        return [Message(role="user", content=raw)]
    if isinstance(raw, dict):
        return [_message(raw, where)]
    if not isinstance(raw, list) or not raw:
        raise ShapeError(f"{where} is not a non-empty list of messages")
    return [_message(m, f"{where}[{i}]") for i, m in enumerate(raw)]


def _reply(raw: Any, where: str) -> list[Message]:
    if isinstance(raw, str):
        return [Message(role="assistant", content=raw)]
    return _messages(raw, where)


def _tools(raw: Any) -> list[dict[str, Any]] | None:
    if raw in (None, "", []):
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise ShapeError("tools is a string that is not JSON") from None
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise ShapeError("tools is not a list of objects")
    return raw


def _str(raw: Any, where: str, required: bool = True) -> str:
    if raw is None and not required:
        return ""
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ShapeError(f"{where} is a non-finite number (NaN or infinity), not text")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)
    if not isinstance(raw, str):
        raise ShapeError(f"{where} is not text")
    return raw


def _instruction(prompt: str, output: Any, system: Any = None, history: Any = None) -> dict[str, Any]:
    msgs: list[Message] = []
    if system:
        msgs.append(Message(role="system", content=_str(system, "system")))
    for i, turn in enumerate(history or []):
        if not (isinstance(turn, list) and len(turn) == 2):
            raise ShapeError(f"history[{i}] is not a [prompt, response] pair")
        msgs += [Message(role="user", content=_str(turn[0], "history")),
                 Message(role="assistant", content=_str(turn[1], "history"))]
    msgs += [Message(role="user", content=prompt), Message(role="assistant", content=_str(output, "output"))]
    return {"kind": "instruction", "messages": msgs}


def _split_transcripts(chosen: list[Message], rejected: list[Message]) -> tuple[list[Message], ...]:
    """Full chosen/rejected transcripts (HH style): the shared leading turns are the prompt."""
    n = 0
    while n < min(len(chosen), len(rejected)) - 1 and chosen[n] == rejected[n]:
        n += 1
    return chosen[:n], chosen[n:], rejected[n:]


def oasst_paths(tree: dict[str, Any]) -> list[tuple[str, list[Message]]]:
    """Flatten an OpenAssistant message tree into every root-to-leaf conversation (JSON pointer of the leaf)."""
    out: list[tuple[str, list[Message]]] = []

    def walk(node: dict[str, Any], pointer: str, path: list[Message]) -> None:
        role = ROLE_ALIASES.get(str(node.get("role", "")).lower(), str(node.get("role")))
        path = path + [Message(role=role, content=_str(node.get("text"), f"{pointer}/text"))]
        replies = [r for r in node.get("replies") or [] if isinstance(r, dict) and not r.get("deleted")]
        if not replies:
            out.append((pointer, path))
        for i, reply in enumerate(replies):
            walk(reply, f"{pointer}/replies/{i}", path)

    walk(tree["prompt"], "/prompt", [])
    return out


def normalise(value: Any, prov: Provenance, tabular: bool = False) -> list[Record]:
    """One parsed value -> one or more Records (OASST trees and self-instruct tasks give several)."""
    if isinstance(value, str):
        return [Record(kind="text", text=value, provenance=prov).with_id()]
    if not isinstance(value, dict):
        raise ShapeError(f"a JSON {type(value).__name__} is not a record")
    keys = {k.lower() if isinstance(k, str) else k: v for k, v in value.items()}
    meta: dict[str, Any] = {}
    if isinstance(keys.get("id"), (str, int)):
        meta["source_id"] = str(keys["id"])

    def one(fmt: str, **payload: Any) -> list[Record]:
        extra = sorted(str(k) for k in keys if k not in KNOWN_FIELDS.get(fmt, keys) and k not in ALWAYS_ALLOWED)
        md = {**meta, "format": fmt, **({"unexpected_fields": extra} if extra and not tabular else {})}
        return [Record(**payload, metadata=md, provenance=prov).with_id()]

    if isinstance(keys.get("prompt"), dict) and "message_tree_id" in keys:
        records = []
        for pointer, msgs in oasst_paths(keys):
            p = prov.model_copy(update={"locator": f"{prov.locator} {pointer}"})
            records.append(Record(kind="chat", messages=msgs, metadata={"format": "oasst", "tree": str(keys["message_tree_id"])},
                                  provenance=p).with_id())
        return records
    if "preferred_output" in keys and "non_preferred_output" in keys:  # OpenAI / Foundry DPO
        inp = keys.get("input")
        prompt = _messages(inp.get("messages") if isinstance(inp, dict) else inp, "input.messages")
        return one("openai-preference", kind="preference", prompt=prompt,
                   chosen=_reply(keys["preferred_output"], "preferred_output"),
                   rejected=_reply(keys["non_preferred_output"], "non_preferred_output"),
                   tools=_tools(keys.get("tools")))
    if "chosen" in keys and "rejected" in keys:
        raw_prompt = keys.get("prompt", keys.get("conversations", keys.get("messages")))
        chosen, rejected = _reply(keys["chosen"], "chosen"), _reply(keys["rejected"], "rejected")
        if raw_prompt is None:
            prompt, chosen, rejected = _split_transcripts(chosen, rejected)
            if not prompt:
                raise ShapeError("chosen/rejected transcripts share no prompt turns and there is no prompt")
        else:
            prompt = _messages(raw_prompt, "prompt")
            if keys.get("system"):
                prompt.insert(0, Message(role="system", content=_str(keys["system"], "system")))
        return one("preference", kind="preference", prompt=prompt, chosen=chosen, rejected=rejected,
                   tools=_tools(keys.get("tools")))
    for field_name, fmt in (("messages", "openai-chat"), ("conversations", "sharegpt")):
        if field_name in keys:
            msgs = _messages(keys[field_name], field_name)
            if keys.get("system") and msgs[0].role != "system":
                msgs.insert(0, Message(role="system", content=_str(keys["system"], "system")))
            label = keys.get("label")
            if label is not None and not isinstance(label, bool):
                raise ShapeError("label on a chat must be a boolean (KTO)")
            return one("kto" if label is not None else fmt, kind="chat", messages=msgs, label=label,
                       tools=_tools(keys.get("tools")))
    if "instruction" in keys and isinstance(keys.get("instances"), list):  # self-instruct seed tasks
        records = []
        for i, inst in enumerate(keys["instances"]):
            if not isinstance(inst, dict):
                raise ShapeError(f"instances[{i}] is not an object")
            prompt = "\n\n".join(s for s in (_str(keys["instruction"], "instruction"), _str(inst.get("input"), "input", False)) if s)
            p = prov.model_copy(update={"locator": f"{prov.locator} /instances/{i}"})
            records.append(Record(**_instruction(prompt, inst.get("output")), metadata={**meta, "format": "self-instruct"},
                                  provenance=p).with_id())
        return records
    pairs = (("instruction", "output", "alpaca"), ("prompt", "completion", "prompt-completion"),
             ("prompt", "response", "prompt-response"), ("input", "output", "input-output"),
             ("question", "answer", "question-answer"))
    for q, a, fmt in pairs:
        if q in keys and a in keys:
            prompt = _str(keys[q], q)
            if fmt == "alpaca" and keys.get("input"):
                prompt = f"{prompt}\n\n{_str(keys['input'], 'input')}"
            return one(fmt, **_instruction(prompt, keys[a], keys.get("system"), keys.get("history")))
    if "text" in keys and keys.get("label") not in (None, ""):
        label = keys["label"]
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise ShapeError("label is not a string or integer")
        return one("text-label", kind="classification", text=_str(keys["text"], "text"), label=str(label))
    if "text" in keys and len(set(keys) - {"id", "label", "meta", "metadata", "source"}) == 1:
        return one("text", kind="text", text=_str(keys["text"], "text"))
    raise ShapeError(unknown_shape(keys))


VOCABULARY = set().union(*KNOWN_FIELDS.values(), ALWAYS_ALLOWED, HEADER_ALIASES, *HEADER_ALIASES.values(),
                         {"text", "label", "completion", "response", "message_tree_id", "instances"})


def unknown_shape(keys: dict[Any, Any] | list[Any]) -> str:
    """The reason for a value no reader recognises, in curate's words and counts only: keys are input text (a
    header-less CSV makes its first row, e-mail addresses included, the keys), so only keys from curate's own
    vocabulary are named."""
    names = [k for k in keys if isinstance(k, str)]
    known = sorted({k for k in names if k in VOCABULARY})
    what = f"{len(names)} key{'s' if len(names) != 1 else ''}"
    if not known:
        return f"unknown shape ({what}, none of them known); see `curate formats`"
    return f"unknown shape ({what}; known among them: {', '.join(known)}, but not a combination curate reads); see `curate formats`"


def map_columns(row: dict[str, Any], mapping: dict[str, str] | None) -> dict[str, Any]:
    """Tabular row -> canonical keys: an explicit mapping from config, else lower-cased headers and aliases."""
    if mapping:
        missing = [src for src in mapping.values() if src not in row]
        if missing:
            raise ShapeError(f"mapped column(s) {', '.join(missing)} not in the header")
        return {dst: row[src] for dst, src in mapping.items()}
    out = {str(k).strip().lower(): v for k, v in row.items()}
    for canonical, aliases in HEADER_ALIASES.items():
        if canonical not in out:
            alias = next((a for a in aliases if a in out), None)
            if alias is not None:
                out[canonical] = out.pop(alias)
    return out

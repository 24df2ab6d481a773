"""Recognise the shape of one parsed value and normalise it to Records.

Detection is per record, so a file that mixes shapes still ingests. Errors name keys and rules, never values.
"""
from __future__ import annotations

import json
import math
from typing import Any

from curate.stages.ingest.repair import repair_messages
from curate.stages.ingest.roles import CHAT_KEYS, ROLE_ALIASES, ROLE_KEYS, TEXT_KEYS, canonical_role
from curate.stages.ingest.transcripts import parse_transcript
from curate.records import Message, Provenance, Record, ToolCall, ToolFunction

__all__ = ["ROLE_ALIASES", "ShapeError", "normalise", "map_columns", "unknown_shape", "VOCABULARY"]

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
                   "score_rejected", "prompt_id"},
    "alpaca": {"instruction", "input", "output", "system", "history"},
    "prompt-completion": {"prompt", "completion", "system", "history"},
    "prompt-response": {"prompt", "response", "system", "history"},
    "input-output": {"input", "output", "system", "history"},
    "question-answer": {"question", "answer", "system", "history", "context"},
    "dolly": {"instruction", "context", "response", "category"},
    "query-response": {"query", "response", "system", "history"},
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
    if isinstance(raw, (list, tuple)) and len(raw) == 2 and isinstance(raw[0], str):  # [speaker, text] pairs
        return Message(role=canonical_role(raw[0]), content=_text(raw[1], f"{where}[1]"))
    if not isinstance(raw, dict):
        raise ShapeError(f"{where} is not an object")
    role_key = next((k for k in ROLE_KEYS if isinstance(raw.get(k), str)), None)
    if role_key is None:
        raise ShapeError(f"{where} has no role")
    role_raw = raw[role_key]
    content = next((raw[k] for k in TEXT_KEYS if k in raw), None)
    role = canonical_role(role_raw)
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
                   tool_call_id=raw.get("tool_call_id") if isinstance(raw.get("tool_call_id"), str) else None,
                   name=raw.get("name") if isinstance(raw.get("name"), str) else None)


def _messages(raw: Any, where: str) -> list[Message]:
    if isinstance(raw, str):
        return [Message(role="user", content=raw)]
    if isinstance(raw, dict):
        return [_message(raw, where)]
    if not isinstance(raw, list) or not raw:
        raise ShapeError(f"{where} is not a non-empty list of messages")
    return [_message(m, f"{where}[{i}]") for i, m in enumerate(raw)]


def _is_message(raw: Any) -> bool:
    if isinstance(raw, (list, tuple)):
        return len(raw) == 2 and isinstance(raw[0], str) and (raw[1] is None or isinstance(raw[1], str))
    return (isinstance(raw, dict) and any(isinstance(raw.get(k), str) for k in ROLE_KEYS)
            and any(k in raw for k in TEXT_KEYS))


def _chat(raw: Any, where: str) -> tuple[list[Message], bool]:
    """A conversation under a chat key: message objects, [speaker, text] pairs, plain strings (turns alternate,
    user first: roles inferred) or one transcript string. The flag says whether roles were inferred."""
    if isinstance(raw, str):
        parsed = parse_transcript(raw, strict_only=False)
        if parsed is None:
            raise ShapeError(f"{where} is text without turn markers (Human:/Assistant:, User:/Assistant: ...)")
        return parsed[1], False
    if isinstance(raw, list) and raw and all(isinstance(m, str) for m in raw):
        return [Message(role="user" if i % 2 == 0 else "assistant", content=m) for i, m in enumerate(raw)], True
    msgs = _messages(raw, where)
    authors = [m.role for m in msgs]
    if len(set(authors)) >= 2 and not any(a in ROLE_ALIASES.values() for a in authors):
        # e-mail threads and chat logs name people, not roles: whoever writes first asks, the others answer
        return [m.model_copy(update={"role": "user" if a == authors[0] else "assistant"})
                for m, a in zip(msgs, authors)], True
    return msgs, False


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
        role = canonical_role(str(node.get("role", "")))
        path = path + [Message(role=role, content=_str(node.get("text"), f"{pointer}/text"))]
        replies = [r for r in node.get("replies") or [] if isinstance(r, dict) and not r.get("deleted")]
        if not replies:
            out.append((pointer, path))
        for i, reply in enumerate(replies):
            walk(reply, f"{pointer}/replies/{i}", path)

    walk(tree["prompt"], "/prompt", [])
    return out


SCORE_FIELDS = ("overall_score", "score", "rating", "reward", "fine-grained_score", "preference_score")
COMPLETION_TEXT = ("response", "text", "completion", "output", "content", "answer")
PROMPT_KEYS = ("prompt", "instruction", "question", "query", "input")


def _same(a: list[Message], b: list[Message]) -> bool:
    return len(a) == len(b) and all(x.role == y.role and (x.content or "").strip() == (y.content or "").strip()
                                    and x.tool_calls == y.tool_calls for x, y in zip(a, b))


def _side(raw: Any, where: str, strict_only: bool = True) -> tuple[list[Message], bool]:
    """A chosen or rejected value: a transcript string, a plain reply, or messages. The flag: was a transcript."""
    if isinstance(raw, str):
        parsed = parse_transcript(raw, strict_only)
        if parsed is not None:
            return parsed[1], True
    return _reply(raw, where), False


def _prompt(raw: Any, where: str) -> list[Message]:
    if isinstance(raw, str):
        parsed = parse_transcript(raw)
        if parsed is not None:
            return parsed[1]
    return _messages(raw, where)


def _preference(keys: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(format, payload) of a chosen/rejected row. Transcripts (HH-RLHF) and full conversations are split at their
    shared leading turns (TRL's extract_prompt); an explicit prompt that chosen and rejected repeat
    (UltraFeedback-binarized) is removed from them; a prompt they contradict is refused."""
    raw_prompt = keys.get("prompt", keys.get("conversations", keys.get("messages")))
    chosen, t1 = _side(keys["chosen"], "chosen")
    rejected, t2 = _side(keys["rejected"], "rejected")
    if raw_prompt is None and not (t1 and t2):  # no prompt: "User:"/"Assistant:" lines on both sides count too
        loose = _side(keys["chosen"], "chosen", False), _side(keys["rejected"], "rejected", False)
        if loose[0][1] and loose[1][1]:
            (chosen, t1), (rejected, t2) = loose
    full = chosen[0].role != "assistant" and rejected[0].role != "assistant"
    if raw_prompt is None:
        prompt, chosen, rejected = _split_transcripts(chosen, rejected)
        if not prompt:
            raise ShapeError("chosen/rejected transcripts share no prompt turns and there is no prompt")
        fmt = "hh-rlhf" if t1 and t2 else "preference-implicit-prompt"
    else:
        prompt = _prompt(raw_prompt, "prompt")
        fmt = "preference"
        if full:
            n = len(prompt)
            if _same(chosen[:n], prompt) and _same(rejected[:n], prompt) and len(chosen) > n and len(rejected) > n:
                chosen, rejected = chosen[n:], rejected[n:]
            else:
                shared, c_rest, r_rest = _split_transcripts(chosen, rejected)
                users = lambda ms: [(m.content or "").strip() for m in ms if m.role == "user"]  # noqa: E731
                if not shared or users(shared)[-1:] != users(prompt)[-1:]:
                    raise ShapeError("the prompt field contradicts the conversation chosen and rejected repeat")
                prompt, chosen, rejected = shared, c_rest, r_rest
            fmt = "ultrafeedback-binarized"
    if keys.get("system") and (not prompt or prompt[0].role != "system"):
        prompt.insert(0, Message(role="system", content=_str(keys["system"], "system")))
    return fmt, {"kind": "preference", "prompt": prompt, "chosen": chosen, "rejected": rejected,
                 "tools": _tools(keys.get("tools"))}


def _rated(keys: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Rated completions binarised to best vs. worst (the UltraFeedback rule); the rule goes into metadata."""
    q = next(k for k in PROMPT_KEYS if k in keys)
    items = keys["completions"]
    field = next((f for f in SCORE_FIELDS if all(isinstance(c, dict) and _score(c.get(f)) is not None for c in items)),
                 None)
    if field is None:
        raise ShapeError("completions carry no numeric score shared by all of them")
    texts = []
    for i, c in enumerate(items):
        key = next((k for k in COMPLETION_TEXT if k in c), None)
        if key is None:
            raise ShapeError(f"completions[{i}] has no text field")
        texts.append(_str(c[key], f"completions[{i}]"))
    scores = [_score(c[field]) for c in items]
    best = max(range(len(items)), key=lambda i: (scores[i], -i))
    worst = min(range(len(items)), key=lambda i: (scores[i], i))
    if scores[best] == scores[worst]:
        raise ShapeError("every completion has the same score: no preference to learn")
    payload = {"kind": "preference", "prompt": _prompt(keys[q], q),
               "chosen": [Message(role="assistant", content=texts[best])],
               "rejected": [Message(role="assistant", content=texts[worst])]}
    meta = {"binarised": f"best vs worst of {len(items)} completions by {field}",
            "score_chosen": scores[best], "score_rejected": scores[worst]}
    return payload, meta


def _score(value: Any) -> float | None:
    if isinstance(value, dict):  # UltraFeedback fine-grained: {"helpfulness": {"Rating": "4"}, ...} is not a score
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            v = float(value)
        except ValueError:
            return None
        return v if math.isfinite(v) else None
    return None


def _with_context(prompt: str, context: Any, where: str) -> str:
    ctx = _str(context, where, required=False).strip()
    return f"{prompt}\n\n{ctx}" if ctx else prompt


def normalise(value: Any, prov: Provenance, tabular: bool = False) -> list[Record]:
    """One parsed value -> one or more Records (OASST trees and self-instruct tasks give several). Conversations
    are repaired (see curate.stages.ingest.repair) before they are judged."""
    if isinstance(value, str):
        return [Record(kind="text", text=value, metadata={"format": "text"}, provenance=prov).with_id()]
    if not isinstance(value, dict):
        raise ShapeError(f"a JSON {type(value).__name__} is not a record")
    keys = {k.lower() if isinstance(k, str) else k: v for k, v in value.items()}
    meta: dict[str, Any] = {}
    if isinstance(keys.get("id"), (str, int)) and not isinstance(keys.get("id"), bool):
        meta["source_id"] = str(keys["id"])

    def one(fmt: str, extra_meta: dict[str, Any] | None = None, inferred: bool = False, **payload: Any) -> list[Record]:
        extra = sorted(str(k) for k in keys if k not in KNOWN_FIELDS.get(fmt, keys) and k not in ALWAYS_ALLOWED)
        repairs = ["roles_inferred"] if inferred else []
        for field_name in ("messages", "prompt"):
            if payload.get(field_name):
                payload[field_name], done = repair_messages(payload[field_name], trim=field_name == "messages")
                repairs += done
        md = {**meta, "format": fmt, **(extra_meta or {}),
              **({"unexpected_fields": extra} if extra and not tabular else {}),
              **({"repairs": sorted(set(repairs))} if repairs else {})}
        return [Record(**payload, metadata=md, provenance=prov).with_id()]

    if isinstance(keys.get("prompt"), dict) and "message_tree_id" in keys:
        records = []
        for pointer, msgs in oasst_paths(keys):
            p = prov.model_copy(update={"locator": f"{prov.locator} {pointer}"})
            msgs, repairs = repair_messages(msgs)
            md = {"format": "oasst", "tree": str(keys["message_tree_id"]), **({"repairs": repairs} if repairs else {})}
            records.append(Record(kind="chat", messages=msgs, metadata=md, provenance=p).with_id())
        return records
    if "preferred_output" in keys and "non_preferred_output" in keys:  # OpenAI / Foundry DPO
        inp = keys.get("input")
        prompt = _messages(inp.get("messages") if isinstance(inp, dict) else inp, "input.messages")
        return one("openai-preference", kind="preference", prompt=prompt,
                   chosen=_reply(keys["preferred_output"], "preferred_output"),
                   rejected=_reply(keys["non_preferred_output"], "non_preferred_output"),
                   tools=_tools(keys.get("tools")))
    if "chosen" in keys and "rejected" in keys:
        fmt, payload = _preference(keys)
        return one(fmt, **payload)
    if "response_j" in keys and "response_k" in keys:  # StackExchange-paired: j was rated better than k
        q = next((k for k in ("question", "prompt", "instruction") if k in keys), None)
        if q is None:
            raise ShapeError("response_j/response_k without a question")
        return one("stack-exchange-paired", kind="preference", prompt=_prompt(keys[q], q),
                   chosen=[Message(role="assistant", content=_str(keys["response_j"], "response_j"))],
                   rejected=[Message(role="assistant", content=_str(keys["response_k"], "response_k"))])
    if isinstance(keys.get("completions"), list) and any(k in keys for k in PROMPT_KEYS):
        if len(keys["completions"]) < 2:
            raise ShapeError("completions holds fewer than two rated completions: no preference to learn")
        payload, extra_meta = _rated(keys)
        return one("rated-completions", extra_meta, **payload)
    for field_name in CHAT_KEYS:
        if field_name in keys and (field_name not in ("original", "thread", "chat")
                                   or isinstance(keys[field_name], (list, str))):
            msgs, inferred = _chat(keys[field_name], field_name)
            if keys.get("system") and msgs[0].role != "system":
                msgs.insert(0, Message(role="system", content=_str(keys["system"], "system")))
            label = keys.get("label")
            if label is not None and not isinstance(label, bool):
                raise ShapeError("label on a chat must be a boolean (KTO)")
            fmt = {"messages": "openai-chat", "conversations": "sharegpt"}.get(field_name, f"chat ({field_name})")
            if field_name in ("messages", "conversations") and inferred:
                fmt = f"chat ({field_name}, plain strings)"
            return one("kto" if label is not None else fmt, inferred=inferred, kind="chat", messages=msgs,
                       label=label, tools=_tools(keys.get("tools")))
    if "instruction" in keys and isinstance(keys.get("instances"), list):  # self-instruct seed tasks
        records = []
        for i, inst in enumerate(keys["instances"]):
            if not isinstance(inst, dict):
                raise ShapeError(f"instances[{i}] is not an object")
            prompt = "\n\n".join(s for s in (_str(keys["instruction"], "instruction"), _str(inst.get("input"), "input", False)) if s)
            p = prov.model_copy(update={"locator": f"{prov.locator} /instances/{i}"})
            payload = _instruction(prompt, inst.get("output"))
            payload["messages"], repairs = repair_messages(payload["messages"])
            md = {**meta, "format": "self-instruct", **({"repairs": repairs} if repairs else {})}
            records.append(Record(**payload, metadata=md, provenance=p).with_id())
        return records
    pairs = (("instruction", "output", "alpaca"), ("instruction", "response", "dolly"),
             ("prompt", "completion", "prompt-completion"), ("prompt", "response", "prompt-response"),
             ("query", "response", "query-response"), ("input", "output", "input-output"),
             ("question", "answer", "question-answer"))
    for q, a, fmt in pairs:
        if q in keys and a in keys:
            prompt = _str(keys[q], q)
            extra_meta: dict[str, Any] = {}
            if fmt == "alpaca" and keys.get("input"):
                prompt = f"{prompt}\n\n{_str(keys['input'], 'input')}"
            if fmt in ("dolly", "question-answer") and keys.get("context") not in (None, ""):
                prompt = _with_context(prompt, keys["context"], "context")
            category = keys.get("category", keys.get("label") if fmt == "dolly" and tabular else None)
            if isinstance(category, str) and category.strip():
                extra_meta["category"] = category.strip()
            parsed = parse_transcript(prompt) if fmt in ("prompt-completion", "prompt-response", "query-response") else None
            if parsed is not None:
                payload = {"kind": "instruction", "messages": [*parsed[1], Message(role="assistant",
                                                                                   content=_str(keys[a], a))]}
                return one(f"{fmt} (transcript prompt)", extra_meta, **payload)
            return one(fmt, extra_meta, **_instruction(prompt, keys[a], keys.get("system"), keys.get("history")))
    if "text" in keys and keys.get("label") not in (None, ""):
        label = keys["label"]
        if isinstance(label, bool) or not isinstance(label, (str, int)):
            raise ShapeError("label is not a string or integer")
        return one("text-label", kind="classification", text=_str(keys["text"], "text"), label=str(label))
    if "text" in keys and len(set(keys) - {"id", "label", "meta", "metadata", "source"}) == 1:
        text = _str(keys["text"], "text")
        parsed = parse_transcript(text)
        if parsed is not None and any(m.role == "assistant" for m in parsed[1]):
            return one("text transcript", kind="chat", messages=parsed[1])
        return one("text", kind="text", text=text)
    found = [k for k in sorted(keys, key=str) if isinstance(keys[k], list) and keys[k]
             and all(_is_message(m) for m in keys[k])]
    if found:  # a conversation under a field curate does not name: messages with a role and a text
        msgs, inferred = _chat(keys[found[0]], "conversation")
        return one("chat (messages under another field)", inferred=inferred, kind="chat", messages=msgs)
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

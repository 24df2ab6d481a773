"""Helpdesk exports with one row per message (CSV, Parquet or JSONL): a conversation or ticket id, a timestamp,
an author role (or only an author name) and the text. Rows are grouped into one chat per conversation, in time
order, and the chat is repaired like any other (two bubbles in a row merged, notes dropped, ...)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from curate.stages.ingest.repair import repair_messages
from curate.stages.ingest.roles import canonical_role
from curate.records import Message, Provenance, Record

CONVERSATION = ("conversation_id", "conversationid", "conversation", "ticket_id", "ticketid", "ticket", "thread_id",
                "threadid", "chat_id", "chatid", "session_id", "sessionid", "dialogue_id", "dialogueid", "dialog_id",
                "case_id", "caseid", "convo_id", "conv_id")
TIME = ("timestamp", "created_at", "createdat", "sent_at", "time", "date", "datetime", "created", "posted_at")
ROLE = ("role", "author_role", "sender_role", "author_type", "sender_type", "speaker", "user_type", "actor",
        "direction", "participant_role")
AUTHOR = ("author", "sender", "from", "user", "username", "author_id", "sender_id", "user_id", "author_name")
TEXT = ("text", "message", "body", "content", "utterance", "comment", "msg")
SEQUENCE = ("seq", "sequence", "position", "index", "turn", "message_index", "utterance_idx", "line")


def _first(row: dict[str, Any], names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in row), None)


def columns(row: dict[str, Any]) -> dict[str, str] | None:
    """Which fields of a row hold the conversation id, text, role, author and time; None when it is not a
    message row (no scalar conversation id, no text, or neither a role nor an author)."""
    conv = next((n for n in CONVERSATION if n in row and isinstance(row[n], (str, int)) and not isinstance(row[n], bool)),
                None)
    text = _first(row, TEXT)
    role, author = _first(row, ROLE), _first(row, AUTHOR)
    if conv is None or text is None or (role is None and author is None):
        return None
    return {k: v for k, v in {"conversation": conv, "text": text, "role": role, "author": author,
                              "time": _first(row, TIME), "seq": _first(row, SEQUENCE)}.items() if v}


def _when(value: Any) -> tuple[int, float | str] | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value))
    if isinstance(value, datetime):
        return (0, value.timestamp() if value.tzinfo else value.isoformat())  # type: ignore[return-value]
    if isinstance(value, str) and value.strip():
        v = value.strip()
        try:
            return (0, float(v))
        except ValueError:
            pass
        try:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00") if v.endswith("Z") else v)
            return (0, dt.timestamp() if dt.tzinfo else dt.isoformat())  # type: ignore[return-value]
        except ValueError:
            return None
    return None


def group(rows: list[tuple[str, dict[str, Any]]], cols: dict[str, str], base: Provenance
          ) -> Iterator[Record | tuple[str, str]]:
    """rows: (locator, row) in file order. Yields one chat Record per conversation, or (locator, reason) for a row
    that belongs to no conversation."""
    convs: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for i, (loc, row) in enumerate(rows):
        cid = row.get(cols["conversation"])
        text = row.get(cols["text"])
        if cid is None or (isinstance(cid, str) and not cid.strip()) or isinstance(cid, (dict, list, bool)):
            yield (loc, "message row without a conversation id")
            continue
        if text is not None and not isinstance(text, str):
            yield (loc, "message row whose text is not text")
            continue
        convs.setdefault(str(cid).strip(), []).append((i, loc, row))
    for members in convs.values():
        yield _conversation(members, cols, base)


def _conversation(members: list[tuple[int, str, dict[str, Any]]], cols: dict[str, str], base: Provenance) -> Record:
    order = "file order"
    key = cols.get("time") or cols.get("seq")
    if key:
        stamps = [_when(row.get(key)) for _, _, row in members]
        kinds = {type(s[1]) for s in stamps if s is not None}
        if all(s is not None for s in stamps) and len(kinds) == 1:
            members = [m for _, m in sorted(zip(stamps, members), key=lambda p: (p[0][1], p[1][0]))]
            order = "time order" if key == cols.get("time") else "sequence order"
    repairs: list[str] = []
    roles = [canonical_role(str(row.get(cols["role"]) or "")) if cols.get("role") else "" for _, _, row in members]
    if not cols.get("role") or not all(r in ("user", "assistant", "system", "tool", "event") for r in roles):
        # no usable role column: the author who opened the conversation is the user, everyone else answers
        who = [str(row.get(cols.get("author") or cols.get("role", ""), "")) for _, _, row in members]
        roles = ["user" if w == who[0] else "assistant" for w in who]
        repairs.append("roles_inferred")
    msgs = [Message(role=r, content=row.get(cols["text"])) for r, (_, _, row) in zip(roles, members)]
    msgs, done = repair_messages(msgs)
    repairs += done
    first = min(members, key=lambda m: m[0])[1]
    prov = base.model_copy(update={"locator": f"conversation from {first} ({len(members)} rows)",
                                   "encoding": base.encoding})
    meta = {"format": "helpdesk rows", "rows": len(members), "order": order,
            **({"repairs": sorted(set(repairs))} if repairs else {})}
    return Record(kind="chat", messages=msgs, metadata=meta, provenance=prov).with_id()

"""The one table of role names curate understands, and the field names messages arrive under.

`curate formats` prints ROLE_ALIASES, so what a user reads is what ingest does. Keys are lower-cased and stripped
before lookup ("Customer", " AGENT " and "agent" are the same role)."""
from __future__ import annotations

# role as written in an export -> canonical role. "event" turns (actions, internal notes, status changes) are not
# dialogue: the drop_event_turns repair removes them.
ROLE_ALIASES: dict[str, str] = {
    # the person asking
    "user": "user", "human": "user", "prompter": "user", "customer": "user", "client": "user", "visitor": "user",
    "end-user": "user", "end_user": "user", "enduser": "user", "requester": "user", "guest": "user",
    "caller": "user", "member": "user", "contact": "user", "inbound": "user",
    # the side the model learns to be
    "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant", "chatgpt": "assistant",
    "ai": "assistant", "agent": "assistant", "support": "assistant", "operator": "assistant", "advisor": "assistant",
    "adviser": "assistant", "representative": "assistant", "rep": "assistant", "staff": "assistant",
    "helpdesk": "assistant", "outbound": "assistant", "chatbot": "assistant",
    "system": "system",
    "tool": "tool", "function": "tool", "observation": "tool", "ipython": "tool",
    # not dialogue: dropped by the drop_event_turns repair
    "action": "event", "event": "event", "note": "event", "internal": "event", "internal_note": "event",
    "internal-note": "event", "private_note": "event", "system_event": "event", "status": "event", "log": "event",
    "automated": "event", "notification": "event", "whisper": "event",
}

CANONICAL = ("system", "user", "assistant", "tool")


def canonical_role(raw: str) -> str:
    """The canonical role of a role name; unknown names are kept as written (validation rejects them by rule)."""
    return ROLE_ALIASES.get(raw.strip().lower(), raw)


# Field names a message's role and text arrive under, in the order they are tried.
ROLE_KEYS = ("role", "from", "speaker", "author", "sender", "actor", "author_role", "sender_role", "user_type")
TEXT_KEYS = ("content", "value", "text", "body", "message", "utterance")

# Fields a whole conversation arrives under, in the order they are tried ("original" is ABCD's raw dialogue).
CHAT_KEYS = ("messages", "conversations", "conversation", "dialog", "dialogue", "turns", "chat", "thread",
             "utterances", "original")


def role_table() -> list[tuple[str, list[str]]]:
    """(canonical role, the names that map to it) for `curate formats`."""
    out: dict[str, list[str]] = {}
    for name, role in ROLE_ALIASES.items():
        out.setdefault(role, []).append(name)
    return [(role, names) for role, names in out.items()]

"""Repair before reject: what real chat exports always have (two bubbles in a row from one side, internal notes,
a customer's last "thanks" with no reply, empty bubbles) is fixed and named, not refused.

Each repair is recorded on the record (metadata.repairs), counted in ingest's stats (repair.NAME), written to the
record's lineage, and checked by a validation rule of the same name (severity warn; raise it to error in
curate.toml to refuse repaired records instead)."""
from __future__ import annotations

from curate.records import Message

REPAIRS: dict[str, str] = {
    "dropped_event_turns": "turns that are events or internal notes (action, note, status ...) were dropped",
    "dropped_empty_turns": "turns with no text and no tool call were dropped",
    "system_turns_as_assistant": "a dialogue whose agent side is labelled 'system' (no assistant turn) was read "
                                 "with those turns as the assistant",
    "merged_consecutive_turns": "consecutive turns of one side were merged into one (blank line between)",
    "trimmed_to_last_assistant": "turns after the last assistant reply were trimmed",
    "roles_inferred": "roles were not in the export and were inferred: in a helpdesk table the first author is the "
                      "user and every other author the assistant; plain-string turns alternate, user first",
}


def _blank(m: Message) -> bool:
    return not m.tool_calls and (m.content is None or not m.content.strip())


def repair_messages(msgs: list[Message], trim: bool = True) -> tuple[list[Message], list[str]]:
    """The repaired turns and the names of the repairs made (in REPAIRS order). trim=False for a preference
    prompt, which ends on the user's turn by nature."""
    done: list[str] = []
    out = [m for m in msgs if m.role != "event"]
    if len(out) < len(msgs):
        done.append("dropped_event_turns")
    kept = [m for m in out if not _blank(m) or m.role == "tool"]
    if len(kept) < len(out):
        done.append("dropped_empty_turns")
    out = kept
    roles = {m.role for m in out}
    if "assistant" not in roles and "user" in roles and any(m.role == "system" for m in out[1:]):
        out = [m.model_copy(update={"role": "assistant"}) if m.role == "system" and i > 0 else m
               for i, m in enumerate(out)]
        done.append("system_turns_as_assistant")
    merged: list[Message] = []
    for m in out:
        prev = merged[-1] if merged else None
        if (prev is not None and m.role == prev.role and m.role in ("user", "assistant")
                and not m.tool_calls and not prev.tool_calls and prev.content and m.content):
            merged[-1] = prev.model_copy(update={"content": f"{prev.content.rstrip()}\n\n{m.content.strip()}"})
            if "merged_consecutive_turns" not in done:
                done.append("merged_consecutive_turns")
        else:
            merged.append(m)
    out = merged
    if trim and any(m.role == "assistant" for m in out) and out[-1].role == "user":
        last = max(i for i, m in enumerate(out) if m.role == "assistant")
        out = out[: last + 1]
        done.append("trimmed_to_last_assistant")
    return out, [r for r in REPAIRS if r in done]

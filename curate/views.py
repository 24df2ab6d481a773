"""Views of a record's text that several stages share: what dedup compares, what diversity measures."""
from __future__ import annotations

import re

from curate.normalise import normalise_text
from curate.records import Message, Record

SPLIT_NAME = re.compile(r"(?:^|[/_.\-])(train|training|test|testing|valid|validation|val|dev|eval)(?:[/_.\-]|$)", re.I)
_SPLITS = {"train": "train", "training": "train", "test": "test", "testing": "test", "valid": "validation",
           "validation": "validation", "val": "validation", "dev": "validation", "eval": "test"}


def _turns(msgs: list[Message] | None, roles: tuple[str, ...] = ("user", "assistant")) -> list[str]:
    # System prompts and tool outputs are shared boilerplate more often than content: compare what people wrote.
    # Normalised (curate.normalise): mojibake, HTML entities, quotes, role tags and template wrappers undone.
    return [t for m in msgs or [] if m.role in roles and m.content and (t := normalise_text(m.content))]


def comparable_text(rec: Record) -> str:
    """User + assistant content (chat/instruction), prompt + chosen (preference), or the text; normalised, so
    format-only copies compare equal (what dedup compares and embeds)."""
    if rec.messages is not None:
        return "\n".join(_turns(rec.messages))
    if rec.kind == "preference":
        return "\n".join(_turns(rec.prompt) + _turns(rec.chosen))
    return normalise_text(rec.text or "")


def comparable_parts(rec: Record) -> tuple[str, str | None, str | None]:
    """(comparable_text, prompt_text, answer_text) with each turn normalised once (chat/instruction records);
    other kinds: the three views as they are."""
    if rec.messages is None:
        return comparable_text(rec), prompt_text(rec), answer_text(rec)
    turns = [(m.role, t) for m in rec.messages if m.role in ("user", "assistant") and m.content
             and (t := normalise_text(m.content))]
    return ("\n".join(t for _, t in turns), "\n".join(t for r, t in turns if r == "user"),
            "\n".join(t for r, t in turns if r == "assistant"))


def answer_text(rec: Record) -> str | None:
    """What defines a chat or instruction example besides its prompt: the assistant turns (the chosen reply for
    preference data), normalised; None for kinds without answers. Two records with the same prompt and different
    answers are different examples."""
    if rec.messages is not None:
        return "\n".join(_turns(rec.messages, ("assistant",)))
    if rec.kind == "preference":
        return "\n".join(_turns(rec.chosen, ("assistant", "user")))
    return None


def prompt_text(rec: Record) -> str | None:
    """The user turns (the prompt of preference data), normalised; None for kinds without a prompt."""
    if rec.messages is not None:
        return "\n".join(_turns(rec.messages, ("user",)))
    if rec.kind == "preference":
        return "\n".join(_turns(rec.prompt, ("user",)))
    return None


def outputs_text(rec: Record) -> str:
    """What the model is trained to produce: assistant turns, the chosen reply, or the text."""
    if rec.messages is not None:
        return "\n".join(m.content for m in rec.messages if m.role == "assistant" and m.content)
    if rec.kind == "preference":
        return "\n".join(m.content for m in rec.chosen or [] if m.content)
    return rec.text or ""


def first_user_turn(rec: Record) -> str | None:
    msgs = rec.messages if rec.messages is not None else rec.prompt
    return next((m.content for m in msgs or [] if m.role == "user" and m.content), None)


def source_split(source: str) -> str | None:
    """train / validation / test when the export's file or folder name says so (e.g. 'chat_validation.jsonl')."""
    match = None
    for match in SPLIT_NAME.finditer(source.rsplit("!", 1)[-1]):
        pass  # the last match wins: 'train/old_test_notes' is a test file
    return _SPLITS[match.group(1).lower()] if match else None

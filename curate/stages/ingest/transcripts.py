"""Chat transcripts written as one string: "\n\nHuman: … \n\nAssistant: …" (Anthropic HH-RLHF), "### Human:" /
"### Assistant:" (Guanaco), "<|user|>" / "<|assistant|>" (Zephyr and other chat templates), "User:" / "Assistant:".
"""
from __future__ import annotations

import re

from curate.records import Message

# (name, pattern of one turn marker with a group for the speaker, strict): strict styles are recognised anywhere
# (they cannot occur by chance); "User:" lines only in fields that hold a conversation anyway.
STYLES: list[tuple[str, re.Pattern[str], bool]] = [
    ("hh", re.compile(r"(?:^|\n\n)(Human|Assistant|System):[ \t]?"), True),
    ("hash", re.compile(r"###[ \t]*(Human|Assistant|User|System)[ \t]*:[ \t]?"), True),  # Guanaco: no newline
    ("template", re.compile(r"<\|(user|assistant|system)\|>[ \t]*\n?"), True),
    ("colon", re.compile(r"(?:^|\n)(User|Assistant|System):[ \t]?"), False),
]
_ROLE = {"human": "user", "user": "user", "assistant": "assistant", "system": "system"}
_END_TOKENS = re.compile(r"(?:\s*(?:</s>|<\|end\|>|<\|endoftext\|>|<\|eot_id\|>))+\s*$")


def parse_transcript(text: str, strict_only: bool = True) -> tuple[str, list[Message]] | None:
    """(style, messages) when text is a transcript with at least one human/user turn; None otherwise. Text before
    the first marker becomes a system message; a trailing empty "Assistant:" (a prompt awaiting its reply) goes."""
    for style, pattern, strict in STYLES:
        if strict_only and not strict:
            continue
        marks = list(pattern.finditer(text))
        if not marks or not any(_ROLE[m.group(1).lower()] == "user" for m in marks):
            continue
        msgs: list[Message] = []
        head = text[: marks[0].start()].strip()
        if head:
            msgs.append(Message(role="system", content=head))
        for i, m in enumerate(marks):
            end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
            body = _END_TOKENS.sub("", text[m.end():end]).strip()
            msgs.append(Message(role=_ROLE[m.group(1).lower()], content=body))
        if msgs and msgs[-1].role == "assistant" and not msgs[-1].content:
            msgs.pop()
        return style, msgs
    return None

"""Records -> token ids and labels through the model's chat template; loss only on assistant tokens.

Per kind:
- chat / instruction: the messages as they are; every assistant turn is supervised. A KTO-labelled chat
  (label False: an undesirable completion) is left out of training: SFT on it would teach what it marks as bad.
- preference: **chosen-only SFT** on prompt + chosen. Why not a DPO step: DPO needs a frozen reference model's
  log-probabilities of both replies (twice the forward passes in the two-minute budget), and its loss at
  initialisation is ln 2 for every pair, so a 20-step curve says little. The smoke run asks whether the data fits
  the template and is learnable; the chosen replies answer that, and validation already rejects pairs whose
  chosen reply is empty or identical to the rejected one.
- classification: user = text, assistant = label.
- text: plain language-model loss on every token, no chat template.

Tool calls of an assistant turn are appended to its content as JSON (what the model would have to emit); tool
definitions (`Record.tools`) are not rendered: few small chat templates accept them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from curate.records import Message, Record

IGNORE = -100
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
          "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")


@dataclass
class Example:
    input_ids: list[int]
    labels: list[int]  # IGNORE where not supervised; aligned with input_ids (the loss shifts)
    final_labels: list[int]  # only the last supervised turn: the input-dependence check compares these
    kind: str
    target: str  # the last supervised turn's text, for the output-diversity statistic
    content_tokens: int  # supervised content tokens before truncation (template markers excluded)
    content_tokens_kept: int  # after truncation
    context: list[dict[str, Any]] | None = None  # the messages before the last supervised turn (chat kinds)
    final_message: dict[str, Any] | None = None
    record_id: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def supervised(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


def _as_dict(m: Message) -> dict[str, Any]:
    body = m.content or ""
    if m.tool_calls:
        body += json.dumps([c.model_dump(exclude_none=True) for c in m.tool_calls], ensure_ascii=False)
    return {"role": m.role, "content": body}


def conversation(rec: Record) -> tuple[list[dict[str, Any]], list[bool]] | None:
    """(messages, supervised flags) for the chat-shaped kinds; None for text and for undesirable KTO rows."""
    if rec.kind in ("chat", "instruction"):
        if rec.label is False:
            return None
        msgs = [_as_dict(m) for m in rec.messages or []]
        return msgs, [m["role"] == "assistant" for m in msgs]
    if rec.kind == "preference":
        prompt = [_as_dict(m) for m in rec.prompt or []]
        chosen = [_as_dict(m) for m in rec.chosen or []]
        return prompt + chosen, [False] * len(prompt) + [m["role"] == "assistant" for m in chosen]
    if rec.kind == "classification":
        return [{"role": "user", "content": rec.text or ""},
                {"role": "assistant", "content": "" if rec.label is None else str(rec.label)}], [False, True]
    return None


class Formatter:
    def __init__(self, tokenizer, max_seq_len: int):
        self.tok = tokenizer
        self.max_len = max_seq_len
        if not getattr(tokenizer, "chat_template", None):
            tokenizer.chat_template = CHATML  # base models without a template: ChatML, as SmolLM2 uses
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    def _render(self, msgs: list[dict[str, Any]], gen: bool = False) -> str:
        return self.tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=gen)

    def chat(self, msgs: list[dict[str, Any]], sup: list[bool], kind: str, rid: str = "") -> Example:
        """Character spans of each supervised turn (content plus the template's end-of-turn marker, not its
        header), then token labels from the tokenizer's offsets: works for any template whose renderings of
        successive prefixes extend each other, with a content search as the fallback."""
        full = self._render(msgs)
        spans: list[tuple[int, int, int, int]] = []  # (turn start, turn end, content start, content end)
        cursor = 0
        for i, m in enumerate(msgs):
            upto = self._render(msgs[: i + 1])
            turn_end = len(upto) if full.startswith(upto) else None
            if sup[i]:
                content = m["content"]
                head = self._render(msgs[:i], gen=True) if i else ""
                start = len(head) if head and full.startswith(head) else None
                cs = full.find(content, start if start is not None else cursor) if content else -1
                if cs < 0:
                    cs = start if start is not None else cursor
                ce = cs + len(content) if content else cs
                spans.append((start if start is not None else cs, turn_end or ce, cs, ce))
            cursor = turn_end if turn_end is not None else cursor
        enc = self.tok(full, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        labels, final, content_flags = [IGNORE] * len(ids), [IGNORE] * len(ids), [False] * len(ids)
        for j, (a, b) in enumerate(offsets):
            for k, (ts, te, cs, ce) in enumerate(spans):
                if ts <= a < te and b > a:
                    labels[j] = ids[j]
                    if k == len(spans) - 1:
                        final[j] = ids[j]
                    content_flags[j] = cs <= a < ce
                    break
        last = max((i for i, s in enumerate(sup) if s), default=None)
        return self._finish(ids, labels, final, content_flags, kind, rid,
                            target=msgs[last]["content"] if last is not None else "",
                            context=msgs[:last] if last is not None else None,
                            final_message=msgs[last] if last is not None else None)

    def text(self, text: str, kind: str = "text", rid: str = "") -> Example:
        ids = list(self.tok(text, add_special_tokens=True)["input_ids"])
        content = [True] * len(ids)
        if self.tok.eos_token_id is not None:
            ids.append(self.tok.eos_token_id)
            content.append(False)
        return self._finish(ids, list(ids), list(ids), content, kind, rid, target=text)

    def _finish(self, ids, labels, final, content_flags, kind, rid, target, context=None,
                final_message=None) -> Example:
        before = sum(1 for lab, c in zip(labels, content_flags) if lab != IGNORE and c)
        n = self.max_len
        kept = sum(1 for lab, c in zip(labels[:n], content_flags[:n]) if lab != IGNORE and c)
        return Example(ids[:n], labels[:n], final[:n], kind, target, before, kept, context, final_message, rid)

    def record(self, rec: Record) -> Example | None:
        conv = conversation(rec)
        if conv is not None:
            return self.chat(conv[0], conv[1], rec.kind, rec.id)
        if rec.kind == "text":
            return self.text(rec.text or "", "text", rec.id)
        return None  # undesirable KTO completion

    def swapped(self, ex: Example, other: Example) -> Example | None:
        """ex's last supervised turn after other's context: the mismatched-prompt control."""
        if ex.final_message is None or other.context is None:
            return None
        msgs = list(other.context) + [ex.final_message]
        return self.chat(msgs, [False] * (len(msgs) - 1) + [True], ex.kind, ex.record_id)

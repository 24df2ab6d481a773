"""Validate every record: its kind's JSON Schema, chat-structure rules, user output schemas, allowed labels,
token limits. Scores first (findings per rule), decisions second (each rule's severity from config)."""
from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from jsonschema import Draft202012Validator

from curate.stages.validate.config import ValidateConfig
from curate.stages.ingest.repair import REPAIRS
from curate.mapping import Mapper, forked, in_process, shards
from curate.stage import counts as stage_counts
from curate.records import Message, Record, Reject, StageResult
from curate.stages.validate.schemas import kind_validator, load_user_schema
from curate.stages.validate.config import NAME as STAGE

KNOWN_ROLES = {"system", "user", "assistant", "tool"}
# {{name}}, {{ customer.email }}; not "{{ ... }}" or "{{ . }}", which code answers about templating use.
PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_][\w.\-]{0,40}\s*\}\}")
EXAMPLES_PER_RULE = 5

# rule -> (default severity, what it catches). Severity: error rejects, warn counts and keeps, off skips.
RULES: dict[str, tuple[str, str]] = {
    "schema": ("error", "the record does not match its kind's JSON Schema"),
    "unexpected_field": ("error", "the source record has a field its format does not define"),
    "unknown_role": ("error", "a turn whose role is not system, user, assistant or tool"),
    "empty_content": ("error", "a turn with missing, empty or whitespace-only content (tool-call turns excepted)"),
    "no_assistant_turn": ("error", "nothing for the model to learn from"),
    "last_not_assistant": ("error", "the conversation does not end with the assistant"),
    "system_not_first": ("error", "a system message after the first turn"),
    "consecutive_roles": ("error", "two consecutive turns of the same role"),
    "tool_arguments_invalid": ("error", "tool call arguments are not valid JSON"),
    "tool_arguments_double_encoded": ("error", "tool call arguments are JSON encoded twice"),
    "preference_empty_chosen": ("error", "the chosen reply is empty"),
    "preference_identical": ("error", "chosen and rejected are identical"),
    "preference_prompt_mismatch": ("error", "chosen and rejected continue different prompts"),
    "placeholder": ("error", "an unfilled template placeholder such as {{name}}"),
    "missing_system": ("warn", "no system message (fine-tuning works without one)"),
    "missing_user": ("warn", "no user turn: the assistant answers nothing"),
    "output_not_json": ("error", "a structured output that does not parse as JSON"),
    "output_schema": ("error", "a structured output that does not satisfy the configured schema"),
    "label_not_allowed": ("error", "a classification label outside the allowed set"),
    "too_many_tokens": ("error", "longer than validate.max_tokens"),
    # Repairs made at ingest (curate.stages.ingest.repair): counted and kept; raise one to error to refuse such records.
    **{name: ("warn", f"repaired at ingest: {what}") for name, what in REPAIRS.items()},
}


@dataclass(frozen=True)
class Finding:
    rule: str
    pointer: str  # JSON pointer into the canonical record
    detail: str  # names the rule's subject, never quotes the content

    def __str__(self) -> str:
        return f"{self.rule} at {self.pointer or '/'}: {self.detail}"


def _content_findings(msgs: list[Message], base: str) -> list[Finding]:
    out = []
    for i, m in enumerate(msgs):
        ptr = f"{base}/{i}"
        if m.role not in KNOWN_ROLES:
            out.append(Finding("unknown_role", f"{ptr}/role", "role is not system, user, assistant or tool"))
        if not m.tool_calls and (m.content is None or not m.content.strip()):
            out.append(Finding("empty_content", f"{ptr}/content", "content is missing or blank"))
        if m.content and PLACEHOLDER.search(m.content):
            out.append(Finding("placeholder", f"{ptr}/content", "unfilled {{...}} placeholder"))
        for j, call in enumerate(m.tool_calls or []):
            cptr = f"{ptr}/tool_calls/{j}/function/arguments"
            try:
                args = json.loads(call.function.arguments)
            except json.JSONDecodeError:
                out.append(Finding("tool_arguments_invalid", cptr, "arguments are not valid JSON"))
                continue
            if isinstance(args, str):
                try:
                    json.loads(args)
                    out.append(Finding("tool_arguments_double_encoded", cptr, "arguments are a JSON string of JSON"))
                except json.JSONDecodeError:
                    pass
    return out


def _order_findings(msgs: list[Message], base: str, needs_end: bool = True, chat: bool = True) -> list[Finding]:
    out = []
    roles = [m.role for m in msgs]
    for i, role in enumerate(roles):
        if role == "system" and i > 0:
            out.append(Finding("system_not_first", f"{base}/{i}", "system message after the first turn"))
        if i and role == roles[i - 1] and role in ("user", "assistant"):
            out.append(Finding("consecutive_roles", f"{base}/{i}", f"two {role} turns in a row"))
    if needs_end:
        if "assistant" not in roles:
            out.append(Finding("no_assistant_turn", base, "no assistant turn"))
        elif roles[-1] != "assistant":
            out.append(Finding("last_not_assistant", f"{base}/{len(roles) - 1}", "last turn is not the assistant's"))
        if "system" not in roles and chat:  # instruction data has no system turn by nature
            out.append(Finding("missing_system", base, "no system message"))
        if "user" not in roles:
            out.append(Finding("missing_user", base, "no user turn"))
    return out


def structure_findings(rec: Record) -> list[Finding]:
    """Chat-structure rules beyond JSON Schema (compare OpenAI's data checks and torchtune's validation)."""
    if rec.messages is not None:
        return _content_findings(rec.messages, "/messages") + _order_findings(rec.messages, "/messages", chat=rec.kind == "chat")
    if rec.kind == "preference" and rec.prompt and rec.chosen is not None and rec.rejected is not None:
        out = _content_findings(rec.prompt, "/prompt") + _order_findings(rec.prompt, "/prompt", needs_end=False)
        for side in ("chosen", "rejected"):
            msgs = getattr(rec, side)
            out += [f for f in _content_findings(msgs, f"/{side}")
                    if not (side == "chosen" and f.rule == "empty_content")]
            if any(m.role != "assistant" for m in msgs):
                out.append(Finding("preference_prompt_mismatch", f"/{side}", "holds non-assistant turns: the two "
                                   "transcripts continue different prompts"))
        if not any((m.content or "").strip() or m.tool_calls for m in rec.chosen):
            out.append(Finding("preference_empty_chosen", "/chosen", "chosen reply is empty"))
        elif rec.chosen == rec.rejected:
            out.append(Finding("preference_identical", "/rejected", "rejected is identical to chosen"))
        return out
    if rec.text is not None and PLACEHOLDER.search(rec.text):
        return [Finding("placeholder", "/text", "unfilled {{...}} placeholder")]
    return []


def schema_findings(rec: Record) -> list[Finding]:
    instance = rec.model_dump(mode="json", exclude_none=True)
    validator = kind_validator(rec.kind)
    return [Finding("schema", "/" + "/".join(str(p) for p in err.absolute_path), f"{err.validator} rule failed")
            for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))]


class OutputChecks:
    """Structured-output schemas and allowed labels, matched to records by their source path."""

    def __init__(self, cfg: ValidateConfig, base_dir: Path):
        self.rules = [(o.glob, load_user_schema(base_dir / o.file())) for o in cfg.output_schemas]
        self.labels = set(cfg.allowed_labels) if cfg.allowed_labels else None

    def findings(self, rec: Record) -> list[Finding]:
        out: list[Finding] = []
        if rec.kind == "classification" and self.labels is not None and rec.label not in self.labels:
            out.append(Finding("label_not_allowed", "/label", "label is not in validate.allowed_labels"))
        validators = [v for glob, v in self.rules if fnmatch.fnmatch(rec.provenance.source, glob)]
        for validator in validators:
            out += self._outputs(rec, validator)
        return out

    def _outputs(self, rec: Record, validator: Draft202012Validator) -> list[Finding]:
        if rec.kind == "classification":
            return [Finding("output_schema", "/label", f"label fails the schema's {e.validator} rule")
                    for e in validator.iter_errors(rec.label)]
        targets: list[tuple[str, str | None]] = []
        if rec.messages is not None:
            targets = [(f"/messages/{i}/content", m.content) for i, m in enumerate(rec.messages)
                       if m.role == "assistant" and not m.tool_calls]
        elif rec.kind == "preference":
            targets = [(f"/chosen/{i}/content", m.content) for i, m in enumerate(rec.chosen or []) if m.role == "assistant"]
        out = []
        for ptr, text in targets:
            try:
                value = json.loads(text or "")
            except json.JSONDecodeError as exc:
                out.append(Finding("output_not_json", ptr, f"not JSON ({exc.msg} at column {exc.colno})"))
                continue
            for err in validator.iter_errors(value):
                where = "/" + "/".join(str(p) for p in err.absolute_path)
                out.append(Finding("output_schema", ptr, f"{err.validator} rule failed at {where}"))
        return out


SHARD = 1_000


def record_findings(records: Sequence[Record], cfg: ValidateConfig, base_dir: Path) -> list[tuple[list[Finding], int | None]]:
    """Every rule's findings and the token count of each record: the per-record work, shardable."""
    outputs = OutputChecks(cfg, base_dir)
    findings: list[list[Finding]] = []
    for rec in records:
        found = schema_findings(rec) + structure_findings(rec) + outputs.findings(rec)
        for name in rec.metadata.get("repairs") or []:
            if name in REPAIRS:
                found.append(Finding(name, "/", "repaired at ingest"))
        extra = rec.metadata.get("unexpected_fields")
        if extra:
            # the field names are input text: counted, never quoted
            found.append(Finding("unexpected_field", "/", f"{len(extra)} field(s) its format does not define"))
        findings.append(found)
    counts: list[int | None] = [None] * len(records)
    if cfg.count_tokens and records:
        from curate.tokens import count_tokens

        counts = list(count_tokens(list(records), cfg.tokenizer))
        for found, n in zip(findings, counts):
            if n > cfg.max_tokens:
                found.append(Finding("too_many_tokens", "/", f"{n} tokens > {cfg.max_tokens}"))
    return list(zip(findings, counts))


def validate(records: list[Record], cfg: ValidateConfig, base_dir: Path = Path("."),
             mapper: Mapper = in_process) -> StageResult:
    severity = {rule: cfg.severity.get(rule, default) for rule, (default, _) in RULES.items()}
    OutputChecks(cfg, base_dir)  # a broken user schema stops the run here, before any shard is sent out
    if mapper is in_process:  # CPU-bound schema checks and tokenising: one process per core
        mapper = forked
    per_record = [fc for part in mapper(STAGE, partial(record_findings, cfg=cfg, base_dir=base_dir),
                                        shards(records, SHARD)) for fc in part]
    findings = [f for f, _ in per_record]
    token_counts = [n for _, n in per_record] if cfg.count_tokens and records else []

    kept, rejected = [], []
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    for i, (rec, found) in enumerate(zip(records, findings)):
        active = [f for f in found if severity[f.rule] != "off"]
        for rule in sorted({f.rule for f in active}):
            counts[rule] += 1
            if len(examples[rule]) < EXAMPLES_PER_RULE:
                examples[rule].append(rec.provenance.where())
        errors = [f for f in active if severity[f.rule] == "error"]
        if token_counts:
            rec.metadata["tokens"] = token_counts[i]
        warnings = sorted({f.rule for f in active if severity[f.rule] == "warn"})
        if warnings:
            rec.metadata["warnings"] = warnings
        if errors:
            more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
            rejected.append(Reject(id=rec.id, provenance=rec.provenance, stage=STAGE,
                                   reason="; ".join(str(f) for f in errors[:3]) + more))
        else:
            kept.append(rec)
    stats = stage_counts(len(records), kept, rejected,
                         failure_rate=round(len(rejected) / len(records), 6) if records else 0.0)
    stats.update({f"rule.{rule}": n for rule, n in sorted(counts.items())})
    if token_counts:
        ordered = sorted(token_counts)
        stats.update({"tokens.total": sum(ordered), "tokens.min": ordered[0], "tokens.max": ordered[-1],
                      "tokens.mean": round(sum(ordered) / len(ordered), 2),
                      "tokens.p50": ordered[len(ordered) // 2], "tokens.p95": ordered[int(len(ordered) * 0.95)]})
    details = {"examples": dict(sorted(examples.items())), "severity": severity}
    return StageResult(kept, rejected, stats, details)

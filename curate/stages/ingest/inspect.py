"""The table of input files (shape read as, records read, rejected at ingest and validation, top reason) that
`curate run` prints before the slow stages and `curate inspect` prints alone; the metrics behind the default
`source_coverage` gate; and the sentence that names the file which lost the most."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.stages.ingest.sources import detect_format
from curate.fmt import text_table
from curate.records import Reject, StageResult, rules_in
from curate.stages.order import STAGES, names_where


@dataclass
class SourceRow:
    source: str
    shapes: Counter[str] = field(default_factory=Counter)
    read: int = 0  # records in at ingest (read or rejected there)
    rejected: int = 0  # at ingest and validation
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def shape(self) -> str:
        if not self.shapes:  # nothing read: say what the file looked like from its name
            fmt = detect_format(self.source.rsplit("!", 1)[-1])
            return f"{fmt}, nothing read" if fmt else "unsupported type"
        top = sorted(self.shapes.items(), key=lambda kv: (-kv[1], kv[0]))
        return top[0][0] + (f" (+{len(top) - 1} more)" if len(top) > 1 else "")

    @property
    def loss(self) -> float:
        return self.rejected / self.read if self.read else 0.0

    @property
    def top_reason(self) -> str:
        if not self.reasons:
            return ""
        reason, n = sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        return f"{reason} ({n})"


def reason_key(rej: Reject, by_rule: set[str]) -> str:
    """A reason without its locators and pointers: 'consecutive_roles at /messages/2: ...' -> 'consecutive_roles'.
    by_rule: the stages whose reasons are counted by rule."""
    if rej.stage in by_rule:
        return rules_in(rej.reason)
    return rej.reason.split(" (")[0] if rej.reason.startswith(("invalid JSON", "record larger")) else rej.reason


def source_rows(stages: list[tuple[str, StageResult]]) -> list[SourceRow]:
    """One row per input file of this run, from the reading stage's results and the losses of every stage that
    counts as a file's loss (ingest and validation; not erasure or dedup), in provenance order."""
    rows: dict[str, SourceRow] = {}
    lossy = names_where("counts_source_loss")
    if not stages or stages[0][0] not in names_where("reads_input"):
        return []
    read = stages[0][1]
    for rec in read.kept:
        row = rows.setdefault(rec.provenance.source, SourceRow(rec.provenance.source))
        row.read += 1
        row.shapes[str(rec.metadata.get("format", "unknown"))] += 1
    for rej in read.rejected:
        rows.setdefault(rej.provenance.source, SourceRow(rej.provenance.source)).read += 1
    by_rule = names_where("collapse_rule_reasons")
    for rej in (r for name, res in stages if name in lossy for r in res.rejected):
        row = rows.setdefault(rej.provenance.source, SourceRow(rej.provenance.source))
        row.rejected += 1
        row.reasons[reason_key(rej, by_rule)] += 1
    return [rows[k] for k in sorted(rows)]


def coverage_metrics(stages: list[tuple[str, StageResult]]) -> dict[str, float]:
    rows = source_rows(stages)
    if not rows:
        return {}
    return {"sources.files": len(rows), "sources.worst_loss_share": round(max(r.loss for r in rows), 6),
            "sources.files_losing_most": sum(1 for r in rows if r.loss > 0.5)}


def worst(stages: list[tuple[str, StageResult]]) -> SourceRow | None:
    rows = source_rows(stages)
    return max(rows, key=lambda r: (r.loss, r.rejected), default=None) if rows else None


def explain_coverage(gates: list[Any], stages: list[tuple[str, StageResult]]) -> list[Any]:
    """Add the file that lost the most, its shape and top reason to the source_coverage gate's sentence."""
    row = worst(stages)
    if row is None or not row.rejected:
        return gates
    detail = (f"worst file: {row.source} (read as {row.shape}) lost {row.rejected} of {row.read} records, "
              f"top reason: {row.top_reason}")
    for g in gates:
        if g.name == "source_coverage" and "worst file:" not in g.sentence:
            g.sentence += f"; {detail}"
            if g.status == "fail":  # tables that show the reason, not the sentence (curate check), name it too
                g.reason = f"{detail}. {g.reason}"
    return gates


def format_table(rows: list[SourceRow]) -> str:
    head = ["file", "shape", "read", "rejected", "top reason"]
    body = [[r.source, r.shape, str(r.read), str(r.rejected), r.top_reason] for r in rows]
    total = [f"{len(rows)} file(s)", "", str(sum(r.read for r in rows)), str(sum(r.rejected for r in rows)), ""]
    return text_table(head, [*body, total], right={2, 3})


def inspect(src: Path, cfg: Any) -> str:
    """`curate inspect FOLDER`: ingest and validate (without token counting, so it takes seconds), print the
    table. Nothing is written."""
    from curate.stage import RunContext

    quick = cfg.model_copy(update={"validate_": cfg.validate_.model_copy(update={"count_tokens": False})})
    ctx = RunContext(quick, src=src)
    records: list = []
    for stage in (s for s in STAGES if s.counts_source_loss):
        result = stage.run(records, ctx)
        ctx.done.append((stage.name, result))
        records = result.kept
    return format_table(source_rows(ctx.done))

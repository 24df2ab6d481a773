"""What every stage is: one name, one config section, `run(records, ctx) -> StageResult`.

The name is the one the report, the rejects, the lineage, the metrics (`name.stat`) and the gates use. The
pipeline (curate/pipeline.py) walks the declared list in curate/stages/order.py and never branches on a name:
what makes a stage special is said by its attributes here. A stage reads the records it is given; it may hand
its per-record work to `ctx.mapper` in shards (how shards run is the mapper's business, not the stage's).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from curate.mapping import Mapper, in_process
from curate.records import Record, Reject, StageResult

if TYPE_CHECKING:
    from curate.config import Config
    from curate.versions import Prior


@dataclass
class RunContext:
    """What a stage may read besides its records. `done` holds the earlier stages' results, in order."""
    cfg: Config
    progress: bool = False
    mapper: Mapper = in_process
    prior: Prior | None = None  # the latest version of a versioned output (--incremental), else None
    src: Path | None = None  # the input folder (the reading stage reads it)
    workdir: Path | None = None  # where a stage that writes files (smoke) puts them; publish copies them
    done: list[tuple[str, StageResult]] = field(default_factory=list)

    def detail(self, key: str) -> Any:
        """The latest earlier stage's detail under `key` (e.g. the subject index), or None."""
        return next((res.details[key] for _, res in reversed(self.done) if key in res.details), None)


class Stage:
    """A step of the pipeline. Subclasses set the class attributes and implement `run`."""

    name: ClassVar[str]
    section: ClassVar[str | None] = None  # the attribute of Config holding its settings
    reads_input: ClassVar[bool] = False  # the first stage: reads ctx.src, not records
    whole_version: ClassVar[bool] = False  # judges carried records of the prior version too (diversity)
    after_gates: ClassVar[bool] = False  # runs only once every earlier gate passed (smoke training)
    counts_source_loss: ClassVar[bool] = False  # its rejects are an input file's losses (source_coverage gate)
    closes_source_table: ClassVar[bool] = False  # after it, each input file's losses are final (shown then)
    duplicate_kind: ClassVar[str | None] = None  # "exact" / "near" / "semantic": lineage names the clusters
    input_duplicates: ClassVar[bool] = False  # its rejects count in dedup.input_duplicate_rate
    collapse_rule_reasons: ClassVar[bool] = False  # reasons are "rule at pointer; ...": counted by rule
    gates: ClassVar[list[dict[str, Any]]] = []  # default gates on its stats, as [gates.NAME] tables

    def settings(self, cfg: Config) -> Any:
        return getattr(cfg, self.section) if self.section else None

    def enabled(self, ctx: RunContext) -> bool:
        return getattr(self.settings(ctx.cfg), "enabled", True)

    def default_gates(self, cfg: Config) -> list[dict[str, Any]]:
        return list(self.gates)

    def preflight(self, ctx: RunContext) -> None:
        """Refuse a run that would fail here, before any stage does slow work (raise a curate error)."""

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        raise NotImplementedError

    def lineage_changes(self, rec: Record, duplicates: dict[str, list[str]]) -> list[str]:
        """What this stage did to a published record, in words for lineage.jsonl."""
        if not self.duplicate_kind:
            return []
        dups = duplicates.setdefault(self.duplicate_kind, [])  # lineage lists every kind, empty or not
        if dups:
            return [f"{self.duplicate_kind} dedup: kept as representative of a duplicate cluster of {len(dups) + 1}"]
        return []


def counts(records_in: int, kept: list[Record], rejected: list[Reject], **stats: Any) -> dict[str, Any]:
    """The counts every stage reports first, then its own stats."""
    return {"records_in": records_in, "kept": len(kept), "rejected": len(rejected), **stats}

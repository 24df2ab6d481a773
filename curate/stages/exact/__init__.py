"""Exact deduplication: one record per normalised payload."""
from __future__ import annotations

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.exact.config import NAME


class ExactDedup(Stage):
    name = NAME
    section = "dedup"
    duplicate_kind = "exact"
    input_duplicates = True

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        from curate.stages.exact.dedup import dedup_exact

        return dedup_exact(records, ctx.cfg.dedup, ctx.prior.exact if ctx.prior else None)

"""Diversity: how varied the curated set is (Vendi score, nearest neighbours, label balance). Removes nothing."""
from __future__ import annotations

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.diversity.config import NAME


class Diversity(Stage):
    name = NAME
    section = "diversity"
    whole_version = True

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        from curate.stages.diversity.measure import measure_diversity

        return measure_diversity(records, ctx.cfg.diversity, ctx.cfg.semantic_dedup, ctx.progress)

"""Near deduplication: MinHash LSH over word (or, for short texts, character) shingles. It runs before PII
scrubbing: it is cheap, and leaves fewer records for the expensive scan."""
from __future__ import annotations

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.near.config import NAME


class NearDedup(Stage):
    name = NAME
    section = "near_dedup"
    duplicate_kind = "near"
    input_duplicates = True

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        from curate.stages.near.minhash import dedup_near

        return dedup_near(records, ctx.cfg.near_dedup, ctx.progress, ctx.mapper,
                          ctx.prior.minhash if ctx.prior else None)

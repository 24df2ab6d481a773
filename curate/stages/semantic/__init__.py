"""Semantic deduplication (SemDeDup-style): records that say the same thing, by sentence embeddings. After PII
scrubbing, so no personal data reaches the embedding cache."""
from __future__ import annotations

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.semantic.config import NAME


class SemanticDedup(Stage):
    name = NAME
    section = "semantic_dedup"
    duplicate_kind = "semantic"

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        from curate.stages.semantic.dedup import dedup_semantic, reembedded

        prior = ctx.prior.embeddings if ctx.prior else None
        if prior is not None:
            prior = reembedded(prior, ctx.prior.records, ctx.cfg.semantic_dedup)
        return dedup_semantic(records, ctx.cfg.semantic_dedup, ctx.progress, ctx.mapper, prior)

"""Ingest: a folder of exports -> Records with provenance; a reject for everything that cannot be read."""
from __future__ import annotations

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.ingest.config import NAME


class Ingest(Stage):
    name = NAME
    section = "ingest"
    reads_input = True
    counts_source_loss = True

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        from curate.stages.ingest.folder import ingest

        return ingest(ctx.src, ctx.cfg, ctx.progress, ctx.mapper, ctx.prior.sources if ctx.prior else None)

    def lineage_changes(self, rec: Record, duplicates: dict[str, list[str]]) -> list[str]:
        return [f"{self.name}: repaired ({repair})" for repair in rec.metadata.get("repairs") or []]

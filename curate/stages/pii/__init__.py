"""PII scrubbing with Presidio for EU data.

Modules, one job each: config (PiiConfig), language (per-record detection), engine (Presidio + spaCy set-up and the
recognizer registry), recognizers (EU identifiers, addresses, phones: what Presidio lacks or gets wrong), names
(person names by context and shape, and the word lists behind them), context (context words per
language), resolve (false positives, thresholds, overlaps), operators (placeholder / pseudonym / mask, subject
hashes), residual (the independent check of the published text: plain shapes, imports nothing from the scrubber),
fields (a record's text fields and back), scrubber (one process's detection and replacement), stage (chunks,
workers, the outcome cache, stats).
"""
from __future__ import annotations

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.pii.config import NAME, PiiConfig

__all__ = ["NAME", "PiiConfig", "PiiError", "PiiScrub", "scrub"]


class PiiScrub(Stage):
    name = NAME
    section = "pii"

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        from curate.stages.pii.stage import scrub

        return scrub(records, ctx.cfg.pii, ctx.progress, ctx.mapper)

    def lineage_changes(self, rec: Record, duplicates: dict[str, list[str]]) -> list[str]:
        n = rec.metadata.get("pii_entities")
        return [f"{self.name}: scrubbed {n} entities"] if n else []


def __getattr__(name: str):
    # Presidio and spaCy take seconds to import: load them when the stage runs, not when config is read.
    if name in ("scrub", "PiiError"):
        import curate.stages.pii.stage as stage

        return getattr(stage, name)
    raise AttributeError(name)

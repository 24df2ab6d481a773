"""Validation: every record against its kind's JSON Schema and the content rules (`curate rules` lists them)."""
from __future__ import annotations

from pathlib import Path

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.validate.config import NAME


class Validate(Stage):
    name = NAME
    section = "validate_"
    counts_source_loss = True
    closes_source_table = True
    collapse_rule_reasons = True

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        from curate.stages.validate.rules import validate

        return validate(records, ctx.cfg.validate_, Path("."), ctx.mapper)

    def lineage_changes(self, rec: Record, duplicates: dict[str, list[str]]) -> list[str]:
        warnings = rec.metadata.get("warnings")
        return [f"{self.name}: passed with warnings ({', '.join(warnings)})"] if warnings else []

"""Exact deduplication settings."""
from __future__ import annotations

from pydantic import Field

from curate.section import Section

NAME = "exact_dedup"  # in the report, rejects, lineage, metrics and gates


class DedupConfig(Section):
    ignore_case: bool = Field(
        default=True, description="an upper- or lower-cased copy is the same example (format-only copies were 4% "
        "of the missed duplicates on benchmarks/dedup_eval.py); turn off where case carries meaning (code)"
    )

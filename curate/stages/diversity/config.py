"""Diversity measurement settings."""
from __future__ import annotations

from pydantic import Field

from curate.section import Section

NAME = "diversity"  # in the report, rejects, lineage, metrics and gates


class DiversityConfig(Section):
    sample: int = Field(default=2000, ge=10, description="records used for the O(n^2) metrics (Vendi, nearest neighbour)")
    seed: int = Field(default=0, description="which records are sampled")

"""Diversity measurement settings."""
from __future__ import annotations

from pydantic import Field

from curate.section import Section

NAME = "diversity"  # in the report, rejects, lineage, metrics and gates


class DiversityConfig(Section):
    sample: int = Field(default=1000, ge=10, description="records embedded for the embedding metrics (Vendi, nearest "
                        "neighbour, clusters). 1,000 instead of 2,000 halves the step (10k chats: 17.6 s); "
                        "vendi_normalised on ../shared/data's sets larger than 1,000 moved by 0.001-0.020, its "
                        "templated sets staying at 0.046-0.058 and llamafactory-demo at 0.438, far either side of the "
                        "diversity_floor gate's 0.10")
    seed: int = Field(default=0, description="which records are sampled")
    model: str = Field(default="minilm", description="embedding backend of the sample (see [semantic_dedup] model). "
                       "The transformer, not the static model: the diversity_floor gate is calibrated on it (templated "
                       "sets 0.02-0.08, real ones 0.20-0.72 on ../shared/data); the static model's vectors share one "
                       "direction and put the two groups at 0.01-0.04 and 0.04-0.24, overlapping. Its cost is bounded "
                       "by `sample`, whatever the size of the dataset")

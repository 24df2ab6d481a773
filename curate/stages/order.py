"""The stages in the order records flow through them, and the default gates on their metrics. This module and
the CLI are the only places that know a stage by name; everything else asks a stage's attributes.

Order matters for cost: cheap stages first, so the slow ones (NER, embeddings, training) see fewer records.
MinHash runs before PII scrubbing (cheap, fewer records to scan); embeddings after it (no personal data reaches
the embedding cache). A stage that is disabled in config, or has nothing to do (`enabled`), is skipped.
"""
from __future__ import annotations

from typing import Any

from curate.stage import Stage
from curate.stages.diversity import Diversity
from curate.stages.erasure import KeepOutErased, KeepOutErasedSubjects
from curate.stages.exact import ExactDedup
from curate.stages.ingest import Ingest
from curate.stages.near import NearDedup
from curate.stages.pii import PiiScrub
from curate.stages.semantic import SemanticDedup
from curate.stages.smoke import SmokeTrain
from curate.stages.validate import Validate

STAGES: list[Stage] = [
    Ingest(),
    KeepOutErased(),  # records erased by id, e.g. re-read from a changed file
    Validate(),
    ExactDedup(),
    NearDedup(),
    PiiScrub(),
    KeepOutErasedSubjects(),  # needs the subject index the PII stage computes
    SemanticDedup(),
    Diversity(),
    SmokeTrain(),  # after the gates: only when every earlier gate passed
]


def stage_named(name: str) -> Stage | None:
    return next((s for s in STAGES if s.name == name), None)


def names_where(attribute: str) -> set[str]:
    """The stages with a flag set, e.g. names_where("input_duplicates")."""
    return {s.name for s in STAGES if getattr(s, attribute)}


DEFAULT_GATES: list[dict[str, Any]] = [
    {"name": "enough_examples", "metric": "published.total", "op": ">=", "threshold": 100,
     "reason": "under 100 examples a fine-tune mostly learns noise; collect more data"},
    {"name": "examples_per_label", "metric": "diversity.label_min_count", "op": ">=", "threshold": 50,
     "reason": "a classifier needs about 50 examples of every label to learn it"},
    {"name": "schema_failure_rate", "metric": "validate.failure_rate", "op": "<=", "threshold": 0.02,
     "reason": "more than 2% invalid records means the export itself is broken"},
    {"name": "duplicate_rate", "metric": "dedup.input_duplicate_rate", "op": "<=", "threshold": 0.10,
     "reason": "over 10% exact or near duplicates over-weights a few examples and inflates evaluation"},
    {"name": "no_duplicates", "metric": "dedup.input_duplicate_rate", "op": "<=", "threshold": 0.0, "severity": "warn",
     "reason": "the input holds duplicates; they are removed, but the export that made them should be fixed"},
    {"name": "residual_identifiers", "metric": "pii_scrub.residual", "op": "==", "threshold": 0,
     "reason": "direct identifiers (emails, phones, IBANs, cards, national ids) must not reach model weights"},
    {"name": "diversity_floor", "metric": "diversity.vendi_normalised", "op": ">=", "threshold": 0.10,
     "reason": "near-identical examples teach one pattern; calibrated on ../shared/data, where templated sets "
               "score 0.02-0.06 and real instruction sets 0.19-0.49"},
    {"name": "first_turn_repetition", "metric": "diversity.first_turn_top_share", "op": "<=", "threshold": 0.20,
     "severity": "warn", "reason": "one opening message in over 20% of chats makes the model answer it by rote"},
    {"name": "token_limit", "metric": "validate.rule.too_many_tokens", "op": "==", "threshold": 0, "default": 0,
     "severity": "warn", "reason": "records over validate.max_tokens would be truncated in training"},
    {"name": "label_conflicts", "metric": "semantic_dedup.label_conflicts", "op": "==", "threshold": 0, "default": 0,
     "severity": "warn", "reason": "near-identical texts with different labels teach the classifier both answers; "
               "both are kept: relabel or remove one (the report lists both locators)"},
    {"name": "source_coverage", "metric": "sources.worst_loss_share", "op": "<=", "threshold": 0.5,
     "reason": "an input file that loses more than half its records at ingest and validation was probably read in "
               "the wrong shape or is broken; no source is lost silently (`curate inspect` shows every file)"},
]

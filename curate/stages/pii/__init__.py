"""PII scrubbing with Presidio for EU data: `scrub(records, cfg) -> StageResult`.

Modules, one job each: config (PiiConfig), language (per-record detection), engine (Presidio + spaCy set-up and the
recognizer registry), recognizers (EU identifiers, addresses, phones: what Presidio lacks or gets wrong), names
(person names by context and shape, and the word lists behind them), context (context words per
language), resolve (false positives, thresholds, overlaps), operators (placeholder / pseudonym / mask, subject
hashes), residual (the independent check of the published text: plain shapes, imports nothing from the scrubber),
stage (batching, workers, stats).
"""
import curate.config  # noqa: F401  first: it defines _Section and then imports curate.stages.pii.config (a cycle)
from curate.stages.pii.config import PiiConfig

STAGE = "pii_scrub"
__all__ = ["PiiConfig", "PiiError", "STAGE", "scrub"]


def __getattr__(name: str):
    # Presidio and spaCy take seconds to import: load them when the stage runs, not when config is read.
    if name in ("scrub", "PiiError"):
        from curate.stages.pii import stage

        return getattr(stage, name)
    raise AttributeError(name)

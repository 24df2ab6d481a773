"""LoRA smoke training: the last gate. A short LoRA run on a sample of the curated data shows whether it is
learnable, fits the chat template and leaves the base model intact, before anyone pays for a real run.

Modules: config (SmokeConfig), plan (steps and length for the time budget), format (chat template, labels),
model (SmolLM2 or the tiny test model), train (the run), checks (gates and their sentences), stage (outputs).
"""
from __future__ import annotations

from typing import Any

from curate.records import Record, StageResult
from curate.stage import RunContext, Stage
from curate.stages.smoke.config import NAME, SmokeConfig

__all__ = ["NAME", "SmokeConfig", "SmokeTrain", "smoke_train"]


class SmokeTrain(Stage):
    name = NAME
    section = "smoke"
    after_gates = True

    def default_gates(self, cfg: Any) -> list[dict[str, Any]]:
        from curate.stages.smoke.checks import smoke_gates

        return smoke_gates(cfg.smoke)

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        """On the train split, judged on the validation split publish will write (carried records keep theirs)."""
        from curate.splits import split_by_dataset

        fixed = ctx.prior.placement if ctx.prior else None
        validation = [r for recs in split_by_dataset(records, ctx.cfg, fixed).values() for r in recs[1]]
        return smoke_train(records, ctx.cfg.smoke, ctx.workdir, ctx.progress, validation=validation)


def smoke_train(*args: Any, **kwargs: Any) -> StageResult:
    from curate.stages.smoke.stage import smoke_train as train  # torch loads when the stage runs

    return train(*args, **kwargs)

"""The stages in order, the gates, then publishing. `call` decides how each stage runs: directly, or as a
Prefect task (flows/). `curate check` runs the same stages and gates and writes nothing but its report."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.config import Config
from curate.dedup_exact import dedup_exact
from curate.dedup_minhash import dedup_near
from curate.dedup_semantic import dedup_semantic
from curate.diversity import measure_diversity
from curate.gates import GateResult, collect_metrics, effective_gates, evaluate, failed
from curate.ingest import ingest
from curate.publish import PublishSummary, check_output, dataset_name, publish, split_by_dataset
from curate.records import Record, StageResult, is_timing
from curate.smoke.checks import smoke_gates
from curate.validate import validate

StageCall = Callable[..., Any]


def call_directly(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


@dataclass
class StagesOutcome:
    records: list[Record]
    stages: list[tuple[str, StageResult]]
    metrics: dict[str, float]
    gates: list[GateResult]

    @property
    def passed(self) -> bool:
        return not failed(self.gates)


def run_stages(src: Path, cfg: Config, *, progress: bool = True, call: StageCall = call_directly) -> StagesOutcome:
    """Every stage up to the gates; nothing is written."""
    ingested: StageResult = call("ingest", ingest, src, cfg, progress)
    stages: list[tuple[str, StageResult]] = [("ingest", ingested)]
    current = ingested.kept
    steps: list[tuple[str, Callable[..., StageResult], tuple[Any, ...]]] = [
        ("validate", validate, (cfg.validate_,)),
        ("exact_dedup", dedup_exact, (cfg.dedup,)),
        # MinHash before PII scrubbing (cheap, fewer records to scan); embeddings after it.
        *([("near_dedup", dedup_near, (cfg.near_dedup, progress))] if cfg.near_dedup.enabled else []),
        *([("pii_scrub", scrub_pii, (cfg.pii, progress))] if cfg.pii.enabled else []),
        *([("semantic_dedup", dedup_semantic, (cfg.semantic_dedup, progress))] if cfg.semantic_dedup.enabled else []),
        ("diversity", measure_diversity, (cfg.diversity, cfg.semantic_dedup, progress)),
    ]
    for name, fn, args in steps:
        result: StageResult = call(name, fn, current, *args)
        stages.append((name, result))
        current = result.kept
    published: dict[str, int] = {}
    for rec in current:
        published[dataset_name(rec)] = published.get(dataset_name(rec), 0) + 1
    metrics = collect_metrics(stages, published)
    return StagesOutcome(current, stages, metrics, evaluate(effective_gates(cfg, smoke_gates(cfg.smoke)), metrics))


def scrub_pii(records: list[Record], cfg: Any, progress: bool) -> StageResult:
    from curate.pii import scrub  # Presidio and spaCy load only when the stage runs

    return scrub(records, cfg, progress)


def run_smoke(records: list[Record], cfg: Config, smoke_dir: Path, progress: bool) -> StageResult:
    """The LoRA smoke run on the train split, judged on the validation split publish will write."""
    from curate.smoke import smoke_train

    validation = [r for recs in split_by_dataset(records, cfg).values() for r in recs[1]]
    return smoke_train(records, cfg.smoke, smoke_dir, progress, validation=validation)


def run_pipeline(src: Path, out: Path, cfg: Config, *, force: bool = False, progress: bool = True,
                 call: StageCall = call_directly, smoke: str = "auto") -> PublishSummary:
    """smoke: 'auto' runs the smoke gate only when every earlier gate passed; 'force' always; 'skip' never."""
    check_output(out, force)  # fail before the slow work, not after it
    outcome = run_stages(src, cfg, progress=progress, call=call)
    stages, gates = outcome.stages, outcome.gates
    smoke_dir = None
    if cfg.smoke.enabled and smoke != "skip" and (outcome.passed or smoke == "force") and outcome.records:
        out.parent.mkdir(parents=True, exist_ok=True)
        smoke_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.smoke-", dir=out.parent))
        try:
            smoked: StageResult = call("smoke", run_smoke, outcome.records, cfg, smoke_dir, progress)
        except BaseException:
            shutil.rmtree(smoke_dir, ignore_errors=True)
            raise
        stages = [*stages, ("smoke", smoked)]
        outcome.metrics.update({f"smoke.{k}": v for k, v in smoked.stats.items()
                                if isinstance(v, (int, float)) and not isinstance(v, bool) and not is_timing(k)})
        gates = evaluate(effective_gates(cfg, smoke_gates(cfg.smoke)), outcome.metrics)
    # A failed gate still publishes the report and rejects, marked not publishable, so people can see why.
    return call("publish", publish, outcome.records, stages, out, cfg, force, gates, outcome.metrics, smoke_dir)

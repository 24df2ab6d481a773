"""The stages in order, the gates, then publishing. `call` decides how each stage runs: directly, or as a
Prefect task (flows/). `curate check` runs the same stages and gates and writes nothing but its report."""
from __future__ import annotations

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
from curate.publish import PublishSummary, check_output, dataset_name, publish
from curate.records import Record, StageResult
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
    return StagesOutcome(current, stages, metrics, evaluate(effective_gates(cfg), metrics))


def run_pipeline(src: Path, out: Path, cfg: Config, *, force: bool = False, progress: bool = True,
                 call: StageCall = call_directly) -> PublishSummary:
    check_output(out, force)  # fail before the slow work, not after it
    outcome = run_stages(src, cfg, progress=progress, call=call)
    # A failed gate still publishes the report and rejects, marked not publishable, so people can see why.
    return call("publish", publish, outcome.records, outcome.stages, out, cfg, force, outcome.gates, outcome.metrics)

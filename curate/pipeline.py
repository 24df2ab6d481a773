"""The stages in order. `call` decides how each stage runs: directly, or as a Prefect task (flows/)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from curate.config import Config
from curate.dedup_exact import dedup_exact
from curate.dedup_minhash import dedup_near
from curate.dedup_semantic import dedup_semantic
from curate.diversity import measure_diversity
from curate.ingest import ingest
from curate.publish import PublishSummary, check_output, publish
from curate.records import StageResult
from curate.validate import validate

StageCall = Callable[..., Any]


def call_directly(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def run_pipeline(src: Path, out: Path, cfg: Config, *, force: bool = False, progress: bool = True,
                 call: StageCall = call_directly) -> PublishSummary:
    check_output(out, force)  # fail before the slow work, not after it
    stages: list[tuple[str, StageResult]] = []
    ingested: StageResult = call("ingest", ingest, src, cfg, progress)
    stages.append(("ingest", ingested))
    validated: StageResult = call("validate", validate, ingested.kept, cfg.validate_)
    stages.append(("validate", validated))
    current = validated.kept
    steps: list[tuple[str, Callable[..., StageResult], tuple[Any, ...]]] = [
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
    return call("publish", publish, current, stages, out, cfg, force)

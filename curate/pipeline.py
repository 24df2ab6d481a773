"""The stages in order. `call` decides how each stage runs: directly, or as a Prefect task (flows/)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from curate.config import Config
from curate.dedup_exact import dedup_exact
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
    deduped: StageResult = call("exact_dedup", dedup_exact, validated.kept, cfg.dedup)
    stages.append(("exact_dedup", deduped))
    return call("publish", publish, deduped.kept, stages, out, cfg, force)

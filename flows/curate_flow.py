"""The Prefect flow: the same stage functions as curate.pipeline, each run as a Prefect task; the report
becomes Prefect artifacts under stable keys, and a failed gate fails the flow run with the gate's sentence.

Tasks neither cache nor persist results: records carry personal data until the PII stage has run, and
Prefect must not write them to its result storage.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact, create_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from curate.config import load_config  # noqa: E402
from curate.gates import GateFailed  # noqa: E402
from curate.pipeline import run_pipeline  # noqa: E402

ARTIFACT_PREFIX = "curate"


def call_as_task(name: str, fn: Any, *args: Any) -> Any:
    # quote(): Prefect would otherwise walk every record looking for futures, which is slow on large inputs.
    stage_task = task(fn, name=name, cache_policy=NO_CACHE, persist_result=False)
    return stage_task(*(quote(a) for a in args))


def publish_artifacts(out: Path, key_prefix: str = ARTIFACT_PREFIX) -> None:
    """Verdict as Markdown, gates and funnel as tables: the same keys every run, so a deployment's runs line up."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    create_markdown_artifact(key=f"{key_prefix}-verdict", markdown=(out / "report.md").read_text(encoding="utf-8"),
                             description="curate verdict and report")
    create_table_artifact(key=f"{key_prefix}-gates", description="quality gates",
                          table=[{k: g[k] for k in ("name", "status", "metric", "value", "op", "threshold", "reason")}
                                 for g in manifest["gates"]])
    create_table_artifact(key=f"{key_prefix}-funnel", description="records in / kept / rejected per stage",
                          table=[{k: s[k] for k in ("stage", "records_in", "kept", "rejected")} for s in manifest["stages"]])


@flow(name="curate", persist_result=False)
def curate_flow(src: str, out: str, config_path: str | None = None, force: bool = False, progress: bool = True,
                seed: int | None = None, smoke: str = "auto", smoke_model: str | None = None) -> dict[str, Any]:
    # The config is loaded here, not passed in: flow parameters are stored by Prefect, and a config may hold
    # the PII key. Same lookup as the CLI: config_path, SRC/curate.toml, ./curate.toml, pyproject.toml.
    cfg = load_config(Path(config_path) if config_path else None, src=Path(src))
    if seed is not None:
        cfg.split.seed = seed
    if smoke_model:
        cfg.smoke.model = smoke_model
    summary = run_pipeline(Path(src), Path(out), cfg, force=force, progress=progress, call=call_as_task, smoke=smoke)
    publish_artifacts(Path(out))
    if not summary.publishable:
        raise GateFailed(" ".join(summary.failures))
    return {"out": summary.out, "records_in": summary.records_in, "published": summary.published,
            "rejected": summary.rejected, "datasets": summary.datasets}

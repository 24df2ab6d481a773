"""The Prefect flow: the same stage functions as curate.pipeline, each run as a Prefect task.

Tasks neither cache nor persist results: records carry personal data until the PII stage has run, and
Prefect must not write them to its result storage.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from curate.config import config_from_dict  # noqa: E402
from curate.pipeline import run_pipeline  # noqa: E402


def call_as_task(name: str, fn: Any, *args: Any) -> Any:
    # quote(): Prefect would otherwise walk every record looking for futures, which is slow on large inputs.
    stage_task = task(fn, name=name, cache_policy=NO_CACHE, persist_result=False)
    return stage_task(*(quote(a) for a in args))


@flow(name="curate", persist_result=False)
def curate_flow(src: str, out: str, config: dict[str, Any] | None = None, force: bool = False,
                progress: bool = True) -> dict[str, Any]:
    cfg = config_from_dict(config or {})
    summary = run_pipeline(Path(src), Path(out), cfg, force=force, progress=progress, call=call_as_task)
    return {"out": summary.out, "records_in": summary.records_in, "published": summary.published,
            "rejected": summary.rejected, "datasets": summary.datasets}

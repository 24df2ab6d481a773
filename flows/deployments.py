"""The scheduled deployment: `curate serve` (flow.serve) and prefect.yaml (`prefect deploy`) both run the curate
flow incrementally: each run curates the new exports into the next version under the output root."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from prefect.schedules import Cron, Interval


def parameters(src: Path, out: Path, config: Path | None, smoke: str = "auto", sharded: bool = False) -> dict:
    # Absolute paths: the runs start in their own processes, whose working folder may differ.
    return {"src": str(src.resolve()), "out": str(out.resolve()),
            "config_path": str(config.resolve()) if config else None, "progress": False, "smoke": smoke,
            "incremental": True, "sharded": sharded}


def serve(src: Path, out: Path, config: Path | None, *, cron: str = "0 2 * * *", interval: float | None = None,
          timezone: str = "UTC", name: str = "curate-scheduled", smoke: str = "auto", runner: str = "local",
          dask_address: str | None = None, dask_workers: int = 2) -> None:
    schedule = Interval(timedelta(seconds=interval)) if interval else Cron(cron, timezone=timezone)
    if runner == "dask":  # read when each run's process loads the flow
        os.environ["CURATE_DASK_WORKERS"] = str(dask_workers)
        if dask_address:
            os.environ["CURATE_DASK_ADDRESS"] = dask_address
        from flows.curate_flow import curate_flow_dask as flow
    else:
        from flows.curate_flow import curate_flow as flow
    # limit=1: a run that takes longer than the interval is not overlapped by the next (curate also locks the root)
    flow.serve(name=name, schedule=schedule, parameters=parameters(src, out, config, smoke, runner != "local"),
               limit=1, description=f"curate new exports in {src} into versions under {out}")

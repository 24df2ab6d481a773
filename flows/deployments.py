"""The scheduled deployment: `curate serve` (flow.serve) and prefect.yaml (`prefect deploy`) both run the curate
flow incrementally: each run curates the new exports into the next version under the output root."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from prefect.schedules import Cron, Interval

from flows.api import DEFAULT_STARTUP_S, STARTUP_ENV, PrefectUnavailable


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
    with prefect_server() as url:
        print(f"Prefect API: {url}", flush=True)
        flow.serve(name=name, schedule=schedule, parameters=parameters(src, out, config, smoke, runner != "local"),
                   limit=1, description=f"curate new exports in {src} into versions under {out}")


@contextmanager
def prefect_server(home: Path | None = None) -> Iterator[str]:
    """The Prefect API to serve against: PREFECT_API_URL when set; otherwise a local `prefect server start` for
    as long as serving lasts (schedules need a real server; the temporary one Prefect starts per process cannot
    schedule)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = os.environ.get("PREFECT_API_URL")
    if url:
        yield url
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api"
    log = (home or Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect"))).expanduser()
    log.mkdir(parents=True, exist_ok=True)
    with (log / "curate-serve-server.log").open("ab") as out:
        proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT)
    try:
        limit = float(os.environ.get(STARTUP_ENV) or DEFAULT_STARTUP_S)
        deadline = time.monotonic() + limit
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise PrefectUnavailable(
                        f"the local Prefect server did not start within {limit:g} s (its log: "
                        f"{log / 'curate-serve-server.log'}); point PREFECT_API_URL at a running Prefect server, "
                        f"or raise {STARTUP_ENV}.") from None
                time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = url  # flow runs start in their own processes and read it from there
        with temporary_settings({PREFECT_API_URL: url}):
            yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

"""The Prefect API a flow talks to: PREFECT_API_URL when set, else Prefect's temporary per-process server.

A first start on a new machine creates Prefect's database and imports every server module for the first time;
on a loaded 2-core machine that took longer than Prefect's default start-up limit (20 s) and the first
`make run` crashed. The limit is raised here unless the user set it, and a server that still does not answer
becomes one sentence with the two ways out, not a traceback.
"""
from __future__ import annotations

import os
import sys
import time

from curate.errors import UsageError

STARTUP_ENV = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_STARTUP_S = 180  # measured first start here: 20-40 s on a busy 2-core machine; generous on purpose


class PrefectUnavailable(UsageError):
    """Prefect's server cannot be reached or started."""


def configure_startup() -> None:
    """Before Prefect reads its settings (and inherited by Dask workers and deployment runs)."""
    os.environ.setdefault(STARTUP_ENV, str(DEFAULT_STARTUP_S))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


WAYS_OUT = "run with --no-prefect (same stages, same outputs), or point PREFECT_API_URL at a running Prefect server"


def ensure_api(progress: bool = True) -> None:
    """Start the temporary server now, where a failure can be explained, rather than inside the first task."""
    configure_startup()
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value():
        return
    if not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        raise PrefectUnavailable(f"PREFECT_API_URL is not set and Prefect's temporary server is disabled; {WAYS_OUT}.")
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # one per process: the flow's client reuses this one
    if server.running:
        return
    limit = os.environ[STARTUP_ENV]
    if progress:
        print(f"Starting Prefect's temporary server (the first start on a machine can take a minute; "
              f"limit {limit} s) …", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    try:
        server.start(timeout=int(float(limit)))
    except Exception as exc:  # RuntimeError (time-out) or an OS error; its text holds the server's logs: not shown
        raise PrefectUnavailable(f"Prefect's temporary server did not start within {limit} s "
                                 f"({type(exc).__name__}); {WAYS_OUT}.") from None
    if progress:
        print(f"Prefect's temporary server answered after {time.perf_counter() - t0:.1f} s.", file=sys.stderr,
              flush=True)

"""The Prefect flow: the same stage functions as curate.pipeline, each run as a Prefect task named after its stage;
the report becomes Prefect artifacts under stable keys, and a failed gate fails the flow run with its sentence.

runner="dask" sends the stages' shards (curate.mapping) straight to a Dask cluster as plain Dask tasks: an
existing scheduler (CURATE_DASK_ADDRESS / --dask-address) or a LocalCluster of single-threaded worker processes.
Workers run curate functions only, no Prefect: they need no Prefect server (each used to start a temporary one,
~10 s, and a second chance to time out) and no task-run bookkeeping per shard. Only shards and their results
travel: records to ingest/validate/PII/embedding workers, and back signatures, embeddings, outcomes; the global
dedup steps run in the flow's process on those, never on gathered texts.

Tasks neither cache nor persist results: records carry personal data until the PII stage has run, and Prefect
must not write them to its result storage (resuming is curate's own content-hash caches, which hold no raw text).
"""
from __future__ import annotations

import functools
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from flows.api import configure_startup

configure_startup()  # before Prefect reads its settings: deployment runs and Dask workers import this module

from prefect import flow, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact, create_table_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from curate.config import load_config  # noqa: E402
from curate.verdict import GateFailed  # noqa: E402
from curate.mapping import Mapper, in_process  # noqa: E402
from curate.pipeline import run_incremental, run_pipeline  # noqa: E402
from curate.stages.order import STAGES  # noqa: E402

ARTIFACT_PREFIX = "curate"
IO_STAGES = {s.name for s in STAGES if s.reads_input} | {"publish"}  # they touch files: the only ones retried
TRANSIENT = (ConnectionError, TimeoutError, BlockingIOError, InterruptedError)


def _transient(task_: Any, task_run: Any, state: Any) -> bool:
    """Retry on a dropped connection or a timed-out (network) file system; never on bad data or a missing file."""
    try:
        state.result()
    except TRANSIENT:
        return True
    except BaseException:
        return False
    return False


class StageFailed(Exception):
    """What Prefect sees of a library error inside a stage: the stage and the error's type. Prefect stores a failed
    task's message and logs its traceback; a library's message could quote a record, curate's own never do."""


_ORIGINALS: dict[str, BaseException] = {}  # token -> the library error, in this process's memory only


def _own(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("curate.") or type(exc).__name__ in ("PiiError", "StageFailed",
                                                                                "ShardFailed")


def _contained(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            if _own(exc):
                raise
            token = uuid.uuid4().hex
            _ORIGINALS[token] = exc
            raise StageFailed(f"{name} failed with {type(exc).__name__} (ref {token})") from None
    return run


def call_as_task(name: str, fn: Any, *args: Any) -> Any:
    # quote(): Prefect would otherwise walk every record looking for futures, which is slow on large inputs.
    retry = {"retries": 2, "retry_delay_seconds": 2, "retry_condition_fn": _transient} if name in IO_STAGES else {}
    stage_task = task(_contained(fn, name), name=name, cache_policy=NO_CACHE, persist_result=False, **retry)
    return stage_task(*(quote(a) for a in args))


class _Shard:
    """One shard and the function for it, shipped to a Dask worker as one object."""

    __slots__ = ("fn", "items")

    def __init__(self, fn: Callable[[Any], Any], items: Any):
        self.fn, self.items = fn, items


class ShardFailed(Exception):
    """A library error inside a shard on a Dask worker: its type only (Dask logs and ships a failed task's
    exception, and a library's message could quote a record)."""


def _apply(shard: _Shard) -> Any:
    _pin_threads()
    try:
        return shard.fn(shard.items)
    except Exception as exc:
        if _own(exc):
            raise
        raise ShardFailed(f"a shard failed with {type(exc).__name__}") from None


def _pin_threads() -> None:
    """Torch threads = the worker's threads: two 1-thread workers on 2 cores, not 2 x all cores fighting."""
    try:
        from distributed import get_worker

        n = get_worker().state.nthreads
    except (ImportError, ValueError, AttributeError):
        return
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def dask_mapper(client: Any) -> Mapper:
    """Every shard submitted at once; results yielded in shard order, each released once read."""
    def run(name: str, fn: Callable[[Any], Any], shards: Sequence[Any]) -> Iterator[Any]:
        tag = uuid.uuid4().hex[:8]
        futures = client.map(_apply, [_Shard(fn, s) for s in shards], pure=False,
                             key=[f"{name}-shard-{tag}-{i}" for i in range(len(shards))])
        for fut in futures:
            yield fut.result()
            fut.release()
    return run


@contextmanager
def dask_client() -> Iterator[Any]:
    """The cluster at CURATE_DASK_ADDRESS, else a LocalCluster of CURATE_DASK_WORKERS (2) single-threaded worker
    processes, for as long as the flow runs."""
    from distributed import Client, LocalCluster

    address = os.environ.get("CURATE_DASK_ADDRESS")
    if address:
        with Client(address, set_as_default=False) as client:
            yield client
        return
    workers = int(os.environ.get("CURATE_DASK_WORKERS", "2"))
    one_thread = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR, env=one_thread) as cluster, \
            Client(cluster, set_as_default=False) as client:
        yield client


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


def _curate(src: str, out: str, config_path: str | None, force: bool, progress: bool, seed: int | None,
            smoke: str, smoke_model: str | None, incremental: bool, sharded: bool) -> dict[str, Any]:
    # The config is loaded here, not passed in: flow parameters are stored by Prefect, and a config may hold
    # the PII key. Same lookup as the CLI: config_path, SRC/curate.toml, ./curate.toml, pyproject.toml.
    cfg = load_config(Path(config_path) if config_path else None, src=Path(src))
    if seed is not None:
        cfg.split.seed = seed
    if smoke_model:
        cfg.smoke.model = smoke_model
    with dask_client() if sharded else nullcontext() as client:
        return _stages(src, out, cfg, force, progress, smoke, incremental,
                       dask_mapper(client) if client is not None else in_process)


def _stages(src: str, out: str, cfg: Any, force: bool, progress: bool, smoke: str, incremental: bool,
            mapper: Mapper) -> dict[str, Any]:
    if incremental:
        summary = run_incremental(Path(src), Path(out), cfg, progress=progress, call=call_as_task, smoke=smoke,
                                  mapper=mapper)
        if summary is None:
            return {"out": out, "version": None, "published": 0, "note": "no new or changed files"}
    else:
        summary = run_pipeline(Path(src), Path(out), cfg, force=force, progress=progress, call=call_as_task,
                               smoke=smoke, mapper=mapper)
    publish_artifacts(Path(summary.out))
    if not summary.publishable:
        raise GateFailed(" ".join(summary.failures))
    return {"out": summary.out, "version": summary.version, "records_in": summary.records_in,
            "published": summary.published, "rejected": summary.rejected, "datasets": summary.datasets}


@flow(name="curate", persist_result=False)
def curate_flow(src: str, out: str, config_path: str | None = None, force: bool = False, progress: bool = True,
                seed: int | None = None, smoke: str = "auto", smoke_model: str | None = None,
                incremental: bool = False, sharded: bool = False) -> dict[str, Any]:
    """incremental: `out` is a versioned root (v0001, v0002, … and `latest`); only new files are curated.
    sharded: stages send their shards to a Dask cluster (CURATE_DASK_ADDRESS, else a LocalCluster)."""
    return _guarded(_curate, src, out, config_path, force, progress, seed, smoke, smoke_model, incremental, sharded)


RAISED: dict[str, BaseException] = {}  # flow run id -> its exception, in this process's memory only


def _guarded(fn: Callable[..., Any], *args: Any) -> Any:
    """Prefect persists a failed flow run's exception (message and traceback) even with persist_result=False.
    curate's own messages never quote records, but one from a library might: Prefect gets a Failed state with the
    exception's type and, for curate's own errors, its sentence; the exception stays here for the CLI."""
    from prefect.runtime import flow_run
    from prefect.states import Failed

    try:
        return fn(*args)
    except Exception as exc:
        ref = str(exc).rsplit("(ref ", 1)[-1].rstrip(")") if isinstance(exc, StageFailed) else None
        RAISED[str(flow_run.id)] = _ORIGINALS.pop(ref, exc) if ref else exc
        return Failed(message=f"{type(exc).__name__}: {exc}" if _own(exc) else f"{type(exc).__name__} (details in "
                      "the process that ran the flow; not stored, as they could quote data)")


def reraise(state: Any) -> Any:
    """The flow's result, or the exception it failed with (kept in memory by _guarded)."""
    if state.is_failed():
        exc = RAISED.pop(str(state.state_details.flow_run_id), None)
        if exc is not None:
            raise exc
    return state.result()


# For deployments, whose runs load the flow by entrypoint in a fresh process: the cluster comes from the
# environment the deployment was served with (CURATE_DASK_ADDRESS, CURATE_DASK_WORKERS).
@flow(name="curate-dask", persist_result=False)
def curate_flow_dask(src: str, out: str, config_path: str | None = None, force: bool = False, progress: bool = True,
                     seed: int | None = None, smoke: str = "auto", smoke_model: str | None = None,
                     incremental: bool = False, sharded: bool = True) -> dict[str, Any]:
    """The curate flow with the stages' shards on a Dask cluster."""
    return _guarded(_curate, src, out, config_path, force, progress, seed, smoke, smoke_model, incremental, True)


def with_runner(runner: str = "local", address: str | None = None, workers: int = 2):
    """The flow for a runner: local (stages run in this process) or dask (their shards run on a cluster)."""
    if runner == "local":
        return curate_flow
    os.environ["CURATE_DASK_WORKERS"] = str(workers)
    if address:
        os.environ["CURATE_DASK_ADDRESS"] = address
    return curate_flow_dask

"""How a stage's per-record work runs: shard by shard in this process, or spread over a cluster.

A stage cuts its work into shards of a fixed size and hands them to a Mapper, which returns the results in shard
order. The shards are the same whichever mapper runs them, so a run on a Dask cluster computes exactly what a
single process computes (flows/ supplies the Prefect + Dask mapper; this library never imports either).
"""
from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Mapper(Protocol):
    def __call__(self, name: str, fn: Callable[[Any], Any], shards: Sequence[Any]) -> Iterator[Any]: ...


def in_process(name: str, fn: Callable[[Any], Any], shards: Sequence[Any]) -> Iterator[Any]:
    """The default mapper: one shard after another, here."""
    for shard in shards:
        yield fn(shard)


_INHERITED: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # what forked children read (memory only)


def _inherited_shard(i: int) -> Any:
    fn, parts = _INHERITED
    return fn(parts[i])


def cores() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def forked(name: str, fn: Callable[[Any], Any], parts: Sequence[Any],
           initializer: Callable[[], None] | None = None, workers: int | None = None) -> Iterator[Any]:
    """One forked process per core (at most `workers`), results in shard order: the single-machine form of a
    cluster for CPU-bound shards. Children inherit the function and the shards, so nothing is pickled on the way in
    (records are costly to pickle; loaded models are shared copy-on-write); only results come back. Without fork,
    or with one core, one worker or one shard, it is `in_process`."""
    global _INHERITED
    workers = min(len(parts), cores(), workers or cores())
    if workers < 2 or "fork" not in mp.get_all_start_methods() or _INHERITED is not None:
        yield from in_process(name, fn, parts)
        return
    _INHERITED = (fn, parts)
    try:
        with mp.get_context("fork").Pool(workers, initializer=initializer) as pool:
            yield from pool.imap(_inherited_shard, range(len(parts)))
    finally:
        _INHERITED = None


def shards(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]

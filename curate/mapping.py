"""How a stage's per-record work runs: shard by shard in this process, or spread over a cluster.

A stage cuts its work into shards of a fixed size and hands them to a Mapper, which returns the results in shard
order. The shards are the same whichever mapper runs them, so a run on a Dask cluster computes exactly what a
single process computes (flows/ supplies the Prefect + Dask mapper; this library never imports either).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Mapper(Protocol):
    def __call__(self, name: str, fn: Callable[[Any], Any], shards: Sequence[Any]) -> Iterator[Any]: ...


def in_process(name: str, fn: Callable[[Any], Any], shards: Sequence[Any]) -> Iterator[Any]:
    """The default mapper: one shard after another, here."""
    for shard in shards:
        yield fn(shard)


def shards(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i:i + size] for i in range(0, len(items), size)]

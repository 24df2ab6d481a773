"""The single-machine mapper: shards over forked processes, results in shard order, nothing pickled on the way in."""
import os
import threading

import pytest

from curate.mapping import cores, forked, in_process, shards


def test_forked_matches_in_process_in_order():
    items = list(range(1000))
    work = lambda part: [x * x for x in part]  # noqa: E731  (inherited through fork: a lambda needs no pickling)
    parts = shards(items, 37)
    assert list(forked("t", work, parts)) == list(in_process("t", work, parts))


@pytest.mark.skipif(cores() < 2, reason="one core: forked runs in process")
def test_forked_uses_other_processes_and_their_initializer():
    lock = threading.Lock()  # unpicklable: reaches the children only because they inherit it

    def work(part):
        with lock:
            return os.getpid(), os.environ.get("MARK"), len(part)

    out = list(forked("t", work, shards(list(range(40)), 10), initializer=lambda: os.environ.update(MARK="set")))
    assert {pid for pid, _, _ in out} - {os.getpid()} and {m for _, m, _ in out} == {"set"}
    assert [n for _, _, n in out] == [10, 10, 10, 10] and "MARK" not in os.environ

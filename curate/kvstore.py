"""The user caches (embeddings, PII outcomes): one sqlite table of key -> value each, shared by every run."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

BATCH = 500  # keys per IN (...) query, below sqlite's parameter limit


class KeyValueStore:
    def __init__(self, path: Path, table: str, column: str = "value"):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        self.table, self.column = table, column
        self.db.execute(f"CREATE TABLE IF NOT EXISTS {table} (key BLOB PRIMARY KEY, {column})")

    def get(self, keys: list[bytes]) -> dict[bytes, Any]:
        out: dict[bytes, Any] = {}
        for start in range(0, len(keys), BATCH):
            chunk = keys[start:start + BATCH]
            out.update(self.db.execute(f"SELECT key, {self.column} FROM {self.table} "
                                       f"WHERE key IN ({','.join('?' * len(chunk))})", chunk))
        return out

    def put(self, items: Iterable[tuple[bytes, Any]]) -> None:
        with self.db:
            self.db.executemany(f"INSERT OR REPLACE INTO {self.table} VALUES (?, ?)", items)

    def delete(self, keys: Iterable[bytes]) -> None:
        with self.db:
            self.db.executemany(f"DELETE FROM {self.table} WHERE key = ?", [(k,) for k in keys])

    def items(self) -> Iterator[tuple[bytes, Any]]:
        return iter(self.db.execute(f"SELECT key, {self.column} FROM {self.table}").fetchall())

"""Which published dataset a record joins and which split it lands in: deterministic, so a rerun, the smoke
stage and publish all agree on what is held out."""
from __future__ import annotations

import hashlib
import hmac
import math
from typing import Any

from curate.records import Record


def dataset_name(rec: Record) -> str:
    """Which published dataset a record joins: one per fine-tuning shape, so each file has uniform rows."""
    if rec.kind in ("chat", "instruction"):
        return "kto" if isinstance(rec.label, bool) else "sft"
    return rec.kind


def dataset_counts(records: list[Record]) -> dict[str, dict[str, int]]:
    """Records per published dataset, for reports on data that is measured but not split (curate check)."""
    out: dict[str, dict[str, int]] = {}
    for rec in records:
        out.setdefault(dataset_name(rec), {"train": 0, "validation": 0})["train"] += 1
    return dict(sorted(out.items()))


def split(records: list[Record], fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """Deterministic: rank by a seeded hash of the id, the lowest ranks go to validation; order is kept."""
    if fraction <= 0 or len(records) < 2:
        return records, []
    n_val = min(len(records) - 1, max(1, math.floor(len(records) * fraction)))
    rank = sorted(records, key=lambda r: hmac.new(str(seed).encode(), r.id.encode(), hashlib.sha256).digest())
    val_ids = {id(r) for r in rank[:n_val]}
    return [r for r in records if id(r) not in val_ids], [r for r in records if id(r) in val_ids]


def _unit_hash(seed: int, rid: str) -> float:
    return int.from_bytes(hmac.new(str(seed).encode(), rid.encode(), hashlib.sha256).digest()[:8], "big") / 2 ** 64


def split_by_dataset(records: list[Record], cfg: Any, fixed: dict[str, tuple[str, str]] | None = None
                     ) -> dict[str, tuple[list[Record], list[Record]]]:
    """fixed: id -> (dataset, split) of records an earlier version published; they keep their split, so a model
    validated on one version is never trained on its validation records by the next."""
    fixed = fixed or {}
    groups: dict[str, list[Record]] = {}
    for rec in records:
        groups.setdefault(dataset_name(rec), []).append(rec)
    out = {}
    for name in sorted(groups):
        recs = groups[name]
        fresh = [r for r in recs if r.id not in fixed]
        if fixed:  # a later version: each new record's side from its own hash, so small batches keep the fraction
            val = [r for r in fresh if _unit_hash(cfg.split.seed, r.id) < cfg.split.validation_fraction]
        else:
            _, val = split(fresh, cfg.split.validation_fraction, cfg.split.seed)
        val_ids = {r.id for r in val} | {r.id for r in recs if fixed.get(r.id, ("", ""))[1] == "validation"}
        out[name] = ([r for r in recs if r.id not in val_ids], [r for r in recs if r.id in val_ids])
    return out

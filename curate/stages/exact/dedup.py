"""Exact dedup: records whose normalised content is identical; the first by provenance order is kept."""
from __future__ import annotations

import hashlib
import json
from typing import Any

from curate.stages.exact.config import DedupConfig
from curate.normalise import normalise_text
from curate.dedup import dedup_stats, duplicate, prior_stats
from curate.records import Record, Reject, StageResult
from curate.views import source_split
from curate.stages.exact.config import NAME as STAGE



def _norm(value: Any, ignore_case: bool) -> Any:
    if isinstance(value, str):
        return normalise_text(value, casefold=ignore_case, keep_lines=False)
    if isinstance(value, dict):
        return {k: _norm(v, ignore_case) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v, ignore_case) for v in value]
    return value


def exact_key(record: Record, ignore_case: bool = False) -> str:
    """Every string normalised (curate.normalise: mojibake, HTML entities, NFKC, quotes and dashes, role tags,
    template wrappers, whitespace) and casefolded unless ignore_case is off: format-only copies share a key."""
    blob = json.dumps(_norm(record.content(), ignore_case), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def dedup_exact(records: list[Record], cfg: DedupConfig, prior: dict[str, tuple[str, str]] | None = None) -> StageResult:
    """prior: exact keys of records published by earlier versions -> (id, where)."""
    seen: dict[str, Record] = {}
    keys: dict[str, str] = {}
    kept: list[Record] = []
    rejected: list[Reject] = []
    earlier = 0
    for rec in records:
        key = exact_key(rec, cfg.ignore_case)
        first = seen.get(key)
        if prior and key in prior:
            earlier += 1
            rejected.append(duplicate(rec, STAGE, prior[key][0],
                                   reason=f"exact duplicate of {prior[key][1]}"))
        elif first is None:
            seen[key] = rec
            keys[rec.id] = key
            kept.append(rec)
        else:
            rejected.append(duplicate(rec, STAGE, first.id,
                                   reason=f"exact duplicate of {first.provenance.where()}"))
    by_id = {r.id: r for r in kept}
    cross = sum(1 for r in rejected if r.duplicate_of in by_id and None not in (
        a := source_split(r.provenance.source), b := source_split(by_id[r.duplicate_of].provenance.source)) and a != b)
    stats = dedup_stats(records, kept, rejected, **{"leakage.exact_cross_split_pairs": cross})
    if prior is not None:
        stats.update(prior_stats(len(prior), earlier))
    return StageResult(kept, rejected, stats, index={"exact": keys})

"""Semantic dedup (SemDeDup, Abbas et al. 2023): embed, cluster with k-means, and inside each cluster drop records
whose cosine similarity to an already kept record is at least 1 - eps. Clustering keeps the pairwise work
per cluster instead of over the whole dataset."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from curate.config import SemanticDedupConfig
from curate.embeddings import embed
from curate.records import Record, Reject, StageResult
from curate.views import comparable_text

STAGE = "semantic_dedup"


def kmeans_labels(vecs: np.ndarray, k: int, seed: int) -> np.ndarray:
    if k <= 1 or len(vecs) <= k:
        return np.zeros(len(vecs), dtype=int)
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(vecs)


def dedup_semantic(records: list[Record], cfg: SemanticDedupConfig, progress: bool = False) -> StageResult:
    texts = [comparable_text(r) for r in records]
    live = [i for i, t in enumerate(texts) if t.strip()]
    vecs, computed = embed([texts[i] for i in live], cfg.model, cfg.batch_size, cfg.cache, progress)
    k = cfg.clusters or max(1, round(math.sqrt(len(live) / 2)))
    labels = kmeans_labels(vecs, k, cfg.seed)
    dropped: dict[int, tuple[int, float]] = {}
    for c in np.unique(labels):
        members = [int(m) for m in np.flatnonzero(labels == c)]
        if cfg.keep == "longest":
            members.sort(key=lambda m: (-len(texts[live[m]]), m))
        sims = vecs[members] @ vecs[members].T
        kept_here: list[int] = []
        for pos, m in enumerate(members):
            if kept_here:
                best = max(kept_here, key=lambda q: sims[pos, q])
                if sims[pos, best] >= 1 - cfg.eps:
                    dropped[live[m]] = (live[members[best]], float(sims[pos, best]))
                    continue
            kept_here.append(pos)
    kept = [r for i, r in enumerate(records) if i not in dropped]
    rejected = [Reject(id=records[i].id, provenance=records[i].provenance, stage=STAGE, duplicate_of=records[k_].id,
                       reason=f"semantic duplicate (cosine {sim:.3f}) of {records[k_].provenance.where()}")
                for i, (k_, sim) in sorted(dropped.items())]
    stats: dict[str, Any] = {"records_in": len(records), "kept": len(kept), "rejected": len(rejected),
                             "duplicate_rate": round(len(rejected) / len(records), 6) if records else 0.0,
                             "clusters": int(len(np.unique(labels))) if len(live) else 0,
                             "embeddings_computed": computed, "embeddings_from_cache": len(live) - computed,
                             "skipped_empty": len(records) - len(live)}
    return StageResult(kept, rejected, stats)

"""Diversity metrics for the gates and the report. Measures only: every record is kept.

- Vendi score (Friedman & Dieng 2023): exp of the entropy of the similarity matrix's eigenvalues, "the effective
  number of distinct examples". With unit embeddings X, K/n = X X^T / n has the same non-zero eigenvalues as
  X^T X / n (384 x 384), so it is exact and cheap for any n. Bounded by min(n, 384); `vendi_normalised` divides by
  that bound so datasets of different sizes compare.
- mean nearest-neighbour cosine distance, k-means cluster-size entropy and the share of the largest cluster
  (on a seeded sample), distinct-1/2 of the outputs, label balance, repetition of the first user turn.
"""
from __future__ import annotations

import math
import random
import re
from collections import Counter
from typing import Any

import numpy as np

from curate.stages.diversity.config import DiversityConfig
from curate.stages.semantic.config import SemanticDedupConfig
from curate.stages.semantic.dedup import kmeans_labels
from curate.embeddings import embed
from curate.stage import counts
from curate.records import Record, StageResult
from curate.views import comparable_text, first_user_turn, outputs_text

_WORD = re.compile(r"\w+", re.UNICODE)


def vendi(vecs: np.ndarray) -> float:
    if len(vecs) == 0:
        return 0.0
    eig = np.linalg.eigvalsh((vecs.T @ vecs).astype(np.float64) / len(vecs))
    eig = eig[eig > 1e-12]
    eig = eig / eig.sum()
    return float(math.exp(-(eig * np.log(eig)).sum()))


def mean_nn_distance(vecs: np.ndarray) -> float:
    if len(vecs) < 2:
        return 0.0
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -np.inf)
    return float(np.mean(1.0 - sims.max(axis=1)))


def distinct_n(texts: list[str], n: int) -> float:
    grams: Counter[tuple[str, ...]] = Counter()
    for t in texts:
        words = _WORD.findall(t.casefold())
        grams.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    total = sum(grams.values())
    return len(grams) / total if total else 0.0


def _entropy(counts: list[int]) -> float:
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts if c) if total else 0.0


def measure_diversity(records: list[Record], cfg: DiversityConfig, emb_cfg: SemanticDedupConfig,
                      progress: bool = False) -> StageResult:
    stats: dict[str, Any] = counts(len(records), records, [])
    details: dict[str, Any] = {}
    texts = [comparable_text(r) for r in records]
    live = [i for i, t in enumerate(texts) if t.strip()]
    if live:
        sample = sorted(random.Random(cfg.seed).sample(live, min(cfg.sample, len(live))))
        vecs, _ = embed([texts[i] for i in sample], cfg.model, emb_cfg.batch_size, emb_cfg.cache, progress,
                        max_tokens=emb_cfg.max_tokens)
        k = max(1, round(math.sqrt(len(sample) / 2)))
        sizes = np.bincount(kmeans_labels(vecs, k, cfg.seed)).tolist()
        v = vendi(vecs)
        stats.update({
            "vendi": round(v, 4), "vendi_normalised": round(v / min(len(vecs), vecs.shape[1]), 6),
            "mean_nn_distance": round(mean_nn_distance(vecs), 6),
            "cluster_entropy": round(_entropy(sizes) / math.log(len(sizes)), 6) if len(sizes) > 1 else 0.0,
            "largest_cluster_share": round(max(sizes) / len(sample), 6), "sampled": len(sample)})
        details["cluster_sizes"] = sorted(sizes, reverse=True)
    outputs = [outputs_text(r) for r in records]
    stats.update({"distinct_1": round(distinct_n(outputs, 1), 6), "distinct_2": round(distinct_n(outputs, 2), 6)})
    firsts = [t for t in (first_user_turn(r) for r in records) if t]
    if firsts:
        top = Counter(" ".join(t.split()).casefold() for t in firsts).most_common(1)[0][1]
        stats.update({"first_turn_top_share": round(top / len(firsts), 6),
                      "first_turn_distinct_ratio": round(len(set(firsts)) / len(firsts), 6)})
    labels = Counter(str(r.label) for r in records if r.kind == "classification")
    if labels:
        stats.update({"labels": len(labels), "label_min_count": min(labels.values()),
                      "label_balance": round(min(labels.values()) / max(labels.values()), 6)})
        details["label_counts"] = dict(sorted(labels.items()))
    kto = Counter(str(r.label).lower() for r in records if isinstance(r.label, bool))
    if kto:
        details["kto_label_counts"] = dict(sorted(kto.items()))
    return StageResult(records, [], stats, details)

"""Semantic dedup (SemDeDup, Abbas et al. 2023): embed, cluster with k-means, and inside each cluster drop records
whose cosine similarity to an already kept record is at least 1 - eps. Clustering keeps the pairwise work
per cluster instead of over the whole dataset.

A close pair is a duplicate only when it is the same example: same kind, same negations ("can't" and "won't" sit
at cosine 0.95), and for chat/instruction data answers that are near duplicates themselves (word shingles), since
a long shared prompt dominates the embedding. Classification records are never removed here by default: same-label
paraphrases are what an intent set is made of (counted), and different labels on near-identical texts are label
conflicts, reported with both locators and kept, never resolved by dropping one."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from curate.stages.near.config import NearDedupConfig
from curate.stages.semantic.config import SemanticDedupConfig
from curate.stages.near.minhash import conflict_details, edit_similarity, is_short, shingles
from curate.embeddings import backend_id, embed
from curate.mapping import Mapper, in_process
from curate.normalise import negation_flip, negations, number_flip
from curate.dedup import dedup_stats, duplicate, prior_stats
from curate.records import Record, StageResult
from curate.views import answer_text, comparable_text
from curate.stages.semantic.config import NAME as STAGE



def kmeans_labels(vecs: np.ndarray, k: int, seed: int) -> np.ndarray:
    if k <= 1 or len(vecs) <= k:
        return np.zeros(len(vecs), dtype=int)
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=k, n_init=3, random_state=seed).fit_predict(vecs)


@dataclass
class PriorEmbeddings:
    """Embeddings of records published by earlier versions: new records deduplicate against them."""
    ids: list[str]
    vectors: np.ndarray  # (n, dim) float32, unit-normalised
    where: list[str]
    backend: str | None = None  # embeddings.backend_id of the model that made them (None: a version before it was kept)


def reembedded(prior: PriorEmbeddings, records: list[Record], cfg: SemanticDedupConfig) -> PriorEmbeddings:
    """The earlier versions' vectors made by this run's model: kept as they are when the same model made them,
    else computed again from the published records (a model change, or an upgrade of the libraries that run it),
    so new and earlier vectors are never compared across models."""
    backend = backend_id(cfg.model)
    if prior.backend == backend:
        return prior
    text = {r.id: comparable_text(r) for r in records}
    vecs, _ = embed([text.get(i, "") for i in prior.ids], cfg.model, cfg.batch_size, cfg.cache, False,
                    max_tokens=cfg.max_tokens)
    return PriorEmbeddings(prior.ids, vecs, prior.where, backend)


def _nearest_prior(vecs: np.ndarray, prior: PriorEmbeddings, block: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """For each new vector, the most similar earlier one and its cosine; blocks bound the memory."""
    best = np.zeros(len(vecs), dtype=np.int64)
    sim = np.full(len(vecs), -1.0, dtype=np.float32)
    if len(prior.ids) == 0:
        return best, sim
    for a in range(0, len(vecs), block):
        s = vecs[a:a + block] @ prior.vectors.T
        best[a:a + block] = s.argmax(axis=1)
        sim[a:a + block] = s.max(axis=1)
    return best, sim


class _SameExample:
    """Why two semantically close records are still different examples, or None when they are the same one."""

    def __init__(self, records: list[Record], texts: list[str]):
        self.records, self.texts, self.cfg = records, texts, NearDedupConfig()
        self._neg: dict[int, tuple[str, ...]] = {}
        self._ans: dict[int, str | None] = {}
        self._sh: dict[tuple[int, bool], set[bytes]] = {}
        self._is_short: dict[int, bool] = {}

    def _negations(self, i: int) -> tuple[str, ...]:
        if i not in self._neg:
            self._neg[i] = negations(self.texts[i])
        return self._neg[i]

    def _answer(self, i: int) -> str | None:
        if i not in self._ans:
            self._ans[i] = answer_text(self.records[i])
        return self._ans[i]

    def _shingles(self, i: int, short: bool) -> set[bytes]:
        if (i, short) not in self._sh:
            self._sh[(i, short)] = shingles(self._ans[i], self.cfg, short=short)
        return self._sh[(i, short)]

    def _short(self, i: int) -> bool:
        if i not in self._is_short:
            self._is_short[i] = is_short(self._ans[i], self.cfg)
        return self._is_short[i]

    def _answers_similar(self, i: int, j: int, threshold: float) -> bool:
        """near.minhash.similar() on the two answers, with each answer's shingles computed once."""
        short = self._short(i) and self._short(j)
        x, y = self._shingles(i, short), self._shingles(j, short)
        if (len(x & y) / len(x | y) if x or y else 1.0) >= threshold:
            return True
        return bool(self.cfg.short_edit_ratio) and short and \
            edit_similarity(self._ans[i], self._ans[j]) >= self.cfg.short_edit_ratio

    def apart(self, i: int, j: int, answer_threshold: float, numbers: bool = True) -> str | None:
        """The cheap checks first: kind, answers (shingles cached per record), then the word diffs of negations
        and numbers."""
        if self.records[i].kind != self.records[j].kind:
            return "kind"
        a, b = self._answer(i), self._answer(j)
        if a and b and a != b and not self._answers_similar(i, j, answer_threshold):
            return "answer"
        if negation_flip(self.texts[i], self.texts[j], self._negations(i), self._negations(j)):
            return "negation"
        if numbers and (number_flip(a, b) if a and b else number_flip(self.texts[i], self.texts[j])):
            return "number"  # with answers, only their numbers count (as in near dedup)
        return None


def same_eps(text: str, cfg: SemanticDedupConfig) -> float:
    """The eps a text is matched with: short_eps under short_words words, else eps."""
    return cfg.short_eps if len(text.split()) < cfg.short_words else cfg.eps


def dedup_semantic(records: list[Record], cfg: SemanticDedupConfig, progress: bool = False,
                   mapper: Mapper = in_process, prior: PriorEmbeddings | None = None) -> StageResult:
    texts = [comparable_text(r) for r in records]
    live = [i for i, t in enumerate(texts) if t.strip()]
    vecs, computed = embed([texts[i] for i in live], cfg.model, cfg.batch_size, cfg.cache, progress, mapper,
                           cfg.max_tokens)
    earlier: dict[int, tuple[int, float]] = {}
    if prior is not None:
        best, sim = _nearest_prior(vecs, prior)
        earlier = {live[p]: (int(best[p]), float(sim[p])) for p in range(len(live))
                   if sim[p] >= 1 - same_eps(texts[live[p]], cfg)}
    k = cfg.clusters or max(1, round(math.sqrt(len(live) / 2)))
    labels = kmeans_labels(vecs, k, cfg.seed)
    dropped: dict[int, tuple[int, float]] = {}
    same = _SameExample(records, texts)
    conflicts: list[tuple[int, int, float]] = []
    paraphrased: set[int] = set()
    apart: dict[str, int] = {}
    cut = 1 - max(cfg.eps, cfg.short_eps, cfg.conflict_eps)
    short = {}  # record -> under short_words, computed for close pairs only
    for c in np.unique(labels):
        members = [int(m) for m in np.flatnonzero(labels == c) if live[int(m)] not in earlier]
        if cfg.keep == "longest":
            members.sort(key=lambda m: (-len(texts[live[m]]), m))
        sims = vecs[members] @ vecs[members].T
        kept_here = np.zeros(len(members), dtype=bool)
        for pos, m in enumerate(members):
            i = live[m]
            close = [q for q in np.flatnonzero(sims[pos, :pos] >= cut) if kept_here[q]]
            for q in sorted(close, key=lambda q: (-sims[pos, q], q)):
                j, sim = live[members[q]], float(sims[pos, q])
                if records[i].kind == "classification" == records[j].kind and records[i].label != records[j].label:
                    if sim >= 1 - cfg.conflict_eps:
                        conflicts.append((j, i, sim))
                    continue
                for x in (i, j):
                    if x not in short:
                        short[x] = len(texts[x].split()) < cfg.short_words
                if sim < 1 - (cfg.short_eps if short[i] and short[j] else cfg.eps):
                    continue
                why = same.apart(i, j, cfg.answer_threshold, cfg.numbers)
                if why:
                    apart[why] = apart.get(why, 0) + 1
                elif records[i].kind == "classification" and cfg.classification == "report":
                    paraphrased.add(i)
                else:
                    dropped[i] = (j, sim)
                    break
            if i not in dropped:
                kept_here[pos] = True
    kept = [r for i, r in enumerate(records) if i not in dropped and i not in earlier]
    reasons = {i: (records[k_].id, f"semantic duplicate (cosine {s:.3f}) of {records[k_].provenance.where()}")
               for i, (k_, s) in dropped.items()}
    reasons.update({i: (prior.ids[j], f"semantic duplicate (cosine {s:.3f}) of {prior.where[j]}")
                    for i, (j, s) in earlier.items()})
    rejected = [duplicate(records[i], STAGE, dup, why) for i, (dup, why) in sorted(reasons.items())]
    stats = dedup_stats(records, kept, rejected, **{"clusters": int(len(np.unique(labels))) if len(live) else 0,
                             "cache.embeddings_computed": computed, "cache.embeddings_from_cache": len(live) - computed,
                             "skipped_empty": len(records) - len(live), "label_conflicts": len(conflicts),
                             "same_label_paraphrases": len(paraphrased),
                             **{f"kept_apart.{why}": n for why, n in sorted(apart.items())}})
    if prior is not None:
        stats.update(prior_stats(len(prior.ids), len(earlier)))
    dropped_any = set(dropped) | set(earlier)
    conflicts.sort()
    details = {"label_conflicts": conflict_details(records, conflicts, "cosine"),
               "embedding_backend": backend_id(cfg.model)}
    index = {records[i].id: vecs[p] for p, i in enumerate(live) if i not in dropped_any}
    if prior is not None:  # carried records' vectors, recomputed when the model changed
        index.update(zip(prior.ids, prior.vectors))
    return StageResult(kept, rejected, stats, details, index={"embedding": index})

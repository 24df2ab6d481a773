"""How many steps, and how long an example, fit the smoke step's time budget on the machine it runs on.

The plan comes from one measured figure, the base model's forward speed (tokens/s) on the shipped reference
texts, which the forgetting check evaluates anyway. That figure is cached per machine (CPU, cores, torch, model,
precision), so the plan, and with it every loss and the manifest, is the same on every later run of the same
config on that machine. `smoke.steps` set in config skips all of this.
"""
from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path

from curate.stages.smoke.config import SmokeConfig
from curate.tokens import cache_dir

# Seconds of a training token over seconds of a reference-text token in the measuring forward pass. Measured on
# SmolLM2 here: 1.8 in fp32 (1 thread), 2.95 with bf16 autocast on a quiet machine (bf16 speeds the forward pass
# more than the backward). The larger one, so a plan never overruns its budget on either kind of CPU.
TRAIN_COST = 3.0
LOAD_S = 5.0  # loading the cached model folder and formatting: 1-3 s measured; the rest is headroom
LADDER = (256, 192, 128)  # example lengths tried, longest first; shorter ones trade context for steps


@dataclass(frozen=True)
class Plan:
    steps: int
    max_seq_len: int
    forward_tokens_per_s: float | None  # None: steps fixed in config
    projected_s: float | None
    key: str | None = None  # the machine key the speed is cached under

    def stats(self) -> dict[str, float | int]:
        out: dict[str, float | int] = {"steps_planned": self.steps, "max_seq_len": self.max_seq_len}
        if self.forward_tokens_per_s is not None:
            out["plan_forward_tokens_per_s"] = self.forward_tokens_per_s
            out["plan_projected_s"] = round(self.projected_s or 0.0, 1)
        return out


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key(model: str, device: str, bf16: bool) -> str:
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{_cpu_name()}|{cores} cores|torch {torch.__version__}|{device}|{'bf16' if bf16 else 'fp32'}|{model}"


def _calibration_file() -> Path:
    return cache_dir() / "smoke" / "calibration.json"


def cached_rate(key: str) -> float | None:
    try:
        value = json.loads(_calibration_file().read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError):
        return None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def _grid(rate: float) -> float:
    """Rounded to a ~12 % grid, so two first runs on one machine usually agree even without the cache."""
    return float(f"{10 ** (round(math.log10(max(rate, 1e-6)) * 20) / 20):.3g}")


def revise(key: str, planned_rate: float | None, train_tokens: int, train_seconds: float) -> None:
    """After training: when the speed the plan assumed was off by more than 2x (measured on a busy machine, say),
    cache the speed training showed, so the next run plans from that. Within 2x the cache stays, and with it the
    plan: small day-to-day noise never changes a run's bytes."""
    if not planned_rate or train_seconds <= 0 or train_tokens <= 0:
        return
    implied = train_tokens * TRAIN_COST / train_seconds
    if not 0.5 <= implied / planned_rate <= 2.0:
        _write(key, _grid(implied))


def store_rate(key: str, tokens: int, seconds: float) -> float:
    rate = _grid(max(tokens, 1) / max(seconds, 1e-6))
    _write(key, rate)
    return rate


def _write(key: str, rate: float) -> None:
    path = _calibration_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        data = {}
    data[key] = rate
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only cache: the next run measures again


def ladder(cfg: SmokeConfig) -> list[int]:
    return sorted({n for n in (cfg.max_seq_len, *LADDER) if n <= cfg.max_seq_len}, reverse=True)


def choose(cfg: SmokeConfig, rate: float, train_lengths: list[int], heldout_lengths: list[int],
           reference_tokens: int, coverage: dict[int, float] | None = None, key: str | None = None) -> Plan:
    """The longest example length on the ladder (up to cfg.max_seq_len) that leaves room for at least
    min(12, max_steps) steps, else the one that fits the most steps (a shorter length only where it buys steps,
    or saves time when even the floor of min_steps does not fit);
    as many steps as fit, between min_steps and max_steps.
    coverage: the share of training examples that keep assistant tokens at each length; a length that would cut
    the share under the supervised-coverage gate is never chosen (the plan must not fail a gate the data passes)."""
    lengths = [n for n in ladder(cfg) if coverage is None or n == cfg.max_seq_len
               or coverage.get(n, 0.0) >= cfg.min_supervised_coverage]
    want = min(12, cfg.max_steps)
    best: Plan | None = None
    best_fit = -1
    for seq in lengths:
        step_tokens = cfg.batch_size * sum(min(n, seq) for n in train_lengths) / max(1, len(train_lengths))
        held = sum(min(n, seq) for n in heldout_lengths)
        window = min(cfg.loss_window, cfg.max_steps // 3) * step_tokens
        # held-out before + after + swapped prompts, reference before + after, the first window again
        eval_s = (3 * held + 2 * reference_tokens + window) / rate
        step_s = step_tokens * TRAIN_COST / rate
        fit = math.floor((cfg.budget_s - LOAD_S - eval_s) / step_s) if step_s > 0 else cfg.max_steps
        if best is not None and fit <= best_fit and best_fit >= cfg.min_steps:
            continue  # shorter examples that buy no extra step only cost context (below the floor they save time)
        steps = max(cfg.min_steps, min(cfg.max_steps, fit))
        best, best_fit = Plan(steps, seq, rate, LOAD_S + eval_s + steps * step_s, key), fit
        if fit >= want:
            break
    assert best is not None
    return best


def fixed(cfg: SmokeConfig) -> Plan:
    return Plan(cfg.steps or cfg.max_steps, cfg.max_seq_len, None, None)

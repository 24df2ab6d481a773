"""LoRA smoke training: the last gate. A short LoRA run on a sample of the curated data shows whether it is
learnable, fits the chat template and leaves the base model intact, before anyone pays for a real run.

    from curate.stages.smoke import SmokeConfig, smoke_train, smoke_verdict, SMOKE_GATES
    result = smoke_train(records, SmokeConfig(), out_dir=Path("curated/smoke"), progress=True)
    result.stats            # plain metric names -> numbers, read by the gate engine as smoke.<name>
    result.details          # {"loss_curve": [...], "verdict": [(name, passed, sentence), ...], ...}

Checks (thresholds in SmokeConfig, mirrored by SMOKE_GATES):
- finite: no NaN / inf loss or gradient (`nonfinite`).
- steps: the time budget left enough steps to judge (`steps`, `stopped_early`).
- supervised coverage: share of sampled examples that keep assistant tokens after the chat template and
  truncation (`supervised_token_coverage`, `examples_empty_target`, `examples_truncated_to_zero`).
- output variety: share of examples carrying the single most common output (`top_output_share`; classification
  examples are left out, their labels repeat by design; absent for classification-only data).
- loss drop: training loss of the first `loss_window` batches when they were trained on, vs the same batches
  after training (`loss_drop_share`; `loss_last_window` is the end of the curve, for the report). Same examples
  on both sides: on mixed data (a classification batch next to a chat batch) the last batches' loss says more
  about what they drew than about learning.
- held-out: loss on a slice of the validation split, base vs adapter (`heldout_improvement_share`).
- input dependence: held-out loss of each example's last reply after its own prompt vs after another held-out
  example's prompt (`input_dependence_nats`). Learning the outputs' style lowers both; only learning the
  mapping from input to output separates them, so shuffled or constant outputs fail here even when the
  training and held-out losses fall. Absent when fewer than two held-out examples have a prompt.
- forgetting proxy: loss on the shipped general-English paragraphs (reference_text.jsonl), base vs adapter
  (`forgetting_rise_share`).
"""
from __future__ import annotations

import json
import math
from pathlib import Path


from curate.records import Record, StageResult, is_timing
from curate.stages.smoke.checks import smoke_verdict
from curate.stages.smoke.config import SmokeConfig


def smoke_train(records: list[Record], cfg: SmokeConfig, out_dir: Path | None = None, progress: bool = False,
                validation: list[Record] | None = None) -> StageResult:
    """Train a LoRA adapter for a few steps on a sample of `records` and measure it.

    Held-out data: `validation` when given, else the validation split that publish writes (same fraction and
    seed: set cfg.validation_fraction / cfg.split_seed from [split]); it is never trained on. Records pass through
    unchanged; the verdict is for the gate engine. With `out_dir`: adapter_model.safetensors +
    adapter_config.json (peft), metrics.json and loss_curve.png.
    Raises SmokeError when there is nothing to train on, SmokeModelUnavailable when the base model cannot load.
    """
    from curate.stages.smoke.train import run

    stats, details = run(records, cfg, out_dir, progress, validation)
    verdict = smoke_verdict(stats, cfg)
    details["verdict"] = [list(v) for v in verdict]
    if out_dir is not None:
        _write_outputs(Path(out_dir), stats, details, cfg)
    return StageResult(kept=list(records), rejected=[], stats=stats, details=details)


def _clean(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None  # strict JSON has no NaN
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def _write_outputs(out: Path, stats, details, cfg: SmokeConfig) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # Timings vary run to run; they are in the terminal and the manifest's stage stats are filtered the same way.
    doc = {"stats": {k: v for k, v in stats.items() if not is_timing(k)}, "verdict": [{"check": n, "passed": p, "sentence": s} for n, p, s in details["verdict"]],
           "passed": all(p for _, p, _ in details["verdict"]), "loss_curve": details["loss_curve"],
           "model": details["model"], "device": details["device"], "precision": details["precision"],
           "stopped_early": details["stopped_early"], "config": cfg.model_dump(mode="json")}
    (out / "metrics.json").write_text(json.dumps(_clean(doc), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plot_loss_curve(details["loss_curve"], out / "loss_curve.png", stats)


def plot_loss_curve(losses: list[float], path: Path, stats: dict | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 3.4), dpi=100)
    ax = fig.add_subplot()
    ax.plot(range(1, len(losses) + 1), losses, marker="o", markersize=3, linewidth=1.2, label="training loss")
    s = stats or {}
    for key, style, name in (("heldout_loss_base", ":", "held-out, base"), ("heldout_loss_adapter", "--",
                                                                             "held-out, adapter")):
        if key in s and math.isfinite(s[key]):
            ax.axhline(s[key], linestyle=style, color="grey" if "base" in key else "tab:green", label=name)
    w, after = s.get("loss_window"), s.get("loss_first_window_after")
    if w and after is not None and math.isfinite(after):
        ax.hlines(after, 1, w, colors="tab:orange", linewidth=2.5, label=f"first {w} batches, after training")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (nats / supervised token)")
    ax.set_title("Smoke training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})  # no version stamp: same run, same bytes
    return path

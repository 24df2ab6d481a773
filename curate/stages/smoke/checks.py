"""Smoke-training checks: gate definitions for the gate engine, and a pure verdict function with human sentences.

Metric names are plain (the stage's stats); the gate engine reads them as `smoke.<name>`. `SMOKE_GATES` is built
from the SmokeConfig defaults, so the two never disagree; `smoke_gates(cfg)` builds them for another config.
"""
from __future__ import annotations

from typing import Any

from curate.fmt import number
from curate.verdict import passes
from curate.stages.smoke.config import NAME, SmokeConfig

# Metrics a check may be unable to measure: absent from stats means "not applicable", not "failed" (the gate
# engine skips a gate whose metric a run did not produce).
OPTIONAL_METRICS = {
    "input_dependence_nats": "fewer than two held-out examples have a prompt (text-only data)",
    "top_output_share": "every sampled example is a classification example, whose labels repeat by design",
}


def smoke_gates(cfg: SmokeConfig | None = None) -> list[dict[str, Any]]:
    c = cfg or SmokeConfig()

    def gate(name: str, metric: str, op: str, threshold: float, reason: str) -> dict[str, Any]:
        return {"name": name, "metric": f"{NAME}.{metric}", "op": op, "threshold": threshold, "severity": "fail",
                "reason": reason}

    return [
        gate("smoke_finite", "nonfinite", "<=", c.max_nonfinite,
             "A NaN or infinite loss or gradient means training on this data is broken."),
        gate("smoke_steps", "steps", ">=", c.min_steps,
             "A run cut short by the time budget has too few steps to judge the loss curve."),
        gate("smoke_supervised_coverage", "supervised_token_coverage", ">=", c.min_supervised_coverage,
             "Examples with no assistant tokens left (empty replies, or truncated away) teach the model nothing."),
        gate("smoke_output_variety", "top_output_share", "<=", c.max_top_output_share,
             "When most examples share one output the model learns a constant, not a task."),
        gate("smoke_loss_drop", "loss_drop_share", ">=", c.min_loss_drop_share,
             "Learnable data lowers the training loss within a short LoRA run."),
        gate("smoke_heldout", "heldout_improvement_share", ">=", c.min_heldout_improvement_share,
             "The adapter must beat the base model on held-out validation data, not only on what it saw."),
        gate("smoke_input_dependence", "input_dependence_nats", ">=", c.min_input_dependence_nats,
             "Outputs must depend on their inputs: swapping in another example's prompt must raise the held-out loss."),
        gate("smoke_forgetting", "forgetting_rise_share", "<=", c.max_forgetting_rise_share,
             "Loss on shipped general English text must not rise much: more means the data damages the base model."),
    ]


SMOKE_GATES: list[dict[str, Any]] = smoke_gates()


def _fmt(x: float) -> str:
    return number(x, decimals=3)


def _sentence(name: str, ok: bool, v: float, t: float, op: str, s: dict[str, Any]) -> str:
    g = lambda k, d=0: s.get(k, d)  # noqa: E731
    cmp = f"{_fmt(v)} {op} {_fmt(t)}" if ok else f"{_fmt(v)} is not {op} {_fmt(t)}"
    if name == "smoke_finite":
        return (f"No NaN or infinite losses or gradients ({cmp})." if ok else
                f"{_fmt(v)} steps had a NaN or infinite loss or gradient ({cmp}): training on this data is broken.")
    if name == "smoke_steps":
        why = " because the time budget ran out" if g("stopped_early") else ""
        return (f"Ran {_fmt(v)} steps{why} ({cmp})." if ok else
                f"Only {_fmt(v)} steps ran{why} ({cmp}): too few to judge the loss curve; raise smoke.time_budget_s.")
    if name == "smoke_supervised_coverage":
        n = g("examples_formatted")
        detail = (f"{_fmt(g('examples_empty_target'))} of {_fmt(n)} examples have empty assistant content and "
                  f"{_fmt(g('examples_truncated_to_zero'))} lost all assistant tokens to truncation at "
                  f"{_fmt(g('max_seq_len'))} tokens")
        return (f"Supervised-token coverage {cmp}; {detail}." if ok else
                f"Supervised-token coverage {cmp}: {detail}, so those examples teach nothing.")
    if name == "smoke_output_variety":
        return (f"The most common output covers a {_fmt(v)} share of examples ({cmp})." if ok else
                f"The most common output covers a {_fmt(v)} share of examples ({cmp}): the outputs are (nearly) "
                f"all identical, so the model would learn a constant reply.")
    if name == "smoke_loss_drop":
        curve = (f"training loss on the first {_fmt(g('loss_window'))} batches {_fmt(g('loss_first_window'))} -> "
                 f"{_fmt(g('loss_first_window_after'))} after training (last steps: {_fmt(g('loss_last_window'))})")
        return (f"The {curve} fell by a {_fmt(v)} share ({cmp})." if ok else
                f"The {curve} fell by only a {_fmt(v)} share ({cmp}): the model does not learn this data.")
    if name == "smoke_heldout":
        held = f"held-out loss {_fmt(g('heldout_loss_base'))} (base) -> {_fmt(g('heldout_loss_adapter'))} (adapter)"
        return (f"The {held} improved by a {_fmt(v)} share ({cmp})." if ok else
                f"The {held} improved by only a {_fmt(v)} share ({cmp}): what was learned does not generalise "
                f"to the validation split.")
    if name == "smoke_input_dependence":
        pair = (f"held-out loss {_fmt(g('swap_loss_matched'))} with its own prompt vs {_fmt(g('swap_loss_mismatched'))}"
                f" with another example's prompt")
        return (f"Outputs depend on inputs: {pair} (+{_fmt(v)} nats, {cmp})." if ok else
                f"Outputs do not depend on inputs: {pair} ({_fmt(v)} nats, {cmp}); outputs look shuffled against "
                f"inputs, or identical.")
    if name == "smoke_forgetting":
        ref = (f"general-text loss {_fmt(g('reference_loss_base'))} (base) -> "
               f"{_fmt(g('reference_loss_adapter'))} (adapter)")
        return (f"Forgetting proxy: {ref}, a {_fmt(v)} rise ({cmp})." if ok else
                f"Forgetting proxy: {ref}, a {_fmt(v)} rise ({cmp}): the data damages the base model's general "
                f"language ability.")
    return cmp


def smoke_verdict(stats: dict[str, Any], cfg: SmokeConfig | None = None) -> list[tuple[str, bool, str]]:
    """(check name, passed, one human sentence) per gate. Pure: reads only `stats` and the thresholds in `cfg`."""
    out: list[tuple[str, bool, str]] = []
    for gate in smoke_gates(cfg):
        metric = gate["metric"].removeprefix(f"{NAME}.")
        if metric not in stats:
            if metric in OPTIONAL_METRICS:
                out.append((gate["name"], True, f"Not measured: {OPTIONAL_METRICS[metric]} ({metric} is absent)."))
            else:
                out.append((gate["name"], False, f"Metric {metric} is missing from the smoke-training stats."))
            continue
        value = float(stats[metric])
        ok = passes(value, gate["op"], gate["threshold"])
        out.append((gate["name"], ok, _sentence(gate["name"], ok, value, gate["threshold"], gate["op"], stats)))
    return out

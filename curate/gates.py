"""Quality gates: a named metric, a comparison, a threshold from config, a severity, and a sentence a person
understands. Gates read only stats, so the same gates judge `curate run`, `curate check` and the Prefect flow."""
from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from curate.config import Config, ConfigError, Gate
from curate.stages.ingest.inspect import coverage_metrics
from curate.stages.order import DEFAULT_GATES, names_where
from curate.records import StageResult, is_timing



def effective_gates(cfg: Config, extra_defaults: list[dict[str, Any]] = ()) -> list[Gate]:
    """Defaults (plus a stage's own, e.g. smoke training) merged with [gates.NAME] tables from config."""
    merged: dict[str, dict[str, Any]] = {g["name"]: dict(g) for g in [*DEFAULT_GATES, *extra_defaults]}
    for name, override in cfg.gates.items():
        merged.setdefault(name, {"name": name}).update(override.model_dump(exclude_none=True))
    gates = []
    for name, g in merged.items():
        if not g.get("enabled", True):
            continue
        try:
            gate = Gate.model_validate({k: v for k, v in g.items() if k != "enabled"})
        except ValidationError as exc:
            missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
            raise ConfigError(f"gate {name} in config needs {missing}.") from None
        _check_threshold(gate)
        gates.append(gate)
    return gates


def _metric_range(metric: str) -> tuple[float, float, str] | None:
    """What a threshold may be for a metric, from its name; None where the name says nothing (a user's metric)."""
    leaf = metric.rsplit(".", 1)[-1]
    if leaf.endswith("rise_share") or leaf.endswith("_nats"):
        return None  # changes: can go either way
    if any(w in leaf for w in ("rate", "share", "coverage", "normalised", "fraction")):
        return 0.0, 1.0, "a share between 0 and 1"
    if metric.startswith("published.") or any(w in metric for w in (
            "count", "residual", "rejected", "rule.", "examples", "steps", "nonfinite", "conflicts", "total")):
        return 0.0, math.inf, "a count, 0 or more"
    return None


def _check_threshold(gate: Gate) -> None:
    """A negative count or a share above 1 would make a gate pass (or fail) whatever the data: refused."""
    where = f"gates.{gate.name}.threshold = {gate.threshold:g}"
    if not math.isfinite(gate.threshold):
        raise ConfigError(f"{where} is not a finite number.")
    rng = _metric_range(gate.metric)
    if rng and not rng[0] <= gate.threshold <= rng[1]:
        raise ConfigError(f"{where} is out of range for {gate.metric}, which is {rng[2]}.")


def flatten(name: str, result: StageResult) -> dict[str, float]:
    """A stage's numeric stats as 'stage.stat' metrics (timings stay in the terminal)."""
    return {f"{name}.{key}": value for key, value in result.stats.items()
            if isinstance(value, (int, float)) and not isinstance(value, bool) and not is_timing(key)}


def collect_metrics(stages: list[tuple[str, StageResult]], published: dict[str, int]) -> dict[str, float]:
    """Flatten every stage's stats to 'stage.stat' and add the derived metrics the gates use."""
    metrics: dict[str, float] = {}
    for name, res in stages:
        metrics.update(flatten(name, res))
    metrics.update(coverage_metrics(stages))  # per input file: the share lost at ingest and validation
    metrics["published.total"] = sum(published.values())
    for name, n in published.items():
        metrics[f"published.{name}"] = n
    dedup = [(name, res) for name, res in stages if name in names_where("input_duplicates")]
    into_dedup = dedup[0][1].stats.get("records_in") if dedup else None
    if into_dedup:
        # Duplicates of records an earlier version published are expected (exports overlap) and are not counted:
        # the gate is about repetition inside the data that arrived.
        dups = sum(len(res.rejected) - res.stats.get("duplicates_of_earlier_versions", 0) for _, res in dedup)
        metrics["dedup.input_duplicate_rate"] = round(dups / into_dedup, 6)
    return dict(sorted(metrics.items()))



"""A gate's verdict: a value against a threshold, with a sentence a person understands. A leaf module, so the
smoke stage's own sentences use the same comparison as the gate engine."""
from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

from curate.fmt import number

if TYPE_CHECKING:
    from curate.config import Gate

OPS = {">=": operator.ge, "<=": operator.le, "==": operator.eq, ">": operator.gt, "<": operator.lt}


def passes(value: float, op: str, threshold: float) -> bool:
    """The one comparison every gate uses (the smoke stage's sentences too); NaN passes nothing."""
    return not (isinstance(value, float) and math.isnan(value)) and OPS[op](value, threshold)


class GateFailed(Exception):
    """A fail-severity gate did not pass; the message is the gates' sentences (no data values)."""


@dataclass
class GateResult:
    name: str
    metric: str
    value: float | None
    op: str
    threshold: float
    severity: str
    status: Literal["pass", "fail", "warn", "skip"]
    reason: str
    sentence: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate(gates: list[Gate], metrics: dict[str, float]) -> list[GateResult]:
    results = []
    for g in gates:
        value = metrics.get(g.metric, g.default)
        if value is None:
            results.append(GateResult(g.name, g.metric, None, g.op, g.threshold, g.severity, "skip", g.reason,
                                       f"{g.name}: not measured ({g.metric} was not produced by this run)"))
            continue
        ok = passes(value, g.op, g.threshold)
        status = "pass" if ok else ("fail" if g.severity == "fail" else "warn")
        verdict = "passed" if ok else ("FAILED" if status == "fail" else "warning")
        sentence = f"{g.name} {verdict}: {g.metric} = {number(value)} (needs {g.op} {number(g.threshold)}) - {g.reason}"
        results.append(GateResult(g.name, g.metric, value, g.op, g.threshold, g.severity, status, g.reason, sentence))
    return results


def failed(results: list[GateResult]) -> list[GateResult]:
    return [r for r in results if r.status == "fail"]

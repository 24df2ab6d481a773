"""Walks the declared stages (curate/stages/order.py), judges the gates, publishes. `call` decides how each stage
runs: directly, or as a Prefect task (flows/). `curate check` runs the same stages and gates and writes nothing but
its report. Nothing here knows a stage by name: a stage's attributes (curate/stage.py) say where it is special."""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.config import Config
from curate.gates import collect_metrics, effective_gates, flatten
from curate.verdict import GateResult, evaluate, failed
from curate.lineage import Lineage
from curate.mapping import Mapper, in_process
from curate.output import check_output
from curate.publish import PublishSummary, publish
from curate.records import Record, StageResult
from curate.splits import dataset_name
from curate.stage import RunContext, Stage
from curate.stages.ingest.inspect import explain_coverage, format_table, source_rows
from curate.stages.order import STAGES
from curate.versions import Prior, VersionStore, lock, write_state

StageCall = Callable[..., Any]


def call_directly(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


@dataclass
class StagesOutcome:
    records: list[Record]
    stages: list[tuple[str, StageResult]]
    metrics: dict[str, float]
    gates: list[GateResult]
    prior: Prior | None = None
    superseded: int = 0  # records of the parent version whose source file changed since

    @property
    def passed(self) -> bool:
        return not failed(self.gates)

    @property
    def files_read(self) -> int:
        return len(self.stages[0][1].index.get("sources", {}))


def run_stages(src: Path, cfg: Config, *, progress: bool = True, call: StageCall = call_directly,
               mapper: Mapper = in_process, prior: Prior | None = None, show_sources: bool = False) -> StagesOutcome:
    """Every stage up to the gates; nothing is written. prior: the latest version of a versioned output: only new
    or changed files are read, new records deduplicate against its records, and the gates judge the whole new
    version (carried + new). show_sources (or progress): print the table of input files to stderr once their
    losses are final, before the slow stages (`curate run` does, --quiet or not)."""
    ctx = RunContext(cfg, progress, mapper, prior, src)
    for stage in STAGES:
        if stage.enabled(ctx):
            stage.preflight(ctx)
    current: list[Record] = []
    superseded = 0
    for stage in (s for s in STAGES if not s.after_gates):
        if not stage.enabled(ctx):
            continue
        if stage.whole_version and ctx.prior is not None:
            current = [*ctx.prior.records, *current]  # it and the gates judge the whole version
        result = _timed(call, stage, current, ctx)
        ctx.done.append((stage.name, result))
        current = result.kept
        if stage.reads_input and ctx.prior is not None:
            read = result.index.get("sources", {})
            if not read:  # nothing new or changed: no version to make
                return StagesOutcome(ctx.prior.records, ctx.done, {}, [], ctx.prior)
            ctx.prior, superseded = ctx.prior.without_sources({n for n in read if n in ctx.prior.sources})
        if stage.closes_source_table and (progress or show_sources):
            print(format_table(source_rows(ctx.done)), file=sys.stderr)
    published: dict[str, int] = {}
    for rec in current:
        published[dataset_name(rec)] = published.get(dataset_name(rec), 0) + 1
    metrics = collect_metrics(ctx.done, published)
    return StagesOutcome(current, ctx.done, metrics, judge(cfg, metrics, ctx.done), ctx.prior, superseded)


def _timed(call: StageCall, stage: Stage, records: list[Record], ctx: RunContext) -> StageResult:
    """Run one stage; its time goes to stats["seconds"] (the terminal and benchmarks read it, outputs never do)."""
    t0 = time.perf_counter()
    result: StageResult = call(stage.name, stage.run, records, ctx)
    seconds = round(time.perf_counter() - t0, 3)
    result.stats.setdefault("seconds", seconds)
    if ctx.progress:
        print(f"{stage.name}: {len(records) if not stage.reads_input else result.stats.get('records_in', '?')} in, "
              f"{len(result.kept)} kept, {len(result.rejected)} rejected ({seconds:.1f} s)", file=sys.stderr)
    return result


def judge(cfg: Config, metrics: dict[str, float], results: list[tuple[str, StageResult]]) -> list[GateResult]:
    """Every gate (those of stages after the gates included) on the metrics; source_coverage's sentence names the
    worst file."""
    extra = [g for s in STAGES for g in s.default_gates(cfg)]
    return explain_coverage(evaluate(effective_gates(cfg, extra), metrics), results)


def _after_gates(outcome: StagesOutcome, cfg: Config, out: Path, call: StageCall, progress: bool, smoke: str
                 ) -> tuple[list[tuple[str, StageResult]], list[GateResult], Path | None]:
    """The stages after the gates (smoke training). smoke: 'auto' runs them only when every earlier gate passed;
    'force' always; 'skip' never. Their files go to a work folder beside `out` that publish copies in."""
    results, gates = outcome.stages, outcome.gates
    ctx = RunContext(cfg, progress, prior=outcome.prior, done=list(results))
    todo = [s for s in STAGES if s.after_gates and s.enabled(ctx)]
    if not todo or smoke == "skip" or not (outcome.passed or smoke == "force") or not outcome.records:
        return results, gates, None
    out.parent.mkdir(parents=True, exist_ok=True)
    ctx.workdir = Path(tempfile.mkdtemp(prefix=f".{out.name}.smoke-", dir=out.parent))
    try:
        for stage in todo:
            result = _timed(call, stage, outcome.records, ctx)
            ctx.done.append((stage.name, result))
            outcome.metrics.update(flatten(stage.name, result))
    except BaseException:
        shutil.rmtree(ctx.workdir, ignore_errors=True)
        raise
    return ctx.done, judge(cfg, outcome.metrics, ctx.done), ctx.workdir


def run_pipeline(src: Path, out: Path, cfg: Config, *, force: bool = False, progress: bool = True,
                 call: StageCall = call_directly, smoke: str = "auto", mapper: Mapper = in_process) -> PublishSummary:
    check_output(out, force)  # fail before the slow work, not after it
    outcome = run_stages(src, cfg, progress=progress, call=call, mapper=mapper, show_sources=True)
    stages, gates, smoke_dir = _after_gates(outcome, cfg, out, call, progress, smoke)
    # A failed gate still publishes the report and rejects, marked not publishable, so people can see why.
    return _publish(call, smoke_dir, outcome.records, stages, out, cfg, force, gates, outcome.metrics, smoke_dir)


def _publish(call: StageCall, smoke_dir: Path | None, *args: Any) -> PublishSummary:
    try:
        return call("publish", publish, *args)
    except BaseException:
        if smoke_dir is not None:  # after publish's last retry
            shutil.rmtree(smoke_dir, ignore_errors=True)
        raise


def run_incremental(src: Path, root: Path, cfg: Config, *, progress: bool = True, call: StageCall = call_directly,
                    smoke: str = "auto", mapper: Mapper = in_process) -> PublishSummary | None:
    """Curate what is new in src into the next version under root; None when no file is new or changed.
    `latest` moves to the new version only when every gate passed."""
    store = VersionStore(root)
    store.check()
    with lock(root):
        return _next_version(store, src, cfg, progress, call, smoke, mapper)


def _next_version(store: VersionStore, src: Path, cfg: Config, progress: bool, call: StageCall, smoke: str,
                  mapper: Mapper) -> PublishSummary | None:
    root = store.root
    store.clean_interrupted()
    prior = store.load_prior()
    outcome = run_stages(src, cfg, progress=progress, call=call, mapper=mapper, prior=prior, show_sources=True)
    if prior is not None and outcome.files_read == 0:
        return None
    name = store.next_name()
    out = root / name
    stages, gates, smoke_dir = _after_gates(outcome, cfg, out, call, progress, smoke)
    new_sources = sorted(outcome.stages[0][1].index.get("sources", {}))
    lineage = Lineage(
        version={"name": name, "parent": prior.version if prior else None,
                 "sources_read": new_sources,
                 "changed_sources": sorted(n for n in new_sources if prior and n in prior.sources),
                 "carried": len(prior.records) if prior else 0, "superseded": outcome.superseded},
        carried=len(prior.records) if prior else 0, placement=prior.placement if prior else {},
        rows=prior.lineage if prior else {},
        write_state=lambda folder: write_state(folder, outcome.records, stages, prior))
    summary = _publish(call, smoke_dir, outcome.records, stages, out, cfg, False, gates, outcome.metrics, smoke_dir,
                       lineage)
    if summary.publishable:
        store.set_latest(name)
    return summary

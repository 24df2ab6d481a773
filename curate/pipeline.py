"""The stages in order, the gates, then publishing. `call` decides how each stage runs: directly, or as a
Prefect task (flows/). `curate check` runs the same stages and gates and writes nothing but its report."""
from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curate.config import Config
from curate.stages.exact.dedup import dedup_exact
from curate.stages.near.minhash import dedup_near
from curate.stages.semantic.dedup import dedup_semantic
from curate.stages.diversity.measure import measure_diversity
from curate.gates import GateResult, collect_metrics, effective_gates, evaluate, failed
from curate.stages.ingest import ingest
from curate.stages.ingest.inspect import explain_coverage, format_table, source_rows
from curate.mapping import Mapper, in_process
from curate.publish import Lineage, PublishSummary, check_output, dataset_name, publish, split_by_dataset
from curate.records import Record, Reject, StageResult, is_timing
from curate.stages.smoke.checks import smoke_gates
from curate.stages.validate.rules import validate
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
    version (carried + new). show_sources (or progress): print the table of input files to stderr after validation,
    before the slow stages (`curate run` does, --quiet or not)."""
    ingested: StageResult = call("ingest", ingest, src, cfg, progress, mapper, prior.sources if prior else None)
    stages: list[tuple[str, StageResult]] = [("ingest", ingested)]
    superseded = 0
    if prior is not None:
        if not ingested.index.get("sources"):  # nothing new or changed: no version to make
            return StagesOutcome(prior.records, stages, {}, [], prior)
        changed = {n for n in ingested.index.get("sources", {}) if n in prior.sources}
        prior, superseded = prior.without_sources(changed)
    current = ingested.kept
    if prior is not None and prior.erased:  # records erased by id, e.g. re-read from a changed file
        blocked = keep_out_erased(current, {}, prior.erased)
        stages.append(("erasure_block", blocked))
        current = blocked.kept
    steps: list[tuple[str, Callable[..., StageResult], tuple[Any, ...]]] = [
        ("validate", validate, (cfg.validate_, Path("."), mapper)),
        ("exact_dedup", dedup_exact, (cfg.dedup, prior.exact if prior else None)),
        # MinHash before PII scrubbing (cheap, fewer records to scan); embeddings after it.
        *([("near_dedup", dedup_near, (cfg.near_dedup, progress, mapper, prior.minhash if prior else None))]
          if cfg.near_dedup.enabled else []),
        *([("pii_scrub", scrub_pii, (cfg.pii, progress, mapper))] if cfg.pii.enabled else []),
        *([("semantic_dedup", dedup_semantic, (cfg.semantic_dedup, progress, mapper,
                                               prior.embeddings if prior else None))]
          if cfg.semantic_dedup.enabled else []),
        ("diversity", measure_diversity, (cfg.diversity, cfg.semantic_dedup, progress)),
    ]
    for name, fn, args in steps:
        if name == "exact_dedup" and (progress or show_sources):  # before the slow stages: what each file gave
            print(format_table(source_rows(stages)), file=sys.stderr)
        if name == "diversity" and prior is not None:
            current = [*prior.records, *current]  # diversity and the gates judge the whole version
        result: StageResult = call(name, fn, current, *args)
        stages.append((name, result))
        current = result.kept
        if name == "pii_scrub" and prior is not None and prior.erased:
            blocked = keep_out_erased(current, result.details.get("subject_index", {}), prior.erased,
                                      "erasure_block_subjects")
            stages.append(("erasure_block_subjects", blocked))
            current = blocked.kept
    published: dict[str, int] = {}
    for rec in current:
        published[dataset_name(rec)] = published.get(dataset_name(rec), 0) + 1
    metrics = collect_metrics(stages, published)
    return StagesOutcome(current, stages, metrics, judge(cfg, metrics, stages), prior, superseded)


def judge(cfg: Config, metrics: dict[str, float], stages: list[tuple[str, StageResult]]) -> list[GateResult]:
    """Every gate (the smoke stage's included) on the metrics; source_coverage's sentence names the worst file."""
    return explain_coverage(evaluate(effective_gates(cfg, smoke_gates(cfg.smoke)), metrics), stages)


def keep_out_erased(records: list[Record], subjects: dict[str, list[str]], erased: dict[str, int],
                    stage: str = "erasure_block") -> StageResult:
    """A record or subject erased on request stays out of later versions when new exports bring them back."""
    kept, rejected = [], []
    for rec in records:
        entry = erased.get(rec.id) or next((erased[h] for h in subjects.get(rec.id, []) if h in erased), None)
        if entry is None:
            kept.append(rec)
        else:
            rejected.append(Reject(id=rec.id, provenance=rec.provenance, stage=stage,
                                   reason=f"concerns a subject or record erased on request (erasure log entry {entry})"))
    return StageResult(kept, rejected, {"records_in": len(records), "kept": len(kept), "rejected": len(rejected)})


def scrub_pii(records: list[Record], cfg: Any, progress: bool, mapper: Mapper = in_process) -> StageResult:
    from curate.stages.pii import scrub  # Presidio and spaCy load only when the stage runs

    return scrub(records, cfg, progress, mapper)


def run_smoke(records: list[Record], cfg: Config, smoke_dir: Path, progress: bool,
              fixed: dict[str, tuple[str, str]] | None = None) -> StageResult:
    """The LoRA smoke run on the train split, judged on the validation split publish will write."""
    from curate.stages.smoke import smoke_train

    validation = [r for recs in split_by_dataset(records, cfg, fixed).values() for r in recs[1]]
    return smoke_train(records, cfg.smoke, smoke_dir, progress, validation=validation)


def _with_smoke(outcome: StagesOutcome, cfg: Config, out: Path, call: StageCall, progress: bool, smoke: str
                ) -> tuple[list[tuple[str, StageResult]], list[GateResult], Path | None]:
    """smoke: 'auto' runs the smoke gate only when every earlier gate passed; 'force' always; 'skip' never."""
    stages, gates = outcome.stages, outcome.gates
    smoke_dir = None
    if cfg.smoke.enabled and smoke != "skip" and (outcome.passed or smoke == "force") and outcome.records:
        out.parent.mkdir(parents=True, exist_ok=True)
        smoke_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.smoke-", dir=out.parent))
        fixed = outcome.prior.placement if outcome.prior else None
        try:
            smoked: StageResult = call("smoke", run_smoke, outcome.records, cfg, smoke_dir, progress, fixed)
        except BaseException:
            shutil.rmtree(smoke_dir, ignore_errors=True)
            raise
        stages = [*stages, ("smoke", smoked)]
        outcome.metrics.update({f"smoke.{k}": v for k, v in smoked.stats.items()
                                if isinstance(v, (int, float)) and not isinstance(v, bool) and not is_timing(k)})
        gates = judge(cfg, outcome.metrics, stages)
    return stages, gates, smoke_dir


def run_pipeline(src: Path, out: Path, cfg: Config, *, force: bool = False, progress: bool = True,
                 call: StageCall = call_directly, smoke: str = "auto", mapper: Mapper = in_process) -> PublishSummary:
    check_output(out, force)  # fail before the slow work, not after it
    outcome = run_stages(src, cfg, progress=progress, call=call, mapper=mapper, show_sources=True)
    stages, gates, smoke_dir = _with_smoke(outcome, cfg, out, call, progress, smoke)
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
    if prior is not None and any(len(k) > 16 for k in prior.erased):  # subject hashes, not record ids
        from curate.stages.pii.stage import PiiError, resolve_key

        if not cfg.pii.enabled or resolve_key(cfg.pii) is None:
            raise PiiError(f"{root}/erasure_log.jsonl lists erased subjects to keep out of new versions, which "
                           f"needs the PII stage and its HMAC key: set {cfg.pii.key_env}.")
    outcome = run_stages(src, cfg, progress=progress, call=call, mapper=mapper, prior=prior, show_sources=True)
    if prior is not None and outcome.files_read == 0:
        return None
    name = store.next_name()
    out = root / name
    stages, gates, smoke_dir = _with_smoke(outcome, cfg, out, call, progress, smoke)
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

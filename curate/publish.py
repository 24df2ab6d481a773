"""Publish: split, write the datasets (curate/output.py), the rejects, the reports and the manifest."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from curate import __version__
from curate.config import Config
from curate.verdict import GateResult, failed
from curate.lineage import Lineage, lineage_rows
from curate.output import check_output, finish, into_place, write_version
from curate.records import Record, Reject, StageResult, is_timing, rules_in
from curate.splits import split_by_dataset
from curate.stages.order import names_where
from curate.report import write_reports

PACKAGES = ["datasets", "pyarrow", "pydantic", "pandas", "polars", "jsonschema", "presidio-analyzer",
            "sentence-transformers", "datasketch", "torch", "peft", "transformers", "prefect"]


class AccountingError(RuntimeError):
    """Records went missing: in != published + rejected. Always a bug, never ignored."""


def _versions() -> dict[str, str]:
    out = {}
    for pkg in PACKAGES:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@dataclass
class PublishSummary:
    out: str
    records_in: int
    published: int
    rejected: int
    datasets: dict[str, dict[str, int]]
    stages: list[dict[str, Any]]
    publishable: bool = True
    failures: list[str] = field(default_factory=list)
    version: str | None = None


def publish(records: list[Record], stages: list[tuple[str, StageResult]], out: Path, cfg: Config,
            force: bool = False, gates: list[GateResult] = (), metrics: dict[str, float] | None = None,
            smoke_dir: Path | None = None, lineage: Lineage | None = None) -> PublishSummary:
    """Split, write each dataset in the format fine-tuning tools load as is, the rejects, the reports and the
    manifest. smoke_dir: files of the stages after the gates (adapter, loss curve), copied in."""
    check_output(out, force)
    rejects: list[Reject] = [r for _, res in stages for r in res.rejected]
    records_in = int(stages[0][1].stats["records_in"])
    carried = lineage.carried if lineage else 0
    if records_in + carried != len(records) + len(rejects):
        raise AccountingError(f"accounting broken: {records_in} records in, {carried} carried over, "
                              f"{len(records)} published, {len(rejects)} rejected")
    placement: dict[str, tuple[str, str]] = {}
    for name, (train, val) in split_by_dataset(records, cfg, lineage.placement if lineage else None).items():
        placement.update({r.id: (name, "train") for r in train} | {r.id: (name, "validation") for r in val})
    version_name = lineage.version["name"] if lineage else None
    rows = lineage_rows(records, stages, placement, version_name, lineage.rows if lineage else None)
    # the caller removes smoke_dir when this fails, once no retry is left
    with into_place(out) as tmp:
        counts = write_version(tmp, records, placement, rows, rejects)
        if lineage and lineage.write_state:
            lineage.write_state(tmp)
        stage_rows = [{"stage": name, "records_in": len(res.kept) + len(res.rejected), "kept": len(res.kept),
                       "rejected": len(res.rejected),
                       "rejects_by_reason": _reason_counts(res.rejected),
                       "stats": {k: v for k, v in res.stats.items() if not is_timing(k)},
                       **({"details": res.details} if res.details else {})}
                      for name, res in stages]
        inputs = sorted({(r.provenance.source, r.provenance.sha256) for r in [*records, *rejects]})
        if smoke_dir is not None:
            shutil.copytree(smoke_dir, tmp / "smoke")  # adapter, metrics.json, loss curve (kept for a retry)
        publishable = not failed(list(gates))
        (tmp / "metrics.json").write_text(json.dumps(metrics or {}, indent=2) + "\n", encoding="utf-8")
        write_reports(tmp, stages, list(gates), metrics or {}, records, counts, publishable)
        manifest = {
            "curate_version": __version__,
            **({"version": lineage.version} if lineage else {}),
            "publishable": publishable,
            "gates": [g.as_dict() for g in gates],
            "inputs": [{"source": s, "sha256": h} for s, h in inputs],
            "config": cfg.model_dump(mode="json"),
            "packages": _versions(),
            "stages": stage_rows,
            "datasets": counts,
            "accounting": {"records_in": records_in, **({"carried": carried} if lineage else {}),
                           "published": len(records), "rejected": len(rejects), "balanced": True},
        }
        finish(tmp, manifest, cfg)
    if smoke_dir is not None:
        shutil.rmtree(smoke_dir, ignore_errors=True)
    return PublishSummary(str(out), records_in, len(records), len(rejects), counts, stage_rows, publishable,
                          [g.sentence for g in failed(list(gates))], version_name)


def _reason_counts(rejects: list[Reject]) -> dict[str, int]:
    """Group reasons by their rule, not by the record they name (duplicate reasons carry a locator)."""
    counts: dict[str, int] = {}
    by_rule = names_where("collapse_rule_reasons")
    for r in rejects:
        key = r.reason.split(" of ")[0] if r.duplicate_of else r.reason
        if r.stage in by_rule:  # "rule at /pointer: detail; ..." -> the rules only
            key = rules_in(key)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

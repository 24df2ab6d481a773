"""Publish: split, write each dataset in the format fine-tuning tools load as is, write rejects and the manifest.

Everything goes to a temporary folder beside --out first and is renamed into place at the end, so a crash never
leaves a half-written dataset behind.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from curate import __version__
from curate.config import Config
from curate.datasheet import load_pii_evaluation, render_datasheet
from curate.gates import GateResult, failed
from curate.stages.ingest.sources import sha256_file
from curate.lineage import lineage_rows
from curate.records import Message, Record, Reject, StageResult, is_timing
from curate.report import write_reports

PACKAGES = ["datasets", "pyarrow", "pydantic", "pandas", "polars", "jsonschema", "presidio-analyzer",
            "sentence-transformers", "datasketch", "torch", "peft", "transformers", "prefect"]


class OutputError(Exception):
    """The output folder cannot be used; the message is one plain sentence."""


class AccountingError(RuntimeError):
    """Records went missing: in != published + rejected. Always a bug, never ignored."""


def check_apart(out: Path, src: Path, option: str = "--out") -> None:
    """An output may be neither the input, nor inside it (the next run would read curate's own outputs), nor
    above it (replacing it would delete the input). Resolved paths: symlinks are followed."""
    o, s = out.expanduser().resolve(), src.expanduser().resolve()
    where = ("is the input" if o == s else "is inside the input" if s in o.parents else
             "holds the input" if o in s.parents else None)
    if where:
        raise OutputError(f"{option} {out} {where} {src}; choose a folder outside the input (nothing was changed).")


def written_by_curate(folder: Path) -> bool:
    """A folder that a plain curate run published: its manifest.json says so."""
    manifest = folder / "manifest.json"
    try:
        if not manifest.is_file() or manifest.stat().st_size > 50_000_000:
            return False
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "curate_version" in data and "accounting" in data


def check_output(out: Path, force: bool) -> bool:
    """Refuse an output that would overwrite anything but an earlier curate output; True when --force will
    replace one."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"Output {out} exists and is not a folder.")
    if not (out.is_dir() and any(out.iterdir())):
        return False
    if not force:
        raise OutputError(f"Output folder {out} is not empty; pass --force to replace an earlier curate output "
                          "there, or choose another folder.")
    if not written_by_curate(out):
        raise OutputError(f"Output folder {out} is not empty and was not written by curate (no curate manifest.json); "
                          "--force only replaces curate's own outputs, so it is left as it is.")
    return True


def dataset_name(rec: Record) -> str:
    """Which published dataset a record joins: one per fine-tuning shape, so each file has uniform rows."""
    if rec.kind in ("chat", "instruction"):
        return "kto" if isinstance(rec.label, bool) else "sft"
    return rec.kind


def dataset_counts(records: list[Record]) -> dict[str, dict[str, int]]:
    """Records per published dataset, for reports on data that is measured but not split (curate check)."""
    out: dict[str, dict[str, int]] = {}
    for rec in records:
        out.setdefault(dataset_name(rec), {"train": 0, "validation": 0})["train"] += 1
    return dict(sorted(out.items()))


def _msgs(msgs: list[Message] | None) -> list[dict[str, Any]]:
    return [m.model_dump(exclude_none=True) for m in msgs or []]


def to_row(rec: Record) -> dict[str, Any]:
    """The record in its kind's natural fine-tuning format (OpenAI messages; TRL preference/KTO columns)."""
    name = dataset_name(rec)
    if name == "sft":
        row: dict[str, Any] = {"messages": _msgs(rec.messages)}
    elif name == "kto":
        msgs = _msgs(rec.messages)
        row = {"prompt": msgs[:-1], "completion": msgs[-1:], "label": rec.label}
    elif name == "preference":
        row = {"prompt": _msgs(rec.prompt), "chosen": _msgs(rec.chosen), "rejected": _msgs(rec.rejected)}
    elif name == "classification":
        row = {"text": rec.text, "label": rec.label}
    else:
        row = {"text": rec.text}
    if rec.tools:
        row["tools"] = rec.tools
    return row


def split(records: list[Record], fraction: float, seed: int) -> tuple[list[Record], list[Record]]:
    """Deterministic: rank by a seeded hash of the id, the lowest ranks go to validation; order is kept."""
    if fraction <= 0 or len(records) < 2:
        return records, []
    n_val = min(len(records) - 1, max(1, math.floor(len(records) * fraction)))
    rank = sorted(records, key=lambda r: hmac.new(str(seed).encode(), r.id.encode(), hashlib.sha256).digest())
    val_ids = {id(r) for r in rank[:n_val]}
    return [r for r in records if id(r) not in val_ids], [r for r in records if id(r) in val_ids]


def _unit_hash(seed: int, rid: str) -> float:
    return int.from_bytes(hmac.new(str(seed).encode(), rid.encode(), hashlib.sha256).digest()[:8], "big") / 2 ** 64


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n")


def _arrow_rows(recs: list[Record]) -> list[dict[str, Any]]:
    # Tool schemas differ per tool, which Arrow cannot type as one struct: keep them as a JSON string there.
    rows = []
    for r in recs:
        row = {"id": r.id, **to_row(r)}
        if "tools" in row:
            row["tools"] = json.dumps(row["tools"], ensure_ascii=False)
        rows.append(row)
    return rows


def _write_dataset(folder: Path, splits: dict[str, list[Record]]) -> None:
    import datasets
    import pyarrow.parquet as pq

    datasets.disable_progress_bars()  # curate draws its own progress; one bar per shard is noise
    folder.mkdir(parents=True)
    dd = {}
    for split_name, recs in splits.items():
        _jsonl(folder / f"{split_name}.jsonl", [to_row(r) for r in recs])
        ds = datasets.Dataset.from_list(_arrow_rows(recs)) if recs else datasets.Dataset.from_dict({"id": []})
        # A content-derived fingerprint (datasets would pick a random one) keeps save_to_disk byte-identical.
        fp = hashlib.sha256("".join(r.id for r in recs).encode()).hexdigest()[:16]
        ds = datasets.Dataset(ds.data, info=ds.info, split=datasets.NamedSplit(split_name), fingerprint=fp)
        pq.write_table(ds.data.table, folder / f"{split_name}.parquet")
        dd[split_name] = ds
    datasets.DatasetDict(dd).save_to_disk(str(folder / "dataset"))


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


def split_by_dataset(records: list[Record], cfg: Config, fixed: dict[str, tuple[str, str]] | None = None
                     ) -> dict[str, tuple[list[Record], list[Record]]]:
    """fixed: id -> (dataset, split) of records an earlier version published; they keep their split, so a model
    validated on one version is never trained on its validation records by the next."""
    fixed = fixed or {}
    groups: dict[str, list[Record]] = {}
    for rec in records:
        groups.setdefault(dataset_name(rec), []).append(rec)
    out = {}
    for name in sorted(groups):
        recs = groups[name]
        fresh = [r for r in recs if r.id not in fixed]
        if fixed:  # a later version: each new record's side from its own hash, so small batches keep the fraction
            val = [r for r in fresh if _unit_hash(cfg.split.seed, r.id) < cfg.split.validation_fraction]
        else:
            _, val = split(fresh, cfg.split.validation_fraction, cfg.split.seed)
        val_ids = {r.id for r in val} | {r.id for r in recs if fixed.get(r.id, ("", ""))[1] == "validation"}
        out[name] = ([r for r in recs if r.id not in val_ids], [r for r in recs if r.id in val_ids])
    return out


@dataclass
class Lineage:
    """What a versioned run adds to publish: the parent's placement and lineage of carried records, the version
    entry of the manifest, and a writer for the state the next run reads."""
    version: dict[str, Any]
    carried: int = 0
    placement: dict[str, tuple[str, str]] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    write_state: Callable[[Path], None] | None = None


def publish(records: list[Record], stages: list[tuple[str, StageResult]], out: Path, cfg: Config,
            force: bool = False, gates: list[GateResult] = (), metrics: dict[str, float] | None = None,
            smoke_dir: Path | None = None, lineage: Lineage | None = None) -> PublishSummary:
    check_output(out, force)
    rejects: list[Reject] = [r for _, res in stages for r in res.rejected]
    records_in = int(stages[0][1].stats["records_in"])
    carried = lineage.carried if lineage else 0
    if records_in + carried != len(records) + len(rejects):
        raise AccountingError(f"accounting broken: {records_in} records in, {carried} carried over, "
                              f"{len(records)} published, {len(rejects)} rejected")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        counts: dict[str, dict[str, int]] = {}
        placement: dict[str, tuple[str, str]] = {}
        for name, (train, val) in split_by_dataset(records, cfg, lineage.placement if lineage else None).items():
            _write_dataset(tmp / name, {"train": train, "validation": val})
            counts[name] = {"train": len(train), "validation": len(val)}
            placement.update({r.id: (name, "train") for r in train} | {r.id: (name, "validation") for r in val})
        # The curated records with provenance (what a later version carries over) and their history.
        with (tmp / "records.jsonl").open("w", encoding="utf-8") as f:
            for rec in records:
                f.write(rec.model_dump_json(exclude_none=True) + "\n")
        version_name = lineage.version["name"] if lineage else None
        _jsonl(tmp / "lineage.jsonl", lineage_rows(records, stages, placement, version_name,
                                                   lineage.rows if lineage else None))
        if lineage and lineage.write_state:
            lineage.write_state(tmp)
        with (tmp / "rejects.jsonl").open("w", encoding="utf-8") as f:
            for rej in rejects:
                f.write(rej.model_dump_json(exclude_none=True) + "\n")
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
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)  # the caller removes smoke_dir once no retry is left
        raise
    if smoke_dir is not None:
        shutil.rmtree(smoke_dir, ignore_errors=True)
    return PublishSummary(str(out), records_in, len(records), len(rejects), counts, stage_rows, publishable,
                          [g.sentence for g in failed(list(gates))], version_name)


def finish(folder: Path, manifest: dict[str, Any], cfg: Config) -> None:
    """The datasheet (from the manifest), then the manifest with the sha256 of every file, datasheet included."""
    manifest["outputs"] = [{"path": p.relative_to(folder).as_posix(), "sha256": sha256_file(p)}
                           for p in sorted(folder.rglob("*")) if p.is_file()]
    (folder / "DATASHEET.md").write_text(render_datasheet(manifest, cfg.datasheet, manifest.get("version"),
                                                          load_pii_evaluation()), encoding="utf-8")
    manifest["outputs"] = sorted([*manifest["outputs"], {"path": "DATASHEET.md",
                                                         "sha256": sha256_file(folder / "DATASHEET.md")}],
                                 key=lambda o: o["path"])
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    folder.chmod(0o755)  # mkdtemp makes it private; a published dataset is for the team to read


def _reason_counts(rejects: list[Reject]) -> dict[str, int]:
    """Group reasons by their rule, not by the record they name (duplicate reasons carry a locator)."""
    counts: dict[str, int] = {}
    for r in rejects:
        key = r.reason.split(" of ")[0] if r.duplicate_of else r.reason
        if r.stage == "validate":  # "rule at /pointer: detail; ..." -> the rules only
            key = ", ".join(sorted({part.split(" at ")[0].strip() for part in key.split(";")}))
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

"""Where each published record came from and what the stages did to it: one row per record in lineage.jsonl."""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.records import Record, StageResult
from curate.stages.order import STAGES, stage_named


@dataclass
class Lineage:
    """What a versioned run adds to publish: the parent's placement and lineage of carried records, the version
    entry of the manifest, and a writer for the state the next run reads."""
    version: dict[str, Any]
    carried: int = 0
    placement: dict[str, tuple[str, str]] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    write_state: Callable[[Path], None] | None = None


def lineage_rows(records: list[Record], stages: list[tuple[str, StageResult]], placement: dict[str, tuple[str, str]],
                 version: str | None, earlier: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """placement: id -> (dataset, split). earlier: rows of records carried over from the parent version, kept as
    they were (their history happened in the run that added them)."""
    duplicates: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for name, res in stages:
        stage = stage_named(name)
        kind = stage.duplicate_kind if stage else None
        for rej in res.rejected:
            if kind and rej.duplicate_of and rej.id:
                duplicates[rej.duplicate_of][kind].append(rej.id)
    rows = []
    for rec in records:
        if earlier and rec.id in earlier:
            row = dict(earlier[rec.id])
        else:
            changes = [line for stage in STAGES for line in stage.lineage_changes(rec, duplicates[rec.id])]
            row = {"id": rec.id, "kind": rec.kind, "source": rec.provenance.source, "locator": rec.provenance.locator,
                   "source_sha256": rec.provenance.sha256, "added_in": version, "changes": changes,
                   "duplicates": {k: sorted(v) for k, v in sorted(duplicates[rec.id].items())}}
        row["dataset"], row["split"] = placement[rec.id]
        rows.append(row)
    return rows


def describe(row: dict[str, Any], where: str) -> list[str]:
    """Plain lines for `curate lineage show`."""
    lines = [f"record {row['id']} ({row.get('kind', '?')}) in {where}",
             f"  from:      {row['source']} {row['locator']} (file sha256 {row['source_sha256'][:16]}…)"]
    if row.get("added_in"):
        lines.append(f"  added in:  {row['added_in']}")
    if "dataset" in row:
        lines.append(f"  published: {row['dataset']}/{row['split']}")
    for change in row.get("changes") or ["no stage changed it"]:
        lines.append(f"  - {change}")
    for kind, ids in (row.get("duplicates") or {}).items():
        lines.append(f"  {kind} duplicates removed in its favour: {', '.join(ids)}")
    return lines


def _rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()] if path.is_file() else []


def find_record(out: Path, record_id: str) -> list[str]:
    """Everything curate knows about one record id under an output folder or a versioned root."""
    from curate.versions import VersionStore

    store = VersionStore(out)
    latest = store.latest()
    names = store.versions()
    # the latest version first, then the others newest first
    folders = [out] if not names else list(dict.fromkeys(out / n for n in ([latest] if latest else []) + names[::-1]))
    lines: list[str] = []
    holding = [f.name for f in folders if any(r["id"] == record_id for r in _rows(f / "lineage.jsonl"))]
    for folder in folders:
        row = next((r for r in _rows(folder / "lineage.jsonl") if r["id"] == record_id), None)
        if row:
            lines += describe(row, folder.name if names else str(folder))
            if names:
                lines.append(f"  versions holding it: {', '.join(sorted(holding))}"
                             + ("" if latest in holding else f" (not in latest, {latest})"))
            break
    for folder in folders:
        for rej in _rows(folder / "rejects.jsonl"):
            if rej.get("id") == record_id:
                where = f"{rej['provenance']['source']} {rej['provenance']['locator']}"
                lines.append(f"record {record_id} from {where} was rejected by {rej['stage']}"
                             f"{' in ' + folder.name if names else ''}: {rej['reason']}")
                if rej.get("duplicate_of"):
                    lines.append(f"  representative kept instead: {rej['duplicate_of']}"
                                 f" (curate lineage show {rej['duplicate_of']})")
                break
        else:
            continue
        break
    for entry in _rows(out / "erasure_log.jsonl"):
        if record_id in entry.get("records", []) or record_id in entry.get("covered_duplicates", []):
            lines.append(f"  erased by erasure log entry {entry['entry']} ({entry['reason']}); "
                         f"first version without it: {entry['new_version']}")
    return lines

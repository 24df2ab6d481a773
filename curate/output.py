"""The one writer of output folders: publish, versioned runs and forget's rewrites all write a version the same
way. Everything goes to a temporary folder beside the destination and is renamed into place at the end, so a crash
never leaves a half-written dataset behind; the checks here refuse any destination that is not curate's own."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from curate.datasheet import load_pii_evaluation, render_datasheet
from curate.records import Message, Record, Reject
from curate.splits import dataset_name
from curate.stages.ingest.sources import sha256_file


class OutputError(Exception):
    """The output folder cannot be used; the message is one plain sentence."""


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


def jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
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


def write_dataset(folder: Path, splits: dict[str, list[Record]]) -> None:
    import datasets
    import pyarrow.parquet as pq

    datasets.disable_progress_bars()  # curate draws its own progress; one bar per shard is noise
    folder.mkdir(parents=True)
    dd = {}
    for split_name, recs in splits.items():
        jsonl(folder / f"{split_name}.jsonl", [to_row(r) for r in recs])
        ds = datasets.Dataset.from_list(_arrow_rows(recs)) if recs else datasets.Dataset.from_dict({"id": []})
        # A content-derived fingerprint (datasets would pick a random one) keeps save_to_disk byte-identical.
        fp = hashlib.sha256("".join(r.id for r in recs).encode()).hexdigest()[:16]
        ds = datasets.Dataset(ds.data, info=ds.info, split=datasets.NamedSplit(split_name), fingerprint=fp)
        pq.write_table(ds.data.table, folder / f"{split_name}.parquet")
        dd[split_name] = ds
    datasets.DatasetDict(dd).save_to_disk(str(folder / "dataset"))


def write_version(folder: Path, records: list[Record], placement: dict[str, tuple[str, str]],
                  lineage: list[dict[str, Any]], rejects: list[Reject]) -> dict[str, dict[str, int]]:
    """The datasets (one per fine-tuning shape, records in order by their placement id -> (dataset, split)), the
    curated records with provenance (what a later version carries over), their history, and the rejects.
    Returns the records per dataset and split."""
    counts: dict[str, dict[str, int]] = {}
    for name in sorted({d for d, _ in placement.values()}):
        parts = {s: [r for r in records if placement[r.id] == (name, s)] for s in ("train", "validation")}
        write_dataset(folder / name, parts)
        counts[name] = {s: len(v) for s, v in parts.items()}
    with (folder / "records.jsonl").open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(rec.model_dump_json(exclude_none=True) + "\n")
    jsonl(folder / "lineage.jsonl", lineage)
    with (folder / "rejects.jsonl").open("w", encoding="utf-8") as f:
        for rej in rejects:
            f.write(rej.model_dump_json(exclude_none=True) + "\n")
    return counts


@contextmanager
def into_place(dst: Path) -> Iterator[Path]:
    """A temporary folder beside dst to write in; on success it replaces dst (an earlier curate output, or a version
    rewritten in place) by two renames, on failure it is removed and dst is left as it was."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dst.name}.tmp-", dir=dst.parent))
    try:
        yield tmp
        if dst.exists():
            old = dst.parent / f".{dst.name}.old-{os.getpid()}"
            dst.rename(old)
            tmp.rename(dst)
            shutil.rmtree(old)
        else:
            tmp.rename(dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def finish(folder: Path, manifest: dict[str, Any], cfg: Any) -> None:
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

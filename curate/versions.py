"""Versioned outputs: ROOT/v0001, v0002, … and a `latest` link. Each version is a complete dataset plus the state
the next run needs: which source files it has read (sha256), and the exact keys, MinHash signatures and embeddings
of every published record, so new exports deduplicate against everything published before.

A version folder is written beside the root and renamed into place (curate/output.py); `latest` moves only after
that, by an atomic symlink swap. A run killed at any point leaves the last good version as it was.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from curate.stages.near.minhash import PriorSignatures
from curate.stages.semantic.dedup import PriorEmbeddings
from curate.output import OutputError, finish, into_place, write_version
from curate.records import Record, StageResult

NAME = re.compile(r"^v(\d{4,})$")
STATE = "state"


@dataclass
class Prior:
    """What the latest version hands to the next run."""
    version: str
    records: list[Record]
    placement: dict[str, tuple[str, str]]  # id -> (dataset, split): carried records keep their split
    sources: dict[str, str]  # top-level input file -> sha256
    lineage: dict[str, dict[str, Any]]
    subjects: dict[str, list[str]]  # id -> keyed subject hashes (PII stage)
    erased: dict[str, int] = field(default_factory=dict)  # subject hash or record id -> erasure log entry
    exact: dict[str, tuple[str, str]] = field(default_factory=dict)  # exact key -> (id, where)
    minhash: PriorSignatures | None = None
    embeddings: PriorEmbeddings | None = None
    index: dict[str, tuple[Any, Any, Any]] = field(default_factory=dict)  # id -> stored (exact, minhash, embedding)

    def without_sources(self, names: set[str]) -> tuple["Prior", int]:
        """Drop records read from files that changed since: the new content replaces them."""
        gone = {r.id for r in self.records if r.provenance.source.split("!")[0] in names}
        if not gone:
            return self, 0
        self.records = [r for r in self.records if r.id not in gone]
        # re-read records get a fresh history (their file changed); their split stays in `placement`
        self.lineage = {k: v for k, v in self.lineage.items() if k not in gone}
        self.exact = {k: v for k, v in self.exact.items() if v[0] not in gone}
        if self.minhash:
            keep = [i for i, rid in enumerate(self.minhash.ids) if rid not in gone]
            self.minhash = PriorSignatures([self.minhash.ids[i] for i in keep], self.minhash.hashvalues[keep],
                                           [self.minhash.where[i] for i in keep])
        if self.embeddings:
            keep = [i for i, rid in enumerate(self.embeddings.ids) if rid not in gone]
            self.embeddings = PriorEmbeddings([self.embeddings.ids[i] for i in keep], self.embeddings.vectors[keep],
                                              [self.embeddings.where[i] for i in keep], self.embeddings.backend)
        return self, len(gone)


class VersionStore:
    def __init__(self, root: Path):
        self.root = root

    def check(self) -> None:
        r = self.root
        if r.exists() and not r.is_dir():
            raise OutputError(f"Output {r} exists and is not a folder.")
        visible = r.is_dir() and any(not p.name.startswith(".") for p in r.iterdir())  # not the lock or a leftover
        if visible and not (r / "latest").is_symlink() and not self.versions():
            raise OutputError(f"Output folder {r} is not empty and holds no curate versions; use an empty folder "
                              "for --incremental.")

    def versions(self) -> list[str]:
        if not self.root.is_dir():
            return []
        names = [p.name for p in self.root.iterdir() if p.is_dir() and NAME.match(p.name)
                 and (p / "manifest.json").is_file()]
        return sorted(names, key=lambda n: int(n[1:]))

    def latest(self) -> str | None:
        link = self.root / "latest"
        return os.readlink(link) if link.is_symlink() else None

    def next_name(self) -> str:
        # Versions that failed a gate stay on disk for inspection (never `latest`); their numbers are not reused.
        return f"v{max((int(v[1:]) for v in self.versions()), default=0) + 1:04d}"

    def clean_interrupted(self) -> list[str]:
        """Remove half-written folders a killed run left beside the versions."""
        gone = []
        if self.root.is_dir():
            for p in self.root.iterdir():  # an in-place rewrite (forget) killed between its two renames
                name = p.name.split(".old-")[0].lstrip(".")
                if ".old-" in p.name and NAME.match(name) and not (self.root / name).exists():
                    p.rename(self.root / name)
            for p in self.root.iterdir():
                if p.name.startswith(".v") and any(m in p.name for m in (".tmp-", ".smoke-", ".old-")):
                    shutil.rmtree(p, ignore_errors=True)
                    gone.append(p.name)
        return gone

    def set_latest(self, name: str) -> None:
        tmp = self.root / f".latest-{os.getpid()}"
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(name)  # relative: the root can be moved or mounted elsewhere
        os.replace(tmp, self.root / "latest")

    def load_prior(self, name: str | None = None) -> Prior | None:
        name = name or self.latest()
        if name is None:
            return None
        folder = self.root / name
        records = [Record.model_validate_json(line) for line in _lines(folder / "records.jsonl")]
        lineage = {row["id"]: row for row in map(json.loads, _lines(folder / "lineage.jsonl"))}
        state = folder / STATE
        prior = Prior(name, records, {i: (r["dataset"], r["split"]) for i, r in lineage.items()},
                      json.loads((state / "sources.json").read_text(encoding="utf-8")), lineage,
                      json.loads((state / "subjects.json").read_text(encoding="utf-8")))
        log = self.root / "erasure_log.jsonl"
        for entry in map(json.loads, _lines(log)) if log.is_file() else []:
            for k in [*entry["subject_hashes"], *entry["records"], *entry["covered_duplicates"]]:
                prior.erased.setdefault(k, entry["entry"])  # the first erasure that named it
        where = {r.id: f"{r.provenance.where()} (published in {name})" for r in records}
        index = _read_index(state / "index.parquet")
        prior.index = {i: row for i, *row in zip(index["id"], index["exact"], index["minhash"], index["embedding"])}
        prior.exact = {k: (i, where[i]) for i, k in zip(index["id"], index["exact"]) if k and i in where}
        sig = [(i, np.frombuffer(b, dtype=np.uint32)) for i, b in zip(index["id"], index["minhash"]) if b and i in where]
        if sig:
            prior.minhash = PriorSignatures([i for i, _ in sig], np.stack([h for _, h in sig]), [where[i] for i, _ in sig])
        emb = [(i, np.frombuffer(b, dtype=np.float32)) for i, b in zip(index["id"], index["embedding"]) if b and i in where]
        if emb:
            made_by = state / "embeddings.json"
            backend = json.loads(made_by.read_text(encoding="utf-8"))["backend"] if made_by.is_file() else None
            prior.embeddings = PriorEmbeddings([i for i, _ in emb], np.stack([v for _, v in emb]),
                                               [where[i] for i, _ in emb], backend)
        return prior


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _read_index(path: Path) -> dict[str, list[Any]]:
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pydict()


def write_state(folder: Path, records: list[Record], stages: list[tuple[str, StageResult]], prior: Prior | None) -> None:
    """state/: sources read so far, subject index and dedup index of every published record (carried + new)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    state = folder / STATE
    state.mkdir()
    new: dict[str, dict[str, Any]] = {}
    subjects: dict[str, list[str]] = dict(prior.subjects) if prior else {}
    backend = prior.embeddings.backend if prior and prior.embeddings else None
    sources: dict[str, str] = dict(prior.sources) if prior else {}
    for name, res in stages:
        for kind, values in res.index.items():
            new.setdefault(kind, {}).update(values)
        subjects.update(res.details.get("subject_index", {}))  # the PII stage's keyed subject hashes
        backend = res.details.get("embedding_backend", backend)
    sources.update(new.get("sources", {}))
    old_rows = prior.index if prior else {}
    ids = [r.id for r in records]
    vectors = new.get("embedding", {})  # carried records' too (recomputed when the model changed)
    rows = []
    for i in ids:
        exact, sig, vec = old_rows.get(i) or (new.get("exact", {}).get(i), _bytes(new.get("minhash", {}).get(i)), None)
        rows.append((exact, sig, _bytes(vectors[i]) if i in vectors else vec))
    table = pa.table({"id": ids, "exact": [r[0] for r in rows], "minhash": pa.array([r[1] for r in rows], pa.binary()),
                      "embedding": pa.array([r[2] for r in rows], pa.binary())})
    pq.write_table(table, state / "index.parquet")
    published = set(ids)
    (state / "subjects.json").write_text(json.dumps({k: v for k, v in sorted(subjects.items()) if k in published},
                                                    indent=0) + "\n", encoding="utf-8")
    (state / "sources.json").write_text(json.dumps(dict(sorted(sources.items())), indent=1) + "\n", encoding="utf-8")
    if backend:  # which model made the vectors: a run with another one recomputes them (semantic.dedup.reembedded)
        (state / "embeddings.json").write_text(json.dumps({"backend": backend}) + "\n", encoding="utf-8")


def _without(details: dict[str, Any], gone: set[str]) -> dict[str, Any]:
    """A stage's report details with every mention of an erased record id removed (subject index, examples)."""
    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in gone and value.get("id") not in gone}
        if isinstance(value, list):
            return [clean(v) for v in value if not (isinstance(v, str) and v in gone)
                    and not (isinstance(v, dict) and v.get("id") in gone)]
        return value
    return clean(details)


def _bytes(arr: np.ndarray | None) -> bytes | None:
    return None if arr is None else np.ascontiguousarray(arr).tobytes()


@contextmanager
def lock(root: Path) -> Iterator[None]:
    """One writer per root: a scheduled run and a `forget` must not publish versions at the same time."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"Another curate process is writing to {root}; try again when it has finished.") from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def rewrite_version(src: Path, dst: Path, gone: set[str], cfg: Any, version: dict[str, Any] | None) -> None:
    """Write src without the records in `gone`: to a new version (version given) or in place (an older version
    rewritten by `forget --all-versions`). Gates are not re-measured; the manifest says which run measured them."""
    import pyarrow.parquet as pq

    manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    records = [r for r in (Record.model_validate_json(x) for x in _lines(src / "records.jsonl")) if r.id not in gone]
    rows = [row for row in map(json.loads, _lines(src / "lineage.jsonl")) if row["id"] not in gone]
    placement = {row["id"]: (row["dataset"], row["split"]) for row in rows}
    with into_place(dst) as tmp:
        counts = write_version(tmp, records, placement, rows, [])  # a new version has no rejects
        (tmp / STATE).mkdir()
        table = pq.read_table(src / STATE / "index.parquet")
        keep = [i for i, rid in enumerate(table.column("id").to_pylist()) if rid not in gone]
        pq.write_table(table.take(keep), tmp / STATE / "index.parquet")
        subjects = json.loads((src / STATE / "subjects.json").read_text(encoding="utf-8"))
        (tmp / STATE / "subjects.json").write_text(json.dumps({k: v for k, v in subjects.items() if k not in gone},
                                                              indent=0) + "\n", encoding="utf-8")
        shutil.copy2(src / STATE / "sources.json", tmp / STATE / "sources.json")
        if (src / STATE / "embeddings.json").is_file():
            shutil.copy2(src / STATE / "embeddings.json", tmp / STATE / "embeddings.json")
        if version is None:  # an older version rewritten in place keeps its rejects (pointers, no text) and smoke run
            for name in ("rejects.jsonl", "metrics.json"):
                if (src / name).exists():
                    shutil.copy2(src / name, tmp / name)
            if (src / "smoke").is_dir():
                shutil.copytree(src / "smoke", tmp / "smoke")
        before = manifest["accounting"]["published"]
        erased = before - len(records)
        note = (f"# curate report\n\nThis version is {src.name} without {erased} record(s) removed by an erasure "
                "request (see erasure_log.jsonl). The gates in manifest.json were measured on "
                f"{manifest.get('version', {}).get('name', src.name)} and not re-run; the original report is not "
                "kept, since it could quote erased records.\n")
        (tmp / "report.md").write_text(note, encoding="utf-8")
        if version is not None:
            manifest["version"] = version
            manifest["accounting"] = {"records_in": 0, "carried": before, "erased": erased,
                                      "published": len(records), "rejected": 0, "balanced": True}
        else:
            manifest["accounting"] = {**manifest["accounting"], "published": len(records),
                                      "erased_later": manifest["accounting"].get("erased_later", 0) + erased}
        manifest["stages"] = [{**row, "details": _without(row["details"], gone)} if "details" in row else row
                              for row in manifest["stages"]]
        manifest["datasets"] = counts
        manifest["gates_measured_on"] = manifest.get("gates_measured_on") or src.name
        manifest.pop("outputs", None)
        finish(tmp, manifest, cfg)

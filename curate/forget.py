"""Right to erasure: find every published record derived from a subject (or a source file, or one record), publish
a new version without them, log the erasure (record ids and the reason, never the value), and name the trained
artifacts that consumed an affected version and need retraining.

Subjects are matched through the PII stage's subject index: HMAC-SHA256(key, entity type, normalised value). The
index alone reveals nothing; matching needs the same key, so `forget` refuses to run without it.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from curate.config import Config
from curate.output import OutputError
from curate.records import Record
from curate.versions import STATE, VersionStore, lock, rewrite_version

LOG = "erasure_log.jsonl"
ADAPTERS = "adapters.json"


class ForgetError(Exception):
    """Forget cannot run as asked; one plain sentence that never quotes the value."""


def subject_hashes(value: str, cfg: Config, key: bytes) -> set[str]:
    """The keyed hashes a value could have in the subject index: every entity type, and for phone numbers every
    region order the PII stage uses (national numbers normalise through the record's regions)."""
    from curate.stages.pii.config import DIRECT_IDENTIFIERS
    from curate.stages.pii.engine import OTHER, _regions
    from curate.stages.pii.operators import subject_hash

    region_sets = {_regions(cfg.pii, lang) for lang in [*cfg.pii.languages, OTHER]}
    return {subject_hash(key, entity, value, regions)
            for entity in [*DIRECT_IDENTIFIERS, "PERSON"] for regions in region_sets}


@dataclass
class Erasure:
    entry: int
    new_version: str | None
    records: list[str]
    covered: list[str]  # rejected earlier as duplicates of an erased record: never published, listed for the record
    rewritten: list[str] = field(default_factory=list)
    stale: list[dict[str, Any]] = field(default_factory=list)


def _rejects(folder: Path) -> list[dict[str, Any]]:
    path = folder / "rejects.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if path.is_file() else []


def _affected(records: list[Record], subjects: dict[str, list[str]], *, hashes: set[str] | None,
              source: str | None, record: str | None) -> set[str]:
    if hashes is not None:
        return {rid for rid, hs in subjects.items() if hashes & set(hs)}
    if source is not None:
        return {r.id for r in records if r.provenance.source == source or r.provenance.source.startswith(source + "!")}
    return {r.id for r in records if r.id == record}


def forget(root: Path, cfg: Config, *, subject: str | None = None, source: str | None = None,
           record: str | None = None, reason: str = "erasure request", all_versions: bool = False) -> Erasure:
    from curate.stages.pii.stage import resolve_key

    key = resolve_key(cfg.pii)
    if key is None:
        raise ForgetError(f"forget needs the HMAC key the PII stage used: set {cfg.pii.key_env} (subjects are "
                          "matched by keyed hash; without the key nothing can be matched).")
    store = VersionStore(root)
    with lock(root):  # a scheduled run must not publish between reading `latest` and moving it
        latest = store.latest()
        if latest is None:
            raise ForgetError(f"{root} has no published version (`latest`); forget works on an --incremental "
                              "output root.")
        # Normalise the value with the PII settings the runs used (languages, phone regions), not today's config.
        manifest = json.loads((root / latest / "manifest.json").read_text(encoding="utf-8"))
        cfg = cfg.model_copy(update={"pii": type(cfg.pii).model_validate(
            {**manifest["config"]["pii"], "key": None, "key_env": cfg.pii.key_env})})
        hashes = subject_hashes(subject, cfg, key) if subject is not None else None
        prior = store.load_prior(latest)
        gone = _affected(prior.records, prior.subjects, hashes=hashes, source=source, record=record)
        versions = store.versions() if all_versions else [latest]
        per_version: dict[str, set[str]] = {}
        target = gone | ({record} if record else set())
        for v in store.versions():  # which versions held affected records: their artifacts are stale
            held = {json.loads(line)["id"] for line in (root / v / "lineage.jsonl").read_text(encoding="utf-8")
                    .splitlines() if line.strip()}
            subj = json.loads((root / v / STATE / "subjects.json").read_text(encoding="utf-8"))
            recs = [Record.model_validate_json(x) for x in (root / v / "records.jsonl").read_text(encoding="utf-8")
                    .splitlines() if x.strip()] if source is not None else []
            per_version[v] = (held & target) | _affected(recs, subj, hashes=hashes, source=source, record=record)
        every = set().union(*per_version.values()) if per_version else set()
        covered = sorted({r["id"] for v in store.versions() for r in _rejects(root / v)
                          if r.get("duplicate_of") in every and r.get("id")})
        log = root / LOG
        entry = sum(1 for line in log.read_text(encoding="utf-8").splitlines() if line.strip()) + 1 \
            if log.is_file() else 1
        result = Erasure(entry, store.next_name() if gone else None, sorted(every), covered,
                         [v for v in versions if v != latest and per_version.get(v)],
                         stale_artifacts(root, {v for v, ids in per_version.items() if ids}))
        # The log entry first: should the rewrite be interrupted, later runs still keep the subject out.
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps({
                "entry": entry, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "reason": reason,
                "selector": "subject" if subject is not None else "source" if source is not None else "record",
                # keyed hashes (every form the value can take) that later runs use to keep the subject out
                "subject_hashes": sorted(hashes) if hashes else [],
                "records": result.records, "covered_duplicates": covered, "new_version": result.new_version,
                "versions_rewritten": result.rewritten, "stale_artifacts": result.stale}) + "\n")
        if gone:
            erased = [r for r in prior.records if r.id in gone]
            rewrite_version(root / latest, root / result.new_version, gone, cfg,
                            {"name": result.new_version, "parent": latest, "erasure": entry,
                             "erased": len(gone), "sources_read": [], "carried": len(prior.records) - len(gone)})
            store.set_latest(result.new_version)
            purge_caches(erased, hashes or set(), cfg)
        for v in result.rewritten:
            rewrite_version(root / v, root / v, per_version[v], cfg, None)
    return result


def purge_caches(erased: list[Record], hashes: set[str], cfg: Config) -> None:
    """Drop what the user caches hold about erased records: their embeddings (keyed by their scrubbed text) and
    PII outcomes that name the subject."""
    from curate.embeddings import EmbeddingCache, cache_key
    from curate.stages.pii.stage import OutcomeCache
    from curate.tokens import cache_dir
    from curate.views import comparable_text

    if (cache_dir() / "embeddings.sqlite").exists():
        sd = cfg.semantic_dedup
        EmbeddingCache(cache_dir() / "embeddings.sqlite").delete(
            [cache_key(comparable_text(r), sd.model, sd.max_tokens) for r in erased])
    if hashes and (cache_dir() / "pii.sqlite").exists():
        OutcomeCache.purge_subjects(cache_dir() / "pii.sqlite", hashes)


def stale_artifacts(root: Path, versions: set[str]) -> list[dict[str, Any]]:
    """Trained artifacts built on a version that held an erased record: smoke adapters and registered ones."""
    out = [{"kind": "smoke adapter", "path": f"{v}/smoke", "version": v}
           for v in sorted(versions) if (root / v / "smoke" / "adapter_config.json").exists()]
    out += [{"kind": "registered adapter", "path": a["path"], "version": a["version"], "name": a.get("name")}
            for a in registered(root) if a["version"] in versions]
    return out


def registered(root: Path) -> list[dict[str, Any]]:
    path = root / ADAPTERS
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def register_adapter(root: Path, adapter: str, version: str | None, name: str | None) -> dict[str, Any]:
    store = VersionStore(root)
    version = version or store.latest()
    if version is None or version not in store.versions():
        raise OutputError(f"{root} has no version {version or '(latest)'}; name one with --version.")
    entry = {"path": adapter, "version": version, "name": name or Path(adapter).name}
    with lock(root):
        items = [a for a in registered(root) if a["path"] != adapter] + [entry]
        tmp = Path(tempfile.mkstemp(prefix=".adapters-", dir=root)[1])
        tmp.write_text(json.dumps(items, indent=2) + "\n", encoding="utf-8")
        shutil.move(tmp, root / ADAPTERS)
    return entry

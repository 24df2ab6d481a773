"""Ingest: a folder of exports -> Records with provenance, plus a reject for everything that could not be read."""
from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from curate.config import Config
from curate.ingest.readers import FileProblem, Item, read_items
from curate.ingest.shapes import ShapeError, map_columns, normalise
from curate.ingest.sources import Source, iter_sources
from curate.records import Provenance, Record, Reject, StageResult

STAGE = "ingest"


class InputError(Exception):
    """The input folder itself is unusable; the message is one plain sentence."""


def _mapping_for(name: str, cfg: Config) -> dict[str, str] | None:
    for m in cfg.ingest.columns:
        if fnmatch.fnmatch(name, m.glob):
            return m.columns
    return None


def _records(src: Source, cfg: Config) -> Iterator[Record | Reject]:
    base = Provenance(source=src.name, locator="file", sha256=src.sha256)
    if src.problem or src.fmt is None:
        yield Reject(id=None, provenance=base, stage=STAGE, reason=src.problem or "unsupported file type")
        return
    tabular = src.fmt in ("csv", "tsv", "parquet")
    mapping = _mapping_for(src.name, cfg) if tabular else None
    try:
        with src.open() as stream:
            for item in read_items(stream, src.fmt, cfg.ingest.fallback_encoding):
                prov = base.model_copy(update={"locator": item.locator, "encoding": item.encoding})
                if item.error:
                    yield Reject(id=None, provenance=prov, stage=STAGE, reason=item.error)
                    continue
                try:
                    value = map_columns(item.value, mapping) if tabular else item.value
                    yield from normalise(value, prov, tabular)
                except (ShapeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
                    if tabular and mapping is None and item.locator.startswith("row 1") and "unknown shape" in str(exc):
                        # One header decides every row: refuse the file once instead of once per row.
                        yield Reject(id=None, provenance=base, stage=STAGE, reason=(
                            f"table header maps to no known shape ({str(exc)[len('unknown shape '):].split(';')[0]}); "
                            "map its columns with [[ingest.columns]] in curate.toml"))
                        return
                    yield Reject(id=None, provenance=prov, stage=STAGE, reason=_plain(exc))
    except FileProblem as exc:
        yield Reject(id=None, provenance=base, stage=STAGE, reason=str(exc))
    except (OSError, EOFError) as exc:  # truncated gzip, unreadable file
        yield Reject(id=None, provenance=base, stage=STAGE, reason=f"unreadable file ({type(exc).__name__})")


def _plain(exc: Exception) -> str:
    if isinstance(exc, ShapeError):
        return str(exc)
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic: name the field and the rule, never the input value
        err = errors()[0]
        return f"invalid record: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return "invalid record"


def _check_input(src: Path) -> None:
    if not src.exists():
        raise InputError(f"Input {src} does not exist.")
    if src.is_dir():
        try:
            next(src.iterdir(), None)
        except PermissionError:
            raise InputError(f"Input folder {src} cannot be read (permission denied).") from None


def iter_ingest(src: Path, cfg: Config, stats: Counter[str] | None = None,
                progress: bool = False) -> Iterator[Record | Reject]:
    """Stream Records and Rejects file by file; memory stays flat for JSONL/CSV/Parquet of any size."""
    _check_input(src)
    stats = Counter() if stats is None else stats
    entries = list(iter_sources(src, cfg.ingest.exclude))
    for entry in tqdm(entries, desc="ingest", unit="file", disable=not progress):
        if isinstance(entry, tuple):
            stats["files_skipped"] += 1
            continue
        stats["files"] += 1
        for out in _records(entry, cfg):
            if isinstance(out, Record):
                stats[f"format.{out.metadata.get('format', 'unknown')}"] += 1
            yield out


def ingest(src: Path, cfg: Config, progress: bool = True) -> StageResult:
    kept: list[Record] = []
    rejected: list[Reject] = []
    stats: Counter[str] = Counter()
    for out in iter_ingest(src, cfg, stats, progress):
        (kept if isinstance(out, Record) else rejected).append(out)
    if not kept and not rejected:
        raise InputError(f"Input {src} holds no files curate can read.")
    stats.update(records_in=len(kept) + len(rejected), kept=len(kept), rejected=len(rejected))
    return StageResult(kept, rejected, dict(stats))

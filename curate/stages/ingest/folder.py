"""Ingest: a folder of exports -> Records with provenance, plus a reject for everything that could not be read."""
from __future__ import annotations

import fnmatch
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from curate.stages.ingest.readers import FileProblem, Limits, read_items
from curate.stages.ingest.rows import columns as row_columns, group as group_rows
from curate.stages.ingest.shapes import VOCABULARY, ShapeError, map_columns, normalise
from curate.stages.ingest.sources import Source, input_files, iter_sources, safe_sha256
from curate.mapping import Mapper, in_process, shards
from curate.records import Provenance, Record, Reject, StageResult, content_hash
from curate.stages.ingest.config import NAME as STAGE

if TYPE_CHECKING:
    from curate.config import Config



class InputError(Exception):
    """The input folder itself is unusable; the message is one plain sentence."""


def _mapping_for(name: str, cfg: Config) -> dict[str, str] | None:
    for m in cfg.ingest.columns:
        if fnmatch.fnmatch(name, m.glob):
            return m.columns
    return None


def limits(cfg: Config) -> Limits:
    return Limits(cfg.ingest.max_record_bytes, cfg.ingest.max_document_bytes, cfg.ingest.max_depth)


def reject(prov: Provenance, reason: str) -> Reject:
    """An ingest reject with a stable id: the hash of where it is (source, file hash, locator), never of its text."""
    rid = content_hash({"source": prov.source, "sha256": prov.sha256, "locator": prov.locator})
    return Reject(id=rid, provenance=prov, stage=STAGE, reason=reason)


def _records(src: Source, cfg: Config) -> Iterator[Record | Reject]:
    """Every outcome of one file. Nothing escapes: a failure is a reject with a locator and a reason, and a file
    that yields nothing at all still leaves a file-level reject saying why."""
    base = Provenance(source=src.name, locator="file", sha256=src.sha256)
    if src.problem or src.fmt is None:
        yield reject(base, src.problem or "unsupported file type")
        return
    n = 0
    for out in _read_source(src, cfg, base):
        n += 1
        yield out
    if n == 0:
        yield reject(base, "no records in the file")


def _read_source(src: Source, cfg: Config, base: Provenance) -> Iterator[Record | Reject]:
    tabular = src.fmt in ("csv", "tsv", "parquet", "xlsx")
    mapping = _mapping_for(src.name, cfg) if tabular else None
    message_rows: dict[str, str] | None = None  # set when the file is a helpdesk export, one message per row
    rows: list[tuple[str, dict[str, object]]] = []
    decided = False
    try:
        with src.open() as stream:
            for item in read_items(stream, src.fmt, cfg.ingest.fallback_encoding, limits(cfg)):
                prov = base.model_copy(update={"locator": item.locator, "encoding": item.encoding})
                if item.error:
                    yield reject(prov, item.error)
                    continue
                value = item.value
                try:
                    if tabular:
                        value = map_columns(item.value, mapping) if mapping else _lower(item.value)
                    if not decided and isinstance(value, dict):
                        decided = True
                        message_rows = row_columns(_lower(value))
                    if message_rows is not None:
                        if isinstance(value, dict):
                            rows.append((item.locator, _lower(value)))
                        else:
                            yield reject(prov, "not a message row like the rest of the file")
                        continue
                    if tabular and mapping is None:
                        value = map_columns(item.value, None)
                    yield from normalise(value, prov, tabular)
                except (ShapeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
                    if tabular and mapping is None and item.locator.startswith("row 1") and "unknown shape" in str(exc):
                        # One header decides every row: refuse the file once instead of once per row.
                        yield reject(base, _header_reason(value))
                        return
                    yield reject(prov, _plain(exc))
                except RecursionError:
                    yield reject(prov, "value nested too deeply")
                except Exception as exc:  # noqa: BLE001  one odd record never stops the run
                    yield reject(prov, f"could not be read as a record ({type(exc).__name__})")
            if message_rows is not None:
                for out in group_rows(rows, message_rows, base):
                    if isinstance(out, Record):
                        yield out
                    else:
                        yield reject(base.model_copy(update={"locator": out[0]}), out[1])
    except FileProblem as exc:
        yield reject(base, str(exc))
    except UnicodeError:
        yield reject(base, "undecodable bytes (not valid in the encoding its byte-order mark names)")
    except (OSError, EOFError, zlib.error) as exc:  # truncated gzip, unreadable file
        yield reject(base, f"unreadable file ({type(exc).__name__})")
    except Exception as exc:  # noqa: BLE001  a reader bug or a library's odd error: one reject, not a crash
        yield reject(base, f"unreadable file ({type(exc).__name__})")


def _lower(row: dict[str, object]) -> dict[str, object]:
    return {str(k).strip().lower(): v for k, v in row.items()}


def _header_reason(row: dict[str, object]) -> str:
    """Header cells are input text (without a header row they are the first record): counts and curate's own
    vocabulary only."""
    known = sorted(k for k in row if k in VOCABULARY)
    which = f"known among them: {', '.join(known)}" if known else "none of them known"
    return (f"table header maps to no known shape ({len(row)} columns, {which}); "
            "map its columns with [[ingest.columns]] in curate.toml")


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
                progress: bool = False, only: list[str] | None = None,
                hashes: dict[str, str] | None = None) -> Iterator[Record | Reject]:
    """Stream Records and Rejects file by file; memory stays flat for JSONL/CSV/Parquet of any size."""
    _check_input(src)
    stats = Counter() if stats is None else stats
    entries = list(iter_sources(src, cfg.ingest.exclude, only, hashes))
    for entry in tqdm(entries, desc=STAGE, unit="file", disable=not progress):
        if isinstance(entry, tuple):
            stats["files_skipped"] += 1
            continue
        stats["files"] += 1
        for out in _records(entry, cfg):
            if isinstance(out, Record):
                stats[f"format.{out.metadata.get('format', 'unknown')}"] += 1
                for name in out.metadata.get("repairs") or []:
                    stats[f"repair.{name}"] += 1
            yield out


def ingest_files(names: Sequence[str], src: Path, cfg: Config, hashes: dict[str, str] | None = None
                 ) -> tuple[list[Record | Reject], Counter[str]]:
    """One shard of ingest: these top-level files, read in full."""
    stats: Counter[str] = Counter()
    return list(iter_ingest(src, cfg, stats, only=list(names), hashes=hashes)), stats


def ingest(src: Path, cfg: Config, progress: bool = True, mapper: Mapper = in_process,
           seen: dict[str, str] | None = None) -> StageResult:
    """seen: {file name: sha256} read by earlier versions; those files are skipped when unchanged."""
    _check_input(src)
    names = input_files(src)
    stats: Counter[str] = Counter()
    hashes = {n: safe_sha256(src / n if src.is_dir() else src) for n in names}
    if seen:  # a file that could not be hashed is never "unchanged": it is read (and rejected) again
        unchanged = {n for n in names if hashes[n] and seen.get(n) == hashes[n]}
        stats.update(files_unchanged=len(unchanged), files_changed=sum(1 for n in names if n in seen) - len(unchanged))
        names = [n for n in names if n not in unchanged]
    kept: list[Record] = []
    rejected: list[Reject] = []
    # Small groups of files per shard: enough shards to spread, few enough that task overhead stays small.
    size = max(1, len(names) // 32)
    bar = tqdm(total=len(names), desc=STAGE, unit="file", disable=not progress)
    for outs, part_stats in mapper(STAGE, partial(ingest_files, src=src, cfg=cfg, hashes=hashes),
                                   shards(names, size)):
        stats.update(part_stats)
        for out in outs:
            (kept if isinstance(out, Record) else rejected).append(out)
        bar.update(min(size, bar.total - bar.n))
    bar.close()
    if not kept and not rejected and not seen:
        raise InputError(f"Input {src} holds no files curate can read.")
    stats.update(records_in=len(kept) + len(rejected), kept=len(kept), rejected=len(rejected))
    return StageResult(kept, rejected, dict(sorted(stats.items())), index={"sources": {n: hashes[n] for n in names}})

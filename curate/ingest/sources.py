"""Find input files (folder walk, .gz, .zip members) and open them as decompressed byte streams."""
from __future__ import annotations

import fnmatch
import gzip
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

TEXT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
                ".txt": "text", ".md": "text", ".parquet": "parquet"}


@dataclass
class Source:
    name: str  # display path relative to the input folder
    sha256: str
    fmt: str | None  # None: not a format we read
    open: Callable[[], BinaryIO]  # decompressed bytes
    problem: str | None = None  # set when the file is refused before reading


def detect_format(name: str) -> str | None:
    path = PurePosixPath(name.lower())
    suffixes = path.suffixes
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return TEXT_FORMATS.get(suffixes[-1]) if suffixes else None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _gunzip_if_needed(name: str, opener: Callable[[], BinaryIO]) -> Callable[[], BinaryIO]:
    if name.lower().endswith(".gz"):
        return lambda: gzip.GzipFile(fileobj=opener(), mode="rb")  # type: ignore[return-value]
    return opener


def unsafe_member(name: str) -> bool:
    """A zip member whose path could land outside the extraction folder (absolute, drive letter, '..')."""
    posix = name.replace("\\", "/")
    return posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in PurePosixPath(posix).parts


def _zip_members(path: Path, rel: str) -> Iterator[Source]:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        yield Source(rel, sha256_file(path), None, lambda: io.BytesIO(), "not a readable zip archive")
        return
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if info.is_dir():
            continue
        name = f"{rel}!{info.filename}"
        if unsafe_member(info.filename):
            yield Source(name, "", None, lambda: io.BytesIO(), "zip member path escapes the archive folder; refused")
            continue
        h = hashlib.sha256()
        with zf.open(info) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        opener = _gunzip_if_needed(info.filename, lambda info=info: zf.open(info))
        fmt = detect_format(info.filename)
        problem = "nested archives are not read; unpack the inner archive" if info.filename.lower().endswith(".zip") else None
        yield Source(name, h.hexdigest(), fmt, opener, problem)


def input_files(root: Path) -> list[str]:
    """The files under root (or root itself), as the relative names provenance uses, in a stable order."""
    if root.is_file():
        return [root.name]
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def iter_sources(root: Path, exclude: list[str], only: list[str] | None = None,
                 hashes: dict[str, str] | None = None) -> Iterator[Source | tuple[str, str]]:
    """Yield a Source per readable input, or (name, reason) for a file skipped on purpose by `exclude`.
    only: these top-level files (names from input_files), e.g. one shard, or the new files of an incremental run.
    hashes: sha256 of files already hashed by the caller, so no file is read twice for it."""
    hashes = hashes or {}
    for rel in input_files(root) if only is None else only:
        path = root if root.is_file() else root / rel
        if any(fnmatch.fnmatch(part, pat) for pat in exclude for part in PurePosixPath(rel).parts):
            yield (rel, "excluded by ingest.exclude")
            continue
        if path.suffix.lower() == ".zip":
            yield from _zip_members(path, rel)
            continue
        opener = _gunzip_if_needed(path.name, lambda path=path: path.open("rb"))
        yield Source(rel, hashes.get(rel) or sha256_file(path), detect_format(path.name), opener)

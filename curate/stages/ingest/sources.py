"""Find input files (folder walk, .gz, .zip members) and open them as decompressed byte streams."""
from __future__ import annotations

import errno
import fnmatch
import gzip
import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

TEXT_FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".tsv": "tsv",
                ".txt": "text", ".md": "text", ".parquet": "parquet", ".xlsx": "xlsx"}


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


def file_problem(path: Path) -> str | None:
    """Why a path listed as an input cannot be read as a regular file, in curate's words; None when it can.
    Checked before hashing or opening: reading a FIFO would block forever, a device never ends."""
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop; not read"
        if isinstance(exc, FileNotFoundError):
            return "vanished or a broken symlink; not read" if path.is_symlink() else "vanished before it was read"
        if isinstance(exc, PermissionError):
            return "unreadable file (permission denied)"
        return f"unreadable file ({type(exc).__name__})"
    if stat.S_ISDIR(st.st_mode):
        return "symlink to a folder; not followed" if path.is_symlink() else "folder that cannot be listed; not read"
    if stat.S_ISFIFO(st.st_mode):
        return "named pipe (FIFO), not a regular file; not read"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "device file, not a regular file; not read"
    if stat.S_ISSOCK(st.st_mode):
        return "socket, not a regular file; not read"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file; not read"
    if not os.access(path, os.R_OK):
        return "unreadable file (permission denied)"
    return None


def safe_sha256(path: Path) -> str:
    """sha256 of a regular, readable file; '' when it cannot be read (the file becomes a file-level reject)."""
    if file_problem(path) is not None:
        return ""
    try:
        return sha256_file(path)
    except OSError:
        return ""


def _gunzip_if_needed(name: str, opener: Callable[[], BinaryIO]) -> Callable[[], BinaryIO]:
    if name.lower().endswith(".gz"):
        return lambda: gzip.GzipFile(fileobj=opener(), mode="rb")  # type: ignore[return-value]
    return opener


def unsafe_member(name: str) -> bool:
    """A zip member whose path could land outside the extraction folder (absolute, drive letter, '..')."""
    posix = name.replace("\\", "/")
    return posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or ".." in PurePosixPath(posix).parts


def _zip_members(path: Path, rel: str, sha: str) -> Iterator[Source]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, EOFError):
        yield Source(rel, sha, None, lambda: io.BytesIO(), "not a readable zip archive")
        return
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if info.is_dir():
            continue
        name = f"{rel}!{info.filename}"
        if unsafe_member(info.filename):
            yield Source(name, "", None, lambda: io.BytesIO(), "zip member path escapes the archive folder; refused")
            continue
        h = hashlib.sha256()
        try:
            with zf.open(info) as f:  # streamed in 1 MiB chunks: a member is never held whole
                for chunk in iter(lambda f=f: f.read(1 << 20), b""):
                    h.update(chunk)
        except Exception as exc:  # noqa: BLE001  corrupt member, unsupported compression, encrypted
            yield Source(name, "", None, lambda: io.BytesIO(), f"unreadable zip member ({type(exc).__name__})")
            continue
        opener = _gunzip_if_needed(info.filename, lambda info=info: zf.open(info))
        fmt = detect_format(info.filename)
        problem = "nested archives are not read; unpack the inner archive" if info.filename.lower().endswith(".zip") else None
        yield Source(name, h.hexdigest(), fmt, opener, problem)


def input_files(root: Path) -> list[str]:
    """The files under root (or root itself), as the relative names provenance uses, in a stable order.
    Everything that is not a real folder is listed (FIFOs, devices, broken links, symlink loops), so a path that
    cannot be read becomes a file-level reject with its reason instead of vanishing."""
    if not root.is_dir():
        return [root.name]
    out: list[str] = []
    # a subfolder that cannot be listed is listed itself, so it becomes a reject instead of vanishing
    unlisted = lambda err: out.append(Path(err.filename).relative_to(root).as_posix())  # noqa: E731
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False, onerror=unlisted):
        base = Path(dirpath)
        for d in list(dirnames):
            if (base / d).is_symlink():  # os.walk lists a symlink to a folder as a folder; it is not followed
                dirnames.remove(d)
                filenames.append(d)
        out += [(base / f).relative_to(root).as_posix() for f in filenames]
    return sorted(out)


def iter_sources(root: Path, exclude: list[str], only: list[str] | None = None,
                 hashes: dict[str, str] | None = None) -> Iterator[Source | tuple[str, str]]:
    """Yield a Source per readable input, or (name, reason) for a file skipped on purpose by `exclude`.
    only: these top-level files (names from input_files), e.g. one shard, or the new files of an incremental run.
    hashes: sha256 of files already hashed by the caller, so no file is read twice for it."""
    hashes = hashes or {}
    for rel in input_files(root) if only is None else only:
        path = root if not root.is_dir() else root / rel
        if any(fnmatch.fnmatch(part, pat) for pat in exclude for part in PurePosixPath(rel).parts):
            yield (rel, "excluded by ingest.exclude")
            continue
        problem = file_problem(path)
        sha = "" if problem else (hashes.get(rel) or safe_sha256(path))
        if problem is None and not sha:
            problem = "unreadable file (it could not be hashed)"
        if problem:
            yield Source(rel, sha, detect_format(path.name), lambda: io.BytesIO(), problem)
            continue
        if path.suffix.lower() == ".zip":
            yield from _zip_members(path, rel, sha)
            continue
        opener = _gunzip_if_needed(path.name, lambda path=path: path.open("rb"))
        yield Source(rel, sha, detect_format(path.name), opener)

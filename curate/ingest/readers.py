"""Turn one decompressed byte stream into located items: parsed JSON values or table rows, or a problem.

JSONL, CSV/TSV and Parquet are streamed, so memory does not grow with file size; a .json document and a
.txt/.md file are read whole (they are one value).
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

csv.field_size_limit(1 << 30)  # long chat transcripts in one cell are normal in exports


@dataclass
class Item:
    locator: str
    value: Any = None
    error: str | None = None  # a plain reason; never quotes the input
    encoding: str | None = None  # set when not plain UTF-8


class FileProblem(Exception):
    """The whole file is unusable; the message is a plain reason."""


def decode(raw: bytes, fallback: str, first: bool = False) -> tuple[str, str]:
    """utf-8, then utf-8-sig (a BOM on the first line), then the configured fallback; raises UnicodeDecodeError."""
    if first and raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode(fallback), fallback


def _enc(encoding: str) -> str | None:
    return None if encoding == "utf-8" else encoding


def sniff(stream: BinaryIO) -> bytes:
    head = stream.read(8192)
    if not head.strip():
        raise FileProblem("empty file")
    if b"\x00" in head:
        raise FileProblem("binary file (contains NUL bytes), not a text export")
    return head


def read_jsonl(stream: BinaryIO, fallback: str) -> Iterator[Item]:
    for n, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue  # blank lines are not records
        loc = f"line {n}"
        try:
            text, enc = decode(raw, fallback, first=n == 1)
        except UnicodeDecodeError:
            yield Item(loc, error=f"undecodable bytes (not utf-8 nor {fallback})")
            continue
        try:
            yield Item(loc, json.loads(text.rstrip("\r\n")), encoding=_enc(enc))
        except json.JSONDecodeError as exc:
            yield Item(loc, error=f"invalid JSON ({exc.msg} at column {exc.colno})", encoding=_enc(enc))


def _read_text(stream: BinaryIO, fallback: str) -> tuple[str, str]:
    raw = stream.read()
    try:
        return decode(raw, fallback, first=True)
    except UnicodeDecodeError:
        raise FileProblem(f"undecodable bytes (not utf-8 nor {fallback})") from None


def read_json(stream: BinaryIO, fallback: str) -> Iterator[Item]:
    text, enc = _read_text(stream, fallback)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # a .json file that is really JSON Lines
            yield from read_jsonl(io.BytesIO(text.encode("utf-8")), fallback)
            return
        raise FileProblem(f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if isinstance(doc, list):
        for i, value in enumerate(doc):
            yield Item(f"/{i}", value, encoding=_enc(enc))
    elif isinstance(doc, dict):
        lists = [k for k, v in doc.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(doc) == 1 and lists:  # {"data": [...]} wrappers
            key = lists[0]
            for i, value in enumerate(doc[key]):
                yield Item(f"/{key}/{i}", value, encoding=_enc(enc))
        else:
            yield Item("/", doc, encoding=_enc(enc))
    else:
        yield Item("/", doc, encoding=_enc(enc))


def read_text(stream: BinaryIO, fallback: str) -> Iterator[Item]:
    text, enc = _read_text(stream, fallback)
    yield Item("file", {"text": text}, encoding=_enc(enc))


def read_csv(stream: BinaryIO, fallback: str, delimiter: str) -> Iterator[Item]:
    encodings: list[str] = []
    bad_lines: set[int] = set()

    def lines() -> Iterator[str]:
        for n, raw in enumerate(stream, start=1):
            try:
                text, enc = decode(raw, fallback, first=n == 1)
            except UnicodeDecodeError:
                bad_lines.add(n)
                text, enc = "", "utf-8"
            encodings.append(enc)
            yield text

    reader = csv.reader(lines(), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise FileProblem("empty file") from None
    except csv.Error as exc:
        raise FileProblem(f"unreadable CSV header ({exc})") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise FileProblem("CSV header is empty")
    row_no = 0
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_no += 1
            yield Item(f"row {row_no} (line {start_line})", error=f"malformed CSV ({exc})")
            continue
        if not row or not any(cell.strip() for cell in row):
            continue  # blank lines are not records
        row_no += 1
        loc = f"row {row_no} (line {start_line})"
        span = range(start_line, reader.line_num + 1)
        enc = next((encodings[i - 1] for i in span if i - 1 < len(encodings) and encodings[i - 1] != "utf-8"), "utf-8")
        if any(i in bad_lines for i in span):
            yield Item(loc, error=f"undecodable bytes (not utf-8 nor {fallback})")
        elif len(row) != len(header):
            yield Item(loc, error=f"row has {len(row)} fields but the header has {len(header)}", encoding=_enc(enc))
        else:
            yield Item(loc, dict(zip(header, row)), encoding=_enc(enc))


def read_parquet(stream: BinaryIO) -> Iterator[Item]:
    import pyarrow.parquet as pq

    data = stream if stream.seekable() else io.BytesIO(stream.read())
    try:
        pf = pq.ParquetFile(data)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise FileProblem(f"unreadable Parquet file ({type(exc).__name__})") from None
    row_no = 0
    for batch in pf.iter_batches(batch_size=1024):
        for row in batch.to_pylist():
            row_no += 1
            yield Item(f"row {row_no}", row)


def read_items(stream: BinaryIO, fmt: str, fallback: str) -> Iterator[Item]:
    if fmt == "parquet":
        yield from read_parquet(stream)
        return
    head = sniff(stream)
    body = io.BufferedReader(_Prefixed(head, stream), 1 << 16)
    if fmt == "jsonl":
        yield from read_jsonl(body, fallback)
    elif fmt == "json":
        yield from read_json(body, fallback)
    elif fmt in ("csv", "tsv"):
        yield from read_csv(body, fallback, "," if fmt == "csv" else "\t")
    elif fmt == "text":
        yield from read_text(body, fallback)
    else:
        raise FileProblem(f"unsupported format {fmt}")


class _Prefixed(io.RawIOBase):
    """Put the sniffed head back in front of a non-seekable stream (gzip, zip members)."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head, self._rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n], self._head = self._head[:n], self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)


"""Turn one decompressed byte stream into located items: parsed JSON values or table rows, or a problem.

JSONL, CSV/TSV and Parquet are streamed, so memory does not grow with file size. Lines are read with a bound
(ingest.max_record_bytes): an oversized line is skipped in chunks and rejected before it is parsed, so a 50 MB
line costs at most the bound in memory. A .json document is parsed whole, up to ingest.max_document_bytes.
UTF-16 and UTF-32 files with a byte-order mark are decoded to UTF-8 on the fly.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

MiB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_record_bytes: int = 4 * MiB
    max_document_bytes: int = 512 * MiB
    max_depth: int = 100


DEFAULT_LIMITS = Limits()


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


def _size(n: int) -> str:
    return f"{n / MiB:.1f} MiB" if n >= MiB else f"{n} bytes"


def too_large(limit: int) -> str:
    return f"record larger than ingest.max_record_bytes ({_size(limit)}); not parsed"


# Byte-order marks, longest first (the UTF-32-LE mark begins with the UTF-16-LE one).
BOMS = [(b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")]


def sniff(stream: BinaryIO) -> tuple[bytes, str | None]:
    """The first bytes (put back by the caller) and the wide encoding its byte-order mark names, if any."""
    head = stream.read(8192)
    wide = next((enc for bom, enc in BOMS if head.startswith(bom)), None)
    if wide is None:
        if not head.strip():
            raise FileProblem("empty file")
        if b"\x00" in head:
            raise FileProblem("binary file (contains NUL bytes), not a text export")
    return head, wide


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; None for a line over the limit, which is skipped in 1 MiB chunks unread."""
    n = 0
    while True:
        raw = stream.readline(limit + 1)
        if not raw:
            return
        n += 1
        if len(raw) > limit and not raw.endswith(b"\n"):
            while True:
                more = stream.readline(MiB)
                if not more or more.endswith(b"\n"):
                    break
            yield n, None
            continue
        yield n, raw


def measure(value: Any, limits: Limits) -> str | None:
    """A reason when a parsed value is nested too deep or holds more text than a record may; None when fine.
    Iterative, so hostile nesting cannot exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    total = 0
    while stack:
        v, depth = stack.pop()
        if depth > limits.max_depth:
            return f"value nested deeper than {limits.max_depth} levels"
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                total += len(k) if isinstance(k, str) else 8
                stack.append((x, depth + 1))
        elif isinstance(v, (list, tuple)):
            stack.extend((x, depth + 1) for x in v)
        elif isinstance(v, (bytes, bytearray)):
            total += len(v)
        else:
            total += 8
        if total > limits.max_record_bytes:
            return too_large(limits.max_record_bytes)
    return None


def _loads(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON (nested too deeply to parse)"


def read_jsonl(stream: BinaryIO, fallback: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    for n, raw in bounded_lines(stream, limits.max_record_bytes):
        loc = f"line {n}"
        if raw is None:
            yield Item(loc, error=too_large(limits.max_record_bytes))
            continue
        if not raw.strip():
            continue  # blank lines are not records
        try:
            text, enc = decode(raw, fallback, first=n == 1)
        except UnicodeDecodeError:
            yield Item(loc, error=f"undecodable bytes (not utf-8 nor {fallback})")
            continue
        value, error = _loads(text.rstrip("\r\n"))
        if error is None:
            error = measure(value, limits)
        yield Item(loc, None if error else value, error=error, encoding=_enc(enc))


def _read_whole(stream: BinaryIO, limit: int, reason: str) -> bytes:
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise FileProblem(reason)
    return raw


def _read_text(stream: BinaryIO, fallback: str, limit: int, reason: str) -> tuple[str, str]:
    raw = _read_whole(stream, limit, reason)
    try:
        return decode(raw, fallback, first=True)
    except UnicodeDecodeError:
        raise FileProblem(f"undecodable bytes (not utf-8 nor {fallback})") from None


def read_json(stream: BinaryIO, fallback: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    text, enc = _read_text(stream, fallback, limits.max_document_bytes,
                           f"a .json document is parsed whole and this one is larger than ingest.max_document_bytes "
                           f"({_size(limits.max_document_bytes)}); export JSON Lines instead")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # a .json file that is really JSON Lines
            yield from read_jsonl(io.BytesIO(text.encode("utf-8")), fallback, limits)
            return
        raise FileProblem(f"invalid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except RecursionError:
        raise FileProblem("invalid JSON (nested too deeply to parse)") from None
    del text

    def item(loc: str, value: Any) -> Item:
        error = measure(value, limits)
        return Item(loc, None if error else value, error=error, encoding=_enc(enc))

    if isinstance(doc, list):
        for i, value in enumerate(doc):
            yield item(f"/{i}", value)
    elif isinstance(doc, dict):
        lists = [k for k, v in doc.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        if len(doc) == 1 and lists:  # {"data": [...]} wrappers
            key = lists[0]
            for i, value in enumerate(doc[key]):
                yield item(f"/{_pointer(key)}/{i}", value)
        else:
            yield item("/", doc)
    else:
        yield item("/", doc)


def _pointer(key: str) -> str:
    """A JSON pointer segment; the wrapper key is input text, so only a plain identifier is shown."""
    return key.replace("~", "~0").replace("/", "~1") if key.isidentifier() and len(key) <= 40 else "0"


def read_text(stream: BinaryIO, fallback: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    text, enc = _read_text(stream, fallback, limits.max_record_bytes,
                           f"a text file is one record and this one is larger than ingest.max_record_bytes "
                           f"({_size(limits.max_record_bytes)}); not read")
    yield Item("file", {"text": text}, encoding=_enc(enc))


DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(head: bytes, default: str) -> str:
    """The delimiter of a CSV from its header line: the candidate (, ; tab |) found most often outside quotes.
    European Excel writes ';', other tools tab or '|'. Ties keep the extension's default."""
    line = head.split(b"\n", 1)[0].decode("utf-8", "replace")
    outside, quoted = [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(counts.values())
    if best == 0 or counts[default] == best:
        return default
    return next(d for d in DELIMITERS if counts[d] == best)


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def read_csv(stream: BinaryIO, fallback: str, delimiter: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    encodings: list[str] = []
    bad_lines: set[int] = set()
    big_lines: set[int] = set()
    csv.field_size_limit(limits.max_record_bytes)

    def lines() -> Iterator[str]:
        for n, raw in bounded_lines(stream, limits.max_record_bytes):
            if raw is None:
                big_lines.add(n)
                encodings.append("utf-8")
                yield "\n"
                continue
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
    except csv.Error:
        raise FileProblem("unreadable CSV header (malformed quoting or an oversized field)") from None
    if 1 in big_lines:
        raise FileProblem(f"CSV header line larger than ingest.max_record_bytes ({_size(limits.max_record_bytes)})")
    header = [h.strip() for h in header]
    if not any(header):
        raise FileProblem("CSV header is empty")
    row_no = 0
    while True:
        start_line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            row_no += 1
            yield Item(f"row {row_no} (line {start_line})",
                       error="malformed CSV (bad quoting, or a field larger than ingest.max_record_bytes)")
            continue
        span = range(start_line, reader.line_num + 1)
        if any(i in big_lines for i in span):
            row_no += 1
            yield Item(f"row {row_no} (line {start_line})", error=too_large(limits.max_record_bytes))
            continue
        if not row or not any(cell.strip() for cell in row):
            continue  # blank lines are not records
        row_no += 1
        loc = f"row {row_no} (line {start_line})"
        enc = next((encodings[i - 1] for i in span if i - 1 < len(encodings) and encodings[i - 1] != "utf-8"), "utf-8")
        if any(i in bad_lines for i in span):
            yield Item(loc, error=f"undecodable bytes (not utf-8 nor {fallback})")
        elif len(row) != len(header):
            yield Item(loc, error=f"row has {len(row)} fields but the header has {len(header)}", encoding=_enc(enc))
        elif sum(len(c) for c in row) > limits.max_record_bytes:
            yield Item(loc, error=too_large(limits.max_record_bytes))
        else:
            yield Item(loc, dict(zip(header, row)), encoding=_enc(enc))
    if row_no == 0:
        raise FileProblem("table has a header row but no data rows")


def read_parquet(stream: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    import pyarrow.parquet as pq

    if stream.seekable():
        data: BinaryIO = stream
    else:  # a .parquet.gz or zip member: Parquet needs random access, so it is read whole, up to a bound
        data = io.BytesIO(_read_whole(stream, limits.max_document_bytes,
                                      f"a compressed or archived Parquet file is read whole and this one is larger "
                                      f"than ingest.max_document_bytes ({_size(limits.max_document_bytes)})"))
    try:
        pf = pq.ParquetFile(data)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise FileProblem(f"unreadable Parquet file ({type(exc).__name__})") from None
    row_no = 0
    try:
        for batch in pf.iter_batches(batch_size=256):
            for row in batch.to_pylist():
                row_no += 1
                error = measure(row, limits)
                yield Item(f"row {row_no}", None if error else row, error=error)
    except FileProblem:
        raise
    except Exception as exc:  # noqa: BLE001  a corrupt row group after good ones
        raise FileProblem(f"unreadable Parquet file after row {row_no} ({type(exc).__name__})") from None
    if row_no == 0:
        raise FileProblem("table has a header row but no data rows")


def read_xlsx(stream: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    """The first sheet of an Excel workbook, header row first, streamed with openpyxl's read-only mode."""
    try:
        import openpyxl  # type: ignore[import-not-found]
    except ImportError:
        raise FileProblem("Excel workbook: reading .xlsx needs openpyxl, which is not installed "
                          "(pip install openpyxl), or save the sheet as CSV") from None
    data: BinaryIO = stream if stream.seekable() else io.BytesIO(
        _read_whole(stream, limits.max_document_bytes, "a compressed or archived workbook is read whole and this one "
                    f"is larger than ingest.max_document_bytes ({_size(limits.max_document_bytes)})"))
    try:
        book = openpyxl.load_workbook(data, read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    except Exception as exc:  # noqa: BLE001  openpyxl raises many types for broken files
        raise FileProblem(f"unreadable Excel workbook ({type(exc).__name__})") from None
    if not any(header):
        raise FileProblem("Excel sheet has no header row")
    row_no = 0
    for n, row in enumerate(rows, start=2):
        cells = ["" if c is None else c if isinstance(c, str) else str(c) for c in row]
        if not any(c.strip() for c in cells):
            continue
        row_no += 1
        loc = f"row {row_no} (sheet row {n})"
        extra = [c for c in cells[len(header):] if c.strip()]
        cells = (cells + [""] * len(header))[: len(header)]  # read-only sheets pad or cut rows to the used range
        if extra:
            yield Item(loc, error=f"row has {len(header) + len(extra)} fields but the header has {len(header)}")
        elif sum(len(c) for c in cells) > limits.max_record_bytes:
            yield Item(loc, error=too_large(limits.max_record_bytes))
        else:
            yield Item(loc, dict(zip(header, cells)))
    if row_no == 0:
        raise FileProblem("table has a header row but no data rows")


def read_items(stream: BinaryIO, fmt: str, fallback: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    if fmt == "parquet":
        yield from read_parquet(stream, limits)
        return
    if fmt == "xlsx":
        yield from read_xlsx(stream, limits)
        return
    head, wide = sniff(stream)
    body: BinaryIO = io.BufferedReader(_Prefixed(head, stream), 1 << 16)
    if wide is not None:  # UTF-16/32 with a BOM: decoded to UTF-8 as it streams; every item notes the encoding
        body = io.BufferedReader(_Transcoded(body, wide), 1 << 16)
        head = body.peek(8192)[:8192]
        if not head.strip():
            raise FileProblem("empty file")
        yield from _labelled(_read(body, head, fmt, fallback, limits), wide)
        return
    yield from _read(body, head, fmt, fallback, limits)


def _labelled(items: Iterator[Item], encoding: str) -> Iterator[Item]:
    for item in items:
        item.encoding = encoding
        yield item


def _read(body: BinaryIO, head: bytes, fmt: str, fallback: str, limits: Limits) -> Iterator[Item]:
    if fmt == "jsonl":
        yield from read_jsonl(body, fallback, limits)
    elif fmt == "json":
        yield from read_json(body, fallback, limits)
    elif fmt in ("csv", "tsv"):
        default = "," if fmt == "csv" else "\t"
        yield from read_csv(body, fallback, sniff_delimiter(head, default), limits)
    elif fmt == "text":
        yield from read_text(body, fallback, limits)
    else:
        raise FileProblem("unsupported format")


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


class _Transcoded(io.RawIOBase):
    """A UTF-16/32 byte stream (with BOM) re-encoded as UTF-8 in bounded chunks. A malformed sequence raises
    UnicodeDecodeError, which ingest turns into a file-level reject."""

    def __init__(self, raw: BinaryIO, encoding: str):
        import codecs

        self._raw = raw
        self._dec = codecs.getincrementaldecoder(encoding)("strict")
        self._buf = b""
        self._eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self._buf and not self._eof:
            chunk = self._raw.read(1 << 16)
            self._eof = not chunk
            self._buf = self._dec.decode(chunk, final=self._eof).encode("utf-8")
        n = min(len(b), len(self._buf))
        b[:n], self._buf = self._buf[:n], self._buf[n:]
        return n

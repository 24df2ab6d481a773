"""Seeded fuzzing of ingest and validation (issue 14): mutated lines and files of every supported shape. No
exception escapes, the accounting balances, and no input text appears in any reason. Deterministic (fixed seeds)
and well under a minute."""
import gzip
import io
import json
import random
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.config import Config
from curate.stages.ingest.folder import ingest
from curate.stages.validate.rules import validate

CANARY = "Qz7canary"  # in every key and value the fuzzer writes; must never show up in a reason


def _c(rng, word="v"):
    return f"{word}{CANARY}{rng.randrange(1000)}"


def _msgs(rng, keys=("role", "content"), roles=("user", "assistant")):
    r, c = keys
    return [{r: roles[i % 2], c: _c(rng)} for i in range(rng.choice([1, 2, 3, 4]))]


def _record(rng):
    """One record of a random supported shape (JSON value)."""
    shapes = [
        lambda: {"messages": _msgs(rng)},
        lambda: {"messages": _msgs(rng), "label": rng.choice([True, False])},
        lambda: {"conversations": _msgs(rng, ("from", "value"), ("human", "gpt"))},
        lambda: {"instruction": _c(rng), "input": _c(rng), "output": _c(rng)},
        lambda: {"prompt": _c(rng), "completion": _c(rng)},
        lambda: {"question": _c(rng), "answer": _c(rng)},
        lambda: {"prompt": _c(rng), "chosen": _c(rng), "rejected": _c(rng)},
        lambda: {"chosen": f"\n\nHuman: {_c(rng)}\n\nAssistant: {_c(rng)}",
                 "rejected": f"\n\nHuman: {_c(rng)}\n\nAssistant: {_c(rng)}"},
        lambda: {"input": {"messages": _msgs(rng)}, "preferred_output": [{"role": "assistant", "content": _c(rng)}],
                 "non_preferred_output": [{"role": "assistant", "content": _c(rng)}]},
        lambda: {"text": _c(rng), "label": _c(rng, "l")},
        lambda: {"message_tree_id": _c(rng), "prompt": {"role": "prompter", "text": _c(rng), "replies": [
            {"role": "assistant", "text": _c(rng), "replies": []}]}},
        lambda: {"instruction": _c(rng), "instances": [{"input": "", "output": _c(rng)}]},
        lambda: {"instruction": _c(rng), "context": _c(rng), "response": _c(rng), "category": _c(rng)},
        lambda: {"conversation": [{"speaker": "customer", "text": _c(rng)}, {"speaker": "agent", "text": _c(rng)}]},
        lambda: {"dialog": [["customer", _c(rng)], ["agent", _c(rng)]]},
        lambda: {"question": _c(rng), "response_j": _c(rng), "response_k": _c(rng)},
        lambda: {"prompt": _c(rng), "completions": [{"response": _c(rng), "score": rng.random()} for _ in range(3)]},
    ]
    return rng.choice(shapes)()


HOSTILE = [None, True, 0, -1, 1e308, float("nan"), float("inf"), "", " ", [], {}, [[]], {"": None},
           "\x00", "\ud800", "{{name}}", 10 ** 40, [None] * 3]


def _mutate_value(rng, value, depth=0):
    if depth > 6:
        return value
    roll = rng.random()
    if roll < 0.12:
        return rng.choice(HOSTILE)
    if isinstance(value, dict) and value:
        value = dict(value)
        op = rng.random()
        key = rng.choice(list(value))
        if op < 0.2:
            del value[key]
        elif op < 0.35:
            value[_c(rng, "k")] = value[key]
        elif op < 0.45:
            value[key.upper()] = value.pop(key)
        else:
            value[key] = _mutate_value(rng, value[key], depth + 1)
        return value
    if isinstance(value, list) and value:
        value = list(value)
        i = rng.randrange(len(value))
        op = rng.random()
        if op < 0.2:
            del value[i]
        elif op < 0.35:
            value.append(value[i])
        else:
            value[i] = _mutate_value(rng, value[i], depth + 1)
        return value
    if isinstance(value, str) and roll < 0.3:
        return value * rng.choice([0, 2, 50])
    return value


def _dump(rng, value):
    text = json.dumps(value, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    roll = rng.random()
    if roll < 0.06:
        text = text[: rng.randrange(len(text) + 1)]  # truncated
    elif roll < 0.1:
        i = rng.randrange(len(text) + 1)
        text = text[:i] + rng.choice(["\x00", "\\", '"', "}", "\n", "\ufeff", "é"]) + text[i:]
    elif roll < 0.12:
        text = "[" * 1500 + "]" * 1500
    return text


def _line_bytes(rng, text):
    raw = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.04:
        raw = raw.replace(b"e", b"\xe9")  # cp1252 bytes
    if rng.random() < 0.02:
        raw = bytes(b ^ 0x80 if rng.random() < 0.1 else b for b in raw)
    return raw


def _folder(rng, root):
    records = [_mutate_value(rng, _record(rng)) if rng.random() < 0.7 else _record(rng) for _ in range(60)]
    lines = [_line_bytes(rng, _dump(rng, r)) for r in records[:20]]
    (root / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    (root / "b.json").write_bytes(_line_bytes(rng, _dump(rng, records[20:30])))
    wrapped = {"data": records[30:35]}
    (root / "c.json").write_bytes(json.dumps(wrapped, allow_nan=True).encode())
    with gzip.open(root / "d.jsonl.gz", "wb") as f:
        f.write(b"\n".join(_line_bytes(rng, _dump(rng, r)) for r in records[35:40]))
    # tables: one row per message, a CSV/TSV of pairs, a ;-separated CSV, Parquet
    header = rng.choice([["question", "answer"], ["text", "label"], ["instruction", "context", "response"],
                         ["ticket_id", "timestamp", "author_role", "body"], [_c(rng, "h"), _c(rng, "h")]])
    rows = []
    for i in range(12):
        cells = [_c(rng) for _ in header]
        if header[0] == "ticket_id":
            cells = [str(i // 3), f"2024-01-01T00:0{i % 10}:00", rng.choice(["customer", "agent", "note", ""]), _c(rng)]
        if rng.random() < 0.15:
            cells = cells[: rng.randrange(len(cells) + 1)] + (["x"] if rng.random() < 0.5 else [])
        if rng.random() < 0.1:
            cells = [c.replace(CANARY, '"' + CANARY) for c in cells]
        rows.append(cells)
    for name, sep in (("e.csv", ","), ("f.tsv", "\t"), ("g.csv", ";")):
        body = "\n".join(sep.join(r) for r in [header, *rows]) + "\n"
        (root / name).write_bytes(_line_bytes(rng, body))
    cols = {h: [r[j] if j < len(r) else None for r in rows] for j, h in enumerate(header)}
    pq.write_table(pa.table(cols), root / "h.parquet")
    (root / "i.txt").write_bytes(_line_bytes(rng, _c(rng) * rng.randrange(1, 5)))
    with zipfile.ZipFile(root / "j.zip", "w") as zf:
        zf.writestr("in/k.jsonl", b"\n".join(_line_bytes(rng, _dump(rng, r)) for r in records[40:50]))
        zf.writestr("in/l.csv", (root / "e.csv").read_bytes())
    wide = rng.choice(["utf-16", "utf-32"])
    (root / "m.jsonl").write_bytes("\n".join(_dump(rng, r) for r in records[50:55]).encode(wide, "surrogatepass"))
    (root / "n.parquet").write_bytes((root / "h.parquet").read_bytes()[: rng.randrange(50, 400)])
    buf = io.BytesIO()
    pq.write_table(pa.table({"prompt": [_c(rng)], "completion": [float("nan")]}), buf)
    (root / "o.parquet").write_bytes(buf.getvalue())


@pytest.mark.parametrize("seed", range(24))
def test_fuzz_ingest_and_validate(tmp_path, seed):
    rng = random.Random(seed)
    _folder(rng, tmp_path)
    cfg = Config.model_validate({"validate": {"count_tokens": False}, "ingest": {"max_record_bytes": 64 * 1024}})
    ingested = ingest(tmp_path, cfg, progress=False)
    assert ingested.stats["records_in"] == len(ingested.kept) + len(ingested.rejected)
    validated = validate(ingested.kept, cfg.validate_)
    assert len(ingested.kept) == len(validated.kept) + len(validated.rejected)
    sources = {r.provenance.source for r in [*ingested.kept, *ingested.rejected]}
    assert len(sources) >= 14  # every file left a trace
    for rej in [*ingested.rejected, *validated.rejected]:
        assert CANARY.lower() not in rej.reason.lower(), rej.reason
        assert rej.id and rej.reason
    # the same input gives the same outcome
    again = ingest(tmp_path, cfg, progress=False)
    assert [r.id for r in again.kept] == [r.id for r in ingested.kept]
    assert [(r.id, r.reason) for r in again.rejected] == [(r.id, r.reason) for r in ingested.rejected]

"""Hostile-but-realistic input (issue 14): every per-file and per-line failure is a reject with file, locator and
reason, never a crash; reasons never quote the input; memory stays bounded on oversized lines."""
import json
import os
import time
import tracemalloc
import zipfile

import pytest

from curate.config import Config
from curate.stages.ingest.folder import ingest
from curate.pipeline import run_pipeline

GOOD = json.dumps({"prompt": "What is two plus two?", "completion": "Four."})


def _run(path, cfg=None):
    return ingest(path, cfg or Config(), progress=False)


def _reasons(result):
    return {(r.provenance.source, r.provenance.locator): r.reason for r in result.rejected}


def _balanced(result):
    assert result.stats["records_in"] == len(result.kept) + len(result.rejected)


def test_deep_nesting_is_a_line_reject(tmp_path):
    deep = '{"prompt": "a", "completion": ' + "[" * 1000 + "]" * 1000 + "}"
    mid = '{"prompt": "a", "completion": "b", "tools": [' + '{"x": ' * 300 + "1" + "}" * 300 + "]}"
    (tmp_path / "d.jsonl").write_text(f"{GOOD}\n{deep}\n{mid}\n{GOOD}\n", encoding="utf-8")
    (tmp_path / "d.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    result = _run(tmp_path)
    reasons = _reasons(result)
    assert len(result.kept) == 2
    assert "nested too deeply" in reasons[("d.jsonl", "line 2")]
    assert "nested deeper than 100 levels" in reasons[("d.jsonl", "line 3")]
    assert "nested too deeply" in reasons[("d.json", "file")]
    _balanced(result)


def test_unreadable_file_is_a_file_reject(tmp_path, monkeypatch):
    (tmp_path / "ok.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    (tmp_path / "secret.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    real = os.access
    monkeypatch.setattr("curate.stages.ingest.sources.os.access",
                        lambda p, mode: False if str(p).endswith("secret.jsonl") else real(p, mode))
    result = _run(tmp_path)
    assert len(result.kept) == 1
    assert _reasons(result) == {("secret.jsonl", "file"): "unreadable file (permission denied)"}


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_chmod_000_file_is_a_file_reject(tmp_path):
    (tmp_path / "ok.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    (tmp_path / "secret.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    os.chmod(tmp_path / "secret.jsonl", 0)
    try:
        assert _reasons(_run(tmp_path)) == {("secret.jsonl", "file"): "unreadable file (permission denied)"}
    finally:
        os.chmod(tmp_path / "secret.jsonl", 0o644)


def test_special_files_and_links_are_recorded(tmp_path):
    (tmp_path / "ok.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.jsonl")
    os.symlink("loop_b.jsonl", tmp_path / "loop_a.jsonl")
    os.symlink("loop_a.jsonl", tmp_path / "loop_b.jsonl")
    os.symlink("gone.jsonl", tmp_path / "dangling.jsonl")
    os.symlink("/dev/null", tmp_path / "device.jsonl")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "sub", tmp_path / "linked_dir")
    start = time.monotonic()
    result = _run(tmp_path)
    assert time.monotonic() - start < 30  # a FIFO must never block
    reasons = _reasons(result)
    assert len(result.kept) == 1
    assert "FIFO" in reasons[("pipe.jsonl", "file")]
    assert reasons[("loop_a.jsonl", "file")] == reasons[("loop_b.jsonl", "file")] == "symlink loop; not read"
    assert "broken symlink" in reasons[("dangling.jsonl", "file")]
    assert "device file" in reasons[("device.jsonl", "file")]
    assert "folder; not followed" in reasons[("linked_dir", "file")]
    _balanced(result)


def test_vanished_file_is_a_file_reject(tmp_path, monkeypatch):
    (tmp_path / "ok.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    (tmp_path / "gone.jsonl").write_text(GOOD + "\n", encoding="utf-8")
    import curate.stages.ingest.sources as sources

    real = sources.input_files

    def listed_then_deleted(root):
        names = real(root)
        (tmp_path / "gone.jsonl").unlink()
        return names

    monkeypatch.setattr(sources, "input_files", listed_then_deleted)
    monkeypatch.setattr("curate.stages.ingest.folder.input_files", listed_then_deleted)
    result = _run(tmp_path)
    assert _reasons(result) == {("gone.jsonl", "file"): "vanished before it was read"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_32_with_bom_decoded(tmp_path, encoding):
    text = json.dumps({"prompt": "Grüße aus Köln?", "completion": "Danke, 5 €."}, ensure_ascii=False) + "\n"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    (tmp_path / "wide.jsonl").write_bytes(bom + (text * 3).encode(encoding))
    (tmp_path / "wide.csv").write_bytes(bom + "question;answer\nWie geht's?;Gut, danke.\n".encode(encoding))
    result = _run(tmp_path)
    assert result.rejected == [], _reasons(result)
    jsonl = [r for r in result.kept if r.provenance.source == "wide.jsonl"]
    assert len(jsonl) == 3 and jsonl[0].messages[0].content == "Grüße aus Köln?"
    assert {r.provenance.encoding for r in result.kept} == {encoding[:6]}
    [csv_rec] = [r for r in result.kept if r.provenance.source == "wide.csv"]
    assert csv_rec.messages[1].content == "Gut, danke."


def test_header_only_csv_and_record_less_files_recorded(tmp_path):
    (tmp_path / "head.csv").write_text("text,label\n", encoding="utf-8")
    (tmp_path / "empty_list.json").write_text("[]", encoding="utf-8")
    (tmp_path / "blank_lines.jsonl").write_text("\n \n" + " " * 20 + "x", encoding="utf-8")
    reasons = _reasons(_run(tmp_path))
    assert reasons[("head.csv", "file")] == "table has a header row but no data rows"
    assert reasons[("empty_list.json", "file")] == "no records in the file"
    assert ("blank_lines.jsonl", "line 3") in reasons


def test_non_finite_numbers_where_text_is_expected(tmp_path):
    rows = ['{"prompt": "a", "completion": NaN}', '{"prompt": Infinity, "completion": "b"}',
            '{"prompt": "a", "completion": 1e999}', '{"instruction": "a", "output": -Infinity}', GOOD]
    (tmp_path / "n.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = _run(tmp_path)
    assert len(result.kept) == 1
    reasons = _reasons(result)
    assert len(reasons) == 4 and all("non-finite number" in r for r in reasons.values())


def test_ingest_rejects_have_stable_ids(tmp_path):
    (tmp_path / "a.jsonl").write_text(f'{GOOD}\n{{"prompt": \n{{"foo": 1}}\n', encoding="utf-8")
    (tmp_path / "b.pdf").write_bytes(b"%PDF")
    first, second = _run(tmp_path), _run(tmp_path)
    ids = [r.id for r in first.rejected]
    assert len(ids) == 3 and all(ids) and len(set(ids)) == 3
    assert ids == [r.id for r in second.rejected]


def test_fifty_mb_line_is_rejected_fast_with_bounded_memory(tmp_path):
    big = '{"prompt": "' + "x" * (50 * 1024 * 1024) + '", "completion": "y"}'
    with (tmp_path / "big.jsonl").open("w", encoding="utf-8") as f:
        f.write(GOOD + "\n" + big + "\n" + GOOD + "\n")
    with zipfile.ZipFile(tmp_path / "big.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(tmp_path / "big.jsonl", "inner/big.jsonl")
        zf.writestr("inner/big.csv", "question,answer\nq," + "z" * (20 * 1024 * 1024) + "\nq2,a2\n")
    tracemalloc.start()
    start = time.monotonic()
    try:
        result = _run(tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.monotonic() - start < 60
    assert peak < 40 * 1024 * 1024, peak  # the default bound is 4 MiB a record
    reasons = _reasons(result)
    assert len(result.kept) == 5
    for where in [("big.jsonl", "line 2"), ("big.zip!inner/big.jsonl", "line 2"), ("big.zip!inner/big.csv", "row 1 (line 2)")]:
        assert reasons[where].startswith("record larger than ingest.max_record_bytes"), where


def test_max_record_bytes_is_configurable(tmp_path):
    long = json.dumps({"prompt": "p" * 3000, "completion": "c"})
    (tmp_path / "l.jsonl").write_text(f"{GOOD}\n{long}\n", encoding="utf-8")
    (tmp_path / "note.txt").write_text("n" * 5000, encoding="utf-8")
    cfg = Config.model_validate({"ingest": {"max_record_bytes": 2048}})
    reasons = _reasons(_run(tmp_path, cfg))
    assert "(2048 bytes)" in reasons[("l.jsonl", "line 2")]
    assert "larger than ingest.max_record_bytes" in reasons[("note.txt", "file")]
    assert _reasons(_run(tmp_path)) == {}


def test_an_unexpected_error_in_a_reader_is_one_reject(tmp_path, monkeypatch):
    (tmp_path / "a.jsonl").write_text(f"{GOOD}\n{GOOD}\n", encoding="utf-8")
    calls = iter([None, TypeError("boom")])

    import curate.stages.ingest.folder as ingest_mod
    real = ingest_mod.normalise

    def flaky(value, prov, tabular=False):
        exc = next(calls)
        if exc:
            raise exc
        return real(value, prov, tabular)

    monkeypatch.setattr(ingest_mod, "normalise", flaky)
    result = _run(tmp_path)
    assert len(result.kept) == 1
    assert _reasons(result) == {("a.jsonl", "line 2"): "could not be read as a record (TypeError)"}


PLANTED = ["jane.doe@example.com", "+44 20 7946 0958", "DE89370400440532013000", "Hildegard_Q_Zimmerling"]


def test_reasons_never_quote_input_keys_or_headers(tmp_path):
    """Identifiers planted in keys, headers and a header-less CSV never reach any output file."""
    src = tmp_path / "in"
    src.mkdir()
    email, phone, iban, name = PLANTED
    good = [json.dumps({"prompt": f"How do I reset password number {i}?",
                        "completion": f"Open settings, choose security, then reset number {i}."}) for i in range(12)]
    lines = good + [
        json.dumps({email: "x", phone: "y"}),  # unknown shape
        json.dumps({"prompt": "What is VAT?", "completion": "A tax.", iban: 1}),  # unexpected field
        json.dumps({name: [{"role": "user", "content": "hi"}]}),
        json.dumps({"prompt": "a", "completion": "b", "tools": "x"}),
    ]
    (src / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (src / "noheader.csv").write_text(f"{email},{phone}\nmax@example.org,+1 555 0100\n", encoding="utf-8")
    (src / "header.csv").write_text(f"{name},{iban}\n1,2\n", encoding="utf-8")
    (src / "wrap.json").write_text(json.dumps({email: [{"prompt": "q", "completion": "a"}]}), encoding="utf-8")
    cfg = Config.model_validate({"pii": {"enabled": False}, "semantic_dedup": {"enabled": False},
                                 "validate": {"count_tokens": False}})
    out = tmp_path / "out"
    run_pipeline(src, out, cfg, progress=False, smoke="skip")
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"rejects.jsonl", "manifest.json", "DATASHEET.md"} <= names and any(n.startswith("report.") for n in names)
    rejects = [json.loads(x) for x in (out / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) >= 6 and all(r["id"] and r["reason"] for r in rejects)
    for p in files:
        text = p.read_bytes().decode("utf-8", "replace")
        for planted in PLANTED + ["max@example.org", "Zimmerling"]:
            assert planted not in text, (p.name, planted)

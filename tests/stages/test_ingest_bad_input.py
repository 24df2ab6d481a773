"""Bad input never crashes the run and never vanishes: each case becomes a reject with a locator and a reason."""
import gzip
import json
import zipfile

from curate.config import Config
from curate.stages.ingest.folder import ingest
from curate.stages.ingest.sources import unsafe_member

GOOD = json.dumps({"prompt": "a", "completion": "b"})


def _run(path):
    return ingest(path, Config(), progress=False)


def _reasons(result):
    return {(r.provenance.source, r.provenance.locator): r.reason for r in result.rejected}


def test_malformed_json_line_rejected_and_run_goes_on(tmp_path):
    (tmp_path / "a.jsonl").write_text(f'{GOOD}\n{{"prompt": "Jane Roe\n{GOOD}\n', encoding="utf-8")
    result = _run(tmp_path)
    assert len(result.kept) == 2
    reasons = _reasons(result)
    assert list(reasons) == [("a.jsonl", "line 2")]
    assert reasons[("a.jsonl", "line 2")].startswith("invalid JSON")
    assert "Jane" not in json.dumps([r.model_dump() for r in result.rejected])  # no raw text in rejects


def test_csv_row_with_wrong_field_count(tmp_path):
    (tmp_path / "t.csv").write_text("text,label\nok one,billing\nbad,row,extra\nok two,account\n", encoding="utf-8")
    result = _run(tmp_path)
    assert len(result.kept) == 2
    assert _reasons(result) == {("t.csv", "row 2 (line 3)"): "row has 3 fields but the header has 2"}


def test_encodings_utf8_sig_fallback_and_undecodable(tmp_path):
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\n")
    (tmp_path / "win.jsonl").write_bytes(json.dumps({"prompt": "caf\u00e9", "completion": "5 \u20ac"},
                                                    ensure_ascii=False).encode("cp1252") + b"\n")
    (tmp_path / "bad.jsonl").write_bytes(b'{"prompt": "\x81\x8d", "completion": "x"}\n' + GOOD.encode() + b"\n")
    result = _run(tmp_path)
    by_source = {r.provenance.source: r for r in result.kept}
    assert by_source["bom.jsonl"].provenance.encoding == "utf-8-sig"
    assert by_source["win.jsonl"].provenance.encoding == "cp1252"
    assert by_source["win.jsonl"].messages[0].content == "caf\u00e9"
    assert by_source["bad.jsonl"].provenance.encoding is None
    assert _reasons(result) == {("bad.jsonl", "line 1"): "undecodable bytes (not utf-8 nor cp1252)"}


def test_empty_binary_unknown_shape_and_unsupported_files(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blank.csv").write_bytes(b"\n\n")
    (tmp_path / "image.json").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "odd.jsonl").write_text('{"foo": 1}\n[1, 2]\n', encoding="utf-8")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "broken.json").write_text('[{"prompt": "a",', encoding="utf-8")
    reasons = _reasons(_run(tmp_path))
    assert reasons[("empty.jsonl", "file")] == "empty file"
    assert reasons[("blank.csv", "file")] == "empty file"
    assert reasons[("image.json", "file")].startswith("binary file")
    assert reasons[("odd.jsonl", "line 1")].startswith("unknown shape (1 key, none of them known)")
    assert reasons[("odd.jsonl", "line 2")] == "a JSON list is not a record"
    assert reasons[("report.pdf", "file")] == "unsupported file type"
    assert reasons[("broken.json", "file")].startswith("invalid JSON")
    assert len(reasons) == 7


def test_truncated_gzip_is_a_file_reject(tmp_path):
    data = gzip.compress((GOOD + "\n").encode() * 1000)
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    result = _run(tmp_path)
    assert ("cut.jsonl.gz", "file") in _reasons(result)


def test_zip_path_escape_refused(tmp_path):
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as zf:
        zf.writestr("../../escape.jsonl", GOOD + "\n")
        zf.writestr("/abs.jsonl", GOOD + "\n")
        zf.writestr("fine/ok.jsonl", GOOD + "\n")
    result = _run(tmp_path)
    assert [r.provenance.source for r in result.kept] == ["evil.zip!fine/ok.jsonl"]
    reasons = _reasons(result)
    assert set(reasons) == {("evil.zip!../../escape.jsonl", "file"), ("evil.zip!/abs.jsonl", "file")}
    assert all("escapes" in r for r in reasons.values())
    assert not (tmp_path.parent / "escape.jsonl").exists()
    assert unsafe_member("a/../../b") and unsafe_member("C:\\x") and not unsafe_member("a/b.jsonl")

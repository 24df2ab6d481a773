"""The command line: exit codes and one plain sentence on errors, no traceback."""
import json
import subprocess
import sys
from pathlib import Path

import pytest


def curate(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "curate.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_version_and_formats():
    version = curate("--version")
    assert version.returncode == 0 and version.stdout.startswith("curate ")
    out = curate("formats")
    assert out.returncode == 0 and "ShareGPT" in out.stdout and "OpenAssistant" in out.stdout


@pytest.mark.parametrize("setup,expected", [
    ("missing", "does not exist"),
    ("bad_toml", "is not valid TOML"),
    ("bad_value", "split.validation_fraction"),
    ("not_empty", "is not empty"),
])
def test_usage_errors_exit_2_with_one_sentence(tmp_path, setup, expected):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    out = tmp_path / "out"
    args = ["run", str(src), "--out", str(out), "--no-prefect", "--quiet"]
    if setup == "missing":
        args[1] = str(tmp_path / "nope")
    elif setup == "bad_toml":
        (tmp_path / "curate.toml").write_text("[split\nseed=")
    elif setup == "bad_value":
        (tmp_path / "curate.toml").write_text("[split]\nvalidation_fraction = 2\n")
    else:
        out.mkdir()
        (out / "x").write_text("x")
    result = curate(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_prints_summary(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.jsonl").write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    result = curate("run", str(src), "--out", str(tmp_path / "out"), "--no-prefect", "--quiet", cwd=tmp_path)
    assert "1 records in = 1 published + 0 rejected" in result.stdout
    # One record is too few: the gate fails, the run says why and exits 1, and the report is still written.
    assert result.returncode == 1, result.stderr
    assert "enough_examples FAILED" in result.stdout
    assert (tmp_path / "out" / "report.html").exists()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["publishable"] is False


def test_inspect_prints_the_table_of_files():
    mix = Path(__file__).parent / "data" / "exports_mix"
    result = curate("inspect", str(mix))
    assert result.returncode == 0, result.stderr
    assert "hh-rlhf" in result.stdout and "8 file(s)" in result.stdout

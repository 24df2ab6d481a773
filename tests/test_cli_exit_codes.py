"""Exit codes mean one thing each (0 passed, 1 a gate failed, 2 usage or input error, 3 internal error), and no
option, --force included, can delete or overwrite the input."""
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from curate.cli import main
from curate.errors import EXIT_INTERNAL, EXIT_USAGE

SECRET = "mallory.secret@example.com"


def curate(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "curate.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})}, timeout=600)


def _exports(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "a.jsonl").write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    (root / "b.jsonl").write_text(json.dumps({"prompt": "c", "completion": "d"}) + "\n")
    return root


def _fingerprint(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("out", [".", "..", "sub", "sub/deeper"])
@pytest.mark.parametrize("force", [True, False])
def test_out_may_not_be_the_input_inside_it_or_above_it(tmp_path, out, force):
    src = _exports(tmp_path / "data" / "in")
    before = _fingerprint(tmp_path / "data")
    args = ["run", str(src), "--out", str(src / out), "--no-prefect", "--quiet", "--skip-smoke"]
    result = curate(*args, *(["--force"] if force else []), cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "outside the input" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert _fingerprint(tmp_path / "data") == before


def test_out_through_a_symlink_to_the_input_is_refused(tmp_path):
    src = _exports(tmp_path / "in")
    (tmp_path / "link").symlink_to(src, target_is_directory=True)
    result = curate("run", str(src), "--out", str(tmp_path / "link"), "--force", "--no-prefect", cwd=tmp_path)
    assert result.returncode == 2 and (src / "a.jsonl").is_file()


def test_force_replaces_only_a_folder_curate_wrote(tmp_path):
    src = _exports(tmp_path / "in")
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.txt").write_text("years of work")
    result = curate("run", str(src), "--out", str(mine), "--force", "--no-prefect", "--quiet", "--skip-smoke",
                    cwd=tmp_path)
    assert result.returncode == 2 and "not written by curate" in result.stderr
    assert (mine / "thesis.txt").read_text() == "years of work"
    out = tmp_path / "out"
    first = curate("run", str(src), "--out", str(out), "--no-prefect", "--quiet", "--skip-smoke", cwd=tmp_path)
    assert first.returncode == 1  # two records: the enough_examples gate fails, and the output is written
    again = curate("run", str(src), "--out", str(out), "--force", "--no-prefect", "--quiet", "--skip-smoke",
                   cwd=tmp_path)
    assert again.returncode == 1 and "will be replaced" in again.stderr


def test_report_dir_and_rejects_may_not_land_in_the_input(tmp_path):
    src = _exports(tmp_path / "in")
    before = _fingerprint(src)
    assert curate("check", str(src), "--report-dir", str(src / "report"), cwd=tmp_path).returncode == 2
    assert curate("validate", str(src), "--rejects", str(src / "a.jsonl"), cwd=tmp_path).returncode == 2
    assert _fingerprint(src) == before


@pytest.mark.parametrize("toml,field", [
    ("[gates.enough_examples]\nthreshold = -5\n", "gates.enough_examples.threshold"),
    ("[gates.duplicate_rate]\nthreshold = 1.5\n", "gates.duplicate_rate.threshold"),
    ("[gates.diversity_floor]\nthreshold = nan\n", "gates.diversity_floor.threshold"),
])
def test_gate_thresholds_out_of_range_are_usage_errors(tmp_path, toml, field):
    src = _exports(tmp_path / "in")
    (tmp_path / "curate.toml").write_text(toml)
    result = curate("run", str(src), "--out", str(tmp_path / "out"), "--no-prefect", "--quiet", cwd=tmp_path)
    assert result.returncode == 2 and field in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_an_internal_error_exits_3_with_a_log_and_no_data(tmp_path, monkeypatch, capsys):
    """A bug is not a failed gate: exit 3, one sentence naming the exception type and the log; the log has the
    traceback but not a library's message, which could quote a record."""
    import curate.pipeline

    def broken(*args, **kwargs):
        raise KeyError(SECRET)

    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(curate.pipeline, "run_stages", broken)
    src = _exports(tmp_path / "in")
    assert main(["check", str(src), "--quiet"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert "internal error (KeyError)" in err and SECRET not in err and len(err.strip().splitlines()) == 1
    logs = list((tmp_path / "cache" / "logs").glob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    text = logs[0].read_text()
    assert "Traceback" not in err and "in broken" in text and SECRET not in text
    with pytest.raises(KeyError):  # --debug: the traceback itself
        main(["--debug", "check", str(src), "--quiet"])


def test_unknown_record_in_lineage_is_a_usage_error(tmp_path):
    assert main(["lineage", "show", "0123456789abcdef", "--out", str(tmp_path)]) == EXIT_USAGE


def test_prefect_that_cannot_start_is_one_sentence_and_exit_2(tmp_path):
    src = _exports(tmp_path / "in")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0")
    result = subprocess.run([sys.executable, "-m", "curate.cli", "run", str(src), "--out", str(tmp_path / "out"),
                             "--quiet", "--skip-smoke"], capture_output=True, text=True, env=env, cwd=tmp_path,
                            timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert "did not start" in last and "--no-prefect" in last and "PREFECT_API_URL" in last
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_a_broken_install_is_an_internal_error_not_a_failed_gate(tmp_path):
    code = ("import sys; sys.modules['curate.forget'] = None; from curate.cli import main; "
            "sys.exit(main(['formats']))")  # importing curate.forget now raises ImportError
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CURATE_CACHE_DIR": str(tmp_path / "cache")})
    assert result.returncode == EXIT_INTERNAL, result.stderr
    assert "could not load (ModuleNotFoundError)" in result.stderr and "Traceback" not in result.stderr

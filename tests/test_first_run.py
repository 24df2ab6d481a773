"""The newcomer path: `curate run sample_data` through Prefect on a machine that has never run it (empty
PREFECT_HOME, empty curate cache) while another process keeps a core busy. Prefect's first start creates its
database and imports every server module; with its default 20 s start-up limit that crashed the first `make run`
on a loaded 2-core machine."""
import json
import os
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"


def test_first_run_through_prefect_publishes_on_a_busy_machine(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PREFECT_API_URL", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), CURATE_CACHE_DIR=str(tmp_path / "cache"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        run = subprocess.run([sys.executable, "-m", "curate.cli", "run", str(SAMPLE), "--out", str(tmp_path / "out"),
                              "--skip-smoke"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=900)
    finally:
        busy.kill()
        busy.wait()
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Prefect's temporary server answered" in run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["publishable"] is True and manifest["accounting"]["balanced"] is True
    assert any((tmp_path / "prefect").rglob("*.db"))  # it really was Prefect's first start in that home

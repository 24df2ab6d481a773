"""Dask as on real machines: a scheduler and two worker processes started separately (`dask scheduler`,
`dask worker`), the CLI pointed at the scheduler. The workers run curate's shard functions only (no Prefect, no
temporary server of their own), and every output is byte-identical to the single-process run."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
DASK = Path(sys.executable).with_name("dask")


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _cli(*args, env):
    return subprocess.run([sys.executable, "-m", "curate.cli", "run", *args], capture_output=True, text=True,
                          env=env, timeout=900)


def test_separately_started_cluster_gives_the_same_bytes(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(CURATE_PII_KEY="dask-cluster-key", PREFECT_HOME=str(tmp_path / "prefect"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", CURATE_CACHE_DIR=str(tmp_path / "cache-single"))
    single = _cli(str(SAMPLE), "--out", str(tmp_path / "single"), "--no-prefect", "--quiet", "--skip-smoke", env=env)
    assert single.returncode == 0, single.stderr[-2000:]

    sched_file = tmp_path / "scheduler.json"
    worker_env = {**env, "CURATE_CACHE_DIR": str(tmp_path / "cache-dask"), "OMP_NUM_THREADS": "1"}
    procs = [subprocess.Popen([str(DASK), "scheduler", "--port", "0", "--no-dashboard", "--scheduler-file",
                               str(sched_file)], env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 120
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        address = json.loads(sched_file.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen([str(DASK), "worker", address, "--nthreads", "1", "--no-dashboard"],
                                          env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        dask = _cli(str(SAMPLE), "--out", str(tmp_path / "dask"), "--quiet", "--skip-smoke", "--runner", "dask",
                    "--dask-address", address, env={**worker_env, "PREFECT_HOME": str(tmp_path / "prefect2")})
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=60)
    assert dask.returncode == 0, dask.stderr[-3000:]
    assert any((tmp_path / "cache-dask").glob("pii.sqlite"))  # the workers analysed (and cached) the records
    assert _files(tmp_path / "single") == _files(tmp_path / "dask")

"""The scheduled deployment: `curate serve` on a short interval picks up two batches of exports dropped into a
folder and publishes two versions; the second batch's near-duplicates of the first are removed."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.test_versions import TOPICS, batch2, chat, write_config, write_jsonl


def wait_for(predicate, seconds: float, what: str, log: Path) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; serve log tail:\n{log.read_text()[-3000:]}")


def latest(root: Path) -> str | None:
    return os.readlink(root / "latest") if (root / "latest").is_symlink() else None


def test_served_deployment_publishes_a_version_per_batch(tmp_path):
    inbox, root = tmp_path / "inbox", tmp_path / "versions"
    inbox.mkdir()
    config = write_config(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               CURATE_PII_KEY="serve-test-key")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "curate.cli", "serve", str(inbox), "--out", str(root),
                                 "--config", str(config), "--interval", "3"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        write_jsonl(inbox / "batch1.jsonl", [chat(i, t) for i, t in enumerate(TOPICS)])
        wait_for(lambda: latest(root) == "v0001", 300, "the first version", log)
        batch2(inbox)
        wait_for(lambda: latest(root) == "v0002", 300, "the second version", log)
    finally:
        proc.send_signal(signal.SIGINT)  # stops serving and the local Prefect server it started
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    manifest = json.loads((root / "v0002" / "manifest.json").read_text())
    assert manifest["version"]["parent"] == "v0001" and manifest["version"]["sources_read"] == ["batch2.jsonl"]
    rejects = [json.loads(x) for x in (root / "v0002" / "rejects.jsonl").read_text().splitlines()]
    near = [r for r in rejects if r["stage"] == "near_dedup"]
    assert len(near) == 3 and all("published in v0001" in r["reason"] for r in near)
    assert manifest["accounting"]["published"] == 15
    assert "Prefect API: http://127.0.0.1:" in log.read_text()


def test_prefect_yaml_deployments_load():
    """Each deployment in prefect.yaml names a flow that loads and takes its parameters (what `prefect deploy`
    checks before registering)."""
    import inspect

    import yaml
    from prefect.flows import load_flow_from_entrypoint

    spec = yaml.safe_load((Path(__file__).parents[1] / "prefect.yaml").read_text())
    assert {d["name"] for d in spec["deployments"]} == {"curate-nightly", "curate-nightly-dask"}
    for d in spec["deployments"]:
        flow = load_flow_from_entrypoint(d["entrypoint"])
        assert set(d["parameters"]) <= set(inspect.signature(flow.fn).parameters)
        assert d["parameters"]["incremental"] is True and d["schedules"][0]["timezone"]

"""Canary: unique fictitious identifiers planted in an input folder appear nowhere under --out, in the captured
logs and output of a full `curate run` through the Prefect flow, or in Prefect's own storage."""
import json
import os
import subprocess
import sys

import pyarrow.parquet as pq

CANARIES = {
    "name": "Zebulon Quillfeather",
    "email": "zebulon.quillfeather@canary-mail.example",
    "phone": "+44 20 7946 0321",
    "iban": "GB33BUKB20201555555555",
}


def _exports(root):
    root.mkdir()
    lines = []
    for i, topic in enumerate(["router firmware", "invoice totals", "password resets", "shipping delays"]):
        lines.append({"messages": [
            {"role": "system", "content": "You are Northwind's support assistant."},
            {"role": "user", "content": f"Hello, this is {CANARIES['name']} about {topic}. Mail me at "
                                        f"{CANARIES['email']} or call {CANARIES['phone']}. IBAN {CANARIES['iban']}."},
            {"role": "assistant", "content": f"Thanks {CANARIES['name']}, I have noted your question about {topic}."}]})
    (root / "chats.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"messages": "' +
                                      CANARIES["email"] + "\n", encoding="utf-8")  # a broken line holding one too
    return root


def _leaks(text: str) -> list[str]:
    return [k for k, v in CANARIES.items() if v in text or v.replace(" ", "") in text]


def test_canaries_never_leak(tmp_path):
    src = _exports(tmp_path / "exports")
    out = tmp_path / "out"
    prefect_home = tmp_path / "prefect_home"
    results, cache = tmp_path / "prefect_results", tmp_path / "curate_cache"
    key = "canary-hmac-key-0f3a9"
    # Result persistence switched on for everything that does not opt out: curate's tasks must still write
    # nothing there, and its own caches (PII outcomes, embeddings) must hold no raw values either.
    env = {**os.environ, "PREFECT_HOME": str(prefect_home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "DEBUG", "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
           "PREFECT_LOCAL_STORAGE_PATH": str(results), "CURATE_CACHE_DIR": str(cache), "CURATE_PII_KEY": key}
    run = subprocess.run([sys.executable, "-m", "curate.cli", "run", str(src), "--out", str(out), "--skip-smoke"],
                         capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert run.returncode == 1, run.stderr[-2000:]  # four records fail the size gate, as they should
    assert (out / "manifest.json").exists()
    assert _leaks(run.stdout + run.stderr) == [] and key not in run.stdout + run.stderr
    scanned = 0
    for root in (out, prefect_home, results, cache):
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            scanned += 1
            data = path.read_bytes().decode("utf-8", "ignore")
            if path.suffix == ".parquet":
                data = json.dumps(pq.read_table(path).to_pylist())
            assert _leaks(data) == [], f"{path.relative_to(tmp_path)} leaks {_leaks(data)}"
            assert key not in data, f"{path.relative_to(tmp_path)} holds the HMAC key"
    assert not results.exists() or not any(p.is_file() for p in results.rglob("*"))  # nothing persisted
    assert (cache / "pii.sqlite").exists()  # the PII outcome cache was written, and scanned above
    assert scanned > 10 and any(prefect_home.rglob("*.db"))  # Prefect's database was written and scanned
    rejects = (out / "rejects.jsonl").read_text()
    assert '"locator":"line 5"' in rejects  # the broken line is rejected by locator, not copied

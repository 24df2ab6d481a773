"""Versioned outputs: incremental runs, dedup against earlier versions, atomic publish under a kill, resume caches."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import datasets
import pytest

from curate.config import DEFAULT_GATES, load_config
from curate.pipeline import run_incremental

TOPICS = ["router firmware", "invoice totals", "password resets", "shipping delays", "printer drivers",
          "VAT numbers", "annual plans", "refund windows", "two-factor codes", "mesh networks", "API keys",
          "data exports"]
PEOPLE = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Edsger Dijkstra"]


def chat(i: int, topic: str, suffix: str = "") -> dict:
    who = PEOPLE[i % len(PEOPLE)]
    mail = who.split()[0].lower() + "@example.org"
    return {"messages": [
        {"role": "user", "content": f"Hello, this is {who} ({mail}). I have a question about {topic}: the page for "
                                    f"{topic} in my account shows an error since Monday and I cannot continue."},
        {"role": "assistant", "content": f"Thanks for writing in. For {topic}, open Settings, choose the {topic} "
                                         f"section and press Refresh; if the error stays, reply with its code.{suffix}"}]}


def write_config(folder: Path) -> Path:
    lines = ["[smoke]", "enabled = false", ""]
    for g in DEFAULT_GATES:  # tiny fixtures: the gates are tested elsewhere; here every version must pass
        lines += [f"[gates.{g['name']}]", "enabled = false", ""]
    path = folder / "curate.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def write_jsonl(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


@pytest.fixture
def exports(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CURATE_PII_KEY", "test-key-not-secret")
    src = tmp_path / "exports"
    src.mkdir()
    write_config(src)
    write_jsonl(src / "batch1.jsonl", [chat(i, t) for i, t in enumerate(TOPICS)])
    return src


def batch2(src: Path) -> None:
    near = [chat(i, t, " Have a good day.") for i, t in enumerate(TOPICS[:3])]  # near-duplicates of batch 1
    exact = [chat(5, TOPICS[5])]
    new = [chat(i, t) for i, t in enumerate(["solar inverters", "garden sensors", "label printers"])]
    write_jsonl(src / "batch2.jsonl", near + exact + new)


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def rejects(folder: Path) -> list[dict]:
    return [json.loads(x) for x in (folder / "rejects.jsonl").read_text().splitlines() if x.strip()]


def test_incremental_versions_dedup_against_earlier(exports, tmp_path):
    root = tmp_path / "versions"
    cfg = load_config(src=exports)
    first = run_incremental(exports, root, cfg, progress=False)
    assert first.version == "v0001" and first.published == 12
    assert os.readlink(root / "latest") == "v0001"
    v1 = files(root / "v0001")

    assert run_incremental(exports, root, cfg, progress=False) is None  # nothing new: nothing published
    assert os.readlink(root / "latest") == "v0001" and not (root / "v0002").exists()

    batch2(exports)
    second = run_incremental(exports, root, cfg, progress=False)
    assert second.version == "v0002" and os.readlink(root / "latest") == "v0002"
    assert files(root / "v0001") == v1  # earlier versions are never touched
    manifest = json.loads((root / "v0002" / "manifest.json").read_text())
    assert manifest["version"]["parent"] == "v0001" and manifest["version"]["sources_read"] == ["batch2.jsonl"]
    assert manifest["accounting"] == {"records_in": 7, "carried": 12, "published": 15, "rejected": 4,
                                      "balanced": True}
    v1_ids = {json.loads(x)["id"] for x in (root / "v0001" / "records.jsonl").read_text().splitlines()}
    dups = {r["provenance"]["locator"]: r for r in rejects(root / "v0002")}
    assert set(dups) == {"line 1", "line 2", "line 3", "line 4"}
    assert {dups[f"line {i}"]["stage"] for i in (1, 2, 3)} == {"near_dedup"}
    assert dups["line 4"]["stage"] == "exact_dedup"
    assert all(r["duplicate_of"] in v1_ids and "published in v0001" in r["reason"] for r in dups.values())
    # carried records keep their split: nothing validated on v0001 is trained on in v0002
    place = lambda v: {r["id"]: r["split"] for r in map(json.loads, (root / v / "lineage.jsonl").read_text().splitlines())}
    p1, p2 = place("v0001"), place("v0002")
    assert all(p2[i] == s for i, s in p1.items())
    dd = datasets.load_from_disk(str(root / "latest" / "sft" / "dataset"))
    assert dd["train"].num_rows + dd["validation"].num_rows == 15
    # no raw personal data in what a version keeps for later runs
    for name, blob in files(root / "v0002").items():
        if name.startswith("state/") or name in ("lineage.jsonl", "rejects.jsonl", "manifest.json", "DATASHEET.md"):
            assert b"Lovelace" not in blob and b"ada@example.org" not in blob, name

    # a changed file replaces what an earlier version read from it
    write_jsonl(exports / "batch1.jsonl", [chat(i, t) for i, t in enumerate(TOPICS[:10])])
    third = run_incremental(exports, root, cfg, progress=False)
    m3 = json.loads((root / "v0003" / "manifest.json").read_text())
    assert m3["version"]["changed_sources"] == ["batch1.jsonl"] and m3["version"]["superseded"] == 12
    assert third.published == 13  # 10 re-read from batch1 + 3 new ones of batch2


def test_embedding_model_change_recomputes_carried_vectors(exports, tmp_path):
    """A version made with one embedding model, the next with another (a config change, or an upgrade that changed
    the default): the carried vectors are recomputed, never compared across models (384 against 256 dims)."""
    import numpy as np
    import pyarrow.parquet as pq

    from curate.embeddings import backend_id

    root = tmp_path / "versions"
    cfg = load_config(src=exports)
    old = cfg.model_copy(update={"semantic_dedup": cfg.semantic_dedup.model_copy(update={"model": "minilm"})})
    run_incremental(exports, root, old, progress=False)
    state = lambda v: root / v / "state"
    assert json.loads((state("v0001") / "embeddings.json").read_text()) == {"backend": backend_id("minilm")}
    batch2(exports)
    second = run_incremental(exports, root, cfg, progress=False)
    assert second.version == "v0002" and second.published == 15
    assert json.loads((state("v0002") / "embeddings.json").read_text()) == {"backend": backend_id("minilm-static")}
    vectors = [np.frombuffer(b, dtype=np.float32) for b in pq.read_table(state("v0002") / "index.parquet")
               .column("embedding").to_pylist() if b]
    assert len(vectors) == 15 and {len(v) for v in vectors} == {256}  # carried ones recomputed too


def test_killed_run_leaves_last_version_intact(exports, tmp_path):
    root = tmp_path / "versions"
    run_incremental(exports, root, load_config(src=exports), progress=False)
    before = files(root / "v0001")
    batch2(exports)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "curate.cli", "run", str(exports), "--out", str(root),
                             "--incremental", "--no-prefect", "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill it while it writes the new version (the temporary folder beside the versions exists then).
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if any(p.name.startswith(".v0002.tmp-") for p in root.iterdir()):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed mid-publish"
    assert os.readlink(root / "latest") == "v0001" and not (root / "v0002").exists()
    assert files(root / "v0001") == before
    again = run_incremental(exports, root, load_config(src=exports), progress=False)  # cleans up, then publishes
    assert again.version == "v0002" and not [p for p in root.iterdir() if ".tmp-" in p.name]


def test_pii_outcomes_cached_and_resumed(tmp_path, monkeypatch):
    from curate.stages.pii import PiiConfig, scrub
    from curate.records import Message, Provenance, Record

    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("CURATE_PII_KEY", "k")

    def recs(n):
        return [Record(kind="chat", provenance=Provenance(source="a.jsonl", locator=f"line {i}", sha256="0"),
                       messages=[Message(role="user", content=f"I am {PEOPLE[i % 4]}, mail me at u{i}@example.org"),
                                 Message(role="assistant", content="Done.")]).with_id() for i in range(n)]

    cfg = PiiConfig(n_process=1, chunk_size=2)  # a resumed run skips the chunks it finished
    first = scrub(recs(6), cfg)
    assert first.stats["cache.computed"] == 6
    resumed = scrub(recs(8), cfg)  # a retried run with two more records: only those are analysed
    assert resumed.stats["cache.from_cache"] == 6 and resumed.stats["cache.computed"] == 2
    fresh = scrub(recs(8), cfg.model_copy(update={"cache": False}))
    assert [r.model_dump() for r in resumed.kept] == [r.model_dump() for r in fresh.kept]
    assert resumed.details["subject_index"] == fresh.details["subject_index"]
    blob = (tmp_path / "cache" / "pii.sqlite").read_bytes()
    assert b"u3@example.org" not in blob and b"Lovelace" not in blob  # the cache holds outputs, never inputs
    monkeypatch.setenv("CURATE_PII_KEY", "another-key")  # another key: other pseudonyms, so no reuse
    assert scrub(recs(2), cfg).stats["cache.computed"] == 2


def test_root_with_only_leftovers_is_usable(tmp_path):
    """A first run killed before v0001 leaves the lock and a temporary folder: the next run must not refuse."""
    from curate.output import OutputError
    from curate.versions import VersionStore

    root = tmp_path / "versions"
    (root / ".v0001.tmp-abc").mkdir(parents=True)
    (root / ".lock").touch()
    VersionStore(root).check()
    assert VersionStore(root).clean_interrupted() == [".v0001.tmp-abc"]
    (root / "notes.txt").touch()
    with pytest.raises(OutputError, match="holds no curate versions"):
        VersionStore(root).check()

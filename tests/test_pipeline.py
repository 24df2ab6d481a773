"""The backbone end to end: accounting, outputs that fine-tuning tools load, determinism, refusals, Prefect."""
import json
from pathlib import Path

import datasets
import pytest

from curate.config import Config
from curate.pipeline import run_pipeline
from curate.verdict import GateFailed
from curate.output import OutputError
from curate.publish import AccountingError, publish
from curate.records import StageResult

PII = "Ada Lovelace ada@example.org"


@pytest.fixture
def exports(tmp_path) -> Path:
    src = tmp_path / "exports"
    src.mkdir()
    topics = ["router firmware", "invoice totals", "password resets", "shipping delays", "printer drivers",
              "VAT numbers", "annual plans", "refund windows", "two-factor codes", "mesh networks", "API keys",
              "data exports"]
    chats = [{"messages": [{"role": "user", "content": f"{PII} asks how {t} work here"},
                           {"role": "assistant", "content": f"Here is how {t} work: see the {t} guide."}]}
             for t in topics]
    lines = [json.dumps(c) for c in chats]
    lines.append(json.dumps(chats[0]).replace("asks how", "asks   how"))  # whitespace-only duplicate
    lines.append('{"messages": [' + PII)  # broken line
    (src / "chats.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (src / "tickets.csv").write_text("text,label\n" + "".join(f"{t} broke,billing\n" for t in topics[:6]), encoding="utf-8")
    (src / "pairs.jsonl").write_text("".join(
        json.dumps({"prompt": f"Explain {t}", "chosen": f"{t} explained well", "rejected": "no"}) + "\n"
        for t in topics[6:10]), encoding="utf-8")
    return src


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_accounting_and_outputs_load(exports, tmp_path):
    out = tmp_path / "out"
    summary = run_pipeline(exports, out, Config(), progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    acc = manifest["accounting"]
    assert acc == {"records_in": 24, "published": 22, "rejected": 2, "balanced": True}
    assert summary.published == 22
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert sorted((r["stage"], r["provenance"]["locator"]) for r in rejects) == [
        ("exact_dedup", "line 13"), ("ingest", "line 14")]
    assert "Ada" not in (out / "rejects.jsonl").read_text() and "Ada" not in (out / "manifest.json").read_text()
    assert set(manifest["datasets"]) == {"sft", "classification", "preference"}
    assert {i["source"] for i in manifest["inputs"]} == {"chats.jsonl", "tickets.csv", "pairs.jsonl"}
    assert all(len(o["sha256"]) == 64 for o in manifest["outputs"])

    dd = datasets.load_from_disk(str(out / "sft" / "dataset"))
    assert dd["train"].num_rows + dd["validation"].num_rows == 12 and dd["validation"].num_rows >= 1
    assert dd["train"][0]["messages"][0]["role"] == "user"
    js = datasets.load_dataset("json", data_files={"train": str(out / "preference" / "train.jsonl")},
                               cache_dir=str(tmp_path / "hf"))
    assert set(js["train"].column_names) == {"prompt", "chosen", "rejected"}
    cls = datasets.load_from_disk(str(out / "classification" / "dataset"))
    assert set(cls["train"]["label"]) == {"billing"}
    first = json.loads((out / "sft" / "train.jsonl").read_text().splitlines()[0])
    assert list(first) == ["messages"]  # OpenAI chat fine-tuning format, nothing else


def test_rerun_is_byte_identical(exports, tmp_path):
    run_pipeline(exports, tmp_path / "a", Config(), progress=False)
    run_pipeline(exports, tmp_path / "b", Config(), progress=False)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    cfg = Config()
    cfg.split.seed = 1
    run_pipeline(exports, tmp_path / "c", cfg, progress=False)  # a different seed gives a different split
    assert _files(tmp_path / "a")["sft/train.jsonl"] != _files(tmp_path / "c")["sft/train.jsonl"]


def test_non_empty_output_refused_unless_forced(exports, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(OutputError, match="not empty"):
        run_pipeline(exports, out, Config(), progress=False)
    assert (out / "keep.txt").exists()
    with pytest.raises(OutputError, match="not written by curate"):  # --force replaces only curate's own outputs
        run_pipeline(exports, out, Config(), force=True, progress=False)
    assert (out / "keep.txt").read_text() == "mine"
    (out / "keep.txt").unlink()
    run_pipeline(exports, out, Config(), progress=False, smoke="skip")
    (out / "extra.txt").write_text("added by hand")
    run_pipeline(exports, out, Config(), force=True, progress=False, smoke="skip")
    assert not (out / "extra.txt").exists() and (out / "manifest.json").exists()
    assert not list(tmp_path.glob(".out.tmp-*"))  # the temporary folder was renamed into place


def test_accounting_violation_fails_loudly(tmp_path):
    ingested = StageResult(kept=[], rejected=[], stats={"records_in": 3, "kept": 0, "rejected": 0})
    with pytest.raises(AccountingError, match="3 records in"):
        publish([], [("ingest", ingested)], tmp_path / "out", Config())
    assert not (tmp_path / "out").exists()


def test_prefect_flow_matches_direct_run(exports, tmp_path):
    from prefect.artifacts import Artifact
    from prefect.testing.utilities import prefect_test_harness

    from curate.verdict import GateFailed
    from flows.curate_flow import curate_flow, reraise

    summary = run_pipeline(exports, tmp_path / "direct", Config(), progress=False)
    assert summary.published == 22 and not summary.publishable  # 22 examples: too few to train on
    with prefect_test_harness():
        state = curate_flow(str(exports), str(tmp_path / "flow"), None, False, False, return_state=True)
        assert state.is_failed() and "enough_examples FAILED" in state.message
        with pytest.raises(GateFailed, match="enough_examples FAILED"):
            reraise(state)
        verdict = Artifact.get("curate-verdict")
        gates = Artifact.get("curate-gates")
    assert verdict is not None and "FAIL: " in verdict.data
    assert gates is not None and "enough_examples" in str(gates.data)
    assert _files(tmp_path / "direct") == _files(tmp_path / "flow")  # byte-identical either way


def test_dask_runner_matches_single_process(exports, tmp_path, monkeypatch):
    """The flow on a 2-worker Dask LocalCluster: ingest, validation, PII and embedding shards run on the workers,
    and every output is byte-identical to the single-process run. Each run starts with an empty cache, so both
    really compute (the workers inherit the environment)."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.curate_flow import reraise, with_runner

    monkeypatch.setenv("CURATE_PII_KEY", "dask-test-key")
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache-single"))
    run_pipeline(exports, tmp_path / "single", Config(), progress=False, smoke="skip")
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path / "cache-dask"))
    with prefect_test_harness():
        state = with_runner("dask", workers=2)(str(exports), str(tmp_path / "dask"), None, False, False,
                                               smoke="skip", sharded=True, return_state=True)
        with pytest.raises(GateFailed):  # too few examples, as in the single-process run
            reraise(state)
    assert (tmp_path / "cache-dask" / "pii.sqlite").exists()  # the workers analysed, and cached, the records
    assert _files(tmp_path / "single") == _files(tmp_path / "dask")

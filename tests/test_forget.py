"""Right to erasure end to end on sample_data/: forget a fictitious customer by e-mail, check the new version,
the erasure log, the datasheet and the stale adapters; lineage of a scrubbed, deduplicated record."""
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from curate.cli import main
from curate.config import GateOverride, load_config
from curate.forget import ForgetError, forget, register_adapter
from curate.pipeline import run_incremental
from curate.stages.smoke.checks import smoke_gates

SAMPLE = Path(__file__).parents[1] / "sample_data"
EMAIL = "oliver.bennett@example.com"


def follow_ups(chat_line: str) -> list[dict]:
    """Records in which Oliver Bennett appears again: by e-mail only, and a near-duplicate of his chat."""
    near = json.loads(chat_line)
    near["messages"][-1]["content"] += " Anything else I can help with today?"
    return [
        {"messages": [
            {"role": "user", "content": f"Following up on the duplicate October charge: has the refund for "
                                        f"{EMAIL} been issued yet? Our accountant is asking for the credit note."},
            {"role": "assistant", "content": "Yes, the refund was issued yesterday and the credit note is attached to "
                                             "the invoice in Billing > Documents."}]},
        {"messages": [
            {"role": "user", "content": "How do I forward the credit note to our accountant?"},
            {"role": "assistant", "content": f"Open Billing > Documents and press Share; it goes out from the "
                                             f"billing contact on file ({EMAIL}) unless you enter another address."}]},
        near,
    ]


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("CURATE_PII_KEY", "forget-test-key")
    tmp = tmp_path_factory.mktemp("forget")
    src = tmp / "sample_data"
    shutil.copytree(SAMPLE, src)
    chat = (src / "support" / "chats_2026-10.jsonl").read_text(encoding="utf-8").splitlines()[3]
    (src / "support" / "follow_ups.jsonl").write_text("".join(json.dumps(r) + "\n" for r in follow_ups(chat)),
                                                      encoding="utf-8")
    cfg = load_config(src / "curate.toml")
    cfg.smoke.model = "tiny"  # a random tiny Llama: real LoRA steps, seconds not minutes; its gates only warn
    cfg.smoke.steps = 4
    cfg.gates.update({g["name"]: GateOverride(severity="warn") for g in smoke_gates(cfg.smoke)})
    root = tmp / "versions"
    summary = run_incremental(src, root, cfg, progress=False)
    assert summary.publishable and os.readlink(root / "latest") == "v0001"
    yield root, cfg
    mp.undo()


def ids_of(folder: Path) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, (folder / "lineage.jsonl").read_text().splitlines())}


def test_lineage_of_a_scrubbed_deduplicated_record(versions, capsys):
    root, _ = versions
    rows = ids_of(root / "v0001")
    rid = next(i for i, r in rows.items() if r["source"] == "support/chats_2026-10.jsonl" and r["locator"] == "line 4")
    assert main(["lineage", "show", rid, "--out", str(root)]) == 0
    out = capsys.readouterr().out
    assert "support/chats_2026-10.jsonl line 4" in out and "published: sft/" in out
    assert "pii_scrub: scrubbed" in out and "near dedup: kept as representative of a duplicate cluster of 2" in out
    rejected = [json.loads(x) for x in (root / "v0001" / "rejects.jsonl").read_text().splitlines()]
    dup = next(r for r in rejected if r.get("duplicate_of") == rid)
    assert main(["lineage", "show", dup["id"], "--out", str(root)]) == 0
    out = capsys.readouterr().out
    assert "rejected by near_dedup" in out and f"representative kept instead: {rid}" in out
    assert main(["lineage", "show", "0000000000000000", "--out", str(root)]) == 2


def test_forget_by_email(versions, monkeypatch):
    root, cfg = versions
    v1 = ids_of(root / "v0001")
    oliver = {i for i, r in v1.items() if (r["source"], r["locator"]) in {
        ("support/chats_2026-10.jsonl", "line 4"), ("support/follow_ups.jsonl", "line 1"),
        ("support/follow_ups.jsonl", "line 2")}}
    assert len(oliver) == 3
    subjects = (root / "v0001" / "state" / "subjects.json").read_text()
    # the index alone reveals nothing: no value, and no unkeyed hash of one
    assert "oliver" not in subjects.lower()
    assert hashlib.sha256(EMAIL.encode()).hexdigest()[:32] not in subjects

    monkeypatch.delenv("CURATE_PII_KEY")
    with pytest.raises(ForgetError, match="CURATE_PII_KEY"):
        forget(root, cfg, subject=EMAIL)
    assert main(["forget", "--out", str(root), "--subject", EMAIL, "--config", str(SAMPLE / "curate.toml")]) == 2
    monkeypatch.setenv("CURATE_PII_KEY", "a-different-key")  # another key matches nothing
    assert forget(root, cfg, subject=EMAIL).records == []
    monkeypatch.setenv("CURATE_PII_KEY", "forget-test-key")

    register_adapter(root, "s3://models/support-lora-2026-11", "v0001", "support-lora")
    result = forget(root, cfg, subject="Oliver.Bennett@Example.com ")  # normalised as the PII stage does
    assert set(result.records) == oliver and result.new_version == "v0002"
    assert os.readlink(root / "latest") == "v0002"
    v2 = ids_of(root / "v0002")
    assert not oliver & set(v2) and set(v2) == set(v1) - oliver
    published = "".join(p.read_text(errors="ignore") for p in (root / "v0002").rglob("*.jsonl"))
    assert not any(i in published for i in oliver)
    near = [r for r in map(json.loads, (root / "v0001" / "rejects.jsonl").read_text().splitlines())
            if r.get("duplicate_of") in oliver]
    assert near and set(result.covered) == {r["id"] for r in near}  # rejected duplicates are covered too
    assert {(a["kind"], a["version"]) for a in result.stale} == {("smoke adapter", "v0001"),
                                                                 ("registered adapter", "v0001")}
    log = (root / "erasure_log.jsonl").read_text()
    entry = json.loads(log.splitlines()[-1])
    assert entry["records"] == sorted(oliver) and entry["new_version"] == "v0002"
    assert "oliver" not in log.lower() and "bennett" not in log.lower()  # ids and reason, never the value
    manifest = json.loads((root / "v0002" / "manifest.json").read_text())
    assert manifest["version"]["erasure"] == entry["entry"] and manifest["accounting"]["erased"] == 3
    sheet = (root / "v0002" / "DATASHEET.md").read_text()
    assert "v0002" in sheet and "erasure" in sheet.lower()
    assert len((root / "v0001" / "records.jsonl").read_text().splitlines()) == len(v1)  # not --all-versions

    again = forget(root, cfg, subject=EMAIL, all_versions=True)  # now also out of v0001
    assert again.new_version is None and again.rewritten == ["v0001"] and set(ids_of(root / "v0001")) == set(v1) - oliver
    assert "could quote erased records" in (root / "v0001" / "report.md").read_text()
    assert not (root / "v0001" / "report.html").exists()


def test_erased_subject_stays_out_of_later_versions(versions, tmp_path):
    """Runs after test_forget_by_email (module order): new exports that mention the erased customer again."""
    root, cfg = versions
    src = tmp_path / "later"
    src.mkdir()
    (src / "new.jsonl").write_text(json.dumps({"messages": [
        {"role": "user", "content": f"Please update the billing contact: it is still {EMAIL} for our account."},
        {"role": "assistant", "content": "Done: the billing contact is updated and future invoices go there."}]})
        + "\n" + json.dumps({"messages": [
            {"role": "user", "content": "Which ports does the EG-10 Edge Gateway forward by default?"},
            {"role": "assistant", "content": "None: every port is closed until you add a rule under Firewall."}]})
        + "\n", encoding="utf-8")
    summary = run_incremental(src, root, cfg, progress=False, smoke="skip")
    rejects = [json.loads(x) for x in (Path(summary.out) / "rejects.jsonl").read_text().splitlines()]
    assert [r["stage"] for r in rejects] == ["erasure_block_subjects"] and "erasure log entry 2" in rejects[0]["reason"]  # entry 1: the wrong-key try


def test_manifest_of_new_version_names_no_erased_record(versions):
    """Runs after test_forget_by_email: the subject index and report examples in v0002's manifest are clean too."""
    root, _ = versions
    erased = set(json.loads((root / "erasure_log.jsonl").read_text().splitlines()[1])["records"])
    manifest = (root / "v0002" / "manifest.json").read_text()
    assert erased and not any(i in manifest for i in erased)

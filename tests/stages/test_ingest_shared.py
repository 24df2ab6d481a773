"""Every real external dataset in ../shared/data ingests with the right kind and record count."""
from collections import Counter

import pytest

from curate.config import Config
from curate.stages.ingest.folder import ingest

# (folder, file, kind, records) — counts from each folder's SOURCE.md
EXPECTED = [
    ("llamafactory-demo", "alpaca_en_demo.json", "instruction", 999),
    ("llamafactory-demo", "dpo_en_demo.json", "preference", 300),
    ("llamafactory-demo", "kto_en_demo.json", "chat", 300),
    ("llamafactory-demo", "glaive_toolcall_en_demo.json", "chat", 300),
    ("llamafactory-demo", "identity.json", "instruction", 91),
    ("openai-format-foundry", "dpo_orca_validation.jsonl", "preference", 284),
    ("openai-format-foundry", "sft_toolcall_training.jsonl", "chat", 86),
    ("openai-format-foundry", "sft_toolcall_validation.jsonl", "chat", 10),
    ("openai-format-foundry", "sft_gsm8k_chat_validation.jsonl", "chat", 50),
    ("openai-chat-format", "toy_chat_fine_tuning.jsonl", "chat", 5),
    ("sharegpt-fastchat", "dummy_conversation.json", "chat", 500),
    ("oasst-trees", "en_100_tree.jsonl", "chat", 626),  # 100 trees flattened to root-to-leaf paths
    ("oasst-trees", "en_100_text.jsonl", "text", 100),
    ("oasst-trees", "prompt_lottery_en_250_text.jsonl", "text", 250),
    ("alpaca-original-sample", "alpaca_data_first200.json", "instruction", 200),
    ("alpaca-cleaned-gpteacher", "toolformer-dedupe-only-dataset.json", "instruction", 7673),
    ("alpaca-cleaned-gpteacher", "toolformer-similarity-0.9-dataset.json", "instruction", 5959),
    ("alpaca-cleaned-gpteacher", "toolformer-similarity-0.6-dataset.json", "instruction", 2396),
    ("alpaca-cleaned-gpteacher", "seed_tasks.jsonl", "instruction", 175),
]


@pytest.mark.parametrize("folder,name,kind,count", EXPECTED, ids=[e[1] for e in EXPECTED])
def test_shared_file_kind_and_count(shared_data, folder, name, kind, count):
    result = ingest(shared_data / folder / name, Config(), progress=False)
    assert result.rejected == []
    assert Counter(r.kind for r in result.kept) == {kind: count}
    assert all(r.provenance.source == name and len(r.provenance.sha256) == 64 for r in result.kept)


def test_shared_shapes_are_normalised(shared_data):
    kto = ingest(shared_data / "llamafactory-demo" / "kto_en_demo.json", Config(), progress=False).kept
    assert Counter(r.label for r in kto) == {True: 150, False: 150}
    glaive = ingest(shared_data / "llamafactory-demo" / "glaive_toolcall_en_demo.json", Config(), progress=False).kept
    calls = [m for r in glaive for m in r.messages if m.tool_calls]
    assert len(calls) == 211 and all(m.role == "assistant" and m.content is None for m in calls)
    assert {m.role for r in glaive for m in r.messages} <= {"system", "user", "assistant", "tool"}
    foundry = ingest(shared_data / "openai-format-foundry" / "sft_toolcall_training.jsonl", Config(), progress=False).kept
    assert all(r.tools for r in foundry)
    dpo = ingest(shared_data / "openai-format-foundry" / "dpo_orca_validation.jsonl", Config(), progress=False).kept
    assert all(r.prompt[-1].role == "user" and r.chosen[0].role == "assistant" for r in dpo)
    oasst = ingest(shared_data / "oasst-trees" / "en_100_tree.jsonl", Config(), progress=False).kept
    assert len({r.metadata["tree"] for r in oasst}) == 100
    assert all(r.messages[0].role == "user" for r in oasst)
    assert all(r.provenance.locator.startswith("line ") and "/prompt" in r.provenance.locator for r in oasst)


def test_shared_folder_non_record_files_become_file_rejects(shared_data):
    result = ingest(shared_data / "alpaca-cleaned-gpteacher", Config(), progress=False)
    rejected = {r.provenance.source: r for r in result.rejected}
    # A CSV of labels and a JSON Schema are not training data: one file-level reject each, not one per row.
    assert set(rejected) == {"toolformer_similarity_labels.csv", "alpaca_schema.json"}
    assert rejected["toolformer_similarity_labels.csv"].provenance.locator == "file"
    assert "SOURCE.md" not in {r.provenance.source for r in result.kept}  # excluded documentation

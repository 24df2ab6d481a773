"""Each supported export shape, from small fixtures written here."""
import gzip
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.config import Config
from curate.stages.ingest.folder import ingest


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _one(path, cfg=None):
    result = ingest(path, cfg or Config(), progress=False)
    assert result.rejected == [], [r.reason for r in result.rejected]
    return result.kept


def test_openai_chat_with_tool_calls(tmp_path):
    row = {"messages": [
        {"role": "user", "content": "Where is order 42?"},
        {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                              "function": {"name": "lookup", "arguments": "{\"order\": 42}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "{\"status\": \"shipped\"}"},
        {"role": "assistant", "content": "It shipped."}],
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]}
    [rec] = _one(_jsonl(tmp_path / "a.jsonl", [row]))
    assert rec.kind == "chat" and rec.tools and rec.messages[1].content is None
    assert rec.messages[1].tool_calls[0].function.arguments == '{"order": 42}'
    assert rec.messages[2].tool_call_id == "c1"


def test_sharegpt_roles_are_mapped(tmp_path):
    row = {"conversations": [{"from": "system", "value": "Be kind"}, {"from": "human", "value": "Hi"},
                             {"from": "gpt", "value": "Hello"}, {"from": "function", "value": "{}"}]}
    [rec] = _one(_jsonl(tmp_path / "s.jsonl", [row]))
    assert [m.role for m in rec.messages] == ["system", "user", "assistant", "tool"]


@pytest.mark.parametrize("as_array", [True, False])
def test_alpaca_array_and_jsonl(tmp_path, as_array):
    rows = [{"instruction": "Translate", "input": "Bonjour", "output": "Hello"},
            {"instruction": "Say hi", "input": "", "output": "Hi"}]
    path = tmp_path / ("a.json" if as_array else "a.jsonl")
    if as_array:
        path.write_text(json.dumps(rows), encoding="utf-8")
    else:
        _jsonl(path, rows)
    recs = _one(path)
    assert [r.kind for r in recs] == ["instruction", "instruction"]
    assert recs[0].messages[0].content == "Translate\n\nBonjour" and recs[1].messages[0].content == "Say hi"
    assert recs[0].provenance.locator == ("/0" if as_array else "line 1")


def test_prompt_completion_input_output_question_answer(tmp_path):
    rows = [{"prompt": "p", "completion": "c"}, {"input": "i", "output": "o"}, {"question": "q", "answer": "a"}]
    recs = _one(_jsonl(tmp_path / "x.jsonl", rows))
    assert [(r.kind, r.messages[0].content, r.messages[1].content) for r in recs] == [
        ("instruction", "p", "c"), ("instruction", "i", "o"), ("instruction", "q", "a")]


def test_preference_strings_messages_openai_and_kto(tmp_path):
    rows = [
        {"prompt": "Q?", "chosen": "Good", "rejected": "Bad"},
        {"prompt": [{"role": "user", "content": "Q?"}], "chosen": [{"role": "assistant", "content": "Good"}],
         "rejected": [{"role": "assistant", "content": "Bad"}]},
        {"input": {"messages": [{"role": "user", "content": "Q?"}]},
         "preferred_output": [{"role": "assistant", "content": "Good"}],
         "non_preferred_output": [{"role": "assistant", "content": "Bad"}]},
        {"chosen": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "Good"}],
         "rejected": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "Bad"}]},
        {"messages": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "Good"}], "label": True},
    ]
    recs = _one(_jsonl(tmp_path / "p.jsonl", rows))
    for rec in recs[:4]:
        assert rec.kind == "preference"
        assert [m.content for m in rec.prompt] == ["Q?"]
        assert rec.chosen[0].content == "Good" and rec.rejected[0].content == "Bad"
    assert len({r.id for r in recs[:4]}) == 1  # same content -> same id, whatever the shape
    assert recs[4].kind == "chat" and recs[4].label is True


def test_oasst_tree_flattens_to_root_to_leaf_paths(tmp_path):
    leaf = lambda t: {"role": "prompter", "text": t, "replies": []}  # noqa: E731
    tree = {"message_tree_id": "t1", "prompt": {"role": "prompter", "text": "Q", "replies": [
        {"role": "assistant", "text": "A1", "replies": [leaf("follow-up")]},
        {"role": "assistant", "text": "A2", "replies": []}]}}
    recs = _one(_jsonl(tmp_path / "t.jsonl", [tree]))
    # a path ending on the user's turn is trimmed to its last assistant reply (a named repair)
    assert [[m.content for m in r.messages] for r in recs] == [["Q", "A1"], ["Q", "A2"]]
    assert recs[0].metadata["repairs"] == ["trimmed_to_last_assistant"] and "repairs" not in recs[1].metadata
    assert recs[0].provenance.locator == "line 1 /prompt/replies/0/replies/0"


def test_csv_tsv_parquet_auto_mapping(tmp_path):
    (tmp_path / "t.csv").write_text("Text,Label,ticket\nCard charged twice,billing,7\n", encoding="utf-8")
    (tmp_path / "q.tsv").write_text("question\tanswer\nWhy?\tBecause.\n", encoding="utf-8")
    pq.write_table(pa.table({"input": ["in"], "output": ["out"]}), tmp_path / "p.parquet")
    recs = _one(tmp_path)
    by_source = {r.provenance.source: r for r in recs}
    assert by_source["t.csv"].kind == "classification" and by_source["t.csv"].label == "billing"
    assert by_source["t.csv"].provenance.locator == "row 1 (line 2)"
    assert by_source["q.tsv"].kind == "instruction"
    assert by_source["p.parquet"].messages[1].content == "out"


def test_csv_explicit_column_mapping(tmp_path):
    (tmp_path / "tickets.csv").write_text("Body,Queue\nPlease reset my password,account\n", encoding="utf-8")
    (tmp_path / "weird.csv").write_text("Frage,Antwort\nWarum?,Darum.\n", encoding="utf-8")
    cfg = Config.model_validate({"ingest": {"columns": [
        {"glob": "weird.csv", "columns": {"question": "Frage", "answer": "Antwort"}}]}})
    recs = _one(tmp_path, cfg)
    assert sorted(r.kind for r in recs) == ["classification", "instruction"]  # Body/Queue auto-aliased


def test_text_files_gz_and_zip(tmp_path):
    (tmp_path / "note.md").write_text("# Returns\nWithin 30 days.\n", encoding="utf-8")
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as f:
        f.write(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    with zipfile.ZipFile(tmp_path / "exports.zip", "w") as zf:
        zf.writestr("inner/x.jsonl", json.dumps({"input": "i", "output": "o"}) + "\n")
    recs = _one(tmp_path)
    assert sorted((r.provenance.source, r.kind) for r in recs) == [
        ("c.jsonl.gz", "instruction"), ("exports.zip!inner/x.jsonl", "instruction"), ("note.md", "text")]

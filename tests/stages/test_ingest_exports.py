"""Real exports as they come (issue 16): every shape on a real public sample (tests/data/exports_mix, each folder
with a SOURCE.md) or a faithful reproduction; repairs before rejects; no source silently lost."""
import json
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curate.config import Config
from curate.stages.ingest.folder import ingest
from curate.stages.ingest.inspect import inspect
from curate.pipeline import run_stages
from curate.stages.validate.rules import validate

from ..conftest import REPO

MIX = REPO / "tests" / "data" / "exports_mix"
FAST = {"pii": {"enabled": False}, "semantic_dedup": {"enabled": False}, "validate": {"count_tokens": False}}


def _read(path, cfg=None):
    result = ingest(path, cfg or Config(), progress=False)
    assert result.stats["records_in"] == len(result.kept) + len(result.rejected)
    return result


def _one(path, cfg=None):
    result = _read(path, cfg)
    assert result.rejected == [], [r.reason for r in result.rejected]
    return result.kept


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def roles(rec, field="messages"):
    return [m.role for m in getattr(rec, field)]


# --- real public samples --------------------------------------------------------------------------------------

def test_hh_rlhf_transcripts_split_at_shared_prefix():
    src = MIX / "hh-rlhf" / "hh_rlhf_harmless_base_test.jsonl"
    recs = _one(src)
    assert len(recs) == 30 and {r.kind for r in recs} == {"preference"}
    raw = json.loads(src.read_text(encoding="utf-8").splitlines()[0])
    first = recs[0]
    assert first.metadata["format"] == "hh-rlhf"
    assert first.prompt[0].role == "user" and raw["chosen"].strip().startswith("Human: " + first.prompt[0].content[:20])
    assert first.prompt[-1].role == "user"
    assert roles(first, "chosen") == ["assistant"] == roles(first, "rejected")
    assert raw["chosen"].rstrip().endswith(first.chosen[0].content[-30:])
    assert raw["rejected"].rstrip().endswith(first.rejected[0].content[-30:])
    for rec in recs:
        assert {m.role for m in rec.prompt} <= {"user", "assistant"} and rec.chosen != rec.rejected


def test_dolly_context_joins_user_turn_category_to_metadata():
    recs = _one(MIX / "dolly" / "databricks_dolly_15k_excerpt.jsonl")
    assert len(recs) == 7 and {r.metadata["format"] for r in recs} == {"dolly"}
    first, second = recs[0], recs[1]
    assert first.messages[0].content.startswith("When did Virgin Australia start operating?\n\nVirgin Australia, the")
    assert first.messages[1].content.startswith("Virgin Australia commenced services on 31 August 2000")
    assert first.metadata["category"] == "closed_qa" and second.metadata["category"] == "classification"
    assert second.messages[0].content == "Which is a species of fish? Tope or Rope"  # empty context: instruction only


def test_abcd_speaker_pairs_actions_dropped_turns_merged():
    recs = _one(MIX / "abcd" / "abcd_sample.json")
    assert len(recs) == 3 and {r.metadata["format"] for r in recs} == {"chat (original)"}
    first = recs[0]
    assert set(roles(first)) == {"user", "assistant"}
    assert first.messages[0].content == "Hi!\n\nHow can I help you?"  # two agent bubbles, one turn
    assert not any("Account has been pulled up" in (m.content or "") for m in first.messages)  # an action
    assert {"dropped_event_turns", "merged_consecutive_turns"} <= set(first.metadata["repairs"])
    assert all(a.role != b.role for a, b in zip(first.messages, first.messages[1:]))


def test_taskmaster_utterances_speaker_text():
    recs = _one(MIX / "taskmaster-4" / "taskmaster4_coffee_data_07.json")
    assert len(recs) == 20 and recs[0].metadata["format"] == "chat (utterances)"
    assert recs[0].messages[0].role == "user" and recs[0].messages[0].content.startswith("I'd like two mochas")
    assert recs[0].messages[1].role == "assistant"


def test_sgd_system_speaker_read_as_assistant():
    recs = _one(MIX / "sgd" / "sgd_train_dialogues_001.json")
    assert len(recs) == 20
    for rec in recs:
        assert rec.metadata["format"] == "chat (turns)"
        assert "system_turns_as_assistant" in rec.metadata["repairs"]
        assert roles(rec)[0] == "user" and roles(rec)[-1] == "assistant" and "system" not in roles(rec)


def test_ubuntu_helpdesk_rows_grouped_roles_inferred():
    result = _read(MIX / "ubuntu-dialogue" / "ubuntu_dialogue_text.csv")
    assert len(result.kept) == 40 and result.rejected == []
    first = result.kept[0]
    assert first.metadata["format"] == "helpdesk rows" and first.metadata["order"] == "time order"
    assert first.provenance.locator == "conversation from row 1 (line 2) (3 rows)"
    assert roles(first) == ["user", "assistant"]  # bad_image's two messages merged, lordleemo answers
    assert first.messages[0].content.startswith("Hello folks") and "Did I choose a bad channel?" in first.messages[0].content
    assert first.messages[1].content == "the second sentence is better english   and we are not dumb"
    assert {"roles_inferred", "merged_consecutive_turns"} <= set(first.metadata["repairs"])
    validated = validate(result.kept, Config().validate_.model_copy(update={"count_tokens": False}))
    assert len(validated.rejected) <= 2  # dialogues with one author only: nothing to learn from


def test_self_instruct_and_gsm8k():
    tasks = _one(MIX / "self-instruct-user-oriented" / "user_oriented_instructions.jsonl")
    assert {r.metadata["format"] for r in tasks} == {"self-instruct"} and len(tasks) >= 30
    gsm = _one(MIX / "gsm8k" / "gsm8k_test.jsonl")
    assert len(gsm) == 30 and gsm[0].messages[1].content.rstrip().split("#### ")[-1].strip().isdigit()


# --- faithful reproductions of shapes without a small public file ---------------------------------------------

def test_ultrafeedback_binarized_repeated_prompt_removed(tmp_path):
    row = {"prompt": "How do I boil an egg?", "prompt_id": "abc",
           "chosen": [{"role": "user", "content": "How do I boil an egg?"},
                      {"role": "assistant", "content": "Simmer it for nine minutes."}],
           "rejected": [{"role": "user", "content": "How do I boil an egg?"},
                        {"role": "assistant", "content": "Microwave it."}],
           "messages": [{"role": "user", "content": "How do I boil an egg?"},
                        {"role": "assistant", "content": "Simmer it for nine minutes."}],
           "score_chosen": 8.5, "score_rejected": 3.0}
    bad = dict(row, prompt="Something else entirely?")
    result = _read(_jsonl(tmp_path / "uf.jsonl", [row, bad]))
    [rec] = result.kept
    assert rec.metadata["format"] == "ultrafeedback-binarized" and "unexpected_fields" not in rec.metadata
    assert [(m.role, m.content) for m in rec.prompt] == [("user", "How do I boil an egg?")]
    assert [m.content for m in rec.chosen] == ["Simmer it for nine minutes."]
    assert [m.content for m in rec.rejected] == ["Microwave it."]
    assert [r.reason for r in result.rejected] == ["the prompt field contradicts the conversation chosen and rejected repeat"]


def test_implicit_prompt_stack_exchange_and_rated_completions(tmp_path):
    rows = [
        {"chosen": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "Good"}],
         "rejected": [{"role": "user", "content": "Q?"}, {"role": "assistant", "content": "Bad"}]},
        {"qid": 7, "question": "Q?", "response_j": "Good", "response_k": "Bad", "date": "2020-01-01"},
        {"instruction": "Q?", "completions": [{"model": "a", "response": "Meh", "overall_score": 5},
                                              {"model": "b", "response": "Good", "overall_score": 9},
                                              {"model": "c", "response": "Bad", "overall_score": 2}]},
        {"prompt": "Q?", "completions": [{"text": "A", "score": 1}, {"text": "B", "score": 1}]},  # a tie
    ]
    result = _read(_jsonl(tmp_path / "p.jsonl", rows))
    assert len(result.kept) == 3
    for rec in result.kept:
        assert [m.content for m in rec.prompt] == ["Q?"]
        assert rec.chosen[0].content == "Good" and rec.rejected[0].content == "Bad"
    assert [r.metadata["format"] for r in result.kept] == [
        "preference-implicit-prompt", "stack-exchange-paired", "rated-completions"]
    rated = result.kept[2].metadata
    assert rated["binarised"] == "best vs worst of 3 completions by overall_score"
    assert (rated["score_chosen"], rated["score_rejected"]) == (9.0, 2.0)
    assert [r.reason for r in result.rejected] == ["every completion has the same score: no preference to learn"]


def test_transcript_styles(tmp_path):
    rows = [
        {"prompt": "\n\nHuman: What is 2+2?\n\nAssistant:", "completion": " 4"},
        {"text": "### Human: Name a colour.### Assistant: Blue."},
        {"chat": "User: Hello\nAssistant: Hi! How can I help?"},
        {"prompt": "<|system|>\nBe brief.</s>\n<|user|>\nCapital of France?</s>\n<|assistant|>\n", "response": "Paris."},
        {"chosen": "User: Hi\nAssistant: Hello!", "rejected": "User: Hi\nAssistant: Go away."},
    ]
    recs = _one(_jsonl(tmp_path / "t.jsonl", rows))
    assert [(m.role, m.content) for m in recs[0].messages] == [("user", "What is 2+2?"), ("assistant", " 4")]
    assert [(m.role, m.content) for m in recs[1].messages] == [("user", "Name a colour."), ("assistant", "Blue.")]
    assert [(m.role, m.content) for m in recs[2].messages] == [("user", "Hello"), ("assistant", "Hi! How can I help?")]
    assert [(m.role, m.content) for m in recs[3].messages] == [
        ("system", "Be brief."), ("user", "Capital of France?"), ("assistant", "Paris.")]
    # "User:" lines count in fields that hold a conversation: chosen/rejected without a prompt field
    assert [(m.role, m.content) for m in recs[4].prompt] == [("user", "Hi")]
    assert recs[4].chosen[0].content == "Hello!" and recs[4].rejected[0].content == "Go away."
    [plain] = _one(_jsonl(tmp_path / "t.jsonl", [{"prompt": "Q", "chosen": "User: admin\nAssistant: x", "rejected": "no"}]))
    assert plain.chosen[0].content.startswith("User: admin")  # with a prompt field they are plain replies


def test_alpaca_system_history_query_response_qa_context(tmp_path):
    rows = [
        {"instruction": "And in French?", "input": "", "output": "Bonjour", "system": "You translate.",
         "history": [["Say hello", "Hello"]]},
        {"query": "And twice?", "response": "4", "history": [["2+0?", "2"]]},
        {"question": "Who wrote it?", "context": "Hamlet is a play by Shakespeare.", "answer": "Shakespeare"},
    ]
    a, q, c = _one(_jsonl(tmp_path / "i.jsonl", rows))
    assert [(m.role, m.content) for m in a.messages] == [("system", "You translate."), ("user", "Say hello"),
                                                         ("assistant", "Hello"), ("user", "And in French?"),
                                                         ("assistant", "Bonjour")]
    assert q.metadata["format"] == "query-response" and [m.content for m in q.messages] == ["2+0?", "2", "And twice?", "4"]
    assert c.messages[0].content == "Who wrote it?\n\nHamlet is a play by Shakespeare."


@pytest.mark.parametrize("key", ["conversation", "dialog", "dialogue", "turns", "chat", "thread"])
@pytest.mark.parametrize("shape", ["role/content", "from/value", "speaker/text", "author/body", "sender/message", "pairs"])
def test_chat_keys_and_message_shapes_with_role_aliases(tmp_path, key, shape):
    turns = [("customer", "My order is late"), ("agent", "Sorry! It ships today."),
             ("end-user", "Thanks"), ("advisor", "You're welcome.")]
    if shape == "pairs":
        msgs = [[r, t] for r, t in turns]
    else:
        rk, tk = shape.split("/")
        msgs = [{rk: r, tk: t} for r, t in turns]
    [rec] = _one(_jsonl(tmp_path / "c.jsonl", [{key: msgs, "ticket": 5}]))
    assert rec.kind == "chat" and rec.metadata["format"] == f"chat ({key})"
    assert [(m.role, m.content) for m in rec.messages] == [
        ("user", "My order is late"), ("assistant", "Sorry! It ships today."), ("user", "Thanks"),
        ("assistant", "You're welcome.")]


@pytest.mark.parametrize("alias,role", [("client", "user"), ("Visitor", "user"), ("SUPPORT", "assistant"),
                                        ("operator", "assistant"), ("bot", "assistant")])
def test_role_alias_table(alias, role):
    from curate.stages.ingest.roles import canonical_role

    assert canonical_role(alias) == role


def _helpdesk_rows():
    # out of time order, an internal note, two customer messages in a row, a trailing customer "thanks"
    return [
        {"ticket_id": "T-2", "created_at": "2024-05-02T10:01:00Z", "author_role": "agent", "body": "Reset link sent."},
        {"ticket_id": "T-1", "created_at": "2024-05-01T09:00:00Z", "author_role": "customer", "body": "Card declined."},
        {"ticket_id": "T-1", "created_at": "2024-05-01T09:00:30Z", "author_role": "customer", "body": "Twice now."},
        {"ticket_id": "T-1", "created_at": "2024-05-01T09:03:00Z", "author_role": "internal_note", "body": "VIP"},
        {"ticket_id": "T-1", "created_at": "2024-05-01T09:05:00Z", "author_role": "agent", "body": "Try again now."},
        {"ticket_id": "T-1", "created_at": "2024-05-01T09:06:00Z", "author_role": "customer", "body": "Thanks!"},
        {"ticket_id": "T-2", "created_at": "2024-05-02T10:00:00Z", "author_role": "customer", "body": "Locked out."},
    ]


def _check_helpdesk(recs):
    t1, t2 = recs
    assert [(m.role, m.content) for m in t1.messages] == [("user", "Card declined.\n\nTwice now."),
                                                          ("assistant", "Try again now.")]
    assert t1.metadata["repairs"] == ["dropped_event_turns", "merged_consecutive_turns", "trimmed_to_last_assistant"]
    assert [(m.role, m.content) for m in t2.messages] == [("user", "Locked out."), ("assistant", "Reset link sent.")]
    assert t2.metadata["order"] == "time order"


@pytest.mark.parametrize("fmt", ["csv;", "tsv", "csv|", "parquet", "jsonl"])
def test_helpdesk_exports_grouped_in_time_order(tmp_path, fmt):
    rows = _helpdesk_rows()
    if fmt == "parquet":
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / "h.parquet")
    elif fmt == "jsonl":
        _jsonl(tmp_path / "h.jsonl", rows)
    else:
        sep = {"csv;": ";", "tsv": "\t", "csv|": "|"}[fmt]
        head = sep.join(rows[0])
        body = "".join(sep.join(r.values()) + "\n" for r in rows)
        (tmp_path / f"h.{fmt[:3]}").write_text(head + "\n" + body, encoding="utf-8")
    recs = sorted(_one(tmp_path), key=lambda r: r.messages[0].content)
    _check_helpdesk(recs)


def test_semicolon_csv_from_european_excel(tmp_path):
    (tmp_path / "faq.csv").write_bytes("Frage;Antwort\n\"Wie geht's?\";Gut, danke.\n".encode("cp1252"))
    cfg = Config.model_validate({"ingest": {"columns": [{"glob": "faq.csv", "columns": {"question": "Frage", "answer": "Antwort"}}]}})
    [rec] = _one(tmp_path, cfg)
    assert [m.content for m in rec.messages] == ["Wie geht's?", "Gut, danke."]
    (tmp_path / "faq.csv").write_text("question;answer;note\nWhy?;Because, really.;x\n", encoding="utf-8")
    [rec] = _one(tmp_path)
    assert rec.messages[1].content == "Because, really."


def test_repairs_are_warn_rules_a_user_can_raise(tmp_path):
    chat = {"messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Anyone?"},
                         {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "Bye"}]}
    recs = _one(_jsonl(tmp_path / "c.jsonl", [chat]))
    assert recs[0].metadata["repairs"] == ["merged_consecutive_turns", "trimmed_to_last_assistant"]
    vcfg = Config().validate_.model_copy(update={"count_tokens": False})
    kept = validate(recs, vcfg)
    assert kept.kept and kept.stats["rule.merged_consecutive_turns"] == 1
    strict = validate(_one(tmp_path), vcfg.model_copy(update={"severity": {"merged_consecutive_turns": "error"}}))
    assert strict.rejected[0].reason.startswith("merged_consecutive_turns")
    stats = _read(tmp_path).stats
    assert stats["repair.merged_consecutive_turns"] == 1 and stats["repair.trimmed_to_last_assistant"] == 1


def test_repairs_reach_lineage(tmp_path):
    from curate.lineage import lineage_rows

    chat = {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
                         {"role": "assistant", "content": "How can I help?"}]}
    [rec] = _one(_jsonl(tmp_path / "c.jsonl", [chat]))
    [row] = lineage_rows([rec], [], {rec.id: ("chat", "train")}, None)
    assert "ingest: repaired (merged_consecutive_turns)" in row["changes"]


# --- no source silently lost ----------------------------------------------------------------------------------

def test_mixed_folder_reads_and_passes_source_coverage(tmp_path):
    outcome = run_stages(MIX, Config.model_validate(FAST), progress=False)
    ingested = dict(outcome.stages)["ingest"]
    validated = dict(outcome.stages)["validate"]
    read_share = len(validated.kept) / ingested.stats["records_in"]
    assert read_share >= 0.98, read_share
    assert len({r.provenance.source for r in ingested.kept}) == 8
    assert len({r.metadata["format"] for r in ingested.kept}) == 8
    gate = next(g for g in outcome.gates if g.name == "source_coverage")
    assert gate.status == "pass", gate.sentence
    assert outcome.metrics["sources.worst_loss_share"] <= 0.5
    for name in ("dropped_event_turns", "merged_consecutive_turns", "trimmed_to_last_assistant",
                 "system_turns_as_assistant", "roles_inferred"):
        assert ingested.stats[f"repair.{name}"] > 0, name
        assert validated.stats[f"rule.{name}"] == ingested.stats[f"repair.{name}"]


def test_unreadable_file_fails_source_coverage_naming_it(tmp_path, monkeypatch):
    mix = tmp_path / "mix"
    shutil.copytree(MIX, mix)
    real = os.access
    monkeypatch.setattr("curate.stages.ingest.sources.os.access",
                        lambda p, mode: False if str(p).endswith("gsm8k_test.jsonl") else real(p, mode))
    outcome = run_stages(mix, Config.model_validate(FAST), progress=False)
    gate = next(g for g in outcome.gates if g.name == "source_coverage")
    assert gate.status == "fail"
    assert "gsm8k/gsm8k_test.jsonl" in gate.sentence and "unreadable file (permission denied)" in gate.sentence
    assert "gsm8k/gsm8k_test.jsonl" in gate.reason  # the check summary table shows the reason


def test_inspect_prints_one_table(tmp_path):
    table = inspect(MIX, Config())
    lines = table.splitlines()
    assert lines[0].split() == ["file", "shape", "read", "rejected", "top", "reason"]
    assert len(lines) == 1 + 8 + 1
    assert "hh-rlhf/hh_rlhf_harmless_base_test.jsonl" in table and "helpdesk rows" in table


def test_run_prints_the_source_table_before_the_slow_stages(capsys):
    cfg = Config.model_validate({**FAST, "near_dedup": {"enabled": False}})
    run_stages(MIX / "dolly", cfg, progress=True)
    err = capsys.readouterr().err
    assert "file" in err and "databricks_dolly_15k_excerpt.jsonl  dolly" in err


def test_excel_workbook_read_or_refused_with_a_reason(tmp_path):
    try:
        import openpyxl
    except ImportError:  # not a dependency: the file is recorded with what to do
        (tmp_path / "sheet.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
        result = _read(tmp_path)
        assert [r.reason for r in result.rejected] == [
            "Excel workbook: reading .xlsx needs openpyxl, which is not installed (pip install openpyxl), "
            "or save the sheet as CSV"]
        return
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Frage", "Antwort"])
    sheet.append(["question", "answer"])  # not the header: data
    book.save(tmp_path / "sheet.xlsx")
    cfg = Config.model_validate({"ingest": {"columns": [{"glob": "*.xlsx", "columns": {"question": "Frage", "answer": "Antwort"}}]}})
    [rec] = _one(tmp_path, cfg)
    assert [m.content for m in rec.messages] == ["question", "answer"]


def test_thread_of_named_authors_gets_inferred_roles(tmp_path):
    row = {"thread": [{"from": "ana@example.org", "body": "Invoice 12 is wrong."},
                      {"from": "help@shop.example", "body": "Fixed, sorry!"},
                      {"from": "ana@example.org", "body": "Thanks."}]}
    result = _read(_jsonl(tmp_path / "mail.jsonl", [row]))
    [rec] = result.kept
    assert roles(rec) == ["user", "assistant"]  # the closing "Thanks." is trimmed
    assert rec.metadata["repairs"] == ["roles_inferred", "trimmed_to_last_assistant"]

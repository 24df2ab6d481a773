"""Validation: kind schemas agree with the models, every rule fails and passes, output schemas, $ref safety."""
import json
from collections import Counter
from pathlib import Path

import pytest

from curate.config import Config, ValidateConfig
from curate.stages.ingest.folder import ingest
from curate.records import Message, Provenance, Record, ToolCall, ToolFunction
from curate.stages.validate.schemas import KINDS, SCHEMA_DIR, SchemaRefused, kind_schema, load_user_schema
from curate.stages.ingest.repair import REPAIRS
from curate.stages.validate.rules import RULES, validate

PROV = Provenance(source="x.jsonl", locator="line 1", sha256="0" * 64)
NO_TOKENS = ValidateConfig(count_tokens=False)


def chat(*turns, kind="chat", **kw):
    msgs = [t if isinstance(t, Message) else Message(role=t[0], content=t[1]) for t in turns]
    return Record(kind=kind, messages=msgs, provenance=PROV, **kw).with_id()


def pref(prompt="Q?", chosen="Good", rejected="Bad"):
    wrap = lambda v: v if isinstance(v, list) else [Message(role="assistant", content=v)]  # noqa: E731
    return Record(kind="preference", prompt=[Message(role="user", content=prompt)], chosen=wrap(chosen),
                  rejected=wrap(rejected), provenance=PROV).with_id()


def call(args):
    return Message(role="assistant", tool_calls=[ToolCall(id="c", function=ToolFunction(name="f", arguments=args))])


def rules_of(rec, cfg=NO_TOKENS):
    result = validate([rec], cfg)
    return {k[5:] for k in result.stats if k.startswith("rule.")}


GOOD_CHAT = chat(("system", "Be kind."), ("user", "Hi"), ("assistant", "Hello!"))

# rule -> (a record that breaks it, a record that passes it)
CASES = {
    "schema": (Record(kind="text", text="t", label=True, provenance=PROV), Record(kind="text", text="t", provenance=PROV)),
    "unexpected_field": (Record(kind="text", text="t", metadata={"unexpected_fields": ["example_input"]}, provenance=PROV),
                         Record(kind="text", text="t", provenance=PROV)),
    "unknown_role": (chat(("system", "s"), ("customer", "Hi"), ("assistant", "Hello")), GOOD_CHAT),
    "empty_content": (chat(("system", "s"), ("user", "  "), ("assistant", "Hello")), GOOD_CHAT),
    "no_assistant_turn": (chat(("system", "s"), ("user", "Hi")), GOOD_CHAT),
    "last_not_assistant": (chat(("system", "s"), ("user", "Hi"), ("assistant", "Hello"), ("user", "Bye")), GOOD_CHAT),
    "system_not_first": (chat(("user", "Hi"), ("system", "s"), ("assistant", "Hello")), GOOD_CHAT),
    "consecutive_roles": (chat(("system", "s"), ("user", "Hi"), ("user", "Hi?"), ("assistant", "Hello")), GOOD_CHAT),
    "tool_arguments_invalid": (chat(("system", "s"), ("user", "Hi"), call("{oops"), ("tool", "{}"), ("assistant", "Done")),
                               chat(("system", "s"), ("user", "Hi"), call('{"a": 1}'), ("tool", "{}"), ("assistant", "Done"))),
    "tool_arguments_double_encoded": (
        chat(("system", "s"), ("user", "Hi"), call(json.dumps('{"a": 1}')), ("tool", "{}"), ("assistant", "Done")),
        chat(("system", "s"), ("user", "Hi"), call('{"a": 1}'), ("tool", "{}"), ("assistant", "Done"))),
    "preference_empty_chosen": (pref(chosen=" "), pref()),
    "preference_identical": (pref(chosen="Same", rejected="Same"), pref()),
    "preference_prompt_mismatch": (pref(rejected=[Message(role="user", content="Other Q"), Message(role="assistant", content="B")]),
                                   pref()),
    "placeholder": (chat(("system", "s"), ("user", "Who are you?"), ("assistant", "I am {{name}}.")),
                    chat(("system", "s"), ("user", "Explain Go templates"), ("assistant", "Write {{ . }} or {{ ... }}"))),
    "missing_system": (chat(("user", "Hi"), ("assistant", "Hello")), GOOD_CHAT),
    "missing_user": (chat(("system", "s"), ("assistant", "Hello")), GOOD_CHAT),
    # repairs made at ingest (curate.stages.ingest.repair) are warn rules of the same name
    **{name: (Record(kind="chat", messages=GOOD_CHAT.messages, metadata={"repairs": [name]}, provenance=PROV), GOOD_CHAT)
       for name in REPAIRS},
}


def test_every_rule_has_a_case():
    output_rules = {"output_not_json", "output_schema", "label_not_allowed", "too_many_tokens"}  # tested below
    assert set(RULES) == set(CASES) | output_rules


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fails_and_passes(rule):
    bad, good = CASES[rule]
    assert rule in rules_of(bad)
    assert rule not in rules_of(good)


def test_severity_decides_reject_warn_off():
    rec = chat(("system", "s"), ("user", "Hi"), ("user", "Hi?"), ("assistant", "Hello"))
    assert validate([rec], NO_TOKENS).rejected[0].reason.startswith("consecutive_roles at /messages/2")
    warn = validate([rec], ValidateConfig(count_tokens=False, severity={"consecutive_roles": "warn"}))
    assert warn.kept == [rec] and rec.metadata["warnings"] == ["consecutive_roles"]
    off = validate([rec], ValidateConfig(count_tokens=False, severity={"consecutive_roles": "off"}))
    assert off.kept and "rule.consecutive_roles" not in off.stats


def test_reject_reason_has_pointer_but_no_text():
    rec = chat(("system", "s"), ("user", "Call Jane Roe at 555"), ("assistant", "Hi {{name}}"))
    [rej] = validate([rec], NO_TOKENS).rejected
    assert rej.reason.startswith("placeholder at /messages/2/content")
    assert "Jane" not in rej.model_dump_json() and "{{name}}" not in rej.reason


def test_kind_schema_files_match_the_models():
    for kind in KINDS:
        on_disk = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
        assert on_disk == kind_schema(kind), f"schemas/{kind}.schema.json is stale: run `curate schemas --write`"
        assert on_disk["$schema"].endswith("2020-12/schema") and on_disk["$id"]


def test_pydantic_valid_records_pass_their_schema():
    records = [GOOD_CHAT, pref(), Record(kind="classification", text="t", label="a", provenance=PROV),
               chat(("user", "Hi"), ("assistant", "Yo"), kind="instruction")]
    assert validate(records, NO_TOKENS).stats.get("rule.schema") is None


def _schema_dir(tmp_path, schema):
    path = tmp_path / "out.schema.json"
    path.write_text(json.dumps(schema))
    return path


def test_remote_ref_refused(tmp_path):
    path = _schema_dir(tmp_path, {"$schema": "https://json-schema.org/draft/2020-12/schema",
                                  "$ref": "https://example.com/evil.schema.json"})
    with pytest.raises(SchemaRefused, match="remote \\$ref .* refused"):
        load_user_schema(path)


def test_local_ref_beside_user_schema_resolves(tmp_path):
    (tmp_path / "money.json").write_text(json.dumps({"type": "number", "minimum": 0}))
    path = _schema_dir(tmp_path, {"type": "object", "properties": {"total": {"$ref": "money.json"}}})
    validator = load_user_schema(path)
    assert validator.is_valid({"total": 3}) and not validator.is_valid({"total": -1})


def test_output_schema_and_labels(tmp_path):
    schema = _schema_dir(tmp_path, {"type": "object", "required": ["total"], "properties": {"total": {"type": "number"}}})
    cfg = ValidateConfig.model_validate({"count_tokens": False, "allowed_labels": ["billing", "tech"],
                                         "output_schemas": [{"glob": "x.jsonl", "schema": str(schema)}]})
    good = chat(("system", "s"), ("user", "invoice"), ("assistant", '{"total": 3}'))
    not_json = chat(("system", "s"), ("user", "invoice"), ("assistant", '{"total": 3,}'))
    missing = chat(("system", "s"), ("user", "invoice"), ("assistant", '{"vendor": "x"}'))
    csv = PROV.model_copy(update={"source": "t.csv"})
    label_ok = Record(kind="classification", text="t", label="tech", provenance=csv)
    label_bad = Record(kind="classification", text="t", label="sales", provenance=csv)
    assert rules_of(good, cfg) == set() and rules_of(label_ok, cfg) == set()
    assert rules_of(not_json, cfg) == {"output_not_json"}
    assert rules_of(missing, cfg) == {"output_schema"}
    assert rules_of(label_bad, cfg) == {"label_not_allowed"}
    other = good.model_copy(update={"provenance": PROV.model_copy(update={"source": "other.jsonl"})})
    assert rules_of(other.model_copy(update={"messages": not_json.messages}), cfg) == set()  # glob does not match


def test_token_limit_with_real_tokenizer():
    short = chat(("system", "s"), ("user", "Hi"), ("assistant", "Hello"))
    long = chat(("system", "s"), ("user", "Hi"), ("assistant", "banana " * 300))
    result = validate([short, long], ValidateConfig(max_tokens=200))
    assert [r.id for r in result.rejected] == [long.id]
    assert result.rejected[0].reason.startswith("too_many_tokens")
    assert 0 < result.stats["tokens.min"] < 30 < 300 <= result.stats["tokens.max"]
    flagged = validate([long], ValidateConfig(max_tokens=200, severity={"too_many_tokens": "warn"}))
    assert flagged.kept and flagged.kept[0].metadata["tokens"] > 200


def _validate_shared(path):
    ingested = ingest(path, Config(), progress=False)
    return validate(ingested.kept, Config().validate_)


def test_toy_chat_matches_cookbook_findings(shared_data):
    result = _validate_shared(shared_data / "openai-chat-format" / "toy_chat_fine_tuning.jsonl")
    rules = {k[5:]: v for k, v in result.stats.items() if k.startswith("rule.")}
    assert rules == {"missing_system": 1, "missing_user": 1, "too_many_tokens": 1}
    assert [r.provenance.locator for r in result.rejected] == ["line 5"]
    assert result.details["examples"]["missing_user"] == ["toy_chat_fine_tuning.jsonl line 4"]


@pytest.mark.parametrize("name", ["toolformer-dedupe-only-dataset.json", "toolformer-similarity-0.9-dataset.json",
                                  "toolformer-similarity-0.6-dataset.json"])
def test_toolformer_files_have_exactly_one_schema_failure(shared_data, name):
    result = _validate_shared(shared_data / "alpaca-cleaned-gpteacher" / name)
    assert len(result.rejected) == 1 and result.rejected[0].reason.startswith("unexpected_field")
    assert "example_input" not in result.rejected[0].reason  # field names are input text: counted, never quoted


def test_identity_placeholders_flagged_and_foundry_clean(shared_data):
    identity = _validate_shared(shared_data / "llamafactory-demo" / "identity.json")
    assert Counter(r.reason.split(" at ")[0] for r in identity.rejected) == {"placeholder": 85}
    foundry = _validate_shared(shared_data / "openai-format-foundry")
    assert foundry.rejected == [] and foundry.stats["records_in"] == 430


def test_token_counts_match_the_transformers_tokenizer():
    """Counting goes through `tokenizers` alone (no transformers or torch in a run that does not train); it must
    give the word pieces the transformers wrapper gives, on every kind of the sample exports."""
    from curate.tokens import count_tokens, load_tokenizer, rendered_text

    records = ingest(Path(__file__).parents[2] / "sample_data", Config(), progress=False).kept
    wrapper = load_tokenizer("smollm2")
    expected = [len(wrapper(rendered_text(r), add_special_tokens=False)["input_ids"]) for r in records]
    assert len({r.kind for r in records}) >= 4 and count_tokens(records) == expected

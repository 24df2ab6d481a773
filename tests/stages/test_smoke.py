"""LoRA smoke-training gate: broken data fails for the right reason, sound data passes (tiny random model, fast);
formatting masks prompts; outputs and determinism; one slow test on the real SmolLM2."""
import json
import math
import random
from pathlib import Path

import pytest

from curate.records import Message, Provenance, Record
from curate.stages.smoke import SmokeConfig, smoke_train
from curate.stages.smoke.checks import SMOKE_GATES, smoke_verdict
from curate.stages.smoke.format import IGNORE, Formatter

ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# The tiny model is random: unlike SmolLM2 it must learn to read the prompt from scratch. Measured: with LoRA on
# attention only, or with SmolLM2's ~20-token default system prompt around the key word, 200 steps did not
# learn the key -> value mapping at all; LoRA on every linear layer, lr 5e-3, a short system message and 150
# steps learn it (input dependence 3.3-4.1 nats over seeds 0-2) while shuffled outputs stay at 0.00 +- 0.01.
TINY = dict(model="tiny", steps=150, lr=5e-3, max_seq_len=64, sample_size=200, heldout_size=24, precision="fp32",
            threads=1, target_modules=ALL_LINEAR, time_budget_s=600)
KEYS = {"red": "cherry", "blue": "ocean", "green": "grass", "yellow": "banana", "black": "night", "white": "snow",
        "orange": "pumpkin", "pink": "flamingo"}


def _rec(i: int, user: str, assistant: str, system: str | None = "Answer.") -> Record:
    msgs = ([Message(role="system", content=system)] if system else []) + [
        Message(role="user", content=user), Message(role="assistant", content=assistant)]
    return Record(kind="instruction", messages=msgs,
                  provenance=Provenance(source="pairs.jsonl", locator=f"line {i + 1}", sha256="0" * 64)).with_id()


def dataset(mode: str, n: int = 200, seed: int = 0) -> list[Record]:
    """Sound: the reply is a fixed function of the colour in the prompt (learnable, and each held-out colour is
    seen in training); the ticket number makes every record distinct. Broken variants of the same prompts."""
    rng = random.Random(seed)
    keys = sorted(KEYS)
    pairs = [(f"Ticket {rng.randint(1000, 9999)}. What goes with {k}?", KEYS[k])
             for k in (rng.choice(keys) for _ in range(n))]
    if mode == "shuffled":
        outs = [a for _, a in pairs]
        rng.shuffle(outs)
        pairs = [(u, o) for (u, _), o in zip(pairs, outs)]
    elif mode == "identical":
        pairs = [(u, "cherry") for u, _ in pairs]
    elif mode == "empty":
        pairs = [(u, "") for u, _ in pairs]
    else:
        assert mode == "sound"
    return [_rec(i, u, a) for i, (u, a) in enumerate(pairs)]


def failed(result) -> dict[str, str]:
    return {name: sentence for name, ok, sentence in result.details["verdict"] if not ok}


@pytest.fixture(scope="module")
def runs() -> dict:
    cfg = SmokeConfig(**TINY)
    return {mode: smoke_train(dataset(mode), cfg, None) for mode in ("sound", "shuffled", "identical", "empty")}


def test_sound_dataset_passes(runs):
    res = runs["sound"]
    s = res.stats
    assert failed(res) == {}
    assert s["nonfinite"] == 0 and s["steps"] == 150 and s["stopped_early"] == 0
    assert s["input_dependence_nats"] > 1.0  # far above the 0.1 threshold: the mapping was learned
    assert s["heldout_loss_adapter"] < 0.5 * s["heldout_loss_base"]
    assert s["supervised_token_coverage"] == 1.0 and s["examples_truncated_to_zero"] == 0


def test_shuffled_outputs_fail_on_input_dependence(runs):
    res, sound = runs["shuffled"], runs["sound"]
    s = res.stats
    assert set(failed(res)) == {"smoke_input_dependence"}
    assert "do not depend on inputs" in failed(res)["smoke_input_dependence"]
    assert abs(s["input_dependence_nats"]) < 0.05
    # The losses alone would not catch it: the model learns the outputs' distribution, train and held-out fall.
    assert s["loss_drop_share"] > 0.5 and s["heldout_improvement_share"] > 0.5
    assert s["heldout_loss_adapter"] > sound.stats["heldout_loss_adapter"] + 1.0


def test_identical_outputs_fail_on_variety_and_input_dependence(runs):
    res = runs["identical"]
    # (collapsing onto one reply also tends to raise the general-text loss: smoke_forgetting may fail too)
    assert {"smoke_output_variety", "smoke_input_dependence"} <= set(failed(res)) <= {
        "smoke_output_variety", "smoke_input_dependence", "smoke_forgetting"}
    assert res.stats["top_output_share"] == 1.0
    assert "all identical" in failed(res)["smoke_output_variety"]
    assert res.stats["input_dependence_nats"] == pytest.approx(0.0, abs=0.01)


def test_empty_assistant_content_fails_on_coverage(runs):
    res = runs["empty"]
    s = res.stats
    assert "smoke_supervised_coverage" in failed(res)
    assert s["supervised_token_coverage"] == 0.0
    assert s["examples_empty_target"] == s["examples_formatted"] == 180  # 200 minus the 20 validation records
    assert "180 of 180 examples have empty assistant content" in failed(res)["smoke_supervised_coverage"]


def test_records_pass_through_unchanged(runs):
    res = runs["sound"]
    assert res.rejected == []
    assert [r.id for r in res.kept] == [r.id for r in dataset("sound")]


def test_nonfinite_training_fails(tmp_path):
    cfg = SmokeConfig(**{**TINY, "steps": 6, "lr": 1e30})
    res = smoke_train(dataset("sound", n=60), cfg, None)
    assert res.stats["nonfinite"] > 0
    assert "NaN or infinite" in failed(res)["smoke_finite"]


def test_time_budget_stops_early_and_says_so():
    cfg = SmokeConfig(**{**TINY, "time_budget_s": 0.001})
    res = smoke_train(dataset("sound", n=60), cfg, None)
    assert res.stats["stopped_early"] == 1 and res.stats["steps"] == 0
    assert "time budget" in res.details["stopped_early"]
    assert "time budget ran out" in failed(res)["smoke_steps"]


def test_outputs_and_determinism(tmp_path):
    cfg = SmokeConfig(**{**TINY, "steps": 12})
    recs = dataset("sound", n=80)
    a = smoke_train(recs, cfg, tmp_path / "a")
    b = smoke_train(recs, cfg, tmp_path / "b")
    assert a.details["loss_curve"] == b.details["loss_curve"] and len(a.details["loss_curve"]) == 12
    timing = {"seconds", "seconds_per_step", "train_seconds", "eval_seconds", "load_seconds"}
    same = [k for k in a.stats if k not in timing]
    assert [a.stats[k] for k in same] == [b.stats[k] for k in same] and set(a.stats) == set(b.stats)
    for name in ("adapter_model.safetensors", "adapter_config.json", "metrics.json", "loss_curve.png"):
        assert (tmp_path / "a" / name).is_file(), name
    assert (tmp_path / "a" / "adapter_model.safetensors").read_bytes() == \
        (tmp_path / "b" / "adapter_model.safetensors").read_bytes()
    assert (tmp_path / "a" / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert metrics["stats"]["steps"] == 12 and len(metrics["loss_curve"]) == 12
    assert [v["check"] for v in metrics["verdict"]] == [g["name"] for g in SMOKE_GATES]
    adapter = json.loads((tmp_path / "a" / "adapter_config.json").read_text())
    assert adapter["r"] == 8 and set(adapter["target_modules"]) == set(ALL_LINEAR)


# ---------------------------------------------------------------- gates and verdict (pure)

def test_gates_mirror_config_defaults():
    cfg = SmokeConfig()
    by_name = {g["name"]: g for g in SMOKE_GATES}
    assert by_name["smoke_loss_drop"]["threshold"] == cfg.min_loss_drop_share
    assert by_name["smoke_forgetting"]["threshold"] == cfg.max_forgetting_rise_share
    assert by_name["smoke_supervised_coverage"]["threshold"] == cfg.min_supervised_coverage
    assert by_name["smoke_input_dependence"]["threshold"] == cfg.min_input_dependence_nats
    for g in SMOKE_GATES:
        assert set(g) == {"name", "metric", "op", "threshold", "severity", "reason"}
        assert g["metric"].startswith("smoke.") and g["op"] in (">=", "<=", "==", "<", ">")
        assert g["severity"] == "fail" and g["reason"].endswith(".")


def test_gate_metrics_are_produced(runs):
    stats = runs["sound"].stats
    missing = [g["metric"] for g in SMOKE_GATES if g["metric"].removeprefix("smoke.") not in stats]
    assert missing == []
    assert all(isinstance(v, (int, float)) for v in stats.values())


def _good_stats(**over) -> dict:
    s = {"nonfinite": 0, "steps": 20, "stopped_early": 0, "supervised_token_coverage": 1.0, "top_output_share": 0.1,
         "loss_window": 5, "loss_first_window": 3.0, "loss_first_window_after": 2.0, "loss_last_window": 2.2,
         "loss_drop_share": 0.33, "heldout_loss_base": 3.0,
         "heldout_loss_adapter": 2.5, "heldout_improvement_share": 0.17, "input_dependence_nats": 0.9,
         "swap_loss_matched": 2.4, "swap_loss_mismatched": 3.3, "reference_loss_base": 3.0,
         "reference_loss_adapter": 3.0, "forgetting_rise_share": 0.0, "examples_formatted": 160,
         "examples_empty_target": 0, "examples_truncated_to_zero": 0, "max_seq_len": 256}
    s.update(over)
    return s


def test_verdict_is_pure_and_names_the_reason():
    assert all(ok for _, ok, _ in smoke_verdict(_good_stats(), SmokeConfig()))
    v = {n: (ok, s) for n, ok, s in smoke_verdict(
        _good_stats(reference_loss_adapter=4.2, forgetting_rise_share=0.4), SmokeConfig())}
    assert v["smoke_forgetting"][0] is False and "damages the base model" in v["smoke_forgetting"][1]
    assert [n for n, (ok, _) in v.items() if not ok] == ["smoke_forgetting"]
    # a looser threshold in config passes the same numbers
    assert dict((n, ok) for n, ok, _ in smoke_verdict(
        _good_stats(forgetting_rise_share=0.4), SmokeConfig(max_forgetting_rise_share=0.5)))["smoke_forgetting"]
    v = {n: (ok, s) for n, ok, s in smoke_verdict(_good_stats(heldout_improvement_share=-0.05), SmokeConfig())}
    assert v["smoke_heldout"][0] is False and "does not generalise" in v["smoke_heldout"][1]
    v = {n: (ok, s) for n, ok, s in smoke_verdict(
        _good_stats(supervised_token_coverage=0.5, examples_truncated_to_zero=80), SmokeConfig())}
    assert "80 lost all assistant tokens to truncation at 256 tokens" in v["smoke_supervised_coverage"][1]
    v = {n: (ok, s) for n, ok, s in smoke_verdict(_good_stats(loss_drop_share=float("nan")), SmokeConfig())}
    assert v["smoke_loss_drop"][0] is False


def test_input_dependence_absent_means_not_measured():
    stats = _good_stats()
    del stats["input_dependence_nats"]
    v = {n: (ok, s) for n, ok, s in smoke_verdict(stats, SmokeConfig())}
    assert v["smoke_input_dependence"][0] is True and v["smoke_input_dependence"][1].startswith("Not measured")
    del stats["top_output_share"]
    v = {n: (ok, s) for n, ok, s in smoke_verdict(stats, SmokeConfig())}
    assert v["smoke_output_variety"][0] is True and "classification" in v["smoke_output_variety"][1]
    del stats["loss_drop_share"]
    assert dict((n, ok) for n, ok, _ in smoke_verdict(stats, SmokeConfig()))["smoke_loss_drop"] is False


# ---------------------------------------------------------------- formatting

@pytest.fixture(scope="module")
def fmt() -> Formatter:
    from curate.tokens import load_tokenizer

    return Formatter(load_tokenizer("smollm2"), 256)


def _supervised_text(fmt: Formatter, ex, which: str = "labels") -> str:
    return fmt.tok.decode([i for i, lab in zip(ex.input_ids, getattr(ex, which)) if lab != IGNORE])


def _prov() -> Provenance:
    return Provenance(source="x.jsonl", locator="line 1", sha256="0" * 64)


def test_only_assistant_tokens_are_supervised(fmt):
    rec = Record(kind="chat", provenance=_prov(), messages=[
        Message(role="system", content="Be brief."), Message(role="user", content="Hi there"),
        Message(role="assistant", content="Hello!"), Message(role="user", content="Bye"),
        Message(role="assistant", content="Goodbye.")])
    ex = fmt.record(rec)
    assert _supervised_text(fmt, ex) == "Hello!<|im_end|>\nGoodbye.<|im_end|>\n"
    assert _supervised_text(fmt, ex, "final_labels") == "Goodbye.<|im_end|>\n"
    assert ex.content_tokens == ex.content_tokens_kept > 0
    assert "Hi there" in fmt.tok.decode(ex.input_ids)


def test_kinds_map_to_prompt_and_target(fmt):
    cls = Record(kind="classification", text="My invoice is wrong", label="billing", provenance=_prov())
    assert _supervised_text(fmt, fmt.record(cls)) == "billing<|im_end|>\n"
    pref = Record(kind="preference", provenance=_prov(), prompt=[Message(role="user", content="Q?")],
                  chosen=[Message(role="assistant", content="Good answer.")],
                  rejected=[Message(role="assistant", content="Bad answer.")])
    ex = fmt.record(pref)
    assert _supervised_text(fmt, ex) == "Good answer.<|im_end|>\n" and "Bad" not in fmt.tok.decode(ex.input_ids)
    text = fmt.record(Record(kind="text", text="Plain words here.", provenance=_prov()))
    assert all(lab != IGNORE for lab in text.labels) and "<|im_start|>" not in fmt.tok.decode(text.input_ids)
    kto_bad = Record(kind="chat", label=False, provenance=_prov(), messages=[
        Message(role="user", content="Q"), Message(role="assistant", content="A")])
    assert fmt.record(kto_bad) is None  # an undesirable completion is not trained on


def test_truncation_to_zero_is_counted():
    from curate.tokens import load_tokenizer

    short = Formatter(load_tokenizer("smollm2"), 40)
    rec = _rec(0, "word " * 60, "the answer")
    ex = short.record(rec)
    assert len(ex.input_ids) == 40 and ex.content_tokens > 0 and ex.content_tokens_kept == 0
    assert all(lab == IGNORE for lab in ex.labels)


def test_reference_set_ships_with_the_package():
    from curate.stages.smoke.train import reference_texts

    texts = reference_texts()
    assert len(texts) >= 30 and all(40 < len(t) < 600 for t in texts)
    assert len(set(texts)) == len(texts)


# ---------------------------------------------------------------- the real model

@pytest.mark.slow
def test_smollm2_smoke_runs_a_few_steps(tmp_path):
    from curate.config import load_config
    from curate.stages.ingest.folder import ingest

    repo = Path(__file__).resolve().parents[2]
    recs = [r for r in ingest(repo / "sample_data", load_config(src=repo / "sample_data"), progress=False).kept
            if r.kind in ("chat", "instruction")]
    cfg = SmokeConfig(steps=4, batch_size=4, max_seq_len=128, sample_size=16, heldout_size=8, min_steps=1)
    res = smoke_train(recs, cfg, tmp_path / "smoke")
    s = res.stats
    assert s["steps"] == 4 and s["nonfinite"] == 0
    # a pretrained chat model, not random weights: about 2-4 nats on support replies and general English (a
    # random model over this vocabulary scores about ln(49152) = 10.8)
    assert 1.0 < s["heldout_loss_base"] < 5.0 and 1.0 < s["reference_loss_base"] < 5.0
    assert math.isfinite(s["heldout_loss_adapter"]) and s["heldout_loss_adapter"] < s["heldout_loss_base"]
    assert s["input_dependence_nats"] > 0.1
    assert (tmp_path / "smoke" / "adapter_model.safetensors").stat().st_size > 100_000

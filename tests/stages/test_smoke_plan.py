"""The smoke step's plan: steps and example length fitted to the budget from a measured speed, never a length that
would fail the supervised-coverage gate, pinned by config, and the measured speed cached per machine."""
from curate.stages.smoke import SmokeConfig
from curate.stages.smoke import plan


def test_a_fast_machine_gets_the_longest_examples_and_every_step():
    p = plan.choose(SmokeConfig(), rate=5000.0, train_lengths=[200] * 128, heldout_lengths=[200] * 16,
                    reference_tokens=1500)
    assert (p.steps, p.max_seq_len) == (16, 256) and p.projected_s <= 90


def test_a_slow_machine_trades_length_and_steps_for_the_budget():
    cfg = SmokeConfig()
    slow = plan.choose(cfg, rate=600.0, train_lengths=[250] * 128, heldout_lengths=[250] * 16, reference_tokens=1500)
    assert slow.max_seq_len < 256 and cfg.min_steps <= slow.steps < 16
    assert slow.projected_s <= cfg.budget_s * 1.05


def test_a_length_that_would_cut_assistant_tokens_is_not_chosen():
    cfg = SmokeConfig()
    coverage = {256: 1.0, 192: 0.95, 128: 0.77}  # at 128 tokens 23 % of examples lose every assistant token
    p = plan.choose(cfg, rate=150.0, train_lengths=[250] * 128, heldout_lengths=[250] * 16, reference_tokens=1500,
                    coverage=coverage)
    assert p.max_seq_len == 192 and p.steps == cfg.min_steps  # over budget, but the gate is not failed by the plan


def test_steps_in_config_pin_the_run():
    p = plan.fixed(SmokeConfig(steps=5, max_seq_len=64))
    assert (p.steps, p.max_seq_len, p.forward_tokens_per_s) == (5, 64, None)
    assert "plan_forward_tokens_per_s" not in p.stats()


def test_the_measured_speed_is_cached_per_machine(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    key = plan.machine_key("model", "cpu", False)
    assert plan.cached_rate(key) is None
    rate = plan.store_rate(key, tokens=1500, seconds=10.0)
    assert 130 <= rate <= 170 and plan.cached_rate(key) == rate  # 150 tokens/s on a ~12 % grid
    assert plan.cached_rate(plan.machine_key("model", "cpu", True)) is None  # bf16 is another machine key


def test_a_speed_off_by_more_than_2x_is_revised_after_training(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATE_CACHE_DIR", str(tmp_path))
    key = plan.machine_key("model", "cpu", False)
    first = plan.store_rate(key, tokens=630, seconds=10.0)  # measured while the machine was busy: ~63 tokens/s
    plan.revise(key, first, train_tokens=4000, train_seconds=60.0)  # training showed ~200 tokens/s forward
    assert 180 <= plan.cached_rate(key) <= 220
    steady = plan.cached_rate(key)
    plan.revise(key, steady, train_tokens=4000, train_seconds=80.0)  # 150/s: within 2x, the plan stays put
    assert plan.cached_rate(key) == steady

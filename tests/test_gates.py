"""Gates from config, `curate check` on real sets, CI outputs (JUnit, Markdown, metrics), the HTML report."""
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from curate.ci import junit_xml
from curate.config import Config, ConfigError, commented_toml, config_from_dict
from curate.gates import effective_gates
from curate.verdict import evaluate
from curate.report import summary_markdown

from .conftest import REPO


def curate(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "curate.cli", *args], capture_output=True, text=True, env=env, cwd=cwd)


def test_config_overrides_disable_and_incomplete_gates():
    cfg = config_from_dict({"gates": {"diversity_floor": {"threshold": 0.05, "severity": "warn"},
                                      "no_duplicates": {"enabled": False},
                                      "short_outputs": {"metric": "diversity.distinct_1", "op": ">=", "threshold": 0.1,
                                                        "reason": "outputs should not repeat the same words"}}})
    gates = {g.name: g for g in effective_gates(cfg)}
    assert gates["diversity_floor"].threshold == 0.05 and gates["diversity_floor"].severity == "warn"
    assert "no_duplicates" not in gates and gates["short_outputs"].metric == "diversity.distinct_1"
    with pytest.raises(ConfigError, match="gate lonely in config needs"):
        effective_gates(config_from_dict({"gates": {"lonely": {"threshold": 1}}}))


def test_init_toml_round_trips_to_the_defaults():
    cfg = config_from_dict(tomllib.loads(commented_toml()))
    assert effective_gates(cfg) == effective_gates(Config())
    assert cfg.model_dump(exclude={"gates"}) == Config().model_dump(exclude={"gates"})


def test_evaluate_statuses_and_sentences():
    gates = effective_gates(Config())
    results = {r.name: r for r in evaluate(gates, {"published.total": 40, "validate.failure_rate": 0.0,
                                                   "dedup.input_duplicate_rate": 0.05})}
    assert results["enough_examples"].status == "fail"
    assert results["enough_examples"].sentence.startswith("enough_examples FAILED: published.total = 40 (needs >= 100)")
    assert results["schema_failure_rate"].status == "pass"
    assert results["duplicate_rate"].status == "pass" and results["no_duplicates"].status == "warn"
    assert results["residual_identifiers"].status == "skip"  # not measured is not a pass
    assert results["token_limit"].status == "pass"  # no findings counts as zero


def _gate_results():
    return evaluate(effective_gates(Config()), {"published.total": 40, "validate.failure_rate": 0.0})


def test_junit_xml_validates_against_the_junit_schema():
    xmlschema = pytest.importorskip("xmlschema")
    schema = xmlschema.XMLSchema(str(Path(__file__).parent / "data" / "junit.xsd"))
    xml = junit_xml(_gate_results())
    schema.validate(xml)
    assert xml.count("<testcase ") == len(effective_gates(Config()))
    assert 'failures="1"' in xml and "<skipped" in xml
    with pytest.raises(xmlschema.XMLSchemaValidationError):  # the schema does reject a broken report
        schema.validate(xml.replace('name="enough_examples"', ""))


def test_markdown_summary():
    md = summary_markdown(_gate_results(), [], publishable=False)
    assert md.splitlines()[0] == "# curate verdict"
    assert "**FAIL: 1 gate(s) failed: enough_examples." in md
    assert "| FAIL | enough_examples | published.total | 40 | >= 100 |" in md


def _check(path, tmp_path, *extra):
    summary = tmp_path / "step_summary.md"
    env = {**__import__("os").environ, "GITHUB_STEP_SUMMARY": str(summary)}
    result = curate("check", str(path), "--quiet", "--report-dir", str(tmp_path / "report"), *extra, env=env, cwd=tmp_path)
    gates = {}
    for line in result.stdout.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1] in ("PASS", "FAIL", "WARN", "SKIP"):
            gates[cells[2]] = cells[1]
    return result, gates, summary


def test_check_sharegpt_fails_on_its_repetition(shared_data, tmp_path):
    result, gates, summary = _check(shared_data / "sharegpt-fastchat", tmp_path)
    assert result.returncode == 1, result.stderr
    # 42 templated chats: exact, near and semantic dedup leave about a dozen, so it fails on repetition and size
    # (what is left after dedup is diverse: diversity is measured on the records that would be published)
    assert gates["duplicate_rate"] == "FAIL" and gates["enough_examples"] == "FAIL"
    assert gates["first_turn_repetition"] == "WARN"
    assert summary.read_text().startswith("# curate verdict")  # appended to $GITHUB_STEP_SUMMARY
    report = tmp_path / "report"
    assert {p.name for p in report.iterdir()} >= {"junit.xml", "metrics.json", "summary.md", "report.html"}
    assert json.loads((report / "metrics.json").read_text())["dedup.input_duplicate_rate"] > 0.5


def test_check_alpaca_warns_on_its_duplicates(shared_data, tmp_path):
    result, gates, _ = _check(shared_data / "llamafactory-demo" / "alpaca_en_demo.json", tmp_path)
    assert gates["no_duplicates"] == "WARN" and gates["duplicate_rate"] == "PASS"
    metrics = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert metrics["exact_dedup.rejected"] == 14
    assert result.returncode == 0, result.stdout


def test_check_gsm8k_passes_schema_but_is_too_small(shared_data, tmp_path):
    result, gates, _ = _check(shared_data / "openai-format-foundry" / "sft_gsm8k_chat_validation.jsonl", tmp_path)
    assert gates["schema_failure_rate"] == "PASS" and gates["enough_examples"] == "FAIL"
    assert result.returncode == 1


def test_check_writes_nothing_without_report_dir(tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "a.jsonl").write_text(json.dumps({"prompt": "a", "completion": "b"}) + "\n")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = curate("check", str(src), "--quiet", cwd=tmp_path)
    assert result.returncode == 1 and "enough_examples" in result.stdout
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert curate("check", str(tmp_path / "missing"), cwd=tmp_path).returncode == 2


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (make test installs it where apt-get works)")
def test_html_report_renders_in_headless_chromium(tmp_path):
    from curate.config import load_config
    from curate.pipeline import run_pipeline

    out = tmp_path / "curated"
    run_pipeline(REPO / "sample_data", out, load_config(src=REPO / "sample_data"), progress=False, smoke="skip")
    shot = tmp_path / "first_screen.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900"]
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", (out / "report.html").as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", (out / "report.html").as_uri()],
                         capture_output=True, text=True, timeout=120).stdout
    assert "curate report" in dom and "PASS: all" in dom and dom.count("<img") >= 3

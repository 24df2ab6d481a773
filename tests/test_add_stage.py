"""The README's "How to add a stage" recipe, followed step by step with a tiny stage that exists only here: it
rejects records whose text has fewer than `min_words` words. Nothing else in curate changes to make it run."""
import json

import pytest
from pydantic import Field

from curate.config import Config
from curate.pipeline import run_pipeline
from curate.records import Record, Reject, StageResult
from curate.section import Section
from curate.stage import RunContext, Stage, counts
from curate.stages.order import STAGES
from curate.views import comparable_text

NAME = "min_words"  # step 1: the name, written once


class MinWordsConfig(Section):  # step 1: its config section, every default with a reason
    enabled: bool = Field(default=True, description="drop examples too short to teach anything")
    min_words: int = Field(default=4, ge=1, description="three words or fewer carry no task")


class MinWords(Stage):  # step 2: the stage
    name = NAME
    section = "min_words"
    gates = [{"name": "short_examples", "metric": f"{NAME}.rejected", "op": "<=", "threshold": 0, "severity": "warn",
              "reason": "very short examples suggest a broken export column"}]

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        limit = self.settings(ctx.cfg).min_words
        kept, rejected = [], []
        for rec in records:
            if len(comparable_text(rec).split()) >= limit:
                kept.append(rec)
            else:
                rejected.append(Reject(id=rec.id, provenance=rec.provenance, stage=self.name,
                                       reason=f"fewer than {limit} words"))
        return StageResult(kept, rejected, counts(len(records), kept, rejected))


class WithMinWords(Config):  # step 3: mount its config section
    min_words: MinWordsConfig = Field(default_factory=MinWordsConfig)


@pytest.fixture
def registered():
    """Step 4: put it into the stage list, after validation (a cheap stage goes before the slow ones)."""
    at = next(i for i, s in enumerate(STAGES) if s.closes_source_table) + 1
    STAGES.insert(at, MinWords())
    try:
        yield
    finally:
        del STAGES[at]


def _exports(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"prompt": "How do I reset my router to factory settings?",
             "completion": "Hold the reset button on the back for ten seconds until the lights blink."},
            {"prompt": "Why was my invoice higher this month?",
             "completion": "Your plan renewed at the annual rate; the old discount ended in March."},
            {"prompt": "Can I export my contacts to a spreadsheet?",
             "completion": "Yes: open Settings, choose Export and pick CSV as the format."},
            {"prompt": "What does error 503 on the dashboard mean?",
             "completion": "The service is briefly overloaded; wait a minute and reload the page."}]
    rows.append({"prompt": "Hi", "completion": "Hello"})  # two words: too short
    (src / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return src


def _run(src, out, cfg):
    run_pipeline(src, out, cfg, progress=False, smoke="skip")
    manifest = json.loads((out / "manifest.json").read_text())
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    return manifest, rejects


def test_a_stage_added_by_the_recipe_runs_reports_and_is_gated(registered, tmp_path):
    src = _exports(tmp_path)
    manifest, rejects = _run(src, tmp_path / "out", WithMinWords())
    assert [(r["stage"], r["reason"]) for r in rejects] == [(NAME, "fewer than 4 words")]
    row = next(s for s in manifest["stages"] if s["stage"] == NAME)
    assert (row["records_in"], row["kept"], row["rejected"]) == (5, 4, 1)
    assert [s["stage"] for s in manifest["stages"]].index(NAME) == 2  # where the list put it: after validate
    gate = next(g for g in manifest["gates"] if g["name"] == "short_examples")
    assert (gate["metric"], gate["value"], gate["status"]) == (f"{NAME}.rejected", 1, "warn")
    assert manifest["accounting"] == {"records_in": 5, "published": 4, "rejected": 1, "balanced": True}

    cfg = WithMinWords()
    cfg.min_words.min_words = 2  # its config reaches it
    manifest, rejects = _run(src, tmp_path / "out2", cfg)
    assert rejects == [] and manifest["accounting"]["published"] == 5
    cfg.min_words.enabled = False  # and `enabled = false` skips it
    manifest, _ = _run(src, tmp_path / "out3", cfg)
    assert NAME not in [s["stage"] for s in manifest["stages"]]


def test_without_registration_the_pipeline_does_not_know_it(tmp_path):
    manifest, rejects = _run(_exports(tmp_path), tmp_path / "out", Config())
    assert NAME not in [s["stage"] for s in manifest["stages"]] and rejects == []

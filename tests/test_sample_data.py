"""sample_data/ end to end: every planted problem is caught where its README says, and no planted PII leaks
into rejects or the manifest."""
import json
import re

import pytest

from curate.config import load_config
from curate.pipeline import run_pipeline

from .conftest import SAMPLE_DATA


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample") / "curated"
    run_pipeline(SAMPLE_DATA, out, load_config(src=SAMPLE_DATA), progress=False, smoke="skip")
    return out


def planted_pii() -> list[str]:
    text = (SAMPLE_DATA / "README.md").read_text(encoding="utf-8")
    section = text.split("## Planted PII", 1)[1]
    values = re.findall(r"`([^`]+)`", section)
    return [v for v in values if not v.endswith((".jsonl", ".csv", ".json")) and not v.startswith("acct_")]


def test_planted_problems_are_rejected_where_the_readme_says(curated):
    rejects = [json.loads(line) for line in (curated / "rejects.jsonl").read_text().splitlines()]
    found = {(r["stage"], r["provenance"]["source"], r["provenance"]["locator"].split(" (")[0],
              r["reason"].split(" at ")[0].split(" (")[0]) for r in rejects}
    assert found == {
        ("ingest", "support/chats_2026-10.jsonl", "line 30", "invalid JSON"),
        ("ingest", "tickets/tickets_export.csv", "row 15", "row has 5 fields but the header has 4"),
        ("validate", "extraction/invoice_extraction.jsonl", "line 6", "output_not_json"),
        ("validate", "extraction/invoice_extraction.jsonl", "line 11", "output_schema"),
        ("validate", "instructions/faq_sheet.json", "/25", "placeholder"),
        ("validate", "preferences/reply_pairs.jsonl", "line 9", "preference_identical"),
        ("validate", "preferences/reply_pairs.jsonl", "line 14", "preference_empty_chosen"),
        ("exact_dedup", "instructions/faq_sheet.json", "/10", "exact duplicate of instructions/faq_sheet.json /2"),
        ("exact_dedup", "support/chats_2026-10.jsonl", "line 7", "exact duplicate of support/chats_2026-10.jsonl line 3"),
        ("exact_dedup", "support/chats_2026-10.jsonl", "line 12", "exact duplicate of support/chats_2026-10.jsonl line 5"),
        ("exact_dedup", "tickets/tickets_export.csv", "row 44", "exact duplicate of tickets/tickets_export.csv row 30"),
        ("near_dedup", "support/chats_2026-10.jsonl", "line 20", "near duplicate"),
        ("near_dedup", "support/chats_2026-10.jsonl", "line 21", "near duplicate"),
    }
    near = {r["provenance"]["locator"]: r["reason"] for r in rejects if r["stage"] == "near_dedup"}
    assert all(reason.endswith("of support/chats_2026-10.jsonl line 19") for reason in near.values())
    manifest = json.loads((curated / "manifest.json").read_text())
    assert manifest["accounting"] == {"records_in": 259, "published": 246, "rejected": 13, "balanced": True}


def test_cp1252_file_and_gzip_archive_ingested(curated):
    manifest = json.loads((curated / "manifest.json").read_text())
    sources = {i["source"] for i in manifest["inputs"]}
    assert {"legacy/notes_cp1252.jsonl", "legacy/2025_archive.jsonl.gz", "kb/returns_policy.md"} <= sources


def test_no_planted_pii_in_rejects_or_manifest(curated):
    values = planted_pii()
    assert len(values) >= 20  # the README lists them; an empty list would make this test vacuous
    for name in ("rejects.jsonl", "manifest.json"):
        text = (curated / name).read_text(encoding="utf-8")
        leaked = [v for v in values if v in text]
        assert leaked == [], f"{name} leaks {len(leaked)} planted values"

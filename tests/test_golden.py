"""Golden outputs: the sha256 of every file a run writes, for sample_data/ and two real exports, committed before
the stage redesign. A change that alters outputs on purpose rewrites them (CURATE_GOLDEN_UPDATE=1) in a commit
that says why; any other change must leave every byte as it was. The smoke step is skipped: its losses depend on
the machine's float arithmetic, everything else must not."""
import hashlib
import json
import os
from pathlib import Path

import pytest

from curate.config import load_config
from curate.pipeline import run_pipeline

from .conftest import SAMPLE_DATA, SHARED_DATA

GOLDEN = Path(__file__).parent / "data" / "golden_hashes.json"
SOURCES = {"sample_data": SAMPLE_DATA, "openai-chat-format": SHARED_DATA / "openai-chat-format",
           "sharegpt-fastchat": SHARED_DATA / "sharegpt-fastchat"}


def output_hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_outputs_match_golden_hashes(name, tmp_path, monkeypatch):
    src = SOURCES[name]
    if not src.is_dir():
        pytest.skip(f"{src} not found")
    monkeypatch.setenv("CURATE_PII_KEY", "golden-test-key")  # a fixed key: pseudonyms are stable
    out = tmp_path / "out"
    run_pipeline(src, out, load_config(src=src), progress=False, smoke="skip")
    got = output_hashes(out)
    golden = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if os.environ.get("CURATE_GOLDEN_UPDATE") == "1":
        golden[name] = got
        GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
        return
    assert name in golden, f"no golden hashes for {name}: run with CURATE_GOLDEN_UPDATE=1 and commit them"
    changed = sorted(k for k in set(got) | set(golden[name]) if got.get(k) != golden[name].get(k))
    assert not changed, f"outputs changed: {changed}"

"""Validation benchmark: curate's validation stage with and without token counting, against the naive way
(`jsonschema.validate(record, schema)` per record, which re-checks the schema on every call).

Input: every record of ../shared/data/{llamafactory-demo,openai-format-foundry,sharegpt-fastchat,oasst-trees}
repeated to --records records. Each mode runs in a fresh child process, so its peak RSS is its own.
Run:  .venv/bin/python benchmarks/validate.py [--records 20000]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
FOLDERS = ["llamafactory-demo", "openai-format-foundry", "sharegpt-fastchat", "oasst-trees"]
MODES = ["curate-no-tokens", "curate-with-tokens", "naive-jsonschema"]


def load(n: int):
    from curate.config import Config
    from curate.stages.ingest.folder import ingest

    base = [r for f in FOLDERS for r in ingest(SHARED / f, Config(), progress=False).kept]
    return [base[i % len(base)].model_copy(deep=True) for i in range(n)]


def measure(mode: str, n: int) -> dict:
    from curate.config import ValidateConfig
    from curate.stages.validate.rules import validate

    records = load(n)
    if mode == "curate-with-tokens":
        from curate.tokens import load_tokenizer
        load_tokenizer()  # loading the tokenizer is a one-off, not per record
    start = time.perf_counter()
    if mode == "naive-jsonschema":
        import jsonschema

        schemas = {k: json.loads((REPO / "schemas" / f"{k}.schema.json").read_text()) for k in
                   ("chat", "instruction", "preference", "classification", "text")}
        failed = 0
        for rec in records:
            try:
                jsonschema.validate(rec.model_dump(mode="json", exclude_none=True), schemas[rec.kind])
            except jsonschema.ValidationError:
                failed += 1
    else:
        result = validate(records, ValidateConfig(count_tokens=mode == "curate-with-tokens"))
        failed = len(result.rejected)
    seconds = time.perf_counter() - start
    return {"mode": mode, "records": n, "failed": failed, "seconds": seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.records)))
        return
    if not SHARED.is_dir():
        sys.exit(f"needs the shared datasets at {SHARED}")
    rows = {}
    print(f"{'mode':<22}{'records':>9}{'failed':>8}{'seconds':>9}{'records/s':>11}{'peak MB':>9}")
    for mode in MODES:
        out = subprocess.run([sys.executable, __file__, "--measure", mode, "--records", str(args.records)],
                             capture_output=True, text=True, cwd=REPO)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows[mode] = r
        print(f"{mode:<22}{r['records']:>9}{r['failed']:>8}{r['seconds']:>9.2f}{r['records'] / r['seconds']:>11,.0f}"
              f"{r['peak_mb']:>9.0f}")
    speed = lambda m: rows[m]["records"] / rows[m]["seconds"]  # noqa: E731
    print(f"\ncurate (schema + rules, no tokens) / naive jsonschema.validate = {speed('curate-no-tokens') / speed('naive-jsonschema'):.1f}x")
    print(f"token counting costs {1 - speed('curate-with-tokens') / speed('curate-no-tokens'):.0%} of validation throughput")


if __name__ == "__main__":
    main()

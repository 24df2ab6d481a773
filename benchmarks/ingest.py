"""Ingest benchmark: curate's streaming JSONL reader against the naive ways to load JSONL.

What is measured
  Two JSONL files of OpenAI chat records ({"messages": [system, user, assistant, ...]}, ~100-200 words
  of varied support-chat text each) are generated deterministically (random.Random(0)) into the work
  folder and reused on later runs: one with --records records (default 200,000) and one of about
  --big-gb GB (default 1.0). Every case runs in a fresh child process, so its peak RSS is its own:
    curate-stream   iterate curate.stages.ingest.iter_ingest, count Records, keep nothing
    curate-ingest   curate.stages.ingest.ingest (keeps every record in memory, as the pipeline does)
    naive-pandas    pandas.read_json(path, lines=True)
    naive-datasets  datasets.load_dataset("json", ...) then len()
  All four run on the small file; only curate-stream runs on the big one (the naive loaders would need
  many GB). Reported: records, seconds, records/s, peak RSS (ru_maxrss) and, for streaming, the RSS
  sampled every 100k records (first sample, last sample, max) to show memory stays flat.

Run:  .venv/bin/python benchmarks/ingest.py            (--help for options; exit code is always 0)
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLE_EVERY = 100_000
MODES = ["curate-stream", "curate-ingest", "naive-pandas", "naive-datasets"]

PRODUCTS = ["router", "laptop", "smart watch", "printer", "subscription", "mobile app", "headset", "account"]
ISSUES = ["keeps disconnecting", "will not turn on", "shows an error code", "charges me twice",
          "stopped syncing", "runs very slowly", "lost all my settings", "cannot log in"]
OPENERS = ["Hi there,", "Hello,", "Good morning,", "Hey,", "Hi support team,", "Excuse me,"]
SINCE = ["since yesterday", "after the last update", "for about a week", "since I moved house",
         "every few hours", "only in the evenings"]
TRIED = ["restarting it", "a factory reset", "reinstalling the app", "changing the cable",
         "clearing the cache", "logging out and back in", "updating the firmware"]
STEPS = ["open the settings menu", "hold the power button for ten seconds", "check the status light",
         "sign in on the web portal", "unplug it for thirty seconds", "install the latest version",
         "select the billing tab", "turn off battery saver", "forget the network and reconnect"]
CLOSERS = ["Let me know if that helps.", "I am happy to look into it further.",
           "Thanks for your patience while we sort this out.", "Is there anything else I can do?"]
SYSTEMS = ["You are a friendly customer support assistant.", "You help customers troubleshoot devices.",
           "You are a concise, polite support agent for an electronics store."]


def user_turn(r: random.Random) -> str:
    p = r.choice(PRODUCTS)
    parts = [r.choice(OPENERS), f"my {p} {r.choice(ISSUES)} {r.choice(SINCE)}.",
             "I already tried {} and {}, but nothing changed.".format(*r.sample(TRIED, 2)),
             f"My order number is {r.randint(10000, 99999)} and I bought the {p} {r.randint(2, 30)} days ago.",
             r.choice(["Could you help me?", "What should I do next?", "Is this a known problem?"])]
    return " ".join(parts)


def assistant_turn(r: random.Random) -> str:
    steps = r.sample(STEPS, r.randint(3, 5))
    text = [r.choice(["Sorry to hear that.", "Thanks for reaching out.", "I understand how frustrating that is."]),
            "Please try the following steps:"]
    text += [f"{i}. {r.choice(['First,', 'Then', 'Next,', 'After that,'])} {s}." for i, s in enumerate(steps, 1)]
    text.append(f"If the problem comes back, reply with error code E{r.randint(100, 999)} "
                f"and we will {r.choice(['send a replacement', 'escalate the ticket', 'issue a refund'])}.")
    return " ".join(text + [r.choice(CLOSERS)])


def chat_line(r: random.Random) -> str:
    msgs = [{"role": "system", "content": r.choice(SYSTEMS)},
            {"role": "user", "content": user_turn(r)}, {"role": "assistant", "content": assistant_turn(r)}]
    if r.random() < 0.4:
        msgs += [{"role": "user", "content": f"I tried that, but it still {r.choice(ISSUES)}. {r.choice(OPENERS)[:-1]}?"},
                 {"role": "assistant", "content": assistant_turn(r)}]
    return json.dumps({"messages": msgs}) + "\n"


def generate(path: Path, *, records: int | None = None, size: int | None = None) -> Path:
    """Write the file unless an earlier complete one (written via a rename) is already there."""
    if path.exists() and (size is not None or sum(1 for _ in path.open("rb")) == records):
        return path
    print(f"generating {path} ...", flush=True)
    r, tmp, n, written = random.Random(0), path.with_suffix(".tmp"), 0, 0
    with tmp.open("w", encoding="utf-8") as f:
        while (records is not None and n < records) or (size is not None and written < size):
            line = chat_line(r)
            f.write(line)
            n, written = n + 1, written + len(line)
    tmp.rename(path)
    return path


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(mode: str, path: Path) -> dict:
    """Runs in the child process: load `path` one way and return the numbers as a dict."""
    from curate.config import Config  # imports happen before the clock starts
    from curate.stages.ingest.folder import ingest, iter_ingest
    from curate.records import Record
    if mode == "naive-pandas":
        import pandas
    elif mode == "naive-datasets":
        import datasets
        datasets.disable_progress_bars()
    samples: list[float] = []
    start = time.perf_counter()
    if mode == "curate-stream":
        n = 0
        for out in iter_ingest(path, Config()):
            if isinstance(out, Record):
                n += 1
                if n % SAMPLE_EVERY == 0:
                    samples.append(rss_mb())
    elif mode == "curate-ingest":
        n = len(ingest(path, Config(), progress=False).kept)
    elif mode == "naive-pandas":
        n = len(pandas.read_json(path, lines=True))
    else:
        with tempfile.TemporaryDirectory() as cache:
            n = len(datasets.load_dataset("json", data_files=str(path), cache_dir=cache, split="train"))
    secs = time.perf_counter() - start
    return {"mode": mode, "file": path.name, "records": n, "secs": secs,
            "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "first": samples[0] if samples else None, "last": samples[-1] if samples else None,
            "max": max(samples) if samples else None}


def run_child(mode: str, path: Path) -> dict:
    print(f"measuring {mode} on {path.name} ...", flush=True)
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, __file__, "--measure", mode, str(path)],
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        print(f"  {mode} failed (exit {proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}")
        return {"mode": mode, "file": path.name, "failed": True}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(rows: list[dict], big_name: str | None) -> None:
    fmt = "{:<15} {:<22} {:>9} {:>8} {:>10} {:>9} {:>18}"
    print("\n" + fmt.format("mode", "file", "records", "seconds", "records/s", "peak MB", "RSS first/last/max"))
    for row in rows:
        if row.get("failed"):
            print(fmt.format(row["mode"], row["file"], "-", "-", "-", "-", "FAILED"))
            continue
        rss = "-" if row["first"] is None else f"{row['first']:.0f}/{row['last']:.0f}/{row['max']:.0f}"
        print(fmt.format(row["mode"], row["file"], row["records"], f"{row['secs']:.1f}",
                         f"{row['records'] / row['secs']:,.0f}", f"{row['peak']:.0f}", rss))
    small = {r["mode"]: r for r in rows if r["file"] != big_name and not r.get("failed")}
    print()
    if "curate-stream" in small:
        s = small["curate-stream"]
        for other in MODES[1:]:
            if other in small:
                o = small[other]
                print(f"records/s curate-stream / {other:<15} = {(s['records'] / s['secs']) / (o['records'] / o['secs']):.2f}"
                      f"   peak RSS {other} / curate-stream = {o['peak'] / s['peak']:.1f}")
    big = next((r for r in rows if r["file"] == big_name and not r.get("failed")), None)
    if big_name is not None:
        ok = big is not None and big["peak"] < 500
        peak = f"{big['peak']:.0f} MB" if big else "n/a (failed)"
        print(f"big-file streaming peak RSS {peak} < 500 MB: {'PASS' if ok else 'FAIL'}")


def main() -> None:
    ap = argparse.ArgumentParser(description="Benchmark curate's streaming JSONL ingest against pandas and "
                                 "datasets; each case runs in a fresh child process (see module docstring).")
    ap.add_argument("--work", type=Path, default=Path(__file__).parent / ".work",
                    help="folder for the generated JSONL files (default: benchmarks/.work)")
    ap.add_argument("--records", type=int, default=200_000, help="records in the small file (default 200000)")
    ap.add_argument("--big-gb", type=float, default=1.0, help="size of the big file in GB (default 1.0)")
    ap.add_argument("--skip-big", action="store_true", help="skip the big-file streaming case")
    ap.add_argument("--measure", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    small = generate(args.work / f"chat_{args.records}.jsonl", records=args.records)
    rows = [run_child(mode, small) for mode in MODES]
    big = None
    if not args.skip_big:
        big = generate(args.work / f"chat_{args.big_gb:g}gb.jsonl", size=int(args.big_gb * 1e9))
        rows.append(run_child("curate-stream", big))
    report(rows, big.name if big else None)


if __name__ == "__main__":
    main()

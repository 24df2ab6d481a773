"""Labelled duplicate benchmark: curate's dedup decisions against the anchors, per kind of pair.

What is built (fixed seeds, no network; `--split calib` and `--split test` use disjoint base texts)
  Base texts, read in place: ../shared/data/llamafactory-demo (alpaca_en_demo, dpo_en_demo, identity),
  ../shared/data/oasst-trees/en_100_tree.jsonl, ../shared/data/alpaca-cleaned-gpteacher (Toolformer set), and the
  excerpts under benchmarks/data/dedup/ (BANKING77 intents, MRPC paraphrase pairs; SOURCE.md there). Bases are
  kept unique by normalised prompt and answer, and a base whose defining part (instruction, task line, intent
  text, templated answer) shares half its character 4-grams with an earlier base of its source is skipped, so
  natural near-duplicates of the sources do not become unlabelled pairs (the test is the benchmark's own, not
  curate's). Remaining natural near-duplicates still count as "lost" for every method alike.
  Duplicate pairs (should merge), by kind of edit:
    format     whitespace / case / typographic quotes / HTML escaping / mojibake / role tags / Alpaca template
    light      1-3 word edits (typo, dropped, doubled or inserted word)
    sentence   one sentence dropped, added or swapped with its neighbour (answers of 3+ sentences)
    paraphrase MRPC pairs labelled paraphrase (news sentences)
    template   identity.json answers with other {{name}} / {{author}} slot values
  Hard non-duplicates (should stay apart):
    same_prompt     dpo chosen vs rejected, oasst sibling replies: one prompt, two answers (pairs whose two
                    answers share half their character 4-grams are left out: those answers are duplicates)
    boilerplate     Toolformer records sharing a tool header; answers sharing a support signature + system prompt
    same_topic      MRPC pairs labelled non-paraphrase
    negation        a prompt or intent text and its negation ("can" -> "can't", "is" -> "isn't")
    same_label      two BANKING77 texts of one intent (an intent set's paraphrases are its point)
    label_conflict  one BANKING77 text under two intents (must be reported, not merged)
  Singletons (unpaired bases) make up the rest; any merge that involves them counts as a record lost.
Measured, in one process on the same records
  curate     exact_dedup -> near_dedup -> semantic_dedup with the default Config (or --set overrides)
  anchors    datasketch defaults (word-unigram sets, MinHashLSH threshold 0.9, 128 perms, no verification);
             text-dedup's MinHash settings (lower-cased non-alphanumeric split, 5-grams, min_length 5, 256 perms,
             threshold 0.7) without and with its Jaccard check; SemDeDup alone (MiniLM, eps 0.10, k-means sqrt(n/2));
             the anchors see the raw user + assistant text, as tools do.
  Printed: per kind, the share of pairs merged (recall for duplicate kinds, false-merge rate for the others),
  pairwise precision / recall / F1 over all labelled pairs, and records lost: removed records whose kept
  representative is not one of their labelled equivalents.
Calibration: curate's thresholds and rules are chosen on --split calib only (one setting at a time around the
  defaults, --calibrate); --split test is held out and only reported. The chosen values and the sweep figures are in
  the config field descriptions (curate/stages/near/config.py, curate/stages/semantic/config.py).
Run:  .venv/bin/python benchmarks/dedup_eval.py [--split test] [--set near_dedup.threshold=0.7 ...]
      .venv/bin/python benchmarks/dedup_eval.py --split calib --calibrate    (threshold sweeps, curate only)
First run embeds ~4k texts with MiniLM (a few minutes on 2 cores), later runs read the embedding cache.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import math
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT / "benchmarks" / "data" / "dedup"
SHARED = ROOT.parent / "shared" / "data"
DUP_KINDS = ("format", "light", "sentence", "paraphrase", "template")
NON_KINDS = ("same_prompt", "boilerplate", "same_topic", "negation", "same_label", "label_conflict")
SHORT_WORDS = 20


@dataclass
class Item:
    kind: str  # instruction | chat | classification | text
    source: str
    group: int
    prompt: str = ""
    answer: str = ""
    text: str = ""
    label: str | None = None
    system: str | None = None

    def fields(self) -> list[str]:
        return ["prompt", "answer"] if self.kind in ("instruction", "chat") else ["text"]


def _split_of(key: str) -> str:
    return ("calib", "test")[hashlib.md5(key.encode()).digest()[0] % 2]


def _key(s: str) -> str:
    return " ".join(re.findall(r"\w+", s.lower()))


def _grams(s: str) -> set[str]:
    k = _key(s)
    return {k[i:i + 4] for i in range(max(1, len(k) - 3))}


def _close(a: set[str], b: set[str]) -> bool:
    """The benchmark's own, method-independent test for 'already near-identical' (character 4-gram Jaccard >= 0.5)."""
    return len(a & b) >= 0.5 * len(a | b)


# ---------------------------------------------------------------- edits
_SLOPPY = {b: (bytes([b]).decode("cp1252", errors="ignore") or chr(b)) for b in range(256)}


def mojibake(s: str) -> str:
    s = s.replace("'", "\u2019").replace(" - ", " \u2014 ")
    return "".join(_SLOPPY[b] for b in s.encode("utf-8"))


def curly(s: str) -> str:
    s = re.sub(r'"([^"]*)"', "\u201c\\1\u201d", s)
    return s.replace("'", "\u2019").replace(" - ", " \u2013 ")


def spaces(s: str, rng: random.Random) -> str:
    parts = s.split(" ")
    out = parts[0]
    for p in parts[1:]:
        out += rng.choice([" ", " ", "  ", "\u00a0", " \n"]) + p
    return out


def html_escape(s: str) -> str:
    return html.escape(s, quote=True)


STRING_FORMATS = {"whitespace": spaces, "lower": lambda s, r: s.lower(), "upper": lambda s, r: s.upper(),
                  "quotes": lambda s, r: curly(s), "html": lambda s, r: html_escape(s),
                  "mojibake": lambda s, r: mojibake(s)}
ALPACA = ("Below is an instruction that describes a task. Write a response that appropriately completes the "
          "request.\n\n### Instruction:\n{p}\n\n### Response:")


def format_copy(it: Item, rng: random.Random) -> Item | None:
    ops = list(STRING_FORMATS) + (["roles", "chatml", "alpaca"] if it.kind in ("instruction", "chat") else [])
    for _ in range(6):
        chosen = rng.sample(ops, rng.choice([1, 1, 2]))
        new = Item(**{**it.__dict__})
        for op in chosen:
            if op == "roles":
                new.prompt, new.answer = f"User: {new.prompt}", f"Assistant: {new.answer}"
            elif op == "chatml":
                new.prompt = f"<|im_start|>user\n{new.prompt}<|im_end|>"
                new.answer = f"<|im_start|>assistant\n{new.answer}<|im_end|>"
            elif op == "alpaca":
                new.prompt = ALPACA.format(p=new.prompt)
            else:
                for f in new.fields():
                    setattr(new, f, STRING_FORMATS[op](getattr(new, f), rng))
        if any(" ".join(getattr(new, f).split()) != " ".join(getattr(it, f).split()) for f in it.fields()):
            return new
    return None


FILLERS = ["really", "just", "please", "also", "the", "very", "now"]


def light_words(s: str, rng: random.Random, n: int) -> str:
    words = s.split(" ")
    for _ in range(n):
        k = rng.randrange(len(words))
        op = rng.choice(["typo", "drop", "double", "insert"]) if len(words) > 3 else "typo"
        w = words[k]
        if re.search(r"n't|\b(?:not|no|never)\b", w, re.I):  # an edit that flips a negation is no light edit
            continue
        if op == "typo" and len(w) >= 4:
            c = rng.randrange(1, len(w) - 2)
            words[k] = w[:c] + w[c + 1] + w[c] + w[c + 2:]
        elif op == "drop":
            del words[k]
        elif op == "double":
            words.insert(k, w)
        else:
            words.insert(k, rng.choice(FILLERS))
    return " ".join(words)


def light_copy(it: Item, rng: random.Random) -> Item:
    new = Item(**{**it.__dict__})
    fields = it.fields()
    f = rng.choice(fields) if len(fields) == 1 or rng.random() < 0.5 else "answer"
    s = getattr(new, f)
    setattr(new, f, light_words(s, rng, 1 if len(s.split()) < 40 else rng.randint(1, 3)))
    return new


_SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
CLOSERS = ["I hope this helps!", "Let me know if you have any other questions.", "Good luck!"]


def sentence_copy(it: Item, rng: random.Random) -> Item | None:
    sents = _SENT.split(it.answer)
    if len(sents) < 3:
        return None
    op = rng.choice(["drop", "add", "swap"])
    if op == "drop":
        del sents[rng.randrange(1, len(sents))]
    elif op == "add":
        sents.append(rng.choice(CLOSERS))
    else:
        k = rng.randrange(len(sents) - 1)
        sents[k], sents[k + 1] = sents[k + 1], sents[k]
    return Item(**{**it.__dict__, "answer": " ".join(sents)})


_FLIP = [(r"\bcan\b(?!['\u2019]t|not)", "can't"), (r"\bis\b(?!n't| not)", "isn't"), (r"\bwill\b(?! not)", "won't"),
         (r"\bdo\b(?!n't| not)", "don't"), (r"\bdoes\b(?!n't| not)", "doesn't"), (r"\bshould\b(?!n't| not)", "shouldn't"),
         (r"\bare\b(?!n't| not)", "aren't")]


def negate(s: str) -> str | None:
    for pat, rep in _FLIP:
        if re.search(pat, s):
            return re.sub(pat, rep, s, count=1)
    return None


SIGNATURE = ("\n\n--\nBest regards,\nThe Northwind Customer Care Team\nThis message and any attachments are confidential "
             "and intended solely for the addressee. If you received it in error, please notify us and delete it; "
             "do not copy, forward or disclose its contents. Northwind Ltd, registered in England and Wales.")
SYSTEM = ("You are Northwind's support assistant. Answer politely and precisely, cite the help-centre article when "
          "one exists, never promise refunds, and escalate legal questions to a human agent.")
NAMES = [("Aria", "Northwind Labs"), ("Nova", "Globex"), ("Sage", "Initech"), ("Orion", "Umbrella AI"),
         ("Lumen", "Acme Research"), ("Echo", "Hooli")]


# ---------------------------------------------------------------- building
class Bench:
    def __init__(self, split: str, seed: int):
        self.split, self.rng = split, random.Random(seed)
        self.items: list[Item] = []
        self.pairs: list[tuple[int, int, str]] = []
        self._groups = 0
        self._seen: set[str] = set()
        self._near: dict[str, list[set[str]]] = defaultdict(list)

    def fresh(self, *texts: str, near: str | None = None, source: str = "") -> bool:
        """A base is used once in a split, never in the other split, never twice by normalised text, and (near:
        the part that defines it) never when it is near-identical to an earlier base of its source: natural
        near-duplicates in the sources would be unlabelled pairs."""
        keys = [_key(t) for t in texts if t]
        if not keys or any(k in self._seen for k in keys) or _split_of(keys[0]) != self.split:
            return False
        if near is not None:
            g = _grams(near)
            if any(_close(g, h) for h in self._near[source]):
                return False
            self._near[source].append(g)
        self._seen.update(keys)
        return True

    def add(self, it: Item) -> int:
        self.items.append(it)
        return len(self.items) - 1

    def base(self, **kw) -> int:
        self._groups += 1
        return self.add(Item(group=self._groups, **kw))

    def variant(self, a: int, new: Item | None, kind: str) -> None:
        if new is not None:
            self.pairs.append((a, self.add(new), kind))

    def pair(self, a: int, b: int, kind: str) -> None:
        self.pairs.append((a, b, kind))


def _load_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def build(split: str, seed: int = 0, shared: Path = SHARED) -> Bench:
    b = Bench(split, seed)
    rng = b.rng
    ld = shared / "llamafactory-demo"

    # alpaca instructions: format / light / sentence copies, signature boilerplate, negated prompts, singletons
    alpaca = [r for r in _load_json(ld / "alpaca_en_demo.json") if r["output"].strip()]
    rng.shuffle(alpaca)
    plan = ["format"] * 60 + ["light"] * 50 + ["sentence"] * 90 + ["signature"] * 30 + ["negation"] * 60 + \
           ["single"] * 200
    k = 0
    for r in alpaca:
        prompt = r["instruction"] + (f"\n\n{r['input']}" if r.get("input") else "")
        if k >= len(plan) or not b.fresh(prompt, r["output"], near=r["instruction"], source="alpaca"):
            continue
        use = plan[k]
        if use == "sentence" and len(_SENT.split(r["output"])) < 3:
            use = "single"
        k += 1
        if use == "negation":
            if (neg := negate(r["instruction"])) is None:
                use = "single"
            else:
                a = b.base(kind="text", source="alpaca_en_demo.json", text=r["instruction"])
                b.pair(a, b.base(kind="text", source="alpaca_en_demo.json", text=neg), "negation")
                continue
        if use == "signature":
            a = b.base(kind="chat", source="alpaca_en_demo.json", prompt=prompt, answer=r["output"] + SIGNATURE,
                       system=SYSTEM)
            continue
        a = b.base(kind="instruction", source="alpaca_en_demo.json", prompt=prompt, answer=r["output"])
        it = b.items[a]
        if use == "format":
            b.variant(a, format_copy(it, rng), "format")
        elif use == "light":
            b.variant(a, light_copy(it, rng), "light")
        elif use == "sentence":
            b.variant(a, sentence_copy(it, rng), "sentence")
    sig = [i for i, it in enumerate(b.items) if it.system == SYSTEM]
    for x, y in zip(sig[::2], sig[1::2]):
        b.pair(x, y, "boilerplate")

    # dpo: one prompt, chosen vs rejected; some chosen get a format copy
    dpo = [r for r in _load_json(ld / "dpo_en_demo.json") if len(r["conversations"]) == 1]
    n = 0
    for r in dpo:
        p, c, j = r["conversations"][0]["value"], r["chosen"]["value"], r["rejected"]["value"]
        if n >= 55 or _close(_grams(c), _grams(j)) or not b.fresh(p, c, j, near=p, source="dpo"):
            continue
        n += 1
        a = b.base(kind="instruction", source="dpo_en_demo.json", prompt=p, answer=c)
        b.pair(a, b.base(kind="instruction", source="dpo_en_demo.json", prompt=p, answer=j), "same_prompt")
        if n % 3 == 0:
            b.variant(a, format_copy(b.items[a], rng), "format")

    # oasst: sibling replies to one prompt; every other first reply gets a sentence edit
    for line in (shared / "oasst-trees" / "en_100_tree.jsonl").read_text(encoding="utf-8").splitlines():
        t = json.loads(line)["prompt"]
        replies = [x["text"] for x in t["replies"] if x["role"] == "assistant" and x["text"].strip()]
        if len(replies) < 2 or _close(_grams(replies[0]), _grams(replies[1])) or \
                not b.fresh(t["text"], *replies[:2], near=t["text"], source="oasst"):
            continue
        a = b.base(kind="chat", source="oasst en_100_tree.jsonl", prompt=t["text"], answer=replies[0])
        b.pair(a, b.base(kind="chat", source="oasst en_100_tree.jsonl", prompt=t["text"], answer=replies[1]),
               "same_prompt")
        if len(b.items) % 2 == 0:
            b.variant(a, sentence_copy(b.items[a], rng), "sentence")

    # identity: the same templated answer with other slot values
    for r in _load_json(ld / "identity.json"):
        out = r["output"].replace("{{", "").replace("}}", "")
        if "{{name}}" not in r["output"] or not b.fresh(r["instruction"], out, near=out, source="identity"):
            continue
        (n1, a1), (n2, a2) = rng.sample(NAMES, 2)
        fill = lambda s, n_, a_: s.replace("{{name}}", n_).replace("{{author}}", a_)  # noqa: E731
        a = b.base(kind="instruction", source="identity.json", prompt=r["instruction"], answer=fill(r["output"], n1, a1))
        b.variant(a, Item(**{**b.items[a].__dict__, "answer": fill(r["output"], n2, a2)}), "template")

    # toolformer: records sharing a tool header (boilerplate); a few format / light copies
    tool = _load_json(shared / "alpaca-cleaned-gpteacher" / "toolformer-dedupe-only-dataset.json")
    by_tool: dict[str, list[int]] = defaultdict(list)
    tasks_seen: set[str] = set()
    m = 0
    for r in tool:
        lines = r["instruction"].splitlines()
        task = _key(lines[-1])
        if m >= 130 or len(lines) < 3 or task in tasks_seen or not b.fresh(
                r["instruction"] + " " + r["input"], r["output"], near=f"{lines[-1]} {r['input']}", source="toolformer"):
            continue
        tasks_seen.add(task)
        m += 1
        a = b.base(kind="instruction", source="toolformer-dedupe-only-dataset.json",
                   prompt=r["instruction"] + (f"\n\n{r['input']}" if r["input"] else ""), answer=r["output"])
        by_tool[lines[1]].append(a)
        if m % 9 == 0:
            b.variant(a, format_copy(b.items[a], rng), "format")
        elif m % 9 == 4:
            b.variant(a, light_copy(b.items[a], rng), "light")
    for members in by_tool.values():
        for x, y in zip(members[::2], members[1::2]):
            b.pair(x, y, "boilerplate")

    # BANKING77: format / light copies, same-intent pairs, label conflicts, negations, singletons
    with (DATA / "banking77_test_first20_per_intent.csv").open(newline="", encoding="utf-8") as f:
        bank = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    rng.shuffle(bank)
    labels = sorted({lab for _, lab in bank})
    plan = ["format"] * 45 + ["light"] * 45 + ["same_label"] * 150 + ["label_conflict"] * 15 + ["negation"] * 60 + \
           ["single"] * 150
    k, waiting = 0, {}
    for text, lab in bank:
        if k >= len(plan) or not b.fresh(text, near=text, source="banking77"):
            continue
        use = plan[k]
        k += 1
        neg = negate(text) if use == "negation" else None
        a = b.base(kind="classification", source="banking77 test.csv", text=text, label=lab)
        it = b.items[a]
        if use == "format":
            b.variant(a, format_copy(it, rng), "format")
        elif use == "light":
            b.variant(a, light_copy(it, rng), "light")
        elif use == "same_label":
            if lab in waiting:
                b.pair(waiting.pop(lab), a, "same_label")
            else:
                waiting[lab] = a
        elif use == "label_conflict":
            other = rng.choice([x for x in labels if x != lab])
            b.pair(a, b.base(kind="classification", source="banking77 test.csv", text=text, label=other), "label_conflict")
        elif neg is not None:
            b.pair(a, b.base(kind="classification", source="banking77 test.csv", text=neg, label=lab), "negation")

    # MRPC: paraphrase pairs (duplicates) and same-topic pairs (not)
    with (DATA / "msr_paraphrase_train_first600.tsv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]
    counts = Counter()
    for q, _, _, s1, s2 in rows:
        kind = "paraphrase" if q == "1" else "same_topic"
        if counts[kind] >= 60 or not b.fresh(s1, s2):
            continue
        counts[kind] += 1
        a = b.base(kind="text", source="msr_paraphrase_train.txt", text=s1)
        if kind == "paraphrase":
            b.variant(a, Item(**{**b.items[a].__dict__, "text": s2}), "paraphrase")
        else:
            b.pair(a, b.base(kind="text", source="msr_paraphrase_train.txt", text=s2), "same_topic")
    unique(b)
    return b


def unique(b: Bench) -> None:
    """Drop items whose content id repeats an earlier one (an edit that changed nothing the id sees)."""
    records, seen, keep = to_records(b.items), set(), []
    for i, r in enumerate(records):
        if r.id not in seen:
            seen.add(r.id)
            keep.append(i)
    new = {old: k for k, old in enumerate(keep)}
    b.items = [b.items[i] for i in keep]
    b.pairs = [(new[i], new[j], k) for i, j, k in b.pairs if i in new and j in new]


def to_records(items: list[Item]):
    from curate.records import Message, Provenance, Record
    out = []
    for i, it in enumerate(items):
        prov = Provenance(source=it.source, locator=f"item {i}", sha256="0" * 64)
        if it.kind in ("instruction", "chat"):
            msgs = ([Message(role="system", content=it.system)] if it.system else []) + [
                Message(role="user", content=it.prompt), Message(role="assistant", content=it.answer)]
            out.append(Record(kind=it.kind, messages=msgs, provenance=prov).with_id())
        else:
            out.append(Record(kind=it.kind, text=it.text, label=it.label, provenance=prov).with_id())
    return out


def raw_text(it: Item) -> str:
    """What a tool without curate's views sees: user + assistant text as exported (the old comparable text)."""
    return f"{it.prompt}\n{it.answer}" if it.kind in ("instruction", "chat") else it.text


# ---------------------------------------------------------------- methods: each returns rep[i] (kept record of i)
class UF:
    def __init__(self, n: int):
        self.p = list(range(n))

    def find(self, i: int) -> int:
        while self.p[i] != i:
            self.p[i] = self.p[self.p[i]]
            i = self.p[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def reps_from_pairs(n: int, pairs) -> list[int]:
    uf = UF(n)
    for i, j in pairs:
        uf.union(i, j)
    return [uf.find(i) for i in range(n)]  # the smallest index of a cluster is kept


def run_curate(records, cfg) -> tuple[list[int], dict]:
    from curate.stages.exact.dedup import dedup_exact
    from curate.stages.near.minhash import dedup_near
    from curate.stages.semantic.dedup import dedup_semantic
    index = {r.id: i for i, r in enumerate(records)}
    parent = list(range(len(records)))
    kept, stats = records, {}
    for name, fn, sec in (("exact_dedup", dedup_exact, cfg.dedup), ("near_dedup", dedup_near, cfg.near_dedup),
                          ("semantic_dedup", dedup_semantic, cfg.semantic_dedup)):
        if not getattr(sec, "enabled", True):
            continue
        res = fn(kept, sec)
        for rej in res.rejected:
            parent[index[rej.id]] = index[rej.duplicate_of]
        kept, stats[name] = res.kept, res.stats

    def final(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i
    return [final(i) for i in range(len(records))], stats


def run_datasketch_defaults(texts: list[str]) -> list[int]:
    from datasketch import MinHash, MinHashLSH
    lsh, pairs = MinHashLSH(), []  # threshold 0.9, 128 permutations
    sets = [{w.encode() for w in t.lower().split()} for t in texts]
    for i, m in enumerate(MinHash.bulk([list(s) for s in sets], num_perm=128)):
        pairs += [(j, i) for j in lsh.query(m)]
        lsh.insert(i, m)
    return reps_from_pairs(len(texts), pairs)


_NON_ALPHA = re.compile(r"[^A-Za-z_0-9]")


def run_text_dedup(texts: list[str], check: bool) -> list[int]:
    from datasketch import MinHash, MinHashLSH
    def grams(t: str) -> set[bytes]:
        toks = _NON_ALPHA.split(t.lower())
        if len(toks) < 5:  # min_length 5: too short to sign, never a duplicate
            return set()
        return {" ".join(toks[k:k + 5]).encode() for k in range(len(toks) - 4)}
    sets = [grams(t) for t in texts]
    lsh, pairs = MinHashLSH(threshold=0.7, num_perm=256), []
    live = [i for i, s in enumerate(sets) if s]
    for i, m in zip(live, MinHash.bulk([list(sets[i]) for i in live], num_perm=256)):
        for j in lsh.query(m):
            if not check or len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= 0.7:
                pairs.append((j, i))
        lsh.insert(i, m)
    return reps_from_pairs(len(texts), pairs)


def run_semdedup(texts: list[str], eps: float = 0.10) -> list[int]:
    import numpy as np
    from curate.stages.semantic.dedup import kmeans_labels
    from curate.embeddings import embed
    vecs, _ = embed(texts, model="minilm")  # the anchor is SemDeDup with a transformer, as published
    labels = kmeans_labels(vecs, max(1, round(math.sqrt(len(texts) / 2))), 0)
    rep = list(range(len(texts)))
    for c in np.unique(labels):
        members = [int(m) for m in np.flatnonzero(labels == c)]
        sims = vecs[members] @ vecs[members].T
        kept: list[int] = []
        for pos, m in enumerate(members):
            if kept:
                q = max(kept, key=lambda q: sims[pos, q])
                if sims[pos, q] >= 1 - eps:
                    rep[m] = members[q]
                    continue
            kept.append(pos)
    return rep


# ---------------------------------------------------------------- scoring
def score(b: Bench, rep: list[int]) -> dict:
    items = b.items
    merged = lambda i, j: rep[i] == rep[j]  # noqa: E731
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # merged, total, short merged, short total
    tp = fp = fn = 0
    for i, j, kind in b.pairs:
        m = merged(i, j)
        short = max(len(raw_text(items[i]).split()), len(raw_text(items[j]).split())) < SHORT_WORDS
        c = per[kind]
        c[0] += m
        c[1] += 1
        c[2] += m and short
        c[3] += short
        if kind in DUP_KINDS:
            tp, fn = tp + m, fn + (not m)
        else:
            fp += m
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    removed = [i for i in range(len(items)) if rep[i] != i]
    lost = [i for i in removed if items[rep[i]].group != items[i].group]
    return {"per": dict(per), "p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "removed": len(removed),
            "lost": len(lost), "lost_share": len(lost) / len(items)}


def print_table(b: Bench, results: list[tuple[str, dict, float]]) -> None:
    kinds = [k for k in DUP_KINDS + NON_KINDS if any(k in r["per"] for _, r, _ in results)]
    n = {k: results[0][1]["per"][k][1] for k in kinds}
    print(f"\n{len(b.items):,} records, {len(b.pairs):,} labelled pairs; cells: % of pairs merged "
          "(duplicate kinds: recall, higher is better; others: false merges, lower is better)")
    head = ["method"] + [f"{k}({n[k]})" for k in kinds] + ["P", "R", "F1", "removed", "lost", "lost %", "secs"]
    widths = [30] + [max(9, len(h)) for h in head[1:]]
    print(" ".join(h.rjust(w) if c else h.ljust(w) for c, (h, w) in enumerate(zip(head, widths))))
    for name, r, secs in results:
        cells = [name] + [f"{100 * r['per'][k][0] / r['per'][k][1]:.1f}" for k in kinds] + [
            f"{r['p']:.3f}", f"{r['r']:.3f}", f"{r['f1']:.3f}", f"{r['removed']:,}", f"{r['lost']:,}",
            f"{100 * r['lost_share']:.2f}", f"{secs:.1f}"]
        print(" ".join(c.rjust(w) if k else c.ljust(w) for k, (c, w) in enumerate(zip(cells, widths))))


def short_long(r: dict) -> str:
    out = []
    for k, (m, t, sm, st) in r["per"].items():
        if st and t - st:
            out.append(f"{k} short {100 * sm / st:.0f}% ({st}) long {100 * (m - sm) / (t - st):.0f}% ({t - st})")
    return "; ".join(out)


def config_with(sets: list[str]):
    from curate.config import Config
    data: dict = {}
    for s in sets:
        key, val = s.split("=", 1)
        sec, field = key.split(".", 1)
        data.setdefault(sec, {})[field] = json.loads(val) if val[:1] in "0123456789-[{tf" else val
    return Config.model_validate(data)


CALIBRATION = {  # one parameter at a time around the defaults
    "near_dedup.threshold": [0.5, 0.6, 0.7, 0.8, 0.9],
    "near_dedup.short_threshold": [0.5, 0.6, 0.7, 0.8, 0.9],
    "near_dedup.short_words": [0, 10, 20, 30, 40, 60],
    "near_dedup.answer_threshold": [0.3, 0.5, 0.6, 0.7, 0.8],
    "near_dedup.short_edit_ratio": [0, 0.8, 0.85, 0.9],
    "near_dedup.boilerplate_min_records": [3, 5, 10, 20],
    "near_dedup.template_names": ["false", "true"],
    "near_dedup.numbers": ["false", "true"],
    "semantic_dedup.eps": [0.05, 0.08, 0.1, 0.12, 0.15],
    "semantic_dedup.short_eps": [0.04, 0.06, 0.08, 0.1, 0.12],
    "semantic_dedup.short_words": [0, 10, 20, 40],
    "semantic_dedup.answer_threshold": [0.3, 0.5, 0.7],
    "semantic_dedup.numbers": ["false", "true"],
}


def main() -> None:
    ap = argparse.ArgumentParser(description="Labelled near-duplicate benchmark: curate vs anchors (module docstring).")
    ap.add_argument("--split", choices=["calib", "test"], default="test", help="which half of the base texts")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shared", type=Path, default=SHARED, help=f"shared data folder (default {SHARED})")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION.FIELD=VALUE", help="curate config override")
    ap.add_argument("--no-anchors", action="store_true")
    ap.add_argument("--calibrate", action="store_true", help="sweep curate's thresholds (CALIBRATION) instead")
    ap.add_argument("--dump", type=Path, help="write the built records and pairs as JSONL here")
    args = ap.parse_args()
    if not (args.shared / "llamafactory-demo").is_dir():
        print(f"{args.shared} not found: the benchmark needs ../shared/data; nothing measured")
        return
    t0 = time.perf_counter()
    b = build(args.split, args.seed, args.shared)
    records = to_records(b.items)
    ids = Counter(r.id for r in records)
    assert all(v == 1 for v in ids.values()), "two benchmark records share a content id"
    if args.dump:
        with args.dump.open("w", encoding="utf-8") as f:
            for it, r in zip(b.items, records):
                f.write(json.dumps({"group": it.group, **r.model_dump(exclude_none=True)}, ensure_ascii=False) + "\n")
            for i, j, k in b.pairs:
                f.write(json.dumps({"pair": [i, j], "kind": k}) + "\n")
    by_kind = Counter(k for _, _, k in b.pairs)
    print(f"split {args.split}: {len(records):,} records ({dict(Counter(it.kind for it in b.items))}); pairs "
          + ", ".join(f"{k} {by_kind[k]}" for k in DUP_KINDS + NON_KINDS if by_kind[k]))
    results = []
    if args.calibrate:
        base = args.set
        for key, values in CALIBRATION.items():
            for v in values:
                start = time.perf_counter()
                rep, _ = run_curate(records, config_with(base + [f"{key}={v}"]))
                results.append((f"{key.split('.', 1)[1]}={v}"[:30], score(b, rep), time.perf_counter() - start))
        print_table(b, results)
        return
    start = time.perf_counter()
    rep, stats = run_curate(records, config_with(args.set))
    results.append(("curate (defaults" + (" + --set" if args.set else "") + ")", score(b, rep), time.perf_counter() - start))
    texts = [raw_text(it) for it in b.items]
    if not args.no_anchors:
        for name, fn in (("datasketch defaults", run_datasketch_defaults),
                         ("text-dedup (no Jaccard check)", lambda t: run_text_dedup(t, False)),
                         ("text-dedup + Jaccard check", lambda t: run_text_dedup(t, True)),
                         ("SemDeDup alone (eps 0.10)", run_semdedup)):
            start = time.perf_counter()
            results.append((name, score(b, fn(texts)), time.perf_counter() - start))
    print_table(b, results)
    print("\ncurate by length (pairs whose longer text has < 20 words = short): " + short_long(results[0][1]))
    sd = stats.get("semantic_dedup", {})
    print(f"curate: label conflicts reported {sd.get('label_conflicts', 0)} (semantic) / "
          f"{stats.get('near_dedup', {}).get('label_conflicts', 0)} (near); same-label paraphrases kept "
          f"{sd.get('same_label_paraphrases', 0)}; kept apart near {_apart(stats.get('near_dedup', {}))} semantic "
          f"{_apart(sd)}")
    cur = results[0][1]
    fmt = cur["per"]["format"][0] / cur["per"]["format"][1]
    same = cur["per"]["same_prompt"][0] / cur["per"]["same_prompt"][1]
    best_anchor = max((r["f1"] for _, r, _ in results[1:]), default=0.0)
    checks = [("overall F1 >= 0.93", cur["f1"] >= 0.93), ("F1 above every anchor", cur["f1"] > best_anchor),
              ("format recall >= 0.99", fmt >= 0.99), ("same-prompt false merges <= 2%", same <= 0.02),
              ("records lost <= 1%", cur["lost_share"] <= 0.01)]
    print("targets: " + "; ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in checks))
    print(f"total wall time {time.perf_counter() - t0:.0f} s")


def _apart(stats: dict) -> str:
    return ",".join(f"{k.split('.', 1)[1]}={v}" for k, v in stats.items() if k.startswith("kept_apart.")) or "-"


if __name__ == "__main__":
    main()

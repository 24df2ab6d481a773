"""The scrubber: one per configuration and process, everything a process needs built once (Presidio analyzer,
language detector, operators). `process` turns a shard of records' texts into outcomes: what was found, the
replaced texts, keyed subject hashes and what the independent residual check still sees."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field


import curate.stages.pii.engine as eng
from curate.stages.pii.config import DIRECT_IDENTIFIERS, PiiConfig
from curate.stages.pii.language import LanguageDetector
from curate.stages.pii.operators import Pseudonymizer, mask, placeholder, subject_hash
from curate.stages.pii.names import common_words
from curate.stages.pii.recognizers import BirthDateRecognizer
from curate.stages.pii.residual import ResidualCheck
from curate.stages.pii.resolve import Span, allow_patterns, echo_names, resolve
from curate.stages.pii.fields import SEP, bounds

SUBJECT_TYPES = set(DIRECT_IDENTIFIERS) | {"PERSON"}

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
            # Each distinct sentence run goes through NER once per shard: canned replies and greetings repeat across
            # a helpdesk's chats (10k generated support chats: 30 % of them distinct in a shard of 200). A shard
            # is always analysed whole, so what shares a batch is fixed by the shard, whatever the cache holds.
            distinct = list(dict.fromkeys(part for _, _, part in chunks))
            docs = dict(zip(distinct, self.nlp.nlp[lang].pipe(distinct, batch_size=self.cfg.batch_size)))
            parts: dict[int, list] = defaultdict(list)
            for pos, off, part in chunks:
                parts[pos].append((off, docs[part]))
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
        for (a, b), seg in zip(bounds(texts), texts):
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


_SCRUBBERS: dict[str, Scrubber] = {}


def scrubber(cfg: PiiConfig) -> Scrubber:
    """One per configuration and process: building it loads two spaCy models (a few seconds)."""
    key = fingerprint(cfg)
    if key not in _SCRUBBERS:
        _SCRUBBERS[key] = Scrubber(cfg)
    return _SCRUBBERS[key]


def fingerprint(cfg: PiiConfig) -> str:
    return cfg.model_dump_json(exclude={"key", "n_process", "batch_size", "chunk_size", "cache"})



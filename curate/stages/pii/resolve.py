"""From Presidio's raw results to the spans that get replaced: known false positives out, thresholds and the
allow-list applied, names trimmed to the name, overlaps merged so no detected character is left behind."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from curate.stages.pii.config import PiiConfig
from curate.stages.pii.recognizers import CHECKSUM_KEY
from curate.stages.pii.names import (COMPANY, ROMAN, TITLES, UPPER, common_words, dictionary_word, german_noun,
                                     given_names, language_stop_words, last_names, more_names, name_like, place_names, role_word,
                                     stop_words)

# Overlap winner: a validated identifier beats an address, which beats a name, which beats a place or a date.
PRIORITY = {"STREET_ADDRESS": 2, "URL": 2, "PERSON": 1, "LOCATION": 0, "DATE_TIME": 0, "NRP": 0, "ORGANIZATION": 0}
DISTINCTIVE = {"IBAN_CODE", "CH_AHV", "FR_NIR", "EU_VAT", "IT_FISCAL_CODE", "ES_NIF", "ES_NIE"}  # formats that are
# rarely anything else: what is inside them is explained by them
BANK_WORDS = {"iban", "bic", "swift", "sepa", "pin", "cvv", "cvc", "tan", "rib", "bsn", "dni", "nie", "nif", "vat"}
DATE_SHAPE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}|(?:1[89]|20)\d{2}")
NOT_A_PHONE = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|\d+[.,]\d{1,2}|(?:19|20)\d{2}-\d+")  # dates, amounts, ids

_ROMAN = re.compile(ROMAN)
_INITIALS = re.compile(r"[A-Z](?:\.[A-Z])+")  # 'Annie M.G. Schmidt': initials, not shouting
_TITLE = re.compile(rf"^(?:{TITLES})\.?$", re.IGNORECASE)


@functools.cache
def all_names() -> frozenset[str]:
    return given_names() | last_names()


@dataclass
class Span:
    start: int
    end: int
    entity: str
    score: float
    ner: bool = False  # found by spaCy (as opposed to a pattern): the small models over-tag capitalised words
    checksum: bool | None = None  # the identifier's checksum: True verified, False failed, None none checked


def _trim_person(text: str, s: Span) -> Span | None:
    """'Guten Tag Frau Katrin Vogel' -> 'Katrin Vogel'; 'Sie Matthias Brandt' -> 'Matthias Brandt'; digits-only
    'PERSON' (a spaCy habit on order numbers) -> dropped."""
    words = [(m.start() + s.start, m.end() + s.start) for m in re.finditer(r"\S+", text[s.start:s.end])]
    common = common_words()
    capitalised = any(text[a].isupper() for a, _ in words)  # all lower-case ('patricia desrosiers') is kept whole

    def weak(w: tuple[int, int]) -> bool:
        token = text[w[0]:w[1]].strip(",.;:!?()\"'")
        return not token or (token.casefold() in common and not name_like(token)) or bool(_TITLE.match(token)) \
            or not any(c.isalpha() for c in token) or (capitalised and token[0].islower())
    while words and weak(words[0]):
        words.pop(0)
    while words and weak(words[-1]):
        words.pop()
    if not words:
        return None
    start, end = words[0][0], words[-1][1]
    while end > start and text[end - 1] in ",.;:!?)\"'":
        end -= 1
    value = text[start:end]
    if s.entity == "PERSON" and sum(c.isdigit() for c in value) >= sum(c.isalpha() for c in value):
        return None
    return Span(start, end, s.entity, s.score, s.ner)


NAME_PARTICLES = {"von", "van", "de", "der", "den", "di", "da", "del", "della", "dei", "degli", "du", "des", "la", "le",
                  "ten", "ter", "zu", "dos", "das", "do", "d'", "l'"}
# Languages whose NER model here is borrowed from another language (engine: de/nl use English, es/it French)
BORROWED_NER = {"de", "nl", "es", "it"}


def _split_person(text: str, s: Span, lang: str) -> list[Span]:
    """A NER 'person' span is cut into its runs of name words: lower-case words end a run ('Amadeo Bordiga e di
    Antonio Gramsci', 'catturato e messo in catene'), a particle stays only after a given name or an initial
    ('Ursula von der Leyen', not 'Nachfolgerin von Juli Minoves') or, outside German, between two words in no
    dictionary ('Rembrandt van Rijn', not 'Castello del Buonconsiglio'). German capitalises every noun, so there a one-word run from a borrowed NER model must be a
    known name that is not also a German word ('Sommer', 'Regie' are not; 'Vogel' alone is left to titles and to
    a fuller mention elsewhere in the record)."""
    words = [(m.start() + s.start, m.end() + s.start) for m in re.finditer(r"[^\s,;:()\"]+", text[s.start:s.end])]
    if len(words) < 2 and lang not in BORROWED_NER:
        return [s]  # a borrowed model's one word ('Comenzó', 'documentari') is judged below
    given, runs, run = given_names(), [], []
    own_stop, family = language_stop_words(lang), last_names()
    for i, (a, b) in enumerate(words):
        w = text[a:b].strip(".")
        nxt = text[words[i + 1][0]] if i + 1 < len(words) else ""
        if w[:1].isupper():
            run.append((a, b))
        elif w.casefold() in NAME_PARTICLES and run and nxt.isupper() and (
                text[run[-1][0]:run[-1][1]].strip(".") in given
                or len(text[run[-1][0]:run[-1][1]].strip(".")) == 1
                or text[run[-1][0]:run[-1][1]].casefold() in NAME_PARTICLES
                or (lang != "de" and not dictionary_word(text[run[-1][0]:run[-1][1]])
                    and not dictionary_word(text[words[i + 1][0]:words[i + 1][1]]))):
            run.append((a, b))
        elif not any(text[x].isupper() for x, _ in words):  # all lower-case ('naomi ryan'): known names only
            names = [text[x:y].strip(".").title() for x, y in words]
            ok = all((n in given or n in last_names()) and n.casefold() not in stop_words() for n in names)
            return [s] if ok else []
        else:
            runs.append(run)
            run = []
    runs.append(run)
    out = []
    for run in runs:
        trimmed = False
        if lang in BORROWED_NER:  # 'Die Zielratte', 'Der Kaiser': a leading article or pronoun is no evidence
            while run and text[run[0][0]:run[0][1]].casefold() in own_stop and text[run[0][0]:run[0][1]] not in \
                    given:  # but 'Sara Galli': an Italian stop word that is a given name
                run.pop(0)
        if lang == "de":  # 'Trainer Mirko Slomka', 'Bruder Oxyathres', 'US-Präsident Lyndon B. Johnson': a role
            # noun, or a German noun before a known given name, is not part of the name
            while len(run) > 1:
                first, second = text[run[0][0]:run[0][1]], text[run[1][0]:run[1][1]]
                if not (role_word(first, lang) or (_german_noun_word(first) and second in given) or (
                        not trimmed and _german_noun_word(first) and not dictionary_word(first)  # 'Fußballidol
                        and name_like(second) and not german_noun(second))):  # Eusébio': a compound before a name
                    break
                run.pop(0)
                trimmed = True
            words_in_run = [text[a:b].strip(".") for a, b in run]
            if words_in_run and not any(w in given or w in family for w in words_in_run) and all(
                    len(w) < 2 or german_noun(w) for w in words_in_run):
                continue  # 'Roten Liste', 'Saison Beginn', 'Gebäude I. Grades': nouns only, no known name
        while run and text[run[-1][0]:run[-1][1]].casefold() in NAME_PARTICLES:
            run.pop()
        if not run:
            continue
        if len(run) == 1 and lang in BORROWED_NER:
            w = text[run[0][0]:run[0][1]].strip(".")
            known = w in given or w in family or w in more_names()[0] or w in more_names()[1]
            if trimmed and not known and not german_noun(w) and name_like(w):
                pass  # 'Bruder Oxyathres': a word in no dictionary right after a German noun the model took in
            elif w.casefold() in stop_words() or (lang == "de" and (not known or dictionary_word(w))) \
                    or (not known and dictionary_word(w)) or (w.islower() and not known) \
                    or (not known and _sentence_start(text, run[0][0])):  # 'Comenzó', 'Nació': a verb up front
                continue
        out.append(Span(run[0][0], run[-1][1], s.entity, s.score, s.ner, s.checksum))
    return out


def _german_noun_word(word: str) -> bool:
    """A German noun that is no name: 'Trainer', 'US-Präsident' (not 'Vogel' or 'Roman', which are names too)."""
    w = word.strip(".")
    return len(w) > 1 and german_noun(w) and w not in given_names() and w not in last_names()


def _sentence_start(text: str, start: int) -> bool:
    """The first word of a sentence: capitalised whatever it is, which a borrowed NER model takes for a name."""
    before = text[max(0, start - 8):start].rstrip(" \t")
    return not before.strip() or before.endswith((".", "!", "?", "\n"))


def _split_lines(text: str, s: Span) -> list[Span]:
    """A name does not run over a line break or a table bar ('Zürich\\nPosition', 'Description | Website')."""
    return [Span(s.start + m.start(), s.start + m.end(), s.entity, s.score, s.ner)
            for m in re.finditer(r"[^\n|]+", text[s.start:s.end]) if m.group().strip()]


def _ner_name_ok(value: str) -> bool:
    """spaCy's small English model tags everyday words ('Convert', 'Glad', 'JSON') as PERSON. A one-word name must
    look like a name (a known name, or a word in no dictionary); shouting ('LOG ANALYTICS') and company forms
    ('GmbH') are not names. Multi-word names stay (international names are outside any list)."""
    words = [w.strip(".,;:") for w in value.split()]
    names = all_names()
    if len(words) > 1 and _ROMAN.fullmatch(words[-1]):  # 'Innocenzo III': a regnal number is no shouting
        words = words[:-1]
    if any(w.isupper() and len(w) > 1 and w.title() not in names and not _INITIALS.fullmatch(w) for w in words):
        return False
    if any(w.casefold() in COMPANY for w in words[1:]):
        return False
    return len(words) > 1 or name_like(words[0]) or (words[0].islower() and name_like(words[0].title()))

@functools.cache
def _labels() -> frozenset[str]:
    from curate.stages.pii.context import ID_LABELS

    words = {w for ws in ID_LABELS.values() for w in ws}
    return frozenset(BANK_WORDS | words | {part for w in words for part in w.split() if len(part) > 2}
                     | {"nr", "no", "nummer", "number", "numéro", "número", "numero"})


def _label(value: str) -> bool:
    """An identifier's label ('Steuer-ID', 'AHV-Nr.', 'PESEL', 'USt-IdNr'), not a name or a place."""
    words = [w for w in re.split(r"[\s.:]+", value.casefold()) if w]
    return bool(words) and (value.strip(" .:").casefold() in _labels() or all(
        w in _labels() or any(p in _labels() for p in w.split("-")) for w in words))


def _is_false_positive(text: str, s: Span, emails: list[Span], lang: str = "en") -> bool:
    value = text[s.start:s.end]
    if s.entity == "URL" and any(e.start <= s.start and s.end <= e.end for e in emails):
        return True  # 'oliver.be' and 'example.com' inside an e-mail address
    if s.entity in ("ORGANIZATION", "PERSON", "LOCATION", "NRP") and _label(value):
        return True  # spaCy tags 'IBAN' as an organisation, 'Steuer-ID' as a person, 'PESEL' as a place
    if s.entity in ("DATE_TIME", "LOCATION", "NRP", "ORGANIZATION") and not any(c.isalpha() for c in value):
        return not (s.entity == "DATE_TIME" and DATE_SHAPE.fullmatch(value.strip()))  # bare numbers as dates
    if s.entity == "LOCATION" and s.ner:  # 'MM', 'EU', 'RE-2026', 'eu-west', 'Beacon 6E'
        v = value.strip()
        return len(v) < 2 or not v[0].isupper() or any(c.isdigit() for c in v) or (v.isupper() and len(v) <= 3) \
            or v.casefold() in common_words() or (lang in BORROWED_NER and " " not in v and v not in place_names() and (
                dictionary_word(v) or (lang == "de" and german_noun(v))  # 'Regie', 'Hauptrolle', 'Knieverletzung'
                or (lang in ("es", "it") and _sentence_start(text, s.start) and v[-1] in "óòèì"))) # 'Nació', 'Tornò'

    if s.entity == "PHONE_NUMBER":
        v = value.strip()
        return sum(c.isdigit() for c in v) < 7 or bool(NOT_A_PHONE.fullmatch(v))
    if s.entity == "US_DRIVER_LICENSE":
        return sum(c.isalnum() for c in value) < 6  # 'U50': any letter + digits matches the weak pattern
    return False


def _allowed(text: str, s: Span, allow: list[re.Pattern]) -> bool:
    return any(m.start() <= s.start and s.end <= m.end() for p in allow for m in p.finditer(text))


def allow_patterns(cfg: PiiConfig) -> list[re.Pattern]:
    return [re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE) for term in cfg.allow_list if term.strip()]


def merge(spans: list[Span]) -> list[Span]:
    """Overlapping spans become one span over their union, typed by the strongest: nothing detected leaks."""
    out: list[Span] = []
    for s in sorted(spans, key=lambda s: (s.start, -s.end)):
        if out and s.start < out[-1].end:
            last = out[-1]
            rank = lambda x: (x.score >= 0.99, PRIORITY.get(x.entity, 3), x.score, x.end - x.start)  # noqa: E731
            winner = max(last, s, key=rank)
            for outer, inner in ((last, s), (s, last)):  # an identifier in its full format contains a shorter
                if outer.checksum is not None and inner.checksum is not None and outer.start <= inner.start \
                        and inner.end <= outer.end and outer.end - outer.start > inner.end - inner.start:
                    winner = outer  # one by chance ('3704 0044 0532 0130' inside an IBAN passes Luhn)
            out[-1] = Span(last.start, max(last.end, s.end), winner.entity, max(last.score, s.score), winner.ner,
                           winner.checksum)
        else:
            out.append(s)
    return out


def to_spans(results, entities) -> list[Span]:
    return [Span(r.start, r.end, r.entity_type, r.score,
                 (r.recognition_metadata or {}).get("recognizer_name") == "SpacyRecognizer",
                 (r.recognition_metadata or {}).get(CHECKSUM_KEY))
            for r in results if r.entity_type in entities]


def clean(text: str, spans: list[Span], cfg: PiiConfig, allow: list[re.Pattern], lang: str = "en") -> list[Span]:
    """Known false positives out, names cut to their name words and trimmed, allow-listed terms kept. `lang` is
    the analysis language: the NER models borrowed from another language need stricter name rules."""
    emails = [s for s in spans if s.entity == "EMAIL_ADDRESS"]
    kept = []
    pieces = [piece for s in spans for piece in (_split_lines(text, s) if s.ner else [s])]
    for s in [p for s in pieces for p in (_split_person(text, s, lang) if s.ner and s.entity == "PERSON" else [s])]:
        if s.entity in ("PERSON", "LOCATION"):
            s = _trim_person(text, s)
        if s is None or _is_false_positive(text, s, emails, lang):
            continue
        if s.ner and s.entity == "PERSON" and not _ner_name_ok(text[s.start:s.end]):
            continue
        if allow and s.entity not in cfg.deny_list and _allowed(text, s, allow):
            continue
        kept.append(s)
    return kept


def _explained(spans: list[Span]) -> list[Span]:
    """Digits inside a value in a distinctive identifier format, checksum right or wrong, are part of it: a phone
    number inside an AHV number or a Luhn-valid card inside an IBAN is not a second identifier. The format's own
    score (checksum, label) then decides alone, before thresholds: an order number in an IBAN's shape without a
    label is left to the residual check, not scrubbed as the card it happens to contain."""
    formats = [s for s in spans if s.entity in DISTINCTIVE and s.checksum is not None]
    if not formats:
        return spans
    def explains(f: Span, s: Span) -> bool:  # a longer format explains what is inside it; one of the same length
        # only what did not verify on its own ('180016070420458' is a Luhn-valid card and a NIR with a wrong key)
        inside = f.start <= s.start and s.end <= f.end
        return inside and (f.end - f.start > s.end - s.start or s.checksum is not True)

    return [s for s in spans if s.ner or s.entity in DISTINCTIVE or s.entity in PRIORITY
            or not any(explains(f, s) for f in formats)]


def resolve(text: str, results, cfg: PiiConfig, allow: list[re.Pattern], lang: str = "en") -> list[Span]:
    spans = _explained(to_spans(results, set(cfg.entities) | set(cfg.deny_list)))
    spans = [s for s in spans if s.score >= cfg.thresholds.get(s.entity, cfg.score_threshold)]
    spans = merge(clean(text, spans, cfg, allow, lang))
    return extend_names(text, spans, lang, allow) if any(s.entity == "PERSON" for s in spans) else spans


_PARTICLE = (r"(?:[vV]an|[vV]on|[dD]e|der|den|[dD]a|[dD]i|[dD]el|[dD]ella|dei|degli|[dD]u|[dD]es|[lL]a|[lL]e|ten|ter"
             r"|dos|das|do|zu|ibn|bin|bint)")
_ELIDED = r"(?:[dDlL]|[dD]e)[ \t]?['’]"  # d'Este, de' Medici (and the tokenised "d' Amico")
# what may stand between two parts of one name: particles ('Andrea De Cesaris', 'Ursula von der Leyen')
_BETWEEN = re.compile(rf"[ \t]+(?:(?:{_PARTICLE}[ \t]+){{1,3}}|{_ELIDED}[ \t]?)")
# after a name: a regnal number ('Innocenzo III', 'Napoleon III'), a particle and a name ('Reinier III van
# Henegouwen', 'Ercole I d'Este'), an Arabic family name ('Hafiz al-Assad', 'Jabir ibn Hayyan')
_AFTER = re.compile(rf"[ \t]+(?:(?P<roman>{ROMAN})(?![\w'’-])(?!\.\w)|(?:(?P<particle>(?:{_PARTICLE}[ \t]+){{1,3}})"
                    rf"|{_ELIDED}[ \t]?|(?:al|el|ad|as|an|ar|Al|El)-)(?P<name>[{UPPER}][^\W\d_]+(?:['’-][^\W\d_]+)*))")
_ARTICLES = {"de": {"der", "den", "des", "das", "do", "dos", "la", "le"}}  # German articles are no particles


_AND = {"de": "und|oder|sowie", "fr": "et|ou", "es": "y|e|o", "it": "e|ed|o", "nl": "en|of"}
_NAME_TOKEN = rf"[{UPPER}][^\W\d_]+(?:['’-][^\W\d_]+)*"


@functools.cache
def _coordinated(lang: str) -> tuple[re.Pattern, re.Pattern] | None:
    if lang not in _AND:
        return None
    sep = rf"(?:[ \t]*,[ \t]*|[ \t]+(?:{_AND[lang]})[ \t]+)"
    return (re.compile(rf"{sep}(?P<name>{_NAME_TOKEN})(?![\w'’-])"),
            re.compile(rf"(?<![\w'’-])(?P<name>{_NAME_TOKEN}){sep}$"))


def _coordinated_name(w: str, lang: str) -> bool:
    """A word listed beside a name is a name too when it looks like one: in no dictionary and not a place
    ('Loik e Mazzola', 'Molotov, Malenkov'), or a known name that is no word of the language."""
    if w.casefold() in common_words() or w in place_names() or role_word(w, lang) or (lang == "de" and german_noun(w)):
        return False
    return name_like(w) and not dictionary_word(w)


def extend_names(text: str, spans: list[Span], lang: str, allow: list[re.Pattern] = ()) -> list[Span]:
    """A name's span takes in what belongs to it beside it: a regnal number, a particle and the family name after
    it, or the particles between two parts that were found apart. The name word after a particle must not be an
    ordinary word (German: no noun) or a place ('Luigi di Francia' keeps 'Francia' as a place, if at all)."""
    out: list[Span] = []
    changed = False
    for s in spans:
        if out and s.entity == "PERSON" and out[-1].entity == "PERSON" and out[-1].end < s.start \
                and _BETWEEN.fullmatch(text, out[-1].end, s.start):
            last = out.pop()  # 'Andrea' + 'De' + 'Cesaris'
            s, changed = Span(last.start, s.end, "PERSON", max(last.score, s.score), last.ner, last.checksum), True
        if s.entity == "PERSON":
            for _ in range(3):
                m = _AFTER.match(text, s.end)
                if not m:
                    break
                if m.group("roman"):
                    if m.group("roman") == "I" and lang in ("en", "xx"):
                        break  # 'Oliver I think'
                else:
                    w = m.group("name")
                    if m.group("particle") and _ARTICLES.get(lang, set()) & set(m.group("particle").split()):
                        break  # 'mit Peter Graulund das Sturmduo'
                    if w.casefold() in common_words() or w in place_names() or (dictionary_word(w) and w not in
                            all_names()) or (lang == "de" and german_noun(w) and w not in all_names()):
                        break
                s, changed = Span(s.start, m.end(), s.entity, s.score, s.ner, s.checksum), True
        out.append(s)
    coordinated = _coordinated(lang)
    if coordinated is not None:  # outside English (its own NER model): the names listed beside a found name
        after, before = coordinated
        taken = [(s.start, s.end) for s in out]
        for s in [s for s in out if s.entity == "PERSON"]:
            m = after.match(text, s.end)
            if m and _coordinated_name(m.group("name"), lang) and not any(a < m.end() and m.start("name") < b
                                                                        for a, b in taken):
                out.append(Span(m.start("name"), m.end("name"), "PERSON", 0.6))
                changed = True
            m = before.search(text, max(0, s.start - 40), s.start)
            if m and _coordinated_name(m.group("name"), lang) and not any(a < m.end("name") and m.start() < b
                                                                        for a, b in taken):
                out.append(Span(m.start("name"), m.end("name"), "PERSON", 0.6))
                changed = True
    if not changed:
        return spans
    if allow:
        out = [s for s in out if not (s.entity == "PERSON" and _allowed(text, s, allow))]
    return merge(out)


def echo_names(text: str, spans: list[Span]) -> list[Span]:
    """A name found once is a name everywhere in the same record: 'Katrin Vogel' in the first turn makes a later
    bare 'Katrin' a PERSON too (NER often misses one-word mentions)."""
    common = common_words()
    parts = {w for s in spans if s.entity == "PERSON" for w in re.findall(r"[^\W\d_][\w'’-]+", text[s.start:s.end])
             if len(w) > 2 and w.casefold() not in common and w[0].isupper()}
    if not parts:
        return spans
    pattern = re.compile(r"(?<![\w'’-])(?:" + "|".join(map(re.escape, sorted(parts, key=len, reverse=True)))
                         + r")(?![\w'’-])")
    return merge(spans + [Span(m.start(), m.end(), "PERSON", 0.6) for m in pattern.finditer(text)])

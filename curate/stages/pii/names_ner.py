"""NER 'person' spans judged again, word by word, in the record's own language (French, Spanish, Italian, Dutch).

The span checks in resolve.py are language-blind about dictionaries: a NER name with a word in any of six
dictionaries is dropped ('Hitler', 'Gore', 'Platone' and 'Tacito' are each in one of them). In these four
languages a capitalised word in the middle of a sentence is a proper noun, so what matters is whether the record's
own language uses the word often in lower case: French subtitles hardly ever have 'hitler', Italian ones have
'casa' all the time (pyspellchecker's counts).

A run of a PERSON entity's words is kept when each of its words is evidence of a name (a known name that is no
frequent English word, or a word the language rarely uses in lower case) and none is a stop word, greeting, place
or role noun of the language; initials, particles after a given name and a regnal number may stand between or
after them. One word alone at the start of a sentence must be a known name ('Riferendosi', 'Continuó' are rare but
capitalised by their place). The run is returned as the shape recognizer's own result, which outlives the NER span
when resolve.py rejects that one.

German gets a narrower rule (_german_single): its nouns are capitalised and its word list has no counts, so
'rare' can only mean 'in no dictionary'; on the tune half (even sentences of benchmarks/data/pii_names/de.conllu)
the general rule found one name ('Tizian') for six ordinary words (inflected nouns and derivations the compound
splitter does not know: 'Kosmographen', 'Organisierung', 'Leonesen'). There one unknown word is taken only where
German puts a name without an article."""
from __future__ import annotations

import regex as re

from curate.stages.pii.names import (FREQUENT, ROMAN, NameShapeRecognizer, _rare_in, dictionary_word,
                                     english_frequency, german_noun, given_names, language_stop_words, last_names,
                                     more_names, not_names, place_names, role_word)

LANGUAGES = ("fr", "es", "it", "nl")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_ROMAN = re.compile(ROMAN)
_JOIN = re.compile(r"[ \t]{1,2}|\.[ \t]?|['’][ \t]?")  # between the words of one name ('B. B. King', "d' Este")
_DASHES = ("–", "—")  # 'Bose–Einstein': an eponym (a law, an effect), not its namesakes
PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "della", "la", "le", "ten", "ter", "du", "des",
             "dos", "d", "l", "al", "el", "bin", "ibn"}


def ner_person_spans(text: str, nlp_artifacts, lang: str) -> list[tuple[int, int]]:
    """(start, end) of the names inside the NER model's PERSON entities that pass the checks above."""
    if (lang not in LANGUAGES and lang != "de") or nlp_artifacts is None or not getattr(nlp_artifacts, "entities", None):
        return []
    out = []
    for e in nlp_artifacts.entities:
        if e.label_ != "PERSON":
            continue
        for run in _runs(text, e.start_char, e.end_char):
            span = _german_single(text, run) if lang == "de" else _judge(text, run, lang)
            if span:
                out.append(span)
    return out


# German gives a person's name no article, an inflected noun has one or an adjective ('von Tizian', 'bei Tacitus';
# not 'einem gelehrten Kosmographen', 'die Organisierung'): the words that may stand right before a name alone
# (not 'und', 'oder', 'wie': they join nouns that share the article before the first, 'christliche Galicier und
# Leonesen')
_DE_BEFORE_NAME = {"von", "bei", "mit", "durch", "für", "gegen", "neben", "laut", "gemäß", "dank", "ohne", "über",
                   "sagte", "schrieb", "meinte", "nannte"}
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[ \t]+$")


def _german_single(text: str, run: list[tuple[int, int, str]]) -> tuple[int, int] | None:
    """German, one NER word alone: in no dictionary and no compound, no place, not a known name (those have their
    own rules), not at a sentence start, and right after a preposition, conjunction or verb of saying that takes a
    name without an article. On the tune half, without that last condition, one name was found for six ordinary
    words ('Kosmographen', 'Organisierung', 'Taxonomie'), each after an article or an adjective."""
    words = [(a, b, w) for a, b, w in run if w not in PARTICLES]
    if len(words) != 1:
        return None
    a, b, w = words[0]
    if len(w) < 3 or not w[0].isupper() or w.isupper() or dictionary_word(w) or german_noun(w) \
            or w in place_names() or _known(w) or role_word(w, "de") or _sentence_start(text, a):
        return None
    m = _WORD_BEFORE.search(text, max(0, a - 24), a)
    if not m or m.group(1) not in _DE_BEFORE_NAME or re.match(r"[ \t]+[A-ZÄÖÜ]", text[b:b + 2]):
        return None  # not after such a word, or a second capitalised word follows (left to the pair rules)
    return a, b


def _runs(text: str, a: int, b: int) -> list[list[tuple[int, int, str]]]:
    """The entity's words in runs that punctuation or a lower-case word (other than a particle) breaks."""
    runs, run, last_end = [], [], None
    for m in _TOKEN.finditer(text, a, b):
        w = m.group()
        gap = text[last_end:m.start()] if last_end is not None else ""
        if run and (not _JOIN.fullmatch(gap) or (gap[0] in "'’" and run[-1][2] not in ("d", "l", "D", "L"))):
            runs.append(run)
            run = []
        if text[m.start() - 1:m.start()] in _DASHES or text[m.end():m.end() + 1] in _DASHES:
            w = ""  # a word joined to another by a dash breaks the run and is not taken
        if not w or (w[0].islower() and w not in PARTICLES):
            if run:
                runs.append(run)
            run, last_end = [], m.end()
            continue
        run.append((m.start(), m.end(), w))
        last_end = m.end()
    if run:
        runs.append(run)
    return runs


def _known(w: str) -> bool:
    more_given, more_family = more_names()
    return w in given_names() or w in last_names() or w in more_given or w in more_family


def _plausible(w: str, lang: str) -> bool:
    """Could be a word of a name: capitalised, not shouted, no stop word or greeting, no place, no role noun."""
    return w[0].isupper() and not (w.isupper() and len(w) > 1) and w.casefold() not in language_stop_words(lang) \
        and w.casefold() not in not_names() and w not in place_names() and not role_word(w, lang)


def _evidence(w: str, lang: str) -> bool:
    """A known name that is no frequent English word, or a word the record's language rarely uses."""
    if english_frequency(w) >= FREQUENT:
        return False
    return _known(w) or _rare_in(w, lang)


def _sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 8):start].rstrip(" \t\"“«„(")
    return not before.strip() or before.endswith((".", "!", "?", "\n", ":"))


def _particle_ok(run: list[tuple[int, int, str]], i: int) -> bool:
    """A particle belongs to the name after a given name or an initial ('Saif al Islam', 'J. de Vries') or before
    a known family name; not an article after any word ('Bronson Arroyo des Reds')."""
    if i == 0 or i + 1 >= len(run):
        return False
    before, after = run[i - 1][2], run[i + 1][2]
    return before in given_names() or before in more_names()[0] or len(before) == 1 or after in last_names() \
        or after in more_names()[1]


def _judge(text: str, run: list[tuple[int, int, str]], lang: str) -> tuple[int, int] | None:
    while run and (run[0][2] in PARTICLES or len(run[0][2]) > 1 and not _plausible(run[0][2], lang)):
        run = run[1:]  # leading articles, prepositions, role nouns ('por Sia', 'dietro Villeneuve')
    kept: list[tuple[int, int, str]] = []
    for i, (a, b, w) in enumerate(run):  # the longest stretch of name words from there
        if w in PARTICLES:
            ok = _particle_ok(run, i)
        elif len(w) == 1:
            ok = w.isupper()  # an initial
        elif kept and _ROMAN.fullmatch(w):
            ok = True  # 'Pie XII'
        else:
            ok = _plausible(w, lang) and _evidence(w, lang)
        if not ok:
            break
        kept.append((a, b, w))
    while kept and kept[-1][2] in PARTICLES:
        kept.pop()
    words = [w for i, (_, _, w) in enumerate(kept) if len(w) > 1 and w not in PARTICLES
             and not (i and _ROMAN.fullmatch(w))]
    if not words:
        return None
    if len(words) == 1 and _sentence_start(text, kept[0][0]) and not _known(words[0]):
        return None  # 'Riferendosi', 'Continuó': capitalised by their place
    end = kept[-1][1]
    if len(kept[-1][2]) == 1 and text[end:end + 1] == ".":
        end += 1  # the initial's dot
    return kept[0][0], end


class NameRecognizer(NameShapeRecognizer):
    """Names by their shape, plus the NER model's PERSON entities judged by the checks above (what the engine
    registers; its name stays NameShapeRecognizer)."""

    def ner_names(self, text: str, nlp_artifacts) -> list[tuple[int, int]]:
        return ner_person_spans(text, nlp_artifacts, self.supported_language)

"""Person names without a model for every language: names announced by a title, greeting or introduction, and
names by their shape (known given/family names, initials, words in no dictionary). Word lists: Faker's name lists
for 22 locales, spaCy's stop words, pyspellchecker's word frequencies; each loaded once per process."""
from __future__ import annotations

import functools
import importlib
from typing import Optional

import regex as re
from presidio_analyzer import EntityRecognizer, LocalRecognizer, Pattern, PatternRecognizer, RecognizerResult

CASE_SENSITIVE = re.DOTALL | re.MULTILINE  # a name starts with a capital; Presidio's default adds IGNORECASE
UPPER = "A-ZÄÖÜÀ-ÖØ-ÞĀ-ŽŁŚŹŻĆŃ"
WORD = rf"[{UPPER}][\w'’-]+"
TITLES = (r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Herr|Frau|Hr|Fr|Mme|Mlle|Monsieur|Madame|Sr|Sra|Srta|Señor|Señora|Don|Doña"
          r"|Sig|Sig\.ra|Signor|Signora|Sig\.na|Dott|Dott\.ssa|Dhr|Mevr|Mevrouw|Meneer|Pan|Pani")
TITLES_ANY_CASE = r"(?i:mr|mrs|ms|miss|dr|prof|herr|frau|mme|mlle|monsieur|madame|señora?|signora?|meneer|mevrouw)"
GREETINGS = (r"Hi|Hello|Hey|Dear|Thanks|Thank you|Cheers|Hallo|Liebe|Lieber|Servus|Moin|Danke|Bonjour|Salut|Merci"
             r"|Hola|Gracias|Querida|Querido|Estimada|Estimado|Ciao|Salve|Grazie|Gentile|Cara|Caro|Beste|Hoi|Dag"
             r"|Bedankt|Witam|Cześć|Dzięki")
INTRO = (r"(?i:my name is|my name's|name:|(?:last|first|family|maiden|full|sur)\s?name(?: is|:|\?)|ich heiße"
         r"|mein name ist|je m'appelle|moi c'est|me llamo|mi nombre es|mi chiamo|il mio nome è|mijn naam is|ik heet"
         r"|nazywam się|regards,|sincerely,|mit freundlichen grüßen,?"
         r"|viele grüße,?|cordialement,?|saludos,?|cordiali saluti,?|met vriendelijke groet,?)")
SELF = r"(?:I am|I'm|this is|This is|ich bin|Ich bin|je suis|Je suis|soy|Soy|sono|Sono|ik ben|Ik ben|jestem|Jestem)"


class NameContextRecognizer(PatternRecognizer):
    """Names announced by a title, a greeting or an introduction ("Frau Vogel", "Hi Oliver", "my name is ...").
    NER misses many of these in German, Spanish, Italian and Dutch, which have no offline spaCy model here."""

    def __init__(self, supported_language="en"):
        particles = r"(?:(?:van|von|de|der|den|da|di|del|la|le|ten|ter|du|des)\s+)*"
        name = rf"{WORD}(?:\s+{particles}(?:[{UPPER}]\.?\s+)?{WORD}){{0,2}}"
        patterns = [
            Pattern("title + name", rf"(?<=\b(?:{TITLES}|{TITLES_ANY_CASE})\.?\s+){name}", 0.7),
            Pattern("introduction + name", rf"(?<={INTRO}\s+){name}", 0.6),
            # weak on their own: "Hi Team", "I am German"; a known given name validates them
            Pattern("greeting + name", rf"(?<=\b(?:{GREETINGS})\s+){WORD}(?=\s*[,!.:\n]|\s+{WORD})", 0.3),
            Pattern("self + name", rf"(?<=\b{SELF}\s+){name}", 0.3),
        ]
        super().__init__(supported_entity="PERSON", patterns=patterns, supported_language=supported_language,
                         global_regex_flags=CASE_SENSITIVE, name="NameContextRecognizer")

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        first = pattern_text.split()[0]
        if first.lower() in not_names() or (first.lower() in stop_words() and not name_like(first)):
            return False  # "Hi Team", "I am Interested"
        return True if name_like(first) else None  # a greeting alone is weak evidence; a name-like word is not


class NameShapeRecognizer(LocalRecognizer):
    """Names by their shape, language-independent (NER misses many names, and has no model for de/es/it/nl):
      - a pair with a known given or family name ("Grace Whitfield", "Edi Živković", lower-case "naomi ryan")
        or with a middle initial ("Mijail C Adomo"), none of its words an everyday word;
      - two capitalised words in no dictionary ("Csenger Gábor"); not for German, whose nouns are capitalised;
      - one known name that is not a frequent word ("Derek", "Torres"; not "Will", "Grace", "Brown");
      - a speaker label ("Éva: What a wife.").
    Name lists: Faker's 22 locales. Dictionaries: pyspellchecker's word frequencies for en/de/fr/es/it/nl."""

    TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
    GAP = re.compile(r"\.?[ \t]{1,2}")  # between the words of one name: spaces, or the dot of an initial
    PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "la", "le", "ten", "ter", "du", "des", "dos"}
    SPEAKER = re.compile(rf"(?:^|(?<=[\n\"“>]))\s*({WORD}):", re.MULTILINE)

    def __init__(self, supported_language="en"):
        super().__init__(supported_entities=["PERSON"], supported_language=supported_language,
                         name="NameShapeRecognizer")

    def load(self) -> None:
        pass

    def _result(self, start: int, end: int, score: float) -> RecognizerResult:
        return RecognizerResult("PERSON", start, end, score, recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name, RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})

    def _pair(self, text: str, toks: list, i: int) -> tuple[int, bool] | None:
        """Index of the surname after toks[i] (skipping one initial and particles), and whether an initial was."""
        j, initial = i + 1, False
        adjacent = lambda k: k < len(toks) and self.GAP.fullmatch(text[toks[k - 1][1]:toks[k][0]])  # noqa: E731
        if adjacent(j) and len(toks[j][2]) == 1 and (toks[j][2].isupper() or toks[i][2].islower()):  # an initial,
            # not the "y" or "e" between two capitalised names ("Juan y Pedro"); all lower-case: "eric g. samoylova"
            j, initial = j + 1, True
        while adjacent(j) and toks[j][2] in self.PARTICLES:
            j += 1
        return (j, initial) if adjacent(j) and len(toks[j][2]) > 1 else None

    def analyze(self, text, entities, nlp_artifacts=None):
        given, family, common = given_names(), last_names(), common_words()
        toks = [(m.start(), m.end(), m.group()) for m in self.TOKEN.finditer(text)]
        out = []
        for i, (a, b, w) in enumerate(toks):
            if w[0].isupper():
                if (w in given or w in family) and name_like(w) and not (
                        self.supported_language == "de" and dictionary_word(w)):  # German nouns: 'Kraft', 'Sturm'
                    out.append(self._result(a, b, 0.5))
                pair = self._pair(text, toks, i)
                if not pair or not toks[pair[0]][2][0].isupper():
                    continue
                last = toks[pair[0]][2]
                if w in given and name_like(w) and last.lower() not in common:
                    out.append(self._result(a, toks[pair[0]][1], 0.6))  # surnames are often words: Vogel, de Vries
                    continue
                if not (name_like(w) and name_like(last)):
                    continue
                if last in family or last in given or pair[1]:
                    out.append(self._result(a, toks[pair[0]][1], 0.6))
                elif self.supported_language != "de" and not _company_follows(text, toks, pair[0]):
                    out.append(self._result(a, toks[pair[0]][1], 0.5))
            elif len(w) > 2 and w.title() in given and w not in common and name_like(w.title()):
                pair = self._pair(text, toks, i)
                last = toks[pair[0]][2] if pair else ""
                if last.islower() and last not in common and len(last) > 2 and (
                        name_like(last.title()) if last.title() in family else not dictionary_word(last)):
                    out.append(self._result(a, toks[pair[0]][1], 0.5))
        for m in self.SPEAKER.finditer(text):
            if name_like(m.group(1)):
                out.append(self._result(m.start(1), m.end(1), 0.5))
        return EntityRecognizer.remove_duplicates(out)


COMPANY = {"gmbh", "ag", "kg", "sarl", "sas", "sa", "ltd", "inc", "llc", "plc", "bv", "nv", "srl", "spa", "s.p.a",
           "s.l", "sl", "co", "corp", "ug", "oy", "ab", "as", "telecom", "technologies", "solutions", "systems",
           "partners", "group", "holding", "labs", "software"}


def _company_follows(text: str, toks: list, j: int) -> bool:
    """'Pinecrest Telecom Ltd', 'Alpenblick Elektronik GmbH': two unknown words before a company form."""
    return j + 1 < len(toks) and toks[j + 1][2].lower() in COMPANY or toks[j][2].lower() in COMPANY


_FAKER_LOCALES = ["en_US", "en_GB", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH", "es_ES", "it_IT", "nl_NL",
                  "nl_BE", "pl_PL", "pt_PT", "sv_SE", "da_DK", "no_NO", "fi_FI", "cs_CZ", "hu_HU", "ro_RO", "el_GR"]


@functools.cache
def given_names() -> frozenset[str]:
    out: set[str] = set()
    for loc in _FAKER_LOCALES:
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female"):
            out.update(n for n in (getattr(p, attr, None) or ()) if len(n) > 2)
    return frozenset(out)


@functools.cache
def last_names() -> frozenset[str]:
    out: set[str] = set()
    for loc in _FAKER_LOCALES:
        out.update(n for n in (getattr(importlib.import_module(f"faker.providers.person.{loc}").Provider,
                                       "last_names", None) or ()) if len(n) > 2)
    return frozenset(out)


_PLACE_LOCALES = ["de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH", "es_ES", "it_IT", "nl_NL", "nl_BE", "en_GB", "en_US",
                  "pl_PL", "pt_PT"]


@functools.cache
def place_names() -> frozenset[str]:
    """Cities, regions, states and countries from Faker's address providers: for borrowed NER models, a place
    that is also a dictionary word ('Köln', 'Bremen' are in the German list, as are 'Regie' and 'Hauptrolle')."""
    out: set[str] = set()
    for loc in _PLACE_LOCALES:
        p = importlib.import_module(f"faker.providers.address.{loc}").Provider
        for attr in ("cities", "states", "countries", "provinces", "regions", "departments", "cantons", "counties"):
            for v in getattr(p, attr, None) or ():
                for name in (v if isinstance(v, (tuple, list)) else (v,)):
                    if isinstance(name, str) and len(name) > 2:
                        out.add(name)
    return frozenset(out)


_LETTERS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")  # no digits or underscores: 'order_id' is not a name
FREQUENT = 10_000  # English subtitle count above which a name is also an everyday word (will, grace, brown)


@functools.cache
def _dictionaries() -> tuple[dict[str, int], frozenset[str]]:
    """English word counts, and the words other languages use at least as often (count >= 100; below that the
    lists are a flat long tail that includes names). German keeps its whole list: its nouns are capitalised,
    so 'Rechnung' or 'Nettobetrag' would otherwise look like names (German surnames are in the name lists)."""
    from spellchecker import SpellChecker

    def words(lang: str, minimum: int) -> dict[str, int]:
        return {w: n for w, n in SpellChecker(language=lang, distance=1).word_frequency.dictionary.items()
                if n >= minimum}

    others = set(words("de", 0)).union(*(words(lang, 100) for lang in ("fr", "es", "it", "nl")))
    return words("en", 100), frozenset(others)


def english_frequency(word: str) -> int:
    return _dictionaries()[0].get(word.lower(), 0)


def dictionary_word(word: str) -> bool:
    english, others = _dictionaries()
    return word.lower() in english or word.lower() in others


def name_like(word: str) -> bool:
    """A word that can be part of a name: a known name that is not a frequent English word, or a capitalised
    word in no dictionary and no stop list."""
    if word.isupper() and len(word) > 1:  # 'SSID', 'JSON'; a shouted name is judged in title case
        word = word.title()
        if word not in given_names() and word not in last_names():
            return False
    if word.lower() in not_names() or not _LETTERS.fullmatch(word):
        return False
    if word in given_names() or word in last_names():
        return english_frequency(word) < FREQUENT
    return word[:1].isupper() and word.lower() not in stop_words() and not dictionary_word(word)


@functools.cache
def not_names() -> frozenset[str]:
    """Never a name, whatever the name lists say ('Dag' is Norwegian but also Dutch for hello): greetings, titles,
    months, weekdays, support-chat nouns."""
    words = {w.lower() for w in re.split(r"[|\\.]+", GREETINGS + "|" + TITLES) if w}
    words |= {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
              "team", "support", "customer", "service", "street", "road", "avenue", "bank", "iban", "card", "order",
              "account", "ticket", "cloud", "router", "premium", "pro", "plus", "thanks", "good", "morning",
              "evening", "afternoon", "there", "everyone", "all", "folks", "guys", "again", "sir", "madam", "guten",
              "tag", "morgen", "abend", "buenos", "días", "buongiorno", "buonasera", "bonjour", "bonsoir",
              "goedemorgen", "goedemiddag", "dzień", "dobry", "hola", "hallo", "hello", "dear", "regards", "best",
              "fwd", "fw", "re", "aw", "wg", "tr", "rv", "ps"}  # e-mail subject prefixes
    words |= {  # months and weekdays of the other languages (not those that are common names: Julio, Avril, Mai)
        "januar", "jänner", "februar", "märz", "juni", "oktober", "dezember", "montag", "dienstag",
        "mittwoch", "donnerstag", "freitag", "samstag", "sonntag", "janvier", "février", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre", "lundi", "mardi", "mercredi", "jeudi",
        "vendredi", "samedi", "dimanche", "enero", "febrero", "junio", "agosto",
        "septiembre", "octubre", "noviembre", "diciembre", "lunes", "martes", "miércoles", "jueves", "viernes",
        "sábado", "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre",
        "dicembre", "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "januari", "februari", "maart",
        "juni", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"}
    return frozenset(words)


@functools.cache
def stop_words() -> frozenset[str]:
    return frozenset().union(*(importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS
                               for lang in ("en", "de", "fr", "es", "it", "nl")))


@functools.cache
def common_words() -> frozenset[str]:
    """Words that are not names on their own: the above plus the stop words of six languages (which hold a few
    names, e.g. Italian 'sara': name_like() lets a listed name with a rare English use through)."""
    return not_names() | stop_words()


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
# Role nouns that announce a person ("Trainer Mirko Slomka", "il duca Ercole", "el entrenador Hong", "keizer Nero"):
# general vocabulary of offices, jobs, ranks and kinship per language, not taken from any evaluation text. German
# and Dutch also as the head of a compound ("US-Präsident", "Teamkollege", "bondscoach"). English has a NER model.
ROLES: dict[str, str] = {
    "de": "trainer|cheftrainer|coach|regisseur|regisseurin|schauspieler|schauspielerin|sänger|sängerin|präsident"
          "|präsidentin|kanzler|kanzlerin|minister|ministerin|könig|königin|kaiser|kaiserin|papst|prinz|prinzessin"
          "|herzog|herzogin|graf|gräfin|fürst|fürstin|bischof|erzbischof|kardinal|pfarrer|pastor|autor|autorin"
          "|schriftsteller|schriftstellerin|maler|malerin|komponist|komponistin|dirigent|dirigentin|produzent"
          "|produzentin|sieger|siegerin|spieler|spielerin|stürmer|torhüter|torwart|kapitän|bürgermeister"
          "|bürgermeisterin|geschäftsführer|geschäftsführerin|direktor|direktorin|professor|professorin|kollege"
          "|kollegin|bruder|schwester|sohn|tochter|vater|mutter|ehemann|ehefrau|gatte|gattin|onkel|tante|neffe"
          "|nichte|cousin|cousine|sachbearbeiter|sachbearbeiterin|ansprechpartner|ansprechpartnerin|mitarbeiter"
          "|mitarbeiterin|statthalter|gouverneur|general|leutnant|oberst|feldherr|journalist|journalistin|reporter"
          "|reporterin|moderator|moderatorin|nachfolger|nachfolgerin|vorgänger|vorgängerin|gründer|gründerin"
          "|architekt|architektin|philosoph|dichter|dichterin|musiker|musikerin|gitarrist|gitarristin|schlagzeuger"
          "|bassist|pianist|pianistin|rapper|rapperin|boxer|fahrer|fahrerin|rennfahrer|verteidiger|sultan|zar"
          "|pharao|kommissar|kommissarin|abgeordnete|abgeordneten|senator|senatorin|richter|richterin|anwalt"
          "|anwältin|rechtsanwalt|rechtsanwältin|arzt|ärztin|chef|chefin|leiter|leiterin|sprecher|sprecherin"
          "|vorsitzende|vorsitzenden|mitglied|teamkollege|teamkollegin|coach|assistent|assistentin|kunde|kundin",
    "fr": "roi|reine|pape|empereur|impératrice|prince|princesse|duc|duchesse|comte|comtesse|président|présidente"
          "|ministre|général|entraîneur|sélectionneur|réalisateur|réalisatrice|acteur|actrice|chanteur|chanteuse"
          "|écrivain|écrivaine|auteur|autrice|peintre|compositeur|compositrice|philosophe|joueur|joueuse|capitaine"
          "|maire|évêque|archevêque|cardinal|docteur|professeur|professeure|collègue|frère|sœur|fils|fille|époux"
          "|épouse|mari|oncle|tante|neveu|nièce|cousin|cousine|directeur|directrice|gérant|gérante|conseiller"
          "|conseillère|avocat|avocate|juge|abbé|sultan|tsar|pharaon|producteur|productrice|guitariste|batteur"
          "|pilote|coéquipier|coéquipière|poète|architecte|attaquant|gardien|successeur|prédécesseur|fondateur"
          "|fondatrice|député|députée|sénateur|sénatrice|commissaire|chancelier|chancelière|journaliste"
          "|animateur|animatrice|interlocuteur|interlocutrice|conseiller|client|cliente|collaborateur|collaboratrice",
    "es": "rey|reina|papa|emperador|emperatriz|príncipe|princesa|duque|duquesa|conde|condesa|presidente|presidenta"
          "|ministro|ministra|general|entrenador|entrenadora|seleccionador|director|directora|actor|actriz"
          "|cantante|escritor|escritora|autor|autora|pintor|pintora|compositor|compositora|filósofo|jugador"
          "|jugadora|capitán|alcalde|alcaldesa|obispo|arzobispo|cardenal|doctor|doctora|profesor|profesora|colega"
          "|hermano|hermana|hijo|hija|esposo|esposa|marido|tío|tía|sobrino|sobrina|primo|prima|gerente|abogado"
          "|abogada|juez|jueza|sultán|zar|faraón|productor|productora|guitarrista|baterista|piloto|compañero"
          "|compañera|poeta|poetisa|arquitecto|arquitecta|delantero|portero|sucesor|sucesora|predecesor|fundador"
          "|fundadora|diputado|diputada|senador|senadora|canciller|periodista|presentador|presentadora|cliente"
          "|asesor|asesora|comisario|comisaria",
    "it": "re|regina|papa|imperatore|imperatrice|principe|principessa|duca|duchessa|conte|contessa|presidente"
          "|presidentessa|ministro|generale|allenatore|ct|regista|attore|attrice|cantante|scrittore|scrittrice"
          "|autore|autrice|pittore|pittrice|compositore|compositrice|filosofo|giocatore|giocatrice|capitano"
          "|sindaco|vescovo|arcivescovo|cardinale|dottore|dottoressa|professore|professoressa|collega|fratello"
          "|sorella|figlio|figlia|marito|moglie|zio|zia|cugino|cugina|direttore|direttrice|avvocato|avvocatessa"
          "|giudice|sultano|zar|faraone|produttore|produttrice|chitarrista|batterista|pilota|compagno|compagna"
          "|poeta|poetessa|architetto|attaccante|portiere|maestro|maestra|successore|predecessore|fondatore"
          "|fondatrice|deputato|deputata|senatore|senatrice|cancelliere|giornalista|conduttore|conduttrice"
          "|cliente|consulente|commissario|commissaria",
    "nl": "koning|koningin|paus|keizer|keizerin|prins|prinses|hertog|hertogin|graaf|gravin|president|premier"
          "|minister|generaal|trainer|coach|bondscoach|regisseur|acteur|actrice|zanger|zangeres|schrijver"
          "|schrijfster|auteur|schilder|componist|filosoof|speler|speelster|aanvoerder|kapitein|burgemeester"
          "|bisschop|aartsbisschop|kardinaal|dokter|professor|collega|broer|zus|zuster|zoon|dochter|echtgenoot"
          "|echtgenote|oom|tante|neef|nicht|directeur|directrice|advocaat|advocate|rechter|sultan|tsaar|farao"
          "|producer|producent|gitarist|drummer|coureur|ploeggenoot|dichter|dichteres|architect|aanvaller"
          "|keeper|doelman|opvolger|voorganger|oprichter|oprichtster|presentator|presentatrice|kamerlid|senator"
          "|journalist|journaliste|klant|medewerker|medewerkster|contactpersoon|commissaris|voorzitter|teamgenoot",
}
ROMAN = r"(?:X{0,3}(?:IX|IV|V?I{1,3})|X{1,3}(?:IX|IV|V?I{0,3})|V)"  # regnal numbers I-XXXIX, after a name


def _beside_ner(results: list, nlp_artifacts) -> list:
    """Presidio drops a result that a result of the same type and an equal or higher score contains, before
    curate's own checks run. A name found by its shape or context inside a NER 'person' span (0.85) was lost
    with it whenever the NER span was then rejected as a whole ('Matt Damon': 'Matt' is a German word, so the
    borrowed model's span is dropped). Such a result is lifted just above the NER span's score, so it stays as
    evidence of its own; where the NER span is kept as well, the two are merged as before."""
    if not results or nlp_artifacts is None or not getattr(nlp_artifacts, "entities", None):
        return results
    ner = [(e.start_char, e.end_char, score) for e, score in zip(nlp_artifacts.entities, nlp_artifacts.scores or
                                                                  [0.85] * len(nlp_artifacts.entities))
           if e.label_ == "PERSON"]
    for r in results:
        top = max((score for a, b, score in ner if a <= r.start and r.end <= b), default=None)
        if top is not None and r.score <= top:
            r.score = min(1.0, top + 0.01)
    return results


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

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        out = super().analyze(text, entities, nlp_artifacts, regex_flags)
        lang = self.supported_language
        if lang in ROLES and "PERSON" in entities:
            for m in _BEFORE_CAPITAL.finditer(text):  # a word before a capitalised one: is it a role noun?
                if role_word(m.group(1), lang):
                    end = _role_name_end(text, m.end(), lang)
                    if end:
                        out.append(RecognizerResult("PERSON", m.end(), end, 0.6, recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}))
        return _beside_ner(out, nlp_artifacts)

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        first = pattern_text.split()[0]
        if first.lower() in not_names() or (first.lower() in stop_words() and not name_like(first)):
            return False  # "Hi Team", "I am Interested"
        return True if name_like(first) else None  # a greeting alone is weak evidence; a name-like word is not


# a word, then spaces, then a capitalised word: the candidates for 'role noun + name' (one regex pass; the word
# is then looked up, which is faster than a pattern with every role noun of the language)
_BEFORE_CAPITAL = re.compile(rf"(?<![\w'’-])([^\W\d_][\w'’-]*)[ \t]+(?=[{UPPER}])")


@functools.cache
def _role_word_pattern(lang: str):
    roles = ROLES[lang]
    prefix = r"[\w-]*?" if lang in ("de", "nl") else ""
    return re.compile(rf"{prefix}(?:{roles})(?:s|es|n|en|e)?", re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 16)
def role_word(word: str, lang: str) -> bool:
    """'Trainer', 'US-Präsidenten', 'Journalistenkollegen': a role noun of the language, alone or as a compound's
    head, inflected (German and Dutch nouns are capitalised or compounded; elsewhere the word itself, any case)."""
    return lang in ROLES and _role_word_pattern(lang).fullmatch(word.strip(".,;:")) is not None


_NAME_WORD = re.compile(rf"[{UPPER}][^\W\d_]*(?:['’-][^\W\d_]+)*\.?")


def _role_name_end(text: str, start: int, lang: str) -> int:
    """End of the name of up to three words (particles and initials between them) that starts at `start`, or 0
    when its first word is not a name: every word must be name-like (German: not a noun, however inflected or
    compounded), or a known name that is not a word of the record's language."""
    end, words, pos = 0, 0, start
    while words < 3:
        m = _NAME_WORD.match(text, pos)
        if not m:
            break
        w = m.group().rstrip(".")
        if len(w) == 1:  # an initial
            ok = m.group().endswith(".") and words > 0
        else:
            ok = _role_name_word(w, lang)
        if not ok:
            break
        end, words = m.end() if len(w) == 1 else m.start() + len(w), words + 1
        gap = re.match(r"[ \t]+(?:(?:van|von|de|der|den|da|di|del|della|du|des|la|le|ten|ter|dos|al|ibn|bin)[ \t]+)*",
                       text[end:end + 24])
        if not gap:
            break
        pos = end + gap.end()
    if end:
        m = re.match(rf"[ \t]+{ROMAN}(?![\w'’-])(?!\.\w)", text[end:end + 8])
        if m:
            end += m.end()
    return end


def _role_name_word(w: str, lang: str) -> bool:
    if w.casefold() in common_words() or w in place_names():
        return False
    if lang == "de" and german_noun(w) and w not in given_names():
        return False
    return name_like(w, lang)


class NameShapeRecognizer(LocalRecognizer):
    """Names by their shape, language-independent (NER misses many names, and has no model for de/es/it/nl):
      - a pair with a known given or family name ("Grace Whitfield", "Edi Živković", lower-case "naomi ryan")
        or with a middle initial ("Mijail C Adomo"), none of its words an everyday word;
      - two capitalised words in no dictionary ("Csenger Gábor"); not for German, whose nouns are capitalised;
      - one known name that is not a frequent word ("Derek", "Torres"; not "Will", "Grace", "Brown");
      - a speaker label ("Éva: What a wife.").
    Name lists: Faker's 22 locales. Dictionaries: pyspellchecker's word frequencies for en/de/fr/es/it/nl."""

    TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
    REGNAL = re.compile(ROMAN)
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
            while j < len(toks) and len(toks[j][2]) == 1 and toks[j][2].isupper() and re.fullmatch(
                    r"\.[ \t]?", text[toks[j - 1][1]:toks[j][0]]):  # 'Annie M.G. Schmidt', 'J. R. R. Tolkien'
                j += 1
        while adjacent(j) and (toks[j][2] in self.PARTICLES or (  # 'de Vries', and 'Olivier De Cock'
                toks[j][2].casefold() in self.PARTICLES and toks[i][2][0].isupper() and adjacent(j + 1)
                and toks[j + 1][2][:1].isupper())):
            j += 1
        if self.supported_language == "de" and j > i + 1 and not initial and german_noun(toks[i][2]) \
                and dictionary_word(toks[i][2]):
            return None  # 'Der Tod von Roop Kanwar': after a German noun, 'von' is a preposition, not a particle
        return (j, initial) if adjacent(j) and len(toks[j][2]) > 1 else None

    def analyze(self, text, entities, nlp_artifacts=None):
        given, family, common = given_names(), last_names(), common_words()
        own_stop = language_stop_words(self.supported_language)
        more_given, more_family = more_names()
        lang = self.supported_language
        greek = greek_names()[0] | greek_names()[1]
        toks = [(m.start(), m.end(), m.group()) for m in self.TOKEN.finditer(text)]
        out = []
        for i, (a, b, w) in enumerate(toks):
            if w[0].isupper():
                if text[b:b + 1] in ("–", "—") or text[a - 1:a] in ("–", "—"):
                    pass  # 'Bose–Einstein statistics', 'Michelson–Morley': a law or effect, not its namesakes
                elif (w in given or w in family) and name_like(w) and not (
                        lang == "de" and dictionary_word(w) and w not in greek) and w.casefold() not in own_stop:
                    out.append(self._result(a, b, 0.5))  # not German nouns ('Kraft', 'Sturm'), not 'Una', 'Uno'
                elif w in more_given and self.supported_language in ROLES and w.casefold() not in own_stop \
                        and _more_pair(w, w, self.supported_language) and not (
                            self.supported_language == "de" and dictionary_word(w)):
                    out.append(self._result(a, b, 0.5))  # 'Ziya', 'Suat': outside English, where NER is borrowed
                if i + 1 < len(toks) and toks[i + 1][2][0] in "IVX" and toks[i + 1][2] != "I" \
                        and self.REGNAL.fullmatch(toks[i + 1][2]) and \
                        text[b:toks[i + 1][0]] == " " and (w in given or name_like(w, lang)) and w not in place_names() \
                        and not role_word(w, self.supported_language) and not (
                            self.supported_language == "de" and german_noun(w) and w not in given):
                    out.append(self._result(a, toks[i + 1][1], 0.6))  # 'Valentiniano II', 'Reinier III'
                pair = self._pair(text, toks, i)
                if not pair or not toks[pair[0]][2][0].isupper():
                    continue
                last = toks[pair[0]][2]
                if w in given and name_like(w) and last.lower() not in common:
                    out.append(self._result(a, toks[pair[0]][1], 0.6))  # surnames are often words: Vogel, de Vries
                    continue
                if (w in more_given or last in more_family) and _more_pair(w, last, self.supported_language) \
                        and not _company_follows(text, toks, pair[0]):
                    out.append(self._result(a, toks[pair[0]][1], 0.6))  # 'Matt Damon', 'Suat Mamat'
                    continue
                if lang in ROLES and _given_then_surname(w, last, lang) and not _company_follows(text, toks, pair[0]):
                    out.append(self._result(a, toks[pair[0]][1], 0.6))  # 'Kanye West', 'Billie Lourd'
                    continue
                if not (name_like(w, lang) and name_like(last, lang)) or role_word(w, lang) or (
                        self.supported_language == "de" and german_noun(w) and not dictionary_word(w)):
                    continue  # 'Stammtorhüter Florian', 'US-Präsident Lyndon': a role, not a given name
                if last in family or last in given or pair[1]:
                    out.append(self._result(a, toks[pair[0]][1], 0.6))
                elif not _company_follows(text, toks, pair[0]) and (
                        self.supported_language != "de" or not (german_noun(w) or german_noun(last))):
                    out.append(self._result(a, toks[pair[0]][1], 0.5))  # German: no inflected or compound noun
            elif len(w) > 2 and w.title() in given and w not in common and name_like(w.title()):
                pair = self._pair(text, toks, i)
                last = toks[pair[0]][2] if pair else ""
                if last.islower() and last not in common and len(last) > 2 and (
                        name_like(last.title()) if last.title() in family else not dictionary_word(last)):
                    out.append(self._result(a, toks[pair[0]][1], 0.5))
        for m in self.SPEAKER.finditer(text):
            if name_like(m.group(1)):
                out.append(self._result(m.start(1), m.end(1), 0.5))
        out += [self._result(a, b, 0.6) for a, b in self.ner_names(text, nlp_artifacts)]
        return _beside_ner(EntityRecognizer.remove_duplicates(out), nlp_artifacts)

    def ner_names(self, text: str, nlp_artifacts) -> list[tuple[int, int]]:
        """Names inside the NER model's PERSON entities that pass a language's checks: none here; the recognizer
        the engine registers (names_ner.NameRecognizer) adds them."""
        return []


@functools.cache
def _all_more() -> tuple[frozenset[str], frozenset[str]]:
    """(every given name, every name) of both lists."""
    given = given_names() | more_names()[0]
    return given, given | last_names() | more_names()[1]


def _more_pair(w: str, last: str, lang: str) -> bool:
    """Two words of one name when one of them is only in the longer lists: neither an everyday word (a frequent
    English word, a stop word, a German noun that is no name), nor a role, nor a place."""
    given, either = _all_more()
    for word, names in ((w, given), (last, either)):
        if word not in names and not name_like(word, lang):
            return False
        if english_frequency(word) >= FREQUENT or word.casefold() in common_words() or word in place_names() \
                or role_word(word, lang) or (word.isupper() and len(word) > 1):
            return False
        if lang == "de" and german_noun(word) and not dictionary_word(word):
            return False
    return True


def _rare_in(word: str, lang: str) -> bool:
    """Rarely used in lower case by the record's language (German, whose list has no counts: in no dictionary)."""
    if lang == "de":
        return not dictionary_word(word)
    freq = language_frequency(word, lang)
    return freq is not None and freq < RARE


RARE = 1000  # a word that the language's subtitles have fewer times than this (lower-cased) is rare in it


def _given_then_surname(w: str, last: str, lang: str) -> bool:
    """A given name the record's language hardly uses as a word, then a capitalised word that is a known family
    name or just as rare in the language, though it may be an English word ('Kanye West', 'Asa Gray', 'Billie
    Lourd' in a French, Spanish ... record). Outside English only: there these words are capitalised because they
    are names; neither may be a stop word, greeting, place or role of the language (German: no noun either)."""
    if (w not in given_names() and w not in more_names()[0]) or english_frequency(w) >= FREQUENT \
            or not _rare_in(w, lang) or last.isupper():
        return False
    for word in (w, last):
        if word.casefold() in language_stop_words(lang) or word.casefold() in not_names() or word in place_names() \
                or role_word(word, lang) or (lang == "de" and german_noun(word) and word not in given_names()):
            return False
    return last in last_names() or last in more_names()[1] or _rare_in(last, lang)


COMPANY = {"gmbh", "ag", "kg", "sarl", "sas", "sa", "ltd", "inc", "llc", "plc", "bv", "nv", "srl", "spa", "s.p.a",
           "s.l", "sl", "co", "corp", "ug", "oy", "ab", "as", "telecom", "technologies", "solutions", "systems",
           "partners", "group", "holding", "labs", "software"}


def _company_follows(text: str, toks: list, j: int) -> bool:
    """'Pinecrest Telecom Ltd', 'Alpenblick Elektronik GmbH': two unknown words before a company form."""
    return j + 1 < len(toks) and toks[j + 1][2].lower() in COMPANY or toks[j][2].lower() in COMPANY


_FAKER_LOCALES = ["en_US", "en_GB", "en_IE", "de_DE", "de_AT", "de_CH", "fr_FR", "fr_CH", "es_ES", "it_IT", "nl_NL",
                  "nl_BE", "pl_PL", "pt_PT", "sv_SE", "da_DK", "no_NO", "fi_FI", "cs_CZ", "hu_HU", "ro_RO", "el_GR"]
# names of people from elsewhere turn up in European text too: the US given names (Faker's 'en', 7,000), Latin
# America, Turkey, the Balkans and Baltics, Africa, South and South-East Asia; less those that are also places
# ('Georgia', 'Austin': a place is not made a name by a long list)
_MORE_LOCALES = ["en", "en_IN", "en_NZ", "en_KE", "en_NG", "en_PK", "es_MX", "es_AR", "es_CO", "es_CL", "pt_BR",
                 "fr_CA", "fr_BE", "fr_DZ", "tr_TR", "hr_HR", "sl_SI", "sk_SK", "lt_LT", "lv_LV", "et_EE", "ga_IE",
                 "id_ID", "az_AZ", "uz_UZ", "sw", "yo_NG", "ha_NG", "ig_NG", "zu_ZA", "tw_GH", "is_IS"]


def _locale_names(locales: list[str], attrs: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for loc in locales:
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in attrs:
            names = getattr(p, attr, None)
            if isinstance(names, (tuple, list, dict)):  # a few locales compute theirs (a property)
                out.update(n for n in names if isinstance(n, str) and len(n) > 2)
    return out


@functools.cache
def given_names() -> frozenset[str]:
    return frozenset(_locale_names(_FAKER_LOCALES, ("first_names", "first_names_male", "first_names_female"))
                     | greek_names()[0])


@functools.cache
def last_names() -> frozenset[str]:
    return frozenset(_locale_names(_FAKER_LOCALES, ("last_names",)) | greek_names()[1])


@functools.cache
def greek_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given, family) names of Faker's Greek locale in Latin letters ('Σωκράτης' -> 'Sokrates', 'Πλάτων' ->
    'Platon', 'Αριστοτέλης' -> 'Aristoteles'): in Greek script they never match a European text, where the
    classical ones are common. Not those that are words of English, French, Spanish, Italian or Dutch or places
    ('Nike', 'Athena', 'Elle'), nor German words, which German's flat list has inflected too ('Auge' -> 'augen',
    'Demos' -> 'demo'); the rest of German's list holds names ('platon'), which do not make a word a noun."""
    from text_unidecode import unidecode

    german, places = _german(), place_names()

    def inflected(w: str) -> bool:
        w = w.lower()
        return any(w + e in german for e in ("e", "en", "n", "er", "ern", "es", "nen")) or (
            w.endswith("s") and w[:-1] in german)

    def latin(attrs: tuple[str, ...]) -> frozenset[str]:
        out = set()
        for n in _locale_names(["el_GR"], attrs):
            w = unidecode(n)
            if w.isalpha() and w[:1].isupper() and w[1:].islower() and len(w) > 2 and w not in places \
                    and not dictionary_word(w, "nl") and not inflected(w):
                out.add(w)
        return frozenset(out)

    return latin(("first_names", "first_names_male", "first_names_female")), latin(("last_names",))


@functools.cache
def more_names() -> tuple[frozenset[str], frozenset[str]]:
    """(given, family) names of the other locales that the main lists lack, less places. Only ever evidence
    together with a second name word ('Matt Damon', 'Suat Mamat'): alone, many are words or places ('Phoenix',
    'Karma', street names of the locale)."""
    given = _locale_names(_MORE_LOCALES, ("first_names", "first_names_male", "first_names_female"))
    family = _locale_names(_MORE_LOCALES, ("last_names",))
    places, core = place_names(), given_names() | last_names()
    return frozenset(given - core - places), frozenset(family - core - places)


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
def _dictionaries() -> tuple[dict[str, int], frozenset[str], frozenset[str], dict[str, dict[str, int]]]:
    """English word counts, and the words other languages use at least as often (count >= 100; below that the
    lists are a flat long tail that includes names). German keeps its whole list: its nouns are capitalised,
    so 'Rechnung' or 'Nettobetrag' would otherwise look like names (German surnames are in the name lists).
    Last, each of fr/es/it/nl's own counts (>= 100), for language_frequency()."""
    from spellchecker import SpellChecker

    def words(lang: str, minimum: int) -> dict[str, int]:
        return {w: n for w, n in SpellChecker(language=lang, distance=1).word_frequency.dictionary.items()
                if n >= minimum}

    german = frozenset(words("de", 0))  # also on its own, for german_noun(); the same string objects
    own = {lang: words(lang, 100) for lang in ("fr", "es", "it", "nl")}
    return words("en", 100), german.union(*own.values()), german, own


def language_frequency(word: str, lang: str) -> int | None:
    """How often the record's own language uses the word, lower-cased (pyspellchecker's subtitle counts; under
    100 counts as 0). None where the list has no usable counts (German's is a flat word list; English and others
    have none loaded here)."""
    counts = _dictionaries()[3].get(lang)
    return None if counts is None else counts.get(word.lower(), 0)


def _german() -> frozenset[str]:
    return _dictionaries()[2]


_DE_ENDINGS = ("", "s", "es", "n", "en", "e", "er", "ern", "nen")  # inflection: Trainers, Kollegen, Österreichern
_DE_LINKS = ("", "s", "es", "n", "en", "e", "er")  # between the parts of a compound: Staat-s-präsident


@functools.lru_cache(maxsize=1 << 17)
def german_noun(word: str) -> bool:
    """A German word however inflected or compounded ('Staatspräsidenten', 'Knieverletzung', 'Startelf-Debüt'):
    German capitalises every noun, and its compounds are in no dictionary. The head (at least 4 letters) and the
    part before it (at least 3, less a linking -s-, -en- ...) must both be dictionary words."""
    w, d = word.casefold(), _german()

    def base(x: str) -> bool:
        return any(x.endswith(e) and len(x) - len(e) >= 3 and x[:len(x) - len(e)] in d for e in _DE_ENDINGS)
    if base(w):
        return True
    if "-" in w:
        parts = w.split("-")
        return base(parts[-1]) and len(parts[-1]) >= 3
    for i in range(3, len(w) - 3):
        head, left = w[i:], w[:i]
        if base(head) and any(left.endswith(e) and len(left) - len(e) >= 3 and left[:len(left) - len(e)] in d
                              for e in _DE_LINKS):
            return True
    return False


@functools.cache
def language_stop_words(lang: str) -> frozenset[str]:
    try:
        return frozenset(importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS)
    except ImportError:
        return frozenset()


def english_frequency(word: str) -> int:
    return _dictionaries()[0].get(word.lower(), 0)


def dictionary_word(word: str, lang: str | None = None) -> bool:
    """In one of the dictionaries. For a French, Spanish, Italian or Dutch record (`lang`), German's flat word list
    does not count: it holds every word its source saw, names included ('wüst' and 'Wüst', 'Ries', 'Aristoteles'),
    and German words are rare in those languages' running text."""
    english, others, _, own = _dictionaries()
    w = word.lower()
    if lang in own:
        return w in english or any(w in counts for counts in own.values())
    return w in english or w in others


def name_like(word: str, lang: str | None = None) -> bool:
    """A word that can be part of a name: a known name that is not a frequent English word, or a capitalised
    word in no dictionary and no stop list (dictionary_word(word, lang))."""
    if word.isupper() and len(word) > 1:  # 'SSID', 'JSON'; a shouted name is judged in title case
        word = word.title()
        if word not in given_names() and word not in last_names():
            return False
    if word.lower() in not_names() or not _LETTERS.fullmatch(word):
        return False
    if word in given_names() or word in last_names():
        return english_frequency(word) < FREQUENT
    return word[:1].isupper() and word.lower() not in stop_words() and not dictionary_word(word, lang)


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


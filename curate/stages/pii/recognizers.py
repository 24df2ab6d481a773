"""Identifier, address, phone, URL and date recognizers Presidio does not ship, and fixes for some it ships. Each
is a Presidio recognizer, so the analyzer's context enhancement, thresholds and registry work on them as on the
built-in ones.

Identifiers with a check digit (IBAN, VAT, AHV, NIR, BSN, Steuer-ID, PESEL, DNI/NIE, codice fiscale, cards) are
judged by `check()`: the value's format decides whether it is a candidate at all, the checksum only how sure we
are. Test values, typos and made-up numbers in real documents fail their checksums and are still someone's number,
so a value in the format with a failed checksum is kept at CHECKSUM_FAILED_SCORE: under the threshold alone,
over it with a context word ("IBAN", "AHV-Nr.", "codice fiscale"). A verified checksum is enough on its own for the
distinctive formats (score 1.0); bare digit runs (BSN, Steuer-ID, PESEL, short cards) keep a low score even when
the checksum passes, because about one random number in ten passes an 11-based check: they need a context word.
The verdict travels in the result's metadata (CHECKSUM_KEY: True / False) and is counted by the stage.
"""
from __future__ import annotations

from typing import Optional

import phonenumbers
import regex as re
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult
from presidio_analyzer.predefined_recognizers import (CreditCardRecognizer, DateRecognizer, EmailRecognizer,
                                                      ItFiscalCodeRecognizer, PhoneRecognizer, UrlRecognizer)
from stdnum.exceptions import InvalidChecksum, ValidationError

from curate.stages.pii.names import UPPER, WORD

CASE_SENSITIVE = re.DOTALL | re.MULTILINE  # Presidio's default adds IGNORECASE, which lets "from" pass as [A-Z0-9]{4}
BARE_DIGITS_SCORE = 0.2  # a checksum alone does not make an order number an id: + context (0.35) = 0.55
CHECKSUM_FAILED_SCORE = 0.16  # the format without its checksum: + context = 0.51, just over the 0.5 threshold
CHECKSUM_KEY = "checksum"  # recognition_metadata: True verified, False failed (absent: no checksum to check)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _stdnum(validate, value: str) -> Optional[bool]:
    """python-stdnum's verdict: True valid, False only the checksum failed, None not the identifier's format."""
    try:
        validate(value)
        return True
    except InvalidChecksum:
        return False
    except (ValidationError, ValueError, KeyError, IndexError):
        return None


class _Checked:
    """analyze() for pattern recognizers with a checksum: every pattern match is judged by check(value) -> True
    (valid), False (format right, checksum wrong) or None (not the format: dropped). With `trim`, a match that is
    not valid is retried on shorter prefixes ending at a separator: a compact IBAN followed by a short word
    ("...2078 FROM NOW ON") once swallowed the word, failed the checksum and leaked. The longest valid prefix wins,
    else the longest one in the format."""

    trim = False
    valid_score: Optional[float] = EntityRecognizer.MAX_SCORE  # None: the pattern's own (low) score

    def check(self, value: str) -> Optional[bool]:
        raise NotImplementedError

    def _judge(self, text: str, start: int, end: int) -> tuple[int, Optional[bool]]:
        cuts = [end] + ([i for i in range(end - 1, start, -1) if text[i] in " -."] if self.trim else [])
        failed = None
        for cut in cuts:
            verdict = self.check(text[start:cut])
            if verdict:
                return cut, True
            if verdict is False and failed is None:
                failed = cut
        return (failed, False) if failed is not None else (end, None)

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        results = []
        for pattern in self.patterns:
            for m in re.finditer(pattern.regex, text, flags=self.global_regex_flags):
                end, verdict = self._judge(text, m.start(), m.end())
                if verdict is None:
                    continue
                score = (self.valid_score if self.valid_score is not None else pattern.score) if verdict \
                    else CHECKSUM_FAILED_SCORE
                results.append(RecognizerResult(
                    self.supported_entities[0], m.start(), end, score,
                    analysis_explanation=self.build_regex_explanation(
                        self.name, pattern.name, pattern.regex, score, verdict, self.global_regex_flags),
                    recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                          RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                                          CHECKSUM_KEY: verdict}))
        return EntityRecognizer.remove_duplicates(results)


class SafeIbanRecognizer(_Checked, PatternRecognizer):
    """IBANs of every country python-stdnum knows (all SEPA countries and more), grouped or not: the country's
    length and BBAN structure are the format, mod 97 the checksum. Case-sensitive candidate pattern (lower-case
    IBANs are a separate pattern) and the trimming retry."""

    trim = True
    PATTERNS = [
        Pattern("IBAN", r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{1,4}){3,8}(?![A-Za-z0-9])", 0.5),
        Pattern("IBAN lower-case", r"(?<![A-Za-z0-9])[a-z]{2}\d{2}(?:[ -]?[a-z0-9]{1,4}){3,8}(?![A-Za-z0-9])", 0.5),
    ]

    def __init__(self, context=None, supported_language="en"):
        super().__init__(supported_entity="IBAN_CODE", patterns=self.PATTERNS, context=context,
                         supported_language=supported_language, global_regex_flags=CASE_SENSITIVE,
                         name="SafeIbanRecognizer")

    def check(self, value: str) -> Optional[bool]:
        from stdnum import iban  # lazily: only records with a candidate pay for it

        compact = re.sub(r"[\s-]", "", value).upper()
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", compact):
            return None
        try:  # the format, judged with correct check digits
            iban.validate(compact[:2] + iban.calc_check_digits(compact) + compact[4:], check_country=False)
        except (ValidationError, KeyError, IndexError):
            return None
        return iban.is_valid(compact, check_country=False)


class EuVatRecognizer(_Checked, PatternRecognizer):
    """EU VAT numbers (country prefix + national format) and Swiss UID/VAT numbers (CHE-123.456.789 MWST),
    judged by python-stdnum's per-country format and checksum."""

    trim = True
    PREFIXES = "AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|HR|HU|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI"
    PATTERNS = [Pattern("EU VAT", rf"(?<![A-Za-z0-9])(?:{PREFIXES})[ -]?[0-9A-Z]{{2,4}}(?:[ .-]?[0-9A-Z]{{2,4}}){{1,4}}"
                                  r"(?![A-Za-z0-9])", 0.3),
                Pattern("CH UID", r"(?<![A-Za-z0-9])CHE[ -]?\d{3}[ .]?\d{3}[ .]?\d{3}(?![A-Za-z0-9])", 0.3)]
    CONTEXT = ["vat", "ust-idnr", "ust-id", "ustid", "umsatzsteuer", "mwst", "tva", "iva", "btw", "partita", "nif",
               "uid", "unternehmens-id", "numéro ide", "ide"]

    def __init__(self, context=None, supported_language="en"):
        super().__init__(supported_entity="EU_VAT", patterns=self.PATTERNS, context=context or self.CONTEXT,
                         supported_language=supported_language, global_regex_flags=CASE_SENSITIVE)

    def check(self, value: str) -> Optional[bool]:
        if value.startswith("CHE"):
            from stdnum.ch import uid

            return _stdnum(uid.validate, value)
        from stdnum.eu import vat

        return _stdnum(vat.validate, value)


class FrNirRecognizer(_Checked, PatternRecognizer):
    """French social security number (NIR): sex, year, month, department (2A/2B for Corsica), commune, order,
    and a key = 97 - (first 13 digits mod 97)."""

    PATTERNS = [Pattern("NIR", r"\b[1278]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2[ABab])\s?\d{3}\s?\d{3}"
                               r"\s?\d{2}\b", 0.4)]
    CONTEXT = ["nir", "sécurité sociale", "securite sociale", "numéro de sécu", "insee", "social security", "sécu",
               "carte vitale", "nss"]

    def __init__(self, context=None, supported_language="fr"):
        super().__init__(supported_entity="FR_NIR", patterns=self.PATTERNS, context=context or self.CONTEXT,
                         supported_language=supported_language, global_regex_flags=CASE_SENSITIVE)

    def check(self, value: str) -> Optional[bool]:
        text = re.sub(r"\s", "", value).upper()
        if len(text) != 15:
            return None
        body = text[:13].replace("2A", "19").replace("2B", "18")
        if not body.isdigit() or not text[13:].isdigit():
            return None
        return 97 - int(body) % 97 == int(text[13:])


class NlBsnRecognizer(_Checked, PatternRecognizer):
    """Dutch citizen service number: 9 digits passing the 11-test (weights 9..2, last digit -1)."""

    valid_score = None
    PATTERNS = [Pattern("BSN", r"\b\d{4}\.?\d{2}\.?\d{3}\b|\b\d{3}[ .]\d{3}[ .]\d{3}\b", BARE_DIGITS_SCORE)]
    CONTEXT = ["bsn", "burgerservicenummer", "sofinummer", "sofi", "persoonsnummer", "citizen service"]

    def __init__(self, context=None, supported_language="nl"):
        super().__init__(supported_entity="NL_BSN", patterns=self.PATTERNS, context=context or self.CONTEXT,
                         supported_language=supported_language)

    def check(self, value: str) -> Optional[bool]:
        d = [int(c) for c in _digits(value)]
        if len(d) != 9 or sum(d) == 0:
            return None
        return (sum(w * x for w, x in zip(range(9, 1, -1), d[:8])) - d[8]) % 11 == 0


class ChAhvRecognizer(_Checked, PatternRecognizer):
    """Swiss AHV/AVS number 756.xxxx.xxxx.xx with an EAN-13 check digit."""

    PATTERNS = [Pattern("AHV", r"\b756[.\s]?\d{4}[.\s]?\d{4}[.\s]?\d{2}\b", 0.5)]
    CONTEXT = ["ahv", "avs", "sozialversicherung", "assurance vieillesse", "social security", "versichertennummer",
               "nss", "assicurazione vecchiaia"]

    def __init__(self, context=None, supported_language="de"):
        super().__init__(supported_entity="CH_AHV", patterns=self.PATTERNS, context=context or self.CONTEXT,
                         supported_language=supported_language)

    def check(self, value: str) -> Optional[bool]:
        d = [int(c) for c in _digits(value)]
        if len(d) != 13:
            return None
        return (10 - sum(x * (3 if i % 2 else 1) for i, x in enumerate(d[:12])) % 10) % 10 == d[12]


class DeTaxIdContextRecognizer(_Checked, PatternRecognizer):
    """German tax id (Steuer-ID): 11 digits, one digit repeated (python-stdnum's format rules), mod 11,10."""

    valid_score = None
    PATTERNS = [Pattern("Steuer-ID", r"\b[1-9]\d{10}\b|\b[1-9]\d \d{3} \d{3} \d{3}\b", BARE_DIGITS_SCORE)]

    def __init__(self, context=None, supported_language="de"):
        super().__init__(supported_entity="DE_TAX_ID", patterns=self.PATTERNS, context=context,
                         supported_language=supported_language)

    def check(self, value: str) -> Optional[bool]:
        from stdnum.de import idnr

        return _stdnum(idnr.validate, _digits(value))


class PlPeselContextRecognizer(_Checked, PatternRecognizer):
    """Polish PESEL: 11 digits starting with a date of birth (the format), weighted mod 10 (the checksum)."""

    valid_score = None
    PATTERNS = [Pattern("PESEL", r"\b\d{2}(?:[02468][1-9]|[13579][012])(?:0[1-9]|[12]\d|3[01])\d{5}\b",
                        BARE_DIGITS_SCORE)]

    def __init__(self, context=None, supported_language="pl"):
        super().__init__(supported_entity="PL_PESEL", patterns=self.PATTERNS, context=context,
                         supported_language=supported_language)

    def check(self, value: str) -> Optional[bool]:
        from stdnum.pl import pesel

        return _stdnum(pesel.validate, value)


class EsDniRecognizer(_Checked, PatternRecognizer):
    """Spanish DNI/NIF: 8 digits and a check letter."""

    PATTERNS = [Pattern("DNI", r"\b\d{8}[- ]?[A-Za-z]\b", 0.5)]

    def __init__(self, context=None, supported_language="es"):
        super().__init__(supported_entity="ES_NIF", patterns=self.PATTERNS, context=context,
                         supported_language=supported_language, global_regex_flags=CASE_SENSITIVE)

    def check(self, value: str) -> Optional[bool]:
        from stdnum.es import dni

        return _stdnum(dni.validate, value.upper())


class EsNieCheckedRecognizer(_Checked, PatternRecognizer):
    """Spanish foreigner's number (NIE): X, Y or Z, 7 digits and a check letter."""

    PATTERNS = [Pattern("NIE", r"\b[XYZxyz][- ]?\d{7}[- ]?[A-Za-z]\b", 0.5)]

    def __init__(self, context=None, supported_language="es"):
        super().__init__(supported_entity="ES_NIE", patterns=self.PATTERNS, context=context,
                         supported_language=supported_language, global_regex_flags=CASE_SENSITIVE)

    def check(self, value: str) -> Optional[bool]:
        from stdnum.es import nie

        return _stdnum(nie.validate, value.upper())


class ItFiscalCodeStrictRecognizer(_Checked, ItFiscalCodeRecognizer):
    """Presidio's codice fiscale pattern; the check letter is the checksum, like every other one here (Presidio
    keeps a wrong one at its base score)."""

    def check(self, value: str) -> Optional[bool]:
        from stdnum.it import codicefiscale

        return _stdnum(codicefiscale.validate, value.upper())


def _luhn(value: str) -> Optional[bool]:
    digits = _digits(value)
    if not 12 <= len(digits) <= 19:
        return None
    total = sum(int(d) if i % 2 == 0 else sum(divmod(int(d) * 2, 10)) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


class CardRecognizer(_Checked, CreditCardRecognizer):
    """Presidio's patterns plus 19-digit cards and the 2-series Mastercard range (both missed on synth data);
    Luhn is the checksum: a Luhn-invalid number in a card's shape needs a card word nearby."""

    PATTERNS = CreditCardRecognizer.PATTERNS + [
        Pattern("Card 16-19 digits", r"\b(?:4\d{3}|5[1-5]\d{2}|2[2-7]\d{2}|6\d{3}|3\d{3})(?:[ -]?\d{4}){3}"
                                     r"(?:[ -]?\d{1,3})?\b", 0.3)]

    def __init__(self, context=None, supported_language="en"):
        super().__init__(patterns=self.PATTERNS, context=context, supported_language=supported_language)

    def check(self, value: str) -> Optional[bool]:
        return _luhn(value)


class ShortCardRecognizer(_Checked, CreditCardRecognizer):
    """Maestro (12-19 digits, 50/56-69) and 15-digit JCB (2131, 1800) numbers: Luhn-checked, but a bare 12-digit
    number passes Luhn one time in ten, so these need a card word nearby."""

    valid_score = None
    PATTERNS = [Pattern("Maestro / JCB 15", r"\b(?:5[06-9]\d{10,17}|6\d{11,18}|(?:2131|1800)\d{11})\b",
                        BARE_DIGITS_SCORE)]

    def __init__(self, context=None, supported_language="en"):
        super().__init__(patterns=self.PATTERNS, context=context, supported_language=supported_language,
                         name="ShortCardRecognizer")

    def check(self, value: str) -> Optional[bool]:
        return _luhn(value)


class PersonalUrlRecognizer(UrlRecognizer):
    """URLs that point at a person: profiles, user ids, e-mail addresses or names in the path or query.
    Help pages and product links are ordinary training text and stay."""

    PERSONAL = re.compile(
        r"(?:linkedin\.com/(?:in|pub)/|(?:facebook|instagram|twitter|x|tiktok|github|gitlab|xing|threads)\.(?:com|net)"
        r"/(?!(?:help|about|legal|policies|settings|features|login|signup)\b)\w"
        r"|/(?:users?|u|profiles?|people|members?|customers?|accounts?|~)[/=]?[\w.%+-]{2,}"
        r"|/~[\w.-]+|[?&](?:e?mail|user(?:name|_?id)?|uid|name|first_?name|last_?name|phone|customer(?:_?id)?)="
        r"|%40|@)", re.IGNORECASE)

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        return bool(self.PERSONAL.search(pattern_text))


class BirthDateRecognizer(DateRecognizer):
    """Dates count as personal only as dates of birth: the shipped date patterns at a low score, lifted over the
    threshold by a birth context word, plus day-month-year with month names in six languages."""

    MONTHS = ("jan(?:uary|uar|vier|uari)?|feb(?:ruary|ruar|ruari)?|févr(?:ier)?|mar(?:ch|s)?|märz|maart"
              "|apr(?:il|ile)?"
              "|avr(?:il)?|may|mai|mei|mayo|maggio|jun(?:e|i|io)?|juin|giugno|jul(?:y|i|io)?|juil(?:let)?|luglio"
              "|aug(?:ust|ustus)?|août|agosto|sep(?:t|tember|tiembre|tembre)?|oct(?:ober|obre|ubre)?|okt(?:ober)?"
              "|ottobre|nov(?:ember|embre|iembre)?|dec(?:ember)?|dez(?:ember)?|déc(?:embre)?|dic(?:iembre|embre)?"
              "|enero|febrero|marzo|abril|junio|julio|gennaio|febbraio|aprile|settembre")
    CONTEXT = ["born", "birth", "dob", "d.o.b", "birthday", "geboren", "geburtsdatum", "geb.", "geburtstag", "né",
               "née", "naissance", "nacido", "nacida", "nacimiento", "nato", "nata", "nascita", "geboortedatum"]

    def __init__(self, context=None, supported_language="en", base_score: float = BARE_DIGITS_SCORE):
        named = Pattern("day month year", rf"\b\d{{1,2}}\.?\s+(?:de\s+)?(?:{self.MONTHS})\.?\s+(?:de\s+)?\d{{4}}\b",
                        0.6)
        patterns = [Pattern(p.name, p.regex, min(p.score, base_score)) for p in DateRecognizer.PATTERNS + [named]]
        super().__init__(patterns=patterns, context=context or self.CONTEXT, supported_language=supported_language)


STREET_WORDS_SUFFIX = (r"straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad|straat|laan"
                       r"|gracht|plein|kade|singel|dijk|steeg|markt")
# lower-case allowed ("12 rue de la Paix", "in via Roma 3") except words that are also English ("via DHL 3")
STREET_WORDS_PREFIX = (r"(?i:rue|avenue|boulevard|chemin|allée|impasse|quai|calle|c/|avenida|avda\.?|plaza|paseo"
                       r"|camino|carrer|viale|piazza|piazzale|corso|vicolo|strada)|Via|Place|Route|Cours|Largo|Ronda"
                       r"|Av\.|Bd")
STREET_WORDS_EN = (r"Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Ln\.?|Drive|Dr\.?|Court|Ct\.?|Boulevard|Blvd\.?"
                   r"|Way|Place|Pl\.?|Terrace|Close|Crescent|Square|Sq\.?|Parkway|Gardens|Row|Mews|Hill|Grove")
POSTCODE_CITY = (rf"(?:,?\s*(?:[A-Z]{{1,2}}-)?(?:\d{{4,5}}|\d{{4}}\s?[A-Z]{{2}}|[A-Z]{{1,2}}\d[A-Z\d]?\s?\d[A-Z]{{2}})"
                 rf"\s+{WORD}(?:[\s-]{WORD})?)?")
UNIT = r"(?:,?\s+(?:Apt\.?|Apartment|Suite|Unit|Flat|Wohnung|Whg\.?|#)\s*\d+\w?)?"


class StreetAddressRecognizer(PatternRecognizer):
    """Street + house number, with the postcode and city that follow, as ONE span: replacing the city while the
    street survived was a measured leak. Street words of six languages; used for every language."""

    def __init__(self, supported_language="en"):
        num = r"\d{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,4})?"
        particles = r"(?:(?:de|del|de la|des|du|la|le|les|d'|di|dei|della|l')\s*)*"
        patterns = [
            Pattern("street-suffix", rf"\b(?:{WORD}[\s-])?[{UPPER}][\w'’-]{{2,}}(?i:{STREET_WORDS_SUFFIX})\s+{num}\b"
                                     + UNIT + POSTCODE_CITY, 0.6),
            Pattern("street-word", rf"\b(?:{WORD}[\s-]){{1,2}}(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Ring|Gasse)"
                                   rf"\s+{num}\b" + UNIT + POSTCODE_CITY, 0.6),
            Pattern("street-prefix", rf"(?:\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+)?\b(?:{STREET_WORDS_PREFIX})\s+"
                                     rf"{particles}{WORD}(?:\s+{particles}{WORD}){{0,3}}(?:,?\s*(?:n[º°o]\.?\s*)?"
                                     rf"{num}\b)?" + UNIT + POSTCODE_CITY, 0.6),
            Pattern("street-en", rf"\b\d{{1,5}}\s+(?:{WORD}\s+){{1,3}}(?:{STREET_WORDS_EN})(?!\w)" + UNIT
                    + POSTCODE_CITY, 0.6),
        ]
        super().__init__(supported_entity="STREET_ADDRESS", patterns=patterns, supported_language=supported_language,
                         global_regex_flags=CASE_SENSITIVE, name="StreetAddressRecognizer")

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        # "Via Roma" or "rue de la Paix" alone is a place name; with a house number or postcode it is an address.
        return None if re.search(r"\d", pattern_text) else False


class GenericPhoneRecognizer(PatternRecognizer):
    """A national phone shape for numbers libphonenumber cannot place in a hinted region ("Tel. (37) 788-063"):
    weak unless a phone word is near, and at least seven digits. A compact number with '+' is a phone number."""

    PATTERNS = [Pattern("phone shape", r"(?<![\w+])(?:\+\d{1,3}[ \t.-]?)?(?:\(\d{1,4}\)[ \t.-]?)?\d{2,5}"
                                       r"(?:[ \t.-]\d{2,8}){1,4}(?:[ \t]?(?:x|ext\.?)[ \t]?\d{1,5})?(?![\w])",
                        BARE_DIGITS_SCORE),
                Pattern("international, compact", r"(?<![\w+])\+\d{8,15}(?![\w])", 0.4)]

    def __init__(self, context=None, supported_language="en"):
        super().__init__(supported_entity="PHONE_NUMBER", patterns=self.PATTERNS, context=context,
                         supported_language=supported_language, name="GenericPhoneRecognizer")

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        return None if 7 <= len(_digits(re.split(r"x|ext", pattern_text)[0])) <= 15 else False

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        """Presidio's pattern analysis, plus: a run of more than 15 digits is two numbers side by side ("052
        5552606 074-7111234"), cut before each group that starts a number once the part holds 7 digits."""
        results = super().analyze(text, entities, nlp_artifacts, regex_flags)
        pattern = self.patterns[0]
        for m in re.finditer(pattern.regex, text, flags=self.global_regex_flags):
            if len(_digits(m.group())) <= 15:
                continue
            start = digits = 0
            cuts = []
            for g in re.finditer(r"\S+", m.group()):
                if digits >= 7 and g.group()[0] in "0+(":
                    cuts.append((start, len(m.group()[:g.start()].rstrip())))
                    start, digits = g.start(), 0
                digits += len(_digits(g.group()))
            cuts.append((start, len(m.group())))
            for a, b in cuts:
                if self.validate_result(m.group()[a:b]) is None:
                    results.append(RecognizerResult(
                        self.supported_entities[0], m.start() + a, m.start() + b, pattern.score,
                        recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                              RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id}))
        return results


class WindowedPhoneRecognizer(PhoneRecognizer):
    """Presidio's libphonenumber matching, run over each digit run (plus a small margin for '+' and brackets)
    instead of over the whole text, and with one region only for numbers written with '+' (the country code
    decides): the same numbers, a fraction of the scanning."""

    CANDIDATE = re.compile(r"[+(]?\d[\d\s().\-/]{4,}\d")

    def analyze(self, text, entities, nlp_artifacts=None):
        out = []
        for m in self.CANDIDATE.finditer(text):
            a, b = max(0, m.start() - 3), min(len(text), m.end() + 3)
            window = text[a:b]
            regions = self.supported_regions[:1] if "+" in window else self.supported_regions
            for region in regions:
                for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=self.leniency):
                    match.start, match.end = match.start + a, match.end + a
                    out.append(self._get_recognizer_result(match, text, region, nlp_artifacts))
        return EntityRecognizer.remove_duplicates(out)


class AnyDomainEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail pattern, without its public-suffix check: that check drops addresses on internal or
    reserved domains (name@corp.local, name@shop.example), which are still someone's address (found by a canary
    test). A dotted domain whose last label is alphabetic is enough."""

    def validate_result(self, pattern_text: str) -> bool:
        tld = pattern_text.rsplit(".", 1)[-1]
        return len(tld) >= 2 and tld.isalpha()

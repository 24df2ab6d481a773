"""The residual check: an independent, deliberately loose sweep over the text as it will be published.

It shares nothing with the scrubber on purpose (no Presidio, no recognizer, no checksum, no NER, no context words of
the scrubber): a check that re-ran the scrubber's own recognizers at a lower threshold could not see what those
recognizers miss. Plain shapes, the same for every language:
  e-mail shapes; IBAN shapes (country letters, two digits, 11-30 more characters, mostly digits); card shapes
  (13-19 digits starting 2-6, optionally grouped); phone-like digit runs with separators (+ or 00 and a country
  code, a national trunk 0, or 3-3-3 groups); Swiss AHV/AVS (756...), French NIR, Italian codice fiscale, Spanish
  DNI/NIE, UK NINO, US SSN, EU/Swiss VAT shapes; IPv4 addresses; bare 9- or 11-digit runs (BSN, Steuer-ID, PESEL
  and the like) only with an identity label nearby, since without one they are every other order number.
It is blind to what curate inserted itself (placeholders and pseudonyms): the stage passes their spans, which are
blanked before the sweep. Known false positives are excused by `[pii] residual_allow` patterns and counted apart.
Findings carry a type and offsets, never the value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

BLANK = "\x00"  # what inserted spans become: no pattern below matches it, and it separates what is around it

_NB = r"(?<![\w+])"  # not inside a longer token
_NA = r"(?![\w])"
_SEP = r"[ \t.\-/]"  # separators inside a number (not line breaks)
_DATE = re.compile(r"(?:(?:0?[1-9]|[12]\d|3[01])[./-](?:0?[1-9]|1[0-2])[./-](?:\d{4}|\d{2})"
                   r"|\d{4}[./-](?:0?[1-9]|1[0-2])[./-](?:0?[1-9]|[12]\d|3[01]))(?!\d|[./-]\d)")  # not '05.06.52.16.25' 
_AMOUNT_AFTER = re.compile(r"\s?(?:[.,]\d{1,2}(?!\d)|€|\$|£|eur\b|chf\b|usd\b|gbp\b|%)", re.IGNORECASE)

# Countries with IBANs (SWIFT registry): a tracking number such as 'JD014600006281937452' is not one.
IBAN_COUNTRIES = ("AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI GL GR GT "
                  "HN HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL NO OM PK PL PS "
                  "PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE").split()
_IBAN_CC = "|".join(IBAN_COUNTRIES)

# (type, pattern, minimum digits) in priority order: where two shapes overlap the earlier type is kept.
SHAPES: list[tuple[str, re.Pattern, int]] = [
    ("EMAIL_ADDRESS", re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"), 0),
    ("IBAN_CODE", re.compile(_NB + rf"(?:(?:{_IBAN_CC})\d{{2}}(?:[ \-]?[A-Z0-9]){{11,30}}|(?i:{_IBAN_CC})\d{{2}}"
                                   r"(?:[ \-]?[a-z0-9]){11,30})" + _NA), 10),
    ("CH_AHV", re.compile(_NB + r"756[ .]?\d{4}[ .]?\d{4}[ .]?\d{2}" + _NA), 13),
    ("EU_VAT", re.compile(_NB + r"(?:CHE[ \-]?\d{3}[ .]?\d{3}[ .]?\d{3}|(?:AT|BE|BG|CY|CZ|DE|DK|EE|EL|GR|ES|FI|FR|HR|HU"
                                r"|IE|IT|LT|LU|LV|MT|NL|PL|PT|RO|SE|SI|SK|XI|GB)[ \-]?[0-9A-Z](?:[ .]?[0-9A-Z]){7,13})"
                          + _NA), 7),
    ("IT_FISCAL_CODE", re.compile(_NB + r"[A-Za-z]{6}[\dLMNP-Vlmnp-v]{2}[A-EHLMPR-Ta-ehlmpr-t][\dLMNP-Vlmnp-v]{2}"
                                        r"[A-Za-z][\dLMNP-Vlmnp-v]{3}[A-Za-z]" + _NA), 2),
    ("FR_NIR", re.compile(_NB + r"[1-478] ?\d{2} ?\d{2} ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?\d{2}" + _NA), 13),
    ("ES_NIE", re.compile(_NB + r"[XYZxyz][ \-]?\d{7}[ \-]?[A-Za-z]" + _NA), 7),
    ("ES_NIF", re.compile(_NB + r"\d{8}[ \-]?[A-Za-z]" + _NA), 8),
    ("UK_NINO", re.compile(_NB + r"[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]" + _NA), 6),
    ("US_SSN", re.compile(_NB + r"\d{3}-\d{2}-\d{4}" + _NA), 9),
    ("CREDIT_CARD", re.compile(_NB + r"(?:[2-6]\d{12,18}|[2-6]\d{3}([ \-])\d{4}\1\d{4}\1\d{1,4}(?:\1\d{1,3})?"
                                     r"|3\d{3}[ \-]\d{6}[ \-]\d{4,5})" + _NA), 13),
    ("IP_ADDRESS", re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
                              r"(?![\w]|\.\d)"), 4),
    ("NATIONAL_ID", re.compile(_NB + r"(?:\d{11}|\d{9}|\d{4}\.\d{2}\.\d{3}|\d{2} \d{3} \d{3} \d{3})" + _NA), 9),
    ("PHONE_NUMBER", re.compile(
        r"(?<![\w+])(?:(?:\+|00)[1-9]\d{0,2}" + _SEP + r"?(?:\(0?\d{1,4}\)" + _SEP + r"?)?\d{1,5}(?:" + _SEP
        + r"?\d{1,5}){1,5}"  # international
        r"|\(?0\d{1,5}\)?" + _SEP + r"?\d{2,5}(?:" + _SEP + r"?\d{2,5}){0,4}"  # national trunk 0
        r"|\d{3}[ .]\d{3}[ .]\d{3,4}|\d{2,3}(?:[ .\-]\d{2,3}){3})" + _NA), 8),
]
# Bare digit runs count only beside one of these (any language; substring of the lower-cased window).
ID_LABELS = re.compile(
    r"\bbsn\b|burgerservice|\bsofi|persoonsnummer|pesel|steuer|\bidnr|\bid-nr|identifikation|\btax id|\btin\b|"
    r"national id|personal ?(?:id|number)|personnummer|social security|\bssn\b|sécurité sociale|securite sociale|"
    r"\bnir\b|\binsee|\bahv\b|\bavs\b|sozialversicherung|versicherungsnummer|identit|identidad|\bdni\b|\bnif\b|"
    r"codice fiscale|fiscal|ausweis|passport|passeport|pasaporte|passaporto|paspoort|\bid number|\bid-nummer|"
    r"numéro d'identification", re.IGNORECASE)
LABEL_BEFORE, LABEL_AFTER = 64, 32
NATIONAL_ID_BY_LABEL = [("NL_BSN", re.compile(r"\bbsn\b|burgerservice|\bsofi", re.IGNORECASE)),
                        ("PL_PESEL", re.compile(r"pesel", re.IGNORECASE)),
                        ("DE_TAX_ID", re.compile(r"steuer|\bidnr|\bid-nr|identifikation|\btax id|\btin\b",
                                                 re.IGNORECASE))]
TYPES = [t for t, _, _ in SHAPES]


def _split_phones(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """A run of more than 15 digits is two numbers written side by side ('052 5552606 074-7111234'): cut it before
    each group that starts a number (0, + or a bracket) once the part so far holds at least 8 digits."""
    value = text[a:b]
    if sum(c.isdigit() for c in value) <= 15:
        return [(a, b)]
    parts, start, digits = [], 0, 0
    for m in re.finditer(r"\S+", value):
        if digits >= 8 and m.group()[0] in "0+(":
            parts.append((a + start, a + start + len(value[start:m.start()].rstrip())))
            start, digits = m.start(), 0
        digits += sum(c.isdigit() for c in m.group())
    parts.append((a + start, b))
    return parts


@dataclass(frozen=True)
class Finding:
    type: str
    start: int
    end: int


class ResidualCheck:
    """`scan(text, inserted)` -> (findings, number excused by residual_allow)."""

    def __init__(self, allow: list[str] | tuple[str, ...] = ()):
        self.allow = [re.compile(p) for p in allow]

    def scan(self, text: str, inserted: list[tuple[int, int]] = ()) -> tuple[list[Finding], int]:
        if inserted:
            chars = list(text)
            for a, b in inserted:
                chars[a:b] = BLANK * (b - a)
            text = "".join(chars)
        if not any(c.isdigit() or c == "@" for c in text):  # every shape holds a digit or an '@'
            return [], 0
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []
        for kind, pattern, min_digits in SHAPES:
            if kind == "EMAIL_ADDRESS" and "@" not in text:
                continue
            for m in pattern.finditer(text):
                if any(m.start() < y and x < m.end() for x, y in taken):
                    continue
                parts = _split_phones(text, m.start(), m.end()) if kind == "PHONE_NUMBER" else [m.span()]
                for a, b in parts:
                    kind_here = self._judge(kind, text, a, b, min_digits)
                    if kind_here:
                        found.append(Finding(kind_here, a, b))
                        taken.append((a, b))
        found.sort(key=lambda f: f.start)
        if not self.allow or not found:
            return found, 0
        spans = [m.span() for p in self.allow for m in p.finditer(text)]
        kept = [f for f in found if not any(x <= f.start and f.end <= y for x, y in spans)]
        return kept, len(found) - len(kept)

    @staticmethod
    def _judge(kind: str, text: str, a: int, b: int, min_digits: int) -> str | None:
        value = text[a:b]
        if sum(c.isdigit() for c in value) < min_digits:
            return None
        if kind == "PHONE_NUMBER":  # 8-15 digits with a country code, otherwise at least 9; not a date or amount
            digits = sum(c.isdigit() for c in value)
            if digits > 15 or (digits < 9 and not value.startswith(("+", "00"))) or _DATE.match(value) \
                    or _AMOUNT_AFTER.match(text, b):
                return None
        elif kind == "NATIONAL_ID":  # typed by its label: the nearest on its line before it, else after it, else any
            before = [(a - m.end(), "\n" in text[m.end():a], m.group())
                      for m in ID_LABELS.finditer(text, max(0, a - LABEL_BEFORE), a)]
            after = [(m.start() - b, "\n" in text[b:m.start()], m.group())
                     for m in ID_LABELS.finditer(text, b, min(len(text), b + LABEL_AFTER))]
            if not before and not after:
                return None
            label = min((other_line, rank, distance, word) for rank, found in enumerate((before, after))
                        for distance, other_line, word in found)[3]
            return next((t for t, p in NATIONAL_ID_BY_LABEL if p.search(label)), "NATIONAL_ID")
        elif kind == "CREDIT_CARD" and _AMOUNT_AFTER.match(text, b):
            return None
        return kind

"""What replaces a detected value: placeholder, keyed pseudonym, or mask; plus the normalisation and keyed hashes
of the subject index. A pseudonym depends only on (key, entity type, normalised value), so the same value gets the
same fake in every record and every run with the same key, and a different one under another key."""
from __future__ import annotations

import functools
import hashlib
import hmac
import importlib
import random
import re
import unicodedata

import phonenumbers

EXAMPLE_DOMAINS = ["example.com", "example.org", "example.net"]  # reserved (RFC 2606): no real mailbox behind them
TEST_NETS = ["192.0.2", "198.51.100", "203.0.113"]  # reserved for documentation (RFC 5737)
NAME_LOCALES = ["en_GB", "en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]  # one pool for every language, so a
# name's fake does not depend on the language a record was detected in
PARTICLES = {"van", "von", "de", "der", "den", "da", "di", "del", "la", "le", "du", "des", "ten", "ter", "zu"}


def normalise(entity: str, value: str, regions: tuple[str, ...] = ()) -> str:
    """The form an erasure request is matched on: e-mails lower-cased, phones E.164, codes without separators."""
    v = unicodedata.normalize("NFKC", value).strip()
    if entity == "EMAIL_ADDRESS":
        return v.lower()
    if entity == "PHONE_NUMBER":
        for region in regions or ("GB",):
            try:
                number = phonenumbers.parse(v, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return re.sub(r"[^\d+]", "", v)
    if entity in ("PERSON", "LOCATION", "STREET_ADDRESS", "URL", "DATE_TIME"):
        return " ".join(v.casefold().split())
    return re.sub(r"[\s.\-/]", "", v).upper()


def keyed_hash(key: bytes, entity: str, normalised: str, purpose: str = "subject") -> bytes:
    return hmac.new(key, f"{purpose}\x1f{entity}\x1f{normalised}".encode(), hashlib.sha256).digest()


def subject_hash(key: bytes, entity: str, value: str, regions: tuple[str, ...] = ()) -> str:
    return keyed_hash(key, entity, normalise(entity, value, regions)).hex()[:32]


def placeholder(entity: str, value: str) -> str:
    return f"<{entity}>"


def mask(value: str, char: str = "*") -> str:
    """Same length and separators, every letter and digit hidden."""
    return "".join(char if c.isalnum() else c for c in value)


@functools.cache
def _names(kind: str) -> tuple[str, ...]:
    attrs = ("first_names", "first_names_male", "first_names_female") if kind == "first" else ("last_names",)
    out: set[str] = set()
    for loc in NAME_LOCALES:
        p = importlib.import_module(f"faker.providers.person.{loc}").Provider
        for attr in attrs:
            out.update(n for n in (getattr(p, attr, None) or ()) if n.isalpha() and len(n) > 2)
    return tuple(sorted(out))


@functools.cache
def _faker(locale: str):
    from faker import Faker

    return Faker(locale)


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and (c.isalnum() or c in ".-"))


def _same_case(fake: str, original: str) -> str:
    return fake.upper() if original.isupper() and len(original) > 1 else fake.lower() if original.islower() else fake


class Pseudonymizer:
    """Realistic fakes seeded by HMAC-SHA256(key, type, normalised value). The key stays in memory."""

    def __init__(self, key: bytes, regions: tuple[str, ...] = ()):
        self._key = key
        self.regions = regions

    def __repr__(self) -> str:  # never show the key
        return "Pseudonymizer(<key hidden>)"

    def _rng(self, entity: str, value: str) -> random.Random:
        return random.Random(keyed_hash(self._key, entity, value, "pseudonym"))

    def name_part(self, token: str, role: str) -> str:
        """role: first | last | initial. Token-wise, so 'Oliver', 'Oliver Bennett' and 'Mr Bennett' stay coherent."""
        norm = token.strip(".").casefold()
        rng = self._rng(f"PERSON.{role}", norm)
        if role == "initial":
            return rng.choice("ABCDEFGHJKLMNPRSTVW") + ("." if token.endswith(".") else "")
        pool = _names(role)
        fake = pool[rng.randrange(len(pool))]
        if fake.casefold() == norm:
            fake = pool[(pool.index(fake) + 1) % len(pool)]
        return _same_case(fake, token)

    def person(self, value: str, roles: dict[str, str]) -> str:
        """roles: what a single word was seen as elsewhere in the same record ('bennett' -> 'last')."""
        parts = re.split(r"(\s+)", value)
        words = [i for i, p in enumerate(parts) if p and not p.isspace()]
        for n, i in enumerate(words):
            w = parts[i]
            if w.casefold() in PARTICLES and 0 < n < len(words) - 1:
                continue
            if len(w.rstrip(".")) == 1:
                role = "initial"
            elif len(words) == 1:
                role = roles.get(w.casefold(), "first")
            else:
                role = "last" if n == len(words) - 1 else "first"
            parts[i] = self.name_part(w, role)
        return "".join(parts)

    def email(self, value: str) -> str:
        local, _, _domain = value.rpartition("@")
        rng = self._rng("EMAIL_ADDRESS", normalise("EMAIL_ADDRESS", value))
        m = re.fullmatch(r"([A-Za-z]+)[._-]([A-Za-z]+)\d*", local)
        if m:  # first.last@ -> the same fakes the person's name gets, so dialogue and address agree
            first, last = m.groups()
            first = self.name_part(first, "initial" if len(first) == 1 else "first").rstrip(".")
            local = f"{first}.{self.name_part(last, 'last')}"
        else:
            local = f"{rng.choice(_names('first'))}.{rng.choice(_names('last'))}"
        return f"{_ascii(local).lower()}@{rng.choice(EXAMPLE_DOMAINS)}"

    def phone(self, value: str) -> str:
        """Country code and first digit kept, the rest replaced: the shape stays realistic for the region."""
        rng = self._rng("PHONE_NUMBER", normalise("PHONE_NUMBER", value, self.regions))
        keep = 2 if value.lstrip().startswith("0") else 1
        if value.lstrip().startswith("+"):
            try:
                keep = len(str(phonenumbers.parse(value).country_code)) + 1
            except phonenumbers.NumberParseException:
                keep = 3
        return self._digits(value, rng, keep)

    @staticmethod
    def _digits(value: str, rng: random.Random, keep: int) -> str:
        out, seen = [], 0
        for c in value:
            if c.isdigit():
                seen += 1
                out.append(c if seen <= keep else str(rng.randrange(10)))
            else:
                out.append(c)
        fake = "".join(out)
        if fake == value:  # vanishingly rare, but a pseudonym must never be the value
            fake = fake[:-1] + str((int(fake[-1]) + 1) % 10) if fake[-1].isdigit() else fake + "0"
        return fake

    def iban(self, value: str) -> str:
        """Same country, length and grouping; new account number with valid check digits."""
        rng = self._rng("IBAN_CODE", normalise("IBAN_CODE", value))
        compact = re.sub(r"[\s-]", "", value).upper()
        bban = "".join(str(rng.randrange(10)) if c.isdigit() else rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
                       for c in compact[4:])
        numeric = "".join(str(int(c, 36)) for c in bban + compact[:2] + "00")
        fake = f"{compact[:2]}{98 - int(numeric) % 97:02d}{bban}"
        return self._regroup(fake if not value[:2].islower() else fake.lower(), value)

    def card(self, value: str) -> str:
        rng = self._rng("CREDIT_CARD", normalise("CREDIT_CARD", value))
        digits = [c for c in value if c.isdigit()]
        body = digits[0] + "".join(str(rng.randrange(10)) for _ in digits[1:-1])
        total = sum(int(d) if i % 2 else sum(divmod(int(d) * 2, 10)) for i, d in enumerate(reversed(body)))
        return self._regroup(body + str((10 - total % 10) % 10), value)

    @staticmethod
    def _regroup(compact: str, original: str) -> str:
        it = iter(compact)
        return "".join(next(it, "") if c.isalnum() else c for c in original)

    def ip(self, value: str) -> str:
        rng = self._rng("IP_ADDRESS", normalise("IP_ADDRESS", value))
        if ":" in value:
            return f"2001:db8::{rng.randrange(1, 0xFFFF):x}"
        return f"{rng.choice(TEST_NETS)}.{rng.randrange(1, 255)}"

    def place(self, entity: str, value: str) -> str:
        rng = self._rng(entity, normalise(entity, value))
        fk = _faker(rng.choice(["en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL"]))
        fk.seed_instance(rng.randrange(2**32))
        if entity == "LOCATION":
            return fk.city()
        with_postcode = re.search(r"\d{4,5}|[A-Z]\d[A-Z\d]? ?\d[A-Z]{2}", value)
        return f"{fk.street_address()}, {fk.postcode()} {fk.city()}" if with_postcode else fk.street_address()

    def other(self, entity: str, value: str) -> str:
        """Identifiers without a generator of their own: same shape, new characters."""
        rng = self._rng(entity, normalise(entity, value))
        if entity == "URL":
            return f"https://example.com/u/{rng.randrange(16**8):08x}"
        out = "".join(str(rng.randrange(10)) if c.isdigit() else
                      (rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") if c.isupper() else rng.choice("abcdefghjkmnprstuvwxyz"))
                      if c.isalpha() else c for c in value)
        return out if out != value else out + "0"

    def fake(self, entity: str, value: str, roles: dict[str, str]) -> str:
        if entity == "PERSON":
            return self.person(value, roles)
        if entity == "EMAIL_ADDRESS":
            return self.email(value)
        if entity == "PHONE_NUMBER":
            return self.phone(value)
        if entity == "IBAN_CODE":
            return self.iban(value)
        if entity == "CREDIT_CARD":
            return self.card(value)
        if entity == "IP_ADDRESS":
            return self.ip(value)
        if entity in ("LOCATION", "STREET_ADDRESS"):
            return self.place(entity, value)
        return self.other(entity, value)

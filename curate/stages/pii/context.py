"""Context words. A match's score is lifted (+0.35, at least 0.4) when one of its recognizer's words occurs near
it (ContextMatcher: 64 characters before, 32 after, within one text field). Phone and IP words are per record
language; an identifier's labels (ID_LABELS) are the same in every language, because labels are quoted across
languages ("IBAN", "AHV-Nr.", "BSN", "codice fiscale") and a short record's language is often misdetected."""
from __future__ import annotations

import functools

import regex as re

CONTEXT: dict[str, dict[str, list[str]]] = {
    "en": {
        "PHONE_NUMBER": ["phone", "telephone", "tel", "mobile", "cell", "call", "fax", "whatsapp", "reach", "answer",
                         "desk", "office", "dial", "text me", "sms"],
        "IBAN_CODE": ["iban", "bank", "account", "transfer", "refund", "sepa"],
        "CREDIT_CARD": ["card", "credit", "debit", "visa", "mastercard", "amex", "maestro", "cc", "jcb"],
        "IP_ADDRESS": ["ip", "address", "server", "host"],
        "ID": ["national", "insurance", "social security", "tax", "passport", "identity"],
    },
    "de": {
        "PHONE_NUMBER": ["telefon", "tel", "handy", "mobil", "rufnummer", "anruf", "ruf", "fax", "erreichbar",
                         "whatsapp"],
        "IBAN_CODE": ["iban", "konto", "bankverbindung", "überweisung", "bank", "lastschrift", "sepa"],
        "CREDIT_CARD": ["karte", "kreditkarte", "visa", "mastercard", "amex", "ec-karte"],
        "IP_ADDRESS": ["ip", "adresse", "server"],
        "ID": ["steuer", "identifikationsnummer", "idnr", "ausweis", "personalausweis", "sozialversicherung",
               "versicherungsnummer", "ahv"],
    },
    "fr": {
        "PHONE_NUMBER": ["téléphone", "telephone", "tél", "tel", "portable", "mobile", "appeler", "joindre", "fax"],
        "IBAN_CODE": ["iban", "rib", "compte", "virement", "banque", "prélèvement", "sepa"],
        "CREDIT_CARD": ["carte", "bancaire", "crédit", "visa", "mastercard", "cb"],
        "IP_ADDRESS": ["ip", "adresse", "serveur"],
        "ID": ["sécurité", "sociale", "nir", "insee", "identité", "avs", "fiscal"],
    },
    "es": {
        "PHONE_NUMBER": ["teléfono", "telefono", "tel", "móvil", "movil", "celular", "llamar", "llámame", "fax",
                         "whatsapp"],
        "IBAN_CODE": ["iban", "cuenta", "transferencia", "banco", "bancaria"],
        "CREDIT_CARD": ["tarjeta", "crédito", "credito", "débito", "visa", "mastercard"],
        "IP_ADDRESS": ["ip", "dirección", "servidor"],
        "ID": ["dni", "nie", "nif", "identidad", "documento", "extranjero"],
    },
    "it": {
        "PHONE_NUMBER": ["telefono", "tel", "cellulare", "cell", "chiamare", "chiamami", "numero", "fax", "whatsapp"],
        "IBAN_CODE": ["iban", "conto", "bonifico", "banca", "bancario"],
        "CREDIT_CARD": ["carta", "credito", "debito", "visa", "mastercard", "bancomat"],
        "IP_ADDRESS": ["ip", "indirizzo", "server"],
        "ID": ["codice", "fiscale", "cf", "identità", "tessera", "sanitaria", "partita"],
    },
    "nl": {
        "PHONE_NUMBER": ["telefoon", "tel", "mobiel", "gsm", "bellen", "bel", "nummer", "fax", "whatsapp"],
        "IBAN_CODE": ["iban", "rekening", "rekeningnummer", "overboeking", "bank"],
        "CREDIT_CARD": ["kaart", "creditcard", "visa", "mastercard", "pinpas"],
        "IP_ADDRESS": ["ip", "adres", "server"],
        "ID": ["bsn", "burgerservicenummer", "sofinummer", "identiteit", "paspoort"],
    },
}


# An identifier's own labels, every language together. Generic identity words (GENERIC_ID) are added to those of
# the national identifiers whose format is a bare digit run or close to one.
ID_LABELS: dict[str, list[str]] = {
    "IBAN_CODE": ["iban", "bic", "swift", "sepa", "konto", "kontonummer", "bankverbindung", "überweisung",
                  "lastschrift", "account", "bank", "transfer", "refund", "compte", "rib", "virement", "banque",
                  "prélèvement", "cuenta", "transferencia", "banco", "bancaria", "conto", "bonifico", "banca",
                  "bancario", "rekening", "rekeningnummer", "overboeking", "bankrekening"],
    "CREDIT_CARD": ["card", "credit", "debit", "visa", "mastercard", "amex", "maestro", "jcb", "diners", "cc",
                    "karte", "kreditkarte", "kartennummer", "ec-karte", "carte", "bancaire", "cb", "tarjeta",
                    "crédito", "débito", "carta", "credito", "debito", "bancomat", "kaart", "creditcard", "pinpas",
                    "cvv", "cvc", "expiry", "gültig"],
    "CH_AHV": ["ahv", "avs", "sozialversicherung", "versichertennummer", "assurance vieillesse", "assicurazione",
               "vecchiaia", "social security", "nss", "ssn"],
    "FR_NIR": ["nir", "sécurité sociale", "securite sociale", "sécu", "secu", "insee", "carte vitale",
               "social security", "nss", "ssn"],
    "NL_BSN": ["bsn", "burgerservicenummer", "sofinummer", "sofi", "persoonsnummer", "citizen service"],
    "DE_TAX_ID": ["steuer-id", "steuerid", "steuer", "identifikationsnummer", "idnr", "id-nr", "tin", "tax id",
                  "tax identification", "steuerliche"],
    "PL_PESEL": ["pesel"],
    "ES_NIF": ["dni", "nif", "documento nacional", "identificación", "identificacion"],
    "ES_NIE": ["nie", "extranjero", "extranjería", "identificación", "identificacion"],
    "IT_FISCAL_CODE": ["codice fiscale", "cod. fisc", "cod.fisc", "cf", "c.f", "fiscal code", "tax code",
                       "tessera sanitaria"],
    "EU_VAT": ["vat", "ust-idnr", "ust-id", "ustid", "umsatzsteuer", "mwst", "tva", "iva", "btw", "partita",
               "p.iva", "nif", "uid", "cif", "vat id", "numéro ide", "ide-nr"],
    "UK_NINO": ["national insurance", "nino", "ni number", "ni no"],
}
GENERIC_ID = ["national id", "national insurance", "social security", "identity", "identité", "identità",
              "identidad", "identiteit", "tax", "fiscal", "fiscale", "steuer", "sozialversicherung",
              "sécurité sociale"]  # not passport words: a number beside "passport" is a passport number


def all_words() -> set[str]:
    """Every context word: the NLP engine must not drop them as stop words ('call' is one in spaCy's list)."""
    return {w for table in CONTEXT.values() for ws in table.values() for w in ws} | \
        {w for ws in ID_LABELS.values() for w in ws}


def labels(entity: str, generic: bool = False) -> list[str]:
    """An identifier's labels in every language (plus the generic identity words for bare digit runs)."""
    return list(dict.fromkeys(ID_LABELS[entity] + (GENERIC_ID if generic else [])))


class ContextMatcher:
    """Is one of these words near a match? Raw text, not tokens, so labels of several words ("numéro de sécurité
    sociale", "codice fiscale") and labels with punctuation ("AHV-Nr.:", "USt-IdNr.") count. Words of up to three
    letters match whole words only ('ni', 'cf', 'tva': not inside 'continue'), four-letter words at a word start
    ('IBAN-Nummer', 'cardholder'), longer ones anywhere ('Kreditkarte', 'Mobiltelefon', like Presidio's
    substring match). The window stops at a blank line: text fields and paragraphs do not lend each other labels."""

    BEFORE, AFTER = 64, 32

    def __init__(self, words: list[str]):
        parts = []
        for w in sorted({w.lower().strip() for w in words if w.strip()}, key=len, reverse=True):
            e = re.escape(w)
            letters = sum(c.isalpha() for c in w)
            parts.append(rf"(?<![^\W_]){e}(?![^\W_])" if letters <= 3 else rf"(?<![^\W_]){e}" if letters == 4 else e)
        self.regex = re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def near(self, text: str, start: int, end: int) -> bool:
        if self.regex is None:
            return False
        a = max(0, start - self.BEFORE)
        cut = text.rfind("\n\n", a, start)
        a = cut + 2 if cut >= 0 else a
        b = min(len(text), end + self.AFTER)
        cut = text.find("\n\n", end, b)
        b = cut if cut >= 0 else b
        return bool(self.regex.search(text, a, start) or self.regex.search(text, end, b))


@functools.lru_cache(maxsize=512)
def matcher(words: tuple[str, ...]) -> ContextMatcher:
    return ContextMatcher(list(words))


# Phone words every record gets, whatever its detected language: a short line ("Teléfono: 779 021 982") is too
# short to detect and falls back to the default language. Not the bare 'number' words ('nummer' is in every
# German 'Bestellnummer'), nor short ones that are everyday words elsewhere.
_NOT_SHARED = {"numero", "nummer", "bel", "ruf", "reach", "answer", "desk", "office", "call", "dial", "cell"}


def words(language: str, entity: str) -> list[str]:
    """Context words for an entity in a language; other languages use English (Presidio's own words are English).
    Phone words of the other languages are added, except the generic ones (_NOT_SHARED)."""
    table = CONTEXT.get(language, CONTEXT["en"])
    own = table.get(entity, CONTEXT["en"].get(entity, []))
    if entity != "PHONE_NUMBER":
        return own
    shared = [w for t in CONTEXT.values() for w in t.get(entity, []) if w not in _NOT_SHARED]
    return list(dict.fromkeys(own + shared))

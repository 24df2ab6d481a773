"""Context words per language. Presidio lifts a match's score (+0.35, at least 0.4) when one of these occurs in
the five tokens before it; matching is by substring of the lower-cased token, so "telefon" also covers
"Telefonnummer". Without a lemmatizer (disabled for speed) the surface forms below are what is compared."""
from __future__ import annotations

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


def all_words() -> set[str]:
    """Every context word: the NLP engine must not drop them as stop words ('call' is one in spaCy's list)."""
    return {w for table in CONTEXT.values() for ws in table.values() for w in ws}


def words(language: str, entity: str) -> list[str]:
    """Context words for an entity in a language; other languages use English (Presidio's own words are English)."""
    table = CONTEXT.get(language, CONTEXT["en"])
    return table.get(entity, CONTEXT["en"].get(entity, []))


def id_words(language: str, native: list[str]) -> list[str]:
    """A national identifier's own words (often quoted in any language: "Steuer-ID", "BSN") plus generic ones."""
    return list(dict.fromkeys([w.lower() for w in native] + words(language, "ID")))

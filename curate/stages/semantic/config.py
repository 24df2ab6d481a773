"""Embedding-level (SemDeDup-style) deduplication settings."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from curate.section import Section

NAME = "semantic_dedup"  # in the report, rejects, lineage, metrics and gates


class SemanticDedupConfig(Section):
    enabled: bool = Field(default=True, description="SemDeDup-style removal of records that say the same thing")
    eps: float = Field(default=0.12, gt=0, lt=1, description="records with cosine >= 1 - eps in one cluster are "
                       "duplicates (when also the same kind, answers, negations and numbers), for pairs with a text "
                       "of short_words or more. Calibrated on benchmarks/dedup_eval.py --split calib --calibrate "
                       "(1,954 records, 739 labelled pairs; held-out --split test reported, never tuned on): eps "
                       "0.05 / 0.08 / 0.10 / 0.12 / 0.15 gave F1 0.937 / 0.944 / 0.943 / 0.948 / 0.944 (0.12 catches "
                       "more long paraphrases at no more false merges; 0.15 lets same-topic sentences through)")
    short_eps: float = Field(default=0.08, gt=0, lt=1, description="eps for a pair of texts both under short_words "
                             "words, where one word changes more of the meaning (calib sweep 0.04 / 0.06 / 0.08 / 0.10 "
                             "/ 0.12: F1 0.946 / 0.946 / 0.948 / 0.948 / 0.948, records lost without a kept "
                             "equivalent 5 / 5 / 6 / 7 / 8)")
    short_words: int = Field(default=20, ge=0, description="pairs whose texts both have fewer words (whitespace "
                             "split) use short_eps (calib sweep 0 / 10 / 20 / 40: F1 0.948 / 0.948 / 0.948 / 0.944; "
                             "20 loses fewer records than 0 or 10: 6 against 8)")
    clusters: int | None = Field(default=None, ge=1, description="k-means clusters; default sqrt(n/2), at least 1")
    model: str = Field(default="minilm-static", description="'minilm-static' (a static model distilled from the "
                       "shipped all-MiniLM-L6-v2 by model2vec's recipe, built once under the cache folder; dedup "
                       "benchmark test F1 0.947, at a small fraction of the transformer's cost), 'minilm' (the transformer, "
                       "int8 ONNX via onnxruntime, test F1 0.936), 'minilm-fp32' (the transformer through "
                       "sentence-transformers, fp32) or a local sentence-transformers folder")
    batch_size: int = Field(default=64, ge=1, description="texts per encode batch of the fp32 model (the int8 model "
                            "embeds each text alone, so its vectors do not depend on their batch)")
    max_tokens: int = Field(default=128, ge=8, le=512, description="word pieces embedded per text by the transformer "
                            "backends (the static model reads the whole text): all-MiniLM-L6-v2 "
                            "was trained on 128; its 256 default costs 2.5x the time on support chats for a "
                            "mean cosine of 0.976 to the truncated embedding")
    cache: bool = Field(default=True, description="cache embeddings by content hash so reruns skip the model")
    keep: Literal["first", "longest"] = Field(default="first", description="which record of a duplicate group stays")
    seed: int = Field(default=0, description="k-means seed; fixed for reproducible decisions")
    classification: Literal["report", "remove"] = Field(default="report", description="same-label paraphrases are "
                                                        "the point of an intent set: counted, kept ('remove' drops them)")
    conflict_eps: float = Field(default=0.05, gt=0, lt=1, description="texts with different labels at cosine >= "
                                "1 - conflict_eps are label conflicts: reported with both locators, both kept")
    answer_threshold: float = Field(default=0.5, ge=0, le=1, description="chat/instruction: a semantic match also "
                                    "needs the answers' word-shingle Jaccard here; another answer is another example "
                                    "(calib sweep 0.3 / 0.5 / 0.7: F1 0.948 / 0.948 / 0.946, but 0.3 loses 25 records "
                                    "without a kept equivalent instead of 6)")
    numbers: bool = Field(default=True, description="a close pair whose texts differ by a number replaced in place "
                          "is another example (as near_dedup.numbers)")

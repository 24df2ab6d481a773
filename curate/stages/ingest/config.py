"""Ingest settings: which files are data, how tabular headers map, and the size limits that keep a hostile file
from exhausting memory."""
from __future__ import annotations

from pydantic import Field

from curate.section import Section

NAME = "ingest"  # in the report, rejects, lineage, metrics and gates


class ColumnMapping(Section):
    glob: str = Field(description="which tabular files (CSV/TSV/Parquet) this mapping applies to, e.g. 'tickets/*.csv'")
    columns: dict[str, str] = Field(
        description="canonical field -> header in the file, e.g. {text = 'Body', label = 'Queue'}"
    )


class IngestConfig(Section):
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

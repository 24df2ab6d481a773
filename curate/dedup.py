"""What the three dedup stages (exact, near, semantic) share: the reject that names the record kept instead,
and the stats every one of them reports."""
from __future__ import annotations

from typing import Any

from curate.records import Record, Reject
from curate.stage import counts


def duplicate(rec: Record, stage: str, of: str, reason: str) -> Reject:
    return Reject(id=rec.id, provenance=rec.provenance, stage=stage, duplicate_of=of, reason=reason)


def dedup_stats(records: list[Record], kept: list[Record], rejected: list[Reject], **extra: Any) -> dict[str, Any]:
    rate = round(len(rejected) / len(records), 6) if records else 0.0
    return counts(len(records), kept, rejected, duplicate_rate=rate, **extra)


def prior_stats(prior_records: int, earlier: int) -> dict[str, int]:
    """Against a prior version: how many records it held, how many new ones duplicate one of them."""
    return {"prior_records": prior_records, "duplicates_of_earlier_versions": earlier}

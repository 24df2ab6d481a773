"""Erasure block: a record or subject erased on request (`curate forget`) stays out of later versions when new
exports bring it back. Two places in the flow: by record id right after reading, by subject after PII scrubbing
(which computes each record's keyed subject hashes)."""
from __future__ import annotations

from curate.records import Record, Reject, StageResult
from curate.stage import RunContext, Stage, counts


class KeepOutErased(Stage):
    name = "erasure_block"
    subjects_key: str | None = None  # the earlier stage detail mapping record id -> subject hashes

    def enabled(self, ctx: RunContext) -> bool:
        return ctx.prior is not None and bool(ctx.prior.erased)

    def run(self, records: list[Record], ctx: RunContext) -> StageResult:
        subjects = (ctx.detail(self.subjects_key) or {}) if self.subjects_key else {}
        return keep_out_erased(records, subjects, ctx.prior.erased, self.name)


class KeepOutErasedSubjects(KeepOutErased):
    name = "erasure_block_subjects"
    subjects_key = "subject_index"

    def preflight(self, ctx: RunContext) -> None:
        """Matching erased subjects needs the PII stage's keyed hashes, so its key."""
        if not any(len(k) > 16 for k in ctx.prior.erased):  # record ids only, no subject hashes
            return
        from curate.stages.pii.stage import PiiError, resolve_key

        if not ctx.cfg.pii.enabled or resolve_key(ctx.cfg.pii) is None:
            raise PiiError(f"the erasure log of version {ctx.prior.version}'s output lists erased subjects to keep "
                           f"out of new versions, which needs the PII stage and its HMAC key: set {ctx.cfg.pii.key_env}.")


def keep_out_erased(records: list[Record], subjects: dict[str, list[str]], erased: dict[str, int],
                    stage: str) -> StageResult:
    kept, rejected = [], []
    for rec in records:
        entry = erased.get(rec.id) or next((erased[h] for h in subjects.get(rec.id, []) if h in erased), None)
        if entry is None:
            kept.append(rec)
        else:
            rejected.append(Reject(id=rec.id, provenance=rec.provenance, stage=stage,
                                   reason=f"concerns a subject or record erased on request (erasure log entry {entry})"))
    return StageResult(kept, rejected, counts(len(records), kept, rejected))

"""DATASHEET.md: a "Datasheet for Datasets" (Gebru et al., 2021) for one published dataset version, written for
auditors (EU AI Act Art. 10 data governance / Annex IV technical documentation: what data trained the model, where
it came from, how it was processed and how its quality was tested).

    from curate.datasheet import DatasheetConfig, render_datasheet, load_pii_evaluation
    text = render_datasheet(manifest, DatasheetConfig(title="Support assistant data"), version=None)

Built only from what a run already wrote: the manifest (stage counts, stats, gates, sources and their sha256),
the optional version lineage, and the project's own PII evaluation (curate/stages/pii/evaluation.json). It never reads
the published records or rejects.jsonl, so no record text can reach it; from the stages' details it reads only
the PII operators, the pseudonym mode, the size of the subject index (never its contents), the label counts, the
diversity cluster sizes and the smoke run's model and verdict. Same inputs, same bytes: no timestamps, sorted keys.
"""
from __future__ import annotations

import json
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from curate.fmt import md_table, number
from curate.stages.diversity.config import NAME as DIVERSITY
from curate.stages.ingest.config import NAME as INGEST
from curate.stages.near.config import NAME as NEAR
from curate.stages.pii.config import NAME as PII
from curate.stages.semantic.config import NAME as SEMANTIC
from curate.stages.smoke.config import NAME as SMOKE
from curate.stages.validate.config import NAME as VALIDATE

__all__ = ["DatasheetConfig", "LIMITATIONS", "load_pii_evaluation", "render_datasheet"]

_MAX_CELL = 160  # reject reasons and labels are cut here: a datasheet names rules, not contents


class DatasheetConfig(BaseModel):
    """[datasheet] in curate.toml: what only a person can say about the dataset. Blanks are printed as such."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, description="the datasheet's title, e.g. the dataset's name")
    intended_use: str | None = Field(
        default=None, description="what the dataset is for: the model, the task, the users it serves")
    out_of_scope_use: str | None = Field(
        default=None, description="uses the dataset is not fit for, e.g. decisions about individuals")
    legal_basis: str | None = Field(
        default=None, description="GDPR Art. 6 basis for processing the personal data in the sources")
    retention: str | None = Field(
        default=None, description="how long the sources, this version and its rejects are kept, and who deletes them")
    contact: str | None = Field(
        default=None, description="who answers questions and erasure requests about this dataset")
    licence: str | None = Field(default=None, description="licence or terms the dataset is shared under")


LIMITATIONS = (
    "PII detection is not perfect: LOCATION recall is about 0.32 on multi-line international addresses "
    "(see the measured figures in section 5); street and city names in free text can survive the scrub.",
    "Spanish, Italian, German and Dutch text is scanned with the English or French spaCy NER models only "
    "(no native model installs offline), so names in those languages are found less reliably than in English.",
    "Near-duplicate removal is conservative: only pairs with {shingle} {ngram}-gram Jaccard similarity of at "
    "least {near} are removed, so paraphrases and lightly edited copies below that stay in.",
    "Smoke training is a {steps}-step LoRA proof that the data is learnable and fits the chat template; it is "
    "not an evaluation of the quality of a model trained on it.",
    "Forgetting a data subject removes their records from new dataset versions, but not from the weights of "
    "adapters or models already trained on earlier versions; see the erasure log for what was removed when.",
)


def load_pii_evaluation() -> dict:
    """The project's measured PII recall (benchmarks/pii_eval.py), shipped as curate/stages/pii/evaluation.json."""
    text = resources.files("curate.stages.pii").joinpath("evaluation.json").read_text(encoding="utf-8")
    return json.loads(text)


def render_datasheet(manifest: dict, cfg: DatasheetConfig, version: dict | None = None,
                     pii_evaluation: dict | None = None) -> str:
    """DATASHEET.md for the run described by `manifest` (the dict in manifest.json).

    version: the lineage of this dataset version ({"name", "parent", "new_sources", "carried", "superseded"}),
    or None for a single run. pii_evaluation: None reads the shipped evaluation (load_pii_evaluation()); pass {}
    to leave it out.
    """
    if pii_evaluation is None:
        pii_evaluation = load_pii_evaluation()
    sheet = _Sheet(manifest, cfg, version, pii_evaluation)
    return "\n\n".join(section(sheet).strip("\n") for section in SECTIONS) + "\n"


# ---------------------------------------------------------------- formatting


def _fmt(v: Any) -> str:
    if isinstance(v, (int, float)) or v is None:
        return number(v, 6, none="not measured", nonfinite="n/a")
    return _cell(str(v))


def _cell(s: Any, limit: int = _MAX_CELL) -> str:
    s = " ".join(str(s).split())
    if len(s) > limit:
        s = s[:limit - 1].rstrip() + "…"
    return s.replace("\\", "\\\\").replace("|", "\\|")


def _code(s: Any) -> str:
    return f"`{_cell(s).replace('`', '')}`"


def _table(head: list[str], rows: list[list[str]]) -> str:
    return md_table(head, rows, escape=False)  # cells are escaped by _cell


def _blank(field: str) -> str:
    return f"_not provided — set [datasheet].{field} in curate.toml_"


def _share(n: float, total: float) -> str:
    return f"{100 * n / total:.1f} %" if total else "-"


_DIVERSITY = {
    "vendi": "Vendi score: effective number of distinct examples in the embedding sample",
    "vendi_normalised": "Vendi score over its maximum for the sample size (0 to 1)",
    "mean_nn_distance": "mean cosine distance from each sampled example to its nearest neighbour",
    "cluster_entropy": "entropy of k-means cluster sizes, normalised (1 = examples spread evenly over topics)",
    "largest_cluster_share": "share of the sample in the largest k-means cluster",
    "sampled": "records in the embedding sample",
    "distinct_1": "distinct words over all words in the outputs",
    "distinct_2": "distinct word pairs over all word pairs in the outputs",
    "first_turn_top_share": "share of chats that open with the most common first user message",
    "first_turn_distinct_ratio": "distinct first user messages over chats",
    "labels": "number of classification labels",
    "label_min_count": "examples of the rarest label",
    "label_balance": "rarest label count over most common label count (1 = balanced)",
}

_SMOKE = {
    "heldout_loss_base": "held-out validation loss, base model",
    "heldout_loss_adapter": "held-out validation loss, after LoRA training",
    "heldout_improvement_share": "relative drop of the held-out loss",
    "loss_first_window": "training loss of the first batches when trained on",
    "loss_first_window_after": "training loss of the same batches after training",
    "loss_drop_share": "relative drop of the training loss on the first batches, once trained on",
    "input_dependence_nats": "held-out loss rise when each reply follows another example's prompt",
    "reference_loss_base": "loss on shipped general English text, base model",
    "reference_loss_adapter": "loss on shipped general English text, after training",
    "forgetting_rise_share": "relative rise of the loss on general English text (forgetting proxy)",
    "nonfinite": "NaN or infinite losses or gradients",
    "steps": "optimizer steps run",
    "steps_planned": "optimizer steps planned",
    "examples_train": "training examples drawn",
    "examples_heldout": "held-out examples scored",
    "supervised_token_coverage": "share of training examples that keep assistant tokens",
    "top_output_share": "share of examples carrying the single most common output",
}

_BASIC = ("records_in", "kept", "rejected")


class _Sheet:
    """What every section reads: the manifest, the [datasheet] answers, the version lineage, the PII evaluation."""

    def __init__(self, manifest: dict, cfg: DatasheetConfig, version: dict | None, evaluation: dict):
        self.m = manifest
        self.cfg = cfg
        self.version = version
        self.evaluation = evaluation
        self.stages = [s for s in manifest.get("stages") or [] if isinstance(s, dict)]
        self.config = manifest.get("config") or {}

    def stage(self, name: str) -> dict | None:
        return next((s for s in self.stages if s.get("stage") == name), None)

    def conf(self, section: str, key: str, default: Any = None) -> Any:
        sec = self.config.get(section)
        return sec.get(key, default) if isinstance(sec, dict) else default

    def field(self, name: str) -> str:
        value = getattr(self.cfg, name)
        return value.strip() if value and value.strip() else _blank(name)

    @property
    def title(self) -> str:
        return self.cfg.title.strip() if self.cfg.title and self.cfg.title.strip() else "Dataset datasheet"


# ---------------------------------------------------------------- sections, in the order of SECTIONS


def header(sheet: _Sheet) -> str:
    v = f"version {sheet.version.get('name')}" if sheet.version and sheet.version.get("name") else "this run"
    return (f"# {_cell(sheet.title, 200)}\n\n"
            f"_Datasheet for {v} of the dataset, generated by curate {sheet.m.get('curate_version', '?')} from "
            f"its manifest.json. It follows \"Datasheets for Datasets\" (Gebru et al., 2021): where the data "
            f"came from, how it was processed and how its quality was tested. It holds counts and measurements "
            f"only, never record text._")

def summary(sheet: _Sheet) -> str:
    acc = sheet.m.get("accounting") or {}
    gates = sheet.m.get("gates") or []
    failed = [g.get("name") for g in gates if g.get("status") == "fail"]
    warned = [g.get("name") for g in gates if g.get("status") == "warn"]
    if sheet.m.get("publishable"):
        verdict = "**publishable**: every gate of severity 'fail' passed"
    else:
        verdict = "**NOT publishable**" + (f": failed gate(s) {', '.join(_code(n) for n in failed)}"
                                           if failed else "")
    if warned:
        verdict += f"; warning(s): {', '.join(_code(n) for n in warned)}"
    ver = "single run (no version lineage)"
    if sheet.version:
        ver = _cell(sheet.version.get("name") or "unnamed")
        parent = sheet.version.get("parent")
        ver += f" (parent {_cell(parent)})" if parent else " (first version)"
    balanced = acc.get("balanced")
    rows = [
        ["Title", _cell(sheet.title, 200)],
        ["Dataset version", ver],
        ["curate version", _cell(sheet.m.get("curate_version", "unknown"))],
        ["Verdict", verdict],
        ["Records in", _fmt(acc.get("records_in"))],
        ["Records published", _fmt(acc.get("published"))],
        ["Records rejected", f"{_fmt(acc.get('rejected'))} (each listed in rejects.jsonl with its reason)"],
        ["Accounting", "balanced: in = published + rejected" if balanced else
         ("NOT balanced" if balanced is False else "not recorded")],
        ["Published files", f"{len(sheet.m.get('outputs') or [])} (sha256 of each in manifest.json)"],
    ]
    out = ["## 1. Summary", _table(["item", "value"], rows), "### Datasets", _datasets_table(sheet)]
    if sheet.version:
        out += ["### Version lineage", _version_list(sheet)]
    return "\n\n".join(out)

def _datasets_table(sheet: _Sheet) -> str:
    ds = sheet.m.get("datasets") or {}
    if not ds:
        return "_no dataset was published_"
    rows, tt, tv = [], 0, 0
    for name in sorted(ds):
        t, v = int(ds[name].get("train", 0)), int(ds[name].get("validation", 0))
        tt, tv = tt + t, tv + v
        rows.append([_code(name), str(t), str(v), str(t + v)])
    rows.append(["**total**", str(tt), str(tv), str(tt + tv)])
    return _table(["dataset", "train", "validation", "total"], rows)

def _version_list(sheet: _Sheet) -> str:
    v = sheet.version or {}
    new = v.get("new_sources") or []
    lines = [f"- Version: {_cell(v.get('name') or 'unnamed')}",
             f"- Parent version: {_cell(v['parent']) if v.get('parent') else 'none (first version)'}",
             f"- New sources in this version: {len(new)}"]
    lines += [f"  - {_code(s)}" for s in sorted(map(str, new))]
    lines += [f"- Records carried over from the parent: {_fmt(v.get('carried'))}",
              f"- Records superseded: {_fmt(v.get('superseded'))}"]
    for key in sorted(k for k in v if k not in ("name", "parent", "new_sources", "carried", "superseded")):
        value = v[key]
        if isinstance(value, (list, tuple)):
            value = ", ".join(sorted(map(str, value))) or "none"
        elif isinstance(value, dict):
            value = json.dumps(value, sort_keys=True, ensure_ascii=False)
        lines.append(f"- {_cell(key)}: {_fmt(value)}")
    return "\n".join(lines)

def motivation(sheet: _Sheet) -> str:
    return "\n\n".join([
        "## 2. Motivation and intended use",
        f"- **Intended use:** {sheet.field('intended_use')}\n"
        f"- **Out-of-scope use:** {sheet.field('out_of_scope_use')}",
    ])

def composition(sheet: _Sheet) -> str:
    out = ["## 3. Composition"]
    inputs = sorted(sheet.m.get("inputs") or [], key=lambda i: (str(i.get("source")), str(i.get("sha256"))))
    new = {str(s) for s in (sheet.version or {}).get("new_sources") or []}
    ingest = sheet.stage(INGEST)
    stats = (ingest or {}).get("stats") or {}
    text = f"### Sources\n\n{len(inputs)} source file(s) contributed records (published or rejected)"
    if "files_skipped" in stats:
        text += f"; {_fmt(stats['files_skipped'])} file(s) beside them were skipped as documentation"
    out.append(text + ". The sha256 identifies the exact file that was read.")
    if inputs:
        head, rows = ["source", "sha256"], []
        for i in inputs:
            row = [_code(i.get("source")), _code(i.get("sha256"))]
            if sheet.version:
                row.append("new" if str(i.get("source")) in new else "earlier")
            rows.append(row)
        if sheet.version:
            head.append("in this version")
        out.append(_table(head, rows))
    formats = {k.split(".", 1)[1]: v for k, v in stats.items() if k.startswith("format.")}
    if formats:
        total = sum(formats.values())
        out += ["### Input formats",
                _table(["format", "records read", "share"],
                       [[_code(f), _fmt(n), _share(n, total)] for f, n in sorted(formats.items())])]
    ds = sheet.m.get("datasets") or {}
    if ds:
        total = sum(int(d.get("train", 0)) + int(d.get("validation", 0)) for d in ds.values())
        rows = [[_code(n), str(int(ds[n].get("train", 0)) + int(ds[n].get("validation", 0))),
                 _share(int(ds[n].get("train", 0)) + int(ds[n].get("validation", 0)), total)] for n in sorted(ds)]
        split = sheet.config.get("split") or {}
        note = ""
        if "validation_fraction" in split:
            note = (f"\n\nTrain/validation split: {_fmt(split['validation_fraction'])} of each dataset held out "
                    f"for validation, seed {_fmt(split.get('seed'))}.")
        out += ["### Record kinds (published datasets)", _table(["dataset", "records", "share"], rows) + note]
    out.append(_labels(sheet))
    vstats = (sheet.stage(VALIDATE) or {}).get("stats") or {}
    tok = [k for k in ("tokens.min", "tokens.p50", "tokens.mean", "tokens.p95", "tokens.max", "tokens.total")
           if k in vstats]
    if tok:
        tokenizer = sheet.conf(VALIDATE, "tokenizer")
        out += ["### Length (tokens per record, before deduplication)" +
                (f"\n\nCounted with the {_code(tokenizer)} tokenizer." if tokenizer else ""),
                _table([k.split(".", 1)[1] for k in tok], [[_fmt(vstats[k]) for k in tok]])]
    return "\n\n".join(out)

def _labels(sheet: _Sheet) -> str:
    div = sheet.stage(DIVERSITY) or {}
    details, stats = div.get("details") or {}, div.get("stats") or {}
    parts = ["### Label balance"]
    counts = details.get("label_counts") or {}
    if counts:
        total = sum(counts.values())
        parts.append(_table(["label", "published records", "share"],
                            [[_code(lbl), _fmt(n), _share(n, total)] for lbl, n in sorted(counts.items())]))
    summary = [f"{k.replace('_', ' ')} {_fmt(stats[k])}" for k in ("labels", "label_min_count", "label_balance")
               if k in stats]
    if summary:
        parts.append("Classification labels: " + "; ".join(summary) + " (rarest over most common).")
    kto = details.get("kto_label_counts") or {}
    if kto:
        parts.append("Desirable/undesirable (KTO) labels: " +
                     ", ".join(f"{_cell(k)} {_fmt(n)}" for k, n in sorted(kto.items())) + ".")
    if len(parts) == 1:
        parts.append("_no classification labels in this dataset_")
    return "\n\n".join(parts)

def processing(sheet: _Sheet) -> str:
    out = ["## 4. Collection and processing",
           "Every record read from the sources passed through the stages below in this order; each stage "
           "either kept a record or rejected it with a reason (rejects.jsonl). Cheap checks run first."]
    rows = [[_code(s.get("stage")), _fmt(s.get("records_in")), _fmt(s.get("kept")), _fmt(s.get("rejected"))]
            for s in sheet.stages]
    out += ["### Funnel", _table(["stage", "in", "kept", "rejected"], rows) if rows else "_no stages recorded_"]
    reasons = []
    for s in sheet.stages:
        by = s.get("rejects_by_reason") or {}
        for reason, n in sorted(by.items(), key=lambda kv: (-kv[1], kv[0])):
            reasons.append([_code(s.get("stage")), _cell(reason), _fmt(n)])
    out += ["### Rejections by reason",
            _table(["stage", "reason", "records"], reasons) if reasons else "_no record was rejected_"]
    settings = _settings(sheet)
    if settings:
        out += ["### Processing settings", "\n".join(settings)]
    metrics = []
    for s in sheet.stages:
        if s.get("stage") in (PII, DIVERSITY, SMOKE):
            continue  # sections 5, 7 and 8
        st = s.get("stats") or {}
        for k in sorted(st):
            if k in _BASIC or k.startswith(("format.", "tokens.")) or isinstance(st[k], (dict, list, str)):
                continue
            metrics.append([_code(s.get("stage")), _code(k), _fmt(st[k])])
    if metrics:
        out += ["### Stage measurements", _table(["stage", "metric", "value"], metrics)]
    return "\n\n".join(out)

def _settings(sheet: _Sheet) -> list[str]:
    c = sheet.conf
    lines = []
    if "ignore_case" in (sheet.config.get("dedup") or {}):
        lines.append(f"- Exact deduplication: identical normalised content"
                     f"{', case ignored' if c('dedup', 'ignore_case') else ', case-sensitive'}.")
    if sheet.config.get(NEAR):
        if c(NEAR, "enabled", True):
            lines.append(f"- Near-duplicate removal: MinHash over {_fmt(c('near_dedup', 'ngram'))}-"
                         f"{_cell(c('near_dedup', 'shingle', 'word'))} shingles, "
                         f"{_fmt(c('near_dedup', 'num_perm'))} permutations, verified Jaccard >= "
                         f"{_fmt(c('near_dedup', 'threshold'))}, keep {_cell(c('near_dedup', 'keep', 'first'))}.")
        else:
            lines.append("- Near-duplicate removal: disabled in the configuration.")
    if sheet.config.get(SEMANTIC):
        if c(SEMANTIC, "enabled", True):
            eps = c(SEMANTIC, "eps")
            sim = _fmt(round(1 - eps, 6)) if isinstance(eps, (int, float)) else "not recorded"
            lines.append(f"- Semantic deduplication: {_cell(c('semantic_dedup', 'model'))} sentence embeddings; "
                         f"a record with cosine similarity >= {sim} to a kept one is removed.")
        else:
            lines.append("- Semantic deduplication: disabled in the configuration.")
    if c(VALIDATE, "max_tokens") is not None:
        sev = (c(VALIDATE, "severity") or {}).get("too_many_tokens", "error")
        lines.append(f"- Validation: JSON Schema per record kind plus content rules; a record over "
                     f"{_fmt(c('validate', 'max_tokens'))} tokens is "
                     f"{'rejected' if sev == 'error' else 'flagged (' + _cell(sev) + ')'}.")
    allowed = c(VALIDATE, "allowed_labels")
    if allowed:
        lines.append(f"- Allowed classification labels: {', '.join(_code(x) for x in sorted(map(str, allowed)))}.")
    return lines

def personal_data(sheet: _Sheet) -> str:
    out = ["## 5. Personal data handling"]
    pii = sheet.stage(PII)
    st, det = (pii or {}).get("stats") or {}, (pii or {}).get("details") or {}
    if pii is None:
        out.append("**The PII scrub stage did not run for this version: the data was not checked for "
                   "personal data.**")
    elif st.get("enabled") == 0:
        out.append("**The PII scrub stage was disabled in the configuration: the data was not checked for "
                   "personal data.**")
    else:
        index = det.get("subject_index")
        pseud = det.get("pseudonyms", "not recorded")
        rows = [["Records scanned", _fmt(st.get("records_in"))],
                ["Records with personal data found", _fmt(st.get("records_with_pii"))],
                ["Entities replaced", _fmt(st.get("entities"))],
                ["Residual direct identifiers after the scrub", _fmt(st.get("residual"))],
                ["Records with a residual identifier", _fmt(st.get("residual_records"))],
                ["Pseudonyms", _cell(pseud)],
                ["Subject index (for erasure requests)",
                 f"{len(index)} record(s) indexed by keyed hash; contents not shown"
                 if isinstance(index, dict) else "not recorded"]]
        if st.get("key_missing"):
            rows.append(["HMAC key", "missing: pseudonym entities were replaced by placeholders and erasure "
                                     "requests cannot be matched to records"])
        out += [_table(["item", "value"], rows)]
        out += ["### Entities", _entities(sheet, st, det)]
        out += ["### Languages", _languages(sheet, st)]
    out += ["### Measured detection quality", _evaluation(sheet)]
    return "\n\n".join(out)

def _entities(sheet: _Sheet, st: dict, det: dict) -> str:
    ops = det.get("operators") or {}
    found = {k.split(".", 1)[1]: v for k, v in st.items() if k.startswith("entity.")}
    recs = {k.split(".", 1)[1]: v for k, v in st.items() if k.startswith("records.")}
    resid = {k.split(".", 1)[1]: v for k, v in st.items() if k.startswith("residual.")}
    names = sorted(set(ops) | set(found) | set(resid))
    if not names:
        return "_no entity types recorded_"
    rows = [[_code(e), _fmt(found.get(e, 0)), _fmt(recs.get(e, 0)), _cell(ops.get(e, "not configured")),
             _fmt(resid.get(e, 0))] for e in names]
    return ("Every configured entity type, with what was found and how it was replaced (placeholder: "
            "`<TYPE>`; pseudonym: a consistent fake value derived from a keyed hash).\n\n" +
            _table(["entity type", "found", "records", "operator", "residual"], rows))

def _languages(sheet: _Sheet, st: dict) -> str:
    langs = sorted({k.split(".")[1] for k in st if k.startswith("lang.")})
    ner = sheet.conf("pii", "ner_models") or {}
    rows = [[_code(code), _fmt(st.get(f"lang.{code}", 0)), _fmt(st.get(f"lang.{code}.entities", 0)),
             _code(ner.get(code, ner.get("xx", "-")))] for code in langs]
    text = _table(["language", "records", "entities", "NER model"], rows) if rows else "_none recorded_"
    configured = sheet.conf("pii", "languages")
    if configured:
        text += f"\n\nConfigured languages: {', '.join(_code(x) for x in configured)}."
    if "lang_other" in st:
        text += f" Records in another language (scanned with the fallback model): {_fmt(st['lang_other'])}."
    return text

def _evaluation(sheet: _Sheet) -> str:
    ev = sheet.evaluation or {}
    datasets = ev.get("datasets") or {}
    if not datasets:
        return "_no measured detection figures were supplied_"
    rows = []
    for name in sorted(datasets):
        for metric, value in sorted((datasets[name] or {}).items()):
            rows.append([_code(name), _code(metric), _fmt(value)])
    text = (f"Recall of the project's own PII detection on public span-labelled evaluation sets (Presidio's "
            f"synthetic PII datasets), measured with `{_cell(ev.get('command', 'unknown command'))}` on "
            f"{_cell(ev.get('measured', 'an unrecorded date'))}. These are properties of the detector, not "
            f"measurements on this dataset.\n\n" + _table(["evaluation set", "metric", "value"], rows))
    if ev.get("notes"):
        text += f"\n\nNote: {_cell(ev['notes'], 400)}."
    return text

def gates(sheet: _Sheet) -> str:
    gates = sheet.m.get("gates") or []
    status = {"pass": "pass", "fail": "**FAIL**", "warn": "warn", "skip": "skip (not measured)"}
    rows = [[_code(g.get("name")), _cell(g.get("severity", "")),
             status.get(g.get("status"), _cell(g.get("status"))),
             _code(g.get("metric")), _fmt(g.get("value")),
             f"{_cell(g.get('op', ''))} {_fmt(g.get('threshold'))}", _cell(g.get("reason", ""), 300)]
            for g in gates]
    body = _table(["gate", "severity", "status", "metric", "value", "needs", "why"], rows) if rows \
        else "_no gates recorded_"
    return ("## 6. Quality gates\n\nEach gate compares one measured metric with a threshold from the "
            "configuration. A failed gate of severity 'fail' makes the version unpublishable; 'warn' is "
            "reported only.\n\n" + body)

def diversity(sheet: _Sheet) -> str:
    div = sheet.stage(DIVERSITY)
    out = ["## 7. Diversity and bias indicators",
           "These indicators show how varied the examples are (in sentence-embedding space and in wording) and "
           "how evenly labels are spread; they cannot show whether the data represents the people, languages or "
           "situations the model will serve, and no demographic or protected attribute is recorded or "
           "inferred, so they are not a bias audit."]
    if div is None:
        out.append("_the diversity stage did not run_")
        return "\n\n".join(out)
    st = div.get("stats") or {}
    keys = [k for k in _DIVERSITY if k in st] + sorted(k for k in st if k not in _DIVERSITY and k not in _BASIC)
    rows = [[_code(k), _fmt(st[k]), _DIVERSITY.get(k, "")] for k in keys]
    out.append(_table(["indicator", "value", "meaning"], rows) if rows else "_no indicators recorded_")
    sizes = (div.get("details") or {}).get("cluster_sizes")
    if sizes:
        out.append(f"Topic cluster sizes (k-means on the embedding sample): {', '.join(map(str, sizes))}.")
    return "\n\n".join(out)

def smoke(sheet: _Sheet) -> str:
    sm = sheet.stage(SMOKE)
    out = ["## 8. Smoke training"]
    if sm is None:
        why = ("disabled in the configuration" if sheet.conf(SMOKE, "enabled", True) is False else
               "skipped for this run, or an earlier gate failed")
        out.append(f"**Not run** ({why}): there is no evidence from a training run that this data is learnable.")
        return "\n\n".join(out)
    st, det = sm.get("stats") or {}, sm.get("details") or {}
    facts = [f"{label}: {_cell(det[key])}" for key, label in
             (("model", "base model"), ("device", "device"), ("precision", "precision")) if det.get(key)]
    curve = det.get("loss_curve")
    if isinstance(curve, list) and curve:
        facts.append(f"loss curve: {len(curve)} steps, first {_fmt(curve[0])}, last {_fmt(curve[-1])}")
    if det.get("stopped_early"):
        facts.append(_cell(det["stopped_early"], 300))
    out.append("A short LoRA run on a sample of the train split, judged on the validation split it never saw. "
               "The adapter and smoke/metrics.json are published with the dataset.")
    if facts:
        out.append("\n".join(f"- {f}" for f in facts))
    keys = [k for k in _SMOKE if k in st] + sorted(k for k in st if k not in _SMOKE and k not in _BASIC)
    out.append(_table(["measurement", "value", "meaning"], [[_code(k), _fmt(st[k]), _SMOKE.get(k, "")]
                                                            for k in keys]))
    verdict = det.get("verdict") or []
    rows = [[_code(v[0]), "pass" if v[1] else "**FAIL**", _cell(v[2], 300)] for v in verdict
            if isinstance(v, (list, tuple)) and len(v) >= 3]
    if rows:
        out += ["### Smoke checks", _table(["check", "result", "sentence"], rows)]
    return "\n\n".join(out)

def limitations(sheet: _Sheet) -> str:
    fill = {"near": _fmt(sheet.conf(NEAR, "threshold", 0.8)),
            "shingle": _cell(sheet.conf(NEAR, "shingle", "word")),
            "ngram": _fmt(sheet.conf(NEAR, "ngram", 5)), "steps": _fmt(sheet.conf(SMOKE, "steps", 16))}
    items = [t.format(**fill) for t in LIMITATIONS]
    gates = sheet.m.get("gates") or []
    for g in gates:
        if g.get("status") in ("fail", "warn"):
            word = "Failed gate" if g["status"] == "fail" else "Warning"
            items.append(f"{word} {_code(g.get('name'))}: {_code(g.get('metric'))} = {_fmt(g.get('value'))}, "
                         f"needs {_cell(g.get('op', ''))} {_fmt(g.get('threshold'))} — "
                         f"{_cell(g.get('reason', ''), 300)}.")
    pii = sheet.stage(PII) or {}
    st = pii.get("stats") or {}
    if st.get("key_missing"):
        items.append("No HMAC key was set for this run: names, e-mails and phone numbers became placeholders "
                     "instead of pseudonyms, and the subject index is empty, so erasure requests cannot be "
                     "matched to records of this version.")
    if st.get("residual"):
        items.append(f"{_fmt(st['residual'])} direct identifier(s) were still detected after the scrub.")
    if st.get("lang_other"):
        items.append(f"{_fmt(st['lang_other'])} record(s) are in a language outside the configured PII "
                     f"languages and were scanned with the fallback model only.")
    if (sheet.m.get("accounting") or {}).get("balanced") is False:
        items.append("The record accounting is not balanced: some records are neither published nor rejected.")
    return "## 9. Known limitations\n\n" + "\n".join(f"- {i}" for i in items)

def legal(sheet: _Sheet) -> str:
    return "\n\n".join([
        "## 10. Legal basis, retention, contact and licence",
        f"- **Legal basis:** {sheet.field('legal_basis')}\n"
        f"- **Retention:** {sheet.field('retention')}\n"
        f"- **Contact:** {sheet.field('contact')}\n"
        f"- **Licence:** {sheet.field('licence')}",
    ])


SECTIONS = [header, summary, motivation, composition, processing, personal_data, gates, diversity, smoke,
            limitations, legal]

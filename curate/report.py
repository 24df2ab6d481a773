"""report.md (also the CI summary) and a self-contained report.html (plots embedded as PNG), verdict first.

Text from records appears only after the PII stage has scrubbed it; otherwise examples are shown by locator."""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curate.fmt import md_table, number
from curate.verdict import GateResult
from curate.records import Record, StageResult, is_timing
from curate.views import comparable_text
from curate.stages.diversity.config import NAME as DIVERSITY
from curate.stages.near.config import NAME as NEAR
from curate.stages.pii.config import NAME as PII
from curate.stages.semantic.config import NAME as SEMANTIC
from curate.stages.validate.config import NAME as VALIDATE

ICON = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "skip": "SKIP"}
PII = PII
PII_LABELS = {"checksum_failed": "scrubbed, checksum failed", "residual": "residual identifiers (independent check)"}


def verdict_line(gates: list[GateResult], publishable: bool) -> str:
    fails = [g for g in gates if g.status == "fail"]
    warns = [g for g in gates if g.status == "warn"]
    if publishable:
        return f"PASS: all {sum(g.status == 'pass' for g in gates)} measured gates passed" + (
            f", {len(warns)} warning(s)." if warns else ".")
    return f"FAIL: {len(fails)} gate(s) failed: {', '.join(g.name for g in fails)}. The dataset is not publishable."


def gates_table(gates: list[GateResult]) -> list[list[str]]:
    return [[ICON[g.status], g.name, g.metric, number(g.value), f"{g.op} {number(g.threshold)}", g.reason] for g in gates]


def funnel_table(stages: list[tuple[str, StageResult]]) -> list[list[str]]:
    rows = []
    for name, res in stages:
        reasons: dict[str, int] = {}
        for r in res.rejected:
            key = r.reason.split(" (")[0].split(" of ")[0] if r.duplicate_of else r.reason.split(" at ")[0].split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
        top = ", ".join(f"{k} ({n})" for k, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
        rows.append([name, str(len(res.kept) + len(res.rejected)), str(len(res.kept)), str(len(res.rejected)), top])
    return rows


GATE_HEAD = ["", "gate", "metric", "value", "needs", "why"]
FUNNEL_HEAD = ["stage", "in", "kept", "rejected", "top reasons"]


def summary_markdown(gates: list[GateResult], stages: list[tuple[str, StageResult]], publishable: bool) -> str:
    """The short form: CI step summary and the top of report.md."""
    return "\n\n".join(["# curate verdict", f"**{verdict_line(gates, publishable)}**",
                        md_table(GATE_HEAD, gates_table(gates)), "## Funnel", md_table(FUNNEL_HEAD, funnel_table(stages))])


def _stage(stages: list[tuple[str, StageResult]], name: str) -> StageResult | None:
    return next((res for n, res in stages if n == name), None)


def _conflict_row(c: Any) -> list[str]:
    if isinstance(c, dict):
        return [str(c.get("a", "")), str(c.get("b", "")), str(c.get("labels", "")), number(c.get("cosine"))]
    return [str(x) for x in (list(c) + ["", "", "", ""])[:4]]


@dataclass
class _Run:
    """What the report reads, each thing once: stage results, metrics, published records and their text."""
    stages: list[tuple[str, StageResult]]
    metrics: dict[str, float]
    records: list[Record]
    texts: dict[str, str] = field(init=False)  # record id -> the text dedup compared

    def __post_init__(self) -> None:
        self.texts = {r.id: comparable_text(r) for r in self.records}

    def stage(self, name: str) -> StageResult | None:
        return _stage(self.stages, name)


Section = tuple[str, list[str], list[list[str]]]


def _validation(run: _Run) -> list[Section]:
    val = run.stage(VALIDATE)
    if val is None:
        return []
    ex = val.details.get("examples", {})
    rows = [[k[5:], number(v), val.details.get("severity", {}).get(k[5:], ""), ", ".join(ex.get(k[5:], [])[:3])]
            for k, v in val.stats.items() if k.startswith("rule.")]
    return [("Validation findings by rule", ["rule", "records", "severity", "examples"], rows)]


def _personal_data(run: _Run) -> list[Section]:
    pii = run.stage(PII)
    if pii is None:
        return []
    rows = [[PII_LABELS.get(k, k), number(v)] for k, v in pii.stats.items()
            if k not in ("records_in", "kept", "rejected") and not is_timing(k)]
    # What the independent residual check found in the published text: where to look, never the value.
    found = pii.details.get("residual") or []
    return [("Personal data found and scrubbed", ["metric", "value"], rows),
            ("Residual identifiers to review", ["type", "source", "locator", "field"],
             [[str(f.get("type", "")), str(f.get("source", "")), str(f.get("locator", "")), str(f.get("field", ""))]
              for f in found[:200]])]


def _diversity(run: _Run) -> list[Section]:
    div = [[k.split(".", 1)[1], number(v)] for k, v in run.metrics.items()
           if k.startswith((f"{DIVERSITY}.", "leakage.")) or ".leakage." in k]
    out = [("Diversity and leakage", ["metric", "value"], div)]
    labels = _label_counts(run)
    if labels:
        out.append(("Label balance", ["label", "records"], [[k, str(v)] for k, v in labels.items()]))
    return out


def _label_conflicts(run: _Run) -> list[Section]:
    sem = run.stage(SEMANTIC)
    conflicts = (sem.details.get("label_conflicts") if sem is not None else None) or []
    if not conflicts:
        return []
    return [("Label conflicts (near-identical texts, different labels; both kept)",
             ["record", "other", "labels", "cosine"], [_conflict_row(c) for c in conflicts[:200]])]


def _near_clusters(run: _Run) -> list[Section]:
    near = run.stage(NEAR)
    if near is None or not near.details.get("cluster_examples"):
        return []
    scrubbed = run.stage(PII) is not None
    by_id = {r.id: r for r in run.records}
    rows = []
    for cluster in near.details["cluster_examples"]:
        kept = by_id.get(cluster[0])
        if kept is None:
            continue
        text = run.texts[kept.id][:160] if scrubbed else "(text shown only after PII scrubbing)"
        rows.append([kept.provenance.where(), str(len(cluster)), text])
    return [("Largest near-duplicate clusters (kept record)", ["kept record", "size", "text"], rows)]


SECTIONS = [_validation, _personal_data, _diversity, _label_conflicts, _near_clusters]


def _sections(run: _Run) -> list[Section]:
    return [section for make in SECTIONS for section in make(run)]


def _label_counts(run: _Run) -> dict[str, int] | None:
    return (run.stage(DIVERSITY) or StageResult([], [])).details.get("label_counts")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _plots(run: _Run) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = []
    def hist(title: str, values: list[int], xlabel: str, color: str) -> None:
        if values:
            fig, ax = plt.subplots(figsize=(6, 2.6))
            ax.hist(values, bins=40, color=color)
            ax.set_xlabel(xlabel)
            ax.set_ylabel("records")
            plots.append((title, _png(fig)))

    hist("Token lengths", [r.metadata["tokens"] for r in run.records if "tokens" in r.metadata],
         "tokens per record (SmolLM2 tokenizer)", "#4477aa")
    hist("Text lengths", [len(t) for t in run.texts.values()], "characters per record (user + assistant text)",
         "#66ccee")
    labels = _label_counts(run)
    if labels:
        fig, ax = plt.subplots(figsize=(6, 2.6))
        ax.bar(list(labels), list(labels.values()), color="#228833")
        ax.set_ylabel("records")
        plots.append(("Label balance", _png(fig)))
    projection = _projection(run)
    if projection is not None:
        plots.append(("Diversity: 2-D projection of the embeddings, coloured by source", projection))
    return plots


def _vectors(run: _Run, live: list[Record]):
    """The embeddings semantic dedup computed for these records (its index); the model (or its cache) only for
    records it did not embed in this run: carried over from an earlier version, or the stage was off."""
    import numpy as np

    from curate.embeddings import embed

    held: dict[str, Any] = {}
    for _, res in run.stages:
        held.update(res.index.get("embedding", {}))
    missing = [r for r in live if r.id not in held]
    if missing:
        vecs, _ = embed([run.texts[r.id] for r in missing])
        held.update(zip((r.id for r in missing), vecs))
    return np.stack([held[r.id] for r in live])


def _projection(run: _Run, limit: int = 2000) -> str | None:
    import numpy as np

    live = [r for r in run.records if run.texts[r.id].strip()][:limit]
    if len(live) < 3:
        return None
    vecs = _vectors(run, live)
    centred = vecs - vecs.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2] * np.sign(vt[:2, :1] + 1e-12)  # fix the SVD's sign so reruns draw the same picture
    xy = centred @ axes.T
    import matplotlib.pyplot as plt

    groups: dict[str, list[int]] = {}
    for i, r in enumerate(live):
        key = r.provenance.source.split("/")[0] if "/" in r.provenance.source else r.provenance.source
        groups.setdefault(key, []).append(i)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, idx in sorted(groups.items(), key=lambda kv: -len(kv[1]))[:10]:
        ax.scatter(xy[idx, 0], xy[idx, 1], s=8, label=f"{key} ({len(idx)})")
    ax.legend(fontsize=7, loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    return _png(fig)


def _html_table(head: list[str], rows: list[list[str]], status_col: bool = False) -> str:
    cells = []
    for r in rows:
        cls = f' class="{r[0].lower()}"' if status_col else ""
        cells.append(f"<tr{cls}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>")
    return ("<table><thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "".join(cells) + "</tbody></table>")


CSS = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{margin-bottom:.2em}.verdict{font-size:1.3em;padding:.6em 1em;border-radius:6px}
.ok{background:#e3f4e3}.bad{background:#fbe3e3}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:.9em;vertical-align:top}
tr.fail td:first-child{background:#f4b6b6;font-weight:bold}tr.warn td:first-child{background:#fde7a9}
tr.pass td:first-child{background:#bfe5bf}tr.skip td:first-child{color:#888}img{max-width:100%}
td:nth-child(5){white-space:nowrap}"""


def write_reports(folder: Path, stages: list[tuple[str, StageResult]], gates: list[GateResult],
                  metrics: dict[str, float], records: list[Record], counts: dict[str, dict[str, int]],
                  publishable: bool) -> None:
    run = _Run(stages, metrics, records)
    sections = _sections(run)
    md = [summary_markdown(gates, stages, publishable)]
    md.append("## Datasets\n\n" + md_table(["dataset", "train", "validation"],
                                             [[k, str(v["train"]), str(v["validation"])] for k, v in counts.items()]))
    md += [f"## {title}\n\n{md_table(head, rows)}" for title, head, rows in sections if rows]
    (folder / "report.md").write_text("\n\n".join(md) + "\n", encoding="utf-8")

    parts = [f"<h1>curate report</h1><p class='verdict {'ok' if publishable else 'bad'}'>"
             f"{html.escape(verdict_line(gates, publishable))}</p>",
             "<h2>Gates</h2>", _html_table(GATE_HEAD, gates_table(gates), status_col=True),
             "<h2>Funnel</h2>", _html_table(FUNNEL_HEAD, funnel_table(stages)),
             "<h2>Datasets</h2>", _html_table(["dataset", "train", "validation"],
                                              [[k, str(v["train"]), str(v["validation"])] for k, v in counts.items()])]
    for title, png in _plots(run):
        parts.append(f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64,{png}'>")
    for title, head, rows in sections:
        if rows:
            parts.append(f"<h2>{html.escape(title)}</h2>" + _html_table(head, rows))
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>curate report</title><style>{CSS}</style>"
            f"</head><body>{''.join(parts)}</body></html>\n")
    (folder / "report.html").write_text(page, encoding="utf-8")

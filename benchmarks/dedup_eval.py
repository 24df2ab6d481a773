"""Our near-duplicate decisions against upstream's similarity filtering of GPTeacher's Toolformer set.

What is compared
  Input: alpaca-cleaned-gpteacher/toolformer-dedupe-only-dataset.json (7,673 instruction records), read with
  curate.ingest.ingest (record i = array index i, checked through its provenance locator "/i").
  Reference: toolformer_similarity_labels.csv, derived from upstream's 0.9/0.8/0.7/0.6 similarity-filtered files;
  a record is "removed upstream at t" when kept_at_t is 0/false. Upstream's similarity method is undocumented and
  the labels have caveats (SOURCE.md: 2 records of the filtered files match nothing, 6 records kept at 0.6 are not
  kept at 0.9), so these numbers measure agreement, not accuracy.
  Ours: curate.dedup_minhash.dedup_near at several Jaccard thresholds, with and without ignore_boilerplate (the
  tool header shared by every instruction), and curate.dedup_semantic.dedup_semantic at a few eps values
  (MiniLM embeddings: about 4 minutes on 2 CPU cores the first time, then read from the embedding cache).
  Printed: records removed by each setting and precision / recall / F1 of "removed" against each upstream
  threshold, then the setting closest (by F1) to each upstream threshold.

Run:  .venv/bin/python benchmarks/dedup_eval.py          (--help for options; exit code is always 0)
"""
import argparse
import csv
import time
from pathlib import Path

from curate.config import Config, NearDedupConfig, SemanticDedupConfig
from curate.dedup_minhash import dedup_near
from curate.dedup_semantic import dedup_semantic
from curate.ingest import ingest

DATA = Path("/work/shared/data/alpaca-cleaned-gpteacher")
UPSTREAM = (0.9, 0.8, 0.7, 0.6)


def upstream_removed(path: Path) -> dict[float, set[int]]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {t: {int(r["index_in_dedupe_only"]) for r in rows if r[f"kept_at_{t}"].strip().lower() in ("0", "false")}
            for t in UPSTREAM}


def prf(ours: set[int], ref: set[int]) -> tuple[float, float, float]:
    tp = len(ours & ref)
    p, r = tp / len(ours) if ours else 0.0, tp / len(ref) if ref else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def run_settings(records: list, thresholds: list[float], shares: list[float],
                 eps_values: list[float]) -> list[tuple[str, set[int], float]]:
    """(setting, removed indices, seconds) for every setting; indices come from the rejects' provenance."""
    def removed(result) -> set[int]:
        return {int(r.provenance.locator.lstrip("/")) for r in result.rejected}

    out = []
    for share in [None] + shares:  # None: the boilerplate option off
        for t in thresholds:
            start = time.perf_counter()
            res = dedup_near(records, NearDedupConfig(threshold=t, ignore_boilerplate=share is not None,
                                                      boilerplate_min_share=share or 0.5))
            what = "kept" if share is None else f"ignored (share>={share:g}: {res.stats['boilerplate_lines']} lines)"
            out.append((f"minhash J>={t:g} boilerplate {what}", removed(res), time.perf_counter() - start))
    for i, eps in enumerate(eps_values):
        if i == 0:
            print(f"embedding {len(records):,} records for semantic dedup (about 4 min the first time, cached after) ...",
                  flush=True)
        start = time.perf_counter()
        res = dedup_semantic(records, SemanticDedupConfig(eps=eps))
        out.append((f"semantic eps={eps:g} (cos>={1 - eps:g})", removed(res), time.perf_counter() - start))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="Compare curate's near-duplicate (MinHash) and semantic dedup "
                                 "decisions with upstream's similarity-filtered Toolformer sets (see module docstring).")
    ap.add_argument("--data", type=Path, default=DATA, help=f"dataset folder (default {DATA})")
    ap.add_argument("--thresholds", default="0.3,0.5,0.7,0.8,0.9", help="our Jaccard thresholds (default %(default)s)")
    ap.add_argument("--boilerplate-shares", default="0.5,0.1", help="boilerplate_min_share values tried with "
                    "ignore_boilerplate on (default %(default)s; 0.5 is curate's default)")
    ap.add_argument("--eps", default="0.05,0.1,0.2", help="semantic dedup eps values (default %(default)s)")
    ap.add_argument("--no-semantic", action="store_true", help="skip the semantic dedup settings")
    args = ap.parse_args()
    t0 = time.perf_counter()
    records = ingest(args.data / "toolformer-dedupe-only-dataset.json", Config(), progress=False).kept
    assert [r.provenance.locator for r in records] == [f"/{i}" for i in range(len(records))], "records out of order"
    ref = upstream_removed(args.data / "toolformer_similarity_labels.csv")
    eps_values = [] if args.no_semantic else [float(e) for e in args.eps.split(",")]
    rows = run_settings(records, [float(t) for t in args.thresholds.split(",")],
                        [float(s) for s in args.boilerplate_shares.split(",") if s], eps_values)

    print(f"\n{len(records):,} records; upstream removes " + ", ".join(f"{len(ref[t]):,} at {t}" for t in UPSTREAM))
    fmt = "{:<60} {:>7} {:>7}" + " {:>16}" * len(UPSTREAM)
    print("precision / recall / F1 of our removals against upstream's removals at each similarity threshold")
    print(fmt.format("our setting", "removed", "secs", *(f"vs upstream {t}" for t in UPSTREAM)))
    for name, ours, secs in rows:
        cells = ["{:.2f}/{:.2f}/{:.2f}".format(*prf(ours, ref[t])) for t in UPSTREAM]
        print(fmt.format(name, f"{len(ours):,}", f"{secs:.1f}", *cells))

    print("(SOURCE.md counts 1,714 and 5,277 removals at 0.9 and 0.6: the labels' unmatched records add 2 and 1)")
    print("\ninterpretation: upstream's method is undocumented, so this is agreement, not accuracy.")
    for t in UPSTREAM:
        best = max(rows, key=lambda row: prf(row[1], ref[t])[2])
        best_minhash = max((r for r in rows if r[0].startswith("minhash")), key=lambda row: prf(row[1], ref[t])[2])
        for label, (name, ours, _) in (("closest", best), ("closest MinHash", best_minhash))[:1 + (best != best_minhash)]:
            p, r, f1 = prf(ours, ref[t])
            print(f"  {label} to upstream {t}: {name} (F1 {f1:.2f}, precision {p:.2f}, recall {r:.2f}, "
                  f"removes {len(ours):,} vs {len(ref[t]):,})")
    print(f"\ntotal wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()

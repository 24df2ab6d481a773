"""curate's command line: a dispatch table of commands. Exit codes: 0 passed, 1 a gate failed, 2 usage or input error
(one plain sentence), 3 internal error (a crash log; --debug shows the traceback)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from curate import __version__
from curate.errors import EXIT_GATE_FAILED, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError

_BROKEN: Exception | None = None  # a module that fails to import is an internal error (exit 3), reported by main()
try:
    from curate.config import ConfigError, load_config
    from curate.embeddings import EmbeddingModelUnavailable
    from curate.forget import ForgetError
    from curate.verdict import GateFailed
    from curate.stages.ingest.folder import InputError
    from curate.output import OutputError
    from curate.stages.validate.schemas import SchemaRefused
    from curate.stages.smoke.model import SmokeModelUnavailable
    from curate.stages.smoke.train import SmokeError
    from curate.tokens import TokenizerUnavailable

    # Errors that are the user's input or set-up, not a bug: one plain sentence, exit 2.
    USAGE_ERRORS: tuple[type[Exception], ...] = (
        UsageError, ForgetError, ConfigError, InputError, OutputError, SchemaRefused, TokenizerUnavailable,
        EmbeddingModelUnavailable, SmokeModelUnavailable, SmokeError)
except Exception as exc:  # noqa: BLE001
    _BROKEN = exc
    USAGE_ERRORS = (UsageError,)

FORMATS = [
    ("OpenAI chat JSONL", '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]}'),
    ("OpenAI tool calls", '{"messages": [..., {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": "{}"}}]}], "tools": [...]}'),
    ("OpenAI preference (DPO)", '{"input": {"messages": [...]}, "preferred_output": [{"role": "assistant", ...}], "non_preferred_output": [...]}'),
    ("ShareGPT", '{"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}'),
    ("Alpaca (JSON array or JSONL)", '{"instruction": "Translate", "input": "Bonjour", "output": "Hello"}'),
    ("prompt/completion", '{"prompt": "2+2=", "completion": "4"}'),
    ("input/output, question/answer", '{"input": "...", "output": "..."}'),
    ("preference pairs", '{"prompt": "...", "chosen": "...", "rejected": "..."}  (strings or message lists)'),
    ("KTO", '{"messages": [...], "label": true}'),
    ("OpenAssistant trees", '{"message_tree_id": "...", "prompt": {"role": "prompter", "text": "...", "replies": [...]}}'),
    ("self-instruct tasks", '{"instruction": "...", "instances": [{"input": "", "output": "..."}]}'),
    ("classification", '{"text": "My card was charged twice", "label": "billing"}'),
    ("CSV / TSV / Parquet", "headers text,label | input,output | question,answer | prompt,completion, or [[ingest.columns]]"),
    ("plain text", ".txt / .md files become one text record each; a JSONL line that is a bare string too"),
    ("compressed", "any of the above as .gz; a .zip of exports (members read in place, unsafe paths refused)"),
    ("HH-RLHF transcripts", '{"chosen": "\\n\\nHuman: Hi\\n\\nAssistant: Hello!", "rejected": "\\n\\nHuman: Hi\\n\\nAssistant: Go away."}  '
                            "(shared leading turns = the prompt; also User:/Assistant:, ### Human:/### Assistant:, "
                            "<|user|>/<|assistant|> in chosen, rejected, prompt, a chat field or a text field)"),
    ("UltraFeedback-binarized", '{"prompt": "Hi", "chosen": [{"role": "user", ...}, {"role": "assistant", ...}], '
                                '"rejected": [...], "score_chosen": 8.0}  (the repeated prompt is removed)'),
    ("StackExchange-paired", '{"question": "...", "response_j": "better", "response_k": "worse"}'),
    ("rated completions", '{"prompt": "...", "completions": [{"response": "...", "overall_score": 7}, ...]}  '
                          "(binarised: best vs worst score; the rule goes into metadata.binarised)"),
    ("Dolly", '{"instruction": "...", "context": "...", "response": "...", "category": "open_qa"}  '
              "(context joins the user turn, category goes into metadata)"),
    ("Alpaca with system/history", '{"instruction": "...", "input": "", "output": "...", "system": "...", '
                                   '"history": [["q1", "a1"]]}'),
    ("query/response, question/answer+context", '{"query": "...", "response": "...", "history": [...]} | '
                                                '{"question": "...", "context": "...", "answer": "..."}'),
    ("chats under other keys", '{"conversation" | "dialog" | "dialogue" | "turns" | "chat" | "thread" | '
                               '"utterances": [...]}; messages as role/content, from/value, speaker/text, author/body, '
                               'sender/message or [speaker, text] pairs; plain strings alternate user/assistant'),
    ("helpdesk rows", "CSV/TSV/Parquet/JSONL, one message per row: a conversation or ticket id, a timestamp, a role "
                      "(or an author: the first is the user) and the text; grouped into chats in time order"),
    ("CSV dialects", "the delimiter is sniffed from the header line: comma, ';' (European Excel), tab or '|'"),
    ("Excel", ".xlsx: the first sheet, header row first, like a CSV (needs openpyxl; without it the file is a "
              "reject that says so)"),
    ("repairs", "before rejecting, chats are repaired and each repair counted and kept in lineage: "
                + ", ".join(__import__("curate.stages.ingest.repair", fromlist=["REPAIRS"]).REPAIRS)
                + " (warn rules: raise to error in [validate.severity])"),
    *[(f"role aliases -> {role}", ", ".join(names))
      for role, names in __import__("curate.stages.ingest.roles", fromlist=["role_table"]).role_table()],
]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="curate", description="Turn messy exports into a fine-tuning dataset people can trust.")
    p.add_argument("--version", action="version", version=f"curate {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    p.epilog = ("exit codes: 0 passed, 1 a quality gate failed, 2 usage or input error, 3 internal error "
                "(a bug: the log file named on stderr has the traceback)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="curate a folder of exports into a dataset",
                         description="Ingest SRC, run every stage, publish the dataset to --out.")
    run.add_argument("src", type=Path, help="folder (or single file) of raw exports")
    run.add_argument("--out", type=Path, default=Path("curated"), help="output folder (default: ./curated)")
    run.add_argument("--config", type=Path, help="curate.toml to use (default: ./curate.toml or [tool.curate] in ./pyproject.toml)")
    run.add_argument("--force", action="store_true",
                     help="replace an earlier curate output in --out (only a folder curate wrote; never the input)")
    run.add_argument("--no-prefect", action="store_true",
                     help="run the stages directly, without starting Prefect's temporary server (same outputs)")
    run.add_argument("--seed", type=int, help="override split.seed")
    smoke = run.add_mutually_exclusive_group()
    smoke.add_argument("--skip-smoke", action="store_const", dest="smoke", const="skip",
                       help="do not run the LoRA smoke-training gate")
    smoke.add_argument("--force-smoke", action="store_const", dest="smoke", const="force",
                       help="run the smoke gate even when an earlier gate failed")
    run.set_defaults(smoke="auto")
    run.add_argument("--smoke-model", help="smoke-training base model: smollm2 (default), tiny, or a local folder")
    run.add_argument("--incremental", action="store_true",
                     help="--out is a versioned root: curate only new or changed files, deduplicate them against "
                          "every earlier version, publish the next version (v0001, v0002, …) and move `latest`")
    _runner_args(run)
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    srv = sub.add_parser("serve", help="serve a scheduled Prefect deployment that curates new exports into versions",
                         description="Serve the curate flow as a Prefect deployment (flow.serve): on each scheduled run "
                                     "it curates the new files of SRC into the next version under --out (as "
                                     "`run --incremental`). Runs until interrupted. With PREFECT_API_URL set it "
                                     "registers with that server; otherwise it starts a local `prefect server` for "
                                     "as long as it serves and prints its address.")
    srv.add_argument("src", type=Path, help="folder the exports arrive in")
    srv.add_argument("--out", type=Path, required=True, help="versioned output root")
    srv.add_argument("--config", type=Path, help="curate.toml to use")
    when = srv.add_mutually_exclusive_group()
    when.add_argument("--cron", default="0 2 * * *", help="cron schedule (default: 02:00 every day)")
    when.add_argument("--interval", type=float, help="run every N seconds instead of a cron schedule")
    srv.add_argument("--timezone", default="UTC", help="time zone of the cron schedule (default: UTC)")
    srv.add_argument("--name", default="curate-scheduled", help="deployment name")
    srv.add_argument("--skip-smoke", action="store_const", dest="smoke", const="skip", default="auto",
                     help="do not run the LoRA smoke-training gate")
    _runner_args(srv)
    srv.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    fgt = sub.add_parser("forget", help="erase a subject, source file or record from a versioned output",
                         description="Remove every published record of a subject (matched by keyed hash in the PII "
                                     "stage's subject index: needs the same CURATE_PII_KEY), of a source file, or one "
                                     "record; publish a new version without them, append to erasure_log.jsonl (ids "
                                     "and reason, never the value) and list trained adapters that need retraining.")
    fgt.add_argument("--out", type=Path, required=True, help="versioned output root (from run --incremental)")
    which = fgt.add_mutually_exclusive_group(required=True)
    which.add_argument("--subject", help="an e-mail, phone number, IBAN, name or other identifier of the person")
    which.add_argument("--source", help="an input file name as provenance shows it")
    which.add_argument("--record", help="a record id")
    fgt.add_argument("--all-versions", action="store_true", help="also rewrite every earlier version")
    fgt.add_argument("--reason", default="erasure request (GDPR art. 17)", help="reason written to the erasure log")
    fgt.add_argument("--config", type=Path, help="curate.toml the runs used")
    fgt.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    lin = sub.add_parser("lineage", help="where a record came from; register trained adapters",
                         description="show RECORD_ID: its source, what each stage did, and which version holds it. "
                                     "add ADAPTER: record that an adapter was trained on a version, so `forget` "
                                     "lists it for retraining.")
    lin_sub = lin.add_subparsers(dest="lineage_command", metavar="ACTION", required=True)
    show = lin_sub.add_parser("show", help="print a record's history")
    show.add_argument("record_id")
    show.add_argument("--out", type=Path, default=Path("curated"), help="output folder or versioned root")
    add = lin_sub.add_parser("add", help="register an adapter trained on a version")
    add.add_argument("adapter", help="path or URI of the trained adapter")
    add.add_argument("--out", type=Path, required=True, help="versioned output root")
    add.add_argument("--version", help="version it was trained on (default: latest)")
    add.add_argument("--name", help="a name for it")
    lin.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    chk = sub.add_parser("check", help="CI gate: measure a dataset as it is; exit 0 pass, 1 a gate failed, 2 error",
                         description="Run every measuring stage and the gates on PATH. Nothing is modified; nothing "
                                     "is written unless --report-dir (Markdown summary, JUnit XML, metrics.json, "
                                     "report.html). The summary is appended to $GITHUB_STEP_SUMMARY when set.")
    chk.add_argument("src", type=Path, help="dataset folder or file")
    chk.add_argument("--config", type=Path, help="curate.toml to use")
    chk.add_argument("--report-dir", type=Path, help="write summary.md, junit.xml, metrics.json and report.html here")
    chk.add_argument("--quiet", action="store_true", help="no progress bars")
    chk.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    init = sub.add_parser("init", help="write a commented curate.toml with every default and its reason")
    init.add_argument("path", type=Path, nargs="?", default=Path("curate.toml"))
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    sub.add_parser("formats", help="list the export formats curate reads, with an example of each")
    sch = sub.add_parser("schemas", help="list the JSON Schemas records are validated against")
    sch.add_argument("--write", action="store_true", help="regenerate schemas/ from the pydantic models")
    sub.add_parser("rules", help="list the validation rules and their default severity")
    ins = sub.add_parser("inspect", help="one row per input file: shape, records read, rejected, top reason",
                         description="Ingest and validate SRC (no token counting) and print the table of files, in "
                                     "seconds. Nothing is written.")
    ins.add_argument("src", type=Path, help="folder (or single file) of exports")
    ins.add_argument("--config", type=Path, help="curate.toml to use")
    ins.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    val = sub.add_parser("validate", help="ingest and validate only; exit 1 when any record fails",
                         description="Ingest PATH and run the validation stage; nothing is written unless --rejects.")
    val.add_argument("src", type=Path, help="folder (or single file) of exports")
    val.add_argument("--config", type=Path, help="curate.toml to use")
    val.add_argument("--rejects", type=Path, help="write the rejects (locators and reasons, never text) to this JSONL file")
    val.add_argument("--quiet", action="store_true", help="no progress bars")
    val.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return p


def _runner_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runner", choices=["local", "dask"], default="local",
                   help="local: stages run in this process; dask: shards of ingest, validation, PII and embedding "
                        "work run on a Dask cluster (plain Dask tasks; workers need no Prefect)")
    p.add_argument("--dask-address", help="scheduler address of an existing Dask cluster (default: start a LocalCluster)")
    p.add_argument("--dask-workers", type=int, default=2, help="LocalCluster worker processes (default: 2)")


def _summary(out: Path, seconds: float) -> str:
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    lines = [f"{'stage':<14}{'in':>9}{'kept':>9}{'rejected':>10}"]
    for s in m["stages"]:
        lines.append(f"{s['stage']:<14}{s['records_in']:>9}{s['kept']:>9}{s['rejected']:>10}")
    lines.append("")
    for name, c in m["datasets"].items():
        lines.append(f"{name:<14} train {c['train']:>7}   validation {c['validation']:>6}   -> {out / name}")
    a = m["accounting"]
    carried = f" + {a['carried']} carried from {m['version']['parent']}" if a.get("carried") else ""
    lines.append(f"\n{a['records_in']} records in{carried} = {a['published']} published + {a['rejected']} rejected "
                 f"(see {out / 'rejects.jsonl'}); {seconds:.1f} s")
    return "\n".join(lines)


def _config(args: argparse.Namespace):
    """The config, with every gate checked now (a threshold out of range is a usage error before any work)."""
    from curate.gates import effective_gates
    from curate.stages.smoke.checks import smoke_gates

    cfg = load_config(args.config, src=getattr(args, "src", None))
    effective_gates(cfg, smoke_gates(cfg.smoke))
    return cfg


def _schemas(args: argparse.Namespace) -> int:
    from curate.stages.validate.schemas import KINDS, SCHEMA_DIR, write_kind_schemas

    if args.write:
        write_kind_schemas()
    for kind in KINDS:
        print(f"{kind:<15}{SCHEMA_DIR / f'{kind}.schema.json'}")
    return EXIT_OK


def _formats(args: argparse.Namespace) -> int:
    for name, example in FORMATS:
        print(f"{name}\n    {example}")
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    from curate.stages.ingest.inspect import inspect

    print(inspect(args.src, _config(args)))
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from curate.stages.validate.rules import RULES

    for rule, (severity, what) in RULES.items():
        print(f"{rule:<32}{severity:<7}{what}")
    print("\nChange a severity (error | warn | off) in curate.toml: [validate.severity] consecutive_roles = \"warn\"")
    return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from curate.stages.ingest.folder import ingest
    from curate.stages.validate.rules import validate

    cfg = _config(args)
    if args.rejects:
        from curate.output import check_apart

        check_apart(args.rejects, args.src, "--rejects")
    ingested = ingest(args.src, cfg, progress=not args.quiet)
    result = validate(ingested.kept, cfg.validate_)
    rejects = ingested.rejected + result.rejected
    if args.rejects:
        args.rejects.write_text("".join(r.model_dump_json(exclude_none=True) + "\n" for r in rejects), encoding="utf-8")
    print(f"{ingested.stats['records_in']} records: {len(result.kept)} valid, {len(result.rejected)} failed validation, "
          f"{len(ingested.rejected)} unreadable")
    for key, n in result.stats.items():
        if key.startswith("rule."):
            rule = key[5:]
            where = ", ".join(result.details["examples"].get(rule, []))
            print(f"  {rule:<30}{n:>6}  [{result.details['severity'][rule]}]  e.g. {where}")
    for key in ("tokens.min", "tokens.p50", "tokens.p95", "tokens.max"):
        if key in result.stats:
            print(f"  {key:<30}{result.stats[key]:>6}")
    return EXIT_GATE_FAILED if rejects else EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from curate.ci import append_github_summary, write_ci_outputs
    from curate.pipeline import run_stages
    from curate.report import summary_markdown

    cfg = _config(args)
    if args.report_dir:
        from curate.output import check_apart

        check_apart(args.report_dir, args.src, "--report-dir")
    outcome = run_stages(args.src, cfg, progress=not args.quiet)
    summary = summary_markdown(outcome.gates, outcome.stages, outcome.passed)
    print(summary)
    append_github_summary(summary)
    if args.report_dir:
        from curate.splits import dataset_counts
        from curate.report import write_reports

        write_ci_outputs(args.report_dir, outcome.gates, outcome.metrics, summary)
        write_reports(args.report_dir, outcome.stages, outcome.gates, outcome.metrics, outcome.records,
                      dataset_counts(outcome.records), outcome.passed)
    return EXIT_OK if outcome.passed else EXIT_GATE_FAILED


def _init(args: argparse.Namespace) -> int:
    from curate.config import commented_toml

    if args.path.exists() and not args.force:
        raise OutputError(f"{args.path} exists; pass --force to overwrite it.")
    args.path.write_text(commented_toml(), encoding="utf-8")
    print(f"wrote {args.path}")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.seed is not None:
        cfg.split.seed = args.seed
    if args.smoke_model:
        cfg.smoke.model = args.smoke_model
    if args.incremental and args.force:
        raise OutputError("--force does not apply to --incremental: versions are never replaced.")
    if args.no_prefect and args.runner != "local":
        raise OutputError("--runner dask runs through Prefect; drop --no-prefect.")
    if not args.src.exists():
        raise InputError(f"Input {args.src} does not exist.")
    from curate.output import check_apart, check_output

    check_apart(args.out, args.src)
    if args.incremental:
        from curate.versions import VersionStore

        VersionStore(args.out).check()
    elif check_output(args.out, args.force):
        print(f"--force: the earlier curate output in {args.out} will be replaced.", file=sys.stderr)
    start = time.perf_counter()
    if args.no_prefect:
        from curate.pipeline import run_incremental, run_pipeline

        if args.incremental:
            summary = run_incremental(args.src, args.out, cfg, progress=not args.quiet, smoke=args.smoke)
            out = Path(summary.out) if summary else None
        else:
            run_pipeline(args.src, args.out, cfg, force=args.force, progress=not args.quiet, smoke=args.smoke)
            out = args.out
    else:
        from flows.api import ensure_api

        ensure_api(progress=not args.quiet)
        from flows.curate_flow import reraise, with_runner

        flow = with_runner(args.runner, args.dask_address, args.dask_workers)
        state = flow(str(args.src), str(args.out), str(args.config) if args.config else None, args.force,
                     not args.quiet, args.seed, args.smoke, args.smoke_model, args.incremental,
                     args.runner != "local", return_state=True)
        try:
            result = reraise(state)  # re-raises the stage's exception
            out = Path(result["out"]) if result.get("version") or not args.incremental else None
        except GateFailed:
            out = _newest(args.out) if args.incremental else args.out
    if out is None:
        print(f"No new or changed files in {args.src}; {args.out / 'latest'} is unchanged.")
        return EXIT_OK
    print(_summary(out, time.perf_counter() - start))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    if not manifest["publishable"]:
        print("\nNot publishable:", *[g["sentence"] for g in manifest["gates"] if g["status"] == "fail"], sep="\n  ")
        print(f"See {out / 'report.html'}")
        if args.incremental:
            print(f"{args.out / 'latest'} still points to the last version that passed.")
        return EXIT_GATE_FAILED
    return EXIT_OK


def _newest(root: Path) -> Path:
    from curate.versions import VersionStore

    return root / VersionStore(root).versions()[-1]


def _serve(args: argparse.Namespace) -> int:
    _config(args)  # a broken config stops here, not at 2 a.m.
    if not args.src.is_dir():
        raise InputError(f"Input folder {args.src} does not exist.")
    from curate.output import check_apart

    check_apart(args.out, args.src)
    from flows.deployments import serve

    serve(args.src, args.out, args.config, cron=args.cron, interval=args.interval, timezone=args.timezone,
          name=args.name, smoke=args.smoke, runner=args.runner, dask_address=args.dask_address,
          dask_workers=args.dask_workers)
    return EXIT_OK


def _forget(args: argparse.Namespace) -> int:
    from curate.forget import forget

    cfg = load_config(args.config)
    result = forget(args.out, cfg, subject=args.subject, source=args.source, record=args.record,
                    reason=args.reason, all_versions=args.all_versions)
    if not result.records:
        print(f"No published record matches; nothing changed (erasure log entry {result.entry} records the request).")
        return EXIT_OK
    print(f"Erased {len(result.records)} record(s); published {result.new_version} without them "
          f"(erasure log entry {result.entry}).")
    if result.covered:
        print(f"{len(result.covered)} record(s) rejected earlier as duplicates of them were never published.")
    if result.rewritten:
        print(f"Rewrote earlier versions: {', '.join(result.rewritten)}")
    for a in result.stale:
        print(f"  needs retraining: {a['kind']} {a['path']} (trained on {a['version']})")
    return EXIT_OK


def _lineage(args: argparse.Namespace) -> int:
    from curate.lineage import find_record

    if args.lineage_command == "add":
        from curate.forget import register_adapter

        entry = register_adapter(args.out, args.adapter, args.version, args.name)
        print(f"registered {entry['name']}: trained on {entry['version']}")
        return EXIT_OK
    lines = find_record(args.out, args.record_id)
    if not lines:
        print(f"curate: record {args.record_id} is in no version under {args.out}.", file=sys.stderr)
        return EXIT_USAGE
    print("\n".join(lines))
    return EXIT_OK


def _crash_log(exc: BaseException) -> Path | str:
    """The traceback of an internal error, in a file under the cache folder. Frames and the exception's type only:
    a library's message could quote a record, so it is written only for curate's own exceptions."""
    import traceback

    lines = ["".join(traceback.format_tb(exc.__traceback__))]
    own = type(exc).__module__.startswith(("curate.", "flows."))
    lines.append(f"{type(exc).__module__}.{type(exc).__name__}" + (f": {exc}" if own else " (message withheld: it could "
                                                                                           "quote input data)"))
    try:
        from curate.tokens import cache_dir

        folder = cache_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        path.write_text(f"curate {__version__}, {' '.join(sys.argv[:2])}\n" + "\n".join(lines) + "\n", encoding="utf-8")
        return path
    except Exception:  # noqa: BLE001  (an unwritable cache, or curate.tokens itself broken)
        return "(no log: the cache folder is not writable)"


COMMANDS = {"run": _run, "check": _check, "validate": _validate, "inspect": _inspect, "formats": _formats,
            "rules": _rules, "schemas": _schemas, "init": _init, "serve": _serve, "forget": _forget,
            "lineage": _lineage}


def main(argv: list[str] | None = None) -> int:
    from flows.api import configure_startup  # no Prefect import: sets its start-up limit before Prefect loads

    configure_startup()
    args = _parser().parse_args(argv)
    if _BROKEN is not None:
        log = _crash_log(_BROKEN)
        print(f"curate: internal error: curate could not load ({type(_BROKEN).__name__}); reinstall it (make setup). "
              f"The traceback is in {log}.", file=sys.stderr)
        return EXIT_INTERNAL
    if args.command is None:
        _parser().print_help()
        return EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except Exception as exc:
        if args.debug:
            raise
        # PiiError lives beside Presidio, which only loads when the stage runs: matched by name.
        if isinstance(exc, USAGE_ERRORS) or type(exc).__name__ == "PiiError":
            print(f"curate: {exc}", file=sys.stderr)
            return EXIT_USAGE
        log = _crash_log(exc)
        print(f"curate: internal error ({type(exc).__name__}); this is a bug in curate, not in your data or "
              f"config. The traceback is in {log}; rerun with --debug to see it here.", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        print("curate: interrupted; nothing was published.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

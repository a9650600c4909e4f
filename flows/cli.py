"""The `stancewatch` command: run the pipeline (or one stage) and evaluate the model on labelled data."""
from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
from pathlib import Path

from stancewatch.flows.logs import EXPLAINED_FAILURES
from stancewatch.tasks.catalog import OutputBusy, atomic_write, output_lock
from stancewatch.tasks.config import PACKAGED_CONFIGS, ConfigError, load_settings
from stancewatch.tasks.runs import STAGES


def _default_config_dir() -> str:
    return "configs" if Path("configs/pipeline.yaml").exists() else str(PACKAGED_CONFIGS)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stancewatch", description="Stance toward configured targets in news.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the pipeline (all stages by default) as Prefect flows")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--stage", choices=list(STAGES), help="rerun this one stage from the previous stage's tables")
    which.add_argument("--from", dest="start", choices=list(STAGES), help="run from this stage to the end")
    run.add_argument("--config", default=None, help="folder with pipeline.yaml and targets.yaml, and speakers.yaml and outlets.yaml where it has its own (default: configs)")
    run.add_argument("--raw", default=None, help="raw input folder (default: paths.raw in pipeline.yaml)")
    run.add_argument("--out", default=None, help="output folder (default: paths.out in pipeline.yaml)")
    run.add_argument("--runner", choices=["local", "dask"], default="local",
                     help="where the clean and classify batches run: here (default) or on a Dask cluster")
    run.add_argument("--address", default=None,
                     help="Dask scheduler address (tcp://host:8786); without it a 2-worker local cluster")
    run.add_argument("--force", action="store_true",
                     help="accept a config change that removes more than half of the stored documents")
    run.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                     help="wait up to this long for another run on the same output folder (default 0: exit 3)")

    serve = sub.add_parser("serve", help="run the pipeline on a cron schedule (needs a Prefect server)")
    serve.add_argument("--cron", required=True, help='cron expression, e.g. "0 6 * * *" for 06:00 daily')
    serve.add_argument("--config", default=None, help="folder with pipeline.yaml and targets.yaml, and speakers.yaml and outlets.yaml where it has its own")
    serve.add_argument("--raw", default=None, help="raw input folder")
    serve.add_argument("--out", default=None, help="output folder")

    report = sub.add_parser("report", help="write the HTML report from the aggregate tables")
    report.add_argument("--out", default=None, help="report file (default: <paths.out>/report.html)")
    report.add_argument("--config", default=None, help="folder with pipeline.yaml and targets.yaml, and speakers.yaml and outlets.yaml where it has its own")
    report.add_argument("--data", default=None, help="folder with the tables (default: paths.out)")

    evaluate = sub.add_parser("evaluate", help="score the configured model on a labelled CSV (text,target,label)")
    evaluate.add_argument("--data", required=True, type=Path, help="CSV with text,target,label[,holder]")
    evaluate.add_argument("--target", default=None, help="evaluate only the rows of this target")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object instead of tables "
                          "(with several --head, an object with one entry per head)")
    evaluate.add_argument("--no-gate", action="store_true",
                          help="score every row with the model, skipping the alias relevance gate of classify")
    evaluate.add_argument("--raw", default=None, type=Path,
                          help="score in context: run the pipeline on the articles in this folder and match each "
                               "labelled sentence (columns text,target,label,holder,article) to its sentences")
    evaluate.add_argument("--work", default=None, type=Path,
                          help="with --raw: keep the pipeline's tables in this folder (default: a temporary one)")
    evaluate.add_argument("--rows", default=None, type=Path,
                          help="with --raw: write every labelled row with its prediction and holder to this CSV")
    evaluate.add_argument("--head", action="append", default=None,
                          help="score this stance model of tasks/heads/ instead of the configured one; repeat it "
                               "to compare models (e.g. --head minilm-stance-ce-v10 --head minilm-stance-v1)")
    evaluate.add_argument("--config", default=None, help="folder with pipeline.yaml and targets.yaml, and speakers.yaml and outlets.yaml where it has its own")
    return parser


def _run(args) -> int:
    config_dir = args.config or _default_config_dir()
    settings = load_settings(config_dir, raw=args.raw, out=args.out, force=args.force)  # once per run
    start = args.stage or args.start or "ingest"
    stop = args.stage or "aggregate"
    with output_lock(settings.out, args.wait):  # taken before Prefect starts: a busy folder fails at once
        from stancewatch.flows.pipeline import pipeline_flow

        summaries = pipeline_flow(config_dir=config_dir, raw=args.raw, out=args.out, start=start, stop=stop,
                                  runner=args.runner, address=args.address, force=args.force, settings=settings)
    for summary in summaries:
        print(json.dumps(summary))
    print(f"tables written to {settings.out}/")
    if stop == "aggregate":
        print(f"report: {settings.out / 'report.html'}")
    return 0


def _serve(args) -> int:
    """Serve the pipeline flow with a cron schedule; each run reprocesses only what changed."""
    import os

    config_dir = args.config or _default_config_dir()
    load_settings(config_dir, raw=args.raw, out=args.out)
    if not os.environ.get("PREFECT_API_URL"):
        print("error: schedules need a running Prefect server. Start one with `prefect server start`, then\n"
              "  export PREFECT_API_URL=http://127.0.0.1:4200/api\nand run this command again.", file=sys.stderr)
        return 1
    from stancewatch.flows.pipeline import pipeline_flow

    pipeline_flow.serve(name="stancewatch-scheduled", cron=args.cron,
                        parameters={"config_dir": str(Path(config_dir).resolve()), "raw": args.raw, "out": args.out})
    return 0


def _report(args) -> int:
    from stancewatch.tasks.report import render_report

    settings = load_settings(args.config or _default_config_dir(), out=args.data)
    with output_lock(settings.out):
        print(f"report: {render_report(settings.out, args.out)}")
    return 0


def _evaluate_in_context(args, settings) -> dict:
    """Run the pipeline on --raw into a work folder and score the labelled sentences found there."""
    import tempfile

    from stancewatch.tasks.evaluate import evaluate_in_context

    with tempfile.TemporaryDirectory(prefix="stancewatch-eval-") as scratch, output_lock(args.work or scratch):
        result, joined = evaluate_in_context(args.data, args.raw, settings, args.work or scratch)
    if args.rows:
        atomic_write(Path(args.rows), lambda tmp: joined.to_csv(tmp, index=False))
    return result


def _evaluate(args) -> int:
    """Score the configured model, or each --head in turn, on the labelled file."""

    settings = load_settings(args.config or _default_config_dir())
    heads = args.head or [settings.model.head]
    results = {}
    for head in heads:
        with_head = settings.replace(model=settings.model.replace(head=head))
        result = results[head] = _evaluate_in_context(args, with_head) if args.raw else _evaluate_sentences(args, with_head)
        if result is None:
            return 1
        if args.json:
            continue
        if args.raw:
            _print_scores(result)
            print(f"holder accuracy, full names {result['holder_accuracy']:.3f} (rows that take a side: "
                  f"{result['holder_accuracy_stance_rows']:.3f})")
            print(f"labelled sentences not found in the pipeline's sentences: {result['missed']}")
            print(f"FAVOR/AGAINST rows that reached the model: {result['stance_rows_reaching_model']:.3f}")
            for target, per in result["per_target"].items():
                print(f"  {target:<26} n={per['n']:<4} macro-F1 {per['macro_f1']:.3f}  F_avg {per['f_avg']:.3f}")
        else:
            print(f"skipped: {len(result['skipped'])}")
            for row in result["skipped"]:
                print(f"  skipped row {row['row']}: {row['reason']}")
            _print_scores(result)
            if result["holder_accuracy"] is not None:
                print(f"holder accuracy, surnames of each sentence alone {result['holder_accuracy']:.3f}")
    if args.json:
        print(json.dumps(results[heads[0]] if len(heads) == 1 else results))
    return 0


def _evaluate_sentences(args, settings) -> dict | None:
    """Score each labelled text on its own (no article around it); None when no row is usable."""
    from stancewatch.tasks.evaluate import holder_accuracy, read_labelled, score_sentences
    from stancewatch.tasks.model import load_model
    from stancewatch.tasks.runs import model_key

    frame, skipped = read_labelled(args.data)
    if args.target:
        frame = frame[frame["target"].str.lower() == args.target.lower()].reset_index(drop=True)
    if frame.empty:
        print(f"no usable rows in {args.data}" + (f" for target {args.target!r}" if args.target else ""),
              file=sys.stderr)
        return None
    model = load_model(settings.model)
    result = score_sentences(frame, settings.targets, model, gate=not args.no_gate)
    result["holder_accuracy"] = holder_accuracy(frame)
    result["model"] = model_key(model)
    result["skipped"] = skipped
    return result


def _print_scores(result: dict) -> None:
    print(f"model: {result['model']}   rows: {result['n']}")
    print(f"{'class':<8} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
    for label, c in result["per_class"].items():
        print(f"{label:<8} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>6.3f} {c['support']:>8}")
    print(f"macro-F1 {result['macro_f1']:.3f}   F_avg (FAVOR, AGAINST) {result['f_avg']:.3f}")
    print("confusion (rows gold, columns predicted):")
    labels = list(result["confusion"])
    print(" " * 8 + "".join(f"{p:>9}" for p in labels))
    for gold in labels:
        print(f"{gold:<8}" + "".join(f"{result['confusion'][gold][p]:>9}" for p in labels))


def _stop_on_signal(signum, frame) -> None:
    """SIGTERM unwinds like Ctrl-C, so Prefect's context managers and exit hooks stop its temporary API server."""
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")


def _os_error(exc: OSError) -> str:
    """One line: the path and the cause (no space left, read-only, not a folder, ...)."""
    if exc.filename is None:
        return str(exc)
    path = f"{exc.filename} -> {exc.filename2}" if exc.filename2 else str(exc.filename)
    return f"{path}: {exc.strerror or exc}"


_EXPECTED_FAILURES = (*EXPLAINED_FAILURES, OSError, ValueError)


def _failure(exc: Exception) -> tuple[int, str]:
    """Exit code and one-line message: 2 for a config error, 3 when another run holds the output, else 1."""
    if isinstance(exc, ConfigError):
        return 2, f"config error: {exc}"
    if isinstance(exc, OutputBusy):
        return 3, f"error: {exc} (wait with --wait SECONDS)"
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError):
        return 1, f"error: {_os_error(exc)}"
    return 1, f"error: {exc}"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "evaluate" and not args.raw and (args.rows or args.work):
        parser.error("evaluate: --rows and --work go with --raw (scoring in context)")
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        return {"run": _run, "serve": _serve, "report": _report, "evaluate": _evaluate}[args.command](args)
    except _EXPECTED_FAILURES as exc:
        code, message = _failure(exc)
        print(message, file=sys.stderr)
        return code
    except KeyboardInterrupt as exc:
        print(f"interrupted: {exc or 'Ctrl-C'}; finished batches are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

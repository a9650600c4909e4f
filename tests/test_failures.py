"""Issue 14: overlapping runs, poison inputs, full disks and hostile paths.

Stages run with a fake stance model (fixed probabilities, counted calls), so these tests check the
pipeline's mechanisms, not the model.
"""
from __future__ import annotations

import errno
import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stancewatch.flows.cli import main
from stancewatch.flows.logs import QuietExplainedFailures
from stancewatch.tasks import catalog
from stancewatch.tasks.catalog import StageInputError, WouldDeleteError, output_lock, read_table
from stancewatch.tasks.config import ConfigError, load_settings
from stancewatch.tasks.report import render_report, report_is_current
from stancewatch.tasks.runs import run_aggregate, run_classify, run_clean, run_ingest
from tests.conftest import CONFIGS, ROOT

ARTICLES = [
    ("Alliance Ministers Meet in Brussels\n\nForeign ministers of the alliance met in Brussels on Tuesday to "
     "discuss support for partners in the east. The secretary general said that NATO stands with its partners "
     "and will keep helping them. Officials said the talks would continue next month in Vilnius.\n"),
    ("Talks Resume in Geneva\n\nNegotiators from both countries resumed talks in Geneva on Wednesday. The "
     "Russian delegation said Moscow was ready for dialogue but would not accept any new conditions. The "
     "American side said the United States would wait for a written answer before the next round.\n"),
    ("Summit Ends Without Deal\n\nThe two-day summit ended on Friday without a deal on security guarantees, "
     "officials said. Delegates agreed only to keep talking, and NATO diplomats called the result "
     "disappointing but not surprising. Analysts expect the next round in Vienna in the spring.\n"),
]


class FakeModel:
    """Fixed probabilities; counts the texts it is asked to score."""
    model_id, model_version = "fake-stance", "1"

    def __init__(self):
        self.calls = 0

    def predict_pairs(self, texts, target, progress=None, cuts=(), own_side=False):
        self.calls += len(texts)
        return np.tile([0.6, 0.3, 0.1], (len(texts), 1))


def _raw(tmp_path: Path, articles=ARTICLES[:2]) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for i, text in enumerate(articles):
        (raw / f"{i}.txt").write_text(text, encoding="utf-8")
    return raw


def _run_all(settings, model) -> list[dict]:
    return [run_ingest(settings), run_clean(settings), run_classify(settings, model=model),
            run_aggregate(settings, model=model)]


def _content(out: Path) -> dict[str, pd.DataFrame]:
    """What a run produced, without batch ids and timestamps (which differ between equal runs)."""
    def rows(frame, columns):
        return frame[columns].astype(str).sort_values(columns).reset_index(drop=True)
    return {"ingested": rows(read_table(out, "ingested"), ["doc_id", "text"]),
            "documents": rows(read_table(out, "documents"), ["doc_id", "text"]),
            "sentences": rows(read_table(out, "sentences"), ["doc_id", "sentence_index", "text", "holder"]),
            "stances": rows(read_table(out, "stances"), ["doc_id", "sentence_index", "target", "label", "model"]),
            "holder_stance": rows(read_table(out, "holder_stance"), ["holder", "target", "n_favor", "n_against"])}


def _assert_same(left: dict, right: dict) -> None:
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


# ------------------------------------------------------------ defect 2: a batch whose documents are all rejected

def test_an_all_rejected_batch_does_not_block_classify(tmp_path):
    settings = load_settings(CONFIGS, raw=_raw(tmp_path), out=tmp_path / "out")
    model = FakeModel()
    _run_all(settings, model)
    (settings.raw / "short.txt").write_text("Short\nNATO met.\n", encoding="utf-8")  # too_short: batch left empty
    for _ in range(2):  # that run and every later one
        summaries = _run_all(settings, model)
        assert summaries[2]["stage"] == "classify" and summaries[2].get("model_calls", 0) == 0
    assert "too_short" in set(read_table(settings.out, "rejects")["reason"])


@pytest.mark.parametrize("stage", [run_ingest, run_clean])
def test_a_run_stopped_before_its_rejects_are_written_loses_none(tmp_path, monkeypatch, stage):
    """The documents are written batch by batch and the rejects table at the end: a run stopped in
    between must leave the next run able to say what was set aside."""
    settings = load_settings(CONFIGS, raw=_raw(tmp_path), out=tmp_path / "out")
    (settings.raw / "short.txt").write_text("Short\nNATO met.\n", encoding="utf-8")  # clean: too_short
    (settings.raw / "broken.json").write_text("{not json", encoding="utf-8")  # ingest: malformed
    if stage is run_clean:
        run_ingest(settings)

    def stopped(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("stancewatch.tasks.runs.replace_rejects", stopped)
    with pytest.raises(KeyboardInterrupt):
        stage(settings)
    monkeypatch.undo()
    run_ingest(settings)
    run_clean(settings)
    reasons = read_table(settings.out, "rejects").groupby("stage")["reason"].agg(set).to_dict()
    assert reasons == {"ingest": {"malformed"}, "clean": {"too_short"}}
    assert len(read_table(settings.out, "rejects")) == 2


# ------------------------------------------------------------ defect 7: limits and --force

@pytest.mark.parametrize("old, new, key", [
    ("max_file_mb: 256", "max_file_mb: -1", "ingest.max_file_mb"),
    ("max_file_mb: 256", "max_file_mb: 0", "ingest.max_file_mb"),
    ("max_file_mb: 256", "max_file_mb: .nan", "ingest.max_file_mb"),
    ("max_doc_chars: 500000", "max_doc_chars: 0", "ingest.max_doc_chars"),
    ("min_chars: 200", "min_chars: -1", "clean.min_chars"),
    ("languages: [en]", "languages: []", "clean.languages"),
    ("languages: [en]", "languages: [english]", "clean.languages"),
    ("dayfirst: true", "dayfirst: maybe", "clean.dayfirst"),
    ("dayfirst: true", "dayfirst: 0", "clean.dayfirst"),
    ("own_side: true", "own_side: 'no'", "classify.own_side"),
])
def test_every_limit_is_validated(tmp_path, old, new, key):
    config = tmp_path / "configs"
    shutil.copytree(CONFIGS, config)
    text = (config / "pipeline.yaml").read_text()
    assert old in text
    (config / "pipeline.yaml").write_text(text.replace(old, new))
    with pytest.raises(ConfigError, match=rf"pipeline.yaml: key '{key}'"):
        load_settings(config)
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "out")]) == 2


def test_clean_languages_take_langdetect_codes_and_unknown(tmp_path):
    config = tmp_path / "configs"
    shutil.copytree(CONFIGS, config)
    text = (config / "pipeline.yaml").read_text()
    (config / "pipeline.yaml").write_text(text.replace("languages: [en]", "languages: [en, zh-cn, unknown]"))
    assert load_settings(config).languages == ("en", "zh-cn", "unknown")  # unknown: keep what it cannot tell


def test_a_config_change_that_removes_most_documents_needs_force(tmp_path):
    settings = load_settings(CONFIGS, raw=_raw(tmp_path), out=tmp_path / "out")
    _run_all(settings, FakeModel())
    before = _content(settings.out)
    strict = settings.replace(min_chars=10_000)
    with pytest.raises(WouldDeleteError, match="--force") as stopped:
        run_clean(strict)
    assert str(stopped.value).startswith("clean.min_chars=10000 would remove")  # the key that removes them, alone
    strict_ingest = settings.replace(max_doc_chars=50)
    with pytest.raises(WouldDeleteError, match="--force"):
        run_ingest(strict_ingest)
    _assert_same(_content(settings.out), before)
    run_ingest(settings)  # the stopped run left nothing to redo
    assert run_clean(strict.replace(force=True))["documents"] == 0


# ------------------------------------------------------------ defects 3 and 4: hostile names and links

def test_bad_names_and_links_go_to_rejects_and_the_rest_is_read(tmp_path):
    raw = _raw(tmp_path, ARTICLES[:1])
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n" * 20)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text(ARTICLES[1])
    os.symlink(outside, raw / "passwd.txt")
    os.symlink(tmp_path / "elsewhere", raw / "linked-folder")
    os.symlink(raw / "missing.txt", raw / "dangling.txt")
    os.symlink(raw / "loop.txt", raw / "loop.txt")
    os.symlink(raw / "0.txt", raw / "inside-link.txt")  # inside the raw folder: read (a duplicate)
    (raw / os.fsdecode(b"caf\xe9-latin1-name.txt")).write_bytes(ARTICLES[2].encode())  # not UTF-8
    os.mkfifo(raw / "pipe.txt")
    settings = load_settings(CONFIGS, raw=raw, out=tmp_path / "out")
    for _ in range(2):  # and the same rejects, not twice as many, on a rerun
        run_ingest(settings)
        rejects = read_table(settings.out, "rejects").set_index("source")["reason"].to_dict()
        assert rejects == {str(raw / "passwd.txt"): "outside_raw", str(raw / "linked-folder"): "outside_raw",
                           str(raw / "dangling.txt"): "broken_link", str(raw / "loop.txt"): "broken_link",
                           str(raw / "caf\\xe9-latin1-name.txt"): "bad_file_name",
                           str(raw / "pipe.txt"): "unreadable", str(raw / "inside-link.txt"): "duplicate"}
    stored = read_table(settings.out, "ingested")
    assert list(stored["title"]) == ["Alliance Ministers Meet in Brussels"]
    assert "root:x" not in "".join(read_table(settings.out, "ingested")["text"])


# ------------------------------------------------------------ defect 1: overlapping runs

def test_a_second_ingest_of_the_same_documents_adds_nothing_without_the_lock(tmp_path, monkeypatch):
    """A writer that stored the same documents while this run was reading them (no lock taken)."""
    import stancewatch.tasks.runs as runs

    settings = load_settings(CONFIGS, raw=_raw(tmp_path), out=tmp_path / "out")
    read = runs.read_documents

    def meanwhile_another_run(*args, **kwargs):
        monkeypatch.setattr(runs, "read_documents", read)
        run_ingest(settings)
        yield from read(*args, **kwargs)

    monkeypatch.setattr(runs, "read_documents", meanwhile_another_run)
    assert run_ingest(settings)["documents"] == 0
    assert read_table(settings.out, "ingested")["doc_id"].is_unique
    assert len(read_table(settings.out, "ingested")) == 2


OVERLAP_RUNS = int(os.environ.get("STANCEWATCH_OVERLAP_RUNS", "2"))
# The real CLI (lock, exit codes) with ingest as the pipeline; reading is slowed so the two runs overlap.
_CLI_WITH_SLOW_INGEST = textwrap.dedent("""
    import sys, time
    import stancewatch.flows.pipeline, stancewatch.tasks.runs as runs
    from stancewatch.flows.cli import main
    from stancewatch.tasks.config import load_settings
    read = runs.read_documents
    def slow(*args, **kwargs):
        time.sleep(1.0)
        yield from read(*args, **kwargs)
    runs.read_documents = slow
    stancewatch.flows.pipeline.pipeline_flow = lambda config_dir, raw, out, force, **_: [
        runs.run_ingest(load_settings(config_dir, raw=raw, out=out, force=force))]
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(OVERLAP_RUNS))
@pytest.mark.parametrize("wait", [0, 30])
def test_two_overlapping_runs_never_double_the_data(tmp_path, attempt, wait):
    raw, out = _raw(tmp_path, ARTICLES), tmp_path / "out"
    command = [sys.executable, "-c", _CLI_WITH_SLOW_INGEST, "run", "--config", str(CONFIGS), "--raw", str(raw),
               "--out", str(out), "--stage", "ingest", "--wait", str(wait)]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    results = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    codes = sorted(code for code, _ in results)
    if wait:
        assert codes == [0, 0]  # the second waited for the first, then found nothing new
    else:
        assert codes == [0, 3], results
        busy = next(err for code, err in results if code == 3).strip().splitlines()[-1]
        assert busy.startswith(f"error: another run holds {out} since ") and ", pid " in busy
    stored = read_table(out, "ingested")
    assert len(stored) == 3 and stored["doc_id"].is_unique
    assert read_table(out, "raw_files")["path"].is_unique


@pytest.mark.slow
def test_the_lock_does_not_survive_a_killed_holder(tmp_path):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\nfrom stancewatch.tasks.catalog import output_lock\n"
                               "with output_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)",
                               str(out)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    with pytest.raises(catalog.OutputBusy, match=f"pid {holder.pid}"):
        with output_lock(out):
            pass
    holder.kill()
    holder.wait()
    with output_lock(out, wait=5):
        assert f"pid {os.getpid()}" in (out / ".stancewatch.lock.holder").read_text()


# ------------------------------------------------------------ defect 6: full disk and other OS errors

def test_leftover_temp_files_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    (out / "documents" / "batch=1").mkdir(parents=True)
    leftovers = [out / ".report.html.tmp", out / "documents" / "batch=1" / ".part-0.parquet.x1.tmp"]
    for path in leftovers:
        path.write_bytes(b"partial")
    with output_lock(out):
        assert not any(path.exists() for path in leftovers)


@pytest.mark.parametrize("how", ["read-only", "a file"])
def test_an_unwritable_out_folder_is_one_line(tmp_path, capsys, monkeypatch, how):
    out = tmp_path / "out"
    if how == "a file":
        out.write_text("not a folder")
    else:
        out.mkdir()
        out.chmod(0o500)
    if how == "read-only" and os.access(out, os.W_OK):  # root writes anyway: raise what the OS raises to others

        def read_only(*args, **kwargs):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(out / catalog.LOCK_NAME))
        monkeypatch.setattr(catalog.FileLock, "acquire", read_only)
    assert main(["run", "--raw", str(_raw(tmp_path)), "--out", str(out), "--config", str(CONFIGS)]) == 1
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and error.startswith(f"error: {out}") and "Traceback" not in error


FAILING_WRITE = {"ingest": "ingested", "clean": "documents", "classify": "stances",
                 "aggregate": "article_stance.parquet", "report": "report.html"}


@pytest.mark.parametrize("stage", list(FAILING_WRITE))
def test_a_full_disk_at_each_stage_is_one_line_and_a_rerun_recovers(prefect_harness, tmp_path, monkeypatch,
                                                                     capsys, stage):
    import stancewatch.tasks.runs as runs

    model = FakeModel()
    monkeypatch.setattr(runs, "load_model", lambda _settings: model)
    raw, out = _raw(tmp_path), tmp_path / "out"
    _run_all(load_settings(CONFIGS, raw=raw, out=out), model)
    render_report(out)  # the report of the previous run, which a failed render must not leave as current
    (raw / "2.txt").write_text(ARTICLES[2], encoding="utf-8")
    before = _content(out)
    real_write = catalog.atomic_write

    def disk_full(path: Path, write) -> None:
        if FAILING_WRITE[stage] not in path.parts:
            return real_write(path, write)

        def partial(tmp):
            Path(tmp).write_bytes(b"PAR1 partial")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(path, partial)

    monkeypatch.setattr(catalog, "atomic_write", disk_full)
    command = ["run", "--config", str(CONFIGS), "--raw", str(raw), "--out", str(out)]
    assert main(command) == 1
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith(f"error: {out}/") and error.endswith(": No space left on device"), error
    assert FAILING_WRITE[stage] in error
    failed = {"ingest": "ingested", "clean": "documents", "classify": "stances"}.get(stage)
    if failed:
        pd.testing.assert_frame_equal(_content(out)[failed], before[failed])
    assert not list(out.rglob("*.tmp"))

    monkeypatch.setattr(catalog, "atomic_write", real_write)  # space freed
    assert main(command) == 0
    clean_out = tmp_path / "clean-run"
    assert main(["run", "--config", str(CONFIGS), "--raw", str(raw), "--out", str(clean_out)]) == 0
    _assert_same(_content(out), _content(clean_out))
    assert report_is_current(out)


# ------------------------------------------------------------ defect 9: a renamed raw file

def test_a_renamed_raw_file_costs_no_model_calls(tmp_path):
    settings = load_settings(CONFIGS, raw=_raw(tmp_path), out=tmp_path / "out")
    model = FakeModel()
    _run_all(settings, model)
    before, calls = _content(settings.out), model.calls
    (settings.raw / "0.txt").rename(settings.raw / "renamed.txt")
    summaries = _run_all(settings, model)
    assert summaries[2]["batches_classified"] == 2 and summaries[2]["model_calls"] == 0 and model.calls == calls
    _assert_same(_content(settings.out), before)


# ------------------------------------------------------------ defect 8: evaluate on poison CSVs

def test_evaluate_keeps_its_result_with_a_1_mb_row(tmp_path, monkeypatch, capsys):
    import stancewatch.tasks.model

    monkeypatch.setattr(stancewatch.tasks.model, "load_model", lambda _settings: FakeModel())
    csv = tmp_path / "labelled.csv"
    pd.DataFrame({"text": ["NATO must stay strong, Stoltenberg said.", "NATO " + "word " * 200_000],
                  "target": ["NATO", "NATO"], "label": ["FAVOR", "AGAINST"],
                  "holder": ["Jens Stoltenberg", "Someone"]}).to_csv(csv, index=False)
    assert main(["evaluate", "--data", str(csv), "--json"]) == 0
    result = pd.read_json(io.StringIO(capsys.readouterr().out.strip().splitlines()[-1]), typ="series")
    assert result["n"] == 2 and result["holder_accuracy"] == 1.0


@pytest.mark.parametrize("content, message", [(b"", "the file is empty"),
                                               (b"\x00\x01\x02PK\x03\x04" * 100, "binary data")])
def test_evaluate_names_an_empty_or_binary_file(tmp_path, capsys, content, message):
    path = tmp_path / "labelled.csv"
    path.write_bytes(content)
    assert main(["evaluate", "--data", str(path)]) == 1
    assert capsys.readouterr().err.strip() == f"error: {path}: {message}" + (
        "; expected a CSV with text,target,label[,holder]" if not content else ", not a CSV text file")


# ------------------------------------------------------------ defect 5: the temporary Prefect server on SIGTERM

_CLI_WITH_STUCK_INGEST = textwrap.dedent("""
    import sys, time
    import stancewatch.tasks.runs as runs
    from stancewatch.flows.cli import main
    def stuck(*args, **kwargs):
        print("ingest started", flush=True)
        for _ in range(600):
            time.sleep(0.5)
        yield from ()
    runs.read_documents = stuck
    sys.exit(main(sys.argv[1:]))
""")


@pytest.mark.slow
def test_sigterm_stops_the_run_and_its_temporary_prefect_server(tmp_path):
    import psutil

    raw = _raw(tmp_path, ARTICLES)
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_API_URL": ""}
    run = subprocess.Popen([sys.executable, "-c", _CLI_WITH_STUCK_INGEST, "run", "--config", str(CONFIGS),
                            "--raw", str(raw), "--out", str(tmp_path / "out")],
                           cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline() == "ingest started\n"  # inside a flow: the temporary API server is up
        children = psutil.Process(run.pid).children(recursive=True)
        assert any("uvicorn" in " ".join(child.cmdline()) or "prefect" in " ".join(child.cmdline())
                   for child in children), [child.cmdline() for child in children]
        run.send_signal(15)
        assert run.wait(timeout=60) == 130
        _, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, [child.cmdline() for child in alive]
    finally:
        if run.poll() is None:
            run.kill()


def test_prefect_logs_an_explained_failure_without_its_traceback_and_a_bug_with_it():
    import logging
    import sys

    def record_of(exc):
        try:
            raise exc
        except Exception:  # noqa: BLE001 - a record as Prefect's task engine writes it
            return logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, "Task run failed", None,
                                     sys.exc_info())

    quiet = QuietExplainedFailures()
    explained, bug = record_of(StageInputError("x does not exist: run the 'clean' stage first")), record_of(KeyError("x"))
    assert quiet.filter(explained) and explained.exc_info is None
    assert quiet.filter(bug) and bug.exc_info is not None


def test_the_flow_modules_quiet_prefect_in_any_process_that_runs_them():
    """A scheduled run (serve, a work pool) imports the flows in its own process, without the CLI's main."""
    import logging

    import stancewatch.flows.pipeline  # noqa: F401 - the import is what installs the filter

    for name in ("prefect.task_runs", "prefect.flow_runs"):
        assert any(isinstance(f, QuietExplainedFailures) for f in logging.getLogger(name).filters), name

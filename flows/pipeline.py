"""The whole pipeline: ingest -> clean -> classify -> aggregate, or any consecutive part of it."""
# No `from __future__ import annotations` here: `serve` sends the flow by value to a fresh process, where
# Prefect must validate its parameters without this module's names, so the annotations must be objects.

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from stancewatch.flows.stages import STAGE_FLOWS, run_stage
from stancewatch.tasks.catalog import output_lock
from stancewatch.tasks.config import Settings, load_settings
from stancewatch.tasks.report import key_findings, render_report, report_is_current

ORDER = list(STAGE_FLOWS)


@flow(name="stancewatch-pipeline")
def pipeline_flow(config_dir: str = "configs", raw: str | None = None, out: str | None = None,
                  start: str = "ingest", stop: str = "aggregate", runner: str = "local",
                  address: str | None = None, force: bool = False, wait: float = 0,
                  settings: Settings | None = None) -> list[dict]:
    """Run the stages from `start` to `stop` in order, as tasks of this one flow; each writes its Parquet
    tables before the next reads them. `settings`, when the caller has loaded them already (the CLI),
    replace config_dir/raw/out/force: the configs are read once per run.

    The output folder is locked for the whole run, so two runs never interleave their stages.
    """
    settings = settings or load_settings(config_dir, raw=raw, out=out, force=force)
    chosen = ORDER[ORDER.index(start):ORDER.index(stop) + 1]
    with output_lock(settings.out, wait):
        summaries = [run_stage(name, settings, runner, address) for name in chosen]
        if chosen[-1] == "aggregate" and not report_is_current(settings.out):
            report(str(settings.out))
    return summaries


@task(name="render report")
def report(out: str) -> str:
    """The HTML report, and a markdown summary of the key aggregates for the Prefect UI."""
    path = render_report(out)
    create_markdown_artifact(key="stancewatch-summary", markdown=key_findings(out),
                             description="stancewatch: who takes which stance toward what")
    return str(path)

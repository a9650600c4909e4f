"""One Prefect flow per stage; each reads the previous stage's Parquet, so any can be rerun alone."""
from __future__ import annotations

import logging

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from stancewatch.flows.logs import QuietExplainedFailures
from stancewatch.tasks import runs
from stancewatch.tasks.catalog import output_lock
from stancewatch.tasks.config import Settings, load_settings

# Installed where the flows are defined, so every process that runs them has it: the CLI, and the
# subprocesses in which `serve` and a work pool run scheduled flow runs.
for _logger in ("prefect.task_runs", "prefect.flow_runs"):
    logging.getLogger(_logger).addFilter(QuietExplainedFailures())


@task(name="publish stage summary")
def publish(summary: dict) -> dict:
    """A table artifact per stage (row counts, rejects by reason), visible in the Prefect UI."""
    rows = [{"measure": key, "value": str(value)} for key, value in summary.items() if key != "rejects"]
    rows += [{"measure": f"rejected: {reason}", "value": str(n)} for reason, n in summary.get("rejects", {}).items()]
    create_table_artifact(key=f"stancewatch-{summary['stage']}", table=rows,
                          description=f"stancewatch {summary['stage']} stage")
    return summary


@task(name="stage batch", cache_policy=NO_CACHE)
def stage_batch(stage: str, settings: Settings, batch: str) -> dict:
    """One batch of a stage on a Dask worker: the settings and the batch id travel, the worker reads and
    writes the batch's partitions itself and loads its models once."""
    return runs.BATCH_WORK[stage](settings, batch)


def dask_batch_mapper(stage: str, settings: Settings, address: str | None):
    """map_batches for a batch-wise stage: one Prefect task per batch on a Dask cluster (a local one if no address)."""
    from prefect_dask import DaskTaskRunner

    runner = DaskTaskRunner(address=address) if address else \
        DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1})

    @flow(name=f"stancewatch-{stage}-batches", task_runner=runner)
    def stage_batches(batches: list[str]) -> list[dict]:
        futures = [stage_batch.submit(stage, settings, batch) for batch in batches]
        return [future.result() for future in futures]

    return lambda batches: stage_batches(batches) if batches else []


STAGE_TASKS = {name: task(work, name=f"{name} stage", cache_policy=NO_CACHE) for name, work in runs.STAGES.items()}


def run_stage(name: str, settings: Settings, runner: str = "local", address: str | None = None) -> dict:
    """One stage as a task of the calling flow (no subflow to start), its summary published."""
    if runner == "dask" and name in runs.BATCH_WORK:
        return publish(runs.STAGES[name](settings, map_batches=dask_batch_mapper(name, settings, address)))
    return publish(STAGE_TASKS[name](settings))


def _stage_flow(name: str):
    @flow(name=f"stancewatch-{name}")
    def stage_flow(config_dir: str = "configs", raw: str | None = None, out: str | None = None,
                   runner: str = "local", address: str | None = None, force: bool = False,
                   wait: float = 0) -> dict:
        settings = load_settings(config_dir, raw=raw, out=out, force=force)
        with output_lock(settings.out, wait):
            return run_stage(name, settings, runner, address)
    stage_flow.__doc__ = f"Run the {name} stage alone, from the previous stage's tables (runner: local or dask)."
    return stage_flow


STAGE_FLOWS = {name: _stage_flow(name) for name in runs.STAGES}
# Module-level names, so prefect.yaml can point a deployment at each stage flow.
ingest_flow, clean_flow, classify_flow, aggregate_flow = (STAGE_FLOWS[name] for name in runs.STAGES)

"""One Prefect flow per stage; each reads the previous stage's Parquet, so any can be rerun alone."""
from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from tasks import stages
from tasks.catalog import output_lock
from tasks.config import Settings, load_settings


@task(name="publish stage summary")
def publish(summary: dict) -> dict:
    """A table artifact per stage (row counts, rejects by reason), visible in the Prefect UI."""
    rows = [{"measure": key, "value": str(value)} for key, value in summary.items() if key != "rejects"]
    rows += [{"measure": f"rejected: {reason}", "value": str(n)} for reason, n in summary.get("rejects", {}).items()]
    create_table_artifact(key=f"stancewatch-{summary['stage']}", table=rows,
                          description=f"stancewatch {summary['stage']} stage")
    return summary


@task(name="classify batch")
def classify_batch(settings: Settings, batch: str) -> dict:
    """One classify batch on a Dask worker: the settings and the batch id travel, the worker loads the model once."""
    return stages.classify_batch(settings, batch)


def dask_batch_mapper(settings: Settings, address: str | None):
    """map_batches for run_classify: one Prefect task per batch on a Dask cluster (a local one if no address)."""
    from prefect_dask import DaskTaskRunner

    runner = DaskTaskRunner(address=address) if address else \
        DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1})

    @flow(name="stancewatch-classify-batches", task_runner=runner)
    def classify_batches(batches: list[str]) -> list[dict]:
        futures = [classify_batch.submit(settings, batch) for batch in batches]
        return [future.result() for future in futures]

    return lambda batches: classify_batches(batches) if batches else []


STAGE_TASKS = {name: task(work, name=f"{name} stage", cache_policy=NO_CACHE) for name, work in stages.STAGES.items()}


def run_stage(name: str, settings: Settings, runner: str = "local", address: str | None = None) -> dict:
    """One stage as a task of the calling flow (no subflow to start), its summary published."""
    if name == "classify" and runner == "dask":
        return publish(stages.run_classify(settings, map_batches=dask_batch_mapper(settings, address)))
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


STAGE_FLOWS = {name: _stage_flow(name) for name in stages.STAGES}
# Module-level names, so prefect.yaml can point a deployment at each stage flow.
ingest_flow, clean_flow, classify_flow, aggregate_flow = (STAGE_FLOWS[name] for name in stages.STAGES)

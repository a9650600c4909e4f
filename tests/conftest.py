"""Shared fixtures: a throwaway Prefect home and one real pipeline run on the bundled seeds."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "raw" / "samples"
CONFIGS = ROOT / "configs"

_PREFECT_HOME = tempfile.mkdtemp(prefix="stancewatch-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
import stancewatch.flows  # noqa: E402,F401  the offline Prefect settings, set before any test imports Prefect


@pytest.fixture(scope="session")
def prefect_harness():
    """A temporary Prefect API for the flow tests only (unit tests call plain functions)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield
    shutil.rmtree(_PREFECT_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def seed_config(tmp_path_factory):
    """The shipped configs with ingest batches of 2 documents: the seeds make 3 batches."""
    config = tmp_path_factory.mktemp("configs")
    for path in CONFIGS.iterdir():
        shutil.copy(path, config / path.name)
    pipeline = config / "pipeline.yaml"
    pipeline.write_text(pipeline.read_text().replace("batch_documents: 500", "batch_documents: 2"))
    assert "batch_documents: 2" in pipeline.read_text()
    return config


@pytest.fixture(scope="session")
def seed_run(prefect_harness, tmp_path_factory, seed_config):
    """The whole pipeline flow on a copy of the seeds, in 3 batches; returns the output folder."""
    from stancewatch.flows.pipeline import pipeline_flow

    raw = tmp_path_factory.mktemp("raw")
    for path in SEEDS.iterdir():
        shutil.copy(path, raw / path.name)
    out = tmp_path_factory.mktemp("processed")
    summaries = pipeline_flow(config_dir=str(seed_config), raw=str(raw), out=str(out))
    assert [s["stage"] for s in summaries] == ["ingest", "clean", "classify", "aggregate"]
    return out


@pytest.fixture(scope="session")
def stance_model():
    """The configured packaged model, loaded offline once for the tests that need real predictions."""
    from stancewatch.tasks.config import load_settings
    from stancewatch.tasks.model import load_model

    return load_model(load_settings(CONFIGS).model)


# Tests that start a Prefect API server, run the whole pipeline or start subprocesses that import torch:
# `python -m pytest -m "not slow"` is the fast loop; CI runs everything.
_SLOW_FIXTURES = {"prefect_harness", "seed_run"}


def pytest_collection_modifyitems(items):
    for item in items:
        if _SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)

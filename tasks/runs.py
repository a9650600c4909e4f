"""One function per stage: read the previous stage's tables (validated), do the work, write atomically.

These are what the Prefect flows call; they also run without Prefect (tests, notebooks).
Each returns a small summary (row counts, rejects by reason, timings) for logs and artifacts.

Work is done one ingest batch at a time. Every partition file records in its metadata the
fingerprint of what it was made from; a stage redoes a batch only when that fingerprint changed,
so a rerun with nothing new costs a metadata read per batch, and a run killed halfway resumes
from the batches it finished.
"""
from __future__ import annotations

import logging
import multiprocessing
import time
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from stancewatch.tasks import aggregate as agg
from stancewatch.tasks.catalog import (StageInputError, WouldDeleteError, drop_partition, empty_frame, ensure_table, file_metadata,
                           input_partitions, partition_path, partition_value, partitions, read_file_as, read_table,
                           rejects_frame, replace_rejects, row_count, table_path, write_table)
from stancewatch.tasks.classify import build_cache, stance_rows
from stancewatch.tasks.attribution import find_people, rules_version, sentence_rows
from stancewatch.tasks.clean import clean_documents, rules_version as clean_rules_version
from stancewatch.tasks.config import PACKAGED_CONFIGS, Settings, use_world_files
from stancewatch.tasks.holders import index_people, name_keys
from stancewatch.tasks.ids import fingerprint
from stancewatch.tasks.ingest import file_of, fingerprints, plan_files, read_documents, to_tables
from stancewatch.tasks.model import load_model

log = logging.getLogger("stancewatch.stages")


def _progress(stage: str, every: float = 10.0):
    """A callback that logs 'done of total' at most every `every` seconds, and at the end."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= every:
            last[0] = now
            log.info("%s: %d/%d (%.0f%%)", stage, done, total, 100 * done / max(total, 1))
    return report


def _reject_counts(rejects: pd.DataFrame) -> dict[str, int]:
    return dict(Counter(rejects["reason"])) if len(rejects) else {}


def _input_of(path: Path) -> str | None:
    """The fingerprint a partition was made from (None: missing, unreadable or older than fingerprints)."""
    return file_metadata(path).get("input")


# ---------------------------------------------------------------- ingest

def run_ingest(settings: Settings) -> dict:
    """Read new and changed raw files into new batches; files already ingested with the same content are skipped.

    Documents of a file that changed or disappeared leave their old batch (the changed file is
    read again); raw_files.parquet keeps each file's size, mtime and SHA-256.
    """
    started = time.monotonic()
    out = settings.out
    reading = fingerprint(settings.max_file_mb, settings.max_doc_chars)  # other limits: every file is read again
    manifest = read_table(out, "raw_files") if table_path(out, "raw_files").exists() else empty_frame("raw_files")
    limits_changed = file_metadata(table_path(out, "raw_files")).get("input") != reading
    plan = plan_files(settings.raw, manifest, read_all=limits_changed)
    ensure_table(out, "ingested")
    gone = {str(path) for path in plan.to_read} | set(plan.removed)
    earlier = partitions(out, "ingested")
    seen, dropped = _stored_documents(earlier, gone)
    # a file whose documents were kept under a path now gone is read again, so nothing is lost
    orphaned = plan.unchanged["doc_ids"].map(lambda ids: bool(dropped & set(ids))).astype(bool)
    to_read = sorted([*plan.to_read, *map(Path, plan.unchanged.loc[orphaned, "path"])])
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    read_now = fingerprints(to_read, run_id)
    doc_ids_by_file: dict[str, list[str]] = {}
    batches, pending = [], []
    rejects = [rejects_frame([r.__dict__ for r in plan.refused], "ingest")]

    def flush() -> None:
        batch = f"{run_id}-{len(batches) + 1:04d}"
        ingested, batch_rejects = to_tables(pending, batch, seen, doc_ids_by_file)
        rejects.append(batch_rejects)
        # checked at write time: a writer that ran meanwhile (no lock) may have stored the same documents
        ingested = ingested[~ingested["doc_id"].isin(_written_meanwhile(out, earlier, {b for b, _ in batches}))]
        if len(ingested):
            write_table(ingested, out, "ingested", path=partition_path(out, "ingested", batch=batch),
                        metadata={"fingerprint": _ingested_fingerprint(ingested)})
            batches.append((batch, len(ingested)))
        pending.clear()

    for item in read_documents(to_read, settings.max_file_mb, settings.max_doc_chars):
        pending.append(item)
        if len(pending) >= settings.batch_documents:
            flush()
    flush()
    if limits_changed and not settings.force:
        _refuse_mass_deletion(out, earlier, dropped, batches)
    _remove_files(out, earlier, gone)  # after the new batches are written: a crash never leaves a document nowhere
    for path, ids in doc_ids_by_file.items():
        if path in read_now:
            read_now[path]["doc_ids"] = ids
    new_rejects = pd.concat(rejects, ignore_index=True)
    redone = gone | {str(path) for path in to_read} | {r.source for r in plan.refused}
    # rejects before the manifest: a run stopped between the two reads these files again and replaces them
    replace_rejects(out, new_rejects, lambda f: (f["stage"] == "ingest") & f["source"].map(file_of).isin(redone))
    rows = [frame for frame in (plan.unchanged[~orphaned], pd.DataFrame(list(read_now.values()))) if len(frame)]
    write_table(pd.concat(rows, ignore_index=True) if rows else empty_frame("raw_files"), out, "raw_files",
                metadata={"input": reading})
    summary = {"stage": "ingest", "files_read": len(to_read), "files_unchanged": int((~orphaned).sum()),
               "files_removed": len(plan.removed), "documents": sum(n for _, n in batches),
               "batches": [batch for batch, _ in batches], "rejects": _reject_counts(new_rejects),
               "seconds": round(time.monotonic() - started, 2)}
    log.info("ingest: %s", summary)
    return summary


def _ingested_fingerprint(ingested: pd.DataFrame) -> str:
    return fingerprint(sorted(zip(ingested["doc_id"], ingested["source_paths"].map(list))))


def _written_meanwhile(out: Path, earlier: dict[str, Path], own: set[str]) -> set[str]:
    """doc_ids of ingested batches that appeared after this run listed `earlier`, other than its own."""
    ids: set[str] = set()
    for batch, path in partitions(out, "ingested").items():
        if batch not in earlier and batch not in own:
            ids.update(read_file_as(path, "ingested", columns=["doc_id"])["doc_id"])
    return ids


def _refuse_mass_deletion(out: Path, earlier: dict[str, Path], dropped: set[str], batches: list) -> None:
    """Stop (and take back the new batches) when changed ingest limits would remove over half the documents."""
    before = sum(pq.read_metadata(path).num_rows for path in earlier.values())
    after = before - len(dropped) + sum(n for _, n in batches)
    if before and after < before / 2:
        for batch, _ in batches:
            drop_partition(partition_path(out, "ingested", batch=batch))
        raise WouldDeleteError(f"the changed ingest limits would leave {after} of the {before} documents in "
                               f"{table_path(out, 'ingested')}; nothing was changed. Check ingest.max_file_mb and "
                               f"ingest.max_doc_chars, or run again with --force to accept it.")


def _stored_documents(earlier: dict[str, Path], gone: set[str]) -> tuple[dict[str, str], set[str]]:
    """The first path of every stored document that keeps a file outside `gone` (to spot duplicates
    of it), and the doc_ids that will have no file left once `gone` is removed."""
    seen: dict[str, str] = {}
    dropped: set[str] = set()
    for path in earlier.values():
        stored = read_file_as(path, "ingested", columns=["doc_id", "source_paths"])
        for doc_id, paths in zip(stored["doc_id"], stored["source_paths"]):
            left = _paths_outside(paths, gone)
            if left:
                seen[doc_id] = left[0]
            else:
                dropped.add(doc_id)
    return seen, dropped


def _paths_outside(paths, gone: set[str]) -> list[str]:
    """A document's source paths whose raw file is not in `gone`."""
    return [p for p in paths if file_of(p) not in gone]


def _remove_files(out: Path, earlier: dict[str, Path], gone: set[str]) -> None:
    """Take the files in `gone` out of the earlier batches; documents left with no file leave their batch."""
    for path in earlier.values():
        stored = read_file_as(path, "ingested", columns=["source_paths"])
        if not stored["source_paths"].map(lambda paths: any(file_of(p) in gone for p in paths)).any():
            continue
        stored = read_file_as(path, "ingested")
        stored["source_paths"] = stored["source_paths"].map(lambda paths: _paths_outside(paths, gone))
        stored = stored[stored["source_paths"].map(len) > 0]
        if len(stored):
            write_table(stored, out, "ingested", path=path, metadata={"fingerprint": _ingested_fingerprint(stored)})
        else:
            drop_partition(path)


def _each_batch(stage: str, batches: list[str], work, map_batches=None, pool: Executor | None = None) -> list:
    """`work(batch)` for each batch, here or on `pool`'s processes, results in order and progress
    logged; or the whole list handed to `map_batches` (the Dask runner), which runs the stage's batch
    function on its workers."""
    if map_batches:
        return map_batches(batches)
    done = pool.map(work, batches) if pool and len(batches) > 1 else map(work, batches)
    results = []
    for number, (batch, result) in enumerate(zip(batches, done), start=1):
        results.append(result)
        log.info("%s: batch %s done (%d/%d)", stage, batch, number, len(batches))
    return results


@contextmanager
def _processes(workers: int):
    """A pool of `workers` processes for clean's batches, or None for 1. Started by spawn, not fork (the
    calling process may hold threads, e.g. Prefect's), and only when a stage has two batches or more
    to give it; each process loads spaCy once."""
    if workers < 2:
        yield None
        return
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            yield pool
    except BrokenProcessPool as exc:
        raise RuntimeError(
            f"a clean worker process stopped ({exc}). Out of memory? Or a script that runs the stages "
            "itself without `if __name__ == '__main__':` (spawned processes import it again); "
            "set clean.workers: 1 to keep all work in this process") from exc


# ---------------------------------------------------------------- clean

def run_clean(settings: Settings, map_batches=None) -> dict:
    """Clean the batches whose ingested rows changed (with NER on texts not seen before), then
    attribute holders where needed (run_attribution). With `clean.workers` > 1 the batches of both
    steps run in that many spawned processes; `map_batches(batches)` may run clean_batch elsewhere
    instead (the Dask runner). The person index of the whole corpus is built here, between the two."""
    started = time.monotonic()
    out = settings.out
    use_world_files(settings.config_dir)
    ingested = input_partitions(out, "ingested")
    stale = [batch for batch, path in ingested.items()
             if not _cleaned_from(partition_path(out, "documents", batch=batch), _clean_input(path, settings))]
    if stale and not settings.force:
        _refuse_clean_mass_deletion(settings)
    ensure_table(out, "documents")
    ensure_table(out, "sentences")
    known_people = _known_people(out) if stale and not map_batches else {}
    with _processes(settings.workers) as pool:
        _each_batch("clean", stale, partial(clean_batch, settings, known_people=known_people), map_batches, pool)
        for table in ("documents", "sentences"):  # batches gone upstream; kept until now so moved texts keep their NER
            _drop_orphans(out, table, ingested)
        redone_sentences = run_attribution(out, pool, settings.config_dir)
    rejects = _clean_rejects(out)
    replace_rejects(out, rejects, lambda f: f["stage"] == "clean")
    summary = {"stage": "clean", "documents": row_count(out, "documents"), "sentences": row_count(out, "sentences"),
               "batches": len(ingested), "batches_cleaned": len(stale),
               "batches_holders_redone": redone_sentences,
               "rejects": _reject_counts(rejects[rejects["batch"].isin(stale)]),
               "seconds": round(time.monotonic() - started, 2)}
    log.info("clean: %s", summary)
    return summary


def _cleaned_from(documents_path: Path, clean_input: str) -> bool:
    """Whether this documents partition was cleaned from `clean_input` and holds its batch's rejects
    (partitions written before rejects were kept with them are cleaned again)."""
    written = file_metadata(documents_path)
    return written.get("input") == clean_input and "rejects" in written


def _clean_rejects(out: Path) -> pd.DataFrame:
    """The clean rejects of every documents batch, read from the batch's own file. They are written in one
    step with its documents, so a run stopped before the rejects table is written loses none."""
    frames = []
    for batch, path in partitions(out, "documents").items():
        written = file_metadata(path)
        if written.get("rejects"):
            frames.append(rejects_frame(written["rejects"], "clean", batch, now=datetime.fromisoformat(written["cleaned_at"])))
    return pd.concat(frames, ignore_index=True) if frames else empty_frame("rejects")


def _clean_input(ingested_path: Path, settings: Settings) -> str:
    return fingerprint(file_metadata(ingested_path).get("fingerprint"), settings.languages, settings.min_chars,
                       settings.dayfirst, clean_rules_version())


def clean_batch(settings: Settings, batch: str, known_people: dict[str, list] | None = None) -> dict:
    """Clean one ingested batch, find the people in its new texts, and write its documents partition;
    runs in this process or on a Dask worker. Returns its document count and rejects."""
    out = settings.out
    use_world_files(settings.config_dir)  # a worker process starts with the packaged ones
    source = partition_path(out, "ingested", batch=batch)
    documents, rejects = clean_documents(read_file_as(source, "ingested"), settings.languages, settings.min_chars,
                                         settings.dayfirst)
    texts = documents["text"].tolist() if len(documents) else []
    known_people = _known_people(out) if known_people is None else known_people
    documents["people"] = find_people(texts, known_people, progress=_progress(f"clean {batch}: NER"))
    write_table(documents, out, "documents", path=partition_path(out, "documents", batch=batch),
                metadata={"input": _clean_input(source, settings),
                          "name_keys": sorted(set().union(*map(name_keys, texts))),
                          "rejects": rejects, "cleaned_at": datetime.now(timezone.utc).isoformat()})
    return {"documents": len(documents), "rejects": len(rejects)}


def run_attribution(out: Path, pool: Executor | None = None, config_dir: Path = PACKAGED_CONFIGS) -> int:
    """Write the sentences of every documents batch whose attribution inputs changed; return how many.

    Holders are resolved against one person index over the whole corpus; a batch's sentences are
    redone when its documents changed, when the index now answers differently for a name its texts
    use (a new article gives 'Lavrov' a first name and a role), or when the attribution rules or
    speakers.yaml changed (rules_version). Cleaning and NER are not redone for any of these.
    """
    use_world_files(config_dir)
    people = read_table(out, "documents", columns=["people"])["people"]
    index = index_people([[] if mentions is None else list(mentions) for mentions in people])
    todo = {}  # batch -> the fingerprint of its attribution inputs
    for batch, path in partitions(out, "documents").items():
        meta = file_metadata(path)
        made_from = fingerprint(meta.get("input"), index.view(meta.get("name_keys", [])), rules_version())
        if _input_of(partition_path(out, "sentences", batch=batch)) != made_from:
            todo[batch] = made_from
    _each_batch("attribution", list(todo), partial(attribute_batch, out, index, todo, config_dir), pool=pool)
    return len(todo)


def attribute_batch(out: Path, index, made_from: dict[str, str], config_dir: Path, batch: str) -> None:
    """Write the sentences partition of one documents batch, holders resolved against `index`."""
    use_world_files(config_dir)  # a worker process starts with the packaged ones
    documents = read_file_as(partition_path(out, "documents", batch=batch), "documents")
    write_table(sentence_rows(documents, index), out, "sentences", path=partition_path(out, "sentences", batch=batch),
                metadata={"input": made_from[batch]})


def _refuse_clean_mass_deletion(settings: Settings) -> None:
    """Stop before cleaning when clean.languages or clean.min_chars would now reject over half the documents.

    Predicted from the stored documents (their language and length), so nothing is cleaned or lost first.
    """
    if not table_path(settings.out, "documents").exists():
        return
    stored = read_table(settings.out, "documents", columns=["title", "text", "language"])
    body = stored["text"].str.len() - stored["title"].fillna("").str.len()
    by_language, by_length = ~stored["language"].isin(settings.languages), body < settings.min_chars
    lost = int((by_language | by_length).sum())
    if lost > len(stored) / 2:
        keys = [f"clean.{key}={value}" for key, value, removes in (
            ("languages", list(settings.languages), by_language.any()), ("min_chars", settings.min_chars, by_length.any()))
            if removes]
        raise WouldDeleteError(f"{' and '.join(keys)} would remove {lost} of the {len(stored)} documents in "
                               f"{table_path(settings.out, 'documents')}; nothing was changed. Check the config, "
                               f"or run again with --force to accept it.")


def _drop_orphans(out: Path, table_name: str, upstream: dict[str, Path], **fixed: str) -> None:
    """Remove partitions whose batch no longer exists upstream."""
    for batch, path in partitions(out, table_name, **fixed).items():
        if batch not in upstream:
            drop_partition(path)


def _known_people(out: Path) -> dict[str, list]:
    """People found by NER in every text cleaned before, by text hash: NER runs only on new texts."""
    try:
        earlier = read_table(out, "documents", columns=["text_hash", "people"])
    except StageInputError:
        return {}  # no usable earlier output: NER runs on every text
    return {h: [dict(p) for p in people] for h, people in zip(earlier["text_hash"], earlier["people"])
            if people is not None}


# ---------------------------------------------------------------- classify

def model_key(model) -> str:
    """The stances partition of a model: stances/model=<model_key>/batch=.../part-0.parquet."""
    return partition_value(f"{model.model_id}@{model.model_version}")


def run_classify(settings: Settings, model=None, map_batches=None) -> dict:
    """Stance of every sentence x target, batch by batch, into this model's stances partition.

    A batch is redone only when its sentences, the targets or the model changed; rows already
    computed for the same text, what the model reads of the target, and model are reused from any
    batch, so an edited target costs only its own rows. Each finished batch is written at once (a killed run
    resumes after it). Other models' partitions are left as they are, for comparison.
    `map_batches(batches)` may run classify_batch elsewhere (the Dask runner).
    """
    started = time.monotonic()
    model = model or load_model(settings.model)
    out = settings.out
    sentences = input_partitions(out, "sentences")
    key = model_key(model)
    ensure_table(out, "stances", model=key)
    # newest first: documents moved by ingest (a renamed file) are in a new batch, and their rows are
    # reused from the old batch's partition only while that partition is not yet rewritten
    todo = [batch for batch in reversed(sentences) if _input_of(partition_path(out, "stances", model=key, batch=batch))
            != _stances_input(sentences[batch], settings, model)]
    results = _each_batch("classify", todo, partial(classify_batch, settings, model=model), map_batches)
    stats = Counter()
    for result in results:
        stats.update(result)
    _drop_orphans(out, "stances", sentences, model=key)  # only now: their rows were the cache of moved texts
    summary = {"stage": "classify", "rows": row_count(out, "stances", model=key), "model": key,
               "batches": len(sentences), "batches_classified": len(todo),
               **{name: int(value) for name, value in stats.items()}, "seconds": round(time.monotonic() - started, 2)}
    log.info("classify: %s", summary)
    return summary


def _stances_input(sentences_path: Path, settings: Settings, model) -> str:
    return fingerprint(_input_of(sentences_path), [t.definition_hash for t in settings.targets],
                       model.model_id, model.model_version, settings.window, settings.outlet_voice, settings.own_side,
                       [sorted(t.voices) for t in settings.targets])


def classify_batch(settings: Settings, batch: str, model=None) -> dict:
    """Classify one batch and write its partition; runs in this process or on a Dask worker.

    The model is loaded once per process (load_model is cached), not once per batch. Earlier rows
    of the same model are read only for this batch's sentence texts.
    """
    model = model or load_model(settings.model)
    out = settings.out
    use_world_files(settings.config_dir)  # speaks_for's outlets; a worker process starts with the packaged ones
    key = model_key(model)
    source = partition_path(out, "sentences", batch=batch)
    sentences = read_file_as(source, "sentences")
    cache = None
    hashes = sorted(set(sentences["text_hash"]))
    if hashes and partitions(out, "stances", model=key):  # an empty `in` list is no filter pyarrow can type
        earlier = read_table(out, "stances", filters=[("text_hash", "in", hashes)],
                             columns=["input_hash", "target_hash", "p_favor", "p_against", "p_none", "decided_by",
                                      "model_id", "model_version"], model=key)
        cache = build_cache(earlier, model)
    documents = read_file_as(partition_path(out, "documents", batch=batch), "documents", columns=["doc_id", "opinion"])
    rows, stats = stance_rows(sentences, settings.targets, model, settings.window, cache,
                              progress=_progress(f"classify {batch}"), outlet_voice=settings.outlet_voice,
                              own_side=settings.own_side,
                              opinion_docs=frozenset(documents.loc[documents["opinion"], "doc_id"]))
    write_table(rows, out, "stances", path=partition_path(out, "stances", model=key, batch=batch),
                metadata={"input": _stances_input(source, settings, model), "model_id": model.model_id,
                          "model_version": model.model_version})
    return stats


# ---------------------------------------------------------------- aggregate

AGGREGATES = {"article_stance": agg.article_stance, "outlet_stance": agg.outlet_stance,
              "daily_stance": agg.daily_stance, "holder_stance": agg.holder_stance}


def run_aggregate(settings: Settings, model=None) -> dict:
    """Article, outlet, day and holder tables for the configured model, streaming batch by batch."""
    started = time.monotonic()
    model = model or load_model(settings.model)
    out = settings.out
    key = model_key(model)
    documents = input_partitions(out, "documents")
    stances = input_partitions(out, "stances", model=key)
    missing = sorted(set(documents) - set(stances))
    if missing:
        raise StageInputError(f"{len(missing)} batch(es) have no stances for model {key} "
                              f"(first: {missing[0]}): run the 'classify' stage first.")
    made_from = fingerprint(key, [(batch, _input_of(stances[batch])) for batch in documents])
    if all(_input_of(table_path(out, name)) == made_from for name in AGGREGATES):
        summary = {"stage": "aggregate", "batches": len(documents), "unchanged": True,
                   "seconds": round(time.monotonic() - started, 2)}
        log.info("aggregate: inputs unchanged since the last run, tables kept: %s", summary)
        return summary
    facts = pd.concat([agg.stance_facts(read_file_as(documents[batch], "documents"),
                                        read_file_as(partition_path(out, "sentences", batch=batch), "sentences"),
                                        read_file_as(stances[batch], "stances"))
                       for batch in documents] or
                      [agg.stance_facts(*(empty_frame(name) for name in ("documents", "sentences", "stances")))],
                      ignore_index=True)
    tables = {name: make(facts) for name, make in AGGREGATES.items()}
    for name, frame in tables.items():
        write_table(frame, out, name, metadata={"input": made_from, "model": key, "model_id": model.model_id,
                                                 "model_version": model.model_version})
    summary = {"stage": "aggregate", **{name: len(frame) for name, frame in tables.items()},
               "batches": len(documents), "seconds": round(time.monotonic() - started, 2)}
    log.info("aggregate: %s", summary)
    return summary


STAGES = {"ingest": run_ingest, "clean": run_clean, "classify": run_classify, "aggregate": run_aggregate}
# The stages whose batches can run elsewhere (one Dask task each): the function that does one batch.
BATCH_WORK = {"clean": clean_batch, "classify": classify_batch}

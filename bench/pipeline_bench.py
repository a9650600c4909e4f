"""Pipeline benchmark (not a test): a real news corpus, or a synthetic cache-heavy one.

    python bench/pipeline_bench.py --corpus /work/corpora/news --sizes 1000 5000 10000 [--json out.json]
    python bench/pipeline_bench.py --sizes 100 1000                 # synthetic, cache-heavy

With --corpus (a folder of article files in any format ingest reads, searched recursively) each N
takes N distinct articles from it in a fixed shuffled order. Without it, N articles are made by
resampling the seed sentences, so most sentences repeat and classify is mostly served by its cache:
label that case "cache-heavy", it does not say what a real corpus costs.

For each N, in a fresh process with its own Prefect home, it times the whole pipeline flow, a no-op
rerun (nothing changed), a rerun after adding one article and one after editing one target's
entities. It reports wall time per stage, sentences and (sentence, target) pairs scored per second,
the share of sentences that reached the model, peak RSS and Prefect's overhead (flow wall time minus
the sum of the stage bodies).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEAKERS = ["Sergei Lavrov", "Jens Stoltenberg", "Maria Zakharova", "Antony Blinken", "Dmitry Peskov",
            "Mark Rutte", "Olaf Scholz", "Dmytro Kuleba"]
OUTLETS = ["TASS", "Reuters", "teleSUR", "RT", "EFE", "Sputnik"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def seed_sentences() -> list[str]:
    from stancewatch.tasks.clean import clean_document
    from stancewatch.tasks.sentences import split_sentences

    sentences = []
    for path in sorted((ROOT / "data/raw/samples").glob("*.txt")):
        title, body = path.read_text(encoding="utf-8").split("\n", 1)
        doc = clean_document(body, title=title)
        sentences += [doc.text[s.start:s.end] for s in split_sentences(doc.body)]
    return sentences


def article(rng: random.Random, number: int, pool: list[str]) -> str:
    """One synthetic article: varied seed sentences, a quote, a dateline and a source line."""
    paragraphs = []
    for _ in range(rng.randint(8, 16)):
        sentence = rng.choice(pool)
        if rng.random() < 0.5:
            sentence = f"On {rng.choice(WEEKDAYS)}, {sentence[0].lower()}{sentence[1:]}"
        paragraphs.append(sentence)
    speaker = rng.choice(SPEAKERS)
    paragraphs.insert(rng.randint(1, len(paragraphs)), f"“{rng.choice(pool).rstrip('.')},” {speaker} said "
                                                        f"in statement number {number}.")
    title = f"{rng.choice(pool)[:60].rstrip(' ,.')} ({number})"
    date = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.choice([2022, 2023, 2024])}"
    footer = [f"{rng.choice(OUTLETS)}, {date}"] if rng.random() < 0.7 else []
    footer.append(f"Source: {rng.choice(OUTLETS)}")
    return "\n\n".join([title, *paragraphs, *footer, "Leave a Reply"]) + "\n"


def build_corpus(raw: Path, n: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    pool = seed_sentences()
    raw.mkdir(parents=True, exist_ok=True)
    for number in range(n):
        (raw / f"article-{number:06d}.txt").write_text(article(rng, number, pool), encoding="utf-8")


INGESTED_SUFFIXES = {".txt", ".html", ".htm", ".jsonl", ".ndjson", ".csv", ".parquet"}  # not .md: corpus notes


def corpus_files(corpus: Path) -> list[Path]:
    """Every article file under `corpus`, in one fixed shuffled order (sources and sections mixed)."""
    files = sorted(p for p in corpus.rglob("*") if p.is_file() and p.suffix.lower() in INGESTED_SUFFIXES)
    random.Random(7).shuffle(files)
    return files


def copy_corpus(corpus: Path, raw: Path, n: int, skip: int = 0) -> int:
    """Copy articles skip..skip+n of the corpus into `raw` (copies: ingest refuses links out of its folder)."""
    files = corpus_files(corpus)[skip:skip + n]
    if len(files) < n:
        sys.exit(f"{corpus} has {len(files) + skip} article files, fewer than the {n + skip} asked for")
    raw.mkdir(parents=True, exist_ok=True)
    for number, path in enumerate(files, start=skip):
        shutil.copyfile(path, raw / f"{number:06d}-{path.name}")
    return len(files)


def edit_one_target(config_dir: Path) -> str:
    """A copy of the configs with one more entity, named by no text, on the first target: classify runs
    again for it, and its stored probabilities are reused (an entity only chooses sentences)."""
    import yaml

    shutil.copytree(ROOT / "configs", config_dir)
    targets_file = config_dir / "targets.yaml"
    data = yaml.safe_load(targets_file.read_text(encoding="utf-8"))
    first = data["targets"][0]
    first["entities"] = [*first.get("entities", []), "bench-entity-that-no-text-names"]
    targets_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return first["name"]


def run_one(n: int, corpus: Path | None, runner: str = "local") -> dict:
    """Runs in its own process: build, run, rerun, add one article, rerun, edit one target, rerun."""
    from stancewatch.flows.pipeline import pipeline_flow

    work = Path(tempfile.mkdtemp(prefix=f"stancewatch-bench-{n}-"))
    raw, out, configs = work / "raw", work / "processed", work / "configs"
    started = time.perf_counter()
    if corpus:
        copy_corpus(corpus, raw, n)
    else:
        build_corpus(raw, n)
    build_seconds = time.perf_counter() - started
    shutil.copytree(ROOT / "configs", configs)

    def timed_run() -> tuple[float, dict]:
        start = time.perf_counter()
        summaries = pipeline_flow(config_dir=str(configs), raw=str(raw), out=str(out), runner=runner)
        return time.perf_counter() - start, {s["stage"]: s for s in summaries}

    first_wall, stage = timed_run()
    noop_wall, noop = timed_run()
    if corpus:
        copy_corpus(corpus, raw, 1, skip=n)
    else:
        (raw / "added-article.txt").write_text(article(random.Random(99), n + 1, seed_sentences()), encoding="utf-8")
    add_wall, added = timed_run()
    shutil.rmtree(configs)
    edited = edit_one_target(configs)
    edit_wall, after_edit = timed_run()
    classify = stage["classify"]
    return {
        "corpus": str(corpus) if corpus else "synthetic (cache-heavy)",
        "runner": runner,
        "articles": n,
        "build_seconds": round(build_seconds, 1),
        "sentences": stage["clean"]["sentences"],
        "documents": stage["ingest"]["documents"],
        "stage_seconds": {name: s["seconds"] for name, s in stage.items()},
        "pipeline_wall_seconds": round(first_wall, 1),
        "prefect_overhead_seconds": round(first_wall - sum(s["seconds"] for s in stage.values()), 1),
        "clean_ms_per_article": round(1000 * stage["clean"]["seconds"] / max(stage["clean"]["documents"], 1), 1),
        "classify_pairs_scored": classify.get("pairs_scored", 0),
        "classify_pairs_per_second": round(classify.get("pairs_scored", 0) / classify["seconds"], 1),
        "classify_sentences_per_second": round(stage["clean"]["sentences"] / classify["seconds"], 1),
        "share_of_pairs_reaching_model": round(classify.get("pairs_scored", 0) / max(classify["rows"], 1), 3),
        "noop_rerun_seconds": round(noop_wall, 1),
        "noop_stage_seconds": {name: s["seconds"] for name, s in noop.items()},
        "noop_rerun_pairs_scored": noop["classify"].get("pairs_scored", 0),
        "add_one_article_seconds": round(add_wall, 1),
        "add_one_stage_seconds": {name: s["seconds"] for name, s in added.items()},
        "add_one_pairs_scored": added["classify"].get("pairs_scored", 0),
        "edit_one_target": edited,
        "edit_one_target_seconds": round(edit_wall, 1),
        "edit_one_target_stage_seconds": {name: s["seconds"] for name, s in after_edit.items()},
        "edit_one_target_pairs_scored": after_edit["classify"].get("pairs_scored", 0),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None,
                        help="folder of real articles (searched recursively); without it, synthetic cache-heavy ones")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--runner", choices=["local", "dask"], default="local",
                        help="dask: clean and classify batches on a 2-worker local Dask cluster")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.corpus, args.runner)))
        return
    results = []
    for n in args.sizes:
        env = {**os.environ, "PREFECT_HOME": tempfile.mkdtemp(prefix="stancewatch-bench-prefect-")}
        command = [sys.executable, __file__, "--one", str(n), "--runner", args.runner,
                   *(["--corpus", str(args.corpus)] if args.corpus else [])]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
        if done.returncode:
            sys.exit(f"N={n} failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    columns = ["articles", "sentences", "pipeline_wall_seconds", "prefect_overhead_seconds", "clean_ms_per_article",
               "classify_sentences_per_second", "classify_pairs_per_second", "share_of_pairs_reaching_model",
               "noop_rerun_seconds", "add_one_article_seconds", "edit_one_target_seconds", "peak_rss_mb"]
    print(" | ".join(columns))
    for r in results:
        print(" | ".join(str(r[c]) for c in columns) + "   stages: " + json.dumps(r["stage_seconds"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

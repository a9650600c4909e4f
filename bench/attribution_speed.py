"""Per-article time of clean and attribution, with model loading timed apart.

Runs on a folder of raw articles (default: realnews_dev) or on the synthetic bench corpus of
bench/pipeline_bench.py (`--bench N` articles), in one process:
  load   spaCy NER pipeline, then the parser pipeline (once per process);
  clean  clean_documents (boilerplate, dates, outlet);
  NER    attribution.find_people (people and their roles);
  attrib attribution.sentence_rows (split, quotes, parse of sentences with a reporting verb, holders).

    python bench/attribution_speed.py [--raw DIR | --bench 200] [--repeat 2]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stancewatch.tasks import holders  # noqa: E402
from stancewatch.tasks.attribution import find_people, sentence_rows  # noqa: E402
from stancewatch.tasks.catalog import read_table  # noqa: E402
from stancewatch.tasks.clean import clean_documents  # noqa: E402
from stancewatch.tasks.config import Settings  # noqa: E402
from stancewatch.tasks.holders import index_people  # noqa: E402
from stancewatch.tasks.runs import run_ingest  # noqa: E402


def timed(work):
    """Result, wall seconds and CPU seconds of this process (steadier when other jobs share the cores)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.perf_counter() - started, time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default="../shared/eval/realnews_dev/raw")
    parser.add_argument("--bench", type=int, help="use a synthetic corpus of this many articles instead")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many passes (models stay loaded)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="attribution_speed-"))
    raw = Path(args.raw)
    if args.bench:
        from pipeline_bench import build_corpus
        raw = work / "raw"
        build_corpus(raw, args.bench)
    run_ingest(Settings(raw=raw, out=work / "out"))
    ingested = read_table(work / "out", "ingested")
    _, ner_load = timed(holders.load_ner)
    _, parser_load = timed(holders.load_parser)
    best = {}
    for _ in range(args.repeat):
        (documents, _), clean_s = timed(lambda: clean_documents(ingested))
        people, ner_s = timed(lambda: find_people(documents["text"].tolist()))
        documents["people"] = people
        index = index_people(people)
        sentences, attribution_s = timed(lambda: sentence_rows(documents, index))
        for name, seconds in (("clean", clean_s), ("NER", ner_s), ("attribution", attribution_s)):
            best[name] = min(best.get(name, seconds), seconds)  # best wall time, with its CPU time
    n = len(documents)
    print(f"{n} articles, {len(sentences)} sentences; model load (wall): NER {ner_load[0]:.2f} s, "
          f"parser {parser_load[0]:.2f} s")
    print(f"{'ms/article':<12} {'wall':>7} {'CPU':>7}")
    for name, (wall, cpu) in best.items():
        print(f"{name:<12} {1000 * wall / n:7.1f} {1000 * cpu / n:7.1f}")
    print(f"{'total':<12} {1000 * sum(w for w, _ in best.values()) / n:7.1f} "
          f"{1000 * sum(c for _, c in best.values()) / n:7.1f}   (clean + NER + attribution)")


if __name__ == "__main__":
    main()

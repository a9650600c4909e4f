"""Classify speed: stancewatch's classify stage vs the plain transformers code a user would write.

    python bench/classify_speed.py [--raw DIR] [--repeats 2] [--json out.json]

Sentences come from the real articles in --raw (default: the realnews_dev articles beside the
checkout): the sentences table ingest and clean write; every sentence of an article that concerns a
target is paired with that target (window = the whole article), so every pair reaches the model.

(a) plain: transformers' `pipeline("text-classification")` on the same fine-tuned model, saved as an
    ordinary model folder, called once per (sentence, target) pair.
(b) stancewatch: stancewatch.tasks.classify.stance_rows (length-sorted, dynamically padded batches,
    inference_mode, one pass per distinct pair, and bf16 with close calls recomputed in fp32 when
    model.precision allows it).
Runs alternate (a, b, a, b) in one process; label agreement is measured on every pair. Not a test.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stancewatch.tasks.catalog import read_table  # noqa: E402
from stancewatch.tasks.classify import model_inputs, stance_rows  # noqa: E402
from stancewatch.tasks.config import PRECISIONS, load_settings  # noqa: E402
from stancewatch.tasks.model import load_model  # noqa: E402
from stancewatch.tasks.runs import STAGES, model_key  # noqa: E402

WHOLE_ARTICLE = 10 ** 6


def sentences_of(raw: Path, settings) -> pd.DataFrame:
    """The sentences table the pipeline writes for the articles in raw (ingest and clean into a temp folder)."""
    with tempfile.TemporaryDirectory() as out:
        run = settings.replace(raw=raw, out=Path(out))
        for stage in ("ingest", "clean"):
            STAGES[stage](run)
        return read_table(run.out, "sentences")


def model_input_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """doc_id, sentence_index and the text classify sends to the model for that sentence."""
    ordered = frame.sort_values(["doc_id", "sentence_index"])
    return pd.concat([group[["doc_id", "sentence_index"]].assign(model_input=model_inputs(group))
                      for _, group in ordered.groupby("doc_id", sort=False)], ignore_index=True)


def plain(classifier, pairs: list[tuple[str, str]]) -> list[str]:
    """What a user writes: the pipeline called once per (sentence, target) pair."""
    return [classifier({"text": text, "text_pair": target})["label"] for text, target in pairs]


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT.parent / "shared/eval/realnews_dev/raw")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=None, help="override model.batch_size")
    parser.add_argument("--precision", choices=PRECISIONS, default=None, help="override model.precision")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from transformers import pipeline

    settings = load_settings(ROOT / "configs")
    for key in ("batch_size", "precision"):
        if getattr(args, key):
            settings = settings.replace(model=settings.model.replace(**{key: getattr(args, key)}))
    model = load_model(settings.model)
    frame = sentences_of(args.raw, settings)
    network, tokenizer = model.network
    with tempfile.TemporaryDirectory() as folder:
        network.save_pretrained(folder, safe_serialization=True)
        tokenizer.save_pretrained(folder)
        classifier = pipeline("text-classification", model=folder, tokenizer=folder, device="cpu",
                              truncation="only_first", max_length=settings.model.max_length)
        rows, _ = stance_rows(frame, settings.targets, model, window=WHOLE_ARTICLE)
        modelled = rows[rows["decided_by"] != "no_mention"].merge(model_input_texts(frame))
        pairs = list(zip(modelled["model_input"], modelled["target"]))  # what classify sends, context included
        plain_times, sw_times = [], []
        for _ in range(args.repeats):
            seconds, plain_labels = timed(plain, classifier, pairs)
            plain_times.append(seconds)
            seconds, (sw_rows, stats) = timed(stance_rows, frame, settings.targets, model, window=WHOLE_ARTICLE)
            sw_times.append(seconds)
    sw_labels = sw_rows[sw_rows["decided_by"] != "no_mention"].merge(model_input_texts(frame))["label"].tolist()
    report = {
        "model": model_key(model), "sentences": len(frame), "pairs": len(pairs),
        "pairs_scored_per_run": stats["pairs_scored"],
        "plain_pairs_per_s": round(len(pairs) / min(plain_times), 1),
        "stancewatch_pairs_per_s": round(len(pairs) / min(sw_times), 1),
        "ratio": round(min(plain_times) / min(sw_times), 2),
        "label_agreement": round(sum(a == b for a, b in zip(plain_labels, sw_labels)) / len(pairs), 4),
        "threads": settings.model.threads, "batch_size": settings.model.batch_size,
        "bf16": getattr(model, "bf16", False),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    for key, value in report.items():
        print(f"{key:24}{value:>20}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()

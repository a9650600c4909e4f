"""Stance labels on older news labelled apart from realnews_dev, with and without classify.own_side (not a test).

    git show 9abfba2:data/eval/news_silver.csv > /tmp/news_silver.csv
    python bench/silver_check.py --labels /tmp/news_silver.csv --raw DIR_OF_THE_465_ARTICLES

The labels (`input_hash,target,label`: 2 168 sentences of 465 older articles of the bench corpus,
hand-labelled by helper sessions; tasks/heads/README.md) are keyed by the hash of what the model reads,
so rows whose sentence or quote context the pipeline now reads differently are not found. The
articles are the 465 that `bench/build_silver.py` of that commit (`git show 9abfba2:bench/build_silver.py`)
drew from the bench corpus (`bench/build_news_corpus.py`). Rules found on realnews_dev's errors
are checked here on labels nobody tuned them to.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stancewatch.tasks.catalog import read_table  # noqa: E402
from stancewatch.tasks.config import load_settings  # noqa: E402
from stancewatch.tasks.evaluate import scores  # noqa: E402
from stancewatch.tasks.runs import run_classify, run_clean, run_ingest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--raw", type=Path, required=True)
    args = parser.parse_args()
    labels = pd.read_csv(args.labels)
    with tempfile.TemporaryDirectory() as work:
        settings = load_settings(ROOT / "configs", raw=args.raw, out=work)
        run_ingest(settings), run_clean(settings), run_classify(settings)
        stances = read_table(Path(work), "stances").drop_duplicates(["input_hash", "target"])
    rows = labels.merge(stances, on=["input_hash", "target"], suffixes=("", "_predicted"))
    turned = (rows["decided_by"] == "own_side").to_numpy()
    print(f"labels {len(labels)}, found {len(rows)}, turned by own_side {int(turned.sum())} "
          f"(labelled AGAINST: {int((rows['label'][turned] == 'AGAINST').sum())})")
    for name, predicted in (("own_side off", np.where(turned, "AGAINST", rows["label_predicted"])),
                            ("own_side on", rows["label_predicted"].to_numpy())):
        result = scores(rows["label"].tolist(), list(predicted))
        print(f"{name}: macro-F1 {result['macro_f1']:.3f}",
              {label: round(value["f1"], 3) for label, value in result["per_class"].items()})


if __name__ == "__main__":
    main()

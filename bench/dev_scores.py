"""The dev-set table that model and holder choices are made on, for one or more stance models.

    python bench/dev_scores.py [--head minilm-stance-ce-v1 --head minilm-stance-v1] [--json out.json]

- realnews_dev in context: the whole pipeline on ../shared/eval/realnews_dev/raw, labelled sentences
  matched by normalised text (label macro-F1, FAVOR F1, holder accuracy, share of FAVOR/AGAINST rows
  that reach the model);
- VAST dev, topics not seen in VAST training (`seen? == 0`): F_avg with every row sent to the model;
- RUW val: 3-class macro-F1 with every row sent to the model.
Dev data is for choosing only; nothing here trains on it. Not a test.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stancewatch.tasks.config import load_settings  # noqa: E402
from stancewatch.tasks.evaluate import evaluate_in_context, read_csv_text, read_labelled, score_sentences  # noqa: E402
from stancewatch.tasks.model import load_model  # noqa: E402
from stancewatch.tasks.runs import model_key  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval"


def sentence_scores(path: Path, model, settings, keep=None) -> dict:
    """Scores of each row on its own, without the relevance gate (the public sets name topics loosely).
    `keep(raw) -> bool mask` selects rows of the file before it is read as labelled data."""
    if keep is not None:
        raw = read_csv_text(path)
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8") as subset:
            raw[keep(raw)].to_csv(subset, index=False)
        path = Path(subset.name)
    return score_sentences(read_labelled(path)[0], settings.targets, model, gate=False)


def row_for(head: str, settings) -> dict:
    settings = settings.replace(model=settings.model.replace(head=head))
    model = load_model(settings.model)
    with tempfile.TemporaryDirectory() as work:
        news, _ = evaluate_in_context(EVAL / "realnews_dev/labels.csv", EVAL / "realnews_dev/raw", settings, work)
    vast = sentence_scores(EVAL / "vast_dev.csv", model, settings,
                           keep=lambda raw: raw["seen?"] == "0")
    ruw = sentence_scores(EVAL / "ruw_val.csv", model, settings)
    return {"model": model_key(model),
            "realnews_macro_f1": round(news["macro_f1"], 3),
            "realnews_favor_f1": round(news["per_class"]["FAVOR"]["f1"], 3),
            "realnews_f_avg": round(news["f_avg"], 3),
            "realnews_holder_accuracy": round(news["holder_accuracy"], 3),
            "realnews_stance_rows_reaching_model": round(news["stance_rows_reaching_model"], 3),
            "vast_unseen_f_avg": round(vast["f_avg"], 3), "vast_unseen_macro_f1": round(vast["macro_f1"], 3),
            "ruw_macro_f1": round(ruw["macro_f1"], 3), "ruw_f_avg": round(ruw["f_avg"], 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--head", action="append", default=None,
                        help="stance model in tasks/heads/ (repeatable; default: the configured one)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    settings = load_settings(ROOT / "configs")
    rows = [row_for(head, settings) for head in (args.head or [settings.model.head])]
    columns = list(rows[0])
    print(" | ".join(columns))
    for row in rows:
        print(" | ".join(str(row[c]) for c in columns))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()

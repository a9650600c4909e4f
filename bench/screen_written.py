"""Drop written training sentences that come close to a realnews_dev or sample-article sentence.

    python bench/screen_written.py IN.csv OUT.csv [--shared-eval ../shared/eval]

check_leakage.py catches equal texts; this catches paraphrases: a row is dropped when it shares a
run of four words with a held-out sentence, or when the Jaccard overlap of their content words
(stopwords left out) is 0.25 or more. It is strict on purpose and also drops some generic
sentences. Every round of data/eval/news_written.csv went through it (counts in data/eval/README.md).
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from check_leakage import DEFAULT_SHARED_EVAL, SAMPLES, SENTENCE_BREAK, article_texts, csv_column  # noqa: E402

STOPWORDS = set("the a an of to in and or for on at by with from that this is was were be been are it its as "
                "he she they we i you his her their our said says will would has have had not but".split())
MAX_JACCARD = 0.25
SHARED_WORDS = 4


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def word_runs(text: str) -> set[str]:
    w = words(text)
    return {" ".join(w[i:i + SHARED_WORDS]) for i in range(len(w) - SHARED_WORDS + 1)}


class HeldOut:
    """Sentences no training row may paraphrase: realnews_dev labels and articles, and the samples."""

    def __init__(self, shared_eval: Path) -> None:
        realnews = shared_eval / "realnews_dev"
        sentences = csv_column(realnews / "labels.csv", "text")
        for article in article_texts(realnews / "raw") + [p.read_text("utf-8") for p in sorted(SAMPLES.iterdir())]:
            sentences += SENTENCE_BREAK.split(article)
        self.sentences = [(set(words(s)) - STOPWORDS, word_runs(s)) for s in sentences if len(words(s)) >= 5]

    def near(self, text: str) -> bool:
        content, runs = set(words(text)) - STOPWORDS, word_runs(text)
        return any(runs & other_runs or len(content & other) / max(1, len(content | other)) >= MAX_JACCARD
                   for other, other_runs in self.sentences)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--shared-eval", type=Path, default=DEFAULT_SHARED_EVAL)
    args = parser.parse_args()
    held = HeldOut(args.shared_eval)
    with args.source.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    kept = [row for row in rows if not held.near(row["text"])]
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["text", "target", "label", "holder"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows({**row, "holder": row.get("holder", "")} for row in kept)
    print(f"{args.source}: {len(rows)} rows, {len(rows) - len(kept)} near a held-out sentence dropped, {len(kept)} kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())

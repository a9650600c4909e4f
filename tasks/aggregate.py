"""Aggregate: stance per article, outlet, day and holder (speaker) for each target.

Only sentences that concern a target (decided by the model, not `no_mention`) count. For each group:
counts and shares of FAVOR/AGAINST/NONE, `n_evidence` = FAVOR + AGAINST sentences, and
`net_score` = (FAVOR - AGAINST) / evidence in [-1, 1] (null without evidence). `label` is the
side with more evidence, NONE on a tie.

Aggregation streams: stance_facts() reduces one batch's sentence x target rows to counts per
(document, holder, target, label), a small fraction of the rows; the per-batch facts are
concatenated and every table sums the counts `n`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


_FACT_KEYS = ["doc_id", "title", "outlet", "published", "target", "holder", "holder_role", "holder_kind",
              "concerns", "label"]


def stance_facts(documents: pd.DataFrame, sentences: pd.DataFrame, stances: pd.DataFrame) -> pd.DataFrame:
    """Stance rows joined with their sentence's holder and their document's outlet, date and title,
    counted per document, holder, target and label (column `n`)."""
    facts = stances.merge(sentences[["doc_id", "sentence_index", "holder", "holder_role", "holder_kind"]],
                          on=["doc_id", "sentence_index"], how="left", validate="many_to_one")
    facts = facts.merge(documents[["doc_id", "title", "outlet", "published"]], on="doc_id", how="left",
                        validate="many_to_one")
    facts["outlet"] = facts["outlet"].fillna("unknown outlet")
    facts["concerns"] = facts["decided_by"] != "no_mention"
    return facts.groupby(_FACT_KEYS, dropna=False, sort=False, observed=True).size().rename("n").reset_index()


def _counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Stance counts, shares, net score and label per group of `keys`, for sentences that concern the target."""
    concerns = frame["concerns"].astype(bool)
    concerned = frame.assign(
        n_concerned=frame["n"] * concerns,
        is_favor=frame["n"] * ((frame["label"] == "FAVOR") & concerns),
        is_against=frame["n"] * ((frame["label"] == "AGAINST") & concerns),
        is_none=frame["n"] * ((frame["label"] == "NONE") & concerns),
    )
    grouped = concerned.groupby(keys, dropna=False, sort=True, observed=True)
    out = pd.DataFrame({
        "n_sentences": grouped["n_concerned"].sum(),
        "n_favor": grouped["is_favor"].sum(),
        "n_against": grouped["is_against"].sum(),
        "n_none": grouped["is_none"].sum(),
    }).reset_index()
    total = out["n_sentences"].replace(0, np.nan)
    for label in ("favor", "against", "none"):
        out[f"share_{label}"] = (out[f"n_{label}"] / total).fillna(0.0)
    out["n_evidence"] = out["n_favor"] + out["n_against"]
    out["net_score"] = (out["n_favor"] - out["n_against"]) / out["n_evidence"].replace(0, np.nan)
    out["label"] = np.select([out["n_favor"] > out["n_against"], out["n_against"] > out["n_favor"]],
                             ["FAVOR", "AGAINST"], "NONE")
    return out


def article_stance(facts: pd.DataFrame) -> pd.DataFrame:
    """Per article x target, for all voices, the outlet's own voice, and quoted/reported voices."""
    voices = [facts.assign(voice="all"),
              facts[facts["holder_kind"] == "outlet"].assign(voice="outlet"),
              facts[facts["holder_kind"] != "outlet"].assign(voice="quoted")]
    frame = pd.concat(voices, ignore_index=True)
    return _counts(frame, ["doc_id", "title", "outlet", "published", "target", "voice"])


def outlet_stance(facts: pd.DataFrame) -> pd.DataFrame:
    out = _counts(facts, ["outlet", "target"])
    articles = facts.groupby(["outlet", "target"])["doc_id"].nunique().rename("n_articles").reset_index()
    return out.merge(articles, on=["outlet", "target"])


def daily_stance(facts: pd.DataFrame) -> pd.DataFrame:
    """Per publication day x target; articles without a known date are left out (not given today's date)."""
    dated = facts[facts["published"].notna()].assign(date=lambda f: f["published"].dt.floor("D"))
    out = _counts(dated, ["date", "target"])
    articles = dated.groupby(["date", "target"])["doc_id"].nunique().rename("n_articles").reset_index()
    return out.merge(articles, on=["date", "target"])


def holder_stance(facts: pd.DataFrame) -> pd.DataFrame:
    """Per holder x target, over the articles where the holder speaks about the target. Unnamed sources
    (holder_kind `source`: "officials", "the army") are left out: the same words name different people in
    different articles; their sentences count in the quoted voice of article_stance and in the other tables."""
    keys = ["holder", "holder_kind", "target"]
    concerned = facts[facts["concerns"].astype(bool) & (facts["holder_kind"] != "source")]
    out = _counts(concerned, keys)
    grouped = concerned.groupby(keys)
    roles = (concerned.dropna(subset=["holder_role"]).groupby([*keys, "holder_role"])["n"].sum().reset_index()
             .sort_values(["n", "holder_role"], ascending=[False, True]).drop_duplicates(keys))
    extra = pd.DataFrame({
        "n_articles": grouped["doc_id"].nunique(),
        "outlets": grouped["outlet"].agg(lambda s: sorted(set(s))),
        "first_date": grouped["published"].min(),
        "last_date": grouped["published"].max(),
    }).reset_index()
    out = out.merge(extra, on=keys).merge(roles[[*keys, "holder_role"]], on=keys, how="left")
    out["n_outlets"] = out["outlets"].map(len)
    return out

"""Aggregation on a hand-made stance table with hand-computed expectations."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from stancewatch.tasks import aggregate as agg

DAY1 = datetime(2024, 6, 21, tzinfo=timezone.utc)


@pytest.fixture()
def facts(frames):
    return agg.stance_facts(*frames)


@pytest.fixture()
def frames():
    documents = pd.DataFrame({"doc_id": ["a", "b"], "title": ["A", "B"], "outlet": ["Wire", None],
                              "published": [DAY1, pd.NaT]})
    sentences = pd.DataFrame({
        "doc_id": ["a"] * 4 + ["b"] * 2, "sentence_index": [0, 1, 2, 3, 0, 1],
        "holder": ["Lavrov", "Lavrov", "Wire", "Wire", "Lavrov", "Stoltenberg"],
        "holder_role": ["FM", None, None, None, "FM", None],
        "holder_kind": ["person", "person", "outlet", "outlet", "person", "person"],
        "is_quote": [True, False, False, False, True, True]})
    stances = pd.DataFrame({
        "doc_id": ["a"] * 4 + ["b"] * 2, "sentence_index": [0, 1, 2, 3, 0, 1], "target": "NATO",
        "label": ["AGAINST", "AGAINST", "FAVOR", "NONE", "AGAINST", "FAVOR"],
        "decided_by": ["mention", "mention", "mention", "no_mention", "mention", "mention"]})
    return documents, sentences, stances


def test_article_stance_counts_and_voices(facts):
    table = agg.article_stance(facts).set_index(["doc_id", "voice"])
    row = table.loc[("a", "all")]
    assert (row.n_sentences, row.n_favor, row.n_against, row.n_none) == (3, 1, 2, 0)
    assert row.net_score == pytest.approx(-1 / 3)
    assert row.share_against == pytest.approx(2 / 3)
    assert row.label == "AGAINST"
    assert table.loc[("a", "outlet"), "n_favor"] == 1
    assert table.loc[("a", "quoted"), "n_against"] == 2
    assert table.loc[("b", "all"), "label"] == "NONE"  # one FAVOR, one AGAINST: a tie
    assert table.loc[("b", "all"), "net_score"] == 0


def test_outlet_daily_holder(facts):
    outlets = agg.outlet_stance(facts).set_index("outlet")
    assert outlets.loc["Wire", "n_articles"] == 1
    assert outlets.loc["unknown outlet", "n_evidence"] == 2
    daily = agg.daily_stance(facts)
    assert list(daily["date"]) == [DAY1] and daily.loc[0, "n_sentences"] == 3  # undated article left out
    holders = agg.holder_stance(facts).set_index("holder")
    lavrov = holders.loc["Lavrov"]
    assert (lavrov.n_against, lavrov.n_articles, lavrov.n_outlets, lavrov.holder_role) == (3, 2, 2, "FM")
    assert lavrov.net_score == -1 and lavrov.first_date == DAY1
    assert holders.loc["Stoltenberg", "label"] == "FAVOR"
    assert holders.loc["Wire", "n_sentences"] == 1  # the NONE row did not concern the target


def test_net_score_is_null_without_evidence():
    documents = pd.DataFrame({"doc_id": ["a"], "title": ["A"], "outlet": ["W"], "published": [DAY1]})
    sentences = pd.DataFrame({"doc_id": ["a"], "sentence_index": [0], "holder": ["W"], "holder_role": [None],
                              "holder_kind": ["outlet"], "is_quote": [False]})
    stances = pd.DataFrame({"doc_id": ["a"], "sentence_index": [0], "target": ["NATO"], "label": ["NONE"],
                            "decided_by": ["no_mention"]})
    table = agg.outlet_stance(agg.stance_facts(documents, sentences, stances))
    assert table.loc[0, "n_sentences"] == 0 and pd.isna(table.loc[0, "net_score"])


def test_batch_by_batch_facts_give_the_same_tables(frames, facts):
    """Aggregate streams: facts of each batch, concatenated, equal the facts of the whole corpus."""
    per_batch = pd.concat([agg.stance_facts(*(frame[frame["doc_id"] == doc] for frame in frames)) for doc in "ab"],
                          ignore_index=True)
    assert per_batch["n"].sum() == len(frames[2])  # every stance row counted once
    for table in (agg.article_stance, agg.outlet_stance, agg.daily_stance, agg.holder_stance):
        pd.testing.assert_frame_equal(table(per_batch), table(facts))


def test_unnamed_sources_count_as_quoted_voices_but_are_no_holder(frames):
    documents, sentences, stances = frames
    sentences = sentences.assign(holder=sentences["holder"].where(sentences.index != 5, "officials"),
                                 holder_kind=sentences["holder_kind"].where(sentences.index != 5, "source"))
    facts = agg.stance_facts(documents, sentences, stances)
    assert "officials" not in set(agg.holder_stance(facts)["holder"])
    assert agg.article_stance(facts).set_index(["doc_id", "voice"]).loc[("b", "quoted"), "n_favor"] == 1


def test_outlet_and_day_count_every_article_the_holder_table_only_those_that_concern_the_target(frames):
    documents, sentences, stances = frames
    documents = pd.concat([documents, pd.DataFrame({"doc_id": ["c"], "title": ["C"], "outlet": ["Wire"],
                                                    "published": [DAY1]})], ignore_index=True)
    sentences = pd.concat([sentences, pd.DataFrame({"doc_id": ["c"], "sentence_index": [0], "holder": ["Lavrov"],
                                                    "holder_role": ["FM"], "holder_kind": ["person"],
                                                    "is_quote": [False]})], ignore_index=True)
    stances = pd.concat([stances, pd.DataFrame({"doc_id": ["c"], "sentence_index": [0], "target": ["NATO"],
                                                "label": ["NONE"], "decided_by": ["no_mention"]})], ignore_index=True)
    facts = agg.stance_facts(documents, sentences, stances)
    assert agg.outlet_stance(facts).set_index("outlet").loc["Wire", "n_articles"] == 2  # c never names NATO
    assert agg.daily_stance(facts).loc[0, "n_articles"] == 2
    assert agg.holder_stance(facts).set_index("holder").loc["Lavrov", "n_articles"] == 2  # a and b, not c

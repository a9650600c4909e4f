"""Metrics on hand-computed examples, CSV reading, and the evaluate command."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from stancewatch.flows.cli import main
from stancewatch.tasks.config import load_settings
from stancewatch.tasks.evaluate import read_labelled, scores
from tests.conftest import CONFIGS


def test_scores_hand_computed():
    gold = ["FAVOR", "FAVOR", "AGAINST", "AGAINST", "NONE", "NONE"]
    pred = ["FAVOR", "AGAINST", "AGAINST", "AGAINST", "FAVOR", "NONE"]
    result = scores(gold, pred)
    # FAVOR: P 1/2 R 1/2 F 0.5; AGAINST: P 2/3 R 1 F 0.8; NONE: P 1 R 1/2 F 2/3
    assert result["per_class"]["FAVOR"]["f1"] == pytest.approx(0.5)
    assert result["per_class"]["AGAINST"]["f1"] == pytest.approx(0.8)
    assert result["per_class"]["NONE"]["f1"] == pytest.approx(2 / 3)
    assert result["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert result["f_avg"] == pytest.approx(0.65)
    assert result["confusion"]["NONE"]["FAVOR"] == 1 and result["n"] == 6


def test_scores_class_never_predicted_has_zero_f1():
    result = scores(["FAVOR", "NONE"], ["NONE", "NONE"])
    assert result["per_class"]["FAVOR"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_read_labelled_skips_bad_rows(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Text,Target,Label\nNATO is good.,NATO,favor\n,NATO,AGAINST\nHmm.,NATO,MAYBE\n",
                    encoding="utf-8")
    frame, skipped = read_labelled(path)
    assert frame.to_dict(orient="records") == [{"text": "NATO is good.", "target": "NATO", "label": "FAVOR"}]
    assert [s["row"] for s in skipped] == [3, 4]


def test_evaluate_json(tmp_path, capsys):
    path = tmp_path / "eval.csv"
    path.write_text("text,target,label,holder\n"
                    "\"“We are proud to stand with NATO,” Jane Roe said.\",NATO,FAVOR,Jane Roe\n"
                    "\"NATO is a threat to everyone, John Doe said.\",NATO,AGAINST,John Doe\n"
                    "The weather was fine in Brussels.,NATO,NONE,\n"
                    "Broken row,NATO,WHATEVER,\n", encoding="utf-8")
    assert main(["evaluate", "--data", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) >= {"macro_f1", "f_avg", "per_class", "confusion", "n", "holder_accuracy", "model"}
    assert result["n"] == 3 and len(result["skipped"]) == 1
    assert result["holder_accuracy"] == 1.0
    assert result["macro_f1"] == pytest.approx(sum(c["f1"] for c in result["per_class"].values()) / 3)
    assert sum(map(sum, (row.values() for row in result["confusion"].values()))) == 3
    default = load_settings(CONFIGS).model.head
    assert main(["evaluate", "--data", str(path), "--json", "--head", default, "--head", "minilm-stance-v1"]) == 0
    both = json.loads(capsys.readouterr().out)  # one object for both heads, keyed by head
    assert set(both) == {default, "minilm-stance-v1"} and both["minilm-stance-v1"]["n"] == 3
    assert both[default]["model"] != both["minilm-stance-v1"]["model"]


def test_evaluate_rows_without_raw_is_an_error_not_a_silent_no_op(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["evaluate", "--data", str(tmp_path / "eval.csv"), "--rows", str(tmp_path / "rows.csv")])
    assert stop.value.code == 2 and "--rows and --work go with --raw" in capsys.readouterr().err


def test_evaluate_table_output(tmp_path, capsys):
    path = tmp_path / "eval.csv"
    path.write_text("text,target,label\nNATO is a threat to peace.,NATO,AGAINST\n", encoding="utf-8")
    assert main(["evaluate", "--data", str(path), "--target", "nato"]) == 0
    out = capsys.readouterr().out
    assert "macro-F1" in out and "confusion" in out


def test_read_labelled_accepts_numbered_target_columns(tmp_path):
    path = tmp_path / "ruw.csv"
    path.write_bytes("Tweet,Target 1,Stance 1,Target 2,Stance 2\nCaf\xe9 talk,Russia,AGAINST,Ukraine,none\n"
                     .encode("cp1252"))
    frame, skipped = read_labelled(path)
    assert frame.to_dict(orient="records") == [
        {"text": "Café talk", "target": "Russia", "label": "AGAINST"},
        {"text": "Café talk", "target": "Ukraine", "label": "NONE"}]
    assert skipped == []


def test_match_sentence_normalises_quotes_dashes_and_bullets():
    from stancewatch.tasks.evaluate import match_sentence

    candidates = ["Intro line.", "• “The alliance is strong,” she said — twice.", "Moscow, Feb 1 – The talks ended."]
    assert match_sentence('"The alliance is strong," she said - twice.', candidates) == 1
    assert match_sentence("The talks ended.", candidates) is None  # 16 of 32 characters: too different to be it
    assert match_sentence("Moscow, Feb 1 - The talks ended", candidates) == 2


def test_holder_key_ignores_case_and_accents():
    from stancewatch.tasks.evaluate import holder_key

    assert holder_key("Recep Tayyip Erdoğan") == holder_key("recep tayyip erdogan")
    assert holder_key(None) == holder_key(float("nan")) == ""


def test_join_in_context_matches_by_article_file_and_counts_misses():
    from stancewatch.tasks.evaluate import context_scores, join_in_context

    documents = pd.DataFrame({"doc_id": ["a", "b"], "source_paths": [["raw/one.txt"], ["raw/two.jsonl:3"]]})
    sentences = pd.DataFrame({"doc_id": ["a", "a", "b"], "sentence_index": [0, 1, 0],
                              "text": ["NATO met.", "“We back NATO,” Jane Roe said.", "NATO met."],
                              "holder": ["Daily Planet", "Jane Roe", "Other Paper"]})
    stances = pd.DataFrame({"doc_id": ["a", "a", "b"], "sentence_index": [0, 1, 0], "target": "NATO",
                            "label": ["NONE", "FAVOR", "AGAINST"], "decided_by": ["mention"] * 3})
    labels = pd.DataFrame({"text": ["NATO met.", '"We back NATO," Jane Roe said.', "Not in the article."],
                           "target": "NATO", "label": ["NONE", "FAVOR", "AGAINST"],
                           "holder": ["Daily Planet", "Jane Roe", "Jane Roe"], "article": "one.txt"})
    joined = join_in_context(labels, documents, sentences, stances)
    assert joined["predicted"].tolist() == ["NONE", "FAVOR", "NONE"]  # the same text in two.jsonl is not used
    assert joined["matched"].tolist() == [True, True, False]
    result = context_scores(joined)
    assert result["missed"] == 1 and result["holder_accuracy"] == pytest.approx(2 / 3)
    assert result["stance_rows_reaching_model"] == pytest.approx(1 / 2)
    assert result["per_target"]["NATO"]["n"] == 3

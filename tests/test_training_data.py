"""The project's own training sentences stay clear of held-out text: no realnews_dev or sample sentence,
word for word or paraphrased (bench/screen_written.py's rule), and no exact test-set text."""
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from screen_written import HeldOut, DEFAULT_SHARED_EVAL  # noqa: E402

TRAINING_FILES = ("news_train.csv", "news_written.csv")


@pytest.mark.skipif(not (DEFAULT_SHARED_EVAL / "realnews_dev").is_dir(), reason="needs ../shared/eval beside the checkout")
@pytest.mark.parametrize("name", TRAINING_FILES)
def test_training_rows_paraphrase_no_dev_or_sample_sentence(name):
    held = HeldOut(DEFAULT_SHARED_EVAL)
    rows = pd.read_csv(ROOT / "data" / "eval" / name)
    near = [text for text in rows["text"] if held.near(text)]
    assert len(rows) > 100 and near == []


def test_the_screen_catches_a_paraphrase_and_keeps_an_unrelated_sentence(tmp_path):
    shared = tmp_path / "eval"
    (shared / "realnews_dev" / "raw").mkdir(parents=True)
    (shared / "realnews_dev" / "labels.csv").write_text(
        "text,target,label,holder,article\n"
        "The harbour council of Velmora rejected the new ferry tariffs on Monday.,X,AGAINST,Someone,a.txt\n")
    (shared / "realnews_dev" / "raw" / "a.txt").write_text("Title\nThe harbour council met.\n")
    held = HeldOut(shared)
    assert held.near("On Monday the Velmora harbour council rejected ferry tariffs.")  # same content words
    assert held.near("Officials said the new ferry tariffs on Monday were final.")  # four words in a row
    assert not held.near("A cyclist won the mountain stage after a long solo attack.")

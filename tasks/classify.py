"""Classify: the stance of every sentence toward every configured target.

A sentence that neither names a target (its aliases) nor refers back to it with a pronoun right
after a sentence that did is NONE without a model call (`decided_by = no_mention`). The others are
encoded once, whatever the number of targets, and the head scores each target. Rows already
computed for the same sentence text, target definition and model are reused from the stances
already stored for that model, so a rerun costs only what changed.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tasks.config import Target
from tasks.schema import LABELS

log = logging.getLogger(__name__)
_BACK_REFERENCE = re.compile(r"^(?:\W*\w+\W+){0,5}?\W*(?:it|its|they|their|them|this)\b", re.I)


@dataclass(frozen=True)
class Decision:
    needs_model: bool
    decided_by: str  # mention | back_reference | no_mention


def relevance(sentences: list[str], target: Target) -> list[Decision]:
    """Which sentences of one article (in order) concern the target, and why."""
    pattern = target.alias_pattern
    decisions, previous_named = [], False
    for sentence in sentences:
        named = bool(pattern.search(sentence))
        if named:
            decisions.append(Decision(True, "mention"))
        elif previous_named and _BACK_REFERENCE.search(sentence):
            decisions.append(Decision(True, "back_reference"))
        else:
            decisions.append(Decision(False, "no_mention"))
        previous_named = named
    return decisions


def label_of(probabilities: np.ndarray) -> list[str]:
    return [LABELS[i] for i in probabilities.argmax(axis=1)]


def stance_rows(sentences: pd.DataFrame, targets: tuple[Target, ...], model, cache: dict | None = None,
                progress=None) -> tuple[pd.DataFrame, dict]:
    """Stance rows (sentence x target) and counts of how each row was decided.

    `model` is a tasks.model.StanceModel (or anything with model_id, model_version, encode, stance);
    `cache` comes from build_cache() over earlier rows of the same model.
    """
    ordered = sentences.sort_values(["doc_id", "sentence_index"]).reset_index(drop=True)
    base = ordered[["doc_id", "sentence_index", "text_hash"]]
    cached = cache or {}
    frames, stats = [], {"model_calls": 0, "cached": 0, "no_mention": 0, "sentences_encoded": 0}
    plans = []
    for target in targets:
        decisions = []
        for _, group in ordered.groupby("doc_id", sort=False):
            decisions.extend(relevance(group["text"].tolist(), target))
        needs = np.array([d.needs_model for d in decisions], dtype=bool)
        keys = list(zip(ordered["text_hash"], [target.definition_hash] * len(ordered)))
        hit = np.array([needs[i] and keys[i] in cached for i in range(len(keys))], dtype=bool)
        plans.append((target, decisions, needs, hit, keys))
    to_encode = sorted({i for _, _, needs, hit, _ in plans for i in np.flatnonzero(needs & ~hit)})
    # one pass per distinct text: syndicated copies and repeated boilerplate sentences are encoded once
    first_row = {}
    for i in to_encode:
        first_row.setdefault(ordered["text_hash"].iat[i], i)
    unique_rows = list(first_row.values())
    vectors = model.encode(ordered["text"].iloc[unique_rows].tolist(), progress=progress) if unique_rows else None
    slot = {h: n for n, h in enumerate(first_row)}
    row_of = {i: slot[ordered["text_hash"].iat[i]] for i in to_encode}
    stats["sentences_encoded"] = len(unique_rows)
    for target, decisions, needs, hit, keys in plans:
        probs = np.tile(np.array([0.0, 0.0, 1.0]), (len(ordered), 1))
        fresh = np.flatnonzero(needs & ~hit)
        if len(fresh):
            probs[fresh] = model.stance(vectors[[row_of[i] for i in fresh]], target.name, target.favor, target.against)
        for i in np.flatnonzero(hit):
            probs[i] = cached[keys[i]]
        stats["model_calls"] += len(fresh)
        stats["cached"] += int(hit.sum())
        stats["no_mention"] += int((~needs).sum())
        frames.append(base.assign(
            target=target.name, label=label_of(probs), p_favor=probs[:, 0], p_against=probs[:, 1],
            p_none=probs[:, 2], decided_by=[d.decided_by for d in decisions], target_hash=target.definition_hash,
            model_id=model.model_id, model_version=model.model_version))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out, stats


def build_cache(previous: pd.DataFrame | None, model) -> dict[tuple[str, str], np.ndarray]:
    """Model-decided probabilities from earlier rows of the same model, keyed by (text hash, target hash)."""
    if previous is None or previous.empty:
        return {}
    same = previous[(previous["model_id"] == model.model_id) & (previous["model_version"] == model.model_version)
                    & (previous["decided_by"] != "no_mention")]
    same = same.drop_duplicates(["text_hash", "target_hash"])
    return {(t, h): np.array([f, a, n]) for t, h, f, a, n in
            zip(same["text_hash"], same["target_hash"], same["p_favor"], same["p_against"], same["p_none"])}

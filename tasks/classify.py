"""Classify: the stance of every sentence toward every configured target.

An article concerns a target when it names the target (its aliases) or something that stands for
it (its entities: demonyms, capitals, leaders, institutions), and one of the words the target
requires, if it lists any (Ukraine's NATO bid needs Ukraine). In such an article every sentence
within `classify.window` sentences of a mention goes to the model, so a quote that names nobody,
or a sentence that says "the alliance" two lines after "NATO", is still read. The other rows are
NONE without a model call (`decided_by = no_mention`). A sentence in the outlet's own voice takes a
side only when the model is sure of it (`outlet_voice_labels`, `decided_by = outlet_voice`).

The model sees each sentence with its context (see `model_inputs`): a sentence inside a quote of
several sentences is read with its neighbours of the same quote, so "“Today is a truly historic day."
carries what the speaker says it is about. A row already computed for the
same model input, target definition and model is reused from the stances already stored for that
model, so a rerun costs only what changed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from stancewatch.tasks.config import Target
from stancewatch.tasks.ids import text_hash
from stancewatch.tasks.outlets import is_known_outlet
from stancewatch.tasks.schema import LABELS

_NONE = np.array([0.0, 0.0, 1.0])


@dataclass(frozen=True)
class StanceCache:
    """What earlier rows of the same model hold: probabilities by (input hash, target hash), and the pairs
    the own-side rule turned. A bf16 run checks the own-side near-tie in fp32 only for rows that rule
    applies to, so a stored AGAINST pair the rule never turned is scored again once a row of it needs the rule."""
    probabilities: dict[tuple[str, str], np.ndarray]
    turned: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Decision:
    needs_model: bool
    decided_by: str  # mention | context | no_mention (outlet_voice is set after the model: outlet_voice_labels)


def relevance(sentences: list[str], target: Target, window: int) -> list[Decision]:
    """Which sentences of one article (in order) go to the model for this target, and why."""
    pattern, required = target.mention_pattern, target.required_pattern
    if required is not None and not any(required.search(sentence) for sentence in sentences):
        return [Decision(False, "no_mention")] * len(sentences)  # NATO's expansion, but not Ukraine's bid
    named = [bool(pattern.search(sentence)) for sentence in sentences]
    positions = np.flatnonzero(named)
    decisions = []
    for i, is_named in enumerate(named):
        if is_named:
            decisions.append(Decision(True, "mention"))
        elif len(positions) and np.abs(positions - i).min() <= window:
            decisions.append(Decision(True, "context"))
        else:
            decisions.append(Decision(False, "no_mention"))
    return decisions


def model_inputs(article: pd.DataFrame) -> list[str]:
    """What the model reads for each sentence of one article (rows in order, columns text, is_quote,
    holder): the sentence, with the sentences before and after it when they belong to the same quote
    (consecutive quote sentences of one holder). Measured on realnews_dev: reading quotes this way
    beat the sentence alone and the sentence with the previous one."""
    texts = article["text"].tolist()
    quote_of, quote = [], 0
    for i, (is_quote, holder) in enumerate(zip(article["is_quote"], article["holder"])):
        continues = i > 0 and is_quote and article["is_quote"].iat[i - 1] and article["holder"].iat[i - 1] == holder
        quote += not continues
        quote_of.append(quote if is_quote else -i - 1)  # a sentence outside quotes is its own group
    return [" ".join(texts[j] for j in (i - 1, i, i + 1) if 0 <= j < len(texts) and quote_of[j] == quote_of[i])
            for i in range(len(texts))]


def label_of(probabilities: np.ndarray) -> list[str]:
    return [LABELS[i] for i in probabilities.argmax(axis=1)]


def outlet_voice_labels(probabilities: np.ndarray, decided_by: list[str], outlet_rows: np.ndarray,
                        min_probability: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels, and how each was decided, when the outlet's own voice needs a confident model to take a side.

    A sentence nobody is quoted or reported in (holder_kind `outlet`) is plain reporting in most news,
    which the labelling rules call NONE; the model, trained largely on opinionated text, reads
    reported facts (an invasion, a sanctions package) as sides. So such a sentence gets FAVOR or
    AGAINST only at `min_probability` or more, else NONE with decided_by `outlet_voice`; its
    probabilities stay the model's. Opinion pages are left out by the caller (stance_rows' opinion_docs).
    """
    labels = np.array(label_of(probabilities), dtype=object)
    decided = np.array(decided_by, dtype=object)
    quiet = outlet_rows & (labels != "NONE") & (probabilities[:, :2].max(axis=1) < min_probability)
    labels[quiet], decided[quiet] = "NONE", "outlet_voice"
    return labels, decided


# Titles of officials: a person speaks for a side only with one ("Russian Foreign Minister", "Kremlin
# spokesman"), not as one of its citizens ("Russian businessman").
_OFFICIAL = re.compile(
    r"\b(?:minister|ministry|spokes(?:man|woman|person)|president|premier|chancellor|ambassador|envoy|diplomat|"
    r"officials?|secretary(?:-general)?|chief|head|commander|general|deputy|chair(?:man|woman)?|representative|"
    r"negotiator|aide|advis[eo]r|director|government|military|army|command|council)\b", re.I)
# Words that make a holder no voice of the side they belong to: its opposition, analysts, former
# officials, and the titles of other bodies ("OSCE Secretary General"); whoever speaks *to* or *in* a side
# ("US ambassador to Russia", "EU envoy in Moscow") speaks for the sender.
_NOT_ITS_VOICE = re.compile(
    r"\b(?:opposition|dissident|critic|critics|exiled?|activists?|rebels?|defectors?|protesters?|analysts?|"
    r"experts?|scholars?|professor|researchers?|journalists?|former|ex)\b|(?-i:\b(?:UN|U\.N\.|EU|OSCE)\b)|"
    r"\bUnited Nations\b|\bEuropean Union\b", re.I)
_TOWARD_OTHERS = re.compile(r"\b(?:to|in|at|on|with|from|against)\s+(?:the\s+)?[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*")


def speaks_for(target: Target, holder, role, kind) -> bool:
    """Whether a holder speaks for the target itself, by the target's `voices` (configs/targets.yaml): a
    person whose title has one and names an office ("Kremlin spokesman", "Russian Foreign Minister") or
    whose surname is one (its officials, listed by name), or a body or unnamed source named by one
    ("Government of Russia", "Russian officials"; not a news outlet, "The Moscow Times"). Not its
    opposition, analysts or former officials, nor whoever speaks to it."""
    voices = target.voice_pattern
    if voices is None or kind == "outlet" or not isinstance(holder, str):
        return False
    title = _TOWARD_OTHERS.sub("", role) if isinstance(role, str) else ""
    if kind == "person":
        if voices.fullmatch(holder.split()[-1]):  # an official the voices name: "Putin", whatever his title here
            return not _NOT_ITS_VOICE.search(title)
        said = title
        if not _OFFICIAL.search(said):
            return False
    else:
        said = f"{_TOWARD_OTHERS.sub('', holder)} {title}"
        if is_known_outlet(holder):
            return False
    return bool(voices.search(said)) and not _NOT_ITS_VOICE.search(said)


def own_side_labels(probabilities: np.ndarray, labels: np.ndarray, decided_by: np.ndarray,
                    own_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A side's own voice does not speak against it: a Kremlin spokesman's warning about a threat to Moscow
    is no stance against Russia, whatever words of attack it holds. Where the model read AGAINST in such
    a row, the label is the likelier of FAVOR and NONE (decided_by `own_side`); the probabilities stay."""
    labels, decided = labels.copy(), decided_by.copy()
    turned = own_rows & (labels == "AGAINST")
    labels[turned] = np.where(probabilities[turned, 0] > probabilities[turned, 2], "FAVOR", "NONE")
    decided[turned] = "own_side"
    return labels, decided


def stance_rows(sentences: pd.DataFrame, targets: tuple[Target, ...], model, window: int = 3,
                cache: StanceCache | None = None, progress=None, outlet_voice: float = 0.0,
                opinion_docs: frozenset[str] = frozenset(), own_side: bool = False) -> tuple[pd.DataFrame, dict]:
    """Stance rows (sentence x target) and counts of how each row was decided.

    `model` is what stancewatch.tasks.model.load_model returns (model_id, model_version, predict_pairs);
    `cache` (a StanceCache) comes from build_cache() over earlier rows of the same model. `outlet_voice` > 0 applies
    outlet_voice_labels (the sentences need a holder_kind column) except in `opinion_docs`, the
    editorials and columns, where the outlet's voice is meant to take sides; 0 keeps the model's labels.
    `own_side` applies own_side_labels (the sentences need holder, holder_role and holder_kind columns).
    """
    ordered = sentences.sort_values(["doc_id", "sentence_index"]).reset_index(drop=True)
    groups = [group for _, group in ordered.groupby("doc_id", sort=False)]
    articles = [group["text"].tolist() for group in groups]
    inputs = [text for group in groups for text in model_inputs(group)]
    input_hashes = [text_hash(text) for text in inputs]
    base = ordered[["doc_id", "sentence_index", "text_hash"]].assign(input_hash=input_hashes)
    cache = cache or StanceCache({})
    outlet_rows = ((ordered["holder_kind"] == "outlet") & ~ordered["doc_id"].isin(opinion_docs)).to_numpy() \
        if outlet_voice else np.zeros(len(ordered), bool)
    frames, stats = [], {"model_calls": 0, "cached": 0, "no_mention": 0, "pairs_scored": 0, "outlet_voice": 0,
                         "own_side": 0}
    for target in targets:
        key = target.read_hash(getattr(model, "reads_hypotheses", True))  # a model that does not say may read them
        decisions = [d for article in articles for d in relevance(article, target, window)]
        own_rows = np.array([speaks_for(target, holder, role, kind) for holder, role, kind in
                             zip(ordered["holder"], ordered["holder_role"], ordered["holder_kind"])], dtype=bool) \
            if own_side else np.zeros(len(ordered), bool)
        probs = np.tile(_NONE, (len(ordered), 1))
        fresh: dict[str, list[int]] = {}  # model input hash -> rows; copies of a text are scored once
        for i, decision in enumerate(decisions):
            stored = cache.probabilities.get((input_hashes[i], key))
            if not decision.needs_model:
                stats["no_mention"] += 1
            elif stored is not None and not (own_rows[i] and stored.argmax() == 1
                                             and (input_hashes[i], key) not in cache.turned):
                probs[i] = stored
                stats["cached"] += 1
            else:
                fresh.setdefault(input_hashes[i], []).append(i)
        # a text is scored with the rules its rows get (the outlet_voice cut, the own-side turn), so that
        # bf16 rechecks the pairs those rules could turn, and only those
        by_rules: dict[tuple[bool, bool], list[list[int]]] = {}
        for rows in fresh.values():
            by_rules.setdefault((bool(outlet_rows[rows].any()), bool(own_rows[rows].any())), []).append(rows)
        for (in_outlet_voice, owned), group in by_rules.items():
            scored = model.predict_pairs([inputs[rows[0]] for rows in group], target, progress=progress,
                                         cuts=(outlet_voice,) if in_outlet_voice else (), own_side=owned)
            for rows, p in zip(group, scored):
                probs[rows] = p
        stats["model_calls"] += sum(map(len, fresh.values()))
        stats["pairs_scored"] += len(fresh)
        labels, decided_by = outlet_voice_labels(probs, [d.decided_by for d in decisions], outlet_rows, outlet_voice)
        stats["outlet_voice"] += int((decided_by == "outlet_voice").sum())
        if own_side:
            labels, decided_by = own_side_labels(probs, labels, decided_by, own_rows)
            stats["own_side"] += int((decided_by == "own_side").sum())
        frames.append(base.assign(
            target=target.name, label=labels, p_favor=probs[:, 0], p_against=probs[:, 1],
            p_none=probs[:, 2], decided_by=decided_by, target_hash=key,
            model_id=model.model_id, model_version=model.model_version))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out, stats


def build_cache(previous: pd.DataFrame | None, model) -> StanceCache:
    """Model-decided probabilities from earlier rows of the same model, keyed by (input hash, target hash)."""
    if previous is None or previous.empty:
        return StanceCache({})
    same = previous[(previous["model_id"] == model.model_id) & (previous["model_version"] == model.model_version)
                    & (previous["decided_by"] != "no_mention")]
    turned = same[same["decided_by"] == "own_side"]
    same = same.drop_duplicates(["input_hash", "target_hash"])
    return StanceCache({(t, h): np.array([f, a, n]) for t, h, f, a, n in
                        zip(same["input_hash"], same["target_hash"], same["p_favor"], same["p_against"], same["p_none"])},
                       frozenset(zip(turned["input_hash"], turned["target_hash"])))

"""Content hashes that key documents, sentences and cache entries."""
from __future__ import annotations

import hashlib
import json
import unicodedata


def doc_id_for(text: str) -> str:
    """Stable document id: hash of the text after unicode, case and whitespace normalisation."""
    normal = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()[:16]


def text_hash(text: str) -> str:
    """Exact-text hash: a sentence's stance is recomputed only when this changes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def fingerprint(*values) -> str:
    """Hash of JSON-able values: names a partition's inputs, so a stage knows what it must redo."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:20]

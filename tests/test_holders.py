"""Holder attribution on handmade articles: quotes, reporting verbs, pronouns, roles, name variants."""
from __future__ import annotations

import pytest

from stancewatch.tasks.attribution import build_person_index
from stancewatch.tasks.holders import (HolderResolver, Mention, attribute_holders, name_passages, name_runs,
                                       role_after, role_before, surname_key)
from stancewatch.tasks.sentences import quote_spans, split_sentences

ARTICLE = (
    "Russian Foreign Minister Sergei Lavrov said on Friday that the alliance is a threat.\n"
    "“NATO is preparing for war,” he said.\n"
    "NATO Secretary General Jens Stoltenberg met the president in Brussels.\n"
    "After the meeting, Stoltenberg tweeted: « NATO stands with Ukraine. We will help. »\n"
    "The summit will take place in July.\n"
    "According to the foreign minister, the talks have failed.\n"
    "« The decision will be taken by the allies alone.\n"
    "« This is a fundamental principle. »\n"
)
SECOND = "Sergey Lavrov noted that nothing had changed. Lavrov added that Moscow would wait."


def _holders(texts, outlet="Test Wire"):
    index = build_person_index(texts)
    result = []
    for text in texts:
        spans = split_sentences(text)
        holders = attribute_holders(text, spans, quote_spans(text), index, outlet)
        result.append([(text[s.start:s.end], h) for s, h in zip(spans, holders)])
    return result


def test_holders_of_quotes_verbs_pronouns_roles_and_outlet_voice():
    by_sentence = {s: h for s, h in _holders([ARTICLE, SECOND])[0]}
    assert by_sentence["Russian Foreign Minister Sergei Lavrov said on Friday that the alliance is a threat."].name \
        in ("Sergei Lavrov", "Sergey Lavrov")
    lavrov = by_sentence["Russian Foreign Minister Sergei Lavrov said on Friday that the alliance is a threat."]
    assert lavrov.kind == "person" and lavrov.role == "Russian Foreign Minister"
    assert by_sentence["“NATO is preparing for war,” he said."].name == lavrov.name
    assert by_sentence["After the meeting, Stoltenberg tweeted: « NATO stands with Ukraine."].name == "Jens Stoltenberg"
    assert by_sentence["We will help. »"].name == "Jens Stoltenberg"
    outlet = by_sentence["The summit will take place in July."]
    assert (outlet.name, outlet.kind) == ("Test Wire", "outlet")
    assert by_sentence["According to the foreign minister, the talks have failed."].name == lavrov.name
    # a quote running over two paragraphs keeps its speaker
    assert by_sentence["« This is a fundamental principle. »"].name == by_sentence[
        "« The decision will be taken by the allies alone."].name


def test_name_variants_merge_into_one_holder():
    first, second = _holders([ARTICLE, SECOND])
    names = {h.name for _, h in first + second if "Lavrov" in h.name}
    assert len(names) == 1


def test_ner_reads_only_passages_that_could_name_a_person():
    def runs(text):
        return [text[span.start:span.end] for span in name_runs(text)]

    assert runs("Gotham's mayor, Hamish O'Leary-Bright, said the bridge would reopen.") == ["Hamish O'Leary-Bright,"]
    assert runs("“We will decide,” said Ursula von der Leyen.") == ["Ursula von der Leyen."]
    assert runs("The Foreign Ministry said on Tuesday that talks in Geneva would resume.") == []
    assert runs("Prices rose by 3% in March, the statistics office said.") == []
    text = ("Defence Minister Anna Kowalczyk met her counterpart. Dmitri Orlov, a diplomat, came too. "
            "The meeting lasted an hour. Kowalczyk said little. The report was signed by T. "
            "Ian Marsh and nobody else. It ended there.")
    passages = [text[span.start:span.end] for span in name_passages(text, split_sentences(text))]
    assert passages == ["Defence Minister Anna Kowalczyk met her counterpart. Dmitri Orlov, a diplomat, came too.",
                        "The report was signed by T. Ian Marsh and nobody else."]
    people = {person.canonical: person.role for person in
              (build_person_index([text]).find(name) for name in ("Kowalczyk", "Orlov", "Marsh")) if person}
    assert people["Anna Kowalczyk"] == "Defence Minister" and "Orlov" in " ".join(people)


def test_role_before_name_and_surname_key():
    text = "Estonia's Deputy Defence Minister, Tomas Varga, added."
    assert role_before(text, text.index("Tomas")) == "Estonia's Deputy Defence Minister"
    assert surname_key("Sergey Lavrov") == surname_key("Sergei Lavrov") == surname_key("Lavrov's")
    assert surname_key("Volodymyr Zelenskyy") == surname_key("Zelensky")


def test_parse_skips_relative_clauses_appositions_and_finds_inverted_speakers():
    text = ("Ivan Petrenko, who visited Vilnius on Monday, said the alliance must act.\n"
            "Maria Kovacs, deputy chairwoman of the Council of Ruritania, said that talks had failed.\n"
            "Thank you, partners! — emphasized Petrenko.\n"
            "Valdora has said its visit aimed to strengthen ties.\n"
            "Kyiv says it will never accept the condition.\n"
            "Ukraine's Foreign Ministry said the offer was unacceptable.\n"
            "On Tuesday the weather was fine.\n")
    by_sentence = {s: h for s, h in _holders([text])[0]}
    assert by_sentence["Ivan Petrenko, who visited Vilnius on Monday, said the alliance must act."].name == "Ivan Petrenko"
    assert by_sentence["Maria Kovacs, deputy chairwoman of the Council of Ruritania, said that talks had failed."].name \
        == "Maria Kovacs"
    assert by_sentence["Thank you, partners! — emphasized Petrenko."].name == "Ivan Petrenko"
    assert by_sentence["Kyiv says it will never accept the condition."].name == "Government of Ukraine"
    assert by_sentence["Ukraine's Foreign Ministry said the offer was unacceptable."].name == \
        "Ministry of Foreign Affairs of Ukraine"
    assert by_sentence["On Tuesday the weather was fine."].kind == "outlet"


def test_spellings_of_one_person_merge_to_the_shortest_transliteration():
    from stancewatch.tasks.holders import index_people

    index = index_people([[{"name": "Olena Zelenskyy", "role": None}, {"name": "Olena Zelenskyy", "role": None},
                           {"name": "Olena Zelensky", "role": None}, {"name": "Tuesday Olena", "role": None}]])
    assert index.find("Zelenskyi").canonical == "Olena Zelensky"
    assert index.find("Tuesday") is None and index.find("Olena").canonical == "Olena Zelensky"


def test_preferred_spellings_from_config_win_over_the_corpus_spelling():
    from stancewatch.tasks.holders import index_people

    index = index_people([[{"name": "Sergey Lavrov", "role": None}, {"name": "Dmitri S. Peskov", "role": None},
                           {"name": "Tayyip Erdogan", "role": None}, {"name": "Daniil Medvedev", "role": None},
                           {"name": "Olena Zelenskyy", "role": None}]])
    assert index.find("Lavrov").canonical == "Sergei Lavrov"  # configs/speakers.yaml preferred_names
    assert index.find("Peskov").canonical == "Dmitry Peskov"  # middle initial ignored
    assert index.find("Erdogan").canonical == "Recep Tayyip Erdoğan"
    assert index.find("Medvedev").canonical == "Daniil Medvedev"  # another person of the same surname
    assert index.find("Zelenskyy").canonical == "Olena Zelenskyy"  # only listed full names are respelled


def test_outlet_from_credit_lines_not_from_cited_agencies():
    from stancewatch.tasks.clean import clean_document

    body = ("The ministers met on Friday and agreed that the talks would continue next week, officials said. " * 3)
    wire = clean_document(f"Global Wire Service\n\nOSLO, Norway (GWS) — {body}")
    assert wire.outlet == "Global Wire Service"
    titled = clean_document(body, title="Talks go on | The Daily Planet")
    assert titled.outlet == "The Daily Planet"
    cited = clean_document(f"{body} The talks will resume, Zeta news agency reported.")
    assert cited.outlet is None
    weekday = clean_document(f"Tuesday, 19 March 2024, 18:15\n\n{body}")
    assert weekday.outlet is None


def test_speakers_named_after_their_words_roles_first_and_criticised_speakers():
    text = ("Valdoria's envoy to Ruritania has strongly warned the alliance against expansion.\n"
            "\"Expansion will only raise tension in the region,\" Anton Merkel told reporters.\n"
            "Prices rose in the capital, a spokesperson of the Customs Union said.\n"
            "\"The rise is temporary. It will pass,\" union spokesperson Lena Forte said.\n"
            "I am grateful to our partners for this decision.\n"
            "\"Freedom will not be defeated,\" the president emphasized, referring to President Oleg Brandt.\n"
            "Norway has refused requests to supply fuel.\n"
            "The Director of National Planning Vera Lindqvist warned that the plan would fail.\n"
            "The council criticised Petra Holm for accusing the alliance of provoking the crisis.\n"
            "The Norwegian complained to the referee for five minutes.\n"
            "Ruritania's top negotiator Ivo Brandl said the talks were useful.\n")
    by_sentence = {s: h for s, h in _holders([text])[0]}
    assert by_sentence["Valdoria's envoy to Ruritania has strongly warned the alliance against expansion."].name \
        == "Anton Merkel"
    assert by_sentence["Prices rose in the capital, a spokesperson of the Customs Union said."].name == "Lena Forte"
    assert by_sentence["I am grateful to our partners for this decision."].name == \
        by_sentence["\"Freedom will not be defeated,\" the president emphasized, referring to President Oleg Brandt."].name
    assert by_sentence["Norway has refused requests to supply fuel."].kind == "outlet"  # acts, does not speak
    lindqvist = by_sentence["The Director of National Planning Vera Lindqvist warned that the plan would fail."]
    assert (lindqvist.name, lindqvist.role) == ("Vera Lindqvist", "The Director of National Planning")
    assert by_sentence["The council criticised Petra Holm for accusing the alliance of provoking the crisis."].name \
        == "Petra Holm"
    assert by_sentence["The Norwegian complained to the referee for five minutes."].kind == "outlet"  # a demonym
    assert by_sentence["Ruritania's top negotiator Ivo Brandl said the talks were useful."].name == "Ivo Brandl"


# (sentence, holder name or None for the outlet, holder kind), read in this order as one article
BODIES_AND_UNNAMED_SOURCES = [
    ("Ruritania is hiding its arms spending, Valdoria's foreign intelligence service said on Monday.",
     "Valdoria's foreign intelligence service", "organisation"),
    ("The drills are a provocation, the Norwegian space agency said.", "Norwegian space agency", "organisation"),
    ("The Finnish army said it had taken the village.", "Finnish army", "organisation"),
    ("The army continued its advance toward the river.", None, "outlet"),  # a body that acts does not speak
    ("The army said the bridge was lost.", "Finnish army", "organisation"),  # the army that spoke before here
    ("The talks have failed, the state news agency reported.", None, "outlet"),  # the outlet's source
    ("A bank said rates would rise.", None, "outlet"),  # names no one
    ("The alliance is a threat to the region, Valdorian officials said.", "Valdorian officials", "source"),
    ("A senior Ruritanian official said the deployment would go ahead.", "senior Ruritanian official", "source"),
    ("Its ministers met again and agreed on nothing.", None, "outlet"),  # acts, does not speak
    ("Ruritanian diplomats said the talks had failed.", "Ruritanian diplomats", "source"),  # not the next name
    ("\"We will not go back.\"", "Ruritanian diplomats", "source"),  # their quote goes on
    ("Ivo Brandl said the alliance is a threat.", "Ivo Brandl", "person"),
    ("The spokesmen said the summit was a success.", "spokesmen", "source"),  # not the last person who spoke
    ("Dawn French said the show would return.", "Dawn French", "person"),  # a surname that is a demonym
    ("Valdoria's envoy warned the alliance against expansion.", "Anton Merkel", "person"),  # named next
    ("\"Expansion will only raise tension,\" Anton Merkel told reporters.", "Anton Merkel", "person"),
    ("The deal is off, an aide to Merkel said.", "aide to Merkel", "source"),  # speaks for him, is not him
    ("A senior Ruritanian official said the deal is off.", "senior Ruritanian official", "source"),
    ("He added that nothing would change.", "senior Ruritanian official", "source"),  # who just spoke, unnamed
    ("We will never give in to pressure.", "senior Ruritanian official", "source"),  # who held the sentence before
    ("Valdorian officials said the talks would resume.", "Valdorian officials", "source"),  # not the one before
    ("An aide to Merkel, who left office in May, said talks were over.", "aide to Merkel", "source"),
    ("The spokesman said more talks would follow.", "spokesman", "source"),  # not the last to speak, Merkel
    ("Its army said the bridge was lost.", "army", "source"),  # no country, no name: not one body everywhere
    ("Alliance Secretary-General Vera Lind arrived in Valdoria on Monday.", None, "outlet"),
    ("The secretary-general said the alliance would not waver.", "Vera Lind", "person"),  # hyphen or not
    ("The president-elect said the alliance must pay more.", "president-elect", "source"),  # not Vera Lind
    ("The Norwegians said the proposal was unacceptable.", "Norwegians", "source"),  # a side, unnamed
    ("The Norwegians continued their advance.", None, "outlet"),  # act, do not speak
    ("The French said the plan went too far.", "French", "source"),  # a plural without -s
    ("North Koreans said the drills were a provocation.", "North Koreans", "source"),
    ("The party newspaper People's Banner said the summit was a failure.", "People's Banner", "organisation"),
    ("A Ruritanian general said the strikes would go on.", "Ruritanian general", "source"),  # no secretary-general
    ("Ruritanian Ambassador Ivo Petrenko said the claims were false.", "Ivo Petrenko", "person"),
    ("The envoy added that his country would respond.", "Ivo Petrenko", "person"),  # who just spoke
    ("The state news agency quoted Petrenko as saying that the army would respond.", "Ivo Petrenko", "person"),
    ("A senior Ruritanian diplomat was quoted as saying the summit was off.", "senior Ruritanian diplomat", "source"),
    ("Ruritanian media portrayed Petrenko as wanting war.", None, "outlet"),  # a portrait, not his words
    ("The Foreign Minister-designate said talks would resume.", "Foreign Minister-designate", "source"),
    ("The vice-president said the alliance was strong.", "vice-president", "source"),
    ("Moody's said the outlook was stable.", "Moody's", "organisation"),
]


def test_institutions_and_unnamed_sources_hold_what_they_say_news_agencies_do_not():
    by_sentence = {s: h for s, h in _holders(["\n".join(s for s, _, _ in BODIES_AND_UNNAMED_SOURCES) + "\n"])[0]}
    for sentence, name, kind in BODIES_AND_UNNAMED_SOURCES:
        holder = by_sentence[sentence]
        assert (holder.name if name else None, holder.kind) == (name, kind), sentence


# (sentence, holder name or None for the outlet), read in this order as one article
SPEECH_IN_NEWS_STYLE = [
    ("President Anna Berg has not changed her view of Ivo Marek: the candidate, she said on Tuesday, lacks "
     "the experience.", "Anna Berg"),  # the subject before the pronoun, not the name nearest it
    ("Ivo Marek objected to the remarks, saying they were unfair.", "Ivo Marek"),  # "X did Y, saying ..."
    ("The president said her concerns were unchanged.", "Anna Berg"),  # the title this article gives her
    ("“I worry when I hear Ivo Marek talk like that,” she said.", "Anna Berg"),  # not the name inside the quote
    ("Senator Tom Rask, chairman of the budget committee, said last week the bill would pass.", "Tom Rask"),
    ("Tom Rask in a speech on Wednesday, implored colleagues to back the bill.", "Tom Rask"),
    ("Lena Holm, who once said the bill was dead, has since joined the committee.", None),
    ("A spokesman for Rask did not immediately respond to a request for comment.", None),  # said nothing
    ("The ministry declined to comment on the report.", None),
    ("Marek would not say whether he would vote for it.", None),
    ("Marek seemed to think the vote was rigged.", None),  # the outlet's reading of him
    ("Neither Marek nor the ministry explained the delay.", None),
    ("Marek said an RNC official had called him.", "Ivo Marek"),
    ("An RNC official said the money was sent on Monday.", "RNC official"),
    ("The party can spend it as it sees fit, the official told reporters.", "RNC official"),  # still unnamed
    ("The Guardian reported on Monday that the talks had failed.", "The Guardian"),
    ("The newspaper said the envoy had left.", "The Guardian"),  # the paper just cited, not the outlet
    ("Anna Berg tore into the plan during a rally in the capital.", "Anna Berg"),  # a reporting phrase
    ("Helsinki hit out at the alliance on Friday.", "Government of Finland"),
    ("Marek's campaign manager Lena Holm took a similar line, saying on Tuesday that the vote was fair.",
     "Lena Holm"),  # "on Tuesday" is no speaker
    ("Ms Vera Lind said the plan had failed.", "Vera Lind"),
    ("Mr Ivo Marek said it would work.", "Ivo Marek"),
    ("“We will see,” she said.", "Vera Lind"),  # not Mr Marek, who spoke last
    ("Marek also talked about how slow the count had been.", "Ivo Marek"),  # a reporting phrase
]


def test_speech_in_news_style_pronouns_titles_refusals_and_phrases():
    by_sentence = {s: h for s, h in _holders(["\n".join(s for s, _ in SPEECH_IN_NEWS_STYLE) + "\n"])[0]}
    for sentence, name in SPEECH_IN_NEWS_STYLE:
        holder = by_sentence[sentence]
        assert (holder.name if holder.kind != "outlet" else None) == name, sentence


def _holders_of(*lines):
    """(name, kind) of each line's holder, the lines read as one article."""
    return [(h.name, h.kind) for _, h in _holders(["\n".join(lines) + "\n"])[0]]


def test_the_diplomat_is_who_just_spoke_not_any_foreign_minister():
    holders = _holders_of("Foreign Minister Anna Berg opened the conference on Monday.",
                          "Ambassador Pavel Orlov said the talks were a waste of time.",
                          "The diplomat warned that sanctions would fail.",
                          "The foreign minister replied that the talks would go on.")
    assert [name for name, _ in holders[1:]] == ["Pavel Orlov", "Pavel Orlov", "Anna Berg"]


def test_he_or_she_after_an_unnamed_speaker_is_that_speaker():
    holders = _holders_of("Ambassador Pavel Orlov said the deployments were a provocation.",
                          "The alliance's deputy secretary general welcomed the spending plans.",
                          "“This is the leadership we need,” she said.",
                          "A company spokeswoman said sales had doubled.",
                          "He added that prices would rise.")  # not her: the man who spoke before
    assert [name for name, _ in holders[1:]] == ["alliance's deputy secretary general"] * 2 + \
        ["company spokeswoman", "Pavel Orlov"]
    named_between = _holders_of("A bank official said the branch would close.",
                                "The finding lends weight to Peter Novak's claim that he reported the fraud.")
    assert named_between[1] == ("Peter Novak", "person")  # the person named before the pronoun, not the official


def test_critics_and_observers_are_unnamed_sources_and_a_role_s_head_comes_before_its_preposition():
    holders = _holders_of("Critics say the treaty would weaken the alliance.",
                          "The vote will be held next week, an attorney for the congressman said on Friday.",
                          "“No decision has been made,” attorney Peter Novak told reporters.")
    assert holders == [("critics", "source"), ("Peter Novak", "person"), ("Peter Novak", "person")]


def test_the_outlet_naming_itself_is_its_own_voice():
    article = "Daily Planet reported on Monday that the memo was genuine.\nThe Guardian reported that it was old.\n"
    [(_, own), (_, cited)] = _holders([article], outlet="Daily Planet")[0]
    assert (own.name, own.kind) == ("Daily Planet", "outlet")
    assert (cited.name, cited.kind) == ("The Guardian", "organisation")
    assert _holders([article], outlet="Other Wire")[0][0][1].kind == "organisation"  # cited by another outlet


def test_a_relative_clause_speaks_for_its_person_only_when_it_reports_words():
    holders = _holders_of("The judge ruled against Lena Holm, who claimed to be the agency's rightful head.",
                          "A call for a rate cut came from central bank president Ivo Marek, who said the "
                          "bank would follow suit.")
    assert holders == [("Test Wire", "outlet"), ("Ivo Marek", "person")]


def test_the_ministry_after_a_ministry_s_spokeswoman_is_her_ministry():
    holders = _holders_of("Estonian Foreign Ministry spokeswoman Vera Lind said the drills were a threat.",
                          "In a statement, the ministry said the drills were a provocation.")
    assert holders[1] == ("Ministry of Foreign Affairs of Estonia", "organisation")


def test_a_role_of_one_country_never_names_another_country_s_official():
    holders = _holders_of("Responding to a question, the Kremlin spokesman noted that nothing had changed.",
                          "Ukrainian Foreign Ministry spokesman Ivan Tkach said on Monday that Moscow was lying.")
    assert holders == [("Kremlin spokesman", "source"), ("Ivan Tkach", "person")]


def test_a_country_s_government_is_one_holder_however_it_is_written():
    holders = _holders_of("Berlin said on Monday that the talks had failed.",
                          "The German government said the talks would resume.",
                          "Germany's federal government said it would wait.",
                          "The German government's spokesman said nothing had changed.",
                          "Downing Street said it agreed.")
    assert [name for name, _ in holders[:3]] == ["Government of Germany"] * 3
    assert holders[3] == ("German government's spokesman", "source")
    assert holders[4] == ("Downing Street", "organisation")  # a street is no person
    assert _holders_of("Washington said the talks had failed.")[0][0] == "Government of the United States"


def test_a_surname_with_who_is_a_person_and_his_pronoun_follows():
    holders = _holders_of("The remarks were echoed by Orlov, who said the West was to blame.",
                          "“We will wait,” he added.",
                          "Acme said it would appeal.",
                          "Democrats, who hold a minority, said they would vote no.")
    assert holders[:3] == [("Orlov", "person"), ("Orlov", "person"), ("Acme", "organisation")]
    assert holders[3][1] != "person"  # many people, not one


def test_the_ministry_added_is_the_ministry_that_spoke_last():
    holders = _holders_of("Valdoria's Defence Ministry said on Monday that its troops had crossed the river.",
                          "The Harbour Commission said the port would stay shut.",
                          "The ministry added that two villages had been taken.",
                          "The commission said the port would reopen in June.",
                          "The council said the vote would be held on Friday.")
    assert holders[2] == holders[0] and holders[0][1] == "organisation" and "Defence" in holders[0][0]
    assert holders[3] == holders[1] == ("Harbour Commission", "organisation")
    assert holders[4] == ("council", "source")  # no council spoke before: an unnamed source


def test_the_country_s_leader_is_its_president_or_prime_minister_and_sources_keep_their_country():
    holders = _holders_of("Finnish President Anna Berg met Estonian Prime Minister Ivo Marek in Tallinn on Monday.",
                          "The Estonian leader said the talks went well.",
                          "The president of Finland said the border would stay open.",
                          "The Finnish leader added that more talks would follow.")
    assert [name for name, _ in holders[1:]] == ["Ivo Marek", "Anna Berg", "Anna Berg"]
    assert _holders_of("Russian President Ivan Petrov met Estonian Prime Minister Ivo Marek on Monday.",
                       "The Kremlin leader said the talks went well.")[1] == ("Ivan Petrov", "person")
    assert _holders_of("Ivan Petrov, the Russian president, met Ivo Marek on Monday.",  # a title after the name
                       "Ivo Marek said the talks went well.",
                       "The Russian leader added that more talks would follow.")[1:] == [("Ivo Marek", "person"),
                                                                                         ("Ivan Petrov", "person")]
    assert _holders_of("Russian President Boris Orlov met Ivo Marek on Monday.",  # someone else's title
                       "Ivan Petrov, an ally of the Russian president, said the talks had failed.",
                       "The Russian president said the talks went well.")[2] == ("Boris Orlov", "person")
    assert _holders_of("A senior Estonian official said the meeting ran long.",
                       "The official added that nothing had been signed.",
                       "The Finnish official said the border would stay open.") == \
        [("senior Estonian official", "source")] * 2 + [("Finnish official", "source")]


def test_holder_names_and_roles_are_written_as_the_text_writes_them():
    [[(_, petrov)], [(_, bureau), _]] = _holders([
        "Risks are high, Valdoria's Deputy Defence Minister, Ivan Petrov, added.\n",
        "The head of the Valdorian Consumer Protection Bureau (VCPB) who took office in May warned of fraud. "
        "Nothing else changed.\n"])
    assert (petrov.name, petrov.role) == ("Ivan Petrov", "Valdoria's Deputy Defence Minister")  # not "Valdoria 's"
    assert bureau.name == "head of the Valdorian Consumer Protection Bureau (VCPB)"  # not "( VCPB )"


@pytest.mark.parametrize("body", ["Consumer Protection Bureau", "Energy Authority", "Grain Board", "Stock Exchange",
                                  "Pension Fund"])
def test_the_last_words_of_a_body_are_no_persons_name(body):
    [[(_, holder)]] = _holders([f"The deputy director of the Valdorian {body} said prices would rise.\n"])
    assert (holder.name, holder.kind) == (f"deputy director of the Valdorian {body}", "source")


@pytest.mark.parametrize("company", ["Valdor Mining Corp", "Valdor Brewing Inc", "Valdor Shipping Ltd"])
def test_a_company_is_an_organisation_not_a_person(company):
    [[(_, holder)]] = _holders([f"{company} said profits rose.\n"])
    assert (holder.name, holder.kind) == (company, "organisation")


@pytest.mark.parametrize("after, role", [
    (", the Russian president, said", "Russian president"), (", Valdoria's foreign minister, said", "Valdoria's foreign minister"),
    (", a senior adviser, said", "senior adviser"), (", an ally of the president, said", None),
    (", a senior adviser to the prime minister, said", None), (", the president's envoy, said", None),
    (", who met the president, said", None), (", an analyst at Valdor Capital, said", "analyst at Valdor Capital"),
    (", the president of Valdoria, said", "president of Valdoria"),
    (", the agency's inspector general, said", "agency's inspector general"),
])
def test_a_title_after_a_name_is_its_own_not_one_it_relates_to(after, role):
    assert role_after("Ivan Petrov" + after, len("Ivan Petrov")) == role


@pytest.mark.parametrize("sentence, holder", [
    ("Residents said the shelling went on all night.", ("residents", "source")),
    ("The whistleblower told the agency his name had been leaked.", ("whistleblower", "source")),
    ("Witnesses said the convoy turned back.", ("witnesses", "source")),
    ("Others say the talks will fail.", ("others", "source")),
    ("Thousands of protesters demanded new elections.", ("thousands of protesters", "source")),
    ("A majority of Valdorians say the economy will improve.", ("majority of Valdorians", "source")),
    ("Many Valdorians said they were tired of the war.", ("Valdorians", "source")),
    ("The United Dock Workers said the strike would go on.", ("United Dock Workers", "organisation")),
    ("Some ancient texts, the professor said, describe the route.", ("professor", "source")),
])
def test_people_the_text_does_not_name_are_an_unnamed_source_not_the_outlet(sentence, holder):
    assert _holders_of(sentence) == [holder]


_OUTLET = ("Test Wire", "outlet")


@pytest.mark.parametrize("lines, holders", [
    pytest.param(("Some experts believe that the sanctions will fail.", "The army had hoped to advance by May.",
                  "Norway hopes the alliance will act."),
                 [("experts", "source"), _OUTLET, ("Government of Norway", "organisation")],
                 id="a belief is a claim only with a clause of what is believed"),
    pytest.param(("Ivan Petrov leads the party.", "This is a party and a leader that believes it can win.",
                  "If the talks stall, the House would be expected to follow suit.",
                  "Senator Ann Roe is set to announce a bill on Tuesday."),
                 [_OUTLET, _OUTLET, _OUTLET, ("Ann Roe", "person")],
                 id="a description or a passive is no claim of its subject"),
    pytest.param(("Ivan Petrov has ruled Valdoria since 2000.", "Police found the car near the border.",
                  "Investigators found that the brakes had failed."),
                 [_OUTLET, _OUTLET, ("investigators", "source")],
                 id="ruled and found report a claim only with a that-clause"),
])
def test_which_verbs_make_their_subject_a_holder(lines, holders):
    assert _holders_of(*lines) == holders


def test_they_is_the_group_or_body_just_quoted_and_nobody_else():
    assert _holders_of("Russian officials said the talks had failed.", "They added that the army would respond.") == \
        [("Russian officials", "source")] * 2
    assert _holders_of("The ministry said the talks had failed.", "They added that the army would respond.") == \
        [("ministry", "organisation")] * 2
    assert _holders_of("Protesters gathered outside parliament.", "They said the vote was rigged.") == \
        [("Test Wire", "outlet")] * 2
    assert _holders_of("Analysts warned that the plan would fail.", "Foreign Minister Anna Berg met them.",
                       "They said the talks went well.")[2] == ("Test Wire", "outlet")


def test_a_role_mention_finds_whom_a_title_with_its_place_of_work_describes():
    holders = _holders_of("John Marsh, an analyst at Valdor Capital, said the sanctions would bite.",
                          "Finance Minister Anna Berg disagreed.", "The analyst added that prices would rise.")
    assert holders[2] == ("John Marsh", "person")


def test_a_people_noun_is_not_the_last_speaker_when_their_title_is_another():
    assert _holders_of("Ivan Petrov, the agency's inspector general, said the leak was serious.",
                       "The whistleblower said his name had been disclosed.")[1] == ("whistleblower", "source")
    assert _holders_of("Olga Ivanova said the shelling went on all night.",
                       "The resident added that nobody had warned them.")[1] == ("Olga Ivanova", "person")


def test_the_organization_or_the_court_is_the_body_that_spoke_last():
    assert _holders_of("Valdor Rights International said the government ignored abuses.",
                       "The London-based organization said the policy had failed.",
                       "The rights group added that it would keep watching.") == \
        [("Valdor Rights International", "organisation")] * 3
    assert _holders_of("The Supreme Court ruled on Thursday that the law was void.",
                       "In a 6-3 ruling, the court said the act gave the president too much power.",
                       "The high court also ruled that the ban must end.") == [("Supreme Court", "organisation")] * 3


def test_any_verb_right_after_a_quote_attributes_it_but_a_reporting_verb_comes_first():
    assert _holders_of("Ivan Petrov spoke in Moscow on Monday.", "Anna Berg listened.",
                       "“We will never surrender to the alliance,” he bellowed over loudspeakers.",
                       "“This is a disgrace to everyone here,” Berg fumed.",
                       "“That is rubbish and everyone knows it,” scoffed Petrov.")[2:] == \
        [("Ivan Petrov", "person"), ("Anna Berg", "person"), ("Ivan Petrov", "person")]
    assert _holders_of("“We will be after them everywhere,” Valdor Wire quoted Ivan Petrov as saying.") == \
        [("Ivan Petrov", "person")]


def test_a_poll_report_or_statement_holds_what_its_named_author_holds():
    assert _holders_of("A poll by the Levada Center found that most Ruritanians back the war.",
                       "Valdor Rights International's report said the trial was unfair.",
                       "Ivan Petrov's statement said the alliance was a threat.",
                       "The statement said the talks would go on.") == \
        [("Levada Center", "organisation"), ("Valdor Rights International", "organisation"),
         ("Ivan Petrov", "person"), ("Test Wire", "outlet")]


def test_one_who_declines_to_say_is_no_holder_but_the_he_that_follows():
    holders = _holders_of("“We are ready to go,” Senator Ivan Petrov told reporters.",
                          "Senator Tom Hale declined to say whether he would back the bill if leaders agree to the deal.",
                          "“I don't do conjecture,” he told reporters.")
    assert holders[1:] == [("Test Wire", "outlet"), ("Tom Hale", "person")]
    assert _holders_of("Ivan Petrov refused to comment on the book, saying nobody should be distracted.") == \
        [("Ivan Petrov", "person")]


def test_a_lone_surname_of_a_known_person_is_that_person_unless_the_corpus_names_another():
    assert _holders_of("Polyansky told reporters the talks had stalled.", "Polyansky added that the West was to blame.") == \
        [("Dmitry Polyansky", "person")] * 2  # configs/speakers.yaml preferred_names
    assert _holders_of("Polyansky told reporters bread was dear.", "Anna Polyansky, a baker, said flour was scarce.") == \
        [("Anna Polyansky", "person")] * 2
    assert _holders_of("Dmitry said the talks had stalled.") == [("Dmitry", "organisation")]  # no first names


def test_the_newspaper_is_the_paper_named_last_even_when_it_did_not_speak():
    assert _holders_of("Ivan Petrov rejected a Washington Post report that he had quit.",
                       "The newspaper reported that he had vented to advisers.")[1] == ("The Washington Post", "organisation")
    assert _holders_of("Ivan Petrov told Valdor Wire the report was wrong.",
                       "Business Day newspaper said the latest credits include a loan.",
                       "The English-language daily said another loan was managed by Citicorp.")[1:] == \
        [("Business Day newspaper", "organisation")] * 2
    assert _holders_of("A Wellington-based newspaper reported that scientists met.") == [("Test Wire", "outlet")]


def test_the_alliance_or_the_bloc_is_the_one_named_last_unless_a_body_so_named_spoke():
    assert _holders_of("Secretary-General Anna Berg spoke in Brussels on NATO spending.",
                       "The US-led military alliance said it would not be intimidated.")[1] == ("NATO", "organisation")
    assert _holders_of("NATO troops arrived.", "The Valdor Farmers Alliance said the ban was wrong.",
                       "The alliance added that it would appeal.")[1:] == [("Valdor Farmers Alliance", "organisation")] * 2
    assert _holders_of("The alliance said it would appeal.") == [("alliance", "source")]



def test_the_head_of_a_body_is_not_the_body():
    assert _holders_of("Russia's Defence Ministry said the strikes hit depots.",
                       "The head of the ministry added that losses were heavy.")[1] == ("head of the ministry", "source")
    assert _holders_of("NATO said the drills were defensive.",
                       "The head of the NATO military alliance warned that troops were at risk.")[1] == \
        ("head of the NATO military alliance", "source")

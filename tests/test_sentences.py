"""Sentence splitting and quote spans, including property-based checks on arbitrary text."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stancewatch.tasks.clean import clean_document, normalise_text
from stancewatch.tasks.sentences import overlaps, quote_spans, split_sentences


def _sentences(text):
    return [text[s.start:s.end] for s in split_sentences(text)]


def test_abbreviations_do_not_end_sentences():
    text = "The U.S. and Washington, D.C., agreed. Mr. Smith left at 5 p.m. on Friday. It rained."
    assert _sentences(text) == ["The U.S. and Washington, D.C., agreed.", "Mr. Smith left at 5 p.m. on Friday.",
                                "It rained."]


def test_guillemets_split_inside_a_multi_sentence_quote():
    text = "Stoltenberg tweeted: « Moscow must return to diplomacy. NATO stands with Ukraine. All is well. »"
    assert _sentences(text) == ["Stoltenberg tweeted: « Moscow must return to diplomacy.",
                                "NATO stands with Ukraine.", "All is well. »"]


def test_curly_and_straight_quotes_keep_the_reporting_clause():
    assert _sentences("“It is hard to call it defensive,” Lavrov said. Then he left.") == [
        "“It is hard to call it defensive,” Lavrov said.", "Then he left."]
    assert _sentences('"What is not clear about it?" Putin asked. Nobody answered.') == [
        '"What is not clear about it?" Putin asked.', "Nobody answered."]
    assert _sentences("“Do they pose the question?” Lavrov added.") == ["“Do they pose the question?” Lavrov added."]


def test_space_before_closing_guillemet():
    assert _sentences("He said NATO would give « practical support. » He said: « Allies train. »") == [
        "He said NATO would give « practical support. »", "He said: « Allies train. »"]


def test_lines_are_hard_boundaries():
    assert _sentences("A Headline Without Stop\nBody starts here. And goes on.") == [
        "A Headline Without Stop", "Body starts here.", "And goes on."]


def test_quote_spans_styles_and_scare_quotes():
    text = ("He called it “alarming”. “The threats come from NATO's aggressive policy,” he said. "
            "« Moscow must return to diplomacy », he wrote. \"We are not bluffing at all,\" he added.")
    quoted = [text[q.start:q.end] for q in quote_spans(text)]
    assert quoted == ["“The threats come from NATO's aggressive policy,”", "« Moscow must return to diplomacy »",
                      "\"We are not bluffing at all,\""]


def test_quote_opened_straight_closes_curly_and_the_other_way_round():
    text = ("\"We will not wait for them to act,” Vera Lind said. (Berg called it \"unwise.\")\n"
            "“The border stays open for trade,\" the minister added.")
    quoted = [text[q.start:q.end] for q in quote_spans(text)]
    assert quoted == ["\"We will not wait for them to act,”", "“The border stays open for trade,\""]


def test_quote_left_open_closes_at_paragraph_end():
    text = "He said: « Allies are training your forces.\n« Ukraine has the right to choose. »"
    spans = quote_spans(text)
    assert [text[s.start:s.end] for s in spans] == ["« Allies are training your forces.",
                                                    "« Ukraine has the right to choose. »"]
    sentence = split_sentences(text)[1]
    assert any(overlaps(sentence, q) for q in spans)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=400))
def test_any_unicode_splits_into_spans_that_index_back(text):
    spans = split_sentences(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        piece = text[span.start:span.end]
        assert piece == piece.strip() and piece
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    for quote in quote_spans(text):
        assert 0 <= quote.start < quote.end <= len(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
       st.one_of(st.none(), st.text(max_size=40)))
def test_cleaning_never_raises_on_arbitrary_text(text, title):
    doc = clean_document(text, title=title)
    assert isinstance(doc.body, str)
    assert normalise_text(doc.body) == doc.body
    for span in split_sentences(doc.text):
        assert doc.text[span.start:span.end].strip()


def test_dotted_initials_after_a_capitalised_word_and_titles_never_end_a_sentence():
    text = ("TRENTON, N.J. (AP) - Vice President J.D. Vance spoke. We met Mr. A. Roe. He moved to the U.A.E. "
            "Officials said so. Maj. Gen. Ivan Petrov and Adm. Ann Roe agreed.")
    assert _sentences(text) == ["TRENTON, N.J. (AP) - Vice President J.D. Vance spoke.", "We met Mr. A. Roe.",
                                "He moved to the U.A.E.", "Officials said so.",
                                "Maj. Gen. Ivan Petrov and Adm. Ann Roe agreed."]


def test_a_letter_after_digits_is_no_initial():
    text = "Profits grew to $50m. Analysts were pleased. It began in the 1990s. Now it is over."
    assert _sentences(text) == ["Profits grew to $50m.", "Analysts were pleased.", "It began in the 1990s.",
                                "Now it is over."]


def test_a_single_letter_after_a_lower_case_word_ends_a_sentence_but_an_initial_does_not():
    text = "She wrote in a post on X. Targets included the grid. John F. Kennedy spoke."
    assert _sentences(text) == ["She wrote in a post on X.", "Targets included the grid.", "John F. Kennedy spoke."]

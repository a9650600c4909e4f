"""Cleaning rules on handmade snippets: boilerplate, dates, sources, language, unicode."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest

from stancewatch.tasks.clean import (CALENDAR_WORD, clean_document, clean_documents, credited_outlet, detect_language, is_opinion,
                                    normalise_text, parse_date, strip_boilerplate)
from tests.conftest import CONFIGS

BODY = ("The minister said on Tuesday that talks with the alliance would continue next month. "
        "He added that his country remains open to dialogue on all questions of security.")


@pytest.mark.parametrize("text, expected", [
    ("14.02.2023, Port Elin.", "2023-02-14"),
    ("March 8, 2024 Hour: 09:41 am", "2024-03-08"),
    ("Valdo-Post, 07.11.2022", "2022-11-07"),
    ("Published 2023-03-05T10:00", "2023-03-05"),
    ("5 March 2023", "2023-03-05"),
    ("Sept. 9, 2020", "2020-09-09"),
    ("no date here", None),
    ("31.02.2022", None),
    ("01.01.1970", None),
])
def test_parse_date_formats(text, expected):
    value = parse_date(text)
    assert (value.strftime("%Y-%m-%d") if value else None) == expected


@pytest.mark.parametrize("text, dayfirst, expected", [
    ("03/04/2022", True, "2022-04-03"), ("03/04/2022", False, "2022-03-04"),
    ("11/23/2026", True, "2026-11-23"), ("23/11/2026", False, "2026-11-23"),  # a number over 12 is the day
    ("13/13/2026", True, None), ("04.03.2022", False, "2022-03-04"),  # dots are European either way
    ("03/04.2022", True, None),
])
def test_numeric_dates_take_the_day_from_a_number_over_12_else_from_dayfirst(text, dayfirst, expected):
    value = parse_date(text, dayfirst)
    assert (value.strftime("%Y-%m-%d") if value else None) == expected


def test_clean_dayfirst_reaches_metadata_dates():
    assert clean_document("Talks\n\n" + BODY, date="02/01/2022", dayfirst=False).published.month == 2
    assert clean_document("Talks\n\n" + BODY, date="02/01/2022").published.month == 1


@pytest.mark.parametrize("field, expected", [
    ("2022-02-01T23:30:00-05:00", "2022-02-02"),  # its UTC day
    ("2022-02-01T23:30:00+00:00", "2022-02-01"), ("2022-02-01T23:30:00", "2022-02-01"),
    ("2022-02-01", "2022-02-01"), ("Tue, 01 Feb 2022 10:00:00 GMT", "2022-02-01"),
    ("Tue, 01 Feb 2022 23:30:00 -0500", "2022-02-02"), ("1 February 2022", "2022-02-01"),
    ("1985-03-04T10:00", None), ("1985-03-04", None), ("0001-01-01T00:00:00+01:00", None), ("not a date", None),
])
def test_metadata_dates_count_on_their_utc_day_within_the_plausible_years(field, expected):
    value = clean_document("Talks\n\n" + BODY, date=field).published
    assert (value.strftime("%Y-%m-%d") if value else None) == expected
    assert value is None or value.tzinfo == timezone.utc


@pytest.mark.parametrize("line", [
    "Share This Article", "Leave a Comment", "Leave a Reply Cancel reply", "Exit mobile version",
    "Related Posts", "Loading Facebook Comments ...", "2 + 9 =", "4 x 3 = 12",
    "Your email address will not be published. Required fields are marked *",
    "Photo: Reuters/ John Doe", "Read more: Why the summit matters",
    "We and our partners use cookies to store information such as your IP address.",
    "By clicking \"Accept\", you consent to the use of cookies by the publisher and its partners.",
    "The Morning Brief newsletter is the news you need before breakfast. Sign up here.",
    "Do Not Sell or Share My Personal Information", "Copyright © 2024 Example Media Ltd. All rights reserved.",
    "Reporting by Anna Novak and Piotr Lis; Editing by John Miller",
    "(Reporting by Anna Novak in Washington, D.C.; Editing by J.R. Miller)",
    "Associated Press writer Jan Kowal in Warsaw contributed to this report.",
    "Jan Kowal contributed reporting from Warsaw.",
    "We use cookies to improve our site and for advertising purposes.",
    "This article is for subscribers only.",
])
def test_boilerplate_lines_are_removed(line):
    body, _ = strip_boilerplate(f"{BODY}\n\n{line}\n\n{BODY}")
    assert line not in body
    assert body.count("The minister said") == 2


GERMAN = ("Der Minister sagte am Dienstag, dass die Gespräche mit dem Bündnis im nächsten Monat weitergehen. "
          "Die Regierung werde ihre Position nicht ändern, und die Verhandlungen würden in der Hauptstadt "
          "fortgesetzt, sagte er vor Journalisten.\n\nKritiker warfen ihm vor, die Lage zu beschönigen. "
          "Die Opposition forderte eine Debatte im Parlament über die neuen Pläne der Regierung.")


def test_a_paragraph_in_another_language_leaves_an_english_article_but_a_whole_article_stays_for_clean_languages():
    body, _ = strip_boilerplate(f"{BODY}\n\nDiese Seite ist auch auf Deutsch verfügbar.\n\n{BODY}")
    assert "Deutsch" not in body and body.count("The minister said") == 2
    english = " ".join([BODY] * 2)  # shorter than the German
    body, _ = strip_boilerplate(f"{english}\n\n{GERMAN}")  # a long foreign passage in an English article
    assert "Der Minister" not in body and body.startswith(BODY)
    ingested = pd.DataFrame([{"doc_id": "de", "title": "Gespräche gehen weiter", "text": GERMAN, "date": None,
                              "source": "Test Wire", "url": None, "source_paths": ["german.txt"]}])
    documents, rejects = clean_documents(ingested)
    assert documents.empty and [r["reason"] for r in rejects] == ["not_english"]
    documents, rejects = clean_documents(ingested, languages=("en", "de"))
    assert documents["language"].tolist() == ["de"] and not rejects


@pytest.mark.parametrize("line", [
    "The navy said freedom of navigation in the strait would be defended by allied warships.",
    "Regulators fined the company for breaking privacy rules on the personal data of its subscribers.",
    "“Your privacy is our concern,” the minister told parliament, defending the new surveillance law.",
    "The party launched an advertising campaign against the alliance's new members.",
    "‘Your privacy is our concern,’ the minister said, defending the new surveillance law.",
    "“If you care about privacy, you should back this bill, because the state must protect its citizens.",
    "Written by the president himself, the article argued that the two peoples are one.",
    "Reporting by Reuters and the Financial Times showed the firm shipped drones via a third country.",
])
def test_news_in_the_vocabulary_of_banners_stays(line):
    body, _ = strip_boilerplate(f"{BODY}\n\n{line}\n\n{BODY}")
    assert line in body


def test_teaser_heading_takes_its_headline_with_it():
    body, _ = strip_boilerplate(f"{BODY}\n\nRELATED:\n\nChina Urges Calm Over Disputed Reef\n\n{BODY}")
    assert "RELATED" not in body and "Disputed Reef" not in body


def test_caption_with_credit_and_translation_notice_are_removed():
    text = (f"Minister Ivan Petrov, May 2, 2023. Photo: X/ @someone\n\n{BODY}\n\n"
            "Ce texte a été traduit par une machine. Écrivez-nous si vous voyez une faute.\n\n"
            "Autres nouvelles")
    body, _ = strip_boilerplate(text)
    assert body == BODY


def test_source_lines_become_metadata():
    doc = clean_document(f"{BODY}\n\nSources: NORI – KPA valeNEWS/ MK\n\nPost a Comment")
    assert doc.sources[:3] == ["NORI", "KPA", "valeNEWS"]
    assert doc.outlet == "valeNEWS"
    assert "Sources" not in doc.body and "Post a Comment" not in doc.body


def test_signature_line_gives_outlet_and_date():
    doc = clean_document(f"{BODY}\n\nValdo-Post, 07.11.2022\nSource: NORI")
    assert doc.outlet == "Valdo-Post"
    assert doc.published == datetime(2022, 11, 7, tzinfo=timezone.utc)
    assert doc.date_found_in == "dateline"
    assert "NORI" in doc.sources


@pytest.mark.parametrize("page", [
    "Tallinn, 12.03.2023\n\n{body}", "OTTAWA, March 5, 2023\n\n{body}", "{body}\n\nNew Delhi, 5 March 2023",
    "{body}\n\nCanberra, March 5, 2023",
])
def test_a_place_dateline_gives_the_date_but_is_no_outlet(page):
    """A capital of configs/speakers.yaml before the date is where the story was filed, not who filed it."""
    doc = clean_document(page.format(body=BODY))
    assert doc.outlet is None and doc.sources == []
    assert doc.published.year == 2023 and doc.date_found_in == "dateline"
    assert doc.body == BODY


def test_the_places_that_are_no_outlet_are_part_of_the_cleaning_rules(monkeypatch):
    """Adding a place changes which signature is an outlet, so documents are cleaned again."""
    import stancewatch.tasks.holders
    from stancewatch.tasks.clean import rules_version

    page = f"{BODY}\n\nPort Elin, 14.02.2023"
    assert clean_document(page).outlet == "Port Elin"
    rules_version.cache_clear()
    before = rules_version()
    places = {**stancewatch.tasks.holders.speakers()["places"], "port elin": "Valdoria"}
    monkeypatch.setattr(stancewatch.tasks.holders, "speakers", lambda: {"places": places})
    rules_version.cache_clear()
    assert rules_version() != before
    assert clean_document(page).outlet is None
    rules_version.cache_clear()


@pytest.mark.parametrize("word", ["Jan", "January", "feb.", "Sept.", "SEP", "May", "June", "Thurs", "Tue.",
                                  "Wednesday", "SUNDAY"])
def test_month_and_weekday_words_are_calendar_words(word):
    assert CALENDAR_WORD.match(word)


@pytest.mark.parametrize("word", ["MarketPulse", "Marshall", "Novella", "Junction", "Decanter", "Augusta", "Sunrise",
                                  "Mayor", "Monarch"])
def test_words_that_begin_like_a_month_or_weekday_are_not(word):
    assert not CALENDAR_WORD.match(word)


def test_an_outlet_whose_name_begins_like_a_month_is_credited():
    assert credited_outlet("Talks", f"PORT ELIN, Feb 1 (MarketPulse) - {BODY}") == "MarketPulse"
    assert clean_document(f"{BODY}\n\nNovella, 07.11.2022").outlet == "Novella"
    assert clean_document(f"Monday, March 6, 2023\n\n{BODY}").outlet is None


def test_in_text_attributions_are_sources():
    doc = clean_document(f"{BODY} The talks will resume, as Valpress reports. Officials agreed, KNB reports. "
                         "He told the Norda news agency more.")
    assert {"VALPRESS", "KNB", "NORDA"} <= {s.upper() for s in doc.sources}


def test_date_inside_a_sentence_is_not_the_publication_date():
    doc = clean_document(f"{BODY} The May 14, 2022 incident near Port Elin was discussed.")
    assert doc.published is None and doc.date_found_in is None


def test_metadata_date_wins_over_text():
    doc = clean_document(f"14.02.2023, Port Elin.\n\n{BODY}", date="2022-02-01")
    assert doc.published == datetime(2022, 2, 1, tzinfo=timezone.utc)
    assert doc.date_found_in == "metadata"


def test_normalise_text_unicode_and_apostrophes():
    text = normalise_text("NATO\u2019s\u00a0role\u200b  in  Europe\r\n\r\n\r\n\r\nNext\u00adline")
    assert text == "NATO's role in Europe\n\nNextline"


def test_mojibake_is_undone_so_quotes_keep_their_speaker():
    # UTF-8 curly quotes once read as Windows-1252 (its undefined 0x9d kept as a control character)
    garbled = "\u00e2\u20ac\u0153The talks failed,\u00e2\u20ac\x9d the envoy said."
    assert normalise_text(garbled) == "\u201cThe talks failed,\u201d the envoy said."
    right = "Caf\u00e9 \u00abNATO\u00bb \u2014 fine"
    assert normalise_text(right) == right  # text that is right stays


def test_typewriter_quotes_of_old_wire_copy_become_curly_so_the_quote_finder_reads_them():
    text = normalise_text("``The talks failed,'' the envoy said. ``We go home.'' It's the Smiths' car.")
    assert text == "\u201cThe talks failed,\u201d the envoy said. \u201cWe go home.\u201d It's the Smiths' car."


@pytest.mark.parametrize("text, language", [
    (BODY, "en"),
    ("Министр иностранных дел России заявил, что расширение НАТО недопустимо.", "ru"),
    ("Le ministre a déclaré que les discussions avec les alliés vont continuer dans la semaine.", "fr"),
    ("Der Minister sagte, dass die Gespräche mit dem Bündnis fortgesetzt werden und nicht enden.", "de"),
    ("O ministro disse na terça-feira que as conversações com a aliança vão continuar no próximo mês.", "pt"),
    ("De minister zei dinsdag dat de gesprekken met het bondgenootschap volgende maand doorgaan.", "nl"),
    ("12 345 678 — 2024", "unknown"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("page, title, body_starts", [
    ("Valdoria Threatens Harbour Security: Envoy VarrenValdorian Envoy Ilse Varren said on Friday that the pact "
     "is the source of threats.", "Valdoria Threatens Harbour Security: Envoy Varren", "Valdorian Envoy Ilse"),
    ("Talks stall in Valdoria over port feesOfficials said on Monday that the talks had stalled.",
     "Talks stall in Valdoria over port fees", "Officials said on Monday"),
    ("Harbour Board Backs FerryLink ExpansionThe board said on Monday that it would back the plan.",
     "Harbour Board Backs FerryLink Expansion", "The board said on Monday"),
    ("Envoy Varren meets the council in ValdoriaThe envoy said on Monday that the talks would go on.",
     "Envoy Varren meets the council in Valdoria", "The envoy said on Monday"),  # sentence case, a name last
])
def test_headline_glued_to_first_paragraph_is_split(page, title, body_starts):
    doc = clean_document(f"{page}\n\n{BODY}")
    assert doc.title == title
    assert doc.body.startswith(body_starts)


@pytest.mark.parametrize("line", [
    "Officials in the port city of MacKenzie said the harbour reopened on Monday.",
    "Port Authority Chief Ewan MacKenzie said the harbour would reopen on Monday.",
    "Workers at a McDonald restaurant in Port Elin went on strike on Monday.",
    "Shoppers in Port Elin queued for the new iPhone before the stores opened.",
    "The company said YouTube would remove the videos within a day.",
    "Governor Ron DeSantis said the state would sue the harbour board.",
    "PORT ELIN, March 3 - HarbourLink Corp said it would buy two more ferries.",
])
def test_a_capital_inside_a_name_does_not_split_off_a_headline(line):
    doc = clean_document(f"{line}\n\n{BODY}")
    assert doc.title == "" and doc.body == f"{line}\n\n{BODY}"


@pytest.mark.parametrize("line", ["Harbour Board Backs FerryLink Expansion Despite Fishermen's Protest",
                                  "Minister 'backs harbour deal'"])
def test_a_headline_on_its_own_line_is_the_title_whole(line):
    doc = clean_document(f"{line}\n\n{BODY}")
    assert doc.title == line and doc.body == BODY


def test_a_new_article_that_names_someone_in_full_redoes_only_the_batches_that_use_the_name(tmp_path):
    """'Varga said' in an old batch gets the full name and role once a later article writes them; the
    batches are cleaned and attributed in two spawned processes (clean.workers)."""
    from stancewatch.tasks.catalog import read_table
    from stancewatch.tasks.config import Settings
    from stancewatch.tasks.runs import run_clean, run_ingest

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.txt").write_text("Talks Continue\n\nVarga said that the talks would go on next week. " + BODY)
    (raw / "b.txt").write_text("Markets Calm\n\nTraders said that markets stayed calm on Friday. " + BODY)
    settings = Settings(raw=raw, out=out, batch_documents=1, workers=2)
    run_ingest(settings)
    run_clean(settings)
    holders = read_table(out, "sentences").set_index("text")["holder"]
    assert holders["Varga said that the talks would go on next week."] != "Tomas Varga"

    (raw / "c.txt").write_text("Ministry Statement\n\nDeputy Defence Minister Tomas Varga met the attaches "
                               "on Monday. " + BODY)
    run_ingest(settings)
    summary = run_clean(settings)
    assert (summary["batches_cleaned"], summary["batches_holders_redone"]) == (1, 2)  # c, then a; b untouched
    sentences = read_table(out, "sentences").set_index("text")
    varga = sentences.loc["Varga said that the talks would go on next week."]
    assert (varga["holder"], varga["holder_role"]) == ("Tomas Varga", "Deputy Defence Minister")


def test_changed_attribution_rules_redo_only_the_sentences(tmp_path, monkeypatch):
    """A holder-rule or speakers.yaml change reattributes every batch without cleaning or NER again; the
    speakers.yaml read is the one in the config folder."""
    import shutil

    import stancewatch.tasks.runs
    from stancewatch.tasks.config import load_settings
    from stancewatch.tasks.runs import run_clean, run_ingest

    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS, configs)
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for name in "ab":
        (raw / f"{name}.txt").write_text(f"Talks {name.upper()}\n\nVarga said that the talks would go on. " + BODY)
    settings = load_settings(configs, raw=raw, out=out).replace(batch_documents=1, workers=1)
    run_ingest(settings)
    run_clean(settings)

    speakers = configs / "speakers.yaml"
    speakers.write_text(speakers.read_text() + "\n# a new rule\n")
    monkeypatch.setattr(stancewatch.tasks.runs, "find_people", lambda *args, **kwargs: pytest.fail("NER ran again"))
    summary = run_clean(load_settings(configs, raw=raw, out=out).replace(batch_documents=1, workers=1))
    assert (summary["batches_cleaned"], summary["batches_holders_redone"]) == (0, 2)
    assert run_clean(settings)["batches_holders_redone"] == 0


def test_the_config_folder_s_outlets_and_speakers_are_read_and_checked(tmp_path):
    import shutil

    from stancewatch.tasks.config import ConfigError, load_settings, use_world_files

    configs = tmp_path / "configs"
    shutil.copytree(CONFIGS, configs)
    (configs / "outlets.yaml").write_text("outlets:\n  - {name: Harbour Ledger, aliases: [HL], domains: [hl.example]}\n")
    try:
        load_settings(configs)
        assert clean_document("Talks\n\n" + BODY, url="https://www.hl.example/a").outlet == "Harbour Ledger"
        speakers = (CONFIGS / "speakers.yaml").read_text()
        (configs / "speakers.yaml").write_text(speakers.replace("role_synonyms:", "synonyms_of_roles:"))
        with pytest.raises(ConfigError, match=r"speakers.yaml: missing section\(s\) \['role_synonyms'\]"):
            load_settings(configs)
        (configs / "speakers.yaml").write_text(speakers.replace("countries:", "countries: [a list]\nold_countries:"))
        with pytest.raises(ConfigError, match="speakers.yaml: missing or malformed entry"):
            load_settings(configs)
    finally:
        use_world_files(CONFIGS)  # the packaged files again for the other tests
    assert clean_document("Talks\n\n" + BODY, url="https://www.hl.example/a").outlet is None


def test_site_name_line_under_the_title_is_the_outlet_and_not_text():
    doc = clean_document("Talks Resume In Oslo\n- The Daily Planet, 2024\n\n" + BODY)
    assert doc.outlet == "The Daily Planet"
    assert "Daily Planet" not in doc.body
    assert clean_document("Talks Resume In Oslo\n\n" + BODY + "\n- a list item without a name").outlet is None


def test_changed_cleaning_rules_clean_again_without_running_ner_on_unchanged_texts(tmp_path, monkeypatch):
    import stancewatch.tasks.attribution
    import stancewatch.tasks.runs
    from stancewatch.tasks.config import Settings
    from stancewatch.tasks.runs import run_clean, run_ingest

    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.txt").write_text("Talks Resume\n\nVarga said that the talks would go on. " + BODY)
    settings = Settings(raw=raw, out=out)
    run_ingest(settings)
    run_clean(settings)
    monkeypatch.setattr(stancewatch.tasks.runs, "clean_rules_version", lambda: "other cleaning rules")
    monkeypatch.setattr(stancewatch.tasks.attribution.holders, "load_ner", lambda: pytest.fail("NER ran on a text it had seen"))
    assert run_clean(settings)["batches_cleaned"] == 1


@pytest.fixture
def made_up_registry(tmp_path, monkeypatch):
    """A registry of invented outlets, so the tests do not depend on configs/outlets.yaml's contents."""
    import stancewatch.tasks.outlets

    registry = tmp_path / "outlets.yaml"
    registry.write_text("outlets:\n"
                        "  - {name: The Daily Planet, aliases: [Planet, DP News], domains: [dailyplanet.co.uk]}\n"
                        "  - {name: Gotham Wire Service, aliases: [GWS], domains: [gothamwire.com]}\n",
                        encoding="utf-8")
    monkeypatch.setattr(stancewatch.tasks.outlets, "OUTLETS_FILE", registry)
    stancewatch.tasks.outlets.registry.cache_clear()
    yield
    stancewatch.tasks.outlets.registry.cache_clear()


@pytest.mark.parametrize("written, expected", [
    ("GWS", "Gotham Wire Service"), ("dp news", "The Daily Planet"), ("Daily Planet", "The Daily Planet"),
    ("Metropolis Courier", "Metropolis Courier"),
])
def test_outlet_names_become_the_registry_name(made_up_registry, written, expected):
    from stancewatch.tasks.outlets import canonical_outlet

    assert canonical_outlet(written) == expected


@pytest.mark.parametrize("url, path, expected", [
    ("https://www.dailyplanet.co.uk/world/talks-resume.html", None, "The Daily Planet"),
    ("https://edition.gothamwire.com/x", "raw/017_unrelated.txt", "Gotham Wire Service"),
    (None, "raw/017_dailyplanet.txt", "The Daily Planet"),
    (None, "raw/gothamwire-2024-05-01.json", "Gotham Wire Service"),
    (None, "raw/2024/daily_planet_0031.txt", "The Daily Planet"),
    (None, "raw/017_metropoliscourier.txt", None),
    ("not a url", "raw/000_d9f679206d88149f.txt", None),
])
def test_outlet_from_domain_or_file_name(made_up_registry, url, path, expected):
    from stancewatch.tasks.outlets import outlet_from_address

    assert outlet_from_address(url, path) == expected


def test_outlet_from_text_wins_over_the_file_name_and_is_spelled_one_way(made_up_registry):
    credited = clean_document("Talks Resume\n\nGOTHAM, May 2 (GWS) - " + BODY, path="raw/017_dailyplanet.txt")
    assert credited.outlet == "Gotham Wire Service"
    assert clean_document("Talks Resume\n\n" + BODY, path="raw/017_dailyplanet.txt").outlet == "The Daily Planet"
    assert clean_document("Talks Resume\n\n" + BODY, source="DP News").outlet == "The Daily Planet"
    assert clean_document("Talks Resume\n\n" + BODY, path="raw/017_notes.txt").outlet is None


def test_a_file_name_two_outlets_share_names_neither(tmp_path, monkeypatch):
    import stancewatch.tasks.outlets

    registry = tmp_path / "outlets.yaml"
    registry.write_text("outlets:\n"
                        "  - {name: Courier, domains: [courier.example.com]}\n"
                        "  - {name: Courier Ukraine, domains: [courier.com.ua]}\n", encoding="utf-8")
    monkeypatch.setattr(stancewatch.tasks.outlets, "OUTLETS_FILE", registry)
    stancewatch.tasks.outlets.registry.cache_clear()
    from stancewatch.tasks.outlets import outlet_from_address

    assert outlet_from_address(None, "raw/014_courier.txt") is None
    assert outlet_from_address("https://www.courier.com.ua/news/1", None) == "Courier Ukraine"
    assert outlet_from_address(None, "raw/014_courier_ukraine.txt") == "Courier Ukraine"
    stancewatch.tasks.outlets.registry.cache_clear()


@pytest.mark.parametrize("title, page, url, expected", [
    ("Why the sanctions failed: The Gotham Herald editorial", "", None, True),
    ("Opinion: The alliance needs a new idea", "", None, True),
    ("The alliance needs a new idea | Commentary", "", None, True),
    ("Ministers meet", "Global edition\nHome / Opinion / Editorials\nMinisters met.", None, True),
    ("Why the alliance must act | Opinion | The Gotham Herald", "", None, True),
    ("Ministers meet", "", "https://www.example.org/opinion/2024/05/ministers-meet", True),
    ("Ministers meet", "", "https://www.example.org/columnists/jane-doe/ministers-meet", True),
    # news: site menus, headlines that end on the word, slugs and hosts that contain it
    ("Ministers meet", "World\nBusiness\nOpinion\nSport\nMinisters met on Tuesday.", None, False),
    ("Ministers meet", "Home / News / Opinion / Sport\nMinisters met on Tuesday.", None, False),
    ("Ministers meet", "World | Business | Opinion | Sport | Culture", None, False),
    ("Minister: the alliance will not change its opinion", "", None, False),
    ("Court Ruling: Justices Issue Opinion", "", None, False),
    ("Border War: Armoured Column Advances", "", None, False),
    ("Ministers meet", "News > World > Europe", "https://www.example.org/news/2024/public_opinion_poll", False),
    ("Ministers meet", "", "https://www.columnist.example.org/world/ministers-meet", False),
    (None, None, None, False),
])
def test_opinion_pages_are_told_by_their_title_section_line_or_address(title, page, url, expected):
    assert is_opinion(title, page, url) is expected
    if page is not None:
        assert clean_document(f"{page}\n\nMinisters met on Tuesday in a town.", title=title, url=url).opinion is expected


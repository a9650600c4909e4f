"""A messy raw folder: every good document comes through, every bad one is in rejects with its reason."""
from __future__ import annotations

import json

import pytest

from stancewatch.tasks.catalog import read_table
from stancewatch.tasks.config import load_settings
from stancewatch.tasks.runs import run_aggregate, run_classify, run_clean, run_ingest
from tests.conftest import CONFIGS

GOOD = ("Alliance Ministers Meet in Brussels\n\n"
        "Foreign ministers of the alliance met in Brussels on Tuesday to discuss support for partners in the "
        "east. The secretary general said that NATO stands with its partners and will keep helping them. "
        "Officials said the talks would continue next month in Vilnius.\n")
LATIN1 = ("Café Diplomacy in Zürich\n\nDiplomats met at a café in Zürich on Monday to discuss the crisis. "
          "The Swiss host said the talks were naïve but useful, and that the façade of unity was cracking. "
          "Both sides agreed to meet again before the summer.\n")
UTF16 = ("Talks Resume in Geneva\n\nNegotiators from both countries resumed talks in Geneva on Wednesday. "
         "The Russian delegation said Moscow was ready for dialogue but would not accept any new conditions. "
         "The American side said the United States would wait for a written answer.\n")
RUSSIAN = ("Лавров: НАТО угрожает безопасности\n\nМинистр иностранных дел России Сергей Лавров заявил, что "
           "расширение НАТО на восток создаёт неприемлемые угрозы для безопасности России. По его словам, "
           "Москва будет добиваться юридических гарантий.\n")
HTML_TRUNCATED = ("<html><head><title>Summit Ends Without Deal</title></head><body><article>"
                  "<h1>Summit Ends Without Deal</h1><p>The two-day summit ended on Friday without a deal on "
                  "security guarantees, officials said. Delegates agreed only to keep talking in the coming "
                  "weeks, and the host country called the result disappointing but not surprising.</p>"
                  "<p>Analysts said the next round could take place in Vienna, where the talks were held"
                  " in the spring of last year and where the")


@pytest.fixture(scope="module")
def messy_run(tmp_path_factory):
    raw = tmp_path_factory.mktemp("messy")
    (raw / "good.txt").write_text(GOOD, encoding="utf-8")
    (raw / "copy-of-good.txt").write_text(GOOD, encoding="utf-8")
    (raw / "latin1.txt").write_bytes(LATIN1.encode("latin-1"))
    (raw / "utf16.txt").write_bytes(UTF16.encode("utf-16"))
    (raw / "russian-cp1251.txt").write_bytes(RUSSIAN.encode("cp1251"))
    (raw / "empty.txt").write_bytes(b"")
    (raw / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (raw / "truncated.html").write_text(HTML_TRUNCATED, encoding="utf-8")
    records = [{"title": "Ceasefire Holds", "text": "A ceasefire held overnight across the region, the monitors "
                "said on Sunday. Both sides reported no shelling for the first time in weeks, and aid convoys "
                "reached the towns near the front line, officials in the capital said.", "date": "2024-06-21",
                "source": "Wire One"},
               {"title": "Markets Calm", "text": "Markets were calm on Monday as traders waited for the central "
                "bank decision. The currency rose slightly against the dollar and the euro, and analysts said "
                "the bank would most likely keep its key rate unchanged this week.", "source": "Wire Two"}]
    lines = [json.dumps(records[0]), '{"title": "Broken", "text": "no closing brace"', json.dumps(records[1])]
    (raw / "export.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with open(raw / "huge.txt", "w", encoding="utf-8") as handle:  # 50 MB, generated here, never committed
        line = "This generated line repeats to make a fifty megabyte file that is not an article. \n"
        handle.write("Huge\n" + line * (50 * 2**20 // len(line)))
    out = tmp_path_factory.mktemp("messy-out")
    settings = load_settings(CONFIGS, raw=raw, out=out)
    summaries = [run_ingest(settings), run_clean(settings), run_classify(settings), run_aggregate(settings)]
    return out, summaries


def test_every_good_document_comes_through(messy_run):
    out, _ = messy_run
    documents = read_table(out, "documents")
    assert sorted(documents["title"]) == ["Alliance Ministers Meet in Brussels", "Café Diplomacy in Zürich",
                                          "Ceasefire Holds", "Markets Calm", "Summit Ends Without Deal",
                                          "Talks Resume in Geneva"]
    sentences = read_table(out, "sentences")
    assert sentences["text"].str.contains("naïve but useful").any()
    assert not sentences["text"].str.contains("Ã|Ð|�").any(), "mojibake reached the sentences"
    assert len(read_table(out, "stances")) == len(sentences) * 4


def test_every_bad_input_is_rejected_with_its_reason(messy_run):
    out, _ = messy_run
    rejects = read_table(out, "rejects")
    by_file = {(stage, source.rsplit("/", 1)[-1]): reason
               for stage, source, reason in zip(rejects["stage"], rejects["source"], rejects["reason"])}
    assert by_file == {
        ("ingest", "empty.txt"): "empty",
        ("ingest", "binary.txt"): "binary",
        ("ingest", "export.jsonl:2"): "malformed",
        ("ingest", "huge.txt"): "too_large",
        ("ingest", sorted(["good.txt", "copy-of-good.txt"])[1]): "duplicate",
        ("clean", "russian-cp1251.txt"): "not_english",
    }
    assert rejects["message"].str.len().gt(10).all()


def test_rerunning_a_stage_replaces_only_its_own_rejects(messy_run):
    out, _ = messy_run
    settings = load_settings(CONFIGS, raw=out, out=out)
    before = read_table(out, "rejects")
    run_clean(settings)
    after = read_table(out, "rejects")
    assert sorted(after["source"]) == sorted(before["source"])

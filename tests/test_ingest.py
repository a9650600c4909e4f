"""Ingest on small handmade files: formats, encodings, duplicates and rejects."""
from __future__ import annotations

import json
import os

import pandas as pd
import pyarrow as pa
import pytest
import pyarrow.parquet as pq

from stancewatch.tasks.catalog import WouldDeleteError, partitions, read_table
from stancewatch.tasks.config import Settings
from stancewatch.tasks import ingest
from stancewatch.tasks.ingest import decode_bytes, is_binary, read_documents, scan_raw_folder, to_tables
from stancewatch.tasks.runs import run_ingest

RUSSIAN = "Министр иностранных дел России заявил, что расширение НАТО недопустимо."
ARTICLE = "Officials met on Monday to discuss the treaty and its effects on regional security. " * 4


def _ingest(tmp_path, **kwargs):
    files, refused = scan_raw_folder(tmp_path)
    return to_tables([*refused, *read_documents(files, **kwargs)])


def test_txt_first_line_is_title(tmp_path):
    (tmp_path / "a.txt").write_text("\n\nThe Headline\n\nBody text here.\n", encoding="utf-8")
    docs, rejects = _ingest(tmp_path)
    assert docs.loc[0, "title"] == "The Headline"
    assert docs.loc[0, "text"].strip() == "Body text here."
    assert rejects.empty


def test_a_txt_of_one_line_is_all_text_not_a_title(tmp_path):
    (tmp_path / "a.txt").write_text(f"\n{ARTICLE}\n\n", encoding="utf-8")
    docs, rejects = _ingest(tmp_path)
    assert pd.isna(docs.loc[0, "title"])
    assert docs.loc[0, "text"] == ARTICLE.strip()
    assert rejects.empty


def test_html_main_text_without_scripts(tmp_path):
    html = ("<html><head><title>Alliance meets</title><script>alert('x')</script></head><body>"
            "<nav>Home | World</nav><article><h1>Alliance meets</h1>"
            f"<p>{ARTICLE}</p><p>The second paragraph says more about the summit.</p></article>"
            "<footer>Share this article</footer></body></html>")
    (tmp_path / "page.html").write_text(html, encoding="utf-8")
    docs, rejects = _ingest(tmp_path)
    assert rejects.empty
    assert "Officials met on Monday" in docs.loc[0, "text"]
    assert "alert(" not in docs.loc[0, "text"]
    assert docs.loc[0, "title"] == "Alliance meets"


def test_jsonl_bad_line_rejects_only_that_line(tmp_path):
    lines = [json.dumps({"text": ARTICLE + " one", "title": "One", "date": "2024-06-21", "source": "TASS"}),
             "{not json",
             json.dumps({"content": ARTICLE + " two", "headline": "Two"})]
    (tmp_path / "export.jsonl").write_text("\n".join(lines), encoding="utf-8")
    docs, rejects = _ingest(tmp_path)
    assert sorted(docs["title"]) == ["One", "Two"]
    assert docs.set_index("title").loc["One", "source"] == "TASS"
    assert list(rejects["reason"]) == ["malformed"]
    assert rejects.loc[0, "source"].endswith("export.jsonl:2")


def test_json_exports_one_article_a_list_or_a_wrapped_list(tmp_path):
    (tmp_path / "one.json").write_text(json.dumps({"headline": "Single", "body": ARTICLE + " single",
                                                   "items": ["tags", "of", "the", "article"]}), encoding="utf-8")
    (tmp_path / "list.json").write_text(json.dumps([{"text": ARTICLE + " first", "title": "First"}, "not an object"]),
                                        encoding="utf-8")
    (tmp_path / "api.json").write_text(json.dumps({"status": "ok", "articles": [  # a news API's shape
        {"content": ARTICLE + " wrapped", "title": "Wrapped", "source": {"id": "rtr", "name": "Reuters"},
         "publishedAt": "2024-05-01T10:00:00Z"},
        {"text": [ARTICLE, "Second paragraph."], "title": "Paragraphs"}]}), encoding="utf-8")
    (tmp_path / "broken.json").write_text('{"text": "unterminated', encoding="utf-8")
    (tmp_path / "none.json").write_text('{"articles": []}', encoding="utf-8")
    docs, rejects = _ingest(tmp_path)
    assert sorted(docs["title"]) == ["First", "Paragraphs", "Single", "Wrapped"]
    assert set(docs["source_format"]) == {"json"}
    wrapped = docs.set_index("title").loc["Wrapped"]
    assert (wrapped["source"], wrapped["date"]) == ("Reuters", "2024-05-01T10:00:00Z")
    assert docs.set_index("title").loc["Paragraphs", "text"] == ARTICLE + "\n\nSecond paragraph."
    assert sorted(zip(rejects["source"].map(lambda s: s.rsplit("/", 1)[-1]), rejects["reason"])) == [
        ("broken.json", "malformed"), ("list.json:2", "malformed"), ("none.json", "empty")]


def test_csv_and_parquet_exports(tmp_path):
    (tmp_path / "a.csv").write_text(f'text,title,url\n"{ARTICLE} csv",CSV title,http://x/1\n\n"short,row\n',
                                    encoding="utf-8")
    pq.write_table(pa.table({"text": [ARTICLE + " pq"], "title": ["PQ title"], "date": ["30.01.2022"]}),
                   tmp_path / "b.parquet")
    docs, rejects = _ingest(tmp_path)
    assert set(docs["title"]) == {"CSV title", "PQ title"}
    assert set(docs["source_format"]) == {"csv", "parquet"}
    assert list(rejects["reason"]) == ["malformed"]  # the short row; the blank line is skipped


def test_header_only_csv_and_empty_parquet_are_rejected_as_empty(tmp_path):
    (tmp_path / "a.csv").write_text("text,title\n\n\n", encoding="utf-8")  # blank lines are no rows
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), tmp_path / "b.parquet")
    docs, rejects = _ingest(tmp_path)
    assert docs.empty
    assert sorted(zip(rejects["source"].str.rsplit("/", n=1).str[-1], rejects["reason"])) == [
        ("a.csv", "empty"), ("b.parquet", "empty")]


def test_parquet_list_text_is_paragraphs_and_binary_is_no_text(tmp_path):
    pq.write_table(pa.table({"text": [[ARTICLE, "Second paragraph."], None],
                             "body": pa.array([None, b"\x00\x01 not text"], pa.binary()),
                             "title": ["Paragraphs", "Binary"]}), tmp_path / "a.parquet")
    docs, rejects = _ingest(tmp_path)
    assert list(docs["text"]) == [ARTICLE + "\n\nSecond paragraph."]
    assert list(rejects["reason"]) == ["empty"] and rejects.loc[0, "source"].endswith("a.parquet:1")
    assert "binary" in rejects.loc[0, "message"]


def test_exact_duplicates_collapse_and_remember_every_path(tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Title\n" + ARTICLE, encoding="utf-8")
    (tmp_path / "c.txt").write_text("Title\n" + ARTICLE.upper().replace("  ", " "), encoding="utf-8")
    docs, rejects = _ingest(tmp_path)
    assert len(docs) == 1
    assert len(docs.loc[0, "source_paths"]) == 3
    assert list(rejects["reason"]) == ["duplicate", "duplicate"]


def test_encodings_are_decoded():
    assert decode_bytes(RUSSIAN.encode("cp1251")) == (RUSSIAN, "cp1251")
    assert decode_bytes(RUSSIAN.encode("utf-16"))[0] == RUSSIAN
    assert decode_bytes("\ufeffcafé".encode("utf-8")) == ("café", "utf-8-sig")
    text = "Café in Zürich, naïve façade, résumé of the crème brûlée and the piñata. " * 3
    decoded, encoding = decode_bytes(text.encode("latin-1"))
    assert decoded == text and encoding in ("cp1252", "latin-1")


def test_bad_files_become_rejects_with_reasons(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blob.txt").write_bytes(bytes(range(256)))
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "big.txt").write_bytes(b"x" * 2048)
    (tmp_path / "good.txt").write_text("Title\n" + ARTICLE, encoding="utf-8")
    docs, rejects = _ingest(tmp_path, max_file_mb=0.001)
    reasons = dict(zip(rejects["source"].str.rsplit("/", n=1).str[-1], rejects["reason"]))
    assert reasons == {"empty.txt": "empty", "blob.txt": "binary", "image.png": "unsupported_format",
                       "big.txt": "too_large"}
    assert len(docs) == 1


def test_binary_detection_keeps_utf16_text():
    assert is_binary(b"\x00\x01\x02binary\x00")
    assert not is_binary("plain text".encode("utf-16"))
    assert not is_binary("plain text".encode("utf-8"))


def test_over_long_document_is_rejected_whole(tmp_path):
    (tmp_path / "dump.txt").write_text("Title\n" + ARTICLE * 20, encoding="utf-8")
    (tmp_path / "ok.txt").write_text("Title\n" + ARTICLE, encoding="utf-8")
    docs, rejects = _ingest(tmp_path, max_doc_chars=len(ARTICLE) * 2)
    assert len(docs) == 1
    assert list(rejects["reason"]) == ["too_large"] and "max_doc_chars" in rejects.loc[0, "message"]


def test_hidden_files_are_skipped(tmp_path):
    (tmp_path / ".gitkeep").write_text("")
    (tmp_path / "a.txt").write_text("Title\n" + ARTICLE, encoding="utf-8")
    docs, rejects = _ingest(tmp_path)
    assert len(docs) == 1 and rejects.empty


def _article(n: int) -> str:
    return f"Title {n}\n" + f"Article number {n}. " + ARTICLE


def test_rerun_reads_only_new_and_changed_files(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for n in range(5):
        (raw / f"{n}.txt").write_text(_article(n), encoding="utf-8")
    settings = Settings(raw=raw, out=out, batch_documents=2)
    first = run_ingest(settings)
    assert first["documents"] == 5 and len(first["batches"]) == 3  # batches of at most 2 documents
    assert len(pd.read_parquet(out / "ingested")) == 5  # the dataset reads as one table

    assert run_ingest(settings)["files_read"] == 0  # nothing changed: no file opened, no batch written
    os.utime(raw / "0.txt", ns=(1, 1))  # touched, same content: hashed, not read
    (raw / "1.txt").write_text(_article(11), encoding="utf-8")  # edited
    (raw / "2.txt").unlink()  # removed
    (raw / "5.txt").write_text(_article(5), encoding="utf-8")  # new
    second = run_ingest(settings)
    assert (second["files_read"], second["files_removed"], second["documents"]) == (2, 1, 2)
    stored = read_table(out, "ingested")
    titles = sorted(stored["title"])
    assert titles == ["Title 0", "Title 11", "Title 3", "Title 4", "Title 5"]  # old 1 and 2 left, 11 and 5 came
    assert len(partitions(out, "ingested")) == 4 and stored["batch"].nunique() == 4
    assert run_ingest(settings)["files_read"] == 0
    with pytest.raises(WouldDeleteError, match="--force"):  # a limit that empties the table needs --force
        run_ingest(settings.replace(max_doc_chars=len(ARTICLE)))
    assert sorted(read_table(out, "ingested")["title"]) == titles and len(partitions(out, "ingested")) == 4
    stricter = run_ingest(settings.replace(max_doc_chars=len(ARTICLE), force=True))  # new limits apply to every file
    assert stricter["files_read"] == 5 and stricter["rejects"] == {"too_large": 5}
    assert read_table(out, "ingested").empty


def test_copy_of_a_stored_document_is_a_duplicate_until_the_original_goes(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "a.txt").write_text(_article(1), encoding="utf-8")
    settings = Settings(raw=raw, out=out)
    run_ingest(settings)
    (raw / "b.txt").write_text(_article(1), encoding="utf-8")
    run_ingest(settings)
    rejects = read_table(out, "rejects")
    assert list(rejects["reason"]) == ["duplicate"] and rejects.loc[0, "source"].endswith("b.txt")
    (raw / "a.txt").unlink()  # the copy now holds the only text: it is read again and kept
    run_ingest(settings)
    stored = read_table(out, "ingested")
    assert len(stored) == 1 and list(stored.loc[0, "source_paths"]) == [str(raw / "b.txt")]
    assert read_table(out, "rejects").empty


def test_batch_size_bounds_every_partition(tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    (raw / "many.jsonl").write_text("\n".join(json.dumps({"text": f"Story {n}. " + ARTICLE}) for n in range(7)))
    summary = run_ingest(Settings(raw=raw, out=out, batch_documents=3))
    sizes = [pq.read_metadata(path).num_rows for path in partitions(out, "ingested").values()]
    assert summary["documents"] == 7 and sizes == [3, 3, 1]


def test_file_gone_between_scan_and_hash_is_rejected_and_the_rest_ingested(tmp_path, monkeypatch):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    for n in range(2):
        (raw / f"{n}.txt").write_text(_article(n), encoding="utf-8")
    settings = Settings(raw=raw, out=out)
    run_ingest(settings)
    (raw / "2.txt").write_text(_article(2), encoding="utf-8")

    def scan_then_delete(raw_dir):
        listed = scan_raw_folder(raw_dir)
        (raw / "1.txt").unlink()
        return listed

    monkeypatch.setattr(ingest, "scan_raw_folder", scan_then_delete)
    summary = run_ingest(settings)
    assert (summary["files_read"], summary["files_removed"], summary["documents"]) == (1, 1, 1)
    assert summary["rejects"] == {"unreadable": 1}
    assert read_table(out, "rejects").loc[0, "source"] == str(raw / "1.txt")
    assert sorted(read_table(out, "ingested")["title"]) == ["Title 0", "Title 2"]

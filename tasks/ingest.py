"""Ingest: turn every file under the raw folder into document rows, setting aside what cannot be read.

Supported: .txt (first non-empty line is the title, unless it is the only one: then it is the text), .html/.htm (main text via trafilatura),
.json (one article, a list of them, or a list under "articles"/"data"/...), .jsonl/.ndjson, .csv
and .parquet exports with text/title/date/url/source columns.
Nothing here executes input: no pickle, no eval, HTML scripts are dropped by the extractor,
and paths or URLs found in the input are only recorded, never opened or written.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import charset_normalizer
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from stancewatch.tasks.catalog import rejects_frame
from stancewatch.tasks.ids import doc_id_for

log = logging.getLogger("stancewatch.ingest")

SUPPORTED_SUFFIXES = {".txt", ".text", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".csv", ".parquet"}
# Column names accepted in structured exports, first match wins.
FIELD_ALIASES = {
    "text": ("text", "content", "body", "article", "maintext"),
    "title": ("title", "headline"),
    "date": ("date", "published", "published_at", "publish_date", "date_publish", "pubdate"),
    "url": ("url", "link"),
    "source": ("source", "outlet", "publisher", "site", "source_domain"),
}
# Keys under which a .json export keeps its list of articles (news APIs and scrapers use these).
JSON_LIST_KEYS = ("articles", "data", "results", "items", "documents", "records")


@dataclass
class Reject:
    source: str
    reason: str
    message: str


@dataclass
class RawDocument:
    source_path: str
    source_format: str
    encoding: str
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    source: str | None = None


# What charset-normalizer may choose from when a file is not UTF-8: the encodings news exports come in.
# Leaving out the other single-byte Western pages (cp1250, ...) keeps it from reading 'naïve' as 'naďve'.
_LEGACY_ENCODINGS = ["utf_16", "utf_16_le", "utf_16_be", "cp1252", "cp1251", "koi8_r", "gb18030", "big5",
                     "shift_jis", "euc_kr"]


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode text of unknown encoding; returns (text, encoding) or raises UnicodeError.

    BOMs and strict UTF-8 first; then charset-normalizer among the encodings news exports use. Its
    one weak spot, measured on short Western snippets ('Zürich café' read as cp1251 'Zьrich cafй'),
    is checked: cp1251 stands only when its letters form whole Cyrillic words, else cp1252.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    encoding = codecs.lookup(best.encoding).name if best else "cp1252"
    if encoding == "cp1251" and not _mostly_whole_cyrillic_words(data.decode("cp1251", errors="replace")):
        encoding = "cp1252"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _mostly_whole_cyrillic_words(text: str) -> bool:
    """Russian text decoded as cp1251 gives pure Cyrillic words; Western text gives 'Zьrich'-style hybrids."""
    words = [w for w in re.findall(r"\w+", text[:100_000]) if not w.isascii()]
    if not words:
        return False
    pure = sum(1 for w in words if all("\u0400" <= ch <= "\u04ff" or ch.isdigit() for ch in w))
    return pure / len(words) >= 0.8


def _looks_like_bomless_utf16(data: bytes) -> bool:
    sample = data[:4000]
    return len(sample) >= 8 and max(sample[0::2].count(0), sample[1::2].count(0)) > 0.4 * (len(sample) / 2)


def is_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we read (NULs outside UTF-16, control bytes)."""
    sample = data[:8000]
    if not sample:
        return False
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_like_bomless_utf16(sample):
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return control / len(sample) > 0.05


def scan_raw_folder(raw_dir: Path) -> tuple[list[Path], list[Reject]]:
    """The non-hidden files below raw_dir to read, and the entries refused, each with its reason.

    Refused, never read: a file name that is not valid UTF-8 (it cannot be stored as a path), a
    symbolic link that leads outside the raw folder (a link to /etc/passwd), a dangling link or a
    link loop, and anything that is not a regular file (a FIFO would block the read for ever).
    Links to directories are not followed; files inside raw_dir reached through a link are read.
    """
    root = Path(os.path.realpath(raw_dir))
    files, refused = [], []
    for folder, dirs, names in os.walk(raw_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(n for n in names if not n.startswith(".")):
            path = Path(folder) / name
            problem = _entry_problem(path, root)
            if problem:
                refused.append(Reject(displayable(path), *problem))
            else:
                files.append(path)
        for name in dirs:
            path = Path(folder) / name
            if path.is_symlink() and not Path(os.path.realpath(path)).is_relative_to(root):
                refused.append(Reject(displayable(path), "outside_raw",
                                      f"links to the folder {os.path.realpath(path)}, outside the raw folder"))
    return sorted(files), refused


def _entry_problem(path: Path, root: Path) -> tuple[str, str] | None:
    """(reason, message) when the entry at `path` must not be read, else None."""
    if displayable(path) != str(path):
        return "bad_file_name", "the file name is not valid UTF-8: rename the file"
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            what = "a link loop" if os.path.lexists(os.path.realpath(path)) or isinstance(exc, RuntimeError) \
                else f"a dangling link to {os.readlink(path)}"
            return "broken_link", f"{what}: fix or delete the link"
        if not target.is_relative_to(root):
            return "outside_raw", f"links to {target}, outside the raw folder: copy the file in instead"
    try:
        regular = path.is_file()
    except OSError as exc:
        return "unreadable", f"cannot stat: {exc}"
    return None if regular else ("unreadable", "not a regular file (a FIFO, socket or device)")


def displayable(path: Path | str) -> str:
    """A path as a valid string: bytes that are not UTF-8 (kept by Python as surrogates) become \\xNN."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _field_key(name) -> str:
    """'published_at', 'publishedAt' and 'Published-At' are one field."""
    return re.sub(r"[\s_-]+", "", str(name)).lower()


def _as_text(value) -> str | None:
    """A field's text: a string or number as is, a list of strings as paragraphs, an object by its name
    (news APIs write the source as {"id": ..., "name": ...}); anything else, bytes included, has no text.

    Parquet list columns come from pandas as numpy arrays: read like lists, not stored as their repr.
    """
    if isinstance(value, (np.ndarray, tuple)):
        value = list(value)
    if isinstance(value, dict):
        value = value.get("name")
    elif isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        value = "\n\n".join(value)
    if value is None or isinstance(value, (dict, list, bytes)) or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value) if str(value).strip() else None


def _fields(record: dict) -> dict:
    """A record's fields by normalised key, built once per record for every _pick."""
    return {_field_key(k): v for k, v in record.items()}


def _pick(fields: dict, name: str) -> str | None:
    """The first non-empty text among the aliases of `name` in fields from _fields()."""
    for alias in FIELD_ALIASES[name]:
        if (text := _as_text(fields.get(_field_key(alias)))) is not None:
            return text
    return None


def _from_record(record: dict, path: str, fmt: str, encoding: str) -> RawDocument | Reject:
    if not isinstance(record, dict):
        return Reject(path, "malformed", f"expected an object with a text field, got {type(record).__name__}")
    fields = _fields(record)
    text = _pick(fields, "text")
    if text is None:
        holds_binary = any(isinstance(fields.get(_field_key(alias)), bytes) for alias in FIELD_ALIASES["text"])
        return Reject(path, "empty", f"no text in any of the columns {FIELD_ALIASES['text']}"
                                     + (": binary values are not read as text" if holds_binary else ""))
    return RawDocument(path, fmt, encoding, text, _pick(fields, "title"), _pick(fields, "date"),
                       _pick(fields, "url"), _pick(fields, "source"))


def _read_txt(text: str, path: str, encoding: str) -> list[RawDocument | Reject]:
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return [Reject(path, "empty", "file holds no text")]
    body = "\n".join(lines[first + 1:])
    if not body.strip():  # an article saved as one line has no title line: it is all text
        return [RawDocument(path, "txt", encoding, lines[first].strip())]
    return [RawDocument(path, "txt", encoding, body, title=lines[first].strip())]


def _read_html(text: str, path: str, encoding: str) -> list[RawDocument | Reject]:
    import trafilatura

    extracted = trafilatura.bare_extraction(text, with_metadata=True, include_comments=False,
                                            include_tables=False, favor_precision=True)
    if extracted is None:
        return [Reject(path, "malformed", "no article text could be extracted from this HTML")]
    data = extracted if isinstance(extracted, dict) else extracted.as_dict()
    body = (data.get("text") or "").strip()
    if not body:
        return [Reject(path, "empty", "the HTML holds no main text")]
    return [RawDocument(path, "html", encoding, body, data.get("title"), data.get("date"),
                        data.get("url"), data.get("sitename") or data.get("hostname"))]


def _read_jsonl(text: str, path: str, encoding: str) -> list[RawDocument | Reject]:
    out: list[RawDocument | Reject] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            out.append(Reject(where, "malformed", f"line {number} is not valid JSON: {exc.msg}"))
            continue
        out.append(_from_record(record, where, "jsonl", encoding))
    return out


def _read_json(text: str, path: str, encoding: str) -> list[RawDocument | Reject]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Reject(path, "malformed", f"not valid JSON: {exc.msg} (line {exc.lineno})")]
    if isinstance(data, dict):
        listed = next((data[key] for key in JSON_LIST_KEYS if isinstance(data.get(key), list)), None)
        if listed is None or _pick(_fields(data), "text") is not None:  # an article may carry a list of its own
            return [_from_record(data, path, "json", encoding)]
        data = listed
    if not isinstance(data, list):
        return [Reject(path, "malformed", f"expected an object or a list of objects, got {type(data).__name__}")]
    if not data:
        return [Reject(path, "empty", "the JSON list holds no articles")]
    return [_from_record(record, f"{path}:{number}", "json", encoding) for number, record in enumerate(data, start=1)]


def _read_csv(text: str, path: str, encoding: str) -> list[RawDocument | Reject]:
    out: list[RawDocument | Reject] = []
    csv.field_size_limit(1 << 30)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        return [Reject(path, "malformed", "CSV has no header row")]
    for number, row in enumerate(reader, start=2):
        if not row:
            continue  # a blank line
        where = f"{path}:{number}"
        if len(row) != len(header):
            out.append(Reject(where, "malformed", f"row {number} has {len(row)} fields, header has {len(header)}"))
            continue
        out.append(_from_record(dict(zip(header, row)), where, "csv", encoding))
    return out or [Reject(path, "empty", "the CSV holds a header row but no articles")]


def _read_parquet(path: Path) -> list[RawDocument | Reject]:
    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, OSError) as exc:
        return [Reject(str(path), "malformed", f"not a readable Parquet file: {exc}")]
    if not len(frame):
        return [Reject(str(path), "empty", "the Parquet table holds no articles")]
    return [_from_record(record, f"{path}:{i}", "parquet", "parquet")
            for i, record in enumerate(frame.to_dict(orient="records"))]


_TEXT_READERS = {".txt": _read_txt, ".text": _read_txt, ".html": _read_html, ".htm": _read_html, ".json": _read_json,
                 ".jsonl": _read_jsonl, ".ndjson": _read_jsonl, ".csv": _read_csv}


def read_file(path: Path, max_file_mb: float) -> list[RawDocument | Reject]:
    """Read one raw file into documents and rejects; never raises for bad content."""
    suffix = path.suffix.lower()
    source = str(path)
    if suffix not in SUPPORTED_SUFFIXES:
        return [Reject(source, "unsupported_format", f"'{suffix or path.name}' files are not read; "
                                                     f"supported: {sorted(SUPPORTED_SUFFIXES)}")]
    try:
        size = path.stat().st_size
        if size > max_file_mb * 1024 * 1024:
            return [Reject(source, "too_large", f"{size / 2**20:.1f} MB is over ingest.max_file_mb={max_file_mb}")]
        if suffix == ".parquet":
            return _read_parquet(path)
        data = path.read_bytes()
    except OSError as exc:
        return [Reject(source, "unreadable", f"cannot read file: {exc}")]
    if not data.strip():
        return [Reject(source, "empty", "file is empty")]
    if is_binary(data):
        return [Reject(source, "binary", "file holds binary data, not text")]
    try:
        text, encoding = decode_bytes(data)
    except (UnicodeError, LookupError) as exc:
        return [Reject(source, "undecodable", f"cannot decode text: {exc}")]
    try:
        return _TEXT_READERS[suffix](text, source, encoding)
    except ImportError:
        raise  # a broken install is not bad input: stop and say so
    except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the batch
        return [Reject(source, "malformed", f"{type(exc).__name__}: {exc}")]


def read_documents(paths, max_file_mb: float = 256, max_doc_chars: int = 500_000,
                   progress_every: int = 500) -> Iterator[RawDocument | Reject]:
    """Documents of the given files, one at a time; unreadable, empty or over-long input comes as a Reject."""
    documents = rejects = 0
    for count, path in enumerate(paths, start=1):
        for item in read_file(path, max_file_mb):
            if isinstance(item, RawDocument) and not item.text.strip():
                item = Reject(item.source_path, "empty", "document text is empty")
            elif isinstance(item, RawDocument) and len(item.text) > max_doc_chars:
                item = Reject(item.source_path, "too_large",
                              f"{len(item.text):,} characters is over ingest.max_doc_chars={max_doc_chars:,}: "
                              f"not one article; split the file or raise the limit")
            documents += isinstance(item, RawDocument)
            rejects += isinstance(item, Reject)
            yield item
        if count % progress_every == 0:
            log.info("ingest: %d files read, %d documents, %d rejects", count, documents, rejects)


def file_of(source: str) -> str:
    """The raw file a document or reject came from: 'a.jsonl:12' -> 'a.jsonl'."""
    head, _, line = source.rpartition(":")
    return head if head and line.isdigit() else source


def to_tables(items: list[RawDocument | Reject], batch: str | None = None, seen: dict[str, str] | None = None,
              doc_ids_by_file: dict[str, list[str]] | None = None,
              now: datetime | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Collapse exact duplicates (same doc_id) to one row remembering every path; rejects as a frame.

    `seen` maps the doc_ids stored by earlier batches to their first path (updated in place): a
    document already stored is a duplicate, unless it comes from that same path again.
    `doc_ids_by_file` collects, per raw file, the doc_ids it gave (for the raw_files manifest).
    """
    now = now or datetime.now(timezone.utc)
    seen = {} if seen is None else seen
    doc_ids_by_file = {} if doc_ids_by_file is None else doc_ids_by_file
    rows: dict[str, dict] = {}
    rejects = [r.__dict__ for r in items if isinstance(r, Reject)]
    for doc in (d for d in items if isinstance(d, RawDocument)):
        doc_id = doc_id_for(((doc.title or "") + "\n" + doc.text) if doc.source_format == "txt" else doc.text)
        doc_ids_by_file.setdefault(file_of(doc.source_path), []).append(doc_id)
        if doc_id in rows:
            first = rows[doc_id]
            first["source_paths"].append(doc.source_path)
            rejects.append({"source": doc.source_path, "reason": "duplicate",
                            "message": f"same text as {first['source_paths'][0]} (doc_id {doc_id}); kept once"})
            continue
        if doc_id in seen:
            if seen[doc_id] != doc.source_path:
                rejects.append({"source": doc.source_path, "reason": "duplicate",
                                "message": f"same text as {seen[doc_id]} (doc_id {doc_id}), stored earlier; kept once"})
            continue
        seen[doc_id] = doc.source_path
        rows[doc_id] = {"doc_id": doc_id, "source_paths": [doc.source_path], "source_format": doc.source_format,
                        "encoding": doc.encoding, "title": doc.title, "text": doc.text, "date": doc.date,
                        "url": doc.url, "source": doc.source, "ingested_at": now}
    return (pd.DataFrame(list(rows.values()), columns=_INGESTED_COLUMNS),
            rejects_frame(rejects, "ingest", batch, now))


_INGESTED_COLUMNS = ["doc_id", "source_paths", "source_format", "encoding", "title", "text", "date", "url",
                     "source", "ingested_at"]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class FilePlan:
    """What a rerun of ingest has to do: files kept as they are, files to read, files gone."""
    unchanged: pd.DataFrame  # raw_files rows, with refreshed size and mtime
    to_read: list[Path]
    removed: list[str]
    refused: list[Reject]  # entries never read (scan_raw_folder); a file stored earlier under that path is removed


def plan_files(raw_dir: str | Path, manifest: pd.DataFrame, read_all: bool = False) -> FilePlan:
    """Compare the raw folder with the raw_files manifest of earlier runs.

    A file with the same size and mtime is not opened; one whose size or mtime changed is hashed,
    and read again only if its content changed. `read_all` (the ingest limits changed) reads every file.
    """
    raw_dir = Path(os.path.normpath(raw_dir))  # 'out/../raw' and 'raw' name the same files in the manifest
    if not raw_dir.is_dir():
        raise FileNotFoundError(f"raw folder {raw_dir} does not exist")
    known = {row["path"]: row for row in manifest.to_dict(orient="records")}
    unchanged, to_read = [], []
    files, refused = scan_raw_folder(raw_dir)
    for path in files:
        row = known.get(str(path))
        try:
            stat = path.stat()
            if row is not None and (row["size_bytes"], row["modified_ns"]) != (stat.st_size, stat.st_mtime_ns):
                if row["sha256"] == sha256_of(path):
                    row = {**row, "size_bytes": stat.st_size, "modified_ns": stat.st_mtime_ns}
                else:
                    row = None
        except OSError as exc:  # gone or unreadable since the scan: refused like the entries the scan refuses
            refused.append(Reject(str(path), "unreadable", f"cannot stat or hash: {exc}"))
            continue
        known.pop(str(path), None)
        if row is None or read_all:
            to_read.append(path)
        else:
            unchanged.append(row)
    return FilePlan(pd.DataFrame(unchanged, columns=manifest.columns), to_read, sorted(known), refused)


def fingerprints(paths: list[Path], batch: str) -> dict[str, dict]:
    """raw_files rows for files about to be read (taken before reading, so an edit made meanwhile is seen next run)."""
    rows = {}
    for path in paths:
        try:
            stat = path.stat()
            digest = sha256_of(path)
        except OSError:  # unreadable: read_file rejects it, and it is tried again next run
            continue
        rows[str(path)] = {"path": str(path), "size_bytes": stat.st_size, "modified_ns": stat.st_mtime_ns,
                           "sha256": digest, "batch": batch, "doc_ids": []}
    return rows

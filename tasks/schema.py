"""What each Parquet table holds: one pyarrow schema per table, the only place columns are declared.

Every stage validates the tables it reads and writes against these schemas, so a truncated,
foreign or stale file stops the stage with a message instead of producing wrong numbers.
"""
from __future__ import annotations

import pyarrow as pa

LABELS = ("FAVOR", "AGAINST", "NONE")

_UTC = pa.timestamp("us", tz="UTC")
_STANCE_COUNTS = [
    ("n_sentences", pa.int64()),
    ("n_favor", pa.int64()),
    ("n_against", pa.int64()),
    ("n_none", pa.int64()),
    ("share_favor", pa.float64()),
    ("share_against", pa.float64()),
    ("share_none", pa.float64()),
    ("net_score", pa.float64()),
    ("n_evidence", pa.int64()),
    ("label", pa.string()),
]

SCHEMAS: dict[str, pa.Schema] = {
    # Every raw file seen, with its fingerprint: a rerun reads only new or changed files.
    "raw_files": pa.schema([
        ("path", pa.string()),
        ("size_bytes", pa.int64()),
        ("modified_ns", pa.int64()),
        ("sha256", pa.string()),
        ("batch", pa.string()),  # the ingest run that read it
        ("doc_ids", pa.list_(pa.string())),  # the documents it gave, kept or duplicate
    ]),
    # One row per distinct raw document (exact duplicates collapse, remembering every path).
    "ingested": pa.schema([
        ("doc_id", pa.string()),
        ("source_paths", pa.list_(pa.string())),
        ("source_format", pa.string()),
        ("encoding", pa.string()),
        ("title", pa.string()),
        ("text", pa.string()),
        ("date", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("ingested_at", _UTC),
    ]),
    # One row per cleaned document; sentence spans index into `text`.
    "documents": pa.schema([
        ("doc_id", pa.string()),
        ("title", pa.string()),
        ("text", pa.string()),
        ("published", _UTC),
        ("date_found_in", pa.string()),
        ("outlet", pa.string()),
        ("sources", pa.list_(pa.string())),
        ("language", pa.string()),
        ("opinion", pa.bool_()),  # the page says it is an editorial, op-ed, column or commentary
        ("n_sentences", pa.int64()),
        ("source_paths", pa.list_(pa.string())),
        ("text_hash", pa.string()),
        # people named in the text (spaCy NER) with the role written before the name: cached so
        # that a rerun runs NER only on new texts
        ("people", pa.list_(pa.struct([("name", pa.string()), ("role", pa.string())]))),
    ]),
    "sentences": pa.schema([
        ("doc_id", pa.string()),
        ("sentence_index", pa.int64()),
        ("text", pa.string()),
        ("char_start", pa.int64()),
        ("char_end", pa.int64()),
        ("is_title", pa.bool_()),
        ("is_quote", pa.bool_()),
        ("holder", pa.string()),
        ("holder_role", pa.string()),
        ("holder_kind", pa.string()),
        ("text_hash", pa.string()),
    ]),
    # One row per sentence x target; (input_hash, target_hash, model_id, model_version) is the cache key.
    # target_hash is Target.read_hash: what the model reads of the target (its name, and the hypotheses
    # for the linear head), not the aliases and entities that only choose the sentences.
    "stances": pa.schema([
        ("doc_id", pa.string()),
        ("sentence_index", pa.int64()),
        ("target", pa.string()),
        ("label", pa.string()),
        ("p_favor", pa.float64()),
        ("p_against", pa.float64()),
        ("p_none", pa.float64()),
        ("decided_by", pa.string()),
        ("text_hash", pa.string()),
        ("input_hash", pa.string()),  # hash of what the model read: the sentence with its context
        ("target_hash", pa.string()),
        ("model_id", pa.string()),
        ("model_version", pa.string()),
    ]),
    "article_stance": pa.schema([
        ("doc_id", pa.string()),
        ("title", pa.string()),
        ("outlet", pa.string()),
        ("published", _UTC),
        ("target", pa.string()),
        ("voice", pa.string()),
        *_STANCE_COUNTS,
    ]),
    "outlet_stance": pa.schema([
        ("outlet", pa.string()),
        ("target", pa.string()),
        ("n_articles", pa.int64()),
        *_STANCE_COUNTS,
    ]),
    "daily_stance": pa.schema([
        ("date", _UTC),
        ("target", pa.string()),
        ("n_articles", pa.int64()),
        *_STANCE_COUNTS,
    ]),
    "holder_stance": pa.schema([
        ("holder", pa.string()),
        ("holder_role", pa.string()),
        ("holder_kind", pa.string()),
        ("target", pa.string()),
        ("n_articles", pa.int64()),
        ("n_outlets", pa.int64()),
        ("outlets", pa.list_(pa.string())),
        ("first_date", _UTC),
        ("last_date", _UTC),
        *_STANCE_COUNTS,
    ]),
    # What a stage set aside, and why; the batch goes on without it.
    "rejects": pa.schema([
        ("stage", pa.string()),
        ("source", pa.string()),
        ("reason", pa.string()),
        ("message", pa.string()),
        ("rejected_at", _UTC),
        ("batch", pa.string()),
    ]),
}

# Tables stored as Parquet datasets, one file per partition: `<table>/batch=<id>/part-0.parquet`
# (stances: `stances/model=<model>/batch=<id>/...`). An ingest batch holds at most
# ingest.batch_documents documents and is the unit of work, checkpointing and memory of the
# later stages. Readers get the partition keys as string columns.
PARTITION_KEYS: dict[str, tuple[str, ...]] = {
    "ingested": ("batch",),
    "documents": ("batch",),
    "sentences": ("batch",),
    "stances": ("model", "batch"),
}

# Which stage writes each table: named in errors so the user knows what to rerun.
PRODUCED_BY = {
    "ingested": "ingest",
    "documents": "clean",
    "sentences": "clean",
    "stances": "classify",
    "article_stance": "aggregate",
    "outlet_stance": "aggregate",
    "daily_stance": "aggregate",
    "holder_stance": "aggregate",
    "rejects": "ingest",
    "raw_files": "ingest",
}

# Reject reason codes, so users can group and count them.
REJECT_REASONS = (
    "unreadable",
    "binary",
    "undecodable",
    "malformed",
    "empty",
    "too_short",
    "too_large",
    "not_english",
    "duplicate",
    "unsupported_format",
    "bad_file_name",  # a raw file name that is not valid UTF-8
    "outside_raw",  # a symbolic link leading outside the raw folder
    "broken_link",  # a dangling symbolic link or a link loop
)


class SchemaError(ValueError):
    """A table does not match its declared schema."""


def read_schema(table_name: str) -> pa.Schema:
    """What a reader of the whole table gets: the file columns, then the partition keys."""
    schema = SCHEMAS[table_name]
    for key in PARTITION_KEYS.get(table_name, ()):
        schema = schema.append(pa.field(key, pa.string()))
    return schema


def conform(table_name: str, table: pa.Table, schema: pa.Schema | None = None) -> pa.Table:
    """Return `table` with exactly the declared columns, order and types, or raise SchemaError.

    `schema` defaults to the file schema; readers pass read_schema() or a subset of its columns.
    """
    schema = schema or SCHEMAS[table_name]
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise SchemaError(f"table '{table_name}' lacks column(s) {missing}; has {table.column_names}")
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise SchemaError(f"table '{table_name}' has columns of the wrong type: {exc}") from exc

"""Which failures explain themselves, and a log filter that keeps their tracebacks out of Prefect's logs.

Kept apart from the flows so that the CLI can name these failures without importing Prefect."""
from __future__ import annotations

import logging

from stancewatch.tasks.catalog import OutputBusy, StageInputError, WouldDeleteError
from stancewatch.tasks.config import ConfigError
from stancewatch.tasks.model import ModelLoadError

EXPLAINED_FAILURES = (ConfigError, OutputBusy, StageInputError, ModelLoadError, WouldDeleteError)


class QuietExplainedFailures(logging.Filter):
    """Prefect logs a failed task or flow run with its traceback; a failure whose message already says what to
    do keeps Prefect's one-line record without the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], EXPLAINED_FAILURES):
            record.exc_info = record.exc_text = None
        return True

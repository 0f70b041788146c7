"""The one error type of ``lvis_api``: bad input, reported with where it came from."""
from typing import Any


class LVISFormatError(ValueError):
    """An annotation or result file (or object) that does not follow the LVIS format.

    The message names the source (a file path, or ``<results list>`` / ``<annotation
    dict>`` for in-memory input) and, where there is one, the offending entry.
    """


def describe(entry: Any, limit: int = 160) -> str:
    """A short, single-line ``repr`` of an entry for error messages."""
    text = repr(entry)
    return text if len(text) <= limit else text[:limit - 3] + '...'

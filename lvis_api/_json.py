"""Reading JSON files with errors that name the file."""
import json
import os
from typing import Any, Optional, Union

from .errors import LVISFormatError

PathLike = Union[str, 'os.PathLike[str]']


def load_json(path: PathLike, text: Optional[bytes] = None) -> Any:
    """Load a JSON file (or parse ``text``, its bytes already read); malformed content
    raises :class:`LVISFormatError` naming it."""
    try:
        if text is not None:
            return json.loads(text)
        with open(path, 'rb') as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise LVISFormatError(f'{os.fspath(path)}: malformed JSON: {err}') from None
    except UnicodeDecodeError as err:
        raise LVISFormatError(f'{os.fspath(path)}: not UTF-8 JSON text: {err}') from None


def check_json_list_start(path: PathLike, what: str) -> None:
    """Raise :class:`LVISFormatError` unless the file's first non-blank byte opens a
    JSON list: a file of anything else is rejected from its first bytes."""
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(65536)
            if not chunk:
                raise LVISFormatError(f'{os.fspath(path)}: {what} are a JSON list, and the '
                                      'file is empty')
            head = chunk.lstrip(b' \t\r\n')
            if head:
                break
    if not head.startswith(b'['):
        raise LVISFormatError(f'{os.fspath(path)}: {what} are a JSON list, and the file '
                              f'starts with {head[:20]!r}')

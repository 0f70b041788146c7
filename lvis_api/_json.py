"""Reading JSON files with errors that name the file."""
import json
import os
from typing import Any, Union

from .errors import LVISFormatError

PathLike = Union[str, 'os.PathLike[str]']


def load_json(path: PathLike) -> Any:
    """Load a JSON file; malformed content raises :class:`LVISFormatError` naming it."""
    try:
        with open(path, 'rb') as f:
            return json.load(f)
    except json.JSONDecodeError as err:
        raise LVISFormatError(f'{os.fspath(path)}: malformed JSON: {err}') from None
    except UnicodeDecodeError as err:
        raise LVISFormatError(f'{os.fspath(path)}: not UTF-8 JSON text: {err}') from None

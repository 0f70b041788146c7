"""Atomic file writes: a temporary file in the same folder, then a rename."""
import os
import tempfile
from pathlib import Path
from typing import Callable, IO, Union


def atomic_write(path: Union[str, Path], write: Callable[[IO], None], mode: str = 'wb') -> None:
    """Call ``write(f)`` on a temporary file and move it to ``path`` when complete, so a
    crash never leaves a truncated ``path`` behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Union[str, Path], text: str) -> None:
    atomic_write(path, lambda f: f.write(text), mode='w')

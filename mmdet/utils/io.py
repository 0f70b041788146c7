"""Atomic file writes: a temporary file in the same folder, then a rename."""
import os
import tempfile
from pathlib import Path
from typing import IO, Callable, Union


def default_file_mode() -> int:
    """The permissions ``open()`` gives a new file (0o666 less the umask), which
    ``mkstemp``'s 0o600 would not: result files are as readable as checkpoints."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Union[str, Path], write: Callable[[IO], None], mode: str = 'wb') -> None:
    """Call ``write(f)`` on a temporary file and move it to ``path`` when complete, so a
    crash never leaves a truncated ``path`` behind. On any failure the temporary file is
    removed; a failed write (e.g. a full disk) is an ``OSError`` naming ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.', suffix='.tmp')
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    except BaseException as err:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(err, OSError) and str(path) not in str(err):
            raise OSError(err.errno, f'cannot write {path}: {err.strerror or err}') from err
        raise


def atomic_write_text(path: Union[str, Path], text: str) -> None:
    atomic_write(path, lambda f: f.write(text), mode='w')

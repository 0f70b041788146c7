"""Config sections whose every key must be one a component reads: a key no code reads
(a typo, or a setting from another codebase) is an error, never silently ignored."""
import difflib
from typing import Iterable, Mapping, Optional


def check_keys(cfg: Optional[Mapping], known: Iterable[str], where: str) -> None:
    """Raise a KeyError naming ``where`` and the closest known key for each unknown key
    of ``cfg``."""
    known = list(known)
    unknown = [key for key in (cfg or {}) if key not in known]
    if not unknown:
        return
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hints.append(f'{key!r}' + (f' (did you mean {close[0]!r}?)' if close else ''))
    raise KeyError(f'{where} has keys nothing reads: {", ".join(hints)}; known keys: '
                   f'{", ".join(known)}')


def check_debug_off(cfg: Optional[Mapping], where: str) -> None:
    """mmdetection configs carry ``debug=False``; debugging output is not implemented."""
    if (cfg or {}).get('debug', False):
        raise ValueError(f'{where}.debug=True is not supported')

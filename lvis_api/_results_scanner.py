"""A fast reader for result files: a JSON list of detection objects, scanned by numba
straight into columns.

``json.load`` spends seconds and gigabytes building millions of small dicts; the scanner
reads ``image_id``, ``category_id``, ``score``, ``bbox`` and ``segmentation`` of every
object in one pass. Numbers are parsed exactly (short ones by one correctly rounded
operation, others by C ``strtod``), so the columns are bit-identical to the ``json``
route. Anything outside the
plain case (invalid JSON, NaN, non-integer ids, a key with escapes, a malformed box, ...)
makes :func:`scan_results_file` return ``None``, and the caller uses ``json`` and its
precise error messages instead.
"""
import json
import locale
import os
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np
from numba import njit, types

_strtod = types.ExternalFunction('strtod', types.float64(types.intp, types.intp))

OK, FALLBACK = 0, 1
SEG_NONE, SEG_RLE, SEG_RAW = 0, 1, 2
KEY_OTHER, KEY_IMAGE, KEY_CATEGORY, KEY_SCORE, KEY_BBOX, KEY_SEGM = range(6)
_KEYS = (b'image_id', b'category_id', b'score', b'bbox', b'segmentation')
_KEY_BYTES = np.frombuffer(b''.join(_KEYS), np.uint8)
_KEY_STARTS = np.cumsum([0] + [len(k) for k in _KEYS]).astype(np.int64)

_TRUE, _FALSE, _NULL = (np.frombuffer(w, np.uint8) for w in (b'true', b'false', b'null'))
_SIZE, _COUNTS = (np.frombuffer(w, np.uint8) for w in (b'"size"', b'"counts"'))

QUOTE, BACKSLASH, COLON, COMMA = 34, 92, 58, 44
LBRACE, RBRACE, LBRACKET, RBRACKET = 123, 125, 91, 93


@njit(cache=True, nogil=True)
def _ws(buf, i):
    n = len(buf)
    while i < n and (buf[i] == 32 or buf[i] == 10 or buf[i] == 13 or buf[i] == 9):
        i += 1
    return i


@njit(cache=True, nogil=True)
def _string_end(buf, i):
    """Index after the JSON string starting at ``buf[i] == '"'``; -1 if invalid."""
    n = len(buf)
    i += 1
    while i < n:
        c = buf[i]
        if c == QUOTE:
            return i + 1
        if c < 32:
            return -1
        if c == BACKSLASH:
            if i + 1 >= n:
                return -1
            e = buf[i + 1]
            if e == 117:  # \uXXXX
                for j in range(i + 2, i + 6):
                    if j >= n or not _is_hex(buf[j]):
                        return -1
                i += 6
                continue
            if not (e == QUOTE or e == BACKSLASH or e == 47 or e == 98 or e == 102
                    or e == 110 or e == 114 or e == 116):
                return -1
            i += 2
            continue
        i += 1
    return -1


@njit(cache=True, nogil=True)
def _is_hex(c):
    return (48 <= c <= 57) or (65 <= c <= 70) or (97 <= c <= 102)


@njit(cache=True, nogil=True)
def _number_end(buf, i):
    """(end, is_integer) of the JSON number at ``i``; end -1 if not a number."""
    n = len(buf)
    if i < n and buf[i] == 45:  # '-'
        i += 1
    if i >= n or not (48 <= buf[i] <= 57):
        return -1, False
    if buf[i] == 48:
        i += 1
    else:
        while i < n and 48 <= buf[i] <= 57:
            i += 1
    integer = True
    if i < n and buf[i] == 46:  # '.'
        integer = False
        i += 1
        if i >= n or not (48 <= buf[i] <= 57):
            return -1, False
        while i < n and 48 <= buf[i] <= 57:
            i += 1
    if i < n and (buf[i] == 101 or buf[i] == 69):  # exponent
        integer = False
        i += 1
        if i < n and (buf[i] == 43 or buf[i] == 45):
            i += 1
        if i >= n or not (48 <= buf[i] <= 57):
            return -1, False
        while i < n and 48 <= buf[i] <= 57:
            i += 1
    return i, integer


@njit(cache=True, nogil=True)
def _matches(buf, i, word):
    """Whether ``buf[i:]`` starts with the bytes ``word``."""
    if i + len(word) > len(buf):
        return False
    for j in range(len(word)):
        if buf[i + j] != word[j]:
            return False
    return True


@njit(cache=True, nogil=True)
def _literal_end(buf, i):
    """End of ``true``, ``false`` or ``null`` at ``i``; -1 otherwise."""
    for word in (_TRUE, _NULL, _FALSE):
        if _matches(buf, i, word):
            return i + len(word)
    return -1


@njit(cache=True, nogil=True)
def _value_end(buf, i):
    """Index after the JSON value starting at ``i`` (validated); -1 if invalid."""
    stack = np.empty(64, np.uint8)  # 1 array, 2 object
    depth = 0
    n = len(buf)
    while True:
        # one value at i
        if i >= n:
            return -1
        c = buf[i]
        if c == LBRACE or c == LBRACKET:
            i = _ws(buf, i + 1)
            if i >= n:
                return -1
            if (c == LBRACE and buf[i] == RBRACE) or (c == LBRACKET and buf[i] == RBRACKET):
                i += 1
            else:
                if depth == 64:
                    return -1
                stack[depth] = 2 if c == LBRACE else 1
                depth += 1
                if c == LBRACE:
                    i = _member_value_start(buf, i)
                    if i < 0:
                        return -1
                continue
        elif c == QUOTE:
            i = _string_end(buf, i)
        elif c == 45 or 48 <= c <= 57:
            i, _ = _number_end(buf, i)
        else:
            i = _literal_end(buf, i)
        if i < 0:
            return -1
        # close finished containers, or move to the next element
        while depth > 0:
            i = _ws(buf, i)
            if i >= n:
                return -1
            c = buf[i]
            if c == COMMA:
                i = _ws(buf, i + 1)
                if stack[depth - 1] == 2:
                    i = _member_value_start(buf, i)
                    if i < 0:
                        return -1
                break
            if (c == RBRACKET and stack[depth - 1] == 1) or (c == RBRACE and stack[depth - 1] == 2):
                i += 1
                depth -= 1
                continue
            return -1
        if depth == 0:
            return i


@njit(cache=True, nogil=True)
def _member_value_start(buf, i):
    """At a ``"key": value`` member, the index of the value; -1 if invalid."""
    if i >= len(buf) or buf[i] != QUOTE:
        return -1
    i = _string_end(buf, i)
    if i < 0:
        return -1
    i = _ws(buf, i)
    if i >= len(buf) or buf[i] != COLON:
        return -1
    return _ws(buf, i + 1)


@njit(cache=True, nogil=True)
def _key_code(buf, start, end):
    """Which known key ``buf[start:end]`` (the characters between the quotes) is."""
    length = end - start
    for k in range(len(_KEY_STARTS) - 1):
        a, b = _KEY_STARTS[k], _KEY_STARTS[k + 1]
        if b - a != length:
            continue
        same = True
        for j in range(length):
            if buf[start + j] != _KEY_BYTES[a + j]:
                same = False
                break
        if same:
            return k + 1
    return KEY_OTHER


@njit(cache=True, nogil=True)
def _int_value(buf, i):
    """(end, value) of a JSON integer of at most 18 digits at ``i``; end -1 otherwise."""
    end, integer = _number_end(buf, i)
    if end < 0 or not integer:
        return -1, 0
    negative = buf[i] == 45
    j = i + 1 if negative else i
    if end - j > 18:
        return -1, 0
    value = 0
    while j < end:
        value = value * 10 + (buf[j] - 48)
        j += 1
    return end, -value if negative else value


_EXACT_POWERS_OF_TEN = np.array([10.0 ** k for k in range(23)])  # exact doubles


@njit(cache=True, nogil=True)
def _int_followed_by(buf, i, closing):
    """(index after ``closing``, value) of ``int closing`` at ``i`` (with whitespace);
    index -1 otherwise."""
    i, value = _int_value(buf, _ws(buf, i))
    if i < 0:
        return -1, 0
    i = _ws(buf, i)
    if i >= len(buf) or buf[i] != closing:
        return -1, 0
    return i + 1, value


@njit(cache=True, nogil=True)
def _float_value(buf, i):
    """(end, value) of the JSON number at ``i``; end -1 if not a number.

    Numbers of at most 15 significant digits and a decimal exponent within +-22 are
    exact integers times or divided by an exact power of ten: one correctly rounded
    operation, i.e. the value ``float()`` gives. Others go through C ``strtod``.
    """
    end, _ = _number_end(buf, i)
    if end < 0:
        return -1, 0.0
    j = i + 1 if buf[i] == 45 else i
    mantissa, digits, exp10, in_fraction = 0, 0, 0, False
    while j < end:
        c = buf[j]
        if c == 46:
            in_fraction = True
        elif 48 <= c <= 57:
            if mantissa > 0 or c != 48:
                digits += 1
                if digits > 15:
                    return end, _strtod(buf.ctypes.data + i, 0)
                mantissa = mantissa * 10 + (c - 48)
            if in_fraction:
                exp10 -= 1
        else:  # exponent
            e, sign, j = 0, 1, j + 1
            if buf[j] == 45 or buf[j] == 43:
                sign = -1 if buf[j] == 45 else 1
                j += 1
            while j < end:
                e = e * 10 + (buf[j] - 48)
                if e > 400:
                    return end, _strtod(buf.ctypes.data + i, 0)
                j += 1
            exp10 += sign * e
            break
        j += 1
    if exp10 < -22 or exp10 > 22:
        return end, _strtod(buf.ctypes.data + i, 0)
    value = float(mantissa)
    if exp10 >= 0:
        value = value * _EXACT_POWERS_OF_TEN[exp10]
    else:
        value = value / _EXACT_POWERS_OF_TEN[-exp10]
    return end, -value if buf[i] == 45 else value


@njit(cache=True, nogil=True)
def _rle_object(buf, i, counts, counts_len):
    """Parse ``{"size": [h, w], "counts": "..."}`` at ``i`` (any key order, nothing else),
    unescaping counts into ``counts[counts_len:]``.

    Returns (end, h, w, counts_start, counts_end) with end -1 when it is not that shape."""
    n = len(buf)
    h, w, c0, c1 = -1, -1, -1, -1
    i = _ws(buf, i + 1)
    while True:
        if i >= n or buf[i] != QUOTE:
            return -1, 0, 0, 0, 0
        key_end = _string_end(buf, i)
        if key_end < 0:
            return -1, 0, 0, 0, 0
        is_size = key_end - i == len(_SIZE) and _matches(buf, i, _SIZE)
        is_counts = key_end - i == len(_COUNTS) and _matches(buf, i, _COUNTS)
        i = _ws(buf, key_end)
        if i >= n or buf[i] != COLON:
            return -1, 0, 0, 0, 0
        i = _ws(buf, i + 1)
        if is_size:
            if i >= n or buf[i] != LBRACKET:
                return -1, 0, 0, 0, 0
            i, h = _int_followed_by(buf, i + 1, COMMA)
            if i >= 0:
                i, w = _int_followed_by(buf, i, RBRACKET)
            if i < 0:
                return -1, 0, 0, 0, 0
        elif is_counts:
            if i >= n or buf[i] != QUOTE:
                return -1, 0, 0, 0, 0
            end = _string_end(buf, i)
            if end < 0:
                return -1, 0, 0, 0, 0
            c0 = counts_len
            j = i + 1
            while j < end - 1:
                ch = buf[j]
                if ch == BACKSLASH:
                    e = buf[j + 1]
                    if e == 117:  # \u00XX, ASCII only
                        code = 0
                        for q in range(j + 2, j + 6):
                            d = buf[q]
                            code = code * 16 + (d - 48 if d <= 57 else (d - 55 if d <= 70
                                                                         else d - 87))
                        if code > 127:
                            return -1, 0, 0, 0, 0
                        ch = code
                        j += 6
                    else:
                        ch = (8 if e == 98 else 12 if e == 102 else 10 if e == 110
                              else 13 if e == 114 else 9 if e == 116 else e)
                        j += 2
                else:
                    j += 1
                counts[counts_len] = ch
                counts_len += 1
            c1 = counts_len
            i = end
        else:
            return -1, 0, 0, 0, 0
        i = _ws(buf, i)
        if i < n and buf[i] == COMMA:
            i = _ws(buf, i + 1)
            continue
        if i < n and buf[i] == RBRACE and h >= 0 and w >= 0 and c0 >= 0:
            return i + 1, h, w, c0, c1
        return -1, 0, 0, 0, 0


@njit(cache=True, nogil=True)
def _scan(buf, cap, counts, image_ids, category_ids, scores, boxes, has_box, obj_start,
          obj_end, seg_kind, seg_a, seg_b, seg_h, seg_w):
    """Fill the columns; returns (status, number of objects)."""
    n = len(buf)
    i = _ws(buf, 0)
    if i >= n or buf[i] != LBRACKET:
        return FALLBACK, 0
    i = _ws(buf, i + 1)
    k = 0
    counts_len = 0
    if i < n and buf[i] == RBRACKET:
        i = _ws(buf, i + 1)
        return (OK if i == n else FALLBACK), 0
    while True:
        if i >= n or buf[i] != LBRACE:
            return FALLBACK, k
        if k >= cap:
            return FALLBACK, k  # cannot happen for a valid file
        obj_start[k] = i
        has_box[k] = False
        seg_kind[k] = SEG_NONE
        seen = 0
        i = _ws(buf, i + 1)
        while True:
            if i >= n or buf[i] != QUOTE:
                return FALLBACK, k
            key_end = _string_end(buf, i)
            if key_end < 0:
                return FALLBACK, k
            key = KEY_OTHER
            for j in range(i + 1, key_end - 1):
                if buf[j] == BACKSLASH:
                    return FALLBACK, k
            key = _key_code(buf, i + 1, key_end - 1)
            i = _ws(buf, key_end)
            if i >= n or buf[i] != COLON:
                return FALLBACK, k
            i = _ws(buf, i + 1)
            if key == KEY_IMAGE:
                i, image_ids[k] = _int_value(buf, i)
                seen |= 1
            elif key == KEY_CATEGORY:
                i, category_ids[k] = _int_value(buf, i)
                seen |= 2
            elif key == KEY_SCORE:
                i, scores[k] = _float_value(buf, i)
                seen |= 4
            elif key == KEY_BBOX:
                if i >= n or buf[i] != LBRACKET:
                    return FALLBACK, k
                for c in range(4):
                    i = _ws(buf, i + 1)
                    i, boxes[k, c] = _float_value(buf, i)
                    if i < 0:
                        return FALLBACK, k
                    i = _ws(buf, i)
                    if i >= n or buf[i] != (COMMA if c < 3 else RBRACKET):
                        return FALLBACK, k
                i += 1
                has_box[k] = True
            elif key == KEY_SEGM:
                start = i
                end = -1
                if i < n and buf[i] == LBRACE:
                    end, seg_h[k], seg_w[k], seg_a[k], seg_b[k] = _rle_object(
                        buf, i, counts, counts_len)
                if end >= 0:
                    seg_kind[k] = SEG_RLE
                    counts_len = seg_b[k]
                else:
                    end = _value_end(buf, start)
                    seg_kind[k] = SEG_RAW
                    seg_a[k], seg_b[k] = start, end
                i = end
            else:
                i = _value_end(buf, i)
            if i < 0:
                return FALLBACK, k
            i = _ws(buf, i)
            if i < n and buf[i] == COMMA:
                i = _ws(buf, i + 1)
                continue
            if i < n and buf[i] == RBRACE:
                i += 1
                break
            return FALLBACK, k
        if seen != 7:
            return FALLBACK, k
        obj_end[k] = i
        k += 1
        i = _ws(buf, i)
        if i < n and buf[i] == COMMA:
            i = _ws(buf, i + 1)
            continue
        if i < n and buf[i] == RBRACKET:
            i = _ws(buf, i + 1)
            return (OK if i == n else FALLBACK), k
        return FALLBACK, k


class SegmentationColumn:
    """Segmentations of a scanned file, decoded on access: compressed RLEs as
    ``{'size': [h, w], 'counts': bytes}``, anything else through ``json``."""

    def __init__(self, buf: Optional[np.ndarray], counts: np.ndarray, kind: np.ndarray,
                 a: np.ndarray, b: np.ndarray, h: np.ndarray, w: np.ndarray):
        self._buf, self._counts = buf, counts
        self.kind, self._a, self._b, self._h, self._w = kind, a, b, h, w

    def __len__(self) -> int:
        return len(self.kind)

    def __getitem__(self, i: int) -> Any:
        kind = self.kind[i]
        if kind == SEG_RLE:
            return {'size': [int(self._h[i]), int(self._w[i])],
                    'counts': self._counts[self._a[i]:self._b[i]].tobytes()}
        if kind == SEG_RAW:
            return json.loads(self._buf[self._a[i]:self._b[i]].tobytes())
        return None

    def rle_fields(self, index: np.ndarray) -> Tuple[np.ndarray, ...]:
        """(counts buffer, start, end, height, width, kind) of the rows ``index``; the
        counts of a SEG_RLE row are ``buffer[start:end]``."""
        return (self._counts, self._a[index], self._b[index], self._h[index],
                self._w[index], self.kind[index])

    def take(self, index: np.ndarray) -> 'SegmentationColumn':
        return SegmentationColumn(self._buf, self._counts, self.kind[index], self._a[index],
                                  self._b[index], self._h[index], self._w[index])


@dataclass
class ScannedResults:
    image_ids: np.ndarray
    category_ids: np.ndarray
    scores: np.ndarray
    boxes: np.ndarray      # (N, 4); rows without a box are undefined
    has_box: np.ndarray
    segmentations: Optional[SegmentationColumn]  # None when no object has one
    buf: np.ndarray
    obj_start: np.ndarray
    obj_end: np.ndarray

    def entry_text(self, i: int) -> str:
        return self.buf[self.obj_start[i]:self.obj_end[i]].tobytes().decode('utf-8', 'replace')


def scan_results_file(path: 'os.PathLike[str] | str',
                      text_out: Optional[list] = None) -> Optional[ScannedResults]:
    """Columns of a result file, or ``None`` when the plain case does not apply; then,
    given a list ``text_out``, the file's bytes are appended to it (a ``bytearray``), so
    that the caller's ``json`` route does not read the file again."""
    if locale.localeconv()['decimal_point'] != '.':  # strtod follows LC_NUMERIC
        return None
    size = os.path.getsize(path)
    text = bytearray(size + 1)  # a NUL after the text stops strtod
    with open(path, 'rb') as f:
        if f.readinto(memoryview(text)[:size]) != size:
            return None
    scanned = _scan_text(np.frombuffer(text, np.uint8), size)
    if scanned is None and text_out is not None:
        try:
            del text[size:]  # in place: no numpy view of it is left
        except BufferError:
            text = bytes(memoryview(text)[:size])
        text_out.append(text)
    return scanned


def _scan_text(padded: np.ndarray, size: int) -> Optional[ScannedResults]:
    buf = padded[:size]
    # An object has the three required keys: >= 40 bytes. Unwritten pages cost no RSS.
    cap = len(buf) // 40 + 1
    cols = (np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap),
            np.empty((cap, 4)), np.empty(cap, np.bool_), np.empty(cap, np.int64),
            np.empty(cap, np.int64), np.empty(cap, np.int8), np.empty(cap, np.int64),
            np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64))
    counts = np.empty(len(buf), np.uint8)
    status, k = _scan(buf, cap, counts, *cols)
    if status != OK:
        return None
    (image_ids, category_ids, scores, boxes, has_box, obj_start, obj_end,
     kind, seg_a, seg_b, seg_h, seg_w) = [c[:k] for c in cols]
    segms = None
    if (kind != SEG_NONE).any():
        used = int(seg_b[kind == SEG_RLE].max()) if (kind == SEG_RLE).any() else 0
        raw_text = buf if (kind == SEG_RAW).any() else None  # else let the text go
        segms = SegmentationColumn(raw_text, counts[:used].copy(), kind, seg_a, seg_b,
                                   seg_h, seg_w)
    return ScannedResults(image_ids, category_ids, scores, boxes, has_box, segms, buf,
                          obj_start, obj_end)

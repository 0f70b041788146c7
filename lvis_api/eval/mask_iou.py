"""Mask IoUs of every (category, image) group that has both ground truth and detections.

Masks travel as pycocotools' compressed RLE strings in one flat byte buffer; a numba
kernel decodes each once and computes exact intersection / union pixel counts. That is
the value pycocotools' ``rleIou`` returns for masks of equal size (its box pre-test only
skips pairs whose intersection is empty); pairs of unequal size, or with counts that do
not cover the image, are handed to pycocotools itself.
"""
from typing import List, Tuple

import numpy as np
import pycocotools.mask as mask_utils
from numba import njit

from .._results_scanner import SEG_RLE, SegmentationColumn
from ..lvis import LVIS
from ..results import LVISResults
from .problem import EvalProblem


@njit(cache=True, nogil=True)
def _read_count(buf, p, end, check):
    """One count of pycocotools' compressed RLE string ``buf[p:end]`` (5 bits a
    character, '0' + value, 0x20 continues): (value, next position). The position is -1
    if the string is cut short, and with ``check`` -2 for a character outside '0'..'o'
    or a count longer than 7 characters (pycocotools reads those without complaint)."""
    x, k, more = np.int64(0), 0, True
    while more:
        if p >= end:
            return x, -1
        c = np.int64(buf[p]) - 48
        if check and (c < 0 or c > 63 or k > 6):
            return x, -2
        x |= (c & 0x1f) << (5 * k)
        more = (c & 0x20) != 0
        p += 1
        k += 1
        if not more and (c & 0x10) != 0:
            x |= np.int64(-1) << (5 * k)
    return x, p


@njit(cache=True, nogil=True)
def _decode(buf, start, end, runs):
    """pycocotools' ``rleFrString``: counts of ``buf[start:end]`` into ``runs``; returns
    the number of counts, -1 if the string is cut short."""
    m, p = 0, start
    while p < end:
        x, p = _read_count(buf, p, end, False)
        if p < 0:
            return -1
        if m > 2:
            x += runs[m - 2]
        runs[m] = x & 0xFFFFFFFF
        m += 1
    return m


@njit(cache=True, nogil=True)
def _mask_stats(runs, m):
    """(pixels covered by the counts, area, first and last foreground pixel)."""
    pos, area, first, last = 0, 0, -1, -1
    for r in range(m):
        if r % 2 == 1 and runs[r] > 0:
            if first < 0:
                first = pos
            last = pos + runs[r] - 1
            area += runs[r]
        pos += runs[r]
    return pos, area, first, last


@njit(cache=True, nogil=True)
def _intersection(ra, ma, rb, mb):
    ia, ib = 0, 0
    end_a, end_b = ra[0], rb[0]
    on_a, on_b = False, False
    pos, inter = 0, 0
    while ia < ma and ib < mb:
        nxt = min(end_a, end_b)
        if on_a and on_b:
            inter += nxt - pos
        pos = nxt
        if end_a == nxt:
            ia += 1
            on_a = not on_a
            if ia < ma:
                end_a += ra[ia]
        if end_b == nxt:
            ib += 1
            on_b = not on_b
            if ib < mb:
                end_b += rb[ib]
    return inter


@njit(cache=True, nogil=True)
def _group_ious(buf, starts, ends, heights, widths, group_gt_start, group_gt_end, group_dt_start,
                group_dt_end, offsets, gt_base, gt_crowd, out):
    """Fill ``out`` with each group's (num_dt, num_gt) IoUs; NaN where pycocotools must
    decide. Masks: detection i is string i, ground truth j is string ``gt_base + j``; a
    crowd ground truth divides by the detection's area instead of the union."""
    max_len = 1
    for s in range(len(starts)):
        max_len = max(max_len, ends[s] - starts[s])
    for g in range(len(group_gt_start)):
        gs, ge, ds, de = group_gt_start[g], group_gt_end[g], group_dt_start[g], group_dt_end[g]
        ng, nd = ge - gs, de - ds
        if ng == 0 or nd == 0:
            continue
        gt_runs = np.empty((ng, max_len), np.int64)
        gt_m = np.empty(ng, np.int64)
        gt_area = np.empty(ng, np.int64)
        gt_first = np.empty(ng, np.int64)
        gt_last = np.empty(ng, np.int64)
        gt_ok = np.empty(ng, np.bool_)
        for j in range(ng):
            s = gt_base + gs + j
            gt_m[j] = _decode(buf, starts[s], ends[s], gt_runs[j])
            covered, gt_area[j], gt_first[j], gt_last[j] = _mask_stats(gt_runs[j], max(gt_m[j], 0))
            gt_ok[j] = gt_m[j] > 0 and covered == heights[s] * widths[s]
        dt_runs = np.empty(max_len, np.int64)
        for d in range(nd):
            s = ds + d
            md = _decode(buf, starts[s], ends[s], dt_runs)
            covered, area, first, last = _mask_stats(dt_runs, max(md, 0))
            dt_ok = md > 0 and covered == heights[s] * widths[s]
            row = offsets[g] + d * ng
            for j in range(ng):
                sg = gt_base + gs + j
                same_size = heights[s] == heights[sg] and widths[s] == widths[sg]
                if not (dt_ok and gt_ok[j] and same_size):
                    out[row + j] = np.nan
                elif last < gt_first[j] or gt_last[j] < first or area == 0 or gt_area[j] == 0:
                    out[row + j] = 0.0
                else:
                    inter = _intersection(dt_runs, md, gt_runs[j], gt_m[j])
                    union = area if gt_crowd[gs + j] else area + gt_area[j] - inter
                    out[row + j] = inter / union if inter > 0 else 0.0
    return out


@njit(cache=True, nogil=True)
def _first_bad_rle(buf, starts, ends, heights, widths):
    """(index, problem) of the first string that is not a complete compressed RLE of its
    size: 1 cut short, 2 a character outside '0'..'o' or a count too long, 3 runs that do
    not cover height * width pixels; (-1, 0) when all are."""
    for s in range(len(starts)):
        p, end = starts[s], ends[s]
        m, total, prev2, prev1 = 0, 0, np.int64(0), np.int64(0)
        while p < end:
            x, p = _read_count(buf, p, end, True)
            if p < 0:
                return s, -p
            if m > 2:
                x += prev2
            x &= 0xFFFFFFFF
            total += x
            prev2, prev1 = prev1, x
            m += 1
        if total != heights[s] * widths[s]:
            return s, 3
    return -1, 0


RLE_PROBLEMS = {1: 'its RLE counts are cut short',
                2: 'its RLE counts hold an invalid character or run',
                3: 'its RLE runs do not cover its size'}


def first_bad_segmentation(dt: LVISResults) -> Tuple[int, str]:
    """(row, problem) of the first detection whose segmentation is not a valid
    compressed RLE of its size, or (-1, '')."""
    rows = np.arange(len(dt))
    buf, starts, ends, heights, widths = _dt_strings(dt, rows)
    row, problem = _first_bad_rle(buf, starts, ends, heights, widths)
    return (int(row), RLE_PROBLEMS[int(problem)]) if row >= 0 else (-1, '')


def _counts_bytes(rle: dict) -> bytes:
    counts = rle['counts']
    return counts.encode() if isinstance(counts, str) else counts


def _gt_rles(gt: LVIS, rows: List[int]) -> List[dict]:
    """Compressed RLEs of ground-truth rows, one pycocotools call per image for the
    single-polygon annotations (the same RLEs as ``ann_to_rle``)."""
    anns = gt.dataset['annotations']
    rles: List = [None] * len(rows)
    by_image = {}
    for i, row in enumerate(rows):
        segm = anns[row]['segmentation']
        if isinstance(segm, list) and len(segm) == 1 and len(segm[0]) > 4:
            by_image.setdefault(anns[row]['image_id'], []).append(i)
        else:
            rles[i] = gt.ann_to_rle(anns[row])
    for img_id, items in by_image.items():
        img = gt.imgs[img_id]
        polys = [anns[rows[i]]['segmentation'][0] for i in items]
        for i, rle in zip(items, mask_utils.frPyObjects(polys, img['height'], img['width'])):
            rles[i] = rle
    return rles


def _dt_strings(dt: LVISResults, rows: np.ndarray) -> Tuple[np.ndarray, ...]:
    """(buffer, starts, ends, heights, widths) of the detections' compressed counts."""
    segms = dt.segmentations
    starts, ends, heights, widths = (np.zeros(len(rows), np.int64) for _ in range(4))
    fast = np.zeros(len(rows), bool)
    parts = [np.zeros(0, np.uint8)]
    if isinstance(segms, SegmentationColumn) and len(rows):
        buffer, a, b, h, w, kind = segms.rle_fields(rows)
        fast = kind == SEG_RLE  # straight from the scanned file
        starts[fast], ends[fast], heights[fast], widths[fast] = a[fast], b[fast], h[fast], w[fast]
        parts = [buffer]
    offset = len(parts[0])
    for i in np.flatnonzero(~fast).tolist():
        rle = dt.segm_rle(int(rows[i]))
        counts = np.frombuffer(_counts_bytes(rle), np.uint8)
        starts[i], ends[i] = offset, offset + len(counts)
        heights[i], widths[i] = rle['size']
        parts.append(counts)
        offset += len(counts)
    buffer = parts[0] if len(parts) == 1 else np.concatenate(parts)  # no copy if one
    return buffer, starts, ends, heights, widths


def group_mask_ious(problem: EvalProblem, gt: LVIS,
                    dt: LVISResults) -> Tuple[np.ndarray, np.ndarray]:
    """Returns ``(ious_flat, group_iou_offset)``; group g's matrix, row-major, starts at
    ``group_iou_offset[g]`` (only groups with both sides have one)."""
    num_gt = problem.group_gt_end - problem.group_gt_start
    num_dt = problem.group_dt_end - problem.group_dt_start
    sizes = num_gt * num_dt
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    ious = np.zeros(int(sizes.sum()), np.float64)
    if not len(ious):
        return ious, offsets
    dt_buf, dt_starts, dt_ends, dt_heights, dt_widths = _dt_strings(dt, problem.dt_rows)
    gt_rles = _gt_rles(gt, problem.gt_rows.tolist())
    gt_bytes = [_counts_bytes(r) for r in gt_rles]
    gt_lengths = np.fromiter(map(len, gt_bytes), np.int64, len(gt_bytes))
    gt_starts = len(dt_buf) + np.concatenate([[0], np.cumsum(gt_lengths)[:-1]]).astype(np.int64)
    gt_sizes = np.array([r['size'] for r in gt_rles], np.int64).reshape(-1, 2)
    buf = np.concatenate([dt_buf, np.frombuffer(b''.join(gt_bytes), np.uint8)])
    _group_ious(buf, np.concatenate([dt_starts, gt_starts]),
                np.concatenate([dt_ends, gt_starts + gt_lengths]),
                np.concatenate([dt_heights, gt_sizes[:, 0]]),
                np.concatenate([dt_widths, gt_sizes[:, 1]]),
                problem.group_gt_start, problem.group_gt_end, problem.group_dt_start,
                problem.group_dt_end, offsets, len(dt_starts), problem.gt_crowd, ious)
    _fill_undecided(ious, problem, offsets, gt, dt, gt_rles)
    return ious, offsets


def _fill_undecided(ious: np.ndarray, problem: EvalProblem, offsets: np.ndarray, gt: LVIS,
                    dt: LVISResults, gt_rles: List[dict]) -> None:
    """pycocotools for the NaN pairs (masks of another size than the image, odd RLEs)."""
    for flat in np.flatnonzero(np.isnan(ious)).tolist():
        g = int(np.searchsorted(offsets, flat, 'right') - 1)  # the group holding it
        ng = problem.group_gt_end[g] - problem.group_gt_start[g]
        d, j = divmod(flat - int(offsets[g]), int(ng))
        dt_rle = dt.segm_rle(int(problem.dt_rows[problem.group_dt_start[g] + d]))
        gt_row = problem.group_gt_start[g] + j
        crowd = [int(problem.gt_crowd[gt_row])]
        ious[flat] = np.asarray(mask_utils.iou([dt_rle], [gt_rles[gt_row]], crowd)).item()

"""Numba kernels: greedy matching per (category, image) group and per-category
accumulation, fused so that no per-image result is stored.

Each step mirrors a statement of the official ``evaluate_img`` / ``accumulate`` and does
the same floating-point operations in the same order, so precision and recall come out
bit for bit equal.
"""
import numba
import numpy as np
from numba import njit, prange

FP, TP, IGNORED = 0, 1, 2
EPS = np.spacing(1)


@njit(cache=True, nogil=True)
def box_ious(dt_boxes: np.ndarray, gt_boxes: np.ndarray, gt_crowd: np.ndarray) -> np.ndarray:
    """(num_dt, num_gt) IoU of x, y, w, h boxes, the arithmetic of pycocotools' bbIou
    (a crowd ground truth divides by the detection's area instead of the union)."""
    nd, ng = dt_boxes.shape[0], gt_boxes.shape[0]
    out = np.zeros((nd, ng))
    for d in range(nd):
        dx, dy, dw, dh = dt_boxes[d, 0], dt_boxes[d, 1], dt_boxes[d, 2], dt_boxes[d, 3]
        da = dw * dh
        for g in range(ng):
            gx, gy, gw, gh = gt_boxes[g, 0], gt_boxes[g, 1], gt_boxes[g, 2], gt_boxes[g, 3]
            w = min(dw + dx, gw + gx) - max(dx, gx)
            if w <= 0:
                continue
            h = min(dh + dy, gh + gy) - max(dy, gy)
            if h <= 0:
                continue
            inter = w * h
            out[d, g] = inter / (da if gt_crowd[g] else da + gw * gh - inter)
    return out


@njit(cache=True, nogil=True)
def _match_group(ious, gt_ignore, gt_crowd, gt_area, gt_id_nonzero, dt_area,
                 dt_not_exhaustive, area_lo, area_hi, iou_thrs, state, state_offset, num_gt):
    """Match one group for every area range and IoU threshold; write FP/TP/IGNORED per
    detection into ``state[a, t, state_offset + d]`` and add the counted ground truth to
    ``num_gt[a]``. A crowd ground truth (COCO) can match any number of detections."""
    ng, nd = gt_area.shape[0], dt_area.shape[0]
    ignored = np.empty(ng, np.bool_)
    order = np.empty(ng, np.int64)
    matched = np.empty(ng, np.bool_)
    for a in range(area_lo.shape[0]):
        lo, hi = area_lo[a], area_hi[a]
        n_valid = 0
        for g in range(ng):
            ignored[g] = gt_ignore[g] or gt_area[g] < lo or gt_area[g] > hi
            if not ignored[g]:
                order[n_valid] = g
                n_valid += 1
        num_gt[a] += n_valid
        k = n_valid  # ground truth order: counted first, then ignored (stable)
        for g in range(ng):
            if ignored[g]:
                order[k] = g
                k += 1
        for t in range(iou_thrs.shape[0]):
            thr = min(iou_thrs[t], 1 - 1e-10)
            matched[:] = False
            for d in range(nd):
                best, m = thr, -1
                for q in range(ng):
                    g = order[q]
                    if matched[g] and not gt_crowd[g]:
                        continue
                    if m > -1 and not ignored[m] and ignored[g]:
                        break
                    if ious[d, g] < best:
                        continue
                    best, m = ious[d, g], g
                counted, ignore = False, False
                if m > -1:
                    matched[m] = True
                    ignore = ignored[m]
                    counted = gt_id_nonzero[m]
                if not counted and (dt_area[d] < lo or dt_area[d] > hi or dt_not_exhaustive[d]):
                    ignore = True
                state[a, t, state_offset + d] = IGNORED if ignore else (TP if counted else FP)


@njit(cache=True, nogil=True)
def _accumulate_category(state, scores, ranks, num_gt, rec_thrs, max_dets, precision,
                         recall, k):
    """Precision at recall thresholds and final recall of category ``k`` from the states
    of all its detections (official ``accumulate``), for each cap ``max_dets[m]`` on the
    detections per (category, image) (``ranks``: position in its group by score; -1: no
    cap)."""
    order = np.argsort(-scores, kind='mergesort')  # stable: ties stay in image order
    kept = np.empty(order.shape[0], np.int64)
    rc = np.empty(order.shape[0])
    pr = np.empty(order.shape[0])
    for m in range(max_dets.shape[0]):
        nd = 0
        for i in range(order.shape[0]):
            if max_dets[m] < 0 or ranks[order[i]] < max_dets[m]:
                kept[nd] = order[i]
                nd += 1
        for a in range(num_gt.shape[0]):
            if num_gt[a] == 0:
                continue
            n_gt = float(num_gt[a])
            for t in range(state.shape[1]):
                tp, fp = 0.0, 0.0
                for i in range(nd):
                    s = state[a, t, kept[i]]
                    if s == TP:
                        tp += 1.0
                    elif s == FP:
                        fp += 1.0
                    rc[i] = tp / n_gt
                    pr[i] = tp / (fp + tp + EPS)
                recall[t, k, a, m] = rc[nd - 1] if nd > 0 else 0.0
                for i in range(nd - 1, 0, -1):
                    if pr[i] > pr[i - 1]:
                        pr[i - 1] = pr[i]
                p = 0
                for r in range(rec_thrs.shape[0]):
                    while p < nd and rc[p] < rec_thrs[r]:
                        p += 1
                    precision[t, r, k, a, m] = pr[p] if p < nd else 0.0


@njit(cache=True, parallel=True)
def evaluate_categories(cat_group_start, cat_group_end, group_gt_start, group_gt_end,
                        group_dt_start, group_dt_end, group_iou_offset, ious_flat, use_boxes,
                        gt_boxes, gt_ignore, gt_crowd, gt_area, gt_id_nonzero,
                        dt_boxes, dt_area, dt_score, dt_not_exhaustive, dt_rank,
                        area_lo, area_hi, iou_thrs, rec_thrs, max_dets, precision, recall):
    """Fill ``precision`` (T, R, K, A, M) and ``recall`` (T, K, A, M), pre-set to -1, M
    being the caps ``max_dets`` on the detections per (category, image).

    IoUs come from the boxes (``use_boxes``) or from ``ious_flat``, where the row-major
    (num_dt, num_gt) matrix of group g starts at ``group_iou_offset[g]``.
    """
    num_areas, num_thrs = area_lo.shape[0], iou_thrs.shape[0]
    for k in prange(cat_group_start.shape[0]):
        g0, g1 = cat_group_start[k], cat_group_end[k]
        if g0 == g1:
            continue
        d0, d1 = group_dt_start[g0], group_dt_end[g1 - 1]
        state = np.empty((num_areas, num_thrs, d1 - d0), np.uint8)
        num_gt = np.zeros(num_areas, np.int64)
        for g in range(g0, g1):
            gs, ge = group_gt_start[g], group_gt_end[g]
            ds, de = group_dt_start[g], group_dt_end[g]
            ng, nd = ge - gs, de - ds
            if use_boxes:
                ious = box_ious(dt_boxes[ds:de], gt_boxes[gs:ge], gt_crowd[gs:ge])
            elif ng > 0 and nd > 0:
                off = group_iou_offset[g]
                ious = ious_flat[off:off + nd * ng].reshape((nd, ng))
            else:
                ious = np.zeros((nd, ng))
            _match_group(ious, gt_ignore[gs:ge], gt_crowd[gs:ge], gt_area[gs:ge],
                         gt_id_nonzero[gs:ge], dt_area[ds:de], dt_not_exhaustive[ds:de],
                         area_lo, area_hi, iou_thrs, state, ds - d0, num_gt)
        _accumulate_category(state, dt_score[d0:d1], dt_rank[d0:d1], num_gt, rec_thrs,
                             max_dets, precision, recall, k)


def set_num_threads(num_threads: int) -> None:
    numba.set_num_threads(max(1, min(num_threads, numba.config.NUMBA_NUM_THREADS)))

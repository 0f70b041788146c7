"""Stage 3: the dual formula, T, and the inference modes."""
import torch

from mmdet.calibration import calibrated_columns, dual_scores


def test_calibrated_columns_threshold_is_strict_and_background_is_orig():
    cols = calibrated_columns([0, 3, 99, 100, 101], threshold=100)
    assert cols.tolist() == [True, True, True, False, False, False]


def test_dual_takes_cal_for_rare_columns_without_renormalising():
    p_orig = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]])
    p_cal = torch.tensor([[0.5, 0.1, 0.1, 0.3], [0.2, 0.2, 0.2, 0.4]])
    cols = calibrated_columns([5, 500, 50], threshold=100)  # classes 0 and 2 are rare
    out = dual_scores(p_orig, p_cal, cols)
    expected = torch.tensor([[0.5, 0.2, 0.1, 0.4], [0.2, 0.1, 0.2, 0.1]])
    assert torch.equal(out, expected)  # background (last) from orig; rows not summing to 1

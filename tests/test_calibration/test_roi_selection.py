"""Which RoIs train the calibration head: drawn-class positives, background 1:1."""
from types import SimpleNamespace

import torch

from mmdet.calibration import select_calibration_rois


def result(pos_labels, num_neg, offset=0.0):
    n = len(pos_labels)
    boxes = lambda k, o: torch.arange(k, dtype=torch.float)[:, None] + torch.tensor(  # noqa
        [o, o, o + 10, o + 10])
    return SimpleNamespace(pos_gt_labels=torch.tensor(pos_labels, dtype=torch.long),
                           pos_priors=boxes(n, offset), neg_priors=boxes(num_neg, offset + 50))


def test_only_drawn_class_positives_and_as_many_background():
    results = [result([2, 5, 2, 7], num_neg=30), result([1, 1, 3], num_neg=20, offset=100)]
    torch.manual_seed(0)
    rois, labels = select_calibration_rois(results, drawn_labels=[2, 1], num_classes=8)
    pos = labels < 8
    assert labels[pos].tolist() == [2, 2, 1, 1]  # 5, 7 and 3 (other classes) are dropped
    assert rois[pos, 0].tolist() == [0, 0, 1, 1]
    assert (labels[~pos] == 8).sum() == pos.sum()  # background 1:1 over the batch
    # the kept positives are the drawn-class priors themselves
    assert torch.equal(rois[:2, 1:], results[0].pos_priors[[0, 2]])
    # background RoIs are negatives of the batch (any image), with their image index
    for roi in rois[~pos]:
        img = int(roi[0])
        assert (results[img].neg_priors == roi[1:]).all(1).any()


def test_ratio_and_shortage_of_background():
    results = [result([4] * 6, num_neg=4)]
    rois, labels = select_calibration_rois(results, [4], num_classes=8, neg_pos_ratio=1.0)
    assert (labels == 4).sum() == 6 and (labels == 8).sum() == 4  # all there is
    rois, labels = select_calibration_rois([result([4, 4], num_neg=40)], [4], 8,
                                           neg_pos_ratio=3.0)
    assert (labels == 8).sum() == 6


def test_no_kept_positive_means_no_background():
    rois, labels = select_calibration_rois([result([1, 2], num_neg=10)], [5], num_classes=8)
    assert rois.shape == (0, 5) and labels.numel() == 0


def test_all_positives_when_not_drawn_class_only():
    rois, labels = select_calibration_rois([result([1, 2], num_neg=10)], [5], num_classes=8,
                                           drawn_class_only=False)
    assert sorted(labels[labels < 8].tolist()) == [1, 2] and (labels == 8).sum() == 2

"""BAGS' grouping, output layout, group-softmax merge and "others" subsampling, by hand."""
import json
import math

import pytest
import torch

from data_testing import package_data_path
from mmdet.calibration.bags import (bags_groups, group_softmax_losses, group_softmax_scores,
                                    group_targets)

# classes 0..4 with 5, 50, 500, 5000 and 7 training instances: groups 1, 2, 3, 4, 1
COUNTS = [5, 50, 500, 5000, 7]


def test_groups_and_layout():
    groups = bags_groups(COUNTS)
    assert groups.group_of_class.tolist() == [1, 2, 3, 4, 1]
    assert [c.tolist() for c in groups.classes_of_group[1:]] == [[0, 4], [1], [2], [3]]
    # [bg, fg] | c0 c4 others | c1 others | c2 others | c3 others
    assert [(s.start, s.stop) for s in groups.slices] == [(0, 2), (2, 5), (5, 7), (7, 9),
                                                          (9, 11)]
    assert groups.num_outputs == 2 + 5 + 4 and groups.num_groups == 4
    # the edges are the lower bounds of the next group; empty groups keep their
    # "others" logit, so the size depends on the class count and the edges only
    assert bags_groups([9, 10, 99, 100]).group_of_class.tolist() == [1, 2, 2, 3]
    sparse = bags_groups([3, 4000], edges=(10, 100, 1000))
    assert sparse.group_of_class.tolist() == [1, 4] and sparse.num_outputs == 2 + 2 + 4
    assert [c.tolist() for c in sparse.classes_of_group[1:]] == [[0], [], [], [1]]
    scores = group_softmax_scores(torch.zeros(1, 8), sparse)
    assert scores[0].tolist() == pytest.approx([0.25, 0.25, 0.5])
    assert bags_groups([3, 4000], edges=(10,)).num_outputs == 2 + 2 + 2
    with pytest.raises(ValueError, match='increasing'):
        bags_groups(COUNTS, edges=(100, 10))


def test_lvis_v05_gives_the_papers_1236_outputs():
    cats = json.loads(package_data_path('lvis_v0.5_train_categories.json').read_text())
    counts = [c['instance_count'] for c in sorted(cats['categories'], key=lambda c: c['id'])]
    groups = bags_groups(counts)
    assert len(counts) == 1230 and groups.num_outputs == 1236


def test_group_softmax_merge_by_hand():
    groups = bags_groups(COUNTS)
    ln = math.log
    # one RoI: p(bg) = 1/4, p(fg) = 3/4; group 1 uniform over c0, c4, others; group 2:
    # c1 twice as likely as others; group 3: c2 0; group 4: c3 three times others
    logits = torch.tensor([[0, ln(3), 0, 0, 0, ln(2), 0, -1e9, 0, ln(3), 0]],
                          dtype=torch.float64)
    scores = group_softmax_scores(logits, groups)
    expected = [0.75 / 3, 0.75 * 2 / 3, 0.0, 0.75 * 3 / 4, 0.75 / 3, 0.25]
    assert scores[0].tolist() == pytest.approx(expected, abs=1e-12)
    with pytest.raises(ValueError, match='12 logits'):
        group_softmax_scores(torch.zeros(1, 12), groups)


def test_group_targets_and_others_subsampling():
    groups = bags_groups(COUNTS)
    bg = 5
    labels = torch.tensor([0, 4, 1, bg, 3, bg, bg, bg, bg, bg, 1])
    out = group_targets(labels, groups, others_ratio=1,
                        generator=torch.Generator().manual_seed(0))
    (t0, w0), (t1, w1), (t2, w2), (t3, w3), (t4, w4) = out
    assert t0.tolist() == [1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1] and w0.tolist() == [1] * 11
    # group 1 (c0, c4): positions 0 and 1, everything else "others" (2)
    assert t1.tolist() == [0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]
    assert w1[:2].tolist() == [1, 1] and w1[2:].sum() == 2  # 1 x 2 positives, at random
    # group 2 (c1): two positives, two of the nine others
    assert t2.tolist() == [1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0]
    assert w2[[2, 10]].tolist() == [1, 1] and w2.sum() == 4
    # group 3 (c2) has no positive in the batch: it weighs nothing
    assert w3.sum() == 0 and t3.tolist() == [1] * 11
    # group 4 (c3): one positive, one other
    assert w4[4] == 1 and w4.sum() == 2
    # the default ratio 8 keeps all nine others of group 2 (fewer than 16)
    assert group_targets(labels, groups)[2][1].sum() == 11
    # the draw changes with the generator, the counts do not
    draws = {tuple(group_targets(labels, groups, 1, torch.Generator().manual_seed(s))[1][1]
                   .tolist()) for s in range(8)}
    assert len(draws) > 1 and all(sum(d) == 4 for d in draws)
    with pytest.raises(ValueError, match='0..5'):
        group_targets(torch.tensor([6]), groups)


def test_group_losses_by_hand():
    """Each group's cross-entropy over its weighted RoIs, divided by the weights' sum."""
    groups = bags_groups([5, 5000], edges=(10,))  # class 0 in group 1, class 1 in 2
    bg = 2
    labels = torch.tensor([0, bg, bg])
    logits = torch.zeros(3, groups.num_outputs, dtype=torch.float64)  # 2 + 2 + 2
    logits[0, 1] = math.log(3)  # RoI 0: p_G0(fg) = 3/4
    losses = group_softmax_losses(logits, labels, groups, others_ratio=1,
                                  generator=torch.Generator().manual_seed(0))
    # group 0: -log(3/4) for RoI 0, -log(1/2) twice (uniform) for the two background RoIs
    assert losses[0].item() == pytest.approx((-math.log(0.75) + 2 * math.log(2)) / 3)
    # group 1: RoI 0 and one of the two others, each -log(1/2)
    assert losses[1].item() == pytest.approx(math.log(2))
    # group 2 has no positive: zero
    assert losses[2].item() == 0
    assert len(losses) == 1 + groups.num_groups

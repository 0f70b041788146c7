"""Balanced Group Softmax (BAGS, Li et al., CVPR 2020): the classes are split into groups by
training instance count, each group has its own softmax, and group 0 decides background
against foreground. This module holds the grouping, the classifier's output layout, the
merge of the group softmaxes into class scores and the per-group targets with the
"others" subsampling; the head and its training build on it (issue 16)."""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

DEFAULT_GROUP_EDGES = (10, 100, 1000)


@dataclass(frozen=True)
class BagsGroups:
    """The grouping of ``C`` classes and the grouped classifier's output layout.

    ``group_of_class[c]`` is class c's count group, 1..G, G = ``len(edges) + 1`` (group g
    holds the classes with ``edges[g-2] <= count < edges[g-1]``; a group may be empty and
    then has its "others" logit only, so the classifier's size depends on C and the edges
    alone). The classifier outputs ``2 + C + G`` logits: group 0's [background,
    foreground], then each count group's own classes (in class order) followed by its
    "others" logit. ``slices[g]`` is group g's range of outputs (g = 0..G). (The
    original has the same groups and slices but each count group's "others" first:
    converting its checkpoints reorders ``fc_cls``'s rows.)"""
    group_of_class: Tensor
    classes_of_group: Tuple[Tensor, ...]  # index 0 unused (group 0 has no classes)
    slices: Tuple[slice, ...]

    @property
    def num_groups(self) -> int:
        """G, the count groups (group 0 not included)."""
        return len(self.slices) - 1

    @property
    def num_outputs(self) -> int:
        return self.slices[-1].stop

    @property
    def num_classes(self) -> int:
        return self.group_of_class.numel()


def bags_groups(train_instance_counts: Sequence[int],
                edges: Sequence[int] = DEFAULT_GROUP_EDGES) -> BagsGroups:
    """:class:`BagsGroups` of the classes by their training instance counts (every class
    must have one; edges strictly increasing)."""
    counts = torch.as_tensor(train_instance_counts, dtype=torch.long)
    if counts.dim() != 1 or counts.numel() == 0:
        raise ValueError('BAGS needs one training instance count per class')
    if list(edges) != sorted(set(edges)) or any(e <= 0 for e in edges):
        raise ValueError(f'group edges must be positive and strictly increasing, got {edges}')
    group_of_class = torch.bucketize(counts, torch.as_tensor(list(edges)), right=True) + 1
    slices, classes = [slice(0, 2)], [torch.zeros(0, dtype=torch.long)]
    start = 2
    for g in range(1, len(edges) + 2):
        members = torch.nonzero(group_of_class == g).flatten()
        classes.append(members)
        slices.append(slice(start, start + members.numel() + 1))  # + "others"
        start += members.numel() + 1
    return BagsGroups(group_of_class, tuple(classes), tuple(slices))


def group_softmax_scores(logits: Tensor, groups: BagsGroups) -> Tensor:
    """Class scores (N, C + 1), background last, from grouped logits (N, 2 + C + G):
    a softmax within each group; ``p(c) = p_G0(fg) * p_g(c)`` for each class c of group
    g ("others" dropped), ``p(bg) = p_G0(bg)``; no renormalisation."""
    if logits.shape[-1] != groups.num_outputs:
        raise ValueError(f'{logits.shape[-1]} logits for a grouped classifier of '
                         f'{groups.num_outputs} outputs')
    g0 = torch.softmax(logits[:, groups.slices[0]], dim=1)
    scores = logits.new_empty(logits.shape[0], groups.num_classes + 1)
    for g in range(1, groups.num_groups + 1):
        probs = torch.softmax(logits[:, groups.slices[g]], dim=1)[:, :-1]
        scores[:, groups.classes_of_group[g]] = g0[:, 1:2] * probs
    scores[:, -1] = g0[:, 0]
    return scores


def group_targets(labels: Tensor, groups: BagsGroups, others_ratio: float = 8,
                  generator: Optional[torch.Generator] = None) -> List[Tuple[Tensor, Tensor]]:
    """Per group (0..G): (target index within the group's outputs, weight) of each RoI,
    ``labels`` in 0..C (C = background). Group 0: background 0 or foreground 1, weight 1.
    Count group g: its own classes by their position, every other RoI "others" (the
    last position); all its positives weigh 1, and ``others_ratio`` times as many of
    the "others" RoIs, drawn at random without replacement, weigh 1 (all of them when
    fewer); a group without positives weighs 0 throughout."""
    num_classes = groups.num_classes
    if labels.numel() and (labels.min() < 0 or labels.max() > num_classes):
        raise ValueError(f'labels must lie in 0..{num_classes} (background {num_classes})')
    out = [((labels < num_classes).long(), torch.ones(labels.shape, dtype=torch.float32))]
    fg = labels < num_classes
    group = torch.zeros_like(labels)
    group[fg] = groups.group_of_class[labels[fg]]
    for g in range(1, groups.num_groups + 1):
        members = groups.classes_of_group[g]
        position = torch.full((num_classes + 1,), members.numel(), dtype=torch.long)
        position[members] = torch.arange(members.numel())
        targets = position[labels]
        mine = group == g
        weights = torch.zeros(labels.shape, dtype=torch.float32)
        num_pos = int(mine.sum())
        if num_pos:
            weights[mine] = 1
            others = torch.nonzero(~mine).flatten()
            keep = min(others.numel(), int(others_ratio * num_pos))
            order = torch.randperm(others.numel(), generator=generator)[:keep]
            weights[others[order]] = 1
        out.append((targets, weights))
    return out


def group_softmax_losses(logits: Tensor, labels: Tensor, groups: BagsGroups,
                         others_ratio: float = 8,
                         generator: Optional[torch.Generator] = None) -> List[Tensor]:
    """One cross-entropy per group (0..G) of the grouped logits against
    :func:`group_targets`, each the weighted sum over the RoIs divided by its weights'
    sum (at least 1), as the original; the classification loss is their sum."""
    if logits.shape[-1] != groups.num_outputs:
        raise ValueError(f'{logits.shape[-1]} logits for a grouped classifier of '
                         f'{groups.num_outputs} outputs')
    losses = []
    for g, (targets, weights) in enumerate(group_targets(labels, groups, others_ratio,
                                                         generator)):
        ce = F.cross_entropy(logits[:, groups.slices[g]], targets.to(logits.device),
                             reduction='none')
        weights = weights.to(ce)
        losses.append((ce * weights).sum() / weights.sum().clamp(min=1))
    return losses


__all__: List[str] = ['BagsGroups', 'DEFAULT_GROUP_EDGES', 'bags_groups',
                      'group_softmax_losses', 'group_softmax_scores', 'group_targets']

"""The box head of Balanced Group Softmax (BAGS): the box head of Mask R-CNN with its
classifier ``fc_cls`` replaced by the grouped one of :mod:`mmdet.calibration.bags`.

Trained from a stage-1 checkpoint with only ``fc_cls`` learning (``model.train_only``;
configs/bags/), the classifier re-initialised to the grouped shape. The grouping comes
from the training set's instance counts (the dataset's ``instance_counts``, the one
definition of ``lvis_api.instance_counts``), given to the head when training starts
(:meth:`receive_train_counts`) and saved with it, so testing needs no training file.
"""
from typing import Dict, Optional, Sequence

import torch
from mmengine.logging import print_log
from torch import Tensor, nn

from mmdet.models.losses import accuracy
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from mmdet.registry import MODELS
from .bags import (DEFAULT_GROUP_EDGES, BagsGroups, bags_groups, group_softmax_losses,
                   group_softmax_scores)


@MODELS.register_module()
class BAGSBBoxHead(Shared2FCBBoxHead):
    """:class:`Shared2FCBBoxHead` with a group-softmax classifier.

    Args:
        group_edges: the count groups' edges (default 10, 100, 1000: groups [0, 10),
            [10, 100), [100, 1000), [1000, inf)); with group 0 (background vs
            foreground) ``fc_cls`` has ``2 + num_classes + len(group_edges) + 1`` outputs.
        others_ratio: per count group, the "others" RoIs kept per positive (8).
        (others): as :class:`Shared2FCBBoxHead`.
    """

    def __init__(self, *args, group_edges: Sequence[int] = DEFAULT_GROUP_EDGES,
                 others_ratio: float = 8.0, **kwargs):
        super().__init__(*args, **kwargs)
        if others_ratio <= 0:
            raise ValueError(f'BAGS others_ratio must be positive, got {others_ratio}')
        self.group_edges = tuple(int(e) for e in group_edges)
        self.others_ratio = float(others_ratio)
        # the layout's size depends on C and the edges alone (and the edges are checked)
        num_outputs = bags_groups([0] * self.num_classes, self.group_edges).num_outputs
        self.fc_cls = nn.Linear(self.fc_cls.in_features, num_outputs)
        self.register_buffer('train_instance_counts',
                             torch.full((self.num_classes,), -1, dtype=torch.long))
        self._groups: Optional[BagsGroups] = None  # from the counts; reset when they change

    # ---------------------------------------------------------------- grouping
    def receive_train_counts(self, counts: Sequence[int]) -> None:
        """The training instance count of each class, given when training starts. A head
        that holds counts (resumed, or a BAGS checkpoint fine-tuned further) must be
        given the same ones: its groups were made from them."""
        counts = torch.as_tensor(list(counts), dtype=torch.long)
        if counts.shape != self.train_instance_counts.shape:
            raise ValueError(f'the training set has {counts.numel()} classes, the BAGS head '
                             f'{self.num_classes}')
        held = self.train_instance_counts
        if bool((held >= 0).all()) and not torch.equal(held.cpu(), counts):
            raise ValueError('the BAGS head was grouped by other training counts than this '
                             "training set's: its classifier does not fit these groups")
        self.train_instance_counts.copy_(counts)
        self._groups = None
        print_log(f'BAGS groups (edges {self.group_edges}): classes per group '
                  f'{[len(c) for c in self.groups.classes_of_group[1:]]}', logger='current')

    @property
    def groups(self) -> BagsGroups:
        """The grouping of the classes (from the held training counts)."""
        if self._groups is not None:  # built once per set of counts (checked then)
            return self._groups
        counts = self.train_instance_counts
        if bool((counts < 0).any()):
            raise RuntimeError(
                'the BAGS head holds no training instance counts (roi_head.bbox_head.'
                'train_instance_counts): the checkpoint is not a trained BAGS model. Train '
                'one from a stage-1 checkpoint with a configs/bags/ config')
        self._groups = bags_groups(counts.cpu(), self.group_edges)
        return self._groups

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        """A trained BAGS head's counts come with its classifier: counts loading without
        ``fc_cls`` (a checkpoint whose grouped classifier has another shape, skipped by
        a partial load) would leave a random classifier that looks trained."""
        counts = state_dict.get(f'{prefix}train_instance_counts')
        if (counts is not None and bool((counts >= 0).all())
                and f'{prefix}fc_cls.weight' not in state_dict):
            from mmdet.utils.checkpoint import CheckpointError
            raise CheckpointError(
                f'{prefix}train_instance_counts loads but not {prefix}fc_cls: the '
                "checkpoint's grouped classifier does not fit this head (its group_edges "
                f'{self.group_edges}, {self.num_classes} classes); use the config it was '
                'trained with')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self._groups = None

    def check_inference_ready(self) -> None:
        self.groups  # noqa: B018  (raises for an untrained head)

    # ---------------------------------------------------------------- scoring
    def class_scores(self, cls_score: Tensor) -> Tensor:
        """Class probabilities (background last) by the group-softmax merge."""
        return group_softmax_scores(cls_score, self.groups)

    def predicted_labels(self, cls_score: Tensor) -> Tensor:
        return self.class_scores(cls_score)[:, :-1].argmax(dim=1)

    def classification_losses(self, cls_score: Tensor, labels: Tensor,
                              label_weights: Tensor) -> Dict[str, Tensor]:
        """``loss_cls``: the sum of the groups' losses (``label_weights`` are not read:
        each group weighs its RoIs as :func:`group_targets`); ``acc`` of the merged
        scores."""
        group_losses = group_softmax_losses(cls_score, labels.cpu(), self.groups,
                                            self.others_ratio)
        with torch.no_grad():
            acc = accuracy(self.class_scores(cls_score), labels)
        return dict(loss_cls=sum(group_losses) * self.loss_cls.loss_weight, acc=acc)

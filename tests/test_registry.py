import pytest

import mmdet.models  # noqa: F401
from mmdet.registry import MODELS, TASK_UTILS


def test_build_from_dict():
    head = MODELS.build(dict(type='Shared2FCBBoxHead', num_classes=3, in_channels=4,
                             fc_out_channels=8))
    assert head.fc_cls.out_features == 4


def test_unknown_type_names_registry_and_close_matches():
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='Shared2FCBoxHead', num_classes=3))
    msg = str(err.value)
    assert 'mmdet::model' in msg and 'Shared2FCBBoxHead' in msg
    with pytest.raises(KeyError, match='task util.*MaxIoUAssigner'):
        TASK_UTILS.build(dict(type='MaxIouAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5))


def test_missing_required_key_is_named():
    with pytest.raises(TypeError, match='num_classes'):
        MODELS.build(dict(type='Shared2FCBBoxHead'))

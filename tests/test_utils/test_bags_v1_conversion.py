"""Original BAGS checkpoints (mmdetection v1, FishYuLi/BalancedGroupSoftmax) in the
current layout: the grouped classifier's rows as the original orders them (built here
from its own recipe: group 0 [background, foreground], then per count group "others"
first and the group's classes by category id) convert to ours, the groups' counts go
into the head, and the converted model predicts as the unconverted one."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmdet.registry import MODELS
from mmdet.utils import CheckpointError, read_checkpoint
from mmdet.utils.checkpoint import load_state_dict
from mmdet.utils.model_versions import convert_v1_checkpoint
from model_version_testing import v1_detector_layout
from detection_testing import make_batch
from tool_testing import run_tool

REPO = Path(__file__).resolve().parents[2]
TOY_BAGS = REPO / 'configs/bags/bags_mask_rcnn_r18c16_fpn_toy_lvis.py'
EDGES = (10, 100, 1000)


def original_outputs(counts):
    """The original's fc_cls outputs by name, in its order (its label2binlabel and
    pred_slice recipe): ('bg',), ('fg',), then per group ('others', g) and its classes."""
    names = [('bg',), ('fg',)]
    for g, (lo, hi) in enumerate(zip((0,) + EDGES, EDGES + (float('inf'),)), start=1):
        names.append(('others', g))
        names += [('class', c) for c, n in enumerate(counts) if lo <= n < hi]
    return names


def our_outputs(counts):
    """Ours: ('bg',), ('fg',), then per group its classes and ('others', g) last."""
    names = [('bg',), ('fg',)]
    for g, (lo, hi) in enumerate(zip((0,) + EDGES, EDGES + (float('inf'),)), start=1):
        names += [('class', c) for c, n in enumerate(counts) if lo <= n < hi]
        names.append(('others', g))
    return names


def build_bags(num_classes, counts, seed=0):
    cfg = Config.fromfile(str(TOY_BAGS))
    cfg.model.roi_head.bbox_head.num_classes = num_classes
    cfg.model.roi_head.mask_head.num_classes = num_classes
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model)
    model.init_weights()
    model.roi_head.bbox_head.receive_train_counts(counts)
    return model.eval()


def v1_bags_layout(state, counts):
    """Our BAGS state in the original's layout: v1 names, background rows for the
    class-wise regression and masks, the classifier's rows in the original's order."""
    plain = {k: v for k, v in state.items() if '.fc_cls.' not in k
             and not k.endswith('train_instance_counts')}
    out = v1_detector_layout(plain)
    position = {name: i for i, name in enumerate(our_outputs(counts))}
    order = [position[name] for name in original_outputs(counts)]
    for param in ('weight', 'bias'):
        out[f'bbox_head.fc_cls.{param}'] = state[f'roi_head.bbox_head.fc_cls.{param}'][order]
    return out


@pytest.mark.parametrize('counts', [[0, 3, 40, 99, 100, 150, 400, 2000],
                                    [5, 1200, 7, 9, 30000, 1, 2, 1000, 11, 999],  # unsorted
                                    [50, 60, 70]])  # empty groups: "others" alone
def test_original_bags_checkpoint_converts_to_ours(tmp_path, counts):
    model = build_bags(len(counts), counts)
    state = model.state_dict()
    v1 = v1_bags_layout(state, counts)
    assert v1['bbox_head.fc_cls.weight'].shape[0] == 2 + len(counts) + 4
    torch.save(dict(state_dict=v1), tmp_path / 'gs.pth')
    mapping = tmp_path / 'train_counts.json'  # {category_id: instances}, ids 1..C
    mapping.write_text(json.dumps({str(i + 1): n for i, n in enumerate(counts)}))
    found = convert_v1_checkpoint(str(tmp_path / 'gs.pth'), str(tmp_path / 'ours.pth'),
                                  bags_train_ann_file=str(mapping))
    assert found['num_classes'] == len(counts) and found['bags_groups'] == EDGES
    converted = read_checkpoint(tmp_path / 'ours.pth')['state_dict']
    assert set(converted) == set(state)
    for key, value in state.items():
        assert torch.equal(converted[key], value), key
    fresh = build_bags(len(counts), counts, seed=1)
    fresh.roi_head.bbox_head.train_instance_counts.fill_(-1)
    load_state_dict(fresh, converted)  # strictly
    with torch.no_grad():
        data = model.data_preprocessor(make_batch(len(counts), ((96, 128), (120, 100)), seed=2), False)
        ours = model(**data, mode='predict')
        theirs = fresh(**data, mode='predict')
    assert sum(len(a.pred_instances) for a in ours) > 0
    for a, b in zip(ours, theirs):
        assert torch.equal(a.pred_instances.scores, b.pred_instances.scores)
        assert torch.equal(a.pred_instances.labels, b.pred_instances.labels)


def test_bags_conversion_refusals_and_the_tool(tmp_path):
    counts = [0, 3, 40, 99, 100, 150, 400, 2000]
    v1 = v1_bags_layout(build_bags(8, counts).state_dict(), counts)
    torch.save(dict(state_dict=v1), tmp_path / 'gs.pth')
    with pytest.raises(CheckpointError, match=r'14 rows, 2 \+ 8 classes \+ 4, as a BAGS.*--bags'):
        convert_v1_checkpoint(str(tmp_path / 'gs.pth'), str(tmp_path / 'x.pth'))
    other = tmp_path / 'other.json'  # 9 classes: 15 outputs, the checkpoint has 14
    other.write_text(json.dumps({str(i + 1): 5 for i in range(9)}))
    with pytest.raises(CheckpointError, match='has 14 rows; BAGS groups of 9 classes'):
        convert_v1_checkpoint(str(tmp_path / 'gs.pth'), str(tmp_path / 'x.pth'),
                              bags_train_ann_file=str(other))
    assert not (tmp_path / 'x.pth').exists()
    mapping = tmp_path / 'train_counts.json'
    mapping.write_text(json.dumps({str(i + 1): n for i, n in enumerate(counts)}))
    proc = run_tool('tools/model_converters/upgrade_model_version.py', str(tmp_path / 'gs.pth'),
                    str(tmp_path / 'ours.pth'), '--bags', str(mapping))
    assert "'bags_groups': (10, 100, 1000)" in proc.stdout
    out = read_checkpoint(tmp_path / 'ours.pth')
    assert out['state_dict']['roi_head.bbox_head.train_instance_counts'].tolist() == counts
    assert out['meta']['converted_from']['bags_train_ann_file'] == str(mapping.resolve())


def test_counts_that_contradict_the_instance_count_fields_are_refused(tmp_path):
    """The original grouped by the categories' instance_count fields, we count the
    annotations: where they differ the groups could differ, so no silent permutation."""
    counts = [0, 3, 40, 99, 100, 150, 400, 2000]
    v1 = v1_bags_layout(build_bags(8, counts).state_dict(), counts)
    torch.save(dict(state_dict=v1), tmp_path / 'gs.pth')
    cats = [dict(id=i + 1, name=f'c{i}', instance_count=n) for i, n in enumerate(counts)]
    anns = [dict(id=len(cats) * 10 + k, image_id=1, category_id=8, bbox=[0, 0, 1, 1],
                 area=1) for k in range(3)]  # category 8: 3 annotations, its field 2000
    ann = tmp_path / 'train.json'
    ann.write_text(json.dumps(dict(images=[dict(id=1)], categories=cats, annotations=anns)))
    with pytest.raises(CheckpointError, match=r'category 2 has instance_count 3 but 0 '
                                              r'annotations \(7 categories differ\)'):
        convert_v1_checkpoint(str(tmp_path / 'gs.pth'), str(tmp_path / 'x.pth'),
                              bags_train_ann_file=str(ann))


def test_init_detector_refuses_an_untrained_bags_checkpoint(tmp_path):
    from mmdet.apis import init_detector
    model = build_bags(8, [5] * 8)
    model.roi_head.bbox_head.train_instance_counts.fill_(-1)  # as before BAGS training
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'untrained.pth')
    cfg = Config.fromfile(str(TOY_BAGS))
    cfg.model.roi_head.bbox_head.num_classes = 8
    cfg.model.roi_head.mask_head.num_classes = 8
    with pytest.raises(RuntimeError, match='holds no training instance counts'):
        init_detector(cfg, str(tmp_path / 'untrained.pth'))

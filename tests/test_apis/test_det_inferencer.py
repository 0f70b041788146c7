"""DetInferencer and inference_detector: the same predictions as tools/test.py on the toy
val set (a stage-1 model; a calibrated one in every mode), from paths, a folder, arrays
and lists; plain results, JSON per image and side-by-side pictures."""
import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmdet.apis import DetInferencer, build_test_cfg, inference_detector, run_test
from mmdet.registry import MODELS
from mmdet.testing import make_toy_lvis
from tool_testing import run_tool, write_tiny_simcal_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp('inferencer')
    paths = make_toy_lvis(root / 'data', num_classes=8, num_train_images=24,
                          num_val_images=6, image_size=(64, 64), seed=3)
    data_root = str(paths['data_root']) + '/'
    simcal = write_tiny_simcal_config(
        root / 'simcal.py', REPO / 'configs/simcal/simcal_3fc_ft_r18c16_fpn_toy_lvis.py',
        data_root)
    stage1 = root / 'stage1.py'
    stage1.write_text(f"""
_base_ = ['{REPO}/configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py']
data_root = '{data_root}'
model = dict(roi_head=dict(bbox_head=dict(num_classes=8), mask_head=dict(num_classes=8)),
             test_cfg=dict(rcnn=dict(score_thr=0.0)))
test_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
test_evaluator = dict(ann_file=data_root + 'annotations/lvis_toy_val.json',
                      train_ann_file=data_root + 'annotations/lvis_toy_train.json')
""")
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(simcal)).model)
    model.init_weights()
    head = model.roi_head.calib_head
    with torch.no_grad():
        for p in head.parameters():
            p.normal_(0, 0.5)
    head.calibrated.fill_(True)
    head.train_instance_counts.copy_(torch.tensor([1, 50, 200, 2, 7, 300, 90, 120]))
    state = model.state_dict()
    ckpts = dict(stage1=root / 'stage1.pth', simcal=root / 'simcal.pth')
    torch.save(dict(meta={}, state_dict={k: v for k, v in state.items()
                                         if 'calib_head' not in k}), ckpts['stage1'])
    torch.save(dict(meta={}, state_dict=state), ckpts['simcal'])
    val = json.loads(Path(paths['val_ann_file']).read_text())
    images = [str(Path(paths['val_img_dir']) / img['file_name'])
              for img in sorted(val['images'], key=lambda im: im['id'])]
    return dict(root=root, stage1=stage1, simcal=simcal, ckpts=ckpts, images=images,
                val_dir=paths['val_img_dir'])


def _by_image(pkl):
    with open(pkl, 'rb') as f:
        return {Path(r['img_path']).stem: r['pred_instances'] for r in pickle.load(f)}


def _assert_same(ours, theirs):
    np.testing.assert_array_equal(np.asarray(ours['bboxes'], np.float32).reshape(-1, 4),
                                  theirs['bboxes'])
    np.testing.assert_array_equal(np.asarray(ours['scores'], np.float32), theirs['scores'])
    assert ours['labels'] == theirs['labels'].tolist()
    assert [m['counts'] for m in ours['masks']] == [
        m['counts'].decode() if isinstance(m['counts'], bytes) else m['counts']
        for m in theirs['masks']]
    assert len(ours['labels']) > 0


@pytest.fixture
def one_thread():
    """tools/test.py runs here with OMP_NUM_THREADS=1 (tool_testing): the same thread
    count gives the same float summation order, so the outputs compare bit for bit."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_stage1_model_equals_tools_test(toy, one_thread):
    work = toy['root'] / 'test_stage1'
    run_tool('tools/test.py', str(toy['stage1']), str(toy['ckpts']['stage1']),
             '--work-dir', str(work), '--out', str(work / 'results.pkl'))
    theirs = _by_image(work / 'results.pkl')
    inferencer = DetInferencer(toy['stage1'], str(toy['ckpts']['stage1']))
    out = inferencer(toy['images'], batch_size=2)
    assert out['names'] == [Path(p).stem for p in toy['images']]
    for name, pred in zip(out['names'], out['predictions']):
        _assert_same(pred, theirs[name])
        assert pred['classes'][0] == inferencer.classes[pred['labels'][0]]
    # a folder, arrays and single paths give the same
    folder = inferencer(toy['val_dir'], batch_size=2)
    assert folder['predictions'] == out['predictions']
    arrays = inferencer([cv2.imread(p) for p in toy['images'][:2]], batch_size=2)
    assert arrays['predictions'] == out['predictions'][:2]
    single = inference_detector(inferencer.model, toy['images'][1])
    assert torch.equal(single.pred_instances.labels,
                       torch.tensor(out['predictions'][1]['labels']))


@pytest.mark.parametrize('mode', ['orig', 'cal', 'dual'])
def test_calibrated_model_equals_a_test_run_in_every_mode(toy, mode):
    work = toy['root'] / f'test_{mode}'
    run_test(build_test_cfg(str(toy['simcal']), str(toy['ckpts']['simcal']),
                            work_dir=str(work), mode=mode, out=str(work / 'results.pkl')))
    theirs = _by_image(work / 'results.pkl')
    out = DetInferencer(toy['simcal'], str(toy['ckpts']['simcal']), mode='all')(
        toy['images'], batch_size=2)
    for name, pred in zip(out['names'], out['predictions']):
        assert set(pred) == {'orig', 'cal', 'dual'}
        _assert_same(pred[mode], theirs[name])


def test_writes_json_and_side_by_side_pictures(toy, tmp_path):
    inferencer = DetInferencer(toy['simcal'], str(toy['ckpts']['simcal']), mode='all')
    out = inferencer(toy['images'][:2], out_dir=str(tmp_path), draw=True, score_thr=0.0)
    for name, pred, picture in zip(out['names'], out['predictions'], out['visualization']):
        assert json.loads((tmp_path / 'preds' / f'{name}.json').read_text()) == pred
        saved = cv2.imread(str(tmp_path / 'vis' / f'{name}.jpg'))
        assert saved.shape == picture.shape
        assert picture.shape[1] == 3 * 64 + 2 * 4  # three panels and two gaps
        assert picture.shape[0] == 64 + 18          # the title bar
        panels = [picture[18:, i * 68:i * 68 + 64] for i in range(3)]
        original = cv2.imread(toy['images'][out['names'].index(name)])
        assert all(not np.array_equal(p, original) for p in panels)  # something drawn
    with pytest.raises(FileNotFoundError, match='no such image'):
        inferencer(str(tmp_path / 'missing.jpg'))
    with pytest.raises(ValueError, match='inference mode'):
        DetInferencer(toy['simcal'], str(toy['ckpts']['simcal']), mode='best')


def test_image_demo_draws_the_modes_side_by_side_with_calibrated_classes_marked(toy, tmp_path):
    from mmdet.visualization import marked_classes
    from tool_testing import load_tool
    out = load_tool('demo/image_demo.py').main(
        [toy['val_dir'], str(toy['simcal']), str(toy['ckpts']['simcal']), '--mode', 'all',
         '--out-dir', str(tmp_path), '--score-thr', '0.05'])
    pictures = sorted((tmp_path / 'vis').glob('*.jpg'))
    assert [p.stem for p in pictures] == sorted(out['names']) and len(pictures) == 6
    assert cv2.imread(str(pictures[0])).shape == (64 + 18, 3 * 64 + 2 * 4, 3)
    inferencer = DetInferencer(toy['simcal'], str(toy['ckpts']['simcal']), mode='all')
    # T = 100 and the head's counts [1, 50, 200, 2, 7, 300, 90, 120]
    assert marked_classes(inferencer.model) == [0, 1, 3, 4, 6]


def test_show_dir_draws_ground_truth_and_every_mode(toy, tmp_path):
    show = tmp_path / 'show'
    run_test(build_test_cfg(str(toy['simcal']), str(toy['ckpts']['simcal']),
                            work_dir=str(tmp_path / 'work'), mode='all', show_dir=str(show),
                            show_score_thr=0.2))
    pictures = sorted(show.glob('*.jpg'))
    assert len(pictures) == 6
    picture = cv2.imread(str(pictures[0]))
    assert picture.shape == (64 + 18, 4 * 64 + 3 * 4, 3)  # ground truth, orig, cal, dual
    original = cv2.imread(toy['images'][0])
    gt_panel = picture[18:, :64]
    assert np.abs(gt_panel.astype(int) - original.astype(int)).mean() > 1  # drawn on

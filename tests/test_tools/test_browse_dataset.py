"""tools/analysis/browse_dataset.py on the toy data: the pictures are the pipeline's
images (resized, flipped) and the drawn boxes are the annotations transformed alike."""
import json
from pathlib import Path

import cv2
import numpy as np

from mmdet.testing import make_toy_lvis
from tool_testing import REPO, load_tool


def test_samples_after_the_training_pipeline(tmp_path):
    paths = make_toy_lvis(tmp_path / 'data', num_classes=8, num_train_images=8,
                          num_val_images=4, image_size=(64, 64), seed=0)
    out = tmp_path / 'browse'
    records = load_tool('tools/analysis/browse_dataset.py').main(
        [str(REPO / 'configs/toy/mask_rcnn_r18c16_fpn_toy_lvis.py'), '--output-dir', str(out),
         '--num', '3', '--cfg-options', f'train_dataloader.dataset.data_root={paths["data_root"]}/',
         'train_dataloader.dataset.pipeline.3.prob=1.0'])  # RandomFlip: always
    train = json.loads(Path(paths['train_ann_file']).read_text())
    cats = sorted(c['id'] for c in train['categories'])
    assert len(records) == 3
    for rec in records:
        picture = cv2.imread(str(out / f'{rec["img_id"]}.jpg'))
        assert picture.shape == (160, 160, 3) and rec['shape'] == (160, 160)  # resized
        assert rec['flip'] is True
        anns = [a for a in train['annotations'] if a['image_id'] == rec['img_id']]
        expected = []
        for a in anns:  # x1, y1, x2, y2 scaled by 2.5, then mirrored
            x, y, w, h = (v * 2.5 for v in a['bbox'])
            expected.append([160 - (x + w), y, 160 - x, y + h])
        np.testing.assert_allclose(rec['bboxes'], np.array(expected).reshape(-1, 4), atol=1e-3)
        assert rec['labels'].tolist() == [cats.index(a['category_id']) for a in anns]

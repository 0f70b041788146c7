"""tools/misc/add_train_counts.py: a calibrated checkpoint without training counts (as
they were saved before the counts moved into the calibration head) gets them."""
import pytest
import torch

from mmdet.utils import CheckpointError
from simcal_testing import NUM_CLASSES, build_simcal, make_batch, write_lvis_json
from tool_testing import load_tool


def test_counts_are_added_and_dual_mode_runs(tmp_path):
    tool = load_tool('tools/misc/add_train_counts.py')
    model = build_simcal(mode='dual').eval()
    model.calib_head.calibrated.fill_(True)
    state = {k: v for k, v in model.state_dict().items() if k != tool.KEY}  # the old layout
    old = tmp_path / 'old.pth'
    torch.save({'state_dict': state, 'meta': {}}, old)
    cats = [dict(id=100 - k, name=f'c{k}') for k in range(NUM_CLASSES)]  # ids descending
    anns = [dict(id=i + 1, image_id=1, category_id=93 + i % 3, bbox=[0, 0, 2, 2], area=4)
            for i in range(7)]  # ids 93, 94, 95: 3, 2, 2 instances
    train = write_lvis_json(tmp_path / 'train.json', [dict(id=1)], cats, anns)
    counts = tool.add_train_counts(str(old), str(train), str(tmp_path / 'new.pth'))
    assert counts == [3, 2, 2, 0, 0, 0, 0, 0]  # labels in category-id order (93 .. 100)
    fresh = build_simcal(seed=3, mode='dual').eval()
    with pytest.raises(RuntimeError, match='add_train_counts.py'):
        fresh.load_state_dict(state, strict=False)
        fresh.test_step(make_batch())
    fresh.load_state_dict(torch.load(tmp_path / 'new.pth', weights_only=True)['state_dict'])
    assert fresh.calib_head.train_instance_counts.tolist() == counts
    fresh.test_step(make_batch())
    with pytest.raises(CheckpointError, match='no calibrated roi_head.calib_head'):
        model.calib_head.calibrated.fill_(False)
        torch.save(model.state_dict(), tmp_path / 'uncalibrated.pth')
        tool.add_train_counts(str(tmp_path / 'uncalibrated.pth'), str(train),
                              str(tmp_path / 'x.pth'))

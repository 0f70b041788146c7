import pytest
import torch
from torch import nn

from mmdet.utils import CheckpointError, extract_state_dict, load_checkpoint, load_state_dict


def make_model():
    return nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))


class Custom:
    pass


def test_reports_missing_unexpected_and_misshaped_keys(tmp_path):
    state = make_model().state_dict()
    state['extra.weight'] = torch.zeros(1)
    state['1.weight'] = torch.zeros(5, 3)
    del state['1.bias']
    path = tmp_path / 'ckpt.pth'
    torch.save({'state_dict': {f'module.{k}': v for k, v in state.items()}}, path)
    model = make_model()
    before = model[1].weight.clone()
    missing, unexpected, mismatched = load_state_dict(
        model, extract_state_dict(torch.load(path, weights_only=True)))
    assert missing == ['1.bias'] and unexpected == ['extra.weight']
    assert mismatched == ['1.weight: checkpoint (5, 3) vs model (2, 3)']
    assert torch.equal(model[0].weight, state['0.weight'])  # what fits is loaded
    assert torch.equal(model[1].weight, before)  # what does not is left alone
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(make_model(), path, strict=True)
    for name in ('missing keys', '1.bias', 'unexpected keys', 'extra.weight', 'mis-shaped',
                 '1.weight: checkpoint (5, 3) vs model (2, 3)', str(path)):
        assert name in str(err.value)


def test_unsafe_or_missing_files_are_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint(make_model(), tmp_path / 'nope.pth')

    path = tmp_path / 'pickle.pth'
    torch.save({'state_dict': {}, 'obj': Custom()}, path)
    with pytest.raises(CheckpointError, match='pickle.pth'):
        load_checkpoint(make_model(), path)

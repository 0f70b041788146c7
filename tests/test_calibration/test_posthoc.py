"""NorCal's and tau-normalisation's formulas on hand-computed inputs."""
import math

import pytest
import torch

from mmdet.calibration.posthoc import norcal_factors, norcal_scores, tau_normalized_weight

# two foreground classes with 4 and 1 training images, background last
LOGITS = torch.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 0.0]], dtype=torch.float64)
COUNTS = torch.tensor([4.0, 1.0])


def test_factors_gamma_and_class_balanced():
    assert norcal_factors(COUNTS, 0.5).tolist() == [0.5, 1.0]
    assert norcal_factors(COUNTS, 0.0).tolist() == [1.0, 1.0]
    cb = norcal_factors(COUNTS, 0.9, 'cb')
    assert cb.tolist() == pytest.approx([0.1 / (1 - 0.9 ** 4), 1.0])


def test_exps_by_hand():
    """exp(z) of each foreground class times 1/n^gamma, background untouched, row sum 1."""
    e = [math.exp(1.0) * 0.5, math.exp(2.0) * 1.0, math.exp(0.5)]
    expected = [v / sum(e) for v in e]
    scores = norcal_scores(LOGITS, COUNTS, gamma=0.5)
    assert scores[0].tolist() == pytest.approx(expected, rel=1e-12)
    assert scores[1].tolist() == pytest.approx([0.5 / 2.5, 1 / 2.5, 1 / 2.5], rel=1e-12)
    raw = norcal_scores(LOGITS, COUNTS, gamma=0.5, renorm=False)
    assert raw[0].tolist() == pytest.approx(e, rel=1e-12)
    # gamma 0 is the plain softmax; a huge logit does not overflow
    assert torch.allclose(norcal_scores(LOGITS, COUNTS, 0.0), torch.softmax(LOGITS, 1))
    big = norcal_scores(LOGITS * 1000, COUNTS, 0.5)
    assert torch.isfinite(big).all() and big[0, 1] == pytest.approx(1.0)


def test_probs_and_logits_by_hand():
    p = torch.softmax(LOGITS[0], 0).tolist()
    scaled = [p[0] * 0.5, p[1], p[2]]
    expected = [v / sum(scaled) for v in scaled]
    assert norcal_scores(LOGITS, COUNTS, 0.5, on='probs')[0].tolist() == pytest.approx(
        expected, rel=1e-12)
    assert norcal_scores(LOGITS, COUNTS, 0.5, on='probs', renorm=False)[0].tolist() == \
        pytest.approx(scaled, rel=1e-12)
    z = [1.0 * 0.5, 2.0 * 1.0, 0.5]  # the logits themselves scaled, then the softmax
    e = [math.exp(v) for v in z]
    assert norcal_scores(LOGITS, COUNTS, 0.5, on='logits')[0].tolist() == pytest.approx(
        [v / sum(e) for v in e], rel=1e-12)


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='classes \\[1\\]'):
        norcal_scores(LOGITS, torch.tensor([3.0, 0.0]), 0.5)
    with pytest.raises(ValueError, match='3 class counts for 2'):
        norcal_scores(LOGITS, torch.tensor([1.0, 2.0, 3.0]), 0.5)
    with pytest.raises(ValueError, match="'softmax'"):
        norcal_scores(LOGITS, COUNTS, 0.5, on='softmax')
    with pytest.raises(ValueError, match='0 < gamma < 1'):
        norcal_factors(COUNTS, 1.5, 'cb')


def test_tau_normalisation_by_hand():
    weight = torch.tensor([[3.0, 4.0], [0.0, 2.0], [5.0, 12.0]],  # last row: background
                          dtype=torch.float64)
    assert tau_normalized_weight(weight, 1.0).tolist() == [[0.6, 0.8], [0.0, 1.0],
                                                           [5.0, 12.0]]
    half = tau_normalized_weight(weight, 0.5)
    assert half[0].tolist() == pytest.approx([3 / math.sqrt(5), 4 / math.sqrt(5)])
    assert half[1].tolist() == pytest.approx([0.0, 2 / math.sqrt(2)])
    assert torch.equal(tau_normalized_weight(weight, 0.0), weight)
    with pytest.raises(ValueError, match='shape'):
        tau_normalized_weight(weight[0], 1.0)

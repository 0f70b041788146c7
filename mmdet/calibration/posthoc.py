"""Training-free calibrations applied at test time to a box head's classifier (issue 16's
comparison with SimCal): NorCal's score normalisation by class frequency and BAGS'
tau-normalisation of the classifier weights. The background is the last class here, as
in our box heads (the original codes: detectron2's layout for NorCal, likewise last;
mmdetection v1's for BAGS, first)."""
from typing import List

import torch
from torch import Tensor

NORCAL_TARGETS = ('exps', 'probs', 'logits')
NORCAL_METHODS = ('gamma', 'cb')


def norcal_factors(class_counts: Tensor, gamma: float, method: str = 'gamma') -> Tensor:
    """Each foreground class's factor: ``1 / n_c ** gamma`` ('gamma', NorCal's default)
    or the class-balanced ``(1 - gamma) / (1 - gamma ** n_c)`` ('cb'), ``n_c`` the class's
    training count (NorCal counts images by default)."""
    counts = torch.as_tensor(class_counts, dtype=torch.float64)
    if method not in NORCAL_METHODS:
        raise ValueError(f'NorCal method must be one of {NORCAL_METHODS}, got {method!r}')
    if counts.dim() != 1 or (counts <= 0).any():
        bad = torch.nonzero(counts <= 0).flatten().tolist()[:5] if counts.dim() == 1 else []
        raise ValueError('NorCal needs a positive training count for every class'
                         + (f'; classes {bad} have none' if bad else ''))
    if method == 'gamma':
        return counts.pow(-float(gamma))
    if not 0 < gamma < 1:
        raise ValueError(f"NorCal's 'cb' method needs 0 < gamma < 1, got {gamma}")
    return (1 - gamma) / (1 - torch.pow(torch.tensor(float(gamma), dtype=torch.float64),
                                        counts))


def norcal_scores(logits: Tensor, class_counts: Tensor, gamma: float, on: str = 'exps',
                  method: str = 'gamma', renorm: bool = True) -> Tensor:
    """Class scores (N, C + 1), background last, from the box head's logits with each
    foreground class scaled by :func:`norcal_factors` and the background left alone:
    ``on`` 'exps' scales ``exp(logits)`` (NorCal's default; with ``renorm`` computed as
    a softmax of ``logits + log(factor)``, the same numbers without overflow), 'probs'
    the softmax probabilities, 'logits' the logits before the softmax; ``renorm`` then
    divides each row by its sum."""
    if on not in NORCAL_TARGETS:
        raise ValueError(f'NorCal applies on one of {NORCAL_TARGETS}, got {on!r}')
    num_fg = logits.shape[1] - 1
    if len(class_counts) != num_fg:
        raise ValueError(f'{len(class_counts)} class counts for {num_fg} foreground classes')
    factors = norcal_factors(class_counts, gamma, method).to(logits.device, logits.dtype)
    if on == 'logits':
        scaled = torch.cat([logits[:, :num_fg] * factors, logits[:, num_fg:]], dim=1)
        scores = torch.softmax(scaled, dim=1)
    elif on == 'probs':
        scores = torch.softmax(logits, dim=1)
        scores = torch.cat([scores[:, :num_fg] * factors, scores[:, num_fg:]], dim=1)
    elif renorm:  # exps, normalised: a softmax of the shifted logits
        shifted = torch.cat([logits[:, :num_fg] + factors.log(), logits[:, num_fg:]], dim=1)
        return torch.softmax(shifted, dim=1)
    else:
        exps = logits.exp()
        return torch.cat([exps[:, :num_fg] * factors, exps[:, num_fg:]], dim=1)
    return scores / scores.sum(dim=1, keepdim=True) if renorm else scores


def tau_normalized_weight(weight: Tensor, tau: float) -> Tensor:
    """A classifier weight (C + 1, D), background row last, with every foreground row
    divided by its L2 norm ** ``tau`` (the BAGS repository's ``--tau``); the background
    row, like the bias, is left as it is."""
    if weight.dim() != 2:
        raise ValueError(f'tau-normalisation takes a (classes, features) weight, got '
                         f'shape {tuple(weight.shape)}')
    fg = weight[:-1]
    norms = fg.norm(p=2, dim=1, keepdim=True)
    return torch.cat([fg / norms.pow(tau), weight[-1:]], dim=0)


def tau_normalized_logits(logits: Tensor, weight: Tensor, bias: Tensor, tau: float) -> Tensor:
    """The logits (N, C + 1) of the classifier ``(weight, bias)`` once its weight is
    :func:`tau_normalized_weight`, from its plain logits: a foreground logit
    ``w_c . x + b_c`` becomes ``(w_c . x) / ||w_c|| ** tau + b_c``, so the RoI features
    are not needed (equal up to float rounding; test)."""
    if logits.shape[-1] != weight.shape[0] or bias.shape != weight.shape[:1]:
        raise ValueError(f'logits {tuple(logits.shape)} do not come from a classifier of '
                         f'weight {tuple(weight.shape)} and bias {tuple(bias.shape)}')
    fg_bias = bias[:-1]
    scale = weight[:-1].norm(p=2, dim=1).pow(-float(tau)).to(logits.dtype)
    fg = (logits[:, :-1] - fg_bias) * scale + fg_bias
    return torch.cat([fg, logits[:, -1:]], dim=1)


__all__: List[str] = ['NORCAL_METHODS', 'NORCAL_TARGETS', 'norcal_factors', 'norcal_scores',
                      'tau_normalized_logits', 'tau_normalized_weight']

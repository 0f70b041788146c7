"""Inference modes: how a RoI head turns its classifier's outputs into class scores at
test time, several of them from one pass over the RoIs.

Every RoI head scores in ``orig`` (its box head's own scores: a softmax, or BAGS' group
merge) and in the training-free calibrations ``norcal`` (NorCal, Pan et al. 2021: each
foreground class's exponentiated score divided by its training count ** gamma, then
renormalised) and ``tau`` (the classifier's foreground weight rows divided by their
norm ** tau, as the BAGS repository's ``--tau``); SimCal's heads add ``cal`` and
``dual``. ``model.roi_head.inference_mode`` is one mode or a list; ``'all'`` stands for
SimCal's three. ``norcal@0.5`` / ``tau@1.5`` override the config's gamma / tau, so one
pass can score a sweep. With several modes each goes to ``pred_instances_{mode}`` (and
the main one, 'dual' if asked for, else the first, to ``pred_instances``).
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

from torch import Tensor

from mmdet.utils.config_keys import check_keys

SIMCAL_MODES = ('orig', 'cal', 'dual')
CALIBRATED_MODES = ('cal', 'dual')  # those that need a SimCal calibration head
POSTHOC_MODES = ('norcal', 'tau')
MODE_KINDS = SIMCAL_MODES + POSTHOC_MODES
ALL_MODES = 'all'  # SimCal's orig, cal and dual from one pass
PRED_FIELD = 'pred_instances'  # the data sample field of a detector's predictions

# model.roi_head.norcal: NorCal's options, as its code's (tydpan/NorCal) TEST.CALIBRATION
NORCAL_DEFAULTS = dict(
    gamma=None,          # n_c ** gamma; tuned per model (NorCal tunes it on val)
    count_by='image',    # n_c: training images ('image', NorCal's default) or instances
    count_file=None,     # training annotation file (or {category_id: count} json,
                         # taken as it is); tools/test.py takes the test evaluator's
                         # train_ann_file
    on='exps',           # what is divided: 'exps', 'probs' or 'logits'
    method='gamma',      # 'gamma': 1 / n_c ** gamma; 'cb': (1 - gamma) / (1 - gamma ** n_c)
    renorm=True)         # renormalise over all classes (background included)
# model.roi_head.tau_norm
TAU_DEFAULTS = dict(tau=1.0)

ModeSpec = Union[str, Sequence[str]]


def parse_mode(mode: str) -> Tuple[str, Optional[float]]:
    """``'norcal@0.5'`` -> ``('norcal', 0.5)``; ``'orig'`` -> ``('orig', None)``."""
    kind, sep, value = str(mode).partition('@')
    if kind not in MODE_KINDS:
        raise ValueError(f'unknown inference mode {mode!r}: choose from '
                         f'{", ".join(MODE_KINDS + (ALL_MODES,))} (norcal@GAMMA, tau@TAU '
                         'set their parameter)')
    if not sep:
        return kind, None
    if kind not in POSTHOC_MODES:
        raise ValueError(f'inference mode {mode!r}: only norcal and tau take a value')
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f'inference mode {mode!r}: {value!r} is not a finite number')
    return kind, number


def parse_modes(modes: ModeSpec) -> Tuple[str, ...]:
    """The modes of a spec (one mode, ``'all'`` or a list of them), in order, each once."""
    items = [modes] if isinstance(modes, str) else list(modes or ())
    out = []
    for item in items:
        for mode in (SIMCAL_MODES if item == ALL_MODES else (item,)):
            parse_mode(mode)
            if mode not in out:
                out.append(mode)
    if not out:
        raise ValueError('no inference mode given')
    return tuple(out)


def main_mode(modes: Sequence[str]) -> str:
    """The mode whose detections are ``pred_instances``: 'dual' if asked for, else the
    first."""
    return 'dual' if 'dual' in modes else modes[0]


def mode_field(mode: str) -> str:
    """The data sample field of a mode's predictions when several are scored."""
    return f'{PRED_FIELD}_{mode}'


def instances_by_mode(sample) -> dict:
    """A test sample's predictions: ``{mode: instances}`` when several modes were
    scored, else ``{'': pred_instances}``."""
    prefix = f'{PRED_FIELD}_'
    by_mode = {key[len(prefix):]: sample.get(key) for key in sample.keys()
               if key.startswith(prefix)}
    return by_mode or {'': sample.pred_instances}


def settings(given: Optional[dict], defaults: dict, key: str) -> dict:
    """``defaults`` updated by the config's ``given``; an unknown key is an error."""
    check_keys(given, defaults, f'model.roi_head.{key}')
    return {**defaults, **(given or {})}


class ScoreModes:
    """The inference modes of a RoI head (mixed into :class:`StandardRoIHead`): call
    :meth:`init_score_modes` from ``__init__``; :meth:`score_rois` gives each mode's class
    probabilities of the RoIs."""

    mode_kinds = ('orig',) + POSTHOC_MODES  # SimCal's heads add 'cal' and 'dual'

    def init_score_modes(self, inference_mode: ModeSpec = 'orig', norcal: Optional[dict] = None,
                         tau_norm: Optional[dict] = None) -> None:
        from mmdet.calibration.posthoc import NORCAL_METHODS, NORCAL_TARGETS
        self.norcal_cfg = settings(norcal, NORCAL_DEFAULTS, 'norcal')
        for key, valid in (('on', NORCAL_TARGETS), ('method', NORCAL_METHODS),
                           ('count_by', ('image', 'instance'))):
            if self.norcal_cfg[key] not in valid:
                raise ValueError(f'model.roi_head.norcal.{key} must be one of {valid}, got '
                                 f'{self.norcal_cfg[key]!r}')
        self.tau_cfg = settings(tau_norm, TAU_DEFAULTS, 'tau_norm')
        self.inference_mode = inference_mode
        self.modes  # noqa: B018  (checked here)
        self._norcal_counts: Optional[Tensor] = None

    @property
    def modes(self) -> Tuple[str, ...]:
        modes = parse_modes(self.inference_mode)
        for mode in modes:
            if parse_mode(mode)[0] not in self.mode_kinds:
                raise ValueError(f'inference mode {mode!r} needs a SimCal model '
                                 '(configs/simcal/): this one has no calibration head')
        return modes

    def score_rois(self, bbox_out: Dict[str, Tensor]) -> Dict[str, Tensor]:
        """Class probabilities of the RoIs (background last) per output field: the main
        mode's as ``pred_instances`` and, with several modes, each one's as
        ``pred_instances_{mode}`` (a field may repeat another's tensor: it then shares
        its detections)."""
        modes = self.modes
        scores = self.mode_scores(bbox_out, modes)
        fields = {PRED_FIELD: scores[main_mode(modes)]}
        if len(modes) > 1:
            fields.update({mode_field(mode): scores[mode] for mode in modes})
        return fields

    def mode_scores(self, bbox_out: Dict[str, Tensor], modes: Sequence[str]
                    ) -> Dict[str, Tensor]:
        """``{mode: probabilities}`` of the RoIs."""
        from mmdet.calibration.posthoc import norcal_scores
        logits = bbox_out['cls_score']
        out = {}
        for mode in modes:
            kind, value = parse_mode(mode)
            if kind in POSTHOC_MODES:
                self.check_softmax_classifier(mode)
            if kind == 'orig':
                out[mode] = self.final_bbox_head.class_scores(logits)
            elif kind == 'norcal':
                cfg = self.norcal_cfg
                out[mode] = norcal_scores(logits, self.norcal_class_counts(),
                                          self.norcal_gamma(value), on=cfg['on'],
                                          method=cfg['method'], renorm=cfg['renorm'])
            elif kind == 'tau':
                tau = self.tau_cfg['tau'] if value is None else value
                out[mode] = self.tau_normalized_logits(bbox_out, tau).softmax(dim=-1)
            else:
                raise ValueError(f'inference mode {mode!r} is not scored by '
                                 f'{type(self).__name__}')
        return out

    # ----------------------------------------------------------- training-free
    def tau_normalized_logits(self, bbox_out: Dict[str, Tensor], tau: float) -> Tensor:
        """The logits of the box head's classifier with tau-normalised weights."""
        from mmdet.calibration.posthoc import tau_normalized_logits
        fc = self.final_bbox_head.fc_cls
        return tau_normalized_logits(bbox_out['cls_score'], fc.weight, fc.bias, tau)

    def norcal_gamma(self, value: Optional[float]) -> float:
        gamma = self.norcal_cfg['gamma'] if value is None else value
        if gamma is None:
            raise ValueError('NorCal needs gamma: set model.roi_head.norcal.gamma or ask '
                             'for mode norcal@GAMMA (NorCal tunes it per model)')
        return float(gamma)

    def norcal_class_counts(self) -> Tensor:
        """The training count of each class (label order), read once from
        ``norcal.count_file`` by ``norcal.count_by``."""
        if self._norcal_counts is None:
            import torch

            from mmdet.evaluation.metrics.lvis_metric import train_counts_of
            path = self.norcal_cfg['count_file']
            if not path:
                raise ValueError(
                    "NorCal needs the classes' training counts: set model.roi_head.norcal."
                    'count_file (an LVIS training annotation file or a {category_id: count} '
                    "json); tools/test.py fills it from the test evaluator's train_ann_file")
            by_id = train_counts_of(path, self.norcal_cfg['count_by'])
            num_classes = self.final_bbox_head.num_classes
            if len(by_id) != num_classes:
                raise ValueError(f'{path} has {len(by_id)} categories, the model '
                                 f'{num_classes} classes')
            self._norcal_ids = sorted(by_id)
            self._norcal_counts = torch.tensor([by_id[c] for c in self._norcal_ids])
        return self._norcal_counts

    def norcal_class_ids(self) -> list:
        """The category ids of :meth:`norcal_class_counts`, in label order."""
        self.norcal_class_counts()
        return self._norcal_ids

    def check_softmax_classifier(self, mode: str) -> None:
        """The training-free modes rescale a softmax classifier of ``C + 1`` outputs
        (each stage's, for cascades); a grouped (BAGS) one is refused."""
        heads = list(self.bbox_head) if hasattr(self, 'num_stages') else [self.bbox_head]
        for head in heads:
            if head.fc_cls.out_features != head.num_classes + 1:
                raise ValueError(f'inference mode {mode!r} calibrates a softmax classifier '
                                 f'of C + 1 outputs; this box head ({type(head).__name__}) '
                                 f'has {head.fc_cls.out_features} for {head.num_classes} '
                                 'classes')

    def check_class_ids(self, cat_ids: Sequence[int]) -> None:
        """NorCal's counts are those of the evaluated classes: the count file must have
        exactly the test set's category ids (``cat_ids``, in label order)."""
        if any(parse_mode(m)[0] == 'norcal' for m in self.modes):
            ids = self.norcal_class_ids()
            if list(ids) != list(cat_ids):
                unknown = sorted(set(cat_ids) - set(ids))[:5]
                raise ValueError(f"NorCal's count file {self.norcal_cfg['count_file']} has "
                                 "other category ids than the test set's (e.g. "
                                 f'{unknown or sorted(set(ids) - set(cat_ids))[:5]}): its '
                                 'counts would go to the wrong classes')

    def check_inference_ready(self) -> None:
        """What the modes need, checked before the first image: a box head ready to
        score (a BAGS head its groups), a softmax classifier of ``C + 1`` outputs for
        the training-free modes, NorCal's gamma and counts."""
        head = self.final_bbox_head
        if hasattr(head, 'check_inference_ready'):
            head.check_inference_ready()
        for mode in self.modes:
            kind, value = parse_mode(mode)
            if kind in POSTHOC_MODES:
                self.check_softmax_classifier(mode)
            if kind == 'norcal':  # every class counted, gamma fits the method
                from mmdet.calibration.posthoc import norcal_factors
                norcal_factors(self.norcal_class_counts(), self.norcal_gamma(value),
                               self.norcal_cfg['method'])

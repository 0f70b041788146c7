"""Regenerate ``tests/data`` from the read-only ``shared/`` folder beside the checkout.

Run by hand (it is not a test), from the repository root::

    python tests/data/make_fixtures.py            # write tests/data, then verify it
    python tests/data/make_fixtures.py --check    # only verify tests/data

Options: ``--shared DIR`` (default ``../shared``), ``--out DIR`` (default ``tests/data``).

It copies the real LVIS v0.5 val subset (minified JSON) and the mmengine runner
checkpoint (byte for byte), and writes pruned copies of the other mmdetection 3.3
reference files:

- full-image boolean masks become COCO RLE (``{'size': [H, W], 'counts': str}``,
  as ``pycocotools.mask.encode`` gives them);
- values that no test reads are dropped (``KEEP`` lists what stays);
- the legacy file's ``state_dict`` reuses the tensors of ``v1_checkpoint`` that are
  equal (torch.save stores a shared tensor once);
- the HTC file keeps only the weights that differ from the Cascade file's and says in
  ``state_dict_from`` where the others are (``tests/data_testing.load_reference``
  puts the state dict together);
- each file's records are deflate-compressed inside its zip (``torch.load`` reads it).

Every kept value is then compared with the shared original (decoded masks included) and
the sizes are printed; the exit status is 1 if anything differs or the total is over
the budget. See ``tests/data/README.md``.
"""
import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pycocotools.mask as mask_utils
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from data_testing import REFERENCE_DIR, load_reference, rle_to_masks  # noqa: E402

VAL_100 = 'lvis_v0.5_val_100.json'
RUNNER_CHECKPOINT = 'mmdet3_runner_checkpoint.pth'
BUDGET = 25 * 1000 * 1000  # bytes, all of tests/data

TEXT = ('config', 'notes', 'summary')
# What each pruned file keeps besides TEXT; everything else is dropped.
KEEP = {
    # Fixture A: the stage-by-stage tests read every intermediate.
    'mask_rcnn_r18c16_fpn_small.pt': (
        'state_dict', 'images', 'metainfo', 'batch_inputs', 'backbone_feats', 'neck_feats',
        'rpn_cls_scores', 'rpn_bbox_preds', 'anchors', 'proposals',
        'roi_bbox_results_on_proposals', 'detections', 'mask_logits_on_detections',
        'roi_probe'),
    # v1 numerics and layouts: the weights in both layouts, the SimCal head and its
    # logits on the proposal rois (stored with them). Dropped: batch_inputs (equal to
    # fixture A's, and computed from images), anchors, proposals and the box head
    # outputs on the proposals.
    'mask_rcnn_r18c16_fpn_legacy_v1.pt': (
        'state_dict', 'v1_checkpoint', 'v1_calib_head_3fc', 'calib_head_logits_on_proposals',
        'images', 'metainfo', 'detections'),
    # Dropped from both: batch_inputs.
    'cascade_mask_rcnn_r18c16_fpn_small.pt': ('state_dict', 'images', 'metainfo', 'detections'),
    'htc_r18c16_fpn_small.pt': ('state_dict', 'images', 'metainfo', 'detections'),
}
# file -> the file whose equal weights it does not store again (written before it)
STATE_DICT_FROM = {'htc_r18c16_fpn_small.pt': 'cascade_mask_rcnn_r18c16_fpn_small.pt'}


def masks_to_rle(masks: torch.Tensor) -> list:
    """(N, H, W) bool -> N COCO RLE dicts ``{'size': [H, W], 'counts': str}``."""
    if not len(masks):
        return []
    array = np.asfortranarray(masks.numpy().astype(np.uint8).transpose(1, 2, 0))
    return [{'size': [int(s) for s in rle['size']], 'counts': rle['counts'].decode('ascii')}
            for rle in mask_utils.encode(array)]


def equal_tensors(a, b) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b)


def share_v1_weights(state_dict: dict, v1_state_dict: dict) -> dict:
    """``state_dict`` with each tensor that equals its v1 counterpart (the same key
    without ``roi_head.``) replaced by that very tensor, so torch.save stores it once;
    only the re-ordered class layers (fc_cls, fc_reg, conv_logits) stay separate."""
    out = {}
    for key, value in state_dict.items():
        v1 = v1_state_dict.get(key.replace('roi_head.', '', 1))
        out[key] = v1 if v1 is not None and equal_tensors(v1, value) else value
    return out


def prune(name: str, ref: dict, originals: dict) -> dict:
    missing = [k for k in KEEP[name] if k not in ref]
    if missing:
        raise KeyError(f'{name}: the shared file has no {missing}')
    out = {k: ref[k] for k in TEXT if k in ref}
    out.update({k: ref[k] for k in KEEP[name]})
    out['detections'] = [dict(det, masks=masks_to_rle(det['masks'])) for det in ref['detections']]
    if 'v1_checkpoint' in out:
        out['state_dict'] = share_v1_weights(ref['state_dict'],
                                             ref['v1_checkpoint']['state_dict'])
    if name in STATE_DICT_FROM:
        other_name = STATE_DICT_FROM[name]
        other = originals[other_name]['state_dict']
        out['state_dict'] = {k: v for k, v in ref['state_dict'].items()
                             if not (k in other and equal_tensors(other[k], v))}
        out['state_dict_from'] = {'file': other_name, 'keys': list(ref['state_dict'])}
    return out


def save_deflated(obj, path: Path) -> None:
    """torch.save, then rewrite the zip with every record deflated. The output is the
    same on every run: fixed record times, and torch's random ``serialization_id``
    replaced by 40 digits of a hash of the other records."""
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / path.name
        torch.save(obj, plain)
        with zipfile.ZipFile(plain) as src:
            records = {name: src.read(name) for name in src.namelist()}
    digest = hashlib.sha256()
    for name, data in records.items():
        if not name.endswith('/.data/serialization_id'):
            digest.update(name.encode() + data)
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for name, data in records.items():
            if name.endswith('/.data/serialization_id'):
                data = str(int(digest.hexdigest(), 16)).zfill(40)[:40].encode()
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def same(a, b) -> bool:
    """Exact equality of nested containers of tensors, numbers and strings."""
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and equal_tensors(a, b)
    if isinstance(a, dict):
        return (isinstance(b, dict) and list(a) == list(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    return type(a) is type(b) and a == b


def check_pruned(name: str, original: dict, loaded: dict) -> None:
    """What ``load_reference`` gives equals the original's kept values exactly, masks
    after decoding."""
    kept = [k for k in TEXT if k in original] + list(KEEP[name])
    assert sorted(loaded) == sorted(kept), f'{name}: keys {sorted(loaded)}'
    for key in kept:
        if key != 'detections':
            assert same(loaded[key], original[key]), f'{name}: {key} differs'
            continue
        for i, (det, orig) in enumerate(zip(loaded[key], original[key], strict=True)):
            assert list(det) == list(orig), f'{name}: detections[{i}] keys'
            for field in orig:
                if field != 'masks':
                    assert same(det[field], orig[field]), f'{name}: detections[{i}] {field}'
            assert all(isinstance(r['counts'], str) for r in det['masks'])
            masks = rle_to_masks(det['masks'], orig['masks'].shape[1:])
            assert same(masks, orig['masks']), f'{name}: detections[{i}] masks'


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--shared', type=Path, default=HERE.parents[2] / 'shared',
                        help='the shared folder (default: ../shared beside the checkout)')
    parser.add_argument('--out', type=Path, default=HERE, help='default: tests/data')
    parser.add_argument('--check', action='store_true',
                        help='only verify the files in --out against --shared')
    args = parser.parse_args(argv)
    src, out = args.shared / 'data', args.out
    if not src.is_dir():
        parser.error(f'{src} not found')
    (out / REFERENCE_DIR).mkdir(parents=True, exist_ok=True)

    gt = json.loads((src / VAL_100).read_text())
    if not args.check:  # minified, otherwise as is
        (out / VAL_100).write_text(json.dumps(gt, separators=(',', ':'), ensure_ascii=False))
    assert json.loads((out / VAL_100).read_text()) == gt, f'{VAL_100} differs'

    originals = {name: torch.load(src / REFERENCE_DIR / name, weights_only=True)
                 for name in KEEP}
    if not args.check:
        for name, ref in originals.items():
            save_deflated(prune(name, ref, originals), out / REFERENCE_DIR / name)
    for name, ref in originals.items():
        check_pruned(name, ref, load_reference(name, out))

    runner = (src / REFERENCE_DIR / RUNNER_CHECKPOINT, out / REFERENCE_DIR / RUNNER_CHECKPOINT)
    if not args.check:
        shutil.copyfile(*runner)
    assert sha256(runner[0]) == sha256(runner[1]), f'{RUNNER_CHECKPOINT} differs'

    total = 0
    for path in sorted(p for p in out.rglob('*') if p.is_file()):
        if '__pycache__' not in path.parts:
            total += path.stat().st_size
            print(f'{path.stat().st_size / 1e6:8.3f} MB  {path.relative_to(out)}')
    print(f'{total / 1e6:8.3f} MB  total (budget: under {BUDGET / 1e6:.0f} MB)')
    return 0 if total < BUDGET else 1


if __name__ == '__main__':
    sys.exit(main())

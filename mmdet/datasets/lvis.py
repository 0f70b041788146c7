"""LVIS (v0.5 and v1) and COCO-format instance segmentation datasets.

Records follow mmdetection 3.x: ``img_path``, ``img_id``, ``width``, ``height`` and
``instances`` (``bbox`` x1y1x2y2, ``bbox_label`` 0-based, ``ignore_flag``, ``mask``).
Annotations are read with :mod:`lvis_api`: a file with duplicate ids is rejected with an
error naming it; annotations with a non-positive width, height or area, or with a
category id or image id the file does not define, are skipped and counted in one
warning. A training set that filtering leaves empty is an error.
"""
import os.path as osp
from collections import Counter
from typing import List, Optional
from urllib.parse import urlparse

from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from lvis_api import LVIS
from mmdet.registry import DATASETS


@DATASETS.register_module('LVISV05Dataset')
@DATASETS.register_module('LVISV1Dataset')
@DATASETS.register_module()
class LVISDataset(BaseDataset):
    """Images are found under ``data_root/data_prefix['img']`` at the path of their
    ``coco_url`` (``train2017/000000xxxxxx.jpg``: LVIS v1 val draws on both COCO splits),
    or at ``file_name`` when an image has no ``coco_url``. Classes are the annotation
    file's categories in id order. The metainfo also gives each class's category id,
    LVIS frequency group and instance count in this file (``instance_counts``, by
    :func:`lvis_api.lvis.instance_counts`: for a training split, the training counts
    that SimCal's T and the calibration sampler use; a checkpoint stores them in its
    ``dataset_meta``)."""

    METAINFO = dict(classes=())

    def __init__(self, *args, filter_cfg: Optional[dict] = None, seg_map_suffix: str = '.png',
                 **kwargs):
        self.seg_map_suffix = seg_map_suffix
        super().__init__(*args, filter_cfg=filter_cfg, **kwargs)

    # --------------------------------------------------------------- loading
    def load_data_list(self) -> List[dict]:
        api = LVIS(self.ann_file)
        categories = api.load_cats(api.get_cat_ids())
        self.cat_ids = [c['id'] for c in categories]
        self.cat2label = {cat_id: i for i, cat_id in enumerate(self.cat_ids)}
        counts = api.instance_counts()
        self._metainfo.update(classes=tuple(c.get('name', str(c['id'])) for c in categories),
                              cat_ids=tuple(self.cat_ids),
                              frequencies=tuple(c.get('frequency', '') for c in categories),
                              instance_counts=tuple(counts[i] for i in self.cat_ids))
        skipped = Counter()
        data_list = []
        for img_id in api.get_img_ids():
            img = api.imgs[img_id]
            instances = []
            for ann in api.img_ann_map.get(img_id, ()):
                reason = self._invalid_reason(ann, img)
                if reason:
                    skipped[reason] += 1
                    continue
                x, y, w, h = ann['bbox']
                instances.append(dict(bbox=[x, y, x + w, y + h],
                                      bbox_label=self.cat2label[ann['category_id']],
                                      ignore_flag=int(bool(ann.get('iscrowd', 0)
                                                           or ann.get('ignore', 0))),
                                      mask=ann.get('segmentation')))
            info = dict(img_path=self._image_path(img), img_id=img_id,
                        width=img['width'], height=img['height'],
                        neg_category_ids=img.get('neg_category_ids', []),
                        not_exhaustive_category_ids=img.get('not_exhaustive_category_ids', []),
                        instances=instances)
            if 'seg' in self.data_prefix:  # semantic maps (HTC): same relative path, .png
                info['seg_map_path'] = self._seg_map_path(info['img_path'])
            data_list.append(info)
        orphans = sum(len(anns) for img_id, anns in api.img_ann_map.items()
                      if img_id not in api.imgs)
        if orphans:
            skipped['with an image id the file does not define'] = orphans
        if skipped:
            detail = ', '.join(f'{n} {reason}' for reason, n in sorted(skipped.items()))
            print_log(f'{self.ann_file}: skipped {sum(skipped.values())} annotations '
                      f'({detail})', logger='current', level=30)
        self.num_skipped_annotations = dict(skipped)
        return data_list

    def _invalid_reason(self, ann: dict, img: dict) -> str:
        if ann['category_id'] not in self.cat2label:
            return 'with an unknown category id'
        x, y, w, h = ann['bbox']
        if w <= 0 or h <= 0 or ann.get('area', 1) <= 0:
            return 'with a non-positive size'
        inter_w = min(x + w, img['width']) - max(x, 0)
        inter_h = min(y + h, img['height']) - max(y, 0)
        if inter_w <= 0 or inter_h <= 0:
            return 'outside their image'
        return ''

    def _image_path(self, img: dict) -> str:
        url = img.get('coco_url')
        rel = urlparse(url).path.lstrip('/') if url else img['file_name']
        if url and rel.count('/') > 1:  # keep only '<split>/<file>'
            rel = '/'.join(rel.split('/')[-2:])
        return osp.join(self._image_prefix(), rel)

    def _seg_map_path(self, img_path: str) -> str:
        """``data_prefix['seg']`` + the image's path below the image prefix, with
        ``seg_map_suffix`` (COCO-stuff: ``stuffthingmaps/train2017/000000xxxxxx.png``)."""
        rel = osp.relpath(img_path, self._image_prefix()) if self._image_prefix() else img_path
        return osp.join(self.data_prefix['seg'], osp.splitext(rel)[0] + self.seg_map_suffix)

    def _image_prefix(self) -> str:
        # mmengine joins data_root onto data_prefix entries; without one, use data_root.
        return self.data_prefix.get('img', self.data_prefix.get('img_path', self.data_root or ''))

    # ------------------------------------------------------------- filtering
    def filter_data(self) -> List[dict]:
        """Training filters: drop images without instances (``filter_empty_gt``) and
        images whose shorter side is below ``min_size``."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        kept = [d for d in self.data_list
                if not (empty and not d['instances'])
                and min(d['width'], d['height']) >= min_size]
        if not kept:
            raise ValueError(f'{self.ann_file}: no training image left after filtering '
                             f'{len(self.data_list)} images (filter_cfg={self.filter_cfg}: '
                             'filter_empty_gt drops images without valid annotations)')
        return kept

    def get_cat_ids(self, idx: int) -> List[int]:
        """Labels (0-based) of the instances of image ``idx``."""
        return [inst['bbox_label'] for inst in self.get_data_info(idx)['instances']]


@DATASETS.register_module()
class CocoDataset(LVISDataset):
    """COCO-format sets (e.g. COCO-LT): images at ``data_prefix['img']/file_name``."""

    def _image_path(self, img: dict) -> str:
        return osp.join(self._image_prefix(), img['file_name'])

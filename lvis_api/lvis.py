"""LVIS annotations (v0.5 and v1): loading, indexes, look-ups and per-category statistics.

Query methods keep the names and meaning of the official ``lvis.LVIS``; image and
category ids come back sorted.
"""
import os
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np
import pycocotools.mask as mask_utils

from ._json import load_json
from .errors import LVISFormatError, describe

AnnotationSource = Union[str, 'os.PathLike[str]', Dict[str, Any]]
FREQUENCY_LABELS = ('r', 'c', 'f')


@dataclass(frozen=True)
class AnnotationArrays:
    """The annotations as columns (file order), for vectorised evaluation."""
    ids: np.ndarray          # int64 (N,)
    image_ids: np.ndarray    # int64 (N,)
    category_ids: np.ndarray  # int64 (N,)
    areas: np.ndarray        # float64 (N,)
    ignore: np.ndarray       # bool (N,), the optional ``ignore`` field
    crowd: np.ndarray        # bool (N,), the optional ``iscrowd`` field (COCO)
    bboxes: np.ndarray       # float64 (N, 4), x, y, w, h


class LVIS:
    """LVIS annotations from a JSON file path or an already loaded dict (used as is)."""

    def __init__(self, annotation: AnnotationSource):
        if isinstance(annotation, dict):
            self.source = '<annotation dict>'
            self.dataset = annotation
        else:
            self.source = os.fspath(annotation)
            self.dataset = load_json(annotation)
        if not isinstance(self.dataset, dict):
            raise LVISFormatError(
                f'{self.source}: an LVIS annotation file is a JSON object, '
                f'got {type(self.dataset).__name__}')
        for key in ('images', 'annotations', 'categories'):
            if not isinstance(self.dataset.get(key), list):
                raise LVISFormatError(f'{self.source}: missing or non-list field {key!r}')
        self._create_index()

    # ----------------------------------------------------------------- indexes
    def _create_index(self) -> None:
        self.imgs = self._index_by_id('images')
        self.cats = self._index_by_id('categories')
        self.anns = self._index_by_id('annotations')
        self.img_ann_map: Dict[int, List[dict]] = defaultdict(list)
        self.cat_img_map: Dict[int, List[int]] = defaultdict(list)
        for i, ann in enumerate(self.dataset['annotations']):
            try:
                img_id, cat_id = ann['image_id'], ann['category_id']
            except KeyError as err:
                raise LVISFormatError(
                    f'{self.source}: annotations[{i}] {describe(ann)} has no {err.args[0]!r}'
                ) from None
            self.img_ann_map[img_id].append(ann)
            self.cat_img_map[cat_id].append(img_id)
        self._arrays: Optional[AnnotationArrays] = None  # built on first use

    def _index_by_id(self, key: str) -> Dict[int, dict]:
        index: Dict[int, dict] = {}
        for i, entry in enumerate(self.dataset[key]):
            if not isinstance(entry, dict) or 'id' not in entry:
                raise LVISFormatError(f'{self.source}: {key}[{i}] {describe(entry)} has no "id"')
            if entry['id'] in index:
                raise LVISFormatError(f'{self.source}: {key}[{i}] repeats id {entry["id"]!r}')
            index[entry['id']] = entry
        return index

    # ----------------------------------------------------------------- queries
    def get_ann_ids(self, img_ids: Optional[Iterable[int]] = None,
                    cat_ids: Optional[Iterable[int]] = None,
                    area_rng: Optional[Sequence[float]] = None) -> List[int]:
        """Ids of the annotations on ``img_ids`` of ``cat_ids`` whose area lies strictly
        inside ``area_rng`` (``[0, inf]`` when only ``cat_ids`` is given, as officially)."""
        if img_ids is not None:
            anns = [ann for img_id in img_ids for ann in self.img_ann_map.get(img_id, ())]
        else:
            anns = self.dataset['annotations']
        if cat_ids is None and area_rng is None:
            return [ann['id'] for ann in anns]
        cats = set(cat_ids) if cat_ids is not None else None
        lo, hi = area_rng if area_rng is not None else (0, float('inf'))
        return [ann['id'] for ann in anns
                if (cats is None or ann['category_id'] in cats) and lo < ann['area'] < hi]

    def get_cat_ids(self) -> List[int]:
        return sorted(self.cats)

    def get_img_ids(self) -> List[int]:
        return sorted(self.imgs)

    @staticmethod
    def _load(index: Dict[int, dict], ids: Optional[Iterable[int]]) -> List[dict]:
        return list(index.values()) if ids is None else [index[i] for i in ids]

    def load_anns(self, ids: Optional[Iterable[int]] = None) -> List[dict]:
        return self._load(self.anns, ids)

    def load_cats(self, ids: Optional[Iterable[int]] = None) -> List[dict]:
        return self._load(self.cats, ids)

    def load_imgs(self, ids: Optional[Iterable[int]] = None) -> List[dict]:
        return self._load(self.imgs, ids)

    # ------------------------------------------------------------------- masks
    def segm_to_rle(self, segm: Any, image_id: int) -> dict:
        """A polygon list, uncompressed RLE or compressed RLE as a compressed RLE, sized
        by the image ``image_id``."""
        if isinstance(segm, dict) and not isinstance(segm.get('counts'), list):
            return segm
        img = self.imgs[image_id]
        h, w = img['height'], img['width']
        if isinstance(segm, list):  # polygons: all parts merged into one mask
            return mask_utils.merge(mask_utils.frPyObjects(segm, h, w))
        return mask_utils.frPyObjects(segm, h, w)

    def ann_to_rle(self, ann: dict) -> dict:
        return self.segm_to_rle(ann['segmentation'], ann['image_id'])

    def ann_to_mask(self, ann: dict) -> np.ndarray:
        return mask_utils.decode(self.ann_to_rle(ann))

    def check_evaluable(self) -> None:
        """Raise an :class:`LVISFormatError` naming the file unless every image has the
        lists the federated evaluation reads (``neg_category_ids``,
        ``not_exhaustive_category_ids``): a COCO-style file without them cannot be
        evaluated as LVIS."""
        for field in ('neg_category_ids', 'not_exhaustive_category_ids'):
            lacking = [img_id for img_id, img in self.imgs.items()
                       if not isinstance(img.get(field), list)]
            if lacking:
                raise LVISFormatError(
                    f'{self.source}: {len(lacking)} of {len(self.imgs)} images have no list '
                    f'{field!r} (e.g. image {lacking[0]}): LVIS evaluation needs the LVIS '
                    'fields; a COCO-format file is evaluated with COCO rules (COCOEval, '
                    "CocoMetric)")

    # -------------------------------------------------------------- statistics
    def instance_counts(self) -> Dict[int, int]:
        """Instances per category id (see :func:`instance_counts`)."""
        return instance_counts(self.dataset, self.source)

    def image_counts(self) -> Dict[int, int]:
        """Images with at least one annotation, per category (see :func:`category_counts`)."""
        return category_counts(self.dataset, 'image', self.source)

    def frequency_groups(self) -> Dict[str, List[int]]:
        """Category ids by the ``frequency`` field: ``{'r': [...], 'c': [...], 'f': [...]}``."""
        groups: Dict[str, List[int]] = {label: [] for label in FREQUENCY_LABELS}
        for cat_id in self.get_cat_ids():
            label = self.cats[cat_id].get('frequency')
            if label in groups:
                groups[label].append(cat_id)
        return groups

    # --------------------------------------------------------------- columns
    def annotation_arrays(self) -> AnnotationArrays:
        """All annotations as columns (cached; rebuild with ``_create_index``)."""
        if self._arrays is None:
            self._arrays = self._build_arrays()
        return self._arrays

    def _build_arrays(self) -> AnnotationArrays:
        anns = self.dataset['annotations']
        try:
            ids = np.array([a['id'] for a in anns], dtype=np.int64)
            image_ids = np.array([a['image_id'] for a in anns], dtype=np.int64)
            category_ids = np.array([a['category_id'] for a in anns], dtype=np.int64)
            areas = np.array([a['area'] for a in anns], dtype=np.float64)
            ignore = np.array([bool(a.get('ignore', 0)) for a in anns], dtype=bool)
            crowd = np.array([bool(a.get('iscrowd', 0)) for a in anns], dtype=bool)
            bboxes = np.array([a['bbox'] for a in anns], dtype=np.float64).reshape(len(anns), 4)
        except (KeyError, TypeError, ValueError):
            self._raise_bad_annotation()
            raise
        return AnnotationArrays(ids, image_ids, category_ids, areas, ignore, crowd, bboxes)

    def _raise_bad_annotation(self) -> None:
        for i, ann in enumerate(self.dataset['annotations']):
            for key in ('id', 'image_id', 'category_id', 'area', 'bbox'):
                if key not in ann:
                    raise LVISFormatError(
                        f'{self.source}: annotations[{i}] {describe(ann)} has no {key!r}')
            bbox = ann['bbox']
            if not (isinstance(bbox, (list, tuple)) and len(bbox) == 4
                    and all(_is_number(v) for v in bbox)):
                raise LVISFormatError(
                    f'{self.source}: annotations[{i}] has a malformed bbox {describe(bbox)}')
            for key in ('id', 'image_id', 'category_id', 'area'):
                if not _is_number(ann[key]):
                    raise LVISFormatError(
                        f'{self.source}: annotations[{i}] has a non-numeric {key!r}: '
                        f'{describe(ann[key])}')


COUNT_KINDS = ('instance', 'image')


def instance_counts(dataset: Dict[str, Any], source: str = '<annotations>') -> Dict[int, int]:
    """The instance count of every category (by id, sorted) of an LVIS-format object.

    This is the one definition the toolbox uses for "training instance count" (SimCal's
    T, its AP1..AP4 bins, the calibration sampler's class weights, BAGS' groups): the
    number of the category's annotations in the file, every annotation counted (crowd,
    ignored or degenerate ones too). That is LVIS's own published ``instance_count``
    statistic, on which the paper's numbers are defined (v0.5: 747 of 1230 classes below
    T = 100; 294/453/302/181 categories in the four bins); filtering it by what a
    training pipeline keeps would move classes across T and the bins. A file without
    annotations (a statistics file) gives its categories' ``instance_count`` fields; one
    with neither gives zeros.
    """
    return category_counts(dataset, 'instance', source)


def category_counts(dataset: Dict[str, Any], by: str = 'instance',
                    source: str = '<annotations>') -> Dict[int, int]:
    """Per category id (sorted): its annotations (``by='instance'``, see
    :func:`instance_counts`) or the images holding at least one of them (``'image'``,
    LVIS's ``image_count``; NorCal's default class frequency). A file without
    annotations gives its categories' ``instance_count`` / ``image_count`` fields; one
    with neither gives zeros."""
    if by not in COUNT_KINDS:
        raise ValueError(f'counts are by one of {COUNT_KINDS}, got {by!r}')
    categories = dataset.get('categories') or []
    for i, cat in enumerate(categories):
        if not isinstance(cat, dict) or 'id' not in cat:
            raise LVISFormatError(f'{source}: categories[{i}] {describe(cat)} has no "id"')
    cat_ids = sorted(cat['id'] for cat in categories)
    annotations = dataset.get('annotations') or []
    if annotations:
        try:
            if by == 'instance':
                counts = Counter(ann['category_id'] for ann in annotations)
            else:
                counts = Counter(cat for cat, _ in {(ann['category_id'], ann['image_id'])
                                                    for ann in annotations})
        except (KeyError, TypeError):
            raise LVISFormatError(f'{source}: an annotation has no "category_id" or '
                                  '"image_id"') from None
        return {cat_id: counts.get(cat_id, 0) for cat_id in cat_ids}
    field = f'{by}_count'
    fields = {cat['id']: cat.get(field) for cat in categories}
    if all(v is None for v in fields.values()):
        return {cat_id: 0 for cat_id in cat_ids}
    for i, cat in enumerate(categories):
        if cat.get(field) is None:
            raise LVISFormatError(f'{source}: has no annotations and categories[{i}] has no '
                                  f'"{field}" (others have)')
    return {cat_id: int(fields[cat_id]) for cat_id in cat_ids}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

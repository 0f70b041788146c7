"""Per-class statistics of an annotation split, computed from the file and cached beside it.

Instance and image counts per category, the category -> images index and the LVIS
frequency groups. The cache (``<annotation file>.stats.json``) is keyed by the file's
size and modification time and rebuilt when either changes; a read-only folder just
means no cache.
"""
import json
import os
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Union

from mmengine.logging import print_log

from mmdet.utils.io import atomic_write_text

CACHE_VERSION = 1


@dataclass
class SplitStatistics:
    cat_ids: List[int]                  # sorted category ids; label = position here
    names: List[str]
    frequencies: List[str]              # 'r' / 'c' / 'f' (or '' when absent)
    instance_counts: List[int]          # per label
    image_counts: List[int]             # per label: images with >= 1 instance
    images_per_class: List[List[int]]   # per label: sorted image ids containing it
    num_images: int

    @property
    def instance_count_by_cat_id(self) -> Dict[int, int]:
        return dict(zip(self.cat_ids, self.instance_counts))

    @classmethod
    def from_dict(cls, data: dict) -> 'SplitStatistics':
        categories = sorted(data['categories'], key=lambda c: c['id'])
        cat_ids = [c['id'] for c in categories]
        label = {cat_id: i for i, cat_id in enumerate(cat_ids)}
        instances = [0] * len(cat_ids)
        images = defaultdict(set)
        for ann in data['annotations']:
            lab = label.get(ann.get('category_id'))
            if lab is None:
                continue
            instances[lab] += 1
            images[lab].add(ann['image_id'])
        return cls(cat_ids=cat_ids,
                   names=[c.get('name', str(c['id'])) for c in categories],
                   frequencies=[c.get('frequency', '') for c in categories],
                   instance_counts=instances,
                   image_counts=[len(images[i]) for i in range(len(cat_ids))],
                   images_per_class=[sorted(images[i]) for i in range(len(cat_ids))],
                   num_images=len(data['images']))

    @classmethod
    def from_annotation_file(cls, ann_file: Union[str, Path], use_cache: bool = True
                             ) -> 'SplitStatistics':
        ann_file = Path(ann_file)
        stat = ann_file.stat()
        key = dict(version=CACHE_VERSION, size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        cache = ann_file.with_name(ann_file.name + '.stats.json')
        if use_cache and cache.is_file():
            try:
                cached = json.loads(cache.read_text())
                if cached.get('key') == key:
                    return cls(**cached['stats'])
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                pass  # an unreadable or damaged cache (e.g. not a JSON object) is rebuilt
        with open(ann_file) as f:
            stats = cls.from_dict(json.load(f))
        if use_cache and os.access(ann_file.parent, os.W_OK):
            try:
                atomic_write_text(cache, json.dumps(dict(key=key, stats=asdict(stats))))
            except OSError as exc:
                print_log(f'could not cache statistics at {cache}: {exc}', level=30)
        return stats

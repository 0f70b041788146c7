"""Raw predictions of a test run to a pickle (``tools/test.py --out results.pkl``)."""
from typing import Optional

from mmengine.logging import print_log

from mmdet.registry import METRICS
from mmdet.utils.io import atomic_write
from ..result_shards import write_pickled_list
from .sharded_metric import ShardedMetric


_FIELD_ORDER = ('bboxes', 'scores', 'labels')


def _order(key: str):
    return (_FIELD_ORDER.index(key) if key in _FIELD_ORDER else len(_FIELD_ORDER), key)


@METRICS.register_module()
class DumpDetResults(ShardedMetric):
    """Writes every image's predictions (boxes, scores, labels, masks as COCO RLEs) to a
    pickle: a list of per-image dicts in dataset order. Each rank streams its images to
    a shard file; rank 0 merges the shards into the pickle one image at a time."""

    def __init__(self, out_file_path: str, pred_field: str = 'pred_instances',
                 shard_dir: Optional[str] = None, collect_device: str = 'cpu',
                 rescue_dir: Optional[str] = None):
        super().__init__(shard_dir=shard_dir, collect_device=collect_device,
                         rescue_dir=rescue_dir)
        if not out_file_path.endswith(('.pkl', '.pickle')):
            raise ValueError(f'--out must be a .pkl file, got {out_file_path}')
        self.out_file_path = out_file_path
        self.pred_field = pred_field

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            instances = sample[self.pred_field]
            # in a fixed order (InstanceData's own follows string hashing, which changes
            # from process to process)
            pred = {k: instances[k].cpu().numpy() for k in sorted(instances.keys(), key=_order)
                    if k != 'masks' and hasattr(instances[k], 'cpu')}
            if 'masks' in instances:
                pred['masks'] = instances['masks'].to_rle()
            self.add_result(dict(img_id=sample['img_id'], img_path=sample.get('img_path'),
                                 ori_shape=sample.get('ori_shape'), pred_instances=pred))

    def compute_metrics(self, results) -> dict:
        written = []
        atomic_write(self.out_file_path,
                     lambda f: written.append(write_pickled_list(f, results)))
        print_log(f'results of {written[0]} images written to {self.out_file_path}',
                  logger='current')
        return {}

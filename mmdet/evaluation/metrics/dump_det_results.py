"""Raw predictions of a test run to a pickle (``tools/test.py --out results.pkl``), and
reading one back without running code from the file."""
import pickle
from typing import List, Optional

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


class _ResultsUnpickler(pickle.Unpickler):
    """Only what a results pickle holds: lists, dicts, numbers, strings, bytes and numpy
    arrays; any other global is refused (a pickle can otherwise run code)."""

    ALLOWED = {('numpy', 'ndarray'), ('numpy', 'dtype'),
               ('numpy.core.multiarray', '_reconstruct'), ('numpy.core.multiarray', 'scalar'),
               ('numpy._core.multiarray', '_reconstruct'), ('numpy._core.multiarray', 'scalar')}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f'results pickle refers to {module}.{name}: '
                                         'not a tools/test.py --out file')
        return super().find_class(module, name)


def read_det_results(path: str) -> List[dict]:
    """The per-image predictions of a ``tools/test.py --out`` pickle."""
    try:
        with open(path, 'rb') as f:
            results = _ResultsUnpickler(f).load()
    except FileNotFoundError:
        raise FileNotFoundError(f'no such results file: {path}') from None
    except (pickle.UnpicklingError, EOFError, ValueError) as err:
        raise ValueError(f'{path}: not a readable results pickle ({err})') from None
    if not isinstance(results, list) or not all(
            isinstance(r, dict) and 'pred_instances' in r for r in results):
        raise ValueError(f'{path}: not a tools/test.py --out file (a list of per-image '
                         'dicts with pred_instances)')
    return results

"""The main job on generated toy long-tail data (``make demo``): generate the data
(once), train Mask R-CNN (stage 1), calibrate its classifier (stage 2) and test the
orig / cal / dual heads from one pass (stage 3)."""
import time
from pathlib import Path
from typing import Dict

from mmengine.config import Config

from .simcal import run_simcal
from .train import build_train_cfg, last_checkpoint, run_training

STAGE1_KEYS = ('bbox_AP', 'bbox_APr', 'bbox_APc', 'bbox_APf', 'bbox_bAP',
               'segm_AP', 'segm_APr', 'segm_APc', 'segm_APf', 'segm_bAP')


def ensure_toy_data(data_root: Path, seed: int = 0) -> None:
    """Generate the toy dataset into ``data_root`` unless it is there already."""
    from mmdet.testing import make_toy_lvis
    if (data_root / 'annotations' / 'lvis_toy_val.json').is_file():
        print(f'toy data found in {data_root}')
        return
    start = time.perf_counter()
    make_toy_lvis(data_root, seed=seed)
    print(f'toy data generated in {data_root} ({time.perf_counter() - start:.0f} s)')


def run_toy_demo(stage1_config: str, simcal_config: str, work_dir: str,
                 seed: int = 0) -> Dict:
    """The three stages; the configs read the data from their ``data_root`` (relative to
    the current folder), where it is generated if missing. Returns :func:`run_simcal`'s
    result plus the stage-1 metrics and the total time."""
    start = time.perf_counter()
    ensure_toy_data(Path(Config.fromfile(stage1_config).data_root), seed)
    work = Path(work_dir).resolve()
    runner = run_training(build_train_cfg(stage1_config, work_dir=str(work), seed=seed))
    scalars = runner.message_hub.log_scalars
    stage1 = {k: scalars[f'val/lvis/{k}'].current() for k in STAGE1_KEYS
              if f'val/lvis/{k}' in scalars}
    print('\nstage 1 (Mask R-CNN on toy LVIS): '
          + '  '.join(f'{k} {v:.3f}' for k, v in stage1.items()))
    result = run_simcal(last_checkpoint(runner), str(work / 'simcal'), simcal_config)
    result.update(stage1=stage1, total_s=time.perf_counter() - start)
    print(f'checkpoints, logs and the plot in {work}; total time {result["total_s"]:.0f} s')
    return result

"""Inputs and measurements the benchmark and its mmdetection worker share: generated
images, random ground truth, a synchronising clock and peak-memory readings. Only torch
is imported here, so mmdetection's own environment can import this file too."""
import resource
import time

import torch


def make_images(size, num, seed):
    gen = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, (3, h, w), dtype=torch.uint8, generator=gen)
            for h, w in [size] * num]


def random_gt(h, w, num_classes, gen, num=10):
    """``num`` random boxes (10-50% of the image side) with box-shaped masks."""
    size = torch.tensor([w, h], dtype=torch.float32)
    wh = (0.1 + 0.4 * torch.rand(num, 2, generator=gen)) * size
    xy = torch.rand(num, 2, generator=gen) * (size - wh)
    boxes = torch.cat([xy, xy + wh], 1)
    labels = torch.randint(0, num_classes, (num,), generator=gen)
    masks = torch.zeros(num, h, w, dtype=torch.uint8)
    for k, (x1, y1, x2, y2) in enumerate(boxes.round().int().tolist()):
        masks[k, y1:y2, x1:x2] = 1
    return boxes, labels, masks


class Clock:
    def __init__(self, device):
        self.device = device

    def sync(self):
        if self.device == 'cuda':
            torch.cuda.synchronize()

    def __call__(self, fn, *args, **kwargs):
        self.sync()
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        self.sync()
        return out, time.perf_counter() - start


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def peak_mb(device, base_mb) -> float:
    """Peak memory of this process above ``base_mb`` (CPU RSS) or CUDA's peak allocation."""
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return rss_peak_mb() - base_mb


def top_operators(step, num: int) -> list:
    """``[[operator, self CPU ms, calls], ...]``: the ``num`` operators with the most self
    CPU time in one call of ``step`` (torch.profiler)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        step()
    events = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)
    return [[e.key, round(e.self_cpu_time_total / 1000, 1), e.count] for e in events[:num]]

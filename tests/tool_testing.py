"""Running the command-line tools from tests, in a subprocess from the repository root."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def tool_env() -> dict:
    """The environment of a tool run: the repo importable, one thread, no stale rank."""
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1')
    env.pop('LOCAL_RANK', None)
    return env


def run_tool(*args, timeout: int = 600) -> subprocess.CompletedProcess:
    """``python ARGS`` from the repo root; fails the test with the output's tail."""
    proc = subprocess.run([sys.executable, *args], cwd=REPO, env=tool_env(),
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def load_tool(relative_path: str):
    """The module of a tool script (e.g. ``'tools/analysis/benchmark.py'``), imported by
    path, so that tests can call its functions."""
    import importlib.util
    path = REPO / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_values(a, b) -> None:
    """Equal nested values (dicts in the same key order, lists, numpy arrays, scalars)."""
    import numpy as np
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for key in a:
            assert_same_values(a[key], b[key])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same_values(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b

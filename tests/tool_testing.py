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

"""Every benchmarks/*.py script must run end to end in its --dry-run mode.

Dry runs write into a temporary folder (``--out``), so committed results are never
overwritten by a smoke test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted(
    p for p in (Path(__file__).parents[1] / "benchmarks").glob("*.py") if not p.name.startswith("_")
)


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_benchmark_dry_run(script: Path, tmp_path: Path) -> None:
    env = {**os.environ, "TQDM_DISABLE": "1"}
    proc = subprocess.run(
        [sys.executable, str(script), "--dry-run", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=script.parents[1],
    )
    assert proc.returncode == 0, (
        f"{script.name} --dry-run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )

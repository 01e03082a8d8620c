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


def _committed_rows(script: Path) -> bool:
    """Whether the script's committed CSV was written by the runner (it has a ``row`` column)."""
    csv_path = script.parent / "results" / f"{script.stem}.csv"
    return csv_path.exists() and csv_path.read_text().split(",", 1)[0] == "row"


CHECKED = [p for p in SCRIPTS if "check_rows=" in p.read_text() and _committed_rows(p)]


@pytest.mark.parametrize("script", CHECKED, ids=[p.stem for p in CHECKED])
def test_benchmark_check_reproduces_committed_rows(script: Path) -> None:
    """``--check`` re-runs the cheap rows and compares them with the committed CSV."""
    proc = subprocess.run(
        [sys.executable, str(script), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TQDM_DISABLE": "1", "OMP_NUM_THREADS": "1"},
        cwd=script.parents[1],
    )
    assert proc.returncode == 0 and "ok" in proc.stdout, (
        f"{script.name} --check:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )


def _toy_benchmark(tmp_path: Path):
    sys.path.insert(0, str(SCRIPTS[0].parent))
    try:
        from _runner import Benchmark
    finally:
        sys.path.pop(0)

    def measure(row: dict, seed: int, dry_run: bool) -> dict:
        return {"value": row["k"] * 10 + seed, "_curve": [{"step": s, "loss": 1.0 / s} for s in (1, 2)]}

    rows = [{"row": "a", "k": 1}, {"row": "b", "k": 2}]
    return Benchmark("toy", "Toy benchmark.\n\nMore text.", rows, measure, ["value"], seeds=2)


def test_runner_writes_side_tables_and_merges_partial_runs(tmp_path: Path) -> None:
    bench = _toy_benchmark(tmp_path)
    assert bench.main(["--only", "b", "--out", str(tmp_path / "p2")]) == 0
    assert bench.main(["--only", "a", "--out", str(tmp_path / "p1")]) == 0
    curve = (tmp_path / "p1" / "toy_curve.csv").read_text().splitlines()
    assert curve[0] == "row,seed,step,loss" and len(curve) == 1 + 2 * 2  # 2 seeds x 2 points
    assert (
        bench.main(["--merge", str(tmp_path / "p2"), str(tmp_path / "p1"), "--out", str(tmp_path / "all")])
        == 0
    )
    lines = (tmp_path / "all" / "toy.csv").read_text().splitlines()
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["a", "0", "10.0"],
        ["a", "1", "11.0"],
        ["b", "0", "20.0"],
        ["b", "1", "21.0"],
    ]
    md = (tmp_path / "all" / "toy.md").read_text()
    assert md.count("--only") == 2 and "| a | 2 | 10.500 ± 0.707 |" in md
    assert len((tmp_path / "all" / "toy_curve.csv").read_text().splitlines()) == 1 + 4 * 2


def test_runner_check_compares_with_the_committed_csv(tmp_path: Path, capsys) -> None:
    bench = _toy_benchmark(tmp_path)
    bench.results_dir, bench.check_rows, bench.tolerance = tmp_path, ["a"], {"value": 0.5}
    assert bench.main(["--seeds", "1"]) == 0  # the "committed" results, in tmp_path
    assert bench.main(["--check"]) == 0 and "ok" in capsys.readouterr().out
    csv_path = tmp_path / "toy.csv"
    lines = csv_path.read_text().splitlines()
    assert lines[1].startswith("a,0,10,")
    lines[1] = lines[1].replace("a,0,10,", "a,0,11,")  # a committed number that drifted
    csv_path.write_text("\n".join(lines) + "\n")
    assert bench.main(["--check"]) == 1 and "FAIL" in capsys.readouterr().out


def test_runner_check_only_reruns_those_rows_in_full(tmp_path: Path, capsys) -> None:
    """Plain ``--check``: the cheap rows with ``check_measure``; ``--check --only``: any rows, ``measure``."""
    bench = _toy_benchmark(tmp_path)
    bench.results_dir, bench.check_rows = tmp_path, ["a"]
    bench.check_measure = lambda row, seed, dry_run: {"value": -1.0}  # a stand-in that disagrees
    assert bench.main(["--seeds", "1"]) == 0
    assert bench.main(["--check"]) == 1 and "FAIL a" in capsys.readouterr().out
    assert bench.main(["--check", "--only", "b"]) == 0
    out = capsys.readouterr().out
    assert "ok   b" in out and " a " not in out

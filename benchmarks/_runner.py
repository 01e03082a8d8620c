"""The one runner behind every benchmark script: arguments, seeds, dry runs, result files, checks.

A benchmark is a list of *rows* (a method, a setting) each measured over several seeds by one
function ``measure(row, seed, dry_run) -> dict of numbers``. The runner

- parses the common arguments: ``--seeds N`` (``--first-seed S``: seeds S..S+N-1, to add seeds
  to a committed run and ``--merge`` them), ``--only ROW ...``, ``--dry-run`` (a few seconds,
  into ``--out``), ``--out DIR``, ``--threads``, ``--check``;
- writes ``<name>.csv`` (one line per row and seed) and ``<name>.md`` (mean ± std per row, under a
  header that records the command, the date, the machine and the CPU time);
- with ``--check``, re-runs seed 0 of the cheap rows (``check_rows``, with ``check_measure`` if
  given) and fails if a number differs from the committed CSV by more than ``tolerance``: a
  committed figure must be what the committed code produces; ``--check --only ROW ...`` re-runs
  seed 0 of those rows in full (``measure``: retraining included);
- registers new checkpoints (:func:`save_checkpoint`) in ``course_lib/checkpoints.json``;
- writes side tables: a value that is a list of dicts under a key starting with ``_`` (say a
  training curve, ``"_curve"``) goes to ``<name>_curve.csv``, one line per entry, with its row
  and seed;
- with ``--merge DIR ...``, joins partial runs (``--only ... --out DIR`` in parallel processes)
  into one set of result files, their commands and CPU times listed in the header.

Usage in a script::

    BENCH = Benchmark(name="vae_collapse", doc=__doc__, rows=[...], measure=measure, ...)
    if __name__ == "__main__":
        raise SystemExit(BENCH.main())
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from course_lib import checkpoints
from course_lib.notebook import markdown_table
from course_lib.notebook import read_csv_rows as read_csv
from course_lib.utils import Timer

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    """One line naming the machine: CPU count, platform, Python and torch versions."""
    return (
        f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}, "
        f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s)"
    )


def header(command: str, cpu_s: float | None = None) -> str:
    """The lines every results file starts with: command, date, machine (and CPU time)."""
    date = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Command: `{command}`", f"Date: {date}", f"Machine: {machine()}"]
    if cpu_s is not None:
        lines.append(f"CPU time: {cpu_s:.0f} s")
    return "\n".join(f"{line}  " for line in lines)


def write_csv(rows: Sequence[dict], path: Path) -> None:
    """Write dict rows (the union of their keys, in first-seen order) to ``path``."""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def summarise(rows: Sequence[dict], keys: Sequence[str], metrics: Sequence[str]) -> list[dict]:
    """Mean ± std over seeds of ``metrics``, one output row per distinct ``keys`` tuple."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        row: dict[str, Any] = dict(zip(keys, key, strict=True)) | {"seeds": len(rs)}
        for m in metrics:
            vals = [
                float(r[m]) for r in rs if r.get(m) not in (None, "") and float(r[m]) == float(r[m])
            ]  # no NaN
            if vals:
                sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
                row[m] = f"{statistics.fmean(vals):.3f} ± {sd:.3f}"
        out.append(row)
    return out


def markdown(rows: Sequence[dict]) -> str:
    """A Markdown table of dict rows (all their keys; floats with 3 decimals)."""
    return markdown_table(rows, list(dict.fromkeys(k for r in rows for k in r)), digits=3)


def save_checkpoint(model: torch.nn.Module, name: str, out: Path, **meta: Any) -> str:
    """Save ``model`` as ``<out>/<name>.pt``; when ``out`` is the committed folder, register it.

    Returns:
        the file's SHA-256.
    """
    path = Path(out) / f"{name}.pt"
    digest = checkpoints.save(model, path, **meta)
    if path.parent.resolve() == checkpoints.CHECKPOINT_DIR.resolve():
        checkpoints.register()
    return digest


@dataclass
class Benchmark:
    """A benchmark: rows measured over seeds by ``measure``; see the module docstring.

    Attributes:
        name: stem of the result files.
        doc: the script's docstring (the ``--help`` text and the Markdown file's intro).
        rows: the row settings, each a dict with at least ``"row"`` (its name).
        measure: ``(row, seed, dry_run) -> {metric: value}``.
        metrics: the metrics summarised as mean ± std in the Markdown table.
        seeds: default number of seeds.
        check_rows: names of the cheap rows ``--check`` re-runs (seed 0).
        tolerance: ``{metric: absolute tolerance}`` for ``--check`` (others must match to 1e-6).
        notes: Markdown appended under the table (what the numbers mean, what was tried).
        check_measure: what ``--check`` calls instead of ``measure`` (same signature), for rows too
            costly to retrain in a check: say, re-scoring the committed checkpoint.
        results_dir: where the committed results are (the default ``--out``).
    """

    name: str
    doc: str
    rows: list[dict]
    measure: Callable[[dict, int, bool], dict]
    metrics: list[str]
    seeds: int = 5
    check_rows: list[str] = field(default_factory=list)
    tolerance: dict[str, float] = field(default_factory=dict)
    notes: str = ""
    check_measure: Callable[[dict, int, bool], dict] | None = None
    results_dir: Path = RESULTS

    def parser(self) -> argparse.ArgumentParser:
        """The common command line."""
        ap = argparse.ArgumentParser(
            description=self.doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        ap.add_argument("--seeds", type=int, default=self.seeds, help="seeds 0..N-1 per row")
        ap.add_argument(
            "--first-seed", type=int, default=0, help="start at this seed (add seeds to a committed run)"
        )
        ap.add_argument("--only", nargs="+", help="run only these rows (names)")
        ap.add_argument("--dry-run", action="store_true", help="one seed, tiny budgets, into --out")
        ap.add_argument(
            "--check", action="store_true", help="re-run seed 0 of the check rows (or --only rows); compare"
        )
        ap.add_argument("--out", type=Path, default=self.results_dir)
        ap.add_argument("--threads", type=int, default=1, help="torch threads (1: stable CPU times)")
        ap.add_argument(
            "--merge", nargs="+", type=Path, help="join the results of partial runs in these folders"
        )
        return ap

    def check(self, dry_run: bool = False, only: Sequence[str] | None = None) -> int:
        """Re-run seed 0 of ``check_rows`` (or ``only``), compare with the committed CSV; 0 when all agree."""
        committed = read_csv(self.results_dir / f"{self.name}.csv")
        failures = 0
        for spec in (r for r in self.rows if r["row"] in (only or self.check_rows)):
            ref = next((r for r in committed if r["row"] == spec["row"] and r["seed"] == 0.0), None)
            if ref is None:
                print(f"FAIL {spec['row']}: no committed seed-0 row in {self.name}.csv")
                failures += 1
                continue
            got = (self.measure if only else self.check_measure or self.measure)(spec, 0, dry_run)
            for m, v in got.items():
                if m.startswith("_"):
                    continue
                if not isinstance(v, (int, float)) or m.endswith("_s") or m not in ref:
                    continue  # times and labels are not reproducible numbers
                tol, now, then = self.tolerance.get(m, 1e-6), float(v), float(ref[m])
                ok = abs(now - then) <= tol or (math.isnan(now) and math.isnan(then))
                failures += not ok
                print(
                    f"{'ok  ' if ok else 'FAIL'} {spec['row']:<28} {m:<22} committed {ref[m]:.4f} now {v:.4f}"
                )
        return 1 if failures else 0

    def main(self, argv: list[str] | None = None) -> int:
        """Run from the command line; returns the exit status."""
        args = self.parser().parse_args(argv)
        torch.set_num_threads(args.threads)
        if args.check:
            return self.check(args.dry_run, args.only)
        if args.merge:
            return self.merge(args.merge, args.out)
        rows = [r for r in self.rows if not args.only or r["row"] in args.only]
        if args.only and len(rows) != len(args.only):
            known = [r["row"] for r in self.rows]
            raise SystemExit(f"unknown rows {sorted(set(args.only) - set(known))}; known: {known}")
        seeds = [0] if args.dry_run else list(range(args.first_seed, args.first_seed + args.seeds))
        results: list[dict] = []
        sides: dict[str, list[dict]] = {}
        with Timer() as t:
            for spec in rows[:2] if args.dry_run else rows:
                for seed in seeds:
                    with Timer() as tr:
                        got = self.measure(spec, seed, args.dry_run)
                    for key in [k for k in got if k.startswith("_")]:
                        sides.setdefault(key, []).extend(
                            {"row": spec["row"], "seed": seed, **e} for e in got.pop(key)
                        )
                    results.append(
                        {"row": spec["row"], "seed": seed, **got, "cpu_s": round(tr.cpu_seconds, 1)}
                    )
                    print(results[-1], flush=True)
        command = "python benchmarks/" + Path(sys.argv[0]).name + " " + " ".join(argv or sys.argv[1:])
        self.write(args.out, results, sides, [command.strip()], t.cpu_seconds)
        return 0

    def write(
        self, out: Path, results: list[dict], sides: dict[str, list[dict]], commands: list[str], cpu_s: float
    ):
        """Write ``<name>.csv``, the side tables and ``<name>.md`` into ``out``."""
        out.mkdir(parents=True, exist_ok=True)
        write_csv(results, out / f"{self.name}.csv")
        for key, entries in sides.items():
            write_csv(entries, out / f"{self.name}{key}.csv")
        intro = self.doc.strip().split("\n\n")[0]
        table = markdown(summarise(results, ["row"], self.metrics))
        text = f"# {intro}\n\n{header(' && '.join(commands), cpu_s)}\n\n{table}\n"
        (out / f"{self.name}.md").write_text(text + (f"\n{self.notes.strip()}\n" if self.notes else ""))

    def merge(self, parts: Sequence[Path], out: Path) -> int:
        """Join partial runs (each folder holds this benchmark's CSV and Markdown) in row order."""
        order = {r["row"]: i for i, r in enumerate(self.rows)}
        results, sides, commands, cpu_s = [], {}, [], 0.0
        for part in parts:
            results += read_csv(part / f"{self.name}.csv")
            for path in sorted(part.glob(f"{self.name}_*.csv")):
                sides.setdefault(path.stem[len(self.name) :], []).extend(read_csv(path))
            for line in (part / f"{self.name}.md").read_text().splitlines():
                if line.startswith("Command: `"):
                    commands.append(line.split("`")[1])
                if line.startswith("CPU time: "):
                    cpu_s += float(line.split()[2])
        results.sort(key=lambda r: (order.get(r["row"], len(order)), r["seed"]))
        for r in results:
            r["seed"] = int(r["seed"])
        self.write(out, results, sides, commands, cpu_s)
        return 0

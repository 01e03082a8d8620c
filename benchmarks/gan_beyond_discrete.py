"""Discrete sequences: MLE vs three GAN gradient estimators on Dyck-2 strings, several seeds.

Writes ``gan_beyond_discrete.csv`` and ``gan_beyond_discrete.md`` (mean ± std over seeds of
the share of valid samples, diversity = distinct valid / samples, and coverage of the language).

    python benchmarks/gan_beyond_discrete.py --seeds 3                              # 300 steps, ~1 CPU-min
    python benchmarks/gan_beyond_discrete.py --seeds 3 --steps 1500 --tag _1500     # ~5 CPU-min
    python benchmarks/gan_beyond_discrete.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from course_lib.gan_sequences import (
    TokenGANConfig,
    TokenGenerator,
    dyck_dataset,
    sample_strings,
    token_discriminator,
    train_mle,
    train_token_gan,
    validity_and_diversity,
)

METHODS = ("mle", "gumbel", "st", "reinforce")


def run(method: str, seed: int, steps: int, length: int, n_samples: int) -> dict:
    cfg = TokenGANConfig(length=length, steps=steps, seed=seed)
    data = dyck_dataset(5000, length, seed=100 + seed)
    torch.manual_seed(seed)  # parameter initialisation
    gen = TokenGenerator(cfg)
    t0 = time.process_time()
    if method == "mle":
        train_mle(gen, data, cfg)
    else:
        train_token_gan(gen, token_discriminator(cfg), data, method, cfg)
    cpu = time.process_time() - t0
    scores = validity_and_diversity(sample_strings(gen, n_samples, seed=1000 + seed))
    return {"method": method, "seed": seed, "steps": steps, "cpu_s": round(cpu, 1), **scores}


def _mean_std(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {sd:.3f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--length", type=int, default=8)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--dry-run", action="store_true", help="one seed, a few steps (smoke test)")
    p.add_argument("--tag", default="", help="suffix of the result files (e.g. a longer run)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)  # benchmark script: be frugal on a shared machine
    if a.dry_run:
        a.seeds, a.steps, a.samples = 1, 5, 50
    rows = [run(m, s, a.steps, a.length, a.samples) for s in range(a.seeds) for m in METHODS]
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / f"gan_beyond_discrete{a.tag}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [
        "# Discrete GANs vs MLE on Dyck-2 strings",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, 1 torch thread",
        f"- command: `python benchmarks/gan_beyond_discrete.py {' '.join(sys.argv[1:])}`",
        f"- {a.seeds} seeds, {a.steps} steps, length {a.length}, {a.samples} samples per model",
        "",
        "| method | valid | diversity | coverage | CPU s |",
        "|---|---|---|---|---|",
    ]
    for m in METHODS:
        sel = [r for r in rows if r["method"] == m]
        cells = [f"{_mean_std([r[c] for r in sel])}" for c in ("valid", "diversity", "coverage")]
        cpu = statistics.mean(r["cpu_s"] for r in sel)
        lines.append(f"| {m} | {' | '.join(cells)} | {cpu:.1f} |")
    (a.out / f"gan_beyond_discrete{a.tag}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

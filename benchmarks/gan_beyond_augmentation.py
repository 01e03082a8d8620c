"""GAN data augmentation: 8x8 digit classifier trained on 10 % of the training images, with and
without class-conditional GAN samples and/or classic shift augmentation, several seeds.

Writes ``gan_beyond_augmentation.csv`` and ``gan_beyond_augmentation.md`` (test accuracy,
mean ± std over seeds). Each seed draws its own labelled subset, trains its own conditional GAN
on that subset only, and every classifier gets the same number of updates.

    nice -n 10 python benchmarks/gan_beyond_augmentation.py         # full run (~2 CPU-min on an idle core)
    python benchmarks/gan_beyond_augmentation.py --dry-run --out /tmp/x
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

from course_lib.data import load_digits_images
from course_lib.gan_sequences import (
    CondDiscriminator,
    CondGANConfig,
    CondGenerator,
    accuracy,
    fit_classifier,
    labelled_subset,
    sample_conditional,
    shift_augment,
    train_cond_gan,
)

CONDITIONS = ("none", "classic", "gan", "gan+classic")


def run_seed(seed: int, fraction: float, gan_steps: int, clf_steps: int, per_class: int) -> list[dict]:
    d = load_digits_images()
    idx = labelled_subset(d.y_train, fraction, seed)
    x, y = d.x_train[idx], d.y_train[idx]
    cfg = CondGANConfig(steps=gan_steps, seed=seed)
    torch.manual_seed(seed)
    gen, disc = CondGenerator(cfg), CondDiscriminator(cfg)
    t0 = time.process_time()
    train_cond_gan(gen, disc, x, y, cfg)
    gan_cpu = time.process_time() - t0
    xg, yg = sample_conditional(gen, per_class, seed=seed)

    def aug(b: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        return shift_augment(b, 1, generator=g)

    options = {
        "none": {},
        "classic": {"augment": aug},
        "gan": {"extra": (xg, yg)},
        "gan+classic": {"extra": (xg, yg), "augment": aug},
    }
    rows = []
    for name in CONDITIONS:
        model = fit_classifier(x, y, seed=seed, steps=clf_steps, **options[name])
        rows.append(
            {
                "condition": name,
                "seed": seed,
                "labelled": len(x),
                "gan_samples": len(xg) if "gan" in name else 0,
                "test_acc": accuracy(model, d.x_test, d.y_test),
                "gan_cpu_s": round(gan_cpu, 1),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--fraction", type=float, default=0.1)
    p.add_argument("--gan-steps", type=int, default=1000)
    p.add_argument("--clf-steps", type=int, default=300)
    p.add_argument("--per-class", type=int, default=50, help="GAN samples added per class")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--dry-run", action="store_true", help="one seed, a few steps (smoke test)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)  # benchmark script: be frugal on a shared machine
    if a.dry_run:
        a.seeds, a.gan_steps, a.clf_steps, a.per_class = 1, 5, 5, 2
    rows = [r for s in range(a.seeds) for r in run_seed(s, a.fraction, a.gan_steps, a.clf_steps, a.per_class)]
    a.out.mkdir(parents=True, exist_ok=True)
    with open(a.out / "gan_beyond_augmentation.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    lines = [
        "# GAN data augmentation on 8x8 digits (10 % labelled)",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, 1 torch thread",
        f"- command: `python benchmarks/gan_beyond_augmentation.py {' '.join(sys.argv[1:])}`",
        f"- {a.seeds} seeds, {rows[0]['labelled']} labelled images, conditional GAN "
        f"{a.gan_steps} steps, {a.per_class} GAN samples per class, {a.clf_steps} classifier updates",
        "",
        "| condition | test accuracy (mean ± std) | min | max |",
        "|---|---|---|---|",
    ]
    for c in CONDITIONS:
        acc = [r["test_acc"] for r in rows if r["condition"] == c]
        sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
        lines.append(f"| {c} | {statistics.mean(acc):.3f} ± {sd:.3f} | {min(acc):.3f} | {max(acc):.3f} |")
    (a.out / "gan_beyond_augmentation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Train the CPU-sized WaveGAN on FSDD training clips and save its generator checkpoint.

Writes ``benchmarks/checkpoints/gan_beyond_wavegan.pt`` (its SHA-256 goes into
``course_lib.gan_sequences.WAVEGAN_SHA256``) and ``gan_beyond_wavegan.md`` (settings, losses,
CPU time). The budget is a wall-clock/CPU limit, not a number of steps a paper would use.

    nice -n 10 python benchmarks/gan_beyond_wavegan.py                 # full run (~2 CPU-min)
    python benchmarks/gan_beyond_wavegan.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import torch

from course_lib.data import load_fsdd
from course_lib.gan_sequences import (
    WaveGANConfig,
    WaveGANDiscriminator,
    WaveGANGenerator,
    prepare_fsdd_clips,
    save_wavegan,
    train_wavegan,
)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cpu-seconds", type=float, default=100.0, help="stop training after this CPU time")
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--d-steps", type=int, default=2)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument(
        "--checkpoint", type=Path, default=Path(__file__).parent / "checkpoints" / "gan_beyond_wavegan.pt"
    )
    p.add_argument("--dry-run", action="store_true", help="tiny model, 2 steps, checkpoint into --out")
    a = p.parse_args(argv)
    torch.set_num_threads(1)  # benchmark script: be frugal on a shared machine
    cfg = WaveGANConfig(width=a.width)
    ds = load_fsdd("train")
    n_clips = 8 if a.dry_run else len(ds)
    waves = [ds[i][0] for i in range(n_clips)]
    if a.dry_run:
        cfg, a.cpu_seconds = WaveGANConfig.tiny(), 1.0
        a.checkpoint = a.out / "gan_beyond_wavegan_dry.pt"
    clips = prepare_fsdd_clips(waves, cfg.length)
    torch.manual_seed(0)
    gen, disc = WaveGANGenerator(cfg), WaveGANDiscriminator(cfg, torch.Generator().manual_seed(1))
    t0 = time.process_time()
    steps, chunk, d_hist, g_hist = 0, 25, [], []
    while time.process_time() - t0 < a.cpu_seconds:
        h = train_wavegan(
            gen, disc, clips, steps=2 if a.dry_run else chunk, batch_size=a.batch_size,
            d_steps=a.d_steps, lr=a.lr, seed=steps,
        )  # fmt: skip
        steps += len(h["g_loss"])
        d_hist += h["d_loss"]
        g_hist += h["g_loss"]
        print(f"step {steps}: critic loss {sum(h['d_loss']) / len(h['d_loss']):.3f}", flush=True)
        if a.dry_run:
            break
    cpu = time.process_time() - t0
    sha = save_wavegan(gen, a.checkpoint)
    a.out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# WaveGAN on FSDD (CPU-sized)",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, 1 torch thread",
        f"- command: `python benchmarks/gan_beyond_wavegan.py {' '.join(sys.argv[1:])}`",
        f"- config: {cfg}, batch {a.batch_size}, {a.d_steps} critic steps per generator step, Adam lr {a.lr}",
        f"- training clips: {len(clips)}; generator steps: {steps}; CPU seconds: {cpu:.0f}",
        f"- final critic loss (mean of last 25 steps): {sum(d_hist[-25:]) / len(d_hist[-25:]):.3f}",
        f"- checkpoint: `{a.checkpoint.name}`, sha256 `{sha}`",
    ]
    name = "gan_beyond_wavegan_dry.md" if a.dry_run else "gan_beyond_wavegan.md"
    (a.out / name).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

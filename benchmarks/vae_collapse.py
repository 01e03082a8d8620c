"""β sweep and posterior-collapse remedies of the VAE chapter, over several seeds.

For each seed: VAEs (8 latents, MLP decoder, discretised logistic) trained with
β in {0.5, 1, 2, 4, 8}, and the β = 4 model retrained with KL warm-up (first half of training)
and with free bits (0.5 nat per dimension). Test-set rate, distortion, ELBO and active units
(nats per image). Writes ``vae_collapse.csv`` and ``vae_collapse.md`` (mean ± std over seeds).

    python benchmarks/vae_collapse.py                 # full run (3 seeds, 30 epochs)
    python benchmarks/vae_collapse.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from course_lib.data import load_digits_images
from course_lib.vae import VAE, TrainConfig, VAEConfig, active_units, elbo, train_vae


def run(seeds: list[int], epochs: int, n_train: int | None) -> list[dict]:
    data = load_digits_images()
    x_train = data.x_train if n_train is None else data.x_train[:n_train]
    x_test = data.x_test
    cfg = VAEConfig(z_dim=8, hidden=128)
    steps = epochs * -(-len(x_train) // 64)
    variants = [(f"beta={b:g}", dict(beta=b)) for b in (0.5, 1.0, 2.0, 4.0, 8.0)]
    variants += [
        ("beta=4 + warm-up", dict(beta=4.0, warmup_steps=steps // 2)),
        ("beta=4 + free bits 0.5", dict(beta=4.0, free_bits=0.5)),
    ]
    rows = []
    for seed in seeds:
        for name, kw in variants:
            torch.manual_seed(seed)
            model = VAE(cfg)
            t0 = time.process_time()
            train_vae(model, x_train, TrainConfig(epochs=epochs, batch_size=64, lr=2e-3, **kw), seed=seed)
            with torch.no_grad():
                t = elbo(model, x_test, generator=torch.Generator().manual_seed(0))
            rows.append(
                {
                    "variant": name,
                    "seed": seed,
                    "rate": t.kl.mean().item(),
                    "distortion": -t.rec.mean().item(),
                    "elbo": t.elbo.mean().item(),
                    "active_units": active_units(model, x_test)[0],
                    "cpu_s": time.process_time() - t0,
                }
            )
            print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--dry-run", action="store_true", help="1 seed, 1 epoch, 128 images (smoke test)")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: stable CPU-time figures)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    seeds = [0] if args.dry_run else list(range(args.seeds))
    epochs = 1 if args.dry_run else args.epochs
    rows = run(seeds, epochs, 128 if args.dry_run else None)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "vae_collapse.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    )
    lines = [
        "# VAE: beta sweep and collapse remedies (test set, nats per image)",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine}",
        f"- command: `python {' '.join(sys.argv)}`",
        f"- seeds: {seeds}, epochs: {epochs} (batch 64, Adam 2e-3); scaled down from the papers' settings",
        "",
        "| variant | rate | distortion | ELBO | active units (of 8) |",
        "|---|---|---|---|---|",
    ]

    def stat(name: str, key: str) -> str:
        vals = [r[key] for r in rows if r["variant"] == name]
        sd = statistics.stdev(vals) if len(vals) > 1 else float("nan")
        return f"{statistics.mean(vals):.2f} ± {sd:.2f}"

    for name in dict.fromkeys(r["variant"] for r in rows):
        cells = " | ".join(stat(name, k) for k in ("rate", "distortion", "elbo", "active_units"))
        lines.append(f"| {name} | {cells} |")
    (args.out / "vae_collapse.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

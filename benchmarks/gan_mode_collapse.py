"""Mode collapse on the VEEGAN 2-D mixtures: GAN stabilisers compared on one benchmark.

Each method trains the same MLP generator/discriminator (``course_lib.gan``) on the 8-mode ring
or the 25-mode grid, then draws 2,500 samples and counts modes captured and the share of
high-quality samples (within 3 standard deviations of a mode; ``course_lib.metrics.mode_coverage``),
the protocol of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018).

Scaled down from the papers to fit a laptop CPU: a fixed budget of ``--steps`` discriminator
updates (default 600; one generator update each, or one per 5 critic updates for WGAN-GP) per
run, batch 128, 3 seeds. Datasets and seeds can run in parallel processes, e.g.

    for d in ring grid; do for s in 0 1 2; do
      nice -n 10 python benchmarks/gan_mode_collapse.py --dataset $d --seeds $s & done; done

Each run appends to ``gan_mode_collapse_<dataset>_seed<seed>.csv`` (one row per method; a
restarted run skips what is done) and then rebuilds ``gan_mode_collapse.csv`` / ``.md`` (mean ± std
over seeds) from all such files present in ``--out``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import torch

from course_lib.data import grid_mixture, ring_mixture
from course_lib.gan import GANTrainConfig, MLPConfig, MLPDiscriminator, MLPGenerator, sample, train_gan
from course_lib.metrics import mode_coverage

# method name -> (network options, training options). Every BCE variant uses the same Adam
# settings (lr 1e-3, betas (0.5, 0.999), linear decay to 0); WGAN-GP uses its paper's settings.
METHODS: dict[str, tuple[dict, dict]] = {
    "GAN (saturating loss)": ({}, {"saturating": True}),
    "GAN (non-saturating loss)": ({}, {}),
    "+ one-sided label smoothing 0.1": ({}, {"label_smoothing": 0.1}),
    "+ instance noise 0.1, annealed": ({}, {"instance_noise": 0.1}),
    "+ minibatch discrimination": ({"minibatch_kernels": 16}, {}),
    "+ replay of old fakes": ({}, {"replay": 4096}),
    "+ spectral normalisation": ({"spectral_norm": True}, {}),
    "+ two timescales (lr_G 1e-4, lr_D 4e-4)": ({}, {"lr_g": 1e-4, "lr_d": 4e-4}),
    "+ packing (PacGAN4)": ({"pack": 4}, {}),
    "WGAN-GP (λ=10, 5 critic steps, Adam 1e-4, (0.5, 0.9))": (
        {},
        {"loss": "wgan-gp", "d_steps": 5, "lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.5, 0.9), "lr_decay": False},
    ),
}

# Published (modes, HQ %) from VEEGAN (Srivastava et al. 2017, table 1) and PacGAN (Lin et al.
# 2018, table 2); their networks, batch sizes and training lengths differ from ours.
PUBLISHED = {
    "ring": "VEEGAN paper: GAN 1 / 99.3 %, Unrolled GAN 7.6 / 35.6 %, VEEGAN 8 / 52.9 %; "
    "PacGAN paper: GAN 6.3 / 98.2 %, PacGAN2 7.9 / 95.6 %",
    "grid": "VEEGAN paper: GAN 3.3 / 0.5 %, VEEGAN 24.6 / 40 %; "
    "PacGAN paper: GAN 17.3 / 94.8 %, PacGAN4 24.8 / 93.6 %",
}
DATASETS = {"ring": (ring_mixture, 0.01), "grid": (grid_mixture, 0.05)}


def run_one(dataset: str, method: str, seed: int, steps: int) -> dict:
    make, std = DATASETS[dataset]
    data, centers = make(50_000, seed=1000 + seed)
    net_opts, train_opts = METHODS[method]
    torch.manual_seed(seed)
    cfg = MLPConfig(**net_opts)
    gen, disc = MLPGenerator(cfg), MLPDiscriminator(cfg)
    train = {"steps": steps, "batch_size": 128, "lr_decay": True, "seed": seed, **train_opts}
    # equal budget of discriminator updates: with d_steps critic steps per generator step,
    # run steps // d_steps generator steps
    train["steps"] = max(1, steps // train.get("d_steps", 1))
    c0 = time.process_time()
    hist = train_gan(gen, disc, data, GANTrainConfig(**train))
    cpu = time.process_time() - c0
    modes, hq = mode_coverage(sample(gen, 2500, seed=10_000 + seed), centers, std)
    return {
        "dataset": dataset,
        "method": method,
        "seed": seed,
        "steps": train["steps"],
        "modes": modes,
        "hq_percent": round(100 * hq, 2),
        "wall_s": round(hist.seconds, 2),
        "cpu_s": round(cpu, 2),
    }


def summarise(out: Path, command: str) -> None:
    rows = []
    for part in sorted(out.glob("gan_mode_collapse_*_seed*.csv")):
        with part.open() as f:
            rows += list(csv.DictReader(f))
    unique = {(r["dataset"], r["method"], r["seed"]): r for r in reversed(rows)}  # first row wins
    rows = list(unique.values())
    if not rows:
        return
    summary = []
    for dataset in ("ring", "grid"):
        for method in METHODS:
            rs = [r for r in rows if r["dataset"] == dataset and r["method"] == method]
            if not rs:
                continue
            keys = ("modes", "hq_percent", "wall_s", "cpu_s")
            t = {k: torch.tensor([float(r[k]) for r in rs]) for k in keys}
            sd = lambda v: float(v.std()) if len(v) > 1 else 0.0  # noqa: E731
            summary.append(
                {
                    "dataset": dataset,
                    "method": method,
                    "seeds": len(rs),
                    "g_steps": rs[0]["steps"],
                    "modes_mean": round(float(t["modes"].mean()), 2),
                    "modes_std": round(sd(t["modes"]), 2),
                    "hq_percent_mean": round(float(t["hq_percent"].mean()), 1),
                    "hq_percent_std": round(sd(t["hq_percent"]), 1),
                    "wall_s_mean": round(float(t["wall_s"].mean()), 1),
                    "cpu_s_mean": round(float(t["cpu_s"].mean()), 1),
                }
            )
    with (out / "gan_mode_collapse.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(summary[0]))
        w.writeheader()
        w.writerows(summary)
    lines = [
        "# GAN stabilisers on the 2-D mixtures (mode counting, VEEGAN protocol)",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared), "
        f"torch {torch.__version__}, one thread per run",
        f"- command of the last process that wrote this file: `{command}`; the full table comes from "
        "the loop in the script's docstring (datasets ring, grid × seeds 0, 1, 2)",
        "- 2,500 samples per run; a mode is captured if a sample lies within 3σ of it; "
        "HQ = share of samples within 3σ of some mode. Mean ± std over seeds.",
        "- wall time is dominated by sharing the machine's 2 cores with many other jobs; CPU time "
        "(one thread) is the better measure of cost.",
        "",
    ]
    for dataset in ("ring", "grid"):
        part = [s for s in summary if s["dataset"] == dataset]
        if not part:
            continue
        k = 8 if dataset == "ring" else 25
        lines += [
            f"## {dataset} ({k} modes)",
            "",
            "| method | seeds | generator steps | modes captured | HQ % | wall s / run | CPU s / run |",
            "|---|---|---|---|---|---|---|",
        ]
        for s in part:
            lines.append(
                f"| {s['method']} | {s['seeds']} | {s['g_steps']} "
                f"| {s['modes_mean']:.1f} ± {s['modes_std']:.1f} "
                f"| {s['hq_percent_mean']:.1f} ± {s['hq_percent_std']:.1f} "
                f"| {s['wall_s_mean']:.1f} | {s['cpu_s_mean']:.1f} |"
            )
        lines += ["", f"Published (their settings): {PUBLISHED[dataset]}.", ""]
    (out / "gan_mode_collapse.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", choices=["ring", "grid", "both"], default="both")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds to run")
    p.add_argument("--steps", type=int, default=600, help="generator updates per run")
    p.add_argument("--methods", type=int, nargs="+", default=None, help="indices into METHODS (default: all)")
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--dry-run", action="store_true", help="3 steps, 1 seed: a smoke test")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # tiny MLPs: one thread avoids spinning on a shared machine
    if args.dry_run:
        args.seeds, args.steps = [0], 5
    args.out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/gan_mode_collapse.py " + " ".join(argv if argv is not None else sys.argv[1:])
    datasets = ["ring", "grid"] if args.dataset == "both" else [args.dataset]
    fields = ["dataset", "method", "seed", "steps", "modes", "hq_percent", "wall_s", "cpu_s"]
    for dataset in datasets:
        for seed in args.seeds:
            # one file per (dataset, seed), appended after every run: an interrupted benchmark
            # resumes where it stopped, and seeds can run in parallel processes
            part = args.out / f"gan_mode_collapse_{dataset}_seed{seed}.csv"
            done = set()
            if part.exists():
                with part.open() as f:
                    done = {r["method"] for r in csv.DictReader(f) if int(r["steps"]) > 0}
            else:
                with part.open("w", newline="") as f:
                    csv.DictWriter(f, fieldnames=fields).writeheader()
            names = list(METHODS)
            chosen = names if args.methods is None else [names[i] for i in args.methods]
            for method in chosen:
                if method in done:
                    continue
                r = run_one(dataset, method, seed, args.steps)
                with part.open("a", newline="") as f:
                    csv.DictWriter(f, fieldnames=fields).writerow(r)
                print(
                    f"{dataset:4s} seed {seed} {method:55s} modes {r['modes']:2d} "
                    f"HQ {r['hq_percent']:5.1f} % ({r['cpu_s']:.1f} s CPU)",
                    flush=True,
                )
    summarise(args.out, command)


if __name__ == "__main__":
    main()

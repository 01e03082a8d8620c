"""AmbientGAN on the 8-mode ring: learning the clean mixture from noisy or incomplete observations.

The experiment of chapters/gan_beyond/02_noisy_data_and_augmentation, over seeds. Seed k draws
4,000 clean samples of 8 Gaussians on the unit circle (std 0.02, data seed 1000 + k) and corrupts
them once (seed 2000 + k) with additive Gaussian noise (std 0.05) or with coordinate dropout (each
coordinate zeroed with probability 0.3). A plain GAN is trained on the clean samples, on the noisy
observations and on the dropout observations; AmbientGAN (``course_lib.gan_beyond.MeasuredGenerator``)
on the two kinds of observations, with the same measurement applied to its generator's output
(fresh draws, seed 3000 + k). Every generator is scored against the **clean** mixture with
``course_lib.metrics.mode_report`` (2,500 samples, seed 10,000 + k) and two distances to the
nearest clean centre: their root mean square (``spread``, dominated by the few samples between
modes) and their median (``median_dist``, the width of the modes: 1.18 std for a 2-D Gaussian).
Reference rows are scored by the same code without training: the clean samples, the noisy and
the dropout observations, uniform noise over the bounding box, and every sample from one mode.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/gan_beyond_ambient.py   # 5 seeds, ~11 CPU-minutes
    python benchmarks/gan_beyond_ambient.py --only "AmbientGAN on noisy data" --seeds 1
    python benchmarks/gan_beyond_ambient.py --check                        # re-run the check rows
    python benchmarks/gan_beyond_ambient.py --dry-run --out /tmp/x         # smoke test
"""

from __future__ import annotations

from dataclasses import replace

import torch
from _runner import Benchmark

from course_lib.data import ring_mixture
from course_lib.gan import GANTrainConfig, MLPConfig, build_gan, sample, train_gan
from course_lib.gan_beyond import MeasuredGenerator, Measurement, centre_distances
from course_lib.metrics import mode_report
from course_lib.utils import make_generator

STD, NOISE, DROP = 0.02, 0.05, 0.3  # ring components; noise std; drop probability
N_DATA, N_SAMPLES = 4000, 2500
MEASUREMENTS = {"noisy": ("noise", NOISE), "dropout": ("dropout", DROP)}
# The GAN chapter's recipe for the mixtures (benchmarks/gan_mode_collapse.py, its "base" row): the
# default MLPs of course_lib.gan, non-saturating loss, batch 256, Adam betas (0.5, 0.999), two
# time-scale learning rates lr_G = 2e-4, lr_D = 1e-3, decayed linearly to 0 over 8,000 generator
# updates, data divided by its standard deviation (samples are mapped back before scoring; the
# measurement's noise std is divided by the same scale).
TRAIN = GANTrainConfig(steps=8000, batch_size=256, lr=2e-4, lr_d=1e-3, lr_decay=True)
TRAINED = {  # row -> (training data, AmbientGAN?)
    "GAN on clean data": ("clean", False),
    "GAN on noisy data": ("noisy", False),
    "AmbientGAN on noisy data": ("noisy", True),
    "GAN on dropout data": ("dropout", False),
    "AmbientGAN on dropout data": ("dropout", True),
}
REFERENCES = {  # row -> what is scored
    "reference: clean samples": "clean",
    "reference: noisy observations": "noisy",
    "reference: dropout observations": "dropout",
    "reference: uniform noise over the bounding box": "uniform",
    "reference: one mode": "one mode",
}
ROWS = [{"row": r} for r in [*TRAINED, *REFERENCES]]

PROBING = [
    "the noise does not merge the modes: a noisy component has std (0.02² + 0.05²)^½ = 0.054 and "
    "neighbouring centres are 0.77 apart (14 of those std), so the noisy data still show 8 separate "
    "modes; only 46 % of the noisy points lie within 3 clean std (0.06) of a centre",
    "the chapter's first recipe (equal learning rates 1e-3, the GAN default, no decay, batch 128, "
    "1,500 steps, raw data; seeds 0-2): both collapse, the plain GAN on noisy data to 1 / 0 / 0 modes "
    "(HQ 0.9 / 0 / 0 %) and AmbientGAN to 1 / 0 / 0 modes (HQ 4.7 / 0 / 0 %), one blob 0.2-0.5 from "
    "the nearest centre. Equal rates collapse AmbientGAN with this table's recipe too (lr_D = lr_G = "
    "2e-4, 8,000 steps, seeds 0-1: 1 and 0 modes)",
    "two time-scales (lr_G 2e-4, lr_D 1e-3, 2 discriminator steps, decay, batch 128, raw data, "
    "3,000 steps; seeds 0-2): no collapse, 8/8 modes in every run, but little between the rows: HQ "
    "69 / 68 / 74 % for AmbientGAN, 62 / 54 / 62 % for the plain GAN on noisy data, 74 / 70 / 78 % "
    "for the plain GAN on clean data; spread 0.11-0.13 for all three (samples between modes "
    "dominate it). The same at batch 256, 1 discriminator step, standardised data, 3,000 steps "
    "(seeds 0-1): AmbientGAN HQ 73 / 67 %, median distance 0.022 / 0.029",
    "training length is what was missing: this table's recipe (8,000 steps), seeds 0-2: AmbientGAN "
    "HQ 92 / 86 / 90 %, median distance 0.011-0.016; the plain GAN on noisy data HQ 70 / 63 / 72 %, "
    "median distance 0.041-0.048. Without standardisation (8,000 steps, seeds 0-1): AmbientGAN HQ "
    "92 / 90 %; with batch 128 and 2 discriminator steps: 88 / 87 %",
    "on standardised data the measurement's noise must be divided by the same scale (0.71): "
    "with the raw 0.05 (too little noise in standardised units), AmbientGAN's modes come out wider "
    "(seeds 0-1: median distance 0.027 / 0.024, HQ 84 / 84 %)",
]
NOTES = "\n".join(
    [
        "2,500 samples per run, all scored against the clean mixture (std 0.02): `modes` = modes with a "
        "sample within 3 std (0.06) of the centre (VEEGAN); `modes_fair` = modes holding at least half a "
        "fair share (156 samples); `hq_percent` = share of samples within 3 std of some centre; `kl` = "
        "KL divergence (nats) of the HQ samples' mode histogram from uniform (log 8 = 2.08 for one mode); "
        "`min_count` = the fewest HQ samples of any mode; `spread` = root-mean-square distance to the "
        "nearest clean centre; `median_dist` = its median (0.0235 for the clean mixture, 0.064 for the "
        "noisy observations, whose components have std (0.02² + 0.05²)^½ = 0.054). A perfect plain GAN "
        "on the noisy data would score like the noisy observations, a perfect AmbientGAN like the clean "
        "samples. `modes_fair` counts HQ samples only, so wide modes fail it: the noisy observations "
        "themselves rarely hold a fair share within 0.06 of a centre. Under dropout a point that lost a "
        "coordinate lies on an axis, far from most centres, but the 4 centres on the axes keep such "
        "points (their dropped coordinate was already near 0); so the plain GAN on dropout data fills "
        "the axes and the origin and favours those 4 modes. "
        "`benchmarks/results/gan_beyond_ambient_curve.csv` holds 16 evaluations during each training run "
        "(the clean generator G, scored as in the table).",
        "",
        "Probing runs (before the table):",
        "",
        *[f"- {p}" for p in PROBING],
    ]
)


def score(x: torch.Tensor, centers: torch.Tensor) -> dict[str, float]:
    """``mode_report`` against the clean mixture (HQ in %), the spread and the median distance."""
    rep = mode_report(x, centers, STD)
    return {
        **{k: round(v, 4) for k, v in rep.items() if k != "hq"},
        "hq_percent": round(100 * rep["hq"], 2),
        **{k: round(v, 4) for k, v in centre_distances(x, centers).items()},
    }


def datasets(seed: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Seed ``seed``'s clean samples and their two corrupted versions, and the clean centres."""
    clean, centers = ring_mixture(N_DATA, std=STD, seed=1000 + seed)
    data = {"clean": clean}
    for name, (kind, p) in MEASUREMENTS.items():
        data[name] = Measurement(kind, p, seed=2000 + seed)(clean)
    return data, centers


def reference_samples(
    what: str, data: dict[str, torch.Tensor], centers: torch.Tensor, seed: int
) -> torch.Tensor:
    """The untrained answers: the data themselves, uniform noise over the clean box, one mode."""
    g = make_generator(20_000 + seed)
    if what in data:
        return data[what][torch.randperm(N_DATA, generator=g)[:N_SAMPLES]]
    if what == "uniform":
        lo, hi = data["clean"].min(0).values, data["clean"].max(0).values
        return lo + (hi - lo) * torch.rand(N_SAMPLES, 2, generator=g)
    return centers[0] + STD * torch.randn(N_SAMPLES, 2, generator=g)


def measure(row: dict, seed: int, dry_run: bool) -> dict:
    """Train one generator on one seed's data (or score a reference) against the clean mixture."""
    data, centers = datasets(seed)
    name = row["row"]
    if name in REFERENCES:
        return {"steps": 0, **score(reference_samples(REFERENCES[name], data, centers, seed), centers)}
    source, ambient = TRAINED[name]
    train_data = data[source]
    scale = float(train_data.std())  # train on standardised data; the noise std scales with it
    gen, disc = build_gan(MLPConfig(), seed=seed)
    trained = gen
    if ambient:
        kind, p = MEASUREMENTS[source]
        trained = MeasuredGenerator(gen, Measurement(kind, p, seed=3000 + seed).rescaled(scale))
    steps = 8 if dry_run else TRAIN.steps

    def evaluate(_: torch.nn.Module, step: int) -> dict:  # always the clean generator G
        return score(sample(gen, N_SAMPLES, seed=10_000 + seed) * scale, centers)

    config = replace(TRAIN, steps=steps, seed=seed, eval_every=max(1, steps // 16), evaluate=evaluate)
    hist = train_gan((trained, disc), train_data / scale, config)
    curve = [
        {"step": step, **{k: hist.metrics[k][i][1] for k in hist.metrics}}
        for i, (step, _) in enumerate(hist.metrics["hq_percent"])
    ]
    return {
        "steps": steps,
        **score(sample(gen, N_SAMPLES, seed=10_000 + seed) * scale, centers),
        "_curve": curve,
    }


BENCH = Benchmark(
    name="gan_beyond_ambient",
    doc=__doc__,
    rows=ROWS,
    measure=measure,
    metrics=["modes", "modes_fair", "hq_percent", "kl", "min_count", "spread", "median_dist", "cpu_s"],
    seeds=5,
    check_rows=["reference: noisy observations", "AmbientGAN on noisy data"],
    # the reference row must match exactly; the trained row to within a run-to-run wobble that a
    # different CPU or torch build can cause (identical on the machine that wrote the table)
    tolerance={
        "modes_fair": 1,
        "hq_percent": 2.0,
        "kl": 0.02,
        "min_count": 25,
        "spread": 0.005,
        "median_dist": 0.002,
    },
    notes=NOTES,
)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())

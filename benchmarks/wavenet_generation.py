"""Generation speed of WaveNet: naive, cached (PyTorch queues) and fast cached (NumPy) generation.

Rows: digit-conditioned stacks of growing depth (receptive field 16 ... 2,047 samples, the chapter's
widths R = D = 16, S = 32, untrained: speed does not depend on the weights), then the two committed
autoregressive models, ``wavenet_digits`` (20 layers, RF 2,047, a global digit label) and
``wavenet_vocoder`` (16 layers, RF 511, local 40-band mel features of a chirp). At batch 1 every row
times the three generators of :func:`course_lib.wavenet.generate`: naive (re-run the stack on the
last RF samples, ``cached=False``), cached with the per-layer queues of Paine et al. (2016) in PyTorch
(``fast=False``) and the fast path (the same queues in NumPy, past taps batched over layers, three
NumPy calls per layer: what ``generate`` uses for one sequence on the CPU); at batch 16 the PyTorch
queues. Speeds are samples per second of wall time and of CPU time (user + sys of this process),
with the load average, because the course machine is shared: under contention wall time mostly
measures the other jobs. ``real_time_factor`` = CPU seconds per second of 8 kHz audio (< 1: faster
than real time). ``same_codes``: the three generators draw identical codes over the naive run;
``same_codes_long``: fast and PyTorch-cached codes are identical over the whole cached run. Batch 1:
40 naive and 4,000 cached samples; batch 16: 1,000 samples each; cached times include priming.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/wavenet_generation.py    # ~1 CPU-min
    python benchmarks/wavenet_generation.py --check      # wavenet_digits again, ~5 s
    python benchmarks/wavenet_generation.py --dry-run --out /tmp/g
"""

from __future__ import annotations

import math
import os

import torch
from _runner import RESULTS, Benchmark

from course_lib import wavenet as wn
from course_lib.notebook import read_csv_rows
from course_lib.utils import Timer, seeded

SAMPLE_RATE = 8000
CHECK_ROW = "wavenet_digits"
#: --check: codes and sizes must match exactly; speeds within this fraction of the committed ones
#: (CPU time depends on the machine and on the other jobs sharing it)
SPEED_TOLERANCE = 0.6
SPEEDS = ["naive_samples_per_s_cpu", "cached_samples_per_s_cpu", "fast_samples_per_s_cpu"]


def timed(model: wn.WaveNet, n: int, cond: dict, seed: int, **how) -> tuple[torch.Tensor, float, float]:
    """Generate ``n`` samples per sequence; the codes, and samples per wall second and per CPU second."""
    with Timer() as t:
        codes = wn.generate(model, n, seed=seed, **cond, **how)
    return codes, codes.numel() / max(t.seconds, 1e-9), codes.numel() / max(t.cpu_seconds, 1e-9)


def model_and_conditioning(row: dict, seed: int, n: int) -> tuple[wn.WaveNet, dict, dict]:
    """The row's model and its conditioning at batch 1 and 16 (label 3 / labels 0-9; a chirp's mel)."""
    if "checkpoint" in row:
        model, _ = wn.pretrained_wavenet(row["checkpoint"])
    else:
        cfg = wn.WaveNetConfig(
            **row["stack"], residual_channels=16, gate_channels=16, skip_channels=32, n_global=10
        )
        with seeded(seed):
            model = wn.WaveNet(cfg).eval()
    if model.cfg.n_local:
        t = torch.arange(n) / SAMPLE_RATE
        mel = wn.mel_features(0.5 * torch.sin(2 * math.pi * (200 + 300 * t) * t))[None]  # (1, 40, F)
        return model, {"c": mel}, {"c": mel.expand(16, -1, -1)}
    return model, {"g": torch.tensor([3])}, {"g": torch.arange(16) % 10}


def measure(row: dict, seed: int, dry_run: bool) -> dict:
    """Naive, cached and fast cached speed of one model at batch 1, cached at batch 16; same codes."""
    n_naive, n_cached = (5, 50) if dry_run else (40, 4000)
    model, one, sixteen = model_and_conditioning(row, seed, n_cached)
    load = os.getloadavg()[0]
    a, naive_wall, naive_cpu = timed(model, n_naive, one, seed, cached=False)
    b, cached_wall, cached_cpu = timed(model, n_cached, one, seed, fast=False)
    f, fast_wall, fast_cpu = timed(model, n_cached, one, seed, fast=True)
    _, b16_wall, b16_cpu = timed(model, n_cached // 4, sixteen, seed)
    return {
        "layers": len(model.layers),
        "receptive_field": model.cfg.receptive_field,
        "naive_samples_per_s_wall": naive_wall,
        "naive_samples_per_s_cpu": naive_cpu,
        "cached_samples_per_s_wall": cached_wall,
        "cached_samples_per_s_cpu": cached_cpu,
        "fast_samples_per_s_wall": fast_wall,
        "fast_samples_per_s_cpu": fast_cpu,
        "speedup_cpu": cached_cpu / naive_cpu,
        "fast_over_cached_cpu": fast_cpu / cached_cpu,
        "cached_b16_total_samples_per_s_wall": b16_wall,
        "cached_b16_total_samples_per_s_cpu": b16_cpu,
        "cached_real_time_factor": SAMPLE_RATE / cached_cpu,
        "fast_real_time_factor": SAMPLE_RATE / fast_cpu,
        "same_codes": bool(torch.equal(a, b[:, :n_naive]) and torch.equal(a, f[:, :n_naive])),
        "same_codes_long": bool(torch.equal(b, f)),
        "load_avg_1min": load,
    }


def check_measure(row: dict, seed: int, dry_run: bool) -> dict:
    """For ``--check``: the columns compared with the committed row (no wall times, no load)."""
    got = measure(row, seed, dry_run)
    return {k: got[k] for k in ["layers", "receptive_field", "same_codes", "same_codes_long", *SPEEDS]}


def speed_tolerance() -> dict[str, float]:
    """Absolute tolerances for ``--check``: SPEED_TOLERANCE x the committed speeds of the check row."""
    path = RESULTS / "wavenet_generation.csv"
    committed = read_csv_rows(path) if path.exists() else []
    ref = next((r for r in committed if r.get("row") == CHECK_ROW and r["seed"] == 0), None)
    return {m: SPEED_TOLERANCE * float(ref[m]) for m in SPEEDS if ref and m in ref}


STACKS = [(4, 1), (6, 1), (8, 1), (10, 1), (10, 2)]
BENCH = Benchmark(
    name="wavenet_generation",
    doc=__doc__,
    rows=[
        {"row": f"RF {(2**L - 1) * n + 1}", "stack": {"layers_per_stack": L, "n_stacks": n}}
        for L, n in STACKS
    ]
    + [{"row": name, "checkpoint": name} for name in ("wavenet_digits", "wavenet_vocoder")],
    measure=measure,
    metrics=[
        "naive_samples_per_s_cpu",
        "cached_samples_per_s_cpu",
        "fast_samples_per_s_cpu",
        "fast_samples_per_s_wall",
        "cached_b16_total_samples_per_s_cpu",
        "fast_real_time_factor",
        "same_codes",
    ],
    seeds=1,
    check_rows=[CHECK_ROW],
    tolerance=speed_tolerance(),
    check_measure=check_measure,
    notes=f"""
Samples per CPU second of one thread at batch 1 (naive, cached = PyTorch queues, fast = NumPy queues),
fast also per wall second; batch 16: total samples per CPU second of the PyTorch queues;
`fast_real_time_factor`: CPU seconds per second of 8 kHz audio; `same_codes`: 1 when naive, cached and fast
generation drew identical codes (all other columns, the load average and the per-seed values: the CSV).
`--check` re-runs `{CHECK_ROW}` (seed 0): sizes and code checks must match exactly, the CPU speeds within
±{SPEED_TOLERANCE:.0%} of the committed ones.
""",
)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())

"""Generation speed of WaveNet: naive (re-run the stack on the last RF samples) vs cached.

For digit-conditioned stacks of growing depth (receptive field 16 ... 2,047 samples, the chapter's
widths, untrained: speed does not depend on the weights), it times both generators at batch 1 and
the cached one at batch 16, and checks that both give the same codes. Speeds are reported from
wall time and from CPU time (user + sys of this process), with the load average, because the
course machine is shared: under contention wall time mostly measures the other jobs. Batch 1:
40 naive and 4,000 cached samples; batch 16: 1,000 samples; cached times include priming the caches.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/wavenet_generation.py
"""

from __future__ import annotations

import os

import torch
from _runner import Benchmark

from course_lib import wavenet as wn
from course_lib.utils import Timer, seeded


def samples_per_s(
    model: wn.WaveNet, n: int, g: torch.Tensor, cached: bool
) -> tuple[torch.Tensor, float, float]:
    """Generate ``n`` samples per label; the codes, and samples per wall second and per CPU second."""
    with Timer() as t:
        codes = wn.generate(model, n, g=g, cached=cached, seed=1)
    return codes, codes.numel() / max(t.seconds, 1e-9), codes.numel() / max(t.cpu_seconds, 1e-9)


def measure(row: dict, seed: int, dry_run: bool) -> dict:
    """Naive and cached speed of one stack."""
    n_naive, n_cached = (5, 50) if dry_run else (40, 4000)
    cfg = wn.WaveNetConfig(
        **row["stack"], residual_channels=16, gate_channels=16, skip_channels=32, n_global=10
    )
    with seeded(seed):
        model = wn.WaveNet(cfg).eval()
    load = os.getloadavg()[0]
    a, naive_wall, naive_cpu = samples_per_s(model, n_naive, torch.tensor([3]), cached=False)
    b, cached_wall, cached_cpu = samples_per_s(model, n_cached, torch.tensor([3]), cached=True)
    _, b16_wall, b16_cpu = samples_per_s(model, n_cached // 4, torch.arange(16) % 10, cached=True)
    return {
        "layers": len(cfg.dilations),
        "receptive_field": cfg.receptive_field,
        "naive_samples_per_s_wall": naive_wall,
        "naive_samples_per_s_cpu": naive_cpu,
        "cached_samples_per_s_wall": cached_wall,
        "cached_samples_per_s_cpu": cached_cpu,
        "speedup_cpu": cached_cpu / naive_cpu,
        "cached_b16_total_samples_per_s_wall": b16_wall,
        "cached_b16_total_samples_per_s_cpu": b16_cpu,
        "same_codes": bool(torch.equal(a, b[:, :n_naive])),
        "load_avg_1min": load,
    }


BENCH = Benchmark(
    name="wavenet_generation",
    doc=__doc__,
    rows=[
        {
            "row": f"RF {(2**layers - 1) * stacks + 1}",
            "stack": {"layers_per_stack": layers, "n_stacks": stacks},
        }
        for layers, stacks in [(4, 1), (6, 1), (8, 1), (10, 1), (10, 2)]
    ],
    measure=measure,
    metrics=[
        "naive_samples_per_s_cpu",
        "cached_samples_per_s_cpu",
        "speedup_cpu",
        "cached_b16_total_samples_per_s_cpu",
    ],
    seeds=1,
    notes="Samples per CPU second (wall-clock figures, the load average and the code check are in the CSV).",
)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())

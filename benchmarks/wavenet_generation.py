"""Generation speed of WaveNet: naive (re-run the stack on the last RF samples) vs cached.

For stacks of growing depth (receptive field 16 ... 2,047 samples, the chapter's widths), it
times both generators at batch 1 and the cached one at batch 16, and checks that both give the
same codes. Speeds are reported from wall time and from CPU time (user + sys of this process),
with the load average, because the course machine is shared: under contention wall time
mostly measures the other jobs.

    nice -n 10 python benchmarks/wavenet_generation.py
    python benchmarks/wavenet_generation.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_lib import wavenet as wn  # noqa: E402


def timed(fn, *args, **kwargs):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w0, time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch compute threads")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--dry-run", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    depths = [(4, 1), (10, 2)] if args.dry_run else [(4, 1), (6, 1), (8, 1), (10, 1), (10, 2)]
    n_naive, n_cached = (5, 50) if args.dry_run else (40, 4000)
    rows = []
    for layers, stacks in depths:
        cfg = wn.WaveNetConfig(
            residual_channels=16,
            gate_channels=16,
            skip_channels=32,
            layers_per_stack=layers,
            n_stacks=stacks,
            n_global=10,
        )
        model = wn.WaveNet(cfg).eval()
        g1 = torch.tensor([3])
        load = os.getloadavg()[0]
        a, w_n, c_n = timed(wn.generate_naive, model, n_naive, g=g1, seed=1)
        b, w_c, c_c = timed(wn.generate_cached, model, n_cached, g=g1, seed=1)
        g16 = torch.arange(16) % 10
        _, w_16, c_16 = timed(wn.generate_cached, model, n_cached // 4, g=g16, seed=1)
        rows.append(
            {
                "layers": len(cfg.dilations),
                "receptive_field": cfg.receptive_field,
                "naive_samples_per_s_wall": n_naive / w_n,
                "naive_samples_per_s_cpu": n_naive / c_n,
                "cached_samples_per_s_wall": n_cached / w_c,
                "cached_samples_per_s_cpu": n_cached / c_c,
                "speedup_cpu": (n_naive / c_n) and (n_cached / c_c) / (n_naive / c_n),
                "cached_b16_total_samples_per_s_wall": 16 * (n_cached // 4) / w_16,
                "cached_b16_total_samples_per_s_cpu": 16 * (n_cached // 4) / c_16,
                "same_codes": bool(torch.equal(a, b[:, :n_naive])),
                "load_avg_1min": load,
            }
        )
        print(rows[-1], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "wavenet_generation.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cols = list(rows[0])
    lines = [
        "# wavenet_generation",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}",
        f"- command: `python benchmarks/wavenet_generation.py --threads {args.threads}`",
        f"- batch 1: {n_naive} naive and {n_cached} cached samples; batch 16: {n_cached // 4} samples"
        " per row; cached times include priming the caches",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in rows:
        lines.append(
            "| " + " | ".join(f"{v:.1f}" if isinstance(v, float) else str(v) for v in r.values()) + " |"
        )
    (args.out / "wavenet_generation.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

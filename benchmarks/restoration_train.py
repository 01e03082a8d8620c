"""Train the restoration chapter's networks and measure them against the classical baselines.

Trains on FSDD's train split (takes 5-49) with synthetic damage, evaluates on the test split
(takes 0-4, every ``--test-stride``-th file):

- ``restoration_l1.pt``: MaskNet, reconstruction (L1) loss, noises white/pink/brown at -5..15 dB;
- ``restoration_gan.pt``: the same MaskNet trained as a SEGAN-style conditional GAN
  (pair discriminator + L1);
- ``restoration_declip.pt`` and ``restoration_gaps.pt``: the same machinery on clipping and
  20 ms packet loss.

Noise types "hum" and "babble" are never seen in training. Results: ``restoration_denoise.csv``
(SI-SDR, PESQ per file-averaged condition), ``restoration_other.csv`` (declipping, gaps) and
``restoration_results.md``.

Recipe (chosen on a validation subset of the *training* speakers' files, takes 45-49, never on the
test split): reconstruction loss = waveform L1 + 0.1 x STFT-magnitude L1 + SI-SDR loss
(``train_restorer(sisdr_weight=1)``), Adam lr 2e-3 with cosine decay, batches of 16 one-second
crops. Full run: about 14 CPU-minutes (scaled down: 3000 / 2000 / 400 steps).

    nice -n 10 python benchmarks/restoration_train.py
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

from course_lib import restoration as R
from course_lib.data import load_fsdd
from course_lib.metrics import si_sdr

ROOT = Path(__file__).resolve().parents[1]


def pesq_or_nan(ref: torch.Tensor, est: torch.Tensor) -> float:
    try:
        from course_lib.metrics import pesq_nb

        return pesq_nb(ref, est.clamp(-1, 1))
    except Exception:  # missing package, or PESQ's "no utterance detected" on tiny inputs
        return float("nan")


def mean(xs: list[float]) -> float:
    xs = [x for x in xs if x == x]
    return sum(xs) / len(xs) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    ap.add_argument("--checkpoints", default=str(ROOT / "benchmarks" / "checkpoints"))
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--gan-steps", type=int, default=2000)
    ap.add_argument("--other-steps", type=int, default=400)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--sisdr-weight", type=float, default=1.0)
    ap.add_argument("--spec-weight", type=float, default=0.1)
    ap.add_argument("--test-stride", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dry-run", action="store_true", help="tiny models, a few steps, 6 test files")
    args = ap.parse_args()
    torch.set_num_threads(1)  # the course machine's cores are shared: one thread per script
    if args.dry_run:
        args.steps, args.gan_steps, args.other_steps, args.test_stride = 3, 2, 2, 50
        args.checkpoints = args.out
    out, ck = Path(args.out), Path(args.checkpoints)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    t_start = time.process_time()

    train = [w for w, _, _ in load_fsdd("train", speakers=["jackson"] if args.dry_run else None)]
    test_set = load_fsdd("test")
    test = [test_set[i][0] for i in range(0, len(test_set), args.test_stride)]
    cfg = R.MaskNetConfig.tiny() if args.dry_run else R.MaskNetConfig(channels=64, layers=5)
    common = dict(
        batch_size=args.batch_size,
        crop=8000,
        lr=args.lr,
        sisdr_weight=args.sisdr_weight,
        spec_weight=args.spec_weight,
        cosine=True,
        seed=args.seed,
    )
    hashes = {}

    def fit(name: str, damage, steps: int, gan: bool = False, mask_max: float = 1.0) -> R.MaskNet:
        c = R.MaskNetConfig(**{**cfg.__dict__, "mask_max": mask_max})
        net = R.MaskNet(c)
        disc = R.PairDiscriminator(channels=8 if args.dry_run else 16) if gan else None
        t0 = time.process_time()
        hist = R.train_restorer(net, train, damage, steps=steps, discriminator=disc, **common)
        secs = time.process_time() - t0
        hashes[name] = R.save_checkpoint(net, ck / name, steps=steps, cpu_seconds=round(secs, 1))
        print(f"{name}: {steps} steps, {secs:.0f} CPU s, final L1 {hist[-1]['l1']:.4f}", flush=True)
        return net

    seen = ("white", "pink", "brown")
    l1 = fit("restoration_l1.pt", R.noise_damage(seen), args.steps)
    gan = fit("restoration_gan.pt", R.noise_damage(seen), args.gan_steps, gan=True)
    declip_net = fit("restoration_declip.pt", R.clip_damage((0.1, 0.5)), args.other_steps, mask_max=4.0)
    gaps_net = fit("restoration_gaps.pt", R.gap_damage(0.2), args.other_steps, mask_max=4.0)

    methods = {
        "noisy": lambda x: x,
        "spectral_subtraction": R.spectral_subtraction,
        "wiener": R.wiener_filter,
        "masknet_l1": l1,
        "masknet_gan": gan,
    }
    rows = []
    with torch.no_grad():
        for kind in ("white", "babble") if args.dry_run else ("white", "pink", "hum", "babble"):
            for snr_db in (0,) if args.dry_run else (0, 5, 10):
                noisy = [R.add_noise_at_snr(w, snr_db, kind=kind, seed=1000 + i) for i, w in enumerate(test)]
                for name, fn in methods.items():
                    est = [fn(n) for n in noisy]
                    rows.append(
                        {
                            "noise": kind,
                            "seen_in_training": kind in seen,
                            "snr_db": snr_db,
                            "method": name,
                            "si_sdr_db": round(
                                mean([si_sdr(w, e).item() for w, e in zip(test, est, strict=True)]), 3
                            ),
                            "pesq_nb": round(
                                mean([pesq_or_nan(w, e) for w, e in zip(test, est, strict=True)]), 3
                            ),
                        }
                    )
                print(
                    kind, snr_db, [(r["method"], r["si_sdr_db"]) for r in rows[-len(methods) :]], flush=True
                )

        other = []
        clipped = [R.clip(w, threshold=0.2) for w in test]
        for name, fn in (
            ("clipped", lambda x: x),
            ("spline_declip", R.declip),
            ("masknet_declip", declip_net),
        ):
            est = [fn(c) for c in clipped]
            other.append(
                (
                    "clipping at 0.2 x peak",
                    name,
                    mean([si_sdr(w, e).item() for w, e in zip(test, est, strict=True)]),
                )
            )
        dropped = [R.drop_packets(w, packet_ms=20, loss_rate=0.2, seed=2000 + i) for i, w in enumerate(test)]
        for name, fn in (
            ("gaps (zeros)", lambda d, k: d),
            ("linear", lambda d, k: R.interpolate_gaps(d, k, method="linear")),
            ("pitch_repetition", lambda d, k: R.interpolate_gaps(d, k, method="pitch")),
            ("masknet_gaps", lambda d, k: torch.where(k, d, gaps_net(d))),
        ):
            est = [fn(d, k) for d, k in dropped]
            other.append(
                (
                    "20 ms packets, 20 % lost",
                    name,
                    mean([si_sdr(w, e).item() for w, e in zip(test, est, strict=True)]),
                )
            )

    cpu = time.process_time() - t_start
    fields = ["noise", "seen_in_training", "snr_db", "method", "si_sdr_db", "pesq_nb"]
    with open(out / "restoration_denoise.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, fields)
        wr.writeheader()
        wr.writerows(rows)
    with open(out / "restoration_other.csv", "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["damage", "method", "si_sdr_db"])
        wr.writerows([(d, m, round(v, 3)) for d, m, v in other])
    cmd = "python " + " ".join([os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    lines = [
        "# Restoration benchmark",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"CPU time {cpu:.0f} s",
        f"- command: `{cmd}`",
        f"- test files: {len(test)} (FSDD test split, every {args.test_stride}th)",
        f"- training: {args.steps} (L1), {args.gan_steps} (GAN), {args.other_steps} (declip, gaps) steps, "
        f"batch {args.batch_size}, lr {args.lr} cosine, SI-SDR loss weight {args.sisdr_weight}, "
        f"STFT-magnitude weight {args.spec_weight}",
        "- checkpoints (SHA-256): " + ", ".join(f"`{k}` {v}" for k, v in hashes.items()),
        "",
        "| noise | seen | SNR dB | method | SI-SDR dB | PESQ-NB |",
        "|---|---|---|---|---|---|",
        *[
            f"| {r['noise']} | {r['seen_in_training']} | {r['snr_db']} | {r['method']} | "
            f"{r['si_sdr_db']:.2f} | {r['pesq_nb']:.2f} |"
            for r in rows
        ],
        "",
        "| damage | method | SI-SDR dB |",
        "|---|---|---|",
        *[f"| {d} | {m} | {v:.2f} |" for d, m, v in other],
    ]
    (out / "restoration_results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines[:6]))
    for k, v in hashes.items():
        print(f'    "{k}": "{v}",')


if __name__ == "__main__":
    main()

"""Train the DCGAN that the VAE chapter's AE vs VAE vs GAN comparison loads.

The GAN comes from ``course_lib.gan`` (DCGANGenerator/DCGANDiscriminator, ``train_gan``,
non-saturating loss) and is trained on the training split of ``load_digits_images()`` rescaled
to [-1, 1]. Training it inside the notebook would cost more than the chapter's CPU budget, so
it is trained here once; the notebook loads the generator with
``course_lib.vae.pretrained_comparison_gan()``, which checks the checkpoint's sha256.

Writes ``<out>/vae_gan_checkpoint.md`` (settings, training time, FD/precision/recall against the
test set in the course classifier's feature space) and the generator's ``state_dict`` to
``--checkpoint``. After a full run, copy the printed sha256 into ``course_lib/vae.py``
(``COMPARISON_GAN_SHA256``).

    python benchmarks/vae_gan_checkpoint.py
    python benchmarks/vae_gan_checkpoint.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from course_lib.data import load_digits_images
from course_lib.gan import DCGANConfig, DCGANDiscriminator, DCGANGenerator, GANTrainConfig, sample, train_gan
from course_lib.metrics import frechet_distance, precision_recall, train_digit_classifier
from course_lib.vae import COMPARISON_GAN_MODEL, COMPARISON_GAN_TRAIN


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="5 steps, no classifier evaluation")
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    ap.add_argument(
        "--checkpoint", type=Path, default=None, help="default: benchmarks/checkpoints/vae_dcgan_digits.pt"
    )
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: stable CPU-time figures)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    ckpt = args.checkpoint or (
        args.out / "vae_dcgan_digits.pt"
        if args.dry_run
        else Path("benchmarks/checkpoints/vae_dcgan_digits.pt")
    )
    gan_cfg = DCGANConfig(**COMPARISON_GAN_MODEL)
    train_kw = dict(COMPARISON_GAN_TRAIN)
    if args.dry_run:
        train_kw["steps"] = 5
    data = load_digits_images()
    torch.manual_seed(train_kw["seed"])
    gen, disc = DCGANGenerator(gan_cfg), DCGANDiscriminator(gan_cfg)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    train_gan(gen, disc, data.x_train * 2 - 1, GANTrainConfig(**train_kw))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    ckpt.parent.mkdir(parents=True, exist_ok=True)
    torch.save(gen.state_dict(), ckpt)
    digest = hashlib.sha256(ckpt.read_bytes()).hexdigest()
    result = {"train_cpu_s": round(cpu, 1), "train_wall_s": round(wall, 1), "sha256": digest}
    if not args.dry_run:
        clf = train_digit_classifier(seed=0)
        with torch.no_grad():
            f_test = clf.features(data.x_test)
            f_fake = clf.features(((sample(gen, len(data.x_test), seed=1) + 1) / 2).clamp(0, 1))
        p, r = precision_recall(f_test, f_fake)
        result.update(
            fd=round(frechet_distance(f_fake, f_test), 2), precision=round(p, 3), recall=round(r, 3)
        )
    args.out.mkdir(parents=True, exist_ok=True)
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"
    )
    lines = [
        "# DCGAN for the VAE chapter's comparison (digits 8x8)",
        "",
        f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine}, torch threads {torch.get_num_threads()}",
        f"- command: `python {' '.join(sys.argv)}`",
        f"- model: {gan_cfg}; training: {train_kw}",
        f"- checkpoint: `{ckpt}` ({ckpt.stat().st_size} bytes)",
        "",
        "```json",
        json.dumps(result, indent=1),
        "```",
    ]
    (args.out / "vae_gan_checkpoint.md").write_text("\n".join(lines) + "\n")
    (args.out / "vae_gan_checkpoint.json").write_text(json.dumps(result, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

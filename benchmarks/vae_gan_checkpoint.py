"""Train the DCGAN that the VAE chapter's AE vs VAE vs GAN comparison loads.

The GAN is ``course_lib.gan``'s DCGAN (``build_gan`` + ``train_gan``: non-saturating loss, Adam 1e-3
with betas (0.5, 0.999)) trained on the training split of ``load_digits_images()`` rescaled to
[-1, 1]. Training it costs more than the chapter's CPU budget, so it is trained here once and
saved as the registered checkpoint ``vae_dcgan_digits``; the notebook loads it with
``course_lib.gan.pretrained_dcgan_digits()``. The checkpoint's ``meta`` keeps the training
settings, the training time and the Fréchet distance / precision / recall of 360 samples against
the 360 test digits in the feature space of ``course_lib.evaluators.digit_image_classifier``;
``vae_gan_checkpoint.csv`` / ``.md`` repeat them.

    python benchmarks/vae_gan_checkpoint.py                    # the committed run (about 1 CPU-minute)
    python benchmarks/vae_gan_checkpoint.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import torch
from _runner import RESULTS, header, markdown, save_checkpoint, write_csv

from course_lib import checkpoints
from course_lib.data import load_digits_images
from course_lib.evaluators import digit_image_classifier
from course_lib.gan import DCGANConfig, GANTrainConfig, build_gan, sample, train_gan
from course_lib.metrics import frechet_distance, precision_recall

NAME = "vae_dcgan_digits"
MODEL = DCGANConfig(latent_dim=16, channels=16)
TRAIN = GANTrainConfig(steps=1500, batch_size=128, seed=0)
SETTINGS = ("steps", "batch_size", "seed", "lr", "betas")  # the training options kept in the meta


def evaluate(gen: torch.nn.Module) -> dict:
    """FD, precision and recall of 360 samples against the test digits, in the judge's features."""
    data = load_digits_images()
    judge = digit_image_classifier(seed=0)
    with torch.no_grad():
        f_test = judge.features(data.x_test)
        f_fake = judge.features(((sample(gen, len(data.x_test), seed=1) + 1) / 2).clamp(0, 1))
    p, r = precision_recall(f_test, f_fake)
    return {"fd": round(frechet_distance(f_fake, f_test), 2), "precision": round(p, 3), "recall": round(r, 3)}


def main(argv: list[str] | None = None) -> int:
    """Train, evaluate, save and register the checkpoint (``--dry-run``: 5 steps, into ``--out``)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dry-run", action="store_true", help="5 steps, no evaluation, checkpoint into --out")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: stable CPU times)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    train = replace(TRAIN, steps=5) if args.dry_run else TRAIN
    gen, disc = build_gan(MODEL, seed=train.seed)
    hist = train_gan((gen, disc), load_digits_images().x_train * 2 - 1, train)
    record = {k: getattr(train, k) for k in SETTINGS}
    record |= {"train_cpu_s": round(hist.cpu_s, 1), "train_wall_s": round(hist.wall_s, 1)}
    record |= {} if args.dry_run else evaluate(gen)
    folder = args.out if args.dry_run else checkpoints.CHECKPOINT_DIR
    digest = save_checkpoint(gen, NAME, folder, **record)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv([record], args.out / "vae_gan_checkpoint.csv")
    command = "python benchmarks/vae_gan_checkpoint.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    text = (
        f"# DCGAN for the VAE chapter's comparison (digits 8x8)\n\n{header(command.strip(), hist.cpu_s)}\n\n"
    )
    text += f"Model: {MODEL}; checkpoint `{NAME}` (SHA-256 {digest}).\n\n{markdown([record])}\n"
    (args.out / "vae_gan_checkpoint.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

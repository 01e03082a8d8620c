"""Train the chapter's pretrained spoken-digit classifier (the evaluator other chapters use).

The model is trained on FSDD's official TRAIN split (takes 5-49 of every speaker); takes 5-9
are held out of training for early stopping, so the official TEST split (takes 0-4) is used
only once, for the figures written at the end. The checkpoint goes to
``benchmarks/checkpoints/recognition_digit_classifier.pt``; copy the printed SHA-256 into
``course_lib.recognition.PRETRAINED_SHA256``.

    python benchmarks/recognition_train.py                 # full run (single CPU thread)
    python benchmarks/recognition_train.py --dry-run --out /tmp/x   # smoke test, seconds
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import Subset

from course_lib import recognition as R
from course_lib.data import load_fsdd

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="cnn", choices=R.ARCHS)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--checkpoint", type=Path, default=None, help="default: benchmarks/checkpoints/...")
    ap.add_argument("--dry-run", action="store_true", help="tiny model, few items, 1 epoch")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    t_cpu, t_wall = time.process_time(), time.time()

    train, test = load_fsdd("train"), load_fsdd("test")
    tr_idx, val_idx = R.official_validation_split(train.takes)
    if args.dry_run:
        tr_idx, val_idx, test = tr_idx[::40], val_idx[::20], Subset(test, range(0, len(test), 10))
        args.epochs = 1
        ckpt = args.checkpoint or args.out / "recognition_digit_classifier.pt"
    else:
        ckpt = args.checkpoint or R.PRETRAINED_PATH
    model = R.train_digit_classifier(
        Subset(train, tr_idx),
        arch=args.arch,
        epochs=args.epochs,
        seed=args.seed,
        val_data=Subset(train, val_idx),
        tiny=args.dry_run,
        device="cpu",
        progress=False,
    )
    scores = R.evaluate(model, test)
    digest = R.save_classifier(
        model,
        ckpt,
        trained_on="FSDD v1.0.10 official train split, takes 10-49 (takes 5-9: early stopping)",
        test_accuracy=scores.accuracy,
        epochs_run=len(model.history["train_loss"]),
        seed=args.seed,
    )
    cpu, wall = time.process_time() - t_cpu, time.time() - t_wall
    size_mb = Path(ckpt).stat().st_size / 1e6
    cmd = "python " + " ".join(shlex.quote(a) for a in [str(Path(sys.argv[0]))] + sys.argv[1:])
    info = R.machine_info()
    best = model.history["best_epoch"][0] + 1 if model.history["best_epoch"] else "n/a"
    lines = [
        "# Pretrained digit classifier (official split)",
        "",
        f"- date: {info['date']}; machine: {platform.processor() or platform.machine()}, "
        f"{info['cpus']} cores, torch {info['torch']}, {args.threads} thread(s)",
        f"- command: `{cmd}`",
        f"- arch: {args.arch}; epochs run: {len(model.history['train_loss'])} of {args.epochs} "
        f"(best validation epoch {best})",
        f"- checkpoint: `{Path(ckpt).name}`, {size_mb:.2f} MB, sha256 `{digest}`",
        f"- CPU time {cpu:.0f} s, wall {wall:.0f} s",
        "",
        "| split | items | accuracy | macro precision | macro recall | macro F1 |",
        "|---|---|---|---|---|---|",
        f"| official test (takes 0-4) | {int(scores.confusion.sum())} | {scores.accuracy:.4f} | "
        f"{scores.precision:.4f} | {scores.recall:.4f} | {scores.f1:.4f} |",
        "",
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "recognition_train.md").write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"sha256 {digest}")


if __name__ == "__main__":
    main()

"""Two small experiment suites for the recognition chapter (by default the GRU, the cheapest of
the three models; ``--arch cnn`` for the best one).

``ablation`` (overfitting and augmentation, leave-one-speaker-out): starting from a model with
no regulariser at all, add one ingredient at a time (weight decay, dropout, early stopping on
a validation speaker, time shift, noise, SpecAugment), plus everything together. Scaled down
to fit the CPU budget: 3 of the 6 folds (every second speaker in sorted order: george, lucas,
theo) and few epochs; the result files say so.

``guidance`` (official split; the questions the course's sources answer wrongly):
MSE vs cross-entropy; class imbalance (digits 3 and 8 cut to 10 % of their training items):
plain cross-entropy vs class weights vs a balanced sampler, with the minority classes' recall;
Adam vs SGD with momentum vs RMSprop vs Adadelta, same model, epochs and batch size, each at
its customary learning rate.

Rows are appended after every run to ``recognition_<suite>.csv`` (+ ``.md``).

    python benchmarks/recognition_experiments.py --suite ablation --epochs 8
    python benchmarks/recognition_experiments.py --suite guidance --epochs 8
    python benchmarks/recognition_experiments.py --dry-run --out /tmp/x
"""

from __future__ import annotations

import argparse
import csv
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Subset

from course_lib import recognition as R
from course_lib.data import load_fsdd

ROOT = Path(__file__).resolve().parents[1]
NO_AUG = R.AugmentConfig.none()


def ablation_variants() -> dict[str, dict]:
    """name -> train options; every variant starts from 'nothing' (no wd, no dropout, no aug)."""
    base = dict(weight_decay=0.0, dropout=0.0, augment=None, patience=None, early_stop=False)
    one = lambda **kw: {**base, **kw}  # noqa: E731
    return {
        "nothing": one(),
        "+ weight decay 1e-2": one(weight_decay=1e-2),
        "+ dropout 0.3": one(dropout=0.3),
        "+ early stopping (val. speaker)": one(patience=3, early_stop=True),
        "+ time shift": one(augment=R.AugmentConfig(**{**vars(NO_AUG), "time_shift": True})),
        "+ noise (5-30 dB SNR)": one(augment=R.AugmentConfig(**{**vars(NO_AUG), "noise_prob": 0.5})),
        "+ SpecAugment": one(augment=R.AugmentConfig(**{**vars(NO_AUG), "freq_masks": 2, "time_masks": 2})),
        "everything": dict(
            weight_decay=1e-2, dropout=0.3, augment=R.AugmentConfig(), patience=3, early_stop=True
        ),
    }


def guidance_variants() -> dict[str, dict]:
    return {
        "loss: cross-entropy": dict(loss="ce"),
        "loss: MSE on softmax": dict(loss="mse"),
        "imbalanced: plain CE": dict(imbalanced=True),
        "imbalanced: class weights": dict(imbalanced=True, class_weights=True),
        "imbalanced: balanced sampler": dict(imbalanced=True, balanced_sampler=True),
        "optim: Adam lr 3e-3": dict(optimizer="adam", lr=3e-3, weight_decay=0.0),
        "optim: SGD+momentum lr 3e-2": dict(optimizer="sgd", lr=3e-2, weight_decay=0.0),
        "optim: RMSprop lr 1e-3": dict(optimizer="rmsprop", lr=1e-3, weight_decay=0.0),
        "optim: Adadelta lr 1.0": dict(optimizer="adadelta", lr=1.0, weight_decay=0.0),
    }


def _select(variants: dict, only: str | None) -> dict:
    if not only:
        return variants
    keep = {int(i) for i in only.split(",")}
    return {k: v for i, (k, v) in enumerate(variants.items()) if i in keep}


def _write(path: Path, rows: list[dict]) -> None:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def _md_table(rows: list[dict], cols: list[str]) -> str:
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append(
            "| " + " | ".join(f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |"
        )
    return "\n".join(out)


def run_ablation(data, args, emit) -> None:
    spks = sorted(set(data.speakers))
    test_spks = args.test_speakers.split(",") if args.test_speakers else spks[::2]
    if args.dry_run:
        test_spks = test_spks[:1]
    for name, opts in _select(ablation_variants(), args.only).items():
        opts = dict(opts)
        early = opts.pop("early_stop")
        dropout = opts.pop("dropout")
        accs = {}
        t = time.process_time()
        for spk, tr, te in R.leave_one_speaker_out(data.speakers):
            if spk not in test_spks:
                continue
            tr = [i for i in tr if data.takes[i] % args.train_stride == 0]
            val = None
            if early:
                v = R.validation_speaker([data.speakers[i] for i in tr], spk)
                tr, va = R.split_by_speaker(data.speakers, tr, v)
                val = Subset(data, va)
            model = R.train_digit_classifier(
                Subset(data, tr), arch=args.arch, epochs=args.epochs, seed=args.seed, val_data=val,
                tiny=args.dry_run, dropout=dropout, device="cpu", progress=False, **opts,
            )  # fmt: skip
            accs[spk] = R.evaluate(model, Subset(data, te)).accuracy
        emit(
            {
                "variant": name,
                **accs,
                "mean": float(np.mean(list(accs.values()))),
                "cpu_s": round(time.process_time() - t),
            }
        )


def run_guidance(data, args, emit) -> None:
    train_idx = [i for i, t in enumerate(data.takes) if t >= 5 and t % args.train_stride == 0]
    test = Subset(data, [i for i, t in enumerate(data.takes) if t < 5])
    labels = [data.digits[i] for i in train_idx]
    imb = [train_idx[j] for j in R.imbalanced_subset(labels, minority=[3, 8], keep=0.1, seed=args.seed)]
    for name, opts in _select(guidance_variants(), args.only).items():
        opts = dict(opts)
        idx = imb if opts.pop("imbalanced", False) else train_idx
        t = time.process_time()
        model = R.train_digit_classifier(
            Subset(data, idx), arch=args.arch, epochs=args.epochs, seed=args.seed, tiny=args.dry_run,
            patience=None, device="cpu", progress=False, **opts,
        )  # fmt: skip
        s = R.evaluate(model, test)
        emit({
            "variant": name, "train items": len(idx), "accuracy": s.accuracy, "macro F1": s.f1,
            "recall 3": s.per_class_recall[3], "recall 8": s.per_class_recall[8],
            "final train loss": float(model.history["train_loss"][-1]),
            "cpu_s": round(time.process_time() - t),
        })  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="ablation", choices=["ablation", "guidance"])
    ap.add_argument("--arch", default="gru", choices=R.ARCHS)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--dry-run", action="store_true", help="tiny model, few items, 1 epoch, both suites")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default=None, help="comma list of variant numbers (0-based) to run")
    ap.add_argument("--test-speakers", default=None, help="ablation folds (default: every second speaker)")
    ap.add_argument("--tag", default="", help="suffix of the result files (parallel runs)")
    ap.add_argument(
        "--train-stride",
        type=int,
        default=1,
        help="train on every n-th take only (CPU budget); tests stay whole",
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    data = load_fsdd("all")
    suites = [args.suite]
    if args.dry_run:
        keep = [i for i, t in enumerate(data.takes) if t % 25 in (0, 5)]
        sub = Subset(data, keep)
        for attr in ("takes", "speakers", "digits"):
            setattr(sub, attr, [getattr(data, attr)[i] for i in keep])
        data, args.epochs, suites = sub, 1, ["ablation", "guidance"]
    for suite in suites:
        t0, w0 = time.process_time(), time.time()
        rows: list[dict] = []
        stem = args.out / (f"recognition_{suite}" + (f"_{args.tag}" if args.tag else ""))
        cmd = "python " + " ".join(shlex.quote(a) for a in [str(Path(sys.argv[0]))] + sys.argv[1:])

        def emit(row: dict, rows=rows, stem=stem, t0=t0, w0=w0, cmd=cmd, suite=suite) -> None:
            rows.append(row)
            print(row, flush=True)
            _write(stem.with_suffix(".csv"), rows)
            info = R.machine_info()
            cols = list(dict.fromkeys(k for r in rows for k in r))
            head = [
                f"# Recognition experiments: {suite}",
                "",
                f"- date: {info['date']}; machine: {platform.processor() or platform.machine()}, "
                f"{info['cpus']} cores, torch {info['torch']}, {args.threads} thread(s)",
                f"- command: `{cmd}`",
                f"- {args.arch}, {args.epochs} epochs per run, seed {args.seed}, training on every "
                f"{args.train_stride}-th take only (scaled down to fit the CPU budget); test sets complete",
                f"- CPU time so far {time.process_time() - t0:.0f} s, wall {time.time() - w0:.0f} s",
                "",
            ]
            stem.with_suffix(".md").write_text("\n".join(head) + "\n" + _md_table(rows, cols) + "\n")

        if suite == "ablation":
            run_ablation(data, args, emit)
        else:
            run_guidance(data, args, emit)
        print(stem.with_suffix(".md").read_text())


if __name__ == "__main__":
    main()

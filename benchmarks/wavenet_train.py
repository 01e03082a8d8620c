"""Train the WaveNet chapter's checkpoints and score them on FSDD's test split.

Three models, each a few CPU-minutes on one core (scaled far down from the paper: tiny widths,
a few hundred to a thousand Adam steps, 8 kHz digits instead of hours of speech):

- ``digits``: a WaveNet over µ-law codes, globally conditioned on the digit, receptive field
  2,047 samples. Scored by test NLL in bits/sample next to the uniform, unigram and LPC baselines.
- ``vocoder``: a WaveNet locally conditioned on log-mel frames (a tiny vocoder).
- ``denoiser``: the non-causal denoising WaveNet, trained on white noise at 0-10 dB SNR.

Checkpoints go to ``benchmarks/checkpoints/wavenet_<model>.pt`` (with ``--dry-run``: to --out);
results to ``--out`` (default ``benchmarks/results``) as ``wavenet_<model>.csv`` and ``.md``.

    nice -n 10 python benchmarks/wavenet_train.py --model digits --steps 580
    python benchmarks/wavenet_train.py --model digits --eval-only   # score the saved checkpoint
    python benchmarks/wavenet_train.py --dry-run --out /tmp/x

The learning rate is constant (Adam, 3e-3), and a checkpoint is saved every ``--save-every``
steps, so a run stopped after n steps leaves exactly the checkpoint of ``--steps n``.
Evaluation uses every 5th test utterance (60 of 300: all speakers and digits).

The shipped checkpoints were cut from runs stopped early on a heavily shared 2-core machine
(each got only a few CPU-minutes): digits and vocoder after 580 steps, the denoiser after
330 steps, i.e. ``--steps 580`` / ``--steps 330``. The defaults below are what a patient
run would use.

The script sets one compute thread (``--threads``) because the course machine is shared;
library code never changes the thread count.
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
from course_lib.data import load_fsdd  # noqa: E402
from course_lib.utils import sha256_file  # noqa: E402

CONFIGS = {
    "digits": wn.WaveNetConfig(
        residual_channels=16, gate_channels=16, skip_channels=32, layers_per_stack=10, n_stacks=2, n_global=10
    ),
    "vocoder": wn.WaveNetConfig(
        residual_channels=16,
        gate_channels=16,
        skip_channels=32,
        layers_per_stack=8,
        n_stacks=2,
        n_local=40,
        local_hop=80,
        cond_channels=32,
    ),
    "denoiser": wn.DenoiserConfig(residual_channels=16, gate_channels=16, skip_channels=16),
}
STEPS = {"digits": 3000, "vocoder": 2000, "denoiser": 1000}
LR = 3e-3
BATCH = {"digits": 2, "vocoder": 2, "denoiser": 4}
SEGMENT = {"digits": 1000, "vocoder": 1000, "denoiser": 2000}


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"


def write(out: Path, name: str, rows: list[dict], command: str, notes: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"{name}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    cols = list(rows[0])
    lines = [
        f"# {name}",
        "",
        f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- command: `{command}`",
        f"- {notes}",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in rows:
        lines.append(
            "| " + " | ".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in r.values()) + " |"
        )
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")


def saver(model, ckpt, every):
    """Callback of the training loops: save the checkpoint every ``every`` steps."""
    t0 = time.process_time()

    def cb(step: int, loss: float) -> None:
        print(f"step {step} loss {loss:.4f} cpu {time.process_time() - t0:.0f} s", flush=True)
        if step % every == 0:
            wn.save_checkpoint(model, ckpt, {"steps": step, "train_loss_last": loss})

    return cb


def train_or_load(name, model, ckpt, steps, every, eval_only, fit):
    if eval_only:
        model, extra = wn.load_checkpoint(ckpt)
        return model, extra["steps"], extra.get("train_loss_last", float("nan"))
    hist = fit(model, saver(model, ckpt, every))
    wn.save_checkpoint(model, ckpt, {"steps": steps, "train_loss_last": hist[-1]})
    return model, steps, hist[-1]


def run_digits(train, test, steps, ckpt, out, dry, every, eval_only):
    codes = wn.encode_dataset(train.waveforms)
    test_codes = wn.encode_dataset(test.waveforms[::5])
    test_labels = test.digits[::5]

    def fit(model, cb):
        return wn.train_wavenet(
            model,
            codes,
            steps=steps,
            batch_size=BATCH["digits"],
            segment=SEGMENT["digits"],
            labels=train.digits,
            lr=LR,
            lr_decay=False,
            seed=0,
            callback=cb,
        )

    model, steps, last = train_or_load(
        "digits", wn.WaveNet(CONFIGS["digits"]), ckpt, steps, every, eval_only, fit
    )
    digest = sha256_file(ckpt)
    command = f"python benchmarks/wavenet_train.py --model digits --steps {steps}"
    n_eval = 8 if dry else len(test_codes)
    tc, tl = test_codes[:n_eval], test_labels[:n_eval]
    uni = wn.unigram_fit(codes)
    lpc = wn.fit_lpc(codes, order=16)
    rows = [
        {"model": "uniform (8 bits)", "test_bits_per_sample": 8.0},
        {"model": "unigram histogram of µ-law codes", "test_bits_per_sample": wn.unigram_nll_bits(uni, tc)},
        {"model": "LPC order 16 + Laplace residual", "test_bits_per_sample": wn.lpc_nll_bits(lpc, tc)},
        {
            "model": f"WaveNet (digit-conditioned, RF {model.receptive_field})",
            "test_bits_per_sample": wn.nll_bits(model, tc, labels=tl),
        },
    ]
    write(
        out,
        "wavenet_digits",
        rows,
        command,
        f"{n_eval} test utterances (every 5th); {steps} training steps; checkpoint sha256 {digest}",
    )
    return digest, rows


def run_vocoder(train, test, steps, ckpt, out, dry, every, eval_only):
    codes = wn.encode_dataset(train.waveforms)
    feats = [wn.mel_features(w) for w in train.waveforms]

    def fit(model, cb):
        return wn.train_wavenet(
            model,
            codes,
            steps=steps,
            batch_size=BATCH["vocoder"],
            segment=SEGMENT["vocoder"],
            feats=feats,
            lr=LR,
            lr_decay=False,
            seed=0,
            callback=cb,
        )

    model, steps, last = train_or_load(
        "vocoder", wn.WaveNet(CONFIGS["vocoder"]), ckpt, steps, every, eval_only, fit
    )
    digest = sha256_file(ckpt)
    command = f"python benchmarks/wavenet_train.py --model vocoder --steps {steps}"
    n_eval = 4 if dry else 60
    tc = wn.encode_dataset(test.waveforms[::5][:n_eval])
    tf = [wn.mel_features(w) for w in test.waveforms[::5][:n_eval]]
    rows = [
        {
            "model": "WaveNet vocoder (log-mel conditioned)",
            "test_bits_per_sample": wn.nll_bits(model, tc, feats=tf),
        }
    ]
    write(
        out,
        "wavenet_vocoder",
        rows,
        command,
        f"{n_eval} test utterances; {steps} steps; checkpoint sha256 {digest}",
    )
    return digest, rows


def run_denoiser(train, test, steps, ckpt, out, dry, every, eval_only):
    def fit(model, cb):
        return wn.train_denoiser(
            model,
            train.waveforms,
            steps=steps,
            batch_size=BATCH["denoiser"],
            segment=SEGMENT["denoiser"],
            lr=LR,
            lr_decay=False,
            seed=0,
            callback=cb,
        )

    model, steps, last = train_or_load(
        "denoiser", wn.DenoisingWaveNet(CONFIGS["denoiser"]), ckpt, steps, every, eval_only, fit
    )
    digest = sha256_file(ckpt)
    command = f"python benchmarks/wavenet_train.py --model denoiser --steps {steps}"
    rows = [{"model": "denoiser (white noise, 0-10 dB)", "steps": steps, "train_l1_last": last}]
    write(out, "wavenet_denoiser", rows, command, f"checkpoint sha256 {digest}")
    return digest, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=["digits", "vocoder", "denoiser", "all"], default="all")
    ap.add_argument("--steps", type=int, default=None, help="override the number of training steps")
    ap.add_argument("--threads", type=int, default=1, help="torch compute threads (the machine is shared)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--dry-run", action="store_true", help="a few steps on a few files, outputs under --out")
    ap.add_argument("--save-every", type=int, default=50, help="checkpoint every this many steps")
    ap.add_argument("--eval-only", action="store_true", help="score the saved checkpoint, no training")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    train, test = load_fsdd("train"), load_fsdd("test")
    if args.dry_run:
        train.waveforms, train.digits = train.waveforms[::300], train.digits[::300]
    names = ["digits", "vocoder", "denoiser"] if args.model == "all" else [args.model]
    for name in names:
        steps = 2 if args.dry_run else (args.steps or STEPS[name])
        ckpt_dir = args.out if args.dry_run else ROOT / "benchmarks" / "checkpoints"
        ckpt = ckpt_dir / f"wavenet_{name}.pt"
        fn = {"digits": run_digits, "vocoder": run_vocoder, "denoiser": run_denoiser}[name]
        t0 = time.time()
        digest, rows = fn(train, test, steps, ckpt, args.out, args.dry_run, args.save_every, args.eval_only)
        size = ckpt.stat().st_size / 1e6
        print(f"{name}: {ckpt} sha256 {digest} ({size:.2f} MB, {time.time() - t0:.0f} s wall)")
        for r in rows:
            print("   ", r)


if __name__ == "__main__":
    main()

"""Train the WaveNet chapter's checkpoints and score them on FSDD's test split.

Three models, each a few CPU-minutes on one core (scaled far down from the paper: tiny widths,
one to a few thousand Adam steps, 8 kHz digits instead of hours of speech):

- ``digits``: a WaveNet over µ-law codes, globally conditioned on the digit, receptive field
  2,047 samples. Scored by test NLL in bits/sample next to the uniform, unigram and LPC baselines
  (and with a wrong digit), and by the course's FSDD classifier on generated samples
  (``wavenet_conditioning.{csv,md}``). Training crops may start with up to ``LEAD`` samples of
  silence before the utterance, the situation generation starts from.
- ``vocoder``: a WaveNet locally conditioned on log-mel frames (a tiny vocoder); test NLL, and
  log-spectral distance and SI-SDR of re-synthesised test utterances against Griffin-Lim.
- ``denoiser``: the non-causal denoising WaveNet, trained on white noise at 0-10 dB SNR only;
  SI-SDR on test utterances with white noise and with two noises never seen in training (pink,
  babble), against spectral subtraction and a Wiener filter (``course_lib.restoration``).

Checkpoints go to ``benchmarks/checkpoints/wavenet_<model>.pt`` (with ``--dry-run``: to --out);
results to ``--out`` (default ``benchmarks/results``) as ``wavenet_<model>.csv`` and ``.md``.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/wavenet_train.py --model denoiser
    python benchmarks/wavenet_train.py --model digits --eval-only   # score the saved checkpoint
    python benchmarks/wavenet_train.py --dry-run --out /tmp/x

Adam at 3e-3 with cosine decay to 1/20 of it over ``STEPS`` steps, gradient clipping at 1.
The shipped digits and vocoder checkpoints are exactly the defaults below (``--model NAME``
with no ``--steps``: 461 and 275 CPU-s on a shared 2-core machine); the denoiser is the default
1,000-step run (551 CPU-s) continued with ``--model denoiser --resume --steps 400`` (a fresh
cosine schedule from LR / 3, other batches), because its training loss was still falling.
A checkpoint is also saved every ``--save-every`` steps, but with the decaying rate an
interrupted run is not the same as a shorter one. Nothing is selected on the test split: it is
only scored.

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
from course_lib.audio import mu_law_decode  # noqa: E402
from course_lib.data import load_fsdd  # noqa: E402
from course_lib.metrics import log_spectral_distance, si_sdr  # noqa: E402
from course_lib.restoration import add_noise_at_snr, spectral_subtraction, wiener_filter  # noqa: E402
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
    "denoiser": wn.DenoiserConfig(residual_channels=24, gate_channels=24, skip_channels=24),
}
STEPS = {"digits": 2500, "vocoder": 1500, "denoiser": 1000}
LR = 3e-3
BATCH = {"digits": 2, "vocoder": 4, "denoiser": 8}
SEGMENT = {"digits": 4000, "vocoder": 2000, "denoiser": 3000}
LEAD = 2000  # digits: crops may start up to this many samples of silence before an utterance


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


#: optimiser settings of the fit closures; ``--resume`` continues a saved checkpoint with a
#: fresh cosine schedule from LR / 3 and other batches (seed 1)
OPT = {"lr": LR, "seed": 0, "resume": False}


def saver(model, ckpt, every, offset=0):
    """Callback of the training loops: save the checkpoint every ``every`` steps."""
    t0 = time.process_time()

    def cb(step: int, loss: float) -> None:
        print(f"step {offset + step} loss {loss:.4f} cpu {time.process_time() - t0:.0f} s", flush=True)
        if step % every == 0:
            wn.save_checkpoint(model, ckpt, {"steps": offset + step, "train_loss_last": loss})

    return cb


def train_or_load(name, model, ckpt, steps, every, eval_only, fit):
    """Returns (model, total steps, last training loss, command that reproduces the checkpoint)."""
    base = "python benchmarks/wavenet_train.py --model " + name
    if eval_only or OPT["resume"]:
        model, extra = wn.load_checkpoint(ckpt)
        offset = extra["steps"]
        command = extra.get("command", f"{base} --steps {offset}")
        if eval_only:
            return model, offset, extra.get("train_loss_last", float("nan")), command
        command = f"{command}, then {base} --resume --steps {steps}"
    else:
        offset, command = 0, f"{base} --steps {steps}"
    hist = fit(model, saver(model, ckpt, every, offset))
    extra = {"steps": offset + steps, "train_loss_last": hist[-1], "command": command}
    wn.save_checkpoint(model, ckpt, extra)
    return model, offset + steps, hist[-1], command


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
            lr=OPT["lr"],
            lr_decay=True,
            lead=LEAD,
            seed=OPT["seed"],
            callback=cb,
        )

    model, steps, last, command = train_or_load(
        "digits", wn.WaveNet(CONFIGS["digits"]), ckpt, steps, every, eval_only, fit
    )
    digest = sha256_file(ckpt)
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
        {
            "model": "same WaveNet, given a wrong digit (d + 5 mod 10)",
            "test_bits_per_sample": wn.nll_bits(model, tc, labels=[(d + 5) % 10 for d in tl]),
        },
    ]
    write(
        out,
        "wavenet_digits",
        rows,
        command,
        f"{n_eval} test utterances (every 5th); {steps} training steps; checkpoint sha256 {digest}",
    )
    # conditioning: do generated samples say the digit they were asked for?
    from course_lib.recognition import pretrained_digit_classifier

    clf = pretrained_digit_classifier(device="cpu")
    per_digit, n_samples = (1, 400) if dry else (5, 4000)
    labels = torch.arange(10).repeat(per_digit)
    crow = []
    for tau in (1.0,) if dry else (1.0, 0.9):
        gen = wn.generate_cached(model, n_samples, g=labels, temperature=tau, seed=123)
        pred = clf.predict(list(mu_law_decode(gen)))
        crow.append(
            {
                "temperature": tau,
                "n_samples": len(labels),
                "accuracy": (pred == labels).float().mean().item(),
                "chance": 0.1,
                "distinct_predictions": len(torch.unique(pred)),
            }
        )
    write(
        out,
        "wavenet_conditioning",
        crow,
        "python benchmarks/wavenet_train.py --model digits --eval-only",
        f"{per_digit} samples of {n_samples} codes per digit (seed 123), classified by "
        "course_lib.recognition.pretrained_digit_classifier (trained on real FSDD recordings)",
    )
    return digest, rows + crow


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
            lr=OPT["lr"],
            lr_decay=True,
            seed=OPT["seed"],
            callback=cb,
        )

    model, steps, last, command = train_or_load(
        "vocoder", wn.WaveNet(CONFIGS["vocoder"]), ckpt, steps, every, eval_only, fit
    )
    digest = sha256_file(ckpt)
    n_eval = 4 if dry else 60
    tc = wn.encode_dataset(test.waveforms[::5][:n_eval])
    tf = [wn.mel_features(w) for w in test.waveforms[::5][:n_eval]]
    rows = [
        {
            "model": "WaveNet vocoder (log-mel conditioned)",
            "test_bits_per_sample": wn.nll_bits(model, tc, feats=tf),
            "lsd_db": "",
            "si_sdr_db": "",
        }
    ]
    # re-synthesis of test utterances from their mel, against Griffin-Lim on the same mel
    n_syn = 1 if dry else 10
    waves = [w[: 800 if dry else 4000] for w in test.waveforms[2::30][:n_syn]]  # 0.5 s at most, every speaker
    fs = [wn.mel_features(w) for w in waves]
    c = torch.zeros(len(waves), fs[0].shape[0], max(f.shape[1] for f in fs))
    for b, f in enumerate(fs):
        c[b, :, : f.shape[1]] = f
    syn = mu_law_decode(wn.generate_cached(model, max(len(w) for w in waves), c=c, seed=0))
    lsd_v, lsd_g, sdr_v, sdr_g = [], [], [], []
    for b, w in enumerate(waves):
        gl = wn.griffin_lim_from_mel(fs[b], len(w))
        lsd_v.append(log_spectral_distance(w, syn[b, : len(w)]).item())
        lsd_g.append(log_spectral_distance(w, gl).item())
        sdr_v.append(si_sdr(w, syn[b, : len(w)]).item())
        sdr_g.append(si_sdr(w, gl).item())
    for name, lsd, sdr in (("WaveNet vocoder", lsd_v, sdr_v), ("Griffin-Lim (32 iterations)", lsd_g, sdr_g)):
        rows.append(
            {
                "model": f"{name}: re-synthesis of {n_syn} test utterances",
                "test_bits_per_sample": "",
                "lsd_db": sum(lsd) / len(lsd),
                "si_sdr_db": sum(sdr) / len(sdr),
            }
        )
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
            lr=OPT["lr"],
            lr_decay=True,
            seed=OPT["seed"],
            callback=cb,
        )

    model, steps, last, command = train_or_load(
        "denoiser", wn.DenoisingWaveNet(CONFIGS["denoiser"]), ckpt, steps, every, eval_only, fit
    )
    digest = sha256_file(ckpt)
    clean = test.waveforms[5::10][: 3 if dry else None]  # 30 test utterances, every speaker
    rows = []
    for kind, snr_db in [("white", 0.0), ("white", 5.0), ("white", 10.0), ("pink", 0.0), ("babble", 5.0)]:
        scores = {"noisy": [], "spectral subtraction": [], "Wiener": [], "denoising WaveNet": []}
        for i, w in enumerate(clean):
            noisy = add_noise_at_snr(w, snr_db, kind=kind, seed=1000 + i)
            outs = {
                "noisy": noisy,
                "spectral subtraction": spectral_subtraction(noisy),
                "Wiener": wiener_filter(noisy),
                "denoising WaveNet": wn.denoise(model, noisy),
            }
            for k, v in outs.items():
                scores[k].append(si_sdr(w, v).item())
        row = {"noise": kind, "snr_db": snr_db, **{k: float(sum(v) / len(v)) for k, v in scores.items()}}
        row["wavenet_minus_spectral_subtraction"] = row["denoising WaveNet"] - row["spectral subtraction"]
        rows.append(row)
    notes = (
        f"mean SI-SDR (dB) over {len(clean)} test utterances (every 10th from the 6th); trained on white "
        f"noise at 0-10 dB only (pink and babble are unseen); {steps} steps, last train L1 {last:.4f}; "
        f"checkpoint sha256 {digest}"
    )
    write(out, "wavenet_denoiser", rows, command, notes)
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
    ap.add_argument("--resume", action="store_true", help="train the saved checkpoint --steps more steps")
    args = ap.parse_args()
    if args.resume:
        OPT.update(lr=LR / 3, seed=1, resume=True)
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

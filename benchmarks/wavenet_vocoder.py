"""Neural vocoders against Griffin-Lim: quality and speed of re-synthesis from 40-band log-mel frames.

Every row turns the :func:`course_lib.wavenet.mel_features` of the same 60 test recordings (FSDD's
test split, one take of every speaker and digit: ``load_fsdd("test").stratified(per_cell=1,
seed=0)``, whole recordings) back into audio, scored against the recording: log-spectral distance
(dB, lower is better), SI-SDR (dB), PESQ-NB (MOS 1-4.5; where PESQ finds no speech the value is
left out of the mean and counted in ``pesq_failed``), and the accuracy of the course's spoken-digit
classifier on the re-synthesis (with its mean probability of the true digit, finer when the accuracy
saturates). Speed: samples produced per CPU-second of one thread (torch uses
one thread, ``--threads 1``), and the real-time factor (CPU seconds per second of audio; < 1 is
faster than real time) on a shared 2-core machine.

Rows: the WaveNet vocoder of ``wavenet_train.py`` (``wavenet_vocoder``, 1,500 steps), the same
model trained on from there (``wavenet_vocoder_long``), a convolutional vocoder with MelGAN's
generator shape trained with Parallel WaveGAN's multi-resolution STFT loss and no adversary
(``wavenet_conv_vocoder``), and that vocoder trained on with a MelGAN-style discriminator added,
Parallel WaveGAN's objective (``wavenet_conv_vocoder_gan``); references measured by the same code:
the recording itself, Griffin-Lim (32 iterations) on the least-squares inversion of the mel filter
bank, that inversion with its random phase (0 iterations) and silence. Training uses the training
split only; the test curves (``wavenet_vocoder_curve.csv``) are recorded, never used to choose
anything (step counts are fixed in advance). ``--check`` re-scores the committed checkpoints and
re-runs the references on 6 of the 60 recordings (``check_*`` columns, also in the committed table).

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/wavenet_vocoder.py      # ~70 CPU-min, trains (in order)
    python benchmarks/wavenet_vocoder.py --only griffin_lim original --out /tmp/v   # references
    python benchmarks/wavenet_vocoder.py --check                           # ~1 CPU-min
    python benchmarks/wavenet_vocoder.py --dry-run --out /tmp/v
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tempfile

import numpy as np
import torch
from _runner import Benchmark, save_checkpoint

from course_lib import audio
from course_lib import wavenet as wn
from course_lib.checkpoints import CHECKPOINT_DIR
from course_lib.data import load_fsdd
from course_lib.evaluators import pretrained_spoken_digit_classifier
from course_lib.metrics import log_spectral_distance, pesq_nb, si_sdr
from course_lib.utils import Timer, seeded

CHECK = [0, 11, 22, 33, 44, 55]  # of the 60 (sorted digit -> speaker): 6 digits, 6 speakers
CONV = wn.ConvVocoderConfig(channels=128)
#: training recipes, fixed before any test figure was seen
TRAIN = {
    "wavenet_conv_vocoder": wn.WaveNetTrainConfig(steps=12000, batch_size=16, segment=4000, lr=1e-3),
    "wavenet_conv_vocoder_gan": wn.WaveNetTrainConfig(
        steps=3000, batch_size=4, segment=4000, lr=1e-4, seed=11
    ),
    "wavenet_vocoder_long": wn.WaveNetTrainConfig(steps=8000, batch_size=4, segment=2000, lr=1e-3, seed=7),
}
EVAL_EVERY = {"wavenet_conv_vocoder": 1000, "wavenet_conv_vocoder_gan": 500, "wavenet_vocoder_long": 2000}
ADV_WEIGHT = 4.0  # Parallel WaveGAN's weight of the adversarial term
REFERENCES = ["original", "griffin_lim", "nnls_random_phase", "silence"]
ROWS = [
    {"row": "wavenet_conv_vocoder", "method": "conv vocoder (MelGAN-shaped, multi-resolution STFT loss)"},
    {"row": "wavenet_conv_vocoder_gan", "method": "conv vocoder + 3,000 steps with a discriminator"},
    {"row": "wavenet_vocoder_long", "method": "WaveNet vocoder, trained on to 9,500 steps"},
    {"row": "wavenet_vocoder", "method": "WaveNet vocoder, 1,500 steps (wavenet_train.py)"},
    {"row": "griffin_lim", "method": "reference: Griffin-Lim, 32 iterations"},
    {"row": "nnls_random_phase", "method": "reference: least-squares magnitude, random phase (0 iterations)"},
    {"row": "original", "method": "reference: the recording"},
    {"row": "silence", "method": "reference: silence"},
]


@functools.cache
def test_set(dry_run: bool) -> tuple[list[torch.Tensor], list[int]]:
    """The 60 test recordings (3 of them, cut to 0.1 s, in a dry run) and their digits."""
    test = load_fsdd("test")
    idx = test.stratified(per_cell=1, seed=0)
    if dry_run:
        return [test.waveforms[i][:800] for i in idx[:3]], [test.digits[i] for i in idx[:3]]
    return [test.waveforms[i] for i in idx], [test.digits[i] for i in idx]


def _groups(waves: list[torch.Tensor], dry_run: bool) -> list[list[int]]:
    """Batches for autoregressive generation: the check recordings first, the rest by length in 9s."""
    if dry_run:
        return [list(range(len(waves)))]
    rest = sorted((i for i in range(len(waves)) if i not in CHECK), key=lambda i: len(waves[i]))
    return [CHECK] + [rest[s : s + 9] for s in range(0, len(rest), 9)]


def synthesise(row: str, waves: list[torch.Tensor], groups: list[list[int]], model, seed: int):
    """Re-synthesise every recording of ``groups`` from its mel; returns (outputs by index, CPU seconds)."""
    outs: dict[int, torch.Tensor] = {}
    feats = {i: wn.mel_features(waves[i]) for g in groups for i in g}
    with Timer() as t, torch.no_grad():
        for group in groups:
            if row == "silence":
                outs |= {i: torch.zeros_like(waves[i]) for i in group}
            elif row == "original":
                outs |= {i: waves[i] for i in group}
            elif row in ("griffin_lim", "nnls_random_phase"):
                its = 32 if row == "griffin_lim" else 0
                outs |= {
                    i: wn.griffin_lim_from_mel(feats[i], len(waves[i]), seed=seed, iterations=its)
                    for i in group
                }
            elif isinstance(model, wn.ConvVocoder):
                outs |= {i: model(feats[i][None])[0, : len(waves[i])] for i in group}
            else:  # autoregressive: one batch per group, zero-padded frames past each recording's end
                c = torch.nn.utils.rnn.pad_sequence([feats[i].T for i in group], batch_first=True).transpose(
                    1, 2
                )
                codes = wn.generate(model, max(len(waves[i]) for i in group), c=c, seed=seed)
                outs |= {i: audio.mu_law_decode(codes[b, : len(waves[i])]) for b, i in enumerate(group)}
    return outs, t.cpu_seconds


def score(waves, digits, outs: dict[int, torch.Tensor], idx: list[int]) -> dict:
    """LSD, SI-SDR, PESQ-NB (mean where defined) and classifier accuracy over the recordings ``idx``."""
    lsd = [log_spectral_distance(waves[i], outs[i]).item() for i in idx]
    sdr = [si_sdr(waves[i], outs[i]).item() for i in idx]
    pesq = []
    for i in idx:
        try:
            pesq.append(pesq_nb(waves[i], outs[i].clamp(-1, 1)))
        except Exception:  # noqa: BLE001 - PESQ refuses signals in which it detects no speech
            pesq.append(math.nan)
    proba = pretrained_spoken_digit_classifier("cpu").predict_proba([outs[i] for i in idx])  # (n, 10)
    truth = torch.tensor([digits[i] for i in idx])
    ok = [p for p in pesq if p == p]
    return {
        "lsd_db": float(np.mean(lsd)),
        "si_sdr_db": float(np.mean(sdr)),
        "pesq_nb": float(np.mean(ok)) if ok else math.nan,
        "pesq_failed": len(pesq) - len(ok),
        "accuracy": (proba.argmax(-1) == truth).float().mean().item(),
        "p_true_digit": proba[torch.arange(len(idx)), truth].mean().item(),
    }


def _curve_eval(row: str, dry_run: bool):
    """``evaluate(model, step)`` for training: LSD on the 6 check recordings, test NLL for WaveNets."""
    waves, digits = test_set(dry_run)
    idx = _groups(waves, dry_run)[0]

    def evaluate(model, step: int) -> dict:
        outs, _ = synthesise(row, waves, [idx], model, seed=0)
        got = {"lsd_db_check": score(waves, digits, outs, idx)["lsd_db"]}
        if isinstance(model, wn.WaveNet):
            got["test_bits_per_sample"] = wn.nll_bits(model, wn.Utterances.encode(waves, mel=True))
        return got

    return evaluate


def train(row: str, seed: int, dry_run: bool) -> tuple[torch.nn.Module, dict, list[dict]]:
    """Train the conv vocoder from scratch or the WaveNet vocoder on from its checkpoint; save it."""
    waves = load_fsdd("train").waveforms[:: 300 if dry_run else 1]
    config = TRAIN[row]
    every = 1 if dry_run else EVAL_EVERY[row]
    config = dataclasses.replace(config, steps=2 if dry_run else config.steps, seed=config.seed + seed)
    config = dataclasses.replace(config, eval_every=every, evaluate=_curve_eval(row, dry_run))
    with torch.enable_grad():
        if row == "wavenet_conv_vocoder":
            with seeded(seed):
                model = wn.ConvVocoder(CONV)
            start, first = 0, {}
            hist = wn.train_conv_vocoder(model, waves, config)
        elif row == "wavenet_conv_vocoder_gan":
            model, meta = wn.pretrained_wavenet("wavenet_conv_vocoder")
            start = meta["train_steps"]
            first = _curve_eval(row, dry_run)(model, 0)
            with seeded(seed):
                disc = wn.WaveDiscriminator()
            hist = wn.train_vocoder_gan(model, disc, waves, config, adv_weight=ADV_WEIGHT)
        else:
            model, meta = wn.pretrained_wavenet("wavenet_vocoder")
            start = meta["steps"]
            first = _curve_eval(row, dry_run)(model, 0)  # the starting point of the curve
            hist = wn.train_wavenet(model, wn.Utterances.encode(waves, mel=True), config)
    name = next(iter(hist.losses))
    losses = hist.losses[name]
    curve = [{"step": start, **first}] if start else []
    for k, (step, _) in enumerate(next(iter(hist.metrics.values()))):
        window = losses[max(0, step - every) : step]
        curve.append(
            {
                "step": start + step,
                f"train_{name}": float(np.mean(window)),
                **{m: v[k][1] for m, v in hist.metrics.items()},
            }
        )
    record = {"train_steps": start + config.steps, "train_cpu_s": round(hist.cpu_s, 1)}
    with (
        tempfile.TemporaryDirectory() as tmp
    ):  # a dry run goes through the same code into a folder thrown away
        save_checkpoint(
            model,
            row,
            tmp if dry_run else CHECKPOINT_DIR,
            **record,
            **{f"train_{name}_last": float(np.mean(losses[-100:]))},
        )
    return model.eval(), record, curve


def _model(row: str, seed: int, dry_run: bool, retrain: bool):
    if row in REFERENCES:
        return None, {}, []
    if retrain and row in TRAIN:
        return train(row, seed, dry_run)
    return wn.pretrained_wavenet(row)[0], {}, []


def evaluate_row(row: str, seed: int, dry_run: bool, retrain: bool, check_only: bool) -> dict:
    """Synthesise and score one row: all 60 recordings, or only the 6 check recordings."""
    waves, digits = test_set(dry_run)
    model, record, curve = _model(row, seed, dry_run, retrain)
    groups = _groups(waves, dry_run)
    check = groups[0]
    outs, cpu_s = synthesise(row, waves, groups[:1] if check_only else groups, model, seed)
    got = {
        f"check_{k}": v for k, v in score(waves, digits, outs, check).items() if k in ("lsd_db", "pesq_nb")
    }
    if check_only:
        return got
    n = sum(len(o) for o in outs.values())
    got = score(waves, digits, outs, list(range(len(waves)))) | got
    if row not in ("original", "silence"):
        got |= {"samples_per_cpu_s": round(n / cpu_s, 1), "real_time_factor": cpu_s / (n / audio.SAMPLE_RATE)}
    if isinstance(model, wn.WaveNet):
        got["test_bits_per_sample"] = wn.nll_bits(model, wn.Utterances.encode(waves, mel=True))
    return record | got | {"_curve": curve} if curve else record | got


def measure(row: dict, seed: int, dry_run: bool) -> dict:
    """Train (model rows with a recipe) and score on the 60 recordings."""
    return evaluate_row(row["row"], seed, dry_run, retrain=True, check_only=False)


def check_measure(row: dict, seed: int, dry_run: bool) -> dict:
    """For ``--check``: the committed checkpoint (or the reference) on the 6 check recordings."""
    return evaluate_row(row["row"], seed, dry_run, retrain=False, check_only=True)


NOTES = f"""
60 test recordings (every speaker x digit, 0.16-0.83 s each, 25.2 s in all). Columns: `lsd_db`
log-spectral distance (n_fft 256, hop 80); `pesq_nb` PESQ narrowband; `accuracy` the spoken-digit
classifier on the re-synthesis and `p_true_digit` its mean probability of the true digit;
`samples_per_cpu_s` and `real_time_factor` (CPU-s per second of audio, one thread; the WaveNets
generate in batches of 6-9 recordings with the cached algorithm, padded to the longest of the
batch); `test_bits_per_sample` the WaveNets' test NLL on the 60 recordings. `check_*`: the same on
the 6 recordings `--check` re-scores. Training: conv vocoder {CONV},
{TRAIN["wavenet_conv_vocoder"].steps:,} Adam steps on batches of 16 crops of 0.5 s, lr 1e-3 with
cosine decay, multi-resolution STFT loss (FFT sizes 128/256/512, hop 1/4), no discriminator; then
{TRAIN["wavenet_conv_vocoder_gan"].steps:,} steps with a 2-scale discriminator (`wn.WaveDiscriminator`),
least-squares GAN losses, adversarial weight {ADV_WEIGHT}, batches of 4, lr 1e-4, Adam (0.5, 0.9);
WaveNet vocoder: from its 1,500-step checkpoint, {TRAIN["wavenet_vocoder_long"].steps:,} more steps
(batches of 4 crops of 2,000 samples, lr 1e-3, cosine decay). Curves: `wavenet_vocoder_curve.csv`
(LSD on the 6 check recordings, test NLL on the 60).
"""


BENCH = Benchmark(
    "wavenet_vocoder",
    __doc__,
    ROWS,
    measure,
    [
        "lsd_db",
        "pesq_nb",
        "accuracy",
        "p_true_digit",
        "si_sdr_db",
        "samples_per_cpu_s",
        "real_time_factor",
        "test_bits_per_sample",
        "train_steps",
        "check_lsd_db",
        "check_pesq_nb",
    ],
    seeds=1,
    check_rows=[r["row"] for r in ROWS],
    tolerance={"check_lsd_db": 0.2, "check_pesq_nb": 0.1},
    notes=NOTES,
    check_measure=check_measure,
)

if __name__ == "__main__":
    raise SystemExit(BENCH.main())

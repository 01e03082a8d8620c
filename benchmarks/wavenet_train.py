"""Train the WaveNet chapter's checkpoints and score them on FSDD's test split.

Three models, each a few CPU-minutes on one core (scaled far down from the paper: tiny widths,
one to a few thousand Adam steps, 8 kHz digits instead of hours of speech), trained with
:func:`course_lib.wavenet.train_wavenet` / :func:`~course_lib.wavenet.train_denoiser` (Adam at
3e-3, cosine decay to 1/20 of it, gradient clipping at 1):

- ``wavenet_digits``: a WaveNet over µ-law codes, globally conditioned on the digit, receptive
  field 2,047 samples, 2,500 steps on pairs of 4,000-sample crops that may start with up to 2,000
  samples of silence (the situation generation starts from). Scored by test NLL in bits/sample
  next to the uniform, unigram and linear-prediction baselines (defined here) and with a wrong
  digit (``wavenet_digits.{csv,md}``). Whether its samples say the digit asked for is measured,
  with the two-stage alternatives, by ``wavenet_digits_speak.py``.
- ``wavenet_vocoder``: a WaveNet locally conditioned on log-mel frames, 1,500 steps (``RECIPES``);
  its test NLL is the ``vocoder`` row below. Its re-synthesis quality and speed against
  Griffin-Lim, a longer-trained copy and a convolutional vocoder are measured by
  ``wavenet_vocoder.py`` (which starts the longer training from this checkpoint).
- ``wavenet_denoiser``: the non-causal denoising WaveNet trained on white noise at 0-10 dB SNR only,
  1,000 steps then 400 more from LR / 3 with other batches (its loss was still falling); SI-SDR on
  test utterances with white noise and with two noises never seen in training (pink, babble),
  against spectral subtraction and a Wiener filter (``course_lib.restoration``).

The committed digits and vocoder checkpoints are what this recipe gives; the committed denoiser was
trained with the first edition's batch sampler (short clips at the start of a crop instead of at a
random offset), so a re-run gives an equivalent, not an identical, model. Nothing is selected on
the test split: it is only scored. Full run: about 25 CPU-minutes on a shared 2-core machine; the
checkpoints are registered in ``course_lib/checkpoints.json``.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/wavenet_train.py
    OMP_NUM_THREADS=1 python benchmarks/wavenet_train.py --from-checkpoints   # the denoiser's table only
"""

from __future__ import annotations

import dataclasses
import functools
import math
import tempfile
from pathlib import Path

import numpy as np
import torch
from _runner import Benchmark, save_checkpoint
from codec_train import RescoringBenchmark

from course_lib import audio, checkpoints
from course_lib import restoration as R
from course_lib import wavenet as wn
from course_lib.data import load_fsdd
from course_lib.metrics import si_sdr
from course_lib.utils import Timer, seeded

WIDTH = dict(residual_channels=16, gate_channels=16, skip_channels=32)
CONFIGS = {
    "digits": wn.WaveNetConfig(**WIDTH, layers_per_stack=10, n_stacks=2, n_global=10),
    "vocoder": wn.WaveNetConfig(**WIDTH, layers_per_stack=8, n_stacks=2, n_local=40, cond_channels=32),
    "denoiser": wn.StackConfig(
        residual_channels=24, gate_channels=24, skip_channels=24, kernel_size=3, layers_per_stack=8
    ),
}
TrainConfig = wn.WaveNetTrainConfig
#: training phases of each model, run one after the other on the same weights
RECIPES = {
    "digits": [TrainConfig(steps=2500, batch_size=2, segment=4000, lr=3e-3, lead=2000)],
    "vocoder": [TrainConfig(steps=1500, batch_size=4, segment=2000, lr=3e-3)],
    "denoiser": [
        TrainConfig(steps=1000, batch_size=8, segment=3000, lr=3e-3),
        TrainConfig(steps=400, batch_size=8, segment=3000, lr=1e-3, seed=1),
    ],
}


@functools.cache
def fsdd(dry_run: bool) -> tuple[list[torch.Tensor], list[int], list[torch.Tensor], list[int]]:
    """Training waveforms and digits (every 300th in a dry run), test waveforms and digits."""
    train, test = load_fsdd("train"), load_fsdd("test")
    step = 300 if dry_run else 1
    return train.waveforms[::step], train.digits[::step], test.waveforms, test.digits


@functools.cache
def trained(name: str, seed: int, dry_run: bool) -> torch.nn.Module:
    """Train (and save as ``wavenet_<name>``) one of the three models."""
    waves, digits, _, _ = fsdd(dry_run)
    with seeded(seed):
        model = wn.DenoisingWaveNet(CONFIGS[name]) if name == "denoiser" else wn.WaveNet(CONFIGS[name])
    if name == "denoiser":
        train, data = wn.train_denoiser, waves
    else:
        train, data = wn.train_wavenet, wn.Utterances.encode(waves, digits, mel=name == "vocoder")
    with Timer() as t, torch.enable_grad():  # measures may run under no_grad
        for phase in RECIPES[name]:
            phase = dataclasses.replace(phase, seed=phase.seed + seed, steps=2 if dry_run else phase.steps)
            losses = next(iter(train(model, data, phase).losses.values()))
    out = Path(tempfile.mkdtemp()) if dry_run else checkpoints.CHECKPOINT_DIR
    steps = sum(2 if dry_run else p.steps for p in RECIPES[name])
    last = float(np.mean(losses[-10:]))
    save_checkpoint(
        model, f"wavenet_{name}", out, steps=steps, train_loss_last=last, cpu_seconds=t.cpu_seconds
    )
    return model


# ---- baselines of the likelihood table ----
def unigram_nll_bits(train: list[torch.Tensor], test: list[torch.Tensor], alpha: float = 1.0) -> float:
    """Bits per test target (every sample but the first) under the smoothed histogram of training codes."""
    counts = sum(torch.bincount(c, minlength=256).double() for c in train)
    logp = torch.log2((counts + alpha) / (counts.sum() + 256 * alpha))
    return sum(-logp[c[1:]].sum().item() for c in test) / sum(len(c) - 1 for c in test)


def _lags(c: torch.Tensor, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Decoded amplitudes x (T,) and rows t = [x_{t-1}, ..., x_{t-order}] (zeros before the start)."""
    x = audio.mu_law_decode(c).double().numpy()
    X = np.zeros((len(x), order))
    for k in range(1, min(order, len(x) - 1) + 1):
        X[k:, k - 1] = x[: len(x) - k]
    return x, X


def lpc_fit(train: list[torch.Tensor], order: int) -> tuple[np.ndarray, float]:
    """Least-squares predictor x̂_t = Σ_k a_k x_{t-k} pooled over utterances (covariance method, zero
    history), and the Laplace scale b = mean |residual| (its maximum-likelihood value)."""
    pairs = [_lags(c, order) for c in train]
    a = np.linalg.solve(sum(X.T @ X for _, X in pairs) + 1e-9 * np.eye(order), sum(X.T @ x for x, X in pairs))
    return a, sum(np.abs(x - X @ a).sum() for x, X in pairs) / sum(len(x) for x, _ in pairs)


def lpc_nll_bits(train: list[torch.Tensor], test: list[torch.Tensor], order: int = 16) -> float:
    """Bits per test target under linear prediction with a Laplace residual discretised onto the
    µ-law bins [e_c, e_{c+1}), mixed with ε = 1e-4 of uniform mass:
    p(c | past) = (1 - ε) [L(e_{c+1} - x̂) - L(e_c - x̂)] + ε / 256, L the Laplace CDF."""
    a, b = lpc_fit(train, order)
    y = (np.arange(257) - 0.5) * 2 / 255 - 1  # companded edges of the 256 bins
    edges = np.sign(y) * np.expm1(np.abs(y) * math.log1p(255)) / 255
    edges[0], edges[-1] = -np.inf, np.inf

    def cdf(z: np.ndarray) -> np.ndarray:
        return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0) / b), 1 - 0.5 * np.exp(-np.maximum(z, 0) / b))

    bits, n = 0.0, 0
    for c in test:
        pred, ci = _lags(c, order)[1] @ a, c.numpy()
        p = (1 - 1e-4) * (cdf(edges[ci + 1] - pred) - cdf(edges[ci] - pred)) + 1e-4 / 256
        bits, n = bits - np.log2(p[1:]).sum(), n + len(ci) - 1
    return float(bits / n)


# ---- the measurements ----
def measure_digits(row: dict, seed: int, dry_run: bool) -> dict:
    """Test NLL of one model on every 5th test utterance (8 in a dry run)."""
    waves, _, test, test_digits = fsdd(dry_run)
    n = 8 if dry_run else None
    test_codes, labels = wn.Utterances.encode(test[::5][:n]).codes, test_digits[::5][:n]
    if row["row"] == "uniform":
        bits = 8.0
    elif row["row"] in ("unigram", "lpc"):
        baseline = unigram_nll_bits if row["row"] == "unigram" else lpc_nll_bits
        bits = baseline(wn.Utterances.encode(waves).codes, test_codes)
    else:
        wrong = row["row"] == "wavenet_wrong_digit"
        labels = [(d + 5) % 10 for d in labels] if wrong else labels
        bits = wn.nll_bits(trained("digits", seed, dry_run), wn.Utterances(test_codes, labels))
    return {"model": row["model"], "test_bits_per_sample": bits}


@torch.no_grad()
def measure_vocoder_nll(row: dict, seed: int, dry_run: bool) -> dict:
    """Test NLL of the 1,500-step WaveNet vocoder on every 5th test utterance (4 in a dry run)."""
    data = wn.Utterances.encode(fsdd(dry_run)[2][::5][: 4 if dry_run else 60], mel=True)
    return {
        "model": row["model"],
        "test_bits_per_sample": wn.nll_bits(trained("vocoder", seed, dry_run), data),
    }


@torch.no_grad()
def measure_denoiser(row: dict, seed: int, dry_run: bool, committed: bool = False) -> dict:
    """Mean SI-SDR of each method on 60 test utterances (one per speaker and digit) with one noise;
    ``committed``: the committed checkpoint instead of a trained one."""
    model = wn.pretrained_wavenet("wavenet_denoiser")[0] if committed else trained("denoiser", seed, dry_run)
    methods = {
        "noisy": lambda x: x,
        "spectral subtraction": R.spectral_subtraction,
        "Wiener": R.wiener_filter,
    }
    methods["denoising WaveNet"] = model
    scores: dict[str, list[float]] = {k: [] for k in methods}
    test = load_fsdd("test")
    clips = [test.waveforms[j] for j in test.stratified(per_cell=1, seed=0)]
    for i, w in enumerate(clips[: 3 if dry_run else None]):
        noisy = audio.add_noise(w, audio.make_noise(row["noise"], len(w), seed=1000 + i), row["snr_db"])
        for k, fn in methods.items():
            scores[k].append(si_sdr(w, fn(noisy)).item())
    out = {"noise": row["noise"], "snr_db": row["snr_db"]} | {k: float(np.mean(v)) for k, v in scores.items()}
    return out | {
        "wavenet_minus_spectral_subtraction": out["denoising WaveNet"] - out["spectral subtraction"]
    }


NLL_NOTES = "Test bits per sample on every 5th test utterance; baselines fitted on the training split."
BENCHMARKS = [
    Benchmark(
        name="wavenet_digits",
        doc=__doc__,
        rows=[  # the network first, so that a dry run trains it
            {"row": "wavenet", "model": "WaveNet (digit-conditioned, RF 2047)"},
            {"row": "wavenet_wrong_digit", "model": "same WaveNet, given a wrong digit (d + 5 mod 10)"},
            {"row": "uniform", "model": "uniform (8 bits)"},
            {"row": "unigram", "model": "unigram histogram of µ-law codes"},
            {"row": "lpc", "model": "LPC order 16 + Laplace residual"},
        ],
        measure=measure_digits,
        metrics=["test_bits_per_sample"],
        seeds=1,
        check_rows=["uniform", "unigram", "lpc"],
        notes=NLL_NOTES,
    ),
    Benchmark(
        name="wavenet_vocoder_nll",
        doc=__doc__,
        rows=[{"row": "nll", "model": "WaveNet vocoder (log-mel conditioned, 1,500 steps)"}],
        measure=measure_vocoder_nll,
        metrics=["test_bits_per_sample"],
        seeds=1,
        notes="Test bits per sample on every 5th test utterance. Quality and speed: wavenet_vocoder.py.",
    ),
    RescoringBenchmark(
        name="wavenet_denoiser",
        check_measure=functools.partial(measure_denoiser, committed=True),
        check_rows=["white 0 dB", "pink 0 dB"],
        checkpoint_names=("wavenet_denoiser",),
        doc=__doc__,
        rows=[
            {"row": f"{kind} {snr:g} dB", "noise": kind, "snr_db": snr}
            for kind, snr in [("white", 0.0), ("white", 5.0), ("white", 10.0), ("pink", 0.0), ("babble", 5.0)]
        ],
        measure=measure_denoiser,
        metrics=[
            "noisy",
            "spectral subtraction",
            "Wiener",
            "denoising WaveNet",
            "wavenet_minus_spectral_subtraction",
        ],
        seeds=1,
        notes="Mean SI-SDR (dB) on 60 test utterances, one per speaker and digit. Trained on white noise "
        "only: pink and babble are unseen.",
    ),
]

if __name__ == "__main__":
    import sys

    rescoring = "--from-checkpoints" in sys.argv  # only the denoiser's table is scored from its checkpoint
    runs = [b for b in BENCHMARKS if isinstance(b, RescoringBenchmark) or not rescoring]
    raise SystemExit(max(b.main() for b in runs))

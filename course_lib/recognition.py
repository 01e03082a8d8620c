"""Spoken-digit recognition on FSDD: features, three neural classifiers, classical baselines,
augmentation, training with early stopping, scores and the leave-one-speaker-out protocol.

The chapter "Audio: recognition" is built on this module, and other chapters use
:func:`pretrained_digit_classifier` as an evaluator of generated or restored digits.

Models (all take a waveform batch and compute their features inside):

- ``"cnn"``: a small 2-D CNN on the log-mel spectrogram (time-frequency "image").
- ``"gru"``: a bidirectional GRU over log-mel frames (Cho et al. 2014, ``cho2014gru``).
- ``"transformer"``: a small self-attention encoder over (sub-sampled) frames
  (Vaswani et al. 2017, ``vaswani2017attention``).

Augmentation: white noise at a random SNR (``course_lib.audio.add_noise``), random time shift,
and SpecAugment time/frequency masks (Park et al. 2019, ``park2019specaugment``).
Classical baselines: per-segment statistics of log-mel or MFCC (+ deltas) with logistic
regression or an RBF support-vector machine (scikit-learn).

**Input convention** (the same for every model, including the pretrained one): a mono float
waveform at 8 kHz with samples in [-1, 1], any length. :func:`prepare_waves` trims leading and
trailing silence (frames more than ``trim_db`` = 40 dB below the loudest frame), then keeps the
loudest 1 s window of a longer clip or zero-pads a shorter one equally on both sides to exactly
1 s (8,000 samples). Features are 40-band log-mel (32 ms Hann window, 20 ms hop, from
``course_lib.audio.log_mel``), in dB relative to the clip's own peak, so the overall level
(gain) of the input does not change the prediction.
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from course_lib.audio import add_noise, log_mel, mfcc
from course_lib.utils import CHECKPOINT_URL, committed_checkpoint, get_device, load_verified, sha256_file

__all__ = [
    "SAMPLE_RATE",
    "NUM_CLASSES",
    "FeatureConfig",
    "CNNConfig",
    "GRUConfig",
    "TransformerConfig",
    "AugmentConfig",
    "TrainConfig",
    "check_waves",
    "trim_silence",
    "fix_length",
    "prepare_waves",
    "pad_crop_collate",
    "compute_features",
    "spec_augment",
    "shift_frames",
    "augment_waves",
    "DigitClassifier",
    "build_classifier",
    "classification_loss",
    "train_classifier",
    "train_digit_classifier",
    "Scores",
    "classification_scores",
    "evaluate",
    "leave_one_speaker_out",
    "validation_speaker",
    "split_by_speaker",
    "official_validation_split",
    "imbalanced_subset",
    "segment_statistics",
    "classical_features",
    "fit_classical",
    "SoftmaxRegression",
    "fit_softmax_regression",
    "save_classifier",
    "load_classifier",
    "PRETRAINED_PATH",
    "PRETRAINED_SHA256",
    "pretrained_digit_classifier",
    "load_pretrained_classifier",
    "machine_info",
]

SAMPLE_RATE = 8000
NUM_CLASSES = 10
ARCHS = ("cnn", "gru", "transformer")

# ---------------------------------------------------------------------------------------
# Input checks, trimming, cropping and padding
# ---------------------------------------------------------------------------------------


@dataclass
class FeatureConfig:
    """Front-end shared by all models.

    Attributes:
        kind: ``"logmel"`` (dB relative to the clip's peak) or ``"mfcc"`` (with cepstral
            mean normalisation).
        n_mels: mel bands; n_mfcc: cepstral coefficients kept (``kind="mfcc"``).
        n_fft, hop_length: 256 and 160 samples = 32 ms window, 20 ms hop at 8 kHz.
        clip_seconds: every input is cropped or zero-padded to this duration.
        trim_db: trim edge frames more than this many dB below the loudest frame (None: off).
    """

    kind: str = "logmel"
    n_mels: int = 40
    n_mfcc: int = 20
    n_fft: int = 256
    hop_length: int = 160
    clip_seconds: float = 1.0
    trim_db: float | None = 40.0

    def __post_init__(self) -> None:
        if self.kind not in ("logmel", "mfcc"):
            raise ValueError(f"kind must be 'logmel' or 'mfcc', got {self.kind!r}")

    @property
    def n_features(self) -> int:
        return self.n_mels if self.kind == "logmel" else self.n_mfcc

    @property
    def clip_samples(self) -> int:
        return int(round(self.clip_seconds * SAMPLE_RATE))

    @property
    def n_frames(self) -> int:
        return self.clip_samples // self.hop_length + 1  # centred frames

    @classmethod
    def tiny(cls) -> FeatureConfig:
        return cls(n_mels=16, n_mfcc=8, clip_seconds=0.25)


def check_waves(waves, sample_rate: int = SAMPLE_RATE) -> list[torch.Tensor]:
    """Validate model input and return it as a list of 1-D float32 CPU tensors.

    Args:
        waves: one waveform ``(time,)``, a padded batch ``(batch, time)``, or a list of
            1-D tensors / numpy arrays of any lengths; float samples in [-1, 1].
        sample_rate: the rate of ``waves`` in Hz; it must be 8000.

    Raises:
        ValueError: wrong sample rate, wrong number of dimensions, NaN or inf samples.
        TypeError: integer samples, or not a tensor / array / list.
    """
    if sample_rate != SAMPLE_RATE:
        raise ValueError(
            f"the digit classifiers expect {SAMPLE_RATE} Hz audio, got sample_rate={sample_rate}; "
            "resample first, e.g. librosa.resample(y, orig_sr=sample_rate, target_sr=8000)"
        )
    if isinstance(waves, (torch.Tensor, np.ndarray)):
        t = torch.as_tensor(waves)
        if t.dim() == 1:
            items = [t]
        elif t.dim() == 2:
            items = list(t)
        else:
            raise ValueError(f"expected (time,) or (batch, time), got shape {tuple(t.shape)}")
    elif isinstance(waves, (list, tuple)):
        items = [torch.as_tensor(w) for w in waves]
    else:
        raise TypeError(f"expected a tensor, array or list of 1-D waveforms, got {type(waves).__name__}")
    out = []
    for i, w in enumerate(items):
        if not torch.is_floating_point(w):
            raise TypeError(
                f"waveform {i} has dtype {w.dtype}; expected float samples in [-1, 1]: "
                "convert 16-bit PCM with x.float() / 32768"
            )
        if w.dim() != 1:
            raise ValueError(f"waveform {i} has shape {tuple(w.shape)}; expected mono (time,)")
        if not torch.isfinite(w).all():
            raise ValueError(f"waveform {i} contains NaN or inf samples")
        out.append(w.detach().to("cpu", torch.float32))
    return out


def _frame_energy_db(wave: torch.Tensor, frame: int, hop: int) -> torch.Tensor:
    """Mean power of frames of ``frame`` samples every ``hop`` samples, in dB ``(frames,)``."""
    if wave.numel() < frame:
        wave = F.pad(wave, (0, frame - wave.numel()))
    frames = wave.unfold(0, frame, hop)  # (frames, frame)
    return 10 * torch.log10(frames.pow(2).mean(-1).clamp(min=1e-20))


def trim_silence(wave: torch.Tensor, top_db: float = 40.0, frame: int = 256, hop: int = 80) -> torch.Tensor:
    """Cut leading and trailing frames whose power is more than ``top_db`` dB below the
    loudest frame (the idea of ``librosa.effects.trim``). A silent clip is returned as is.

    Args:
        wave: ``(time,)``.

    Returns:
        ``(time',)`` with time' <= time, a view of ``wave``.
    """
    if wave.numel() == 0 or wave.abs().max() == 0:
        return wave
    db = _frame_energy_db(wave, frame, hop)
    keep = torch.nonzero(db > db.max() - top_db).squeeze(1)
    start = int(keep[0]) * hop
    stop = min(wave.numel(), int(keep[-1]) * hop + frame)
    return wave[start:stop]


def fix_length(wave: torch.Tensor, length: int, offset: int | None = None) -> torch.Tensor:
    """Crop or zero-pad a waveform to exactly ``length`` samples.

    A longer clip keeps its loudest window of ``length`` samples (or the one starting at
    ``offset``); a shorter clip is placed at ``offset`` (default: centred) in zeros.

    Args:
        wave: ``(time,)``.
        offset: crop start (long clips) or padding before the clip (short clips); clamped
            to the valid range.

    Returns:
        ``(length,)``.
    """
    n = wave.numel()
    if n == length:
        return wave
    if n > length:
        if offset is None:
            c = F.pad(wave.pow(2).cumsum(0), (1, 0))  # c[i] = sum of the first i squares
            offset = int(torch.argmax(c[length:] - c[: n - length + 1]))
        offset = max(0, min(offset, n - length))
        return wave[offset : offset + length]
    offset = (length - n) // 2 if offset is None else max(0, min(offset, length - n))
    return F.pad(wave, (offset, length - n - offset))


def prepare_waves(
    waves: Sequence[torch.Tensor],
    cfg: FeatureConfig,
    *,
    trimmed: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Trim, then crop/pad each waveform to ``cfg.clip_samples`` and stack them.

    Args:
        waves: 1-D float tensors (already checked with :func:`check_waves`).
        trimmed: the waves were trimmed already (skip :func:`trim_silence`).
        generator: if given, a random time shift: the clip is placed at a uniformly random
            offset (training augmentation); otherwise centred / loudest window.

    Returns:
        ``(batch, cfg.clip_samples)``.
    """
    out = []
    n = cfg.clip_samples
    for w in waves:
        if cfg.trim_db is not None and not trimmed:
            w = trim_silence(w, cfg.trim_db, cfg.n_fft, cfg.hop_length)
        offset = None
        if generator is not None:
            span = abs(n - w.numel())
            offset = int(torch.randint(span + 1, (1,), generator=generator))
        out.append(fix_length(w, n, offset))
    return torch.stack(out) if out else torch.zeros(0, n)


def pad_crop_collate(
    batch: Sequence[tuple[torch.Tensor, int, str]], cfg: FeatureConfig | None = None
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Collate FSDD items ``(wave, digit, speaker)`` into fixed-length batches for a DataLoader.

    Returns:
        ``(waves (batch, clip_samples), digits (batch,), speakers)``.
    """
    cfg = cfg or FeatureConfig()
    waves = prepare_waves(check_waves([b[0] for b in batch]), cfg)
    return waves, torch.tensor([int(b[1]) for b in batch]), [b[2] for b in batch]


def compute_features(x: torch.Tensor, cfg: FeatureConfig) -> torch.Tensor:
    """Level-normalised features of a fixed-length batch.

    logmel: L = 10 log10(mel power) - max_{f,t} L, then (L + 40) / 40, so the loudest bin
    is 1 and the 80 dB floor is -1. mfcc: DCT of the log-mel, minus each coefficient's mean
    over time (cepstral mean normalisation), divided by 40.

    Args:
        x: ``(batch, time)`` waveforms at 8 kHz.

    Returns:
        ``(batch, n_features, frames)``.
    """
    if cfg.kind == "logmel":
        db = log_mel(x, SAMPLE_RATE, cfg.n_fft, cfg.hop_length, cfg.n_mels)  # (B, M, T)
        db = db - db.amax(dim=(-2, -1), keepdim=True)
        return (db + 40.0) / 40.0
    c = mfcc(x, SAMPLE_RATE, cfg.n_mfcc, cfg.n_fft, cfg.hop_length, cfg.n_mels)  # (B, C, T)
    return (c - c.mean(-1, keepdim=True)) / 40.0


# ---------------------------------------------------------------------------------------
# Augmentation
# ---------------------------------------------------------------------------------------


@dataclass
class AugmentConfig:
    """Training-time augmentation (all off when the whole config is ``None``).

    Gain is not in the list: the features are level-normalised (dB relative to the clip's
    peak), so scaling a waveform does not change them and gain augmentation is a no-op.

    Attributes:
        time_shift: move each clip by a random number of frames inside its 1 s window, at
            most as far as its silent margin allows (so the word is never cut).
        noise_prob: probability of using the noisy copy of a clip (white noise, drawn once
            per clip at a random SNR before training, ``course_lib.audio.add_noise``).
        noise_snr_db: SNR range (dB) drawn uniformly for the noise.
        freq_masks, freq_width: SpecAugment frequency masks: count and maximum width (bands).
        time_masks, time_width: SpecAugment time masks: count and maximum width (frames).
    """

    time_shift: bool = True
    noise_prob: float = 0.5
    noise_snr_db: tuple[float, float] = (5.0, 30.0)
    freq_masks: int = 2
    freq_width: int = 6
    time_masks: int = 2
    time_width: int = 6

    @classmethod
    def none(cls) -> AugmentConfig:
        return cls(time_shift=False, noise_prob=0.0, freq_masks=0, time_masks=0)


def augment_waves(x: torch.Tensor, snr_db: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """Add white Gaussian noise to every clip of a batch at an SNR drawn uniformly from
    ``snr_db`` (dB, per clip; :func:`course_lib.audio.add_noise`). Silent clips stay silent.

    Args:
        x: ``(batch, time)``.

    Returns:
        ``(batch, time)``, a new tensor.
    """
    lo, hi = snr_db
    out = x.clone()
    loud = x.abs().amax(-1) > 0
    if not loud.any():
        return out
    noise = torch.randn(x.shape, generator=generator).to(x)
    snr = lo + (hi - lo) * torch.rand(x.shape[0], generator=generator)
    for i in torch.nonzero(loud).flatten().tolist():
        out[i] = add_noise(x[i], noise[i], float(snr[i]))
    return out


def shift_frames(feats: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """Move each item's features by ``shifts[i]`` frames (positive: later), repeating the
    edge frame into the gap (the edge frames of a padded clip are silence).

    Args:
        feats: ``(batch, features, frames)``; shifts: ``(batch,)`` int64.
    """
    t = feats.shape[-1]
    idx = (torch.arange(t, device=feats.device)[None, :] - shifts.to(feats.device)[:, None]).clamp(0, t - 1)
    return feats.gather(-1, idx[:, None, :].expand(-1, feats.shape[1], -1))


def spec_augment(feats: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """SpecAugment masking (Park et al. 2019): for each item, ``freq_masks`` bands of width
    f ~ U{0..freq_width} and ``time_masks`` frame ranges of width t ~ U{0..time_width}
    are set to the item's mean feature value.

    Args:
        feats: ``(batch, features, frames)``.

    Returns:
        masked copy, same shape.
    """
    b, nf, nt = feats.shape
    keep = torch.ones(b, nf, nt, dtype=torch.bool)

    def masks(n: int, width: int, size: int) -> torch.Tensor:  # (b, size) True inside a mask
        inside = torch.zeros(b, size, dtype=torch.bool)
        pos = torch.arange(size)[None, :]
        for _ in range(n):
            w = torch.randint(width + 1, (b, 1), generator=generator)
            start = (torch.rand(b, 1, generator=generator) * (size - w + 1)).long()
            inside |= (pos >= start) & (pos < start + w)
        return inside

    if cfg.freq_masks:
        keep &= ~masks(cfg.freq_masks, cfg.freq_width, nf)[:, :, None]
    if cfg.time_masks:
        keep &= ~masks(cfg.time_masks, cfg.time_width, nt)[:, None, :]
    if keep.all():
        return feats
    mean = feats.mean(dim=(1, 2), keepdim=True)
    return torch.where(keep.to(feats.device), feats, mean)


# ---------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------


@dataclass
class CNNConfig:
    """2-D CNN on the (mel bands x frames) image: blocks of 3x3 conv, BatchNorm, ReLU and
    2x2 max-pooling (none after the last block); the (channel, frequency) maps are then
    pooled over time only (mean and max), so the classifier still knows which band a
    pattern came from, and a dropout + linear layer gives the logits."""

    channels: tuple[int, ...] = (16, 32, 64, 64)
    dropout: float = 0.3

    @classmethod
    def tiny(cls) -> CNNConfig:
        return cls(channels=(4, 8), dropout=0.1)


@dataclass
class GRUConfig:
    """A strided 1-D conv (frames / 2), then a bidirectional GRU; mean and max over time."""

    hidden: int = 64
    layers: int = 1
    conv_channels: int = 64
    dropout: float = 0.3

    @classmethod
    def tiny(cls) -> GRUConfig:
        return cls(hidden=8, layers=1, conv_channels=8, dropout=0.1)


@dataclass
class TransformerConfig:
    """Strided 1-D conv (frames / 2) + learned positions + pre-norm transformer encoder."""

    d_model: int = 64
    heads: int = 4
    layers: int = 2
    ff: int = 128
    dropout: float = 0.2
    max_frames: int = 512

    @classmethod
    def tiny(cls) -> TransformerConfig:
        return cls(d_model=16, heads=2, layers=1, ff=32, dropout=0.1)


_CONFIGS = {"cnn": CNNConfig, "gru": GRUConfig, "transformer": TransformerConfig}


class _CNN(nn.Module):
    def __init__(self, n_features: int, cfg: CNNConfig):
        super().__init__()
        blocks, c_in = [], 1
        for i, c in enumerate(cfg.channels):
            blocks += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
            if i < len(cfg.channels) - 1:
                blocks.append(nn.MaxPool2d(2, ceil_mode=True))
            c_in = c
        self.body = nn.Sequential(*blocks)
        f_out = n_features
        for _ in range(len(cfg.channels) - 1):
            f_out = math.ceil(f_out / 2)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(2 * c_in * f_out, NUM_CLASSES))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        h = self.body(f.unsqueeze(1))  # (B, 1, F, T) -> (B, C, F', T')
        h = h.flatten(1, 2)  # (B, C F', T'): keep where in frequency a pattern is
        h = torch.cat([h.mean(-1), h.amax(-1)], dim=1)  # (B, 2 C F'): mean and max over time
        return self.head(h)


class _GRU(nn.Module):
    def __init__(self, n_features: int, cfg: GRUConfig):
        super().__init__()
        self.embed = nn.Sequential(
            nn.Conv1d(n_features, cfg.conv_channels, 3, stride=2, padding=1), nn.ReLU()
        )  # (B, F, T) -> (B, C, T/2)
        self.gru = nn.GRU(
            cfg.conv_channels,
            cfg.hidden,
            num_layers=cfg.layers,
            batch_first=True,
            bidirectional=True,
            dropout=cfg.dropout if cfg.layers > 1 else 0.0,
        )
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(4 * cfg.hidden, NUM_CLASSES))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.embed(f).transpose(1, 2))  # (B, T/2, C) -> (B, T/2, 2H)
        h = torch.cat([h.mean(1), h.amax(1)], dim=1)  # (B, 4H)
        return self.head(h)


class _Transformer(nn.Module):
    def __init__(self, n_features: int, cfg: TransformerConfig):
        super().__init__()
        self.max_frames = cfg.max_frames
        self.embed = nn.Sequential(
            nn.Conv1d(n_features, cfg.d_model, 3, stride=2, padding=1), nn.GELU()
        )  # (B, F, T) -> (B, D, T/2)
        self.pos = nn.Parameter(torch.zeros(1, cfg.max_frames, cfg.d_model))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(
            cfg.d_model, cfg.heads, cfg.ff, cfg.dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.d_model, NUM_CLASSES))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        h = self.embed(f).transpose(1, 2)  # (B, T/2, D)
        t = h.shape[1]
        if t > self.max_frames:
            raise ValueError(f"{t} frames after sub-sampling, but max_frames is {self.max_frames}")
        h = self.encoder(h + self.pos[:, :t])  # softmax(QK^T / sqrt(d)) V in each head
        return self.head(self.norm(h).mean(1))  # mean over time -> (B, 10)


_BACKBONES = {"cnn": _CNN, "gru": _GRU, "transformer": _Transformer}


class DigitClassifier(nn.Module):
    """Waveform in, digit logits out: the fixed front-end of :func:`compute_features`
    followed by a backbone (``arch`` in ``"cnn"``, ``"gru"``, ``"transformer"``).

    ``forward`` takes a fixed-length batch ``(batch, clip_samples)``; :meth:`predict` and
    :meth:`predict_proba` take any list of 8 kHz waveforms and prepare them first.
    """

    def __init__(self, arch: str, model_cfg=None, feature_cfg: FeatureConfig | None = None):
        super().__init__()
        if arch not in _BACKBONES:
            raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
        self.arch = arch
        self.model_cfg = model_cfg if model_cfg is not None else _CONFIGS[arch]()
        if not isinstance(self.model_cfg, _CONFIGS[arch]):
            raise TypeError(
                f"arch {arch!r} needs a {_CONFIGS[arch].__name__}, got {type(model_cfg).__name__}"
            )
        self.feature_cfg = feature_cfg or FeatureConfig()
        self.backbone = _BACKBONES[arch](self.feature_cfg.n_features, self.model_cfg)
        self.history: dict[str, list[float]] = {}
        self.meta: dict = {}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, time)`` -> ``(batch, n_features, frames)``."""
        return compute_features(x, self.feature_cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, clip_samples)`` waveforms -> ``(batch, 10)`` logits."""
        return self.backbone(self.features(x))

    @torch.no_grad()
    def predict_proba(self, waves, sample_rate: int = SAMPLE_RATE, batch_size: int = 256) -> torch.Tensor:
        """Class probabilities ``(n, 10)`` for waveforms of any length (see :func:`check_waves`)."""
        items = check_waves(waves, sample_rate)
        was_training = self.training
        self.eval()
        device = next(self.parameters()).device
        out = []
        for i in range(0, len(items), batch_size):
            x = prepare_waves(items[i : i + batch_size], self.feature_cfg).to(device)
            out.append(self(x).softmax(-1).cpu())
        self.train(was_training)
        return torch.cat(out) if out else torch.zeros(0, NUM_CLASSES)

    def predict(self, waves, sample_rate: int = SAMPLE_RATE, batch_size: int = 256) -> torch.Tensor:
        """Digit indices ``(n,)`` (int64) for waveforms of any length."""
        return self.predict_proba(waves, sample_rate, batch_size).argmax(-1)


def build_classifier(
    arch: str = "cnn", *, tiny: bool = False, dropout: float | None = None
) -> DigitClassifier:
    """A fresh classifier with the default (or ``tiny()``) configs; ``dropout`` overrides."""
    if arch not in _CONFIGS:
        raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
    cfg = _CONFIGS[arch].tiny() if tiny else _CONFIGS[arch]()
    if dropout is not None:
        cfg.dropout = dropout
    return DigitClassifier(arch, cfg, FeatureConfig.tiny() if tiny else FeatureConfig())


# ---------------------------------------------------------------------------------------
# Losses and training
# ---------------------------------------------------------------------------------------


def classification_loss(
    logits: torch.Tensor, y: torch.Tensor, kind: str = "ce", class_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean loss over a batch.

    - ``"ce"``: cross-entropy -log softmax(z)_y (optionally weighted by class_weights[y],
      normalised by the sum of weights as in ``F.cross_entropy``).
    - ``"mse"``: squared error between softmax(z) and the one-hot target, summed over classes:
      sum_k (p_k - 1[k = y])^2. Shown in the chapter as what *not* to use by default.

    Args:
        logits: ``(batch, classes)``; y: ``(batch,)`` int64.
    """
    if kind == "ce":
        return F.cross_entropy(logits, y, weight=class_weights)
    if kind == "mse":
        err = (logits.softmax(-1) - F.one_hot(y, logits.shape[-1]).to(logits)).pow(2).sum(-1)
        if class_weights is not None:
            w = class_weights[y]
            return (w * err).sum() / w.sum()
        return err.mean()
    raise ValueError(f"loss kind must be 'ce' or 'mse', got {kind!r}")


@dataclass
class TrainConfig:
    """Training loop settings.

    Attributes:
        epochs: maximum number of passes over the training set.
        lr: peak learning rate (linear warm-up over the first epoch, then cosine decay).
        optimizer: ``"adamw"``, ``"adam"``, ``"sgd"`` (momentum 0.9), ``"rmsprop"``, ``"adadelta"``.
        weight_decay: decoupled for AdamW, L2 added to the gradient for the others.
        loss: ``"ce"`` or ``"mse"`` (see :func:`classification_loss`).
        class_weights: weight each class by n / (classes * n_c) in the loss.
        balanced_sampler: draw training items with probability proportional to 1 / n_c.
        patience: stop after this many epochs without a better validation score and restore
            the best weights (None: train all epochs and keep the last weights).
        augment: augmentation, or None.
        seed: initialisation, shuffling and augmentation.
    """

    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    optimizer: str = "adamw"
    weight_decay: float = 1e-2
    loss: str = "ce"
    class_weights: bool = False
    balanced_sampler: bool = False
    patience: int | None = 8
    augment: AugmentConfig | None = field(default_factory=AugmentConfig)
    seed: int = 0


def _unpack(dataset) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Waves and labels from an FSDD dataset, a Subset, or a list of (wave, digit[, speaker])."""
    waves, labels = [], []
    for item in dataset:
        waves.append(item[0])
        labels.append(int(item[1]))
    return check_waves(waves), torch.tensor(labels, dtype=torch.long)


def _make_optimizer(params, cfg: TrainConfig) -> torch.optim.Optimizer:
    name, lr, wd = cfg.optimizer, cfg.lr, cfg.weight_decay
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=lr, weight_decay=wd)
    raise ValueError(f"optimizer must be adamw, adam, sgd, rmsprop or adadelta, got {name!r}")


@torch.no_grad()
def _features_of(model: DigitClassifier, x: torch.Tensor, bs: int = 512) -> torch.Tensor:
    """Features of prepared waves ``(n, clip_samples)``, in chunks, on the CPU."""
    if len(x) == 0:
        fc = model.feature_cfg
        return torch.zeros(0, fc.n_features, fc.n_frames)
    return torch.cat([model.features(x[i : i + bs]) for i in range(0, len(x), bs)])


@torch.no_grad()
def _score_features(
    model: DigitClassifier, feats: torch.Tensor, y: torch.Tensor, bs: int = 512
) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on precomputed features."""
    model.eval()
    device = next(model.parameters()).device
    correct, loss = 0, 0.0
    for i in range(0, len(feats), bs):
        logits = model.backbone(feats[i : i + bs].to(device))
        yy = y[i : i + bs].to(device)
        correct += int((logits.argmax(-1) == yy).sum())
        loss += float(F.cross_entropy(logits, yy, reduction="sum"))
    return correct / max(1, len(feats)), loss / max(1, len(feats))


def train_classifier(
    model: DigitClassifier,
    train_data,
    val_data=None,
    cfg: TrainConfig | None = None,
    *,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> DigitClassifier:
    """Training loop with augmentation, warm-up + cosine schedule and early stopping.

    The features of every (trimmed, centred) training clip are computed once, plus those of
    one noisy copy when noise augmentation is on; time shift and SpecAugment then act on the
    features, so an epoch costs only the backbone's forward and backward passes.

    Args:
        model: a :class:`DigitClassifier` (trained in place and returned).
        train_data: FSDD dataset, Subset, or list of ``(wave, digit, ...)``; training speakers only.
        val_data: validation items (from training speakers/takes, never the test set) used for
            early stopping; None disables early stopping.
        cfg: :class:`TrainConfig`.

    Returns:
        the model (on ``device``, in eval mode) with ``model.history`` holding per-epoch
        ``train_loss``, ``val_acc``, ``val_loss`` and ``best_epoch``.
    """
    cfg = cfg or TrainConfig()
    device = torch.device(device) if device is not None else get_device()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(cfg.seed)  # dropout masks; the caller's global generator is restored after
        return _train_loop(model, train_data, val_data, cfg, device, progress)


def _train_loop(model, train_data, val_data, cfg: TrainConfig, device: torch.device, progress: bool):
    g = torch.Generator().manual_seed(cfg.seed)
    model.to(device)
    fcfg = model.feature_cfg
    waves, labels = _unpack(train_data)
    if len(waves) == 0:
        raise ValueError("the training set is empty")
    if fcfg.trim_db is not None:
        waves = [trim_silence(w, fcfg.trim_db, fcfg.n_fft, fcfg.hop_length) for w in waves]
    x = prepare_waves(waves, fcfg, trimmed=True)  # (N, clip_samples), centred
    aug = cfg.augment
    feats = _features_of(model, x.to(device)).cpu()
    noisy = None
    if aug is not None and aug.noise_prob > 0:
        noisy = _features_of(model, augment_waves(x, aug.noise_snr_db, g).to(device)).cpu()
    lengths = torch.tensor([min(w.numel(), fcfg.clip_samples) for w in waves])
    max_shift = (fcfg.clip_samples - lengths) // 2 // fcfg.hop_length  # silent margin, frames
    counts = torch.bincount(labels, minlength=NUM_CLASSES).float()
    weights = None
    if cfg.class_weights:
        weights = (counts.sum() / (NUM_CLASSES * counts.clamp(min=1))).to(device)  # n / (K n_c)
    val_f = val_y = None
    if val_data is not None:
        vw, val_y = _unpack(val_data)
        val_f = _features_of(model, prepare_waves(vw, fcfg).to(device))
    opt = _make_optimizer(model.parameters(), cfg)
    steps_per_epoch = math.ceil(len(waves) / cfg.batch_size)
    total, warm = cfg.epochs * steps_per_epoch, steps_per_epoch

    def lr_factor(step: int) -> float:  # linear warm-up, then cosine decay to 0
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    hist: dict[str, list[float]] = {"train_loss": [], "val_acc": [], "val_loss": [], "best_epoch": []}
    best = (-1.0, float("inf"))
    best_state, bad = None, 0
    bar = tqdm(range(cfg.epochs), desc=f"train {model.arch}", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        if cfg.balanced_sampler:
            p = (1.0 / counts.clamp(min=1))[labels]
            order = torch.multinomial(p / p.sum(), len(labels), replacement=True, generator=g)
        else:
            order = torch.randperm(len(labels), generator=g)
        run = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i : i + cfg.batch_size]
            f = feats[idx]
            if noisy is not None:
                use = torch.rand(len(idx), generator=g) < aug.noise_prob
                f = torch.where(use[:, None, None], noisy[idx], f)
            if aug is not None and aug.time_shift:
                m = max_shift[idx]
                s = (torch.rand(len(idx), generator=g) * (2 * m + 1)).long() - m  # U{-m..m}
                f = shift_frames(f, s)
            if aug is not None:
                f = spec_augment(f, aug, g)
            loss = classification_loss(
                model.backbone(f.to(device)), labels[idx].to(device), cfg.loss, weights
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            sched.step()
            run += loss.item() * len(idx)
        hist["train_loss"].append(run / len(order))
        if val_f is None:
            continue
        acc, vloss = _score_features(model, val_f, val_y)
        hist["val_acc"].append(acc)
        hist["val_loss"].append(vloss)
        bar.set_postfix(val_acc=f"{acc:.3f}")
        if (acc, -vloss) > (best[0], -best[1]):
            best, bad = (acc, vloss), 0
            best_state = copy.deepcopy(model.state_dict())
            hist["best_epoch"] = [epoch]
        else:
            bad += 1
            if cfg.patience is not None and bad >= cfg.patience:
                break
    if best_state is not None and cfg.patience is not None:
        model.load_state_dict(best_state)
    model.history = hist
    return model.eval()


def train_digit_classifier(
    dataset,
    *,
    arch: str = "cnn",
    epochs: int = 30,
    seed: int = 0,
    val_data=None,
    tiny: bool = False,
    dropout: float | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
    **train_kwargs,
) -> DigitClassifier:
    """Train a digit classifier on ``dataset`` (the chapter's public entry point).

    Args:
        dataset: training items ``(wave, digit, speaker)``, e.g. ``load_fsdd("train")``.
        arch: ``"cnn"``, ``"gru"`` or ``"transformer"``.
        val_data: validation items for early stopping (from the training data only).
        tiny: use the ``tiny()`` configs (tests).
        dropout: override the model's dropout probability.
        **train_kwargs: any other :class:`TrainConfig` field.

    Returns:
        the trained :class:`DigitClassifier` in eval mode.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)  # initial weights depend on seed only
        model = build_classifier(arch, tiny=tiny, dropout=dropout)
    cfg = TrainConfig(epochs=epochs, seed=seed, **train_kwargs)
    return train_classifier(model, dataset, val_data, cfg, device=device, progress=progress)


# ---------------------------------------------------------------------------------------
# Scores and protocols
# ---------------------------------------------------------------------------------------


@dataclass
class Scores:
    """Accuracy, macro-averaged precision/recall/F1, per-class recall and the confusion matrix
    (rows: true digit, columns: predicted digit)."""

    accuracy: float
    precision: float
    recall: float
    f1: float
    per_class_recall: list[float]
    confusion: np.ndarray

    def row(self) -> dict[str, float]:
        return {"accuracy": self.accuracy, "precision": self.precision, "recall": self.recall, "f1": self.f1}


def classification_scores(y_true, y_pred, n_classes: int = NUM_CLASSES) -> Scores:
    """Scores from labels; macro averages run over the classes present in y_true or y_pred
    (scikit-learn's convention), with 0 for an undefined precision (class never predicted).

    precision_k = C[k, k] / sum_i C[i, k], recall_k = C[k, k] / sum_j C[k, j],
    F1_k = 2 P_k R_k / (P_k + R_k).

    Raises:
        ValueError: different lengths, empty input or labels outside [0, n_classes).
    """
    t = torch.as_tensor(y_true).long().flatten()
    p = torch.as_tensor(y_pred).long().flatten()
    if t.shape != p.shape or t.numel() == 0:
        raise ValueError(f"need two non-empty label vectors of equal length, got {t.numel()} and {p.numel()}")
    if min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= n_classes:
        raise ValueError(
            f"labels must lie in [0, {n_classes}), got [{min(t.min(), p.min())}, {max(t.max(), p.max())}]"
        )
    conf = torch.bincount(t * n_classes + p, minlength=n_classes**2).view(n_classes, n_classes).double()
    tp = conf.diag()
    col, row = conf.sum(0), conf.sum(1)
    prec = torch.where(col > 0, tp / col.clamp(min=1), torch.zeros_like(tp))
    rec = torch.where(row > 0, tp / row.clamp(min=1), torch.zeros_like(tp))
    f1 = torch.where(prec + rec > 0, 2 * prec * rec / (prec + rec).clamp(min=1e-12), torch.zeros_like(tp))
    present = (row > 0) | (col > 0)
    return Scores(
        accuracy=float(tp.sum() / t.numel()),
        precision=float(prec[present].mean()),
        recall=float(rec[present].mean()),
        f1=float(f1[present].mean()),
        per_class_recall=[float(r) if row[k] > 0 else float("nan") for k, r in enumerate(rec)],
        confusion=conf.long().numpy(),
    )


def evaluate(model, dataset) -> Scores:
    """Scores of ``model.predict`` on items ``(wave, digit, ...)``."""
    waves, labels = _unpack(dataset)
    return classification_scores(labels, model.predict(waves))


def leave_one_speaker_out(speakers: Sequence[str]) -> Iterator[tuple[str, list[int], list[int]]]:
    """Folds of the leave-one-speaker-out protocol, one per distinct speaker (sorted).

    Args:
        speakers: the speaker of each item.

    Yields:
        ``(test_speaker, train_indices, test_indices)``; no speaker is on both sides.
    """
    for spk in sorted(set(speakers)):
        test = [i for i, s in enumerate(speakers) if s == spk]
        train = [i for i, s in enumerate(speakers) if s != spk]
        yield spk, train, test


def validation_speaker(train_speakers: Sequence[str], test_speaker: str) -> str:
    """The validation speaker for a fold: the next training speaker after ``test_speaker`` in
    sorted order (cyclically), so every training speaker serves once across 6 folds."""
    pool = sorted(set(train_speakers) - {test_speaker})
    if not pool:
        raise ValueError("need at least one training speaker besides the test speaker")
    later = [s for s in pool if s > test_speaker]
    return later[0] if later else pool[0]


def split_by_speaker(
    speakers: Sequence[str], indices: Sequence[int], held_out: str
) -> tuple[list[int], list[int]]:
    """Split ``indices`` into (those not spoken by ``held_out``, those spoken by it)."""
    return [i for i in indices if speakers[i] != held_out], [i for i in indices if speakers[i] == held_out]


def official_validation_split(takes: Sequence[int], val_takes: int = 5) -> tuple[list[int], list[int]]:
    """Carve a validation set out of the official TRAIN split (takes 5-49): takes 5 to
    4 + ``val_takes`` of every speaker and digit validate, the rest train.

    Returns:
        ``(train_indices, val_indices)``.
    """
    if min(takes) < 5:
        raise ValueError("takes 0-4 are the official test split; pass the train split only")
    val = [i for i, t in enumerate(takes) if t < 5 + val_takes]
    return [i for i, t in enumerate(takes) if t >= 5 + val_takes], val


def imbalanced_subset(
    labels: Sequence[int], minority: Sequence[int], keep: float, seed: int = 0
) -> list[int]:
    """Indices of a subset keeping every item of the majority classes and a fraction ``keep``
    of each class in ``minority`` (drawn at random with ``seed``)."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    out = []
    for k in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == k)
        if k in set(minority):
            idx = np.sort(rng.choice(idx, max(1, int(round(keep * len(idx)))), replace=False))
        out.extend(idx.tolist())
    return sorted(out)


# ---------------------------------------------------------------------------------------
# Classical baselines
# ---------------------------------------------------------------------------------------


def segment_statistics(
    wave: torch.Tensor,
    *,
    kind: str = "logmel",
    n_segments: int = 10,
    deltas: bool = False,
    trim_db: float | None = None,
    n_mels: int = 40,
    n_mfcc: int = 20,
) -> np.ndarray:
    """A fixed-length vector for a variable-length clip: the features averaged over
    ``n_segments`` equal time segments (plus their time derivative, plus the standard
    deviation of each feature over the whole clip).

    Args:
        wave: ``(time,)`` at 8 kHz.
        kind: ``"logmel"`` (``course_lib.audio.log_mel``, dB) or ``"mfcc"`` (``mfcc``).
        deltas: append segment means of the first time difference of the features.
        trim_db: trim silence first (see :func:`trim_silence`).

    Returns:
        float32 vector of length n_feat * (n_segments * (1 + deltas) + 1).
    """
    (w,) = check_waves([wave])
    if trim_db is not None:
        w = trim_silence(w, trim_db)
    if w.numel() < 256:
        w = F.pad(w, (0, 256 - w.numel()))
    if kind == "logmel":
        f = log_mel(w, SAMPLE_RATE, n_mels=n_mels)  # (n_mels, frames)
    elif kind == "mfcc":
        f = mfcc(w, SAMPLE_RATE, n_mfcc=n_mfcc, n_mels=n_mels)  # (n_mfcc, frames)
    else:
        raise ValueError(f"kind must be 'logmel' or 'mfcc', got {kind!r}")
    return _segment_vector(f, n_segments, deltas)


def _segment_vector(f: torch.Tensor, n_segments: int, deltas: bool) -> np.ndarray:
    """Segment means (+ deltas) and standard deviations of frame features ``(n_feat, frames)``."""
    parts = [F.adaptive_avg_pool1d(f[None], n_segments)[0]]  # (n_feat, n_segments)
    if deltas:
        d = torch.diff(f, dim=-1, prepend=f[:, :1])  # delta_t = f_t - f_{t-1}
        parts.append(F.adaptive_avg_pool1d(d[None], n_segments)[0])
    parts.append(f.std(-1, keepdim=True) if f.shape[-1] > 1 else torch.zeros(f.shape[0], 1))
    return torch.cat(parts, dim=1).flatten().numpy().astype(np.float32)


def classical_features(
    dataset,
    *,
    kind: str = "logmel",
    n_segments: int = 10,
    deltas: bool = False,
    trim_db: float | None = None,
    n_mels: int = 40,
    n_mfcc: int = 20,
    batch_size: int = 128,
) -> tuple[np.ndarray, np.ndarray]:
    """``(X (n, d), y (n,))``: :func:`segment_statistics` of every item ``(wave, digit, ...)``.

    The spectrograms are computed in zero-padded batches of similar lengths (much faster than
    clip by clip); each clip's frames are then cut back to its own length, so the vectors
    equal those of :func:`segment_statistics` up to float rounding (the dB floor can differ
    in the rare clip whose loudest frame is its last one).
    """
    if kind not in ("logmel", "mfcc"):
        raise ValueError(f"kind must be 'logmel' or 'mfcc', got {kind!r}")
    waves, labels = _unpack(dataset)
    if trim_db is not None:
        waves = [trim_silence(w, trim_db) for w in waves]
    waves = [F.pad(w, (0, 256 - w.numel())) if w.numel() < 256 else w for w in waves]
    order = sorted(range(len(waves)), key=lambda i: waves[i].numel())
    out: list[np.ndarray | None] = [None] * len(waves)
    hop = 80  # the course_lib.audio default used by segment_statistics
    for k in range(0, len(order), batch_size):
        idx = order[k : k + batch_size]
        n = max(waves[i].numel() for i in idx)
        x = torch.stack([F.pad(waves[i], (0, n - waves[i].numel())) for i in idx])  # (B, n)
        if kind == "logmel":
            f = log_mel(x, SAMPLE_RATE, n_mels=n_mels)  # (B, n_mels, frames)
        else:
            f = mfcc(x, SAMPLE_RATE, n_mfcc=n_mfcc, n_mels=n_mels)  # (B, n_mfcc, frames)
        for j, i in enumerate(idx):
            out[i] = _segment_vector(f[j, :, : waves[i].numel() // hop + 1], n_segments, deltas)
    if not out:
        return np.zeros((0, 0), np.float32), labels.numpy()
    return np.stack(out), labels.numpy()


def fit_classical(x: np.ndarray, y: np.ndarray, model: str = "logreg", c: float = 1.0, seed: int = 0):
    """Standardise, then logistic regression or an RBF SVM (scikit-learn), with inverse
    regularisation strength ``c``. Returns the fitted pipeline (``.predict(X)``)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    if model == "logreg":
        clf = LogisticRegression(C=c, max_iter=3000, random_state=seed)
    elif model == "svm":
        clf = SVC(C=c, kernel="rbf", gamma="scale", random_state=seed)
    else:
        raise ValueError(f"model must be 'logreg' or 'svm', got {model!r}")
    return make_pipeline(StandardScaler(), clf).fit(x, y)


class SoftmaxRegression(nn.Module):
    """A linear softmax classifier on fixed feature vectors (standardised inside), for quick
    experiments on losses, optimisers and class imbalance; ``predict(x)`` takes features."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, n_classes: int = NUM_CLASSES):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.linear = nn.Linear(mean.numel(), n_classes)
        self.history: dict[str, list[float]] = {}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear((x - self.mean) / self.std)  # (n, d) -> (n, classes) logits

    @torch.no_grad()
    def predict(self, x) -> np.ndarray:
        return self(torch.as_tensor(np.asarray(x), dtype=torch.float32)).argmax(-1).numpy()


def fit_softmax_regression(
    x: np.ndarray,
    y: np.ndarray,
    *,
    loss: str = "ce",
    optimizer: str = "adam",
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    epochs: int = 15,
    batch_size: int = 64,
    class_weights: bool = False,
    balanced_sampler: bool = False,
    seed: int = 0,
) -> SoftmaxRegression:
    """Mini-batch training of :class:`SoftmaxRegression` with the options of :class:`TrainConfig`
    (loss ``"ce"``/``"mse"``, the five optimisers, class weights n / (K n_k), a sampler drawing
    items with probability proportional to 1 / n_k). ``history["train_loss"]`` per epoch.

    Args:
        x: ``(n, d)`` features; y: ``(n,)`` integer labels in [0, 10).
    """
    g = torch.Generator().manual_seed(seed)
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    yt = torch.as_tensor(np.asarray(y), dtype=torch.long)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SoftmaxRegression(xt.mean(0), xt.std(0).clamp(min=1e-6))
    cfg = TrainConfig(optimizer=optimizer, lr=lr, weight_decay=weight_decay)
    opt = _make_optimizer(model.parameters(), cfg)
    counts = torch.bincount(yt, minlength=NUM_CLASSES).float()
    weights = counts.sum() / (NUM_CLASSES * counts.clamp(min=1)) if class_weights else None
    model.history = {"train_loss": []}
    for _ in range(epochs):
        if balanced_sampler:
            p = (1.0 / counts.clamp(min=1))[yt]
            order = torch.multinomial(p / p.sum(), len(yt), replacement=True, generator=g)
        else:
            order = torch.randperm(len(yt), generator=g)
        run = 0.0
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            batch_loss = classification_loss(model(xt[idx]), yt[idx], loss, weights)
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            run += batch_loss.item() * len(idx)
        model.history["train_loss"].append(run / len(order))
    return model.eval()


# ---------------------------------------------------------------------------------------
# Checkpoints and the pretrained evaluator
# ---------------------------------------------------------------------------------------

PRETRAINED_PATH = (
    Path(__file__).resolve().parents[1] / "benchmarks" / "checkpoints" / "recognition_digit_classifier.pt"
)
#: SHA-256 of the shipped checkpoint, written by benchmarks/recognition_train.py.
PRETRAINED_SHA256 = "df24853e5c51255d81cb11db94a8b302e9ec93fed3af9d8565377ad2ddcb92f2"
PRETRAINED_URL = CHECKPOINT_URL + "recognition_digit_classifier.pt"


def save_classifier(model: DigitClassifier, path: str | Path, **meta) -> str:
    """Save arch, configs and weights (CPU tensors, plain types only, so that
    ``torch.load(weights_only=True)`` can read it). Returns the file's SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = {
        "arch": model.arch,
        "model_config": asdict(model.model_cfg),
        "feature_config": asdict(model.feature_cfg),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": {k: v for k, v in meta.items()},
    }
    torch.save(blob, path)
    return sha256_file(path)


def load_classifier(
    path: str | Path, sha256: str | None = None, device: torch.device | str | None = None
) -> DigitClassifier:
    """Load a checkpoint written by :func:`save_classifier`, after checking its SHA-256.

    Raises:
        FileNotFoundError: no file. ValueError: the hash does not match (corrupt or
        different file).
    """
    blob = load_verified(
        path, sha256, remedy="Delete it and fetch it again, or run benchmarks/recognition_train.py."
    )
    arch = blob["arch"]
    mc = dict(blob["model_config"])
    if "channels" in mc:
        mc["channels"] = tuple(mc["channels"])
    model = DigitClassifier(arch, _CONFIGS[arch](**mc), FeatureConfig(**blob["feature_config"]))
    model.load_state_dict(blob["state_dict"])
    model.meta = blob.get("meta", {})
    return model.to(device if device is not None else get_device()).eval()


def pretrained_digit_classifier(device: torch.device | str | None = None) -> DigitClassifier:
    """The chapter's digit classifier trained on FSDD's official TRAIN split (takes 5-49)
    by ``benchmarks/recognition_train.py``; hash-checked, loaded with weights_only=True.

    Input convention: see the module docstring (8 kHz mono float waveforms of any length,
    trimmed, then loudest-1 s crop or centred zero-padding to 1 s). Use
    ``model.predict(waves)`` / ``model.predict_proba(waves)``.

    When the library is installed without the repository (e.g. pip on Colab), the checkpoint
    is downloaded once into ``~/.cache/course_lib`` and checked against the same hash.
    """
    path = committed_checkpoint(PRETRAINED_PATH.name, PRETRAINED_SHA256)
    return load_classifier(path, PRETRAINED_SHA256, device)


load_pretrained_classifier = pretrained_digit_classifier


def machine_info() -> dict[str, str]:
    """Date and machine for benchmark result files."""
    import datetime
    import platform

    dev = get_device()
    name = torch.cuda.get_device_name(0) if dev.type == "cuda" else dev.type
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
        "torch": torch.__version__,
        "device": name,
    }

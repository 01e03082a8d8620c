"""The trained judges the chapters score generated data with.

Chapters: chapters/gan/, chapters/vae/, chapters/gan_beyond/, chapters/wavenet/, chapters/rnn_gan/,
chapters/audio/

- **Digit images**: :class:`DigitImageClassifier`, a small CNN on scikit-learn's 8x8 digits whose
  penultimate layer is the feature space of the Fréchet distance and precision/recall
  {cite}`heusel2017gans,kynkaanniemi2019improved`; :func:`digit_image_classifier` trains it in seconds.
- **Spoken digits**: :class:`SpokenDigitClassifier` (log-mel front end + CNN, GRU or transformer
  back end), trained in the recognition chapter; :func:`pretrained_spoken_digit_classifier` loads
  the committed one, which judges WaveNet's and WaveGAN's samples and restored speech.
- **Time series**: TimeGAN's post-hoc discriminative and predictive scores {cite}`yoon2019timegan`.

Judges import only the foundations and :mod:`course_lib.checkpoints`, so every chapter can use
them without importing another chapter.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib.audio import SAMPLE_RATE, check_wave, fix_length, log_mel, mfcc, trim_silence
from course_lib.checkpoints import load
from course_lib.data import load_digits_images
from course_lib.utils import get_device, make_generator, seeded

NUM_CLASSES = 10
ARCHS = ("cnn", "gru", "transformer")
NOT_A_DIGIT = -1  #: what ``predict(..., reject=True)`` answers for a clip that is not a spoken digit

# --- Digit images ---------------------------------------------------------------------------------


class DigitImageClassifier(torch.nn.Module):
    """Small CNN for 8x8 digit images; its penultimate layer is the judges' feature space.

    Args:
        feature_dim: width of the penultimate layer (the features).
    """

    def __init__(self, feature_dim: int = 64):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3, padding=1),
            torch.nn.ReLU(),  # (B, 32, 8, 8)
            torch.nn.Conv2d(32, 64, 3, padding=1),
            torch.nn.ReLU(),  # (B, 64, 8, 8)
            torch.nn.MaxPool2d(2),  # (B, 64, 4, 4)
            torch.nn.Flatten(),
            torch.nn.Linear(64 * 16, feature_dim),
            torch.nn.ReLU(),  # (B, feature_dim)
        )
        self.head = torch.nn.Linear(feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 1, 8, 8)`` images in [0, 1] → ``(B, feature_dim)``."""
        if x.dim() != 4 or x.shape[1:] != (1, 8, 8):
            raise ValueError(f"expected images of shape (B, 1, 8, 8), got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 1, 8, 8)`` images -> ``(B, 10)`` logits."""
        return self.head(self.features(x))


def digit_image_classifier(seed: int = 0, epochs: int = 30) -> DigitImageClassifier:
    """Train the image judge on the training split of :func:`~course_lib.data.load_digits_images`.

    Deterministic for a given seed on the CPU (a few seconds); the global RNG is untouched.

    Args:
        seed: seeds the initialisation and the batch order.
        epochs: passes over the 1,437 training images.

    Returns:
        the classifier in eval mode.
    """
    d = load_digits_images()
    g = make_generator(seed)
    with seeded(seed):
        model = DigitImageClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(d.x_train), generator=g).split(64):
            loss = F.cross_entropy(model(d.x_train[idx]), d.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


# --- Spoken digits --------------------------------------------------------------------------------


@dataclass
class FeatureConfig:
    """The front end shared by every spoken-digit model: trim, fix the length, log-mel or MFCC.

    Attributes:
        kind: ``"logmel"`` (dB relative to the clip's peak) or ``"mfcc"`` (mean-normalised).
        n_mels, n_mfcc: mel bands; cepstral coefficients kept (``kind="mfcc"``).
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


def prepare_waves(waves: Sequence[torch.Tensor], cfg: FeatureConfig) -> torch.Tensor:
    """Trim each waveform, crop it to its loudest window or centre it in zeros, and stack them.

    Args:
        waves: 1-D float tensors ``(time_i,)`` (checked with :func:`~course_lib.audio.check_wave`).
        cfg: the front end (``trim_db``, ``clip_samples``).

    Returns:
        ``(batch, cfg.clip_samples)``.
    """
    if cfg.trim_db is not None:
        waves = [trim_silence(w, cfg.trim_db, cfg.n_fft, cfg.hop_length) for w in waves]
    out = [fix_length(w, cfg.clip_samples) for w in waves]
    return torch.stack(out) if out else torch.zeros(0, cfg.clip_samples)


def compute_features(x: torch.Tensor, cfg: FeatureConfig) -> torch.Tensor:
    """Level-normalised features of a fixed-length batch.

    logmel: L = 10 log10(mel power) - max_{f,t} L, then (L + 40) / 40, so the loudest bin
    is 1 and the 80 dB floor is -1. mfcc: DCT of the log-mel, minus each coefficient's mean
    over time (cepstral mean normalisation), divided by 40.

    Args:
        x: ``(batch, time)`` waveforms at 8 kHz.
        cfg: the front end.

    Returns:
        ``(batch, cfg.n_features, frames)``.
    """
    if cfg.kind == "logmel":
        db = log_mel(x, SAMPLE_RATE, cfg.n_fft, cfg.hop_length, cfg.n_mels)  # (B, M, T)
        db = db - db.amax(dim=(-2, -1), keepdim=True)
        return (db + 40.0) / 40.0
    c = mfcc(x, SAMPLE_RATE, cfg.n_mfcc, cfg.n_fft, cfg.hop_length, cfg.n_mels)  # (B, C, T)
    return (c - c.mean(-1, keepdim=True)) / 40.0


@dataclass
class CNNConfig:
    """Blocks of 3x3 conv, BatchNorm, ReLU, 2x2 max-pool on the (bands x frames) image; time pooled.

    Attributes:
        channels, dropout: output channels of each block; dropout before the linear layer.
    """

    channels: tuple[int, ...] = (16, 32, 64, 64)
    dropout: float = 0.3


@dataclass
class GRUConfig:
    """A strided 1-D conv (frames / 2), then a bidirectional GRU; mean and max over time.

    Attributes:
        hidden, layers: GRU units per direction and stacked layers.
        conv_channels, dropout: the strided conv's channels; dropout (between layers, before the head).
    """

    hidden: int = 64
    layers: int = 1
    conv_channels: int = 64
    dropout: float = 0.3


@dataclass
class TransformerConfig:
    """A strided 1-D conv (frames / 2), learned positions and a pre-norm transformer encoder.

    Attributes:
        d_model, heads, layers, ff: width, attention heads, encoder layers, feed-forward width.
        dropout, max_frames: dropout; the longest input (after the strided conv) positions cover.
    """

    d_model: int = 64
    heads: int = 4
    layers: int = 2
    ff: int = 128
    dropout: float = 0.2
    max_frames: int = 512


_CONFIGS = {"cnn": CNNConfig, "gru": GRUConfig, "transformer": TransformerConfig}
_TINY = {
    "cnn": dict(channels=(4, 8), dropout=0.1),
    "gru": dict(hidden=8, conv_channels=8, dropout=0.1),
    "transformer": dict(d_model=16, heads=2, layers=1, ff=32, dropout=0.1),
    "features": dict(n_mels=16, n_mfcc=8, clip_seconds=0.25),
}


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


class SpokenDigitClassifier(nn.Module):
    """Waveform in, digit logits out: the front end of :func:`compute_features`, then a backbone.

    ``forward`` takes a fixed-length batch ``(batch, clip_samples)``; :meth:`predict` and
    :meth:`predict_proba` take any list or batch of 8 kHz waveforms and prepare them first.

    Args:
        arch: ``"cnn"``, ``"gru"`` or ``"transformer"``.
        model_cfg: the backbone's config (:class:`CNNConfig`, ...; None: its defaults).
        feature_cfg: the front end (None: :class:`FeatureConfig` defaults).
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
        self.meta: dict = {}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, time)`` -> ``(batch, n_features, frames)``."""
        return compute_features(x, self.feature_cfg)

    def config_dict(self) -> dict:
        """``{"arch", "model", "features"}``: what :func:`classifier_from_checkpoint` rebuilds from."""
        return {"arch": self.arch, "model": asdict(self.model_cfg), "features": asdict(self.feature_cfg)}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, clip_samples)`` waveforms -> ``(batch, 10)`` logits."""
        return self.backbone(self.features(x))

    @torch.no_grad()
    def predict_proba(self, waves, sample_rate: int = SAMPLE_RATE, batch_size: int = 256) -> torch.Tensor:
        """Class probabilities ``(n, 10)`` for a list or batch of 8 kHz waveforms of any length."""
        if isinstance(waves, torch.Tensor):
            waves = list(waves) if waves.dim() == 2 else [waves]
        items = [check_wave(w, sample_rate, name="waveform", batch=False) for w in waves]
        if not items:
            return torch.zeros(0, NUM_CLASSES)
        was_training, device = self.training, next(self.parameters()).device
        self.eval()
        x = prepare_waves(items, self.feature_cfg).split(batch_size)
        t = float(self.meta.get("temperature", 1.0))  # set by recognition.calibrate (1: uncalibrated)
        out = torch.cat([(self(c.to(device)) / t).softmax(-1).cpu() for c in x])
        self.train(was_training)
        return out

    @torch.no_grad()
    def embeddings(self, waves, sample_rate: int = SAMPLE_RATE, batch_size: int = 256) -> torch.Tensor:
        """The input of the final linear layer ``(n, d)``: the feature space of a Fréchet distance."""
        grabbed: list[torch.Tensor] = []
        hook = self.backbone.head[-1].register_forward_hook(lambda m, inp, out: grabbed.append(inp[0].cpu()))
        try:
            self.predict_proba(waves, sample_rate, batch_size)
        finally:
            hook.remove()
        return torch.cat(grabbed) if grabbed else torch.zeros(0, self.backbone.head[-1].in_features)

    def predict(
        self, waves, sample_rate: int = SAMPLE_RATE, batch_size: int = 256, *, reject: bool = False
    ) -> torch.Tensor:
        """Digit indices ``(n,)`` (int64) for waveforms of any length (a long one: its loudest window).

        With ``reject=True`` a clip whose top probability is below ``meta["reject_threshold"]``
        (:func:`course_lib.recognition.calibrate`), or with no sample above -80 dBFS (digital
        silence: its level-normalised features are a constant), gets :data:`NOT_A_DIGIT` (-1) instead.
        """
        p = self.predict_proba(waves, sample_rate, batch_size)
        if not reject:
            return p.argmax(-1)
        if isinstance(waves, torch.Tensor):
            waves = list(waves) if waves.dim() == 2 else [waves]
        silent = torch.tensor([float(torch.as_tensor(w).abs().max()) < 1e-4 for w in waves])
        if "reject_threshold" not in self.meta:
            raise ValueError(
                "this classifier has no rejection threshold: fit one with "
                "course_lib.recognition.calibrate(model, validation_data), or use "
                "pretrained_spoken_digit_classifier(variant='robust')"
            )
        conf, label = p.max(-1)
        keep = (conf >= self.meta["reject_threshold"]) & ~silent
        return torch.where(keep, label, torch.full_like(label, NOT_A_DIGIT))


def build_classifier(
    arch: str = "cnn", *, tiny: bool = False, dropout: float | None = None, seed: int = 0
) -> SpokenDigitClassifier:
    """A freshly initialised spoken-digit classifier with the default configs.

    Args:
        arch: ``"cnn"``, ``"gru"`` or ``"transformer"``.
        tiny: the tests' tiny configs (quarter-second clips, a few channels).
        dropout: overrides the backbone's dropout probability.
        seed: seeds the initial weights (the global RNG is left alone).

    Returns:
        the classifier on the CPU.
    """
    if arch not in _CONFIGS:
        raise ValueError(f"arch must be one of {ARCHS}, got {arch!r}")
    cfg = _CONFIGS[arch](**(_TINY[arch] if tiny else {}))
    if dropout is not None:
        cfg.dropout = dropout
    with seeded(seed):
        return SpokenDigitClassifier(arch, cfg, FeatureConfig(**(_TINY["features"] if tiny else {})))


def classifier_from_checkpoint(blob: dict, device: torch.device | str | None = None) -> SpokenDigitClassifier:
    """Rebuild a :class:`SpokenDigitClassifier` from a checkpoint dict.

    Args:
        blob: what :func:`course_lib.checkpoints.load` returns for a classifier saved with
            ``checkpoints.save(model, path, config=model.config_dict())``.
        device: where to put it (default: :func:`~course_lib.utils.get_device`).

    Returns:
        the classifier in eval mode, its ``meta`` attached.
    """
    cfg = blob["config"]
    mc = {k: tuple(v) if isinstance(v, list) else v for k, v in cfg["model"].items()}
    model = SpokenDigitClassifier(cfg["arch"], _CONFIGS[cfg["arch"]](**mc), FeatureConfig(**cfg["features"]))
    model.load_state_dict(blob["state_dict"])
    model.meta = blob.get("meta", {})
    return model.to(device if device is not None else get_device()).eval()


def pretrained_spoken_digit_classifier(
    device: torch.device | str | None = None, *, variant: str = "default"
) -> SpokenDigitClassifier:
    """A committed spoken-digit CNN (FSDD's official training split); ``.predict(waves)`` labels clips.

    Args:
        device: where to put it (default: :func:`~course_lib.utils.get_device`).
        variant: ``"default"``, the judge the chapters' tables use; or ``"robust"``, trained with
            waveform augmentation and non-speech clips, calibrated, with ``predict(..., reject=True)``.

    Returns:
        the classifier in eval mode.
    """
    names = {"default": "recognition_digit_classifier", "robust": "recognition_robust_classifier"}
    if variant not in names:
        raise ValueError(f"variant must be one of {sorted(names)}, got {variant!r}")
    return classifier_from_checkpoint(load(names[variant]), device)


# --- Synthetic time series: TimeGAN's post-hoc scores ---------------------------------------------


def _check_sequences(name: str, x, *, min_dim: int = 1) -> torch.Tensor:
    """``[n, seq_len, dim]`` array or tensor with finite values in [0, 1] → float32 CPU tensor."""
    x = torch.as_tensor(x)
    if x.dim() != 3:
        raise ValueError(
            f"{name} must have shape [n, seq_len, dim], got {tuple(x.shape)}; "
            "add a feature axis with x[..., None] for univariate series"
        )
    if min(x.shape) == 0 or x.shape[2] < min_dim:
        raise ValueError(f"{name} needs n, seq_len >= 1 and dim >= {min_dim}, got {tuple(x.shape)}")
    x = x.detach().cpu().float()
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if x.min() < 0 or x.max() > 1:
        raise ValueError(
            f"{name} has values in [{float(x.min()):.3g}, {float(x.max()):.3g}]; the scores expect "
            "[0, 1]: min-max scale each feature with the REAL data's minimum and maximum"
        )
    return x


class _PostHocGRU(torch.nn.Module):
    """GRU → linear → sigmoid, the post-hoc network of both TimeGAN scores."""

    def __init__(self, n_in: int, hidden: int, n_out: int):
        super().__init__()
        self.rnn = torch.nn.GRU(n_in, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor, last_only: bool = False) -> torch.Tensor:
        h, _ = self.rnn(x)  # (B, T, hidden)
        if last_only:
            h = h[:, -1]  # (B, hidden)
        return self.out(h)  # logits: (B, n_out) or (B, T, n_out)


def discriminative_score(
    real, fake, *, iterations: int = 2000, batch_size: int = 128, lr: float = 1e-3, seed: int = 0
) -> float:
    """TimeGAN's discriminative score: |accuracy − 0.5| of a post-hoc real-vs-fake classifier.

    Protocol of the reference code: pool the real (label 1) and synthetic (label 0) sequences,
    hold out 20 % of each, train a one-layer GRU classifier (dim // 2 units, read-out of the
    last hidden state) with Adam for ``iterations`` mini-batches of ``batch_size`` real plus
    ``batch_size`` fake sequences, and measure its accuracy on the held-out sequences. 0 means
    the classifier cannot tell them apart; 0.5 means it always can.
    (An accuracy far *below* 0.5 also counts as "distinguishable", hence the absolute value.)

    Args:
        real, fake: ``[n, seq_len, dim]`` arrays with values in [0, 1] (same seq_len and dim;
            n may differ, each needs >= 2 sequences).
        iterations: training steps (2,000 in the paper's code).
        batch_size: per class and step.
        lr: Adam learning rate.
        seed: seeds the split, the initialisation and the batches.

    Returns:
        The score in [0, 0.5] (a float).

    Raises:
        ValueError: wrong rank, mismatched shapes, values outside [0, 1], too few sequences.
    """
    real, fake = _check_sequences("real", real), _check_sequences("fake", fake)
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"real and fake must share seq_len and dim, got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    if min(len(real), len(fake)) < 2:
        raise ValueError("need at least 2 real and 2 fake sequences (one to train, one to test)")
    g = make_generator(seed)

    def split(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        perm = torch.randperm(len(x), generator=g)
        n_test = min(max(1, round(0.2 * len(x))), len(x) - 1)  # 20 % held out, as in the paper
        return x[perm[n_test:]], x[perm[:n_test]]

    (real_tr, real_te), (fake_tr, fake_te) = split(real), split(fake)
    dim = real.shape[2]
    with seeded(seed):
        model = _PostHocGRU(dim, max(1, dim // 2), 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for _ in range(iterations):
        xr = real_tr[torch.randint(len(real_tr), (batch_size,), generator=g)]
        xf = fake_tr[torch.randint(len(fake_tr), (batch_size,), generator=g)]
        lr_, lf_ = model(xr, last_only=True), model(xf, last_only=True)  # (B, 1) logits
        loss = bce(lr_, torch.ones_like(lr_)) + bce(lf_, torch.zeros_like(lf_))
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        correct = (model(real_te, last_only=True) > 0).sum() + (model(fake_te, last_only=True) <= 0).sum()
    accuracy = float(correct) / (len(real_te) + len(fake_te))
    return abs(accuracy - 0.5)


def _fit_next_step_predictor(train: torch.Tensor, iterations: int, batch_size: int, lr: float, seed: int):
    """TimeGAN's post-hoc predictor, trained on ``train (n, T, dim)``: from features ``0..dim-2``
    at steps ``1..T-1``, predict the last feature at steps ``2..T`` (GRU of dim // 2 units, sigmoid
    read-out at every step, mean absolute error as loss)."""
    g = make_generator(seed)
    with seeded(seed):
        model = _PostHocGRU(train.shape[2] - 1, max(1, train.shape[2] // 2), 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(iterations):
        x = train[torch.randint(len(train), (batch_size,), generator=g)]
        pred = torch.sigmoid(model(x[:, :-1, :-1]))  # (B, T-1, 1)
        loss = (pred - x[:, 1:, -1:]).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


@torch.no_grad()
def _next_step_mae(predictor: torch.nn.Module, data: torch.Tensor) -> float:
    """MAE of the predictor on ``data``'s last feature at steps 2..T (the mean over all values)."""
    return float((torch.sigmoid(predictor(data[:, :-1, :-1])) - data[:, 1:, -1:]).abs().mean())


def predictive_score(
    real, fake, *, iterations: int = 5000, batch_size: int = 128, lr: float = 1e-3, seed: int = 0
) -> float:
    """TimeGAN's predictive score, "train on synthetic, test on real" (TSTR).

    A GRU trained on the *synthetic* sequences to predict the next value of the last feature
    from the other features is scored by its mean absolute error on the *real* sequences. Lower
    is better; the floor is the same predictor trained on real data (``predictive_score(real, real)``).

    Args:
        real, fake: ``[n, seq_len, dim]`` arrays in [0, 1], dim >= 2, same seq_len and dim.
        iterations: training steps (5,000 in the paper's code).
        batch_size: sequences per step.
        lr: Adam learning rate.
        seed: seeds the initialisation and the batches.

    Returns:
        MAE in the data's [0, 1] units (a float).

    Raises:
        ValueError: wrong rank, mismatched shapes, values outside [0, 1], dim < 2.
    """
    real, fake = _check_sequences("real", real, min_dim=2), _check_sequences("fake", fake, min_dim=2)
    if real.shape[1:] != fake.shape[1:]:
        raise ValueError(
            f"real and fake must share seq_len and dim, got {tuple(real.shape)} and {tuple(fake.shape)}"
        )
    if real.shape[1] < 2:
        raise ValueError(f"need seq_len >= 2 to predict a next step, got {real.shape[1]}")
    return _next_step_mae(_fit_next_step_predictor(fake, iterations, batch_size, lr, seed), real)


def timegan_scores(
    real, fake, *, seeds: Sequence[int] = range(5), which: Sequence[str] = ("disc", "pred")
) -> dict:
    """Both TimeGAN scores with the protocol's settings, repeated over several scorer seeds.

    The post-hoc networks are small and their result moves with their seed (split, initial
    weights, batches), so one run is not a measurement: the paper reports the mean and the
    standard deviation over repeats. Every call uses :func:`discriminative_score` and
    :func:`predictive_score` with their defaults (2,000 / 5,000 Adam steps of batch 128, lr 1e-3).

    Args:
        real, fake: ``[n, seq_len, dim]`` arrays in [0, 1] (see :func:`discriminative_score`).
        seeds: the scorer seeds (at least 2 for a standard deviation; the course uses 5).
        which: ``"disc"``, ``"pred"`` or both.

    Returns:
        for each score ``s`` asked for: ``s`` (list, one value per seed), ``s_mean``, ``s_std``
        (sample standard deviation; 0.0 for one seed).
    """
    fns = {"disc": discriminative_score, "pred": predictive_score}
    if not seeds or any(w not in fns for w in which):
        raise ValueError(f"need at least one seed and scores among {sorted(fns)}, got {list(seeds)}, {which}")
    out: dict = {}
    for name in which:
        values = [fns[name](real, fake, seed=s) for s in seeds]
        out[name] = values
        out[f"{name}_mean"] = statistics.fmean(values)
        out[f"{name}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
    return out

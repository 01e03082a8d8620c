"""Spoken-digit recognition on FSDD: augmentation, the one trainer, scores, protocols, baselines.

Chapter: chapters/audio/

The models (log-mel CNN, GRU {cite}`cho2014gru`, transformer {cite}`vaswani2017attention`) are in
:mod:`course_lib.evaluators`. Here: augmentation (SpecAugment {cite}`park2019specaugment`), the one
trainer, scores, leave-one-speaker-out, classical baselines {cite}`pedregosa2011sklearn`, L1 and L2
penalised softmax regression by proximal gradient {cite}`beck2009fista`, few-shot support sets for
fine-tuning, and the diagram of the recognition pipeline.
"""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from torch import optim

from course_lib.audio import (
    SAMPLE_RATE,
    add_noise,
    check_wave,
    istft,
    log_mel,
    make_noise,
    mfcc,
    stft,
    trim_silence,
)
from course_lib.diagrams import Diagram, shape
from course_lib.evaluators import NUM_CLASSES, SpokenDigitClassifier, prepare_waves
from course_lib.utils import History, make_generator, seeded


@dataclass
class AugmentConfig:
    """Training-time augmentation of the waveform models (no gain: the features ignore the level).

    Attributes:
        time_shift: move each clip by a random number of frames, at most its silent margin.
        noise_prob: probability of using a clip's noisy copy (white noise, drawn once per clip).
        noise_snr_db: the SNR range (dB) of the noise, drawn uniformly.
        freq_masks, freq_width, time_masks, time_width: SpecAugment's mask counts and widths (at most).
        wave: waveform perturbations (:class:`WaveAugmentConfig`: speed, warp, room, noise kinds), or None.
    """

    time_shift: bool = True
    noise_prob: float = 0.5
    noise_snr_db: tuple[float, float] = (5.0, 30.0)
    freq_masks: int = 2
    freq_width: int = 6
    time_masks: int = 2
    time_width: int = 6
    wave: WaveAugmentConfig | None = None


def augment_waves(x: torch.Tensor, snr_db: tuple[float, float], generator: torch.Generator) -> torch.Tensor:
    """White noise added to each clip at an SNR drawn uniformly from ``snr_db``; silence stays silent.

    Args:
        x, snr_db: ``(batch, time)`` clips; the SNR range ``(low, high)`` in dB.
        generator: draws the noise and the SNRs.

    Returns:
        ``(batch, time)``, a new tensor.
    """
    noise = make_noise("white", x.shape[-1], batch=len(x), seed=generator)
    snr = snr_db[0] + (snr_db[1] - snr_db[0]) * torch.rand(len(x), generator=generator)
    return torch.stack([add_noise(c, n, float(s)) for c, n, s in zip(x, noise, snr, strict=True)])


def spec_augment(feats: torch.Tensor, cfg: AugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """SpecAugment: per item, bands and frame ranges of random widths (0 to the maximum) set to its mean.

    Args:
        feats: ``(batch, features, frames)``.
        cfg, generator: the mask counts and maximum widths; draws the masks.

    Returns:
        the masked copy, same shape.
    """
    b, nf, nt = feats.shape

    def inside(n: int, width: int, size: int) -> torch.Tensor:  # (b, size): True inside one of n masks
        w = torch.randint(width + 1, (b, n, 1), generator=generator)
        start = (torch.rand(b, n, 1, generator=generator) * (size - w + 1)).long()
        return ((torch.arange(size) >= start) & (torch.arange(size) < start + w)).any(1)

    masked = inside(cfg.freq_masks, cfg.freq_width, nf)[:, :, None]
    masked = masked | inside(cfg.time_masks, cfg.time_width, nt)[:, None]
    return torch.where(masked.to(feats.device), feats.mean(dim=(1, 2), keepdim=True), feats)


def _augment(f: torch.Tensor, noisy, margin: torch.Tensor, aug: AugmentConfig, g) -> torch.Tensor:
    """A batch's features ``(B, F, T)``: some swapped for their noisy copies, shifted in time, masked."""
    if noisy is not None:
        f = torch.where((torch.rand(len(f), generator=g) < aug.noise_prob)[:, None, None], noisy, f)
    if aug.time_shift:  # shift s ~ U{-m..m} frames, m the clip's silent margin; the edge frame fills the gap
        s = (torch.rand(len(f), generator=g) * (2 * margin + 1)).long() - margin
        idx = (torch.arange(f.shape[-1])[None, :] - s[:, None]).clamp(0, f.shape[-1] - 1)
        f = f.gather(-1, idx[:, None, :].expand(-1, f.shape[1], -1))
    return spec_augment(f, aug, g)


class SoftmaxRegression(nn.Module):
    """A linear softmax classifier on fixed feature vectors, standardised with the training statistics.

    Args:
        x, seed: ``(n, d)`` training features (their mean and standard deviation are kept); seeds the weights.
    """

    def __init__(self, x, seed: int = 0):
        super().__init__()
        x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
        self.register_buffer("mean", x.mean(0))
        self.register_buffer("std", x.std(0).clamp(min=1e-6))
        with seeded(seed):
            self.linear = nn.Linear(x.shape[1], NUM_CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, d)`` features -> ``(n, 10)`` logits."""
        return self.linear((x - self.mean) / self.std)

    @torch.no_grad()
    def predict(self, x) -> np.ndarray:
        """Digit labels ``(n,)`` of ``(n, d)`` features (array or tensor)."""
        return self(torch.as_tensor(np.asarray(x), dtype=torch.float32)).argmax(-1).numpy()


def classification_loss(
    logits: torch.Tensor, y: torch.Tensor, kind: str = "ce", class_weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Mean loss over a batch: cross-entropy, or the squared error between softmax and one-hot.

    ``"ce"``: -log softmax(z)_y; ``"mse"``: sum_k (p_k - 1[k = y])^2. A weighted mean divides by sum w.

    Args:
        logits, y: ``(batch, classes)`` and ``(batch,)`` int64 labels.
        kind: ``"ce"`` or ``"mse"``.
        class_weights: ``(classes,)`` or None.

    Returns:
        the scalar loss.
    """
    if kind == "ce":
        return F.cross_entropy(logits, y, weight=class_weights)
    if kind != "mse":
        raise ValueError(f"loss kind must be 'ce' or 'mse', got {kind!r}")
    err = (logits.softmax(-1) - F.one_hot(y, logits.shape[-1]).to(logits)).pow(2).sum(-1)
    w = torch.ones_like(err) if class_weights is None else class_weights[y]
    return (w * err).sum() / w.sum()


@dataclass
class RecognitionTrainConfig:
    """How :func:`train_classifier` trains (defaults: the committed classifier's recipe).

    Attributes:
        epochs, batch_size: passes over the training set (at most) and items per step.
        lr: peak learning rate: linear warm-up over the first epoch, then cosine decay to 0.
        optimizer: ``"adamw"``, ``"adam"``, ``"sgd"`` (Nesterov momentum 0.9), ``"rmsprop"``, ``"adadelta"``.
        weight_decay, loss: decoupled for AdamW (else an L2 gradient term); ``"ce"`` or ``"mse"``.
        class_weights, balanced_sampler: weight class k by n / (K n_k) in the loss; draw items with
            probability proportional to 1 / n_k.
        augment: :class:`AugmentConfig` (waveform models only), or None.
        val_data: validation data in the form of the training data (training speakers only), or None.
        patience: with ``val_data``, stop after this many epochs without a better validation
            score and restore the best weights (None: all epochs, last weights).
        outliers, outlier_weight: non-speech clips (:func:`non_speech`, every kind in turn) for
            outlier exposure {cite}`hendrycks2019oe`: each batch adds a quarter as many of them,
            trained towards the uniform distribution with weight ``outlier_weight`` (0: off).
        seed: seeds the batch order, the augmentation and dropout.
    """

    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    optimizer: str = "adamw"
    weight_decay: float = 1e-2
    loss: str = "ce"
    class_weights: bool = False
    balanced_sampler: bool = False
    augment: AugmentConfig | None = field(default_factory=AugmentConfig)
    val_data: Any = None
    patience: int | None = 8
    outliers: int = 0
    outlier_weight: float = 0.5
    seed: int = 0


_OPTIMIZERS = dict(adamw=optim.AdamW, adam=optim.Adam, rmsprop=optim.RMSprop, adadelta=optim.Adadelta)
_OPTIMIZERS["sgd"] = functools.partial(optim.SGD, momentum=0.9, nesterov=True)


def _unpack(data) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Checked waves and labels of items ``(wave, digit, ...)`` (an FSDD dataset, Subset or list)."""
    items = list(data)
    if not items:
        raise ValueError("no items: the data set is empty")
    waves = [check_wave(it[0], name=f"item {i}'s wave", batch=False) for i, it in enumerate(items)]
    return waves, torch.tensor([int(it[1]) for it in items], dtype=torch.long)


@torch.no_grad()
def _features(model: SpokenDigitClassifier, x: torch.Tensor) -> torch.Tensor:
    """The features ``(n, F, T)`` of prepared clips ``(n, clip_samples)``, on the CPU."""
    return model.features(x.to(next(model.parameters()).device)).cpu()


def _tensors(model: nn.Module, data) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """``(inputs of the trained network, labels, prepared clips or None)`` of ``data`` for ``model``."""
    if not isinstance(model, SpokenDigitClassifier):  # a SoftmaxRegression: data = (features, labels)
        x, y = (torch.as_tensor(np.asarray(a)) for a in data)
        return x.float(), y.long(), None
    waves, labels = _unpack(data)
    x = prepare_waves(waves, model.feature_cfg)
    return _features(model, x), labels, x


def train_classifier(model: nn.Module, data, config: RecognitionTrainConfig) -> History:
    """Train a classifier in place: augmentation, warm-up + cosine schedule, early stopping.

    A :class:`~course_lib.evaluators.SpokenDigitClassifier` trains on waveforms: the features of each
    trimmed, centred clip and of a noisy copy are computed once, then shifted and masked per batch. A
    :class:`SoftmaxRegression` trains on feature vectors. Gradients are clipped at norm 5.

    Args:
        model: a ``SpokenDigitClassifier`` or a :class:`SoftmaxRegression` (left in eval mode).
        data: items ``(wave (time,), digit, ...)`` for the first, ``(x (n, d), y (n,))`` for the second.
        config: :class:`RecognitionTrainConfig`.

    Returns:
        the history: the batch ``loss`` per step; metrics ``train_loss``, ``val_acc``, ``val_loss`` per
        epoch (the last two with ``val_data``), and ``best_epoch`` if the best weights were restored.
    """
    if config.optimizer not in _OPTIMIZERS or config.loss not in ("ce", "mse"):
        raise ValueError(f"optimizer must be in {sorted(_OPTIMIZERS)} and loss 'ce' or 'mse', got {config}")
    g, history, device = make_generator(config.seed), History(), next(model.parameters()).device
    net = model.backbone if isinstance(model, SpokenDigitClassifier) else model  # what sees the features
    feats, labels, x = _tensors(model, data)
    aug, noisy, margin, views, outliers = config.augment if x is not None else None, None, None, None, None
    if aug is not None:
        margin = (x != 0).int().argmax(-1) // model.feature_cfg.hop_length  # leading zeros, in frames
        if aug.noise_prob > 0:
            noisy = _features(model, augment_waves(x, aug.noise_snr_db, g))
        if aug.wave is not None:  # (views + 1, n, F, T): the clean features and the perturbed copies
            waves = _unpack(data)[0]
            copies = [[augment_wave(w, aug.wave, g) for w in waves] for _ in range(aug.wave.views)]
            views = torch.stack(
                [feats] + [_features(model, prepare_waves(c, model.feature_cfg)) for c in copies]
            )
    if config.outliers > 0 and x is not None:
        clips = [
            c
            for i, k in enumerate(NON_SPEECH)
            for c in non_speech(k, -(-config.outliers // len(NON_SPEECH)), config.seed + i)
        ]
        outliers = _features(model, prepare_waves(clips[: config.outliers], model.feature_cfg))
    inverse = len(labels) / (NUM_CLASSES * torch.bincount(labels, minlength=NUM_CLASSES).clamp(min=1))
    weights = inverse.to(device) if config.class_weights else None
    val = _tensors(model, config.val_data)[:2] if config.val_data is not None else None
    opt = _OPTIMIZERS[config.optimizer](model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    warm = math.ceil(len(labels) / config.batch_size)  # steps per epoch; warm-up over the first one
    warmup = optim.lr_scheduler.LinearLR(opt, 1 / warm, total_iters=warm)
    decay = optim.lr_scheduler.CosineAnnealingLR(opt, max(1, (config.epochs - 1) * warm))
    sched = optim.lr_scheduler.SequentialLR(opt, [warmup, decay], milestones=[warm])
    best, best_state, bad = (-1.0, -math.inf), None, 0
    with seeded(config.seed), history.timed():
        for epoch in range(config.epochs):
            model.train()
            if config.balanced_sampler:  # item i drawn with probability proportional to 1 / n_{y_i}
                order = torch.multinomial(inverse[labels], len(labels), replacement=True, generator=g)
            else:
                order = torch.randperm(len(labels), generator=g)
            for idx in order.split(config.batch_size):
                f = (
                    feats[idx]
                    if views is None
                    else views[torch.randint(len(views), (len(idx),), generator=g), idx]
                )
                if aug is not None:
                    f = _augment(f, None if noisy is None else noisy[idx], margin[idx], aug, g)
                loss = classification_loss(net(f.to(device)), labels[idx].to(device), config.loss, weights)
                if outliers is not None:  # cross-entropy to the uniform distribution on non-speech
                    o = outliers[torch.randint(len(outliers), (max(1, len(idx) // 4),), generator=g)]
                    loss = loss - config.outlier_weight * net(o.to(device)).log_softmax(-1).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                opt.step()
                sched.step()
                history.add(loss=loss.item())
            history.add_metric(history.steps, train_loss=np.mean(history.losses["loss"][-warm:]))
            if val is None:
                continue
            with torch.no_grad():
                logits = net.eval()(val[0].to(device)).cpu()
            acc = (logits.argmax(-1) == val[1]).float().mean().item()
            val_loss = F.cross_entropy(logits, val[1]).item()
            history.add_metric(history.steps, val_acc=acc, val_loss=val_loss)
            if (acc, -val_loss) > best:
                best, best_epoch, bad = (acc, -val_loss), epoch, 0
                best_state = copy.deepcopy(model.state_dict())
            elif config.patience is not None and (bad := bad + 1) >= config.patience:
                break
    if best_state is not None and config.patience is not None:
        model.load_state_dict(best_state)
        history.add_metric((best_epoch + 1) * warm, best_epoch=best_epoch + 1)
    model.eval()
    return history


@dataclass
class Scores:
    """Accuracy, macro-averaged precision, recall and F1, per-class recall and the confusion matrix.

    Attributes:
        accuracy, precision, recall, f1: the scalar scores.
        per_class_recall: recall of each digit (NaN for a digit absent from the labels).
        confusion: ``(classes, classes)`` counts, rows the true digit, columns the predicted one.
    """

    accuracy: float
    precision: float
    recall: float
    f1: float
    per_class_recall: list[float]
    confusion: np.ndarray


def classification_scores(y_true, y_pred, n_classes: int = NUM_CLASSES) -> Scores:
    """Scores of predicted labels (scikit-learn's: macro averages over the classes present, 0/0 = 0).

    Args:
        y_true, y_pred: ``(n,)`` true and predicted labels in [0, n_classes).
        n_classes: the number of classes.

    Returns:
        :class:`Scores`.
    """
    t, p = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if t.shape != p.shape or t.size == 0:
        raise ValueError(f"need two non-empty label vectors of equal length, got {t.size} and {p.size}")
    conf = confusion_matrix(t, p, labels=range(n_classes))
    if conf.sum() < t.size:
        raise ValueError(f"labels must lie in [0, {n_classes})")
    prec, rec, f1, _ = precision_recall_fscore_support(t, p, average="macro", zero_division=0)
    row = conf.sum(1)
    per_class = [float(conf[k, k] / row[k]) if row[k] else float("nan") for k in range(n_classes)]
    return Scores(float((t == p).mean()), float(prec), float(rec), float(f1), per_class, conf)


def evaluate(model: SpokenDigitClassifier, data) -> Scores:
    """Scores of ``model.predict`` on items ``(wave, digit, ...)``.

    Args:
        model, data: a trained classifier; an FSDD dataset, a Subset or a list of items.

    Returns:
        :class:`Scores`.
    """
    waves, labels = _unpack(data)
    return classification_scores(labels, model.predict(waves))


def leave_one_speaker_out(speakers: Sequence[str]) -> Iterator[tuple[str, list[int], list[int]]]:
    """The folds of leave-one-speaker-out, one per distinct speaker (sorted).

    Args:
        speakers: the speaker of each item.

    Yields:
        ``(test_speaker, train_indices, test_indices)``; no speaker is on both sides.
    """
    for spk in sorted(set(speakers)):
        test = [i for i, s in enumerate(speakers) if s == spk]
        yield spk, [i for i, s in enumerate(speakers) if s != spk], test


def imbalanced_subset(labels, minority: Sequence[int], keep: float, seed: int = 0) -> list[int]:
    """Indices keeping every item of the majority classes and a random fraction of the minority ones.

    Args:
        labels, minority: ``(n,)`` class labels; the classes to thin out.
        keep: the fraction of each minority class kept (at least one item).
        seed: seeds the choice.

    Returns:
        sorted indices.
    """
    rng, labels = np.random.default_rng(seed), np.asarray(labels)
    out = []
    for k in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == k)
        if k in set(minority):
            idx = rng.choice(idx, max(1, int(round(keep * len(idx)))), replace=False)
        out.extend(idx.tolist())
    return sorted(out)


def classical_features(
    data, *, kind: str = "logmel", n_segments: int = 10, deltas: bool = False, trim_db: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """One fixed-length vector per clip: segment means of its frame features, deltas, spread.

    The frames (hop 80) are 40 log-mel bands (dB) or 20 MFCCs; the vector holds their means over
    ``n_segments`` equal segments, optionally those of their first time difference (deltas), and
    each feature's standard deviation. Clips of similar lengths share a zero-padded batch.

    Args:
        data: items ``(wave, digit, ...)``.
        kind, n_segments: ``"logmel"`` or ``"mfcc"``; the number of time segments.
        deltas: append the deltas' segment means.
        trim_db: trim silence first (:func:`~course_lib.audio.trim_silence`), or None.

    Returns:
        ``(X (n, n_feat * (n_segments * (1 + deltas) + 1)), y (n,))`` float32 and int64 arrays.
    """
    if kind not in ("logmel", "mfcc"):
        raise ValueError(f"kind must be 'logmel' or 'mfcc', got {kind!r}")
    waves, labels = _unpack(data)
    waves = [trim_silence(w, trim_db) if trim_db is not None else w for w in waves]
    waves = [F.pad(w, (0, max(0, 256 - w.numel()))) for w in waves]  # at least one 256-sample frame
    out: list[np.ndarray] = [np.zeros(0)] * len(waves)
    order = sorted(range(len(waves)), key=lambda i: waves[i].numel())
    for idx in (order[k : k + 128] for k in range(0, len(order), 128)):
        n = max(waves[i].numel() for i in idx)
        x = torch.stack([F.pad(waves[i], (0, n - waves[i].numel())) for i in idx])  # (B, n)
        f = log_mel(x, SAMPLE_RATE) if kind == "logmel" else mfcc(x, SAMPLE_RATE)  # (B, n_feat, frames)
        for j, i in enumerate(idx):
            fi = f[j, :, : waves[i].numel() // 80 + 1]  # this clip's frames
            parts = [fi] + ([torch.diff(fi, dim=-1, prepend=fi[:, :1])] if deltas else [])
            parts = [F.adaptive_avg_pool1d(p[None], n_segments)[0] for p in parts]
            parts.append(fi.std(-1, keepdim=True) if fi.shape[-1] > 1 else torch.zeros(len(fi), 1))
            out[i] = torch.cat(parts, dim=1).flatten().numpy().astype(np.float32)
    return np.stack(out), labels.numpy()


def fit_classical(x, y, model: str = "logreg", c: float = 1.0, seed: int = 0) -> Pipeline:
    """Standardise, then fit a logistic regression or an RBF support-vector machine.

    Args:
        x, y: ``(n, d)`` features and ``(n,)`` labels.
        model, c: ``"logreg"`` or ``"svm"``; the inverse regularisation strength.
        seed: the classifier's random state.

    Returns:
        the fitted scikit-learn pipeline (``.predict(X)``).
    """
    if model not in ("logreg", "svm"):
        raise ValueError(f"model must be 'logreg' or 'svm', got {model!r}")
    if model == "svm":
        return make_pipeline(StandardScaler(), SVC(C=c, random_state=seed)).fit(x, y)
    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=3000, random_state=seed)).fit(
        x, y
    )


# --- Robustness: waveform augmentation, non-speech, calibration, rejection -------------------------
@dataclass
class WaveAugmentConfig:
    """Waveform perturbations aimed at unseen voices and rooms, each applied with probability ``prob``.

    Attributes:
        views: augmented copies of each training clip, made once before training (features cached);
            each batch draws the clean clip or one of its copies, with equal probability.
        prob: probability of each perturbation within one copy.
        speed: speed factor range (resampling: tempo and pitch move together) {cite}`ko2015audio`.
        warp: vocal-tract-length factor range (the spectrum's frequency axis stretched, the duration
            kept: formants and pitch move) {cite}`jaitly2013vtlp`.
        gain_db: gain range in dB (the log-mel front end normalises the level, so this checks that).
        noise, noise_snr_db: the noise kinds mixed in and their SNR range in dB.
        rt60: reverberation time range in seconds of the synthetic room (exponentially decaying noise).
    """

    views: int = 4
    prob: float = 0.5
    speed: tuple[float, float] | None = (0.85, 1.15)
    warp: tuple[float, float] | None = (0.85, 1.15)
    gain_db: tuple[float, float] | None = (-20.0, 6.0)
    noise: tuple[str, ...] = ("white", "pink", "brown")
    noise_snr_db: tuple[float, float] = (0.0, 30.0)
    rt60: tuple[float, float] | None = (0.1, 0.6)


def speed_perturb(x: torch.Tensor, factor: float) -> torch.Tensor:
    """Play ``x`` ``factor`` times faster: linear-interpolation resampling to len / factor samples.

    Args:
        x, factor: a clip ``(time,)``; the speed factor (> 1: faster and higher).

    Returns:
        ``(round(time / factor),)``.
    """
    n = max(2, int(round(x.numel() / factor)))
    return F.interpolate(x[None, None], size=n, mode="linear", align_corners=True)[0, 0]


def vocal_tract_warp(x: torch.Tensor, alpha: float, n_fft: int = 256, hop: int = 64) -> torch.Tensor:
    """Stretch the spectrum's frequency axis by ``alpha`` frame by frame, keeping the duration.

    Bin k of the output takes the STFT at frequency bin k / alpha (linear interpolation of the
    complex values, zero beyond Nyquist), then the inverse STFT: formants and harmonics move by alpha.

    Args:
        x, alpha: a clip ``(time,)``; the warp factor (> 1: higher formants, a shorter vocal tract).
        n_fft, hop: the STFT's size and step in samples.

    Returns:
        ``(time,)``.
    """
    spec = stft(x, n_fft, hop)  # (F, frames) complex
    src = torch.arange(spec.shape[0]) / alpha
    lo = src.floor().long().clamp(max=spec.shape[0] - 1)
    hi, w = (lo + 1).clamp(max=spec.shape[0] - 1), (src - src.floor())[:, None]
    warped = (1 - w) * spec[lo] + w * spec[hi]
    warped[src > spec.shape[0] - 1] = 0
    return istft(warped, n_fft, hop, length=x.numel())


def synthetic_room(rt60: float, generator: torch.Generator, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """A room impulse response: a direct path, then Gaussian noise decaying by 60 dB in ``rt60`` s.

    Args:
        rt60, generator: the reverberation time in seconds; draws the noise.
        sample_rate: in Hz.

    Returns:
        ``(1 + rt60 x sample_rate,)``: 1 at t = 0, the tail (silent for 2 ms) after it.
    """
    n = int(rt60 * sample_rate)
    t = torch.arange(n) / sample_rate
    tail = torch.randn(n, generator=generator) * torch.exp(-6.9078 * t / rt60)  # ln(1000) = 6.9078
    tail[: int(0.002 * sample_rate)] = 0  # the first reflections arrive after 2 ms
    return torch.cat([torch.ones(1), 0.3 * tail / tail.norm().clamp(min=1e-8) * math.sqrt(n / 8)])


def augment_wave(x: torch.Tensor, cfg: WaveAugmentConfig, generator: torch.Generator) -> torch.Tensor:
    """One perturbed copy of a clip: speed, warp, room, noise, gain (each with ``cfg.prob``).

    Args:
        x, cfg, generator: a clip ``(time,)``; the perturbations; draws every random choice.

    Returns:
        the copy ``(time',)`` (speed changes the length), peak as in ``x`` before the gain, in [-1, 1].
    """

    def coin() -> bool:
        return bool(torch.rand((), generator=generator) < cfg.prob)

    def uniform(lo_hi: tuple[float, float]) -> float:
        return float(lo_hi[0] + (lo_hi[1] - lo_hi[0]) * torch.rand((), generator=generator))

    peak = x.abs().max().clamp(min=1e-8)
    if cfg.speed is not None and coin():
        x = speed_perturb(x, uniform(cfg.speed))
    if cfg.warp is not None and coin():
        x = vocal_tract_warp(x, uniform(cfg.warp))
    if cfg.rt60 is not None and coin():
        h = synthetic_room(uniform(cfg.rt60), generator)
        x = torch.from_numpy(np.convolve(x.numpy(), h.numpy())[: x.numel() + len(h) // 2]).float()
    if cfg.noise and coin():
        kind = cfg.noise[int(torch.randint(len(cfg.noise), (), generator=generator))]
        x = add_noise(x, make_noise(kind, x.numel(), seed=generator), uniform(cfg.noise_snr_db))
    x = x / x.abs().max().clamp(min=1e-8) * peak
    if cfg.gain_db is not None and coin():
        x = x * 10 ** (uniform(cfg.gain_db) / 20)
    return x.clamp(-1, 1)


NON_SPEECH = ("white", "pink", "brown", "tone", "clicks", "silence")


def non_speech(kind: str, n: int, seed: int = 0, seconds: float = 0.8) -> list[torch.Tensor]:
    """``n`` clips that are not digits: coloured noise, tone complexes, click trains or (near) silence.

    Random level (-40 to -6 dBFS peak) and parameters: tones hold 1-3 sinusoids of 100-3000 Hz;
    clicks are 2-30 single-sample impulses per second; silence is digital zero or hiss at -70 dBFS RMS.

    Args:
        kind: one of :data:`NON_SPEECH`.
        n, seed, seconds: how many clips, their seed, their duration.

    Returns:
        a list of ``n`` clips ``(seconds x 8000,)``.
    """
    if kind not in NON_SPEECH:
        raise ValueError(f"kind must be one of {NON_SPEECH}, got {kind!r}")
    g, length, out = make_generator(seed), int(seconds * SAMPLE_RATE), []
    t = torch.arange(length) / SAMPLE_RATE
    for i in range(n):
        if kind in ("white", "pink", "brown"):
            x = make_noise(kind, length, seed=g)
        elif kind == "tone":
            f = 100 + 2900 * torch.rand(int(torch.randint(1, 4, (), generator=g)), 1, generator=g)
            x = torch.sin(2 * math.pi * f * t + 6.28 * torch.rand(len(f), 1, generator=g)).sum(0)
        elif kind == "clicks":
            rate = 2 + 28 * torch.rand((), generator=g)
            x = (torch.rand(length, generator=g) < rate / SAMPLE_RATE).float()
            x[int(torch.randint(length, (), generator=g))] = 1.0  # at least one click
        else:
            x = torch.zeros(length) if i % 2 == 0 else make_noise("white", length, seed=g) * 10 ** (-70 / 20)
            out.append(x)
            continue
        level = 10 ** ((-40 + 34 * torch.rand((), generator=g)) / 20)
        out.append(x / x.abs().max().clamp(min=1e-8) * level)
    return out


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, steps: int = 200) -> float:
    """Temperature scaling {cite}`guo2017calibration`: the T > 0 minimising the NLL of softmax(z / T).

    Args:
        logits, labels: held-out (validation) logits ``(n, classes)`` and labels ``(n,)``.
        steps: L-BFGS iterations on log T.

    Returns:
        T (the argmax of softmax(z / T) is that of z: accuracy does not change).
    """
    log_t = torch.zeros((), requires_grad=True)
    opt = optim.LBFGS([log_t], lr=0.1, max_iter=steps)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return float(log_t.detach().exp())


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE: sum over equal-width confidence bins of (bin size / n) x |accuracy - mean confidence|.

    Args:
        probs, labels: ``(n, classes)`` probabilities and ``(n,)`` true labels.
        bins: the number of bins on [0, 1].

    Returns:
        the ECE, in [0, 1].
    """
    conf, pred = probs.max(-1)
    correct = (pred == labels).float()
    edges = torch.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        inside = (conf > lo) & (conf <= hi)
        if inside.any():
            ece += inside.float().mean().item() * abs(correct[inside].mean() - conf[inside].mean()).item()
    return ece


def auroc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties counting 1/2.

    Args:
        positive, negative: the scores of the two groups (higher: more likely positive).

    Returns:
        the AUROC in [0, 1] (0.5: the score does not separate them).
    """
    pos, neg = np.asarray(positive, float)[:, None], np.asarray(negative, float)[None, :]
    if pos.size == 0 or neg.size == 0:
        raise ValueError("need at least one positive and one negative score")
    return float((pos > neg).mean() + 0.5 * (pos == neg).mean())


@torch.no_grad()
def calibrate(model: SpokenDigitClassifier, val_data, keep: float = 0.95) -> dict:
    """Fit the temperature and the rejection threshold of ``model`` on validation data, in ``model.meta``.

    The temperature comes from :func:`fit_temperature` on the raw logits; the threshold is the
    (1 - keep) quantile of the calibrated top probability of the validation digits, so that
    ``model.predict(waves, reject=True)`` keeps about ``keep`` of real digits and answers
    :data:`~course_lib.evaluators.NOT_A_DIGIT` below it.

    Args:
        model, val_data: a trained classifier; items ``(wave, digit, ...)`` it was not trained on.
        keep: the fraction of validation digits accepted.

    Returns:
        ``{"temperature", "reject_threshold"}`` (also stored in ``model.meta``, saved with checkpoints).
    """
    if not 0 < keep <= 1:
        raise ValueError(f"keep must lie in (0, 1], got {keep}")
    waves, labels = _unpack(val_data)
    model.eval()
    x = prepare_waves(waves, model.feature_cfg).split(256)
    logits = torch.cat([model(c.to(next(model.parameters()).device)).cpu() for c in x])
    t = fit_temperature(logits, labels)
    conf = (logits / t).softmax(-1).max(-1).values
    model.meta.update(temperature=t, reject_threshold=float(torch.quantile(conf, 1 - keep)))
    return {"temperature": t, "reject_threshold": model.meta["reject_threshold"]}


# --- Little data and sparse models: few-shot support sets, L1/L2 softmax regression, the diagram ----


def few_shot_support(labels, pool: Sequence[int], per_class: int, seed: int = 0) -> list[int]:
    """``per_class`` items of every class drawn without replacement from ``pool``.

    Args:
        labels: the class of every item of the data set ``(n,)``.
        pool: the indices to draw from (e.g. one speaker's takes).
        per_class: items per class.
        seed: seeds the draw.

    Returns:
        sorted indices, ``per_class`` of each class present in ``pool``.

    Raises:
        ValueError: a class of ``pool`` has fewer than ``per_class`` items.
    """
    labels, rng = np.asarray(labels), np.random.default_rng(seed)
    pool = np.asarray(pool, dtype=int)
    out: list[int] = []
    for k in np.unique(labels[pool]):
        members = pool[labels[pool] == k]
        if len(members) < per_class:
            raise ValueError(
                f"class {k} has {len(members)} items in the pool, fewer than per_class={per_class}"
            )
        out += rng.choice(members, per_class, replace=False).tolist()
    return sorted(out)


def fit_penalised_softmax(
    x, y, penalty: str = "l1", strength: float = 1e-2, steps: int = 200
) -> SoftmaxRegression:
    """Softmax regression with an L1 or L2 penalty on the weights, fitted by FISTA (full batch).

    Minimises mean_i CE(W x_i + b, y_i) + R(W) on standardised features, with R(W) = s sum |W_kj|
    (``"l1"``) or (s / 2) sum W_kj^2 (``"l2"``); the bias is not penalised. Each step is a gradient
    step of size 1 / L on the cross-entropy (L = 0.5 lambda_max(X~^T X~ / n), X~ = [X, 1], bounds its
    curvature), then the proximal map of R: soft thresholding w <- sign(v) max(|v| - s / L, 0) for
    L1, which sets small weights exactly to zero, or shrinking w <- v / (1 + s / L) for L2, which
    never does {cite}`beck2009fista`. Deterministic: the weights start at zero.

    Args:
        x, y: ``(n, d)`` features and ``(n,)`` labels in 0..9.
        penalty: ``"l1"`` or ``"l2"``.
        strength: s >= 0.
        steps: FISTA iterations.

    Returns:
        a :class:`SoftmaxRegression` (its ``linear.weight`` ``(10, d)`` holds the exact zeros).
    """
    if penalty not in ("l1", "l2") or strength < 0:
        raise ValueError(f"penalty must be 'l1' or 'l2' and strength >= 0, got {penalty!r}, {strength}")
    model = SoftmaxRegression(x)
    xs = (torch.as_tensor(np.asarray(x), dtype=torch.float32) - model.mean) / model.std  # (n, d)
    onehot = F.one_hot(torch.as_tensor(np.asarray(y)).long(), NUM_CLASSES).float()  # (n, 10)
    aug = torch.cat([xs, torch.ones(len(xs), 1)], 1).double()  # (n, d + 1)
    lip = 0.5 * torch.linalg.eigvalsh(aug.T @ aug / len(xs))[-1].item()  # curvature bound of the CE
    w = prev = torch.zeros(xs.shape[1] + 1, NUM_CLASSES)  # (d + 1, 10): weights, last row the bias
    t = 1.0
    for _ in range(steps):
        t_next = (1 + math.sqrt(1 + 4 * t * t)) / 2
        v = w + (t - 1) / t_next * (w - prev)  # Nesterov's look-ahead point
        grad = torch.cat([xs, torch.ones(len(xs), 1)], 1).T @ ((xs @ v[:-1] + v[-1]).softmax(-1) - onehot)
        z = v - grad / len(xs) / lip  # a gradient step on the mean cross-entropy
        weights = (
            z[:-1].sign() * (z[:-1].abs() - strength / lip).clamp(min=0)  # soft thresholding
            if penalty == "l1"
            else z[:-1] / (1 + strength / lip)  # shrinking
        )
        prev, w, t = w, torch.cat([weights, z[-1:]]), t_next
    with torch.no_grad():
        model.linear.weight.copy_(w[:-1].T)
        model.linear.bias.copy_(w[-1])
    return model


@torch.no_grad()
def draw_recognition_pipeline(model: SpokenDigitClassifier, waves: Sequence[torch.Tensor]) -> plt.Figure:
    """Clips -> waveform batch -> log-mel -> backbone -> logits -> softmax -> digit or reject, real shapes.

    ``waves`` run through ``model`` (a hook reads the input of the last linear layer, and for the CNN
    the output of its convolutional body), so every label is a measured shape.

    Args:
        model: a :class:`~course_lib.evaluators.SpokenDigitClassifier` (its ``meta`` may hold the
            temperature and the rejection threshold of :func:`calibrate`).
        waves: a few clips ``(time_i,)`` at 8 kHz.

    Returns:
        the figure.
    """
    seen: dict[str, torch.Tensor] = {}
    net = model.backbone
    hooks = [net.head[-1].register_forward_hook(lambda _m, inp, out: seen.update(pooled=inp[0], logits=out))]
    if model.arch == "cnn":
        hooks.append(net.body.register_forward_hook(lambda _m, _i, out: seen.update(maps=out)))
    model.eval()
    try:
        x = prepare_waves([check_wave(w, batch=False) for w in waves], model.feature_cfg)  # (B, T)
        feats = model.features(x)  # (B, F, frames)
        net(feats)
    finally:
        for h in hooks:
            h.remove()
    cfg, temp = model.feature_cfg, float(model.meta.get("temperature", 1.0))
    body = {
        "cnn": f"CNN: {len(getattr(model.model_cfg, 'channels', ()))} x (conv 3x3,\nBN, ReLU), 2x2 max-pools",
        "gru": "strided conv 1-D,\nbidirectional GRU",
        "transformer": "strided conv 1-D,\ntransformer encoder",
    }[model.arch]
    d = Diagram(13.4, 7.6, f"Spoken-digit recognition ({model.arch}) on a batch of {len(waves)} clips")
    lengths = f"{min(map(len, waves))}-{max(map(len, waves))} samples"
    d.box("clips", 1.3, 6.6, f"{len(waves)} clips\n{lengths}", "data", w=2.4)
    d.box("x", 5.7, 6.6, f"waveforms x\n{shape(x, 'B,T')}", "data", w=2.6)
    d.box("f", 11.3, 6.6, f"log-mel, dB re peak\n{shape(feats, 'B,mel,frames')}", "data", w=3.6)
    d.arrow("clips", "x", "trim, centre", offset=(0, 0.1))
    d.arrow("x", "f", f"STFT {cfg.n_fft}, hop {cfg.hop_length}\n{cfg.n_mels} mel bands", offset=(0, 0.1))
    d.box("body", 11.3, 4.2, body, "net", w=3.4, h=1.1)
    d.arrow("f", "body")
    if "maps" in seen:
        d.box("maps", 6.6, 4.2, f"feature maps\n{shape(seen['maps'], 'B,C,mel,frames')}", "data", w=4.0)
        d.arrow("body", "maps")
        d.box("pooled", 1.3, 4.2, f"pooled\n{shape(seen['pooled'], 'B,D')}", "data", w=2.2)
        d.arrow("maps", "pooled", "mean, max\nover frames", offset=(0, 0.1))
    else:
        d.box("pooled", 6.2, 4.2, f"pooled states\n{shape(seen['pooled'], 'B,D')}", "data", w=2.8)
        d.arrow("body", "pooled", "mean, max")
    d.box("z", 1.3, 1.8, f"logits z\n{shape(seen['logits'], 'B,K')}", "data", w=2.4)
    d.arrow("pooled", "z", "dropout, linear", offset=(1.0, 0))
    p = (seen["logits"] / temp).softmax(-1)
    d.box("p", 5.6, 1.8, f"p = softmax(z / T)\n{shape(p, 'B,K')}, T = {temp:.2f}", "data", w=3.4)
    d.arrow("z", "p")
    tau = model.meta.get("reject_threshold")
    d.box("out", 9.0, 1.8, "max p\n≥ τ ?" if tau is not None else "argmax", "op", w=1.3, h=1.3)
    answer = "digit or\n'not a digit'" if tau is not None else "digit"
    d.box("answer", 12.0, 1.8, f"{answer}\n{shape(p.argmax(-1), 'B')}", "data", w=2.2, h=1.1)
    d.note(9.0, 0.75, f"τ = {tau:.2f}" if tau is not None else "no rejection threshold", fontsize=8)
    d.arrow("p", "out").arrow("out", "answer")
    d.legend(("data", "net", "op", "forward"))
    return d.figure()

"""Digital audio in plain PyTorch: I/O, µ-law companding, STFT, mel, log-mel and MFCC.

No torchaudio: every transform is a few lines of torch, and ``tests/test_audio.py``
checks them against librosa. Conventions follow librosa's defaults so numbers can be
compared: centred frames with zero padding, a periodic Hann window, Slaney-style mel
filters with area normalisation, power-to-dB with ``amin=1e-10`` and ``top_db=80``,
orthonormal DCT-II for MFCCs.

References: ITU-T G.711 (µ-law); the µ-law output layer of WaveNet (van den Oord et al. 2016).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

__all__ = [
    "load_audio",
    "save_audio",
    "mu_law_encode",
    "mu_law_decode",
    "stft",
    "mel_filterbank",
    "melspectrogram",
    "power_to_db",
    "log_mel",
    "mfcc",
    "add_noise",
]


def _as_float_tensor(x: torch.Tensor | np.ndarray, name: str = "x") -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(x).__name__}")
    if not torch.is_floating_point(x):
        raise TypeError(
            f"{name} must be floating point audio in [-1, 1], got dtype {x.dtype}; "
            "convert integer PCM with x.float() / 32768"
        )
    return x


# ---------------------------------------------------------------------------------------
# I/O
# ---------------------------------------------------------------------------------------


def load_audio(path: str | Path, *, mono: bool = True) -> tuple[torch.Tensor, int]:
    """Read an audio file with soundfile.

    Returns:
        ``(wave, rate)``: float32 tensor ``(time,)`` in [-1, 1] (channels averaged when
        ``mono``; otherwise ``(channels, time)``) and the sample rate in Hz.

    Raises:
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {path}")
    data, rate = sf.read(path, dtype="float32", always_2d=True)  # (time, channels)
    wave = torch.from_numpy(data.T.copy())  # (channels, time)
    return (wave.mean(0) if mono else wave), int(rate)


def save_audio(path: str | Path, wave: torch.Tensor, rate: int, *, subtype: str = "PCM_16") -> None:
    """Write a mono wave ``(time,)`` in [-1, 1] to ``path`` (format from the extension).

    Raises:
        ValueError: wrong shape, or samples outside [-1, 1] (they would wrap or clip).
    """
    wave = _as_float_tensor(torch.as_tensor(wave), "wave").detach().cpu()
    if wave.dim() != 1:
        raise ValueError(f"expected mono audio of shape (time,), got {tuple(wave.shape)}")
    peak = wave.abs().max().item() if wave.numel() else 0.0
    if peak > 1.0:
        raise ValueError(f"samples must lie in [-1, 1], peak is {peak:.3f}; normalise first")
    sf.write(Path(path), wave.numpy(), int(rate), subtype=subtype)


# ---------------------------------------------------------------------------------------
# µ-law
# ---------------------------------------------------------------------------------------


def mu_law_encode(x: torch.Tensor, channels: int = 256) -> torch.Tensor:
    """µ-law compand and quantise: F(x) = sign(x) ln(1 + µ|x|) / ln(1 + µ), µ = channels - 1.

    Args:
        x: float tensor in [-1, 1], any shape.
        channels: number of quantisation levels (256 gives 8-bit codes).

    Returns:
        int64 codes in [0, channels - 1], same shape as ``x``.

    Raises:
        TypeError: integer input. ValueError: samples outside [-1, 1].
    """
    x = _as_float_tensor(x)
    if channels < 2:
        raise ValueError(f"channels must be >= 2, got {channels}")
    if x.numel() and x.abs().max() > 1.0 + 1e-6:
        raise ValueError(f"mu_law_encode expects samples in [-1, 1], peak is {x.abs().max():.3f}")
    mu = channels - 1
    y = torch.sign(x) * torch.log1p(mu * x.abs().clamp(max=1.0)) / math.log1p(mu)  # in [-1, 1]
    return ((y + 1) / 2 * mu + 0.5).floor().long().clamp(0, mu)


def mu_law_decode(codes: torch.Tensor, channels: int = 256) -> torch.Tensor:
    """Inverse of :func:`mu_law_encode`: x = sign(y) ((1 + µ)^|y| - 1) / µ, y = 2c/µ - 1.

    Returns:
        float32 tensor in [-1, 1], same shape as ``codes``.
    """
    if torch.is_floating_point(codes):
        raise TypeError(f"codes must be integers in [0, {channels - 1}], got dtype {codes.dtype}")
    if codes.numel() and (codes.min() < 0 or codes.max() > channels - 1):
        raise ValueError(f"codes must lie in [0, {channels - 1}], got [{codes.min()}, {codes.max()}]")
    mu = channels - 1
    y = 2 * codes.float() / mu - 1
    return torch.sign(y) * torch.expm1(y.abs() * math.log1p(mu)) / mu


# ---------------------------------------------------------------------------------------
# Time-frequency transforms
# ---------------------------------------------------------------------------------------


def stft(
    x: torch.Tensor,
    n_fft: int = 256,
    hop_length: int = 80,
    win_length: int | None = None,
    center: bool = True,
) -> torch.Tensor:
    """Short-time Fourier transform with a periodic Hann window (librosa's convention).

    Args:
        x: waveform ``(time,)`` or batch ``(batch, time)``.
        n_fft: FFT size; 256 samples = 32 ms at 8 kHz.
        hop_length: frame step; 80 samples = 10 ms at 8 kHz.
        win_length: window length (default ``n_fft``).
        center: pad ``n_fft // 2`` zeros on both sides so frame t is centred at t * hop.

    Returns:
        complex tensor ``(..., n_fft // 2 + 1, frames)``.
    """
    x = _as_float_tensor(x)
    if x.dim() not in (1, 2):
        raise ValueError(f"expected (time,) or (batch, time), got {tuple(x.shape)}")
    win_length = win_length or n_fft
    if x.shape[-1] < (1 if center else n_fft):
        raise ValueError(f"signal of {x.shape[-1]} samples is too short for n_fft={n_fft}")
    window = torch.hann_window(win_length, periodic=True, dtype=x.dtype, device=x.device)
    return torch.stft(
        x,
        n_fft,
        hop_length=hop_length,
        win_length=win_length,
        window=window,
        center=center,
        pad_mode="constant",
        return_complex=True,
    )


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return np.where(
        f >= min_log_hz, min_log_mel + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, f / f_sp
    )


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    min_log_mel, logstep = min_log_hz / f_sp, math.log(6.4) / 27.0
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int = 40, fmin: float = 0.0, fmax: float | None = None
) -> torch.Tensor:
    """Triangular mel filters ``(n_mels, n_fft // 2 + 1)``, Slaney scale and area-normalised.

    Filter m rises from mel point m to m+1 and falls to m+2, with n_mels + 2 points equally
    spaced in mel between ``fmin`` and ``fmax`` (default Nyquist); each triangle is scaled by
    2 / (f_{m+2} - f_m) so that filters have equal area (librosa's ``norm="slaney"``).
    """
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(f"need 0 <= fmin < fmax <= {sample_rate / 2}, got fmin={fmin}, fmax={fmax}")
    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    hz = _mel_to_hz(np.linspace(_hz_to_mel(fmin), _hz_to_mel(fmax), n_mels + 2))
    lower = (fft_freqs[None, :] - hz[:-2, None]) / (hz[1:-1] - hz[:-2])[:, None]
    upper = (hz[2:, None] - fft_freqs[None, :]) / (hz[2:] - hz[1:-1])[:, None]
    weights = np.maximum(0, np.minimum(lower, upper)) * (2.0 / (hz[2:] - hz[:-2]))[:, None]
    return torch.from_numpy(weights).float()


def melspectrogram(
    x: torch.Tensor,
    sample_rate: int,
    n_fft: int = 256,
    hop_length: int = 80,
    n_mels: int = 40,
    fmin: float = 0.0,
    fmax: float | None = None,
) -> torch.Tensor:
    """Mel power spectrogram: mel filters applied to |STFT|².

    Returns:
        ``(..., n_mels, frames)``, power (not dB).
    """
    power = stft(x, n_fft, hop_length).abs() ** 2  # (..., freq, frames)
    fb = mel_filterbank(sample_rate, n_fft, n_mels, fmin, fmax).to(power)
    return fb @ power  # (n_mels, freq) @ (..., freq, frames) -> (..., n_mels, frames)


def power_to_db(s: torch.Tensor, amin: float = 1e-10, top_db: float | None = 80.0) -> torch.Tensor:
    """10 log10(max(s, amin)), floored at ``top_db`` below each item's maximum.

    ``s`` is ``(..., n, frames)``; the maximum is taken per item over the last two axes.
    """
    db = 10.0 * torch.log10(s.clamp(min=amin))
    if top_db is not None:
        peak = db.amax(dim=(-2, -1), keepdim=True)
        db = torch.maximum(db, peak - top_db)
    return db


def log_mel(
    x: torch.Tensor,
    sample_rate: int,
    n_fft: int = 256,
    hop_length: int = 80,
    n_mels: int = 40,
    top_db: float | None = 80.0,
) -> torch.Tensor:
    """Log-mel spectrogram in dB, ``(..., n_mels, frames)``."""
    return power_to_db(melspectrogram(x, sample_rate, n_fft, hop_length, n_mels), top_db=top_db)


def _dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """Orthonormal DCT-II matrix ``(n_out, n_in)``: C[k, n] = s_k cos(π k (2n + 1) / (2 n_in))."""
    n = torch.arange(n_in, dtype=torch.float64)
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    c = torch.cos(torch.pi * k * (2 * n + 1) / (2 * n_in)) * math.sqrt(2.0 / n_in)
    c[0] /= math.sqrt(2.0)
    return c.float()


def mfcc(
    x: torch.Tensor,
    sample_rate: int,
    n_mfcc: int = 20,
    n_fft: int = 256,
    hop_length: int = 80,
    n_mels: int = 40,
) -> torch.Tensor:
    """Mel-frequency cepstral coefficients: orthonormal DCT-II of the log-mel (dB) spectrogram.

    Returns:
        ``(..., n_mfcc, frames)``.
    """
    if not 0 < n_mfcc <= n_mels:
        raise ValueError(f"need 0 < n_mfcc <= n_mels, got n_mfcc={n_mfcc}, n_mels={n_mels}")
    lm = log_mel(x, sample_rate, n_fft, hop_length, n_mels)  # (..., n_mels, frames)
    return _dct_matrix(n_mfcc, n_mels).to(lm) @ lm


# ---------------------------------------------------------------------------------------
# Noise
# ---------------------------------------------------------------------------------------


def add_noise(clean: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """Mix ``noise`` into ``clean`` at a signal-to-noise ratio of ``snr_db`` decibels.

    The noise is scaled by g so that 10 log10(Σ clean² / Σ (g noise)²) = snr_db, computed
    per item for a batch ``(batch, time)``. A shorter noise is tiled, a longer one cropped.

    Raises:
        ValueError: mismatched shapes, or silent noise (no scale reaches the SNR).
    """
    clean = _as_float_tensor(clean, "clean")
    noise = _as_float_tensor(noise, "noise").to(clean)
    if clean.dim() not in (1, 2):
        raise ValueError(f"clean must be (time,) or (batch, time), got {tuple(clean.shape)}")
    if noise.dim() == 1 and clean.dim() == 2:
        noise = noise.expand(clean.shape[0], -1)
    if noise.shape[:-1] != clean.shape[:-1]:
        raise ValueError(f"noise shape {tuple(noise.shape)} does not match clean {tuple(clean.shape)}")
    t = clean.shape[-1]
    if noise.shape[-1] < t:
        reps = math.ceil(t / noise.shape[-1])
        noise = noise.repeat(*([1] * (noise.dim() - 1)), reps)
    noise = noise[..., :t]
    p_clean = clean.pow(2).sum(-1, keepdim=True)
    p_noise = noise.pow(2).sum(-1, keepdim=True)
    if (p_noise == 0).any():
        raise ValueError("noise is silent (all zeros): it cannot be scaled to a target SNR")
    gain = torch.sqrt(p_clean / (p_noise * 10 ** (snr_db / 10)))
    return clean + gain * noise

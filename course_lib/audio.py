"""Foundation: digital audio in plain PyTorch: checks, I/O, µ-law, STFT/mel/MFCC, crops, noise.

Chapters: chapters/audio/, chapters/wavenet/, chapters/gan_beyond/, chapters/rnn_gan/

No torchaudio: every transform is a few lines of torch, and ``tests/test_audio.py``
checks them against librosa. Conventions follow librosa's defaults so numbers can be
compared: centred frames with zero padding, a periodic Hann window, Slaney-style mel
filters with area normalisation, power-to-dB with ``amin=1e-10`` and ``top_db=80``,
orthonormal DCT-II for MFCCs.

The whole course works at one sample rate, :data:`SAMPLE_RATE` (8 kHz, FSDD's rate), and every
public function that takes audio validates it with :func:`check_wave`.

References: ITU-T G.711 µ-law {cite}`itu1988g711`; WaveNet's µ-law output layer {cite}`vandenoord2016wavenet`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy.signal import lfilter
from torch import Tensor

from course_lib.utils import Seed, make_generator

#: The one sample rate of the course (Hz): FSDD is recorded at 8 kHz.
SAMPLE_RATE = 8000
#: Kinds of synthetic noise :func:`make_noise` makes.
NOISE_TYPES = ("white", "pink", "brown", "hum", "babble")


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


def check_wave(
    x: torch.Tensor | np.ndarray, sample_rate: int = SAMPLE_RATE, *, name: str = "wave", batch: bool = True
) -> torch.Tensor:
    """Validate a mono waveform at the course's rate and return it as float32.

    Args:
        x: ``(time,)``, or ``(batch, time)`` when ``batch``; float samples in [-1, 1].
        sample_rate: the rate of ``x`` in Hz; it must be :data:`SAMPLE_RATE`.
        name: what the error messages call ``x``.
        batch: accept a batch ``(batch, time)`` too.

    Returns:
        ``x`` as a float32 tensor, same shape.

    Raises:
        TypeError: not a float tensor or array (integer PCM: divide by 32768 first).
        ValueError: another sample rate (with the resampling call to use), a ``(time, channels)``
            stereo array, the wrong number of dimensions, no samples, or NaN/inf samples.
    """
    x = _as_float_tensor(x, name)
    if int(sample_rate) != SAMPLE_RATE:
        raise ValueError(
            f"{name} must be sampled at {SAMPLE_RATE} Hz, got sample_rate={sample_rate}; resample first, "
            f"e.g. scipy.signal.resample_poly(x, {SAMPLE_RATE}, {sample_rate})"
        )
    if x.dim() == 2 and x.shape[-1] <= 2 < x.shape[0]:
        raise ValueError(
            f"{name} of shape {tuple(x.shape)} looks like a (time, channels) stereo array; "
            "average the channels first: x.mean(-1)"
        )
    dims = (1, 2) if batch else (1,)
    if x.dim() not in dims:
        want = "(time,) or (batch, time)" if batch else "mono (time,)"
        raise ValueError(f"{name} must have shape {want}, got {tuple(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    if not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or inf samples")
    return x.float()


# --- µ-law ----------------------------------------------------------------------------------------


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

    Args:
        codes: integer codes in [0, channels - 1], any shape.
        channels: number of quantisation levels.

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


def mu_law_compress(x: torch.Tensor, mu: float = 255.0) -> torch.Tensor:
    """The µ-law curve F(x) = sign(x) ln(1 + µ|x|) / ln(1 + µ), without quantising; µ = 0: F(x) = x.

    Args:
        x: float tensor in [-1, 1], any shape.
        mu: the compression parameter, >= 0 (G.711 uses 255).

    Returns:
        F(x) in [-1, 1], same shape.
    """
    if mu < 0:
        raise ValueError(f"mu must be >= 0 (0: no companding), got {mu}")
    x = _as_float_tensor(x)
    return x if mu == 0 else torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)


def mu_law_expand(y: torch.Tensor, mu: float = 255.0) -> torch.Tensor:
    """The inverse curve F^-1(y) = sign(y) ((1 + µ)^|y| - 1) / µ; µ = 0: F^-1(y) = y.

    Args:
        y: float tensor in [-1, 1], any shape.
        mu: as given to :func:`mu_law_compress`.

    Returns:
        x in [-1, 1], same shape.
    """
    if mu < 0:
        raise ValueError(f"mu must be >= 0 (0: no companding), got {mu}")
    y = _as_float_tensor(y, "y")
    return y if mu == 0 else torch.sign(y) * torch.expm1(y.abs() * math.log1p(mu)) / mu


def companded_quantise(x: torch.Tensor, bits: int, mu: float = 255.0) -> torch.Tensor:
    """Compress with µ-law, round to 2**bits levels on [-1, 1] (both ends included), expand.

    ``bits=8, mu=255`` equals ``mu_law_decode(mu_law_encode(x))``; ``mu=0`` is uniform PCM.

    Args:
        x: float tensor in [-1, 1], any shape.
        bits: bits per sample (1 to 16).
        mu: the µ-law parameter (0: no companding).

    Returns:
        the reconstruction x̂, same shape.
    """
    if not 1 <= bits <= 16:
        raise ValueError(f"bits must lie in 1..16, got {bits}")
    steps = 2**bits - 1  # intervals between the 2**bits levels; the step in F(x) is 2 / steps
    y = mu_law_compress(_as_float_tensor(x).clamp(-1, 1), mu)
    return mu_law_expand(((y + 1) / 2 * steps + 0.5).floor() / steps * 2 - 1, mu)


# --- Time-frequency transforms --------------------------------------------------------------------


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


def istft(
    spec: torch.Tensor, n_fft: int = 256, hop_length: int = 80, length: int | None = None
) -> torch.Tensor:
    """Inverse of :func:`stft` (periodic Hann window, centred frames, overlap-add).

    Args:
        spec: complex ``(..., n_fft // 2 + 1, frames)``.
        n_fft, hop_length: as given to :func:`stft`.
        length: number of output samples (default: what the frames cover).

    Returns:
        real ``(..., time)`` on the device of ``spec``.
    """
    window = torch.hann_window(n_fft, periodic=True, dtype=spec.real.dtype, device=spec.device)
    return torch.istft(spec, n_fft, hop_length, window=window, center=True, length=length)


def griffin_lim(
    magnitude: torch.Tensor,
    n_fft: int = 256,
    hop_length: int = 80,
    length: int | None = None,
    *,
    iterations: int = 32,
    seed: Seed = 0,
) -> torch.Tensor:
    """A waveform whose STFT magnitude approximates ``magnitude`` {cite}`griffin1984signal`.

    Start from a random phase; each iteration keeps the target magnitude and takes the phase of
    the STFT of the inverse STFT (a projection onto consistent spectrograms).

    Args:
        magnitude: non-negative ``(..., n_fft // 2 + 1, frames)``.
        n_fft, hop_length: the STFT's, as for :func:`stft`.
        length: samples to return (default: what the frames cover).
        iterations: phase-retrieval iterations.
        seed: int or generator of the initial phase.

    Returns:
        real ``(..., time)``.
    """
    magnitude = _as_float_tensor(magnitude, "magnitude")
    if magnitude.dim() < 2 or magnitude.shape[-2] != n_fft // 2 + 1:
        bins = n_fft // 2 + 1
        raise ValueError(f"expected (..., {bins}, frames) for n_fft={n_fft}, got {tuple(magnitude.shape)}")
    if (magnitude < 0).any():
        raise ValueError("magnitude must be non-negative")
    g = make_generator(seed)
    phase = torch.exp(2j * math.pi * torch.rand(magnitude.shape, generator=g)).to(magnitude.device)
    for _ in range(iterations):
        spec = stft(istft(magnitude * phase, n_fft, hop_length, length), n_fft, hop_length)
        phase = spec / spec.abs().clamp(min=1e-8)
    return istft(magnitude * phase, n_fft, hop_length, length)


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

    Args:
        sample_rate: in Hz.
        n_fft: FFT size.
        n_mels: number of filters.
        fmin, fmax: frequency range in Hz (default: 0 to Nyquist).

    Returns:
        ``(n_mels, n_fft // 2 + 1)`` float32.
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
    x: torch.Tensor, sample_rate: int, n_fft: int = 256, hop_length: int = 80, n_mels: int = 40
) -> torch.Tensor:
    """Mel power spectrogram: mel filters applied to |STFT|².

    Args:
        x: ``(time,)`` or ``(batch, time)``.
        sample_rate: in Hz.
        n_fft, hop_length: STFT size and step (samples).
        n_mels: mel bands.

    Returns:
        ``(..., n_mels, frames)``, power (not dB).
    """
    power = stft(x, n_fft, hop_length).abs() ** 2  # (..., freq, frames)
    fb = mel_filterbank(sample_rate, n_fft, n_mels).to(power)
    return fb @ power  # (n_mels, freq) @ (..., freq, frames) -> (..., n_mels, frames)


def power_to_db(s: torch.Tensor, amin: float = 1e-10, top_db: float | None = 80.0) -> torch.Tensor:
    """Power to decibels: 10 log10(max(s, amin)), floored ``top_db`` below each item's peak.

    Args:
        s: power ``(..., n, frames)``; the peak is taken per item over the last two axes.
        amin: smallest power considered.
        top_db: dynamic range kept (``None``: no floor).

    Returns:
        dB, same shape.
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
    """Log-mel spectrogram in dB (librosa's defaults, see the module docstring).

    Args:
        x, sample_rate, n_fft, hop_length, n_mels: as for :func:`melspectrogram`.
        top_db: dynamic range kept below each item's peak.

    Returns:
        ``(..., n_mels, frames)``.
    """
    return power_to_db(melspectrogram(x, sample_rate, n_fft, hop_length, n_mels), top_db=top_db)


def _dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """Orthonormal DCT-II matrix ``(n_out, n_in)``: C[k, n] = s_k cos(π k (2n + 1) / (2 n_in))."""
    n = torch.arange(n_in, dtype=torch.float64)
    k = torch.arange(n_out, dtype=torch.float64)[:, None]
    c = torch.cos(torch.pi * k * (2 * n + 1) / (2 * n_in)) * math.sqrt(2.0 / n_in)
    c[0] /= math.sqrt(2.0)
    return c.float()


def mfcc(
    x: Tensor, sample_rate: int, n_mfcc: int = 20, n_fft: int = 256, hop_length: int = 80, n_mels: int = 40
) -> torch.Tensor:
    """Mel-frequency cepstral coefficients: orthonormal DCT-II of the log-mel (dB) spectrogram.

    Args:
        x, sample_rate, n_fft, hop_length: as for :func:`melspectrogram`.
        n_mfcc: coefficients kept.
        n_mels: mel bands before the DCT.

    Returns:
        ``(..., n_mfcc, frames)``.
    """
    if not 0 < n_mfcc <= n_mels:
        raise ValueError(f"need 0 < n_mfcc <= n_mels, got n_mfcc={n_mfcc}, n_mels={n_mels}")
    lm = log_mel(x, sample_rate, n_fft, hop_length, n_mels)  # (..., n_mels, frames)
    return _dct_matrix(n_mfcc, n_mels).to(lm) @ lm


# --- Noise ----------------------------------------------------------------------------------------


def add_noise(clean: torch.Tensor, noise: torch.Tensor, snr_db: float) -> torch.Tensor:
    """Mix ``noise`` into ``clean`` at a signal-to-noise ratio of ``snr_db`` decibels.

    The noise is scaled by g so that 10 log10(Σ clean² / Σ (g noise)²) = snr_db, computed
    per item for a batch ``(batch, time)``. A shorter noise is tiled, a longer one cropped.

    Args:
        clean: ``(time,)`` or ``(batch, time)``.
        noise: ``(time',)`` or ``(batch, time')``.
        snr_db: the target SNR in dB.

    Returns:
        ``clean + g * noise``, shape of ``clean``.

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


def _shape_spectrum(white: torch.Tensor, exponent: float) -> torch.Tensor:
    """Scale the spectrum of ``white`` by f^(-exponent / 2): power ∝ 1 / f^exponent."""
    spec = torch.fft.rfft(white.double())
    f = torch.arange(spec.shape[-1], dtype=torch.float64)
    f[0] = 1.0  # keep DC finite (it is removed below)
    spec = spec * f.pow(-exponent / 2)
    spec[..., 0] = 0
    return torch.fft.irfft(spec, white.shape[-1]).float()


def _resonate(x: torch.Tensor, fc: float, bw: float) -> torch.Tensor:
    """Two-pole resonator at ``fc`` Hz with bandwidth ``bw`` Hz along the last axis."""
    r = math.exp(-math.pi * bw / SAMPLE_RATE)
    a = [1.0, -2 * r * math.cos(2 * math.pi * fc / SAMPLE_RATE), r * r]
    return torch.from_numpy(lfilter([1 - r], a, x.numpy(), axis=-1))


def make_noise(kind: str, length: int, *, batch: int | None = None, seed: Seed = 0) -> torch.Tensor:
    """Synthesise noise at 8 kHz with unit RMS.

    Kinds: ``"white"`` (flat spectrum); ``"pink"`` (power ∝ 1/f); ``"brown"`` (power ∝ 1/f²);
    ``"hum"`` (50 Hz mains hum with harmonics up to 1 kHz, a slow wobble and a little pink
    hiss); ``"babble"`` (four synthetic talkers: glottal-like pulse trains with vibrato
    through two random formant resonances, switched on and off at syllable rate).

    Args:
        kind: one of :data:`NOISE_TYPES`.
        length: samples per item.
        batch: number of items (``None``: a single ``(length,)`` wave).
        seed: int or generator.

    Returns:
        ``(length,)`` or ``(batch, length)`` float32.

    Raises:
        ValueError: unknown kind or ``length < 1``.
    """
    if kind not in NOISE_TYPES:
        raise ValueError(f"kind must be one of {NOISE_TYPES}, got {kind!r}")
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    g = make_generator(seed)
    b = 1 if batch is None else batch
    t = torch.arange(length, dtype=torch.float64) / SAMPLE_RATE  # seconds
    if kind == "white":
        out = torch.randn(b, length, generator=g)
    elif kind in ("pink", "brown"):
        out = _shape_spectrum(torch.randn(b, length, generator=g), 1.0 if kind == "pink" else 2.0)
    elif kind == "hum":
        base = 50.0 * (1 + 0.01 * (torch.rand(b, 1, generator=g, dtype=torch.float64) - 0.5))
        phases = 2 * math.pi * torch.rand(b, 20, generator=g, dtype=torch.float64)
        out = torch.zeros(b, length, dtype=torch.float64)
        for k in range(1, 21):  # harmonics 50 Hz ... 1 kHz, amplitude ~ 1/k
            out += torch.sin(2 * math.pi * k * base * t + phases[:, k - 1 : k]) / k
        wobble = 1 + 0.2 * torch.sin(2 * math.pi * 0.7 * t + phases[:, :1])
        hiss = _shape_spectrum(torch.randn(b, length, generator=g), 1.0).double()
        out = ((out * wobble / out.std(-1, keepdim=True)) + 0.1 * hiss / hiss.std(-1, keepdim=True)).float()
    else:  # babble
        out = torch.zeros(b, length, dtype=torch.float64)
        for _ in range(4):
            f0 = 90 + 160 * torch.rand(b, 1, generator=g, dtype=torch.float64)
            vib = 1 + 0.05 * torch.sin(2 * math.pi * 5 * t + 6.28 * torch.rand(b, 1, generator=g))
            phase = torch.cumsum(f0 * vib / SAMPLE_RATE, -1)  # cycles
            pulses = ((phase % 1.0) < (f0 / SAMPLE_RATE)).double()  # one sample per period
            voiced = pulses.clone()
            for fc_lo, fc_hi in ((300.0, 900.0), (900.0, 2500.0)):
                fc = fc_lo + (fc_hi - fc_lo) * float(torch.rand(1, generator=g))
                voiced = voiced + _resonate(pulses, fc, 80.0)
            gate_rate = 3 + 2 * float(torch.rand(1, generator=g))
            gate = 0.5 * (1 + torch.sin(2 * math.pi * gate_rate * t + 6.28 * torch.rand(b, 1, generator=g)))
            out += voiced * gate.pow(2)
        out = out.float()
    out = out - out.mean(-1, keepdim=True)
    out = out / out.pow(2).mean(-1, keepdim=True).sqrt().clamp(min=1e-12)
    return out[0] if batch is None else out


# --- Trimming, fixed lengths and random crops -----------------------------------------------------


def trim_silence(wave: torch.Tensor, top_db: float = 40.0, frame: int = 256, hop: int = 80) -> torch.Tensor:
    """Cut leading and trailing frames more than ``top_db`` dB below the loudest frame.

    The idea of ``librosa.effects.trim``; a silent clip is returned as it is.

    Args:
        wave: ``(time,)``.
        top_db: threshold below the loudest frame's mean power.
        frame, hop: frame length and step in samples.

    Returns:
        ``(time',)`` with time' <= time, a view of ``wave``.
    """
    if wave.numel() == 0 or wave.abs().max() == 0:
        return wave
    padded = F.pad(wave, (0, max(0, frame - wave.numel())))
    db = 10 * torch.log10(padded.unfold(0, frame, hop).pow(2).mean(-1).clamp(min=1e-20))  # (frames,)
    keep = torch.nonzero(db > db.max() - top_db).squeeze(1)
    start = int(keep[0]) * hop
    stop = min(wave.numel(), int(keep[-1]) * hop + frame)
    return wave[start:stop]


def fix_length(wave: torch.Tensor, length: int, offset: int | None = None) -> torch.Tensor:
    """Crop or zero-pad a waveform to exactly ``length`` samples.

    Args:
        wave: ``(time,)``.
        length: samples wanted.
        offset: crop start (long clips) or zeros before the clip (short clips), clamped to the
            valid range; default: the loudest window of a long clip, a short clip centred.

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


def random_crops(waves: list[torch.Tensor], n: int, length: int, seed: Seed = 0) -> torch.Tensor:
    """``n`` crops of ``length`` samples from randomly chosen recordings at random offsets.

    A recording shorter than ``length`` is placed at a random offset in zeros.

    Args:
        waves: 1-D recordings of any lengths.
        n: number of crops.
        length: samples per crop.
        seed: int or generator.

    Returns:
        ``(n, length)``.
    """
    g = make_generator(seed)
    idx = torch.randint(len(waves), (n,), generator=g)
    out = []
    for i in idx.tolist():
        w = waves[i]
        out.append(fix_length(w, length, int(torch.randint(abs(len(w) - length) + 1, (1,), generator=g))))
    return torch.stack(out) if out else torch.zeros(0, length)

"""Audio restoration: damage models, classical baselines and learned enhancement.

What the restoration notebook measures, in three parts:

1. **Damage models** (all at 8 kHz, waveforms ``(time,)`` or ``(batch, time)``): additive
   noise at an exact SNR with noises synthesised in code (white, pink, brown, a mains-hum
   "recorded-like" noise and a speech-like babble), clipping, dropped packets (gaps) and band
   limiting.
2. **Classical baselines**: power spectral subtraction (Boll 1979, {cite}`boll1979suppression`)
   and a Wiener filter with the decision-directed a-priori SNR (Ephraim and Malah 1984,
   {cite}`ephraim1984speech`). Both estimate the noise spectrum from the quietest frames of
   the input itself, so they need no clean reference. One implementation, shared with the
   WaveNet chapter's denoising section. Plus gap interpolation and declipping by cubic
   interpolation through the reliable samples.
3. **Learned restoration**: a small network that estimates a magnitude mask on the STFT
   (:class:`MaskNet`), trained with an L1 loss, and the conditional-GAN variant of SEGAN
   ({cite}`pascual2017segan`): the generator sees the damaged input, the discriminator judges
   (damaged, candidate) pairs, and the generator loss is adversarial + lambda x L1.

Shapes: waveforms are ``(time,)`` or ``(batch, time)``; spectrograms ``(batch, freq, frames)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib.audio import add_noise
from course_lib.utils import committed_checkpoint, load_verified, sha256_file

SAMPLE_RATE = 8000
NOISE_TYPES = ("white", "pink", "brown", "hum", "babble")

__all__ = [
    "SAMPLE_RATE",
    "NOISE_TYPES",
    "check_wave",
    "make_noise",
    "add_noise_at_snr",
    "clip",
    "drop_packets",
    "band_limit",
    "noise_psd_estimate",
    "spectral_subtraction",
    "wiener_filter",
    "interpolate_gaps",
    "declip",
    "MaskNetConfig",
    "MaskNet",
    "PairDiscriminator",
    "noise_damage",
    "clip_damage",
    "gap_damage",
    "sisdr_loss",
    "lsgan_losses",
    "train_restorer",
    "save_checkpoint",
    "load_checkpoint",
    "pretrained_restorer",
    "RESTORATION_CHECKPOINTS",
    "read_csv_rows",
    "markdown_table",
    "pivot",
]


# ---------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------


def check_wave(x: torch.Tensor, sample_rate: int = SAMPLE_RATE, name: str = "noisy") -> torch.Tensor:
    """Validate a mono 8 kHz waveform ``(time,)`` or batch ``(batch, time)``; return it as float32.

    Raises:
        TypeError: not a floating-point tensor / array.
        ValueError: wrong sample rate, empty, a stereo ``(time, channels)`` array (last axis
            of size 1 or 2 and a longer first axis), or more than two dimensions. A ``(2, T)``
            input is read as a batch of two recordings, never as channels.
    """
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x):
        raise TypeError(
            f"{name} must be a float waveform tensor in [-1, 1], got {type(x).__name__} "
            f"{getattr(x, 'dtype', '')}; convert integer PCM with x.float() / 32768"
        )
    if int(sample_rate) != SAMPLE_RATE:
        raise ValueError(
            f"expected audio at {SAMPLE_RATE} Hz, got sample_rate={sample_rate}; resample first "
            f"(e.g. scipy.signal.resample_poly(x, {SAMPLE_RATE}, {sample_rate}))"
        )
    if x.dim() == 2 and x.shape[-1] <= 2 < x.shape[0]:
        raise ValueError(
            f"expected mono audio of shape (time,) or (batch, time), got {tuple(x.shape)}, which "
            "looks like a (time, channels) stereo array; average the channels first (x.mean(-1))"
        )
    if x.dim() not in (1, 2):
        raise ValueError(f"expected {name} of shape (time,) or (batch, time), got {tuple(x.shape)}")
    if x.shape[-1] == 0 or x.numel() == 0:
        raise ValueError(f"expected a non-empty waveform, got shape {tuple(x.shape)}")
    return x.float()


def _generator(seed: int | torch.Generator | None) -> torch.Generator:
    if isinstance(seed, torch.Generator):
        return seed
    return torch.Generator().manual_seed(0 if seed is None else int(seed))


# ---------------------------------------------------------------------------------------
# Damage models
# ---------------------------------------------------------------------------------------


def _shape_spectrum(white: torch.Tensor, exponent: float) -> torch.Tensor:
    """Scale the spectrum of ``white`` by f^(-exponent / 2): power ∝ 1 / f^exponent."""
    n = white.shape[-1]
    spec = torch.fft.rfft(white.double())
    f = torch.arange(spec.shape[-1], dtype=torch.float64)
    f[0] = 1.0  # keep DC finite (it is removed below)
    spec = spec * f.pow(-exponent / 2)
    spec[..., 0] = 0
    return torch.fft.irfft(spec, n).float()


def make_noise(
    kind: str, length: int, *, batch: int | None = None, seed: int | torch.Generator | None = 0
) -> torch.Tensor:
    """Synthesise ``length`` samples of noise at 8 kHz, unit RMS.

    Kinds:
        ``"white"``: i.i.d. Gaussian (flat spectrum).
        ``"pink"``: power ∝ 1/f (equal power per octave), by shaping a white spectrum.
        ``"brown"``: power ∝ 1/f² (rumble, wind-like).
        ``"hum"``: a recorded-like mains hum: 50 Hz with decaying odd and even harmonics up to
            1 kHz, slow amplitude wobble, plus a little pink hiss.
        ``"babble"``: speech-like: 4 "talkers", each a glottal-like pulse train (f0 drawn in
            90-250 Hz with vibrato) through two random formant resonances, switched on and off
            at syllable rate (about 4 Hz).

    Returns:
        ``(length,)`` or ``(batch, length)`` float32.

    Raises:
        ValueError: unknown kind or length < 1.
    """
    if kind not in NOISE_TYPES:
        raise ValueError(f"kind must be one of {NOISE_TYPES}, got {kind!r}")
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    g = _generator(seed)
    b = 1 if batch is None else batch
    t = torch.arange(length, dtype=torch.float64) / SAMPLE_RATE  # seconds
    if kind == "white":
        out = torch.randn(b, length, generator=g)
    elif kind == "pink":
        out = _shape_spectrum(torch.randn(b, length, generator=g), 1.0)
    elif kind == "brown":
        out = _shape_spectrum(torch.randn(b, length, generator=g), 2.0)
    elif kind == "hum":
        base = 50.0 * (1 + 0.01 * (torch.rand(b, 1, generator=g, dtype=torch.float64) - 0.5))
        phases = 2 * math.pi * torch.rand(b, 20, generator=g, dtype=torch.float64)
        out = torch.zeros(b, length, dtype=torch.float64)
        for k in range(1, 21):  # harmonics 50 Hz ... 1 kHz, amplitude ~ 1/k
            out += torch.sin(2 * math.pi * k * base * t + phases[:, k - 1 : k]) / k
        wobble = 1 + 0.2 * torch.sin(2 * math.pi * 0.7 * t + phases[:, :1])
        hiss = _shape_spectrum(torch.randn(b, length, generator=g), 1.0).double()
        out = (out * wobble / out.std(-1, keepdim=True)) + 0.1 * hiss / hiss.std(-1, keepdim=True)
        out = out.float()
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


def _resonate(x: torch.Tensor, fc: float, bw: float) -> torch.Tensor:
    """Two-pole resonator at ``fc`` Hz with bandwidth ``bw`` Hz (scipy lfilter along time)."""
    from scipy.signal import lfilter

    r = math.exp(-math.pi * bw / SAMPLE_RATE)
    a = [1.0, -2 * r * math.cos(2 * math.pi * fc / SAMPLE_RATE), r * r]
    return torch.from_numpy(lfilter([1 - r], a, x.numpy(), axis=-1))


def add_noise_at_snr(
    clean: torch.Tensor,
    snr_db: float,
    *,
    kind: str = "white",
    seed: int | torch.Generator | None = 0,
) -> torch.Tensor:
    """``clean + g * noise`` with synthetic noise of ``kind`` scaled per item so that
    10 log10(Σ clean² / Σ (g noise)²) = ``snr_db`` exactly (see :func:`course_lib.audio.add_noise`).

    Args:
        clean: ``(time,)`` or ``(batch, time)`` at 8 kHz.

    Returns:
        the noisy waveform, same shape (not clipped: values may exceed [-1, 1] at low SNR).
    """
    clean = check_wave(clean, name="clean")
    noise = make_noise(kind, clean.shape[-1], batch=None if clean.dim() == 1 else clean.shape[0], seed=seed)
    return add_noise(clean, noise, snr_db)


def clip(x: torch.Tensor, *, threshold: float = 0.25, relative: bool = True) -> torch.Tensor:
    """Hard clipping at ±threshold (times each item's peak when ``relative``). Same shape."""
    x = check_wave(x, name="x")
    if threshold <= 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    level = threshold * x.abs().amax(-1, keepdim=True) if relative else torch.full_like(x[..., :1], threshold)
    return torch.maximum(torch.minimum(x, level), -level)


def drop_packets(
    x: torch.Tensor,
    *,
    packet_ms: float = 20.0,
    loss_rate: float = 0.1,
    seed: int | torch.Generator | None = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero out random packets, as in lossy VoIP transport.

    Each packet of ``packet_ms`` milliseconds is lost independently with ``loss_rate``.

    Returns:
        ``(damaged, keep)``: damaged waveform (same shape) and the boolean mask of samples that
        arrived (``True`` = kept), which a receiver knows.
    """
    x = check_wave(x, name="x")
    if not 0 <= loss_rate < 1:
        raise ValueError(f"loss_rate must be in [0, 1), got {loss_rate}")
    p = max(1, int(round(packet_ms * SAMPLE_RATE / 1000)))
    g = _generator(seed)
    n_packets = math.ceil(x.shape[-1] / p)
    lost = torch.rand(*x.shape[:-1], n_packets, generator=g) < loss_rate
    keep = (~lost).repeat_interleave(p, -1)[..., : x.shape[-1]]
    return x * keep, keep


def band_limit(x: torch.Tensor, *, cutoff_hz: float = 1000.0) -> torch.Tensor:
    """Brick-wall low-pass at ``cutoff_hz`` in the frequency domain (telephone-like band limit).

    Same shape; everything above the cutoff is removed.
    """
    x = check_wave(x, name="x")
    if not 0 < cutoff_hz < SAMPLE_RATE / 2:
        raise ValueError(f"cutoff_hz must be in (0, {SAMPLE_RATE // 2}), got {cutoff_hz}")
    n = x.shape[-1]
    spec = torch.fft.rfft(x)
    freqs = torch.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    return torch.fft.irfft(spec * (freqs <= cutoff_hz), n)


# ---------------------------------------------------------------------------------------
# Classical denoising: spectral subtraction and Wiener filter
# ---------------------------------------------------------------------------------------


def _stft(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, periodic=True, dtype=x.dtype)
    return torch.stft(x, n_fft, hop, window=window, center=True, pad_mode="constant", return_complex=True)


def _istft(spec: torch.Tensor, n_fft: int, hop: int, length: int) -> torch.Tensor:
    window = torch.hann_window(n_fft, periodic=True, dtype=spec.real.dtype)
    return torch.istft(spec, n_fft, hop, window=window, center=True, length=length)


def noise_psd_estimate(power: torch.Tensor, *, quantile: float = 0.1) -> torch.Tensor:
    """Noise power per frequency from the quietest frames (a simple minimum-statistics idea).

    The frames whose total power lies in the lowest ``quantile`` (at least 2 frames) are
    averaged: speech is intermittent, so they are mostly noise.

    Args:
        power: ``(batch, freq, frames)`` power spectrogram |X|².

    Returns:
        ``(batch, freq, 1)``.
    """
    frames = power.shape[-1]
    k = max(2, int(math.ceil(quantile * frames)))
    k = min(k, frames)
    energy = power.sum(-2)  # (batch, frames)
    idx = energy.topk(k, dim=-1, largest=False).indices  # (batch, k)
    quiet = torch.gather(power, -1, idx[:, None, :].expand(-1, power.shape[1], -1))
    return quiet.mean(-1, keepdim=True)


def _noise_power(
    power: torch.Tensor, noise: torch.Tensor | None, n_fft: int, hop: int, quantile: float
) -> torch.Tensor:
    if noise is None:
        return noise_psd_estimate(power, quantile=quantile)
    noise = check_wave(noise, name="noise")
    npow = _stft(noise if noise.dim() == 2 else noise[None], n_fft, hop).abs().pow(2).mean(-1, keepdim=True)
    if npow.shape[0] not in (1, power.shape[0]):
        raise ValueError(f"noise batch {npow.shape[0]} does not match the input batch {power.shape[0]}")
    return npow


def spectral_subtraction(
    noisy: torch.Tensor,
    *,
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = 256,
    hop_length: int = 64,
    oversubtraction: float = 2.0,
    floor: float = 0.02,
    noise: torch.Tensor | None = None,
    noise_quantile: float = 0.1,
) -> torch.Tensor:
    """Power spectral subtraction (Boll 1979; over-subtraction and spectral floor of Berouti
    et al. 1979), keeping the noisy phase.

        |S|² = max(|Y|² - a N, b² |Y|²),   N = noise power per frequency,

    with ``a = oversubtraction`` and ``b = floor``. N is averaged over the quietest
    ``noise_quantile`` of the frames unless a noise-only recording ``noise`` is given.

    Args:
        noisy: ``(time,)`` or ``(batch, time)`` at 8 kHz.
        sample_rate: must be 8000 (the defaults are set for it).
        n_fft, hop_length: STFT size and step in samples (32 ms and 8 ms at 8 kHz).

    Returns:
        the enhanced waveform, same shape as ``noisy``.

    Raises:
        TypeError, ValueError: see :func:`check_wave`; bad parameters.
    """
    x = check_wave(noisy, sample_rate)
    if oversubtraction <= 0 or not 0 <= floor < 1:
        raise ValueError(f"need oversubtraction > 0 and 0 <= floor < 1, got {oversubtraction}, {floor}")
    xb = x if x.dim() == 2 else x[None]  # (B, T)
    spec = _stft(xb, n_fft, hop_length)  # (B, F, frames)
    power = spec.abs().pow(2)
    n_pow = _noise_power(power, noise, n_fft, hop_length, noise_quantile)
    clean_pow = torch.maximum(power - oversubtraction * n_pow, floor**2 * power)
    gain = (clean_pow / power.clamp(min=1e-20)).sqrt()
    out = _istft(spec * gain, n_fft, hop_length, xb.shape[-1])
    return out if x.dim() == 2 else out[0]


def wiener_filter(
    noisy: torch.Tensor,
    *,
    sample_rate: int = SAMPLE_RATE,
    n_fft: int = 256,
    hop_length: int = 64,
    smoothing: float = 0.98,
    min_gain: float = 0.05,
    noise: torch.Tensor | None = None,
    noise_quantile: float = 0.1,
) -> torch.Tensor:
    """Wiener filter with the decision-directed a-priori SNR (Ephraim and Malah 1984).

    Per frame t and frequency f, with noise power N and posterior SNR γ_t = |Y_t|² / N:

        ξ_t = α G²_{t-1} γ_{t-1} + (1 - α) max(γ_t - 1, 0),   G_t = max(ξ_t / (1 + ξ_t), g_min),

    and the estimate is G_t Y_t (noisy phase). α = ``smoothing`` trades residual "musical
    noise" (small α) for smearing (α near 1). N as in :func:`spectral_subtraction`.

    Args:
        noisy: ``(time,)`` or ``(batch, time)`` at 8 kHz.

    Returns:
        the enhanced waveform, same shape as ``noisy``.

    Raises:
        TypeError, ValueError: see :func:`check_wave`; bad parameters.
    """
    x = check_wave(noisy, sample_rate)
    if not 0 <= smoothing < 1 or not 0 <= min_gain <= 1:
        raise ValueError(f"need 0 <= smoothing < 1 and 0 <= min_gain <= 1, got {smoothing}, {min_gain}")
    xb = x if x.dim() == 2 else x[None]
    spec = _stft(xb, n_fft, hop_length)  # (B, F, frames)
    power = spec.abs().pow(2)
    n_pow = _noise_power(power, noise, n_fft, hop_length, noise_quantile).clamp(min=1e-20)
    gamma = power / n_pow  # posterior SNR, (B, F, frames)
    gains = torch.empty_like(gamma)
    prev = torch.ones_like(gamma[..., 0])  # G² γ of the previous frame
    for t in range(gamma.shape[-1]):
        xi = smoothing * prev + (1 - smoothing) * (gamma[..., t] - 1).clamp(min=0)
        g = (xi / (1 + xi)).clamp(min=min_gain)
        gains[..., t] = g
        prev = g.pow(2) * gamma[..., t]
    out = _istft(spec * gains, n_fft, hop_length, xb.shape[-1])
    return out if x.dim() == 2 else out[0]


# ---------------------------------------------------------------------------------------
# Classical repair of gaps and clipping
# ---------------------------------------------------------------------------------------


def _spline_fill(row: np.ndarray, reliable: np.ndarray, kind: str) -> np.ndarray:
    from scipy.interpolate import CubicSpline

    idx = np.flatnonzero(reliable)
    if len(idx) < 4 or reliable.all():
        return row
    missing = np.flatnonzero(~reliable)
    if kind == "linear":
        filled = np.interp(missing, idx, row[idx])
    else:
        filled = CubicSpline(idx, row[idx])(missing)
    out = row.copy()
    out[missing] = filled
    return out


def _pitch_fill(
    row: np.ndarray, reliable: np.ndarray, min_period: int = 20, max_period: int = 160
) -> np.ndarray:
    """Waveform-repetition concealment: repeat the last pitch period before each gap."""
    out = row.copy()
    known = reliable.copy()
    n, w = len(row), 2 * max_period
    i = 0
    while i < n:
        if known[i]:
            i += 1
            continue
        j = i
        while j < n and not known[j]:
            j += 1
        if i < w + max_period:  # not enough history: straight line (or zeros at the start)
            left = out[i - 1] if i > 0 else 0.0
            right = out[j] if j < n else 0.0
            out[i:j] = np.linspace(left, right, j - i + 2)[1:-1]
        else:
            ref = out[i - w : i]
            best, period = -np.inf, min_period
            for p in range(min_period, max_period + 1):
                cand = out[i - w - p : i - p]
                c = float(ref @ cand) / (np.linalg.norm(cand) * np.linalg.norm(ref) + 1e-12)
                if c > best:
                    best, period = c, p
            cycle = out[i - period : i]
            fill = np.resize(cycle, j - i)
            decay = np.clip(1 - 0.2 * (np.arange(j - i) - 80) / 80, 0, 1)  # -20 % per 10 ms after 10 ms
            out[i:j] = fill * np.minimum(decay, 1)
        known[i:j] = True
        i = j
    return out


def interpolate_gaps(x: torch.Tensor, keep: torch.Tensor, *, method: str = "pitch") -> torch.Tensor:
    """Fill the samples where ``keep`` is False from the kept ones.

    Methods:
        ``"linear"``: a straight line across each gap. For gaps longer than a pitch period
            this is worse than leaving silence (the line is uncorrelated with the voice).
        ``"cubic"``: a cubic spline through all kept samples (same problem, plus overshoot).
        ``"pitch"``: waveform repetition, the idea of packet-loss concealment in telephony
            (ITU-T G.711 Appendix I): find the pitch period P (20-160 samples, 50-400 Hz) that
            best matches the 40 ms before the gap by normalised correlation, repeat the last P
            samples across the gap, fading by 20 % per 10 ms after the first 10 ms.

    Args:
        x: damaged waveform ``(time,)`` or ``(batch, time)``.
        keep: boolean mask of the same shape, True where the samples are reliable.

    Returns:
        same shape as ``x``; the kept samples are unchanged.
    """
    x = check_wave(x, name="x")
    keep = torch.as_tensor(keep, dtype=torch.bool)
    if keep.shape != x.shape:
        raise ValueError(f"keep mask shape {tuple(keep.shape)} must equal x's {tuple(x.shape)}")
    if method not in ("linear", "cubic", "pitch"):
        raise ValueError(f"method must be 'linear', 'cubic' or 'pitch', got {method!r}")
    xs, ks = x.reshape(-1, x.shape[-1]).double().numpy(), keep.reshape(-1, x.shape[-1]).numpy()
    if method == "pitch":
        out = np.stack([_pitch_fill(r, k) for r, k in zip(xs, ks, strict=True)])
    else:
        out = np.stack([_spline_fill(r, k, method) for r, k in zip(xs, ks, strict=True)])
    return torch.from_numpy(out).float().reshape(x.shape)


def declip(
    x: torch.Tensor, *, threshold: float | None = None, margin: float = 0.999, max_boost: float = 3
) -> torch.Tensor:
    """Declipping by cubic-spline interpolation through the unclipped samples.

    Samples with |x| >= margin x threshold are treated as clipped (``threshold`` defaults to
    each item's peak, which is the clip level of a clipped recording). The spline lets the
    reconstructed peaks rise above the clip level; its values are kept only where they point
    the same way as the clipped sample and exceed the clip level in magnitude.

    Returns:
        same shape as ``x``.
    """
    x = check_wave(x, name="x")
    xs = x.reshape(-1, x.shape[-1]).double().numpy()
    out = []
    for row in xs:
        level = np.abs(row).max() if threshold is None else threshold
        clipped = np.abs(row) >= margin * level
        filled = _spline_fill(row, ~clipped, "cubic")
        # a clipped sample's true value has the same sign and at least the clip level
        fixed = np.where(
            clipped, np.sign(row) * np.maximum(np.abs(filled) * (np.sign(filled) == np.sign(row)), level), row
        )
        out.append(np.clip(fixed, -max_boost * level, max_boost * level))
    return torch.from_numpy(np.stack(out)).float().reshape(x.shape)


# ---------------------------------------------------------------------------------------
# Learned restoration: STFT mask network and the SEGAN-style pair discriminator
# ---------------------------------------------------------------------------------------


@dataclass
class MaskNetConfig:
    """A small convolutional network that maps a log-magnitude STFT to a mask in [0, mask_max].

    Attributes:
        n_fft, hop_length: STFT size and step (samples at 8 kHz).
        channels: width of the hidden layers.
        layers: number of dilated 1-D conv layers over time (frequency bins are channels).
        mask_max: upper bound of the mask (above 1 lets it restore energy, e.g. for gaps).
    """

    n_fft: int = 256
    hop_length: int = 64
    channels: int = 128
    layers: int = 4
    mask_max: float = 1.0

    @classmethod
    def tiny(cls) -> MaskNetConfig:
        return cls(n_fft=64, hop_length=16, channels=8, layers=2)


class MaskNet(nn.Module):
    """Magnitude-mask estimation: |S_hat| = M(log|Y|) |Y|, noisy phase kept.

    The network sees log|Y| minus its mean over the recording (so the mask does not depend on
    the loudness) for all frequency bins of a frame as channels and uses
    dilated 1-D convolutions over time (receptive field grows as 2^layers frames), so each
    mask value can use context before and after. Works on any length.
    """

    def __init__(self, cfg: MaskNetConfig):
        super().__init__()
        self.cfg = cfg
        f = cfg.n_fft // 2 + 1
        mods: list[nn.Module] = [nn.Conv1d(f, cfg.channels, 1)]
        for i in range(cfg.layers):
            d = 2**i
            mods += [nn.GELU(), nn.Conv1d(cfg.channels, cfg.channels, 3, padding=d, dilation=d)]
        self.body = nn.Sequential(*mods)
        self.head = nn.Conv1d(cfg.channels, f, 1)

    def mask(self, mag: torch.Tensor) -> torch.Tensor:
        """Mask ``(B, F, frames)`` in [0, mask_max] from magnitudes ``(B, F, frames)``."""
        logmag = torch.log(mag + 1e-5)
        feats = logmag - logmag.mean((-2, -1), keepdim=True)  # loudness-invariant input
        h = self.body(feats)
        return self.cfg.mask_max * torch.sigmoid(self.head(F.gelu(h)))

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        """Enhanced waveform, same shape as ``noisy`` ``(time,)`` or ``(B, time)``."""
        x = check_wave(noisy)
        xb = x if x.dim() == 2 else x[None]
        spec = _stft(xb, self.cfg.n_fft, self.cfg.hop_length)  # (B, F, frames)
        m = self.mask(spec.abs())
        out = _istft(spec * m, self.cfg.n_fft, self.cfg.hop_length, xb.shape[-1])
        return out if x.dim() == 2 else out[0]


class PairDiscriminator(nn.Module):
    """SEGAN-style conditional discriminator on waveform pairs (damaged, candidate) ``(B, 2, T)``.

    Strided 1-D convs with LeakyReLU, global average pooling, one logit per item. Passing
    ``conditional=False`` drops the damaged input (then it judges the candidate alone),
    which is the unconditional variant shown failing in the notebook.
    """

    def __init__(self, channels: int = 16, layers: int = 5, conditional: bool = True):
        super().__init__()
        self.conditional = conditional
        c_in = 2 if conditional else 1
        mods: list[nn.Module] = []
        c = channels
        for _ in range(layers):
            mods += [nn.Conv1d(c_in, c, 15, stride=4, padding=7), nn.LeakyReLU(0.2)]
            c_in, c = c, min(2 * c, 128)
        self.body = nn.Sequential(*mods)
        self.out = nn.Linear(c_in, 1)

    def forward(self, damaged: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
        """Logits ``(B,)`` for ``(B, T)`` inputs."""
        x = torch.stack([damaged, candidate], 1) if self.conditional else candidate[:, None]
        return self.out(self.body(x).mean(-1))[:, 0]


# ---------------------------------------------------------------------------------------
# Training: damage functions, the L1 loop and the conditional GAN loop
# ---------------------------------------------------------------------------------------


def noise_damage(
    kinds: tuple[str, ...] = ("white", "pink", "brown"), snr_range: tuple[float, float] = (-5.0, 15.0)
):
    """A damage function ``(clean (B, T), generator) -> noisy (B, T)``: per item a noise kind
    drawn from ``kinds`` and an SNR drawn uniformly in ``snr_range`` dB."""
    for k in kinds:
        if k not in NOISE_TYPES:
            raise ValueError(f"unknown noise kind {k!r}; choose from {NOISE_TYPES}")

    def damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        out = torch.empty_like(clean)
        for i in range(clean.shape[0]):
            kind = kinds[int(torch.randint(len(kinds), (1,), generator=g))]
            snr_db = snr_range[0] + (snr_range[1] - snr_range[0]) * float(torch.rand(1, generator=g))
            noise = make_noise(kind, clean.shape[-1], seed=g)
            if clean[i].abs().max() == 0:
                out[i] = 0.01 * noise
            else:
                out[i] = add_noise(clean[i], noise, snr_db)
        return out

    return damage


def clip_damage(threshold_range: tuple[float, float] = (0.1, 0.5)):
    """Damage function: clipping at a fraction of each item's peak drawn in ``threshold_range``."""

    def damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        lo, hi = threshold_range
        th = lo + (hi - lo) * torch.rand(clean.shape[0], 1, generator=g)
        level = th * clean.abs().amax(-1, keepdim=True).clamp(min=1e-6)
        return torch.maximum(torch.minimum(clean, level), -level)

    return damage


def gap_damage(loss_rate: float = 0.2, packet_ms: float = 20.0):
    """Damage function: packets of ``packet_ms`` lost with probability ``loss_rate``."""

    def damage(clean: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        return drop_packets(clean, packet_ms=packet_ms, loss_rate=loss_rate, seed=g)[0]

    return damage


def _mag_l1(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (_stft(x, 256, 64).abs() - _stft(y, 256, 64).abs()).abs().mean()


def sisdr_loss(clean: torch.Tensor, est: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Negative SI-SDR in dB averaged over the batch, differentiable (Le Roux et al. 2019).

    Args:
        clean, est: ``(B, T)``. Items whose reference is silent contribute ~0 dB, not NaN.
    """
    ref = clean - clean.mean(-1, keepdim=True)
    est = est - est.mean(-1, keepdim=True)
    alpha = (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + eps)
    target = alpha * ref
    ratio = (target.pow(2).sum(-1) + eps) / ((target - est).pow(2).sum(-1) + eps)
    return -(10 * torch.log10(ratio)).mean()


def lsgan_losses(d_real: torch.Tensor, d_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Least-squares GAN losses as in SEGAN: L_D = ½ E(D(real) - 1)² + ½ E D(fake)²,
    L_G(adv) = ½ E (D(fake) - 1)². ``d_fake`` must be computed with the generator output
    detached for L_D and attached for L_G; here both come from the same logits, so callers
    pass the right ones."""
    d_loss = 0.5 * (d_real - 1).pow(2).mean() + 0.5 * d_fake.pow(2).mean()
    g_loss = 0.5 * (d_fake - 1).pow(2).mean()
    return d_loss, g_loss


def train_restorer(
    model: nn.Module,
    waves,
    damage,
    *,
    steps: int = 1000,
    batch_size: int = 16,
    crop: int = 8000,
    lr: float = 1e-3,
    discriminator: PairDiscriminator | None = None,
    l1_weight: float = 100.0,
    spec_weight: float = 1.0,
    sisdr_weight: float = 0.0,
    cosine: bool = False,
    seed: int = 0,
    log_every: int = 0,
) -> list[dict]:
    """Train ``model`` (damaged (B, T) -> restored (B, T)) on random crops of clean ``waves``.

    Reconstruction loss L1 = mean |G(y) - x| + ``spec_weight`` x mean | |STFT G(y)| - |STFT x| |
    (the second term, on 256-point STFT magnitudes, speeds up training of spectral masks).
    With ``sisdr_weight`` > 0 the reconstruction loss also gets ``sisdr_weight`` x (-SI-SDR in
    dB) / 100 per item (:func:`sisdr_loss`): the evaluation metric itself, which stops the mask
    from trading a few dB of SI-SDR for a smaller magnitude error.
    Without ``discriminator``: minimise ``l1_weight`` x L1.
    With it (SEGAN, Pascual et al. 2017): alternate
        D step: ½ (D(y, x) - 1)² + ½ D(y, G(y))²,
        G step: ½ (D(y, G(y)) - 1)² + l1_weight x mean |G(y) - x|,
    where y is the damaged input and x the clean target (``l1_weight=0`` gives the pure
    adversarial loss). Adam with betas (0.5, 0.9) for both, as is usual for GANs.
    ``cosine=True`` decays the learning rate(s) to zero over ``steps`` (cosine schedule).

    Returns:
        per-step dicts with ``l1`` (and ``d``, ``g_adv`` for the GAN).
    """
    from course_lib.codec import random_crops

    g = torch.Generator().manual_seed(seed)
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.5, 0.9) if discriminator else (0.9, 0.999))
    opt_d = None
    if discriminator is not None:
        discriminator.train()
        opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.9))
    scheds = []
    if cosine:
        scheds = [torch.optim.lr_scheduler.CosineAnnealingLR(o, steps) for o in (opt, opt_d) if o is not None]
    history = []
    for step in range(steps):
        clean = random_crops(waves, batch_size, crop, g)  # (B, T)
        damaged = damage(clean, g)
        out = model(damaged)
        l1 = (out - clean).abs().mean() + spec_weight * _mag_l1(clean, out)
        rec = {"l1": l1.item()}
        if sisdr_weight:
            neg = sisdr_loss(clean, out)
            l1 = l1 + sisdr_weight * neg / 100
            rec["si_sdr"] = -neg.item()
        if discriminator is None:
            loss = l1_weight * l1
        else:
            d_loss, _ = lsgan_losses(discriminator(damaged, clean), discriminator(damaged, out.detach()))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            _, g_adv = lsgan_losses(torch.ones(1), discriminator(damaged, out))
            loss = g_adv + l1_weight * l1
            rec.update(d=d_loss.item(), g_adv=g_adv.item())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        for sch in scheds:
            sch.step()
        history.append(rec)
        if log_every and step % log_every == 0:
            print(step, {k: round(v, 4) for k, v in rec.items()})
    model.eval()
    return history


# ---------------------------------------------------------------------------------------
# Checkpoints (written by benchmarks/restoration_train.py and benchmarks/codec_train.py)
# ---------------------------------------------------------------------------------------


#: SHA-256 of the committed restoration checkpoints, checked before loading.
RESTORATION_CHECKPOINTS: dict[str, str] = {
    "restoration_l1.pt": "676376590de43c9599ee71f5ad4a509f442f9971572e7cb15ebe76ed1f0488a6",
    "restoration_gan.pt": "2514511fb6b2ebff5ce6c00234fcbc3572d1e10f1a56c1324a53d91437541292",
    "restoration_declip.pt": "c8f9ac0249e9b24099eef14470993b699d2a8e442b90aed601973895ee91fa41",
    "restoration_gaps.pt": "8a4bb7f2b95e511708f2687c40066feeb055b5cdfd88a35329ac365403913d93",
}


def save_checkpoint(model: nn.Module, path: str | Path, **meta) -> str:
    """Save ``{"config": asdict(model.cfg), "state_dict": ..., "meta": meta}`` with plain types
    only (readable with ``weights_only=True``). Returns the file's SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cfg = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(model.cfg).items()}
    blob = {
        "config": cfg,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": dict(meta),
    }
    torch.save(blob, path)
    return sha256_file(path)


def load_checkpoint(path: str | Path, sha256: str | None) -> dict:
    """Check the SHA-256 (when given) and ``torch.load(..., weights_only=True)`` a checkpoint.

    Raises:
        FileNotFoundError: no file, with the command that regenerates it.
        ValueError: hash mismatch.
    """
    return load_verified(path, sha256, remedy="Regenerate it with the benchmark script named in its chapter.")


def pretrained_restorer(name: str) -> MaskNet:
    """A committed :class:`MaskNet` checkpoint by file name (see ``RESTORATION_CHECKPOINTS``),
    hash-checked and in eval mode."""
    if name not in RESTORATION_CHECKPOINTS:
        raise ValueError(f"unknown checkpoint {name!r}; available: {sorted(RESTORATION_CHECKPOINTS)}")
    digest = RESTORATION_CHECKPOINTS[name]
    blob = load_checkpoint(committed_checkpoint(name, digest), digest)
    model = MaskNet(MaskNetConfig(**blob["config"]))
    model.load_state_dict(blob["state_dict"])
    return model.eval()


# ---------------------------------------------------------------------------------------
# Small presentation helpers for the audio notebooks (no pandas needed)
# ---------------------------------------------------------------------------------------


def read_csv_rows(path: str | Path) -> list[dict]:
    """Rows of a results CSV as dicts, numbers converted to float where possible."""
    import csv

    def conv(v: str):
        try:
            return float(v)
        except ValueError:
            return {"True": True, "False": False}.get(v, v)

    with open(path, newline="") as f:
        return [{k: conv(v) for k, v in row.items()} for row in csv.DictReader(f)]


def markdown_table(rows: list[dict], columns: list[str] | None = None, digits: int = 2) -> str:
    """A markdown table of ``rows`` (dicts); floats rounded to ``digits``."""
    columns = columns or list(rows[0])

    def fmt(v) -> str:
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def pivot(rows: list[dict], index: list[str], column: str, value: str) -> list[dict]:
    """Long rows -> one row per distinct ``index`` tuple with one column per ``column`` value."""
    out: dict[tuple, dict] = {}
    for r in rows:
        key = tuple(r[i] for i in index)
        out.setdefault(key, dict(zip(index, key, strict=True)))[str(r[column])] = r[value]
    return list(out.values())

"""Audio restoration: damage models, classical baselines and learned enhancement.

Chapters: chapters/audio/, chapters/wavenet/

**Damage** of 8 kHz speech: synthetic noise at an exact SNR, clipping, dropped packets, band
limiting. **Classical repairs**: power spectral subtraction {cite}`boll1979suppression` with the
over-subtraction and floor of {cite}`berouti1979enhancement` and a Wiener filter with the
decision-directed a-priori SNR {cite}`ephraim1984speech` (noise spectrum from the quietest frames
of the input, no clean reference; the WaveNet chapter compares against them too); gap filling by
lines, splines or pitch-period repetition; declipping by a cubic spline or by analysis-sparse
SPADE {cite}`kitic2015sparsity`. **Learned restoration**:
an STFT magnitude-mask network (:class:`MaskNet`) trained with a reconstruction loss, or as the
conditional GAN of SEGAN {cite}`pascual2017segan`, whose discriminator judges (damaged,
candidate) pairs.

Shapes: waveforms ``(time,)`` or ``(batch, time)``; spectrograms ``(batch, freq, frames)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.interpolate import CubicSpline
from scipy.signal import butter, filtfilt, iirnotch, resample_poly

from course_lib import audio, checkpoints
from course_lib.audio import SAMPLE_RATE
from course_lib.diagrams import Diagram, shape
from course_lib.metrics import si_sdr
from course_lib.utils import History, make_generator

Damage = Callable[[torch.Tensor, torch.Generator], torch.Tensor]


# --- Damage models ----------------------------------------------------------------------------
def add_noise_at_snr(
    clean: torch.Tensor, snr_db: float, *, kind: str = "white", seed: int | torch.Generator = 0
) -> torch.Tensor:
    """Mix synthetic noise (:func:`course_lib.audio.make_noise`) into ``clean`` at exactly ``snr_db`` dB.

    Args:
        clean: ``(time,)`` or ``(batch, time)`` at 8 kHz.
        snr_db: 10 log10(Σ clean² / Σ (g noise)²), reached per item (:func:`course_lib.audio.add_noise`).
        kind: one of :data:`course_lib.audio.NOISE_TYPES`.
        seed: int or generator for the noise.

    Returns:
        the noisy waveform, same shape (not clipped: values may exceed [-1, 1] at low SNR).
    """
    clean = audio.check_wave(clean, name="clean")
    batch = None if clean.dim() == 1 else clean.shape[0]
    return audio.add_noise(clean, audio.make_noise(kind, clean.shape[-1], batch=batch, seed=seed), snr_db)


def clip(x: torch.Tensor, *, threshold: float | torch.Tensor = 0.25) -> torch.Tensor:
    """Hard clipping at ±threshold x each item's peak.

    Args:
        x: ``(time,)`` or ``(batch, time)``.
        threshold: the clip level relative to the peak, > 0 (or ``(batch, 1)``, one per item).

    Returns:
        same shape as ``x``.
    """
    x = audio.check_wave(x, name="x")
    if (torch.as_tensor(threshold) <= 0).any():
        raise ValueError(f"threshold must be > 0, got {threshold}")
    level = threshold * x.abs().amax(-1, keepdim=True)
    return torch.maximum(torch.minimum(x, level), -level)


def drop_packets(
    x: torch.Tensor, *, packet_ms: float = 20.0, loss_rate: float = 0.1, seed: int | torch.Generator = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero out packets lost at random, as in lossy VoIP transport.

    Args:
        x: ``(time,)`` or ``(batch, time)``.
        packet_ms: packet length in milliseconds.
        loss_rate: each packet is lost independently with this probability, in [0, 1).
        seed: int or generator.

    Returns:
        ``(damaged, keep)``: the damaged waveform and the boolean mask of the samples that
        arrived (True = kept), which a receiver knows; both of ``x``'s shape.
    """
    x = audio.check_wave(x, name="x")
    if not 0 <= loss_rate < 1:
        raise ValueError(f"loss_rate must be in [0, 1), got {loss_rate}")
    p = max(1, round(packet_ms * SAMPLE_RATE / 1000))
    lost = torch.rand(*x.shape[:-1], math.ceil(x.shape[-1] / p), generator=make_generator(seed)) < loss_rate
    keep = (~lost).repeat_interleave(p, -1)[..., : x.shape[-1]]
    return x * keep, keep


def band_limit(x: torch.Tensor, *, cutoff_hz: float = 1000.0) -> torch.Tensor:
    """Brick-wall low-pass in the frequency domain (a telephone-like band limit).

    Args:
        x: ``(time,)`` or ``(batch, time)`` at 8 kHz.
        cutoff_hz: everything above it is removed; in (0, 4000).

    Returns:
        same shape as ``x``.
    """
    x = audio.check_wave(x, name="x")
    if not 0 < cutoff_hz < SAMPLE_RATE / 2:
        raise ValueError(f"cutoff_hz must be in (0, {SAMPLE_RATE // 2}), got {cutoff_hz}")
    keep = torch.fft.rfftfreq(x.shape[-1], 1 / SAMPLE_RATE) <= cutoff_hz
    return torch.fft.irfft(torch.fft.rfft(x) * keep, x.shape[-1])


# --- Bandwidth extension: a 4 kHz recording back to 8 kHz --------------------------------------
def to_half_rate(x: torch.Tensor) -> torch.Tensor:
    """Resample 8 kHz audio to 4 kHz (polyphase anti-alias filter): only 0-2 kHz survives.

    Args:
        x: ``(time,)`` or ``(batch, time)`` at 8 kHz.

    Returns:
        ``(..., ceil(time / 2))`` at 4 kHz.
    """
    x = audio.check_wave(x, name="x")
    return torch.from_numpy(resample_poly(x.double().numpy(), 1, 2, axis=-1)).float()


def _high_pass(x: torch.Tensor, cutoff_hz: float) -> torch.Tensor:
    keep = torch.fft.rfftfreq(x.shape[-1], 1 / SAMPLE_RATE) > cutoff_hz
    return torch.fft.irfft(torch.fft.rfft(x) * keep, x.shape[-1])


def fold_spectrum(x4: torch.Tensor, *, gain: float = 1.0, length: int | None = None) -> torch.Tensor:
    """Spectral folding: a 4 kHz recording at 8 kHz with its 0-2 kHz band mirrored into 2-4 kHz.

    Zero insertion u[2n] = 2 x4[n], u[2n + 1] = 0 makes the spectrum periodic: U(f) = X4(f) on 0-2
    kHz and X4(4 kHz - f) on 2-4 kHz. The output is the interpolated low band (``resample_poly``,
    which removes that image) plus ``gain`` x the image alone (U high-passed at 2 kHz).
    ``gain=0`` gives the plain band-limited upsampling.

    Args:
        x4: ``(time4,)`` or ``(batch, time4)`` at 4 kHz (e.g. :func:`to_half_rate`).
        gain: level of the folded band, >= 0.
        length: output samples (default 2 x time4).

    Returns:
        ``(..., length)`` at 8 kHz.
    """
    x4 = audio.check_wave(x4, name="x4")  # shape and values only: its rate is 4 kHz
    if gain < 0:
        raise ValueError(f"gain must be >= 0, got {gain}")
    n = 2 * x4.shape[-1] if length is None else length
    low = torch.from_numpy(resample_poly(x4.double().numpy(), 2, 1, axis=-1)).float()
    u = torch.zeros(*x4.shape[:-1], 2 * x4.shape[-1])
    u[..., ::2] = 2 * x4  # (..., 2 time4): spectrum 0-2 kHz plus its mirror image
    out = low + gain * _high_pass(u, SAMPLE_RATE / 4)
    return F.pad(out, (0, max(0, n - out.shape[-1])))[..., :n]


def band_lsd(
    ref: torch.Tensor,
    est: torch.Tensor,
    *,
    low_hz: float = 2000.0,
    high_hz: float = 4000.0,
    floor_db: float = 80.0,
) -> torch.Tensor:
    """Log-spectral distance (dB) on the STFT bins between ``low_hz`` and ``high_hz`` only.

    LSD = mean_t sqrt(mean_f (10 log10 P_ref - 10 log10 P_est)²) with a 256-point STFT (hop 80),
    both powers floored at ``floor_db`` below the reference's largest bin, so that an empty band
    costs a finite amount.

    Args:
        ref, est: ``(time,)`` or ``(batch, time)`` at 8 kHz.
        low_hz, high_hz: the band.
        floor_db: dynamic range kept.

    Returns:
        ``()`` or ``(batch,)`` in dB.
    """
    ref, est = audio.check_wave(ref, name="ref"), audio.check_wave(est, name="est")
    if ref.shape != est.shape:
        raise ValueError(f"ref {tuple(ref.shape)} and est {tuple(est.shape)} must have one shape")
    p_ref, p_est = (audio.stft(w, 256, 80).abs().pow(2) for w in (ref, est))  # (..., F, frames)
    f = torch.fft.rfftfreq(256, 1 / SAMPLE_RATE)
    band = (f >= low_hz) & (f <= high_hz)
    floor = p_ref.amax((-2, -1), keepdim=True) * 10 ** (-floor_db / 10)
    diff = 10 * torch.log10(torch.maximum(p_ref, floor)) - 10 * torch.log10(torch.maximum(p_est, floor))
    return diff[..., band, :].pow(2).mean(-2).sqrt().mean(-1)


# --- Noise made from real speech, and mains hum's classical remedy ----------------------------
def long_term_spectrum(waves: Sequence[torch.Tensor], n_fft: int = 256) -> torch.Tensor:
    """The long-term average power spectrum of recordings (Hann frames, hop n_fft / 4).

    Args:
        waves, n_fft: 1-D recordings ``(time_i,)``; the frame size.

    Returns:
        ``(n_fft // 2 + 1,)``, the mean power per frequency bin over every frame of every recording.
    """
    frames = [audio.stft(audio.check_wave(w, batch=False), n_fft, n_fft // 4).abs().pow(2) for w in waves]
    if not frames:
        raise ValueError("need at least one recording")
    return torch.cat(frames, dim=-1).mean(-1)


def speech_shaped_noise(
    spectrum: torch.Tensor, length: int, *, batch: int | None = None, seed: int | torch.Generator = 0
) -> torch.Tensor:
    """Unit-RMS Gaussian noise with the power spectrum ``spectrum`` (say, :func:`long_term_spectrum`).

    White noise is filtered in the frequency domain by sqrt(spectrum) interpolated to its FFT bins.

    Args:
        spectrum: ``(bins,)`` power from 0 Hz to Nyquist.
        length, batch, seed: samples per item; items (None: one ``(length,)`` wave); int or generator.

    Returns:
        ``(length,)`` or ``(batch, length)``.
    """
    g, b = make_generator(seed), 1 if batch is None else batch
    white = torch.randn(b, length, generator=g)
    grid = torch.linspace(0, len(spectrum) - 1, length // 2 + 1)
    lo = grid.floor().long().clamp(max=len(spectrum) - 2)
    amp = torch.lerp(spectrum[lo], spectrum[lo + 1], grid - lo).clamp(min=0).sqrt()
    out = torch.fft.irfft(torch.fft.rfft(white) * amp, length)
    out = out / out.pow(2).mean(-1, keepdim=True).sqrt().clamp(min=1e-12)
    return out[0] if batch is None else out


def babble_noise(
    pool: Sequence[torch.Tensor], length: int, *, talkers: int = 4, seed: int | torch.Generator = 0
) -> torch.Tensor:
    """Babble from real recordings: several voices at equal RMS, summed.

    Each talker is recordings of ``pool`` drawn at random and laid end to end (silences trimmed),
    from a random offset. Build the pool from recordings that never meet the evaluation (say, the
    training split for training, other speakers' test recordings for testing).

    Args:
        pool: 1-D recordings ``(time_i,)``, at least ``talkers`` of them.
        length, talkers, seed: samples; voices; int or generator.

    Returns:
        ``(length,)`` with unit RMS.
    """
    if len(pool) < talkers:
        raise ValueError(f"need at least {talkers} recordings in the pool, got {len(pool)}")
    g, out = make_generator(seed), torch.zeros(length)
    for _ in range(talkers):
        parts, n = [], 0
        while n < length + SAMPLE_RATE:
            w = audio.trim_silence(pool[int(torch.randint(len(pool), (), generator=g))])
            parts.append(w / w.pow(2).mean().sqrt().clamp(min=1e-8))
            n += len(w)
        voice = torch.cat(parts)
        start = int(torch.randint(SAMPLE_RATE, (), generator=g))
        out += voice[start : start + length]
    return out / out.pow(2).mean().sqrt().clamp(min=1e-12)


def hum_filter(
    x: torch.Tensor,
    *,
    mains_hz: float = 50.0,
    harmonics: int = 20,
    width_hz: float = 3.0,
    drift: float = 0.01,
    highpass_hz: float = 0.0,
) -> torch.Tensor:
    """The classical hum remover: a notch at each mains harmonic, zero-phase, after an optional high-pass.

    Notches at k f0 (k = 1..harmonics, below Nyquist) filtered forwards and backwards
    (``filtfilt``), after a 4th-order Butterworth high-pass when ``highpass_hz`` > 0.

    Args:
        x: ``(time,)`` or ``(batch, time)`` at 8 kHz.
        mains_hz, harmonics: the mains frequency and how many harmonics to notch.
        width_hz, drift: the k-th notch is width_hz + drift x k x mains_hz wide (-3 dB), room for a
            mains frequency that drifts by ``drift`` (relative) without removing the speech between.
        highpass_hz: cut-off of the high-pass (0: none).

    Returns:
        same shape as ``x``.
    """
    x = audio.check_wave(x, name="x")
    y = x.double().numpy()
    if highpass_hz > 0:
        y = filtfilt(*butter(4, highpass_hz, "highpass", fs=SAMPLE_RATE), y, axis=-1)
    for k in range(1, harmonics + 1):
        if k * mains_hz < SAMPLE_RATE / 2 - 1:
            f = k * mains_hz
            y = filtfilt(*iirnotch(f, f / (width_hz + drift * f), fs=SAMPLE_RATE), y, axis=-1)
    return torch.from_numpy(np.ascontiguousarray(y)).float()


def consistent_declip(
    x: torch.Tensor, estimate: torch.Tensor, *, threshold: float | None = None
) -> torch.Tensor:
    """Project an estimate onto what a clipped recording proves about the original.

    The unclipped samples of ``x`` exactly; at clipped samples a value of the clipped sample's
    sign at least as large as the clip level.

    Args:
        x, estimate: the clipped waveform ``(time,)`` or ``(batch, time)``; a restoration of it.
        threshold: the clip level (default: each item's peak |x|; samples at >= 0.999 of it count as clipped).

    Returns:
        the projected estimate, same shape.
    """
    x, estimate = audio.check_wave(x, name="x"), audio.check_wave(estimate, name="estimate")
    level = x.abs().amax(-1, keepdim=True) if threshold is None else torch.as_tensor(float(threshold))
    clipped = x.abs() >= 0.999 * level
    grown = torch.sign(x) * torch.maximum(estimate * torch.sign(x), level.expand_as(x))
    return torch.where(clipped, grown, x)


# --- Classical denoising: a gain on the STFT -------------------------------------------------
def _filter(noisy: torch.Tensor, sample_rate: int, gain_fn: Callable) -> torch.Tensor:
    """256-point STFT (hop 64: 32 and 8 ms), gain_fn(|Y|² (B, F, frames), N (B, F, 1)), inverse STFT.

    The noisy phase is kept. The noise power N is averaged over the quietest 10 % of the frames
    (at least 2), a simple minimum-statistics idea: speech is intermittent, so they are mostly noise.
    """
    x = audio.check_wave(noisy, sample_rate, name="noisy")
    xb = x if x.dim() == 2 else x[None]
    spec = audio.stft(xb, 256, 64)  # (B, F, frames)
    power = spec.abs().pow(2)
    k = min(power.shape[-1], max(2, math.ceil(0.1 * power.shape[-1])))
    idx = power.sum(-2).topk(k, dim=-1, largest=False).indices  # (B, k) quietest frames
    n_pow = torch.gather(power, -1, idx[:, None, :].expand(-1, power.shape[1], -1)).mean(-1, keepdim=True)
    out = audio.istft(spec * gain_fn(power, n_pow), 256, 64, xb.shape[-1])
    return out if x.dim() == 2 else out[0]


def spectral_subtraction(
    noisy: torch.Tensor, *, oversubtraction: float = 2.0, floor: float = 0.02, sample_rate: int = SAMPLE_RATE
) -> torch.Tensor:
    """Power spectral subtraction, keeping the noisy phase: |S|² = max(|Y|² - a N, b² |Y|²).

    N is the noise power per frequency, estimated from the input itself (see the module).

    Args:
        noisy: ``(time,)`` or ``(batch, time)`` at 8 kHz.
        oversubtraction: a > 0.
        floor: b in [0, 1).
        sample_rate: must be 8 kHz (the STFT sizes are set for it).

    Returns:
        the enhanced waveform, same shape as ``noisy``.
    """
    if oversubtraction <= 0 or not 0 <= floor < 1:
        raise ValueError(f"need oversubtraction > 0 and 0 <= floor < 1, got {oversubtraction}, {floor}")

    def gain(power: torch.Tensor, n_pow: torch.Tensor) -> torch.Tensor:
        clean_pow = torch.maximum(power - oversubtraction * n_pow, floor**2 * power)
        return (clean_pow / power.clamp(min=1e-20)).sqrt()

    return _filter(noisy, sample_rate, gain)


def wiener_filter(
    noisy: torch.Tensor, *, smoothing: float = 0.98, min_gain: float = 0.05, sample_rate: int = SAMPLE_RATE
) -> torch.Tensor:
    """Wiener filter with the decision-directed a-priori SNR, keeping the noisy phase.

    Per frame t and frequency, with noise power N and posterior SNR γ_t = |Y_t|² / N:
    ξ_t = α G²_{t-1} γ_{t-1} + (1 - α) max(γ_t - 1, 0) and G_t = max(ξ_t / (1 + ξ_t), g_min).
    α = ``smoothing`` trades residual "musical noise" (small α) for smearing (α near 1).

    Args:
        noisy: ``(time,)`` or ``(batch, time)`` at 8 kHz.
        smoothing: α in [0, 1).
        min_gain: g_min in [0, 1].
        sample_rate: must be 8 kHz.

    Returns:
        the enhanced waveform, same shape as ``noisy``.
    """
    if not 0 <= smoothing < 1 or not 0 <= min_gain <= 1:
        raise ValueError(f"need 0 <= smoothing < 1 and 0 <= min_gain <= 1, got {smoothing}, {min_gain}")

    def gain(power: torch.Tensor, n_pow: torch.Tensor) -> torch.Tensor:
        gamma = power / n_pow.clamp(min=1e-20)  # posterior SNR (B, F, frames)
        gains, prev = torch.empty_like(gamma), torch.ones_like(gamma[..., 0])  # prev: G² γ of frame t - 1
        for t in range(gamma.shape[-1]):
            xi = smoothing * prev + (1 - smoothing) * (gamma[..., t] - 1).clamp(min=0)
            gains[..., t] = (xi / (1 + xi)).clamp(min=min_gain)
            prev = gains[..., t].pow(2) * gamma[..., t]
        return gains

    return _filter(noisy, sample_rate, gain)


# --- Classical repair of gaps and clipping -----------------------------------------------------
def _spline_fill(row: np.ndarray, reliable: np.ndarray, kind: str) -> np.ndarray:
    idx, missing = np.flatnonzero(reliable), np.flatnonzero(~reliable)
    if len(idx) < 4 or not len(missing):
        return row
    fill = CubicSpline(idx, row[idx]) if kind == "cubic" else lambda m: np.interp(m, idx, row[idx])
    out = row.copy()
    out[missing] = fill(missing)
    return out


def _pitch_fill(row: np.ndarray, reliable: np.ndarray, min_p: int = 20, max_p: int = 160) -> np.ndarray:
    """Waveform-repetition concealment: repeat the last pitch period before each gap."""
    out, n, w = row.copy(), len(row), 2 * max_p
    starts = np.flatnonzero(~reliable & np.r_[True, reliable[:-1]])  # first sample of each gap
    for i in starts:
        j = i + np.argmax(np.r_[reliable[i:], True])  # end of the gap
        if i < w + max_p:  # not enough history: a straight line (zeros at the edges)
            left, right = (out[i - 1] if i > 0 else 0.0), (out[j] if j < n else 0.0)
            out[i:j] = np.linspace(left, right, j - i + 2)[1:-1]
            continue
        ref = out[i - w : i]  # the 40 ms before the gap, compared with the same span P samples earlier
        cands = [out[i - w - p : i - p] for p in range(min_p, max_p + 1)]
        corr = [ref @ c / (np.linalg.norm(c) * np.linalg.norm(ref) + 1e-12) for c in cands]
        period = min_p + int(np.argmax(corr))
        decay = np.clip(1 - 0.2 * (np.arange(j - i) - 80) / 80, 0, 1)  # -20 % per 10 ms after 10 ms
        out[i:j] = np.resize(out[i - period : i], j - i) * decay
    return out


def interpolate_gaps(x: torch.Tensor, keep: torch.Tensor, *, method: str = "pitch") -> torch.Tensor:
    """Fill the samples where ``keep`` is False from the kept ones.

    ``"linear"``: a straight line across each gap; ``"cubic"``: a cubic spline through all kept
    samples (for gaps longer than a pitch period both are worse than silence: they are
    uncorrelated with the voice); ``"pitch"``: waveform repetition, the idea of telephony's
    packet-loss concealment (ITU-T G.711 Appendix I): find the pitch period P (20-160 samples,
    50-400 Hz) that best matches the 40 ms before the gap by normalised correlation, repeat the
    last P samples across the gap, fading by 20 % per 10 ms after the first 10 ms.

    Args:
        x: damaged waveform ``(time,)`` or ``(batch, time)``.
        keep: boolean mask of the same shape, True where the samples are reliable.
        method: ``"linear"``, ``"cubic"`` or ``"pitch"``.

    Returns:
        same shape as ``x``; the kept samples are unchanged.
    """
    x = audio.check_wave(x, name="x")
    keep = torch.as_tensor(keep, dtype=torch.bool)
    if keep.shape != x.shape:
        raise ValueError(f"keep mask shape {tuple(keep.shape)} must equal x's {tuple(x.shape)}")
    if method not in ("linear", "cubic", "pitch"):
        raise ValueError(f"method must be 'linear', 'cubic' or 'pitch', got {method!r}")
    rows, keeps = x.reshape(-1, x.shape[-1]).double().numpy(), keep.reshape(-1, x.shape[-1]).numpy()
    fill = _pitch_fill if method == "pitch" else lambda r, k: _spline_fill(r, k, method)
    out = [fill(r, k) for r, k in zip(rows, keeps, strict=True)]
    return torch.from_numpy(np.stack(out)).float().reshape(x.shape)


def declip(x: torch.Tensor, *, threshold: float | None = None, max_boost: float = 3) -> torch.Tensor:
    """Declipping by a cubic spline through the unclipped samples.

    Samples with |x| >= 0.999 threshold count as clipped. The spline lets the peaks rise
    above the clip level; its values are kept only where they have the clipped sample's sign
    and exceed the clip level, and are capped at ``max_boost`` x the level.

    Args:
        x: ``(time,)`` or ``(batch, time)``.
        threshold: the clip level (default: each item's peak, the level of a clipped recording).
        max_boost: cap of the reconstructed peaks, in multiples of the level.

    Returns:
        same shape as ``x``.
    """
    x = audio.check_wave(x, name="x")
    out = []
    for row in x.reshape(-1, x.shape[-1]).double().numpy():
        level = np.abs(row).max() if threshold is None else threshold
        clipped = np.abs(row) >= 0.999 * level
        filled = _spline_fill(row, ~clipped, "cubic")
        grown = np.sign(row) * np.maximum(np.abs(filled) * (np.sign(filled) == np.sign(row)), level)
        out.append(np.clip(np.where(clipped, grown, row), -max_boost * level, max_boost * level))
    return torch.from_numpy(np.stack(out)).float().reshape(x.shape)


def sparse_declip(
    x: torch.Tensor,
    *,
    threshold: float | None = None,
    frame: int = 256,
    hop: int = 64,
    redundancy: int = 2,
    eps: float = 0.1,
    max_iter: int = 1000,
) -> torch.Tensor:
    """Declipping by analysis-sparse SPADE (A-SPADE) {cite}`kitic2015sparsity`.

    Each frame of ``frame`` samples (hop ``hop``) is restored on its own: find the signal whose
    DFT :math:`A` (``redundancy`` x oversampled) is the sparsest among the
    signals *consistent* with the clipped frame (the unclipped samples exactly; the clipped ones
    at least the clip level, with their sign). ADMM on that non-convex problem, one iteration:

    .. math::
        \\bar z = H_k(A\\hat x + u), \\quad \\hat x = \\Pi_\\Gamma\\big(A^H(\\bar z - u)\\big),
        \\quad u \\leftarrow u + A\\hat x - \\bar z,

    where :math:`H_k` keeps the k largest coefficients, :math:`\\Pi_\\Gamma` is the projection on
    the consistent set, and k grows by one per iteration until
    :math:`\\|A\\hat x - \\bar z\\|_2 \\le` ``eps`` (each recording scaled so the clip level is 1).
    The restored frames are overlap-added under a Hann window and the result projected on the
    consistent set once more. Conventions: :math:`A` is the orthonormal real FFT (``rfft``) of the
    zero-padded frame, one coefficient per frequency from 0 to Nyquist, so k counts frequencies
    (each interior one a conjugate pair of the full DFT: about 2k full-DFT coefficients), and the
    residual norm is taken over that half spectrum (about :math:`1/\\sqrt 2` of the full-DFT norm);
    ``irfft`` is the adjoint on conjugate-symmetric spectra, so the updates are exact.

    Args:
        x: clipped waveform ``(time,)`` or ``(batch, time)``.
        threshold: the clip level (default: each item's peak, the level of a clipped recording).
        frame, hop: frame length and step in samples (defaults: 32 and 8 ms at 8 kHz).
        redundancy: DFT size / frame length (an integer >= 1).
        eps: stopping tolerance on the ADMM residual (clip level = 1).
        max_iter: cap on iterations (k never exceeds the number of DFT bins anyway).

    Returns:
        same shape as ``x``: unclipped samples unchanged, clipped ones at or beyond the level.
    """
    x = audio.check_wave(x, name="x")
    if frame < 8 or not 0 < hop <= frame or frame % hop:
        raise ValueError(f"need frame >= 8 and 0 < hop <= frame with frame % hop == 0, got {frame=}, {hop=}")
    if int(redundancy) != redundancy or redundancy < 1:
        raise ValueError(f"redundancy must be an integer >= 1, got {redundancy}")
    rows = x.reshape(-1, x.shape[-1])
    if threshold is None:
        level = rows.abs().amax(-1, keepdim=True)  # (B, 1)
    else:
        level = torch.full((len(rows), 1), float(threshold))
    if (level <= 0).any():
        raise ValueError("cannot declip an all-zero recording (no clip level)")
    n, m = rows.shape[-1], frame * int(redundancy)
    right = frame + (-(n + frame) % hop)  # whole frames cover every sample
    y = F.pad(rows / level, (frame, right))  # clip level 1; (B, n_padded)
    frames = y.unfold(-1, frame, hop)  # (B, frames, frame)
    b, nf, _ = frames.shape
    frames = frames.reshape(b * nf, frame)
    hi, lo = frames >= 0.999, frames <= -0.999

    def analysis(v: torch.Tensor) -> torch.Tensor:  # A: (N, frame) -> (N, m // 2 + 1)
        return torch.fft.rfft(v, n=m, norm="ortho")

    def synthesis(z: torch.Tensor) -> torch.Tensor:  # A^H: back to (N, frame)
        return torch.fft.irfft(z, n=m, norm="ortho")[:, :frame]

    def project(v: torch.Tensor) -> torch.Tensor:  # onto the consistent set Γ
        return torch.where(hi, v.clamp(min=1.0), torch.where(lo, v.clamp(max=-1.0), frames))

    est = frames.clone()
    u = torch.zeros(b * nf, m // 2 + 1, dtype=torch.complex64)
    done = ~(hi | lo).any(-1)  # frames without clipped samples are already restored
    for k in range(1, max_iter + 1):
        if done.all():
            break
        v = analysis(est) + u
        mag = v.abs()
        kth = mag.topk(min(k, mag.shape[-1]), -1).values[:, -1:]  # the k-th largest magnitude
        z = torch.where(mag >= kth, v, torch.zeros_like(v))  # H_k
        new = project(synthesis(z - u))
        residual = analysis(new) - z
        est = torch.where(done[:, None], est, new)
        u = torch.where(done[:, None], u, u + residual)
        done = done | (residual.abs().pow(2).sum(-1).sqrt() <= eps)
    window = torch.hann_window(frame, periodic=True)
    weighted = (est.reshape(b, nf, frame) * window).transpose(1, 2)  # (B, frame, frames)
    length = y.shape[-1]
    total = F.fold(weighted, (1, length), (1, frame), stride=(1, hop)).reshape(b, length)
    norm = F.fold(window.expand(b, nf, frame).transpose(1, 2), (1, length), (1, frame), stride=(1, hop))
    out = (total / norm.reshape(b, length).clamp_min(1e-8))[:, frame : frame + n] * level
    return consistent_declip(rows, out, threshold=threshold).reshape(x.shape)


# --- Learned restoration ---------------------------------------------------------------------
@dataclass
class MaskNetConfig:
    """A small convolutional network mapping a log-magnitude STFT to a mask in [0, mask_max].

    Attributes:
        n_fft, hop_length: STFT size and step (samples at 8 kHz).
        channels: width of the hidden layers.
        layers: dilated 1-D conv layers over time (frequency bins are channels).
        mask_max: upper bound of the mask (above 1 lets it restore energy, e.g. in gaps).
    """

    n_fft: int = 256
    hop_length: int = 64
    channels: int = 128
    layers: int = 4
    mask_max: float = 1.0


class MaskNet(nn.Module):
    """Magnitude-mask estimation: |S_hat| = M(log|Y|) |Y|, noisy phase kept.

    The network sees log|Y| minus its mean over the recording (so the mask does not depend on
    loudness), all frequency bins of a frame as channels, through dilated 1-D convolutions
    over time (receptive field 2^layers frames): each mask value uses context before and after.

    Args:
        cfg: the architecture.
    """

    def __init__(self, cfg: MaskNetConfig):
        super().__init__()
        self.cfg = cfg
        f = cfg.n_fft // 2 + 1
        mods: list[nn.Module] = [nn.Conv1d(f, cfg.channels, 1)]
        for d in (2**i for i in range(cfg.layers)):
            mods += [nn.GELU(), nn.Conv1d(cfg.channels, cfg.channels, 3, padding=d, dilation=d)]
        self.body = nn.Sequential(*mods)
        self.head = nn.Conv1d(cfg.channels, f, 1)

    def mask(self, mag: torch.Tensor) -> torch.Tensor:
        """Mask ``(B, F, frames)`` in [0, mask_max] from magnitudes ``(B, F, frames)``."""
        logmag = torch.log(mag + 1e-5)
        h = self.body(logmag - logmag.mean((-2, -1), keepdim=True))
        return self.cfg.mask_max * torch.sigmoid(self.head(F.gelu(h)))

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        """Enhanced waveform, same shape as ``noisy`` ``(time,)`` or ``(B, time)``."""
        x = audio.check_wave(noisy, name="noisy")
        xb = x if x.dim() == 2 else x[None]
        spec = audio.stft(xb, self.cfg.n_fft, self.cfg.hop_length)  # (B, F, frames)
        out = audio.istft(spec * self.mask(spec.abs()), self.cfg.n_fft, self.cfg.hop_length, xb.shape[-1])
        return out if x.dim() == 2 else out[0]


class PairDiscriminator(nn.Module):
    """SEGAN-style conditional discriminator on waveform pairs (damaged, candidate).

    Strided 1-D convs with LeakyReLU, global average pooling, one logit per item.

    Args:
        channels: width of the first layer (doubling up to 128).
        layers: number of stride-4 conv layers.
        conditional: False drops the damaged input, so it judges the candidate alone (the
            unconditional variant, shown failing in the chapter).
    """

    def __init__(self, channels: int = 16, layers: int = 5, conditional: bool = True):
        super().__init__()
        self.conditional = conditional
        widths = [2 if conditional else 1] + [min(channels * 2**i, 128) for i in range(layers)]
        pairs = zip(widths[:-1], widths[1:], strict=True)
        convs = [m for a, b in pairs for m in (nn.Conv1d(a, b, 15, stride=4, padding=7), nn.LeakyReLU(0.2))]
        self.body = nn.Sequential(*convs)
        self.out = nn.Linear(widths[-1], 1)

    def forward(self, damaged: torch.Tensor, candidate: torch.Tensor) -> torch.Tensor:
        """Logits ``(B,)`` for ``(B, T)`` inputs."""
        x = torch.stack([damaged, candidate], 1) if self.conditional else candidate[:, None]
        return self.out(self.body(x).mean(-1))[:, 0]


@dataclass
class RestorerTrainConfig:
    """How :func:`train_restorer` trains (defaults: the recipe of the committed denoisers).

    Attributes:
        damage: ``(clean (B, T), generator) -> damaged (B, T)``, the damage to undo, drawn with
            the generator (the benchmark's: noise of random kinds and SNRs, clipping, lost packets).
        seed: seeds the crops and the damage.
        steps: optimiser steps.
        batch_size: crops per step.
        crop: samples per crop (one second).
        lr: Adam learning rate.
        spec_weight: weight of the 256-point STFT-magnitude L1 in the reconstruction loss.
        sisdr_weight: weight of -SI-SDR (dB) / 100 in the reconstruction loss (0: off).
        l1_weight: λ, the weight of the reconstruction loss.
        cosine: decay the learning rate(s) to zero over ``steps`` (cosine schedule).
    """

    damage: Damage
    seed: int = 0
    steps: int = 3000
    batch_size: int = 16
    crop: int = SAMPLE_RATE
    lr: float = 2e-3
    spec_weight: float = 0.1
    sisdr_weight: float = 1.0
    l1_weight: float = 100.0
    cosine: bool = True


def _lsq(logits: torch.Tensor, target: float) -> torch.Tensor:
    return 0.5 * (logits - target).pow(2).mean()


def train_restorer(
    model: nn.Module | tuple[nn.Module, PairDiscriminator],
    data: Sequence[torch.Tensor],
    config: RestorerTrainConfig,
) -> History:
    """Train a restorer G (damaged y (B, T) -> clean x (B, T)) on damaged random crops of ``data``.

    L_rec = mean |G(y) - x| + spec_weight mean ||STFT G(y)| - |STFT x|| - sisdr_weight SI-SDR / 100.
    One network minimises λ L_rec (Adam); a ``(G, D)`` pair trains the SEGAN way (Adam, betas
    (0.5, 0.9)), alternating D: ½ (D(y, x) - 1)² + ½ D(y, G(y))² and G: ½ (D(y, G(y)) - 1)² + λ L_rec.
    Runs on G's device, leaves the models in eval mode, and does not touch the global RNG.

    Args:
        model: the restorer, or ``(restorer, discriminator)``.
        data: clean 1-D recordings ``(time_i,)`` at 8 kHz.
        config: the recipe, including the damage.

    Returns:
        the history: losses ``rec`` and ``si_sdr`` (dB), and ``d``, ``g`` (adversarial) for a GAN.
    """
    net, disc = model if isinstance(model, tuple) else (model, None)
    nets = [m for m in (net, disc) if m is not None]
    betas = (0.9, 0.999) if disc is None else (0.5, 0.9)
    opts = [torch.optim.Adam(m.parameters(), lr=config.lr, betas=betas) for m in nets]
    scheds = [torch.optim.lr_scheduler.CosineAnnealingLR(o, config.steps) for o in opts if config.cosine]
    device, g, history = next(net.parameters()).device, make_generator(config.seed), History()
    for m in nets:
        m.train()
    with history.timed(), torch.enable_grad():  # also when called under no_grad
        for _ in range(config.steps):
            clean = audio.random_crops(data, config.batch_size, config.crop, g)
            damaged, clean = config.damage(clean, g).to(device), clean.to(device)
            out = net(damaged)
            score = si_sdr(clean, out).mean()
            magnitude_l1 = (audio.stft(out, 256, 64).abs() - audio.stft(clean, 256, 64).abs()).abs().mean()
            rec = (out - clean).abs().mean() + config.spec_weight * magnitude_l1
            rec = rec - config.sisdr_weight * score / 100
            loss = config.l1_weight * rec
            if disc is not None:  # least squares: D pushes real pairs to 1 and fakes to 0, G its fakes to 1
                d_loss = _lsq(disc(damaged, clean), 1) + _lsq(disc(damaged, out.detach()), 0)
                opts[1].zero_grad()
                d_loss.backward()
                opts[1].step()
                g_adv = _lsq(disc(damaged, out), 1)
                loss = loss + g_adv
                history.add(d=d_loss.item(), g=g_adv.item())
            opts[0].zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opts[0].step()
            for sched in scheds:
                sched.step()
            history.add(rec=rec.item(), si_sdr=score.item())
    for m in nets:
        m.eval()
    return history


def train_band_extender(
    model: MaskNet,
    data: Sequence[torch.Tensor],
    *,
    steps: int = 300,
    batch_size: int = 16,
    crop: int = 4000,
    lr: float = 3e-3,
    fold_gain: float = 1.0,
    seed: int = 0,
) -> History:
    """Train a :class:`MaskNet` to turn a folded 4 kHz recording (:func:`fold_spectrum`) into the 8 kHz one.

    Input: ``fold_spectrum(to_half_rate(x), gain=fold_gain)`` for random crops x; the mask reshapes
    the folded band (whose phase stays the mirror's) and should leave 0-2 kHz alone. Loss: the
    log-magnitude L1, mean |ln(|STFT y| + 1e-3) - ln(|STFT x| + 1e-3)| (256-point STFT, hop 64),
    a spectral-envelope target that ignores the phase no model can recover from the low band.
    Adam with cosine decay, gradients clipped at norm 1; leaves the model in eval mode.

    Args:
        model: the network (``mask_max`` > 1 lets it raise the folded band).
        data: clean 1-D recordings ``(time_i,)`` at 8 kHz.
        steps, batch_size, crop, lr: the recipe (crop in samples at 8 kHz, even).
        fold_gain: the folding gain of the input.
        seed: seeds the crops.

    Returns:
        the history: ``loss`` and ``band_lsd`` (dB, 2-4 kHz, on the training batch).
    """
    g, history = make_generator(seed), History()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    model.train()
    with history.timed(), torch.enable_grad():
        for _ in range(steps):
            clean = audio.random_crops(data, batch_size, crop, g)  # (B, crop)
            folded = fold_spectrum(to_half_rate(clean), gain=fold_gain, length=crop)  # (B, crop)
            out = model(folded)
            spec_out, spec_clean = (audio.stft(w, 256, 64).abs() for w in (out, clean))  # (B, F, frames)
            loss = (torch.log(spec_out + 1e-3) - torch.log(spec_clean + 1e-3)).abs().mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            history.add(loss=loss.item(), band_lsd=band_lsd(clean, out.detach()).mean().item())
    model.eval()
    return history


def draw_mask_network(model: MaskNet, noisy: torch.Tensor) -> plt.Figure:
    """The mask-estimation pipeline, noisy wave -> STFT -> log-magnitude -> MaskNet -> mask x STFT -> iSTFT.

    ``noisy`` is run through ``model`` (a hook reads the hidden shape), so every label is a real shape.

    Args:
        model: the network (e.g. ``pretrained_restorer("restoration_l1")``).
        noisy: one recording ``(time,)`` at 8 kHz.

    Returns:
        the figure.
    """
    noisy = audio.check_wave(noisy, batch=False, name="noisy")
    cfg, seen = model.cfg, []
    hook = model.body.register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        with torch.no_grad():
            spec = audio.stft(noisy[None], cfg.n_fft, cfg.hop_length)  # (1, F, frames)
            mask = model.mask(spec.abs())  # (1, F, frames)
            out = model(noisy[None])  # (1, T)
    finally:
        hook.remove()
    f, hidden = spec.shape[1], seen[0].shape[1]
    dil = ", ".join(str(2**i) for i in range(cfg.layers))
    d = Diagram(13, 8.6, f"Mask estimation on a {len(noisy) / SAMPLE_RATE:.2g} s clip (MaskNet)")
    d.box("y", 1.6, 6.6, f"noisy wave y\n{shape(noisy[None], 'B,T')}", "data", w=2.6)
    d.box("stft", 4.6, 6.6, "STFT", "op", w=1.2, h=1.2)
    d.note(4.6, 5.65, f"n_fft {cfg.n_fft}, hop {cfg.hop_length}", fontsize=8)
    d.box("Y", 7.9, 6.6, f"Y (complex)\n{shape(spec, 'B,F,frames')}", "data", w=3.2)
    d.box("log", 11.0, 6.6, "log|Y|\n- mean", "op", w=1.4, h=1.4)
    d.box(
        "net",
        11.0,
        3.9,
        f"MaskNet\nConv1d {f}->{hidden}, k=1\n{cfg.layers} x (GELU, Conv1d k=3,\n"
        f"dilation {dil})\nConv1d {hidden}->{f}, sigmoid",
        "net",
        w=3.4,
        h=2.0,
    )
    d.box("M", 11.0, 1.3, f"mask M in [0, {cfg.mask_max:g}]\n{shape(mask, 'B,F,frames')}", "data", w=3.2)
    d.box("mul", 7.9, 1.3, "\u00d7", "op", w=0.8, h=0.8)
    d.box("istft", 4.6, 1.3, "iSTFT", "op", w=1.2, h=1.2)
    d.box("s", 1.6, 1.3, f"estimate ŝ\n{shape(out, 'B,T')}", "data", w=2.6)
    d.arrow("y", "stft").arrow("stft", "Y").arrow("Y", "log").arrow(
        "log", "net", shape(spec), offset=(0.95, 0)
    )
    d.arrow("net", "M").arrow("M", "mul").arrow("Y", "mul", "noisy phase kept", offset=(-1.0, 0))
    d.arrow("mul", "istft", "M Y", offset=(0, 0.1)).arrow("istft", "s")
    d.legend(("data", "net", "op", "forward"))
    return d.figure()


def pretrained_restorer(name: str) -> MaskNet:
    """A committed :class:`MaskNet` (trained by ``benchmarks/restoration_train.py``), in eval mode.

    Args:
        name: registry name: ``"restoration_l1"``, ``"restoration_gan"``, ``"restoration_declip"``
            or ``"restoration_gaps"`` (unknown: KeyError listing them).

    Returns:
        the network, hash-checked and loaded with ``weights_only=True``.
    """
    blob = checkpoints.load(name)
    model = MaskNet(MaskNetConfig(**blob["config"]))
    model.load_state_dict(blob["state_dict"])
    return model.eval()

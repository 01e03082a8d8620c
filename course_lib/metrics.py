"""Quality measures shared by the chapters.

Audio (this module's foundation): signal-to-noise ratio, scale-invariant SDR
(Le Roux et al., "SDR - half-baked or well done?", ICASSP 2019) and the log-spectral
distance. All are pure functions of tensors, batched over leading axes, in decibels.
Chapters add their own measures here (mode counting, Fréchet distance, ...).
"""

from __future__ import annotations

import torch

from course_lib.audio import stft

__all__ = ["snr", "si_sdr", "log_spectral_distance"]


def _check_pair(ref: torch.Tensor, est: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    ref, est = torch.as_tensor(ref), torch.as_tensor(est)
    if ref.shape != est.shape:
        raise ValueError(
            f"ref and est must have the same shape, got {tuple(ref.shape)} and {tuple(est.shape)}"
        )
    if ref.dim() == 0 or ref.shape[-1] == 0:
        raise ValueError(f"expected signals of shape (..., time) with time > 0, got {tuple(ref.shape)}")
    return ref.double(), est.double()


def snr(ref: torch.Tensor, est: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Signal-to-noise ratio 10 log10(Σ ref² / Σ (ref - est)²) in dB, over the last axis.

    Args:
        ref, est: ``(..., time)`` reference and estimate.

    Returns:
        float tensor ``(...)``; a perfect estimate gives about +120 dB (``eps`` floor).
    """
    ref, est = _check_pair(ref, est)
    num = ref.pow(2).sum(-1)
    den = (ref - est).pow(2).sum(-1)
    return (10 * torch.log10((num + eps) / (den + eps))).float()


def si_sdr(ref: torch.Tensor, est: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al. 2019, eq. 2-3).

    Both signals are made zero-mean; the target is the projection α·ref with
    α = <est, ref> / ||ref||², and SI-SDR = 10 log10(||α ref||² / ||α ref - est||²).
    Rescaling ``est`` does not change it.
    """
    ref, est = _check_pair(ref, est)
    ref = ref - ref.mean(-1, keepdim=True)
    est = est - est.mean(-1, keepdim=True)
    alpha = (est * ref).sum(-1, keepdim=True) / (ref.pow(2).sum(-1, keepdim=True) + eps)
    target = alpha * ref
    return (10 * torch.log10((target.pow(2).sum(-1) + eps) / ((target - est).pow(2).sum(-1) + eps))).float()


def log_spectral_distance(
    ref: torch.Tensor,
    est: torch.Tensor,
    n_fft: int = 256,
    hop_length: int = 80,
    eps: float = 1e-10,
) -> torch.Tensor:
    """Log-spectral distance in dB: the RMS over frequency of the difference of the two
    log power spectra, averaged over frames.

        LSD = mean_t sqrt( mean_f (10 log10 P_ref(f, t) - 10 log10 P_est(f, t))² )

    Args:
        ref, est: ``(time,)`` or ``(batch, time)``.

    Returns:
        ``()`` or ``(batch,)``, in dB (0 for identical signals).
    """
    ref, est = _check_pair(ref, est)
    p_ref = stft(ref, n_fft, hop_length).abs().pow(2)
    p_est = stft(est, n_fft, hop_length).abs().pow(2)
    diff = 10 * torch.log10(p_ref + eps) - 10 * torch.log10(p_est + eps)  # (..., freq, frames)
    return diff.pow(2).mean(-2).sqrt().mean(-1).float()

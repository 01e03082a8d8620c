"""Foundation: quality measures, pure functions of tensors (no networks, no randomness).

Chapters: all

- audio: SNR, scale-invariant SDR {cite}`leroux2019sdr`, log-spectral distance (dB, batched over
  leading axes); PESQ-NB {cite}`rix2001pesq` and STOI {cite}`taal2011stoi` through their optional packages;
- samples of 2-D mixtures: mode counts and coverage as in VEEGAN {cite}`srivastava2017veegan`;
- feature sets: Fréchet distance {cite}`heusel2017gans` and precision/recall {cite}`kynkaanniemi2019improved`.

The trained judges whose features these measures compare live in :mod:`course_lib.evaluators`.
"""

from __future__ import annotations

import torch

from course_lib.audio import SAMPLE_RATE, stft


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
        eps: floor of both energies.

    Returns:
        float tensor ``(...)``; a perfect estimate gives about +120 dB (``eps`` floor).
    """
    ref, est = _check_pair(ref, est)
    num = ref.pow(2).sum(-1)
    den = (ref - est).pow(2).sum(-1)
    return (10 * torch.log10((num + eps) / (den + eps))).float()


def si_sdr(ref: torch.Tensor, est: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """Scale-invariant signal-to-distortion ratio in dB ({cite}`leroux2019sdr`, eq. 2-3).

    Both signals are made zero-mean; the target is the projection α·ref with
    α = <est, ref> / ||ref||², and SI-SDR = 10 log10(||α ref||² / ||α ref - est||²).
    Rescaling ``est`` does not change it.

    Args:
        ref, est: ``(..., time)`` reference and estimate.
        eps: floor of the energies.

    Returns:
        float tensor ``(...)``.
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
    """Log-spectral distance in dB: RMS over frequency of the log-power difference, mean over frames.

        LSD = mean_t sqrt( mean_f (10 log10 P_ref(f, t) - 10 log10 P_est(f, t))² )

    Args:
        ref, est: ``(time,)`` or ``(batch, time)``.
        n_fft, hop_length: STFT size and step (samples).
        eps: floor of the power spectra.

    Returns:
        ``()`` or ``(batch,)``, in dB (0 for identical signals).
    """
    ref, est = _check_pair(ref, est)
    p_ref = stft(ref, n_fft, hop_length).abs().pow(2)
    p_est = stft(est, n_fft, hop_length).abs().pow(2)
    diff = 10 * torch.log10(p_ref + eps) - 10 * torch.log10(p_est + eps)  # (..., freq, frames)
    return diff.pow(2).mean(-2).sqrt().mean(-1).float()


# --- Generative-model evaluation (GAN and VAE chapters) -------------------------------------------


def mode_counts(
    samples: torch.Tensor, centers: torch.Tensor, std: float, n_std: float = 3.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-mode counts of high-quality samples, and which samples are high quality.

    Args:
        samples: generated points ``(n, d)``.
        centers: mixture centres ``(k, d)``.
        std: the mixture components' standard deviation.
        n_std: radius in standard deviations (3 in the VEEGAN protocol).

    Returns:
        ``(counts (k,), high_quality (n,) bool)``.
    """
    samples, centers = torch.as_tensor(samples).float(), torch.as_tensor(centers).float()
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"expected samples (n, d) and centers (k, d), got {tuple(samples.shape)}, {tuple(centers.shape)}"
        )
    dist = torch.cdist(samples, centers)  # (n, k)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= n_std * std
    return torch.bincount(nearest[good], minlength=len(centers)), good


def mode_coverage(
    samples: torch.Tensor, centers: torch.Tensor, std: float, n_std: float = 3.0
) -> tuple[int, float]:
    """Mode counting on a Gaussian mixture, the protocol of VEEGAN (Srivastava et al. 2017).

    A sample is *high quality* if it lies within ``n_std`` standard deviations of its nearest
    centre; a mode is *captured* if at least one high-quality sample is nearest to it.

    Args:
        samples: generated points ``(n, d)``; the protocol uses n = 2,500.
        centers: mixture centres ``(k, d)``.
        std: the mixture components' standard deviation.
        n_std: radius in standard deviations (3 in the protocol).

    Returns:
        ``(modes_captured, high_quality_fraction)``; :func:`mode_counts` gives the per-mode counts.
    """
    counts, good = mode_counts(samples, centers, std, n_std)
    return int((counts > 0).sum()), float(good.float().mean())


def mode_report(
    samples: torch.Tensor, centers: torch.Tensor, std: float, n_std: float = 3.0, min_share: float = 0.5
) -> dict[str, float]:
    """Coverage, quality and balance of samples from a Gaussian mixture with equal weights.

    The VEEGAN count (a mode with one high-quality sample is "captured") rewards noise that lands
    near a mode by chance; this report adds a stricter count and two balance figures:

    - ``modes``: modes with at least one high-quality (HQ) sample (the VEEGAN protocol);
    - ``modes_fair``: modes with at least ``min_share`` of a fair share n / k of the samples;
    - ``hq``: fraction of samples within ``n_std`` std of some centre;
    - ``kl``: KL(q || uniform) in nats of the HQ samples' mode histogram q, log k for a single mode
      and 0 for a perfect balance (``nan`` when no sample is HQ);
    - ``min_count``: the fewest HQ samples any mode received.

    Args:
        samples: generated points ``(n, d)``.
        centers: mixture centres ``(k, d)``.
        std: the mixture components' standard deviation.
        n_std: radius in standard deviations.
        min_share: fraction of the fair share n / k a mode needs for ``modes_fair``.

    Returns:
        the five figures above as floats.
    """
    if not 0.0 < min_share <= 1.0:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    counts, good = mode_counts(samples, centers, std, n_std)
    k, n, hq = len(counts), len(good), int(counts.sum())
    q = counts.double() / max(hq, 1)
    kl = float((q[q > 0] * (q[q > 0] * k).log()).sum()) if hq else float("nan")
    return {
        "modes": float((counts > 0).sum()),
        "modes_fair": float((counts >= min_share * n / k).sum()),
        "hq": hq / n,
        "kl": kl,
        "min_count": float(counts.min()),
    }


def frechet_distance(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets {cite}`heusel2017gans`.

        FD = ||μ_a - μ_b||² + Tr(Σ_a + Σ_b - 2 (Σ_a Σ_b)^{1/2})

    With Inception features this is the FID; the course uses its own classifier's features,
    so values are comparable only within the course. Computed in float64 with the symmetric
    form (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}, which has the same trace and stays real.

    Args:
        feats_a, feats_b: ``(n_a, d)`` and ``(n_b, d)``, n ≥ 2.

    Returns:
        the distance (a float, ≥ 0).
    """
    a, b = torch.as_tensor(feats_a).double(), torch.as_tensor(feats_b).double()
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"expected (n, d) feature sets with equal d, got {tuple(a.shape)}, {tuple(b.shape)}")
    if min(len(a), len(b)) < 2:
        raise ValueError("need at least 2 samples per set to estimate a covariance")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T), torch.cov(b.T)

    def _sqrtm_psd(m: torch.Tensor) -> torch.Tensor:
        vals, vecs = torch.linalg.eigh((m + m.T) / 2)
        return (vecs * vals.clamp(min=0).sqrt()) @ vecs.T

    s_a = _sqrtm_psd(cov_a)
    cross = _sqrtm_psd(s_a @ cov_b @ s_a)
    return float((mu_a - mu_b).pow(2).sum() + torch.trace(cov_a + cov_b - 2 * cross))


def precision_recall(real_feats: torch.Tensor, fake_feats: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall {cite}`kynkaanniemi2019improved`.

    Each set's manifold is the union of balls around its points, with radius the distance to
    the point's k-th nearest neighbour in the same set. Precision is the share of fake points
    inside the real manifold (quality); recall is the share of real points inside the fake
    manifold (coverage).

    Args:
        real_feats: ``(n_real, d)``.
        fake_feats: ``(n_fake, d)``.
        k: neighbour that sets each ball's radius.

    Returns:
        ``(precision, recall)`` in [0, 1].
    """
    real, fake = torch.as_tensor(real_feats).float(), torch.as_tensor(fake_feats).float()
    if real.dim() != 2 or fake.dim() != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"expected (n, d) feature sets with equal d, got {tuple(real.shape)}, {tuple(fake.shape)}"
        )
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"need more than k={k} points in each set")

    def radii(x: torch.Tensor) -> torch.Tensor:
        d = torch.cdist(x, x)
        return d.kthvalue(k + 1, dim=1).values  # k+1: the point itself is at distance 0

    def inside(points: torch.Tensor, ref: torch.Tensor, r: torch.Tensor) -> float:
        return float((torch.cdist(points, ref) <= r.unsqueeze(0)).any(dim=1).float().mean())

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


# --- Perceptual speech measures: optional packages `pesq` and `pystoi` ----------------------------


def pesq_nb(ref: torch.Tensor, est: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> float:
    """PESQ narrowband {cite}`rix2001pesq` (MOS-LQO, about 1.0 to 4.5) of one 8 kHz recording.

    Needs the optional package ``pesq`` (``pip install pesq``).

    Args:
        ref, est: ``(time,)`` reference and estimate.
        sample_rate: must be :data:`~course_lib.audio.SAMPLE_RATE`.

    Returns:
        the score (a float).

    Raises:
        ImportError: with the install command, when ``pesq`` is missing.
        ValueError: not 8 kHz, or not a single ``(time,)`` signal pair.
    """
    try:
        from pesq import pesq
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("pesq_nb needs the optional package 'pesq': pip install pesq") from err
    if sample_rate != SAMPLE_RATE:
        raise ValueError(f"narrowband PESQ needs {SAMPLE_RATE} Hz audio, got {sample_rate} Hz")
    ref, est = _check_pair(ref, est)
    if ref.dim() != 1:
        raise ValueError(f"pesq_nb scores one recording (time,), got {tuple(ref.shape)}")
    return float(pesq(sample_rate, ref.numpy(), est.numpy(), "nb"))


def stoi_score(ref: torch.Tensor, est: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> float:
    """Short-time objective intelligibility {cite}`taal2011stoi`, 0 to 1, of one recording.

    Needs the optional package ``pystoi``. STOI drops silent frames and needs at least
    about 0.4 s of speech, so score concatenations of short clips, not single digits.

    Args:
        ref, est: ``(time,)`` reference and estimate.
        sample_rate: in Hz.

    Returns:
        the score (a float).

    Raises:
        ImportError: with the install command, when ``pystoi`` is missing.
    """
    try:
        from pystoi import stoi
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("stoi_score needs the optional package 'pystoi': pip install pystoi") from err
    ref, est = _check_pair(ref, est)
    if ref.dim() != 1:
        raise ValueError(f"stoi_score scores one recording (time,), got {tuple(ref.shape)}")
    return float(stoi(ref.numpy(), est.numpy(), sample_rate, extended=False))

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


# ---------------------------------------------------------------------------------------
# Generative-model evaluation (GAN and VAE chapters)
# ---------------------------------------------------------------------------------------


def mode_coverage(
    samples: torch.Tensor, centers: torch.Tensor, std: float, n_std: float = 3.0
) -> tuple[int, float, torch.Tensor]:
    """Mode counting on a Gaussian mixture, the protocol of VEEGAN (Srivastava et al. 2017).

    A sample is *high quality* if it lies within ``n_std`` standard deviations of its nearest
    centre; a mode is *captured* if at least one high-quality sample is nearest to it.

    Args:
        samples: generated points ``(n, d)``; the protocol uses n = 2,500.
        centers: mixture centres ``(k, d)``.
        std: the mixture components' standard deviation.
        n_std: radius in standard deviations (3 in the protocol).

    Returns:
        ``(modes_captured, high_quality_fraction, counts (k,))`` where ``counts`` are the
        numbers of high-quality samples per mode.
    """
    samples, centers = torch.as_tensor(samples).float(), torch.as_tensor(centers).float()
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"expected samples (n, d) and centers (k, d), got {tuple(samples.shape)}, {tuple(centers.shape)}"
        )
    dist = torch.cdist(samples, centers)  # (n, k)
    nearest_dist, nearest = dist.min(dim=1)
    good = nearest_dist <= n_std * std
    counts = torch.bincount(nearest[good], minlength=len(centers))
    return int((counts > 0).sum()), float(good.float().mean()), counts


def frechet_distance(feats_a: torch.Tensor, feats_b: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (Heusel et al. 2017).

        FD = ||μ_a - μ_b||² + Tr(Σ_a + Σ_b - 2 (Σ_a Σ_b)^{1/2})

    With Inception features this is the FID; the course uses its own classifier's features,
    so values are comparable only within the course. Computed in float64 with the symmetric
    form (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}, which has the same trace and stays real.

    Args:
        feats_a, feats_b: ``(n_a, d)`` and ``(n_b, d)``, n ≥ 2.
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
    """Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set's manifold is the union of balls around its points, with radius the distance to
    the point's k-th nearest neighbour in the same set. Precision is the share of fake points
    inside the real manifold (quality); recall is the share of real points inside the fake
    manifold (coverage).

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


class DigitClassifier(torch.nn.Module):
    """Small CNN for the 8x8 digit images; its penultimate layer gives the feature space in
    which the GAN and VAE chapters compute Fréchet distance and precision/recall."""

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
        return self.head(self.features(x))  # logits (B, 10)


def train_digit_classifier(
    seed: int = 0, epochs: int = 30, device: torch.device | str = "cpu"
) -> DigitClassifier:
    """Train :class:`DigitClassifier` on the training split of ``load_digits_images()``.

    Deterministic for a given seed on CPU (a few seconds). Returned in eval mode.
    """
    from course_lib.data import load_digits_images

    d = load_digits_images()
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # parameter initialisation
    model = DigitClassifier().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = d.x_train.to(device), d.y_train.to(device)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=g).split(64):
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()

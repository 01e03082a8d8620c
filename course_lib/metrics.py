"""Quality measures shared by the chapters.

Audio (this module's foundation): signal-to-noise ratio, scale-invariant SDR
(Le Roux et al., "SDR - half-baked or well done?", ICASSP 2019) and the log-spectral
distance. All are pure functions of tensors, batched over leading axes, in decibels.
Chapters add their own measures here (mode counting, Fréchet distance, ...).
"""

from __future__ import annotations

import torch

from course_lib.audio import stft

__all__ = [
    "snr",
    "si_sdr",
    "log_spectral_distance",
    "mode_counts",
    "mode_coverage",
    "frechet_distance",
    "precision_recall",
    "DigitClassifier",
    "train_digit_classifier",
]


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


# ---------------------------------------------------------------------------------------
# Synthetic time series (RNN-GAN chapter): TimeGAN's post-hoc scores
# (Yoon, Jarrett & van der Schaar 2019, {yoon2019timegan}, metrics/ of the reference code)
# ---------------------------------------------------------------------------------------

__all__ += [
    "discriminative_score",
    "predictive_score",
    "fit_next_step_predictor",
    "next_step_mae",
]


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
    real,
    fake,
    *,
    iterations: int = 2000,
    batch_size: int = 128,
    hidden: int | None = None,
    test_fraction: float = 0.2,
    lr: float = 1e-3,
    seed: int = 0,
) -> float:
    """TimeGAN's discriminative score: |accuracy − 0.5| of a post-hoc real-vs-fake classifier.

    Protocol of the reference code: pool the real (label 1) and synthetic (label 0) sequences,
    hold out ``test_fraction`` of each, train a one-layer GRU classifier (``hidden`` = dim // 2
    units, read-out of the last hidden state) with Adam for ``iterations`` mini-batches of
    ``batch_size`` real plus ``batch_size`` fake sequences, and measure its accuracy on the
    held-out sequences. 0 means the classifier cannot tell them apart; 0.5 means it always can.
    (An accuracy far *below* 0.5 also counts as "distinguishable", hence the absolute value.)

    Args:
        real, fake: ``[n, seq_len, dim]`` arrays with values in [0, 1] (same seq_len and dim;
            n may differ, each needs >= 2 sequences).
        iterations: training steps (2,000 in the paper's code).
        batch_size: per class and step.
        hidden: GRU units; default ``max(1, dim // 2)`` as in the paper.
        test_fraction: share of each set held out for the accuracy.
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
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    g = torch.Generator().manual_seed(seed)

    def split(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        perm = torch.randperm(len(x), generator=g)
        n_test = min(max(1, round(test_fraction * len(x))), len(x) - 1)
        return x[perm[n_test:]], x[perm[:n_test]]

    (real_tr, real_te), (fake_tr, fake_te) = split(real), split(fake)
    dim = real.shape[2]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _PostHocGRU(dim, hidden or max(1, dim // 2), 1)
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


def fit_next_step_predictor(
    train,
    *,
    iterations: int = 5000,
    batch_size: int = 128,
    hidden: int | None = None,
    lr: float = 1e-3,
    seed: int = 0,
) -> torch.nn.Module:
    """Train TimeGAN's post-hoc predictor on ``train`` ``[n, seq_len, dim]`` (dim >= 2).

    The task of the reference code: from features ``0..dim-2`` at steps ``1..T-1``, predict the
    last feature at steps ``2..T`` (one step ahead), with a one-layer GRU (``hidden`` =
    dim // 2 units), a sigmoid read-out at every step and the mean absolute error as loss.

    Returns:
        The predictor (eval mode); feed it ``x[:, :-1, :-1]`` to get logits ``(n, T-1, 1)``.
    """
    train = _check_sequences("train", train, min_dim=2)
    if train.shape[1] < 2:
        raise ValueError(f"need seq_len >= 2 to predict a next step, got {train.shape[1]}")
    dim = train.shape[2]
    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _PostHocGRU(dim - 1, hidden or max(1, dim // 2), 1)
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
def next_step_mae(predictor: torch.nn.Module, data) -> float:
    """Mean absolute error of :func:`fit_next_step_predictor`'s model on ``data``: the mean over
    sequences of each sequence's MAE on the last feature at steps 2..T (equal lengths, so the
    plain mean over all predicted values)."""
    data = _check_sequences("data", data, min_dim=2)
    pred = torch.sigmoid(predictor(data[:, :-1, :-1]))  # (n, T-1, 1)
    return float((pred - data[:, 1:, -1:]).abs().mean())


def predictive_score(
    real,
    fake,
    *,
    iterations: int = 5000,
    batch_size: int = 128,
    hidden: int | None = None,
    lr: float = 1e-3,
    seed: int = 0,
) -> float:
    """TimeGAN's predictive score, "train on synthetic, test on real" (TSTR).

    A GRU trained on the *synthetic* sequences to predict the next value of the last feature
    from the other features (:func:`fit_next_step_predictor`) is scored by its mean absolute
    error on the *real* sequences (:func:`next_step_mae`). Lower is better; the floor is the
    same predictor trained on real data (``predictive_score(real, real)``).

    Args:
        real, fake: ``[n, seq_len, dim]`` arrays in [0, 1], dim >= 2, same seq_len and dim.
        iterations: training steps (5,000 in the paper's code); other args as above.

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
    model = fit_next_step_predictor(
        fake, iterations=iterations, batch_size=batch_size, hidden=hidden, lr=lr, seed=seed
    )
    return next_step_mae(model, real)


# ---------------------------------------------------------------------------------------
# Perceptual speech measures (issue 8): optional packages `pesq` and `pystoi`
# ---------------------------------------------------------------------------------------


def pesq_nb(ref: torch.Tensor, est: torch.Tensor, sample_rate: int = 8000) -> float:
    """PESQ narrowband (ITU-T P.862, MOS-LQO scale about 1.0 to 4.5) of one 8 kHz recording.

    Needs the optional package ``pesq`` (``pip install pesq``).

    Raises:
        ImportError: with the install command, when ``pesq`` is missing.
        ValueError: not 8 kHz, or not a single ``(time,)`` signal pair.
    """
    try:
        from pesq import pesq
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("pesq_nb needs the optional package 'pesq': pip install pesq") from err
    if sample_rate != 8000:
        raise ValueError(f"narrowband PESQ needs 8000 Hz audio, got {sample_rate} Hz")
    ref, est = _check_pair(ref, est)
    if ref.dim() != 1:
        raise ValueError(f"pesq_nb scores one recording (time,), got {tuple(ref.shape)}")
    return float(pesq(sample_rate, ref.numpy(), est.numpy(), "nb"))


def stoi_score(ref: torch.Tensor, est: torch.Tensor, sample_rate: int = 8000) -> float:
    """Short-time objective intelligibility (Taal et al. 2011), 0 to 1, of one recording.

    Needs the optional package ``pystoi``. STOI drops silent frames and needs at least
    about 0.4 s of speech, so score concatenations of short clips, not single digits.

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


__all__ += ["pesq_nb", "stoi_score"]

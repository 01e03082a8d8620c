"""Variational autoencoders: the ELBO, its importance-weighted tightening, and their pitfalls.

The VAE chapter of the book reads this module top to bottom.

- Model: a Gaussian encoder q(z|x) = N(mu(x), diag sigma^2(x)), a standard-normal prior
  p(z) = N(0, I) and a decoder p(x|z), trained by maximising the evidence lower bound with the
  reparameterisation trick (Kingma & Welling 2014 {kingma2014vae}; Rezende et al. 2014
  {rezende2014stochastic}).
- Decoders (``VAEConfig.likelihood``):
  ``"bernoulli"`` (logits; the usual choice for binary images; for grey levels in (0, 1) the
  "Bernoulli log-likelihood" is *not* a normalised likelihood, so its value is not a
  log-probability of the data, see Loaiza-Ganem & Cunningham 2019 {loaizaganem2019cb}),
  ``"gaussian"`` (a density with a learned per-pixel scale: it is not a probability of the
  discrete pixels either and can grow without bound as the scale shrinks), and
  ``"dlogistic"``, a *discretised* logistic (Salimans et al. 2017 {salimans2017pixelcnnpp}) over
  the 17 grey levels of the digit images. The last one assigns a probability mass to each
  level, so -log p(x) is a code length in nats and can be compared with any other model of the
  same discrete data. That is why the chapter reports likelihoods with it.
- A "strong" autoregressive decoder (a MADE, Germain et al. 2015 {germain2015made}, conditioned
  on z) to provoke posterior collapse (Bowman et al. 2016 {bowman2016generating}).
- Losses (pure functions of tensors): closed-form Gaussian KL, the ELBO terms with beta
  (Higgins et al. 2017 {higgins2017betavae}), KL warm-up (Bowman et al. 2016) and free bits
  (Kingma et al. 2016 {kingma2016iaf}), and the importance-weighted bound IWAE_K (Burda et al.
  2016 {burda2016iwae}), with the number of active units of the same paper.

Everything a VAE does rests on two identities for any q(z|x):

    log p(x) = ELBO(x) + KL(q(z|x) || p(z|x)) >= ELBO(x),
    ELBO(x)  = E_q[log p(x|z)] - KL(q(z|x) || p(z)).

ELBO <= IWAE_1 = ELBO <= IWAE_K <= IWAE_{K+1} <= log p(x) (in expectation), and IWAE_K -> log p(x)
as K grows: an importance-sampling estimate of the test log-likelihood.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.utils import committed_checkpoint, load_verified

__all__ = [
    "LIKELIHOODS",
    "VAEConfig",
    "VAE",
    "Autoencoder",
    "TrainConfig",
    "gaussian_kl",
    "reparameterize",
    "bernoulli_log_prob",
    "gaussian_log_prob",
    "discretized_logistic_log_prob",
    "discretized_gaussian_log_prob",
    "log_likelihood",
    "ElboTerms",
    "elbo_terms",
    "elbo",
    "iwae_bound",
    "kl_warmup",
    "active_units",
    "train_vae",
    "train_autoencoder",
    "fit_pixel_gaussian",
    "pixel_gaussian_log_prob",
    "latent_grid",
    "show_images",
    "COMPARISON_GAN_MODEL",
    "COMPARISON_GAN_TRAIN",
    "pretrained_comparison_gan",
]

LIKELIHOODS = ("bernoulli", "gaussian", "dlogistic")
LOG_2PI = math.log(2 * math.pi)


# ---------------------------------------------------------------------------------------
# Pure functions: KL, reparameterisation, likelihoods
# ---------------------------------------------------------------------------------------


def gaussian_kl(
    mu: torch.Tensor,
    logvar: torch.Tensor,
    mu_p: torch.Tensor | None = None,
    logvar_p: torch.Tensor | None = None,
) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(mu_p, exp(logvar_p))) per dimension, in nats.

        KL = 1/2 [ logvar_p - logvar + (exp(logvar) + (mu - mu_p)^2) / exp(logvar_p) - 1 ]

    With the default prior N(0, 1) this is 1/2 (mu^2 + sigma^2 - log sigma^2 - 1).

    Args:
        mu, logvar: ``(..., D)`` mean and log-variance of q.
        mu_p, logvar_p: same shape (or broadcastable), the other Gaussian; default N(0, I).

    Returns:
        ``(..., D)``, one KL per dimension (sum over the last axis for the total).

    Raises:
        ValueError: shapes of ``mu`` and ``logvar`` differ.
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}"
        )
    if mu_p is None:
        mu_p = torch.zeros_like(mu)
    if logvar_p is None:
        logvar_p = torch.zeros_like(logvar)
    return 0.5 * (logvar_p - logvar + (logvar.exp() + (mu - mu_p).pow(2)) / logvar_p.exp() - 1.0)


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, k: int | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw z = mu + sigma * eps with eps ~ N(0, I): a sample of q that is differentiable in mu, sigma.

    Args:
        mu, logvar: ``(B, D)``.
        k: number of samples per input; ``None`` gives ``(B, D)``, an int gives ``(k, B, D)``.
        generator: source of eps (on ``mu``'s device).

    Returns:
        ``(B, D)`` or ``(k, B, D)``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}"
        )
    if k is not None and k < 1:
        raise ValueError(f"k must be a positive number of samples, got {k}")
    shape = mu.shape if k is None else (k, *mu.shape)
    eps = torch.randn(shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + (0.5 * logvar).exp() * eps  # z = mu + sigma * eps


def bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """x log sigmoid(l) + (1 - x) log sigmoid(-l), elementwise (= -BCE with logits).

    A log-probability only for binary x; for x in (0, 1) it is an unnormalised score.
    """
    return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none")


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """log N(x; mean, exp(log_scale)^2) = -1/2 log 2pi - log_scale - (x - mean)^2 / (2 exp(2 log_scale))."""
    return -0.5 * LOG_2PI - log_scale - 0.5 * ((x - mean) * torch.exp(-log_scale)).pow(2)


def _bin_edges(x: torch.Tensor, levels: int) -> tuple[torch.Tensor, torch.Tensor, float]:
    if levels < 2:
        raise ValueError(f"levels must be >= 2, got {levels}")
    half = 0.5 / (levels - 1)  # half a bin: levels are 0, 1/(L-1), ..., 1
    return x - half, x + half, half


def discretized_logistic_log_prob(
    x: torch.Tensor, loc: torch.Tensor, log_scale: torch.Tensor, levels: int = 17
) -> torch.Tensor:
    """Log-probability of the grey level x under a logistic(loc, s) integrated over x's bin.

        P(x) = sigmoid((x + h - loc) / s) - sigmoid((x - h - loc) / s),   h = 1 / (2 (L - 1)),

    with the lowest bin extended to -inf and the highest to +inf, so the L probabilities sum
    to one (Salimans et al. 2017). Computed stably in log space.

    Args:
        x: values on the grid {0, 1/(L-1), ..., 1}; ``loc``, ``log_scale``: broadcastable.
        levels: number of grey levels L (17 for the digit images).

    Returns:
        elementwise log P(x) in nats (<= 0).
    """
    lo, hi, half = _bin_edges(x, levels)
    inv_s = torch.exp(-log_scale)
    a, b = (lo - loc) * inv_s, (hi - loc) * inv_s
    log_cdf_b = F.logsigmoid(b)  # log sigmoid(b): used at the lowest level
    log_sf_a = F.logsigmoid(-a)  # log (1 - sigmoid(a)): used at the highest level
    # log(sigmoid(b) - sigmoid(a)) = log sigmoid(b) + log sigmoid(-a) + log(1 - exp(a - b))
    mid = F.logsigmoid(b) + F.logsigmoid(-a) + torch.log(-torch.expm1(a - b).clamp(max=-1e-12))
    out = torch.where(x < half, log_cdf_b, torch.where(x > 1 - half, log_sf_a, mid))
    return out


def discretized_gaussian_log_prob(
    x: torch.Tensor, loc: torch.Tensor, log_scale: torch.Tensor, levels: int = 17
) -> torch.Tensor:
    """Log-probability of the grey level x under N(loc, s^2) integrated over x's bin (edges to +-inf).

    The diagonal-Gaussian-on-pixels baseline of the chapter uses it, so that its likelihood is a
    probability of the same discrete data as the VAE's. Computed in float64.
    """
    lo, hi, half = _bin_edges(x.double(), levels)
    loc, s = loc.double(), log_scale.double().exp()
    a, b = (lo - loc) / s, (hi - loc) / s
    log_cdf_b = torch.special.log_ndtr(b)
    log_sf_a = torch.special.log_ndtr(-a)
    # log(Phi(b) - Phi(a)), evaluated on the side of the mean where it is accurate
    left = torch.special.log_ndtr(b) + torch.log(
        -torch.expm1(torch.special.log_ndtr(a) - log_cdf_b).clamp(max=-1e-300)
    )
    right = torch.special.log_ndtr(-a) + torch.log(
        -torch.expm1(torch.special.log_ndtr(-b) - log_sf_a).clamp(max=-1e-300)
    )
    mid = torch.where(a + b < 0, left, right)
    out = torch.where(x < half, log_cdf_b, torch.where(x > 1 - half, log_sf_a, mid))
    return out.to(x.dtype)


def log_likelihood(x: torch.Tensor, params: torch.Tensor, kind: str, levels: int = 17) -> torch.Tensor:
    """log p(x|z) summed over pixels, for the decoder outputs ``params``.

    Args:
        x: ``(..., N)`` flattened images in [0, 1].
        params: ``(..., P, N)`` decoder outputs: P = 1 (``bernoulli`` logits) or 2
            (``gaussian``/``dlogistic``: location and log-scale).
        kind: one of :data:`LIKELIHOODS`.

    Returns:
        ``(...)`` in nats.
    """
    if kind == "bernoulli":
        lp = bernoulli_log_prob(x, params[..., 0, :])
    elif kind == "gaussian":
        lp = gaussian_log_prob(x, params[..., 0, :], params[..., 1, :])
    elif kind == "dlogistic":
        lp = discretized_logistic_log_prob(x, params[..., 0, :], params[..., 1, :], levels)
    else:
        raise ValueError(f"unknown likelihood {kind!r}; choose one of {LIKELIHOODS}")
    return lp.sum(-1)


# ---------------------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------------------


@dataclass
class VAEConfig:
    """Sizes and likelihood of a :class:`VAE`.

    Attributes:
        x_shape: image shape ``(C, H, W)``.
        z_dim: latent dimension D.
        hidden: width of the MLP encoder/decoder.
        n_layers: hidden layers in each MLP.
        likelihood: ``"bernoulli"``, ``"gaussian"`` or ``"dlogistic"`` (see the module docstring).
        levels: grey levels of the data (for ``dlogistic``).
        decoder: ``"mlp"`` (p(x|z) factorises over pixels) or ``"made"`` (autoregressive over
            pixels given z, a strong decoder that can ignore z).
        min_log_scale: floor on the decoder's log-scale (``gaussian``/``dlogistic``).
    """

    x_shape: tuple[int, int, int] = (1, 8, 8)
    z_dim: int = 8
    hidden: int = 256
    n_layers: int = 2
    likelihood: str = "dlogistic"
    levels: int = 17
    decoder: str = "mlp"
    min_log_scale: float = -5.0

    def __post_init__(self) -> None:
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if self.decoder not in ("mlp", "made"):
            raise ValueError(f"decoder must be 'mlp' or 'made', got {self.decoder!r}")
        if self.z_dim < 1 or self.hidden < 1 or self.n_layers < 1:
            raise ValueError(
                "z_dim, hidden and n_layers must be positive, "
                f"got {self.z_dim}, {self.hidden}, {self.n_layers}"
            )

    @property
    def n_pixels(self) -> int:
        c, h, w = self.x_shape
        return c * h * w

    @property
    def n_params(self) -> int:
        return 1 if self.likelihood == "bernoulli" else 2

    @classmethod
    def tiny(cls, **kw) -> VAEConfig:
        """Smallest model that exercises every code path (for tests)."""
        base = dict(x_shape=(1, 4, 4), z_dim=2, hidden=16, n_layers=1)
        base.update(kw)
        return cls(**base)


def _mlp(d_in: int, hidden: int, n_layers: int, d_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(n_layers):
        layers += [nn.Linear(d_in if i == 0 else hidden, hidden), nn.ReLU()]
    layers.append(nn.Linear(hidden, d_out))
    return nn.Sequential(*layers)


class MaskedLinear(nn.Linear):
    """Linear layer whose weight is multiplied by a fixed 0/1 mask (MADE)."""

    def __init__(self, d_in: int, d_out: int, mask: torch.Tensor):
        super().__init__(d_in, d_out)
        self.register_buffer("mask", mask.float())  # (d_out, d_in)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


class MadeDecoder(nn.Module):
    """p(x|z) = prod_i p(x_i | x_<i, z) in raster order: a one-hidden-layer MADE plus z.

    Hidden unit h gets a degree m(h) in 1..N-1 and sees pixels i < m(h); output i sees hidden
    units with m(h) < i + 1, so pixel i depends only on earlier pixels (and on z).
    """

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        n, h = cfg.n_pixels, cfg.hidden
        self.n, self.n_params = n, cfg.n_params
        deg = torch.arange(h) % max(n - 1, 1) + 1  # (h,) degrees 1..N-1
        in_idx = torch.arange(n)  # pixel i has degree i + 1
        m1 = deg[:, None] >= in_idx[None, :] + 1  # (h, n): hidden sees x_j for j + 1 <= m(h)
        m2 = in_idx[:, None] + 1 > deg[None, :]  # (n, h): output i sees m(h) < i + 1
        self.inp = MaskedLinear(n, h, m1)
        self.z_in = nn.Linear(cfg.z_dim, h)
        self.out = MaskedLinear(h, n * self.n_params, m2.repeat(self.n_params, 1))
        self.skip = MaskedLinear(
            n, n * self.n_params, (in_idx[:, None] > in_idx[None, :]).repeat(self.n_params, 1)
        )

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        hid = torch.relu(self.inp(x) + self.z_in(z))  # (..., h)
        out = self.out(hid) + self.skip(x)  # (..., P * N)
        return out.unflatten(-1, (self.n_params, self.n))  # (..., P, N)


class VAE(nn.Module):
    """Gaussian-encoder VAE for small images with the decoder likelihood of ``cfg``.

    Shapes: images ``(B, C, H, W)`` in [0, 1]; latents ``(B, D)`` or ``(K, B, D)``.
    """

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        self.cfg = cfg
        n = cfg.n_pixels
        self.encoder = _mlp(n, cfg.hidden, cfg.n_layers, 2 * cfg.z_dim)  # -> (mu, logvar)
        if cfg.decoder == "mlp":
            self.decoder: nn.Module = _mlp(cfg.z_dim, cfg.hidden, cfg.n_layers, cfg.n_params * n)
        else:
            self.decoder = MadeDecoder(cfg)

    # -- checks ------------------------------------------------------------------------
    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or tuple(x.shape[1:]) != tuple(self.cfg.x_shape):
            raise ValueError(
                f"expected images of shape (B, {', '.join(map(str, self.cfg.x_shape))}), got {tuple(x.shape)}"
            )
        if not torch.is_floating_point(x):
            raise ValueError(
                f"expected float images in [0, 1], got dtype {x.dtype}; "
                "divide integer pixels by their maximum"
            )
        if x.numel() and (x.min() < 0 or x.max() > 1):
            raise ValueError(
                f"expected pixel values in [0, 1], got range [{x.min().item():.3g}, "
                f"{x.max().item():.3g}]; rescale the data"
            )
        return x.flatten(1)  # (B, N)

    # -- the three maps ------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x): ``(B, C, H, W)`` -> mean and log-variance, each ``(B, D)``."""
        h = self.encoder(self._flat(x))  # (B, 2D)
        mu, logvar = h.chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor, x_flat: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder parameters ``(..., P, N)`` for latents ``(..., D)``.

        The MADE decoder also needs the (flattened) image it scores, ``x_flat`` ``(..., N)``.
        """
        if z.shape[-1] != self.cfg.z_dim:
            raise ValueError(f"expected latents with last dimension {self.cfg.z_dim}, got {tuple(z.shape)}")
        if self.cfg.decoder == "made":
            if x_flat is None:
                raise ValueError("the MADE decoder scores an image given z: pass x_flat (or use sample())")
            params = self.decoder(z, x_flat.expand(*z.shape[:-1], x_flat.shape[-1]))
        else:
            params = self.decoder(z).unflatten(-1, (self.cfg.n_params, self.cfg.n_pixels))  # (..., P, N)
        if self.cfg.n_params == 2:  # floor the log-scale: loc, min + softplus(raw - min)
            loc, raw = params.unbind(-2)
            m = self.cfg.min_log_scale
            params = torch.stack([loc, m + F.softplus(raw - m)], dim=-2)
        return params

    def log_px_z(self, x_flat: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """log p(x|z) in nats: ``x_flat`` ``(B, N)``, ``z`` ``(..., B, D)`` -> ``(..., B)``."""
        return log_likelihood(x_flat, self.decode(z, x_flat), self.cfg.likelihood, self.cfg.levels)

    # -- uses ----------------------------------------------------------------------------
    def _params_to_mean(self, params: torch.Tensor) -> torch.Tensor:
        kind = self.cfg.likelihood
        if kind == "bernoulli":
            return torch.sigmoid(params[..., 0, :])
        if kind == "gaussian":
            return params[..., 0, :].clamp(0, 1)
        grid = torch.linspace(0, 1, self.cfg.levels, device=params.device)  # (L,)
        lp = discretized_logistic_log_prob(
            grid, params[..., 0, :, None], params[..., 1, :, None], self.cfg.levels
        )
        return (lp.softmax(-1) * grid).sum(-1)  # exact mean over the L levels

    def _params_sample(self, params: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        kind = self.cfg.likelihood
        u = torch.rand(params[..., 0, :].shape, generator=generator, device=params.device)
        if kind == "bernoulli":
            return (u < torch.sigmoid(params[..., 0, :])).float()
        loc, log_scale = params[..., 0, :], params[..., 1, :]
        if kind == "gaussian":
            eps = torch.randn(loc.shape, generator=generator, device=loc.device)
            return (loc + log_scale.exp() * eps).clamp(0, 1)
        u = u.clamp(1e-6, 1 - 1e-6)
        v = loc + log_scale.exp() * (torch.log(u) - torch.log1p(-u))  # logistic sample
        step = self.cfg.levels - 1
        return (v * step).round().clamp(0, step) / step

    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        """Mean image E[x|z] ``(B, C, H, W)`` (MLP decoder only; the MADE mean is not closed-form)."""
        if self.cfg.decoder == "made":
            raise ValueError(
                "decode_mean needs the factorised MLP decoder; use sample() for the MADE decoder"
            )
        return self._params_to_mean(self.decode(z)).reshape(-1, *self.cfg.x_shape)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """Mean of p(x | z = mu(x)) for the MLP decoder, ``(B, C, H, W)``."""
        mu, _ = self.encode(x)
        return self.decode_mean(mu)

    @torch.no_grad()
    def sample(
        self,
        n: int,
        generator: torch.Generator | None = None,
        mean: bool = False,
        z: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """n images from z ~ p(z), x ~ p(x|z) (or E[x|z] with ``mean=True``), ``(n, C, H, W)``."""
        dev = next(self.parameters()).device
        if z is None:
            z = torch.randn(n, self.cfg.z_dim, generator=generator, device=dev)
        if self.cfg.decoder == "mlp":
            params = self.decode(z)
            x = self._params_to_mean(params) if mean else self._params_sample(params, generator)
            return x.reshape(-1, *self.cfg.x_shape)
        x = torch.zeros(len(z), self.cfg.n_pixels, device=dev)
        for i in range(self.cfg.n_pixels):  # one pixel at a time, in raster order
            params = self.decode(z, x)
            xi = self._params_to_mean(params) if mean else self._params_sample(params, generator)
            x[:, i] = xi[:, i]
        return x.reshape(-1, *self.cfg.x_shape)


class Autoencoder(nn.Module):
    """Plain (deterministic) autoencoder with the same MLPs as :class:`VAE`, for comparison.

    Trained on the reconstruction term alone, -log p(x | z = f(x)); it has no prior, so it
    defines no likelihood and no sampler of its own.
    """

    def __init__(self, cfg: VAEConfig):
        super().__init__()
        if cfg.decoder != "mlp":
            raise ValueError("the autoencoder uses the MLP decoder; set decoder='mlp'")
        self.vae = VAE(cfg)  # reuse the networks; the encoder's log-variance output is unused
        self.cfg = cfg

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.vae.encode(x)[0]  # (B, D)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        """Mean over the batch of -log p(x | z = f(x)) in nats."""
        x_flat = self.vae._flat(x)
        return -self.vae.log_px_z(x_flat, self.encode(x)).mean()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.vae.decode_mean(self.encode(x))

    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor) -> torch.Tensor:
        return self.vae.decode_mean(z)


# ---------------------------------------------------------------------------------------
# Objectives
# ---------------------------------------------------------------------------------------


@dataclass
class ElboTerms:
    """Per-example terms of the ELBO (nats) and the scalar training loss.

    Attributes:
        elbo: ``(B,)`` rec - kl, the bound itself (whatever beta/free bits the loss used).
        rec: ``(B,)`` single-sample estimate of E_q[log p(x|z)] (the negative distortion).
        kl: ``(B,)`` KL(q(z|x) || p(z)) (the rate).
        kl_per_dim: ``(B, D)``.
        loss: scalar to minimise, -(rec - beta * KL') averaged over the batch.
    """

    elbo: torch.Tensor
    rec: torch.Tensor
    kl: torch.Tensor
    kl_per_dim: torch.Tensor
    loss: torch.Tensor


def elbo_terms(
    rec: torch.Tensor, kl_per_dim: torch.Tensor, beta: float = 1.0, free_bits: float = 0.0
) -> ElboTerms:
    """Assemble the ELBO and its training loss from its two terms (pure).

        ELBO = rec - KL,         loss = -mean_b(rec) + beta * KL',
        KL'  = sum_j KL_j                          (free_bits = 0)
        KL'  = sum_j max(lambda, mean_b KL_j)      (free bits lambda per latent dimension,
                                                     Kingma et al. 2016)

    beta = 1 and no free bits gives the ELBO itself; beta != 1 gives the beta-VAE objective.

    Args:
        rec: ``(B,)`` log p(x|z) at a reparameterised z ~ q(z|x).
        kl_per_dim: ``(B, D)``.
        beta: weight of the KL term (>= 0).
        free_bits: lambda in nats per latent dimension (>= 0).
    """
    if rec.dim() != 1 or kl_per_dim.dim() != 2 or kl_per_dim.shape[0] != rec.shape[0]:
        raise ValueError(
            f"expected rec (B,) and kl_per_dim (B, D), got {tuple(rec.shape)} and {tuple(kl_per_dim.shape)}"
        )
    if beta < 0 or free_bits < 0:
        raise ValueError(f"beta and free_bits must be >= 0, got {beta} and {free_bits}")
    kl = kl_per_dim.sum(-1)
    if free_bits > 0:
        kl_term = kl_per_dim.mean(0).clamp(min=free_bits).sum()
    else:
        kl_term = kl.mean()
    loss = -rec.mean() + beta * kl_term
    return ElboTerms(elbo=rec - kl, rec=rec, kl=kl, kl_per_dim=kl_per_dim, loss=loss)


def elbo(
    model: VAE,
    x: torch.Tensor,
    beta: float = 1.0,
    free_bits: float = 0.0,
    generator: torch.Generator | None = None,
) -> ElboTerms:
    """ELBO of a batch with one reparameterised sample per image (Kingma & Welling 2014).

        ELBO(x) = E_{q(z|x)}[log p(x|z)] - KL(q(z|x) || N(0, I))

    Args:
        model: a :class:`VAE`.
        x: ``(B, C, H, W)`` in [0, 1].

    Returns:
        :class:`ElboTerms`; ``terms.loss.backward()`` trains encoder and decoder jointly.
    """
    x_flat = model._flat(x)  # (B, N)
    mu, logvar = model.encode(x)  # (B, D) each
    z = reparameterize(mu, logvar, generator=generator)  # (B, D)
    rec = model.log_px_z(x_flat, z)  # (B,)
    return elbo_terms(rec, gaussian_kl(mu, logvar), beta=beta, free_bits=free_bits)


@torch.no_grad()
def iwae_bound(
    model: VAE, x: torch.Tensor, k: int, chunk: int = 250, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Importance-weighted bound IWAE_K (Burda et al. 2016), per image, in nats.

        IWAE_K(x) = log (1/K) sum_k w_k,   w_k = p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x),

    computed as logsumexp(log w) - log K. It is a lower bound on log p(x) for every K, equal to
    the (one-sample) ELBO for K = 1, non-decreasing in K in expectation, and tends to log p(x).
    Samples are drawn ``chunk`` at a time and combined with a running logsumexp, so memory does
    not grow with K.

    Args:
        model: a :class:`VAE`.
        x: ``(B, C, H, W)``.
        k: number of importance samples (>= 1).
        chunk: samples per forward pass.

    Returns:
        ``(B,)``.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer number of importance samples, got {k!r}")
    x_flat = model._flat(x)  # (B, N)
    mu, logvar = model.encode(x)  # (B, D)
    total = torch.full((x.shape[0],), -math.inf, device=x.device)
    done = 0
    while done < k:
        kk = min(chunk, k - done)
        z = reparameterize(mu, logvar, k=kk, generator=generator)  # (kk, B, D)
        log_pz = (-0.5 * (z.pow(2) + LOG_2PI)).sum(-1)  # (kk, B)
        log_qz = (-0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + LOG_2PI)).sum(-1)  # (kk, B)
        log_w = model.log_px_z(x_flat, z) + log_pz - log_qz  # (kk, B)
        total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))
        done += kk
    return total - math.log(k)


def kl_warmup(step: int, warmup_steps: int, beta_max: float = 1.0) -> float:
    """Linear KL warm-up (annealing), Bowman et al. (2016): beta = beta_max * min(1, step / warmup_steps)."""
    if warmup_steps < 0 or step < 0:
        raise ValueError(f"step and warmup_steps must be >= 0, got {step}, {warmup_steps}")
    if warmup_steps == 0:
        return beta_max
    return beta_max * min(1.0, step / warmup_steps)


@torch.no_grad()
def active_units(model: VAE, x: torch.Tensor, threshold: float = 0.01) -> tuple[int, torch.Tensor]:
    """Active units of Burda et al. (2016): dimension u is active if Cov_x(E_q[z_u|x]) > threshold.

    Args:
        model: a :class:`VAE`; x: ``(B, C, H, W)``, B >= 2.

    Returns:
        ``(count, variances (D,))``.
    """
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 images to measure a variance, got {x.shape[0]}")
    mu, _ = model.encode(x)
    var = mu.var(dim=0)  # (D,)
    return int((var > threshold).sum()), var


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------


@dataclass
class TrainConfig:
    """Settings of :func:`train_vae` / :func:`train_autoencoder`.

    Attributes:
        epochs, batch_size, lr: Adam on all parameters (one optimizer, one loss).
        beta: KL weight (1 = the ELBO).
        warmup_steps: linear KL warm-up over this many steps (0 = none).
        free_bits: nats per latent dimension (0 = none).
    """

    epochs: int = 100
    batch_size: int = 128
    lr: float = 1e-3
    beta: float = 1.0
    warmup_steps: int = 0
    free_bits: float = 0.0


def _batches(n: int, batch_size: int, g: torch.Generator):
    return torch.randperm(n, generator=g).split(batch_size)


def train_vae(model: VAE, x_train: torch.Tensor, cfg: TrainConfig, seed: int = 0) -> dict[str, list[float]]:
    """Maximise the (beta-, warm-up-, free-bits-) ELBO with one Adam optimizer on all parameters.

    Args:
        model: a :class:`VAE` (on its device); x_train: ``(n, C, H, W)`` in [0, 1].
        cfg: :class:`TrainConfig`.
        seed: seeds minibatch order and the reparameterisation noise.

    Returns:
        per-epoch means of ``loss``, ``elbo``, ``rec``, ``kl`` (nats per image), and ``seconds``.
    """
    from tqdm.auto import tqdm

    dev = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    g_dev = torch.Generator(device=dev).manual_seed(seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x_train = x_train.to(dev)
    hist: dict[str, list[float]] = {k: [] for k in ("loss", "elbo", "rec", "kl")}
    step, t0 = 0, time.perf_counter()
    model.train()
    for _ in tqdm(range(cfg.epochs), desc="VAE epochs", leave=False):
        sums = dict.fromkeys(hist, 0.0)
        for idx in _batches(len(x_train), cfg.batch_size, g):
            beta = kl_warmup(step, cfg.warmup_steps, cfg.beta)
            t = elbo(model, x_train[idx], beta=beta, free_bits=cfg.free_bits, generator=g_dev)
            opt.zero_grad()
            t.loss.backward()
            opt.step()
            step += 1
            for name, v in (
                ("loss", t.loss * len(idx)),
                ("elbo", t.elbo.sum()),
                ("rec", t.rec.sum()),
                ("kl", t.kl.sum()),
            ):
                sums[name] += float(v.detach())
        for name in hist:
            hist[name].append(sums[name] / len(x_train))
    model.eval()
    hist["seconds"] = [time.perf_counter() - t0]
    return hist


def train_autoencoder(
    model: Autoencoder, x_train: torch.Tensor, cfg: TrainConfig, seed: int = 0
) -> dict[str, list[float]]:
    """Minimise -log p(x | z = f(x)) with Adam: a plain loop, like :func:`train_vae`.

    Returns:
        per-epoch mean ``loss`` (nats per image) and ``seconds``.
    """
    from tqdm.auto import tqdm

    dev = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    x_train = x_train.to(dev)
    hist: dict[str, list[float]] = {"loss": []}
    t0 = time.perf_counter()
    model.train()
    for _ in tqdm(range(cfg.epochs), desc="AE epochs", leave=False):
        total = 0.0
        for idx in _batches(len(x_train), cfg.batch_size, g):
            loss = model.loss(x_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        hist["loss"].append(total / len(x_train))
    model.eval()
    hist["seconds"] = [time.perf_counter() - t0]
    return hist


# ---------------------------------------------------------------------------------------
# Baseline and pictures
# ---------------------------------------------------------------------------------------


def fit_pixel_gaussian(x_train: torch.Tensor, min_scale: float = 1e-2) -> tuple[torch.Tensor, torch.Tensor]:
    """Maximum-likelihood diagonal Gaussian on pixels: the baseline likelihood of the chapter.

    Args:
        x_train: ``(n, C, H, W)``.
        min_scale: floor on each pixel's standard deviation (the corner pixels are constant).

    Returns:
        ``(loc, log_scale)``, each ``(C * H * W,)``.
    """
    if x_train.dim() != 4 or len(x_train) < 2:
        raise ValueError(f"expected at least 2 images (n, C, H, W), got {tuple(x_train.shape)}")
    flat = x_train.flatten(1)
    return flat.mean(0), flat.std(0, unbiased=False).clamp(min=min_scale).log()


def pixel_gaussian_log_prob(
    x: torch.Tensor, loc: torch.Tensor, log_scale: torch.Tensor, levels: int = 17
) -> torch.Tensor:
    """log p(x) in nats per image under independent *discretised* Gaussians on the grey levels.

    Args:
        x: ``(B, C, H, W)`` on the grid of ``levels`` values; ``loc``, ``log_scale``: ``(C*H*W,)``.

    Returns:
        ``(B,)``: a probability of the same discrete data the VAE's ``dlogistic`` decoder scores.
    """
    return discretized_gaussian_log_prob(x.flatten(1), loc, log_scale, levels).sum(-1)


@torch.no_grad()
def latent_grid(model: VAE, n: int = 15, span: float = 2.5, dims: tuple[int, int] = (0, 1)) -> torch.Tensor:
    """Decode an ``n x n`` grid of latents in two dimensions (the others at 0): the "latent map".

    Args:
        model: a :class:`VAE` with the MLP decoder.
        n: points per axis; span: the grid covers [-span, span] (in prior standard deviations).
        dims: which two latent dimensions vary.

    Returns:
        ``(n, n, C, H, W)`` mean images; row i has z[dims[1]] = +span ... -span (top to bottom),
        column j has z[dims[0]] = -span ... +span.
    """
    if len(dims) != 2 or max(dims) >= model.cfg.z_dim or dims[0] == dims[1]:
        raise ValueError(f"dims must be two different latent indices < {model.cfg.z_dim}, got {dims}")
    dev = next(model.parameters()).device
    axis = torch.linspace(-span, span, n, device=dev)
    z = torch.zeros(n, n, model.cfg.z_dim, device=dev)
    z[..., dims[0]] = axis[None, :]
    z[..., dims[1]] = axis.flip(0)[:, None]
    return model.decode_mean(z.reshape(n * n, -1)).reshape(n, n, *model.cfg.x_shape)


def show_images(ax, images: torch.Tensor, nrow: int, title: str | None = None, pad: int = 1):
    """Tile ``(n, 1, H, W)`` images in [0, 1] into a grid on a matplotlib axis (white = 1).

    Args:
        ax: a matplotlib ``Axes``; images: ``(n, 1, H, W)``; nrow: images per row.

    Returns:
        the ``AxesImage``.
    """
    images = images.detach().cpu().float()
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"expected grey images (n, 1, H, W), got {tuple(images.shape)}")
    n, _, h, w = images.shape
    ncol = nrow
    rows = math.ceil(n / ncol)
    canvas = torch.full((rows * (h + pad) + pad, ncol * (w + pad) + pad), 0.5)
    for i in range(n):
        r, c = divmod(i, ncol)
        canvas[
            pad + r * (h + pad) : pad + r * (h + pad) + h, pad + c * (w + pad) : pad + c * (w + pad) + w
        ] = images[i, 0]
    im = ax.imshow(canvas.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)
    return im


# ---------------------------------------------------------------------------------------
# The GAN of the chapter's AE vs VAE vs GAN comparison (trained by a benchmark script)
# ---------------------------------------------------------------------------------------

#: ``course_lib.gan.DCGANConfig`` and ``GANTrainConfig`` options of the comparison GAN.
COMPARISON_GAN_MODEL = dict(latent_dim=16, channels=16)
COMPARISON_GAN_TRAIN = dict(steps=1500, batch_size=128, seed=0)
#: sha256 of ``benchmarks/checkpoints/vae_dcgan_digits.pt`` (from ``benchmarks/vae_gan_checkpoint.py``).
COMPARISON_GAN_SHA256 = "e3c4f491f2a7c81ce554f06346f507afbbc2c8a782b21b2e0550ab80c9c7209a"
_CHECKPOINT = Path(__file__).resolve().parents[1] / "benchmarks" / "checkpoints" / "vae_dcgan_digits.pt"


def pretrained_comparison_gan(path: str | Path | None = None, train_if_missing: bool = True):
    """The DCGAN generator (``course_lib.gan``) of the AE vs VAE vs GAN comparison, in eval mode.

    Loads ``benchmarks/checkpoints/vae_dcgan_digits.pt`` after checking its sha256 (from the
    repository, else the user cache, else downloaded into it). Where the checkpoint cannot be
    had and ``train_if_missing``, trains the same GAN with the same settings instead (minutes
    on a CPU).

    Returns:
        ``(generator, info)`` where ``info`` says ``"checkpoint"`` or ``"trained"``.

    Raises:
        ValueError: the file exists but its sha256 differs (a corrupted or stale checkpoint).
        FileNotFoundError: no checkpoint and ``train_if_missing=False``.
    """
    from course_lib.gan import DCGANConfig, DCGANDiscriminator, DCGANGenerator, GANTrainConfig, train_gan

    cfg = DCGANConfig(**COMPARISON_GAN_MODEL)
    if path is None:  # the repository's copy, the user cache, or a download into the cache
        try:
            path = committed_checkpoint(_CHECKPOINT.name, COMPARISON_GAN_SHA256)
        except FileNotFoundError:
            path = _CHECKPOINT
    path = Path(path)
    gen = DCGANGenerator(cfg)
    if path.exists():
        remedy = "Re-run benchmarks/vae_gan_checkpoint.py or restore the committed file."
        gen.load_state_dict(load_verified(path, COMPARISON_GAN_SHA256, remedy=remedy))
        return gen.eval(), "checkpoint"
    if not train_if_missing:
        raise FileNotFoundError(f"no checkpoint at {path}; run benchmarks/vae_gan_checkpoint.py")
    from course_lib.data import load_digits_images

    torch.manual_seed(COMPARISON_GAN_TRAIN["seed"])
    gen = DCGANGenerator(cfg)
    train_gan(
        gen,
        DCGANDiscriminator(cfg),
        load_digits_images().x_train * 2 - 1,
        GANTrainConfig(**COMPARISON_GAN_TRAIN),
    )
    return gen.eval(), "trained"

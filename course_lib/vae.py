"""Variational autoencoders: the ELBO, its importance-weighted tightening, and posterior collapse.

Chapter: chapters/vae/

- Model: a Gaussian encoder q(z|x) = N(mu(x), diag sigma^2(x)), the prior N(0, I) and an MLP
  decoder p(x|z), trained by maximising the evidence lower bound (ELBO) with the
  reparameterisation trick {cite}`kingma2014vae,rezende2014stochastic`; the same networks trained
  on the reconstruction term alone are the chapter's plain autoencoder.
- Decoder likelihoods (``VAEConfig.likelihood``): ``"bernoulli"`` (for grey levels not normalised
  {cite}`loaizaganem2019cb`), ``"gaussian"`` (a density, not a probability of discrete pixels) and
  ``"dlogistic"``, a logistic integrated over each grey level {cite}`salimans2017pixelcnnpp`: its
  -log p(x) is a code length in nats, so the chapter reports likelihoods with it.
- Objectives, pure functions of tensors: the Gaussian KL, the ELBO with a KL weight beta
  {cite}`higgins2017betavae`, KL warm-up {cite}`bowman2016generating`, free bits
  {cite}`kingma2016iaf`, the bound IWAE_K and active units {cite}`burda2016iwae`.
- Training: :func:`train_vae` and :func:`train_autoencoder`, one loop and one :class:`VAETrainConfig`.
- Conditional VAE (``VAEConfig.n_classes``) {cite}`sohn2015cvae`: the label's one-hot vector is
  concatenated to the encoder's input and to the decoder's input, so p(x | z, y) generates a
  requested class and the ELBO bounds log p(x | y).
- Diagrams: :func:`draw_vae` draws the computation graph with the shapes of a real batch.

For any q(z|x), log p(x) = ELBO(x) + KL(q(z|x) || p(z|x)) >= ELBO(x) with
ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)), and ELBO = IWAE_1 <= IWAE_K <= log p(x).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.diagrams import Diagram, shape
from course_lib.utils import History, make_generator, seeded

LIKELIHOODS = ("bernoulli", "gaussian", "dlogistic")
LOG_2PI = math.log(2 * math.pi)


# --- KL, reparameterisation, likelihoods: pure functions ---------------------------------
def _check_same_shape(mu: torch.Tensor, logvar: torch.Tensor) -> None:
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape")


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
        mu, logvar: ``(..., D)`` mean and log-variance of q (same shape, else ValueError).
        mu_p, logvar_p: those of the other Gaussian, broadcastable; default N(0, I).

    Returns:
        ``(..., D)``, one KL per dimension (sum over the last axis for the total).
    """
    _check_same_shape(mu, logvar)
    mu_p = torch.zeros_like(mu) if mu_p is None else mu_p
    logvar_p = torch.zeros_like(logvar) if logvar_p is None else logvar_p
    return 0.5 * (logvar_p - logvar + (logvar.exp() + (mu - mu_p).pow(2)) / logvar_p.exp() - 1.0)


def reparameterize(
    mu: torch.Tensor, logvar: torch.Tensor, k: int | None = None, seed: int | torch.Generator = 0
) -> torch.Tensor:
    """Draw z = mu + sigma * eps, eps ~ N(0, I): a sample of q that is differentiable in mu and sigma.

    Args:
        mu, logvar: ``(B, D)``.
        k: samples per input: ``None`` gives ``(B, D)``, an int ``(k, B, D)``.
        seed: int or CPU ``torch.Generator`` (pass one generator to successive calls so that the
            draws continue). eps is drawn on the CPU, so the result does not depend on the device.

    Returns:
        ``(B, D)`` or ``(k, B, D)``.
    """
    _check_same_shape(mu, logvar)
    if k is not None and k < 1:
        raise ValueError(f"k must be a positive number of samples, got {k}")
    shape = mu.shape if k is None else (k, *mu.shape)
    eps = torch.randn(shape, generator=make_generator(seed), dtype=mu.dtype).to(mu.device)
    return mu + (0.5 * logvar).exp() * eps


def bernoulli_log_prob(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """x log sigmoid(l) + (1 - x) log sigmoid(-l) elementwise, in nats (= -BCE with logits).

    A log-probability only for binary x; for x in (0, 1) it is an unnormalised score.

    Args:
        x: ``(..., N)`` targets in [0, 1].
        logits: broadcastable to ``x``, e.g. ``(K, ..., N)``.

    Returns:
        elementwise values, of the broadcast shape.
    """
    return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none")


def _binned(x, loc, log_scale, levels: int, log_cdf: Callable, log_mass: Callable) -> torch.Tensor:
    """log P(level x) of a location-scale law integrated over x's bin; edge bins reach +-inf."""
    if levels < 2:
        raise ValueError(f"levels must be >= 2, got {levels}")
    half = 0.5 / (levels - 1)  # half a bin: the levels are 0, 1/(L-1), ..., 1
    inv_s = torch.exp(-log_scale)
    a, b = (x - half - loc) * inv_s, (x + half - loc) * inv_s  # standardised bin edges
    lowest, highest = log_cdf(b), log_cdf(-a)  # log F(b), log(1 - F(a)) for a symmetric law
    return torch.where(x < half, lowest, torch.where(x > 1 - half, highest, log_mass(a, b)))


def _logistic_mass(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # log(sigmoid(b) - sigmoid(a)) = log sigmoid(b) + log sigmoid(-a) + log(1 - exp(a - b))
    return F.logsigmoid(b) + F.logsigmoid(-a) + torch.log(-torch.expm1(a - b).clamp(max=-1e-12))


def _normal_mass(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # log(Phi(b) - Phi(a)), evaluated on the side of the mean where it is accurate
    lcdf = torch.special.log_ndtr
    left = lcdf(b) + torch.log(-torch.expm1(lcdf(a) - lcdf(b)).clamp(max=-1e-300))
    right = lcdf(-a) + torch.log(-torch.expm1(lcdf(-b) - lcdf(-a)).clamp(max=-1e-300))
    return torch.where(a + b < 0, left, right)


def discretized_logistic_log_prob(
    x: torch.Tensor, loc: torch.Tensor, log_scale: torch.Tensor, levels: int = 17
) -> torch.Tensor:
    """Log-probability of the grey level x under a logistic(loc, s) integrated over x's bin.

        P(x) = sigmoid((x + h - loc) / s) - sigmoid((x - h - loc) / s),   h = 1 / (2 (L - 1)),

    with the lowest bin extended to -inf and the highest to +inf, so that the L probabilities
    sum to one {cite}`salimans2017pixelcnnpp`. Computed stably in log space.

    Args:
        x: levels on the grid {0, 1/(L-1), ..., 1}, any shape.
        loc, log_scale: location and log s, broadcastable with ``x``.
        levels: number of grey levels L (17 for the digit images).

    Returns:
        elementwise log P(x) in nats (<= 0), of the broadcast shape.
    """
    return _binned(x, loc, log_scale, levels, F.logsigmoid, _logistic_mass)


def discretized_gaussian_log_prob(
    x: torch.Tensor, loc: torch.Tensor, log_scale: torch.Tensor, levels: int = 17
) -> torch.Tensor:
    """Log-probability of the grey level x under N(loc, s^2) integrated over x's bin, in float64.

    Args:
        x: levels on the grid {0, 1/(L-1), ..., 1}, any shape.
        loc, log_scale: mean and log standard deviation, broadcastable with ``x``.
        levels: number of grey levels L.

    Returns:
        elementwise log P(x) in nats, of the broadcast shape and ``x``'s dtype.
    """
    log_ndtr = torch.special.log_ndtr
    return _binned(x.double(), loc.double(), log_scale.double(), levels, log_ndtr, _normal_mass).to(x.dtype)


# --- The model ---------------------------------------------------------------------------
@dataclass
class VAEConfig:
    """Sizes and likelihood of a :class:`VAE`.

    Attributes:
        x_shape: image shape ``(C, H, W)``.
        z_dim: latent dimension D.
        hidden: width of the MLP encoder and decoder.
        n_layers: hidden layers in each MLP.
        likelihood: ``"bernoulli"``, ``"gaussian"`` or ``"dlogistic"`` (see the module docstring).
        levels: grey levels of the data (``dlogistic``).
        min_log_scale: floor on the decoder's log-scale (``gaussian``, ``dlogistic``).
        n_classes: C > 0 makes a conditional VAE: a one-hot label ``(B, C)`` is concatenated to the
            encoder's input and the decoder's input, and every method then needs labels ``y``.
    """

    x_shape: tuple[int, int, int] = (1, 8, 8)
    z_dim: int = 8
    hidden: int = 256
    n_layers: int = 2
    likelihood: str = "dlogistic"
    levels: int = 17
    min_log_scale: float = -5.0
    n_classes: int = 0

    def __post_init__(self) -> None:
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {self.likelihood!r}")
        if min(self.z_dim, self.hidden, self.n_layers) < 1 or self.n_classes < 0:
            raise ValueError(f"z_dim, hidden and n_layers must be positive and n_classes >= 0, got {self}")

    @property
    def n_pixels(self) -> int:
        """N = C * H * W."""
        return math.prod(self.x_shape)

    @property
    def n_params(self) -> int:
        """P, decoder outputs per pixel: 1 (a Bernoulli logit) or 2 (location, log-scale)."""
        return 1 if self.likelihood == "bernoulli" else 2


def _mlp(d_in: int, hidden: int, n_layers: int, d_out: int) -> nn.Sequential:
    dims = [d_in] + [hidden] * n_layers
    layers = [m for i in range(n_layers) for m in (nn.Linear(dims[i], hidden), nn.ReLU())]
    return nn.Sequential(*layers, nn.Linear(hidden, d_out))


class VAE(nn.Module):
    """Gaussian-encoder VAE for small images, with the decoder likelihood of ``cfg``.

    Shapes: images ``(B, C, H, W)`` in [0, 1], flattened ``(B, N)``; latents ``(B, D)`` or
    ``(K, B, D)``; decoder parameters ``(..., P, N)``; labels ``y`` ``(B,)`` (int64) for a
    conditional model (``cfg.n_classes > 0``), ``None`` otherwise.

    Args:
        cfg: sizes and likelihood.
        seed: seeds the initial weights (the global RNG is left as it was).
    """

    def __init__(self, cfg: VAEConfig, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        with seeded(seed):
            c = cfg.n_classes  # 0: unconditional
            self.encoder = _mlp(cfg.n_pixels + c, cfg.hidden, cfg.n_layers, 2 * cfg.z_dim)  # -> (mu, logvar)
            self.decoder = _mlp(cfg.z_dim + c, cfg.hidden, cfg.n_layers, cfg.n_params * cfg.n_pixels)

    def _with_label(self, h: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """``(..., B, F)`` -> ``(..., B, F + C)``: the one-hot label appended (unchanged if unconditional)."""
        c = self.cfg.n_classes
        if c == 0:
            if y is not None:
                raise ValueError("this VAE is unconditional (n_classes=0): call it without labels y")
            return h
        if y is None or y.dim() != 1 or h.dim() < 2 or len(y) != h.shape[-2]:
            got = None if y is None else tuple(y.shape)
            raise ValueError(f"a conditional VAE needs labels y of shape ({h.shape[-2]},), got {got}")
        if y.dtype != torch.long or y.min() < 0 or y.max() >= c:
            raise ValueError(f"expected int64 labels in [0, {c}), got {y.dtype} in [{y.min()}, {y.max()}]")
        onehot = F.one_hot(y.to(h.device), c).to(h.dtype)  # (B, C)
        return torch.cat([h, onehot.expand(*h.shape[:-1], c)], dim=-1)  # (..., B, F + C)

    def _flat(self, x: torch.Tensor) -> torch.Tensor:  # checked images (B, C, H, W) -> (B, N)
        if x.dim() != 4 or tuple(x.shape[1:]) != tuple(self.cfg.x_shape):
            raise ValueError(f"expected images of shape (B, *{self.cfg.x_shape}), got {tuple(x.shape)}")
        if not torch.is_floating_point(x):
            raise ValueError(f"expected float images in [0, 1], got dtype {x.dtype}; divide by the top level")
        if x.numel() and (x.min() < 0 or x.max() > 1):
            raise ValueError(f"expected pixels in [0, 1], got [{x.min():.3g}, {x.max():.3g}]; rescale them")
        return x.flatten(1)

    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z|x) (q(z|x, y)): images ``(B, C, H, W)`` -> mean and log-variance, each ``(B, D)``."""
        mu, logvar = self.encoder(self._with_label(self._flat(x), y)).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder parameters ``(..., P, N)`` for latents ``(..., D)``; log-scales floored smoothly."""
        if z.shape[-1] != self.cfg.z_dim:
            raise ValueError(f"expected latents with last dimension {self.cfg.z_dim}, got {tuple(z.shape)}")
        params = self.decoder(self._with_label(z, y)).unflatten(-1, (self.cfg.n_params, self.cfg.n_pixels))
        if self.cfg.n_params == 1:
            return params
        loc, raw = params.unbind(-2)
        m = self.cfg.min_log_scale
        return torch.stack([loc, m + F.softplus(raw - m)], dim=-2)  # log-scale >= m

    def log_px_z(self, x_flat: torch.Tensor, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """log p(x|z) in nats: ``x_flat`` ``(B, N)`` and ``z`` ``(..., B, D)`` -> ``(..., B)``."""
        params = self.decode(z, y)
        loc, kind = params[..., 0, :], self.cfg.likelihood
        if kind == "bernoulli":
            return bernoulli_log_prob(x_flat, loc).sum(-1)
        log_s = params[..., 1, :]
        if kind == "dlogistic":
            return discretized_logistic_log_prob(x_flat, loc, log_s, self.cfg.levels).sum(-1)
        # log N(x; loc, s^2) = -1/2 log 2pi - log s - (x - loc)^2 / (2 s^2)
        return (-0.5 * LOG_2PI - log_s - 0.5 * ((x_flat - loc) * torch.exp(-log_s)).pow(2)).sum(-1)

    @torch.no_grad()
    def decode_mean(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Mean image E[x|z] (E[x|z, y]): latents ``(B, D)`` -> ``(B, C, H, W)``."""
        params = self.decode(z, y)
        loc = params[..., 0, :]
        if self.cfg.likelihood == "bernoulli":
            mean = torch.sigmoid(loc)
        elif self.cfg.likelihood == "gaussian":
            mean = loc.clamp(0, 1)
        else:  # the exact mean over the L levels
            grid = torch.linspace(0, 1, self.cfg.levels, device=z.device)  # (L,)
            lp = discretized_logistic_log_prob(grid, loc[..., None], params[..., 1, :, None], self.cfg.levels)
            mean = (lp.softmax(-1) * grid).sum(-1)
        return mean.reshape(-1, *self.cfg.x_shape)

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Mean of p(x | z = mu(x)): images ``(B, C, H, W)`` -> ``(B, C, H, W)``."""
        return self.decode_mean(self.encode(x, y)[0], y)

    @torch.no_grad()
    def sample(
        self, n: int, seed: int | torch.Generator = 0, mean: bool = False, y: torch.Tensor | None = None
    ) -> torch.Tensor:
        """n images ``(n, C, H, W)`` from z ~ p(z), x ~ p(x|z) (E[x|z] if ``mean``); noise from ``seed``.

        A conditional model draws x ~ p(x | z, y) for the requested labels ``y`` ``(n,)``.
        """
        g = make_generator(seed)
        z = torch.randn(n, self.cfg.z_dim, generator=g).to(next(self.parameters()).device)
        if mean:
            return self.decode_mean(z, y)
        params = self.decode(z, y)
        loc = params[..., 0, :]
        u = torch.rand(loc.shape, generator=g).to(loc.device)
        if self.cfg.likelihood == "bernoulli":
            return (u < torch.sigmoid(loc)).float().reshape(-1, *self.cfg.x_shape)
        scale = params[..., 1, :].exp()
        if self.cfg.likelihood == "gaussian":
            x = (loc + scale * torch.randn(loc.shape, generator=g).to(loc.device)).clamp(0, 1)
        else:  # a logistic draw, rounded to the nearest level
            u, top = u.clamp(1e-6, 1 - 1e-6), self.cfg.levels - 1
            x = ((loc + scale * (torch.log(u) - torch.log1p(-u))) * top).round().clamp(0, top) / top
        return x.reshape(-1, *self.cfg.x_shape)


# --- Objectives --------------------------------------------------------------------------
@dataclass
class ElboTerms:
    """Per-example terms of the ELBO (nats) and the scalar training loss.

    Attributes:
        elbo: ``(B,)`` rec - kl, the bound itself (whatever beta or free bits the loss used).
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
        KL'  = sum_j max(lambda, mean_b KL_j)      (free bits lambda per latent dimension)

    beta = 1 and no free bits gives the ELBO itself; beta != 1 gives the beta-VAE objective.

    Args:
        rec: ``(B,)`` log p(x|z) at a reparameterised z ~ q(z|x).
        kl_per_dim: ``(B, D)``.
        beta: weight of the KL term (>= 0).
        free_bits: lambda in nats per latent dimension (>= 0).

    Returns:
        :class:`ElboTerms`.
    """
    if rec.dim() != 1 or kl_per_dim.dim() != 2 or kl_per_dim.shape[0] != rec.shape[0]:
        raise ValueError(
            f"expected rec (B,), kl_per_dim (B, D); got {tuple(rec.shape)}, {tuple(kl_per_dim.shape)}"
        )
    if beta < 0 or free_bits < 0:
        raise ValueError(f"beta and free_bits must be >= 0, got {beta} and {free_bits}")
    kl = kl_per_dim.sum(-1)
    kl_term = kl_per_dim.mean(0).clamp(min=free_bits).sum() if free_bits > 0 else kl.mean()
    loss = -rec.mean() + beta * kl_term
    return ElboTerms(elbo=rec - kl, rec=rec, kl=kl, kl_per_dim=kl_per_dim, loss=loss)


def elbo(
    model: VAE,
    x: torch.Tensor,
    beta: float = 1.0,
    free_bits: float = 0.0,
    seed: int | torch.Generator = 0,
    y: torch.Tensor | None = None,
) -> ElboTerms:
    """ELBO of a batch, one reparameterised sample per image: E_q[log p(x|z)] - KL(q(z|x) || N(0, I)).

    Args:
        model: a :class:`VAE`.
        x: ``(B, C, H, W)`` in [0, 1].
        beta, free_bits: the loss's KL weight and floor (see :func:`elbo_terms`).
        seed: int or CPU ``torch.Generator`` for the reparameterisation noise.
        y: ``(B,)`` labels for a conditional model (its ELBO bounds log p(x | y)), else ``None``.

    Returns:
        :class:`ElboTerms`; ``terms.loss.backward()`` trains encoder and decoder jointly.
    """
    mu, logvar = model.encode(x, y)  # (B, D) each
    z = reparameterize(mu, logvar, seed=seed)  # (B, D)
    rec = model.log_px_z(x.flatten(1), z, y)  # (B,)
    return elbo_terms(rec, gaussian_kl(mu, logvar), beta=beta, free_bits=free_bits)


@torch.no_grad()
def iwae_bound(
    model: VAE,
    x: torch.Tensor,
    k: int,
    chunk: int = 250,
    seed: int | torch.Generator = 0,
    y: torch.Tensor | None = None,
) -> torch.Tensor:
    """Importance-weighted bound IWAE_K per image, in nats {cite}`burda2016iwae`.

        IWAE_K(x) = log (1/K) sum_k w_k,   w_k = p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x),

    computed as logsumexp(log w) - log K: a lower bound on log p(x) for every K, the one-sample
    ELBO for K = 1, non-decreasing in K in expectation. Samples are drawn ``chunk`` at a time and
    combined by a running logsumexp, so memory does not grow with K.

    Args:
        model: a :class:`VAE`.
        x: ``(B, C, H, W)``.
        k: number of importance samples (a positive int).
        chunk: samples per forward pass.
        seed: int or CPU ``torch.Generator`` for the samples.
        y: ``(B,)`` labels for a conditional model (a bound on log p(x | y)), else ``None``.

    Returns:
        ``(B,)``.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer number of importance samples, got {k!r}")
    g = make_generator(seed)
    mu, logvar = model.encode(x, y)  # (B, D)
    total = torch.full((x.shape[0],), -math.inf, device=x.device)
    for done in range(0, k, chunk):
        z = reparameterize(mu, logvar, k=min(chunk, k - done), seed=g)  # (kk, B, D)
        log_pz = (-0.5 * (z.pow(2) + LOG_2PI)).sum(-1)  # (kk, B)
        log_qz = (-0.5 * ((z - mu).pow(2) / logvar.exp() + logvar + LOG_2PI)).sum(-1)  # (kk, B)
        log_w = model.log_px_z(x.flatten(1), z, y) + log_pz - log_qz  # (kk, B)
        total = torch.logaddexp(total, torch.logsumexp(log_w, dim=0))
    return total - math.log(k)


def kl_warmup(step: int, warmup_steps: int, beta_max: float = 1.0) -> float:
    """Linear KL warm-up {cite}`bowman2016generating`: beta = beta_max * min(1, step / warmup_steps).

    Args:
        step: training steps done (>= 0).
        warmup_steps: length of the ramp (0: no warm-up).
        beta_max: the final weight.

    Returns:
        the KL weight at ``step``.
    """
    if warmup_steps < 0 or step < 0:
        raise ValueError(f"step and warmup_steps must be >= 0, got {step}, {warmup_steps}")
    return beta_max if warmup_steps == 0 else beta_max * min(1.0, step / warmup_steps)


@torch.no_grad()
def active_units(model: VAE, x: torch.Tensor, threshold: float = 0.01) -> tuple[int, torch.Tensor]:
    """Active units {cite}`burda2016iwae`: dimension u is active if Cov_x(E_q[z_u | x]) > threshold.

    Args:
        model: a :class:`VAE`.
        x: ``(B, C, H, W)`` with B >= 2.
        threshold: variance above which a dimension counts as active.

    Returns:
        ``(count, variances (D,))``.
    """
    if x.shape[0] < 2:
        raise ValueError(f"need at least 2 images to measure a variance, got {x.shape[0]}")
    var = model.encode(x)[0].var(dim=0)  # (D,)
    return int((var > threshold).sum()), var


# --- Training: one loop for the family ---------------------------------------------------
@dataclass
class VAETrainConfig:
    """Settings of :func:`train_vae` and :func:`train_autoencoder` (which uses the first four).

    Attributes:
        epochs: passes over the training images.
        batch_size: images per step (minibatches without replacement).
        lr: Adam's learning rate (one optimizer on all parameters).
        seed: seeds the minibatch order and the reparameterisation noise.
        beta: KL weight (1: the ELBO).
        free_bits: floor in nats on each latent dimension's KL term (None: no floor).
        warmup_steps: linear KL warm-up over this many steps (0: none).
    """

    epochs: int = 100
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    beta: float = 1.0
    free_bits: float | None = None
    warmup_steps: int = 0

    def __post_init__(self) -> None:
        if min(self.epochs, self.batch_size) < 1 or self.lr <= 0:
            raise ValueError(f"epochs, batch_size and lr must be positive, got {self}")


def _train(
    model: VAE,
    data: torch.Tensor,
    config: VAETrainConfig,
    autoencoder: bool,
    labels: torch.Tensor | None = None,
) -> History:
    """The one loop of the family: Adam on all parameters, minibatches without replacement."""
    if labels is not None and len(labels) != len(data):
        raise ValueError(f"need one label per image: {len(labels)} labels for {len(data)} images")
    dev = next(model.parameters()).device
    order, noise = make_generator(config.seed), make_generator(config.seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    data, history, step = data.to(dev), History(), 0
    model.train()
    with history.timed():
        for _ in range(config.epochs):
            for idx in torch.randperm(len(data), generator=order).split(config.batch_size):
                x, y = data[idx], None if labels is None else labels[idx]
                if autoencoder:  # z = mu(x): no prior, no noise
                    terms = {"loss": -model.log_px_z(x.flatten(1), model.encode(x, y)[0], y).mean()}
                else:
                    beta = kl_warmup(step, config.warmup_steps, config.beta)
                    t = elbo(model, x, beta=beta, free_bits=config.free_bits or 0.0, seed=noise, y=y)
                    terms = {"loss": t.loss, "elbo": t.elbo.mean(), "rec": t.rec.mean(), "kl": t.kl.mean()}
                opt.zero_grad()
                terms["loss"].backward()
                opt.step()
                history.add(**{name: v.detach() for name, v in terms.items()})
                step += 1
    model.eval()
    return history


def train_vae(
    model: VAE, data: torch.Tensor, config: VAETrainConfig, labels: torch.Tensor | None = None
) -> History:
    """Maximise the ELBO (with beta, warm-up, free bits) by Adam on all parameters, in place.

    Args:
        model: a :class:`VAE` on its device (left in eval mode).
        data: ``(n, C, H, W)`` training images in [0, 1].
        config: :class:`VAETrainConfig`.
        labels: ``(n,)`` int64 labels, needed by a conditional model (``cfg.n_classes > 0``).

    Returns:
        :class:`~course_lib.utils.History` with per-step batch means of ``loss``, ``elbo``,
        ``rec`` and ``kl`` (nats per image).
    """
    return _train(model, data, config, autoencoder=False, labels=labels)


def train_autoencoder(model: VAE, data: torch.Tensor, config: VAETrainConfig) -> History:
    """Train a :class:`VAE`'s networks as a plain autoencoder: minimise -log p(x | z = mu(x)).

    No prior, no noise: the code is the encoder mean; the model defines no likelihood.

    Args:
        model: a :class:`VAE` on its device, trained in place (left in eval mode).
        data: ``(n, C, H, W)`` training images in [0, 1].
        config: :class:`VAETrainConfig` (``beta``, ``warmup_steps`` and ``free_bits`` unused).

    Returns:
        :class:`~course_lib.utils.History` with the per-step batch mean ``loss`` (nats per image).
    """
    return _train(model, data, config, autoencoder=True)


def show_images(ax, images: torch.Tensor, nrow: int, title: str | None = None, pad: int = 1):
    """Tile grey images in [0, 1] into a grid on a matplotlib axis (dark = 1, grey separators).

    Args:
        ax: a matplotlib ``Axes``.
        images: ``(n, 1, H, W)``.
        nrow: images per row.
        title: the axis title.
        pad: pixels between images.

    Returns:
        the ``AxesImage``.
    """
    x = images.detach().cpu().float()
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f"expected grey images (n, 1, H, W), got {tuple(x.shape)}")
    rows = -(-len(x) // nrow)
    x = torch.cat([x[:, 0], torch.full((rows * nrow - len(x), *x.shape[2:]), 0.5)])  # (rows * nrow, H, W)
    x = F.pad(x, (pad, 0, pad, 0), value=0.5)  # a separator above and left of each image
    h, w = x.shape[1:]
    grid = x.reshape(rows, nrow, h, w).transpose(1, 2).reshape(rows * h, nrow * w)  # (rows h, nrow w)
    grid = F.pad(grid, (0, pad, 0, pad), value=0.5)  # close the last row and column
    ax.set(xticks=[], yticks=[], title=title or "")
    return ax.imshow(grid.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")


# --- The computation graph as a diagram --------------------------------------------------
@torch.no_grad()
def draw_vae(model: VAE, x: torch.Tensor, y: torch.Tensor | None = None) -> plt.Figure:
    """The VAE's computation graph for one batch, every label a shape measured on that batch.

    x -> encoder -> (mu, logvar) -> z = mu + sigma * eps -> decoder -> log p(x|z), and
    KL(q(z|x) || p(z)) from (mu, logvar); both terms make the loss -ELBO. Gradient paths are
    dashed; eps is a sampled input and lies off them. A conditional model (``cfg.n_classes > 0``)
    gets the one-hot label, concatenated to the encoder's and the decoder's inputs
    {cite}`sohn2015cvae`.

    Args:
        model: a :class:`VAE` (trained or not: the shapes are the same).
        x: ``(B, C, H, W)`` a batch of images in [0, 1].
        y: ``(B,)`` labels, for a conditional model only.

    Returns:
        the figure.
    """
    cfg, cond = model.cfg, model.cfg.n_classes > 0
    h = model.encoder(model._with_label(model._flat(x), y))  # (B, 2D)
    mu, logvar = model.encode(x, y)  # (B, D) each
    params = model.decode(mu, y)  # (B, P, N)
    rec, kl = model.log_px_z(x.flatten(1), mu, y), gaussian_kl(mu, logvar).sum(-1)  # (B,) each
    c, dy, given = (f" + C={cfg.n_classes}", 0.7, ",y") if cond else ("", 0.0, "")
    name = "Conditional VAE" if cond else "VAE"
    d = Diagram(11.6, 8.4 + dy, f"{name}: one training step, batch of {len(x)}")
    top, mid, low = 5.9 + dy, 3.9 + dy, 1.9 + dy
    d.box("x", 1.5, mid, f"images x\n{shape(x, 'B,C,H,W')}", "data", w=2.8)
    enc, dec = (
        f"(B, N={cfg.n_pixels}{c})\n→ {shape(h, 'B,2D')}",
        f"(B, D={cfg.z_dim}{c})\n→ {shape(params, 'B,P,N')}",
    )
    d.box("enc", 2.9, top, f"encoder MLP\n{enc}", "net", w=3.0, h=1.2)
    d.box("ml", 6.5, top, f"μ, log σ²\n{shape(mu, 'B,D')} each", "data", w=2.4, h=0.9)
    d.box("eps", 9.7, top + 1.6, f"ε ~ N(0, I)\n{shape(mu, 'B,D')}", "data", w=2.1, h=0.9)
    d.box("rep", 9.7, top, "z = μ\n+ σ⊙ε", "op", w=1.4, h=1.4)
    d.box("z", 9.7, low, f"z {shape(mu, 'B,D')}", "data", w=2.1, h=0.7)
    d.box("dec", 6.3, low, f"decoder MLP\n{dec}", "net", w=3.0, h=1.2)
    d.box("rec", 2.5, low, f"log p(x|z{given})\n{shape(rec, 'B')}", "loss", w=1.9, h=0.9)
    d.box("kl", 8.0, mid, f"KL(q(z|x{given}) ‖ p(z))\n{shape(kl, 'B')}", "loss", w=2.5, h=0.9)
    d.box("loss", 4.9, mid, "−ELBO = batch mean\nof KL − log p", "loss", w=2.7, h=1.0)
    d.arrow("x", "enc", "flatten", offset=(-0.45, 0)).arrow("x", "rec", "targets", offset=(-0.55, -0.1))
    d.arrow("enc", "ml").arrow("ml", "rep").arrow("eps", "rep", "no gradient", offset=(0.95, -0.1))
    d.arrow("ml", "kl").arrow("rep", "z").arrow("z", "dec").arrow("dec", "rec")
    d.arrow("rec", "loss").arrow("kl", "loss")
    d.arrow("dec", "z", grad=True, bend=0.4).arrow("z", "rep", grad=True, bend=0.3)
    d.arrow("rep", "ml", grad=True, bend=0.4).arrow("kl", "ml", grad=True, bend=-0.5)
    d.arrow("ml", "enc", grad=True, bend=0.4, label="∂/∂φ", offset=(0, 0.2))
    d.arrow("rec", "dec", grad=True, bend=0.4, label="∂/∂θ", offset=(0, -0.75))
    if cond:
        onehot = shape(F.one_hot(y, cfg.n_classes), "B,C")
        d.box("y1", 2.9, top + 1.6, f"label y, one-hot\n{onehot}", "data", w=2.6, h=0.9)
        d.box("y2", 6.3, low - 1.35, f"label y, one-hot {onehot}", "data", w=3.6, h=0.6)
        d.arrow("y1", "enc", "concat", offset=(0.55, -0.1)).arrow("y2", "dec", "concat", offset=(0.55, -0.15))
    d.legend(("data", "net", "op", "loss", "forward", "grad"))
    return d.figure()

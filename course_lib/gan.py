"""Generative adversarial networks: losses, small networks, stabilisers and one training loop.

Chapters: chapters/gan/ (reads it top to bottom), chapters/vae/, chapters/gan_beyond/

The game {cite}`goodfellow2014gan`: V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))], min_G max_D V,
with D = sigmoid(l) for the logit l a discriminator outputs; the losses take logits. Networks: MLPs
for the 2-D mixtures of {cite}`srivastava2017veegan,lin2018pacgan`, a DCGAN {cite}`radford2016dcgan`
for 8x8 digits. Stabilisers, options of the networks and of :func:`train_gan`: one-sided label
smoothing, minibatch discrimination, feature matching {cite}`salimans2016improved`, WGAN-GP
{cite}`arjovsky2017wgan,gulrajani2017wgangp`, spectral normalisation {cite}`miyato2018spectral`,
packing {cite}`lin2018pacgan`, instance noise {cite}`arjovsky2017principled,sonderby2017amortised`,
replay of old fakes {cite}`shrivastava2017simgan`, historical averaging {cite}`salimans2016improved`, two
time-scale learning rates {cite}`heusel2017gans`. A conditional GAN {cite}`mirza2014cgan` for labelled
images, and the diagrams of the chapter drawn from real networks (:func:`draw_gan_graph`,
:func:`draw_dcgan`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import FancyArrowPatch
from torch import nn

from course_lib import checkpoints
from course_lib.diagrams import COLOURS, Diagram, shape
from course_lib.utils import History, make_generator, seeded


def _logits(name: str, logits: torch.Tensor) -> torch.Tensor:
    logits = torch.as_tensor(logits)
    if not logits.is_floating_point():
        raise TypeError(f"{name} must be a float tensor of logits, got dtype {logits.dtype}")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty; pass the discriminator's logits on a non-empty batch")
    return logits


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Discriminator loss -V on a batch: mean BCE(l_real, 1 - s) + mean BCE(l_fake, 0).

    With s = 0 it is mean softplus(-l_real) + mean softplus(l_fake), 2 log 2 at D = 1/2.
    One-sided label smoothing (s > 0) lowers the real target only.

    Args:
        real_logits: logits on real samples ``(B,)``.
        fake_logits: logits on generated samples ``(B',)``.
        label_smoothing: s in [0, 1); 0.1 is a common choice.

    Returns:
        the scalar loss (nats). Raises ValueError for s outside [0, 1) or an empty batch,
        TypeError for integer labels instead of logits.
    """
    real_logits, fake_logits = _logits("real_logits", real_logits), _logits("fake_logits", fake_logits)
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    bce, target = F.binary_cross_entropy_with_logits, torch.full_like(real_logits, 1 - label_smoothing)
    return bce(real_logits, target) + bce(fake_logits, torch.zeros_like(fake_logits))


def g_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Saturating generator loss mean log(1 - D(G(z))); its gradient -D(G(z)) vanishes on rejected fakes.

    Args:
        fake_logits: logits on generated samples ``(B,)``.

    Returns:
        the scalar loss, -mean softplus(l).
    """
    return -F.softplus(_logits("fake_logits", fake_logits)).mean()


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss -mean log D(G(z)): same fixed point, gradient -(1 - D(G(z))).

    Args:
        fake_logits: logits on generated samples ``(B,)``.

    Returns:
        the scalar loss, mean softplus(-l).
    """
    return F.softplus(-_logits("fake_logits", fake_logits)).mean()


def wgan_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss mean f(G(z)) - mean f(x), for a (nearly) 1-Lipschitz critic f.

    Args:
        real_scores: critic scores (no sigmoid) on real samples ``(B,)``.
        fake_scores: critic scores on generated samples ``(B',)``.

    Returns:
        the scalar loss: minus the critic's estimate of the Wasserstein-1 distance.
    """
    return _logits("fake_scores", fake_scores).mean() - _logits("real_scores", real_scores).mean()


def wgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss -mean f(G(z)).

    Args:
        fake_scores: critic scores on generated samples ``(B,)``.

    Returns:
        the scalar loss.
    """
    return -_logits("fake_scores", fake_scores).mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    generator: int | torch.Generator = 0,
) -> torch.Tensor:
    """WGAN-GP's penalty mean (||∇f(x̂)||₂ - 1)² at x̂ = ε x + (1 - ε) x_fake, ε ~ U[0, 1], without λ.

    The graph is kept so the penalty trains the critic; ``real`` and ``fake`` are detached.

    Args:
        critic: maps ``(B, ...)`` to scores ``(B,)``.
        real: real samples ``(B, ...)``.
        fake: generated samples, the same shape.
        generator: seed or ``torch.Generator`` for ε.

    Returns:
        the scalar penalty. Raises ValueError when the shapes differ.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} must have the same shape")
    b = real.shape[0]
    eps = torch.rand(b, generator=make_generator(generator)).to(real.device, real.dtype)
    eps = eps.view(b, *([1] * (real.dim() - 1)))  # (B, 1, ..., 1)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.reshape(b, -1).norm(2, dim=1) - 1.0) ** 2).mean()


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """The best discriminator for a fixed generator, D* = p_data / (p_data + p_g).

    Args:
        p_data: data density at some points ``(N,)`` (any shape).
        p_g: generator density at the same points, same shape.

    Returns:
        D* at those points, NaN where both densities are 0. Raises ValueError for shapes
        that differ or negative densities.
    """
    p_data, p_g = torch.as_tensor(p_data), torch.as_tensor(p_g)
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data {tuple(p_data.shape)} and p_g {tuple(p_g.shape)} must have the same shape")
    if (p_data < 0).any() or (p_g < 0).any():
        raise ValueError("densities must be non-negative")
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), torch.nan)


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN packing: concatenate ``m`` consecutive samples so that D judges them jointly.

    Args:
        x: samples ``(B, ...)``, B a multiple of ``m``.
        m: packing degree (1 only flattens each sample).

    Returns:
        ``(B // m, m * D)``, D the size of one flattened sample.
    """
    if m < 1 or x.shape[0] % m:
        raise ValueError(f"cannot pack {x.shape[0]} samples in groups of {m}; use m >= 1 dividing the batch")
    return x.reshape(x.shape[0] // m, -1)


def _check_shape(x: torch.Tensor, shape: tuple[int, ...], what: str) -> None:
    if tuple(x.shape[1:]) != shape or x.dim() != len(shape) + 1:
        raise ValueError(f"expected {what} of shape (B, {', '.join(map(str, shape))}), got {tuple(x.shape)}")


@dataclass
class MLPConfig:
    """Sizes and options of the MLP discriminator and generator for low-dimensional data.

    Attributes:
        data_dim: dimension of one sample (2 for the mixtures).
        latent_dim: dimension of the generator's Gaussian noise z.
        d_hidden: width of the discriminator's hidden layers.
        d_layers: number of hidden layers of the discriminator.
        minibatch_kernels: minibatch discrimination, k features per sample saying how close the rest
            of its batch is, so that collapse stands out (None: off).
        spectral_norm: spectral normalisation on every discriminator linear layer.
        pack: PacGAN packing degree m (1 = plain discriminator).
        g_hidden: width of the generator's hidden layers.
        g_layers: number of hidden layers of the generator.
        g_batchnorm: batch norm after every hidden layer of the generator.
    """

    data_dim: int = 2
    latent_dim: int = 2
    d_hidden: int = 128
    d_layers: int = 2
    minibatch_kernels: int | None = None
    spectral_norm: bool = False
    pack: int = 1
    g_hidden: int = 128
    g_layers: int = 3
    g_batchnorm: bool = False


def _blocks(width: int, hidden: int, n: int, block: Callable[[int, int], list[nn.Module]]) -> list[nn.Module]:
    """``n`` hidden blocks ``block(in, out)``: ``width`` → ``hidden`` → ... → ``hidden`` units."""
    return [layer for i in range(n) for layer in block(width if i == 0 else hidden, hidden)]


class MLPGenerator(nn.Module):
    """Noise z ~ N(0, I) → ReLU MLP (batch norm optional) → a sample, linear output.

    Args:
        cfg: an :class:`MLPConfig`.
    """

    def __init__(self, cfg: MLPConfig):
        super().__init__()
        self.cfg, bn = cfg, cfg.g_batchnorm
        block = lambda i, o: [nn.Linear(i, o, bias=not bn), *([nn.BatchNorm1d(o)] if bn else []), nn.ReLU()]
        hidden = _blocks(cfg.latent_dim, cfg.g_hidden, cfg.g_layers, block)
        self.net = nn.Sequential(*hidden, nn.Linear(cfg.g_hidden, cfg.data_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Noise ``(B, latent_dim)`` -> samples ``(B, data_dim)``."""
        _check_shape(z, (self.cfg.latent_dim,), "noise")
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """LeakyReLU MLP returning one *logit* per input, no sigmoid.

    Args:
        cfg: an :class:`MLPConfig`; with ``pack = m`` it judges groups of m samples jointly, one logit
            per group.
    """

    def __init__(self, cfg: MLPConfig):
        super().__init__()
        self.cfg = cfg
        sn = nn.utils.parametrizations.spectral_norm if cfg.spectral_norm else (lambda m: m)
        block = lambda i, o: [sn(nn.Linear(i, o)), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*_blocks(cfg.data_dim * cfg.pack, cfg.d_hidden, cfg.d_layers, block))
        k = cfg.minibatch_kernels or 0  # minibatch discrimination: a projection T to k kernels of size 8
        self.mbd = nn.Parameter(torch.randn(cfg.d_hidden, k * 8) * 0.1) if k else None
        self.head = sn(nn.Linear(cfg.d_hidden + k, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer: samples ``(B, data_dim)`` -> ``(B // pack, d_hidden)``."""
        _check_shape(x, (self.cfg.data_dim,), "samples")
        return self.body(pack(x, self.cfg.pack))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Samples ``(B, data_dim)`` -> logits ``(B // pack,)``."""
        h = self.features(x)
        if self.mbd is not None:  # append o_b(i) = sum_{j != i} exp(-||M_ib - M_jb||_1), M_i = h_i T
            m = (h @ self.mbd).view(len(h), -1, 8)  # (N, k, 8)
            h = torch.cat([h, torch.exp(-(m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(-1)).sum(1) - 1.0], 1)
        return self.head(h).squeeze(1)


@dataclass
class DCGANConfig:
    """Sizes of the DCGAN for 8x8 grey images in [-1, 1].

    Attributes:
        latent_dim: dimension of the noise z.
        channels: base width c.
    """

    latent_dim: int = 32
    channels: int = 32


class DCGANGenerator(nn.Module):
    """DCGAN generator: noise → 8x8 image in [-1, 1].

    z → linear → (4c, 2, 2) → (2c, 4, 4) → (1, 8, 8), transposed convolutions, batch norm, tanh out.

    Args:
        cfg: a :class:`DCGANConfig`.
    """

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg, c = cfg, cfg.channels
        self.fc = nn.Sequential(nn.Linear(cfg.latent_dim, 16 * c, bias=False), nn.BatchNorm1d(16 * c))
        self.net = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(4 * c, 2 * c, 4, stride=2, padding=1, bias=False),  # (B, 2c, 4, 4)
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * c, 1, 4, stride=2, padding=1),  # (B, 1, 8, 8)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Noise ``(B, latent_dim)`` -> images ``(B, 1, 8, 8)`` in [-1, 1]."""
        _check_shape(z, (self.cfg.latent_dim,), "noise")
        return self.net(self.fc(z).view(-1, 4 * self.cfg.channels, 2, 2))


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: 8x8 image → one logit.

    The generator's mirror image: strided convolutions (1, 8, 8) → (2c, 4, 4) → (4c, 2, 2), batch
    norm on the inner layer, LeakyReLU(0.2), then a linear layer to the logit.

    Args:
        cfg: a :class:`DCGANConfig`.
    """

    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg, c = cfg, cfg.channels
        self.body = nn.Sequential(
            nn.Conv2d(1, 2 * c, 4, stride=2, padding=1),  # (B, 2c, 4, 4)
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1, bias=False),  # (B, 4c, 2, 2)
            nn.BatchNorm2d(4 * c),
            nn.LeakyReLU(0.2),
            nn.Flatten(),  # (B, 16c)
        )
        self.head = nn.Linear(16 * c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Images ``(B, 1, 8, 8)`` in [-1, 1] -> logits ``(B,)``."""
        _check_shape(x, (1, 8, 8), "images in [-1, 1]")
        return self.head(self.body(x)).squeeze(1)


@dataclass
class CGANConfig:
    """Sizes of the conditional MLP GAN {cite}`mirza2014cgan` for flattened images and class labels.

    Attributes:
        image_dim: pixels of one flattened image (64 for the 8x8 digits).
        n_classes: number of labels C.
        z_dim: dimension of the Gaussian noise z given to the generator with the label.
        hidden: width of the two hidden layers of both networks.
    """

    image_dim: int = 64
    n_classes: int = 10
    z_dim: int = 16
    hidden: int = 256

    @property
    def latent_dim(self) -> int:
        """Noise per sample drawn by :func:`train_gan` and :func:`sample`: 1 for the label, z_dim for z."""
        return 1 + self.z_dim

    @property
    def data_dim(self) -> int:
        """Size of one training pair [flat image, one-hot label]."""
        return self.image_dim + self.n_classes


def labelled_pairs(images: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Labelled images as the pairs a conditional GAN learns: [flattened image, one-hot label].

    Args:
        images: ``(B, ...)``, e.g. ``(B, 1, 8, 8)`` in [-1, 1].
        labels: integer labels ``(B,)`` in [0, n_classes).
        n_classes: number of labels C, the length of the one-hot code.

    Returns:
        ``(B, pixels + n_classes)``. Raises ValueError when the batch sizes differ.
    """
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels; pass one label per image")
    return torch.cat([images.flatten(1), F.one_hot(labels.long(), n_classes).to(images.dtype)], 1)


class ConditionalGenerator(nn.Module):
    """G(z, y): noise and a one-hot label → a flat image in [-1, 1]; ReLU MLP, batch norm, tanh output.

    For :func:`train_gan` and :func:`sample` it is an ordinary sampler of pairs (x, y): from noise
    ``(B, 1 + z_dim)`` it reads the label off the first coordinate u, y = floor(C Φ(u)), uniform over
    the C classes because Φ(u) ~ U(0, 1), and returns [G(z, y), one-hot y]. A conditional GAN is a
    GAN on labelled pairs whose generator is handed the label.

    Args:
        cfg: a :class:`CGANConfig`.
    """

    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.cfg, h = cfg, cfg.hidden
        self.net = nn.Sequential(
            nn.Linear(cfg.z_dim + cfg.n_classes, h), nn.BatchNorm1d(h), nn.ReLU(),
            nn.Linear(h, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, cfg.image_dim), nn.Tanh(),
        )  # fmt: skip

    def generate(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Noise ``(B, z_dim)`` and requested labels ``(B,)`` -> flat images ``(B, image_dim)``."""
        _check_shape(z, (self.cfg.z_dim,), "noise z")
        return self.net(torch.cat([z, F.one_hot(labels.long(), self.cfg.n_classes).to(z.dtype)], 1))

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        """Noise ``(B, 1 + z_dim)`` -> pairs ``(B, image_dim + n_classes)``, labels drawn uniformly."""
        _check_shape(noise, (self.cfg.latent_dim,), "noise")
        phi = 0.5 * (1 + torch.erf(noise[:, 0] / math.sqrt(2)))  # Φ(u) ~ U(0, 1): (B,)
        y = (phi * self.cfg.n_classes).long().clamp(max=self.cfg.n_classes - 1)
        onehot = F.one_hot(y, self.cfg.n_classes).to(noise.dtype)  # (B, C)
        return torch.cat([self.generate(noise[:, 1:], y), onehot], 1)


class ConditionalDiscriminator(nn.Module):
    """D(x, y): a LeakyReLU MLP on the pair [flat image, one-hot label] → one logit.

    Args:
        cfg: a :class:`CGANConfig`.
    """

    def __init__(self, cfg: CGANConfig):
        super().__init__()
        self.cfg, h = cfg, cfg.hidden
        self.body = nn.Sequential(nn.Linear(cfg.data_dim, h), nn.LeakyReLU(0.2), nn.Linear(h, h))
        self.body.append(nn.LeakyReLU(0.2))
        self.head = nn.Linear(h, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer: pairs ``(B, image_dim + n_classes)`` -> ``(B, hidden)``."""
        _check_shape(x, (self.cfg.data_dim,), "pairs [flat image, one-hot label]")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pairs ``(B, image_dim + n_classes)`` -> logits ``(B,)``."""
        return self.head(self.features(x)).squeeze(1)


_NETWORKS = {
    MLPConfig: (MLPGenerator, MLPDiscriminator),
    DCGANConfig: (DCGANGenerator, DCGANDiscriminator),
    CGANConfig: (ConditionalGenerator, ConditionalDiscriminator),
}


def build_gan(config: MLPConfig | DCGANConfig | CGANConfig, seed: int = 0) -> tuple[nn.Module, nn.Module]:
    """The generator and discriminator of a config, initialised from ``seed``.

    Args:
        config: an :class:`MLPConfig`, a :class:`DCGANConfig` or a :class:`CGANConfig`.
        seed: seeds the initialisation; the global RNG is left as it was.

    Returns:
        ``(generator, discriminator)``.
    """
    if type(config) not in _NETWORKS:
        raise TypeError(
            f"config must be an MLPConfig, DCGANConfig or CGANConfig, not {type(config).__name__}"
        )
    with seeded(seed):
        return tuple(net(config) for net in _NETWORKS[type(config)])


@dataclass
class GANTrainConfig:
    """Options of :func:`train_gan`; the defaults are a plain non-saturating GAN.

    Attributes:
        steps: generator updates.
        batch_size: samples per discriminator input (times ``pack`` draws when packing).
        lr: generator learning rate (and the discriminator's unless ``lr_d`` is set).
        lr_d: discriminator learning rate (two time-scales: lr_d > lr); None: ``lr``.
        lr_decay: decay both learning rates linearly to 0 over training.
        d_steps: discriminator (critic) updates per generator update.
        betas: Adam betas of both optimizers.
        loss: ``"bce"`` (the minimax game) or ``"wgan-gp"``.
        saturating: the saturating generator loss (``"bce"`` only).
        label_smoothing: one-sided smoothing of the real target (0 = off).
        gp_weight: λ of the gradient penalty (``"wgan-gp"``).
        instance_noise: std of Gaussian noise on both inputs of D, annealed to 0 over half the steps.
        feature_matching: G minimises ||mean h(x) - mean h(G(z))||² for D's last hidden layer h.
        replay: capacity of a buffer of old fakes; half of each fake batch comes from it (None: off).
        historical_averaging: weight λ of λ ||θ - θ̄||² added to each player's loss, θ̄ the mean of
            that player's past parameter values (0: off).
        seed: seeds all sampling during training.
        eval_every: call ``evaluate`` every this many steps (0: only after the last step).
        evaluate: ``evaluate(generator, step) -> {name: value}`` (drawing with :func:`sample`).
    """

    steps: int = 2000
    batch_size: int = 256
    lr: float = 1e-3
    lr_d: float | None = None
    lr_decay: bool = False
    d_steps: int = 1
    betas: tuple[float, float] = (0.5, 0.999)
    loss: Literal["bce", "wgan-gp"] = "bce"
    saturating: bool = False
    label_smoothing: float = 0.0
    gp_weight: float = 10.0
    instance_noise: float = 0.0
    feature_matching: bool = False
    replay: int | None = None
    historical_averaging: float = 0.0
    seed: int = 0
    eval_every: int = 0
    evaluate: Callable[[nn.Module, int], dict[str, float]] | None = None

    def __post_init__(self) -> None:
        if self.loss not in ("bce", "wgan-gp"):
            raise ValueError(f"loss must be 'bce' or 'wgan-gp', got {self.loss!r}")
        if self.loss == "wgan-gp" and (self.saturating or self.label_smoothing or self.feature_matching):
            raise ValueError("saturating / label_smoothing / feature_matching apply to loss='bce' only")
        if self.historical_averaging < 0:
            raise ValueError(f"historical_averaging must be >= 0, got {self.historical_averaging}")


@torch.no_grad()
def sample(generator: nn.Module, n: int, seed: int | torch.Generator = 0) -> torch.Tensor:
    """Draw samples in eval mode (batch norm uses its running statistics), then restore the mode.

    Args:
        generator: a module with ``cfg.latent_dim``.
        n: number of samples.
        seed: seed or ``torch.Generator`` for the noise; the global RNG is untouched.

    Returns:
        ``(n, ...)`` samples on the CPU.
    """
    z = torch.randn(n, generator.cfg.latent_dim, generator=make_generator(seed))
    was_training = generator.training
    out = generator.eval()(z.to(next(generator.parameters()).device)).cpu()
    generator.train(was_training)
    return out


def _replay(pool: torch.Tensor | None, fake: torch.Tensor, capacity: int, g: torch.Generator):
    """Mix a batch of fakes with old ones: ``(mixed batch, new pool)``; half comes from the pool."""
    n, mixed = len(fake), fake
    if pool is not None and len(pool) >= n // 2 and n >= 2:
        old = pool[torch.randint(len(pool), (n // 2,), generator=g).to(pool.device)]
        mixed = torch.cat([fake[: n - n // 2], old])
    if pool is None or len(pool) < capacity:
        return mixed, fake.clone() if pool is None else torch.cat([pool, fake])[:capacity]
    pool[torch.randint(capacity, (n,), generator=g).to(fake.device)] = fake  # overwrite random slots
    return mixed, pool


class _PastMean:
    """Running mean θ̄ of a network's past parameter values, for historical averaging."""

    def __init__(self, net: nn.Module):
        self.params, self.n = list(net.parameters()), 1
        self.mean = [p.detach().clone() for p in self.params]

    def penalty(self) -> torch.Tensor:  # ||θ - θ̄||², summed over every parameter
        return sum((p - m).pow(2).sum() for p, m in zip(self.params, self.mean, strict=True))

    def update(self) -> None:  # θ̄ ← θ̄ + (θ - θ̄) / n, the mean of θ[1..n]
        self.n += 1
        for p, m in zip(self.params, self.mean, strict=True):
            m.add_((p.detach() - m) / self.n)


def train_gan(model: tuple[nn.Module, nn.Module], data: torch.Tensor, config: GANTrainConfig) -> History:
    """Train a GAN with the plain alternating loop, one Adam optimizer per network.

    Each step: ``d_steps`` discriminator updates on real data and *detached* fakes (D's loss must
    not move G), then one generator update on fresh noise through D (only G's optimizer steps).

    Args:
        model: ``(generator, discriminator)`` on one device, trained in place; D maps ``(B, ...)`` to
            logits ``(B // cfg.pack,)`` and, for feature matching, has ``features``.
        data: the real training set ``(N, ...)``; batches are drawn with replacement.
        config: a :class:`GANTrainConfig`.

    Returns:
        a :class:`~course_lib.utils.History`: losses ``"d"`` and ``"g"`` per step, the
        ``evaluate`` results as metrics. Both networks are left in eval mode.
    """
    gen, disc = model
    cfg, g = config, make_generator(config.seed)
    dev = next(gen.parameters()).device
    data, m = data.to(dev), getattr(getattr(disc, "cfg", None), "pack", 1)
    n_draw, latent, anneal = cfg.batch_size * m, gen.cfg.latent_dim, max(1.0, 0.5 * cfg.steps)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=cfg.betas)
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_d or cfg.lr, betas=cfg.betas)
    decay = (lambda s: 1.0 - s / cfg.steps) if cfg.lr_decay else (lambda s: 1.0)
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_g, opt_d)]
    real_batch = lambda: data[torch.randint(len(data), (n_draw,), generator=g).to(dev)]  # noqa: E731
    noise = lambda: torch.randn(n_draw, latent, generator=g).to(dev)  # noqa: E731
    noisy = lambda x, std: x + std * torch.randn(x.shape, generator=g).to(dev) if std > 0 else x  # noqa: E731
    hist, pool, ha = History(), None, cfg.historical_averaging
    past_g, past_d = (_PastMean(gen), _PastMean(disc)) if ha else (None, None)
    gen.train()
    disc.train()
    with seeded(cfg.seed), hist.timed():
        for step in range(1, cfg.steps + 1):
            std = cfg.instance_noise * max(0.0, 1.0 - (step - 1) / anneal)
            for _ in range(cfg.d_steps):  # discriminator (critic): minimise L_D with G fixed
                real, fake = real_batch(), gen(noise()).detach()
                if cfg.replay:
                    fake, pool = _replay(pool, fake, cfg.replay, g)
                real, fake = noisy(real, std), noisy(fake, std)
                if cfg.loss == "bce":
                    loss_d = discriminator_loss(disc(real), disc(fake), cfg.label_smoothing)
                else:  # WGAN-GP, one ε per pack
                    critic = lambda x, shape=real.shape: disc(x.reshape(shape))  # noqa: E731
                    gp = gradient_penalty(critic, pack(real, m), pack(fake, m), generator=g)
                    loss_d = wgan_critic_loss(disc(real), disc(fake)) + cfg.gp_weight * gp
                if ha:
                    loss_d = loss_d + ha * past_d.penalty()
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
                if ha:
                    past_d.update()
            fake = gen(noise())  # generator: fool the fixed discriminator
            if cfg.feature_matching:
                h_real, h_fake = disc.features(real_batch()).detach(), disc.features(fake)
                loss_g = (h_real.mean(0) - h_fake.mean(0)).pow(2).sum()
            elif cfg.loss == "bce":
                loss_g = (g_loss_saturating if cfg.saturating else g_loss_nonsaturating)(
                    disc(noisy(fake, std))
                )
            else:
                loss_g = wgan_generator_loss(disc(fake))
            if ha:
                loss_g = loss_g + ha * past_g.penalty()
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            if ha:
                past_g.update()
            for sched in scheds:
                sched.step()
            hist.add(d=loss_d.detach(), g=loss_g.detach())
            if cfg.evaluate and (step == cfg.steps or (cfg.eval_every and step % cfg.eval_every == 0)):
                hist.add_metric(step, **cfg.evaluate(gen, step))
    gen.eval()
    disc.eval()
    return hist


def pretrained_dcgan_digits() -> DCGANGenerator:
    """The VAE chapter's comparison DCGAN (``benchmarks/vae_gan_checkpoint.py``), from its checkpoint.

    Returns:
        the generator ``(B, 16) -> (B, 1, 8, 8)`` in eval mode, on the CPU; its training record is
        ``checkpoints.load("vae_dcgan_digits")["meta"]``. Raises FileNotFoundError or ValueError
        (missing or corrupt file).
    """
    blob = checkpoints.load("vae_dcgan_digits")
    gen, _ = build_gan(DCGANConfig(**blob["config"]))
    gen.load_state_dict(blob["state_dict"])
    return gen.eval()


# ------------------------------------------------------------------------------------ diagrams


def _widths(net: nn.Module) -> str:
    """An MLP's widths read off its linear layers, e.g. ``"2→128→128→1"``."""
    lin = [m for m in net.modules() if isinstance(m, nn.Linear)]
    return "→".join(str(w) for w in [lin[0].in_features] + [m.out_features for m in lin])


def _grad_below(d: Diagram, a: str, b: str, label: str, depth: float) -> None:
    """A gradient path from the bottom of box ``a`` to the bottom of box ``b``, arcing under the row."""
    (xa, ya, _, ha), (xb, yb, _, hb) = d.boxes[a], d.boxes[b]
    rad = 2 * depth / abs(xa - xb)  # arc3's control point sits rad x chord from the chord's middle
    arc = FancyArrowPatch(
        (xa, ya - ha / 2 - 0.1),
        (xb, yb - hb / 2 - 0.1),
        arrowstyle="-|>",
        mutation_scale=12,
        color=COLOURS["grad"],
        lw=1.4,
        ls="--",
        connectionstyle=f"arc3,rad={-rad if xa > xb else rad}",
    )
    d.ax.add_patch(arc)
    d.note((xa + xb) / 2, ya - ha / 2 - depth - 0.4, label, color=COLOURS["grad"], fontsize=8)


@torch.no_grad()
def draw_gan_graph(model: tuple[nn.Module, nn.Module], real: torch.Tensor, seed: int = 0) -> plt.Figure:
    """One training step of an MLP GAN as a computation graph, shapes measured on a real batch.

    Top: the discriminator's step, on real samples and *detached* fakes, the gradient of L_D reaching
    D only. Bottom: the generator's step, L_G's gradient flowing back through D (whose weights
    stay put) into G.

    Args:
        model: ``(generator, discriminator)`` with ``cfg.latent_dim``; MLPs for 2-D data.
        real: a batch of real samples ``(B, d)``.
        seed: seed of the noise z.

    Returns:
        the figure.
    """
    gen, disc = model
    was = gen.training, disc.training
    gen.eval(), disc.eval()
    z = torch.randn(len(real), gen.cfg.latent_dim, generator=make_generator(seed))  # (B, k)
    fake = gen(z)  # (B, d)
    l_real, l_fake = disc(real), disc(fake)  # (B,) each
    gen.train(was[0]), disc.train(was[1])
    d = Diagram(13.4, 8.6, f"One GAN training step on 2-D data, batch of {len(real)}")
    top, low = 5.9, 2.3
    d.note(0.1, 7.9, "1. discriminator step: opt_D updates θ_D", ha="left", fontweight="bold")
    d.note(13.3, 3.55, "2. generator step: opt_G updates θ_G", ha="right", fontweight="bold")
    d.box("real", 1.5, top + 0.85, f"real x\n{shape(real, 'B,d')}", "data", w=2.4)
    d.box("fake_d", 1.5, top - 0.85, f"G(z).detach()\n{shape(fake, 'B,d')}", "data", w=2.4)
    d.box("D1", 5.0, top, f"D: MLP {_widths(disc)}\nweights θ_D", "net", w=3.0)
    d.box("logits", 8.55, top, f"logits l_real, l_fake\n{shape(l_real, 'B')} each", "data", w=2.7)
    d.box("LD", 11.95, top, "L_D = BCE(l_real, 1)\n+ BCE(l_fake, 0)", "loss", w=2.6)
    d.box("z", 1.5, low, f"noise z ~ N(0, I)\n{shape(z, 'B,k')}", "data", w=2.4)
    d.box("G", 4.3, low, f"G: MLP {_widths(gen)}\nweights θ_G", "net", w=2.7)
    d.box("fake", 7.0, low, f"fake G(z)\n{shape(fake, 'B,d')}", "data", w=2.1)
    d.box("D2", 9.35, low, "D, same θ_D\n(not stepped)", "net", w=1.9)
    d.box("LG", 12.05, low, f"L_G = −mean log σ(l)\nl: {shape(l_fake, 'B')}", "loss", w=2.5)
    d.arrow("real", "D1").arrow("fake_d", "D1").arrow("D1", "logits").arrow("logits", "LD")
    d.arrow("z", "G").arrow("G", "fake").arrow("fake", "D2").arrow("D2", "LG")
    d.arrow("fake", "fake_d", "detach: no path to θ_G", label_at=0.5, offset=(-1.5, -0.2))
    _grad_below(d, "LD", "D1", "∂L_D/∂θ_D: reaches D only", 0.7)
    _grad_below(d, "LG", "G", "∂L_G/∂θ_G: back through D (not stepped) and G(z) into G", 0.8)
    d.legend(("data", "net", "loss", "forward", "grad"))
    return d.figure()


_LAYER_NAMES = {nn.Linear: "linear", nn.Flatten: "flatten", nn.Tanh: "tanh", nn.ReLU: "ReLU"}
_LAYER_NAMES |= {nn.BatchNorm1d: "BN", nn.BatchNorm2d: "BN", nn.LeakyReLU: "LeakyReLU"}


def _layer_name(m: nn.Module) -> str:
    """A layer as diagram text: ``"conv 4×4, stride 2"``."""
    if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
        kind = "transposed conv" if isinstance(m, nn.ConvTranspose2d) else "conv"
        return f"{kind} {m.kernel_size[0]}×{m.kernel_size[1]}, stride {m.stride[0]}"
    return _LAYER_NAMES.get(type(m), type(m).__name__)


def _trace(net: nn.Module, x: torch.Tensor) -> list[tuple[str, torch.Tensor]]:
    """``[(layer text, output)]``: one entry per shape-changing layer, elementwise layers appended."""
    steps: list[list] = []

    def hook(m: nn.Module, inp: tuple, out: torch.Tensor) -> None:
        if isinstance(m, nn.Linear | nn.Conv2d | nn.ConvTranspose2d | nn.Flatten):
            steps.append([_layer_name(m), out])
            return
        if steps and out.shape != steps[-1][1].shape:  # a reshape happened in forward()
            steps.append(["reshape", out])
        if steps:  # elementwise layers on a second line: "+ BN, ReLU"
            steps[-1][0] += (", " if "\n" in steps[-1][0] else "\n+ ") + _layer_name(m)

    leaves = [m for m in net.modules() if not list(m.children())]
    handles = [m.register_forward_hook(hook) for m in leaves]
    try:
        out = net(x)
    finally:
        for h in handles:
            h.remove()
    if out.shape != steps[-1][1].shape:
        steps.append(["squeeze", out])
    return [(name, o) for name, o in steps]


def _names(t: torch.Tensor) -> str:
    return {1: "B", 2: "B,F", 4: "B,C,H,W"}[t.dim()]


@torch.no_grad()
def draw_dcgan(model: tuple[nn.Module, nn.Module], batch_size: int = 64, seed: int = 0) -> plt.Figure:
    """The DCGAN's generator and discriminator layer by layer, each shape measured on a batch.

    Args:
        model: ``(DCGANGenerator, DCGANDiscriminator)``.
        batch_size: B of the batch run through both networks.
        seed: seed of the noise.

    Returns:
        the figure: the generator's column on the left (noise → image), the discriminator's on the
        right (image → logit); arrows say which layers act between two shapes.
    """
    gen, disc = model
    was = gen.training, disc.training
    gen.eval(), disc.eval()
    z = torch.randn(batch_size, gen.cfg.latent_dim, generator=make_generator(seed))  # (B, k)
    g_steps = _trace(gen, z)
    image = g_steps[-1][1]  # (B, 1, 8, 8)
    d_steps = _trace(disc, image)
    gen.train(was[0]), disc.train(was[1])
    n = max(len(g_steps), len(d_steps)) + 1
    d = Diagram(11.2, 1.55 * n + 0.9, f"DCGAN on 8×8 digits, layer by layer, batch of {batch_size}")
    columns = [(1.9, "generator", "noise z", z, g_steps), (7.7, "discriminator", "image", image, d_steps)]
    for col, (x, title, first, inp, steps) in enumerate(columns):
        y = 1.55 * n - 0.2
        d.note(x, y + 0.75, title, fontweight="bold")
        prev = f"c{col}0"
        d.box(prev, x, y, f"{first}\n{shape(inp, _names(inp))}", "data", w=3.2, h=0.8)
        for i, (name, out) in enumerate(steps, 1):
            y -= 1.55
            label = "logit" if i == len(steps) and col else "image" if i == len(steps) else ""
            text = f"{label}\n" if label else ""
            d.box(f"c{col}{i}", x, y, f"{text}{shape(out, _names(out))}", "data", w=3.2, h=0.8)
            d.arrow(prev, f"c{col}{i}").note(x + 0.2, y + 0.775, name, ha="left", fontsize=8)
            prev = f"c{col}{i}"
    d.legend(("data", "forward"))
    return d.figure()

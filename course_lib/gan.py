"""Generative adversarial networks: losses, small networks, stabilisers and a plain training loop.

The GAN chapter of the book reads this module top to bottom.

- Losses are pure functions of the discriminator's *logits* (pre-sigmoid scores) on a batch
  of real and a batch of fake samples: the minimax game of Goodfellow et al. (2014)
  {goodfellow2014gan}, its non-saturating generator loss, one-sided label smoothing
  (Salimans et al. 2016, {salimans2016improved}) and the Wasserstein critic loss with a
  gradient penalty (WGAN-GP, Gulrajani et al. 2017, {gulrajani2017wgangp}).
- Networks: MLP generator/discriminator for 2-D mixtures (VEEGAN {srivastava2017veegan},
  PacGAN {lin2018pacgan} benchmarks), with optional spectral normalisation
  (Miyato et al. 2018, {miyato2018spectral}), minibatch discrimination (Salimans et al. 2016)
  and packing (PacGAN); a small DCGAN (Radford et al. 2016, {radford2016dcgan}) for 8x8 digits.
- Stabilisers in :func:`train_gan`: instance noise (Sønderby et al. 2017, Arjovsky & Bottou
  2017), a replay buffer of old fakes (Shrivastava et al. 2017), feature matching
  (Salimans et al. 2016), two-timescale learning rates (TTUR, Heusel et al. 2017,
  {heusel2017gans}).

The value function everything starts from (D outputs a probability, G maps noise to data):

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 - D(G(z)))],
    min_G max_D V(D, G).

Throughout, ``D(x) = sigmoid(l(x))`` where ``l`` is the logit the network outputs; the losses
take logits and use the numerically stable identities log sigmoid(l) = -softplus(-l) and
log(1 - sigmoid(l)) = -softplus(l).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    # losses
    "discriminator_loss",
    "generator_loss",
    "d_loss_bce",
    "g_loss_saturating",
    "g_loss_nonsaturating",
    "wgan_critic_loss",
    "wgan_generator_loss",
    "gradient_penalty",
    "wgan_gp_losses",
    "optimal_discriminator",
    "feature_matching_loss",
    # networks
    "MLPConfig",
    "MLPGenerator",
    "MLPDiscriminator",
    "MinibatchDiscrimination",
    "pack",
    "DCGANConfig",
    "DCGANGenerator",
    "DCGANDiscriminator",
    # training
    "ReplayBuffer",
    "GANTrainConfig",
    "GANHistory",
    "train_gan",
    "sample",
    "train_dcgan_digits",
]


# ---------------------------------------------------------------------------------------
# Losses: pure functions of logits
# ---------------------------------------------------------------------------------------


def _check_logits(name: str, logits: torch.Tensor) -> torch.Tensor:
    logits = torch.as_tensor(logits)
    if not logits.is_floating_point():
        raise TypeError(f"{name} must be a float tensor of logits, got dtype {logits.dtype}")
    if logits.numel() == 0:
        raise ValueError(f"{name} is empty; pass the discriminator's logits on a non-empty batch")
    return logits


def discriminator_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Discriminator loss of the minimax game, from logits (binary cross-entropy).

    The discriminator *maximises* V = E[log D(x)] + E[log(1 - D(G(z)))]; as a loss to
    minimise this is

        L_D = -mean_i log D(x_i) - mean_j log(1 - D(G(z_j)))
            = mean_i softplus(-l_real_i) + mean_j softplus(l_fake_j)

    With one-sided label smoothing (Salimans et al. 2016) the *real* target is 1 - s
    instead of 1 (fake targets stay 0):

        L_D = mean_i BCE(l_real_i, 1 - s) + mean_j BCE(l_fake_j, 0),
        BCE(l, y) = -y log sigmoid(l) - (1 - y) log(1 - sigmoid(l)).

    Args:
        real_logits: discriminator logits on a batch of real samples, any shape ``(B, ...)``.
        fake_logits: logits on a batch of generated samples, any shape.
        label_smoothing: s in [0, 1); 0 is the plain GAN loss, 0.1 a common choice.

    Returns:
        Scalar loss (nats). At the equilibrium D = 1/2 everywhere it equals 2 log 2.

    Raises:
        ValueError: ``label_smoothing`` outside [0, 1), or an empty batch.
        TypeError: integer inputs (pass logits, not labels).
    """
    real_logits = _check_logits("real_logits", real_logits)
    fake_logits = _check_logits("fake_logits", fake_logits)
    if not 0.0 <= label_smoothing < 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
    real_target = torch.full_like(real_logits, 1.0 - label_smoothing)
    loss_real = F.binary_cross_entropy_with_logits(real_logits, real_target)
    loss_fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return loss_real + loss_fake


def g_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Saturating (minimax) generator loss: the generator minimises the second term of V,

        L_G = mean_j log(1 - D(G(z_j))) = -mean_j softplus(l_j).

    Its gradient with respect to the logit is -sigmoid(l) = -D(G(z)): it vanishes exactly
    when the discriminator confidently rejects the fakes (D(G(z)) → 0), i.e. early in
    training. Use :func:`g_loss_nonsaturating` in practice.
    """
    fake_logits = _check_logits("fake_logits", fake_logits)
    return -F.softplus(fake_logits).mean()


def g_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss (Goodfellow et al. 2014, section 3):

        L_G = -mean_j log D(G(z_j)) = mean_j softplus(-l_j).

    Same fixed point as the saturating loss, but its gradient with respect to the logit is
    -(1 - D(G(z))), which is large when the fakes are rejected.
    """
    fake_logits = _check_logits("fake_logits", fake_logits)
    return F.softplus(-fake_logits).mean()


def generator_loss(fake_logits: torch.Tensor, saturating: bool = False) -> torch.Tensor:
    """Generator loss from the discriminator's logits on a batch of fakes.

    ``saturating=False`` (default): L_G = -mean log D(G(z)) (:func:`g_loss_nonsaturating`).
    ``saturating=True``: L_G = mean log(1 - D(G(z))) (:func:`g_loss_saturating`).
    """
    return g_loss_saturating(fake_logits) if saturating else g_loss_nonsaturating(fake_logits)


def d_loss_bce(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, label_smoothing: float = 0.0
) -> torch.Tensor:
    """Alias of :func:`discriminator_loss` (name used in the issue tracker)."""
    return discriminator_loss(real_logits, fake_logits, label_smoothing)


def wgan_critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss (Arjovsky et al. 2017), to minimise:

        L_C = mean_j f(G(z_j)) - mean_i f(x_i)

    where f is the critic (an unbounded score, no sigmoid). Minimising it maximises the
    Kantorovich–Rubinstein estimate E_real f - E_fake f of the Wasserstein-1 distance, which is
    only meaningful when f is (close to) 1-Lipschitz: add :func:`gradient_penalty`.
    """
    real_scores = _check_logits("real_scores", real_scores)
    fake_scores = _check_logits("fake_scores", fake_scores)
    return fake_scores.mean() - real_scores.mean()


def wgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss: L_G = -mean_j f(G(z_j))."""
    fake_scores = _check_logits("fake_scores", fake_scores)
    return -fake_scores.mean()


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
    eps: torch.Tensor | None = None,
) -> torch.Tensor:
    """Gradient penalty of WGAN-GP (Gulrajani et al. 2017, eq. 3), without the factor λ:

        x_hat = ε x + (1 - ε) x_fake,   ε ~ U[0, 1] per sample,
        GP    = mean ( ||∇_{x_hat} f(x_hat)||_2 - 1 )².

    The graph is kept (``create_graph=True``) so the penalty can be back-propagated into the
    critic's parameters. ``fake`` is detached here: the penalty trains the critic only.

    Args:
        critic: maps a batch ``(B, ...)`` to scores ``(B,)`` or ``(B, 1)``.
        real, fake: batches of the same shape ``(B, ...)``.
        generator: random generator for ε (explicit randomness).
        eps: optional fixed ε of shape ``(B,)`` (tests use it).

    Returns:
        Scalar penalty.

    Raises:
        ValueError: shapes differ, or ``eps`` has the wrong shape.
    """
    if real.shape != fake.shape:
        raise ValueError(
            f"real and fake must have the same shape, got {tuple(real.shape)}, {tuple(fake.shape)}"
        )
    b = real.shape[0]
    if eps is None:
        eps = torch.rand(b, generator=generator, device="cpu").to(real.device, real.dtype)
    if eps.shape != (b,):
        raise ValueError(f"eps must have shape ({b},), got {tuple(eps.shape)}")
    eps = eps.view(b, *([1] * (real.dim() - 1)))  # (B, 1, ..., 1)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    scores = critic(x_hat)
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    grad_norm = grad.reshape(b, -1).norm(2, dim=1)  # (B,)
    return ((grad_norm - 1.0) ** 2).mean()


def wgan_gp_losses(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    gp_weight: float = 10.0,
    *,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Critic and generator losses of WGAN-GP on one batch:

        L_C = mean f(fake) - mean f(real) + λ GP,      L_G = -mean f(fake).

    ``fake`` should carry the generator's graph; the critic term uses it detached.

    Returns:
        ``(critic_loss, generator_loss)``. Back-propagate each into its own optimizer's
        parameters only (the generator loss also reaches the critic's parameters; zero the
        critic's gradients before its next step, as :func:`train_gan` does).
    """
    real_scores = critic(real)
    fake_scores_d = critic(fake.detach())
    loss_c = wgan_critic_loss(real_scores, fake_scores_d) + gp_weight * gradient_penalty(
        critic, real, fake, generator=generator
    )
    loss_g = wgan_generator_loss(critic(fake))
    return loss_c, loss_g


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """The discriminator that maximises V for a fixed generator (Goodfellow et al. 2014, Prop. 1):

        D*(x) = p_data(x) / (p_data(x) + p_g(x)),

    defined where p_data + p_g > 0 (NaN elsewhere).

    Args:
        p_data, p_g: densities (or probabilities) evaluated at the same points, same shape.
    """
    p_data, p_g = torch.as_tensor(p_data), torch.as_tensor(p_g)
    if p_data.shape != p_g.shape:
        raise ValueError(
            f"p_data and p_g must have the same shape, got {tuple(p_data.shape)}, {tuple(p_g.shape)}"
        )
    if (p_data < 0).any() or (p_g < 0).any():
        raise ValueError("densities must be non-negative")
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), torch.nan)


def feature_matching_loss(real_features: torch.Tensor, fake_features: torch.Tensor) -> torch.Tensor:
    """Feature matching (Salimans et al. 2016, section 3.1): the generator matches the mean
    of an intermediate discriminator layer on real data,

        L_G = || mean_i h(x_i) - mean_j h(G(z_j)) ||²₂.

    ``real_features`` is treated as a constant (detached).
    """
    if real_features.shape[1:] != fake_features.shape[1:]:
        raise ValueError(
            f"feature shapes differ: {tuple(real_features.shape)} vs {tuple(fake_features.shape)}"
        )
    return (real_features.detach().mean(0) - fake_features.mean(0)).pow(2).sum()


# ---------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN packing (Lin et al. 2018): concatenate ``m`` consecutive samples so the
    discriminator judges them jointly.

    Args:
        x: ``(B, ...)`` with B divisible by ``m``.
        m: packing degree; 1 returns ``x`` flattened to ``(B, D)``.

    Returns:
        ``(B // m, m * D)`` where D is the size of one flattened sample.

    Raises:
        ValueError: ``m < 1`` or B not divisible by ``m``.
    """
    if m < 1:
        raise ValueError(f"packing degree must be >= 1, got {m}")
    if x.shape[0] % m:
        raise ValueError(
            f"batch of {x.shape[0]} samples cannot be packed in groups of {m}; use a multiple of {m}"
        )
    return x.reshape(x.shape[0] // m, -1)  # (B, ...) -> (B/m, m*D)


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination layer (Salimans et al. 2016, section 3.2).

        M_i = h_i T  reshaped to (n_kernels, kernel_dim),
        c_b(i, j) = exp(-||M_{i,b} - M_{j,b}||_1),
        o_b(i) = sum_{j != i} c_b(i, j),

    and the layer returns ``[h_i, o(i)]``: each sample sees how close the others in its batch
    are, so a batch of near-identical fakes (collapse) is easy to spot.
    """

    def __init__(self, in_features: int, n_kernels: int = 16, kernel_dim: int = 8):
        super().__init__()
        self.n_kernels, self.kernel_dim = n_kernels, kernel_dim
        self.T = nn.Parameter(torch.randn(in_features, n_kernels * kernel_dim) * 0.1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        m = (h @ self.T).view(-1, self.n_kernels, self.kernel_dim)  # (N, K, C)
        l1 = (m.unsqueeze(0) - m.unsqueeze(1)).abs().sum(-1)  # (N, N, K)
        o = torch.exp(-l1).sum(1) - 1.0  # (N, K), minus the self term exp(0) = 1
        return torch.cat([h, o], dim=1)  # (N, in_features + K)


@dataclass
class MLPConfig:
    """Sizes and options of the MLP generator/discriminator for low-dimensional data.

    Attributes:
        data_dim: dimension of one sample (2 for the mixtures).
        latent_dim: dimension of the generator's Gaussian noise z.
        g_hidden, g_layers: width and number of hidden layers of the generator.
        d_hidden, d_layers: width and number of hidden layers of the discriminator.
        spectral_norm: wrap every discriminator linear layer in spectral normalisation.
        minibatch_kernels: number of minibatch-discrimination kernels (0 = off).
        pack: PacGAN packing degree m (1 = plain discriminator).
        g_batchnorm: batch normalisation after every hidden linear layer of the generator
            (as in the PacGAN paper's generator); :func:`sample` uses its running statistics.
    """

    data_dim: int = 2
    latent_dim: int = 2
    g_hidden: int = 128
    g_layers: int = 3
    d_hidden: int = 128
    d_layers: int = 2
    spectral_norm: bool = False
    minibatch_kernels: int = 0
    pack: int = 1
    g_batchnorm: bool = False

    @classmethod
    def tiny(cls, **kw) -> MLPConfig:
        """Smallest configuration, for tests."""
        return replace(cls(g_hidden=16, g_layers=1, d_hidden=16, d_layers=1), **kw)


class MLPGenerator(nn.Module):
    """z ~ N(0, I) of size latent_dim → ReLU MLP (optionally with batch norm) → a sample of
    size data_dim (linear output)."""

    def __init__(self, cfg: MLPConfig):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        width = cfg.latent_dim
        for _ in range(cfg.g_layers):
            layers.append(nn.Linear(width, cfg.g_hidden, bias=not cfg.g_batchnorm))
            if cfg.g_batchnorm:
                layers.append(nn.BatchNorm1d(cfg.g_hidden))
            layers.append(nn.ReLU())
            width = cfg.g_hidden
        layers.append(nn.Linear(width, cfg.data_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.cfg.latent_dim:
            raise ValueError(f"expected noise of shape (B, {self.cfg.latent_dim}), got {tuple(z.shape)}")
        return self.net(z)  # (B, data_dim)


class MLPDiscriminator(nn.Module):
    """LeakyReLU MLP that returns one *logit* per (packed) input; no sigmoid at the end.

    With ``cfg.pack = m`` the forward pass takes ``(B, data_dim)`` with B divisible by m and
    returns ``(B // m,)`` logits, one per pack of m samples.
    """

    def __init__(self, cfg: MLPConfig):
        super().__init__()
        self.cfg = cfg
        sn = nn.utils.parametrizations.spectral_norm if cfg.spectral_norm else (lambda m: m)
        layers: list[nn.Module] = []
        width = cfg.data_dim * cfg.pack
        for _ in range(cfg.d_layers):
            layers += [sn(nn.Linear(width, cfg.d_hidden)), nn.LeakyReLU(0.2)]
            width = cfg.d_hidden
        self.body = nn.Sequential(*layers)
        self.mbd = MinibatchDiscrimination(width, cfg.minibatch_kernels) if cfg.minibatch_kernels else None
        self.head = sn(nn.Linear(width + cfg.minibatch_kernels, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Last hidden layer ``(B // pack, d_hidden)`` (used by feature matching)."""
        if x.dim() != 2 or x.shape[1] != self.cfg.data_dim:
            raise ValueError(f"expected samples of shape (B, {self.cfg.data_dim}), got {tuple(x.shape)}")
        return self.body(pack(x, self.cfg.pack))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        if self.mbd is not None:
            h = self.mbd(h)
        return self.head(h).squeeze(1)  # (B // pack,) logits


@dataclass
class DCGANConfig:
    """DCGAN (Radford et al. 2016) sized for 8x8 single-channel images in [-1, 1].

    Generator: z → linear → (4c, 2, 2) → ConvT → (2c, 4, 4) → ConvT → (1, 8, 8), batch norm and
    ReLU between, tanh output. Discriminator: the mirror image with strided convolutions,
    LeakyReLU(0.2), batch norm on the inner layer, one logit out.
    """

    latent_dim: int = 32
    channels: int = 32

    @classmethod
    def tiny(cls) -> DCGANConfig:
        return cls(latent_dim=4, channels=4)


class DCGANGenerator(nn.Module):
    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        self.fc = nn.Sequential(
            nn.Linear(cfg.latent_dim, 4 * c * 2 * 2, bias=False), nn.BatchNorm1d(4 * c * 4)
        )
        self.net = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(4 * c, 2 * c, 4, stride=2, padding=1, bias=False),  # (B, 2c, 4, 4)
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * c, 1, 4, stride=2, padding=1),  # (B, 1, 8, 8)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.cfg.latent_dim:
            raise ValueError(f"expected noise of shape (B, {self.cfg.latent_dim}), got {tuple(z.shape)}")
        h = self.fc(z).view(-1, 4 * self.cfg.channels, 2, 2)  # (B, 4c, 2, 2)
        return self.net(h)  # (B, 1, 8, 8) in [-1, 1]


class DCGANDiscriminator(nn.Module):
    def __init__(self, cfg: DCGANConfig):
        super().__init__()
        self.cfg = cfg
        c = cfg.channels
        self.body = nn.Sequential(
            nn.Conv2d(1, 2 * c, 4, stride=2, padding=1),  # (B, 2c, 4, 4)
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 4 * c, 4, stride=2, padding=1, bias=False),  # (B, 4c, 2, 2)
            nn.BatchNorm2d(4 * c),
            nn.LeakyReLU(0.2),
            nn.Flatten(),  # (B, 16c)
        )
        self.head = nn.Linear(4 * c * 4, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1:] != (1, 8, 8):
            raise ValueError(f"expected images of shape (B, 1, 8, 8) in [-1, 1], got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)  # (B,) logits


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------


class ReplayBuffer:
    """Pool of past generated samples (Shrivastava et al. 2017): the discriminator sees a mix
    of current and old fakes, so the generator cannot escape by jumping back to a mode the
    discriminator has forgotten.

    Args:
        capacity: number of stored samples.
        generator: random generator for which slots are read and overwritten.
    """

    def __init__(self, capacity: int, generator: torch.Generator):
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity, self.g = capacity, generator
        self.data: torch.Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.data is None else len(self.data)

    def push_and_mix(self, fake: torch.Tensor) -> torch.Tensor:
        """Store ``fake`` (detached) and return a batch of the same size whose second half is
        drawn from the buffer (once it holds at least that many samples)."""
        fake = fake.detach()
        n = len(fake)
        out = fake
        if len(self) >= n // 2 and n >= 2:
            idx = torch.randint(len(self), (n // 2,), generator=self.g)
            out = torch.cat([fake[: n - n // 2], self.data[idx.to(self.data.device)]])
        if self.data is None:
            self.data = fake.clone()
        elif len(self.data) < self.capacity:
            self.data = torch.cat([self.data, fake])[: self.capacity]
        else:
            slots = torch.randint(self.capacity, (n,), generator=self.g).to(fake.device)
            self.data[slots] = fake
        return out


@dataclass
class GANTrainConfig:
    """Options of :func:`train_gan`. The defaults are a plain non-saturating GAN.

    Attributes:
        steps: generator updates.
        batch_size: samples per discriminator input (times ``pack`` draws when packing).
        loss: ``"bce"`` (the minimax game) or ``"wgan-gp"``.
        saturating: use the saturating generator loss (``loss="bce"`` only).
        label_smoothing: one-sided smoothing of the real target (0 = off).
        instance_noise: std of Gaussian noise added to real and fake discriminator inputs,
            annealed linearly to 0 over the first ``noise_anneal`` fraction of training.
        feature_matching: generator matches mean discriminator features instead of fooling D.
        replay: capacity of the replay buffer of old fakes (0 = off).
        d_steps: discriminator (critic) updates per generator update.
        gp_weight: λ of the gradient penalty.
        lr_g, lr_d: learning rates (TTUR: lr_d > lr_g).
        betas: Adam betas for both optimizers.
        lr_decay: decay both learning rates linearly to 0 over training (sharper samples at
            the end: Adam's step noise shrinks with the step size).
        seed: seeds parameter initialisation and all sampling.
    """

    steps: int = 2000
    batch_size: int = 256
    loss: str = "bce"
    saturating: bool = False
    label_smoothing: float = 0.0
    instance_noise: float = 0.0
    noise_anneal: float = 0.5
    feature_matching: bool = False
    replay: int = 0
    d_steps: int = 1
    gp_weight: float = 10.0
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    lr_decay: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if self.loss not in ("bce", "wgan-gp"):
            raise ValueError(f"loss must be 'bce' or 'wgan-gp', got {self.loss!r}")
        if self.loss == "wgan-gp" and (self.saturating or self.label_smoothing or self.feature_matching):
            raise ValueError("saturating / label_smoothing / feature_matching apply to loss='bce' only")


@dataclass
class GANHistory:
    """What :func:`train_gan` records: losses per step and the ``evaluate`` results."""

    d_loss: list[float] = field(default_factory=list)
    g_loss: list[float] = field(default_factory=list)
    evals: list[dict] = field(default_factory=list)
    seconds: float = 0.0


@torch.no_grad()
def sample(
    generator: nn.Module, n: int, *, seed: int | torch.Generator = 0, batch: int = 4096
) -> torch.Tensor:
    """Draw ``n`` samples from a generator in eval mode (batch norm uses running statistics),
    restoring its previous mode afterwards.

    Args:
        generator: a module with ``cfg.latent_dim``.
        n: number of samples.
        seed: int or ``torch.Generator`` for the noise.
    """
    g = seed if isinstance(seed, torch.Generator) else torch.Generator().manual_seed(seed)
    was_training = generator.training
    generator.eval()
    dev = next(generator.parameters()).device
    out = []
    for start in range(0, n, batch):
        z = torch.randn(min(batch, n - start), generator.cfg.latent_dim, generator=g).to(dev)
        out.append(generator(z).cpu())
    generator.train(was_training)
    return torch.cat(out)


def train_gan(
    generator: nn.Module,
    discriminator: nn.Module,
    data: torch.Tensor,
    cfg: GANTrainConfig,
    *,
    evaluate: Callable[[nn.Module, int], dict] | None = None,
    eval_every: int = 0,
    progress: bool = False,
) -> GANHistory:
    """Train a GAN with a plain alternating loop: ``cfg.d_steps`` discriminator updates, then
    one generator update, each with its own Adam optimizer.

    Discriminator step: real batch x, fakes G(z) *detached* (the discriminator's loss must
    not move the generator), loss from :func:`discriminator_loss` or the WGAN-GP critic loss.
    Generator step: fresh z, loss from the discriminator's logits on G(z) (gradients flow
    through D into G; only G's optimizer steps). Both nets stay in train mode while training.

    Args:
        generator, discriminator: modules on the same device; the generator has
            ``cfg.latent_dim``; the discriminator returns logits ``(B // pack,)`` and, for
            feature matching, has a ``features`` method.
        data: the real training set ``(N, ...)``; minibatches are drawn with replacement.
        cfg: :class:`GANTrainConfig`.
        evaluate: optional ``evaluate(generator, step) -> dict`` called every ``eval_every``
            steps and at the end (it should use :func:`sample`, which switches to eval mode).
        progress: show a tqdm bar.

    Returns:
        :class:`GANHistory`.
    """
    from tqdm.auto import tqdm

    g = torch.Generator().manual_seed(cfg.seed)
    dev = next(generator.parameters()).device
    data = data.to(dev)
    m = getattr(getattr(discriminator, "cfg", None), "pack", 1)
    n_draw = cfg.batch_size * m
    opt_g = torch.optim.Adam(generator.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    buffer = ReplayBuffer(cfg.replay, g) if cfg.replay else None
    scheds = (
        [torch.optim.lr_scheduler.LambdaLR(o, lambda s: 1.0 - s / cfg.steps) for o in (opt_g, opt_d)]
        if cfg.lr_decay
        else []
    )
    hist = GANHistory()
    latent = generator.cfg.latent_dim

    def noise_std(step: int) -> float:
        if not cfg.instance_noise:
            return 0.0
        return cfg.instance_noise * max(0.0, 1.0 - step / max(1.0, cfg.noise_anneal * cfg.steps))

    def noisy(x: torch.Tensor, std: float) -> torch.Tensor:
        return x + std * torch.randn(x.shape, generator=g).to(dev) if std > 0 else x

    t0 = time.perf_counter()
    generator.train()
    discriminator.train()
    for step in tqdm(range(cfg.steps), disable=not progress, desc="GAN"):
        std = noise_std(step)
        # ---- discriminator / critic: maximise V (minimise L_D) with G fixed ----
        for _ in range(cfg.d_steps):
            real = data[torch.randint(len(data), (n_draw,), generator=g).to(dev)]
            z = torch.randn(n_draw, latent, generator=g).to(dev)
            fake = generator(z).detach()  # detach: this step must not update G
            if buffer is not None:
                fake = buffer.push_and_mix(fake)
            real_in, fake_in = noisy(real, std), noisy(fake, std)
            if cfg.loss == "bce":
                loss_d = discriminator_loss(
                    discriminator(real_in), discriminator(fake_in), cfg.label_smoothing
                )
            else:  # WGAN-GP: L_C = E f(fake) - E f(real) + λ GP
                eps = torch.rand(n_draw, generator=g).to(dev)
                gp = (
                    gradient_penalty(discriminator, real_in, fake_in, eps=eps)
                    if m == 1
                    else _packed_gp(discriminator, real_in, fake_in, eps)
                )
                loss_d = wgan_critic_loss(discriminator(real_in), discriminator(fake_in)) + cfg.gp_weight * gp
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        # ---- generator: fool the (fixed) discriminator ----
        z = torch.randn(n_draw, latent, generator=g).to(dev)
        fake = generator(z)
        if cfg.feature_matching:
            real = data[torch.randint(len(data), (n_draw,), generator=g).to(dev)]
            loss_g = feature_matching_loss(discriminator.features(real), discriminator.features(fake))
        elif cfg.loss == "bce":
            loss_g = generator_loss(discriminator(noisy(fake, std)), saturating=cfg.saturating)
        else:
            loss_g = wgan_generator_loss(discriminator(fake))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()  # also fills D's .grad; opt_d.zero_grad clears it before D's next step
        opt_g.step()
        for sched in scheds:
            sched.step()
        hist.d_loss.append(float(loss_d.detach()))
        hist.g_loss.append(float(loss_g.detach()))
        if evaluate is not None and eval_every and (step + 1) % eval_every == 0 and step + 1 < cfg.steps:
            hist.evals.append({"step": step + 1, **evaluate(generator, step + 1)})
    hist.seconds = time.perf_counter() - t0
    if evaluate is not None:
        hist.evals.append({"step": cfg.steps, **evaluate(generator, cfg.steps)})
    return hist


def _packed_gp(
    discriminator: nn.Module, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor
) -> torch.Tensor:
    """Gradient penalty for a packing discriminator: interpolate whole packs (one ε per pack)."""
    m = discriminator.cfg.pack
    b = real.shape[0] // m
    critic = lambda x: discriminator(x.reshape(b * m, -1))  # noqa: E731
    return gradient_penalty(critic, pack(real, m), pack(fake, m), eps=eps[:b])


def train_dcgan_digits(
    steps: int = 1000,
    *,
    seed: int = 0,
    cfg: DCGANConfig | None = None,
    batch_size: int = 64,
    lr: float = 2e-4,
    progress: bool = False,
) -> tuple[DCGANGenerator, GANHistory]:
    """Train the DCGAN on the training split of ``course_lib.data.load_digits_images()``.

    Images are mapped from [0, 1] to [-1, 1] for the tanh generator; map samples back with
    ``(x + 1) / 2`` before giving them to ``course_lib.metrics.DigitClassifier``. Adam with
    the DCGAN paper's settings (lr 2e-4, betas (0.5, 0.999)), non-saturating loss.

    Returns:
        ``(generator in eval mode, history)``.
    """
    from course_lib.data import load_digits_images

    cfg = cfg or DCGANConfig()
    torch.manual_seed(seed)  # parameter initialisation
    gen, disc = DCGANGenerator(cfg), DCGANDiscriminator(cfg)
    x = load_digits_images().x_train * 2 - 1  # (N, 1, 8, 8) in [-1, 1]
    train_cfg = GANTrainConfig(
        steps=steps, batch_size=batch_size, lr_g=lr, lr_d=lr, betas=(0.5, 0.999), seed=seed
    )
    hist = train_gan(gen, disc, x, train_cfg, progress=progress)
    return gen.eval(), hist

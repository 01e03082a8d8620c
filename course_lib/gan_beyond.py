"""GANs beyond clean images, on top of :mod:`course_lib.gan`: discrete tokens, noisy data, raw audio.

Chapters: chapters/gan_beyond/

- Discrete sequences (``01``): the toy language Dyck-2 (balanced strings over ``()[]``), whose
  valid samples can be counted; the Gumbel-softmax {cite}`jang2017gumbel,maddison2017concrete`
  and straight-through {cite}`bengio2013estimating` estimators; a GRU generator trained by
  maximum likelihood or adversarially, the third estimator being REINFORCE
  {cite}`williams1992reinforce` with a baseline, the core of SeqGAN {cite}`yu2017seqgan`.
- Noisy data (``02``): AmbientGAN's measurements {cite}`bora2018ambientgan`.
- Audio (``03``): WaveGAN {cite}`donahue2019wavegan` and its phase shuffle on raw waveforms,
  SpecGAN on log-magnitude spectrograms inverted by Griffin-Lim, their committed checkpoints,
  and classifier-based figures for generated audio.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from course_lib import checkpoints, gan
from course_lib.audio import check_wave, fix_length, griffin_lim, stft, trim_silence
from course_lib.utils import History, make_generator, seeded

_Seed = int | torch.Generator  # what every ``seed`` argument accepts

# --- Discrete sequences: the toy language Dyck-2, gradient estimators, one token generator --------

DYCK_VOCAB = "()[]"
_CLOSER = {"(": ")", "[": "]"}


def is_dyck(s: str) -> bool:
    """Whether ``s`` is balanced over ``()[]``: every closer matches the last open bracket.

    Args:
        s: the string.

    Returns:
        True for a balanced string.
    """
    stack: list[str] = []
    for ch in s:
        if ch in _CLOSER:
            stack.append(_CLOSER[ch])
        elif not stack or stack.pop() != ch:
            return False
    return not stack


def dyck_strings(length: int) -> list[str]:
    """All balanced strings of ``length`` over ``()[]``, sorted (C(n) 2^n of them for length 2n).

    Args:
        length: an even number in 2..12 (longer ones would be slow to enumerate).

    Returns:
        the strings.
    """
    if length <= 0 or length % 2 or length > 12:
        raise ValueError(f"length must be even, in 2..12, got {length}")

    def grow(prefix: str, closers: str) -> list[str]:  # closers: what the open brackets need
        if len(prefix) == length:
            return [prefix]
        room = len(closers) < length - len(prefix)  # an opener can still be closed in time
        out = [s for o in "([" if room for s in grow(prefix + o, closers + _CLOSER[o])]
        return out + (grow(prefix + closers[-1], closers[:-1]) if closers else [])

    return sorted(grow("", ""))


def decode(tokens: torch.Tensor) -> list[str]:
    """Token indices back to strings.

    Args:
        tokens: ``(n, L)`` int64 indices into :data:`DYCK_VOCAB`.

    Returns:
        n strings of length L.
    """
    return ["".join(DYCK_VOCAB[int(t)] for t in row) for row in tokens]


def dyck_dataset(n: int, length: int = 10, seed: _Seed = 0) -> torch.Tensor:
    """``n`` strings drawn uniformly, with replacement, from all balanced strings of ``length``.

    Args:
        n: number of strings.
        length: their length (even, 2..12).
        seed: int or generator for the draw.

    Returns:
        ``(n, length)`` int64 tokens.
    """
    pool = torch.tensor([[DYCK_VOCAB.index(c) for c in s] for s in dyck_strings(length)])
    return pool[torch.randint(len(pool), (n,), generator=make_generator(seed))]


def validity_and_diversity(strings: list[str]) -> dict[str, float]:
    """Share of valid samples and their diversity, the figures of the discrete-GAN comparison.

    Args:
        strings: generated strings of one even length.

    Returns:
        ``valid`` (share of balanced strings), ``diversity`` (distinct valid strings / samples),
        ``distinct_valid`` (their count), ``coverage`` (distinct valid / balanced strings).
    """
    if not strings:
        raise ValueError("no samples")
    distinct = len({s for s in strings if is_dyck(s)})
    return {
        "valid": sum(map(is_dyck, strings)) / len(strings),
        "diversity": distinct / len(strings),
        "distinct_valid": float(distinct),
        "coverage": distinct / len(dyck_strings(len(strings[0]))),
    }


def gumbel_softmax(logits: torch.Tensor, tau: float = 1.0, *, seed: _Seed = 0) -> torch.Tensor:
    """Gumbel-softmax relaxation of a categorical sample: y = softmax((logits + g) / τ).

    g_i = -log(-log u_i), u_i ~ U(0, 1): ``argmax(logits + g)`` is an exact sample of
    Categorical(softmax(logits)), and y tends to its one-hot vector as τ → 0.

    Args:
        logits: ``(..., V)`` unnormalised log-probabilities.
        tau: temperature τ > 0.
        seed: int or generator for g.

    Returns:
        ``(..., V)`` points of the simplex.
    """
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    u = torch.rand(tuple(logits.shape), generator=make_generator(seed)).clamp(1e-10, 1.0 - 1e-7)
    return F.softmax((logits - torch.log(-torch.log(u)).to(logits)) / tau, dim=-1)


def straight_through(soft: torch.Tensor, index: torch.Tensor | None = None) -> torch.Tensor:
    """Straight-through estimator: y = onehot(k) - stop_gradient(soft) + soft.

    The value is exactly one-hot; the gradient is that of ``soft`` (a biased estimate of the
    true gradient, which is zero almost everywhere).

    Args:
        soft: ``(..., V)``, e.g. probabilities or a Gumbel-softmax sample.
        index: ``(...)`` int64 tokens k to put forward; default ``soft.argmax(-1)``.

    Returns:
        ``(..., V)``, one-hot in value.
    """
    index = soft.argmax(-1) if index is None else index
    return F.one_hot(index, soft.shape[-1]).to(soft) - soft.detach() + soft


@dataclass
class TokenGANConfig:
    """Sizes and training options of the token generator and its discriminator.

    Attributes:
        length: sequence length L.
        vocab: number of token types V.
        latent_dim: size of the noise z, from which the generator's initial state comes.
        hidden: GRU width of the generator.
        embed: token embedding size.
        d_hidden: width of the MLP discriminator on the flattened ``(L * V)`` token vectors.
        d_layers: its number of hidden layers.
        estimator: the GAN's gradient estimator, ``"gumbel"``, ``"st"`` or ``"reinforce"``.
        steps: updates (Adam; betas (0.5, 0.999) for the GANs).
        batch_size: sequences per update.
        lr: learning rate.
        tau_start, tau_end: Gumbel-softmax temperature at the first and last step (geometric decay).
        baseline_decay: decay of REINFORCE's moving-average reward baseline.
        entropy_weight: REINFORCE's entropy bonus (0 = off).
        seed: seeds the batches, the noise and the draws while training.
    """

    length: int = 10
    vocab: int = 4  # ( ) [ ]
    latent_dim: int = 16
    hidden: int = 64
    embed: int = 16
    d_hidden: int = 128  # the discriminator
    d_layers: int = 2
    estimator: str = "gumbel"  # training
    steps: int = 1500
    batch_size: int = 128
    lr: float = 2e-3
    tau_start: float = 1.0  # Gumbel-softmax
    tau_end: float = 0.3
    baseline_decay: float = 0.9  # REINFORCE
    entropy_weight: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.estimator not in ("gumbel", "st", "reinforce"):
            raise ValueError(f"estimator must be 'gumbel', 'st' or 'reinforce', got {self.estimator!r}")


class TokenGenerator(nn.Module):
    """Autoregressive GRU generator, one class for MLE and for the three GAN estimators.

    z gives the initial state; each step embeds the previous token vector and feeds it back.

    Args:
        cfg: :class:`TokenGANConfig`.
    """

    def __init__(self, cfg: TokenGANConfig):
        super().__init__()
        self.cfg = cfg
        self.init = nn.Linear(cfg.latent_dim, cfg.hidden)
        self.embed = nn.Linear(cfg.vocab, cfg.embed, bias=False)  # works on soft vectors too
        self.start = nn.Parameter(torch.zeros(cfg.embed))
        self.cell = nn.GRUCell(cfg.embed, cfg.hidden)
        self.out = nn.Linear(cfg.hidden, cfg.vocab)

    def generate(
        self,
        z: torch.Tensor,
        mode: str = "sample",
        *,
        tau: float = 1.0,
        seed: _Seed = 0,
        tokens: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the generator for ``cfg.length`` steps, drawing tokens or feeding given ones back.

        Args:
            z: ``(B, latent_dim)``.
            mode: ``"sample"`` (multinomial draws, no gradient path), ``"gumbel"`` (Gumbel-softmax
                vectors) or ``"st"`` (multinomial draws put forward by :func:`straight_through`).
            tau: Gumbel-softmax temperature.
            seed: int or generator for the draws.
            tokens: ``(B, L)`` int64 tokens to feed back instead of draws (teacher forcing).

        Returns:
            ``(tokens (B, L) int64, vectors (B, L, V)`` seen by the discriminator, ``log_prob (B,))``.
        """
        if mode not in ("sample", "gumbel", "st"):
            raise ValueError(f"mode must be 'sample', 'gumbel' or 'st', got {mode!r}")
        g, v = make_generator(seed), self.cfg.vocab
        h, inp = torch.tanh(self.init(z)), self.start.expand(len(z), -1)
        toks, vecs, logp = [], [], torch.zeros(len(z), device=z.device)
        for t in range(self.cfg.length):
            h = self.cell(inp, h)
            logits = self.out(h)  # (B, V)
            probs = F.softmax(logits, -1)
            if tokens is not None:
                vec = F.one_hot(tokens[:, t], v).to(probs)
            elif mode == "gumbel":
                vec = gumbel_softmax(logits, tau, seed=g)
            else:
                index = torch.multinomial(probs.detach().cpu(), 1, generator=g).squeeze(1).to(z.device)
                vec = straight_through(probs, index) if mode == "st" else F.one_hot(index, v).to(probs)
            tok = vec.argmax(-1)
            logp = logp + F.log_softmax(logits, -1).gather(1, tok.unsqueeze(1)).squeeze(1)
            toks.append(tok)
            vecs.append(vec)
            inp = self.embed(vec)
        return torch.stack(toks, 1), torch.stack(vecs, 1), logp


def build_token_models(config: TokenGANConfig, seed: int = 0) -> tuple[TokenGenerator, gan.MLPDiscriminator]:
    """The generator and the GAN chapter's MLP discriminator on the flattened token vectors.

    Args:
        config: sizes.
        seed: seeds the initialisation (the global RNG is left as it was).

    Returns:
        ``(generator, discriminator)``; the discriminator takes ``(B, L * V)``.
    """
    with seeded(seed):
        d_cfg = gan.MLPConfig(
            data_dim=config.length * config.vocab, d_hidden=config.d_hidden, d_layers=config.d_layers
        )
        return TokenGenerator(config), gan.MLPDiscriminator(d_cfg)


def _check_tokens(data: torch.Tensor, cfg: TokenGANConfig) -> None:
    if data.dtype != torch.long or data.dim() != 2 or data.shape[1] != cfg.length or not len(data):
        raise ValueError(
            f"expected tokens (N, {cfg.length}) int64, got {tuple(data.shape)} {data.dtype}; "
            "make them with dyck_dataset(n, length)"
        )


def _step(opt: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def train_mle(model: TokenGenerator, data: torch.Tensor, config: TokenGANConfig) -> History:
    """Maximum likelihood by teacher forcing: minimise -mean_t log p(x_t | x_<t, z), z ~ N(0, I).

    Args:
        model: the generator, trained in place.
        data: training tokens ``(N, L)`` int64.
        config: ``steps``, ``batch_size``, ``lr`` and ``seed`` are used.

    Returns:
        History with ``losses["nll"]``, the cross-entropy of each step in nats per token.
    """
    _check_tokens(data, model.cfg)
    g, opt, hist = make_generator(config.seed), torch.optim.Adam(model.parameters(), lr=config.lr), History()
    with hist.timed(), seeded(config.seed):
        for _ in range(config.steps):
            x = data[torch.randint(len(data), (config.batch_size,), generator=g)]
            z = torch.randn(config.batch_size, model.cfg.latent_dim, generator=g)
            loss = -model.generate(z, tokens=x)[2].mean() / model.cfg.length
            _step(opt, loss)
            hist.add(nll=loss.detach())
    return hist


def train_token_gan(
    model: tuple[TokenGenerator, nn.Module], data: torch.Tensor, config: TokenGANConfig
) -> History:
    """Adversarial training of a :class:`TokenGenerator` with one of three gradient estimators.

    D compares one-hot real sequences with G's vectors, flattened to ``(B, L * V)``. G's loss is
    non-saturating through Gumbel-softmax vectors (τ annealed) or straight-through samples, or
    REINFORCE's -mean (r - b) log p(x), reward r = log D(x), b a moving average of r: not the
    loop of :func:`course_lib.gan.train_gan`, which back-propagates through D at a fixed τ.

    Args:
        model: ``(generator, discriminator)`` from :func:`build_token_models`, trained in place.
        data: training tokens ``(N, L)`` int64.
        config: :class:`TokenGANConfig`.

    Returns:
        History with ``losses["d"]`` and ``losses["g"]`` per step.
    """
    (gen, disc), c = model, config
    _check_tokens(data, gen.cfg)
    g, hist, baseline = make_generator(c.seed), History(), None
    opt_g, opt_d = (torch.optim.Adam(m.parameters(), lr=c.lr, betas=(0.5, 0.999)) for m in model)
    real_all = F.one_hot(data, gen.cfg.vocab).float()  # (N, L, V)
    mode = "sample" if c.estimator == "reinforce" else c.estimator
    with hist.timed(), seeded(c.seed):
        for step in range(c.steps):
            tau = c.tau_start * (c.tau_end / c.tau_start) ** (step / max(1, c.steps - 1))
            real = real_all[torch.randint(len(real_all), (c.batch_size,), generator=g)]
            _, fake, logp = gen.generate(
                torch.randn(c.batch_size, gen.cfg.latent_dim, generator=g), mode, tau=tau, seed=g
            )
            loss_d = gan.discriminator_loss(disc(real.flatten(1)), disc(fake.detach().flatten(1)))
            _step(opt_d, loss_d)
            if c.estimator == "reinforce":
                with torch.no_grad():
                    reward = -F.softplus(-disc(fake.flatten(1)))  # log D(x), (B,)
                r = reward.mean()
                baseline = r if baseline is None else c.baseline_decay * baseline + (1 - c.baseline_decay) * r
                loss_g = -((reward - baseline) * logp).mean() + c.entropy_weight * logp.mean()
            else:
                loss_g = gan.g_loss_nonsaturating(disc(fake.flatten(1)))
            _step(opt_g, loss_g)
            hist.add(d=loss_d.detach(), g=loss_g.detach())
    return hist


@torch.no_grad()
def sample_strings(model: TokenGenerator, n: int, seed: _Seed = 0) -> list[str]:
    """Strings sampled from the generator (multinomial draws at temperature 1).

    Args:
        model: the generator.
        n: number of strings.
        seed: int or generator for z and the draws.

    Returns:
        n strings.
    """
    g = make_generator(seed)
    return decode(model.generate(torch.randn(n, model.cfg.latent_dim, generator=g), seed=g)[0])


# --- Learning from noisy data: AmbientGAN ---------------------------------------------------------


class Measurement:
    """A known random corruption f with its own random stream, AmbientGAN's measurement.

    ``"noise"``: f(x) = x + p ε, ε ~ N(0, I). ``"dropout"``: each coordinate of x is zeroed
    with probability p (AmbientGAN's pixel dropout, in 2-D). Every call draws fresh ε (or a fresh
    mask) from the measurement's own stream, as AmbientGAN needs: a new θ for every G(z). For a
    GAN trained on standardised data (divided by s), measure with :meth:`rescaled` ``(s)``.

    Args:
        kind: ``"noise"`` or ``"dropout"``.
        p: the noise's standard deviation (>= 0), or the drop probability (in [0, 1)).
        seed: int or generator for ε or the mask.
    """

    def __init__(self, kind: str, p: float, seed: _Seed = 0):
        if kind not in ("noise", "dropout") or p < 0 or (kind == "dropout" and p >= 1):
            raise ValueError(f"kind must be 'noise' (p >= 0) or 'dropout' (0 <= p < 1), got {kind!r}, {p}")
        self.kind, self.p, self.g = kind, p, make_generator(seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Measure a batch ``(B, ...)``; returns the same shape."""
        if self.kind == "noise":
            return x + self.p * torch.randn(x.shape, generator=self.g).to(x)
        return x * (torch.rand(x.shape, generator=self.g) >= self.p).to(x)

    def rescaled(self, scale: float) -> Measurement:
        """The same measurement for data divided by ``scale`` (standardised data), same stream.

        f(x) / s = x / s + (p / s) ε: the noise's std becomes p / s; dropout is unchanged (zeroing
        a coordinate commutes with scaling).

        Args:
            scale: s > 0, the factor the data were divided by.

        Returns:
            a measurement drawing from this one's random stream.
        """
        if not scale > 0:
            raise ValueError(f"scale must be positive (the data's std, say), got {scale}")
        return Measurement(self.kind, self.p / scale if self.kind == "noise" else self.p, seed=self.g)


class MeasuredGenerator(nn.Module):
    """AmbientGAN's generator as the discriminator sees it: z → f(G(z)).

    Train it with ``train_gan((MeasuredGenerator(G, f), D), measured_data, config)``; sample ``G``
    (an ``evaluate`` callback of ``train_gan`` receives this wrapper: score its ``generator``).

    Args:
        generator: G, with ``cfg.latent_dim``.
        measurement: f, differentiable, a batch ``(B, ...)`` to a batch of the same shape.
    """

    def __init__(self, generator: nn.Module, measurement: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.generator, self.measurement, self.cfg = generator, measurement, generator.cfg

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Measured samples f(G(z)) for noise ``(B, latent_dim)``."""
        return self.measurement(self.generator(z))


def centre_distances(samples: torch.Tensor, centers: torch.Tensor) -> dict[str, float]:
    """How far samples lie from the nearest mixture centre: two summaries of d_i = min_k ||x_i - c_k||.

    ``spread`` = sqrt(mean d_i²), dominated by the few samples between modes; ``median_dist`` =
    median d_i, the width of the modes (σ sqrt(2 ln 2) ≈ 1.18 σ for a 2-D Gaussian of std σ).

    Args:
        samples: ``(n, d)`` points.
        centers: ``(k, d)`` centres.

    Returns:
        the two distances, in data units.
    """
    if samples.dim() != 2 or centers.dim() != 2 or samples.shape[1] != centers.shape[1] or not len(samples):
        raise ValueError(
            f"expected samples (n, d) and centers (k, d), got {tuple(samples.shape)}, {tuple(centers.shape)}"
        )
    d = torch.cdist(samples, centers).min(dim=1).values  # (n,)
    return {"spread": float(d.pow(2).mean().sqrt()), "median_dist": float(d.median())}


# --- Raw audio: WaveGAN ---------------------------------------------------------------------------


def phase_shuffle(
    x: torch.Tensor, rad: int, *, seed: _Seed = 0, shifts: torch.Tensor | None = None
) -> torch.Tensor:
    """Phase shuffle {cite}`donahue2019wavegan`: y[b, c, t] = x[b, c, t - k_b], k_b ~ U{-rad..rad}.

    The edges are filled by reflection, so the length is unchanged.

    Args:
        x: ``(B, C, T)`` with T > rad.
        rad: largest shift in samples (WaveGAN uses 2); 0 returns ``x``.
        seed: int or generator for the shifts.
        shifts: fixed shifts ``(B,)`` instead of random ones.

    Returns:
        ``(B, C, T)``.
    """
    if x.dim() != 3 or x.shape[2] <= rad:
        raise ValueError(f"expected (batch, channels, time) with time > {rad}, got {tuple(x.shape)}")
    if rad == 0:
        return x
    b, t = len(x), x.shape[2]
    shifts = torch.randint(-rad, rad + 1, (b,), generator=make_generator(seed)) if shifts is None else shifts
    if shifts.shape != (b,) or int(shifts.abs().max()) > rad:
        raise ValueError(f"shifts must have shape ({b},) and |k| <= {rad}")
    padded = F.pad(x, (rad, rad), mode="reflect")  # (B, C, T + 2 rad)
    idx = (rad - shifts).to(x.device).view(b, 1, 1) + torch.arange(t, device=x.device).view(1, 1, t)
    return padded.gather(2, idx.expand(-1, x.shape[1], -1))  # y[t] = padded[t + rad - k]


@dataclass
class WaveGANConfig:
    """A WaveGAN for the CPU: 4 upsampling layers make 4,096 samples (0.51 s at 8 kHz).

    The paper's 5 layers make 16,384 samples at 16 kHz; its last hidden layer has d = 64 channels.

    Attributes:
        latent_dim: size of z (U(-1, 1)^d in the paper; N(0, I) here).
        width: channels of the generator's last hidden layer (doubling per layer upwards).
        layers: upsampling layers; the clip length is ``16 * 4**layers``.
        kernel: convolution kernel size (25 in the paper).
        phase_shuffle: radius of phase shuffle in the discriminator (0 = off).
    """

    latent_dim: int = 32
    width: int = 16
    layers: int = 4
    kernel: int = 25
    phase_shuffle: int = 2

    @property
    def length(self) -> int:
        """Samples per generated clip."""
        return 16 * 4**self.layers

    @classmethod
    def tiny(cls, **kw) -> WaveGANConfig:
        """A size for tests and exercises (``kw`` overrides fields)."""
        return cls(**{"latent_dim": 4, "width": 2, "layers": 2, "kernel": 9, **kw})


class WaveGANGenerator(nn.Module):
    """z → Linear → 16 frames → [ReLU, ConvTranspose1d stride 4, half the channels] × layers → tanh.

    Args:
        cfg: :class:`WaveGANConfig`.
    """

    def __init__(self, cfg: WaveGANConfig):
        super().__init__()
        self.cfg, k, pad = cfg, cfg.kernel, (cfg.kernel - 3) // 2  # (T-1) 4 - 2 pad + k + out_pad = 4 T
        c = [cfg.width * 2**i for i in reversed(range(cfg.layers))] + [1]
        self.fc = nn.Linear(cfg.latent_dim, 16 * c[0])
        up = [(nn.ReLU(), nn.ConvTranspose1d(a, b, k, 4, pad, 4 - k + 2 * pad)) for a, b in pairwise(c)]
        self.net = nn.Sequential(*[m for pair in up for m in pair])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Waveforms ``(B, length)`` in (-1, 1) from noise ``(B, latent_dim)``."""
        return torch.tanh(self.net(self.fc(z).view(len(z), -1, 16))).squeeze(1)


class WaveGANDiscriminator(nn.Module):
    """waveform → [Conv1d stride 4, LeakyReLU(0.2), phase shuffle when training] × layers → score.

    Args:
        cfg: :class:`WaveGANConfig`.
        seed: int or generator of the phase-shuffle shifts.
    """

    def __init__(self, cfg: WaveGANConfig, seed: _Seed = 0):
        super().__init__()
        self.cfg, self.g = cfg, make_generator(seed)
        c = [1] + [cfg.width * 2**i for i in range(cfg.layers)]
        self.convs = nn.ModuleList(nn.Conv1d(a, b, cfg.kernel, 4, cfg.kernel // 2) for a, b in pairwise(c))
        self.head = nn.Linear(c[-1] * 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Critic scores ``(B,)`` of waveforms ``(B, length)``."""
        if x.dim() != 2 or x.shape[1] != self.cfg.length:
            raise ValueError(
                f"expected clips (B, {self.cfg.length}) (prepare_fsdd_clips), got {tuple(x.shape)}"
            )
        h = x.unsqueeze(1)
        for i, conv in enumerate(self.convs):
            h = F.leaky_relu(conv(h), 0.2)
            if self.training and i < len(self.convs) - 1:
                h = phase_shuffle(h, self.cfg.phase_shuffle, seed=self.g)
        return self.head(h.flatten(1)).squeeze(1)


#: WaveGAN's optimisation {cite}`donahue2019wavegan`: WGAN-GP with λ = 10, 5 critic steps per
#: generator step, Adam(1e-4, betas (0.5, 0.9)); set ``steps`` with ``dataclasses.replace``.
WAVEGAN_TRAIN = gan.GANTrainConfig(batch_size=32, lr=1e-4, betas=(0.5, 0.9), loss="wgan-gp", d_steps=5)


# --- Spectrogram audio: SpecGAN -------------------------------------------------------------------


@dataclass
class SpecGANConfig:
    """SpecGAN for the CPU: a DCGAN on normalised log-magnitude spectrograms {cite}`donahue2019wavegan`.

    A clip of ``length`` samples has an STFT of ``n_fft // 2`` bins (the Nyquist bin dropped) by
    ``length // hop_length`` frames; the defaults give 128 x 32 images for 4,096 samples (0.51 s
    at 8 kHz). The paper: 128 x 128 images of 16 kHz audio, d = 64 channels in the last hidden layer.

    Attributes:
        latent_dim: size of z ~ N(0, I).
        width: channels of the generator's last hidden layer (doubling per layer upwards).
        n_fft, hop_length: the STFT.
        length: samples per clip.
        gl_iterations: Griffin-Lim iterations when turning a spectrogram into audio.
    """

    latent_dim: int = 64
    width: int = 32
    n_fft: int = 256
    hop_length: int = 128
    length: int = 4096
    gl_iterations: int = 32

    @property
    def shape(self) -> tuple[int, int]:
        """(bins, frames) of one spectrogram image."""
        return self.n_fft // 2, self.length // self.hop_length

    @property
    def core(self) -> tuple[int, int, int]:
        """(channels, bins, frames) at the narrow end of both networks: 4 halvings of the image."""
        return 8 * self.width, self.shape[0] // 16, self.shape[1] // 16

    def __post_init__(self) -> None:
        bins, frames = self.shape
        if bins % 16 or frames % 16:
            raise ValueError(
                f"bins and frames must be multiples of 16 (4 upsamplings), got {bins} x {frames}"
            )

    @classmethod
    def tiny(cls, **kw) -> SpecGANConfig:
        """A size for tests and exercises (``kw`` overrides fields): 32 x 16 images of 512 samples."""
        return cls(**{"latent_dim": 4, "width": 2, "n_fft": 64, "hop_length": 32, "length": 512, **kw})


def log_spectrogram(clips: torch.Tensor, cfg: SpecGANConfig) -> torch.Tensor:
    """SpecGAN's representation before normalisation: log(|STFT| + 1e-5).

    Args:
        clips: ``(B, cfg.length)`` waveforms.
        cfg: the :class:`SpecGANConfig`.

    Returns:
        ``(B, bins, frames)``, the Nyquist bin and the last frame dropped.
    """
    if clips.dim() != 2 or clips.shape[1] != cfg.length:
        raise ValueError(f"expected clips (B, {cfg.length}), got {tuple(clips.shape)}")
    bins, frames = cfg.shape
    mag = stft(clips, cfg.n_fft, cfg.hop_length).abs()[:, :bins, :frames]  # (B, bins, frames)
    return (mag + 1e-5).log()


class SpecGANGenerator(nn.Module):
    """z → Linear → (8w, bins/16, frames/16) → [ConvTranspose2d stride 2, BN, ReLU] × 3 → ConvT → tanh.

    Outputs normalised spectrograms ``(B, 1, bins, frames)`` in (-1, 1); :meth:`to_audio` undoes the
    per-bin normalisation (its statistics are buffers, saved with the weights) and runs Griffin-Lim.

    Args:
        cfg: :class:`SpecGANConfig`.
    """

    def __init__(self, cfg: SpecGANConfig):
        super().__init__()
        self.cfg, w, bins = cfg, cfg.width, cfg.shape[0]
        self.fc = nn.Linear(cfg.latent_dim, math.prod(cfg.core))
        c = [8 * w, 4 * w, 2 * w, w]
        up = [[nn.ConvTranspose2d(a, b, 4, 2, 1), nn.BatchNorm2d(b), nn.ReLU()] for a, b in pairwise(c)]
        self.net = nn.Sequential(
            nn.ReLU(), *[m for block in up for m in block], nn.ConvTranspose2d(w, 1, 4, 2, 1)
        )
        self.register_buffer("mean", torch.zeros(bins, 1))  # per-bin statistics of the log spectrogram
        self.register_buffer("std", torch.ones(bins, 1))

    def set_statistics(self, log_specs: torch.Tensor) -> None:
        """Store the per-bin mean and std of training log spectrograms ``(N, bins, frames)``."""
        self.mean.copy_(log_specs.mean(dim=(0, 2)).unsqueeze(1))
        self.std.copy_(log_specs.std(dim=(0, 2)).unsqueeze(1).clamp(min=1e-3))

    def normalise(self, log_specs: torch.Tensor) -> torch.Tensor:
        """SpecGAN's scaling: (L - mean) / (3 std) per bin, clipped to [-1, 1]; ``(N, 1, bins, frames)``."""
        return ((log_specs - self.mean) / (3 * self.std)).clamp(-1, 1).unsqueeze(1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Normalised spectrograms ``(B, 1, bins, frames)`` from noise ``(B, latent_dim)``."""
        return torch.tanh(self.net(self.fc(z).view(len(z), *self.cfg.core)))

    @torch.no_grad()
    def to_audio(self, specs: torch.Tensor, seed: _Seed = 0) -> torch.Tensor:
        """Waveforms ``(B, length)`` from normalised spectrograms: undo the scaling, then Griffin-Lim."""
        mag = (specs.squeeze(1) * 3 * self.std + self.mean).exp()  # (B, bins, frames)
        mag = F.pad(mag, (0, 1, 0, 1), mode="replicate")  # the dropped Nyquist bin and last frame
        cfg = self.cfg
        return griffin_lim(
            mag.cpu(), cfg.n_fft, cfg.hop_length, cfg.length, iterations=cfg.gl_iterations, seed=seed
        )

    @torch.no_grad()
    def generate(self, n: int, seed: _Seed = 0) -> torch.Tensor:
        """``n`` waveforms ``(n, length)``: noise, spectrogram, audio (eval mode, then restored)."""
        g = make_generator(seed)
        was_training = self.training
        specs = self.eval()(torch.randn(n, self.cfg.latent_dim, generator=g).to(self.mean.device))
        self.train(was_training)
        return self.to_audio(specs, seed=g)


class SpecGANDiscriminator(nn.Module):
    """Spectrogram ``(B, 1, bins, frames)`` → [Conv2d stride 2, LeakyReLU(0.2)] × 4 → Linear → score.

    Args:
        cfg: :class:`SpecGANConfig`.
    """

    def __init__(self, cfg: SpecGANConfig):
        super().__init__()
        self.cfg, w = cfg, cfg.width
        c = [1, w, 2 * w, 4 * w, 8 * w]
        self.body = nn.Sequential(
            *[m for a, b in pairwise(c) for m in (nn.Conv2d(a, b, 4, 2, 1), nn.LeakyReLU(0.2))]
        )
        self.head = nn.Linear(math.prod(cfg.core), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Critic scores ``(B,)``."""
        if x.dim() != 4 or tuple(x.shape[1:]) != (1, *self.cfg.shape):
            bins, frames = self.cfg.shape
            raise ValueError(f"expected spectrograms (B, 1, {bins}, {frames}), got {tuple(x.shape)}")
        return self.head(self.body(x).flatten(1)).squeeze(1)


def build_specgan(cfg: SpecGANConfig, clips: torch.Tensor, seed: int = 0):
    """A SpecGAN pair and its training images, the generator's normalisation fitted on ``clips``.

    Args:
        cfg: the :class:`SpecGANConfig`.
        clips: training waveforms ``(N, cfg.length)``.
        seed: seeds the initialisation; the global RNG is left as it was.

    Returns:
        ``(generator, discriminator, images (N, 1, bins, frames))``.
    """
    with seeded(seed):
        gen, disc = SpecGANGenerator(cfg), SpecGANDiscriminator(cfg)
    log_specs = log_spectrogram(clips, cfg)
    gen.set_statistics(log_specs)
    return gen, disc, gen.normalise(log_specs)


def prepare_fsdd_clips(waves: list[torch.Tensor], length: int, top_db: float = 40.0) -> torch.Tensor:
    """The WaveGAN training set: trim silence, centre (or crop the loudest window), peak 0.9.

    Args:
        waves: 8 kHz mono recordings, each ``(time,)``.
        length: samples per clip (``WaveGANConfig.length``).
        top_db: silence threshold below the loudest frame.

    Returns:
        ``(n, length)`` clips.
    """
    if not waves:
        raise ValueError("no recordings to prepare")
    clips = [
        fix_length(trim_silence(check_wave(w, name="waves", batch=False), top_db), length) for w in waves
    ]
    return torch.stack([0.9 * w / w.abs().max().clamp(min=1e-8) for w in clips])


def pretrained_wavegan(name: str | Path = "gan_beyond_wavegan") -> WaveGANGenerator:
    """The committed WaveGAN generator (repository, user cache or download), hash-checked.

    Args:
        name: a registry name, or the path of a file saved by ``checkpoints.save(generator, path)``.

    Returns:
        the generator in eval mode, on the CPU.
    """
    return _pretrained(name, WaveGANConfig, WaveGANGenerator)


def pretrained_specgan(name: str | Path = "gan_beyond_specgan") -> SpecGANGenerator:
    """The committed SpecGAN generator with its normalisation statistics, hash-checked.

    Args:
        name: a registry name, or the path of a file saved by ``checkpoints.save(generator, path)``.

    Returns:
        the generator in eval mode, on the CPU; ``generate(n)`` gives audio.
    """
    return _pretrained(name, SpecGANConfig, SpecGANGenerator)


def _pretrained(name: str | Path, cfg_cls: type, gen_cls: type) -> nn.Module:
    blob = checkpoints.load(name)
    if set(blob.get("config", {})) != set(cfg_cls.__dataclass_fields__):
        raise ValueError(f"{name} is not a {gen_cls.__name__} checkpoint: its config is {blob.get('config')}")
    with seeded(0):
        gen = gen_cls(cfg_cls(**blob["config"]))
    gen.load_state_dict(blob["state_dict"])
    return gen.eval()


def confidence_and_entropy(probs: torch.Tensor, threshold: float = 0.9) -> dict[str, float]:
    """Figures for generated audio from a classifier's probabilities (a digit judge, not Inception).

    ``confident``: share of samples whose top probability exceeds ``threshold``; ``class_entropy``:
    entropy (bits) of the histogram of predicted classes, log2(classes) at most; ``inception_score``:
    exp(E_x KL(p(y|x) || p(y))) {cite}`salimans2016improved`, in [1, classes].

    Args:
        probs: ``(n, classes)`` predicted probabilities.
        threshold: the confidence level.

    Returns:
        the three figures.
    """
    if probs.dim() != 2 or len(probs) == 0:
        raise ValueError(f"expected probabilities (n, classes), got {tuple(probs.shape)}")
    p = probs.double().clamp(min=1e-12)
    hist = torch.bincount(p.argmax(1), minlength=p.shape[1]).double() / len(p)
    nz = hist[hist > 0]
    return {
        "confident": float((p.max(1).values > threshold).double().mean()),
        "class_entropy": float((nz * (1 / nz).log2()).sum()),
        "inception_score": float((p * (p.log() - p.mean(0).log())).sum(1).mean().exp()),
    }

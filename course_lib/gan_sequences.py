"""GANs beyond clean images: discrete tokens, raw audio, noisy training data, augmentation.

The "GANs beyond clean images" section of the GAN chapter reads this module. Losses, the MLP
networks and the plain training loop come from :mod:`course_lib.gan`; this module adds what
non-image data needs.

- Discrete sequences. Sampling a token (``argmax`` or ``multinomial``) has no useful gradient,
  so the discriminator's signal cannot reach the generator. Three fixes:
  the Gumbel-softmax / Concrete relaxation (Jang et al. 2017 {jang2017gumbel}; Maddison et al.
  2017 {maddison2017concrete}), the straight-through estimator (Bengio et al. 2013
  {bengio2013estimating}) and REINFORCE (Williams 1992 {williams1992reinforce}) with a
  baseline, the idea of SeqGAN (Yu et al. 2017 {yu2017seqgan}). The toy language is Dyck-2:
  balanced strings over ``()[]`` of a fixed length, so validity can be *counted*.
- Raw audio: the WaveGAN idea (Donahue et al. 2019 {donahue2019wavegan}): a 1-D transposed
  convolution generator, a strided 1-D convolution critic with *phase shuffle*, WGAN-GP loss.
- Noisy data: AmbientGAN (Bora et al. 2018 {bora2018ambientgan}) puts the known measurement
  after the generator, so the discriminator compares measured fakes with measured data.
- Data augmentation: a small class-conditional GAN (Mirza & Osindero 2014 {mirza2014cgan})
  for the 8x8 digits, and a plain classifier training loop for the with/without comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.gan import (
    MLPConfig,
    MLPDiscriminator,
    d_loss_bce,
    g_loss_nonsaturating,
    wgan_gp_losses,
)
from course_lib.utils import committed_checkpoint, load_verified, sha256_file

__all__ = [
    # toy language
    "DYCK_VOCAB",
    "is_dyck",
    "dyck_strings",
    "dyck_dataset",
    "encode",
    "decode",
    "validity_and_diversity",
    # gradient estimators
    "sample_gumbel",
    "gumbel_softmax",
    "straight_through",
    "straight_through_sample",
    # sequence models
    "TokenGANConfig",
    "TokenGenerator",
    "token_discriminator",
    "train_mle",
    "train_token_gan",
    "sample_strings",
    # raw audio
    "phase_shuffle",
    "PhaseShuffle",
    "WaveGANConfig",
    "WaveGANGenerator",
    "WaveGANDiscriminator",
    "prepare_fsdd_clips",
    "train_wavegan",
    "confidence_and_entropy",
    # noisy data
    "AdditiveNoise",
    "CoordinateDropout",
    "MeasuredGenerator",
    # augmentation
    "CondGANConfig",
    "CondGenerator",
    "CondDiscriminator",
    "train_cond_gan",
    "sample_conditional",
    "shift_augment",
    "labelled_subset",
    "fit_classifier",
    "accuracy",
    "WAVEGAN_CHECKPOINT",
    "WAVEGAN_SHA256",
    "save_wavegan",
    "load_wavegan",
    "pretrained_wavegan",
]


# ---------------------------------------------------------------------------------------
# The toy language: Dyck-2 (balanced round and square brackets) of a fixed length
# ---------------------------------------------------------------------------------------

DYCK_VOCAB = "()[]"
_PAIRS = {")": "(", "]": "["}


def is_dyck(s: str) -> bool:
    """True if ``s`` is a balanced string over ``()[]`` (every closer matches the last opener).

    >>> is_dyck("([])()"), is_dyck("([)]"), is_dyck("((")
    (True, False, False)
    """
    stack: list[str] = []
    for ch in s:
        if ch in "([":
            stack.append(ch)
        elif ch in _PAIRS:
            if not stack or stack.pop() != _PAIRS[ch]:
                return False
        else:
            return False
    return not stack


def dyck_strings(length: int) -> list[str]:
    """All balanced strings of ``length`` over ``()[]``, sorted.

    There are C(n) 2^n of them for length 2n (C the Catalan number): 224 for length 8,
    1,344 for length 10, out of 4^length strings.

    Raises:
        ValueError: odd or non-positive length, or length > 12 (enumeration would be slow).
    """
    if length <= 0 or length % 2 or length > 12:
        raise ValueError(f"length must be even, in 2..12, got {length}")
    out: list[str] = []

    def grow(prefix: str, stack: str) -> None:
        left = length - len(prefix)
        if left == 0:
            out.append(prefix)
            return
        if len(stack) < left:  # room to open and still close
            for o in "([":
                grow(prefix + o, stack + o)
        if stack:
            closer = ")" if stack[-1] == "(" else "]"
            grow(prefix + closer, stack[:-1])

    grow("", "")
    return sorted(out)


def encode(strings: list[str]) -> torch.Tensor:
    """Strings of equal length over ``()[]`` → token indices ``(n, length)`` int64."""
    if not strings:
        raise ValueError("need at least one string")
    n = len(strings[0])
    if any(len(s) != n for s in strings):
        raise ValueError("all strings must have the same length")
    try:
        return torch.tensor([[DYCK_VOCAB.index(c) for c in s] for s in strings], dtype=torch.long)
    except ValueError as err:
        raise ValueError(f"strings may contain only {DYCK_VOCAB!r}") from err


def decode(tokens: torch.Tensor) -> list[str]:
    """Token indices ``(n, length)`` → strings."""
    return ["".join(DYCK_VOCAB[int(t)] for t in row) for row in tokens]


def dyck_dataset(n: int, length: int = 10, seed: int = 0) -> torch.Tensor:
    """``n`` strings drawn uniformly (with replacement) from all balanced strings of ``length``,
    as tokens ``(n, length)``."""
    pool = encode(dyck_strings(length))
    g = torch.Generator().manual_seed(seed)
    return pool[torch.randint(len(pool), (n,), generator=g)]


def validity_and_diversity(strings: list[str]) -> dict[str, float]:
    """Share of valid samples and diversity, the figures of the discrete-GAN comparison.

    Returns:
        dict with ``valid`` (share of balanced strings), ``diversity`` (distinct valid strings
        / number of samples), ``distinct_valid`` (count) and ``coverage`` (distinct valid /
        number of balanced strings of that length).
    """
    if not strings:
        raise ValueError("no samples")
    valid = [s for s in strings if is_dyck(s)]
    distinct = len(set(valid))
    n_lang = len(dyck_strings(len(strings[0]))) if len(strings[0]) % 2 == 0 else 0
    return {
        "valid": len(valid) / len(strings),
        "diversity": distinct / len(strings),
        "distinct_valid": float(distinct),
        "coverage": distinct / n_lang if n_lang else 0.0,
    }


# ---------------------------------------------------------------------------------------
# Gradient estimators for discrete samples
# ---------------------------------------------------------------------------------------


def sample_gumbel(shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard Gumbel noise g = -log(-log U), U ~ U(0, 1), shape ``shape`` (CPU, float32)."""
    u = torch.rand(shape, generator=generator).clamp(1e-10, 1.0 - 1e-7)
    return -torch.log(-torch.log(u))


def gumbel_softmax(
    logits: torch.Tensor, tau: float = 1.0, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Gumbel-softmax (Concrete) relaxation of a categorical sample:

        y = softmax((logits + g) / τ),   g_i ~ Gumbel(0, 1) i.i.d.

    ``argmax(logits + g)`` is an exact sample of Categorical(softmax(logits)) (the Gumbel-max
    trick); the softmax replaces the argmax so that y is differentiable in the logits. As
    τ → 0, y approaches that one-hot sample (and the gradient's variance grows); as τ → ∞, y
    approaches the uniform vector.

    Args:
        logits: ``(..., V)`` unnormalised log-probabilities.
        tau: temperature τ > 0.
        generator: random generator for g.

    Returns:
        ``(..., V)`` points of the simplex.
    """
    if tau <= 0:
        raise ValueError(f"tau must be positive, got {tau}")
    g = sample_gumbel(tuple(logits.shape), generator).to(logits.device, logits.dtype)
    return F.softmax((logits + g) / tau, dim=-1)


def straight_through(soft: torch.Tensor) -> torch.Tensor:
    """Straight-through estimator: forward the one-hot argmax of ``soft``, backward as if the
    identity had been applied to ``soft``:

        y = onehot(argmax soft) - stop_gradient(soft) + soft.

    The forward value is exactly one-hot; dL/dsoft is set to dL/dy (a biased estimate of the
    true gradient, which is zero almost everywhere).

    Args:
        soft: ``(..., V)``, e.g. probabilities or a Gumbel-softmax sample.
    """
    hard = F.one_hot(soft.argmax(-1), soft.shape[-1]).to(soft.dtype)
    return hard - soft.detach() + soft


def straight_through_sample(
    logits: torch.Tensor, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """One-hot *sample* of Categorical(softmax(logits)) whose gradient is that of the
    probabilities (the "ST" estimator of Bengio et al. 2013 applied to sampling).

    Returns:
        ``(..., V)``: one-hot in the forward pass.
    """
    probs = F.softmax(logits, dim=-1)
    idx = torch.multinomial(probs.detach().reshape(-1, probs.shape[-1]).cpu(), 1, generator=generator)
    hard = F.one_hot(idx.view(probs.shape[:-1]), probs.shape[-1]).to(probs)
    return hard - probs.detach() + probs


# ---------------------------------------------------------------------------------------
# Sequence generator (one class for MLE and for the three GAN estimators)
# ---------------------------------------------------------------------------------------


@dataclass
class TokenGANConfig:
    """Sizes and training options for the discrete-sequence experiments.

    Attributes:
        length: sequence length; vocab: number of token types.
        latent_dim: size of z (the generator's initial state comes from z).
        hidden: GRU width of the generator; embed: token embedding size.
        d_hidden, d_layers: MLP discriminator on the flattened one-hot sequence.
        steps, batch_size, lr: optimisation (Adam, betas (0.5, 0.999) for the GANs).
        tau_start, tau_end: Gumbel-softmax temperature, annealed geometrically.
        baseline_decay: decay of the moving-average reward baseline of REINFORCE.
        entropy_weight: small entropy bonus for REINFORCE (0 = off).
        seed: initialisation and sampling seed.
    """

    length: int = 10
    vocab: int = 4
    latent_dim: int = 16
    hidden: int = 64
    embed: int = 16
    d_hidden: int = 128
    d_layers: int = 2
    steps: int = 1500
    batch_size: int = 128
    lr: float = 2e-3
    tau_start: float = 1.0
    tau_end: float = 0.3
    baseline_decay: float = 0.9
    entropy_weight: float = 0.0
    seed: int = 0

    @classmethod
    def tiny(cls, **kw) -> TokenGANConfig:
        return cls(
            **{"length": 4, "hidden": 16, "embed": 8, "d_hidden": 16, "steps": 5, "batch_size": 16, **kw}
        )


class TokenGenerator(nn.Module):
    """Autoregressive GRU generator: z → initial state; at each step the *previous token
    vector* (one-hot, a Gumbel-softmax point or a straight-through one-hot) is embedded and fed
    back. The same module is trained by teacher forcing (MLE) or adversarially.
    """

    def __init__(self, cfg: TokenGANConfig):
        super().__init__()
        self.cfg = cfg
        self.init = nn.Linear(cfg.latent_dim, cfg.hidden)
        self.embed = nn.Linear(cfg.vocab, cfg.embed, bias=False)  # works on soft vectors too
        self.start = nn.Parameter(torch.zeros(cfg.embed))
        self.cell = nn.GRUCell(cfg.embed, cfg.hidden)
        self.out = nn.Linear(cfg.hidden, cfg.vocab)

    def teacher_forced_logits(self, tokens: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, L, V)`` of p(x_t | x_<t, z) with the real previous tokens as inputs."""
        b, length = tokens.shape
        h = torch.tanh(self.init(z))  # (B, H)
        inp = self.start.expand(b, -1)
        onehot = F.one_hot(tokens, self.cfg.vocab).float()  # (B, L, V)
        out = []
        for t in range(length):
            h = self.cell(inp, h)
            out.append(self.out(h))
            inp = self.embed(onehot[:, t])
        return torch.stack(out, 1)

    def generate(
        self,
        z: torch.Tensor,
        mode: str = "sample",
        *,
        tau: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Free-running generation.

        Args:
            z: ``(B, latent_dim)``.
            mode: ``"sample"`` (multinomial, no gradient path), ``"gumbel"`` (soft
                Gumbel-softmax vectors fed back and returned), ``"st"`` (straight-through
                one-hot samples).
            tau: Gumbel-softmax temperature.

        Returns:
            ``(tokens (B, L) int64, vectors (B, L, V) what the discriminator sees,
            log_prob (B,) of the sampled tokens)``.
        """
        if mode not in ("sample", "gumbel", "st"):
            raise ValueError(f"mode must be 'sample', 'gumbel' or 'st', got {mode!r}")
        b = z.shape[0]
        h = torch.tanh(self.init(z))
        inp = self.start.expand(b, -1)
        toks, vecs, logp = [], [], torch.zeros(b, device=z.device)
        for _ in range(self.cfg.length):
            h = self.cell(inp, h)
            logits = self.out(h)  # (B, V)
            if mode == "gumbel":
                vec = gumbel_softmax(logits, tau, generator=generator)
                tok = vec.argmax(-1)
            elif mode == "st":
                vec = straight_through_sample(logits, generator=generator)
                tok = vec.argmax(-1)
            else:
                probs = F.softmax(logits, -1)
                tok = torch.multinomial(probs.detach().cpu(), 1, generator=generator).squeeze(1).to(z.device)
                vec = F.one_hot(tok, self.cfg.vocab).float()
            logp = logp + F.log_softmax(logits, -1).gather(1, tok.unsqueeze(1)).squeeze(1)
            toks.append(tok)
            vecs.append(vec)
            inp = self.embed(vec)
        return torch.stack(toks, 1), torch.stack(vecs, 1), logp


def token_discriminator(cfg: TokenGANConfig) -> MLPDiscriminator:
    """The GAN chapter's MLP discriminator on the flattened ``(L * V)`` sequence of token
    vectors (call it on ``x.flatten(1)``)."""
    return MLPDiscriminator(
        MLPConfig(data_dim=cfg.length * cfg.vocab, d_hidden=cfg.d_hidden, d_layers=cfg.d_layers)
    )


def train_mle(gen: TokenGenerator, tokens: torch.Tensor, cfg: TokenGANConfig) -> list[float]:
    """Maximum likelihood (teacher forcing): minimise -mean_t log p(x_t | x_<t, z), z ~ N(0, I).

    Returns:
        Cross-entropy per step (nats/token).
    """
    g = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.Adam(gen.parameters(), lr=cfg.lr)
    losses = []
    for _ in range(cfg.steps):
        x = tokens[torch.randint(len(tokens), (cfg.batch_size,), generator=g)]
        z = torch.randn(cfg.batch_size, cfg.latent_dim, generator=g)
        logits = gen.teacher_forced_logits(x, z)
        loss = F.cross_entropy(logits.reshape(-1, cfg.vocab), x.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


def train_token_gan(
    gen: TokenGenerator, disc: nn.Module, tokens: torch.Tensor, method: str, cfg: TokenGANConfig
) -> dict[str, list[float]]:
    """Adversarial training of :class:`TokenGenerator` on token sequences.

    The discriminator always sees one-hot real data and the generator's vectors, with the BCE
    loss ``d_loss_bce``. The generator's update depends on ``method``:

    - ``"gumbel"``: non-saturating loss on Gumbel-softmax vectors (τ annealed from
      ``tau_start`` to ``tau_end``); the gradient flows through the relaxation.
    - ``"st"``: non-saturating loss on straight-through one-hot samples.
    - ``"reinforce"``: score function. Reward r = log D(x) of the hard sample (the
      non-saturating objective), baseline b a moving average of r, loss
      -mean (r - b) log p(x) (minus an optional entropy bonus).

    Returns:
        ``{"d_loss": [...], "g_loss": [...]}`` per step.
    """
    if method not in ("gumbel", "st", "reinforce"):
        raise ValueError(f"method must be 'gumbel', 'st' or 'reinforce', got {method!r}")
    g = torch.Generator().manual_seed(cfg.seed)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    real_all = F.one_hot(tokens, cfg.vocab).float()  # (N, L, V)
    hist: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    baseline = None
    mode = {"gumbel": "gumbel", "st": "st", "reinforce": "sample"}[method]
    for step in range(cfg.steps):
        frac = step / max(1, cfg.steps - 1)
        tau = cfg.tau_start * (cfg.tau_end / cfg.tau_start) ** frac
        real = real_all[torch.randint(len(real_all), (cfg.batch_size,), generator=g)]
        z = torch.randn(cfg.batch_size, cfg.latent_dim, generator=g)
        _, fake, logp = gen.generate(z, mode, tau=tau, generator=g)
        loss_d = d_loss_bce(disc(real.flatten(1)), disc(fake.detach().flatten(1)))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        if method == "reinforce":
            with torch.no_grad():
                reward = -F.softplus(-disc(fake.flatten(1)))  # log D(x), (B,)
            baseline = (
                reward.mean()
                if baseline is None
                else (cfg.baseline_decay * baseline + (1 - cfg.baseline_decay) * reward.mean())
            )
            loss_g = -((reward - baseline) * logp).mean()
            if cfg.entropy_weight:
                loss_g = loss_g + cfg.entropy_weight * logp.mean()  # -H estimate = E[log p]
        else:
            loss_g = g_loss_nonsaturating(disc(fake.flatten(1)))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        hist["d_loss"].append(float(loss_d.detach()))
        hist["g_loss"].append(float(loss_g.detach()))
    return hist


@torch.no_grad()
def sample_strings(gen: TokenGenerator, n: int, seed: int = 0) -> list[str]:
    """``n`` strings sampled from the generator (multinomial at temperature 1, which is what
    the Gumbel-max trick samples too)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, gen.cfg.latent_dim, generator=g)
    tokens, _, _ = gen.generate(z, "sample", generator=g)
    return decode(tokens)


# ---------------------------------------------------------------------------------------
# Raw audio: WaveGAN
# ---------------------------------------------------------------------------------------


def phase_shuffle(
    x: torch.Tensor,
    rad: int,
    *,
    generator: torch.Generator | None = None,
    shifts: torch.Tensor | None = None,
) -> torch.Tensor:
    """Phase shuffle (Donahue et al. 2019, section 3.3): shift each example's feature map in
    time by k ~ U{-rad, ..., rad}, filling the gap by reflection, so the length is unchanged:

        y[b, c, t] = x[b, c, t - k_b]   for rad <= t - k_b < T (reflection at the edges).

    It keeps the discriminator from relying on the exact phase of periodic artefacts that
    transposed convolutions leave in generated audio.

    Args:
        x: ``(B, C, T)`` with T > rad.
        rad: maximum shift in samples (WaveGAN uses 2).
        shifts: optional fixed shifts ``(B,)`` (tests use them).

    Returns:
        ``(B, C, T)``.
    """
    if x.dim() != 3:
        raise ValueError(f"expected (batch, channels, time), got {tuple(x.shape)}")
    b, _, t = x.shape
    if rad == 0:
        return x
    if t <= rad:
        raise ValueError(f"time length {t} must exceed the shift radius {rad}")
    if shifts is None:
        shifts = torch.randint(-rad, rad + 1, (b,), generator=generator)
    if shifts.shape != (b,) or int(shifts.abs().max()) > rad:
        raise ValueError(f"shifts must have shape ({b},) and |k| <= {rad}")
    padded = F.pad(x, (rad, rad), mode="reflect")  # (B, C, T + 2 rad)
    start = (rad - shifts).to(x.device)  # y[t] = padded[t + rad - k]
    idx = start.view(b, 1, 1) + torch.arange(t, device=x.device).view(1, 1, t)
    return padded.gather(2, idx.expand(-1, x.shape[1], -1))


class PhaseShuffle(nn.Module):
    """:func:`phase_shuffle` as a layer; active in train mode only."""

    def __init__(self, rad: int, generator: torch.Generator | None = None):
        super().__init__()
        self.rad = rad
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return phase_shuffle(x, self.rad, generator=self.generator) if self.training and self.rad else x


@dataclass
class WaveGANConfig:
    """A WaveGAN scaled down for CPU: 4 transposed-conv layers of stride 4 turn 16 frames into
    ``16 * 4^4 = 4096`` samples (0.51 s at 8 kHz); the paper uses 5 layers, 16,384 samples at
    16 kHz and 64x wider layers.

    Attributes:
        latent_dim: size of z ~ U(-1, 1)^d in the paper; N(0, I) here.
        width: channels of the generator's last hidden layer (doubles per layer upwards).
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
        return 16 * 4**self.layers

    @classmethod
    def tiny(cls, **kw) -> WaveGANConfig:
        return cls(**{"latent_dim": 4, "width": 2, "layers": 2, "kernel": 9, **kw})


class WaveGANGenerator(nn.Module):
    """z → Linear → (16, C·2^(layers-1)) → [ReLU, ConvTranspose1d stride 4] × layers → tanh."""

    def __init__(self, cfg: WaveGANConfig):
        super().__init__()
        self.cfg = cfg
        c0 = cfg.width * 2 ** (cfg.layers - 1)
        self.fc = nn.Linear(cfg.latent_dim, 16 * c0)
        blocks: list[nn.Module] = []
        c = c0
        pad = (cfg.kernel - 3) // 2  # (T-1)*4 - 2 pad + kernel + output_padding = 4 T
        for i in range(cfg.layers):
            c_out = 1 if i == cfg.layers - 1 else c // 2
            out_pad = 4 - cfg.kernel + 2 * pad
            blocks += [nn.ReLU(), nn.ConvTranspose1d(c, c_out, cfg.kernel, 4, pad, output_padding=out_pad)]
            c = c_out
        self.net = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``(B, latent_dim)`` → waveforms ``(B, length)`` in (-1, 1)."""
        h = self.fc(z).view(z.shape[0], -1, 16)  # (B, C0, 16)
        return torch.tanh(self.net(h)).squeeze(1)  # (B, 16 * 4^layers)


class WaveGANDiscriminator(nn.Module):
    """waveform → [Conv1d stride 4, LeakyReLU(0.2), phase shuffle] × layers → Linear → score."""

    def __init__(self, cfg: WaveGANConfig, generator: torch.Generator | None = None):
        super().__init__()
        self.cfg = cfg
        blocks: list[nn.Module] = []
        c_in, c = 1, cfg.width
        for i in range(cfg.layers):
            blocks += [nn.Conv1d(c_in, c, cfg.kernel, 4, cfg.kernel // 2), nn.LeakyReLU(0.2)]
            if i < cfg.layers - 1:
                blocks.append(PhaseShuffle(cfg.phase_shuffle, generator))
            c_in, c = c, c * 2
        self.net = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in * 16, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, length)`` → scores ``(B,)``."""
        if x.dim() != 2 or x.shape[1] != self.cfg.length:
            raise ValueError(f"expected waveforms (B, {self.cfg.length}), got {tuple(x.shape)}")
        return self.head(self.net(x.unsqueeze(1)).flatten(1)).squeeze(1)


def prepare_fsdd_clips(waves: list[torch.Tensor], length: int, top_db: float = 40.0) -> torch.Tensor:
    """Trim silence, centre (or crop the loudest window) to ``length`` samples and scale each
    clip to peak 0.9: ``(n, length)``, the WaveGAN training set."""
    from course_lib.recognition import fix_length, trim_silence

    out = []
    for w in waves:
        w = fix_length(trim_silence(w, top_db), length)
        out.append(0.9 * w / w.abs().max().clamp(min=1e-8))
    return torch.stack(out)


def train_wavegan(
    gen: WaveGANGenerator,
    disc: WaveGANDiscriminator,
    clips: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 32,
    d_steps: int = 5,
    lr: float = 1e-4,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, list[float]]:
    """WGAN-GP training as in WaveGAN (5 critic steps per generator step, Adam(1e-4, 0.5, 0.9),
    λ = 10), with ``wgan_gp_losses`` from the GAN chapter.

    Returns:
        ``{"d_loss": [...], "g_loss": [...]}`` per generator step.
    """
    from tqdm.auto import tqdm

    g = torch.Generator().manual_seed(seed)
    dev = next(gen.parameters()).device
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=lr, betas=(0.5, 0.9))
    hist: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    latent = gen.cfg.latent_dim
    for _ in tqdm(range(steps), disable=not progress, desc="WaveGAN"):
        for _ in range(d_steps):
            real = clips[torch.randint(len(clips), (batch_size,), generator=g)].to(dev)
            fake = gen(torch.randn(batch_size, latent, generator=g).to(dev))
            loss_d, _ = wgan_gp_losses(disc, real, fake.detach(), generator=g)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
        fake = gen(torch.randn(batch_size, latent, generator=g).to(dev))
        loss_g = -disc(fake).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        hist["d_loss"].append(float(loss_d.detach()))
        hist["g_loss"].append(float(loss_g.detach()))
    return hist


def confidence_and_entropy(probs: torch.Tensor, threshold: float = 0.9) -> dict[str, float]:
    """Classifier-based figures for generated audio (an "inception score"-like evaluation,
    with the course's FSDD digit classifier instead of Inception):

    - ``confident``: share of samples whose top class probability exceeds ``threshold``;
    - ``class_entropy``: entropy (bits) of the histogram of predicted classes, at most
      log2(10) = 3.32 bits when all digits are predicted equally often;
    - ``inception_score``: exp(E_x KL(p(y|x) || p(y))) (Salimans et al. 2016), in [1, 10].

    Args:
        probs: ``(n, classes)`` predicted probabilities.
    """
    if probs.dim() != 2 or len(probs) == 0:
        raise ValueError(f"expected probabilities (n, classes), got {tuple(probs.shape)}")
    p = probs.double().clamp(min=1e-12)
    hist = torch.bincount(p.argmax(1), minlength=p.shape[1]).double() / len(p)
    nz = hist[hist > 0]
    marginal = p.mean(0)
    kl = (p * (p.log() - marginal.log())).sum(1).mean()
    return {
        "confident": float((p.max(1).values > threshold).double().mean()),
        "class_entropy": float(-(nz * nz.log2()).sum()),
        "inception_score": float(kl.exp()),
    }


# ---------------------------------------------------------------------------------------
# Learning from noisy data: AmbientGAN
# ---------------------------------------------------------------------------------------


class AdditiveNoise:
    """Measurement y = x + σ ε, ε ~ N(0, I), with its own random generator."""

    def __init__(self, std: float, seed: int = 0):
        if std < 0:
            raise ValueError(f"std must be >= 0, got {std}")
        self.std = std
        self.g = torch.Generator().manual_seed(seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.std * torch.randn(x.shape, generator=self.g).to(x)


class CoordinateDropout:
    """Measurement that zeroes each coordinate independently with probability ``p`` (the
    "block/pixel dropout" measurements of AmbientGAN, in 2-D)."""

    def __init__(self, p: float, seed: int = 0):
        if not 0 <= p < 1:
            raise ValueError(f"p must be in [0, 1), got {p}")
        self.p = p
        self.g = torch.Generator().manual_seed(seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        keep = (torch.rand(x.shape, generator=self.g) >= self.p).to(x)
        return x * keep


class MeasuredGenerator(nn.Module):
    """AmbientGAN's generator as the discriminator sees it: x = f(G(z)) for a known, random
    measurement f. Pass it to ``train_gan`` with *measured* data; sample the clean generator
    (``.generator``) afterwards. The measurement must be differentiable in x (both above are).
    """

    def __init__(self, generator: nn.Module, measurement: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.generator = generator
        self.measurement = measurement
        self.cfg = generator.cfg

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.measurement(self.generator(z))


# ---------------------------------------------------------------------------------------
# Data augmentation with a conditional GAN (8x8 digits)
# ---------------------------------------------------------------------------------------


@dataclass
class CondGANConfig:
    """Class-conditional MLP GAN for 8x8 images in [0, 1] (labels enter as one-hot vectors
    concatenated to z and to the image)."""

    latent_dim: int = 16
    classes: int = 10
    hidden: int = 256
    pixels: int = 64
    steps: int = 2000
    batch_size: int = 64
    lr: float = 2e-4
    label_smoothing: float = 0.1
    seed: int = 0

    @classmethod
    def tiny(cls, **kw) -> CondGANConfig:
        return cls(**{"hidden": 16, "steps": 3, "batch_size": 8, **kw})


class CondGenerator(nn.Module):
    """[z, onehot(y)] → MLP → sigmoid → image ``(B, 1, 8, 8)``."""

    def __init__(self, cfg: CondGANConfig):
        super().__init__()
        self.cfg = cfg
        self.net = nn.Sequential(
            nn.Linear(cfg.latent_dim + cfg.classes, cfg.hidden),
            nn.ReLU(),
            nn.Linear(cfg.hidden, cfg.hidden),
            nn.ReLU(),
            nn.Linear(cfg.hidden, cfg.pixels),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = torch.cat([z, F.one_hot(y, self.cfg.classes).float()], 1)
        side = int(self.cfg.pixels**0.5)
        return torch.sigmoid(self.net(h)).view(-1, 1, side, side)


class CondDiscriminator(nn.Module):
    """[image, onehot(y)] → LeakyReLU MLP with dropout → logit ``(B,)``."""

    def __init__(self, cfg: CondGANConfig):
        super().__init__()
        self.cfg = cfg
        self.net = nn.Sequential(
            nn.Linear(cfg.pixels + cfg.classes, cfg.hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(cfg.hidden, cfg.hidden),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(cfg.hidden, 1),
        )

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = torch.cat([x.flatten(1), F.one_hot(y, self.cfg.classes).float()], 1)
        return self.net(h).squeeze(1)


def train_cond_gan(
    gen: CondGenerator, disc: CondDiscriminator, x: torch.Tensor, y: torch.Tensor, cfg: CondGANConfig
) -> dict[str, list[float]]:
    """Conditional GAN (Mirza & Osindero 2014) with the GAN chapter's losses: real pairs
    (x, y), fake pairs (G(z, y'), y') with y' drawn from the training labels; one-sided label
    smoothing on the real target.
    """
    g = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)  # dropout masks
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr, betas=(0.5, 0.999))
    hist: dict[str, list[float]] = {"d_loss": [], "g_loss": []}
    for _ in range(cfg.steps):
        idx = torch.randint(len(x), (cfg.batch_size,), generator=g)
        y_fake = y[torch.randint(len(y), (cfg.batch_size,), generator=g)]
        fake = gen(torch.randn(cfg.batch_size, cfg.latent_dim, generator=g), y_fake)
        loss_d = d_loss_bce(disc(x[idx], y[idx]), disc(fake.detach(), y_fake), cfg.label_smoothing)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = g_loss_nonsaturating(disc(fake, y_fake))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        hist["d_loss"].append(float(loss_d.detach()))
        hist["g_loss"].append(float(loss_g.detach()))
    return hist


@torch.no_grad()
def sample_conditional(
    gen: CondGenerator, per_class: int, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` images of every class: ``(images (n, 1, 8, 8), labels (n,))``."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(gen.cfg.classes).repeat_interleave(per_class)
    was = gen.training
    gen.eval()
    x = gen(torch.randn(len(y), gen.cfg.latent_dim, generator=g), y)
    gen.train(was)
    return x, y


def shift_augment(
    x: torch.Tensor, max_shift: int = 1, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Classic augmentation: translate each image ``(B, 1, H, W)`` by a random integer shift in
    [-max_shift, max_shift]² pixels, filling with zeros (the digits' background)."""
    b, _, h, w = x.shape
    p = max_shift
    padded = F.pad(x, (p, p, p, p))  # (B, 1, H + 2p, W + 2p)
    dy = torch.randint(0, 2 * p + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * p + 1, (b,), generator=generator)
    rows = (dy.view(b, 1) + torch.arange(h).view(1, h)).view(b, 1, h, 1).expand(b, 1, h, w + 2 * p)
    out = padded.gather(2, rows)  # (B, 1, H, W + 2p)
    cols = (dx.view(b, 1) + torch.arange(w).view(1, w)).view(b, 1, 1, w).expand(b, 1, h, w)
    return out.gather(3, cols)


def labelled_subset(y: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """Indices of a class-stratified random subset with ``round(fraction * n_c)`` (at least 1)
    examples of each class c."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    g = torch.Generator().manual_seed(seed)
    out = []
    for c in torch.unique(y):
        idx = torch.nonzero(y == c).squeeze(1)
        k = max(1, round(fraction * len(idx)))
        out.append(idx[torch.randperm(len(idx), generator=g)[:k]])
    return torch.cat(out).sort().values


def fit_classifier(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int = 40,
    seed: int = 0,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    extra: tuple[torch.Tensor, torch.Tensor] | None = None,
    steps: int | None = None,
    batch_size: int = 64,
) -> nn.Module:
    """Train the course's 8x8 :class:`~course_lib.metrics.DigitClassifier` on ``(x, y)``
    (plus ``extra`` = (images, labels), e.g. GAN samples), with optional ``augment(batch, g)``
    applied to every batch. ``steps`` fixes the number of updates (so runs with and without
    extra data see the same number of batches); otherwise ``epochs`` passes over x.

    Returns:
        The classifier in eval mode.
    """
    from course_lib.metrics import DigitClassifier

    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = DigitClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xs, ys = (torch.cat([x, extra[0]]), torch.cat([y, extra[1]])) if extra is not None else (x, y)
    n_steps = steps if steps is not None else epochs * max(1, len(x) // batch_size)
    model.train()
    for _ in range(n_steps):
        idx = torch.randint(len(xs), (batch_size,), generator=g)
        xb = xs[idx]
        if augment is not None:
            xb = augment(xb, g)
        loss = F.cross_entropy(model(xb), ys[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of correctly classified examples."""
    return float((model(x).argmax(1) == y).float().mean())


WAVEGAN_CHECKPOINT = "gan_beyond_wavegan.pt"
# file in benchmarks/checkpoints/, written by benchmarks/gan_beyond_wavegan.py
WAVEGAN_SHA256 = "4f65d90d0fdb716aa5d5a5677328c320ed974943432b35c624def5cf282f94ac"


def save_wavegan(gen: WaveGANGenerator, path: str | Path) -> str:
    """Save the generator's weights and config (plain tensors and ints); returns the SHA-256."""
    from dataclasses import asdict

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": gen.state_dict(), "cfg": asdict(gen.cfg)}, path)
    return sha256_file(path)


def pretrained_wavegan() -> WaveGANGenerator:
    """The committed WaveGAN generator (repository, user cache, or downloaded), hash-checked."""
    return load_wavegan(committed_checkpoint(WAVEGAN_CHECKPOINT, WAVEGAN_SHA256), WAVEGAN_SHA256)


def load_wavegan(path: str | Path, sha256: str | None) -> WaveGANGenerator:
    """Load a generator saved by :func:`save_wavegan` after checking its SHA-256
    (``weights_only=True``); returned in eval mode.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file's hash differs from ``sha256``.
    """
    blob = load_verified(path, sha256, remedy="Run benchmarks/gan_beyond_wavegan.py.")
    gen = WaveGANGenerator(WaveGANConfig(**blob["cfg"]))
    gen.load_state_dict(blob["state_dict"])
    return gen.eval()

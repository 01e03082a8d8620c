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

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from matplotlib.patches import FancyArrowPatch
from torch import nn

from course_lib import checkpoints, gan
from course_lib.audio import check_wave, fix_length, griffin_lim, stft, trim_silence
from course_lib.diagrams import COLOURS, Diagram, shape
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


# --- The three gradient routes, measured on one categorical draw and drawn as a diagram ---------

ESTIMATORS = ("reinforce", "gumbel", "st")


def exact_gradient(logits: torch.Tensor, f: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """The exact gradient ∇_ℓ E_{k ~ softmax(ℓ)}[f(e_k)] = Σ_k f(e_k) ∇_ℓ p_k (a sum over V one-hots).

    Args:
        logits: ``(V,)`` logits ℓ.
        f: maps vectors ``(n, V)`` (one-hot or relaxed) to values ``(n,)``, differentiably.

    Returns:
        ``(V,)`` the gradient.
    """
    if logits.dim() != 1:
        raise ValueError(f"expected logits (V,), got {tuple(logits.shape)}")
    ell = logits.detach().clone().requires_grad_(True)
    values = f(torch.eye(len(ell))).detach()  # (V,) f(e_k)
    (grad,) = torch.autograd.grad((F.softmax(ell, -1) * values).sum(), ell)
    return grad


def gradient_samples(
    logits: torch.Tensor,
    f: Callable[[torch.Tensor], torch.Tensor],
    estimator: str,
    n: int,
    *,
    tau: float = 1.0,
    baseline: float = 0.0,
    seed: _Seed = 0,
) -> torch.Tensor:
    """``n`` independent one-draw estimates of :func:`exact_gradient`, one per row.

    ``"reinforce"``: (f(h) - b)(h - p), h = onehot(k), k ~ p, since ∇_ℓ log p_k = e_k - p (unbiased
    for any constant b). ``"gumbel"``: ∇_ℓ f(softmax((ℓ + g) / τ)), the pathwise gradient through the
    relaxation (biased for τ > 0). ``"st"``: ∇_ℓ f(onehot(k) - sg(p) + p) (biased).

    Args:
        logits: ``(V,)`` logits ℓ.
        f: maps ``(n, V)`` vectors to ``(n,)`` values, differentiably.
        estimator: one of :data:`ESTIMATORS`.
        n: number of draws.
        tau: Gumbel-softmax temperature.
        baseline: REINFORCE's constant b.
        seed: int or generator for the draws.

    Returns:
        ``(n, V)`` per-draw gradient estimates; their mean estimates the gradient.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if logits.dim() != 1:
        raise ValueError(f"expected logits (V,), got {tuple(logits.shape)}")
    g, v = make_generator(seed), len(logits)
    ell = logits.detach().expand(n, v).clone().requires_grad_(True)  # (n, V): one row per draw
    p = F.softmax(ell, -1)
    if estimator == "gumbel":
        (grad,) = torch.autograd.grad(f(gumbel_softmax(ell, tau, seed=g)).sum(), ell)
        return grad
    k = torch.multinomial(p.detach(), 1, generator=g).squeeze(1)  # (n,)
    if estimator == "st":
        (grad,) = torch.autograd.grad(f(straight_through(p, k)).sum(), ell)
        return grad
    h = F.one_hot(k, v).to(p)  # (n, V)
    return (f(h).detach() - baseline).unsqueeze(1) * (h - p.detach())


def _ternary(y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Points of the 2-simplex ``(n, 3)`` in the plane: e0 at (0, 0), e1 at (1, 0), e2 at the top."""
    return y[:, 1] + 0.5 * y[:, 2], y[:, 2] * math.sqrt(3) / 2


def draw_gumbel_temperature(
    tau: float,
    logits: torch.Tensor | None = None,
    weights: torch.Tensor | None = None,
    *,
    n: int = 2000,
    seed: int = 0,
    axes: tuple[plt.Axes, plt.Axes] | None = None,
) -> plt.Figure:
    """Gumbel-softmax at temperature τ: its samples on the simplex, and its gradient's bias and spread.

    Left: 300 relaxed samples of a 3-way categorical. Right: for f(y) = (y · w)², the bias
    ||mean estimate - exact gradient|| and the spread sqrt(tr Cov) of one-draw estimates over a
    grid of temperatures, τ marked, REINFORCE's spread (with the mean reward as baseline) for scale.

    Args:
        tau: the temperature shown.
        logits: ``(3,)`` logits; default (0.3, 0, -0.2).
        weights: ``(3,)`` w; default (1, -2, 0.5).
        n: draws per temperature.
        seed: seeds every draw (the same for all τ).
        axes: two axes to draw into (a grid of settings); default a new figure.

    Returns:
        the figure.
    """
    logits = torch.tensor([0.3, 0.0, -0.2]) if logits is None else logits
    w = torch.tensor([1.0, -2.0, 0.5]) if weights is None else weights
    if logits.shape != (3,) or w.shape != (3,):
        raise ValueError(
            f"expected logits and weights of shape (3,), got {tuple(logits.shape)}, {tuple(w.shape)}"
        )
    f = lambda y: (y @ w) ** 2  # noqa: E731  (n, 3) -> (n,)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    ax_s, ax_g = axes
    y = gumbel_softmax(logits.expand(300, 3), tau, seed=seed)  # (300, 3)
    ax_s.plot([0, 1, 0.5, 0], [0, 0, math.sqrt(3) / 2, 0], color="k", lw=0.8)
    ax_s.scatter(*_ternary(y), s=6, alpha=0.5, c=y.argmax(1), cmap="viridis", vmin=0, vmax=2)
    for (x0, y0), name in zip([(0, 0), (1, 0), (0.5, math.sqrt(3) / 2)], ["e₁", "e₂", "e₃"], strict=True):
        ax_s.annotate(name, (x0, y0), textcoords="offset points", xytext=(0, 6 if y0 else -12), ha="center")
    ax_s.set(xlim=(-0.1, 1.1), ylim=(-0.15, 1.0), aspect="equal", xticks=[], yticks=[])
    ax_s.set_xlabel("relaxed sample y (corners: one-hot)")
    ax_s.set_title(f"Gumbel-softmax samples, τ = {tau:.2f}", fontsize=10)
    exact = exact_gradient(logits, f)
    taus = torch.logspace(-1.3, 0.7, 15).tolist()
    stats = []
    for t in taus:
        est = gradient_samples(logits, f, "gumbel", n, tau=t, seed=seed)  # (n, 3)
        stats.append((float((est.mean(0) - exact).norm()), float(est.var(0).sum().sqrt())))
    mean_reward = float(F.softmax(logits, -1) @ f(torch.eye(3)))
    rf = gradient_samples(logits, f, "reinforce", n, baseline=mean_reward, seed=seed)
    ax_g.plot(taus, [b for b, _ in stats], marker="o", ms=3, label="bias of the mean estimate")
    ax_g.plot(taus, [s for _, s in stats], marker="s", ms=3, ls="--", label="spread of one draw")
    ax_g.axhline(float(rf.var(0).sum().sqrt()), color="k", ls=":", lw=1, label="REINFORCE spread (unbiased)")
    ax_g.axvline(tau, color="C3", lw=1)
    ax_g.set(xscale="log", xlabel="temperature τ", ylabel="gradient error (norm, logit units)")
    ax_g.set_title("relaxed gradient of E[(y·w)²]: bias against spread", fontsize=10)
    ax_g.legend(fontsize=7)
    fig = ax_s.figure
    fig.tight_layout()
    return fig


def _grad_arrow(d: Diagram, a: tuple[float, float], b: tuple[float, float], rad: float = 0.0) -> None:
    """A dashed gradient arrow between two points of a diagram (a lane under its boxes)."""
    style = {"arrowstyle": "-|>", "mutation_scale": 12, "lw": 1.4, "ls": "--", "color": COLOURS["grad"]}
    d.ax.add_patch(FancyArrowPatch(a, b, connectionstyle=f"arc3,rad={rad}", **style))


def draw_gradient_routes(config: TokenGANConfig, batch: int = 64, seed: int = 0) -> plt.Figure:
    """The three ways a discriminator's signal reaches a token generator, with the real shapes.

    Runs one batch of a fresh generator and discriminator built from ``config`` in each mode and
    labels the boxes and arrows with the tensors' shapes: Gumbel-softmax (the gradient flows through
    a relaxed sample), straight-through (one-hot forward, the sampling step skipped backward) and
    REINFORCE (no gradient through D or the draw; the reward weights ∇ log p).

    Args:
        config: the :class:`TokenGANConfig` whose sizes are drawn.
        batch: batch size B of the example pass.
        seed: seeds the models and the pass.

    Returns:
        the figure.
    """
    gen, disc = build_token_models(config, seed=seed)
    z = torch.randn(batch, config.latent_dim, generator=make_generator(seed))
    with torch.no_grad():
        logits = gen.out(gen.cell(gen.start.expand(batch, -1), torch.tanh(gen.init(z))))  # (B, V), step 1
        tok, soft, logp = gen.generate(z, "gumbel", tau=config.tau_end, seed=seed)  # (B, L), (B, L, V), (B,)
        score = disc(soft.flatten(1))  # (B,)
    names, flat = "B,L,V", shape(soft.flatten(1), "B,LV")
    d = Diagram(12.4, 10.2, title="Three gradient routes from D back to a token generator (real shapes)")
    rows = {"gumbel": 8.4, "st": 5.2, "reinforce": 2.0}
    titles = {
        "gumbel": "1. Gumbel-softmax: the gradient passes through a relaxed (biased) sample",
        "st": "2. Straight-through: D sees one-hot h; backward, the draw is skipped",
        "reinforce": "3. REINFORCE: nothing is differentiated through D or the draw",
    }
    middle = {
        "gumbel": ("+g, ÷τ\nsoftmax", "soft y\n" + shape(soft, names)),
        "st": ("draw\nk ~ p", "one-hot h\n" + shape(soft, names)),
        "reinforce": ("draw\nk ~ p", "tokens x\n" + shape(tok, "B,L")),
    }
    losses = {
        "gumbel": "−log D(y)\n" + shape(score, "B"),
        "st": "−log D(h)\n" + shape(score, "B"),
        "reinforce": "reward r = log D(x)\n" + shape(score, "B") + ", no grad",
    }
    for kind, y in rows.items():
        d.note(0.1, y + 1.05, titles[kind], ha="left")
        d.box(f"l_{kind}", 1.05, y, "logits ℓ\n" + shape(logits, "B,V"), "data", w=1.9)
        d.box(f"o_{kind}", 3.2, y, middle[kind][0], "op", w=1.25, h=1.25)
        d.box(f"y_{kind}", 5.45, y, middle[kind][1], "data", w=2.2)
        d.box(f"D_{kind}", 8.0, y, "D (MLP)\nin " + flat, "net", w=1.9)
        d.box(f"L_{kind}", 11.0, y, losses[kind], "loss", w=2.4)
        for a, b in pairwise(["l", "o", "y", "D", "L"]):
            d.arrow(f"{a}_{kind}", f"{b}_{kind}")
    xs = {k: d.boxes[f"{k}_gumbel"][0] for k in "loyDL"}  # the columns' centres
    lane = {kind: y - 0.9 for kind, y in rows.items()}  # gradients run in a lane under each row
    for a, b in pairwise("LDyol"):  # Gumbel: the chain rule through every step
        _grad_arrow(d, (xs[a] - 0.1, lane["gumbel"]), (xs[b] + 0.1, lane["gumbel"]))
    for a, b in pairwise("LDy"):
        _grad_arrow(d, (xs[a] - 0.1, lane["st"]), (xs[b] + 0.1, lane["st"]))
    _grad_arrow(d, (xs["y"] - 0.1, lane["st"]), (xs["l"] + 0.1, lane["st"]), rad=-0.3)
    d.note(xs["o"], lane["st"] - 0.85, "∂h/∂p := I: the draw is skipped", fontsize=8, color=COLOURS["grad"])
    _grad_arrow(d, (xs["L"] - 0.1, lane["reinforce"]), (xs["l"] + 0.1, lane["reinforce"]))
    d.note(
        xs["y"] + 1.0,
        lane["reinforce"] - 0.3,
        "(r − b) ∇ log p(x),  log p(x) " + shape(logp, "B"),
        fontsize=8,
        color=COLOURS["grad"],
    )
    d.legend(("forward", "grad", "data", "net", "op", "loss"))
    return d.figure()


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


def empirical_characteristic(x: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """The empirical characteristic function φ(ω) = mean_i exp(i ω · x_i) of a sample.

    A distribution is determined by its characteristic function; adding independent noise ε
    multiplies it by φ_ε (for N(0, σ² I): exp(-σ² |ω|² / 2), never zero).

    Args:
        x: ``(n, d)`` samples.
        freqs: ``(K, d)`` frequencies ω (radians per data unit).

    Returns:
        ``(K,)`` complex values.
    """
    if x.dim() != 2 or freqs.dim() != 2 or x.shape[1] != freqs.shape[1]:
        raise ValueError(f"expected x (n, d) and freqs (K, d), got {tuple(x.shape)}, {tuple(freqs.shape)}")
    phase = x.double() @ freqs.double().T  # (n, K)
    return torch.complex(phase.cos().mean(0), phase.sin().mean(0))


def draw_ambientgan(
    generator: nn.Module,
    discriminator: nn.Module,
    measurement: Measurement,
    data: torch.Tensor,
    batch: int = 256,
) -> plt.Figure:
    """AmbientGAN's computation graph with the shapes of one real batch.

    G's sample is measured by the known, random f before D sees it; D compares measured fakes with
    the measured data; the gradient reaches G through D and f. The clean data are never observed.

    Args:
        generator: G, with ``cfg.latent_dim``.
        discriminator: D, one logit per sample.
        measurement: the :class:`Measurement` f.
        data: ``(N, d)`` observed (measured) training samples.
        batch: batch size B of the example pass.

    Returns:
        the figure.
    """
    z = torch.randn(batch, generator.cfg.latent_dim, generator=make_generator(0))
    with torch.no_grad():
        x_fake = generator(z)  # (B, d)
        y_fake = measurement(x_fake)  # (B, d)
        y_real = data[:batch]  # (B, d)
        score = discriminator(y_fake)  # (B, 1) or (B,)
    what = {
        "noise": f"x + {measurement.p:.3g} ε, ε ~ N(0, I)",
        "dropout": f"zero each coordinate, p = {measurement.p}",
    }
    d = Diagram(12.4, 7.2, title="AmbientGAN: D compares measured fakes with measured data (real shapes)")
    top, bottom = 4.6, 1.75
    d.box("z", 0.95, top, "noise z\n" + shape(z, "B,k"), "data", w=1.7)
    d.box("G", 2.85, top, "G\n(MLP)", "net", w=1.1)
    d.box("x", 4.85, top, "clean fake G(z)\n" + shape(x_fake, "B,d"), "data", w=2.1)
    d.box("f", 6.9, top, "f_θ", "op", w=1.0, h=1.0)
    d.box("yf", 8.85, top, "measured fake\n" + shape(y_fake, "B,d"), "data", w=2.0)
    d.box("xr", 4.85, bottom, "clean x ~ p_x\n(never observed)", "data", w=2.1)
    d.box("fr", 6.9, bottom, "f_θ", "op", w=1.0, h=1.0)
    d.box("yr", 8.85, bottom, "measured data y\n" + shape(y_real, "B,d"), "data", w=2.0)
    d.box("D", 11.3, 3.15, "D\n(MLP)", "net", w=1.2)
    d.box(
        "L", 11.3, 5.75, "GAN loss\nlogits " + shape(score, "B,1" if score.dim() == 2 else "B"), "loss", w=1.9
    )
    for a, b in [
        ("z", "G"),
        ("G", "x"),
        ("x", "f"),
        ("f", "yf"),
        ("xr", "fr"),
        ("fr", "yr"),
        ("yf", "D"),
        ("yr", "D"),
        ("D", "L"),
    ]:
        d.arrow(a, b)
    d.note(6.9, top + 0.85, "f_θ: " + what.get(measurement.kind, measurement.kind), fontsize=8)
    d.note(6.9, bottom - 0.9, "the same f_θ, θ ~ p_θ, a fresh draw per sample", fontsize=8)
    lane = top - 0.8
    d.arrow("L", "D", grad=True, bend=0.35)
    d.arrow("D", "yf", grad=True, bend=-0.35)
    for a, b in pairwise(["yf", "f", "x", "G"]):
        _grad_arrow(d, (d.boxes[a][0] - 0.1, lane), (d.boxes[b][0] + 0.1, lane))
    d.note(
        4.85, lane - 0.35, "gradient: D → f → G (f must be differentiable)", fontsize=8, color=COLOURS["grad"]
    )
    d.legend(("forward", "grad", "data", "net", "op", "loss"))
    return d.figure()


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


# --- Audio architectures: lengths, stride artefacts, diagrams -------------------------------------


def transposed_conv_length(
    length: int, kernel: int, stride: int, padding: int = 0, output_padding: int = 0
) -> int:
    """Output length of a transposed 1-D convolution: (T - 1) s - 2 pad + k + out_pad.

    Each of the T inputs adds a copy of the k-tap kernel at offset i s, so the copies span
    (T - 1) s + k samples; ``padding`` crops pad from each end, ``output_padding`` adds at the end.

    Args:
        length: input length T.
        kernel: kernel size k.
        stride: stride s.
        padding: samples cropped from each end.
        output_padding: samples added at the end (less than s).

    Returns:
        the output length.
    """
    if length < 1 or kernel < 1 or stride < 1 or not 0 <= output_padding < stride:
        raise ValueError(
            f"need T, k, s >= 1 and 0 <= output_padding < s, got {length, kernel, stride, output_padding}"
        )
    return (length - 1) * stride - 2 * padding + kernel + output_padding


def stride_artefacts(clips: torch.Tensor, stride: int = 4, width: int = 12) -> dict[str, float]:
    """How strongly clips carry a pattern of period ``stride`` samples, the mark of a strided upsampler.

    At the frequency rate / stride (bin N / stride): ``peak_db``, the mean power there over the
    median power of the neighbouring bins (4 to ``width`` bins away), in dB; ``coherence``,
    |mean_i X_i| / mean_i |X_i| of the clips' DFT coefficients X_i there: 1 if every clip has the
    pattern with the same phase, about 1 / sqrt(n) for random phases.

    Args:
        clips: ``(n, N)`` waveforms, N a multiple of ``stride``.
        stride: the period in samples.
        width: how far the neighbouring bins reach.

    Returns:
        ``peak_db`` and ``coherence``.
    """
    if clips.dim() != 2 or clips.shape[1] % stride or clips.shape[1] // stride <= width:
        raise ValueError(f"expected clips (n, N) with N a multiple of {stride}, got {tuple(clips.shape)}")
    n_samples = clips.shape[1]
    spec = torch.fft.rfft(clips.double() * torch.hann_window(n_samples, dtype=torch.float64), dim=1)  # (n, F)
    k, power = n_samples // stride, spec.abs().pow(2).mean(0)  # (F,)
    near = torch.cat([power[k - width : k - 3], power[k + 4 : k + width + 1]])
    coef = torch.fft.rfft(clips.double(), dim=1)[:, k]  # (n,) complex
    return {
        "peak_db": float(10 * torch.log10(power[k - 1 : k + 2].max() / near.median())),
        "coherence": float(coef.mean().abs() / coef.abs().mean()),
    }


def layer_shapes(
    model: nn.Module, x: torch.Tensor, kinds: tuple[type, ...]
) -> list[tuple[nn.Module, torch.Size]]:
    """The output shape of every layer of the given types, in call order, for one input (forward hooks).

    Args:
        model: any module.
        x: one input batch.
        kinds: the layer types to report, e.g. ``(nn.ConvTranspose1d,)``.

    Returns:
        ``(layer, output shape)`` pairs.
    """
    seen: list[tuple[nn.Module, torch.Size]] = []
    hooks = [
        m.register_forward_hook(lambda m, i, o: seen.append((m, o.shape)))
        for m in model.modules()
        if isinstance(m, kinds)
    ]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in hooks:
            h.remove()
    return seen


def _dims(s: torch.Size, names: str) -> str:
    return shape(torch.empty(s, device="meta"), names)


def draw_wavegan(cfg: WaveGANConfig, batch: int = 16) -> plt.Figure:
    """WaveGAN's generator (down the left) and discriminator (up the right), layer by layer.

    The shapes are read from one pass of a batch through models built from ``cfg`` (forward hooks).

    Args:
        cfg: the :class:`WaveGANConfig` drawn (e.g. the committed model's ``.cfg``).
        batch: batch size B of the pass.

    Returns:
        the figure.
    """
    with seeded(0):
        gen, disc = WaveGANGenerator(cfg), WaveGANDiscriminator(cfg).train()
    z = torch.zeros(batch, cfg.latent_dim)
    g_layers = layer_shapes(gen, z, (nn.Linear, nn.ConvTranspose1d))
    d_layers = layer_shapes(disc, torch.zeros(batch, cfg.length), (nn.Conv1d, nn.Linear))
    n, step = len(g_layers), 1.15
    top = step * (n + 1) + 1.35
    d = Diagram(
        12.4, top + 0.6, title=f"WaveGAN as trained here: {cfg.length} samples from z, and back to a score"
    )
    ys = [top - step * i for i in range(n + 2)]
    d.box("z", 2.6, ys[0], "z " + _dims(torch.Size([batch, cfg.latent_dim]), "B,k"), "data", w=2.6, h=0.6)
    for i, (m, s) in enumerate(g_layers):
        if isinstance(m, nn.Linear):  # the linear layer's output is reshaped to 16 frames
            text, out = f"Linear {m.in_features}→{m.out_features}, reshape", (s[0], s[1] // 16, 16)
        else:
            text, out = f"ReLU, ConvT1d k{m.kernel_size[0]} s{m.stride[0]}", tuple(s)
        d.box(f"g{i}", 2.6, ys[i + 1], text, "net", w=3.6, h=0.5)
        d.note(2.75, ys[i + 1] - step / 2, _dims(torch.Size(out), "B,C,T"), fontsize=8, ha="left")
    d.box(
        "x",
        2.6,
        ys[n + 1],
        "tanh → fake clip\n" + _dims(torch.Size([batch, cfg.length]), "B,T"),
        "data",
        w=2.8,
        h=0.8,
    )
    for a, b in pairwise(["z", *[f"g{i}" for i in range(n)], "x"]):
        d.arrow(a, b)
    d.box(
        "xd",
        9.6,
        ys[n + 1],
        "real or fake clip\n" + _dims(torch.Size([batch, 1, cfg.length]), "B,C,T"),
        "data",
        w=2.8,
        h=0.8,
    )
    d.arrow("x", "xd")
    prev = "xd"
    for i, (m, s) in enumerate(d_layers):
        if isinstance(m, nn.Linear):
            text = f"flatten, Linear {m.in_features}→1"
        else:
            shuffle = i < len(d_layers) - 2 and cfg.phase_shuffle
            text = f"Conv1d k{m.kernel_size[0]} s{m.stride[0]}, LReLU" + (
                f", PS({cfg.phase_shuffle})" if shuffle else ""
            )
        d.box(f"d{i}", 9.6, ys[n - i], text, "net", w=3.9, h=0.5)
        d.arrow(prev, f"d{i}")
        if not isinstance(m, nn.Linear):
            d.note(9.45, ys[n - i] + step / 2, _dims(s, "B,C,T"), fontsize=8, ha="right")
        prev = f"d{i}"
    d.box("score", 9.6, ys[0], "critic score " + _dims(torch.Size([batch]), "B"), "loss", w=2.8, h=0.6)
    d.arrow(prev, "score")
    d.note(6.1, ys[1], "generator ↓\ndiscriminator ↑", fontsize=9)
    d.note(6.1, ys[2] - 0.2, "PS(n): phase shuffle\nby up to n samples,\nwhile training only", fontsize=8)
    d.legend(("forward", "data", "net", "loss"))
    return d.figure()


def draw_specgan(cfg: SpecGANConfig, batch: int = 16) -> plt.Figure:
    """A sketch of SpecGAN: z to a normalised log-spectrogram image to audio, and the critic's side.

    Args:
        cfg: the :class:`SpecGANConfig` drawn (e.g. the committed generator's ``.cfg``).
        batch: batch size B of the example pass.

    Returns:
        the figure.
    """
    with seeded(0):
        gen, disc = SpecGANGenerator(cfg).eval(), SpecGANDiscriminator(cfg)
    z = torch.zeros(batch, cfg.latent_dim)
    with torch.no_grad():
        core = gen.fc(z).view(batch, *cfg.core)  # (B, C, bins/16, frames/16)
        image = gen(z)  # (B, 1, bins, frames)
        score = disc(image)  # (B,)
    wave = torch.Size([batch, cfg.length])
    img = shape(image, "B,C,F,T")
    d = Diagram(12.4, 6.6, title="SpecGAN: a DCGAN on log-spectrogram images, Griffin–Lim for the phase")
    d.box("z", 0.95, 5.3, "z\n" + shape(z, "B,k"), "data", w=1.7)
    d.box("fc", 2.95, 5.3, "Linear,\nreshape", "net", w=1.4)
    d.box("core", 5.05, 5.3, shape(core, "B,C,F,T").replace(", F", ",\nF"), "data", w=2.1)
    d.box("up", 7.25, 5.3, "4 × ConvT2d\nstride 2", "net", w=1.6)
    d.box("img", 10.45, 5.3, "fake image, normalised\n" + img, "data", w=3.4)
    d.box("gl", 11.4, 3.3, "undo\nnorm.,\nGriffin–\nLim", "op", w=1.5, h=1.5)
    d.box("wav", 11.05, 1.3, "audio\n" + _dims(wave, "B,T"), "data", w=2.3)
    d.box("real", 1.45, 1.3, "real audio\n" + _dims(wave, "B,T"), "data", w=2.5)
    d.box("stft", 4.15, 1.3, "log|STFT|,\nnormalise", "op", w=1.5, h=1.5)
    d.box("rimg", 4.6, 3.3, "real image\n" + img, "data", w=3.2)
    d.box("D", 7.9, 3.3, "D: 4 × Conv2d\nstride 2, Linear", "net", w=2.2)
    d.box("s", 7.9, 1.3, "critic score\n" + shape(score, "B"), "loss", w=1.9)
    for a, b in [
        ("z", "fc"),
        ("fc", "core"),
        ("core", "up"),
        ("up", "img"),
        ("img", "gl"),
        ("gl", "wav"),
        ("real", "stft"),
        ("stft", "rimg"),
        ("rimg", "D"),
        ("img", "D"),
        ("D", "s"),
    ]:
        d.arrow(a, b)
    d.legend(("forward", "data", "net", "op", "loss"))
    return d.figure()

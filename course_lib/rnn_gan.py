"""Recurrent networks and recurrent GANs for sequences (the RNN-GAN chapter).

The chapter reads this module top to bottom:

1. **Recurrent cells written out by hand**: the Elman/tanh RNN (Elman 1990, {elman1990finding}),
   the LSTM (Hochreiter & Schmidhuber 1997, {hochreiter1997lstm}, with the forget gate of
   Gers et al. 2000, {gers2000forget}) and the GRU (Cho et al. 2014, {cho2014gru}), with the same parameter
   layout as ``torch.nn.RNN/LSTM/GRU`` so that :func:`copy_weights_from_torch` can prove they
   compute the same thing; :func:`unroll` runs a cell over a sequence, and
   :func:`grad_norm_wrt_h0` measures how the gradient of a loss at the last step with respect
   to the initial state shrinks or grows with the sequence length (Bengio et al. 1994,
   {bengio1994learning}; Pascanu et al. 2013, {pascanu2013difficulty}).
2. **Sequence GANs** whose networks really recur:

   - C-RNN-GAN (Mogren 2016, {mogren2016crnngan}): an LSTM generator driven by a fresh noise
     vector at every step and a *bidirectional* LSTM discriminator whose per-step outputs are
     averaged into one decision per sequence;
   - RCGAN (Esteban et al. 2017, {esteban2017rcgan}): recurrent generator and discriminator,
     both optionally conditioned on a label, and a discriminator that judges *every step*
     (the loss is the cross-entropy averaged over steps);
   - a teacher-forced autoregressive GRU trained by maximum likelihood (the "Teacher
     Forcing" baseline of TimeGAN's Table 2);
   - TimeGAN (Yoon et al. 2019, {yoon2019timegan}), small: embedding and recovery networks,
     a supervisor trained with a supervised next-step loss in the latent space, and the
     adversarial game played on latent sequences.

The adversarial losses are not redefined here: they are the GAN chapter's
:func:`course_lib.gan.d_loss_bce` and :func:`course_lib.gan.g_loss_nonsaturating`, which take the
discriminator's logits on *a batch of real* and *a batch of fake* samples.

Shapes: sequences are ``(B, T, D)`` (batch, time, features), ``batch_first`` throughout.
Randomness goes through explicit ``seed`` arguments; model construction and training run inside
:func:`_seeded`, which forks the global RNG so that the caller's random state is left untouched.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from course_lib.gan import d_loss_bce, g_loss_nonsaturating
from course_lib.utils import get_device

__all__ = [
    # cells
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "make_cell",
    "unroll",
    "copy_weights_from_torch",
    "adding_problem",
    "grad_norm_wrt_h0",
    # sequence GANs
    "SeqGANConfig",
    "CRNNGANConfig",
    "RCGANConfig",
    "RecurrentGenerator",
    "RecurrentDiscriminator",
    "DenseSequenceGenerator",
    "train_seq_gan",
    "generate",
    # teacher forcing
    "TeacherForcingConfig",
    "AutoregressiveGRU",
    "train_teacher_forcing",
    # TimeGAN
    "TimeGANConfig",
    "TimeGAN",
    "train_timegan",
    "History",
    # a real multivariate data set
    "fsdd_mfcc_sequences",
]


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run a block with the global torch RNG seeded to ``seed``, restoring the caller's state
    afterwards (parameter initialisation in ``nn`` layers draws from the global RNG)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def _check_seq(name: str, x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.dim() != 3:
        raise ValueError(f"{name} must have shape (batch, time, features), got {tuple(x.shape)}")
    if dim is not None and x.shape[-1] != dim:
        raise ValueError(f"{name} has {x.shape[-1]} features but the model expects {dim}; check the config")
    return x.float()


# ---------------------------------------------------------------------------------------
# 1. Recurrent cells by hand
# ---------------------------------------------------------------------------------------


class _Cell(nn.Module):
    """Common parameter layout of the hand-written cells, identical to torch's:
    ``weight_ih (G*H, I)``, ``weight_hh (G*H, H)``, ``bias_ih (G*H,)``, ``bias_hh (G*H,)``
    where G is the number of gate blocks (1 RNN, 4 LSTM, 3 GRU), initialised U(-1/√H, 1/√H)."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"input_size and hidden_size must be positive, got {input_size}, {hidden_size}")
        self.input_size, self.hidden_size = input_size, hidden_size
        gh = self.gates * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(gh, input_size))  # W
        self.weight_hh = nn.Parameter(torch.empty(gh, hidden_size))  # U
        self.bias_ih = nn.Parameter(torch.empty(gh))
        self.bias_hh = nn.Parameter(torch.empty(gh))
        bound = 1.0 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def init_state(self, batch: int, device: torch.device | None = None) -> torch.Tensor:
        return torch.zeros(batch, self.hidden_size, device=device)

    def _check_x(self, x: torch.Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"expected x of shape (batch, {self.input_size}), got {tuple(x.shape)}")


class RNNCell(_Cell):
    """Elman RNN cell: h_t = tanh(W x_t + b_ih + U h_{t-1} + b_hh)."""

    gates = 1

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """x: (B, I), h: (B, H) → new h: (B, H)."""
        self._check_x(x)
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)


class LSTMCell(_Cell):
    """LSTM cell with forget gate, gates in torch's order (i, f, g, o):

        i = σ(W_i x + U_i h + b_i)          input gate
        f = σ(W_f x + U_f h + b_f)          forget gate
        g = tanh(W_g x + U_g h + b_g)       candidate
        o = σ(W_o x + U_o h + b_o)          output gate
        c_t = f ⊙ c_{t-1} + i ⊙ g           the cell: additive update
        h_t = o ⊙ tanh(c_t)

    The state is the pair ``(h, c)``.
    """

    gates = 4

    def init_state(self, batch: int, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        z = torch.zeros(batch, self.hidden_size, device=device)
        return z, z.clone()

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, I), state (h, c) each (B, H) → new (h, c)."""
        self._check_x(x)
        h, c = state
        pre = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh  # (B, 4H)
        i, f, g, o = pre.chunk(4, dim=1)  # each (B, H)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        return h, c


class GRUCell(_Cell):
    """GRU cell, gates in torch's order (r, z, n):

        r = σ(W_r x + b_ir + U_r h + b_hr)             reset gate
        z = σ(W_z x + b_iz + U_z h + b_hz)             update gate
        n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn))    candidate
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}                interpolation: z = 1 copies the state

    (torch, like cuDNN, applies the reset gate after the recurrent matrix product; Cho et al.
    apply it before. Both are GRUs; we follow torch so the equivalence check is exact.)
    """

    gates = 3

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """x: (B, I), h: (B, H) → new h: (B, H)."""
        self._check_x(x)
        gi = x @ self.weight_ih.T + self.bias_ih  # (B, 3H)
        gh = h @ self.weight_hh.T + self.bias_hh  # (B, 3H)
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return (1 - z) * n + z * h


_CELLS: dict[str, type[_Cell]] = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}
_TORCH_LAYERS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def make_cell(kind: str, input_size: int, hidden_size: int) -> _Cell:
    """A hand-written cell by name: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``."""
    if kind not in _CELLS:
        raise ValueError(f"unknown cell kind {kind!r}; choose one of {sorted(_CELLS)}")
    return _CELLS[kind](input_size, hidden_size)


def unroll(cell: _Cell, x: torch.Tensor, state=None) -> tuple[torch.Tensor, object]:
    """Run ``cell`` over a sequence, one step at a time (the unrolled network).

    Args:
        cell: a hand-written cell.
        x: inputs ``(B, T, I)``.
        state: initial state (``(B, H)``, or ``(h, c)`` for the LSTM); zeros if None.

    Returns:
        ``(outputs (B, T, H), final_state)``, the outputs being the hidden states h_1..h_T.
    """
    x = _check_seq("x", x, cell.input_size)
    if state is None:
        state = cell.init_state(x.shape[0], x.device)
    outs = []
    for t in range(x.shape[1]):
        state = cell(x[:, t], state)
        outs.append(state[0] if isinstance(state, tuple) else state)
    return torch.stack(outs, dim=1), state  # (B, T, H)


def copy_weights_from_torch(cell: _Cell, module: nn.RNNBase) -> _Cell:
    """Copy the parameters of a one-layer, unidirectional ``nn.RNN``/``nn.LSTM``/``nn.GRU``
    (tanh nonlinearity, with biases) into the hand-written ``cell`` of the same kind.

    Raises:
        ValueError: kind, sizes or layout do not match.
    """
    kind = {RNNCell: "rnn", LSTMCell: "lstm", GRUCell: "gru"}[type(cell)]
    expected = _TORCH_LAYERS[kind]
    if type(module) is not expected:
        raise ValueError(
            f"a {type(cell).__name__} needs an nn.{expected.__name__}, got {type(module).__name__}"
        )
    if module.num_layers != 1 or module.bidirectional or not module.bias:
        raise ValueError("only one-layer, unidirectional modules with biases can be copied into a cell")
    if getattr(module, "nonlinearity", "tanh") != "tanh" or module.proj_size:
        raise ValueError("only the tanh RNN and LSTMs without projection are supported")
    if (module.input_size, module.hidden_size) != (cell.input_size, cell.hidden_size):
        raise ValueError(
            f"sizes differ: module ({module.input_size}, {module.hidden_size}), "
            f"cell ({cell.input_size}, {cell.hidden_size})"
        )
    with torch.no_grad():
        cell.weight_ih.copy_(module.weight_ih_l0)
        cell.weight_hh.copy_(module.weight_hh_l0)
        cell.bias_ih.copy_(module.bias_ih_l0)
        cell.bias_hh.copy_(module.bias_hh_l0)
    return cell


def adding_problem(n: int, seq_len: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem (Hochreiter & Schmidhuber 1997, experiment 4).

    Each input step carries a value u_t ~ U(0, 1) and a marker m_t ∈ {0, 1}; exactly two
    markers are 1, one in the first half of the sequence and one in the second. The target is
    the sum of the two marked values, so the answer depends on a step far in the past.

    Returns:
        ``x (n, seq_len, 2)`` and ``y (n,)``.
    """
    if n <= 0 or seq_len < 2:
        raise ValueError(f"need n > 0 and seq_len >= 2, got n={n}, seq_len={seq_len}")
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, seq_len, generator=g)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=g)
    second = torch.randint(half, seq_len, (n,), generator=g)
    m = torch.zeros(n, seq_len)
    m[torch.arange(n), first] = 1.0
    m[torch.arange(n), second] = 1.0
    return torch.stack([u, m], dim=-1), (u * m).sum(1)


def grad_norm_wrt_h0(
    kind: str,
    seq_len: int,
    *,
    hidden_size: int = 32,
    n: int = 64,
    seed: int = 0,
    gate_bias: float = 0.0,
    recurrent_gain: float | None = None,
) -> float:
    """‖∂L/∂h_0‖ for a loss L at the last step of the adding problem (untrained network).

    Backpropagation through time multiplies the gradient by the step Jacobian
    ∂h_t/∂h_{t-1} once per step, so ‖∂L/∂h_0‖ = ‖∂L/∂h_T · Π_t ∂h_t/∂h_{t-1}‖ shrinks or
    grows geometrically with T unless the Jacobians stay close to norm 1.

    Args:
        kind: ``"rnn"``, ``"lstm"`` or ``"gru"`` (hand-written cells).
        seq_len: T.
        hidden_size: H.
        n: batch of adding-problem sequences (the loss is the batch mean squared error of a
            linear read-out of h_T).
        seed: seeds the network's initialisation and the data.
        gate_bias: added to the forget-gate bias (LSTM) or the update-gate bias (GRU); a
            positive value makes the cell copy its state by default (Gers et al. 2000).
        recurrent_gain: for the tanh RNN, replace U by ``gain`` times a random orthogonal
            matrix, so that its spectral radius is exactly ``gain``.

    Returns:
        The Euclidean norm of the gradient with respect to the whole initial state (for the
        LSTM, the pair (h_0, c_0)), averaged over the batch: a float.
    """
    with _seeded(seed):
        cell = make_cell(kind, 2, hidden_size)
        readout = nn.Linear(hidden_size, 1)
        with torch.no_grad():
            if kind == "lstm":
                cell.bias_hh[hidden_size : 2 * hidden_size] += gate_bias
            elif kind == "gru":
                cell.bias_hh[hidden_size : 2 * hidden_size] += gate_bias
            if recurrent_gain is not None:
                if kind != "rnn":
                    raise ValueError("recurrent_gain applies to the tanh RNN only")
                q, _ = torch.linalg.qr(torch.randn(hidden_size, hidden_size))
                cell.weight_hh.copy_(recurrent_gain * q)
    x, y = adding_problem(n, seq_len, seed=seed)
    h0 = torch.zeros(n, hidden_size, requires_grad=True)
    if kind == "lstm":
        c0 = torch.zeros(n, hidden_size, requires_grad=True)
        _, (h_t, _) = unroll(cell, x, (h0, c0))
        leaves = [h0, c0]
    else:
        _, h_t = unroll(cell, x, h0)
        leaves = [h0]
    # sum (not mean) over the batch so that each sequence's gradient keeps its own scale
    loss = 0.5 * (readout(h_t).squeeze(-1) - y).pow(2).sum()
    grads = torch.autograd.grad(loss, leaves)
    per_seq = torch.cat(grads, dim=1).norm(dim=1)  # (n,)
    return float(per_seq.mean())


# ---------------------------------------------------------------------------------------
# 2. Sequence GANs: C-RNN-GAN and RCGAN
# ---------------------------------------------------------------------------------------


@dataclass
class SeqGANConfig:
    """A recurrent GAN for sequences ``(B, seq_len, dim)`` with values in [0, 1].

    The generator reads one noise vector per step (``noise_dim``), plus the condition if
    ``cond_dim > 0``; the discriminator outputs one logit per step. ``bidirectional_d`` and
    ``per_step_loss`` are what distinguish the two published models (see the subclasses).
    """

    seq_len: int = 24
    dim: int = 5
    noise_dim: int = 5
    hidden: int = 24
    num_layers: int = 1
    cond_dim: int = 0
    cell: str = "lstm"  # "lstm" or "gru", used by both networks
    bidirectional_d: bool = False
    per_step_loss: bool = True
    # training
    iterations: int = 1500
    batch_size: int = 128
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    betas: tuple[float, float] = (0.5, 0.999)
    d_steps: int = 1
    lr_decay: bool = False  # decay both learning rates linearly to 0 over the iterations

    def __post_init__(self) -> None:
        if min(self.seq_len, self.dim, self.noise_dim, self.hidden, self.num_layers) <= 0:
            raise ValueError(f"sizes must be positive, got {self}")
        if self.cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {self.cell!r}")

    @classmethod
    def tiny(cls, **overrides) -> SeqGANConfig:
        """The smallest configuration that runs every code path (for tests)."""
        kw = dict(seq_len=6, dim=2, noise_dim=2, hidden=8, iterations=3, batch_size=8)
        kw.update(overrides)
        return cls(**kw)


@dataclass
class CRNNGANConfig(SeqGANConfig):
    """C-RNN-GAN (Mogren 2016): LSTM generator with per-step noise; bidirectional LSTM
    discriminator whose per-step logits are averaged into one score per sequence.

    Simplifications: Mogren also feeds the previous output back into the generator and uses
    two layers of 350 units; here the generator recurs through its hidden state only, sized for
    a 2-core CPU, and the per-step *logits* (not probabilities) are averaged.
    """

    bidirectional_d: bool = True
    per_step_loss: bool = False


@dataclass
class RCGANConfig(SeqGANConfig):
    """RCGAN (Esteban et al. 2017): recurrent generator and discriminator, optional condition
    (``cond_dim`` > 0) fed to both at every step, and a per-step discriminator loss: the
    cross-entropy is averaged over all steps of all sequences."""

    bidirectional_d: bool = False
    per_step_loss: bool = True


def _rnn(cell: str, input_size: int, hidden: int, num_layers: int, bidirectional: bool = False) -> nn.RNNBase:
    layer = nn.LSTM if cell == "lstm" else nn.GRU
    return layer(input_size, hidden, num_layers, batch_first=True, bidirectional=bidirectional)


def _with_cond(x: torch.Tensor, cond: torch.Tensor | None, cond_dim: int) -> torch.Tensor:
    """Append the condition ``(B, C)`` to every step of ``x (B, T, F)`` → ``(B, T, F + C)``."""
    if cond_dim == 0:
        if cond is not None:
            raise ValueError("this model is unconditional (cond_dim=0) but a condition was passed")
        return x
    if cond is None or cond.dim() != 2 or cond.shape != (x.shape[0], cond_dim):
        got = None if cond is None else tuple(cond.shape)
        raise ValueError(f"expected a condition of shape ({x.shape[0]}, {cond_dim}), got {got}")
    return torch.cat([x, cond.float().unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)


class RecurrentGenerator(nn.Module):
    """z_1..z_T (one noise vector per step) → LSTM/GRU → linear → sigmoid → x_1..x_T in [0, 1].

    Because the noise enters at every step and the state h_t carries the past, x_t depends on
    z_1..z_t: the network is recurrent, unlike a stack of dense layers applied per step.
    """

    def __init__(self, cfg: SeqGANConfig):
        super().__init__()
        self.cfg = cfg
        self.rnn = _rnn(cfg.cell, cfg.noise_dim + cfg.cond_dim, cfg.hidden, cfg.num_layers)
        self.out = nn.Linear(cfg.hidden, cfg.dim)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """z: (B, T, noise_dim), cond: (B, cond_dim) or None → x: (B, T, dim)."""
        z = _check_seq("z", z, self.cfg.noise_dim)
        h, _ = self.rnn(_with_cond(z, cond, self.cfg.cond_dim))  # (B, T, H)
        return torch.sigmoid(self.out(h))  # (B, T, D)


class RecurrentDiscriminator(nn.Module):
    """x_1..x_T (+ condition) → (bi)LSTM/GRU → linear per step → logits ``(B, T)``."""

    def __init__(self, cfg: SeqGANConfig):
        super().__init__()
        self.cfg = cfg
        self.rnn = _rnn(cfg.cell, cfg.dim + cfg.cond_dim, cfg.hidden, cfg.num_layers, cfg.bidirectional_d)
        self.out = nn.Linear(cfg.hidden * (2 if cfg.bidirectional_d else 1), 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, T, dim) → per-step logits (B, T)."""
        x = _check_seq("x", x, self.cfg.dim)
        h, _ = self.rnn(_with_cond(x, cond, self.cfg.cond_dim))  # (B, T, H or 2H)
        return self.out(h).squeeze(-1)  # (B, T)


class DenseSequenceGenerator(nn.Module):
    """The *non*-recurrent "sequence generator" of the popular write-ups, for the pitfall box:
    the same MLP applied to each step's noise, x_t = MLP(z_t). Nothing carries information
    from one step to the next, so x_t does not depend on z_1..z_{t-1}."""

    def __init__(self, cfg: SeqGANConfig):
        super().__init__()
        self.cfg = cfg
        self.net = nn.Sequential(
            nn.Linear(cfg.noise_dim, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, cfg.dim), nn.Sigmoid()
        )

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        z = _check_seq("z", z, self.cfg.noise_dim)
        return self.net(z)  # (B, T, D): applied step by step


@dataclass
class History:
    """Per-iteration training losses (lists of floats) and wall-clock seconds."""

    losses: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, **values: float) -> None:
        for k, v in values.items():
            self.losses.setdefault(k, []).append(float(v))


def _check_data(data: torch.Tensor, seq_len: int, dim: int) -> torch.Tensor:
    data = _check_seq("data", data, dim)
    if data.shape[1] != seq_len:
        raise ValueError(f"data has sequences of length {data.shape[1]}, the config says {seq_len}")
    if not torch.isfinite(data).all() or data.min() < 0 or data.max() > 1:
        raise ValueError("data must be finite and scaled to [0, 1] (min-max scale each feature first)")
    return data


def _batches(n: int, batch_size: int, g: torch.Generator) -> Iterator[torch.Tensor]:
    """Endless random mini-batch indices (a fresh permutation per epoch)."""
    while True:
        perm = torch.randperm(n, generator=g)
        for i in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
            yield perm[i : i + batch_size]


def _progress(iterable, total: int, desc: str, show: bool):
    if not show:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc)


def _noise(n: int, cfg: SeqGANConfig, g: torch.Generator, device: torch.device) -> torch.Tensor:
    return torch.randn(n, cfg.seq_len, cfg.noise_dim, generator=g).to(device)  # (n, T, Z)


def train_seq_gan(
    cfg: SeqGANConfig,
    data: torch.Tensor,
    cond: torch.Tensor | None = None,
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    generator_cls: type[nn.Module] = RecurrentGenerator,
    progress: bool = False,
) -> tuple[nn.Module, RecurrentDiscriminator, History]:
    """Train a C-RNN-GAN or an RCGAN (the config decides) with a plain alternating loop.

    Each iteration: ``d_steps`` discriminator updates on L_D = d_loss_bce(real logits,
    fake logits), then one generator update on L_G = g_loss_nonsaturating(fake logits) (the
    non-saturating loss), both from the GAN chapter. With ``per_step_loss`` the logits are the
    ``(B, T)`` per-step scores (RCGAN); otherwise their time average ``(B,)`` (C-RNN-GAN).

    Args:
        cfg: model and training configuration.
        data: real sequences ``(N, seq_len, dim)`` in [0, 1].
        cond: conditions ``(N, cond_dim)`` when ``cfg.cond_dim > 0``.
        seed: seeds initialisation, batches and noise.
        device: defaults to :func:`course_lib.utils.get_device`.
        generator_cls: the generator class (the pitfall box passes DenseSequenceGenerator).
        progress: show a tqdm bar.

    Returns:
        ``(generator, discriminator, history)``; the generator is in eval mode.
    """
    data = _check_data(data, cfg.seq_len, cfg.dim)
    if (cond is None) != (cfg.cond_dim == 0):
        raise ValueError(f"cond must be given exactly when cfg.cond_dim > 0 (cond_dim={cfg.cond_dim})")
    device = torch.device(device) if device is not None else get_device()
    with _seeded(seed):
        gen = generator_cls(cfg).to(device)
        disc = RecurrentDiscriminator(cfg).to(device)
    opt_g = torch.optim.Adam(gen.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    scheds = (
        [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1.0 - i / cfg.iterations) for o in (opt_g, opt_d)]
        if cfg.lr_decay
        else []
    )
    g = torch.Generator().manual_seed(seed)
    data = data.to(device)
    cond = cond.float().to(device) if cond is not None else None
    reduce = (lambda s: s) if cfg.per_step_loss else (lambda s: s.mean(dim=1))  # (B, T) or (B,)
    hist = History()
    batches = _batches(len(data), cfg.batch_size, g)
    t0 = time.perf_counter()
    for _ in _progress(range(cfg.iterations), cfg.iterations, "train GAN", progress):
        for _ in range(cfg.d_steps):
            idx = next(batches)
            c = cond[idx] if cond is not None else None
            with torch.no_grad():
                fake = gen(_noise(len(idx), cfg, g, device), c)
            loss_d = d_loss_bce(reduce(disc(data[idx], c)), reduce(disc(fake, c)))
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        idx = next(batches)
        c = cond[idx] if cond is not None else None
        fake = gen(_noise(len(idx), cfg, g, device), c)
        loss_g = g_loss_nonsaturating(reduce(disc(fake, c)))
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        for sched in scheds:
            sched.step()
        hist.add(d=loss_d.item(), g=loss_g.item())
    hist.seconds = time.perf_counter() - t0
    return gen.eval(), disc.eval(), hist


@torch.no_grad()
def generate(
    model: nn.Module, n: int, *, seed: int = 0, cond: torch.Tensor | None = None, batch_size: int = 1024
) -> torch.Tensor:
    """Draw ``n`` sequences from a trained generator (any model of this module).

    Returns:
        ``(n, seq_len, dim)`` on the CPU, values in [0, 1].
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if isinstance(model, (AutoregressiveGRU, TimeGAN)):
        return model.sample(n, seed=seed)
    cfg = model.cfg
    device = next(model.parameters()).device
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, n, batch_size):
        m = min(batch_size, n - i)
        c = cond[i : i + m].to(device) if cond is not None else None
        out.append(model(_noise(m, cfg, g, device), c).cpu())
    return torch.cat(out)


# ---------------------------------------------------------------------------------------
# 3. Teacher-forced autoregressive GRU (maximum likelihood)
# ---------------------------------------------------------------------------------------


@dataclass
class TeacherForcingConfig:
    """Autoregressive GRU p(x_t | x_<t) = N(μ_t, diag σ_t²), trained by teacher forcing."""

    seq_len: int = 24
    dim: int = 5
    hidden: int = 24
    num_layers: int = 1
    min_log_std: float = -6.0
    iterations: int = 1500
    batch_size: int = 128
    lr: float = 1e-3

    @classmethod
    def tiny(cls, **overrides) -> TeacherForcingConfig:
        kw = dict(seq_len=6, dim=2, hidden=8, iterations=3, batch_size=8)
        kw.update(overrides)
        return cls(**kw)


class AutoregressiveGRU(nn.Module):
    """x_{t-1} → GRU → (μ_t, log σ_t); x_0 is predicted from a zero start vector."""

    def __init__(self, cfg: TeacherForcingConfig):
        super().__init__()
        self.cfg = cfg
        self.rnn = nn.GRU(cfg.dim, cfg.hidden, cfg.num_layers, batch_first=True)
        self.out = nn.Linear(cfg.hidden, 2 * cfg.dim)

    def _params(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_std = self.out(h).chunk(2, dim=-1)
        return mu, log_std.clamp(min=self.cfg.min_log_std)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: feed the *true* previous step, score the true next step.

        NLL = mean over (b, t, d) of  log σ + (x - μ)² / (2σ²) + ½ log 2π   (nats)
        """
        x = _check_seq("x", x, self.cfg.dim)
        inp = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1)  # (B, T, D), shifted right
        h, _ = self.rnn(inp)
        mu, log_std = self._params(h)
        return (log_std + 0.5 * ((x - mu) / log_std.exp()).pow(2) + 0.5 * math.log(2 * math.pi)).mean()

    @torch.no_grad()
    def sample(self, n: int, *, seed: int = 0) -> torch.Tensor:
        """Free-running generation: each sampled step is fed back as the next input (clipped to
        [0, 1]). Returns ``(n, seq_len, dim)`` on the CPU."""
        device = next(self.parameters()).device
        g = torch.Generator().manual_seed(seed)
        x = torch.zeros(n, 1, self.cfg.dim, device=device)
        state, out = None, []
        for _ in range(self.cfg.seq_len):
            h, state = self.rnn(x, state)  # (n, 1, H)
            mu, log_std = self._params(h)
            eps = torch.randn(mu.shape, generator=g).to(device)
            x = (mu + log_std.exp() * eps).clamp(0, 1)
            out.append(x)
        return torch.cat(out, dim=1).cpu()


def train_teacher_forcing(
    cfg: TeacherForcingConfig,
    data: torch.Tensor,
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> tuple[AutoregressiveGRU, History]:
    """Maximum-likelihood training with teacher forcing (Adam on :meth:`AutoregressiveGRU.nll`)."""
    data = _check_data(data, cfg.seq_len, cfg.dim)
    device = torch.device(device) if device is not None else get_device()
    with _seeded(seed):
        model = AutoregressiveGRU(cfg).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    g = torch.Generator().manual_seed(seed)
    data, hist, batches = data.to(device), History(), _batches(len(data), cfg.batch_size, g)
    t0 = time.perf_counter()
    for _ in _progress(range(cfg.iterations), cfg.iterations, "teacher forcing", progress):
        loss = model.nll(data[next(batches)])
        opt.zero_grad()
        loss.backward()
        opt.step()
        hist.add(nll=loss.item())
    hist.seconds = time.perf_counter() - t0
    return model.eval(), hist


# ---------------------------------------------------------------------------------------
# 4. TimeGAN, small
# ---------------------------------------------------------------------------------------


@dataclass
class TimeGANConfig:
    """TimeGAN (Yoon et al. 2019), small. Five GRU networks of ``num_layers`` layers:

    - embedder e: x_1..x_T → h_1..h_T (latent, sigmoid, ``hidden`` units);
    - recovery r: h → x̃ (sigmoid), so that r(e(x)) ≈ x;
    - generator g: z_1..z_T → ê_1..ê_T (latent);
    - supervisor s: h_1..h_T → ĥ_2..ĥ_{T+1}, trained so that s(h)_t ≈ h_{t+1} (the
      supervised loss that teaches the generator the step-wise dynamics);
    - discriminator d: latent sequence → per-step logits.

    Training follows the reference code's three phases: embedding (autoencoder), supervised,
    joint; with ``iterations_*`` scaled down from the paper's 10,000 each.
    """

    seq_len: int = 24
    dim: int = 5
    hidden: int = 24
    num_layers: int = 2
    noise_dim: int = 5
    gamma: float = 1.0
    iterations_embed: int = 600
    iterations_supervised: int = 600
    iterations_joint: int = 600
    batch_size: int = 128
    lr: float = 1e-3

    @classmethod
    def tiny(cls, **overrides) -> TimeGANConfig:
        kw = dict(
            seq_len=6,
            dim=2,
            hidden=4,
            num_layers=1,
            noise_dim=2,
            iterations_embed=2,
            iterations_supervised=2,
            iterations_joint=2,
            batch_size=8,
        )
        kw.update(overrides)
        return cls(**kw)


class _GRUNet(nn.Module):
    """GRU followed by a per-step linear layer, with an optional sigmoid."""

    def __init__(self, n_in: int, hidden: int, n_out: int, num_layers: int, sigmoid: bool):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, max(1, num_layers), batch_first=True)
        self.out = nn.Linear(hidden, n_out)
        self.sigmoid = sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self.rnn(x)[0])  # (B, T, n_out)
        return torch.sigmoid(y) if self.sigmoid else y


class TimeGAN(nn.Module):
    """The five networks of TimeGAN; see :class:`TimeGANConfig`."""

    def __init__(self, cfg: TimeGANConfig):
        super().__init__()
        self.cfg = cfg
        h, L = cfg.hidden, cfg.num_layers
        self.embedder = _GRUNet(cfg.dim, h, h, L, sigmoid=True)
        self.recovery = _GRUNet(h, h, cfg.dim, L, sigmoid=True)
        self.generator = _GRUNet(cfg.noise_dim, h, h, L, sigmoid=True)
        self.supervisor = _GRUNet(h, h, h, L - 1, sigmoid=True)
        self.discriminator = _GRUNet(h, h, 1, L, sigmoid=False)

    def noise(self, n: int, g: torch.Generator) -> torch.Tensor:
        """Per-step uniform noise ``(n, T, noise_dim)``, as in the reference code."""
        return torch.rand(n, self.cfg.seq_len, self.cfg.noise_dim, generator=g).to(
            next(self.parameters()).device
        )

    def synthesize(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, T, Z) → generator → supervisor → recovery → x̂ (B, T, D)."""
        return self.recovery(self.supervisor(self.generator(z)))

    @torch.no_grad()
    def sample(self, n: int, *, seed: int = 0) -> torch.Tensor:
        return self.synthesize(self.noise(n, torch.Generator().manual_seed(seed))).cpu()


def train_timegan(
    cfg: TimeGANConfig,
    data: torch.Tensor,
    *,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = False,
) -> tuple[TimeGAN, History]:
    """Train TimeGAN in its three phases (reference implementation of Yoon et al. 2019).

    Losses (MSE = mean squared error; s_t shifts by one step):

    - embedding: L_R = MSE(x, r(e(x))), minimised as 10 √L_R;
    - supervised: L_S = MSE(h_{2..T}, s(h)_{1..T-1}) with h = e(x);
    - joint, generator: L_U (g_loss_nonsaturating on d(s(g(z)))) + γ L_U,e (g_loss_nonsaturating on
      d(g(z))) + 100 √L_S + 100 L_V, where the moment loss
      L_V = mean_d |σ̂_d − σ_d| + mean_d |μ̂_d − μ_d| compares per-feature means and standard
      deviations of x̂ and x; two generator updates per discriminator update;
    - joint, embedding: 10 √L_R + 0.1 L_S;
    - joint, discriminator: d_loss_bce(d(h), [d(s(g(z))), d(g(z))]) — the two kinds of
      fake are pooled into one batch (the reference code adds them with weights 1 and γ) —
      updated only while it exceeds 0.15, as in the reference code.
    """
    data = _check_data(data, cfg.seq_len, cfg.dim)
    device = torch.device(device) if device is not None else get_device()
    with _seeded(seed):
        m = TimeGAN(cfg).to(device)
    g = torch.Generator().manual_seed(seed)
    data, hist, batches = data.to(device), History(), _batches(len(data), cfg.batch_size, g)
    er_params = list(m.embedder.parameters()) + list(m.recovery.parameters())
    gs_params = list(m.generator.parameters()) + list(m.supervisor.parameters())
    opt_er = torch.optim.Adam(er_params, lr=cfg.lr)
    opt_s = torch.optim.Adam(gs_params, lr=cfg.lr)
    opt_g = torch.optim.Adam(gs_params, lr=cfg.lr)
    opt_e = torch.optim.Adam(er_params, lr=cfg.lr)
    opt_d = torch.optim.Adam(m.discriminator.parameters(), lr=cfg.lr)

    def sup_loss(h: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(m.supervisor(h)[:, :-1], h[:, 1:])

    t0 = time.perf_counter()
    for _ in _progress(range(cfg.iterations_embed), cfg.iterations_embed, "TimeGAN embed", progress):
        x = data[next(batches)]
        loss_r = F.mse_loss(m.recovery(m.embedder(x)), x)
        opt_er.zero_grad()
        (10 * loss_r.sqrt()).backward()
        opt_er.step()
        hist.add(recon=loss_r.item())
    for _ in _progress(range(cfg.iterations_supervised), cfg.iterations_supervised, "TimeGAN sup", progress):
        x = data[next(batches)]
        loss_s = sup_loss(m.embedder(x).detach())
        opt_s.zero_grad()
        loss_s.backward()
        opt_s.step()
        hist.add(sup=loss_s.item())
    for _ in _progress(range(cfg.iterations_joint), cfg.iterations_joint, "TimeGAN joint", progress):
        for _ in range(2):
            x = data[next(batches)]
            z = m.noise(len(x), g)
            e_hat = m.generator(z)
            h_hat = m.supervisor(e_hat)
            x_hat = m.recovery(h_hat)
            h = m.embedder(x)
            loss_u = g_loss_nonsaturating(m.discriminator(h_hat)) + cfg.gamma * g_loss_nonsaturating(
                m.discriminator(e_hat)
            )
            loss_s = sup_loss(h)
            loss_v = (x_hat.std(0) - x.std(0)).abs().mean() + (x_hat.mean(0) - x.mean(0)).abs().mean()
            loss_g = loss_u + 100 * loss_s.sqrt() + 100 * loss_v
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
            # embedding network: reconstruction plus a little of the supervised loss
            h = m.embedder(x)
            loss_r = F.mse_loss(m.recovery(h), x)
            loss_e = 10 * loss_r.sqrt() + 0.1 * sup_loss(h)
            opt_e.zero_grad()
            loss_e.backward()
            opt_e.step()
        x = data[next(batches)]
        with torch.no_grad():
            z = m.noise(len(x), g)
            e_hat = m.generator(z)
            fakes = torch.cat([m.supervisor(e_hat), e_hat])
            h = m.embedder(x)
        loss_d = d_loss_bce(m.discriminator(h), m.discriminator(fakes))
        if loss_d.item() > 0.15:
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
        hist.add(g=loss_g.item(), d=loss_d.item(), recon_joint=loss_r.item(), sup_joint=loss_s.item())
    hist.seconds = time.perf_counter() - t0
    return m.eval(), hist


# ---------------------------------------------------------------------------------------
# 5. A real multivariate data set: MFCC frame sequences of spoken digits (FSDD)
# ---------------------------------------------------------------------------------------


def fsdd_mfcc_sequences(
    *,
    seq_len: int = 24,
    n_mfcc: int = 5,
    hop: int = 12,
    max_per_split: int | None = 3000,
    root=None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences of MFCC frames cut from the Free Spoken Digit Dataset, scaled to [0, 1].

    Each recording (8 kHz) becomes ``n_mfcc`` MFCCs per 10 ms frame (n_fft 256, hop 80,
    40 mel bands, :func:`course_lib.audio.mfcc`); windows of ``seq_len`` frames are cut every
    ``hop`` frames (recordings shorter than ``seq_len`` frames are skipped). Every feature is
    min-max scaled with the *training* split's minimum and maximum; the test split is scaled the
    same way and clipped into [0, 1].

    Args:
        seq_len: frames per sequence (24 frames = 240 ms).
        n_mfcc: features per frame (5 matches the Sines protocol's dimension).
        hop: frames between window starts.
        max_per_split: keep at most this many windows per split (a seeded random subset).
        root: passed to :func:`course_lib.data.load_fsdd`.

    Returns:
        ``(train (N, seq_len, n_mfcc), test (M, seq_len, n_mfcc))`` float32 tensors in [0, 1],
        from FSDD's own train (takes 5-49) and test (takes 0-4) splits.
    """
    from course_lib.audio import mfcc
    from course_lib.data import FSDD_SAMPLE_RATE, load_fsdd

    if min(seq_len, n_mfcc, hop) <= 0:
        raise ValueError(f"seq_len, n_mfcc and hop must be positive, got {seq_len}, {n_mfcc}, {hop}")

    def windows(split: str) -> torch.Tensor:
        out = []
        for wave in load_fsdd(split, root=root).waveforms:
            feats = mfcc(wave, FSDD_SAMPLE_RATE, n_mfcc=n_mfcc).T  # (frames, n_mfcc)
            for start in range(0, feats.shape[0] - seq_len + 1, hop):
                out.append(feats[start : start + seq_len])
        if not out:
            raise ValueError(f"no recording of the {split} split has {seq_len} frames; lower seq_len")
        x = torch.stack(out)  # (N, seq_len, n_mfcc)
        if max_per_split is not None and len(x) > max_per_split:
            x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))[:max_per_split]]
        return x

    train, test = windows("train"), windows("test")
    lo, hi = train.amin(dim=(0, 1)), train.amax(dim=(0, 1))  # (n_mfcc,)
    scale = (hi - lo).clamp(min=1e-8)
    return ((train - lo) / scale).clamp(0, 1), ((test - lo) / scale).clamp(0, 1)

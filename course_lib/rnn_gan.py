"""Recurrent networks and recurrent GANs for sequences ``(B, T, D)`` (batch, time, features).

Chapter: chapters/rnn_gan/

1. Cells by hand: the Elman (tanh) RNN {cite}`elman1990finding`, the LSTM {cite}`hochreiter1997lstm` with a
   forget gate {cite}`gers2000forget` and the GRU {cite}`cho2014gru`, in torch's parameter layout so that
   :func:`copy_weights_from_torch` proves they compute what ``nn.RNN/LSTM/GRU`` compute; :func:`unroll`;
   :func:`grad_norm_wrt_h0` measures vanishing and exploding gradients
   {cite}`bengio1994learning,pascanu2013difficulty`.
2. Sequence models sized by one :class:`SeqModelConfig`: C-RNN-GAN {cite}`mogren2016crnngan` and RCGAN
   {cite}`esteban2017rcgan` (a :class:`RecurrentGenerator` against a :class:`RecurrentDiscriminator`), and
   the teacher-forced :class:`AutoregressiveGRU`; their trainers ``train_<thing>(model, data, config)``
   share one :class:`SeqTrainConfig`. The adversarial losses are the GAN chapter's.
3. TimeGAN {cite}`yoon2019timegan`: five GRU networks trained in three phases (:func:`train_timegan`).

Sequence models take a ``seed`` for their initial weights, trainers and samplers one for their draws;
none touches the global RNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.diagrams import Diagram, shape
from course_lib.utils import History, make_generator, seeded


def _check_seq(name: str, x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    x = torch.as_tensor(x)
    if x.dim() != 3:
        raise ValueError(f"{name} must have shape (batch, time, features), got {tuple(x.shape)}")
    if dim is not None and x.shape[-1] != dim:
        raise ValueError(f"{name} has {x.shape[-1]} features but the model expects {dim}; check the config")
    return x.float()


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


# --- 1. Recurrent cells by hand -----------------------------------------------------------------


class _Cell(nn.Module):
    """Common parameter layout of the hand-written cells, identical to torch's:
    ``weight_ih (G*H, I)``, ``weight_hh (G*H, H)``, ``bias_ih (G*H,)``, ``bias_hh (G*H,)``
    where G is the number of gate blocks (1 RNN, 4 LSTM, 3 GRU), initialised U(-1/√H, 1/√H)."""

    gates = 1  # RNN 1, LSTM 4, GRU 3

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
        """The zero state ``(batch, H)``."""
        return torch.zeros(batch, self.hidden_size, device=device)

    def _check_x(self, x: torch.Tensor) -> None:
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ValueError(f"expected x of shape (batch, {self.input_size}), got {tuple(x.shape)}")


class RNNCell(_Cell):
    """Elman RNN cell: h_t = tanh(W x_t + b_ih + U h_{t-1} + b_hh).

    Args:
        input_size, hidden_size: I (features per input step) and H (size of the state).
    """

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One step: input x ``(B, I)`` and state h ``(B, H)`` give the new state ``(B, H)``."""
        self._check_x(x)
        return torch.tanh(x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh)


class LSTMCell(_Cell):
    """LSTM cell with forget gate, gates in torch's order (i, f, g, o).

        i = σ(W_i x + U_i h + b_i)          input gate
        f = σ(W_f x + U_f h + b_f)          forget gate
        g = tanh(W_g x + U_g h + b_g)       candidate
        o = σ(W_o x + U_o h + b_o)          output gate
        c_t = f ⊙ c_{t-1} + i ⊙ g           the cell: additive update
        h_t = o ⊙ tanh(c_t)

    Args:
        input_size, hidden_size: I (features per input step) and H (size of h and of c).
    """

    gates = 4

    def init_state(self, batch: int, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The zero state ``(h, c)``, each ``(batch, H)``."""
        z = torch.zeros(batch, self.hidden_size, device=device)
        return z, z.clone()

    def parts(self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One step with every intermediate tensor: ``{"i", "f", "g", "o", "c", "h"}``, each ``(B, H)``."""
        self._check_x(x)
        h, c = state
        pre = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh  # (B, 4H)
        i, f, g, o = pre.chunk(4, dim=1)  # each (B, H)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        return {"i": i, "f": f, "g": g, "o": o, "c": c, "h": o * torch.tanh(c)}

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: x ``(B, I)`` and the state (h, c), each ``(B, H)``, give the new (h, c)."""
        out = self.parts(x, state)
        return out["h"], out["c"]


class GRUCell(_Cell):
    """GRU cell, gates in torch's order (r, z, n).

        r = σ(W_r x + b_ir + U_r h + b_hr)             reset gate
        z = σ(W_z x + b_iz + U_z h + b_hz)             update gate
        n = tanh(W_n x + b_in + r ⊙ (U_n h + b_hn))    candidate
        h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}                interpolation: z = 1 copies the state

    (torch, like cuDNN, applies the reset gate after the recurrent matrix product; Cho et al.
    apply it before. Both are GRUs; we follow torch so the equivalence check is exact.)

    Args:
        input_size, hidden_size: I (features per input step) and H (size of the state).
    """

    gates = 3

    def parts(self, x: torch.Tensor, h: torch.Tensor) -> dict[str, torch.Tensor]:
        """One step with every intermediate tensor ``(B, H)``: r, z, u = U_n h + b_hn, n and h."""
        self._check_x(x)
        gi = x @ self.weight_ih.T + self.bias_ih  # (B, 3H)
        gh = h @ self.weight_hh.T + self.bias_hh  # (B, 3H)
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        z = torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
        return {"r": r, "z": z, "u": h_n, "n": n, "h": (1 - z) * n + z * h}

    def forward(self, x: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One step: input x ``(B, I)`` and state h ``(B, H)`` give the new state ``(B, H)``."""
        return self.parts(x, h)["h"]


_CELLS: dict[str, type[_Cell]] = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}
_TORCH_LAYERS = {RNNCell: nn.RNN, LSTMCell: nn.LSTM, GRUCell: nn.GRU}


def make_cell(kind: str, input_size: int, hidden_size: int) -> _Cell:
    """A hand-written cell by name, initialised from the global RNG like ``nn.RNNCell``.

    Args:
        kind: ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``.
        input_size, hidden_size: I (features per input step) and H (size of the state).

    Returns:
        the cell.
    """
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
    """Copy the parameters of a one-layer torch recurrent layer into the hand-written cell of its kind.

    Args:
        cell: an RNNCell, LSTMCell or GRUCell.
        module: a one-layer, unidirectional ``nn.RNN`` (tanh), ``nn.LSTM`` (no projection) or
            ``nn.GRU`` with biases and the cell's sizes.

    Returns:
        ``cell``, now computing what ``module`` computes.

    Raises:
        ValueError: kind, sizes or layout do not match.
    """
    want, got = _TORCH_LAYERS[type(cell)].__name__, type(module).__name__
    if got != want:
        raise ValueError(f"a {type(cell).__name__} needs an nn.{want}, got {got}")
    if module.num_layers != 1 or module.bidirectional or not module.bias or module.proj_size:
        raise ValueError("only one-layer, unidirectional modules with biases (no projection) can be copied")
    if getattr(module, "nonlinearity", "tanh") != "tanh":
        raise ValueError("only the tanh RNN can be copied into an RNNCell (nonlinearity='tanh')")
    sizes, cell_sizes = (module.input_size, module.hidden_size), (cell.input_size, cell.hidden_size)
    if sizes != cell_sizes:
        raise ValueError(f"sizes differ: module (input, hidden) = {sizes}, cell {cell_sizes}")
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(cell, name).copy_(getattr(module, f"{name}_l0"))
    return cell


def adding_problem(n: int, seq_len: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The adding problem of {cite}`hochreiter1997lstm` (experiment 4).

    Each step carries a value u_t ~ U(0, 1) and a marker m_t ∈ {0, 1}; exactly two markers are 1,
    one in each half of the sequence. The target is the sum of the two marked values, so the
    answer depends on a step far in the past.

    Args:
        n: number of sequences.
        seq_len: T (at least 2).
        seed: seeds the values and the marker positions.

    Returns:
        ``x (n, seq_len, 2)`` (value, marker) and ``y (n,)``.
    """
    if n <= 0 or seq_len < 2:
        raise ValueError(f"need n > 0 and seq_len >= 2, got n={n}, seq_len={seq_len}")
    g = make_generator(seed)
    u = torch.rand(n, seq_len, generator=g)
    half = seq_len // 2
    first = torch.randint(0, half, (n,), generator=g)
    second = torch.randint(half, seq_len, (n,), generator=g)
    m = torch.zeros(n, seq_len).scatter_(1, torch.stack([first, second], dim=1), 1.0)  # the two markers
    return torch.stack([u, m], dim=-1), (u * m).sum(1)


def probe_cell(
    kind: str, *, seed: int = 0, gate_bias: float = 0.0, recurrent_gain: float | None = None
) -> tuple[_Cell, nn.Linear]:
    """The untrained cell (2 inputs, H = 32) and linear read-out that the gradient probes measure.

    Args:
        kind: ``"rnn"``, ``"lstm"`` or ``"gru"`` (hand-written cells).
        seed: seeds the initialisation.
        gate_bias: added to the forget-gate bias (LSTM) or the update-gate bias (GRU); a
            positive value makes the cell copy its state by default {cite}`gers2000forget`.
        recurrent_gain: for the tanh RNN, replace U by ``gain`` times a random orthogonal
            matrix, so that every singular value of U is exactly ``gain``.

    Returns:
        ``(cell, readout)``; the read-out maps h ``(B, 32)`` to ``(B, 1)``.
    """
    if recurrent_gain is not None and kind != "rnn":
        raise ValueError("recurrent_gain applies to the tanh RNN only")
    hidden_size = 32
    with seeded(seed):
        cell = make_cell(kind, 2, hidden_size)
        readout = nn.Linear(hidden_size, 1)
        with torch.no_grad():
            if kind in ("lstm", "gru"):  # gate block 2: f of (i, f, g, o), z of (r, z, n)
                cell.bias_hh[hidden_size : 2 * hidden_size] += gate_bias
            if recurrent_gain is not None:
                q, _ = torch.linalg.qr(torch.randn(hidden_size, hidden_size))
                cell.weight_hh.copy_(recurrent_gain * q)
    return cell, readout


def state_grad_norms(
    kind: str, seq_len: int, *, seed: int = 0, gate_bias: float = 0.0, recurrent_gain: float | None = None
) -> torch.Tensor:
    """‖∂L/∂s_t‖ for every state s_0..s_T, for a loss L at the last step of 64 adding-problem sequences.

    Backpropagation through time multiplies the gradient by the step Jacobian ∂s_t/∂s_{t-1} once
    per step, so ‖∂L/∂s_t‖ = ‖∂L/∂s_T · Π ∂s_u/∂s_{u-1}‖ shrinks or grows geometrically with the
    distance T − t unless the Jacobians stay close to norm 1. One backward pass gives all of them.

    Args:
        kind, seed, gate_bias, recurrent_gain: the network, as in :func:`probe_cell`.
        seq_len: T; L = ½ Σ (read-out of h_T − target)² summed over the sequences, so that each
            sequence's gradient keeps its own scale.

    Returns:
        per-sequence norms ``(64, T + 1)``, column t for s_t (for the LSTM s_t is the pair (h_t, c_t)).
    """
    cell, readout = probe_cell(kind, seed=seed, gate_bias=gate_bias, recurrent_gain=recurrent_gain)
    x, y = adding_problem(64, seq_len, seed=seed)  # (64, T, 2), (64,)
    state = cell.init_state(64)
    states = []
    for t in range(seq_len + 1):
        parts = state if isinstance(state, tuple) else (state,)
        for p in parts:
            p.requires_grad_(True) if t == 0 else p.retain_grad()
        states.append(parts)
        if t < seq_len:
            state = cell(x[:, t], state)
    loss = 0.5 * (readout(states[-1][0]).squeeze(-1) - y).pow(2).sum()
    loss.backward()
    return torch.stack([torch.cat([p.grad for p in s], dim=1).norm(dim=1) for s in states], dim=1).detach()


def grad_norm_wrt_h0(
    kind: str, seq_len: int, *, seed: int = 0, gate_bias: float = 0.0, recurrent_gain: float | None = None
) -> float:
    """‖∂L/∂h_0‖ averaged over the sequences: the first column of :func:`state_grad_norms`.

    Args:
        kind, seq_len, seed, gate_bias, recurrent_gain: as in :func:`state_grad_norms`.

    Returns:
        the mean norm of the gradient with respect to the whole initial state (for the LSTM, the
        pair (h_0, c_0)).
    """
    return float(
        state_grad_norms(kind, seq_len, seed=seed, gate_bias=gate_bias, recurrent_gain=recurrent_gain)[
            :, 0
        ].mean()
    )


# --- 2. Sequence models: C-RNN-GAN, RCGAN, teacher forcing ------------------------------------


@dataclass
class SeqModelConfig:
    """Sizes of every sequence model of this module, for sequences ``(B, T, D)`` in [0, 1].

    :meth:`crnn_gan` and :meth:`rcgan` set what distinguishes the two published sequence GANs.

    Attributes:
        seq_len, dim: T (steps per sequence) and D (features per step).
        noise_dim: Z, noise features per step (the generators).
        cond_dim: C, size of a condition fed at every step (0: unconditional; sequence GANs only).
        bidirectional_d: the sequence GAN's discriminator reads the sequence both ways.
        per_step_loss: the GAN loss scores every step's logit ``(B, T)`` instead of their mean ``(B,)``.
        cell: ``"lstm"`` or ``"gru"`` for the sequence GANs (teacher forcing uses a GRU).
        hidden: H, units of every recurrent layer.
        num_layers: recurrent layers per network.
        noise: ``"step"``: a fresh noise vector per step (the published generators); ``"sequence"``:
            one vector per sequence, repeated at every step (a sequence-level latent).
    """

    seq_len: int = 24
    dim: int = 5
    noise_dim: int = 5
    cond_dim: int = 0
    bidirectional_d: bool = False
    per_step_loss: bool = True
    cell: str = "lstm"
    hidden: int = 24
    num_layers: int = 1
    noise: str = "step"

    def __post_init__(self) -> None:
        if min(self.seq_len, self.dim, self.noise_dim, self.hidden, self.num_layers) <= 0:
            raise ValueError(f"sizes must be positive, got {self}")
        if self.cell not in ("lstm", "gru"):
            raise ValueError(f"cell must be 'lstm' or 'gru', got {self.cell!r}")
        if self.noise not in ("step", "sequence"):
            raise ValueError(f"noise must be 'step' or 'sequence', got {self.noise!r}")

    @classmethod
    def crnn_gan(cls, **overrides) -> SeqModelConfig:
        """C-RNN-GAN {cite}`mogren2016crnngan`: bidirectional discriminator, one decision per sequence.

        Its per-step logits are averaged (Mogren averages probabilities, feeds each output back into
        the generator and uses two layers of 350 units: simplified here for a CPU).
        """
        return cls(**{"bidirectional_d": True, "per_step_loss": False, **overrides})

    @classmethod
    def rcgan(cls, **overrides) -> SeqModelConfig:
        """RCGAN {cite}`esteban2017rcgan`: forward discriminator, cross-entropy averaged over all steps."""
        return cls(**{"bidirectional_d": False, "per_step_loss": True, **overrides})


def _rnn(cfg: SeqModelConfig, n_in: int, bidirectional: bool = False, cell: str = "") -> nn.RNNBase:
    layer = nn.LSTM if (cell or cfg.cell) == "lstm" else nn.GRU
    return layer(n_in, cfg.hidden, cfg.num_layers, batch_first=True, bidirectional=bidirectional)


def _with_cond(x: torch.Tensor, cond: torch.Tensor | None, cond_dim: int) -> torch.Tensor:
    """Append the condition ``(B, C)`` to every step of ``x (B, T, F)`` → ``(B, T, F + C)``."""
    if cond is None and cond_dim == 0:
        return x
    if cond is None or cond.shape != (x.shape[0], cond_dim):
        want = f"a condition of shape ({x.shape[0]}, {cond_dim})" if cond_dim else "no condition (cond_dim=0)"
        raise ValueError(f"expected {want}, got {None if cond is None else tuple(cond.shape)}")
    return torch.cat([x, cond.float().unsqueeze(1).expand(-1, x.shape[1], -1)], dim=-1)


class RecurrentGenerator(nn.Module):
    """z_1..z_T (one noise vector per step) → LSTM/GRU → linear → sigmoid → x_1..x_T in [0, 1].

    The noise enters at every step and the state carries the past, so x_t depends on z_1..z_t.

    Args:
        cfg: the sizes (``cell`` and ``cond_dim`` included).
        seed: seeds the initial weights.
    """

    def __init__(self, cfg: SeqModelConfig, *, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        with seeded(seed):
            self.rnn = _rnn(cfg, cfg.noise_dim + cfg.cond_dim)
            self.out = nn.Linear(cfg.hidden, cfg.dim)

    def noise(self, n: int, g: torch.Generator) -> torch.Tensor:
        """Standard normal noise ``(n, T, Z)`` from ``g``, per step or per sequence, on the model's device."""
        T, Z = self.cfg.seq_len, self.cfg.noise_dim
        if self.cfg.noise == "sequence":
            return torch.randn(n, 1, Z, generator=g).expand(n, T, Z).to(_device(self))
        return torch.randn(n, T, Z, generator=g).to(_device(self))

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Map noise z ``(B, T, Z)`` (and a condition ``(B, C)``) to sequences ``(B, T, D)``."""
        z = _check_seq("z", z, self.cfg.noise_dim)
        h, _ = self.rnn(_with_cond(z, cond, self.cfg.cond_dim))  # (B, T, H)
        return torch.sigmoid(self.out(h))

    @torch.no_grad()
    def sample(self, n: int, *, seed: int | torch.Generator = 0, cond: torch.Tensor | None = None):
        """Draw ``n`` sequences ``(n, T, D)`` on the CPU; ``seed`` seeds the noise, ``cond`` is ``(n, C)``."""
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")
        z = self.noise(n, make_generator(seed))
        return self(z, None if cond is None else cond.to(z.device)).cpu()


class RecurrentDiscriminator(nn.Module):
    """x_1..x_T (+ condition) → (bidirectional) LSTM/GRU → linear per step → logits ``(B, T)``.

    The sequences, in [0, 1], enter centred as 2x − 1: Sines sit around 0.75, and fed raw the
    recurrent layer learns to separate real from fake far more slowly and erratically (measured in
    chapters/rnn_gan/02).

    Args:
        cfg: the sizes (``cell``, ``cond_dim`` and ``bidirectional_d`` included).
        seed: seeds the initial weights.
    """

    def __init__(self, cfg: SeqModelConfig, *, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        with seeded(seed):
            self.rnn = _rnn(cfg, cfg.dim + cfg.cond_dim, cfg.bidirectional_d)
            self.out = nn.Linear(cfg.hidden * (2 if cfg.bidirectional_d else 1), 1)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        """Score sequences x ``(B, T, D)`` (and a condition ``(B, C)``): per-step logits ``(B, T)``."""
        x = _check_seq("x", x, self.cfg.dim)
        h, _ = self.rnn(_with_cond(2 * x - 1, cond, self.cfg.cond_dim))  # (B, T, H or 2H)
        return self.out(h).squeeze(-1)


class AutoregressiveGRU(nn.Module):
    """p(x_t | x_<t) = N(μ_t, diag σ_t²) from a GRU reading x_{t-1}; x_1 is predicted from zeros.

    Args:
        cfg: the sizes (``seq_len``, ``dim``, ``hidden``, ``num_layers``).
        seed: seeds the initial weights.
    """

    min_log_std = -6.0

    def __init__(self, cfg: SeqModelConfig, *, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        with seeded(seed):
            self.rnn = _rnn(cfg, cfg.dim, cell="gru")
            self.out = nn.Linear(cfg.hidden, 2 * cfg.dim)

    def _params(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, log_std = self.out(h).chunk(2, dim=-1)
        return mu, log_std.clamp(min=self.min_log_std)

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Teacher forcing on x ``(B, T, D)``: read the *true* previous step, score the true next one.

        Returns the mean over (b, t, d) of log σ + (x - μ)² / (2σ²) + ½ log 2π (nats per value).
        """
        x = _check_seq("x", x, self.cfg.dim)
        h, _ = self.rnn(torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], dim=1))  # inputs shifted right
        mu, log_std = self._params(h)
        return (log_std + 0.5 * ((x - mu) / log_std.exp()).pow(2) + 0.5 * math.log(2 * math.pi)).mean()

    @torch.no_grad()
    def sample(self, n: int, *, seed: int | torch.Generator = 0) -> torch.Tensor:
        """Free-running generation of ``n`` sequences ``(n, T, D)`` on the CPU; ``seed`` seeds the draws.

        Each sampled step, clipped to [0, 1], is fed back as the next input.
        """
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")
        device, g = _device(self), make_generator(seed)
        x, state, out = torch.zeros(n, 1, self.cfg.dim, device=device), None, []
        for _ in range(self.cfg.seq_len):
            h, state = self.rnn(x, state)  # (n, 1, H)
            mu, log_std = self._params(h)
            x = (mu + log_std.exp() * torch.randn(mu.shape, generator=g).to(device)).clamp(0, 1)
            out.append(x)
        return torch.cat(out, dim=1).cpu()


# --- 3. Training: one config for every trainer -------------------------------------------------


@dataclass
class SeqTrainConfig:
    """How every trainer of this module trains: Adam on random mini-batches.

    Attributes:
        seed: seeds the mini-batches and the noise (each model seeds its own initial weights).
        steps: training steps (per phase, for a trainer with phases).
        batch_size: sequences per mini-batch.
        lr: Adam learning rate (the generator's, for the sequence GANs).
        lr_d: the sequence GAN discriminator's learning rate (None: ``lr``).
        betas: Adam's betas; (0.5, 0.999) is the usual choice for GANs.
        lr_decay: decay the learning rates linearly to 0 over the steps (``train_seq_gan``).
        eval_every: call ``evaluate`` every this many steps (0: never; TimeGAN: joint steps).
        evaluate: ``evaluate(model, step) -> {name: value}``, recorded with ``History.add_metric``
            (``model``: the generator of a sequence GAN, else the model being trained).
    """

    seed: int = 0
    steps: int = 500
    batch_size: int = 128
    lr: float = 1e-3
    lr_d: float | None = None
    betas: tuple[float, float] = (0.9, 0.999)
    lr_decay: bool = False
    eval_every: int = 0
    evaluate: Callable[[nn.Module, int], dict[str, float]] | None = None

    def maybe_evaluate(self, model: nn.Module, step: int, history: History) -> None:
        """Call ``evaluate`` after ``step`` steps if it is due (in eval mode, then back to training)."""
        if self.evaluate is None or not self.eval_every or step % self.eval_every:
            return
        model.eval()
        history.add_metric(step, **self.evaluate(model, step))
        model.train()


def minibatches(
    model: nn.Module, data: torch.Tensor, config: SeqTrainConfig
) -> tuple[torch.Tensor, torch.Generator, Iterator[torch.Tensor]]:
    """What every trainer of a sequence model starts from: the checked data, a generator, batch indices.

    Args:
        model: a model with a :class:`SeqModelConfig` ``cfg``; the data go to its device.
        data: real sequences ``(N, T, D)`` in [0, 1], with the T and D of ``model.cfg``.
        config: its ``seed`` and ``batch_size``.

    Returns:
        ``(data, g, batches)``: the data on the model's device, a generator seeded with ``config.seed``
        (it also draws the noise), endless indices ``(batch_size,)``, a fresh permutation per epoch.

    Raises:
        ValueError: wrong shape, values not finite or outside [0, 1].
    """
    data = _check_seq("data", data, model.cfg.dim)
    if data.shape[1] != model.cfg.seq_len:
        raise ValueError(f"data has sequences of length {data.shape[1]}, the config says {model.cfg.seq_len}")
    if not torch.isfinite(data).all() or data.min() < 0 or data.max() > 1:
        raise ValueError("data must be finite and scaled to [0, 1] (min-max scale each feature first)")
    g, n, b = make_generator(config.seed), len(data), config.batch_size

    def batches() -> Iterator[torch.Tensor]:
        while True:
            perm = torch.randperm(n, generator=g)
            yield from (perm[i : i + b] for i in range(0, n - b + 1 if n >= b else 1, b))

    return data.to(_device(model)), g, batches()


def _update(opt: torch.optim.Optimizer, loss: torch.Tensor) -> torch.Tensor:
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.detach()


def _d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-V̂ = -mean log D(x) - mean log(1 - D(G(z))) from logits: the GAN chapter's discriminator loss."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def _g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss -mean log D(G(z)), from logits."""
    return F.softplus(-fake_logits).mean()


def train_seq_gan(
    model: tuple[RecurrentGenerator, RecurrentDiscriminator],
    data: torch.Tensor | tuple[torch.Tensor, torch.Tensor],
    config: SeqTrainConfig,
) -> History:
    """Train a C-RNN-GAN or an RCGAN (the models' config decides) with a plain alternating loop.

    Each step: one discriminator update on L_D = -V̂ (real logits against 1, fake ones against 0),
    then one generator update on the non-saturating L_G = -mean log D(G(z)). The logits are the
    per-step scores ``(B, T)`` with ``per_step_loss`` (RCGAN), else their time average ``(B,)``.

    Args:
        model: ``(generator, discriminator)`` of one config, trained in place (left in eval mode).
        data: real sequences ``(N, T, D)`` in [0, 1]; for a conditional model the pair
            ``(sequences, conditions (N, C))``.
        config: steps, batch size, learning rates, betas, ``lr_decay``, seed.

    Returns:
        the history: losses ``d`` and ``g`` per step, training time.
    """
    gen, disc = model
    x, cond = data if isinstance(data, tuple) else (data, None)
    x, g, batches = minibatches(gen, x, config)
    cond = cond.float().to(x.device) if cond is not None else None
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr, betas=config.betas)
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.lr_d or config.lr, betas=config.betas)
    decay = lambda i: 1.0 - i / config.steps  # noqa: E731
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, decay) for o in (opt_g, opt_d)] if config.lr_decay else []
    reduce = (lambda s: s) if gen.cfg.per_step_loss else (lambda s: s.mean(dim=1))  # (B, T) or (B,)
    history = History()
    with history.timed():
        for step in range(config.steps):
            idx = next(batches)
            c = cond[idx] if cond is not None else None
            with torch.no_grad():
                fake = gen(gen.noise(len(idx), g), c)
            loss_d = _update(opt_d, _d_loss(reduce(disc(x[idx], c)), reduce(disc(fake, c))))
            idx = next(batches)
            c = cond[idx] if cond is not None else None
            loss_g = _update(opt_g, _g_loss(reduce(disc(gen(gen.noise(len(idx), g), c), c))))
            for sched in scheds:
                sched.step()
            history.add(d=loss_d, g=loss_g)
            config.maybe_evaluate(gen, step + 1, history)
    gen.eval(), disc.eval()
    return history


def train_teacher_forcing(model: AutoregressiveGRU, data: torch.Tensor, config: SeqTrainConfig) -> History:
    """Maximum-likelihood training with teacher forcing (Adam on :meth:`AutoregressiveGRU.nll`).

    Args:
        model: the network, trained in place (left in eval mode).
        data: real sequences ``(N, T, D)`` in [0, 1].
        config: steps, batch size, ``lr``, betas, seed.

    Returns:
        the history: loss ``nll`` (nats per value) per step, training time.
    """
    x, _, batches = minibatches(model, data, config)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=config.betas)
    history = History()
    with history.timed():
        for step in range(config.steps):
            history.add(nll=_update(opt, model.nll(x[next(batches)])))
            config.maybe_evaluate(model, step + 1, history)
    model.eval()
    return history


# --- 4. TimeGAN --------------------------------------------------------------------------------


class _GRUNet(nn.Module):
    """A stacked GRU followed by a per-step linear layer, with an optional sigmoid."""

    def __init__(self, n_in: int, hidden: int, n_out: int, num_layers: int, sigmoid: bool):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, num_layers, batch_first=True)
        self.out = nn.Linear(hidden, n_out)
        self.sigmoid = sigmoid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self.rnn(x)[0])  # (B, T, n_out)
        return torch.sigmoid(y) if self.sigmoid else y


class TimeGAN(nn.Module):
    """TimeGAN {cite}`yoon2019timegan`: a GAN in the latent space of an autoencoder, with a supervisor.

    Five GRU networks of ``cfg.num_layers`` layers and ``cfg.hidden`` units (the reference code:
    3 layers of 24 units for Sines):

    - embedder e: x_1..x_T → h_1..h_T (latent, sigmoid);
    - recovery r: h → x̃ (sigmoid), trained so that r(e(x)) ≈ x;
    - generator g: z_1..z_T (uniform noise per step, as in the reference code) → ê_1..ê_T;
    - supervisor s: h_1..h_T → ĥ_2..ĥ_{T+1} (one layer fewer), trained so that s(h)_t ≈ h_{t+1};
    - discriminator d: latent sequence → per-step logits.

    A sample is r(s(g(z))).

    Args:
        cfg: the sizes (``dim``, ``noise_dim``, ``hidden``, ``num_layers``, ``seq_len``).
        seed: seeds the initial weights.
    """

    def __init__(self, cfg: SeqModelConfig, *, seed: int = 0):
        super().__init__()
        self.cfg = cfg
        h, n = cfg.hidden, cfg.num_layers
        with seeded(seed):
            self.embedder = _GRUNet(cfg.dim, h, h, n, sigmoid=True)
            self.recovery = _GRUNet(h, h, cfg.dim, n, sigmoid=True)
            self.generator = _GRUNet(cfg.noise_dim, h, h, n, sigmoid=True)
            self.supervisor = _GRUNet(h, h, h, max(1, n - 1), sigmoid=True)
            self.discriminator = _GRUNet(h, h, 1, n, sigmoid=False)

    def noise(self, n: int, g: torch.Generator) -> torch.Tensor:
        """Per-step uniform noise ``(n, T, Z)`` drawn from ``g``, on the model's device."""
        return torch.rand(n, self.cfg.seq_len, self.cfg.noise_dim, generator=g).to(_device(self))

    @torch.no_grad()
    def sample(self, n: int, *, seed: int | torch.Generator = 0) -> torch.Tensor:
        """Synthesise ``n`` sequences ``(n, T, D)`` on the CPU: z → generator → supervisor → recovery."""
        if n <= 0:
            raise ValueError(f"n must be positive, got {n}")
        return self.recovery(self.supervisor(self.generator(self.noise(n, make_generator(seed))))).cpu()


def _latent_sup(m: TimeGAN, h: torch.Tensor) -> torch.Tensor:
    """L_S = mean (h_{t+1} − s(h)_t)²: how well the supervisor predicts the next latent step."""
    return F.mse_loss(m.supervisor(h)[:, :-1], h[:, 1:])


def _timegan_d_loss(m: TimeGAN, h: torch.Tensor, e_hat: torch.Tensor, gamma: float) -> torch.Tensor:
    """L_D = −log d(h) − log(1 − d(s(ê))) − γ log(1 − d(ê)), per step, from logits."""
    d_real, d_fake_e = m.discriminator(h), m.discriminator(e_hat)
    d_fake = m.discriminator(m.supervisor(e_hat))
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean() + gamma * F.softplus(d_fake_e).mean()


def timegan_generator_losses(
    m: TimeGAN, x: torch.Tensor, z: torch.Tensor, gamma: float = 1.0
) -> dict[str, torch.Tensor]:
    """The generator's losses on a real batch ``x (B, T, D)`` and noise ``z (B, T, Z)`` (Yoon et al., §4).

    - unsupervised (non-saturating) L_U = −log d(s(g(z))) − γ log d(g(z)), per step;
    - supervised L_S on the latents of real data (:func:`_latent_sup`);
    - moments L_V = mean |√(var x̂ + ε) − √(var x + ε)| + mean |mean x̂ − mean x|, over the batch.

    Args:
        m: the :class:`TimeGAN`.
        x: real sequences ``(B, T, D)`` in [0, 1].
        z: noise ``(B, T, Z)`` (:meth:`TimeGAN.noise`).
        gamma: weight of the loss on the generator's own latents (1 in the reference code).

    Returns:
        ``{"unsup", "sup", "moments"}``, scalar tensors.
    """
    e_hat = m.generator(z)  # (B, T, H)
    h_hat = m.supervisor(e_hat)
    x_hat = m.recovery(h_hat)  # (B, T, D)
    std = lambda a: (a.var(0, unbiased=False) + 1e-6).sqrt()  # noqa: E731  per (t, d), over the batch
    return {
        "unsup": _g_loss(m.discriminator(h_hat)) + gamma * _g_loss(m.discriminator(e_hat)),
        "sup": _latent_sup(m, m.embedder(x)),
        "moments": (std(x_hat) - std(x)).abs().mean() + (x_hat.mean(0) - x.mean(0)).abs().mean(),
    }


def train_timegan(
    model: TimeGAN, data: torch.Tensor, config: SeqTrainConfig, *, pre_steps: int | None = None
) -> History:
    """Train TimeGAN in the three phases of its reference code (Adam, ``config.lr`` for every network).

    1. embedding, ``pre_steps`` steps: e and r on 10 √L_R;
    2. supervised, ``pre_steps`` steps: s on L_S (latents of real data);
    3. joint, ``config.steps`` steps: twice (g, s on L_U + 100 √L_S + 100 L_V, then e, r on
       10 √L_R + 0.1 L_S), then d on L_D, but only while L_D > 0.15 (the reference keeps the
       discriminator from winning outright).

    Args:
        model: the :class:`TimeGAN`, trained in place (left in eval mode).
        data: real sequences ``(N, T, D)`` in [0, 1].
        config: steps of the joint phase, batch size, lr, seed, ``evaluate`` (called on the model
            every ``eval_every`` joint steps).
        pre_steps: steps of each of the first two phases (default: ``config.steps``, as in the paper).

    Returns:
        the history: ``recon`` and ``sup`` per step of phases 1 and 2 (``recon_pre``, ``sup_pre``),
        and per joint step ``unsup``, ``sup``, ``moments``, ``recon``, ``disc``.
    """
    m = model
    x_all, g, batches = minibatches(m, data, config)
    pre_steps = config.steps if pre_steps is None else pre_steps
    adam = lambda *nets: torch.optim.Adam([p for n in nets for p in n.parameters()], lr=config.lr)  # noqa: E731
    opt_er, opt_s = adam(m.embedder, m.recovery), adam(m.supervisor)
    opt_g, opt_e, opt_d = adam(m.generator, m.supervisor), adam(m.embedder, m.recovery), adam(m.discriminator)
    history = History()
    m.train()
    with history.timed():
        for _ in range(pre_steps):  # 1. the autoencoder
            x = x_all[next(batches)]
            loss_r = F.mse_loss(m.recovery(m.embedder(x)), x)
            _update(opt_er, 10 * loss_r.sqrt())
            history.add(recon_pre=loss_r.detach())
        for _ in range(pre_steps):  # 2. the latent dynamics
            with torch.no_grad():
                h = m.embedder(x_all[next(batches)])
            history.add(sup_pre=_update(opt_s, _latent_sup(m, h)))
        for step in range(config.steps):  # 3. joint
            for _ in range(2):
                x = x_all[next(batches)]
                loss = timegan_generator_losses(m, x, m.noise(len(x), g))
                _update(opt_g, loss["unsup"] + 100 * loss["sup"].sqrt() + 100 * loss["moments"])
                h = m.embedder(x)
                loss_r = F.mse_loss(m.recovery(h), x)
                _update(opt_e, 10 * loss_r.sqrt() + 0.1 * _latent_sup(m, h))
            x = x_all[next(batches)]
            with torch.no_grad():
                h, e_hat = m.embedder(x), m.generator(m.noise(len(x), g))
            loss_d = _timegan_d_loss(m, h, e_hat, gamma=1.0)
            if loss_d.item() > 0.15:
                _update(opt_d, loss_d)
            history.add(**{k: v.detach() for k, v in loss.items()}, recon=loss_r.detach())
            history.add(disc=loss_d.detach())
            config.maybe_evaluate(m, step + 1, history)
    m.eval()
    return history


# --- 5. Diagrams, with the shapes of a real forward pass ---------------------------------------


def draw_lstm_cell(cell: LSTMCell, batch: int = 4) -> plt.Figure:
    """The LSTM cell: one box per gate, ⊙ and + as operations, shapes read from one real step.

    Args:
        cell: an :class:`LSTMCell` (its sizes label the tensors).
        batch: B of the step that is run (zero state, zero input).

    Returns:
        the figure.
    """
    x, state = torch.zeros(batch, cell.input_size), cell.init_state(batch)
    with torch.no_grad():
        p = cell.parts(x, state)  # each (B, H)
    sh = lambda t: shape(t, "B,H")  # noqa: E731
    d = Diagram(14.0, 9.6, "LSTM cell: one step, shapes of a real forward pass")
    d.box("c0", 1.2, 7.6, "$c_{t-1}$\n" + sh(state[1]), "data", w=2.0)
    d.box("h0", 4.6, 1.0, "$h_{t-1}$\n" + sh(state[0]), "data", w=2.1)
    d.box("x", 9.3, 1.0, "$x_t$\n" + shape(x, "B,I"), "data", w=2.1)
    d.box("cat", 6.95, 2.6, "concat", "op", w=1.0)
    d.note(6.95, 1.55, shape(torch.cat([x, state[0]], 1), "B,I+H"), fontsize=8)
    for name, xpos, act, label in [
        ("f", 3.2, "σ", "forget gate"),
        ("i", 5.7, "σ", "input gate"),
        ("g", 8.2, "tanh", "cell input"),
        ("o", 10.7, "σ", "output gate"),
    ]:
        d.box(name, xpos, 4.6, f"{label}\n${name}_t$ = {act}(·)\n" + sh(p[name]), "net", w=2.1, h=1.3)
        d.arrow("cat", name)
    d.box("fc", 3.2, 7.6, "⊙", "op", w=0.6)
    d.box("ig", 6.95, 6.1, "⊙", "op", w=0.6)
    d.box("plus", 6.95, 7.6, "+", "op", w=0.6)
    d.box("tanh", 10.7, 7.6, "tanh", "op", w=0.9)
    d.box("oc", 12.6, 6.1, "⊙", "op", w=0.6)
    d.box("c1", 12.6, 8.9, "$c_t$ " + sh(p["c"]), "data", w=2.6, h=0.6)
    d.box("h1", 12.6, 2.6, "$h_t$\n" + sh(p["h"]), "data", w=2.1)
    d.arrow("h0", "cat").arrow("x", "cat")
    d.arrow("c0", "fc").arrow("f", "fc").arrow("fc", "plus").arrow("i", "ig").arrow("g", "ig")
    d.arrow("ig", "plus").arrow("plus", "tanh").arrow("plus", "c1", bend=-0.15).arrow("tanh", "oc")
    d.arrow("o", "oc").arrow("oc", "h1")
    d.note(5.1, 8.0, "$\\partial c_t / \\partial c_{t-1} = \\mathrm{diag}(f_t)$", fontsize=8)
    d.note(
        7.0,
        0.0,
        "$c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$,   $h_t = o_t \\odot \\tanh(c_t)$,   "
        "gate $= \\sigma(W x_t + U h_{t-1} + b)$ (tanh for $g_t$)",
        fontsize=9,
    )
    return d.figure()


def draw_gru_cell(cell: GRUCell, batch: int = 4) -> plt.Figure:
    """The GRU cell (torch's form): one box per gate, ⊙ and + as operations, shapes of one real step.

    Args:
        cell: a :class:`GRUCell` (its sizes label the tensors).
        batch: B of the step that is run (zero state, zero input).

    Returns:
        the figure.
    """
    x, h = torch.zeros(batch, cell.input_size), cell.init_state(batch)
    with torch.no_grad():
        p = cell.parts(x, h)  # each (B, H)
    sh = lambda t: shape(t, "B,H")  # noqa: E731
    d = Diagram(14.0, 9.8, "GRU cell: one step, shapes of a real forward pass")
    d.box("h0", 1.2, 8.6, "$h_{t-1}$\n" + sh(h), "data", w=2.1)
    d.box("zh", 5.6, 8.6, "⊙", "op", w=0.6)
    d.box("plus", 10.6, 8.6, "+", "op", w=0.6)
    d.box("h1", 12.8, 8.6, "$h_t$\n" + sh(p["h"]), "data", w=2.1)
    d.box("u", 1.2, 6.4, "$U_n h_{t-1} + b_{hn}$\n" + sh(p["u"]), "net", w=2.1, h=1.0)
    d.box("ru", 3.4, 6.4, "⊙", "op", w=0.6)
    d.box("n", 7.8, 6.4, "candidate\n$n_t$ = tanh(·)\n" + sh(p["n"]), "net", w=2.1, h=1.3)
    d.box("zn", 10.6, 6.4, "⊙", "op", w=0.6)
    d.box("omz", 10.6, 4.3, "1 − z", "op", w=0.9)
    d.box("r", 3.4, 4.3, "reset gate\n$r_t$ = σ(·)\n" + sh(p["r"]), "net", w=2.1, h=1.3)
    d.box("z", 5.6 + 1.2, 4.3, "update gate\n$z_t$ = σ(·)\n" + sh(p["z"]), "net", w=2.1, h=1.3)
    d.box("cat", 5.1, 2.3, "concat", "op", w=1.0)
    d.box("x", 9.0, 0.8, "$x_t$\n" + shape(x, "B,I"), "data", w=2.1)
    d.box("h0b", 1.9, 0.8, "$h_{t-1}$\n" + sh(h), "data", w=2.1)
    d.arrow("h0", "zh").arrow("zh", "plus").arrow("plus", "h1").arrow("h0", "u").arrow("u", "ru")
    d.arrow("r", "ru").arrow("ru", "n").arrow("n", "zn").arrow("zn", "plus").arrow("omz", "zn")
    d.arrow("z", "zh", bend=0.15).arrow("z", "omz").arrow("h0b", "cat").arrow("x", "cat").arrow("cat", "r")
    d.arrow("cat", "z").arrow("x", "n", bend=0.25)
    d.note(
        7.0,
        -0.2,
        "$h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}$,   "
        "$n_t = \\tanh(W_n x_t + b_{in} + r_t \\odot (U_n h_{t-1} + b_{hn}))$",
        fontsize=9,
    )
    return d.figure()


def draw_seq_gan(gen: RecurrentGenerator, disc: RecurrentDiscriminator, batch: int = 16) -> plt.Figure:
    """C-RNN-GAN or RCGAN (the config decides), with the shapes of one real batch through both networks.

    A condition (``cond_dim > 0``) is drawn entering both networks at every step.

    Args:
        gen, disc: generator and discriminator of one :class:`SeqModelConfig`.
        batch: B of the batch that is run.

    Returns:
        the figure.
    """
    cfg = gen.cfg
    g = make_generator(0)
    z = gen.noise(batch, g)  # (B, T, Z)
    c = torch.eye(cfg.cond_dim)[torch.randint(cfg.cond_dim, (batch,), generator=g)] if cfg.cond_dim else None
    with torch.no_grad():
        fake = gen(z, c)  # (B, T, D)
        logits = disc(fake, c)  # (B, T)
    cell, bi = cfg.cell.upper(), "bidirectional " if cfg.bidirectional_d else ""
    name = "RCGAN" if cfg.per_step_loss else "C-RNN-GAN"
    d = Diagram(14.0, 7.4, f"{name}: {'conditional, ' if c is not None else ''}shapes of one real batch")
    d.box("z", 1.5, 5.6, "noise $z_{1:T}$, per step\n" + shape(z, "B,T,Z"), "data", w=2.7)
    d.box("G", 4.9, 5.6, f"generator\n{cell}, H={cfg.hidden}\n+ linear + sigmoid", "net", w=2.4, h=1.2)
    d.box("fake", 8.4, 5.6, "fake $\\hat x_{1:T}$\n" + shape(fake, "B,T,D"), "data", w=2.4)
    d.box("real", 4.9, 1.0, "real $x_{1:T}$\n" + shape(fake, "B,T,D"), "data", w=2.4)
    d.box("D", 8.4, 1.0, f"discriminator\n{bi}{cell}\n+ linear", "net", w=2.6, h=1.2)
    d.box("logit", 12.0, 1.0, "logit per step\n" + shape(logits, "B,T"), "data", w=2.4)
    d.arrow("z", "G").arrow("G", "fake").arrow("fake", "D").arrow("real", "D").arrow("D", "logit")
    if cfg.per_step_loss:
        d.box("loss", 12.0, 3.6, "$L_D$, $L_G$: cross-entropy\nof every step, averaged", "loss", w=3.0, h=1.0)
        d.arrow("logit", "loss")
    else:
        d.box("mean", 12.0, 3.0, "mean\nover t", "op", w=1.0)
        d.box("loss", 12.0, 5.4, "$L_D$, $L_G$: cross-entropy\nof the sequence's logit", "loss", w=3.0, h=1.0)
        d.arrow("logit", "mean").arrow("mean", "loss", shape(logits.mean(1), "B"), offset=(0.6, 0.0))
    if c is not None:
        d.box("c", 1.5, 3.3, "condition $c$\n" + shape(c, "B,C"), "data", w=2.4)
        d.arrow("c", "G", f"repeated: (B, T, C={cfg.cond_dim})", offset=(-1.5, -0.1))
        d.arrow("c", "D", "at every step", label_at=0.6, offset=(0.4, 0.2))
    return d.figure()


def draw_timegan(model: TimeGAN, batch: int = 16) -> plt.Figure:
    """TimeGAN's five networks and three losses, with the shapes of one real batch.

    Args:
        model: a :class:`TimeGAN` (any training state).
        batch: B of the batch that is run (real data: zeros; noise: the model's).

    Returns:
        the figure.
    """
    cfg, m = model.cfg, model
    x, z = torch.zeros(batch, cfg.seq_len, cfg.dim), m.noise(batch, make_generator(0))
    with torch.no_grad():
        h, e_hat = m.embedder(x), m.generator(z)  # (B, T, H) each
        h_hat, logit = m.supervisor(e_hat), m.discriminator(h)  # (B, T, H), (B, T, 1)
    d = Diagram(15.8, 9.0, f"TimeGAN: five GRU networks (H={cfg.hidden}), shapes of one real batch")
    d.box("x", 1.45, 7.8, "real $x$\n" + shape(x, "B,T,D"), "data", w=2.5)
    d.box("e", 4.4, 7.8, "embedder $e$", "net")
    d.box("h", 7.3, 7.8, "latent $h$\n" + shape(h, "B,T,H"), "data", w=2.4)
    d.box("r", 10.3, 7.8, "recovery $r$", "net")
    d.box("LR", 13.9, 7.8, "$L_R$: $\\|x - r(h)\\|^2$\nreconstruction", "loss", w=2.6, h=1.0)
    d.box("s", 7.3, 5.0, "supervisor $s$", "net")
    d.box("LS", 3.6, 5.0, "$L_S$: $\\|h_{t+1} - s(h)_t\\|^2$\nsupervised", "loss", w=3.0, h=1.0)
    d.box("z", 1.45, 1.6, "noise $z$, uniform\n" + shape(z, "B,T,Z"), "data", w=2.6)
    d.box("g", 4.4, 1.6, "generator $g$", "net")
    d.box("ehat", 7.3, 1.6, "$\\hat e$\n" + shape(e_hat, "B,T,H"), "data", w=2.4)
    d.box("hhat", 9.6, 3.6, "$\\hat h = s(\\hat e)$\n" + shape(h_hat, "B,T,H"), "data", w=2.4)
    d.box("d", 11.3, 1.6, "discriminator $d$", "net", w=2.4)
    d.box(
        "LU",
        14.25,
        1.6,
        "$L_U$: cross-entropy\nof per-step logits\n" + shape(logit.squeeze(-1), "B,T"),
        "loss",
        w=2.6,
        h=1.3,
    )
    d.arrow("x", "e").arrow("e", "h").arrow("h", "r").arrow("r", "LR").arrow("h", "s").arrow("s", "LS")
    d.arrow("z", "g").arrow("g", "ehat").arrow("ehat", "s").arrow("s", "hhat").arrow("ehat", "d")
    d.arrow("hhat", "d").arrow("d", "LU").arrow("h", "d", "real", bend=-0.3, label_at=0.45, offset=(0.9, 0.0))
    d.note(
        7.9,
        0.35,
        "a sample is $r(s(g(z)))$;  the moment loss $L_V$ matches mean and std of $r(\\hat h)$ and $x$",
    )
    return d.figure()

"""WaveNet: an autoregressive convolutional model of raw audio, with exact fast generation.

Chapter: chapters/wavenet/

In the order of the chapter: the factorisation p(x) = prod_t p(x_t | x_<t) computed in parallel
by a stack of **causal dilated convolutions** with **gated** units, **residual and skip** paths and
a **256-way softmax over µ-law codes** {cite}`vandenoord2016wavenet`; its receptive field, checked
by a gradient probe, against the popular constant-dilation stack; :func:`generate`, naive or cached
{cite}`paine2016fast` (the two differ only in how they compute the next logits, so they draw the
same samples); **global** and **local** conditioning (a vocoder, with the Griffin-Lim reference
{cite}`griffin1984signal`); the non-causal **denoising WaveNet** {cite}`rethage2018denoising`; one
training loop behind :func:`train_wavenet` and :func:`train_denoiser`; the committed checkpoints.

Shapes: ``B`` batch, ``T`` time (samples), ``R`` residual channels, ``D`` gate channels,
``S`` skip channels, ``Q`` = 256 µ-law classes, ``F`` frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import nnls
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from course_lib import audio, checkpoints
from course_lib.diagrams import COLOURS, Diagram, shape
from course_lib.utils import History, make_generator

#: µ-law code of a zero amplitude with 256 classes: the "silence" that pads contexts.
SILENCE_CODE = 128
N_FFT, HOP = 256, 80  # mel features: 32 ms frames every 10 ms


# ---- The model ----
@dataclass
class StackConfig:
    """The dilated residual stack: the config of :class:`DenoisingWaveNet`, base of :class:`WaveNetConfig`.

    Attributes:
        residual_channels: R, width of the residual stream.
        gate_channels: D, channels of each half (filter, gate) of the gated unit.
        skip_channels: S, width of the skip stream and of the output head.
        kernel_size: taps of each dilated convolution (2 in the paper; odd for the centred denoiser).
        layers_per_stack: L; dilations 1, 2, ..., 2^(L-1) in each stack.
        n_stacks: how many times the dilation pattern is repeated.
    """

    residual_channels: int = 32  # R
    gate_channels: int = 32  # D
    skip_channels: int = 128  # S
    kernel_size: int = 2  # k
    layers_per_stack: int = 10  # L
    n_stacks: int = 2  # receptive field (k - 1) n_stacks (2^L - 1) + 1

    @property
    def dilations(self) -> list[int]:
        """Dilation of every layer: [1, 2, ..., 2^(L-1)] repeated ``n_stacks`` times."""
        return [2**i for i in range(self.layers_per_stack)] * self.n_stacks

    @property
    def receptive_field(self) -> int:
        """RF = (k - 1) * sum(dilations) + 1 samples (the current input included)."""
        return (self.kernel_size - 1) * sum(self.dilations) + 1


@dataclass
class WaveNetConfig(StackConfig):
    """Hyper-parameters of :class:`WaveNet`: the fields of :class:`StackConfig` and these.

    Attributes:
        n_classes: quantisation levels of the µ-law output (256 = 8 bits).
        n_global: number of global labels (e.g. 10 digits); 0 disables global conditioning.
        n_local: channels of the local features (e.g. 40 mel bands); 0 disables it.
        local_hop: samples per local-feature frame (80 = 10 ms at 8 kHz).
        cond_channels: width of the embedded global / local features.
    """

    n_classes: int = 256
    n_global: int = 0
    n_local: int = 0
    local_hop: int = HOP
    cond_channels: int = 32


class ResidualBlock(nn.Module):
    """One WaveNet layer: dilated conv -> gate -> 1x1 conv -> (residual, skip).

        a = W * h  (dilated, causal: output t sees h[t - (k-1)d], ..., h[t])  (+ conditioning)
        z = tanh(a_f) ⊙ σ(a_g)                      (gated activation unit, eq. 2 of the paper)
        h' = h + W_res z,   s = W_skip z              (1x1 convolutions)

    Args:
        residual_channels, gate_channels, skip_channels: R, D, S.
        kernel_size, dilation: of the dilated convolution.
        causal: pad on the left only (WaveNet); ``False`` pads both sides (denoising variant).
    """

    def __init__(
        self,
        residual_channels: int,
        gate_channels: int,
        skip_channels: int,
        kernel_size: int,
        dilation: int,
        causal: bool = True,
    ):
        super().__init__()
        self.dilation, self.kernel_size, self.causal = dilation, kernel_size, causal
        self.residual_channels, self.gate_channels = residual_channels, gate_channels
        self.conv = nn.Conv1d(residual_channels, 2 * gate_channels, kernel_size, dilation=dilation)
        self.out = nn.Conv1d(gate_channels, residual_channels + skip_channels, 1)  # res and skip 1x1

    def forward(self, h: torch.Tensor, cond: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """h: (B, R, T); cond: (B, 2D, T) or (B, 2D, 1) or None. Returns (h', skip (B, S, T))."""
        pad = (self.kernel_size - 1) * self.dilation
        hp = F.pad(h, (pad, 0) if self.causal else (pad // 2, pad - pad // 2))  # (B, R, T + pad)
        a = self.conv(hp)  # (B, 2D, T)
        if cond is not None:
            a = a + cond
        z = torch.tanh(a[:, : self.gate_channels]) * torch.sigmoid(a[:, self.gate_channels :])  # (B, D, T)
        rs = self.out(z)  # (B, R + S, T)
        return h + rs[:, : self.residual_channels], rs[:, self.residual_channels :]


def _layers(cfg: StackConfig, causal: bool) -> nn.ModuleList:
    """One :class:`ResidualBlock` per dilation of ``cfg``, after checking the sizes."""
    for name in ("residual_channels", "gate_channels", "skip_channels", "layers_per_stack", "n_stacks"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(cfg, name)}")
    if cfg.kernel_size < 2:
        raise ValueError(f"kernel_size must be >= 2 (a 1-tap conv sees no past), got {cfg.kernel_size}")
    R, D, S, k = cfg.residual_channels, cfg.gate_channels, cfg.skip_channels, cfg.kernel_size
    return nn.ModuleList(ResidualBlock(R, D, S, k, d, causal) for d in cfg.dilations)


def _head(skip_channels: int, out_channels: int) -> nn.Sequential:
    """ReLU -> 1x1 -> ReLU -> 1x1 on the summed skips."""
    S = skip_channels
    return nn.Sequential(nn.ReLU(), nn.Conv1d(S, S, 1), nn.ReLU(), nn.Conv1d(S, out_channels, 1))


def _run_stack(model: nn.Module, h: torch.Tensor, conds=None) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """h: (B, R, T) through ``model.layers``, skips summed into ``model.head``; also each layer's input."""
    skip, inputs = 0.0, []
    for i, layer in enumerate(model.layers):
        inputs.append(h)
        h, s = layer(h, None if conds is None else conds[i])
        skip = skip + s  # sum of skip connections, (B, S, T)
    return model.head(skip), inputs


class WaveNet(nn.Module):
    """WaveNet over µ-law codes with optional global and local conditioning.

    ``logits[:, :, t]`` is the distribution of sample ``t + 1`` given samples ``0..t``
    (teacher forcing: feed ``codes[:, :-1]``, score against ``codes[:, 1:]``).

    Args:
        cfg: a :class:`WaveNetConfig`.
    """

    def __init__(self, cfg: WaveNetConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.n_classes, cfg.residual_channels)  # = a 1x1 conv on one-hot codes
        self.layers = _layers(cfg, causal=True)
        all_gates = len(self.layers) * 2 * cfg.gate_channels
        if cfg.n_global:
            self.global_embed = nn.Embedding(cfg.n_global, cfg.cond_channels)
            self.global_proj = nn.Conv1d(cfg.cond_channels, all_gates, 1)  # V_k h for every layer
        if cfg.n_local:
            # a small non-causal conv over frames (the whole mel is known), then per-layer 1x1
            self.local_net = nn.Conv1d(cfg.n_local, cfg.cond_channels, 3, padding=1)
            self.local_proj = nn.Conv1d(cfg.cond_channels, all_gates, 1)
        self.head = _head(cfg.skip_channels, cfg.n_classes)

    def _check_conditioning(self, g: torch.Tensor | None, c: torch.Tensor | None, batch: int) -> None:
        cfg = self.cfg
        for name, field, n, x in (("g", "n_global", cfg.n_global, g), ("c", "n_local", cfg.n_local, c)):
            if n and x is None:
                raise ValueError(f"the model is conditioned ({field}={n}): pass {name} (shapes: see forward)")
            if not n and x is not None:
                raise ValueError(f"{name} was given but the model has {field}=0; build it with {field} > 0")
        if g is not None and (g.dim() != 1 or g.shape[0] != batch or torch.is_floating_point(g)):
            raise ValueError(f"g must be integer labels of shape ({batch},), got {tuple(g.shape)} {g.dtype}")
        if g is not None and (g.min() < 0 or g.max() >= cfg.n_global):
            raise ValueError(f"g labels must lie in [0, {cfg.n_global - 1}], got [{g.min()}, {g.max()}]")
        if c is not None and (c.dim() != 3 or c.shape[0] != batch or c.shape[1] != cfg.n_local):
            raise ValueError(f"c must have shape ({batch}, {cfg.n_local}, frames), got {tuple(c.shape)}")

    def conditioning(
        self, g: torch.Tensor | None, c: torch.Tensor | None, target_index: torch.Tensor
    ) -> list[torch.Tensor] | None:
        """Per-layer terms added inside each gate: one (B, 2D, N) or (B, 2D, 1) tensor per layer.

        ``g``: (B,) labels or None; ``c``: (B, n_local, F) features or None; ``target_index``: (N,),
        the sample predicted at each position. Sample n uses the nearest frame centre, round(n / hop);
        indices < 0 (context padding) get no local term. None without conditioning.
        """
        if g is None and c is None:
            return None
        total = 0.0
        if g is not None:
            total = self.global_proj(self.global_embed(g)[:, :, None])  # (B, n_layers * 2D, 1)
        if c is not None:
            hop = self.cfg.local_hop
            e = torch.tanh(self.local_net(c))  # (B, Cc, F)
            frame = torch.div(target_index + hop // 2, hop, rounding_mode="floor").clamp(0, c.shape[-1] - 1)
            up = e[:, :, frame] * (target_index >= 0).to(e.dtype)  # (B, Cc, N) nearest-frame upsampling
            total = total + self.local_proj(up)  # (B, n_layers * 2D, N)
        return list(total.chunk(len(self.layers), dim=1))

    def forward_embedded(self, h: torch.Tensor, conds: Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """Logits (B, Q, T) of embedded inputs h (B, R, T), with per-layer conditioning terms."""
        return _run_stack(self, h, conds)[0]

    def forward(
        self, x: torch.Tensor, g: torch.Tensor | None = None, c: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Teacher-forced logits (B, Q, T) of codes x (B, T): column t scores sample t + 1.

        ``g``: (B,) labels and ``c``: (B, n_local, F) features (frame f centred on sample f * hop) if
        the model is conditioned. ``ValueError`` names the fix for a wrong shape, dtype or code.
        """
        if x.dim() != 2 or torch.is_floating_point(x):
            raise ValueError(
                f"expected integer codes of shape (batch, time), got {tuple(x.shape)} {x.dtype}; "
                "encode audio with course_lib.audio.mu_law_encode"
            )
        if x.numel() and (x.min() < 0 or x.max() >= self.cfg.n_classes):
            raise ValueError(f"codes must lie in [0, {self.cfg.n_classes - 1}], got [{x.min()}, {x.max()}]")
        self._check_conditioning(g, c, x.shape[0])
        conds = self.conditioning(g, c, torch.arange(1, x.shape[1] + 1, device=x.device))
        return self.forward_embedded(self.embed(x).transpose(1, 2), conds)


class PlainConvStack(nn.Module):
    """The popular write-ups' "WaveNet": a receptive field 1 + n_layers (k - 1) dilation, linear in depth.

    Same dilation everywhere, ReLU, no gates, no residual or skip paths, no softmax.

    Args:
        n_layers: number of convolutions.
        channels: their width.
        kernel_size, dilation: of every convolution.
    """

    def __init__(self, n_layers: int, channels: int = 16, kernel_size: int = 2, dilation: int = 2):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.convs = nn.ModuleList(
            nn.Conv1d(1 if i == 0 else channels, channels, kernel_size, dilation=dilation)
            for i in range(n_layers)
        )
        self.out = nn.Conv1d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Causal stack: x (B, 1, T) -> (B, 1, T)."""
        for conv in self.convs:
            x = torch.relu(conv(F.pad(x, (self.pad, 0))))
        return self.out(x)


def input_gradient_support(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, t: int
) -> torch.Tensor:
    """Which input positions output ``t`` depends on, by a gradient probe.

    The time indices where d(sum over channels of fn(x)[..., t]) / dx is not zero.

    Args:
        fn: maps a float input (B, C, T) to an output (B, C', T).
        x: float input (B, C, T); random values make accidental zeros unlikely.
        t: output time index.

    Returns:
        sorted 1-D long tensor of input time indices.
    """
    if not 0 <= t < x.shape[-1]:
        raise ValueError(f"t must lie in [0, {x.shape[-1] - 1}], got {t}")
    x = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(fn(x)[..., t].sum(), x)
    return torch.nonzero(grad.abs().sum(dim=tuple(range(grad.dim() - 1))) > 0).flatten()


# ---- Generation: one sampling loop, three ways to compute the next logits ----
def _sample(logits: torch.Tensor, u: torch.Tensor, temperature: float) -> torch.Tensor:
    """Inverse-CDF sampling of (B,) codes from softmax(logits (B, Q) / temperature) with uniforms
    u (B,), so that two generators that see nearly equal logits draw the same codes; 0 = arg-max."""
    if temperature == 0:
        return logits.argmax(-1)
    cdf = torch.softmax(logits.double() / temperature, dim=-1).cumsum(-1)  # (B, Q)
    idx = torch.searchsorted(cdf, (u.double() * cdf[:, -1])[:, None]).squeeze(1)
    return idx.clamp(max=logits.shape[-1] - 1)


def _sample_np(logits: np.ndarray, u: float, temperature: float) -> int:
    """:func:`_sample` of one sequence in NumPy (the fast path): logits (Q,), the same float64 CDF."""
    if temperature == 0:
        return int(logits.argmax())
    scaled = logits.astype(np.float64) / temperature
    cdf = np.cumsum(np.exp(scaled - scaled.max()))  # unnormalised: compared with u * total
    return min(int(np.searchsorted(cdf, u * cdf[-1])), len(cdf) - 1)


def _naive_step(
    model: WaveNet, ctx: torch.Tensor, g, c, n_samples: int
) -> Callable[[int, torch.Tensor], torch.Tensor]:
    """``step(i, previous codes (B,)) -> logits (B, Q) of sample i``, re-running the whole stack on
    the last RF codes: O(RF x layers) work per sample."""
    rf, L = model.cfg.receptive_field, ctx.shape[1]
    seq = torch.cat([ctx, ctx.new_zeros(ctx.shape[0], n_samples)], 1)

    def step(i: int, x: torch.Tensor) -> torch.Tensor:
        seq[:, L + i - 1] = x  # for i = 0, x is the last context code, already there
        conds = model.conditioning(g, c, torch.arange(i - rf + 1, i + 1, device=ctx.device))
        h = model.embed(seq[:, L + i - rf : L + i]).transpose(1, 2)  # (B, R, RF): the last RF codes
        return model.forward_embedded(h, conds)[:, :, -1]

    return step


def _primed(model: WaveNet, ctx: torch.Tensor, g, c, n_samples: int) -> tuple:
    """What both cached steps start from {cite}`paine2016fast`: layer i at time t needs its inputs at
    t - (k-1) d_i, ..., t - d_i, computed at earlier steps, and at t.

    Returns:
        hist: (M, n_layers, B, R) ring buffer, hist[p % M, i] = input of layer i at position p, filled
            by one parallel pass over the context but its last code; M = (k - 1) max(d) + 1.
        T: position of the first step's input (the context's last code).
        terms: (F, n_layers, B, 2D) what each gate adds to its taps: bias and conditioning, for frame
            f = round(i / hop) of new sample i (F = 1 without local features); gate half scaled by 1/2.
    """
    dev, B, cfg = ctx.device, ctx.shape[0], model.cfg
    D, M = cfg.gate_channels, (cfg.kernel_size - 1) * max(cfg.dilations) + 1
    prime = ctx[:, :-1][:, -(cfg.receptive_field + M) :]
    T = prime.shape[1]
    conds = model.conditioning(g, c, torch.arange(-T, 0, device=dev))  # targets < 0: the context
    _, inputs = _run_stack(model, model.embed(prime).transpose(1, 2), conds)
    hist = torch.zeros(M, len(inputs), B, cfg.residual_channels, device=dev)
    pos = torch.arange(T - (M - 1), T, device=dev)
    hist[pos % M] = torch.stack([h[:, :, -(M - 1) :] for h in inputs], 0).permute(3, 0, 1, 2)
    hop, terms = cfg.local_hop, torch.stack([layer.conv.bias for layer in model.layers])[None, :, None]
    frames = torch.arange((n_samples - 1 + hop // 2) // hop + 1 if c is not None else 1, device=dev) * hop
    cond = model.conditioning(g, c, frames)  # per layer (B, 2D, F), or None
    if cond is not None:
        terms = terms + torch.stack(cond).permute(3, 0, 1, 2)  # (F, n_layers, B, 2D)
    half = torch.cat([torch.ones(D), torch.full((D,), 0.5)]).to(dev)  # filter half, gate half
    return hist, T, (terms * half).expand(-1, -1, B, -1).contiguous()


def _cached_step(
    model: WaveNet, ctx: torch.Tensor, g, c, n_samples: int
) -> Callable[[int, torch.Tensor], torch.Tensor]:
    """The same ``step`` with per-layer queues {cite}`paine2016fast` (:func:`_primed`). For a short
    Python loop: buffers, weights and views are made once; sigmoid(a) = (1 + tanh(a / 2)) / 2, so with
    the gate half of the weights halved one ``tanh_`` serves both halves and z = tanh(a_f)(1 + tanh(a_g
    / 2)) / 2 is one ``addcmul`` (the 1/2 goes into the output weights); biases ride on a constant-one
    column appended to z."""
    dev, B, cfg = ctx.device, ctx.shape[0], model.cfg
    k, D, R, dil = cfg.kernel_size, cfg.gate_channels, cfg.residual_channels, cfg.dilations
    hist, T_ctx, terms = _primed(model, ctx, g, c, n_samples)
    n_layers, M, hop = len(model.layers), hist.shape[0], cfg.local_hop
    # weights rearranged for single-step products, gate halves scaled by 1/2
    half = torch.cat([torch.ones(D), torch.full((D,), 0.5)]).to(dev)  # filter half, gate half
    w_past, w_cur, w_res, w_skip = [], [], [], []
    for layer in model.layers:
        w = layer.conv.weight * half[:, None, None]  # (2D, R, k); tap j multiplies h[t - (k-1-j) d]
        w_past.append([w[:, :, j].t().contiguous() for j in range(k - 1)])  # (R, 2D) per past tap
        w_cur.append(w[:, :, k - 1].t().contiguous())  # (R, 2D)
        wo = torch.cat([0.5 * layer.out.weight[:, :, 0].t(), layer.out.bias[None]], 0)  # (D + 1, R + S)
        w_res.append(wo[:, :R].contiguous())
        w_skip.append(wo[:, R:])
    w_skip = torch.cat(w_skip, 0)  # (n_layers (D + 1), S)
    head, emb = model.head, model.embed.weight  # emb: (Q, R)
    w1, b1, w2, b2 = head[1].weight[:, :, 0].t(), head[1].bias, head[3].weight[:, :, 0].t(), head[3].bias
    # buffers and their per-layer views
    H = torch.zeros(n_layers + 1, B, R, device=dev)  # H[i] = input of layer i at the current step
    A = torch.zeros(n_layers, B, 2 * D, device=dev)  # pre-activations
    Z = torch.ones(B, n_layers, D + 1, device=dev)  # gated outputs + a constant-one column
    Zflat = Z.view(B, n_layers * (D + 1))
    # per layer: pre-activation, past taps (ring buffer, offset (k-1-j) d, weight), input, weights, output
    layers = [
        (A[i], [(hist[:, i], (k - 1 - j) * d, w_past[i][j]) for j in range(k - 1)], H[i], w_cur[i])
        + (A[i, :, :D], A[i, :, D:], Z[:, i, :D], Z[:, i, :], w_res[i], H[i + 1])
        for i, d in enumerate(dil)
    ]

    def step(i: int, x: torch.Tensor) -> torch.Tensor:
        p = T_ctx + i  # position of the current input
        torch.index_select(emb, 0, x, out=H[0])
        A.copy_(terms[(i + hop // 2) // hop if c is not None else 0])  # biases, conditioning
        for a, taps, h, wc, af, ag, z, za, wr, h_next in layers:
            for q, off, wp in taps:
                a.addmm_(q[(p - off) % M], wp)  # past tap: input of this layer at p - off
            a.addmm_(h, wc)  # current tap
            a.tanh_()
            torch.addcmul(af, af, ag, out=z)  # 2 z = tanh(a_f) (1 + tanh(a_g / 2))
            torch.addmm(h, za, wr, out=h_next)  # residual: h + W_res z + b_res
        hist[p % M] = H[:n_layers]
        y = torch.addmm(b1, (Zflat @ w_skip).relu_(), w1).relu_()  # skips summed over layers, (B, S)
        return torch.addmm(b2, y, w2)  # (B, Q)

    return step


def _fast_step(model: WaveNet, ctx: torch.Tensor, g, c, n_samples: int) -> Callable[[int, int], np.ndarray]:
    """``step(i, previous code) -> logits (Q,)`` of :func:`_cached_step` for one sequence on the CPU:
    the same queues in NumPy (a call on 16-64 numbers costs ~0.3-0.6 µs there, a few in PyTorch),
    three calls per layer. Layer i works on one row of numbers [1, h_i, tanh(a_f), tanh(a_g / 2), u, P]:

    - past taps: layer i's input at t - d_i was known d_i steps ago, so every layer's past-tap product
      is one batched matmul at the start of the step, P (n_layers, 2D), plus biases and conditioning;
    - gate: with sigmoid(a) = (1 + tanh(a / 2)) / 2, one tanh of a (gate half of the weights halved)
      and u = tanh(a_f) tanh(a_g / 2) give 2 z = tanh(a_f) + u, linear in the row;
    - one matmul of the row with a fused matrix gives layer i + 1's [h, a]: the residual
      h_{i+1} = h_i + W_res z + b_res and a_{i+1} = P_{i+1} + W_cur h_{i+1} (W_res W_cur multiplied out).

    The skips of all layers are one product with the flattened rows. The logits equal the other
    paths' up to float32 rounding (~1e-6), hence the same codes (tested over 1,200 samples).
    """
    cfg, n_layers = model.cfg, len(model.layers)
    k, D, R, S = cfg.kernel_size, cfg.gate_channels, cfg.residual_channels, cfg.skip_channels
    W, hop = 1 + R + 5 * D, cfg.local_hop  # row: 1, h (R), tanh(a_f) (D), tanh(a_g / 2) (D), u (D), P (2D)
    H, A, HA = slice(1, 1 + R), slice(1 + R, 1 + R + 2 * D), slice(1, 1 + R + 2 * D)
    TF, TG = slice(1 + R, 1 + R + D), slice(1 + R + D, 1 + R + 2 * D)
    U, PS = slice(W - 3 * D, W - 2 * D), slice(W - 2 * D, W)
    hist, T, terms = _primed(model, ctx, g, c, n_samples)

    def f32(t: torch.Tensor) -> np.ndarray:
        return t.detach().cpu().numpy().astype(np.float32)

    hist, terms = f32(hist[:, :, 0]), f32(terms[:, :, :1])  # (M, n_layers, R), (F, n_layers, 1, 2D)
    I_R, I_2D = torch.eye(R, dtype=torch.float64), torch.eye(2 * D, dtype=torch.float64)
    half = torch.cat([torch.ones(D), torch.full((D,), 0.5)]).double()  # filter half, gate half
    # tap j of w_in[i] (k, R, 2D) multiplies h_i[t - (k-1-j) d_i]
    w_in = [(layer.conv.weight.double() * half[:, None, None]).permute(2, 1, 0) for layer in model.layers]
    fused, w_skip = [], []
    for i, layer in enumerate(model.layers):
        wo = torch.zeros(W, R + S, dtype=torch.float64)  # row -> [h_{i+1}, skip_i]
        wo[0], wo[H, :R] = layer.out.bias, I_R  # biases; the residual path
        wo[TF] = wo[U] = 0.5 * layer.out.weight[:, :, 0].t().double()  # W (tanh(a_f) + u) / 2 = W z
        w_cur = w_in[i + 1][-1] if i + 1 < n_layers else torch.zeros_like(w_in[i][-1])  # last: unused
        f = wo[:, :R] @ torch.cat([I_R, w_cur], 1)  # (W, R + 2D): [h_{i+1}, W_cur h_{i+1}] ...
        f[PS, R:] += I_2D  # ... + [0, P_{i+1}]
        fused.append(f32(f))
        w_skip.append(wo[:, R:])
    w_past = f32(torch.stack([w[:-1].reshape((k - 1) * R, 2 * D) for w in w_in]))  # (n_layers, (k-1) R, 2D)
    w_skip = f32(torch.cat(w_skip))  # (n_layers W, S)
    table = f32(model.embed.weight.double() @ torch.cat([I_R, w_in[0][-1]], 1))  # (Q, R + 2D): h_0, W_cur h_0
    l1, l2 = model.head[1], model.head[3]
    w1, b1, w2, b2 = (f32(t) for t in (l1.weight[:, :, 0].t(), l1.bias, l2.weight[:, :, 0].t(), l2.bias))
    offsets = np.array([[(k - 1 - j) * d for j in range(k - 1)] for d in cfg.dilations])  # (n_layers, k - 1)
    rows = np.zeros((n_layers + 1, W), np.float32)  # the last row only receives the unused h_L
    rows[:, 0] = 1
    P = np.empty((n_layers, 1, 2 * D), np.float32)
    layers = [
        (rows[i, A], rows[i, TF], rows[i, TG], rows[i, U], rows[i], fused[i], rows[i + 1, HA])
        for i in range(n_layers)
    ]

    def step(i: int, x: int) -> np.ndarray:
        p = T + i  # position of the current input
        past = hist[(p - offsets) % len(hist), np.arange(n_layers)[:, None]]  # (n_layers, k-1, R)
        np.matmul(past.reshape(n_layers, 1, -1), w_past, out=P)  # every layer's past taps at once
        np.add(P, terms[(i + hop // 2) // hop if c is not None else 0], out=P)  # biases, conditioning
        rows[: n_layers - 1, PS] = P[1:, 0]  # P_{i+1} beside layer i
        rows[0, HA] = table[x]  # h_0 = embedding, W_cur h_0 ...
        rows[0, A] += P[0, 0]  # ... + P_0
        for a, tf, tg, u, row, f, nxt in layers:
            np.tanh(a, out=a)
            np.multiply(tf, tg, out=u)
            np.dot(row, f, out=nxt)  # [h_{i+1}, a_{i+1}]
        hist[p % len(hist)] = rows[:n_layers, H]
        y = np.maximum(rows[:n_layers].reshape(-1) @ w_skip, 0)  # ReLU(sum of skips), (S,)
        return np.maximum(y @ w1 + b1, 0) @ w2 + b2  # (Q,)

    return step


@torch.no_grad()
def generate(
    model: WaveNet,
    n_samples: int,
    *,
    cached: bool = True,
    g: torch.Tensor | None = None,
    c: torch.Tensor | None = None,
    prompt: torch.Tensor | None = None,
    temperature: float = 1.0,
    seed: int | torch.Generator = 0,
    return_logits: bool = False,
    fast: bool | None = None,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Sample codes one at a time, each from the logits given all codes before it.

    Before the first: 2 RF samples of silence, then the prompt. Naive generation re-runs the stack on
    the last RF codes; cached generation keeps per-layer queues {cite}`paine2016fast`, in PyTorch
    or, for one sequence on the CPU, in NumPy (:func:`_fast_step`): same codes.

    Args:
        model: a :class:`WaveNet`.
        n_samples: how many new samples to draw.
        cached: cached (True) or naive (False) computation of each step's logits.
        g: (B,) global labels.
        c: (B, n_local, F) features of the samples to generate (frame f centred on new sample f * hop).
        prompt: (B, T0) codes to continue.
        temperature: softmax temperature (0 = arg-max).
        seed: int or generator of the uniforms (the global RNG is not used).
        return_logits: also return the logits.
        fast: the NumPy path: None (default) whenever it applies (cached, batch 1, CPU), True to
            insist (``ValueError`` where it does not apply), False for the PyTorch queues.

    Returns:
        (B, n_samples) int64 codes, and the (B, n_samples, Q) logits if asked.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    model.eval()
    dev = next(model.parameters()).device
    B = next((t.shape[0] for t in (g, c, prompt) if t is not None), 1)  # the batch: 1 unless given
    model._check_conditioning(g, c, B)
    ctx = torch.full((B, 2 * model.cfg.receptive_field), SILENCE_CODE, dtype=torch.long, device=dev)
    if prompt is not None:
        if prompt.dim() != 2 or prompt.shape[0] != B or torch.is_floating_point(prompt):
            raise ValueError(f"prompt must be integer codes of shape ({B}, T0), got {tuple(prompt.shape)}")
        ctx = torch.cat([ctx, prompt.to(dev)], dim=1)
    can_fast = cached and B == 1 and dev.type == "cpu"
    if fast and not can_fast:
        raise ValueError(f"fast=True needs cached=True, batch 1 and the CPU; got {cached}, {B}, {dev}")
    fast = can_fast if fast is None else fast
    step = (_fast_step if fast else _cached_step if cached else _naive_step)(model, ctx, g, c, n_samples)
    u = torch.rand(n_samples, B, generator=make_generator(seed)).to(dev)  # = one torch.rand(B) per step
    codes = torch.empty(B, n_samples, dtype=torch.long, device=dev)
    all_logits = torch.empty(B, n_samples, model.cfg.n_classes, device=dev) if return_logits else None
    x, out, lg, sample = ctx[:, -1], codes, all_logits, _sample
    if fast:  # the same loop on NumPy views of the same memory
        x, out, sample, u = int(x), codes.numpy(), _sample_np, u[:, 0].double().numpy()
        lg = all_logits.numpy() if return_logits else None
    for i in range(n_samples):
        logits = step(i, x)  # (B, Q), or (Q,) on the fast path
        x = out[:, i] = sample(logits, u[i], temperature)
        if return_logits:
            lg[:, i] = logits
    return (codes, all_logits) if return_logits else codes


# ---- Data, the one training loop, and likelihoods ----
@dataclass
class Utterances:
    """What a :class:`WaveNet` trains on and is scored on: one entry per utterance.

    Attributes:
        codes: (T_i,) int64 µ-law codes per utterance.
        labels: global label per utterance (e.g. the digit), or None.
        feats: (n_local, F_i) local features per utterance (frame f centred on sample f * hop), or None.
    """

    codes: list[torch.Tensor]
    labels: list[int] | None = None
    feats: list[torch.Tensor] | None = None

    @classmethod
    def encode(
        cls, waves: list[torch.Tensor], labels: list[int] | None = None, mel: bool = False
    ) -> Utterances:
        """µ-law codes of (T_i,) waveforms, with their labels and, if ``mel``, their :func:`mel_features`."""
        feats = [mel_features(w) for w in waves] if mel else None
        return cls([audio.mu_law_encode(w) for w in waves], None if labels is None else list(labels), feats)

    def _for(self, model: WaveNet) -> Utterances:
        """The parts the model is conditioned on, after checking that they are there."""
        cfg = model.cfg
        if cfg.n_global and self.labels is None:
            raise ValueError("a globally conditioned model needs labels: Utterances.encode(waves, labels)")
        if cfg.n_local and self.feats is None:
            raise ValueError("a vocoder needs mel features: Utterances.encode(waves, mel=True)")
        labels, feats = self.labels if cfg.n_global else None, self.feats if cfg.n_local else None
        return Utterances(self.codes, labels, feats)


def _crops(
    data: Utterances, index: Sequence[int], segment: int, gen: torch.Generator, hop: int, lead: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Random crops of ``segment + 1`` codes (B, segment + 1), padded with silence when shorter, the
    mask (B, segment) of real targets, and the matching local features (B, n_local, F') or None.

    With features, crops start on a frame boundary, so frame f of a crop is centred on its sample
    f * hop. With ``lead > 0`` (no features) a crop may start up to ``lead`` samples *before* the
    utterance: silence, as in the history generation starts from, so the model learns how an
    utterance begins.
    """
    if lead < 0 or (lead and data.feats is not None):
        raise ValueError(f"lead must be >= 0 and is only for models without local features, got {lead}")
    B, n_frames = len(index), segment // hop + 2
    x = torch.full((B, segment + 1), SILENCE_CODE, dtype=torch.long)
    mask = torch.zeros(B, segment, dtype=torch.bool)
    fb = None if data.feats is None else torch.zeros(B, data.feats[0].shape[0], n_frames)
    for b, i in enumerate(index):
        n, lo = len(data.codes[i]), -(lead // hop)
        hi = (n - segment - 1) // hop if n > segment + 1 else 0
        start = int(torch.randint(lo, hi + 1, (1,), generator=gen)) * hop if n > segment + 1 or lo < 0 else 0
        off = max(-start, 0)  # silence before the utterance's first sample
        piece = data.codes[i][max(start, 0) : max(start + segment + 1, 0)]
        x[b, off : off + len(piece)] = piece
        mask[b, max(off - 1, 0) : off + len(piece) - 1] = True  # after silence, the first sample too
        if fb is not None:
            fp = data.feats[i][:, start // hop : start // hop + n_frames]
            fb[b, :, : fp.shape[1]] = fp
    return x, mask, fb


@dataclass
class WaveNetTrainConfig:
    """Training settings of :func:`train_wavenet` and :func:`train_denoiser`.

    Attributes:
        steps: Adam steps (gradient-norm clipping at 1).
        batch_size: crops per step.
        segment: samples per crop.
        lr: initial learning rate.
        lr_decay: cosine decay to lr / 20 over ``steps`` (``False``: constant lr).
        seed: seeds the batches (and the denoiser's noise).
        lead: WaveNet: crops may start with up to this many samples of silence before an utterance.
        snr_db: denoiser: the training SNR is drawn uniformly in this range.
        eval_every: call ``evaluate`` every this many steps (0: never).
        evaluate: ``evaluate(model, step) -> {name: value}``, recorded with ``History.add_metric``.
    """

    steps: int = 1000
    batch_size: int = 8
    segment: int = 4000
    lr: float = 2e-3
    lr_decay: bool = True
    seed: int = 0
    lead: int = 0
    snr_db: tuple[float, float] = (0.0, 10.0)
    eval_every: int = 0
    evaluate: Callable[[nn.Module, int], dict] | None = None


def _train(
    model: nn.Module, config: WaveNetTrainConfig, batch_loss: Callable, name: str, unit: float
) -> History:
    """The one loop: Adam, clipping, cosine decay on ``batch_loss(gen, device)``; logs loss * unit."""
    dev, gen, history = next(model.parameters()).device, make_generator(config.seed), History()
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    eta_min = config.lr / 20 if config.lr_decay else config.lr
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(config.steps, 1), eta_min=eta_min)
    model.train()
    with history.timed():
        for step in range(1, config.steps + 1):
            loss = batch_loss(gen, dev)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            history.add(**{name: loss.item() * unit})
            if config.evaluate is not None and config.eval_every and step % config.eval_every == 0:
                history.add_metric(step, **config.evaluate(model, step))
                model.train()
    model.eval()
    return history


def train_wavenet(model: WaveNet, data: Utterances, config: WaveNetTrainConfig) -> History:
    """Teacher-forced maximum likelihood: minimise the cross-entropy of the next µ-law code.

    Loss: - mean_t log softmax(logits[:, :, t])[x_{t+1}] in nats; logged in bits per sample.

    Args:
        model: a :class:`WaveNet` (on any device).
        data: the training :class:`Utterances` (labels / features as the model needs).
        config: steps, batch size, crop length, learning rate, seed, ``lead``.

    Returns:
        the :class:`~course_lib.utils.History`, loss ``"nll_bits"`` per step.
    """
    data, cfg = data._for(model), model.cfg

    def batch_loss(gen: torch.Generator, dev: torch.device) -> torch.Tensor:
        idx = torch.randint(0, len(data.codes), (config.batch_size,), generator=gen).tolist()
        x, mask, fb = _crops(data, idx, config.segment, gen, cfg.local_hop, config.lead)
        x, mask = x.to(dev), mask.to(dev)
        g = torch.tensor([data.labels[i] for i in idx], device=dev) if cfg.n_global else None
        logits = model(x[:, :-1], g=g, c=None if fb is None else fb.to(dev))  # (B, Q, T)
        ce = F.cross_entropy(logits, x[:, 1:], reduction="none")  # (B, T) nats
        return (ce * mask).sum() / mask.sum().clamp(min=1)

    return _train(model, config, batch_loss, "nll_bits", 1 / math.log(2))


@torch.no_grad()
def _utterance_bits(
    model: WaveNet, data: Utterances, batch_size: int = 16
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed NLL in bits (N,) of every utterance but its first sample, and its target count (N,)."""
    model.eval()
    data, dev = data._for(model), next(model.parameters()).device
    bits, counts = torch.zeros(len(data.codes), dtype=torch.float64), torch.zeros(len(data.codes))
    order = sorted(range(len(data.codes)), key=lambda i: len(data.codes[i]))
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        x = pad_sequence([data.codes[i] for i in idx], batch_first=True, padding_value=SILENCE_CODE).to(dev)
        n_targets = torch.tensor([len(data.codes[i]) - 1 for i in idx], device=dev)
        mask = torch.arange(x.shape[1] - 1, device=dev) < n_targets[:, None]  # (B, T - 1)
        g = None if data.labels is None else torch.tensor([data.labels[i] for i in idx], device=dev)
        c = None if data.feats is None else pad_sequence([data.feats[i].T for i in idx], batch_first=True)
        logits = model(x[:, :-1], g=g, c=None if c is None else c.transpose(1, 2).to(dev))
        ce = (F.cross_entropy(logits, x[:, 1:], reduction="none") * mask).sum(1)  # (B,) nats
        bits[idx], counts[idx] = ce.double().cpu() / math.log(2), n_targets.float().cpu()
    return bits, counts


@torch.no_grad()
def nll_bits(model: WaveNet, data: Utterances, *, batch_size: int = 16) -> float:
    """Test negative log-likelihood in bits per sample of every sample but the first of each utterance.

    Utterances are batched with right padding, which a causal model never sees.

    Args:
        model: a :class:`WaveNet`.
        data: the test :class:`Utterances` (labels / features as the model needs).
        batch_size: utterances per forward pass.

    Returns:
        bits per sample.
    """
    bits, counts = _utterance_bits(model, data, batch_size)
    return (bits.sum() / counts.sum()).item()


# ---- Local conditioning features and the Griffin-Lim reference ----
def mel_features(wave: torch.Tensor, sample_rate: int = audio.SAMPLE_RATE) -> torch.Tensor:
    """Log-mel features for local conditioning, 40 bands: (log_mel_dB + 40) / 40, roughly in [-1, 1].

    Args:
        wave: (T,) or (B, T) float waveform.
        sample_rate: must be the course's rate.

    Returns:
        (40, F) or (B, 40, F); frame f is centred on sample f * 80 (centred STFT, n_fft = 256),
        the convention of :meth:`WaveNet.conditioning` with ``local_hop = 80``.
    """
    wave = audio.check_wave(wave, sample_rate)
    return (audio.log_mel(wave, sample_rate, n_fft=N_FFT, hop_length=HOP, n_mels=40) + 40.0) / 40.0


def griffin_lim_from_mel(
    feats: torch.Tensor, length: int, *, seed: int | torch.Generator = 0, iterations: int = 32
) -> torch.Tensor:
    """Classical re-synthesis from :func:`mel_features`: the reference for a vocoder.

    Mel power -> linear power by non-negative least squares on the mel filter bank, then (by
    default 32) iterations of Griffin-Lim phase retrieval {cite}`griffin1984signal`: keep the magnitude, take
    the phase of the STFT of the inverse STFT.

    Args:
        feats: (n_mels, F) features from :func:`mel_features`.
        length: samples to return (F = 1 + length // 80).
        seed: int or generator of the initial random phase.
        iterations: of Griffin-Lim (0: the least-squares magnitude with its random phase).

    Returns:
        (length,) float32 waveform.
    """
    if feats.dim() != 2:
        raise ValueError(f"feats must be (n_mels, frames), got {tuple(feats.shape)}; call it per utterance")
    fb = audio.mel_filterbank(audio.SAMPLE_RATE, N_FFT, feats.shape[0]).double().numpy()  # (n_mels, 129)
    mel_power = 10.0 ** ((feats.double().numpy() * 40.0 - 40.0) / 10.0)  # (n_mels, F)
    mag = torch.from_numpy(np.sqrt(np.stack([nnls(fb, m)[0] for m in mel_power.T], axis=1))).float()
    return audio.griffin_lim(mag, N_FFT, HOP, length, iterations=iterations, seed=seed)  # (129, F) -> (T,)


# ---- WaveNet on noisy data: the non-causal denoising WaveNet ----
def _rms(x: torch.Tensor) -> torch.Tensor:
    return x.pow(2).mean(dim=1, keepdim=True).sqrt().clamp(min=1e-5)  # (B, T) -> (B, 1)


class DenoisingWaveNet(nn.Module):
    """Non-causal WaveNet that maps a noisy waveform to an estimate of the clean one.

    The idea of {cite}`rethage2018denoising`: when the whole noisy recording is available, nothing
    forces causality, so every dilated convolution is centred (it sees the past *and* the future),
    and the output is a real-valued sample predicted in one parallel pass (no softmax, no
    sampling), trained with an L1 loss. The input is divided by its RMS and the output multiplied
    back, so the network works at a fixed level whatever the recording's loudness.

    Args:
        cfg: a :class:`StackConfig` with an odd kernel size.
    """

    def __init__(self, cfg: StackConfig):
        if cfg.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd for a centred convolution, got {cfg.kernel_size}")
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Conv1d(1, cfg.residual_channels, 1)
        self.layers = _layers(cfg, causal=False)
        self.head = _head(cfg.skip_channels, 1)

    def forward(self, noisy: torch.Tensor, sample_rate: int = audio.SAMPLE_RATE) -> torch.Tensor:
        """Clean estimate, same shape and scale as ``noisy``: (T,) or (B, T) float audio at 8 kHz."""
        x = audio.check_wave(noisy, sample_rate, name="noisy")
        xb = x.reshape(-1, x.shape[-1]).to(next(self.parameters()).device)  # (B, T)
        scale = _rms(xb)
        return (self.net((xb / scale)[:, None])[:, 0] * scale).reshape(x.shape)

    def net(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional stack alone, (B, 1, T) -> (B, 1, T), without level normalisation."""
        return _run_stack(self, self.inp(x))[0]


def _noisy_batch(waves: list, n: int, segment: int, gen: torch.Generator, snr_db: tuple) -> tuple:
    """Clean random crops (n, segment) and their mixtures with white noise at an SNR drawn per crop."""
    clean = audio.random_crops(list(waves), n, segment, gen)
    noise = audio.make_noise("white", segment, batch=n, seed=gen)
    snr = snr_db[0] + (snr_db[1] - snr_db[0]) * torch.rand(n, 1, generator=gen)  # (n, 1) dB
    return clean, audio.add_noise(clean, noise, snr)


def train_denoiser(model: DenoisingWaveNet, data: list[torch.Tensor], config: WaveNetTrainConfig) -> History:
    """L1 regression of the clean waveform from the noisy one: mean |f(noisy) - clean| / RMS(noisy).

    Random crops are mixed with white noise only (the chapter tests other kinds too).

    Args:
        model: a :class:`DenoisingWaveNet`.
        data: (T_i,) clean training waveforms.
        config: steps, batch size, crop length, learning rate, seed, ``snr_db``.

    Returns:
        the :class:`~course_lib.utils.History`, loss ``"l1"`` per step.
    """

    def batch_loss(gen: torch.Generator, dev: torch.device) -> torch.Tensor:
        clean, noisy = _noisy_batch(data, config.batch_size, config.segment, gen, config.snr_db)
        clean, noisy = clean.to(dev), noisy.to(dev)
        return ((model(noisy) - clean).abs() / _rms(noisy)).mean()

    return _train(model, config, batch_loss, "l1", 1.0)


# ---- Without autoregression: a convolutional vocoder, and a learned model of a digit's mel ----
@dataclass
class ConvVocoderConfig:
    """Hyper-parameters of :class:`ConvVocoder`.

    Attributes:
        n_mels: bands of the input :func:`mel_features`.
        channels: width after the input convolution; every upsampling stage halves it.
        upsample: factors whose product is the hop (5 x 4 x 4 = 80 samples per frame).
        dilations: of the residual convolutions (kernel 3) after each upsampling.
    """

    n_mels: int = 40
    channels: int = 128
    upsample: tuple[int, ...] = (5, 4, 4)
    dilations: tuple[int, ...] = (1, 3, 9)


class ConvVocoder(nn.Module):
    """Mel frames to a waveform in one parallel pass: the shape of MelGAN's generator {cite}`kumar2019melgan`.

    conv(7) -> per factor r: [LeakyReLU -> transposed conv (x r, C -> C/2) -> residual units]
    -> conv(7) -> tanh, each residual unit h + W_1x1 lrelu(W_3,d * lrelu(h)) with dilation d.
    No sampling: the output is a deterministic function of the frames, trained by
    :func:`train_conv_vocoder` to match the spectrum of the recording.

    Args:
        cfg: a :class:`ConvVocoderConfig`.
    """

    def __init__(self, cfg: ConvVocoderConfig):
        super().__init__()
        if math.prod(cfg.upsample) != HOP or cfg.channels >> len(cfg.upsample) < 1:
            raise ValueError(
                f"upsample factors must multiply to {HOP} and channels must allow "
                f"{len(cfg.upsample)} halvings, got {cfg.upsample}, {cfg.channels}"
            )
        self.cfg, C = cfg, cfg.channels
        self.inp = nn.Conv1d(cfg.n_mels, C, 7, padding=3)
        self.ups, self.units = nn.ModuleList(), nn.ModuleList()
        for r in cfg.upsample:
            self.ups.append(nn.ConvTranspose1d(C, C // 2, 2 * r, stride=r))
            C //= 2
            self.units.append(
                nn.ModuleList(
                    nn.Sequential(
                        nn.LeakyReLU(0.2),
                        nn.Conv1d(C, C, 3, dilation=d, padding=d),
                        nn.LeakyReLU(0.2),
                        nn.Conv1d(C, C, 1),
                    )
                    for d in cfg.dilations
                )
            )
        self.out = nn.Conv1d(C, 1, 7, padding=3)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        """c: (B, n_mels, F) :func:`mel_features` -> (B, F * 80) waveform in [-1, 1].

        Frame f is centred on sample f * 80, as in the features; crop the output to the recording's length.
        """
        if c.dim() != 3 or c.shape[1] != self.cfg.n_mels:
            raise ValueError(f"c must have shape (batch, {self.cfg.n_mels}, frames), got {tuple(c.shape)}")
        h = self.inp(c)  # (B, C, F)
        for up, r, units in zip(self.ups, self.cfg.upsample, self.units, strict=True):
            n = h.shape[-1] * r
            h = up(F.leaky_relu(h, 0.2))[..., r : r + n]  # (B, C/2, n): input i centred on output i r
            for unit in units:
                h = h + unit(h)
        return torch.tanh(self.out(F.leaky_relu(h, 0.2)))[:, 0]


def multi_resolution_stft_loss(
    est: torch.Tensor, ref: torch.Tensor, resolutions: Sequence[int] = (128, 256, 512), eps: float = 1e-5
) -> torch.Tensor:
    """Parallel WaveGAN's spectral loss {cite}`yamamoto2020parallel`, averaged over STFT sizes N.

    With hop N / 4:

        L = mean_N [ || |Y| - |X| ||_F / || |Y| ||_F  +  mean | log |Y| - log |X| | ]

    (spectral convergence + log-magnitude L1), X = STFT(est), Y = STFT(ref), magnitudes floored at eps.

    Args:
        est, ref: (B, T) estimate and reference waveforms.
        resolutions: FFT sizes N.
        eps: magnitude floor.

    Returns:
        scalar tensor.
    """
    if est.shape != ref.shape or est.dim() != 2:
        raise ValueError(
            f"expected two (batch, time) tensors of one shape, got {tuple(est.shape)}, {tuple(ref.shape)}"
        )
    total = est.new_zeros(())
    for n in resolutions:
        X, Y = (audio.stft(s, n, n // 4).abs().clamp(min=eps) for s in (est, ref))  # (B, N/2 + 1, frames)
        sc = torch.linalg.norm(Y - X, dim=(-2, -1)) / torch.linalg.norm(Y, dim=(-2, -1)).clamp(min=eps)
        total = total + sc.mean() + (Y.log() - X.log()).abs().mean()
    return total / len(resolutions)


def train_conv_vocoder(model: ConvVocoder, waves: list[torch.Tensor], config: WaveNetTrainConfig) -> History:
    """Regress random crops of recordings from their own :func:`mel_features` (no adversary).

    The loss is :func:`multi_resolution_stft_loss`; the loop is that of :func:`train_wavenet`.

    Args:
        model: a :class:`ConvVocoder`.
        waves: (T_i,) training waveforms.
        config: steps, batch size, crop length (``segment``), learning rate, seed.

    Returns:
        the :class:`~course_lib.utils.History`, loss ``"mr_stft"`` per step.
    """

    def batch_loss(gen: torch.Generator, dev: torch.device) -> torch.Tensor:
        clean = audio.random_crops(list(waves), config.batch_size, config.segment, gen).to(dev)  # (B, T)
        return multi_resolution_stft_loss(model(mel_features(clean))[:, : config.segment], clean)

    return _train(model, config, batch_loss, "mr_stft", 1.0)


class WaveDiscriminator(nn.Module):
    """MelGAN's multi-scale discriminator, narrowed {cite}`kumar2019melgan`.

    Strided, grouped convolutions judge the waveform at full rate and averaged down by 2, 4, ...

    Args:
        channels: width of the first convolution (x4, x8 further in).
        scales: how many rates are judged.
    """

    def __init__(self, channels: int = 16, scales: int = 2):
        super().__init__()
        C = channels
        self.blocks = nn.ModuleList(
            nn.ModuleList(
                [
                    nn.Conv1d(1, C, 15, padding=7),
                    nn.Conv1d(C, 4 * C, 41, stride=4, padding=20, groups=4),
                    nn.Conv1d(4 * C, 8 * C, 41, stride=4, padding=20, groups=16),
                    nn.Conv1d(8 * C, 8 * C, 5, padding=2),
                    nn.Conv1d(8 * C, 1, 3, padding=1),  # the score map
                ]
            )
            for _ in range(scales)
        )

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        """x: (B, T) -> per scale, every layer's output (B, C_l, T_l); the last is the score map."""
        out = []
        for i, block in enumerate(self.blocks):
            h, feats = (F.avg_pool1d(x[:, None], 2**i) if i else x[:, None]), []
            for j, conv in enumerate(block):
                h = conv(h)
                h = F.leaky_relu(h, 0.2) if j < len(block) - 1 else h
                feats.append(h)
            out.append(feats)
        return out


def train_vocoder_gan(
    model: ConvVocoder,
    disc: WaveDiscriminator,
    waves: list[torch.Tensor],
    config: WaveNetTrainConfig,
    adv_weight: float = 4.0,
) -> History:
    """Parallel WaveGAN's objective {cite}`yamamoto2020parallel`, with least-squares GAN losses.

        D:  mean (D(x) - 1)^2 + mean D(G(c))^2             (summed over scales)
        G:  multi_resolution_stft_loss(G(c), x) + adv_weight * mean (D(G(c)) - 1)^2

    One discriminator step, then one generator step, on the same batch; Adam (0.5, 0.9) for both,
    constant learning rate, gradient clipping at 1. Logs ``"mr_stft"``, ``"g_adv"`` and ``"d"``.

    Args:
        model: a :class:`ConvVocoder` (e.g. trained first by :func:`train_conv_vocoder`).
        disc: a :class:`WaveDiscriminator`.
        waves: (T_i,) training waveforms.
        config: steps, batch size, crop length, learning rate, seed, evaluation.
        adv_weight: weight of the adversarial term.

    Returns:
        the :class:`~course_lib.utils.History`.
    """
    dev, gen, history = next(model.parameters()).device, make_generator(config.seed), History()
    opt_g = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=config.lr, betas=(0.5, 0.9))
    model.train(), disc.train()
    with history.timed():
        for step in range(1, config.steps + 1):
            clean = audio.random_crops(list(waves), config.batch_size, config.segment, gen).to(dev)  # (B, T)
            fake = model(mel_features(clean))[:, : config.segment]
            d_loss = sum(
                ((r[-1] - 1) ** 2).mean() + f[-1].pow(2).mean()
                for r, f in zip(disc(clean), disc(fake.detach()), strict=True)
            )
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            torch.nn.utils.clip_grad_norm_(disc.parameters(), 1.0)
            opt_d.step()
            stft_loss = multi_resolution_stft_loss(fake, clean)
            adv = sum(((f[-1] - 1) ** 2).mean() for f in disc(fake))
            opt_g.zero_grad(set_to_none=True)
            (stft_loss + adv_weight * adv).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt_g.step()
            history.add(mr_stft=stft_loss.item(), g_adv=adv.item(), d=d_loss.item())
            if config.evaluate is not None and config.eval_every and step % config.eval_every == 0:
                history.add_metric(step, **config.evaluate(model, step))
                model.train()
    model.eval(), disc.eval()
    return history


@dataclass
class DigitMelConfig:
    """Hyper-parameters of :class:`DigitMels`.

    Attributes:
        n_mels: bands of :func:`mel_features`.
        frames: K, length of the time-normalised trajectories.
        n_components: principal components kept per digit.
        pad_frames: frames of background either side of a sample (10 ms each).
        trim_db: frames more than this below the loudest band-frame are trimmed off as silence.
        max_durations: training durations stored per digit.
    """

    n_mels: int = 40
    frames: int = 48
    n_components: int = 8
    pad_frames: int = 10
    trim_db: float = 40.0
    max_durations: int = 400


class DigitMels(nn.Module):
    """A learned model of what a spoken digit's log-mel looks like: stage one of label -> mel -> vocoder.

    Per digit d, fitted on training recordings by :meth:`fit`: the durations of its trimmed
    recordings (frames), and a Gaussian over its trajectories time-normalised to K frames,
    m ~ N(mu_d, V_d diag(s_d^2) V_d^T), from the principal components V_d of the training trajectories
    (probabilistic PCA without its isotropic term). :meth:`sample` draws a duration and a trajectory,
    stretches it to the duration and pads it with the background spectrum.

    Args:
        cfg: a :class:`DigitMelConfig`.
    """

    def __init__(self, cfg: DigitMelConfig):
        super().__init__()
        self.cfg, M, K, P = cfg, cfg.n_mels, cfg.frames, cfg.n_components
        self.register_buffer("mean", torch.zeros(10, M, K))  # mu_d
        self.register_buffer("components", torch.zeros(10, P, M * K))  # V_d^T, orthonormal rows
        self.register_buffer("scales", torch.zeros(10, P))  # s_d, standard deviations along V_d
        self.register_buffer("durations", torch.zeros(10, cfg.max_durations, dtype=torch.long))  # 0: unused
        self.register_buffer("background", torch.zeros(M))  # mean trimmed-off frame

    @classmethod
    def fit(
        cls, waves: Sequence[torch.Tensor], digits: Sequence[int], cfg: DigitMelConfig | None = None
    ) -> DigitMels:
        """Fit every digit's durations and trajectory Gaussian on (T_i,) recordings and their digits."""
        model = cls(cfg or DigitMelConfig())
        cfg, trajs, lengths, edges = model.cfg, {d: [] for d in range(10)}, {d: [] for d in range(10)}, []
        for w, d in zip(waves, digits, strict=True):
            m = mel_features(w)  # (M, F)
            loud = torch.nonzero(m.amax(0) > m.max() - cfg.trim_db / 40).flatten()  # features: 40 dB = 1
            a, b = int(loud[0]), int(loud[-1]) + 1
            edges.append(torch.cat([m[:, :a], m[:, b:]], 1))
            trajs[d].append(F.interpolate(m[None, :, a:b], cfg.frames, mode="linear", align_corners=True)[0])
            lengths[d].append(b - a)
        missing = [d for d in range(10) if len(trajs[d]) <= cfg.n_components]
        if missing:
            raise ValueError(
                f"digits {missing} have <= {cfg.n_components} recordings; pass more or lower n_components"
            )
        for d in range(10):
            x = torch.stack(trajs[d]).flatten(1).double()  # (N_d, M K)
            mu = x.mean(0)
            _, s, vt = torch.linalg.svd(x - mu, full_matrices=False)
            model.mean[d] = mu.view(cfg.n_mels, cfg.frames).float()
            model.components[d] = vt[: cfg.n_components].float()
            model.scales[d] = (s[: cfg.n_components] / math.sqrt(len(x) - 1)).float()
            n = min(len(lengths[d]), cfg.max_durations)
            model.durations[d, :n] = torch.tensor(lengths[d][:n])
        model.background.copy_(torch.cat(edges, 1).mean(1))
        return model

    def sample(
        self,
        digits: Sequence[int],
        *,
        seed: int | torch.Generator = 0,
        temperature: float = 1.0,
        part: str = "sample",
    ) -> list[torch.Tensor]:
        """Draw one mel (n_mels, F_i) per requested digit; F_i = a training duration + 2 pad_frames.

        Args:
            digits: the digits to say.
            seed: int or generator of the durations and the component weights.
            temperature: multiplies the component weights (0: the mean trajectory mu_d).
            part: ``"sample"`` (the whole model), ``"envelope"`` (the sample's loudness per frame and its
                duration, on the spectral shape averaged over all digits: what an amplitude envelope says).

        Returns:
            a list of (n_mels, F_i) features for :class:`ConvVocoder` or a WaveNet vocoder.
        """
        if part not in ("sample", "envelope"):
            raise ValueError(f"part must be 'sample' or 'envelope', got {part!r}")
        gen, cfg, out = make_generator(seed), self.cfg, []
        level = self.mean.mean(1, keepdim=True)  # (10, 1, K): each frame's mean over bands
        shape = (self.mean - level).mean((0, 2))[:, None]  # (M, 1): the spectral shape of all digits
        for d in digits:
            pool = self.durations[d][self.durations[d] > 0]
            n = int(pool[torch.randint(len(pool), (1,), generator=gen)])
            z = torch.randn(cfg.n_components, generator=gen) * temperature * self.scales[d]  # (P,)
            m = self.mean[d] + (z @ self.components[d]).view(cfg.n_mels, cfg.frames)  # (M, K)
            m = F.interpolate(m[None], n, mode="linear", align_corners=True)[0]  # (M, n)
            if part == "envelope":
                m = m.mean(0, keepdim=True) + shape
            pad = self.background[:, None].expand(-1, cfg.pad_frames)
            out.append(torch.cat([pad, m, pad], 1))
        return out


def pretrained_wavenet(name: str, device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """One of the chapter's checkpoints (``benchmarks/wavenet_train.py``), hash-checked, ``weights_only``.

    Args:
        name: ``"wavenet_digits"``, ``"wavenet_vocoder"``, ``"wavenet_vocoder_long"``,
            ``"wavenet_conv_vocoder"``, ``"wavenet_digit_mels"`` or ``"wavenet_denoiser"``.
        device: where to put the model.

    Returns:
        (a :class:`WaveNet`, :class:`ConvVocoder`, :class:`DigitMels` or :class:`DenoisingWaveNet` in eval
        mode, its ``meta``: steps, command...).

    Raises:
        KeyError: not a WaveNet checkpoint. FileNotFoundError, ValueError: missing or corrupt file.
    """
    known = sorted(k for k in checkpoints.REGISTRY if k.startswith("wavenet_"))
    if name not in known:
        raise KeyError(f"no WaveNet checkpoint {name!r}; available: {known}")
    blob = checkpoints.load(name, map_location=device)
    cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in blob["config"].items()}
    kinds = {
        "n_classes": (WaveNet, WaveNetConfig),
        "upsample": (ConvVocoder, ConvVocoderConfig),
        "n_components": (DigitMels, DigitMelConfig),
    }  # a field only that model's config has
    cls, config_cls = next((v for k, v in kinds.items() if k in cfg), (DenoisingWaveNet, StackConfig))
    model = cls(config_cls(**cfg))
    model.load_state_dict(blob["state_dict"])
    return model.to(device).eval(), blob["meta"]


# ---- The output distribution, per-label likelihoods, and the chapter's architecture diagrams ----
def tempered_entropy_bits(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Entropy in bits of softmax(logits / temperature): what a sampler at that temperature draws from.

        p_tau(i) = p(i)^(1/tau) / sum_j p(j)^(1/tau),   H = - sum_i p_tau(i) log2 p_tau(i)

    Args:
        logits: (..., Q) logits.
        temperature: tau >= 0; 0 is the arg-max, a point mass of entropy 0.

    Returns:
        (...) entropies in bits.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.new_zeros(logits.shape[:-1])
    logp = torch.log_softmax(logits.double() / temperature, dim=-1)  # (..., Q)
    return -(logp.exp() * logp).sum(-1).float() / math.log(2)


def discretized_logistic_mixture(
    logit_pi: torch.Tensor, mu: torch.Tensor, log_s: torch.Tensor, n_classes: int = 256
) -> torch.Tensor:
    """Probabilities of the Q bins of [-1, 1] under a discretised mixture of K logistics.

    The output layer of PixelCNN++ and Parallel WaveNet {cite}`salimans2017pixelcnnpp`. Bin i has
    centre v_i = 2 i / (Q - 1) - 1 and half-width delta = 1 / (Q - 1); with the logistic CDF sigma,

        P(i) = sum_k pi_k [sigma((v_i + delta - mu_k) / s_k) - sigma((v_i - delta - mu_k) / s_k)],

    where the first bin's lower edge is -inf and the last bin's upper edge +inf, so the sum over
    bins telescopes to sum_k pi_k = 1. It costs 3 K numbers per sample, against Q - 1 for a softmax.

    Args:
        logit_pi: (..., K) mixture logits.
        mu: (..., K) locations in [-1, 1] (the companded amplitude).
        log_s: (..., K) log scales.
        n_classes: Q, the number of bins.

    Returns:
        (..., Q) probabilities, summing to 1 over the last axis.
    """
    if not logit_pi.shape == mu.shape == log_s.shape:
        raise ValueError(f"expected three (..., K) tensors, got {logit_pi.shape}, {mu.shape}, {log_s.shape}")
    edges = torch.linspace(-1, 1, n_classes, dtype=mu.dtype, device=mu.device) + 1 / (n_classes - 1)  # (Q,)
    cdf = torch.sigmoid((edges[:-1] - mu[..., None]) / log_s.exp()[..., None])  # (..., K, Q - 1) upper edges
    cdf = F.pad(cdf, (1, 0), value=0.0)
    cdf = F.pad(cdf, (0, 1), value=1.0)  # (..., K, Q + 1): -inf and +inf close the end bins
    return (torch.softmax(logit_pi, -1)[..., None] * cdf.diff(dim=-1)).sum(-2)  # (..., Q)


def fit_logistic_mixture(
    p: torch.Tensor, n_components: int, *, steps: int = 300, lr: float = 0.05, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Approximate categorical distributions by discretised logistic mixtures: min KL(p || P) with Adam.

    Args:
        p: (N, Q) target probabilities (e.g. a trained WaveNet's softmax at N time steps).
        n_components: K, components per mixture.
        steps: Adam steps.
        lr: learning rate.
        seed: of the random start.

    Returns:
        P: (N, Q) the fitted :func:`discretized_logistic_mixture`, and the KL(p || P) in bits, (N,).
    """
    if p.dim() != 2:
        raise ValueError(f"expected (N, Q) probabilities, got shape {tuple(p.shape)}")
    gen, p = make_generator(seed), p.double()
    shape = (p.shape[0], n_components)
    params = [0.3 * torch.randn(shape, generator=gen, dtype=torch.float64) + b for b in (0.0, 0.0, -3.0)]
    for t in params:
        t.requires_grad_(True)
    opt = torch.optim.Adam(params, lr=lr)

    def kl_bits() -> tuple[torch.Tensor, torch.Tensor]:
        q = discretized_logistic_mixture(*params, n_classes=p.shape[1])  # (N, Q)
        return q, (p * (p.clamp_min(1e-300).log() - q.clamp_min(1e-300).log())).sum(-1) / math.log(2)

    with torch.enable_grad():
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            kl_bits()[1].mean().backward()
            opt.step()
    q, kl = kl_bits()
    return q.detach(), kl.detach()


def label_bits(model: WaveNet, codes: Sequence[torch.Tensor], batch_size: int = 16) -> torch.Tensor:
    """NLL in bits of each whole utterance under every global label: -log2 p(x | g).

    With a uniform prior over the G labels, Bayes' rule turns these into the model's own posterior
    p(g | x) = 2^(-bits_g) / sum_h 2^(-bits_h): a globally conditioned WaveNet is also a classifier.

    Args:
        model: a :class:`WaveNet` with ``n_global`` = G > 0.
        codes: N utterances of (T_i,) µ-law codes.
        batch_size: utterances per forward pass.

    Returns:
        (N, G) float64 bits.
    """
    if not model.cfg.n_global:
        raise ValueError("label_bits needs a globally conditioned model (n_global > 0)")
    cols = [
        _utterance_bits(model, Utterances(list(codes), [g] * len(codes)), batch_size)[0]
        for g in range(model.cfg.n_global)
    ]
    return torch.stack(cols, 1)  # (N, G)


def _shapes_of_one_pass(
    model: WaveNet, x: torch.Tensor, g: torch.Tensor | None, c: torch.Tensor | None
) -> dict[str, torch.Tensor]:
    """The tensors of one teacher-forced pass, caught by forward hooks: the shapes a diagram shows."""
    seen, hooks = {}, []

    def keep(name: str, arg: str = "out"):
        def hook(module, inputs, output):
            seen[name] = inputs[0] if arg == "in" else output[0] if isinstance(output, tuple) else output

        return hook

    first = model.layers[0]
    spots = [
        (model.embed, "embed", "out"),
        (first.conv, "conv", "out"),
        (first.out, "z", "in"),
        (first.out, "res_skip", "out"),
        (first, "h_next", "out"),
        (model.head, "skips", "in"),
        (model.head, "logits", "out"),
    ]
    if model.cfg.n_global:
        spots += [(model.global_embed, "e_g", "out"), (model.global_proj, "global_all", "out")]
    if model.cfg.n_local:
        spots += [
            (model.local_net, "local_frames", "out"),
            (model.local_proj, "local_up", "in"),
            (model.local_proj, "local_all", "out"),
        ]
    hooks = [m.register_forward_hook(keep(name, arg)) for m, name, arg in spots]
    try:
        with torch.no_grad():
            model(x, g=g, c=c)
    finally:
        for h in hooks:
            h.remove()
    seen["x"], seen["h"] = x, seen["embed"].transpose(1, 2)
    return seen


def draw_residual_block(
    model: WaveNet, x: torch.Tensor, g: torch.Tensor | None = None, c: torch.Tensor | None = None
) -> plt.Figure:
    """The WaveNet of ``model`` with layer 1 opened up, labelled with the shapes of one real pass.

    Codes -> embedding -> [dilated causal conv (+ conditioning) -> tanh, sigma -> product -> 1x1 ->
    residual and skip] x n_layers; skips summed -> ReLU, 1x1, ReLU, 1x1 -> logits.

    Args:
        model: a :class:`WaveNet`.
        x: (B, T) codes to run through it (e.g. one real utterance).
        g: (B,) labels, if the model is globally conditioned.
        c: (B, n_local, F) features, if it is locally conditioned (see :meth:`WaveNet.forward`).

    Returns:
        the figure.
    """
    t = _shapes_of_one_pass(model, x, g, c)
    cfg, n = model.cfg, len(model.layers)
    half = t["conv"][:, : cfg.gate_channels]
    d = Diagram(
        13, 12.4, f"One WaveNet layer of {n} (dilation d = 1, 2, ..., {max(cfg.dilations)}), real shapes"
    )
    d.box("x", 2, 0.8, "µ-law codes x\n" + shape(x, "B,T"), "data", w=2.6)
    d.box("emb", 2, 2.2, f"embedding\n{cfg.n_classes} → R", "net")
    d.box("h", 2, 3.7, "layer input h\n" + shape(t["h"], "B,R,T"), "data", w=2.9)
    d.box("conv", 6.5, 3.7, f"dilated causal conv\nk = {cfg.kernel_size}, dilation d_ℓ", "net", w=2.6)
    d.box("tanh", 5.2, 6.3, "tanh", "op", w=1.0, h=1.0)
    d.box("sig", 7.8, 6.3, "σ", "op", w=1.0, h=1.0)
    d.box("prod", 6.5, 7.9, "⊙", "op", w=0.8, h=0.8)
    d.box("out", 6.5, 9.5, "1×1 conv\nD → R + S", "net", w=2.0)
    d.box("res", 2, 9.5, "+", "op", w=0.8, h=0.8)
    d.box("hn", 2, 11.1, "to layer ℓ + 1\n" + shape(t["h_next"], "B,R,T"), "data", w=2.9)
    d.box("sum", 11, 9.5, "Σ skips\nover layers", "op", w=1.5, h=1.5)
    d.box("head", 11, 7.3, "ReLU, 1×1,\nReLU, 1×1", "net", w=2.0)
    d.box("logits", 11, 5.3, "logits → softmax\n" + shape(t["logits"], "B,Q,T"), "data", w=2.9)
    d.arrow("x", "emb").arrow("emb", "h")
    d.arrow("h", "conv")
    d.arrow("h", "res", "identity (residual path)", label_at=0.45, offset=(0.05, 0))
    if g is not None or c is not None:
        cond = model.conditioning(g, c, torch.arange(1, x.shape[1] + 1))[0]  # layer 1's term
        d.box("cond", 11, 3.7, "conditioning of layer ℓ\n" + shape(cond, "B,2D,T"), "data", w=2.9)
        d.arrow("cond", "conv", "added")
    d.arrow("conv", "tanh", "filter " + shape(half, "B,D,T"), label_at=0.5, offset=(-1.3, 0.1))
    d.arrow("conv", "sig", "gate " + shape(half, "B,D,T"), label_at=0.5, offset=(1.3, 0.1))
    d.arrow("tanh", "prod").arrow("sig", "prod")
    d.arrow("prod", "out", "z " + shape(t["z"], "B,D,T"), offset=(1.5, -0.2))
    d.arrow("out", "res", "residual\n" + shape(t["h_next"], "B,R,T"), offset=(0, 0.1))
    d.arrow("res", "hn")
    skip = t["res_skip"][:, cfg.residual_channels :]
    d.arrow("out", "sum", "skip\n" + shape(skip, "B,S,T"), offset=(0, 0.1))
    d.arrow("sum", "head", shape(t["skips"], "B,S,T"), offset=(1.3, -0.1))
    d.arrow("head", "logits")
    return d.figure()


def draw_dilated_stack(cfg: StackConfig, causal: bool = True) -> plt.Figure:
    """Which inputs reach one output through the stack of ``cfg``: the receptive-field triangle.

    Args:
        cfg: a small stack (receptive field <= 64 samples, so that every sample can be drawn).
        causal: the WaveNet's left-padded convolutions, or the denoiser's centred ones.

    Returns:
        the figure; its title states the receptive field (k - 1) sum(d) + 1.
    """
    dil, k, rf = cfg.dilations, cfg.kernel_size, cfg.receptive_field
    if rf > 64:
        raise ValueError(
            f"receptive field {rf} is too wide to draw sample by sample; use a stack with RF <= 64"
        )
    taps = [(j - (k - 1)) if causal else (j - (k - 1) / 2) for j in range(k)]  # offsets in units of d
    lo = -(rf - 1) if causal else -(rf - 1) // 2
    positions = list(range(lo, lo + rf))
    fig, ax = plt.subplots(figsize=(8, 0.5 * len(dil) + 1.6))
    active = {0}
    for level in range(len(dil), 0, -1):
        below = {t + int(o * dil[level - 1]) for t in active for o in taps}
        for t in active:
            for o in taps:
                ax.plot([t, t + int(o * dil[level - 1])], [level, level - 1], color=COLOURS["data"], lw=1)
        active = below
    for level in range(len(dil) + 1):
        ax.scatter(positions, [level] * rf, s=16, color="lightgray", zorder=2)
    ax.scatter(
        sorted(active), [0] * len(active), s=26, color=COLOURS["net"], zorder=3, label="inputs that reach t"
    )
    ax.scatter([0], [len(dil)], s=40, color=COLOURS["grad"], zorder=3, label="output t")
    ax.set_yticks(range(len(dil) + 1), ["input"] + [f"layer {i + 1} (d = {d})" for i, d in enumerate(dil)])
    ax.set_xlabel("input position relative to the output t (samples)")
    kind = "causal" if causal else "centred"
    ax.set_title(f"{kind} dilated convolutions, k = {k}: RF = (k-1)·Σd + 1 = {rf} samples")
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    ax.set_ylim(-0.5, len(dil) + 1.2)
    fig.tight_layout()
    return fig


def draw_conditioning(
    model: WaveNet, x: torch.Tensor, g: torch.Tensor | None = None, c: torch.Tensor | None = None
) -> plt.Figure:
    """The conditioning paths of ``model`` into the gates, with the shapes of one real pass.

    Global: label -> embedding -> one 1x1 conv for all layers -> split per layer, constant in time.
    Local: frames -> conv over frames -> nearest-frame upsampling -> 1x1 conv -> split per layer.

    Args:
        model: a :class:`WaveNet` with ``n_global`` or ``n_local`` > 0.
        x: (B, T) codes to run through it.
        g: (B,) labels (global conditioning), or None.
        c: (B, n_local, F) frames (local conditioning), or None.

    Returns:
        the figure.
    """
    if g is None and c is None:
        raise ValueError("pass g (global labels) or c (local features) of a conditioned model")
    t = _shapes_of_one_pass(model, x, g, c)
    n, two_d = len(model.layers), 2 * model.cfg.gate_channels
    all_gates = f"B,{n}·2D,T"
    cols = []  # per path: (name, text, kind) nodes bottom-up, and the shape on each arrow
    if g is not None:
        cols.append(
            (
                [
                    ("g", "digit label g\n" + shape(g, "B"), "data"),
                    ("ge", f"embedding\n{model.cfg.n_global} → C", "net"),
                    ("gp", f"1×1 conv\nC → {n} layers × 2D", "net"),
                    ("gs", "split\nper layer", "op"),
                    ("gl", "layer ℓ adds V e_g\n" + shape(t["global_all"][:, :two_d], "B,2D,T"), "data"),
                ],
                ["", "e_g " + shape(t["e_g"], "B,C"), shape(t["global_all"], all_gates), ""],
            )
        )
    if c is not None:
        cols.append(
            (
                [
                    ("c", "log-mel frames c\n" + shape(c, "B,M,F"), "data"),
                    ("cn", "conv over frames\nk = 3, tanh", "net"),
                    ("cu", f"repeat\n×{model.cfg.local_hop}", "op"),
                    ("cp", f"1×1 conv\nC → {n} layers × 2D", "net"),
                    ("cs", "split\nper layer", "op"),
                    ("cl", "layer ℓ adds V y\n" + shape(t["local_all"][:, :two_d], "B,2D,T"), "data"),
                ],
                [
                    "",
                    shape(t["local_frames"], "B,C,F"),
                    shape(t["local_up"], "B,C,T"),
                    shape(t["local_all"], all_gates),
                    "",
                ],
            )
        )
    rows = max(len(nodes) for nodes, _ in cols)
    width, height = 7.5 * len(cols), 1.6 * rows + 2.2
    kinds = " and ".join(k for k, on in (("global", g is not None), ("local", c is not None)) if on)
    d = Diagram(width, height, f"{kinds.capitalize()} conditioning of every gate, real shapes")
    for i, (nodes, labels) in enumerate(cols):
        xc = 3.0 + 7.5 * i
        for j, (name, text, kind) in enumerate(nodes):
            size = {"w": 1.3, "h": 1.3} if kind == "op" else {"w": 3.0, "h": 1.0}
            d.box(name, xc, 0.8 + 1.6 * j, text, kind, **size)
        for (a, *_), (b, *_), label in zip(nodes[:-1], nodes[1:], labels, strict=True):
            d.arrow(a, b, label, offset=(3.2, -0.3) if label else (0, 0))
    d.box(
        "gate",
        3.0 + 3.75 * (len(cols) - 1),
        height - 0.9,
        "gate of every layer ℓ:\nz = tanh(W_f∗h + ·) ⊙ σ(W_g∗h + ·)",
        "net",
        w=4.6,
        h=1.1,
    )
    for nodes, _ in cols:
        d.arrow(nodes[-1][0], "gate")
    return d.figure()

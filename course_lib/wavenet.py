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

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import nnls
from torch import nn
from torch.nn.utils.rnn import pad_sequence

from course_lib import audio, checkpoints
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


# ---- Generation: one sampling loop, two ways to compute the next logits ----
def _sample(logits: torch.Tensor, u: torch.Tensor, temperature: float) -> torch.Tensor:
    """Inverse-CDF sampling of (B,) codes from softmax(logits (B, Q) / temperature) with uniforms
    u (B,), so that two generators that see nearly equal logits draw the same codes; 0 = arg-max."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(-1)
    cdf = torch.softmax(logits.double() / temperature, dim=-1).cumsum(-1)  # (B, Q)
    idx = torch.searchsorted(cdf, (u.double() * cdf[:, -1])[:, None]).squeeze(1)
    return idx.clamp(max=logits.shape[-1] - 1)


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


def _cached_step(
    model: WaveNet, ctx: torch.Tensor, g, c, n_samples: int
) -> Callable[[int, torch.Tensor], torch.Tensor]:
    """The same ``step`` with per-layer queues {cite}`paine2016fast`: layer i at time t needs its
    inputs at t - (k-1) d_i, ..., t - d_i, computed at earlier steps, and at t; a ring buffer keeps
    every layer's last (k - 1) max(d) inputs. For a short Python loop: buffers, weights and views are
    made once; sigmoid(a) = (1 + tanh(a / 2)) / 2, so with the gate half of the weights halved one
    ``tanh_`` serves both halves and z = tanh(a_f)(1 + tanh(a_g / 2)) / 2 is one ``addcmul`` (the 1/2
    goes into the output weights); biases ride on a constant-one column appended to z."""
    dev, B, cfg = ctx.device, ctx.shape[0], model.cfg
    k, D, R, dil = cfg.kernel_size, cfg.gate_channels, cfg.residual_channels, cfg.dilations
    n_layers, M = len(model.layers), (k - 1) * max(dil) + 1  # M covers the oldest tap of the widest layer
    # 1) prime: one parallel pass over the context but its last code (the input of step 0)
    prime = ctx[:, :-1][:, -(model.cfg.receptive_field + M) :]
    T_ctx = prime.shape[1]
    conds = model.conditioning(g, c, torch.arange(-T_ctx, 0, device=dev))  # targets < 0: the context
    _, inputs = _run_stack(model, model.embed(prime).transpose(1, 2), conds)
    hist = torch.zeros(M, n_layers, B, R, device=dev)  # hist[p % M, i] = input of layer i at position p
    pos = torch.arange(T_ctx - (M - 1), T_ctx, device=dev)
    hist[pos % M] = torch.stack([h[:, :, -(M - 1) :] for h in inputs], 0).permute(3, 0, 1, 2)
    # 2) weights rearranged for single-step products, gate halves scaled by 1/2
    half = torch.cat([torch.ones(D), torch.full((D,), 0.5)]).to(dev)  # filter half, gate half
    w_past, w_cur, bias, w_res, w_skip = [], [], [], [], []
    for layer in model.layers:
        w = layer.conv.weight * half[:, None, None]  # (2D, R, k); tap j multiplies h[t - (k-1-j) d]
        w_past.append([w[:, :, j].t().contiguous() for j in range(k - 1)])  # (R, 2D) per past tap
        w_cur.append(w[:, :, k - 1].t().contiguous())  # (R, 2D)
        bias.append(layer.conv.bias * half)
        wo = torch.cat([0.5 * layer.out.weight[:, :, 0].t(), layer.out.bias[None]], 0)  # (D + 1, R + S)
        w_res.append(wo[:, :R].contiguous())
        w_skip.append(wo[:, R:])
    w_skip = torch.cat(w_skip, 0)  # (n_layers (D + 1), S)
    base = torch.stack(bias)[:, None, :].expand(n_layers, B, 2 * D).contiguous()  # (n_layers, B, 2D)
    hop, frame_terms = cfg.local_hop, None
    if c is None and g is not None:  # global only: one constant term per layer
        terms = model.conditioning(g, None, torch.zeros(1, dtype=torch.long, device=dev))
        base = base + torch.stack([t[:, :, 0] for t in terms]) * half  # (n_layers, B, 2D)
    elif c is not None:  # local (+ global): one term per frame; new sample i uses frame round(i / hop)
        frames = torch.arange((n_samples - 1 + hop // 2) // hop + 1, device=dev) * hop
        frame_terms = torch.stack(model.conditioning(g, c, frames)).permute(3, 0, 1, 2) * half + base
    head, emb = model.head, model.embed.weight  # emb: (Q, R)
    w1, b1, w2, b2 = head[1].weight[:, :, 0].t(), head[1].bias, head[3].weight[:, :, 0].t(), head[3].bias
    # 3) buffers and their per-layer views
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
        A.copy_(base if frame_terms is None else frame_terms[(i + hop // 2) // hop])  # biases, conditioning
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
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Sample codes one at a time, each from the logits given all codes before it.

    Before the first: 2 RF samples of silence, then the prompt. Naive generation re-runs the stack on
    the last RF codes; cached generation keeps per-layer queues {cite}`paine2016fast`: same codes.

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

    Returns:
        (B, n_samples) int64 codes, and the (B, n_samples, Q) logits if asked.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    model.eval()
    dev = next(model.parameters()).device
    B = next((t.shape[0] for t in (g, c, prompt) if t is not None), 1)  # the batch: 1 unless given
    model._check_conditioning(g, c, B)
    ctx = torch.full((B, 2 * model.cfg.receptive_field), SILENCE_CODE, dtype=torch.long, device=dev)
    if prompt is not None:
        if prompt.dim() != 2 or prompt.shape[0] != B or torch.is_floating_point(prompt):
            raise ValueError(f"prompt must be integer codes of shape ({B}, T0), got {tuple(prompt.shape)}")
        ctx = torch.cat([ctx, prompt.to(dev)], dim=1)
    step = (_cached_step if cached else _naive_step)(model, ctx, g, c, n_samples)
    gen = make_generator(seed)
    codes = torch.empty(B, n_samples, dtype=torch.long, device=dev)
    all_logits = torch.empty(B, n_samples, model.cfg.n_classes, device=dev) if return_logits else None
    x = ctx[:, -1]
    for i in range(n_samples):
        logits = step(i, x)  # (B, Q)
        x = codes[:, i] = _sample(logits, torch.rand(B, generator=gen).to(dev), temperature)
        if all_logits is not None:
            all_logits[:, i] = logits
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
    model.eval()
    data, dev, total, count = data._for(model), next(model.parameters()).device, 0.0, 0
    order = sorted(range(len(data.codes)), key=lambda i: len(data.codes[i]))
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        x = pad_sequence([data.codes[i] for i in idx], batch_first=True, padding_value=SILENCE_CODE).to(dev)
        n_targets = torch.tensor([len(data.codes[i]) - 1 for i in idx], device=dev)
        mask = torch.arange(x.shape[1] - 1, device=dev) < n_targets[:, None]  # (B, T - 1)
        g = None if data.labels is None else torch.tensor([data.labels[i] for i in idx], device=dev)
        c = None if data.feats is None else pad_sequence([data.feats[i].T for i in idx], batch_first=True)
        logits = model(x[:, :-1], g=g, c=None if c is None else c.transpose(1, 2).to(dev))
        total += (F.cross_entropy(logits, x[:, 1:], reduction="none") * mask).sum().item()
        count += int(mask.sum())
    return total / count / math.log(2)


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
    feats: torch.Tensor, length: int, *, seed: int | torch.Generator = 0
) -> torch.Tensor:
    """Classical re-synthesis from :func:`mel_features`: the reference for a vocoder.

    Mel power -> linear power by non-negative least squares on the mel filter bank, then 32
    iterations of Griffin-Lim phase retrieval {cite}`griffin1984signal`: keep the magnitude, take
    the phase of the STFT of the inverse STFT.

    Args:
        feats: (n_mels, F) features from :func:`mel_features`.
        length: samples to return (F = 1 + length // 80).
        seed: int or generator of the initial random phase.

    Returns:
        (length,) float32 waveform.
    """
    if feats.dim() != 2:
        raise ValueError(f"feats must be (n_mels, frames), got {tuple(feats.shape)}; call it per utterance")
    fb = audio.mel_filterbank(audio.SAMPLE_RATE, N_FFT, feats.shape[0]).double().numpy()  # (n_mels, 129)
    mel_power = 10.0 ** ((feats.double().numpy() * 40.0 - 40.0) / 10.0)  # (n_mels, F)
    mag = torch.from_numpy(np.sqrt(np.stack([nnls(fb, m)[0] for m in mel_power.T], axis=1))).float()
    return audio.griffin_lim(mag, N_FFT, HOP, length, iterations=32, seed=seed)  # (129, F) -> (length,)


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


def pretrained_wavenet(name: str, device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """One of the chapter's checkpoints (``benchmarks/wavenet_train.py``), hash-checked, ``weights_only``.

    Args:
        name: ``"wavenet_digits"``, ``"wavenet_vocoder"`` or ``"wavenet_denoiser"``.
        device: where to put the model.

    Returns:
        (a :class:`WaveNet` or :class:`DenoisingWaveNet` in eval mode, its ``meta``: steps, command...).

    Raises:
        KeyError: not a WaveNet checkpoint. FileNotFoundError, ValueError: missing or corrupt file.
    """
    known = sorted(k for k in checkpoints.REGISTRY if k.startswith("wavenet_"))
    if name not in known:
        raise KeyError(f"no WaveNet checkpoint {name!r}; available: {known}")
    blob = checkpoints.load(name, map_location=device)
    cfg = blob["config"]  # only the autoregressive model has an output alphabet
    model = WaveNet(WaveNetConfig(**cfg)) if "n_classes" in cfg else DenoisingWaveNet(StackConfig(**cfg))
    model.load_state_dict(blob["state_dict"])
    return model.to(device).eval(), blob["meta"]

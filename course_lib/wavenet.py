"""WaveNet: an autoregressive convolutional model of raw audio, with exact fast generation.

What this module teaches, in the order of the chapter:

- the autoregressive factorisation p(x) = prod_t p(x_t | x_<t) computed in parallel by a
  stack of **causal dilated convolutions** (dilations 1, 2, ..., 2^(L-1), repeated in stacks),
  with the **gated activation** tanh(W_f * x) ⊙ σ(W_g * x), **residual and skip** paths and
  **1x1 convolutions**, ending in a **256-way softmax over µ-law codes**
  (van den Oord et al. 2016, ``vandenoord2016wavenet``);
- its receptive field, ``WaveNet.receptive_field``, checked by gradient probes
  (:func:`input_gradient_support`);
- **naive generation** (re-run the stack on the last RF samples for every new sample) and
  **cached generation** (Paine et al. 2016, ``paine2016fast``): each layer keeps a queue of its
  past inputs, so one new sample costs one matrix-vector product per layer. Both draw their
  random numbers in the same order and give identical samples for the same seed;
- **global conditioning** (an embedding of a label such as the digit or the speaker, added to
  every gate) and **local conditioning** (a frame-rate feature such as a log-mel spectrogram,
  upsampled to the sample rate), which turns WaveNet into a vocoder;
- the baselines a likelihood must beat: uniform (8 bits), unigram histogram of codes, and a
  linear-predictive (LPC) model with a discretised Laplace residual;
- the popular "constant dilation, ReLU, no gates" stack (:class:`PlainConvStack`) whose receptive
  field grows only linearly with depth.

Shapes: ``B`` batch, ``T`` time (samples), ``R`` residual channels, ``D`` gate channels,
``S`` skip channels, ``Q`` = 256 quantisation classes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course_lib.audio import log_mel, mel_filterbank, mu_law_decode, mu_law_encode
from course_lib.utils import committed_checkpoint, load_verified, sha256_file

__all__ = [
    "WaveNetConfig",
    "WaveNet",
    "ResidualBlock",
    "PlainConvStack",
    "input_gradient_support",
    "sample_from_logits",
    "generate_naive",
    "generate_cached",
    "encode_dataset",
    "make_batch",
    "train_wavenet",
    "nll_bits",
    "unigram_fit",
    "unigram_nll_bits",
    "LPCModel",
    "fit_lpc",
    "lpc_nll_bits",
    "save_checkpoint",
    "load_checkpoint",
    "SILENCE_CODE",
    "DenoiserConfig",
    "DenoisingWaveNet",
    "make_noisy_batch",
    "train_denoiser",
    "denoise",
    "mel_features",
    "griffin_lim_from_mel",
    "CHECKPOINTS",
    "load_pretrained",
    "markdown_table",
]

#: µ-law code of a zero amplitude with 256 classes: the "silence" that pads contexts.
SILENCE_CODE = 128


# ---------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------


@dataclass
class WaveNetConfig:
    """Hyper-parameters of :class:`WaveNet`.

    Attributes:
        n_classes: quantisation levels of the µ-law output (256 = 8 bits).
        residual_channels: R, width of the residual stream.
        gate_channels: D, channels of each half (filter, gate) of the gated unit.
        skip_channels: S, width of the skip stream and of the output head.
        kernel_size: taps of each dilated convolution (2 in the paper).
        layers_per_stack: L; dilations 1, 2, ..., 2^(L-1) in each stack.
        n_stacks: how many times the dilation pattern is repeated.
        n_global: number of global labels (e.g. 10 digits); 0 disables global conditioning.
        n_local: channels of the local features (e.g. 40 mel bands); 0 disables it.
        local_hop: samples per local-feature frame (80 = 10 ms at 8 kHz).
        cond_channels: width of the embedded global / local features.
    """

    n_classes: int = 256
    residual_channels: int = 32
    gate_channels: int = 32
    skip_channels: int = 128
    kernel_size: int = 2
    layers_per_stack: int = 10
    n_stacks: int = 2
    n_global: int = 0
    n_local: int = 0
    local_hop: int = 80
    cond_channels: int = 32

    @classmethod
    def tiny(cls, **overrides) -> WaveNetConfig:
        """The smallest model exercising every code path (both kinds of conditioning)."""
        base = dict(
            residual_channels=8,
            gate_channels=8,
            skip_channels=16,
            layers_per_stack=3,
            n_stacks=2,
            n_global=3,
            n_local=4,
            local_hop=4,
            cond_channels=6,
        )
        base.update(overrides)
        return cls(**base)

    @property
    def dilations(self) -> list[int]:
        """Dilation of every layer: [1, 2, ..., 2^(L-1)] repeated ``n_stacks`` times."""
        return [2**i for i in range(self.layers_per_stack)] * self.n_stacks

    @property
    def receptive_field(self) -> int:
        """RF = (k - 1) * sum(dilations) + 1 samples (the current input included)."""
        return (self.kernel_size - 1) * sum(self.dilations) + 1

    def validate(self) -> None:
        """Raise ``ValueError`` with a hint if a field is out of range."""
        for name in ("n_classes", "residual_channels", "gate_channels", "skip_channels", "n_stacks"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.kernel_size < 2:
            raise ValueError(f"kernel_size must be >= 2 (a 1-tap conv sees no past), got {self.kernel_size}")
        if self.layers_per_stack < 1:
            raise ValueError(f"layers_per_stack must be >= 1, got {self.layers_per_stack}")
        if self.n_global < 0 or self.n_local < 0 or self.local_hop < 1:
            raise ValueError("n_global and n_local must be >= 0 and local_hop >= 1")


# ---------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


class WaveNet(nn.Module):
    """WaveNet over µ-law codes with optional global and local conditioning.

    ``logits[:, :, t]`` is the distribution of sample ``t + 1`` given samples ``0..t``
    (teacher forcing: feed ``codes[:, :-1]``, score against ``codes[:, 1:]``).

    Args:
        cfg: a :class:`WaveNetConfig`.
    """

    def __init__(self, cfg: WaveNetConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        R, S = cfg.residual_channels, cfg.skip_channels
        self.embed = nn.Embedding(cfg.n_classes, R)  # = a 1x1 conv on one-hot codes
        self.layers = nn.ModuleList(
            ResidualBlock(R, cfg.gate_channels, S, cfg.kernel_size, d) for d in cfg.dilations
        )
        n_layers = len(self.layers)
        two_d = 2 * cfg.gate_channels
        if cfg.n_global:
            self.global_embed = nn.Embedding(cfg.n_global, cfg.cond_channels)
            self.global_proj = nn.Conv1d(cfg.cond_channels, n_layers * two_d, 1)  # V_k h per layer
        if cfg.n_local:
            # a small non-causal conv over frames (the whole mel is known), then per-layer 1x1
            self.local_net = nn.Conv1d(cfg.n_local, cfg.cond_channels, 3, padding=1)
            self.local_proj = nn.Conv1d(cfg.cond_channels, n_layers * two_d, 1)
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(S, S, 1), nn.ReLU(), nn.Conv1d(S, cfg.n_classes, 1))

    @property
    def receptive_field(self) -> int:
        """Samples of input that output t depends on: (k - 1) * sum(dilations) + 1."""
        return self.cfg.receptive_field

    # ---- conditioning ------------------------------------------------------------------
    def _check_cond(self, g: torch.Tensor | None, c: torch.Tensor | None, batch: int) -> None:
        cfg = self.cfg
        if cfg.n_global and g is None:
            raise ValueError(f"this model is globally conditioned (n_global={cfg.n_global}); pass g: (B,)")
        if not cfg.n_global and g is not None:
            raise ValueError("g was given but the model has n_global=0; build it with n_global > 0")
        if g is not None:
            if g.dim() != 1 or g.shape[0] != batch or torch.is_floating_point(g):
                raise ValueError(
                    f"g must be integer labels of shape ({batch},), got {tuple(g.shape)} {g.dtype}"
                )
            if g.min() < 0 or g.max() >= cfg.n_global:
                raise ValueError(f"g labels must lie in [0, {cfg.n_global - 1}], got [{g.min()}, {g.max()}]")
        if cfg.n_local and c is None:
            raise ValueError(
                f"this model is locally conditioned (n_local={cfg.n_local}); pass c: (B, n_local, F)"
            )
        if not cfg.n_local and c is not None:
            raise ValueError("c was given but the model has n_local=0; build it with n_local > 0")
        if c is not None and (c.dim() != 3 or c.shape[0] != batch or c.shape[1] != cfg.n_local):
            raise ValueError(f"c must have shape ({batch}, {cfg.n_local}, frames), got {tuple(c.shape)}")

    def conditioning(
        self, g: torch.Tensor | None, c: torch.Tensor | None, target_index: torch.Tensor
    ) -> list[torch.Tensor] | None:
        """Per-layer conditioning terms added inside each gate.

        Args:
            g: (B,) labels or None. c: (B, n_local, F) frame features or None.
            target_index: (N,) long, the sample index predicted at each position; the frame used
                for sample n is the nearest frame centre, round(n / hop); indices < 0 (context
                padding) get no local term.

        Returns:
            one (B, 2D, N) or (B, 2D, 1) tensor per layer, or None without conditioning.
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

    # ---- forward -----------------------------------------------------------------------
    def forward_embedded(
        self, h: torch.Tensor, conds: Sequence[torch.Tensor] | None = None, *, collect: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        """Run the stack on embedded inputs h: (B, R, T) -> logits (B, Q, T).

        With ``collect=True`` also return each layer's input (used to fill generation queues).
        """
        skip = 0.0
        inputs = []
        for i, layer in enumerate(self.layers):
            if collect:
                inputs.append(h)
            h, s = layer(h, None if conds is None else conds[i])
            skip = skip + s  # sum of skip connections, (B, S, T)
        logits = self.head(skip)  # (B, Q, T)
        return (logits, inputs) if collect else logits

    def forward(
        self, x: torch.Tensor, g: torch.Tensor | None = None, c: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Teacher-forced logits.

        Args:
            x: (B, T) int64 µ-law codes of samples 0..T-1.
            g: (B,) global labels, if the model has ``n_global > 0``.
            c: (B, n_local, F) local features whose frame f is centred on sample f * hop.

        Returns:
            (B, Q, T) logits; column t scores sample t + 1.

        Raises:
            ValueError: wrong shape/dtype, codes out of range, missing or unexpected conditioning.
        """
        if x.dim() != 2 or torch.is_floating_point(x):
            raise ValueError(
                f"expected integer codes of shape (batch, time), got {tuple(x.shape)} {x.dtype}; "
                "encode audio with course_lib.audio.mu_law_encode"
            )
        if x.numel() and (x.min() < 0 or x.max() >= self.cfg.n_classes):
            raise ValueError(f"codes must lie in [0, {self.cfg.n_classes - 1}], got [{x.min()}, {x.max()}]")
        self._check_cond(g, c, x.shape[0])
        conds = self.conditioning(g, c, torch.arange(1, x.shape[1] + 1, device=x.device))
        h = self.embed(x).transpose(1, 2)  # (B, R, T)
        return self.forward_embedded(h, conds)


# ---------------------------------------------------------------------------------------
# The popular snippet, for the pitfall box
# ---------------------------------------------------------------------------------------


class PlainConvStack(nn.Module):
    """The popular write-ups' "WaveNet": same dilation everywhere, ReLU, no gates, no
    residual or skip paths, no softmax. Receptive field 1 + n_layers * (k - 1) * dilation,
    i.e. linear in depth.
    """

    def __init__(self, n_layers: int, channels: int = 16, kernel_size: int = 2, dilation: int = 2):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.convs = nn.ModuleList(
            nn.Conv1d(1 if i == 0 else channels, channels, kernel_size, dilation=dilation)
            for i in range(n_layers)
        )
        self.out = nn.Conv1d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 1, T) -> (B, 1, T), causal."""
        pad = (self.kernel_size - 1) * self.dilation
        for conv in self.convs:
            x = torch.relu(conv(F.pad(x, (pad, 0))))
        return self.out(x)


def input_gradient_support(
    fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, t: int, *, tol: float = 0.0
) -> torch.Tensor:
    """Which input positions output ``t`` depends on, by a gradient probe.

    Computes d(sum over channels of fn(x)[..., t]) / dx and returns the time indices where the
    gradient (summed in absolute value over batch and channels) exceeds ``tol``.

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
    y = fn(x)
    (grad,) = torch.autograd.grad(y[..., t].sum(), x)
    mag = grad.abs().sum(dim=tuple(range(grad.dim() - 1)))  # (T,)
    return torch.nonzero(mag > tol).flatten()


# ---------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------


def sample_from_logits(logits: torch.Tensor, u: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Inverse-CDF sampling from softmax(logits / temperature) with given uniforms.

    Using explicit uniforms ``u`` makes two generators that see (nearly) equal logits draw the
    same codes. ``temperature == 0`` takes the arg-max.

    Args:
        logits: (B, Q). u: (B,) uniforms in [0, 1).

    Returns:
        (B,) int64 codes.
    """
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        return logits.argmax(-1)
    p = torch.softmax(logits.double() / temperature, dim=-1)  # (B, Q)
    cdf = p.cumsum(-1)
    idx = torch.searchsorted(cdf, (u.double() * cdf[:, -1])[:, None]).squeeze(1)
    return idx.clamp(max=logits.shape[-1] - 1)


def _prepare_generation(
    model: WaveNet,
    n_samples: int,
    batch_size: int | None,
    g: torch.Tensor | None,
    c: torch.Tensor | None,
    prompt: torch.Tensor | None,
) -> tuple[torch.Tensor, int]:
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    dev = next(model.parameters()).device
    batch = (
        g.shape[0]
        if g is not None
        else c.shape[0]
        if c is not None
        else prompt.shape[0]
        if prompt is not None
        else batch_size or 1
    )
    model._check_cond(g, c, batch)
    rf = model.receptive_field
    pad = torch.full((batch, 2 * rf), SILENCE_CODE, dtype=torch.long, device=dev)  # "silence before"
    if prompt is not None:
        if prompt.dim() != 2 or prompt.shape[0] != batch or torch.is_floating_point(prompt):
            raise ValueError(
                f"prompt must be integer codes of shape ({batch}, T0), got {tuple(prompt.shape)}"
            )
        pad = torch.cat([pad, prompt.to(dev)], dim=1)
    return pad, 2 * rf


@torch.no_grad()
def generate_naive(
    model: WaveNet,
    n_samples: int,
    *,
    batch_size: int | None = None,
    g: torch.Tensor | None = None,
    c: torch.Tensor | None = None,
    prompt: torch.Tensor | None = None,
    temperature: float = 1.0,
    seed: int = 0,
    return_logits: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Sample by re-running the whole stack on the last RF codes for every new sample.

    Cost per sample: O(RF x layers) convolution work, the reason naive generation is slow.

    Args:
        model: a :class:`WaveNet`.
        n_samples: how many new samples to draw.
        batch_size: number of sequences when neither g, c nor prompt fixes it.
        g: (B,) global labels. c: (B, n_local, F) features of the samples to generate
            (frame f centred on new sample f * hop).
        prompt: (B, T0) codes to continue (default: silence).
        temperature: softmax temperature (0 = arg-max).
        seed: seeds the generator of the uniforms.
        return_logits: also return the (B, n_samples, Q) logits.

    Returns:
        (B, n_samples) codes, and the logits if asked.
    """
    model.eval()
    seq, start = _prepare_generation(model, n_samples, batch_size, g, c, prompt)
    rf, dev = model.receptive_field, seq.device
    p0 = seq.shape[1] - start  # index (in sample time) of the first new sample = T0
    gen = torch.Generator(device="cpu").manual_seed(seed)
    out, all_logits = [], []
    for i in range(n_samples):
        window = seq[:, -rf:]  # (B, RF)
        conds = None
        if g is not None or c is not None:
            # window covers sample times (p0 + i - rf) .. (p0 + i - 1); targets are one later
            tgt = torch.arange(p0 + i - rf + 1, p0 + i + 1, device=dev) - p0
            conds = model.conditioning(g, c, tgt)
        h = model.embed(window).transpose(1, 2)  # (B, R, RF)
        logits = model.forward_embedded(h, conds)[:, :, -1]  # (B, Q)
        u = torch.rand(logits.shape[0], generator=gen).to(dev)
        nxt = sample_from_logits(logits, u, temperature)
        seq = torch.cat([seq, nxt[:, None]], dim=1)
        out.append(nxt)
        if return_logits:
            all_logits.append(logits)
    codes = torch.stack(out, dim=1)
    return (codes, torch.stack(all_logits, dim=1)) if return_logits else codes


@torch.no_grad()
def generate_cached(
    model: WaveNet,
    n_samples: int,
    *,
    batch_size: int | None = None,
    g: torch.Tensor | None = None,
    c: torch.Tensor | None = None,
    prompt: torch.Tensor | None = None,
    temperature: float = 1.0,
    seed: int = 0,
    return_logits: bool = False,
    progress: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Fast generation with per-layer caches (Paine et al. 2016); same arguments as
    :func:`generate_naive` and the same samples for the same seed.

    The dilated convolution of layer i at time t needs its inputs at t - (k-1) d_i, ..., t - d_i,
    which were computed at earlier steps, and at t. A ring buffer keeps every layer's last
    (k - 1) max(d) inputs, so one new sample costs a few small matrix products per layer,
    independent of the receptive field. Implementation details that keep the Python loop short:

    - every buffer, weight and per-layer view is made once, before the loop; inside it only
      in-place matrix products on tiny (B, channels) tensors remain (no batched ``bmm``, which
      CPU thread pools parallelise at a large cost for such sizes);
    - sigmoid(a) = (1 + tanh(a / 2)) / 2, so with the gate half of the weights halved one
      ``tanh_`` serves both halves, and z = tanh(a_f)(1 + tanh(a_g / 2)) / 2 is one ``addcmul``
      (the 1/2 goes into the output weights);
    - biases ride on a constant-one column appended to z, and the skip outputs of all layers
      are summed by one matrix product after the layer loop.
    """
    model.eval()
    seq, _ = _prepare_generation(model, n_samples, batch_size, g, c, prompt)
    dev = seq.device
    B = seq.shape[0]
    cfg = model.cfg
    k, D, R = cfg.kernel_size, cfg.gate_channels, cfg.residual_channels
    n_layers = len(model.layers)
    dil = cfg.dilations
    M = (k - 1) * max(dil) + 1  # ring-buffer length: covers the oldest tap of the widest layer

    # 1) prime: one parallel pass over the context (silence + prompt), except its last sample,
    #    whose code is the input of the first generation step
    ctx = seq[:, :-1][:, -(model.receptive_field + M) :]  # enough for exact states at the last M - 1
    T_ctx = ctx.shape[1]
    ctx_conds = None
    if g is not None or c is not None:
        # target index counted from the first new sample: the context predicts samples < 0
        ctx_conds = model.conditioning(g, c, torch.arange(-T_ctx, 0, device=dev))
    _, inputs = model.forward_embedded(model.embed(ctx).transpose(1, 2), ctx_conds, collect=True)
    hist = torch.zeros(M, n_layers, B, R, device=dev)  # hist[p % M, i] = input of layer i at position p
    pos = torch.arange(T_ctx - (M - 1), T_ctx, device=dev)
    hist[pos % M] = torch.stack([h[:, :, -(M - 1) :] for h in inputs], 0).permute(3, 0, 1, 2)

    # 2) weights rearranged for single-step products; gate halves scaled by 1/2 (see above)
    half = torch.ones(2 * D, device=dev)
    half[D:] = 0.5
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
    frame_terms = None
    if g is not None or c is not None:
        if c is None:  # global only: one constant term per layer
            terms = model.conditioning(g, None, torch.zeros(1, dtype=torch.long, device=dev))
            base = base + torch.stack([t[:, :, 0] for t in terms]) * half  # (n_layers, B, 2D)
        else:  # local (+ global): one term per frame; new sample i uses frame round(i / hop)
            hop = cfg.local_hop
            n_frames = (n_samples - 1 + hop // 2) // hop + 1
            terms = model.conditioning(g, c, torch.arange(n_frames, device=dev) * hop)
            frame_terms = torch.stack(terms).permute(3, 0, 1, 2) * half + base  # (F, n_layers, B, 2D)
    head = model.head
    w1, b1 = head[1].weight[:, :, 0].t(), head[1].bias
    w2, b2 = head[3].weight[:, :, 0].t(), head[3].bias
    emb = model.embed.weight  # (Q, R)

    # 3) buffers and their per-layer views, made once
    H = torch.zeros(n_layers + 1, B, R, device=dev)  # H[i] = input of layer i at the current step
    A = torch.zeros(n_layers, B, 2 * D, device=dev)  # pre-activations
    Z = torch.ones(B, n_layers, D + 1, device=dev)  # gated outputs + a constant-one column
    H_v = list(H.unbind(0))
    A_v = list(A.unbind(0))
    Af_v = [a[:, :D] for a in A_v]
    Ag_v = [a[:, D:] for a in A_v]
    Z_v = [Z[:, i, :D] for i in range(n_layers)]
    Za_v = [Z[:, i, :] for i in range(n_layers)]
    Zflat = Z.view(B, n_layers * (D + 1))
    hist_v = list(hist.unbind(1))  # per layer (M, B, R)
    # past taps of layer i: (ring-buffer view, offset (k-1-j) d_i, weight) for j < k - 1
    taps = [[(hist_v[i], (k - 1 - j) * d, w_past[i][j]) for j in range(k - 1)] for i, d in enumerate(dil)]
    layers = list(zip(A_v, taps, H_v[:-1], w_cur, Af_v, Ag_v, Z_v, Za_v, w_res, H_v[1:], strict=True))

    gen = torch.Generator(device="cpu").manual_seed(seed)
    torch.index_select(emb, 0, seq[:, -1], out=H[0])  # embedding of the last context code
    out = torch.empty(B, n_samples, dtype=torch.long, device=dev)
    all_logits = torch.empty(B, n_samples, cfg.n_classes, device=dev) if return_logits else None
    it = range(n_samples)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="cached generation")
    hop = cfg.local_hop
    for i in it:
        p = T_ctx + i  # position of the current input
        A.copy_(base if frame_terms is None else frame_terms[(i + hop // 2) // hop])  # biases, conditioning
        for a, layer_taps, h, wc, af, ag, z, za, wr, h_next in layers:
            for q, off, wp in layer_taps:
                a.addmm_(q[(p - off) % M], wp)  # past tap: input of this layer at p - off
            a.addmm_(h, wc)  # current tap
            a.tanh_()
            torch.addcmul(af, af, ag, out=z)  # 2 z = tanh(a_f) (1 + tanh(a_g / 2))
            torch.addmm(h, za, wr, out=h_next)  # residual: h + W_res z + b_res
        hist[p % M] = H[:n_layers]
        skip = Zflat @ w_skip  # sum over layers of W_skip z + b_skip, (B, S)
        y = torch.addmm(b1, skip.relu_(), w1).relu_()
        logits = torch.addmm(b2, y, w2)  # (B, Q)
        u = torch.rand(B, generator=gen).to(dev)
        x_t = sample_from_logits(logits, u, temperature)
        out[:, i] = x_t
        torch.index_select(emb, 0, x_t, out=H[0])
        if all_logits is not None:
            all_logits[:, i] = logits
    return (out, all_logits) if return_logits else out


# ---------------------------------------------------------------------------------------
# Data, training and likelihood
# ---------------------------------------------------------------------------------------


def encode_dataset(waves: Sequence[torch.Tensor], n_classes: int = 256) -> list[torch.Tensor]:
    """µ-law encode a list of waveforms (each (T,), in [-1, 1]) into int64 code tensors."""
    return [mu_law_encode(w, n_classes) for w in waves]


def make_batch(
    codes: Sequence[torch.Tensor],
    index: Sequence[int],
    segment: int,
    gen: torch.Generator,
    feats: Sequence[torch.Tensor] | None = None,
    hop: int = 80,
    lead: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Random crops of ``segment + 1`` codes (padded with silence and masked when shorter).

    Local features, if given as per-utterance (n_local, F) tensors, are cropped to match: the
    crop starts on a frame boundary, so frame f of the crop is centred on its sample f * hop.

    With ``lead > 0`` (no local features), a crop may also start up to ``lead`` samples
    *before* the utterance: those inputs are the silence code, as in the history that
    generation starts from, and only the utterance's samples are targets. The model thus
    learns how an utterance begins after silence, which is where every generation starts.

    Returns:
        codes (B, segment + 1), mask (B, segment) of valid targets, feats (B, n_local, F') or None.
    """
    if lead < 0 or (lead and feats is not None):
        raise ValueError(f"lead must be >= 0 and is only for models without local features, got {lead}")
    B = len(index)
    x = torch.full((B, segment + 1), SILENCE_CODE, dtype=torch.long)
    mask = torch.zeros(B, segment, dtype=torch.bool)
    n_frames = segment // hop + 2
    fb = None if feats is None else torch.zeros(B, feats[0].shape[0], n_frames)
    for b, i in enumerate(index):
        c = codes[i]
        n = len(c)
        lo = -(lead // hop)
        hi = (n - segment - 1) // hop if n > segment + 1 else 0
        start = int(torch.randint(lo, hi + 1, (1,), generator=gen)) * hop if n > segment + 1 or lo < 0 else 0
        if start < 0:  # silence, then the utterance: targets from its first sample on
            piece = c[: start + segment + 1]
            x[b, -start : -start + len(piece)] = piece
            mask[b, -start - 1 : -start + len(piece) - 1] = True
            continue
        piece = c[start : start + segment + 1]
        x[b, : len(piece)] = piece
        mask[b, : len(piece) - 1] = True
        if fb is not None:
            f0 = start // hop
            fp = feats[i][:, f0 : f0 + n_frames]
            fb[b, :, : fp.shape[1]] = fp
    return x, mask, fb


def train_wavenet(
    model: WaveNet,
    codes: Sequence[torch.Tensor],
    *,
    steps: int,
    batch_size: int = 8,
    segment: int = 4000,
    lr: float = 2e-3,
    labels: Sequence[int] | None = None,
    feats: Sequence[torch.Tensor] | None = None,
    seed: int = 0,
    log_every: int = 10,
    progress: bool = False,
    lr_decay: bool = True,
    lead: int = 0,
    callback: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Teacher-forced maximum likelihood: minimise the cross-entropy of the next µ-law code.

        loss = - mean_t log softmax(logits[:, :, t])[x_{t+1}]    (nats per sample)

    A plain loop: Adam, gradient-norm clipping at 1, cosine learning-rate decay.

    Args:
        model: a :class:`WaveNet` (on any device).
        codes: per-utterance int64 codes.
        steps, batch_size, segment, lr: optimisation settings (segment in samples).
        labels: per-utterance global labels, needed if the model has ``n_global > 0``.
        feats: per-utterance local features (n_local, F), needed if ``n_local > 0``.
        seed: seeds batch sampling.
        log_every: record the mean loss every this many steps.
        lr_decay: cosine decay to lr / 20 over ``steps``; ``False`` keeps lr constant, so a
            run stopped at step n equals a run of n steps.
        lead: let crops start up to this many samples of silence before an utterance (see
            :func:`make_batch`); only for models without local features.
        callback: called as ``callback(step, mean_loss_bits)`` whenever a loss is recorded
            (e.g. to save intermediate checkpoints).

    Returns:
        the recorded losses in bits per sample.
    """
    if model.cfg.n_global and labels is None:
        raise ValueError("the model is globally conditioned: pass labels")
    if model.cfg.n_local and feats is None:
        raise ValueError("the model is locally conditioned: pass feats")
    dev = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=max(steps, 1), eta_min=lr / 20 if lr_decay else lr
    )
    history, running = [], []
    model.train()
    it = range(steps)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="training")
    for step in it:
        idx = torch.randint(0, len(codes), (batch_size,), generator=gen).tolist()
        x, mask, fb = make_batch(
            codes, idx, segment, gen, feats if model.cfg.n_local else None, model.cfg.local_hop, lead
        )
        x, mask = x.to(dev), mask.to(dev)
        g = torch.tensor([labels[i] for i in idx], device=dev) if model.cfg.n_global else None
        logits = model(x[:, :-1], g=g, c=None if fb is None else fb.to(dev))  # (B, Q, T)
        ce = F.cross_entropy(logits, x[:, 1:], reduction="none")  # (B, T) nats
        loss = (ce * mask).sum() / mask.sum().clamp(min=1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running.append(loss.item() / math.log(2))
        if (step + 1) % log_every == 0 or step == steps - 1:
            history.append(float(np.mean(running)))
            running = []
            if callback is not None:
                callback(step + 1, history[-1])
    model.eval()
    return history


@torch.no_grad()
def nll_bits(
    model: WaveNet,
    codes: Sequence[torch.Tensor],
    *,
    labels: Sequence[int] | None = None,
    feats: Sequence[torch.Tensor] | None = None,
    batch_size: int = 16,
) -> float:
    """Test negative log-likelihood in bits per sample, over every sample but the first of each
    utterance (the same targets as the baselines). Utterances are batched with right padding,
    which a causal model never sees.
    """
    model.eval()
    dev = next(model.parameters()).device
    total, count = 0.0, 0
    order = sorted(range(len(codes)), key=lambda i: len(codes[i]))
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        T = max(len(codes[i]) for i in idx)
        x = torch.full((len(idx), T), SILENCE_CODE, dtype=torch.long)
        mask = torch.zeros(len(idx), T - 1, dtype=torch.bool)
        for b, i in enumerate(idx):
            x[b, : len(codes[i])] = codes[i]
            mask[b, : len(codes[i]) - 1] = True
        g = torch.tensor([labels[i] for i in idx], device=dev) if model.cfg.n_global else None
        c = None
        if model.cfg.n_local:
            nf = max(feats[i].shape[1] for i in idx)
            c = torch.zeros(len(idx), model.cfg.n_local, nf)
            for b, i in enumerate(idx):
                c[b, :, : feats[i].shape[1]] = feats[i]
            c = c.to(dev)
        x = x.to(dev)
        ce = F.cross_entropy(model(x[:, :-1], g=g, c=c), x[:, 1:], reduction="none").cpu()
        total += (ce * mask).sum().item()
        count += int(mask.sum())
    return total / count / math.log(2)


# ---------------------------------------------------------------------------------------
# Baselines: unigram and linear prediction
# ---------------------------------------------------------------------------------------


def unigram_fit(codes: Sequence[torch.Tensor], n_classes: int = 256, alpha: float = 1.0) -> torch.Tensor:
    """Histogram of codes with add-``alpha`` smoothing: p(c) = (n_c + α) / (N + Q α). Returns (Q,)."""
    counts = torch.zeros(n_classes, dtype=torch.float64)
    for c in codes:
        counts += torch.bincount(c.flatten(), minlength=n_classes).double()
    return (counts + alpha) / (counts.sum() + n_classes * alpha)


def unigram_nll_bits(probs: torch.Tensor, codes: Sequence[torch.Tensor]) -> float:
    """Bits per sample of the targets (every sample but the first) under a unigram model."""
    logp = torch.log2(probs)
    tot = sum(-logp[c[1:]].sum().item() for c in codes)
    return tot / sum(len(c) - 1 for c in codes)


@dataclass
class LPCModel:
    """Linear prediction x̂_t = Σ_k a_k x_{t-k} on decoded µ-law amplitudes, with a Laplace
    residual of scale b, discretised onto the µ-law bins and mixed with ε of uniform mass."""

    coeffs: torch.Tensor  # (order,), a_1 .. a_p
    scale: float
    eps: float = 1e-4
    n_classes: int = 256
    meta: dict = field(default_factory=dict)


def fit_lpc(
    codes: Sequence[torch.Tensor], order: int = 16, n_classes: int = 256, eps: float = 1e-4
) -> LPCModel:
    """Least-squares linear predictor pooled over all training utterances.

    Solves the normal equations Σ_t x_{t-k} (x_t - Σ_j a_j x_{t-j}) = 0 (covariance method,
    zero history before each utterance) and sets the Laplace scale to the mean absolute
    residual on the training data (its maximum-likelihood value).
    """
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    XtX = np.zeros((order, order))
    Xty = np.zeros(order)
    for c in codes:
        x = mu_law_decode(c, n_classes).double().numpy()
        X = _lag_matrix(x, order)  # (T, order)
        XtX += X.T @ X
        Xty += X.T @ x
    a = np.linalg.solve(XtX + 1e-9 * np.eye(order), Xty)
    abs_res, n = 0.0, 0
    for c in codes:
        x = mu_law_decode(c, n_classes).double().numpy()
        r = x - _lag_matrix(x, order) @ a
        abs_res += np.abs(r).sum()
        n += len(r)
    return LPCModel(torch.from_numpy(a), float(abs_res / n), eps, n_classes, {"order": order})


def _lag_matrix(x: np.ndarray, order: int) -> np.ndarray:
    """Rows t = [x_{t-1}, ..., x_{t-order}] with zeros before the start."""
    T = len(x)
    X = np.zeros((T, order))
    for k in range(1, order + 1):
        X[k:, k - 1] = x[: T - k] if k < T else 0
    return X


def _mu_law_bin_edges(n_classes: int) -> np.ndarray:
    """Amplitude boundaries of the µ-law bins: code c covers [e_c, e_{c+1}), e_0 = -inf, e_Q = inf."""
    mu = n_classes - 1
    y = (np.arange(n_classes + 1) - 0.5) * 2 / mu - 1  # companded edges
    e = np.sign(y) * np.expm1(np.abs(y) * math.log1p(mu)) / mu
    e[0], e[-1] = -np.inf, np.inf
    return e


def lpc_nll_bits(model: LPCModel, codes: Sequence[torch.Tensor]) -> float:
    """Bits per sample of the targets (every sample but the first) under the LPC model.

    p(c | past) = (1 - ε) [L(e_{c+1} - x̂) - L(e_c - x̂)] + ε / Q,  L = Laplace(0, b) CDF
    """
    a = model.coeffs.numpy()
    edges = _mu_law_bin_edges(model.n_classes)
    b = model.scale

    def lap_cdf(z: np.ndarray) -> np.ndarray:
        return np.where(z < 0, 0.5 * np.exp(np.minimum(z, 0) / b), 1 - 0.5 * np.exp(-np.maximum(z, 0) / b))

    tot, n = 0.0, 0
    for c in codes:
        ci = c.numpy()
        x = mu_law_decode(c, model.n_classes).double().numpy()
        pred = _lag_matrix(x, len(a)) @ a  # (T,)
        lo, hi = edges[ci] - pred, edges[ci + 1] - pred
        p = (1 - model.eps) * (lap_cdf(hi) - lap_cdf(lo)) + model.eps / model.n_classes
        tot += -np.log2(p[1:]).sum()
        n += len(ci) - 1
    return float(tot / n)


# ---------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------


def save_checkpoint(model: WaveNet | DenoisingWaveNet, path: str | Path, extra: dict | None = None) -> str:
    """Save config + weights (plain tensors and numbers only) and return the file's SHA-256."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    kind = "denoiser" if isinstance(model, DenoisingWaveNet) else "wavenet"
    torch.save({"kind": kind, "config": asdict(model.cfg), "state_dict": state, "extra": extra or {}}, path)
    return sha256_file(path)


def load_checkpoint(
    path: str | Path, sha256: str | None = None, device: torch.device | str = "cpu"
) -> tuple[WaveNet | DenoisingWaveNet, dict]:
    """Load a checkpoint written by :func:`save_checkpoint`, after checking its SHA-256.

    Uses ``torch.load(..., weights_only=True)``, which refuses pickled code.

    Raises:
        FileNotFoundError: no file. ValueError: the hash differs (corrupt or different file).
    """
    blob = load_verified(
        path, sha256, map_location=device, remedy="Re-download it or run benchmarks/wavenet_train.py."
    )
    if blob.get("kind", "wavenet") == "denoiser":
        model = DenoisingWaveNet(DenoiserConfig(**blob["config"])).to(device)
    else:
        model = WaveNet(WaveNetConfig(**blob["config"])).to(device)
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, blob.get("extra", {})


# ---------------------------------------------------------------------------------------
# Local conditioning features and the Griffin-Lim reference
# ---------------------------------------------------------------------------------------


def mel_features(
    wave: torch.Tensor, sample_rate: int = 8000, n_mels: int = 40, hop: int = 80
) -> torch.Tensor:
    """Log-mel features for local conditioning: (log_mel_dB + 40) / 40, roughly in [-1, 1].

    Args:
        wave: (T,) or (B, T) float waveform at ``sample_rate``.

    Returns:
        (n_mels, F) or (B, n_mels, F); frame f is centred on sample f * hop (centred STFT,
        n_fft = 256), the convention :meth:`WaveNet.conditioning` expects.
    """
    return (log_mel(wave, sample_rate, n_fft=256, hop_length=hop, n_mels=n_mels) + 40.0) / 40.0


def griffin_lim_from_mel(
    feats: torch.Tensor,
    length: int,
    *,
    sample_rate: int = 8000,
    n_iter: int = 32,
    hop: int = 80,
    seed: int = 0,
) -> torch.Tensor:
    """Classical re-synthesis from :func:`mel_features`: mel power -> linear power by
    non-negative least squares on the course's mel filter bank, then Griffin-Lim phase
    retrieval (Griffin and Lim 1984) as implemented by librosa.

    Args:
        feats: (n_mels, F) features from :func:`mel_features`. length: samples to return.

    Returns:
        (length,) float32 waveform.
    """
    import librosa  # in the course's dev extra; preinstalled on Colab

    if feats.dim() != 2:
        raise ValueError(f"feats must be (n_mels, frames), got {tuple(feats.shape)}; call it per utterance")
    db = feats.double().numpy() * 40.0 - 40.0
    fb = mel_filterbank(sample_rate, 256, feats.shape[0]).double().numpy()  # (n_mels, 129)
    power = librosa.util.nnls(fb, 10.0 ** (db / 10.0))  # (129, F)
    mag = np.sqrt(np.maximum(power, 0.0))
    rng = np.random.default_rng(seed)
    y = librosa.griffinlim(
        mag,
        n_iter=n_iter,
        hop_length=hop,
        n_fft=256,
        window="hann",
        center=True,
        length=length,
        random_state=rng,
    )
    return torch.from_numpy(y.astype(np.float32))


# ---------------------------------------------------------------------------------------
# WaveNet on noisy data: the non-causal denoising WaveNet (Rethage et al. 2018)
# ---------------------------------------------------------------------------------------


@dataclass
class DenoiserConfig:
    """Hyper-parameters of :class:`DenoisingWaveNet` (names as in :class:`WaveNetConfig`)."""

    residual_channels: int = 32
    gate_channels: int = 32
    skip_channels: int = 32
    kernel_size: int = 3
    layers_per_stack: int = 8
    n_stacks: int = 2

    @classmethod
    def tiny(cls, **overrides) -> DenoiserConfig:
        """Smallest model exercising every code path, for tests."""
        base = dict(residual_channels=4, gate_channels=4, skip_channels=4, layers_per_stack=3, n_stacks=1)
        base.update(overrides)
        return cls(**base)

    @property
    def dilations(self) -> list[int]:
        return [2**i for i in range(self.layers_per_stack)] * self.n_stacks

    @property
    def receptive_field(self) -> int:
        """(k - 1) * sum(dilations) + 1 samples, centred on the output sample."""
        return (self.kernel_size - 1) * sum(self.dilations) + 1


class DenoisingWaveNet(nn.Module):
    """Non-causal WaveNet that maps a noisy waveform to an estimate of the clean one.

    The idea of Rethage et al. (2018): when the whole noisy recording is available, nothing
    forces causality, so every dilated convolution is centred (it sees the past *and* the
    future), and the output is a real-valued sample predicted in one parallel pass (no
    softmax, no sampling, no sequential generation). Trained with an L1 loss on the waveform.

    The input is divided by its RMS and the output multiplied back, so the network works at a
    fixed level whatever the recording's loudness.
    """

    def __init__(self, cfg: DenoiserConfig):
        super().__init__()
        if cfg.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd for a centred convolution, got {cfg.kernel_size}")
        self.cfg = cfg
        R, S = cfg.residual_channels, cfg.skip_channels
        self.inp = nn.Conv1d(1, R, 1)
        self.layers = nn.ModuleList(
            ResidualBlock(R, cfg.gate_channels, S, cfg.kernel_size, d, causal=False) for d in cfg.dilations
        )
        self.head = nn.Sequential(nn.ReLU(), nn.Conv1d(S, S, 1), nn.ReLU(), nn.Conv1d(S, 1, 1))

    @property
    def receptive_field(self) -> int:
        return self.cfg.receptive_field

    def forward(self, noisy: torch.Tensor) -> torch.Tensor:
        """noisy: (B, T) float -> clean estimate (B, T), same scale as the input."""
        if noisy.dim() != 2 or not torch.is_floating_point(noisy):
            raise ValueError(
                f"expected a float waveform batch (batch, time), got {tuple(noisy.shape)} {noisy.dtype}"
            )
        scale = noisy.pow(2).mean(dim=1, keepdim=True).sqrt().clamp(min=1e-5)  # (B, 1) RMS
        return self.net((noisy / scale)[:, None])[:, 0] * scale  # (B, T)

    def net(self, x: torch.Tensor) -> torch.Tensor:
        """The convolutional stack alone, x: (B, 1, T) -> (B, 1, T) (no level normalisation)."""
        h = self.inp(x)  # (B, R, T)
        skip = 0.0
        for layer in self.layers:
            h, s = layer(h)
            skip = skip + s  # (B, S, T)
        return self.head(skip)


def make_noisy_batch(
    waves: Sequence[torch.Tensor],
    index: Sequence[int],
    segment: int,
    gen: torch.Generator,
    *,
    snr_db: tuple[float, float] = (0.0, 10.0),
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random crops (zero-padded when shorter) mixed with white Gaussian noise at an SNR drawn
    uniformly in ``snr_db``. Returns (clean (B, segment), noisy (B, segment)).

    Only white noise is used for training; other noise types for *testing* come from
    :func:`course_lib.restoration.add_noise_at_snr`, shared with the audio chapter.
    """
    clean = torch.zeros(len(index), segment)
    for b, i in enumerate(index):
        w = waves[i]
        start = int(torch.randint(0, max(len(w) - segment, 0) + 1, (1,), generator=gen))
        piece = w[start : start + segment]
        clean[b, : len(piece)] = piece
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    nz = torch.randn(len(index), segment, generator=torch.Generator().manual_seed(seed))
    nz = nz - nz.mean(dim=-1, keepdim=True)
    nz = nz / nz.pow(2).mean(dim=-1, keepdim=True).sqrt()  # unit RMS per row
    snr = snr_db[0] + (snr_db[1] - snr_db[0]) * torch.rand(len(index), generator=gen)
    p_clean = clean.pow(2).mean(dim=1, keepdim=True).clamp(min=1e-10)
    noisy = clean + nz * (p_clean / 10 ** (snr[:, None] / 10)).sqrt()  # unit-RMS noise scaled to the SNR
    return clean, noisy


def train_denoiser(
    model: DenoisingWaveNet,
    waves: Sequence[torch.Tensor],
    *,
    steps: int,
    batch_size: int = 8,
    segment: int = 4000,
    lr: float = 2e-3,
    snr_db: tuple[float, float] = (0.0, 10.0),
    seed: int = 0,
    log_every: int = 10,
    progress: bool = False,
    lr_decay: bool = True,
    callback: Callable[[int, float], None] | None = None,
) -> list[float]:
    """L1 regression of the clean waveform from the noisy one, loss = mean |f(noisy) - clean| / RMS(noisy).

    ``lr_decay`` and ``callback`` as in :func:`train_wavenet`.

    Returns:
        the recorded mean losses.
    """
    dev = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=max(steps, 1), eta_min=lr / 20 if lr_decay else lr
    )
    history, running = [], []
    model.train()
    it = range(steps)
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(it, desc="training denoiser")
    for step in it:
        idx = torch.randint(0, len(waves), (batch_size,), generator=gen).tolist()
        clean, noisy = make_noisy_batch(waves, idx, segment, gen, snr_db=snr_db)
        clean, noisy = clean.to(dev), noisy.to(dev)
        scale = noisy.pow(2).mean(dim=1, keepdim=True).sqrt().clamp(min=1e-5)
        loss = ((model(noisy) - clean).abs() / scale).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running.append(loss.item())
        if (step + 1) % log_every == 0 or step == steps - 1:
            history.append(float(np.mean(running)))
            running = []
            if callback is not None:
                callback(step + 1, history[-1])
    model.eval()
    return history


@torch.no_grad()
def denoise(model: DenoisingWaveNet, noisy: torch.Tensor) -> torch.Tensor:
    """Apply the denoiser to (T,) or (B, T) audio; returns the same shape."""
    if noisy.dim() not in (1, 2):
        raise ValueError(f"expected (time,) or (batch, time), got {tuple(noisy.shape)}")
    model.eval()
    dev = next(model.parameters()).device
    out = model(noisy.reshape(-1, noisy.shape[-1]).float().to(dev)).cpu()
    return out.reshape(noisy.shape)


# ---------------------------------------------------------------------------------------
# The chapter's checkpoints (made by benchmarks/wavenet_train.py)
# ---------------------------------------------------------------------------------------


#: name -> (file, SHA-256). Regenerate with ``python benchmarks/wavenet_train.py --model NAME``
#: and paste the printed hash here.
CHECKPOINTS: dict[str, tuple[str, str]] = {
    "digits": ("wavenet_digits.pt", "47c97ad99bf4d7bf00757c8d493560332ac60608325c407824bc986d01c6ba61"),
    "vocoder": ("wavenet_vocoder.pt", "90480e1f9748fa78f7558a82420d224a499bf398b7aff53a96b5b564b02b0bb6"),
    "denoiser": ("wavenet_denoiser.pt", "71b9c2dcb363f23bc0e438ed47d7f96311c35b64376bec6cb18b6a8f5ca281da"),
}


def load_pretrained(name: str, device: torch.device | str = "cpu") -> tuple[WaveNet | DenoisingWaveNet, dict]:
    """Load one of the chapter's checkpoints (``"digits"``, ``"vocoder"``, ``"denoiser"``),
    hash-checked and with ``weights_only=True``.

    Raises:
        KeyError: unknown name. FileNotFoundError / ValueError: see :func:`load_checkpoint`.
    """
    if name not in CHECKPOINTS:
        raise KeyError(f"unknown checkpoint {name!r}; available: {sorted(CHECKPOINTS)}")
    fname, digest = CHECKPOINTS[name]
    return load_checkpoint(committed_checkpoint(fname, digest), digest, device)


def markdown_table(rows: Sequence[dict], digits: int = 3) -> str:
    """A list of dicts with the same keys as a Markdown table (floats rounded to ``digits``)."""
    if not rows:
        raise ValueError("no rows to tabulate")
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = [f"{r[c]:.{digits}f}" if isinstance(r[c], float) else str(r[c]) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)

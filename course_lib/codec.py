"""Neural audio compression: quantised bottlenecks, measured bitrates and an arithmetic coder.

Chapter: chapters/audio/

An autoencoder only becomes a *codec* once its code is a finite string of bits. This module
holds what the compression chapter measures: **baselines** that store every sample (µ-law,
G.711 {cite}`itu1988g711`; linear PCM; downsampling); **a learned codec**, a tiny strided
convolutional autoencoder in the SoundStream / EnCodec layout {cite}`zeghidour2022soundstream`,
{cite}`defossez2023encodec` whose latent channels are bounded by tanh and rounded to ``levels``
values, trained with the straight-through estimator {cite}`bengio2013estimating` or additive
uniform noise {cite}`balle2017endtoend`; its **bitrate** as fixed-length bits, as the empirical
entropy of the codes and as the cross-entropy under tables fitted on training codes; and **an
arithmetic coder** {cite}`witten1987arithmetic` that turns codes into bytes and back, losslessly.

Shapes: waveforms ``(time,)`` or ``(batch, time)``; codes ``(batch, latent_dim, frames)``.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.signal import resample_poly

from course_lib import checkpoints
from course_lib.audio import SAMPLE_RATE, check_wave, mu_law_decode, mu_law_encode, random_crops, stft
from course_lib.diagrams import Diagram, shape
from course_lib.metrics import si_sdr
from course_lib.utils import History, make_generator


# --- Baselines: a fixed number of bits per sample -----------------------------------------
def pcm_codec(
    x: torch.Tensor, bits: int, *, law: str = "mu-law", downsample: int = 1, sample_rate: int = SAMPLE_RATE
) -> tuple[torch.Tensor, float]:
    """Pulse-code modulation: every (kept) sample is stored with ``bits`` bits.

    ``law="mu-law"`` compands with µ = 2**bits - 1 before rounding (G.711 at 8 bits);
    ``law="linear"`` is the uniform mid-rise quantiser idx = floor((x + 1) / 2 * 2^b),
    x_hat = (idx + 1/2) 2^(1-b) - 1. With ``downsample`` = k > 1 the signal is resampled to
    sample_rate / k first (polyphase anti-alias filter) and back after decoding, so everything
    above the new Nyquist frequency sample_rate / 2k is lost.

    Args:
        x: waveform ``(time,)`` or ``(batch, time)`` at 8 kHz.
        bits: bits per stored sample, 1 to 16.
        law: ``"mu-law"`` or ``"linear"``.
        downsample: integer factor k >= 1.
        sample_rate: the rate of ``x`` (must be 8 kHz).

    Returns:
        ``(decoded, bit/s)``: same shape as ``x``; sample_rate / k x bits (G.711: 64 kbit/s).
    """
    x = check_wave(x, sample_rate, name="x")
    if not 1 <= bits <= 16 or law not in ("mu-law", "linear") or downsample < 1:
        raise ValueError(
            f"need 1 <= bits <= 16, law 'mu-law' or 'linear', downsample >= 1, got {bits}, {law!r}"
        )
    y = x if downsample == 1 else torch.from_numpy(resample_poly(x.double().numpy(), 1, downsample, axis=-1))
    y = y.float().clamp(-1, 1)
    if law == "mu-law":
        y = mu_law_decode(mu_law_encode(y, 2**bits), 2**bits)
    else:
        y = ((y + 1) / 2 * 2**bits).floor().clamp(0, 2**bits - 1).add(0.5) / 2**bits * 2 - 1
    if downsample > 1:
        y = torch.from_numpy(resample_poly(y.double().numpy(), downsample, 1, axis=-1)[..., : x.shape[-1]])
        y = F.pad(y, (0, x.shape[-1] - y.shape[-1])).clamp(-1, 1).float()
    return y, float(sample_rate / downsample * bits)


# --- The learned codec ----------------------------------------------------------------------
def ste_round(x: torch.Tensor) -> torch.Tensor:
    """Round in the forward pass, identity in the backward pass (straight-through estimator).

    Args:
        x: any shape.

    Returns:
        round(x), same shape, written as x + (round(x) - x).detach() so that d/dx = 1.
    """
    return x + (x.round() - x).detach()


@dataclass
class CodecConfig:
    """A 1-D strided conv autoencoder with a bounded scalar quantiser in the bottleneck.

    Attributes:
        sample_rate: Hz.
        strides: downsampling factor of each encoder stage (each even); the hop is their product.
        channels: width of the first stage; each stage doubles it.
        latent_dim: number of quantised channels per frame.
        levels: quantisation levels L per channel.
        res_units: dilated residual units per stage.
        quantizer: how training passes the rounding: ``"ste"`` (:func:`ste_round`) or
            ``"noise"`` (add U(-1/2, 1/2) in code units: the same error variance, differentiable).
    """

    sample_rate: int = SAMPLE_RATE
    strides: tuple[int, ...] = (2, 4)
    channels: int = 16
    latent_dim: int = 4
    levels: int = 16
    res_units: int = 1
    quantizer: str = "ste"

    @property
    def hop(self) -> int:
        return math.prod(self.strides)

    @property
    def frame_rate(self) -> float:
        return self.sample_rate / self.hop

    @property
    def bitrate(self) -> float:
        """Fixed-length bit/s: frames/s x latent_dim x log2(levels), e.g. 1000 x 4 x 4 = 16,000."""
        return self.frame_rate * self.latent_dim * math.log2(self.levels)


class _ResUnit(nn.Module):
    """x + conv1x1(ELU(conv_k3,dilation d(ELU(x)))): keeps (B, C, T)."""

    def __init__(self, c: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, padding=dilation, dilation=dilation)
        self.proj = nn.Conv1d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(F.elu(self.conv(F.elu(x))))  # same shape as x


class WaveCodec(nn.Module):
    """Encoder -> scalar quantiser -> decoder on raw waveforms.

    A stage with stride s uses Conv1d(kernel 2s, stride s, padding s/2), which maps T to T/s
    exactly when s divides T; the decoder's ConvTranspose1d with the same numbers maps T/s back
    to T (inputs are zero-padded to a multiple of the hop and cropped back). The quantiser:
    u = (tanh(h) + 1) / 2 (L - 1), codes = round(u) in {0, ..., L - 1}, z_hat = 2 codes / (L - 1) - 1.
    In eval mode the decoder sees exactly what the bitstream carries.

    Args:
        cfg: the architecture.
    """

    def __init__(self, cfg: CodecConfig):
        super().__init__()
        if any(s % 2 for s in cfg.strides) or cfg.levels < 2 or cfg.quantizer not in ("ste", "noise"):
            raise ValueError(f"need even strides, levels >= 2, quantizer 'ste' or 'noise'; got {cfg}")
        self.cfg = cfg
        c = cfg.channels
        enc: list[nn.Module] = [nn.Conv1d(1, c, 7, padding=3)]
        for s in cfg.strides:
            enc += [_ResUnit(c, 3**i) for i in range(cfg.res_units)]
            enc += [nn.ELU(), nn.Conv1d(c, 2 * c, 2 * s, stride=s, padding=s // 2)]  # (B, 2c, T/s)
            c *= 2
        self.encoder = nn.Sequential(*enc, nn.ELU(), nn.Conv1d(c, cfg.latent_dim, 3, padding=1))
        dec: list[nn.Module] = [nn.Conv1d(cfg.latent_dim, c, 7, padding=3)]
        for s in reversed(cfg.strides):
            dec += [nn.ELU(), nn.ConvTranspose1d(c, c // 2, 2 * s, stride=s, padding=s // 2)]  # (B, c/2, T s)
            c //= 2
            dec += [_ResUnit(c, 3**i) for i in range(cfg.res_units)]
        self.decoder = nn.Sequential(*dec, nn.ELU(), nn.Conv1d(c, 1, 7, padding=3))  # (B, 1, T)

    def _latent(self, x: torch.Tensor) -> torch.Tensor:
        """Code positions u in [0, L - 1], ``(B, latent_dim, frames)``."""
        x = check_wave(x, self.cfg.sample_rate, name="x")
        x = x if x.dim() == 2 else x[None]
        h = self.encoder(F.pad(x, (0, -x.shape[-1] % self.cfg.hop))[:, None])
        return (torch.tanh(h) + 1) / 2 * (self.cfg.levels - 1)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Waveform ``(time,)`` or ``(B, time)`` -> int64 codes ``(B, latent_dim, frames)``."""
        return self._latent(x).round().long().clamp(0, self.cfg.levels - 1)

    def decode(self, codes: torch.Tensor, length: int | None = None) -> torch.Tensor:
        """Codes ``(B, latent_dim, frames)`` -> waveform ``(B, length)`` (default: frames x hop)."""
        if codes.numel() and not 0 <= codes.min() <= codes.max() < self.cfg.levels:
            raise ValueError(f"codes must lie in [0, {self.cfg.levels - 1}]")
        return self.decoder(codes.float() * 2 / (self.cfg.levels - 1) - 1)[:, 0, :length]

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Reconstruction ``(B, time)`` of ``x`` ``(B, time)``; ``generator`` draws the training noise."""
        u = self._latent(x)
        if self.training and self.cfg.quantizer == "noise":
            u = u + torch.rand(u.shape, generator=generator).to(u.device) - 0.5
        else:
            u = ste_round(u)
        return self.decoder(u * 2 / (self.cfg.levels - 1) - 1)[:, 0, : x.shape[-1]]


@dataclass
class CodecTrainConfig:
    """How :func:`train_codec` trains (defaults: the committed codecs' recipe).

    Attributes:
        seed: seeds the crops (and the quantiser noise).
        steps: Adam steps, with cosine learning-rate decay to zero.
        batch_size: crops per step.
        crop: samples per crop.
        lr: initial learning rate.
        spec_weight: weight of the multi-resolution log-STFT L1 (n_fft 64 to 512, hop n_fft / 4).
        sisdr_weight: weight of -SI-SDR (dB) / 100, which pulls the decoded waveform towards the
            input's exact shape rather than only its spectrum (0: off).
    """

    seed: int = 0
    steps: int = 800
    batch_size: int = 16
    crop: int = 2048
    lr: float = 3e-3
    spec_weight: float = 0.1
    sisdr_weight: float = 1.0


def _log_stft_l1(x: torch.Tensor, y: torch.Tensor, n_fft: int) -> torch.Tensor:
    log_x, log_y = (torch.log(stft(w, n_fft, n_fft // 4).abs() + 1e-5) for w in (x, y))
    return (log_x - log_y).abs().mean()


def train_codec(
    model: WaveCodec,
    data: Sequence[torch.Tensor],
    config: CodecTrainConfig,
    callback: Callable[[History, WaveCodec], None] | None = None,
) -> History:
    """Adam on random crops of ``data``, gradients clipped at norm 1.

    Loss: mean |x - y| + spec_weight x mean over n_fft of mean |log |STFT x| - log |STFT y||
    - sisdr_weight x SI-SDR(x, y) / 100. Trains on the device of ``model`` and leaves it in
    eval mode; the global RNG is not touched.

    Args:
        model: the codec.
        data: 1-D recordings ``(time_i,)`` at 8 kHz.
        config: the recipe.
        callback: called as ``callback(history, model)`` after every step (``history.steps`` is the
            step count), e.g. to score a validation set now and then with ``history.add_metric``; it
            must leave the model in training mode.

    Returns:
        the history: losses ``loss`` (the total) and ``si_sdr`` (dB).
    """
    g = make_generator(config.seed)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, config.steps)
    history = History()
    model.train()
    with history.timed(), torch.enable_grad():  # also when called under no_grad
        for _ in range(config.steps):
            x = random_crops(data, config.batch_size, config.crop, g).to(next(model.parameters()).device)
            y = model(x, g)
            spectral = sum(_log_stft_l1(x, y, n) for n in (64, 128, 256, 512)) / 4
            score = si_sdr(x, y).mean()
            loss = (x - y).abs().mean() + config.spec_weight * spectral - config.sisdr_weight * score / 100
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            history.add(loss=loss.item(), si_sdr=score.item())
            if callback is not None:
                callback(history, model)
    model.eval()
    return history


# --- Bitrate and arithmetic coding ----------------------------------------------------------
def code_histograms(codes: torch.Tensor | Sequence[torch.Tensor], levels: int) -> torch.Tensor:
    """Counts of each code value per latent channel.

    Args:
        codes: ``(B, D, frames)``, or a list of ``(B_i, D, frames_i)`` tensors.
        levels: number of code values.

    Returns:
        int64 ``(D, levels)``.
    """
    codes = [codes] if isinstance(codes, torch.Tensor) else list(codes)
    flat = torch.cat([c.transpose(0, 1).reshape(c.shape[1], -1).cpu() for c in codes], 1)  # (D, N)
    return torch.stack([torch.bincount(row, minlength=levels) for row in flat])


def cross_entropy_bits(hist: torch.Tensor, probs: torch.Tensor | None = None) -> float:
    """Bits per frame that a coder with probabilities ``probs`` pays on codes counted in ``hist``.

    Σ_k Σ_v p_k(v) (-log2 probs_k(v)), with p_k the normalised row k of ``hist``. Without
    ``probs`` the coder uses p itself: the result is the empirical (zeroth-order) entropy, the
    least any coder of independent symbols can pay.

    Args:
        hist: ``(D, levels)`` counts of the coded symbols.
        probs: ``(D, levels)`` the coder's probabilities, all > 0 (default: p).

    Returns:
        bits per frame, summed over the D channels.
    """
    p = hist.double() / hist.sum(-1, keepdim=True).clamp(min=1)
    q = p.clamp(min=1e-300) if probs is None else probs.double()
    return float(-(p * torch.log2(q)).sum())


def frequency_tables(hist: torch.Tensor, total_bits: int = 16) -> torch.Tensor:
    """Integer frequency tables for the arithmetic coder from counts (add-1/2 smoothing).

    Args:
        hist: ``(D, levels)`` counts (e.g. of training codes).
        total_bits: each row sums to about 2**total_bits.

    Returns:
        int64 ``(D, levels)``, every entry >= 1 so that unseen symbols stay codable.
    """
    p = (hist.double() + 0.5) / (hist.double() + 0.5).sum(-1, keepdim=True)
    return (p * 2**total_bits).round().long().clamp(min=1)


_PREC = 32
_FULL, _HALF, _QUARTER = 1 << _PREC, 1 << (_PREC - 1), 1 << (_PREC - 2)


def _cumulative(freqs: torch.Tensor) -> list[list[int]]:
    if freqs.dim() != 2 or (freqs < 1).any() or int(freqs.sum(-1).max()) >= _QUARTER:
        raise ValueError(f"frequency tables must be (D, levels), every count >= 1, rows < 2**{_PREC - 2}")
    return [[0, *np.cumsum(row.tolist()).tolist()] for row in freqs]


def _narrow(low: int, high: int, cum: list[int], s: int) -> tuple[int, int, list[int]]:
    """Shrink [low, high] to symbol s's share of it, then double it while it lies in one half.

    Returns the new interval and the shift of each doubling: 0 (lower half: a 0 bit), _HALF
    (upper half: a 1 bit) or _QUARTER (middle half: a bit whose value a later step decides).
    """
    rng = high - low + 1
    low, high = low + rng * cum[s] // cum[-1], low + rng * cum[s + 1] // cum[-1] - 1
    shifts = []
    while True:
        if high < _HALF:
            shift = 0
        elif low >= _HALF:
            shift = _HALF
        elif low >= _QUARTER and high < 3 * _QUARTER:
            shift = _QUARTER
        else:
            return low, high, shifts
        shifts.append(shift)
        low, high = 2 * (low - shift), 2 * (high - shift) + 1


def arithmetic_encode(codes: torch.Tensor, freqs: torch.Tensor) -> bytes:
    """Encode integer codes frame by frame with static per-channel tables (channel k: table k).

    The stream holds the number of frames (4 bytes) and the bits; the tables are side
    information known to both ends.

    Args:
        codes: int ``(D, frames)`` in [0, levels - 1].
        freqs: ``(D, levels)`` from :func:`frequency_tables`.

    Returns:
        the compressed bytes; ``len(result) * 8`` is the real rate.
    """
    cums = _cumulative(freqs)
    if codes.dim() != 2 or len(codes) != len(cums):
        raise ValueError(f"need codes (D, frames) and one table per row, got {tuple(codes.shape)}")
    if codes.numel() and not 0 <= codes.min() <= codes.max() < len(cums[0]) - 1:
        raise ValueError(f"codes must lie in [0, {len(cums[0]) - 2}]")
    bits: list[int] = []
    low, high, pending = 0, _FULL - 1, 0
    for i, s in enumerate(codes.T.reshape(-1).tolist()):  # frame-major: t0k0, t0k1, ...
        low, high, shifts = _narrow(low, high, cums[i % len(cums)], s)
        for shift in shifts:
            if shift == _QUARTER:
                pending += 1
            else:
                bit = int(shift == _HALF)
                bits += [bit] + [1 - bit] * pending
                pending = 0
    bit = int(low >= _QUARTER)  # two more bits single out a point inside [low, high]
    bits += [bit] + [1 - bit] * (pending + 1)
    return codes.shape[1].to_bytes(4, "big") + np.packbits(np.array(bits, dtype=np.uint8)).tobytes()


def arithmetic_decode(data: bytes, freqs: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`arithmetic_encode` given the same tables.

    Args:
        data: the stream.
        freqs: ``(D, levels)`` the encoder's tables.

    Returns:
        int64 codes ``(D, frames)``.
    """
    if len(data) < 4:
        raise ValueError("stream too short: it must start with a 4-byte frame count")
    d, n, cums = freqs.shape[0], int.from_bytes(data[:4], "big"), _cumulative(freqs)
    bits = iter(np.unpackbits(np.frombuffer(data[4:], dtype=np.uint8)).tolist())
    value = 0
    for _ in range(_PREC):
        value = 2 * value + next(bits, 0)
    low, high, out = 0, _FULL - 1, []
    for i in range(n * d):
        cum = cums[i % d]
        target = ((value - low + 1) * cum[-1] - 1) // (high - low + 1)
        out.append(bisect.bisect_right(cum, target) - 1)  # s with cum[s] <= target < cum[s + 1]
        low, high, shifts = _narrow(low, high, cum, out[-1])
        for shift in shifts:
            value = 2 * (value - shift) + next(bits, 0)
    return torch.tensor(out, dtype=torch.long).reshape(n, d).T.contiguous()


# --- Committed checkpoints (benchmarks/codec_train.py) ----------------------------------------
def pretrained_codec(kbps: int, variant: str = "") -> WaveCodec:
    """A committed codec, hash-checked, in eval mode.

    Args:
        kbps: the fixed-length rate in kbit/s: 16, 8 or 4 (``benchmarks/codec_train.py``, 800 steps).
        variant: ``""`` for those; ``"hop8"`` with ``kbps=8`` for the deeper 8 kbit/s codec trained
            longer by ``benchmarks/codec_half_rate.py``. The registry name is ``codec_<kbps>kbps`` or
            ``codec_<kbps>kbps_<variant>`` (unknown: KeyError listing them).

    Returns:
        the codec.
    """
    blob = checkpoints.load(f"codec_{kbps}kbps" + (f"_{variant}" if variant else ""))
    model = WaveCodec(CodecConfig(**{**blob["config"], "strides": tuple(blob["config"]["strides"])}))
    model.load_state_dict(blob["state_dict"])
    return model.eval()


# --- The pipeline as a diagram ------------------------------------------------------------------
def draw_codec_pipeline(
    model: WaveCodec, wave: torch.Tensor, freqs: torch.Tensor | None = None
) -> plt.Figure:
    """Encoder -> bounded scalar quantiser -> arithmetic coder -> bytes -> decoder, with real shapes.

    ``wave`` is run through ``model`` (hooks read the shape after each strided stage) and through
    :func:`arithmetic_encode`, so every label is a measured shape or byte count.

    Args:
        model: the codec (e.g. ``pretrained_codec(16)``).
        wave: one recording ``(time,)`` at 8 kHz.
        freqs: ``(D, levels)`` coder tables (default: fitted on this clip's own codes).

    Returns:
        the figure.
    """
    wave = check_wave(wave, model.cfg.sample_rate, batch=False, name="wave")
    strided = [m for m in (*model.encoder, *model.decoder) if getattr(m, "stride", (1,))[0] > 1]
    seen: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: seen.append(out)) for m in strided]
    try:
        with torch.no_grad():
            codes = model.encode(wave)  # (1, D, frames)
            out = model.decode(codes, len(wave))  # (1, T)
    finally:
        for h in hooks:
            h.remove()
    cfg = model.cfg
    n_enc = len(cfg.strides)
    tables = frequency_tables(code_histograms(codes, cfg.levels)) if freqs is None else freqs
    stream = arithmetic_encode(codes[0], tables)
    kbps = 8 * len(stream) / (len(wave) / cfg.sample_rate) / 1000
    enc = "\n".join(f"Conv1d s={s} -> {shape(t)}" for s, t in zip(cfg.strides, seen[:n_enc], strict=True))
    dec = "\n".join(
        f"ConvT s={s} -> {shape(t)}" for s, t in zip(cfg.strides[::-1], seen[n_enc:], strict=True)
    )
    d = Diagram(
        13,
        8.6,
        f"Codec pipeline at {cfg.bitrate / 1000:.0f} kbit/s fixed-length on a "
        f"{len(wave) / cfg.sample_rate:.2g} s clip",
    )
    d.box("x", 1.6, 6.6, f"waveform x\n{shape(wave[None], 'B,T')}", "data", w=2.6)
    d.box("enc", 5.9, 6.6, f"encoder\n{enc}", "net", w=3.9, h=1.3)
    d.box("q", 11.3, 6.6, "round", "op", w=1.2, h=1.2)
    d.note(9.6, 5.4, f"u = {cfg.levels - 1}(tanh h + 1)/2", fontsize=8)
    d.box("c", 11.3, 4.2, f"codes c (int 0..{cfg.levels - 1})\n{shape(codes, 'B,D,F')}", "data", w=2.9)
    d.box("ac", 6.9, 4.2, "arithmetic\ncoder", "op", w=1.5, h=1.5)
    d.note(6.9, 3.1, f"tables {tuple(tables.shape)}: code frequencies, known to both ends", fontsize=8)
    d.box("bytes", 1.6, 4.2, f"bitstream\n{len(stream)} bytes\n= {kbps:.1f} kbit/s", "data", w=2.6, h=1.2)
    d.box("ad", 1.6, 1.5, "arithmetic\ndecoder", "op", w=1.5, h=1.5)
    d.box("dec", 6.6, 1.5, f"decoder\n{dec}", "net", w=3.9, h=1.3)
    d.box("y", 11.3, 1.5, f"waveform x̂\n{shape(out, 'B,T')}", "data", w=2.6)
    d.arrow("x", "enc").arrow("enc", "q", "h " + shape(codes, "B,D,F"), offset=(0, -0.5))
    d.arrow("q", "c").arrow("c", "ac").arrow("ac", "bytes").arrow(
        "bytes", "ad", "file or channel", offset=(1.0, 0)
    )
    d.arrow("ad", "dec", f"2c/{cfg.levels - 1} - 1", offset=(0.05, 0.1)).arrow("dec", "y")
    d.arrow("q", "enc", "training: straight-through gradient", grad=True, bend=0.5, offset=(0, 0.95))
    d.legend(("data", "net", "op", "forward", "grad"))
    return d.figure()

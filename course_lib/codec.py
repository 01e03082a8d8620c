"""Neural audio compression: quantised bottlenecks, measured bitrates and an arithmetic coder.

An autoencoder only becomes a *codec* once its code is a finite string of bits. This module
has everything the compression notebook measures, in four parts:

1. **Baselines** on waveforms: µ-law companding at b bits (ITU-T G.711 at 8 bits,
   {cite}`itu1988g711`), uniform (linear) PCM at b bits, and downsampling + 8-bit µ-law +
   upsampling. Each returns the decoded signal and its bitrate in bit/s.
2. **A learned codec**: a 1-D strided convolutional encoder/decoder (the SoundStream /
   EnCodec layout, {cite}`zeghidour2022soundstream`, {cite}`defossez2023encodec`, made tiny)
   with a *bounded scalar quantiser*: each latent channel is squashed by tanh and rounded to
   one of ``levels`` values, trained with the straight-through estimator
   {cite}`bengio2013estimating` or with additive uniform noise {cite}`balle2017endtoend`.
3. **Bitrate**: fixed-length rate = frames/s x channels x log2(levels); the empirical
   (zeroth-order) entropy of the codes, which an ideal entropy coder reaches; and the
   cross-entropy of test codes under probabilities fitted on training codes, which is what a
   real coder with a fixed table pays.
4. **An arithmetic coder** (integer implementation in the style of Witten, Neal and Cleary
   {cite}`witten1987arithmetic`): codes -> bytes -> codes, lossless, whose length matches the
   cross-entropy estimate to within a few bytes.

Shapes: waveforms are ``(time,)`` or ``(batch, time)``; the networks take ``(B, 1, T)``;
latents and codes are ``(B, latent_dim, frames)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib.audio import mu_law_decode, mu_law_encode, stft
from course_lib.restoration import check_wave, sisdr_loss

__all__ = [
    "check_mono",
    "mu_law_codec",
    "pcm_codec",
    "resample_codec",
    "ste_round",
    "ScalarQuantizer",
    "CodecConfig",
    "WaveCodec",
    "multi_resolution_stft_loss",
    "codec_loss",
    "random_crops",
    "train_codec",
    "fixed_bitrate",
    "code_histograms",
    "code_entropy_bits",
    "cross_entropy_bits",
    "frequency_tables",
    "arithmetic_encode",
    "arithmetic_decode",
    "config_to_dict",
    "CODEC_CHECKPOINTS",
    "pretrained_codec",
]


# ---------------------------------------------------------------------------------------
# Input checks shared by the codec and restoration modules
# ---------------------------------------------------------------------------------------


def check_mono(x: torch.Tensor, sample_rate: int = 8000) -> torch.Tensor:
    """Validate a mono 8 kHz waveform ``(time,)`` or batch ``(batch, time)``; return it as float32.

    The same rules as :func:`course_lib.restoration.check_wave` (one implementation).

    Raises:
        TypeError: not a float tensor / array.
        ValueError: sample rate other than 8000 Hz, empty, a ``(time, channels)`` stereo
            array, or more than two dimensions.
    """
    return check_wave(x, sample_rate, name="x")


# ---------------------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------------------


def mu_law_codec(x: torch.Tensor, bits: int, sample_rate: int = 8000) -> tuple[torch.Tensor, float]:
    """µ-law companding with ``2**bits`` levels (µ = 2**bits - 1); returns ``(decoded, bit/s)``.

    Bitrate = sample_rate x bits (8 bits at 8 kHz is G.711's 64 kbit/s).
    """
    x = check_mono(x, sample_rate)
    if not 1 <= bits <= 16:
        raise ValueError(f"bits must be in 1..16, got {bits}")
    levels = 2**bits
    return mu_law_decode(mu_law_encode(x.clamp(-1, 1), levels), levels), float(sample_rate * bits)


def pcm_codec(x: torch.Tensor, bits: int, sample_rate: int = 8000) -> tuple[torch.Tensor, float]:
    """Uniform mid-rise quantiser on [-1, 1] with ``2**bits`` levels; returns ``(decoded, bit/s)``.

    idx = floor((x + 1) / 2 * 2^b), x_hat = (idx + 1/2) / 2^b * 2 - 1.
    """
    x = check_mono(x, sample_rate)
    if not 1 <= bits <= 16:
        raise ValueError(f"bits must be in 1..16, got {bits}")
    levels = 2**bits
    idx = ((x + 1) / 2 * levels).floor().clamp(0, levels - 1)
    return (idx + 0.5) / levels * 2 - 1, float(sample_rate * bits)


def resample_codec(
    x: torch.Tensor, factor: int, bits: int = 8, sample_rate: int = 8000
) -> tuple[torch.Tensor, float]:
    """Downsample by an integer ``factor`` (polyphase anti-alias filter), store ``bits``-bit
    µ-law samples, upsample back. Returns ``(decoded, bit/s)`` with bit/s = sample_rate /
    factor x bits. Everything above the new Nyquist frequency sample_rate / (2 factor) is lost.
    """
    from scipy.signal import resample_poly

    x = check_mono(x, sample_rate)
    if factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor}")
    arr = x.detach().cpu().double().numpy()
    low = resample_poly(arr, 1, factor, axis=-1)
    low = np.clip(low, -1, 1)
    low_t = mu_law_decode(mu_law_encode(torch.from_numpy(low).float(), 2**bits), 2**bits)
    up = resample_poly(low_t.double().numpy(), factor, 1, axis=-1)[..., : x.shape[-1]]
    if up.shape[-1] < x.shape[-1]:
        up = np.pad(up, [(0, 0)] * (up.ndim - 1) + [(0, x.shape[-1] - up.shape[-1])])
    return torch.from_numpy(np.clip(up, -1, 1)).float(), float(sample_rate / factor * bits)


# ---------------------------------------------------------------------------------------
# Quantisation
# ---------------------------------------------------------------------------------------


def ste_round(x: torch.Tensor) -> torch.Tensor:
    """Round in the forward pass, identity in the backward pass (straight-through estimator).

    forward: round(x); backward: d/dx = 1. Written as x + (round(x) - x).detach().
    """
    return x + (x.round() - x).detach()


class ScalarQuantizer(nn.Module):
    """Bounded scalar quantiser: z = tanh(h), then each channel is rounded to one of L levels.

    codes = round((z + 1) / 2 * (L - 1)) in {0, ..., L - 1};  z_hat = 2 codes / (L - 1) - 1.

    Training modes (``mode``):
        ``"ste"``: the forward pass uses the rounded value, the backward pass treats rounding
            as the identity (:func:`ste_round`).
        ``"noise"``: rounding is replaced by additive uniform noise U(-1/2, 1/2) in code units
            (Ballé et al.), a differentiable proxy with the same error variance.
    In eval mode both return the truly quantised z_hat, so what the decoder sees at test
    time is exactly what the bitstream carries.
    """

    def __init__(self, levels: int, mode: str = "ste"):
        super().__init__()
        if levels < 2:
            raise ValueError(f"levels must be >= 2, got {levels}")
        if mode not in ("ste", "noise"):
            raise ValueError(f"mode must be 'ste' or 'noise', got {mode!r}")
        self.levels, self.mode = levels, mode

    def to_unit(self, h: torch.Tensor) -> torch.Tensor:
        """Continuous code position u = (tanh(h) + 1) / 2 * (L - 1) in [0, L - 1]."""
        return (torch.tanh(h) + 1) / 2 * (self.levels - 1)

    def codes(self, h: torch.Tensor) -> torch.Tensor:
        """Integer codes in [0, L - 1] (int64), same shape as ``h``."""
        return self.to_unit(h).round().long().clamp(0, self.levels - 1)

    def dequantize(self, codes: torch.Tensor) -> torch.Tensor:
        """z_hat = 2 codes / (L - 1) - 1 in [-1, 1]."""
        if codes.numel() and (codes.min() < 0 or codes.max() >= self.levels):
            raise ValueError(f"codes must lie in [0, {self.levels - 1}], got [{codes.min()}, {codes.max()}]")
        return codes.float() * 2 / (self.levels - 1) - 1

    def forward(self, h: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        u = self.to_unit(h)
        if self.training and self.mode == "noise":
            noise = torch.rand(u.shape, generator=generator, device=u.device) - 0.5
            u = u + noise
        else:
            u = ste_round(u)
        return u * 2 / (self.levels - 1) - 1


# ---------------------------------------------------------------------------------------
# The waveform codec
# ---------------------------------------------------------------------------------------


@dataclass
class CodecConfig:
    """A 1-D strided conv autoencoder with a scalar-quantised bottleneck.

    Attributes:
        sample_rate: Hz.
        strides: downsampling factor of each encoder stage (each must be even); the hop
            (samples per latent frame) is their product.
        channels: width of the first stage; each stage doubles it.
        latent_dim: number of quantised channels per frame.
        levels: quantisation levels per channel.
        res_units: dilated residual units per stage.
        quantizer: ``"ste"`` or ``"noise"`` (see :class:`ScalarQuantizer`).
    """

    sample_rate: int = 8000
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
        """Fixed-length bitrate in bit/s: frames/s x latent_dim x log2(levels)."""
        return fixed_bitrate(self.frame_rate, self.latent_dim, self.levels)

    @classmethod
    def tiny(cls) -> CodecConfig:
        return cls(strides=(2, 2), channels=4, latent_dim=2, levels=4, res_units=1)


class _ResUnit(nn.Module):
    """x + conv1x1(ELU(conv_k3,dilation d(ELU(x)))): keeps (B, C, T)."""

    def __init__(self, c: int, dilation: int):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, padding=dilation, dilation=dilation)
        self.proj = nn.Conv1d(c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.proj(F.elu(self.conv(F.elu(x))))


class WaveCodec(nn.Module):
    """Encoder -> scalar quantiser -> decoder on raw waveforms.

    A stage with stride s uses Conv1d(kernel 2s, stride s, padding s/2), which maps T to T/s
    exactly when s divides T; the decoder's ConvTranspose1d with the same numbers maps T/s
    back to T, so the output has the input's shape (inputs are zero-padded to a multiple of
    the hop and cropped back).
    """

    def __init__(self, cfg: CodecConfig):
        super().__init__()
        if any(s % 2 for s in cfg.strides):
            raise ValueError(f"every stride must be even, got {cfg.strides}")
        self.cfg = cfg
        c = cfg.channels
        enc: list[nn.Module] = [nn.Conv1d(1, c, 7, padding=3)]
        for s in cfg.strides:
            enc += [_ResUnit(c, 3**i) for i in range(cfg.res_units)]
            enc += [nn.ELU(), nn.Conv1d(c, 2 * c, 2 * s, stride=s, padding=s // 2)]  # (B, 2c, T/s)
            c *= 2
        enc += [nn.ELU(), nn.Conv1d(c, cfg.latent_dim, 3, padding=1)]  # (B, latent_dim, frames)
        self.encoder = nn.Sequential(*enc)
        self.quantizer = ScalarQuantizer(cfg.levels, cfg.quantizer)
        dec: list[nn.Module] = [nn.Conv1d(cfg.latent_dim, c, 7, padding=3)]
        for s in reversed(cfg.strides):
            dec += [nn.ELU(), nn.ConvTranspose1d(c, c // 2, 2 * s, stride=s, padding=s // 2)]  # (B, c/2, T s)
            c //= 2
            dec += [_ResUnit(c, 3**i) for i in range(cfg.res_units)]
        dec += [nn.ELU(), nn.Conv1d(c, 1, 7, padding=3)]  # (B, 1, T)
        self.decoder = nn.Sequential(*dec)

    def _pad(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
        if x.dim() == 1:
            x = x[None]
        if x.dim() != 2:
            raise ValueError(f"expected (time,) or (batch, time), got {tuple(x.shape)}")
        t = x.shape[-1]
        pad = (-t) % self.cfg.hop
        return F.pad(x, (0, pad))[:, None], t  # (B, 1, T_padded)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Waveform ``(time,)`` or ``(B, time)`` -> integer codes ``(B, latent_dim, frames)``."""
        xp, _ = self._pad(check_mono(x))
        return self.quantizer.codes(self.encoder(xp))

    def decode(self, codes: torch.Tensor, length: int | None = None) -> torch.Tensor:
        """Codes ``(B, latent_dim, frames)`` -> waveform ``(B, length)``."""
        y = self.decoder(self.quantizer.dequantize(codes))[:, 0]  # (B, T_padded)
        return y if length is None else y[:, :length]

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Reconstruction ``(B, time)`` through the (straight-through / noisy) quantiser."""
        xp, t = self._pad(x)
        z = self.quantizer(self.encoder(xp), generator)  # (B, latent_dim, frames)
        return self.decoder(z)[:, 0, :t]


# ---------------------------------------------------------------------------------------
# Losses and training
# ---------------------------------------------------------------------------------------


def multi_resolution_stft_loss(
    x: torch.Tensor, y: torch.Tensor, fft_sizes: Sequence[int] = (64, 128, 256, 512), eps: float = 1e-5
) -> torch.Tensor:
    """Mean over resolutions of mean |log(|X| + eps) - log(|Y| + eps)| (hop = n_fft / 4).

    Args:
        x, y: ``(B, time)`` reference and estimate.
    """
    loss = x.new_zeros(())
    for n in fft_sizes:
        mx = stft(x, n, n // 4).abs()  # (B, n/2+1, frames)
        my = stft(y, n, n // 4).abs()
        loss = loss + (torch.log(mx + eps) - torch.log(my + eps)).abs().mean()
    return loss / len(fft_sizes)


def codec_loss(x: torch.Tensor, y: torch.Tensor, spec_weight: float = 1.0) -> torch.Tensor:
    """Waveform L1 + ``spec_weight`` x multi-resolution log-STFT L1; pure function of tensors."""
    return (x - y).abs().mean() + spec_weight * multi_resolution_stft_loss(x, y)


def random_crops(
    waves: Sequence[torch.Tensor], n: int, length: int, generator: torch.Generator
) -> torch.Tensor:
    """``n`` random crops of ``length`` samples (zero-padded when a recording is shorter).

    Returns:
        ``(n, length)``.
    """
    out = torch.zeros(n, length)
    idx = torch.randint(len(waves), (n,), generator=generator)
    for row, i in enumerate(idx.tolist()):
        w = waves[i]
        if len(w) <= length:
            off = int(torch.randint(length - len(w) + 1, (1,), generator=generator))
            out[row, off : off + len(w)] = w
        else:
            off = int(torch.randint(len(w) - length + 1, (1,), generator=generator))
            out[row] = w[off : off + length]
    return out


def train_codec(
    model: WaveCodec,
    waves: Sequence[torch.Tensor],
    steps: int = 2000,
    batch_size: int = 16,
    crop: int = 4096,
    lr: float = 2e-3,
    spec_weight: float = 1.0,
    seed: int = 0,
    device: torch.device | str = "cpu",
    log_every: int = 0,
    sisdr_weight: float = 0.0,
) -> list[float]:
    """Plain Adam loop on random crops with :func:`codec_loss`; cosine learning-rate decay.

    ``sisdr_weight`` > 0 adds ``sisdr_weight`` x (-SI-SDR in dB) / 100 per crop
    (:func:`course_lib.restoration.sisdr_loss`), which pulls the decoded waveform towards the
    input's exact shape rather than only its spectrum.

    Returns:
        the loss of every step (floats).
    """
    g = torch.Generator().manual_seed(seed)
    model.to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    losses = []
    for step in range(steps):
        x = random_crops(waves, batch_size, crop, g).to(device)
        y = model(x)
        loss = codec_loss(x, y, spec_weight)
        if sisdr_weight:
            loss = loss + sisdr_weight * sisdr_loss(x, y) / 100
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if log_every and step % log_every == 0:
            print(f"step {step:5d}  loss {loss.item():.4f}")
    return losses


def config_to_dict(cfg: CodecConfig) -> dict:
    """JSON-friendly dict of a config (tuples become lists)."""
    d = asdict(cfg)
    d["strides"] = list(cfg.strides)
    return d


# ---------------------------------------------------------------------------------------
# Bitrate
# ---------------------------------------------------------------------------------------


def fixed_bitrate(frame_rate: float, latent_dim: int, levels: int) -> float:
    """bit/s of a fixed-length code: frame_rate x latent_dim x log2(levels).

    Example: 1000 frames/s x 4 channels x log2(16) = 16,000 bit/s.
    """
    if frame_rate <= 0 or latent_dim <= 0 or levels < 2:
        raise ValueError(
            f"need frame_rate > 0, latent_dim > 0, levels >= 2, got {frame_rate}, {latent_dim}, {levels}"
        )
    return frame_rate * latent_dim * math.log2(levels)


def code_histograms(codes: torch.Tensor | Sequence[torch.Tensor], levels: int) -> torch.Tensor:
    """Counts of each code value per latent channel.

    Args:
        codes: ``(B, D, frames)`` or a list of ``(1, D, frames_i)`` tensors.

    Returns:
        int64 ``(D, levels)``.
    """
    if isinstance(codes, torch.Tensor):
        codes = [codes]
    d = codes[0].shape[1]
    hist = torch.zeros(d, levels, dtype=torch.long)
    for c in codes:
        flat = c.permute(1, 0, 2).reshape(d, -1)  # (D, B * frames)
        for k in range(d):
            hist[k] += torch.bincount(flat[k], minlength=levels)
    return hist


def code_entropy_bits(hist: torch.Tensor) -> float:
    """Zeroth-order empirical entropy, summed over channels: Σ_k H(p_k) in bits per frame,
    with p_k the normalised histogram row k and H(p) = -Σ p log2 p."""
    p = hist.double() / hist.sum(-1, keepdim=True).clamp(min=1)
    h = -(p * torch.log2(p.clamp(min=1e-300))).sum(-1)
    return float(h.sum())


def cross_entropy_bits(hist_test: torch.Tensor, probs: torch.Tensor) -> float:
    """Bits per frame that a coder using ``probs`` ``(D, levels)`` pays on codes with
    histogram ``hist_test``: Σ_k Σ_v p_test,k(v) (-log2 probs_k(v))."""
    p = hist_test.double() / hist_test.sum(-1, keepdim=True).clamp(min=1)
    return float(-(p * torch.log2(probs.double())).sum())


def frequency_tables(hist: torch.Tensor, total_bits: int = 16) -> torch.Tensor:
    """Integer frequency tables for the arithmetic coder: every symbol gets count >= 1
    (so unseen symbols stay codable), rows sum to about 2**total_bits.

    Returns:
        int64 ``(D, levels)``, all entries >= 1.
    """
    p = (hist.double() + 0.5) / (hist.double() + 0.5).sum(-1, keepdim=True)
    return (p * 2**total_bits).round().long().clamp(min=1)


# ---------------------------------------------------------------------------------------
# Arithmetic coding
# ---------------------------------------------------------------------------------------

_PREC = 32
_FULL = 1 << _PREC
_HALF = _FULL >> 1
_QUARTER = _FULL >> 2


def _cumulative(freqs: torch.Tensor) -> list[list[int]]:
    if freqs.dim() != 2 or (freqs < 1).any():
        raise ValueError("frequency tables must be (D, levels) with every count >= 1")
    if int(freqs.sum(-1).max()) >= _QUARTER:
        raise ValueError(f"each table must sum to less than 2**{_PREC - 2}")
    return [[0, *np.cumsum(row.tolist()).tolist()] for row in freqs]


def arithmetic_encode(codes: torch.Tensor, freqs: torch.Tensor) -> bytes:
    """Encode integer codes ``(D, frames)`` with per-channel static tables ``(D, levels)``.

    Symbols are coded frame by frame (channel k of frame t uses table k). Interval update,
    with integers: range = high - low + 1; high = low + range cum[s+1] / total - 1;
    low = low + range cum[s] / total; then renormalise by emitting the bits that low and high
    share (with the usual "pending bits" rule for the middle half). The stream holds the
    number of frames (4 bytes) and the bits; the tables are side information known to both ends.

    Returns:
        the compressed bytes; ``len(result) * 8`` is the real rate.
    """
    if codes.dim() != 2:
        raise ValueError(f"expected codes of shape (D, frames), got {tuple(codes.shape)}")
    d, n = codes.shape
    if freqs.shape[0] != d:
        raise ValueError(f"need one table per channel: codes have {d}, tables {freqs.shape[0]}")
    if codes.numel() and (codes.min() < 0 or codes.max() >= freqs.shape[1]):
        raise ValueError(f"codes must lie in [0, {freqs.shape[1] - 1}]")
    cums = _cumulative(freqs)
    seq = codes.T.reshape(-1).tolist()  # frame-major: t0k0, t0k1, ...
    bits: list[int] = []
    low, high, pending = 0, _FULL - 1, 0
    for i, s in enumerate(seq):
        cum = cums[i % d]
        total = cum[-1]
        rng = high - low + 1
        high = low + rng * cum[s + 1] // total - 1
        low = low + rng * cum[s] // total
        while True:
            if high < _HALF:
                bits.append(0)
                bits.extend([1] * pending)
                pending = 0
            elif low >= _HALF:
                bits.append(1)
                bits.extend([0] * pending)
                pending = 0
                low -= _HALF
                high -= _HALF
            elif low >= _QUARTER and high < 3 * _QUARTER:
                pending += 1
                low -= _QUARTER
                high -= _QUARTER
            else:
                break
            low, high = 2 * low, 2 * high + 1
    pending += 1
    if low < _QUARTER:
        bits.append(0)
        bits.extend([1] * pending)
    else:
        bits.append(1)
        bits.extend([0] * pending)
    payload = np.packbits(np.array(bits, dtype=np.uint8)).tobytes()
    return n.to_bytes(4, "big") + payload


def arithmetic_decode(data: bytes, freqs: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`arithmetic_encode` given the same tables.

    Returns:
        int64 codes ``(D, frames)``.
    """
    if len(data) < 4:
        raise ValueError("stream too short: it must start with a 4-byte frame count")
    d = freqs.shape[0]
    n = int.from_bytes(data[:4], "big")
    cums = _cumulative(freqs)
    bits = np.unpackbits(np.frombuffer(data[4:], dtype=np.uint8)).tolist()
    nbits = len(bits)
    pos = 0

    def next_bit() -> int:
        nonlocal pos
        b = bits[pos] if pos < nbits else 0
        pos += 1
        return b

    value = 0
    for _ in range(_PREC):
        value = 2 * value + next_bit()
    low, high = 0, _FULL - 1
    out = []
    for i in range(n * d):
        cum = cums[i % d]
        total = cum[-1]
        rng = high - low + 1
        target = ((value - low + 1) * total - 1) // rng
        # binary search for s with cum[s] <= target < cum[s+1]
        lo, hi = 0, len(cum) - 2
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if cum[mid] <= target:
                lo = mid
            else:
                hi = mid - 1
        s = lo
        out.append(s)
        high = low + rng * cum[s + 1] // total - 1
        low = low + rng * cum[s] // total
        while True:
            if high < _HALF:
                pass
            elif low >= _HALF:
                low -= _HALF
                high -= _HALF
                value -= _HALF
            elif low >= _QUARTER and high < 3 * _QUARTER:
                low -= _QUARTER
                high -= _QUARTER
                value -= _QUARTER
            else:
                break
            low, high = 2 * low, 2 * high + 1
            value = 2 * value + next_bit()
    return torch.tensor(out, dtype=torch.long).reshape(n, d).T.contiguous()


# ---------------------------------------------------------------------------------------
# Committed checkpoints (benchmarks/codec_train.py)
# ---------------------------------------------------------------------------------------

#: SHA-256 of the committed codec checkpoints, checked before loading.
CODEC_CHECKPOINTS: dict[str, str] = {
    "codec_16kbps.pt": "06ae97fdd50dd6ac0c185a262b295b0a3551002766a0a7730e11dce259f9977b",
    "codec_8kbps.pt": "9ec2a5d7d83adcfaf975e3b2a12a275dd546e0a7dc62bb600d50f94a7afbe248",
    "codec_4kbps.pt": "9553b3591f965226bc57c16c8d48f3c6051cdf0ff9978f8d111238bbffaa178f",
}


def pretrained_codec(kbps: int) -> WaveCodec:
    """The committed learned codec with a fixed-length rate of ``kbps`` kbit/s (16, 8 or 4),
    trained by ``benchmarks/codec_train.py``; hash-checked, ``weights_only=True``, eval mode."""
    from course_lib.restoration import load_checkpoint
    from course_lib.utils import committed_checkpoint

    name = f"codec_{kbps}kbps.pt"
    if name not in CODEC_CHECKPOINTS:
        raise ValueError(f"no committed codec at {kbps} kbit/s; available: {sorted(CODEC_CHECKPOINTS)}")
    blob = load_checkpoint(committed_checkpoint(name, CODEC_CHECKPOINTS[name]), CODEC_CHECKPOINTS[name])
    cfg = dict(blob["config"])
    cfg["strides"] = tuple(cfg["strides"])
    model = WaveCodec(CodecConfig(**cfg))
    model.load_state_dict(blob["state_dict"])
    return model.eval()

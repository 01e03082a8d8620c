"""course_lib.codec: quantiser, bitrate arithmetic, arithmetic coder, baselines, codec shapes."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib import codec as C
from course_lib.metrics import snr


def tone(n: int = 4000) -> torch.Tensor:
    t = torch.arange(n) / 8000
    return (0.5 * torch.sin(2 * math.pi * 220 * t) * torch.exp(-3 * t)).float()


def test_ste_round_forward_rounds_and_gradient_is_identity():
    x = torch.tensor([-1.6, -0.4, 0.2, 0.5001, 2.7], requires_grad=True)
    y = C.ste_round(x)
    assert torch.equal(y.detach(), x.detach().round())
    w = torch.randn(5)
    (y * w).sum().backward()
    assert torch.equal(x.grad, w)


@pytest.mark.parametrize("mode", ["ste", "noise"])
def test_quantizer_codes_in_range_and_eval_matches_bitstream(mode):
    q = C.ScalarQuantizer(levels=5, mode=mode)
    h = 4 * torch.randn(3, 2, 50)
    codes = q.codes(h)
    assert codes.dtype == torch.int64 and codes.min() >= 0 and codes.max() <= 4
    assert set(codes.unique().tolist()) == set(range(5))  # wide inputs reach both ends
    q.eval()
    assert torch.allclose(q(h), q.dequantize(codes), atol=1e-6)
    with pytest.raises(ValueError, match="codes must lie"):
        q.dequantize(torch.tensor([5]))


def test_noise_quantizer_error_is_uniform_in_training():
    q = C.ScalarQuantizer(levels=16, mode="noise").train()
    h = torch.zeros(20000)
    z = q(h, torch.Generator().manual_seed(0))
    step = 2 / 15
    err = (z - torch.tanh(h)) / step  # in code units: U(-1/2, 1/2)
    assert err.abs().max() <= 0.5 + 1e-6
    assert abs(err.var().item() - 1 / 12) < 0.005


def test_bitrate_arithmetic():
    assert C.fixed_bitrate(1000, 4, 16) == 16000
    assert C.fixed_bitrate(500, 3, 8) == 4500
    cfg = C.CodecConfig(strides=(2, 4), latent_dim=4, levels=16)
    assert cfg.hop == 8 and cfg.frame_rate == 1000 and cfg.bitrate == 16000
    assert C.mu_law_codec(tone(), 8)[1] == 64000
    assert C.pcm_codec(tone(), 4)[1] == 32000
    assert C.resample_codec(tone(), 4, bits=8)[1] == 16000
    with pytest.raises(ValueError):
        C.fixed_bitrate(1000, 4, 1)


def test_entropy_of_uniform_and_constant_codes():
    hist = torch.tensor([[10, 10, 10, 10], [40, 0, 0, 0]])
    assert C.code_entropy_bits(hist) == pytest.approx(2.0)
    probs = torch.full((2, 4), 0.25)
    assert C.cross_entropy_bits(hist, probs) == pytest.approx(4.0)


@pytest.mark.parametrize("skew", [0.0, 2.0])
def test_arithmetic_coder_round_trip_is_lossless_and_near_entropy(skew):
    g = torch.Generator().manual_seed(1)
    levels, d, n = 8, 3, 1000
    logits = -skew * torch.arange(levels).float()
    codes = torch.multinomial(logits.softmax(0), d * n, replacement=True, generator=g).reshape(d, n)
    hist = C.code_histograms(codes[None], levels)
    freqs = C.frequency_tables(hist)
    data = C.arithmetic_encode(codes, freqs)
    assert torch.equal(C.arithmetic_decode(data, freqs), codes)
    ideal_bits = C.cross_entropy_bits(hist, freqs.double() / freqs.sum(-1, keepdim=True)) * n
    payload_bits = (len(data) - 4) * 8
    assert ideal_bits <= payload_bits <= ideal_bits + 16
    if skew > 0:
        assert payload_bits < 0.7 * d * n * math.log2(levels)  # entropy coding pays off


def test_arithmetic_coder_codes_unseen_symbols():
    freqs = C.frequency_tables(torch.tensor([[100, 0, 0, 0]]))
    codes = torch.tensor([[0, 3, 0, 2, 1, 0]])
    assert torch.equal(C.arithmetic_decode(C.arithmetic_encode(codes, freqs), freqs), codes)


def test_baselines_error_shrinks_with_bits():
    x = tone()
    errs = [snr(x, C.mu_law_codec(x, b)[0]).item() for b in (2, 4, 8)]
    assert errs[0] < errs[1] < errs[2]
    y, _ = C.pcm_codec(x, 8)
    assert (y - x).abs().max() <= 1 / 256 + 1e-6  # half a step of 2/256
    y, _ = C.resample_codec(torch.stack([x, x]), 2)
    assert y.shape == (2, x.shape[-1])


@pytest.mark.parametrize("length", [1000, 1003, 7])
def test_codec_returns_input_shape(length):
    torch.manual_seed(0)
    model = C.WaveCodec(C.CodecConfig.tiny()).eval()
    x = 0.1 * torch.randn(2, length)
    assert model(x).shape == x.shape
    codes = model.encode(x)
    frames = math.ceil(length / model.cfg.hop)
    assert codes.shape == (2, model.cfg.latent_dim, frames)
    assert codes.min() >= 0 and codes.max() < model.cfg.levels
    y = model.decode(codes, length)
    assert torch.allclose(y, model(x), atol=1e-5)  # eval forward == bitstream path


def test_codec_training_reduces_loss():
    torch.manual_seed(0)
    model = C.WaveCodec(C.CodecConfig.tiny())
    waves = [tone(3000), 0.5 * tone(2000)]
    losses = C.train_codec(model, waves, steps=80, batch_size=4, crop=512, lr=3e-3)
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5
    # with the SI-SDR term the loss includes -SI-SDR / 100, and it still goes down
    torch.manual_seed(0)
    model = C.WaveCodec(C.CodecConfig.tiny())
    losses = C.train_codec(model, waves, steps=80, batch_size=4, crop=512, lr=3e-3, sisdr_weight=1.0)
    assert sum(losses[-5:]) / 5 < sum(losses[:5]) / 5 - 0.02


def test_clear_errors_on_bad_input():
    with pytest.raises(ValueError, match="8000 Hz"):
        C.mu_law_codec(tone(), 8, sample_rate=16000)
    with pytest.raises(ValueError, match="stereo"):
        C.pcm_codec(torch.zeros(4000, 2), 8)
    with pytest.raises(ValueError, match="non-empty"):
        C.WaveCodec(C.CodecConfig.tiny()).encode(torch.zeros(0))
    with pytest.raises(TypeError):
        C.mu_law_codec(torch.zeros(10, dtype=torch.int16), 8)
    with pytest.raises(ValueError, match="even"):
        C.WaveCodec(C.CodecConfig(strides=(3,)))

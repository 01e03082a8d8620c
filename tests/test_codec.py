"""course_lib.codec: quantiser, bitrate arithmetic, arithmetic coder, baselines, codec shapes, training."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib import codec as C
from course_lib.audio import SAMPLE_RATE
from course_lib.metrics import snr
from tests.conftest import assert_rng_untouched

TINY = C.CodecConfig(strides=(2, 2), channels=4, latent_dim=2, levels=4, res_units=1)


def tone(n: int = 4000) -> torch.Tensor:
    t = torch.arange(n) / SAMPLE_RATE
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
    torch.manual_seed(0)
    model = C.WaveCodec(C.CodecConfig(**{**TINY.__dict__, "levels": 5, "quantizer": mode})).eval()
    with torch.no_grad():
        model.encoder[-1].weight.mul_(50)  # wide latents reach both ends of the code range
        x = 0.3 * torch.randn(3, 400)
        codes = model.encode(x)
        assert codes.dtype == torch.int64 and codes.min() >= 0 and codes.max() <= 4
        assert set(codes.unique().tolist()) == set(range(5))
        assert torch.allclose(model(x), model.decode(codes, 400), atol=1e-5)
    with pytest.raises(ValueError, match="codes must lie"):
        model.decode(torch.full((1, 2, 3), 5))


def test_noise_quantizer_error_is_uniform_in_training():
    torch.manual_seed(0)
    model = C.WaveCodec(C.CodecConfig(**{**TINY.__dict__, "levels": 16, "quantizer": "noise"})).train()
    seen = []
    model.decoder.register_forward_pre_hook(lambda m, inp: seen.append(inp[0]))
    x = 0.1 * torch.randn(4, 8000)
    with torch.no_grad():
        model(x, torch.Generator().manual_seed(0))
        u = model._latent(x)
    err = (seen[0] + 1) / 2 * 15 - u  # in code units: U(-1/2, 1/2)
    assert err.abs().max() <= 0.5 + 1e-5
    assert abs(err.var().item() - 1 / 12) < 0.005


def test_bitrate_arithmetic():
    cfg = C.CodecConfig(strides=(2, 4), latent_dim=4, levels=16)
    assert cfg.hop == 8 and cfg.frame_rate == 1000 and cfg.bitrate == 16000
    assert C.CodecConfig(strides=(2, 8), latent_dim=3, levels=8).bitrate == 4500
    assert C.pcm_codec(tone(), 8)[1] == 64000
    assert C.pcm_codec(tone(), 4, law="linear")[1] == 32000
    assert C.pcm_codec(tone(), 8, downsample=4)[1] == 16000


def test_entropy_of_uniform_and_constant_codes():
    hist = torch.tensor([[10, 10, 10, 10], [40, 0, 0, 0]])
    assert C.cross_entropy_bits(hist) == pytest.approx(2.0)  # the empirical entropy
    assert C.cross_entropy_bits(hist, torch.full((2, 4), 0.25)) == pytest.approx(4.0)


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


def test_arithmetic_coder_codes_unseen_symbols_and_rejects_bad_input():
    freqs = C.frequency_tables(torch.tensor([[100, 0, 0, 0]]))
    codes = torch.tensor([[0, 3, 0, 2, 1, 0]])
    assert torch.equal(C.arithmetic_decode(C.arithmetic_encode(codes, freqs), freqs), codes)
    with pytest.raises(ValueError, match="must lie"):
        C.arithmetic_encode(torch.tensor([[4]]), freqs)
    with pytest.raises(ValueError, match="one table per row"):
        C.arithmetic_encode(torch.zeros(2, 3, dtype=torch.long), freqs)
    with pytest.raises(ValueError, match="count >= 1"):
        C.arithmetic_encode(codes, torch.zeros(1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="too short"):
        C.arithmetic_decode(b"\x00", freqs)


def test_code_histograms_of_a_list():
    codes = [torch.tensor([[[0, 1, 1]]]), torch.tensor([[[2, 1]]])]
    assert C.code_histograms(codes, 3).tolist() == [[1, 3, 1]]


def test_baselines_error_shrinks_with_bits():
    x = tone()
    errs = [snr(x, C.pcm_codec(x, b)[0]).item() for b in (2, 4, 8)]
    assert errs[0] < errs[1] < errs[2]
    y, _ = C.pcm_codec(x, 8, law="linear")
    assert (y - x).abs().max() <= 1 / 256 + 1e-6  # half a step of 2/256
    y, _ = C.pcm_codec(torch.stack([x, x]), 8, downsample=2)
    assert y.shape == (2, x.shape[-1])


@pytest.mark.parametrize("length", [1000, 1003, 7])
def test_codec_returns_input_shape(length):
    torch.manual_seed(0)
    model = C.WaveCodec(TINY).eval()
    x = 0.1 * torch.randn(2, length)
    assert model(x).shape == x.shape
    codes = model.encode(x)
    frames = math.ceil(length / model.cfg.hop)
    assert codes.shape == (2, model.cfg.latent_dim, frames)
    assert codes.min() >= 0 and codes.max() < model.cfg.levels
    y = model.decode(codes, length)
    assert torch.allclose(y, model(x), atol=1e-5)  # eval forward == bitstream path


def test_codec_training_reduces_loss_and_leaves_global_rng_alone():
    torch.manual_seed(0)
    model = C.WaveCodec(TINY)
    waves = [tone(3000), 0.5 * tone(2000)]
    config = C.CodecTrainConfig(steps=80, batch_size=4, crop=512, lr=3e-3, spec_weight=1.0, sisdr_weight=0.0)
    losses = assert_rng_untouched(C.train_codec, model, waves, config).losses["loss"]
    assert len(losses) == 80 and not model.training
    assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5
    # with the SI-SDR term (the committed recipe) the SI-SDR of the crops goes up
    torch.manual_seed(0)
    model = C.WaveCodec(TINY)
    config = C.CodecTrainConfig(steps=80, batch_size=4, crop=512, lr=3e-3)
    scores = assert_rng_untouched(C.train_codec, model, waves, config).losses["si_sdr"]
    assert sum(scores[-5:]) / 5 > sum(scores[:5]) / 5 + 2


def test_pretrained_codecs_load():
    model = C.pretrained_codec(4)
    assert not model.training and model.cfg.bitrate == 4000
    with torch.no_grad():
        y = model.decode(model.encode(tone()), 4000)
    assert y.shape == (1, 4000)
    with pytest.raises(KeyError, match="codec_16kbps"):
        C.pretrained_codec(12)


def test_clear_errors_on_bad_input():
    with pytest.raises(ValueError, match="8000 Hz"):
        C.pcm_codec(tone(), 8, sample_rate=16000)
    with pytest.raises(ValueError, match="stereo"):
        C.pcm_codec(torch.zeros(4000, 2), 8)
    with pytest.raises(ValueError, match="empty"):
        C.WaveCodec(TINY).encode(torch.zeros(0))
    with pytest.raises(TypeError):
        C.pcm_codec(torch.zeros(10, dtype=torch.int16), 8)
    with pytest.raises(ValueError, match="bits"):
        C.pcm_codec(tone(), 0)
    with pytest.raises(ValueError, match="even"):
        C.WaveCodec(C.CodecConfig(strides=(3,)))


def test_draw_codec_pipeline_labels_real_shapes_and_stream_size():
    import matplotlib.pyplot as plt

    torch.manual_seed(0)
    model = C.WaveCodec(TINY).eval()
    wave = tone(800)
    fig = C.draw_codec_pipeline(model, wave)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    frames = 800 // TINY.hop
    codes = model.encode(wave)
    stream = C.arithmetic_encode(codes[0], C.frequency_tables(C.code_histograms(codes, TINY.levels)))
    assert "(B=1, T=800)" in texts and f"(B=1, D=2, F={frames})" in texts
    assert "(1, 8, 400)" in texts and "(1, 16, 200)" in texts  # after each strided encoder stage
    assert f"{len(stream)} bytes" in texts
    assert "Codec pipeline" in fig.axes[0].get_title()
    plt.close(fig)

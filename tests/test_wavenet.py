"""Tests of course_lib.wavenet: causality and receptive field by gradient probes, exact cached
generation, µ-law targets, shapes and errors, checkpoints."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib import wavenet as wn
from course_lib.utils import sha256_file


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models: one compute thread avoids thread-pool overhead on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny_model() -> wn.WaveNet:
    torch.manual_seed(0)
    return wn.WaveNet(wn.WaveNetConfig.tiny()).eval()


def test_receptive_field_formula():
    cfg = wn.WaveNetConfig.tiny(layers_per_stack=4, n_stacks=3, kernel_size=3)
    assert cfg.dilations == [1, 2, 4, 8] * 3
    assert wn.WaveNet(cfg).receptive_field == 2 * 15 * 3 + 1
    assert wn.WaveNetConfig().receptive_field == 2047  # 2 stacks of dilations 1..512


@pytest.mark.parametrize("kernel_size", [2, 3])
def test_causality_and_receptive_field_by_gradient_probe(kernel_size):
    torch.manual_seed(0)
    model = wn.WaveNet(wn.WaveNetConfig.tiny(n_global=0, n_local=0, kernel_size=kernel_size)).eval()
    rf = model.receptive_field
    T = 3 * rf
    h = torch.randn(1, model.cfg.residual_channels, T)
    for t in (rf + 3, T - 2):
        support = wn.input_gradient_support(model.forward_embedded, h, t)
        # non-zero exactly for t - RF < t' <= t: nothing from the future, everything in the field
        assert support.tolist() == list(range(t - rf + 1, t + 1))


def test_gradient_probe_near_the_start_sees_only_the_available_past(tiny_model):
    model = wn.WaveNet(wn.WaveNetConfig.tiny(n_global=0, n_local=0)).eval()
    h = torch.randn(1, model.cfg.residual_channels, 40)
    assert wn.input_gradient_support(model.forward_embedded, h, 2).tolist() == [0, 1, 2]


def test_plain_conv_stack_receptive_field_grows_linearly():
    torch.manual_seed(0)
    sizes = []
    for n in (2, 4, 8):
        net = wn.PlainConvStack(n, channels=16, kernel_size=2, dilation=2)
        x = torch.randn(4, 1, 64)
        support = wn.input_gradient_support(net, x, 60)
        assert support.max().item() == 60  # causal
        sizes.append(60 - support.min().item() + 1)
    assert sizes == [1 + 2 * n for n in (2, 4, 8)]  # 1 + n (k - 1) d: linear in depth


@pytest.mark.parametrize("kernel_size", [2, 3])
def test_cached_generation_matches_naive(kernel_size):
    torch.manual_seed(1)
    model = wn.WaveNet(wn.WaveNetConfig.tiny(kernel_size=kernel_size)).eval()
    g = torch.tensor([0, 2])
    c = torch.randn(2, model.cfg.n_local, 12)
    prompt = torch.randint(0, 256, (2, 7))
    kw = dict(g=g, c=c, prompt=prompt, seed=3, return_logits=True)
    a, la = wn.generate_naive(model, 24, **kw)
    b, lb = wn.generate_cached(model, 24, **kw)
    assert a.shape == (2, 24) and la.shape == (2, 24, 256)
    assert (la - lb).abs().max().item() < 1e-5
    assert torch.equal(a, b)


def test_cached_generation_unconditioned_batch_and_temperature():
    torch.manual_seed(2)
    model = wn.WaveNet(wn.WaveNetConfig.tiny(n_global=0, n_local=0)).eval()
    a = wn.generate_naive(model, 25, batch_size=3, temperature=0.7, seed=5)
    b = wn.generate_cached(model, 25, batch_size=3, temperature=0.7, seed=5)
    assert torch.equal(a, b)
    # temperature 0 is the arg-max of the logits that produced each step
    codes, logits = wn.generate_cached(model, 10, batch_size=2, temperature=0.0, return_logits=True)
    assert torch.equal(codes, logits.argmax(-1))


def test_sampling_follows_the_softmax():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.7]])).expand(20000, 3)
    u = torch.rand(20000, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(wn.sample_from_logits(logits, u), minlength=3).float() / 20000
    assert torch.allclose(freq, torch.tensor([0.1, 0.2, 0.7]), atol=0.015)


def test_mu_law_targets_in_range_and_batches_masked():
    gen = torch.Generator().manual_seed(0)
    waves = [torch.rand(n, generator=gen) * 2 - 1 for n in (50, 300, 1000)]
    waves[0][0] = 1.0
    waves[1][0] = -1.0
    codes = wn.encode_dataset(waves)
    assert all(c.dtype == torch.int64 and c.min() >= 0 and c.max() <= 255 for c in codes)
    assert codes[0][0] == 255 and codes[1][0] == 0
    x, mask, _ = wn.make_batch(codes, [0, 2], 200, gen)
    assert x.shape == (2, 201) and mask.shape == (2, 200)
    assert x.min() >= 0 and x.max() <= 255
    assert mask[0].sum() == 49 and mask[1].all()  # the short file is padded and masked
    assert (x[0, 50:] == wn.SILENCE_CODE).all()
    with pytest.raises(ValueError, match="peak"):
        wn.encode_dataset([torch.tensor([0.0, 1.5])])


def test_forward_shapes(tiny_model):
    x = torch.randint(0, 256, (2, 33))
    out = tiny_model(x, g=torch.tensor([1, 2]), c=torch.randn(2, 4, 9))
    assert out.shape == (2, 256, 33)


def test_bad_inputs_raise(tiny_model):
    g, c = torch.tensor([1, 2]), torch.randn(2, 4, 9)
    x = torch.randint(0, 256, (2, 33))
    with pytest.raises(ValueError, match="integer codes"):
        tiny_model(torch.randn(2, 33), g=g, c=c)
    with pytest.raises(ValueError, match="integer codes"):
        tiny_model(x[0], g=g, c=c)
    with pytest.raises(ValueError, match="codes must lie"):
        tiny_model(x + 256, g=g, c=c)
    with pytest.raises(ValueError, match="globally conditioned"):
        tiny_model(x, c=c)
    with pytest.raises(ValueError, match="labels must lie"):
        tiny_model(x, g=torch.tensor([0, 3]), c=c)
    with pytest.raises(ValueError, match="c must have shape"):
        tiny_model(x, g=g, c=torch.randn(2, 5, 9))
    plain = wn.WaveNet(wn.WaveNetConfig.tiny(n_global=0, n_local=0))
    with pytest.raises(ValueError, match="n_global=0"):
        plain(x, g=g)
    with pytest.raises(ValueError, match="n_samples"):
        wn.generate_cached(plain, 0)
    with pytest.raises(ValueError, match="temperature"):
        wn.generate_naive(plain, 3, temperature=-1.0)
    with pytest.raises(ValueError, match="kernel_size"):
        wn.WaveNetConfig(kernel_size=1).validate()
    with pytest.raises(ValueError, match="t must lie"):
        wn.input_gradient_support(plain.forward_embedded, torch.randn(1, 8, 10), 10)


def test_training_lowers_the_nll_below_the_baselines():
    torch.manual_seed(0)
    t = torch.arange(1200, dtype=torch.float32)
    waves = [0.5 * torch.sin(2 * math.pi * f * t / 8000) for f in (300.0, 450.0)]
    codes = wn.encode_dataset(waves)
    model = wn.WaveNet(wn.WaveNetConfig.tiny(n_global=0, n_local=0, layers_per_stack=3, n_stacks=1))
    before = wn.nll_bits(model, codes)
    hist = wn.train_wavenet(model, codes, steps=40, batch_size=2, segment=100, lr=1e-2, log_every=10)
    after = wn.nll_bits(model, codes)
    assert hist[-1] < hist[0] and after < before - 2.0
    assert after < wn.unigram_nll_bits(wn.unigram_fit(codes), codes)


def test_baselines_unigram_and_lpc():
    gen = torch.Generator().manual_seed(0)
    # uniform codes: the unigram model costs about 8 bits per sample
    codes = [torch.randint(0, 256, (4000,), generator=gen)]
    assert abs(wn.unigram_nll_bits(wn.unigram_fit(codes), codes) - 8.0) < 0.05
    # an AR(2) resonance is predictable: LPC beats the unigram model by a wide margin
    e = 0.01 * torch.randn(8000, generator=gen, dtype=torch.float64)
    x = torch.zeros(8000, dtype=torch.float64)
    for i in range(2, 8000):
        x[i] = 1.8 * x[i - 1] - 0.9 * x[i - 2] + e[i]
    codes = wn.encode_dataset([(x / x.abs().max() * 0.9).float()])
    lpc = wn.fit_lpc(codes, order=4)
    assert abs(lpc.coeffs[0].item() - 1.8) < 0.2
    assert wn.lpc_nll_bits(lpc, codes) < wn.unigram_nll_bits(wn.unigram_fit(codes), codes) - 1.0


def test_checkpoint_roundtrip_and_hash_verification(tmp_path, tiny_model):
    path = tmp_path / "m.pt"
    digest = wn.save_checkpoint(tiny_model, path)
    assert digest == sha256_file(path)
    loaded, _ = wn.load_checkpoint(path, digest)
    x, g, c = torch.randint(0, 256, (1, 20)), torch.tensor([1]), torch.randn(1, 4, 6)
    assert torch.equal(loaded(x, g=g, c=c), tiny_model(x, g=g, c=c))
    with pytest.raises(ValueError, match="SHA-256"):
        wn.load_checkpoint(path, "0" * 64)
    with pytest.raises(FileNotFoundError):
        wn.load_checkpoint(tmp_path / "missing.pt", digest)
    den = wn.DenoisingWaveNet(wn.DenoiserConfig.tiny())
    d2 = wn.save_checkpoint(den, tmp_path / "d.pt")
    den2, _ = wn.load_checkpoint(tmp_path / "d.pt", d2)
    assert isinstance(den2, wn.DenoisingWaveNet)
    with pytest.raises(KeyError):
        wn.load_pretrained("no-such-model")


@pytest.mark.parametrize("name", sorted(wn.CHECKPOINTS))
def test_shipped_checkpoints_match_their_hashes(name):
    model, _ = wn.load_pretrained(name)
    assert sum(p.numel() for p in model.parameters()) > 0


def test_denoiser_is_non_causal_with_a_centred_field():
    torch.manual_seed(0)
    model = wn.DenoisingWaveNet(wn.DenoiserConfig.tiny()).eval()
    rf = model.receptive_field  # (3 - 1) * (1 + 2 + 4) + 1 = 15
    assert rf == 15
    x = torch.randn(1, 1, 60)
    support = wn.input_gradient_support(model.net, x, 30).tolist()
    assert support == list(range(30 - rf // 2, 30 + rf // 2 + 1))
    y = wn.denoise(model, torch.randn(3, 100))
    assert y.shape == (3, 100)
    with pytest.raises(ValueError, match="odd"):
        wn.DenoisingWaveNet(wn.DenoiserConfig.tiny(kernel_size=2))
    with pytest.raises(ValueError, match="float waveform"):
        model(torch.randn(100))


def test_noisy_batches_have_the_requested_snr():
    gen = torch.Generator().manual_seed(0)
    clean_waves = [torch.randn(500, generator=gen) * 0.1 for _ in range(3)]
    clean, noisy = wn.make_noisy_batch(clean_waves, [0, 1], 400, gen, snr_db=(5.0, 5.0))
    snr = 10 * torch.log10(clean.pow(2).sum(1) / (noisy - clean).pow(2).sum(1))
    assert torch.allclose(snr, torch.full((2,), 5.0), atol=1e-3)


def test_make_batch_lead_puts_silence_before_the_utterance():
    codes = [torch.arange(10, 410)]  # one utterance of 400 codes, none equal to silence
    gen = torch.Generator().manual_seed(0)
    starts = set()
    for _ in range(30):
        x, mask, _ = wn.make_batch(codes, [0], 200, gen, hop=20, lead=100)
        first = int((x[0] != wn.SILENCE_CODE).nonzero()[0])
        starts.add(first)
        assert (x[0, :first] == wn.SILENCE_CODE).all()
        assert torch.equal(x[0, first:], codes[0][: 201 - first]) or first == 0
        # targets: every utterance sample in the crop, including the first one after silence
        assert mask[0].sum() == 200 - max(first - 1, 0) and not mask[0, : max(first - 1, 0)].any()
    assert max(starts) > 0 and 0 in starts
    with pytest.raises(ValueError, match="lead"):
        wn.make_batch(codes, [0], 200, gen, feats=[torch.zeros(4, 5)], lead=80)

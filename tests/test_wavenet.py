"""Tests of course_lib.wavenet: causality and receptive field by gradient probes, exact cached
generation, µ-law targets and crops, shapes and errors, the one training loop, the denoiser,
the committed checkpoints, and that nothing touches the global RNG."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest
import torch

from course_lib import wavenet as wn
from tests.conftest import assert_rng_untouched

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "wavenet_train.py"


def tiny(**overrides) -> wn.WaveNetConfig:
    """The smallest WaveNet exercising every code path (both kinds of conditioning)."""
    base = dict(residual_channels=8, gate_channels=8, skip_channels=16, layers_per_stack=3, n_stacks=2)
    return wn.WaveNetConfig(
        **{**base, "n_global": 3, "n_local": 4, "local_hop": 4, "cond_channels": 6, **overrides}
    )


def tiny_denoiser(**overrides) -> wn.StackConfig:
    base = dict(residual_channels=4, gate_channels=4, skip_channels=4, kernel_size=3, layers_per_stack=3)
    return wn.StackConfig(**{**base, "n_stacks": 1, **overrides})


@pytest.fixture
def tiny_model() -> wn.WaveNet:
    torch.manual_seed(0)
    return wn.WaveNet(tiny()).eval()


def sines(freqs=(300.0, 450.0), n=1200) -> list[torch.Tensor]:
    t = torch.arange(n, dtype=torch.float32)
    return [0.5 * torch.sin(2 * math.pi * f * t / 8000) for f in freqs]


def test_receptive_field_formula():
    cfg = tiny(layers_per_stack=4, n_stacks=3, kernel_size=3)
    assert cfg.dilations == [1, 2, 4, 8] * 3
    assert cfg.receptive_field == 2 * 15 * 3 + 1
    assert wn.WaveNetConfig().receptive_field == 2047  # 2 stacks of dilations 1..512


@pytest.mark.parametrize("kernel_size", [2, 3])
def test_causality_and_receptive_field_by_gradient_probe(kernel_size):
    torch.manual_seed(0)
    model = wn.WaveNet(tiny(n_global=0, n_local=0, kernel_size=kernel_size)).eval()
    rf = model.cfg.receptive_field
    T = 3 * rf
    h = torch.randn(1, model.cfg.residual_channels, T)
    for t in (rf + 3, T - 2):
        support = wn.input_gradient_support(model.forward_embedded, h, t)
        # non-zero exactly for t - RF < t' <= t: nothing from the future, everything in the field
        assert support.tolist() == list(range(t - rf + 1, t + 1))


def test_gradient_probe_near_the_start_sees_only_the_available_past():
    model = wn.WaveNet(tiny(n_global=0, n_local=0)).eval()
    h = torch.randn(1, model.cfg.residual_channels, 40)
    assert wn.input_gradient_support(model.forward_embedded, h, 2).tolist() == [0, 1, 2]


def test_plain_conv_stack_receptive_field_grows_linearly():
    torch.manual_seed(0)
    sizes = []
    for n in (2, 4, 8):
        support = wn.input_gradient_support(wn.PlainConvStack(n, channels=16), torch.randn(4, 1, 64), 60)
        assert support.max().item() == 60  # causal
        sizes.append(60 - support.min().item() + 1)
    assert sizes == [1 + 2 * n for n in (2, 4, 8)]  # 1 + n (k - 1) d: linear in depth


@pytest.mark.parametrize("kernel_size", [2, 3])
def test_cached_generation_matches_naive(kernel_size):
    torch.manual_seed(1)
    model = wn.WaveNet(tiny(kernel_size=kernel_size)).eval()
    g, c = torch.tensor([0, 2]), torch.randn(2, model.cfg.n_local, 12)
    kw = dict(g=g, c=c, prompt=torch.randint(0, 256, (2, 7)), seed=3, return_logits=True)
    a, la = assert_rng_untouched(wn.generate, model, 24, cached=False, **kw)
    b, lb = assert_rng_untouched(wn.generate, model, 24, cached=True, **kw)
    assert a.shape == (2, 24) and la.shape == (2, 24, 256)
    assert (la - lb).abs().max().item() < 1e-5
    assert torch.equal(a, b)


def test_cached_generation_unconditioned_and_temperature():
    torch.manual_seed(2)
    model = wn.WaveNet(tiny(n_global=0, n_local=0)).eval()
    prompt = torch.full((3, 1), wn.SILENCE_CODE)  # three sequences
    a = wn.generate(model, 25, cached=False, prompt=prompt, temperature=0.7, seed=5)
    assert torch.equal(a, wn.generate(model, 25, prompt=prompt, temperature=0.7, seed=5))
    # temperature 0 is the arg-max of the logits that produced each step
    codes, logits = wn.generate(model, 10, temperature=0.0, return_logits=True)
    assert torch.equal(codes, logits.argmax(-1))


def test_sampling_follows_the_softmax():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.7]])).expand(20000, 3)
    u = torch.rand(20000, generator=torch.Generator().manual_seed(0))
    freq = torch.bincount(wn._sample(logits, u, 1.0), minlength=3).float() / 20000
    assert torch.allclose(freq, torch.tensor([0.1, 0.2, 0.7]), atol=0.015)


def test_mu_law_targets_in_range_and_crops_masked():
    gen = torch.Generator().manual_seed(0)
    waves = [torch.rand(n, generator=gen) * 2 - 1 for n in (50, 300, 1000)]
    waves[0][0], waves[1][0] = 1.0, -1.0
    data = wn.Utterances.encode(waves)
    assert all(c.dtype == torch.int64 and c.min() >= 0 and c.max() <= 255 for c in data.codes)
    assert data.codes[0][0] == 255 and data.codes[1][0] == 0
    x, mask, _ = wn._crops(data, [0, 2], 200, gen, 80, 0)
    assert x.shape == (2, 201) and mask.shape == (2, 200)
    assert x.min() >= 0 and x.max() <= 255
    assert mask[0].sum() == 49 and mask[1].all()  # the short file is padded and masked
    assert (x[0, 50:] == wn.SILENCE_CODE).all()
    with pytest.raises(ValueError, match="peak"):
        wn.Utterances.encode([torch.tensor([0.0, 1.5])])


def test_crops_with_lead_put_silence_before_the_utterance():
    data = wn.Utterances([torch.arange(10, 410)])  # one utterance of 400 codes, none equal to silence
    gen = torch.Generator().manual_seed(0)
    starts = set()
    for _ in range(30):
        x, mask, _ = wn._crops(data, [0], 200, gen, 20, 100)
        first = int((x[0] != wn.SILENCE_CODE).nonzero()[0])
        starts.add(first)
        assert (x[0, :first] == wn.SILENCE_CODE).all()
        assert torch.equal(x[0, first:], data.codes[0][: 201 - first]) or first == 0
        # targets: every utterance sample in the crop, including the first one after silence
        assert mask[0].sum() == 200 - max(first - 1, 0) and not mask[0, : max(first - 1, 0)].any()
    assert max(starts) > 0 and 0 in starts
    with pytest.raises(ValueError, match="lead"):
        wn._crops(wn.Utterances(data.codes, feats=[torch.zeros(4, 5)]), [0], 200, gen, 80, 80)


def test_forward_shapes(tiny_model):
    out = tiny_model(torch.randint(0, 256, (2, 33)), g=torch.tensor([1, 2]), c=torch.randn(2, 4, 9))
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
    with pytest.raises(ValueError, match=r"conditioned \(n_global=3\)"):
        tiny_model(x, c=c)
    with pytest.raises(ValueError, match="labels must lie"):
        tiny_model(x, g=torch.tensor([0, 3]), c=c)
    with pytest.raises(ValueError, match="c must have shape"):
        tiny_model(x, g=g, c=torch.randn(2, 5, 9))
    plain = wn.WaveNet(tiny(n_global=0, n_local=0))
    with pytest.raises(ValueError, match="n_global=0"):
        plain(x, g=g)
    with pytest.raises(ValueError, match="n_samples"):
        wn.generate(plain, 0)
    with pytest.raises(ValueError, match="temperature"):
        wn.generate(plain, 3, cached=False, temperature=-1.0)
    with pytest.raises(ValueError, match="kernel_size"):
        wn.WaveNet(wn.WaveNetConfig(kernel_size=1))
    with pytest.raises(ValueError, match="t must lie"):
        wn.input_gradient_support(plain.forward_embedded, torch.randn(1, 8, 10), 10)
    with pytest.raises(ValueError, match="needs labels"):
        wn.nll_bits(tiny_model, wn.Utterances.encode(sines()))
    with pytest.raises(ValueError, match="sampled at 8000"):
        wn.mel_features(torch.zeros(800), sample_rate=16000)


def test_training_lowers_the_nll_and_records_a_history():
    torch.manual_seed(0)
    data = wn.Utterances.encode(sines())
    model = wn.WaveNet(tiny(n_global=0, n_local=0, layers_per_stack=3, n_stacks=1))
    before = wn.nll_bits(model, data)
    config = wn.WaveNetTrainConfig(
        steps=40,
        batch_size=2,
        segment=100,
        lr=1e-2,
        eval_every=20,
        evaluate=lambda m, step: {"nll": wn.nll_bits(m, data)},
    )
    hist = assert_rng_untouched(wn.train_wavenet, model, data, config)
    losses = hist.losses["nll_bits"]
    assert len(losses) == 40 and hist.wall_s > 0 and [s for s, _ in hist.metrics["nll"]] == [20, 40]
    after = wn.nll_bits(model, data)
    assert sum(losses[-10:]) < sum(losses[:10]) and after < before - 2.0
    assert hist.last("nll") == pytest.approx(after)


def test_training_with_both_conditionings_runs():
    torch.manual_seed(0)
    waves = sines((300.0, 450.0, 600.0), 800)
    data = wn.Utterances.encode(waves, [0, 1, 2], mel=True)
    model = wn.WaveNet(tiny(n_local=40, local_hop=80))
    hist = wn.train_wavenet(model, data, wn.WaveNetTrainConfig(steps=2, batch_size=2, segment=160))
    assert len(hist.losses["nll_bits"]) == 2 and math.isfinite(wn.nll_bits(model, data))


def test_baselines_unigram_and_lpc(monkeypatch):
    """The likelihood baselines live in the benchmark script that computes the chapter's table."""
    monkeypatch.syspath_prepend(str(BENCH.parent))  # the script imports benchmarks/_runner.py
    spec = importlib.util.spec_from_file_location("wavenet_train", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    gen = torch.Generator().manual_seed(0)
    # uniform codes: the unigram model costs about 8 bits per sample
    codes = [torch.randint(0, 256, (4000,), generator=gen)]
    assert abs(bench.unigram_nll_bits(codes, codes) - 8.0) < 0.05
    # an AR(2) resonance is predictable: LPC beats the unigram model by a wide margin
    e = 0.01 * torch.randn(8000, generator=gen, dtype=torch.float64)
    x = torch.zeros(8000, dtype=torch.float64)
    for i in range(2, 8000):
        x[i] = 1.8 * x[i - 1] - 0.9 * x[i - 2] + e[i]
    codes = wn.Utterances.encode([(x / x.abs().max() * 0.9).float()]).codes
    a, _ = bench.lpc_fit(codes, order=4)
    assert abs(a[0] - 1.8) < 0.2
    assert bench.lpc_nll_bits(codes, codes, order=4) < bench.unigram_nll_bits(codes, codes) - 1.0


@pytest.mark.parametrize("name", ["wavenet_digits", "wavenet_vocoder", "wavenet_denoiser"])
def test_shipped_checkpoints_load(name):
    model, meta = wn.pretrained_wavenet(name)
    assert isinstance(model, wn.DenoisingWaveNet if name.endswith("denoiser") else wn.WaveNet)
    assert meta["steps"] > 0 and not model.training


def test_unknown_checkpoint_names_the_available_ones():
    with pytest.raises(KeyError, match="wavenet_digits"):
        wn.pretrained_wavenet("no-such-model")


def test_denoiser_is_non_causal_with_a_centred_field():
    torch.manual_seed(0)
    model = wn.DenoisingWaveNet(tiny_denoiser()).eval()
    rf = model.cfg.receptive_field  # (3 - 1) * (1 + 2 + 4) + 1 = 15
    assert rf == 15
    support = wn.input_gradient_support(model.net, torch.randn(1, 1, 60), 30).tolist()
    assert support == list(range(30 - rf // 2, 30 + rf // 2 + 1))
    with torch.no_grad():
        assert model(torch.randn(3, 100)).shape == (3, 100) and model(torch.randn(100)).shape == (100,)
    with pytest.raises(ValueError, match="odd"):
        wn.DenoisingWaveNet(tiny_denoiser(kernel_size=2))
    with pytest.raises(TypeError, match="floating point"):
        model(torch.zeros(100, dtype=torch.int16))


def test_noisy_batches_have_the_requested_snr():
    gen = torch.Generator().manual_seed(0)
    clean_waves = [torch.randn(500, generator=gen) * 0.1 for _ in range(3)]
    clean, noisy = wn._noisy_batch(clean_waves, 4, 400, gen, (5.0, 5.0))
    snr = 10 * torch.log10(clean.pow(2).sum(1) / (noisy - clean).pow(2).sum(1))
    assert torch.allclose(snr, torch.full((4,), 5.0), atol=1e-3)


def test_denoiser_training_lowers_the_l1_loss():
    torch.manual_seed(0)
    model = wn.DenoisingWaveNet(tiny_denoiser())
    config = wn.WaveNetTrainConfig(steps=30, batch_size=4, segment=400, lr=1e-2)
    losses = assert_rng_untouched(wn.train_denoiser, model, sines(), config).losses["l1"]
    assert len(losses) == 30 and sum(losses[-5:]) < sum(losses[:5])


def test_griffin_lim_inverts_mel_features():
    wave = sines((440.0,), 1600)[0] * torch.hann_window(1600)
    feats = wn.mel_features(wave)
    assert feats.shape == (40, 21)
    out = assert_rng_untouched(wn.griffin_lim_from_mel, feats, len(wave), seed=0)
    assert out.shape == wave.shape and torch.isfinite(out).all()
    # the magnitude is what Griffin-Lim keeps: the mel features of its output come back close
    assert (wn.mel_features(out) - feats)[:, 2:-2].abs().mean() < 0.1

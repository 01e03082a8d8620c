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
GEN_BENCH = BENCH.with_name("wavenet_generation.py")


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


@pytest.mark.parametrize("kernel_size", [2, 3])
def test_fast_generation_matches_naive_over_1000_samples(kernel_size):
    """The NumPy path (batch 1, CPU) rounds differently: logits within 1e-5, the same 1,200 codes."""
    torch.manual_seed(1)
    model = wn.WaveNet(tiny(kernel_size=kernel_size)).eval()
    g, c = torch.tensor([2]), torch.randn(1, model.cfg.n_local, 301)  # 300 frames of hop 4 and one more
    kw = dict(g=g, c=c, prompt=torch.randint(0, 256, (1, 7)), seed=3, return_logits=True)
    a, la = assert_rng_untouched(wn.generate, model, 1200, cached=False, **kw)
    b, lb = assert_rng_untouched(wn.generate, model, 1200, fast=False, **kw)
    f, lf = assert_rng_untouched(wn.generate, model, 1200, **kw)  # batch 1 on the CPU: fast by default
    assert torch.equal(f, wn.generate(model, 1200, fast=True, **kw)[0])
    assert (la - lf).abs().max().item() < 1e-5 and (lb - lf).abs().max().item() < 1e-5
    assert torch.equal(a, f) and torch.equal(b, f)
    for tau in (0.0, 0.7):  # arg-max and another temperature, unconditioned
        plain = wn.WaveNet(tiny(n_global=0, n_local=0, kernel_size=kernel_size)).eval()
        kw = dict(temperature=tau, seed=4)
        assert torch.equal(wn.generate(plain, 300, cached=False, **kw), wn.generate(plain, 300, **kw))


def test_fast_path_applies_to_one_cached_sequence_only(tiny_model):
    g, c = torch.tensor([0, 1]), torch.randn(2, 4, 9)
    with pytest.raises(ValueError, match="batch 1"):
        wn.generate(tiny_model, 5, g=g, c=c, fast=True)
    with pytest.raises(ValueError, match="cached=True"):
        wn.generate(tiny_model, 5, g=g[:1], c=c[:1], cached=False, fast=True)
    two = wn.generate(tiny_model, 5, g=g, c=c, seed=2)  # batch 2: the PyTorch queues
    assert torch.equal(two, wn.generate(tiny_model, 5, g=g, c=c, seed=2, cached=False))


def test_generation_draws_the_uniforms_of_a_step_by_step_loop():
    """All uniforms are drawn at once: the same stream as one torch.rand(B) per step, so a seed
    gives the same samples as before the fast path existed."""
    torch.manual_seed(0)
    model = wn.WaveNet(tiny(n_global=0, n_local=0)).eval()
    ctx = torch.full((1, 2 * model.cfg.receptive_field), wn.SILENCE_CODE)
    step, x, ref = wn._naive_step(model, ctx, None, None, 40), ctx[:, -1], []
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for i in range(40):
            x = wn._sample(step(i, x), torch.rand(1, generator=gen), 1.0)
            ref.append(x)
    assert torch.equal(wn.generate(model, 40, seed=7), torch.stack(ref, 1))


def test_generation_benchmark_check_fails_when_the_codes_differ(monkeypatch, tmp_path):
    """``wavenet_generation.py --check`` compares the code checks exactly (speeds: set aside here)."""
    monkeypatch.syspath_prepend(str(GEN_BENCH.parent))
    spec = importlib.util.spec_from_file_location("wavenet_generation", GEN_BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    committed = (GEN_BENCH.parent / "results" / "wavenet_generation.csv").read_text()
    monkeypatch.setattr(bench.BENCH, "results_dir", tmp_path)
    monkeypatch.setattr(bench.BENCH, "tolerance", {m: math.inf for m in bench.SPEEDS})
    (tmp_path / "wavenet_generation.csv").write_text(committed)
    assert bench.BENCH.check(dry_run=True) == 0
    lines = committed.splitlines()
    header, i = lines[0].split(","), next(i for i, x in enumerate(lines) if x.startswith("wavenet_digits,0,"))
    cells = lines[i].split(",")
    cells[header.index("same_codes_long")] = "False"
    lines[i] = ",".join(cells)
    (tmp_path / "wavenet_generation.csv").write_text("\n".join(lines) + "\n")
    assert bench.BENCH.check(dry_run=True) == 1


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


# --- Without autoregression: the conv vocoder, its spectral loss, the learned digit mels -------------


def tiny_conv_vocoder() -> wn.ConvVocoderConfig:
    return wn.ConvVocoderConfig(channels=16, dilations=(1, 3))


def test_conv_vocoder_gives_hop_samples_per_frame_and_checks_its_input():
    torch.manual_seed(0)
    model = wn.ConvVocoder(tiny_conv_vocoder()).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 40, 7))
    assert out.shape == (2, 7 * wn.HOP) and out.abs().max() <= 1
    with pytest.raises(ValueError, match="frames"):
        model(torch.randn(2, 20, 7))
    with pytest.raises(ValueError, match="multiply"):
        wn.ConvVocoder(wn.ConvVocoderConfig(upsample=(4, 4, 4)))


def test_conv_vocoder_output_near_a_frame_depends_on_nearby_frames_only():
    torch.manual_seed(0)
    model = wn.ConvVocoder(tiny_conv_vocoder()).eval()
    c = torch.randn(1, 40, 30).requires_grad_(True)
    model(c)[0, 15 * wn.HOP].backward()  # the sample under frame 15's centre
    frames = torch.nonzero(c.grad.abs().sum(1)[0]).flatten().tolist()
    assert 15 in frames and min(frames) >= 15 - 6 and max(frames) <= 15 + 6


def test_multi_resolution_stft_loss_is_zero_for_equal_signals_and_ignores_no_resolution():
    x = torch.stack(sines())
    assert wn.multi_resolution_stft_loss(x, x).item() == pytest.approx(0.0, abs=1e-6)
    quieter, other = wn.multi_resolution_stft_loss(0.5 * x, x), wn.multi_resolution_stft_loss(x.flip(0), x)
    assert 0 < quieter.item() < other.item()
    assert wn.multi_resolution_stft_loss(x, x, resolutions=(64,)).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="one shape"):
        wn.multi_resolution_stft_loss(x, x[:, :100])


def test_conv_vocoder_training_lowers_the_spectral_loss():
    torch.manual_seed(0)
    model = wn.ConvVocoder(tiny_conv_vocoder())
    config = wn.WaveNetTrainConfig(steps=25, batch_size=2, segment=800, lr=3e-3)
    losses = assert_rng_untouched(wn.train_conv_vocoder, model, sines(), config).losses["mr_stft"]
    assert len(losses) == 25 and sum(losses[-5:]) < sum(losses[:5])


def _digit_recordings(n_per_digit: int = 12) -> tuple[list[torch.Tensor], list[int]]:
    """Synthetic 'digits': digit d is a 300 + 200 d Hz tone burst of 100 + 10 d ms in faint noise."""
    gen, waves, digits = torch.Generator().manual_seed(0), [], []
    for d in range(10):
        for _ in range(n_per_digit):
            t = torch.arange(800 + 80 * d, dtype=torch.float32)
            tone = 0.5 * torch.sin(2 * math.pi * (300 + 200 * d) * t / 8000) * torch.hann_window(len(t))
            quiet = torch.zeros(400)
            waves.append(torch.cat([quiet, tone, quiet]) + 1e-3 * torch.randn(len(t) + 800, generator=gen))
            digits.append(d)
    return waves, digits


def test_digit_mels_learn_each_digits_duration_and_spectrum():
    waves, digits = _digit_recordings()
    cfg = wn.DigitMelConfig(n_components=3, pad_frames=2)
    model = assert_rng_untouched(wn.DigitMels.fit, waves, digits, cfg)
    assert model.durations.gt(0).sum(1).tolist() == [12] * 10
    mels = model.sample([2, 8], seed=0)
    assert [m.shape[0] for m in mels] == [40, 40]
    for m, d in zip(mels, (2, 8), strict=True):  # duration: a training one, plus the padding
        assert m.shape[1] - 4 in model.durations[d].tolist()
    peak = [int(m[:, 2:-2].mean(1).argmax()) for m in mels]  # the band of the tone rises with the digit
    assert peak[0] < peak[1]
    again = model.sample([2, 8], seed=0)
    assert all(torch.equal(a, b) for a, b in zip(mels, again, strict=True))
    env = model.sample([2, 8], seed=0, part="envelope")  # same loudness per frame, one spectral shape
    assert torch.allclose(env[0][:, 2:-2].mean(0), mels[0][:, 2:-2].mean(0), atol=1e-5)
    with pytest.raises(ValueError, match="n_components"):
        wn.DigitMels.fit(waves[:30], digits[:30], cfg)


def test_new_checkpoints_round_trip_through_pretrained_wavenet(tmp_path, monkeypatch):
    from course_lib import checkpoints

    torch.manual_seed(0)
    models = {
        "wavenet_tiny_conv": wn.ConvVocoder(tiny_conv_vocoder()),
        "wavenet_tiny_mels": wn.DigitMels.fit(*_digit_recordings(), wn.DigitMelConfig(n_components=2)),
    }
    for name, model in models.items():
        digest = checkpoints.save(model, tmp_path / f"{name}.pt")
        monkeypatch.setitem(checkpoints.REGISTRY, name, (f"{name}.pt", digest))
    monkeypatch.setattr(checkpoints, "CHECKPOINT_DIR", tmp_path)
    for name, model in models.items():
        loaded, _ = wn.pretrained_wavenet(name)
        assert type(loaded) is type(model) and loaded.cfg == model.cfg
        saved, back = model.state_dict(), loaded.state_dict()
        assert saved.keys() == back.keys() and all(torch.equal(saved[k], back[k]) for k in saved)


@pytest.mark.parametrize(
    "name", ["wavenet_vocoder_long", "wavenet_conv_vocoder", "wavenet_conv_vocoder_gan", "wavenet_digit_mels"]
)
def test_shipped_vocoders_and_digit_mels_load_in_eval_mode(name):
    model, meta = wn.pretrained_wavenet(name)
    assert not model.training and isinstance(model, (wn.WaveNet, wn.ConvVocoder, wn.DigitMels))
    if name == "wavenet_digit_mels":  # every digit has durations and a spread along each component
        assert (model.durations > 0).sum(1).min() > 100 and (model.scales > 0).all()
    else:
        assert meta["train_steps"] > 1500


def test_discriminator_judges_each_scale_and_the_gan_loop_leaves_the_rng_alone():
    torch.manual_seed(0)
    disc = wn.WaveDiscriminator(channels=4, scales=2)
    feats = disc(torch.randn(3, 800))
    assert len(feats) == 2 and all(len(f) == 5 for f in feats)
    assert feats[0][-1].shape == (3, 1, 800 // 16) and feats[1][-1].shape == (3, 1, 400 // 16)
    model = wn.ConvVocoder(tiny_conv_vocoder())
    config = wn.WaveNetTrainConfig(steps=3, batch_size=2, segment=800, lr=1e-3)
    hist = assert_rng_untouched(wn.train_vocoder_gan, model, disc, sines(), config)
    assert set(hist.losses) == {"mr_stft", "g_adv", "d"} and len(hist.losses["d"]) == 3
    assert not model.training and not disc.training


def _texts(fig) -> str:
    return " | ".join(t.get_text() for ax in fig.axes for t in ax.texts + [ax.title])


def test_residual_block_diagram_shows_the_shapes_of_a_real_pass(tiny_model):
    import matplotlib.pyplot as plt

    x = torch.randint(0, 256, (2, 30))
    fig = wn.draw_residual_block(tiny_model, x, g=torch.tensor([0, 1]), c=torch.randn(2, 4, 8))
    text = _texts(fig)
    for part in (
        "(B=2, T=30)",
        "(B=2, R=8, T=30)",
        "(B=2, D=8, T=30)",
        "(B=2, S=16, T=30)",
        "(B=2, Q=256, T=30)",
    ):
        assert part in text, part
    assert "(B=2, 2D=16, T=30)" in text  # local conditioning varies in time
    plt.close(fig)


def test_conditioning_diagram_shows_global_and_local_paths(tiny_model):
    import matplotlib.pyplot as plt

    x = torch.randint(0, 256, (1, 24))
    fig = wn.draw_conditioning(tiny_model, x, g=torch.tensor([2]), c=torch.randn(1, 4, 7))
    text = _texts(fig)
    assert "(B=1, 2D=16, T=1)" in text  # global: one vector per utterance
    assert "(B=1, C=6, F=7)" in text and "(B=1, C=6, T=24)" in text  # frames, then upsampled to samples
    assert "(B=1, 6·2D=96, T=24)" in text  # one 1x1 conv for all six layers
    plt.close(fig)
    with pytest.raises(ValueError, match="pass g"):
        wn.draw_conditioning(tiny_model, x)


@pytest.mark.parametrize("causal", [True, False])
def test_dilated_stack_drawing_reaches_exactly_the_receptive_field(causal):
    import matplotlib.pyplot as plt

    cfg = wn.StackConfig(kernel_size=2 if causal else 3, layers_per_stack=3, n_stacks=2)
    fig = wn.draw_dilated_stack(cfg, causal=causal)
    ax = fig.axes[0]
    reached = ax.collections[-2].get_offsets()[:, 0]  # the highlighted inputs
    rf = cfg.receptive_field
    lo = -(rf - 1) if causal else -(rf - 1) // 2
    assert sorted(reached.tolist()) == list(range(lo, lo + rf))
    assert f"= {rf} samples" in ax.get_title()
    plt.close(fig)
    with pytest.raises(ValueError, match="too wide"):
        wn.draw_dilated_stack(wn.StackConfig())


def test_discretized_logistic_mixture_sums_to_one_and_matches_the_cdf():
    gen = torch.Generator().manual_seed(0)
    logit_pi, mu, log_s = (torch.randn(5, 3, generator=gen, dtype=torch.float64) for _ in range(3))
    p = wn.discretized_logistic_mixture(logit_pi, mu.tanh(), log_s - 2, n_classes=256)
    assert p.shape == (5, 256) and (p >= 0).all()
    assert torch.allclose(p.sum(-1), torch.ones(5, dtype=torch.float64), atol=1e-12)
    # one narrow component puts almost all its mass on the bin that holds its location
    one = wn.discretized_logistic_mixture(torch.zeros(1), torch.tensor([0.5]), torch.tensor([-9.0]), 256)
    assert one.argmax().item() == round((0.5 + 1) / 2 * 255) and one.max() > 0.99
    with pytest.raises(ValueError, match="three"):
        wn.discretized_logistic_mixture(torch.zeros(2), torch.zeros(3), torch.zeros(3))


def test_tempered_entropy_grows_with_temperature():
    logits = torch.randn(4, 256, generator=torch.Generator().manual_seed(0)) * 3
    h = [wn.tempered_entropy_bits(logits, tau).mean().item() for tau in (0.0, 0.5, 1.0, 2.0, 1e6)]
    assert h[0] == 0.0 and h == sorted(h)
    assert abs(h[-1] - 8.0) < 1e-3  # tau -> infinity: uniform over 256 codes
    with pytest.raises(ValueError):
        wn.tempered_entropy_bits(logits, -1.0)


def test_label_bits_agree_with_nll_bits_and_bound_the_label_information():
    torch.manual_seed(0)
    model = wn.WaveNet(tiny(n_local=0)).eval()
    codes = [torch.randint(0, 256, (n,)) for n in (40, 25, 33)]
    bits = wn.label_bits(model, codes, batch_size=2)  # (3, 3): utterance x label
    assert bits.shape == (3, 3)
    for g in range(3):
        per_sample = bits[:, g].sum().item() / sum(len(c) - 1 for c in codes)
        assert abs(per_sample - wn.nll_bits(model, wn.Utterances(codes, [g] * 3))) < 1e-4
    # mixture over labels with a uniform prior: the true label saves at most log2(G) bits
    marginal = -(torch.logsumexp(-bits * math.log(2), 1) - math.log(3)) / math.log(2)
    assert (marginal - bits.min(1).values <= math.log2(3) + 1e-9).all()
    with pytest.raises(ValueError, match="globally"):
        wn.label_bits(wn.WaveNet(tiny(n_global=0, n_local=0)), codes)


def test_fit_logistic_mixture_recovers_a_mixture_and_leaves_the_rng_alone():
    target = wn.discretized_logistic_mixture(
        torch.tensor([[0.0, 0.5]]), torch.tensor([[-0.3, 0.4]]), torch.tensor([[-3.0, -2.5]])
    )
    q, kl = assert_rng_untouched(wn.fit_logistic_mixture, target, 2, steps=400)
    assert q.shape == target.shape and kl.shape == (1,)
    assert kl.item() < 0.01  # bits: a two-component target is found by two components
    _, kl_one = wn.fit_logistic_mixture(target, 1, steps=400)
    assert kl_one.item() > 10 * kl.item()  # one logistic cannot be bimodal

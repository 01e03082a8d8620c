"""Tests for course_lib.gan_beyond (GANs beyond clean images)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F

from course_lib import checkpoints, gan
from course_lib import gan_beyond as gb
from course_lib.audio import stft
from tests.conftest import assert_rng_untouched

TINY = gb.TokenGANConfig(length=4, hidden=16, embed=8, d_hidden=16, steps=5, batch_size=16)

# ---- toy language -------------------------------------------------------------------


def test_validity_checker_on_hand_cases() -> None:
    for s in ["()", "[]", "([])", "()[]", "[()()]", "(([]))"]:
        assert gb.is_dyck(s), s
    for s in ["(", ")(", "([)]", "(]", "[[", "(()", "ab", "([]])"]:
        assert not gb.is_dyck(s), s


def test_dyck_enumeration_matches_brute_force() -> None:
    brute = sorted("".join(p) for p in itertools.product(gb.DYCK_VOCAB, repeat=6) if gb.is_dyck("".join(p)))
    assert gb.dyck_strings(6) == brute
    assert len(brute) == 5 * 2**3  # Catalan(3) * 2^3
    assert len(gb.dyck_strings(8)) == 14 * 2**4
    with pytest.raises(ValueError, match="even"):
        gb.dyck_strings(7)


def test_dataset_is_valid_uniform_over_the_language_and_reproducible() -> None:
    data = assert_rng_untouched(gb.dyck_dataset, 3000, 4, seed=3)
    strings = gb.decode(data)
    assert all(gb.is_dyck(s) for s in strings)
    assert set(strings) == set(gb.dyck_strings(4))  # 8 strings, each drawn ~375 times
    assert torch.equal(data, gb.dyck_dataset(3000, 4, seed=3))
    assert data.dtype == torch.long and data.shape == (3000, 4)


def test_validity_and_diversity_counts() -> None:
    out = gb.validity_and_diversity(["()", "()", "[]", "(]"])
    assert out["valid"] == pytest.approx(0.75)
    assert out["diversity"] == pytest.approx(0.5)  # 2 distinct valid / 4 samples
    assert out["distinct_valid"] == 2
    assert out["coverage"] == pytest.approx(1.0)  # both balanced strings of length 2
    with pytest.raises(ValueError):
        gb.validity_and_diversity([])


# ---- gradient estimators --------------------------------------------------------------


def test_sampling_breaks_the_graph() -> None:
    logits = torch.randn(5, 4, requires_grad=True)
    assert not logits.argmax(-1).requires_grad
    assert not torch.multinomial(F.softmax(logits, -1), 1).requires_grad


def test_gumbel_softmax_class_frequencies_match_softmax() -> None:
    logits = torch.tensor([1.0, 0.0, -1.0, 0.5])
    p = F.softmax(logits, -1)
    n = 20000
    y = assert_rng_untouched(gb.gumbel_softmax, logits.expand(n, -1), tau=0.5, seed=0)
    counts = torch.bincount(y.argmax(-1), minlength=4).double()
    chi2 = float(((counts - n * p) ** 2 / (n * p)).sum())
    assert chi2 < 16.27, f"chi-square {chi2:.2f} above the 0.1 % critical value for 3 dof"
    assert torch.allclose(y.sum(-1), torch.ones(n), atol=1e-5)


def test_gumbel_softmax_approaches_one_hot_at_low_temperature() -> None:
    logits = torch.randn(1000, 4, generator=torch.Generator().manual_seed(1))
    hot = gb.gumbel_softmax(logits, tau=0.01, seed=2)
    warm = gb.gumbel_softmax(logits, tau=5.0, seed=2)
    assert hot.max(-1).values.mean() > 0.99 > warm.max(-1).values.mean()
    with pytest.raises(ValueError, match="tau"):
        gb.gumbel_softmax(logits, tau=0.0)


def test_straight_through_forward_is_one_hot_backward_is_soft_gradient() -> None:
    logits = torch.randn(200, 5, generator=torch.Generator().manual_seed(0), requires_grad=True)
    w = torch.randn(200, 5, generator=torch.Generator().manual_seed(1))
    probs = F.softmax(logits, -1)
    (g_soft,) = torch.autograd.grad((w * probs).sum(), logits, retain_graph=True)
    sample = torch.multinomial(probs.detach(), 1, generator=torch.Generator().manual_seed(2)).squeeze(1)
    for index, forward in [(None, logits.argmax(-1)), (sample, sample)]:
        y = gb.straight_through(probs, index)
        assert torch.equal(y.detach(), F.one_hot(forward, 5).float())
        (g_st,) = torch.autograd.grad((w * y).sum(), logits, retain_graph=True)
        assert torch.allclose(g_st, g_soft, atol=1e-6)


# ---- sequence models --------------------------------------------------------------------


@pytest.mark.parametrize("estimator", ["gumbel", "st", "reinforce"])
def test_token_gan_updates_the_generator_and_leaves_the_global_rng(estimator: str) -> None:
    gen, disc = assert_rng_untouched(gb.build_token_models, TINY, seed=0)
    before = [p.detach().clone() for p in gen.parameters()]
    config = replace(TINY, estimator=estimator)
    hist = assert_rng_untouched(gb.train_token_gan, (gen, disc), gb.dyck_dataset(32, TINY.length), config)
    assert hist.steps == TINY.steps and all(math.isfinite(v) for v in hist.losses["g"] + hist.losses["d"])
    assert any(not torch.equal(a, b) for a, b in zip(before, gen.parameters(), strict=True))
    assert len(assert_rng_untouched(gb.sample_strings, gen, 7, seed=1)) == 7


def test_token_gan_is_reproducible() -> None:
    runs = []
    for _ in range(2):
        gen, disc = gb.build_token_models(TINY, seed=4)
        gb.train_token_gan((gen, disc), gb.dyck_dataset(32, TINY.length), replace(TINY, estimator="st"))
        runs.append(gb.sample_strings(gen, 20, seed=0))
    assert runs[0] == runs[1]


def test_generator_modes_shapes_and_log_prob() -> None:
    gen, _ = gb.build_token_models(TINY)
    z = torch.randn(6, TINY.latent_dim)
    for mode in ["sample", "gumbel", "st"]:
        tokens, vectors, logp = assert_rng_untouched(gen.generate, z, mode, tau=0.5, seed=1)
        assert tokens.shape == (6, TINY.length) and vectors.shape == (6, TINY.length, TINY.vocab)
        assert torch.equal(vectors.argmax(-1), tokens) and (logp <= 0).all()
    given = gb.dyck_dataset(6, TINY.length)
    tokens, _, logp = gen.generate(z, tokens=given)  # teacher forcing: the given tokens' log-likelihood
    assert torch.equal(tokens, given) and (logp <= 0).all()
    with pytest.raises(ValueError, match="mode"):
        gen.generate(z, "argmax")


def test_mle_learns_the_toy_language() -> None:
    config = replace(TINY, steps=150, hidden=32, lr=1e-2)
    gen, _ = gb.build_token_models(config)
    hist = assert_rng_untouched(gb.train_mle, gen, gb.dyck_dataset(500, 4), config)
    scores = gb.validity_and_diversity(gb.sample_strings(gen, 300))
    assert hist.losses["nll"][-1] < hist.losses["nll"][0]
    assert scores["valid"] > 0.5  # random strings: 8/256 = 3 %


def test_bad_token_input_is_named() -> None:
    gen, disc = gb.build_token_models(TINY)
    with pytest.raises(ValueError, match="dyck_dataset"):
        gb.train_mle(gen, gb.dyck_dataset(8, 6), TINY)  # strings of another length
    with pytest.raises(ValueError, match="int64"):
        gb.train_token_gan((gen, disc), gb.dyck_dataset(8, 4).float(), TINY)
    with pytest.raises(ValueError, match="estimator"):
        replace(TINY, estimator="argmax")


# ---- noisy data ----------------------------------------------------------------------------


def test_measurements_and_measured_generator() -> None:
    x = torch.ones(4000, 2)
    assert torch.equal(gb.Measurement("noise", 0.0)(x), x)
    assert assert_rng_untouched(gb.Measurement("noise", 0.5, seed=1), x).std() == pytest.approx(0.5, rel=0.05)
    dropped = gb.Measurement("dropout", 0.3, seed=0)(x)
    assert (dropped == 0).float().mean() == pytest.approx(0.3, abs=0.02)
    for kind, p in [("blur", 0.1), ("noise", -1.0), ("dropout", 1.0)]:
        with pytest.raises(ValueError, match="kind"):
            gb.Measurement(kind, p)
    g, _ = gan.build_gan(gan.MLPConfig(g_hidden=8, d_hidden=8))
    mg = gb.MeasuredGenerator(g, gb.Measurement("dropout", 0.5))
    assert mg.cfg.latent_dim == g.cfg.latent_dim
    assert assert_rng_untouched(mg, torch.randn(8, g.cfg.latent_dim)).shape == (8, 2)


def test_measured_generator_measures_g_output_with_fresh_draws_each_call() -> None:
    g, _ = gan.build_gan(gan.MLPConfig(g_hidden=8, d_hidden=8))
    z = torch.randn(4000, g.cfg.latent_dim, generator=torch.Generator().manual_seed(0))
    clean = g(z).detach()
    mg = gb.MeasuredGenerator(g, gb.Measurement("noise", 0.3, seed=5))
    first, second = mg(z).detach(), mg(z).detach()
    # f is applied to G's output: the same draws as measuring G(z) directly
    assert torch.allclose(first, gb.Measurement("noise", 0.3, seed=5)(clean))
    # a new θ for every call: two calls on the same z differ by independent noise of std 0.3
    e1, e2 = (first - clean).flatten(), (second - clean).flatten()
    assert e1.std() == pytest.approx(0.3, rel=0.05) and e2.std() == pytest.approx(0.3, rel=0.05)
    assert abs(float(torch.corrcoef(torch.stack([e1, e2]))[0, 1])) < 0.05
    mg_drop = gb.MeasuredGenerator(g, gb.Measurement("dropout", 0.5, seed=1))
    assert not torch.equal(mg_drop(z) != 0, mg_drop(z) != 0)


def test_measured_generator_passes_gradients_to_g_through_the_measurement() -> None:
    # AmbientGAN trains G through f: d sum f(G(z)) / d b, b the output bias of G, counts the
    # coordinates f keeps (all of them for additive noise, the undropped ones for dropout)
    g, _ = gan.build_gan(gan.MLPConfig(g_hidden=8, d_hidden=8))
    bias = g.net[-1].bias
    z = torch.randn(500, g.cfg.latent_dim, generator=torch.Generator().manual_seed(0))
    for kind, p in [("noise", 0.5), ("dropout", 0.3)]:
        out = gb.MeasuredGenerator(g, gb.Measurement(kind, p, seed=2))(z)
        (grad,) = torch.autograd.grad(out.sum(), bias)
        kept = (out != 0).sum(0).float() if kind == "dropout" else torch.full((2,), 500.0)
        assert torch.allclose(grad, kept), kind
        if kind == "dropout":
            assert kept.mean() == pytest.approx(0.7 * 500, rel=0.1)


def test_rescaled_measurement_is_the_same_measurement_on_standardised_data() -> None:
    x = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    s = 0.71
    for kind, p in [("noise", 0.05), ("dropout", 0.3)]:
        direct = gb.Measurement(kind, p, seed=2)(x) / s  # measure, then standardise
        rescaled = gb.Measurement(kind, p, seed=2).rescaled(s)(x / s)  # standardise, then measure
        assert torch.allclose(direct, rescaled, atol=1e-6), kind
    assert gb.Measurement("noise", 0.05).rescaled(0.5).p == pytest.approx(0.1)
    # the rescaled measurement draws from its parent's stream: no draw is ever repeated
    parent, twin = gb.Measurement("noise", 1.0, seed=3), gb.Measurement("noise", 1.0, seed=3)
    child_out, parent_out = parent.rescaled(1.0)(x), parent(x)
    assert torch.equal(child_out, twin(x)) and torch.equal(parent_out, twin(x))
    with pytest.raises(ValueError, match="scale"):
        gb.Measurement("noise", 0.05).rescaled(0.0)


def test_ambientgan_learns_the_clean_blob_where_a_plain_gan_learns_the_noisy_one() -> None:
    # clean data N(0, 0.1² I), observed through noise of std 0.4 (observations: std ≈ 0.41); the
    # plain GAN reproduces the observations, AmbientGAN (same data, same recipe) the clean blob
    clean = 0.1 * torch.randn(2000, 2, generator=torch.Generator().manual_seed(100))
    observed = gb.Measurement("noise", 0.4, seed=0)(clean)
    config = gan.GANTrainConfig(steps=300, batch_size=256, lr=1e-3, lr_d=5e-3, lr_decay=True)
    stds = {}
    for ambient in (False, True):
        g, d = gan.build_gan(gan.MLPConfig(g_hidden=32, d_hidden=32, g_layers=2))
        trained = gb.MeasuredGenerator(g, gb.Measurement("noise", 0.4, seed=50)) if ambient else g
        assert_rng_untouched(gan.train_gan, (trained, d), observed, config)
        samples = gan.sample(g, 2000, seed=1)  # the inner generator G in both cases
        assert samples.mean(0).abs().max() < 0.15
        stds[ambient] = float(samples.std(0).mean())
    obs_std = float(observed.std(0).mean())
    assert stds[False] > 0.7 * obs_std, stds
    assert stds[True] < 0.4 * obs_std, stds


def test_centre_distances_on_known_points() -> None:
    centers = torch.tensor([[0.0, 0.0], [10.0, 0.0]])
    x = torch.tensor([[0.0, 1.0], [10.0, 2.0], [9.0, 0.0], [0.0, 0.0]])  # distances 1, 2, 1, 0
    out = gb.centre_distances(x, centers)
    assert out["spread"] == pytest.approx(math.sqrt((1 + 4 + 1 + 0) / 4))
    assert out["median_dist"] in (0.0, 1.0)  # torch's median is the lower middle value
    g = torch.Generator().manual_seed(0)
    blob = 0.02 * torch.randn(20000, 2, generator=g)
    expected = 0.02 * math.sqrt(2 * math.log(2))  # the median radius of a 2-D Gaussian
    assert gb.centre_distances(blob, centers)["median_dist"] == pytest.approx(expected, rel=0.02)
    with pytest.raises(ValueError, match="centers"):
        gb.centre_distances(x[:, :1], centers)


# ---- raw audio ----------------------------------------------------------------------------


def test_phase_shuffle_preserves_length_and_content_up_to_shift() -> None:
    x = torch.randn(4, 3, 50, generator=torch.Generator().manual_seed(0))
    shifts = torch.tensor([-2, -1, 0, 2])
    y = gb.phase_shuffle(x, 2, shifts=shifts)
    assert y.shape == x.shape
    for b, k in enumerate(shifts.tolist()):
        # y[t] = x[t - k] wherever t - k is inside the signal
        assert torch.equal(y[b, :, max(k, 0) : 50 + min(k, 0)], x[b, :, max(-k, 0) : 50 - max(k, 0)])
    assert torch.equal(y[2], x[2])
    assert torch.equal(gb.phase_shuffle(x, 0), x)
    assert torch.equal(assert_rng_untouched(gb.phase_shuffle, x, 2, seed=5), gb.phase_shuffle(x, 2, seed=5))
    with pytest.raises(ValueError, match="shifts"):
        gb.phase_shuffle(x, 1, shifts=shifts)
    with pytest.raises(ValueError, match="channels"):
        gb.phase_shuffle(x[0], 2)


def test_wavegan_shapes_training_and_shuffle_only_when_training() -> None:
    cfg = gb.WaveGANConfig.tiny()
    gen, disc = gb.WaveGANGenerator(cfg), gb.WaveGANDiscriminator(cfg, seed=1)
    z = torch.randn(3, cfg.latent_dim)
    wave = gen(z)
    assert wave.shape == (3, cfg.length) and wave.abs().max() < 1
    disc.eval()
    assert disc(wave).shape == (3,) and torch.equal(disc(wave), disc(wave))  # no shuffle in eval mode
    with pytest.raises(ValueError, match="prepare_fsdd_clips"):
        disc(torch.randn(3, cfg.length + 1))
    config = replace(gb.WAVEGAN_TRAIN, steps=2, batch_size=3, d_steps=1)
    hist = assert_rng_untouched(gan.train_gan, (gen, disc), torch.randn(6, cfg.length) * 0.1, config)
    assert len(hist.losses["g"]) == 2 and all(math.isfinite(v) for v in hist.losses["d"])


def test_wavegan_checkpoint_round_trip_and_bad_checkpoints(tmp_path) -> None:
    cfg = gb.WaveGANConfig.tiny()
    gen = gb.WaveGANGenerator(cfg).eval()
    checkpoints.save(gen, tmp_path / "g.pt")
    loaded = assert_rng_untouched(gb.pretrained_wavegan, tmp_path / "g.pt")
    z = torch.randn(2, cfg.latent_dim)
    assert torch.equal(loaded(z), gen(z)) and not loaded.training
    checkpoints.save(torch.nn.Linear(2, 2), tmp_path / "other.pt", config={"width": 3})
    with pytest.raises(ValueError, match="not a WaveGAN"):
        gb.pretrained_wavegan(tmp_path / "other.pt")
    with pytest.raises(KeyError, match="registered"):
        gb.pretrained_wavegan("no_such_checkpoint")
    with pytest.raises(FileNotFoundError):
        gb.pretrained_wavegan(tmp_path / "missing.pt")


def test_committed_wavegan_loads() -> None:
    gen = gb.pretrained_wavegan()
    assert gen.cfg.length == 4096
    assert checkpoints.load("gan_beyond_wavegan")["meta"]["generator_steps"] > 0
    with torch.no_grad():
        wave = gen(torch.randn(2, gen.cfg.latent_dim, generator=torch.Generator().manual_seed(0)))
    assert wave.shape == (2, 4096) and torch.isfinite(wave).all()


def test_prepare_fsdd_clips_length_peak_and_errors() -> None:
    t = torch.arange(3000) / 8000.0
    tone = torch.where((t > 0.1) & (t < 0.2), 0.3 * torch.sin(2 * math.pi * 440 * t), torch.zeros(()))
    clips = gb.prepare_fsdd_clips([tone, tone[750:1300]], 1024)  # longer and shorter than 1024
    assert clips.shape == (2, 1024)
    assert torch.allclose(clips.abs().amax(1), torch.full((2,), 0.9))
    with pytest.raises(ValueError, match="no recordings"):
        gb.prepare_fsdd_clips([], 1024)
    with pytest.raises(ValueError, match="stereo"):
        gb.prepare_fsdd_clips([torch.zeros(3000, 2)], 1024)


def test_confidence_and_entropy_extremes() -> None:
    one_hot = torch.eye(10).repeat(3, 1)
    out = gb.confidence_and_entropy(one_hot)
    assert out["confident"] == 1.0
    assert out["class_entropy"] == pytest.approx(math.log2(10))
    assert out["inception_score"] == pytest.approx(10, rel=1e-6)
    flat = gb.confidence_and_entropy(torch.full((5, 10), 0.1))
    assert flat["confident"] == 0.0 and flat["inception_score"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="classes"):
        gb.confidence_and_entropy(torch.ones(10))


# ---------------------------------------------------------------- SpecGAN


def _chirps(n: int, length: int) -> torch.Tensor:
    t = torch.arange(length) / 8000
    f0 = torch.linspace(200, 1200, n).unsqueeze(1)
    return 0.5 * torch.sin(2 * math.pi * (f0 + 300 * t) * t) * torch.hann_window(length)


def test_specgan_shapes_statistics_and_generation_leave_the_global_rng() -> None:
    cfg = gb.SpecGANConfig.tiny()
    assert cfg.shape == (32, 16)
    clips = _chirps(6, cfg.length)
    gen, disc, images = assert_rng_untouched(gb.build_specgan, cfg, clips, seed=0)
    assert images.shape == (6, 1, 32, 16) and images.abs().max() <= 1
    logs = gb.log_spectrogram(clips, cfg)
    assert torch.allclose(gen.mean.squeeze(1), logs.mean(dim=(0, 2)))  # per-bin statistics, kept as buffers
    assert {"mean", "std"} <= set(gen.state_dict())
    z = torch.randn(3, cfg.latent_dim, generator=torch.Generator().manual_seed(0))
    assert gen(z).shape == (3, 1, 32, 16) and disc(gen(z)).shape == (3,)
    a = assert_rng_untouched(gen.generate, 2, seed=5)
    assert a.shape == (2, cfg.length) and torch.equal(a, gen.generate(2, seed=5))
    assert gen.training  # generate() restores the mode


def test_specgan_representation_round_trips_to_audio() -> None:
    """Normalise, then ``to_audio``: Griffin-Lim must give back the clip's magnitude spectrogram."""
    cfg = replace(gb.SpecGANConfig.tiny(), gl_iterations=64)
    clips = _chirps(4, cfg.length)
    gen, _, images = gb.build_specgan(cfg, clips)
    audio = gen.to_audio(images)
    bins, frames = cfg.shape
    target = gb.log_spectrogram(clips, cfg).exp()
    got = stft(audio, cfg.n_fft, cfg.hop_length).abs()[:, :bins, :frames]
    assert float((got - target).norm() / target.norm()) < 0.25


def test_specgan_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="multiples of 16"):
        gb.SpecGANConfig(n_fft=200)
    cfg = gb.SpecGANConfig.tiny()
    with pytest.raises(ValueError, match="clips"):
        gb.log_spectrogram(torch.zeros(2, cfg.length + 1), cfg)
    _, disc, _ = gb.build_specgan(cfg, _chirps(2, cfg.length))
    with pytest.raises(ValueError, match="spectrograms"):
        disc(torch.zeros(2, 1, 16, 16))


def test_specgan_trains_with_the_gan_loop() -> None:
    cfg = gb.SpecGANConfig.tiny()
    gen, disc, images = gb.build_specgan(cfg, _chirps(8, cfg.length))
    before = [p.detach().clone() for p in gen.parameters()]
    config = gan.GANTrainConfig(steps=3, batch_size=4, loss="wgan-gp", d_steps=2, lr=1e-3, betas=(0.5, 0.9))
    hist = assert_rng_untouched(gan.train_gan, (gen, disc), images, config)
    assert hist.steps == 3 and all(math.isfinite(v) for v in hist.losses["d"])
    assert any(not torch.equal(a, b) for a, b in zip(before, gen.parameters(), strict=True))


def test_specgan_checkpoint_keeps_its_statistics(tmp_path) -> None:
    cfg = gb.SpecGANConfig.tiny()
    gen, _, _ = gb.build_specgan(cfg, _chirps(4, cfg.length))
    checkpoints.save(gen.eval(), tmp_path / "s.pt")
    loaded = assert_rng_untouched(gb.pretrained_specgan, tmp_path / "s.pt")
    assert torch.equal(loaded.mean, gen.mean) and torch.equal(loaded.std, gen.std)
    assert torch.equal(loaded.generate(2, seed=1), gen.generate(2, seed=1))
    with pytest.raises(ValueError, match="not a SpecGAN"):
        gb.pretrained_specgan(_wavegan_file(tmp_path))


def _wavegan_file(tmp_path):
    path = tmp_path / "w.pt"
    checkpoints.save(gb.WaveGANGenerator(gb.WaveGANConfig.tiny()), path)
    return path


# ---- teaching figures and the checks behind the derivations ----------------------------------


def _texts(fig) -> str:
    ax = fig.axes[0]
    return "\n".join([ax.get_title(), *(t.get_text() for t in ax.texts)])


LOGITS3 = torch.tensor([0.3, 0.0, -0.2])
W3 = torch.tensor([1.0, -2.0, 0.5])


def test_exact_gradient_matches_the_softmax_closed_form() -> None:
    p = F.softmax(LOGITS3, -1)
    expected = p * (W3 - p @ W3)  # d/dl sum_k p_k w_k = p (w - p.w)
    assert torch.allclose(gb.exact_gradient(LOGITS3, lambda y: y @ W3), expected, atol=1e-6)


def test_reinforce_is_unbiased_for_any_baseline_and_the_mean_reward_lowers_its_spread() -> None:
    f = lambda y: (y @ W3) ** 2  # noqa: E731  all rewards positive
    exact, n = gb.exact_gradient(LOGITS3, f), 40000
    mean_reward = float(F.softmax(LOGITS3, -1) @ f(torch.eye(3)))
    spreads = []
    for b in (0.0, mean_reward, 10.0):
        est = assert_rng_untouched(gb.gradient_samples, LOGITS3, f, "reinforce", n, baseline=b, seed=1)
        se = est.std(0) / n**0.5
        assert ((est.mean(0) - exact).abs() < 4 * se).all(), b
        spreads.append(float(est.var(0).sum()))
    assert spreads[1] < 0.6 * spreads[0] < spreads[2]


def test_straight_through_is_exact_for_a_linear_f_and_biased_for_a_nonlinear_one() -> None:
    linear = gb.gradient_samples(LOGITS3, lambda y: y @ W3, "st", 50, seed=0)
    assert torch.allclose(linear, gb.exact_gradient(LOGITS3, lambda y: y @ W3).expand(50, 3), atol=1e-6)
    f = lambda y: (y @ W3) ** 2  # noqa: E731
    st = gb.gradient_samples(LOGITS3, f, "st", 20000, seed=0).mean(0)
    assert (st - gb.exact_gradient(LOGITS3, f)).norm() > 0.3


def test_gumbel_gradient_trades_bias_for_spread_with_the_temperature() -> None:
    f = lambda y: (y @ W3) ** 2  # noqa: E731
    exact = gb.exact_gradient(LOGITS3, f)
    stats = {}
    for tau in (0.1, 3.0):
        est = gb.gradient_samples(LOGITS3, f, "gumbel", 20000, tau=tau, seed=2)
        stats[tau] = (float((est.mean(0) - exact).norm()), float(est.var(0).sum().sqrt()))
    assert stats[0.1][0] < stats[3.0][0] and stats[0.1][1] > stats[3.0][1]
    with pytest.raises(ValueError, match="estimator"):
        gb.gradient_samples(LOGITS3, f, "argmax", 10)
    with pytest.raises(ValueError, match="logits"):
        gb.gradient_samples(LOGITS3.expand(2, 3), f, "st", 10)


def test_gradient_route_diagram_shows_the_real_shapes() -> None:
    fig = assert_rng_untouched(gb.draw_gradient_routes, gb.TokenGANConfig(length=8), batch=64)
    text = _texts(fig)
    for expected in ["(B=64, L=8, V=4)", "(B=64, LV=32)", "(B=64, V=4)", "(B=64, L=8)", "∂h/∂p := I"]:
        assert expected in text, expected
    plt.close(fig)
    fig = gb.draw_gumbel_temperature(0.5, n=200)
    assert "τ = 0.50" in fig.axes[0].get_title() and fig.axes[1].get_xlabel() == "temperature τ"
    plt.close(fig)


def test_empirical_characteristic_function_of_a_gaussian() -> None:
    x = 0.5 * torch.randn(40000, 2, generator=torch.Generator().manual_seed(0))
    freqs = torch.tensor([[0.0, 0.0], [1.0, 0.0], [2.0, -1.0]])
    phi = gb.empirical_characteristic(x, freqs)
    expected = torch.exp(-0.5 * 0.25 * freqs.pow(2).sum(1)).double()  # exp(-σ² |ω|² / 2)
    assert torch.allclose(phi.real, expected, atol=0.02) and phi.imag.abs().max() < 0.02
    with pytest.raises(ValueError):
        gb.empirical_characteristic(x, torch.zeros(3, 3))


def test_ambientgan_diagram_shows_the_real_shapes() -> None:
    g, d = gan.build_gan(gan.MLPConfig(), seed=0)
    fig = gb.draw_ambientgan(g, d, gb.Measurement("noise", 0.05), torch.zeros(500, 2), batch=128)
    text = _texts(fig)
    assert "(B=128, d=2)" in text and "never observed" in text and "0.05" in text
    plt.close(fig)


@pytest.mark.parametrize(
    ("t", "k", "s", "pad", "out_pad"), [(16, 25, 4, 11, 1), (7, 4, 2, 1, 0), (5, 3, 3, 0, 2)]
)
def test_transposed_conv_length_matches_pytorch(t: int, k: int, s: int, pad: int, out_pad: int) -> None:
    conv = torch.nn.ConvTranspose1d(1, 1, k, s, pad, out_pad)
    assert gb.transposed_conv_length(t, k, s, pad, out_pad) == conv(torch.zeros(1, 1, t)).shape[2]
    with pytest.raises(ValueError):
        gb.transposed_conv_length(t, k, s, pad, output_padding=s)


def test_stride_artefacts_see_a_fixed_phase_pattern_and_phase_shuffle_blurs_it() -> None:
    g = torch.Generator().manual_seed(0)
    noise = torch.randn(200, 1024, generator=g)
    pattern = torch.tensor([1.0, -0.5, 0.3, -0.8]).repeat(256)  # period 4, the same phase in every clip
    clean, marked = gb.stride_artefacts(noise), gb.stride_artefacts(noise + pattern)
    assert marked["peak_db"] > clean["peak_db"] + 10 and marked["coherence"] > 0.9 > 0.3 > clean["coherence"]
    shuffled = gb.phase_shuffle((noise + pattern).unsqueeze(1), 2, seed=1).squeeze(1)
    assert 0.1 < gb.stride_artefacts(shuffled)["coherence"] < 0.35  # about 1/5: five shifts, four phases
    with pytest.raises(ValueError):
        gb.stride_artefacts(torch.zeros(3, 1023))


def test_audio_diagrams_show_the_layer_shapes() -> None:
    cfg = gb.WaveGANConfig.tiny()
    fig = assert_rng_untouched(gb.draw_wavegan, cfg, batch=3)
    text = _texts(fig)
    assert f"(B=3, C=1, T={cfg.length})" in text and "PS(2)" in text and f"(B=3, T={cfg.length})" in text
    assert f"(B=3, C={cfg.width}, T={cfg.length // 4})" in text
    plt.close(fig)
    scfg = gb.SpecGANConfig.tiny()
    fig = gb.draw_specgan(scfg, batch=3)
    bins, frames = scfg.shape
    assert f"(B=3, C=1, F={bins}, T={frames})" in _texts(fig) and "Griffin" in _texts(fig)
    plt.close(fig)

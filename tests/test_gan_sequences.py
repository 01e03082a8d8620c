"""Tests for course_lib.gan_sequences (GANs beyond clean images)."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from course_lib import gan_sequences as gs

# ---- toy language -------------------------------------------------------------------


def test_validity_checker_on_hand_cases() -> None:
    for s in ["()", "[]", "([])", "()[]", "[()()]", "(([]))"]:
        assert gs.is_dyck(s), s
    for s in ["(", ")(", "([)]", "(]", "[[", "(()", "ab", "([]])"]:
        assert not gs.is_dyck(s), s


def test_dyck_enumeration_matches_brute_force() -> None:
    brute = sorted("".join(p) for p in itertools.product(gs.DYCK_VOCAB, repeat=6) if gs.is_dyck("".join(p)))
    assert gs.dyck_strings(6) == brute
    assert len(brute) == 5 * 2**3  # Catalan(3) * 2^3
    assert len(gs.dyck_strings(8)) == 14 * 2**4


def test_encode_decode_roundtrip_and_dataset_is_valid() -> None:
    data = gs.dyck_dataset(50, 8, seed=3)
    strings = gs.decode(data)
    assert all(gs.is_dyck(s) for s in strings)
    assert torch.equal(gs.encode(strings), data)
    with pytest.raises(ValueError):
        gs.encode(["(x"])


def test_validity_and_diversity_counts() -> None:
    out = gs.validity_and_diversity(["()", "()", "[]", "(]"])
    assert out["valid"] == pytest.approx(0.75)
    assert out["diversity"] == pytest.approx(0.5)  # 2 distinct valid / 4 samples
    assert out["coverage"] == pytest.approx(1.0)  # both balanced strings of length 2


# ---- gradient estimators --------------------------------------------------------------


def test_sampling_breaks_the_graph() -> None:
    logits = torch.randn(5, 4, requires_grad=True)
    assert not logits.argmax(-1).requires_grad
    assert not torch.multinomial(F.softmax(logits, -1), 1).requires_grad


def test_gumbel_softmax_class_frequencies_match_softmax() -> None:
    logits = torch.tensor([1.0, 0.0, -1.0, 0.5])
    p = F.softmax(logits, -1)
    n = 20000
    y = gs.gumbel_softmax(logits.expand(n, -1), tau=0.5, generator=torch.Generator().manual_seed(0))
    counts = torch.bincount(y.argmax(-1), minlength=4).double()
    chi2 = float(((counts - n * p) ** 2 / (n * p)).sum())
    assert chi2 < 16.27, f"chi-square {chi2:.2f} above the 0.1 % critical value for 3 dof"
    assert torch.allclose(y.sum(-1), torch.ones(n), atol=1e-5)


def test_gumbel_softmax_approaches_one_hot_at_low_temperature() -> None:
    logits = torch.randn(1000, 4, generator=torch.Generator().manual_seed(1))
    hot = gs.gumbel_softmax(logits, tau=0.01, generator=torch.Generator().manual_seed(2))
    warm = gs.gumbel_softmax(logits, tau=5.0, generator=torch.Generator().manual_seed(2))
    assert hot.max(-1).values.mean() > 0.99 > warm.max(-1).values.mean()
    with pytest.raises(ValueError):
        gs.gumbel_softmax(logits, tau=0.0)


def test_straight_through_forward_is_one_hot_backward_is_soft_gradient() -> None:
    logits = torch.randn(6, 5, generator=torch.Generator().manual_seed(0), requires_grad=True)
    w = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))
    y = gs.straight_through(F.softmax(logits, -1))
    assert torch.equal(y.detach(), F.one_hot(logits.argmax(-1), 5).float())
    (g_st,) = torch.autograd.grad((w * y).sum(), logits)
    (g_soft,) = torch.autograd.grad((w * F.softmax(logits, -1)).sum(), logits)
    assert torch.allclose(g_st, g_soft, atol=1e-6)


def test_straight_through_sample_is_one_hot_with_soft_gradient() -> None:
    logits = torch.randn(200, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
    y = gs.straight_through_sample(logits, generator=torch.Generator().manual_seed(1))
    assert torch.equal(y.detach().sum(-1), torch.ones(200))
    assert set(y.detach().unique().tolist()) <= {0.0, 1.0}
    w = torch.randn(200, 3)
    (g_st,) = torch.autograd.grad((w * y).sum(), logits)
    (g_soft,) = torch.autograd.grad((w * F.softmax(logits, -1)).sum(), logits)
    assert torch.allclose(g_st, g_soft, atol=1e-6)


# ---- sequence models --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["gumbel", "st", "reinforce"])
def test_token_gan_updates_the_generator(method: str) -> None:
    cfg = gs.TokenGANConfig.tiny()
    torch.manual_seed(0)
    gen, disc = gs.TokenGenerator(cfg), gs.token_discriminator(cfg)
    before = [p.detach().clone() for p in gen.parameters()]
    hist = gs.train_token_gan(gen, disc, gs.dyck_dataset(32, cfg.length), method, cfg)
    assert len(hist["d_loss"]) == cfg.steps and all(math.isfinite(v) for v in hist["g_loss"])
    assert any(not torch.equal(a, b) for a, b in zip(before, gen.parameters(), strict=True))


def test_mle_learns_the_toy_language() -> None:
    cfg = gs.TokenGANConfig.tiny(length=4, steps=150, hidden=32, lr=1e-2)
    torch.manual_seed(0)
    gen = gs.TokenGenerator(cfg)
    losses = gs.train_mle(gen, gs.dyck_dataset(500, 4), cfg)
    scores = gs.validity_and_diversity(gs.sample_strings(gen, 300))
    assert losses[-1] < losses[0]
    assert scores["valid"] > 0.5  # random strings: 8/256 = 3 %


# ---- raw audio ----------------------------------------------------------------------------


def test_phase_shuffle_preserves_length_and_content_up_to_shift() -> None:
    x = torch.randn(4, 3, 50, generator=torch.Generator().manual_seed(0))
    shifts = torch.tensor([-2, -1, 0, 2])
    y = gs.phase_shuffle(x, 2, shifts=shifts)
    assert y.shape == x.shape
    for b, k in enumerate(shifts.tolist()):
        # y[t] = x[t - k] wherever t - k is inside the signal
        assert torch.equal(y[b, :, max(k, 0) : 50 + min(k, 0)], x[b, :, max(-k, 0) : 50 - max(k, 0)])
    assert torch.equal(y[2], x[2])
    assert torch.equal(gs.phase_shuffle(x, 0), x)
    with pytest.raises(ValueError):
        gs.phase_shuffle(x, 1, shifts=shifts)


def test_wavegan_shapes_and_checkpoint_hash(tmp_path) -> None:
    cfg = gs.WaveGANConfig.tiny()
    gen, disc = gs.WaveGANGenerator(cfg), gs.WaveGANDiscriminator(cfg)
    z = torch.randn(3, cfg.latent_dim)
    wave = gen(z)
    assert wave.shape == (3, cfg.length) and wave.abs().max() < 1
    assert disc(wave).shape == (3,)
    hist = gs.train_wavegan(gen, disc, torch.randn(6, cfg.length) * 0.1, steps=2, batch_size=3, d_steps=1)
    assert len(hist["g_loss"]) == 2
    sha = gs.save_wavegan(gen, tmp_path / "g.pt")
    loaded = gs.load_wavegan(tmp_path / "g.pt", sha)
    assert torch.allclose(loaded(z), gen.eval()(z))
    with pytest.raises(ValueError):
        gs.load_wavegan(tmp_path / "g.pt", "0" * 64)


def test_confidence_and_entropy_extremes() -> None:
    one_hot = torch.eye(10).repeat(3, 1)
    out = gs.confidence_and_entropy(one_hot)
    assert out["confident"] == 1.0
    assert out["class_entropy"] == pytest.approx(math.log2(10))
    assert out["inception_score"] == pytest.approx(10, rel=1e-6)
    flat = gs.confidence_and_entropy(torch.full((5, 10), 0.1))
    assert flat["confident"] == 0.0 and flat["inception_score"] == pytest.approx(1.0)


# ---- noisy data and augmentation ------------------------------------------------------------


def test_measurements_and_measured_generator() -> None:
    x = torch.ones(4000, 2)
    assert torch.equal(gs.AdditiveNoise(0.0)(x), x)
    assert gs.AdditiveNoise(0.5, seed=1)(x).std() == pytest.approx(0.5, rel=0.05)
    dropped = gs.CoordinateDropout(0.3, seed=0)(x)
    assert (dropped == 0).float().mean() == pytest.approx(0.3, abs=0.02)
    from course_lib.gan import MLPConfig, MLPGenerator

    g = MLPGenerator(MLPConfig.tiny())
    mg = gs.MeasuredGenerator(g, gs.CoordinateDropout(0.5))
    assert mg.cfg.latent_dim == g.cfg.latent_dim
    assert mg(torch.randn(8, g.cfg.latent_dim)).shape == (8, 2)


def test_shift_augment_moves_content_without_changing_it() -> None:
    x = torch.zeros(5, 1, 8, 8)
    x[:, :, 3:5, 3:5] = 1.0
    y = gs.shift_augment(x, 1, generator=torch.Generator().manual_seed(0))
    assert y.shape == x.shape and torch.equal(y.sum((1, 2, 3)), x.sum((1, 2, 3)))
    assert torch.equal(gs.shift_augment(x, 0), x)


def test_labelled_subset_is_stratified() -> None:
    y = torch.arange(10).repeat_interleave(20)
    idx = gs.labelled_subset(y, 0.1, seed=0)
    assert torch.equal(torch.bincount(y[idx], minlength=10), torch.full((10,), 2))


def test_conditional_gan_and_classifier_run() -> None:
    cfg = gs.CondGANConfig.tiny()
    gen, disc = gs.CondGenerator(cfg), gs.CondDiscriminator(cfg)
    x, y = torch.rand(20, 1, 8, 8), torch.arange(10).repeat(2)
    hist = gs.train_cond_gan(gen, disc, x, y, cfg)
    assert len(hist["d_loss"]) == cfg.steps
    xg, yg = gs.sample_conditional(gen, 2)
    assert xg.shape == (20, 1, 8, 8) and torch.equal(torch.bincount(yg), torch.full((10,), 2))
    model = gs.fit_classifier(
        x, y, steps=3, extra=(xg, yg), augment=lambda b, g: gs.shift_augment(b, 1, generator=g)
    )
    assert 0.0 <= gs.accuracy(model, x, y) <= 1.0

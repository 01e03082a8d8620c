"""Tests of course_lib.gan: losses against hand computations, network shapes, training loop."""

from __future__ import annotations

import math

import pytest
import torch

from course_lib import gan
from course_lib.data import ring_mixture
from course_lib.metrics import mode_coverage

# ---------------------------------------------------------------------------------- losses


def test_bce_losses_match_hand_computation():
    real = torch.tensor([2.0, -1.0])
    fake = torch.tensor([0.5, -3.0, 1.0])
    sig = torch.sigmoid
    want_d = -torch.log(sig(real)).mean() - torch.log(1 - sig(fake)).mean()
    assert gan.d_loss_bce(real, fake).item() == pytest.approx(want_d.item(), rel=1e-6)
    assert gan.g_loss_saturating(fake).item() == pytest.approx(
        torch.log(1 - sig(fake)).mean().item(), rel=1e-6
    )
    assert gan.g_loss_nonsaturating(fake).item() == pytest.approx(
        -torch.log(sig(fake)).mean().item(), rel=1e-6
    )
    # at D = 1/2 everywhere (logits 0) the discriminator loss is 2 log 2
    assert gan.d_loss_bce(torch.zeros(4), torch.zeros(4)).item() == pytest.approx(2 * math.log(2))


def test_one_sided_label_smoothing_changes_only_the_real_target():
    real, fake = torch.tensor([3.0]), torch.tensor([-2.0])
    s = 0.1
    p_real, p_fake = torch.sigmoid(real), torch.sigmoid(fake)
    want = -((1 - s) * torch.log(p_real) + s * torch.log(1 - p_real)) - torch.log(1 - p_fake)
    assert gan.d_loss_bce(real, fake, label_smoothing=s).item() == pytest.approx(want.item(), rel=1e-6)
    with pytest.raises(ValueError, match="label_smoothing"):
        gan.d_loss_bce(real, fake, label_smoothing=1.0)


def test_saturating_gradient_vanishes_when_fakes_are_rejected():
    logits = torch.tensor([-8.0, 0.0, 8.0], requires_grad=True)  # D(G(z)) ~ 0, 1/2, ~1
    (g_sat,) = torch.autograd.grad(gan.g_loss_saturating(logits), logits)
    (g_ns,) = torch.autograd.grad(gan.g_loss_nonsaturating(logits), logits)
    d = torch.sigmoid(logits.detach())
    # d/dl of mean log(1 - sigmoid(l)) = -sigmoid(l) / n;  of -mean log sigmoid(l) = -(1 - sigmoid(l)) / n
    torch.testing.assert_close(g_sat, -d / 3)
    torch.testing.assert_close(g_ns, -(1 - d) / 3)
    assert abs(g_sat[0]) < 1e-3 < abs(g_ns[0])  # rejected fakes: only the non-saturating loss pushes


def test_losses_reject_labels_and_empty_batches():
    with pytest.raises(TypeError, match="logits"):
        gan.g_loss_nonsaturating(torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="empty"):
        gan.d_loss_bce(torch.zeros(0), torch.zeros(3))


def test_gradient_penalty_equals_hand_computation_on_linear_critic():
    # f(x) = w.x + b has gradient w everywhere, so GP = (||w|| - 1)^2 whatever the interpolation.
    w = torch.tensor([3.0, 4.0])  # ||w|| = 5
    critic = lambda x: x @ w + 1.0  # noqa: E731
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    gp = gan.gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(0))
    assert gp.item() == pytest.approx((5.0 - 1.0) ** 2)
    # a non-linear critic f(x) = ||x||^2 / 2 has gradient x_hat: check the interpolation too
    eps = torch.tensor([0.0, 0.5, 1.0])
    r, f = torch.tensor([[2.0, 0.0]] * 3), torch.tensor([[0.0, 0.0]] * 3)
    gp = gan.gradient_penalty(lambda x: 0.5 * x.pow(2).sum(1), r, f, eps=eps)
    # x_hat = eps * r + (1 - eps) * f -> norms 0, 1, 2 -> mean of (1, 0, 1)
    assert gp.item() == pytest.approx(2 / 3)


def test_gradient_penalty_backpropagates_into_critic_parameters():
    critic = torch.nn.Linear(2, 1)
    gp = gan.gradient_penalty(lambda x: critic(x).squeeze(1), torch.randn(8, 2), torch.randn(8, 2))
    gp.backward()
    w = critic.weight.detach()
    # d/dw (||w|| - 1)^2 = 2 (||w|| - 1) w / ||w||
    torch.testing.assert_close(critic.weight.grad, 2 * (w.norm() - 1) * w / w.norm())


def test_wgan_gp_losses_combine_their_terms():
    w = torch.tensor([0.6, 0.8])  # ||w|| = 1: zero penalty
    critic = lambda x: x @ w  # noqa: E731
    real, fake = torch.ones(4, 2), torch.zeros(4, 2)
    loss_c, loss_g = gan.wgan_gp_losses(critic, real, fake)
    assert loss_c.item() == pytest.approx(0.0 - 1.4, abs=1e-6)
    assert loss_g.item() == pytest.approx(0.0, abs=1e-6)


def test_optimal_discriminator_on_tabulated_case():
    p_data = torch.tensor([0.5, 0.25, 0.0, 0.25, 0.0])
    p_g = torch.tensor([0.25, 0.25, 0.5, 0.0, 0.0])
    d_star = gan.optimal_discriminator(p_data, p_g)
    torch.testing.assert_close(d_star[:4], torch.tensor([2 / 3, 0.5, 0.0, 1.0]))
    assert torch.isnan(d_star[4])  # undefined where neither distribution has mass
    # D* maximises V(D, G) = sum p_data log D + p_g log(1 - D) pointwise, and
    # V(D*, G) = -log 4 + 2 JSD(p_data || p_g)
    pd, pg, ds = p_data[:4], p_g[:4], d_star[:4]

    def value(d: torch.Tensor) -> torch.Tensor:
        return torch.xlogy(pd, d).sum() + torch.xlogy(pg, 1 - d).sum()

    for delta in (-0.05, 0.05):
        assert value(ds) > value((ds + delta).clamp(1e-6, 1 - 1e-6))
    m = (pd + pg) / 2
    jsd = 0.5 * (torch.xlogy(pd, pd / m).nansum() + torch.xlogy(pg, pg / m).nansum())
    assert value(ds).item() == pytest.approx(-math.log(4) + 2 * jsd.item(), rel=1e-5)


def test_feature_matching_is_zero_for_equal_means_and_detaches_real():
    real = torch.randn(10, 3, requires_grad=True)
    fake = real.detach().clone().requires_grad_(True)
    loss = gan.feature_matching_loss(real, fake)
    assert loss.item() == pytest.approx(0.0, abs=1e-10)
    gan.feature_matching_loss(real, fake + 1).backward()
    assert real.grad is None and fake.grad is not None


# -------------------------------------------------------------------------------- networks


def test_pack_groups_consecutive_samples():
    x = torch.arange(12.0).view(6, 2)
    torch.testing.assert_close(gan.pack(x, 3)[1], torch.arange(6.0, 12.0))
    with pytest.raises(ValueError, match="multiple of 4"):
        gan.pack(x, 4)


@pytest.mark.parametrize(
    "opts", [{}, {"pack": 2}, {"spectral_norm": True}, {"minibatch_kernels": 4}, {"g_batchnorm": True}]
)
def test_mlp_shapes(opts):
    cfg = gan.MLPConfig.tiny(**opts)
    g, d = gan.MLPGenerator(cfg), gan.MLPDiscriminator(cfg)
    x = g(torch.randn(8, cfg.latent_dim))
    assert x.shape == (8, 2)
    assert d(x).shape == (8 // cfg.pack,)
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        d(torch.zeros(8, 3))


def test_minibatch_discrimination_sees_identical_samples():
    layer = gan.MinibatchDiscrimination(3, n_kernels=2, kernel_dim=2)
    same = layer(torch.ones(5, 3))[:, 3:]  # every other sample at L1 distance 0: o = 4
    torch.testing.assert_close(same, torch.full((5, 2), 4.0))
    spread = layer(10 * torch.randn(5, 3, generator=torch.Generator().manual_seed(0)))[:, 3:]
    assert spread.max() < 4.0


def test_dcgan_shapes_and_range():
    cfg = gan.DCGANConfig.tiny()
    g, d = gan.DCGANGenerator(cfg), gan.DCGANDiscriminator(cfg)
    x = g(torch.randn(5, cfg.latent_dim))
    assert x.shape == (5, 1, 8, 8) and x.abs().max() <= 1
    assert d(x).shape == (5,)
    with pytest.raises(ValueError, match=r"\(B, 1, 8, 8\)"):
        d(torch.zeros(5, 64))


def test_sample_restores_training_mode_and_is_seeded():
    g = gan.DCGANGenerator(gan.DCGANConfig.tiny())
    g.train()
    a, b = gan.sample(g, 7, seed=3), gan.sample(g, 7, seed=3)
    assert g.training and a.shape == (7, 1, 8, 8)
    torch.testing.assert_close(a, b)


def test_replay_buffer_mixes_old_fakes():
    buf = gan.ReplayBuffer(8, torch.Generator().manual_seed(0))
    first = buf.push_and_mix(torch.zeros(4, 2))
    torch.testing.assert_close(first, torch.zeros(4, 2))  # empty buffer: nothing to mix yet
    mixed = buf.push_and_mix(torch.ones(4, 2))
    assert mixed.shape == (4, 2) and (mixed[:2] == 1).all() and (mixed[2:] == 0).any()
    assert len(buf) == 8


# -------------------------------------------------------------------------------- training


def _ring_setup(**opts):
    torch.manual_seed(0)
    cfg = gan.MLPConfig(g_hidden=32, g_layers=2, d_hidden=32, d_layers=2, **opts)
    return gan.MLPGenerator(cfg), gan.MLPDiscriminator(cfg)


@pytest.mark.parametrize(
    "opts, train",
    [
        ({}, {"saturating": True, "label_smoothing": 0.1, "instance_noise": 0.1}),
        ({"pack": 2}, {"loss": "wgan-gp", "d_steps": 2}),
        ({"spectral_norm": True, "minibatch_kernels": 4}, {"replay": 64}),
        ({}, {"feature_matching": True}),
        ({"g_batchnorm": True}, {"d_steps": 2, "lr_decay": True}),
    ],
)
def test_every_training_option_runs_and_is_deterministic(opts, train):
    data, _ = ring_mixture(512, seed=0)
    params = []
    for _ in range(2):
        g, d = _ring_setup(**opts)
        hist = gan.train_gan(g, d, data, gan.GANTrainConfig(steps=3, batch_size=16, **train))
        assert len(hist.d_loss) == 3 and all(math.isfinite(v) for v in hist.d_loss + hist.g_loss)
        params.append(torch.cat([p.detach().flatten() for p in g.parameters()]))
    torch.testing.assert_close(params[0], params[1])


def test_train_config_rejects_bad_options():
    with pytest.raises(ValueError, match="loss"):
        gan.GANTrainConfig(loss="hinge")
    with pytest.raises(ValueError, match="bce"):
        gan.GANTrainConfig(loss="wgan-gp", saturating=True)


def test_tiny_training_run_improves_mode_coverage():
    data, centers = ring_mixture(4096, std=0.1, seed=0)
    g, d = _ring_setup()

    def evaluate(gen, step):
        modes, hq = mode_coverage(gan.sample(gen, 1000, seed=1), centers, std=0.1)
        return {"modes": modes, "hq": hq}

    before = evaluate(g, 0)
    hist = gan.train_gan(
        g, d, data, gan.GANTrainConfig(steps=400, batch_size=64, lr_decay=True), evaluate=evaluate
    )
    after = hist.evals[-1]
    assert before["modes"] <= 1 and before["hq"] < 0.05, before
    # measured 3 modes and 47 % HQ (seed 0); a trainer that does not learn stays at 0 and 0 %
    assert after["modes"] >= 2 and after["hq"] > 0.2, after


def test_train_dcgan_digits_runs_and_returns_eval_generator():
    g, hist = gan.train_dcgan_digits(steps=2, cfg=gan.DCGANConfig.tiny(), batch_size=8)
    assert not g.training and len(hist.g_loss) == 2
    assert gan.sample(g, 3).shape == (3, 1, 8, 8)
